/* test_evblock.c - EVENTS payloads of core/log/evblock.h: what is encoded comes
 * back (sorted by time, stably, with every column moved together), absent
 * optional columns read as 0, a reader may decode a subset of columns, and
 * damage - any single changed byte, any truncation, ids past the
 * dictionaries, times outside the header's range - is rejected and never
 * crashes (run this under ASan too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "blocklog.h"
#include "evblock.h"
#include "ftime.h"
#include "test_support.h"

#define ALL_COLS 0xFFu

static uint64_t rng = 0x2545F4914F6CDD1Du;
static uint64_t next(void)
{
    return test_xorshift(&rng);
}

/* Dictionary sizes large enough for the ids the generators make. */
static void sizes_all(uint32_t *sizes, uint32_t v)
{
    for (int k = 0; k < BLOG_D_COUNT; k++)
        sizes[k] = v;
}

static void cols_new(struct evb_cols *c, uint32_t cap, uint32_t natt)
{
    assert_int_equal(evb_cols_init(c, cap, natt), 0);
    assert_int_equal(c->cap, cap);
    assert_int_equal(c->natt, natt);
}

/* n random events: times in [lo, hi], fixed ids below idmax (optional columns
 * zero with probability 1/2 per event), natt attributes named 1..natt. */
static void fill_random(struct evb_cols *c, uint32_t n, int64_t lo, int64_t hi, uint32_t idmax)
{
    c->n = n;
    uint64_t span = (uint64_t)(hi - lo);
    for (uint32_t i = 0; i < n; i++) {
        c->time[i] = span == UINT64_MAX ? (int64_t)next() : lo + (int64_t)(next() % (span + 1));
        for (int k = 0; k < EVB_NIDS; k++) {
            uint32_t v = (uint32_t)(next() % idmax);
            c->ids[k][i] = k >= EVB_IDX(BLOG_C_TOUCH) && next() % 2 ? 0 : v;
        }
        for (uint32_t a = 0; a < c->natt; a++)
            c->att[a][i] = (uint32_t)(next() % idmax);
    }
    for (uint32_t a = 0; a < c->natt; a++)
        c->att_name[a] = a + 1;
}

struct encoded {
    struct buf pl;
    int64_t lo, hi;
    uint32_t n;
};

static void encode(const struct evb_cols *c, struct encoded *e)
{
    struct evb_scratch s = {0};
    memset(e, 0, sizeof *e);
    e->lo = 12345;
    e->hi = -12345;
    assert_int_equal(evb_encode(c, 6, &s, &e->pl, &e->lo, &e->hi), 0);
    e->n = c->n;
    evb_scratch_free(&s);
}

static int decode(const unsigned char *p, size_t len, uint32_t count, int64_t lo, int64_t hi,
                  unsigned mask, const uint32_t *sizes, struct evb_cols *out)
{
    struct evb_scratch s = {0};
    struct fb_error err;
    fb_error_clear(&err);
    /* Poison what a decode must write, so nothing left from an earlier
     * decode into the same columns can pass for a result. */
    uint32_t k = count < out->cap ? count : out->cap;
    memset(out->time, 0xEE, k * sizeof *out->time);
    for (int x = 0; x < EVB_NIDS; x++)
        memset(out->ids[x], 0xEE, k * sizeof(uint32_t));
    for (uint32_t a = 0; a < out->att_cap; a++)
        memset(out->att[a], 0xEE, k * sizeof(uint32_t));
    int rc = evb_decode(p, len, count, lo, hi, mask, sizes, out, &s, &err);
    evb_scratch_free(&s);
    if (rc != 0 && rc != FB_ECORRUPT)
        fail_msg("decode failed with %d: %s", rc, err.msg);
    if (rc == FB_ECORRUPT && err.msg[0] == '\0')
        fail_msg("corruption reported without a message");
    return rc;
}

static int decode_e(const struct encoded *e, unsigned mask, const uint32_t *sizes,
                    struct evb_cols *out)
{
    return decode(e->pl.p, e->pl.len, e->n, e->lo, e->hi, mask, sizes, out);
}

/* The events of c in stable time order: the order a decode must give. */
static uint32_t *stable_order(const struct evb_cols *c)
{
    uint32_t *ix = malloc((c->n ? c->n : 1) * sizeof *ix), *tmp = malloc((c->n ? c->n : 1) * sizeof *ix);
    assert_non_null(ix);
    assert_non_null(tmp);
    for (uint32_t i = 0; i < c->n; i++)
        ix[i] = i;
    /* bottom-up merge sort: stable by construction */
    for (uint32_t w = 1; w < c->n; w *= 2) {
        for (uint32_t lo = 0; lo < c->n; lo += 2 * w) {
            uint32_t mid = lo + w < c->n ? lo + w : c->n, hi = lo + 2 * w < c->n ? lo + 2 * w : c->n;
            uint32_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                tmp[o++] = c->time[ix[b]] < c->time[ix[a]] ? ix[b++] : ix[a++];
            while (a < mid)
                tmp[o++] = ix[a++];
            while (b < hi)
                tmp[o++] = ix[b++];
        }
        memcpy(ix, tmp, c->n * sizeof *ix);
    }
    free(tmp);
    return ix;
}

