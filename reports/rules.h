/* rules.h - threshold rules over a JSON report, for `funnel check --rules`
 * (docs/CHECK.md).  A rule file holds one rule a line, `PATH OP NUMBER`,
 * e.g. `stages[purchasing].conversion_from_start >= 0.03`; this module parses
 * it and evaluates it against a parsed report.  It never prints: failures
 * go to a callback, and a malformed file is one error with its line and
 * column.
 */
#ifndef FUNNEL_RULES_H
#define FUNNEL_RULES_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"

/* A parsed rule file; opaque. */
struct rules;

/* Parse the `len` bytes of `text` (need not be NUL-terminated; the whole
 * file, read by the caller) as a rule file named `name` in messages.
 * Blank lines and `#` comments are skipped; a line ending in CR LF is fine.
 * Returns 0 and a new rule set in *out (free with rules_free), or
 * FB_EUSAGE for a malformed file, with err's path, line and column (1-based,
 * bytes) naming the first fault, e.g. "expected an operator (< <= > >= ==
 * !=) after the path"; a file without any rule is FB_EUSAGE too (line 0).
 * FB_ENOMEM when out of memory. */
int rules_parse(const char *name, const char *text, size_t len, struct rules **out,
                struct fb_error *err) FB_MUST_USE;

/* The number of rules in rs. */
size_t rules_count(const struct rules *rs);

/* Called once per failing rule, in file order: `line` is its line in the
 * file, `rule` the rule as written (path, operator and number, comment and
 * outer blanks dropped), `why` what failed: "got 0.025" for a number that
 * fails the comparison, "got null, not a number" for another value, or what
 * is missing ("stages[purchasng] does not exist: no element of stages is
 * named \"purchasng\" ...").  The strings are valid only during the call. */
typedef void (*rules_emit_fn)(void *ctx, long line, const char *rule, const char *why);

/* Evaluate every rule against `report`.  Numbers compare as in
 * jdiff_compare: an integer value against an integer in the rule exactly,
 * otherwise as doubles where |a - b| <= tol * max(|a|, |b|) counts as equal
 * (so `==` and `<=` hold, `<` and `!=` do not).  *failed counts the calls
 * of emit.  Returns 0 (whether or not rules failed) or FB_ENOMEM. */
int rules_eval(const struct rules *rs, const json_t *report, double tol, rules_emit_fn emit,
               void *ctx, size_t *failed, struct fb_error *err) FB_MUST_USE;

/* Free a rule set; NULL is fine. */
void rules_free(struct rules *rs);

#endif
