/* blockenc.h - EVENTS blocks finished on a second thread while the first
 * reads CSV: interning strings (cache misses on a large dictionary),
 * sorting, varints and zlib are half of append's work, and the two halves
 * overlap on a two-core machine.  Double-buffered: the caller fills one set
 * of columns while the worker finishes the other. */
#ifndef FUNNEL_BLOCKENC_H
#define FUNNEL_BLOCKENC_H

#include <stdint.h>
#include "buf.h"
#include "dict.h"
#include "err.h"
#include "evblock.h"
#include "spill.h"

struct blockenc;

/* A new encoder (starts its thread), with no attribute columns yet.  Field
 * strings given with blockenc_field are interned by the worker into dicts
 * (borrowed, indexed by dictionary kind; the caller must not touch the kinds
 * entity..amount and attribute values until blockenc_drain returns).  The
 * worker appends each encoded EVENTS block to sink (borrowed; the caller
 * must not touch it until blockenc_drain returns), so the blocks of a batch
 * never pile up in memory here (docs/FORMAT.md §9 step 4).
 * Returns NULL when out of memory or the thread cannot start. */
struct blockenc *blockenc_new(int level, struct dict *const *dicts, struct spill *sink);
void blockenc_free(struct blockenc *be);

/* The columns to fill (borrowed; c->n events so far; id columns other than
 * time are filled by the worker from blockenc_field).  Valid until the next
 * blockenc_submit or blockenc_reshape. */
struct evb_cols *blockenc_cols(struct blockenc *be);

/* Make room in the columns being filled for event c->n (they grow on
 * demand, up to BLOG_EVENTS_PER_BLOCK); call before writing each event.
 * Columns from blockenc_cols stay valid, their arrays may move.  Returns 0
 * or FB_ENOMEM. */
int blockenc_room(struct blockenc *be) FB_MUST_USE;

/* Column slots of blockenc_field: the fixed id columns entity..amount are
 * slots 0..EVB_NIDS-1 (EVB_IDX(kind)); attribute column a is EVB_NIDS + a. */
#define BLOCKENC_ATTR_SLOT(a) (EVB_NIDS + (a))

/* Field `slot` of event i of the columns being filled: its bytes (copied)
 * and their dict_hash_of.  The worker interns them in event order, so ids
 * come out as a row-at-a-time loop would assign them; a field never given
 * reads as "" (id 0).  Returns 0 or FB_ENOMEM. */
int blockenc_field(struct blockenc *be, uint32_t slot, uint32_t i, const char *s,
                   uint32_t len, uint64_t hash) FB_MUST_USE;

/* Hand the filled columns to the worker (waiting for it to finish the
 * previous block) and get fresh empty ones.  Returns 0 or the worker's
 * first error: FB_ENOMEM, or FB_EIO from the sink (its err says why). */
int blockenc_submit(struct blockenc *be) FB_MUST_USE;

/* Submit what is filled, wait, and change the attribute columns of the
 * blocks that follow.  Returns 0, FB_ENOMEM or FB_EIO. */
int blockenc_reshape(struct blockenc *be, uint32_t natt, const uint32_t *names) FB_MUST_USE;

/* Submit what is filled and wait for the worker: then every encoded block
 * is in the sink.  Returns 0, FB_ENOMEM or FB_EIO. */
int blockenc_drain(struct blockenc *be) FB_MUST_USE;

#endif
