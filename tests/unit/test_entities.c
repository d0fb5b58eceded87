/* test_entities.c - the rows of `funnel entities` and `explain`
 * (core/aggregate/entities.h, part_row of funnel.h; docs/METRICS.md §4.21):
 * part_row's status and T(e,s) from the report's own decision, the total
 * sort with ties by id bytes, days with one decimal, and the closest ids
 * by longest common prefix, then bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dict.h"
#include "entities.h"
#include "evblock.h"
#include "funnel.h"
#include "funnel_def.h"
#include "trend.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1700000000)

static void test_sort_ties_by_bytes(void **state)
{
    (void)state;
    struct ent_item v[] = {
        {5, "b", 1, 0}, {5, "a", 1, 1}, {-3, "z", 1, 2}, {5, "ab", 2, 3}, {5, "", 0, 4},
    };
    ent_sort_items(v, 5);
    assert_int_equal(v[0].e, 2);   /* smallest key first */
    assert_int_equal(v[1].e, 4);   /* "" < "a" < "ab" < "b" */
    assert_int_equal(v[2].e, 1);
    assert_int_equal(v[3].e, 3);
    assert_int_equal(v[4].e, 0);
}

static void test_days(void **state)
{
    (void)state;
    char b[32];
    assert_int_equal(ent_days(0, b), 3);
    assert_string_equal(b, "0.0");
    ent_days(41 * DAY + 4320, b);   /* 41.05 days */
    assert_string_equal(b, "41.0");   /* printf rounds 41.05 (a binary double below it) */
    ent_days(DAY / 2, b);
    assert_string_equal(b, "0.5");
    ent_days(-DAY, b);
    assert_string_equal(b, "-1.0");
}

static void test_closest(void **state)
{
    (void)state;
    struct dict *d = dict_new(0);
    const char *ids[] = {"lead-1", "lead-10", "lead-2", "lemon", "apple", "lead-100", "lead-11", "lead-12"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        uint32_t id;
        assert_int_equal(dict_intern(d, ids[i], strlen(ids[i]), &id, NULL), 0);
    }
    uint32_t out[5];
    size_t n = ent_closest(d, "lead-1x", 7, out, 5);
    assert_int_equal(n, 5);
    const char *want[] = {"lead-1", "lead-10", "lead-100", "lead-11", "lead-12"};
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = dict_str(d, out[i], &len);
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(s, want[i], len);
    }
    n = ent_closest(d, "lx", 2, out, 5);   /* one byte shared: all l..., by bytes */
    assert_int_equal(n, 5);
    size_t len;
    assert_memory_equal(dict_str(d, out[0], &len), "lead-1", 6);
    assert_memory_equal(dict_str(d, out[4], &len), "lead-12", 7);
    assert_int_equal(ent_closest(d, "zebra", 5, out, 5), 0);   /* nothing shares 'z' */
    dict_free(d);
}

/* Funnel a,b,c,d; entity ids and their events. */
struct ev {
    int64_t t;
    uint32_t e;
    uint32_t stage;   /* 1 a, 2 b, 3 c, 4 d, 5 x (unmapped) */
    int lost;
};

static void test_part_row(void **state)
{
    (void)state;
    struct fb_error err;
    struct funnel_def def = {0};
    fb_error_clear(&err);
    assert_int_equal(funnel_def_from_list(&def, "a,b,c,d", &err), 0);
    const int32_t map[] = {-1, 0, 1, 2, 3, -1};
    const uint8_t sales[] = {0, 0}, lost[] = {0, 1};
    const struct funnel_maps maps = {map, 6, sales, lost, 0, NULL, NULL, 0, NULL, NULL, 0, 0};
    const int64_t as_of = T0 + 100 * DAY;
    const struct ev ev[] = {
        {T0, 0, 1, 0}, {T0 + DAY, 0, 4, 0},                   /* 0 won */
        {T0, 1, 1, 0}, {T0 + 5 * DAY, 1, 2, 1},               /* 1 lost at b */
        {T0, 2, 1, 0}, {T0 + 10 * DAY, 2, 3, 0},              /* 2 stale at c: 90 days > 30 */
        {T0 + 80 * DAY, 3, 3, 0}, {T0 + 90 * DAY, 3, 2, 0},   /* 3 open at c, b after c */
        {T0 + 50 * DAY, 4, 5, 0}, {T0 + 200 * DAY, 4, 1, 0},  /* 4 unmapped, after as_of */
        {T0 + 95 * DAY, 5, 2, 1}, {T0 + 99 * DAY, 5, 2, 0},   /* 5 lost, then touched: open */
        {T0 + 30 * DAY, 6, 3, 0}, {T0 + 70 * DAY, 6, 3, 0},   /* 6 stale boundary: exactly 30 days: open */
    };
    const size_t n = sizeof ev / sizeof ev[0];
    struct evb_cols c;
    assert_int_equal(evb_cols_init(&c, (uint32_t)n, 0), 0);
    c.n = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        c.time[i] = ev[i].t;
        c.ids[EVB_IDX(BLOG_C_ENTITY)][i] = ev[i].e;
        c.ids[EVB_IDX(BLOG_C_STAGE)][i] = ev[i].stage;
        c.ids[EVB_IDX(BLOG_C_CHANNEL)][i] = 0;
        c.ids[EVB_IDX(BLOG_C_OUTCOME)][i] = (uint32_t)ev[i].lost;
    }
    struct part *p = part_new(&def, 7, as_of, 30 * DAY, &maps);
    assert_non_null(p);
    part_add(p, &c);
    struct part_row r;
    uint32_t rank[1];
    assert_int_equal(part_row(p, 0, &r, rank), 1);
    assert_int_equal(r.status, TR_IS_WON);
    assert_int_equal(r.max, 3);
    assert_int_equal(r.t[1], T0 + DAY);   /* skipped b and c are entered with d */
    assert_int_equal(r.m[1], INT64_MAX);
    assert_int_equal(part_row(p, 1, &r, rank), 1);
    assert_int_equal(r.status, TR_IS_LOST);
    assert_int_equal(r.max, 1);
    assert_int_equal(r.lost_at, T0 + 5 * DAY);
    assert_int_equal(part_row(p, 2, &r, rank), 1);
    assert_int_equal(r.status, TR_IS_STALE);
    assert_int_equal(r.max, 2);
    assert_int_equal(r.stale_after, 30 * DAY);
    assert_int_equal(part_row(p, 3, &r, rank), 1);
    assert_int_equal(r.status, TR_OPEN);
    assert_int_equal(r.max, 2);
    assert_int_equal(r.t[2], T0 + 80 * DAY);
    assert_int_equal(r.t[1], T0 + 80 * DAY);   /* T(e,b) = min(M(e,b), T(e,c)) */
    assert_int_equal(r.m[1], T0 + 90 * DAY);
    assert_int_equal(r.t[0], T0 + 80 * DAY);   /* entry */
    assert_int_equal(r.last, T0 + 90 * DAY);
    assert_int_equal(part_row(p, 4, &r, rank), 0);   /* not counted */
    assert_int_equal(part_row(p, 5, &r, rank), 1);
    assert_int_equal(r.status, TR_OPEN);
    assert_int_equal(r.lost_at, T0 + 95 * DAY);
    assert_int_equal(part_row(p, 6, &r, rank), 1);
    assert_int_equal(r.status, TR_OPEN);   /* stale only over the threshold */
    assert_int_equal(part_as_of(p), as_of);
    part_free(p);
    evb_cols_free(&c);
    funnel_def_free(&def);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_ties_by_bytes),
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_closest),
        cmocka_unit_test(test_part_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
