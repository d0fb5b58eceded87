/* funnel.c - the partial state (per-entity min/max, counts), its merge,
 * and the summary made from it (core/aggregate/summary.h finishes the metrics); see
 * funnel.h and docs/METRICS.md for the definitions followed here. */
#include "funnel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ftime.h"
#include "hugemem.h"

#define PREFETCH_AHEAD 16
/* The longest span from the earliest event to as_of that 32-bit time
 * cells hold (see "Keys"). */
#define NARROW_SPAN (INT64_C(0xFFFFFFFF) - 1)

struct part {
    const struct funnel_def *def;
    size_t ns;            /* stages */
    size_t row;           /* bytes per entity: the time cells M[0..ns), last,
                           * lostAt, then (from wide_at on) the int64 cells:
                           * attribution cells of --by (groups.h), then the
                           * value cell when the log has amounts */
    size_t wide_at;       /* where the int64 cells start, a multiple of 8 */
    size_t nwide;         /* their number */
    int narrow;           /* time cells of 32 bits, relative to lo and as_of
                           * (see "Keys"), else of 64 */
    int64_t lo;           /* narrow: no event time is earlier */
    uint32_t nent;
    int64_t as_of, stale_after;
    int64_t stale[FUNNEL_MAX_STAGES];   /* by max(e) (docs/METRICS.md §4.14) */
    struct qual_conv conv;              /* --window, --skipped (§4.11) */
    struct funnel_maps maps;
    unsigned char *state; /* nent rows of `row` bytes, 8 more at the end */
    size_t state_bytes;   /* the owner's: its size, for huge_zfree */
    struct part *owner;   /* the part whose state this is (itself, or base) */
    uint64_t *touches;    /* [stage][0 marketing, 1 sales] */
    uint32_t ntouch;      /* --touches: touch ids (part_new_touches), 0: off */
    const struct dict *touch_names;   /* names them */
    size_t tcells;        /* --touches: uint64 of bits per entity, 0: off */
    uint64_t *tbits;      /* nent x tcells, the owner's (shared like state) */
    uint64_t *tev;        /* events per combination (s * 2 + ch) * ntouch + t */
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
    p->state_bytes = 0;
    p->owner = p;
    p->touches = calloc(2 * p->ns, sizeof *p->touches);
    p->unmapped = calloc(p->maps.nstage_ids + 1, sizeof *p->unmapped);
    p->read = p->after = 0;
    p->tbits = NULL;
    p->tev = p->tcells ? calloc(2 * p->ns * p->ntouch, sizeof *p->tev) : NULL;
    if (!p->touches || !p->unmapped || (p->tcells && !p->tev)) {
        part_free(p);
        return NULL;
    }
    return p;
}

struct part *part_new(const struct funnel_def *def, uint32_t nentities, int64_t as_of,
                      int64_t stale_after, const struct funnel_maps *maps)
{
    return part_new_touches(def, nentities, as_of, stale_after, maps, NULL);
}

struct part *part_new_touches(const struct funnel_def *def, uint32_t nentities, int64_t as_of,
                              int64_t stale_after, const struct funnel_maps *maps,
                              const struct dict *touches)
{
    const uint32_t ntouch = touches ? dict_size(touches) : 0;
    const size_t combos = (size_t)def->n * 2 * ntouch;
    /* Time cells of 32 bits when every key fits (see "Keys"): the array is
     * then 4 bytes a stage smaller, which is less memory to fault in and
     * fewer cache lines an event touches. */
    const int narrow = maps->has_min_time && (maps->min_time > as_of || as_of - maps->min_time <= NARROW_SPAN);
    const size_t tbytes = (def->n + 2) * (narrow ? 4 : 8), wide_at = (tbytes + 7) & ~(size_t)7;
    const size_t nwide = maps->nby + (maps->amount_rank != NULL);
    const struct part shape = {.def = def, .ns = def->n, .row = wide_at + 8 * nwide, .wide_at = wide_at,
                               .nwide = nwide, .narrow = narrow, .lo = narrow ? maps->min_time : 0,
                               .nent = nentities, .as_of = as_of, .stale_after = stale_after, .maps = *maps,
                               .ntouch = ntouch, .touch_names = touches, .tcells = (combos + 63) / 64};
    if (combos > TOUCH_MAX_COMBOS)
        return NULL;   /* the caller checks the cap first (replay.c) */
    struct part *p = part_alloc(&shape);
    if (!p)
        return NULL;
    if (p->tcells && !(p->tbits = calloc((size_t)nentities * p->tcells + 1, sizeof *p->tbits))) {
        part_free(p);
        return NULL;
    }
    qual_stale_by_stage(def, stale_after, p->stale);
    /* Zero is "no event" in every cell (see KEY_MIN), so the array is a
     * mapping of its own (hugemem.h): the kernel's zero pages, faulted in
     * by the threads that add, instead of a pass of this thread over all
     * of it; in huge pages, as the first touch of a page is a read (is the
     * key larger?) and then a write, two faults each. */
    size_t bytes = (size_t)nentities * p->row + 8;
    p->state = huge_zalloc(bytes);
    p->state_bytes = bytes;
    if (!p->state) {
        part_free(p);
        return NULL;
    }
    return p;
}

struct part *part_new_sharing(struct part *base)
{
    struct part *p = part_alloc(base);
    if (!p)
        return NULL;
    p->state = base->state;
    p->state_bytes = 0;
    p->tbits = base->tbits;
    p->owner = base->owner;
    return p;
}

uint32_t part_entities(const struct part *p)
{
    return p->nent;
}

void part_set_conv(struct part *p, const struct qual_conv *c)
{
    p->conv = *c;
}

void part_free(struct part *p)
{
    if (!p)
        return;
    if (p->owner == p) {
        huge_zfree(p->state, p->state_bytes);
        free(p->tbits);
    }
    free(p->tev);
    free(p->touches);
    free(p->unmapped);
    free(p);
}

/* Keys.  Each cell holds a key that only grows, 0 meaning "no event":
 * the first time at a stage as KEY_MIN(t), last and lost times as
 * KEY_MAX(t).  Event times lie in [FTIME_MIN, FTIME_MAX] (evblock.h checks
 * them), so a key of a time is never 0 and one operation, raise, serves
 * every cell.  A narrow part's time cells count from its own bounds
 * instead: only events at or before as_of reach a cell, and none is
 * earlier than lo (the log's earliest, which evblock.h checks every event
 * against), so as_of - t + 1 and t - lo + 1 lie in [1, NARROW_SPAN + 1]
 * and fit 32 bits.  The attribution and value cells keep 64-bit keys. */
