/* blocklog.h - the block layer of the log file (docs/FORMAT.md §2-§8):
 * encoding block headers, and scanning a log to find its committed batches,
 * a torn tail, or damage in the middle.  Knows nothing of CSV or metrics.
 */
#ifndef FUNNEL_BLOCKLOG_H
#define FUNNEL_BLOCKLOG_H

#include <stddef.h>
#include <stdint.h>
#include "blocklog_format.h"
#include "buf.h"
#include "err.h"

struct blog_hdr {
    uint8_t type;
    uint8_t flags;
    uint32_t payload_len;
    uint32_t count;
    int64_t a, b;          /* type-specific, FORMAT.md §4 */
    uint32_t payload_crc;
};

/* A block found by the scan: where it starts and its header. */
struct blog_block {
    int64_t offset;
    struct blog_hdr h;
};

/* One committed batch, from its COMMIT block (FORMAT.md §7). */
struct blog_commit {
    uint64_t seq;
    int64_t start, offset;          /* first block, the commit block */
    uint64_t events, total_events;
    unsigned char fingerprint[16];
    uint32_t dict_sizes[BLOG_D_COUNT];
    uint32_t flags;
};

/* What a scan learned.  blocks[] holds every block before committed_end
 * (COMMIT blocks included), in file order. */
struct blog_scan {
    int64_t file_size;
    int has_header;               /* 0 only for an empty (0-byte) file */
    int64_t committed_end;        /* bytes that belong to committed batches */
    struct blog_block *blocks;
    size_t nblocks;
    struct blog_commit *commits;
    size_t ncommits;
    uint64_t events;              /* in committed batches */
    int64_t min_time, max_time;   /* over committed events; valid if events */
    uint32_t dict_sizes[BLOG_D_COUNT];
    int64_t tail_len;             /* torn tail after committed_end (0: none) */
    char tail_reason[160];
};

/* Encode h into out[BLOG_BLOCK_HEADER_LEN], computing the header CRC. */
void blog_hdr_encode(const struct blog_hdr *h, unsigned char *out);

/* Decode and check magic and header CRC.  Returns 0 or -1. */
int blog_hdr_decode(const unsigned char *in, struct blog_hdr *h);

/* Append a whole block (header + payload) to out.  Returns 0 or FB_ENOMEM. */
int blog_block_append(struct buf *out, uint8_t type, uint8_t flags, uint32_t count,
                      int64_t a, int64_t b, const unsigned char *payload,
                      size_t payload_len) FB_MUST_USE;

/* The 16-byte file header. */
void blog_file_header(unsigned char *out);

/* Encode a commit payload (BLOG_COMMIT_PAYLOAD_LEN bytes). */
void blog_commit_encode(const struct blog_commit *c, unsigned char *out);

/* Decode a commit payload (CRC already checked) with its header.
 * Returns 0, or -1 when malformed. */
int blog_commit_decode(const unsigned char *p, const struct blog_hdr *h, struct blog_commit *c);

/* Scan the log open on fd (path for messages).  Fills *s (free with
 * blog_scan_free, also after failure).  Checks the CRC of every header and
 * of every COMMIT payload; event and dictionary payload CRCs are checked by
 * whoever reads them (blog_read_payload), so replay reads each byte once.
 * Returns 0 (a torn tail is not an error: see s->tail_len), FB_ECORRUPT with
 * the damaged offset, or FB_EIO / FB_ENOMEM. */
int blog_scan_fd(int fd, const char *path, struct blog_scan *s, struct fb_error *err) FB_MUST_USE;

/* The same, reading the file only up to byte `upto` (when 0 < upto < its
 * size): given a committed_end of an earlier scan, the batches committed
 * then and nothing appended since, since a log's bytes before its
 * committed end never change (docs/FORMAT.md §8). */
int blog_scan_fd_upto(int fd, const char *path, int64_t upto, struct blog_scan *s,
                      struct fb_error *err) FB_MUST_USE;
void blog_scan_free(struct blog_scan *s);

/* Read a block's payload into *b (replacing its contents) and check its CRC.
 * Returns 0, FB_ECORRUPT (checksum mismatch, with offset) or FB_EIO. */
int blog_read_payload(int fd, const char *path, const struct blog_block *blk,
                      struct buf *b, struct fb_error *err) FB_MUST_USE;

/* pread exactly n bytes or fail with FB_EIO (short file counts as EIO). */
int blog_pread_all(int fd, const char *path, void *dst, size_t n, int64_t off,
                   struct fb_error *err) FB_MUST_USE;

#endif
