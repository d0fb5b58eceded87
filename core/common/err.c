/* err.c - filling struct fb_error; see err.h. */
#include "err.h"

#include <stdio.h>
#include <string.h>

void fb_error_clear(struct fb_error *err)
{
    memset(err, 0, sizeof *err);
    err->offset = -1;
}

static void set_path(struct fb_error *err, const char *path)
{
    if (path)
        snprintf(err->path, sizeof err->path, "%s", path);
    else
        err->path[0] = '\0';
}

int fb_fail(struct fb_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int fb_fail_at(struct fb_error *err, int code, const char *path, long line,
               long col, const char *fmt, ...)
{
    va_list ap;
    set_path(err, path);
    err->line = line;
    err->col = col;
    err->offset = -1;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int fb_fail_off(struct fb_error *err, int code, const char *path,
                int64_t offset, const char *fmt, ...)
{
    va_list ap;
    set_path(err, path);
    err->line = 0;
    err->col = 0;
    err->offset = offset;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int fb_exit_code(int code)
{
    switch (code) {
    case FB_OK: return 0;
    case FB_EDIFF: return 1;
    case FB_EUSAGE: return 2;
    case FB_EINPUT: return 3;
    case FB_ECORRUPT: return 4;
    default: return 5;
    }
}
