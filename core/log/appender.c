/* appender.c - lock, scan, write, sync, commit; see appender.h.
 * Why this order: data blocks are synced before the commit block is
 * written, so a commit on disk always points at complete, durable blocks;
 * the commit itself is synced before we report success. */
#include "appender.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dictblock.h"
#include "outpath.h"

static int sys_fail(struct fb_error *err, const char *path, const char *what)
{
    return fb_fail_at(err, FB_EIO, path, 0, 0, "%s: %s", what, strerror(errno));
}

static void step(struct appender *a, enum app_step st)
{
    if (a->hook.after)
        a->hook.after(a->hook.ctx, st, a->fd, a->synced);
}

static int sync_dir(struct appender *a)
{
    char *copy = strdup(a->path);
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

/* Create the log atomically: write and sync its header under a temporary
 * name, then link() it into place. Why: a log created in place could lose
 * its unsynced header to a power cut and be unreadable ever after; this way
 * the name only ever points at a file with a durable header. link() fails
 * with EEXIST where rename() would replace a log another appender created
 * meanwhile. Returns 0 (a->fd is the new log), 1 (someone else created it
 * first: open that one) or -1 with errno set. */
static int create_log(struct appender *a)
{
    char *tmp = outpath_tmpname(a->path, "creating");
    if (!tmp)
        return errno = ENOMEM, -1;
    a->fd = mkostemp(tmp, O_CLOEXEC);
    if (a->fd < 0) {
        free(tmp);
        return -1;
    }
    unsigned char h[BLOG_FILE_HEADER_LEN];
    blog_file_header(h);
    int rc = outpath_set_mode(a->fd, a->path);   /* mkstemp makes 0600 */
    if (rc == 0) {
        ssize_t w;
        do   /* a signal may interrupt the write, as in write_all */
            w = pwrite(a->fd, h, sizeof h, 0);
        while (w < 0 && errno == EINTR);
        rc = w == (ssize_t)sizeof h ? 0 : -1;
        if (rc == 0)
            step(a, APP_STEP_WRITE);
    }
    if (rc == 0 && (rc = fdatasync(a->fd)) == 0) {
        a->synced = sizeof h;
        step(a, APP_STEP_SYNC);
    }
    if (rc == 0 && (rc = link(tmp, a->path)) == 0)
        step(a, APP_STEP_RENAME);
    int e = errno;
    unlink(tmp);
    free(tmp);
    if (rc == 0 && sync_dir(a) == 0) {
        a->created = 1;
        return 0;
    }
    e = rc == 0 ? errno : e;
    if (rc == 0)   /* linked but the directory did not sync: undo */
        unlink(a->path);
    close(a->fd);
    a->fd = -1;
    errno = e;
    return e == EEXIST ? 1 : -1;
}

/* A log named by a symlink whose target does not exist is refused, not
 * created (docs/DECISIONS.md, "The log"): the link most likely points at
 * the real log on a volume that is not there, and a fresh log in its place
 * would split the history.  Returns FB_EIO with the reason. */
static int refuse_dangling(struct appender *a, struct fb_error *err)
{
    char *target = NULL;
    int rc = outpath_follow(a->path, &target, err);
    if (rc == 0)
        rc = fb_fail_at(err, FB_EIO, a->path, 0, 0,
                        "is a symbolic link to %s, which does not exist; funnel does not "
                        "create a log through a link (create it there by name, or remove "
                        "the link)", target);
    free(target);
    return rc;
}

/* How often the name may change under us before we give up: each retry
 * means another process created or removed the log in between, which a
 * few rounds settle; a name that never settles is an error, not a loop. */
#define OPEN_TRIES 64

/* Open (or create) and lock; retry when the locked file is no longer the
 * one at `path` (a failed creator removed it while we waited) or another
 * process created the log first. */
static int open_locked(struct appender *a, struct fb_error *err)
{
    for (int tries = 0; tries < OPEN_TRIES; tries++) {
        a->created = 0;
        a->fd = open(a->path, O_RDWR | O_CLOEXEC);
        struct stat lst;
        if (a->fd < 0 && errno == ENOENT && lstat(a->path, &lst) == 0 && S_ISLNK(lst.st_mode))
            return refuse_dangling(a, err);
        if (a->fd < 0 && errno == ENOENT) {
            int c = create_log(a);
            if (c == 1)
                continue;
            if (c < 0)
                return sys_fail(err, a->path, "cannot create the log");
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
    return fb_fail_at(err, FB_EIO, a->path, 0, 0,
                      "the log was created or removed by another process %d times while "
                      "opening it; giving up", OPEN_TRIES);
}

int app_open(struct appender *a, const char *path, const struct app_hook *hook,
             struct fb_error *err)
{
    memset(a, 0, sizeof *a);
    a->path = path;
    a->fd = -1;
    if (hook)
        a->hook = *hook;
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

/* Copy n bytes of fd from offset 0 to the log at off, in pieces of at most
 * 1 MiB, each one write step.  copy_file_range keeps the bytes in the
 * kernel (or shares extents); where it cannot work between these two files
 * (another file system, an old kernel) pread and pwrite do. */
static int copy_in(struct appender *a, int fd, int64_t n, int64_t off)
{
    int64_t done = 0;
    unsigned char *piece = NULL;
    int rc = 0;
    while (rc == 0 && done < n) {
        size_t want = n - done < WRITE_PIECE ? (size_t)(n - done) : WRITE_PIECE;
        ssize_t got = -1;
        if (!piece) {
            loff_t from = done, to = off + done;
            got = copy_file_range(fd, &from, a->fd, &to, want, 0);
            if (got < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                            errno == EOPNOTSUPP || errno == EBADF) && !(piece = malloc(WRITE_PIECE)))
                return errno = ENOMEM, -1;
        }
        if (piece) {
            do
                got = pread(fd, piece, want, (off_t)done);
            while (got < 0 && errno == EINTR);
            if (got > 0 && write_all(a, piece, (size_t)got, off + done) != 0)
                got = -1;
        } else if (got > 0) {
            step(a, APP_STEP_WRITE);
        }
        if (got == 0)   /* the spill file is shorter than it was written */
            errno = EIO, got = -1;
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = -1;
        else
            done += got;
    }
    int e = errno;
    free(piece);
    errno = e;
    return rc;
}

/* Write the batch: head, then the spilled part of tail, then its memory. */
static int write_batch(struct appender *a, const unsigned char *head, size_t len,
                       const struct spill *tail, int64_t start)
{
    if (write_all(a, head, len, start) != 0)
        return -1;
    if (!tail)
        return 0;
    int64_t at = start + (int64_t)len;
    if (tail->spilled > 0 && copy_in(a, tail->fd, tail->spilled, at) != 0)
        return -1;
    return write_all(a, tail->mem.p, tail->mem.len, at + tail->spilled);
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

/* Where the batch starts, after cutting a torn tail and writing a header. */
static int prepare(struct appender *a, int64_t *start, struct fb_error *err)
{
    struct blog_scan *s = &a->scan;
    if (s->tail_len > 0 && cut(a, s->committed_end) != 0)
        return sys_fail(err, a->path, "cannot cut the torn tail");
    if (!s->has_header) {
        unsigned char h[BLOG_FILE_HEADER_LEN];
        blog_file_header(h);
        /* Only a file funnel did not create gets here (an empty file, or
         * one cut inside its header); sync the header on its own so a power
         * cut during the batch cannot take it. */
        if (write_all(a, h, sizeof h, 0) != 0)
            return sys_fail(err, a->path, "cannot write the log header");
        if (sync_file(a, BLOG_FILE_HEADER_LEN) != 0)
            return sys_fail(err, a->path, "sync of the log header failed");
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

int app_commit(struct appender *a, const unsigned char *head, size_t len, const struct spill *tail,
               uint64_t events, const unsigned char fp[16], uint32_t flags, struct fb_error *err)
{
    /* Where to cut back to on failure: the committed end, or nothing at
     * all when the file had no header yet (so a log this run created is
     * left empty and app_abandon removes it). Known before prepare(), which
     * may fail half way through writing the header. */
    int64_t keep = a->scan.has_header ? a->scan.committed_end : 0;
    int64_t start = keep;
    int rc = prepare(a, &start, err);
    int64_t end = start + (int64_t)len + (tail ? spill_len(tail) : 0);
    if (rc == 0 && write_batch(a, head, len, tail, start) != 0)
        rc = sys_fail(err, a->path, "cannot write the batch");
    if (rc == 0 && sync_file(a, end) != 0)
        rc = sys_fail(err, a->path, "sync failed, the batch was not committed");
    if (rc == 0)
        rc = write_commit(a, start, end, events, fp, flags, err);
    if (rc == 0 && sync_file(a, end + BLOG_BLOCK_HEADER_LEN + BLOG_COMMIT_PAYLOAD_LEN) != 0)
        rc = sys_fail(err, a->path, "sync of the commit failed, the batch may not be durable");
    if (rc != 0) {
        /* Leave the committed state as it was; if this cut fails too, the
         * uncommitted bytes are a torn tail that readers ignore. */
        if (cut(a, keep) == 0)
            (void)sync_file(a, keep);
        if (keep == 0)
            a->scan.has_header = 0;
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
    if (a->created && a->fd >= 0 && fstat(a->fd, &st) == 0 &&
        st.st_size <= BLOG_FILE_HEADER_LEN)
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
