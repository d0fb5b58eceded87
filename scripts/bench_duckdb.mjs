#!/usr/bin/env node
// bench_duckdb.mjs - the funnel report computed by DuckDB, as the baseline
// for scripts/bench.sh.
//
//   node scripts/bench_duckdb.mjs csv     EVENTS.csv     [-o RESULT.json]
//   node scripts/bench_duckdb.mjs parquet EVENTS.parquet [-o RESULT.json]
//   node scripts/bench_duckdb.mjs convert EVENTS.csv EVENTS.parquet
//
// csv/parquet compute the same numbers as `funnel replay` with the default
// funnel (docs/METRICS.md): reached, outcomes per stage, time in stage
// (count, mean, nearest-rank median and p90), time to win and touches per
// channel.  The result is written as JSON shaped like a subset of
// funnel-report/1 (for scripts/bench_compare.mjs), and one line
// "query_s=SECONDS" goes to stdout: the time of the SQL alone, from before
// the first statement to the last row read, without loading the module or
// starting the database.  convert writes the CSV as Parquet (zstd) once.
//
// The CSV is read with explicit types (time TIMESTAMP, the rest VARCHAR) and
// no sniffing.  Environment: BENCH_NODE_DIR is where `npm install --prefix`
// put @duckdb/node-api (default: .bench/node beside this repo's scripts/);
// BENCH_DUCKDB_THREADS (default 2); BENCH_DUCKDB_VERBOSE=1 times each statement.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAGES, STALE_AFTER_S, num, reportOf } from './bench_shape.mjs';

const COLUMNS = ['time', 'entity', 'stage', 'channel', 'touch', 'outcome', 'amount',
                 'segment', 'source', 'owner'];

function usage(msg) {
    process.stderr.write(`bench_duckdb: ${msg}\n` +
        'usage: bench_duckdb.mjs csv|parquet INPUT [-o RESULT.json]\n' +
        '       bench_duckdb.mjs convert INPUT.csv OUTPUT.parquet\n');
    process.exit(2);
}

const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

function csvSource(file) {
    const cols = COLUMNS.map((c) => `${sqlString(c)}: ${c === 'time' ? "'TIMESTAMP'" : "'VARCHAR'"}`);
    return `read_csv(${sqlString(file)}, header = true, auto_detect = false, delim = ',', ` +
           `quote = '"', escape = '"', columns = {${cols.join(', ')}})`;
}

function parquetSource(file) {
    return `read_parquet(${sqlString(file)})`;
}

// The events are read once, into a temporary table of the five columns the
// report needs (stage index s, NULL when unmapped).  From it, a row per
// entity: M(e,j) as m0..m6, T(e,j) as T0..T6, last, lostAt, max stage; and
// the touches per stage and channel.  as_of is the latest time of any event,
// so no event falls after it and neither needs an as_of filter
// (events.after_as_of is 0 by construction).
function loadSqls(source) {
    const n = STAGES.length;
    const stageCase = 'CASE lower(stage) ' +
        STAGES.map((s, i) => `WHEN ${sqlString(s)} THEN ${i}` ).join(' ') + ' END';
    const aggs = [
        'count(*) AS n_read',
        'count(*) FILTER (s IS NULL) AS n_unmapped',
        'max(time) AS t_any',
        'max(time) FILTER (s IS NOT NULL) AS t_last',
        'max(time) FILTER (s IS NOT NULL AND lost) AS t_lost',
        'max(s) AS mx',
    ];
    for (let j = 0; j < n; j++) aggs.push(`min(time) FILTER (s = ${j}) AS t${j}`);
    // Seconds since the epoch; times are whole seconds.
    const secs = (c) => `epoch_ms(${c}) // 1000`;
    const outer = ['n_read', 'n_unmapped', `${secs('t_any')} AS t_any`,
                   `${secs('t_last')} AS last`, `${secs('t_lost')} AS lost_at`, 'mx'];
    // T(e,s) = min over j >= s of M(e,j); least() skips NULLs.
    for (let j = 0; j < n; j++) {
        outer.push(`${secs(`t${j}`)} AS m${j}`);
        const later = [];
        for (let k = j; k < n; k++) later.push(`t${k}`);
        outer.push(`${secs(later.length > 1 ? `least(${later.join(', ')})` : later[0])} AS T${j}`);
    }
    return [
        `CREATE TEMP TABLE ev AS
SELECT time, entity, ${stageCase}::TINYINT AS s,
       lower(channel) = 'sales' AS sales,
       coalesce(lower(outcome) = 'lost', false) AS lost
FROM ${source}`,
        `CREATE TEMP TABLE ent AS
SELECT ${outer.join(',\n       ')}
FROM (SELECT entity,
             ${aggs.join(',\n             ')}
      FROM ev GROUP BY entity)`,
        `CREATE TEMP TABLE touches AS
SELECT s, sales, count(*) AS n FROM ev WHERE s IS NOT NULL GROUP BY ALL`,
        'DROP TABLE ev',
    ];
}

