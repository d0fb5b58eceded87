# lib.sh - helpers for CLI tests; source it from tests/cli/t_*.sh.
# Each check prints one line "PASS name" or "FAIL name: why"; run_all.sh counts
# them.  $FUNNEL is the binary under test; every script gets its own scratch
# directory $T, removed at exit.  Fixtures are under $FIX.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$ROOT/fixtures
: "${FUNNEL:=$ROOT/funnel}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export LC_ALL="${LC_ALL:-C}" TZ="${TZ:-UTC}"

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# run CMD... : run, capturing stdout/stderr into $T/out, $T/err and $? into RC.
run() { "$@" >"$T/out" 2>"$T/err"; RC=$?; }

# expect_rc NAME CODE : the last run exited with CODE.
expect_rc() {
    if [ "$RC" -eq "$2" ]; then pass "$1"; else
        fail "$1" "exit $RC, expected $2; stderr: $(head -c 400 "$T/err")"; fi
}

# expect_err NAME TEXT : the last run's stderr contains TEXT (fixed string).
expect_err() {
    if grep -qF -- "$2" "$T/err"; then pass "$1"; else
        fail "$1" "stderr lacks '$2': $(head -c 400 "$T/err")"; fi
}

# expect_out NAME TEXT : the last run's stdout contains TEXT.
expect_out() {
    if grep -qF -- "$2" "$T/out"; then pass "$1"; else
        fail "$1" "stdout lacks '$2': $(head -c 400 "$T/out")"; fi
}

# expect_same NAME FILE1 FILE2 : byte-identical files.
expect_same() {
    if cmp -s "$2" "$3"; then pass "$1"; else
        fail "$1" "$2 and $3 differ: $(diff "$2" "$3" | head -5 | tr '\n' ' ')"; fi
}
