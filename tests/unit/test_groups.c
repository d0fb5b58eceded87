/* test_groups.c - the attribution cells of groups.h (docs/METRICS.md
 * §4.17): cells that keep the earliest (or latest) time and, at equal
 * times, the smallest value by bytes, whatever the order of the events;
 * values ranked by bytes, not by id.  Periods: test_period.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dict.h"
#include "ftime.h"
#include "groups.h"

static int64_t at(const char *s)
{
    int64_t t;
    assert_null(ftime_parse(s, strlen(s), &t));
    return t;
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
        cmocka_unit_test(attribution_cells_order_by_time_then_smallest_value),
        cmocka_unit_test(values_rank_by_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
