/* outset.c - a directory published as one set by swapping a symlink; see
 * outset.h and docs/DECISIONS.md, "Publishing a report as one set". */
#include "outset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outpath.h"

#define LINK_HOPS 40

/* printf into a new string; NULL when out of memory. */
static char *fmt(const char *f, const char *a, const char *b)
{
    size_t n = strlen(f) + strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, f, a, b);
    return s;
}

static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The directory part of path ("." when none), newly allocated. */
static char *parent_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s)
        return strdup(".");
    return s == path ? strdup("/") : strndup(path, (size_t)(s - path));
}

static void cut_slashes(char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
}

int outset_is_id(const char *name)
{
    /* YYYYMMDDTHHMMSSZ-PID-N */
    for (int i = 0; i < 15; i++)
        if (i == 8 ? name[i] != 'T' : (name[i] < '0' || name[i] > '9'))
            return 0;
    if (name[15] != 'Z' || name[16] != '-')
        return 0;
    int dashes = 0, digits = 0;
    for (const char *p = name + 17; *p; p++) {
        if (*p == '-' && digits) {
            dashes++;
            digits = 0;
        } else if (*p >= '0' && *p <= '9') {
            digits++;
        } else {
            return 0;
        }
    }
    return dashes == 1 && digits > 0;
}

/* The target of the symlink at path, newly allocated (NULL: errno). */
static char *link_target(const char *path)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return strdup(buf);
}

/* The run id the symlink at path names when it is ours ("BASE.v/ID"),
 * newly allocated; NULL otherwise. */
static char *our_id(const char *path)
{
    char *t = link_target(path);
    const char *b = base_of(path);
    size_t n = strlen(b);
    char *id = NULL;
    if (t && strncmp(t, b, n) == 0 && strncmp(t + n, ".v/", 3) == 0 && outset_is_id(t + n + 3))
        id = strdup(t + n + 3);
    free(t);
    return id;
}

enum kind { K_NONE, K_OURS, K_PLAIN, K_OTHER };

/* Follow the user's own symlinks from *path (replaced) to the name they
 * lead to, stopping at one of ours; say what is there. */
static int classify(char **path, enum kind *k, char **old_id, struct fb_error *err)
{
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(*path, &st) != 0) {
            if (errno != ENOENT)
                return fb_fail_at(err, FB_EIO, *path, 0, 0, "%s", strerror(errno));
            *k = K_NONE;
            return 0;
        }
        if (!S_ISLNK(st.st_mode)) {
            *k = S_ISDIR(st.st_mode) ? K_PLAIN : K_OTHER;
            return 0;
        }
        if ((*old_id = our_id(*path))) {
            *k = K_OURS;
            return 0;
        }
        if (hops == LINK_HOPS)
            return fb_fail_at(err, FB_EIO, *path, 0, 0, "%s", strerror(ELOOP));
        char *t = link_target(*path);
        if (!t)
            return fb_fail_at(err, FB_EIO, *path, 0, 0, "cannot read the link: %s", strerror(errno));
        char *dir = parent_of(*path);
        char *next = !dir ? NULL : t[0] == '/' ? strdup(t) : fmt("%s/%s", dir, t);
        free(dir);
        free(t);
        if (!next)
            return fb_fail(err, FB_ENOMEM, "out of memory");
        cut_slashes(next);
        free(*path);
        *path = next;
    }
}

/* Whether a plain directory's entry is one a set holds: a name of names,
 * or NAME.tmp.XXXXXX (outpath_tmpname's, left by a killed run). */
static int set_name(const char *e, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(e, names[i], n) != 0)
            continue;
        if (e[n] == '\0' || (strncmp(e + n, ".tmp.", 5) == 0 && strlen(e + n + 5) == 6))
            return 1;
    }
    return 0;
}

/* A plain directory is taken over only when every entry is a set's file:
 * it may be the output of an older funnel, never a folder of other files
 * (a mistyped -o ~ must not be moved away). */
static int check_plain(const char *path, const char *const *names, struct fb_error *err)
{
    DIR *d = opendir(path);
    if (!d)
        return fb_fail_at(err, FB_EIO, path, 0, 0, "cannot read the directory: %s", strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!set_name(e->d_name, names) || e->d_type == DT_DIR)
            rc = fb_fail_at(err, FB_EUSAGE, path, 0, 0,
                            "is a directory holding '%s', which funnel did not write; "
                            "a report directory is now a link to its runs (docs/CHARTS.md): "
                            "choose another -o or move it aside (mv '%s' '%s.old')",
                            e->d_name, path, path);
    }
    closedir(d);
    return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Remove path: a whole tree (symlinks removed, never followed). */
static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode))
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    else
        unlink(path);
}

static int sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int bad = fd < 0 || fsync(fd) != 0;
    if (fd >= 0)
        close(fd);
    return bad ? -1 : 0;
}

/* Remove every run folder of vdir but keep1 and keep2, and every link.*
 * name (a switch a killed run did not finish).  Only ever called with the
 * lock held: no other run is writing into vdir. */
