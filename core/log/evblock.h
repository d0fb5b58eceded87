/* evblock.h - encoding and decoding of an EVENTS block payload: one zlib
 * stream per column, so a reader inflates only the columns it needs
 * (docs/FORMAT.md §6).  Ids refer to the log's dictionaries (dict.h).
 */
#ifndef FUNNEL_EVBLOCK_H
#define FUNNEL_EVBLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "blocklog_format.h"
#include "buf.h"
#include "err.h"
#include "zinflate.h"

/* Fixed id columns, indexed by blog_col_kind - 1 (entity .. amount). */
#define EVB_NIDS (BLOG_C_FIXED - 1)
#define EVB_IDX(kind) ((kind) - 1)

/* Columns of up to BLOG_EVENTS_PER_BLOCK events, as plain arrays. */
struct evb_cols {
    uint32_t n;
    int64_t *time;
    uint32_t *ids[EVB_NIDS];
    uint32_t natt;
    uint32_t *att_name;   /* natt attribute name ids */
    uint32_t **att;       /* natt arrays of n value ids */
    uint32_t att_cap;     /* arrays allocated in att (decode grows it) */
    uint32_t cap;         /* events each array holds */
    uint32_t block_cap;   /* events the time and id block holds (>= cap
                           * after a failed grow), for freeing it */
};

/* Allocate room for `cap` events and `natt` attribute columns (zeroed).
 * The time and id arrays share one block (time points at its start), so
 * they are never freed or reallocated one by one.  Returns 0 or
 * FB_ENOMEM; free with evb_cols_free. */
int evb_cols_init(struct evb_cols *c, uint32_t cap, uint32_t natt) FB_MUST_USE;
void evb_cols_free(struct evb_cols *c);

/* Grow c's arrays to hold `cap` events (more than c->cap), the new room
 * zeroed.  On failure c keeps its old capacity, still whole.  Returns 0 or
 * FB_ENOMEM. */
int evb_cols_grow(struct evb_cols *c, uint32_t cap) FB_MUST_USE;

/* p (holding `old` elements of `elem` bytes) reallocated to hold `cap`, the
 * new part zeroed; NULL, p untouched, when out of memory. */
void *evb_grown(void *p, size_t elem, uint32_t old, uint32_t cap);

/* The most bytes a column of `count` events may inflate to (docs/FORMAT.md
 * §6.4): a reader refuses a larger stated size before inflating. */
#define EVB_RAW_MAX(count) ((uint64_t)(count) * 10)

/* Scratch buffers reused from block to block (owned; free with evb_scratch_free). */
struct evb_scratch {
    struct buf raw, comp;
    uint32_t *perm, *tmp;     /* encode order (time-sorted) */
    uint64_t *key, *tkey;
    uint32_t perm_cap;
    struct zinf inflater;     /* decode */
};
void evb_scratch_free(struct evb_scratch *s);

/* Encode c[0..n) as an EVENTS payload into out (replacing its contents),
 * events sorted by time (stable): order inside a block carries no meaning,
 * and sorted times cost a fraction of a byte each.  Optional columns whose ids are all 0 are left out.  level is the zlib
 * level.  Sets the block's min and max time.  Returns 0 or FB_ENOMEM. */
int evb_encode(const struct evb_cols *c, int level, struct evb_scratch *s,
               struct buf *out, int64_t *min_time, int64_t *max_time) FB_MUST_USE;

/* Decode the columns in want_mask (bit 1<<kind; BLOG_C_ATTR for all
 * attributes) of a payload holding `count` events into c, which must have
 * room for BLOG_EVENTS_PER_BLOCK events; absent id columns read as 0.  For
 * attributes, c->att/att_name are (re)allocated to the block's columns.
 * dict_sizes bound the ids: a larger id is corruption.  Returns 0,
 * FB_ECORRUPT (message only; the caller adds path and offset) or FB_ENOMEM. */
int evb_decode(const unsigned char *payload, size_t len, uint32_t count,
               int64_t min_time, int64_t max_time, unsigned want_mask,
               const uint32_t *dict_sizes, struct evb_cols *c,
               struct evb_scratch *s, struct fb_error *err) FB_MUST_USE;

/* evb_decode that also decodes the attribute columns whose name id k has
 * att_pick[k] != 0 (k < npick), so a reader that needs one attribute does
 * not inflate the others.  att_pick may be NULL. */
int evb_decode_pick(const unsigned char *payload, size_t len, uint32_t count,
                    int64_t min_time, int64_t max_time, unsigned want_mask,
                    const uint8_t *att_pick, uint32_t npick, const uint32_t *dict_sizes,
                    struct evb_cols *c, struct evb_scratch *s, struct fb_error *err) FB_MUST_USE;

#endif
