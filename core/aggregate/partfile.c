/* partfile.c - the partial state file, byte for byte as docs/FORMAT.md §14
 * specifies it; see partfile.h. */
#include "partfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bytes.h"
#include "ftime.h"
#include "groups.h"
#include "period.h"
#include "outfile.h"
#include "partfile_deals.h"
#include "partfile_groups.h"
#include "partfile_touches.h"
#include "trendfile.h"

#define HEAD_FIXED 16          /* magic, version, header length (§14.1) */
#define BODY_FIXED 76          /* the header body before the stage names */
#define BODY_MAX (BODY_FIXED + FUNNEL_MAX_STAGES * (1 + FUNNEL_MAX_STAGE_NAME))
#define SEC_HEAD 28            /* §14.2 */
#define NSECTIONS 10           /* kinds 1..10 (§14.2; 10 only with --touches, §14.11) */
#define COUNTS_FIXED 40        /* §14.3 */
#define COUNTS_STAGE 48
#define RATES_FIXED 32         /* §14.7 */
#define RATES_STAGE 24
#define ZLEVEL 6
#define DUR_MAX (FTIME_MAX - FTIME_MIN)
#define NAME_MAX_LEN 65535

enum { SEC_COUNTS = 1, SEC_DURATIONS, SEC_UNDECIDED, SEC_UNMAPPED, SEC_RATES, SEC_TREND, SEC_GROUPS,
       SEC_DEALS, SEC_MONEY, SEC_TOUCHES };
static const char *const sec_name[] = {"", "counts", "durations", "undecided", "unmapped", "rates", "trend",
                                       "groups", "deals", "money", "touches"};
/* The sections in file order (§14.2); SEC_TOUCHES follows them with the
 * TOUCHES flag only (§14.11), so a partial without --touches is the bytes
 * it was before. */
static const int sec_order[] = {SEC_COUNTS, SEC_DURATIONS, SEC_UNDECIDED, SEC_UNMAPPED, SEC_RATES, SEC_TREND,
                                SEC_GROUPS, SEC_DEALS, SEC_MONEY, SEC_TOUCHES};
#define NORDER (sizeof sec_order / sizeof sec_order[0])

static uint32_t crc_of(const unsigned char *p, size_t len)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (len > 0) {   /* crc32 takes a uInt length */
        uInt piece = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, p, piece);
        p += piece;
        len -= piece;
    }
    return (uint32_t)c;
}


/* ---- encoding ---- */

static int put_var(struct buf *b, uint64_t v)
{
    if (buf_reserve(b, 10) != 0)
        return FB_ENOMEM;
    b->len += put_varint(b->p + b->len, v);
    return 0;
}

static int put_u32(struct buf *b, uint32_t v)
{
    if (buf_reserve(b, 4) != 0)
        return FB_ENOMEM;
    wr_u32(b->p + b->len, v);
    b->len += 4;
    return 0;
}

static int put_u64(struct buf *b, uint64_t v)
{
    if (buf_reserve(b, 8) != 0)
        return FB_ENOMEM;
    wr_u64(b->p + b->len, v);
    b->len += 8;
    return 0;
}

/* A sorted list: its count, the first value zigzagged, then the
 * differences to the previous value (§14.4). */
static int put_list(struct buf *b, const struct sum_set *s)
{
    int rc = put_var(b, s->n);
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        rc = put_var(b, i ? (uint64_t)(s->v[i] - s->v[i - 1]) : zigzag(s->v[0]));
    return rc;
}

static int put_section(struct buf *out, uint32_t kind, const struct buf *raw)
{
    uLong bound = compressBound((uLong)raw->len);
    if (buf_reserve(out, SEC_HEAD + (size_t)bound) != 0)
        return FB_ENOMEM;
    unsigned char *h = out->p + out->len, *z = h + SEC_HEAD;
    uLongf zlen = bound;
    if (compress2(z, &zlen, raw->p ? raw->p : (const Bytef *)"", (uLong)raw->len, ZLEVEL) != Z_OK)
        return FB_ENOMEM;
    wr_u32(h, kind);
    wr_u32(h + 4, crc_of(z, zlen));
    wr_u64(h + 8, raw->len);
    wr_u64(h + 16, zlen);
    wr_u32(h + 24, crc_of(h, 24));
    out->len += SEC_HEAD + zlen;
    return 0;
}

