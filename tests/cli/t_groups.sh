# t_groups.sh - breakdowns and cohorts (docs/METRICS.md §4.17-§4.18):
# --by, --attribution, --cohort.  Every group is the report block of its
# own entities: the groups of a breakdown add up to the whole report
# (entities, outcomes, reached per stage), and so do the cohorts.  The
# report is byte-identical for --threads 1..8 and for shard + partial +
# merge in several tree shapes (the default as_of, so shards carry
# undecided entities, and an explicit one); attribution does not depend on
# the order of events (the log appended reversed gives the same report).
# Without the options no key changes.  --text shows the 12 largest groups
# and an `other` line.  Bad values are usage errors (exit 2) naming the
# option; partials made with other options are refused (exit 3) and
# nothing is written.
. "$(dirname "$0")/lib.sh"

O="--by segment --by campaign --by source --attribution last --cohort week"

# 60,000 events of 9,000 leads with 60 campaigns, in 3 batches, and a
# hand-made batch with ties, empty values and values after as_of.
# 9,000 entities: more than 2 x 4,096, so that with 2 or more threads the
# summary runs in slices, whose group tallies must add up.
# gen writes amounts on won deals only: every 3rd event without one gets
# an amount of 0 to 3 fraction digits, and one more lead a value past 2^64
# units of 1e-9 (docs/METRICS.md §4.19), so that every group's value
# block holds open, lost and stale sums that must add up to the whole's.
"$FUNNEL" gen --entities 9000 --events 60000 --seed 9 --campaigns 60 | awk -F, -v OFS=, '
    NR > 1 && $7 == "" && NR % 3 == 0 { $7 = (NR % 9973) (NR % 4 == 0 ? "" : NR % 4 == 1 ? ".5" : NR % 4 == 2 ? ".25" : ".125") }
    1
    END { $2 = "Z-big"; $3 = "suspect"; $6 = ""; $7 = "98765432109876.543"; print }' >"$T/all.csv"
hdr=$(head -n 1 "$T/all.csv")
tail -n +2 "$T/all.csv" >"$T/rows"
split -n l/3 "$T/rows" "$T/part."
for p in "$T"/part.a?; do
    { echo "$hdr"; cat "$p"; } >"$p.csv"
    "$FUNNEL" append -q "$T/g.flog" "$p.csv" || fail groups_setup "append $p.csv"
done
cat >"$T/x.csv" <<'CSV'
time,entity,stage,channel,outcome,segment,campaign
2026-02-01T00:00:00Z,X1,suspect,marketing,,zeta,c1
2026-02-01T00:00:00Z,X1,suspect,marketing,,alpha,c2
2026-02-03T00:00:00Z,X1,prospect,sales,,,c3
2026-02-02T00:00:00Z,X2,nurture,marketing,,aaa,
2026-02-04T00:00:00Z,X2,suspect,marketing,,,
CSV
"$FUNNEL" append -q "$T/g.flog" "$T/x.csv" || fail groups_setup "append x.csv"

# --- the groups add up to the whole report.
run "$FUNNEL" replay "$T/g.flog" $O --threads 1
cp "$T/out" "$T/r1.json"
if [ "$RC" -eq 0 ] && python3 - "$T/r1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
dims = [b["groups"] for b in r["breakdowns"]] + [r["cohorts"]["groups"]]
assert [b["name"] for b in r["breakdowns"]] == ["segment", "campaign", "source"]
assert len(r["breakdowns"][1]["groups"]) >= 60
for groups in dims:
    assert sum(g["entities"] for g in groups) == r["entities"]
    for k in ("won", "lost", "stale", "open"):
        assert sum(g["outcomes"][k] for g in groups) == r["outcomes"][k], k
    for s in range(len(r["stages"])):
        assert sum(g["stages"][s]["reached"] for g in groups) == r["stages"][s]["reached"]
        n = sum((g["stages"][s]["time_in_stage"] or {"count": 0})["count"] for g in groups)
        assert n == (r["stages"][s]["time_in_stage"] or {"count": 0})["count"]
    assert sum(g["time_to_win"]["count"] for g in groups) == r["time_to_win"]["count"]
for b in r["breakdowns"]:   # entities descending, then bytes, null last among equals
    keys = [(-g["entities"], g["name"] is None, (g["name"] or "").encode()) for g in b["groups"]]
    assert keys == sorted(keys), b["name"]
seg = {g["name"]: g for g in r["breakdowns"][0]["groups"]}
assert seg["alpha"]["entities"] >= 1     # X1: a tie at its last valued time, alpha < zeta
assert "aaa" not in seg                  # X2's value is on an unmapped stage only
c = r["cohorts"]["groups"]
assert all(c[i + 1]["start"] > c[i]["start"] for i in range(len(c) - 1))
PY
then pass groups_add_up; else fail groups_add_up "exit $RC or a sum differs: $(head -c 300 "$T/err")"; fi

