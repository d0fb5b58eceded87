/* chart_plan.h - what one chart shows and how it is laid out, computed once
 * from the report and then written out twice: as data (chart_data.c, the
 * .tsv) and as a script (chart_script.c, the .gp).  Internal to reports/.
 *
 * Layout is decided here, not left to gnuplot, because it depends on the
 * labels: the left margin on the longest stage name, the x range on the
 * room each bar's value label needs to its right, the font sizes on the
 * number of stages (2 to 16 stay legible; more still render). */
#ifndef FUNNEL_CHART_PLAN_H
#define FUNNEL_CHART_PLAN_H

#include <stddef.h>
#include "chart.h"
#include "err.h"
#include "result.h"

#define PLAN_NUMS 6
#define PLAN_TEXTS 4
#define PLAN_TICS_MAX 640

struct plan_row {
    char *name;                 /* the stage name, cleaned (chart_clean) */
    char *label;                /* the same, as the font can draw it (chart_drawable) */
    double num[PLAN_NUMS];      /* numeric columns, NaN = none */
    char *text[PLAN_TEXTS];     /* value labels, NULL = none */
    int flag;                   /* funnel: count fits inside the bar; dropouts: drop-out point */
};

struct chart_plan {
    enum chart_kind kind;
    size_t n;
    struct plan_row *rows;
    int nnums, ntexts;          /* columns in use */
    double xmin, xmax;          /* x range */
    double xcol;                /* funnel: x of the conversion column */
    double lmargin;             /* left edge of the plot, screen fraction */
    int tic_pt, label_pt;       /* font sizes */
    char *subtitle;             /* cleaned text */
    int height;                 /* pixels (chart_height) */
    char xtics[PLAN_TICS_MAX];  /* "('0' 0, '1,000' 1000, ...)": x tic labels with
                                 * thousands separators; "" = gnuplot's own */
};

/* The right edge of the plot area (screen fraction); the top and bottom
 * are CHART_TOP_PX and CHART_BOTTOM_PX from the image's edges. */
#define PLAN_RMARGIN 0.965

/* Set p->xtics to about six evenly spaced tics over [p->xmin, p->xmax]
 * (steps of 1, 2 or 5 times a power of ten), each labelled with thousands
 * separators (chart_fmt_count; one decimal when the step is below 1) and
 * then unit ("" or " d").  gnuplot's own labels have no separators under
 * LC_ALL=C, and a locale is not something to rely on. */
void chart_plan_tics(struct chart_plan *p, const char *unit);

/* 1 when stage i of r has no events although entities reached it: every
 * one of them skipped it and was credited by the funnel rule
 * (docs/METRICS.md §4.13: with_event 0, skipped = reached).  Such a stage
 * is drawn hatched grey and labelled, never as a measured 100%. */
int chart_no_events(const struct res_report *r, size_t i);

int chart_plan_build(enum chart_kind k, const struct res_report *r, struct chart_plan *p,
                     struct fb_error *err) FB_MUST_USE;
void chart_plan_free(struct chart_plan *p);

#endif
