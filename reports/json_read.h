/* json_read.h - read a funnel-report/2 (or /1) JSON document (docs/METRICS.md
 * §4.10) back into the finished metrics, for `funnel chart`.  The reverse
 * of json_report.h: every key that rpt_json_write writes must be present
 * with its type; keys added by later versions are ignored. */
#ifndef FUNNEL_JSON_READ_H
#define FUNNEL_JSON_READ_H

#include "err.h"
#include "result.h"

/* A report read from a file: the metrics plus the storage of the stage
 * names that rep.stages[i].name point into. */
struct rpt_doc {
    struct res_report rep;
    char **names;      /* owned, rep.nstages of them */
};

/* Read and check the report at path ("-" = standard input).  Returns 0,
 * FB_EINPUT (missing, unreadable or not a funnel-report/2 or /1 document: a
 * syntax error as PATH:LINE:COL, a wrong or missing value with its key
 * path, e.g. "stages[2].reached: expected a non-negative integer", or a
 * value out of its range: a rate outside [0, 1], a negative or infinite
 * duration, "stages[2].conversion_from_previous: 2.0 is not a rate in
 * [0, 1]") or FB_ENOMEM.  On success free *doc with rpt_doc_free. */
int rpt_json_read(const char *path, struct rpt_doc *doc, struct fb_error *err) FB_MUST_USE;

/* Free what doc owns; a zeroed doc is fine. */
void rpt_doc_free(struct rpt_doc *doc);

#endif