static int encode_header(const struct partial *p, struct buf *out)
{
    const struct summary *s = &p->sum;
    int rc = buf_append(out, PARTFILE_MAGIC, PARTFILE_MAGIC_LEN);
    size_t body = BODY_FIXED;
    for (size_t i = 0; i < p->def.n; i++)
        body += 1 + strlen(p->def.names[i]);
    if (rc == 0)
        rc = put_u32(out, PARTFILE_VERSION);
    if (rc == 0)
        rc = put_u32(out, (uint32_t)body);
    if (rc == 0)
        rc = buf_append(out, p->set_id, sizeof p->set_id);
    if (rc == 0)
        rc = put_u32(out, p->n);
    if (rc == 0)
        rc = buf_append(out, p->index, sizeof p->index);
    if (rc == 0)
        rc = put_u32(out, (p->has_as_of ? PARTFILE_FLAG_AS_OF : 0) | (s->touches ? PARTFILE_FLAG_TOUCHES : 0));
    if (rc == 0)
        rc = put_u64(out, (uint64_t)(p->has_as_of ? s->as_of : 0));
    if (rc == 0)
        rc = put_u64(out, (uint64_t)s->stale_after);
    if (rc == 0)
        rc = put_u32(out, (uint32_t)p->def.n);
    for (size_t i = 0; rc == 0 && i < p->def.n; i++) {
        unsigned char len = (unsigned char)strlen(p->def.names[i]);
        rc = buf_append(out, &len, 1);
        if (rc == 0)
            rc = buf_append(out, p->def.names[i], len);
    }
    if (rc == 0)
        rc = put_u32(out, crc_of(out->p, out->len));
    return rc;
}

static int encode_counts(const struct summary *s, struct buf *raw)
{
    int rc = put_u64(raw, s->read);
    if (rc == 0)
        rc = put_u64(raw, s->after);
    if (rc == 0)
        rc = put_u64(raw, s->entities);
    if (rc == 0)
        rc = put_u64(raw, (uint64_t)(s->has_events != 0));
    if (rc == 0)
        rc = put_u64(raw, (uint64_t)(s->has_events ? s->max_time : 0));
    for (size_t i = 0; rc == 0 && i < s->ns; i++) {
        const struct sum_stage *st = &s->stage[i];
        const uint64_t v[6] = {st->reached, st->lost, st->stale, st->open, st->touches[0], st->touches[1]};
        for (int k = 0; rc == 0 && k < 6; k++)
            rc = put_u64(raw, v[k]);
    }
    return rc;
}

/* §14.7: the options of docs/METRICS.md §4.11 and §4.14 and the counts
 * of the quality block. */
static int encode_rates(const struct summary *s, struct buf *raw)
{
    const uint64_t head[4] = {(uint64_t)s->conv.window, (uint64_t)(s->conv.skip_ignore != 0),
                              s->backwards, s->won_then_lost};
    int rc = 0;
    for (int k = 0; rc == 0 && k < 4; k++)
        rc = put_u64(raw, head[k]);
    for (size_t i = 0; rc == 0 && i < s->ns; i++) {
        const uint64_t v[3] = {(uint64_t)s->stale[i], s->stage[i].with_event, s->stage[i].conv};
        for (int k = 0; rc == 0 && k < 3; k++)
            rc = put_u64(raw, v[k]);
    }
    return rc;
}

static int encode_section(const struct summary *s, int kind, struct buf *raw)
{
    raw->len = 0;
    int rc = 0;
    switch (kind) {
    case SEC_COUNTS:
        return encode_counts(s, raw);
    case SEC_DURATIONS:   /* time in stage 0 .. ns-2, then time to win */
        for (size_t k = 0; rc == 0 && k < s->ns; k++)
            rc = put_list(raw, &s->set[k]);
        return rc;
    case SEC_UNDECIDED:   /* records (§14.4) */
        return pf_und_encode(s, raw);
    case SEC_DEALS:       /* aging 0 .. ns-2, censorings 0 .. ns-2, times to loss */
        for (size_t k = SUM_AGE(s->ns, 0); rc == 0 && k < SUM_NSETS(s->ns); k++)
            rc = put_list(raw, &s->set[k]);
        return rc;
    case SEC_MONEY:
        return pf_money_encode(s, raw);
    case SEC_TREND:
        return trendfile_encode(&s->trend, raw);
    case SEC_RATES:
        return encode_rates(s, raw);
    case SEC_GROUPS:
        return pf_groups_encode(s, raw);
    case SEC_TOUCHES:
        return pf_touches_encode(s, raw);
    default:
        rc = put_var(raw, s->nunmapped);
        for (size_t i = 0; rc == 0 && i < s->nunmapped; i++) {
            rc = put_var(raw, s->unmapped[i].len);
            if (rc == 0)
                rc = buf_append(raw, s->unmapped[i].name, s->unmapped[i].len);
            if (rc == 0)
                rc = put_var(raw, s->unmapped[i].events);
        }
        return rc;
    }
}

