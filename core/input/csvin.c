/* csvin.c - libcsv glue with line numbers and byte-level rules; see csvin.h.
 * The input is fed to libcsv one physical line at a time, split at the bytes
 * libcsv must not judge by itself (CR and NUL), so the line of every record
 * is known without re-scanning and libcsv's own state (pstate, quoted, which
 * it stores back at the end of each csv_parse call) tells whether a CR is
 * inside quotes. */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

#define READ_CHUNK (1u << 20)
#define LIBCSV_ROW_NOT_BEGUN 0 /* libcsv.c's ROW_NOT_BEGUN parser state */
#define LIBCSV_FIELD_BEGUN 2 /* libcsv.c's FIELD_BEGUN parser state */

struct reader {
    const char *path;
    csvin_fn fn;
    void *ctx;
    struct fb_error *err;
    unsigned flags;        /* CSVIN_* */
    int stop;              /* fn failed: err holds its error */
    long line;             /* current physical line, 1-based */
    int in_record;
    long rec_line;
    uint64_t index;
    struct buf text;       /* the current record's field bytes */
    struct buf xlat;       /* input with space and tab stand-ins */
    uint32_t nf;
    uint32_t off[CSVIN_MAX_FIELDS + 1];
    uint32_t len[CSVIN_MAX_FIELDS];
    const char *ptr[CSVIN_MAX_FIELDS];
    int bad;
    long bad_col;
    const char *why;
};

/* libcsv trims spaces and tabs around unquoted fields, and its only way
 * out is a callback it makes for every byte.  Instead, spaces and tabs are
 * fed to it as 0xFE and 0xFF, which never occur in UTF-8 (an input holding
 * them is invalid anyway), and turned back when a field ends. */
#define SPACE_STANDIN 0xFE
#define TAB_STANDIN 0xFF
/* A real 0xFE or 0xFF becomes 0xC0, also never valid UTF-8, so on_field
 * still rejects its field (and a rejected row shows 0xC0 there). */
#define INVALID_STANDIN 0xC0

static void mark_bad(struct reader *r, long col, const char *why)
{
    if (!r->bad) {
        r->bad = 1;
        r->bad_col = col;
        r->why = why;
    }
}

int csvin_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        unsigned c = s[i];
        size_t k = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        if (c < 0xC2 || c > 0xF4 || n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        unsigned c1 = s[i + 1];
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) ||  /* overlong, surrogate */
            (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))    /* overlong, > U+10FFFF */
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Take one field.  From libcsv (standins set) the bytes carry the space
 * and tab stand-ins, turned back here; from the fast path they are the
 * input's own, where a real 0xFE or 0xFF becomes INVALID_STANDIN, exactly
 * as feed_text would have given it to libcsv. */
static void take_field(struct reader *r, const unsigned char *src, size_t n, int standins)
{
    if (r->stop)
        return;
    if (r->nf >= CSVIN_MAX_FIELDS) {
        mark_bad(r, (long)r->nf + 1, "too many fields: at most 4096 in a record");
        return;
    }
    if (n > CSVIN_MAX_FIELD) {
        r->stop = 1;
        fb_fail_at(r->err, FB_EINPUT, r->path, r->rec_line, (long)r->nf + 1,
                   "field longer than %u bytes", CSVIN_MAX_FIELD);
        return;
    }
    /* n + 1: text.p is never NULL below, even for an empty first field
     * (NULL + 0 is undefined behaviour; UBSan aborts on it). */
    if (buf_reserve(&r->text, n + 1) != 0) {
        r->stop = 1;
        fb_fail(r->err, FB_ENOMEM, "out of memory reading %s", r->path);
        return;
    }
    unsigned char *dst = r->text.p + r->text.len, acc = 0;
    if (standins) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = src[i];
            acc |= c;
            dst[i] = c == SPACE_STANDIN ? ' ' : c == TAB_STANDIN ? '\t' : c;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = src[i];
            acc |= c;
            dst[i] = c >= SPACE_STANDIN ? INVALID_STANDIN : c;
        }
    }
    r->text.len += n;
    if (acc >= 0x80 && !csvin_utf8_valid(dst, n))
        mark_bad(r, (long)r->nf + 1, "invalid UTF-8: expected UTF-8 text "
                 "(no overlong forms, surrogates or code points past U+10FFFF)");
    r->len[r->nf] = (uint32_t)n;
    r->off[++r->nf] = (uint32_t)r->text.len;
}

static void on_field(void *data, size_t n, void *rv)
{
    take_field(rv, data, n, 1);
}

