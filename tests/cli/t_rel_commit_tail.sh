# t_rel_commit_tail.sh - a damaged last commit followed by a torn tail is
# corruption, not a torn tail (docs/FORMAT.md §8.1, BAD).  Bytes after a
# commit mean it was once synced and acknowledged (the next append starts
# only then), so whatever follows it, a flipped bit in it must make
#   verify  exit 4 naming the commit's offset,
#   replay  exit 4,
#   append  exit 4 and leave the log's bytes unchanged (never cut the batch),
#   verify --repair  exit 4, unchanged (every 16th flip).
# The log: 4 batches, then a tail of L bytes: the first L bytes of a fifth
# append, as a crash leaves them.  Lengths: 0, 1, 17, 39, 40, 41, 60, 64,
# 111, 112, 113, around the end of the fifth append's first block (B bytes),
# its blocks without their commit (D) and with all but the commit's last
# byte.  In make test every bit of the commit is flipped once, the lengths
# taking turns; with STRESS=1 every bit at every length 0..B+1 and the ones
# above (two workers).  The same tails without a flip must stay a torn tail
# (verify exit 0 naming it, replay exit 0, append cuts it), so the test
# cannot pass by calling everything corrupt.  COMMIT_TAIL_LENS="0 60 ..."
# picks the lengths.
# Summary: "PASS commit_tail: N flips at M tail lengths, ... failures 0".
. "$(dirname "$0")/lib.sh"
STRESS=${STRESS:-0}
t0=$(date +%s)

for s in 1 2 3 4; do "$FUNNEL" gen --entities 3 --events 6 --seed "$s" >"$T/b$s.csv"; done
"$FUNNEL" gen --entities 3 --seed 9 >"$T/b5.csv"
"$FUNNEL" gen --entities 2 --events 4 --seed 10 >"$T/b6.csv"
ok=1
for s in 1 2 3 4; do "$FUNNEL" append -q "$T/four.flog" "$T/b$s.csv" || ok=0; done
cp "$T/four.flog" "$T/five.flog"
"$FUNNEL" append -q "$T/five.flog" "$T/b5.csv" || ok=0
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 --endian=little "$1" | tr -d ' '; }
E=$(wc -c <"$T/four.flog")            # end of batch 4
C=$((E - 112))                         # its commit block
S5=$(wc -c <"$T/five.flog")
B=$((40 + $(u32 "$T/five.flog" $((E + 8)))))   # the fifth append's first block
D=$((S5 - 112 - E))                    # its blocks, without the commit
tail -c +$((E + 1)) "$T/five.flog" >"$T/tail"
if [ "$ok" = 1 ] && [ "$(u8 "$T/four.flog" $((C + 4)))" = 3 ] && [ "$B" -lt "$D" ]; then
    pass "commit_tail_setup[commit at $C, first block of the next append $B bytes, its blocks $D bytes]"
else
    fail commit_tail_setup "logs could not be built (commit at $C, B=$B, D=$D)"
fi

lens="0 1 17 39 40 41 60 64 111 112 113 $((B - 1)) $B $((B + 1)) $D $((D + 111))"
if [ "$STRESS" = 1 ]; then
    lens="$(seq 0 $((B + 1)) | tr '\n' ' ') $lens"
fi
lens=${COMMIT_TAIL_LENS:-$lens}
# Under AddressSanitizer (make asan) every funnel run costs ~10x: every 4th
# flip of the make test plan still reaches every byte of the commit.
THIN=1
if [ "$STRESS" != 1 ] && grep -q __asan_init "$FUNNEL" 2>/dev/null; then THIN=4; fi
lens=$(for l in $lens; do echo "$l"; done | sort -n | uniq | tr '\n' ' ')
nlens=$(echo $lens | wc -w)

# mklog L OUT : the 4-batch log plus the first L bytes of the fifth append.
mklog() { cp "$T/four.flog" "$2" && head -c "$1" "$T/tail" >>"$2"; }

# The same tails without a flip: what a crash leaves, a torn tail.
bad=0
for l in $lens; do
    mklog "$l" "$T/u.flog"
    "$FUNNEL" verify "$T/u.flog" >"$T/v.out" 2>"$T/v.err"
    vrc=$?
    "$FUNNEL" replay "$T/u.flog" >/dev/null 2>"$T/r.err"
    rrc=$?
    if [ "$vrc" != 0 ] || [ "$rrc" != 0 ] || ! grep -q "4 batches" "$T/v.out" ||
        { [ "$l" -gt 0 ] && ! grep -q "torn tail: $l bytes at offset $E" "$T/v.out"; }; then
        bad=$((bad + 1))
        fail "commit_tail_unflipped[$l]" "verify exit $vrc, replay exit $rrc: $(head -c 300 "$T/v.out" "$T/v.err")"
    elif ! "$FUNNEL" append -q "$T/u.flog" "$T/b6.csv" 2>"$T/a.err" ||
        ! "$FUNNEL" verify "$T/u.flog" 2>&1 | grep -q ": ok: 5 batches"; then
        bad=$((bad + 1))
        fail "commit_tail_unflipped_append[$l]" "$(head -c 300 "$T/a.err")"
    fi
