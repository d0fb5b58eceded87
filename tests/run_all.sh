#!/bin/sh
# run_all.sh - run the unit test binaries and CLI test scripts of one suite,
# then print the summary line "N passed, N failed" (N counts individual test
# cases).  The one runner behind make test, stress, asan, valgrind and
# test-tz (docs/RELIABILITY.md, "What runs where").
# Env:
#   FUNNEL    the binary under test;  UNIT_DIR  the cmocka binaries
#   SUITE     which tests (default all): the rules for it in tests/suites
#   TESTS     "NAME ..." instead of a suite: test_X binaries, t_X scripts
#   VALGRIND  1: every funnel run (through tests/valgrind/funnel-vg) and
#             every unit binary under valgrind memcheck; a test fails when
#             valgrind reported anything for it (its log is printed)
#   STRESS    1: the long sizes of the reliability scripts (make stress)
#   LIST      1: only print the names the suite selects
#   TZ, LC_ALL  default to UTC and C but are kept when set, so a suite can
#             run under another zone or locale (make test-tz)
# Every line the tests print (the PASS lines too, which carry the figures
# that docs/RELIABILITY.md quotes) is kept in UNIT_DIR/../test-output.log
# (test-output-SUITE.log for a suite other than all, so that suites can run
# side by side), with each test's time.
set -u
cd "$(dirname "$0")/.."
: "${FUNNEL:?}" "${UNIT_DIR:?}"
SUITE=${SUITE:-all}
LC_ALL=${LC_ALL:-C} TZ=${TZ:-UTC}
export FUNNEL LC_ALL TZ
t_start=$(date +%s)
times=$(mktemp)
results=$(mktemp)
VG_LOGDIR=""
trap 'rm -f "$results" "$times"; [ -z "$VG_LOGDIR" ] || rm -rf "$VG_LOGDIR"' EXIT
# selected NAME : whether NAME is in the suite (the last matching rule of
# tests/suites decides) or in $TESTS.
rules=$(awk -v s="$SUITE" '$1 == s { print $2 }' tests/suites)
if [ -z "${TESTS:-}" ] && [ -z "$rules" ]; then
    echo "run_all.sh: no suite '$SUITE' in tests/suites" >&2
    exit 2
fi
selected() {
    if [ -n "${TESTS:-}" ]; then
        case " $TESTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac
    fi
    sel=-
    for r in $rules; do
        # shellcheck disable=SC2254
        case $1 in ${r#?}) sel=${r%"${r#?}"} ;; esac
    done
    [ "$sel" = + ]
}

if [ "${LIST:-0}" = 1 ]; then
    for t in "$UNIT_DIR"/test_* tests/cli/t_*.sh; do
        n=$(basename "$t" .sh)
        selected "$n" && echo "$n"
    done
    exit 0
fi

case $SUITE in all) log=test-output.log ;; *) log=test-output-$SUITE.log ;; esac
log=$(cd "$UNIT_DIR/.." && pwd)/$log
: >"$log"

VG=""
if [ "${VALGRIND:-0}" = 1 ]; then
    VG=$(command -v valgrind) || {
        echo "FAIL valgrind: not installed (apt-get install valgrind)"; echo "0 passed, 1 failed"; exit 1; }
    VG_LOGDIR=$(mktemp -d)
    FUNNEL_REAL=$(cd "$(dirname "$FUNNEL")" && pwd)/$(basename "$FUNNEL")
    FUNNEL=$PWD/tests/valgrind/funnel-vg VALGRIND=$VG
    export FUNNEL FUNNEL_REAL VG_LOGDIR VALGRIND FUNNEL_UNDER_VALGRIND=1
fi

# vg_verdict NAME : in valgrind mode, FAIL NAME when a run under it left a
# non-empty log (the first three are printed); then empty the directory.
vg_verdict() {
    [ -n "$VG" ] || return 0
    nruns=$(cat "$VG_LOGDIR/runs" 2>/dev/null | wc -l)
    bad=0
    for l in "$VG_LOGDIR"/vg.*.log; do
        [ -s "$l" ] || continue
        bad=$((bad + 1))
        [ $bad -le 3 ] && head -n 40 "$l" | tee -a "$log" >&2
    done
    rm -f "$VG_LOGDIR"/vg.*.log "$VG_LOGDIR/runs"
    if [ $bad -eq 0 ]; then echo "PASS valgrind[$1]: $nruns runs, clean"
    else echo "FAIL valgrind[$1]: $nruns runs, $bad with valgrind errors"; fi | tee -a "$results" "$log"
}

nunit=0
for t in "$UNIT_DIR"/test_*; do
    [ -x "$t" ] && selected "$(basename "$t")" || continue
    nunit=$((nunit + 1))
    t0=$(date +%s)
    if [ -n "$VG" ]; then
        echo x >>"$VG_LOGDIR/runs"
        out=$("$VG" --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            -q --log-file="$VG_LOGDIR/vg.%p.log" "$t" 2>&1); rc=$?
    else
        out=$("$t" 2>&1); rc=$?
    fi
    printf '%s\n' "$out" >>"$log"
    printf '%s\n' "$out" | grep -E '^\[ +(OK|FAILED) +\] [^0-9]' | tee -a "$results" | grep FAILED
    # A crash before cmocka's summary counts as one failure of the binary.
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^\[  FAILED  \]'; then
        echo "[  FAILED  ] $(basename "$t") crashed (exit $rc)" | tee -a "$results"
        printf '%s\n' "$out" | tail -n 20
    fi
    vg_verdict "$(basename "$t")" | grep '^FAIL'
    echo "$(($(date +%s) - t0)) $(basename "$t")" >>"$times"
done

nscript=0
for t in tests/cli/t_*.sh; do
    [ -f "$t" ] && selected "$(basename "$t" .sh)" || continue
    nscript=$((nscript + 1))
    t0=$(date +%s)
    echo "=== $t" >>"$log"
    sh "$t" 2>&1 | tee -a "$results" "$log" | grep -E '^(FAIL|SKIP)'
    vg_verdict "$(basename "$t" .sh)" | grep '^FAIL'
    echo "$(($(date +%s) - t0)) $(basename "$t")" >>"$times"
    echo "=== $t: $(($(date +%s) - t0)) s" >>"$log"
done

# Where the time went (the slowest tests), before the summary line.
echo "suite $SUITE${TESTS:+ (TESTS=$TESTS)}${VG:+ under valgrind}${STRESS:+, STRESS=$STRESS}, TZ=$TZ LC_ALL=$LC_ALL: $nunit unit binaries, $nscript scripts, $(($(date +%s) - t_start)) s; every line printed: $log"
echo "slowest: $(sort -rn "$times" | head -n 5 | awk '{ printf "%s%s %ss", sep, $2, $1; sep = ", " }')"

pass=$(grep -cE '^(\[ +OK +\]|PASS )' "$results")
fail=$(grep -cE '^(\[ +FAILED +\]|FAIL )' "$results")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ $((nunit + nscript)) -gt 0 ]
