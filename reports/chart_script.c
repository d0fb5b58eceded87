/* chart_script.c - a chart's .gp: the gnuplot script that draws NAME.png
 * from NAME.tsv.  Everything in it is fixed text, numbers, or a string made
 * inert by chart_quote (titles); stage names are read from the .tsv only.
 * Colours are the Okabe-Ito palette, safe for colour-blind readers. */
#include "chart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chart_ext.h"
#include "chart_label.h"
#include "chart_plan.h"

#define BLUE "'#0072B2'"
#define SKY "'#56B4E9'"
#define ORANGE "'#E69F00'"
#define VERMILLION "'#D55E00'"
#define GREEN "'#009E73'"
#define GREY "'#BBBBBB'"
#define BAND "'#FFF1A8'"
#define INK "'#222222'"
#define MUTED "'#666666'"

static const char *const titles[CHART_COUNT] = {
    [CHART_FUNNEL] = "Funnel: entities reaching each stage",
    [CHART_CONVERSION] = "Conversion by stage",
    [CHART_TIME] = "Time in stage",
    [CHART_DROPOUTS] = "Where entities drop out",
    [CHART_TOUCHES] = "Touches per stage: marketing against sales",
    [CHART_MONEY] = "Money: open value by stage, and what closed",
    [CHART_AGING] = "Aging: how long open deals have been in their stage",
};

static const char *const xlabels[CHART_COUNT] = {
    [CHART_FUNNEL] = "bar width: entities that reached the stage \xC2\xB7 right: conversion (%)",
    [CHART_CONVERSION] = "conversion (%)",
    [CHART_TIME] = "days in stage (median and 90th percentile)",
    [CHART_DROPOUTS] = "entities that stopped at the stage (stale: no touch for %s)",
    [CHART_TOUCHES] = "touches (events)",
    [CHART_MONEY] = "value (sum of the entities' amounts) \xC2\xB7 forecast: open value weighted by p(win) of its stage",
    [CHART_AGING] = "days in the current stage (open deals), against the time in stage of those who moved on",
};

static int prelude(const struct chart_plan *p, const char *xlabel, FILE *out, struct fb_error *err)
{
    const char *name = chart_name(p->kind);
    /* The height follows the rows (chart_height), so the title band and
     * the axis band are fixed in pixels and the rows fill the rest. */
    double h = p->height, pad = p->n == 0 ? 0.5 : 0;
    fprintf(out,
            "# %s.gp - %s; written by funnel (docs/CHARTS.md).\n"
            "# Redraw by hand:  cd DIR && gnuplot %s.gp   (reads %s.tsv, writes %s.png)\n"
            "# Restyle freely: colours, fonts, margins and ranges are set below.  Stage\n"
            "# names come from %s.tsv as data only; nothing here runs a command.\n"
            "datafile = exists(\"datafile\") ? datafile : '%s.tsv'\n"
            "outfile = exists(\"outfile\") ? outfile : '%s.png'\n"
            "set encoding utf8\n"
            "set terminal pngcairo size %d,%d noenhanced font 'Sans,11' background rgb '#ffffff'\n"
            "set output outfile\n"
            "set datafile separator \"\\t\"\n"
            "# A label not drawn on a row goes off the plot, not to NaN: gnuplot 5.4\n"
            "# crashes (SIGSEGV) on a labels plot whose only data row is undefined.\n"
            "off = 1e30\n"
            "set lmargin at screen %.3f\n"
            "set rmargin at screen %.3f\n"
            "set tmargin at screen %.3f\n"
            "set bmargin at screen %.3f\n"
            "set label 1 ",
            name, chart_caption(p->kind), name, name, name, name, name, name, CHART_WIDTH,
            p->height, p->lmargin, PLAN_RMARGIN, 1 - CHART_TOP_PX / h, CHART_BOTTOM_PX / h);
    if (chart_put_quoted(out, titles[p->kind], err))
        return FB_ENOMEM;
    fprintf(out, " at screen 0.5,%.4f center font 'Sans Bold,18' textcolor rgb '#111111'\n"
                 "set label 2 ", 1 - 36 / h);
    if (chart_put_quoted(out, p->subtitle, err))
        return FB_ENOMEM;
    fprintf(out,
            " at screen 0.5,%.4f center font 'Sans,12' textcolor rgb '#444444'\n"
            "set key at screen 0.5,%.4f center top horizontal reverse Left maxrows 1 noautotitle samplen 1.5 width 1 font ',11'\n"
            "set border 1 linecolor rgb '#888888'\n"
            "set yrange [%.1f:%.1f]\n"
            "set ytics scale 0 nomirror font ',%d' textcolor rgb '#222222'\n"
            "set xrange [%.6g:%.6g]\n"
            "set xtics nomirror out scale 0.5 textcolor rgb '#444444'\n"
            "set grid xtics linecolor rgb '#e4e4e4' linewidth 1 dashtype 1\n"
            "set xlabel ",
            1 - 68 / h, 1 - 84 / h, (double)p->n - 0.5 + pad, -0.5 - pad, p->tic_pt, p->xmin, p->xmax);
    if (chart_put_quoted(out, xlabel, err))
        return FB_ENOMEM;
    fputs(" textcolor rgb '#333333'\n"
          "set style fill solid 1.0 noborder\n", out);
    if (p->xtics[0])
        fprintf(out, "set xtics %s\n", p->xtics);
    return 0;
}

