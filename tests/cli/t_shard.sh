# t_shard.sh - shard sets (docs/FORMAT.md §13): `funnel shard` splits a log
# so that every shard holds exactly its entities' rows of `funnel cat LOG`,
# in order, for N in 1 2 3 7 16 and with the hostile CSV fixtures in the
# log; every entity of shard i has crc32 mod N = i (checked with Python's
# zlib, independently of funnel); a nightly CSV appended again with
# `append --shards` is a duplicate on every shard; bad input, a wrong N, a
# shard of another set, a misplaced entity and an unknown manifest version
# are refused; an append killed between two shard commits converges when
# rerun.  Fast (a few seconds).
. "$(dirname "$0")/lib.sh"

HOST=$FIX/csv/hostile
have_py=0
command -v python3 >/dev/null 2>&1 && have_py=1

# --- the source log: two generated nightly batches and every small hostile
# file that append accepts (quotes, UTF-8, commas, CR/LF inside fields,
# extra attribute columns), one batch each.
"$FUNNEL" gen --entities 300 --seed 3 >"$T/a.csv"
"$FUNNEL" gen --entities 200 --seed 4 >"$T/b.csv"
"$FUNNEL" gen --entities 150 --seed 5 --start 2027-01-01 >"$T/c.csv"
"$FUNNEL" append -q "$T/L.flog" "$T/a.csv" && "$FUNNEL" append -q "$T/L.flog" "$T/b.csv" || fail shard_setup "append failed"
set --
for f in $(awk '$2 == "accept" { print $1 }' "$HOST/EXPECT"); do
    [ -f "$HOST/$f" ] && set -- "$@" "$HOST/$f"   # the big [gen] ones are not needed here
