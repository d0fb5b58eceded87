# t_charts_v2.sh - the trend, cohorts and by-K charts (docs/CHARTS.md,
# "Trend, cohorts and groups"): golden .gp and .tsv files for
# fixtures/charts_v2/*/report.json (1 and 200 groups, empty periods, hostile
# group values), only the charts whose data is there, each PNG's signature,
# size (by-K's height follows its groups) and weight, hostile group values
# that stay data (no canary file, no command in a .gp), `funnel report`
# writing them, and report.json keys of the wrong shape (exit 3).
#
# UPDATE=1 sh tests/cli/t_charts_v2.sh rewrites fixtures/charts_v2/*/expected/
# from the current code; review the diff (and the PNGs) before committing.
. "$(dirname "$0")/lib.sh"

CH=$FIX/charts_v2
GNUPLOT=$(command -v gnuplot || true)
mkdir -p "$T/home"

# new_charts DIR : the trend, cohorts and by-K files in DIR, one a line, sorted.
new_charts() { ls "$1" | grep -E '^(trend|cohorts|by-[0-9]+)\.' | sort; }

# png_why FILE HEIGHT : nothing when FILE is a 1200 x HEIGHT PNG of more than
# 15 kB that ends with IEND, else what is wrong.
png_why() {
    [ -f "$1" ] || { echo "missing"; return; }
    sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
    chunk=$(od -An -c -j12 -N4 "$1" | tr -d ' \n')
    wh=$(od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
    size=$(wc -c <"$1")
    tail=$(tail -c 8 "$1" | od -An -c | tr -d ' \n')
    [ "$sig" = 89504e470d0a1a0a ] || { echo "signature $sig"; return; }
    [ "$chunk" = IHDR ] || { echo "first chunk '$chunk', not IHDR"; return; }
    [ "$wh" = "1200x$2" ] || { echo "IHDR size $wh, expected 1200x$2"; return; }
    case $tail in IEND*) ;; *) echo "does not end with IEND"; return ;; esac
    [ "$size" -gt 15000 ] || echo "only $size bytes: blank?"
}

# --- golden .gp and .tsv (exact), written without gnuplot by --no-render;
# exactly the charts whose data the report has.
for dir in "$CH"/*/; do
    dir=${dir%/}
    case=$(basename "$dir")
    out=$T/golden-$case
    run "$FUNNEL" chart "$dir/report.json" -o "$out" --no-render
    expect_rc "chart_no_render[$case]" 0
    if [ "${UPDATE:-}" = 1 ]; then
        rm -rf "$dir/expected"
        mkdir -p "$dir/expected"
        for f in $(new_charts "$out"); do cp "$out/$f" "$dir/expected/"; done
        echo "updated $dir/expected"
    fi
    want=$(new_charts "$dir/expected" | tr '\n' ' ')
    got=$(new_charts "$out" | tr '\n' ' ')
    if [ -n "$want" ] && [ "$want" = "$got" ]; then pass "charts_written[$case]"; else
        fail "charts_written[$case]" "wrote '$got', expected '$want'"; fi
    for f in $(new_charts "$dir/expected"); do
        expect_same "golden[$case/$f]" "$dir/expected/$f" "$out/$f"
    done
done

# --- no data, no chart: a report without --trend, --cohort or --by.
run "$FUNNEL" chart "$FIX/charts/demo/report.json" -o "$T/plain" --no-render
expect_rc plain_chart 0
got=$(new_charts "$T/plain" | tr '\n' ' ')
if [ -z "$got" ] && [ -f "$T/plain/funnel.gp" ]; then pass plain_no_new_charts; else
    fail plain_no_new_charts "wrote '$got'"; fi

# --- the PNGs (by-K: 215 px + 44 a bar, at least 320), drawn from a folder
# where a command in a label would leave its canary file.
height() {
    case $1 in
        one_group/by-1|groups200/by-2|empty_periods/by-1) echo 320 ;;
        groups200/by-1) echo 787 ;;   # 12 groups and other
        hostile/by-1) echo 391 ;;
        *) echo 800 ;;
    esac
}
if [ -z "$GNUPLOT" ]; then
    echo "SKIP charts_v2_png: gnuplot is not installed (apt-get install gnuplot-nox)"
else
    for dir in "$CH"/*/; do
        dir=${dir%/}
        case=$(basename "$dir")
        mkdir -p "$T/cwd-$case"
        (cd "$T/cwd-$case" && HOME=$T/home "$FUNNEL" chart "$dir/report.json" -o out) >"$T/out" 2>"$T/err"
        RC=$?
        expect_rc "chart_ok[$case]" 0
        for f in $(new_charts "$dir/expected" | grep '\.gp$'); do
            n=${f%.gp}
            why=$(png_why "$T/cwd-$case/out/$n.png" "$(height "$case/$n")")
            if [ -z "$why" ]; then pass "png[$case/$n]"; else fail "png[$case/$n]" "$why"; fi
            cmp -s "$dir/expected/$n.tsv" "$T/cwd-$case/out/$n.tsv" &&
                cmp -s "$dir/expected/$n.gp" "$T/cwd-$case/out/$n.gp" ||
                fail "rendered_sources[$case/$n]" "differ from the golden files"
        done
        left=$(ls -A "$T/cwd-$case/out" | grep '\.tmp\.' | head -3)
        if [ -z "$left" ]; then pass "no_temp[$case]"; else fail "no_temp[$case]" "$left"; fi
    done
    # An analyst redraws by hand: cd DIR && gnuplot NAME.gp.
    d=$T/cwd-hostile/out
    for n in by-1 cohorts; do
        rm -f "$d/$n.png"
        (cd "$d" && HOME=$T/home "$GNUPLOT" "$n.gp") >"$T/out" 2>"$T/err"
        why=$(png_why "$d/$n.png" "$(height "hostile/$n")")
        if [ -z "$why" ]; then pass "by_hand[$n]"; else fail "by_hand[$n]" "$why; $(head -c 300 "$T/err")"; fi
    done
