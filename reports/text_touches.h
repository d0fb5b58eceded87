/* text_touches.h - `replay --text --touches`: the touch lift table after
 * the report's own tables (docs/METRICS.md §4.22), kept apart from
 * text_report.c so that the two grow independently. */
#ifndef FUNNEL_TEXT_TOUCHES_H
#define FUNNEL_TEXT_TOUCHES_H

#include <stdio.h>
#include "err.h"
#include "result.h"

/* Write r's touch lift table (nothing without --touches).  Returns 0 or
 * FB_EIO. */
int rpt_text_touches(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;

#endif
