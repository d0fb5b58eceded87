#!/bin/sh
# t_rel_publish.sh - docs/RELIABILITY.md, "Publishing a report as one set":
# `funnel report LOG -o DIR` killed with SIGKILL at any moment leaves DIR a
# whole report of one run, old or new, never a mix; the next complete run
# leaves nothing of the killed ones behind.
#
# Two logs A and B (different data) give two reference reports (REFA, REFB:
# report.json, index.html and the five charts' .tsv, .gp and .png), made by
# complete runs.  DIR starts as a report of A; each run then reports the
# other log (B, A, B, ...) into DIR and is killed.  After every run:
#   - index.html, report.json, every file the page references (src=) and
#     every chart file in DIR exists and equals its REFA or its REFB
#     version, all of them the same one ("mixed" otherwise; a file equal to
#     neither is "partial");
#   - DIR holds no other name (a temporary NAME.tmp.XXXXXX is a leftover).
# Every 5th run (and at the end) a complete run follows, after which nothing
# a killed run left may remain: beside DIR only DIR.v; in DIR.v only lock,
# previous and two run folders (the current and the previous); no
# link.* name; no funnel-gnuplot-* folder in TMPDIR.
#
# 1. Random kills: N runs (30; 400 with STRESS=1; KILLS=N to choose), each
#    killed after a random 0..1.1 T ms, T a complete run's duration.
# 2. A kill at every rename: under strace, funnel gets SIGKILL on entering
#    its K-th rename() for K = 1, 2, ... until a run completes, with a
#    stand-in gnuplot that copies the reference PNG (the moments between
#    publishing two files, which random kills seldom hit).  Skipped without
#    strace.
# RSEED=N picks the random sequence (default 1).
# Summary: "PASS publish_set: N kills ..., mixed 0, partial 0, leftovers 0".
. "$(dirname "$0")/lib.sh"
if [ "${STRESS:-0}" = 1 ]; then N=400; else N=30; fi
[ -n "${KILLS:-}" ] && N=$KILLS
seed=${RSEED:-1}
t0=$(date +%s)
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "SKIP publish_set: gnuplot is not installed (apt-get install gnuplot-nox)"
    exit 0
