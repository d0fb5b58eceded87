/* blocklog.c - block headers, commit records and the log scan; see
 * blocklog.h and docs/FORMAT.md §8 (recovery rules). */
#include "blocklog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#include "bytes.h"

/* The CRC-32 of FORMAT.md §5 (zlib's crc32), computed by libdeflate, whose
 * carry-less-multiply version checks a payload several times faster than
 * zlib 1.2's: on replay every EVENTS payload passes through here. */
static uint32_t crc(const unsigned char *p, size_t n)
{
    return libdeflate_crc32(0, p, n);
}

void blog_hdr_encode(const struct blog_hdr *h, unsigned char *out)
{
    wr_u32(out, BLOG_BLOCK_MAGIC);
    out[4] = h->type;
    out[5] = h->flags;
    wr_u16(out + 6, 0);
    wr_u32(out + 8, h->payload_len);
    wr_u32(out + 12, h->count);
    wr_u64(out + 16, (uint64_t)h->a);
    wr_u64(out + 24, (uint64_t)h->b);
    wr_u32(out + 32, h->payload_crc);
    wr_u32(out + 36, crc(out, 36));
}

int blog_hdr_decode(const unsigned char *in, struct blog_hdr *h)
{
    if (rd_u32(in) != BLOG_BLOCK_MAGIC || rd_u32(in + 36) != crc(in, 36) ||
        rd_u16(in + 6) != 0)
        return -1;
    h->type = in[4];
    h->flags = in[5];
    h->payload_len = rd_u32(in + 8);
    h->count = rd_u32(in + 12);
    h->a = (int64_t)rd_u64(in + 16);
    h->b = (int64_t)rd_u64(in + 24);
    h->payload_crc = rd_u32(in + 32);
    return 0;
}

int blog_block_append(struct buf *out, uint8_t type, uint8_t flags, uint32_t count,
                      int64_t a, int64_t b, const unsigned char *payload,
                      size_t payload_len)
{
    if (payload_len > BLOG_MAX_PAYLOAD)
        return FB_ENOMEM;
    struct blog_hdr h = {type, flags, (uint32_t)payload_len, count, a, b,
                         crc(payload, payload_len)};
    if (buf_reserve(out, BLOG_BLOCK_HEADER_LEN + payload_len) != 0)
        return FB_ENOMEM;
    blog_hdr_encode(&h, out->p + out->len);
    out->len += BLOG_BLOCK_HEADER_LEN;
    return buf_append(out, payload, payload_len);
}

void blog_file_header(unsigned char *out)
{
    memcpy(out, BLOG_MAGIC, BLOG_MAGIC_LEN);
    wr_u16(out + 8, BLOG_VERSION_MAJOR);
    wr_u16(out + 10, BLOG_VERSION_MINOR);
    wr_u32(out + 12, crc(out, 12));
}

void blog_commit_encode(const struct blog_commit *c, unsigned char *out)
{
    wr_u64(out, (uint64_t)c->offset);
    wr_u64(out + 8, c->total_events);
    memcpy(out + 16, c->fingerprint, 16);
    wr_u32(out + 32, BLOG_D_COUNT);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        wr_u32(out + 36 + 4 * k, c->dict_sizes[k]);
    wr_u32(out + 36 + 4 * BLOG_D_COUNT, c->flags);
}

/* See blocklog.h. */
int blog_commit_decode(const unsigned char *p, const struct blog_hdr *h,
                         struct blog_commit *c)
{
    if (h->payload_len != BLOG_COMMIT_PAYLOAD_LEN || rd_u32(p + 32) != BLOG_D_COUNT)
        return -1;
    c->seq = (uint64_t)h->a;
    c->start = h->b;
    c->events = h->count;
    c->offset = (int64_t)rd_u64(p);
    c->total_events = rd_u64(p + 8);
    memcpy(c->fingerprint, p + 16, 16);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        c->dict_sizes[k] = rd_u32(p + 36 + 4 * k);
    c->flags = rd_u32(p + 36 + 4 * BLOG_D_COUNT);
    return 0;
}

int blog_pread_all(int fd, const char *path, void *dst, size_t n, int64_t off,
                   struct fb_error *err)
{
    unsigned char *d = dst;
    while (n > 0) {
        ssize_t r = pread(fd, d, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fb_fail_off(err, FB_EIO, path, off, "read error: %s", strerror(errno));
        if (r == 0)
            return fb_fail_off(err, FB_EIO, path, off, "unexpected end of file");
        d += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

int blog_read_payload(int fd, const char *path, const struct blog_block *blk,
                      struct buf *b, struct fb_error *err)
{
    b->len = 0;
    if (buf_reserve(b, blk->h.payload_len + 1) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory reading a block");
    int rc = blog_pread_all(fd, path, b->p, blk->h.payload_len,
                            blk->offset + BLOG_BLOCK_HEADER_LEN, err);
    if (rc)
        return rc;
    b->len = blk->h.payload_len;
    if (crc(b->p, b->len) != blk->h.payload_crc)
        return fb_fail_off(err, FB_ECORRUPT, path, blk->offset,
                           "block payload checksum mismatch (block type %u)", blk->h.type);
    return 0;
}
