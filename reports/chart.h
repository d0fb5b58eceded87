/* chart.h - the five charts of a funnel report (docs/CHARTS.md, "The
 * charts"): for each, NAME.tsv (the data), NAME.gp (the gnuplot
 * script that reads it) and NAME.png (gnuplot pngcairo, 1200 pixels wide,
 * as high as its rows need: chart_height), written
 * side by side in one directory.
 *
 * Rendering and publishing are separate steps, so that a failure leaves
 * the previous complete set in place: chart_render writes every file under
 * a temporary name and checks every PNG; only then does chart_publish
 * rename them all into place. */
#ifndef FUNNEL_CHART_H
#define FUNNEL_CHART_H

#include <stddef.h>
#include <stdio.h>
#include "err.h"
#include "outpath.h"
#include "result.h"

enum chart_kind {
    CHART_FUNNEL,       /* funnel.png: entities reaching each stage */
    CHART_CONVERSION,   /* conversion.png: step and cumulative conversion, % */
    CHART_TIME,         /* time-in-stage.png: median and p90 days */
    CHART_DROPOUTS,     /* dropouts.png: lost, stale, open where they stopped */
    CHART_TOUCHES,      /* touches.png: marketing against sales touches */
    CHART_MONEY,        /* money.png: open value by stage, won, lost, stale, forecast */
    CHART_AGING,        /* aging.png: days open deals have been in their stage */
    /* Written only when the report has their data (chart_present). */
    CHART_TREND,        /* trend.png: entered, won, lost, went stale per period */
    CHART_COHORTS,      /* cohorts.png: conversion to won per entry cohort */
    CHART_BY1,          /* by-1.png .. by-8.png: win rate per group of each --by */
    CHART_BY_LAST = CHART_BY1 + 7,   /* --by's limit is 8 (docs/METRICS.md §4.17) */
    CHART_COUNT
};

#define CHART_WIDTH 1200
#define CHART_HEIGHT 800   /* trend and cohorts: periods run across, not down */
#define CHART_TIME_LIMIT_S 20

/* Pixels above and below the rows (title, subtitle, key; x axis and its
 * label), and the smallest height: with 2 stages the image is short
 * rather than mostly empty (docs/CHARTS.md, "Layout"). */
#define CHART_TOP_PX 124
#define CHART_BOTTOM_PX 84
#define CHART_MIN_HEIGHT 360

/* The height in pixels of a chart of `rows` bars or groups of bars:
 * fixed room above and below, and per row less room the more rows there
 * are (100 px up to 4 rows, 24 px from 33 on), at least CHART_MIN_HEIGHT. */
int chart_height_rows(size_t rows);

/* The height of chart k of report r: chart_height_rows of chart_rows for
 * the stage charts; trend and cohorts CHART_HEIGHT, by-K as its groups
 * need (chart_ext.c, docs/CHARTS.md). */
int chart_height(enum chart_kind k, const struct res_report *r);

/* "funnel", "conversion", "time-in-stage", "dropouts", "touches",
 * "money", "aging", "trend", "cohorts", "by-1" .. "by-8". */
const char *chart_name(enum chart_kind k);

/* 1 when report r has the data of chart k: always for the first five;
 * money only when some entity has a value (docs/METRICS.md §4.19), aging
 * only when some stage has open deals (§4.20), trend with a non-empty
 * --trend, cohorts with --cohort, by-K with a K-th --by that has groups.
 * An absent chart is not written, and the page leaves its slot out. */
int chart_present(enum chart_kind k, const struct res_report *r);

/* The rows of chart k: one per stage; money adds won, lost, stale and the
 * weighted forecast; aging has every stage but the last. */
size_t chart_rows(enum chart_kind k, const struct res_report *r);

/* A one-line description for a caption or alt text. */
const char *chart_caption(enum chart_kind k);

/* Files staged by chart_render, not yet in place. */
struct chart_set {
    char *dir;
    char *tmp[CHART_COUNT][3];    /* .tsv, .gp, .png temporary names (in dir) */
    int absent[CHART_COUNT];      /* not drawn (chart_present 0): an older one is removed */
    int render;                   /* PNGs were drawn (else an old PNG is left alone) */
};

/* Refuse (FB_EUSAGE, see outpath_refuse) when dir or a file the charts
 * would be published as (NAME.tsv, NAME.gp and, when render, NAME.png) is
 * the log or an input of the command.  Returns 0, FB_EUSAGE or FB_ENOMEM. */
int chart_refuse_inputs(const char *dir, int render, const struct outpath_inputs *in,
                        struct fb_error *err) FB_MUST_USE;

/* Create dir and its missing parents (like mkdir -p).  Returns 0 or FB_EIO. */
int chart_make_dir(const char *dir, struct fb_error *err) FB_MUST_USE;

/* Write every chart's .tsv and .gp under temporary names in dir, run
 * gnuplot (the executable at `gnuplot`, see chart_find_gnuplot) on each with
 * a limit of limit_s seconds, up to `jobs` at once (0 or 1: one after
 * another; the charts and any error are the same for every jobs), and
 * check each PNG.  With gnuplot NULL, only
 * the .tsv and .gp files are staged (no PNG; gnuplot is not needed).  On success *cs holds the
 * staged files for chart_publish; on failure nothing is left behind and
 * nothing in dir changed.  Returns 0, FB_EIO (with the chart and gnuplot's
 * reason) or FB_ENOMEM. */
int chart_render(const struct res_report *r, const char *dir, const char *gnuplot,
                 unsigned limit_s, unsigned jobs, struct chart_set *cs, struct fb_error *err) FB_MUST_USE;

/* Rename every staged file into place (NAME.tsv, NAME.gp, NAME.png), and
 * remove the files of an absent chart that an earlier run left in dir (a
 * money.png of last month's data must not pass for this one's).
 * Returns 0 or FB_EIO.  Always releases cs. */
int chart_publish(struct chart_set *cs, struct fb_error *err) FB_MUST_USE;

/* Remove whatever is still staged and release cs; a zeroed cs is fine. */
void chart_set_free(struct chart_set *cs);

/* Write chart k's data (.tsv) or script (.gp) for r to out.  The script
 * reads the data from the file named by the gnuplot variable `datafile`
 * (default NAME.tsv) and writes `outfile` (default NAME.png), so that
 * `cd DIR && gnuplot NAME.gp` redraws the chart.  Return 0, FB_EIO or
 * FB_ENOMEM. */
int chart_write_data(enum chart_kind k, const struct res_report *r, FILE *out,
                     struct fb_error *err) FB_MUST_USE;
int chart_write_script(enum chart_kind k, const struct res_report *r, FILE *out,
                       struct fb_error *err) FB_MUST_USE;

#endif
