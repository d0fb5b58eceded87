/* trendfile.h - section 6 (trend and activity) of the partial state file,
 * docs/FORMAT.md §14.6: the --trend and --period options, the counts by
 * period, the activity counts and the moments still to be judged. */
#ifndef FUNNEL_TRENDFILE_H
#define FUNNEL_TRENDFILE_H

#include <stddef.h>
#include "buf.h"
#include "trend.h"

/* Append t's section body to raw (its moment sets sorted).  Returns 0 or
 * FB_ENOMEM. */
int trendfile_encode(const struct sum_trend *t, struct buf *raw);

/* Decode a section body into t (initialised for the funnel's stages, its
 * options replaced by the file's); decided says whether the partial has an
 * explicit as_of (then no moments wait for it).  Returns 0, FB_ENOMEM, or
 * FB_ECORRUPT with *why saying what is wrong. */
int trendfile_decode(const unsigned char *p, size_t len, int decided, struct sum_trend *t,
                     const char **why);

#endif
