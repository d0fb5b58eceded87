# t_rel_scale.sh - scale attacks (docs/RELIABILITY.md, promise "scale
# attacks"), everything under `ulimit -v` 1 GiB: many distinct entities
# (300,000; 10 million with STRESS=1), many distinct unmapped stage names
# (50,000; a million), 200 attribute columns (20,000 rows; 500,000), one big
# batch (2 million events; 20 million) whose append must peak within 8 MiB of
# a batch a tenth its size.  Replay's peak memory must stay within the bound
# of docs/BENCHMARKS.md (100 bytes per entity + 64 MiB); the figures (peak
# RSS, bytes per entity, seconds) are printed in the PASS lines.  Running out
# of memory must give exit 5 "out of memory" and no partial output: a sweep
# of small `ulimit -v` values over replay -o, append and cat (and, with
# STRESS, replay of the 10-million-entity log under `ulimit -v 200000`).
# Data are awk streams, never stored in git.
. "$(dirname "$0")/lib.sh"

VLIMIT=1048576   # KiB: 1 GiB
if [ "${STRESS:-0}" = 1 ]; then
    NENT=10000000 NSTAGE=1000000 NWIDE=500000
else
    NENT=300000 NSTAGE=50000 NWIDE=20000
fi
MIB=1048576
have_time=0
[ -x /usr/bin/time ] && have_time=1
# AddressSanitizer (make asan) reserves terabytes of shadow memory, so no
# `ulimit -v` can apply and RSS says nothing: run the workloads unlimited
# and skip the memory bounds and the out-of-memory sweeps.
asan=0
if grep -q __asan_init "$FUNNEL" 2>/dev/null; then
    asan=1 VLIMIT=unlimited
    echo "SKIP scale_memory_bounds: AddressSanitizer build (ulimit -v and peak RSS do not apply)"
fi
# within_bound BYTES BOUND : BYTES <= BOUND, or an ASan build.
within_bound() { [ $asan = 1 ] || [ "$1" -le "$2" ]; }

# limited KB CMD... : run CMD under `ulimit -v KB`; exit code in RC, stdout
# in $T/out, stderr in $T/err, peak RSS (KiB) in RSS, seconds in SECS.
limited() {
    _kb=$1
    shift
    RSS=0 SECS=0
    if [ $have_time = 1 ]; then
        (ulimit -v "$_kb" && exec /usr/bin/time -f '%M %e' -o "$T/tm" "$@") >"$T/out" 2>"$T/err"
        RC=$?
        set -- $(tail -n 1 "$T/tm")
        case ${1:-x} in *[!0-9]*) ;; *) RSS=$1 SECS=${2:-0} ;; esac
    else
        (ulimit -v "$_kb" && exec "$@") >"$T/out" 2>"$T/err"
        RC=$?
    fi
}
# limited_in KB INPUT CMD... : the same with standard input from INPUT (a file or FIFO).
limited_in() {
    _kb=$1 _in=$2
    shift 2
    RSS=0 SECS=0
    if [ $have_time = 1 ]; then
        (ulimit -v "$_kb" && exec /usr/bin/time -f '%M %e' -o "$T/tm" "$@" <"$_in") >"$T/out" 2>"$T/err"
        RC=$?
        set -- $(tail -n 1 "$T/tm")
        case ${1:-x} in *[!0-9]*) ;; *) RSS=$1 SECS=${2:-0} ;; esac
    else
        (ulimit -v "$_kb" && exec "$@" <"$_in") >"$T/out" 2>"$T/err"
        RC=$?
    fi
}
json_int() { sed -n "s/^ *\"$2\": \\([0-9]*\\).*/\\1/p" "$1" | head -n 1; }

# --- the floor: replay of a tiny log.
printf 'time,entity,stage,channel\n2024-01-01,E1,suspect,sales\n' >"$T/tiny.csv"
"$FUNNEL" append -q "$T/tiny.flog" "$T/tiny.csv"
limited $VLIMIT "$FUNNEL" replay "$T/tiny.flog" -o "$T/tiny.json"
BASE_RSS=$RSS

# --- 1. NENT distinct entities, one event each, streamed from awk.
mkfifo "$T/ent.fifo"
awk -v n=$NENT 'BEGIN { split("suspect prospect interested engaged evaluating negotiating purchasing", st, " ")
    print "time,entity,stage,channel"
    for (i = 0; i < n; i++)
        printf "%d,E%08d,%s,%s\n", 1700000000 + int(i / 10), i, st[i % 7 + 1], (i % 3 ? "marketing" : "sales") }' >"$T/ent.fifo" &
