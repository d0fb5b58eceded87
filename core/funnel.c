/* funnel.c - the partial state (per-entity min/max, counts), its merge,
 * and the metrics finished from it; see funnel.h and docs/METRICS.md for
 * the definitions followed here. */
#include "funnel.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ftime.h"
#include "stats.h"

#define PREFETCH_AHEAD 16
#define HUGE_PAGE ((uintptr_t)2 << 20)

struct part {
    const struct funnel_def *def;
    size_t ns;            /* stages */
    size_t stride;        /* int64 per entity: M[0..ns), last, lostAt */
    uint32_t nent;
    int64_t as_of, stale_after;
    struct funnel_maps maps;
    /* Relaxed atomics: a plain load and store on the targets we build for,
     * and a compare-and-swap only where the array is shared (see add). */
    _Atomic int64_t *state;
    struct part *owner;   /* the part whose state this is (itself, or base) */
    int shared;           /* other parts update state at the same time */
    uint64_t *touches;    /* [stage][0 marketing, 1 sales] */
    uint64_t *unmapped;   /* per stage id */
    uint64_t read, after;
};

static struct part *part_alloc(const struct part *shape)
{
    struct part *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    *p = *shape;
    p->state = NULL;
    p->owner = p;
    p->touches = calloc(2 * p->ns, sizeof *p->touches);
    p->unmapped = calloc(p->maps.nstage_ids + 1, sizeof *p->unmapped);
    p->read = p->after = 0;
    if (!p->touches || !p->unmapped) {
        part_free(p);
        return NULL;
    }
    return p;
}