#define KEY_MIN(t) (FTIME_MAX + 1 - (t))
#define KEY_MAX(t) ((t) - FTIME_MIN + 1)
#define NKEY_MIN(as_of, t) ((uint32_t)((as_of) - (t) + 1))
#define NKEY_MAX(lo, t) ((uint32_t)((t) - (lo) + 1))

/* Raise *x to k if k is larger. */
static inline void raise(int64_t *x, int64_t k)
{
    if (k > *x)
        *x = k;
}

static inline void raise32(uint32_t *x, uint32_t k)
{
    if (k > *x)
        *x = k;
}

/* --by: the block's column of each attribute (NULL where no event of the
 * block carries it) into val; returns their number. */
static uint32_t attr_columns(const struct part *a, const struct evb_cols *c, const uint32_t **val)
{
    for (uint32_t k = 0; k < a->maps.nby; k++) {
        val[k] = NULL;
        for (uint32_t j = 0; j < c->natt; j++)
            if (c->att_name[j] == a->maps.by_attr[k])
                val[k] = c->att[j];
    }
    return a->maps.nby;
}

/* The loop of part_add and part_add_sel, inlined sixteen times with `sel`
 * NULL or not, `attrs` 0 or 1, `value` 0 or 1 and `narrow` 0 or 1, so the
 * single-thread replay pays nothing for the selection, nor a replay
 * without --by for the attribution cells, nor one of a log without amounts
 * for the value cell, nor any for the choice of key width: with --by each
 * keeps the max of groups_cell over the entity's mapped events at or
 * before as_of that carry a value (docs/METRICS.md §4.17), and the value
 * cell the max of (time, amount rank) over those that carry an amount
 * (value(e), §4.19: the latest, then the largest), in the same visit to
 * the entity's row.  The part's fields are read into locals once: the
 * stores into the array and the counters would otherwise make the
 * compiler load them again for every event. */
static inline __attribute__((always_inline)) void add_events(struct part *a, const struct evb_cols *c,
                                                             const uint32_t *const sel, const uint32_t n,
                                                             const int attrs, const int value, const int narrow)
{
    const uint32_t *val[PART_MAX_ATTRS];
    const uint32_t nby = attrs ? attr_columns(a, c, val) : 0;
    const uint32_t *rank = a->maps.rank;
    const int last = a->maps.attr_last;
    const uint32_t *amount = c->ids[EVB_IDX(BLOG_C_AMOUNT)], *amount_rank = a->maps.amount_rank;
    const size_t vcell = a->maps.nby;
    const int64_t *time = c->time;
    const uint32_t *ent = c->ids[EVB_IDX(BLOG_C_ENTITY)];
    const uint32_t *stage = c->ids[EVB_IDX(BLOG_C_STAGE)];
    const uint32_t *chan = c->ids[EVB_IDX(BLOG_C_CHANNEL)];
    const uint32_t *outc = c->ids[EVB_IDX(BLOG_C_OUTCOME)];
    const int32_t *stage_map = a->maps.stage;
    const uint8_t *sales = a->maps.sales, *lost = a->maps.lost;
    uint64_t *touches = a->touches, *unmapped = a->unmapped;
    const int64_t as_of = a->as_of, lo = a->lo;
    const size_t ns = a->ns, row = a->row, wide_at = a->wide_at;
    unsigned char *const state = a->state;
    uint64_t after = 0;
    for (uint32_t k = 0; k < n; k++) {
        /* The entity array is far larger than the cache and ids arrive in
         * no useful order: fetch ahead so misses overlap.  An entity's row
         * straddles two cache lines often (always when it is wider than
         * 64 bytes): fetch the line of its first and of its last byte. */
        if (k + PREFETCH_AHEAD < n) {
            const unsigned char *q = state + (size_t)ent[sel ? sel[k + PREFETCH_AHEAD] : k + PREFETCH_AHEAD] * row;
            __builtin_prefetch(q, 1);
            __builtin_prefetch(q + row - 1, 1);
        }
        const uint32_t i = sel ? sel[k] : k;
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
        unsigned char *cells = state + (size_t)ent[i] * row;
        if (narrow) {
            uint32_t *st = (uint32_t *)cells;
            const uint32_t kmax = NKEY_MAX(lo, t);
            raise32(&st[s], NKEY_MIN(as_of, t));
            raise32(&st[ns], kmax);
            if (lost[outc[i]])
                raise32(&st[ns + 1], kmax);
        } else {
            int64_t *st = (int64_t *)cells;
            raise(&st[s], KEY_MIN(t));
            raise(&st[ns], KEY_MAX(t));
            if (lost[outc[i]])
                raise(&st[ns + 1], KEY_MAX(t));
        }
        int64_t *wide = (int64_t *)(cells + wide_at);
        if (attrs) {
            const int64_t key = last ? KEY_MAX(t) : KEY_MIN(t);
            for (uint32_t b = 0; b < nby; b++)
                if (val[b] && val[b][i])
                    raise(&wide[b], groups_cell(key, rank[val[b][i]]));
        }
        if (value) {
            const uint32_t r = amount_rank[amount[i]];
            if (r)
                raise(&wide[vcell], KEY_MAX(t) << GROUPS_RANK_BITS | (int64_t)r);
        }
    }
    a->read += n;
    a->after += after;
}

/* add_events with --by, amounts and the key width read from the part;
 * inlined into part_add and part_add_sel, so that `sel` stays a constant
 * NULL on the one-thread path. */
static inline __attribute__((always_inline)) void add_any(struct part *p, const struct evb_cols *c,
                                                          const uint32_t *sel, uint32_t n)
{
    const int v = p->maps.amount_rank != NULL, g = p->maps.nby != 0;
#define ADD_EVENTS(G, V, N) add_events(p, c, sel, n, G, V, N)
    if (p->narrow) {
        if (g && v)
            ADD_EVENTS(1, 1, 1);
        else if (g)
            ADD_EVENTS(1, 0, 1);
        else if (v)
            ADD_EVENTS(0, 1, 1);
        else
            ADD_EVENTS(0, 0, 1);
    } else {
        if (g && v)
            ADD_EVENTS(1, 1, 0);
        else if (g)
            ADD_EVENTS(1, 0, 0);
        else if (v)
            ADD_EVENTS(0, 1, 0);
        else
            ADD_EVENTS(0, 0, 0);
    }
#undef ADD_EVENTS
}

/* --touches (docs/METRICS.md §4.22): a second loop over the events, so
 * that the loop above, and a replay without --touches, are as they were.
 * Per mapped event at or before as_of: its combination's event count, and
 * its bit in the entity's cells (written by the entity's owner only, as
 * the state). */
