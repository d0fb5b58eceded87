# t_rel_truncate.sh - docs/RELIABILITY.md, "Truncation sweep": a log of 4
# batches cut at every byte offset of its last TWO batches (each of several
# DICT and EVENTS blocks: two CSV files with different columns).  At every
# offset:
#   - replay exits 0 and equals, byte for byte, the report of the batches
#     wholly before the cut, with a torn tail notice on stderr when bytes
#     were cut off mid-batch;
#   - verify exits 0 and names the torn tail ("torn tail: N bytes at offset
#     E"), or names none when the cut lands exactly on a batch end;
#   - the next append cuts the tail and succeeds, giving exactly the bytes
#     of the earlier batches plus the new batch appended to a clean log.
# Sizes (docs/RELIABILITY.md, "What runs where"): STRESS=1 cuts at every
# offset and appends after every cut.  make test cuts at every offset of
# the last block of each batch (its commit: where a cut must stay a torn
# tail), every offset within 2 bytes of a block boundary, and every 11th
# offset in between (a cut inside a payload is a cut inside a payload);
# it appends after those within 2 bytes of a boundary and every 22nd.
# Summary: "PASS truncate: N offsets, ... 0 mismatches".
. "$(dirname "$0")/lib.sh"
STRESS=${STRESS:-0}
# Under AddressSanitizer (make asan) every funnel run costs ~10x, and ASan
# needs each code path of a cut log once, not each offset: the offsets
# near a block boundary still all, a third of those inside a commit block,
# every 33rd in between, an append after every 66th (as t_rel_bitflip).
THIN=1
if [ "$STRESS" != 1 ] && grep -q __asan_init "$FUNNEL" 2>/dev/null; then THIN=3; fi
t0=$(date +%s)

"$FUNNEL" gen --entities 30 --seed 11 >"$T/b1.csv"
"$FUNNEL" gen --entities 20 --seed 12 >"$T/b2.csv"
"$FUNNEL" gen --entities 8 --seed 13 >"$T/b3a.csv"
"$FUNNEL" gen --entities 6 --seed 14 |
    awk 'NR == 1 { print $0 ",region"; next } { print $0 ",r" (NR % 3) }' >"$T/b3b.csv"
"$FUNNEL" gen --entities 8 --seed 15 | cut -d, -f1-9 >"$T/b4a.csv"
"$FUNNEL" gen --entities 6 --seed 16 |
    awk 'NR == 1 { print $0 ",tier"; next } { print $0 ",t" (NR % 4) }' >"$T/b4b.csv"
"$FUNNEL" gen --entities 5 --seed 17 >"$T/new.csv"

ok=1
"$FUNNEL" append -q "$T/l2.flog" "$T/b1.csv" && "$FUNNEL" append -q "$T/l2.flog" "$T/b2.csv" || ok=0
cp "$T/l2.flog" "$T/l3.flog"
"$FUNNEL" append -q "$T/l3.flog" "$T/b3a.csv" "$T/b3b.csv" || ok=0
cp "$T/l3.flog" "$T/full.flog"
"$FUNNEL" append -q "$T/full.flog" "$T/b4a.csv" "$T/b4b.csv" || ok=0
for n in 2 3; do
    "$FUNNEL" replay "$T/l$n.flog" >"$T/P$n.json" || ok=0
    cp "$T/l$n.flog" "$T/after$n.flog"
    "$FUNNEL" append -q "$T/after$n.flog" "$T/new.csv" || ok=0
done
"$FUNNEL" replay "$T/full.flog" >"$T/P4.json" || ok=0
E2=$(wc -c <"$T/l2.flog") E3=$(wc -c <"$T/l3.flog") S=$(wc -c <"$T/full.flog")

# Block boundaries from E2 on (40-byte headers, u32 payload_len at +8).
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 --endian=little "$1" | tr -d ' '; }
bounds="" nblocks=0 pos=$E2
while [ "$pos" -lt "$S" ]; do
    bounds="$bounds $pos"
    nblocks=$((nblocks + 1))
    pos=$((pos + 40 + $(u32 "$T/full.flog" $((pos + 8)))))
done
if [ "$ok" = 1 ] && [ "$pos" = "$S" ] && [ "$nblocks" -ge 6 ] && ! cmp -s "$T/P2.json" "$T/P3.json" &&
    ! cmp -s "$T/P3.json" "$T/P4.json"; then
    pass "truncate_setup[batches 3-4 are bytes $E2..$S, $nblocks blocks]"
else
    fail truncate_setup "setup failed (ok=$ok, E2=$E2 E3=$E3 S=$S, $nblocks blocks, walk ended at $pos)"
