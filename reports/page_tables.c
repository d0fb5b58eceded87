/* page_tables.c - activity, breakdown, cohort and trend tables of the
 * page; see page_tables.h and docs/METRICS.md §4.15-§4.18. */
#include "page_tables.h"

#include <math.h>
#include <string.h>

#include "chart_label.h"
#include "page_text.h"
#include "period.h"
#include "report_rows.h"

/* "[46.0%, 60.2%]" as --text writes it; "n/a" when the rate is null. */
static void interval(char *buf, size_t n, const struct res_ci *c)
{
    if (isnan(c->lo) || isnan(c->hi))
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "[%.1f%%, %.1f%%]", 100.0 * c->lo, 100.0 * c->hi);
}

static void td_count(FILE *out, uint64_t v)
{
    char b[32];
    chart_fmt_count(v, b, sizeof b);
    fprintf(out, "<td>%s</td>", b);
}

/* A rate and its interval, two cells. */
static void td_rate(FILE *out, double v, const struct res_ci *c)
{
    char p[32], i[64];
    chart_fmt_pct(v, p, sizeof p);
    interval(i, sizeof i, c);
    fprintf(out, "<td>%s</td><td>%s</td>", p, i);
}

static void table_open(FILE *out, const char *id, const char *first, const char *cols)
{
    fprintf(out, "<div class=\"tablewrap\"><table id=\"%s\">\n<thead><tr><th class=\"stage\">%s</th>%s"
                 "</tr></thead>\n<tbody>\n", id, first, cols);
}

static void table_close(FILE *out)
{
    fputs("</tbody></table></div>\n", out);
}

/* One activity row: this, last and the signed change, as --text. */
static void activity_row(FILE *out, uint64_t a, uint64_t b)
{
    long long d = (long long)a - (long long)b;
    td_count(out, a);
    td_count(out, b);
    fprintf(out, d ? "<td>%+lld</td></tr>\n" : "<td>%lld</td></tr>\n", d);
}

/* This period against the last (§4.16): entered, reached each later
 * stage, won, lost, went stale. */
static int activity(const struct res_report *r, FILE *out, struct fb_error *err)
{
    const size_t ns = r->nstages;
    const uint64_t *a = r->activity[0].c, *b = r->activity[1].c;
    char p[32];
    rpt_rows_duration(p, sizeof p, r->period_s);
    fprintf(out, "<h2>This period against the last</h2>\n<p class=\"asof\">The %s up to as_of against "
                 "the %s before it (<code>--period</code>): what happened in each.</p>\n", p, p);
    table_open(out, "activity", "", "<th>this</th><th>last</th><th>change</th>");
    for (size_t k = 0; k < ns + 3; k++) {
        fputs("<tr><td class=\"stage\">", out);
        if (k == 0) {
            fputs("entered", out);
        } else if (k < ns) {
            fputs("reached ", out);
            if (page_text(out, r->stages[k].name, strlen(r->stages[k].name), err))
                return FB_ENOMEM;
        } else {
            fputs(k == ns ? "won" : k == ns + 1 ? "lost" : "went stale", out);
        }
        fputs("</td>", out);
        activity_row(out, a[k], b[k]);
    }
    table_close(out);
    return 0;
}

static int group_name(FILE *out, const struct rpt_row *x, struct fb_error *err)
{
    if (!x->g) {
        fprintf(out, "<em>other (%zu groups)</em>", x->nother);
        return 0;
    }
    if (!x->g->name) {
        fputs("<em>(none)</em>", out);
        return 0;
    }
    return page_text(out, x->g->name, x->g->len, err);
}

/* The first and last stage's names, for a column heading. */
static int first_to_last(const struct res_report *r, FILE *out, struct fb_error *err)
{
    const char *f = r->stages[0].name, *l = r->stages[r->nstages - 1].name;
    fputs("<th>from ", out);
    if (page_text(out, f, strlen(f), err))
        return FB_ENOMEM;
    fputs(" to ", out);
    if (page_text(out, l, strlen(l), err))
        return FB_ENOMEM;
    fputs("</th><th>95% interval</th>", out);
    return 0;
}