static void add_touches(struct part *a, const struct evb_cols *c, const uint32_t *sel, uint32_t n)
{
    const int64_t *time = c->time;
    const uint32_t *ent = c->ids[EVB_IDX(BLOG_C_ENTITY)];
    const uint32_t *stage = c->ids[EVB_IDX(BLOG_C_STAGE)];
    const uint32_t *chan = c->ids[EVB_IDX(BLOG_C_CHANNEL)];
    const uint32_t *touch = c->ids[EVB_IDX(BLOG_C_TOUCH)];
    const int32_t *stage_map = a->maps.stage;
    const uint8_t *sales = a->maps.sales;
    const size_t nt = a->ntouch, tcells = a->tcells;
    for (uint32_t k = 0; k < n; k++) {
        const uint32_t i = sel ? sel[k] : k;
        const int32_t s = stage_map[stage[i]];
        if (time[i] > a->as_of || s < 0)
            continue;
        const size_t combo = ((size_t)s * 2 + sales[chan[i]]) * nt + touch[i];
        a->tev[combo]++;
        a->tbits[(size_t)ent[i] * tcells + combo / 64] |= UINT64_C(1) << (combo % 64);
    }
}

void part_add(struct part *p, const struct evb_cols *c)
{
    if (p->tcells)
        add_touches(p, c, NULL, c->n);
    add_any(p, c, NULL, c->n);
}

void part_add_sel(struct part *p, const struct evb_cols *c, const uint32_t *sel, uint32_t n)
{
    if (p->tcells)
        add_touches(p, c, sel, n);
    add_any(p, c, sel, n);
}

void part_add_after(struct part *p, uint64_t n)
{
    p->read += n;
    p->after += n;
}

/* --touches: counts summed and bits ORed (commutative and associative,
 * so any split and order give the same cells).  A part of an older commit
 * of the log may know fewer touch ids: its combinations are renumbered. */
static void merge_touches(struct part *into, const struct part *from)
{
    const size_t nf = from->ntouch, ni = into->ntouch;
    for (size_t sc = 0; from->tcells && sc < 2 * into->ns; sc++)
        for (size_t t = 0; t < nf; t++)
            into->tev[sc * ni + t] += from->tev[sc * nf + t];
    if (!from->tcells || from->tbits == into->tbits)
        return;
    for (size_t e = 0; e < from->nent; e++) {
        const uint64_t *f = from->tbits + e * from->tcells;
        uint64_t *t = into->tbits + e * into->tcells;
        for (size_t w = 0; w < from->tcells; w++) {
            if (nf == ni) {
                t[w] |= f[w];
                continue;
            }
            for (uint64_t x = f[w]; x; x &= x - 1) {
                const size_t combo = w * 64 + (size_t)__builtin_ctzll(x);
                const size_t to = combo / nf * ni + combo % nf;
                t[to / 64] |= UINT64_C(1) << (to % 64);
            }
        }
    }
}

int part_merge(struct part *into, const struct part *from, struct fb_error *err)
{
    if (from->def->n != into->def->n || from->as_of != into->as_of ||
        from->stale_after != into->stale_after || from->nent > into->nent ||
        memcmp(from->stale, into->stale, into->ns * sizeof *into->stale) != 0 ||
        from->conv.window != into->conv.window || from->conv.skip_ignore != into->conv.skip_ignore ||
        from->maps.nstage_ids > into->maps.nstage_ids || !from->tcells != !into->tcells ||
        from->ntouch > into->ntouch || from->row != into->row || from->narrow != into->narrow ||
        from->lo != into->lo)
        return fb_fail(err, FB_EUSAGE, "partial states of different funnels or logs do not merge");
    merge_touches(into, from);
    for (size_t k = 0; k < 2 * into->ns; k++)
        into->touches[k] += from->touches[k];
    for (uint32_t id = 0; id < from->maps.nstage_ids; id++)
        into->unmapped[id] += from->unmapped[id];
    into->read += from->read;
    into->after += from->after;
    if (from->state == into->state)
        return 0;   /* one shared array: already merged as it was built */
    const size_t row = into->row, ntime = into->ns + 2;
    for (size_t e = 0; e < from->nent; e++) {
        const unsigned char *f = from->state + e * row;
        unsigned char *t = into->state + e * row;
        for (size_t k = 0; k < ntime; k++)
            if (into->narrow)
                raise32((uint32_t *)t + k, ((const uint32_t *)f)[k]);
            else
                raise((int64_t *)t + k, ((const int64_t *)f)[k]);
        for (size_t k = 0; k < into->nwide; k++)
            raise((int64_t *)(t + into->wide_at) + k, ((const int64_t *)(f + into->wide_at))[k]);
    }
    return 0;
}

/* Entity e's row of the state as times, read after every writer has
 * finished: M(e,s) (INT64_MAX: none), then last(e) and lostAt(e)
 * (INT64_MIN: none), then the attribution and value cells as they are. */
static void load_row(const struct part *a, size_t e, int64_t *row)
{
    const unsigned char *cells = a->state + e * a->row;
    const size_t ns = a->ns;
    if (a->narrow) {
        const uint32_t *st = (const uint32_t *)cells;
        for (size_t k = 0; k < ns; k++)
            row[k] = st[k] ? a->as_of + 1 - (int64_t)st[k] : INT64_MAX;
        for (size_t k = ns; k < ns + 2; k++)
            row[k] = st[k] ? a->lo - 1 + (int64_t)st[k] : INT64_MIN;
    } else {
        const int64_t *st = (const int64_t *)cells;
        for (size_t k = 0; k < ns; k++)
            row[k] = st[k] ? FTIME_MAX + 1 - st[k] : INT64_MAX;
        for (size_t k = ns; k < ns + 2; k++)
            row[k] = st[k] ? st[k] + FTIME_MIN - 1 : INT64_MIN;
    }
    const int64_t *wide = (const int64_t *)(cells + a->wide_at);
    for (size_t k = 0; k < a->nwide; k++)
        row[ns + 2 + k] = wide[k];
}

/* The summary is made in the per-entity array itself: one pass reads
 * each row and writes that entity's values - at most ns of them - packed
 * with the number of their set, at or before the end of its own row.  A
 * row of 64-bit cells always has room for them; a narrow row (4 bytes a
 * stage) has room for the few an entity has on average, and the values of
 * an entity that would run past its row go to a list of the slice
 * instead.  Each slice then scatters its values, unpacked, into their
 * sets in one block of their own: every slice knows how many values of
 * each set it has, so each writes its own places, all slices at once, in
 * one pass (an in-place sort by set would be one thread's work, and twice
 * the reads); the array is freed after.  With groups (emit_groups) the
 * plain values are sorted by set inside the array instead.
 * Every value is a duration in [0, FTIME_MAX - FTIME_MIN], below 2^40.
 * Undecided entities (a provisional summary) are records of their own
 * (struct sum_und, with an amount of 128 bits), kept in a list of each
 * slice: a provisional shard summary needs that memory beyond the array. */
