# t_rel_concurrency.sh - concurrent appenders (docs/RELIABILITY.md, promise
# "concurrent appenders"): 8 processes x 5 appends (x 25 with STRESS=1) of
# distinct small batches to one log, while one lock holder is killed with
# SIGKILL as it reads its input (the others are blocked on the lock) and
# another kills itself right after writing its blocks (FUNNEL_FAULT=write:1,
# leaving a torn tail for the next appender).  Every batch that exited 0 must
# be present exactly once, its rows in one contiguous run (blocks never
# interleaved), `verify` clean, the killed batches absent, and the lock taken
# over within a second of the kill.  Then the idempotent re-runs row: one
# batch appended as itself, renamed and with CRLF line ends, at the same time
# and again one after another: counted once, each repeat reported.
. "$(dirname "$0")/lib.sh"

NPROC=8
if [ "${STRESS:-0}" = 1 ]; then PER=25; else PER=5; fi
L=$T/log.flog

now_ns() { date +%s%N; }

# --- the batches: batch p-j has 3..7 rows, entities and a "batch" column of its own.
p=1
while [ $p -le $NPROC ]; do
    j=1
    while [ $j -le $PER ]; do
        awk -v p=$p -v j=$j 'BEGIN {
            print "time,entity,stage,channel,batch"
            n = 3 + (p * 7 + j) % 5
            for (k = 1; k <= n; k++)
                printf "2024-%02d-%02dT%02d:%02d:00Z,p%dj%de%d,%s,%s,p%dj%d\n", j % 12 + 1, k + 1, p, k,
                    p, j, k, (k % 2 ? "suspect" : "prospect"), (k % 3 ? "marketing" : "sales"), p, j
        }' >"$T/b_${p}_$j.csv"
        j=$((j + 1))
    done
    p=$((p + 1))
done
printf 'time,entity,stage,channel,batch\n2024-01-01T00:00:00Z,init,suspect,sales,init\n' >"$T/init.csv"
printf 'time,entity,stage,channel,batch\n2024-12-31T00:00:00Z,final,suspect,sales,final\n' >"$T/final.csv"
# victim B: a batch of 3,000 rows that kills itself after writing its blocks.
awk 'BEGIN { print "time,entity,stage,channel,batch"
    for (k = 0; k < 3000; k++) printf "2024-06-01T00:00:%02dZ,vb%d,suspect,sales,victimB\n", k % 60, k }' >"$T/victimB.csv"
"$FUNNEL" append -q "$L" "$T/init.csv" || fail conc_setup "cannot create the log"

# --- victim A: holds the lock while it waits for more input on a FIFO.
mkfifo "$T/fifo"
"$FUNNEL" append -q "$L" "$T/fifo" 2>"$T/victimA.err" &
vpid=$!
exec 3>"$T/fifo"
awk 'BEGIN { print "time,entity,stage,channel,batch"
    for (k = 0; k < 1000; k++) printf "2024-07-01T00:00:00Z,va%d,suspect,sales,victimA\n", k }' >&3
have_flock=0
command -v flock >/dev/null 2>&1 && have_flock=1
locked=0
i=0
while [ $i -lt 100 ]; do   # up to 5 s for victim A to take the lock
    if [ $have_flock = 1 ]; then
        flock -n -x "$L" true 2>/dev/null || { locked=1; break; }
    fi
    i=$((i + 1))
    sleep 0.05
done
[ $have_flock = 1 ] || { sleep 0.5; locked=1; }

# --- the appenders: each prints "p j rc start_ns end_ns" per append.
p=1
while [ $p -le $NPROC ]; do
    (
        j=1
        while [ $j -le $PER ]; do
            t0=$(now_ns)
            "$FUNNEL" append -q "$L" "$T/b_${p}_$j.csv" 2>>"$T/err_$p"
            rc=$?
            echo "$p $j $rc $t0 $(now_ns)" >>"$T/res_$p"
            j=$((j + 1))
        done
    ) &
    eval "wpid_$p=\$!"
    p=$((p + 1))
done

