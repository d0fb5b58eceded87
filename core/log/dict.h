/* dict.h - an interning string dictionary: bytes <-> dense ids 0..size-1.
 * Id 0 is always the empty string (docs/FORMAT.md §5).  One per dictionary
 * kind of the log; the appender finds ids by hash, readers index by id.
 * Strings are copied into the dictionary's own arena.
 */
#ifndef FUNNEL_DICT_H
#define FUNNEL_DICT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct dict;

/* A new dictionary holding only id 0 = "".  With fold_case, ASCII letters are
 * compared case-insensitively and the first spelling interned is kept.
 * Returns NULL when out of memory. */
struct dict *dict_new(int fold_case);
void dict_free(struct dict *d);

/* Number of ids (including id 0). */
uint32_t dict_size(const struct dict *d);

/* Find s[0..len): returns 1 and sets *id when present, else 0. */
int dict_find(const struct dict *d, const char *s, size_t len, uint32_t *id);

/* Find or add s[0..len).  Sets *id; *added (may be NULL) says whether it was
 * new.  Returns 0 or FB_ENOMEM (the dictionary is unchanged then). */
int dict_intern(struct dict *d, const char *s, size_t len, uint32_t *id, int *added) FB_MUST_USE;

/* The hash of s[0..len) as dict_hash would give it once interned.  Reads
 * nothing that dict_intern changes, so another thread may call it while one
 * thread interns. */
uint64_t dict_hash_of(const struct dict *d, const char *s, size_t len);

/* dict_intern with the hash already known (from dict_hash_of). */
int dict_intern_hashed(struct dict *d, const char *s, size_t len, uint64_t h, uint32_t *id,
                       int *added) FB_MUST_USE;

/* Start fetching what a lookup of hash h will touch.  Call with stage 0 some
 * lookups ahead (the slot), then with stage 1 nearer (the entry and bytes
 * its slot points at): a million-entry dictionary does not fit in cache. */
void dict_prefetch(const struct dict *d, uint64_t h, int stage);

/* Make room for n strings in all and `bytes` more bytes of them, so that
 * interning that many grows no array (a reader loading a million entity
 * ids would otherwise copy and rehash them at every doubling).  Returns 0
 * or FB_ENOMEM (the dictionary is unchanged then). */
int dict_reserve(struct dict *d, uint32_t n, size_t bytes) FB_MUST_USE;

/* Bytes of an id (borrowed: valid until the next dict_intern). */
const char *dict_str(const struct dict *d, uint32_t id, size_t *len);

/* The hash of an id's string (of its case-folded form with fold_case). */
uint64_t dict_hash(const struct dict *d, uint32_t id);

#endif
