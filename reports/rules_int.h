/* rules_int.h - the parsed form of a rule file, shared by its parser
 * (rules.c) and its evaluator (rules_eval.c) only; docs/CHECK.md has the
 * syntax and the meaning. */
#ifndef FUNNEL_RULES_INT_H
#define FUNNEL_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

enum rule_op { RULE_LT, RULE_LE, RULE_GT, RULE_GE, RULE_EQ, RULE_NE };

/* One step of a path.  `.key` is a key of an object; `[...]` is a key of an
 * object or an element of an array: by index when `is_index` (a bare
 * integer, negative counts from the end), else by its name (docs/CHECK.md
 * "Paths"), where a bare `null` also matches an element whose name is JSON
 * null. */
struct rule_seg {
    char *text;         /* the key or name, decoded; owned */
    size_t len;         /* bytes of text (a quoted name may hold no NUL: checked) */
    size_t end;         /* the path up to and with this step is rule->text[0..end) */
    unsigned bracket : 1;
    unsigned is_index : 1;
    unsigned bare_null : 1;
    int64_t index;
};

struct rule {
    long line;
    char *text;         /* the rule as written, NUL-terminated; owned */
    struct rule_seg *segs;
    size_t nsegs;
    enum rule_op op;
    double num;
    int num_is_int;     /* the number was written as an integer that fits int64 */
    int64_t inum;
};

struct rules {
    struct rule *v;
    size_t n;
    size_t cap;
};

#endif