int partial_encode(struct partial *p, struct buf *out, struct fb_error *err)
{
    struct buf raw = {0};
    out->len = 0;
    summary_sort(&p->sum);
    int rc = encode_header(p, out);
    for (size_t i = 0; rc == 0 && i < NORDER - !p->sum.touches; i++) {
        rc = encode_section(&p->sum, sec_order[i], &raw);
        if (rc == 0)
            rc = put_section(out, (uint32_t)sec_order[i], &raw);
    }
    buf_free(&raw);
    return rc ? fb_fail(err, FB_ENOMEM, "out of memory encoding the partial state") : 0;
}

/* ---- decoding ---- */

struct dec {
    const char *path;
    struct fb_error *err;
    int64_t off;                 /* of the part being read, for messages */
};

#define BAD(d, ...) fb_fail_off((d)->err, FB_ECORRUPT, (d)->path, (d)->off, __VA_ARGS__)

static int decode_names(struct dec *d, const unsigned char *p, const unsigned char *end,
                        struct funnel_def *def)
{
    if (!(def->names = calloc(def->n, sizeof *def->names)))
        return fb_fail(d->err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < def->n; i++) {
        size_t len = p < end ? *p++ : 0;
        if (len < 1 || len > FUNNEL_MAX_STAGE_NAME || (size_t)(end - p) < len || memchr(p, 0, len))
            return BAD(d, "damaged partial state: bad stage name %zu in the header", i + 1);
        if (!(def->names[i] = malloc(len + 1)))
            return fb_fail(d->err, FB_ENOMEM, "out of memory");
        memcpy(def->names[i], p, len);
        def->names[i][len] = '\0';
        p += len;
        for (size_t j = 0; j < i; j++)
            if (funnel_name_eq(def->names[i], len, def->names[j]))
                return BAD(d, "damaged partial state: stage \"%s\" twice in the header", def->names[i]);
    }
    if (p != end)
        return BAD(d, "damaged partial state: the header is longer than its stage names");
    return 0;
}

/* The header (§14.1); returns its size in *used. */
static int decode_header(struct dec *d, const unsigned char *b, size_t len, struct partial *p, size_t *used,
                         int *touches)
{
    d->off = 0;
    size_t have = len < PARTFILE_MAGIC_LEN ? len : PARTFILE_MAGIC_LEN;
    if (memcmp(b, PARTFILE_MAGIC, have) != 0)
        return BAD(d, "not a funnel partial state (bad magic)");
    if (len < HEAD_FIXED)
        return BAD(d, "truncated partial state: %zu bytes", len);
    uint32_t version = rd_u32(b + 8);
    if (version != PARTFILE_VERSION)
        return BAD(d, "partial state version %u is not known to this funnel (it reads version %u)",
                   version, PARTFILE_VERSION);
    size_t body = rd_u32(b + 12);
    if (body < BODY_FIXED || body > BODY_MAX)
        return BAD(d, "damaged partial state: header length %zu", body);
    if (len < HEAD_FIXED + body + 4)
        return BAD(d, "truncated partial state: %zu bytes, the header alone needs %zu", len,
                   HEAD_FIXED + body + 4);
    if (crc_of(b, HEAD_FIXED + body) != rd_u32(b + HEAD_FIXED + body))
        return BAD(d, "damaged partial state: header checksum mismatch");
    const unsigned char *h = b + HEAD_FIXED;
    memcpy(p->set_id, h, 16);
    p->n = rd_u32(h + 16);
    memcpy(p->index, h + 20, sizeof p->index);
    uint32_t flags = rd_u32(h + 52);
    int64_t as_of = (int64_t)rd_u64(h + 56), stale_after = (int64_t)rd_u64(h + 64);
    p->def.n = rd_u32(h + 72);
    if (p->n < 1 || p->n > PARTFILE_MAX_SHARDS)
        return BAD(d, "damaged partial state: %u shards", p->n);
    int any = 0;
    for (uint32_t i = 0; i < PARTFILE_MAX_SHARDS; i++) {
        if (partial_has(p, i) && i >= p->n)
            return BAD(d, "damaged partial state: holds shard %u of %u", i, p->n);
        any |= partial_has(p, i);
    }
    if (!any || (flags & ~(PARTFILE_FLAG_AS_OF | PARTFILE_FLAG_TOUCHES)) || stale_after < 0 ||
        ((flags & PARTFILE_FLAG_AS_OF) ? as_of < FTIME_MIN || as_of > FTIME_MAX : as_of != 0) ||
        p->def.n < 1 || p->def.n > FUNNEL_MAX_STAGES)
        return BAD(d, "damaged partial state: bad header fields");
    p->has_as_of = (flags & PARTFILE_FLAG_AS_OF) != 0;
    *touches = (flags & PARTFILE_FLAG_TOUCHES) != 0;
    int rc = decode_names(d, h + BODY_FIXED, h + body, &p->def);
    if (rc == 0)
        rc = summary_init(&p->sum, p->def.n, stale_after, p->has_as_of, as_of, d->err);
    *used = HEAD_FIXED + body + 4;
    return rc;
}

