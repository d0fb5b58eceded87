# t_rel_locale.sh - nothing may depend on the machine's time zone or locale
# (docs/RELIABILITY.md, promise "time zone and locale").  A generated log
# whose input times carry UTC offsets from -12:00 to +14:00 is appended,
# replayed (JSON, --text, --as-of with an offset, --stale-after), written
# back by cat, verified, checked and charted (--no-render) under TZ=UTC
# LC_ALL=C, then under other zones (Pacific/Chatham +12:45/+13:45,
# Pacific/Kiritimati +14, Etc/GMT+12 -12, America/St_Johns -03:30, a POSIX TZ
# string) and locales (C.UTF-8, and de_DE.UTF-8 with a decimal comma and
# tr_TR.UTF-8 with its dotless i when localedef can build them into a scratch
# LOCPATH): every output and the log's bytes must be identical.  Also: the
# offset times equal the UTC ones they stand for, hostile time fixtures give
# their expected cat output under Chatham, and the unit test binaries pass
# under TZ=Pacific/Chatham.  make test samples the zone/locale pairs (below);
# STRESS=1 tries every pair.
. "$(dirname "$0")/lib.sh"

HOST=$FIX/csv/hostile

# --- input: gen's UTC times rewritten as local times at many offsets.
"$FUNNEL" gen --entities 250 --seed 61 --days 120 >"$T/utc.csv"
awk -F, -v OFS=, '
function dfc(y, m, d,   era, yoe, mp, doy, doe) {
    y -= (m <= 2); era = int((y >= 0 ? y : y - 399) / 400); yoe = y - era * 400
    mp = (m > 2 ? m - 3 : m + 9); doy = int((153 * mp + 2) / 5) + d - 1
    doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
    return era * 146097 + doe - 719468
}
function cfd(z,   era, doe, yoe, doy, mp) {
    z += 719468; era = int((z >= 0 ? z : z - 146096) / 146097); doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100)); mp = int((5 * doy + 2) / 153)
    D = doy - int((153 * mp + 2) / 5) + 1; M = (mp < 10 ? mp + 3 : mp - 9); Y = yoe + era * 400 + (M <= 2)
}
BEGIN { n = split("-720 -660 -600 -570 -480 -210 0 0 330 345 525 570 765 780 825 840", offs, " ") }
NR == 1 { print; next }
{
    t = $1   # YYYY-MM-DDTHH:MM:SSZ
    s = dfc(substr(t, 1, 4) + 0, substr(t, 6, 2) + 0, substr(t, 9, 2) + 0) * 86400
    s += substr(t, 12, 2) * 3600 + substr(t, 15, 2) * 60 + substr(t, 18, 2)
    o = offs[NR % n + 1]; l = s + o * 60
    cfd(int(l / 86400)); r = l % 86400
    a = (o < 0 ? -o : o)
    z = (o == 0 && NR % 2) ? "Z" : sprintf("%s%02d:%02d", (o < 0 ? "-" : "+"), int(a / 60), a % 60)
    $1 = sprintf("%04d-%02d-%02d%s%02d:%02d:%02d%s", Y, M, D, (NR % 3 ? "T" : " "),
                 int(r / 3600), int(r / 60) % 60, r % 60, z)
    print
}' "$T/utc.csv" >"$T/local.csv"
if [ "$(wc -l <"$T/local.csv")" -eq "$(wc -l <"$T/utc.csv")" ] && grep -q '+14:00' "$T/local.csv" &&
    grep -q '+12:45' "$T/local.csv" && grep -q '+13:45' "$T/local.csv" && grep -q -- '-12:00' "$T/local.csv" &&
    grep -q -- '-09:30' "$T/local.csv"; then
    pass "locale_input[$(($(wc -l <"$T/local.csv") - 1)) rows, offsets -12:00..+14:00]"
else
    fail locale_input "the offset rewrite did not produce the expected rows"
fi