# The appenders are blocked: none has finished while victim A holds the lock.
sleep 0.5
done_before=$(cat "$T"/res_* 2>/dev/null | wc -l)
still=1
kill -0 $vpid 2>/dev/null || still=0
if [ $have_flock = 1 ] && flock -n -x "$L" true 2>/dev/null; then locked=0; fi
if [ $locked = 1 ] && [ $still = 1 ] && [ "$done_before" -eq 0 ]; then
    pass "conc_blocked_while_lock_held[$NPROC appenders waiting]"
else
    fail conc_blocked_while_lock_held "victim alive $still, lock held $locked, $done_before appends finished while it held the lock"
fi
kill -9 $vpid
t_kill=$(now_ns)
wait $vpid 2>/dev/null
vrc=$?
exec 3>&-

# Midway: victim B, a lock holder that dies right after writing its blocks.
while [ "$(cat "$T"/res_* 2>/dev/null | wc -l)" -lt $((NPROC * PER / 2)) ]; do sleep 0.02; done
FUNNEL_FAULT=write:1 "$FUNNEL" append -q "$L" "$T/victimB.csv" 2>"$T/victimB.err"
vbrc=$?

p=1
while [ $p -le $NPROC ]; do
    eval "wait \$wpid_$p"
    p=$((p + 1))
done
"$FUNNEL" append -q "$L" "$T/final.csv"
frc=$?

# --- checks.
cat "$T"/res_* >"$T/res"
nok=$(awk '$3 == 0' "$T/res" | wc -l)
nrun=$(wc -l <"$T/res")
if [ "$nrun" -eq $((NPROC * PER)) ] && [ "$nok" -eq "$nrun" ] && [ $frc -eq 0 ]; then
    pass "conc_appends_succeed[$nok of $((NPROC * PER))]"
else
    fail conc_appends_succeed "$nok of $nrun exited 0 (expected $((NPROC * PER))): $(cat "$T"/err_* | head -c 300)"
fi
if [ $vrc -eq 137 ] && [ $vbrc -eq 137 ]; then pass "conc_victims_killed[SIGKILL x 2]"; else
    fail conc_victims_killed "victim A exit $vrc, victim B exit $vbrc (expected 137)"; fi

"$FUNNEL" verify "$L" >"$T/v.out" 2>&1
vrc=$?
nb=$(sed -n 's/.*ok: \([0-9]*\) batches.*/\1/p' "$T/v.out")
if [ $vrc -eq 0 ] && [ "${nb:-x}" = $((nok + 2)) ] && ! grep -q torn "$T/v.out"; then
    pass "conc_verify[$nb batches, no torn tail]"
else
    fail conc_verify "exit $vrc, '$nb' batches (expected $((nok + 2))): $(head -c 300 "$T/v.out")"
fi

# Every successful batch once, with all its rows; the victims' rows absent.
"$FUNNEL" cat "$L" >"$T/cat.csv"
awk -F, 'NR > 1 { print $NF }' "$T/cat.csv" | sort | uniq -c | awk '{ print $2, $1 }' >"$T/got_counts"
{
    echo "final 1"
    echo "init 1"
    awk '$3 == 0 { print $1, $2 }' "$T/res" | while read -r p j; do
        echo "p${p}j$j $(($(wc -l <"$T/b_${p}_$j.csv") - 1))"
    done
} | sort >"$T/want_counts"
if cmp -s "$T/got_counts" "$T/want_counts"; then
    pass "conc_each_batch_once[$(wc -l <"$T/want_counts") batches]"
else
    fail conc_each_batch_once "$(diff "$T/want_counts" "$T/got_counts" | head -5 | tr '\n' ' ')"
fi
events=$("$FUNNEL" replay "$L" 2>/dev/null | sed -n 's/^ *"read": \([0-9]*\).*/\1/p')
want=$(awk '{ s += $2 } END { print s }' "$T/want_counts")
if [ "${events:-x}" = "$want" ]; then pass "conc_report_events[$events = sum of the batches]"; else
    fail conc_report_events "report reads $events events, the successful batches hold $want"; fi
