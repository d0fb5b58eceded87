# t_hardening_small.sh - small promises an adversarial trial found broken
# (docs/RELIABILITY.md, "Small promises"): a funnel file with a byte order
# mark, --stages with blanks around names and the hint for such unmapped
# stages, cat | append at the attribute limit, stage names isolated on the
# page, and range checks of the report `chart` reads.  Fast (< 30 s).
. "$(dirname "$0")/lib.sh"

D7="suspect,prospect,interested,engaged,evaluating,negotiating,purchasing"
"$FUNNEL" gen --entities 400 --seed 5 --days 90 --start 2026-01-01 -o "$T/e.csv"
"$FUNNEL" append -q "$T/l.flog" "$T/e.csv"
"$FUNNEL" replay "$T/l.flog" >"$T/want.json"

# --- a funnel file that starts with a UTF-8 byte order mark (Windows editors
# write one) names the same stages as without it (docs/METRICS.md §1).
{ printf '\357\273\277'; printf '%s\r\n' suspect prospect interested engaged evaluating \
    negotiating purchasing; } >"$T/bom.funnel"
run "$FUNNEL" replay "$T/l.flog" --funnel "$T/bom.funnel"
expect_rc funnel_file_bom_rc 0
expect_same funnel_file_bom_same_report "$T/want.json" "$T/out"
if grep -q "$(printf '\357\273\277')" "$T/out"; then
    fail funnel_file_bom_not_in_names "the report holds U+FEFF"
else pass funnel_file_bom_not_in_names; fi

# --- --stages trims blanks around names like a funnel file does.
run "$FUNNEL" replay "$T/l.flog" --stages "suspect, prospect ,interested,	engaged,evaluating,negotiating,purchasing"
expect_rc stages_blanks_rc 0
expect_same stages_blanks_same_report "$T/want.json" "$T/out"
run "$FUNNEL" replay "$T/l.flog" --stages "suspect, ,prospect"
expect_rc stages_blank_name_usage 2
expect_err stages_blank_name_says_empty "empty stage name"

# --- an event stage with blanks around a stage name stays unmapped (events
# are not trimmed) but replay points it out, and --text marks it.
cat >"$T/sp.csv" <<'EOF'
time,entity,stage,channel
2026-01-01,a,suspect,sales
2026-01-02,a, prospect,sales
2026-01-03,b,Prospect ,sales
2026-01-03,c,prospects ,sales
EOF
"$FUNNEL" append -q "$T/sp.flog" "$T/sp.csv"
run "$FUNNEL" replay "$T/sp.flog"
expect_rc near_miss_rc 0
expect_out near_miss_still_unmapped '"unmapped": 3'
expect_err near_miss_hint_before 'hint: 1 event at stage "prospect" with 1 blank before it and 0 after it'
expect_err near_miss_hint_after 'hint: 1 event at stage "prospect" with 0 blanks before it and 1 after it'
if grep -q prospects "$T/err"; then fail near_miss_no_false_hint "$(cat "$T/err")"; else
    pass near_miss_no_false_hint; fi
run "$FUNNEL" replay "$T/sp.flog" --text
expect_out near_miss_text 'unmapped stage " prospect": 1 event (stage "prospect" but for the blanks around it)'
run "$FUNNEL" replay "$T/l.flog"
if [ -s "$T/err" ]; then fail near_miss_quiet_otherwise "$(cat "$T/err")"; else
    pass near_miss_quiet_otherwise; fi

# --- chart checks the range of every number it reads from a report (exit 3
# with the key path and the value) instead of handing gnuplot a rate of
# 1e308 (which failed, exit 5) or 2.0, -0.1 (which drew nonsense, exit 0).
"$FUNNEL" replay "$T/l.flog" >"$T/r.json"
# bad_report NAME SED_EXPR MESSAGE : chart refuses the edited report.
bad_report() {
    sed "$2" "$T/r.json" >"$T/bad.json"
    if cmp -s "$T/r.json" "$T/bad.json"; then fail "chart_range_$1" "sed '$2' changed nothing"; return; fi
    rm -rf "$T/cd"
    run "$FUNNEL" chart "$T/bad.json" -o "$T/cd" --no-render
    expect_rc "chart_range_$1_rc" 3
    expect_err "chart_range_$1_msg" "$T/bad.json: $3"
}
bad_report win_rate 's/"win_rate": [0-9][0-9.e-]*/"win_rate": 2.0/' "win_rate: 2.0 is not a rate in [0, 1]"
bad_report conv_huge '0,/"conversion_from_previous": [0-9]/s/"conversion_from_previous": [0-9][0-9.e-]*/"conversion_from_previous": 1e308/' \
    "stages[1].conversion_from_previous: 1e+308 is not a rate in [0, 1]"
