/* period.c - UTC calendar periods; see period.h. */
#include "period.h"

#include <stdio.h>
#include <string.h>

#include "ftime.h"

#define DAY INT64_C(86400)
#define WEEK (7 * DAY)
/* 1970-01-01 was a Thursday: weeks start 3 days before it. */
#define WEEK0 (-3 * DAY)

static const char *const names[] = {"", "day", "week", "month", "quarter", "year"};

enum period_kind period_parse(const char *s)
{
    for (int k = PERIOD_DAY; k <= PERIOD_YEAR; k++)
        if (strcmp(s, names[k]) == 0)
            return (enum period_kind)k;
    return PERIOD_NONE;
}

const char *period_name(enum period_kind k)
{
    return k >= PERIOD_DAY && k <= PERIOD_YEAR ? names[k] : "";
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return q - (a % b != 0 && (a < 0) != (b < 0));
}

/* Hinnant's civil_from_days (as in ftime.c). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int64_t period_index(enum period_kind k, int64_t t)
{
    int64_t days = floor_div(t, DAY), y;
    unsigned m, d;
    switch (k) {
    case PERIOD_DAY:
        return days;
    case PERIOD_WEEK:
        return floor_div(t - WEEK0, WEEK);
    default:
        civil(days, &y, &m, &d);
        return k == PERIOD_MONTH ? y * 12 + (m - 1) : k == PERIOD_QUARTER ? y * 4 + (m - 1) / 3 : y;
    }
}

int64_t period_start(enum period_kind k, int64_t idx)
{
    switch (k) {
    case PERIOD_DAY:
        return idx * DAY;
    case PERIOD_WEEK:
        return idx * WEEK + WEEK0;
    case PERIOD_MONTH:
        return ftime_days_from_civil(floor_div(idx, 12), (unsigned)(idx - 12 * floor_div(idx, 12)) + 1, 1) * DAY;
    case PERIOD_QUARTER:
        return ftime_days_from_civil(floor_div(idx, 4), 3 * (unsigned)(idx - 4 * floor_div(idx, 4)) + 1, 1) * DAY;
    default:
        return ftime_days_from_civil(idx, 1, 1) * DAY;
    }
}

void period_label(enum period_kind k, int64_t idx, char buf[PERIOD_LABEL_MAX])
{
    int64_t y;
    unsigned m, d;
    switch (k) {
    case PERIOD_DAY:
        civil(idx, &y, &m, &d);
        snprintf(buf, PERIOD_LABEL_MAX, "%04lld-%02u-%02u", (long long)y, m, d);
        break;
    case PERIOD_WEEK: {
        /* ISO 8601: the week belongs to the year of its Thursday, and
         * week 1 is the one holding that year's first Thursday. */
        int64_t thu = floor_div(period_start(k, idx), DAY) + 3;
        civil(thu, &y, &m, &d);
        int64_t doy = thu - ftime_days_from_civil(y, 1, 1);
        snprintf(buf, PERIOD_LABEL_MAX, "%04lld-W%02lld", (long long)y, (long long)(doy / 7 + 1));
        break;
    }
    case PERIOD_MONTH:
        snprintf(buf, PERIOD_LABEL_MAX, "%04lld-%02lld", (long long)floor_div(idx, 12),
                 (long long)(idx - 12 * floor_div(idx, 12) + 1));
        break;
    case PERIOD_QUARTER:
        snprintf(buf, PERIOD_LABEL_MAX, "%04lld-Q%lld", (long long)floor_div(idx, 4),
                 (long long)(idx - 4 * floor_div(idx, 4) + 1));
        break;
    default:
        snprintf(buf, PERIOD_LABEL_MAX, "%04lld", (long long)idx);
    }
}
