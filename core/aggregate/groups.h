/* groups.h - breakdowns by attribute (--by, --attribution) and cohorts by
 * entry period (--cohort), docs/METRICS.md §4.17-§4.18.  A group is a summary of
 * its own (summary.h), made in the same pass over the entities as the whole
 * report's and by the same code, so every metric splits the same way; the
 * groups of a summary are keyed by the value bytes (or the period), never
 * by a log's ids, so summaries of shards with different dictionaries merge
 * group by group.
 */
#ifndef FUNNEL_GROUPS_H
#define FUNNEL_GROUPS_H

#include <stddef.h>
#include <stdint.h>
#include "dict.h"
#include "err.h"
#include "funnel_def.h"
#include "period.h"
#include "result.h"
#include "summary.h"

#define GROUPS_MAX_BY 8
#define GROUPS_MAX_PERIODS 10000

/* The options (replay_opts.groups).  by names are borrowed. */
struct groups_opts {
    const char *by[GROUPS_MAX_BY];
    size_t nby;
    int last;                  /* --attribution last */
    int cohort;                /* --cohort: 0 none, else 1 + enum period_unit */
    int64_t window;            /* --window (0: none) for `complete` */
};

static inline int groups_on(const struct groups_opts *o)
{
    return o->nby > 0 || o->cohort != 0;
}

/* The unit of a cohort option (not 0). */
static inline enum period_unit groups_unit(int cohort)
{
    return (enum period_unit)(cohort - 1);
}

/* ---- the summary side ---- */

struct sum_group {
    char *name;                /* owned value bytes; NULL: the null group; unused for cohorts */
    size_t len;
    int64_t period;            /* cohorts: period_index */
    struct summary s;          /* its groups is NULL */
};

/* Groups sorted by value bytes, the null group last; cohorts by period.
 * Only groups with entities are held. */
struct sum_dim {
    size_t n;
    struct sum_group *g;
};

struct sum_groups {
    int last;
    int cohort;                /* as in groups_opts */
    int64_t window;
    size_t nby;
    char *by[GROUPS_MAX_BY];   /* owned, NUL-terminated */
    struct sum_dim dim[GROUPS_MAX_BY + 1];   /* nby breakdowns, then the cohorts */
    int64_t *values;           /* owned, or NULL: the values of every group
                                * made by groups_plan_emit, whose summaries
                                * own no pool of their own */
    size_t values_bytes;       /* its size: a huge_zalloc block (hugemem.h) */
};

static inline size_t groups_ndims(const struct sum_groups *g)
{
    return g->nby + (g->cohort != 0);
}

/* New, empty groups for options o.  Returns NULL when out of memory. */
struct sum_groups *groups_new(const struct groups_opts *o);
void groups_free(struct sum_groups *g);

/* 1 when a and b (either may be NULL) were made with the same options;
 * else 0 and what differs in why. */
int groups_same_opts(const struct sum_groups *a, const struct sum_groups *b, char *why, size_t n);

/* summary_merge_all's part: the groups of from[0..k) into into's, group by
 * group.  Options are checked before anything changes.  Returns 0, FB_EINPUT
 * or FB_ENOMEM. */
int groups_merge_all(struct summary *into, const struct summary *const *from, size_t k,
                     struct fb_error *err) FB_MUST_USE;

/* Sort every group's sets (summary_sort). */
void groups_sort(struct sum_groups *g);

/* summary_finish's part: every group finished into out->groups, in report
 * order (breakdowns: entities descending, then value bytes, null after the
 * values of its count; cohorts: every period from the first cohort to the
 * one holding as_of).  Returns 0, FB_EUSAGE (more than GROUPS_MAX_PERIODS
 * periods) or FB_ENOMEM. */
int groups_finish(struct summary *s, const struct funnel_def *def, int has_as_of,
                  struct res_report *out, struct fb_error *err) FB_MUST_USE;

void res_groups_free(struct res_groups *g);

/* ---- the part side: attribution cells and slots ---- */

/* An attribution cell packs a time key (funnel.c, < 2^39) above the value's
 * rank by bytes, inverted so that a larger cell is the smaller value at the
 * same time: one max keeps both the earliest (or latest) time and, at that
 * time, the smallest value, whatever the order of the events. */
#define GROUPS_RANK_BITS 24
#define GROUPS_RANK_MASK ((INT64_C(1) << GROUPS_RANK_BITS) - 1)
#define GROUPS_MAX_VALUES ((uint32_t)GROUPS_RANK_MASK)

static inline int64_t groups_cell(int64_t time_key, uint32_t rank)
{
    return time_key << GROUPS_RANK_BITS | (GROUPS_RANK_MASK - (int64_t)rank);
}

static inline uint32_t groups_cell_rank(int64_t cell)
{
    return (uint32_t)(GROUPS_RANK_MASK - (cell & GROUPS_RANK_MASK));
}

/* A log's attribute values ranked by bytes (memcmp, then length); id 0,
 * the empty value, has none. */
struct groups_values {
    const struct dict *d;      /* borrowed */
    uint32_t *rank;            /* id -> rank */
    uint32_t *id_of;           /* rank -> id */
    uint32_t n;                /* ranks: dict size - 1 */
};

/* Returns 0, FB_EUSAGE (more than GROUPS_MAX_VALUES values) or FB_ENOMEM. */
int groups_rank_values(const struct dict *d, struct groups_values *v, struct fb_error *err) FB_MUST_USE;
void groups_values_free(struct groups_values *v);

/* Which group each entity of one part falls in, per dimension: a flat slot
 * over every dimension's groups.  Built in two steps: groups_plan_see for
 * every counted entity, then groups_plan_build. */
struct groups_plan;

struct groups_plan *groups_plan_new(const struct groups_opts *o, const struct groups_values *v,
                                    int64_t as_of);
void groups_plan_free(struct groups_plan *p);
/* cells: the entity's nby attribution cells (0: none); entry: entry(e). */
void groups_plan_see(struct groups_plan *p, const int64_t *cells, int64_t entry);
/* Returns 0, FB_EUSAGE (too many periods) or FB_ENOMEM. */
int groups_plan_build(struct groups_plan *p, struct fb_error *err) FB_MUST_USE;
size_t groups_plan_ndims(const struct groups_plan *p);
size_t groups_plan_nslots(const struct groups_plan *p);
/* The entity's slot in each dimension into slot[0..ndims). */
void groups_plan_slots(const struct groups_plan *p, const int64_t *cells, int64_t entry, uint32_t *slot);

/* Make parent->groups from a part's tallies per slot: ent[slot] entities,
 * counts[slot * ns ..] and nset[slot * SUM_NSETS(ns) ..]; every group with
 * entities gets its counts and room for its values (set n as counted, to
 * be filled by the caller through sums[slot], NULL for an empty slot).
 * Returns 0 or FB_ENOMEM. */
int groups_plan_emit(const struct groups_plan *p, const struct groups_opts *o, struct summary *parent,
                     const uint64_t *ent, const struct sum_stage *counts, const size_t *nset,
                     struct summary **sums, struct fb_error *err) FB_MUST_USE;

#endif
