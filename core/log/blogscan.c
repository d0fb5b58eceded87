/* blogscan.c - walk a log's blocks and decide what is committed, what is a
 * torn tail and what is damage (docs/FORMAT.md §8).  Reads headers and
 * commit payloads only; event payloads are checked by their readers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "blocklog.h"
#include "bytes.h"

#define SEARCH_CHUNK (1u << 20)
#define COMMIT_BLOCK_LEN (BLOG_BLOCK_HEADER_LEN + BLOG_COMMIT_PAYLOAD_LEN)

void blog_scan_free(struct blog_scan *s)
{
    free(s->blocks);
    free(s->commits);
    s->blocks = NULL;
    s->commits = NULL;
    s->nblocks = s->ncommits = 0;
}

static int push_block(struct blog_scan *s, size_t *cap, int64_t off,
                      const struct blog_hdr *h, struct fb_error *err)
{
    if (s->nblocks == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        struct blog_block *b = realloc(s->blocks, c * sizeof *b);
        if (!b)
            return fb_fail(err, FB_ENOMEM, "out of memory scanning the log");
        s->blocks = b;
        *cap = c;
    }
    s->blocks[s->nblocks++] = (struct blog_block){off, *h};
    return 0;
}

static int push_commit(struct blog_scan *s, size_t *cap, const struct blog_commit *c,
                       struct fb_error *err)
{
    if (s->ncommits == *cap) {
        size_t n = *cap ? 2 * *cap : 16;
        struct blog_commit *p = realloc(s->commits, n * sizeof *p);
        if (!p)
            return fb_fail(err, FB_ENOMEM, "out of memory scanning the log");
        s->commits = p;
        *cap = n;
    }
    s->commits[s->ncommits++] = *c;
    return 0;
}

/* Is there a complete commit block at buf (absolute offset off) that names
 * its own offset?  Such a record cannot be a torn write of an older batch. */
static int valid_commit_at(const unsigned char *p, size_t avail, int64_t off)
{
    struct blog_hdr h;
    if (avail < COMMIT_BLOCK_LEN || blog_hdr_decode(p, &h) != 0 ||
        h.type != BLOG_T_COMMIT || h.payload_len != BLOG_COMMIT_PAYLOAD_LEN)
        return 0;
    const unsigned char *pl = p + BLOG_BLOCK_HEADER_LEN;
    return (uint32_t)crc32(0L, pl, BLOG_COMMIT_PAYLOAD_LEN) == h.payload_crc &&
           (int64_t)rd_u64(pl) == off;
}

/* Does the payload of len bytes at off, not all in memory, match crc?
 * Returns 1, 0 (also when the file ended first), or -1 with *error set. */
static int payload_crc_matches(int fd, int64_t off, uint32_t len, uint32_t want, int *error)
{
    unsigned char piece[16384];
    uLong c = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        size_t n = len < sizeof piece ? len : sizeof piece;
        ssize_t got;
        do
            got = pread(fd, piece, n, (off_t)off);
        while (got < 0 && errno == EINTR);
        if (got < 0)
            return *error = errno, -1;
        if (got == 0)
            return 0;
        c = crc32(c, piece, (uInt)got);
        off += got;
        len -= (uint32_t)got;
    }
    return (uint32_t)c == want;
}

/* Is the block at p (absolute offset x, avail bytes of it in memory) intact:
 * a valid header (§3) whose whole payload is in the file and matches its
 * CRC?  Returns 1, 0, or -1 with *error set. */
static int intact_block_at(int fd, const unsigned char *p, size_t avail, int64_t x,
                           int64_t size, int *error)
{
    struct blog_hdr h;
    if (avail < BLOG_BLOCK_HEADER_LEN || blog_hdr_decode(p, &h) != 0 ||
        h.payload_len > BLOG_MAX_PAYLOAD ||
        x + BLOG_BLOCK_HEADER_LEN + (int64_t)h.payload_len > size)
        return 0;
    if (BLOG_BLOCK_HEADER_LEN + (size_t)h.payload_len <= avail)
        return (uint32_t)crc32(0L, p + BLOG_BLOCK_HEADER_LEN, h.payload_len) == h.payload_crc;
    return payload_crc_matches(fd, x + BLOG_BLOCK_HEADER_LEN, h.payload_len, h.payload_crc, error);
}

