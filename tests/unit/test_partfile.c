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
    /* sets: dur(a) 3, dur(b) 1, win 1, age(a) 0, age(b) 0, cen(a) 1 (the
     * lost), cen(b) 1 (the stale), loss 1 */
    const size_t count[8] = {3, 1, 1, 0, 0, 1, 1, 1};
    const int64_t v[8] = {86400, 0, 3600, 7 * DAY, 20 * DAY, 2 * DAY, 5 * DAY, 3 * DAY};
    int64_t *pool = malloc(sizeof v);
    assert_non_null(pool);
    memcpy(pool, v, sizeof v);
    summary_take_pool(s, pool, count);
    /* entities: 1 won, a: 1 lost + 2 undecided, b: 1 stale + 1 undecided */
    s->stage[0] = (struct sum_stage){.reached = 6, .lost = 1, .touches = {5, 2}, .with_event = 5, .conv = 6};
    s->stage[1] = (struct sum_stage){.reached = 3, .stale = 1, .touches = {3, 1}, .with_event = 2, .conv = 3};
    s->stage[2] = (struct sum_stage){.reached = 1, .touches = {0, 1}, .with_event = 1, .conv = 1};
    s->stage[2].v_won = (struct money_sum){(unsigned __int128)1000 * 1000000000u, 1, 2, 0};
    s->stage[0].v_lost = (struct money_sum){(unsigned __int128)5 * 1000000000u, 1, 0, 0};
    /* the undecided ones, out of their canonical order */
    s->und = calloc(3, sizeof *s->und);
    assert_non_null(s->und);
    s->und[0] = (struct sum_und){{(unsigned __int128)7 * 1000000000u, 0}, T0 - 2, T0 - 10, 1, 1};
    s->und[1] = (struct sum_und){{(unsigned __int128)10500000000u, 1}, T0 - 40 * DAY, T0 - 41 * DAY, 0, 1};
    s->und[2] = (struct sum_und){{0, 0}, T0 - DAY, T0 - 2 * DAY, 0, 0};
    s->nund = 3;
    s->entities = 6;
    /* the rates section (§14.7): b has its own threshold */
    s->stale[1] = 90 * DAY;
    s->backwards = 1;
    s->won_then_lost = 1;
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
    assert_int_equal(q.sum.nund, 3);
    assert_int_equal(q.sum.und[0].last, T0 - 40 * DAY);   /* sorted */
    assert_int_equal(q.sum.und[0].m, T0 - 41 * DAY);
    assert_true(q.sum.und[0].value.units == 10500000000u && q.sum.und[0].value.k == 1);
    assert_int_equal(q.sum.und[2].stage, 1);
    assert_true(q.sum.stage[2].v_won.units == (unsigned __int128)1000 * 1000000000u);
    assert_int_equal(q.sum.stage[2].v_won.k, 2);
    assert_int_equal(q.sum.stage[0].v_lost.n, 1);
    assert_int_equal(q.sum.set[SUM_LOSS(3)].v[0], 3 * DAY);
    assert_int_equal(q.sum.stale[0], 30 * DAY);
    assert_int_equal(q.sum.stale[1], 90 * DAY);
    assert_int_equal(q.sum.stage[1].with_event, 2);
    assert_int_equal(q.sum.stage[0].conv, 6);
    assert_int_equal(q.sum.backwards, 1);
    assert_int_equal(q.sum.won_then_lost, 1);
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
    assert_int_equal(partial_decode(a.p, a.len, "v4.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "version 4 is not known"));
    partial_free(&q);
    buf_free(&a);
    encode(&p, &a);
    wr_u32(a.p + 8, 2);   /* version 2 has no deal sections (§14.10) */
    body = rd_u32(a.p + 12);
    wr_u32(a.p + 16 + body, (uint32_t)crc32(0, a.p, (uInt)(16 + body)));
    fb_error_clear(&err);
    assert_int_equal(partial_decode(a.p, a.len, "v2.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "version 2 is not known"));
    partial_free(&q);
    buf_free(&a);
    encode(&p, &a);
    wr_u32(a.p + 8, 1);   /* version 1 has no rates or trend section (§14.7) */
    body = rd_u32(a.p + 12);
    wr_u32(a.p + 16 + body, (uint32_t)crc32(0, a.p, (uInt)(16 + body)));
    fb_error_clear(&err);
    assert_int_equal(partial_decode(a.p, a.len, "v1.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "version 1 is not known"));
    partial_free(&q);
    buf_free(&a);
    /* good checksums, but more entities with an event at b than reached it */
    p.sum.stage[1].with_event = 4;
    encode(&p, &a);
    fb_error_clear(&err);
    assert_int_equal(partial_decode(a.p, a.len, "rates.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "rates section"));
    partial_free(&q);
    buf_free(&a);
    p.sum.stage[1].with_event = 2;
    /* good checksums, but a value more than the lost entities of a */
    p.sum.stage[0].v_lost.n = 2;
    encode(&p, &a);
    fb_error_clear(&err);
    assert_int_equal(partial_decode(a.p, a.len, "money.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "more values than entities at stage 1"));
    partial_free(&q);
    buf_free(&a);
    p.sum.stage[0].v_lost.n = 1;
    /* good checksums, but a censoring of b too many for its outcomes */
    p.sum.stage[1].stale = 2;     /* now 1 censoring for 2 closed entities */
    p.sum.entities++;
    encode(&p, &a);
    fb_error_clear(&err);
    assert_int_equal(partial_decode(a.p, a.len, "cen.part", &q, &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "censorings of stage 2"));
    partial_free(&q);
    buf_free(&a);
    p.sum.stage[1].stale = 1;
    p.sum.entities--;
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
    for (int c = 0; c < 9; c++) {
        small_partial(&b, c == 5 ? 0 : 1);
        switch (c) {
        case 0: b.set_id[3] ^= 1; break;                  /* another set */
        case 1: b.n = 5; break;                           /* another N */
        case 2: b.def.names[1][0] = 'B'; break;           /* another funnel (case counts) */
        case 3: b.has_as_of = 1; b.sum.decided = 1; b.sum.as_of = T0; break;
        case 4: b.sum.stale_after = DAY; break;
        case 6: b.sum.stale[2] = DAY; break;              /* a stage's own threshold */
        case 7: b.sum.conv.window = DAY; break;           /* --window */
        case 8: b.sum.conv.skip_ignore = 1; break;        /* --skipped ignore */
        default: break;                                   /* 5: shard 0 twice */
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