/* Section `kind` at b[*off..len): checked and inflated into raw. */
static int inflate_section(struct dec *d, const unsigned char *b, size_t len, size_t *off, int kind,
                           struct buf *raw)
{
    d->off = (int64_t)*off;
    const unsigned char *h = b + *off;
    if (len - *off < SEC_HEAD)
        return BAD(d, "truncated partial state: section %d (%s) is missing or cut short", kind, sec_name[kind]);
    if (crc_of(h, 24) != rd_u32(h + 24))
        return BAD(d, "damaged partial state: section %d (%s) header checksum mismatch", kind, sec_name[kind]);
    if (rd_u32(h) != (uint32_t)kind)
        return BAD(d, "damaged partial state: section %u where section %d (%s) belongs", rd_u32(h), kind,
                   sec_name[kind]);
    uint64_t raw_len = rd_u64(h + 8), zlen = rd_u64(h + 16);
    if (zlen > len - *off - SEC_HEAD)
        return BAD(d, "truncated partial state: section %d (%s) is cut short", kind, sec_name[kind]);
    if (crc_of(h + SEC_HEAD, zlen) != rd_u32(h + 4))
        return BAD(d, "damaged partial state: section %d (%s) checksum mismatch", kind, sec_name[kind]);
    /* deflate shrinks at most about 1032:1, so a larger size is a lie;
     * checked before allocating it */
    if (raw_len > zlen * 1032 + 64)
        return BAD(d, "damaged partial state: section %d (%s) claims %llu bytes", kind, sec_name[kind],
                   (unsigned long long)raw_len);
    raw->len = 0;
    if (buf_reserve(raw, (size_t)raw_len + 1) != 0)
        return fb_fail(d->err, FB_ENOMEM, "out of memory");
    uLongf got = (uLongf)raw_len;
    uLong used = (uLong)zlen;
    if (uncompress2(raw->p, &got, h + SEC_HEAD, &used) != Z_OK || got != raw_len || used != zlen)
        return BAD(d, "damaged partial state: section %d (%s) does not inflate to its size", kind,
                   sec_name[kind]);
    raw->len = (size_t)raw_len;
    *off += SEC_HEAD + (size_t)zlen;
    return 0;
}

static int decode_counts(struct dec *d, const struct buf *raw, struct summary *s)
{
    if (raw->len != COUNTS_FIXED + COUNTS_STAGE * s->ns)
        return BAD(d, "damaged partial state: counts section of %zu bytes for %zu stages", raw->len, s->ns);
    const unsigned char *p = raw->p;
    s->read = rd_u64(p);
    s->after = rd_u64(p + 8);
    s->entities = rd_u64(p + 16);
    uint64_t has = rd_u64(p + 24);
    s->max_time = (int64_t)rd_u64(p + 32);
    if (has > 1 || (has ? s->max_time < FTIME_MIN || s->max_time > FTIME_MAX : s->max_time != 0))
        return BAD(d, "damaged partial state: bad latest event time");
    s->has_events = (int)has;
    for (size_t i = 0; i < s->ns; i++) {
        const unsigned char *q = p + COUNTS_FIXED + COUNTS_STAGE * i;
        struct sum_stage *st = &s->stage[i];
        st->reached = rd_u64(q);
        st->lost = rd_u64(q + 8);
        st->stale = rd_u64(q + 16);
        st->open = rd_u64(q + 24);
        st->touches[0] = rd_u64(q + 32);
        st->touches[1] = rd_u64(q + 40);
    }
    return 0;
}

