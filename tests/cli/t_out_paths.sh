# t_out_paths.sh - where outputs go (docs/DECISIONS.md, "Output files"):
#   - property: every command that writes a file refuses (exit 2, the bytes
#     unchanged) an output that names its log or an input, whatever the
#     spelling: the same name, ./name, sub/../name, a symlink, a hard link,
#     a file inside an output directory, standard output appended to it;
#   - append through a dangling symlink stops with a clear error at once
#     (no endless loop, no temporary file left, nothing created);
#   - 255-byte names work for the log, -o and --skip-invalid outputs;
#   - an output replaced by -o (and a chart file) keeps its mode.
. "$(dirname "$0")/lib.sh"

W=$T/w
mkdir -p "$W/sub"
cd "$W" || exit 1
umask 022
printf 'time,entity,stage,channel\n2026-01-01,e1,suspect,marketing\n2026-01-02,e1,prospect,sales\n' >ok.csv
printf 'time,entity,stage,channel\n2026-01-03,e2,suspect,marketing\nbad,e3,suspect,marketing\n' >bad.csv
printf 'suspect\nprospect\n' >stages.txt
"$FUNNEL" append p.flog ok.csv && "$FUNNEL" replay p.flog -o rep.json || { fail setup "cannot make the log"; exit 0; }

# guard NAME FILE CMD... : CMD exits 2 and leaves FILE's bytes as they were.
# FILE is copied first and restored after (in place, keeping its hard
# links), so one failure cannot cascade.
guard() {
    name=$1 file=$2
    shift 2
    cp "$file" "$T/keep"
    run "$@"
    if [ "$RC" -eq 2 ] && cmp -s "$file" "$T/keep" && grep -q 'same file' "$T/err"; then pass "$name"; else
        fail "$name" "exit $RC, $file $(cmp -s "$file" "$T/keep" && echo unchanged || echo CHANGED); $(head -c 300 "$T/err")"; fi
    cat "$T/keep" >"$file"
}

# aliases X : the spellings of file X made fresh (X itself, ./X, sub/../X, a
# symlink, a hard link, the absolute path); prints them.
aliases() {
    rm -f "lnk_$1" "hard_$1"
    ln -s "$1" "lnk_$1"
    ln "$1" "hard_$1"
    echo "$1 ./$1 sub/../$1 lnk_$1 hard_$1 $W/$1"
}

for a in $(aliases p.flog); do
    aliases p.flog >/dev/null
    guard "append_rejects_is_log[$a]" p.flog "$FUNNEL" append --skip-invalid "$a" p.flog bad.csv
    guard "replay_o_is_log[$a]" p.flog "$FUNNEL" replay p.flog -o "$a"
    guard "replay_o_is_log_text[$a]" p.flog "$FUNNEL" replay p.flog --text -o "$a"
    guard "report_dir_is_log[$a]" p.flog "$FUNNEL" report p.flog -o "$a"
done
for a in $(aliases bad.csv); do
    aliases bad.csv >/dev/null
    guard "append_rejects_is_input[$a]" bad.csv "$FUNNEL" append --skip-invalid "$a" p.flog ok.csv bad.csv
done
for a in $(aliases stages.txt); do
    aliases stages.txt >/dev/null
    guard "replay_o_is_funnel_file[$a]" stages.txt "$FUNNEL" replay p.flog --funnel stages.txt -o "$a"
done
for a in $(aliases rep.json); do
    aliases rep.json >/dev/null
    guard "chart_dir_is_input[$a]" rep.json "$FUNNEL" chart rep.json -o "$a" --no-render
done
# Sharded runs: a partial may not replace its shard, the MANIFEST or the
# funnel file; merge's output may not be one of its parts.
"$FUNNEL" shard p.flog -o S --shards 2 && "$FUNNEL" partial S --shard 0/2 -o p0.part &&
    "$FUNNEL" partial S --shard 1/2 -o p1.part || { fail setup_shards "cannot shard the log"; exit 0; }
for a in S/shard-0000-of-0002.flog ./S/shard-0000-of-0002.flog S/../S/shard-0000-of-0002.flog; do
    guard "partial_o_is_shard[$a]" S/shard-0000-of-0002.flog "$FUNNEL" partial S --shard 0/2 -o "$a"
