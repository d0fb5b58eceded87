/* outpath.c - output paths: symlinks, temporary names, modes, and the
 * refusal to write over an input; see outpath.h. */
#include "outpath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The target of the symlink at path (lst is its lstat), newly allocated.
 * st_size is only a hint: /proc links report 0. */
static char *read_link(const char *path, const struct stat *lst)
{
    size_t cap = lst->st_size > 0 ? (size_t)lst->st_size + 1 : 256;
    for (;;) {
        char *s = malloc(cap);
        if (!s)
            return NULL;
        ssize_t n = readlink(path, s, cap);
        if (n >= 0 && (size_t)n < cap) {
            s[n] = '\0';
            return s;
        }
        free(s);
        if (n < 0)
            return NULL;
        cap *= 2;
    }
}

/* The length of path's directory part, its last '/' included (0: none). */
static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

int outpath_follow(const char *path, char **out, struct fb_error *err)
{
    char *cur = strdup(path);
    for (int hops = 0; cur; hops++) {
        struct stat lst;
        if (lstat(cur, &lst) != 0 || !S_ISLNK(lst.st_mode)) {
            *out = cur;
            return 0;
        }
        if (hops == OUTPATH_MAX_LINKS) {
            free(cur);
            return fb_fail_at(err, FB_EIO, path, 0, 0, "%s", strerror(ELOOP));
        }
        char *target = read_link(cur, &lst);
        if (!target) {
            int e = errno;
            free(cur);
            if (e == ENOMEM)
                break;
            return fb_fail_at(err, FB_EIO, path, 0, 0, "cannot read the link: %s", strerror(e));
        }
        /* A relative target is relative to the link's own directory. */
        size_t d = target[0] == '/' ? 0 : dir_len(cur);
        char *next = malloc(d + strlen(target) + 1);
        if (next) {
            memcpy(next, cur, d);
            strcpy(next + d, target);
        }
        free(target);
        free(cur);
        cur = next;
    }
    return fb_fail(err, FB_ENOMEM, "out of memory");
}

char *outpath_tmpname(const char *path, const char *tag)
{
    size_t d = dir_len(path), base = strlen(path) - d;
    size_t suffix = 1 + strlen(tag) + sizeof ".XXXXXX" - 1;
    char *dir = d ? strndup(path, d) : strdup(".");
    if (!dir)
        return NULL;
    long name_max = pathconf(dir, _PC_NAME_MAX);
    free(dir);
    if (name_max <= 0 || name_max > NAME_MAX)
        name_max = NAME_MAX;
    size_t keep = base;
    if (keep + suffix > (size_t)name_max)
        keep = (size_t)name_max > suffix ? (size_t)name_max - suffix : 0;
    /* Never end on half a UTF-8 character: back off continuation bytes. */
    while (keep > 0 && keep < base && ((unsigned char)path[d + keep] & 0xC0) == 0x80)
        keep--;
    size_t n = d + keep + suffix + 1;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%.*s.%s.XXXXXX", (int)(d + keep), path, tag);
    return t;
}

int outpath_set_mode(int fd, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        /* The group only where we may (a member of it, or root): a
         * failure leaves our own group, with the permissions kept. */
        if (fchown(fd, (uid_t)-1, st.st_gid) != 0)
            errno = 0;
        return fchmod(fd, st.st_mode & 0777);
    }
    mode_t mask = umask(0);
    umask(mask);
    return fchmod(fd, 0666 & ~mask);
}

/* What names a file, for comparing two paths without opening them. */
enum id_kind { ID_NONE, ID_FILE, ID_NAME };
struct file_id {
    enum id_kind kind;
    int regular;        /* ID_FILE: a regular file */
    dev_t dev;          /* ID_FILE: the file's; ID_NAME: its directory's */
    ino_t ino;
    char *name;         /* ID_NAME: the last component, owned */
};

/* The id of a path that does not exist: its directory (once symlinks are
 * followed) and the name in it.  ID_NONE when even the directory is
 * missing: then nothing can be written there anyway. */
