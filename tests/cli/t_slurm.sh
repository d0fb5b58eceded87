# t_slurm.sh - the Slurm harness of docs/SCALE.md §3 on a real one-node cluster
# (scripts/slurm/local_cluster.sh): a 16-task array plus the merge job through
# scripts/slurm/run.sh, first with a stand-in for funnel (each task writes a
# part named by SLURM_ARRAY_TASK_ID, the merge concatenates), then with funnel
# shard/partial/merge compared by cmp with replay of the unsharded log.  A
# failing task must keep the merge from running and fail the driver.  Prints
# SKIP lines where the daemons cannot start; always stops them.
. "$(dirname "$0")/lib.sh"
SL=$ROOT/scripts/slurm
C=$T/cluster
chmod 711 "$T"    # munged wants every directory above its socket searchable
# Stop the daemons whatever happens; then lib.sh's cleanup.
trap '"$SL/local_cluster.sh" stop "$C" >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP PIPE

# The driver refuses bad arguments before it submits anything (no cluster).
run "$SL/run.sh" /bin/true "$T" 0 "$T/out.json"
expect_rc slurm_driver_n_zero 2
run "$SL/run.sh" /bin/true "$T" 16
expect_rc slurm_driver_usage 2
run "$SL/run.sh" "$T/no-such-funnel" "$T" 16 "$T/out.json"
expect_rc slurm_driver_no_funnel 2
# A submission fails (a fake sbatch refuses the second one, the merge):
# exit 5, and the array it did submit is cancelled (a fake scancel notes it).
mkdir -p "$T/fakebin"
cat >"$T/fakebin/sbatch" <<'SH'
#!/bin/sh
n=$(cat "$FAKE_DIR/sbatch.n" 2>/dev/null || echo 0)
echo $((n + 1)) >"$FAKE_DIR/sbatch.n"
[ "$n" -ge "$FAKE_SBATCH_OK" ] && { echo "sbatch: error: fake refusal" >&2; exit 1; }
echo "4242;fakecluster"
SH
printf '#!/bin/sh
echo "$@" >>"$FAKE_DIR/scancel.args"
' >"$T/fakebin/scancel"
chmod +x "$T/fakebin/sbatch" "$T/fakebin/scancel"
for ok in 0 1; do
    rm -f "$T/sbatch.n" "$T/scancel.args"
    PATH=$T/fakebin:$PATH FAKE_DIR=$T FAKE_SBATCH_OK=$ok \
        run timeout 30 "$SL/run.sh" /bin/true "$T" 2 "$T/out.json"
    expect_rc "slurm_driver_submit_fails_$ok" 5
done
if [ "$(cat "$T/scancel.args" 2>/dev/null)" = 4242 ]; then pass slurm_driver_merge_refused_cancels_array
else fail slurm_driver_merge_refused_cancels_array "scancel got '$(cat "$T/scancel.args" 2>/dev/null)'"; fi

# 16 CPUs on the one node: all 16 tasks run at once, which keeps this fast.
if ! LOCAL_CLUSTER_CPUS=16 "$SL/local_cluster.sh" start "$C" 2>"$T/start.err"; then
    echo "SKIP slurm: the one-node cluster cannot start here: $(head -n 1 "$T/start.err")"
    echo "SKIP slurm_funnel: no cluster"
    exit 0
fi
pass slurm_cluster_up
SLURM_CONF=$C/slurm.conf FUNNEL_SLURM_POLL=0.2
export SLURM_CONF FUNNEL_SLURM_POLL

# drive NAME FUNNEL SHARDS N OUT : the driver, never longer than 60 s.
drive() { run timeout 60 "$SL/run.sh" "$2" "$3" "$4" "$5"; }

# --- The stand-in: partial DIR --shard env -o PART and merge PART... -o OUT
# with funnel's argument shapes; DIR/fail-I fails shard I (exit 4), DIR/slow
# makes every shard take 30 s.
cat >"$T/standin" <<'SH'
#!/bin/sh
case $1 in
partial)
    [ "$3 $4 $5" = "--shard env -o" ] || exit 2
    i=$SLURM_ARRAY_TASK_ID
    [ -e "$2/fail-$i" ] && { echo "standin: shard $i is corrupt" >&2; exit 4; }
    [ -e "$2/slow" ] && sleep 30
    printf 'part %s of %s\n' "$i" "$(cat "$2/n")" >"$6" ;;
merge)
    shift
    for a; do out=$a; done
    touch "$(dirname "$out")/merge-ran"
    : >"$out.tmp"
    while [ $# -gt 2 ]; do cat "$1" >>"$out.tmp"; shift; done
    mv "$out.tmp" "$out" ;;
*) exit 2 ;;
esac
SH
chmod +x "$T/standin"
mkdir -p "$T/sh" "$T/ok" "$T/bad" "$T/int"
echo 16 >"$T/sh/n"
i=0
while [ $i -lt 16 ]; do echo "part $i of 16"; i=$((i + 1)); done >"$T/expect.txt"

