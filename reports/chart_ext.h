/* chart_ext.h - the charts whose rows are not stages (docs/CHARTS.md,
 * "Trend, cohorts and groups"): trend (periods, chart_trend.c), cohorts
 * (entry periods, chart_trend.c) and by-K (the groups of the K-th --by,
 * chart_groups.c).  Internal to reports/; chart.c and chart_data.c /
 * chart_script.c hand these kinds over here.  The safety rules are the
 * five charts': data-derived text reaches gnuplot only as a .tsv field or
 * as one chart_quote token. */
#ifndef FUNNEL_CHART_EXT_H
#define FUNNEL_CHART_EXT_H

#include <stdio.h>
#include "chart.h"
#include "err.h"
#include "result.h"

/* See chart_present and chart_height in chart.h. */
int chart_ext_present(enum chart_kind k, const struct res_report *r);
unsigned chart_ext_height(enum chart_kind k, const struct res_report *r);

/* See chart_write_data and chart_write_script in chart.h. */
int chart_ext_write_data(enum chart_kind k, const struct res_report *r, FILE *out,
                         struct fb_error *err) FB_MUST_USE;
int chart_ext_write_script(enum chart_kind k, const struct res_report *r, FILE *out,
                           struct fb_error *err) FB_MUST_USE;

/* The dimension of chart k in r (by-K: the K-th breakdown; cohorts: the
 * cohorts), NULL when r has none. */
const struct res_dim *chart_ext_dim(enum chart_kind k, const struct res_report *r);

/* The header every chart_ext script opens with: comments, datafile and
 * outfile, a 1200 x height pngcairo terminal, the margins (left at lmargin,
 * the others fixed in pixels), the title and the subtitle (each one inert
 * token) and the key.  Returns 0 or FB_ENOMEM. */
int chart_ext_prelude(FILE *out, enum chart_kind k, unsigned height, double lmargin,
                      const char *title, const char *subtitle, struct fb_error *err) FB_MUST_USE;

/* `set yrange [0:TOP]` and `set ytics (...)` for counts up to max, every
 * tick labelled with thousands separators ("12,000"): gnuplot runs in the
 * C locale, whose %'d has none, so the labels are written out here. */
void chart_ext_count_tics(FILE *out, double max);

/* `set xtics (...)` naming the periods labels[0..n) at x = 0..n-1, at most
 * about 14 of them (every step-th, and always the last), rotated when
 * there are more than 8.  Returns 0 or FB_ENOMEM. */
int chart_ext_period_tics(FILE *out, const char *const *labels, size_t n,
                          struct fb_error *err) FB_MUST_USE;

/* Write the .tsv header: what the file is and its column names. */
void chart_ext_tsv_head(FILE *out, enum chart_kind k, const char *rows, const char *columns);

/* Per chart: chart_trend.c (trend, cohorts) and chart_groups.c (by-K). */
int chart_trend_data(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;
int chart_trend_script(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;
int chart_cohorts_data(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;
int chart_cohorts_script(const struct res_report *r, FILE *out, struct fb_error *err) FB_MUST_USE;
int chart_groups_data(enum chart_kind k, const struct res_report *r, FILE *out,
                      struct fb_error *err) FB_MUST_USE;
int chart_groups_script(enum chart_kind k, const struct res_report *r, FILE *out,
                        struct fb_error *err) FB_MUST_USE;
/* The height of a by-K chart of nrows bars. */
unsigned chart_groups_height(size_t nrows);

/* Okabe-Ito colours, as chart_script.c uses them. */
#define CX_BLUE "'#0072B2'"
#define CX_SKY "'#56B4E9'"
#define CX_PALE "'#B9DCF2'"
#define CX_ORANGE "'#E69F00'"
#define CX_VERMILLION "'#D55E00'"
#define CX_GREEN "'#009E73'"
#define CX_INK "'#222222'"
#define CX_MUTED "'#666666'"

#endif