static int name_id(const char *path, struct file_id *id, struct fb_error *err)
{
    char *real;
    int rc = outpath_follow(path, &real, err);
    if (rc)
        return rc;
    size_t d = dir_len(real);
    char *dir = d ? strndup(real, d) : strdup(".");
    struct stat st;
    if (dir && real[d] != '\0' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        id->kind = ID_NAME;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->name = strdup(real + d);
    }
    if (!dir || (id->kind == ID_NAME && !id->name))
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
    free(dir);
    free(real);
    return rc;
}

/* fd is the descriptor "-" stands for (0 for an input, 1 for an output,
 * -1 when "-" is a plain file name, as LOG is). */
static int file_id(const char *path, int fd, struct file_id *id, struct fb_error *err)
{
    struct stat st;
    int dash = fd >= 0 && strcmp(path, "-") == 0;
    memset(id, 0, sizeof *id);
    int found = dash ? fstat(fd, &st) == 0 : stat(path, &st) == 0;
    if (found) {
        id->kind = ID_FILE;
        id->regular = S_ISREG(st.st_mode);
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return 0;
    }
    if (dash || errno != ENOENT)
        return 0;   /* nothing to compare: the open will report it */
    return name_id(path, id, err);
}

static int same(const struct file_id *a, const struct file_id *b)
{
    return a->kind != ID_NONE && a->kind == b->kind && a->dev == b->dev && a->ino == b->ino &&
           (a->kind == ID_FILE || strcmp(a->name, b->name) == 0);
}

/* Compare out (already identified) with one input; FB_EUSAGE if same. */
static int against(const char *out, const struct file_id *oid, const char *inpath,
                   int dash_fd, const char *role, struct fb_error *err)
{
    struct file_id iid;
    int rc = file_id(inpath, dash_fd, &iid, err);
    int dash = dash_fd >= 0 && strcmp(inpath, "-") == 0;
    if (rc == 0 && same(oid, &iid))
        rc = fb_fail_at(err, FB_EUSAGE, strcmp(out, "-") == 0 ? "standard output" : out, 0, 0,
                        "the output names the same file as %s%s%s; refusing to overwrite it",
                        dash ? "" : role, dash ? "" : " ", dash ? "standard input" : inpath);
    free(iid.name);
    return rc;
}

int outpath_refuse(const char *out, const struct outpath_inputs *in, struct fb_error *err)
{
    struct file_id oid;
    int rc = file_id(out, STDOUT_FILENO, &oid, err);
    /* /dev/null, a FIFO or a terminal is written in place and holds no
     * data to lose (outfile.h). */
    if (rc || oid.kind == ID_NONE || (oid.kind == ID_FILE && !oid.regular)) {
        free(oid.name);
        return rc;
    }
    if (in->log)
        rc = against(out, &oid, in->log, -1, "the log", err);
    for (size_t i = 0; rc == 0 && i < in->nfiles; i++)
        if (in->files[i])
            rc = against(out, &oid, in->files[i], STDIN_FILENO, "the input", err);
    free(oid.name);
    return rc;
}

int outpath_refuse_dir(const char *dir, const char *const *names,
                       const struct outpath_inputs *in, struct fb_error *err)
{
    int rc = outpath_refuse(dir, in, err);
    for (size_t i = 0; rc == 0 && names[i]; i++) {
        size_t n = strlen(dir) + strlen(names[i]) + 2;
        char *p = malloc(n);
        if (!p)
            return fb_fail(err, FB_ENOMEM, "out of memory");
        snprintf(p, n, "%s/%s", dir, names[i]);
        rc = outpath_refuse(p, in, err);
        free(p);
    }
    return rc;
}

int outpath_mkdirs(const char *dir, struct fb_error *err)
{
    char *p = strdup(dir);
    if (!p)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = fb_fail_at(err, FB_EIO, p, 0, 0, "cannot create the directory: %s", strerror(errno));
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}
