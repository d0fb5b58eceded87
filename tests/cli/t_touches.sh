# t_touches.sh - --touches (docs/METRICS.md §4.22, docs/FORMAT.md §14.11):
# the worked example; threads 1..3 byte-identical; the merge of `partial
# --touches` of every shard equals `replay --touches` (default and
# explicit as_of); partials with and without --touches refuse to merge;
# without --touches the report has no touch key, and with it every other
# key is unchanged; the cap on combinations is a usage error
# naming the counts; hostile touch names reach the JSON exactly; --text
# prints the lift table.
. "$(dirname "$0")/lib.sh"

# --- the worked example (fixtures/cases/touch_lift)
C=$FIX/cases/touch_lift
"$FUNNEL" append -q "$T/c.flog" "$C/events.csv" || fail tc_setup "append failed"
# shellcheck disable=SC2046
run "$FUNNEL" replay "$T/c.flog" $(cat "$C/args")
cp "$T/out" "$T/c.json"
run "$FUNNEL" check "$T/c.json" "$C/expected.json"
expect_rc tc_case 0

# --- a generated log with touches, a lost and a stale entity
"$FUNNEL" gen --entities 400 --seed 11 >"$T/g.csv"
cat >"$T/x.csv" <<'XEOF'
time,entity,stage,channel,touch,outcome
2026-01-02,x-lost,prospect,sales,"say ""hi"", then call",lost
2026-01-03,x-utf8,suspect,marketing,café ☕ 日本,
2026-01-04,x-utf8,prospect,sales,"comma,touch",
2026-01-05,x-none,suspect,marketing,,
XEOF
"$FUNNEL" append -q "$T/L.flog" "$T/g.csv" && "$FUNNEL" append -q "$T/L.flog" "$T/x.csv" ||
    fail tt_setup "append failed"

for t in 1 2 3; do
    "$FUNNEL" replay "$T/L.flog" --touches --threads $t -o "$T/th$t.json" || fail "tt_threads_$t" "replay failed"
done
expect_same tt_threads_2 "$T/th1.json" "$T/th2.json"
expect_same tt_threads_3 "$T/th1.json" "$T/th3.json"

# hostile names: exact bytes through jansson (quotes, commas, UTF-8)
if grep -qF '"touch": "say \"hi\", then call"' "$T/th1.json" && grep -qF '"touch": "café ☕ 日本"' "$T/th1.json" &&
    grep -qF '"touch": "comma,touch"' "$T/th1.json" && grep -qF '"touch": "(none)"' "$T/th1.json"; then
    pass tt_hostile_names; else fail tt_hostile_names "a touch name is missing or altered"; fi

# --- partial --touches of every shard, merged = replay --touches
"$FUNNEL" shard -q "$T/L.flog" -o "$T/S" --shards 3 || fail tt_shard "funnel shard failed"
for asof in "" "--as-of 2026-02-01"; do
    name=tt_merge_default
    [ -n "$asof" ] && name=tt_merge_as_of
    ok=1
    for i in 0 1 2; do
        # shellcheck disable=SC2086
        "$FUNNEL" partial "$T/S" --shard $i/3 --touches $asof --threads $((i + 1)) -o "$T/p$i" || ok=0
    done
    # shellcheck disable=SC2086
    "$FUNNEL" replay "$T/L.flog" --touches $asof -o "$T/r.json" || ok=0
    "$FUNNEL" merge --partial "$T/p2" "$T/p0" -o "$T/p20" && "$FUNNEL" merge "$T/p1" "$T/p20" -o "$T/m.json" || ok=0
    if [ $ok = 1 ]; then expect_same "$name" "$T/r.json" "$T/m.json"; else fail "$name" "a step failed"; fi
done
grep -q '"touch_lift"' "$T/m.json" && pass tt_merge_has_lift || fail tt_merge_has_lift "no touch_lift in the merge"

# with and without --touches do not merge (exit 3, naming the file)
"$FUNNEL" partial "$T/S" --shard 1/3 --as-of 2026-02-01 -o "$T/n1"
run "$FUNNEL" merge "$T/p0" "$T/n1" "$T/p2"
expect_rc tt_mixed_refused 3
expect_err tt_mixed_names "without --touches"

# a damaged touches section is refused (exit 4)
sz=$(wc -c <"$T/p0")
cp "$T/p0" "$T/bad"
printf '\377' | dd of="$T/bad" bs=1 seek=$((sz - 3)) conv=notrunc 2>/dev/null
run "$FUNNEL" merge "$T/bad" "$T/p1" "$T/p2"
expect_rc tt_damaged_refused 4

# --- without --touches: no new key
"$FUNNEL" replay "$T/L.flog" -o "$T/plain.json"
if grep -q 'touch_types\|touch_lift' "$T/plain.json"; then fail tt_off_no_keys "touch keys without --touches"; else
    pass tt_off_no_keys; fi
# --touches adds its keys and changes no other number: the report with it,
# its touch keys taken out, is the plain report value for value.
if command -v python3 >/dev/null 2>&1; then
    "$FUNNEL" replay "$T/L.flog" --touches -o "$T/with.json"
    if python3 - "$T/with.json" "$T/plain.json" <<'PY'
import json, sys
w = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
w.pop("touch_lift", None)
for s in w["stages"]:
    s.pop("touch_types", None)
sys.exit(0 if w == p else 1)
PY
    then pass tt_off_rest_unchanged; else fail tt_off_rest_unchanged "--touches changed other keys"; fi
fi

# --- the cap: 1,024 combinations (docs/DECISIONS.md)
awk 'BEGIN { print "time,entity,stage,channel,touch"
             for (i = 0; i < 90; i++) printf "2026-01-%02d,e%d,suspect,marketing,t%d\n", i % 28 + 1, i, i }' >"$T/many.csv"
"$FUNNEL" append -q "$T/many.flog" "$T/many.csv"
run "$FUNNEL" replay "$T/many.flog" --touches
expect_rc tt_cap_usage 2
expect_err tt_cap_message "--touches: 7 stages x 2 channels x 91 touch types = 1,274 combinations, more than 1,024"
run "$FUNNEL" replay "$T/many.flog" --touches --stages suspect,won
expect_rc tt_cap_fits 0

# --- --text: the lift table
run "$FUNNEL" replay "$T/c.flog" --stages lead,demo,won --as-of 2026-03-01 --touches --text
expect_out tt_text_header "touch lift: closed win rate"
expect_out tt_text_row "call"
run "$FUNNEL" replay "$T/c.flog" --stages lead,demo,won --as-of 2026-03-01 --text
if grep -q "touch lift" "$T/out"; then fail tt_text_off "lift table without --touches"; else pass tt_text_off; fi
