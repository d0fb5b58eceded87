/* json_report.c - res_report to funnel-report/2 (docs/METRICS.md §4.10)
 * with jansson.  Values are
 * built with the _new setters, which steal the reference, so only the root
 * is ever released. */
#include "json_report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ftime.h"
#include "json_touches.h"
#include "period.h"

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

/* An exact money sum (docs/METRICS.md §4.19) is a JSON number with exactly
 * k fraction digits, which jansson cannot write (its reals are doubles):
 * it goes in as a string marked by a control byte no report string holds
 * unescaped, and write_root puts the bare number in its place.  *nm counts
 * them, so that a collision is noticed instead of written. */
#define MONEY_MARK "\001M"
#define MONEY_MARK_OUT "\"\\u0001M"

static json_t *money_json(const struct money_sum *m, size_t *nm)
{
    char text[MONEY_TEXT_MAX + 2] = MONEY_MARK;
    if (money_format(m, text + 2) == 0)
        return json_null();
    ++*nm;
    return json_string(text);
}

static json_t *days_or_null(int has, int64_t s) { return has ? json_real((double)s / 86400.0) : json_null(); }

static json_t *stats_json(const struct res_stats *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)s->count));
    json_object_set_new(o, "mean_s", s->count ? json_real(s->mean_s) : json_null());
    json_object_set_new(o, "median_s", s->count ? json_integer(s->median_s) : json_null());
    json_object_set_new(o, "p90_s", s->count ? json_integer(s->p90_s) : json_null());
    return o;
}

/* The deal keys of a stage (docs/METRICS.md §4.19-§4.20), after touches;
 * the longest ages beyond p90 in the whole report only (whole), not in
 * each group, where they would add 20 lines a stage and group. */
static void stage_deals_json(json_t *o, const struct res_stage *st, int whole, size_t *nm)
{
    json_object_set_new(o, "open_value", money_json(&st->open_value, nm));
    json_object_set_new(o, "p_win", num_or_null(st->p_win));
    json_object_set_new(o, "p_win_ci", ci_json(&st->p_win_ci));
    if (st->has_aging) {
        json_t *a = json_object();
        json_object_set_new(a, "count", json_integer((json_int_t)st->aging_count));
        json_object_set_new(a, "median_days", num_or_null(st->aging_median_days));
        json_object_set_new(a, "p90_days", num_or_null(st->aging_p90_days));
        json_object_set_new(a, "over_median", st->has_over_median ? json_integer((json_int_t)st->aging_over_median)
                                                                  : json_null());
        json_object_set_new(a, "beyond_p90", json_integer((json_int_t)st->aging_beyond));
        if (whole) {
            json_t *longest = json_array();
            for (size_t k = 0; k < st->naging_longest; k++)
                json_array_append_new(longest, json_real((double)st->aging_longest_s[k] / 86400.0));
            json_object_set_new(a, "beyond_p90_days", longest);
        }
        json_object_set_new(o, "aging", a);
    } else {
        json_object_set_new(o, "aging", json_null());
    }
    json_object_set_new(o, "km_median_days", days_or_null(st->has_km_median, st->km_median_s));
    json_object_set_new(o, "km_p90_days", days_or_null(st->has_km_p90, st->km_p90_s));
}

/* The value block (§4.19). */
static json_t *value_json(const struct res_report *r, size_t *nm)
{
    json_t *v = json_object(), *u = json_object();
    json_object_set_new(v, "won", money_json(&r->value_won, nm));
    json_object_set_new(v, "lost", money_json(&r->value_lost, nm));
    json_object_set_new(v, "stale", money_json(&r->value_stale, nm));
    json_object_set_new(v, "open", money_json(&r->value_open, nm));
    json_object_set_new(v, "with_value", json_integer((json_int_t)r->with_value));
    json_object_set_new(v, "without_value", json_integer((json_int_t)r->without_value));
    json_object_set_new(v, "avg_won", num_or_null(r->avg_won));
    json_object_set_new(v, "weighted_open", num_or_null(r->weighted_open));
    json_object_set_new(u, "entities", json_integer((json_int_t)r->unweighted_open));
    json_object_set_new(u, "value", money_json(&r->unweighted_value, nm));
    json_object_set_new(v, "unweighted_open", u);
    json_object_set_new(v, "velocity_per_day", num_or_null(r->velocity_per_day));
    return v;
}

