/* appender.h - the commit protocol of `funnel append` (docs/FORMAT.md §9):
 * open or create the log, lock it, learn its committed state, and append one
 * batch so that it is wholly present or wholly absent after a crash.
 */
#ifndef FUNNEL_APPENDER_H
#define FUNNEL_APPENDER_H

#include <stdint.h>
#include "blocklog.h"
#include "dict.h"
#include "err.h"
#include "spill.h"

/* The I/O steps of an append, for fault injection in tests (docs/RELIABILITY.md): a
 * hook called right after each one may kill the process there. */
enum app_step { APP_STEP_WRITE, APP_STEP_SYNC, APP_STEP_TRUNCATE, APP_STEP_DIRSYNC, APP_STEP_RENAME,
                APP_STEP_SPILL /* a write to the batch's spill file (core/log/spill.h), not the log */ };
struct app_hook {
    /* synced_len: the file length known to be on disk at this moment. */
    void (*after)(void *ctx, enum app_step step, int fd, int64_t synced_len);
    void *ctx;
};

struct appender {
    const char *path;
    int fd;
    int created;                      /* this process made the file */
    struct blog_scan scan;
    struct dict *dicts[BLOG_D_COUNT]; /* the log's dictionaries, owned */
    struct app_hook hook;             /* optional, from app_open */
    int64_t synced;                   /* length known durable */
};

/* Open LOG for appending, creating it when absent (atomically: a new log
 * appears with its header durable, via a temporary file and link()), and
 * take its exclusive lock (waiting for another appender to finish).  Loads
 * every dictionary.  hook (may be NULL) is called after each I/O step.
 * Returns 0, FB_ECORRUPT (damage in the middle: nothing may be appended),
 * FB_EIO or FB_ENOMEM.  Call app_close in every case. */
int app_open(struct appender *a, const char *path, const struct app_hook *hook,
             struct fb_error *err) FB_MUST_USE;

/* The commit of an earlier batch with the same fingerprint and event count,
 * or NULL. */
const struct blog_commit *app_find_duplicate(const struct appender *a,
                                             const unsigned char fp[16], uint64_t events);

/* Append one batch - the blocks head[0..len) (its DICT blocks) followed by
 * the bytes of tail (its EVENTS blocks; NULL for none) - and its commit:
 * cut a torn tail, write, sync, write the commit, sync.  On failure the log
 * is cut back to its committed end (best effort) and FB_EIO is returned; a
 * failed sync is never treated as success.  Returns 0, FB_EIO or FB_ENOMEM. */
int app_commit(struct appender *a, const unsigned char *head, size_t len, const struct spill *tail,
               uint64_t events, const unsigned char fp[16], uint32_t flags,
               struct fb_error *err) FB_MUST_USE;

/* Make sure the file has a header (for a new log that gets no batch). */
int app_ensure_header(struct appender *a, struct fb_error *err) FB_MUST_USE;

/* Cut a torn tail (for `verify --repair`) and sync.  Returns 0 or FB_EIO. */
int app_cut_tail(struct appender *a, struct fb_error *err) FB_MUST_USE;

/* Give up without appending: a log this process created and left without
 * a batch is removed again, so bad input never leaves a new file behind. */
void app_abandon(struct appender *a);

/* Unlock and close; frees everything.  Safe on a failed app_open. */
void app_close(struct appender *a);

#endif