done
[ "$bad" = 0 ] && pass "commit_tail_unflipped_is_a_torn_tail[$nlens lengths]"

# say LINE : print a FAIL line, at most 20 per worker (all are counted).
say() { nsaid=$((nsaid + 1)); [ $nsaid -le 20 ] && echo "$1"; }

# setbyte FILE OFF VALUE
setbyte() { printf "\\$(printf %o "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

od -An -tu1 -v -j "$C" -N 112 "$T/four.flog" | tr -s ' ' '\n' | grep . >"$T/commit.bytes"

# names_commit FILE : its first line names the commit's offset (no exec:
# this runs for every flip).
names_commit() {
    line=""
    read -r line <"$1"
    case $line in *"offset $C: "*) return 0 ;; *) return 1 ;; esac
}

# check L BYTE BIT ORIG : $W is $W.base (the log with tail L) with one bit
# of the commit flipped, at byte BYTE whose value is ORIG; run the commands,
# count what goes wrong, and leave $W equal to $W.base.
check() {
    id="len $1 byte $2 bit $3"
    flips=$((flips + 1))
    "$FUNNEL" verify "$W" >"$W.v" 2>"$W.ve"
    rc=$?
    if [ $rc != 4 ] || ! names_commit "$W.ve"; then
        f_verify=$((f_verify + 1))
        say "FAIL commit_tail_verify[$id]: exit $rc: $(head -c 200 "$W.v" "$W.ve" | tr '\n' ' ')"
    fi
    "$FUNNEL" replay "$W" >/dev/null 2>"$W.re"
    rc=$?
    if [ $rc != 4 ]; then
        f_replay=$((f_replay + 1))
        say "FAIL commit_tail_replay[$id]: exit $rc: $(head -c 200 "$W.re")"
    fi
    "$FUNNEL" append -q "$W" "$T/b6.csv" 2>"$W.ae"
    arc=$?
    rrc=4
    if [ $((flips % 16)) = 1 ]; then
        repairs=$((repairs + 1))
        "$FUNNEL" verify --repair "$W" >/dev/null 2>&1
        rrc=$?
    fi
    setbyte "$W" $((C + $2)) "$4"
    if ! cmp -s "$W" "$W.base"; then
        f_changed=$((f_changed + 1))
        say "FAIL commit_tail_unchanged[$id]: append (exit $arc) or verify --repair (exit $rrc) changed the log: $(head -c 200 "$W.ae")"
        cp "$W.base" "$W"
    fi
    if [ $arc != 4 ]; then
        f_append=$((f_append + 1))
        say "FAIL commit_tail_append[$id]: exit $arc: $(head -c 200 "$W.ae")"
    fi
    if [ $rrc != 4 ]; then
        f_repair=$((f_repair + 1))
        say "FAIL commit_tail_repair[$id]: exit $rrc"
    fi
}

# worker ID LENGTHS... : flip the commit's bits at those tail lengths (in
# make test only the bits whose number, byte * 8 + bit, is the length's
# place in $lens modulo the number of lengths).
worker() {
    wid=$1 W=$T/work.$1
    shift
    flips=0 repairs=0 f_verify=0 f_replay=0 f_append=0 f_repair=0 f_changed=0 nsaid=0
    for l in "$@"; do
        mklog "$l" "$W.base"
        cp "$W.base" "$W"
        place=0
        for x in $lens; do [ "$x" = "$l" ] && break; place=$((place + 1)); done
        off=$C
        while read -r b; do
            bit=0
            while [ $bit -lt 8 ]; do
                n=$(((off - C) * 8 + bit))
                if [ "$STRESS" = 1 ] || { [ $((n % nlens)) = "$place" ] && [ $((n / nlens % THIN)) = 0 ]; }; then
                    setbyte "$W" "$off" $((b ^ (1 << bit)))
                    check "$l" $((off - C)) "$bit" "$b"
                fi
                bit=$((bit + 1))
            done
            off=$((off + 1))
        done <"$T/commit.bytes"
    done
    echo "$flips $repairs $f_verify $f_replay $f_append $f_repair $f_changed" >"$T/w.$wid"
}

# Two workers, the lengths dealt out in turn.
l1="" l2="" i=0
for l in $lens; do
    if [ $((i % 2)) = 0 ]; then l1="$l1 $l"; else l2="$l2 $l"; fi
    i=$((i + 1))
done
worker 1 $l1 &
worker 2 $l2 &
wait
set -- $(cat "$T/w.1" "$T/w.2" | awk '{ for (i = 1; i <= NF; i++) s[i] += $i }
    END { print s[1] + 0, s[2] + 0, s[3] + 0, s[4] + 0, s[5] + 0, s[6] + 0, s[7] + 0 }')
figs="$1 flips of the commit's 896 bits at $nlens tail lengths (${lens% }), $2 of them also with verify --repair; failures: verify $3, replay $4, append $5, repair $6, log changed $7; $(($(date +%s) - t0))s"
# Every bit once (every THIN-th under ASan), or more with STRESS=1.
if [ "$1" -ge $((896 / THIN)) ] && [ "$3$4$5$6$7" = 00000 ]; then
    pass "commit_tail: $figs"
else
    fail commit_tail "$figs"
fi
