# t_threads.sh - `replay --threads N` (docs/ARCHITECTURE.md "Replay on
# every core"): the report is byte-identical for N = 1..8 on generated data
# spread over many blocks and batches (default funnel; a short funnel with
# unmapped stages judged at an --as-of earlier than many events; a torn
# tail; amounts on deals of every status, one past 2^64 units; --window, --skipped ignore and thresholds by stage) and on every
# fixture case; damage gives the same exit code and the
# same message, naming the lowest damaged block, for every N; report takes
# --threads too; bad values are usage errors.
. "$(dirname "$0")/lib.sh"

# same_for_all_n NAME CODE LOG ARGS... : replay with --threads 1..8, each
# exiting with CODE, its stdout and stderr equal to those of --threads 1.
same_for_all_n() {
    name=$1
    want=$2
    shift 2
    "$FUNNEL" replay --threads 1 "$@" >"$T/n1.out" 2>"$T/n1.err"
    rc1=$?
    bad=
    [ "$rc1" -eq "$want" ] || bad=" 1(exit $rc1, expected $want: $(head -c 200 "$T/n1.err"))"
    for n in 2 3 4 5 6 7 8; do
        "$FUNNEL" replay --threads "$n" "$@" >"$T/n.out" 2>"$T/n.err"
        rc=$?
        if [ "$rc" -ne "$rc1" ] || ! cmp -s "$T/n.out" "$T/n1.out" || ! cmp -s "$T/n.err" "$T/n1.err"; then
            bad="$bad $n(exit $rc vs $rc1)"
        fi
    done
    if [ -n "$bad" ]; then fail "$name" "differs from --threads 1 for N =$bad"; else pass "$name"; fi
}

# 300,000 events of 20,000 leads in 4 batches: about 8 EVENTS blocks.
# gen writes amounts on won deals only: every 3rd event without one gets
# an amount of 0 to 3 fraction digits, and one more lead a value past 2^64
# units of 1e-9 (docs/METRICS.md §4.19), so that open, lost and stale
# deals carry values into every thread's sums (value, open_value).
"$FUNNEL" gen --entities 20000 --events 300000 --seed 5 | awk -F, -v OFS=, '
    NR > 1 && $7 == "" && NR % 3 == 0 { $7 = (NR % 9973) (NR % 4 == 0 ? "" : NR % 4 == 1 ? ".5" : NR % 4 == 2 ? ".25" : ".125") }
    1
    END { $2 = "Z-big"; $3 = "suspect"; $6 = ""; $7 = "98765432109876.543"; print }' >"$T/all.csv"
hdr=$(head -n 1 "$T/all.csv")
tail -n +2 "$T/all.csv" >"$T/rows"
split -n l/4 "$T/rows" "$T/part."
for p in "$T"/part.a?; do
    { echo "$hdr"; cat "$p"; } >"$p.csv"
    "$FUNNEL" append -q "$T/g.flog" "$p.csv" || fail threads_setup "append $p.csv"
done
blocks=$("$FUNNEL" verify "$T/g.flog" 2>/dev/null | sed -n 's/.*, \([0-9]*\) blocks.*/\1/p')
if [ "${blocks:-0}" -ge 12 ]; then pass threads_setup; else
    fail threads_setup "expected >= 12 blocks (4 commits, 8+ EVENTS), got '${blocks:-?}'"; fi

same_for_all_n threads_default_funnel 0 "$T/g.flog"
# The run with 1 thread is today's path: it matches the report of a plain replay.
"$FUNNEL" replay "$T/g.flog" >"$T/default.json"
expect_same threads_default_is_the_same "$T/default.json" "$T/n1.out"
same_for_all_n threads_as_of_unmapped 0 "$T/g.flog" --stages suspect,Prospect,engaged,purchasing \
    --as-of 2026-06-01 --stale-after 2w
if grep -q '"after_as_of": [1-9]' "$T/n1.out" && grep -q '"unmapped": [1-9]' "$T/n1.out"; then
    pass threads_as_of_unmapped_setup; else
    fail threads_as_of_unmapped_setup "expected events after as_of and unmapped events"; fi
same_for_all_n threads_text 0 "$T/g.flog" --text
# The amounts are on every status, the big one included (exact sums).
# (open holds the big one: 98,765,4xx,xxx,xxx.xxx, k = 3.)
if grep -q '^  open  *98,765,4[0-9][0-9],[0-9]\{3\},[0-9]\{3\}\.[0-9]\{3\} ' "$T/n1.out" &&
    grep -q '^  lost  *[0-9][0-9,]*\.[0-9]' "$T/n1.out" && grep -q '^  stale  *[0-9][0-9,]*\.[0-9]' "$T/n1.out"; then
    pass threads_values_setup; else fail threads_values_setup "$(grep -A5 '^value' "$T/n1.out")"; fi
