/* json_report.h - the funnel-report/2 JSON document (docs/METRICS.md; its
 * keys: §4.10).  Keys are only ever added, never renamed. */
#ifndef FUNNEL_JSON_REPORT_H
#define FUNNEL_JSON_REPORT_H

#include <stdio.h>
#include "err.h"
#include "result.h"

#define RPT_SCHEMA "funnel-report/2"
/* The schema before breakdowns, cohorts, trends, windows and intervals,
 * whose keys a /2 report keeps (docs/METRICS.md §4.10). */
#define RPT_SCHEMA_V1 "funnel-report/1"

/* Write r as JSON (indented, keys in a fixed order, newline at the end).
 * Returns 0, FB_EIO (write failed) or FB_ENOMEM. */
int rpt_json_write(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;

#endif
