/* ingest.c - validate CSV rows and build a batch; see ingest.h.
 * The per-row path interns each string once (one hash of the bytes) and
 * takes every later fact - fingerprint hash, channel, lost - from the id. */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockenc.h"
#include "dictblock.h"
#include "evblock.h"
#include "ftime.h"
#include "hash.h"
#include "money.h"

#define MAX_ENTITY 256
#define MAX_STAGE 64
#define MAX_TOUCH 64
#define REJECT_ECHO 60      /* bytes of a bad value quoted in a message */
#define PROGRESS_EVERY 65536

/* Where each fixed column sits in the current file (-1 = absent). */
struct layout {
    uint32_t ncols;
    int fixed[BLOG_C_FIXED];
    int32_t *att_slot;     /* per file column: batch attribute slot or -1 */
};

struct ingest {
    struct dict *const *dicts;
    struct ingest_opts o;
    const char *path;
    struct layout lay;
    int have_header;
    uint32_t natt;          /* attribute columns in the batch so far */
    uint32_t *att_names;    /* their ATTR_NAME ids */
    uint32_t enc_natt;      /* attribute columns the encoder's blocks have */
    uint32_t over_col;      /* header column (1-based) of the first new name
                               past the log's limit, 0 if none; see attr_slot */
    uint64_t empty_hash[EVB_NIDS];  /* hash of "" per fixed id column */
    struct blockenc *enc;   /* fills and encodes EVENTS blocks */
    struct spill blocks;    /* where enc puts them */
    uint64_t nevents, nrejected, bytes_in;
    uint64_t fp[2];
    int stop;               /* on_reject asked to stop */
};

static const char *const fixed_names[BLOG_C_FIXED] = {
    "time", "entity", "stage", "channel", "touch", "outcome", "amount"};

struct ingest *ingest_new(struct dict *const *dicts, const struct ingest_opts *o)
{
    struct ingest *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->dicts = dicts;
    in->o = *o;
    for (int k = 0; k < EVB_NIDS; k++)
        in->empty_hash[k] = dict_hash_of(dicts[k], "", 0);
    /* Field strings are interned by the encoder's thread (blockenc.h). */
    spill_init(&in->blocks, &o->spill);
    in->enc = blockenc_new(o->level, dicts, &in->blocks);
    if (!in->enc) {
        ingest_free(in);
        return NULL;
    }
    return in;
}

void ingest_free(struct ingest *in)
{
    if (!in)
        return;
    blockenc_free(in->enc);
    spill_close(&in->blocks);
    free(in->lay.att_slot);
    free(in->att_names);
    free(in);
}

uint64_t ingest_events(const struct ingest *in) { return in->nevents; }
uint64_t ingest_rejected(const struct ingest *in) { return in->nrejected; }
const struct spill *ingest_blocks(const struct ingest *in) { return &in->blocks; }

/* The error of a failed encoder call: the spill file's, or out of memory. */
static int enc_fail(struct ingest *in, int rc, struct fb_error *err, const char *what)
{
    if (rc == FB_EIO) {
        *err = in->blocks.err;
        return FB_EIO;
    }
    return fb_fail(err, FB_ENOMEM, "out of memory %s", what);
}

static int ieq(const char *a, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}

/* Give the encoder blocks with the batch's attribute columns so far; a
 * block's column set is fixed once it has events. */
static int widen_columns(struct ingest *in)
{
    if (in->natt == in->enc_natt)
        return 0;
    in->enc_natt = in->natt;
    return blockenc_reshape(in->enc, in->natt, in->att_names);
}

