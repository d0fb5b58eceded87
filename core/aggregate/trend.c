/* trend.c - the trend series and the activity block: gathering the
 * moments of entities, merging, and the finish; see trend.h and
 * docs/METRICS.md §4.11-§4.12. */
#include "trend.h"

#include <stdlib.h>
#include <string.h>

#include "ftime.h"
#include "period.h"

#define MOM_SHIFT 40
#define MOM_MASK ((INT64_C(1) << MOM_SHIFT) - 1)

int trend_sum_init(struct sum_trend *t, size_t ns, const struct trend_opts *o, struct fb_error *err)
{
    memset(t, 0, sizeof *t);
    t->o = o ? *o : (struct trend_opts){TREND_OFF, TREND_DEFAULT_PERIOD};
    t->nk = TR_KINDS(ns);
    t->act = calloc(2 * t->nk, sizeof *t->act);
    t->mom = calloc(t->nk, sizeof *t->mom);
    if (!t->act || !t->mom)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    return 0;
}

void trend_sum_free(struct sum_trend *t)
{
    if (!t)
        return;
    free(t->cnt);
    free(t->act);
    free(t->mom);
    free(t->mpool);
    memset(t, 0, sizeof *t);
}

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

void trend_sum_sort(struct sum_trend *t)
{
    for (size_t k = 0; t->mom && k < t->nk; k++)
        if (t->mom[k].n > 1)
            qsort(t->mom[k].v, t->mom[k].n, sizeof *t->mom[k].v, i64_cmp);
}

void trend_sum_take_pool(struct sum_trend *t, int64_t *pool, const size_t *count)
{
    free(t->mpool);
    t->mpool = pool;
    size_t at = 0;
    for (size_t k = 0; k < t->nk; k++) {
        t->mom[k].v = pool + at;
        t->mom[k].n = count[k];
        at += count[k];
    }
}

int trend_sum_merge(struct sum_trend *into, const struct sum_trend *const *from, size_t k,
                    struct fb_error *err)
{
    size_t total = 0;
    for (size_t j = 0; j < k; j++) {
        const struct sum_trend *f = from[j];
        if (f->o.unit != into->o.unit || f->o.period != into->o.period || f->nk != into->nk)
            return fb_fail(err, FB_EINPUT, "summaries of different --trend or --period do not merge");
        for (size_t m = 0; m < f->nk; m++)
            total += f->mom[m].n;
    }
    for (size_t m = 0; m < into->nk; m++)
        total += into->mom[m].n;
    /* The joined range of periods [lo, end). */
    int any = into->n > 0;
    int64_t lo = into->lo, end = into->lo + (int64_t)into->n;
    for (size_t j = 0; j < k; j++) {
        const struct sum_trend *f = from[j];
        if (!f->n)
            continue;
        if (!any || f->lo < lo)
            lo = f->lo;
        if (!any || f->lo + (int64_t)f->n > end)
            end = f->lo + (int64_t)f->n;
        any = 1;
    }
    size_t n = any ? (size_t)(end - lo) : 0, nk = into->nk;
    uint64_t *cnt = n ? calloc(n * nk, sizeof *cnt) : NULL;
    int64_t *pool = malloc((total ? total : 1) * sizeof *pool);
    if ((n && !cnt) || !pool) {
        free(cnt);
        free(pool);
        return fb_fail(err, FB_ENOMEM, "out of memory merging partial states");
    }
    for (size_t j = 0; j <= k; j++) {
        const struct sum_trend *f = j ? from[j - 1] : into;
        for (size_t i = 0; i < f->n * nk; i++)
            cnt[(size_t)(f->lo - lo) * nk + i] += f->cnt[i];
        if (j)
            for (size_t i = 0; i < 2 * nk; i++)
                into->act[i] += f->act[i];
    }
    size_t at = 0;
    for (size_t m = 0; m < nk; m++) {
        size_t start = at;
        for (size_t j = 0; j <= k; j++) {
            const struct sum_trend *f = j ? from[j - 1] : into;
            if (f->mom[m].n)
                memcpy(pool + at, f->mom[m].v, f->mom[m].n * sizeof *pool);
            at += f->mom[m].n;
        }
        into->mom[m].n = at - start;
    }
    free(into->cnt);
    into->cnt = cnt;
    into->lo = any ? lo : 0;
    into->n = n;
    free(into->mpool);
    into->mpool = pool;
    for (size_t m = 0, a = 0; m < nk; m++) {
        into->mom[m].v = pool + a;
        a += into->mom[m].n;
    }
    return 0;
}

