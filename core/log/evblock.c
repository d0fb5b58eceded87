/* evblock.c - EVENTS block payloads (docs/FORMAT.md §6); see evblock.h.
 * Times are zigzag deltas (exports are roughly in time order, so most
 * deltas fit one byte); ids are byte planes (encoding 2), each byte
 * position of the ids compressed as a run of its own. Encoding 0 (LEB128
 * varints) is still decoded. */
#include "evblock.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bytes.h"
#include "ftime.h"
#include "hugemem.h"

/* Entity ids in time order are close to random: deflate's match search
 * finds almost nothing, so its fastest level is as small and 3x cheaper. */
#define ENTITY_LEVEL 1

/* The bytes of the time and id arrays of cap events. */
static size_t fixed_bytes(uint32_t cap)
{
    return (size_t)(cap ? cap : 1) * (sizeof(int64_t) + EVB_NIDS * sizeof(uint32_t));
}

/* The time and id arrays of cap events in one zeroed block, time first:
 * a reader's block of 64 Ki events is 2 MiB, which in huge pages
 * (hugemem.h) takes one page fault where separate arrays took one for
 * every 4 KiB, and is not cleared before use.  Returns 0 or FB_ENOMEM, c
 * untouched then. */
static int fixed_block(struct evb_cols *c, uint32_t cap)
{
    const size_t n = cap ? cap : 1;
    unsigned char *b = huge_zalloc(fixed_bytes(cap));
    if (!b)
        return FB_ENOMEM;
    c->block_cap = cap;
    c->time = (int64_t *)b;
    for (int k = 0; k < EVB_NIDS; k++)
        c->ids[k] = (uint32_t *)(b + n * sizeof *c->time) + (size_t)k * n;
    return 0;
}

int evb_cols_init(struct evb_cols *c, uint32_t cap, uint32_t natt)
{
    memset(c, 0, sizeof *c);
    int ok = fixed_block(c, cap) == 0;
    c->natt = c->att_cap = natt;
    c->cap = cap;
    c->att_name = calloc(natt ? natt : 1, sizeof *c->att_name);
    c->att = calloc(natt ? natt : 1, sizeof *c->att);
    ok &= c->att_name != NULL && c->att != NULL;
    for (uint32_t a = 0; ok && a < natt; a++)
        ok &= (c->att[a] = calloc(cap ? cap : 1, sizeof(uint32_t))) != NULL;
    if (!ok) {
        evb_cols_free(c);
        return FB_ENOMEM;
    }
    return 0;
}

void *evb_grown(void *p, size_t elem, uint32_t old, uint32_t cap)
{
    unsigned char *q = realloc(p, (size_t)cap * elem);
    if (q)
        memset(q + (size_t)old * elem, 0, (size_t)(cap - old) * elem);
    return q;
}

int evb_cols_grow(struct evb_cols *c, uint32_t cap)
{
    /* Each array is replaced as soon as it has grown, so a failure half way
     * leaves some arrays larger than c->cap: harmless, and all still owned. */
    uint32_t old = c->cap;
    struct evb_cols was = *c;
    if (fixed_block(c, cap) != 0)
        return FB_ENOMEM;
    memcpy(c->time, was.time, (size_t)old * sizeof *c->time);
    for (int k = 0; k < EVB_NIDS; k++)
        memcpy(c->ids[k], was.ids[k], (size_t)old * sizeof(uint32_t));
    huge_zfree(was.time, fixed_bytes(was.block_cap));
    for (uint32_t a = 0; a < c->natt; a++) {
        uint32_t *q = evb_grown(c->att[a], sizeof(uint32_t), old, cap);
        if (!q)
            return FB_ENOMEM;
        c->att[a] = q;
    }
    c->cap = cap;
    return 0;
}

