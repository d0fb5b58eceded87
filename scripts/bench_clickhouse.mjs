#!/usr/bin/env node
// bench_clickhouse.mjs - the funnel report computed by ClickHouse (in-process,
// through the npm package chdb), the second peer of scripts/bench.sh.
//
//   node scripts/bench_clickhouse.mjs EVENTS.parquet [-o RESULT.json]
//
// The same numbers as `funnel replay` with the default funnel
// (docs/METRICS.md), in the JSON shape of scripts/bench_duckdb.mjs, so that
// scripts/bench_compare.mjs checks them value by value.  One line
// "query_s=SECONDS" goes to stdout: the SQL alone, from before the first
// statement to the last row read.
//
// Exact quantiles: the nearest-rank median and p90 (docs/METRICS.md) are
// the element at 1-based rank ceil(p*n) of the sorted durations.
// ClickHouse's `quantile` is a reservoir sample and its quantileExact*
// variants do not all pick that element (quantileExact takes the element at
// floor(p*n), 0-based, which is rank floor(p*n)+1, not ceil(p*n)), so the
// durations are sorted with arraySort(groupArray()) and indexed at
// intDiv(n*p + 99, 100), as the DuckDB script does.
//
// Environment: BENCH_NODE_DIR is where `npm install --prefix` put chdb
// (default: .bench/node); BENCH_CLICKHOUSE_THREADS (default 2) is
// max_threads.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAGES, STALE_AFTER_S, num, reportOf } from './bench_shape.mjs';


function usage(msg) {
    process.stderr.write(`bench_clickhouse: ${msg}\n` +
        'usage: bench_clickhouse.mjs EVENTS.parquet [-o RESULT.json]\n');
    process.exit(2);
}

const sqlString = (s) => `'${String(s).replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

// One row per entity, as in bench_duckdb.mjs: M(e,j) as m0..m6, T(e,j) (the
// least of M(e,k) for k >= j) as T0..T6, last, lost_at, max stage.  NULL
// means "none"; times are whole seconds.
function entitySql(file) {
    const n = STAGES.length;
    const stageCase = 'multiIf(' +
        STAGES.map((s, i) => `lower(stage) = ${sqlString(s)}, ${i}`).join(', ') + ', NULL)';
    const aggs = [
        'count() AS n_read',
        'countIf(s IS NULL) AS n_unmapped',
        'max(t) AS t_any',
        'maxIfOrNull(t, s IS NOT NULL) AS last',
        'maxIfOrNull(t, s IS NOT NULL AND lost) AS lost_at',
        'max(s) AS mx',
    ];
    // Touches per stage and channel ride along, so the file is read once.
    for (let j = 0; j < n; j++)
        aggs.push(`minIfOrNull(t, s = ${j}) AS m${j}`, `countIf(s = ${j} AND NOT sales) AS tm${j}`,
                  `countIf(s = ${j} AND sales) AS ts${j}`);
    const outer = ['n_read', 'n_unmapped', 't_any', 'last', 'lost_at', 'mx'];
    for (let j = 0; j < n; j++) outer.push(`tm${j}`, `ts${j}`);
    // T(e,j) = the least of M(e,k), k >= j, skipping NULLs (NULL if all are).
    for (let j = 0; j < n; j++) {
        const later = [];
        for (let k = j; k < n; k++) later.push(`m${k}`);
        const arr = `arrayFilter(x -> x IS NOT NULL, [${later.join(', ')}])`;
        outer.push(`m${j}`, `if(empty(${arr}), NULL, arrayMin(${arr})) AS T${j}`);
    }
    return `CREATE TABLE ent ENGINE = Memory AS