struct part *part_new(const struct funnel_def *def, uint32_t nentities, int64_t as_of,
                      int64_t stale_after, const struct funnel_maps *maps)
{
    const struct part shape = {.def = def, .ns = def->n, .stride = def->n + 2, .nent = nentities,
                               .as_of = as_of, .stale_after = stale_after, .maps = *maps};
    struct part *p = part_alloc(&shape);
    if (!p)
        return NULL;
    /* Zero is "no event" in every cell (see KEY_MIN), so the array comes
     * from calloc: the kernel's zero pages, faulted in by the threads that
     * add, instead of a pass of this thread over all of it. */
    size_t bytes = ((size_t)nentities * p->stride + 1) * sizeof *p->state;
    p->state = calloc(1, bytes);
    if (!p->state) {
        part_free(p);
        return NULL;
    }
    /* The first touch of a page of it is a read (is the key larger?), which
     * maps the zero page, then a write, which faults again: huge pages make
     * those faults 512 times rarer.  Only a hint; where it is refused, the
     * small pages work the same. */
    uintptr_t from = ((uintptr_t)p->state + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t to = ((uintptr_t)p->state + bytes) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (to > from)
        (void)madvise((void *)from, to - from, MADV_HUGEPAGE);
    return p;
}

struct part *part_new_sharing(struct part *base)
{
    struct part *p = part_alloc(base);
    if (!p)
        return NULL;
    p->state = base->state;
    p->owner = base->owner;
    p->shared = base->shared = 1;
    return p;
}

void part_free(struct part *p)
{
    if (!p)
        return;
    if (p->owner == p)
        free(p->state);
    free(p->touches);
    free(p->unmapped);
    free(p);
}

#define LOAD(x) atomic_load_explicit((x), memory_order_relaxed)

/* Each cell holds a key that only grows, 0 meaning "no event": the first
 * time at a stage as KEY_MIN(t), last and lost times as KEY_MAX(t).  Event
 * times lie in [FTIME_MIN, FTIME_MAX] (evblock.h checks them), so a key of a
 * time is never 0 and one operation, raise, serves every cell. */
#define KEY_MIN(t) (FTIME_MAX + 1 - (t))
#define KEY_MAX(t) ((t) - FTIME_MIN + 1)

/* Raise *x to k if k is larger.  Shared: load first and CAS only when the
 * value improves, which after the first blocks is rare; max commutes, so
 * whichever thread wins a race the array ends the same. */
static inline void raise(_Atomic int64_t *x, int64_t k, int shared)
{
    int64_t cur = LOAD(x);
    if (!shared) {
        if (k > cur)
            atomic_store_explicit(x, k, memory_order_relaxed);
        return;
    }
    while (k > cur && !atomic_compare_exchange_weak_explicit(x, &cur, k, memory_order_relaxed,
                                                             memory_order_relaxed))
        ;
}

/* The loop of part_add, inlined twice with `shared` a constant, so the
 * single-thread replay pays nothing for the shared case.  The part's fields
 * are read into locals once: the stores into the array and the counters
 * would otherwise make the compiler load them again for every event. */
static inline __attribute__((always_inline)) void add_events(struct part *a, const struct evb_cols *c,
                                                             const int shared)
{
    const int64_t *time = c->time;
    const uint32_t *ent = c->ids[EVB_IDX(BLOG_C_ENTITY)];
    const uint32_t *stage = c->ids[EVB_IDX(BLOG_C_STAGE)];
    const uint32_t *chan = c->ids[EVB_IDX(BLOG_C_CHANNEL)];
    const uint32_t *outc = c->ids[EVB_IDX(BLOG_C_OUTCOME)];
    const int32_t *stage_map = a->maps.stage;
    const uint8_t *sales = a->maps.sales, *lost = a->maps.lost;
    uint64_t *touches = a->touches, *unmapped = a->unmapped;
    const int64_t as_of = a->as_of;
    const size_t ns = a->ns, stride = a->stride;
    _Atomic int64_t *const state = a->state;
    const uint32_t n = c->n;
    uint64_t after = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* The entity array is far larger than the cache and ids arrive in
         * no useful order: fetch ahead so misses overlap.  An entity's
         * cells are (stages + 2) x 8 bytes, 72 for the default funnel, so
         * they straddle two cache lines nearly always (the line of its last
         * time, st[ns], is the second one for 7 entities in 8): fetch the
         * line of its first and of its last cell. */
        if (i + PREFETCH_AHEAD < n) {
            const _Atomic int64_t *q = state + (size_t)ent[i + PREFETCH_AHEAD] * stride;
            __builtin_prefetch((const void *)q, 1);
            __builtin_prefetch((const void *)(q + stride - 1), 1);
        }
        int64_t t = time[i];
        if (t > as_of) {
            after++;
            continue;
        }
        int32_t s = stage_map[stage[i]];
        if (s < 0) {
            unmapped[stage[i]]++;
            continue;
        }
        touches[2 * (size_t)s + sales[chan[i]]]++;
        _Atomic int64_t *st = state + (size_t)ent[i] * stride;
        raise(&st[s], KEY_MIN(t), shared);
        raise(&st[ns], KEY_MAX(t), shared);
        if (lost[outc[i]])
            raise(&st[ns + 1], KEY_MAX(t), shared);
    }
    a->read += n;
    a->after += after;
}

void part_add(struct part *p, const struct evb_cols *c)
{
    if (p->shared)
        add_events(p, c, 1);
    else
        add_events(p, c, 0);
}

void part_add_after(struct part *p, uint64_t n)
{
    p->read += n;
    p->after += n;
}

