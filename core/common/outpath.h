/* outpath.h - where an output file goes (docs/DECISIONS.md, "Output files"):
 * following a symlink to the file it names, the temporary name beside an
 * output, the mode a replacement gets, and the one rule that an output
 * must never be a file the same command reads (the log or an input).
 * outfile.c, appender.c and chart.c make their temporary files through
 * here, and every command that writes a file asks outpath_refuse first.
 */
#ifndef FUNNEL_OUTPATH_H
#define FUNNEL_OUTPATH_H

#include <stddef.h>
#include "err.h"

/* At most this many symlinks are followed for one name (Linux's own
 * bound for a path lookup). */
#define OUTPATH_MAX_LINKS 40

/* The files a command reads: the log (NULL when it has none) and its other
 * inputs (nfiles of them; "-" is standard input).  Borrowed. */
struct outpath_inputs {
    const char *log;
    const char *const *files;
    size_t nfiles;
};

/* Refuse to write `out` ("-" = standard output) when it names the same
 * file as the log or an input: the same device and inode when both exist,
 * else the same name in the same directory once symlinks are followed (a
 * log the command is about to create, or a dangling symlink to it).  An
 * output that exists and is not a regular file (/dev/null, a FIFO) is
 * never refused.  Returns 0, or FB_EUSAGE with the message in err (exit 2:
 * nothing has been touched), FB_ENOMEM. */
int outpath_refuse(const char *out, const struct outpath_inputs *in,
                   struct fb_error *err) FB_MUST_USE;

/* outpath_refuse for dir itself and for each DIR/NAME of names (a
 * NULL-terminated list), the files of a command that writes a directory. */
int outpath_refuse_dir(const char *dir, const char *const *names,
                       const struct outpath_inputs *in, struct fb_error *err) FB_MUST_USE;

/* The name path leads to once every symlink in its last component is
 * followed (the target of a dangling link is a name that does not exist
 * yet), newly allocated in *out; path itself when it is no symlink.
 * Returns 0, FB_EIO (a loop of more than OUTPATH_MAX_LINKS links) or
 * FB_ENOMEM. */
int outpath_follow(const char *path, char **out, struct fb_error *err) FB_MUST_USE;

/* A template for mkstemp in the directory of path: DIR/BASE.TAG.XXXXXX,
 * where BASE is path's last component cut short (at a UTF-8 character
 * boundary) so that the name fits the directory's NAME_MAX.  Why cut: a
 * valid 255-byte name must stay writable, and the temporary file must be
 * in the same directory for rename() and link().  Newly allocated; NULL
 * when out of memory. */
char *outpath_tmpname(const char *path, const char *tag);

/* Give fd (a new temporary file) the mode the file at path has, so a
 * replaced output keeps its permissions (and, where allowed, its group),
 * as editors and install(1) do; when path does not exist, 0666 less the
 * umask, the mode open() would give.  Returns 0 or -1 with errno set. */
int outpath_set_mode(int fd, const char *path);

/* Create dir and every missing parent (mode 0777 before the umask), as
 * `mkdir -p` does; an existing one is fine.  Returns 0 or FB_EIO naming
 * the part that could not be made, or FB_ENOMEM. */
int outpath_mkdirs(const char *dir, struct fb_error *err) FB_MUST_USE;

#endif
