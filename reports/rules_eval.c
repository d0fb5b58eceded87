/* rules_eval.c - evaluate parsed rules against a JSON report (docs/CHECK.md
 * "Paths" and "Comparisons"); see rules.h.  A path that leads nowhere is a
 * failing rule with the reason, never an error: CI should see every broken
 * rule in one run.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "rules_int.h"

/* The keys that name an element of an array, in the order they are looked
 * for: the first one an element has is its name.  Stages and unmapped
 * stages have `name`, breakdown groups `value`, cohorts and trend rows their
 * `period`; the rest are there so that a new array of the report is
 * addressable without a change here.  docs/CHECK.md lists them. */
static const char *const label_keys[] = {
    "name", "value", "period", "cohort", "by", "attribute", "stage", "label", "key", "id",
};
#define NLABEL_KEYS (sizeof label_keys / sizeof label_keys[0])

/* Printed lists of element names stop after this many. */
#define NAMES_SHOWN 8

/* A message being built; NULL text after a failed allocation. */
struct msg {
    char *text;
    size_t len;
    size_t cap;
    int oom;
};

static void add(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct msg *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (m->oom || n < 0)
        return;
    if (m->len + (size_t)n + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : 128;
        while (m->len + (size_t)n + 1 > cap)
            cap *= 2;
        char *t = realloc(m->text, cap);
        if (!t) {
            m->oom = 1;
            return;
        }
        m->text = t;
        m->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(m->text + m->len, m->cap - m->len, fmt, ap);
    va_end(ap);
    m->len += (size_t)n;
}

/* A string quoted as JSON writes it ("a \"b\"", control bytes as \u00XX),
 * at most ~60 bytes of it, cut at a character boundary: a report's names
 * are short, and a message should not carry a whole document.  By hand,
 * not json_dumps: a name in a rule file need not be valid UTF-8. */
static void add_json_string(struct msg *m, const char *s, size_t len)
{
    size_t n = len;
    if (n > 60) {
        n = 60;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    add(m, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            add(m, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            add(m, "\\u%04x", c);
        else
            add(m, "%c", c);
    }
    add(m, "\"%s", n < len ? "..." : "");
}

/* The shortest text that reads back as the same double, so 0.025 prints as
 * 0.025 rather than 0.025000000000000001. */
static void add_number(struct msg *m, const json_t *v)
{
    if (json_is_integer(v)) {
        add(m, "%lld", (long long)json_integer_value(v));
        return;
    }
    double d = json_real_value(v);
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    add(m, "%s", buf);
}

static void add_kind(struct msg *m, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: add(m, "an object"); break;
    case JSON_ARRAY:
        add(m, "an array of %zu element%s", json_array_size(v), json_array_size(v) == 1 ? "" : "s");
        break;
    case JSON_STRING: add(m, "a string"); break;
    case JSON_NULL: add(m, "null"); break;
    case JSON_TRUE: case JSON_FALSE: add(m, "a boolean"); break;
    default: add(m, "a number"); break;
    }
}

/* The path of rule r up to and with step k, or "the report" before it. */
static void add_prefix(struct msg *m, const struct rule *r, size_t k, int before)
{
    if (before && k == 0)
        add(m, "the report");
    else
        add(m, "%.*s", (int)r->segs[before ? k - 1 : k].end, r->text);
}

/* An element's name: 1 and *s, *len for a string, 1 and *s = NULL for JSON
 * null, 0 when it has none. */
static int label_of(const json_t *el, const char **s, size_t *len)
{
    for (size_t i = 0; json_is_object(el) && i < NLABEL_KEYS; i++) {
        const json_t *v = json_object_get(el, label_keys[i]);
        if (!v)
            continue;
        if (json_is_null(v)) {
            *s = NULL;
            return 1;
        }
        if (!json_is_string(v))
            return 0;
        *s = json_string_value(v);
        *len = json_string_length(v);
        return 1;
    }
    return 0;
}

static int label_matches(const struct rule_seg *g, const json_t *el)
{
    const char *s;
    size_t len = 0;
    if (!label_of(el, &s, &len))
        return 0;
    /* A bare [null] is JSON null only; the string is ["null"]. */
    if (!s || g->bare_null)
        return !s && g->bare_null;
    return len == g->len && memcmp(s, g->text, len) == 0;
}

static void add_seg_name(struct msg *m, const struct rule_seg *g)
{
    if (g->bare_null)
        add(m, "null");
    else
        add_json_string(m, g->text, g->len);
}

/* Why no element of array a answers to g: the names it has, or that its
 * elements have none. */
static void explain_no_name(struct msg *m, const struct rule *r, size_t k, const json_t *a)
{
    const struct rule_seg *g = &r->segs[k];
    size_t named = 0, n = json_array_size(a);
    add(m, ": no element of ");
    add_prefix(m, r, k, 1);
    add(m, " is named ");
    add_seg_name(m, g);
    for (size_t i = 0; i < n; i++) {
        const char *s;
        size_t len = 0;
        if (!label_of(json_array_get(a, i), &s, &len))
            continue;
        if (named == NAMES_SHOWN) {
            add(m, ", ...");
            break;
        }
        add(m, named++ ? ", " : " (names: ");
        if (s)
            add_json_string(m, s, len);
        else
            add(m, "null");
    }
    if (named)
        add(m, ")");
    else if (n)
        add(m, " (its elements have no name; select one by index, e.g. [0])");
    else
        add(m, " (the array is empty)");
}

/* Find the element of array a that step k selects; NULL and a reason in m
 * when there is none or more than one. */
static const json_t *select_element(struct msg *m, const struct rule *r, size_t k, const json_t *a)
{
    const struct rule_seg *g = &r->segs[k];
    size_t n = json_array_size(a), hits = 0, at = 0;
    if (!g->bracket) {
        add_prefix(m, r, k, 0);
        add(m, " does not exist: ");
        add_prefix(m, r, k, 1);
        add(m, " is an array; select an element with [NAME] or [INDEX]");
        return NULL;
    }
    if (g->is_index) {
        int64_t i = g->index < 0 ? (int64_t)n + g->index : g->index;
        if (i >= 0 && (uint64_t)i < n)
            return json_array_get(a, (size_t)i);
        add_prefix(m, r, k, 0);
        add(m, " does not exist: ");
        add_prefix(m, r, k, 1);
        add(m, " has %zu element%s", n, n == 1 ? "" : "s");
        for (size_t j = 0; j < n; j++) {
            const char *s;
            size_t len;
            if (label_of(json_array_get(a, j), &s, &len)) {
                add(m, " (quote a name made of digits: [\"%s\"])", g->text);
                break;
            }
        }
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (label_matches(g, json_array_get(a, i)) && hits++ == 0)
            at = i;
    if (hits == 1)
        return json_array_get(a, at);
    add_prefix(m, r, k, 0);
    if (hits > 1) {
        add(m, " is ambiguous: %zu elements of ", hits);
        add_prefix(m, r, k, 1);
        add(m, " are named ");
        add_seg_name(m, g);
    } else {
        add(m, " does not exist");
        explain_no_name(m, r, k, a);
    }
    return NULL;
}

/* Follow r's path from the report's top; NULL and the reason in m when it
 * leads nowhere. */
static const json_t *resolve(struct msg *m, const struct rule *r, const json_t *report)
{
    const json_t *cur = report;
    for (size_t k = 0; cur && k < r->nsegs; k++) {
        const struct rule_seg *g = &r->segs[k];
        if (json_is_object(cur)) {
            cur = json_object_get(cur, g->text);
            if (!cur) {
                add_prefix(m, r, k, 0);
                add(m, " does not exist");
            }
        } else if (json_is_array(cur)) {
            cur = select_element(m, r, k, cur);
        } else {
            add_prefix(m, r, k, 0);
            add(m, " does not exist: ");
            add_prefix(m, r, k, 1);
            add(m, " is ");
            add_kind(m, cur);
            cur = NULL;
        }
    }
    return cur;
}

static double magnitude(double x) { return x < 0 ? -x : x; }

/* -1, 0, 1 as value v is below, equal to or above the rule's number. */
static int compare(const struct rule *r, const json_t *v, double tol)
{
    if (json_is_integer(v) && r->num_is_int) {
        json_int_t a = json_integer_value(v);
        return a < r->inum ? -1 : a > r->inum;
    }
    double a = json_number_value(v), b = r->num;
    double larger = magnitude(a) > magnitude(b) ? magnitude(a) : magnitude(b);
    if (magnitude(a - b) <= tol * larger)
        return 0;
    return a < b ? -1 : 1;
}

static int holds(enum rule_op op, int c)
{
    switch (op) {
    case RULE_LT: return c < 0;
    case RULE_LE: return c <= 0;
    case RULE_GT: return c > 0;
    case RULE_GE: return c >= 0;
    case RULE_EQ: return c == 0;
    default: return c != 0;
    }
}

/* The reason rule r fails on this report, in m; nothing when it holds. */
static void check_rule(struct msg *m, const struct rule *r, const json_t *report, double tol)
{
    const json_t *v = resolve(m, r, report);
    if (!v)
        return;
    if (json_is_number(v)) {
        if (!holds(r->op, compare(r, v, tol))) {
            add(m, "got ");
            add_number(m, v);
        }
        return;
    }
    add(m, "got ");
    if (json_is_string(v))
        add_json_string(m, json_string_value(v), json_string_length(v));
    else if (json_is_boolean(v))
        add(m, "%s", json_is_true(v) ? "true" : "false");
    else
        add_kind(m, v);
    add(m, ", not a number");
}

int rules_eval(const struct rules *rs, const json_t *report, double tol, rules_emit_fn emit,
               void *ctx, size_t *failed, struct fb_error *err)
{
    struct msg m = {0};
    *failed = 0;
    for (size_t i = 0; i < rs->n && !m.oom; i++) {
        m.len = 0;
        check_rule(&m, &rs->v[i], report, tol);
        if (m.len && !m.oom) {
            (*failed)++;
            emit(ctx, rs->v[i].line, rs->v[i].text, m.text);
        }
    }
    free(m.text);
    return m.oom ? fb_fail(err, FB_ENOMEM, "out of memory checking rules") : 0;
}
