/* test_groups.c - core/aggregate/period.h and the attribution cells of
 * groups.h (docs/METRICS.md §9-§10): ISO weeks across year ends (a week
 * belongs to the year of its Thursday), leap days, every period kind's
 * label and start, a time exactly on a boundary opening the new period;
 * attribution cells that keep the earliest (or latest) time and, at equal
 * times, the smallest value by bytes, whatever the order of the events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dict.h"
#include "ftime.h"
#include "groups.h"
#include "period.h"

static int64_t at(const char *s)
{
    int64_t t;
    assert_null(ftime_parse(s, strlen(s), &t));
    return t;
}

static void label_of(enum period_kind k, const char *when, const char *want)
{
    char buf[PERIOD_LABEL_MAX];
    period_label(k, period_index(k, at(when)), buf);
    assert_string_equal(buf, want);
}

static void iso_weeks_belong_to_the_year_of_their_thursday(void **state)
{
    (void)state;
    label_of(PERIOD_WEEK, "2026-12-31T00:00:00Z", "2026-W53");
    label_of(PERIOD_WEEK, "2027-01-01T12:00:00Z", "2026-W53");
    label_of(PERIOD_WEEK, "2027-01-03T23:59:59Z", "2026-W53");
    label_of(PERIOD_WEEK, "2027-01-04T00:00:00Z", "2027-W01");
    label_of(PERIOD_WEEK, "2021-01-03T00:00:00Z", "2020-W53");
    label_of(PERIOD_WEEK, "2024-12-30T00:00:00Z", "2025-W01");   /* Monday in 2024, Thursday in 2025 */
    label_of(PERIOD_WEEK, "2026-01-14T00:00:00Z", "2026-W03");
    label_of(PERIOD_WEEK, "1969-12-31T00:00:00Z", "1970-W01");
    assert_int_equal(period_index(PERIOD_WEEK, at("2027-01-01")), period_index(PERIOD_WEEK, at("2026-12-31")));
}

static void weeks_start_on_monday_midnight(void **state)
{
    (void)state;
    int64_t mon = at("2026-01-12T00:00:00Z");
    assert_int_equal(period_start(PERIOD_WEEK, period_index(PERIOD_WEEK, mon)), mon);
    assert_int_equal(period_index(PERIOD_WEEK, mon - 1) + 1, period_index(PERIOD_WEEK, mon));
    assert_int_equal(period_start(PERIOD_WEEK, period_index(PERIOD_WEEK, at("2026-01-18T23:59:59Z"))), mon);
}

static void leap_days_and_other_kinds(void **state)
{
    (void)state;
    label_of(PERIOD_DAY, "2028-02-29T13:00:00Z", "2028-02-29");
    label_of(PERIOD_DAY, "2028-03-01T00:00:00Z", "2028-03-01");
    label_of(PERIOD_MONTH, "2028-02-29T23:59:59Z", "2028-02");
    label_of(PERIOD_QUARTER, "2028-03-31T23:59:59Z", "2028-Q1");
    label_of(PERIOD_QUARTER, "2028-04-01T00:00:00Z", "2028-Q2");
    label_of(PERIOD_YEAR, "2028-12-31T23:59:59Z", "2028");
    label_of(PERIOD_MONTH, "1969-12-31T23:59:59Z", "1969-12");
    label_of(PERIOD_DAY, "0000-01-01T00:00:00Z", "0000-01-01");
    label_of(PERIOD_YEAR, "9999-12-31T23:59:59Z", "9999");
    /* the month after February of a leap year starts 29 days later */
    int64_t feb = period_index(PERIOD_MONTH, at("2028-02-10"));
    assert_int_equal(period_start(PERIOD_MONTH, feb + 1) - period_start(PERIOD_MONTH, feb), 29 * 86400);
    assert_int_equal(period_start(PERIOD_DAY, period_index(PERIOD_DAY, at("2028-02-29T05:00:00Z"))),
                     at("2028-02-29"));
}

