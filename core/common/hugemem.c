/* hugemem.c - see hugemem.h. */
#include "hugemem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

/* From a quarter of a huge page on, one fault of a huge page (zeroed by
 * the kernel) costs less here than the 64 faults of its small pages.
 * Under AddressSanitizer every block comes from calloc instead, so that
 * its bounds checks still cover it (a mapping of our own is one opaque
 * range to it). */
#if defined(__SANITIZE_ADDRESS__)
#define HUGE_MIN SIZE_MAX
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HUGE_MIN SIZE_MAX
#endif
#endif
#ifndef HUGE_MIN
#define HUGE_MIN ((size_t)1 << 18)
#endif

static size_t huge_round(size_t bytes)
{
    return (bytes + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
}

void *huge_zalloc(size_t bytes)
{
    if (bytes < HUGE_MIN)
        return calloc(1, bytes ? bytes : 1);
    if (bytes > SIZE_MAX - 2 * HUGE_PAGE)
        return NULL;
    /* Map a huge page more than needed, then unmap what lies before the
     * first huge page boundary and after the block's last huge page. */
    const size_t round = huge_round(bytes);
    unsigned char *m = mmap(NULL, round + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    unsigned char *p = (unsigned char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
    const size_t head = (size_t)(p - m);
    if (head)
        (void)munmap(m, head);
    if (HUGE_PAGE - head)
        (void)munmap(p + round, HUGE_PAGE - head);
    (void)madvise(p, round, MADV_HUGEPAGE);   /* a hint: small pages work the same */
    return p;
}

size_t huge_zshrink(void *p, size_t bytes, size_t keep)
{
    if (bytes < HUGE_MIN || keep >= bytes)
        return bytes;   /* from calloc: kept whole */
    keep = keep < HUGE_MIN ? HUGE_MIN : keep;
    const size_t from = huge_round(keep), to = huge_round(bytes);
    if (to > from)
        (void)munmap((unsigned char *)p + from, to - from);
    return keep;
}

void huge_zfree(void *p, size_t bytes)
{
    if (!p)
        return;
    if (bytes < HUGE_MIN)
        free(p);
    else
        (void)munmap(p, huge_round(bytes));
}
