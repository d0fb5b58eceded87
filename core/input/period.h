/* period.h - UTC calendar periods for trends and cohorts (docs/METRICS.md
 * §4.15 and §4.18): day, ISO week (Monday 00:00, labelled by the year of
 * its Thursday), month, quarter, year.  A period is half-open [start,
 * next start).  Periods are numbered by a monotone index
 * (one per period, consecutive), so "periods from a to b" is an index
 * difference and a bucket is period_index(u, t) - period_index(u, first).
 * Pure functions: no allocation, no locale, no time zone.
 */
#ifndef FUNNEL_PERIOD_H
#define FUNNEL_PERIOD_H

#include <stdint.h>

enum period_unit {
    PERIOD_DAY,
    PERIOD_WEEK,
    PERIOD_MONTH,
    PERIOD_QUARTER,
    PERIOD_YEAR,
};

/* A label and its NUL fit in this many bytes ("2026-01-05", "2026-W03",
 * "2026-01", "2026-Q1", "2026"; years before 0 print with a sign). */
#define PERIOD_LABEL_MAX 24

/* Parse "day", "week", "month", "quarter" or "year" (exact, lower case).
 * Returns 0 and stores the unit, or -1. */
int period_parse(const char *s, enum period_unit *out);

/* The unit's name as period_parse reads it. */
const char *period_name(enum period_unit u);

/* The index of the period holding t (Unix seconds, any int64 within
 * [FTIME_MIN - 1 year, FTIME_MAX + 1 year]); consecutive periods have
 * consecutive indexes. */
int64_t period_index(enum period_unit u, int64_t t);

/* The first second of period idx: period_index(u, period_start(u, i)) == i
 * and period_start(u, i + 1) is the next start. */
int64_t period_start(enum period_unit u, int64_t idx);

/* Write period idx's label plus NUL into buf (>= PERIOD_LABEL_MAX bytes).
 * Returns the label's length. */
int period_label(enum period_unit u, int64_t idx, char *buf);

#endif
