/* replay.h - replay a log into the metrics: scan it, map its dictionaries
 * onto the funnel, decode the committed EVENTS blocks and aggregate them
 * (issue 2, "Replay semantics").  Readers take no lock: they see the batches
 * committed when the scan ran. */
#ifndef FUNNEL_REPLAY_H
#define FUNNEL_REPLAY_H

#include <stdint.h>
#include "err.h"
#include "funnel_def.h"
#include "result.h"

struct replay_opts {
    const struct funnel_def *def;
    int has_as_of;          /* else as_of = the latest event time in the log */
    int64_t as_of;
    int64_t stale_after;
    unsigned threads;       /* decoding and folding threads; 0 or 1: this one */
};

/* What the replay saw of the file besides the metrics. */
struct replay_info {
    int64_t tail_len;        /* torn tail ignored (0: none) */
    int64_t tail_offset;
    char tail_reason[160];
    uint64_t batches, blocks;
};

/* Returns 0 (fill *out; free with res_report_free), FB_ECORRUPT, FB_EIO or
 * FB_ENOMEM. */
int replay_log(const char *path, const struct replay_opts *o, struct res_report *out,
               struct replay_info *info, struct fb_error *err) FB_MUST_USE;

#endif