# ops DIR : the operations, run in the current environment; outputs into DIR.
AS_OF="2026-03-01T12:00:00+13:45"
ops() {
    _d=$1
    mkdir -p "$_d"
    rm -f "$_d/log.flog"
    {
        "$FUNNEL" append -q "$_d/log.flog" "$T/local.csv"; echo "append $?"
        "$FUNNEL" replay "$_d/log.flog" >"$_d/report.json"; echo "replay $?"
        "$FUNNEL" replay "$_d/log.flog" --text >"$_d/report.txt"; echo "text $?"
        "$FUNNEL" replay "$_d/log.flog" --as-of "$AS_OF" --stale-after 2w -o "$_d/asof.json"; echo "asof $?"
        "$FUNNEL" replay "$_d/log.flog" --stages suspect,PROSPECT,Interested,engaged --as-of 2026-02-15 >"$_d/stages.json"; echo "stages $?"
        "$FUNNEL" cat "$_d/log.flog" >"$_d/cat.csv"; echo "cat $?"
        (cd "$_d" && exec "$FUNNEL" verify log.flog >verify.txt); echo "verify $?"   # it names the path
        "$FUNNEL" check "$_d/report.json" "$T/base/report.json" --tolerance 0.000001 >"$_d/check.txt"; echo "check $?"
        "$FUNNEL" gen --entities 20 --seed 3 >"$_d/gen.csv"; echo "gen $?"
        "$FUNNEL" chart "$_d/asof.json" -o "$_d/charts" --no-render >/dev/null; echo "chart $?"
        for f in ts_offsets ts_offsets_boundaries ts_chatham_dst ts_leap_2024 ts_min ts_max utf8_valid channel_case; do
            rm -f "$_d/h.flog"
            "$FUNNEL" append -q "$_d/h.flog" "$HOST/$f.csv" && "$FUNNEL" cat "$_d/h.flog" >"$_d/h_$f.cat"
            echo "hostile $f $?"
        done
    } >"$_d/codes" 2>"$_d/stderr"
}

