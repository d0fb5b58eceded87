/* err.h - the one error pattern of funnel's core and reports layers.
 *
 * Every fallible function returns int: 0 on success, a negative FB_E* code on
 * failure, and fills the struct fb_error passed as its last argument.  Only
 * cmd/ turns an error into a message and an exit code (see README, exit codes).
 */
#ifndef FUNNEL_ERR_H
#define FUNNEL_ERR_H

#include <stdarg.h>
#include <stdint.h>

#define FB_MUST_USE __attribute__((warn_unused_result))

/* Error codes; the exit code of the command is the negated value (nomem -> 5). */
enum fb_code {
    FB_OK = 0,
    FB_EDIFF = -1,    /* check found differences */
    FB_EUSAGE = -2,   /* bad command line */
    FB_EINPUT = -3,   /* bad input data: nothing was appended */
    FB_ECORRUPT = -4, /* corrupt or truncated log */
    FB_EIO = -5,      /* I/O or system error */
    FB_ENOMEM = -6    /* out of memory (exit 5, like any system error) */
};

/* Where and why.  line/col are 1-based (0 = not known); offset is a byte
 * offset into a binary file (-1 = not known). */
struct fb_error {
    int code;
    long line;
    long col;
    int64_t offset;
    char path[512];
    char msg[1024];
};

void fb_error_clear(struct fb_error *err);

/* Set code, message (printf format) and return code.  Position fields are
 * left as they are, so callers may set path/line/col before or after. */
int fb_fail(struct fb_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like fb_fail, with a file position. */
int fb_fail_at(struct fb_error *err, int code, const char *path, long line,
               long col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Like fb_fail, with a byte offset into a binary file. */
int fb_fail_off(struct fb_error *err, int code, const char *path,
                int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Exit code for an error code (0..5). */
int fb_exit_code(int code);

#endif