/* Search [from, size) for the first intact block (docs/FORMAT.md §8.1,
 * BAD); *is_commit says whether it is a commit naming its own offset.
 * Returns its offset, -1 when there is none, or -2 with *error set (ENOMEM,
 * or pread's errno): a search that could not look must not pass for one
 * that found nothing, or damage before a committed batch would be taken
 * for a torn tail, which the next append cuts (found by
 * tests/unit/test_ioerr.c). */
static int64_t find_intact_block(int fd, int64_t from, int64_t size, int *is_commit, int *error)
{
    unsigned char *chunk = malloc(SEARCH_CHUNK + COMMIT_BLOCK_LEN);
    if (!chunk)
        return *error = ENOMEM, -2;
    int64_t found = -1;
    for (int64_t base = from; base < size && found == -1; base += SEARCH_CHUNK) {
        size_t want = (size_t)(size - base < SEARCH_CHUNK + COMMIT_BLOCK_LEN
                                   ? size - base : SEARCH_CHUNK + COMMIT_BLOCK_LEN);
        ssize_t got;
        do
            got = pread(fd, chunk, want, (off_t)base);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            *error = errno;
            found = -2;
        }
        if (got <= 0)
            break;
        /* Candidates start below SEARCH_CHUNK (the next window starts
         * there), but the magic may run past it, so search 3 bytes more. */
        size_t scan_end = (size_t)got < SEARCH_CHUNK + 3 ? (size_t)got : SEARCH_CHUNK + 3;
        for (size_t i = 0; i + 4 <= scan_end; i++) {
            unsigned char *m = memmem(chunk + i, scan_end - i, "FBLK", 4);
            if (!m || (size_t)(m - chunk) >= SEARCH_CHUNK)
                break;
            i = (size_t)(m - chunk);
            int64_t x = base + (int64_t)i;
            int intact = intact_block_at(fd, m, (size_t)got - i, x, size, error);
            if (intact != 0) {
                found = intact < 0 ? -2 : x;
                *is_commit = intact > 0 && valid_commit_at(m, (size_t)got - i, x);
                break;
            }
        }
    }
    free(chunk);
    return found;
}

/* Is the block at off a complete commit: all its 112 bytes in the file, and
 * either the start of a commit header (block magic, type 3, payload_len 72)
 * or a payload naming off?  One flipped bit cannot destroy both marks, and
 * garbage cannot fake either: the magic and type byte alone are not enough,
 * since power loss may turn a data block's header into garbage from its
 * type byte on, which holds 3 once in 256 times.  Returns 1, 0, or FB_EIO
 * when it cannot be read. */
static int complete_commit_at(int fd, const char *path, int64_t off, int64_t size,
                              struct fb_error *err)
{
    unsigned char b[BLOG_BLOCK_HEADER_LEN + 8];
    if (size - off < COMMIT_BLOCK_LEN)
        return 0;
    int rc = blog_pread_all(fd, path, b, sizeof b, off, err);
    if (rc)
        return rc;
    int header_ok = rd_u32(b) == BLOG_BLOCK_MAGIC && b[4] == BLOG_T_COMMIT &&
                    rd_u32(b + 8) == BLOG_COMMIT_PAYLOAD_LEN;
    int offset_ok = (int64_t)rd_u64(b + BLOG_BLOCK_HEADER_LEN) == off;
    return header_ok || offset_ok;
}

/* The walk met a block it cannot read at `off`.  A crash leaves after the
 * last commit a prefix of one batch that, once unreadable, stays so to the
 * end of the file and holds no complete commit; anything else means bytes
 * were damaged after they were written (docs/FORMAT.md §8.1, BAD). */
static int bad_block(int fd, const char *path, struct blog_scan *s, int64_t off,
                     const char *why, struct fb_error *err)
{
    int error = 0, is_commit = 0;
    int64_t later = find_intact_block(fd, off + 1, s->file_size, &is_commit, &error);
    if (later == -2)
        return error == ENOMEM ? fb_fail(err, FB_ENOMEM, "out of memory scanning the log")
                               : fb_fail_off(err, FB_EIO, path, off, "read error: %s", strerror(error));
    if (later >= 0 && is_commit)
        return fb_fail_off(err, FB_ECORRUPT, path, off,
                           "%s (a later batch commits at offset %lld): the log is damaged",
                           why, (long long)later);
    int commit = complete_commit_at(fd, path, off, s->file_size, err);
    if (commit < 0)
        return commit;
    if (commit)
        return fb_fail_off(err, FB_ECORRUPT, path, off,
                           "%s: the commit block of batch %llu is complete but damaged "
                           "(a crash leaves a commit short or unwritten, never whole and wrong)",
                           why, (unsigned long long)s->ncommits + 1);
    if (later >= 0)
        return fb_fail_off(err, FB_ECORRUPT, path, off,
                           "%s (an intact block follows at offset %lld, which no crash "
                           "leaves after an unreadable one): the log is damaged",
                           why, (long long)later);
    snprintf(s->tail_reason, sizeof s->tail_reason, "%s at offset %lld", why, (long long)off);
    return 0;
}

