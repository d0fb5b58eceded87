/* fuzz_evblock.c - EVENTS block decoding (docs/FORMAT.md §6) with an
 * arbitrary payload, event count, time range, column mask and dictionary
 * sizes.  Input layout (little-endian):
 *   u8 want (bit k: column kind k; 0x80 = BLOG_C_ATTR), u8 flags,
 *   u32 count, i64 min_time, i64 max_time, 8 x u32 dict sizes,
 *   then the payload (the rest).
 * flags bit 0 turns the count into 1 + count % 65536 and the times into
 * values inside the format's range, so most inputs reach the columns.
 * A payload that decodes must hold what it says (times in range, ids below
 * the dictionary sizes), and encoding the decoded columns again and
 * decoding that must give the same events, sorted by time (stable). */
#include "fuzz_common.h"

#include "ftime.h"

#define HDR_LEN (1 + 1 + 4 + 8 + 8 + 4 * BLOG_D_COUNT)

static struct evb_cols cols, again;
static struct evb_scratch scratch, scratch2;
static uint32_t *order;

static void init_once(void)
{
    if (order)
        return;
    FUZZ_CHECK(evb_cols_init(&cols, BLOG_EVENTS_PER_BLOCK, 0) == 0, "evb_cols_init");
    FUZZ_CHECK(evb_cols_init(&again, BLOG_EVENTS_PER_BLOCK, 0) == 0, "evb_cols_init");
    order = malloc(BLOG_EVENTS_PER_BLOCK * sizeof *order);
    FUZZ_CHECK(order != NULL, "malloc");
}

static int64_t in_range(uint64_t v)
{
    return FTIME_MIN + (int64_t)(v % (uint64_t)(FTIME_MAX - FTIME_MIN + 1));
}

/* Stable order by time: ties keep their index order. */
static int by_time_then_index(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (cols.time[x] != cols.time[y])
        return cols.time[x] < cols.time[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* The decoded columns again, through the encoder. */
static void reencode(const uint32_t *dict_sizes)
{
    struct buf out = {0};
    int64_t lo, hi;
    struct fb_error err;
    /* The encoder drops optional id columns and attribute columns that are
     * all zero; evb_encode wants natt columns with names. */
    FUZZ_CHECK(evb_encode(&cols, 1, &scratch2, &out, &lo, &hi) == 0, "evb_encode");
    FUZZ_CHECK(lo <= hi, "encoded range [%lld, %lld]", (long long)lo, (long long)hi);
    fb_error_clear(&err);
    int rc = evb_decode(out.p, out.len, cols.n, lo, hi, ~0u, dict_sizes, &again, &scratch2, &err);
    FUZZ_CHECK(rc == 0, "re-encoded block does not decode: %s", err.msg);
    FUZZ_CHECK(again.n == cols.n, "count %u != %u", again.n, cols.n);
    /* Expected order: a stable sort of the decoded events by time. */
    uint32_t n = cols.n;
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    qsort(order, n, sizeof *order, by_time_then_index);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t o = order[i];
        FUZZ_CHECK(again.time[i] == cols.time[o], "time of event %u", i);
        for (int k = 0; k < EVB_NIDS; k++)
            FUZZ_CHECK(again.ids[k][i] == cols.ids[k][o], "id kind %d of event %u", k, i);
    }
    /* Attribute columns: the non-zero ones, in order, with their names. */
    uint32_t b = 0;
    for (uint32_t a = 0; a < cols.natt; a++) {
        int nonzero = 0;
        for (uint32_t i = 0; i < n && !nonzero; i++)
            nonzero = cols.att[a][i] != 0;
        if (!nonzero)
            continue;
        FUZZ_CHECK(b < again.natt, "attribute column %u lost", a);
        FUZZ_CHECK(again.att_name[b] == cols.att_name[a], "attribute name");
        for (uint32_t i = 0; i < n; i++)
            FUZZ_CHECK(again.att[b][i] == cols.att[a][order[i]], "attribute value");
        b++;
    }
    FUZZ_CHECK(b == again.natt, "%u attribute columns, expected %u", again.natt, b);
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    if (size < HDR_LEN)
        return 0;
    struct fuzz_in in = {data, size};
    unsigned want = fz_u8(&in);
    unsigned flags = fz_u8(&in);
    uint32_t count = fz_u32(&in);
    int64_t lo = (int64_t)fz_u64(&in), hi = (int64_t)fz_u64(&in);
    uint32_t dict_sizes[BLOG_D_COUNT];
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_sizes[k] = fz_u32(&in);
    unsigned mask = (want & 0x7f) | ((want & 0x80) ? 1u << BLOG_C_ATTR : 0);
    if (flags & 1) {
        count = 1 + count % BLOG_EVENTS_PER_BLOCK;
        lo = in_range((uint64_t)lo);
        hi = in_range((uint64_t)hi);
        if (lo > hi) {
            int64_t t = lo;
            lo = hi;
            hi = t;
        }
        for (int k = 0; k < BLOG_D_COUNT; k++)
            dict_sizes[k] = 1 + dict_sizes[k] % (1u << 24);
    }
    struct fb_error err;
    fb_error_clear(&err);
    int rc = evb_decode(in.p, in.n, count, lo, hi, mask, dict_sizes, &cols, &scratch, &err);
    FUZZ_CHECK(rc == 0 || rc == FB_ECORRUPT, "evb_decode returned %d: %s", rc, err.msg);
    if (rc != 0) {
        FUZZ_CHECK(err.msg[0] != '\0', "corruption without a message");
        return 0;
    }
    FUZZ_CHECK(cols.n == count, "decoded %u of %u events", cols.n, count);
    if (mask & (1u << BLOG_C_TIME))
        for (uint32_t i = 0; i < count; i++)
            FUZZ_CHECK(cols.time[i] >= lo && cols.time[i] <= hi, "time outside the range");
    for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++)
        if (mask & (1u << k))
            for (uint32_t i = 0; i < count; i++)
                /* An absent optional column reads as 0 whatever the size. */
                FUZZ_CHECK(cols.ids[EVB_IDX(k)][i] < dict_sizes[EVB_IDX(k)] ||
                               cols.ids[EVB_IDX(k)][i] == 0,
                           "id past its dictionary");
    if (mask & (1u << BLOG_C_ATTR))
        for (uint32_t a = 0; a < cols.natt; a++) {
            FUZZ_CHECK(cols.att_name[a] >= 1 && cols.att_name[a] < dict_sizes[BLOG_D_ATTR_NAME],
                       "attribute name id");
            for (uint32_t i = 0; i < count; i++)
                FUZZ_CHECK(cols.att[a][i] < dict_sizes[BLOG_D_ATTR_VALUE], "attribute value id");
        }
    /* Only a complete decode can be re-encoded. */
    if (mask == (((1u << BLOG_C_FIXED) - 1) | (1u << BLOG_C_ATTR)))
        reencode(dict_sizes);
    return 0;
}