limited_in $VLIMIT "$T/ent.fifo" "$FUNNEL" append -q "$T/ent.flog" -
wait
if [ $RC -eq 0 ]; then
    pass "scale_entities_append[$NENT entities: peak RSS $((RSS / 1024)) MiB, $((RSS * 1024 / NENT)) B/entity, ${SECS} s, log $(($(wc -c <"$T/ent.flog") / 1024)) KiB]"
else
    fail scale_entities_append "exit $RC under ulimit -v $VLIMIT: $(head -c 300 "$T/err")"
fi
limited $VLIMIT "$FUNNEL" replay "$T/ent.flog" -o "$T/ent.json"
bound=$((100 * NENT + 64 * MIB))
if [ $RC -eq 0 ] && [ "$(json_int "$T/ent.json" entities)" = "$NENT" ] && [ "$(json_int "$T/ent.json" read)" = "$NENT" ] &&
    within_bound $((RSS * 1024)) $bound; then
    pass "scale_entities_replay[peak RSS $((RSS / 1024)) MiB of a bound of $((bound / MIB)) MiB; $(((RSS - BASE_RSS) * 1024 / NENT)) B/entity above the floor of $((BASE_RSS / 1024)) MiB; ${SECS} s]"
else
    fail scale_entities_replay "exit $RC, entities $(json_int "$T/ent.json" entities), peak RSS $RSS KiB (bound $((bound / 1024)) KiB): $(head -c 300 "$T/err")"
fi
# Appending to it loads every entity string of the log.
limited $VLIMIT "$FUNNEL" append -q "$T/ent.flog" "$T/tiny.csv"
if [ $RC -eq 0 ]; then
    pass "scale_entities_append_to_big_log[peak RSS $((RSS / 1024)) MiB, $((RSS * 1024 / NENT)) B/entity, ${SECS} s]"
else
    fail scale_entities_append_to_big_log "exit $RC: $(head -c 300 "$T/err")"
fi
limited $VLIMIT "$FUNNEL" verify "$T/ent.flog"
if [ $RC -eq 0 ]; then pass "scale_entities_verify[peak RSS $((RSS / 1024)) MiB, ${SECS} s]"; else
    fail scale_entities_verify "exit $RC: $(head -c 300 "$T/err")"; fi

# --- 2. NSTAGE distinct unmapped stage names.
awk -v n=$NSTAGE 'BEGIN { print "time,entity,stage,channel"
    for (i = 0; i < n; i++) printf "%d,S%d,unmapped-%07d,marketing\n", 1700000000 + i, i % 1000, i
    print "1800000000,S1,suspect,sales" }' >"$T/stages.csv"
limited $VLIMIT "$FUNNEL" append -q "$T/st.flog" "$T/stages.csv"
arc=$RC arss=$RSS asecs=$SECS
rm -f "$T/stages.csv"
limited $VLIMIT "$FUNNEL" replay "$T/st.flog" -o "$T/st.json"
nlisted=$(grep -c '"name": "unmapped-' "$T/st.json")
if [ $arc -eq 0 ] && [ $RC -eq 0 ] && [ "$(json_int "$T/st.json" unmapped)" = "$NSTAGE" ] && [ "$nlisted" = "$NSTAGE" ]; then
    pass "scale_unmapped_stages[$NSTAGE names: append peak RSS $((arss / 1024)) MiB ${asecs} s; replay peak RSS $((RSS / 1024)) MiB ${SECS} s, report $(($(wc -c <"$T/st.json") / 1024)) KiB]"
else
    fail scale_unmapped_stages "append exit $arc, replay exit $RC, unmapped $(json_int "$T/st.json" unmapped), listed $nlisted: $(head -c 300 "$T/err")"
fi
limited $VLIMIT "$FUNNEL" replay "$T/st.flog" --text
if [ $RC -eq 0 ] && [ "$(grep -c 'unmapped-' "$T/out")" -le 6 ]; then
    pass "scale_unmapped_stages_text[peak RSS $((RSS / 1024)) MiB, ${SECS} s]"
else
    fail scale_unmapped_stages_text "exit $RC, $(grep -c 'unmapped-' "$T/out") names shown: $(head -c 300 "$T/err")"
fi

# --- 3. 200 attribute columns.
awk -v n=$NWIDE 'BEGIN { printf "time,entity,stage,channel"
    for (j = 1; j <= 200; j++) printf ",attr%03d", j
    print ""
    for (i = 0; i < n; i++) {
        printf "%d,W%06d,%s,sales", 1700000000 + i * 60, i % 5000, (i % 2 ? "suspect" : "engaged")
        for (j = 1; j <= 200; j++) printf ",v%d", (i * j + j) % 97
        print ""
    } }' >"$T/wide.csv"