static int check_file_header(int fd, const char *path, struct blog_scan *s,
                             struct fb_error *err)
{
    unsigned char h[BLOG_FILE_HEADER_LEN];
    size_t n = s->file_size < BLOG_FILE_HEADER_LEN ? (size_t)s->file_size : sizeof h;
    int rc = blog_pread_all(fd, path, h, n, 0, err);
    if (rc)
        return rc;
    /* A header of zeros (at most 16 bytes, nothing after it) is what a power
     * cut can leave of a header written into an existing empty file: no
     * committed data can be in it, so it reads as an empty log with a torn
     * tail rather than as "not a funnel log". */
    int zeros = s->file_size <= BLOG_FILE_HEADER_LEN;
    for (size_t i = 0; zeros && i < n; i++)
        zeros = h[i] == 0;
    if (zeros) {
        s->tail_len = (int64_t)n;
        snprintf(s->tail_reason, sizeof s->tail_reason, "file header of zeros");
        return 0;
    }
    if (memcmp(h, BLOG_MAGIC, n < BLOG_MAGIC_LEN ? n : BLOG_MAGIC_LEN) != 0)
        return fb_fail_off(err, FB_ECORRUPT, path, 0, "not a funnel log (bad magic)");
    if (n < BLOG_FILE_HEADER_LEN) {   /* a crash while creating the log */
        s->tail_len = (int64_t)n;
        snprintf(s->tail_reason, sizeof s->tail_reason, "incomplete file header");
        return 0;
    }
    if (rd_u32(h + 12) != (uint32_t)crc32(0L, h, 12) && s->file_size == BLOG_FILE_HEADER_LEN) {
        /* Our magic and nothing after the header: a header write torn by a
         * power cut; there is no committed data to lose. */
        s->tail_len = (int64_t)n;
        snprintf(s->tail_reason, sizeof s->tail_reason, "torn file header");
        return 0;
    }
    if (rd_u32(h + 12) != (uint32_t)crc32(0L, h, 12))
        return fb_fail_off(err, FB_ECORRUPT, path, 0, "file header checksum mismatch");
    if (rd_u16(h + 8) != BLOG_VERSION_MAJOR)
        return fb_fail_off(err, FB_ECORRUPT, path, 0,
                           "log format version %u.%u is not supported (this funnel reads %u.x)",
                           rd_u16(h + 8), rd_u16(h + 10), BLOG_VERSION_MAJOR);
    s->has_header = 1;
    s->committed_end = BLOG_FILE_HEADER_LEN;
    return 0;
}

/* Read and check the commit at blk; on success it becomes the new end. */
static int accept_commit(int fd, const char *path, struct blog_scan *s,
                         const struct blog_block *blk, struct blog_commit *c,
                         struct fb_error *err)
{
    unsigned char p[BLOG_COMMIT_PAYLOAD_LEN];
    if (blk->h.payload_len != BLOG_COMMIT_PAYLOAD_LEN)
        return 1;
    int rc = blog_pread_all(fd, path, p, sizeof p, blk->offset + BLOG_BLOCK_HEADER_LEN, err);
    if (rc)
        return rc;
    if ((uint32_t)crc32(0L, p, sizeof p) != blk->h.payload_crc || blog_commit_decode(p, &blk->h, c) != 0)
        return 1;
    if (c->offset != blk->offset || c->seq != s->ncommits + 1 || c->start != s->committed_end)
        return 1;
    return 0;
}