/* nlists sorted lists of values in [lo, hi] (§14.4): count them into
 * count[] (dst NULL), or store them at dst. */
static int decode_lists(struct dec *d, const struct buf *raw, size_t nlists, int64_t lo, int64_t hi,
                        size_t *count, int64_t *dst)
{
    const unsigned char *p = raw->p, *end = raw->p + raw->len;
    for (size_t k = 0; k < nlists; k++) {
        uint64_t n, u;
        if (get_varint(&p, end, &n) != 0 || n > (uint64_t)(end - p))
            return BAD(d, "damaged partial state: bad count of list %zu", k + 1);
        int64_t prev = 0;
        for (uint64_t i = 0; i < n; i++) {
            if (get_varint(&p, end, &u) != 0)
                return BAD(d, "damaged partial state: list %zu is cut short", k + 1);
            int64_t v = i ? (u > (uint64_t)(hi - prev) ? hi + 1 : prev + (int64_t)u) : unzigzag(u);
            if (v < lo || v > hi)
                return BAD(d, "damaged partial state: a value of list %zu is out of range", k + 1);
            if (dst)
                *dst++ = v;
            prev = v;
        }
        count[k] = (size_t)n;
    }
    if (p != end)
        return BAD(d, "damaged partial state: %zu bytes after the last list", (size_t)(end - p));
    return 0;
}

static int decode_unmapped(struct dec *d, const struct buf *raw, struct summary *s)
{
    const unsigned char *p = raw->p, *end = raw->p + raw->len;
    uint64_t n;
    if (get_varint(&p, end, &n) != 0 || n > (uint64_t)(end - p))
        return BAD(d, "damaged partial state: bad count of unmapped stage names");
    if (!(s->unmapped = calloc(n ? (size_t)n : 1, sizeof *s->unmapped)))
        return fb_fail(d->err, FB_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len, events;
        if (get_varint(&p, end, &len) != 0 || len < 1 || len > NAME_MAX_LEN || len > (uint64_t)(end - p))
            return BAD(d, "damaged partial state: bad unmapped stage name %llu", (unsigned long long)i + 1);
        struct sum_unmapped *u = &s->unmapped[s->nunmapped];
        if (!(u->name = malloc((size_t)len)))
            return fb_fail(d->err, FB_ENOMEM, "out of memory");
        s->nunmapped++;
        memcpy(u->name, p, (size_t)len);
        u->len = (size_t)len;
        p += len;
        if (get_varint(&p, end, &events) != 0 || events < 1)
            return BAD(d, "damaged partial state: bad count of unmapped stage name %llu", (unsigned long long)i + 1);
        u->events = events;
        if (i > 0) {   /* strictly ascending: sorted and distinct */
            const struct sum_unmapped *v = u - 1;
            int c = memcmp(v->name, u->name, v->len < u->len ? v->len : u->len);
            if (c > 0 || (c == 0 && v->len >= u->len))
                return BAD(d, "damaged partial state: unmapped stage names out of order");
        }
    }
    if (p != end)
        return BAD(d, "damaged partial state: %zu bytes after the unmapped stage names", (size_t)(end - p));
    return 0;
}

