# t_rel_disk.sh - full disks and I/O errors (docs/RELIABILITY.md, promise
# "disk full and I/O errors"): an append that fails for RLIMIT_FSIZE at many
# sizes, for a full tmpfs, for a pwrite or a sync that returns EIO (an
# LD_PRELOAD shim built from tests/reliability/shim_io_fail.c) must exit 5
# with a message naming the cause, leave the log replaying to its earlier
# state, and let the next append succeed and count the batch once.  Output to
# /dev/full exits 5; a report that cannot be written leaves the previous one
# in place.  STRESS=1 tries every 512-byte limit across the append instead of
# 40 of them.
. "$(dirname "$0")/lib.sh"

MNT=$T/mnt
trap 'umount "$MNT" 2>/dev/null; rm -rf "$T"' EXIT

# --- base (2 batches), B (the batch that fails), full = base + B.
"$FUNNEL" gen --entities 60 --seed 51 >"$T/g.csv"
head -n 200 "$T/g.csv" >"$T/b1.csv"
{ head -n 1 "$T/g.csv"; tail -n +201 "$T/g.csv"; } >"$T/b2.csv"
"$FUNNEL" gen --entities 1500 --seed 52 >"$T/B.csv"
"$FUNNEL" gen --entities 4 --seed 53 >"$T/small.csv"
"$FUNNEL" append -q "$T/base.flog" "$T/b1.csv" &&
    "$FUNNEL" append -q "$T/base.flog" "$T/b2.csv" &&
    "$FUNNEL" replay "$T/base.flog" -o "$T/base.json" &&
    cp "$T/base.flog" "$T/full.flog" &&
    "$FUNNEL" append -q "$T/full.flog" "$T/B.csv" &&
    "$FUNNEL" replay "$T/full.flog" -o "$T/full.json" &&
    "$FUNNEL" append -q "$T/new_full.flog" "$T/B.csv" &&
    "$FUNNEL" replay "$T/new_full.flog" -o "$T/new_full.json" &&
    printf 'time,entity,stage,channel\n' >"$T/hdr.csv" &&
    "$FUNNEL" append -q "$T/empty.flog" "$T/hdr.csv" &&
    "$FUNNEL" replay "$T/empty.flog" -o "$T/empty.json"   # an empty log's report
setup=$?
S0=$(wc -c <"$T/base.flog")
S1=$(wc -c <"$T/full.flog")
if [ "$S1" -gt $((S0 + 20000)) ] && [ -s "$T/empty.json" ]; then
    pass "disk_setup[log $S0 -> $S1 bytes]"
else
    fail disk_setup "base $S0, full $S1 bytes (setup exit $setup)"
fi

# fsize_append N LOG CSV : `funnel append -q LOG CSV` under `ulimit -f N`;
# exit code in rc, stderr in $T/err (through a pipe: under the limit, even
# writing the message to a regular file could fail).
fsize_append() {
    { (ulimit -f "$1" && exec "$FUNNEL" append -q "$2" "$3" 2>&1 >/dev/null); echo $? >"$T/rc"; } | cat >"$T/err"
    rc=$(cat "$T/rc")
}

# replay_of LOG : its report on stdout ("" and exit != 0 when it cannot be replayed).
replay_of() { "$FUNNEL" replay "$1" 2>/dev/null; }

# --- RLIMIT_FSIZE across the append: limits in 512-byte units from below
# the current size to above the final size.
lo=$((S0 / 512 - 2))
[ $lo -lt 0 ] && lo=0
hi=$(((S1 + 511) / 512 + 2))
if [ "${STRESS:-0}" = 1 ]; then npts=$((hi - lo + 1)); else npts=40; fi
limits=$(awk -v lo=$lo -v hi=$hi -v n=$npts -v s1=$S1 'BEGIN {
    for (i = 0; i < n; i++) v[int(lo + (hi - lo) * i / (n - 1) + 0.5)] = 1
    v[int(s1 / 512)] = 1; v[int((s1 + 511) / 512)] = 1
    for (k in v) print k }' | sort -n | uniq)