fi
near=""
for b in $bounds $E3 $S; do near="$near $((b - 2)) $((b - 1)) $b $((b + 1)) $((b + 2))"; done
near=" $near "
# The last block of batch 3 and of batch 4 (commits): [C3, E3) and [C4, S).
C3=$E2 C4=$E2
for b in $bounds; do
    [ "$b" -lt "$E3" ] && C3=$b
    C4=$b
done

n=0 nappend=0 mism=0 f_replay=0 f_notice=0 f_verify=0 f_append=0
m() { mism=$((mism + 1)); eval "$1=\$(($1 + 1))"; fail "truncate[$off]" "$2"; }
off=$E2
while [ "$off" -le "$S" ]; do
    isnear=0
    case $near in *" $off "*) isnear=1 ;; esac
    if [ "$STRESS" != 1 ] && [ $isnear = 0 ] && [ $(((off - E2) % (11 * THIN))) -ne 0 ] &&
        { [ "$off" -lt "$C3" ] || { [ "$off" -ge "$E3" ] && [ "$off" -lt "$C4" ]; }; }; then
        off=$((off + 1))
        continue
    fi
    if [ $THIN != 1 ] && [ $isnear = 0 ] && [ $(((off - E2) % THIN)) -ne 0 ]; then
        off=$((off + 1))
        continue
    fi
    n=$((n + 1))
    if [ "$off" -lt "$E3" ]; then k=2 end=$E2; elif [ "$off" -lt "$S" ]; then k=3 end=$E3; else k=4 end=$S; fi
    tail=$((off - end))
    head -c "$off" "$T/full.flog" >"$T/cut.flog"
    "$FUNNEL" replay "$T/cut.flog" >"$T/r.json" 2>"$T/r.err"
    rc=$?
    if [ $rc -ne 0 ] || ! cmp -s "$T/r.json" "$T/P$k.json"; then
        m f_replay "replay exit $rc, or its report is not the one of batches 1-$k: $(head -c 200 "$T/r.err")"
    elif [ $tail -gt 0 ] && ! grep -q "torn tail" "$T/r.err"; then
        m f_notice "replay gave no torn tail notice"
    elif [ $tail -eq 0 ] && [ -s "$T/r.err" ]; then
        m f_notice "replay said something of a log without a tail: $(head -c 200 "$T/r.err")"
    fi
    "$FUNNEL" verify "$T/cut.flog" >"$T/v.out" 2>"$T/v.err"
    rc=$?
    if [ $rc -ne 0 ]; then
        m f_verify "verify exit $rc: $(head -c 200 "$T/v.err")"
    elif [ $tail -gt 0 ] && ! grep -q "torn tail: $tail bytes at offset $end " "$T/v.out"; then
        m f_verify "verify does not name the torn tail of $tail bytes at $end: $(head -c 300 "$T/v.out")"
    elif [ $tail -eq 0 ] && { grep -q torn "$T/v.out" || ! grep -q ": ok: $k batches" "$T/v.out"; }; then
        m f_verify "a cut at the end of batch $k: $(head -c 300 "$T/v.out")"
    fi
    if [ "$STRESS" = 1 ] || [ $isnear = 1 ] || [ $(((off - E2) % (22 * THIN))) -eq 0 ]; then
        [ $k = 4 ] && k=3   # (after the complete log: not compared)
        if [ "$off" -lt "$S" ]; then
            nappend=$((nappend + 1))
            "$FUNNEL" append -q "$T/cut.flog" "$T/new.csv" >"$T/a.out" 2>"$T/a.err"
            rc=$?
            if [ $rc -ne 0 ] || ! cmp -s "$T/cut.flog" "$T/after$k.flog"; then
                m f_append "append exit $rc, or the log is not batches 1-$k plus the new batch: $(head -c 200 "$T/a.err")"
            fi
        fi
    fi
    off=$((off + 1))
done
# (after*.flog are clean logs: verify says so.)
for k in 2 3; do
    "$FUNNEL" verify "$T/after$k.flog" >"$T/v.out" 2>&1 && ! grep -q torn "$T/v.out" &&
        grep -q ": ok: $((k + 1)) batches" "$T/v.out" || { mism=$((mism + 1)); fail "truncate_after$k" "$(head -c 300 "$T/v.out")"; }
done

secs=$(($(date +%s) - t0))
figs="$n offsets of $((S - E2 + 1)) ($E2..$S, the last two batches, $nblocks blocks), next append tried at $nappend, mismatches $mism (replay $f_replay, notice $f_notice, verify $f_verify, append $f_append), ${secs}s"
if [ "$mism" -eq 0 ]; then pass "truncate: $figs"; else fail truncate "$figs"; fi
