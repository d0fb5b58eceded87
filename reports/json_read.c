/* json_read.c - funnel-report/2 (or /1) JSON back into struct res_report; see
 * json_read.h.  jansson parses; this file only checks types and copies. */
#include "json_read.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ftime.h"
#include "funnel_def.h"
#include "json_read_deals.h"
#include "json_read_groups.h"
#include "json_report.h"

/* Where a value sits in the document, for messages: "stages[2].reached". */
struct ctx {
    const char *path;       /* the file, as given */
    struct fb_error *err;
};

static int bad(const struct ctx *c, const char *where, const char *key, const char *what)
{
    return fb_fail_at(c->err, FB_EINPUT, c->path, 0, 0, "%s%s%s: %s; not a %s report",
                      where, *where && *key ? "." : "", key, what, RPT_SCHEMA);
}

static json_t *need(const struct ctx *c, const json_t *obj, const char *where, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        bad(c, where, key, "missing");
    return v;
}

static int get_count(const struct ctx *c, const json_t *obj, const char *where,
                     const char *key, uint64_t *out)
{
    json_t *v = need(c, obj, where, key);
    if (!v)
        return FB_EINPUT;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(c, where, key, "expected a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* A JSON number as its shortest round-trip text, a real always with a '.'
 * or an exponent ("2.0", "1e+308"), for messages. */
static const char *num_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    double d = json_number_value(v);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        strncat(buf, ".0", n - strlen(buf) - 1);
    return buf;
}

/* A value out of its range: "stages[2].conversion_from_previous: 2.0 is not
 * a rate in [0, 1]" (docs/DECISIONS.md, "A wrong value in a JSON report"). */
static int out_of_range(const struct ctx *c, const char *where, const char *key, const json_t *v,
                        const char *what)
{
    char num[40], msg[96];
    snprintf(msg, sizeof msg, "%s is not %s", num_text(v, num, sizeof num), what);
    return bad(c, where, key, msg);
}

/* A rate: a number in [0, 1], or null (stored as NaN).  Anything else would
 * reach gnuplot as a bar beyond its axis or as "inf" (docs/METRICS.md §4). */
static int get_rate(const struct ctx *c, const json_t *obj, const char *where,
                    const char *key, double *out)
{
    json_t *v = need(c, obj, where, key);
    if (!v)
        return FB_EINPUT;
    if (json_is_null(v)) {
        *out = NAN;
        return 0;
    }
    if (!json_is_number(v))
        return bad(c, where, key, "expected a number or null");
    double d = json_number_value(v);
    if (!(d >= 0.0 && d <= 1.0))
        return out_of_range(c, where, key, v, "a rate in [0, 1]");
    *out = d;
    return 0;
}

/* A mean duration in seconds: a finite number >= 0, or null (NaN). */
static int get_mean(const struct ctx *c, const json_t *obj, const char *where,
                    const char *key, double *out)
{
    json_t *v = need(c, obj, where, key);
    if (!v)
        return FB_EINPUT;
    if (json_is_null(v)) {
        *out = NAN;
        return 0;
    }
    if (!json_is_number(v))
        return bad(c, where, key, "expected a number or null");
    double d = json_number_value(v);
    if (!(d >= 0.0 && isfinite(d)))
        return out_of_range(c, where, key, v, "a duration in seconds (finite, >= 0)");
    *out = d;
    return 0;
}

/* A duration in whole seconds, >= 0; a real is fine when it is a whole
 * number. */
static int get_seconds(const struct ctx *c, const json_t *obj, const char *where,
                       const char *key, int64_t *out)
{
    json_t *v = need(c, obj, where, key);
    if (!v)
        return FB_EINPUT;
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (json_is_integer(v))
        *out = json_integer_value(v);
    else if (isfinite(d) && d == floor(d) && fabs(d) < 9e18)
        *out = (int64_t)d;
    else
        return bad(c, where, key, "expected a whole number of seconds");
    if (*out < 0)
        return out_of_range(c, where, key, v, "a duration in seconds (>= 0)");
    return 0;
}

static int get_stats(const struct ctx *c, const json_t *v, const char *where, struct res_stats *s)
{
    int64_t med = 0, p90 = 0;
    if (!json_is_object(v))
        return bad(c, where, "", "expected an object");
    int rc = get_count(c, v, where, "count", &s->count);
    if (rc == 0)
        rc = get_mean(c, v, where, "mean_s", &s->mean_s);
    if (rc || s->count == 0) {
        s->mean_s = NAN;
        return rc;
    }
    if (isnan(s->mean_s))
        return bad(c, where, "mean_s", "expected a number when count is not 0");
    rc = get_seconds(c, v, where, "median_s", &med);
    if (rc == 0)
        rc = get_seconds(c, v, where, "p90_s", &p90);
    s->median_s = med;
    s->p90_s = p90;
    return rc;
}

static int get_stage(const struct ctx *c, const json_t *v, size_t i, struct res_stage *st,
                     char **name)
{
    char where[48];
    snprintf(where, sizeof where, "stages[%zu]", i);
    if (!json_is_object(v))
        return bad(c, where, "", "expected an object");
    json_t *n = need(c, v, where, "name");
    if (!n)
        return FB_EINPUT;
    size_t len = json_is_string(n) ? json_string_length(n) : 0;
    if (!json_is_string(n) || len == 0 || len > FUNNEL_MAX_STAGE_NAME ||
        memchr(json_string_value(n), '\0', len))
        return bad(c, where, "name", "expected a stage name of 1 to 64 bytes");
    if (!(*name = strdup(json_string_value(n))))
        return fb_fail(c->err, FB_ENOMEM, "out of memory");
    st->name = *name;
    json_t *tis = need(c, v, where, "time_in_stage"), *t;
    int rc = tis ? 0 : FB_EINPUT;
    if (rc == 0)
        rc = get_count(c, v, where, "reached", &st->reached);
    if (rc == 0)
        rc = get_rate(c, v, where, "conversion_from_previous", &st->conv_prev);
    if (rc == 0)
        rc = get_rate(c, v, where, "conversion_from_start", &st->conv_start);
    if (rc == 0 && !json_is_null(tis)) {
        char sub[64];
        snprintf(sub, sizeof sub, "%s.time_in_stage", where);
        st->has_time_in_stage = 1;
        rc = get_stats(c, tis, sub, &st->time_in_stage);
    }
    if (rc == 0)
        rc = get_count(c, v, where, "open", &st->open);
    if (rc == 0)
        rc = get_count(c, v, where, "lost", &st->lost);
    if (rc == 0)
        rc = get_count(c, v, where, "stale", &st->stale);
    if (rc == 0)
        rc = get_rate(c, v, where, "drop_rate", &st->drop_rate);
    if (rc == 0 && !(t = need(c, v, where, "touches")))
        rc = FB_EINPUT;
    if (rc == 0) {
        char sub[64];
        snprintf(sub, sizeof sub, "%s.touches", where);
        rc = json_is_object(t) ? get_count(c, t, sub, "marketing", &st->touches_marketing)
                               : bad(c, where, "touches", "expected an object");
        if (rc == 0)
            rc = get_count(c, t, sub, "sales", &st->touches_sales);
    }
    return rc;
}

static int get_stages(const struct ctx *c, const json_t *root, struct rpt_doc *doc)
{
    struct res_report *r = &doc->rep;
    json_t *a = need(c, root, "", "stages");
    if (!a)
        return FB_EINPUT;
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    if (n == 0 || n > FUNNEL_MAX_STAGES)
        return bad(c, "", "stages", "expected an array of 1 to 256 stages");
    r->stages = calloc(n, sizeof *r->stages);
    doc->names = calloc(n, sizeof *doc->names);
    if (!r->stages || !doc->names)
        return fb_fail(c->err, FB_ENOMEM, "out of memory");
    r->nstages = n;
    for (size_t i = 0; i < n; i++) {
        int rc = get_stage(c, json_array_get(a, i), i, &r->stages[i], &doc->names[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* quality.stages (funnel-report/2, docs/METRICS.md §4.13): with_event and
 * skipped per stage, which the charts need to draw a stage with no
 * events as such.  A /1 report has no quality block: both stay 0. */
static int get_quality(const struct ctx *c, const json_t *root, struct res_report *r)
{
    json_t *q = json_object_get(root, "quality"), *a;
    if (!q)
        return 0;
    if (!json_is_object(q) || !(a = json_object_get(q, "stages")) || !json_is_array(a) ||
        json_array_size(a) != r->nstages)
        return bad(c, "", "quality", "expected an object whose stages has one entry per stage");
    int rc = 0;
    for (size_t i = 0; i < r->nstages && rc == 0; i++) {
        char where[48];
        json_t *v = json_array_get(a, i);
        snprintf(where, sizeof where, "quality.stages[%zu]", i);
        if (!json_is_object(v))
            return bad(c, where, "", "expected an object");
        rc = get_count(c, v, where, "with_event", &r->stages[i].with_event);
        if (rc == 0)
            rc = get_count(c, v, where, "skipped", &r->stages[i].skipped);
        if (rc == 0)
            rc = get_count(c, v, where, "events", &r->stages[i].events);
    }
    return rc;
}

static int get_unmapped(const struct ctx *c, const json_t *root, struct res_report *r)
{
    json_t *a = need(c, root, "", "unmapped_stages");
    if (!a)
        return FB_EINPUT;
    if (!json_is_array(a))
        return bad(c, "", "unmapped_stages", "expected an array");
    size_t n = json_array_size(a);
    if (n && !(r->unmapped = calloc(n, sizeof *r->unmapped)))
        return fb_fail(c->err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char where[48];
        json_t *u = json_array_get(a, i), *name;
        snprintf(where, sizeof where, "unmapped_stages[%zu]", i);
        if (!json_is_object(u))
            return bad(c, where, "", "expected an object");
        if (!(name = need(c, u, where, "name")))
            return FB_EINPUT;
        if (!json_is_string(name))
            return bad(c, where, "name", "expected a string");
        struct res_unmapped *m = &r->unmapped[i];
        m->len = json_string_length(name);
        if (!(m->name = malloc(m->len + 1)))
            return fb_fail(c->err, FB_ENOMEM, "out of memory");
        memcpy(m->name, json_string_value(name), m->len + 1);
        r->nunmapped = i + 1;
        int rc = get_count(c, u, where, "events", &m->events);
        if (rc)
            return rc;
    }
    return 0;
}

static int get_as_of(const struct ctx *c, const json_t *root, struct res_report *r)
{
    json_t *v = need(c, root, "", "as_of");
    if (!v)
        return FB_EINPUT;
    if (json_is_null(v))
        return 0;
    if (!json_is_string(v) ||
        ftime_parse(json_string_value(v), json_string_length(v), &r->as_of) != NULL)
        return bad(c, "", "as_of", "expected null or a time YYYY-MM-DDTHH:MM:SSZ");
    r->has_as_of = 1;
    return 0;
}

/* A stage named by key (null: -1); optional keys (of /2 only) may be
 * missing, and are then -1 too. */
static int get_stage_ref(const struct ctx *c, const json_t *root, const char *key, int optional,
                         const struct res_report *r, int *out)
{
    json_t *v = optional ? json_object_get(root, key) : need(c, root, "", key);
    *out = -1;
    if (!v)
        return optional ? 0 : FB_EINPUT;
    if (json_is_null(v))
        return 0;
    for (size_t i = 0; json_is_string(v) && i < r->nstages; i++)
        if (strcmp(r->stages[i].name, json_string_value(v)) == 0) {
            *out = (int)i;
            return 0;
        }
    return bad(c, "", key, "expected null or the name of a stage");
}

static int get_drop_out_point(const struct ctx *c, const json_t *root, struct res_report *r)
{
    int rc = get_stage_ref(c, root, "drop_out_point", 0, r, &r->drop_out_point);
    if (rc == 0)   /* /2: marked on the funnel and drop-out charts */
        rc = get_stage_ref(c, root, "steepest_drop", 1, r, &r->steepest_drop);
    return rc;
}

static int get_top(const struct ctx *c, const json_t *root, struct rpt_doc *doc)
{
    struct res_report *r = &doc->rep;
    json_t *schema = json_object_get(root, "schema"), *ev, *oc, *ttw;
    /* The keys read here are those of /1, which /2 keeps. */
    if (!json_is_string(schema) || (strcmp(json_string_value(schema), RPT_SCHEMA) != 0 &&
                                    strcmp(json_string_value(schema), RPT_SCHEMA_V1) != 0))
        return bad(c, "", "schema", "expected \"" RPT_SCHEMA "\" or \"" RPT_SCHEMA_V1 "\"");
    int rc = get_as_of(c, root, r);
    if (rc == 0)
        rc = get_seconds(c, root, "", "stale_after_s", &r->stale_after_s);
    if (rc == 0 && !(ev = need(c, root, "", "events")))
        rc = FB_EINPUT;
    if (rc == 0 && !json_is_object(ev))
        rc = bad(c, "", "events", "expected an object");
    if (rc == 0)
        rc = get_count(c, ev, "events", "read", &r->ev_read);
    if (rc == 0)
        rc = get_count(c, ev, "events", "used", &r->ev_used);
    if (rc == 0)
        rc = get_count(c, ev, "events", "after_as_of", &r->ev_after_as_of);
    if (rc == 0)
        rc = get_count(c, ev, "events", "unmapped", &r->ev_unmapped);
    if (rc == 0)
        rc = get_count(c, root, "", "entities", &r->entities);
    if (rc == 0 && !(oc = need(c, root, "", "outcomes")))
        rc = FB_EINPUT;
    if (rc == 0 && !json_is_object(oc))
        rc = bad(c, "", "outcomes", "expected an object");
    if (rc == 0)
        rc = get_count(c, oc, "outcomes", "won", &r->won);
    if (rc == 0)
        rc = get_count(c, oc, "outcomes", "lost", &r->lost);
    if (rc == 0)
        rc = get_count(c, oc, "outcomes", "stale", &r->stale);
    if (rc == 0)
        rc = get_count(c, oc, "outcomes", "open", &r->open);
    if (rc == 0)
        rc = get_rate(c, root, "", "win_rate", &r->win_rate);
    if (rc == 0 && !(ttw = need(c, root, "", "time_to_win")))
        rc = FB_EINPUT;
    if (rc == 0)
        rc = get_stats(c, ttw, "time_to_win", &r->time_to_win);
    if (rc == 0)
        rc = get_stages(c, root, doc);
    if (rc == 0)
        rc = get_drop_out_point(c, root, r);
    if (rc == 0)
        rc = get_quality(c, root, r);
    if (rc == 0)
        rc = get_unmapped(c, root, r);
    if (rc == 0)
        rc = rpt_json_read_deals(root, c->path, r, c->err);
    if (rc == 0)
        rc = rpt_json_read_groups(root, c->path, r, c->err);
    return rc;
}

/* jansson's column is that of the token's end, 0 before any character; clamp
 * to 1 so the message always reads FILE:LINE:COL. */
static json_t *load(const struct ctx *c, struct fb_error *err)
{
    int is_stdin = strcmp(c->path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : c->path;
    FILE *f = is_stdin ? stdin : fopen(c->path, "r");
    struct stat st;
    json_error_t je;
    json_t *root = NULL;
    if (!f) {
        fb_fail_at(err, FB_EINPUT, name, 0, 0, "%s", strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fb_fail_at(err, FB_EINPUT, name, 0, 0, "%s", strerror(EISDIR));
    } else {
        errno = 0;
        root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
        if (!root && ferror(f))
            fb_fail_at(err, FB_EINPUT, name, 0, 0, "read error: %s", strerror(errno ? errno : EIO));
        else if (!root)
            fb_fail_at(err, FB_EINPUT, name, je.line > 0 ? je.line : 1,
                       je.column > 0 ? je.column : 1, "%s", je.text);
        else if (!json_is_object(root)) {
            fb_fail_at(err, FB_EINPUT, name, 0, 0, "expected a JSON object (a %s report)", RPT_SCHEMA);
            json_decref(root);
            root = NULL;
        }
    }
    if (!is_stdin)
        fclose(f);
    return root;
}

int rpt_json_read(const char *path, struct rpt_doc *doc, struct fb_error *err)
{
    struct ctx c = {strcmp(path, "-") == 0 ? "<stdin>" : path, err};
    struct ctx lc = {path, err};
    memset(doc, 0, sizeof *doc);
    doc->rep.drop_out_point = -1;
    doc->rep.steepest_drop = -1;
    json_t *root = load(&lc, err);
    if (!root)
        return err->code ? err->code : FB_EINPUT;
    int rc = get_top(&c, root, doc);
    json_decref(root);
    if (rc)
        rpt_doc_free(doc);
    return rc;
}

void rpt_doc_free(struct rpt_doc *doc)
{
    for (size_t i = 0; doc->names && i < doc->rep.nstages; i++)
        free(doc->names[i]);
    free(doc->names);
    res_report_free(&doc->rep);
    doc->names = NULL;
}
