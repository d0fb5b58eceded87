/* shardwrite.c - writing a shard set; see shardwrite.h and docs/FORMAT.md
 * §13.3.  Why the manifest is written last and holds every shard's
 * content fingerprint: it is the set's commit point, and the one check that
 * catches a shard of another set, an older copy, and a half-done append. */
#include "shardwrite.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* app_commit leaves a->scan as app_open found it, which is right for one
 * batch per process; a shard set commits many batches per shard, so bring
 * the fields the next app_commit and app_find_duplicate read up to date
 * (committed end, commits, events, dictionary sizes).  scan.blocks and the
 * time range are not kept.  This belongs in appender.c, as app_commit's
 * own last step, once the concurrent changes there have landed. */
static int note_commit(struct appender *a, size_t len, uint64_t events, const unsigned char fp[16],
                       uint32_t flags)
{
    struct blog_scan *s = &a->scan;
    struct blog_commit *c = realloc(s->commits, (s->ncommits + 1) * sizeof *c);
    if (!c)
        return FB_ENOMEM;
    s->commits = c;
    c += s->ncommits;
    memset(c, 0, sizeof *c);
    c->seq = s->ncommits + 1;
    c->start = s->committed_end;
    c->offset = c->start + (int64_t)len;
    c->events = events;
    c->total_events = s->events + events;
    memcpy(c->fingerprint, fp, 16);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        s->dict_sizes[k] = c->dict_sizes[k] = dict_size(a->dicts[k]);
    c->flags = flags;
    s->ncommits++;
    s->events += events;
    s->committed_end = s->file_size = c->offset + BLOG_BLOCK_HEADER_LEN + BLOG_COMMIT_PAYLOAD_LEN;
    return 0;
}

static int dir_is_empty(const char *dir, struct fb_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return fb_fail_at(err, FB_EIO, dir, 0, 0, "cannot read the directory: %s", strerror(errno));
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (!empty)
        return fb_fail_at(err, FB_EUSAGE, dir, 0, 0,
                          "the directory is not empty (to add to a shard set, use 'funnel append --shards')");
    return 0;
}

static int lock_dir(struct shardw *w, int fresh, struct fb_error *err)
{
    if (mkdir(w->dir, 0777) == 0)
        w->created_dir = 1;
    else if (errno != EEXIST)
        return fb_fail_at(err, FB_EIO, w->dir, 0, 0, "cannot create the directory: %s", strerror(errno));
    w->dir_fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dir_fd < 0)
        return fb_fail_at(err, FB_EIO, w->dir, 0, 0, "cannot open the directory: %s", strerror(errno));
    /* One writer per set: the manifest sums every shard, so two appends
     * interleaving shard by shard would each record half of the other. */
    while (flock(w->dir_fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return fb_fail_at(err, FB_EIO, w->dir, 0, 0, "cannot lock the directory: %s", strerror(errno));
    return fresh ? dir_is_empty(w->dir, err) : 0;
}

static int read_manifest(struct shardw *w, struct fb_error *err)
{
    int absent = 0;
    int rc = shardset_read(w->dir, &w->m, &absent, err);
    if (rc && absent) {
        shardset_free(&w->m);
        fb_error_clear(err);
        return shardset_init(&w->m, w->n, err);
    }
    if (rc)
        return rc;
    w->had_manifest = 1;
    if (w->m.n != w->n)
        return fb_fail_at(err, FB_EUSAGE, w->dir, 0, 0, "the shard set has %u shards, not %u",
                          (unsigned)w->m.n, (unsigned)w->n);
    return 0;
}

/* A shard as the writer may find it: the manifest's batches, plus at most
 * one that an interrupted run committed (shardw_commit sorts that out). */
static int check_shard(struct shardw *w, uint32_t i, struct fb_error *err)
{
    const struct shardset_entry *e = &w->m.shard[i];
    const struct blog_scan *s = &w->app[i].scan;
    unsigned char content[16];
    if (s->ncommits > e->batches + 1)
        return fb_fail_at(err, FB_ECORRUPT, w->paths[i], 0, 0,
                          "%zu batches where the manifest%s records %llu: not a shard set "
                          "(an interrupted 'funnel shard'?)", s->ncommits,
                          w->had_manifest ? "" : " (absent)", (unsigned long long)e->batches);
    uint64_t events = e->batches && s->ncommits >= e->batches ? s->commits[e->batches - 1].total_events : 0;
    shardset_content(s->commits, s->ncommits < e->batches ? s->ncommits : (size_t)e->batches, content);
    if (s->ncommits < e->batches || events != e->events || memcmp(content, e->content, 16) != 0)
        return fb_fail_at(err, FB_ECORRUPT, w->paths[i], 0, 0,
                          "shard %u does not hold the batches the manifest records (%llu batches, "
                          "%llu events): a shard of another set or an older copy", (unsigned)i,
                          (unsigned long long)e->batches, (unsigned long long)e->events);
    return shardset_check_entities(w->app[i].dicts[BLOG_D_ENTITY], i, w->n, w->paths[i], err);
}

int shardw_open(struct shardw *w, const char *dir, uint32_t n, int fresh,
                const struct app_hook *hook, struct fb_error *err)
{
    memset(w, 0, sizeof *w);
    w->dir = dir;
    w->n = n;
    w->dir_fd = -1;
    if (n < 1 || n > SHARDSET_MAX_SHARDS)
        return fb_fail(err, FB_EUSAGE, "the number of shards must be 1 to %u", SHARDSET_MAX_SHARDS);
    int rc = lock_dir(w, fresh, err);
    if (rc == 0)
        rc = read_manifest(w, err);
    if (rc)
        return rc;
    w->app = calloc(n, sizeof *w->app);
    w->paths = calloc(n, sizeof *w->paths);
    w->in = calloc(n, sizeof *w->in);
    w->at_open = calloc(n, sizeof *w->at_open);
    if (!w->app || !w->paths || !w->in || !w->at_open)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++)
        w->app[i].fd = -1;
    size_t cap = strlen(dir) + SHARDSET_NAME_EXTRA;
    for (uint32_t i = 0; i < n; i++) {
        if (!(w->paths[i] = malloc(cap)) || shardset_shard_path(w->paths[i], cap, dir, i, n) != 0)
            return fb_fail(err, FB_ENOMEM, "out of memory");
        rc = app_open(&w->app[i], w->paths[i], hook, err);
        if (rc == 0)
            rc = app_ensure_header(&w->app[i], err);
        if (rc == 0)
            rc = check_shard(w, i, err);
        if (rc)
            return rc;
        w->at_open[i] = w->app[i].scan.ncommits;
    }
    return 0;
}

