# t_properties.sh - properties of the log and the report: order and batching
# do not change the report; cat | append round-trips; a repeated batch counts
# once (however it is spelled) while identical rows all count; cat's header
# and empty log; time zone and locale do not matter.
. "$(dirname "$0")/lib.sh"

# report LOG OUT : two reports (default funnel; a short funnel judged earlier
# with a shorter stale limit) concatenated into OUT.
report() {
    "$FUNNEL" replay "$1" >"$2" 2>"$T/report.err" &&
        "$FUNNEL" replay "$1" --stages suspect,Prospect,interested,engaged \
            --as-of 2026-07-01T12:00:00Z --stale-after 2w >>"$2" 2>>"$T/report.err"
}

# expect_json NAME REPORT JSON : `funnel check REPORT` accepts JSON (a subset
# of a report) as the expected values.
expect_json() {
    printf '%s\n' "$3" >"$T/want.json"
    if "$FUNNEL" check "$2" "$T/want.json" >"$T/check.out" 2>&1; then pass "$1"; else
        fail "$1" "$(head -c 400 "$T/check.out" | tr '\n' ' ')"; fi
}

# batches LOG : the number of batches verify reports.
batches() { "$FUNNEL" verify "$1" 2>/dev/null | sed -n 's/.*ok: \([0-9]*\) batches.*/\1/p'; }

"$FUNNEL" gen --entities 40 --seed 21 >"$T/all.csv"
hdr=$(head -n 1 "$T/all.csv")
tail -n +2 "$T/all.csv" >"$T/rows"
nrows=$(wc -l <"$T/rows")
yes 2>/dev/null | head -c 65536 >"$T/rand"

# --- (a) the same rows shuffled, one batch: a byte-identical report.
"$FUNNEL" append -q "$T/a.flog" "$T/all.csv"
report "$T/a.flog" "$T/a.rep"
{ echo "$hdr"; shuf --random-source="$T/rand" "$T/rows"; } >"$T/shuf.csv"
if cmp -s "$T/shuf.csv" "$T/all.csv"; then fail prop_shuffle_setup "shuf left the order alone"; else
    pass prop_shuffle_setup; fi
"$FUNNEL" append -q "$T/s.flog" "$T/shuf.csv"
report "$T/s.flog" "$T/s.rep"
"$FUNNEL" replay "$T/a.flog" >"$T/a.json"
expect_json prop_report_reads_all "$T/a.json" "{\"events\": {\"read\": $nrows}}"
expect_same prop_shuffled_same_report "$T/a.rep" "$T/s.rep"

# --- (b) the rows in 3 batches (of the shuffled order), appended 3, 1, 2.
k=$((nrows / 3))
{ echo "$hdr"; tail -n +2 "$T/shuf.csv" | sed -n "1,${k}p"; } >"$T/p1.csv"
{ echo "$hdr"; tail -n +2 "$T/shuf.csv" | sed -n "$((k + 1)),$((2 * k))p"; } >"$T/p2.csv"
{ echo "$hdr"; tail -n +2 "$T/shuf.csv" | tail -n +$((2 * k + 1)); } >"$T/p3.csv"
for p in 3 1 2; do "$FUNNEL" append -q "$T/b.flog" "$T/p$p.csv"; done
if [ "$(batches "$T/b.flog")" = 3 ]; then pass prop_three_batches; else
    fail prop_three_batches "verify: $("$FUNNEL" verify "$T/b.flog" 2>&1 | head -c 200)"; fi
report "$T/b.flog" "$T/b.rep"
expect_same prop_rebatched_same_report "$T/a.rep" "$T/b.rep"

# --- (c) cat A | append B - : the same report; cat B is cat A up to row order.
"$FUNNEL" cat "$T/b.flog" >"$T/b.cat"
"$FUNNEL" cat "$T/b.flog" | "$FUNNEL" append -q "$T/c.flog" -
report "$T/c.flog" "$T/c.rep"
expect_same prop_cat_append_same_report "$T/a.rep" "$T/c.rep"
"$FUNNEL" cat "$T/c.flog" >"$T/c.cat"
if [ "$(head -n 1 "$T/b.cat")" = "$hdr" ]; then pass prop_cat_header; else
    fail prop_cat_header "got '$(head -n 1 "$T/b.cat")'"; fi
