#!/bin/sh
# run_vg.sh - `make valgrind`: the functional CLI test scripts with $FUNNEL
# running under valgrind (memcheck: invalid reads and writes, uses of
# uninitialised values, bad frees, and definite or indirect leaks, each an
# error).  The kill, crash, concurrency, disk, scale and stress scripts are
# left out: valgrind changes their timing and memory figures and would take
# hours.  So are, by default, the sweeps t_torn_tail (3,032 funnel runs),
# t_rel_input (561) and t_rel_locale (628): each funnel run costs 0.5-1.5 s
# under valgrind here, so they alone would take about 1.5 hours; ASan (make
# asan) runs them.  VG_SCRIPTS="t_a t_b" picks the scripts.  A script
# fails when one of its checks fails or when valgrind reported anything for
# one of its funnel runs (the log is printed).
# Ends with "N passed, N failed" like `make test`.
# Env: FUNNEL (the real binary).
set -u
cd "$(dirname "$0")/../.."
: "${FUNNEL:?}"
SCRIPTS=${VG_SCRIPTS:-"t_commands t_bad_input t_properties t_fixtures t_check t_gen t_charts"}
command -v valgrind >/dev/null 2>&1 || { echo "FAIL valgrind: not installed (apt-get install valgrind)"; echo "0 passed, 1 failed"; exit 1; }
LC_ALL=${LC_ALL:-C} TZ=${TZ:-UTC}
FUNNEL_REAL=$(cd "$(dirname "$FUNNEL")" && pwd)/$(basename "$FUNNEL")
VG_LOGDIR=$(mktemp -d)
results=$(mktemp)
trap 'rm -rf "$VG_LOGDIR" "$results"' EXIT
VALGRIND=$(command -v valgrind)
export LC_ALL TZ FUNNEL_REAL VG_LOGDIR VALGRIND FUNNEL_UNDER_VALGRIND=1
export FUNNEL="$PWD/tests/valgrind/funnel-vg"
t0=$(date +%s)
runs=0 errs=0
for s in $SCRIPTS; do
    rm -f "$VG_LOGDIR"/vg.*.log "$VG_LOGDIR/runs"
    t1=$(date +%s)
    sh "tests/cli/$s.sh" 2>&1 | tee -a "$results" | grep -E '^(FAIL|SKIP)'
    n=$(cat "$VG_LOGDIR/runs" 2>/dev/null | wc -l)
    runs=$((runs + n))
    bad=0
    for l in "$VG_LOGDIR"/vg.*.log; do
        [ -s "$l" ] || continue
        bad=$((bad + 1))
        [ $bad -le 3 ] && head -n 40 "$l"
    done
    errs=$((errs + bad))
    if [ $bad -eq 0 ]; then echo "PASS valgrind[$s]: $n funnel runs, clean, $(($(date +%s) - t1)) s" | tee -a "$results"
    else echo "FAIL valgrind[$s]: $n funnel runs, $bad with valgrind errors" | tee -a "$results"; fi
done
echo "valgrind: $(echo $SCRIPTS | wc -w) scripts, $runs funnel runs, $errs with errors; $(($(date +%s) - t0)) s"
pass=$(grep -c '^PASS ' "$results")
fail=$(grep -c '^FAIL ' "$results")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
