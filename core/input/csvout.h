/* csvout.h - writing RFC 4180 fields: quoted only when a field holds a
 * comma, a double quote, CR or LF (quotes doubled), so `cat` output is
 * always valid input to `append`. */
#ifndef FUNNEL_CSVOUT_H
#define FUNNEL_CSVOUT_H

#include <stddef.h>
#include "buf.h"
#include "err.h"

/* Append s[0..n) as one CSV field to b.  Returns 0 or FB_ENOMEM. */
int csvout_field(struct buf *b, const char *s, size_t n) FB_MUST_USE;

#endif
