# t_rel_kill9.sh - docs/RELIABILITY.md, "Random kill -9": 80 runs (1,000 with
# STRESS=1) of a 200k-row `funnel append` killed with SIGKILL at a random
# moment.
#
# A log starts with one small batch; then batches B1..B5 (200k rows each,
# all different) are appended in order, like nightly jobs.  Each run appends
# the next batch whose append has not yet exited 0 (so a batch whose append
# was killed is appended again by the next run, as a rerun of the nightly job
# would), sleeping a random 0..1.25 T ms before the kill -9, where T is the
# duration of one append, measured once at the start (so about one run in
# five completes and the log grows).  After every run:
#   - `verify` exits 0 and reports at most a torn tail;
#   - replay equals, byte for byte, the report of one prefix of the batch
#     sequence (references computed once): no committed batch lost (every
#     batch whose append had exited 0 is in it), nothing partial, nothing
#     doubled;
#   - a run that exits 0 leaves its batch present; one that finds its batch
#     already committed (by a run killed after the commit) says it repeats a
#     batch and adds nothing.
# After B5 the log starts again from the small batch.  RSEED=N picks the
# random sequence (default 1).  80 runs in make test (each a new random
# moment; the exhaustive kill at every step is t_rel_crash_steps.sh), 1,000
# with STRESS=1, RUNS_OVERRIDE=N to choose.
# Summary: "PASS kill9: N runs, ... lost 0 / partial 0 / doubled 0".
. "$(dirname "$0")/lib.sh"
if [ "${STRESS:-0}" = 1 ]; then RUNS=1000; else RUNS=80; fi
: "${RUNS_OVERRIDE:=}"
[ -n "$RUNS_OVERRIDE" ] && RUNS=$RUNS_OVERRIDE
NB=5
seed=${RSEED:-1}
t0=$(date +%s)

