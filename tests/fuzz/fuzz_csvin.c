/* fuzz_csvin.c - CSV ingest (docs/RELIABILITY.md, "Fuzz targets"): the input
 * is a CSV file.  It is read three times from a memfd: by csvin_read,
 * checking what every record promises (fields within bounds, valid UTF-8 and
 * no NUL unless marked bad, records in order, lines increasing); again with
 * every line given to libcsv (CSVIN_ALL_LIBCSV), which must give the same
 * records and error as the fast path for plain lines; and by the whole
 * ingest path of `funnel append` (ingest_new / ingest_file over fresh
 * dictionaries, then ingest_finish, which encodes the batch's blocks). */
#include "fuzz_common.h"

#include "csvin.h"
#include "ingest.h"

struct seen {
    uint64_t records;
    long last_line;
    uint64_t digest;   /* of every record, to compare two readings */
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;   /* FNV-1a */
    return h;
}

static void digest_rec(struct seen *s, const struct csvin_rec *r)
{
    uint64_t h = s->digest;
    long meta[4] = {(long)r->nfields, r->line, r->bad, r->bad_col};
    h = mix(h, meta, sizeof meta);
    if (r->why)
        h = mix(h, r->why, strlen(r->why));
    for (uint32_t i = 0; i < r->nfields; i++) {
        h = mix(h, &r->len[i], sizeof r->len[i]);
        h = mix(h, r->field[i], r->len[i]);
    }
    s->digest = h;
}

static int on_rec(void *ctx, const struct csvin_rec *r, struct fb_error *err)
{
    struct seen *s = ctx;
    (void)err;
    FUZZ_CHECK(r->index == s->records, "record %llu numbered %llu",
               (unsigned long long)s->records, (unsigned long long)r->index);
    FUZZ_CHECK(r->line >= 1 && r->line >= s->last_line, "line %ld after %ld", r->line, s->last_line);
    FUZZ_CHECK(r->nfields <= CSVIN_MAX_FIELDS, "%u fields", r->nfields);
    if (r->bad) {
        FUZZ_CHECK(r->why != NULL && r->bad_col >= 1, "bad record without why/column");
    } else {
        FUZZ_CHECK(r->nfields >= 1, "a good record with no field");
        for (uint32_t i = 0; i < r->nfields; i++) {
            FUZZ_CHECK(r->len[i] <= CSVIN_MAX_FIELD, "field of %u bytes", r->len[i]);
            FUZZ_CHECK(memchr(r->field[i], '\0', r->len[i]) == NULL, "NUL in a good record");
            FUZZ_CHECK(csvin_utf8_valid((const unsigned char *)r->field[i], r->len[i]),
                       "invalid UTF-8 in a good record");
        }
    }
    digest_rec(s, r);
    s->records++;
    s->last_line = r->line;
    return 0;
}

static int on_reject(void *ctx, const struct fb_error *e, const struct csvin_rec *rec)
{
    uint64_t *n = ctx;
    FUZZ_CHECK(e->code == FB_EINPUT && e->line >= 1 && e->col >= 1, "reject without position");
    FUZZ_CHECK(rec != NULL, "reject without record");
    FUZZ_CHECK(strlen(e->msg) > 0, "reject without message");
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    struct fb_error err;
    int fd = fuzz_memfd(data, size, path);
    if (fd < 0)
        return 0;

    /* 1. The record reader alone. */
    struct seen s = {0, 0, 0};
    uint64_t nbytes = 0;
    fb_error_clear(&err);
    int rc = csvin_read(fd, "fuzz.csv", on_rec, &s, &nbytes, &err);
    FUZZ_CHECK(rc == 0 || rc == FB_EINPUT, "csvin_read returned %d: %s", rc, err.msg);
    FUZZ_CHECK(nbytes == size, "read %llu of %zu bytes", (unsigned long long)nbytes, size);
    if (rc == FB_EINPUT)
        FUZZ_CHECK(err.line >= 1 && err.col >= 1 && err.msg[0], "input error without position");

    /* 1b. The same records and error with every line given to libcsv (no
     * fast path for plain lines). */
    struct seen slow = {0, 0, 0};
    struct fb_error eslow;
    fb_error_clear(&eslow);
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    int rcslow = csvin_read_flags(fd, "fuzz.csv", CSVIN_ALL_LIBCSV, on_rec, &slow, NULL, &eslow);
    FUZZ_CHECK(rcslow == rc && eslow.line == err.line && eslow.col == err.col &&
               strcmp(eslow.msg, err.msg) == 0,
               "fast path: %d at %ld:%ld %s; libcsv alone: %d at %ld:%ld %s", rc, err.line,
               err.col, err.msg, rcslow, eslow.line, eslow.col, eslow.msg);
    FUZZ_CHECK(slow.records == s.records && slow.digest == s.digest,
               "records differ: fast path %llu, libcsv alone %llu",
               (unsigned long long)s.records, (unsigned long long)slow.records);

    /* 2. The ingest path of `funnel append`. */
    struct dict *dicts[BLOG_D_COUNT] = {0};
    uint32_t base[BLOG_D_COUNT];
    for (int k = 0; k < BLOG_D_COUNT; k++) {
        dicts[k] = dict_new(k == BLOG_D_ATTR_NAME);
        FUZZ_CHECK(dicts[k] != NULL, "dict_new");
        base[k] = dict_size(dicts[k]);
    }
    uint64_t rejected = 0;
    struct ingest_opts o = {.level = 1, .on_reject = on_reject, .ctx = &rejected};
    struct ingest *in = ingest_new(dicts, &o);
    FUZZ_CHECK(in != NULL, "ingest_new");
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    fb_error_clear(&err);
    int rc2 = ingest_file(in, fd, path, &err);
    FUZZ_CHECK(rc2 == 0 || rc2 == FB_EINPUT, "ingest_file returned %d: %s", rc2, err.msg);
    /* A file csvin reads cleanly has no structural error in ingest either. */
    if (rc == FB_EINPUT)
        FUZZ_CHECK(rc2 == FB_EINPUT, "csvin failed but ingest passed");
    FUZZ_CHECK(ingest_rejected(in) == rejected, "rejected count");
    if (rc2 == 0) {
        FUZZ_CHECK(ingest_events(in) + rejected + 1 == s.records,
                   "%llu events + %llu rejected + header != %llu records",
                   (unsigned long long)ingest_events(in), (unsigned long long)rejected,
                   (unsigned long long)s.records);
        struct buf out = {0};
        unsigned char fp[16];
        int rc3 = ingest_finish(in, base, &out, fp, &err);
        FUZZ_CHECK(rc3 == 0, "ingest_finish returned %d: %s", rc3, err.msg);
        FUZZ_CHECK(ingest_events(in) == 0 || spill_len(ingest_blocks(in)) > 0, "events but no blocks");
        buf_free(&out);
    }
    ingest_free(in);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(dicts[k]);
    close(fd);
    return 0;
}
