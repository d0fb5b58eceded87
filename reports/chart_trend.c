/* chart_trend.c - the trend chart (entered, won, lost and went stale per
 * period, docs/METRICS.md §4.15) and the cohort chart (conversion to won
 * per entry period, §4.18); docs/CHARTS.md, "Trend, cohorts and groups".
 * Period labels are ISO text made by funnel; they still go to the .tsv as
 * data and to the tics as chart_quote tokens, like any other text. */
#include "chart_ext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart_label.h"
#include "quality.h"

/* The last period is partial when as_of falls before its last second: its
 * counts are still growing and must not read as a fall. */
static int last_partial(const struct res_report *r)
{
    const struct res_span *sp = &r->trend[r->ntrend - 1];
    return r->has_as_of && r->as_of < sp->end - 1;
}

int chart_trend_data(const struct res_report *r, FILE *out, struct fb_error *err)
{
    size_t ns = r->nstages;
    chart_ext_tsv_head(out, CHART_TREND, "One row per period, oldest first, empty periods as 0",
                       "row\tperiod\tentered\twon\tlost\twent_stale\tpartial");
    for (size_t i = 0; i < r->ntrend; i++) {
        const struct res_span *sp = &r->trend[i];
        fprintf(out, "%zu\t", i);
        if (chart_tsv_text(out, sp->label, 0, err))
            return FB_EIO;
        fprintf(out, "\t%llu\t%llu\t%llu\t%llu\t%d\n", (unsigned long long)sp->c[0],
                (unsigned long long)sp->c[ns], (unsigned long long)sp->c[ns + 1],
                (unsigned long long)sp->c[ns + 2], i + 1 == r->ntrend && last_partial(r));
    }
    return 0;
}

static const struct {
    int col;
    const char *colour, *title;
} series[4] = {
    {3, CX_BLUE, "entered"}, {4, CX_GREEN, "won"},
    {5, CX_VERMILLION, "lost"}, {6, CX_ORANGE, "went stale"},
};

int chart_trend_script(const struct res_report *r, FILE *out, struct fb_error *err)
{
    size_t n = r->ntrend, ns = r->nstages;
    int partial = last_partial(r);
    double max = 0;
    char date[64], sub[160], title[64];
    const char **labels = malloc(n * sizeof *labels);
    if (!labels)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        labels[i] = r->trend[i].label;
        for (size_t j = 0; j < 4; j++)
            max = fmax(max, (double)r->trend[i].c[j ? ns + j - 1 : 0]);
    }
    chart_fmt_as_of(r->has_as_of, r->as_of, date, sizeof date);
    snprintf(title, sizeof title, "Trend per %s", r->trend_unit);
    snprintf(sub, sizeof sub, "%s \xC2\xB7 %zu period%s%s", date, n, n == 1 ? "" : "s",
             partial ? " \xC2\xB7 the last one is partial (still counting)" : "");
    int rc = chart_ext_prelude(out, CHART_TREND, CHART_HEIGHT, 0.08, title, sub, err);
    if (rc == 0)
        rc = chart_ext_period_tics(out, labels, n, err);
    free(labels);
    if (rc)
        return rc;
    chart_ext_count_tics(out, max);
    fputs("set grid ytics linecolor rgb '#e4e4e4' linewidth 1 dashtype 1\n"
          "set ylabel 'entities' textcolor rgb '#333333'\n", out);
    if (partial)
        fprintf(out, "set object 1 rectangle from %.1f, graph 0 to %.1f, graph 1 behind "
                     "fillcolor rgb '#F0F0F0' fillstyle solid 1.0 noborder\n"
                     "set label 3 'partial' at %zu, graph 0.97 center textcolor rgb '#666666' "
                     "font 'Sans Italic,11'\n", (double)n - 1.5, (double)n - 0.5, n - 1);
    /* Lines with points while a point per period is readable, lines beyond. */
    const char *with = n <= 60 ? "linespoints pointtype 7 pointsize 0.9" : "lines";
    fputs("plot ", out);
    for (int s = 0; s < 4; s++)
        fprintf(out, "%sdatafile using 1:($7 == 1 ? NaN : $%d) with %s linewidth 2 "
                     "linecolor rgb %s title '%s'",
                s ? ", \\\n     " : "", series[s].col, with, series[s].colour, series[s].title);
    /* The partial period: dashed from the last full one, an open point. */
    for (int s = 0; partial && s < 4; s++)
        fprintf(out, ", \\\n     datafile using 1:($1 >= %zu ? $%d : NaN) with linespoints "
                     "dashtype 2 pointtype 6 pointsize 1.1 linewidth 2 linecolor rgb %s",
                n >= 2 ? n - 2 : 0, series[s].col, series[s].colour);
    fputc('\n', out);
    return 0;
}

/* A cohort's conversion to won: won / entities, in percent, with its
 * Wilson interval (docs/METRICS.md §4.12); NaN for an empty cohort. */
