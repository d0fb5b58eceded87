# t_rates.sh - the rates and quality options of docs/METRICS.md §4.11-§4.14
# on the command line: stale thresholds by stage (--stale-after STAGE=DUR
# and `stale-after=DUR` keys of a funnel file, the command line winning),
# judged by max(e) in replay and, for the undecided entities of a shard, at
# the merge; --window and --skipped reach replay, partial and report; the
# --text lines (both win rates with their definitions, the warning for
# stages without events, on the page too); and every bad value is a usage error naming the
# option (exit 2, nothing written).
. "$(dirname "$0")/lib.sh"

# Eight entities at prospect, silent 10 days before `late` sets the default
# as_of; two at suspect, silent as long.  A threshold of 5 days for
# prospect makes the eight stale; the default of 30 days leaves every
# entity open.
{
    echo "time,entity,stage,channel,outcome"
    for i in 1 2 3 4 5 6 7 8; do echo "2026-01-01,x$i,suspect,marketing,"; echo "2026-01-02,x$i,prospect,sales,"; done
    echo "2026-01-02,y1,suspect,marketing,"
    echo "2026-01-02,y2,suspect,marketing,"
    echo "2026-01-12,late,suspect,marketing,"
} >"$T/e.csv"
"$FUNNEL" append -q "$T/e.flog" "$T/e.csv" || fail rates_setup "append failed"
stale_of() { awk '/"outcomes"/ { f = 1 } f && /"stale"/ { gsub(/[^0-9]/, ""); print; exit }' "$1"; }

run "$FUNNEL" replay "$T/e.flog" --stale-after prospect=5d -o "$T/r.json"
if [ "$RC" -eq 0 ] && [ "$(stale_of "$T/r.json")" = 8 ] && grep -q '"stale_after_s": 432000' "$T/r.json"; then
    pass rates_stage_stale; else
    fail rates_stage_stale "exit $RC, stale $(stale_of "$T/r.json" 2>/dev/null); $(head -c 200 "$T/err")"; fi
run "$FUNNEL" replay "$T/e.flog" -o "$T/plain.json"
if [ "$(stale_of "$T/plain.json")" = 0 ]; then pass rates_stage_stale_setup; else
    fail rates_stage_stale_setup "without the threshold $(stale_of "$T/plain.json") are stale, expected 0"; fi

# The same threshold as a key of a funnel file; the command line wins.
printf 'suspect\nprospect   stale-after=5d  # nurture is quick here\ninterested\nwon\n' >"$T/f.txt"
run "$FUNNEL" replay "$T/e.flog" --funnel "$T/f.txt" -o "$T/f.json"
if [ "$RC" -eq 0 ] && [ "$(stale_of "$T/f.json")" = 8 ]; then pass rates_funnel_file_key; else
    fail rates_funnel_file_key "exit $RC, stale $(stale_of "$T/f.json" 2>/dev/null); $(head -c 200 "$T/err")"; fi
run "$FUNNEL" replay "$T/e.flog" --funnel "$T/f.txt" --stale-after PROSPECT=20d -o "$T/f2.json"
if [ "$RC" -eq 0 ] && [ "$(stale_of "$T/f2.json")" = 0 ]; then pass rates_command_line_wins; else
    fail rates_command_line_wins "exit $RC, stale $(stale_of "$T/f2.json" 2>/dev/null)"; fi

# A shard without `late` cannot tell that its entities are stale: they are
# undecided, and the merge must judge them by the threshold of prospect.
"$FUNNEL" shard -q "$T/e.flog" -o "$T/S" --shards 2 || fail rates_shard "shard failed"
for i in 0 1; do
    "$FUNNEL" partial "$T/S" --shard $i/2 --stale-after prospect=5d -o "$T/p$i" 2>"$T/err" ||
        fail rates_partial "$(head -c 200 "$T/err")"
done
run "$FUNNEL" merge "$T/p0" "$T/p1" -o "$T/m.json"
if [ "$RC" -eq 0 ] && cmp -s "$T/m.json" "$T/r.json"; then pass rates_merge_stage_stale; else
    fail rates_merge_stage_stale "exit $RC; $(diff "$T/r.json" "$T/m.json" | head -4 | tr '\n' ' ')"; fi

# --window and --skipped reach replay and report (partial: t_partial_merge.sh).
run "$FUNNEL" replay "$T/e.flog" --window 1d --skipped ignore -o "$T/w.json"
if [ "$RC" -eq 0 ] && grep -q '"window_s": 86400' "$T/w.json" && grep -q '"skipped": "ignore"' "$T/w.json"; then
    pass rates_window_skipped_replay; else fail rates_window_skipped_replay "exit $RC: $(head -c 200 "$T/err")"; fi
run "$FUNNEL" report "$T/e.flog" -o "$T/R" --window 1d --skipped ignore --stale-after prospect=5d
if [ "$RC" -eq 0 ] && grep -q '"window_s": 86400' "$T/R/report.json"; then pass rates_report_options; else
    fail rates_report_options "exit $RC: $(head -c 200 "$T/err")"; fi

run "$FUNNEL" report "$T/e.flog" -o "$T/R2" --stages suspect,prospect,demo,won
if [ "$RC" -eq 0 ] && grep -q '2 of 4 stages have no events: &ldquo;<bdi>demo</bdi>&rdquo;, &ldquo;<bdi>won</bdi>' "$T/R2/index.html"; then
    pass rates_page_no_events; else fail rates_page_no_events "exit $RC; the page lacks the warning"; fi

# --text: both win rates with their definitions; the warning.
run "$FUNNEL" replay "$T/e.flog" --stale-after prospect=5d --stages suspect,prospect,demo,proposal,won --text
expect_out rates_text_win_rate "won / (won + lost + stale)"
expect_out rates_text_closed "won / (won + lost), the CRM convention"
expect_out rates_text_no_events "3 of 5 stages have no events: demo, proposal, won"
expect_out rates_text_steepest "steepest drop prospect"

# Bad values: exit 2, naming the option, nothing written.
bad() {
    name=$1 text=$2
    shift 2
    rm -f "$T/no.json"
    run "$FUNNEL" "$@" -o "$T/no.json"
    if [ "$RC" -eq 2 ] && grep -qF -- "$text" "$T/err" && [ ! -e "$T/no.json" ]; then pass "$name"; else
        fail "$name" "exit $RC, want 2 and '$text'; stderr: $(head -c 300 "$T/err")"; fi
}
bad rates_bad_window_zero "bad --window \"0\"" replay "$T/e.flog" --window 0
bad rates_bad_window "bad --window \"soon\"" replay "$T/e.flog" --window soon
bad rates_bad_skipped "bad --skipped \"drop\": expected count or ignore" replay "$T/e.flog" --skipped drop
bad rates_bad_stage_stale "bad --stale-after \"nosuch=3d\": the funnel has no stage \"nosuch\"" \
    replay "$T/e.flog" --stale-after nosuch=3d
bad rates_bad_stage_stale_dur "bad --stale-after \"prospect=3x\"" replay "$T/e.flog" --stale-after prospect=3x
bad rates_bad_stage_stale_empty "bad --stale-after \"=3d\": no stage name" replay "$T/e.flog" --stale-after =3d
bad rates_bad_partial_window "bad --window" partial "$T/S" --shard 0/2 --window -1d
printf 'suspect\nprospect stale-after=3x\n' >"$T/bad.txt"
bad rates_bad_funnel_key "bad.txt:2: bad stale-after \"3x\"" replay "$T/e.flog" --funnel "$T/bad.txt"
