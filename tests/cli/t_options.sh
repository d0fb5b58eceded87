# t_options.sh - one option convention for every command (README.md
# "Options"; docs/DECISIONS.md "Command line"): options after the operands,
# "--" ends the options, "-" is standard input where a command streams input
# and a usage error where it needs a file, unknown options, missing values
# and empty paths are usage errors (exit 2) naming the option.
. "$(dirname "$0")/lib.sh"

# expect_usage NAME TEXT : the last run was a usage error (exit 2, nothing on
# stdout) whose message names TEXT.
expect_usage() {
    if [ "$RC" -eq 2 ] && [ ! -s "$T/out" ] && grep -qF -- "$2" "$T/err"; then pass "$1"; else
        fail "$1" "exit $RC, expected 2 naming '$2'; stderr: $(head -c 300 "$T/err")"; fi
}

# expect_ok NAME : the last run exited 0 (or 5 for report because gnuplot
# is missing, after writing everything else).
expect_ok() {
    if [ "$RC" -eq 0 ] || { [ "$RC" -eq 5 ] && grep -q 'gnuplot is not installed' "$T/err"; }; then
        pass "$1"; else fail "$1" "exit $RC; stderr: $(head -c 300 "$T/err")"; fi
}

# expect_file NAME PATH : PATH exists and is not empty.
expect_file() {
    if [ -s "$2" ]; then pass "$1"; else fail "$1" "$2 is missing or empty"; fi
}

"$FUNNEL" gen --entities 20 --seed 5 >"$T/g.csv"
"$FUNNEL" append -q "$T/L.flog" "$T/g.csv"
"$FUNNEL" replay "$T/L.flog" -o "$T/r.json"
cd "$T" || exit 1
cp L.flog ./-q
cp L.flog ./--x
cp r.json ./-r.json
cp g.csv ./--x.csv

# --- options after the operands.
run "$FUNNEL" append A.flog g.csv -q --allow-duplicate
expect_rc append_opts_after 0
if [ -e ./-q.csv ] || grep -q 'cannot open' "$T/err"; then fail append_opts_after_not_files "$(head -c 200 "$T/err")"; else
    pass append_opts_after_not_files; fi
run "$FUNNEL" append A.flog g.csv --skip-invalid rej.csv --allow-duplicate
expect_rc append_valued_opt_after 0
expect_file append_valued_opt_after_file rej.csv
run "$FUNNEL" replay L.flog --text --stale-after=2w
expect_rc replay_opts_after 0
expect_out replay_opts_after_text "stage"
run "$FUNNEL" report L.flog --text -o rep
expect_ok report_opts_after
expect_file report_opts_after_txt rep/report.txt
run "$FUNNEL" chart r.json --no-render -o ch
expect_rc chart_opts_after 0
expect_file chart_opts_after_gp ch/funnel.gp
run "$FUNNEL" check r.json r.json --tolerance 0
expect_rc check_opts_after 0
run "$FUNNEL" cat L.flog --help
expect_rc cat_help_after 0
expect_out cat_help_after_text "usage: funnel cat"
run "$FUNNEL" verify L.flog --repair
expect_rc verify_opts_after 0
expect_out verify_opts_after_repair "nothing to repair"
run "$FUNNEL" gen -o gen.csv --entities 3
expect_rc gen_opts_any_order 0
expect_file gen_opts_any_order_file gen.csv
# Even where POSIX asks getopt to stop at the first operand.
run env POSIXLY_CORRECT=1 "$FUNNEL" append P.flog g.csv -q
expect_rc append_opts_after_posixly_correct 0

# --- "--" ends the options: after it, -q and --x are file names.
run "$FUNNEL" append -q B.flog -- --x.csv
expect_rc append_double_dash 0
# (./-q is a log, not CSV: append reads it as input and refuses it.)
run "$FUNNEL" append -q -- C.flog --x.csv -q
if [ "$RC" -eq 3 ] && grep -qF -- "funnel: -q:1:1: bad header" "$T/err" && [ ! -e C.flog ]; then
    pass append_double_dash_then_q_is_file; else
    fail append_double_dash_then_q_is_file "exit $RC: $(head -c 200 "$T/err")"; fi
