/* chart_groups.c - the by-K charts: for the K-th --by, the win rate of
 * closed deals of each of its shown groups (the 12 largest and `other`,
 * the rows of the page's table: report_rows.c) as a horizontal bar with
 * its 95% interval, in the report's order, all on one 0-100% scale
 * (docs/CHARTS.md, "Trend, cohorts and groups"; docs/METRICS.md §4.17).
 * Group values come from the CRM: they reach gnuplot as .tsv data only. */
#include "chart_ext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart_glyphs.h"
#include "chart_label.h"
#include "report_rows.h"

#define TIC_PT 11
#define LABEL_PT 10
/* Pixels per em per point as pngcairo draws (as chart_plan.c). */
#define PX_PER_EM_PT 1.333

unsigned chart_groups_height(size_t nrows)
{
    unsigned h = 215 + 44 * (unsigned)nrows;
    return h < 320 ? 320 : h;
}

/* The shown name of a row: "(none)" for the null group, "other (N
 * groups)", else the value cleaned; and, in *label, as the font draws it. */
static int row_name(const struct rpt_row *x, char **name, char **label, struct fb_error *err)
{
    char buf[64];
    *name = *label = NULL;
    int rc;
    if (!x->g) {
        snprintf(buf, sizeof buf, "other (%zu groups)", x->nother);
        rc = (*name = strdup(buf)) ? 0 : fb_fail(err, FB_ENOMEM, "out of memory");
    } else if (!x->g->name) {
        rc = (*name = strdup("(none)")) ? 0 : fb_fail(err, FB_ENOMEM, "out of memory");
    } else {
        rc = chart_clean(x->g->name, x->g->len, name, err);
    }
    if (rc == 0)
        rc = chart_drawable(*name, label, err);
    return rc;
}

/* "45.7% (12 won of 26 closed) · 40 entities", or why there is no rate. */
static void row_text(const struct rpt_row *x, const struct rpt_rates *t, char *buf, size_t cap)
{
    char p[32], w[32], c[32], e[32];
    chart_fmt_pct(t->closed, p, sizeof p);
    chart_fmt_count(x->won, w, sizeof w);
    chart_fmt_count(x->won + x->lost, c, sizeof c);
    chart_fmt_count(x->entities, e, sizeof e);
    const char *ents = x->entities == 1 ? "entity" : "entities";
    if (isnan(t->closed))
        snprintf(buf, cap, "n/a: none closed \xC2\xB7 %s %s", e, ents);
    else
        snprintf(buf, cap, "%s (%s won of %s closed) \xC2\xB7 %s %s", p, w, c, e, ents);
}

struct grows {
    size_t n;
    struct rpt_row rows[RPT_TOP_GROUPS + 1];
    char *name[RPT_TOP_GROUPS + 1], *label[RPT_TOP_GROUPS + 1];
    char text[RPT_TOP_GROUPS + 1][160];
    struct rpt_rates rate[RPT_TOP_GROUPS + 1];
};

static void grows_free(struct grows *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->name[i]);
        free(g->label[i]);
    }
}

static int grows_make(const struct res_dim *d, struct grows *g, struct fb_error *err)
{
    memset(g, 0, sizeof *g);
    size_t n = rpt_rows_groups(d, g->rows);
    for (size_t i = 0; i < n; i++) {
        g->n = i + 1;
        if (row_name(&g->rows[i], &g->name[i], &g->label[i], err))
            return FB_ENOMEM;
        g->rate[i] = rpt_rows_rates(&g->rows[i]);
        row_text(&g->rows[i], &g->rate[i], g->text[i], sizeof g->text[i]);
    }
    return 0;
}

static void put_pct(FILE *out, double v)
{
    if (isnan(v))
        fputs("\tNaN", out);
    else
        fprintf(out, "\t%.4f", 100.0 * v);
}

