/* ingest.h - CSV records to a batch of encoded log blocks (issue 2, "Input:
 * CSV events" and "Bad input").  Validates every row, interns its strings in
 * the log's dictionaries, encodes EVENTS blocks as they fill (into a spill:
 * memory up to a bound, then a nameless temporary file, docs/FORMAT.md §9
 * step 4), and sums the batch fingerprint (docs/FORMAT.md §7).  Nothing
 * touches the log file here.
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
