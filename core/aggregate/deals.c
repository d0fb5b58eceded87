/* deals.c - the deal metrics of the finish; see deals.h and
 * docs/METRICS.md §4.19-§4.20. */
#include "deals.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* Durations (below 2^40, docs/METRICS.md §4.20) sorted ascending: a radix
 * sort of five bytes, since a stage's sets hold up to one value an entity
 * and replay sorts them on every run.  tmp holds n. */
static void sort_durations(int64_t *v, size_t n, int64_t *tmp)
{
    int64_t *a = v, *b = tmp;
    if (n < 2)
        return;
    for (unsigned shift = 0; shift < 40; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((uint64_t)a[i] >> shift & 0xff) + 1]++;
        if (count[(a[0] >> shift & 0xff) + 1] == n)
            continue;   /* one digit: this pass moves nothing */
        for (size_t k = 1; k < 257; k++)
            count[k] += count[k - 1];
        for (size_t i = 0; i < n; i++)
            b[count[(uint64_t)a[i] >> shift & 0xff]++] = a[i];
        int64_t *t = a;
        a = b;
        b = t;
    }
    if (a != v)
        memcpy(v, a, n * sizeof *v);
}

/* The aging of stage i (open entities with max(e) = i) from cens[0..na),
 * which it reorders. */
static void aging(int64_t *cens, size_t na, struct res_stage *st)
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
}

/* Aging and Kaplan-Meier of every stage but the last.  The censorings of
 * stage i are the open ones (which are also its aging) and the closed
 * ones of the summary, and those of its undecided entities by the
 * outcome deals_classify gave them. */
static int stages(struct summary *s, struct res_report *out, struct fb_error *err)
{
    const size_t ns = s->ns;
    size_t cap = 1;
    for (size_t i = 0; i + 1 < ns; i++) {
        size_t n = s->set[SUM_AGE(ns, i)].n + s->set[SUM_CEN(ns, i)].n;
        n = n > s->set[SUM_DUR(i)].n ? n : s->set[SUM_DUR(i)].n;
        cap = n > cap ? n : cap;
    }
    cap += s->nund;
    int64_t *cens = malloc(cap * sizeof *cens), *tmp = malloc(cap * sizeof *tmp);
    int rc = cens && tmp ? 0 : fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    for (size_t i = 0; rc == 0 && i + 1 < ns; i++) {
        const struct sum_set *age = &s->set[SUM_AGE(ns, i)], *cen = &s->set[SUM_CEN(ns, i)];
        size_t n = age->n;
        memcpy(cens, age->v, age->n * sizeof *cens);
        for (size_t k = 0; k < s->nund; k++)
            if (s->und[k].stage == i && !und_is_stale(s, &s->und[k], out->as_of))
                cens[n++] = out->as_of - s->und[k].m;
        aging(cens, n, &out->stages[i]);
        memcpy(cens + n, cen->v, cen->n * sizeof *cens);
        n += cen->n;
        for (size_t k = 0; k < s->nund; k++)
            if (s->und[k].stage == i && und_is_stale(s, &s->und[k], out->as_of))
                cens[n++] = s->und[k].last - s->und[k].m;
        struct sum_set *ev = &s->set[SUM_DUR(i)];
        sort_durations(cens, n, tmp);
        sort_durations(ev->v, ev->n, tmp);
        struct km_result km;
        rc = km_quantiles(ev->v, ev->n, cens, n, &km, err);
        if (rc == 0) {
            out->stages[i].has_km_median = km.has_median;
            out->stages[i].has_km_p90 = km.has_p90;
            out->stages[i].km_median_s = km.median_s;
            out->stages[i].km_p90_s = km.p90_s;
        }
    }
    free(cens);
    free(tmp);
    return rc;
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
    return stages(s, out, err);
}