/* §14.7; after the counts, which bound these. */
static int decode_rates(struct dec *d, const struct buf *raw, struct summary *s)
{
    d->off = 0;
    if (raw->len != RATES_FIXED + RATES_STAGE * s->ns)
        return BAD(d, "damaged partial state: rates section of %zu bytes for %zu stages", raw->len, s->ns);
    const unsigned char *p = raw->p;
    uint64_t window = rd_u64(p), skip = rd_u64(p + 8);
    s->backwards = rd_u64(p + 16);
    s->won_then_lost = rd_u64(p + 24);
    if (window > (uint64_t)DUR_MAX || skip > 1 || s->backwards > s->entities ||
        s->won_then_lost > s->stage[s->ns - 1].reached)
        return BAD(d, "damaged partial state: bad fields in the rates section");
    s->conv.window = (int64_t)window;
    s->conv.skip_ignore = (int)skip;
    for (size_t i = 0; i < s->ns; i++) {
        const unsigned char *q = p + RATES_FIXED + RATES_STAGE * i;
        uint64_t stale = rd_u64(q);
        struct sum_stage *st = &s->stage[i];
        st->with_event = rd_u64(q + 8);
        st->conv = rd_u64(q + 16);
        if (stale > (uint64_t)DUR_MAX || st->with_event > st->reached || st->conv > st->reached)
            return BAD(d, "damaged partial state: bad counts of stage %zu in the rates section", i + 1);
        s->stale[i] = (int64_t)stale;
    }
    return 0;
}

/* §14.5: the counts must add up, so a reader that passed every checksum
 * still refuses a file a writer got wrong. */
static int check_sums(struct dec *d, const struct partial *p)
{
    const struct summary *s = &p->sum;
    unsigned __int128 used = s->after, ent = s->stage[s->ns - 1].reached;
    for (size_t i = 0; i < s->ns; i++) {
        used += (unsigned __int128)s->stage[i].touches[0] + s->stage[i].touches[1];
        ent += (unsigned __int128)s->stage[i].lost + s->stage[i].stale + s->stage[i].open;
    }
    for (size_t i = 0; i < s->nunmapped; i++)
        used += s->unmapped[i].events;
    ent += s->nund;
    d->off = 0;
    if (used != s->read)
        return BAD(d, "damaged partial state: events do not add up to those read");
    if (ent != s->entities)
        return BAD(d, "damaged partial state: outcomes do not add up to the entities");
    char why[160];
    if (pf_deals_check(s, why, sizeof why) != 0)
        return BAD(d, "damaged partial state: %s", why);
    return 0;
}

int partial_decode(const unsigned char *b, size_t len, const char *path, struct partial *p,
                   struct fb_error *err)
{
    struct dec d = {path, err, 0};
    struct buf raw[NSECTIONS + 1] = {{0}};
    size_t off = 0, count[SUM_MAX_SETS] = {0};
    memset(p, 0, sizeof *p);
    int touches = 0;
    int rc = decode_header(&d, b, len, p, &off, &touches);
    for (size_t i = 0; rc == 0 && i < NORDER - !touches; i++)
        rc = inflate_section(&d, b, len, &off, sec_order[i], &raw[sec_order[i]]);
    d.off = (int64_t)off;
    if (rc == 0 && off != len)
        rc = BAD(&d, "damaged partial state: %zu bytes after the last section", len - off);
    struct summary *s = &p->sum;
    const size_t ns = p->def.n;
    if (rc == 0)
        rc = decode_counts(&d, &raw[SEC_COUNTS], s);
    if (rc == 0)
        rc = decode_lists(&d, &raw[SEC_DURATIONS], ns, 0, DUR_MAX, count, NULL);
    if (rc == 0)
        rc = decode_lists(&d, &raw[SEC_DEALS], SUM_NSETS(ns) - ns, 0, DUR_MAX, count + ns, NULL);
    size_t total = 0;
    for (size_t k = 0; rc == 0 && k < SUM_NSETS(ns); k++)
        total += count[k];
    int64_t *pool = rc == 0 ? malloc((total ? total : 1) * sizeof *pool) : NULL;
    if (rc == 0 && !pool)
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
    if (rc == 0) {
        summary_take_pool(s, pool, count);
        rc = decode_lists(&d, &raw[SEC_DURATIONS], ns, 0, DUR_MAX, count, pool);
    }
    if (rc == 0)
        rc = decode_lists(&d, &raw[SEC_DEALS], SUM_NSETS(ns) - ns, 0, DUR_MAX, count + ns, s->set[ns].v);
    char dwhy[160];
    for (int sec = SEC_UNDECIDED; rc == 0 && sec <= SEC_MONEY; sec += SEC_MONEY - SEC_UNDECIDED) {
        const unsigned char *q = raw[sec].p, *end = raw[sec].p + raw[sec].len;
        rc = sec == SEC_UNDECIDED ? pf_und_decode(&q, end, s, dwhy, sizeof dwhy)
                                  : pf_money_decode(&q, end, s, dwhy, sizeof dwhy);
        if (rc == 0 && q != end)
            rc = FB_ECORRUPT, snprintf(dwhy, sizeof dwhy, "%zu bytes after its content", (size_t)(end - q));
        if (rc)
            rc = rc == FB_ENOMEM ? fb_fail(err, FB_ENOMEM, "out of memory")
                                 : BAD(&d, "damaged partial state: section %d (%s): %s", sec, sec_name[sec], dwhy);
    }
    if (rc == 0)
        rc = decode_unmapped(&d, &raw[SEC_UNMAPPED], s);
    if (rc == 0) {
        const char *why = NULL;
        rc = trendfile_decode(raw[SEC_TREND].p, raw[SEC_TREND].len, p->has_as_of, &s->trend, &why);
        if (rc == FB_ENOMEM)
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
        else if (rc)
            rc = BAD(&d, "damaged partial state: section %d (trend): %s", SEC_TREND, why);
    }
    if (rc == 0)
        rc = decode_rates(&d, &raw[SEC_RATES], s);
    if (rc == 0)
        rc = check_sums(&d, p);
    if (rc == 0 && (rc = pf_groups_decode(raw[SEC_GROUPS].p, raw[SEC_GROUPS].len, s, dwhy, sizeof dwhy)) != 0)
        rc = rc == FB_ENOMEM ? fb_fail(err, FB_ENOMEM, "out of memory")
                             : BAD(&d, "damaged partial state: section %d (groups): %s", SEC_GROUPS, dwhy);
    if (rc == 0 && touches &&
        (rc = pf_touches_decode(raw[SEC_TOUCHES].p, raw[SEC_TOUCHES].len, s, dwhy, sizeof dwhy)) != 0)
        rc = rc == FB_ENOMEM ? fb_fail(err, FB_ENOMEM, "out of memory")
                             : BAD(&d, "damaged partial state: section %d (touches): %s", SEC_TOUCHES, dwhy);
    for (int k = 0; k <= NSECTIONS; k++)
        buf_free(&raw[k]);
    return rc;
}

