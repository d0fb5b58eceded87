# t_torn_tail.sh - a log cut at every byte offset of its last batch: replay
# gives the report of the earlier batches, `verify` exits 0 and names the torn
# tail, `append` after it works and leaves a clean log.  Then damage in the
# middle (exit 4 with the offset), `verify --repair`, a cut file header, and a
# file that is not a funnel log.  Checks over offsets are aggregated: one
# PASS per category (the number of offsets in its name) and one FAIL per
# failing offset.
. "$(dirname "$0")/lib.sh"

"$FUNNEL" gen --entities 30 --seed 11 >"$T/g.csv"
hdr=$(head -n 1 "$T/g.csv")
{ echo "$hdr"; sed -n 2,101p "$T/g.csv"; } >"$T/b1.csv"
{ echo "$hdr"; sed -n 102,201p "$T/g.csv"; } >"$T/b2.csv"
{ echo "$hdr"; tail -n +202 "$T/g.csv"; } >"$T/b3.csv"
"$FUNNEL" gen --entities 5 --seed 12 >"$T/b4.csv"

# prev.flog: batches 1-2 and its report; full.flog: batches 1-3;
# after.flog: batches 1, 2 and 4 (what an append of b4 after a cut gives).
"$FUNNEL" append -q "$T/prev.flog" "$T/b1.csv" &&
    "$FUNNEL" append -q "$T/prev.flog" "$T/b2.csv" &&
    "$FUNNEL" replay "$T/prev.flog" -o "$T/prev.json" &&
    "$FUNNEL" cat "$T/prev.flog" >"$T/prev.csv" &&
    cp "$T/prev.flog" "$T/full.flog" &&
    "$FUNNEL" append -q "$T/full.flog" "$T/b3.csv" &&
    "$FUNNEL" replay "$T/full.flog" -o "$T/full.json" &&
    cp "$T/prev.flog" "$T/after.flog" &&
    "$FUNNEL" append -q "$T/after.flog" "$T/b4.csv" &&
    "$FUNNEL" replay "$T/after.flog" -o "$T/after.json"
setup=$?
E=$(wc -c <"$T/prev.flog")   # end of the previous batch
S=$(wc -c <"$T/full.flog")   # end of the file
if [ "$setup" -eq 0 ] && [ "$S" -gt $((E + 200)) ] && ! cmp -s "$T/prev.json" "$T/full.json" &&
    ! cmp -s "$T/prev.json" "$T/after.json"; then
    pass "torn_setup[batch 3 is bytes $E..$S]"
else
    fail torn_setup "exit $setup, prev $E bytes, full $S bytes, or the reports do not differ"
fi

