/* summary.c - merging summaries and the one finish from a summary to the
 * metrics of docs/METRICS.md; see summary.h. */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deals.h"
#include "groups.h"
#include "hugemem.h"
#include "stats.h"
#include "touches.h"

void sum_stage_add(struct sum_stage *into, const struct sum_stage *from)
{
    into->reached += from->reached;
    into->lost += from->lost;
    into->stale += from->stale;
    into->open += from->open;
    into->touches[0] += from->touches[0];
    into->touches[1] += from->touches[1];
    into->with_event += from->with_event;
    into->conv += from->conv;
    money_sum_merge(&into->v_won, &from->v_won);
    money_sum_merge(&into->v_lost, &from->v_lost);
    money_sum_merge(&into->v_stale, &from->v_stale);
    money_sum_merge(&into->v_open, &from->v_open);
}

int sum_und_cmp(const void *pa, const void *pb)
{
    const struct sum_und *a = pa, *b = pb;
    if (a->stage != b->stage)
        return a->stage < b->stage ? -1 : 1;
    if (a->last != b->last)
        return a->last < b->last ? -1 : 1;
    if (a->m != b->m)
        return a->m < b->m ? -1 : 1;
    if (a->has_value != b->has_value)
        return a->has_value < b->has_value ? -1 : 1;
    if (a->value.units != b->value.units)
        return a->value.units < b->value.units ? -1 : 1;
    return (a->value.k > b->value.k) - (a->value.k < b->value.k);
}

int summary_init(struct summary *s, size_t ns, int64_t stale_after, int decided, int64_t as_of,
                 struct fb_error *err)
{
    memset(s, 0, sizeof *s);
    s->ns = ns;
    s->stale_after = stale_after;
    s->decided = decided;
    s->as_of = decided ? as_of : 0;
    s->stage = calloc(ns ? ns : 1, sizeof *s->stage);
    s->set = calloc(SUM_NSETS(ns ? ns : 1), sizeof *s->set);
    s->stale = malloc((ns ? ns : 1) * sizeof *s->stale);
    if (!s->stage || !s->set || !s->stale)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < ns; i++)
        s->stale[i] = stale_after;
    return trend_sum_init(&s->trend, ns, NULL, err);
}

/* pool_bytes 0 (a pool from malloc) is below any huge block: free(). */
static void release_pool(struct summary *s)
{
    huge_zfree(s->pool, s->pool_bytes);
    s->pool = NULL;
    s->pool_bytes = 0;
}

void summary_free(struct summary *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->unmapped && i < s->nunmapped; i++)
        free(s->unmapped[i].name);
    free(s->unmapped);
    free(s->stage);
    free(s->set);
    free(s->stale);
    release_pool(s);
    free(s->und);
    trend_sum_free(&s->trend);
    groups_free(s->groups);
    touches_free(s->touches);
    memset(s, 0, sizeof *s);
}

void summary_take_pool(struct summary *s, int64_t *pool, const size_t *count)
{
    summary_take_mapped_pool(s, pool, 0, count);
}

void summary_take_mapped_pool(struct summary *s, int64_t *pool, size_t bytes, const size_t *count)
{
    release_pool(s);
    s->pool = pool;
    s->pool_bytes = bytes;
    summary_point_sets(s, pool, count);
}

void summary_point_sets(struct summary *s, int64_t *values, const size_t *count)
{
    int64_t *pool = values;
    size_t at = 0;
    for (size_t k = 0; k < SUM_NSETS(s->ns); k++) {
        s->set[k].v = pool + at;
        s->set[k].n = count[k];
        at += count[k];
    }
}

static int name_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

/* The union of two sorted name lists, counts of equal names summed; a's
 * names move into the result, b's are copied (all of them first, so that
 * running out of memory leaves a as it was). */
