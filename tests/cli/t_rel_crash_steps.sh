# t_rel_crash_steps.sh - docs/RELIABILITY.md, "Crash at each I/O step, and
# power loss".
#
# The fault hook (cmd/fault_hook.h) kills `funnel append` with SIGKILL right
# after its K-th write, sync, truncate, rename (the link() that puts a new
# log in place), dirsync, spill (a write to the batch's nameless spill
# file, docs/FORMAT.md §9 step 4) or any I/O step.  For every
# STEP kind and every K of a multi-block batch (over 1 MiB of blocks, so it
# is written in several 1 MiB pieces), in three modes:
#   kill     SIGKILL only (what the page cache holds survives);
#   cut      power loss: the file is cut to the length last synced;
#   garbage  power loss: everything after the last synced length becomes
#            pseudo-random 512-byte sectors;
# it checks that
#   - the batch is wholly present or wholly absent: replay equals the
#     report without the batch or the report with it, byte for byte, and
#     `verify` exits 0 (a torn tail at most) with the matching batch count;
#   - once the commit sync has returned it is present (sync:LAST, any:K from
#     the commit sync on, and a run that completes);
#   - under power loss, a batch whose commit sync had not returned is absent
#     (unsynced bytes, garbage included, are never counted);
#   - rerunning the same append counts it exactly once (report = with the
#     batch, verify clean); when it was already present the rerun says it
#     repeats a batch.
# Shape S is batch A with FUNNEL_SPILL_BYTES=65536, so its EVENTS blocks go
# through the spill file and are copied into the log at the commit; no
# spill file may be left behind.
# Scenarios: the batch after 2 committed batches ("clean"), after 2 batches
# and a torn tail left by a killed append ("torn": adds a truncate step), and
# into an absent log ("new": adds the header write and the dirsync).
# STRESS=1 adds larger batches (~2 and ~10 MB of blocks), a batch of two CSV
# files with different columns, and a log whose torn tail is noise
# ("garbtail"), so that there are >= 500 power-loss scenarios.
# STRESS=1 also runs "tornhdr": a log whose file header was cut at 9 bytes,
# as an interrupted creation by an older build could leave it.
# Kinds: make test kills only at "any:K", K = 1 .. every step: the hook
# counts every step for "any", so any:K is the very kill point of the K-th
# step whatever its kind, and the per-kind runs (write:J, sync:J, ...) repeat
# those points one kind at a time.  STRESS=1 runs them too, which counts the
# steps of each kind (the "crash_steps_counts" lines).
# CRASH_SCENARIOS="clean ..." picks scenarios, CRASH_KINDS="write any" kinds.
# Summary: "PASS crash_steps: N steps tried (...), 0 violations".
. "$(dirname "$0")/lib.sh"
STRESS=${STRESS:-0}
t0=$(date +%s)

"$FUNNEL" gen --entities 300 --seed 1 >"$T/b1.csv"
"$FUNNEL" gen --entities 300 --seed 2 >"$T/b2.csv"
"$FUNNEL" gen --entities 15000 --events 250000 --seed 5 >"$T/A.csv"     # ~1.3 MB of blocks
"$FUNNEL" gen --entities 12000 --events 250000 --seed 9 >"$T/other.csv"
"$FUNNEL" append -q "$T/base.flog" "$T/b1.csv" && "$FUNNEL" append -q "$T/base.flog" "$T/b2.csv"
# torn.flog: base plus the first 1 MiB piece of another batch (killed).
cp "$T/base.flog" "$T/torn.flog"
FUNNEL_FAULT=write:1 "$FUNNEL" append -q "$T/torn.flog" "$T/other.csv" 2>/dev/null
: >"$T/empty.flog"
# garbtail.flog: base plus 5000 bytes of noise (bytes from inside zlib streams).
cp "$T/base.flog" "$T/garbtail.flog"
tail -c +300001 "$T/torn.flog" | head -c 5000 >>"$T/garbtail.flog"
# tornhdr.flog: a log whose creation was interrupted (9 bytes of its header).
head -c 9 "$T/base.flog" >"$T/tornhdr.flog"

SHAPES="A S" SCENS="clean torn new" KINDS="any"
if [ "$STRESS" = 1 ]; then
    "$FUNNEL" gen --entities 50000 --events 2000000 --seed 6 >"$T/C.csv"   # ~10 MB
    "$FUNNEL" gen --entities 10000 --events 200000 --seed 7 >"$T/B1.csv"
    "$FUNNEL" gen --entities 10000 --events 200000 --seed 8 |
        awk 'NR == 1 { print $0 ",region"; next } { print $0 ",r" (NR % 7) }' >"$T/B2.csv"
    "$FUNNEL" gen --entities 20000 --events 400000 --seed 5 >"$T/D.csv"    # ~2 MB
    SHAPES="A S B C D" SCENS="clean torn new garbtail tornhdr"
    KINDS="rename dirsync sync truncate write spill any"
