/* shardwrite.h - writing a shard set (docs/FORMAT.md §13.3): open or create
 * DIR and its N shard logs under one directory lock, route each record of a
 * batch to its shard's ingest, commit the sub-batches, and write the
 * MANIFEST last.  Used by `funnel shard` and `funnel append --shards`.
 */
#ifndef FUNNEL_SHARDWRITE_H
#define FUNNEL_SHARDWRITE_H

#include <stdint.h>
#include "appender.h"
#include "csvin.h"
#include "err.h"
#include "ingest.h"
#include "shardset.h"

/* How a batch's sub-batches are committed. */
enum shardw_mode {
    /* `shard`: every sub-batch is committed, flagged ALLOW_DUP where it
     * repeats an earlier one of its shard, so each shard holds exactly its
     * part of the source log. */
    SHARDW_PRESERVE,
    /* `append --shards`: a batch every part of which repeats an earlier one
     * is a re-run and skipped; a sub-batch an interrupted run already
     * committed (past the manifest) is skipped; the rest are committed. */
    SHARDW_APPEND,
    /* `append --shards --allow-duplicate`: like SHARDW_APPEND, but a re-run
     * is appended again (flagged ALLOW_DUP). */
    SHARDW_APPEND_ALLOW_DUP
};

struct shardw {
    const char *dir;
    uint32_t n;
    int dir_fd;                  /* holds the set's lock */
    int had_manifest;
    int created_dir;             /* this run made dir */
    struct shardset m;           /* the manifest, updated by shardw_commit */
    struct appender *app;        /* n shard logs, open and locked */
    char **paths;                /* n shard file names */
    size_t *at_open;             /* n: each shard's batches when opened */
    struct ingest **in;          /* n batches, between begin and commit */
    uint64_t routed;             /* records routed in this batch */
};

/* What shardw_commit did, for the command's messages. */
struct shardw_result {
    uint64_t events;             /* events of the batch */
    uint32_t committed;          /* sub-batches appended */
    uint32_t already;            /* sub-batches an interrupted run had committed */
    int rerun;                   /* the whole batch repeats earlier ones: skipped */
};

/* Open the set in dir with n shards (1..SHARDSET_MAX_SHARDS), creating dir
 * and the shard logs when absent, and lock it (waiting for another writer).
 * fresh: dir must be absent or empty (for `shard`).  An existing manifest
 * must say n (FB_EUSAGE otherwise); every shard's history must match it,
 * except for one batch past it that an interrupted run left (FB_ECORRUPT
 * otherwise), and every entity must be on its shard.  hook: fault
 * injection, as for app_open (may be NULL).  Call shardw_close in every
 * case.  Returns 0, FB_EUSAGE, FB_ECORRUPT, FB_EIO or FB_ENOMEM. */
int shardw_open(struct shardw *w, const char *dir, uint32_t n, int fresh,
                const struct app_hook *hook, struct fb_error *err) FB_MUST_USE;

/* Start a batch: one ingest per shard, with options o (on_reject is
 * shared; on_progress is not called).  Returns 0 or FB_ENOMEM. */
int shardw_begin(struct shardw *w, const struct ingest_opts *o, struct fb_error *err) FB_MUST_USE;

/* Start a new input (path for messages): its first record is a header. */
void shardw_begin_input(struct shardw *w, const char *path);

/* Route one record of the current input: a header goes to every shard's
 * ingest, a row to the shard of its entity (a row without a usable entity
 * field to shard 0, which rejects it with the message ingest_file would
 * give).  Returns what ingest_record returns. */
int shardw_record(struct shardw *w, const struct csvin_rec *rec, int is_header,
                  struct fb_error *err) FB_MUST_USE;

/* End every shard's EVENTS block being filled (so a shard's events keep the
 * block order of a source log).  Returns 0 or FB_ENOMEM. */
int shardw_cut_blocks(struct shardw *w, struct fb_error *err) FB_MUST_USE;

/* Events and rejected rows routed so far in this batch, over all shards. */
uint64_t shardw_events(const struct shardw *w);
uint64_t shardw_rejected(const struct shardw *w);

/* Finish the batch and commit its sub-batches per mode, shard by shard;
 * frees the ingests.  Shards without events are left alone.  A crash half
 * way leaves shards with and without the batch; the manifest still
 * describes the set before it, and a rerun with the same input converges
 * (docs/FORMAT.md §13.3).  Returns 0, FB_EINPUT (an interrupted run's batch
 * that this input does not repeat), FB_EIO or FB_ENOMEM. */
int shardw_commit(struct shardw *w, enum shardw_mode mode, struct shardw_result *res,
                  struct fb_error *err) FB_MUST_USE;

/* Drop the batch being built (bad input): nothing is written. */
void shardw_abort_batch(struct shardw *w);

/* Record every shard's state in the manifest and write it (atomically,
 * after every shard commit is durable).  Returns 0, FB_EIO or FB_ENOMEM. */
int shardw_finish(struct shardw *w, struct fb_error *err) FB_MUST_USE;

/* Give up (bad input or a failure before shardw_finish): shard logs this
 * run created and left without a batch are removed again, and dir if this
 * run made it and it is empty, so bad input leaves nothing behind. */
void shardw_abandon(struct shardw *w);

/* Close every shard log and release the lock; frees everything.  Safe
 * after a failed shardw_open. */
void shardw_close(struct shardw *w);

#endif
