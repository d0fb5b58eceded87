/* quality.h - rates people can trust and the data quality block
 * (docs/METRICS.md §4.11-§4.14): which stages an entity reaches for the
 * conversions under --window and --skipped ignore, the 95% Wilson score
 * interval of a rate, steepest_drop, and the per-stage stale thresholds.
 * Everything here is a per-entity function or a count, so it merges by
 * sums like the rest of the summary (core/aggregate/summary.h).
 */
#ifndef FUNNEL_QUALITY_H
#define FUNNEL_QUALITY_H

#include <stddef.h>
#include <stdint.h>
#include "funnel_def.h"

/* z of a two-sided 95% interval (docs/METRICS.md §4.12). */
#define QUAL_Z95 1.959963984540054

/* How an entity reaches a stage for `reached` and the conversions
 * (docs/METRICS.md §4.11): both off is today's rule. */
struct qual_conv {
    int64_t window;      /* --window in seconds; 0: no window */
    int skip_ignore;     /* --skipped ignore: every stage up to s needs an event */
};

static inline int qual_conv_on(const struct qual_conv *c)
{
    return c->window > 0 || c->skip_ignore;
}

/* How many stages, from the first, entity e reaches for the conversions:
 * e counts in reached(s) for s below the result.  st holds M(e,0..ns)
 * (INT64_MAX: no event at that stage) and mx = max(e). */
size_t qual_conv_reach(const int64_t *st, size_t ns, size_t mx, const struct qual_conv *c);

/* The 95% Wilson score interval of k successes in n trials into lo, hi;
 * both NaN (null) when n = 0.  lo is exactly 0 at k = 0 and hi exactly 1
 * at k = n, and both lie in [0, 1] (docs/METRICS.md §4.12). */
void qual_wilson(uint64_t k, uint64_t n, double *lo, double *hi);

/* The stage with the highest (lost + stale) / reached, comparing the
 * fractions exactly, ties to the earlier stage; -1 when every numerator is
 * 0.  lost_stale and reached have n entries. */
int qual_steepest(const uint64_t *lost_stale, const uint64_t *reached, size_t n);

/* The stale threshold of every stage into out[0..def->n): the funnel's own
 * (a `stale-after=DUR` key, or --stale-after STAGE=DUR) where it has one,
 * else dflt. */
void qual_stale_by_stage(const struct funnel_def *def, int64_t dflt, int64_t *out);

struct summary;
struct res_report;

/* The rates of docs/METRICS.md §4.11-§4.14 from s into out, whose v1 rates
 * and counts summary_finish has set: intervals, win_rate_closed,
 * steepest_drop, thresholds, the quality counts. */
void qual_finish(const struct summary *s, struct res_report *out);

#endif
