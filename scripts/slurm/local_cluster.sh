#!/bin/sh
# local_cluster.sh start|stop DIR - a one-node Slurm cluster on 127.0.0.1 whose
# whole state (munge key and socket, slurm.conf, spool, logs, pid files) lives
# in DIR, for tests, docs and benchmarks (docs/SCALE.md §4).  No systemd: it
# runs munged, slurmctld and slurmd itself, as root, and stops them by the pids
# they wrote.  Use the cluster with  SLURM_CONF=DIR/slurm.conf  in the
# environment of sbatch, squeue, scontrol and scancel.
#   start  exit 0 once the node is idle; exit 1 with the reason (and the log
#          tails) on standard error when the daemons cannot start, after
#          stopping whatever did start
#   stop   cancel every job, stop the daemons, kill any step daemon left; exit 0
# DIR's parent directories must be searchable by all (munged checks the
# path to its socket), e.g. not inside a mktemp -d folder left at mode 700.
# Env: LOCAL_CLUSTER_CPUS  CPUs the node offers (default: nproc).
set -u
usage() { echo "usage: scripts/slurm/local_cluster.sh start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2" 2>/dev/null
dir=$(cd "$2" 2>/dev/null && pwd) || { echo "local_cluster: no directory $2" >&2; exit 1; }
conf=$dir/slurm.conf
SLURM_CONF=$conf
export SLURM_CONF

# alive PID NAME : PID is a live process whose name starts with NAME (a pid
# file can outlive its daemon and the pid be reused).
# A zombie (state Z: dead, not yet reaped by init) counts as gone.
alive() {
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    case $(cat "/proc/$1/comm" 2>/dev/null) in "$2"*) ;; *) return 1 ;; esac
    [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# stop_daemons NAME... : TERM the daemons DIR/NAME.pid name, all at once (each
# takes seconds to shut down), then KILL whichever still runs after 8 s.
stop_daemons() {
    left=""
    for d; do
        p=$(cat "$dir/$d.pid" 2>/dev/null)
        alive "$p" "$d" && kill -TERM "$p" 2>/dev/null && left="$left $p:$d"
    done
    i=0
    while [ -n "$left" ] && [ $i -lt 80 ]; do
        sleep 0.1; i=$((i + 1))
        still=""
        for pd in $left; do alive "${pd%%:*}" "${pd#*:}" && still="$still $pd"; done
        left=$still
    done
    for pd in $left; do kill -KILL "${pd%%:*}" 2>/dev/null; done
    return 0
}

# stray_steps : pids of slurmstepd processes of this cluster (they hold its
# slurmd log open) and of everything they started; slurmd leaves its step
# daemons running when it stops, by design, so a job still running at stop
# time would outlive the cluster.
stray_steps() {
    table=$(ps -eo pid=,ppid=,comm= 2>/dev/null) || return 0
    steps=""
    for p in $(echo "$table" | awk '$3 == "slurmstepd" { print $1 }'); do
        ls -l "/proc/$p/fd" 2>/dev/null | grep -qF -- " -> $dir/" && steps="$steps $p"
    done
    [ -n "$steps" ] || return 0
    # With their descendants: repeat until no new child of a listed pid.
    echo "$table" | awk -v s="$steps" '
        BEGIN { n = split(s, a, " "); for (i = 1; i <= n; i++) in_[a[i]] = 1 }
        { pid[NR] = $1; ppid[NR] = $2 }
        END { do { grew = 0
                   for (i = 1; i <= NR; i++)
                       if (!(pid[i] in in_) && (ppid[i] in in_)) { in_[pid[i]] = 1; grew = 1 }
              } while (grew)
              for (p in in_) print p }'
}

do_stop() {
    # Cancel every job while slurmctld can still do it, and give the steps
    # KillWait (1 s) plus a little to finish.
    if [ -f "$conf" ] && alive "$(cat "$dir/slurmctld.pid" 2>/dev/null)" slurmctld; then
        scancel --user="$(id -un)" >/dev/null 2>&1
        i=0
        while [ -n "$(squeue -h -t running,completing -o %i 2>/dev/null)" ] && [ $i -lt 50 ]; do
            sleep 0.1; i=$((i + 1))
        done
    fi
    stop_daemons slurmd slurmctld
    stop_daemons munged    # last: the others use it until they are gone
    pids=$(stray_steps)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    return 0
}

# free_port START : the first TCP port from START nobody listens on (IPv4 or 6).
free_port() {
    p=$1
    while cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        grep -qi ":$(printf '%04X' "$p") "; do p=$((p + 1)); done
    echo "$p"
}

# cannot_start WHY : stop what started, show the logs, exit 1.
cannot_start() {
    echo "local_cluster: cannot start the cluster in $dir: $1" >&2
    for l in munged slurmctld slurmd; do
        [ -s "$dir/$l.log" ] && { echo "--- $l.log (tail)" >&2; tail -n 8 "$dir/$l.log" >&2; }
    done
    do_stop
    exit 1
}

# wait_for SECONDS CMD... : run CMD every 0.2 s until it succeeds.
wait_for() {
    n=$(($1 * 5)); shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1)); [ $n -gt 0 ] || return 1
        sleep 0.2
    done
}

node_idle() { [ "$(sinfo -h -n n1 -o %t 2>/dev/null)" = idle ]; }

do_start() {
    for b in munged mungekey slurmctld slurmd sbatch; do
        command -v "$b" >/dev/null 2>&1 ||
            { echo "local_cluster: $b not found (Debian: apt-get install slurm-wlm)" >&2; exit 1; }
    done
    [ "$(id -u)" -eq 0 ] || { echo "local_cluster: needs root (SlurmUser root)" >&2; exit 1; }
    # munged wants its socket's directory searchable by all and nothing it
    # reads writable by others.
    chmod 755 "$dir" || exit 1
    mkdir -p "$dir/state" "$dir/spool" || exit 1
    cpus=${LOCAL_CLUSTER_CPUS:-$(nproc)}
    # Two ports from a base that differs between concurrent runs.
    ctld_port=$(free_port $((20000 + $$ % 20000)))
    d_port=$(free_port $((ctld_port + 1)))
    cat >"$conf" <<CONF
# Written by scripts/slurm/local_cluster.sh: one node, no accounting, state in $dir.
ClusterName=funnellocal
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=1
MinJobAge=600
InactiveLimit=0
NodeName=n1 NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=n1 Default=YES MaxTime=INFINITE State=UP
CONF
    [ -s "$dir/munge.key" ] || mungekey --create --keyfile="$dir/munge.key" 2>"$dir/mungekey.err" ||
        cannot_start "mungekey: $(cat "$dir/mungekey.err")"
    munged --key-file="$dir/munge.key" --socket="$dir/munge.sock" \
        --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
        --seed-file="$dir/munged.seed" 2>"$dir/munged.err" ||
        cannot_start "munged: $(cat "$dir/munged.err")"
    # -c: no state from an earlier run; -i: ignore state that cannot be read.
    slurmctld -c -i -f "$conf" 2>"$dir/slurmctld.err" ||
        cannot_start "slurmctld: $(cat "$dir/slurmctld.err")"
    wait_for 15 scontrol ping || cannot_start "slurmctld does not answer"
    slurmd -N n1 -f "$conf" 2>"$dir/slurmd.err" ||
        cannot_start "slurmd: $(cat "$dir/slurmd.err")"
    wait_for 20 node_idle || cannot_start "node n1 is not idle: $(sinfo -h -N -o '%t %E' 2>&1)"
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
*) usage ;;
esac
