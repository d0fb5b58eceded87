/* page.c - the report page; see page.h and docs/CHARTS.md ("The page"). */
#include "page.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "chart.h"
#include "chart_label.h"
#include "ftime.h"
#include "page_about.h"
#include "page_cards.h"
#include "page_stuck.h"
#include "page_tables.h"
#include "page_text.h"

static const char css[] =
    "*{box-sizing:border-box}\n"
    "body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",\"DejaVu Sans\",sans-serif;"
    "color:#222;background:#f6f6f4;line-height:1.45}\n"
    "main{max-width:1240px;margin:0 auto;padding:16px}\n"
    "h1{font-size:1.6rem;margin:.2em 0 0}\n"
    "h2{font-size:1.2rem;margin:1.6em 0 .6em}\n"
    ".asof{color:#555;margin:.2em 0 1em}\n"
    ".figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(165px,1fr));gap:12px}\n"
    ".fig{background:#fff;border-radius:8px;padding:12px 14px;border:1px solid #e2e2de}\n"
    ".fig .num{display:block;font-size:1.7rem;font-weight:700;white-space:nowrap}\n"
    ".fig .lbl{display:block;color:#555;font-size:.9rem}\n"
    ".fig.long .num{font-size:1.2rem}\n"
    ".fig.xlong .num{font-size:1rem;white-space:normal;overflow-wrap:anywhere}\n"
    ".fig.drop{background:#fff1a8;border-color:#e6cf4a}\n"
    ".note{background:#fff;border-left:5px solid #D55E00;padding:10px 14px;margin:16px 0}\n"
    ".fig .chg{display:block;color:#444;font-size:.85rem;margin-top:4px}\n"
    ".chg .up{color:#006d43;font-weight:600}.chg .down{color:#b0261b;font-weight:600}"
    ".chg .same{color:#555;font-weight:600}\n"
    ".charts{display:grid;grid-template-columns:1fr;gap:16px}\n"
    "dl.about{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;background:#fff;"
    "border:1px solid #e2e2de;border-radius:8px;padding:10px 14px;margin:0}\n"
    "dl.about dt{color:#555}dl.about dd{margin:0;overflow-wrap:anywhere}\n"
    "figure{margin:0;background:#fff;border:1px solid #e2e2de;border-radius:8px;padding:8px}\n"
    "figure img{display:block;width:100%;height:auto}\n"
    "figcaption{color:#555;font-size:.9rem;padding:4px 6px}\n"
    "figure > a{display:block}\n"
    ".tablewrap{overflow-x:auto;background:#fff;border:1px solid #e2e2de;border-radius:8px}\n"
    "table{border-collapse:collapse;width:100%;font-size:.92rem}\n"
    "th,td{padding:6px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}\n"
    "th{background:#fafaf8;white-space:normal;vertical-align:bottom}\n"
    "td.stage,th.stage{text-align:left;white-space:normal;min-width:10em;overflow-wrap:anywhere}\n"
    "tr.drop td{background:#fff1a8;font-weight:600}\n"
    "tr.other td{background:#fafaf8}\n"
    "tr.incomplete td{color:#666;font-style:italic}\n"
    "footer{color:#666;font-size:.85rem;margin:2em 0 1em}\n"
    "code{background:#eee;padding:1px 4px;border-radius:3px}\n"
    /* Two columns of charts on a wide screen; one on a narrow one and on
     * paper (docs/CHARTS.md, "The page"). */
    "@media screen and (min-width:1000px){.charts{grid-template-columns:1fr 1fr}}\n"
    "@media print{.charts{grid-template-columns:1fr}figure{break-inside:avoid}"
    "body{background:#fff}}\n"
    "@media (max-width:640px){dl.about{grid-template-columns:1fr}main{padding:10px}h1{font-size:1.3rem}"
    ".fig .num{font-size:1.35rem}table{font-size:.85rem}th,td{padding:5px 7px}}\n";

/* The charts beyond the five (docs/CHARTS.md, "The page"): each has a
 * slot, shown only when its PNG was written (no data, no chart). */
static void figure_png(FILE *out, const char *name, const char *caption, int height)
{
    fprintf(out, "<figure id=\"chart-%s\"><a href=\"%s.png\"><img src=\"%s.png\" width=\"%d\" "
                 "height=\"%d\" alt=\"Chart: %s\"></a><figcaption>%s (<a href=\"%s.gp\">%s.gp</a>, "
                 "<a href=\"%s.tsv\">%s.tsv</a>)</figcaption></figure>\n",
            name, name, name, CHART_WIDTH, height, caption, caption, name, name, name, name);
}

