/* text_report.h - `replay --text`: the report as an aligned table for a
 * person at a terminal (stages, reached, conversion, median days in stage,
 * drop-outs) with the headline figures above it. */
#ifndef FUNNEL_TEXT_REPORT_H
#define FUNNEL_TEXT_REPORT_H

#include <stdio.h>
#include "err.h"
#include "result.h"

/* Returns 0 or FB_EIO. */
int rpt_text_write(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;

#endif