# --- every offset from E to S-1 with STRESS=1 (S itself is the complete
# log); every 3rd in make test, so one of any 3 neighbours of a block
# boundary (t_rel_truncate.sh cuts at every offset near each boundary).
# Under AddressSanitizer (make asan), where a run costs ~10x, every 14th
# (88 offsets of a 1,228-byte batch: every block's header, payload and
# commit still cut many times): ASan needs each code path of a torn log
# once, and the near-boundary offsets are t_rel_truncate's, which keeps
# them all there.
if [ "${STRESS:-0}" = 1 ]; then STEP=1; else STEP=3; fi
if [ "${STRESS:-0}" != 1 ] && grep -q __asan_init "$FUNNEL" 2>/dev/null; then STEP=14; fi
n=0 nsample=0
f_cat=0 f_replay=0 f_replay_rc=0 f_notice=0 f_verify=0 f_torn=0 f_append=0 f_clean=0 f_after=0
off=$E
while [ "$off" -lt "$S" ]; do
    n=$((n + 1))
    head -c "$off" "$T/full.flog" >"$T/cut.flog"
    "$FUNNEL" replay "$T/cut.flog" >"$T/r.json" 2>"$T/r.err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        f_replay_rc=$((f_replay_rc + 1))
        fail "torn_replay_exit[$off]" "exit $rc: $(head -c 200 "$T/r.err")"
    elif ! cmp -s "$T/prev.json" "$T/r.json"; then
        f_replay=$((f_replay + 1))
        fail "torn_replay_report[$off]" "report differs from the one of batches 1-2"
    fi
    "$FUNNEL" verify "$T/cut.flog" >"$T/v.out" 2>"$T/v.err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        f_verify=$((f_verify + 1))
        fail "torn_verify_exit[$off]" "exit $rc: $(head -c 200 "$T/v.err")"
    elif [ "$off" -gt "$E" ]; then
        if ! grep -q "torn tail: $((off - E)) bytes at offset $E" "$T/v.out"; then
            f_torn=$((f_torn + 1))
            fail "torn_verify_names_tail[$off]" "$(head -c 300 "$T/v.out")"
        fi
        if ! grep -q "torn tail" "$T/r.err"; then
            f_notice=$((f_notice + 1))
            fail "torn_replay_notice[$off]" "replay said nothing of the torn tail: $(head -c 200 "$T/r.err")"
        fi
    elif grep -q "torn" "$T/v.out" "$T/v.err" || ! grep -q "2 batches" "$T/v.out"; then
        f_torn=$((f_torn + 1))
        fail "torn_verify_exact_end[$off]" "a cut at the batch end: $(head -c 300 "$T/v.out")"
    fi
    # Every 7th offset (and the two ends): append a new batch after the cut.
    if [ $(((off - E) % 7)) -eq 0 ] || [ "$off" -eq $((S - 1)) ]; then
        nsample=$((nsample + 1))
        # cat ignores the tail too.
        "$FUNNEL" cat "$T/cut.flog" >"$T/c.csv" 2>"$T/c.err"
        rc=$?
        if [ "$rc" -ne 0 ] || ! cmp -s "$T/prev.csv" "$T/c.csv"; then
            f_cat=$((f_cat + 1))
            fail "torn_cat[$off]" "exit $rc, or rows differ from the cat of batches 1-2: $(head -c 200 "$T/c.err")"
        fi
        "$FUNNEL" append -q "$T/cut.flog" "$T/b4.csv" >"$T/a.out" 2>"$T/a.err"
        rc=$?
        if [ "$rc" -ne 0 ]; then
            f_append=$((f_append + 1))
            fail "torn_append[$off]" "exit $rc: $(head -c 200 "$T/a.err")"
        else
            "$FUNNEL" verify "$T/cut.flog" >"$T/v.out" 2>"$T/v.err"
            rc=$?
            if [ "$rc" -ne 0 ] || grep -q torn "$T/v.out" || ! grep -q "3 batches" "$T/v.out"; then
                f_clean=$((f_clean + 1))
                fail "torn_append_then_verify[$off]" "exit $rc: $(head -c 300 "$T/v.out" "$T/v.err")"
            fi
            if ! cmp -s "$T/cut.flog" "$T/after.flog"; then
                f_after=$((f_after + 1))
                fail "torn_append_bytes[$off]" "the log differs from batches 1, 2, 4 appended normally"
            fi
        fi
    fi
    off=$((off + STEP))
done
[ $f_replay_rc -eq 0 ] && pass "torn_replay_exit0[$n offsets]"
[ $f_replay -eq 0 ] && pass "torn_replay_equals_earlier_report[$n offsets]"
[ $f_notice -eq 0 ] && pass "torn_replay_notice[$((n - 1)) offsets]"
[ $f_verify -eq 0 ] && pass "torn_verify_exit0[$n offsets]"
[ $f_torn -eq 0 ] && pass "torn_verify_names_tail[$n offsets]"
[ $f_cat -eq 0 ] && pass "torn_cat_equals_earlier_rows[$nsample offsets]"
[ $f_append -eq 0 ] && pass "torn_append_after_cut[$nsample offsets]"
[ $f_clean -eq 0 ] && pass "torn_verify_clean_after_append[$nsample offsets]"
[ $f_after -eq 0 ] && pass "torn_append_gives_same_bytes[$nsample offsets]"