/* One stage; whole: of the whole report, which has the log's touches and
 * the longest ages (a group's block has neither). */
static json_t *stage_json(const struct res_stage *st, int whole, size_t *nm)
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
    if (whole)
        json_object_set_new(o, "touches", t);
    else
        json_decref(t);
    stage_deals_json(o, st, whole, nm);
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

/* The block of the whole report that every group and cohort carries too
 * (docs/METRICS.md §4.17): entities, outcomes, rates, time to win, stages.
 * Touches are counted per event, not per entity, so only the whole report
 * has them. */
static void block_json(json_t *o, const struct res_report *r, int touches, size_t *nm)
{
    json_t *oc = json_object(), *stages = json_array();
    json_object_set_new(o, "entities", json_integer((json_int_t)r->entities));
    json_object_set_new(oc, "won", json_integer((json_int_t)r->won));
    json_object_set_new(oc, "lost", json_integer((json_int_t)r->lost));
    json_object_set_new(oc, "stale", json_integer((json_int_t)r->stale));
    json_object_set_new(oc, "open", json_integer((json_int_t)r->open));
    json_object_set_new(o, "outcomes", oc);
    json_object_set_new(o, "win_rate", num_or_null(r->win_rate));
    json_object_set_new(o, "win_rate_ci", ci_json(&r->win_rate_ci));
    json_object_set_new(o, "win_rate_closed", num_or_null(r->win_rate_closed));
    json_object_set_new(o, "win_rate_closed_ci", ci_json(&r->win_rate_closed_ci));
    json_object_set_new(o, "drop_out_point", stage_name_or_null(r, r->drop_out_point));
    json_object_set_new(o, "steepest_drop", stage_name_or_null(r, r->steepest_drop));
    json_object_set_new(o, "time_to_win", stats_json(&r->time_to_win));
    json_object_set_new(o, "time_to_loss", stats_json(&r->time_to_loss));
    json_object_set_new(o, "value", value_json(r, nm));
    for (size_t s = 0; s < r->nstages; s++) {
        json_t *so = stage_json(&r->stages[s], touches, nm);
        if (touches && r->touches)   /* --touches, whole report only (§4.22) */
            json_object_set_new(so, "touch_types", rpt_touch_types_json(r, s));
        json_array_append_new(stages, so);
    }
    json_object_set_new(o, "stages", stages);
    if (touches && r->touches)
        json_object_set_new(o, "touch_lift", rpt_touch_lift_json(r));
}

/* docs/METRICS.md §4.17-§4.18: "breakdowns" (--by) and "cohorts" (--cohort),
 * present only when asked for.  A group's value is kept as its exact
 * bytes; one that is not UTF-8 cannot be a JSON string and fails the
 * report, as a stage name does. */