fi
rand() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); R=$(((seed / 65536) % $1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

mkdir -p "$T/tmp" "$T/site"
export TMPDIR="$T/tmp"
CFILES=""
for c in funnel conversion time-in-stage dropouts touches money aging trend; do CFILES="$CFILES $c.tsv $c.gp $c.png"; done
RFILES="report.json index.html$CFILES"
D="$T/site/nightly"

"$FUNNEL" gen --entities 4000 --seed 1 >"$T/a.csv"
"$FUNNEL" gen --entities 3000 --seed 2 --start 2026-03-01 >"$T/b.csv"
ok=1
"$FUNNEL" append -q "$T/A.flog" "$T/a.csv" || ok=0
"$FUNNEL" append -q "$T/B.flog" "$T/b.csv" || ok=0
"$FUNNEL" report "$T/A.flog" -o "$T/REFA" >/dev/null || ok=0
t1=$(now_ms)
"$FUNNEL" report "$T/B.flog" -o "$T/REFB" >/dev/null || ok=0
T_MS=$(($(now_ms) - t1))
differ=0
for f in $RFILES; do
    [ -s "$T/REFA/$f" ] && [ -s "$T/REFB/$f" ] || ok=0
    cmp -s "$T/REFA/$f" "$T/REFB/$f" || differ=$((differ + 1))
done
"$FUNNEL" report "$T/A.flog" -o "$D" >/dev/null || ok=0
rm -rf "$T/tmp"/*
if [ "$ok" = 1 ] && cmp -s "$T/REFA/index.html" "$T/REFB/index.html"; then ok=0; fi
if [ "$ok" = 1 ] && [ $differ -ge 12 ]; then
    pass "publish_setup[$differ of $(echo $RFILES | wc -w) files differ between the two logs; a report takes $T_MS ms]"
else
    fail publish_setup "references not made (ok=$ok, $differ files differ)"
    exit 0
fi

# check WHAT : DIR after a run; counts mixed, partial, missing, strays.
runs=0 killed=0 completed=0 mixed=0 partial=0 missing=0 stray=0 nA=0 nB=0
check() {
    runs=$((runs + 1))
    a=0 b=0 bad=""
    refs=$(grep -o 'src="[^"]*"' "$D/index.html" 2>/dev/null | sed 's/src="\(.*\)"/\1/' | sort -u)
    for f in $RFILES $refs; do
        if [ ! -f "$D/$f" ]; then
            missing=$((missing + 1)); bad="$bad missing:$f"; continue
        fi
        ia=0 ib=0
        cmp -s "$D/$f" "$T/REFA/$f" && ia=1
        cmp -s "$D/$f" "$T/REFB/$f" && ib=1
        if [ $ia = 0 ] && [ $ib = 0 ]; then partial=$((partial + 1)); bad="$bad partial:$f"
        elif [ $ib = 0 ]; then a=$((a + 1))
        elif [ $ia = 0 ]; then b=$((b + 1)); fi
    done
    if [ $a -gt 0 ] && [ $b -gt 0 ]; then
        mixed=$((mixed + 1)); bad="$bad mixed($a from A, $b from B)"
    elif [ $a -gt 0 ]; then nA=$((nA + 1)) cur=A; else nB=$((nB + 1)) cur=B; fi
    for f in $(ls -A "$D"); do
        case " $RFILES " in *" $f "*) continue ;; esac
        stray=$((stray + 1)); bad="$bad stray:$f"
    done
    [ -n "$bad" ] && fail "publish[$1]" "$(echo "$bad" | cut -c1-300)"
}

# clean WHAT : after a complete run, nothing of killed runs may remain.
leftovers=0 cleans=0
clean() {
    cleans=$((cleans + 1))
    left=""
    for f in $(ls -A "$T/site"); do
        case $f in nightly|nightly.v) ;; *) left="$left site/$f" ;; esac
    done
    if [ -d "$D.v" ]; then
        nrun=0
        for f in $(ls -A "$D.v"); do
            case $f in
            lock|previous) ;;
            [0-9]*T[0-9]*Z-*) nrun=$((nrun + 1)) ;;
            *) left="$left nightly.v/$f" ;;
            esac
        done
        [ $nrun -le 2 ] || left="$left $nrun-run-folders"
    fi
    for f in $(ls -A "$T/tmp"); do left="$left tmp/$f"; done
    if [ -n "$left" ]; then
        leftovers=$((leftovers + $(echo $left | wc -w)))
        fail "publish_clean[$1]" "left after a complete run:$(echo "$left" | cut -c1-300)"
    fi
}

# one [PREFIX...] : a run of report into DIR in the background, of the log
# DIR does not hold now (so that a switch shows), which goes to $log.
one() {
    if [ "$cur" = A ]; then log=B; else log=A; fi
    "$@" "$FUNNEL" report "$T/$log.flog" -o "$D" >/dev/null 2>&1 &
    pid=$!
}

# --- random kills.
cur=A i=1
while [ $i -le "$N" ]; do
    rand $((T_MS * 11 / 10 + 1))
    one
    sleep "$((R / 1000)).$(printf '%03d' $((R % 1000)))"
    kill -9 "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    rc=$?
    case $rc in 137) killed=$((killed + 1)) ;; 0) completed=$((completed + 1)) ;;
    *) fail "publish[kill:$i]" "exit $rc" ;; esac
    check "kill:$i (log $log) after $R ms"
    if [ $((i % 5)) = 0 ] || [ $i = "$N" ]; then
        one
        { wait "$pid"; } 2>/dev/null || fail "publish[full:$i]" "exit $?"
        check "full:$i"
        clean "after kill $i"
    fi
    i=$((i + 1))
done
r_runs=$runs r_killed=$killed r_mixed=$mixed

# --- a kill at every rename, gnuplot a stand-in that copies the reference
# PNG of the data it is given.
mkdir -p "$T/fast"
cat >"$T/fast/gnuplot" <<EOF
#!/bin/sh
out=\$(printf "%s" "\$3" | sed "s/.*outfile=.\(.*\)./\1/")
data=\$(printf "%s" "\$3" | sed "s/.*datafile=.\([^']*\)'.*/\1/")
name=\${4%%.gp.tmp.*}
if cmp -s "\$data" "$T/REFA/\$name.tsv"; then cp "$T/REFA/\$name.png" "\$out"
else cp "$T/REFB/\$name.png" "\$out"; fi
EOF
chmod +x "$T/fast/gnuplot"
steps=0
if command -v strace >/dev/null 2>&1; then
    k=1 start=$cur
    while :; do
        cur=$start   # every step reports the same log
        PATH="$T/fast:$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
            one strace -qq -o /dev/null -e trace=rename -e inject=rename:signal=KILL:when=$k
        { wait "$pid"; } 2>/dev/null
        rc=$?
        check "rename:$k (log $log, exit $rc)"
        [ "$rc" -eq 137 ] || break
        steps=$((steps + 1))
        [ $k -ge 200 ] && { fail "publish[rename]" "no end"; break; }
        k=$((k + 1))
    done
    one
    { wait "$pid"; } 2>/dev/null || fail "publish[full:steps]" "exit $?"
    check "full:steps"
    clean "after the step kills"
    steps_desc="step kills $steps (at every rename of a run)"
else
    echo "SKIP publish_steps: strace is not installed (apt-get install strace)"
    steps_desc="step kills skipped (no strace)"
fi

secs=$(($(date +%s) - t0))
summary="$N random kills ($r_killed killed, mixed $r_mixed), $steps_desc; $runs sets checked (all of A $nA, all of B $nB), mixed $mixed, partial $partial, missing $missing, stray names in DIR $stray (summed over the checks); $cleans complete runs checked, leftovers $leftovers; T=${T_MS} ms, RSEED=${RSEED:-1}, ${secs}s"
if [ $mixed -eq 0 ] && [ $partial -eq 0 ] && [ $missing -eq 0 ] && [ $stray -eq 0 ] && [ $leftovers -eq 0 ]; then
    pass "publish_set: $summary"
else
    fail publish_set "$summary"
fi
