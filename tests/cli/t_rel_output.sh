#!/bin/sh
# t_rel_output.sh - docs/RELIABILITY.md, "Output atomicity": `funnel report
# LOG -o DIR`, `funnel replay LOG -o FILE` and `funnel chart REPORT -o DIR`
# killed with SIGKILL while they write leave every output file either the
# previous complete file or the new complete file, never a partial one.
#
# A log of one batch (300k events) gives the previous set of files (OLD:
# report.json, index.html, and NAME.tsv, NAME.gp, NAME.png for the five
# charts); a second batch appended to it gives the new set (NEW), both made
# once by complete runs.  Each run below starts from OLD in the output
# directory, and is checked after its kill (or completion):
#   - every output file exists and equals, byte for byte, its OLD or its NEW
#     version (the references are complete: each PNG ends with IEND);
#   - no other file appears except temporary files NAME.tmp.XXXXXX (the
#     names of a write in progress, documented in docs/RELIABILITY.md),
#     which are counted, as are gnuplot scratch directories left in TMPDIR;
#   - order: a new index.html means every file is new (the page is
#     published last), and for `report` a new report.json means every chart
#     file is new (the charts are published first).
# A kill between two renames of `chart` leaves a set mixing old and new
# files (each one complete): counted as "mixed sets", not a failure (chart
# publishes per file).  `report` publishes the whole set in one rename (DIR
# is a link to DIR.v/RUN, docs/CHARTS.md "Safety model" 7): a mixed set
# from it is a failure (t_rel_publish.sh tests that part in depth).  Its
# output directory starts each run as a plain directory of OLD files, as an
# older funnel left it, which the run takes over.
#
# 1. Random kills: N runs (30; 300 with STRESS=1; KILLS=N to choose) of
#    report, report, report, replay, chart in turn, each killed with kill -9
#    after a random 0..1.1 T ms, T being that command's duration measured
#    once.  Most land before any output is written: the write window is a
#    few ms of a run of a second.
# 2. A kill at every step: under strace, funnel gets SIGKILL on entering its
#    K-th write, fsync or rename, for every K until a run completes; for
#    replay and report (and chart with STRESS=1), with a stand-in gnuplot
#    that copies the NEW PNG.  Skipped (SKIP line) without strace.
# 3. gnuplot faults: a gnuplot that exits 1, and one that writes a PNG cut
#    short after a valid 1200x800 header and exits 0, under `chart` and
#    `report`: exit 5, no temporary file is left; `chart` leaves the
#    previous charts in place, `report` publishes a set without charts (the
#    page says they are missing) and keeps the previous set as
#    DIR.v/previous.
# RSEED=N picks the random sequence (default 1).
# Summary: "PASS output_atomicity: N random kills (...), step kills M (...),
# files checked F (...), partial 0, missing 0, ...".
. "$(dirname "$0")/lib.sh"
if [ "${STRESS:-0}" = 1 ]; then N=300 STEP_CMDS="replay report chart"
else N=30 STEP_CMDS="replay report"; fi   # (the step kills below are the exhaustive part)
[ -n "${KILLS:-}" ] && N=$KILLS
seed=${RSEED:-1}
t0=$(date +%s)
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "SKIP output_atomicity: gnuplot is not installed (apt-get install gnuplot-nox)"
    exit 0
fi

