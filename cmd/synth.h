/* synth.h - the generator behind `funnel gen`: synthetic leads that enter at
 * random times and walk the funnel stage by stage, written as event CSV.
 * The output depends only on the options (integer arithmetic, seeded
 * streams), so a seed gives the same bytes on every machine.
 */
#ifndef FUNNEL_SYNTH_H
#define FUNNEL_SYNTH_H

#include <stdint.h>
#include <stdio.h>
#include "err.h"

#define SYNTH_MAX_ENTITIES UINT64_C(100000000)
#define SYNTH_MAX_DAYS 36500
#define SYNTH_MAX_EVENTS UINT64_C(2000000000)
/* Events held in memory at once (12 bytes each); more are written in
 * several passes, one range of days at a time. */
#define SYNTH_DEFAULT_BUFFERED UINT64_C(16000000)

/* The header line every output starts with. */
#define SYNTH_HEADER "time,entity,stage,channel,touch,outcome,amount,segment,source,owner\n"

struct synth_opts {
    uint64_t entities;     /* leads, 1..SYNTH_MAX_ENTITIES */
    uint64_t events;       /* wanted total, 0..SYNTH_MAX_EVENTS; met within a
                              few percent (exact in expectation) */
    uint64_t seed;
    uint32_t days;         /* period length, 1..SYNTH_MAX_DAYS */
    int64_t start;         /* Unix seconds of the first day, midnight UTC */
    uint64_t max_buffered; /* events per in-memory pass; 0 = default */
    uint32_t campaigns;    /* 0, or a last column `campaign` with this many
                              values, c000001.., one per lead (for --by at
                              scale, docs/BENCHMARKS.md) */
};
#define SYNTH_MAX_CAMPAIGNS 1000000

/* The defaults of `funnel gen`: 1000 entities, 10 events per entity, seed 1,
 * 365 days from 2026-01-01. */
void synth_opts_default(struct synth_opts *o);

/* Write the header and the events to out, then flush it.  Rows come day by
 * day, in a seeded random order within each day.  *rows (may be NULL) gets
 * the number of rows written after the header.  Returns 0, FB_EUSAGE (an
 * option out of range), FB_ENOMEM or FB_EIO (a failed write). */
int synth_write(const struct synth_opts *o, FILE *out, uint64_t *rows,
                struct fb_error *err) FB_MUST_USE;

#endif
