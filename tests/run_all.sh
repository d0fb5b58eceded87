#!/bin/sh
# run_all.sh - run every unit test binary and every CLI test script, then print
# the summary line "N passed, N failed" (N counts individual test cases).
# Every line the tests print (the PASS lines too, which carry the figures
# that docs/RELIABILITY.md quotes) is kept in UNIT_DIR/../test-output.log.
# Env: FUNNEL (binary under test), UNIT_DIR (cmocka binaries); TZ and
# LC_ALL default to UTC and C but are kept when set, so the whole suite can
# be run under another zone or locale (issue 4:
# `TZ=Pacific/Chatham LC_ALL=C.UTF-8 make test`).
set -u
cd "$(dirname "$0")/.."
: "${FUNNEL:?}" "${UNIT_DIR:?}"
LC_ALL=${LC_ALL:-C} TZ=${TZ:-UTC}
export FUNNEL LC_ALL TZ
times=$(mktemp)
results=$(mktemp)
trap 'rm -f "$results" "$times"' EXIT
log=$(cd "$UNIT_DIR/.." && pwd)/test-output.log
: >"$log"

for t in "$UNIT_DIR"/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" >>"$log"
    printf '%s\n' "$out" | grep -E '^\[ +(OK|FAILED) +\] [^0-9]' | tee -a "$results" | grep FAILED
    # A crash before cmocka's summary counts as one failure of the binary.
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^\[  FAILED  \]'; then
        echo "[  FAILED  ] $(basename "$t") crashed (exit $rc)" | tee -a "$results"
        printf '%s\n' "$out" | tail -n 20
    fi
done

for t in tests/cli/t_*.sh; do
    [ -f "$t" ] || continue
    t0=$(date +%s)
    echo "=== $t" >>"$log"
    sh "$t" 2>&1 | tee -a "$results" "$log" | grep -E '^(FAIL|SKIP)'
    echo "$(($(date +%s) - t0)) $(basename "$t")" >>"$times"
    echo "=== $t: $(($(date +%s) - t0)) s" >>"$log"
done

# Where the time went (the slowest scripts), before the summary line.
echo "every line printed: $log"
echo "slowest: $(sort -rn "$times" | head -n 5 | awk '{ printf "%s%s %ss", sep, $2, $1; sep = ", " }')"

pass=$(grep -cE '^(\[ +OK +\]|PASS )' "$results")
fail=$(grep -cE '^(\[ +FAILED +\]|FAIL )' "$results")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