limited $VLIMIT "$FUNNEL" append -q "$T/wide.flog" "$T/wide.csv"
arc=$RC arss=$RSS asecs=$SECS
limited $VLIMIT "$FUNNEL" cat "$T/wide.flog"
crc=$RC
mv "$T/out" "$T/wide_cat.csv"
crss=$RSS csecs=$SECS
hdr_ok=0
[ "$(head -n 1 "$T/wide_cat.csv" | tr ',' '\n' | wc -l)" -eq 207 ] && hdr_ok=1
"$FUNNEL" append -q "$T/wide2.flog" "$T/wide_cat.csv" && "$FUNNEL" cat "$T/wide2.flog" >"$T/wide_cat2.csv"
if [ $arc -eq 0 ] && [ $crc -eq 0 ] && [ $hdr_ok = 1 ] && cmp -s "$T/wide_cat.csv" "$T/wide_cat2.csv" &&
    [ "$(($(wc -l <"$T/wide_cat.csv") - 1))" -eq $NWIDE ]; then
    pass "scale_200_attributes[$NWIDE rows: append peak RSS $((arss / 1024)) MiB ${asecs} s; cat peak RSS $((crss / 1024)) MiB ${csecs} s; round trip exact]"
else
    fail scale_200_attributes "append exit $arc, cat exit $crc, header ok $hdr_ok: $(head -c 300 "$T/err")"
fi
rm -f "$T/wide.csv" "$T/wide_cat2.csv" "$T/wide2.flog"

# --- 4. append memory does not grow with the batch (docs/FORMAT.md §9 step
# 4): EVENTS blocks past a few MB wait in a nameless spill file, so a batch
# ten times bigger over the same entities peaks within 8 MiB of the smaller
# one (before: ~12 B an event more, +24 MiB at 2 M events).  Streamed from
# gen; STRESS=1 appends 20 M events (~100 MB of blocks).
if [ "${STRESS:-0}" = 1 ]; then BIGN=20000000 BIGENT=100000; else BIGN=2000000 BIGENT=20000; fi
# batch_rss N : peak RSS (KiB) of appending N gen events to a new log, in RSS.
batch_rss() {
    rm -f "$T/mem.flog" "$T/mem.fifo"
    mkfifo "$T/mem.fifo"
    "$FUNNEL" gen --entities $BIGENT --events "$1" --seed 7 --days 365 >"$T/mem.fifo" &
    limited_in $VLIMIT "$T/mem.fifo" "$FUNNEL" append -q "$T/mem.flog" -
    wait
}
batch_rss $((BIGN / 10))
small_rss=$RSS small_rc=$RC
batch_rss $BIGN
big_log=$(wc -c <"$T/mem.flog")
left=$(find "$T" -maxdepth 1 -name '.funnel-spill*' | wc -l)
"$FUNNEL" verify "$T/mem.flog" >"$T/v.out" 2>&1
vrc=$?
grow=$((RSS - small_rss))
if [ $small_rc -eq 0 ] && [ $RC -eq 0 ] && [ $vrc -eq 0 ] && grep -q ": ok: 1 batches" "$T/v.out" && [ "$left" -eq 0 ] &&
    { [ $have_time = 0 ] || within_bound $((grow * 1024)) $((8 * MIB)); }; then
    pass "scale_append_memory_bounded[$((BIGN / 10)) events: peak RSS $((small_rss / 1024)) MiB; $BIGN events ($((big_log / MIB)) MiB of log): $((RSS / 1024)) MiB, +$((grow / 1024)) MiB; ${SECS} s]"
else
    fail scale_append_memory_bounded "exits $small_rc/$RC, verify $vrc ($(head -c 120 "$T/v.out")), $left spill files left; peak RSS $small_rss KiB at $((BIGN / 10)) events, $RSS KiB at $BIGN (bound: +8 MiB): $(head -c 200 "$T/err")"
fi
rm -f "$T/mem.flog" "$T/mem.fifo"

if [ $asan = 1 ]; then
    echo "SKIP scale_oom: AddressSanitizer build (ulimit -v cannot apply)"
    exit 0
fi