# --- the money sums add up too, exactly: the groups' value.won .. open
# and open_value per stage, read as decimals, sum to the whole report's
# number as written (same digits, same k: docs/METRICS.md §4.19).
if command -v python3 >/dev/null 2>&1; then
    if python3 - "$T/r1.json" <<'PY'
import json, sys
from decimal import Decimal, getcontext
getcontext().prec = 80
r = json.load(open(sys.argv[1]), parse_float=Decimal, parse_int=Decimal)
def total(xs):
    xs = [x for x in xs if x is not None]
    return str(sum(xs[1:], xs[0])) if xs else None
def text(x):
    return None if x is None else str(x)
dims = [b["groups"] for b in r["breakdowns"]] + [r["cohorts"]["groups"]]
v = r["value"]
assert all(v[k] is not None for k in ("won", "lost", "stale", "open")), v
assert len(str(v["open"]).split(".")[1]) == 3 and Decimal(v["open"]) > 2 ** 64 / Decimal(10) ** 9, v
for groups in dims:
    for k in ("won", "lost", "stale", "open"):
        assert total(g["value"][k] for g in groups) == text(v[k]), (k, total(g["value"][k] for g in groups), v[k])
    for k in ("with_value", "without_value"):
        assert sum(g["value"][k] for g in groups) == v[k], k
    for s in range(len(r["stages"])):
        assert total(g["stages"][s]["open_value"] for g in groups) == text(r["stages"][s]["open_value"]), s
PY
    then pass groups_value_sums_add_up; else fail groups_value_sums_add_up "a group money sum differs"; fi
fi

# --- threads
bad=
for n in 2 3 5 8; do
    "$FUNNEL" replay "$T/g.flog" $O --threads "$n" >"$T/rn.json" 2>"$T/rn.err" || bad="$bad $n(exit)"
    cmp -s "$T/rn.json" "$T/r1.json" || bad="$bad $n"
done
if [ -z "$bad" ]; then pass groups_threads_same; else fail groups_threads_same "differs for N =$bad"; fi

# --- event order: the same events appended in reverse order
{ echo "$hdr"; tail -n +2 "$T/all.csv" | sort -r; } >"$T/rev.csv"
"$FUNNEL" append -q "$T/rev.flog" "$T/rev.csv" && "$FUNNEL" append -q "$T/rev.flog" "$T/x.csv"
"$FUNNEL" replay "$T/rev.flog" $O >"$T/rev.json" 2>/dev/null
if grep -q '"breakdowns"' "$T/rev.json" && cmp -s "$T/r1.json" "$T/rev.json"; then
    pass groups_event_order; else fail groups_event_order "the reversed log gives another report"; fi

# --- no option: the keys of a plain replay are unchanged and there are no groups.
"$FUNNEL" replay "$T/g.flog" >"$T/plain.json"
if ! grep -q '"breakdowns"\|"cohorts"' "$T/plain.json" && python3 - "$T/plain.json" "$T/r1.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in a:
    if k not in ("breakdowns", "cohorts"):
        assert a[k] == b[k], k
PY
then pass groups_plain_keys_unchanged; else fail groups_plain_keys_unchanged "plain replay differs"; fi

# --- shard + partial + merge, default as_of and an explicit one
"$FUNNEL" shard -q "$T/g.flog" -o "$T/S" --shards 4 || fail groups_setup "shard"
# The third run adds every other option of the report, so that groups,
# windows, strict stages, thresholds by stage and the trend meet in one
# merge (each splits per group or is carried whole: docs/METRICS.md §4.17).
ALL="--window 20d --skipped ignore --stale-after engaged=10d --trend week"
for asof in "" "--as-of 2026-06-01" "all"; do
    name=groups_merge_default
    [ "$asof" = "--as-of 2026-06-01" ] && name=groups_merge_as_of
    [ "$asof" = all ] && { name=groups_merge_every_option; asof=$ALL; }
    "$FUNNEL" replay "$T/g.flog" $O $asof >"$T/want.json"
    ok=1
    for i in 0 1 2 3; do
        "$FUNNEL" partial "$T/S" --shard "$i/4" -o "$T/p$i.part" $O $asof 2>"$T/err" || ok=0
    done
    "$FUNNEL" merge "$T/p3.part" "$T/p1.part" "$T/p0.part" "$T/p2.part" >"$T/m.json" || ok=0
    "$FUNNEL" merge --partial "$T/p0.part" "$T/p3.part" -o "$T/q1.part" || ok=0
    "$FUNNEL" merge --partial "$T/p2.part" "$T/p1.part" -o "$T/q2.part" || ok=0
    "$FUNNEL" merge "$T/q2.part" "$T/q1.part" >"$T/t.json" || ok=0
    if [ $ok = 1 ] && cmp -s "$T/m.json" "$T/want.json" && cmp -s "$T/t.json" "$T/want.json"; then
        pass "$name"; else fail "$name" "merge differs from replay (or failed): $(head -c 300 "$T/err")"; fi
