# t_fixtures.sh - every hand-computed case in fixtures/cases/NAME/: append
# events.csv to a fresh log, replay it with the arguments in args, and
# compare the report with expected.json using `funnel check` (exit 0).
# See fixtures/cases/README.md.
. "$(dirname "$0")/lib.sh"

n=0
for dir in "$FIX"/cases/*/; do
    dir=${dir%/}
    name=$(basename "$dir")
    for f in events.csv expected.json; do
        [ -f "$dir/$f" ] || fail "case[$name].files" "missing $f"
    done
    [ -f "$dir/events.csv" ] && [ -f "$dir/expected.json" ] || continue
    n=$((n + 1))
    rm -f "$T/case.flog"
    run "$FUNNEL" append -q "$T/case.flog" "$dir/events.csv"
    if [ "$RC" -ne 0 ]; then fail "case[$name]" "append exit $RC: $(head -c 300 "$T/err")"; continue; fi
    args=
    [ -f "$dir/args" ] && args=$(cat "$dir/args")
    set -f
    # shellcheck disable=SC2086
    run "$FUNNEL" replay "$T/case.flog" $args -o "$T/report.json"
    set +f
    if [ "$RC" -ne 0 ]; then fail "case[$name]" "replay $args: exit $RC: $(head -c 300 "$T/err")"; continue; fi
    run "$FUNNEL" check "$T/report.json" "$dir/expected.json"
    if [ "$RC" -eq 0 ]; then pass "case[$name]"; else
        fail "case[$name]" "check exit $RC: $(head -c 600 "$T/out" "$T/err" | tr '\n' ' ')"; fi
    # Order does not matter: the rows reversed give the same report.
    { head -n 1 "$dir/events.csv"; tail -n +2 "$dir/events.csv" | sed '1!G;h;$!d'; } >"$T/rev.csv"
    rm -f "$T/rev.flog"
    "$FUNNEL" append -q "$T/rev.flog" "$T/rev.csv" 2>/dev/null
    set -f
    # shellcheck disable=SC2086
    "$FUNNEL" replay "$T/rev.flog" $args -o "$T/rev.json" 2>/dev/null
    set +f
    expect_same "case[$name].reversed" "$T/report.json" "$T/rev.json"
done
if [ "$n" -ge 4 ]; then pass "cases_found[$n]"; else fail cases_found "only $n cases in $FIX/cases"; fi

# The comparison can fail: a changed count in an expected file is a
# difference (exit 1) that names the path.
dir=$FIX/cases/outcomes_3stage
rm -f "$T/case.flog"
"$FUNNEL" append -q "$T/case.flog" "$dir/events.csv" &&
    "$FUNNEL" replay "$T/case.flog" $(cat "$dir/args") -o "$T/report.json"
sed 's/"median_s": 1296000,/"median_s": 1296001,/' "$dir/expected.json" >"$T/drift.json"
if cmp -s "$dir/expected.json" "$T/drift.json"; then fail cases_drift_setup "sed changed nothing"; fi
run "$FUNNEL" check "$T/report.json" "$T/drift.json"
expect_rc cases_drift_detected 1
expect_out cases_drift_path "stages[1].time_in_stage.median_s"