static void sweep(const char *vdir, const char *keep1, const char *keep2)
{
    DIR *d = opendir(vdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        int run = outset_is_id(n) && !(keep1 && strcmp(n, keep1) == 0) &&
                  !(keep2 && strcmp(n, keep2) == 0);
        if (!run && strncmp(n, "link.", 5) != 0)
            continue;
        char *p = fmt("%s/%s", vdir, n);
        if (p)
            rm_tree(p);
        free(p);
    }
    closedir(d);
}

/* The run id vdir/previous names, newly allocated; NULL when none. */
static char *previous_id(const char *vdir)
{
    char *p = fmt("%s/%s", vdir, "previous");
    char *t = p ? link_target(p) : NULL;
    free(p);
    if (t && !outset_is_id(t)) {
        free(t);
        t = NULL;
    }
    return t;
}

/* A new run id whose name is free in vdir: the UTC time, the pid and a
 * counter.  With mk, the folder is created too.  NULL: errno. */
static char *new_id(const char *vdir, int mk)
{
    char stamp[32], name[96];
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
        return errno = EINVAL, NULL;
    for (int n = 0; n < 1000; n++) {
        snprintf(name, sizeof name, "%s-%ld-%d", stamp, (long)getpid(), n);
        char *p = fmt("%s/%s", vdir, name);
        if (!p)
            return NULL;
        struct stat st;
        int made = mk ? mkdir(p, 0777) == 0 : lstat(p, &st) != 0 && errno == ENOENT;
        int e = errno;
        free(p);
        if (made)
            return strdup(name);
        if (e != EEXIST && mk)
            return errno = e, NULL;
    }
    return errno = EEXIST, NULL;
}

static void release(struct outset *s)
{
    if (s->lock_fd > 0)
        close(s->lock_fd);   /* drops the flock */
    free(s->dir);
    free(s->link);
    free(s->vdir);
    free(s->id);
    free(s->old_id);
    memset(s, 0, sizeof *s);
}

void outset_abort(struct outset *s)
{
    if (s->dir)
        rm_tree(s->dir);
    release(s);
}

/* Create vdir (remembering whether it was new) and take its lock. */
static int lock_vdir(struct outset *s, int *made, struct fb_error *err)
{
    struct stat st;
    *made = mkdir(s->vdir, 0777) == 0;
    if (!*made && errno != EEXIST)
        return fb_fail_at(err, FB_EIO, s->vdir, 0, 0, "cannot create the directory: %s", strerror(errno));
    if (lstat(s->vdir, &st) != 0 || !S_ISDIR(st.st_mode))
        return fb_fail_at(err, FB_EIO, s->vdir, 0, 0,
                          "exists and is not a directory (it holds a report's runs)");
    char *lock = fmt("%s/%s", s->vdir, "lock");
    if (!lock)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    int rc = 0;
    if (s->lock_fd < 0)
        rc = fb_fail_at(err, FB_EIO, lock, 0, 0, "cannot open: %s", strerror(errno));
    else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0)
        rc = fb_fail_at(err, FB_EIO, s->link, 0, 0, errno == EWOULDBLOCK
                        ? "another funnel report is writing this directory now (%s is locked)"
                        : "cannot lock %s", lock);
    if (rc && *made) {
        unlink(lock);
        rmdir(s->vdir);
    }
    free(lock);
    return rc;
}

