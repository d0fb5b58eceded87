/* page_stuck.h - the page's stuck-deals table (docs/CHARTS.md, "The
 * page"): the open entities longest in their stage, with stage, days
 * there, value and every attribute column, the rows `funnel entities
 * --status open --sort age` lists first (core/aggregate/entities.c
 * ent_stuck).  Ids and values are data: they go through page_text.h. */
#ifndef FUNNEL_PAGE_STUCK_H
#define FUNNEL_PAGE_STUCK_H

#include <stdio.h>
#include "err.h"
#include "result.h"

/* Write the table of s (the stages named by r) to out.  Returns 0 or
 * FB_ENOMEM (write errors show in ferror(out)). */
int page_stuck_write(const struct res_report *r, const struct res_stuck *s, FILE *out,
                     struct fb_error *err) FB_MUST_USE;

#endif
