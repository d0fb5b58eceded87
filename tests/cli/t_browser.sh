# t_browser.sh - the report page in a real browser (docs/CHARTS.md, "How the
# safety is tested"): headless Chromium, driven through chromedriver by
# tests/browser/page_check.py, opens DIR/index.html from disk and checks that
# every image loaded, the table has a row per stage, a hostile stage name
# shows as text, a name with a right-to-left override is isolated and leaves
# the text after it left to right, and the page fits a phone; screenshots go
# to out/browser/.  Prints SKIP when chromium, chromedriver or python3 is
# missing (make test installs them).
. "$(dirname "$0")/lib.sh"

skip() { echo "SKIP $1: $2"; }
missing=""
for c in chromium chromedriver python3; do
    command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
if [ -n "$missing" ]; then
    skip browser "not installed:$missing (apt-get install chromium chromium-driver python3)"
    exit 0
fi
SHOTS=$ROOT/build/browser
mkdir -p "$SHOTS"
HOSTILE='<script>alert(1)</script>'
STAGES="suspect,prospect,$HOSTILE,interested,engaged,evaluating,negotiating,purchasing"

"$FUNNEL" gen --entities 3000 --seed 11 --days 200 --start 2026-01-01 -o "$T/e.csv"
"$FUNNEL" append -q "$T/l.flog" "$T/e.csv"
# Two open deals with hostile ids, long in their stage: the first rows of
# the stuck-deals table.
ID1='<img src=x onerror=alert(5)>'
ID2='"><b>bold</b>'
{ echo time,entity,stage,channel
  echo "2026-05-01T10:00:00Z,\"$ID1\",negotiating,sales"
  echo "2026-07-15T10:00:00Z,\"$ID1\",negotiating,sales"
  echo "2026-05-02T10:00:00Z,\"\"\"><b>bold</b>\",negotiating,sales"
  echo "2026-07-15T11:00:00Z,\"\"\"><b>bold</b>\",negotiating,sales"; } >"$T/ids.csv"
"$FUNNEL" append -q "$T/l.flog" "$T/ids.csv"

# check NAME PAGE_ARGS... : run the page check, passing its PASS/FAIL lines on.
check() {
    name=$1; shift
    timeout 300 python3 "$ROOT/tests/browser/page_check.py" --name "$name" "$@" >"$T/b.out" 2>"$T/b.err"
    rc=$?
    cat "$T/b.out"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$T/b.out"; then
        fail "${name}_run" "exit $rc: $(tail -c 400 "$T/b.err" | tr '\n' ' ')"; fi
}

if command -v gnuplot >/dev/null 2>&1; then
    run "$FUNNEL" report "$T/l.flog" -o "$T/page" --stages "$STAGES"
    expect_rc browser_report 0
    check browser "$T/page/index.html" --stages 8 --expect-text "$HOSTILE" --shots "$SHOTS/page" \
        --stuck-text "$ID1" --stuck-text "$ID2"
else
    skip browser_charts "gnuplot is not installed (apt-get install gnuplot-nox)"
fi

# Without gnuplot: the page says the charts are missing, and loads no image.
mkdir -p "$T/nobin"
PATH="$T/nobin" run "$FUNNEL" report "$T/l.flog" -o "$T/nocharts" --stages "$STAGES"
expect_rc browser_report_no_gnuplot 5
check browser_nocharts "$T/nocharts/index.html" --stages 8 --no-charts --expect-text "$HOSTILE" \
    --shots "$SHOTS/nocharts"

# A right-to-left override (U+202E) in a stage name and in an unmapped stage
# name stays inside the name (<bdi>): the note's fixed text after the
# unmapped names still reads left to right (docs/CHARTS.md, "Safety model").
RLO=$(printf '\342\200\256')
{ echo time,entity,stage,channel
  echo "2026-01-02,rlo-1,${RLO}evil,sales"
  echo "2026-01-03,rlo-2,${RLO}evil,marketing"; } >"$T/rlo.csv"
cp "$T/l.flog" "$T/rlo.flog"
"$FUNNEL" append -q "$T/rlo.flog" "$T/rlo.csv"
PATH="$T/nobin" run "$FUNNEL" report "$T/rlo.flog" -o "$T/rlo" --stages "$STAGES,${RLO}rlo stage"
expect_rc browser_report_bidi 5
check browser_bidi "$T/rlo/index.html" --stages 9 --no-charts --isolated "$RLO" \
    --reads-ltr "Check the spelling" --shots "$SHOTS/bidi"
