/* page.h - DIR/index.html, the nightly report page (docs/CHARTS.md):
 * one static, self-contained HTML file (no script, no external asset; the
 * charts are the PNGs beside it, by relative name) with the cards
 * (page_cards.h), the charts and the slots of the new ones, a table of the
 * per-stage metrics, the stuck deals (page_stuck.h), the tables of
 * page_tables.h and what made the page (page_about.h).  Every
 * data-derived text goes through page_text.h. */
#ifndef FUNNEL_PAGE_H
#define FUNNEL_PAGE_H

#include <stdio.h>
#include "err.h"
#include "result.h"

struct page_opts {
    int charts;               /* 1: the five NAME.png are beside the page */
    int gnuplot_missing;      /* charts == 0 because gnuplot is not installed */
    const char *charts_error; /* charts == 0 for this reason (plain text), or NULL */
    const char *version;      /* funnel's version, for the footer */
    const char *command;      /* the command line that made the page (data: escaped), or NULL */
    const struct res_stuck *stuck;   /* the stuck-deals table, or NULL: left out */
    const struct res_fresh *fresh;   /* time range and freshness, or NULL: left out */
    /* The report of the same log one activity period earlier (as_of - P),
     * for the change on the money and days cards; NULL: no change shown. */
    const struct res_report *before;
    /* 1 when DIR/NAME.png of a chart beyond the five was written (chart
     * slots, page_slots.c); NULL: none was. */
    int (*has_png)(void *ctx, const char *name);
    void *png_ctx;
};

/* Write the page for r to out.  Returns 0, FB_EIO or FB_ENOMEM. */
int page_write(const struct res_report *r, const struct page_opts *o, FILE *out,
               struct fb_error *err) FB_MUST_USE;

#endif
