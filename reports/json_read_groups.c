/* json_read_groups.c - trend, breakdowns and cohorts of a report back into
 * struct res_report; see json_read_groups.h.  Period labels are not taken
 * from the file: they are recomputed from each period's start (so only
 * ISO labels reach a chart), and a label that disagrees is an error. */
#include "json_read_groups.h"

#include <stdlib.h>
#include <string.h>

#include "ftime.h"
#include "groups.h"
#include "json_read_path.h"
#include "period.h"

static int timestamp(const struct json_rd *c, const json_t *obj, const char *key, int64_t *out,
                     const char *where)
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);
    if (!s || ftime_parse(s, strlen(s), out) != NULL)
        return json_rd_bad(c, v ? "expected a UTC timestamp" : "missing", "%s.%s", where, key);
    return 0;
}

static int unit_of(const struct json_rd *c, const json_t *obj, const char *key, enum period_unit *u,
                   const char *where)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s || period_parse(s, u) != 0)
        return json_rd_bad(c, "expected a period unit", "%s.%s", where, key);
    return 0;
}

/* The period of start must be labelled as the file says. */
static int check_label(const struct json_rd *c, const json_t *obj, const char *key, enum period_unit u,
                       int64_t start, char label[PERIOD_LABEL_MAX], const char *where)
{
    int64_t idx = period_index(u, start);
    const char *s = json_string_value(json_object_get(obj, key));
    period_label(u, idx, label);
    if (period_start(u, idx) != start)
        return json_rd_bad(c, "not the start of a period", "%s.start", where);
    if (!s || strcmp(s, label) != 0)
        return json_rd_bad(c, "expected the label of its start", "%s.%s", where, key);
    return 0;
}

static int get_trend(const struct json_rd *c, const json_t *t, struct res_report *r)
{
    enum period_unit u;
    json_t *periods = json_object_get(t, "periods");
    size_t ns = r->nstages, n = json_array_size(periods);
    if (!json_is_object(t))
        return json_rd_bad(c, "expected an object", "trend");
    if (unit_of(c, t, "unit", &u, "trend"))
        return FB_EINPUT;
    if (!json_is_array(periods))
        return json_rd_bad(c, "expected an array", "trend.periods");
    r->trend_unit = period_name(u);
    if (n == 0)
        return 0;
    r->trend = calloc(n, sizeof *r->trend);
    r->span_counts = calloc(n * (ns + 3), sizeof *r->span_counts);
    if (!r->trend || !r->span_counts)
        return fb_fail(c->err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char where[64];
        const json_t *p = json_array_get(periods, i), *es = json_object_get(p, "entered_stage");
        struct res_span *sp = &r->trend[i];
        uint64_t *cnt = r->span_counts + i * (ns + 3);
        snprintf(where, sizeof where, "trend.periods[%zu]", i);
        if (!json_is_object(p))
            return json_rd_bad(c, "expected an object", "%s", where);
        if (timestamp(c, p, "start", &sp->start, where) ||
            check_label(c, p, "period", u, sp->start, sp->label, where))
            return FB_EINPUT;
        sp->end = period_start(u, period_index(u, sp->start) + 1);
        if (i && sp->start != r->trend[i - 1].end)
            return json_rd_bad(c, "expected the period after the previous one", "%s.start", where);
        if (!json_is_array(es) || json_array_size(es) != ns)
            return json_rd_bad(c, "expected one count per stage", "%s.entered_stage", where);
        for (size_t s = 0; s < ns; s++) {
            json_t *v = json_array_get(es, s);
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                return json_rd_bad(c, "expected a non-negative integer", "%s.entered_stage[%zu]", where, s);
            cnt[s] = (uint64_t)json_integer_value(v);
        }
        if (json_rd_count(c, p, "entered", &cnt[0], where) || json_rd_count(c, p, "won", &cnt[ns], where) ||
            json_rd_count(c, p, "lost", &cnt[ns + 1], where) || json_rd_count(c, p, "went_stale", &cnt[ns + 2], where))
            return FB_EINPUT;
        sp->c = cnt;
        r->ntrend = i + 1;
    }
    return 0;
}

/* One group: name (string or null), entities, outcomes; cohorts also
 * start and complete (u: the cohort unit, or -1 for a breakdown). */