# --- 5. out of memory: a sweep of small limits.  Every run exits 0 (with the
# full result) or 5 "out of memory" with nothing written; never a crash.
"$FUNNEL" replay "$T/ent.flog" -o "$T/ent_full.json"
printf 'previous\n' >"$T/keep.json"
n=0 n5=0 bad=0
for kb in 8000 10000 12000 14000 16000 20000 24000 28000 32000 40000 48000 64000 80000 96000 128000; do
    n=$((n + 1))
    cp "$T/keep.json" "$T/rep.json"
    limited $kb "$FUNNEL" replay "$T/ent.flog" -o "$T/rep.json"
    left=$(find "$T" -maxdepth 1 -name 'rep.json.tmp*' | wc -l)
    if [ $RC -eq 5 ] && grep -q "out of memory" "$T/err" && cmp -s "$T/rep.json" "$T/keep.json" && [ "$left" -eq 0 ]; then
        n5=$((n5 + 1))
    elif [ $RC -eq 0 ] && cmp -s "$T/rep.json" "$T/ent_full.json"; then
        :
    else
        bad=$((bad + 1))
        fail "scale_oom_replay[ulimit -v $kb]" "exit $RC, $left temp files, report $(cmp -s "$T/rep.json" "$T/keep.json" && echo kept || echo REPLACED): $(head -c 200 "$T/err")"
    fi
done
[ $bad -eq 0 ] && [ $n5 -gt 0 ] && pass "scale_oom_replay[$n limits: $n5 clean 'out of memory' exits, $((n - n5)) complete reports]"
[ $n5 -eq 0 ] && fail scale_oom_replay "no limit made replay run out of memory"

awk 'BEGIN { print "time,entity,stage,channel"; for (i = 0; i < 200000; i++) printf "%d,N%07d,prospect,sales\n", 1750000000 + i, i }' >"$T/more.csv"
n=0 n5=0 bad=0
cp "$T/tiny.flog" "$T/small.flog"
"$FUNNEL" append -q "$T/small.flog" "$T/more.csv" && "$FUNNEL" replay "$T/small.flog" -o "$T/small_full.json"
for kb in 8000 12000 16000 20000 24000 32000 40000 48000 64000 96000 128000; do
    n=$((n + 1))
    cp "$T/tiny.flog" "$T/a.flog"
    limited $kb "$FUNNEL" append -q "$T/a.flog" "$T/more.csv"
    if [ $RC -eq 5 ] && grep -q "out of memory" "$T/err" && cmp -s "$T/a.flog" "$T/tiny.flog"; then
        n5=$((n5 + 1))
    elif [ $RC -eq 0 ] && "$FUNNEL" replay "$T/a.flog" 2>/dev/null | cmp -s - "$T/small_full.json"; then
        :
    else
        bad=$((bad + 1))
        fail "scale_oom_append[ulimit -v $kb]" "exit $RC, log $(cmp -s "$T/a.flog" "$T/tiny.flog" && echo unchanged || echo CHANGED): $(head -c 200 "$T/err")"
    fi
done
[ $bad -eq 0 ] && [ $n5 -gt 0 ] && pass "scale_oom_append[$n limits: $n5 clean 'out of memory' exits with the log unchanged]"
[ $n5 -eq 0 ] && fail scale_oom_append "no limit made append run out of memory"

n=0 n5=0 bad=0
"$FUNNEL" cat "$T/wide.flog" >"$T/wide_full.csv"
for kb in 8000 16000 24000 32000 48000 64000 96000 128000; do
    n=$((n + 1))
    limited $kb "$FUNNEL" cat "$T/wide.flog"
    if [ $RC -eq 5 ] && grep -q "out of memory" "$T/err"; then
        n5=$((n5 + 1))
    elif [ $RC -eq 0 ] && cmp -s "$T/out" "$T/wide_full.csv"; then
        :
    else
        bad=$((bad + 1))
        fail "scale_oom_cat[ulimit -v $kb]" "exit $RC: $(head -c 200 "$T/err")"
    fi
done
[ $bad -eq 0 ] && [ $n5 -gt 0 ] && pass "scale_oom_cat[$n limits: $n5 clean 'out of memory' exits]"
[ $n5 -eq 0 ] && fail scale_oom_cat "no limit made cat run out of memory"

# The long case of the "scale attacks" promise (docs/RELIABILITY.md):
# replay of the big log under ulimit -v 200000.
if [ "${STRESS:-0}" = 1 ]; then
    rm -f "$T/r200.json"
    limited 200000 "$FUNNEL" replay "$T/ent.flog" -o "$T/r200.json"
    left=$(find "$T" -maxdepth 1 -name 'r200.json*' | wc -l)
    if [ $RC -eq 5 ] && grep -q "out of memory" "$T/err" && [ "$left" -eq 0 ]; then
        pass "scale_oom_replay_10M[ulimit -v 200000: exit 5, no report file: $(head -n 1 "$T/err")]"
    else
        fail scale_oom_replay_10M "exit $RC, $left report files: $(head -c 200 "$T/err")"
    fi
fi