done

# Damage in the groups section (7) is refused (exit 4), naming the file.
python3 - "$T/p0.part" "$T" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
off = 16 + struct.unpack_from("<I", b, 12)[0] + 4
while off < len(b):
    kind, _, raw, z = struct.unpack_from("<IIQQ", b, off)
    if kind == 7:
        for i in (off, off + 4, off + 28, off + 28 + z // 2, off + 28 + z - 1):
            x = bytearray(b); x[i] ^= 0x10
            open("%s/g7flip%d" % (sys.argv[2], i), "wb").write(x)
        open("%s/g7cut" % sys.argv[2], "wb").write(b[:off + 28 + z // 2])
    off += 28 + z
PY
bad=0 n=0
for f in "$T"/g7*; do
    n=$((n + 1))
    "$FUNNEL" merge "$f" "$T/p1.part" "$T/p2.part" "$T/p3.part" -o "$T/never.json" 2>"$T/err"
    rc=$?
    { [ $rc -eq 4 ] && [ ! -e "$T/never.json" ] && grep -q "$f" "$T/err"; } || bad=$((bad + 1))
done
if [ $n -eq 6 ] && [ $bad -eq 0 ]; then pass groups_section_damage_refused; else
    fail groups_section_damage_refused "$bad of $n damaged files not refused with exit 4"; fi

# Partials of other options are refused, naming the option; nothing is written.
"$FUNNEL" partial "$T/S" --shard 0/4 -o "$T/a.part" --by segment --cohort week
"$FUNNEL" partial "$T/S" --shard 1/4 -o "$T/b.part" --by segment --cohort month
"$FUNNEL" partial "$T/S" --shard 1/4 -o "$T/c.part" --by segment --cohort week --attribution last
"$FUNNEL" partial "$T/S" --shard 1/4 -o "$T/d.part" --by source --cohort week
"$FUNNEL" partial "$T/S" --shard 1/4 -o "$T/e.part"
for x in b:--cohort c:--attribution d:--by e:--by; do
    f=${x%%:*}
    run "$FUNNEL" merge "$T/a.part" "$T/$f.part" -o "$T/never.json"
    if [ "$RC" -eq 3 ] && grep -qF -- "${x#*:}" "$T/err" && [ ! -e "$T/never.json" ]; then
        pass "groups_merge_refuses[$f]"; else
        fail "groups_merge_refuses[$f]" "exit $RC: $(head -c 300 "$T/err")"; fi
done

# --- --text: the 12 largest groups and other; the cohort table.
run "$FUNNEL" replay "$T/g.flog" $O --text
n=$(sed -n '/^by campaign/,/^$/p' "$T/out" | grep -c '^  c[0-9]')
if [ "$RC" -eq 0 ] && [ "$n" -eq 12 ] && grep -q '^  other (' "$T/out" && grep -q '^cohorts by week' "$T/out" &&
    grep -q '^  2026-W01 ' "$T/out"; then pass groups_text; else
    fail groups_text "exit $RC, $n campaign lines: $(head -c 300 "$T/out")"; fi
"$FUNNEL" append -q "$T/f.flog" "$FIX/cases/groups_by_first/events.csv"
run "$FUNNEL" replay "$T/f.flog" --stages lead,demo,won --as-of 2026-01-31 --by source --text
expect_out groups_text_null_group "(none)"

# --- bad values: exit 2, naming the option, nothing written.
bad_value() {
    run "$FUNNEL" replay "$T/f.flog" --stages lead,demo,won -o "$T/never.json" "$@"
    if [ "$RC" -eq 2 ] && [ ! -e "$T/never.json" ]; then pass "groups_bad[$*]"; else
        fail "groups_bad[$*]" "exit $RC: $(head -c 300 "$T/err")"; fi
}
bad_value --by nosuch
expect_err groups_unknown_by_lists_attributes "its attributes are: segment, source"
bad_value --by ""
bad_value --by segment --by SEGMENT
bad_value --attribution middle
bad_value --cohort fortnight
bad_value --cohort Week
bad_value --by a --by b --by c --by d --by e --by f --by g --by h --by i
bad_value --cohort day --as-of 2060-01-01
expect_err groups_too_many_periods "more than 10000"
run "$FUNNEL" report "$T/f.flog" -o "$T/rep" --stages lead,demo,won --cohort year --by segment
expect_rc groups_report_takes_options 0
