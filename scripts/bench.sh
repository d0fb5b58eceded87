#!/usr/bin/env bash
# bench.sh FUNNEL - the throughput, memory and size benchmark (`make bench`).
#
# Generates BENCH_EVENTS events (default 10,000,000) over BENCH_ENTITIES
# entities (default 1,000,000) with `funnel gen --seed 7 --days 365` into
# .bench/events.csv (kept and reused while the sizes and gen's output match), then times with
# /usr/bin/time (wall seconds, peak RSS):
#   gzip -6 and zcat of the CSV           the yardstick for append and size
#   funnel append -q (fresh log)          best of 2
#   funnel replay -o report.json          best of 5 with --threads 1 and
#                                         with every core, in turn (the
#                                         reports must be byte-identical),
#                                         and gzip -6 alone and on every
#                                         core at once (the machine's own
#                                         scaling)
#   DuckDB on the CSV and on Parquet      best of 3 each, 2 threads, through
#                                         scripts/bench_duckdb.mjs (needs npm;
#                                         skipped with a notice without it)
#   ClickHouse on Parquet                 best of 3, 2 threads, in-process
#                                         through the npm package chdb
#                                         (scripts/bench_clickhouse.mjs)
# checks that DuckDB's and ClickHouse's numbers equal report.json
# (scripts/bench_compare.mjs),
# then does the same (gzip -6, append, replay, Parquet size) on data set 2,
# the same number of events made by scripts/bench_altgen.awk instead of
# funnel gen (random entity ids, times only roughly in order: the targets
# are judged on such data too, docs/BENCHMARKS.md "Targets"), and prints
# markdown tables, the ratios and the targets for both, also written to
# .bench/results.md.
#
# Exit status: 0 even when a target is missed (this is a benchmark, not a
# test); 1 when a command fails or DuckDB's numbers differ from funnel's;
# 2 on bad usage.
#
# Environment: BENCH_EVENTS, BENCH_ENTITIES (sizes, e.g. 200000 and 20000 for
# a quick run), BENCH_DUCKDB=0 (skip DuckDB), BENCH_DUCKDB_THREADS (default 2),
# BENCH_CLICKHOUSE=0 (skip ClickHouse), BENCH_CLICKHOUSE_THREADS (default 2),
# BENCH_THREADS (funnel's threads for the many-core replay; default nproc),
# BENCH_ALT=0 (skip data set 2), BENCH_BIG=1 (also one append of
# BENCH_BIG_EVENTS events, default 100,000,000, streamed from funnel gen:
# its peak RSS; see the section at the end).
set -eu