/* Decoded d must be c in stable time order, on the columns in mask. */
static void assert_decoded_as(const struct evb_cols *c, const struct evb_cols *d, unsigned mask)
{
    assert_int_equal(d->n, c->n);
    uint32_t *ix = stable_order(c);
    for (uint32_t i = 0; i < c->n; i++) {
        if ((mask & (1u << BLOG_C_TIME)) && d->time[i] != c->time[ix[i]])
            fail_msg("event %u: time %lld, expected %lld", i, (long long)d->time[i],
                     (long long)c->time[ix[i]]);
        for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++)
            if ((mask & (1u << k)) && d->ids[EVB_IDX(k)][i] != c->ids[EVB_IDX(k)][ix[i]])
                fail_msg("event %u column %d: id %u, expected %u", i, k,
                         d->ids[EVB_IDX(k)][i], c->ids[EVB_IDX(k)][ix[i]]);
    }
    if (mask & (1u << BLOG_C_ATTR)) {
        /* Attribute columns that are all zero are left out; the rest come
         * back in order with their names. */
        uint32_t da = 0;
        for (uint32_t a = 0; a < c->natt; a++) {
            int any = 0;
            for (uint32_t i = 0; i < c->n; i++)
                any |= c->att[a][i] != 0;
            if (!any)
                continue;
            assert_true(da < d->natt);
            assert_int_equal(d->att_name[da], c->att_name[a]);
            for (uint32_t i = 0; i < c->n; i++)
                if (d->att[da][i] != c->att[a][ix[i]])
                    fail_msg("event %u attribute %u: id %u, expected %u", i, a, d->att[da][i],
                             c->att[a][ix[i]]);
            da++;
        }
        assert_int_equal(d->natt, da);
    }
    free(ix);
}

static void round_trip(const struct evb_cols *c, const uint32_t *sizes)
{
    struct encoded e;
    struct evb_cols d;
    encode(c, &e);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint32_t i = 0; i < c->n; i++) {
        lo = c->time[i] < lo ? c->time[i] : lo;
        hi = c->time[i] > hi ? c->time[i] : hi;
    }
    assert_int_equal(e.lo, lo);
    assert_int_equal(e.hi, hi);
    cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &d), 0);
    assert_decoded_as(c, &d, ALL_COLS);
    evb_cols_free(&d);
    buf_free(&e.pl);
}

/* ---- round trips ---- */

static void random_columns_round_trip(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    sizes_all(sizes, 1000);
    uint32_t ns[] = {1, 2, 3, 17, 1000, BLOG_EVENTS_PER_BLOCK};
    for (size_t k = 0; k < sizeof ns / sizeof *ns; k++) {
        struct evb_cols c;
        cols_new(&c, ns[k], 3);
        fill_random(&c, ns[k], 1600000000, 1800000000, 1000);
        round_trip(&c, sizes);
        evb_cols_free(&c);
    }
}

static void times_spanning_year_0_to_9999_round_trip(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    sizes_all(sizes, 50);
    struct evb_cols c;
    cols_new(&c, 5000, 1);
    fill_random(&c, 5000, FTIME_MIN, FTIME_MAX, 50);
    c.time[0] = FTIME_MIN;
    c.time[1] = FTIME_MAX;
    c.time[2] = FTIME_MIN;
    c.time[4999] = FTIME_MAX;
    round_trip(&c, sizes);
    /* Alternating extremes: every delta is the full span. */
    for (uint32_t i = 0; i < c.n; i++)
        c.time[i] = i % 2 ? FTIME_MAX : FTIME_MIN;
    round_trip(&c, sizes);
    /* Only the extremes, one event each. */
    c.n = 1;
    c.time[0] = FTIME_MIN;
    round_trip(&c, sizes);
    c.time[0] = FTIME_MAX;
    round_trip(&c, sizes);
    evb_cols_free(&c);
}

static void large_ids_round_trip(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    sizes_all(sizes, UINT32_MAX);
    struct evb_cols c;
    cols_new(&c, 300, 2);
    fill_random(&c, 300, 0, 86400, 1000);
    for (uint32_t i = 0; i < c.n; i++)
        for (int k = 0; k < EVB_NIDS; k++)
            if (i % 3 == 0)
                c.ids[k][i] = UINT32_MAX - 1 - (uint32_t)k;
    c.att[1][7] = UINT32_MAX - 1;
    round_trip(&c, sizes);
    evb_cols_free(&c);
}

static void events_come_back_sorted_by_time_stably_with_columns_moved_together(void **state)
{
    (void)state;
    uint32_t n = 20000, sizes[BLOG_D_COUNT];
    sizes_all(sizes, n + 1);
    struct evb_cols c, d;
    cols_new(&c, n, 2);
    fill_random(&c, n, 0, 1, 1);
    /* Few distinct times, so there are long runs of ties; every column
     * carries a function of the original index. */
    for (uint32_t i = 0; i < n; i++) {
        c.time[i] = 1700000000 + (int64_t)(next() % 40) * 3600;
        c.ids[EVB_IDX(BLOG_C_ENTITY)][i] = i;
        for (int k = 1; k < EVB_NIDS; k++)
            c.ids[k][i] = (i * (uint32_t)(k + 2)) % n + 1;
        c.att[0][i] = n - i;
        c.att[1][i] = i % 7;
    }
    struct encoded e;
    encode(&c, &e);
    cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &d), 0);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t orig = d.ids[EVB_IDX(BLOG_C_ENTITY)][i];
        assert_true(orig < n);
        if (i > 0) {
            assert_true(d.time[i - 1] <= d.time[i]);
            if (d.time[i - 1] == d.time[i])
                assert_true(d.ids[EVB_IDX(BLOG_C_ENTITY)][i - 1] < orig);  /* stable */
        }
        assert_int_equal(d.time[i], c.time[orig]);
        for (int k = 1; k < EVB_NIDS; k++)
            assert_int_equal(d.ids[k][i], c.ids[k][orig]);
        assert_int_equal(d.att[0][i], c.att[0][orig]);
        assert_int_equal(d.att[1][i], c.att[1][orig]);
    }
    assert_decoded_as(&c, &d, ALL_COLS);
    evb_cols_free(&d);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

