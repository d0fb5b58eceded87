/* zinflate.h - inflating the zlib streams of DICT and EVENTS payloads
 * (docs/FORMAT.md §5.3, §6.1), whose inflated sizes the format states, with
 * libdeflate's whole-buffer decoder: 2-3x zlib's inflate on the same streams
 * (docs/DECISIONS.md "Dependencies").  zlib still writes them.
 */
#ifndef FUNNEL_ZINFLATE_H
#define FUNNEL_ZINFLATE_H

#include <stddef.h>
#include "err.h"

struct libdeflate_decompressor;

/* A decoder's tables (about 10 KB), made at the first use and reused;
 * zero-initialise it, free with zinf_free. */
struct zinf {
    struct libdeflate_decompressor *d;
};
void zinf_free(struct zinf *z);

/* Inflate the zlib stream src[0..clen) into dst, which receives exactly
 * raw_len bytes.  Returns 0; FB_ECORRUPT (err untouched: the caller words
 * it) when src is not a zlib stream (RFC 1950) inflating to exactly
 * raw_len bytes with a matching Adler-32, bytes after the stream being
 * ignored as zlib's uncompress ignores them; or FB_ENOMEM. */
int zinf_exact(struct zinf *z, const unsigned char *src, size_t clen, unsigned char *dst,
               size_t raw_len) FB_MUST_USE;

#endif
