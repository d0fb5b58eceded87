/* test_partfile.c - the partial state file of docs/FORMAT.md §14: a round
 * trip is exact and canonical; every truncation and every single-bit flip
 * of a small file is refused as damage naming the file; an unknown version
 * (with a good checksum) and counts that do not add up are refused;
 * partial_merge refuses another set, N, funnel, as_of, stale_after and a
 * shard held twice, changing nothing; a finish needs every shard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "bytes.h"
#include "partfile.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1700000000)

/* Shard `index` of a 4-shard set, funnel a,b,c, default as_of: every
 * section holds something. */
static void small_partial(struct partial *p, uint32_t index)
{
    struct fb_error err;
    fb_error_clear(&err);
    memset(p, 0, sizeof *p);
    memset(p->set_id, 0xab, sizeof p->set_id);
    p->n = 4;
    p->index[index / 8] = (unsigned char)(1u << (index % 8));
    assert_int_equal(funnel_def_from_list(&p->def, "a,b,c", &err), 0);
    struct summary *s = &p->sum;
    assert_int_equal(summary_init(s, 3, 30 * DAY, 0, 0, &err), 0);
    /* sets: dur(a) 3, dur(b) 1, win 1, und(a) 2, und(b) 1 */
    const size_t count[5] = {3, 1, 1, 2, 1};
    const int64_t v[8] = {86400, 0, 3600, 7 * DAY, 20 * DAY, T0 - 40 * DAY, T0 - DAY, T0 - 2};
    int64_t *pool = malloc(sizeof v);
    assert_non_null(pool);
    memcpy(pool, v, sizeof v);
    summary_take_pool(s, pool, count);
    /* entities: 1 won, a: 1 lost + 2 undecided, b: 1 stale + 1 undecided */
    s->stage[0] = (struct sum_stage){6, 1, 0, 0, {5, 2}};
    s->stage[1] = (struct sum_stage){3, 0, 1, 0, {3, 1}};
    s->stage[2] = (struct sum_stage){1, 0, 0, 0, {0, 1}};
    s->entities = 6;
    s->unmapped = calloc(2, sizeof *s->unmapped);
    assert_non_null(s->unmapped);
    s->unmapped[0] = (struct sum_unmapped){strdup("Nurture"), 7, 2};
    s->unmapped[1] = (struct sum_unmapped){strdup("nurture"), 7, 1};
    s->nunmapped = 2;
    s->after = 0;
    s->read = 5 + 2 + 3 + 1 + 0 + 1 + 3;
    s->has_events = 1;
    s->max_time = T0;
}

static void encode(struct partial *p, struct buf *b)
{
    struct fb_error err;
    fb_error_clear(&err);
    memset(b, 0, sizeof *b);
    assert_int_equal(partial_encode(p, b, &err), 0);
}

static void round_trip_is_exact_and_canonical(void **state)
{
    (void)state;
    struct partial p, q;
    struct buf a, b;
    struct fb_error err;
    fb_error_clear(&err);
    small_partial(&p, 2);
    encode(&p, &a);
    assert_memory_equal(a.p, PARTFILE_MAGIC, PARTFILE_MAGIC_LEN);
    assert_int_equal(rd_u32(a.p + 8), PARTFILE_VERSION);
    assert_int_equal(partial_decode(a.p, a.len, "x.part", &q, &err), 0);
    assert_true(partial_has(&q, 2) && !partial_has(&q, 0));
    assert_int_equal(q.n, 4);
    assert_int_equal(q.sum.set[0].n, 3);
    assert_int_equal(q.sum.set[0].v[0], 0);   /* sorted */
    assert_int_equal(q.sum.set[3].v[0], T0 - 40 * DAY);
    encode(&q, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, b.p, a.len);
    /* The same summary with its sets in another order encodes the same. */
    struct partial r;
    struct buf c;
    small_partial(&r, 2);
    int64_t t = r.sum.set[0].v[0];
    r.sum.set[0].v[0] = r.sum.set[0].v[2];
    r.sum.set[0].v[2] = t;
    encode(&r, &c);
    assert_int_equal(c.len, a.len);
    assert_memory_equal(c.p, a.p, a.len);
    partial_free(&r);
    buf_free(&c);
    partial_free(&p);
    partial_free(&q);
    buf_free(&a);
    buf_free(&b);
}

