/* period.c - UTC calendar periods (core/input/period.h; docs/METRICS.md
 * §4.15: UTC, half-open, ISO weeks by the year of their Thursday).
 * Indexes: days since 1970-01-01, weeks since Monday 1970-01-05, months
 * and quarters since year 0, years.  Every division floors, so times
 * before 1970 fall into the right period too.
 */
#include "period.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ftime.h"

#define DAY INT64_C(86400)
/* 1970-01-01 was a Thursday: the Monday that starts week 0 is day 4. */
#define WEEK0_DAY 4

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return q - (a % b != 0 && (a < 0) != (b < 0));
}

static const char *const NAMES[] = {
    [PERIOD_DAY] = "day",
    [PERIOD_WEEK] = "week",
    [PERIOD_MONTH] = "month",
    [PERIOD_QUARTER] = "quarter",
    [PERIOD_YEAR] = "year",
};

int period_parse(const char *s, enum period_unit *out)
{
    for (int u = PERIOD_DAY; u <= PERIOD_YEAR; u++)
        if (strcmp(s, NAMES[u]) == 0) {
            *out = (enum period_unit)u;
            return 0;
        }
    return -1;
}

const char *period_name(enum period_unit u)
{
    return NAMES[u];
}

int64_t period_index(enum period_unit u, int64_t t)
{
    int64_t days = floor_div(t, DAY);
    if (u == PERIOD_DAY)
        return days;
    if (u == PERIOD_WEEK)
        return floor_div(days - WEEK0_DAY, 7);
    int64_t y;
    unsigned m, d;
    ftime_civil_from_days(days, &y, &m, &d);
    if (u == PERIOD_MONTH)
        return y * 12 + (m - 1);
    if (u == PERIOD_QUARTER)
        return y * 4 + (m - 1) / 3;
    return y;
}

int64_t period_start(enum period_unit u, int64_t idx)
{
    switch (u) {
    case PERIOD_DAY:
        return idx * DAY;
    case PERIOD_WEEK:
        return (idx * 7 + WEEK0_DAY) * DAY;
    case PERIOD_MONTH:
        return ftime_days_from_civil(floor_div(idx, 12), (unsigned)(idx - floor_div(idx, 12) * 12) + 1, 1) * DAY;
    case PERIOD_QUARTER:
        return ftime_days_from_civil(floor_div(idx, 4), (unsigned)(idx - floor_div(idx, 4) * 4) * 3 + 1, 1) * DAY;
    case PERIOD_YEAR:
        return ftime_days_from_civil(idx, 1, 1) * DAY;
    }
    return 0;
}

int period_label(enum period_unit u, int64_t idx, char *buf)
{
    int64_t y;
    unsigned m, d;
    int n = 0;
    switch (u) {
    case PERIOD_DAY:
        ftime_civil_from_days(idx, &y, &m, &d);
        n = snprintf(buf, PERIOD_LABEL_MAX, "%04" PRId64 "-%02u-%02u", y, m, d);
        break;
    case PERIOD_WEEK: {
        /* The ISO week-numbering year is the year of the week's Thursday,
         * and its week 1 is the one holding that year's first Thursday, so
         * the week number is the Thursday's day of the year / 7 + 1. */
        int64_t thursday = idx * 7 + WEEK0_DAY + 3;
        ftime_civil_from_days(thursday, &y, &m, &d);
        int64_t doy = thursday - ftime_days_from_civil(y, 1, 1);
        n = snprintf(buf, PERIOD_LABEL_MAX, "%04" PRId64 "-W%02u", y, (unsigned)(doy / 7 + 1));
        break;
    }
    case PERIOD_MONTH:
        n = snprintf(buf, PERIOD_LABEL_MAX, "%04" PRId64 "-%02u", floor_div(idx, 12),
                     (unsigned)(idx - floor_div(idx, 12) * 12) + 1);
        break;
    case PERIOD_QUARTER:
        n = snprintf(buf, PERIOD_LABEL_MAX, "%04" PRId64 "-Q%u", floor_div(idx, 4),
                     (unsigned)(idx - floor_div(idx, 4) * 4) + 1);
        break;
    case PERIOD_YEAR:
        n = snprintf(buf, PERIOD_LABEL_MAX, "%04" PRId64, idx);
        break;
    }
    return n;
}