fi

# --- hostile group values stay data: no canary anywhere, nothing of them in
# a .gp, and the .tsv holds them (cleaned) for gnuplot to read as text.
canaries=$(find "$T" -name 'PWNED*' | head -3)
if [ -z "$canaries" ]; then pass hostile_no_canary; else fail hostile_no_canary "$canaries"; fi
hg=$(cat "$T/golden-hostile/by-1.gp" "$T/golden-hostile/cohorts.gp")
case $hg in
    *PWNED*|*touch*|*system*|*macro*) fail hostile_not_in_gp "a group value reached a .gp" ;;
    *) pass hostile_not_in_gp ;;
esac
if grep -qF '`touch PWNED_BQ` $(touch PWNED_SUB)' "$T/golden-hostile/by-1.tsv" &&
   grep -qF 'line one line two; system(' "$T/golden-hostile/by-1.tsv"; then
    pass hostile_in_tsv; else fail hostile_in_tsv "the values are not in by-1.tsv as text"; fi

# --- `funnel report` writes them from the log with --by, --trend, --cohort.
run "$FUNNEL" append "$T/og.fblog" "$CH/one_group/events.csv"
expect_rc report_append 0
run "$FUNNEL" report "$T/og.fblog" -o "$T/rep" --stages lead,demo,won --as-of 2026-01-20T12:00:00Z \
    --stale-after 30d --by segment --trend week --cohort month
if [ -z "$GNUPLOT" ]; then
    echo "SKIP report_new_charts: gnuplot is not installed"
else
    expect_rc report_ok 0
    for f in $(new_charts "$CH/one_group/expected"); do
        expect_same "report_same[$f]" "$CH/one_group/expected/$f" "$T/rep/$f"
    done
    for n in trend cohorts by-1; do
        why=$(png_why "$T/rep/$n.png" "$(height "one_group/$n")")
        if [ -z "$why" ]; then pass "report_png[$n]"; else fail "report_png[$n]" "$why"; fi
    done
fi

# --- trend, breakdowns and cohorts of the wrong shape: exit 3 naming the key.
bad_json() {  # NAME SED-SCRIPT SOURCE TEXT
    sed "$2" "$CH/$3/report.json" >"$T/bad.json"
    if cmp -s "$T/bad.json" "$CH/$3/report.json"; then fail "$1" "sed changed nothing"; return; fi
    run "$FUNNEL" chart "$T/bad.json" -o "$T/bad" --no-render
    expect_rc "$1" 3
    expect_err "$1[msg]" "$4"
}
bad_json bad_trend_label 's/"period": "2026-W03"/"period": "2026-W3`x`"/' one_group \
    'trend.periods[2].period: expected the label of its start'
bad_json bad_group_won '/"name": "g000"/,/"won"/s/"won": 12/"won": "12"/' groups200 \
    'breakdowns[0].groups[0].outcomes.won: expected a non-negative integer'
bad_json bad_cohort_complete 's/"complete": true/"complete": 1/' empty_periods \
    'cohorts.groups[0].complete: expected true or false'
