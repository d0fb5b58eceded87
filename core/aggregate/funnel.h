/* funnel.h - the partial aggregation state of `replay` (docs/METRICS.md,
 * docs/ARCHITECTURE.md "Partial state").  A part holds, per entity, only
 * minima and maxima of times (M(e,s) per stage, last(e), lostAt(e)) in an
 * array indexed by entity id, and per stage and per stage name only counts.
 * None of it depends on the order of events, so parts built over any split
 * of the events merge exactly (min, max, sum) and finish to the same report,
 * whatever the order and tree shape of the merges: part_new, part_add (a
 * decoded block), part_merge, then part_summarise into the entity-free
 * summary of core/aggregate/summary.h, which finishes the report (part_finish does
 * both).
 */
#ifndef FUNNEL_FUNNEL_H
#define FUNNEL_FUNNEL_H

#include <stdint.h>
#include "dict.h"
#include "err.h"
#include "evblock.h"
#include "funnel_def.h"
#include "groups.h"
#include "quality.h"
#include "result.h"
#include "summary.h"
#include "touches.h"

struct part;

/* The most attribution cells a part holds: --by takes up to GROUPS_MAX_BY,
 * the entity lists every attribute column a log may have (part_row). */
#define PART_MAX_ATTRS (BLOG_MAX_COLUMNS - BLOG_C_FIXED)

/* How the log's dictionary ids map onto the funnel (built by the caller from
 * the stage, channel and outcome dictionaries).  Arrays are borrowed and
 * must outlive the parts built with them. */
struct funnel_maps {
    const int32_t *stage;     /* stage id -> funnel index, -1 = unmapped */
    uint32_t nstage_ids;
    const uint8_t *sales;     /* channel id -> 1 for sales, 0 marketing */
    const uint8_t *lost;      /* outcome id -> 1 for lost */
    /* --by (groups.h): the attribute name id of each of nby attributes
     * (UINT32_MAX: none in this log), each value id's rank by bytes, and
     * --attribution last.  Each adds one cell per entity. */
    uint32_t nby;
    const uint32_t *by_attr;
    const uint32_t *rank;
    int attr_last;
    /* value(e) (docs/METRICS.md §4.19): each amount id's rank by money_cmp
     * plus one (0: no amount), and money[rank - 1] its amount; NULL when
     * the log has no amount, and then no cell is kept.  One cell per
     * entity keeps the latest time, then the largest rank. */
    const uint32_t *amount_rank;
    const struct money *money;
    /* has_min_time 1: no event given to the part is earlier than min_time
     * (the log's earliest; evblock.h checks each event against its block's
     * bounds).  When as_of - min_time fits 32 bits, the part keeps each
     * time as 32 bits, not 64 (funnel.c "Keys").  0: 64 bits always. */
    int has_min_time;
    int64_t min_time;
};

/* A new, empty part for nentities entities, judged at as_of (events after
 * it are only counted) with stale_after.  def and maps are borrowed.
 * Returns NULL when out of memory (the state is (stages + 2) x 4 bytes,
 * rounded up to 8, or x 8 bytes (see has_min_time), plus (maps->nby + (a
 * value cell)) x 8 bytes per entity). */
struct part *part_new(const struct funnel_def *def, uint32_t nentities, int64_t as_of,
                      int64_t stale_after, const struct funnel_maps *maps);

/* part_new with --touches (docs/METRICS.md §4.22): touches is the log's
 * touch dictionary (borrowed, naming the touch types in the summary; NULL:
 * off, = part_new).  Each entity then gets a bit per (stage, channel,
 * touch id) combination, ns x 2 x dict_size(touches) of them, OR-merged,
 * and the part counts events per combination; more than TOUCH_MAX_COMBOS
 * combinations return NULL (the caller checks first). */
struct part *part_new_touches(const struct funnel_def *def, uint32_t nentities, int64_t as_of,
                              int64_t stale_after, const struct funnel_maps *maps,
                              const struct dict *touches);

/* Count reached and the conversions under --window and --skipped ignore
 * (docs/METRICS.md §4.11); before any add and any part_new_sharing.
 * Stale thresholds by stage come from part_new's def (§4.14). */
void part_set_conv(struct part *p, const struct qual_conv *c);

/* A new part that shares base's per-entity state and has counters of its
 * own, for one thread of several folding into one array
 * (docs/ARCHITECTURE.md "Replay on every core").  The array is written
 * without atomics or locks: the caller must hand the parts sharing it
 * events of disjoint sets of entities (part_add_sel), so no two threads
 * ever write one entity's cells.  Create them all before any thread adds;
 * free them before base.  Returns NULL when out of memory. */