void evb_cols_free(struct evb_cols *c)
{
    huge_zfree(c->time, fixed_bytes(c->block_cap));   /* the block of every id array too */
    for (uint32_t a = 0; c->att && a < c->att_cap; a++)
        free(c->att[a]);
    free(c->att);
    free(c->att_name);
    memset(c, 0, sizeof *c);
}

void evb_scratch_free(struct evb_scratch *s)
{
    buf_free(&s->raw);
    buf_free(&s->comp);
    free(s->perm);
    free(s->tmp);
    free(s->key);
    free(s->tkey);
    zinf_free(&s->inflater);
    memset(s, 0, sizeof *s);
}

/* s->perm = indices of c sorted by time, stably: an LSD radix sort on
 * time - min, one byte a pass, over only the bytes the block's span needs. */
static int sort_by_time(const struct evb_cols *c, int64_t lo, int64_t hi, struct evb_scratch *s)
{
    if (c->n > s->perm_cap) {
        free(s->perm); free(s->tmp); free(s->key); free(s->tkey);
        s->perm = malloc(c->n * sizeof *s->perm);
        s->tmp = malloc(c->n * sizeof *s->tmp);
        s->key = malloc(c->n * sizeof *s->key);
        s->tkey = malloc(c->n * sizeof *s->tkey);
        s->perm_cap = s->perm && s->tmp && s->key && s->tkey ? c->n : 0;
        if (!s->perm_cap)
            return FB_ENOMEM;
    }
    for (uint32_t i = 0; i < c->n; i++) {
        s->perm[i] = i;
        s->key[i] = (uint64_t)(c->time[i] - lo);
    }
    uint64_t span = (uint64_t)(hi - lo);
    for (unsigned shift = 0; shift < 64 && (span >> shift) != 0; shift += 8) {
        uint32_t count[257] = {0};
        for (uint32_t i = 0; i < c->n; i++)
            count[((s->key[i] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (uint32_t i = 0; i < c->n; i++) {
            uint32_t at = count[(s->key[i] >> shift) & 0xff]++;
            s->tmp[at] = s->perm[i];
            s->tkey[at] = s->key[i];
        }
        uint32_t *p = s->perm; s->perm = s->tmp; s->tmp = p;
        uint64_t *k = s->key; s->key = s->tkey; s->tkey = k;
    }
    return 0;
}

static int all_zero(const uint32_t *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i])
            return 0;
    return 1;
}

/* Compress s->raw onto the end of out and fill descriptor number d (its
 * address is computed after the append, since out->p may move). */
static int put_column(struct evb_scratch *s, struct buf *out, uint32_t d,
                      int kind, int enc, uint32_t name, int level)
{
    uLongf clen = compressBound((uLong)s->raw.len);
    if (buf_reserve(&s->comp, clen) != 0)
        return FB_ENOMEM;
    if (compress2(s->comp.p, &clen, s->raw.p, (uLong)s->raw.len, level) != Z_OK)
        return FB_ENOMEM;
    if (buf_append(out, s->comp.p, clen) != 0)
        return FB_ENOMEM;
    unsigned char *desc = out->p + 1 + (size_t)d * BLOG_COL_DESC_LEN;
    desc[0] = (unsigned char)kind;
    desc[1] = (unsigned char)enc;
    wr_u16(desc + 2, 0);
    wr_u32(desc + 4, name);
    wr_u32(desc + 8, (uint32_t)s->raw.len);
    wr_u32(desc + 12, (uint32_t)clen);
    return 0;
}

/* Ids as byte planes: the width W of the largest id, then all low bytes,
 * then all second bytes, and so on.  Each plane has its own statistics
 * (random entity ids: two uniform planes and one narrow one), which
 * deflate's per-block Huffman tables capture; LEB128 mixes them and costs
 * 2.8 bytes where planes cost 2.5. */
static int raw_ids(struct evb_scratch *s, const uint32_t *v, uint32_t n)
{
    uint32_t max = 0;
    for (uint32_t i = 0; i < n; i++)
        max = v[i] > max ? v[i] : max;
    unsigned w = max < (1u << 8) ? 1 : max < (1u << 16) ? 2 : max < (1u << 24) ? 3 : 4;
    s->raw.len = 0;
    if (buf_reserve(&s->raw, 1 + (size_t)n * w) != 0)
        return FB_ENOMEM;
    unsigned char *p = s->raw.p;
    p[0] = (unsigned char)w;
    for (unsigned b = 0; b < w; b++) {
        unsigned char *plane = p + 1 + (size_t)b * n;
        for (uint32_t i = 0; i < n; i++)
            plane[i] = (unsigned char)(v[s->perm[i]] >> (8 * b));
    }
    s->raw.len = 1 + (size_t)n * w;
    return 0;
}

static int raw_times(struct evb_scratch *s, const int64_t *t, uint32_t n, int64_t base)
{
    s->raw.len = 0;
    if (buf_reserve(&s->raw, (size_t)n * 10) != 0)
        return FB_ENOMEM;
    int64_t prev = base;
    for (uint32_t i = 0; i < n; i++) {
        /* Times are within 0000..9999, so the difference cannot overflow. */
        int64_t ti = t[s->perm[i]];
        s->raw.len += put_varint(s->raw.p + s->raw.len, zigzag(ti - prev));
        prev = ti;
    }
    return 0;
}

int evb_encode(const struct evb_cols *c, int level, struct evb_scratch *s,
               struct buf *out, int64_t *min_time, int64_t *max_time)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint32_t i = 0; i < c->n; i++) {
        lo = c->time[i] < lo ? c->time[i] : lo;
        hi = c->time[i] > hi ? c->time[i] : hi;
    }
    *min_time = lo;
    *max_time = hi;
    if (sort_by_time(c, lo, hi, s) != 0)
        return FB_ENOMEM;
    int present[BLOG_C_FIXED] = {1, 1, 1, 1, 0, 0, 0};
    for (int k = BLOG_C_TOUCH; k < BLOG_C_FIXED; k++)
        present[k] = !all_zero(c->ids[EVB_IDX(k)], c->n);
    uint32_t ncols = 0;
    for (int k = 0; k < BLOG_C_FIXED; k++)
        ncols += (uint32_t)present[k];
    for (uint32_t a = 0; a < c->natt; a++)
        ncols += !all_zero(c->att[a], c->n);
    /* Descriptors first (filled as columns are written), streams after. */
    out->len = 0;
    if (ncols > BLOG_MAX_COLUMNS || buf_reserve(out, 1 + (size_t)ncols * BLOG_COL_DESC_LEN) != 0)
        return FB_ENOMEM;
    out->p[0] = (unsigned char)ncols;
    out->len = 1 + (size_t)ncols * BLOG_COL_DESC_LEN;
    uint32_t d = 0;
    for (int k = 0; k < BLOG_C_FIXED; k++) {
        if (!present[k])
            continue;
        int enc = k == BLOG_C_TIME ? BLOG_E_TIME_DELTA : BLOG_E_PLANES;
        if ((k == BLOG_C_TIME ? raw_times(s, c->time, c->n, lo)
                              : raw_ids(s, c->ids[EVB_IDX(k)], c->n)) != 0 ||
            put_column(s, out, d++, k, enc, 0, k == BLOG_C_ENTITY ? ENTITY_LEVEL : level) != 0)
            return FB_ENOMEM;
    }
    for (uint32_t a = 0; a < c->natt; a++) {
        if (all_zero(c->att[a], c->n))
            continue;
        if (raw_ids(s, c->att[a], c->n) != 0 ||
            put_column(s, out, d++, BLOG_C_ATTR, BLOG_E_PLANES, c->att_name[a], level) != 0)
            return FB_ENOMEM;
    }
    return 0;
}