/* Columns: 1 row, 2 stage, 3 label, 4 reached, 5-6 conversion %, 7 no
 * events (1: everyone there skipped it, drawn hatched grey), 8 reached
 * text, 9 conversion text, 10 from-first text, 11 count fits inside. */
static void plot_funnel(const struct chart_plan *p, FILE *out)
{
    int f = p->label_pt;
    fprintf(out,
            "unset xtics\nunset grid\nunset border\n"
            "xcol = %.6g   # where the conversion column starts\n"
            "plot datafile using (0):1:ytic(3) with points pointtype 7 pointsize 0.1 linecolor rgb '#FF000000', \\\n"
            "     '' using ($7 == 1 ? NaN : 0):1:($4/2):(0.40) with boxxyerror fillcolor rgb " BLUE ", \\\n"
            "     '' using ($7 == 1 ? 0 : NaN):1:($4/2):(0.40) with boxxyerror fillstyle pattern 2 border linecolor rgb '#888888' fillcolor rgb '#888888', \\\n"
            "     '' using ($11 == 1 ? 0 : off):1:8 with labels center textcolor rgb '#ffffff' font 'Sans Bold,%d', \\\n"
            "     '' using ($11 == 1 ? off : $4/2):1:8 with labels left offset 0.6,0 textcolor rgb " INK " font 'Sans Bold,%d', \\\n"
            "     '' using (xcol):1:9 with labels left offset 0,0.5 textcolor rgb " INK " font 'Sans,%d', \\\n"
            "     '' using (xcol):1:10 with labels left offset 0,-0.55 textcolor rgb " MUTED " font 'Sans,%d'\n",
            p->xcol, f, f, f, f - 1);
}

/* Two bars per stage: value columns a and b, text columns ta and tb. */
static void plot_pair(const struct chart_plan *p, FILE *out, const char *ca, const char *ta,
                      const char *cb, const char *tb, int a, int b, int xa, int xb)
{
    int f = p->label_pt;
    fprintf(out,
            "plot datafile using (0):1:ytic(3) with points pointtype 7 pointsize 0.1 linecolor rgb '#FF000000', \\\n"
            "     '' using ($%d/2):($1-0.2):($%d/2):(0.18) with boxxyerror fillcolor rgb %s title '%s', \\\n"
            "     '' using ($%d/2):($1+0.2):($%d/2):(0.18) with boxxyerror fillcolor rgb %s title '%s', \\\n"
            "     '' using (valid(%d) ? $%d : 0):($1-0.2):%d with labels left offset 0.6,0 textcolor rgb " INK " font 'Sans,%d', \\\n"
            "     '' using (valid(%d) ? $%d : 0):($1+0.2):%d with labels left offset 0.6,0 textcolor rgb " INK " font 'Sans,%d'",
            a, a, ca, ta, b, b, cb, tb, a, a, xa, f, b, b, xb, f);
}

/* Columns: 4 step %, 5 cumulative %, 6 no events, 7-8 texts.  A stage
 * with no events has its bars hatched grey: its rate is credit, not
 * measurement. */