# rand N : a number 0..N-1 in R (a 31-bit LCG, so runs are reproducible).
rand() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); R=$(((seed / 65536) % $1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
batches_of() { sed -n 's/.*: ok: \([0-9]*\) batches.*/\1/p' "$1"; }
events_of() { sed -n 's/.*batches, [0-9]* blocks, \([0-9]*\) events.*/\1/p' "$1"; }

"$FUNNEL" gen --entities 300 --seed 1 >"$T/b0.csv"
i=1
while [ $i -le $NB ]; do
    "$FUNNEL" gen --entities 10000 --events 200000 --seed $((100 + i)) >"$T/b$i.csv"
    i=$((i + 1))
done
# References: P0 (the small batch) .. P5, their batch and event counts.
ok=1
"$FUNNEL" append -q "$T/start.flog" "$T/b0.csv" || ok=0
cp "$T/start.flog" "$T/ref.flog"
i=0
while [ $i -le $NB ]; do
    if [ $i -gt 0 ]; then
        t1=$(now_ms)
        "$FUNNEL" append -q "$T/ref.flog" "$T/b$i.csv" || ok=0
        [ $i = 2 ] && T_MS=$(($(now_ms) - t1))   # (i = 1 warmed the cache)
    fi
    "$FUNNEL" replay "$T/ref.flog" >"$T/P$i.json" || ok=0
    "$FUNNEL" verify "$T/ref.flog" >"$T/v.out" || ok=0
    eval "E$i=$(events_of "$T/v.out")"
    i=$((i + 1))
done
rows=$(($(wc -l <"$T/b1.csv") - 1))
if [ "$ok" = 1 ] && [ "$T_MS" -gt 0 ] && ! cmp -s "$T/P0.json" "$T/P1.json"; then
    pass "kill9_setup[$rows rows a batch, one append takes ${T_MS} ms]"
else
    fail kill9_setup "references could not be built"
fi

runs=0 killed=0 completed=0 committed_by_killed=0 dup_notices=0 torn=0
lost=0 partial=0 doubled=0 corrupt=0 other=0
cp "$T/start.flog" "$T/w.flog"
done_n=0        # batches whose append exited 0 in this cycle
present_pre=0   # batch done_n+1 is already committed (a killed run got that far)
while [ $runs -lt "$RUNS" ]; do
    runs=$((runs + 1))
    j=$((done_n + 1))
    rand $((T_MS + T_MS / 4 + 1))
    d=$R
    "$FUNNEL" append -q "$T/w.flog" "$T/b$j.csv" >"$T/a.out" 2>"$T/a.err" &
    pid=$!
    sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
    kill -9 "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null   # (dash reports the kill on stderr)
    rc=$?
    id="run $runs (batch $j, kill after $d ms, exit $rc)"
    case $rc in
    137) killed=$((killed + 1)) ;;
    0) completed=$((completed + 1)) ;;
    *) other=$((other + 1)); fail "kill9[$runs]" "$id: append failed: $(head -c 200 "$T/a.err")" ;;
    esac
    "$FUNNEL" verify "$T/w.flog" >"$T/v.out" 2>"$T/v.err"
    vrc=$?
    "$FUNNEL" replay "$T/w.flog" >"$T/r.json" 2>"$T/r.err"
    rrc=$?
    if [ $vrc -ne 0 ] || [ $rrc -ne 0 ]; then
        corrupt=$((corrupt + 1))
        fail "kill9[$runs]" "$id: verify exit $vrc, replay exit $rrc: $(head -c 300 "$T/v.err" "$T/r.err")"
        cp "$T/start.flog" "$T/w.flog"; done_n=0 present_pre=0
        continue
    fi
    grep -q "torn tail" "$T/v.out" && torn=$((torn + 1))
    nb=$(batches_of "$T/v.out") ev=$(events_of "$T/v.out")
    # Which prefix is it?  (The expected ones first.)
    got=-1
    for k in $done_n $j $(seq 0 $NB); do
        if cmp -s "$T/r.json" "$T/P$k.json"; then got=$k; break; fi
    done
    if [ $got -ge 0 ] && [ "$nb" != $((got + 1)) ]; then
        doubled=$((doubled + 1))
        fail "kill9[$runs]" "$id: report of prefix $got but verify counts $nb batches"
    elif [ $got -lt 0 ]; then
        eval "ej=\$E$j"
        if [ "$ev" -gt "$ej" ]; then
            doubled=$((doubled + 1))
            fail "kill9[$runs]" "$id: $ev events, more than the $ej of batches 0..$j: doubled"
        else
            partial=$((partial + 1))
            fail "kill9[$runs]" "$id: the report matches no prefix of the batches ($ev events): partial"
        fi
    elif [ $got -lt $done_n ] || { [ $rc -eq 0 ] && [ $got -lt $j ]; } || { [ $present_pre = 1 ] && [ $got -lt $j ]; }; then
        lost=$((lost + 1))
        fail "kill9[$runs]" "$id: only batches 0..$got are present, but 0..$((rc == 0 || present_pre ? j : done_n)) were committed"
    elif [ $got -gt $j ]; then
        doubled=$((doubled + 1))
        fail "kill9[$runs]" "$id: batches 0..$got present, but only 0..$j were ever appended"
    fi
    # Bookkeeping for the next run.
    if [ $rc -eq 0 ]; then
        if [ $present_pre = 1 ]; then
            if grep -q "repeat batch" "$T/a.err"; then dup_notices=$((dup_notices + 1)); else
                doubled=$((doubled + 1))
                fail "kill9[$runs]" "$id: the batch was already committed, but the rerun gave no duplicate notice"
            fi
        fi
        done_n=$j present_pre=0
    elif [ $got = $j ] && [ $present_pre = 0 ]; then
        committed_by_killed=$((committed_by_killed + 1))
        present_pre=1
    fi
    if [ $done_n = $NB ]; then
        cp "$T/start.flog" "$T/w.flog"; done_n=0 present_pre=0
    fi
done

secs=$(($(date +%s) - t0))
bad=$((lost + partial + doubled + corrupt + other))
figs="$runs runs ($killed killed, $completed exited 0; $committed_by_killed killed after their commit, $dup_notices reruns reported them as duplicates; the log ended in a torn tail after $torn runs), lost $lost / partial $partial / doubled $doubled, verify or replay failed $corrupt, T=${T_MS} ms, RSEED=${RSEED:-1}, ${secs}s"
if [ $bad -eq 0 ]; then pass "kill9: $figs"; else fail kill9 "$figs"; fi
