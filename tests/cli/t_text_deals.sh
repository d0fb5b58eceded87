# t_text_deals.sh - the deal metrics of `replay --text` (docs/METRICS.md
# §4.19-§4.20, layout in docs/DECISIONS.md "Numbers in --text"): golden
# text of the two deal cases (the value block, the velocity formula with
# its numbers, the deals-by-stage table, the groups' won and open value,
# and "-" for every null they hold), then the lines a golden does not
# show: thousands separators past 2^64 units, and velocity null for a
# median time to win of 0.
. "$(dirname "$0")/lib.sh"

for c in money_weighted km_censored; do
    rm -f "$T/c.flog"
    "$FUNNEL" append -q "$T/c.flog" "$FIX/cases/$c/events.csv" || fail "text_golden_setup[$c]" "append"
    set -f
    # shellcheck disable=SC2046
    run "$FUNNEL" replay "$T/c.flog" $(cat "$FIX/cases/$c/args") --text
    set +f
    expect_rc "text_golden_rc[$c]" 0
    expect_same "text_golden[$c]" "$T/out" "$FIX/cases/$c/expected.txt"
done

# One deal won the moment it entered (median time to win 0), worth more
# than 2^64 units of 1e-9; one open deal with 3 fraction digits.
cat >"$T/big.csv" <<'CSV'
time,entity,stage,channel,outcome,amount
2026-01-02,W,lead,sales,,
2026-01-02,W,won,sales,,123456789012345.678
2026-01-03,O,lead,sales,,1234567.5
2026-01-04,O,lead,sales,,2000.125
CSV
"$FUNNEL" append -q "$T/big.flog" "$T/big.csv" || fail text_big_setup "append"
run "$FUNNEL" replay "$T/big.flog" --stages lead,won --as-of 2026-01-10 --text
expect_out text_money_separators "  won       123,456,789,012,345.678             1           0"
expect_out text_open_value_separators "  open                 2,000.125             1           0"
expect_out text_avg_won_cents "avg won 123,456,789,012,345.67 "
expect_out text_velocity_median_zero "velocity - = 1 open x 100.0% win rate (closed) x 123,456,789,012,345.67 avg won / 0.0 days to win  (- : the median is 0)"
expect_out text_days_below_ten "lead          2,000.125   100.0%  [20.7%, 100.0%]        1       7.0       7.0            1        0.0        -          0.0"

# value(e) at one time is the largest amount (docs/METRICS.md §4.19), by
# the ranking of the whole amount dictionary: 300 open deals, each with two
# amounts at the same second, 600 distinct in no order; every deal's first
# amount comes before any second one, so the two are 300 dictionary ids
# apart and only a whole sort of the dictionary ranks them right.  And 5.5
# against 5.50: equal values, which add the same whichever is kept (the
# sum has 2 fraction digits either way).
awk 'BEGIN {
    print "time,entity,stage,channel,outcome,amount"
    srand(11)
    for (e = 0; e < 300; e++) {
        a[e] = int(rand() * 900000) * 600 + 2 * e + 100; b[e] = int(rand() * 900000) * 600 + 2 * e + 101
        want += a[e] > b[e] ? a[e] : b[e]
    }
    for (e = 0; e < 300; e++)
        printf "2026-01-02T10:00:00Z,D%03d,lead,sales,,%d.%02d\n", e, a[e] / 100, a[e] % 100
    for (e = 0; e < 300; e++)
        printf "2026-01-02T10:00:00Z,D%03d,lead,sales,,%d.%02d\n", e, b[e] / 100, b[e] % 100
    print "2026-01-02T10:00:00Z,T,lead,sales,,5.5"
    print "2026-01-02T10:00:00Z,T,lead,sales,,5.50"
    want += 550
    printf "%d.%02d\n", want / 100, want % 100 > "/dev/stderr"
}' >"$T/ties.csv" 2>"$T/ties.want"
"$FUNNEL" append -q "$T/ties.flog" "$T/ties.csv" || fail value_ties_setup "append"
run "$FUNNEL" replay "$T/ties.flog" --stages lead,won --as-of 2026-01-03 --threads 2
want=$(cat "$T/ties.want")
if grep -q "^    \"open\": $want,\$" "$T/out"; then pass value_ties_largest; else fail value_ties_largest "value.open is not $want: $(grep '^    "open":' "$T/out")"; fi
