# t_entities.sh - `funnel entities` (docs/METRICS.md §4.21): the golden
# list of a hand-made log (every status, a reopened deal, skipped stages,
# ids with a comma and quotes, empty attributes, an unmapped-only and an
# after-as_of-only entity, which are not listed); --where, --sort, --limit,
# --status, --stage; -o written atomically; and the agreement with replay on
# generated data: rows by status and stage, and by --by group, equal the
# report's counts for 1 and 2 threads, --window, --as-of and --attribution
# last, and the list is byte-identical for any --threads.  Bad options exit
# 2 naming the option, a damaged log exits 4.
. "$(dirname "$0")/lib.sh"

L=$FIX/lists
O="--stages lead,qualified,proposal,won --as-of 2026-04-01"
"$FUNNEL" append -q "$T/l.flog" "$L/deals.csv" || fail entities_setup "append deals.csv"

run "$FUNNEL" entities "$T/l.flog" $O
expect_rc entities_golden_rc 0
expect_same entities_golden "$T/out" "$L/entities.golden.csv"

# value(e) (docs/METRICS.md §4.19): hotel's two amounts at one time tie to
# the one with more fraction digits, and its later amount at an unmapped
# stage does not count; --sort value puts the largest first (5000, 1200,
# 250.10), then those without a value by entity bytes.
run "$FUNNEL" entities "$T/l.flog" $O --sort value
if [ "$(tail -n +2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = '"beta acme hotel delta echo "say ""hi""" ' ] &&
    grep -q '^hotel,.*,250\.10,hal,EMEA$' "$T/out"; then
    pass entities_sort_value; else fail entities_sort_value "$(cat "$T/out")"; fi
run "$FUNNEL" entities "$T/l.flog" $O --status stale
if [ "$(tail -n +2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = '"say ""hi""" echo hotel ' ]; then
    pass entities_status; else fail entities_status "$(cat "$T/out")"; fi
run "$FUNNEL" entities "$T/l.flog" $O --stage qualified --sort entity
if [ "$(tail -n +2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = 'delta echo "say ""hi""" ' ]; then
    pass entities_stage_sort_entity; else fail entities_stage_sort_entity "$(cat "$T/out")"; fi
run "$FUNNEL" entities "$T/l.flog" $O --sort last --limit 2
if [ "$(tail -n +2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = '"say ""hi""" "beta ' ]; then
    pass entities_sort_last_limit; else fail entities_sort_last_limit "$(cat "$T/out")"; fi
# --where: first-touch attribution (acme was EMEA first; its last event has
# no region, so with --attribution last it is EMEA too), NAME= selects no value,
# several must all hold, NAME matches case-insensitively.
run "$FUNNEL" entities "$T/l.flog" $O --where REGION=EMEA --where owner=ann
if [ "$(tail -n +2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = 'acme ' ]; then
    pass entities_where_all; else fail entities_where_all "$(cat "$T/out")"; fi
run "$FUNNEL" entities "$T/l.flog" $O --where region=
if [ "$(tail -n +2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = 'delta ' ]; then
    pass entities_where_empty; else fail entities_where_empty "$(cat "$T/out")"; fi
run "$FUNNEL" entities "$T/l.flog" $O --attribution last --where region=EMEA
if [ "$(tail -n +2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = 'echo hotel acme ' ]; then
    pass entities_where_last; else fail entities_where_last "$(cat "$T/out")"; fi

# -o: complete or untouched.
echo old >"$T/list.csv"
run "$FUNNEL" entities "$T/l.flog" $O -o "$T/list.csv"
expect_same entities_output "$T/list.csv" "$L/entities.golden.csv"

# (cut splits "beta, inc" at its comma: the golden checks the quoting.)
# Usage errors name the option; an unknown attribute or stage is a usage error.
for bad in "--status closed" "--sort size" "--limit 0" "--where region" "--where =x" \
           "--stage nosuch" "--where nosuch=1" "--threads 0" "--by nosuch"; do
    run "$FUNNEL" entities "$T/l.flog" $O $bad
    expect_rc "entities_bad_${bad%% *}_$(echo "${bad#* }" | tr -c 'a-z0-9' _)" 2
done
run "$FUNNEL" entities "$T/l.flog" $O --sort size
expect_err entities_bad_names_option "--sort"
run "$FUNNEL" entities --help
expect_rc entities_help 0
expect_out entities_help_text "usage: funnel entities LOG"
run "$FUNNEL" help entities
expect_out entities_in_help "--where NAME=VALUE"

# A damaged log: exit 4, and -o keeps the old file.
cp "$T/l.flog" "$T/bad.flog"
size=$(wc -c <"$T/bad.flog")
printf 'XXXX' | dd of="$T/bad.flog" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
echo old >"$T/keep.csv"
run "$FUNNEL" entities "$T/bad.flog" $O -o "$T/keep.csv"
expect_rc entities_corrupt 4
if [ "$(cat "$T/keep.csv")" = old ]; then pass entities_corrupt_keeps_output; else
    fail entities_corrupt_keeps_output "the old -o file was changed"; fi

# Agreement with replay on generated data (the promise of RELIABILITY.md).
"$FUNNEL" gen --entities 6000 --events 40000 --seed 4 --campaigns 12 -o "$T/g.csv"
"$FUNNEL" append -q "$T/g.flog" "$T/g.csv" || fail entities_setup "append g.csv"
agree() {   # NAME OPTIONS...
    name=$1; shift
    "$FUNNEL" replay "$T/g.flog" "$@" -o "$T/a.json" &&
        "$FUNNEL" entities "$T/g.flog" "$@" -o "$T/a.csv" || { fail "$name" "a command failed"; return; }
    if why=$(python3 - "$T/a.json" "$T/a.csv" "$@" <<'PY'
import csv, json, sys, collections
rep = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
opts = sys.argv[3:]
def counts(rows):
    c = collections.Counter()
    for r in rows:
        c[(r["stage"], r["status"])] += 1
    return c
def check(block, rows, where):
    c = counts(rows)
    if block["entities"] != len(rows):
        return "%s: %d entities, %d rows" % (where, block["entities"], len(rows))
    for k in ("won", "lost", "stale", "open"):
        n = sum(v for (s, st), v in c.items() if st == k)
        if block["outcomes"][k] != n:
            return "%s: %s %d, rows %d" % (where, k, block["outcomes"][k], n)
    for s in block["stages"]:
        for k in ("lost", "stale", "open"):
            if s[k] != c[(s["name"], k)]:
                return "%s: stage %s %s %d, rows %d" % (where, s["name"], k, s[k], c[(s["name"], k)])
    return None
why = check(rep, rows, "report")
for b in rep.get("breakdowns", []):
    for g in b["groups"]:
        v = g["name"] if g["name"] is not None else ""
        why = why or check(g, [r for r in rows if r[b["name"]] == v], "%s=%s" % (b["name"], v))
if why:
    print(why); sys.exit(1)
PY
); then pass "$name"; else fail "$name" "$why"; fi
}
agree entities_agree_t1 --threads 1
agree entities_agree_t2 --threads 2
agree entities_agree_by --threads 2 --by campaign --by segment
agree entities_agree_by_last --threads 2 --by source --attribution last
agree entities_agree_window --threads 2 --window 30d --skipped ignore
agree entities_agree_as_of --threads 1 --as-of 2026-06-30 --stale-after 14d --stale-after negotiating=60d
"$FUNNEL" entities "$T/g.flog" --threads 1 -o "$T/t1.csv"
"$FUNNEL" entities "$T/g.flog" --threads 2 -o "$T/t2.csv"
"$FUNNEL" entities "$T/g.flog" --threads 3 -o "$T/t3.csv"
expect_same entities_threads_2 "$T/t1.csv" "$T/t2.csv"
expect_same entities_threads_3 "$T/t1.csv" "$T/t3.csv"
