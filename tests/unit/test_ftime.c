/* test_ftime.c - the time and duration rules of core/input/ftime.h, one test per
 * rule, accept and reject sides both.  Expected instants were computed
 * independently (Python's calendar.timegm), and the calendar arithmetic is
 * checked against plain day counting over all of years 0000-9999. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ftime.h"

static int64_t parse_ok(const char *s)
{
    int64_t t = 0;
    const char *why = ftime_parse(s, strlen(s), &t);
    if (why)
        fail_msg("\"%s\" rejected: %s", s, why);
    return t;
}

static const char *parse_bad(const char *s)
{
    int64_t t = 0;
    const char *why = ftime_parse(s, strlen(s), &t);
    if (!why)
        fail_msg("\"%s\" accepted as %lld", s, (long long)t);
    return why;
}

static void bad_because(const char *s, const char *message)
{
    assert_string_equal(parse_bad(s), message);
}

static const char EXPECTED[] =
    "expected YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] or Unix seconds";
static const char NO_SUCH_DATE[] = "no such date";
static const char OUT_OF_RANGE[] =
    "outside 0000-01-01T00:00:00Z..9999-12-31T23:59:59Z";

/* 2026-03-04T10:11:12Z */
#define T_2026 INT64_C(1772619072)

/* ---- Unix seconds ---- */

static void unix_zero_is_the_epoch(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0"), 0);
    assert_int_equal(parse_ok("1772619072"), T_2026);
}

static void unix_max_253402300799_is_accepted(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("253402300799"), FTIME_MAX);
}

static void unix_above_max_is_rejected(void **state)
{
    (void)state;
    const char *msg = "Unix seconds must be at most 253402300799";
    bad_because("253402300800", msg);
    bad_because("99999999999999999999999999999999", msg);
}

static void unix_leading_zeros_are_fine(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0000000000000000000000000000042"), 42);
    assert_int_equal(parse_ok("000000000000000000253402300799"), FTIME_MAX);
}

static void unix_signs_spaces_and_decimals_are_rejected(void **state)
{
    (void)state;
    const char *bad[] = {"-1", "+1", " 1", "1 ", "1.5", "1e3", "0x10", "12a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        bad_because(bad[i], EXPECTED);
}

static void empty_and_blank_are_rejected(void **state)
{
    (void)state;
    int64_t t;
    assert_string_equal(ftime_parse("", 0, &t), EXPECTED);
    assert_string_equal(ftime_parse(NULL, 0, &t), EXPECTED);
    bad_because(" ", EXPECTED);
    bad_because("     ", EXPECTED);
}

/* ---- accepted shapes ---- */

static void date_alone_is_midnight_utc(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("1970-01-01"), 0);
    assert_int_equal(parse_ok("2026-03-04"), INT64_C(1772582400));
}

static void date_time_seconds_z_is_utc(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-03-04T10:11:12Z"), T_2026);
}

static void separator_may_be_T_t_or_one_space(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-03-04t10:11:12Z"), T_2026);
    assert_int_equal(parse_ok("2026-03-04 10:11:12Z"), T_2026);
}

static void other_separators_are_rejected(void **state)
{
    (void)state;
    const char *msg = "expected T, t or one space between date and time";
    bad_because("2026-03-04_10:11:12Z", msg);
    bad_because("2026-03-04\t10:11:12Z", msg);
    bad_because("2026-03-04Z", msg);
    bad_because("2026-03-04x", msg);
    bad_because("2026-03-04  10:11:12Z", "expected HH:MM or HH:MM:SS after the date");
}

static void seconds_are_optional(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-03-04T10:11Z"), T_2026 - 12);
    assert_int_equal(parse_ok("2026-03-04T10:11"), T_2026 - 12);
    assert_int_equal(parse_ok("2026-03-04 10:11+01:00"), T_2026 - 12 - 3600);
}

static void fraction_is_dropped_not_rounded(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-03-04T10:11:12.0Z"), T_2026);
    assert_int_equal(parse_ok("2026-03-04T10:11:12.5Z"), T_2026);
    assert_int_equal(parse_ok("2026-03-04T10:11:12.999999999999999999999Z"), T_2026);
    assert_int_equal(parse_ok("2026-03-04T10:11:12.123"), T_2026);
    assert_int_equal(parse_ok("2026-03-04T10:11:12.123+00:00"), T_2026);
}

