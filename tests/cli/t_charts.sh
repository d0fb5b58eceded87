# t_charts.sh - `funnel chart` and `funnel report` (docs/CHARTS.md):
# golden .gp and .tsv files for fixtures/charts/*/report.json, each PNG's
# signature, IHDR size and weight, injection through stage names and
# attribute values (no canary file ever appears, the labels read back as the
# text), how gnuplot is started (argv, environment, start-up files), what a
# missing, failing, slow or lying gnuplot does (exit 5, the previous files
# stay), report.json equal to replay's, bad JSON input, and the page's
# escaping.  PNG checks print SKIP when gnuplot is not installed.
#
# UPDATE=1 sh tests/cli/t_charts.sh rewrites fixtures/charts/*/expected/
# from the current code; review the diff (and the PNGs) before committing.
. "$(dirname "$0")/lib.sh"

CH=$FIX/charts
NAMES="funnel conversion time-in-stage dropouts touches"
GNUPLOT=$(command -v gnuplot || true)
skip() { echo "SKIP $1: $2"; }
mkdir -p "$T/home"

# png_why FILE : nothing when FILE is a PNG of the size its NAME.gp asks
# for (1200 wide, as high as its rows need) of more than 25 bytes per row
# of pixels (20 kB at 800 high; a blank 1200x800 PNG is under 5 kB), else
# what is wrong.
png_why() {
    [ -f "$1" ] || { echo "missing"; return; }
    sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
    chunk=$(od -An -c -j12 -N4 "$1" | tr -d ' \n')
    wh=$(od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
    size=$(wc -c <"$1")
    [ "$sig" = 89504e470d0a1a0a ] || { echo "signature $sig"; return; }
    [ "$chunk" = IHDR ] || { echo "first chunk '$chunk', not IHDR"; return; }
    want=$(sed -n 's/^set terminal pngcairo size \([0-9]*\),\([0-9]*\) .*/\1x\2/p' "${1%.png}.gp")
    case $want in 1200x*) ;; *) echo "the .gp asks for '$want', not 1200 wide"; return ;; esac
    [ "$wh" = "$want" ] || { echo "IHDR size $wh, the .gp asks for $want"; return; }
    [ "$size" -gt $((${want#1200x} * 25)) ] || echo "only $size bytes: blank?"
}

# expect_pngs NAME DIR : all five PNGs in DIR pass png_why, and money
# and aging where DIR has their scripts.
expect_pngs() {
    for n in $NAMES money aging; do
        case " $NAMES " in *" $n "*) ;; *) [ -e "$2/$n.gp" ] || continue ;; esac
        why=$(png_why "$2/$n.png")
        if [ -z "$why" ]; then pass "$1[$n.png]"; else fail "$1[$n.png]" "$why"; fi
    done
}

# no_temp NAME DIR : no temporary file left behind in DIR.
no_temp() {
    left=$(ls -A "$2" | grep '\.tmp\.' | head -3 | tr '\n' ' ')
    if [ -z "$left" ]; then pass "$1"; else fail "$1" "left behind: $left"; fi
}

# --- golden .gp and .tsv (exact), written without gnuplot by --no-render.
for dir in "$CH"/*/; do
    dir=${dir%/}
    case=$(basename "$dir")
    out=$T/golden-$case
    run "$FUNNEL" chart "$dir/report.json" -o "$out" --no-render
    expect_rc "chart_no_render[$case]" 0
    if [ "${UPDATE:-}" = 1 ]; then
        mkdir -p "$dir/expected"
        # money and aging when the report has amounts or open deals
        for n in $NAMES money aging; do
            [ -e "$out/$n.gp" ] && cp "$out/$n.gp" "$out/$n.tsv" "$dir/expected/"
        done
        echo "updated $dir/expected"
    fi
    for n in $NAMES money aging; do
        case " $NAMES " in *" $n "*) ;; *) [ -e "$dir/expected/$n.gp" ] || [ -e "$out/$n.gp" ] || continue ;; esac
        for ext in gp tsv; do
            expect_same "golden[$case/$n.$ext]" "$dir/expected/$n.$ext" "$out/$n.$ext"
        done
    done
    if ls "$out" | grep -q '\.png$'; then fail "no_render_no_png[$case]" "a PNG was written"; else
        pass "no_render_no_png[$case]"; fi
done

# --- layout (docs/CHARTS.md "Layout"), on what this funnel wrote for the
# fixtures above: the height follows the stages, so 1
# and 2 stages make short images and 40 stages a tall one; tics carry
# thousands separators; days use the one format of --text.
height_of() { sed -n 's/^set terminal pngcairo size 1200,\([0-9]*\) .*/\1/p' "$T/golden-$1/funnel.gp"; }
h1=$(height_of one_stage); h2=$(height_of two_stages); h7=$(height_of demo)
h16=$(height_of long16); h40=$(height_of stages40)
if [ "$h1" = 360 ] && [ "$h2" -le 450 ] && [ "$h2" -lt "$h7" ] && [ "$h7" -lt "$h16" ] && [ "$h16" -lt "$h40" ]; then
    pass layout_height_follows_stages; else fail layout_height_follows_stages "1:$h1 2:$h2 7:$h7 16:$h16 40:$h40"; fi
if grep -qF "'1,000' 1000" "$T/golden-demo/dropouts.gp"; then pass layout_tics_separators; else
    fail layout_tics_separators "$(grep '^set xtics (' "$T/golden-demo/dropouts.gp")"; fi
bad_days=$(cat "$T"/golden-*/*.tsv | grep -oE '"[^"]*[0-9]{2,}\.[0-9] d"' | head -3 | tr '\n' ' ')
if [ -z "$bad_days" ] && grep -qF '"12 d"' "$T/golden-demo/time-in-stage.tsv"; then pass days_one_format; else
    fail days_one_format "a decimal from 10 days on: $bad_days"; fi

# --- the honest funnel: a stage nobody has an event at (every entity
# there skipped it) is hatched grey and says so; both the drop-out point
# (count) and the steepest drop (rate) are marked.
NE=$T/golden-no_events
if grep -qF '"no events: credited to 2 that skipped it"' "$NE/funnel.tsv" &&
   grep -q 'fillstyle pattern 2' "$NE/funnel.gp" &&
   awk -F'\t' '$2 == "\"b\"" && $7 == 1 { f = 1 } END { exit !f }' "$NE/funnel.tsv"; then
    pass honest_funnel_no_events; else fail honest_funnel_no_events "stage b not marked"; fi
if grep -qF 'no events: credited to 2 that skipped it' "$NE/conversion.tsv"; then pass honest_conversion_no_events; else
    fail honest_conversion_no_events "stage b not marked"; fi
if grep -qF 'drop-out point' "$NE/funnel.tsv" && grep -qF 'steepest drop' "$NE/funnel.tsv" &&
   grep -qF 'steepest drop' "$T/golden-stages40/dropouts.tsv" && grep -qF 'steepest drop: stage 35' "$T/golden-stages40/dropouts.gp"; then
    pass marks_drop_out_and_steepest; else fail marks_drop_out_and_steepest "a mark is missing"; fi

# --- money and aging, from a log with amounts: drawn, with separators;
# from a log without any amount no money chart, and the page leaves its
# slot out (aging needs only open deals).
MA=$T/money
run "$FUNNEL" append "$MA.flog" "$CH/no_events/events.csv"
run "$FUNNEL" report "$MA.flog" -o "$MA" --stages a,b,c,d --as-of 2026-01-20
[ -n "$GNUPLOT" ] && expect_rc money_report 0
if grep -qF '"2,500.50 open"' "$MA/money.tsv" && grep -qF '"won"' "$MA/money.tsv" && grep -qF '"weighted forecast"' "$MA/money.tsv" &&
   grep -q "title 'weighted forecast'" "$MA/money.gp"; then pass money_chart; else fail money_chart "$(grep -v '^#' "$MA/money.tsv" 2>&1 | head -3 | tr '\n' ' ')"; fi
if awk -F'\t' '$2 == "\"a\"" && $8 == 1 { f = 1 } END { exit !f }' "$MA/aging.tsv" && grep -q 'Kaplan-Meier median' "$MA/aging.gp"; then
    pass aging_chart; else fail aging_chart "$(grep -v '^#' "$MA/aging.tsv" 2>&1 | head -3 | tr '\n' ' ')"; fi
if [ -n "$GNUPLOT" ]; then
    for n in money aging; do why=$(png_why "$MA/$n.png"); if [ -z "$why" ]; then pass "png_$n"; else fail "png_$n" "$why"; fi; done
    if grep -q 'src="money.png"' "$MA/index.html" && grep -q 'src="aging.png"' "$MA/index.html"; then pass page_money_aging; else
        fail page_money_aging "no money/aging image on the page"; fi
fi
NV=$T/novalue
sed 's/,[0-9.]*$/,/' "$CH/no_events/events.csv" >"$T/novalue.csv"
run "$FUNNEL" append "$NV.flog" "$T/novalue.csv"
run "$FUNNEL" report "$NV.flog" -o "$NV" --stages a,b,c,d --as-of 2026-01-20
if [ ! -e "$NV/money.tsv" ] && [ ! -e "$NV/money.gp" ] && [ -e "$NV/aging.gp" ] && ! grep -q 'money.png' "$NV/index.html"; then
    pass money_aging_absent; else fail money_aging_absent "$(ls "$NV" | tr '\n' ' ')"; fi
# chart REPORT.json draws money and aging as the report did: the aging
# chart byte for byte (with its dots beyond p90), the money chart with the
# same rows; only exact sums lose trailing fraction zeros through the
# JSON double (docs/DECISIONS.md, "Charts from a report.json").
run "$FUNNEL" chart "$MA/report.json" -o "$T/money-json" --no-render
if cmp -s "$MA/aging.tsv" "$T/money-json/aging.tsv" && cmp -s "$MA/aging.gp" "$T/money-json/aging.gp" &&
   [ "$(cut -f1-5 "$MA/money.tsv" | grep -v '^#')" = "$(cut -f1-5 "$T/money-json/money.tsv" | grep -v '^#')" ]; then
    pass chart_json_money_aging; else
    fail chart_json_money_aging "$(diff "$MA/aging.tsv" "$T/money-json/aging.tsv" | head -3; ls "$T/money-json" | tr '\n' ' ')"; fi
# chart -o over a folder with an older trend and cohorts chart: they go too.
run "$FUNNEL" replay "$MA.flog" --stages a,b,c,d --as-of 2026-01-20 --trend week --cohort week -o "$T/tc.json"
run "$FUNNEL" chart "$T/tc.json" -o "$T/stale-tc" --no-render
had=$(ls "$T/stale-tc" | grep -c '^\(trend\|cohorts\)\.')
run "$FUNNEL" chart "$CH/no_events/report.json" -o "$T/stale-tc" --no-render
if [ "$had" = 4 ] && ! ls "$T/stale-tc" | grep -q '^\(trend\|cohorts\)\.'; then pass trend_cohorts_old_removed; else
    fail trend_cohorts_old_removed "had $had; now $(ls "$T/stale-tc" | tr '\n' ' ')"; fi
# chart -o over a folder with an older money chart: it goes, not shown as current.
run "$FUNNEL" chart "$MA/report.json" -o "$T/stale-money" --no-render
touch "$T/stale-money/money.tsv" "$T/stale-money/money.gp"
run "$FUNNEL" chart "$NV/report.json" -o "$T/stale-money" --no-render
if [ ! -e "$T/stale-money/money.tsv" ] && [ ! -e "$T/stale-money/money.gp" ]; then pass money_old_removed; else
    fail money_old_removed "$(ls "$T/stale-money" | tr '\n' ' ')"; fi

# --- the PNGs, and that rendering writes the same .gp/.tsv as --no-render.
if [ -z "$GNUPLOT" ]; then
    skip charts_png "gnuplot is not installed (apt-get install gnuplot-nox)"
else
    for dir in "$CH"/*/; do
        dir=${dir%/}
        case=$(basename "$dir")
        run "$FUNNEL" chart "$dir/report.json" -o "$T/png-$case"
        expect_rc "chart_ok[$case]" 0
        expect_pngs "png[$case]" "$T/png-$case"
        no_temp "chart_no_temp[$case]" "$T/png-$case"
        for n in $NAMES money aging; do
            case " $NAMES " in *" $n "*) ;; *) [ -e "$dir/expected/$n.gp" ] || continue ;; esac
            if ! cmp -s "$dir/expected/$n.gp" "$T/png-$case/$n.gp" ||
               ! cmp -s "$dir/expected/$n.tsv" "$T/png-$case/$n.tsv"; then
                fail "rendered_sources[$case/$n]" "differ from the golden files"; continue 2; fi
        done
        pass "rendered_sources[$case]"
    done
    # An analyst redraws a chart by hand: cd DIR && gnuplot NAME.gp.
    d=$T/png-hostile
    for n in $NAMES hostile_deals/money hostile_deals/aging; do
        case $n in */*) d=$T/png-${n%/*} n=${n#*/} ;; esac
        rm -f "$d/$n.png"
        (cd "$d" && HOME=$T/home "$GNUPLOT" "$n.gp") >"$T/out" 2>"$T/err"
        why=$(png_why "$d/$n.png")
        if [ -z "$why" ]; then pass "by_hand[$n]"; else fail "by_hand[$n]" "$why; $(head -c 300 "$T/err")"; fi
    done
