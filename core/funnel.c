/* funnel.c - per-entity min/max state and the metrics computed from it;
 * see funnel.h and docs/METRICS.md for the definitions followed here. */
#include "funnel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define PREFETCH_AHEAD 16

struct funnel_agg {
    const struct funnel_def *def;
    size_t ns;            /* stages */
    size_t stride;        /* int64 per entity: M[0..ns), last, lostAt */
    uint32_t nent;
    int64_t as_of, stale_after;
    struct funnel_maps maps;
    int64_t *state;
    uint64_t *touches;    /* [stage][0 marketing, 1 sales] */
    uint64_t *unmapped;   /* per stage id */
    uint64_t read, after;
};

struct funnel_agg *funnel_agg_new(const struct funnel_def *def, uint32_t nentities,
                                  int64_t as_of, int64_t stale_after, const struct funnel_maps *maps)
{
    struct funnel_agg *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    *a = (struct funnel_agg){def, def->n, def->n + 2, nentities, as_of, stale_after, *maps,
                             NULL, NULL, NULL, 0, 0};
    a->state = malloc((size_t)nentities * a->stride * sizeof *a->state + 1);
    a->touches = calloc(2 * a->ns, sizeof *a->touches);
    a->unmapped = calloc(maps->nstage_ids + 1, sizeof *a->unmapped);
    if (!a->state || !a->touches || !a->unmapped) {
        funnel_agg_free(a);
        return NULL;
    }
    for (size_t e = 0; e < nentities; e++) {
        int64_t *st = a->state + e * a->stride;
        for (size_t s = 0; s < a->ns; s++)
            st[s] = INT64_MAX;
        st[a->ns] = INT64_MIN;
        st[a->ns + 1] = INT64_MIN;
    }
    return a;
}

void funnel_agg_free(struct funnel_agg *a)
{
    if (!a)
        return;
    free(a->state);
    free(a->touches);
    free(a->unmapped);
    free(a);
}

void funnel_agg_add(struct funnel_agg *a, const struct evb_cols *c)
{
    const int64_t *time = c->time;
    const uint32_t *ent = c->ids[EVB_IDX(BLOG_C_ENTITY)];
    const uint32_t *stage = c->ids[EVB_IDX(BLOG_C_STAGE)];
    const uint32_t *chan = c->ids[EVB_IDX(BLOG_C_CHANNEL)];
    const uint32_t *outc = c->ids[EVB_IDX(BLOG_C_OUTCOME)];
    const size_t ns = a->ns, stride = a->stride;
    int64_t *const state = a->state;
    uint64_t after = 0;
    a->read += c->n;
    for (uint32_t i = 0; i < c->n; i++) {
        /* The entity array is far larger than the cache and ids arrive in
         * no useful order: fetch ahead so misses overlap. */
        if (i + PREFETCH_AHEAD < c->n)
            __builtin_prefetch(state + (size_t)ent[i + PREFETCH_AHEAD] * stride, 1);
        int64_t t = time[i];
        if (t > a->as_of) {
            after++;
            continue;
        }
        int32_t s = a->maps.stage[stage[i]];
        if (s < 0) {
            a->unmapped[stage[i]]++;
            continue;
        }
        a->touches[2 * (size_t)s + a->maps.sales[chan[i]]]++;
        int64_t *st = state + (size_t)ent[i] * stride;
        if (t < st[s])
            st[s] = t;
        if (t > st[ns])
            st[ns] = t;
        if (a->maps.lost[outc[i]] && t > st[ns + 1])
            st[ns + 1] = t;
    }
    a->after += after;
}

void funnel_agg_count_after(struct funnel_agg *a, uint64_t n)
{
    a->read += n;
    a->after += n;
}

void res_report_free(struct res_report *r)
{
    for (size_t i = 0; r->unmapped && i < r->nunmapped; i++)
        free(r->unmapped[i].name);
    free(r->unmapped);
    free(r->stages);
    memset(r, 0, sizeof *r);
}

static double ratio(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : NAN;
}

/* Outcomes per entity: status at max(e), and durations to win into v. */
static size_t classify(struct funnel_agg *a, struct res_report *out, int64_t *v)
{
    const size_t ns = a->ns;
    size_t nwin = 0;
    for (size_t e = 0; e < a->nent; e++) {
        const int64_t *st = a->state + e * a->stride;
        if (st[ns] == INT64_MIN)
            continue;   /* no mapped event at or before as_of */
        out->entities++;
        size_t mx = ns - 1;
        while (st[mx] == INT64_MAX)
            mx--;
        int64_t first = st[mx];
        for (size_t s = 0; s <= mx; s++) {
            out->stages[s].reached++;
            first = st[s] < first ? st[s] : first;
        }
        struct res_stage *at = &out->stages[mx];
        if (mx == ns - 1)
            v[nwin++] = st[ns - 1] - first;   /* T(e,last) - T(e,first) */
        else if (st[ns + 1] != INT64_MIN && st[ns + 1] >= st[ns])
            at->lost++;
        else if (a->as_of - st[ns] > a->stale_after)
            at->stale++;
        else
            at->open++;
    }
    return nwin;
}