static void fraction_needs_digits_and_seconds(void **state)
{
    (void)state;
    bad_because("2026-03-04T10:11:12.Z", "expected digits after '.'");
    bad_because("2026-03-04T10:11:12.", "expected digits after '.'");
    bad_because("2026-03-04T10:11.5Z", "expected Z, +HH:MM or -HH:MM after the time");
    parse_bad("2026-03-04T10:11:12,5Z");
    parse_bad("2026-03-04T10:11:12.5.5Z");
}

static void zone_may_be_Z_z_or_nothing(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-03-04T10:11:12z"), T_2026);
    assert_int_equal(parse_ok("2026-03-04T10:11:12"), T_2026);
    assert_int_equal(parse_ok("2026-03-04T10:11:12+00:00"), T_2026);
    assert_int_equal(parse_ok("2026-03-04T10:11:12-00:00"), T_2026);
}

static void positive_offset_plus_14_00_is_subtracted(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-03-04T10:11:12+14:00"), T_2026 - 14 * 3600);
    assert_int_equal(parse_ok("2026-03-04T10:11:12+05:30"), T_2026 - 5 * 3600 - 30 * 60);
}

static void negative_offset_minus_12_00_is_added(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-03-04T10:11:12-12:00"), T_2026 + 12 * 3600);
    assert_int_equal(parse_ok("2026-03-04T10:11-03:45"), T_2026 - 12 + 3 * 3600 + 45 * 60);
}

static void offset_up_to_23_59_is_accepted(void **state)
{
    (void)state;
    int64_t span = 23 * 3600 + 59 * 60;
    assert_int_equal(parse_ok("2026-03-04T10:11:12+23:59"), T_2026 - span);
    assert_int_equal(parse_ok("2026-03-04T10:11:12-23:59"), T_2026 + span);
}

static void offset_24_00_is_rejected(void **state)
{
    (void)state;
    bad_because("2026-03-04T10:11:12+24:00", "offset must be at most 23:59");
    bad_because("2026-03-04T10:11:12-24:00", "offset must be at most 23:59");
    bad_because("2026-03-04T10:11:12+99:00", "offset must be at most 23:59");
}

static void offset_minutes_must_be_00_to_59(void **state)
{
    (void)state;
    bad_because("2026-03-04T10:11:12+05:60", "offset minutes must be 00-59");
}

