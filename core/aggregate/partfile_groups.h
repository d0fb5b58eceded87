/* partfile_groups.h - section 7 of a partial state file, the groups of a
 * summary (breakdowns and cohorts) with the options that made them
 * (docs/FORMAT.md §14.9).  The content is empty without --by and --cohort. */
#ifndef FUNNEL_PARTFILE_GROUPS_H
#define FUNNEL_PARTFILE_GROUPS_H

#include <stddef.h>
#include "buf.h"
#include "summary.h"

/* Append s->groups' section content to raw.  Returns 0 or FB_ENOMEM. */
int pf_groups_encode(const struct summary *s, struct buf *raw);

/* Decode the content p[0..len) into s->groups (s's counts already
 * decoded).  Returns 0, FB_ECORRUPT with what is wrong in why, or
 * FB_ENOMEM. */
int pf_groups_decode(const unsigned char *p, size_t len, struct summary *s, char *why, size_t n);

#endif