rand() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); R=$(((seed / 65536) % $1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Every funnel run gets its own TMPDIR, so gnuplot scratch directories left
# by a kill can be counted.
mkdir -p "$T/tmp"
export TMPDIR="$T/tmp"

CHARTS="funnel conversion time-in-stage dropouts touches trend"   # trend: report's default --trend week, drawn by chart too
CFILES=""
for c in $CHARTS; do CFILES="$CFILES $c.tsv $c.gp $c.png"; done
# money and aging: drawn by both (the generated log has amounts and open
# deals); `chart REPORT.json` labels money through a JSON double
# (docs/CHARTS.md), so its own set, NEWC, is the new version for chart.
XFILES=""
for c in money aging; do XFILES="$XFILES $c.tsv $c.gp $c.png"; done
RFILES="report.json index.html$CFILES$XFILES"

"$FUNNEL" gen --entities 20000 --events 300000 --seed 1 >"$T/a.csv"
"$FUNNEL" gen --entities 2000 --events 30000 --seed 2 --start 2026-06-01 >"$T/b.csv"
ok=1
"$FUNNEL" append -q "$T/log.flog" "$T/a.csv" || ok=0
"$FUNNEL" report "$T/log.flog" -o "$T/OLD" >/dev/null || ok=0
"$FUNNEL" append -q "$T/log.flog" "$T/b.csv" || ok=0
t1=$(now_ms)
"$FUNNEL" report "$T/log.flog" -o "$T/NEW" >/dev/null || ok=0
T_REPORT=$(($(now_ms) - t1))
t1=$(now_ms)
"$FUNNEL" replay "$T/log.flog" --trend week -o "$T/new.json" || ok=0   # report's default trend (docs/DECISIONS.md, "The page v2")
T_REPLAY=$(($(now_ms) - t1))
t1=$(now_ms)
"$FUNNEL" chart "$T/NEW/report.json" -o "$T/NEWC" >/dev/null || ok=0
T_CHART=$(($(now_ms) - t1))
cmp -s "$T/new.json" "$T/NEW/report.json" || ok=0
differ=0
for f in $RFILES; do
    [ -s "$T/OLD/$f" ] && [ -s "$T/NEW/$f" ] || ok=0
    cmp -s "$T/OLD/$f" "$T/NEW/$f" || differ=$((differ + 1))
    case $f in *.png)
        for v in OLD NEW; do
            [ "$(tail -c 8 "$T/$v/$f" | od -An -c | tr -d ' ')" = 'IEND256B`202' ] || ok=0
        done ;;
    esac
done
for f in $CFILES aging.tsv aging.gp; do cmp -s "$T/NEW/$f" "$T/NEWC/$f" || ok=0; done
for f in $XFILES; do [ -s "$T/NEWC/$f" ] || ok=0; done
[ "$(ls -A "$T/tmp" | wc -l)" -eq 0 ] || ok=0
if [ "$ok" = 1 ] && [ "$differ" -ge 21 ] && ! cmp -s "$T/OLD/report.json" "$T/NEW/report.json"; then
    pass "output_setup[$differ of $(echo $RFILES | wc -w) files differ; report ${T_REPORT} ms, replay ${T_REPLAY} ms, chart ${T_CHART} ms]"
else
    fail output_setup "references not made (ok=$ok, $differ files differ)"
    exit 0
fi

# classify DIR FILE... : compare each output file to its OLD and NEW
# version (NEW: $REF, the set of the command run: NEW, or NEWC for chart);
# updates the counters and sets nold/nnew for this run.
REF=$T/NEW
checked=0 n_old=0 n_new=0 partial=0 missing=0 unknown=0 stray=0
classify() {
    d=$1; shift
    nold=0 nnew=0 new_index_html=0 new_report_json=0 oldcharts=0
    for f in "$@"; do
        checked=$((checked + 1))
        if [ ! -e "$d/$f" ]; then
            missing=$((missing + 1)); fail "output[$i:$cmd]" "$f is missing"
        elif cmp -s "$d/$f" "$REF/$f"; then
            n_new=$((n_new + 1)); nnew=$((nnew + 1))
            case $f in index.html) new_index_html=1 ;; report.json) new_report_json=1 ;; esac
        elif cmp -s "$d/$f" "$T/OLD/$f"; then
            n_old=$((n_old + 1)); nold=$((nold + 1))
            case $f in index.html|report.json) ;; *) oldcharts=$((oldcharts + 1)) ;; esac
        else
            partial=$((partial + 1))
            fail "output[$i:$cmd]" "$f is neither the old nor the new file ($(wc -c <"$d/$f") bytes; old $(wc -c <"$T/OLD/$f"), new $(wc -c <"$REF/$f"))"
        fi
    done
    for f in $(ls -A "$d"); do
        case " $* " in *" $f "*) continue ;; esac
        case $f in
        *.tmp.??????) stray=$((stray + 1)) ;;
        *) unknown=$((unknown + 1)); fail "output[$i:$cmd]" "unexpected file $f" ;;
        esac
    done
}