static int get_group(const struct json_rd *c, const json_t *v, int u, struct res_group *g,
                     const char *where)
{
    const json_t *name = json_object_get(v, "name"), *oc = json_object_get(v, "outcomes");
    if (!json_is_object(v))
        return json_rd_bad(c, "expected an object", "%s", where);
    if (json_is_string(name)) {
        g->len = json_string_length(name);
        if (!(g->name = malloc(g->len + 1)))
            return fb_fail(c->err, FB_ENOMEM, "out of memory");
        memcpy(g->name, json_string_value(name), g->len + 1);
    } else if (!json_is_null(name) || u >= 0) {
        return json_rd_bad(c, u >= 0 ? "expected a period label" : "expected a string or null", "%s.name", where);
    }
    if (u >= 0) {
        char label[PERIOD_LABEL_MAX];
        json_t *cp = json_object_get(v, "complete");
        if (timestamp(c, v, "start", &g->start, where) ||
            check_label(c, v, "name", (enum period_unit)u, g->start, label, where))
            return FB_EINPUT;
        if (!json_is_boolean(cp))
            return json_rd_bad(c, "expected true or false", "%s.complete", where);
        g->complete = json_is_true(cp);
    }
    if (json_rd_count(c, v, "entities", &g->r.entities, where))
        return FB_EINPUT;
    char w[200];
    snprintf(w, sizeof w, "%s.outcomes", where);
    if (!json_is_object(oc))
        return json_rd_bad(c, "expected an object", "%s", w);
    if (json_rd_count(c, oc, "won", &g->r.won, w) || json_rd_count(c, oc, "lost", &g->r.lost, w) ||
        json_rd_count(c, oc, "stale", &g->r.stale, w) || json_rd_count(c, oc, "open", &g->r.open, w))
        return FB_EINPUT;
    return 0;
}

static int get_dim(const struct json_rd *c, const json_t *groups, int u, struct res_dim *d,
                   const char *where)
{
    size_t n = json_array_size(groups);
    if (!json_is_array(groups))
        return json_rd_bad(c, "expected an array", "%s.groups", where);
    if (n && !(d->g = calloc(n, sizeof *d->g)))
        return fb_fail(c->err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char w[160];
        snprintf(w, sizeof w, "%s.groups[%zu]", where, i);
        d->n = i + 1;
        if (get_group(c, json_array_get(groups, i), u, &d->g[i], w))
            return c->err->code;
    }
    return 0;
}

static int get_groups(const struct json_rd *c, const json_t *by, const json_t *co, struct res_report *r)
{
    size_t nby = json_array_size(by);
    enum period_unit u = PERIOD_DAY;
    if (by && (!json_is_array(by) || nby > 8))
        return json_rd_bad(c, "expected an array of at most 8 breakdowns", "breakdowns");
    if (co && (!json_is_object(co) || unit_of(c, co, "period", &u, "cohorts")))
        return json_is_object(co) ? FB_EINPUT : json_rd_bad(c, "expected an object", "cohorts");
    struct res_groups *g = calloc(1, sizeof *g);
    if (!g || !(g->dim = calloc(nby + 1, sizeof *g->dim))) {
        free(g);
        return fb_fail(c->err, FB_ENOMEM, "out of memory");
    }
    r->groups = g;
    g->cohort = co ? 1 + (int)u : 0;
    for (size_t k = 0; k < nby; k++) {
        char w[48];
        const json_t *b = json_array_get(by, k), *name = json_object_get(b, "name");
        snprintf(w, sizeof w, "breakdowns[%zu]", k);
        g->nby = k + 1;
        if (!json_is_object(b))
            return json_rd_bad(c, "expected an object", "%s", w);
        if (!json_is_string(name))
            return json_rd_bad(c, "expected a string", "%s.name", w);
        if (!(g->dim[k].name = strdup(json_string_value(name))))
            return fb_fail(c->err, FB_ENOMEM, "out of memory");
        if (get_dim(c, json_object_get(b, "groups"), -1, &g->dim[k], w))
            return c->err->code;
    }
    if (co && get_dim(c, json_object_get(co, "groups"), (int)u, &g->dim[nby], "cohorts"))
        return c->err->code;
    return 0;
}

int rpt_json_read_groups(const json_t *root, const char *path, struct res_report *r,
                         struct fb_error *err)
{
    struct json_rd c = {path, err};
    const json_t *t = json_object_get(root, "trend"), *by = json_object_get(root, "breakdowns"),
                 *co = json_object_get(root, "cohorts");
    int rc = t ? get_trend(&c, t, r) : 0;
    if (rc == 0 && (by || co))
        rc = get_groups(&c, by, co, r);
    return rc;
}
