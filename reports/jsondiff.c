/* jsondiff.c - the comparison behind `funnel check`; see jsondiff.h.
 * One recursive walk over EXPECTED with the path of the current value kept in
 * a growable buffer (push a segment, recurse, cut it off again), so a path is
 * only formatted once and differences cost nothing until one is found.
 */
#include "jsondiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enough digits that two different doubles never print the same. */
#define JDIFF_DUMP_FLAGS (JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17))

struct walk {
    double tol;
    jdiff_emit_fn emit;
    void *ctx;
    size_t compared;
    size_t differences;
    char *path; /* NUL-terminated, len bytes used */
    size_t len;
    size_t cap;
    struct fb_error *err;
};

static int nomem(struct walk *w)
{
    return fb_fail(w->err, FB_ENOMEM, "out of memory comparing JSON");
}

static int path_append(struct walk *w, const char *s, size_t n)
{
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 128;
        while (w->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(w->path, cap);
        if (!p)
            return nomem(w);
        w->path = p;
        w->cap = cap;
    }
    memcpy(w->path + w->len, s, n);
    w->len += n;
    w->path[w->len] = '\0';
    return 0;
}

static int is_identifier(const char *key)
{
    if (!((*key >= 'a' && *key <= 'z') || (*key >= 'A' && *key <= 'Z') || *key == '_'))
        return 0;
    for (const char *p = key + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

/* Plain keys read like code (a.b); anything else is quoted as a JSON string
 * in brackets (a["b c"]) so that dots, brackets, spaces or newlines in a key
 * can never make a path ambiguous or span two lines. */
static int path_push_key(struct walk *w, const char *key)
{
    if (is_identifier(key)) {
        if (w->len > 0 && path_append(w, ".", 1) != 0)
            return w->err->code;
        return path_append(w, key, strlen(key));
    }
    json_t *s = json_string(key);
    char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    if (!q)
        return nomem(w);
    int rc = path_append(w, "[", 1);
    if (rc == 0)
        rc = path_append(w, q, strlen(q));
    if (rc == 0)
        rc = path_append(w, "]", 1);
    free(q);
    return rc;
}

static int path_push_index(struct walk *w, size_t i)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "[%zu]", i);
    return path_append(w, buf, (size_t)n);
}

static void path_cut(struct walk *w, size_t len)
{
    w->len = len;
    if (w->path)
        w->path[len] = '\0';
}

static void report(struct walk *w, const char *what)
{
    w->differences++;
    w->emit(w->ctx, w->len ? w->path : "(root)", what);
}

/* Containers are named, not dumped: a whole sub-report on one line would
 * bury the difference. */
static char *describe(const json_t *v)
{
    if (json_is_object(v))
        return strdup("an object");
    if (json_is_array(v))
        return strdup("an array");
    return json_dumps(v, JDIFF_DUMP_FLAGS);
}

static int report_values(struct walk *w, const json_t *expected, const json_t *got)
{
    char *e = describe(expected), *g = describe(got), *msg = NULL;
    if (e && g) {
        size_t n = strlen(e) + strlen(g) + sizeof "expected , got ";
        msg = malloc(n);
        if (msg)
            snprintf(msg, n, "expected %s, got %s", e, g);
    }
    if (msg)
        report(w, msg);
    free(e);
    free(g);
    free(msg);
    return msg ? 0 : nomem(w);
}

static double magnitude(double x) { return x < 0 ? -x : x; }

/* An expected integer pins an exact count; a report may still carry it as a
 * real (e.g. 3.0), which is fine only if no rounding is involved. */
static int integer_matches(json_int_t e, const json_t *got)
{
    if (json_is_integer(got))
        return json_integer_value(got) == e;
    if (!json_is_real(got))
        return 0;
    double r = json_real_value(got);
    /* The range check keeps the cast below defined. */
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
        return 0;
    return (double)(long long)r == r && (json_int_t)(long long)r == e;
}

/* Relative tolerance, scaled by the larger magnitude so the test is
 * symmetric and 0 vs 0 matches for any tolerance. */
