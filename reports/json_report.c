/* json_report.c - res_report to funnel-report/2 (docs/METRICS.md §4.10)
 * with jansson.  Values are
 * built with the _new setters, which steal the reference, so only the root
 * is ever released. */
#include "json_report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "ftime.h"

static json_t *num_or_null(double v) { return isnan(v) ? json_null() : json_real(v); }

/* [lo, hi], or null with the rate (docs/METRICS.md §4.12). */
static json_t *ci_json(const struct res_ci *c)
{
    if (isnan(c->lo) || isnan(c->hi))
        return json_null();
    json_t *a = json_array();
    json_array_append_new(a, json_real(c->lo));
    json_array_append_new(a, json_real(c->hi));
    return a;
}

static json_t *stage_name_or_null(const struct res_report *r, int s)
{
    return s >= 0 ? json_string(r->stages[s].name) : json_null();
}

/* docs/METRICS.md §4.13: per stage events, with_event, skipped; the
 * stages without events by name; backwards; won_then_lost. */
static json_t *quality_json(const struct res_report *r)
{
    json_t *q = json_object(), *stages = json_array(), *none = json_array();
    for (size_t s = 0; s < r->nstages; s++) {
        const struct res_stage *st = &r->stages[s];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(st->name));
        json_object_set_new(o, "events", json_integer((json_int_t)st->events));
        json_object_set_new(o, "with_event", json_integer((json_int_t)st->with_event));
        json_object_set_new(o, "skipped", json_integer((json_int_t)st->skipped));
        json_array_append_new(stages, o);
        if (st->events == 0)
            json_array_append_new(none, json_string(st->name));
    }
    json_object_set_new(q, "stages", stages);
    json_object_set_new(q, "stages_without_events", none);
    json_object_set_new(q, "backwards", json_integer((json_int_t)r->backwards));
    json_object_set_new(q, "won_then_lost", json_integer((json_int_t)r->won_then_lost));
    return q;
}

static json_t *stats_json(const struct res_stats *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)s->count));
    json_object_set_new(o, "mean_s", s->count ? json_real(s->mean_s) : json_null());
    json_object_set_new(o, "median_s", s->count ? json_integer(s->median_s) : json_null());
    json_object_set_new(o, "p90_s", s->count ? json_integer(s->p90_s) : json_null());
    return o;
}

static json_t *stage_json(const struct res_stage *st)
{
    json_t *o = json_object(), *t = json_object();
    json_object_set_new(o, "name", json_string(st->name));
    json_object_set_new(o, "reached", json_integer((json_int_t)st->reached));
    json_object_set_new(o, "conversion_from_previous", num_or_null(st->conv_prev));
    json_object_set_new(o, "conversion_from_previous_ci", ci_json(&st->conv_prev_ci));
    json_object_set_new(o, "conversion_from_start", num_or_null(st->conv_start));
    json_object_set_new(o, "conversion_from_start_ci", ci_json(&st->conv_start_ci));
    json_object_set_new(o, "time_in_stage", st->has_time_in_stage ? stats_json(&st->time_in_stage) : json_null());
    json_object_set_new(o, "stale_after_s", json_integer(st->stale_after_s));
    json_object_set_new(o, "open", json_integer((json_int_t)st->open));
    json_object_set_new(o, "lost", json_integer((json_int_t)st->lost));
    json_object_set_new(o, "stale", json_integer((json_int_t)st->stale));
    json_object_set_new(o, "drop_rate", num_or_null(st->drop_rate));
    json_object_set_new(t, "marketing", json_integer((json_int_t)st->touches_marketing));
    json_object_set_new(t, "sales", json_integer((json_int_t)st->touches_sales));
    json_object_set_new(o, "touches", t);
    return o;
}

/* The counts of a span (docs/METRICS.md §4.15): entered, entered_stage in
 * stage order (as `stages`: an array, so no stage name becomes a key), won,
 * lost, went_stale. */
static void span_counts(json_t *o, const struct res_report *r, const struct res_span *sp)
{
    const size_t ns = r->nstages;
    json_t *es = json_array();
    json_object_set_new(o, "entered", json_integer((json_int_t)sp->c[0]));
    for (size_t s = 0; s < ns; s++)
        json_array_append_new(es, json_integer((json_int_t)sp->c[s]));
    json_object_set_new(o, "entered_stage", es);
    json_object_set_new(o, "won", json_integer((json_int_t)sp->c[ns]));
    json_object_set_new(o, "lost", json_integer((json_int_t)sp->c[ns + 1]));
    json_object_set_new(o, "went_stale", json_integer((json_int_t)sp->c[ns + 2]));
}

static json_t *time_or_null(int has, int64_t t)
{
    char when[32];
    if (!has)
        return json_null();
    ftime_format(t, when);
    return json_string(when);
}