int shardw_begin(struct shardw *w, const struct ingest_opts *o, struct fb_error *err)
{
    struct ingest_opts mine = *o;
    mine.on_progress = NULL;   /* each shard sees part of the input */
    w->routed = 0;
    for (uint32_t i = 0; i < w->n; i++)
        if (!(w->in[i] = ingest_new(w->app[i].dicts, &mine)))
            return fb_fail(err, FB_ENOMEM, "out of memory");
    return 0;
}

void shardw_begin_input(struct shardw *w, const char *path)
{
    for (uint32_t i = 0; i < w->n; i++)
        ingest_begin(w->in[i], path);
}

int shardw_record(struct shardw *w, const struct csvin_rec *rec, int is_header, struct fb_error *err)
{
    if (is_header) {
        /* Every shard learns the columns; a bad header fails on shard 0
         * and is reported once. */
        for (uint32_t i = 0; i < w->n; i++) {
            int rc = ingest_record(w->in[i], rec, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    const char *s;
    size_t len;
    uint32_t to = 0;
    if (ingest_entity_of(w->in[0], rec, &s, &len) && len > 0)
        to = shard_of(s, len, w->n);
    w->routed++;
    return ingest_record(w->in[to], rec, err);
}

int shardw_cut_blocks(struct shardw *w, struct fb_error *err)
{
    for (uint32_t i = 0; i < w->n; i++)
        if (ingest_cut_block(w->in[i]) != 0)
            return fb_fail(err, FB_ENOMEM, "out of memory encoding the batch");
    return 0;
}

uint64_t shardw_events(const struct shardw *w)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < w->n && w->in[i]; i++)
        n += ingest_events(w->in[i]);
    return n;
}

uint64_t shardw_rejected(const struct shardw *w)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < w->n && w->in[i]; i++)
        n += ingest_rejected(w->in[i]);
    return n;
}

void shardw_abort_batch(struct shardw *w)
{
    for (uint32_t i = 0; w->in && i < w->n; i++) {
        ingest_free(w->in[i]);
        w->in[i] = NULL;
    }
}

/* One shard's part of the batch, finished. */
struct part {
    struct buf blocks;
    unsigned char fp[16];
    uint64_t events;
    int dup;        /* repeats an earlier batch of the shard */
    int already;    /* an interrupted run committed it past the manifest */
};

/* Finish shard i's part and decide about it.  FB_EINPUT when the shard
 * holds a batch past the manifest that this part does not repeat. */
