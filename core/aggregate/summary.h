/* summary.h - the entity-free summary of a replay's aggregation state, and
 * the one finish from it to the report (docs/METRICS.md; docs/FORMAT.md §14
 * stores it).  A summary holds, per stage, the counts (reached, lost, stale,
 * open, touches), the exact duration multisets (time in stage, time to win),
 * the money sums of value(e) by stage and status, the undecided entities
 * with what their finish needs, the unmapped stage names
 * by name, the event counts and the latest event time.  Summaries of
 * disjoint sets of entities merge by sums, concatenations and a merge of
 * names, so replay (part_summarise, then summary_finish) and merge
 * (summary_merge of any tree, then summary_finish) give the same report by
 * construction.
 */
#ifndef FUNNEL_SUMMARY_H
#define FUNNEL_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "funnel_def.h"
#include "money.h"
#include "quality.h"
#include "result.h"
#include "trend.h"

struct sum_stage {
    uint64_t reached, lost, stale, open;
    uint64_t touches[2];          /* marketing, sales */
    uint64_t with_event;          /* M(e,s) defined (docs/METRICS.md §4.13) */
    uint64_t conv;                /* reached for the conversions (§4.11); = reached without options */
    /* The exact sums of value(e) over the entities whose max(e) is this
     * stage, by status (won only at the last stage); each sum's n counts
     * the entities with a value (docs/METRICS.md §4.19). */
    struct money_sum v_won, v_lost, v_stale, v_open;
};

/* into += from, every count and sum. */
void sum_stage_add(struct sum_stage *into, const struct sum_stage *from);

/* An undecided entity of a provisional summary (docs/FORMAT.md §14.4):
 * whether it is open or stale is decided at the finish, from last; what
 * each outcome needs travels with it: its stage max(e), T(e,max) = M(e,max)
 * (aging if open, the Kaplan-Meier censoring either way) and value(e). */
struct sum_und {
    struct money value;           /* when has_value */
    int64_t last;                 /* last(e) */
    int64_t m;                    /* M(e,max(e)) */
    uint32_t stage;               /* max(e), < ns - 1 */
    uint32_t has_value;           /* 0 or 1 */
};

/* The canonical order of undecided entities (summary_sort, FORMAT.md
 * §14.4): by stage, last, m, has_value, value units, k. */
int sum_und_cmp(const void *a, const void *b);

/* A multiset of int64 values, in no particular order; v points into the
 * summary's pool. */
struct sum_set {
    int64_t *v;
    size_t n;
};

struct sum_unmapped {
    char *name;                   /* owned, the exact bytes (not NUL-terminated) */
    size_t len;
    uint64_t events;
};

/* The sets of a summary of ns stages, by index, every value a duration in
 * seconds: SUM_DUR(s) time in stage s (s < ns - 1), the Kaplan-Meier
 * events of s; SUM_WIN the times to win; SUM_AGE(s) as_of - T(e,s) of the
 * open entities whose max(e) is s (their aging, and their Kaplan-Meier
 * censorings); SUM_CEN(s) the censorings of the lost and stale ones
 * (lostAt or last - M(e,s)); SUM_LOSS the times to loss (docs/METRICS.md
 * §4.20). */
#define SUM_DUR(s) (s)
#define SUM_WIN(ns) ((ns) - 1)
#define SUM_AGE(ns, s) ((ns) + (s))
#define SUM_CEN(ns, s) (2 * (ns) - 1 + (s))
#define SUM_LOSS(ns) (3 * (ns) - 2)
#define SUM_NSETS(ns) (3 * (ns) - 1)
#define SUM_MAX_SETS SUM_NSETS(FUNNEL_MAX_STAGES)

struct sum_groups;
struct sum_touches;

