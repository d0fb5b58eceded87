/* hugemem.h - a hint that a large block be backed by huge pages. */
#ifndef FUNNEL_HUGEMEM_H
#define FUNNEL_HUGEMEM_H

#include <stddef.h>

/* Ask that the 2 MiB pages wholly inside [p, p + bytes) be huge pages
 * (madvise MADV_HUGEPAGE).  A block that is written once from end to end
 * after malloc takes a page fault per 4 KiB page otherwise, and on this
 * kind of virtual machine each fault costs more than zeroing its page:
 * huge pages make them 512 times rarer.  Only a hint; where the kernel
 * refuses it, small pages work the same. */
void huge_advise(void *p, size_t bytes);

/* calloc for a large block made once and filled a little at a time,
 * perhaps by several threads: from 256 KiB on, a mapping of its own, so its
 * pages are zero and unmapped until touched (no pass over it here) and
 * come as huge pages (a range of the heap that was ever mapped in small
 * pages keeps them); below that, calloc.  Release with huge_zfree and the
 * same size.  NULL when out of memory. */
void *huge_zalloc(size_t bytes);
void huge_zfree(void *p, size_t bytes);

/* Give back what lies past the first `keep` bytes of a huge_zalloc block
 * of `bytes`; returns the size to free it with from then on. */
size_t huge_zshrink(void *p, size_t bytes, size_t keep);

/* malloc for a buffer that is written soon after: from 1 MiB on, whole
 * huge pages (the size rounded up to 2 MiB, aligned, advised), below that
 * plain malloc.  Release with free().  NULL when out of memory. */
void *huge_alloc(size_t bytes);

#endif