ntried=0 nfail=0 nok=0 bad=0
for N in $limits; do
    ntried=$((ntried + 1))
    cp "$T/base.flog" "$T/t.flog"
    fsize_append "$N" "$T/t.flog" "$T/B.csv"
    if [ $((N * 512)) -ge "$S1" ]; then
        if [ $rc -ne 0 ] || ! cmp -s "$T/t.flog" "$T/full.flog"; then
            bad=$((bad + 1)); fail "fsize_limit[$N]" "limit above the final size: exit $rc: $(head -c 200 "$T/err")"
        else nok=$((nok + 1)); fi
        continue
    fi
    nfail=$((nfail + 1))
    why=""
    [ $rc -eq 5 ] || why="exit $rc, expected 5; "
    grep -q "File too large" "$T/err" || why="${why}no 'File too large'; "
    replay_of "$T/t.flog" >"$T/r.json"
    cmp -s "$T/r.json" "$T/base.json" || why="${why}replay differs from the earlier report; "
    cmp -s "$T/t.flog" "$T/base.flog" || why="${why}log bytes changed; "
    "$FUNNEL" append -q "$T/t.flog" "$T/B.csv" 2>>"$T/err" || why="${why}the next append failed; "
    cmp -s "$T/t.flog" "$T/full.flog" || why="${why}the next append does not give base + B; "
    if [ -n "$why" ]; then bad=$((bad + 1)); fail "fsize_limit[$N]" "$why$(head -c 200 "$T/err")"; fi
done
[ $bad -eq 0 ] && pass "fsize_limits[$ntried limits: $nfail refused with exit 5, $nok fit; failures 0]"

# The same with a torn tail at the end of the log: the tail may be cut, the
# report stays the earlier one.
head -c $((S0 + (S1 - S0) / 3)) "$T/full.flog" >"$T/torn.flog"
bad=0 n=0
for N in $((S0 / 512 - 1)) $((S0 / 512)) $((S0 / 512 + 1)) $((S0 / 512 + 8)) $((S1 / 512 - 1)); do
    [ "$N" -ge 0 ] || continue
    n=$((n + 1))
    cp "$T/torn.flog" "$T/t.flog"
    fsize_append "$N" "$T/t.flog" "$T/B.csv"
    replay_of "$T/t.flog" >"$T/r.json"
    if [ $rc -ne 5 ] || ! grep -q "File too large" "$T/err" || ! cmp -s "$T/r.json" "$T/base.json" ||
        ! "$FUNNEL" append -q "$T/t.flog" "$T/B.csv" 2>/dev/null || ! cmp -s "$T/t.flog" "$T/full.flog"; then
        bad=$((bad + 1)); fail "fsize_limit_torn[$N]" "exit $rc: $(head -c 200 "$T/err")"
    fi
done
[ $bad -eq 0 ] && pass "fsize_limits_torn_tail[$n limits]"

# The spill file of a big batch (docs/FORMAT.md §9 step 4; forced here with
# FUNNEL_SPILL_BYTES) is under the same limit: EFBIG while spilling is
# exit 5 naming the temporary file, the log unchanged, no file left.
cp "$T/base.flog" "$T/t.flog"
export FUNNEL_SPILL_BYTES=4096
fsize_append 8 "$T/t.flog" "$T/B.csv"
unset FUNNEL_SPILL_BYTES
left=$(find "$T" -maxdepth 1 -name '.funnel-spill*' | wc -l)
if [ $rc -eq 5 ] && grep -q "temporary file of the batch: File too large" "$T/err" &&
    cmp -s "$T/t.flog" "$T/base.flog" && [ "$left" -eq 0 ]; then
    pass fsize_limit_while_spilling
else
    fail fsize_limit_while_spilling "exit $rc, log $(cmp -s "$T/t.flog" "$T/base.flog" && echo same || echo CHANGED), $left spill files: $(head -c 200 "$T/err")"
fi

# A new log: limit 0 (not even the header) and 1 (512 bytes: the header only).
for N in 0 1; do
    rm -f "$T/n.flog"
    fsize_append "$N" "$T/n.flog" "$T/B.csv"
    state=absent
    if [ -e "$T/n.flog" ]; then
        replay_of "$T/n.flog" >"$T/r.json"
        if cmp -s "$T/r.json" "$T/empty.json"; then state=empty; else state="not an empty log ($(wc -c <"$T/n.flog") bytes)"; fi
    fi
    "$FUNNEL" append -q "$T/n.flog" "$T/B.csv" 2>>"$T/err"
    rc2=$?
    replay_of "$T/n.flog" >"$T/r.json"
    if [ $rc -eq 5 ] && grep -q "File too large" "$T/err" && [ "$state" != "${state#[ae]}" ] &&
        [ $rc2 -eq 0 ] && cmp -s "$T/r.json" "$T/new_full.json"; then
        pass "fsize_limit_new_log[$N: left $state]"
    else
        fail "fsize_limit_new_log[$N]" "exit $rc, log $state, next append exit $rc2: $(head -c 200 "$T/err")"
    fi