/* Durations T(e,s+1) - T(e,s) of entities with an event at s that reached s+1. */
static size_t stage_durations(const struct funnel_agg *a, size_t s, int64_t *v)
{
    size_t n = 0;
    for (size_t e = 0; e < a->nent; e++) {
        const int64_t *st = a->state + e * a->stride;
        if (st[s] == INT64_MAX)
            continue;
        int64_t next = INT64_MAX;
        for (size_t j = s + 1; j < a->ns; j++)
            next = st[j] < next ? st[j] : next;
        if (next == INT64_MAX)
            continue;
        v[n++] = next - (st[s] < next ? st[s] : next);
    }
    return n;
}

static int unmapped_cmp(const void *pa, const void *pb)
{
    const struct res_unmapped *x = pa, *y = pb;
    if (x->events != y->events)
        return x->events > y->events ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int list_unmapped(const struct funnel_agg *a, const struct dict *d, struct res_report *out)
{
    size_t n = 0;
    for (uint32_t id = 0; id < a->maps.nstage_ids; id++)
        n += a->unmapped[id] > 0;
    out->unmapped = calloc(n ? n : 1, sizeof *out->unmapped);
    if (!out->unmapped)
        return FB_ENOMEM;
    for (uint32_t id = 0; id < a->maps.nstage_ids; id++) {
        if (!a->unmapped[id])
            continue;
        size_t len;
        const char *s = dict_str(d, id, &len);
        struct res_unmapped *u = &out->unmapped[out->nunmapped++];
        u->events = a->unmapped[id];
        u->len = len;
        if (!(u->name = malloc(len + 1)))
            return FB_ENOMEM;
        memcpy(u->name, s, len);
        u->name[len] = '\0';
        out->ev_unmapped += u->events;
    }
    qsort(out->unmapped, out->nunmapped, sizeof *out->unmapped, unmapped_cmp);
    return 0;
}

static void rates(struct funnel_agg *a, struct res_report *out)
{
    const size_t ns = a->ns;
    uint64_t worst = 0;
    out->drop_out_point = -1;
    for (size_t s = 0; s < ns; s++) {
        struct res_stage *st = &out->stages[s];
        st->name = a->def->names[s];
        st->conv_prev = s ? ratio(st->reached, out->stages[s - 1].reached) : NAN;
        st->conv_start = ratio(st->reached, out->stages[0].reached);
        st->drop_rate = ratio(st->lost + st->stale, st->reached);
        st->touches_marketing = a->touches[2 * s];
        st->touches_sales = a->touches[2 * s + 1];
        out->ev_used += st->touches_marketing + st->touches_sales;
        out->lost += st->lost;
        out->stale += st->stale;
        out->open += st->open;
        if (st->lost + st->stale > worst) {
            worst = st->lost + st->stale;
            out->drop_out_point = (int)s;
        }
    }
    out->won = out->stages[ns - 1].reached;
    out->win_rate = ratio(out->won, out->won + out->lost + out->stale);
}

int funnel_agg_finish(struct funnel_agg *a, const struct dict *stage_dict, int has_as_of,
                      struct res_report *out, struct fb_error *err)
{
    memset(out, 0, sizeof *out);
    out->has_as_of = has_as_of;
    out->as_of = a->as_of;
    out->stale_after_s = a->stale_after;
    out->nstages = a->ns;
    out->stages = calloc(a->ns, sizeof *out->stages);
    int64_t *v = malloc(((size_t)a->nent + 1) * sizeof *v);
    if (!out->stages || !v || list_unmapped(a, stage_dict, out) != 0) {
        free(v);
        res_report_free(out);
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    stats_summarise(v, classify(a, out, v), &out->time_to_win);
    for (size_t s = 0; s + 1 < a->ns; s++) {
        out->stages[s].has_time_in_stage = 1;
        stats_summarise(v, stage_durations(a, s, v), &out->stages[s].time_in_stage);
    }
    rates(a, out);
    out->ev_read = a->read;
    out->ev_after_as_of = a->after;
    free(v);
    return 0;
}