/* One breakdown (§4.17): its 12 largest groups, then `other`. */
static int breakdown(const struct res_report *r, size_t d, FILE *out, struct fb_error *err)
{
    const struct res_groups *gs = r->groups;
    const struct res_dim *dim = &gs->dim[d];
    struct rpt_row rows[RPT_TOP_GROUPS + 1];
    size_t n = rpt_rows_groups(dim, rows);
    char id[32];
    fputs("<h2>By ", out);
    if (page_text(out, dim->name, strlen(dim->name), err))
        return FB_ENOMEM;
    fprintf(out, "</h2>\n<p class=\"asof\">%zu group%s, attribution %s", dim->n, dim->n == 1 ? "" : "s",
            gs->attribution_last ? "last" : "first");
    if (dim->n > RPT_TOP_GROUPS)
        fprintf(out, "; the %d largest by entities, then the rest summed as other (report.json holds "
                     "every group)", RPT_TOP_GROUPS);
    fputs(". Closed win rate: won / (won + lost).</p>\n", out);
    snprintf(id, sizeof id, "by-%zu", d + 1);
    fprintf(out, "<div class=\"tablewrap\"><table id=\"%s\" class=\"groups\">\n<thead><tr>"
                 "<th class=\"stage\">value</th><th>entities</th><th>won</th><th>lost</th>"
                 "<th>closed win rate</th><th>95%% interval</th>", id);
    if (first_to_last(r, out, err))
        return FB_ENOMEM;
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t i = 0; i < n; i++) {
        struct rpt_rates t = rpt_rows_rates(&rows[i]);
        fprintf(out, "<tr%s><td class=\"stage\">", rows[i].g ? "" : " class=\"other\"");
        if (group_name(out, &rows[i], err))
            return FB_ENOMEM;
        fputs("</td>", out);
        td_count(out, rows[i].entities);
        td_count(out, rows[i].won);
        td_count(out, rows[i].lost);
        td_rate(out, t.closed, &t.closed_ci);
        td_rate(out, t.conv, &t.conv_ci);
        fputs("</tr>\n", out);
    }
    table_close(out);
    return 0;
}

/* The cohorts (§4.18), one row a period; an incomplete one is marked so
 * that its low conversion does not read as a decline. */
static int cohorts(const struct res_report *r, FILE *out, struct fb_error *err)
{
    const struct res_groups *gs = r->groups;
    const struct res_dim *dim = &gs->dim[gs->nby];
    fprintf(out, "<h2>Cohorts by %s of entry</h2>\n<p class=\"asof\">Entities by the %s they "
                 "entered the funnel. A cohort is complete once its period%s is over; the "
                 "conversion of one that is not complete is still growing.</p>\n",
            period_name((enum period_unit)(gs->cohort - 1)), period_name((enum period_unit)(gs->cohort - 1)),
            gs->window_s > 0 ? " and the conversion window" : "");
    fputs("<div class=\"tablewrap\"><table id=\"cohorts\">\n<thead><tr><th class=\"stage\">cohort</th>"
          "<th>entities</th><th>won</th>", out);
    if (first_to_last(r, out, err))
        return FB_ENOMEM;
    fputs("<th>complete</th></tr></thead>\n<tbody>\n", out);
    for (size_t i = 0; i < dim->n; i++) {
        struct rpt_row x = rpt_rows_of(&dim->g[i]);
        struct rpt_rates t = rpt_rows_rates(&x);
        fprintf(out, "<tr%s><td class=\"stage\">", dim->g[i].complete ? "" : " class=\"incomplete\"");
        if (group_name(out, &x, err))
            return FB_ENOMEM;
        fputs("</td>", out);
        td_count(out, x.entities);
        td_count(out, x.won);
        td_rate(out, t.conv, &t.conv_ci);
        fputs(dim->g[i].complete ? "<td>yes</td></tr>\n" : "<td>not complete</td></tr>\n", out);
    }
    table_close(out);
    return 0;
}

/* The trend (§4.15), its latest PAGE_TREND_ROWS periods. */
static void trend(const struct res_report *r, FILE *out)
{
    const size_t ns = r->nstages;
    size_t from = r->ntrend > PAGE_TREND_ROWS ? r->ntrend - PAGE_TREND_ROWS : 0;
    fprintf(out, "<h2>Trend by %s</h2>\n<p class=\"asof\">", r->trend_unit);
    if (from)
        fprintf(out, "The last %d of %zu periods (all are in report.json). ", PAGE_TREND_ROWS, r->ntrend);
    fputs("Advanced: entries into the stages after the first.</p>\n", out);
    table_open(out, "trend", "period",
               "<th>entered</th><th>advanced</th><th>won</th><th>lost</th><th>went stale</th>");
    for (size_t i = from; i < r->ntrend; i++) {
        const struct res_span *sp = &r->trend[i];
        /* The label is the program's own ("2026-W03"), never data. */
        fprintf(out, "<tr><td class=\"stage\">%s</td>", sp->label);
        td_count(out, sp->c[0]);
        td_count(out, rpt_rows_advanced(r, sp));
        td_count(out, sp->c[ns]);
        td_count(out, sp->c[ns + 1]);
        td_count(out, sp->c[ns + 2]);
        fputs("</tr>\n", out);
    }
    table_close(out);
}

int page_tables_write(const struct res_report *r, FILE *out, struct fb_error *err)
{
    if (r->nstages == 0)
        return 0;
    int rc = activity(r, out, err);
    if (rc == 0 && r->trend_unit)
        trend(r, out);
    for (size_t d = 0; rc == 0 && r->groups && d < r->groups->nby; d++)
        rc = breakdown(r, d, out, err);
    if (rc == 0 && r->groups && r->groups->cohort)
        rc = cohorts(r, out, err);
    return rc;
}