done
guard partial_o_is_manifest S/MANIFEST "$FUNNEL" partial S --shard 1/2 -o S/MANIFEST
guard partial_o_is_funnel_file stages.txt "$FUNNEL" partial S --shard 1/2 --funnel stages.txt -o stages.txt
for a in $(aliases p1.part); do
    aliases p1.part >/dev/null
    guard "merge_o_is_part[$a]" p1.part "$FUNNEL" merge p0.part p1.part -o "$a"
    guard "merge_partial_o_is_part[$a]" p1.part "$FUNNEL" merge --partial p0.part p1.part -o "$a"
done

# An input given as "-": standard input is the rejects file.
guard append_rejects_is_stdin bad.csv sh -c '"$1" append --skip-invalid bad.csv p.flog - <bad.csv' sh "$FUNNEL"
# Standard output appended to the log.
guard replay_stdout_appends_to_log p.flog sh -c '"$1" replay p.flog >>p.flog' sh "$FUNNEL"
guard cat_stdout_appends_to_log p.flog sh -c '"$1" cat p.flog >>p.flog' sh "$FUNNEL"

# A directory command: no file it publishes may be an input.
for f in report.json index.html report.txt funnel.png conversion.gp touches.tsv; do
    for kind in sym hard; do
        rm -rf D && mkdir D
        if [ $kind = sym ]; then ln -s ../p.flog "D/$f"; else ln p.flog "D/$f"; fi
        guard "report_file_is_log[$kind:$f]" p.flog "$FUNNEL" report p.flog --text -o D
    done
done
rm -rf D && mkdir D && ln -s ../stages.txt D/dropouts.tsv
guard report_file_is_funnel_file stages.txt "$FUNNEL" report p.flog --funnel stages.txt -o D
for f in funnel.tsv time-in-stage.gp dropouts.png; do
    rm -rf D && mkdir D && ln -s ../rep.json "D/$f"
    guard "chart_file_is_input[$f]" rep.json "$FUNNEL" chart rep.json -o D
done
# --no-render leaves PNGs alone, so a PNG that is the input is no conflict.
rm -rf D && mkdir D && ln -s ../rep.json D/funnel.png
run "$FUNNEL" chart rep.json -o D --no-render
if [ "$RC" -eq 0 ] && cmp -s rep.json D/funnel.png && [ -s D/funnel.gp ]; then pass chart_no_render_ignores_png; else
    fail chart_no_render_ignores_png "exit $RC: $(head -c 300 "$T/err")"; fi

# A log that does not exist yet: the same name, or a dangling symlink to it.
rm -f new.flog dl
run "$FUNNEL" append --skip-invalid new.flog new.flog bad.csv
if [ "$RC" -eq 2 ] && [ ! -e new.flog ]; then pass append_rejects_is_new_log; else
    fail append_rejects_is_new_log "exit $RC, new.flog $([ -e new.flog ] && echo exists); $(head -c 300 "$T/err")"; fi
ln -s new.flog dl
run "$FUNNEL" append --skip-invalid dl new.flog bad.csv
if [ "$RC" -eq 2 ] && [ ! -e new.flog ]; then pass append_rejects_links_to_new_log; else
    fail append_rejects_links_to_new_log "exit $RC, new.flog $([ -e new.flog ] && echo exists); $(head -c 300 "$T/err")"; fi
rm -f dl

# Control: the ordinary uses still work.
run "$FUNNEL" append --skip-invalid rejects.csv p.flog bad.csv
if [ "$RC" -eq 0 ] && grep -q '^bad.csv,3,' rejects.csv && "$FUNNEL" verify p.flog >/dev/null; then
    pass append_rejects_elsewhere_ok; else fail append_rejects_elsewhere_ok "exit $RC: $(head -c 300 "$T/err")"; fi
run "$FUNNEL" replay p.flog -o /dev/null
expect_rc replay_to_dev_null_ok 0

# --- append through a dangling symlink: refused at once, nothing left.
rm -rf L && mkdir L && ln -s missing.flog L/l.flog
RC=0
timeout 20 "$FUNNEL" append L/l.flog ok.csv >"$T/out" 2>"$T/err" || RC=$?
if [ "$RC" -eq 5 ] && grep -q 'symbolic link' "$T/err" && [ "$(ls L)" = l.flog ]; then pass append_dangling_link_refused; else
    fail append_dangling_link_refused "exit $RC (124 = hung), left: $(ls L | tr '\n' ' '); $(head -c 300 "$T/err")"; fi
