/* partfile.h - the partial state file of `funnel partial` and `funnel merge
 * --partial` (docs/FORMAT.md §14): which shards of which shard set it
 * covers, the funnel and options it was computed with, and the summary of
 * core/aggregate/summary.h in checksummed zlib sections.  Decoding checks every byte
 * a reader relies on; merging checks that two partials belong together.
 */
#ifndef FUNNEL_PARTFILE_H
#define FUNNEL_PARTFILE_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "funnel_def.h"
#include "summary.h"

/* FORMAT.md §14.1: magic, the version this funnel writes and reads, flags. */
#define PARTFILE_MAGIC "\x89" "FNP\r\n\x1a\n"
#define PARTFILE_MAGIC_LEN 8
#define PARTFILE_VERSION 3   /* 3: the deal sections (§14.10); version 2 files are refused */
#define PARTFILE_FLAG_AS_OF 1u     /* as_of was given (--as-of) */
#define PARTFILE_FLAG_TOUCHES 2u   /* --touches: section 10 follows (§14.11) */
#define PARTFILE_MAX_SHARDS 256u   /* = SHARDSET_MAX_SHARDS; the index bitmap's bits */

struct partial {
    unsigned char set_id[16];      /* the shard set's (MANIFEST) */
    uint32_t n;                    /* shards in the set */
    unsigned char index[PARTFILE_MAX_SHARDS / 8];   /* bit i (byte i/8, bit i%8): holds shard i */
    int has_as_of;                 /* --as-of given; then sum.as_of is it */
    struct funnel_def def;         /* owned */
    struct summary sum;            /* owned */
};

static inline int partial_has(const struct partial *p, uint32_t i)
{
    return (p->index[i / 8] >> (i % 8)) & 1;
}

/* Encode p into out (replacing its contents).  Sorts the summary's sets
 * first (the file's canonical order).  Returns 0 or FB_ENOMEM. */
int partial_encode(struct partial *p, struct buf *out, struct fb_error *err) FB_MUST_USE;

/* Decode and check a partial file's bytes (path names it in messages) into
 * *p (partial_free it in every case).  Returns 0 or FB_ECORRUPT (damaged,
 * truncated, or a version this funnel does not know) or FB_ENOMEM. */
int partial_decode(const unsigned char *b, size_t len, const char *path, struct partial *p,
                   struct fb_error *err) FB_MUST_USE;

/* Read and decode the file at path.  Returns as partial_decode, or FB_EIO. */
int partial_read(const char *path, struct partial *p, struct fb_error *err) FB_MUST_USE;

/* Encode p and write it to path atomically (core/outfile.h).  Returns 0,
 * FB_EIO or FB_ENOMEM. */
int partial_write(const char *path, struct partial *p, struct fb_error *err) FB_MUST_USE;

/* Check that `from` (read from from_path) may merge into `into` (first
 * read from into_path): the same shard set, funnel and options, and no
 * shard in common.  Returns 0, or FB_EINPUT naming from_path and what
 * differs. */
int partial_check(const struct partial *into, const char *into_path, const struct partial *from,
                  const char *from_path, struct fb_error *err) FB_MUST_USE;

/* Merge from[0..k), each checked with partial_check (and disjoint from one
 * another), into `into` at once.  Returns 0, FB_EINPUT or FB_ENOMEM (into
 * can then only be freed). */
int partial_merge_all(struct partial *into, const struct partial *from, size_t k,
                      struct fb_error *err) FB_MUST_USE;

/* partial_check, then partial_merge_all of one. */
int partial_merge(struct partial *into, const char *into_path, const struct partial *from,
                  const char *from_path, struct fb_error *err) FB_MUST_USE;

/* The report of a partial that holds every shard of its set (else
 * FB_EINPUT naming the first shard missing): summary_finish at the set's
 * as_of.  Returns 0 (res_report_free *out), FB_EINPUT or FB_ENOMEM. */
int partial_finish(struct partial *p, struct res_report *out, struct fb_error *err) FB_MUST_USE;

void partial_free(struct partial *p);

#endif
