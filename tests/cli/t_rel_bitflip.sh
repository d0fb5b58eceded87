# t_rel_bitflip.sh - docs/RELIABILITY.md, "Bit flips": single-bit flips of a
# small 3-batch log (~1.9 KB, 16 blocks), then random flips of a larger
# 3-batch log.
# Sizes (docs/RELIABILITY.md, "What runs where"):
#   make test  every bit of the file header and of the last commit block
#              (where a damaged commit must not pass for a torn tail), one
#              bit of every byte of the other block headers (the bit
#              position turning with the offset and the block, so every
#              bit of every header field is hit across the 15 headers),
#              one bit of every 4th payload byte and of each payload's
#              first and last byte: ~1,900 flips; 200 random flips
#   STRESS=1   every bit of every byte (15,008 flips); 10,000 random
#              (BITFLIP_BITSTEP=1 asks for every bit at the make test size)
#   make asan  every 6th flip of the make test plan; 50 random
# After each single-bit flip both
# `funnel replay` and `funnel verify` run, and the flip is put in one of:
#   detected      verify exits 4 naming an offset ("offset N: ..."), and
#                 replay either exits 4 naming an offset or gives the report
#                 of the unflipped log (replay does not read every block,
#                 docs/FORMAT.md 8.2: a flip in, say, the entity dictionary
#                 is only seen by verify and cat);
#   torn tail     verify exits 0 and names a torn tail, replay exits 0 with a
#                 torn tail notice on stderr and gives the report of the
#                 batches wholly before the flipped byte (a flip in the last
#                 batch taken for an interrupted append: not silent);
#   silently wrong  an exit 0 without a torn tail notice whose report differs
#                 from the unflipped one, or verify exit 0 without a torn tail
#                 while replay's report differs; must be 0;
#   undetected    both exit 0, no torn tail, the report unchanged: the flip
#                 went unseen (must be 0 too: every byte is under a CRC);
#   crash         an exit code other than 0 and 4 (signals included), or
#                 exit 4 without an offset: must be 0.
# Two workers share the flips (2 cores).  Summary:
#   "PASS bitflip: N flips, detected D, torn tail T, silently wrong 0, ...".
. "$(dirname "$0")/lib.sh"
STRESS=${STRESS:-0}
if [ "$STRESS" = 1 ]; then NRANDOM=10000 EVERYBIT=1; else NRANDOM=200 EVERYBIT=0; fi
[ "${BITFLIP_BITSTEP:-}" = 1 ] && EVERYBIT=1
# Under AddressSanitizer (make asan) every funnel run costs ~10x, and ASan
# needs each code path of a damaged log once, not each bit: every 6th flip
# of the plan (every byte of the file header and each header field of the
# blocks still hit) and 50 random.
THIN=1
if [ "$STRESS" != 1 ] && grep -q __asan_init "$FUNNEL" 2>/dev/null; then THIN=6 NRANDOM=50; fi
t0=$(date +%s)

# build LOG ENTITIES EVENTS SEED : 3 batches; LOG.P0..P3 the prefix reports,
# LOG.ends the end offsets of the batches.
build() {
    : >"$1.ends"
    : >"$T/empty.flog"
    "$FUNNEL" replay "$T/empty.flog" >"$1.P0" || return 1
    for s in 1 2 3; do
        if [ "$3" -gt 0 ]; then
            "$FUNNEL" gen --entities "$2" --events "$3" --seed $(($4 + s)) >"$T/in.csv"
        else
            "$FUNNEL" gen --entities "$2" --seed $(($4 + s)) >"$T/in.csv"
        fi
        "$FUNNEL" append -q "$1" "$T/in.csv" || return 1
        "$FUNNEL" replay "$1" >"$1.P$s" || return 1
        wc -c <"$1" >>"$1.ends"
    done
}

# has_offset FILE : its first line names an offset (no exec: this runs
# ~30,000 times).
has_offset() {
    line=""
    read -r line <"$1"
    case $line in *"offset "[0-9]*) return 0 ;; *) return 1 ;; esac
}

