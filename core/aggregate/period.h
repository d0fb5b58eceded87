/* period.h - UTC calendar periods for cohorts (docs/METRICS.md §10):
 * days, ISO weeks (Monday 00:00 UTC, labelled by the year of their
 * Thursday), months, quarters and years, each numbered by a dense index so
 * that consecutive periods have consecutive indexes.  Periods are
 * half-open, [start, next start). */
#ifndef FUNNEL_PERIOD_H
#define FUNNEL_PERIOD_H

#include <stdint.h>

enum period_kind { PERIOD_NONE = 0, PERIOD_DAY, PERIOD_WEEK, PERIOD_MONTH, PERIOD_QUARTER, PERIOD_YEAR };

/* Room for a label: times lie in years 0..9999, so labels are at most 10
 * bytes, but the compiler checks the room for any int64_t. */
#define PERIOD_LABEL_MAX 48

/* The kind named s ("day", "week", "month", "quarter", "year"), or
 * PERIOD_NONE. */
enum period_kind period_parse(const char *s);
const char *period_name(enum period_kind k);

/* The index of the period holding Unix time t. */
int64_t period_index(enum period_kind k, int64_t t);

/* The Unix time at which period idx starts. */
int64_t period_start(enum period_kind k, int64_t idx);

/* The label of period idx into buf: 2026-01-05, 2026-W03, 2026-01,
 * 2026-Q1 or 2026. */
void period_label(enum period_kind k, int64_t idx, char buf[PERIOD_LABEL_MAX]);

#endif