/* Copy s[0..n) for a message: at most REJECT_ECHO bytes, control bytes as '?'. */
static void echo(char *dst, const char *s, size_t n)
{
    size_t k = n > REJECT_ECHO ? REJECT_ECHO : n;
    for (size_t i = 0; i < k; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    strcpy(dst + k, n > k ? "..." : "");
}

/* The attribute slot of header column i, interning its name in the log
 * dictionary.  Two limits, both INGEST_MAX_ATTRS (docs/FORMAT.md §12): the
 * columns of a batch (a block holds them all), and the attribute names of
 * the whole log, since `cat` writes one column per name and its output must
 * be one valid batch again.  The second is noted in in->over_col and
 * reported by read_header once the first, a property of the input alone,
 * has had its say.  A log written before the second limit may hold more
 * names; its known names are still accepted, new ones are not. */
static int attr_slot(struct ingest *in, const struct csvin_rec *r, uint32_t i, int32_t *slot,
                     struct fb_error *err)
{
    uint32_t id;
    int added;
    if (dict_intern(in->dicts[BLOG_D_ATTR_NAME], r->field[i], r->len[i], &id, &added) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (uint32_t a = 0; a < in->natt; a++)
        if (in->att_names[a] == id) {
            *slot = (int32_t)a;
            return 0;
        }
    if (in->natt == INGEST_MAX_ATTRS)
        return fb_fail_at(err, FB_EINPUT, in->path, r->line, i + 1L,
                          "more than %d attribute columns in the batch", INGEST_MAX_ATTRS);
    if (added && id > INGEST_MAX_ATTRS && in->over_col == 0)   /* ids of names start at 1 */
        in->over_col = i + 1;
    uint32_t *names = realloc(in->att_names, (in->natt + 1) * sizeof *names);
    if (!names)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    in->att_names = names;
    names[in->natt] = id;
    *slot = (int32_t)in->natt++;
    return 0;
}

static int header_column(struct ingest *in, const struct csvin_rec *r, uint32_t i,
                         struct dict *seen, struct fb_error *err)
{
    const char *name = r->field[i];
    size_t n = r->len[i];
    uint32_t id;
    int added;
    if (n == 0)
        return fb_fail_at(err, FB_EINPUT, in->path, r->line, i + 1L, "empty column name in the header");
    if (dict_intern(seen, name, n, &id, &added) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    if (!added)
        return fb_fail_at(err, FB_EINPUT, in->path, r->line, i + 1L,
                          "duplicate column name \"%.*s\" in the header (names match case-insensitively)",
                          (int)(n > REJECT_ECHO ? REJECT_ECHO : n), name);
    in->lay.att_slot[i] = -1;
    for (int k = 0; k < BLOG_C_FIXED; k++)
        if (ieq(name, n, fixed_names[k])) {
            in->lay.fixed[k] = (int)i;
            return 0;
        }
    return attr_slot(in, r, i, &in->lay.att_slot[i], err);
}

static int read_header(struct ingest *in, const struct csvin_rec *r, struct fb_error *err)
{
    if (r->bad)
        return fb_fail_at(err, FB_EINPUT, in->path, r->line, r->bad_col, "bad header: %s", r->why);
    int32_t *slots = realloc(in->lay.att_slot, (r->nfields ? r->nfields : 1) * sizeof *slots);
    struct dict *seen = dict_new(1);
    if (slots)
        in->lay.att_slot = slots;
    if (!slots || !seen) {
        dict_free(seen);
        return fb_fail(err, FB_ENOMEM, "out of memory");
    }
    in->lay.ncols = r->nfields;
    for (int k = 0; k < BLOG_C_FIXED; k++)
        in->lay.fixed[k] = -1;
    in->over_col = 0;
    int rc = 0;
    for (uint32_t i = 0; i < r->nfields && rc == 0; i++)
        rc = header_column(in, r, i, seen, err);
    dict_free(seen);
    if (rc == 0 && in->over_col) {
        char shown[REJECT_ECHO + 4];
        uint32_t c = in->over_col - 1;
        echo(shown, r->field[c], r->len[c]);
        rc = fb_fail_at(err, FB_EINPUT, in->path, r->line, (long)in->over_col,
                        "attribute column \"%s\" would be attribute name %d of the log, which "
                        "holds at most %d (so that 'funnel cat' output is one valid batch); "
                        "use names the log already has", shown, INGEST_MAX_ATTRS + 1, INGEST_MAX_ATTRS);
    }
    for (int k = BLOG_C_TIME; k <= BLOG_C_CHANNEL && rc == 0; k++)
        if (in->lay.fixed[k] < 0)
            rc = fb_fail_at(err, FB_EINPUT, in->path, r->line, 1,
                            "the header lacks the column '%s' (required: time, entity, stage, channel)",
                            fixed_names[k]);
    if (rc == 0 && (rc = widen_columns(in)) != 0)
        rc = enc_fail(in, rc, err, "building the batch");
    in->have_header = rc == 0;
    return rc;
}

static int reject(struct ingest *in, const struct csvin_rec *r, long col, const char *fmt,
                  const char *val, size_t vlen, const char *why)
{
    struct fb_error e;
    char shown[REJECT_ECHO + 4];
    fb_error_clear(&e);
    echo(shown, val ? val : "", val ? vlen : 0);
    fb_fail_at(&e, FB_EINPUT, in->path, r->line, col, fmt, shown, why ? why : "");
    in->nrejected++;
    if (in->o.on_reject && in->o.on_reject(in->o.ctx, &e, r) != 0)
        in->stop = 1;
    return 0;
}

static int is_amount(const char *s, size_t n);

/* NULL when s is an amount replay can add; else why not.  Beyond the
 * shape, its value (rounded to 9 fraction digits) must fit the 128-bit
 * sums of 10^-9 units replay adds amounts in (docs/METRICS.md §4.19,
 * money.h), so every amount a log holds can be added. */
static const char *amount_why(const char *s, size_t n)
{
    struct money m;
    if (!is_amount(s, n))
        return "expected digits with an optional .digits part";
    if (money_parse(s, n, &m) != 0)
        return "expected a value below 2^128 billionths (about 3.4 x 10^29)";
    return NULL;
}

static int is_amount(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0)
        return 0;
    if (i == n)
        return 1;
    if (s[i] != '.' || i + 1 == n)
        return 0;
    for (i++; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

#define FIELD(k) r->field[in->lay.fixed[k]]
#define FLEN(k) (in->lay.fixed[k] < 0 ? 0u : r->len[in->lay.fixed[k]])
#define FCOL(k) (in->lay.fixed[k] + 1L)

/* Check every rule of a data row; 1 if it is good, 0 after rejecting it. */
static int row_is_good(struct ingest *in, const struct csvin_rec *r, int64_t *t)
{
    if (r->bad)
        return reject(in, r, r->bad_col, "%s%s", "", 0, r->why), 0;
    if (r->nfields != in->lay.ncols) {
        char why[96];
        snprintf(why, sizeof why, "row has %u fields but the header has %u", r->nfields, in->lay.ncols);
        long col = (long)(r->nfields < in->lay.ncols ? r->nfields : in->lay.ncols) + 1;
        return reject(in, r, col, "%s%s", "", 0, why), 0;
    }
    const char *why = ftime_parse(FIELD(BLOG_C_TIME), FLEN(BLOG_C_TIME), t);
    if (why)
        return reject(in, r, FCOL(BLOG_C_TIME), "bad time \"%s\": %s", FIELD(BLOG_C_TIME), FLEN(BLOG_C_TIME), why), 0;
    if (FLEN(BLOG_C_ENTITY) < 1 || FLEN(BLOG_C_ENTITY) > MAX_ENTITY)
        return reject(in, r, FCOL(BLOG_C_ENTITY), "bad entity \"%s\": %s", FIELD(BLOG_C_ENTITY),
                      FLEN(BLOG_C_ENTITY), "expected 1 to 256 bytes"), 0;
    if (FLEN(BLOG_C_STAGE) < 1 || FLEN(BLOG_C_STAGE) > MAX_STAGE)
        return reject(in, r, FCOL(BLOG_C_STAGE), "bad stage \"%s\": %s", FIELD(BLOG_C_STAGE),
                      FLEN(BLOG_C_STAGE), "expected 1 to 64 bytes"), 0;
    if (!ieq(FIELD(BLOG_C_CHANNEL), FLEN(BLOG_C_CHANNEL), "marketing") &&
        !ieq(FIELD(BLOG_C_CHANNEL), FLEN(BLOG_C_CHANNEL), "sales"))
        return reject(in, r, FCOL(BLOG_C_CHANNEL), "bad channel \"%s\": %s", FIELD(BLOG_C_CHANNEL),
                      FLEN(BLOG_C_CHANNEL), "expected marketing or sales"), 0;
    if (FLEN(BLOG_C_TOUCH) > MAX_TOUCH)
        return reject(in, r, FCOL(BLOG_C_TOUCH), "bad touch \"%s\": %s", FIELD(BLOG_C_TOUCH),
                      FLEN(BLOG_C_TOUCH), "expected at most 64 bytes"), 0;
    if (FLEN(BLOG_C_OUTCOME) && !ieq(FIELD(BLOG_C_OUTCOME), FLEN(BLOG_C_OUTCOME), "lost"))
        return reject(in, r, FCOL(BLOG_C_OUTCOME), "bad outcome \"%s\": %s", FIELD(BLOG_C_OUTCOME),
                      FLEN(BLOG_C_OUTCOME), "expected empty or lost"), 0;
    const char *bad_amount = FLEN(BLOG_C_AMOUNT) ? amount_why(FIELD(BLOG_C_AMOUNT), FLEN(BLOG_C_AMOUNT)) : NULL;
    if (bad_amount)
        return reject(in, r, FCOL(BLOG_C_AMOUNT), "bad amount \"%s\": %s", FIELD(BLOG_C_AMOUNT),
                      FLEN(BLOG_C_AMOUNT), bad_amount), 0;
    return 1;
}

/* Fold one part into both fingerprint lanes. */
static void lanes(uint64_t h[2], uint64_t part)
{
    h[0] = fb_mix64(h[0] ^ part) + UINT64_C(0x9E3779B97F4A7C15);
    h[1] = fb_mix64((h[1] + part) * UINT64_C(0xD6E8FEB86659FD93));
}

static int add_row(struct ingest *in, const struct csvin_rec *r, int64_t t)
{
    if (blockenc_room(in->enc) != 0)
        return FB_ENOMEM;
    struct evb_cols *c = blockenc_cols(in->enc);
    uint32_t i = c->n;
    uint64_t h[2] = {UINT64_C(0x243F6A8885A308D3), UINT64_C(0x13198A2E03707344)};
    c->time[i] = t;
    lanes(h, (uint64_t)t);
    /* Strings are interned by the encoder's thread; the fingerprint needs
     * only their hashes, which are the same before and after interning. */
    for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++) {
        int col = in->lay.fixed[k];
        uint64_t fh = in->empty_hash[EVB_IDX(k)];
        if (col >= 0 && r->len[col] > 0) {
            fh = dict_hash_of(in->dicts[EVB_IDX(k)], r->field[col], r->len[col]);
            if (blockenc_field(in->enc, EVB_IDX(k), i, r->field[col], r->len[col], fh) != 0)
                return FB_ENOMEM;
        }
        lanes(h, fh + (uint64_t)k);
    }
    /* Attributes are a set of (name, value): summed, so column order and
     * absent-versus-empty do not change the fingerprint. */
    uint64_t attsum = 0;
    for (uint32_t f = 0; f < r->nfields; f++) {
        int32_t slot = in->lay.att_slot[f];
        if (slot < 0 || r->len[f] == 0)
            continue;
        uint64_t vh = dict_hash_of(in->dicts[BLOG_D_ATTR_VALUE], r->field[f], r->len[f]);
        if (blockenc_field(in->enc, BLOCKENC_ATTR_SLOT((uint32_t)slot), i, r->field[f], r->len[f], vh) != 0)
            return FB_ENOMEM;
        attsum += fb_mix64(dict_hash(in->dicts[BLOG_D_ATTR_NAME], in->att_names[slot]) ^ (vh * 3));
    }
    lanes(h, attsum);
    in->fp[0] += h[0];
    in->fp[1] += h[1];
    in->nevents++;
    if (++c->n == BLOG_EVENTS_PER_BLOCK)
        return blockenc_submit(in->enc);
    return 0;
}

static int on_record(void *ctx, const struct csvin_rec *r, struct fb_error *err)
{
    struct ingest *in = ctx;
    if (!in->have_header)
        return read_header(in, r, err);
    int64_t t;
    if (in->nevents == INGEST_MAX_EVENTS)
        return fb_fail_at(err, FB_EINPUT, in->path, r->line, 1,
                          "a batch holds at most %llu events: split the input",
                          (unsigned long long)INGEST_MAX_EVENTS);
    int rc = row_is_good(in, r, &t) ? add_row(in, r, t) : 0;
    if (rc)
        return enc_fail(in, rc, err, "building the batch");
    if (in->o.on_progress && (r->index % PROGRESS_EVERY) == 0)
        in->o.on_progress(in->o.ctx, in->nevents + in->nrejected, in->bytes_in);
    if (in->stop)
        return fb_fail(err, FB_EINPUT, "too many bad rows");
    return 0;
}

void ingest_begin(struct ingest *in, const char *path)
{
    in->path = path;
    in->have_header = 0;
}

int ingest_record(struct ingest *in, const struct csvin_rec *rec, struct fb_error *err)
{
    return on_record(in, rec, err);
}

int ingest_entity_of(const struct ingest *in, const struct csvin_rec *r, const char **s, size_t *len)
{
    if (!in->have_header || r->bad || r->nfields != in->lay.ncols)
        return 0;
    *s = FIELD(BLOG_C_ENTITY);
    *len = FLEN(BLOG_C_ENTITY);
    return 1;
}

int ingest_cut_block(struct ingest *in)
{
    if (blockenc_cols(in->enc)->n == 0)
        return 0;
    return blockenc_submit(in->enc);
}

int ingest_file(struct ingest *in, int fd, const char *path, struct fb_error *err)
{
    ingest_begin(in, path);
    return csvin_read(fd, path, on_record, in, &in->bytes_in, err);
}

int ingest_finish(struct ingest *in, const uint32_t *base_sizes, struct buf *dicts,
                  unsigned char fingerprint[16], struct fb_error *err)
{
    /* The encoder must be done (entity ids final) before the dictionaries
     * are written; they go first in the batch so a reader meets every
     * string before its id. */
    int rc = blockenc_drain(in->enc);
    if (rc)
        return enc_fail(in, rc, err, "encoding the batch");
    for (int k = 0; k < BLOG_D_COUNT && rc == 0; k++)
        rc = dictblock_write(in->dicts[k], k, base_sizes[k], dicts);
    if (rc == FB_EINPUT)   /* csvin bounds fields, so only a misuse gets here */
        return fb_fail(err, FB_EINPUT, "a value is longer than %u bytes", BLOG_MAX_STRING);
    if (rc)
        return fb_fail(err, FB_ENOMEM, "out of memory encoding the batch");
    for (int lane = 0; lane < 2; lane++)
        for (int b = 0; b < 8; b++)
            fingerprint[lane * 8 + b] = (unsigned char)(in->fp[lane] >> (8 * b));
    return 0;
}