done

# --- /dev/full as standard output.
for cmd in "replay" "replay --text" "cat" "verify"; do
    # shellcheck disable=SC2086
    "$FUNNEL" $cmd "$T/base.flog" >/dev/full 2>"$T/err"
    rc=$?
    if [ $rc -eq 5 ] && grep -q "No space left on device" "$T/err"; then pass "dev_full[$cmd]"; else
        fail "dev_full[$cmd]" "exit $rc: $(head -c 200 "$T/err")"; fi
done
"$FUNNEL" gen --entities 50 --seed 1 >/dev/full 2>"$T/err"
rc=$?
if [ $rc -eq 5 ] && grep -q "No space left on device" "$T/err"; then pass "dev_full[gen]"; else
    fail "dev_full[gen]" "exit $rc: $(head -c 200 "$T/err")"; fi

# --- LOG paths that are not regular files: exit 5 naming the problem, and
# never a hang (a FIFO must not block the open).  Also a log appended to itself.
mkdir -p "$T/adir"
mkfifo "$T/afifo"
bad=0 n=0
for lp in "$T/adir" /dev/null /dev/full "$T/afifo"; do
    for cmd in replay cat verify append; do
        n=$((n + 1))
        if [ $cmd = append ]; then set -- append -q "$lp" "$T/small.csv"; else set -- $cmd "$lp"; fi
        timeout 3 "$FUNNEL" "$@" >/dev/null 2>"$T/err" </dev/null
        rc=$?
        if [ $rc -ne 5 ] || ! grep -qE "not a regular file|Is a directory" "$T/err"; then
            bad=$((bad + 1))
            if [ $rc -eq 124 ]; then why="hung (killed after 3 s)"; else why="exit $rc: $(head -c 150 "$T/err")"; fi
            fail "odd_log_path[$cmd $(basename "$lp")]" "$why"
        fi
    done
done
[ $bad -eq 0 ] && pass "odd_log_paths[$n runs: directory, /dev/null, /dev/full, FIFO]"
cp "$T/base.flog" "$T/self.flog"
run "$FUNNEL" append "$T/self.flog" "$T/self.flog"
if [ "$RC" -eq 3 ] && cmp -s "$T/self.flog" "$T/base.flog"; then pass log_appended_to_itself_refused; else
    fail log_appended_to_itself_refused "exit $RC: $(head -c 200 "$T/err")"; fi

# --- a tiny tmpfs: ENOSPC.
if [ "$(id -u)" != 0 ]; then
    echo "SKIP tmpfs_enospc: not running as root (mount -t tmpfs needs it)"
elif ! mkdir -p "$MNT" || ! mount -t tmpfs -o size=64k tmpfs "$MNT" 2>"$T/err"; then
    echo "SKIP tmpfs_enospc: mount -t tmpfs -o size=64k failed: $(head -c 200 "$T/err")"