/* ---- gathering ---- */

int trend_acc_init(struct trend_acc *a, size_t ns, const struct trend_opts *o, int64_t as_of,
                   int provisional)
{
    memset(a, 0, sizeof *a);
    a->o = o ? *o : (struct trend_opts){TREND_OFF, TREND_DEFAULT_PERIOD};
    a->nk = TR_KINDS(ns);
    a->as_of = as_of;
    /* P is at most 10000 years (ftime_parse_duration), so this is in range. */
    a->act_lo = as_of - 2 * a->o.period;
    a->provisional = provisional;
    a->oldest = -1;
    if (a->o.unit != TREND_OFF) {
        a->hi = period_index((enum period_unit)a->o.unit, as_of);
        /* calloc'd: pages of periods nobody touches stay the kernel's zero page */
        if (!(a->cnt = calloc((size_t)TREND_MAX_PERIODS * a->nk, sizeof *a->cnt)))
            return FB_ENOMEM;
    }
    return 0;
}

void trend_acc_free(struct trend_acc *a)
{
    if (!a)
        return;
    free(a->cnt);
    free(a->mv);
    memset(a, 0, sizeof *a);
}

void trend_acc_note(struct trend_acc *a, size_t k, int64_t t)
{
    if (a->cnt) {
        int64_t off = a->hi - period_index((enum period_unit)a->o.unit, t);
        if (off >= TREND_MAX_PERIODS) {
            a->too_many = 1;
        } else {
            a->cnt[(size_t)off * a->nk + k]++;
            if (off > a->oldest)
                a->oldest = off;
        }
    }
    if (t <= a->act_lo)
        return;
    if (!a->provisional) {
        a->act[(t > a->as_of - a->o.period ? 0 : a->nk) + k]++;
        return;
    }
    /* as_of is only this part's latest event: the final one is later or
     * the same, so a moment at or before act_lo is in no window, and those
     * after it are kept exactly, to be judged at the merge. */
    if (a->mn == a->mcap) {
        size_t cap = a->mcap ? 2 * a->mcap : 1024;
        int64_t *v = realloc(a->mv, cap * sizeof *v);
        if (!v) {
            a->nomem = 1;
            return;
        }
        a->mv = v;
        a->mcap = cap;
    }
    a->mv[a->mn++] = (int64_t)k << MOM_SHIFT | (t - FTIME_MIN);
}

int trend_acc_gather(struct sum_trend *t, struct trend_acc *const *acc, size_t n, struct fb_error *err)
{
    const size_t nk = t->nk;
    int64_t oldest = -1;
    size_t total = 0;
    for (size_t j = 0; j < n; j++) {
        if (acc[j]->nomem)
            return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
        if (acc[j]->too_many)
            return fb_fail(err, FB_EUSAGE, "--trend %s: the events span more than %d %ss up to as_of; "
                           "choose a longer period", period_name((enum period_unit)t->o.unit),
                           TREND_MAX_PERIODS, period_name((enum period_unit)t->o.unit));
        oldest = acc[j]->oldest > oldest ? acc[j]->oldest : oldest;
        for (size_t i = 0; i < 2 * nk; i++)
            t->act[i] += acc[j]->act[i];
        total += acc[j]->mn;
    }
    if (oldest >= 0) {
        /* Trim to the periods that hold a moment: the canonical form, so a
         * summary does not depend on how it was sliced. */
        int64_t newest = oldest;
        for (int64_t off = 0; off <= oldest && newest == oldest; off++)
            for (size_t j = 0; j < n; j++)
                for (size_t k = 0; k < nk && newest == oldest; k++)
                    if (acc[j]->cnt[(size_t)off * nk + k])
                        newest = off;
        t->n = (size_t)(oldest - newest + 1);
        t->lo = acc[0]->hi - oldest;
        if (!(t->cnt = calloc(t->n * nk, sizeof *t->cnt)))
            return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
        for (size_t j = 0; j < n; j++)
            for (int64_t off = newest; off <= oldest; off++)
                for (size_t k = 0; k < nk; k++)
                    t->cnt[(size_t)(oldest - off) * nk + k] += acc[j]->cnt[(size_t)off * nk + k];
    }
    size_t count[2 * 256 + 6] = {0};
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < acc[j]->mn; i++)
            count[acc[j]->mv[i] >> MOM_SHIFT]++;
    int64_t *pool = malloc((total ? total : 1) * sizeof *pool);
    if (!pool)
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    trend_sum_take_pool(t, pool, count);
    size_t fill[2 * 256 + 6] = {0};
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < acc[j]->mn; i++) {
            size_t k = (size_t)(acc[j]->mv[i] >> MOM_SHIFT);
            t->mom[k].v[fill[k]++] = (acc[j]->mv[i] & MOM_MASK) + FTIME_MIN;
        }
    return 0;
}

