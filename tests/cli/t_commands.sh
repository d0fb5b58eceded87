# t_commands.sh - the command line: help and version, usage errors (exit 2)
# for every command, replay's options (--stages, --funnel FILE, --as-of,
# --stale-after, -o, --text), a missing log, a full disk on standard output
# (exit 5), and concurrent appenders on one log.
. "$(dirname "$0")/lib.sh"

CMDS="append replay check cat verify gen"

# expect_json NAME REPORT JSON : `funnel check REPORT` accepts JSON (a subset
# of a report) as the expected values.
expect_json() {
    printf '%s\n' "$3" >"$T/want.json"
    if "$FUNNEL" check "$2" "$T/want.json" >"$T/check.out" 2>&1; then pass "$1"; else
        fail "$1" "$(head -c 400 "$T/check.out" | tr '\n' ' ')"; fi
}

# --- help and version.
for h in --help -h help; do
    run "$FUNNEL" $h
    if [ "$RC" -eq 0 ] && grep -q '^usage: funnel COMMAND' "$T/out"; then pass "help[$h]"; else
        fail "help[$h]" "exit $RC: $(head -c 200 "$T/out" "$T/err")"; fi
done
for c in $CMDS; do
    if ! grep -q "^  $c " "$T/out"; then fail "help_lists[$c]" "funnel help does not list $c"; else
        pass "help_lists[$c]"; fi
done
run "$FUNNEL" --version
if [ "$RC" -eq 0 ] && grep -qE '^funnel [0-9]' "$T/out"; then pass version; else
    fail version "exit $RC: $(head -c 200 "$T/out" "$T/err")"; fi
for c in $CMDS; do
    run "$FUNNEL" $c --help
    if [ "$RC" -eq 0 ] && grep -q "^usage: funnel $c" "$T/out" && [ "$(wc -l <"$T/out")" -ge 5 ] &&
        [ ! -s "$T/err" ]; then pass "help_cmd[$c]"; else
        fail "help_cmd[$c]" "exit $RC: $(head -c 200 "$T/out" "$T/err")"; fi
    run "$FUNNEL" help $c
    if [ "$RC" -eq 0 ] && grep -q "^usage: funnel $c" "$T/out"; then pass "help_topic[$c]"; else
        fail "help_topic[$c]" "exit $RC: $(head -c 200 "$T/out")"; fi
done
# Each usage text names its options.
run "$FUNNEL" replay --help
for o in --stages --funnel --as-of --stale-after --text -o; do expect_out "help_replay_names[$o]" "$o"; done
run "$FUNNEL" append --help
for o in --skip-invalid --allow-duplicate -q; do expect_out "help_append_names[$o]" "$o"; done
run "$FUNNEL" verify --help
expect_out help_verify_names_repair --repair

# --- usage errors: exit 2 with a hint.
run "$FUNNEL"
expect_rc usage_no_command 2
run "$FUNNEL" frobnicate
expect_rc usage_unknown_command 2
expect_err usage_unknown_command_msg "unknown command 'frobnicate'"
run "$FUNNEL" --frobnicate
expect_rc usage_unknown_global_option 2
for c in $CMDS; do
    run "$FUNNEL" $c --no-such-option x y
    expect_rc "usage_unknown_option[$c]" 2
    expect_err "usage_unknown_option_msg[$c]" "no-such-option"
done

"$FUNNEL" gen --entities 30 --seed 3 >"$T/g.csv"
"$FUNNEL" append -q "$T/g.flog" "$T/g.csv"
for args in "" "LOG" "--skip-invalid" "--skip-invalid= LOG $T/g.csv"; do
    # shellcheck disable=SC2086
    run "$FUNNEL" append $args
    expect_rc "usage_append[$args]" 2
