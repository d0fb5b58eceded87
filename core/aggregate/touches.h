/* touches.h - touch types per stage and channel, and touch lift, in the
 * entity-free summary (docs/METRICS.md §4.22; docs/FORMAT.md §14.11
 * stores them).  Touch types are the log's dictionary ids, which differ
 * from log to log, so the summary keeps them by name, like the unmapped
 * stage names: summaries of disjoint sets of entities merge by a merge of
 * names with counts summed.
 */
#ifndef FUNNEL_TOUCHES_H
#define FUNNEL_TOUCHES_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* The most (stage, channel, touch type) combinations --touches keeps a
 * bit of per entity (16 cells of 64 bits; docs/DECISIONS.md). */
#define TOUCH_MAX_COMBOS 1024u

/* One touch type, by name ("" is the empty touch, "(none)" in the report). */
struct sum_touch {
    char *name;                   /* owned, exact bytes (not NUL-terminated) */
    size_t len;
    uint64_t *c;                  /* owned, 4 * ns: events [s * 2 + ch], then entities [2 ns + s * 2 + ch];
                                   * ch 0 marketing, 1 sales */
    /* Lift: the entities that had it, and of them the won and the lost.
     * An undecided entity of a provisional summary (docs/FORMAT.md §14.4)
     * counts in `with` only: it turns open or stale, never won or lost, so
     * it never closes (win_rate_closed = won / (won + lost), §4.6). */
    uint64_t with, won, lost;
};

/* Every touch type with an event at or before as_of, sorted by name bytes
 * (then length), distinct. */
struct sum_touches {
    size_t ns;
    size_t n, cap;
    struct sum_touch *t;          /* owned */
};

/* A new empty set for ns stages; NULL when out of memory. */
struct sum_touches *touches_new(size_t ns);
void touches_free(struct sum_touches *t);

/* Append a touch type named name[0..len) with zero counts (the caller
 * keeps names sorted); returns it, or NULL when out of memory. */
struct sum_touch *touches_add(struct sum_touches *t, const char *name, size_t len);

/* Sort the names (after touches_add in any order). */
void touches_sort(struct sum_touches *t);

/* Merge from[0..k) into into by name, counts summed.  Returns 0 or FB_ENOMEM (into can then only be freed). */
int touches_merge_all(struct sum_touches *into, const struct sum_touches *const *from, size_t k)
    FB_MUST_USE;

struct summary;
struct res_report;

/* The report's touch types and touch lift (out->touches) from s->touches,
 * after out's outcomes are final (won, lost, stale): "without" is the
 * whole report less "with".  Returns 0 or FB_ENOMEM. */
int touches_finish(const struct summary *s, struct res_report *out, struct fb_error *err) FB_MUST_USE;

#endif
