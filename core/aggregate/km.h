/* km.h - the Kaplan-Meier estimate of time in stage with censoring
 * (docs/METRICS.md §4.20).  Events are the times of entities that moved on,
 * censorings the times at which the others were last seen at the stage.
 * S(t) = product over event times t_i <= t of (1 - d_i / n_i), n_i the
 * entities with time >= t_i (at equal times events come before
 * censorings, so a censoring at t_i is still at risk at t_i).  The
 * quantile q is the smallest event time with S <= q, decided exactly (as a
 * fraction), not in floating point.
 */
#ifndef FUNNEL_KM_H
#define FUNNEL_KM_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct km_result {
    int has_median, has_p90;   /* 0: S never gets to 1/2 (1/10): null */
    int64_t median_s, p90_s;   /* smallest event time with S <= 1/2 (1/10) */
};

/* KM over ev[0..ne) and cens[0..nc), both sorted ascending (non-negative
 * seconds).  Returns 0 or FB_ENOMEM (the exact products need scratch). */
int km_quantiles(const int64_t *ev, size_t ne, const int64_t *cens, size_t nc,
                 struct km_result *out, struct fb_error *err) FB_MUST_USE;

#endif