static int classify(struct shardw *w, uint32_t i, struct part *p, struct fb_error *err)
{
    const struct blog_scan *s = &w->app[i].scan;
    p->events = ingest_events(w->in[i]);
    if (p->events) {
        int rc = ingest_finish(w->in[i], s->dict_sizes, &p->blocks, p->fp, err);
        if (rc)
            return rc;
    }
    /* Only a batch found at open can be an interrupted run's: this run
     * commits past the manifest too, until shardw_finish. */
    if (w->at_open[i] > w->m.shard[i].batches) {
        const struct blog_commit *last = &s->commits[w->at_open[i] - 1];
        if (p->events == 0 || last->events != p->events || memcmp(last->fingerprint, p->fp, 16) != 0)
            return fb_fail_at(err, FB_EINPUT, w->paths[i], 0, 0,
                              "holds batch %llu of an interrupted 'append --shards' that this input "
                              "does not repeat: rerun that append with its input first (nothing was "
                              "appended)", (unsigned long long)last->seq);
        p->already = 1;
    } else if (p->events) {
        p->dup = app_find_duplicate(&w->app[i], p->fp, p->events) != NULL;
    }
    return 0;
}

/* Is the whole batch a re-run, to be skipped (SHARDW_APPEND)? */
static int is_rerun(const struct part *parts, uint32_t n)
{
    int any = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (parts[i].already)
            return 0;   /* finishing an interrupted run, not repeating one */
        if (parts[i].events && !parts[i].dup)
            return 0;
        any |= parts[i].events > 0;
    }
    return any;
}

int shardw_commit(struct shardw *w, enum shardw_mode mode, struct shardw_result *res,
                  struct fb_error *err)
{
    memset(res, 0, sizeof *res);
    struct part *parts = calloc(w->n, sizeof *parts);
    int rc = parts ? 0 : fb_fail(err, FB_ENOMEM, "out of memory");
    /* Every part is decided before any is written, so a refusal appends
     * nothing anywhere. */
    for (uint32_t i = 0; rc == 0 && i < w->n; i++) {
        rc = classify(w, i, &parts[i], err);
        res->events += parts[i].events;
    }
    if (rc == 0 && mode == SHARDW_APPEND)
        res->rerun = is_rerun(parts, w->n);
    for (uint32_t i = 0; rc == 0 && !res->rerun && i < w->n; i++) {
        struct part *p = &parts[i];
        if (p->events == 0 || p->already) {
            res->already += (uint32_t)p->already;
            continue;
        }
        uint32_t flags = p->dup ? BLOG_COMMIT_F_ALLOW_DUP : 0;
        const struct spill *tail = ingest_blocks(w->in[i]);
        rc = app_commit(&w->app[i], p->blocks.p, p->blocks.len, tail, p->events, p->fp, flags, err);
        size_t len = p->blocks.len + (size_t)spill_len(tail);
        if (rc == 0 && note_commit(&w->app[i], len, p->events, p->fp, flags) != 0)
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
        res->committed += rc == 0;
    }
    for (uint32_t i = 0; parts && i < w->n; i++)
        buf_free(&parts[i].blocks);
    free(parts);
    shardw_abort_batch(w);
    return rc;
}

int shardw_finish(struct shardw *w, struct fb_error *err)
{
    for (uint32_t i = 0; i < w->n; i++) {
        const struct blog_scan *s = &w->app[i].scan;
        w->m.shard[i].batches = s->ncommits;
        w->m.shard[i].events = s->events;
        shardset_content(s->commits, s->ncommits, w->m.shard[i].content);
    }
    return shardset_write(w->dir, &w->m, err);
}

void shardw_abandon(struct shardw *w)
{
    shardw_abort_batch(w);
    for (uint32_t i = 0; w->app && i < w->n; i++)
        app_abandon(&w->app[i]);
    if (w->created_dir)
        (void)rmdir(w->dir);   /* fails, harmlessly, unless empty */
}

void shardw_close(struct shardw *w)
{
    shardw_abort_batch(w);
    for (uint32_t i = 0; w->app && i < w->n; i++)
        app_close(&w->app[i]);
    for (uint32_t i = 0; w->paths && i < w->n; i++)
        free(w->paths[i]);
    free(w->app);
    free(w->paths);
    free(w->in);
    free(w->at_open);
    shardset_free(&w->m);
    if (w->dir_fd >= 0)
        close(w->dir_fd);   /* releases the lock */
    memset(w, 0, sizeof *w);
    w->dir_fd = -1;
}