struct part *part_new_sharing(struct part *base);

/* The number of entities p was made for. */
uint32_t part_entities(const struct part *p);

/* Free p (NULL is a no-op). */
void part_free(struct part *p);

/* Fold a decoded block (time, entity, stage, channel, outcome columns) in.
 * Ids must be within the sizes the maps and nentities were built for. */
void part_add(struct part *p, const struct evb_cols *c);

/* Fold the events sel[0..n) of a decoded block (positions in c, each
 * below c->n): part_add of a selection, for threads that own entities. */
void part_add_sel(struct part *p, const struct evb_cols *c, const uint32_t *sel, uint32_t n);

/* Count n events known to lie after as_of without decoding them. */
void part_add_after(struct part *p, uint64_t n);

/* Merge `from` into `into`: per entity min/max, counts summed; `from` is
 * left as it was.  Both must be built for the same funnel, as_of and
 * stale_after, `from` over at most into's entities and stage ids (a part of
 * an older commit of the same log merges into one of the whole log).  Parts
 * sharing one array merge only their counters.  Returns 0, or FB_EUSAGE when
 * the parts do not fit together. */
int part_merge(struct part *into, const struct part *from, struct fb_error *err) FB_MUST_USE;

/* One counted entity's row (docs/METRICS.md §3, §4.21), from the same
 * max(e) and status decision as the report's tally. */
struct part_row {
    size_t max;                         /* max(e) */
    int status;                         /* trend.h TR_IS_WON, _LOST, _STALE or TR_OPEN */
    int64_t m[FUNNEL_MAX_STAGES];       /* M(e,s); INT64_MAX: no event at s */
    int64_t t[FUNNEL_MAX_STAGES];       /* T(e,s); INT64_MAX above max(e) */
    int64_t last, lost_at;              /* lost_at INT64_MIN: none */
    int64_t stale_after;                /* the threshold at max(e) (§4.14) */
    const struct money *value;          /* value(e) (§4.19); NULL: none */
    uint32_t value_rank;                /* its rank among the log's amounts, 0: none */
};

/* Entity e's row of p, read after every add: 1 and *r filled, with each
 * attribution cell's value rank (groups.h; UINT32_MAX: none) in
 * rank[0 .. maps->nby), or 0 when e is not counted (no mapped event at or
 * before as_of).  p is only read, so threads may call it at once. */
int part_row(const struct part *p, uint32_t e, struct part_row *r, uint32_t *rank);

/* The as_of p was made for. */
int64_t part_as_of(const struct part *p);

struct part_summary_opts {
    const struct dict *stage_names;   /* names the unmapped stage ids */
    /* 0: as_of is final, every entity is classified.  1: as_of is only
     * the latest event this part read, not the final one (a shard of a set
     * with the default as_of): entities that may still turn stale are left
     * undecided (docs/FORMAT.md §14). */
    int provisional;
    unsigned threads;                 /* to read the state with; 0 or 1: this one */
    const struct trend_opts *trend;   /* --trend and --period; NULL: none, the default */
    /* Breakdowns and cohorts (groups.h): NULL or off for none; values
     * names the attribute values of maps.rank. */
    const struct groups_opts *groups;
    const struct groups_values *values;
};

/* The entity-free summary of p (summary_free it in every case): per stage
 * counts and money sums, duration multisets, undecided entities, unmapped names by name,
 * event counts (has_events and max_time are the caller's to set).  Made in
 * p's own per-entity array, so it needs no memory beyond it: p is spent and
 * can only be freed afterwards; p must own its array (not made by
 * part_new_sharing).  Returns 0, FB_ENOMEM or FB_EUSAGE. */
int part_summarise(struct part *p, const struct part_summary_opts *o, struct summary *out,
                   struct fb_error *err) FB_MUST_USE;

struct part_finish_opts {
    const struct dict *stage_names;   /* names the unmapped stage ids */
    int has_as_of;                    /* 0 for a log without events */
    unsigned threads;                 /* to read the state with; 0 or 1: this one */
    const struct trend_opts *trend;   /* --trend and --period; NULL: none, the default */
};

/* Compute every metric of p into *out (res_report_free it): part_summarise
 * then summary_finish, the one path from aggregation state to a report for
 * replay and merge.  p is spent, as by part_summarise.  Returns 0 or
 * FB_ENOMEM. */
int part_finish(struct part *p, const struct part_finish_opts *o, struct res_report *out,
                struct fb_error *err) FB_MUST_USE;

#endif