#define PACK_SHIFT 40
#define PACK(set, v) ((int64_t)(set) << PACK_SHIFT | (v))
#define PACK_SET(x) ((size_t)((x) >> PACK_SHIFT))
#define PACK_VAL(x) ((x) & ((INT64_C(1) << PACK_SHIFT) - 1))

/* One pass over the entities of a slice: counts, and the packed values
 * written from out on.  With groups (groups.h), each entity's values are
 * written as a record: their number, the entity's slot in each dimension,
 * then the values; a record is at most 1 + nby + 1 + ns cells, no more
 * than a wide row, so it too fits at or before the end of a wide row. */
struct slice {
    const struct part *p;
    int provisional;
    size_t lo, hi;
    int64_t *out;                /* the array at row lo */
    size_t n;                    /* cells written there */
    int64_t *more;               /* the records that did not fit */
    size_t nmore, more_cap;
    size_t *at;                  /* per set: the next place of this slice's values in to */
    int64_t *to;                 /* the values of every slice, by set */
    struct sum_stage *counts;    /* per stage */
    size_t *nset;                /* values per set */
    struct sum_und *und;         /* undecided entities (provisional) */
    size_t nund, und_cap;
    uint32_t *und_slot;          /* with groups: each one's slots, nd apiece */
    int oom;                     /* a list could not grow */
    uint64_t entities;
    struct trend_acc tr;         /* moments for --trend and activity */
    uint64_t backwards, won_then_lost;   /* docs/METRICS.md §4.13 */
    const struct groups_plan *plan;   /* NULL: no groups */
    uint64_t *gent;              /* per slot: entities */
    struct sum_stage *gcounts;   /* per slot and stage */
    size_t *gnset;               /* per slot and set */
    size_t *gnund;               /* per slot: undecided entities */
    pthread_t tid;
    int started;
};

/* The entity-level findings of the quality block (docs/METRICS.md §4.13),
 * counted for the whole report only. */
#define Q_BACKWARDS 1u
#define Q_WON_THEN_LOST 2u

/* max(e): the highest stage with an event (a counted row has one). */
static inline size_t row_max(const struct part *a, const int64_t *st)
{
    size_t mx = a->ns - 1;
    while (st[mx] == INT64_MAX)
        mx--;
    return mx;
}

/* The status of a counted entity with max(e) = mx (docs/METRICS.md §3-§4,
 * §4.14): won at the last stage; else lost when its last lost time is at or
 * after its last touch; else stale when untouched for longer than its
 * stage's threshold at as_of; else open.  The one decision of both the
 * report (tally) and the entity lists (part_row), so they agree by code. */
static inline int row_status(const struct part *a, const int64_t *st, size_t mx)
{
    const size_t ns = a->ns;
    if (mx == ns - 1)
        return TR_IS_WON;
    if (st[ns + 1] != INT64_MIN && st[ns + 1] >= st[ns])
        return TR_IS_LOST;
    if (a->as_of - st[ns] > a->stale[mx])
        return TR_IS_STALE;
    return TR_OPEN;
}

/* value(e) from the entity's value cell (docs/METRICS.md §4.19), NULL when
 * it has none. */
static inline const struct money *value_of(const struct part *a, const int64_t *st)
{
    if (!a->maps.amount_rank)
        return NULL;
    const int64_t cell = st[a->ns + 2 + a->maps.nby];
    return cell ? &a->maps.money[(cell & GROUPS_RANK_MASK) - 1] : NULL;
}

/* One entity's counts and money sums into counts and nset, and its
 * values, packed, from out on; returns their number, with max(e) in *max,
 * its outcome (trend.h TR_*) in *outcome and its Q_* findings in *q.  Per
 * docs/METRICS.md §3-§4; with `provisional` (as_of is only this part's
 * latest event, docs/FORMAT.md §14) an entity neither won nor lost that is
 * not yet stale at as_of is undecided: it is written to *und instead of
 * counted, and *outcome is TR_OPEN with *is_und 1.  Every per-entity
 * metric of the summary belongs here: the groups of an entity (groups.h)
 * are tallied by the same call, so every metric splits the same way.  At
 * most ns values: time in stage below max(e), then the time to win, or
 * the time to loss and the censoring at max(e), or the aging. */
static inline size_t tally(const struct part *a, int provisional, const int64_t *st,
                           struct sum_stage *counts, size_t *nset, int64_t *out, size_t *max,
                           int *outcome, unsigned *q, struct sum_und *und, int *is_und)
{
    const size_t ns = a->ns;
    const struct money *val = value_of(a, st);
    size_t w = 0;
    const size_t mx = row_max(a, st);
    /* Down from max(e): next = T(e,s+1), the minimum of M above s. */
    int64_t next = st[mx];
    int back = 0;   /* an event at s after one above s (§4.13) */
    const int conv_on = qual_conv_on(&a->conv);   /* else conv = reached */
    counts[mx].reached++;
    counts[mx].conv += !conv_on;
    counts[mx].with_event++;
    for (size_t s = mx; s-- > 0;) {
        counts[s].reached++;
        counts[s].conv += !conv_on;
        if (st[s] == INT64_MAX)
            continue;
        counts[s].with_event++;
        back |= st[s] > next;
        int64_t t = st[s] < next ? st[s] : next;
        out[w++] = PACK(SUM_DUR(s), next - t);   /* T(e,s+1) - T(e,s) */
        nset[SUM_DUR(s)]++;
        next = t;
    }
    *q = back ? Q_BACKWARDS : 0;
    if (conv_on)
        for (size_t s = qual_conv_reach(st, ns, mx, &a->conv); s-- > 0;)
            counts[s].conv++;
    *outcome = row_status(a, st, mx);
    *is_und = 0;
    /* Below the last stage, M(e,max) = T(e,max) starts the censoring of
     * Kaplan-Meier at max(e) and the aging (§4.20). */
    if (*outcome == TR_IS_WON) {
        out[w++] = PACK(SUM_WIN(ns), st[ns - 1] - next);   /* T(e,last) - T(e,first) */
        nset[SUM_WIN(ns)]++;
        if (st[ns + 1] != INT64_MIN && st[ns + 1] > st[ns - 1])
            *q |= Q_WON_THEN_LOST;
        if (val)
            money_sum_add(&counts[mx].v_won, val);
    } else if (*outcome == TR_IS_LOST) {
        counts[mx].lost++;
        if (val)
            money_sum_add(&counts[mx].v_lost, val);
        out[w++] = PACK(SUM_LOSS(ns), st[ns + 1] - next);   /* lostAt - entry */
        nset[SUM_LOSS(ns)]++;
        out[w++] = PACK(SUM_CEN(ns, mx), st[ns + 1] - st[mx]);
        nset[SUM_CEN(ns, mx)]++;
    } else if (*outcome == TR_IS_STALE) {
        counts[mx].stale++;
        if (val)
            money_sum_add(&counts[mx].v_stale, val);
        out[w++] = PACK(SUM_CEN(ns, mx), st[ns] - st[mx]);
        nset[SUM_CEN(ns, mx)]++;
    } else if (provisional) {
        und->value = val ? *val : (struct money){0, 0};
        und->has_value = val != NULL;
        und->last = st[ns];
        und->m = st[mx];
        und->stage = (uint32_t)mx;
        *is_und = 1;
    } else {
        counts[mx].open++;
        if (val)
            money_sum_add(&counts[mx].v_open, val);
        out[w++] = PACK(SUM_AGE(ns, mx), a->as_of - st[mx]);
        nset[SUM_AGE(ns, mx)]++;
    }
    *max = mx;
    return w;
}

