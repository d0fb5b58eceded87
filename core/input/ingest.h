/* ingest.h - CSV records to a batch of encoded log blocks (README.md
 * "Input"; docs/DECISIONS.md "Input").  Validates every row, interns its
 * strings in the log's dictionaries, encodes EVENTS blocks as they fill
 * (into a spill: memory up to a bound, then a nameless temporary file,
 * docs/FORMAT.md §9 step 4), and sums the batch fingerprint
 * (docs/FORMAT.md §7).  Nothing touches the log file here.
 */
#ifndef FUNNEL_INGEST_H
#define FUNNEL_INGEST_H

#include <stdint.h>
#include "blocklog_format.h"
#include "buf.h"
#include "csvin.h"
#include "dict.h"
#include "err.h"
#include "spill.h"

struct ingest;

/* Called for every rejected row (err says file:line:col and why; rec is the
 * row, borrowed for the call).  Return 0 to go on, nonzero to stop. */
typedef int (*ingest_reject_fn)(void *ctx, const struct fb_error *err,
                                 const struct csvin_rec *rec);
/* Called now and then with rows read so far and input bytes read. */
typedef void (*ingest_progress_fn)(void *ctx, uint64_t rows, uint64_t bytes);

/* zlib level of event columns: level 4 is within 1.2% of level 6 in size
 * on exported CRM data and a third cheaper (docs/BENCHMARKS.md). */
#define INGEST_DEFAULT_LEVEL 4

/* A block holds at most 255 columns, 7 of them fixed. */
#define INGEST_MAX_ATTRS (BLOG_MAX_COLUMNS - BLOG_C_FIXED)
/* The commit block counts a batch's events in 32 bits. */
#define INGEST_MAX_EVENTS UINT64_C(4294967295)

struct ingest_opts {
    int level;                     /* zlib level of event columns */
    ingest_reject_fn on_reject;
    ingest_progress_fn on_progress;
    void *ctx;
    struct spill_opts spill;       /* where EVENTS blocks wait (zeroed: defaults) */
};

/* A new batch over the log's dictionaries dicts[BLOG_D_COUNT] (borrowed;
 * new strings are interned into them, so ids stay log-wide).  Returns NULL
 * when out of memory. */
struct ingest *ingest_new(struct dict *const *dicts, const struct ingest_opts *o);
void ingest_free(struct ingest *in);

/* Read one CSV input into the batch.  Bad rows are passed to on_reject and
 * left out; a bad header or a structural CSV error stops the file with
 * FB_EINPUT.  Returns 0, FB_EINPUT, FB_EIO (reading, or writing the spill
 * file) or FB_ENOMEM. */
int ingest_file(struct ingest *in, int fd, const char *path, struct fb_error *err) FB_MUST_USE;

/* The same, one record at a time, for callers that route the records of
 * one CSV read to several batches (a shard set, docs/FORMAT.md §13):
 * ingest_begin starts an input (its first record is the header), then
 * ingest_record takes each record as csvin_read gives it (rec borrowed for
 * the call).  ingest_record returns what ingest_file would stop with. */
void ingest_begin(struct ingest *in, const char *path);
int ingest_record(struct ingest *in, const struct csvin_rec *rec, struct fb_error *err) FB_MUST_USE;

/* The entity field of a data row under the current header, when the row is
 * well formed enough to have one (not bad, as many fields as the header):
 * sets *s, *len and returns 1; else 0.  Reads the layout only. */
int ingest_entity_of(const struct ingest *in, const struct csvin_rec *rec, const char **s,
                     size_t *len);

/* End the EVENTS block being filled, so the next event starts a new one
 * (events keep their order inside a block only up to the time sort of
 * evb_encode).  Returns 0 or FB_ENOMEM. */
int ingest_cut_block(struct ingest *in) FB_MUST_USE;

/* Rows accepted and rejected so far. */
uint64_t ingest_events(const struct ingest *in);
uint64_t ingest_rejected(const struct ingest *in);

/* Finish the batch: the DICT blocks of strings new since `base_sizes` (the
 * dictionary sizes when the batch began), appended to dicts; and the batch
 * fingerprint.  Then ingest_blocks holds all the EVENTS blocks.  The batch
 * is the DICT blocks followed by those (docs/FORMAT.md §9 step 4).
 * Returns 0, FB_EIO (writing the spill file) or FB_ENOMEM. */
int ingest_finish(struct ingest *in, const uint32_t *base_sizes, struct buf *dicts,
                  unsigned char fingerprint[16], struct fb_error *err) FB_MUST_USE;

/* The batch's EVENTS blocks, complete after ingest_finish (borrowed: valid
 * until ingest_free). */
const struct spill *ingest_blocks(const struct ingest *in);

#endif