/* A time exactly at a start belongs to the new period (half-open). */
static void a_boundary_opens_the_new_period(void **state)
{
    (void)state;
    static const enum period_kind kinds[] = {PERIOD_DAY, PERIOD_WEEK, PERIOD_MONTH, PERIOD_QUARTER, PERIOD_YEAR};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        for (int64_t i = period_index(kinds[k], at("1999-06-01")); i < period_index(kinds[k], at("2001-03-01")); i++) {
            int64_t s = period_start(kinds[k], i);
            assert_int_equal(period_index(kinds[k], s), i);
            assert_int_equal(period_index(kinds[k], s - 1), i - 1);
        }
    }
}

static void names_parse_both_ways(void **state)
{
    (void)state;
    assert_int_equal(period_parse("week"), PERIOD_WEEK);
    assert_int_equal(period_parse("quarter"), PERIOD_QUARTER);
    assert_int_equal(period_parse("Week"), PERIOD_NONE);
    assert_int_equal(period_parse("fortnight"), PERIOD_NONE);
    assert_string_equal(period_name(PERIOD_YEAR), "year");
}

/* Cells as funnel.c makes them: KEY_MIN for first, KEY_MAX for last. */
#define KEY_MIN(t) (FTIME_MAX + 1 - (t))
#define KEY_MAX(t) ((t) - FTIME_MIN + 1)

static void attribution_cells_order_by_time_then_smallest_value(void **state)
{
    (void)state;
    int64_t t = at("2026-01-03"), u = at("2026-01-04");
    /* first: the earlier time wins whatever the value; at equal times the smaller rank */
    assert_true(groups_cell(KEY_MIN(t), 900) > groups_cell(KEY_MIN(u), 0));
    assert_true(groups_cell(KEY_MIN(t), 1) > groups_cell(KEY_MIN(t), 2));
    /* last: the later time wins; at equal times the smaller rank too */
    assert_true(groups_cell(KEY_MAX(u), 900) > groups_cell(KEY_MAX(t), 0));
    assert_true(groups_cell(KEY_MAX(u), 1) > groups_cell(KEY_MAX(u), 2));
    /* the extremes fit: no cell is 0 (none) or negative */
    assert_true(groups_cell(KEY_MIN(FTIME_MAX), GROUPS_MAX_VALUES - 1) > 0);
    assert_true(groups_cell(KEY_MAX(FTIME_MAX), 0) > 0);
    assert_int_equal(groups_cell_rank(groups_cell(KEY_MAX(FTIME_MAX), 12345)), 12345);
    assert_int_equal(groups_cell_rank(groups_cell(KEY_MIN(FTIME_MIN), 0)), 0);
}

/* Ranks follow the bytes (memcmp, then length), not the ids: "SMB" and
 * "smb" are two values, and "sm" comes before "smb". */
static void values_rank_by_bytes(void **state)
{
    (void)state;
    struct dict *d = dict_new(0);
    static const char *const v[] = {"smb", "SMB", "sm", "ent", "\xc3\xa9t\xc3\xa9"};
    uint32_t id[5];
    for (int i = 0; i < 5; i++)
        assert_int_equal(dict_intern(d, v[i], strlen(v[i]), &id[i], NULL), 0);
    struct groups_values gv;
    struct fb_error err;
    assert_int_equal(groups_rank_values(d, &gv, &err), 0);
    assert_int_equal(gv.n, 5);
    assert_int_equal(gv.rank[id[1]], 0);   /* SMB */
    assert_int_equal(gv.rank[id[3]], 1);   /* ent */
    assert_int_equal(gv.rank[id[2]], 2);   /* sm */
    assert_int_equal(gv.rank[id[0]], 3);   /* smb */
    assert_int_equal(gv.rank[id[4]], 4);   /* été: bytes above ASCII */
    for (uint32_t r = 0; r < gv.n; r++)
        assert_int_equal(gv.rank[gv.id_of[r]], r);
    groups_values_free(&gv);
    dict_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iso_weeks_belong_to_the_year_of_their_thursday),
        cmocka_unit_test(weeks_start_on_monday_midnight),
        cmocka_unit_test(leap_days_and_other_kinds),
        cmocka_unit_test(a_boundary_opens_the_new_period),
        cmocka_unit_test(names_parse_both_ways),
        cmocka_unit_test(attribution_cells_order_by_time_then_smallest_value),
        cmocka_unit_test(values_rank_by_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