# classify LOG OFF : run replay and verify on $W (LOG with one flip at byte
# OFF) and count the outcome in the worker's counters.
classify() {
    "$FUNNEL" replay "$W" >"$W.r" 2>"$W.re"
    rrc=$?
    "$FUNNEL" verify "$W" >"$W.v" 2>"$W.ve"
    vrc=$?
    # k: batches wholly before the flipped byte.
    k=0
    for e in $ENDS; do [ "$2" -ge "$e" ] && k=$((k + 1)); done
    if { [ $rrc -ne 0 ] && [ $rrc -ne 4 ]; } || { [ $vrc -ne 0 ] && [ $vrc -ne 4 ]; } ||
        { [ $rrc -eq 4 ] && ! has_offset "$W.re"; } || { [ $vrc -eq 4 ] && ! has_offset "$W.ve"; }; then
        c_crash=$((c_crash + 1))
        say "FAIL bitflip[$1 byte $2 bit $3]: crash or no offset: replay exit $rrc, verify exit $vrc: $(head -c 200 "$W.re" "$W.ve" | tr '\n' ' ')"
    elif [ $vrc -eq 4 ]; then
        if [ $rrc -eq 4 ]; then
            c_det=$((c_det + 1))
        elif cmp -s "$W.r" "$1.P3" && [ ! -s "$W.re" ]; then
            c_det=$((c_det + 1)) c_det_ronly=$((c_det_ronly + 1))
        else
            c_silent=$((c_silent + 1))
            say "FAIL bitflip[$1 byte $2 bit $3]: silently wrong: verify exit 4, but replay exit 0 with another report: $(head -c 200 "$W.re")"
        fi
    elif grep -q "torn tail" "$W.v"; then
        if [ $rrc -eq 0 ] && grep -q "torn tail" "$W.re" && cmp -s "$W.r" "$1.P$k"; then
            c_torn=$((c_torn + 1))
        elif [ $rrc -eq 4 ]; then
            c_silent=$((c_silent + 1))
            say "FAIL bitflip[$1 byte $2 bit $3]: verify calls it a torn tail, replay corrupt"
        else
            c_silent=$((c_silent + 1))
            say "FAIL bitflip[$1 byte $2 bit $3]: a torn tail, but replay is not the report of batches 1-$k with a notice: $(head -c 200 "$W.v" "$W.re" | tr '\n' ' ')"
        fi
    elif [ $rrc -eq 0 ] && cmp -s "$W.r" "$1.P3" && [ ! -s "$W.re" ]; then
        c_undet=$((c_undet + 1))
        say "FAIL bitflip[$1 byte $2 bit $3]: undetected: verify exit 0, same report"
    elif [ $rrc -eq 4 ]; then
        c_silent=$((c_silent + 1))
        say "FAIL bitflip[$1 byte $2 bit $3]: replay exit 4 but verify exit 0 without a torn tail"
    else
        c_silent=$((c_silent + 1))
        say "FAIL bitflip[$1 byte $2 bit $3]: silently wrong: exit 0, no notice, another report"
    fi
}

# say LINE : print a FAIL line, at most 20 per worker (all are counted).
say() { nsaid=$((nsaid + 1)); [ $nsaid -le 20 ] && echo "$1"; }

