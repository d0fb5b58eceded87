/* json_report.c - res_report to funnel-report/2 (docs/METRICS.md §4.10),
 * streamed by json_write.h: a breakdown's report is megabytes, and a tree
 * of it cost more than computing it.  Every name is checked to be UTF-8
 * before the first byte is written (names_ok), so a report is either
 * whole or refused. */
#include "json_report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "ftime.h"
#include "json_touches.h"
#include "json_write.h"
#include "period.h"

/* [lo, hi], or null with the rate (docs/METRICS.md §4.12). */
static void ci_json(struct jw *w, const char *key, const struct res_ci *c)
{
    if (isnan(c->lo) || isnan(c->hi)) {
        jw_null(w, key);
        return;
    }
    jw_arr(w, key);
    jw_real(w, NULL, c->lo);
    jw_real(w, NULL, c->hi);
    jw_arr_end(w);
}

static void stage_name_or_null(struct jw *w, const char *key, const struct res_report *r, int s)
{
    if (s >= 0)
        jw_str(w, key, r->stages[s].name);
    else
        jw_null(w, key);
}

/* docs/METRICS.md §4.13: per stage events, with_event, skipped; the
 * stages without events by name; backwards; won_then_lost. */
static void quality_json(struct jw *w, const struct res_report *r)
{
    jw_obj(w, "quality");
    jw_arr(w, "stages");
    for (size_t s = 0; s < r->nstages; s++) {
        const struct res_stage *st = &r->stages[s];
        jw_obj(w, NULL);
        jw_str(w, "name", st->name);
        jw_int(w, "events", (long long)st->events);
        jw_int(w, "with_event", (long long)st->with_event);
        jw_int(w, "skipped", (long long)st->skipped);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_arr(w, "stages_without_events");
    for (size_t s = 0; s < r->nstages; s++)
        if (r->stages[s].events == 0)
            jw_str(w, NULL, r->stages[s].name);
    jw_arr_end(w);
    jw_int(w, "backwards", (long long)r->backwards);
    jw_int(w, "won_then_lost", (long long)r->won_then_lost);
    jw_obj_end(w);
}

/* An exact money sum (docs/METRICS.md §4.19) is a JSON number with exactly
 * k fraction digits, written as money_format gives it (not a double). */
static void money_json(struct jw *w, const char *key, const struct money_sum *m)
{
    char text[MONEY_TEXT_MAX];
    if (money_format(m, text) == 0)
        jw_null(w, key);
    else
        jw_num_text(w, key, text);
}

static void days_or_null(struct jw *w, const char *key, int has, int64_t s)
{
    if (has)
        jw_real(w, key, (double)s / 86400.0);
    else
        jw_null(w, key);
}

static void stats_json(struct jw *w, const char *key, const struct res_stats *s)
{
    jw_obj(w, key);
    jw_int(w, "count", (long long)s->count);
    if (s->count) {
        jw_real(w, "mean_s", s->mean_s);
        jw_int(w, "median_s", s->median_s);
        jw_int(w, "p90_s", s->p90_s);
    } else {
        jw_null(w, "mean_s");
        jw_null(w, "median_s");
        jw_null(w, "p90_s");
    }
    jw_obj_end(w);
}

/* The deal keys of a stage (docs/METRICS.md §4.19-§4.20), after touches;
 * the longest ages beyond p90 in the whole report only (whole), not in
 * each group, where they would add 20 lines a stage and group. */
static void stage_deals_json(struct jw *w, const struct res_stage *st, int whole)
{
    money_json(w, "open_value", &st->open_value);
    jw_real(w, "p_win", st->p_win);
    ci_json(w, "p_win_ci", &st->p_win_ci);
    if (st->has_aging) {
        jw_obj(w, "aging");
        jw_int(w, "count", (long long)st->aging_count);
        jw_real(w, "median_days", st->aging_median_days);
        jw_real(w, "p90_days", st->aging_p90_days);
        if (st->has_over_median)
            jw_int(w, "over_median", (long long)st->aging_over_median);
        else
            jw_null(w, "over_median");
        jw_int(w, "beyond_p90", (long long)st->aging_beyond);
        if (whole) {
            jw_arr(w, "beyond_p90_days");
            for (size_t k = 0; k < st->naging_longest; k++)
                jw_real(w, NULL, (double)st->aging_longest_s[k] / 86400.0);
            jw_arr_end(w);
        }
        jw_obj_end(w);
    } else {
        jw_null(w, "aging");
    }
    days_or_null(w, "km_median_days", st->has_km_median, st->km_median_s);
    days_or_null(w, "km_p90_days", st->has_km_p90, st->km_p90_s);
}

/* The value block (§4.19). */
static void value_json(struct jw *w, const struct res_report *r)
{
    jw_obj(w, "value");
    money_json(w, "won", &r->value_won);
    money_json(w, "lost", &r->value_lost);
    money_json(w, "stale", &r->value_stale);
    money_json(w, "open", &r->value_open);
    jw_int(w, "with_value", (long long)r->with_value);
    jw_int(w, "without_value", (long long)r->without_value);
    jw_real(w, "avg_won", r->avg_won);
    jw_real(w, "weighted_open", r->weighted_open);
    jw_obj(w, "unweighted_open");
    jw_int(w, "entities", (long long)r->unweighted_open);
    money_json(w, "value", &r->unweighted_value);
    jw_obj_end(w);
    jw_real(w, "velocity_per_day", r->velocity_per_day);
    jw_obj_end(w);
}

/* One stage; whole: of the whole report, which has the log's touches,
 * the touch types with --touches (§4.22) and the longest ages (a group's
 * block has none of them). */
static void stage_json(struct jw *w, const struct res_report *r, size_t s, int whole,
                       struct rpt_touch_row *rows)
{
    const struct res_stage *st = &r->stages[s];
    jw_obj(w, NULL);
    jw_str(w, "name", st->name);
    jw_int(w, "reached", (long long)st->reached);
    jw_real(w, "conversion_from_previous", st->conv_prev);
    ci_json(w, "conversion_from_previous_ci", &st->conv_prev_ci);
    jw_real(w, "conversion_from_start", st->conv_start);
    ci_json(w, "conversion_from_start_ci", &st->conv_start_ci);
    if (st->has_time_in_stage)
        stats_json(w, "time_in_stage", &st->time_in_stage);
    else
        jw_null(w, "time_in_stage");
    jw_int(w, "stale_after_s", st->stale_after_s);
    jw_int(w, "open", (long long)st->open);
    jw_int(w, "lost", (long long)st->lost);
    jw_int(w, "stale", (long long)st->stale);
    jw_real(w, "drop_rate", st->drop_rate);
    if (whole) {
        jw_obj(w, "touches");
        jw_int(w, "marketing", (long long)st->touches_marketing);
        jw_int(w, "sales", (long long)st->touches_sales);
        jw_obj_end(w);
    }
    stage_deals_json(w, st, whole);
    if (whole && r->touches)
        rpt_touch_types_json(w, r, s, rows);
    jw_obj_end(w);
}

/* The counts of a span (docs/METRICS.md §4.15): entered, entered_stage in
 * stage order (as `stages`: an array, so no stage name becomes a key), won,
 * lost, went_stale. */
static void span_counts(struct jw *w, const struct res_report *r, const struct res_span *sp)
{
    const size_t ns = r->nstages;
    jw_int(w, "entered", (long long)sp->c[0]);
    jw_arr(w, "entered_stage");
    for (size_t s = 0; s < ns; s++)
        jw_int(w, NULL, (long long)sp->c[s]);
    jw_arr_end(w);
    jw_int(w, "won", (long long)sp->c[ns]);
    jw_int(w, "lost", (long long)sp->c[ns + 1]);
    jw_int(w, "went_stale", (long long)sp->c[ns + 2]);
}

static void time_or_null(struct jw *w, const char *key, int has, int64_t t)
{
    char when[32];
    if (!has) {
        jw_null(w, key);
        return;
    }
    ftime_format(t, when);
    jw_str(w, key, when);
}

/* activity: this period (as_of - P, as_of] and the one before (§4.16). */
static void activity_json(struct jw *w, const struct res_report *r)
{
    static const char *const names[2] = {"current", "previous"};
    jw_obj(w, "activity");
    jw_int(w, "period_s", r->period_s);
    for (int k = 0; k < 2; k++) {
        jw_obj(w, names[k]);
        time_or_null(w, "from", r->has_as_of, r->activity[k].start);
        time_or_null(w, "to", r->has_as_of, r->activity[k].end);
        span_counts(w, r, &r->activity[k]);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

/* trend: one row a calendar period, oldest first (§4.15). */
static void trend_json(struct jw *w, const struct res_report *r)
{
    jw_obj(w, "trend");
    jw_str(w, "unit", r->trend_unit);
    jw_arr(w, "periods");
    for (size_t i = 0; i < r->ntrend; i++) {
        jw_obj(w, NULL);
        jw_str(w, "period", r->trend[i].label);
        time_or_null(w, "start", 1, r->trend[i].start);
        span_counts(w, r, &r->trend[i]);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

/* The block of the whole report that every group and cohort carries too
 * (docs/METRICS.md §4.17): entities, outcomes, rates, time to win, stages.
 * Touches are counted per event, not per entity, so only the whole report
 * (whole) has them. */
static void block_json(struct jw *w, const struct res_report *r, int whole, struct rpt_touch_row *rows)
{
    jw_int(w, "entities", (long long)r->entities);
    jw_obj(w, "outcomes");
    jw_int(w, "won", (long long)r->won);
    jw_int(w, "lost", (long long)r->lost);
    jw_int(w, "stale", (long long)r->stale);
    jw_int(w, "open", (long long)r->open);
    jw_obj_end(w);
    jw_real(w, "win_rate", r->win_rate);
    ci_json(w, "win_rate_ci", &r->win_rate_ci);
    jw_real(w, "win_rate_closed", r->win_rate_closed);
    ci_json(w, "win_rate_closed_ci", &r->win_rate_closed_ci);
    stage_name_or_null(w, "drop_out_point", r, r->drop_out_point);
    stage_name_or_null(w, "steepest_drop", r, r->steepest_drop);
    stats_json(w, "time_to_win", &r->time_to_win);
    stats_json(w, "time_to_loss", &r->time_to_loss);
    value_json(w, r);
    jw_arr(w, "stages");
    for (size_t s = 0; s < r->nstages; s++)
        stage_json(w, r, s, whole, rows);
    jw_arr_end(w);
}

/* One dimension's groups (d == nby: the cohorts, with their periods). */
static void dim_groups_json(struct jw *w, const struct res_groups *g, size_t d)
{
    char when[32];
    const struct res_dim *dim = &g->dim[d];
    jw_arr(w, "groups");
    for (size_t i = 0; i < dim->n; i++) {
        const struct res_group *x = &dim->g[i];
        jw_obj(w, NULL);
        if (x->name)
            jw_strn(w, "name", x->name, x->len);
        else
            jw_null(w, "name");
        if (d == g->nby) {
            ftime_format(x->start, when);
            jw_str(w, "start", when);
            jw_bool(w, "complete", x->complete);
        }
        block_json(w, &x->r, 0, NULL);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

/* docs/METRICS.md §4.17-§4.18: "cohorts" (--cohort), then "breakdowns"
 * (--by), present only when asked for.  A group's value is kept as its
 * exact bytes (names_ok has checked that it is UTF-8). */
static void groups_json(struct jw *w, const struct res_groups *g)
{
    if (!g)
        return;
    if (g->cohort) {
        jw_obj(w, "cohorts");
        jw_str(w, "period", period_name((enum period_unit)(g->cohort - 1)));
        jw_int(w, "window_s", g->window_s);
        dim_groups_json(w, g, g->nby);
        jw_obj_end(w);
    }
    if (!g->nby)
        return;
    jw_arr(w, "breakdowns");
    for (size_t d = 0; d < g->nby; d++) {
        jw_obj(w, NULL);
        jw_str(w, "name", g->dim[d].name);
        jw_str(w, "attribution", g->attribution_last ? "last" : "first");
        dim_groups_json(w, g, d);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static int utf8(const char *s, size_t n)
{
    return csvin_utf8_valid((const unsigned char *)s, n);
}

/* Whether every name the report holds can be a JSON string: stage names,
 * unmapped stage names, attribute names and group values, touch types. */
static int names_ok(const struct res_report *r)
{
    for (size_t s = 0; s < r->nstages; s++)
        if (!utf8(r->stages[s].name, strlen(r->stages[s].name)))
            return 0;
    for (size_t i = 0; i < r->nunmapped; i++)
        if (!utf8(r->unmapped[i].name, r->unmapped[i].len))
            return 0;
    const struct res_groups *g = r->groups;
    for (size_t d = 0; g && d < g->nby; d++) {
        if (!utf8(g->dim[d].name, strlen(g->dim[d].name)))
            return 0;
        for (size_t i = 0; i < g->dim[d].n; i++)
            if (g->dim[d].g[i].name && !utf8(g->dim[d].g[i].name, g->dim[d].g[i].len))
                return 0;
    }
    return rpt_touches_names_ok(r);
}

static void report_json(struct jw *w, const struct res_report *r, struct rpt_touch_row *rows)
{
    jw_obj(w, NULL);
    jw_str(w, "schema", RPT_SCHEMA);
    time_or_null(w, "as_of", r->has_as_of, r->as_of);
    jw_int(w, "stale_after_s", r->stale_after_s);
    if (r->window_s > 0)
        jw_int(w, "window_s", r->window_s);
    else
        jw_null(w, "window_s");
    jw_str(w, "skipped", r->skip_ignore ? "ignore" : "count");
    jw_obj(w, "events");
    jw_int(w, "read", (long long)r->ev_read);
    jw_int(w, "used", (long long)r->ev_used);
    jw_int(w, "after_as_of", (long long)r->ev_after_as_of);
    jw_int(w, "unmapped", (long long)r->ev_unmapped);
    jw_obj_end(w);
    block_json(w, r, 1, rows);
    if (r->touches)   /* --touches, whole report only (§4.22) */
        rpt_touch_lift_json(w, r);
    jw_arr(w, "unmapped_stages");
    for (size_t i = 0; i < r->nunmapped; i++) {
        jw_obj(w, NULL);
        jw_strn(w, "name", r->unmapped[i].name, r->unmapped[i].len);
        jw_int(w, "events", (long long)r->unmapped[i].events);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    quality_json(w, r);
    activity_json(w, r);
    if (r->trend_unit)
        trend_json(w, r);
    groups_json(w, r->groups);
    jw_obj_end(w);
}

int rpt_json_write(const struct res_report *r, FILE *out, struct fb_error *err)
{
    if (!names_ok(r))
        return fb_fail(err, FB_EINPUT, "cannot write the report: a stage, attribute, value or touch type name "
                       "is not UTF-8, so it cannot be a JSON string (docs/METRICS.md §4.10)");
    const size_t ntouch = r->touches ? r->touches->n : 0;
    struct rpt_touch_row *rows = malloc((ntouch ? ntouch : 1) * sizeof *rows);
    struct jw *w = malloc(sizeof *w);
    if (!rows || !w) {
        free(rows);
        free(w);
        return fb_fail(err, FB_ENOMEM, "out of memory writing the report");
    }
    jw_init(w, out);
    report_json(w, r, rows);
    int rc = jw_finish(w);
    free(rows);
    free(w);
    if (rc != 0)
        return fb_fail(err, FB_EIO, "cannot write the report: %s", strerror(errno));
    return 0;
}
