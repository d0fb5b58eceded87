/* json_read_groups.h - the keys of a funnel-report/2 document that only
 * some options add (docs/METRICS.md §4.15 trend, §4.17 breakdowns, §4.18
 * cohorts), read back for `funnel chart`: the trend's periods and, per
 * group, its name, entities and outcomes (what the trend, cohorts and by-K
 * charts draw; docs/CHARTS.md).  Absent keys are fine (the charts are
 * then not drawn); present ones must have their types. */
#ifndef FUNNEL_JSON_READ_GROUPS_H
#define FUNNEL_JSON_READ_GROUPS_H

#include <jansson.h>
#include "err.h"
#include "result.h"

/* Read trend, breakdowns and cohorts of root into r (r->nstages already
 * set).  path names the file in messages.  Returns 0, FB_EINPUT (the key
 * path and what is wrong, e.g. "breakdowns[0].groups[3].outcomes.won:
 * expected a non-negative integer") or FB_ENOMEM; what was read stays
 * owned by r either way. */
int rpt_json_read_groups(const json_t *root, const char *path, struct res_report *r,
                         struct fb_error *err) FB_MUST_USE;

#endif