/* Keep an undecided entity in the slice's list (with its slots when
 * there are groups). */
static void keep_und(struct slice *j, const struct sum_und *u, const uint32_t *slot, size_t nd)
{
    if (j->nund == j->und_cap) {
        size_t cap = j->und_cap ? 2 * j->und_cap : 1024;
        struct sum_und *n = realloc(j->und, cap * sizeof *n);
        uint32_t *s = n ? realloc(j->und_slot, (cap * nd + 1) * sizeof *s) : NULL;
        if (n)
            j->und = n;
        if (s)
            j->und_slot = s;
        if (!n || !s) {
            j->oom = 1;
            return;
        }
        j->und_cap = cap;
    }
    if (nd)   /* slot may be NULL without groups */
        memcpy(j->und_slot + j->nund * nd, slot, nd * sizeof *slot);
    j->und[j->nund++] = *u;
}

/* An entity with groups: its record at rec (see struct slice), and its
 * tally once more in each of its groups; returns the record's cells. */
static size_t tally_groups(struct slice *j, const int64_t *st, int64_t *rec, size_t *max, int *outcome,
                           unsigned *q)
{
    const struct part *a = j->p;
    const size_t ns = a->ns, nsets = SUM_NSETS(ns), nd = groups_plan_ndims(j->plan);
    int64_t scratch[FUNNEL_MAX_STAGES];
    uint32_t slot[GROUPS_MAX_BY + 1];
    struct sum_und und;
    int is_und;
    size_t nv = tally(a, j->provisional, st, j->counts, j->nset, rec + 1 + nd, max, outcome, q, &und, &is_und);
    int64_t entry = INT64_MAX;   /* entry(e) = T(e,0), the least M(e,s) */
    for (size_t s = 0; s < ns; s++)
        entry = st[s] < entry ? st[s] : entry;
    groups_plan_slots(j->plan, st + ns + 2, entry, slot);
    rec[0] = (int64_t)nv;
    for (size_t d = 0; d < nd; d++) {
        size_t mx;
        int oc, gund;
        unsigned gq;
        struct sum_und gu;
        rec[1 + d] = slot[d];
        j->gent[slot[d]]++;
        (void)tally(a, j->provisional, st, j->gcounts + (size_t)slot[d] * ns,
                    j->gnset + (size_t)slot[d] * nsets, scratch, &mx, &oc, &gq, &gu, &gund);
        j->gnund[slot[d]] += (size_t)gund;
    }
    if (is_und)
        keep_und(j, &und, slot, nd);
    return 1 + nd + nv;
}

/* Keep a record that did not fit before the end of its row in the
 * slice's list. */
static void keep_more(struct slice *j, const int64_t *rec, size_t n)
{
    if (j->more_cap - j->nmore < n) {
        size_t cap = j->more_cap ? 2 * j->more_cap : 4096;
        cap = cap - j->nmore < n ? j->nmore + n : cap;
        int64_t *m = realloc(j->more, cap * sizeof *m);
        if (!m) {
            j->oom = 1;
            return;
        }
        j->more = m;
        j->more_cap = cap;
    }
    memcpy(j->more + j->nmore, rec, n * sizeof *rec);
    j->nmore += n;
}

static void *run_slice(void *arg)
{
    struct slice *j = arg;
    const struct part *a = j->p;
    const size_t ns = a->ns;
    const size_t most = 1 + (j->plan ? groups_plan_ndims(j->plan) : 0) + ns;   /* cells of a record */
    int64_t st[FUNNEL_MAX_STAGES + 2 + GROUPS_MAX_BY];
    int64_t rec[1 + GROUPS_MAX_BY + 1 + FUNNEL_MAX_STAGES];
    size_t w = 0;
    for (size_t e = j->lo; e < j->hi; e++) {
        load_row(a, e, st);
        if (st[ns] == INT64_MIN)
            continue;   /* no mapped event at or before as_of */
        j->entities++;
        size_t mx, n;
        int outcome;
        unsigned q = 0;
        /* Cells of out up to the end of this row are free: every row up
         * to it has been read. */
        const size_t room = ((e - j->lo + 1) * a->row) / sizeof *rec - w;
        int64_t *to = most <= room ? j->out + w : rec;
        if (j->plan) {
            n = tally_groups(j, st, to, &mx, &outcome, &q);
        } else {
            struct sum_und und;
            int is_und;
            n = tally(a, j->provisional, st, j->counts, j->nset, to, &mx, &outcome, &q, &und, &is_und);
            if (is_und)
                keep_und(j, &und, NULL, 0);
        }
        if (to == rec && n <= room) {
            memcpy(j->out + w, rec, n * sizeof *rec);
        } else if (to == rec) {
            keep_more(j, rec, n);
            n = 0;
        }
        w += n;
        j->backwards += (q & Q_BACKWARDS) != 0;
        j->won_then_lost += (q & Q_WON_THEN_LOST) != 0;
        trend_acc_entity(&j->tr, st, ns, mx, outcome, a->stale[mx]);
    }
    j->n = w;
    return NULL;
}