static void plot_conversion(const struct chart_plan *p, FILE *out)
{
    fputs("set xtics 0,10,100 format '%g%%'\n", out);
    plot_pair(p, out, BLUE, "step: from the previous stage", SKY, "cumulative: from the first stage",
              4, 5, 7, 8);
    /* White boxes first, so the blue of plot_pair does not show through the hatch. */
    fputs(", \\\n     '' using ($6 == 1 ? $4/2 : NaN):($1-0.2):($4/2):(0.18) with boxxyerror fillcolor rgb '#ffffff', \\\n"
          "     '' using ($6 == 1 ? $5/2 : NaN):($1+0.2):($5/2):(0.18) with boxxyerror fillcolor rgb '#ffffff', \\\n"
          "     '' using ($6 == 1 ? $4/2 : NaN):($1-0.2):($4/2):(0.18) with boxxyerror fillstyle pattern 2 border"
          " linecolor rgb '#888888' fillcolor rgb '#888888' title 'no events (credited)', \\\n"
          "     '' using ($6 == 1 ? $5/2 : NaN):($1+0.2):($5/2):(0.18) with boxxyerror fillstyle pattern 2 border"
          " linecolor rgb '#888888' fillcolor rgb '#888888'\n", out);
}

static void plot_time(const struct chart_plan *p, FILE *out)
{
    plot_pair(p, out, BLUE, "median", SKY, "90th percentile", 4, 5, 7, 8);
    fprintf(out, ", \\\n     '' using (0):1:9 with labels left offset 0.6,0 textcolor rgb " MUTED
                 " font 'Sans Italic,%d'\n", p->label_pt);
}

static void plot_touches(const struct chart_plan *p, FILE *out)
{
    plot_pair(p, out, ORANGE, "marketing (one-to-many)", BLUE, "sales (one-to-one)", 4, 5, 6, 7);
    fputc('\n', out);
}

/* Columns: 4 lost, 5 stale, 6 open, 7 won, 8 total, 9 text, 10 drop-out
 * point.  The drop-out point's row is underlaid with a band. */
static void plot_dropouts(const struct chart_plan *p, FILE *out)
{
    fprintf(out,
            "plot datafile using ($10 == 1 ? %.6g : NaN):1:(%.6g):(0.5) with boxxyerror fillcolor rgb " BAND ", \\\n"
            "     '' using ($4/2):1:($4/2):(0.38):ytic(3) with boxxyerror fillcolor rgb " VERMILLION " title 'lost', \\\n"
            "     '' using ($4+$5/2):1:($5/2):(0.38) with boxxyerror fillcolor rgb " ORANGE " title 'stale', \\\n"
            "     '' using ($4+$5+$6/2):1:($6/2):(0.38) with boxxyerror fillcolor rgb " GREY " title 'open', \\\n"
            "     '' using ($4+$5+$6+$7/2):1:($7/2):(0.38) with boxxyerror fillcolor rgb " GREEN " title 'won', \\\n"
            "     '' using ($10 == 1 ? off : $8):1:9 with labels left offset 0.6,0 textcolor rgb " INK " font 'Sans,%d', \\\n"
            "     '' using ($10 == 1 ? $8 : off):1:9 with labels left offset 0.6,0 textcolor rgb " INK " font 'Sans Bold,%d'\n",
            (p->xmin + p->xmax) / 2, (p->xmax - p->xmin) / 2, p->label_pt, p->label_pt);
}

/* Columns: 4 value, 5 kind (0 open value of a stage, 1 won, 2 lost, 3
 * stale, 4 weighted forecast), 6 text.  The forecast is hatched: it is
 * an expectation, not money anyone holds; a dotted line sets the closed
 * and forecast rows apart from the stages. */