done
# One batch of them all: fewer batches, fewer syncs, a faster test.
run "$FUNNEL" append -q "$T/L.flog" "$@"
if [ "$RC" -eq 0 ] && [ $# -ge 20 ]; then pass shard_source_log; else
    fail shard_source_log "exit $RC with $# hostile files: $(head -c 300 "$T/err")"; fi
"$FUNNEL" cat "$T/L.flog" >"$T/L.cat"
# The header is one CSV record, but an attribute name holding a line feed
# (q_header_newline.csv) makes it span lines: count them by quote parity.
hl=$(awk '{ q += gsub(/"/, "\""); if (q % 2 == 0) { print NR; exit } }' "$T/L.cat")
head -n "$hl" "$T/L.cat" >"$T/L.head"
tail -n +$((hl + 1)) "$T/L.cat" | sort >"$T/L.sorted"

# split_cat DIR N: every shard's cat rows in $T/S.rows (concatenated), and
# the headers of shards with rows in $T/S.heads.
split_cat() {
    : >"$T/S.rows"
    : >"$T/S.heads"
    for f in "$1"/shard-*-of-*.flog; do
        "$FUNNEL" cat "$f" >"$T/one.cat" || return 1
        if [ "$(wc -l <"$T/one.cat")" -gt "$hl" ]; then
            head -n "$hl" "$T/one.cat" | cmp -s - "$T/L.head" || echo "$f" >>"$T/S.heads"
        fi
        tail -n +$((hl + 1)) "$T/one.cat" >>"$T/S.rows"
    done
}

# placed DIR N: Python parses cat LOG and each shard's cat as CSV and checks
# that shard i's rows are exactly LOG's rows whose entity has zlib.crc32 mod
# N = i, in LOG's order.  Prints "ok" or what differs.
placed() {
    python3 - "$FUNNEL" "$T/L.flog" "$1" "$2" <<'EOF'
import csv, io, subprocess, sys, zlib
funnel, log, d, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def rows(path):
    out = subprocess.run([funnel, "cat", path], check=True, stdout=subprocess.PIPE).stdout
    return list(csv.reader(io.StringIO(out.decode("utf-8"), newline="")))[1:]
want = [[] for _ in range(n)]
for r in rows(log):
    want[zlib.crc32(r[1].encode("utf-8")) % n].append(r)
for i in range(n):
    got = rows("%s/shard-%04d-of-%04d.flog" % (d, i, n))
    bad = [r[1] for r in got if zlib.crc32(r[1].encode("utf-8")) % n != i]
    if bad:
        sys.exit("shard %d holds %r, which hashes elsewhere" % (i, bad[0]))
    if got != want[i]:
        sys.exit("shard %d: %d rows, expected %d (or another order)" % (i, len(got), len(want[i])))
print("ok")
EOF
}

for n in 1 2 3 7 16; do
    run "$FUNNEL" shard "$T/L.flog" -o "$T/D$n" --shards "$n"
    expect_rc "shard_n${n}_exit" 0
    nfiles=$(ls "$T/D$n" 2>/dev/null | grep -c '^shard-[0-9]*-of-[0-9]*\.flog$')
    if [ "$nfiles" -eq "$n" ] && [ -f "$T/D$n/MANIFEST" ]; then pass "shard_n${n}_files"; else
        fail "shard_n${n}_files" "$nfiles shard files; $(ls "$T/D$n" 2>&1 | head -3 | tr '\n' ' ')"; fi
    if split_cat "$T/D$n" && sort "$T/S.rows" | cmp -s - "$T/L.sorted"; then pass "shard_n${n}_same_rows"; else
        fail "shard_n${n}_same_rows" "sorted rows of the shards differ from cat LOG"; fi
    if [ -s "$T/S.rows" ] && [ ! -s "$T/S.heads" ]; then pass "shard_n${n}_same_columns"; else
        fail "shard_n${n}_same_columns" "cat header differs from cat LOG's: $(head -n 2 "$T/S.heads" | tr '\n' ' ')"; fi
    if [ $have_py = 1 ]; then
        p=$(placed "$T/D$n" "$n" 2>&1)
        if [ "$p" = ok ]; then pass "shard_n${n}_placed_in_order"; else fail "shard_n${n}_placed_in_order" "$p"; fi
    fi
    run "$FUNNEL" shard --check "$T/D$n"
    expect_rc "shard_n${n}_check" 0
done
[ $have_py = 1 ] || echo "SKIP shard_placed_in_order: python3 is not installed"

# --- a nightly CSV appended again to the set is a duplicate on every shard.
cp -r "$T/D7" "$T/D7.before" 2>/dev/null
run "$FUNNEL" append --shards 7 "$T/D7" "$T/a.csv"
expect_rc shard_rerun_exit 0
expect_err shard_rerun_skipped "repeat earlier batches on every shard; skipped"
if [ -f "$T/D7/MANIFEST" ] && diff -r "$T/D7" "$T/D7.before" >/dev/null 2>&1; then pass shard_rerun_unchanged; else
    fail shard_rerun_unchanged "the set changed"; fi

# --- a new nightly CSV: the set equals the log with it appended.
run "$FUNNEL" append --shards 7 "$T/D7" "$T/c.csv"
expect_rc shard_append_new_exit 0
cp "$T/L.flog" "$T/L2.flog"
"$FUNNEL" append -q "$T/L2.flog" "$T/c.csv" 2>/dev/null
split_cat "$T/D7"
"$FUNNEL" cat "$T/L2.flog" | tail -n +$((hl + 1)) | sort >"$T/L2.sorted"
if sort "$T/S.rows" | cmp -s - "$T/L2.sorted"; then
    pass shard_append_new_rows; else fail shard_append_new_rows "rows differ from the unsharded log"; fi
run "$FUNNEL" shard --check "$T/D7"
expect_rc shard_append_new_check 0

# --- a new set made by append --shards alone, then the log's batches again.
run "$FUNNEL" append --shards 3 "$T/A3" "$T/a.csv" "$T/b.csv"
expect_rc shard_append_creates_set 0
run "$FUNNEL" shard --check "$T/A3"
expect_rc shard_append_created_check 0

# --- refusals.
run "$FUNNEL" append --shards 5 "$T/D7" "$T/c.csv"
expect_rc shard_wrong_n_exit 2
expect_err shard_wrong_n_msg "the shard set has 7 shards, not 5"
run "$FUNNEL" append --shards 0 "$T/D9" "$T/c.csv"
expect_rc shard_n0_usage 2
run "$FUNNEL" shard "$T/L.flog" -o "$T/D9" --shards 257
expect_rc shard_n257_usage 2
run "$FUNNEL" shard "$T/L.flog" -o "$T/D7" --shards 7
expect_rc shard_nonempty_dir_exit 2
expect_err shard_nonempty_dir_msg "not empty"

cp -r "$T/D3" "$T/D3.bad" 2>/dev/null
run "$FUNNEL" append --shards 3 "$T/D3.bad" "$HOST/amount_bad.csv"
expect_rc shard_bad_input_exit 3
if [ -f "$T/D3/MANIFEST" ] && diff -r "$T/D3" "$T/D3.bad" >/dev/null 2>&1; then pass shard_bad_input_unchanged; else
    fail shard_bad_input_unchanged "a shard or the manifest changed"; fi
run "$FUNNEL" append --shards 3 "$T/new" "$HOST/amount_bad.csv"
if [ "$RC" -eq 3 ] && [ ! -e "$T/new" ]; then pass shard_bad_input_no_dir; else
    fail shard_bad_input_no_dir "exit $RC; $(ls "$T/new" 2>&1 | head -2)"; fi

# A shard of another set (same N, other data) in place of shard 1.
"$FUNNEL" append -q "$T/L3.flog" "$T/b.csv"
"$FUNNEL" shard -q "$T/L3.flog" -o "$T/other" --shards 3 2>/dev/null
cp -r "$T/D3" "$T/mixed" 2>/dev/null
cp "$T/other/shard-0001-of-0003.flog" "$T/mixed/shard-0001-of-0003.flog" 2>/dev/null
run "$FUNNEL" shard --check "$T/mixed"
expect_rc shard_mixed_check_exit 4
expect_err shard_mixed_check_msg "shard-0001-of-0003.flog: shard 1 does not hold the batches the manifest records"
run "$FUNNEL" append --shards 3 "$T/mixed" "$T/c.csv"
expect_rc shard_mixed_append_exit 4

# An entity on the wrong shard: a row appended to shard 1 by hand.
cp -r "$T/D2" "$T/wrong" 2>/dev/null
printf 'time,entity,stage,channel\n2026-02-02,lead-42,suspect,sales\n' >"$T/lead42.csv"
"$FUNNEL" append -q "$T/wrong/shard-0000-of-0002.flog" "$T/lead42.csv" 2>/dev/null  # crc32 mod 2 = 1
run "$FUNNEL" append --shards 2 "$T/wrong" "$T/c.csv"
expect_rc shard_misplaced_append_exit 4
expect_err shard_misplaced_append_msg 'entity "lead-42" belongs to shard 1 of 2, not to this shard 0'
run "$FUNNEL" shard --check "$T/wrong"
expect_rc shard_misplaced_check_exit 4

# An unknown manifest version (checksum fixed) and a damaged manifest.
cp -r "$T/D2" "$T/v2" 2>/dev/null
if [ $have_py = 1 ] && [ -f "$T/v2/MANIFEST" ]; then
    python3 - "$T/v2/MANIFEST" <<'EOF'
import struct, sys, zlib
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[8:12] = struct.pack("<I", 2)
b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
open(p, "wb").write(b)
EOF
    run "$FUNNEL" shard --check "$T/v2"
    expect_rc shard_manifest_v2_exit 4
    expect_err shard_manifest_v2_msg "manifest version 2 is not known to this funnel"
fi
cp -r "$T/D2" "$T/crc" 2>/dev/null
# Flip every bit of byte 30 (writing a fixed byte left it unchanged when
# it was that byte already: the MANIFEST's bytes differ from run to run).
b=$(od -An -tu1 -j30 -N1 "$T/crc/MANIFEST" | tr -d ' ')
printf "\\$(printf %o $((b ^ 255)))" | dd of="$T/crc/MANIFEST" bs=1 seek=30 conv=notrunc 2>/dev/null
run "$FUNNEL" append --shards 2 "$T/crc" "$T/c.csv"
expect_rc shard_manifest_crc_exit 4
expect_err shard_manifest_crc_msg "MANIFEST: manifest checksum mismatch"

# --- killed after the first shard commit (2nd sync), then rerun: the set
# converges to what one uninterrupted append makes, byte for byte.
cp -r "$T/D3" "$T/crash" 2>/dev/null
cp -r "$T/D3" "$T/clean" 2>/dev/null
"$FUNNEL" append -q --shards 3 "$T/clean" "$T/c.csv" 2>/dev/null
FUNNEL_FAULT=sync:2:kill "$FUNNEL" append -q --shards 3 "$T/crash" "$T/c.csv" >/dev/null 2>&1
rc=$?
run "$FUNNEL" shard --check "$T/crash"
if [ $rc -ne 0 ] && [ "$RC" -eq 4 ] && grep -q "interrupted" "$T/err"; then pass shard_crash_detected; else
    fail shard_crash_detected "append exit $rc; check exit $RC: $(head -c 300 "$T/err")"; fi
run "$FUNNEL" append --shards 3 "$T/crash" "$T/b.csv"
expect_rc shard_crash_other_input_refused 3
run "$FUNNEL" append --shards 3 "$T/crash" "$T/c.csv"
expect_rc shard_crash_rerun_exit 0
expect_err shard_crash_rerun_msg "already held this batch from an interrupted run"
same=1
for f in "$T"/clean/*; do
    b=$(basename "$f")
    if [ "$b" = MANIFEST ]; then cmp -s "$f" "$T/crash/$b" || same=0; else
        "$FUNNEL" cat "$f" >"$T/x1" && "$FUNNEL" cat "$T/crash/$b" >"$T/x2" && cmp -s "$T/x1" "$T/x2" || same=0; fi
done
if [ $same = 1 ]; then pass shard_crash_converges; else fail shard_crash_converges "the rerun set differs from a clean append"; fi
run "$FUNNEL" shard --check "$T/crash"
expect_rc shard_crash_check_after 0
