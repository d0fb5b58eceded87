/* appender.c - lock, scan, write, sync, commit; see appender.h.
 * Why this order: data blocks are synced before the commit block is
 * written, so a commit on disk always points at complete, durable blocks;
 * the commit itself is synced before we report success. */
#include "appender.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dictblock.h"

static int sys_fail(struct fb_error *err, const char *path, const char *what)
{
    return fb_fail_at(err, FB_EIO, path, 0, 0, "%s: %s", what, strerror(errno));
}

/* Open (or create) and lock; retry when the locked file is no longer the
 * one at `path` (a failed creator removed it while we waited). */
static int open_locked(struct appender *a, struct fb_error *err)
{
    for (;;) {
        a->created = 0;
        a->fd = open(a->path, O_RDWR | O_CLOEXEC);
        if (a->fd < 0 && errno == ENOENT) {
            a->fd = open(a->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            a->created = a->fd >= 0;
            if (a->fd < 0 && errno == EEXIST)
                continue;
        }
        if (a->fd < 0)
            return sys_fail(err, a->path, "cannot open the log");
        while (flock(a->fd, LOCK_EX) != 0)
            if (errno != EINTR)
                return sys_fail(err, a->path, "cannot lock the log");
        struct stat held, named;
        if (fstat(a->fd, &held) != 0)
            return sys_fail(err, a->path, "cannot stat the log");
        if (stat(a->path, &named) == 0 && named.st_ino == held.st_ino && named.st_dev == held.st_dev)
            return 0;
        close(a->fd);
        a->fd = -1;
    }
}

int app_open(struct appender *a, const char *path, struct fb_error *err)
{
    memset(a, 0, sizeof *a);
    a->path = path;
    a->fd = -1;
    int rc = open_locked(a, err);
    if (rc)
        return rc;
    rc = blog_scan_fd(a->fd, path, &a->scan, err);
    if (rc)
        return rc;
    a->synced = a->scan.file_size;
    for (int k = 0; k < BLOG_D_COUNT; k++)
        if (!(a->dicts[k] = dict_new(k == BLOG_D_ATTR_NAME)))
            return fb_fail(err, FB_ENOMEM, "out of memory");
    return dictblock_load(a->fd, path, &a->scan, (1u << BLOG_D_COUNT) - 1, a->dicts, err);
}

const struct blog_commit *app_find_duplicate(const struct appender *a,
                                             const unsigned char fp[16], uint64_t events)
{
    for (size_t i = 0; i < a->scan.ncommits; i++)
        if (a->scan.commits[i].events == events &&
            memcmp(a->scan.commits[i].fingerprint, fp, 16) == 0)
            return &a->scan.commits[i];
    return NULL;
}

#define WRITE_PIECE (1u << 20)

static void step(struct appender *a, enum app_step st)
{
    if (a->hook.after)
        a->hook.after(a->hook.ctx, st, a->fd, a->synced);
}

/* Write in pieces of at most 1 MiB, each one step for the fault hook. */
static int write_all(struct appender *a, const unsigned char *p, size_t n, int64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(a->fd, p, n < WRITE_PIECE ? n : WRITE_PIECE, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
        off += w;
        step(a, APP_STEP_WRITE);
    }
    return 0;
}

static int sync_file(struct appender *a, int64_t len)
{
    if (fdatasync(a->fd) != 0)
        return -1;
    a->synced = len;
    step(a, APP_STEP_SYNC);
    return 0;
}

static int cut(struct appender *a, int64_t len)
{
    if (ftruncate(a->fd, (off_t)len) != 0)
        return -1;
    step(a, APP_STEP_TRUNCATE);
    return 0;
}

static int sync_dir(struct appender *a)
{
    const char *path = a->path;
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (dfd < 0)
        return -1;
    int rc = fsync(dfd);
    close(dfd);
    if (rc == 0)
        step(a, APP_STEP_DIRSYNC);
    return rc;
}

/* Where the batch starts, after cutting a torn tail and writing a header. */
static int prepare(struct appender *a, int64_t *start, struct fb_error *err)
{
    struct blog_scan *s = &a->scan;
    if (s->tail_len > 0 && cut(a, s->committed_end) != 0)
        return sys_fail(err, a->path, "cannot cut the torn tail");
    if (!s->has_header) {
        unsigned char h[BLOG_FILE_HEADER_LEN];
        blog_file_header(h);
        if (write_all(a, h, sizeof h, 0) != 0)
            return sys_fail(err, a->path, "cannot write the log header");
        s->has_header = 1;
        s->committed_end = BLOG_FILE_HEADER_LEN;
    }
    s->tail_len = 0;
    *start = s->committed_end;
    return 0;
}

int app_ensure_header(struct appender *a, struct fb_error *err)
{
    int64_t start;
    if (a->scan.has_header && a->scan.tail_len == 0)
        return 0;
    int rc = prepare(a, &start, err);
    if (rc == 0 && sync_file(a, start) != 0)
        rc = sys_fail(err, a->path, "sync failed");
    if (rc == 0 && a->created && sync_dir(a) != 0)
        rc = sys_fail(err, a->path, "cannot sync the log's directory");
    return rc;
}

static int write_commit(struct appender *a, int64_t start, int64_t at, uint64_t events,
                        const unsigned char fp[16], uint32_t flags, struct fb_error *err)
{
    struct blog_commit c = {0};
    unsigned char pl[BLOG_COMMIT_PAYLOAD_LEN];
    struct buf blk = {0};
    c.offset = at;
    c.total_events = a->scan.events + events;
    memcpy(c.fingerprint, fp, 16);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        c.dict_sizes[k] = dict_size(a->dicts[k]);
    c.flags = flags;
    blog_commit_encode(&c, pl);
    if (blog_block_append(&blk, BLOG_T_COMMIT, 0, (uint32_t)events,
                          (int64_t)a->scan.ncommits + 1, start, pl, sizeof pl) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int rc = write_all(a, blk.p, blk.len, at) == 0 ? 0 : sys_fail(err, a->path, "cannot write the commit");
    buf_free(&blk);
    return rc;
}

int app_commit(struct appender *a, const unsigned char *blocks, size_t len, uint64_t events,
               const unsigned char fp[16], uint32_t flags, struct fb_error *err)
{
    int64_t start;
    int rc = prepare(a, &start, err);
    int64_t end = start + (int64_t)len;
    if (rc == 0 && write_all(a, blocks, len, start) != 0)
        rc = sys_fail(err, a->path, "cannot write the batch");
    if (rc == 0 && sync_file(a, end) != 0)
        rc = sys_fail(err, a->path, "sync failed, the batch was not committed");
    if (rc == 0)
        rc = write_commit(a, start, end, events, fp, flags, err);
    if (rc == 0 && sync_file(a, end + BLOG_BLOCK_HEADER_LEN + BLOG_COMMIT_PAYLOAD_LEN) != 0)
        rc = sys_fail(err, a->path, "sync of the commit failed, the batch may not be durable");
    if (rc == 0 && a->created && sync_dir(a) != 0)
        rc = sys_fail(err, a->path, "cannot sync the log's directory");
    if (rc != 0) {
        /* Leave the committed state as it was; if this cut fails too, the
         * uncommitted bytes are a torn tail that readers ignore. */
        if (cut(a, start) == 0)
            (void)sync_file(a, start);
    }
    return rc;
}

int app_cut_tail(struct appender *a, struct fb_error *err)
{
    if (a->scan.tail_len == 0)
        return 0;
    if (cut(a, a->scan.committed_end) != 0)
        return sys_fail(err, a->path, "cannot cut the torn tail");
    if (sync_file(a, a->scan.committed_end) != 0)
        return sys_fail(err, a->path, "sync failed after cutting the torn tail");
    a->scan.tail_len = 0;
    return 0;
}

void app_abandon(struct appender *a)
{
    struct stat st;
    if (a->created && a->fd >= 0 && fstat(a->fd, &st) == 0 && st.st_size == 0)
        unlink(a->path);
}

void app_close(struct appender *a)
{
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(a->dicts[k]);
    blog_scan_free(&a->scan);
    if (a->fd >= 0)
        close(a->fd);   /* closing releases the lock */
    memset(a, 0, sizeof *a);
    a->fd = -1;
}