static void encoding_is_deterministic_and_leaves_the_input_alone(void **state)
{
    (void)state;
    struct evb_cols c, copy;
    cols_new(&c, 2000, 2);
    cols_new(&copy, 2000, 2);
    fill_random(&c, 2000, 0, 100000, 500);
    copy.n = c.n;
    memcpy(copy.time, c.time, c.n * sizeof *c.time);
    for (int k = 0; k < EVB_NIDS; k++)
        memcpy(copy.ids[k], c.ids[k], c.n * sizeof(uint32_t));
    struct encoded a, b;
    encode(&c, &a);
    encode(&c, &b);
    assert_int_equal(a.pl.len, b.pl.len);
    assert_memory_equal(a.pl.p, b.pl.p, a.pl.len);
    assert_memory_equal(copy.time, c.time, c.n * sizeof *c.time);
    for (int k = 0; k < EVB_NIDS; k++)
        assert_memory_equal(copy.ids[k], c.ids[k], c.n * sizeof(uint32_t));
    /* Reusing one scratch for several blocks of different sizes is fine. */
    struct evb_scratch s = {0};
    struct buf out = {0};
    int64_t lo, hi;
    for (uint32_t n = 2000; n >= 1; n /= 3) {
        c.n = n;
        assert_int_equal(evb_encode(&c, 6, &s, &out, &lo, &hi), 0);
        struct encoded one;
        encode(&c, &one);
        assert_int_equal(out.len, one.pl.len);
        assert_memory_equal(out.p, one.pl.p, out.len);
        buf_free(&one.pl);
    }
    evb_scratch_free(&s);
    buf_free(&out);
    buf_free(&a.pl);
    buf_free(&b.pl);
    evb_cols_free(&copy);
    evb_cols_free(&c);
}

/* ---- subsets and absent columns ---- */

static void a_subset_of_columns_can_be_decoded(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    sizes_all(sizes, 100);
    struct evb_cols c, d;
    cols_new(&c, 3000, 2);
    fill_random(&c, 3000, 0, 1000000, 100);
    struct encoded e;
    encode(&c, &e);
    unsigned masks[] = {1u << BLOG_C_TIME,
                        (1u << BLOG_C_TIME) | (1u << BLOG_C_ENTITY) | (1u << BLOG_C_STAGE) |
                            (1u << BLOG_C_CHANNEL) | (1u << BLOG_C_OUTCOME),
                        1u << BLOG_C_ATTR, (1u << BLOG_C_AMOUNT) | (1u << BLOG_C_TIME), 0};
    for (size_t m = 0; m < sizeof masks / sizeof *masks; m++) {
        cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
        assert_int_equal(decode_e(&e, masks[m], sizes, &d), 0);
        assert_decoded_as(&c, &d, masks[m]);
        if (!(masks[m] & (1u << BLOG_C_ATTR)))
            assert_int_equal(d.natt, 0);
        evb_cols_free(&d);
    }
    evb_cols_free(&c);
    buf_free(&e.pl);
}

/* Byte offset of column number i's compressed stream in a payload. */
static size_t column_start(const struct buf *pl, uint32_t i)
{
    size_t pos = 1 + (size_t)pl->p[0] * BLOG_COL_DESC_LEN;
    for (uint32_t j = 0; j < i; j++) {
        const unsigned char *d = pl->p + 1 + (size_t)j * BLOG_COL_DESC_LEN;
        pos += (size_t)d[12] | (size_t)d[13] << 8 | (size_t)d[14] << 16 | (size_t)d[15] << 24;
    }
    return pos;
}

/* Columns are independent: damage in one the reader skips does not matter. */
static void an_unwanted_column_is_not_inflated(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    sizes_all(sizes, 100);
    struct evb_cols c, d;
    cols_new(&c, 500, 0);
    fill_random(&c, 500, 0, 1000000, 100);
    struct encoded e;
    encode(&c, &e);
    /* find the touch column and spoil its stream */
    uint32_t touch = UINT32_MAX;
    for (uint32_t i = 0; i < e.pl.p[0]; i++)
        if (e.pl.p[1 + (size_t)i * BLOG_COL_DESC_LEN] == BLOG_C_TOUCH)
            touch = i;
    assert_true(touch != UINT32_MAX);
    size_t at = column_start(&e.pl, touch) + 4;
    e.pl.p[at] ^= 0x55;
    unsigned without_touch = ALL_COLS & ~(1u << BLOG_C_TOUCH);
    cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
    assert_int_equal(decode_e(&e, without_touch, sizes, &d), 0);
    assert_decoded_as(&c, &d, without_touch);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &d), FB_ECORRUPT);
    evb_cols_free(&d);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

static void absent_optional_columns_read_as_0(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    sizes_all(sizes, 100);
    struct evb_cols c, d;
    cols_new(&c, 100, 2);
    fill_random(&c, 100, 0, 1000, 100);
    for (uint32_t i = 0; i < c.n; i++) {
        c.ids[EVB_IDX(BLOG_C_TOUCH)][i] = 0;
        c.ids[EVB_IDX(BLOG_C_OUTCOME)][i] = 0;
        c.ids[EVB_IDX(BLOG_C_AMOUNT)][i] = 0;
        c.att[0][i] = c.att[1][i] = 0;
    }
    struct encoded e;
    encode(&c, &e);
    assert_int_equal(e.pl.p[0], 4);     /* time, entity, stage, channel only */
    cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
    for (int k = 0; k < EVB_NIDS; k++)
        memset(d.ids[k], 0xEE, BLOG_EVENTS_PER_BLOCK * sizeof(uint32_t));
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &d), 0);
    for (uint32_t i = 0; i < c.n; i++) {
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_TOUCH)][i], 0);
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_OUTCOME)][i], 0);
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_AMOUNT)][i], 0);
    }
    assert_int_equal(d.natt, 0);
    assert_decoded_as(&c, &d, ALL_COLS);
    evb_cols_free(&d);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