# reset CMD : the output of CMD back to the OLD files, TMPDIR empty.
reset() {
    rm -rf "$T/D" "$T/D.v" "$T/tmp"
    mkdir -p "$T/D" "$T/tmp"
    case $1 in
    report) cp "$T/OLD"/* "$T/D/" ;;
    replay) cp "$T/OLD/report.json" "$T/D/" ;;
    chart) for f in $CFILES $XFILES; do cp "$T/OLD/$f" "$T/D/"; done ;;
    esac
}

# start CMD [PREFIX...] : run CMD (writing into $T/D) in the background.
start() {
    c=$1; shift
    case $c in
    report) "$@" "$FUNNEL" report "$T/log.flog" -o "$T/D" >/dev/null 2>"$T/run.err" & ;;
    replay) "$@" "$FUNNEL" replay "$T/log.flog" --trend week -o "$T/D/report.json" >/dev/null 2>"$T/run.err" & ;;
    chart) "$@" "$FUNNEL" chart "$T/NEW/report.json" -o "$T/D" >/dev/null 2>"$T/run.err" & ;;
    esac
    pid=$!
}

# check : after a run of $cmd that exited with $rc, check its output.
killed=0 completed=0 mixed=0 report_mixed=0 order=0 gpdirs=0 badexit=0
check() {
    if [ "$rc" -eq 137 ]; then killed=$((killed + 1));
    elif [ "$rc" -eq 0 ]; then completed=$((completed + 1));
    else badexit=$((badexit + 1)); fail "output[$i:$cmd]" "exit $rc: $(head -c 300 "$T/run.err" | tr '\n' ' ')"; fi
    case $cmd in
    report) REF=$T/NEW; classify "$T/D" $RFILES ;;
    replay) REF=$T/NEW; classify "$T/D" report.json ;;
    chart) REF=$T/NEWC; classify "$T/D" $CFILES $XFILES ;;
    esac
    [ "$nold" -gt 0 ] && [ "$nnew" -gt 0 ] && mixed=$((mixed + 1))
    if [ "$cmd" = report ] && [ "$nold" -gt 0 ] && [ "$nnew" -gt 0 ]; then
        report_mixed=$((report_mixed + 1))
        fail "output[$i:report]" "a mixed set: $nold files old, $nnew new"
    fi
    if [ "$cmd" = report ]; then
        # The page last: a new page means all is new.  The charts first: a
        # new report.json means every chart file is new.
        newer_page=$new_index_html newer_json=$new_report_json
        if { [ "$newer_page" = 1 ] && [ "$nold" -gt 0 ]; } ||
           { [ "$newer_json" = 1 ] && [ "$oldcharts" -gt 0 ]; }; then
            order=$((order + 1))
            fail "output[$i:report]" "published out of order: page new=$newer_page, report.json new=$newer_json, $nold files old"
        fi
    fi
    gpdirs=$((gpdirs + $(ls -A "$T/tmp" | wc -l)))
}

# --- random kills.
runs_report=0 runs_replay=0 runs_chart=0
i=1
while [ "$i" -le "$N" ]; do
    case $((i % 5)) in
    3) cmd=replay; tms=$T_REPLAY; runs_replay=$((runs_replay + 1)) ;;
    4) cmd=chart; tms=$T_CHART; runs_chart=$((runs_chart + 1)) ;;
    *) cmd=report; tms=$T_REPORT; runs_report=$((runs_report + 1)) ;;
    esac
    reset $cmd
    rand $((tms * 11 / 10 + 1))
    start $cmd
    sleep "$((R / 1000)).$(printf '%03d' $((R % 1000)))"
    kill -9 "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null   # (no "Killed" line from the shell)
    rc=$?
    check
    i=$((i + 1))
done
r_killed=$killed r_completed=$completed r_mixed=$mixed r_stray=$stray

# --- a kill at every step: strace kills funnel (SIGKILL) on entering its
# K-th write, fsync or rename, for K = 1, 2, ... until a run completes, for
# each command.  Random kills rarely land in the few milliseconds of
# writing; this covers every one of them.  gnuplot is replaced by a
# stand-in that copies the NEW chart, so that a step takes ~0.1 s.
mkdir -p "$T/fast"
cat >"$T/fast/gnuplot" <<EOF
#!/bin/sh
out=\$(printf "%s" "\$3" | sed "s/.*outfile=.\(.*\)./\1/")
cp "$T/NEW/\${4%%.gp.tmp.*}.png" "\$out"
EOF
chmod +x "$T/fast/gnuplot"
steps=0 steps_desc=""
if command -v strace >/dev/null 2>&1; then
    for cmd in $STEP_CMDS; do
        for sc in write fsync rename; do
            k=1
            while :; do
                i="$sc:$k"
                reset $cmd
                # LeakSanitizer cannot run under ptrace (make asan): it
                # would fail the completed run with exit 1.
                PATH="$T/fast:$PATH" \
                ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
                start $cmd strace -qq -o /dev/null -e trace=$sc \
                    -e inject=$sc:signal=KILL:when=$k
                { wait "$pid"; } 2>/dev/null
                rc=$?
                check
                [ "$rc" -eq 137 ] || break
                steps=$((steps + 1))
                [ $k -ge 500 ] && { fail "output[$cmd:$i]" "no end"; break; }
                k=$((k + 1))
            done
            steps_desc="$steps_desc, $cmd/$sc $((k - 1))"
        done
    done
    steps_desc="step kills $steps (${steps_desc#, }), "
else
    echo "SKIP output_steps: strace is not installed (apt-get install strace)"
fi

# --- fault variant: gnuplot fails, or writes a truncated PNG (a valid
# 1200x800 header, then nothing) and exits 0.  The previous charts stay.
mkdir -p "$T/bin"
printf '#!/bin/sh\necho broken >&2\nexit 1\n' >"$T/bin/fails"
# outfile='NAME.png.tmp.XXXXXX' is in the third argument; gnuplot runs in DIR.
cat >"$T/bin/truncates" <<EOF
#!/bin/sh
out=\$(printf "%s" "\$3" | sed "s/.*outfile=.\(.*\)./\1/")
head -c 4000 "$T/NEW/funnel.png" >"\$out"
exit 0
EOF
chmod +x "$T/bin/fails" "$T/bin/truncates"
faults=0 faults_bad=0
for g in fails truncates; do
    for c in chart report; do
        cp "$T/bin/$g" "$T/bin/gnuplot"
        rm -rf "$T/F" "$T/F.v"
        mkdir -p "$T/F"
        cp "$T/OLD"/* "$T/F/"
        if [ $c = chart ]; then
            PATH="$T/bin:$PATH" run "$FUNNEL" chart "$T/NEW/report.json" -o "$T/F"
        else
            PATH="$T/bin:$PATH" run "$FUNNEL" report "$T/log.flog" -o "$T/F"
        fi
        bad=""
        if [ $c = chart ]; then kept=$T/F; else kept=$T/F.v/previous; fi
        for f in $CFILES $XFILES; do cmp -s "$kept/$f" "$T/OLD/$f" || bad="$bad $f"; done
        # report: the new set has no charts (its page says so).
        [ $c = report ] && for f in $CFILES $XFILES; do [ -e "$T/F/$f" ] && bad="$bad new:$f"; done
        left=$(ls -A "$T/F" | grep '\.tmp\.' | head -3 | tr '\n' ' ')
        faults=$((faults + 1))
        if [ "$RC" -eq 5 ] && [ -z "$bad" ] && [ -z "$left" ] &&
           { [ $c = chart ] || cmp -s "$T/F/report.json" "$T/NEW/report.json"; }; then
            pass "output_gnuplot_$g[$c]"
        else
            faults_bad=$((faults_bad + 1))
            fail "output_gnuplot_$g[$c]" "exit $RC; changed:$bad; temp left: $left; $(head -c 200 "$T/err")"
        fi
    done
done

took=$(($(date +%s) - t0))
summary="$N random kills (report $runs_report, replay $runs_replay, chart $runs_chart; killed $r_killed, completed $r_completed; mixed old/new sets $r_mixed, temp files left $r_stray), ${steps_desc}files checked $checked (old $n_old, new $n_new), partial $partial, missing $missing, unexpected files $unknown, out of order $order; in all: mixed old/new sets $mixed (of report $report_mixed), temp files left $stray (NAME.tmp.XXXXXX in the output directory), gnuplot scratch dirs left in TMPDIR $gpdirs; gnuplot faults $faults (exit 1, truncated PNG; chart and report), previous charts not kept $faults_bad; ${took} s"
if [ $partial -eq 0 ] && [ $missing -eq 0 ] && [ $unknown -eq 0 ] && [ $order -eq 0 ] && [ $badexit -eq 0 ] &&
   [ $report_mixed -eq 0 ] &&
   [ $faults_bad -eq 0 ]; then
    pass "output_atomicity: $summary"
else
    fail output_atomicity "$summary"
fi
