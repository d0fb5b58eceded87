# t_check.sh - `funnel check`: a match and its count line, drift reported as
# exact path lines, the tolerance edge, bad input (exit 3 with FILE:LINE:COL),
# usage errors, help, standard input, and a failed stdout write.
. "$(dirname "$0")/lib.sh"

C=$FIX/check

# expect_lines NAME N : the last run printed exactly N lines on stdout.
expect_lines() {
    n=$(wc -l <"$T/out")
    if [ "$n" -eq "$2" ]; then pass "$1"; else
        fail "$1" "$n stdout lines, expected $2: $(head -c 400 "$T/out")"; fi
}

# --- a match: exit 0, the count line and nothing else.
run "$FUNNEL" check "$C/report.json" "$C/expected_match.json"
expect_rc check_match_rc 0
if [ "$(cat "$T/out")" = "funnel check: 17 values compared, all match" ]; then
    pass check_match_count_line
else
    fail check_match_count_line "stdout: $(head -c 400 "$T/out")"
fi
if [ -s "$T/err" ]; then fail check_match_quiet "stderr: $(head -c 400 "$T/err")"; else
    pass check_match_quiet; fi

# A report compared with itself matches, whatever its shape.
run "$FUNNEL" check "$C/report.json" "$C/report.json"
expect_rc check_self_rc 0
expect_out check_self_all_match "values compared, all match"

# --- drift: exit 1, one line per difference, paths exact.
run "$FUNNEL" check "$C/drifted.json" "$C/expected_match.json"
expect_rc check_drift_rc 1
expect_out check_drift_value "stages[3].time_in_stage.median_s: expected 86400, got 90000"
expect_out check_drift_missing "outcomes.won: missing"
expect_lines check_drift_line_count 2
expect_err check_drift_summary "funnel check: 2 differences"
if grep -q "all match" "$T/out"; then fail check_drift_no_match_line "stdout says all match"; else
    pass check_drift_no_match_line; fi

run "$FUNNEL" check "$C/report.json" "$C/expected_short.json"
expect_rc check_length_rc 1
expect_out check_length_stages "stages: expected 5 elements, got 4"
expect_out check_length_unmapped "unmapped_stages: expected 0 elements, got 1"

# Extra keys in the report are fine, but not the other way round.
run "$FUNNEL" check "$C/expected_match.json" "$C/report.json"
expect_rc check_subset_is_one_way 1

# --- a funnel-report/1 fixture checks a /2 report on the keys they share
# (docs/DECISIONS.md): /2 keeps every /1 key, so only the schema differs.
run "$FUNNEL" check "$C/report_v2.json" "$C/expected_match.json"
expect_rc check_v1_fixture_v2_report_rc 0
expect_out check_v1_fixture_v2_report_count "funnel check: 17 values compared, all match"
# The real thing: a case's v1 fixture against its replay relabelled /2.
K=$FIX/cases/metrics_example
"$FUNNEL" append -q "$T/k.flog" "$K/events.csv" &&
    # shellcheck disable=SC2046
    "$FUNNEL" replay "$T/k.flog" $(cat "$K/args") -o "$T/k.json" &&
    sed 's|"funnel-report/1"|"funnel-report/2"|' "$T/k.json" >"$T/k2.json"
run "$FUNNEL" check "$T/k2.json" "$K/expected.json"
expect_rc check_v1_case_v2_report 0
# Not the other way round, and a /1 key the /2 report lacks is still missing.
run "$FUNNEL" check "$C/report.json" "$T/k2.json"
expect_rc check_v2_fixture_v1_report_rc 1
expect_out check_v2_fixture_v1_report_schema 'schema: expected "funnel-report/2", got "funnel-report/1"'
sed '/"entities"/d' "$C/report_v2.json" >"$T/v2_short.json"
run "$FUNNEL" check "$T/v2_short.json" "$C/expected_match.json"
expect_rc check_v1_fixture_v2_missing_key_rc 1
expect_out check_v1_fixture_v2_missing_key "entities: missing"

# --- tolerance: relative 5e-10 passes the default 1e-9, 2e-9 does not.
run "$FUNNEL" check "$C/tol_report.json" "$C/tol_close.json"
expect_rc check_tolerance_default_inside 0
run "$FUNNEL" check "$C/tol_report.json" "$C/tol_far.json"
expect_rc check_tolerance_default_outside 1
expect_out check_tolerance_value_digits "win_rate: expected 0.25000000049999999, got 0.25"
run "$FUNNEL" check "$C/tol_report.json" "$C/tol_far.json" --tolerance 1e-6
expect_rc check_tolerance_option 0
run "$FUNNEL" check --tolerance=1e-6 "$C/tol_report.json" "$C/tol_far.json"
expect_rc check_tolerance_equals_form 0
# A tighter tolerance makes the close pair differ (both values reported).
run "$FUNNEL" check "$C/tol_report.json" "$C/tol_close.json" --tolerance 1e-10
expect_rc check_tolerance_tighter 1
expect_lines check_tolerance_tighter_lines 2
run "$FUNNEL" check "$C/tol_report.json" "$C/tol_report.json" --tolerance 0
expect_rc check_tolerance_zero_exact 0