static void cohort_rate(const struct res_group *g, double v[3])
{
    const struct res_report *c = &g->r;
    double lo, hi;
    if (c->entities == 0) {
        v[0] = v[1] = v[2] = NAN;
        return;
    }
    qual_wilson(c->won, c->entities, &lo, &hi);
    v[0] = 100.0 * (double)c->won / (double)c->entities;
    v[1] = 100.0 * lo;
    v[2] = 100.0 * hi;
}

static void put_pct(FILE *out, double v)
{
    if (isnan(v))
        fputs("\tNaN", out);
    else
        fprintf(out, "\t%.4f", v);
}

int chart_cohorts_data(const struct res_report *r, FILE *out, struct fb_error *err)
{
    const struct res_dim *d = chart_ext_dim(CHART_COHORTS, r);
    chart_ext_tsv_head(out, CHART_COHORTS, "One row per entry cohort, oldest first",
                       "row\tcohort\twon_pct\tlow_pct\thigh_pct\tentities\twon\tcomplete\tnote");
    for (size_t i = 0; i < d->n; i++) {
        const struct res_group *g = &d->g[i];
        char *name;
        double v[3];
        char note[96], a[32], b[32];
        if (chart_clean(g->name ? g->name : "", g->name ? g->len : 0, &name, err))
            return FB_ENOMEM;
        fprintf(out, "%zu\t", i);
        int rc = chart_tsv_text(out, name, 0, err);
        free(name);
        if (rc)
            return FB_EIO;
        cohort_rate(g, v);
        for (int k = 0; k < 3; k++)
            put_pct(out, v[k]);
        chart_fmt_count(g->r.won, a, sizeof a);
        chart_fmt_count(g->r.entities, b, sizeof b);
        if (g->r.entities == 0)
            snprintf(note, sizeof note, "no entries");
        else
            snprintf(note, sizeof note, "%s of %s%s", a, b, g->complete ? "" : " \xC2\xB7 incomplete");
        fprintf(out, "\t%llu\t%llu\t%d\t", (unsigned long long)g->r.entities,
                (unsigned long long)g->r.won, g->complete ? 1 : 0);
        if (chart_tsv_text(out, note, 0, err))
            return FB_EIO;
        putc('\n', out);
    }
    return 0;
}

int chart_cohorts_script(const struct res_report *r, FILE *out, struct fb_error *err)
{
    const struct res_dim *d = chart_ext_dim(CHART_COHORTS, r);
    size_t n = d->n, nincomplete = 0, nempty = 0;
    double top = 0;
    char date[64], sub[200];
    const char **labels = malloc(n * sizeof *labels);
    char **names = calloc(n, sizeof *names);
    int rc = labels && names ? 0 : fb_fail(err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct res_group *g = &d->g[i];
        double v[3];
        rc = chart_clean(g->name ? g->name : "", g->name ? g->len : 0, &names[i], err);
        labels[i] = names[i];
        cohort_rate(g, v);
        top = isnan(v[2]) ? top : fmax(top, v[2]);
        nincomplete += g->r.entities && !g->complete;
        nempty += g->r.entities == 0;
    }
    chart_fmt_as_of(r->has_as_of, r->as_of, date, sizeof date);
    snprintf(sub, sizeof sub, "%s \xC2\xB7 won / entered per entry cohort \xC2\xB7 %zu incomplete, "
             "%zu empty", date, nincomplete, nempty);
    if (rc == 0)
        rc = chart_ext_prelude(out, CHART_COHORTS, CHART_HEIGHT, 0.08,
                               "Conversion to won by entry cohort", sub, err);
    if (rc == 0)
        rc = chart_ext_period_tics(out, labels, n, err);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(labels);
    if (rc)
        return rc;
    /* Tics up to the highest interval (a multiple of 10%), and a third
     * more room above for the rotated notes. */
    top = fmin(100, 10 * ceil(fmax(top, 10) / 10));
    fprintf(out,
            "set yrange [0:%.0f]\n"
            "set ytics 0,%d,%.0f format '%%g%%%%'\n",
            top * 1.32, top >= 50 ? 10 : top >= 20 ? 5 : 2, top);
    fprintf(out,
            "set grid ytics linecolor rgb '#e4e4e4' linewidth 1 dashtype 1\n"
            "set ylabel 'won (%% of the cohort)' textcolor rgb '#333333'\n"
            "set boxwidth 0.62\n"
            "plot datafile using 1:($8 == 1 ? $3 : NaN) with boxes fillcolor rgb " CX_BLUE
            " title 'complete cohort', \\\n"
            "     '' using 1:($8 == 1 ? NaN : $3) with boxes fillcolor rgb " CX_PALE
            " title 'incomplete: still maturing', \\\n"
            "     '' using 1:3:4:5 with yerrorbars pointtype 0 linewidth 1.2 linecolor rgb "
            CX_INK " title '95%% interval', \\\n"
            "     '' using 1:($6 > 0 ? $5 : 0):9 with labels rotate left offset 0,0.5 font ',%d' "
            "textcolor rgb " CX_MUTED "\n",
            n <= 14 ? 10 : n <= 40 ? 8 : 6);
    return 0;
}
