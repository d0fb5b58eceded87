#!/bin/sh
# run_all.sh - run every unit test binary and every CLI test script, then print
# the summary line "N passed, N failed" (N counts individual test cases).
# Env: FUNNEL (binary under test), UNIT_DIR (cmocka binaries).
set -u
cd "$(dirname "$0")/.."
: "${FUNNEL:?}" "${UNIT_DIR:?}"
export FUNNEL LC_ALL=C TZ=UTC
results=$(mktemp)
trap 'rm -f "$results"' EXIT

for t in "$UNIT_DIR"/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^\[ +(OK|FAILED) +\] [^0-9]' | tee -a "$results" | grep FAILED
    # A crash before cmocka's summary counts as one failure of the binary.
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^\[  FAILED  \]'; then
        echo "[  FAILED  ] $(basename "$t") crashed (exit $rc)" | tee -a "$results"
        printf '%s\n' "$out" | tail -n 20
    fi
done

for t in tests/cli/t_*.sh; do
    [ -f "$t" ] || continue
    sh "$t" 2>&1 | tee -a "$results" | grep -E '^(FAIL|SKIP)'
done

pass=$(grep -cE '^(\[ +OK +\]|PASS )' "$results")
fail=$(grep -cE '^(\[ +FAILED +\]|FAIL )' "$results")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
