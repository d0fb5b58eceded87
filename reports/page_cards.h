/* page_cards.h - the page's cards (docs/CHARTS.md, "The page"): entities,
 * won (count and value), both win rates, open pipeline value, weighted
 * forecast and median days to win, each with its change: counts and rates
 * this period against the last from `activity` (docs/METRICS.md §4.16),
 * money and days against the report one period earlier; the sample size
 * and the 95% interval next to every rate. */
#ifndef FUNNEL_PAGE_CARDS_H
#define FUNNEL_PAGE_CARDS_H

#include <stdio.h>
#include "err.h"
#include "result.h"

/* Write the cards of r to out; b is the report of the same log at
 * r->as_of - P (NULL: no change shown on the money and days cards).
 * Returns 0 or FB_ENOMEM (write errors show in ferror(out)). */
int page_cards_write(const struct res_report *r, const struct res_report *b, FILE *out,
                     struct fb_error *err) FB_MUST_USE;

#endif
