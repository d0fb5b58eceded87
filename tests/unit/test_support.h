/* test_support.h - the small helpers several unit tests share: a seeded
 * pseudo-random stream (each test keeps its own state, so a failing case
 * replays from its seed), an int64 order for qsort, and a private temporary
 * folder that a test works in and removes. */
#ifndef FUNNEL_TEST_SUPPORT_H
#define FUNNEL_TEST_SUPPORT_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* xorshift64: the next value of the stream whose state is *s (never 0). */
static inline uint64_t test_xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* qsort order of int64_t. */
static inline int test_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Make dir (cap bytes) a new folder $TMPDIR/NAME.XXXXXX and enter it.
 * Returns 0, or -1 (a cmocka setup failure). */
static inline int test_tmpdir_enter(char *dir, size_t cap, const char *name)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, cap, "%s/%s.XXXXXX", t && *t ? t : "/tmp", name);
    if (!mkdtemp(dir) || chdir(dir) != 0)
        return -1;
    return 0;
}

/* Leave dir and remove it with everything in it.  Returns 0 or -1. */
static inline int test_tmpdir_leave(const char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return chdir("/") == 0 && system(cmd) == 0 ? 0 : -1;
}

#endif
