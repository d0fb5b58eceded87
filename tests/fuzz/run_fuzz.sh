#!/bin/bash
# run_fuzz.sh SECONDS JOBS TARGET... - run each libFuzzer target (built by
# `make fuzz` into build/fuzz/fuzzers/) for SECONDS, JOBS at a time, over
# its committed corpus tests/fuzz/corpus/TARGET plus a working corpus
# build/fuzz/corpus/TARGET (kept between runs), then merge the inputs that
# add coverage into the committed corpus (-merge=1), re-minimising it when
# it grows past MAX_FILES files or MAX_BYTES bytes.  Prints per target:
# executions, exec/s, coverage (cov: of libFuzzer's last status line), the
# corpus size and crashes (artifacts under build/fuzz/artifacts/TARGET/).
# Exit 1 when any target crashed.
set -u
cd "$(dirname "$0")/../.."
secs=${1:?seconds}; jobs=${2:?jobs}; shift 2
MAX_FILES=${FUZZ_MAX_FILES:-300}
MAX_BYTES=${FUZZ_MAX_BYTES:-2000000}
B=build/fuzz
mkdir -p "$B/logs"

max_len() {
    case $1 in
    chart_quote) echo 1024 ;;
    csvin | jsondiff | rules) echo 16384 ;;
    roundtrip) echo 8192 ;;
    *) echo 65536 ;;
    esac
}

opts() {
    echo "-rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=20 -max_len=$(max_len "$1")"
}

run_one() {
    t=$1
    bin=$B/fuzzers/fuzz_$t
    seeds=tests/fuzz/corpus/$t
    work=$B/corpus/$t
    art=$B/artifacts/$t/
    mkdir -p "$seeds" "$work" "$art"
    touch "$B/logs/$t.start"
    # shellcheck disable=SC2046
    "$bin" $(opts "$t") -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$art" "$work" "$seeds" >"$B/logs/$t.log" 2>&1
    echo $? >"$B/logs/$t.rc"
    # Keep what adds coverage, and the committed corpus small.
    # shellcheck disable=SC2046
    "$bin" $(opts "$t") -merge=1 "$seeds" "$work" >"$B/logs/$t.merge.log" 2>&1
    n=$(find "$seeds" -type f | wc -l)
    bytes=$(du -sb "$seeds" | cut -f1)
    if [ "$n" -gt "$MAX_FILES" ] || [ "$bytes" -gt "$MAX_BYTES" ]; then
        tmp=$B/minimise/$t
        rm -rf "$tmp" && mkdir -p "$tmp"
        # shellcheck disable=SC2046
        "$bin" $(opts "$t") -merge=1 "$tmp" "$seeds" >"$B/logs/$t.minimise.log" 2>&1 &&
            [ "$(find "$tmp" -type f | wc -l)" -gt 0 ] && keep_named "$seeds" "$tmp" &&
            rm -rf "$seeds" && mv "$tmp" "$seeds"
    fi
}

# Named inputs (seed-* from make_seeds.sh, regress-* from crashes found)
# stay in the corpus whatever coverage they add: a crash's input must be
# replayed by every `make test`.  libFuzzer's copy, named by its SHA-1, goes.
keep_named() {
    for f in "$1"/seed-* "$1"/regress-*; do
        [ -f "$f" ] || continue
        cp "$f" "$2/" && rm -f "$2/$(sha1sum "$f" | cut -d' ' -f1)"
    done
}

summary() {
    t=$1
    log=$B/logs/$t.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    crashes=$(find "$B/artifacts/$t" -type f -newer "$B/logs/$t.start" \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
    files=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
    kb=$(( $(du -sb "tests/fuzz/corpus/$t" | cut -f1) / 1024 ))
    printf '%-12s %12s %9s %7s %7s %6s %8s %8s\n' "$t" "${execs:-?}" "${eps:-?}" "${cov:-?}" \
        "${ft:-?}" "$files" "${kb}K" "$crashes"
    [ "$crashes" -eq 0 ] && [ "$(cat "$B/logs/$t.rc")" = 0 ]
}

echo "fuzz: $# targets, $secs s each, $jobs at a time (logs in $B/logs)"
running=0
for t in "$@"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    echo "fuzz: starting $t"
    run_one "$t" &
    running=$((running + 1))
done
wait

printf '%-12s %12s %9s %7s %7s %6s %8s %8s\n' target executions exec/s cov ft corpus size crashes
status=0
for t in "$@"; do
    summary "$t" || status=1
done
if [ $status -ne 0 ]; then
    echo "fuzz: CRASHES: see $B/artifacts/*/ and $B/logs/*.log;" \
         "replay one with $B/fuzzers/fuzz_TARGET FILE"
fi
exit $status