if [ "$(head -n 1 "$T/c.cat")" = "$hdr" ]; then pass prop_cat_roundtrip_header; else
    fail prop_cat_roundtrip_header "got '$(head -n 1 "$T/c.cat")'"; fi
tail -n +2 "$T/b.cat" | LC_ALL=C sort >"$T/b.sorted"
tail -n +2 "$T/c.cat" | LC_ALL=C sort >"$T/c.sorted"
expect_same prop_cat_roundtrip_rows "$T/b.sorted" "$T/c.sorted"
# ... and cat gives back exactly the rows appended.
LC_ALL=C sort "$T/rows" >"$T/rows.sorted"
expect_same prop_cat_equals_input "$T/rows.sorted" "$T/b.sorted"
# Awkward bytes (quoted CR LF, LF, commas, quotes, spaces, BOM) round-trip
# byte for byte through cat | append | cat.
for f in embedded spaces bom limits; do
    rm -f "$T/x.flog" "$T/y.flog"
    "$FUNNEL" append -q "$T/x.flog" "$FIX/csv/good/$f.csv"
    "$FUNNEL" cat "$T/x.flog" >"$T/x.cat"
    "$FUNNEL" append -q "$T/y.flog" - <"$T/x.cat"
    "$FUNNEL" cat "$T/y.flog" >"$T/y.cat"
    if [ -s "$T/x.cat" ]; then expect_same "prop_cat_roundtrip[$f]" "$T/x.cat" "$T/y.cat"; else
        fail "prop_cat_roundtrip[$f]" "cat printed nothing"; fi
done

# --- (d) a repeated batch counts once, however it is written.
cp "$T/b.flog" "$T/d.flog"
cp "$T/d.flog" "$T/d0.flog"
run "$FUNNEL" append "$T/d.flog" "$T/p1.csv"
expect_rc prop_dup_rc 0
expect_err prop_dup_notice "repeat"
expect_same prop_dup_log_unchanged "$T/d0.flog" "$T/d.flog"
report "$T/d.flog" "$T/d.rep"
expect_same prop_dup_counts_once "$T/a.rep" "$T/d.rep"

# Variants of batch p1 that are still the same batch.
cp "$T/p1.csv" "$T/renamed-batch.csv"
sed 's/$/\r/' "$T/p1.csv" >"$T/crlf.csv"
# Columns in another order, header names in another case.
awk -F, -v OFS=, 'NR == 1 { print "Stage", "OWNER", "Time", "entity", "Amount", "channel", "touch", "Source", "outcome", "segment"; next }
    { print $3, $10, $1, $2, $7, $4, $5, $9, $6, $8 }' "$T/p1.csv" >"$T/reordered.csv"
# Times as Unix seconds, as +01:00 local time, with 't'/'z' in lower case.
awk -F, -v OFS=, '
function dfc(y, m, d,   era, yoe, doy, mp) {   # days from 1970-01-01
    y -= (m <= 2); era = int(y / 400); yoe = y - era * 400
    mp = (m > 2) ? m - 3 : m + 9; doy = int((153 * mp + 2) / 5) + d - 1
    return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
}
function civil(z,   era, doe, yoe, doy, mp, d, m, y) {
    z += 719468; era = int(z / 146097); doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100)); mp = int((5 * doy + 2) / 153)
    d = doy - int((153 * mp + 2) / 5) + 1; m = (mp < 10) ? mp + 3 : mp - 9; y = yoe + era * 400 + (m <= 2)
    return sprintf("%04d-%02d-%02d", y, m, d)
}
NR == 1 { print; next }
{
    t = dfc(substr($1, 1, 4) + 0, substr($1, 6, 2) + 0, substr($1, 9, 2) + 0) * 86400 + \
        substr($1, 12, 2) * 3600 + substr($1, 15, 2) * 60 + substr($1, 18, 2)
    if (NR % 3 == 0) $1 = sprintf("%d", t)
    else if (NR % 3 == 1) {
        u = t + 3600; s = u % 86400
        $1 = sprintf("%s %02d:%02d:%02d+01:00", civil(int(u / 86400)), int(s / 3600), int(s % 3600 / 60), s % 60)
    } else { $1 = substr($1, 1, 10) "t" substr($1, 12, 8) "z" }
    print
}' "$T/p1.csv" >"$T/times.csv"
if grep -q '^[0-9]*,' "$T/times.csv" && grep -q '+01:00,' "$T/times.csv" &&
    ! grep -q '+01:00' "$T/p1.csv"; then pass prop_dup_times_setup; else
    fail prop_dup_times_setup "the rewritten times: $(sed -n 2,4p "$T/times.csv" | tr '\n' ' ')"; fi
