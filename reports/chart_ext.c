/* chart_ext.c - what the trend, cohort and by-K charts share: which of
 * them a report has, their heights, the script header and the tick labels
 * (docs/CHARTS.md, "Trend, cohorts and groups"); see chart_ext.h. */
#include "chart_ext.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart_label.h"
#include "report_rows.h"

const struct res_dim *chart_ext_dim(enum chart_kind k, const struct res_report *r)
{
    const struct res_groups *g = r->groups;
    if (!g)
        return NULL;
    if (k == CHART_COHORTS)
        return g->cohort ? &g->dim[g->nby] : NULL;
    size_t K = (size_t)(k - CHART_BY1);
    return k >= CHART_BY1 && K < g->nby ? &g->dim[K] : NULL;
}

int chart_ext_present(enum chart_kind k, const struct res_report *r)
{
    if (k == CHART_TREND)
        return r->trend_unit && r->ntrend > 0;
    const struct res_dim *d = chart_ext_dim(k, r);
    return d && d->n > 0;
}

unsigned chart_ext_height(enum chart_kind k, const struct res_report *r)
{
    const struct res_dim *d = chart_ext_dim(k, r);
    if (k < CHART_BY1 || !d)
        return CHART_HEIGHT;
    return chart_groups_height(d->n > RPT_TOP_GROUPS ? RPT_TOP_GROUPS + 1 : d->n);
}

int chart_ext_write_data(enum chart_kind k, const struct res_report *r, FILE *out,
                         struct fb_error *err)
{
    int rc = k == CHART_TREND ? chart_trend_data(r, out, err)
           : k == CHART_COHORTS ? chart_cohorts_data(r, out, err)
           : chart_groups_data(k, r, out, err);
    if (rc == 0 && ferror(out))
        rc = fb_fail(err, FB_EIO, "cannot write chart data: %s", strerror(errno));
    return rc;
}

int chart_ext_write_script(enum chart_kind k, const struct res_report *r, FILE *out,
                           struct fb_error *err)
{
    int rc = k == CHART_TREND ? chart_trend_script(r, out, err)
           : k == CHART_COHORTS ? chart_cohorts_script(r, out, err)
           : chart_groups_script(k, r, out, err);
    if (rc == 0 && ferror(out))
        rc = fb_fail(err, FB_EIO, "cannot write chart script: %s", strerror(errno));
    return rc;
}

int chart_ext_prelude(FILE *out, enum chart_kind k, unsigned height, double lmargin,
                      const char *title, const char *subtitle, struct fb_error *err)
{
    const char *name = chart_name(k);
    double h = height;
    fprintf(out,
            "# %s.gp - %s; written by funnel (docs/CHARTS.md).\n"
            "# Redraw by hand:  cd DIR && gnuplot %s.gp   (reads %s.tsv, writes %s.png)\n"
            "# Restyle freely: colours, fonts, margins and ranges are set below.  Names\n"
            "# come from %s.tsv as data only; nothing here runs a command.\n"
            "datafile = exists(\"datafile\") ? datafile : '%s.tsv'\n"
            "outfile = exists(\"outfile\") ? outfile : '%s.png'\n"
            "set encoding utf8\n"
            "set terminal pngcairo size %d,%u noenhanced font 'Sans,11' background rgb '#ffffff'\n"
            "set output outfile\n"
            "set datafile separator \"\\t\"\n"
            "set lmargin at screen %.3f\n"
            "set rmargin at screen 0.965\n"
            "set tmargin at screen %.3f\n"
            "set bmargin at screen %.3f\n"
            "set label 1 ",
            name, chart_caption(k), name, name, name, name, name, name, CHART_WIDTH, height,
            lmargin, 1 - 125 / h, 80 / h);
    if (chart_put_quoted(out, title, err))
        return FB_ENOMEM;
    fprintf(out, " at screen 0.5,%.3f center font 'Sans Bold,18' textcolor rgb '#111111'\n"
                 "set label 2 ", 1 - 42 / h);
    if (chart_put_quoted(out, subtitle, err))
        return FB_ENOMEM;
    fprintf(out,
            " at screen 0.5,%.3f center font 'Sans,12' textcolor rgb '#444444'\n"
            "set key at screen 0.5,%.3f center top horizontal reverse Left maxrows 1 noautotitle samplen 2 width 1 font ',11'\n"
            "set border 3 linecolor rgb '#888888'\n"
            "set tics nomirror out scale 0.5 textcolor rgb '#444444'\n"
            "set style fill solid 1.0 noborder\n",
            1 - 74 / h, 1 - 90 / h);
    return 0;
}

void chart_ext_count_tics(FILE *out, double max)
{
    /* A step of 1, 2 or 5 times a power of ten giving at most 6 steps. */
    static const double m[3] = {1, 2, 5};
    double step = 1;
    for (double mag = 1; max / step > 6; mag *= 10)
        for (int i = 0; i < 3 && max / (step = m[i] * mag) > 6; i++)
            ;
    double top = step * ceil(fmax(max, 1) / step);
    if (top <= max * 1.02)
        top += step;
    fprintf(out, "set yrange [0:%.0f]\nset ytics (", top);
    for (double v = 0; v <= top + step / 2; v += step) {
        char b[32];
        chart_fmt_count((uint64_t)v, b, sizeof b);
        fprintf(out, "%s'%s' %.0f", v > 0 ? ", " : "", b, v);
    }
    fputs(")\n", out);
}

int chart_ext_period_tics(FILE *out, const char *const *labels, size_t n, struct fb_error *err)
{
    size_t step = n <= 14 ? 1 : (n + 13) / 14;
    fprintf(out, "set xrange [-0.6:%.1f]\n", (double)n - 0.4);
    fputs(n > 8 ? "set xtics rotate by 30 right font ',10' (" : "set xtics (", out);
    for (size_t i = 0; i < n; i++) {
        /* The last period always, and no label crowding it. */
        if (i + 1 != n && (i % step != 0 || n - 1 - i < step))
            continue;
        if (i)
            fputs(", ", out);
        if (chart_put_quoted(out, labels[i], err))
            return FB_ENOMEM;
        fprintf(out, " %zu", i);
    }
    fputs(")\n", out);
    return 0;
}

void chart_ext_tsv_head(FILE *out, enum chart_kind k, const char *rows, const char *columns)
{
    const char *n = chart_name(k);
    fprintf(out, "# %s.tsv - the data of %s.png (%s), drawn by %s.gp.\n"
                 "# %s; tab-separated.  Text is in double quotes,\n"
                 "# with \\\\ for a backslash, \\0042 for a double quote and \\n for a line break\n"
                 "# (gnuplot's escapes); NaN means no value.  See docs/CHARTS.md.\n"
                 "# %s\n",
            n, n, chart_caption(k), n, rows, columns);
}