static int merge_names(struct summary *a, const struct summary *b)
{
    size_t cap = a->nunmapped + b->nunmapped;
    struct sum_unmapped *u = calloc(cap ? cap : 1, sizeof *u);
    char **copy = calloc(b->nunmapped ? b->nunmapped : 1, sizeof *copy);
    int ok = u && copy;
    for (size_t j = 0; ok && j < b->nunmapped; j++)
        if ((ok = (copy[j] = malloc(b->unmapped[j].len ? b->unmapped[j].len : 1)) != NULL))
            memcpy(copy[j], b->unmapped[j].name, b->unmapped[j].len);
    if (!ok) {
        for (size_t j = 0; copy && j < b->nunmapped; j++)
            free(copy[j]);
        free(copy);
        free(u);
        return FB_ENOMEM;
    }
    size_t i = 0, j = 0, n = 0;
    while (i < a->nunmapped || j < b->nunmapped) {
        int c = i == a->nunmapped ? 1 : j == b->nunmapped ? -1
              : name_cmp(a->unmapped[i].name, a->unmapped[i].len, b->unmapped[j].name, b->unmapped[j].len);
        if (c <= 0) {
            u[n] = a->unmapped[i++];
            if (c == 0) {
                u[n].events += b->unmapped[j].events;
                free(copy[j++]);
            }
        } else {
            u[n] = (struct sum_unmapped){copy[j], b->unmapped[j].len, b->unmapped[j].events};
            j++;
        }
        n++;
    }
    free(copy);
    free(a->unmapped);
    a->unmapped = u;
    a->nunmapped = n;
    return 0;
}

int summary_merge_all(struct summary *into, const struct summary *const *from, size_t k,
                      struct fb_error *err)
{
    size_t total = 0;
    char why[200];
    for (size_t j = 0; j < k; j++) {
        const struct summary *f = from[j];
        if (into->ns != f->ns || into->stale_after != f->stale_after ||
            into->decided != f->decided || into->as_of != f->as_of ||
            memcmp(into->stale, f->stale, into->ns * sizeof *into->stale) != 0 ||
            into->conv.window != f->conv.window || into->conv.skip_ignore != f->conv.skip_ignore ||
            !groups_same_opts(into->groups, f->groups, why, sizeof why) ||
            (into->touches == NULL) != (f->touches == NULL))
            return fb_fail(err, FB_EINPUT, "summaries of different funnels or options do not merge");
        for (size_t i = 0; i < SUM_NSETS(into->ns); i++)
            total += f->set[i].n;
    }
    for (size_t i = 0; i < SUM_NSETS(into->ns); i++)
        total += into->set[i].n;
    const struct sum_trend **tr = calloc(k ? k : 1, sizeof *tr);
    if (!tr)
        return fb_fail(err, FB_ENOMEM, "out of memory merging partial states");
    for (size_t j = 0; j < k; j++)
        tr[j] = &from[j]->trend;
    int rc = trend_sum_merge(&into->trend, tr, k, err);
    free(tr);
    if (rc)
        return rc;
    /* One new pool for all: merging k summaries one by one would copy
     * the growing sets k times. */
    size_t nund = into->nund;
    for (size_t j = 0; j < k; j++)
        nund += from[j]->nund;
    int64_t *pool = malloc((total ? total : 1) * sizeof *pool);
    struct sum_und *und = malloc((nund ? nund : 1) * sizeof *und);
    if (!pool || !und) {
        free(pool);
        free(und);
        return fb_fail(err, FB_ENOMEM, "out of memory merging partial states");
    }
    for (size_t j = 0; j < k; j++) {
        if (merge_names(into, from[j]) != 0) {
            free(pool);
            free(und);
            return fb_fail(err, FB_ENOMEM, "out of memory merging partial states");
        }
    }
    size_t at = 0;
    for (size_t i = 0; i < SUM_NSETS(into->ns); i++) {
        struct sum_set *t = &into->set[i];
        if (t->n)
            memcpy(pool + at, t->v, t->n * sizeof *pool);
        t->v = pool + at;
        for (size_t j = 0; j < k; j++) {
            const struct sum_set *f = &from[j]->set[i];
            if (f->n)
                memcpy(pool + at + t->n, f->v, f->n * sizeof *pool);
            t->n += f->n;
        }
        at += t->n;
    }
    release_pool(into);
    into->pool = pool;
    if (into->nund)
        memcpy(und, into->und, into->nund * sizeof *und);
    for (size_t j = 0; j < k; j++) {
        if (from[j]->nund)
            memcpy(und + into->nund, from[j]->und, from[j]->nund * sizeof *und);
        into->nund += from[j]->nund;
    }
    free(into->und);
    into->und = und;
    for (size_t j = 0; j < k; j++) {
        const struct summary *f = from[j];
        for (size_t st = 0; st < into->ns; st++)
            sum_stage_add(&into->stage[st], &f->stage[st]);
        into->backwards += f->backwards;
        into->won_then_lost += f->won_then_lost;
        into->entities += f->entities;
        into->read += f->read;
        into->after += f->after;
        if (f->has_events && (!into->has_events || f->max_time > into->max_time))
            into->max_time = f->max_time;
        into->has_events |= f->has_events;
    }
    if (into->touches) {
        const struct sum_touches **t = calloc(k ? k : 1, sizeof *t);
        for (size_t j = 0; t && j < k; j++)
            t[j] = from[j]->touches;
        rc = t ? touches_merge_all(into->touches, t, k) : FB_ENOMEM;
        free(t);
        if (rc)
            return fb_fail(err, FB_ENOMEM, "out of memory merging partial states");
    }
    return groups_merge_all(into, from, k, err);
}