fi

# --- injection through the log: hostile stage names (funnel and events) and
# attribute values, appended and replayed by `funnel report`.
INJ=$T/inj
mkdir -p "$INJ/work" "$INJ/home"
touch "$T/marker"
S1="\`touch CANARY1\`\`touch $T/CANARY1a\`"
S2='system("touch CANARY2")'
S3="it's a \"q\" \\ bs\\"
S4='<script>alert(1)</script>'
S5="|touch $T/CANARY5"
S6="<touch $T/CANARY6"
S7="@x; set output '|touch CANARY7' # ;"
S8='_^{} {/Symbol a} x'
S9=$(printf 'line\nbreak\ttab')
S10=$(printf '\303\251t\303\251 \346\235\261\344\272\254 \360\237\230\200 \316\251')   # été 東京 😀 Ω
S11='won'
csvq() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
{
    echo 'time,entity,stage,channel,touch,outcome,amount,segment,owner'
    i=0
    for s in "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$S7" "$S8" "$S9" "$S10" "$S11"; do
        i=$((i + 1))
        e=1
        while [ $e -le $((12 - i)) ]; do
            # e05 is lost at S7, which makes S7 the drop-out point (in a title);
            # odd entities carry an amount, so money and aging are drawn too.
            lost=; [ $i = 7 ] && [ $e = 5 ] && lost=lost
            amt=; [ $((e % 2)) = 1 ] && amt=$((e * 1000)).5
            printf '2026-03-%02dT10:00:00Z,e%02d,%s,sales,call,%s,%s,%s,%s\n' "$i" "$e" "$(csvq "$s")" "$lost" "$amt" \
                "$(csvq "\`touch $T/CANARY_ATTR\` \$(touch $T/CANARY_ATTR2)")" "$(csvq "$S7")"
            e=$((e + 1))
        done
    done
    printf '2026-03-20,x1,%s,marketing,,lost,,a,b\n' "$(csvq '<img src=x onerror=alert(1)>')"
} >"$INJ/events.csv"
STAGES="$S1,$S2,$S3,$S4,$S5,$S6,$S7,$S8,$S9,$S10,$S11"
run "$FUNNEL" append "$INJ/log.flog" "$INJ/events.csv"
expect_rc inj_append 0
(cd "$INJ/work" && HOME=$INJ/home "$FUNNEL" report "$INJ/log.flog" -o "$INJ/out" --stages "$STAGES") \
    >"$T/out" 2>"$T/err"
RC=$?
if [ -z "$GNUPLOT" ]; then
    expect_rc inj_report_no_gnuplot 5
else
    expect_rc inj_report 0
    expect_pngs inj_png "$INJ/out"
    if [ -e "$INJ/out/money.gp" ] && [ -e "$INJ/out/aging.gp" ]; then pass inj_money_aging_drawn; else
        fail inj_money_aging_drawn "$(ls "$INJ/out" | tr '\n' ' ')"; fi
fi
# An analyst redraws the hostile charts by hand (no -d): still nothing runs.
if [ -n "$GNUPLOT" ]; then
    for n in $NAMES money aging; do
        (cd "$INJ/out" && HOME=$INJ/home "$GNUPLOT" "$n.gp") >"$T/out" 2>"$T/err"
        if [ $? -eq 0 ]; then pass "inj_by_hand[$n]"; else fail "inj_by_hand[$n]" "$(head -c 300 "$T/err")"; fi
    done
fi
canaries=$(find "$T" /tmp -maxdepth 3 -name 'CANARY*' -newer "$T/marker" 2>/dev/null | head -5 | tr '\n' ' ')
if [ -z "$canaries" ]; then pass inj_no_canary; else fail inj_no_canary "found $canaries"; fi
for d in "$INJ/work" "$INJ/out" "$INJ/home"; do
    if ls -A "$d" | grep -q CANARY; then fail "inj_no_canary_in[$(basename "$d")]" "$(ls -A "$d")"; else
        pass "inj_no_canary_in[$(basename "$d")]"; fi
done
if [ -n "$(ls -A "$INJ/home")" ]; then fail inj_home_untouched "HOME now holds $(ls -A "$INJ/home")"; else
    pass inj_home_untouched; fi

# A hostile output directory name never reaches gnuplot either (it runs in DIR).
HD="$INJ/we'ird \"dir\" \`touch CANARY_DIR\`;x"
run "$FUNNEL" chart "$CH/demo/report.json" -o "$HD"
if [ -n "$GNUPLOT" ]; then expect_rc hostile_dir 0; expect_pngs hostile_dir_png "$HD"; fi
if [ -z "$(find "$T" -name 'CANARY_DIR*')" ]; then pass hostile_dir_no_canary; else fail hostile_dir_no_canary "found"; fi

# The labels read back as the text: gnuplot itself reads the stage column
# of the .tsv (control bytes became spaces; nothing else changed).
if [ -n "$GNUPLOT" ]; then
    cat >"$T/names.gp" <<'EOF'
set datafile separator "\t"
s = ""
set table $discard
plot 'funnel.tsv' using 1:(s = s . strcol(2) . "\n", 0) with points
unset table
set print 'names.txt'
print s
EOF
    (cd "$INJ/out" && HOME=$INJ/home "$GNUPLOT" -d "$T/names.gp") >/dev/null 2>&1
    : >"$T/want-names"
    for s in "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$S7" "$S8" "$S9" "$S10" "$S11"; do
        printf '%s\n' "$s" | tr '\n\t' '  ' | sed 's/ $//' >>"$T/want-names"; echo >>"$T/want-names"
    done
    echo >>"$T/want-names"
    if [ -f "$INJ/out/names.txt" ] && cmp -s "$T/want-names" "$INJ/out/names.txt"; then pass inj_labels_read_back; else
        fail inj_labels_read_back "$(diff "$T/want-names" "$INJ/out/names.txt" 2>&1 | head -6 | tr '\n' ' ')"; fi
    rm -f "$INJ/out/names.txt"
fi

# The page: hostile names show as text, never as markup.
P=$INJ/out/index.html
if [ -f "$P" ] && grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$P" && ! grep -qi '<script' "$P"; then
    pass page_escapes_script; else fail page_escapes_script "$(grep -i -m2 'script' "$P" | head -c 300)"; fi
if grep -qF '&lt;img src=x onerror=alert(1)&gt;' "$P" && ! grep -qF '<img src=x' "$P"; then
    pass page_escapes_unmapped; else fail page_escapes_unmapped "no escaped unmapped name"; fi
if ! grep -q 'http[s]*://' "$P" && ! grep -qiE '<(script|link|iframe)' "$P"; then pass page_self_contained; else
    fail page_self_contained "$(grep -oiE 'https?://[^"]*|<(script|link|iframe)[^>]*' "$P" | head -3 | tr '\n' ' ')"; fi
rows=$(sed -n '/<table id="stages">/,/<\/table>/p' "$P" | grep -c '^<tr')
if [ "$rows" -eq 11 ]; then pass page_row_per_stage; else fail page_row_per_stage "$rows rows"; fi

# --- how gnuplot is started: -d, the cleared environment, an empty HOME, the
# output directory as working directory; a ~/.gnuplot is never read.
if [ -n "$GNUPLOT" ]; then
    mkdir -p "$T/spy" "$T/spyhome"
    echo "system('touch $T/CANARY_RC')" >"$T/spyhome/.gnuplot"
    cat >"$T/spy/gnuplot" <<EOF
#!/bin/sh
{ printf 'arg:%s\n' "\$@"; echo "cwd:\$(pwd -P)"; echo "homefiles:\$(ls -A "\$HOME" | wc -l)"; env; } >>"$T/spy.log"
exec "$GNUPLOT" "\$@"
EOF
    chmod +x "$T/spy/gnuplot"
    FUNNEL_LEAK=1 GNUPLOT_LIB=$T/spyhome HOME=$T/spyhome PATH="$T/spy:$PATH" \
        run "$FUNNEL" chart "$CH/demo/report.json" -o "$T/spyout"
    expect_rc spy_chart 0
    L=$T/spy.log
    if [ "$(grep -c '^arg:-d$' "$L")" -eq 5 ]; then pass gnuplot_argv_d; else fail gnuplot_argv_d "$(grep '^arg' "$L" | head -5 | tr '\n' ' ')"; fi
    if grep -qE "^arg:datafile='funnel\.tsv\.tmp\.[A-Za-z0-9]{6}'; outfile='funnel\.png\.tmp\.[A-Za-z0-9]{6}'$" "$L" &&
       grep -qE '^arg:funnel\.gp\.tmp\.[A-Za-z0-9]{6}$' "$L"; then pass gnuplot_argv_files; else
        fail gnuplot_argv_files "$(grep '^arg' "$L" | head -4 | tr '\n' ' ')"; fi
    if [ "$(grep -c '^LC_ALL=C$' "$L")" -eq 5 ] && ! grep -qE '^(FUNNEL_LEAK|GNUPLOT_LIB)=' "$L"; then
        pass gnuplot_env_cleared; else fail gnuplot_env_cleared "$(grep -vE '^(arg|cwd|homefiles):' "$L" | sort -u | head -8 | tr '\n' ' ')"; fi
    if [ "$(grep -c '^homefiles:0$' "$L")" -eq 5 ] && ! grep -q "^HOME=$T/spyhome\$" "$L"; then pass gnuplot_home_empty; else
        fail gnuplot_home_empty "$(grep -E '^(HOME=|homefiles:)' "$L" | head -4 | tr '\n' ' ')"; fi
    if [ "$(grep -c "^cwd:$(cd "$T/spyout" && pwd -P)\$" "$L")" -eq 5 ]; then pass gnuplot_cwd_dir; else
        fail gnuplot_cwd_dir "$(grep '^cwd' "$L" | head -2 | tr '\n' ' ')"; fi
    if [ ! -e "$T/CANARY_RC" ]; then pass gnuplot_no_startup_file; else fail gnuplot_no_startup_file "~/.gnuplot ran"; fi
fi

# --- failures: gnuplot missing, failing, too slow, or writing no real PNG.
# The previous complete charts stay as they were; no temporary file is left.
D=$T/keep
run "$FUNNEL" chart "$CH/demo/report.json" -o "$D" --no-render
[ -n "$GNUPLOT" ] && run "$FUNNEL" chart "$CH/demo/report.json" -o "$D"
(cd "$D" && cksum *) >"$T/before"
mkdir -p "$T/bin"
fake() { printf '#!/bin/sh\n%s\n' "$1" >"$T/bin/gnuplot"; chmod +x "$T/bin/gnuplot"; }
# outfile='NAME.png.tmp.XXXXXX' is in the third argument.
OUTF='out=$(printf "%s" "$3" | sed "s/.*outfile=.\(.*\)./\1/")'
for c in "missing" "fails:echo boom >&2; exit 1" "slow:sleep 30" \
         "not_png:$OUTF; echo not a png >\"\$out\"" \
         "small_png:$OUTF; printf '\211PNG\r\n\032\n\0\0\0\rIHDR\0\0\0\144\0\0\0\144' >\"\$out\""; do
    name=${c%%:*}
    if [ "$name" = missing ]; then rm -f "$T/bin/gnuplot"; else fake "${c#*:}"; fi
    start=$(date +%s)
    FUNNEL_GNUPLOT_TIMEOUT=2 PATH="$T/bin" run "$FUNNEL" chart "$CH/hostile/report.json" -o "$D"
    took=$(($(date +%s) - start))
    expect_rc "gnuplot_$name[exit]" 5
    (cd "$D" && cksum *) >"$T/after"
    expect_same "gnuplot_$name[previous_kept]" "$T/before" "$T/after"
    no_temp "gnuplot_$name[no_temp]" "$D"
    case $name in
    missing) expect_err "gnuplot_$name[apt_line]" "apt-get install -y gnuplot-nox" ;;
    fails) expect_err "gnuplot_$name[reason]" "gnuplot failed (exit 1): boom" ;;
    slow) expect_err "gnuplot_$name[reason]" "took longer than 2 s"
          if [ "$took" -le 10 ]; then pass "gnuplot_slow[time_limit]"; else fail "gnuplot_slow[time_limit]" "took $took s"; fi ;;
    not_png) expect_err "gnuplot_$name[reason]" "did not write a PNG" ;;
    small_png) expect_err "gnuplot_$name[reason]" "wrote a 100x100 PNG, expected $(sed -n 's/^set terminal pngcairo size \([0-9]*\),\([0-9]*\) .*/\1x\2/p' "$CH/hostile/expected/funnel.gp")" ;;
    esac
done

# funnel killed (kill -9) while gnuplot runs: gnuplot dies with it, instead
# of drawing on into the output directory (PR_SET_PDEATHSIG on Linux).
fake "echo \$\$ >\"$T/gp.pid\"; exec sleep 30"
rm -f "$T/gp.pid"
PATH="$T/bin" "$FUNNEL" chart "$CH/hostile/report.json" -o "$T/killed" 2>/dev/null &
fpid=$!
n=0
while [ ! -s "$T/gp.pid" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
kill -9 "$fpid" 2>/dev/null
{ wait "$fpid"; } 2>/dev/null
gp=$(cat "$T/gp.pid" 2>/dev/null)
n=0
while [ -n "$gp" ] && kill -0 "$gp" 2>/dev/null && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
if [ -z "$gp" ]; then fail gnuplot_dies_with_funnel "gnuplot never started"
elif kill -0 "$gp" 2>/dev/null; then kill -9 "$gp"; fail gnuplot_dies_with_funnel "gnuplot $gp still running 2 s after funnel was killed"
else pass gnuplot_dies_with_funnel; fi

# `report` without gnuplot: report.json and the page, saying so; exit 5.
rm -f "$T/bin/gnuplot"
run "$FUNNEL" append "$T/demo.flog" "$INJ/events.csv"
PATH="$T/bin" run "$FUNNEL" report "$T/demo.flog" -o "$T/nognu" --stages "$STAGES"
expect_rc report_no_gnuplot 5
expect_err report_no_gnuplot_apt "apt-get install -y gnuplot-nox"
if [ -s "$T/nognu/report.json" ] && grep -q 'id="charts-missing"' "$T/nognu/index.html" &&
   grep -q 'apt-get install gnuplot-nox' "$T/nognu/index.html" && ! grep -q '<img' "$T/nognu/index.html"; then
    pass report_no_gnuplot_page; else fail report_no_gnuplot_page "$(ls "$T/nognu" | tr '\n' ' ')"; fi
# `report` with a failing gnuplot: the page names the reason, exit 5.
fake 'echo "broken font" >&2; exit 3'
PATH="$T/bin" run "$FUNNEL" report "$T/demo.flog" -o "$T/nognu" --stages "$STAGES"
expect_rc report_gnuplot_fails 5
if grep -q 'gnuplot could not draw them: <bdi>chart funnel.png: gnuplot failed (exit 3): broken font</bdi>' "$T/nognu/index.html"; then
    pass report_gnuplot_fails_page; else fail report_gnuplot_fails_page "$(grep -o 'charts-missing.*' "$T/nognu/index.html" | head -c 300)"; fi

# --- several gnuplots at once (docs/CHARTS.md "Drawing on every core"):
# `report --threads N` runs up to N, and one failing chart is named the
# same way for any N: the first failing chart in chart order, here
# conversion (the second), slow to fail, while dropouts (the fourth)
# fails at once and stops further starts.
if [ -n "$GNUPLOT" ]; then
    mkdir -p "$T/conc"
    fake "mkdir \"$T/conc/\$\$\"; sleep 0.3; ls \"$T/conc\" | wc -l >>\"$T/conc.log\"; rmdir \"$T/conc/\$\$\"; exec \"$GNUPLOT\" \"\$@\""
    for n in 1 4; do
        rm -f "$T/conc.log"
        PATH="$T/bin" run "$FUNNEL" report "$T/demo.flog" -o "$T/conc$n" --stages "$STAGES" --threads "$n"
        expect_rc "report_jobs_$n" 0
        most=$(sort -n "$T/conc.log" | tail -n 1)
        runs=$(wc -l <"$T/conc.log")
        case $n:$most in
        1:1 | 4:2 | 4:3 | 4:4) ok=1 ;;
        *) ok=0 ;;
        esac
        if [ "$ok" = 1 ]; then
            pass "report_jobs_$n[at_once]"; else fail "report_jobs_$n[at_once]" "at most $most of $runs at once"; fi
    done
    for f in funnel.png conversion.png trend.png report.json; do
        if cmp -s "$T/conc1/$f" "$T/conc4/$f"; then pass "report_jobs_same[$f]"; else fail "report_jobs_same[$f]" differ; fi
    done
    fake "case \"\$4\" in conversion.*) sleep 1; echo slow fail >&2; exit 1 ;; dropouts.*) echo fast fail >&2; exit 2 ;; esac; exec \"$GNUPLOT\" \"\$@\""
    for n in 1 4; do
        rm -rf "$T/fail" "$T/fail.v"
        PATH="$T/bin" run "$FUNNEL" report "$T/demo.flog" -o "$T/fail" --stages "$STAGES" --threads "$n"
        expect_rc "report_jobs_fail_$n" 5
        expect_err "report_jobs_fail_$n[first_in_order]" "chart conversion.png: gnuplot failed (exit 1): slow fail"
        cp "$T/err" "$T/fail$n.err"
    done
    expect_same report_jobs_fail_same_message "$T/fail1.err" "$T/fail4.err"
    no_temp report_jobs_fail_no_temp "$T/fail"
fi

# --- report.json is exactly replay's, with the same options; report's
# default --trend week (docs/DECISIONS.md, "The page v2") given to replay.
OPTS="--stages suspect,prospect,interested,purchasing --as-of 2026-03-01 --stale-after 2w"
W=$T/rep
mkdir -p "$W"
"$FUNNEL" gen --entities 300 --seed 5 --days 90 --start 2026-01-01 -o "$W/e.csv"
"$FUNNEL" append -q "$W/l.flog" "$W/e.csv"
# shellcheck disable=SC2086
"$FUNNEL" replay "$W/l.flog" $OPTS --trend week -o "$W/replay.json"
# shellcheck disable=SC2086
run "$FUNNEL" report "$W/l.flog" -o "$W/out" $OPTS --text
[ -n "$GNUPLOT" ] && expect_rc report_ok 0
expect_same report_json_is_replay "$W/replay.json" "$W/out/report.json"
# shellcheck disable=SC2086
"$FUNNEL" replay "$W/l.flog" $OPTS --trend week --text -o "$W/replay.txt"
expect_same report_text_is_replay "$W/replay.txt" "$W/out/report.txt"
# The JSON read back draws the same charts as the replay itself.
run "$FUNNEL" chart "$W/out/report.json" -o "$W/again" --no-render
if [ -n "$GNUPLOT" ]; then
    ok=1
    for n in $NAMES; do cmp -s "$W/out/$n.tsv" "$W/again/$n.tsv" && cmp -s "$W/out/$n.gp" "$W/again/$n.gp" || ok=0; done
    if [ $ok = 1 ]; then pass json_round_trip_same_charts; else fail json_round_trip_same_charts "sources differ"; fi
fi

# --- usage errors (exit 2) and bad JSON (exit 3, with file:line:col).
for args in "chart" "chart $CH/demo/report.json" "chart $CH/demo/report.json -o" \
            "chart a.json b.json -o x" "chart --bogus $CH/demo/report.json -o x" \
            "report" "report $W/l.flog" "report $W/l.flog -o $T/x --bogus" \
            "report $W/l.flog -o $T/x --stages a,a" "report $W/l.flog -o $T/x --as-of nope"; do
    # shellcheck disable=SC2086
    run "$FUNNEL" $args
    expect_rc "usage[$(echo "$args" | sed "s|$T|T|g; s|$CH|CH|g" | tr ' ' _)]" 2
done
run "$FUNNEL" chart "$T/nope.json" -o "$T/x"
expect_rc json_missing 3
expect_err json_missing_msg "$T/nope.json: No such file or directory"
printf '{"schema": "funnel-report/1",\n  "as_of": nul}\n' >"$T/bad.json"
run "$FUNNEL" chart "$T/bad.json" -o "$T/x"
expect_rc json_invalid 3
expect_err json_invalid_pos "$T/bad.json:2:"
printf '{"schema": "funnel-report/9"}\n' >"$T/bad.json"
run "$FUNNEL" chart "$T/bad.json" -o "$T/x"
expect_rc json_schema 3
expect_err json_schema_msg "schema: expected \"funnel-report/2\" or \"funnel-report/1\""
sed 's/"reached": 1708/"reached": -1/' "$CH/two_stages/report.json" >"$T/bad.json"
run "$FUNNEL" chart "$T/bad.json" -o "$T/x"
expect_rc json_negative 3
expect_err json_negative_msg "stages[0].reached: expected a non-negative integer"
sed 's/"name": "suspect"/"name": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"/' \
    "$CH/two_stages/report.json" >"$T/bad.json"
run "$FUNNEL" chart "$T/bad.json" -o "$T/x"
expect_rc json_long_name 3
grep -v '"touches"' "$CH/demo/report.json" >"$T/bad.json"
run "$FUNNEL" chart "$T/bad.json" -o "$T/x"
expect_rc json_missing_key 3
if [ ! -e "$T/x" ]; then pass json_bad_writes_nothing; else fail json_bad_writes_nothing "$T/x exists"; fi
