/* blockenc.h - EVENTS blocks encoded on a second thread while the first
 * reads CSV: sorting, varints and zlib are about a third of append's work,
 * and the two halves overlap on a two-core machine.  Double-buffered: the
 * caller fills one set of columns while the worker encodes the other. */
#ifndef FUNNEL_BLOCKENC_H
#define FUNNEL_BLOCKENC_H

#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "evblock.h"

struct blockenc;

/* A new encoder (starts its thread) for blocks with natt attribute columns
 * named names[natt].  Returns NULL when out of memory or threads fail. */
struct blockenc *blockenc_new(int level);
void blockenc_free(struct blockenc *be);

/* The columns to fill (borrowed; c->n events so far).  Valid until the next
 * blockenc_submit or blockenc_reshape. */
struct evb_cols *blockenc_cols(struct blockenc *be);

/* Hand the filled columns to the worker (waiting for it to finish the
 * previous block) and get fresh empty ones.  Returns 0 or the worker's
 * error (FB_ENOMEM). */
int blockenc_submit(struct blockenc *be) FB_MUST_USE;

/* Submit what is filled, wait, and change the attribute columns of the
 * blocks that follow.  Returns 0 or FB_ENOMEM. */
int blockenc_reshape(struct blockenc *be, uint32_t natt, const uint32_t *names) FB_MUST_USE;

/* Submit what is filled, wait for the worker, and append every encoded
 * block so far to out.  Returns 0 or FB_ENOMEM. */
int blockenc_drain(struct blockenc *be, struct buf *out) FB_MUST_USE;

#endif