done
run "$FUNNEL" cat
expect_rc usage_cat_no_log 2
run "$FUNNEL" cat "$T/g.flog" "$T/g.flog"
expect_rc usage_cat_two_logs 2
run "$FUNNEL" verify
expect_rc usage_verify_no_log 2
run "$FUNNEL" verify "$T/g.flog" "$T/g.flog"
expect_rc usage_verify_two_logs 2
run "$FUNNEL" replay
expect_rc usage_replay_no_log 2

# --- replay option errors: exit 2, nothing on stdout.
long=$(printf '%065d' 0 | tr 0 s)
printf 'suspect\n' >"$T/one.txt"
i=0
for args in "--stages a,b --funnel $T/one.txt" "--funnel $T/one.txt --stages a,b" \
    "--stages a,,b" "--stages ,a" "--stages a," "--stages=" "--stages" \
    "--stages a,$long" "--stages a,B,b" "--stages Lead,LEAD" \
    "--as-of 2023-02-29" "--as-of yesterday" "--as-of 2026-01-01T24:00" "--as-of" \
    "--stale-after 10x" "--stale-after -5d" "--stale-after 1.5d" "--stale-after d" \
    "--stale-after" "--stale-after=" "-o" "--text --text2"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    run "$FUNNEL" replay "$T/g.flog" $args
    if [ "$RC" -eq 2 ] && [ ! -s "$T/out" ] && grep -q "funnel replay" "$T/err"; then
        pass "replay_usage[$args]"; else
        fail "replay_usage[$args]" "exit $RC: $(head -c 200 "$T/err")"; fi
done
run "$FUNNEL" replay "$T/g.flog" --stages a,,b
expect_err replay_usage_empty_msg "empty"
run "$FUNNEL" replay "$T/g.flog" --stages "a,$long"
expect_err replay_usage_long_msg "64 bytes"
run "$FUNNEL" replay "$T/g.flog" --stages a,B,b
expect_err replay_usage_duplicate_msg "duplicate"
# 64 bytes is fine, and stage names may hold inner spaces.
run "$FUNNEL" replay "$T/g.flog" --stages "suspect,$(printf '%064d' 0 | tr 0 s),closed won"
expect_rc replay_stage_64_bytes_ok 0
# A funnel file with duplicate names, or none, is a usage error too.
printf 'a\n# b\nA\n' >"$T/dup.txt"
run "$FUNNEL" replay "$T/g.flog" --funnel "$T/dup.txt"
expect_rc replay_funnel_file_duplicate 2
expect_err replay_funnel_file_duplicate_where "dup.txt:3"
printf '# nothing\n\n   \n' >"$T/none.txt"
run "$FUNNEL" replay "$T/g.flog" --funnel "$T/none.txt"
expect_rc replay_funnel_file_empty 2
run "$FUNNEL" replay "$T/g.flog" --funnel "$T/missing.txt"
expect_rc replay_funnel_file_missing 5

# --- --funnel FILE: comments, blank lines and spaces; the same report as
# --stages, and the report spells names as the funnel does.
printf '# our funnel\n\n   suspect  \nProspect   # renamed\n\t interested\t\n# engaged is next\nENGAGED\n\n# the end\n' \
    >"$T/funnel.txt"
run "$FUNNEL" replay "$T/g.flog" --funnel "$T/funnel.txt"
expect_rc replay_funnel_file_rc 0
cp "$T/out" "$T/ff.json"
run "$FUNNEL" replay "$T/g.flog" --stages suspect,Prospect,interested,ENGAGED
expect_same replay_funnel_file_same_as_stages "$T/out" "$T/ff.json"
expect_json replay_funnel_file_spelling "$T/ff.json" \
    '{"stages": [{"name": "suspect"}, {"name": "Prospect"}, {"name": "interested"}, {"name": "ENGAGED"}]}'