int summary_merge(struct summary *into, const struct summary *from, struct fb_error *err)
{
    return summary_merge_all(into, &from, 1, err);
}

int64_t summary_as_of(const struct summary *s)
{
    return s->decided ? s->as_of : s->has_events ? s->max_time : 0;
}

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

void summary_sort(struct summary *s)
{
    for (size_t k = 0; k < SUM_NSETS(s->ns); k++)
        if (s->set[k].n > 1)
            qsort(s->set[k].v, s->set[k].n, sizeof *s->set[k].v, i64_cmp);
    if (s->nund > 1)
        qsort(s->und, s->nund, sizeof *s->und, sum_und_cmp);
    trend_sum_sort(&s->trend);
    groups_sort(s->groups);
    touches_sort(s->touches);
}

void res_report_free(struct res_report *r)
{
    for (size_t i = 0; r->unmapped && i < r->nunmapped; i++)
        free(r->unmapped[i].name);
    free(r->unmapped);
    for (size_t i = 0; r->stages && i < r->nstages; i++)
        free(r->stages[i].aging_longest_s);
    free(r->stages);
    free(r->trend);
    free(r->span_counts);
    res_groups_free(r->groups);
    for (size_t i = 0; r->touches && i < r->touches->n; i++)
        free(r->touches->t[i].name);
    if (r->touches) {
        free(r->touches->t);
        free(r->touches->counts);
        free(r->touches);
    }
    memset(r, 0, sizeof *r);
}

static double ratio(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : NAN;
}

/* docs/METRICS.md §4.8: most events first, ties by bytes. */
static int unmapped_cmp(const void *pa, const void *pb)
{
    const struct res_unmapped *x = pa, *y = pb;
    if (x->events != y->events)
        return x->events > y->events ? -1 : 1;
    return name_cmp(x->name, x->len, y->name, y->len);
}

static int list_unmapped(const struct summary *s, struct res_report *out)
{
    out->unmapped = calloc(s->nunmapped ? s->nunmapped : 1, sizeof *out->unmapped);
    if (!out->unmapped)
        return FB_ENOMEM;
    for (size_t i = 0; i < s->nunmapped; i++) {
        const struct sum_unmapped *x = &s->unmapped[i];
        struct res_unmapped *u = &out->unmapped[out->nunmapped++];
        u->events = x->events;
        u->len = x->len;
        if (!(u->name = malloc(x->len + 1)))
            return FB_ENOMEM;
        memcpy(u->name, x->name, x->len);
        u->name[x->len] = '\0';
        out->ev_unmapped += x->events;
    }
    qsort(out->unmapped, out->nunmapped, sizeof *out->unmapped, unmapped_cmp);
    return 0;
}

