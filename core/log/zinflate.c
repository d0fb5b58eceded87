/* zinflate.c - zlib streams of known inflated size; see zinflate.h. */
#include "zinflate.h"

#include <libdeflate.h>

void zinf_free(struct zinf *z)
{
    if (z->d)
        libdeflate_free_decompressor(z->d);
    z->d = NULL;
}

int zinf_exact(struct zinf *z, const unsigned char *src, size_t clen, unsigned char *dst,
               size_t raw_len)
{
    if (!z->d && !(z->d = libdeflate_alloc_decompressor()))
        return FB_ENOMEM;
    /* No actual size pointer: libdeflate then fails a stream that inflates
     * to fewer bytes (SHORT_OUTPUT) or more (INSUFFICIENT_SPACE) than
     * raw_len, as uncompress with a raw_len buffer and the size check did.
     * It allocates nothing here, so every failure is the data's. */
    return libdeflate_zlib_decompress(z->d, src, clen, dst, raw_len, NULL) == LIBDEFLATE_SUCCESS
               ? 0 : FB_ECORRUPT;
}