int partial_read(const char *path, struct partial *p, struct fb_error *err)
{
    memset(p, 0, sizeof *p);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fb_fail_at(err, FB_EIO, path, 0, 0, "cannot open the partial state: %s", strerror(errno));
    struct buf b = {0};
    int rc = 0;
    for (;;) {
        if (buf_reserve(&b, 1 << 16) != 0) {
            rc = fb_fail(err, FB_ENOMEM, "out of memory reading %s", path);
            break;
        }
        ssize_t got = read(fd, b.p + b.len, b.cap - b.len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = fb_fail_at(err, FB_EIO, path, 0, 0, "cannot read the partial state: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break;
        b.len += (size_t)got;
    }
    close(fd);
    if (rc == 0)
        rc = partial_decode(b.p, b.len, path, p, err);
    buf_free(&b);
    return rc;
}

int partial_write(const char *path, struct partial *p, struct fb_error *err)
{
    struct buf b = {0};
    struct outfile o;
    int rc = partial_encode(p, &b, err);
    if (rc == 0)
        rc = outfile_open(&o, path, err);
    if (rc == 0) {
        if (fwrite(b.p, 1, b.len, o.fp) != b.len) {
            outfile_abort(&o);
            rc = fb_fail_at(err, FB_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
        } else {
            rc = outfile_commit(&o, err);
        }
    }
    buf_free(&b);
    return rc;
}

static void hex_id(const unsigned char id[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static const char *as_of_text(const struct partial *p, char buf[32])
{
    if (!p->has_as_of)
        return "the default as_of";
    memcpy(buf, "--as-of ", 8);
    ftime_format(p->sum.as_of, buf + 8);
    return buf;
}

int partial_check(const struct partial *into, const char *into_path, const struct partial *from,
                  const char *from_path, struct fb_error *err)
{
    char a[33], b[33], ta[32], tb[32];
    if (memcmp(into->set_id, from->set_id, 16) != 0 || into->n != from->n) {
        hex_id(from->set_id, a);
        hex_id(into->set_id, b);
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0,
                          "a partial state of shard set %s (%u shards), not of set %s (%u shards) as %s",
                          a, from->n, b, into->n, into_path);
    }
    if (into->def.n != from->def.n)
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0,
                          "computed with a funnel of %zu stages, not %zu as %s", from->def.n,
                          into->def.n, into_path);
    for (size_t i = 0; i < into->def.n; i++)
        if (strcmp(into->def.names[i], from->def.names[i]) != 0)
            return fb_fail_at(err, FB_EINPUT, from_path, 0, 0,
                              "computed with another funnel: stage %zu is \"%s\", not \"%s\" as in %s",
                              i + 1, from->def.names[i], into->def.names[i], into_path);
    if (into->has_as_of != from->has_as_of || into->sum.as_of != from->sum.as_of)
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0, "computed with %s, not %s as %s",
                          as_of_text(from, tb), as_of_text(into, ta), into_path);
    if (!into->sum.touches != !from->sum.touches)
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0, "computed %s --touches, unlike %s",
                          from->sum.touches ? "with" : "without", into_path);
    char why[200];
    if (!groups_same_opts(into->sum.groups, from->sum.groups, why, sizeof why))
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0, "computed with %s, unlike %s", why, into_path);
    if (into->sum.stale_after != from->sum.stale_after)
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0,
                          "computed with --stale-after %llds, not %llds as %s",
                          (long long)from->sum.stale_after, (long long)into->sum.stale_after, into_path);
    for (size_t i = 0; i < into->def.n; i++)
        if (into->sum.stale[i] != from->sum.stale[i])
            return fb_fail_at(err, FB_EINPUT, from_path, 0, 0,
                              "computed with a stale threshold of %llds for stage \"%s\", not %llds as %s",
                              (long long)from->sum.stale[i], into->def.names[i],
                              (long long)into->sum.stale[i], into_path);
    if (into->sum.conv.window != from->sum.conv.window)
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0, "computed with --window %llds, not %llds as %s "
                          "(0: none)", (long long)from->sum.conv.window,
                          (long long)into->sum.conv.window, into_path);
    if (into->sum.conv.skip_ignore != from->sum.conv.skip_ignore)
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0, "computed with --skipped %s, not %s as %s",
                          from->sum.conv.skip_ignore ? "ignore" : "count",
                          into->sum.conv.skip_ignore ? "ignore" : "count", into_path);
    const struct trend_opts *ti = &into->sum.trend.o, *tf = &from->sum.trend.o;
    if (ti->unit != tf->unit)
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0, "computed with --trend %s, not %s as %s",
                          tf->unit == TREND_OFF ? "(none)" : period_name((enum period_unit)tf->unit),
                          ti->unit == TREND_OFF ? "(none)" : period_name((enum period_unit)ti->unit),
                          into_path);
    if (ti->period != tf->period)
        return fb_fail_at(err, FB_EINPUT, from_path, 0, 0, "computed with --period %llds, not %llds as %s",
                          (long long)tf->period, (long long)ti->period, into_path);
    for (uint32_t i = 0; i < into->n; i++)
        if (partial_has(into, i) && partial_has(from, i))
            return fb_fail_at(err, FB_EINPUT, from_path, 0, 0, "holds shard %u of %u, which %s holds too",
                              i, into->n, into_path);
    return 0;
}