static int real_matches(double e, const json_t *got, double tol)
{
    if (!json_is_number(got))
        return 0;
    double g = json_number_value(got);
    double larger = magnitude(e) > magnitude(g) ? magnitude(e) : magnitude(g);
    return magnitude(e - g) <= tol * larger;
}

static int leaf_matches(const json_t *e, const json_t *g, double tol)
{
    switch (json_typeof(e)) {
    case JSON_INTEGER:
        return integer_matches(json_integer_value(e), g);
    case JSON_REAL:
        return real_matches(json_real_value(e), g, tol);
    case JSON_STRING:
        return json_is_string(g) && json_string_length(e) == json_string_length(g) &&
               memcmp(json_string_value(e), json_string_value(g), json_string_length(e)) == 0;
    default: /* true, false, null: the type is the value */
        return json_typeof(e) == json_typeof(g);
    }
}

/* The report schemas a fixture of an older schema may be checked against,
 * because the newer one keeps every key of the older with its value
 * (docs/DECISIONS.md, "A funnel-report/1 fixture against a /2 report").
 * Only the top-level "schema" key is read this way; everything else in the
 * fixture is compared as usual, so a v1 key missing from a /2 report is
 * still a difference.  A later version adds its own pairs deliberately. */
static const char *const schema_upgrades[][2] = {
    {"funnel-report/1", "funnel-report/2"},
};

static int schema_compatible(const json_t *e, const json_t *g)
{
    if (!json_is_string(e) || !json_is_string(g))
        return 0;
    for (size_t i = 0; i < sizeof schema_upgrades / sizeof schema_upgrades[0]; i++)
        if (strcmp(json_string_value(e), schema_upgrades[i][0]) == 0 &&
            strcmp(json_string_value(g), schema_upgrades[i][1]) == 0 &&
            json_string_length(e) == strlen(schema_upgrades[i][0]) &&
            json_string_length(g) == strlen(schema_upgrades[i][1]))
            return 1;
    return 0;
}

static int compare(struct walk *w, const json_t *e, const json_t *g);

static int compare_object(struct walk *w, const json_t *e, const json_t *g)
{
    const char *key;
    json_t *ev;
    size_t at = w->len;
    /* json_object_foreach wants a non-const object; nothing is modified. */
    json_object_foreach((json_t *)e, key, ev) {
        const json_t *gv = json_object_get(g, key);
        int rc = path_push_key(w, key);
        /* at == 0: a key of the top-level object (any deeper path is longer). */
        if (rc == 0 && gv && at == 0 && strcmp(key, "schema") == 0 && schema_compatible(ev, gv))
            w->compared++;
        else if (rc == 0 && gv)
            rc = compare(w, ev, gv);
        else if (rc == 0)
            report(w, "missing");
        path_cut(w, at);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int compare_array(struct walk *w, const json_t *e, const json_t *g)
{
    size_t ne = json_array_size(e), ng = json_array_size(g), at = w->len;
    if (ne != ng) {
        /* Elements after an insertion or deletion would all differ; the
         * length says what happened. */
        char msg[96];
        snprintf(msg, sizeof msg, "expected %zu element%s, got %zu", ne,
                 ne == 1 ? "" : "s", ng);
        report(w, msg);
        return 0;
    }
    for (size_t i = 0; i < ne; i++) {
        int rc = path_push_index(w, i);
        if (rc == 0)
            rc = compare(w, json_array_get(e, i), json_array_get(g, i));
        path_cut(w, at);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int compare(struct walk *w, const json_t *e, const json_t *g)
{
    if (json_is_object(e))
        return json_is_object(g) ? compare_object(w, e, g) : report_values(w, e, g);
    if (json_is_array(e))
        return json_is_array(g) ? compare_array(w, e, g) : report_values(w, e, g);
    w->compared++;
    return leaf_matches(e, g, w->tol) ? 0 : report_values(w, e, g);
}

int jdiff_compare(const json_t *expected, const json_t *got, double tol,
                  jdiff_emit_fn emit, void *ctx, size_t *compared,
                  size_t *differences, struct fb_error *err)
{
    struct walk w = {.tol = tol, .emit = emit, .ctx = ctx, .err = err};
    int rc = compare(&w, expected, got);
    free(w.path);
    *compared = w.compared;
    *differences = w.differences;
    return rc;
}
