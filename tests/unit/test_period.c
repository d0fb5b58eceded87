/* test_period.c - the calendar periods of core/input/period.h
 * (docs/METRICS.md §4.15): UTC, half-open [start, next start), weeks from
 * Monday labelled by the year of their Thursday.  Expected instants and
 * ISO weeks were computed independently (Python's calendar.timegm and
 * date.isocalendar); the index/start round trip and the ISO labels are
 * also checked over every day of years 0001-9998 against the textbook
 * week formula. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ftime.h"
#include "period.h"

#define DAY INT64_C(86400)

static int64_t at(const char *s)
{
    int64_t t = 0;
    const char *why = ftime_parse(s, strlen(s), &t);
    if (why)
        fail_msg("\"%s\": %s", s, why);
    return t;
}

static void label_is(enum period_unit u, const char *when, const char *want)
{
    char buf[PERIOD_LABEL_MAX];
    int n = period_label(u, period_index(u, at(when)), buf);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void units_parse_by_exact_name(void **state)
{
    (void)state;
    enum period_unit u;
    const char *names[] = {"day", "week", "month", "quarter", "year"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(period_parse(names[i], &u), 0);
        assert_int_equal(u, i);
        assert_string_equal(period_name(u), names[i]);
    }
    assert_int_equal(period_parse("Week", &u), -1);
    assert_int_equal(period_parse("weeks", &u), -1);
    assert_int_equal(period_parse("", &u), -1);
}

static void labels_follow_the_issue(void **state)
{
    (void)state;
    label_is(PERIOD_DAY, "2026-01-05T23:59:59Z", "2026-01-05");
    label_is(PERIOD_WEEK, "2026-01-12", "2026-W03");
    label_is(PERIOD_MONTH, "2026-01-31T23:59:59Z", "2026-01");
    label_is(PERIOD_QUARTER, "2026-03-31T12:00:00Z", "2026-Q1");
    label_is(PERIOD_QUARTER, "2026-04-01", "2026-Q2");
    label_is(PERIOD_YEAR, "2026-07-01", "2026");
}

static void a_week_across_a_year_end_takes_its_thursdays_year(void **state)
{
    (void)state;
    label_is(PERIOD_WEEK, "2026-12-31", "2026-W53");
    label_is(PERIOD_WEEK, "2027-01-01", "2026-W53");
    label_is(PERIOD_WEEK, "2027-01-03T23:59:59Z", "2026-W53");
    label_is(PERIOD_WEEK, "2027-01-04", "2027-W01");
    label_is(PERIOD_WEEK, "2021-01-01", "2020-W53");
    label_is(PERIOD_WEEK, "2025-12-29", "2026-W01");
    label_is(PERIOD_WEEK, "2015-12-31", "2015-W53");
    label_is(PERIOD_WEEK, "2016-01-03", "2015-W53");
    label_is(PERIOD_WEEK, "1969-12-31", "1970-W01");
    /* One week, one index: 2026-12-28 (Monday) to 2027-01-03. */
    int64_t w = period_index(PERIOD_WEEK, at("2026-12-28"));
    assert_int_equal(period_index(PERIOD_WEEK, at("2027-01-03T23:59:59Z")), w);
    assert_int_equal(period_start(PERIOD_WEEK, w), at("2026-12-28"));
    assert_int_equal(period_start(PERIOD_WEEK, w + 1), at("2027-01-04"));
}

static void leap_days_belong_to_february(void **state)
{
    (void)state;
    label_is(PERIOD_DAY, "2024-02-29T12:00:00Z", "2024-02-29");
    label_is(PERIOD_MONTH, "2024-02-29T23:59:59Z", "2024-02");
    int64_t m = period_index(PERIOD_MONTH, at("2024-02-29"));
    assert_int_equal(period_start(PERIOD_MONTH, m), INT64_C(1706745600));
    assert_int_equal(period_start(PERIOD_MONTH, m + 1), INT64_C(1709251200));
    int64_t d = period_index(PERIOD_DAY, at("2024-02-29"));
    assert_int_equal(period_start(PERIOD_DAY, d), INT64_C(1709164800));
    assert_int_equal(period_start(PERIOD_DAY, d + 1), at("2024-03-01"));
    /* 2023 has no leap day: February ends on the 28th. */
    int64_t f = period_index(PERIOD_MONTH, at("2023-02-28"));
    assert_int_equal(period_start(PERIOD_MONTH, f + 1), at("2023-03-01"));
    int64_t y = period_index(PERIOD_YEAR, at("2024-06-01"));
    assert_int_equal(period_start(PERIOD_YEAR, y + 1) - period_start(PERIOD_YEAR, y), 366 * DAY);
}

