/* json_touches.h - the --touches keys of the JSON report (docs/METRICS.md
 * §4.22): "touch_types" in each stage of the whole report and the top
 * level "touch_lift". */
#ifndef FUNNEL_JSON_TOUCHES_H
#define FUNNEL_JSON_TOUCHES_H

#include <stdint.h>
#include "json_write.h"
#include "result.h"

/* Whether every touch name of r can be a JSON string (UTF-8); a report
 * that cannot is refused, not written without it. */
int rpt_touches_names_ok(const struct res_report *r);

/* One touch type in a stage and channel's list, for the sort. */
struct rpt_touch_row {
    const struct res_touch *t;
    uint64_t events;
};

/* Stage s's "touch_types" object: {"marketing": [...], "sales": [...]};
 * rows has room for every touch type of r (allocated before the report's
 * first byte, so that the writing cannot run out of memory). */
void rpt_touch_types_json(struct jw *w, const struct res_report *r, size_t s, struct rpt_touch_row *rows);

/* The "touch_lift" array. */
void rpt_touch_lift_json(struct jw *w, const struct res_report *r);

#endif