/* A column with a single nonzero id is present; only all-zero ones go. */
static void one_nonzero_id_keeps_an_optional_column(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    sizes_all(sizes, 100);
    struct evb_cols c, d;
    cols_new(&c, 50, 3);
    fill_random(&c, 50, 0, 1000, 100);
    for (uint32_t i = 0; i < c.n; i++) {
        c.ids[EVB_IDX(BLOG_C_TOUCH)][i] = 0;
        c.ids[EVB_IDX(BLOG_C_OUTCOME)][i] = 0;
        c.ids[EVB_IDX(BLOG_C_AMOUNT)][i] = 0;
        c.att[0][i] = c.att[1][i] = c.att[2][i] = 0;
    }
    c.ids[EVB_IDX(BLOG_C_OUTCOME)][49] = 3;
    c.att[1][0] = 9;
    struct encoded e;
    encode(&c, &e);
    assert_int_equal(e.pl.p[0], 6);
    cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &d), 0);
    assert_decoded_as(&c, &d, ALL_COLS);
    assert_int_equal(d.natt, 1);
    assert_int_equal(d.att_name[0], 2);
    evb_cols_free(&d);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

/* One set of columns decodes blocks with 3, 0, 1 and 6 attributes in turn. */
static void decode_grows_attribute_columns_as_blocks_need(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT], natts[] = {3, 0, 1, 6, 2};
    sizes_all(sizes, 100);
    struct evb_cols d;
    cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
    for (size_t k = 0; k < sizeof natts / sizeof *natts; k++) {
        struct evb_cols c;
        cols_new(&c, 700, natts[k]);
        fill_random(&c, 700, 0, 1000, 100);
        for (uint32_t a = 0; a < c.natt; a++)
            c.att[a][0] = 1 + a;      /* never all zero */
        struct encoded e;
        encode(&c, &e);
        assert_int_equal(decode_e(&e, ALL_COLS, sizes, &d), 0);
        assert_decoded_as(&c, &d, ALL_COLS);
        assert_int_equal(d.natt, natts[k]);
        buf_free(&e.pl);
        evb_cols_free(&c);
    }
    evb_cols_free(&d);
}

/* ---- damage ---- */

/* Events with every column present and one attribute named 1, decoded with
 * dictionary sizes that admit exactly the ids used: then every change of a
 * descriptor is detectable, and zlib's adler32 guards the streams. */
static void full_block(struct evb_cols *c, struct encoded *e, uint32_t *sizes)
{
    uint32_t n = 60;
    cols_new(c, n, 1);
    fill_random(c, n, 1700000000, 1700900000, 40);
    for (int k = 0; k < EVB_NIDS; k++)
        c->ids[k][0] = 39;
    c->att[0][0] = 39;
    encode(c, e);
    sizes_all(sizes, 40);
    sizes[BLOG_D_ATTR_NAME] = 2;
    assert_int_equal(e->pl.p[0], 8);
}

static int same_decode(const struct evb_cols *a, const struct evb_cols *b)
{
    if (a->n != b->n || a->natt != b->natt)
        return 0;
    if (memcmp(a->time, b->time, a->n * sizeof *a->time) != 0)
        return 0;
    for (int k = 0; k < EVB_NIDS; k++)
        if (memcmp(a->ids[k], b->ids[k], a->n * sizeof(uint32_t)) != 0)
            return 0;
    for (uint32_t x = 0; x < a->natt; x++)
        if (a->att_name[x] != b->att_name[x] ||
            memcmp(a->att[x], b->att[x], a->n * sizeof(uint32_t)) != 0)
            return 0;
    return 1;
}

/* Changes to the column directory are caught by the decoder itself: either
 * rejected or without effect (the unused name field of a fixed column). */
static void every_directory_byte_change_is_rejected_or_decodes_identically(void **state)
{
    (void)state;
    struct evb_cols c, good, got;
    struct encoded e;
    uint32_t sizes[BLOG_D_COUNT];
    full_block(&c, &e, sizes);
    cols_new(&good, BLOG_EVENTS_PER_BLOCK, 0);
    cols_new(&got, BLOG_EVENTS_PER_BLOCK, 0);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &good), 0);
    unsigned char *p = malloc(e.pl.len);
    assert_non_null(p);
    size_t rejected = 0, same = 0, dir = 1 + (size_t)e.pl.p[0] * BLOG_COL_DESC_LEN;
    for (size_t i = 0; i < dir; i++)
        for (unsigned v = 0; v < 256; v++) {
            if (v == e.pl.p[i])
                continue;
            memcpy(p, e.pl.p, e.pl.len);
            p[i] = (unsigned char)v;
            int rc = decode(p, e.pl.len, e.n, e.lo, e.hi, ALL_COLS, sizes, &got);
            if (rc != 0) {
                rejected++;
                continue;
            }
            if (!same_decode(&good, &got))
                fail_msg("directory byte %zu changed from 0x%02x to 0x%02x decodes to different "
                         "events", i, e.pl.p[i], v);
            same++;
        }
    assert_true(rejected > 0);
    assert_true(same > 0);
    free(p);
    evb_cols_free(&got);
    evb_cols_free(&good);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