fi
SCENS=${CRASH_SCENARIOS:-$SCENS}
KINDS=${CRASH_KINDS:-$KINDS}
files_of() { case $1 in A|S) echo "$T/A.csv" ;; B) echo "$T/B1.csv $T/B2.csv" ;; C) echo "$T/C.csv" ;; D) echo "$T/D.csv" ;; esac; }

steps=0 kills=0 power_kills=0 viol=0 present_n=0 absent_n=0
# violation WHAT WHY
violation() { viol=$((viol + 1)); fail "crash_steps[$1]" "$2"; }

# batches_of VERIFY_OUT : the batch count verify printed.
batches_of() { sed -n 's/.*: ok: \([0-9]*\) batches.*/\1/p' "$1"; }

# try SCEN SHAPE KIND K MODE: one faulted append then a rerun; sets RUN_RC
# and RUN_STATE (present / absent / bad).
try() {
    scen=$1 shape=$2 kind=$3 k=$4 mode=$5 id="$1/$2/$3:$4${5:+:$5}"
    w=$T/w.flog
    case $scen in clean) cp "$T/base.flog" "$w" ;; new) rm -f "$w" ;; *) cp "$T/$scen.flog" "$w" ;; esac
    # shellcheck disable=SC2046
    spill=""
    [ "$shape" = S ] && spill=65536
    FUNNEL_SPILL_BYTES=$spill FUNNEL_FAULT="$kind:$k${mode:+:$mode}" "$FUNNEL" append -q "$w" $(files_of "$shape") >"$T/a.out" 2>"$T/a.err"
    RUN_RC=$?
    left=$(find "$T" -maxdepth 1 -name '.funnel-spill*' | wc -l)
    [ "$left" -eq 0 ] || violation "$id" "$left spill files left behind"
    steps=$((steps + 1))
    if [ "$RUN_RC" = 137 ]; then
        kills=$((kills + 1))
        [ -n "$mode" ] && power_kills=$((power_kills + 1))
    elif [ "$RUN_RC" != 0 ]; then
        violation "$id" "append exited $RUN_RC (expected a kill or 0): $(head -c 200 "$T/a.err")"
    fi
    RUN_STATE=bad
    [ -f "$w" ] || cp "$T/empty.flog" "$w"   # killed before the new log was linked in place
    "$FUNNEL" replay "$w" >"$T/r.json" 2>"$T/r.err"
    rrc=$?
    "$FUNNEL" verify "$w" >"$T/v.out" 2>"$T/v.err"
    vrc=$?
    nb=$(batches_of "$T/v.out")
    if [ "$rrc" != 0 ] || [ "$vrc" != 0 ]; then
        hint=""
        grep -q "not a funnel log" "$T/v.err" &&
            hint="power loss left unsynced bytes over the file header, so the log is unreadable and every later append fails; "
        violation "$id" "${hint}replay exit $rrc, verify exit $vrc: $(head -c 300 "$T/v.err")"
    elif cmp -s "$T/r.json" "$T/$scen.$shape.after.json" && [ "$nb" = "$(cat "$T/$scen.$shape.after.n")" ]; then
        RUN_STATE=present
        present_n=$((present_n + 1))
    elif cmp -s "$T/r.json" "$T/$scen.before.json" && [ "$nb" = "$(cat "$T/$scen.before.n")" ]; then
        RUN_STATE=absent
        absent_n=$((absent_n + 1))
    else
        violation "$id" "replay matches neither the log without the batch nor the log with it (verify: $(head -c 200 "$T/v.out"))"
    fi
    if [ "$RUN_RC" = 0 ] && [ "$RUN_STATE" != present ]; then
        violation "$id" "append exited 0 but the batch is $RUN_STATE"
    fi
    # The rerun counts the batch exactly once.
    # shellcheck disable=SC2046
    "$FUNNEL" append -q "$w" $(files_of "$shape") >"$T/a2.out" 2>"$T/a2.err"
    arc=$?
    "$FUNNEL" replay "$w" >"$T/r2.json" 2>"$T/r2.err"
    rrc=$?
    "$FUNNEL" verify "$w" >"$T/v2.out" 2>"$T/v2.err"
    vrc=$?
    if [ "$arc" != 0 ] || [ "$rrc" != 0 ] || [ "$vrc" != 0 ]; then
        violation "$id/rerun" "append exit $arc, replay exit $rrc, verify exit $vrc: $(head -c 300 "$T/a2.err")"
    elif ! cmp -s "$T/r2.json" "$T/$scen.$shape.after.json" || grep -q torn "$T/v2.out" ||
        [ "$(batches_of "$T/v2.out")" != "$(cat "$T/$scen.$shape.after.n")" ]; then
        violation "$id/rerun" "after the rerun the log is not the log with the batch once: $(head -c 300 "$T/v2.out")"
    elif [ "$RUN_STATE" = present ] && [ "$RUN_RC" = 137 ] && ! grep -q "repeat batch" "$T/a2.err"; then
        violation "$id/rerun" "the batch was present but the rerun did not report a duplicate: $(head -c 200 "$T/a2.err")"
    elif [ "$RUN_STATE" = absent ] && grep -q "repeat batch" "$T/a2.err"; then
        violation "$id/rerun" "the batch was absent but the rerun called it a duplicate"
    fi
}

