/* logfresh.h - how fresh a log's data is (docs/CHARTS.md, "The page"): its
 * time range and the latest event of each channel, read from the EVENTS
 * blocks at the end of the file back, so a log appended in time order
 * costs the last block or two, not a second replay. */
#ifndef FUNNEL_LOGFRESH_H
#define FUNNEL_LOGFRESH_H

#include "err.h"
#include "logreader.h"
#include "result.h"

/* Fill *out for the log open in r (its channel dictionary loaded): the
 * scan's first and last event time, then, per channel of the dictionary
 * (at most RES_FRESH_MAX_CH), its latest event time.  Returns 0,
 * FB_ECORRUPT, FB_EIO or FB_ENOMEM. */
int logfresh_read(const struct logr *r, struct res_fresh *out, struct fb_error *err) FB_MUST_USE;

#endif