/* Inside a column stream zlib's adler32 is too weak to catch every change
 * (a one-byte change can inflate to other ids with the same adler32), so
 * readers check the block's crc32 first, as replay, cat and verify do:
 * through blog_read_payload then evb_decode, every single-byte change of
 * the payload, to every other value, is rejected.  The decoder alone must
 * still never crash on it nor yield an id or time its bounds forbid. */
static void every_single_byte_change_of_a_payload_is_rejected_by_the_read_path(void **state)
{
    (void)state;
    struct evb_cols c, got;
    struct encoded e;
    uint32_t sizes[BLOG_D_COUNT];
    full_block(&c, &e, sizes);
    cols_new(&got, BLOG_EVENTS_PER_BLOCK, 0);
    struct buf blk = {0}, pl = {0};
    assert_int_equal(blog_block_append(&blk, BLOG_T_EVENTS, 0, e.n, e.lo, e.hi, e.pl.p, e.pl.len), 0);
    char dir[] = "/tmp/test_evblock.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/block", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, blk.p, blk.len, 0), (ssize_t)blk.len);
    struct blog_block b = {0, {0}};
    assert_int_equal(blog_hdr_decode(blk.p, &b.h), 0);
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(blog_read_payload(fd, path, &b, &pl, &err), 0);
    struct evb_cols good;
    cols_new(&good, BLOG_EVENTS_PER_BLOCK, 0);
    assert_int_equal(decode(pl.p, pl.len, b.h.count, b.h.a, b.h.b, ALL_COLS, sizes, &good), 0);
    size_t decoder_missed = 0;
    for (size_t i = 0; i < e.pl.len; i++) {
        unsigned char orig = e.pl.p[i];
        for (unsigned v = 0; v < 256; v++) {
            if (v == orig)
                continue;
            unsigned char byte = (unsigned char)v;
            assert_int_equal(pwrite(fd, &byte, 1, BLOG_BLOCK_HEADER_LEN + (off_t)i), 1);
            int rc = blog_read_payload(fd, path, &b, &pl, &err);
            if (rc == 0)
                rc = decode(pl.p, pl.len, b.h.count, b.h.a, b.h.b, ALL_COLS, sizes, &got);
            if (rc != FB_ECORRUPT)
                fail_msg("payload byte %zu changed from 0x%02x to 0x%02x was not rejected (%d)", i,
                         orig, v, rc);
            /* the decoder alone, on the damaged bytes */
            if (decode(pl.p, pl.len, b.h.count, b.h.a, b.h.b, ALL_COLS, sizes, &got) == 0) {
                decoder_missed += !same_decode(&good, &got);
                for (uint32_t k = 0; k < got.n; k++) {
                    assert_true(got.time[k] >= e.lo && got.time[k] <= e.hi);
                    for (int x = 0; x < EVB_NIDS; x++)
                        assert_true(got.ids[x][k] < 40);
                    assert_true(got.att[0][k] < 40);
                }
            }
        }
        assert_int_equal(pwrite(fd, &orig, 1, BLOG_BLOCK_HEADER_LEN + (off_t)i), 1);
    }
    assert_int_equal(blog_read_payload(fd, path, &b, &pl, &err), 0);
    /* the decoder alone lets through only a few (3 of 187170 here) */
    assert_true(decoder_missed < e.pl.len * 255 / 1000);
    close(fd);
    unlink(path);
    rmdir(dir);
    buf_free(&pl);
    buf_free(&blk);
    evb_cols_free(&good);
    evb_cols_free(&got);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

/* A sparse block (optional columns left out) cannot tell every descriptor
 * change from a real block - the block CRC does that - but a decode never
 * crashes and never yields an id or a time its bounds forbid. */
static void damaged_blocks_never_yield_out_of_bound_values(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    sizes_all(sizes, 30);
    struct evb_cols c, got;
    cols_new(&c, 40, 3);
    fill_random(&c, 40, -1000, 1000, 30);
    for (uint32_t i = 0; i < c.n; i++)
        c.ids[EVB_IDX(BLOG_C_AMOUNT)][i] = 0;
    struct encoded e;
    encode(&c, &e);
    cols_new(&got, BLOG_EVENTS_PER_BLOCK, 0);
    unsigned char *p = malloc(e.pl.len);
    assert_non_null(p);
    for (size_t i = 0; i < e.pl.len; i++)
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(p, e.pl.p, e.pl.len);
            p[i] ^= (unsigned char)(1u << bit);
            if (decode(p, e.pl.len, e.n, e.lo, e.hi, ALL_COLS, sizes, &got) != 0)
                continue;
            for (uint32_t k = 0; k < got.n; k++) {
                assert_true(got.time[k] >= e.lo && got.time[k] <= e.hi);
                for (int x = 0; x < EVB_NIDS; x++)
                    assert_true(got.ids[x][k] < 30);
                for (uint32_t a = 0; a < got.natt; a++)
                    assert_true(got.att[a][k] < 30);
            }
            for (uint32_t a = 0; a < got.natt; a++)
                assert_in_range(got.att_name[a], 1, 29);
        }
    free(p);
    evb_cols_free(&got);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