// Everything else reads the small per-entity table.
function reportSqls() {
    const n = STAGES.length, won = n - 1;
    const totals = ['sum(n_read) AS read', 'sum(n_unmapped) AS unmapped',
                    'max(t_any) AS as_of', 'count(mx) AS entities'];
    for (let j = 0; j < n; j++)
        totals.push(`count(*) FILTER (mx >= ${j}) AS reached${j}`);
    const status = `SELECT mx, CASE
      WHEN mx = ${won} THEN 'won'
      WHEN lost_at IS NOT NULL AND lost_at >= last THEN 'lost'
      WHEN (SELECT max(t_any) FROM ent) - last > ${STALE_AFTER_S} THEN 'stale'
      ELSE 'open' END AS status
    FROM ent WHERE mx IS NOT NULL`;
    // Durations: k = 0..n-2 time in stage k, k = n-1 time to win.
    const durs = [];
    for (let j = 0; j < won; j++)
        durs.push(`SELECT ${j} AS k, T${j + 1} - T${j} AS d FROM ent WHERE m${j} IS NOT NULL AND T${j + 1} IS NOT NULL`);
    durs.push(`SELECT ${won} AS k, m${won} - T0 AS d FROM ent WHERE mx = ${won}`);
    // Nearest rank: the value at 1-based rank ceil(p * n), in integers.
    const stats = `SELECT k, n, mean, v[(n * 50 + 99) // 100] AS median, v[(n * 90 + 99) // 100] AS p90
    FROM (SELECT k, count(*) AS n, avg(d) AS mean, list_sort(list(d)) AS v
          FROM (${durs.join('\n          UNION ALL ')})
          GROUP BY k)
    ORDER BY k`;
    return {
        totals: `SELECT ${totals.join(', ')} FROM ent`,
        touches: 'SELECT s, sales, n FROM touches',
        status: `SELECT mx, status, count(*) AS n FROM (${status}) GROUP BY ALL ORDER BY ALL`,
        stats,
    };
}

async function openDuckDB() {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const nodeDir = process.env.BENCH_NODE_DIR || path.join(here, '..', '.bench', 'node');
    const require = createRequire(path.join(path.resolve(nodeDir), 'package.json'));
    let api;
    try {
        api = require('@duckdb/node-api');
    } catch (e) {
        process.stderr.write(`bench_duckdb: cannot load @duckdb/node-api from ${nodeDir}: ${e.message}\n`);
        process.exit(3);
    }
    const instance = await api.DuckDBInstance.create(':memory:');
    const con = await instance.connect();
    const threads = Number(process.env.BENCH_DUCKDB_THREADS || 2);
    await con.run(`SET threads = ${threads}`);
    return con;
}

// BENCH_DUCKDB_VERBOSE=1 prints the time of each statement on stderr.
const verbose = process.env.BENCH_DUCKDB_VERBOSE === '1';
async function timedRun(con, sql, read) {
    const t0 = performance.now();
    const r = read ? (await con.runAndReadAll(sql)).getRowObjectsJS() : await con.run(sql);
    if (verbose)
        process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(3)} s  ${sql.split('\n')[0].slice(0, 70)}\n`);
    return r;
}
const rows = (con, sql) => timedRun(con, sql, true);

async function report(con, source) {
    const q = reportSqls();
    for (const sql of loadSqls(source)) await timedRun(con, sql, false);
    const [t] = await rows(con, q.totals);
    const touches = await rows(con, q.touches);
    const status = await rows(con, q.status);
    const stats = await rows(con, q.stats);
    await timedRun(con, 'DROP TABLE ent; DROP TABLE touches', false);

    const touch = (j, sales) => num(touches.find((r) => Number(r.s) === j && r.sales === sales)?.n) ?? 0;
    const count = (mx, st) => num(status.find((r) => Number(r.mx) === mx && r.status === st)?.n) ?? 0;
    return reportOf(t, stats, touch, count);
}

async function main() {
    const [mode, input, ...rest] = process.argv.slice(2);
    if (!mode || !input) usage('expected a MODE and an INPUT');
    if (mode === 'convert') {
        if (rest.length !== 1) usage('convert needs INPUT.csv and OUTPUT.parquet');
        const con = await openDuckDB();
        const t0 = performance.now();
        await con.run(`COPY (SELECT * FROM ${csvSource(input)}) TO ${sqlString(rest[0])} ` +
                      '(FORMAT parquet, COMPRESSION zstd)');
        console.log(`query_s=${((performance.now() - t0) / 1000).toFixed(3)}`);
        return;
    }
    if (mode !== 'csv' && mode !== 'parquet') usage(`unknown mode '${mode}'`);
    let outFile = null;
    for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '-o' && i + 1 < rest.length) outFile = rest[++i];
        else usage(`unexpected argument '${rest[i]}'`);
    }
    const con = await openDuckDB();
    const t0 = performance.now();
    const result = await report(con, mode === 'csv' ? csvSource(input) : parquetSource(input));
    const secs = (performance.now() - t0) / 1000;
    const text = JSON.stringify(result, null, 2) + '\n';
    if (outFile) writeFileSync(outFile, text);
    else process.stderr.write(text);
    console.log(`query_s=${secs.toFixed(3)}`);
}

main().catch((e) => {
    process.stderr.write(`bench_duckdb: ${e.stack || e}\n`);
    process.exit(1);
});