run "$FUNNEL" replay "$T/g.flog" --stages suspect,prospect,interested,engaged
grep -v '"name"' "$T/out" >"$T/lower"
grep -v '"name"' "$T/ff.json" >"$T/mixed"
expect_same replay_stage_names_case_insensitive "$T/lower" "$T/mixed"
# The default funnel is the seven stages of docs/METRICS.md §1.
run "$FUNNEL" replay "$T/g.flog"
cp "$T/out" "$T/default.json"
expect_json replay_default_funnel "$T/default.json" '{"stages": [{"name": "suspect"}, {"name": "prospect"},
    {"name": "interested"}, {"name": "engaged"}, {"name": "evaluating"}, {"name": "negotiating"},
    {"name": "purchasing"}]}'
expect_json replay_default_stale_30d "$T/default.json" '{"stale_after_s": 2592000}'
# as_of defaults to the latest event time, never the clock.
last=$(tail -n +2 "$T/g.csv" | cut -d, -f1 | LC_ALL=C sort | tail -n 1)
expect_json replay_default_as_of "$T/default.json" "{\"as_of\": \"$last\"}"
# Durations: every unit, and the same span written differently.
for d in 90s 45m 12h 30d 2w 100; do
    run "$FUNNEL" replay "$T/g.flog" --stale-after "$d"
    want=$(echo "$d" | awk '/s$/{print $0+0} /m$/{print $0*60} /h$/{print $0*3600} /d$/{print $0*86400} /w$/{print $0*604800} /^[0-9]+$/{print $0}')
    expect_rc "replay_duration_rc[$d]" 0
    expect_json "replay_duration[$d]" "$T/out" "{\"stale_after_s\": $want}"
done
"$FUNNEL" replay "$T/g.flog" --stale-after 2w >"$T/a.json"
"$FUNNEL" replay "$T/g.flog" --stale-after=14d >"$T/b.json"
"$FUNNEL" replay "$T/g.flog" --stale-after 1209600 >"$T/c.json"
if cmp -s "$T/a.json" "$T/b.json" && cmp -s "$T/a.json" "$T/c.json"; then pass replay_duration_forms_agree; else
    fail replay_duration_forms_agree "2w, 14d and 1209600 give different reports"; fi
# --as-of forms agree too.
"$FUNNEL" replay "$T/g.flog" --as-of 2026-06-01 >"$T/a.json"
"$FUNNEL" replay "$T/g.flog" --as-of=2026-06-01T02:00:00+02:00 >"$T/b.json"
"$FUNNEL" replay "$T/g.flog" --as-of 1780272000 >"$T/c.json"
if cmp -s "$T/a.json" "$T/b.json" && cmp -s "$T/a.json" "$T/c.json"; then pass replay_as_of_forms_agree; else
    fail replay_as_of_forms_agree "$(grep -h as_of "$T/a.json" "$T/b.json" "$T/c.json" | tr '\n' ' ')"; fi
expect_json replay_as_of_value "$T/a.json" '{"as_of": "2026-06-01T00:00:00Z"}'

# --- a missing log: exit 5 (replay, cat, verify); nothing created.
for c in replay cat verify; do
    run "$FUNNEL" $c "$T/missing.flog"
    expect_rc "missing_log[$c]" 5
    expect_err "missing_log_msg[$c]" "$T/missing.flog"
done
if [ -e "$T/missing.flog" ]; then fail missing_log_not_created "a command created it"; else
    pass missing_log_not_created; fi
# A missing input file: exit 5, the log is not created.
run "$FUNNEL" append "$T/new.flog" "$T/g.csv" "$T/missing.csv"
expect_rc missing_input 5
if [ -e "$T/new.flog" ]; then fail missing_input_no_log "the log was created"; else
    pass missing_input_no_log; fi

# --- replay -o FILE: the report, written atomically (no temp file left),
# replacing an older file; nothing on stdout.
mkdir "$T/outdir"
echo old >"$T/outdir/report.json"
run "$FUNNEL" replay "$T/g.flog" -o "$T/outdir/report.json"
expect_rc replay_output_rc 0
if [ -s "$T/out" ]; then fail replay_output_quiet "stdout not empty"; else pass replay_output_quiet; fi
expect_same replay_output_content "$T/default.json" "$T/outdir/report.json"
if [ "$(ls -A "$T/outdir")" = report.json ]; then pass replay_output_no_temp; else
    fail replay_output_no_temp "left: $(ls -A "$T/outdir" | tr '\n' ' ')"; fi