static void groups_json(json_t *root, const struct res_groups *g, size_t *nm)
{
    char when[32];
    if (!g)
        return;
    json_t *bd = json_array();
    int ok = 1;
    for (size_t d = 0; d <= g->nby; d++) {
        const struct res_dim *dim = &g->dim[d];
        if (d == g->nby && !g->cohort)
            break;
        json_t *o = json_object(), *arr = json_array();
        for (size_t i = 0; i < dim->n; i++) {
            const struct res_group *x = &dim->g[i];
            json_t *go = json_object();
            json_t *name = x->name ? json_stringn(x->name, x->len) : json_null();
            ok &= name != NULL;
            json_object_set_new(go, "name", name);
            if (d == g->nby) {
                ftime_format(x->start, when);
                json_object_set_new(go, "start", json_string(when));
                json_object_set_new(go, "complete", json_boolean(x->complete));
            }
            block_json(go, &x->r, 0, nm);
            json_array_append_new(arr, go);
        }
        if (d < g->nby) {
            json_object_set_new(o, "name", json_string(dim->name));
            json_object_set_new(o, "attribution", json_string(g->attribution_last ? "last" : "first"));
            json_object_set_new(o, "groups", arr);
            json_array_append_new(bd, o);
        } else {
            json_object_set_new(o, "period", json_string(period_name((enum period_unit)(g->cohort - 1))));
            json_object_set_new(o, "window_s", json_integer(g->window_s));
            json_object_set_new(o, "groups", arr);
            if (ok)
                json_object_set_new(root, "cohorts", o);
            else
                json_decref(o);
        }
    }
    if (g->nby && ok)   /* else the count of keys tells rpt_json_write */
        json_object_set_new(root, "breakdowns", bd);
    else
        json_decref(bd);
}

/* Keys report_json sets: RPT_KEYS, trend when asked, one per section of
 * groups_json, and touch_lift with --touches. */
static size_t keys_expected(const struct res_report *r)
{
    return RPT_KEYS + (r->trend_unit != NULL) + (r->groups && r->groups->nby) +
           (r->groups && r->groups->cohort) + (r->touches != NULL);
}

static json_t *report_json(const struct res_report *r, size_t *nm)
{
    json_t *root = json_object(), *ev = json_object();
    json_t *unm = json_array();
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
    block_json(root, r, 1, nm);
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
    groups_json(root, r->groups, nm);
    return root;
}

/* The dump of root with every marked money string replaced by its bare
 * number (see money_json); NULL when out of memory or when the marks
 * found are not the nm made. */
static char *dump_root(json_t *root, size_t nm)
{
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (!text)
        return NULL;
    /* memmem, not a compare at every byte: a breakdown's report is
     * megabytes of text with few marks. */
    const size_t mark = strlen(MONEY_MARK_OUT), len = strlen(text);
    const char *r = text, *const end = text + len;
    size_t w = 0, found = 0;
    for (;;) {
        const char *m = memmem(r, (size_t)(end - r), MONEY_MARK_OUT, mark);
        const size_t n = (size_t)((m ? m : end) - r);
        memmove(text + w, r, n);
        w += n;
        if (!m)
            break;
        for (r = m + mark; r < end && *r != '"';)
            text[w++] = *r++;
        r += r < end;
        found++;
    }
    text[w] = '\0';
    if (found != nm) {
        free(text);
        return NULL;
    }
    return text;
}

int rpt_json_write(const struct res_report *r, FILE *out, struct fb_error *err)
{
    size_t nm = 0;
    if (!rpt_touches_names_ok(r))
        return fb_fail(err, FB_EINPUT, "cannot write the report: a touch type is not UTF-8, so it cannot "
                       "be a JSON string (docs/METRICS.md §4.22)");
    json_t *root = report_json(r, &nm);
    /* A value jansson refused (out of memory, or a stage name that is not
     * UTF-8 in a log from another writer) would silently drop its key. */
    if (root && json_object_size(root) != keys_expected(r)) {
        json_decref(root);
        return fb_fail(err, FB_ENOMEM, "cannot build the report (out of memory or a name that is not UTF-8)");
    }
    if (!root)
        return fb_fail(err, FB_ENOMEM, "out of memory building the report");
    /* Shortest text that reads back as the same double is not offered by
     * jansson; 17 significant digits always round-trip exactly. */
    char *text = dump_root(root, nm);
    json_decref(root);
    if (!text)
        return fb_fail(err, FB_ENOMEM, "cannot build the report (out of memory, or a name holding the bytes "
                       "that mark an amount)");
    size_t len = strlen(text);
    int rc = fwrite(text, 1, len, out) == len ? 0 : -1;
    free(text);
    if (rc != 0 || fputc('\n', out) == EOF)
        return fb_fail(err, FB_EIO, "cannot write the report: %s", strerror(errno));
    return 0;
}
