/* text_groups.h - the breakdowns and cohorts of `replay --text`
 * (docs/METRICS.md §4.17-§4.18): one table per breakdown, its 12 largest groups
 * and an `other` line for the rest (reports/report_rows.h, shared with the
 * page), then the cohort table. */
#ifndef FUNNEL_TEXT_GROUPS_H
#define FUNNEL_TEXT_GROUPS_H

#include <stdio.h>
#include "result.h"

/* Write r's groups, if any, to out (errors show in ferror(out)). */
void rpt_text_groups(const struct res_report *r, FILE *out);

#endif