run "$FUNNEL" replay -- -q
expect_rc replay_double_dash 0
expect_out replay_double_dash_json '"schema"'
run "$FUNNEL" report -o rep2 -- --x
expect_ok report_double_dash
expect_file report_double_dash_json rep2/report.json
run "$FUNNEL" chart --no-render -o ch2 -- -r.json
expect_rc chart_double_dash 0
run "$FUNNEL" check -- -r.json r.json
expect_rc check_double_dash 0
run "$FUNNEL" cat -- -q
expect_rc cat_double_dash 0
expect_out cat_double_dash_csv "time,entity,stage"
run "$FUNNEL" verify -- --x
expect_rc verify_double_dash 0
run "$FUNNEL" gen --entities 3 --
expect_rc gen_double_dash 0
run "$FUNNEL" gen -- --entities 3
expect_usage gen_double_dash_then_argument "unexpected argument '--entities'"
# After "--", --help is a file name, not a request for help.
cp L.flog ./--help
run "$FUNNEL" cat -- --help
expect_rc cat_double_dash_help_is_file 0
expect_out cat_double_dash_help_is_file_csv "time,entity,stage"

# --- "-" is standard input where a command streams its input ...
run "$FUNNEL" append -q S.flog - <g.csv
expect_rc append_stdin 0
run "$FUNNEL" check - r.json <r.json
expect_rc check_stdin 0
run "$FUNNEL" chart - -o ch3 --no-render <r.json
expect_rc chart_stdin 0
run "$FUNNEL" gen --entities 3 -o -
expect_rc gen_dash_stdout 0
expect_out gen_dash_stdout_csv "time,entity,stage"
# ... and a usage error where it must name a file (./- names a file "-").
for c in "append - g.csv" "replay -" "report - -o rep3" "cat -" "verify -" \
         "chart r.json -o -" "report L.flog -o -"; do
    # shellcheck disable=SC2086
    run "$FUNNEL" $c </dev/null
    expect_usage "dash_not_a_file[$c]" "cannot be '-'"
done
cp L.flog ./-
run "$FUNNEL" cat ./-
expect_rc cat_dot_slash_dash 0

# --- unknown options: exit 2 naming them, wherever they stand.
for c in "append A.flog g.csv" "replay L.flog" "report L.flog -o rep" "chart r.json -o ch" \
         "check r.json r.json" "cat L.flog" "verify L.flog" "gen"; do
    set -- $c
    # shellcheck disable=SC2086
    run "$FUNNEL" $c --bogus-opt
    expect_usage "unknown_long[$1]" "unknown option '--bogus-opt'"
    # shellcheck disable=SC2086
    run "$FUNNEL" $c -Z
    expect_usage "unknown_short[$1]" "unknown option '-Z'"
    # shellcheck disable=SC2086
    run "$FUNNEL" $c --bogus-opt=1
    expect_usage "unknown_long_value[$1]" "unknown option '--bogus-opt'"
done
# Only the spellings the help shows: no abbreviations.
run "$FUNNEL" replay L.flog --stage a,b
expect_usage replay_no_abbreviation "unknown option '--stage'"
run "$FUNNEL" append A.flog g.csv --allow-dup
expect_usage append_no_abbreviation "unknown option '--allow-dup'"
# A flag given a value.
run "$FUNNEL" append A.flog g.csv --quiet=yes
expect_usage append_flag_value "--quiet takes no value"
run "$FUNNEL" verify L.flog --repair=1
expect_usage verify_flag_value "--repair takes no value"

