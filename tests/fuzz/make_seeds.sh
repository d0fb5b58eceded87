#!/bin/sh
# make_seeds.sh - (re)create the seed inputs of tests/fuzz/corpus/ from the
# fixtures and small logs made by ./funnel.  Run once by hand (the corpus is
# committed; `make fuzz` adds to it); it only adds files named seed-*.
# Usage: tests/fuzz/make_seeds.sh [FUNNEL]   (default ./funnel; run `make` first)
set -eu
cd "$(dirname "$0")/../.."
F=${1:-./funnel}
C=tests/fuzz/corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p $C/csvin $C/evblock $C/log $C/jsondiff $C/chart_quote $C/roundtrip $C/rules

# csvin: every CSV fixture up to 16 KiB (good, bad, hostile), and a small gen.
i=0
for f in fixtures/logs/tiny.csv fixtures/cases/*/events.csv fixtures/csv/*/*.csv; do
    [ -f "$f" ] && [ "$(wc -c <"$f")" -le 16384 ] || continue
    cp "$f" "$C/csvin/seed-$(printf %03d $i)"; i=$((i + 1))
done
"$F" gen --entities 5 --seed 7 >"$C/csvin/seed-gen"

# log: tiny.flog; 1-3 batch logs with and without attributes; a torn tail;
# an empty and a header-only file; each as given (mode 0) and with checksums
# fixed by the target (mode 1).
"$F" gen --entities 8 --seed 1 >"$T/a.csv"
"$F" gen --entities 6 --seed 2 >"$T/b.csv"
printf 'time,entity,stage,channel,touch,outcome,amount,segment,Source\n2024-01-02,e1,suspect,marketing,web,,,smb,ads\n2024-01-03T10:00:00+02:00,e1,engaged,sales,call,lost,120.50,smb,\n' >"$T/c.csv"
"$F" append -q "$T/one.flog" "$T/a.csv"
"$F" append -q "$T/two.flog" "$T/a.csv"; "$F" append -q "$T/two.flog" "$T/c.csv"
"$F" append -q "$T/three.flog" "$T/c.csv"; "$F" append -q "$T/three.flog" "$T/b.csv"
"$F" append -q --allow-duplicate "$T/three.flog" "$T/c.csv"
cp "$T/two.flog" "$T/torn.flog"; head -c 100 "$T/one.flog" | tail -c 60 >>"$T/torn.flog"
: >"$T/empty.flog"
head -c 16 "$T/one.flog" >"$T/header.flog"
cp fixtures/logs/tiny.flog "$T/tiny.flog"
for l in tiny one two three torn empty header; do
    { printf '\000'; cat "$T/$l.flog"; } >"$C/log/seed-$l-raw"
    { printf '\001'; cat "$T/$l.flog"; } >"$C/log/seed-$l-fix"
done

# evblock: every EVENTS block of those logs.
cc -std=c11 -D_GNU_SOURCE -Icore/log -Icore/common -o "$T/seed_evblock" tests/fuzz/seed_evblock.c \
    core/log/blogscan.c core/log/blocklog.c core/common/err.c -lz
"$T/seed_evblock" "$C/evblock" "$T/tiny.flog" "$T/two.flog" "$T/three.flog"

# jsondiff: tolerance byte, EXPECTED, NUL, REPORT.
j() { { printf "\\$(printf %03o "$1")"; cat "$2"; printf '\000'; cat "$3"; } >"$C/jsondiff/seed-$4"; }
K=fixtures/check
j 0 $K/expected_match.json $K/report.json match
j 0 $K/expected_match.json $K/drifted.json drift
j 0 $K/expected_short.json $K/report.json short
j 0 $K/tol_close.json $K/tol_report.json tolclose
j 2 $K/tol_far.json $K/tol_report.json tolfar
j 1 $K/duplicate.json $K/report.json dup
j 0 $K/invalid.json $K/report.json invalid
n=0
for e in fixtures/cases/*/expected.json; do j 0 "$e" "$e" "case$n"; n=$((n + 1)); done
"$F" replay "$T/three.flog" -o "$T/r.json"
j 0 "$T/r.json" "$T/r.json" replay

# chart_quote: stage names and hostile labels.
q() { printf "$1" >"$C/chart_quote/seed-$2"; }
q "negotiating" plain
q "it's a \"deal\"" quotes
q "a\\nb\\tc\\r" controls
q "\`rm -rf /\` @macro \\\\ ; # x" gnuplot
q "\\303\\251t\\342\\202\\254 \\360\\237\\230\\200" utf8
q "\\377\\300\\200 \\355\\240\\200 \\364\\220\\200\\200" badutf8
q "''''" onlyquotes

# roundtrip: any bytes are a valid plan; a few shapes.
r() { printf "$1" >"$C/roundtrip/seed-$2"; }
r "\\000\\000\\000\\005aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" simple
r "\\377\\377\\003\\000\\001\\002\\040\\003\\002\\005abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz" full
r "\\010\\160\\002\\004\\001\\010\\003\\002\\005\\007\\011\\013\\015\\017\\021\\023\\025\\027\\031\\033\\035\\037\\041\\043\\045\\047\\051\\053\\055\\057\\061\\063\\065\\067\\071\\073\\075\\077\\101\\103\\105\\107" batches
head -c 2048 /dev/urandom >"$C/roundtrip/seed-random"

# rules: a rule file, NUL, a report: the committed rule files against the
# v2 report fixture, and one against a real replay.
u() { { cat "$1"; printf '\000'; cat "$2"; } >"$C/rules/seed-$3"; }
u fixtures/check/rules/hold.rules fixtures/check/report_v2.json hold
u fixtures/check/rules/fail.rules fixtures/check/report_v2.json fail
printf 'stages[0].reached > 0\r\nwin_rate == 0.2 # c\n["a b"][-1] != 1e-3\n' >"$T/x.rules"
u "$T/x.rules" "$T/r.json" replay
printf 'stages["closed\\u0020won"].x <= -0\nbad line\n' >"$T/y.rules"
u "$T/y.rules" fixtures/check/report.json malformed

for d in $C/*; do echo "$(basename "$d"): $(find "$d" -type f | wc -l) files"; done