# setbyte FILE OFF VALUE
setbyte() { printf "\\$(printf %o "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# worker LOG ID MODE A B : MODE all: the flips of lines A..B-1 of $T/plan; MODE random:
# B flips at random positions, seeded with A.  Counters go to $T/w.ID.
worker() {
    W=$T/work.$2
    cp "$1" "$W"
    ENDS=$(cat "$1.ends")
    c_det=0 c_det_ronly=0 c_torn=0 c_silent=0 c_undet=0 c_crash=0 flips=0 nsaid=0
    if [ "$3" = all ]; then
        # $T/plan lines A..B-1 (1-based): "OFFSET BIT", in offset order.
        sed -n "$4,$(($5 - 1))p" "$T/plan" >"$W.plan"
        last=-1
        while read -r off bit; do
            if [ "$off" != "$last" ]; then
                [ "$last" -ge 0 ] && setbyte "$W" "$last" "$b"
                b=$(od -An -tu1 -j "$off" -N1 "$1" | tr -d ' ') last=$off
            fi
            setbyte "$W" "$off" $((b ^ (1 << bit)))
            flips=$((flips + 1))
            classify "$1" "$off" "$bit"
        done <"$W.plan"
        [ "$last" -ge 0 ] && setbyte "$W" "$last" "$b"
    else
        seed=$4 size=$(wc -c <"$1") i=0
        while [ $i -lt "$5" ]; do
            seed=$(((seed * 1103515245 + 12345) % 2147483648))
            off=$(((seed / 8) % size)) bit=$((seed % 8))
            b=$(od -An -tu1 -j "$off" -N1 "$1" | tr -d ' ')
            setbyte "$W" "$off" $((b ^ (1 << bit)))
            flips=$((flips + 1))
            classify "$1" "$off" "$bit"
            setbyte "$W" "$off" "$b"
            i=$((i + 1))
        done
    fi
    echo "$flips $c_det $c_det_ronly $c_torn $c_silent $c_undet $c_crash" >"$T/w.$2"
}

ok=1
build "$T/small.flog" 1 3 0 || ok=0
build "$T/large.flog" 3000 0 40 || ok=0
SMALL=$(wc -c <"$T/small.flog") LARGE=$(wc -c <"$T/large.flog")
if [ $ok = 1 ] && [ "$SMALL" -lt 2100 ] && ! cmp -s "$T/small.flog.P2" "$T/small.flog.P3"; then
    pass "bitflip_setup[small log $SMALL bytes ($(tr '\n' ' ' <"$T/small.flog.ends")), large log $LARGE bytes]"
else
    fail bitflip_setup "logs could not be built (ok=$ok, small $SMALL bytes)"
fi

# summarize NAME IDS... : add up the workers' counters, print PASS or FAIL.
summarize() {
    name=$1
    shift
    set -- $(for id in "$@"; do cat "$T/w.$id"; done | awk '{ for (i = 1; i <= NF; i++) s[i] += $i }
        END { print s[1] + 0, s[2] + 0, s[3] + 0, s[4] + 0, s[5] + 0, s[6] + 0, s[7] + 0 }')
    figs="$1 flips, detected $2 (of which $3 by verify only: blocks replay does not read), torn tail with notice $4, silently wrong $5, undetected $6, crashes $7"
    if [ "$5" -eq 0 ] && [ "$6" -eq 0 ] && [ "$7" -eq 0 ] && [ "$1" -gt 0 ]; then pass "$name: $figs"; else fail "$name" "$figs"; fi
}

# plan LOG : the flips of the small log ("OFFSET BIT" lines, in $T/plan),
# chosen from its block layout (docs/FORMAT.md: a 16-byte file header, then
# blocks of a 40-byte header, type at +4, payload length at +8; type 3 is a
# commit).
plan() {
    size=$(wc -c <"$1") pos=16
    : >"$T/blocks"
    while [ "$pos" -lt "$size" ]; do
        len=$(od -An -tu4 -j $((pos + 8)) -N4 --endian=little "$1" | tr -d ' ')
        echo "$pos $(od -An -tu1 -j $((pos + 4)) -N1 "$1" | tr -d ' ') $len" >>"$T/blocks"
        pos=$((pos + 40 + len))
    done
    awk -v size="$size" -v every="$EVERYBIT" '
    { start[NR] = $1; type[NR] = $2; len[NR] = $3; if ($2 == 3) lastc = NR; n = NR }
    END {
        for (i = 0; i < 16; i++) all(i)
        for (k = 1; k <= n; k++) {
            s = start[k]; e = s + 40 + len[k]
            for (off = s; off < e; off++) {
                r = off - s - 40
                if (every || k == lastc) all(off)
                else if (r < 0) print off, (off + k) % 8
                else if (r % 4 == 0 || off == e - 1) print off, (int(r / 4) + k) % 8
            }
        }
    }
    function all(o,   b) { for (b = 0; b < 8; b++) print o, b }' "$T/blocks" |
        awk -v thin="$THIN" 'NR % thin == 1 || thin == 1' >"$T/plan"
}

# The planned flips of the small log, split between two workers.
plan "$T/small.flog"
nplan=$(wc -l <"$T/plan")
half=$((nplan / 2 + 1))
worker "$T/small.flog" s1 all 1 $half &
worker "$T/small.flog" s2 all $half $((nplan + 1)) &
wait
summarize bitflip_small_log s1 s2
t1=$(date +%s)

# Random flips of the large log.
worker "$T/large.flog" r1 random 7 $((NRANDOM / 2)) &
worker "$T/large.flog" r2 random 11 $((NRANDOM - NRANDOM / 2)) &
wait
summarize bitflip_random r1 r2
t2=$(date +%s)

set -- $(cat "$T/w.s1" "$T/w.s2" "$T/w.r1" "$T/w.r2" | awk '{ for (i = 1; i <= NF; i++) s[i] += $i }
    END { print s[1] + 0, s[2] + 0, s[4] + 0, s[5] + 0, s[6] + 0, s[7] + 0 }')
if [ "$EVERYBIT" = 1 ]; then what="every bit of"; else what="the planned bits (header, last commit, sampled payloads) of"; fi
figs="$1 flips ($nplan: $what a $SMALL-byte log, in $((t1 - t0))s; $NRANDOM random in a $LARGE-byte log in $((t2 - t1))s), detected $2, torn tail with notice $3, silently wrong $4, undetected $5, crashes $6"
if [ "$4" -eq 0 ] && [ "$5" -eq 0 ] && [ "$6" -eq 0 ]; then pass "bitflip: $figs"; else fail bitflip "$figs"; fi
