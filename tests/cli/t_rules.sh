# t_rules.sh - `funnel check REPORT --rules FILE` (docs/CHECK.md): rules that
# hold, every failing rule listed with its value (exit 1), a path that leads
# nowhere failing rather than crashing, rules beside a fixture, rules on a
# real replay, malformed or missing rule files (exit 2 with FILE:LINE:COL),
# standard input, help and a failed write.
. "$(dirname "$0")/lib.sh"

C=$FIX/check
R=$C/rules
V2=$C/report_v2.json

# expect_lines NAME N : the last run printed exactly N lines on stdout.
expect_lines() {
    n=$(wc -l <"$T/out")
    if [ "$n" -eq "$2" ]; then pass "$1"; else
        fail "$1" "$n stdout lines, expected $2: $(head -c 400 "$T/out")"; fi
}
expect_quiet_stdout() {
    if [ -s "$T/out" ]; then fail "$1" "stdout: $(head -c 300 "$T/out")"; else pass "$1"; fi
}

# --- rules that hold: exit 0, one line on stdout, nothing on stderr.
run "$FUNNEL" check "$V2" --rules "$R/hold.rules"
expect_rc rules_hold_rc 0
if [ "$(cat "$T/out")" = "funnel check: 16 rules hold" ]; then pass rules_hold_line; else
    fail rules_hold_line "stdout: $(head -c 400 "$T/out")"; fi
if [ -s "$T/err" ]; then fail rules_hold_quiet "stderr: $(head -c 300 "$T/err")"; else
    pass rules_hold_quiet; fi

# --- every failing rule, in file order, with what it got; exit 1.
run "$FUNNEL" check "$V2" --rules "$R/fail.rules"
expect_rc rules_fail_rc 1
F=$R/fail.rules
expect_out rules_fail_value "$F:2: win_rate > 0.25: got 0.2"
expect_out rules_fail_null "$F:4: breakdowns[segment].groups[\"v1.2\"].win_rate_closed > 0.5: got null, not a number"
expect_out rules_fail_no_such_name "$F:5: stages[purchasng].reached > 0: stages[purchasng] does not exist: no element of stages is named \"purchasng\" (names: \"suspect\", \"prospect\", \"interested\", \"purchasing\")"
expect_out rules_fail_digits_are_an_index "$F:6: cohorts[2026].entities > 0: cohorts[2026] does not exist: cohorts has 3 elements (quote a name made of digits: [\"2026\"])"
expect_out rules_fail_ambiguous "$F:7: breakdowns[owner].groups[ann].entities > 0: breakdowns[owner].groups[ann] is ambiguous"
expect_out rules_fail_comment_dropped "$F:8: trend[-1].entered > 3: got 3"
expect_out rules_fail_array_needs_selector "$F:9: stages.reached > 0: stages.reached does not exist: stages is an array"
expect_lines rules_fail_one_line_each 7
expect_err rules_fail_summary "funnel check: 7 of 8 rules fail"
if grep -q ":3: " "$T/out"; then fail rules_fail_holding_rule_silent "line 3 holds but was printed"; else
    pass rules_fail_holding_rule_silent; fi

# --- beside a fixture: both run, both listed, one summary.
run "$FUNNEL" check "$V2" "$C/expected_match.json" --rules "$R/hold.rules"
expect_rc rules_with_fixture_rc 0
expect_out rules_with_fixture_line "funnel check: 17 values compared, all match; 16 rules hold"
run "$FUNNEL" check --rules "$R/fail.rules" "$C/drifted.json" "$C/expected_match.json"
expect_rc rules_with_fixture_both_fail_rc 1
expect_out rules_with_fixture_diff "outcomes.won: missing"
expect_out rules_with_fixture_rule "$F:5: stages[purchasng].reached > 0"
expect_err rules_with_fixture_summary "funnel check: 2 differences (16 values compared); 7 of 8 rules fail"
# Repeated --rules: every file, in order.
run "$FUNNEL" check "$V2" --rules "$R/hold.rules" --rules "$R/fail.rules"
expect_rc rules_two_files_rc 1
expect_err rules_two_files_summary "funnel check: 7 of 24 rules fail"

# --- rules on a real replay (a case of fixtures/cases): stages by name.
K=$FIX/cases/metrics_example
"$FUNNEL" append -q "$T/k.flog" "$K/events.csv" &&
    # shellcheck disable=SC2046
    "$FUNNEL" replay "$T/k.flog" $(cat "$K/args") -o "$T/k.json"