static void every_truncation_is_rejected(void **state)
{
    (void)state;
    struct evb_cols c, got;
    struct encoded e;
    uint32_t sizes[BLOG_D_COUNT];
    full_block(&c, &e, sizes);
    cols_new(&got, BLOG_EVENTS_PER_BLOCK, 0);
    for (size_t len = 0; len < e.pl.len; len++) {
        /* an exact-size copy, so ASan sees any read past the end */
        unsigned char *p = malloc(len ? len : 1);
        assert_non_null(p);
        memcpy(p, e.pl.p, len);
        if (decode(p, len, e.n, e.lo, e.hi, ALL_COLS, sizes, &got) != FB_ECORRUPT)
            fail_msg("a payload cut to %zu of %zu bytes was accepted", len, e.pl.len);
        free(p);
    }
    /* and a byte too many */
    assert_int_equal(buf_append(&e.pl, "", 1), 0);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &got), FB_ECORRUPT);
    evb_cols_free(&got);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

static void ids_beyond_the_dictionary_sizes_are_rejected(void **state)
{
    (void)state;
    struct evb_cols c, got;
    struct encoded e;
    uint32_t sizes[BLOG_D_COUNT];
    full_block(&c, &e, sizes);        /* max id 39 everywhere, attribute named 1 */
    cols_new(&got, BLOG_EVENTS_PER_BLOCK, 0);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &got), 0);
    for (int k = 0; k < BLOG_D_COUNT; k++) {
        uint32_t saved = sizes[k];
        sizes[k] = k == BLOG_D_ATTR_NAME ? 1 : 39;
        if (decode_e(&e, ALL_COLS, sizes, &got) != FB_ECORRUPT)
            fail_msg("dictionary %d of size %u accepted its id %u", k, sizes[k], sizes[k]);
        sizes[k] = saved;
    }
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &got), 0);
    evb_cols_free(&got);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

static void time_outside_the_header_range_is_rejected(void **state)
{
    (void)state;
    struct evb_cols c, got;
    struct encoded e;
    uint32_t sizes[BLOG_D_COUNT];
    full_block(&c, &e, sizes);
    cols_new(&got, BLOG_EVENTS_PER_BLOCK, 0);
    const struct { int64_t dlo, dhi; } bad[] = {
        {1, 0}, {0, -1}, {-1, 0}, {0, 1}, {-1, 1}, {1, -1}, {-86400, 0}, {0, 86400},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (decode(e.pl.p, e.pl.len, e.n, e.lo + bad[i].dlo, e.hi + bad[i].dhi, ALL_COLS, sizes,
                   &got) != FB_ECORRUPT)
            fail_msg("range shifted by %lld/%lld accepted", (long long)bad[i].dlo,
                     (long long)bad[i].dhi);
    /* min > max, and the extremes of int64 do not overflow the checks */
    assert_int_equal(decode(e.pl.p, e.pl.len, e.n, e.hi, e.lo, ALL_COLS, sizes, &got), FB_ECORRUPT);
    assert_int_equal(decode(e.pl.p, e.pl.len, e.n, INT64_MIN, INT64_MAX, ALL_COLS, sizes, &got),
                     FB_ECORRUPT);
    assert_int_equal(decode(e.pl.p, e.pl.len, e.n, INT64_MAX, INT64_MAX, ALL_COLS, sizes, &got),
                     FB_ECORRUPT);
    assert_int_equal(decode(e.pl.p, e.pl.len, e.n, INT64_MIN, INT64_MIN, ALL_COLS, sizes, &got),
                     FB_ECORRUPT);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &got), 0);
    evb_cols_free(&got);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

