/* funnel.h - the streaming aggregator of `replay` (docs/METRICS.md).
 * Per entity it keeps only minima and maxima of times (M(e,s) per stage,
 * last(e), lostAt(e)), in an array indexed by entity id: the state does
 * not depend on the order of events, and two states over disjoint event
 * sets merge by min/max.  Per stage and per stage name it keeps counts.
 */
#ifndef FUNNEL_FUNNEL_H
#define FUNNEL_FUNNEL_H

#include <stdint.h>
#include "dict.h"
#include "err.h"
#include "evblock.h"
#include "funnel_def.h"
#include "result.h"

struct funnel_agg;

/* How the log's dictionary ids map onto the funnel (built by the caller from
 * the stage, channel and outcome dictionaries).  Arrays are borrowed. */
struct funnel_maps {
    const int32_t *stage;     /* stage id -> funnel index, -1 = unmapped */
    uint32_t nstage_ids;
    const uint8_t *sales;     /* channel id -> 1 for sales, 0 marketing */
    const uint8_t *lost;      /* outcome id -> 1 for lost */
};

/* A new aggregator for nentities entities.  Returns NULL when out of memory
 * (the state is (stages + 2) x 8 bytes per entity). */
struct funnel_agg *funnel_agg_new(const struct funnel_def *def, uint32_t nentities,
                                  int64_t as_of, int64_t stale_after, const struct funnel_maps *maps);
void funnel_agg_free(struct funnel_agg *a);

/* Fold a decoded block (time, entity, stage, channel, outcome columns) in.
 * Ids must be within the sizes the maps and nentities were built for. */
void funnel_agg_add(struct funnel_agg *a, const struct evb_cols *c);

/* Count n events known to lie after as_of without decoding them. */
void funnel_agg_count_after(struct funnel_agg *a, uint64_t n);

/* Compute every metric into *out (res_report_free it).  stage_dict names
 * the unmapped stages.  has_as_of is 0 for a log without events. */
int funnel_agg_finish(struct funnel_agg *a, const struct dict *stage_dict, int has_as_of,
                      struct res_report *out, struct fb_error *err) FB_MUST_USE;

#endif