int chart_groups_data(enum chart_kind k, const struct res_report *r, FILE *out,
                      struct fb_error *err)
{
    struct grows g;
    int rc = grows_make(chart_ext_dim(k, r), &g, err);
    chart_ext_tsv_head(out, k, "One row per shown group, in the report's order (entities descending)",
                       "row\tgroup\tlabel\twin_rate_closed_pct\tlow_pct\thigh_pct\tentities\twon\tclosed\ttext");
    for (size_t i = 0; i < g.n && rc == 0; i++) {
        const struct rpt_row *x = &g.rows[i];
        fprintf(out, "%zu\t", i);
        rc = chart_tsv_text(out, g.name[i], 0, err);
        if (rc == 0)
            putc('\t', out), rc = chart_tsv_text(out, g.label[i], 1, err);
        if (rc)
            break;
        put_pct(out, g.rate[i].closed);
        put_pct(out, g.rate[i].closed_ci.lo);
        put_pct(out, g.rate[i].closed_ci.hi);
        fprintf(out, "\t%llu\t%llu\t%llu\t", (unsigned long long)x->entities,
                (unsigned long long)x->won, (unsigned long long)(x->won + x->lost));
        rc = chart_tsv_text(out, g.text[i], 0, err);
        putc('\n', out);
    }
    grows_free(&g);
    return rc;
}

static double text_px(const char *s, int pt) { return chart_text_em(s) * pt * PX_PER_EM_PT; }

/* Left edge of the plot: right of the widest line of any wrapped label. */
static double left_margin(const struct grows *g)
{
    double widest = 0;
    for (size_t i = 0; i < g->n; i++) {
        char *s = g->label[i];
        size_t skip, at = chart_wrap_point(s, &skip);
        if (at) {
            char keep = s[at];
            s[at] = '\0';
            widest = fmax(widest, text_px(s, TIC_PT));
            s[at] = keep;
            widest = fmax(widest, text_px(s + at + skip, TIC_PT));
        } else {
            widest = fmax(widest, text_px(s, TIC_PT));
        }
    }
    return fmin(0.42, fmax(0.08, (widest + 24) / CHART_WIDTH));
}

int chart_groups_script(enum chart_kind k, const struct res_report *r, FILE *out,
                        struct fb_error *err)
{
    const struct res_dim *d = chart_ext_dim(k, r);
    struct grows g;
    char date[64], sub[200], title[160];
    int rc = grows_make(d, &g, err);
    if (rc) {
        grows_free(&g);
        return rc;
    }
    double lm = left_margin(&g), plot = (0.965 - lm) * CHART_WIDTH, w = 0;
    for (size_t i = 0; i < g.n; i++)
        w = fmax(w, text_px(g.text[i], LABEL_PT) + 1.2 * LABEL_PT);
    /* Bars span 0..100; the value labels stand in a column right of 100. */
    double xmax = 101.5 / (1 - fmin(w / plot, 0.55));
    chart_fmt_as_of(r->has_as_of, r->as_of, date, sizeof date);
    if (d->n > RPT_TOP_GROUPS)
        snprintf(sub, sizeof sub, "%s \xC2\xB7 the %d largest of %zu groups, the rest as other",
                 date, RPT_TOP_GROUPS, d->n);
    else
        snprintf(sub, sizeof sub, "%s \xC2\xB7 %zu group%s, largest first", date, d->n,
                 d->n == 1 ? "" : "s");
    /* The attribute's name as given to --by: printed through chart_quote. */
    snprintf(title, sizeof title, "Win rate by %.120s", d->name ? d->name : "?");
    unsigned h = chart_groups_height(g.n);
    rc = chart_ext_prelude(out, k, h, lm, title, sub, err);
    if (rc == 0)
        fprintf(out,
                "set yrange [%.1f:-0.5]\n"
                "set ytics scale 0 nomirror font ',%d' textcolor rgb '#222222'\n"
                "set xrange [0:%.6g]\n"
                "set xtics 0,10,100 format '%%g%%%%'\n"
                "set grid xtics linecolor rgb '#e4e4e4' linewidth 1 dashtype 1\n"
                "set border 1 linecolor rgb '#888888'\n"
                "set xlabel 'win rate of closed deals: won / (won + lost), %%' textcolor rgb '#333333'\n"
                "plot datafile using (0):1:ytic(3) with points pointtype 7 pointsize 0.1 linecolor rgb '#FF000000', \\\n"
                "     '' using ($4/2):1:($4/2):(0.32) with boxxyerror fillcolor rgb " CX_BLUE
                " title 'win rate (closed)', \\\n"
                "     '' using 4:1:5:6 with xerrorbars pointtype 0 linewidth 1.2 linecolor rgb " CX_INK
                " title '95%% interval', \\\n"
                "     '' using (101.5):1:10 with labels left textcolor rgb " CX_INK " font 'Sans,%d'\n",
                (double)g.n - 0.5, TIC_PT, xmax, LABEL_PT);
    grows_free(&g);
    return rc;
}