/* The by-N slots: one per --by, captioned with the attribute (data). */
static int by_slots(const struct res_report *r, const struct page_opts *o, FILE *out, struct fb_error *err)
{
    for (size_t d = 0; r->groups && d < r->groups->nby; d++) {
        char name[32];
        const char *by = r->groups->dim[d].name;
        snprintf(name, sizeof name, "by-%zu", d + 1);
        if (!o->has_png || !o->has_png(o->png_ctx, name))
            continue;
        fprintf(out, "<figure id=\"chart-%s\"><a href=\"%s.png\"><img src=\"%s.png\" width=\"%d\" "
                     "height=\"%d\" alt=\"Chart: closed win rate by attribute %zu\"></a><figcaption>By ",
                name, name, name, CHART_WIDTH, chart_height((enum chart_kind)(CHART_BY1 + d), r), d + 1);
        if (page_text(out, by, strlen(by), err))
            return FB_ENOMEM;
        fprintf(out, ": the 12 largest groups on one scale, closed win rate with its 95%% interval "
                     "(<a href=\"%s.gp\">%s.gp</a>, <a href=\"%s.tsv\">%s.tsv</a>)</figcaption></figure>\n",
                name, name, name, name);
    }
    return 0;
}

static int charts(const struct res_report *r, const struct page_opts *o, FILE *out, struct fb_error *err)
{
    fputs("<h2>Charts</h2>\n", out);
    if (!o->charts) {
        fputs("<p class=\"note\" id=\"charts-missing\"><strong>Charts are missing.</strong> ", out);
        if (o->gnuplot_missing) {
            fputs("gnuplot is not installed on the machine that ran this report. Install it "
                  "(Debian: <code>sudo apt-get install gnuplot-nox</code>) and run "
                  "<code>funnel report</code> again.", out);
        } else {
            fputs("gnuplot could not draw them: ", out);
            const char *why = o->charts_error ? o->charts_error : "unknown error";
            if (page_text(out, why, strlen(why), err))
                return FB_ENOMEM;
            fputs(". The report below is complete; run <code>funnel report</code> again "
                  "once this is fixed.", out);
        }
        fputs("</p>\n", out);
        return 0;
    }
    fputs("<p class=\"asof\">Click or tap a chart to open it full size.</p>\n"
          "<section class=\"charts\">\n", out);
    /* The funnel, then where entities drop out: the two a manager reads first. */
    /* The five always, then those the report has data for and whose PNG
     * was drawn (chart_present; has_png), each at its own height. */
    static const enum chart_kind order[] = {CHART_FUNNEL, CHART_DROPOUTS, CHART_CONVERSION,
        CHART_TIME, CHART_TOUCHES, CHART_MONEY, CHART_AGING, CHART_TREND, CHART_COHORTS};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const enum chart_kind k = order[i];
        if (!chart_present(k, r) || (k >= CHART_MONEY && o->has_png && !o->has_png(o->png_ctx, chart_name(k))))
            continue;
        figure_png(out, chart_name(k), chart_caption(k), chart_height(k, r));
    }
    if (by_slots(r, o, out, err))
        return FB_ENOMEM;
    fputs("</section>\n", out);
    return 0;
}

static void cell_days(FILE *out, const struct res_stage *st, int p90)
{
    char d[32];
    if (!st->has_time_in_stage || st->time_in_stage.count == 0) {
        fputs("<td>&ndash;</td>", out);
        return;
    }
    chart_fmt_days((double)(p90 ? st->time_in_stage.p90_s : st->time_in_stage.median_s), d, sizeof d);
    fprintf(out, "<td>%s</td>", d);
}

static int table(const struct res_report *r, FILE *out, struct fb_error *err)
{
    fputs("<h2>Stages</h2>\n<div class=\"tablewrap\"><table id=\"stages\">\n<thead><tr>"
          "<th>#</th><th class=\"stage\">stage</th><th>reached</th><th>from previous</th>"
          "<th>from first</th><th>median in stage</th><th>p90 in stage</th><th>lost</th>"
          "<th>stale</th><th>open</th><th>drop rate</th><th>marketing touches</th>"
          "<th>sales touches</th></tr></thead>\n<tbody>\n", out);
    for (size_t i = 0; i < r->nstages; i++) {
        const struct res_stage *st = &r->stages[i];
        char v[6][32];
        int drop = (int)i == r->drop_out_point;
        fprintf(out, "<tr%s><td>%zu</td><td class=\"stage\">", drop ? " class=\"drop\"" : "", i + 1);
        if (page_text(out, st->name, strlen(st->name), err))
            return FB_ENOMEM;
        chart_fmt_count(st->reached, v[0], sizeof v[0]);
        chart_fmt_pct(st->conv_prev, v[1], sizeof v[1]);
        chart_fmt_pct(st->conv_start, v[2], sizeof v[2]);
        fprintf(out, "%s</td><td>%s</td><td>%s</td><td>%s</td>", drop ? " &#9664; drop-out point" : "",
                v[0], i ? v[1] : "&ndash;", v[2]);
        cell_days(out, st, 0);
        cell_days(out, st, 1);
        chart_fmt_count(st->lost, v[0], sizeof v[0]);
        chart_fmt_count(st->stale, v[1], sizeof v[1]);
        chart_fmt_count(st->open, v[2], sizeof v[2]);
        chart_fmt_pct(st->drop_rate, v[3], sizeof v[3]);
        chart_fmt_count(st->touches_marketing, v[4], sizeof v[4]);
        chart_fmt_count(st->touches_sales, v[5], sizeof v[5]);
        fprintf(out, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                v[0], v[1], v[2], v[3], v[4], v[5]);
    }
    fputs("</tbody></table></div>\n", out);
    return 0;
}

