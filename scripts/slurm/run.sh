#!/bin/sh
# run.sh FUNNEL SHARD_DIR N OUT [WORK] - run a sharded replay on Slurm
# (docs/SCALE.md §3): an sbatch array of N tasks, task I running
# `FUNNEL partial SHARD_DIR --shard env` (partial.sbatch), and a merge job
# with --dependency=afterok on the array (merge.sbatch) writing OUT; then wait
# for both and say how each ended.
#   SHARD_DIR  written by `funnel shard LOG -o SHARD_DIR --shards N`
#   WORK       parts, logs and markers (default OUT.slurm); every path must be
#              on a file system all nodes share
# Exit: 0 the merge ran and wrote OUT; 1 a task or the merge failed, was
# cancelled or never ran (the merge is cancelled when a task fails); 2 usage;
# 5 a submission failed.
# Why not `sbatch --wait`: it exits 0 for a merge job that Slurm cancelled
# because a dependency failed.  Why not sacct: clusters without accounting
# have none.  So the driver polls squeue while the jobs are in slurmctld's
# memory (MinJobAge, 300 s by default), keeps the last state it saw of each,
# and trusts the merge only when WORK/merge.ok names the merge job.
# Env: FUNNEL_SLURM_POLL  seconds between polls (default 2);
#      FUNNEL_SLURM_OPTS  extra sbatch options for both jobs (word-split);
#      sbatch's own SBATCH_PARTITION, SBATCH_TIMELIMIT, SBATCH_ACCOUNT, ...
set -u
me=slurm/run.sh
usage() { echo "usage: scripts/slurm/run.sh FUNNEL SHARD_DIR N OUT [WORK]" >&2; exit 2; }
[ $# -eq 4 ] || [ $# -eq 5 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
funnel=$(abs "$1") shards=$(abs "$2") n=$3 out=$(abs "$4") work=$(abs "${5:-$4.slurm}")
case $n in ''|*[!0-9]*|0*) echo "$me: N must be a positive integer, not '$n'" >&2; usage ;; esac
[ -x "$funnel" ] || { echo "$me: $funnel is not an executable" >&2; exit 2; }
[ -d "$shards" ] || { echo "$me: $shards is not a directory" >&2; exit 2; }
poll=${FUNNEL_SLURM_POLL:-2}
mkdir -p "$work/parts" "$work/logs" || exit 5
# Parts and the marker of an earlier run must not pass for this run's.
rm -f "$work"/parts/part-* "$work/merge.ok" "$work/states"

jobid() { sed -n '1{s/;.*//;p;}'; }    # --parsable prints ID or ID;CLUSTER
# Interrupted (Ctrl-C, SIGTERM, the session gone): cancel what was submitted.
array="" merge=""
cancel_all() {
    [ -n "$array$merge" ] && scancel $array $merge 2>/dev/null
    echo "$me: interrupted; cancelled ${array:-nothing} ${merge}" >&2
    exit 1
}
trap cancel_all INT TERM HUP
# shellcheck disable=SC2086 # FUNNEL_SLURM_OPTS is a list of options
array=$(sbatch --parsable ${FUNNEL_SLURM_OPTS:-} --array=0-$((n - 1)) \
    --output="$work/logs/partial-%a.out" \
    "$here/partial.sbatch" "$funnel" "$shards" "$work" | jobid)
[ -n "$array" ] || { echo "$me: sbatch of the array failed" >&2; exit 5; }
# --kill-on-invalid-dep: when a task fails Slurm cancels the merge instead
# of leaving it pending for ever (DependencyNeverSatisfied).
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${FUNNEL_SLURM_OPTS:-} --dependency=afterok:"$array" \
    --kill-on-invalid-dep=yes --output="$work/logs/merge.out" \
    "$here/merge.sbatch" "$funnel" "$work" "$n" "$out" | jobid)
if [ -z "$merge" ]; then
    echo "$me: sbatch of the merge failed; cancelling array $array" >&2
    scancel "$array" 2>/dev/null
    exit 5
fi
echo "$me: array $array ($n tasks), merge $merge; logs in $work/logs" >&2

# states: one line "KEY STATE" per task index and "merge", the last state
# squeue showed; a finished state is never overwritten.
echo '# -' >"$work/states"    # not empty: awk's FNR == NR needs a line
finished='COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED|SPECIAL_EXIT|REVOKED'
poll_once() {
    # -t all keeps finished jobs; -r one line per array task.  Ids that
    # slurmctld forgot are left out (exit 0); an unreachable controller
    # fails squeue: then there is nothing new this time (sq_rc).
    squeue -h -r -t all -j "$array,$merge" -o '%F %i %K %T %r' >"$work/squeue.out" 2>"$work/squeue.err"
    sq_rc=$?
    awk -v a="$array" -v m="$merge" -v fin="^($finished)" '
        FNR == NR { st[$1] = $2; next }
        $1 == a && $3 ~ /^[0-9]+$/ { k = $3 }
        $2 == m { k = "merge"
                  # afterok can never be met: Slurm did not cancel it (yet).
                  if ($4 == "PENDING" && $5 == "DependencyNeverSatisfied") $4 = "NEVER" }
        k != "" && !(st[k] ~ fin) { st[k] = $4 }
        { k = "" }
        END { for (k in st) print k, st[k] }' "$work/states" "$work/squeue.out" >"$work/states.new" &&
    mv "$work/states.new" "$work/states"
}
state_of() { awk -v k="$1" '$1 == k { print $2 }' "$work/states"; }
count_done() { grep -cE " ($finished)\$" "$work/states" | awk '{ print $1 }'; }

idle=0
while :; do
    poll_once
    m=$(state_of merge)
    if [ "$m" = NEVER ]; then
        scancel "$merge" 2>/dev/null
        sed -i 's/^merge NEVER$/merge CANCELLED/' "$work/states"
        m=CANCELLED
    fi
    done_n=$(count_done)
    # All N tasks and the merge finished: done.
    [ "$done_n" -ge $((n + 1)) ] && break
    # slurmctld no longer knows either job (MinJobAge passed between two
    # polls, or they were purged): there is nothing left to wait for.
    if [ $sq_rc -ne 0 ]; then
        echo "$me: squeue failed, retrying: $(head -n 1 "$work/squeue.err")" >&2
    elif [ ! -s "$work/squeue.out" ]; then
        idle=$((idle + 1))
        [ $idle -ge 3 ] && break
    else
        idle=0
    fi
    sleep "$poll"
done
trap - INT TERM HUP

# Verdict: every task COMPLETED, the merge COMPLETED (or forgotten) and
# merge.ok names the merge job.
bad=0
i=0
while [ $i -lt "$n" ]; do
    s=$(state_of $i)
    case $s in
    COMPLETED) ;;
    '') echo "$me: task $i: state unknown (slurmctld forgot it)" >&2 ;;
    *) echo "$me: task $i $s; log: $work/logs/partial-$i.out" >&2; bad=1 ;;
    esac
    i=$((i + 1))
done
m=$(state_of merge)
if [ "$(cat "$work/merge.ok" 2>/dev/null)" = "$merge" ] && [ -f "$out" ] &&
    { [ "$m" = COMPLETED ] || [ -z "$m" ]; } && [ $bad -eq 0 ]; then
    echo "$me: done: $n tasks and the merge completed; wrote $out" >&2
    exit 0
fi
echo "$me: FAILED: merge $merge ${m:-in unknown state}, did not write $out; log: $work/logs/merge.out" >&2
exit 1
