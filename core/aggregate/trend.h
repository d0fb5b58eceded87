/* trend.h - what happened when: the --trend series and the activity block
 * of the report (docs/METRICS.md §4.11, §4.12; issue 9 §2 and §7).  Each
 * counted entity has moments: entry (T(e,0)), T(e,s) for every stage it
 * reached, T(e,last stage) when won, lostAt(e) when lost, last(e) +
 * stale_after when stale.  A trend counts them by UTC calendar period
 * (core/input/period.h); activity counts them in (as_of - P, as_of] and
 * (as_of - 2P, as_of - P].  The state is entity-free and mergeable: counts
 * by absolute period index, and - where as_of is not known yet (a shard
 * with the default as_of, docs/FORMAT.md §14) - the exact moments that may
 * still fall in an activity window, judged at the merge.
 */
#ifndef FUNNEL_TREND_H
#define FUNNEL_TREND_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "result.h"

#define TREND_OFF (-1)                 /* no --trend */
#define TREND_DEFAULT_PERIOD (7 * 86400)
/* More periods than this in one trend is a usage error (as for cohorts,
 * issue 9 §2): a chart of them is unreadable and the counts would not fit
 * the memory bound. */
#define TREND_MAX_PERIODS 10000

/* The kinds of moment, nk = TR_KINDS(ns) of them: entered stage s (s = 0:
 * entered the funnel), won, lost, went stale. */
#define TR_STAGE(s) (s)
#define TR_WON(ns) (ns)
#define TR_LOST(ns) ((ns) + 1)
#define TR_STALE(ns) ((ns) + 2)
#define TR_KINDS(ns) ((ns) + 3)

/* The options: --trend (an enum period_unit, or TREND_OFF) and --period. */
struct trend_opts {
    int unit;
    int64_t period;
};

/* The trend part of a summary. */
struct sum_trend {
    struct trend_opts o;
    size_t nk;
    /* With --trend: the counts of periods lo .. lo + n - 1, nk a period,
     * trimmed to the first and last period that hold a moment (n = 0: none). */
    int64_t lo;
    size_t n;
    uint64_t *cnt;                /* owned */
    /* Activity judged where as_of was known: act[w * nk + k], window w = 0
     * (as_of - P, as_of], 1 (as_of - 2P, as_of - P]. */
    uint64_t *act;                /* owned, 2 * nk */
    /* Where it was not: the moments of kind k in (max - 2P, max], max the
     * latest event read, mom[k] values in mpool (any order until sorted). */
    struct { int64_t *v; size_t n; } *mom;   /* owned, nk */
    int64_t *mpool;               /* owned */
};

/* An empty trend part for ns stages with options o (NULL: no trend, the
 * default period).  Returns 0 or FB_ENOMEM; trend_sum_free it in both cases. */
int trend_sum_init(struct sum_trend *t, size_t ns, const struct trend_opts *o,
                   struct fb_error *err) FB_MUST_USE;
void trend_sum_free(struct sum_trend *t);

/* Sort each moment set ascending (the canonical order of docs/FORMAT.md §14). */
void trend_sum_sort(struct sum_trend *t);

/* Point the moment sets at pool (taken), count[k] values in set k. */
void trend_sum_take_pool(struct sum_trend *t, int64_t *pool, const size_t *count);

/* Add from[0..k) into into: counts summed, ranges joined, moments
 * concatenated.  Returns 0, FB_EINPUT when the options differ (into
 * unchanged) or FB_ENOMEM. */
int trend_sum_merge(struct sum_trend *into, const struct sum_trend *const *from, size_t k,
                    struct fb_error *err) FB_MUST_USE;

/* ---- gathering, one accumulator a slice of entities ---- */

struct trend_acc {
    struct trend_opts o;
    size_t nk;
    int64_t as_of, act_lo;        /* moments after act_lo may be in a window */
    int provisional;
    int64_t hi;                   /* period_index(as_of) */
    uint64_t *cnt;                /* by hi - period, TREND_MAX_PERIODS * nk; NULL: no trend */
    int64_t oldest;               /* the largest hi - period noted, -1: none */
    int too_many;                 /* a moment lay TREND_MAX_PERIODS or more before as_of */
    uint64_t act[2 * (256 + 3)];  /* 2 * nk used (FUNNEL_MAX_STAGES = 256) */
    int64_t *mv;                  /* provisional: kind << 40 | (t - FTIME_MIN) */
    size_t mn, mcap;
    int nomem;
};

/* Set a up for ns stages at as_of.  Returns 0 or FB_ENOMEM. */
int trend_acc_init(struct trend_acc *a, size_t ns, const struct trend_opts *o, int64_t as_of,
                   int provisional);
void trend_acc_free(struct trend_acc *a);

/* Note a moment of kind k at t (t <= as_of). */
void trend_acc_note(struct trend_acc *a, size_t k, int64_t t);

/* Outcome codes for trend_acc_entity. */
enum { TR_OPEN = 0, TR_IS_WON, TR_IS_LOST, TR_IS_STALE };

/* Note the moments of one entity from its row (M(e,s) with INT64_MAX for
 * none, then last(e), lostAt(e); core/aggregate/funnel.c load_row), its
 * highest stage mx, its outcome and, when stale, the threshold that made
 * it so.  Costs a compare when there is no trend and nothing of the entity
 * is recent enough for the activity windows. */
static inline void trend_acc_entity(struct trend_acc *a, const int64_t *st, size_t ns, size_t mx,
                                    int outcome, int64_t stale_after)
{
    int64_t stale_at = outcome == TR_IS_STALE ? st[ns] + stale_after : INT64_MIN;
    if (!a->cnt && st[ns] <= a->act_lo && stale_at <= a->act_lo)
        return;
    int64_t next = st[mx];
    for (size_t s = mx + 1; s-- > 0;) {
        if (st[s] < next)
            next = st[s];
        trend_acc_note(a, TR_STAGE(s), next);   /* T(e,s) */
    }
    if (outcome == TR_IS_WON)
        trend_acc_note(a, TR_WON(ns), st[ns - 1]);
    else if (outcome == TR_IS_LOST)
        trend_acc_note(a, TR_LOST(ns), st[ns + 1]);
    else if (outcome == TR_IS_STALE)
        trend_acc_note(a, TR_STALE(ns), stale_at);
}

/* Gather the accumulators acc[0..n) into t (initialised empty with the
 * same options).  Returns 0, FB_EUSAGE (too many periods, naming --trend)
 * or FB_ENOMEM. */
int trend_acc_gather(struct sum_trend *t, struct trend_acc *const *acc, size_t n,
                     struct fb_error *err) FB_MUST_USE;

/* ---- the finish ---- */

/* A stale entity's threshold by its highest stage (the per-stage
 * thresholds of issue 9 §4 plug in here). */
typedef int64_t (*trend_stale_fn)(const void *ctx, size_t stage);

/* Fill r's trend and activity from t at as_of (has_as_of 0: an empty log,
 * zero activity and no periods), adding the stale moments of the
 * undecided entities: und[s][0..nund[s]) are the last times of those whose
 * highest stage is s (s < ns - 1).  Returns 0, FB_EUSAGE (too many
 * periods) or FB_ENOMEM. */
int trend_finish(const struct sum_trend *t, size_t ns, int has_as_of, int64_t as_of,
                 const int64_t *const *und, const size_t *nund, trend_stale_fn stale,
                 const void *ctx, struct res_report *r, struct fb_error *err) FB_MUST_USE;

#endif
