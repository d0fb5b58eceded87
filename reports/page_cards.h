/* page_cards.h - the page's cards (docs/CHARTS.md, "The page"): entities,
 * won (count and value), both win rates, open pipeline value, weighted
 * forecast and median days to win, each with this period against the last
 * from `activity` (docs/METRICS.md §4.16) where activity counts it, the
 * sample size and the 95% interval next to every rate. */
#ifndef FUNNEL_PAGE_CARDS_H
#define FUNNEL_PAGE_CARDS_H

#include <stdio.h>
#include "err.h"
#include "result.h"

/* Write the cards of r to out.  Returns 0 or FB_ENOMEM (write errors show
 * in ferror(out)). */
int page_cards_write(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;

#endif