/* activity: this period (as_of - P, as_of] and the one before (§4.16). */
static json_t *activity_json(const struct res_report *r)
{
    json_t *a = json_object();
    static const char *const names[2] = {"current", "previous"};
    json_object_set_new(a, "period_s", json_integer(r->period_s));
    for (int w = 0; w < 2; w++) {
        json_t *o = json_object();
        json_object_set_new(o, "from", time_or_null(r->has_as_of, r->activity[w].start));
        json_object_set_new(o, "to", time_or_null(r->has_as_of, r->activity[w].end));
        span_counts(o, r, &r->activity[w]);
        json_object_set_new(a, names[w], o);
    }
    return a;
}

/* trend: one row a calendar period, oldest first (§4.15). */
static json_t *trend_json(const struct res_report *r)
{
    json_t *t = json_object(), *rows = json_array();
    json_object_set_new(t, "unit", json_string(r->trend_unit));
    for (size_t i = 0; i < r->ntrend; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "period", json_string(r->trend[i].label));
        json_object_set_new(o, "start", time_or_null(1, r->trend[i].start));
        span_counts(o, r, &r->trend[i]);
        json_array_append_new(rows, o);
    }
    json_object_set_new(t, "periods", rows);
    return t;
}

static json_t *report_json(const struct res_report *r)
{
    json_t *root = json_object(), *ev = json_object(), *oc = json_object();
    json_t *stages = json_array(), *unm = json_array();
    char when[32];
    json_object_set_new(root, "schema", json_string(RPT_SCHEMA));
    if (r->has_as_of)
        ftime_format(r->as_of, when);
    json_object_set_new(root, "as_of", r->has_as_of ? json_string(when) : json_null());
    json_object_set_new(root, "stale_after_s", json_integer(r->stale_after_s));
    json_object_set_new(root, "window_s", r->window_s > 0 ? json_integer(r->window_s) : json_null());
    json_object_set_new(root, "skipped", json_string(r->skip_ignore ? "ignore" : "count"));
    json_object_set_new(ev, "read", json_integer((json_int_t)r->ev_read));
    json_object_set_new(ev, "used", json_integer((json_int_t)r->ev_used));
    json_object_set_new(ev, "after_as_of", json_integer((json_int_t)r->ev_after_as_of));
    json_object_set_new(ev, "unmapped", json_integer((json_int_t)r->ev_unmapped));
    json_object_set_new(root, "events", ev);
    json_object_set_new(root, "entities", json_integer((json_int_t)r->entities));
    json_object_set_new(oc, "won", json_integer((json_int_t)r->won));
    json_object_set_new(oc, "lost", json_integer((json_int_t)r->lost));
    json_object_set_new(oc, "stale", json_integer((json_int_t)r->stale));
    json_object_set_new(oc, "open", json_integer((json_int_t)r->open));
    json_object_set_new(root, "outcomes", oc);
    json_object_set_new(root, "win_rate", num_or_null(r->win_rate));
    json_object_set_new(root, "win_rate_ci", ci_json(&r->win_rate_ci));
    json_object_set_new(root, "win_rate_closed", num_or_null(r->win_rate_closed));
    json_object_set_new(root, "win_rate_closed_ci", ci_json(&r->win_rate_closed_ci));
    json_object_set_new(root, "drop_out_point", stage_name_or_null(r, r->drop_out_point));
    json_object_set_new(root, "steepest_drop", stage_name_or_null(r, r->steepest_drop));
    json_object_set_new(root, "time_to_win", stats_json(&r->time_to_win));
    for (size_t s = 0; s < r->nstages; s++)
        json_array_append_new(stages, stage_json(&r->stages[s]));
    json_object_set_new(root, "stages", stages);
    for (size_t i = 0; i < r->nunmapped; i++) {
        json_t *u = json_object();
        json_object_set_new(u, "name", json_stringn(r->unmapped[i].name, r->unmapped[i].len));
        json_object_set_new(u, "events", json_integer((json_int_t)r->unmapped[i].events));
        json_array_append_new(unm, u);
    }
    json_object_set_new(root, "unmapped_stages", unm);
    json_object_set_new(root, "quality", quality_json(r));
    json_object_set_new(root, "activity", activity_json(r));
    if (r->trend_unit)
        json_object_set_new(root, "trend", trend_json(r));
    return root;
}

int rpt_json_write(const struct res_report *r, FILE *out, struct fb_error *err)
{
    json_t *root = report_json(r);
    /* A value jansson refused (out of memory, or a stage name that is not
     * UTF-8 in a log from another writer) would silently drop its key. */
    if (root && json_object_size(root) != RPT_KEYS + (r->trend_unit != NULL)) {
        json_decref(root);
        return fb_fail(err, FB_ENOMEM, "cannot build the report (out of memory or a name that is not UTF-8)");
    }
    if (!root)
        return fb_fail(err, FB_ENOMEM, "out of memory building the report");
    /* Shortest text that reads back as the same double is not offered by
     * jansson; 17 significant digits always round-trip exactly. */
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (rc != 0 || fputc('\n', out) == EOF)
        return fb_fail(err, FB_EIO, "cannot write the report: %s", strerror(errno));
    return 0;
}
