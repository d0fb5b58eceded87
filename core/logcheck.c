/* logcheck.c - full decode of a log for `verify`; see logcheck.h. */
#include "logcheck.h"

#include <string.h>

#include "logreader.h"

static int check_events(const struct logr *r, struct logcheck_result *res, struct fb_error *err)
{
    static const struct logr_want every = {~0u, NULL, 0};
    struct logr_cursor c;
    int rc = logr_cursor_init(&c, r, &every, 0, r->nev, err);
    while (rc == 0 && (rc = logr_next(&c, err)) == 1) {
        res->events += c.blk->h.count;
        rc = 0;
    }
    logr_cursor_free(&c);
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
    struct logr r;
    memset(res, 0, sizeof *res);
    int rc = logr_open_fd(&r, fd, path, err);
    if (rc == 0)
        rc = logr_load_dicts(&r, ~0u, err);
    if (rc == 0)
        rc = check_commits(path, &r.scan, err);
    if (rc == 0)
        rc = check_events(&r, res, err);
    const struct blog_scan *s = &r.scan;
    res->batches = s->ncommits;
    res->blocks = s->nblocks;
    res->min_time = s->min_time;
    res->max_time = s->max_time;
    res->file_size = s->file_size;
    res->committed_end = s->committed_end;
    res->tail_len = s->tail_len;
    memcpy(res->tail_reason, s->tail_reason, sizeof res->tail_reason);
    logr_close(&r);
    return rc;
}
