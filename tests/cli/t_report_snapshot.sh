#!/bin/sh
# t_report_snapshot.sh - docs/DECISIONS.md "The page's second fold": the
# folds of one `funnel report` (the report, the stuck deals, the cards'
# period before) read the same batches, whatever is appended meanwhile.
# strace holds the report at its second open of the log (the stuck deals'
# fold) while a batch is appended whose one entity, open and longest in
# its stage, would top the stuck table.  report.json and the table must
# agree on it: in neither (the append landed between the folds, the case
# this test is made for) or in both (it landed before the first fold: a
# machine too slow for the window, said in the PASS line).  Then a new
# report shows it in both.  Skipped without strace.
. "$(dirname "$0")/lib.sh"
STRACE=$(command -v strace || true)
if [ -z "$STRACE" ]; then
    echo "SKIP report_snapshot: strace is not installed (apt-get install strace)"
    exit 0
fi
mkdir -p "$T/nobin"
LOG=$T/log.flog
"$FUNNEL" gen --entities 200 --seed 4 --days 60 --start 2026-03-01 -o "$T/a.csv"
"$FUNNEL" append -q "$LOG" "$T/a.csv"
entities() { sed -n 's/^  "entities": \([0-9]*\),$/\1/p' "$1"; }
"$FUNNEL" replay "$LOG" -o "$T/before.json"
before=$(entities "$T/before.json")
# In evaluating since the first day, an event 10 days before the data's
# last: open (not stale after 30 days), and longer in its stage than anyone.
cat >"$T/b.csv" <<'EOF'
time,entity,stage,channel,touch,outcome,amount,segment,source,owner
2026-03-01T00:00:01Z,LATECOMER,evaluating,sales,call,,5000,enterprise,web,zed
2026-04-20T00:00:01Z,LATECOMER,evaluating,sales,call,,5000,enterprise,web,zed
EOF

# Without gnuplot on PATH (the page is what is checked): exit 5.
# LeakSanitizer cannot run under ptrace (make asan).
(
    PATH="$T/nobin" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        "$STRACE" -f -qq -o /dev/null -P "$LOG" -e trace=openat \
        -e inject=openat:delay_enter=2000000:when=2 \
        "$FUNNEL" report "$LOG" -o "$T/site" >/dev/null 2>"$T/report.err"
    echo $? >"$T/report.rc"
) &
sleep 0.5
"$FUNNEL" append -q "$LOG" "$T/b.csv"
wait
RC=$(cat "$T/report.rc")
expect_rc report_snapshot_ran 5
counted=$(entities "$T/site/report.json")
listed=$(grep -c LATECOMER "$T/site/index.html")
if [ "$counted" = "$before" ] && [ "$listed" = 0 ]; then
    pass "report_snapshot[appended between the folds: in neither]"
elif [ "$counted" = "$((before + 1))" ] && [ "$listed" -ge 1 ]; then
    pass "report_snapshot[appended before the first fold: in both]"
else
    fail report_snapshot "report.json counts $counted entities (before the append: $before), the stuck table lists LATECOMER $listed times"
fi

PATH="$T/nobin" run "$FUNNEL" report "$LOG" -o "$T/site"
expect_rc report_snapshot_next_ran 5
counted=$(entities "$T/site/report.json")
if [ "$counted" = "$((before + 1))" ] && grep -q LATECOMER "$T/site/index.html"; then
    pass report_snapshot_next_sees_it
else
    fail report_snapshot_next_sees_it "report.json counts $counted entities (before the append: $before); LATECOMER listed: $(grep -c LATECOMER "$T/site/index.html")"
fi