static void a_start_opens_its_period_and_the_second_before_closes_the_last(void **state)
{
    (void)state;
    for (int u = PERIOD_DAY; u <= PERIOD_YEAR; u++) {
        int64_t i = period_index((enum period_unit)u, at("2026-01-01"));
        int64_t s = period_start((enum period_unit)u, i);
        assert_int_equal(period_index((enum period_unit)u, s), i);
        assert_int_equal(period_index((enum period_unit)u, s - 1), i - 1);
    }
    /* 2026-01-01 is a Thursday: its week began on Monday 2025-12-29. */
    assert_int_equal(period_start(PERIOD_WEEK, period_index(PERIOD_WEEK, at("2026-01-01"))),
                     at("2025-12-29"));
}

static void times_before_1970_floor_into_their_period(void **state)
{
    (void)state;
    assert_int_equal(period_index(PERIOD_DAY, -1), -1);
    assert_int_equal(period_index(PERIOD_DAY, -DAY), -1);
    assert_int_equal(period_index(PERIOD_DAY, -DAY - 1), -2);
    label_is(PERIOD_MONTH, "1969-12-31T23:59:59Z", "1969-12");
    label_is(PERIOD_QUARTER, "1969-12-31", "1969-Q4");
    label_is(PERIOD_YEAR, "0000-01-01", "0000");
    label_is(PERIOD_DAY, "9999-12-31T23:59:59Z", "9999-12-31");
}

/* ISO 8601 week by the textbook rule (doy 1-based, wd 1 = Monday). */
static void iso_week(int64_t y, int64_t doy, int wd, int64_t *iy, int *iw)
{
    int w = (int)((doy - wd + 10) / 7);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (w < 1) {
        int64_t py = y - 1;
        int pleap = (py % 4 == 0 && py % 100 != 0) || py % 400 == 0;
        int64_t pdoy = doy + 365 + pleap;
        *iy = py;
        *iw = (int)((pdoy - wd + 10) / 7);
        return;
    }
    if (w == 53 && doy + (4 - wd) > 365 + leap) {   /* its Thursday is next year's */
        *iy = y + 1;
        *iw = 1;
        return;
    }
    *iy = y;
    *iw = w;
}

static void every_day_of_years_1_to_9998_round_trips(void **state)
{
    (void)state;
    int64_t first = ftime_days_from_civil(1, 1, 1), last = ftime_days_from_civil(9998, 12, 31);
    int64_t year_start = first, y = 1;
    for (int64_t day = first; day <= last; day++) {
        if (day == ftime_days_from_civil(y + 1, 1, 1)) {
            y++;
            year_start = day;
        }
        int64_t t = day * DAY + 43200;
        for (int u = PERIOD_DAY; u <= PERIOD_YEAR; u++) {
            int64_t i = period_index((enum period_unit)u, t);
            int64_t s = period_start((enum period_unit)u, i);
            if (s > t || period_start((enum period_unit)u, i + 1) <= t)
                fail_msg("unit %d: day %lld not in [%lld, next)", u, (long long)day, (long long)s);
        }
        int wd = (int)(((day - 4) % 7 + 7) % 7) + 1;
        int64_t iy;
        int iw;
        iso_week(y, day - year_start + 1, wd, &iy, &iw);
        char want[PERIOD_LABEL_MAX], got[PERIOD_LABEL_MAX];
        snprintf(want, sizeof want, "%04lld-W%02d", (long long)iy, iw);
        period_label(PERIOD_WEEK, period_index(PERIOD_WEEK, t), got);
        if (strcmp(want, got) != 0)
            fail_msg("day %lld: week %s, want %s", (long long)day, got, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(units_parse_by_exact_name),
        cmocka_unit_test(labels_follow_the_issue),
        cmocka_unit_test(a_week_across_a_year_end_takes_its_thursdays_year),
        cmocka_unit_test(leap_days_belong_to_february),
        cmocka_unit_test(a_start_opens_its_period_and_the_second_before_closes_the_last),
        cmocka_unit_test(times_before_1970_floor_into_their_period),
        cmocka_unit_test(every_day_of_years_1_to_9998_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