else
    # A batch that compresses badly: random 32-hex-digit attributes.
    awk 'BEGIN { srand(7); print "time,entity,stage,channel,token"
        for (i = 0; i < 6000; i++) { t = ""; for (j = 0; j < 4; j++) t = t sprintf("%08x", int(rand() * 4294967296))
            printf "2024-05-%02d,R%06d,suspect,sales,%s\n", i % 28 + 1, int(rand() * 1000000), t } }' >"$T/rand.csv"
    cp "$T/base.flog" "$MNT/log.flog"
    run "$FUNNEL" append -q "$MNT/log.flog" "$T/rand.csv"
    replay_of "$MNT/log.flog" >"$T/r.json"
    if [ "$RC" -eq 5 ] && grep -q "No space left on device" "$T/err" && cmp -s "$MNT/log.flog" "$T/base.flog" &&
        cmp -s "$T/r.json" "$T/base.json"; then
        pass tmpfs_enospc_batch
    else
        fail tmpfs_enospc_batch "exit $RC, log $(cmp -s "$MNT/log.flog" "$T/base.flog" && echo same || echo CHANGED): $(head -c 200 "$T/err")"
    fi
    # A batch spilling its EVENTS blocks beside the log, more of them than
    # the file system holds (random times: ~170 KB of blocks, and small
    # dictionaries): ENOSPC while spilling, before the log is touched.
    awk 'BEGIN { srand(8); print "time,entity,stage,channel"
        for (i = 0; i < 60000; i++) printf "%d,S%d,suspect,sales\n", 1600000000 + int(rand() * 100000000), int(rand() * 300) }' >"$T/rand2.csv"
    export FUNNEL_SPILL_BYTES=4096
    run "$FUNNEL" append -q "$MNT/log.flog" "$T/rand2.csv"
    unset FUNNEL_SPILL_BYTES
    left=$(find "$MNT" -name '.funnel-spill*' | wc -l)
    if [ "$RC" -eq 5 ] && grep -q "temporary file of the batch: No space left on device" "$T/err" &&
        cmp -s "$MNT/log.flog" "$T/base.flog" && [ "$left" -eq 0 ]; then
        pass tmpfs_enospc_while_spilling
    else
        fail tmpfs_enospc_while_spilling "exit $RC, log $(cmp -s "$MNT/log.flog" "$T/base.flog" && echo same || echo CHANGED), $left spill files: $(head -c 200 "$T/err")"
    fi
    run "$FUNNEL" append -q "$MNT/log.flog" "$T/small.csv"
    if [ "$RC" -eq 0 ] && "$FUNNEL" verify "$MNT/log.flog" >/dev/null 2>&1; then pass tmpfs_next_append_succeeds; else
        fail tmpfs_next_append_succeeds "exit $RC: $(head -c 200 "$T/err")"; fi
    cp "$MNT/log.flog" "$T/onmnt.flog"
    replay_of "$MNT/log.flog" >"$T/onmnt.json"
    "$FUNNEL" replay "$MNT/log.flog" -o "$MNT/report.json" 2>/dev/null
    # Fill the file system to the last byte.
    dd if=/dev/zero of="$MNT/fill" bs=4096 2>/dev/null
    dd if=/dev/zero of="$MNT/fill2" bs=1 2>/dev/null
    run "$FUNNEL" append -q "$MNT/log.flog" "$T/B.csv"
    if [ "$RC" -eq 5 ] && grep -q "No space left on device" "$T/err" && cmp -s "$MNT/log.flog" "$T/onmnt.flog"; then
        pass tmpfs_full_existing_log_unchanged
    else
        fail tmpfs_full_existing_log_unchanged "exit $RC: $(head -c 200 "$T/err")"
    fi
    # A report that cannot be written: exit 5, the previous one stays, no temp file.
    printf 'stale' >>"$MNT/report.json" 2>/dev/null
    cp "$MNT/report.json" "$T/prev_report"
    run "$FUNNEL" replay "$MNT/log.flog" --as-of 2000-01-01 -o "$MNT/report.json"
    left=$(find "$MNT" -name 'report.json.tmp*' | wc -l)
    if [ "$RC" -eq 5 ] && grep -q "No space left on device" "$T/err" && cmp -s "$MNT/report.json" "$T/prev_report" &&
        [ "$left" -eq 0 ]; then
        pass tmpfs_full_report_keeps_previous
    else
        fail tmpfs_full_report_keeps_previous "exit $RC, $left temp files: $(head -c 200 "$T/err")"
    fi
    # A new log on a full file system: exit 5, and no log left behind (or an
    # empty one), so that the next append, once there is room, succeeds.
    run "$FUNNEL" append -q "$MNT/new.flog" "$T/small.csv"
    rc=$RC
    state=absent
    if [ -e "$MNT/new.flog" ]; then
        sz=$(wc -c <"$MNT/new.flog")
        replay_of "$MNT/new.flog" >"$T/r.json"
        if cmp -s "$T/r.json" "$T/empty.json"; then state="empty ($sz bytes)"; else state="NOT A LOG ($sz bytes)"; fi
    fi
    if [ $rc -eq 5 ] && grep -q "No space left on device" "$T/err" && [ "${state#NOT}" = "$state" ]; then
        pass "tmpfs_full_new_log[left $state]"
    else
        fail tmpfs_full_new_log "exit $rc, log left: $state: $(head -c 200 "$T/err")"
    fi
    rm -f "$MNT/fill" "$MNT/fill2"
    "$FUNNEL" append -q "$MNT/new.flog" "$T/small.csv" 2>"$T/err"
    rc=$?
    if [ $rc -eq 0 ] && "$FUNNEL" verify "$MNT/new.flog" >/dev/null 2>&1; then pass tmpfs_new_log_after_space_freed; else
        fail tmpfs_new_log_after_space_freed "exit $rc: $(head -c 200 "$T/err")"; fi
    umount "$MNT"
