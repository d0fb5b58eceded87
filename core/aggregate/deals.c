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
 * which it reorders: count, median, p90, and the ages beyond p90 with the
 * longest RES_AGING_LONGEST of them (docs/METRICS.md §4.20); over_median
 * waits for the time in stage (over_median below).  Returns 0, or -1 when
 * out of memory. */
static int aging(int64_t *cens, size_t na, struct res_stage *st)
{
    struct res_stats a;
    stats_summarise(cens, na, &a);
    st->has_aging = 1;
    st->aging_count = na;
    st->aging_median_days = na ? (double)a.median_s / DAY_S : NAN;
    st->aging_p90_days = na ? (double)a.p90_s / DAY_S : NAN;
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

/* The jobs of the stages below the last, in two rounds.  First, on as
 * many threads as there are, each stage's two independent halves as jobs
 * of their own, so that the two largest stages do not fall to one thread:
 * its durations sorted (time in stage is then read by index), and its
 * censorings gathered - the open ones first (the aging), then the closed
 * ones of the summary and those of its undecided entities by the outcome
 * deals_classify gave them - and sorted.  Then, per stage, what needs
 * both: the open ages over the median time in stage, and the
 * Kaplan-Meier estimate, which walks both sorted lists. */
struct stage_jobs {
    struct summary *s;
    struct res_report *out;
    int64_t *cens[FUNNEL_MAX_STAGES];   /* per stage, its censorings sorted */
    size_t ncens[FUNNEL_MAX_STAGES];
    size_t cens_bytes[FUNNEL_MAX_STAGES];   /* for huge_zfree */
    atomic_int failed;
};

/* Job 2i sorts stage i's durations, job 2i + 1 gathers and sorts its
 * censorings. */
static void stage_half(void *arg, size_t job)
{
    struct stage_jobs *j = arg;
    struct summary *s = j->s;
    struct res_report *out = j->out;
    const size_t ns = s->ns, i = job / 2;
    if (job % 2 == 0) {
        struct sum_set *ev = &s->set[SUM_DUR(i)];
        /* Written end to end at once, often by a thread that has just
         * started and has no memory of its own yet: a block of its own
         * in huge pages (hugemem.h). */
        const size_t bytes = STATS_SORT_TMP(ev->n) * sizeof(int64_t);
        int64_t *tmp = huge_zalloc(bytes);
        if (!tmp) {
            atomic_store(&j->failed, 1);
            return;
        }
        stats_sort_durations(ev->v, ev->n, tmp);
        stats_summarise_sorted(ev->v, ev->n, &out->stages[i].time_in_stage);
        huge_zfree(tmp, bytes);
        return;
    }
    const struct sum_set *age = &s->set[SUM_AGE(ns, i)], *cen = &s->set[SUM_CEN(ns, i)];
    size_t nund = 0;
    for (size_t k = 0; k < s->nund; k++)
        nund += s->und[k].stage == i;
    const size_t nc = age->n + cen->n + nund;
    const size_t tmp_bytes = STATS_SORT_TMP(nc) * sizeof(int64_t);
    int64_t *cens = huge_zalloc(nc * sizeof *cens), *tmp = huge_zalloc(tmp_bytes);
    j->cens[i] = cens;
    j->cens_bytes[i] = nc * sizeof *cens;
    if (!cens || !tmp) {
        huge_zfree(tmp, tmp_bytes);
        atomic_store(&j->failed, 1);
        return;
    }
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
    huge_zfree(tmp, tmp_bytes);
    j->ncens[i] = n;
}

/* Stage i's open ages over its median time in stage (the ages are its
 * age set and its open undecided entities, as aging saw them), and its
 * Kaplan-Meier estimate. */
static void stage_both(void *arg, size_t i)
{
    struct stage_jobs *j = arg;
    struct summary *s = j->s;
    struct res_stage *st = &j->out->stages[i];
    const struct sum_set *age = &s->set[SUM_AGE(s->ns, i)], *ev = &s->set[SUM_DUR(i)];
    st->has_over_median = st->time_in_stage.count > 0;
    st->aging_over_median = 0;
    const int64_t median = st->time_in_stage.median_s;
    for (size_t k = 0; st->has_over_median && k < age->n; k++)
        st->aging_over_median += age->v[k] > median;
    for (size_t k = 0; st->has_over_median && k < s->nund; k++)
        if (s->und[k].stage == i && !und_is_stale(s, &s->und[k], j->out->as_of))
            st->aging_over_median += j->out->as_of - s->und[k].m > median;
    struct km_result km;
    struct fb_error err;
    if (km_quantiles(ev->v, ev->n, j->cens[i], j->ncens[i], &km, &err) != 0) {
        atomic_store(&j->failed, 1);
        return;
    }
    st->has_km_median = km.has_median;
    st->has_km_p90 = km.has_p90;
    st->km_median_s = km.median_s;
    st->km_p90_s = km.p90_s;
}

/* The values each job of the first round reads or writes, its size. */
static size_t half_size(const struct summary *s, size_t job)
{
    const size_t i = job / 2;
    return job % 2 == 0 ? s->set[SUM_DUR(i)].n : s->set[SUM_AGE(s->ns, i)].n + s->set[SUM_CEN(s->ns, i)].n;
}

static int half_larger(const void *pa, const void *pb, void *arg)
{
    const size_t a = half_size(arg, *(const size_t *)pa), b = half_size(arg, *(const size_t *)pb);
    return (a < b) - (a > b);
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
    size_t order[2 * FUNNEL_MAX_STAGES], total = 0;
    for (size_t k = 0; k < 2 * (ns - 1); k++) {
        order[k] = k;
        total += half_size(s, k);
    }
    qsort_r(order, 2 * (ns - 1), sizeof *order, half_larger, s);
    struct stage_jobs *j = calloc(1, sizeof *j);
    if (!j)
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    j->s = s;
    j->out = out;
    const int parallel = total >= STATS_PARALLEL_MIN;
    stats_run_jobs(stage_half, j, order, 2 * (ns - 1), parallel, s->threads);
    if (!atomic_load(&j->failed)) {
        for (size_t i = 0; i + 1 < ns; i++)
            order[i] = i;
        qsort_r(order, ns - 1, sizeof *order, stage_larger, s);
        stats_run_jobs(stage_both, j, order, ns - 1, parallel, s->threads);
    }
    for (size_t i = 0; i + 1 < ns; i++)
        huge_zfree(j->cens[i], j->cens_bytes[i]);
    const int failed = atomic_load(&j->failed);
    free(j);
    return failed ? fb_fail(err, FB_ENOMEM, "out of memory computing the report") : 0;
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
