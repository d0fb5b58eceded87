/* hugemem.h - large blocks in huge pages of their own.  On the virtual
 * machines measured a page fault costs about 11 us, more than zeroing its
 * page; a block in 2 MiB pages takes one fault where 4 KiB pages took 512
 * (docs/DECISIONS.md "A replay's large buffers"). */
#ifndef FUNNEL_HUGEMEM_H
#define FUNNEL_HUGEMEM_H

#include <stddef.h>

/* calloc for a large block made once and filled a little at a time,
 * perhaps by several threads: from 256 KiB on, a mapping of its own, so its
 * pages are zero and unmapped until touched (no pass over it here) and
 * come as huge pages (a range of the heap that was ever mapped in small
 * pages keeps them); below that, calloc.  Release with huge_zfree and the
 * same size (a size below 256 KiB, 0 included, is free(): a block from
 * malloc may be released as one of size 0).  NULL when out of memory. */
void *huge_zalloc(size_t bytes);
void huge_zfree(void *p, size_t bytes);

/* Give back what lies past the first `keep` bytes of a huge_zalloc block
 * of `bytes`; returns the size to free it with from then on. */
size_t huge_zshrink(void *p, size_t bytes, size_t keep);

#endif