static void a_wrong_event_count_is_rejected(void **state)
{
    (void)state;
    struct evb_cols c, got, small;
    struct encoded e;
    uint32_t sizes[BLOG_D_COUNT];
    full_block(&c, &e, sizes);
    cols_new(&got, BLOG_EVENTS_PER_BLOCK, 0);
    uint32_t counts[] = {0, e.n - 1, e.n + 1, 2 * e.n, BLOG_EVENTS_PER_BLOCK, BLOG_EVENTS_PER_BLOCK + 1,
                         UINT32_MAX};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
        if (decode(e.pl.p, e.pl.len, counts[i], e.lo, e.hi, ALL_COLS, sizes, &got) != FB_ECORRUPT)
            fail_msg("count %u accepted for %u events", counts[i], e.n);
    /* columns too small for the count are refused, not overrun */
    cols_new(&small, e.n - 1, 0);
    assert_int_equal(decode_e(&e, ALL_COLS, sizes, &small), FB_ECORRUPT);
    evb_cols_free(&small);
    evb_cols_free(&got);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

/* Hand-made payloads: directory rules. */
static void malformed_directories_are_rejected(void **state)
{
    (void)state;
    struct evb_cols c, got;
    struct encoded e;
    uint32_t sizes[BLOG_D_COUNT];
    full_block(&c, &e, sizes);
    cols_new(&got, BLOG_EVENTS_PER_BLOCK, 0);
    unsigned char *p = malloc(e.pl.len);
    assert_non_null(p);
    /* each required column removed by renaming its kind to a duplicate */
    for (int k = BLOG_C_TIME; k <= BLOG_C_CHANNEL; k++) {
        memcpy(p, e.pl.p, e.pl.len);
        for (uint32_t i = 0; i < p[0]; i++) {
            unsigned char *d = p + 1 + (size_t)i * BLOG_COL_DESC_LEN;
            if (d[0] == k)
                d[0] = BLOG_C_ATTR;
        }
        assert_int_equal(decode(p, e.pl.len, e.n, e.lo, e.hi, ALL_COLS, sizes, &got), FB_ECORRUPT);
    }
    /* unknown kinds and encodings, nonzero reserved bytes */
    const unsigned char kinds[] = {8, 9, 0x7f, 0xff};
    for (size_t j = 0; j < sizeof kinds; j++) {
        memcpy(p, e.pl.p, e.pl.len);
        p[1 + 7 * BLOG_COL_DESC_LEN] = kinds[j];
        assert_int_equal(decode(p, e.pl.len, e.n, e.lo, e.hi, ALL_COLS, sizes, &got), FB_ECORRUPT);
    }
    /* an empty payload, and a directory that promises more than is there */
    assert_int_equal(decode(p, 0, e.n, e.lo, e.hi, ALL_COLS, sizes, &got), FB_ECORRUPT);
    unsigned char one = 255;
    assert_int_equal(decode(&one, 1, e.n, e.lo, e.hi, ALL_COLS, sizes, &got), FB_ECORRUPT);
    unsigned char zero = 0;
    assert_int_equal(decode(&zero, 1, e.n, e.lo, e.hi, ALL_COLS, sizes, &got), FB_ECORRUPT);
    free(p);
    evb_cols_free(&got);
    evb_cols_free(&c);
    buf_free(&e.pl);
}

/* ---- payloads built by hand from docs/FORMAT.md §6 ---- */

struct hcol {
    unsigned char kind, enc;
    uint32_t name;
    unsigned char raw[64];
    size_t raw_len;
};

static size_t put_uv(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* A column of the given varints (zigzag them first for times). */
static struct hcol hcol(unsigned char kind, uint32_t name, const uint64_t *v, size_t n)
{
    struct hcol c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.enc = kind == BLOG_C_TIME ? BLOG_E_TIME_DELTA : BLOG_E_VARINT;
    c.name = name;
    for (size_t i = 0; i < n; i++)
        c.raw_len += put_uv(c.raw + c.raw_len, v[i]);
    return c;
}

static void le32(unsigned char *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (unsigned char)(v >> (8 * k));
}

static void hand_payload(const struct hcol *cols, size_t ncols, struct buf *out)
{
    out->len = 0;
    assert_int_equal(buf_reserve(out, 1 + ncols * BLOG_COL_DESC_LEN), 0);
    out->p[0] = (unsigned char)ncols;
    out->len = 1 + ncols * BLOG_COL_DESC_LEN;
    for (size_t i = 0; i < ncols; i++) {
        unsigned char comp[256];
        uLongf clen = sizeof comp;
        assert_int_equal(compress2(comp, &clen, cols[i].raw, (uLong)cols[i].raw_len, 6), Z_OK);
        unsigned char *d = out->p + 1 + i * BLOG_COL_DESC_LEN;
        d[0] = cols[i].kind;
        d[1] = cols[i].enc;
        d[2] = d[3] = 0;
        le32(d + 4, cols[i].name);
        le32(d + 8, (uint32_t)cols[i].raw_len);
        le32(d + 12, (uint32_t)clen);
        assert_int_equal(buf_append(out, comp, clen), 0);
    }
}

/* Three events at times 100, 100, 107 (zigzag deltas 0, 0, 7 -> 0, 0, 14). */
static const uint64_t H_TIME[] = {0, 0, 14}, H_ENT[] = {1, 2, 1}, H_STAGE[] = {3, 3, 1},
                      H_CHAN[] = {1, 2, 2}, H_ZERO[] = {0, 0, 0}, H_ATT[] = {5, 0, 6};

static void hand_sizes(uint32_t *sizes)
{
    sizes_all(sizes, 10);
}

static void a_hand_built_payload_decodes_as_the_format_says(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    hand_sizes(sizes);
    /* columns in an order funnel does not write, an all-zero optional
     * column, and an attribute: readers accept all of it */
    struct hcol cols[] = {
        hcol(BLOG_C_ATTR, 4, H_ATT, 3), hcol(BLOG_C_CHANNEL, 0, H_CHAN, 3),
        hcol(BLOG_C_OUTCOME, 0, H_ZERO, 3), hcol(BLOG_C_STAGE, 0, H_STAGE, 3),
        hcol(BLOG_C_TIME, 0, H_TIME, 3), hcol(BLOG_C_ENTITY, 0, H_ENT, 3),
    };
    struct buf pl = {0};
    hand_payload(cols, 6, &pl);
    struct evb_cols d;
    cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
    assert_int_equal(decode(pl.p, pl.len, 3, 100, 107, ALL_COLS, sizes, &d), 0);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.time[0], 100);
    assert_int_equal(d.time[1], 100);
    assert_int_equal(d.time[2], 107);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_ENTITY)][i], H_ENT[i]);
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_STAGE)][i], H_STAGE[i]);
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_CHANNEL)][i], H_CHAN[i]);
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_TOUCH)][i], 0);
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_OUTCOME)][i], 0);
        assert_int_equal(d.ids[EVB_IDX(BLOG_C_AMOUNT)][i], 0);
    }
    assert_int_equal(d.natt, 1);
    assert_int_equal(d.att_name[0], 4);
    assert_int_equal(d.att[0][0], 5);
    assert_int_equal(d.att[0][2], 6);
    /* unsorted times are accepted too (order carries no meaning) */
    const uint64_t back[] = {14, 13, 0};          /* 107, 100, 100 */
    cols[4] = hcol(BLOG_C_TIME, 0, back, 3);
    hand_payload(cols, 6, &pl);
    assert_int_equal(decode(pl.p, pl.len, 3, 100, 107, ALL_COLS, sizes, &d), 0);
    assert_int_equal(d.time[0], 107);
    assert_int_equal(d.time[1], 100);
    evb_cols_free(&d);
    buf_free(&pl);
}