static int unmapped(const struct res_report *r, FILE *out, struct fb_error *err)
{
    char n[32];
    if (r->nunmapped == 0)
        return 0;
    chart_fmt_count(r->ev_unmapped, n, sizeof n);
    fprintf(out, "<p class=\"note\">%s events name a stage that is not in the funnel and were "
                 "left out: ", n);
    for (size_t i = 0; i < r->nunmapped && i < 10; i++) {
        chart_fmt_count(r->unmapped[i].events, n, sizeof n);
        fputs(i ? ", &ldquo;" : "&ldquo;", out);
        if (page_text(out, r->unmapped[i].name, r->unmapped[i].len, err))
            return FB_ENOMEM;
        fprintf(out, "&rdquo; (%s)", n);
    }
    if (r->nunmapped > 10)
        fprintf(out, " and %zu more", r->nunmapped - 10);
    fputs(". Check the spelling in the CRM, or add the stage to the funnel.</p>\n", out);
    return 0;
}

/* docs/METRICS.md §4.13: stages nobody records show conversions made only
 * of skipping; say so where the table shows them. */
static int no_events(const struct res_report *r, FILE *out, struct fb_error *err)
{
    size_t none = 0, listed = 0;
    for (size_t s = 0; s < r->nstages; s++)
        none += r->stages[s].events == 0;
    if (none == 0)
        return 0;
    fprintf(out, "<p class=\"note\">%zu of %zu stages have no events: ", none, r->nstages);
    for (size_t s = 0; s < r->nstages; s++) {
        if (r->stages[s].events)
            continue;
        fputs(listed++ ? ", &ldquo;" : "&ldquo;", out);
        if (page_text(out, r->stages[s].name, strlen(r->stages[s].name), err))
            return FB_ENOMEM;
        fputs("&rdquo;", out);
    }
    fputs(". Entities reach them only by skipping, so their conversions say nothing about them.</p>\n",
          out);
    return 0;
}

int page_write(const struct res_report *r, const struct page_opts *o, FILE *out,
               struct fb_error *err)
{
    char when[32] = "", stale[64];
    if (r->has_as_of)
        ftime_format(r->as_of, when);
    if (r->stale_after_s % 86400 == 0)
        snprintf(stale, sizeof stale, "%lld days", (long long)(r->stale_after_s / 86400));
    else
        snprintf(stale, sizeof stale, "%lld s", (long long)r->stale_after_s);
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>Funnel report%s%.10s</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n"
                 "<h1>Funnel report</h1>\n<p class=\"asof\">%s%.10s%s%.5s%s &middot; an entity nobody "
                 "touched for %s is stale</p>\n",
            r->has_as_of ? " as of " : "", when, css, r->has_as_of ? "as of " : "no events yet",
            when, r->has_as_of ? " " : "", r->has_as_of ? when + 11 : "", r->has_as_of ? " UTC" : "",
            stale);
    int rc = page_cards_write(r, o->before, out, err);
    if (rc == 0)
        rc = charts(r, o, out, err);
    if (rc == 0)
        rc = table(r, out, err);
    if (rc == 0)
        rc = no_events(r, out, err);
    if (rc == 0)
        rc = unmapped(r, out, err);
    if (rc == 0 && o->stuck)
        rc = page_stuck_write(r, o->stuck, out, err);
    if (rc == 0)
        rc = page_tables_write(r, out, err);
    if (rc == 0)
        rc = page_about_write(r, o->command, o->fresh, out, err);
    if (rc)
        return rc;
    fprintf(out, "<footer>Written by funnel %s. The numbers: <a href=\"report.json\">report.json</a> "
                 "(schema funnel-report/2; definitions in docs/METRICS.md). Each chart is redrawn "
                 "by <code>gnuplot NAME.gp</code> in this directory.</footer>\n"
                 "</main>\n</body>\n</html>\n", o->version ? o->version : "");
    if (ferror(out))
        return fb_fail(err, FB_EIO, "cannot write the page: %s", strerror(errno));
    return 0;
}
