/* deals.c - the deal metrics of the finish; see deals.h and
 * docs/METRICS.md §4.19-§4.20. */
#include "deals.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hugemem.h"
#include "km.h"
#include "quality.h"
#include "stats.h"

#define DAY_S 86400.0

static int und_is_stale(const struct summary *s, const struct sum_und *u, int64_t as_of)
{
    return as_of - u->last > s->stale[u->stage];
}

void deals_classify(const struct summary *s, struct res_report *out)
{
    const size_t ns = s->ns;
    for (size_t i = 0; i < ns; i++) {
        const struct sum_stage *st = &s->stage[i];
        out->stages[i].open_value = st->v_open;
        money_sum_merge(&out->value_won, &st->v_won);
        money_sum_merge(&out->value_lost, &st->v_lost);
        money_sum_merge(&out->value_stale, &st->v_stale);
    }
    for (size_t i = 0; i < s->nund; i++) {
        const struct sum_und *u = &s->und[i];
        struct res_stage *st = &out->stages[u->stage];
        if (und_is_stale(s, u, out->as_of)) {
            st->stale++;
            if (u->has_value)
                money_sum_add(&out->value_stale, &u->value);
        } else {
            st->open++;
            if (u->has_value)
                money_sum_add(&st->open_value, &u->value);
        }
    }
    for (size_t i = 0; i < ns; i++)
        money_sum_merge(&out->value_open, &out->stages[i].open_value);
}

/* The aging of stage i (open entities with max(e) = i) from cens[0..na),
 * which it reorders: count, median, p90, over_median, and the ages beyond
 * p90 with the longest RES_AGING_LONGEST of them (docs/METRICS.md §4.20).
 * Returns 0, or -1 when out of memory. */
static int aging(int64_t *cens, size_t na, struct res_stage *st)
{
    struct res_stats a;
    stats_summarise(cens, na, &a);
    st->has_aging = 1;
    st->aging_count = na;
    st->aging_median_days = na ? (double)a.median_s / DAY_S : NAN;
    st->aging_p90_days = na ? (double)a.p90_s / DAY_S : NAN;
    st->has_over_median = st->time_in_stage.count > 0;
    st->aging_over_median = 0;
    for (size_t k = 0; st->has_over_median && k < na; k++)
        st->aging_over_median += cens[k] > st->time_in_stage.median_s;
    /* The longest ages by insertion into a short descending list: beyond
     * p90 is at most a tenth of the ages, and few of them displace one. */
    int64_t top[RES_AGING_LONGEST];
    size_t nt = 0;
    st->aging_beyond = 0;
    for (size_t k = 0; k < na; k++) {
        int64_t v = cens[k];
        if (v <= a.p90_s)
            continue;
        st->aging_beyond++;
        if (nt == RES_AGING_LONGEST && v <= top[nt - 1])
            continue;
        size_t at = nt < RES_AGING_LONGEST ? nt++ : nt - 1;
        for (; at > 0 && top[at - 1] < v; at--)
            top[at] = top[at - 1];
        top[at] = v;
    }
    st->naging_longest = nt;
    st->aging_longest_s = NULL;
    if (nt && !(st->aging_longest_s = malloc(nt * sizeof *top)))
        return -1;
    if (nt)
        memcpy(st->aging_longest_s, top, nt * sizeof *top);
    return 0;
}

/* One stage's job: time in stage (its durations sorted once, then read by
 * index), the aging and the Kaplan-Meier estimate, which walks the same
 * sorted durations as its events.  The censorings of stage i are the open
 * ones (also its aging) and the closed ones of the summary, and those of
 * its undecided entities by the outcome deals_classify gave them. */
struct stage_jobs {
    struct summary *s;
    struct res_report *out;
    atomic_int failed;
};

