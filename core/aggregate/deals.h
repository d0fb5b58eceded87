/* deals.h - the deal metrics of summary_finish (docs/METRICS.md
 * §4.19-§4.20): the money sums of value(e) by status, p(s) and the
 * weighted pipeline, velocity, the aging of open entities and the
 * Kaplan-Meier time in stage.  They are computed from the summary's sums
 * and sets alone, so replay, threads and merge give the same numbers.
 */
#ifndef FUNNEL_DEALS_H
#define FUNNEL_DEALS_H

#include "err.h"
#include "result.h"
#include "summary.h"

/* The undecided entities of s judged at out->as_of (stale when nobody
 * touched them for longer than the threshold of their stage, else open:
 * docs/METRICS.md §3, §4.14) into out's stage counts, and every money sum
 * of s into out.  Before the rates, which add the counts up. */
void deals_classify(const struct summary *s, struct res_report *out);

/* Time in stage, aging and Kaplan-Meier of every stage but the last, one
 * job a stage on up to s->threads threads; after deals_classify.  Sorts
 * the values inside s's sets.  Returns 0 or FB_ENOMEM. */
int deals_stage_stats(struct summary *s, struct res_report *out, struct fb_error *err) FB_MUST_USE;

/* The rest, after the rates: p(s), the value block and velocity.  Returns
 * 0 or FB_ENOMEM. */
int deals_finish(struct summary *s, struct res_report *out, struct fb_error *err) FB_MUST_USE;

#endif