# Reordered and rewritten rows (shuffled too) with CR LF: still the batch.
{ head -n 1 "$T/reordered.csv"; tail -n +2 "$T/reordered.csv" | shuf --random-source="$T/rand"; } |
    sed 's/$/\r/' >"$T/reordered-crlf.csv"
for v in renamed-batch crlf reordered times reordered-crlf; do
    run "$FUNNEL" append "$T/d.flog" "$T/$v.csv"
    if [ "$RC" -eq 0 ] && grep -q "repeat" "$T/err" && cmp -s "$T/d0.flog" "$T/d.flog"; then
        pass "prop_dup_variant[$v]"
    else
        fail "prop_dup_variant[$v]" "exit $RC, log $(cmp -s "$T/d0.flog" "$T/d.flog" && echo unchanged || echo CHANGED): $(head -c 300 "$T/err")"
        cp "$T/d0.flog" "$T/d.flog"
    fi
done
# The rewritten times are the same instants: appended alone, same report.
rm -f "$T/t1.flog" "$T/t2.flog"
"$FUNNEL" append -q "$T/t1.flog" "$T/p1.csv" && "$FUNNEL" append -q "$T/t2.flog" "$T/times.csv"
report "$T/t1.flog" "$T/t1.rep"
report "$T/t2.flog" "$T/t2.rep"
expect_same prop_time_forms_same_report "$T/t1.rep" "$T/t2.rep"

# One row more is another batch: appended, no notice.
{ cat "$T/p1.csv"; sed -n 2p "$T/p1.csv"; } >"$T/plus1.csv"
run "$FUNNEL" append "$T/d.flog" "$T/plus1.csv"
if [ "$RC" -eq 0 ] && ! grep -q repeat "$T/err" && [ "$(batches "$T/d.flog")" = 4 ]; then
    pass prop_dup_plus_one_row_appended; else
    fail prop_dup_plus_one_row_appended "exit $RC, $(batches "$T/d.flog") batches: $(head -c 300 "$T/err")"; fi
# One row less too.
head -n -1 "$T/p2.csv" >"$T/minus1.csv"
run "$FUNNEL" append "$T/d.flog" "$T/minus1.csv"
if [ "$RC" -eq 0 ] && ! grep -q repeat "$T/err" && [ "$(batches "$T/d.flog")" = 5 ]; then
    pass prop_dup_minus_one_row_appended; else
    fail prop_dup_minus_one_row_appended "exit $RC, $(batches "$T/d.flog") batches: $(head -c 300 "$T/err")"; fi
# A changed letter case in a kept field is another batch (cat gives it back).
sed '2s/,sales,/,Sales,/; 2s/,marketing,/,Marketing,/' "$T/p3.csv" >"$T/case.csv"
run "$FUNNEL" append "$T/d.flog" "$T/case.csv"
if [ "$RC" -eq 0 ] && ! grep -q repeat "$T/err" && [ "$(batches "$T/d.flog")" = 6 ]; then
    pass prop_dup_case_change_appended; else
    fail prop_dup_case_change_appended "exit $RC, $(batches "$T/d.flog") batches: $(head -c 300 "$T/err")"; fi

# --allow-duplicate appends it; then every event counts twice.
cp "$T/b.flog" "$T/e.flog"
for p in 1 2 3; do
    "$FUNNEL" append -q --allow-duplicate "$T/e.flog" "$T/p$p.csv" 2>"$T/err" ||
        fail "prop_allow_duplicate[$p]" "exit $?: $(head -c 200 "$T/err")"