fi

# --- EIO from pwrite and from fdatasync/fsync: an LD_PRELOAD shim.
SHIM_SRC=$ROOT/tests/reliability/shim_io_fail.c
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "SKIP io_error_shim: no C compiler ($CC) to build $SHIM_SRC"
elif ! "$CC" -shared -fPIC -O1 -o "$T/shim.so" "$SHIM_SRC" -ldl 2>"$T/err"; then
    echo "SKIP io_error_shim: cannot build the shim: $(head -c 200 "$T/err")"
else
    SHIM=$T/shim.so
    # shim LOG ENV... -- ARGS : funnel ARGS under the shim, calls logged to $T/calls.
    shim() {
        rm -f "$T/calls"
        env LD_PRELOAD="$SHIM" SHIM_LOG="$T/calls" "$@" >"$T/out" 2>"$T/err"
        RC=$?
    }
    cp "$T/base.flog" "$T/t.flog"
    shim "$FUNNEL" append -q "$T/t.flog" "$T/B.csv"
    nw=$(grep -c '^pwrite' "$T/calls" 2>/dev/null)
    ns=$(grep -cE '^f(data)?sync' "$T/calls" 2>/dev/null)
    if [ "$RC" -eq 0 ] && cmp -s "$T/t.flog" "$T/full.flog" && [ "${nw:-0}" -ge 2 ] && [ "${ns:-0}" -ge 2 ]; then
        pass "io_shim_works[append B: $nw pwrites, $ns syncs]"
    else
        fail io_shim_works "exit $RC, pwrites ${nw:-?}, syncs ${ns:-?}: $(head -c 200 "$T/err")"
        nw=0 ns=0
    fi
    # check_failed NAME : the last shim run failed cleanly: exit 5, EIO named,
    # the earlier report, and a rerun counts the batch once.
    check_failed() {
        why=""
        [ "$RC" -eq 5 ] || why="exit $RC, expected 5; "
        grep -q "Input/output error" "$T/err" || why="${why}no 'Input/output error'; "
        replay_of "$T/t.flog" >"$T/r.json"
        cmp -s "$T/r.json" "$T/base.json" || why="${why}replay differs from the earlier report; "
        "$FUNNEL" append -q "$T/t.flog" "$T/B.csv" 2>>"$T/err" || why="${why}the rerun failed; "
        replay_of "$T/t.flog" >"$T/r.json"
        cmp -s "$T/r.json" "$T/full.json" || why="${why}after the rerun the report is not base + B once; "
        "$FUNNEL" verify "$T/t.flog" >"$T/v.out" 2>&1 && grep -q "3 batches" "$T/v.out" || why="${why}verify: $(head -c 100 "$T/v.out"); "
        if [ -n "$why" ]; then fail "$1" "$why$(head -c 200 "$T/err" | tr '\n' '|')"; return 1; fi
        return 0
    }
    bad=0
    k=1
    while [ "$k" -le "$nw" ]; do
        cp "$T/base.flog" "$T/t.flog"
        shim env SHIM_FAIL_PWRITE=$k "$FUNNEL" append -q "$T/t.flog" "$T/B.csv"
        check_failed "eio_pwrite[$k of $nw]" || bad=$((bad + 1))
        k=$((k + 1))
    done
    [ $bad -eq 0 ] && [ "$nw" -gt 0 ] && pass "eio_pwrite_each[$nw writes]"
    for k in 1 2; do
        cp "$T/base.flog" "$T/t.flog"
        shim env SHIM_FAIL_SYNC=$k "$FUNNEL" append -q "$T/t.flog" "$T/B.csv"
        case $k in
        1) msg="sync failed, the batch was not committed" ;;
        2) msg="sync of the commit failed" ;;
        esac
        # Never retried as if it had worked: after the failed sync, the only
        # calls are the cut and its sync, and the batch is not reported.
        after=$(awk '/EIO/ { f = 1; next } f && /^pwrite/' "$T/calls" | wc -l)
        if grep -qF "$msg" "$T/err" && [ "$after" -eq 0 ] && check_failed "eio_sync[$k]"; then
            pass "eio_sync[$k: $msg]"
        elif ! grep -qF "$msg" "$T/err" || [ "$after" -ne 0 ]; then
            fail "eio_sync[$k]" "message lacks '$msg' or $after writes after the failed sync: $(head -c 200 "$T/err")"
        fi
    done
    # A new log: the data sync, the commit sync, the directory's fsync.
    for k in 1 2 3; do
        rm -f "$T/n.flog"
        shim env SHIM_FAIL_SYNC=$k "$FUNNEL" append -q "$T/n.flog" "$T/B.csv"
        rc=$RC
        state=absent
        if [ -e "$T/n.flog" ]; then
            replay_of "$T/n.flog" >"$T/r.json"
            if cmp -s "$T/r.json" "$T/empty.json"; then state=empty; else state="NOT EMPTY"; fi
        fi
        "$FUNNEL" append -q "$T/n.flog" "$T/B.csv" 2>>"$T/err"
        rc2=$?
        replay_of "$T/n.flog" >"$T/r.json"
        if [ $rc -eq 5 ] && grep -q "Input/output error" "$T/err" && [ "$state" != "NOT EMPTY" ] &&
            [ $rc2 -eq 0 ] && cmp -s "$T/r.json" "$T/new_full.json"; then
            pass "eio_sync_new_log[$k: left $state]"
        else
            fail "eio_sync_new_log[$k]" "exit $rc, log $state, rerun exit $rc2: $(head -c 200 "$T/err")"
        fi
    done
    # A new log: the header's pwrite, the batch's, the commit's.
    for k in 1 2 3; do
        rm -f "$T/n.flog"
        shim env SHIM_FAIL_PWRITE=$k "$FUNNEL" append -q "$T/n.flog" "$T/B.csv"
        rc=$RC
        state=absent
        if [ -e "$T/n.flog" ]; then
            replay_of "$T/n.flog" >"$T/r.json"
            if cmp -s "$T/r.json" "$T/empty.json"; then state=empty; else state="NOT EMPTY"; fi
        fi
        "$FUNNEL" append -q "$T/n.flog" "$T/B.csv" 2>>"$T/err"
        rc2=$?
        replay_of "$T/n.flog" >"$T/r.json"
        if [ $rc -eq 5 ] && grep -q "Input/output error" "$T/err" && [ "$state" != "NOT EMPTY" ] &&
            [ $rc2 -eq 0 ] && cmp -s "$T/r.json" "$T/new_full.json"; then
            pass "eio_pwrite_new_log[$k: left $state]"
        else
            fail "eio_pwrite_new_log[$k]" "exit $rc, log $state, rerun exit $rc2: $(head -c 200 "$T/err")"
        fi
    done
    # verify --repair whose sync fails; a header-only append on a torn log.
    cp "$T/torn.flog" "$T/t.flog"
    shim env SHIM_FAIL_SYNC=1 "$FUNNEL" verify --repair "$T/t.flog"
    if [ "$RC" -eq 5 ] && grep -q "Input/output error" "$T/err"; then pass eio_sync_verify_repair; else
        fail eio_sync_verify_repair "exit $RC: $(head -c 200 "$T/err")"; fi
    cp "$T/torn.flog" "$T/t.flog"
    shim env SHIM_FAIL_SYNC=1 "$FUNNEL" append -q "$T/t.flog" "$T/hdr.csv"
    replay_of "$T/t.flog" >"$T/r.json"
    if [ "$RC" -eq 5 ] && grep -q "Input/output error" "$T/err" && cmp -s "$T/r.json" "$T/base.json"; then
        pass eio_sync_header_only_append; else
        fail eio_sync_header_only_append "exit $RC: $(head -c 200 "$T/err")"; fi
    # replay -o whose fsync fails: exit 5, the previous report stays, no temp file.
    printf 'previous\n' >"$T/rep.json"
    shim env SHIM_FAIL_SYNC=1 "$FUNNEL" replay "$T/base.flog" -o "$T/rep.json"
    left=$(find "$T" -maxdepth 1 -name 'rep.json.tmp*' | wc -l)
    if [ "$RC" -eq 5 ] && grep -q "Input/output error" "$T/err" && [ "$(cat "$T/rep.json")" = previous ] &&
        [ "$left" -eq 0 ]; then
        pass eio_fsync_report_keeps_previous
    else
        fail eio_fsync_report_keeps_previous "exit $RC, $left temp files: $(head -c 200 "$T/err")"
    fi
fi
