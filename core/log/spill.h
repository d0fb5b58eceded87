/* spill.h - the EVENTS blocks of a batch being built (docs/FORMAT.md §9
 * step 4): kept in memory up to a bound, and past it in an anonymous
 * temporary file, so that append's memory does not grow with the batch.
 * The file has no name (O_TMPFILE, or unlinked right after mkstemp): it
 * vanishes with the process, whatever way the process ends.
 * docs/DECISIONS.md "Append memory: spill the EVENTS blocks" says why.
 */
#ifndef FUNNEL_SPILL_H
#define FUNNEL_SPILL_H

#include <stdint.h>
#include "buf.h"
#include "err.h"

/* Bytes kept in memory before they go to the file: a few EVENTS blocks, so
 * that most batches (a nightly file) never create a file at all. */
#define SPILL_DEFAULT_LIMIT ((size_t)4 << 20)

struct spill_opts {
    const char *dir;       /* where the file goes (the log's directory), or NULL */
    const char *fallback;  /* tried when no file can be made in dir; NULL = /tmp */
    size_t limit;          /* bytes held in memory; 0 = SPILL_DEFAULT_LIMIT */
    /* Called after each write to the file (fault injection in tests). */
    void (*after_write)(void *ctx, int fd);
    void *ctx;
};

/* The bytes so far are the first `spilled` bytes of fd, then mem. */
struct spill {
    struct spill_opts o;   /* dir and fallback are borrowed */
    int fd;                /* -1 until the first spill */
    const char *where;     /* the directory of the file (borrowed) */
    int64_t spilled;
    struct buf mem;
    struct fb_error err;   /* why the last spill_append failed with FB_EIO */
};

/* An empty spill; no file is made yet. */
void spill_init(struct spill *s, const struct spill_opts *o);

/* Close (and so delete) the file, free the memory.  spill_init'ed or zeroed. */
void spill_close(struct spill *s);

/* Append n bytes.  When more than the limit is held in memory, all of it
 * goes to the file (made on the first spill).  Returns 0, FB_ENOMEM, or
 * FB_EIO with s->err saying which file and why (ENOSPC, EFBIG, ...). */
int spill_append(struct spill *s, const void *p, size_t n) FB_MUST_USE;

/* All bytes appended so far. */
int64_t spill_len(const struct spill *s);

#endif
