/* json_read_path.c - key-path errors and counts of the optional-key
 * readers; see json_read_path.h. */
#include "json_read_path.h"

#include <stdarg.h>
#include <stdio.h>

#include "json_report.h"

int json_rd_bad(const struct json_rd *c, const char *what, const char *fmt, ...)
{
    char where[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(where, sizeof where, fmt, ap);
    va_end(ap);
    return fb_fail_at(c->err, FB_EINPUT, c->path, 0, 0, "%s: %s; not a %s report", where, what,
                      RPT_SCHEMA);
}

int json_rd_count(const struct json_rd *c, const json_t *obj, const char *key, uint64_t *out,
                  const char *where)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return json_rd_bad(c, v ? "expected a non-negative integer" : "missing", "%s.%s", where, key);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}
