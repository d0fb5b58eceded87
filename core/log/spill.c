/* spill.c - memory up to a bound, then an anonymous temporary file; see
 * spill.h.  Why the log's directory: the file is then on the log's file
 * system, so the bytes spilled are bytes that file system can hold, and
 * copy_file_range can move them to the log without a trip through user
 * space (core/log/appender.c). */
#include "spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void spill_init(struct spill *s, const struct spill_opts *o)
{
    memset(s, 0, sizeof *s);
    if (o)
        s->o = *o;
    if (s->o.limit == 0)
        s->o.limit = SPILL_DEFAULT_LIMIT;
    s->fd = -1;
    fb_error_clear(&s->err);
}

void spill_close(struct spill *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->spilled = 0;
    buf_free(&s->mem);
}

int64_t spill_len(const struct spill *s) { return s->spilled + (int64_t)s->mem.len; }

/* A file with no name in dir: O_TMPFILE where the file system has it, else
 * mkstemp and unlink at once.  Returns the fd or -1 with errno set. */
static int nameless_file(const char *dir)
{
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
#endif
    size_t n = strlen(dir) + sizeof "/.funnel-spill.XXXXXX";
    char *tmp = malloc(n);
    if (!tmp)
        return errno = ENOMEM, -1;
    snprintf(tmp, n, "%s/.funnel-spill.XXXXXX", dir);
    int f = mkostemp(tmp, O_CLOEXEC);
    if (f >= 0)
        unlink(tmp);
    int e = errno;
    free(tmp);
    errno = e;
    return f;
}

static int make_file(struct spill *s)
{
    const char *dir = s->o.dir ? s->o.dir : s->o.fallback ? s->o.fallback : "/tmp";
    s->where = dir;
    s->fd = nameless_file(dir);
    if (s->fd >= 0)
        return 0;
    int e = errno;
    /* A log may be writable in a directory that is not: try the fallback. */
    const char *alt = s->o.fallback ? s->o.fallback : "/tmp";
    if (s->o.dir && strcmp(alt, dir) != 0 && (s->fd = nameless_file(alt)) >= 0) {
        s->where = alt;
        return 0;
    }
    errno = e;
    return fb_fail_at(&s->err, FB_EIO, dir, 0, 0, "cannot make the temporary file of the batch: %s",
                      strerror(e));
}

/* Write all of mem at the end of the file and empty mem (keeping its room). */
static int flush(struct spill *s)
{
    if (s->fd < 0 && make_file(s) != 0)
        return FB_EIO;
    const unsigned char *p = s->mem.p;
    size_t n = s->mem.len;
    while (n > 0) {
        ssize_t w = pwrite(s->fd, p, n, (off_t)s->spilled);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return fb_fail_at(&s->err, FB_EIO, s->where, 0, 0,
                              "cannot write the temporary file of the batch: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
        s->spilled += w;
        if (s->o.after_write)
            s->o.after_write(s->o.ctx, s->fd);
    }
    s->mem.len = 0;
    return 0;
}

int spill_append(struct spill *s, const void *p, size_t n)
{
    if (buf_append(&s->mem, p, n) != 0)
        return FB_ENOMEM;
    return s->mem.len > s->o.limit ? flush(s) : 0;
}
