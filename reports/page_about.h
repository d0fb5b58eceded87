/* page_about.h - what produced the page (docs/CHARTS.md, "The page"): the
 * command line, as_of, the stale thresholds, the log's time range and how
 * fresh its data is (the latest event of each channel). */
#ifndef FUNNEL_PAGE_ABOUT_H
#define FUNNEL_PAGE_ABOUT_H

#include <stdio.h>
#include "err.h"
#include "result.h"

/* Write the block for r to out; command and fresh may be NULL (left out).
 * Returns 0 or FB_ENOMEM (write errors show in ferror(out)). */
int page_about_write(const struct res_report *r, const char *command, const struct res_fresh *fresh,
                     FILE *out, struct fb_error *err) FB_MUST_USE;

#endif
