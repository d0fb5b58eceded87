# t_explain.sh - `funnel explain` (docs/METRICS.md §4.21): golden text and
# JSON of a hand-made log; the rule in words for won, lost, stale, open and
# not counted (all unmapped, all after as_of: exit 0); the status agrees
# with `entities` for every listed entity; an id not in the log is exit 3
# with the closest ids; bad options exit 2 naming the option; a damaged log
# exits 4.
. "$(dirname "$0")/lib.sh"

L=$FIX/lists
O="--stages lead,qualified,proposal,won --as-of 2026-04-01"
"$FUNNEL" append -q "$T/l.flog" "$L/deals.csv" || fail explain_setup "append deals.csv"

run "$FUNNEL" explain "$T/l.flog" acme $O
expect_rc explain_text_rc 0
expect_same explain_text_golden "$T/out" "$L/explain_acme.golden.txt"
run "$FUNNEL" explain "$T/l.flog" hotel $O
if grep -q '^value        250\.10$' "$T/out"; then pass explain_value_tie; else
    fail explain_value_tie "$(grep '^value' "$T/out")"; fi
run "$FUNNEL" explain "$T/l.flog" echo $O --json
expect_same explain_json_golden "$T/out" "$L/explain_echo.golden.json"

rule() {   # NAME ENTITY TEXT [OPTIONS]: the rule line holds TEXT
    name=$1 ent=$2 text=$3; shift 3
    run "$FUNNEL" explain "$T/l.flog" "$ent" $O "$@"
    if [ "$RC" -eq 0 ] && grep -qF -- "rule         $text" "$T/out"; then pass "$name"; else
        fail "$name" "exit $RC: $(grep '^rule' "$T/out") $(head -c 300 "$T/err")"; fi
}
rule explain_won "beta, inc" "won: reached the last stage, won, on 2026-02-01"
rule explain_lost delta "lost: outcome lost on 2026-02-10, at or after its last touch 2026-02-10, at stage qualified"
rule explain_stale hotel "stale: last touch 2026-03-01, 31 days before as_of, over stale_after 30d at stage proposal"
rule explain_open acme "open: last touch 2026-03-30, 1.6 days before as_of, within stale_after 30d at stage proposal"
rule explain_stale_own "say \"hi\"" "open: last touch 2026-01-16, 74.5 days before as_of, within stale_after 84d at stage qualified" \
    --stale-after qualified=12w
rule explain_unmapped foxtrot "not counted: its 1 event is not at a stage of the funnel at or before as_of (1 at unmapped stages, 0 after as_of)"
rule explain_after golf "not counted: its 1 event is not at a stage of the funnel at or before as_of (0 at unmapped stages, 1 after as_of)"
run "$FUNNEL" explain "$T/l.flog" golf $O
expect_out explain_after_marked "[after as_of]"

# explain's status is the list's, entity by entity.
"$FUNNEL" entities "$T/l.flog" $O --sort entity -o "$T/list.csv"
ok=1
while IFS= read -r line; do
    ent=$(printf '%s\n' "$line" | python3 -c 'import csv,sys; r=next(csv.reader(sys.stdin)); print(r[0]+"\t"+r[1])')
    st=$("$FUNNEL" explain "$T/l.flog" "${ent%%	*}" $O --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$st" = "${ent#*	}" ] || { ok=0; fail explain_agrees_with_entities "${ent%%	*}: $st"; }
done <<EOF2
$(tail -n +2 "$T/list.csv")
EOF2
[ $ok = 1 ] && pass explain_agrees_with_entities

run "$FUNNEL" explain "$T/l.flog" ech $O
expect_rc explain_missing 3
expect_err explain_missing_closest 'no entity "ech" in the log; the closest ids (longest common prefix, then by bytes): "echo"'
run "$FUNNEL" explain "$T/l.flog" zulu $O
expect_rc explain_missing_none 3
expect_err explain_missing_none_msg "no id shares its first byte"

run "$FUNNEL" explain "$T/l.flog" $O
expect_rc explain_no_entity 2
run "$FUNNEL" explain "$T/l.flog" acme $O --jsn
expect_rc explain_bad_option 2
expect_err explain_bad_option_named "jsn"
run "$FUNNEL" explain "$T/l.flog" acme $O --attribution middle
expect_rc explain_bad_attribution 2
run "$FUNNEL" explain --help
expect_out explain_help "usage: funnel explain LOG ENTITY"

cp "$T/l.flog" "$T/bad.flog"
size=$(wc -c <"$T/bad.flog")
printf 'XXXX' | dd of="$T/bad.flog" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
run "$FUNNEL" explain "$T/bad.flog" acme $O
expect_rc explain_corrupt 4