/* Make room for natt attribute columns of c->cap events. */
static int att_room(struct evb_cols *c, uint32_t natt)
{
    if (natt <= c->att_cap)
        return 0;
    uint32_t **a = realloc(c->att, natt * sizeof *a);
    if (!a)
        return FB_ENOMEM;
    c->att = a;
    uint32_t *names = realloc(c->att_name, natt * sizeof *names);
    if (!names)
        return FB_ENOMEM;
    c->att_name = names;
    for (; c->att_cap < natt; c->att_cap++)
        if (!(c->att[c->att_cap] = malloc((size_t)c->cap * sizeof(uint32_t))))
            return FB_ENOMEM;
    return 0;
}

static int corrupt(struct fb_error *err, const char *what)
{
    return fb_fail(err, FB_ECORRUPT, "malformed events block: %s", what);
}

static int inflate_column(struct evb_scratch *s, const unsigned char *src, uint32_t clen,
                          uint32_t raw_len, struct fb_error *err)
{
    s->raw.len = 0;   /* it holds one column at a time */
    if (buf_reserve(&s->raw, (size_t)raw_len + 1) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory decoding a block");
    int rc = zinf_exact(&s->inflater, src, clen, s->raw.p, raw_len);
    if (rc == FB_ENOMEM)
        return fb_fail(err, FB_ENOMEM, "out of memory decoding a block");
    if (rc)
        return corrupt(err, "column does not inflate to its stated size");
    s->raw.len = raw_len;
    return 0;
}

static int decode_varints(const struct buf *raw, uint32_t n, uint32_t bound, uint32_t *out,
                          struct fb_error *err)
{
    const unsigned char *p = raw->p, *end = raw->p + raw->len;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v;
        if (get_varint(&p, end, &v) != 0)
            return corrupt(err, "truncated id column");
        if (v >= bound)
            return corrupt(err, "id outside its dictionary");
        out[i] = (uint32_t)v;
    }
    return p == end ? 0 : corrupt(err, "trailing bytes in an id column");
}