printf 'stages[qualified].reached >= 1\nstages[won].conversion_from_start > 0.99\nwin_rate <= 1\n' >"$T/k.rules"
run "$FUNNEL" check "$T/k.json" --rules "$T/k.rules"
expect_rc rules_real_report_rc 1
expect_out rules_real_report_value "$T/k.rules:2: stages[won].conversion_from_start > 0.99: got "
expect_lines rules_real_report_lines 1

# --- a malformed rule file: exit 2, FILE:LINE:COL, nothing on stdout, and
# before the report is even read (an invalid report is not reached).
bad_rule() { # NAME LINE-TEXT EXPECTED-STDERR
    printf '# fine\nwin_rate > 0\n%s\n' "$2" >"$T/bad.rules"
    run "$FUNNEL" check "$C/invalid.json" --rules "$T/bad.rules"
    expect_rc "rules_malformed_rc[$1]" 2
    expect_err "rules_malformed_msg[$1]" "funnel: $T/bad.rules:3:$3"
    expect_quiet_stdout "rules_malformed_quiet[$1]"
}
bad_rule no_number 'win_rate >' '11: expected a number after the operator'
bad_rule no_operator 'win_rate 0.5' '10: expected an operator (< <= > >= == !=)'
bad_rule single_equals 'win_rate = 0.5' "10: unknown operator '='; equality is '=='"
bad_rule not_a_number 'win_rate > null' "12: expected a number after the operator, got 'null'"
bad_rule two_numbers 'win_rate > 0.5 0.6' '16: unexpected text after the number'
bad_rule blank_in_name 'stages[closed won].reached > 0' "14: expected ']' here; quote a name"
bad_rule unterminated 'stages["won].reached > 0' '8: unterminated string'
bad_rule empty_brackets 'stages[].reached > 0' '7: empty []'
bad_rule no_path '>= 3' '1: expected a path'
bad_rule infinite 'win_rate < 1e999' '12: 1e999 is out of range'
: >"$T/empty.rules"
run "$FUNNEL" check "$V2" --rules "$T/empty.rules"
expect_rc rules_empty_file_rc 2
expect_err rules_empty_file_msg "funnel: $T/empty.rules: no rules in the file"
run "$FUNNEL" check "$V2" --rules "$T/no_such.rules"
expect_rc rules_missing_file_rc 2
expect_err rules_missing_file_msg "funnel: $T/no_such.rules: No such file or directory"
run "$FUNNEL" check "$V2" --rules "$T"
expect_rc rules_directory_rc 2
# The report still fails as a report: exit 3 when the rules are fine.
run "$FUNNEL" check "$C/invalid.json" --rules "$R/hold.rules"
expect_rc rules_invalid_report_rc 3
expect_err rules_invalid_report_position "funnel: $C/invalid.json:3:25: "

# --- usage: --rules needs a value, REPORT is needed, one stdin at most.
for args in "$V2 --rules" "$V2 --rules=" "--rules $R/hold.rules" \
            "$V2 $V2 $V2 --rules $R/hold.rules"; do
    # shellcheck disable=SC2086
    run "$FUNNEL" check $args
    expect_rc "rules_usage_error[$(echo "$args" | sed "s|$C/||g; s|rules/||g" | tr ' ' _)]" 2
done
run sh -c '"$0" check "$1" --rules - <"$2"' "$FUNNEL" "$V2" "$R/fail.rules"
expect_rc rules_stdin_rc 1
expect_out rules_stdin_names_stdin "<stdin>:2: win_rate > 0.25: got 0.2"
run sh -c '"$0" check - --rules - <"$1"' "$FUNNEL" "$V2"
expect_rc rules_stdin_twice_rc 2
expect_err rules_stdin_twice_msg "only one of REPORT, EXPECTED and the rule files can be '-'"

# --- help.
run "$FUNNEL" check --help
expect_rc rules_help_rc 0
expect_out rules_help_usage "funnel check REPORT --rules FILE..."
expect_out rules_help_example "breakdowns[segment].groups[smb].win_rate_closed > 0.5"
if [ -s "$T/err" ]; then fail rules_help_quiet_stderr "stderr: $(head -c 200 "$T/err")"; else
    pass rules_help_quiet_stderr; fi

# --- a failed write of the failing rules is an I/O error, exit 5.
if [ -w /dev/full ]; then
    run sh -c '"$0" check "$1" --rules "$2" >/dev/full' "$FUNNEL" "$V2" "$R/fail.rules"
    expect_rc rules_stdout_full 5
else
    echo "SKIP rules_stdout_full: no /dev/full"
fi