run "$FUNNEL" replay "$T/g.flog" --output="$T/outdir/r2.json"
expect_same replay_output_long_form "$T/default.json" "$T/outdir/r2.json"
run "$FUNNEL" replay "$T/g.flog" --text -o "$T/outdir/r.txt"
expect_rc replay_output_text 0
# A failed replay leaves the old file alone and no temp file behind.
echo old >"$T/outdir/keep.json"
run "$FUNNEL" replay "$T/missing.flog" -o "$T/outdir/keep.json"
if [ "$RC" -eq 5 ] && [ "$(cat "$T/outdir/keep.json")" = old ]; then pass replay_output_failed_keeps_old; else
    fail replay_output_failed_keeps_old "exit $RC, file: $(head -c 100 "$T/outdir/keep.json")"; fi
run "$FUNNEL" replay "$T/g.flog" -o "$T/nodir/report.json"
expect_rc replay_output_bad_dir 5
if [ "$(ls -A "$T/outdir" | wc -l)" -eq 4 ]; then pass replay_output_no_temp_after_all; else
    fail replay_output_no_temp_after_all "left: $(ls -A "$T/outdir" | tr '\n' ' ')"; fi

# --- replay --text: a table naming every stage.
run "$FUNNEL" replay "$T/g.flog" --text
expect_rc replay_text_rc 0
for s in suspect prospect interested engaged evaluating negotiating purchasing; do
    if grep -q "^$s " "$T/out"; then pass "replay_text_stage[$s]"; else
        fail "replay_text_stage[$s]" "no row for $s: $(head -c 300 "$T/out")"; fi
done
if grep -q '"schema"' "$T/out"; then fail replay_text_not_json "--text printed JSON"; else
    pass replay_text_not_json; fi
run "$FUNNEL" replay "$T/g.flog" --text --funnel "$T/funnel.txt"
for s in suspect Prospect interested ENGAGED; do
    expect_out "replay_text_funnel_stage[$s]" "$s"
done

# --- a full disk on standard output: exit 5 with a message, for every
# command that writes there.
for args in "replay $T/g.flog" "replay --text $T/g.flog" "cat $T/g.flog" "verify $T/g.flog" \
    "gen --entities 50" "--help" "replay --help"; do
    # shellcheck disable=SC2086
    "$FUNNEL" $args >/dev/full 2>"$T/err"
    RC=$?
    if [ "$RC" -eq 5 ] && grep -q "funnel" "$T/err"; then pass "dev_full[$args]"; else
        fail "dev_full[$args]" "exit $RC: $(head -c 200 "$T/err")"; fi
done
# check writes its count line to standard output too.
"$FUNNEL" check "$T/default.json" "$T/default.json" >/dev/full 2>"$T/err"
RC=$?
expect_rc dev_full_check 5

# --- concurrent appenders: four at once on one new log; all succeed, the
# log holds four batches and every event; the report equals that of the
# same batches appended one after another.
i=1
while [ $i -le 4 ]; do
    "$FUNNEL" gen --entities 1500 --seed $((70 + i)) >"$T/c$i.csv"
    i=$((i + 1))
done
total=$(($(cat "$T"/c[1-4].csv | wc -l) - 4))
i=1
while [ $i -le 4 ]; do
    ("$FUNNEL" append -q "$T/conc.flog" "$T/c$i.csv" 2>"$T/c$i.err"; echo $? >"$T/c$i.rc") &
    i=$((i + 1))
done
wait
ok=0
for i in 1 2 3 4; do [ "$(cat "$T/c$i.rc")" = 0 ] && ok=$((ok + 1)); done
if [ $ok -eq 4 ]; then pass concurrent_all_ok; else
    fail concurrent_all_ok "$ok of 4 exited 0: $(cat "$T"/c[1-4].err | head -c 300)"; fi
