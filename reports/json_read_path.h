/* json_read_path.h - what the readers of a report's optional keys
 * (json_read_groups.c, json_read_deals.c) share: an error that names the
 * key path ("breakdowns[0].groups[3].outcomes.won: expected a non-negative
 * integer; not a funnel-report/2 report") and the count reader. */
#ifndef FUNNEL_JSON_READ_PATH_H
#define FUNNEL_JSON_READ_PATH_H

#include <jansson.h>
#include <stdint.h>
#include "err.h"

/* The file being read (named in messages) and where its error goes. */
struct json_rd {
    const char *path;
    struct fb_error *err;
};

/* Fail with FB_EINPUT: "KEYPATH: what; not a funnel-report/2 report",
 * KEYPATH made by fmt.  Returns FB_EINPUT. */
int json_rd_bad(const struct json_rd *c, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* obj.key as a non-negative integer into *out; where is obj's key path.
 * Returns 0 or FB_EINPUT (missing, or not such an integer). */
int json_rd_count(const struct json_rd *c, const json_t *obj, const char *key, uint64_t *out,
                  const char *where);

#endif
