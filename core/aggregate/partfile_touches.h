/* partfile_touches.h - the touches section of a partial state file
 * (docs/FORMAT.md §14.11): touch types by name with their events and
 * entities per stage and channel and their lift counts. */
#ifndef FUNNEL_PARTFILE_TOUCHES_H
#define FUNNEL_PARTFILE_TOUCHES_H

#include <stddef.h>
#include "buf.h"
#include "summary.h"

/* Append s->touches (sorted: summary_sort) to raw.  Returns 0 or
 * FB_ENOMEM. */
int pf_touches_encode(const struct summary *s, struct buf *raw);

/* Read the section b[0..len) into s->touches (made here; s's counts and
 * stages already read, which bound it).  Returns 0, FB_ECORRUPT with what
 * is wrong in why, or FB_ENOMEM. */
int pf_touches_decode(const unsigned char *b, size_t len, struct summary *s, char *why, size_t n);

#endif