run "$FUNNEL" verify "$T/conc.flog"
if [ "$RC" -eq 0 ] && grep -q "ok: 4 batches, [0-9]* blocks, $total events" "$T/out" &&
    ! grep -q torn "$T/out"; then pass "concurrent_verify[$total events]"; else
    fail concurrent_verify "exit $RC, want 4 batches and $total events: $(head -c 300 "$T/out" "$T/err")"; fi
for i in 1 2 3 4; do "$FUNNEL" append -q "$T/seq.flog" "$T/c$i.csv"; done
"$FUNNEL" replay "$T/conc.flog" >"$T/conc.json"
"$FUNNEL" replay "$T/seq.flog" >"$T/seq.json"
expect_same concurrent_same_report "$T/seq.json" "$T/conc.json"
expect_json concurrent_events_read "$T/conc.json" "{\"events\": {\"read\": $total}}"

# The same batch from three appenders at once is appended once.
for i in 1 2 3; do
    ("$FUNNEL" append "$T/dup.flog" "$T/c1.csv" 2>"$T/d$i.err"; echo $? >"$T/d$i.rc") &
done
wait
if [ "$(cat "$T"/d[1-3].rc | tr -d '\n')" = 000 ] && [ "$(cat "$T"/d[1-3].err | grep -c repeat)" -eq 2 ] &&
    "$FUNNEL" verify "$T/dup.flog" 2>/dev/null | grep -q "ok: 1 batches"; then
    pass concurrent_duplicates_once; else
    fail concurrent_duplicates_once "exits $(cat "$T"/d[1-3].rc | tr '\n' ' '); $("$FUNNEL" verify "$T/dup.flog" 2>&1 | head -n 1)"; fi

# The second appender waits for the lock, held here by flock(1): it ends
# only after the holder let go.  hold LOG : hold LOG's lock for 1.5 s in the
# background (the time of release goes to $T/released); return once held.
hold() {
    rm -f "$T/released"
    flock "$1" sh -c 'sleep 1.5; date +%s%N >"$0"' "$T/released" &
    k=0
    while flock -n "$1" true && [ $k -lt 100 ]; do sleep 0.05; k=$((k + 1)); done
}
# (Under valgrind, make valgrind, a run may outlast the 1.5 s hold.)
if [ -n "${FUNNEL_UNDER_VALGRIND:-}" ]; then
    echo "SKIP append_waits_for_lock: timing under valgrind"
elif command -v flock >/dev/null 2>&1; then
    cp "$T/g.flog" "$T/lock.flog"
    hold "$T/lock.flog"
    run "$FUNNEL" append -q "$T/lock.flog" "$T/c1.csv"
    t1=$(date +%s%N)
    wait
    if [ "$RC" -eq 0 ] && [ "$t1" -ge "$(cat "$T/released")" ]; then pass append_waits_for_lock; else
        fail append_waits_for_lock "exit $RC; it ended $(((t1 - $(cat "$T/released")) / 1000000)) ms after the lock was released"; fi
    # verify --repair takes the lock too.
    hold "$T/lock.flog"
    run "$FUNNEL" verify --repair "$T/lock.flog"
    t1=$(date +%s%N)
    wait
    if [ "$RC" -eq 0 ] && [ "$t1" -ge "$(cat "$T/released")" ]; then pass repair_waits_for_lock; else
        fail repair_waits_for_lock "exit $RC; it ended $(((t1 - $(cat "$T/released")) / 1000000)) ms after the lock was released"; fi
    # Readers take no lock.
    hold "$T/lock.flog"
    run "$FUNNEL" replay "$T/lock.flog"
    t1=$(date +%s%N)
    wait
    if [ "$RC" -eq 0 ] && [ "$t1" -lt "$(cat "$T/released")" ]; then pass replay_takes_no_lock; else
        fail replay_takes_no_lock "exit $RC; it waited for the lock"; fi
else
    echo "SKIP append_waits_for_lock: no flock(1)"
fi