# Blocks never interleaved: each batch's rows form one run in `cat` order.
runs=$(awk -F, 'NR > 1 && $NF != prev { n[$NF]++; prev = $NF } END { for (b in n) if (n[b] > 1) print b }' "$T/cat.csv")
if [ -z "$runs" ]; then pass conc_batches_contiguous; else
    fail conc_batches_contiguous "batches in more than one run: $(echo $runs | head -c 200)"; fi

# Lock takeover: from the kill to the first append that completed after it.
first=$(awk -v k=$t_kill '$5 > k && (m == "" || $5 < m) { m = $5 } END { print m }' "$T/res")
maxwait=$(awk '{ d = ($5 - $4) / 1e6; if (d > m) m = d } END { printf "%.0f", m }' "$T/res")
if [ -n "$first" ]; then
    takeover_ms=$(( (first - t_kill) / 1000000 ))
    if [ $takeover_ms -lt 1000 ]; then
        pass "conc_lock_taken_over[${takeover_ms} ms after SIGKILL; longest append incl. waiting ${maxwait} ms]"
    else
        fail conc_lock_taken_over "the first append after the kill completed ${takeover_ms} ms later"
    fi
else
    fail conc_lock_taken_over "no append completed after the kill"
fi

# --- idempotent re-runs: the same batch as itself, renamed, with CRLF ends.
awk 'BEGIN { print "time,entity,stage,channel,touch,segment"
    for (k = 0; k < 40; k++) printf "2025-01-%02dT10:00:00Z,rr%d,%s,sales,call,smb\n", k % 28 + 1, k % 9, (k % 3 ? "suspect" : "engaged") }' >"$T/rerun.csv"
cp "$T/rerun.csv" "$T/renamed-copy.csv"
sed 's/$/\r/' "$T/rerun.csv" >"$T/rerun_crlf.csv"
"$FUNNEL" verify "$L" >"$T/v.out" 2>&1
nb0=$(sed -n 's/.*ok: \([0-9]*\) batches.*/\1/p' "$T/v.out")
ev0=$events
for f in rerun.csv renamed-copy.csv rerun_crlf.csv; do
    ("$FUNNEL" append -q "$L" "$T/$f" 2>"$T/dup_$f.err"; echo $? >"$T/dup_$f.rc") &
done
wait
"$FUNNEL" verify "$L" >"$T/v.out" 2>&1
nb1=$(sed -n 's/.*ok: \([0-9]*\) batches.*/\1/p' "$T/v.out")
ev1=$("$FUNNEL" replay "$L" 2>/dev/null | sed -n 's/^ *"read": \([0-9]*\).*/\1/p')
rcs=$(cat "$T"/dup_*.rc | tr -d '\n')
notices=$(cat "$T"/dup_*.err | grep -c "repeat batch")
if [ "$rcs" = 000 ] && [ "$notices" -eq 2 ] && [ "${nb1:-x}" = $((nb0 + 1)) ] && [ "${ev1:-x}" = $((ev0 + 40)) ]; then
    pass "idempotent_concurrent[3 at once: 1 appended, 2 reported as repeats]"
else
    fail idempotent_concurrent "exits $rcs, $notices notices, batches $nb0 -> $nb1, events $ev0 -> $ev1"
fi
dups=0 rep=0
for f in rerun.csv renamed-copy.csv rerun_crlf.csv; do
    run "$FUNNEL" append "$L" "$T/$f"
    if [ "$RC" -eq 0 ] && grep -q "repeat batch $nb1" "$T/err"; then rep=$((rep + 1)); fi
done
ev2=$("$FUNNEL" replay "$L" 2>/dev/null | sed -n 's/^ *"read": \([0-9]*\).*/\1/p')
dups=$(( (${ev2:-0} - ${ev1:-0}) / 40 ))
if [ "$rep" -eq 3 ] && [ "${ev2:-x}" = "${ev1:-y}" ]; then
    pass "idempotent_reruns[3 repeats reported, duplicates counted $dups]"
else
    fail idempotent_reruns "$rep of 3 repeats reported, events $ev1 -> $ev2"
fi
