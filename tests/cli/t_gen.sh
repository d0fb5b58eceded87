# t_gen.sh - `funnel gen`: deterministic bytes, the exact header, option
# errors, help, -o FILE, and a reader that stops early.
. "$(dirname "$0")/lib.sh"

HEADER='time,entity,stage,channel,touch,outcome,amount,segment,source,owner'

run "$FUNNEL" gen --entities 500 --seed 3
cp "$T/out" "$T/a.csv"
run "$FUNNEL" gen --entities 500 --seed 3
expect_rc gen_ok 0
if [ "$(wc -l <"$T/a.csv")" -gt 1000 ]; then
    expect_same gen_deterministic "$T/a.csv" "$T/out"
else
    fail gen_deterministic "only $(wc -l <"$T/a.csv") lines"
fi

if [ "$(head -n 1 "$T/a.csv")" = "$HEADER" ]; then pass gen_header; else
    fail gen_header "got '$(head -n 1 "$T/a.csv")'"; fi

run "$FUNNEL" gen --entities 500 --seed 4
if ! cmp -s "$T/a.csv" "$T/out"; then pass gen_seed_changes_output; else
    fail gen_seed_changes_output "seeds 3 and 4 gave the same bytes"; fi

# --opt=V means --opt V.
run "$FUNNEL" gen --entities=500 --seed=3
if [ -s "$T/out" ]; then expect_same gen_equals_form "$T/a.csv" "$T/out"; else
    fail gen_equals_form "no output"; fi

# Every row: 10 fields, a UTC time in 2026, an 8-digit entity.
rows=$(($(wc -l <"$T/a.csv") - 1))
bad=$(tail -n +2 "$T/a.csv" | grep -cvE '^2026-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z,E[0-9]{8},[a-z]+,(marketing|sales),[a-z_]+,(lost)?,([0-9]+\.[0-9]{2})?,[a-z-]+,[a-z_]+,[a-z.]+$')
if [ "$rows" -gt 0 ] && [ "$bad" -eq 0 ]; then pass gen_row_shape; else
    fail gen_row_shape "$rows rows, $bad bad, e.g. $(tail -n +2 "$T/a.csv" | grep -vE '^2026-.*Z,E[0-9]{8},' | head -1)"; fi

run "$FUNNEL" gen --entities 2000 --events 30000 --seed 9
n=$(($(wc -l <"$T/out") - 1))
if [ "$n" -ge 29100 ] && [ "$n" -le 30900 ]; then pass gen_events_total; else
    fail gen_events_total "$n rows for --events 30000"; fi

for args in "--entities 0" "--entities 100000001" "--entities abc" "--entities 5x" \
            "--entities -5" "--entities=" "--entities" "--days 0" "--days 36501" \
            "--events -1" "--events 2000000001" "--seed 18446744073709551616" \
            "--start 2026-02-30" "--start 2026-1-01" "--start 1767225600" \
            "--bogus" "extra" "-o"; do
    # shellcheck disable=SC2086
    run "$FUNNEL" gen $args
    expect_rc "gen_usage_error[$(echo "$args" | tr " " _)]" 2
done
expect_err gen_usage_hint "Try 'funnel gen --help'"

run "$FUNNEL" gen --help
expect_rc gen_help_rc 0
expect_out gen_help_text "usage: funnel gen"
expect_out gen_help_columns "$HEADER"

mkdir "$T/dir"
run "$FUNNEL" gen --entities 500 --seed 3 -o "$T/dir/x.csv"
expect_rc gen_output_rc 0
if [ -s "$T/out" ]; then fail gen_output_quiet "stdout not empty"; else pass gen_output_quiet; fi
expect_same gen_output_file "$T/a.csv" "$T/dir/x.csv"
if [ "$(ls "$T/dir")" = "x.csv" ]; then pass gen_output_no_temp; else
    fail gen_output_no_temp "left: $(ls "$T/dir" | tr '\n' ' ')"; fi
run "$FUNNEL" gen --entities 500 --seed 3 --output="$T/dir/y.csv"
expect_same gen_output_long "$T/a.csv" "$T/dir/y.csv"

run "$FUNNEL" gen --entities 10 -o "$T/missing/x.csv"
expect_rc gen_output_bad_dir 5
expect_err gen_output_bad_dir_msg "$T/missing/x.csv"

# A reader that stops early: SIGPIPE ends gen quietly; with SIGPIPE ignored
# the write fails and gen exits 5 with a message, never a crash.
("$FUNNEL" gen --entities 200000 2>"$T/err"; echo $? >"$T/rc") | head -n 1 >/dev/null
rc=$(cat "$T/rc")
if [ "$rc" -eq 141 ] || [ "$rc" -eq 0 ] || [ "$rc" -eq 5 ]; then pass gen_closed_pipe; else
    fail gen_closed_pipe "exit $rc: $(head -c 200 "$T/err")"; fi
(trap '' PIPE; "$FUNNEL" gen --entities 200000 2>"$T/err"; echo $? >"$T/rc") | head -n 1 >/dev/null
rc=$(cat "$T/rc")
if [ "$rc" -eq 5 ] && grep -q 'standard output' "$T/err"; then pass gen_closed_pipe_ignored; else
    fail gen_closed_pipe_ignored "exit $rc: $(head -c 200 "$T/err")"; fi