# --- a missing value: exit 2 naming the option (cat and verify take none).
for c in "append A.flog g.csv --skip-invalid" "replay L.flog --stages" "replay L.flog -o" \
         "replay L.flog --funnel" "report L.flog -o" "report L.flog --output" \
         "chart r.json -o" "check r.json r.json --tolerance" "gen --seed" "gen -o"; do
    set -- $c
    eval "opt=\${$#}"
    # shellcheck disable=SC2086
    run "$FUNNEL" $c
    expect_usage "missing_value[$c]" "$opt needs a value"
done

# --- an empty path: exit 2 naming the option or operand.
# run_split ARGS : run funnel with ARGS split at '|' (so '' can be one).
run_split() {
    _old=$IFS; IFS='|'
    # shellcheck disable=SC2086
    set -- $1
    IFS=$_old
    run "$FUNNEL" "$@"
}
for c in "--skip-invalid:append|A.flog|g.csv|--skip-invalid||" "-o:replay|L.flog|-o||" \
         "--output:replay|L.flog|--output=" "--funnel:replay|L.flog|--funnel||" \
         "-o:report|L.flog|-o||" "--output:report|L.flog|--output=" "-o:chart|r.json|-o||" \
         "-o:gen|-o||" "--output:gen|--output="; do
    run_split "${c#*:}"
    expect_usage "empty_path[$(printf '%s' "${c#*:}" | tr '|' ' ')]" "empty path given to ${c%%:*}"
done
for c in "LOG:append||g.csv" "FILE:append|A.flog||" "FILE:append|A.flog|g.csv||" \
         "LOG:replay||" "LOG:report||-o|rep" "REPORT:chart||-o|ch" \
         "REPORT:check||r.json" "EXPECTED:check|r.json||" "LOG:cat||" "LOG:verify||"; do
    run_split "${c#*:}"
    expect_usage "empty_operand[$(printf '%s' "${c#*:}" | tr '|' ' ')]" "empty path given as ${c%%:*}"
done

# --- the shard set commands (docs/SCALE.md §1) keep the same convention.
for c in "shard - -o sd --shards 2" "partial - --shard 0/1 -o p.part" "merge -" \
         "merge r.json --partial -o -" "partial sd --shard 0/1 -o -"; do
    # shellcheck disable=SC2086
    run "$FUNNEL" $c </dev/null
    expect_usage "dash_not_a_file[$c]" "cannot be '-'"
done
for c in "shard L.flog -o sd --shards 2" "partial sd --shard 0/1 -o p.part" "merge r.json"; do
    set -- $c
    # shellcheck disable=SC2086
    run "$FUNNEL" $c --bogus-opt
    expect_usage "unknown_long[$1]" "unknown option '--bogus-opt'"
    # shellcheck disable=SC2086
    run "$FUNNEL" $c -Z
    expect_usage "unknown_short[$1]" "unknown option '-Z'"
done
for c in "shard L.flog -o sd --shards" "shard --check" "partial sd -o p.part --shard" \
         "partial sd --shard 0/1 -o" "partial sd --shard 0/1 -o p.part --as-of" "merge r.json -o"; do
    set -- $c
    eval "opt=\${$#}"
    # shellcheck disable=SC2086
    run "$FUNNEL" $c
    expect_usage "missing_value[$c]" "$opt needs a value"
done
run "$FUNNEL" merge r.json --partial=1 -o x.part
expect_usage merge_flag_value "--partial takes no value"
run "$FUNNEL" partial sd --shard 1/x -o p.part
expect_usage partial_bad_shard "bad --shard \"1/x\""
run "$FUNNEL" merge --partial r.json --text -o x.part
expect_usage merge_partial_text "not with --partial"
for c in "LOG:shard||-o|sd|--shards|2" "DIR:partial||--shard|0/1|-o|p.part" "PART:merge||"; do
    run_split "${c#*:}"
    expect_usage "empty_operand[$(printf '%s' "${c#*:}" | tr '|' ' ')]" "empty path given as ${c%%:*}"
done