# The complete file: its own report, no tail.
run "$FUNNEL" replay "$T/full.flog"
expect_same torn_full_report "$T/full.json" "$T/out"

# --- a cut inside the file header: an empty log with a torn tail.
bad=0
for off in 1 2 7 8 9 15; do
    head -c "$off" "$T/full.flog" >"$T/cut.flog"
    "$FUNNEL" verify "$T/cut.flog" >"$T/v.out" 2>"$T/v.err" &&
        grep -q "0 batches" "$T/v.out" && grep -q "torn tail: $off bytes at offset 0" "$T/v.out" &&
        "$FUNNEL" replay "$T/cut.flog" 2>/dev/null | grep -q '"read": 0' &&
        "$FUNNEL" append -q "$T/cut.flog" "$T/b4.csv" &&
        "$FUNNEL" replay "$T/cut.flog" 2>/dev/null | grep -q '"read": ' || {
        bad=$((bad + 1))
        fail "torn_file_header[$off]" "$(head -c 300 "$T/v.out" "$T/v.err")"
    }
done
[ $bad -eq 0 ] && pass "torn_file_header[6 offsets]"

# --- verify --repair cuts a torn tail, and only that.
head -c $(((E + S) / 2)) "$T/full.flog" >"$T/rep.flog"
run "$FUNNEL" verify --repair "$T/rep.flog"
expect_rc torn_repair_rc 0
expect_out torn_repair_says_cut "repaired: cut $(((E + S) / 2 - E)) bytes"
expect_same torn_repair_bytes "$T/prev.flog" "$T/rep.flog"
run "$FUNNEL" verify "$T/rep.flog"
if [ "$RC" -eq 0 ] && ! grep -q torn "$T/out"; then pass torn_repair_clean; else
    fail torn_repair_clean "exit $RC: $(head -c 300 "$T/out")"; fi
run "$FUNNEL" verify --repair "$T/rep.flog"
expect_out torn_repair_nothing "nothing to repair"
expect_same torn_repair_idempotent "$T/prev.flog" "$T/rep.flog"

# A bad batch or a duplicate leaves a torn tail alone (the log is unchanged).
head -c $((E + 50)) "$T/full.flog" >"$T/keep.flog"
cp "$T/keep.flog" "$T/keep0.flog"
run "$FUNNEL" append "$T/keep.flog" "$FIX/csv/bad/nul.csv"
expect_rc torn_bad_input_rc 3
expect_same torn_bad_input_keeps_tail "$T/keep0.flog" "$T/keep.flog"
run "$FUNNEL" append "$T/keep.flog" "$T/b2.csv"
expect_rc torn_duplicate_rc 0
expect_same torn_duplicate_keeps_tail "$T/keep0.flog" "$T/keep.flog"

# --- damage in the middle of batch 1: exit 4 naming the offset.
# Walk the blocks (40-byte headers, u32 payload_len at +8, type at +4) to
# find batch 1's first EVENTS block.
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 --endian=little "$1" | tr -d ' '; }
pos=16 ev=-1 b1end=-1
while [ "$pos" -lt "$E" ]; do
    typ=$(u8 "$T/full.flog" $((pos + 4)))
    len=$(u32 "$T/full.flog" $((pos + 8)))
    [ "$typ" = 2 ] && [ "$ev" -lt 0 ] && ev=$pos evlen=$len
    if [ "$typ" = 3 ]; then b1end=$((pos + 40 + len)); break; fi
    pos=$((pos + 40 + len))