bad_report conv_negative '0,/"conversion_from_start": [0-9]/s/"conversion_from_start": [0-9][0-9.e-]*/"conversion_from_start": -0.1/' \
    "stages[0].conversion_from_start: -0.1 is not a rate in [0, 1]"
bad_report drop_rate '0,/"drop_rate"/s/"drop_rate": [0-9][0-9.e-]*/"drop_rate": 1.5/' \
    "stages[0].drop_rate: 1.5 is not a rate in [0, 1]"
bad_report median '0,/"median_s": [0-9]/s/"median_s": [0-9]*/"median_s": -86400/' \
    "time_to_win.median_s: -86400 is not a duration in seconds (>= 0)"
bad_report stale_after 's/"stale_after_s": [0-9]*/"stale_after_s": -1/' \
    "stale_after_s: -1 is not a duration in seconds (>= 0)"
if [ ! -e "$T/cd" ]; then pass chart_range_writes_nothing; else fail chart_range_writes_nothing "$T/cd exists"; fi

# --- the page isolates every name in <bdi>, so a right-to-left override
# (U+202E) in a stage or unmapped stage name cannot reverse the text after
# it (docs/CHARTS.md, "Safety model"; t_browser.sh checks the layout in
# Chromium).  Here the HTML itself, without gnuplot or a browser.
RLO=$(printf '\342\200\256')
{ echo time,entity,stage,channel
  echo "2026-01-02,rlo-1,${RLO}evil,sales"
  echo "2026-01-03,rlo-2,${RLO}rlo stage,marketing"; } >"$T/rlo.csv"
cp "$T/l.flog" "$T/rlo.flog"
"$FUNNEL" append -q "$T/rlo.flog" "$T/rlo.csv"
mkdir -p "$T/nobin"
PATH="$T/nobin" run "$FUNNEL" report "$T/rlo.flog" -o "$T/page" --stages "${RLO}rlo stage,$D7"
expect_rc page_bidi_rc 5
P=$T/page/index.html
all=$(grep -o "$RLO" "$P" | wc -l)
isolated=$(grep -o "<bdi>[^<]*$RLO[^<]*</bdi>" "$P" | wc -l)
if [ "$all" -ge 2 ] && [ "$all" -eq "$isolated" ]; then pass "page_bidi_isolated[$all names]"; else
    fail page_bidi_isolated "$isolated of $all names with U+202E in <bdi>"; fi
# every data-derived text, not only these: names, unmapped names, the drop-out point
if grep -q '<td class="stage"><bdi>suspect</bdi>' "$P" && grep -q '&ldquo;<bdi>' "$P"; then
    pass page_bidi_every_name; else fail page_bidi_every_name "$(grep -o '<td class="stage">[^/]*' "$P" | head -2)"; fi

# --- cat | append round trips at the attribute limit: a log holds at most
# 248 attribute names (one batch's worth), since cat writes a column for
# each; a batch that would bring more is refused (exit 3, log unchanged).
# attrs PREFIX N : a one-row CSV with attribute columns PREFIX1..PREFIXN.
attrs() {
    awk -v p="$1" -v n="$2" 'BEGIN {
        h = "time,entity,stage,channel"; r = "2026-01-01,E-" p ",suspect,sales"
        for (i = 1; i <= n; i++) { h = h "," p i; r = r ",v" i }
        print h; print r }'
}
attrs a 200 >"$T/a200.csv"
attrs b 200 >"$T/b200.csv"
attrs b 48 >"$T/b48.csv"
attrs c 1 >"$T/c1.csv"
"$FUNNEL" append -q "$T/at.flog" "$T/a200.csv"
cp "$T/at.flog" "$T/at.before"
run "$FUNNEL" append -q "$T/at.flog" "$T/b200.csv"
expect_rc attrs_over_log_limit_rc 3
expect_err attrs_over_log_limit_msg 'b200.csv:1:53: attribute column "b49" would be attribute name 249 of the log, which holds at most 248'
expect_same attrs_over_log_limit_unchanged "$T/at.before" "$T/at.flog"
run "$FUNNEL" append -q "$T/at.flog" "$T/b48.csv"
expect_rc attrs_at_log_limit 0
run "$FUNNEL" append -q "$T/at.flog" "$T/c1.csv"
expect_rc attrs_one_past_log_limit 3
"$FUNNEL" cat "$T/at.flog" >"$T/at.csv"
cols=$(head -1 "$T/at.csv" | awk -F, '{ print NF - 7 }')
run "$FUNNEL" append -q "$T/rt.flog" - <"$T/at.csv"
expect_rc "attrs_cat_append_round_trip_rc[$cols attribute columns]" 0
"$FUNNEL" cat "$T/rt.flog" >"$T/rt.csv" 2>/dev/null
expect_same attrs_cat_append_round_trip_exact "$T/at.csv" "$T/rt.csv"