static void every_truncation_and_bit_flip_is_refused(void **state)
{
    (void)state;
    struct partial p, q;
    struct buf a;
    struct fb_error err;
    small_partial(&p, 1);
    encode(&p, &a);
    for (size_t k = 0; k < a.len; k++) {
        fb_error_clear(&err);
        assert_int_equal(partial_decode(a.p, k, "cut.part", &q, &err), FB_ECORRUPT);
        assert_string_equal(err.path, "cut.part");
        partial_free(&q);
    }
    unsigned char *x = malloc(a.len);
    assert_non_null(x);
    for (size_t k = 0; k < a.len; k++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(x, a.p, a.len);
            x[k] ^= (unsigned char)(1u << bit);
            fb_error_clear(&err);
            if (partial_decode(x, a.len, "flip.part", &q, &err) != FB_ECORRUPT)
                fail_msg("byte %zu bit %d: not refused", k, bit);
            assert_string_equal(err.path, "flip.part");
            partial_free(&q);
        }
    }
    /* a byte more is refused too */
    unsigned char *y = malloc(a.len + 1);
    assert_non_null(y);
    memcpy(y, a.p, a.len);
    y[a.len] = 0;
    fb_error_clear(&err);
    assert_int_equal(partial_decode(y, a.len + 1, "long.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "after the last section"));
    partial_free(&q);
    free(y);
    free(x);
    partial_free(&p);
    buf_free(&a);
}

static void unknown_version_and_bad_sums_are_refused(void **state)
{
    (void)state;
    struct partial p, q;
    struct buf a;
    struct fb_error err;
    small_partial(&p, 0);
    encode(&p, &a);
    wr_u32(a.p + 8, PARTFILE_VERSION + 1);
    size_t body = rd_u32(a.p + 12);
    wr_u32(a.p + 16 + body, (uint32_t)crc32(0, a.p, (uInt)(16 + body)));
    fb_error_clear(&err);
    assert_int_equal(partial_decode(a.p, a.len, "v3.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "version 3 is not known"));
    partial_free(&q);
    buf_free(&a);
    /* good checksums, but one entity too many */
    p.sum.entities++;
    encode(&p, &a);
    fb_error_clear(&err);
    assert_int_equal(partial_decode(a.p, a.len, "sum.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "do not add up"));
    partial_free(&q);
    buf_free(&a);
    partial_free(&p);
}

static void merge_refuses_what_does_not_belong_together(void **state)
{
    (void)state;
    struct partial a, b;
    struct fb_error err;
    small_partial(&a, 0);
    for (int c = 0; c < 6; c++) {
        small_partial(&b, c == 5 ? 0 : 1);
        switch (c) {
        case 0: b.set_id[3] ^= 1; break;                  /* another set */
        case 1: b.n = 5; break;                           /* another N */
        case 2: b.def.names[1][0] = 'B'; break;           /* another funnel (case counts) */
        case 3: b.has_as_of = 1; b.sum.decided = 1; b.sum.as_of = T0; break;
        case 4: b.sum.stale_after = DAY; break;
        default: break;                                   /* shard 0 twice */
        }
        fb_error_clear(&err);
        assert_int_equal(partial_merge(&a, "a.part", &b, "b.part", &err), FB_EINPUT);
        assert_string_equal(err.path, "b.part");
        assert_non_null(strstr(err.msg, "a.part"));
        assert_int_equal(a.index[0], 1);
        assert_int_equal(a.sum.entities, 6);
        partial_free(&b);
    }
    small_partial(&b, 3);
    fb_error_clear(&err);
    assert_int_equal(partial_merge(&a, "a.part", &b, "b.part", &err), 0);
    assert_int_equal(a.index[0], 1 | 8);
    assert_int_equal(a.sum.entities, 12);
    struct res_report r;
    assert_int_equal(partial_finish(&a, &r, &err), FB_EINPUT);
    assert_non_null(strstr(err.msg, "shard 1 of 4 is missing"));
    partial_free(&b);
    partial_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_is_exact_and_canonical),
        cmocka_unit_test(every_truncation_and_bit_flip_is_refused),
        cmocka_unit_test(unknown_version_and_bad_sums_are_refused),
        cmocka_unit_test(merge_refuses_what_does_not_belong_together),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