int outset_begin(struct outset *s, const char *dir, const char *const *names,
                 struct fb_error *err)
{
    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
    if (!(s->link = strdup(dir)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    cut_slashes(s->link);
    const char *b = base_of(s->link);
    if (!*b || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
        release(s);
        return fb_fail_at(err, FB_EUSAGE, dir, 0, 0,
                          "-o needs a directory name of its own (e.g. -o nightly): it becomes a "
                          "link to the current run");
    }
    enum kind k;
    int rc = classify(&s->link, &k, &s->old_id, err);
    if (rc == 0 && k == K_OTHER)
        rc = fb_fail_at(err, FB_EIO, s->link, 0, 0, "not a directory");
    if (rc == 0 && k == K_PLAIN)
        rc = check_plain(s->link, names, err);
    s->migrate = k == K_PLAIN;
    char *parent = rc == 0 ? parent_of(s->link) : NULL;
    if (rc == 0 && !parent)
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = outpath_mkdirs(parent, err);
    free(parent);
    if (rc == 0 && !(s->vdir = fmt("%s%s", s->link, ".v")))
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
    int made = 0;
    if (rc == 0)
        rc = lock_vdir(s, &made, err);
    if (rc) {
        release(s);
        return rc;
    }
    char *prev = previous_id(s->vdir);
    sweep(s->vdir, s->old_id, prev);
    free(prev);
    if (!(s->id = new_id(s->vdir, 1)) || !(s->dir = fmt("%s/%s", s->vdir, s->id))) {
        int e = errno;
        rc = fb_fail_at(err, FB_EIO, s->vdir, 0, 0, "cannot create a folder: %s", strerror(e));
        outset_abort(s);
    }
    return rc;
}

/* Point vdir/NAME at target by symlink + rename (one step). */
static int swap_link(const struct outset *s, const char *target, const char *name)
{
    char pid[32];
    snprintf(pid, sizeof pid, "link.%ld", (long)getpid());
    char *tmp = fmt("%s/%s", s->vdir, pid);
    char *dst = name ? fmt("%s/%s", s->vdir, name) : strdup(s->link);
    int rc = -1;
    if (tmp && dst) {
        unlink(tmp);
        rc = symlink(target, tmp) == 0 && rename(tmp, dst) == 0 ? 0 : -1;
        int e = errno;
        if (rc)
            unlink(tmp);
        errno = e;
    } else {
        errno = ENOMEM;
    }
    free(tmp);
    free(dst);
    return rc;
}

/* A plain DIR from an older funnel: exchange it with the new symlink in
 * one step, then keep it as the previous run's folder. */
static int take_over(struct outset *s, const char *target, struct fb_error *err)
{
#ifdef RENAME_EXCHANGE
    char pid[32];
    snprintf(pid, sizeof pid, "link.%ld", (long)getpid());
    char *tmp = fmt("%s/%s", s->vdir, pid);
    if (!tmp)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    unlink(tmp);
    int rc = 0;
    if (symlink(target, tmp) != 0 || renameat2(AT_FDCWD, tmp, AT_FDCWD, s->link, RENAME_EXCHANGE) != 0) {
        int e = errno;
        unlink(tmp);
        rc = fb_fail_at(err, FB_EIO, s->link, 0, 0,
                        "cannot replace this directory by a link in one step (%s): move it aside "
                        "once (mv '%s' '%s.old') and run again", strerror(e), s->link, s->link);
    }
    /* tmp now names the old directory: keep it as the previous run. */
    char *old = rc == 0 ? new_id(s->vdir, 0) : NULL;
    char *dst = old ? fmt("%s/%s", s->vdir, old) : NULL;
    if (rc == 0 && dst && rename(tmp, dst) == 0 && swap_link(s, old, "previous") == 0) {
        free(s->old_id);
        s->old_id = old;
        old = NULL;
    }
    /* (else the old directory stays as link.PID and the next run removes it) */
    free(dst);
    free(old);
    free(tmp);
    return rc;
#else
    (void)target;
    return fb_fail_at(err, FB_EIO, s->link, 0, 0,
                      "cannot replace this directory by a link in one step on this system: move "
                      "it aside once (mv '%s' '%s.old') and run again", s->link, s->link);
#endif
}

/* Give each new file the mode its namesake in the previous set has, as
 * outpath_set_mode does for a single replaced file. */
static void keep_modes(const struct outset *s)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *old = fmt("%s/%s", s->link, e->d_name);
        char *now = fmt("%s/%s", s->dir, e->d_name);
        struct stat st;
        if (old && now && e->d_name[0] != '.' && stat(old, &st) == 0 && S_ISREG(st.st_mode))
            if (chmod(now, st.st_mode & 0777) != 0)
                errno = 0;   /* the default mode stays: not worth failing the run */
        free(old);
        free(now);
    }
    closedir(d);
}

int outset_commit(struct outset *s, struct fb_error *err)
{
    if (!s->dir)
        return fb_fail(err, FB_EIO, "no set to publish");
    keep_modes(s);
    char *target = fmt("%s.v/%s", base_of(s->link), s->id);
    char *parent = parent_of(s->link);
    int rc = 0;
    if (!target || !parent)
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
    else if (sync_dir(s->dir) != 0 || sync_dir(s->vdir) != 0)
        rc = fb_fail_at(err, FB_EIO, s->dir, 0, 0, "cannot sync: %s", strerror(errno));
    else if (s->migrate)
        rc = take_over(s, target, err);
    else if (s->old_id && swap_link(s, s->old_id, "previous") != 0)
        rc = fb_fail_at(err, FB_EIO, s->vdir, 0, 0, "cannot write: %s", strerror(errno));
    else if (swap_link(s, target, NULL) != 0)
        rc = fb_fail_at(err, FB_EIO, s->link, 0, 0, "cannot publish: %s", strerror(errno));
    if (rc == 0 && (sync_dir(parent) != 0 || sync_dir(s->vdir) != 0))
        rc = fb_fail_at(err, FB_EIO, parent, 0, 0, "cannot sync: %s", strerror(errno));
    free(target);
    free(parent);
    if (rc) {
        /* After a failed sync of the parent the link may already name the
         * new folder: keep it then. */
        char *now = our_id(s->link);
        int live = now && strcmp(now, s->id) == 0;
        free(now);
        if (live)
            release(s);
        else
            outset_abort(s);
        return rc;
    }
    char *prev = previous_id(s->vdir);
    sweep(s->vdir, s->id, prev);
    free(prev);
    release(s);
    return 0;
}