# --- references: the report without the batch and with it, per scenario.
ok=1
for scen in $SCENS; do
    case $scen in clean) src=base ;; new) src=empty ;; *) src=$scen ;; esac
    "$FUNNEL" replay "$T/$src.flog" >"$T/$scen.before.json" 2>/dev/null || ok=0
    "$FUNNEL" verify "$T/$src.flog" >"$T/v.out" 2>&1 || ok=0
    batches_of "$T/v.out" >"$T/$scen.before.n"
    for shape in $SHAPES; do
        cp "$T/$src.flog" "$T/ref.flog"
        # shellcheck disable=SC2046
        "$FUNNEL" append -q "$T/ref.flog" $(files_of "$shape") || ok=0
        "$FUNNEL" replay "$T/ref.flog" >"$T/$scen.$shape.after.json" || ok=0
        "$FUNNEL" verify "$T/ref.flog" >"$T/v.out" 2>&1 || ok=0
        batches_of "$T/v.out" >"$T/$scen.$shape.after.n"
        cmp -s "$T/$scen.before.json" "$T/$scen.$shape.after.json" && ok=0
    done
done
tornlen=$(($(wc -c <"$T/torn.flog") - $(wc -c <"$T/base.flog")))
if [ "$ok" = 1 ] && [ "$tornlen" -gt 0 ]; then
    pass "crash_steps_setup[scenarios $SCENS; shapes $SHAPES; kinds $KINDS; torn tail $tornlen bytes]"
else
    fail crash_steps_setup "references could not be built (torn tail $tornlen bytes)"
fi

# --- every kind, every K, every mode.  The plain kill mode runs K = 1, 2, ...
# until an append completes, which counts the steps of each kind; the power
# loss modes then try K = 1 .. that count (past it the hook never fires).
for scen in $SCENS; do
    for shape in $SHAPES; do
        for mode in "" cut garbage; do
            ncount=""
            for kind in $KINDS; do
                k=1 states=""
                while :; do
                    if [ -n "$mode" ]; then eval "[ \$k -le \$n_$kind ]" || break; fi
                    try "$scen" "$shape" "$kind" "$k" "$mode"
                    if [ "$RUN_RC" != 137 ]; then
                        [ -n "$mode" ] && violation "$scen/$shape/$kind:$k:$mode" "the hook did not fire (exit $RUN_RC)"
                        break
                    fi
                    states="$states $RUN_STATE"
                    k=$((k + 1))
                    if [ "$k" -gt 200 ]; then violation "$scen/$shape/$kind" "more than 200 steps"; break; fi
                done
                [ -z "$mode" ] && eval "n_$kind=$((k - 1))"   # steps of this kind
                eval "n=\$n_$kind"
                ncount="$ncount $kind=$n"
                # The steps after which the commit sync has returned: the last
                # sync, which is also the last step of all (a new log's
                # directory is synced when it is created, before the batch).
                case $kind in
                sync|any) first_post=$n ;;
                *) first_post=$((n + 1)) ;;
                esac
                i=0
                for st in $states; do
                    i=$((i + 1))
                    id="$scen/$shape/$kind:$i${mode:+:$mode}"
                    if [ "$i" -ge "$first_post" ] && [ "$st" != present ]; then
                        violation "$id" "killed after the commit sync returned, but the batch is $st"
                    elif [ -n "$mode" ] && [ "$i" -lt "$first_post" ] && [ "$st" = present ]; then
                        violation "$id" "power loss before the commit sync, but the (unsynced) batch is present"
                    fi
                done
            done
            [ -z "$mode" ] && pass "crash_steps_counts[$scen/$shape:$ncount]"
        done
    done
done

secs=$(($(date +%s) - t0))
figs="$steps steps tried ($kills killed by the hook, $power_kills of them with power loss (cut/garbage), $((steps - kills)) ran to completion), batch present $present_n / absent $absent_n, $viol violations, ${secs}s"
if [ "$viol" -eq 0 ]; then pass "crash_steps: $figs"; else fail crash_steps "$figs"; fi