struct summary {
    size_t ns;                    /* stages */
    int64_t stale_after;          /* the default (--stale-after DUR) */
    int64_t *stale;               /* ns, owned: the threshold by max(e) (docs/METRICS.md §4.14) */
    struct qual_conv conv;        /* --window, --skipped (§4.11) */
    uint64_t backwards, won_then_lost;   /* quality (§4.13) */
    /* decided: every entity is classified, judged at as_of.  Otherwise the
     * as_of is not known yet (the default as_of of a shard set is the latest
     * event of every shard): an entity neither won nor lost that may still
     * turn stale is carried in und (docs/FORMAT.md §14). */
    int decided;
    int64_t as_of;                /* when decided */
    struct sum_stage *stage;      /* ns, owned */
    struct sum_set *set;          /* SUM_NSETS(ns), owned; values in pool */
    int64_t *pool;                /* owned: every set's values */
    size_t pool_bytes;            /* pool is a huge_zalloc block of this size
                                   * (hugemem.h); 0: from malloc */
    struct sum_und *und;          /* owned, nund undecided entities (none when decided) */
    size_t nund;
    struct sum_unmapped *unmapped;   /* owned, sorted by name (bytes, then length), distinct */
    size_t nunmapped;
    uint64_t entities;            /* counted entities, the undecided ones included */
    uint64_t read, after;         /* events read, events after as_of */
    int has_events;               /* any event was read (for the default as_of) */
    int64_t max_time;             /* the latest event time read, when has_events */
    struct sum_trend trend;       /* --trend and activity (core/aggregate/trend.h) */
    unsigned threads;             /* summary_finish may use this many (not state: never merged or stored) */
    struct sum_groups *groups;    /* owned; NULL without --by and --cohort (groups.h) */
    struct sum_touches *touches;  /* owned; NULL without --touches (touches.h) */
};

/* An empty summary of ns stages (1..FUNNEL_MAX_STAGES), sets empty, every
 * stage's stale threshold stale_after, no --window or --skipped ignore, no
 * trend and the default activity period (trend_sum_init it again to change).
 * Returns 0 or FB_ENOMEM; summary_free it in both cases. */
int summary_init(struct summary *s, size_t ns, int64_t stale_after, int decided, int64_t as_of,
                 struct fb_error *err) FB_MUST_USE;
void summary_free(struct summary *s);

/* The stale threshold of entities whose highest stage is `stage`. */
static inline int64_t summary_stale_after_for(const struct summary *s, size_t stage)
{
    return s->stale[stage];
}

/* Point the sets at pool (taking ownership of it), with count[k] values in
 * set k, back to back in set order. */
void summary_take_pool(struct summary *s, int64_t *pool, const size_t *count);

/* summary_take_pool of a huge_zalloc block of `bytes` (hugemem.h). */
void summary_take_mapped_pool(struct summary *s, int64_t *pool, size_t bytes, const size_t *count);

/* Point the sets at values as summary_take_pool does, without taking
 * ownership: the groups of a summary share one block (groups.h). */
void summary_point_sets(struct summary *s, int64_t *values, const size_t *count);

/* Merge `from` into `into`: counts summed, sets concatenated, names
 * merged, max_time the larger; `from` is left as it was.  Summaries of
 * disjoint entity sets only (the caller's business: shards of one set).
 * Returns 0, FB_EINPUT when the two differ in stages, stale thresholds,
 * --window, --skipped or as_of
 * (into unchanged), or FB_ENOMEM (into can then only be freed). */
int summary_merge(struct summary *into, const struct summary *from, struct fb_error *err) FB_MUST_USE;

/* summary_merge of from[0..k) at once, copying every set once. */
int summary_merge_all(struct summary *into, const struct summary *const *from, size_t k,
                      struct fb_error *err) FB_MUST_USE;

/* The as_of a finish uses: the summary's own when decided, else the
 * latest event time (0 when there was none). */
int64_t summary_as_of(const struct summary *s);

/* Every metric of s into *out (res_report_free it): undecided entities are
 * classified at summary_as_of(s) (stale when as_of - last > stale_after,
 * else open), then rates and statistics are computed once.  def names the
 * stages (borrowed by the report); has_as_of says whether the report has an
 * as_of at all (docs/METRICS.md §5).  Reorders the values inside each set.
 * Returns 0 or FB_ENOMEM. */
int summary_finish(struct summary *s, const struct funnel_def *def, int has_as_of,
                   struct res_report *out, struct fb_error *err) FB_MUST_USE;

/* Sort every set ascending (the canonical order docs/FORMAT.md §14 writes). */
void summary_sort(struct summary *s);

#endif