done
if [ "$(batches "$T/e.flog")" = 6 ]; then pass prop_allow_duplicate_appends; else
    fail prop_allow_duplicate_appends "$(batches "$T/e.flog") batches"; fi
"$FUNNEL" replay "$T/e.flog" >"$T/e.json"
expect_json prop_allow_duplicate_counts "$T/e.json" "{\"events\": {\"read\": $((2 * nrows))}}"
# A third copy (already twice in the log) is still recognised.
run "$FUNNEL" append "$T/e.flog" "$T/p2.csv"
expect_err prop_dup_after_allowed "repeat"

# --- (e) identical rows within a batch all count; across batches too.
printf '%s\n' 'time,entity,stage,channel' '2026-01-05,L1,suspect,marketing' \
    '2026-01-05,L1,suspect,marketing' '2026-01-05,L1,suspect,marketing' >"$T/same.csv"
rm -f "$T/same.flog"
"$FUNNEL" append -q "$T/same.flog" "$T/same.csv"
"$FUNNEL" replay "$T/same.flog" >"$T/same.json"
expect_json prop_identical_rows_count "$T/same.json" '{"events": {"read": 3, "used": 3}, "entities": 1,
    "stages": [{"reached": 1, "touches": {"marketing": 3, "sales": 0}}, {}, {}, {}, {}, {}, {}]}'
{ cat "$T/same.csv"; echo '2026-01-06,L2,suspect,sales'; } >"$T/same2.csv"
"$FUNNEL" append -q "$T/same.flog" "$T/same2.csv"
"$FUNNEL" replay "$T/same.flog" >"$T/same.json"
expect_json prop_identical_rows_across_batches "$T/same.json" '{"events": {"read": 7}}'

# --- (f) cat: an empty log prints the header alone; attribute columns in
# first-seen order and spelling, empty where a batch lacked them.
fixed='time,entity,stage,channel,touch,outcome,amount'
: >"$T/zero.flog"
run "$FUNNEL" cat "$T/zero.flog"
if [ "$RC" -eq 0 ] && [ "$(cat "$T/out")" = "$fixed" ] && [ "$(wc -l <"$T/out")" -eq 1 ]; then
    pass prop_cat_zero_byte_log; else fail prop_cat_zero_byte_log "exit $RC: $(head -c 200 "$T/out" "$T/err")"; fi
rm -f "$T/empty.flog"
"$FUNNEL" append -q "$T/empty.flog" "$FIX/csv/good/header_only.csv"
run "$FUNNEL" cat "$T/empty.flog"
printf '%s\n' "$fixed" >"$T/want"
expect_same prop_cat_empty_log "$T/want" "$T/out"
# ... and replays to a valid report: as_of null, zero counts, null rates.
run "$FUNNEL" replay "$T/empty.flog" --stages a,b
expect_rc prop_replay_empty_log_rc 0
cp "$T/out" "$T/empty.json"
expect_json prop_replay_empty_log "$T/empty.json" '{"schema": "funnel-report/2", "as_of": null,
  "stale_after_s": 2592000, "window_s": null, "skipped": "count",
  "events": {"read": 0, "used": 0, "after_as_of": 0, "unmapped": 0},
  "entities": 0, "outcomes": {"won": 0, "lost": 0, "stale": 0, "open": 0},
  "win_rate": null, "win_rate_ci": null, "win_rate_closed": null, "win_rate_closed_ci": null,
  "drop_out_point": null, "steepest_drop": null,
  "time_to_win": {"count": 0, "mean_s": null, "median_s": null, "p90_s": null},
  "stages": [{"name": "a", "reached": 0, "conversion_from_previous": null, "conversion_from_previous_ci": null,
              "conversion_from_start": null, "conversion_from_start_ci": null,
              "time_in_stage": {"count": 0, "mean_s": null, "median_s": null, "p90_s": null},
              "stale_after_s": 2592000,
              "open": 0, "lost": 0, "stale": 0, "drop_rate": null, "touches": {"marketing": 0, "sales": 0}},
             {"name": "b", "reached": 0, "conversion_from_previous": null, "conversion_from_previous_ci": null,
              "conversion_from_start": null, "conversion_from_start_ci": null,
              "time_in_stage": null, "stale_after_s": 2592000, "open": 0, "lost": 0, "stale": 0, "drop_rate": null,
              "touches": {"marketing": 0, "sales": 0}}],
  "unmapped_stages": [],
  "quality": {"stages": [{"name": "a", "events": 0, "with_event": 0, "skipped": 0},
                         {"name": "b", "events": 0, "with_event": 0, "skipped": 0}],
              "stages_without_events": ["a", "b"], "backwards": 0, "won_then_lost": 0}}'