# The options of docs/METRICS.md §4.11 and §4.14: a window, strict stages
# and thresholds by stage (the option must be accepted: exit 0).
same_for_all_n threads_rates_options 0 "$T/g.flog" --window 20d --skipped ignore \
    --stale-after 10d --stale-after prospect=3d --stale-after ENGAGED=40d
if grep -q '"window_s": 1728000' "$T/n1.out" && grep -q '"stale_after_s": 259200' "$T/n1.out"; then
    pass threads_rates_options_setup; else
    fail threads_rates_options_setup "the options are not in the report"; fi

# A torn tail: a fifth batch cut short in its commit block.
cp "$T/g.flog" "$T/torn.flog"
head -n 2001 "$T/all.csv" >"$T/more.csv"
"$FUNNEL" append -q "$T/torn.flog" "$T/more.csv"
truncate -s -20 "$T/torn.flog"
same_for_all_n threads_torn_tail 0 "$T/torn.flog"
if grep -q "torn tail" "$T/n1.err"; then pass threads_torn_tail_noted; else
    fail threads_torn_tail_noted "no torn-tail notice: $(head -c 300 "$T/n1.err")"; fi

# Damage in two EVENTS blocks (the 3rd and the 7th of the file): every N
# names the earlier one.  The payload of the 3rd block starts 40 bytes after
# its header; flip a byte well inside each payload.
cp "$T/g.flog" "$T/bad.flog"
size=$(stat -c %s "$T/bad.flog")
for frac in 3 7; do
    off=$((size * frac / 10))
    printf '\377' | dd of="$T/bad.flog" bs=1 seek="$off" conv=notrunc 2>/dev/null
done
same_for_all_n threads_damage_same_message 4 "$T/bad.flog"
if grep -q "offset.*checksum mismatch (block type 2)" "$T/n1.err"; then pass threads_damage_in_events; else
    fail threads_damage_in_events "not an EVENTS block's damage: $(head -c 300 "$T/n1.err")"; fi

# Every fixture case, with its own arguments.
for c in "$FIX"/cases/*/; do
    c=${c%/}
    name=$(basename "$c")
    "$FUNNEL" append -q "$T/$name.flog" "$c/events.csv" 2>/dev/null
    # shellcheck disable=SC2046
    same_for_all_n "threads_case[$name]" 0 "$T/$name.flog" $(cat "$c/args")
done
same_for_all_n threads_tiny 0 "$FIX/logs/tiny.flog"

# report takes --threads and writes the same report.json.
"$FUNNEL" report "$T/g.flog" --threads 3 -o "$T/rep3" >/dev/null 2>&1
"$FUNNEL" report "$T/g.flog" --threads 1 -o "$T/rep1" >/dev/null 2>&1
if [ -f "$T/rep1/report.json" ]; then
    expect_same threads_report "$T/rep1/report.json" "$T/rep3/report.json"
else
    fail threads_report "report wrote no report.json"
fi

# Many tiny blocks decode faster than a fold, so claims race ahead around
# the ring of slots: a slot must be taken when its block is claimed, or a
# block claimed one lap later into the same slot is lost and every thread
# waits for it forever (a hang seen once under load).  40 batches of a few
# events, replayed 25 times with each N of 2..8 under a time limit.
i=0
while [ $i -lt 40 ]; do
    { echo "$hdr"; sed -n "$((i * 3 + 1)),$((i * 3 + 3))p" "$T/rows"; } >"$T/tiny.csv"
    "$FUNNEL" append -q "$T/tiny.flog" "$T/tiny.csv" || fail threads_setup "append tiny batch $i"
    i=$((i + 1))
done
"$FUNNEL" replay --threads 1 "$T/tiny.flog" >"$T/tiny1.json" || fail threads_tiny_blocks "replay --threads 1"
bad= runs=0 k=0
while [ $k -lt 25 ]; do
    for n in 2 3 4 5 6 7 8; do
        runs=$((runs + 1))
        timeout 20 "$FUNNEL" replay --threads "$n" "$T/tiny.flog" >"$T/tinyn.json" 2>"$T/err"
        rc=$?
        if [ $rc -ne 0 ] || ! cmp -s "$T/tinyn.json" "$T/tiny1.json"; then bad="$bad $n(exit $rc)"; fi
    done
    k=$((k + 1))
done
if [ -z "$bad" ]; then pass threads_tiny_blocks_no_hang; else
    fail threads_tiny_blocks_no_hang "of $runs runs, failed or hung (exit 124):$bad"; fi

for v in 0 -1 x 1.5 257 ''; do
    run "$FUNNEL" replay --threads "$v" "$T/g.flog"
    expect_rc "threads_bad_value[$v]" 2
done
run "$FUNNEL" replay --threads=2 "$T/g.flog"
expect_rc threads_equals_form 0