int part_row(const struct part *a, uint32_t e, struct part_row *r, uint32_t *rank)
{
    const size_t ns = a->ns;
    int64_t st[FUNNEL_MAX_STAGES + 2 + PART_MAX_ATTRS];
    load_row(a, e, st);
    if (st[ns] == INT64_MIN)
        return 0;   /* no mapped event at or before as_of: not counted */
    r->max = row_max(a, st);
    r->status = row_status(a, st, r->max);
    r->stale_after = a->stale[r->max];
    r->last = st[ns];
    r->lost_at = st[ns + 1];
    /* T(e,s) = the least M(e,s') over s' >= s, as tally walks it down. */
    int64_t next = INT64_MAX;
    for (size_t s = ns; s-- > 0;) {
        r->m[s] = st[s];
        next = st[s] < next ? st[s] : next;
        r->t[s] = next;
    }
    for (uint32_t b = 0; b < a->maps.nby; b++)
        rank[b] = st[ns + 2 + b] ? groups_cell_rank(st[ns + 2 + b]) : UINT32_MAX;
    r->value = value_of(a, st);
    r->value_rank = r->value ? (uint32_t)(st[ns + 2 + a->maps.nby] & GROUPS_RANK_MASK) : 0;
    return 1;
}

int64_t part_as_of(const struct part *p)
{
    return p->as_of;
}

static void free_slices(struct slice *sl, size_t n)
{
    for (size_t k = 0; sl && k < n; k++) {
        free(sl[k].counts);
        free(sl[k].nset);
        free(sl[k].gent);
        free(sl[k].gcounts);
        free(sl[k].gnset);
        free(sl[k].gnund);
        free(sl[k].und);
        free(sl[k].und_slot);
        free(sl[k].more);
        free(sl[k].at);
        trend_acc_free(&sl[k].tr);
    }
    free(sl);
}

static struct slice *new_slices(const struct part *a, unsigned threads, int provisional,
                                const struct trend_opts *tr, const struct groups_plan *plan,
                                size_t *nsl)
{
    const size_t nslots = plan ? groups_plan_nslots(plan) : 0;
    /* A slice is worth a thread from some thousands of entities on. */
    size_t n = threads > 1 ? threads : 1;
    n = a->nent / 4096 < n ? a->nent / 4096 : n;
    n = n ? n : 1;
    struct slice *sl = calloc(n, sizeof *sl);
    if (!sl)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        sl[k].p = a;
        sl[k].provisional = provisional;
        sl[k].lo = a->nent * k / n;
        sl[k].hi = a->nent * (k + 1) / n;
        sl[k].out = (int64_t *)(a->state + sl[k].lo * a->row);
        sl[k].counts = calloc(a->ns, sizeof *sl[k].counts);
        sl[k].nset = calloc(SUM_NSETS(a->ns), sizeof *sl[k].nset);
        sl[k].at = calloc(SUM_NSETS(a->ns), sizeof *sl[k].at);
        sl[k].plan = plan;
        sl[k].gent = calloc(nslots + 1, sizeof *sl[k].gent);
        sl[k].gcounts = calloc(nslots * a->ns + 1, sizeof *sl[k].gcounts);
        sl[k].gnset = calloc(nslots * SUM_NSETS(a->ns) + 1, sizeof *sl[k].gnset);
        sl[k].gnund = calloc(nslots + 1, sizeof *sl[k].gnund);
        if (!sl[k].counts || !sl[k].nset || !sl[k].at || !sl[k].gent || !sl[k].gcounts || !sl[k].gnset || !sl[k].gnund ||
            trend_acc_init(&sl[k].tr, a->ns, tr, a->as_of, provisional) != 0) {
            free_slices(sl, k + 1);
            return NULL;
        }
    }
    *nsl = n;
    return sl;
}

/* fn on every slice at once: this thread takes the first, and any whose
 * thread cannot start. */
static void on_slices(struct slice *sl, size_t nsl, void *(*fn)(void *))
{
    for (size_t k = 1; k < nsl; k++)
        sl[k].started = pthread_create(&sl[k].tid, NULL, fn, &sl[k]) == 0;
    fn(&sl[0]);
    for (size_t k = 1; k < nsl; k++) {
        if (sl[k].started)
            pthread_join(sl[k].tid, NULL);
        else
            fn(&sl[k]);
    }
}

/* With groups: close the records up in slice order at the start of a's
 * array, those that did not fit after them (the array grows when they
 * need more room than it has); returns their number of cells, or SIZE_MAX
 * when out of memory. */
static size_t close_records(struct part *a, struct slice *sl, size_t nsl)
{
    int64_t *pool = (int64_t *)a->state;
    size_t n = 0, more = 0;
    for (size_t k = 0; k < nsl; k++) {
        memmove(pool + n, sl[k].out, sl[k].n * sizeof *pool);
        n += sl[k].n;
        more += sl[k].nmore;
    }
    const size_t cap = ((size_t)a->nent * a->row + 8) / sizeof *pool;
    if (n + more > cap) {
        int64_t *grown = huge_zalloc((n + more) * sizeof *pool);
        if (!grown)
            return SIZE_MAX;
        memcpy(grown, pool, n * sizeof *pool);
        huge_zfree(a->state, a->state_bytes);
        a->state = (unsigned char *)grown;
        a->state_bytes = (n + more) * sizeof *pool;
        pool = grown;
    }
    for (size_t k = 0; k < nsl; k++) {
        if (sl[k].nmore)
            memcpy(pool + n, sl[k].more, sl[k].nmore * sizeof *pool);
        n += sl[k].nmore;
    }
    return n;
}

/* Sort the packed values into their sets in place (each value goes
 * straight to the next free place of its set: American flag sort), then
 * unpack them. */
static void bucket_values(int64_t *v, const size_t *count, size_t nsets)
{
    size_t next[SUM_MAX_SETS], end[SUM_MAX_SETS], at = 0;
    for (size_t k = 0; k < nsets; k++) {
        next[k] = at;
        at += count[k];
        end[k] = at;
    }
    for (size_t k = 0; k < nsets; k++) {
        while (next[k] < end[k]) {
            int64_t x = v[next[k]];
            size_t b = PACK_SET(x);
            while (b != k) {
                int64_t y = v[next[b]];
                v[next[b]++] = x;
                x = y;
                b = PACK_SET(x);
            }
            v[next[k]++] = x;
        }
    }
    for (size_t i = 0; i < at; i++)
        v[i] = PACK_VAL(v[i]);
}

/* Each packed value of v[0..n) unpacked to the next place of its set. */
static void scatter(const int64_t *v, size_t n, size_t *at, int64_t *to)
{
    for (size_t i = 0; i < n; i++)
        to[at[PACK_SET(v[i])]++] = PACK_VAL(v[i]);
}

static void *scatter_slice(void *arg)
{
    struct slice *j = arg;
    scatter(j->out, j->n, j->at, j->to);
    scatter(j->more, j->nmore, j->at, j->to);
    return NULL;
}