/* Planes of width w (a constant where it is inlined) into out; returns
 * the largest id.  One pass writes each id and its running maximum; in
 * chunks of PLANE_CHUNK, a loop of fixed length over pointers that cannot
 * alias, which gcc's -O2 vectorizer takes on as clang's does (a loop of n
 * it leaves scalar), so the planes cost about an instruction an id. */
#define PLANE_CHUNK 64
static inline __attribute__((always_inline)) uint32_t
planes_of(const unsigned char *restrict p, uint32_t n, uint32_t *restrict out, const unsigned w)
{
    /* Planes past w are never read; they point at plane 0 so that no
     * pointer leaves the column. */
    const unsigned char *restrict p1 = w > 1 ? p + n : p, *restrict p2 = w > 2 ? p1 + n : p,
                                  *restrict p3 = w > 3 ? p2 + n : p;
    uint32_t max = 0, i = 0;
    for (; n - i >= PLANE_CHUNK; i += PLANE_CHUNK) {
        const unsigned char *restrict q0 = p + i, *restrict q1 = p1 + i, *restrict q2 = p2 + i,
                            *restrict q3 = p3 + i;
        uint32_t *restrict o = out + i;
        uint32_t m = 0;
        for (unsigned j = 0; j < PLANE_CHUNK; j++) {
            uint32_t v = q0[j];
            if (w > 1)
                v |= (uint32_t)q1[j] << 8;
            if (w > 2)
                v |= (uint32_t)q2[j] << 16;
            if (w > 3)
                v |= (uint32_t)q3[j] << 24;
            o[j] = v;
            m = v > m ? v : m;
        }
        max = m > max ? m : max;
    }
    for (; i < n; i++) {
        uint32_t v = p[i];
        if (w > 1)
            v |= (uint32_t)p1[i] << 8;
        if (w > 2)
            v |= (uint32_t)p2[i] << 16;
        if (w > 3)
            v |= (uint32_t)p3[i] << 24;
        out[i] = v;
        max = v > max ? v : max;
    }
    return max;
}

