/* logreader.h - the one reader of a log (docs/ARCHITECTURE.md "The reader"):
 * scan it, load the dictionaries a caller asks for, and decode its committed
 * EVENTS blocks over a block range with a column mask that may name single
 * attribute columns.  Damage is reported here, with the block's offset, so no
 * caller patches an error itself.  Used by replay, verify, cat and every new
 * command; in the spirit of leveldb's log::Reader (db/log_reader.h).
 *
 * Threads: after logr_open and logr_load_dicts return, a reader is only read,
 * so any number of cursors on it may run at once, one per thread (payloads
 * are read with pread, which shares no file position).
 */
#ifndef FUNNEL_LOGREADER_H
#define FUNNEL_LOGREADER_H

#include <stddef.h>
#include <stdint.h>
#include "blocklog.h"
#include "buf.h"
#include "dict.h"
#include "err.h"
#include "evblock.h"

struct logr {
    const char *path;            /* borrowed; names the log in messages */
    int fd;
    int owns_fd;
    struct blog_scan scan;
    struct dict *dicts[BLOG_D_COUNT];   /* NULL until loaded */
    size_t *ev;                  /* index in scan.blocks of each EVENTS block */
    size_t nev;
};

/* Open path read-only and scan it (logr_open), or scan fd, which stays the
 * caller's (logr_open_fd).  *r is usable by logr_close after any return.
 * Returns 0 (a torn tail is not an error: r->scan.tail_len), FB_ECORRUPT with
 * the damaged offset, FB_EIO or FB_ENOMEM. */
int logr_open(struct logr *r, const char *path, struct fb_error *err) FB_MUST_USE;
/* logr_open of the log's first `upto` bytes (0: all; blog_scan_fd_upto). */
int logr_open_upto(struct logr *r, const char *path, int64_t upto, struct fb_error *err) FB_MUST_USE;
int logr_open_fd(struct logr *r, int fd, const char *path, struct fb_error *err) FB_MUST_USE;
void logr_close(struct logr *r);

/* Load the dictionaries of the kinds in kind_mask (bit 1 << BLOG_D_*; ~0u for
 * all).  Ids must come out in order and end at the last commit's sizes
 * (dictblock.h).  A kind already loaded is not read again; on failure the
 * kinds this call was loading stay unloaded.  Returns 0, FB_ECORRUPT, FB_EIO
 * or FB_ENOMEM. */
int logr_load_dicts(struct logr *r, unsigned kind_mask, struct fb_error *err) FB_MUST_USE;

/* A loaded dictionary (borrowed; NULL when its kind was not loaded). */
const struct dict *logr_dict(const struct logr *r, int kind);

/* The committed size of the entity dictionary, checked against the counts
 * of its DICT blocks without loading them (FORMAT.md §5.3): a caller sizing
 * per-entity state by it is then never asked for more than the file can
 * hold.  Returns 0, or FB_ECORRUPT. */
int logr_check_entity_count(const struct logr *r, struct fb_error *err) FB_MUST_USE;

/* Which columns to decode: `cols` is a mask of 1 << BLOG_C_* (BLOG_C_ATTR:
 * every attribute column); logr_want_attr adds single attribute columns by
 * name instead.  Free with logr_want_free. */
struct logr_want {
    unsigned cols;
    uint8_t *att;                /* per attribute name id: 1 = decode it */
    uint32_t natt;
};

/* Add the attribute column named name[0..len) (matched as the log matches
 * attribute names, ASCII case-insensitively) to w.  Needs the attribute name
 * dictionary loaded.  Returns 1 when the log has such a column, 0 when it
 * has none (w unchanged), or FB_ENOMEM. */
int logr_want_attr(const struct logr *r, struct logr_want *w, const char *name, size_t len,
                   struct fb_error *err) FB_MUST_USE;
void logr_want_free(struct logr_want *w);

/* A cursor decodes EVENTS blocks of one reader into its own columns; one
 * per thread.  Blocks are numbered 0 .. r->nev - 1 in file order. */
struct logr_cursor {
    const struct logr *r;
    const struct logr_want *want;     /* borrowed */
    size_t next, end;                 /* logr_next's range */
    const struct blog_block *blk;     /* the block last decoded */
    struct evb_cols cols;             /* its events (valid until the next call) */
    struct evb_scratch scratch;
    struct buf payload;
    unsigned char *room;              /* the payload's and the inflated column's */
    size_t room_bytes;
};

/* A cursor over EVENTS blocks [from, to) (to is clamped to r->nev); want is
 * borrowed and must outlive it.  Returns 0 or FB_ENOMEM; free with
 * logr_cursor_free (also after failure). */
int logr_cursor_init(struct logr_cursor *c, const struct logr *r, const struct logr_want *want,
                     size_t from, size_t to, struct fb_error *err) FB_MUST_USE;
void logr_cursor_free(struct logr_cursor *c);

/* The header of EVENTS block i (i < r->nev), read from the scan: callers
 * may skip a block by it without reading the payload. */
const struct blog_block *logr_block(const struct logr *r, size_t i);

/* Read, check and decode EVENTS block i into c->cols.  Returns 0,
 * FB_ECORRUPT (with the block's offset), FB_EIO or FB_ENOMEM. */
int logr_decode(struct logr_cursor *c, size_t i, struct fb_error *err) FB_MUST_USE;

/* Decode the next block of the cursor's range.  Returns 1 (c->blk and
 * c->cols hold it), 0 at the end of the range, or a negative FB_E* code as
 * logr_decode. */
int logr_next(struct logr_cursor *c, struct fb_error *err) FB_MUST_USE;

#endif