if [ $# -ne 1 ]; then
    echo "usage: scripts/bench.sh FUNNEL" >&2
    exit 2
fi
export LC_ALL=C TZ=UTC

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRIPTS=$ROOT/scripts
case $1 in
    /*) FUNNEL=$1 ;;
    *) FUNNEL=$PWD/$1 ;;
esac
EVENTS=${BENCH_EVENTS:-10000000}
ENTITIES=${BENCH_ENTITIES:-1000000}
SEED=7
DAYS=365
WANT_DUCKDB=${BENCH_DUCKDB:-1}
export BENCH_DUCKDB_THREADS=${BENCH_DUCKDB_THREADS:-2}
export BENCH_CLICKHOUSE_THREADS=${BENCH_CLICKHOUSE_THREADS:-2}
WANT_CLICKHOUSE=${BENCH_CLICKHOUSE:-1}
THREADS=${BENCH_THREADS:-$(nproc)}
TIME=/usr/bin/time
B=$ROOT/.bench

die() {
    echo "bench: $*" >&2
    exit 1
}
note() { echo "== $*" >&2; }

[ -x "$FUNNEL" ] || die "$FUNNEL is not an executable"
[ -x "$TIME" ] || die "$TIME (GNU time) is needed: apt-get install time"
case $EVENTS$ENTITIES in
    *[!0-9]*) die "BENCH_EVENTS and BENCH_ENTITIES must be whole numbers" ;;
esac
mkdir -p "$B"
cd "$B"

# calc AWK-EXPRESSION: print the value of a floating-point expression.
calc() { awk "BEGIN { print ($1) }"; }
# fmt PRINTF-FORMAT AWK-EXPRESSION
fmt() { awk "BEGIN { printf \"$1\", $2 }"; }
size_of() { stat -c %s "$1"; }

# timed CMD... : run CMD once under GNU time (redirections apply to CMD);
# sets WALL (s), RSS (KB) and CPU (user+sys s).  A failing CMD ends the run.
# The wall time is bash's clock around it, to the millisecond: GNU time's
# %e has 10 ms steps, a twentieth of a 2-thread replay, too coarse for the
# ratios judged below.
timed() {
    local t0=$EPOCHREALTIME t1
    if ! "$TIME" -f '%e %M %U %S' -o "$B/time.out" "$@"; then
        echo "bench: command failed: $*" >&2
        sed 's/^/  /' "$B/time.out" >&2
        exit 1
    fi
    t1=$EPOCHREALTIME
    local u s e
    # The numbers are on the last line (a note may come before them).
    read -r e RSS u s < <(tail -n 1 "$B/time.out")
    WALL=$(fmt '%.3f' "$t1 - $t0")
    CPU=$(calc "$u + $s")
}

# keep_best: after a timed run, keep the lowest wall time (with its CPU time)
# and the highest peak RSS of the runs since best_reset.
best_reset() { BEST_WALL=; BEST_CPU=; BEST_RSS=0; }
keep_best() {
    if [ -z "$BEST_WALL" ] || [ "$(calc "$WALL < $BEST_WALL")" = 1 ]; then
        BEST_WALL=$WALL
        BEST_CPU=$CPU
    fi
    if [ "$RSS" -gt "$BEST_RSS" ]; then BEST_RSS=$RSS; fi
}
# best_of N FILE CMD...: time CMD N times, FILE removed before each run
# ("-": none), keeping the best as keep_best does.
best_of() {
    local n=$1 clean=$2 k
    shift 2
    best_reset
    for ((k = 0; k < n; k++)); do
        [ "$clean" = - ] || rm -f "$clean"
        timed "$@"
        keep_best
    done
}

# Rows of the table: step|wall|events/s|rss MB|bytes, one per line.
ROWS=$B/rows.txt
: >"$ROWS"
rate() { if [ "$(calc "$1 > 0")" = 1 ]; then fmt '%.0f' "$NEV / $1"; else echo '-'; fi; }
mb() { fmt '%.1f' "$1 / 1024"; }
row() { echo "$1|$2|$3|$4|$5" >>"$ROWS"; }

# ---- the data ------------------------------------------------------------

# The cached CSV is reused only when funnel gen would write the same rows:
# the sizes, and a checksum of a small sample of its output (a gen that
# changed its rows changes it).
GENSUM=$("$FUNNEL" gen --entities 50 --seed "$SEED" --days 30 | cksum | cut -d' ' -f1)
PARAMS="entities=$ENTITIES events=$EVENTS seed=$SEED days=$DAYS gen=$GENSUM"
if [ -f events.csv ] && [ -f events.params ] && [ "$(cat events.params)" = "$PARAMS" ]; then
    note "reusing .bench/events.csv ($PARAMS)"
    GEN_WALL=
else
    note "generating .bench/events.csv ($PARAMS)"
    rm -f events.csv events.params
    timed "$FUNNEL" gen --entities "$ENTITIES" --events "$EVENTS" --seed "$SEED" \
        --days "$DAYS" -o events.csv
    echo "$PARAMS" >events.params
    GEN_WALL=$WALL GEN_RSS=$RSS
fi
NEV=$(($(wc -l <events.csv) - 1))
CSV_BYTES=$(size_of events.csv)
note "$NEV events, $CSV_BYTES bytes of CSV"
if [ -n "$GEN_WALL" ]; then
    row "funnel gen (not counted)" "$GEN_WALL" "$(rate "$GEN_WALL")" "$(mb "$GEN_RSS")" "$CSV_BYTES"
else
    row "funnel gen (reused: not run)" "-" "-" "-" "$CSV_BYTES"
fi

# ---- gzip, the yardstick -------------------------------------------------

note "gzip -6"
timed gzip -6 -c events.csv >events.csv.gz
GZIP_WALL=$WALL
GZ_BYTES=$(size_of events.csv.gz)
row "gzip -6 (CSV to .gz)" "$WALL" "$(rate "$WALL")" "$(mb "$RSS")" "$GZ_BYTES"

note "zcat"
timed zcat events.csv.gz >/dev/null
row "zcat (.gz to /dev/null)" "$WALL" "$(rate "$WALL")" "$(mb "$RSS")" "-"

# ---- funnel --------------------------------------------------------------

note "funnel append, best of 2"
best_of 2 bench.flog "$FUNNEL" append -q bench.flog events.csv
APPEND_WALL=$BEST_WALL
APPEND_CPU=$BEST_CPU
LOG_BYTES=$(size_of bench.flog)
row "funnel append" "$BEST_WALL" "$(rate "$BEST_WALL")" "$(mb "$BEST_RSS")" "$LOG_BYTES"

# replay_pairs N LOG OUT1 OUTN: replay LOG with --threads 1 and with
# --threads $THREADS in turn, N times each, keeping the best of each: taken
# in turn, both see the same moods of the machine, which drift over minutes
# (docs/BENCHMARKS.md "Spread between runs").  Sets R1_WALL R1_CPU R1_RSS
# and RN_WALL RN_CPU RN_RSS; the two reports must be byte-identical.
replay_pairs() {
    local n=$1 log=$2 out1=$3 outn=$4 k
    R1_WALL='' R1_CPU='' R1_RSS=0 RN_WALL='' RN_CPU='' RN_RSS=0
    for ((k = 0; k < n; k++)); do
        rm -f "$out1" "$outn"
        best_reset
        if [ -n "$R1_WALL" ]; then BEST_WALL=$R1_WALL BEST_CPU=$R1_CPU BEST_RSS=$R1_RSS; fi
        timed "$FUNNEL" replay --threads 1 "$log" -o "$out1"
        keep_best
        R1_WALL=$BEST_WALL R1_CPU=$BEST_CPU R1_RSS=$BEST_RSS
        best_reset
        if [ -n "$RN_WALL" ]; then BEST_WALL=$RN_WALL BEST_CPU=$RN_CPU BEST_RSS=$RN_RSS; fi
        timed "$FUNNEL" replay --threads "$THREADS" "$log" -o "$outn"
        keep_best
        RN_WALL=$BEST_WALL RN_CPU=$BEST_CPU RN_RSS=$BEST_RSS
    done
    cmp -s "$out1" "$outn" || die "$log: replay --threads $THREADS and --threads 1 wrote different reports"
}

note "funnel replay --threads 1 and --threads $THREADS in turn, best of 5 each"
replay_pairs 5 bench.flog report1.json report.json
REPLAY1_WALL=$R1_WALL REPLAY1_CPU=$R1_CPU REPLAY1_RSS=$R1_RSS
REPLAY_WALL=$RN_WALL REPLAY_CPU=$RN_CPU REPLAY_RSS=$RN_RSS
row "funnel replay --threads 1" "$REPLAY1_WALL" "$(rate "$REPLAY1_WALL")" "$(mb "$REPLAY1_RSS")" "-"
row "funnel replay --threads $THREADS" "$REPLAY_WALL" "$(rate "$REPLAY_WALL")" "$(mb "$REPLAY_RSS")" "-"

# The machine's own scaling, the ceiling of replay's: one compute-bound job
# (gzip -6 of the CSV's first 32 MiB, from the page cache) alone, then
# $THREADS copies at once, best of 3 each; $THREADS x alone / together is
# how much more work $THREADS busy cores do than one, here and now.  On the
# guests measured, cores slow each other by up to a fifth (docs/BENCHMARKS.md
# "Replay threads").
note "the machine: gzip -6 alone, then $THREADS at once, best of 3 each"
head -c 33554432 events.csv >probe.bin
best_of 3 - sh -c 'exec gzip -6 -c probe.bin >/dev/null'
PROBE1_WALL=$BEST_WALL
best_of 3 - sh -c 'for k in $(seq "$1"); do gzip -6 -c probe.bin >/dev/null & done; wait' - "$THREADS"
PROBEN_WALL=$BEST_WALL
rm -f probe.bin
CORES_SCALE=$(fmt '%.2f' "$THREADS * $PROBE1_WALL / ($PROBEN_WALL > 0 ? $PROBEN_WALL : 1)")

# ---- the entity list (docs/METRICS.md §4.21): every counted entity as CSV ----
note "funnel entities --threads $THREADS -o /dev/null, best of 3"
best_of 3 - "$FUNNEL" entities --threads "$THREADS" bench.flog -o /dev/null
row "funnel entities --threads $THREADS" "$BEST_WALL" "$(rate "$BEST_WALL")" "$(mb "$BEST_RSS")" "-"

# ---- the nightly page (docs/CHARTS.md, "The page"): the replay, the fold
# for the stuck deals and freshness, the replay one period earlier for the
# cards' changes, the charts (gnuplot) and the page; against replay alone.
if command -v gnuplot >/dev/null 2>&1; then
    note "funnel report --threads $THREADS -o site, best of 3"
    best_of 3 - sh -c 'rm -rf site site.v && exec "$@"' - "$FUNNEL" report --threads "$THREADS" bench.flog -o site
    REPORT_WALL=$BEST_WALL
    row "funnel report --threads $THREADS (page and charts)" "$BEST_WALL" "$(rate "$BEST_WALL")" "$(mb "$BEST_RSS")" "-"
else
    note "gnuplot is not installed: funnel report is not timed"
    REPORT_WALL=
fi

# ---- breakdowns, cohorts and trend (docs/METRICS.md §4.15-§4.18) ----------
# The same gen with a campaign column of 1,000 values, replayed plain and
# with --by campaign --cohort week --trend week, one thread each.
BYPARAMS="$PARAMS campaigns=1000"
if [ -f by.flog ] && [ -f by.params ] && [ "$(cat by.params)" = "$BYPARAMS" ]; then
    note "reusing .bench/by.flog ($BYPARAMS)"
else
    note "generating .bench/by.flog ($BYPARAMS, gen | append)"
    rm -f by.flog by.params
    "$FUNNEL" gen --entities "$ENTITIES" --events "$EVENTS" --seed "$SEED" --days "$DAYS" \
        --campaigns 1000 | "$FUNNEL" append -q by.flog - || die "appending the breakdown data failed"
    echo "$BYPARAMS" >by.params
fi
note "breakdown data: replay --threads 1 plain, then with --by campaign --cohort week --trend week, best of 5"
best_of 5 by_plain.json "$FUNNEL" replay --threads 1 by.flog -o by_plain.json
BYP_WALL=$BEST_WALL BYP_RSS=$BEST_RSS
row "funnel replay --threads 1, data with campaigns" "$BEST_WALL" "$(rate "$BEST_WALL")" "$(mb "$BEST_RSS")" "-"
best_of 5 by.json "$FUNNEL" replay --threads 1 by.flog --by campaign --cohort week --trend week -o by.json
BYG_WALL=$BEST_WALL BYG_RSS=$BEST_RSS
row "funnel replay --threads 1 --by campaign --cohort week --trend week" "$BEST_WALL" "$(rate "$BEST_WALL")" \
    "$(mb "$BEST_RSS")" "-"
# Groups with a block of their own: breakdown groups and cohorts (every
# block has one "entities" line; the report's own is the first).
BY_GROUPS=$(($(grep -c '"entities":' by.json) - 1))
NSTAGES=$(grep -c '"conversion_from_start":' by_plain.json)

# entities in the report: jq if there is one, else the line jansson writes.
if command -v jq >/dev/null 2>&1; then
    REPORT_ENTITIES=$(jq -e '.entities' report.json) || die "report.json has no entities"
else
    REPORT_ENTITIES=$(sed -n 's/^  "entities": \([0-9]*\),*$/\1/p' report.json)
    [ -n "$REPORT_ENTITIES" ] || die "report.json has no entities"
fi

# ---- DuckDB --------------------------------------------------------------

DUCK=0
DUCK_WHY=
AGREE=skipped
if [ "$WANT_DUCKDB" = 0 ]; then
    DUCK_WHY="BENCH_DUCKDB=0"
elif ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    DUCK_WHY="npm or node is missing"
elif [ -f node/node_modules/@duckdb/node-api/package.json ]; then
    DUCK=1
else
    note "installing @duckdb/node-api into .bench/node"
    if npm install --prefix node --no-audit --no-fund --loglevel=error @duckdb/node-api >&2; then
        DUCK=1
    else
        DUCK_WHY="npm install @duckdb/node-api failed"
    fi
fi
# ClickHouse reads the Parquet file DuckDB writes, so it needs DuckDB too.
# chdb's package ships libchdb; npm warns about an install script that does
# nothing here.
CH=0
CH_WHY=
CH_AGREE=skipped
if [ "$WANT_CLICKHOUSE" = 0 ]; then
    CH_WHY="BENCH_CLICKHOUSE=0"
elif [ "$DUCK" != 1 ]; then
    CH_WHY="no Parquet file without DuckDB ($DUCK_WHY)"
elif [ -f node/node_modules/chdb/package.json ]; then
    CH=1
else
    note "installing chdb (in-process ClickHouse) into .bench/node"
    if npm install --prefix node --no-audit --no-fund --loglevel=error chdb >&2; then
        CH=1
    else
        CH_WHY="npm install chdb failed"
    fi
fi
export BENCH_NODE_DIR=$B/node

if [ "$DUCK" = 1 ]; then
    DUCK_VERSION=$(sed -n 's/^ *"version": "\(.*\)",*$/\1/p' node/node_modules/@duckdb/node-api/package.json | head -n 1)
    note "duckdb: CSV to Parquet (zstd), once"
    rm -f events.parquet
    timed node "$SCRIPTS/bench_duckdb.mjs" convert events.csv events.parquet >duck_convert.out
    PQ_BYTES=$(size_of events.parquet)
    row "duckdb COPY CSV to Parquet (not counted)" "$WALL" "$(rate "$WALL")" "$(mb "$RSS")" "$PQ_BYTES"

    # duck MODE INPUT: best of 3 node runs, and the best query time inside node.
    duck() {
        local mode=$1 input=$2 q bestq=
        note "duckdb on $mode, best of 3"
        best_reset
        for _ in 1 2 3; do
            timed node "$SCRIPTS/bench_duckdb.mjs" "$mode" "$input" -o "duck_$mode.json" >"duck_$mode.out"
            keep_best
            q=$(sed -n 's/^query_s=//p' "duck_$mode.out")
            [ -n "$q" ] || die "bench_duckdb.mjs $mode printed no query time"
            if [ -z "$bestq" ] || [ "$(calc "$q < $bestq")" = 1 ]; then bestq=$q; fi
        done
        DUCK_WALL=$BEST_WALL
        DUCK_Q=$bestq
        row "duckdb $mode (node process)" "$BEST_WALL" "$(rate "$BEST_WALL")" "$(mb "$BEST_RSS")" \
            "$([ "$mode" = parquet ] && echo "$PQ_BYTES" || echo "$CSV_BYTES")"
        row "duckdb $mode (query only, timed in node)" "$bestq" "$(rate "$bestq")" "-" "-"
    }
    duck csv events.csv
    DCSV_WALL=$DUCK_WALL DCSV_Q=$DUCK_Q
    duck parquet events.parquet
    DPQ_WALL=$DUCK_WALL DPQ_Q=$DUCK_Q

    note "checking DuckDB's numbers against report.json"
    AGREE=yes
    for mode in csv parquet; do
        node "$SCRIPTS/bench_compare.mjs" report.json "duck_$mode.json" "duckdb $mode" \
            >"compare_$mode.txt" || AGREE=no
        cat "compare_$mode.txt" >&2
    done
else
    note "skipping DuckDB: $DUCK_WHY"
fi

# ---- ClickHouse (chdb) ---------------------------------------------------

if [ "$CH" = 1 ]; then
    CH_VERSION=$(node -e 'const {query} = require(process.argv[1]); process.stdout.write(query("SELECT version()", "TSV").trim())' \
                 "$B/node/node_modules/chdb" 2>/dev/null || echo unknown)
    note "clickhouse (chdb $CH_VERSION) on parquet, best of 3"
    best_reset
    CH_Q=
    for _ in 1 2 3; do
        timed node "$SCRIPTS/bench_clickhouse.mjs" events.parquet -o ch_parquet.json >ch_parquet.out
        keep_best
        q=$(sed -n 's/^query_s=//p' ch_parquet.out)
        [ -n "$q" ] || die "bench_clickhouse.mjs printed no query time"
        if [ -z "$CH_Q" ] || [ "$(calc "$q < $CH_Q")" = 1 ]; then CH_Q=$q; fi
    done
    CH_WALL=$BEST_WALL
    row "clickhouse parquet (node process)" "$BEST_WALL" "$(rate "$BEST_WALL")" "$(mb "$BEST_RSS")" "$PQ_BYTES"
    row "clickhouse parquet (query only, timed in node)" "$CH_Q" "$(rate "$CH_Q")" "-" "-"
    note "checking ClickHouse's numbers against report.json"
    CH_AGREE=yes
    node "$SCRIPTS/bench_compare.mjs" report.json ch_parquet.json "clickhouse parquet" \
        >compare_clickhouse.txt || CH_AGREE=no
    cat compare_clickhouse.txt >&2
else
    note "skipping ClickHouse: $CH_WHY"
    CH_WALL='' CH_Q=''
fi

# ---- data set 2: not made by funnel gen ----------------------------------

WANT_ALT=${BENCH_ALT:-1}
ROWS2=$B/rows2.txt
: >"$ROWS2"
if [ "$WANT_ALT" != 0 ]; then
    ALT_PARAMS="n=$EVENTS m=$ENTITIES"
    if ! [ -f alt.csv ] || ! [ -f alt.params ] || [ "$(cat alt.params)" != "$ALT_PARAMS" ]; then
        note "generating .bench/alt.csv with bench_altgen.awk ($ALT_PARAMS)"
        rm -f alt.csv alt.params
        awk -v n="$EVENTS" -v m="$ENTITIES" -f "$SCRIPTS/bench_altgen.awk" >alt.csv || die "bench_altgen.awk failed"
        echo "$ALT_PARAMS" >alt.params
    fi
    NEV1=$NEV
    NEV=$(($(wc -l <alt.csv) - 1))   # rate() divides NEV
    ALT_NEV=$NEV
    ALT_CSV_BYTES=$(size_of alt.csv)
    echo "the CSV (bench_altgen.awk, not timed)|-|-|-|$ALT_CSV_BYTES" >>"$ROWS2"
    note "data set 2: gzip -6"
    timed gzip -6 -c alt.csv >alt.csv.gz
    ALT_GZIP_WALL=$WALL
    ALT_GZ_BYTES=$(size_of alt.csv.gz)
    echo "gzip -6 (CSV to .gz)|$WALL|$(rate "$WALL")|$(mb "$RSS")|$ALT_GZ_BYTES" >>"$ROWS2"
    note "data set 2: funnel append, best of 2"
    best_of 2 alt.flog "$FUNNEL" append -q alt.flog alt.csv
    ALT_APPEND_WALL=$BEST_WALL
    ALT_LOG_BYTES=$(size_of alt.flog)
    echo "funnel append|$BEST_WALL|$(rate "$BEST_WALL")|$(mb "$BEST_RSS")|$ALT_LOG_BYTES" >>"$ROWS2"
    note "data set 2: funnel replay --threads 1 and --threads $THREADS in turn, best of 5 each"
    replay_pairs 5 alt.flog alt_report1.json alt_report.json
    ALT_REPLAY_WALL=$R1_WALL ALT_REPLAY_CPU=$R1_CPU ALT_REPLAY_RSS=$R1_RSS
    ALT_REPLAYN_WALL=$RN_WALL ALT_REPLAYN_RSS=$RN_RSS
    echo "funnel replay --threads 1|$R1_WALL|$(rate "$R1_WALL")|$(mb "$R1_RSS")|-" >>"$ROWS2"
    echo "funnel replay --threads $THREADS|$RN_WALL|$(rate "$RN_WALL")|$(mb "$RN_RSS")|-" >>"$ROWS2"
    ALT_ENTITIES=$(sed -n 's/^  "entities": \([0-9]*\),*$/\1/p' alt_report.json)
    ALT_PQ=
    if [ "$DUCK" = 1 ]; then
        note "data set 2: duckdb CSV to Parquet (zstd), for its size"
        rm -f alt.parquet
        timed node "$SCRIPTS/bench_duckdb.mjs" convert alt.csv alt.parquet >duck_convert2.out
        ALT_PQ=$(size_of alt.parquet)
        echo "duckdb COPY CSV to Parquet (not counted)|$WALL|$(rate "$WALL")|$(mb "$RSS")|$ALT_PQ" >>"$ROWS2"
    fi
    NEV=$NEV1
fi

# ---- the report ----------------------------------------------------------

# ratio A B: A / B to two decimals, or n/a when either is missing or B is 0.
ratio() {
    if [ -n "$1" ] && [ -n "$2" ] && [ "$(calc "$2 > 0")" = 1 ]; then fmt '%.2f' "$1 / $2"; else echo 'n/a'; fi
}
# times A B: A / B as "N.NNx", or n/a.
times() { local r; r=$(ratio "$1" "$2"); [ "$r" = n/a ] && echo n/a || echo "${r}x"; }
# nonzero WALL: WALL, or "n/a" when it is 0 (too fast for GNU time).
nonzero() { if [ "$(calc "$1 > 0")" = 1 ]; then echo "$1"; else echo n/a; fi; }
# met AWK-CONDITION: "met" or "MISSED"; "n/a" when a measurement in it is
# "-" or "n/a" (too fast to time).
met() {
    case $1 in
        *-\ *|*n/a*) echo n/a ;;
        *) if [ "$(calc "($1) ? 1 : 0")" = 1 ]; then echo met; else echo MISSED; fi ;;
    esac
}

# targets REPLAY1_RATE RSS_B RSS_TARGET LOG PARQUET GZ APPEND_RATE GZIP_WALL APPEND_WALL
#         REPLAY1_WALL REPLAYN_WALL: the targets (docs/BENCHMARKS.md) as a
# markdown table (PARQUET may be empty).  REPLAY1 is --threads 1, judged on
# one core; RSS_B is the peak of the run with all threads.
targets() {
    echo "| target | measured | |"
    echo "| --- | --- | --- |"
    echo "| replay >= 25M events/s on one core | $1 events/s | $(met "$1 >= 25000000") |"
    echo "| replay with $THREADS threads >= 1.7x faster than with 1 | $(times "${10}" "${11}") | $(met "${10} >= 1.7 * $(nonzero "${11}")") |"
    echo "| replay RSS ($THREADS threads) <= 100 B/entity + 64 MiB | $2 <= $3 bytes | $(met "$2 <= $3") |"
    if [ -n "$5" ]; then
        echo "| log <= 3/4 of Parquet | $4 vs $5 bytes ($(ratio "$4" "$5")) | $(met "$4 * 4 <= $5 * 3") |"
    else
        echo "| log <= 3/4 of Parquet | no Parquet ($DUCK_WHY) | n/a |"
    fi
    echo "| log <= 1/2 of gzip -6 | $4 vs $6 bytes ($(ratio "$4" "$6")) | $(met "$4 * 2 <= $6") |"
    echo "| append >= 1.5M events/s | $7 events/s | $(met "$7 >= 1500000") |"
    echo "| append >= 3x faster than gzip -6 | $(times "$8" "$9") | $(met "$8 >= 3 * $(nonzero "$9")") |"
}

MIB=1048576
RSS_TARGET=$((100 * REPORT_ENTITIES + 64 * MIB))
REPLAY_RSS_B=$((REPLAY_RSS * 1024))
# "On one core": a replay that used more than one core is judged by its CPU time.
REPLAY_ONE_CORE=$(calc "($REPLAY1_CPU > $REPLAY1_WALL) ? $REPLAY1_CPU : $REPLAY1_WALL")
REPLAY_RATE=$(rate "$REPLAY_ONE_CORE")
APPEND_RATE=$(rate "$APPEND_WALL")
if [ "$DUCK" = 1 ]; then PQ=$PQ_BYTES; else PQ='' DCSV_WALL='' DCSV_Q='' DPQ_WALL='' DPQ_Q=''; fi

{
    echo "# funnel benchmark"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- funnel: $("$FUNNEL" --version)"
    echo "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
         "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory"
    echo "- tools: $(gzip --version | head -n 1), node $(node --version 2>/dev/null || echo missing)," \
         "duckdb $(if [ "$DUCK" = 1 ]; then echo "$DUCK_VERSION (threads=$BENCH_DUCKDB_THREADS)"; else echo "skipped: $DUCK_WHY"; fi)," \
         "clickhouse $(if [ "$CH" = 1 ]; then echo "$CH_VERSION via chdb (max_threads=$BENCH_CLICKHOUSE_THREADS)"; else echo "skipped: $CH_WHY"; fi)"
    echo "- data: funnel gen --entities $ENTITIES --events $EVENTS --seed $SEED --days $DAYS:" \
         "$NEV events, $REPORT_ENTITIES entities in the report"
    echo
    echo "| step | wall s | events/s | peak RSS MB | bytes on disk |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    while IFS='|' read -r step wall evs rss bytes; do
        echo "| $step | $wall | $evs | $rss | $bytes |"
    done <"$ROWS"
    echo
    echo "Best of 5 for replay (1 and $THREADS threads in turn), best of 3 for DuckDB and ClickHouse, best of 2"
    echo "for append, one run otherwise; wall times to the millisecond; peak RSS is the highest of the runs."
    echo
    echo "## Ratios"
    echo
    echo "- replay speedup vs DuckDB Parquet: $(times "$DPQ_WALL" "$REPLAY_WALL")" \
         "(query only: $(times "$DPQ_Q" "$REPLAY_WALL"))"
    echo "- replay speedup vs DuckDB CSV: $(times "$DCSV_WALL" "$REPLAY_WALL")" \
         "(query only: $(times "$DCSV_Q" "$REPLAY_WALL"))"
    echo "- replay speedup vs ClickHouse Parquet: $(times "$CH_WALL" "$REPLAY_WALL")" \
         "(query only: $(times "$CH_Q" "$REPLAY_WALL"))"
    echo "- replay speedup, $THREADS threads vs 1: $(times "$REPLAY1_WALL" "$REPLAY_WALL")" \
         "(the machine: $THREADS copies of gzip -6 at once do ${CORES_SCALE}x the work of one," \
         "$PROBE1_WALL s alone, $PROBEN_WALL s together)"
    [ -z "$REPORT_WALL" ] ||
        echo "- funnel report (three folds, charts, page) against replay, $THREADS threads: $(times "$REPORT_WALL" "$REPLAY_WALL")"
    echo "- log size / Parquet size: $(ratio "$LOG_BYTES" "$PQ")"
    echo "- log size / gzip -6 size: $(ratio "$LOG_BYTES" "$GZ_BYTES")"
    echo "- append speed vs gzip -6 (gzip time / append time): $(times "$GZIP_WALL" "$APPEND_WALL")"
    echo "- replay peak RSS: $(fmt '%.1f' "$REPLAY_RSS_B / $MIB") MiB vs target" \
         "$(fmt '%.1f' "$RSS_TARGET / $MIB") MiB (100 B/entity + 64 MiB) = $(ratio "$REPLAY_RSS_B" "$RSS_TARGET")" \
         "of the target$(if [ "$REPLAY_RSS_B" -gt $((64 * MIB)) ] && [ "$REPORT_ENTITIES" -gt 0 ]; then
             fmt ' (%.1f B/entity beyond 64 MiB)' "($REPLAY_RSS_B - 64 * $MIB) / $REPORT_ENTITIES"; fi)"
    echo "- CPU time (user+sys) of the best run: append ${APPEND_CPU} s for ${APPEND_WALL} s wall," \
         "replay ${REPLAY_CPU} s for ${REPLAY_WALL} s wall (gzip -6 is single-threaded)"
    echo
    echo "## Targets"
    echo
    targets "$REPLAY_RATE" "$REPLAY_RSS_B" "$RSS_TARGET" "$LOG_BYTES" "$PQ" "$GZ_BYTES" \
        "$APPEND_RATE" "$GZIP_WALL" "$APPEND_WALL" "$REPLAY1_WALL" "$REPLAY_WALL"
    # docs/METRICS.md §4.15-§4.18: at most 2x plain replay, and the memory
    # bound plus 1 KiB per group and stage (O(groups x stages)).
    BY_BOUND=$((100 * REPORT_ENTITIES + 64 * MIB + BY_GROUPS * NSTAGES * 1024))
    echo "| --by (1,000 values) --cohort week --trend week <= 2x plain replay (1 thread) | $(times "$BYG_WALL" "$BYP_WALL") | $(met "$BYG_WALL <= 2 * $(nonzero "$BYP_WALL")") |"
    echo "| its peak RSS <= 100 B/entity + 64 MiB + 1 KiB x $BY_GROUPS groups x $NSTAGES stages | $((BYG_RSS * 1024)) <= $BY_BOUND bytes | $(met "$((BYG_RSS * 1024)) <= $BY_BOUND") |"
    # The peers, judged on their query time alone (without starting node,
    # loading the module or the database): the stricter reading.
    if [ "$DUCK" = 1 ]; then
        echo "| replay >= 10x faster than DuckDB on Parquet ($BENCH_DUCKDB_THREADS threads, query only) | $(times "$DPQ_Q" "$REPLAY_WALL") | $(met "$DPQ_Q >= 10 * $(nonzero "$REPLAY_WALL")") |"
    else
        echo "| replay >= 10x faster than DuckDB on Parquet | skipped: $DUCK_WHY | n/a |"
    fi
    if [ "$CH" = 1 ]; then
        echo "| replay >= 5x faster than ClickHouse on Parquet ($BENCH_CLICKHOUSE_THREADS threads, query only) | $(times "$CH_Q" "$REPLAY_WALL") | $(met "$CH_Q >= 5 * $(nonzero "$REPLAY_WALL")") |"
    else
        echo "| replay >= 5x faster than ClickHouse on Parquet | skipped: $CH_WHY | n/a |"
    fi
    if [ "$WANT_ALT" != 0 ]; then
        echo
        echo "## Data set 2: scripts/bench_altgen.awk"
        echo
        echo "$ALT_NEV events, $ALT_ENTITIES entities in the report; entity ids drawn at random for every"
        echo "row, times jittered by up to an hour (only roughly in order), 10 columns."
        echo
        echo "| step | wall s | events/s | peak RSS MB | bytes on disk |"
        echo "| --- | ---: | ---: | ---: | ---: |"
        while IFS='|' read -r step wall evs rss bytes; do
            echo "| $step | $wall | $evs | $rss | $bytes |"
        done <"$ROWS2"
        echo
        a_one=$(calc "($ALT_REPLAY_CPU > $ALT_REPLAY_WALL) ? $ALT_REPLAY_CPU : $ALT_REPLAY_WALL")
        a_rate=$(fmt '%.0f' "$ALT_NEV / $a_one")
        a_app=$(fmt '%.0f' "$ALT_NEV / $(nonzero "$ALT_APPEND_WALL")")
        targets "$a_rate" "$((ALT_REPLAYN_RSS * 1024))" "$((100 * ALT_ENTITIES + 64 * MIB))" \
            "$ALT_LOG_BYTES" "$ALT_PQ" "$ALT_GZ_BYTES" "$a_app" "$ALT_GZIP_WALL" "$ALT_APPEND_WALL" \
            "$ALT_REPLAY_WALL" "$ALT_REPLAYN_WALL"
    fi
    echo
    echo "duckdb agrees with funnel: $AGREE"
    echo "clickhouse agrees with funnel: $CH_AGREE"
} >results.md

# ---- BENCH_BIG=1: one batch of BENCH_BIG_EVENTS events ---------------------
# Append memory must not grow with the batch (docs/FORMAT.md §9 step 4,
# docs/RELIABILITY.md "append memory"): BENCH_BIG_EVENTS events (default
# 100,000,000) over BENCH_ENTITIES entities, streamed from funnel gen through
# a FIFO into one append of a fresh log (no CSV on disk; the log, ~5 bytes
# an event, is deleted after).  Reports wall time, events/s and the peak RSS
# of the append alone.  Not part of the default run: it takes ~8 minutes.
if [ "${BENCH_BIG:-0}" = 1 ]; then
    BIG_EVENTS=${BENCH_BIG_EVENTS:-100000000}
    case $BIG_EVENTS in '' | *[!0-9]*) die "BENCH_BIG_EVENTS must be a whole number" ;; esac
    note "BENCH_BIG: one append of $BIG_EVENTS events streamed from funnel gen"
    rm -f big.flog big.fifo
    mkfifo big.fifo
    "$FUNNEL" gen --entities "$ENTITIES" --events "$BIG_EVENTS" --seed $SEED --days $DAYS >big.fifo &
    big_gen=$!
    timed "$FUNNEL" append -q big.flog - <big.fifo
    wait "$big_gen" || die "funnel gen failed"
    "$FUNNEL" verify big.flog >big.verify 2>&1 || die "verify of the big log failed: $(head -c 200 big.verify)"
    BIG_NEV=$(sed -n 's/.*blocks, \([0-9]*\) events,.*/\1/p' big.verify)
    BIG_BYTES=$(size_of big.flog)
    rm -f big.flog big.fifo big.verify
    {
        echo
        echo "## One big batch (BENCH_BIG=1)"
        echo
        echo "\`funnel gen --entities $ENTITIES --events $BIG_EVENTS --seed $SEED --days $DAYS | funnel append -q big.flog -\`"
        echo
        echo "| events | wall s | events/s | append peak RSS MB | log bytes |"
        echo "| ---: | ---: | ---: | ---: | ---: |"
        echo "| $BIG_NEV | $WALL | $(fmt '%.0f' "$BIG_NEV / ($WALL > 0 ? $WALL : 1)") | $(mb "$RSS") | $BIG_BYTES |"
    } >>results.md
fi

cat results.md
if [ "$CH_AGREE" = no ]; then
    echo "bench: ClickHouse's numbers differ from report.json; see .bench/compare_clickhouse.txt" >&2
    exit 1
fi
if [ "$AGREE" = no ]; then
    echo "bench: DuckDB's numbers differ from report.json; see .bench/compare_*.txt" >&2
    exit 1
fi