/* Each rule of FORMAT.md §6.4 that a well-formed stream can break. */
static void hand_built_payloads_breaking_a_rule_are_rejected(void **state)
{
    (void)state;
    uint32_t sizes[BLOG_D_COUNT];
    hand_sizes(sizes);
    const uint64_t four[] = {1, 2, 1, 1}, two[] = {1, 2}, big_id[] = {1, 10, 1},
                   overlong[] = {0x80, 0x80, 0x80}, past_hi[] = {0, 0, 16}, under_lo[] = {0, 1, 14};
    struct hcol ok[] = {
        hcol(BLOG_C_TIME, 0, H_TIME, 3), hcol(BLOG_C_ENTITY, 0, H_ENT, 3),
        hcol(BLOG_C_STAGE, 0, H_STAGE, 3), hcol(BLOG_C_CHANNEL, 0, H_CHAN, 3),
        hcol(BLOG_C_ATTR, 4, H_ATT, 3),
    };
    struct {
        const char *why;
        size_t col;
        struct hcol with;
        size_t ncols;
    } cases[] = {
        {"an id column with a value too many", 1, hcol(BLOG_C_ENTITY, 0, four, 4), 5},
        {"an id column with a value too few", 2, hcol(BLOG_C_STAGE, 0, two, 2), 5},
        {"a time column with a value too many", 0, hcol(BLOG_C_TIME, 0, four, 4), 5},
        {"an id equal to its dictionary size", 3, hcol(BLOG_C_CHANNEL, 0, big_id, 3), 5},
        {"an attribute value equal to its dictionary size", 4, hcol(BLOG_C_ATTR, 4, big_id, 3), 5},
        {"an attribute named 0", 4, hcol(BLOG_C_ATTR, 0, H_ATT, 3), 5},
        {"an attribute name past its dictionary", 4, hcol(BLOG_C_ATTR, 10, H_ATT, 3), 5},
        {"a large id as a two-byte varint", 1, hcol(BLOG_C_ENTITY, 0, overlong, 3), 5},
        {"a time past the block's max", 0, hcol(BLOG_C_TIME, 0, past_hi, 3), 5},
        {"a negative delta below the block's min", 0, hcol(BLOG_C_TIME, 0, under_lo, 3), 5},
        {"a kind 0..6 given twice", 4, hcol(BLOG_C_ENTITY, 0, H_ENT, 3), 5},
        {"the channel column missing", 3, hcol(BLOG_C_ATTR, 4, H_ATT, 3), 5},
        {"the time column missing", 0, hcol(BLOG_C_ATTR, 5, H_ATT, 3), 5},
    };
    struct evb_cols d;
    struct hcol cols_t[5];
    cols_new(&d, BLOG_EVENTS_PER_BLOCK, 0);
    struct buf pl = {0};
    hand_payload(ok, 5, &pl);
    assert_int_equal(decode(pl.p, pl.len, 3, 100, 107, ALL_COLS, sizes, &d), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct hcol cols[5];
        memcpy(cols, ok, sizeof ok);
        cols[cases[i].col] = cases[i].with;
        hand_payload(cols, cases[i].ncols, &pl);
        if (decode(pl.p, pl.len, 3, 100, 107, ALL_COLS, sizes, &d) != FB_ECORRUPT)
            fail_msg("accepted: %s", cases[i].why);
    }
    /* a truncated varint: the last byte still says "more follows" */
    struct hcol t = ok[1];
    t.raw[2] = 0x81;
    memcpy(cols_t, ok, sizeof ok);
    cols_t[1] = t;
    hand_payload(cols_t, 5, &pl);
    assert_int_equal(decode(pl.p, pl.len, 3, 100, 107, ALL_COLS, sizes, &d), FB_ECORRUPT);
    /* an over-long varint: 11 bytes */
    struct hcol c = ok[1];
    memset(c.raw, 0x80, 10);
    c.raw[10] = 0x01;
    c.raw[11] = 0x02;
    c.raw[12] = 0x01;
    c.raw_len = 13;
    struct hcol cols[5];
    memcpy(cols, ok, sizeof ok);
    cols[1] = c;
    hand_payload(cols, 5, &pl);
    assert_int_equal(decode(pl.p, pl.len, 3, 100, 107, ALL_COLS, sizes, &d), FB_ECORRUPT);
    evb_cols_free(&d);
    buf_free(&pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_columns_round_trip),
        cmocka_unit_test(times_spanning_year_0_to_9999_round_trip),
        cmocka_unit_test(large_ids_round_trip),
        cmocka_unit_test(events_come_back_sorted_by_time_stably_with_columns_moved_together),
        cmocka_unit_test(encoding_is_deterministic_and_leaves_the_input_alone),
        cmocka_unit_test(a_subset_of_columns_can_be_decoded),
        cmocka_unit_test(an_unwanted_column_is_not_inflated),
        cmocka_unit_test(absent_optional_columns_read_as_0),
        cmocka_unit_test(one_nonzero_id_keeps_an_optional_column),
        cmocka_unit_test(decode_grows_attribute_columns_as_blocks_need),
        cmocka_unit_test(every_directory_byte_change_is_rejected_or_decodes_identically),
        cmocka_unit_test(every_single_byte_change_of_a_payload_is_rejected_by_the_read_path),
        cmocka_unit_test(damaged_blocks_never_yield_out_of_bound_values),
        cmocka_unit_test(every_truncation_is_rejected),
        cmocka_unit_test(ids_beyond_the_dictionary_sizes_are_rejected),
        cmocka_unit_test(time_outside_the_header_range_is_rejected),
        cmocka_unit_test(a_wrong_event_count_is_rejected),
        cmocka_unit_test(malformed_directories_are_rejected),
        cmocka_unit_test(a_hand_built_payload_decodes_as_the_format_says),
        cmocka_unit_test(hand_built_payloads_breaking_a_rule_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