static int decode_planes(const struct buf *raw, uint32_t n, uint32_t bound, uint32_t *out,
                         struct fb_error *err)
{
    unsigned w = raw->len ? raw->p[0] : 0;
    if (w < 1 || w > 4 || raw->len != 1 + (size_t)n * w)
        return corrupt(err, "id column of the wrong size");
    const unsigned char *p = raw->p + 1;
    uint32_t max = w == 1 ? planes_of(p, n, out, 1)
                 : w == 2 ? planes_of(p, n, out, 2)
                 : w == 3 ? planes_of(p, n, out, 3) : planes_of(p, n, out, 4);
    return max < bound ? 0 : corrupt(err, "id outside its dictionary");
}

static int decode_ids(const struct buf *raw, int enc, uint32_t n, uint32_t bound, uint32_t *out,
                      struct fb_error *err)
{
    return enc == BLOG_E_PLANES ? decode_planes(raw, n, bound, out, err)
                                : decode_varints(raw, n, bound, out, err);
}

/* Times as offsets u = t - lo from the block's minimum: in unsigned
 * arithmetic (which wraps, never overflows) u + d lands in [0, hi - lo]
 * exactly when lo <= t + d <= hi, since |d| < 2^63 and hi - lo < 2^39
 * (FTIME_MIN..FTIME_MAX), so one comparison bounds each event. */
static int decode_times(const struct buf *raw, uint32_t n, int64_t lo, int64_t hi,
                        int64_t *out, struct fb_error *err)
{
    const unsigned char *p = raw->p, *end = raw->p + raw->len;
    const uint64_t span = (uint64_t)(hi - lo);
    uint64_t u = 0, seen_lo = UINT64_MAX, seen_hi = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v;
        if (get_varint(&p, end, &v) != 0)
            return corrupt(err, "truncated time column");
        u += (v >> 1) ^ (0 - (v & 1));   /* the zigzag delta, as unzigzag */
        if (u > span)
            return corrupt(err, "time outside the block's range");
        out[i] = lo + (int64_t)u;
        seen_lo = u < seen_lo ? u : seen_lo;
        seen_hi = u > seen_hi ? u : seen_hi;
    }
    if (p != end)
        return corrupt(err, "trailing bytes in the time column");
    if (n && (seen_lo != 0 || seen_hi != span))
        return corrupt(err, "block time range does not match its events");
    return 0;
}

/* Check one descriptor; returns 0 or a corruption error. */
static int check_desc(const unsigned char *d, uint32_t count, int *seen, struct fb_error *err)
{
    int kind = d[0], enc = d[1];
    if (kind > BLOG_C_ATTR || rd_u16(d + 2) != 0)
        return corrupt(err, "unknown column kind");
    if (kind == BLOG_C_TIME ? enc != BLOG_E_TIME_DELTA : enc != BLOG_E_VARINT && enc != BLOG_E_PLANES)
        return corrupt(err, "unknown column encoding");
    if (kind != BLOG_C_ATTR && seen[kind]++)
        return corrupt(err, "column given twice");
    if (rd_u32(d + 8) > EVB_RAW_MAX(count))
        return corrupt(err, "column larger than its events allow");
    return 0;
}

static int decode_column(const unsigned char *d, const unsigned char *src, uint32_t count,
                         int64_t lo, int64_t hi, const uint32_t *dict_sizes,
                         struct evb_cols *c, struct evb_scratch *s, struct fb_error *err)
{
    int kind = d[0];
    int rc = inflate_column(s, src, rd_u32(d + 12), rd_u32(d + 8), err);
    if (rc)
        return rc;
    if (kind == BLOG_C_TIME)
        return decode_times(&s->raw, count, lo, hi, c->time, err);
    if (kind != BLOG_C_ATTR)
        return decode_ids(&s->raw, d[1], count, dict_sizes[EVB_IDX(kind)], c->ids[EVB_IDX(kind)], err);
    uint32_t name = rd_u32(d + 4);
    if (name == 0 || name >= dict_sizes[BLOG_D_ATTR_NAME])
        return corrupt(err, "attribute name outside its dictionary");
    c->att_name[c->natt] = name;
    return decode_ids(&s->raw, d[1], count, dict_sizes[BLOG_D_ATTR_VALUE], c->att[c->natt++], err);
}

