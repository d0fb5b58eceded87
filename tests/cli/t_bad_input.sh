# t_bad_input.sh - `funnel append` with bad input: one case per rule of
# README.md "Input" and docs/DECISIONS.md "Input" (fixtures/csv/bad/*.csv,
# expected errors in fixtures/csv/bad/EXPECTED): exit 3, the exact "funnel:
# FILE:LINE:COL: " prefix and a message fragment, the log's bytes unchanged
# (also a log ending in a torn tail), an absent log not created.  Then the
# generated cases (oversized fields, more than 20 bad rows), --skip-invalid,
# standard input, several files, and the inputs at the edge of the rules that
# must be accepted (fixtures/csv/good/*.csv, compared with `funnel cat`).
. "$(dirname "$0")/lib.sh"

BAD=$FIX/csv/bad
GOOD=$FIX/csv/good

# --- base logs: two batches; and the same plus half of a third (torn tail).
"$FUNNEL" gen --entities 20 --seed 5 >"$T/gen.csv"
head -n 60 "$T/gen.csv" >"$T/b1.csv"
{ head -n 1 "$T/gen.csv"; tail -n +61 "$T/gen.csv"; } >"$T/b2.csv"
"$FUNNEL" gen --entities 4 --seed 6 >"$T/b3.csv"
"$FUNNEL" append -q "$T/base.flog" "$T/b1.csv" &&
    "$FUNNEL" append -q "$T/base.flog" "$T/b2.csv" &&
    cp "$T/base.flog" "$T/torn.flog" &&
    "$FUNNEL" append -q "$T/torn.flog" "$T/b3.csv"
bsize=$(wc -c <"$T/base.flog")
tsize=$(wc -c <"$T/torn.flog")
truncate -s $(((bsize + tsize) / 2)) "$T/torn.flog"
"$FUNNEL" verify "$T/torn.flog" >"$T/out" 2>"$T/err"
if [ "$bsize" -gt 16 ] && grep -q "torn tail" "$T/out"; then pass bad_setup_logs; else
    fail bad_setup_logs "base $bsize bytes; verify of the torn copy: $(head -c 300 "$T/out" "$T/err")"; fi

# unchanged NAME LOG ARGS... : appending ARGS to a copy of LOG exits 3 and
# leaves the copy byte-identical.
unchanged() {
    _n=$1 _log=$2
    shift 2
    cp "$_log" "$T/copy.flog"
    run "$FUNNEL" append "$T/copy.flog" "$@"
    if [ "$RC" -eq 3 ] && cmp -s "$_log" "$T/copy.flog"; then pass "$_n"; else
        fail "$_n" "exit $RC (expected 3), log $(cmp -s "$_log" "$T/copy.flog" && echo same || echo CHANGED); stderr: $(head -c 300 "$T/err")"
    fi
}

# absent NAME ARGS... : appending ARGS to an absent log exits 3 and does not
# create it.  Leaves stderr in $T/err.
absent() {
    _n=$1
    shift
    rm -f "$T/absent.flog"
    run "$FUNNEL" append "$T/absent.flog" "$@"
    expect_rc "$_n.exit3" 3
    if [ -e "$T/absent.flog" ]; then fail "$_n.not_created" "the log was created"; else
        pass "$_n.not_created"; fi
}

# expect_msg NAME FILE LINE COL FRAGMENT : stderr has a line that starts
# with "funnel: FILE:LINE:COL: " and contains FRAGMENT.
expect_msg() {
    prefix="funnel: $2:$3:$4: "
    if grep -F -- "$prefix" "$T/err" | grep -F -- "$5" | grep -q .; then
        # grep -F matches anywhere; insist that the prefix starts the line.
        if awk -v p="$prefix" 'index($0, p) == 1 { found = 1 } END { exit !found }' "$T/err"; then
            pass "$1"; return; fi
    fi
    fail "$1" "no line '$prefix...$5'; stderr: $(head -c 400 "$T/err")"
}

