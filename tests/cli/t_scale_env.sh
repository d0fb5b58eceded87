# t_scale_env.sh - the sharding contract of docs/SCALE.md §1 as each
# engine of §3 and §5-§7 drives it: `funnel partial DIR --shard env` takes
# its index from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX (Kubernetes
# Indexed Jobs), AWS_BATCH_JOB_ARRAY_INDEX or BATCH_TASK_INDEX (Google
# Batch), one at a time, N from the manifest; GNU parallel runs the recipe
# of §7 with --shard I/N.  Every way, `funnel merge` of the parts must equal
# `funnel replay` of the unsharded log byte for byte.  Prints SKIP until
# funnel has the shard/partial/merge commands.
. "$(dirname "$0")/lib.sh"

if ! "$FUNNEL" merge --help >/dev/null 2>&1; then
    echo "SKIP scale_env: funnel has no merge command yet"
    exit 0
fi
N=5
VARS="SLURM_ARRAY_TASK_ID JOB_COMPLETION_INDEX AWS_BATCH_JOB_ARRAY_INDEX BATCH_TASK_INDEX"
"$FUNNEL" gen --entities 600 --seed 21 -o "$T/events.csv" &&
"$FUNNEL" append -q "$T/events.fblog" "$T/events.csv" &&
"$FUNNEL" replay "$T/events.fblog" -o "$T/replay.json" &&
"$FUNNEL" shard "$T/events.fblog" -o "$T/shards" --shards $N 2>"$T/shard.err"
rc=$?
if [ $rc -eq 0 ]; then pass scale_env_setup; else
    fail scale_env_setup "exit $rc: $(head -c 300 "$T/shard.err")"; exit 0; fi

# engine_env VAR VALUE CMD... : CMD with VAR=VALUE and no other engine's
# variable, the way that engine starts a task.
engine_env() {
    v=$1 val=$2
    shift 2
    env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX -u AWS_BATCH_JOB_ARRAY_INDEX \
        -u BATCH_TASK_INDEX "$v=$val" "$@"
}

# parts DIR : the N part paths of DIR in index order.
parts() { i=0; while [ $i -lt $N ]; do printf '%s/part-%05d\n' "$1" $i; i=$((i + 1)); done; }

for v in $VARS; do
    mkdir -p "$T/p-$v"
    bad=""
    i=0
    while [ $i -lt $N ]; do
        engine_env "$v" $i "$FUNNEL" partial "$T/shards" --shard env \
            -o "$(printf '%s/part-%05d' "$T/p-$v" $i)" 2>"$T/err" || bad="$bad $i:$(head -c 200 "$T/err")"
        i=$((i + 1))
    done
    # shellcheck disable=SC2046 # the part paths have no spaces
    if [ -z "$bad" ] && "$FUNNEL" merge $(parts "$T/p-$v") -o "$T/m-$v.json" 2>"$T/err"; then
        expect_same "scale_env_$v" "$T/replay.json" "$T/m-$v.json"
    else
        fail "scale_env_$v" "partial failed for${bad:- none}; merge: $(head -c 200 "$T/err")"
    fi
done

# Outside an engine (no variable) and past the manifest's N, --shard env is
# an error that writes nothing.
run env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX -u AWS_BATCH_JOB_ARRAY_INDEX \
    -u BATCH_TASK_INDEX "$FUNNEL" partial "$T/shards" --shard env -o "$T/none.part"
if [ "$RC" -ne 0 ] && [ ! -e "$T/none.part" ]; then pass scale_env_no_variable; else
    fail scale_env_no_variable "exit $RC, part written: $([ -e "$T/none.part" ] && echo yes || echo no)"; fi
run engine_env JOB_COMPLETION_INDEX $N "$FUNNEL" partial "$T/shards" --shard env -o "$T/past.part"
if [ "$RC" -ne 0 ] && [ ! -e "$T/past.part" ]; then pass scale_env_index_past_n; else
    fail scale_env_index_past_n "index $N of $N: exit $RC"; fi

# GNU parallel, the recipe of docs/SCALE.md §7 with the local host (-S :)
# standing in for the ssh hosts.
if command -v parallel >/dev/null 2>&1; then
    mkdir -p "$T/p-parallel"
    seq 0 $((N - 1)) | parallel --will-cite -S : \
        "$FUNNEL" partial "$T/shards" --shard {}/$N -o "$T/p-parallel/part-{}" 2>"$T/err"
    rc=$?
    # shellcheck disable=SC2046
    if [ $rc -eq 0 ] && "$FUNNEL" merge $(seq -f "$T/p-parallel/part-%g" 0 $((N - 1))) \
        -o "$T/m-parallel.json" 2>>"$T/err"; then
        expect_same scale_env_gnu_parallel "$T/replay.json" "$T/m-parallel.json"
    else
        fail scale_env_gnu_parallel "parallel exit $rc: $(head -c 300 "$T/err")"
    fi
else
    echo "SKIP scale_env_gnu_parallel: GNU parallel not installed (apt-get install parallel)"
fi