/* Is the column at descriptor d one the caller wants? */
static int wanted(const unsigned char *d, unsigned want_mask, const uint8_t *att_pick,
                  uint32_t npick)
{
    if (want_mask & (1u << d[0]))
        return 1;
    uint32_t name = rd_u32(d + 4);
    return d[0] == BLOG_C_ATTR && att_pick && name < npick && att_pick[name];
}

int evb_decode(const unsigned char *payload, size_t len, uint32_t count,
               int64_t min_time, int64_t max_time, unsigned want_mask,
               const uint32_t *dict_sizes, struct evb_cols *c,
               struct evb_scratch *s, struct fb_error *err)
{
    return evb_decode_pick(payload, len, count, min_time, max_time, want_mask, NULL, 0,
                           dict_sizes, c, s, err);
}

int evb_decode_pick(const unsigned char *payload, size_t len, uint32_t count,
                    int64_t min_time, int64_t max_time, unsigned want_mask,
                    const uint8_t *att_pick, uint32_t npick, const uint32_t *dict_sizes,
                    struct evb_cols *c, struct evb_scratch *s, struct fb_error *err)
{
    /* Bounding the range first also keeps the delta arithmetic below
     * from overflowing on crafted headers. */
    if (count > c->cap || count == 0 || min_time > max_time || min_time < FTIME_MIN ||
        max_time > FTIME_MAX)
        return corrupt(err, "bad event count or time range");
    if (len < 1 || len < 1 + (size_t)payload[0] * BLOG_COL_DESC_LEN)
        return corrupt(err, "truncated column directory");
    uint32_t ncols = payload[0];
    int seen[BLOG_C_FIXED + 1] = {0};
    size_t pos = 1 + (size_t)ncols * BLOG_COL_DESC_LEN;
    uint32_t natt = 0;
    for (uint32_t i = 0; i < ncols; i++) {
        const unsigned char *d = payload + 1 + (size_t)i * BLOG_COL_DESC_LEN;
        int rc = check_desc(d, count, seen, err);
        if (rc)
            return rc;
        natt += d[0] == BLOG_C_ATTR && wanted(d, want_mask, att_pick, npick);
        if (rd_u32(d + 12) > len - pos)
            return corrupt(err, "column runs past the block");
        pos += rd_u32(d + 12);
    }
    if (pos != len)
        return corrupt(err, "trailing bytes after the columns");
    if (!seen[BLOG_C_TIME] || !seen[BLOG_C_ENTITY] || !seen[BLOG_C_STAGE] || !seen[BLOG_C_CHANNEL])
        return corrupt(err, "a required column is missing");
    if (natt && att_room(c, natt) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory decoding a block");
    c->n = count;
    c->natt = 0;
    for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++)
        if ((want_mask & (1u << k)) && !seen[k])
            memset(c->ids[EVB_IDX(k)], 0, (size_t)count * sizeof(uint32_t));
    pos = 1 + (size_t)ncols * BLOG_COL_DESC_LEN;
    for (uint32_t i = 0; i < ncols; i++) {
        const unsigned char *d = payload + 1 + (size_t)i * BLOG_COL_DESC_LEN;
        if (wanted(d, want_mask, att_pick, npick)) {
            int rc = decode_column(d, payload + pos, count, min_time, max_time, dict_sizes, c, s, err);
            if (rc)
                return rc;
        }
        pos += rd_u32(d + 12);
    }
    return 0;
}
