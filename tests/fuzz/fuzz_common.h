/* fuzz_common.h - helpers shared by the fuzz targets (tests/fuzz/fuzz_*.c).
 * Each target is built twice: with clang -fsanitize=fuzzer (make fuzz) and
 * with the normal compiler plus replay_driver.c (make test replays the
 * committed corpus).  Nothing here depends on libFuzzer. */
#ifndef FUNNEL_FUZZ_COMMON_H
#define FUNNEL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "blocklog.h"
#include "bytes.h"
#include "dict.h"
#include "dictblock.h"
#include "evblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property of the code under test failed: say which and abort, so that
 * libFuzzer saves the input and the replay driver fails. */
#define FUZZ_CHECK(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,  \
                    #cond);                                                   \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* An anonymous in-memory file holding data[0..size), positioned at 0; its
 * path for open() is /proc/self/fd/N (written to path).  Returns the fd or
 * -1.  No temp files, so runs in parallel never collide. */
static inline int fuzz_memfd(const void *data, size_t size, char path[64])
{
    int fd = memfd_create("funnel-fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    const unsigned char *p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    if (path)
        snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

/* A byte reader over the fuzz input (like libFuzzer's FuzzedDataProvider):
 * past the end every read gives 0. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fz_u8(struct fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint32_t fz_u32(struct fuzz_in *in)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)fz_u8(in) << (8 * i);
    return v;
}

static inline uint64_t fz_u64(struct fuzz_in *in)
{
    uint64_t lo = fz_u32(in);
    return lo | (uint64_t)fz_u32(in) << 32;
}

/* A value in [0, n) (n > 0). */
static inline uint32_t fz_below(struct fuzz_in *in, uint32_t n)
{
    return n <= 256 ? fz_u8(in) % n : fz_u32(in) % n;
}

/* Every committed EVENTS block of a scanned log decoded as `funnel cat`
 * does (all columns, every id resolved to its string).  Returns the
 * number of events, or a negative FB_E* code. */
static inline int64_t fuzz_cat_blocks(int fd, const struct blog_scan *s, struct dict **dicts,
                                      struct fb_error *err)
{
    struct evb_cols cols;
    struct evb_scratch scratch = {0};
    struct buf payload = {0};
    int64_t total = 0;
    if (evb_cols_init(&cols, BLOG_EVENTS_PER_BLOCK, 0) != 0)
        return FB_ENOMEM;
    uint32_t natt_all = dict_size(dicts[BLOG_D_ATTR_NAME]) - 1;
    int rc = 0;
    for (size_t i = 0; i < s->nblocks && rc == 0; i++) {
        const struct blog_block *blk = &s->blocks[i];
        if (blk->h.type != BLOG_T_EVENTS)
            continue;
        rc = blog_read_payload(fd, "fuzz", blk, &payload, err);
        if (rc == 0)
            rc = evb_decode(payload.p, payload.len, blk->h.count, blk->h.a, blk->h.b, ~0u,
                            s->dict_sizes, &cols, &scratch, err);
        if (rc)
            break;
        FUZZ_CHECK(cols.n == blk->h.count, "decoded %u events of %u", cols.n, blk->h.count);
        for (uint32_t e = 0; e < cols.n; e++) {
            FUZZ_CHECK(cols.time[e] >= blk->h.a && cols.time[e] <= blk->h.b,
                       "time %lld outside [%lld, %lld]", (long long)cols.time[e],
                       (long long)blk->h.a, (long long)blk->h.b);
            for (int k = 0; k < EVB_NIDS; k++) {
                size_t n;
                FUZZ_CHECK(cols.ids[k][e] < dict_size(dicts[k]), "id %u of kind %d past %u",
                           cols.ids[k][e], k, dict_size(dicts[k]));
                (void)dict_str(dicts[k], cols.ids[k][e], &n);
            }
            for (uint32_t a = 0; a < cols.natt; a++) {
                FUZZ_CHECK(cols.att_name[a] >= 1 && cols.att_name[a] - 1 < natt_all,
                           "attribute name id %u of %u", cols.att_name[a], natt_all);
                FUZZ_CHECK(cols.att[a][e] < dict_size(dicts[BLOG_D_ATTR_VALUE]),
                           "attribute value id %u", cols.att[a][e]);
            }
        }
        total += cols.n;
    }
    evb_cols_free(&cols);
    evb_scratch_free(&scratch);
    buf_free(&payload);
    return rc ? rc : total;
}

#endif
