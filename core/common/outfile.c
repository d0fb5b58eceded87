/* outfile.c - temp-file-and-rename output; see outfile.h. */
#include "outfile.h"

#include "outpath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_direct(struct outfile *o, const char *path, struct fb_error *err)
{
    o->path = strdup(path);
    if (!o->path)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    o->fp = fopen(path, "w");
    if (!o->fp) {
        int e = errno;
        free(o->path);
        o->path = NULL;
        return fb_fail_at(err, FB_EIO, path, 0, 0, "cannot open: %s", strerror(e));
    }
    return 0;
}

int outfile_open(struct outfile *o, const char *path, struct fb_error *err)
{
    memset(o, 0, sizeof *o);
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        return 0;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return open_direct(o, path, err);
    /* Follow a symlink so its target is replaced (or, for a dangling one,
     * created) and the link stays. */
    int rc = outpath_follow(path, &o->path, err);
    if (rc)
        return rc;
    o->tmp = outpath_tmpname(o->path, "tmp");
    if (!o->tmp) {
        outfile_abort(o);
        return fb_fail(err, FB_ENOMEM, "out of memory");
    }
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        rc = fb_fail_at(err, FB_EIO, o->path, 0, 0, "cannot create: %s", strerror(e));
        outfile_abort(o);
        return rc;
    }
    /* mkstemp makes the file 0600: a replaced output keeps its mode, a new
     * one gets the usual mode. */
    if (outpath_set_mode(fd, o->path) != 0) {
        int e = errno;
        close(fd);
        rc = fb_fail_at(err, FB_EIO, o->path, 0, 0, "cannot set the mode: %s", strerror(e));
        outfile_abort(o);
        return rc;
    }
    o->fp = fdopen(fd, "w");
    if (!o->fp) {
        int e = errno;
        close(fd);
        rc = fb_fail_at(err, FB_EIO, o->path, 0, 0, "cannot open: %s", strerror(e));
        outfile_abort(o);
        return rc;
    }
    return 0;
}

static void release(struct outfile *o)
{
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

int outfile_commit(struct outfile *o, struct fb_error *err)
{
    if (!o->path) {  /* stdout: the caller checks it at exit */
        int bad = fflush(o->fp) != 0 || ferror(o->fp);
        release(o);
        return bad ? fb_fail(err, FB_EIO, "error writing standard output: %s", strerror(errno)) : 0;
    }
    if (!o->tmp) {   /* written directly: a device or FIFO, nothing to sync or rename */
        int bad = fflush(o->fp) != 0 || ferror(o->fp);
        int e = errno;
        bad |= fclose(o->fp) != 0;
        o->fp = NULL;
        int rc = bad ? fb_fail_at(err, FB_EIO, o->path, 0, 0, "cannot write: %s", strerror(errno ? errno : e)) : 0;
        release(o);
        return rc;
    }
    int bad = fflush(o->fp) != 0 || ferror(o->fp) || fsync(fileno(o->fp)) != 0;
    int e = errno;
    bad |= fclose(o->fp) != 0;
    o->fp = NULL;
    if (!bad && rename(o->tmp, o->path) == 0) {
        release(o);
        return 0;
    }
    e = errno ? errno : e;
    int rc = fb_fail_at(err, FB_EIO, o->path, 0, 0, "cannot write: %s", strerror(e));
    unlink(o->tmp);
    release(o);
    return rc;
}

void outfile_abort(struct outfile *o)
{
    if (o->fp && o->fp != stdout)
        fclose(o->fp);
    if (o->tmp && o->path)
        unlink(o->tmp);
    release(o);
}