/* ---- the finish ---- */

struct fin {
    const struct sum_trend *t;
    int64_t as_of, lo, hi;        /* periods lo..hi, when the trend is on */
    uint64_t *c;                  /* (2 + hi - lo + 1) * nk: activity, then periods */
};

/* Count a moment in the activity windows and, with `periods`, its period. */
static void fin_note(struct fin *f, size_t k, int64_t t, int periods)
{
    const size_t nk = f->t->nk;
    if (t > f->as_of - 2 * f->t->o.period && t <= f->as_of)
        f->c[(t > f->as_of - f->t->o.period ? 0 : nk) + k]++;
    if (periods && f->hi >= f->lo)
        f->c[(2 + (size_t)(period_index((enum period_unit)f->t->o.unit, t) - f->lo)) * nk + k]++;
}

int trend_finish(const struct sum_trend *t, size_t ns, int has_as_of, int64_t as_of,
                 const int64_t *const *und, const size_t *nund, trend_stale_fn stale,
                 const void *ctx, struct res_report *r, struct fb_error *err)
{
    const size_t nk = t->nk;
    struct fin f = {t, as_of, 0, -1, NULL};
    r->period_s = t->o.period;
    enum period_unit u = (enum period_unit)t->o.unit;
    if (t->o.unit != TREND_OFF) {
        r->trend_unit = period_name(u);
        if (has_as_of && t->n) {
            f.lo = t->lo;
            f.hi = period_index(u, as_of);
            if (f.hi - f.lo + 1 > TREND_MAX_PERIODS)
                return fb_fail(err, FB_EUSAGE, "--trend %s: the events span %lld %ss up to as_of, "
                               "more than %d; choose a longer period", period_name(u),
                               (long long)(f.hi - f.lo + 1), period_name(u), TREND_MAX_PERIODS);
        }
    }
    size_t np = (size_t)(f.hi - f.lo + 1);
    if (!(f.c = calloc((2 + np) * nk, sizeof *f.c)) ||
        (np && !(r->trend = calloc(np, sizeof *r->trend)))) {
        free(f.c);
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    r->span_counts = f.c;
    r->ntrend = np;
    /* The kept moments are in the period counts already (gathered with
     * them); only their activity window waited for as_of. */
    if (has_as_of) {
        memcpy(f.c, t->act, 2 * nk * sizeof *f.c);
        for (size_t k = 0; k < nk; k++)
            for (size_t i = 0; i < t->mom[k].n; i++)
                fin_note(&f, k, t->mom[k].v[i], 0);
    }
    for (size_t i = 0; np && i < t->n * nk; i++)
        f.c[(2 + (size_t)(t->lo - f.lo)) * nk + i] += t->cnt[i];
    /* Undecided entities that turned stale by as_of (the rule of
     * summary.c's classify_undecided) went stale at last + threshold. */
    for (size_t s = 0; has_as_of && s + 1 < ns; s++) {
        int64_t sa = stale(ctx, s);
        for (size_t i = 0; i < nund[s]; i++)
            if (as_of - und[s][i] > sa)
                fin_note(&f, TR_STALE(ns), und[s][i] + sa, 1);
    }
    r->activity[0] = (struct res_span){"", as_of - t->o.period, as_of, f.c};
    r->activity[1] = (struct res_span){"", as_of - 2 * t->o.period, as_of - t->o.period, f.c + nk};
    for (size_t i = 0; i < np; i++) {
        struct res_span *p = &r->trend[i];
        period_label(u, f.lo + (int64_t)i, p->label);
        p->start = period_start(u, f.lo + (int64_t)i);
        p->end = period_start(u, f.lo + (int64_t)i + 1);
        p->c = f.c + (2 + i) * nk;
    }
    return 0;
}