# A 0-byte log is an empty log too.
run "$FUNNEL" replay "$T/zero.flog" --stages a,b
expect_same prop_replay_zero_byte_log "$T/empty.json" "$T/out"

printf '%s\n' 'time,entity,stage,channel,Segment' '2026-01-05,L1,suspect,marketing,smb' >"$T/att1.csv"
printf '%s\n' 'owner,time,segment,entity,stage,channel' 'ann,2026-01-06,ent,L2,suspect,sales' >"$T/att2.csv"
printf '%s\n' 'time,entity,stage,channel' '2026-01-07,L3,suspect,sales' >"$T/att3.csv"
printf '%s\n' 'time,entity,stage,channel,OWNER,region' '2026-01-08,L4,suspect,sales,bob,emea' >"$T/att4.csv"
rm -f "$T/att.flog"
for i in 1 2 3 4; do "$FUNNEL" append -q "$T/att.flog" "$T/att$i.csv"; done
run "$FUNNEL" cat "$T/att.flog"
printf '%s\n' "$fixed,Segment,owner,region" \
    '2026-01-05T00:00:00Z,L1,suspect,marketing,,,,smb,,' \
    '2026-01-06T00:00:00Z,L2,suspect,sales,,,,ent,ann,' \
    '2026-01-07T00:00:00Z,L3,suspect,sales,,,,,,' \
    '2026-01-08T00:00:00Z,L4,suspect,sales,,,,,bob,emea' >"$T/want"
if [ "$(head -n 1 "$T/out")" = "$fixed,Segment,owner,region" ]; then pass prop_cat_attribute_header; else
    fail prop_cat_attribute_header "got '$(head -n 1 "$T/out")'"; fi
head -n 1 "$T/out" >"$T/got"
tail -n +2 "$T/out" | LC_ALL=C sort >>"$T/got"
expect_same prop_cat_attribute_rows "$T/want" "$T/got"

# --- (g) the time zone and the locale change nothing.
for env in "TZ=Pacific/Chatham" "TZ=America/St_Johns" "LC_ALL=C.UTF-8" "TZ=Pacific/Chatham LC_ALL=C.UTF-8"; do
    case $env in *C.UTF-8*) locale -a 2>/dev/null | grep -qi '^c\.utf-\?8$' || {
        echo "SKIP prop_env[$env]: no C.UTF-8 locale"; continue; } ;; esac
    rm -f "$T/g.flog"
    # shellcheck disable=SC2086
    env $env "$FUNNEL" append -q "$T/g.flog" "$T/times.csv" "$T/p2.csv" "$T/p3.csv"
    # shellcheck disable=SC2086
    env $env sh -c '"$1" replay "$2" && "$1" replay "$2" --stages suspect,Prospect,interested,engaged --as-of 2026-07-01T12:00:00Z --stale-after 2w' \
        sh "$FUNNEL" "$T/g.flog" >"$T/g.rep" 2>/dev/null
    expect_same "prop_env_same_report[$env]" "$T/a.rep" "$T/g.rep"
    # shellcheck disable=SC2086
    env $env "$FUNNEL" replay "$T/b.flog" --text >"$T/g.txt" 2>/dev/null
    "$FUNNEL" replay "$T/b.flog" --text >"$T/u.txt" 2>/dev/null
    expect_same "prop_env_same_text[$env]" "$T/u.txt" "$T/g.txt"
done