static void stage_job(void *arg, size_t i)
{
    struct stage_jobs *j = arg;
    struct summary *s = j->s;
    struct res_report *out = j->out;
    const size_t ns = s->ns;
    const struct sum_set *age = &s->set[SUM_AGE(ns, i)], *cen = &s->set[SUM_CEN(ns, i)];
    struct sum_set *ev = &s->set[SUM_DUR(i)];
    size_t nund = 0;
    for (size_t k = 0; k < s->nund; k++)
        nund += s->und[k].stage == i;
    const size_t nc = age->n + cen->n + nund;
    const size_t cap = nc > ev->n ? nc : ev->n;
    /* Both are written end to end at once, often by a thread that has just
     * started and has no memory of its own yet: blocks of their own in
     * huge pages (hugemem.h). */
    int64_t *cens = huge_zalloc(nc * sizeof *cens), *tmp = huge_zalloc(cap * sizeof *tmp);
    if (!cens || !tmp) {
        huge_zfree(cens, nc * sizeof *cens);
        huge_zfree(tmp, cap * sizeof *tmp);
        atomic_store(&j->failed, 1);
        return;
    }
    stats_sort_durations(ev->v, ev->n, tmp);
    stats_summarise_sorted(ev->v, ev->n, &out->stages[i].time_in_stage);
    size_t n = age->n;
    if (age->n)   /* an empty set's v may be NULL */
        memcpy(cens, age->v, age->n * sizeof *cens);
    for (size_t k = 0; k < s->nund; k++)
        if (s->und[k].stage == i && !und_is_stale(s, &s->und[k], out->as_of))
            cens[n++] = out->as_of - s->und[k].m;
    if (aging(cens, n, &out->stages[i]) != 0)
        atomic_store(&j->failed, 1);
    if (cen->n)
        memcpy(cens + n, cen->v, cen->n * sizeof *cens);
    n += cen->n;
    for (size_t k = 0; k < s->nund; k++)
        if (s->und[k].stage == i && und_is_stale(s, &s->und[k], out->as_of))
            cens[n++] = s->und[k].last - s->und[k].m;
    stats_sort_durations(cens, n, tmp);
    struct km_result km;
    struct fb_error err;
    if (km_quantiles(ev->v, ev->n, cens, n, &km, &err) != 0)
        atomic_store(&j->failed, 1);
    else {
        out->stages[i].has_km_median = km.has_median;
        out->stages[i].has_km_p90 = km.has_p90;
        out->stages[i].km_median_s = km.median_s;
        out->stages[i].km_p90_s = km.p90_s;
    }
    huge_zfree(cens, nc * sizeof *cens);
    huge_zfree(tmp, cap * sizeof *tmp);
}

static int stage_larger(const void *pa, const void *pb, void *arg)
{
    const struct summary *s = arg;
    const size_t a = s->set[SUM_DUR(*(const size_t *)pa)].n, b = s->set[SUM_DUR(*(const size_t *)pb)].n;
    return (a < b) - (a > b);
}

int deals_stage_stats(struct summary *s, struct res_report *out, struct fb_error *err)
{
    const size_t ns = s->ns;
    size_t order[FUNNEL_MAX_STAGES], total = 0;
    for (size_t i = 0; i + 1 < ns; i++) {
        order[i] = i;
        total += s->set[SUM_DUR(i)].n + s->set[SUM_AGE(ns, i)].n + s->set[SUM_CEN(ns, i)].n;
    }
    qsort_r(order, ns - 1, sizeof *order, stage_larger, s);
    struct stage_jobs j = {s, out, 0};
    stats_run_jobs(stage_job, &j, order, ns - 1, total >= STATS_PARALLEL_MIN, s->threads);
    return atomic_load(&j.failed) ? fb_fail(err, FB_ENOMEM, "out of memory computing the report") : 0;
}

int deals_finish(struct summary *s, struct res_report *out, struct fb_error *err)
{
    const size_t ns = s->ns;
    /* p(s) = won_s / closed_s: closed_s counts the won (every one has max(e)
     * = last >= s) and the lost and stale with max(e) >= s (§4.19). */
    uint64_t closed_above = 0;
    uint64_t won[FUNNEL_MAX_STAGES], closed[FUNNEL_MAX_STAGES];
    struct money_sum open_value[FUNNEL_MAX_STAGES];
    for (size_t i = ns; i-- > 0;) {
        struct res_stage *st = &out->stages[i];
        closed_above += st->lost + st->stale;
        closed[i] = out->won + closed_above;
        won[i] = out->won;
        st->p_win = closed[i] ? (double)out->won / (double)closed[i] : NAN;
        if (closed[i])
            qual_wilson(out->won, closed[i], &st->p_win_ci.lo, &st->p_win_ci.hi);
        else
            st->p_win_ci.lo = st->p_win_ci.hi = NAN;
        open_value[i] = st->open_value;
        if (st->open_value.n && !closed[i]) {
            out->unweighted_open += st->open_value.n;
            money_sum_merge(&out->unweighted_value, &st->open_value);
        }
    }
    /* weighted_open and avg_won are exact rationals rounded once to a
     * double (§4.19), so no order of adding terms can change their bytes. */
    if (money_weighted_double(open_value, won, closed, ns, &out->weighted_open) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    out->with_value = out->value_won.n + out->value_lost.n + out->value_stale.n + out->value_open.n;
    out->without_value = out->entities - out->with_value;
    out->avg_won = money_ratio_double(&out->value_won, out->value_won.n);
    const double median_days = out->time_to_win.count ? (double)out->time_to_win.median_s / DAY_S : NAN;
    out->velocity_per_day = NAN;
    if (!isnan(out->win_rate_closed) && !isnan(out->avg_won) && !isnan(median_days) && median_days > 0)
        out->velocity_per_day = (double)out->open * out->win_rate_closed * out->avg_won / median_days;
    return 0;
}
