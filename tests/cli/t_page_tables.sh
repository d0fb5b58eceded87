# t_page_tables.sh - the page's tables beyond the stages (docs/CHARTS.md,
# "The page"; docs/METRICS.md §4.6, §4.12, §4.15-§4.18): both win rates
# with interval and sample size; this period against the last; the last
# 12 trend periods; each breakdown's 12 largest groups and `other`, in the
# order and with the sums of `--text` (report.txt of the same run) and the
# rates of report.json; the cohorts with `complete`.  Group values that
# are markup, quotes, &, non-ASCII, control bytes and a right-to-left
# override show as text, each in <bdi>, and the page is valid UTF-8 with
# no script (bytes that are not UTF-8 cannot enter through a CSV, so
# tests/unit/test_page.c puts them in a report by hand).  Without the
# options only the activity table is added.
. "$(dirname "$0")/lib.sh"

O="--by campaign --by segment --cohort month --trend week --text"

# 1,500 leads with 40 campaigns (so `other` sums 28), and a batch of leads
# whose segment is hostile.
"$FUNNEL" gen --entities 1500 --events 12000 --seed 5 --campaigns 40 -o "$T/g.csv"
"$FUNNEL" append -q "$T/p.flog" "$T/g.csv" || fail page_setup "append g.csv"
python3 - "$T/h.csv" <<'PY'
import sys
vals = [b"<script>alert(1)</script>", b'"quoted" & \'single\'', "Z\u00fcrich \u6771\u4eac".encode(),
        b"tab\there\nnewline", b"\xe2\x80\xaeevil", b"<img src=x onerror=alert(2)>"]
with open(sys.argv[1], "wb") as f:
    f.write(b"time,entity,stage,channel,outcome,segment,campaign,amount\n")
    for i, v in enumerate(vals):
        q = b'"' + v.replace(b'"', b'""') + b'"'
        f.write(b"2026-06-%02dT10:00:00Z,HOSTILE%d,suspect,marketing,,%s,c000001,\n" % (i + 1, i, q))
        f.write(b"2026-06-%02dT11:00:00Z,HOSTILE%d,prospect,sales,%s,,,\n" % (i + 1, i, b"lost" if i % 2 else b""))
    # Open deals whose ids are hostile, 60 days in their stage and touched
    # since, so they head the stuck-deals table; their amounts, raised late
    # in December, move the open value the cards compare.
    for i, v in enumerate([b"<script>alert(3)</script>", b'"id" & \'q\'', b"\xe2\x80\xaeevil-id",
                           b"<img src=x onerror=alert(4)>"]):
        q = b'"' + v.replace(b'"', b'""') + b'"'
        f.write(b"2026-11-0%dT10:00:00Z,%s,negotiating,sales,,,c000001,1000.5\n" % (i + 1, q))
        f.write(b"2026-12-2%dT10:00:00Z,%s,negotiating,sales,,,c000001,2500\n" % (i + 6, q))
PY
"$FUNNEL" append -q "$T/p.flog" "$T/h.csv" || fail page_setup "append h.csv"

run "$FUNNEL" report "$T/p.flog" -o "$T/site" $O
# The rows the stuck-deals table must show, from `funnel entities`; and
# every event, for the log's time range and latest event per channel.
"$FUNNEL" entities "$T/p.flog" $(echo "$O" | sed 's/--text//') --status open --limit 20 -o "$T/stuck.csv"
"$FUNNEL" cat "$T/p.flog" >"$T/cat.csv"
export STUCK="$T/stuck.csv" EVENTS="$T/cat.csv"
[ -n "$(command -v gnuplot)" ] && expect_rc page_report 0
[ -z "$(command -v gnuplot)" ] && expect_rc page_report 5