drive ok "$T/standin" "$T/sh" 16 "$T/ok/out.txt"
expect_rc slurm_standin_ok 0
if [ -f "$T/ok/out.txt" ]; then expect_same slurm_standin_merge_in_order "$T/expect.txt" "$T/ok/out.txt"
else fail slurm_standin_merge_in_order "no output; $(tail -n 2 "$T/err")"; fi
n=$(ls "$T/ok/out.txt.slurm/logs"/partial-*.out 2>/dev/null | wc -l)
if [ "$n" -eq 16 ]; then pass slurm_standin_16_tasks; else fail slurm_standin_16_tasks "$n task logs"; fi

# One task fails: the merge must not run, the driver must say which and fail.
touch "$T/sh/fail-5"
drive bad "$T/standin" "$T/sh" 16 "$T/bad/out.txt"
expect_rc slurm_task_fails_driver_fails 1
if [ ! -e "$T/bad/merge-ran" ] && [ ! -e "$T/bad/out.txt" ]; then pass slurm_task_fails_no_merge
else fail slurm_task_fails_no_merge "the merge ran or $T/bad/out.txt exists"; fi
expect_err slurm_task_fails_named "task 5 FAILED"
expect_err slurm_task_fails_merge_cancelled "CANCELLED"
rm -f "$T/sh/fail-5"

# Interrupted driver: it cancels the array and the merge it submitted.
touch "$T/sh/slow"
"$SL/run.sh" "$T/standin" "$T/sh" 4 "$T/int/out.txt" >/dev/null 2>"$T/int.err" &
dp=$!
i=0
until [ -n "$(squeue -h -t running -o %i)" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $dp
wait $dp
rc=$?
i=0
while [ -n "$(squeue -h -o %i)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
left=$(squeue -h -o '%i %T')
if [ $rc -ne 0 ] && [ -z "$left" ]; then pass slurm_driver_interrupt_cancels
else fail slurm_driver_interrupt_cancels "driver exit $rc, jobs left: $left"; fi
rm -f "$T/sh/slow"

# --- funnel itself, once it has shard/partial/merge (docs/SCALE.md §1).
if "$FUNNEL" merge --help >/dev/null 2>&1; then
    "$FUNNEL" gen --entities 400 --seed 11 >"$T/events.csv" &&
    "$FUNNEL" append -q "$T/events.fblog" "$T/events.csv" &&
    "$FUNNEL" replay "$T/events.fblog" -o "$T/replay.json" &&
    "$FUNNEL" shard "$T/events.fblog" -o "$T/shards" --shards 16 2>"$T/shard.err"
    rc=$?
    if [ $rc -ne 0 ]; then fail slurm_funnel_setup "exit $rc: $(head -c 300 "$T/shard.err")"; fi
    mkdir -p "$T/f" "$T/fbad"
    drive fok "$FUNNEL" "$T/shards" 16 "$T/f/report.json"
    expect_rc slurm_funnel_ok 0
    if [ -f "$T/f/report.json" ]; then expect_same slurm_funnel_equals_replay "$T/replay.json" "$T/f/report.json"
    else fail slurm_funnel_equals_replay "no report; $(tail -n 2 "$T/err")"; fi
    # Shard 7 fails (a wrapper exits 4 there, else runs funnel).
    printf '#!/bin/sh\n[ "$1" = partial ] && [ "$SLURM_ARRAY_TASK_ID" = 7 ] && exit 4\nexec "%s" "$@"\n' \
        "$FUNNEL" >"$T/f7"
    chmod +x "$T/f7"
    drive fbad "$T/f7" "$T/shards" 16 "$T/fbad/report.json"
    expect_rc slurm_funnel_task_fails 1
    if [ ! -e "$T/fbad/report.json" ]; then pass slurm_funnel_task_fails_no_report
    else fail slurm_funnel_task_fails_no_report "report.json written"; fi
else
    echo "SKIP slurm_funnel: funnel has no merge command yet"
fi

# Stopping leaves nothing behind, a running job included.
sbatch -o /dev/null --wrap "echo \$\$ >'$T/job.pid'; exec sleep 300" >/dev/null
i=0
until [ -s "$T/job.pid" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
"$SL/local_cluster.sh" stop "$C"
sleep 0.2
left=""
for f in slurmd slurmctld munged; do
    p=$(cat "$C/$f.pid" 2>/dev/null)
    [ -n "$p" ] && [ -d "/proc/$p" ] && [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$p/stat" 2>/dev/null)" != Z ] &&
        left="$left $f:$p"
done
jp=$(cat "$T/job.pid" 2>/dev/null)
if [ -z "$jp" ]; then left="$left job-never-started"
elif [ -d "/proc/$jp" ] && [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$jp/stat" 2>/dev/null)" != Z ]; then
    left="$left job:$jp"; kill -KILL "$jp"
fi
if [ -z "$left" ]; then pass slurm_stop_leaves_nothing; else fail slurm_stop_leaves_nothing "still running:$left"; fi