static void offset_must_be_sign_HH_colon_MM(void **state)
{
    (void)state;
    const char *msg = "expected Z, +HH:MM or -HH:MM after the time";
    const char *bad[] = {
        "2026-03-04T10:11:12+0530", "2026-03-04T10:11:12+5:30",
        "2026-03-04T10:11:12+05",   "2026-03-04T10:11:12+05:3",
        "2026-03-04T10:11:12+",     "2026-03-04T10:11:12 +05:30",
        "2026-03-04T10:11:12UTC",   "2026-03-04T10:11:12+a5:30",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        bad_because(bad[i], msg);
}

/* ---- date fields ---- */

static void year_must_be_exactly_four_digits(void **state)
{
    (void)state;
    bad_because("226-03-04", EXPECTED);
    bad_because("02026-03-04", EXPECTED);
    bad_because("+2026-03-04", EXPECTED);
    bad_because("-2026-03-04", EXPECTED);
    bad_because("2o26-03-04", EXPECTED);
}

static void month_and_day_must_be_exactly_two_digits(void **state)
{
    (void)state;
    bad_because("2026-3-04", EXPECTED);
    bad_because("2026-03-4", EXPECTED);
    bad_because("2026-003-04", EXPECTED);
    bad_because("2026/03/04", EXPECTED);
    bad_because("2026-03", EXPECTED);
    bad_because("2026-", EXPECTED);
}

static void month_must_be_01_to_12(void **state)
{
    (void)state;
    bad_because("2026-00-10", "month must be 01-12");
    bad_because("2026-13-10", "month must be 01-12");
    assert_int_equal(parse_ok("2026-12-31"), INT64_C(1798675200));
}

static void day_must_be_01_to_31(void **state)
{
    (void)state;
    bad_because("2026-01-00", "day must be 01-31");
    bad_because("2026-01-32", "day must be 01-31");
    bad_because("2026-01-99", "day must be 01-31");
}

static void leap_day_2023_is_no_such_date(void **state)
{
    (void)state;
    bad_because("2023-02-29", NO_SUCH_DATE);
    bad_because("2023-02-29T00:00:00Z", NO_SUCH_DATE);
}

static void leap_day_2024_is_accepted(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2024-02-29"), INT64_C(1709164800));
    bad_because("2024-02-30", NO_SUCH_DATE);
}

static void leap_day_1900_is_no_such_date(void **state)
{
    (void)state;
    bad_because("1900-02-29", NO_SUCH_DATE);
    bad_because("2100-02-29", NO_SUCH_DATE);
}

static void leap_day_2000_is_accepted(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2000-02-29"), INT64_C(951782400));
    assert_int_equal(parse_ok("1600-02-29"), INT64_C(-11670998400));
    parse_ok("0000-02-29");
}

static void every_month_has_its_length(void **state)
{
    (void)state;
    static const int len_2023[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char s[32];
    for (int leap = 0; leap <= 1; leap++) {
        for (int m = 1; m <= 12; m++) {
            int last = len_2023[m - 1] + (leap && m == 2);
            snprintf(s, sizeof s, "%d-%02d-%02d", 2023 + leap, m, last);
            int64_t t = parse_ok(s);
            snprintf(s, sizeof s, "%d-%02d-%02d", 2023 + leap, m, last + 1);
            if (last < 31)
                bad_because(s, NO_SUCH_DATE);
            /* The day after the last is the first of the next month. */
            if (m < 12) {
                snprintf(s, sizeof s, "%d-%02d-01", 2023 + leap, m + 1);
                assert_int_equal(parse_ok(s), t + 86400);
            }
        }
    }
}

/* ---- time fields ---- */

static void hour_must_be_00_to_23(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-03-04T23:59:59Z"), INT64_C(1772582400) + 86399);
    assert_int_equal(parse_ok("2026-03-04T00:00:00Z"), INT64_C(1772582400));
    bad_because("2026-03-04T24:00:00Z", "hour must be 00-23");
    bad_because("2026-03-04T24:00", "hour must be 00-23");
}

static void minute_must_be_00_to_59(void **state)
{
    (void)state;
    bad_because("2026-03-04T10:60:00Z", "minute must be 00-59");
    bad_because("2026-03-04T10:60", "minute must be 00-59");
}

static void second_60_is_no_leap_second(void **state)
{
    (void)state;
    bad_because("2026-03-04T10:11:60Z", "second must be 00-59");
    bad_because("2016-12-31T23:59:60Z", "second must be 00-59");
}

static void clock_fields_must_be_two_digits(void **state)
{
    (void)state;
    const char *msg = "expected HH:MM or HH:MM:SS after the date";
    const char *bad[] = {
        "2026-03-04T1:02:03Z", "2026-03-04T10:2:03Z", "2026-03-04T10:11:2Z",
        "2026-03-04T10:11:2",  "2026-03-04T10",       "2026-03-04T",
        "2026-03-04T10:",      "2026-03-04T10:11:",   "2026-03-04T1011",
        "2026-03-04T10:11:1x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        bad_because(bad[i], msg);
}

static void trailing_garbage_is_rejected(void **state)
{
    (void)state;
    const char *msg = "unexpected text after the time zone";
    bad_because("2026-03-04T10:11:12Zx", msg);
    bad_because("2026-03-04T10:11:12ZZ", msg);
    bad_because("2026-03-04T10:11:12Z ", msg);
    bad_because("2026-03-04T10:11:12+01:00x", msg);
    bad_because("2026-03-04T10:11:12+01:00:00", msg);
    parse_bad("2026-03-04T10:11:12 ");
    parse_bad("2026-03-04T10:11:12x");
    parse_bad("2026-03-04T10:11:12.5x");
    parse_bad("2026-03-04 ");
    parse_bad("1772619072 ");
}

static void embedded_nul_within_len_is_rejected(void **state)
{
    (void)state;
    static const char *with_nul[] = {
        "2026-03-04T10:11:12Z\0", "2026-03-04\0T10:11:12Z", "2026-03-04T10:11\0:12Z",
        "2026-03-04T10:11:12\0Z", "2026-03-04T10:11:12.5\0", "17726\0" "19072",
        "\0", "2026\0" "03-04",
    };
    static const size_t lens[] = {21, 21, 21, 21, 22, 11, 1, 10};
    int64_t t;
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
        assert_non_null(ftime_parse(with_nul[i], lens[i], &t));
}

/* Bytes past len are not part of the field and must not change the answer. */
static void only_len_bytes_count(void **state)
{
    (void)state;
    int64_t t = -1;
    assert_null(ftime_parse("2026-03-04T10:11:12Zjunk", 20, &t));
    assert_int_equal(t, T_2026);
    assert_null(ftime_parse("2026-03-04T10:11:12Z", 10, &t));
    assert_int_equal(t, INT64_C(1772582400));
    assert_null(ftime_parse("2026-03-04T10:11:12Z", 16, &t));
    assert_int_equal(t, T_2026 - 12);
    assert_null(ftime_parse("12345", 3, &t));
    assert_int_equal(t, 123);
}

/* Every prefix of every shape, copied to a heap block of exactly that size,
 * so the sanitizer build catches any read past len. */
static void no_prefix_is_read_past_len(void **state)
{
    (void)state;
    static const char *full[] = {
        "2026-03-04T10:11:12.123456+05:30", "2026-03-04 10:11-05:30",
        "2026-03-04t10:11:12z", "0000-01-01T00:00:00Z", "253402300799",
        "2026-03-04T10:11:12.", "2026-03-04T10:11:12+", "9999-12-31T23:59:59.9-00:00",
    };
    for (size_t i = 0; i < sizeof full / sizeof *full; i++) {
        size_t n = strlen(full[i]);
        for (size_t len = 0; len <= n; len++) {
            char *copy = malloc(len ? len : 1);
            assert_non_null(copy);
            memcpy(copy, full[i], len);
            int64_t t;
            (void)ftime_parse(copy, len, &t);
            free(copy);
        }
    }
}

/* ---- range ---- */

static void start_of_year_0000_is_accepted(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0000-01-01T00:00:00Z"), FTIME_MIN);
    assert_int_equal(parse_ok("0000-01-01"), FTIME_MIN);
    assert_int_equal(parse_ok("0000-01-01T00:00:00-00:01"), FTIME_MIN + 60);
    assert_int_equal(parse_ok("0000-01-01T23:59:59+23:59"), FTIME_MIN + 59);
    assert_int_equal(parse_ok("0001-01-01"), INT64_C(-62135596800));
}

static void offset_before_year_0000_is_rejected(void **state)
{
    (void)state;
    bad_because("0000-01-01T00:00:00+00:01", OUT_OF_RANGE);
    bad_because("0000-01-01T23:58:59+23:59", OUT_OF_RANGE);
}

static void end_of_year_9999_is_accepted(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("9999-12-31T23:59:59Z"), FTIME_MAX);
    assert_int_equal(parse_ok("9999-12-31T23:59:59.999Z"), FTIME_MAX);
    assert_int_equal(parse_ok("9999-12-31T23:59:59+00:01"), FTIME_MAX - 60);
    assert_int_equal(parse_ok("9999-12-31"), FTIME_MAX - 86399);
}

static void offset_after_year_9999_is_rejected(void **state)
{
    (void)state;
    bad_because("9999-12-31T23:59:59-00:01", OUT_OF_RANGE);
    bad_because("9999-12-31T00:01-23:59", OUT_OF_RANGE);
}

static void offset_may_cross_midnight_and_year(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-01-01T01:00:00+02:00"), parse_ok("2025-12-31T23:00:00Z"));
    assert_int_equal(parse_ok("2025-12-31T23:00:00-02:00"), parse_ok("2026-01-01T01:00:00Z"));
}

/* ---- formatting ---- */

static void format_str(int64_t t, const char *want)
{
    char buf[32];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(ftime_format(t, buf), 20);
    assert_string_equal(buf, want);
    assert_int_equal(buf[21], 'x');
}

static void format_writes_utc_with_z(void **state)
{
    (void)state;
    format_str(0, "1970-01-01T00:00:00Z");
    format_str(T_2026, "2026-03-04T10:11:12Z");
    format_str(INT64_C(1709164800), "2024-02-29T00:00:00Z");
    format_str(INT64_C(951868799), "2000-02-29T23:59:59Z");
}

static void format_handles_negative_times(void **state)
{
    (void)state;
    format_str(-1, "1969-12-31T23:59:59Z");
    format_str(-86400, "1969-12-31T00:00:00Z");
    format_str(-86401, "1969-12-30T23:59:59Z");
    format_str(INT64_C(-11670998400), "1600-02-29T00:00:00Z");
}

static void format_handles_year_0000_and_9999(void **state)
{
    (void)state;
    format_str(FTIME_MIN, "0000-01-01T00:00:00Z");
    format_str(FTIME_MIN + 59 * 86400, "0000-02-29T00:00:00Z");
    format_str(INT64_C(-62135596801), "0000-12-31T23:59:59Z");
    format_str(FTIME_MAX, "9999-12-31T23:59:59Z");
}

static void parse_inverts_format_for_many_times(void **state)
{
    (void)state;
    char buf[21];
    /* A step coprime with the day spreads the samples over every second
     * of the day as well as over the years. */
    const int64_t step = INT64_C(2718281) * 17 + 1;
    for (int64_t t = FTIME_MIN; t <= FTIME_MAX; t += step) {
        ftime_format(t, buf);
        assert_int_equal(parse_ok(buf), t);
    }
    static const int64_t edges[] = {
        FTIME_MIN, FTIME_MIN + 1, -86401, -86400, -1, 0, 1, 86399, 86400,
        951782399, 951782400, T_2026, FTIME_MAX - 1, FTIME_MAX,
    };
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        ftime_format(edges[i], buf);
        assert_int_equal(parse_ok(buf), edges[i]);
    }
}

/* Count days one by one from 0000-01-01 and compare with the closed form,
 * for every date of every year; the format of each must parse back. */
static void days_from_civil_agrees_with_counting_days(void **state)
{
    (void)state;
    static const unsigned len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day = FTIME_MIN / 86400;
    char buf[21], want[16];
    for (int64_t y = 0; y <= 9999; y++) {
        int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        for (unsigned m = 1; m <= 12; m++) {
            unsigned n = len[m - 1] + (m == 2 && leap);
            for (unsigned d = 1; d <= n; d++, day++) {
                if (ftime_days_from_civil(y, m, d) != day)
                    fail_msg("%04lld-%02u-%02u: %lld != %lld", (long long)y, m, d,
                             (long long)ftime_days_from_civil(y, m, d), (long long)day);
            }
        }
        /* Formatting every day is slow under sanitizers; one a year is enough. */
        ftime_format(ftime_days_from_civil(y, 2, 28) * 86400, buf);
        snprintf(want, sizeof want, "%04lld-02-28", (long long)y);
        assert_memory_equal(buf, want, 10);
    }
    assert_int_equal(day * 86400, FTIME_MAX + 1);
}

/* ---- durations ---- */

static int64_t duration_ok(const char *s)
{
    int64_t v = -1;
    if (ftime_parse_duration(s, &v) != 0)
        fail_msg("duration \"%s\" rejected", s);
    return v;
}

static void duration_bare_digits_are_seconds(void **state)
{
    (void)state;
    assert_int_equal(duration_ok("3600"), 3600);
    assert_int_equal(duration_ok("0"), 0);
    assert_int_equal(duration_ok("007"), 7);
}

static void duration_units_are_s_m_h_d_w(void **state)
{
    (void)state;
    assert_int_equal(duration_ok("90s"), 90);
    assert_int_equal(duration_ok("45m"), 45 * 60);
    assert_int_equal(duration_ok("12h"), 12 * 3600);
    assert_int_equal(duration_ok("30d"), 30 * 86400);
    assert_int_equal(duration_ok("2w"), 2 * 7 * 86400);
}

static void duration_rejects_empty_signs_and_other_units(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "s", "-5", "+5", " 5", "5 ", "5ms", "5y", "5S", "5H", "5M",
        "1.5h", "5hh", "5h5", "h5", "5 h", "1e3", "0x10",
    };
    int64_t v;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (ftime_parse_duration(bad[i], &v) != -1)
            fail_msg("duration \"%s\" accepted", bad[i]);
    assert_int_equal(ftime_parse_duration(NULL, &v), -1);
}

