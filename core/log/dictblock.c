/* dictblock.c - writing and loading DICT blocks; see dictblock.h. */
#include "dictblock.h"

#include <stdlib.h>
#include <zlib.h>

#include "bytes.h"
#include "zinflate.h"

static int write_one(const struct dict *d, int kind, uint32_t from, uint32_t to,
                     struct buf *raw, struct buf *comp, struct buf *out)
{
    raw->len = 0;
    for (uint32_t id = from; id < to; id++) {
        size_t n;
        const char *s = dict_str(d, id, &n);
        /* The format holds at most BLOG_MAX_STRING bytes a string (§5); a
         * longer one would make every later load refuse the log. */
        if (n > BLOG_MAX_STRING)
            return FB_EINPUT;
        if (buf_reserve(raw, n + 10) != 0)
            return FB_ENOMEM;
        raw->len += put_varint(raw->p + raw->len, n);
        if (buf_append(raw, s, n) != 0)
            return FB_ENOMEM;
    }
    uLongf clen = compressBound((uLong)raw->len);
    if (buf_reserve(comp, clen + 4) != 0)
        return FB_ENOMEM;
    wr_u32(comp->p, (uint32_t)raw->len);
    if (compress2(comp->p + 4, &clen, raw->p, (uLong)raw->len, 6) != Z_OK)
        return FB_ENOMEM;
    return blog_block_append(out, BLOG_T_DICT, 0, to - from, kind, from, comp->p, clen + 4);
}

int dictblock_write(const struct dict *d, int kind, uint32_t from, struct buf *out)
{
    struct buf raw = {0}, comp = {0};
    int rc = 0;
    uint32_t size = dict_size(d);
    for (uint32_t a = from; a < size && rc == 0;) {
        uint32_t b = size - a > BLOG_DICT_MAX_ENTRIES ? a + BLOG_DICT_MAX_ENTRIES : size;
        rc = write_one(d, kind, a, b, &raw, &comp, out);
        a = b;
    }
    buf_free(&raw);
    buf_free(&comp);
    return rc;
}

#define LOAD_AHEAD 16

static int corrupt(struct fb_error *err, const char *path, int64_t off, const char *what)
{
    return fb_fail_off(err, FB_ECORRUPT, path, off, "malformed dictionary block: %s", what);
}

/* Decode one DICT payload into d, whose size must equal the block's first id. */
static int load_one(const struct blog_block *blk, const struct buf *pl, struct dict *d,
                    struct buf *raw, struct zinf *z, const char *path, struct fb_error *err)
{
    if (pl->len < 4 || (uint64_t)blk->h.b != dict_size(d))
        return corrupt(err, path, blk->offset, "ids out of order");
    uint32_t raw_len = rd_u32(pl->p);
    /* Each entry is a length and at most BLOG_MAX_STRING bytes.  That alone
     * allows 4 GiB for a large count (any count is legal, FORMAT.md 5.3),
     * so also: deflate expands at most 1032:1, and a stream that cannot
     * inflate to raw_len is corrupt anyway; checking it first keeps a block
     * with right CRCs but a made-up size from allocating gigabytes. */
    if ((uint64_t)raw_len > (uint64_t)blk->h.count * (BLOG_MAX_STRING + 3) ||
        (uint64_t)raw_len > (uint64_t)(pl->len - 4) * 1032)
        return corrupt(err, path, blk->offset, "stated size too large");
    if (buf_reserve(raw, (size_t)raw_len + 1) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory loading dictionaries");
    int zrc = zinf_exact(z, pl->p + 4, pl->len - 4, raw->p, raw_len);
    if (zrc == FB_ENOMEM)
        return fb_fail(err, FB_ENOMEM, "out of memory loading dictionaries");
    if (zrc)
        return corrupt(err, path, blk->offset, "does not inflate to its stated size");
    /* Room for the block's strings at once: each takes at least two raw
     * bytes (a length and one byte), so a made-up count reserves no more
     * than the bytes that did inflate allow. */
    const uint64_t most = (uint64_t)dict_size(d) + (blk->h.count < raw_len / 2 ? blk->h.count : raw_len / 2);
    if (most <= UINT32_MAX / 2 && dict_reserve(d, (uint32_t)most, raw_len) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory loading dictionaries");
    /* Entries are parsed and hashed LOAD_AHEAD ahead of their insertion,
     * their slots fetched meanwhile: a large dictionary's slot table is far
     * larger than the cache, and each insertion would otherwise wait for a
     * miss.  A bad length is reported after the entries before it are in,
     * as when they were taken one at a time, so a string given twice
     * before it is still the error named. */
    const unsigned char *p = raw->p, *end = raw->p + raw_len;
    struct { const char *s; uint32_t n; uint64_t h; } ring[LOAD_AHEAD];
    uint32_t parsed = 0, done = 0;
    int bad = 0;
    while (done < blk->h.count) {
        while (!bad && parsed < blk->h.count && parsed - done < LOAD_AHEAD) {
            uint64_t n;
            if (get_varint(&p, end, &n) != 0 || n == 0 || n > (uint64_t)(end - p) || n > BLOG_MAX_STRING) {
                bad = 1;
                break;
            }
            const uint64_t h = dict_hash_of(d, (const char *)p, n);
            dict_prefetch(d, h, 0);
            ring[parsed % LOAD_AHEAD].s = (const char *)p;
            ring[parsed % LOAD_AHEAD].n = (uint32_t)n;
            ring[parsed % LOAD_AHEAD].h = h;
            parsed++;
            p += n;
        }
        if (done == parsed)
            return corrupt(err, path, blk->offset, "bad entry length");
        uint32_t id;
        int added;
        const uint32_t k = done % LOAD_AHEAD;
        if (dict_intern_hashed(d, ring[k].s, ring[k].n, ring[k].h, &id, &added) != 0)
            return fb_fail(err, FB_ENOMEM, "out of memory loading dictionaries");
        if (!added)
            return corrupt(err, path, blk->offset, "string given twice");
        done++;
    }
    return p == end ? 0 : corrupt(err, path, blk->offset, "trailing bytes");
}

int dictblock_load(int fd, const char *path, const struct blog_scan *s, unsigned kind_mask,
                   struct dict **dicts, struct fb_error *err)
{
    struct buf pl = {0}, raw = {0};
    struct zinf z = {0};
    int rc = 0;
    for (size_t i = 0; i < s->nblocks && rc == 0; i++) {
        const struct blog_block *blk = &s->blocks[i];
        if (blk->h.type != BLOG_T_DICT)
            continue;
        if (blk->h.a < 0 || blk->h.a >= BLOG_D_COUNT) {
            rc = corrupt(err, path, blk->offset, "unknown dictionary kind");
            break;
        }
        if (!(kind_mask & (1u << blk->h.a)))
            continue;
        rc = blog_read_payload(fd, path, blk, &pl, err);
        if (rc == 0)
            rc = load_one(blk, &pl, dicts[blk->h.a], &raw, &z, path, err);
    }
    for (int k = 0; k < BLOG_D_COUNT && rc == 0; k++)
        if ((kind_mask & (1u << k)) && dict_size(dicts[k]) != s->dict_sizes[k])
            rc = fb_fail_at(err, FB_ECORRUPT, path, 0, 0,
                            "dictionary %d holds %u strings but the last commit says %u", k,
                            dict_size(dicts[k]), s->dict_sizes[k]);
    buf_free(&pl);
    buf_free(&raw);
    zinf_free(&z);
    return rc;
}