done
# flip FILE OFFSET : change the byte at OFFSET.
flip() {
    b=$(u8 "$1" "$2")
    if [ "$b" = 88 ]; then nb='\131'; else nb='\130'; fi
    printf "$nb" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
if [ "$ev" -gt 0 ] && [ "$b1end" -gt "$ev" ]; then
    pass "damage_setup[events block at $ev]"
    # A byte in the middle of the EVENTS payload (found when it is read).
    cp "$T/full.flog" "$T/dmg.flog"
    flip "$T/dmg.flog" $((ev + 40 + evlen / 2))
    run "$FUNNEL" replay "$T/dmg.flog"
    expect_rc damage_payload_replay_rc 4
    expect_err damage_payload_replay_offset "offset $ev"
    run "$FUNNEL" verify "$T/dmg.flog"
    expect_rc damage_payload_verify_rc 4
    expect_err damage_payload_verify_offset "offset $ev"
    run "$FUNNEL" cat "$T/dmg.flog"
    expect_rc damage_payload_cat_rc 4
    cp "$T/dmg.flog" "$T/dmg0.flog"
    run "$FUNNEL" verify --repair "$T/dmg.flog"
    expect_rc damage_payload_repair_rc 4
    expect_same damage_payload_repair_unchanged "$T/dmg0.flog" "$T/dmg.flog"
    # (append reads no EVENTS payload, docs/FORMAT.md 8.2, so it is not
    # expected to notice this damage.)
    # A byte of the same block's header (found by the scan: later commits exist).
    cp "$T/full.flog" "$T/dmg.flog"
    flip "$T/dmg.flog" $((ev + 12))
    run "$FUNNEL" replay "$T/dmg.flog"
    expect_rc damage_header_replay_rc 4
    expect_err damage_header_replay_offset "offset $ev"
    run "$FUNNEL" verify "$T/dmg.flog"
    expect_rc damage_header_verify_rc 4
    expect_err damage_header_verify_offset "offset $ev"
    cp "$T/dmg.flog" "$T/dmg0.flog"
    run "$FUNNEL" append "$T/dmg.flog" "$T/b4.csv"
    expect_rc damage_header_append_rc 4
    expect_same damage_header_append_unchanged "$T/dmg0.flog" "$T/dmg.flog"
    run "$FUNNEL" verify --repair "$T/dmg.flog"
    expect_rc damage_header_repair_rc 4
    expect_same damage_header_repair_unchanged "$T/dmg0.flog" "$T/dmg.flog"
    # Batch 1's commit damaged: batches 2 and 3 follow, so it is corruption.
    cp "$T/full.flog" "$T/dmg.flog"
    flip "$T/dmg.flog" $((b1end - 20))
    run "$FUNNEL" replay "$T/dmg.flog"
    expect_rc damage_commit_replay_rc 4
    expect_err damage_commit_replay_offset "offset"
    run "$FUNNEL" verify "$T/dmg.flog"
    expect_rc damage_commit_verify_rc 4
    expect_err damage_commit_verify_offset "offset"
    # The last commit complete but damaged is corruption too, not a torn tail.
    cp "$T/full.flog" "$T/dmg.flog"
    flip "$T/dmg.flog" $((S - 20))
    run "$FUNNEL" verify "$T/dmg.flog"
    expect_rc damage_last_commit_verify_rc 4
    expect_err damage_last_commit_verify_offset "offset"
else
    fail damage_setup "no EVENTS block or commit found in batch 1 (ev=$ev, end=$b1end)"
fi

# --- not a funnel log: exit 4 "not a funnel log", nothing written.
cp "$T/b1.csv" "$T/notlog"
for cmd in replay verify cat; do
    run "$FUNNEL" $cmd "$T/notlog"
    expect_rc "not_a_log_$cmd.rc" 4
    expect_err "not_a_log_$cmd.msg" "not a funnel log"
done
run "$FUNNEL" append "$T/notlog" "$T/b4.csv"
expect_rc not_a_log_append.rc 4
expect_err not_a_log_append.msg "not a funnel log"
expect_same not_a_log_append.unchanged "$T/b1.csv" "$T/notlog"
run "$FUNNEL" verify --repair "$T/notlog"
expect_rc not_a_log_repair.rc 4
expect_same not_a_log_repair.unchanged "$T/b1.csv" "$T/notlog"
