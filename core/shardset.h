/* shardset.h - a shard set: N ordinary logs in one directory plus a MANIFEST
 * (docs/FORMAT.md §13).  The pinned entity hash that routes an entity to its
 * shard, the manifest's encoding, reading and validation, and the checks a
 * reader makes before trusting one shard of a set.
 */
#ifndef FUNNEL_SHARDSET_H
#define FUNNEL_SHARDSET_H

#include <stddef.h>
#include <stdint.h>
#include "blocklog.h"
#include "buf.h"
#include "dict.h"
#include "err.h"

/* FORMAT.md §13.2: the manifest's name, magic and the values this funnel knows. */
#define SHARDSET_MANIFEST "MANIFEST"
#define SHARDSET_MAGIC "\x89" "FNS\r\n\x1a\n"
#define SHARDSET_MAGIC_LEN 8
#define SHARDSET_VERSION 1
#define SHARDSET_HASH_CRC32 1      /* zlib crc32(0, entity, len) mod N */
#define SHARDSET_HEADER_LEN 40
#define SHARDSET_ENTRY_LEN 32
/* One open log and one encoder thread per shard while writing the set,
 * so N is bounded well below the usual 1024 open files. */
#define SHARDSET_MAX_SHARDS 256u
/* "DIR/shard-0007-of-0016.flog": the longest name it makes past DIR. */
#define SHARDSET_NAME_EXTRA 32

/* What the manifest records of one shard (FORMAT.md §13.2): its committed
 * batches and events, and the sum of their fingerprints - the fingerprint
 * of the shard's whole content, whatever its batching. */
struct shardset_entry {
    uint64_t batches;
    uint64_t events;
    unsigned char content[16];
};

struct shardset {
    uint32_t version;
    uint32_t hash_id;
    uint32_t n;
    unsigned char set_id[16];
    struct shardset_entry *shard;   /* n entries, owned */
};

/* The shard of an entity: crc32 of its bytes exactly as stored, mod n
 * (FORMAT.md §13.1).  n >= 1. */
uint32_t shard_of(const void *entity, size_t len, uint32_t n);

/* Path of shard i of n inside dir, into out[cap] (cap >= strlen(dir) +
 * SHARDSET_NAME_EXTRA).  Returns 0, or -1 when it does not fit. */
int shardset_shard_path(char *out, size_t cap, const char *dir, uint32_t i, uint32_t n);

/* A fresh manifest for n shards (1..SHARDSET_MAX_SHARDS), every shard
 * empty, with a new random set id (getrandom).  Free with shardset_free.
 * Returns 0, FB_EIO (no randomness) or FB_ENOMEM. */
int shardset_init(struct shardset *m, uint32_t n, struct fb_error *err) FB_MUST_USE;
void shardset_free(struct shardset *m);

/* Encode m into out (replacing its contents).  Returns 0 or FB_ENOMEM. */
int shardset_encode(const struct shardset *m, struct buf *out) FB_MUST_USE;

/* Decode and validate a manifest's bytes (path for messages) into *m:
 * magic, checksum, size, version, hash id and N.  Returns 0 or
 * FB_ECORRUPT (what is wrong, and for an unknown version or hash id that
 * this funnel cannot read the set); *m needs shardset_free in every case. */
int shardset_decode(const unsigned char *p, size_t len, const char *path, struct shardset *m,
                    struct fb_error *err) FB_MUST_USE;

/* Read and decode dir/MANIFEST.  Returns 0, FB_ECORRUPT, FB_EIO (ENOENT
 * included: a directory without a manifest is not a shard set; *absent
 * (may be NULL) is then set to 1) or FB_ENOMEM. */
int shardset_read(const char *dir, struct shardset *m, int *absent, struct fb_error *err) FB_MUST_USE;

/* Write dir/MANIFEST atomically (temporary file, sync, rename, sync of
 * dir): readers see the old manifest or the new one.  Returns 0 or FB_EIO. */
int shardset_write(const char *dir, const struct shardset *m, struct fb_error *err) FB_MUST_USE;

/* The sum of the fingerprints of commits[0..k) (FORMAT.md §13.2). */
void shardset_content(const struct blog_commit *commits, size_t k, unsigned char out[16]);

/* Check that every entity of a shard's entity dictionary hashes to shard
 * `index` of n.  Returns 0, or FB_ECORRUPT naming the first entity that
 * hashes elsewhere and the shard it belongs to (path: the shard's file). */
int shardset_check_entities(const struct dict *entities, uint32_t index, uint32_t n,
                            const char *path, struct fb_error *err) FB_MUST_USE;

/* Check a shard's committed batches (scan of shard `index`'s file at
 * path) against the manifest: exactly m->shard[index].batches commits whose
 * events and fingerprint sum match.  Returns 0 or FB_ECORRUPT (fewer or
 * other batches: a shard from another set or an older copy; more: an
 * `append --shards` was interrupted and must be rerun). */
int shardset_check_history(const struct shardset *m, uint32_t index, const struct blog_scan *s,
                           const char *path, struct fb_error *err) FB_MUST_USE;

#endif