# check PAGE JSON TXT MODE : the python checks below, one PASS/FAIL a rule;
# a check that cannot run (no page, no key) is a FAIL too.
check() {
    check_py "$@" 2>"$T/py.err" || fail "page_$4_run" "$(tail -n 1 "$T/py.err")"
}
check_py() {
    python3 - "$@" <<'PY'
import html.parser, json, math, re, sys
page, rjson, rtxt, mode = sys.argv[1:5]
raw = open(page, "rb").read()
def ok(name, cond, why=""):
    name = name if mode == "full" else mode + "_" + name.replace(mode + "_", "")
    print(("PASS page_%s" % name) if cond else ("FAIL page_%s: %s" % (name, why)))
try:
    doc = raw.decode("utf-8")
    ok("utf8", True)
except UnicodeDecodeError as e:
    ok("utf8", False, str(e)); sys.exit(0)
r = json.load(open(rjson))
txt = open(rtxt, encoding="utf-8", errors="replace").read().split("\n") if rtxt != "-" else []

class P(html.parser.HTMLParser):
    """Tables by id: rows of cell texts; cards: (num, lbl)."""
    def __init__(s):
        super().__init__(); s.tables = {}; s.cur = None; s.row = None; s.cell = None
        s.cards = []; s.span = None; s.scripts = 0; s.bdi = 0; s.loose = []; s.depth = 0
    def handle_starttag(s, t, a):
        a = dict(a)
        if t == "script": s.scripts += 1
        if t == "bdi": s.bdi += 1
        if t == "table": s.cur = s.tables.setdefault(a.get("id"), [])
        if t == "tr" and s.cur is not None: s.row = []
        if t in ("td", "th") and s.row is not None: s.cell = ""
        if t == "div" and "fig" in (a.get("class") or "").split(): s.cards.append(["", "", "", a.get("id")])
        if t == "span" and s.cards:
            if s.span == "chg": s.depth += 1
            else: s.span = a.get("class"); s.depth = 0
    def handle_endtag(s, t):
        if t == "bdi": s.bdi -= 1
        if t in ("td", "th") and s.cell is not None: s.row.append(s.cell); s.cell = None
        if t == "tr" and s.row is not None: s.cur.append(s.row); s.row = None
        if t == "table": s.cur = None
        if t == "span":
            if s.span == "chg" and s.depth: s.depth -= 1
            else: s.span = None
    def handle_data(s, d):
        if s.cell is not None:
            s.cell += d
            if s.cur is not None and s.row is not None and not s.bdi and ("\u202e" in d or "<" in d):
                s.loose.append(d)
        if s.span in ("num", "lbl", "chg"): s.cards[-1][("num", "lbl", "chg").index(s.span)] += d
p = P(); p.feed(doc)
ok("no_script", p.scripts == 0 and "<script" not in doc.lower(), "%d script elements" % p.scripts)
def clean(n):
    if n is None: return "(none)"
    b = n.encode("utf-8", "surrogateescape")
    s = b.decode("utf-8", "replace").replace("\ufffd", "?")
    return "".join(" " if ord(ch) < 0x20 or ord(ch) == 0x7f else ch for ch in s)
num = lambda c: int(c.replace(",", ""))
pct = lambda v: "n/a" if v is None else "%.1f%%" % (100 * v)
ci = lambda c: "n/a" if c is None else "[%.1f%%, %.1f%%]" % (100 * c[0], 100 * c[1])
Z = 1.959963984540054
def wilson(k, n):
    if n == 0: return None
    ph = k / n; den = 1 + Z * Z / n; c = (ph + Z * Z / (2 * n)) / den
    h = Z / den * math.sqrt(ph * (1 - ph) / n + Z * Z / (4 * n * n))
    return [0.0 if k == 0 else max(0.0, c - h), 1.0 if k == n else min(1.0, c + h)]

# --- the two win rates: rate, definition, sample size, interval (§4.6, §4.12).
o = r["outcomes"]
want = {"win rate": (r["win_rate"], r["win_rate_ci"], "won / (won + lost + stale)", o["won"] + o["lost"] + o["stale"], "decided"),
        "closed win rate": (r["win_rate_closed"], r["win_rate_closed_ci"], "won / (won + lost)", o["won"] + o["lost"], "closed")}
for name, (v, c, d, n, of) in want.items():
    card = [k for k in p.cards if k[1].startswith(name + ":")]
    lbl = card[0][1] if card else ""
    good = (card and card[0][0] == pct(v) and d in lbl and "%s won of %s %s" % (format(o["won"], ","), format(n, ","), of) in lbl
            and "95% interval " + ci(c) in lbl)
    ok("card[%s]" % name, good, "card %r; want %s %s n=%d" % (card, pct(v), ci(c), n))

# --- activity: the same numbers as --text (this, last, change).
act = p.tables.get("activity", [])[1:]
names = ["entered"] + ["reached " + s["name"] for s in r["stages"][1:]] + ["won", "lost", "went stale"]
ok("activity_labels", [row[0] for row in act] == names, [row[0] for row in act])
cur, prev = r["activity"]["current"], r["activity"]["previous"]
jv = lambda a: [a["entered"]] + a["entered_stage"][1:] + [a["won"], a["lost"], a["went_stale"]]
want = [[a, b, ("%+d" % (a - b)) if a != b else "0"] for a, b in zip(jv(cur), jv(prev))]
got = [[num(x[1]), num(x[2]), x[3]] for x in act]
ok("activity_json", got == want, "%s != %s" % (got, want))
if txt:
    i = next(k for k, l in enumerate(txt) if l.startswith("activity:")) + 2
    tv = [l.split()[-3:] for l in txt[i:i + len(names)]]
    ok("activity_text", [[str(a), str(b), c] for a, b, c in got] == tv, "%s != %s" % (got, tv))
# --- cards: each with this period against the last from activity (§4.16).
import csv, datetime, os
per_s = r["activity"]["period_s"]
plab = next("%d%s" % (per_s // u, c) for u, c in ((604800, "w"), (86400, "d"), (3600, "h"), (60, "m"), (1, "s")) if per_s % u == 0)
def change(a, b, what):
    d = a - b
    return "%s %s %s: %s this %s, %s the %s before" % ("\u25b2" if d > 0 else "\u25bc" if d < 0 else "=",
            ("%+d" % d) if d else "0", what, format(a, ","), plab, format(b, ","), plab)
def rchange(wa, na, wb, nb, of):
    if na == 0 or nb == 0: return "no change"
    ra, rb = wa / na, wb / nb; dd = "%+.1f" % (100 * (ra - rb))
    same = dd in ("+0.0", "-0.0")
    return "%s %s points this %s %s of %s %s, the %s before %s of %s" % ("=" if same else "\u25b2" if ra > rb else "\u25bc",
            "0.0" if same else dd, plab, pct(ra), format(na, ","), of, plab, pct(rb), format(nb, ","))
def days(sec):
    d = sec / 86400.0; t = "%.1f" % d
    return "%.0f" % d if d >= 9.95 and t != "9.9" else t
cards = {k[3]: k for k in p.cards}
A, B = r["activity"]["current"], r["activity"]["previous"]
ok("card_entities", cards.get("card-entities", [""] * 3)[0] == format(r["entities"], ",")
   and cards["card-entities"][2] == change(A["entered"], B["entered"], "entered"), cards.get("card-entities"))
ok("card_won", cards.get("card-won", [""] * 3)[0] == format(o["won"], ",")
   and cards["card-won"][2] == change(A["won"], B["won"], "won"), cards.get("card-won"))
wv = cards.get("card-won-value", ["-"])[0]
ok("card_won_value", r["value"]["won"] is not None and wv != "-" and "," in wv
   and abs(float(wv.replace(",", "")) - r["value"]["won"]) < 0.005, "%r vs %s" % (wv, r["value"]["won"]))
dec = lambda a: (a["won"], a["won"] + a["lost"] + a["went_stale"])
clo = lambda a: (a["won"], a["won"] + a["lost"])
ok("card_win_rate_change", cards.get("card-win-rate", [""] * 3)[2].startswith(rchange(*dec(A), *dec(B), "decided")[:9])
   and cards["card-win-rate"][2] == rchange(*dec(A), *dec(B), "decided"), "%r != %r" % (cards.get("card-win-rate", [""] * 3)[2], rchange(*dec(A), *dec(B), "decided")))
ok("card_closed_change", cards.get("card-closed-win-rate", [""] * 3)[2] == rchange(*clo(A), *clo(B), "closed"),
   "%r" % (cards.get("card-closed-win-rate", [""] * 3)[2],))
ttw = r["time_to_win"]
ok("card_days_to_win", cards.get("card-days-to-win", [""])[0] == (days(ttw["median_s"]) if ttw["count"] else "n/a"),
   "%r vs %s" % (cards.get("card-days-to-win"), ttw))
# Money and days: against the report one period earlier, `funnel replay
# --as-of as_of - P` (BEFORE), exact sums subtracted exactly.
from decimal import Decimal
rd, bd = json.load(open(rjson), parse_float=Decimal), json.load(open(os.environ["BEFORE"]), parse_float=Decimal)
bwhen = bd["as_of"][:10]
def arrow(sign, d, then):
    return "%s %s%s against %s (then %s)" % ("\u25b2" if sign > 0 else "\u25bc" if sign < 0 else "=",
            "+" if sign > 0 else "-" if sign < 0 else "", d if sign else "no change", bwhen, then)
def mchange(a, b):
    if a is None and b is None: return "\u2013 no change shown: no value, then or now"
    d = (a or 0) - (b or 0)
    return arrow((d > 0) - (d < 0), format(abs(d), ","), "none" if b is None else format(b, ","))
for cid, key in (("card-won-value", "won"), ("card-open-value", "open")):
    want = mchange(rd["value"][key], bd["value"][key])
    ok(cid.replace("-", "_") + "_change", cards.get(cid, [""] * 3)[2] == want,
       "%r != %r" % (cards.get(cid, [""] * 3)[2], want))
fa, fb = rd["value"]["weighted_open"], bd["value"]["weighted_open"]
fd = format(abs(float(fa or 0) - float(fb or 0)), ",.2f")
want = "\u2013 no change shown: no forecast, then or now" if fa is None and fb is None else arrow(0 if fd == "0.00" else 1 if (fa or 0) > (fb or 0) else -1, fd, "none" if fb is None else format(float(fb), ",.2f"))
ok("card_forecast_change", cards.get("card-forecast", [""] * 3)[2] == want, "%r != %r" % (cards.get("card-forecast", [""] * 3)[2], want))
ta, tb = rd["time_to_win"], bd["time_to_win"]
if ta["count"] and tb["count"]:
    dd = ta["median_s"] - tb["median_s"]; dt = days(abs(dd)) + " d"
    want = arrow(0 if dt == "0.0 d" else (dd > 0) - (dd < 0), dt, days(tb["median_s"]) + " d")
    ok("card_days_change", cards.get("card-days-to-win", [""] * 3)[2] == want,
       "%r != %r" % (cards.get("card-days-to-win", [""] * 3)[2], want))
# The test's data must move every money figure, or it proves nothing.
ok("card_changes_move", rd["value"]["won"] != bd["value"]["won"] and rd["value"]["open"] != bd["value"]["open"],
   "%s %s" % (rd["value"], bd["value"]))

# --- stuck deals: the first 20 rows of `funnel entities --status open`
# (same order, stage, days, value, every attribute), hostile ids as text.
asof = datetime.datetime.fromisoformat(r["as_of"].replace("Z", "+00:00"))
def group(v):
    if v == "": return "\u2013"
    i, _, f = v.partition(".")
    return format(int(i), ",") + ("." + f if f else "")
with open(os.environ["STUCK"], encoding="utf-8", errors="surrogateescape", newline="") as f:
    rows = list(csv.reader(f))
want = []
for x in rows[1:]:
    ent = datetime.datetime.fromisoformat(x[3].replace("Z", "+00:00"))
    want.append([clean(x[0]), x[2], days((asof - ent).total_seconds()), group(x[9])]
                + [clean(c) if c != "" else "\u2013" for c in x[10:]])
st = p.tables.get("stuck", [])
ok("stuck_header", st and st[0] == ["entity", "stage", "days in stage", "value"] + [clean(c) for c in rows[0][10:]],
   st[:1])
ok("stuck_rows", st[1:] == want and len(want) == 20, "%d rows; %s != %s" % (len(st) - 1, st[1:3], want[:2]))
ids = [x[0] for x in st[1:]]
for v in ["<script>alert(3)</script>", '"id" & \'q\'', "\u202eevil-id", "<img src=x onerror=alert(4)>"]:
    ok("stuck_hostile[%s]" % v.encode("unicode_escape").decode(), v in ids, ids[:6])
ok("stuck_escaped", "&lt;script&gt;alert(3)&lt;/script&gt;" in doc and "<script" not in doc.lower()
   and "<img src=x" not in doc and not p.loose, p.loose[:3])

# --- about: the command, as_of, stale thresholds, time range, freshness.
import html as H
def dd(i):
    m = re.search(r'<dd id="%s">(.*?)</dd>' % i, doc, re.S)
    return H.unescape(re.sub(r"<[^>]+>", "", m.group(1))) if m else None
with open(os.environ["EVENTS"], encoding="utf-8", errors="surrogateescape", newline="") as f:
    ev = list(csv.reader(f))[1:]
times = sorted(e[0] for e in ev)
latest = {}
for e in ev:
    latest[e[3]] = max(latest.get(e[3], ""), e[0])
cmd = dd("about-command") or ""
ok("about_command", cmd.startswith("funnel report ") and (mode == "plain" or all(w in cmd.split() for w in
   "--by campaign --by segment --cohort month --trend week".split())), cmd)
ok("about_asof", dd("about-asof") == r["as_of"], dd("about-asof"))
ok("about_stale", dd("about-stale") == "30d untouched", dd("about-stale"))
ok("about_range", dd("about-range") == "from %s to %s" % (times[0], times[-1]), dd("about-range"))
fr = dd("about-fresh") or ""
ok("about_fresh", all("%s %s" % (c, t) in fr for c, t in latest.items()) and len(latest) == 2, "%r; %s" % (fr, latest))

if mode == "plain":
    for t in ("cohorts", "by-1"):
        ok("plain_no_" + t, t not in p.tables, "table %s present" % t)
    ok("plain_no_groups_heading", "<h2>By " not in doc and "Cohorts by" not in doc)
    # funnel report's default is --trend week (docs/DECISIONS.md), in the
    # JSON and on the page.
    ok("plain_trend_week", (r.get("trend") or {}).get("unit") == "week" and "trend" in p.tables
       and "Trend by week" in doc, "trend %s" % (r.get("trend") or {}).get("unit"))
    sys.exit(0)

# --- trend: the last 12 periods, as --text.
tr = p.tables.get("trend", [])[1:]
per = r["trend"]["periods"]
want = [[q["period"], q["entered"], sum(q["entered_stage"][1:]), q["won"], q["lost"], q["went_stale"]] for q in per[-12:]]
got = [[x[0]] + [num(c) for c in x[1:]] for x in tr]
ok("trend_last_12", len(per) > 12 and got == want, "%d periods; %s != %s" % (len(per), got[:2], want[:2]))
i = next(k for k, l in enumerate(txt) if l.startswith("trend by")) + 2
tl = [l.split() for l in txt[i:i + len(per)]][-12:]
ok("trend_text", [[str(c) for c in g] for g in got] == tl, "%s != %s" % (got[:1], tl[:1]))

# --- breakdowns: 12 largest in report order, then other = the sum of the rest.
def rates(gs):
    won = sum(g["outcomes"]["won"] for g in gs); lost = sum(g["outcomes"]["lost"] for g in gs)
    first = sum(g["stages"][0]["reached"] for g in gs); last = sum(g["stages"][-1]["reached"] for g in gs)
    return won, lost, first, last
for d, b in enumerate(r["breakdowns"]):
    gs = b["groups"]; rows = p.tables.get("by-%d" % (d + 1), [])
    head, rows = (rows[0] if rows else []), rows[1:]
    want = []
    for g in gs[:12]:
        want.append([clean(g["name"]), g["entities"], g["outcomes"]["won"], g["outcomes"]["lost"],
                     pct(g["win_rate_closed"]), ci(g["win_rate_closed_ci"]),
                     pct(g["stages"][-1]["conversion_from_start"]), ci(g["stages"][-1]["conversion_from_start_ci"])])
    if len(gs) > 12:
        rest = gs[12:]; won, lost, first, last = rates(rest)
        want.append(["other (%d groups)" % len(rest), sum(g["entities"] for g in rest), won, lost,
                     pct(won / (won + lost) if won + lost else None), ci(wilson(won, won + lost)),
                     pct(last / first if first else None), ci(wilson(last, first))])
    got = [[x[0]] + [num(c) for c in x[1:4]] + x[4:] for x in rows]
    bad = [(g, w) for g, w in zip(got, want) if g != w]
    ok("by_%s_json" % b["name"], len(got) == len(want) and not bad, "%d rows, want %d; %s" % (len(got), len(want), bad[:2]))
    ok("by_%s_heading" % b["name"], head[-2:] == ["from %s to %s" % (r["stages"][0]["name"], r["stages"][-1]["name"]), "95% interval"], head)
    # --text: the same rows, in the same order, with the same counts.
    i = next(k for k, l in enumerate(txt) if l.startswith("by %s " % b["name"])) + 2
    tl = [l for l in txt[i:i + len(want)]]
    tc = [[int(c) for c in l.split()[-9:-6]] for l in tl]  # entities won lost (then stale open, 2 rates, won and open value)
    ok("by_%s_text_counts" % b["name"], tc == [x[1:4] for x in got], "%s != %s" % (tc[:3], [x[1:4] for x in got][:3]))
    if len(gs) > 12:
        ok("by_%s_text_other" % b["name"], tl[-1].split()[:2] == ["other", "(%d)" % (len(gs) - 12)], tl[-1])

# --- hostile values: shown as text, each inside <bdi>.
seg = [x[0] for x in p.tables.get("by-2", [])[1:]]
for v in ["<script>alert(1)</script>", '"quoted" & \'single\'', "Z\u00fcrich \u6771\u4eac",
          "tab here newline", "\u202eevil", "<img src=x onerror=alert(2)>"]:
    ok("hostile_shown[%s]" % v.encode("unicode_escape").decode(), v in seg, seg)
ok("hostile_escaped", "&lt;script&gt;alert(1)&lt;/script&gt;" in doc and "&quot;quoted&quot; &amp; &#39;single&#39;" in doc
   and "<img src=x" not in doc, "escaped forms missing")
ok("hostile_in_bdi", seg and not p.loose, p.loose[:3])

# --- cohorts: one row a period, conversion first to last with interval, complete.
co = p.tables.get("cohorts", [])[1:]
want = [[g["name"], g["entities"], g["outcomes"]["won"], pct(g["stages"][-1]["conversion_from_start"]),
         ci(g["stages"][-1]["conversion_from_start_ci"]), "yes" if g["complete"] else "not complete"] for g in r["cohorts"]["groups"]]
got = [[x[0], num(x[1]), num(x[2])] + x[3:] for x in co]
ok("cohorts_json", got == want and any(w[-1] == "not complete" for w in want), "%s != %s" % (got[-2:], want[-2:]))
PY
}
# The report one activity period earlier, for the cards' money and days.
before=$(python3 -c 'import datetime, json, sys
r = json.load(open(sys.argv[1]))
t = datetime.datetime.fromisoformat(r["as_of"].replace("Z", "+00:00")) - datetime.timedelta(seconds=r["activity"]["period_s"])
print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$T/site/report.json")
"$FUNNEL" replay "$T/p.flog" --as-of "$before" -o "$T/before.json" || fail page_before "replay --as-of $before"
export BEFORE="$T/before.json"
check "$T/site/index.html" "$T/site/report.json" "$T/site/report.txt" full

# Without --by, --cohort and --trend: the activity table, no other.
run "$FUNNEL" report "$T/p.flog" -o "$T/plain"
check "$T/plain/index.html" "$T/plain/report.json" - plain

# An empty log: the page is still written, every rate n/a.
printf 'time,entity,stage,channel\n' >"$T/e.csv"
"$FUNNEL" append -q "$T/e.flog" "$T/e.csv" 2>/dev/null
run "$FUNNEL" report "$T/e.flog" -o "$T/empty" --cohort week --trend week --stages a,b
if [ -s "$T/empty/index.html" ] && grep -q 'closed win rate: won / (won + lost), the CRM convention; 0 won of 0 closed (no interval)' "$T/empty/index.html"; then
    pass page_empty_log; else fail page_empty_log "exit $RC: $(head -c 300 "$T/err")"; fi

# Latest event per channel when batches are not in time order: the later
# batch holds older marketing events, so the walk back from the end must
# still reach the first batch's marketing event (core/log/logfresh.c).
printf 'time,entity,stage,channel\n2026-03-01T09:00:00Z,a,s1,marketing\n2026-01-01T09:00:00Z,b,s1,sales\n' >"$T/f1.csv"
printf 'time,entity,stage,channel\n2026-02-01T09:00:00Z,c,s1,sales\n2026-01-15T09:00:00Z,d,s1,marketing\n' >"$T/f2.csv"
"$FUNNEL" append -q "$T/f.flog" "$T/f1.csv" && "$FUNNEL" append -q "$T/f.flog" "$T/f2.csv" || fail page_fresh_setup append
PATH="$T/nobin:$PATH" run "$FUNNEL" report "$T/f.flog" -o "$T/fresh" --stages s1,s2
if grep -q '<dd id="about-fresh"><bdi>marketing</bdi> <time datetime="2026-03-01T09:00:00Z">2026-03-01T09:00:00Z</time> (0.0 days before as_of); <bdi>sales</bdi> <time datetime="2026-02-01T09:00:00Z">' "$T/fresh/index.html" &&
   grep -q '<dd id="about-range">from <time datetime="2026-01-01T09:00:00Z">' "$T/fresh/index.html"; then
    pass page_fresh_out_of_order; else fail page_fresh_out_of_order "$(grep -o '<dd id="about-fresh">.*' "$T/fresh/index.html" | head -c 300)"; fi
