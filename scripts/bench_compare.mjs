#!/usr/bin/env node
// bench_compare.mjs - check DuckDB's numbers against funnel's report.
//
//   node scripts/bench_compare.mjs REPORT.json DUCKDB.json [LABEL]
//
// REPORT.json is `funnel replay -o` output (funnel-report/1); DUCKDB.json is
// written by scripts/bench_duckdb.mjs.  Compares as_of, the event counts,
// entities, outcomes, and per stage: reached, open/lost/stale, touches per
// channel, time in stage (count, median_s, p90_s exactly; mean_s to a
// relative 1e-9), and time to win likewise.  Prints each difference and a
// last line "LABEL agrees with funnel: yes|no"; exits 0 for yes, 1 for no,
// 2 when a file cannot be read.
import { readFileSync } from 'node:fs';

const [reportPath, duckPath, label = 'duckdb'] = process.argv.slice(2);
if (!reportPath || !duckPath) {
    process.stderr.write('usage: bench_compare.mjs REPORT.json DUCKDB.json [LABEL]\n');
    process.exit(2);
}
let funnel, duck;
try {
    funnel = JSON.parse(readFileSync(reportPath, 'utf8'));
    duck = JSON.parse(readFileSync(duckPath, 'utf8'));
} catch (e) {
    process.stderr.write(`bench_compare: ${e.message}\n`);
    process.exit(2);
}

const get = (o, p) => p.split('.').reduce((v, k) => (v === null || v === undefined ? v : v[k]), o);
let checked = 0;
const diffs = [];

function same(p, approx = false) {
    const a = get(funnel, p), b = get(duck, p);
    checked++;
    const ok = approx && typeof a === 'number' && typeof b === 'number'
        ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
        : JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    if (!ok) diffs.push(`  ${p}: funnel=${JSON.stringify(a)} ${label}=${JSON.stringify(b)}`);
}

function stats(p) {
    if (get(funnel, p) === null && get(duck, p) === null) return;
    for (const k of ['count', 'median_s', 'p90_s']) same(`${p}.${k}`);
    same(`${p}.mean_s`, true);
}

for (const p of ['as_of', 'stale_after_s', 'events.read', 'events.used', 'events.after_as_of',
                 'events.unmapped', 'entities', 'outcomes.won', 'outcomes.lost',
                 'outcomes.stale', 'outcomes.open'])
    same(p);
stats('time_to_win');
const n = Math.max(funnel.stages?.length ?? 0, duck.stages?.length ?? 0);
for (let j = 0; j < n; j++) {
    for (const k of ['name', 'reached', 'open', 'lost', 'stale', 'touches.marketing', 'touches.sales'])
        same(`stages.${j}.${k}`);
    stats(`stages.${j}.time_in_stage`);
}

for (const d of diffs) console.log(d);
console.log(`${label}: ${checked} values compared, ${diffs.length} differ`);
console.log(`${label} agrees with funnel: ${diffs.length ? 'no' : 'yes'}`);
process.exit(diffs.length ? 1 : 0);
