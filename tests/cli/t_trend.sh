# t_trend.sh - --trend and activity (docs/METRICS.md §4.15-§4.16): the worked
# example by hand (fixtures/cases/trend_week), a trend whose as_of is exactly
# the start of a period (that period is listed), bad --trend/--period values
# (exit 2 naming the option, for replay, report and partial), too many
# periods (exit 2), --text with signed changes, the same bytes for --threads
# 1..4, and partial+merge equal to replay with the default as_of (stale
# moments of undecided entities judged at the merge) and refusing partials of
# another --trend or --period (exit 3).
. "$(dirname "$0")/lib.sh"

C=$FIX/cases/trend_week
"$FUNNEL" append -q "$T/w.flog" "$C/events.csv" || fail tr_setup "append failed"
# shellcheck disable=SC2046 # args are words without spaces
run "$FUNNEL" replay "$T/w.flog" $(cat "$C/args") -o "$T/w.json"
expect_rc tr_worked_example_rc 0
run "$FUNNEL" check "$T/w.json" "$C/expected.json"
expect_rc tr_worked_example_matches 0

# as_of exactly on a Monday 00:00: the week it opens is the last listed,
# and an event at that instant counts in it (periods are [start, next)).
cat >"$T/b.csv" <<'CSV'
time,entity,stage,channel
2026-01-01,a,lead,marketing
2026-01-05T00:00:00Z,b,lead,marketing
CSV
"$FUNNEL" append -q "$T/b.flog" "$T/b.csv"
run "$FUNNEL" replay "$T/b.flog" --stages lead,won --trend week
expect_out tr_boundary_first_week '"period": "2026-W01"'
expect_out tr_boundary_as_of_week '"period": "2026-W02"'
cp "$T/out" "$T/b.json"
run "$FUNNEL" check "$T/b.json" /dev/stdin <<'JSON'
{"trend": {"periods": [{"period": "2026-W01", "start": "2025-12-29T00:00:00Z", "entered": 1},
                       {"period": "2026-W02", "start": "2026-01-05T00:00:00Z", "entered": 1}]},
 "activity": {"current": {"entered": 2}}}
JSON
expect_rc tr_boundary_counts 0

# Bad values: exit 2 naming the option, nothing written.
for cmd in replay report partial; do
    for bad in "--trend year" "--trend Week" "--trend" "--period 0" "--period 7x" "--period"; do
        opt=${bad%% *}
        case $cmd in
        replay) set -- replay "$T/w.flog" ;;
        report) set -- report "$T/w.flog" -o "$T/rep" ;;
        partial) set -- partial "$T/nodir" --shard 0/1 -o "$T/part" ;;
        esac
        # shellcheck disable=SC2086
        run "$FUNNEL" "$@" $bad
        if [ "$RC" -eq 2 ] && grep -qF -- "$opt" "$T/err" && [ ! -e "$T/part" ] && [ ! -e "$T/rep" ]; then
            pass "tr_bad_value[$cmd $bad]"
        else fail "tr_bad_value[$cmd $bad]" "exit $RC: $(head -c 200 "$T/err")"; fi
    done
done

# More than 10,000 periods: a usage error naming --trend.
printf 'time,entity,stage,channel\n1990-01-01,a,lead,marketing\n2026-01-01,b,lead,marketing\n' >"$T/long.csv"
"$FUNNEL" append -q "$T/long.flog" "$T/long.csv"
run "$FUNNEL" replay "$T/long.flog" --stages lead,won --trend day -o "$T/long.json"
if [ "$RC" -eq 2 ] && grep -qF -- "--trend day" "$T/err" && [ ! -e "$T/long.json" ]; then pass tr_too_many_periods; else
    fail tr_too_many_periods "exit $RC: $(head -c 200 "$T/err")"; fi
run "$FUNNEL" replay "$T/long.flog" --stages lead,won --trend month
expect_rc tr_months_fit 0

# --text: this period against the last with signed changes, and the trend.
# shellcheck disable=SC2046
run "$FUNNEL" replay "$T/w.flog" $(cat "$C/args") --text
expect_out tr_text_activity "activity: the 2w to as_of against the 2w before"
if grep -Eq '^went stale +0 +1 +-1$' "$T/out" && grep -Eq '^entered +1 +0 +\+1$' "$T/out"; then
    pass tr_text_signed_changes; else fail tr_text_signed_changes "$(grep -E '^(entered|went)' "$T/out")"; fi