int partial_merge_all(struct partial *into, const struct partial *from, size_t k, struct fb_error *err)
{
    const struct summary **s = calloc(k ? k : 1, sizeof *s);
    if (!s)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (size_t j = 0; j < k; j++)
        s[j] = &from[j].sum;
    int rc = summary_merge_all(&into->sum, s, k, err);
    free(s);
    for (size_t j = 0; rc == 0 && j < k; j++)
        for (size_t b = 0; b < sizeof into->index; b++)
            into->index[b] |= from[j].index[b];
    return rc;
}

int partial_merge(struct partial *into, const char *into_path, const struct partial *from,
                  const char *from_path, struct fb_error *err)
{
    int rc = partial_check(into, into_path, from, from_path, err);
    return rc ? rc : partial_merge_all(into, from, 1, err);
}

int partial_finish(struct partial *p, struct res_report *out, struct fb_error *err)
{
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < p->n; i++)
        if (!partial_has(p, i))
            return fb_fail(err, FB_EINPUT, "shard %u of %u is missing: no partial state given holds it",
                           i, p->n);
    return summary_finish(&p->sum, &p->def, p->has_as_of || p->sum.has_events, out, err);
}

void partial_free(struct partial *p)
{
    if (!p)
        return;
    funnel_def_free(&p->def);
    summary_free(&p->sum);
    memset(p, 0, sizeof *p);
}
