/* logcheck.c - full decode of a log for `verify`; see logcheck.h. */
#include "logcheck.h"

#include <string.h>

#include "dictblock.h"
#include "evblock.h"

static int check_events(int fd, const char *path, const struct blog_scan *s,
                        struct logcheck_result *res, struct fb_error *err)
{
    struct evb_cols cols;
    struct evb_scratch scratch = {0};
    struct buf payload = {0};
    if (evb_cols_init(&cols, BLOG_EVENTS_PER_BLOCK, 0) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < s->nblocks && rc == 0; i++) {
        const struct blog_block *blk = &s->blocks[i];
        if (blk->h.type != BLOG_T_EVENTS)
            continue;
        rc = blog_read_payload(fd, path, blk, &payload, err);
        if (rc == 0)
            rc = evb_decode(payload.p, payload.len, blk->h.count, blk->h.a, blk->h.b, ~0u,
                            s->dict_sizes, &cols, &scratch, err);
        if (rc == FB_ECORRUPT && err->offset < 0) {
            char why[sizeof err->msg];
            memcpy(why, err->msg, sizeof why);
            rc = fb_fail_off(err, rc, path, blk->offset, "%s", why);
        }
        res->events += blk->h.count;
    }
    evb_cols_free(&cols);
    evb_scratch_free(&scratch);
    buf_free(&payload);
    return rc;
}

/* Commits must agree with the blocks they close. */
static int check_commits(const char *path, const struct blog_scan *s, struct fb_error *err)
{
    uint64_t total = 0, in_batch = 0;
    size_t c = 0;
    for (size_t i = 0; i < s->nblocks; i++) {
        const struct blog_block *blk = &s->blocks[i];
        if (blk->h.type == BLOG_T_EVENTS)
            in_batch += blk->h.count;
        if (blk->h.type != BLOG_T_COMMIT)
            continue;
        const struct blog_commit *cm = &s->commits[c++];
        total += in_batch;
        if (cm->events != in_batch || cm->total_events != total)
            return fb_fail_off(err, FB_ECORRUPT, path, blk->offset,
                               "commit of batch %llu counts %llu events but its blocks hold %llu",
                               (unsigned long long)cm->seq, (unsigned long long)cm->events,
                               (unsigned long long)in_batch);
        in_batch = 0;
    }
    return 0;
}

int logcheck_run(int fd, const char *path, struct logcheck_result *res, struct fb_error *err)
{
    struct blog_scan s;
    struct dict *dicts[BLOG_D_COUNT] = {0};
    memset(res, 0, sizeof *res);
    int rc = blog_scan_fd(fd, path, &s, err);
    for (int k = 0; rc == 0 && k < BLOG_D_COUNT; k++)
        if (!(dicts[k] = dict_new(k == BLOG_D_ATTR_NAME)))
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = dictblock_load(fd, path, &s, (1u << BLOG_D_COUNT) - 1, dicts, err);
    if (rc == 0)
        rc = check_commits(path, &s, err);
    if (rc == 0)
        rc = check_events(fd, path, &s, res, err);
    res->batches = s.ncommits;
    res->blocks = s.nblocks;
    res->min_time = s.min_time;
    res->max_time = s.max_time;
    res->file_size = s.file_size;
    res->committed_end = s.committed_end;
    res->tail_len = s.tail_len;
    memcpy(res->tail_reason, s.tail_reason, sizeof res->tail_reason);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(dicts[k]);
    blog_scan_free(&s);
    return rc;
}