SELECT ${outer.join(',\n       ')}
FROM (SELECT entity, ${aggs.join(',\n             ')}
      FROM (SELECT toInt64(toUnixTimestamp(time)) AS t, entity,
                   CAST(${stageCase} AS Nullable(UInt8)) AS s,
                   lower(channel) = 'sales' AS sales,
                   coalesce(lower(outcome) = 'lost', false) AS lost
            FROM file(${sqlString(file)}, Parquet))
      GROUP BY entity)`;
}

function reportSqls() {
    const n = STAGES.length, won = n - 1;
    const totals = ['sum(n_read) AS read', 'sum(n_unmapped) AS unmapped',
                    'max(t_any) AS as_of', 'countIf(mx IS NOT NULL) AS entities'];
    for (let j = 0; j < n; j++)
        totals.push(`countIf(mx >= ${j}) AS reached${j}`, `sum(tm${j}) AS tm${j}`, `sum(ts${j}) AS ts${j}`);
    const status = `SELECT mx, multiIf(
      mx = ${won}, 'won',
      lost_at IS NOT NULL AND lost_at >= last, 'lost',
      (SELECT max(t_any) FROM ent) - last > ${STALE_AFTER_S}, 'stale',
      'open') AS status
    FROM ent WHERE mx IS NOT NULL`;
    const durs = [];
    for (let j = 0; j < won; j++)
        durs.push(`SELECT ${j} AS k, T${j + 1} - T${j} AS d FROM ent WHERE m${j} IS NOT NULL AND T${j + 1} IS NOT NULL`);
    durs.push(`SELECT ${won} AS k, m${won} - T0 AS d FROM ent WHERE mx = ${won}`);
    const stats = `SELECT k, n, mean, v[intDiv(n * 50 + 99, 100)] AS median, v[intDiv(n * 90 + 99, 100)] AS p90
    FROM (SELECT k, count() AS n, sum(d) / count() AS mean, arraySort(groupArray(assumeNotNull(d))) AS v
          FROM (${durs.join('\n          UNION ALL ')})
          GROUP BY k)
    ORDER BY k`;
    return {
        totals: `SELECT ${totals.join(', ')} FROM ent`,
        status: `SELECT mx, status, count() AS n FROM (${status}) GROUP BY mx, status ORDER BY mx, status`,
        stats,
    };
}

function openChdb() {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const nodeDir = process.env.BENCH_NODE_DIR || path.join(here, '..', '.bench', 'node');
    const require = createRequire(path.join(path.resolve(nodeDir), 'package.json'));
    try {
        return require('chdb');
    } catch (e) {
        process.stderr.write(`bench_clickhouse: cannot load chdb from ${nodeDir}: ${e.message}\n`);
        process.exit(3);
    }
}


function report(session, file) {
    const threads = Number(process.env.BENCH_CLICKHOUSE_THREADS || 2);
    const settings = ` SETTINGS max_threads = ${threads}`;
    const rows = (sql) => {
        const text = session.query(sql + settings, 'JSONEachRow');
        return text.split('\n').filter((l) => l).map((l) => JSON.parse(l));
    };
    session.query(entitySql(file) + settings);
    const q = reportSqls();
    const [t] = rows(q.totals);
    const status = rows(q.status);
    const stats = rows(q.stats);
    session.query('DROP TABLE ent');

    const touch = (j, sales) => num(t[`${sales ? 'ts' : 'tm'}${j}`]) ?? 0;
    const count = (mx, st) => num(status.find((r) => Number(r.mx) === mx && r.status === st)?.n) ?? 0;
    return reportOf(t, stats, touch, count);
}

function main() {
    const [input, ...rest] = process.argv.slice(2);
    if (!input) usage('expected an INPUT.parquet');
    let outFile = null;
    for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '-o' && i + 1 < rest.length) outFile = rest[++i];
        else usage(`unexpected argument '${rest[i]}'`);
    }
    const chdb = openChdb();
    const session = new chdb.Session();
    try {
        const t0 = performance.now();
        const result = report(session, path.resolve(input));
        const secs = (performance.now() - t0) / 1000;
        const text = JSON.stringify(result, null, 2) + '\n';
        if (outFile) writeFileSync(outFile, text);
        else process.stderr.write(text);
        console.log(`query_s=${secs.toFixed(3)}`);
    } finally {
        session.cleanup();
    }
}

try {
    main();
} catch (e) {
    process.stderr.write(`bench_clickhouse: ${e.stack || e}\n`);
    process.exit(1);
}