# --- every bad fixture has expectations, and every expectation a fixture.
for f in "$BAD"/*.csv; do
    name=$(basename "$f" .csv)
    if ! grep -q "^$name " "$BAD/EXPECTED"; then
        fail "bad[$name].has_expectation" "no line for $name in $BAD/EXPECTED"
    fi
done
grep -v '^#' "$BAD/EXPECTED" | awk 'NF { print $1 }' | sort -u | while read -r name; do
    [ -f "$BAD/$name.csv" ] || fail "bad[$name].fixture" "EXPECTED names a missing $name.csv"
done

# --- one case per fixture.
ncases=0
for f in "$BAD"/*.csv; do
    name=$(basename "$f" .csv)
    ncases=$((ncases + 1))
    absent "bad[$name]" "$f"
    grep "^$name " "$BAD/EXPECTED" >"$T/exp"
    while read -r _ line col frag; do
        expect_msg "bad[$name].msg[$line:$col]" "$f" "$line" "$col" "$frag"
    done <"$T/exp"
    # No error lines besides the expected ones (a miscounted line or column
    # would show up as an extra one).
    got=$(grep -cF "funnel: $f:" "$T/err")
    want=$(awk '{ print $2 ":" $3 }' "$T/exp" | sort -u | wc -l)
    if [ "$got" -eq "$want" ]; then pass "bad[$name].msg_count"; else
        fail "bad[$name].msg_count" "$got located errors, expected $want: $(head -c 400 "$T/err")"; fi
    unchanged "bad[$name].log_unchanged" "$T/base.flog" "$f"
    unchanged "bad[$name].torn_log_unchanged" "$T/torn.flog" "$f"
done
if [ "$ncases" -ge 30 ]; then pass "bad_fixture_count[$ncases]"; else
    fail bad_fixture_count "only $ncases fixtures in $BAD"; fi

# FILE is printed as given: a relative name stays relative.
(cd "$BAD" && "$FUNNEL" append "$T/absent.flog" time_no_such_date.csv) >"$T/out" 2>"$T/err"
expect_msg bad_relative_name time_no_such_date.csv 3 1 'no such date'

# Standard input is named "-".
rm -f "$T/absent.flog"
"$FUNNEL" append "$T/absent.flog" - <"$BAD/line_shift_quoted.csv" >"$T/out" 2>"$T/err"
RC=$?
expect_rc bad_stdin.exit3 3
expect_msg bad_stdin.msg - 6 4 'bad channel "mail"'
cp "$T/base.flog" "$T/copy.flog"
"$FUNNEL" append "$T/copy.flog" - <"$BAD/utf8.csv" >"$T/out" 2>"$T/err"
RC=$?
expect_rc bad_stdin_utf8.exit3 3
expect_msg bad_stdin_utf8.msg - 4 5 'invalid UTF-8'
expect_same bad_stdin_utf8.log_unchanged "$T/base.flog" "$T/copy.flog"

# Several files: a good one then a bad one; lines count per file; nothing
# of the good file is appended either.
absent bad_two_files "$GOOD/crlf.csv" "$BAD/too_few_fields.csv"
expect_msg bad_two_files.msg "$BAD/too_few_fields.csv" 3 7 'row has 6 fields'
unchanged bad_two_files.log_unchanged "$T/base.flog" "$GOOD/crlf.csv" "$BAD/too_few_fields.csv"

# --- oversized fields, generated: 65535 bytes is fine, 65536 is not,
# unquoted or quoted; a 30 MB field fails with bounded memory.
hdr='time,entity,stage,channel,segment'
big() { head -c "$1" /dev/zero | tr '\0' 'x'; }
{ echo "$hdr"; printf '2024-03-01,E1,lead,sales,'; big 65535; echo; } >"$T/f65535.csv"
{ echo "$hdr"; echo "2024-03-01,E1,lead,sales,a"; printf '2024-03-01,E2,lead,sales,'; big 65536; echo; } >"$T/f65536.csv"
{ echo "$hdr"; printf '2024-03-01,E1,lead,sales,"'; big 65536; echo '"'; } >"$T/f65536q.csv"
rm -f "$T/ok.flog"
run "$FUNNEL" append "$T/ok.flog" "$T/f65535.csv"
expect_rc field_65535_ok 0
{ printf '2024-03-01T00:00:00Z,E1,lead,sales,,,,'; big 65535; echo; } >"$T/f65535.want"
"$FUNNEL" cat "$T/ok.flog" | tail -n 1 >"$T/f65535.got"
expect_same field_65535_kept "$T/f65535.want" "$T/f65535.got"
absent field_65536 "$T/f65536.csv"
expect_msg field_65536.msg "$T/f65536.csv" 3 5 'field longer than 65535 bytes'
unchanged field_65536.log_unchanged "$T/base.flog" "$T/f65536.csv"
absent field_65536_quoted "$T/f65536q.csv"
expect_msg field_65536_quoted.msg "$T/f65536q.csv" 2 5 'field longer than 65535 bytes'
{ echo "$hdr"; printf '2024-03-01,E1,lead,sales,"'; big 30000000; echo '"'; } >"$T/huge.csv"
# (Under valgrind, make valgrind, the peak RSS would be valgrind's.)
if [ -x /usr/bin/time ] && [ -z "${FUNNEL_UNDER_VALGRIND:-}" ]; then
    # (Under AddressSanitizer freed blocks sit in a quarantine; turn it off
    # so that the figure is the tool's own.)
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
        /usr/bin/time -f '%M' -o "$T/rss" "$FUNNEL" append "$T/absent.flog" "$T/huge.csv" >"$T/out" 2>"$T/err"
    RC=$?
    rss=$(tail -n 1 "$T/rss")
    if [ "$RC" -eq 3 ] && [ "$rss" -lt 65536 ]; then pass "field_huge_bounded[${rss}KB]"; else
        fail field_huge_bounded "exit $RC, peak RSS ${rss} KB for a 30 MB field"; fi
else
    run "$FUNNEL" append "$T/absent.flog" "$T/huge.csv"
    expect_rc field_huge_bounded 3
fi
expect_msg field_huge.msg "$T/huge.csv" 2 5 'field longer than 65535 bytes'
rm -f "$T/huge.csv"

# --- more than 20 bad rows: the first 20, then a count of the rest.
{
    echo 'time,entity,stage,channel'
    i=1
    while [ $i -le 25 ]; do echo "2024-03-01,E$i,lead,phone"; i=$((i + 1)); done
    echo '2024-03-01,E26,lead,sales'
} >"$T/many.csv"
absent bad_many "$T/many.csv"
n=$(grep -c "^funnel: $T/many.csv:" "$T/err")
if [ "$n" -eq 20 ]; then pass bad_many.first_20; else fail bad_many.first_20 "$n located errors shown"; fi
expect_msg bad_many.first "$T/many.csv" 2 4 'bad channel "phone"'
expect_msg bad_many.twentieth "$T/many.csv" 21 4 'bad channel "phone"'
if grep -q "^funnel: $T/many.csv:22:" "$T/err"; then fail bad_many.no_21st "line 22 shown"; else
    pass bad_many.no_21st; fi
expect_err bad_many.rest "5 more"
expect_err bad_many.total "25 bad rows"
unchanged bad_many.log_unchanged "$T/base.flog" "$T/many.csv"

# --- --skip-invalid FILE: the good rows are appended, each rejected row is
# in FILE with its place and reason.
printf '%s\n' 'time,entity,stage,channel,touch' \
    '2024-03-01,E1,lead,sales,call' \
    '2024-03-01,E2,lead,mail,call' \
    '2024-03-01,E3,lead,sales,"a,b"' \
    '2024-02-30,"E' '4",lead,sales,x' \
    '2024-03-01,E5,lead,sales' \
    '2024-03-02,E6,prospect,Marketing,' >"$T/mixed.csv"
cp "$T/base.flog" "$T/skip.flog"
(cd "$T" && "$FUNNEL" append --skip-invalid rejects.csv skip.flog mixed.csv) >"$T/out" 2>"$T/err"
RC=$?
expect_rc skip_invalid.exit0 0
cat >"$T/rejects.want" <<'EOF'
file,line,column,reason,record
mixed.csv,3,4,"bad channel ""mail"": expected marketing or sales","2024-03-01,E2,lead,mail,call"
mixed.csv,5,1,"bad time ""2024-02-30"": no such date","2024-02-30,""E
4"",lead,sales,x"
mixed.csv,7,5,row has 4 fields but the header has 5,"2024-03-01,E5,lead,sales"
EOF
if [ -f "$T/rejects.csv" ]; then expect_same skip_invalid.rejects "$T/rejects.want" "$T/rejects.csv"; else
    fail skip_invalid.rejects "no rejects file"; fi
"$FUNNEL" cat "$T/base.flog" >"$T/cat0"
"$FUNNEL" cat "$T/skip.flog" >"$T/cat1"
# The new rows are the three good ones (no attribute columns in this file).
grep -v '^time,' "$T/cat0" | LC_ALL=C sort >"$T/cat0.s"
grep -v '^time,' "$T/cat1" | LC_ALL=C sort >"$T/cat1.s"
LC_ALL=C comm -13 "$T/cat0.s" "$T/cat1.s" | sed 's/,,*$//' >"$T/new"
printf '%s\n' '2024-03-01T00:00:00Z,E1,lead,sales,call' \
    '2024-03-01T00:00:00Z,E3,lead,sales,"a,b"' \
    '2024-03-02T00:00:00Z,E6,prospect,Marketing' >"$T/new.want"
expect_same skip_invalid.good_rows_appended "$T/new.want" "$T/new"
if [ "$(grep -vc '^time,' "$T/cat1")" -eq $(($(grep -vc '^time,' "$T/cat0") + 3)) ]; then
    pass skip_invalid.count; else fail skip_invalid.count "$(grep -vc '^time,' "$T/cat1") rows after"; fi
# A structural error still stops the file: exit 3, nothing appended.
cp "$T/base.flog" "$T/skip2.flog"
run "$FUNNEL" append --skip-invalid "$T/rej2.csv" "$T/skip2.flog" "$BAD/unterminated_quote.csv"
expect_rc skip_invalid_structural.exit3 3
expect_same skip_invalid_structural.log_unchanged "$T/base.flog" "$T/skip2.flog"

# --- inputs that must be accepted; `cat` gives them back as written.
for f in "$GOOD"/*.csv; do
    name=$(basename "$f" .csv)
    rm -f "$T/good.flog"
    run "$FUNNEL" append "$T/good.flog" "$f"
    expect_rc "good[$name].exit0" 0
    "$FUNNEL" cat "$T/good.flog" >"$T/cat" 2>"$T/err"
    if [ "$name" = embedded ]; then
        # Quoted CR LF and LF come back byte for byte (rows are in time order).
        expect_same "good[$name].cat" "$GOOD/$name.cat" "$T/cat"
    else
        # Rows in any order: compare the header, then the sorted rows.
        if [ "$(head -n 1 "$T/cat")" = "$(head -n 1 "$GOOD/$name.cat")" ]; then
            pass "good[$name].cat_header"; else
            fail "good[$name].cat_header" "got '$(head -n 1 "$T/cat")'"; fi
        tail -n +2 "$T/cat" | LC_ALL=C sort >"$T/got.s"
        tail -n +2 "$GOOD/$name.cat" | LC_ALL=C sort >"$T/want.s"
        expect_same "good[$name].cat_rows" "$T/want.s" "$T/got.s"
    fi
done

# A header-only file appends nothing and leaves an existing log unchanged;
# the same from standard input.
cp "$T/base.flog" "$T/copy.flog"
run "$FUNNEL" append "$T/copy.flog" "$GOOD/header_only_crlf_bom.csv"
expect_rc header_only.exit0 0
expect_same header_only.log_unchanged "$T/base.flog" "$T/copy.flog"
"$FUNNEL" append "$T/copy.flog" - <"$GOOD/header_only.csv" >"$T/out" 2>"$T/err"
RC=$?
expect_rc header_only_stdin.exit0 0
expect_same header_only_stdin.log_unchanged "$T/base.flog" "$T/copy.flog"

# Good rows appended to an existing log land after the old ones (the log
# only grows: its old bytes are a prefix of the new file).
cp "$T/base.flog" "$T/copy.flog"
run "$FUNNEL" append "$T/copy.flog" "$GOOD/mixed_eol.csv"
expect_rc good_append_to_base 0
if cmp -s -n "$bsize" "$T/base.flog" "$T/copy.flog" && [ "$(wc -c <"$T/copy.flog")" -gt "$bsize" ]; then
    pass good_append_is_append_only; else fail good_append_is_append_only "old bytes changed or nothing added"; fi
