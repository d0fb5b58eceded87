/* json_read_deals.h - the deal keys of a funnel-report/2 document
 * (docs/METRICS.md §4.19 value, §4.20 aging and Kaplan-Meier) read back
 * for `funnel chart`, so that REPORT.json draws the money and aging charts
 * as the report that wrote it did.  The keys are optional (a report of a
 * funnel before deals has none: those charts are then not drawn); present
 * ones must have their types and ranges.
 *
 * Money is a JSON number, which jansson reads as a double: a sum is taken
 * back as the shortest decimal (at most 9 fraction digits) that reads as
 * that double, so "250.50" is drawn as 250.5 and a sum of more than about
 * 15 significant digits rounded (docs/DECISIONS.md, "Charts from a
 * report.json"). */
#ifndef FUNNEL_JSON_READ_DEALS_H
#define FUNNEL_JSON_READ_DEALS_H

#include <jansson.h>
#include "err.h"
#include "result.h"

/* Read the value block and the stages' open_value, aging and
 * km_median_days of root into r (r->stages already read).  path names the
 * file in messages.  Returns 0, FB_EINPUT (the key path and what is
 * wrong, e.g. "stages[1].aging.beyond_p90_days[0]: expected a number of
 * days (finite, >= 0)") or FB_ENOMEM; what was read stays owned by r. */
int rpt_json_read_deals(const json_t *root, const char *path, struct res_report *r,
                        struct fb_error *err) FB_MUST_USE;

#endif