static void plot_money(const struct chart_plan *p, size_t nstages, FILE *out)
{
    fprintf(out,
            "set arrow 1 from graph 0, first %.1f to graph 1, first %.1f nohead dashtype 2 linecolor rgb '#999999'\n"
            "plot datafile using (0):1:ytic(3) with points pointtype 7 pointsize 0.1 linecolor rgb '#FF000000', \\\n"
            "     '' using ($5 == 0 ? $4/2 : NaN):1:($4/2):(0.38) with boxxyerror fillcolor rgb " BLUE " title 'open value', \\\n"
            "     '' using ($5 == 1 ? $4/2 : NaN):1:($4/2):(0.38) with boxxyerror fillcolor rgb " GREEN " title 'won', \\\n"
            "     '' using ($5 == 2 ? $4/2 : NaN):1:($4/2):(0.38) with boxxyerror fillcolor rgb " VERMILLION " title 'lost', \\\n"
            "     '' using ($5 == 3 ? $4/2 : NaN):1:($4/2):(0.38) with boxxyerror fillcolor rgb " ORANGE " title 'stale', \\\n"
            "     '' using ($5 == 4 ? $4/2 : NaN):1:($4/2):(0.38) with boxxyerror fillstyle pattern 4 border linecolor rgb " BLUE " fillcolor rgb " BLUE " title 'weighted forecast', \\\n"
            "     '' using (valid(4) ? $4 : 0):1:6 with labels left offset 0.6,0 textcolor rgb " INK " font 'Sans,%d'\n",
            (double)nstages - 0.5, (double)nstages - 0.5, p->label_pt);
}

/* Columns: 4 open median, 5 open p90, 6 movers' median, 7 Kaplan-Meier
 * median (days), 8 open deals, 9 where the label starts, 10 text. */
static void plot_aging(const struct chart_plan *p, FILE *out)
{
    fprintf(out,
            "plot datafile index 0 using (0):1:ytic(3) with points pointtype 7 pointsize 0.1 linecolor rgb '#FF000000', \\\n"
            "     '' index 0 using ($4/2):($1-0.17):($4/2):(0.15) with boxxyerror fillcolor rgb " BLUE " title 'open deals: median', \\\n"
            "     '' index 0 using ($5/2):($1+0.17):($5/2):(0.15) with boxxyerror fillcolor rgb " SKY " title 'open deals: 90th percentile', \\\n"
            "     '' index 1 using 2:($1+0.17) with points pointtype 7 pointsize 0.7 linecolor rgb '#600072B2' title 'beyond p90 (20 longest)', \\\n"
            "     '' index 0 using 6:1 with points pointtype 13 pointsize 1.8 linecolor rgb " ORANGE " title 'moved on: median time in stage', \\\n"
            "     '' index 0 using 7:1 with points pointtype 9 pointsize 1.8 linecolor rgb " VERMILLION " title 'Kaplan-Meier median', \\\n"
            "     '' index 0 using 9:1:10 with labels left offset 1.4,0 textcolor rgb " INK " font 'Sans,%d'\n",
            p->label_pt);
}

/* "30 days", "12 hours", "90 s". */
static void duration_text(int64_t s, char *buf, size_t cap)
{
    if (s > 0 && s % 86400 == 0)
        snprintf(buf, cap, "%lld day%s", (long long)(s / 86400), s == 86400 ? "" : "s");
    else if (s > 0 && s % 3600 == 0)
        snprintf(buf, cap, "%lld hour%s", (long long)(s / 3600), s == 3600 ? "" : "s");
    else
        snprintf(buf, cap, "%lld s", (long long)s);
}

int chart_write_script(enum chart_kind k, const struct res_report *r, FILE *out,
                       struct fb_error *err)
{
    struct chart_plan p;
    char st[64], xlabel[160];
    if (k >= CHART_TREND)
        return chart_ext_write_script(k, r, out, err);
    int rc = chart_plan_build(k, r, &p, err);
    if (rc)
        return rc;
    if (k == CHART_DROPOUTS) {
        duration_text(r->stale_after_s, st, sizeof st);
        snprintf(xlabel, sizeof xlabel, xlabels[k], st);
    } else {
        snprintf(xlabel, sizeof xlabel, "%s", xlabels[k]);
    }
    rc = prelude(&p, xlabel, out, err);
    if (rc == 0) {
        switch (k) {
        case CHART_FUNNEL: plot_funnel(&p, out); break;
        case CHART_CONVERSION: plot_conversion(&p, out); break;
        case CHART_TIME: plot_time(&p, out); break;
        case CHART_DROPOUTS: plot_dropouts(&p, out); break;
        case CHART_MONEY: plot_money(&p, r->nstages, out); break;
        case CHART_AGING: plot_aging(&p, out); break;
        default: plot_touches(&p, out); break;
        }
    }
    chart_plan_free(&p);
    if (rc == 0 && ferror(out))
        rc = fb_fail(err, FB_EIO, "cannot write chart script: %s", strerror(errno));
    return rc;
}