static void rates(const struct summary *s, const struct funnel_def *def, struct res_report *out)
{
    const size_t ns = s->ns;
    uint64_t worst = 0;
    out->drop_out_point = -1;
    for (size_t i = 0; i < ns; i++) {
        struct res_stage *st = &out->stages[i];
        st->name = def->names[i];
        st->conv_prev = i ? ratio(st->reached, out->stages[i - 1].reached) : NAN;
        st->conv_start = ratio(st->reached, out->stages[0].reached);
        st->drop_rate = ratio(st->lost + st->stale, st->reached_all);   /* unwindowed: §4.11 */
        out->ev_used += st->touches_marketing + st->touches_sales;
        out->lost += st->lost;
        out->stale += st->stale;
        out->open += st->open;
        if (st->lost + st->stale > worst) {
            worst = st->lost + st->stale;
            out->drop_out_point = (int)i;
        }
    }
    out->won = out->stages[ns - 1].reached_all;
    out->win_rate = ratio(out->won, out->won + out->lost + out->stale);
    qual_finish(s, out);
}

static int64_t stale_after_of(const void *s, size_t stage)
{
    return summary_stale_after_for(s, stage);
}

int summary_finish(struct summary *s, const struct funnel_def *def, int has_as_of,
                   struct res_report *out, struct fb_error *err)
{
    const size_t ns = s->ns;
    struct stats_job jobs[2];   /* time to win, time to loss */
    memset(out, 0, sizeof *out);
    out->has_as_of = has_as_of;
    out->as_of = summary_as_of(s);
    out->stale_after_s = s->stale_after;
    out->nstages = ns;
    out->stages = calloc(ns, sizeof *out->stages);
    int64_t *und_last = malloc((s->nund ? s->nund : 1) * sizeof *und_last);
    if (!out->stages || !und_last || list_unmapped(s, out) != 0) {
        free(und_last);
        res_report_free(out);
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    out->entities = s->entities;
    for (size_t i = 0; i < ns; i++) {
        struct res_stage *st = &out->stages[i];
        st->reached = s->stage[i].conv;
        st->reached_all = s->stage[i].reached;
        st->lost = s->stage[i].lost;
        st->stale = s->stage[i].stale;
        st->open = s->stage[i].open;
        st->touches_marketing = s->stage[i].touches[0];
        st->touches_sales = s->stage[i].touches[1];
        st->has_time_in_stage = i + 1 < ns;
    }
    jobs[0] = (struct stats_job){s->set[SUM_WIN(ns)].v, s->set[SUM_WIN(ns)].n, &out->time_to_win};
    jobs[1] = (struct stats_job){s->set[SUM_LOSS(ns)].v, s->set[SUM_LOSS(ns)].n, &out->time_to_loss};
    deals_classify(s, out);   /* undecided entities: open or stale now */
    stats_summarise_all(jobs, 2, s->threads);
    if (deals_stage_stats(s, out, err) != 0) {   /* time in stage, aging, Kaplan-Meier */
        free(und_last);
        res_report_free(out);
        return FB_ENOMEM;
    }
    rates(s, def, out);
    out->ev_read = s->read;
    out->ev_after_as_of = s->after;
    /* The last times of the undecided entities by stage, for trend. */
    const int64_t *und[FUNNEL_MAX_STAGES];
    size_t nund[FUNNEL_MAX_STAGES] = {0}, at = 0;
    for (size_t i = 0; i < s->nund; i++)
        nund[s->und[i].stage]++;
    for (size_t i = 0; i + 1 < ns; i++) {
        und[i] = und_last + at;
        at += nund[i];
        nund[i] = 0;
    }
    for (size_t i = 0; i < s->nund; i++)
        und_last[(und[s->und[i].stage] - und_last) + (ptrdiff_t)nund[s->und[i].stage]++] = s->und[i].last;
    int rc = trend_finish(&s->trend, ns, has_as_of, out->as_of, und, nund, stale_after_of, s, out, err);
    free(und_last);
    if (rc == 0)
        rc = deals_finish(s, out, err);
    if (rc == 0)
        rc = touches_finish(s, out, err);
    if (rc == 0)
        rc = groups_finish(s, def, has_as_of, out, err);
    if (rc)
        res_report_free(out);
    return rc;
}