int part_merge(struct part *into, const struct part *from, struct fb_error *err)
{
    if (from->def->n != into->def->n || from->as_of != into->as_of ||
        from->stale_after != into->stale_after || from->nent > into->nent ||
        from->maps.nstage_ids > into->maps.nstage_ids)
        return fb_fail(err, FB_EUSAGE, "partial states of different funnels or logs do not merge");
    for (size_t k = 0; k < 2 * into->ns; k++)
        into->touches[k] += from->touches[k];
    for (uint32_t id = 0; id < from->maps.nstage_ids; id++)
        into->unmapped[id] += from->unmapped[id];
    into->read += from->read;
    into->after += from->after;
    if (from->state == into->state)
        return 0;   /* one shared array: already merged as it was built */
    const size_t stride = into->stride;
    for (size_t e = 0; e < from->nent; e++) {
        const _Atomic int64_t *f = from->state + e * stride;
        _Atomic int64_t *t = into->state + e * stride;
        for (size_t k = 0; k < stride; k++)
            raise(&t[k], LOAD(&f[k]), into->shared);
    }
    return 0;
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

/* The finish works on the keys themselves (KEY_MIN, KEY_MAX): with
 * C = FTIME_MAX + 1, M(e,s) = C - key, so the smaller time is the larger
 * key and a difference of times is the opposite difference of keys.  It
 * reads the array only after every writer has finished. */

/* Outcomes of entities [lo, hi): status at max(e) counted into stages[],
 * and durations to win into v. */
static size_t classify(const struct part *a, size_t lo, size_t hi, struct res_stage *stages,
                       uint64_t *entities, int64_t *v)
{
    const size_t ns = a->ns;
    size_t nwin = 0;
    for (size_t e = lo; e < hi; e++) {
        const _Atomic int64_t *st = a->state + e * a->stride;
        int64_t last = LOAD(&st[ns]);
        if (!last)
            continue;   /* no mapped event at or before as_of */
        ++*entities;
        size_t mx = ns - 1;
        while (!LOAD(&st[mx]))
            mx--;
        int64_t first = 0;   /* the key of T(e,first) = min over s <= mx of M(e,s) */
        for (size_t s = 0; s <= mx; s++) {
            int64_t k = LOAD(&st[s]);
            stages[s].reached++;
            first = k > first ? k : first;
        }
        struct res_stage *at = &stages[mx];
        int64_t lost = LOAD(&st[ns + 1]);
        if (mx == ns - 1)
            v[nwin++] = first - LOAD(&st[ns - 1]);   /* T(e,last) - T(e,first) */
        else if (lost && lost >= last)
            at->lost++;
        else if (a->as_of - (last + FTIME_MIN - 1) > a->stale_after)
            at->stale++;
        else
            at->open++;
    }
    return nwin;
}

/* Durations T(e,s+1) - T(e,s) of entities in [lo, hi) with an event at s
 * that reached s+1, where T(e,s+1) is the least M(e,j), j > s (0 when it
 * comes first). */
static size_t stage_durations(const struct part *a, size_t s, size_t lo, size_t hi, int64_t *v)
{
    size_t n = 0;
    for (size_t e = lo; e < hi; e++) {
        const _Atomic int64_t *st = a->state + e * a->stride;
        int64_t here = LOAD(&st[s]);
        if (!here)
            continue;
        int64_t next = 0;
        for (size_t j = s + 1; j < a->ns; j++) {
            int64_t k = LOAD(&st[j]);
            next = k > next ? k : next;
        }
        if (!next)
            continue;
        v[n++] = here > next ? here - next : 0;
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

static int list_unmapped(const struct part *a, const struct dict *d, struct res_report *out)
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

static void rates(const struct part *a, struct res_report *out)
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

/* The finish reads the whole array once for the outcomes and once a stage
 * for the durations; with threads each pass is cut into slices of
 * entities, one a thread.  A slice writes its durations into v at its own
 * first entity (never more durations than entities), the slices are then
 * closed up in order and counts summed: the multisets and sums are those
 * of one pass, so the report is the same for any number of slices. */
struct slice {
    const struct part *p;
    size_t lo, hi;
    long stage;                  /* -1: outcomes; else durations of this stage */
    int64_t *v;                  /* v + lo */
    size_t n;                    /* durations written */
    struct res_stage *counts;    /* outcomes: per stage */
    uint64_t entities;
    pthread_t tid;
    int started;
};

static void *run_slice(void *arg)
{
    struct slice *j = arg;
    if (j->stage < 0)
        j->n = classify(j->p, j->lo, j->hi, j->counts, &j->entities, j->v);
    else
        j->n = stage_durations(j->p, (size_t)j->stage, j->lo, j->hi, j->v);
    return NULL;
}

/* Run one pass over every slice; returns the durations, closed up in v. */
static size_t run_pass(struct slice *sl, size_t nsl, long stage, int64_t *v)
{
    for (size_t k = 0; k < nsl; k++) {
        sl[k].stage = stage;
        sl[k].v = v + sl[k].lo;
        if (k > 0)   /* a slice whose thread cannot start runs here */
            sl[k].started = pthread_create(&sl[k].tid, NULL, run_slice, &sl[k]) == 0;
    }
    run_slice(&sl[0]);
    size_t n = 0;
    for (size_t k = 0; k < nsl; k++) {
        if (k > 0 && sl[k].started)
            pthread_join(sl[k].tid, NULL);
        else if (k > 0)
            run_slice(&sl[k]);
        memmove(v + n, sl[k].v, sl[k].n * sizeof *v);
        n += sl[k].n;
    }
    return n;
}

static void sum_outcomes(const struct slice *sl, size_t nsl, struct res_report *out)
{
    for (size_t k = 0; k < nsl; k++) {
        out->entities += sl[k].entities;
        for (size_t s = 0; s < out->nstages; s++) {
            out->stages[s].reached += sl[k].counts[s].reached;
            out->stages[s].lost += sl[k].counts[s].lost;
            out->stages[s].stale += sl[k].counts[s].stale;
            out->stages[s].open += sl[k].counts[s].open;
        }
    }
}

static struct slice *new_slices(const struct part *a, unsigned threads, size_t *nsl)
{
    /* A slice is worth a thread from some thousands of entities on. */
    size_t n = threads > 1 ? threads : 1;
    n = a->nent / 4096 < n ? a->nent / 4096 : n;
    n = n ? n : 1;
    struct slice *sl = calloc(n, sizeof *sl);
    if (!sl)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        sl[k].p = a;
        sl[k].lo = a->nent * k / n;
        sl[k].hi = a->nent * (k + 1) / n;
        if (!(sl[k].counts = calloc(a->ns, sizeof *sl[k].counts))) {
            for (size_t j = 0; j <= k; j++)
                free(sl[j].counts);
            free(sl);
            return NULL;
        }
    }
    *nsl = n;
    return sl;
}

int part_finish(const struct part *a, const struct part_finish_opts *o, struct res_report *out,
                struct fb_error *err)
{
    memset(out, 0, sizeof *out);
    out->has_as_of = o->has_as_of;
    out->as_of = a->as_of;
    out->stale_after_s = a->stale_after;
    out->nstages = a->ns;
    out->stages = calloc(a->ns, sizeof *out->stages);
    int64_t *v = malloc(((size_t)a->nent + 1) * sizeof *v);
    size_t nsl = 0;
    struct slice *sl = out->stages && v ? new_slices(a, o->threads, &nsl) : NULL;
    if (!sl || list_unmapped(a, o->stage_names, out) != 0) {
        for (size_t k = 0; sl && k < nsl; k++)
            free(sl[k].counts);
        free(sl);
        free(v);
        res_report_free(out);
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    size_t nwin = run_pass(sl, nsl, -1, v);
    sum_outcomes(sl, nsl, out);
    stats_summarise(v, nwin, &out->time_to_win);
    for (size_t s = 0; s + 1 < a->ns; s++) {
        out->stages[s].has_time_in_stage = 1;
        stats_summarise(v, run_pass(sl, nsl, (long)s, v), &out->stages[s].time_in_stage);
    }
    rates(a, out);
    out->ev_read = a->read;
    out->ev_after_as_of = a->after;
    for (size_t k = 0; k < nsl; k++)
        free(sl[k].counts);
    free(sl);
    free(v);
    return 0;
}
