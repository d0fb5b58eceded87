/* jsondiff.h - compare a JSON report with an expected fixture (`funnel check`).
 * The fixture may pin only part of a report: every value in EXPECTED is
 * checked, extra keys in the report are ignored.  Differences are handed to
 * a callback, one at a time, so this layer never prints.
 */
#ifndef FUNNEL_JSONDIFF_H
#define FUNNEL_JSONDIFF_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"

/* Called once per difference.  `path` locates it: object keys joined by
 * '.', array indexes as [i], keys that are not plain identifiers
 * ([A-Za-z_][A-Za-z0-9_]*) as ["key"] (a JSON string), and "(root)" for the
 * top level itself.  `what` is "missing", "expected 7 elements, got 6" or
 * "expected V, got W" with V and W as compact JSON (or "an object"/"an
 * array" for containers).  Both strings are valid only during the call. */
typedef void (*jdiff_emit_fn)(void *ctx, const char *path, const char *what);

/* Compare `got` against `expected`:
 *  - integers, strings, booleans and null exactly; an expected integer also
 *    matches a real that equals it exactly;
 *  - an expected real matches any number g with
 *    |e - g| <= tol * max(|e|, |g|)  (tol >= 0; 0 means exactly equal);
 *  - objects: every key of `expected` must exist in `got`, extras are fine;
 *  - the one exception: a top-level "schema" of "funnel-report/1" matches
 *    "funnel-report/2", whose reports keep every v1 key, so a v1 fixture
 *    checks a v2 report on the keys they share (docs/DECISIONS.md);
 *  - arrays: equal length, then element by element (a length mismatch is
 *    one difference and the elements are not compared).
 * *compared counts the leaf (non-container) values of `expected` that had
 * a counterpart to compare with; *differences counts calls of emit.
 * Returns 0 (whether or not there were differences) or FB_ENOMEM. */
int jdiff_compare(const json_t *expected, const json_t *got, double tol,
                  jdiff_emit_fn emit, void *ctx, size_t *compared,
                  size_t *differences, struct fb_error *err) FB_MUST_USE;

#endif