# compare NAME DIR : DIR's outputs equal the baseline's, byte for byte.
compare() {
    _why=""
    for f in codes log.flog report.json report.txt asof.json stages.json cat.csv verify.txt gen.csv; do
        if [ -f "$2/$f" ] && [ -f "$T/base/$f" ]; then
            cmp -s "$2/$f" "$T/base/$f" || _why="$_why $f differs;"
        else
            _why="$_why $f missing;"
        fi
    done
    for f in "$T"/base/charts/*.gp "$T"/base/charts/*.tsv "$T"/base/h_*.cat; do
        b=${f#"$T"/base/}
        cmp -s "$f" "$2/$b" || _why="$_why $b differs;"
    done
    if [ -z "$_why" ]; then pass "$1"; else fail "$1" "vs TZ=UTC LC_ALL=C:$_why $(head -c 200 "$2/stderr")"; fi
}

mkdir -p "$T/base"
TZ=UTC LC_ALL=C ops "$T/base"
# The check step of the baseline compares the report with itself.
if [ "$(grep -cv ' 0$' "$T/base/codes")" -eq 0 ] && [ "$(grep -c . "$T/base/codes")" -eq 18 ] &&
    [ -s "$T/base/charts/funnel.gp" ]; then
    pass "locale_baseline[TZ=UTC LC_ALL=C: 18 operations exit 0]"
else
    fail locale_baseline "$(grep -v ' 0$' "$T/base/codes" | tr '\n' ' ') $(head -c 300 "$T/base/stderr")"
fi
for f in "$T"/base/h_*.cat; do
    n=${f#"$T"/base/h_}
    cmp -s "$f" "$HOST/$n" || fail "locale_baseline_hostile[$n]" "cat differs from $HOST/$n"
done

# The offset times stand for the UTC times of gen: same cat, same report.
rm -f "$T/utc.flog"
"$FUNNEL" append -q "$T/utc.flog" "$T/utc.csv" && "$FUNNEL" cat "$T/utc.flog" >"$T/utc_cat.csv" &&
    "$FUNNEL" replay "$T/utc.flog" >"$T/utc.json"
if cmp -s "$T/utc_cat.csv" "$T/base/cat.csv" && cmp -s "$T/utc.json" "$T/base/report.json"; then
    pass locale_offsets_equal_utc
else
    fail locale_offsets_equal_utc "cat or report of the offset input differs from the UTC input"
fi

# --- locales: C.UTF-8 always (glibc ships it); de_DE and tr_TR built with
# localedef into a scratch LOCPATH when the sources are installed.
LOCS="C.UTF-8"
LOCDIR=$T/locales
mkdir -p "$LOCDIR"
if command -v localedef >/dev/null 2>&1; then
    for l in de_DE tr_TR; do
        if localedef -i $l -f UTF-8 "$LOCDIR/$l.UTF-8" >/dev/null 2>&1 ||
            [ -f "$LOCDIR/$l.UTF-8/LC_CTYPE" ]; then
            LOCS="$LOCS $l.UTF-8"
        else
            echo "SKIP locale[$l.UTF-8]: localedef cannot build it (locale sources not installed)"
        fi
    done
else
    echo "SKIP locale[de_DE.UTF-8, tr_TR.UTF-8]: no localedef"
fi
# A locale that does not load would silently test C: insist that it does.
for l in $LOCS; do
    dp=$(LOCPATH=$LOCDIR LC_ALL=$l locale decimal_point 2>"$T/lerr")
    if [ -s "$T/lerr" ]; then fail "locale_loads[$l]" "$(head -c 200 "$T/lerr")"; else
        pass "locale_loads[$l: decimal point '$dp']"; fi
done

# make test: each zone with C and with one of the other locales in turn
# (10 pairs; every locale meets at least one zone); STRESS=1: all 20.
n=0 nz=0
for tz in Pacific/Chatham Pacific/Kiritimati Etc/GMT+12 America/St_Johns "CHAST-12:45CHADT,M9.5.0/2:45,M4.1.0/3:45"; do
    case $tz in
    *,*) ;;   # a POSIX TZ string, no file
    */*) [ -f "/usr/share/zoneinfo/$tz" ] || { echo "SKIP locale_tz[$tz]: no zoneinfo file"; continue; } ;;
    esac
    nz=$((nz + 1))
    for l in C $LOCS; do
        if [ "${STRESS:-0}" != 1 ] && [ "$l" != C ]; then
            set -- $LOCS
            eval "pick=\${$(((nz - 1) % $# + 1))}"
            [ "$l" = "$pick" ] || continue
        fi
        n=$((n + 1))
        TZ=$tz LC_ALL=$l LOCPATH=$LOCDIR ops "$T/run$n"
        compare "locale_identical[TZ=$tz LC_ALL=$l]" "$T/run$n"
    done
done
# LANG and the LC_* categories one by one, without LC_ALL.
for l in $LOCS; do
    n=$((n + 1))
    (unset LC_ALL; TZ=Pacific/Chatham LANG=$l LC_NUMERIC=$l LC_TIME=$l LC_COLLATE=$l LC_CTYPE=$l \
        LOCPATH=$LOCDIR ops "$T/run$n")
    compare "locale_identical[TZ=Pacific/Chatham LANG=LC_*=$l]" "$T/run$n"
done

# --- the unit tests under TZ=Pacific/Chatham and a UTF-8 locale.
ud=${UNIT_DIR:-}
case $ud in /*) ;; ?*) ud=$ROOT/$ud ;; esac
if [ -n "$ud" ] && [ -d "$ud" ]; then
    nu=0 bad=0
    for t in "$ud"/test_*; do
        [ -x "$t" ] || continue
        nu=$((nu + 1))
        TZ=Pacific/Chatham LC_ALL=C.UTF-8 "$t" >"$T/unit.out" 2>&1 ||
            { bad=$((bad + 1)); fail "locale_unit[$(basename "$t")]" "$(grep FAILED "$T/unit.out" | head -c 300)"; }
    done
    [ $bad -eq 0 ] && pass "locale_unit_tests_chatham[$nu binaries]"
else
    echo "SKIP locale_unit_tests_chatham: UNIT_DIR not set (run through make test)"
fi