static int walk(int fd, const char *path, struct blog_scan *s, struct fb_error *err)
{
    size_t bcap = 0, ccap = 0, committed_blocks = 0;
    int64_t pos = BLOG_FILE_HEADER_LEN;
    while (pos < s->file_size) {
        unsigned char hb[BLOG_BLOCK_HEADER_LEN];
        struct blog_block blk = {pos, {0}};
        if (s->file_size - pos < BLOG_BLOCK_HEADER_LEN) {
            snprintf(s->tail_reason, sizeof s->tail_reason,
                     "incomplete block header at offset %lld", (long long)pos);
            break;
        }
        int rc = blog_pread_all(fd, path, hb, sizeof hb, pos, err);
        if (rc)
            return rc;
        if (blog_hdr_decode(hb, &blk.h) != 0 || blk.h.payload_len > BLOG_MAX_PAYLOAD) {
            if ((rc = bad_block(fd, path, s, pos, "bad block header", err)))
                return rc;
            break;   /* the torn tail starts at the last commit */
        }
        int64_t end = pos + BLOG_BLOCK_HEADER_LEN + (int64_t)blk.h.payload_len;
        if (end > s->file_size) {
            snprintf(s->tail_reason, sizeof s->tail_reason,
                     "incomplete block at offset %lld (%lld of %lld bytes)", (long long)pos,
                     (long long)(s->file_size - pos), (long long)(end - pos));
            break;
        }
        if (blk.h.type == BLOG_T_COMMIT) {
            struct blog_commit c;
            rc = accept_commit(fd, path, s, &blk, &c, err);
            if (rc < 0)
                return rc;
            if (rc > 0) {
                if ((rc = bad_block(fd, path, s, pos, "bad commit block", err)))
                    return rc;
                break;
            }
            if ((rc = push_block(s, &bcap, pos, &blk.h, err)) || (rc = push_commit(s, &ccap, &c, err)))
                return rc;
            s->committed_end = end;
            committed_blocks = s->nblocks;
        } else if (blk.h.type != BLOG_T_DICT && blk.h.type != BLOG_T_EVENTS &&
                   !(blk.h.flags & BLOG_FLAG_SKIPPABLE)) {
            return fb_fail_off(err, FB_ECORRUPT, path, pos,
                               "block type %u is not known to this funnel (written by a newer version?)",
                               blk.h.type);
        } else if ((rc = push_block(s, &bcap, pos, &blk.h, err))) {
            return rc;
        }
        pos = end;
    }
    s->nblocks = committed_blocks;   /* blocks of an uncommitted batch are tail */
    return 0;
}

static void summarise(struct blog_scan *s)
{
    s->events = 0;
    s->min_time = INT64_MAX;
    s->max_time = INT64_MIN;
    for (size_t i = 0; i < s->nblocks; i++) {
        const struct blog_hdr *h = &s->blocks[i].h;
        if (h->type != BLOG_T_EVENTS || h->count == 0)
            continue;
        s->events += h->count;
        if (h->a < s->min_time)
            s->min_time = h->a;
        if (h->b > s->max_time)
            s->max_time = h->b;
    }
    if (s->ncommits)
        memcpy(s->dict_sizes, s->commits[s->ncommits - 1].dict_sizes, sizeof s->dict_sizes);
    else
        for (int k = 0; k < BLOG_D_COUNT; k++)
            s->dict_sizes[k] = 1;
    s->tail_len = s->file_size - s->committed_end;
    if (s->tail_len > 0 && !s->tail_reason[0])
        snprintf(s->tail_reason, sizeof s->tail_reason,
                 "uncommitted blocks at offset %lld", (long long)s->committed_end);
}

int blog_scan_fd(int fd, const char *path, struct blog_scan *s, struct fb_error *err)
{
    return blog_scan_fd_upto(fd, path, 0, s, err);
}

int blog_scan_fd_upto(int fd, const char *path, int64_t upto, struct blog_scan *s,
                      struct fb_error *err)
{
    struct stat st;
    memset(s, 0, sizeof *s);
    if (fstat(fd, &st) != 0)
        return fb_fail_at(err, FB_EIO, path, 0, 0, "%s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fb_fail_at(err, FB_EIO, path, 0, 0, "not a regular file");
    s->file_size = upto > 0 && upto < st.st_size ? upto : st.st_size;
    int rc = 0;
    if (s->file_size > 0) {
        rc = check_file_header(fd, path, s, err);
        if (rc == 0 && s->has_header)
            rc = walk(fd, path, s, err);
    }
    if (rc == 0)
        summarise(s);
    return rc;
}
