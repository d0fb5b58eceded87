/* page_tables.h - the page's plain tables beyond the stages
 * (docs/CHARTS.md, "The page"): this period against the last (activity,
 * always), each breakdown's 12 largest groups and `other`, the cohorts and
 * the last 12 periods of the trend when asked.  The rows and the `other`
 * sum are reports/report_rows.h's, the ones `replay --text` prints. */
#ifndef FUNNEL_PAGE_TABLES_H
#define FUNNEL_PAGE_TABLES_H

#include <stdio.h>
#include "err.h"
#include "result.h"

/* Trend periods the page shows, the latest; report.json holds them all. */
#define PAGE_TREND_ROWS 12

/* Write the tables of r that apply to out.  Returns 0 or FB_ENOMEM (write
 * errors show in ferror(out)). */
int page_tables_write(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;

#endif