/* The values of the slices into one block, set after set (each set's
 * values in slice order, each slice's in entity order).  Returns the
 * block (a huge_zalloc block of *bytes), or NULL when out of memory. */
static int64_t *gather_values(struct slice *sl, size_t nsl, size_t nsets, size_t *bytes)
{
    size_t total = 0;
    for (size_t s = 0; s < nsets; s++)
        for (size_t k = 0; k < nsl; k++) {
            sl[k].at[s] = total;
            total += sl[k].nset[s];
        }
    /* Written end to end at once, by every slice's thread (hugemem.h). */
    *bytes = (total ? total : 1) * sizeof(int64_t);
    int64_t *to = huge_zalloc(*bytes);
    if (!to)
        return NULL;
    for (size_t k = 0; k < nsl; k++)
        sl[k].to = to;
    on_slices(sl, nsl, scatter_slice);
    return to;
}

/* The unmapped stage names with their counts, sorted by bytes. */
static int name_cmp(const void *pa, const void *pb)
{
    const struct sum_unmapped *x = pa, *y = pb;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int list_unmapped(const struct part *a, const struct dict *d, struct summary *out)
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
        struct sum_unmapped *u = &out->unmapped[out->nunmapped++];
        u->events = a->unmapped[id];
        u->len = len;
        if (!(u->name = malloc(len ? len : 1)))
            return FB_ENOMEM;
        memcpy(u->name, s, len);
    }
    qsort(out->unmapped, out->nunmapped, sizeof *out->unmapped, name_cmp);
    return 0;
}

/* The slots of the groups (groups.h): one pass over the entities sees
 * which values and periods occur, so that slots are dense and in key
 * order. */
static int plan_groups(const struct part *a, const struct part_summary_opts *o,
                       struct groups_plan **out, struct fb_error *err)
{
    *out = NULL;
    if (!o->groups || !groups_on(o->groups))
        return 0;
    struct groups_plan *p = groups_plan_new(o->groups, o->values, a->as_of);
    if (!p)
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    int64_t st[FUNNEL_MAX_STAGES + 2 + GROUPS_MAX_BY];
    for (size_t e = 0; e < a->nent; e++) {
        load_row(a, e, st);
        if (st[a->ns] == INT64_MIN)
            continue;
        int64_t entry = INT64_MAX;
        for (size_t s = 0; s < a->ns; s++)
            entry = st[s] < entry ? st[s] : entry;
        groups_plan_see(p, st + a->ns + 2, entry);
    }
    int rc = groups_plan_build(p, err);
    if (rc)
        groups_plan_free(p);
    else
        *out = p;
    return rc;
}

/* The groups' summaries from the slices' tallies, their values copied out
 * of the records, and the records closed up into the plain values of the
 * whole summary; returns their number. */
static int emit_groups(const struct part *a, const struct groups_plan *plan,
                       const struct part_summary_opts *o, struct slice *sl, size_t nsl,
                       int64_t *pool, size_t *cells, struct summary *out, struct fb_error *err)
{
    const size_t ns = a->ns, nsets = SUM_NSETS(ns), nslots = groups_plan_nslots(plan);
    const size_t nd = groups_plan_ndims(plan);
    for (size_t k = 1; k < nsl; k++) {
        for (size_t i = 0; i < nslots; i++)
            sl[0].gent[i] += sl[k].gent[i];
        for (size_t i = 0; i < nslots * ns; i++)
            sum_stage_add(&sl[0].gcounts[i], &sl[k].gcounts[i]);
        for (size_t i = 0; i < nslots * nsets; i++)
            sl[0].gnset[i] += sl[k].gnset[i];
        for (size_t i = 0; i < nslots; i++)
            sl[0].gnund[i] += sl[k].gnund[i];
    }
    struct summary **sums = calloc(nslots + 1, sizeof *sums);
    /* The next free place of each group's set, flat by slot and set: the
     * copy below writes values of random groups, and one load of its
     * place is all a value costs (not the group, its set, then a count). */
    int64_t **next = calloc(nslots * nsets + 1, sizeof *next);
    int rc = sums && next ? 0 : fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    if (rc == 0)
        rc = groups_plan_emit(plan, o->groups, out, sl[0].gent, sl[0].gcounts, sl[0].gnset, sums, err);
    for (size_t slot = 0; rc == 0 && slot < nslots; slot++)
        for (size_t k = 0; sums[slot] && k < nsets; k++)
            next[slot * nsets + k] = sums[slot]->set[k].v;
    size_t nv = 0;
    for (size_t i = 0; rc == 0 && i < *cells;) {
        const size_t n = (size_t)pool[i];
        const int64_t *v = pool + i + 1 + nd;
        for (size_t d = 0; d < nd; d++) {
            int64_t **at = next + (size_t)pool[i + 1 + d] * nsets;
            for (size_t x = 0; x < n; x++)
                *at[PACK_SET(v[x])]++ = PACK_VAL(v[x]);
        }
        memmove(pool + nv, v, n * sizeof *pool);
        nv += n;
        i += 1 + nd + n;
    }
    *cells = nv;
    /* The undecided entities into their groups' lists. */
    for (size_t i = 0; rc == 0 && i < nslots; i++) {
        if (!sums[i] || !sl[0].gnund[i])
            continue;
        if (!(sums[i]->und = malloc(sl[0].gnund[i] * sizeof *sums[i]->und)))
            rc = fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    for (size_t k = 0; rc == 0 && k < nsl; k++)
        for (size_t u = 0; u < sl[k].nund; u++)
            for (size_t d = 0; d < nd; d++) {
                struct summary *g = sums[sl[k].und_slot[u * nd + d]];
                g->und[g->nund++] = sl[k].und[u];
            }
    free(sums);
    free(next);
    return rc;
}

/* --touches (docs/METRICS.md §4.22): one pass over the entities, before
 * the summary reuses their array, turns each counted entity's bits into
 * entities per (stage, channel, touch type) and, for every non-empty touch
 * type it had, its lift counts by status (an undecided entity of a
 * provisional summary is neither won nor lost, whatever the finish
 * decides, so it needs nothing more: touches.h).  Then the touch types without events are dropped and the rest
 * sorted by name. */
static int summarise_touches(const struct part *a, struct summary *out)
{
    const size_t ns = a->ns, nt = a->ntouch;
    struct sum_touches *t = touches_new(ns);
    if (!(out->touches = t))
        return FB_ENOMEM;
    for (uint32_t id = 0; id < nt; id++) {
        size_t len;
        const char *name = dict_str(a->touch_names, id, &len);
        struct sum_touch *x = touches_add(t, name, len);
        if (!x)
            return FB_ENOMEM;
        for (size_t sc = 0; sc < 2 * ns; sc++)
            x->c[sc] = a->tev[sc * nt + id];
    }
    int64_t st[FUNNEL_MAX_STAGES + 2 + PART_MAX_ATTRS + 1];
    uint64_t had[TOUCH_MAX_COMBOS / 64];
    for (size_t e = 0; e < a->nent; e++) {
        load_row(a, e, st);
        if (st[ns] == INT64_MIN)
            continue;   /* not counted */
        const size_t mx = row_max(a, st);
        const int status = row_status(a, st, mx);
        memset(had, 0, sizeof had);
        const uint64_t *b = a->tbits + e * a->tcells;
        for (size_t w = 0; w < a->tcells; w++)
            for (uint64_t x = b[w]; x; x &= x - 1) {
                const size_t combo = w * 64 + (size_t)__builtin_ctzll(x), id = combo % nt;
                t->t[id].c[2 * ns + combo / nt]++;
                had[id / 64] |= UINT64_C(1) << (id % 64);
            }
        for (size_t w = 0; w < (nt + 63) / 64; w++)
            for (uint64_t x = had[w] & (w ? ~UINT64_C(0) : ~UINT64_C(1)); x; x &= x - 1) {
                struct sum_touch *y = &t->t[w * 64 + (size_t)__builtin_ctzll(x)];
                y->with++;
                y->won += status == TR_IS_WON;
                y->lost += status == TR_IS_LOST;
            }
    }
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t ev = 0;
        for (size_t sc = 0; sc < 2 * ns; sc++)
            ev += t->t[i].c[sc];
        if (ev) {
            t->t[n++] = t->t[i];
        } else {
            free(t->t[i].name);
            free(t->t[i].c);
        }
    }
    t->n = n;
    touches_sort(t);
    return 0;
}