static void on_record(int c, void *rv)
{
    struct reader *r = rv;
    (void)c;
    if (!r->stop) {
        for (uint32_t i = 0; i < r->nf; i++)
            r->ptr[i] = (const char *)r->text.p + r->off[i];
        struct csvin_rec rec = {r->nf, r->ptr, r->len, r->rec_line, r->index,
                                r->bad, r->bad_col, r->why};
        if (r->fn(r->ctx, &rec, r->err) != 0)
            r->stop = 1;
    }
    r->index++;
    r->nf = 0;
    r->text.len = 0;
    r->in_record = 0;
    r->bad = 0;
    r->bad_col = 0;
    r->why = NULL;
}

/* Feed bytes to libcsv; returns 0 or an error (structural, oversize, fn). */
static int feed(struct csv_parser *p, struct reader *r, const char *s, size_t n)
{
    if (n == 0)
        return r->stop ? r->err->code : 0;
    size_t used = csv_parse(p, s, n, on_field, on_record, r);
    if (r->stop)
        return r->err->code;
    if (used != n)
        return fb_fail_at(r->err, FB_EINPUT, r->path, r->rec_line, (long)r->nf + 1,
                          "bad quoting: a quote inside an unquoted field or text after a closing quote");
    /* libcsv grows its field buffer in blk_size steps: past the limit plus
     * one step, some field was longer than allowed. */
    if (csv_get_buffer_size(p) > CSVIN_MAX_FIELD + 1 + p->blk_size)
        return fb_fail_at(r->err, FB_EINPUT, r->path, r->rec_line, (long)r->nf + 1,
                          "field longer than %u bytes", CSVIN_MAX_FIELD);
    return 0;
}

static int inside_quotes(const struct csv_parser *p)
{
    return p->pstate == LIBCSV_FIELD_BEGUN && p->quoted;
}

/* Feed s[0..n) (no CR, LF or NUL) with spaces and tabs as stand-ins. */
static int feed_text(struct csv_parser *p, struct reader *r, const char *s, size_t n)
{
    if (buf_reserve(&r->xlat, n) != 0)
        return fb_fail(r->err, FB_ENOMEM, "out of memory reading %s", r->path);
    unsigned char *d = r->xlat.p;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        d[i] = c == ' ' ? SPACE_STANDIN : c == '\t' ? TAB_STANDIN
             : c >= SPACE_STANDIN ? INVALID_STANDIN : c;
    }
    return feed(p, r, (const char *)d, n);
}

/* Feed s[0..n), a piece of one line holding no LF, handling CR and NUL. */
static int feed_piece(struct csv_parser *p, struct reader *r, const char *s, size_t n)
{
    while (n > 0) {
        const char *cr = memchr(s, '\r', n), *nul = memchr(s, '\0', n);
        const char *x = !cr ? nul : !nul ? cr : cr < nul ? cr : nul;
        size_t k = x ? (size_t)(x - s) : n;
        int rc = feed_text(p, r, s, k);
        if (rc || !x)
            return rc;
        if (*x == '\0')
            mark_bad(r, (long)r->nf + 1, "NUL byte: expected text without NUL bytes");
        else if (inside_quotes(p))
            rc = feed(p, r, "\r", 1);
        else
            mark_bad(r, (long)r->nf + 1, "bare CR outside quotes (line ends must be LF or CRLF)");
        if (rc)
            return rc;
        s += k + 1;
        n -= k + 1;
    }
    return 0;
}

/* The fast path, for the common line: whole (its LF seen), starting a
 * record, holding no quote, CR or NUL.  Unquoted fields in strict mode are
 * exactly the bytes between commas (the stand-ins stop libcsv's trimming),
 * so the line is split here, as libcsv would split it, at a fraction of
 * libcsv's byte-at-a-time cost; libcsv stays between records.  Returns 1
 * when the line was taken (its result in *rc), 0 when libcsv must read it. */
static int fast_line(const struct csv_parser *p, struct reader *r, const char *s, size_t n,
                     int *rc)
{
    if (n == 0 || r->in_record || p->pstate != LIBCSV_ROW_NOT_BEGUN ||
        memchr(s, '"', n) || memchr(s, '\r', n) || memchr(s, '\0', n))
        return 0;
    r->rec_line = r->line;
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    for (;;) {
        const unsigned char *comma = memchr(u, ',', (size_t)(end - u));
        take_field(r, u, (size_t)((comma ? comma : end) - u), 0);
        if (!comma)
            break;
        u = comma + 1;
    }
    on_record(0, r);
    r->line++;
    *rc = r->stop ? r->err->code : 0;
    return 1;
}