if grep -Eq '^2026-W07 +0 +0 +0 +0 +1$' "$T/out"; then pass tr_text_trend_row; else
    fail tr_text_trend_row "$(grep W07 "$T/out")"; fi

# Threads and shards: the same bytes.
"$FUNNEL" gen --entities 3000 --seed 5 >"$T/g.csv"
"$FUNNEL" gen --entities 1000 --seed 6 --start 2026-03-01 >"$T/h.csv"
# One late event: its shard's latest event is the set's, so the other
# shards' entities that only the set's as_of makes stale stay undecided.
printf 'time,entity,stage,channel\n2027-09-01,late-one,suspect,marketing\n' >"$T/late.csv"
"$FUNNEL" append -q "$T/g.flog" "$T/g.csv" && "$FUNNEL" append -q "$T/g.flog" "$T/h.csv" &&
    "$FUNNEL" append -q "$T/g.flog" "$T/late.csv"
"$FUNNEL" shard -q "$T/g.flog" -o "$T/S" --shards 5
for o in "--trend week --period 10d --stale-after 7d" "--trend day --as-of 2026-02-15 --period 5d" \
         "--trend month --period 30d" "--period 3d"; do
    # shellcheck disable=SC2086
    "$FUNNEL" replay "$T/g.flog" $o --threads 1 -o "$T/t1.json"
    same=1
    for n in 2 3 4; do
        # shellcheck disable=SC2086
        "$FUNNEL" replay "$T/g.flog" $o --threads $n -o "$T/tn.json"
        cmp -s "$T/t1.json" "$T/tn.json" || same=0
    done
    if [ $same = 1 ]; then pass "tr_threads[$o]"; else fail "tr_threads[$o]" "--threads 2..4 differ from 1"; fi
    rm -rf "$T/P" && mkdir "$T/P"
    for i in 0 1 2 3 4; do
        # shellcheck disable=SC2086
        "$FUNNEL" partial "$T/S" --shard $i/5 $o --threads $((i % 2 + 1)) -o "$T/P/p$i"
    done
    "$FUNNEL" merge --partial "$T/P/p3" "$T/P/p1" -o "$T/P/a" && "$FUNNEL" merge --partial "$T/P/p0" "$T/P/p4" -o "$T/P/b" &&
        "$FUNNEL" merge "$T/P/b" "$T/P/p2" "$T/P/a" -o "$T/m.json"
    expect_same "tr_merge_tree[$o]" "$T/t1.json" "$T/m.json"
done
# The default as_of with --stale-after 7d must leave undecided entities in
# some shard whose stale moment only the merge can place (else the check
# above could not fail on that path).
"$FUNNEL" replay "$T/g.flog" --trend week --stale-after 7d -o "$T/all.json"
und=0
for i in 0 1 2 3 4; do
    "$FUNNEL" replay "$(printf '%s/shard-%04d-of-0005.flog' "$T/S" $i)" --stale-after 7d -o "$T/one.json"
    s=$(awk '/"outcomes"/ { f = 1 } f && /"stale"/ { gsub(/[^0-9]/, ""); print; exit }' "$T/one.json")
    und=$((und + s))
done
want=$(awk '/"outcomes"/ { f = 1 } f && /"stale"/ { gsub(/[^0-9]/, ""); print; exit }' "$T/all.json")
if [ "$und" -lt "$want" ]; then pass tr_undecided_case_occurs; else
    fail tr_undecided_case_occurs "shards alone find $und stale, the set $want"; fi

# Partials of another --trend or --period are refused (exit 3), nothing written.
"$FUNNEL" partial "$T/S" --shard 0/5 --trend week -o "$T/q0"
"$FUNNEL" partial "$T/S" --shard 1/5 --trend month -o "$T/q1"
"$FUNNEL" partial "$T/S" --shard 2/5 --trend week --period 3d -o "$T/q2"
run "$FUNNEL" merge --partial "$T/q0" "$T/q1" -o "$T/q01"
if [ "$RC" -eq 3 ] && grep -qF -- "--trend month, not week" "$T/err" && [ ! -e "$T/q01" ]; then
    pass tr_refuse_other_trend; else fail tr_refuse_other_trend "exit $RC: $(head -c 200 "$T/err")"; fi
run "$FUNNEL" merge --partial "$T/q0" "$T/q2" -o "$T/q02"
if [ "$RC" -eq 3 ] && grep -qF -- "--period 259200s" "$T/err" && [ ! -e "$T/q02" ]; then
    pass tr_refuse_other_period; else fail tr_refuse_other_period "exit $RC: $(head -c 200 "$T/err")"; fi