int part_summarise(struct part *a, const struct part_summary_opts *o, struct summary *out,
                   struct fb_error *err)
{
    size_t nsl = 0;
    struct slice *sl = NULL;
    struct groups_plan *plan = NULL;
    int rc = summary_init(out, a->ns, a->stale_after, !o->provisional, a->as_of, err);
    if (rc == 0) {
        trend_sum_free(&out->trend);
        rc = trend_sum_init(&out->trend, a->ns, o->trend, err);
    }
    if (rc)
        return rc;
    memcpy(out->stale, a->stale, a->ns * sizeof *out->stale);
    out->conv = a->conv;
    if (a->owner != a || !a->state)
        return fb_fail(err, FB_EUSAGE, "a part summarises once, by the owner of its array");
    if (a->maps.nby > GROUPS_MAX_BY)   /* the rows of part_row only (funnel.h) */
        return fb_fail(err, FB_EUSAGE, "a part with more than %d attribution cells does not summarise",
                       GROUPS_MAX_BY);
    if (a->tcells && summarise_touches(a, out) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    if ((rc = plan_groups(a, o, &plan, err)) != 0)
        return rc;
    if (!(sl = new_slices(a, o->threads, o->provisional, o->trend, plan, &nsl)) ||
        list_unmapped(a, o->stage_names, out) != 0) {
        free_slices(sl, nsl);
        groups_plan_free(plan);
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    on_slices(sl, nsl, run_slice);
    size_t count[SUM_MAX_SETS] = {0}, nund = 0;
    int oom = 0;
    for (size_t k = 0; k < nsl; k++) {
        out->entities += sl[k].entities;
        out->backwards += sl[k].backwards;
        out->won_then_lost += sl[k].won_then_lost;
        for (size_t s = 0; s < a->ns; s++)
            sum_stage_add(&out->stage[s], &sl[k].counts[s]);
        for (size_t j = 0; j < SUM_NSETS(a->ns); j++)
            count[j] += sl[k].nset[j];
        nund += sl[k].nund;
        oom |= sl[k].oom;
    }
    if (nund && !oom && (out->und = malloc(nund * sizeof *out->und)) != NULL)
        for (size_t k = 0; k < nsl; k++) {
            if (sl[k].nund)
                memcpy(out->und + out->nund, sl[k].und, sl[k].nund * sizeof *out->und);
            out->nund += sl[k].nund;
        }
    if (oom || out->nund != nund) {
        free_slices(sl, nsl);
        groups_plan_free(plan);
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    struct trend_acc **acc = malloc(nsl * sizeof *acc);
    for (size_t k = 0; acc && k < nsl; k++)
        acc[k] = &sl[k].tr;
    rc = acc ? trend_acc_gather(&out->trend, acc, nsl, err)
             : fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    free(acc);
    int64_t *values = NULL;
    size_t values_bytes = 0;
    if (rc == 0 && plan) {
        /* The records closed up, the groups' values copied out of them and
         * the plain values left at the start of the array, already one
         * range: sorted into their sets where they are, so the summary
         * keeps the array instead of filling a new block (a breakdown
         * fills enough new memory already: the groups' values). */
        size_t total = close_records(a, sl, nsl);
        rc = total == SIZE_MAX ? fb_fail(err, FB_ENOMEM, "out of memory computing the report")
                               : emit_groups(a, plan, o, sl, nsl, (int64_t *)a->state, &total, out, err);
        if (rc == 0) {
            bucket_values((int64_t *)a->state, count, SUM_NSETS(a->ns));
            values = (int64_t *)a->state;
            values_bytes = huge_zshrink(a->state, a->state_bytes, (total ? total : 1) * sizeof *values);
            a->state = NULL;
            a->state_bytes = 0;
        }
    } else if (rc == 0) {
        values = gather_values(sl, nsl, SUM_NSETS(a->ns), &values_bytes);
    }
    if (rc == 0 && !values)
        rc = fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    free_slices(sl, nsl);
    groups_plan_free(plan);
    if (rc)
        return rc;
    /* The values are the summary's now; the array is done with. */
    huge_zfree(a->state, a->state_bytes);
    a->state = NULL;
    a->state_bytes = 0;
    summary_take_mapped_pool(out, values, values_bytes, count);
    for (size_t s = 0; s < a->ns; s++) {
        out->stage[s].touches[0] = a->touches[2 * s];
        out->stage[s].touches[1] = a->touches[2 * s + 1];
    }
    out->read = a->read;
    out->after = a->after;
    return 0;
}

int part_finish(struct part *a, const struct part_finish_opts *o, struct res_report *out,
                struct fb_error *err)
{
    struct summary s;
    const struct part_summary_opts so = {o->stage_names, 0, o->threads, o->trend, NULL, NULL};
    memset(out, 0, sizeof *out);
    int rc = part_summarise(a, &so, &s, err);
    if (rc == 0)
        rc = summary_finish(&s, a->def, o->has_as_of, out, err);
    summary_free(&s);
    return rc;
}