/* Feed one line s[0..n) without its LF; has_lf says whether one followed. */
static int feed_line(struct csv_parser *p, struct reader *r, const char *s, size_t n, int has_lf)
{
    int crlf = has_lf && n > 0 && s[n - 1] == '\r';
    size_t body = n - (size_t)crlf;
    int rc;
    if (has_lf && !(r->flags & CSVIN_ALL_LIBCSV) && fast_line(p, r, s, body, &rc))
        return rc;
    if (!r->in_record && body > 0) {
        r->in_record = 1;
        r->rec_line = r->line;
    }
    rc = feed_piece(p, r, s, body);
    if (rc || !has_lf)
        return rc;
    /* A line whose only bytes were judged bad (NUL, bare CR) gave libcsv
     * nothing: it would skip the line as empty and the bad mark would move
     * to the next record.  Give it one empty field, so the line is a record. */
    if (r->in_record && p->pstate == LIBCSV_ROW_NOT_BEGUN && (rc = feed(p, r, "\"\"", 2)) != 0)
        return rc;
    /* Inside quotes a line end is data and keeps its exact bytes. */
    if (inside_quotes(p))
        rc = feed(p, r, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
    else
        rc = feed(p, r, "\n", 1);
    r->line++;
    return rc;
}

/* Process buf[0..n): whole lines, then the unterminated rest, except a
 * final CR that may be the first half of a CRLF split across reads.
 * Returns bytes consumed or -1 (error in r->err). */
static long process(struct csv_parser *p, struct reader *r, const char *buf, size_t n, int eof)
{
    size_t pos = 0;
    while (pos < n) {
        const char *lf = memchr(buf + pos, '\n', n - pos);
        size_t end = lf ? (size_t)(lf - buf) : n;
        if (!lf && !eof && end > pos && buf[end - 1] == '\r')
            end--;
        if (feed_line(p, r, buf + pos, end - pos, lf != NULL) != 0)
            return -1;
        pos = lf ? end + 1 : end;
        if (!lf)
            break;
    }
    return (long)pos;
}

static int finish(struct csv_parser *p, struct reader *r)
{
    if (r->in_record && p->pstate == LIBCSV_ROW_NOT_BEGUN && feed(p, r, "\"\"", 2) != 0)
        return r->err->code;
    if (csv_fini(p, on_field, on_record, r) != 0 && !r->stop)
        return fb_fail_at(r->err, FB_EINPUT, r->path, r->rec_line, (long)r->nf + 1,
                          "unterminated quoted field: expected a closing quote before the end of the file");
    if (r->stop)
        return r->err->code;
    if (r->index == 0)
        return fb_fail_at(r->err, FB_EINPUT, r->path, 1, 1,
                          "no header row: expected a first line naming the columns "
                          "time, entity, stage, channel");
    return 0;
}

static int read_loop(int fd, struct csv_parser *p, struct reader *r, uint64_t *nbytes)
{
    char *buf = malloc(READ_CHUNK + 1);
    if (!buf)
        return fb_fail(r->err, FB_ENOMEM, "out of memory reading %s", r->path);
    size_t have = 0;
    int first = 1, rc = 0;
    for (;;) {
        ssize_t got = read(fd, buf + have, READ_CHUNK - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = fb_fail_at(r->err, FB_EIO, r->path, 0, 0, "read error: %s", strerror(errno));
            break;
        }
        *nbytes += (uint64_t)got;
        have += (size_t)got;
        int eof = got == 0;
        /* A UTF-8 byte order mark before the header is not part of it. */
        if (first && (have >= 3 || eof)) {
            first = 0;
            if (have >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
                memmove(buf, buf + 3, have -= 3);
        }
        if (first && !eof)
            continue;
        long used = process(p, r, buf, have, eof);
        if (used < 0) {
            rc = r->err->code;
            break;
        }
        memmove(buf, buf + used, have - (size_t)used);
        have -= (size_t)used;
        if (eof) {
            rc = finish(p, r);
            break;
        }
    }
    free(buf);
    return rc;
}

int csvin_read(int fd, const char *path, csvin_fn fn, void *ctx, uint64_t *nbytes,
               struct fb_error *err)
{
    return csvin_read_flags(fd, path, 0, fn, ctx, nbytes, err);
}

int csvin_read_flags(int fd, const char *path, unsigned flags, csvin_fn fn, void *ctx,
                     uint64_t *nbytes, struct fb_error *err)
{
    struct csv_parser p;
    uint64_t dummy = 0;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    /* libcsv's default terminators (CR, LF) are kept: it never sees a CR
     * outside quotes, because feed_piece judges those itself. */
    csv_set_blk_size(&p, 4096);
    struct reader *r = calloc(1, sizeof *r);
    if (!r) {
        csv_free(&p);
        return fb_fail(err, FB_ENOMEM, "out of memory");
    }
    *r = (struct reader){.path = path, .fn = fn, .ctx = ctx, .err = err, .flags = flags,
                         .line = 1, .rec_line = 1};
    int rc = read_loop(fd, &p, r, nbytes ? nbytes : &dummy);
    buf_free(&r->text);
    buf_free(&r->xlat);
    free(r);
    csv_free(&p);
    return rc;
}
