#!/bin/sh
# demo.sh FUNNEL - the nightly job on bundled sample data: generate a few
# days of CRM exports, append them one night at a time, then `funnel report`:
# report.json, the charts and the page.  Prints a short summary and the
# page's path.  The report goes to out/demo/ (a link to out/demo.v/RUN,
# docs/CHARTS.md), the exports and the log to out/demo-input/: a report
# directory holds only the report's files.
set -eu
FUNNEL=${1:-./funnel}
OUT=out/demo
IN=out/demo-input
rm -rf "$OUT" "$OUT.v" "$IN"
mkdir -p "$IN"
export LC_ALL=C TZ=UTC

echo "== generating sample CRM exports (20,000 leads, one year)"
"$FUNNEL" gen --entities 20000 --seed 42 --days 365 --start 2026-01-01 -o "$IN/export.csv"
# Split the year into nightly files the way a CRM export job would deliver them.
awk -v dir="$IN" 'NR == 1 { hdr = $0; next }
    { d = substr($1, 1, 7); f = dir "/export-" d ".csv";
      if (!(f in seen)) { print hdr > f; seen[f] = 1 } print >> f }' "$IN/export.csv"

echo "== appending the monthly exports to $IN/pipeline.flog"
for f in "$IN"/export-*.csv; do
    "$FUNNEL" append -q "$IN/pipeline.flog" "$f"
done
echo "== a nightly job that runs twice is recognised:"
"$FUNNEL" append -q "$IN/pipeline.flog" "$IN/export-2026-12.csv" || true

echo "== verify"
"$FUNNEL" verify "$IN/pipeline.flog"

echo "== report: replay, report.json, the charts and the page"
rc=0
"$FUNNEL" report "$IN/pipeline.flog" -o "$OUT" --by segment --cohort month --text || rc=$?
cat "$OUT/report.txt"
echo
echo "report: $OUT/report.json"
for c in funnel dropouts conversion time-in-stage touches money aging trend cohorts by-1; do
    [ -f "$OUT/$c.png" ] && echo "chart:  $OUT/$c.png ($(wc -c <"$OUT/$c.png") bytes)"
done
echo "page:   $OUT/index.html"
echo "        file://$(cd "$OUT" && pwd)/index.html"
exit $rc
