// bench_shape.mjs - the result JSON of the bench peers (bench_duckdb.mjs,
// bench_clickhouse.mjs), shaped like the subset of funnel-report/1 that
// scripts/bench_compare.mjs checks, built the same way for every peer.

export const STAGES = ['suspect', 'prospect', 'interested', 'engaged', 'evaluating',
                       'negotiating', 'purchasing'];
export const STALE_AFTER_S = 30 * 86400;

export const num = (v) => (v === null || v === undefined ? null : Number(v));

// t: the totals row (as_of in epoch seconds, read, unmapped, entities,
// reached0..reached6); stats: rows {k, n, mean, median, p90} (k < 6: time in
// stage k, k = 6: time to win); touch(j, sales) and count(mx, status) give
// the counts per stage.
export function reportOf(t, stats, touch, count) {
    const n = STAGES.length;
    const statsOf = (k) => {
        const s = stats.find((r) => Number(r.k) === k);
        return s ? {count: num(s.n), mean_s: num(s.mean), median_s: num(s.median), p90_s: num(s.p90)}
                 : {count: 0, mean_s: null, median_s: null, p90_s: null};
    };
    const asOf = num(t.as_of);
    const out = {
        as_of: asOf === null ? null : new Date(asOf * 1000).toISOString().replace('.000Z', 'Z'),
        stale_after_s: STALE_AFTER_S,
        events: {read: num(t.read) ?? 0, used: 0, after_as_of: 0, unmapped: num(t.unmapped) ?? 0},
        entities: num(t.entities),
        outcomes: {won: num(t[`reached${n - 1}`]), lost: 0, stale: 0, open: 0},
        time_to_win: statsOf(n - 1),
        stages: [],
    };
    for (let j = 0; j < n; j++) {
        const st = {
            name: STAGES[j],
            reached: num(t[`reached${j}`]),
            time_in_stage: j < n - 1 ? statsOf(j) : null,
            open: count(j, 'open'), lost: count(j, 'lost'), stale: count(j, 'stale'),
            touches: {marketing: touch(j, false), sales: touch(j, true)},
        };
        out.events.used += st.touches.marketing + st.touches.sales;
        out.outcomes.lost += st.lost;
        out.outcomes.stale += st.stale;
        out.outcomes.open += st.open;
        out.stages.push(st);
    }
    return out;
}
