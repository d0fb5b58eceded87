/* json_touches.h - the --touches keys of the JSON report (docs/METRICS.md
 * §4.22): "touch_types" in each stage of the whole report and the top
 * level "touch_lift". */
#ifndef FUNNEL_JSON_TOUCHES_H
#define FUNNEL_JSON_TOUCHES_H

#include <jansson.h>
#include "result.h"

/* Whether every touch name of r can be a JSON string (UTF-8); a report
 * that cannot is refused, not written without it. */
int rpt_touches_names_ok(const struct res_report *r);

/* Stage s's "touch_types" object: {"marketing": [...], "sales": [...]}. */
json_t *rpt_touch_types_json(const struct res_report *r, size_t s);

/* The "touch_lift" array. */
json_t *rpt_touch_lift_json(const struct res_report *r);

#endif