# A link to an existing log appends to the log; the link stays.
cp p.flog L/real.flog && ln -s real.flog L/good.flog
printf 'time,entity,stage,channel\n2026-01-04,e4,suspect,sales\n' >third.csv
before=$("$FUNNEL" verify L/real.flog | sed -n 's/.*ok: \([0-9]*\) batches.*/\1/p')
run "$FUNNEL" append L/good.flog third.csv
if [ "$RC" -eq 0 ] && [ -L L/good.flog ] && "$FUNNEL" verify L/real.flog | grep -q "ok: $((before + 1)) batches"; then pass append_through_link_ok; else
    fail append_through_link_ok "exit $RC: $(head -c 300 "$T/err") $("$FUNNEL" verify L/real.flog 2>&1 | head -1)"; fi

# --- 255-byte names (NAME_MAX): the temporary names must not exceed it.
N255=$(printf 'L%.0s' $(seq 255))
O255=$(printf 'o%.0s' $(seq 255))
R255=$(printf 'r%.0s' $(seq 255))
G255=$(printf 'g%.0s' $(seq 255))
mkdir long && cd long || exit 1
run "$FUNNEL" append "$N255" ../ok.csv
if [ "$RC" -eq 0 ] && "$FUNNEL" verify "$N255" >/dev/null 2>&1; then pass long_name_log; else
    fail long_name_log "exit $RC: $(head -c 200 "$T/err")"; fi
run "$FUNNEL" append --skip-invalid "$R255" "$N255" ../bad.csv
if [ "$RC" -eq 0 ] && grep -q '^../bad.csv,3,' "$R255"; then pass long_name_rejects; else
    fail long_name_rejects "exit $RC: $(head -c 200 "$T/err")"; fi
run "$FUNNEL" replay "$N255" -o "$O255"
if [ "$RC" -eq 0 ] && grep -q '"schema"' "$O255"; then pass long_name_replay_o; else
    fail long_name_replay_o "exit $RC: $(head -c 200 "$T/err")"; fi
run "$FUNNEL" gen --entities 2 -o "$G255"
if [ "$RC" -eq 0 ] && [ -s "$G255" ]; then pass long_name_gen_o; else
    fail long_name_gen_o "exit $RC: $(head -c 200 "$T/err")"; fi
if [ "$(ls | wc -l)" -eq 4 ]; then pass long_name_no_temp_left; else
    fail long_name_no_temp_left "$(ls | wc -l) files"; fi
cd "$W" || exit 1

# --- a replaced output keeps its mode; a new one gets 0666 less the umask.
# mode_kept NAME FILE CMD... : FILE made 0664 (or 0600) stays so after CMD.
mode_kept() {
    name=$1 file=$2
    shift 2
    for m in 664 600; do
        chmod "$m" "$file"
        run "$@"
        got=$(stat -c %a "$file")
        if [ "$RC" -eq 0 ] && [ "$got" = "$m" ]; then pass "$name[$m]"; else
            fail "$name[$m]" "exit $RC, mode $got, expected $m: $(head -c 200 "$T/err")"; fi
    done
}
rm -f m.json
"$FUNNEL" replay p.flog -o m.json
if [ "$(stat -c %a m.json)" = 644 ]; then pass new_output_mode_from_umask; else
    fail new_output_mode_from_umask "mode $(stat -c %a m.json)"; fi
mode_kept mode_replay_o m.json "$FUNNEL" replay p.flog -o m.json
ln -s m.json lm.json
mode_kept mode_replay_o_through_link m.json "$FUNNEL" replay p.flog -o lm.json
"$FUNNEL" gen --entities 2 -o g.csv
mode_kept mode_gen_o g.csv "$FUNNEL" gen --entities 3 -o g.csv
mode_kept mode_rejects rejects.csv "$FUNNEL" append --skip-invalid rejects.csv --allow-duplicate p.flog bad.csv
rm -rf C && "$FUNNEL" chart rep.json -o C --no-render
mode_kept mode_chart_file C/funnel.gp "$FUNNEL" chart rep.json -o C --no-render