# --- bad input: exit 3, FILE:LINE:COL.
run "$FUNNEL" check "$C/report.json" "$C/invalid.json"
expect_rc check_invalid_json_rc 3
expect_err check_invalid_json_position "funnel: $C/invalid.json:3:25: "
run "$FUNNEL" check "$C/duplicate.json" "$C/expected_match.json"
expect_rc check_duplicate_key_rc 3
expect_err check_duplicate_key_position "funnel: $C/duplicate.json:3:12: duplicate object key"
run "$FUNNEL" check "$C/report.json" "$C/no_such_file.json"
expect_rc check_missing_file_rc 3
expect_err check_missing_file_message "funnel: $C/no_such_file.json: No such file or directory"
run "$FUNNEL" check "$C" "$C/report.json"
expect_rc check_directory_rc 3
: >"$T/empty.json"
run "$FUNNEL" check "$T/empty.json" "$C/report.json"
expect_rc check_empty_file_rc 3
expect_err check_empty_file_position "$T/empty.json:1:1: "
# The top level must be an object or an array.
echo 42 >"$T/scalar.json"
run "$FUNNEL" check "$C/report.json" "$T/scalar.json"
expect_rc check_scalar_top_level_rc 3
expect_err check_scalar_top_level_position "$T/scalar.json:1:2: "
printf '{"a":1}\n{"b":2}\n' >"$T/two.json"
run "$FUNNEL" check "$T/two.json" "$T/two.json"
expect_rc check_trailing_document_rc 3
expect_err check_trailing_document_position "$T/two.json:2:1: "

# --- standard input as one of the files.
run sh -c '"$0" check - "$1" <"$2"' "$FUNNEL" "$C/expected_match.json" "$C/drifted.json"
expect_rc check_stdin_report_rc 1
expect_out check_stdin_report_diff "outcomes.won: missing"
run sh -c '"$0" check - - <"$1"' "$FUNNEL" "$C/report.json"
expect_rc check_stdin_twice_rc 2

# --- usage errors: exit 2 with the hint.
for args in "" "$C/report.json" "$C/report.json $C/report.json $C/report.json" \
            "--bogus $C/report.json $C/report.json" "-t 1 $C/report.json $C/report.json" \
            "$C/report.json $C/report.json --tolerance" \
            "$C/report.json $C/report.json --tolerance=" \
            "$C/report.json $C/report.json --tolerance -1" \
            "$C/report.json $C/report.json --tolerance nan" \
            "$C/report.json $C/report.json --tolerance inf" \
            "$C/report.json $C/report.json --tolerance 1e999" \
            "$C/report.json $C/report.json --tolerance 1e-6x" \
            "$C/report.json $C/report.json --tolerance=abc"; do
    # shellcheck disable=SC2086
    run "$FUNNEL" check $args
    expect_rc "check_usage_error[$(echo "${args:-none}" | sed "s|$C/||g" | tr ' ' _)]" 2
done
expect_err check_usage_hint "Try 'funnel check --help'"
if [ -s "$T/out" ]; then fail check_usage_quiet_stdout "stdout: $(head -c 200 "$T/out")"; else
    pass check_usage_quiet_stdout; fi

# "--" ends the options, so a file may start with '-'.
cp "$C/report.json" "$T/-r.json"
(cd "$T" && run "$FUNNEL" check -- -r.json "$C/expected_match.json"; echo "$RC" >"$T/rc")
RC=$(cat "$T/rc")
expect_rc check_double_dash 0

# --- help.
run "$FUNNEL" check --help
expect_rc check_help_rc 0
expect_out check_help_usage "usage: funnel check REPORT EXPECTED [--tolerance REL]"
expect_out check_help_tolerance "--tolerance REL"
expect_out check_help_quoted_keys "JSON string in brackets"

# --- a failed write of the result is an I/O error, exit 5.
if [ -w /dev/full ]; then
    run sh -c '"$0" check "$1" "$2" >/dev/full' "$FUNNEL" "$C/report.json" "$C/expected_match.json"
    expect_rc check_stdout_full 5
    expect_err check_stdout_full_message "error writing standard output"
else
    echo "SKIP check_stdout_full: no /dev/full"
fi
