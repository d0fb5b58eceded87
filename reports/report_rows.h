/* report_rows.h - the rows that `replay --text` and the page both show
 * (docs/METRICS.md §4.15-§4.18): a breakdown's 12 largest groups and an
 * `other` row summing the rest, and the trend's "advanced" count.  Both
 * writers take their rows from here, so they cannot disagree on which
 * groups are shown or what `other` holds. */
#ifndef FUNNEL_REPORT_ROWS_H
#define FUNNEL_REPORT_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "result.h"

/* Groups a breakdown shows by name; the rest are summed into `other`. */
#define RPT_TOP_GROUPS 12

/* One row of a breakdown or cohort table: counts and exact money sums
 * only, so that the `other` row is a plain sum and every rate is computed from the counts
 * by the same formula (rpt_rows_rates). */
struct rpt_row {
    const struct res_group *g;    /* borrowed; NULL for the `other` row */
    size_t nother;                /* `other`: how many groups it sums */
    uint64_t entities, won, lost, stale, open;
    uint64_t first, last;         /* reached (§4.11) at the first and the last stage */
    struct money_sum won_value, open_value;   /* value.won, value.open (§4.19) */
};

/* The rates of a row (NaN: null), as report.json defines them for a group
 * (docs/METRICS.md §4.6, §4.12): win_rate, win_rate_closed and the
 * conversion from the first stage to the last, with their intervals. */
struct rpt_rates {
    double win, closed, conv;
    struct res_ci win_ci, closed_ci, conv_ci;
};

/* The row of one group or cohort. */
struct rpt_row rpt_rows_of(const struct res_group *g);

/* The rows of dim into rows[0..RPT_TOP_GROUPS]: its first RPT_TOP_GROUPS
 * groups in report order (entities descending), then, when it has more,
 * one `other` row (g == NULL) summing the rest.  Returns the row count. */
size_t rpt_rows_groups(const struct res_dim *dim, struct rpt_row rows[RPT_TOP_GROUPS + 1]);

/* The rates of row x. */
struct rpt_rates rpt_rows_rates(const struct rpt_row *x);

/* Entries into stages 2.. in a span of r (trend or activity): the trend's
 * "advanced" (docs/METRICS.md §4.15). */
uint64_t rpt_rows_advanced(const struct res_report *r, const struct res_span *sp);

/* A duration as --period reads it, the largest unit that divides it:
 * "2w", "7d", "36h", "90m" or "45s" (activity's span, §4.16). */
void rpt_rows_duration(char *buf, size_t n, int64_t s);

#endif
