/* logcheck.h - `verify`: read every committed block of a log, check its
 * checksum and decode it completely (dictionaries and every column), so
 * damage anywhere is found, not only where a replay happens to look. */
#ifndef FUNNEL_LOGCHECK_H
#define FUNNEL_LOGCHECK_H

#include <stdint.h>
#include "blocklog.h"
#include "err.h"

struct logcheck_result {
    uint64_t batches, blocks, events;
    int64_t min_time, max_time;     /* valid when events > 0 */
    int64_t file_size, committed_end, tail_len;
    char tail_reason[160];
};

/* Returns 0 (a torn tail is not an error), FB_ECORRUPT with the offset of
 * the first damaged block, FB_EIO or FB_ENOMEM. */
int logcheck_run(int fd, const char *path, struct logcheck_result *res, struct fb_error *err) FB_MUST_USE;

#endif