static void duration_caps_at_10000_years(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(duration_ok("316224000000"), INT64_C(316224000000));
    assert_int_equal(duration_ok("3660000d"), INT64_C(316224000000));
    assert_int_equal(ftime_parse_duration("316224000001", &v), -1);
    assert_int_equal(ftime_parse_duration("3660001d", &v), -1);
    assert_int_equal(ftime_parse_duration("522858w", &v), -1);
    assert_int_equal(duration_ok("522857w"), INT64_C(522857) * 604800);
}

static void duration_overflow_is_rejected(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(ftime_parse_duration("99999999999999999999999999", &v), -1);
    assert_int_equal(ftime_parse_duration("9223372036854775807", &v), -1);
    assert_int_equal(ftime_parse_duration("9223372036854775808s", &v), -1);
    assert_int_equal(ftime_parse_duration("15372286728091294w", &v), -1);
    assert_int_equal(duration_ok("00000000000000000000000001w"), 604800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unix_zero_is_the_epoch),
        cmocka_unit_test(unix_max_253402300799_is_accepted),
        cmocka_unit_test(unix_above_max_is_rejected),
        cmocka_unit_test(unix_leading_zeros_are_fine),
        cmocka_unit_test(unix_signs_spaces_and_decimals_are_rejected),
        cmocka_unit_test(empty_and_blank_are_rejected),
        cmocka_unit_test(date_alone_is_midnight_utc),
        cmocka_unit_test(date_time_seconds_z_is_utc),
        cmocka_unit_test(separator_may_be_T_t_or_one_space),
        cmocka_unit_test(other_separators_are_rejected),
        cmocka_unit_test(seconds_are_optional),
        cmocka_unit_test(fraction_is_dropped_not_rounded),
        cmocka_unit_test(fraction_needs_digits_and_seconds),
        cmocka_unit_test(zone_may_be_Z_z_or_nothing),
        cmocka_unit_test(positive_offset_plus_14_00_is_subtracted),
        cmocka_unit_test(negative_offset_minus_12_00_is_added),
        cmocka_unit_test(offset_up_to_23_59_is_accepted),
        cmocka_unit_test(offset_24_00_is_rejected),
        cmocka_unit_test(offset_minutes_must_be_00_to_59),
        cmocka_unit_test(offset_must_be_sign_HH_colon_MM),
        cmocka_unit_test(year_must_be_exactly_four_digits),
        cmocka_unit_test(month_and_day_must_be_exactly_two_digits),
        cmocka_unit_test(month_must_be_01_to_12),
        cmocka_unit_test(day_must_be_01_to_31),
        cmocka_unit_test(leap_day_2023_is_no_such_date),
        cmocka_unit_test(leap_day_2024_is_accepted),
        cmocka_unit_test(leap_day_1900_is_no_such_date),
        cmocka_unit_test(leap_day_2000_is_accepted),
        cmocka_unit_test(every_month_has_its_length),
        cmocka_unit_test(hour_must_be_00_to_23),
        cmocka_unit_test(minute_must_be_00_to_59),
        cmocka_unit_test(second_60_is_no_leap_second),
        cmocka_unit_test(clock_fields_must_be_two_digits),
        cmocka_unit_test(trailing_garbage_is_rejected),
        cmocka_unit_test(embedded_nul_within_len_is_rejected),
        cmocka_unit_test(only_len_bytes_count),
        cmocka_unit_test(no_prefix_is_read_past_len),
        cmocka_unit_test(start_of_year_0000_is_accepted),
        cmocka_unit_test(offset_before_year_0000_is_rejected),
        cmocka_unit_test(end_of_year_9999_is_accepted),
        cmocka_unit_test(offset_after_year_9999_is_rejected),
        cmocka_unit_test(offset_may_cross_midnight_and_year),
        cmocka_unit_test(format_writes_utc_with_z),
        cmocka_unit_test(format_handles_negative_times),
        cmocka_unit_test(format_handles_year_0000_and_9999),
        cmocka_unit_test(parse_inverts_format_for_many_times),
        cmocka_unit_test(days_from_civil_agrees_with_counting_days),
        cmocka_unit_test(duration_bare_digits_are_seconds),
        cmocka_unit_test(duration_units_are_s_m_h_d_w),
        cmocka_unit_test(duration_rejects_empty_signs_and_other_units),
        cmocka_unit_test(duration_caps_at_10000_years),
        cmocka_unit_test(duration_overflow_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
