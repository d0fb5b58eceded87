/* test_csvin.c - CSV records of core/input/csvin.h (README.md "Input";
 * docs/DECISIONS.md "Input"): fields byte for byte, physical line
 * numbers, LF and CRLF, empty lines, a leading BOM; the byte-level rules
 * that mark a record bad (bare CR, NUL, invalid UTF-8, too many fields)
 * with the column; the structural errors that stop the file with line and
 * column; the field size bound; and the same records whatever the reads
 * look like (a pipe fed one byte at a time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "csvin.h"

/* ---- collecting records ---- */

struct rec {
    uint32_t nf;
    char **f;
    uint32_t *len;
    long line;
    uint64_t index;
    int bad;
    long bad_col;
    char why[160];
};

struct recs {
    struct rec *r;
    size_t n, cap;
    size_t stop_after;     /* make the callback fail after this many (0: never) */
};

static int collect(void *ctx, const struct csvin_rec *rec, struct fb_error *err)
{
    struct recs *rs = ctx;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 16;
        rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
        assert_non_null(rs->r);
    }
    struct rec *r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    r->nf = rec->nfields;
    r->f = calloc(rec->nfields + 1, sizeof *r->f);
    r->len = calloc(rec->nfields + 1, sizeof *r->len);
    assert_non_null(r->f);
    assert_non_null(r->len);
    for (uint32_t i = 0; i < rec->nfields; i++) {
        r->len[i] = rec->len[i];
        r->f[i] = malloc(rec->len[i] + 1);
        assert_non_null(r->f[i]);
        memcpy(r->f[i], rec->field[i], rec->len[i]);
        r->f[i][rec->len[i]] = '\0';
    }
    r->line = rec->line;
    r->index = rec->index;
    r->bad = rec->bad;
    r->bad_col = rec->bad_col;
    if (rec->bad) {
        assert_non_null(rec->why);
        snprintf(r->why, sizeof r->why, "%s", rec->why);
    }
    if (rs->stop_after && rs->n == rs->stop_after)
        return fb_fail(err, FB_EINPUT, "callback says stop");
    return 0;
}

static void recs_free(struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        for (uint32_t k = 0; k < rs->r[i].nf; k++)
            free(rs->r[i].f[k]);
        free(rs->r[i].f);
        free(rs->r[i].len);
    }
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

/* ---- feeding input ---- */

static char tmpdir[64];
static unsigned file_no;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/test_csvin.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static uint64_t last_nbytes;

/* The records and the error of the fast path and of libcsv alone must be
 * the same (csvin.h, CSVIN_ALL_LIBCSV). */
static void assert_same_reading(const struct recs *a, int rca, const struct fb_error *ea,
                                const struct recs *b, int rcb, const struct fb_error *eb)
{
    if (rca != rcb || ea->line != eb->line || ea->col != eb->col || strcmp(ea->msg, eb->msg))
        fail_msg("fast path: %d at %ld:%ld \"%s\"; libcsv alone: %d at %ld:%ld \"%s\"", rca,
                 ea->line, ea->col, ea->msg, rcb, eb->line, eb->col, eb->msg);
    if (a->n != b->n)
        fail_msg("fast path: %zu records; libcsv alone: %zu", a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const struct rec *x = &a->r[i], *y = &b->r[i];
        int same = x->nf == y->nf && x->line == y->line && x->index == y->index &&
                   x->bad == y->bad && x->bad_col == y->bad_col && !strcmp(x->why, y->why);
        for (uint32_t k = 0; same && k < x->nf; k++)
            same = x->len[k] == y->len[k] && !memcmp(x->f[k], y->f[k], x->len[k]);
        if (!same)
            fail_msg("record %zu differs between the fast path and libcsv alone (line %ld/%ld, "
                     "%u/%u fields, bad %d/%d)", i, x->line, y->line, x->nf, y->nf, x->bad, y->bad);
    }
}

/* Parse s[0..n) from a regular file, both ways (the fast path's result is
 * returned). */
static int parse_n(const char *s, size_t n, struct recs *out, struct fb_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%u.csv", tmpdir, file_no++);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    struct recs slow = {0};
    struct fb_error eslow;
    fb_error_clear(&eslow);
    uint64_t nslow = 0;
    int rcslow = csvin_read_flags(fd, "in.csv", CSVIN_ALL_LIBCSV, collect, &slow, &nslow, &eslow);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    fb_error_clear(err);
    memset(out, 0, sizeof *out);
    last_nbytes = 0;
    int rc = csvin_read(fd, "in.csv", collect, out, &last_nbytes, err);
    close(fd);
    unlink(path);
    assert_same_reading(out, rc, err, &slow, rcslow, &eslow);
    assert_int_equal(last_nbytes, nslow);
    recs_free(&slow);
    return rc;
}

#define PARSE(lit, out, err) parse_n(lit, sizeof lit - 1, out, err)

static void parse_ok_n(const char *s, size_t n, struct recs *out)
{
    struct fb_error err;
    int rc = parse_n(s, n, out, &err);
    if (rc != 0)
        fail_msg("csvin_read failed (%d) at %ld:%ld: %s", rc, err.line, err.col, err.msg);
}

#define PARSE_OK(lit, out) parse_ok_n(lit, sizeof lit - 1, out)

static void assert_field(const struct rec *r, uint32_t i, const char *s, size_t n)
{
    if (i >= r->nf)
        fail_msg("record at line %ld has %u fields, wanted field %u", r->line, r->nf, i + 1);
    if (r->len[i] != n || memcmp(r->f[i], s, n) != 0)
        fail_msg("line %ld field %u: got %u bytes \"%s\", expected %zu bytes \"%.*s\"", r->line,
                 i + 1, r->len[i], r->f[i], n, (int)n, s);
}

#define FIELD(r, i, lit) assert_field(r, i, lit, sizeof lit - 1)

static void assert_good(const struct rec *r, long line, uint32_t nf)
{
    if (r->bad)
        fail_msg("record at line %ld is bad: col %ld: %s", r->line, r->bad_col, r->why);
    assert_int_equal(r->line, line);
    assert_int_equal(r->nf, nf);
}

static void assert_bad(const struct rec *r, long line, long col)
{
    if (!r->bad)
        fail_msg("record at line %ld is not bad (expected bad at column %ld)", r->line, col);
    assert_int_equal(r->line, line);
    assert_int_equal(r->bad_col, col);
    assert_true(r->why[0] != '\0');
}

static void assert_input_error(int rc, const struct fb_error *err, long line, long col)
{
    if (rc != FB_EINPUT)
        fail_msg("expected FB_EINPUT at %ld:%ld, got %d (%s)", line, col, rc, err->msg);
    if (err->line != line || err->col != col)
        fail_msg("error at %ld:%ld, expected %ld:%ld: %s", err->line, err->col, line, col, err->msg);
    assert_string_equal(err->path, "in.csv");
    assert_true(err->msg[0] != '\0');
}

/* ---- records and lines ---- */

static void records_come_in_order_with_fields_and_indexes(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("time,entity,stage\n1,e1,suspect\n2,e2,prospect\n", &rs);
    assert_int_equal(rs.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_good(&rs.r[i], (long)i + 1, 3);
        assert_int_equal(rs.r[i].index, i);
    }
    FIELD(&rs.r[0], 0, "time");
    FIELD(&rs.r[1], 1, "e1");
    FIELD(&rs.r[2], 2, "prospect");
    assert_int_equal(last_nbytes, 45);
    recs_free(&rs);
}

static void a_record_starts_at_its_physical_line(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h1,h2\n"           /* 1 */
             "\"a\nb\nc\",x\n"   /* 2-4 */
             "d,\"e\n\"\n"       /* 5-6 */
             "f,g\n", &rs);      /* 7 */
    assert_int_equal(rs.n, 4);
    assert_good(&rs.r[0], 1, 2);
    assert_good(&rs.r[1], 2, 2);
    FIELD(&rs.r[1], 0, "a\nb\nc");
    assert_good(&rs.r[2], 5, 2);
    FIELD(&rs.r[2], 1, "e\n");
    assert_good(&rs.r[3], 7, 2);
    recs_free(&rs);
}

static void crlf_ends_a_line_like_lf(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h1,h2\r\na,b\r\nc,\"d\"\r\n\"e\",f\n", &rs);
    assert_int_equal(rs.n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_good(&rs.r[i], (long)i + 1, 2);
    FIELD(&rs.r[1], 1, "b");
    FIELD(&rs.r[2], 1, "d");
    FIELD(&rs.r[3], 0, "e");
    recs_free(&rs);
}

static void empty_lines_are_skipped_but_counted(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("\n\r\nh\n\n\na\n\r\n\nb\n\n", &rs);
    assert_int_equal(rs.n, 3);
    assert_good(&rs.r[0], 3, 1);
    assert_good(&rs.r[1], 6, 1);
    assert_good(&rs.r[2], 9, 1);
    assert_int_equal(rs.r[2].index, 2);
    recs_free(&rs);
}

static void the_last_record_needs_no_line_end(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h,i\na,b", &rs);
    assert_int_equal(rs.n, 2);
    assert_good(&rs.r[1], 2, 2);
    FIELD(&rs.r[1], 1, "b");
    recs_free(&rs);
    PARSE_OK("h,i\na,\"b\"", &rs);
    assert_int_equal(rs.n, 2);
    FIELD(&rs.r[1], 1, "b");
    recs_free(&rs);
}

static void empty_fields_are_kept(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("a,b,c\n,,\n\"\",,\"\"\n", &rs);
    assert_int_equal(rs.n, 3);
    for (size_t i = 1; i < 3; i++) {
        assert_good(&rs.r[i], (long)i + 1, 3);
        for (uint32_t k = 0; k < 3; k++)
            assert_int_equal(rs.r[i].len[k], 0);
    }
    recs_free(&rs);
}

static void spaces_and_tabs_around_fields_are_kept(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h1,h2,h3\n  a , b\t,\tc \n \n", &rs);
    assert_int_equal(rs.n, 3);
    FIELD(&rs.r[1], 0, "  a ");
    FIELD(&rs.r[1], 1, " b\t");
    FIELD(&rs.r[1], 2, "\tc ");
    assert_good(&rs.r[2], 3, 1);      /* a line of one space is a record */
    FIELD(&rs.r[2], 0, " ");
    recs_free(&rs);
}

static void doubled_quotes_inside_quotes_are_one_quote(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h\n\"a\"\"b\"\n\"\"\"\"\n\"a,b\"\n", &rs);
    FIELD(&rs.r[1], 0, "a\"b");
    FIELD(&rs.r[2], 0, "\"");
    FIELD(&rs.r[3], 0, "a,b");
    recs_free(&rs);
}

/* ---- BOM ---- */

static void a_leading_bom_is_not_part_of_the_header(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("\xEF\xBB\xBFtime,x\n1,2\n", &rs);
    assert_int_equal(rs.n, 2);
    FIELD(&rs.r[0], 0, "time");
    assert_good(&rs.r[0], 1, 2);
    assert_int_equal(last_nbytes, 3 + 7 + 4);
    recs_free(&rs);
    /* a BOM before an empty first line */
    PARSE_OK("\xEF\xBB\xBF\nh\n", &rs);
    assert_int_equal(rs.n, 1);
    assert_good(&rs.r[0], 2, 1);
    FIELD(&rs.r[0], 0, "h");
    recs_free(&rs);
}

static void only_the_first_bom_is_dropped(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("\xEF\xBB\xBF\xEF\xBB\xBFh\n\xEF\xBB\xBF" "a\n", &rs);
    assert_int_equal(rs.n, 2);
    FIELD(&rs.r[0], 0, "\xEF\xBB\xBFh");   /* U+FEFF is valid UTF-8 data */
    FIELD(&rs.r[1], 0, "\xEF\xBB\xBF" "a");
    assert_good(&rs.r[1], 2, 1);
    recs_free(&rs);
}

static void a_partial_bom_is_invalid_utf8(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("\xEF\xBBh\nx\n", &rs);
    assert_int_equal(rs.n, 2);
    assert_bad(&rs.r[0], 1, 1);
    recs_free(&rs);
}

/* ---- no header ---- */

static void no_header_is_bad_input_at_line_1(void **state)
{
    (void)state;
    static const struct { const char *s; size_t n; } cases[] = {
        {"", 0}, {"\n", 1}, {"\n\n\r\n", 4}, {"\xEF\xBB\xBF", 3}, {"\xEF\xBB\xBF\n\n", 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct recs rs;
        struct fb_error err;
        int rc = parse_n(cases[i].s, cases[i].n, &rs, &err);
        assert_input_error(rc, &err, 1, 1);
        assert_int_equal(rs.n, 0);
        recs_free(&rs);
    }
}

/* ---- carriage returns ---- */

static void crlf_inside_quotes_is_kept_byte_exact(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h,i\r\n\"a\r\nb\",\"c\nd\"\r\n\"\r\n\",x\r\n", &rs);
    assert_int_equal(rs.n, 3);
    assert_good(&rs.r[1], 2, 2);
    FIELD(&rs.r[1], 0, "a\r\nb");
    FIELD(&rs.r[1], 1, "c\nd");
    assert_good(&rs.r[2], 5, 2);
    FIELD(&rs.r[2], 0, "\r\n");
    recs_free(&rs);
}

static void a_cr_inside_quotes_is_data(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h,i\n\"a\rb\",\"\r\"\n\"\r\r\n\",z\n", &rs);
    assert_int_equal(rs.n, 3);
    assert_good(&rs.r[1], 2, 2);
    FIELD(&rs.r[1], 0, "a\rb");
    FIELD(&rs.r[1], 1, "\r");
    assert_good(&rs.r[2], 3, 2);
    FIELD(&rs.r[2], 0, "\r\r\n");
    recs_free(&rs);
}

static void a_bare_cr_outside_quotes_marks_the_record_bad_at_its_column(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h1,h2,h3\n"
             "a,b\rc,d\n"        /* 2: in field 2 */
             "ok,ok,ok\n"        /* 3 */
             "\r,x,y\n"          /* 4: at the start of field 1 */
             "x,y,z\r\r\n"       /* 5: before a CRLF */
             "p,\"q\"\r,r\n"     /* 6: after a closing quote */
             "ok,ok,ok\n", &rs);
    assert_int_equal(rs.n, 7);
    assert_bad(&rs.r[1], 2, 2);
    assert_good(&rs.r[2], 3, 3);
    assert_bad(&rs.r[3], 4, 1);
    assert_bad(&rs.r[4], 5, 3);
    assert_bad(&rs.r[5], 6, 2);
    assert_good(&rs.r[6], 7, 3);
    recs_free(&rs);
}

static void a_cr_at_the_very_end_of_the_input_is_bare(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h,i\na,b\r", &rs);
    assert_int_equal(rs.n, 2);
    assert_bad(&rs.r[1], 2, 2);
    recs_free(&rs);
}

/* A line holding only a bad byte is still a record, and the bad mark does
 * not move to the next record. */
static void a_line_of_only_a_bare_cr_is_a_bad_record(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h\n\r\r\nb\n", &rs);
    assert_int_equal(rs.n, 3);
    assert_bad(&rs.r[1], 2, 1);
    assert_good(&rs.r[2], 3, 1);
    FIELD(&rs.r[2], 0, "b");
    recs_free(&rs);
}

/* ---- NUL ---- */

static void a_nul_byte_marks_the_record_bad(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h,i\na,b\0c\n\"\0\",x\nok,ok\n", &rs);
    assert_int_equal(rs.n, 4);
    assert_bad(&rs.r[1], 2, 2);
    assert_bad(&rs.r[2], 3, 1);
    assert_good(&rs.r[3], 4, 2);
    recs_free(&rs);
}

static void a_nul_in_the_header_marks_it_bad(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("time,\0entity\n", &rs);
    assert_int_equal(rs.n, 1);
    assert_bad(&rs.r[0], 1, 2);
    recs_free(&rs);
}

static void a_line_of_only_a_nul_is_a_bad_record(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h\na\n\0\nb\n", &rs);
    assert_int_equal(rs.n, 4);
    assert_bad(&rs.r[2], 3, 1);
    assert_good(&rs.r[3], 4, 1);      /* the mark does not move to the next row */
    FIELD(&rs.r[3], 0, "b");
    recs_free(&rs);
    /* as the last line of the input, too: never accepted silently */
    PARSE_OK("h\na\n\0\n", &rs);
    assert_int_equal(rs.n, 3);
    assert_bad(&rs.r[2], 3, 1);
    recs_free(&rs);
    PARSE_OK("h\na\n\0", &rs);
    assert_int_equal(rs.n, 3);
    assert_bad(&rs.r[2], 3, 1);
    recs_free(&rs);
}

/* ---- UTF-8 ---- */

static void invalid_utf8_marks_the_record_bad_at_its_column(void **state)
{
    (void)state;
    static const char *bad[] = {
        "\xC0\x80",             /* overlong NUL */
        "\xC1\xBF",             /* overlong */
        "\xE0\x80\x80",         /* overlong 3-byte */
        "\xE0\x9F\xBF",         /* overlong 3-byte, top */
        "\xF0\x80\x80\x80",     /* overlong 4-byte */
        "\xF0\x8F\xBF\xBF",
        "\xED\xA0\x80",         /* surrogate U+D800 */
        "\xED\xBF\xBF",         /* surrogate U+DFFF */
        "\xF4\x90\x80\x80",     /* U+110000 */
        "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80", "\xFF", "\xFE",
        "\x80",                 /* lone continuation */
        "\xBF",
        "\xE2\x82",             /* truncated at the end of the field */
        "\xE2\x82x",            /* truncated before ASCII */
        "\xF0\x9F\x98",
        "\xC3",
        "a\xC3(b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char in[64];
        int n = snprintf(in, sizeof in, "h1,h2,h3\nok,x%s,ok\nok,ok,ok\n", bad[i]);
        struct recs rs;
        parse_ok_n(in, (size_t)n, &rs);
        assert_int_equal(rs.n, 3);
        if (!rs.r[1].bad)
            fail_msg("case %zu accepted as UTF-8", i);
        assert_bad(&rs.r[1], 2, 2);
        assert_good(&rs.r[2], 3, 3);
        recs_free(&rs);
    }
}

static void valid_utf8_up_to_four_bytes_is_accepted(void **state)
{
    (void)state;
    struct recs rs;
    PARSE_OK("h1,h2\n"
             "\xC2\xA9\xC3\xA9,\xE2\x82\xAC\n"            /* © é, € */
             "\xF0\x9F\x98\x80,\xF4\x8F\xBF\xBF\n"        /* U+1F600, U+10FFFF */
             "\xED\x9F\xBF\xEE\x80\x80,\xEF\xBF\xBF\n"    /* U+D7FF U+E000, U+FFFF */
             "\xC2\x80\xDF\xBF,\xE0\xA0\x80\xF0\x90\x80\x80\n", &rs);
    assert_int_equal(rs.n, 5);
    for (size_t i = 1; i < 5; i++)
        assert_good(&rs.r[i], (long)i + 1, 2);
    FIELD(&rs.r[2], 0, "\xF0\x9F\x98\x80");
    recs_free(&rs);
}

/* An independent decoder: lead byte gives the length, the value must be in
 * range for that length, not a surrogate and at most U+10FFFF. */
static int ref_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], len;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i < len)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return 0;
        i += len;
    }
    return 1;
}

static void utf8_check_agrees_with_a_reference_on_all_short_sequences(void **state)
{
    (void)state;
    unsigned char b[6];
    for (unsigned x = 0; x < 256; x++) {
        b[0] = (unsigned char)x;
        assert_int_equal(csvin_utf8_valid(b, 1), ref_utf8_valid(b, 1));
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (unsigned char)y;
            if (csvin_utf8_valid(b, 2) != ref_utf8_valid(b, 2))
                fail_msg("%02x %02x", x, y);
            for (unsigned z = 0; z < 256; z++) {
                b[2] = (unsigned char)z;
                if (csvin_utf8_valid(b, 3) != ref_utf8_valid(b, 3))
                    fail_msg("%02x %02x %02x", x, y, z);
            }
        }
    }
    /* four-byte leads with every continuation triple, and a few others */
    static const unsigned char other[] = {0x00, 0x41, 0x7F, 0xC2, 0xE0, 0xF0, 0xFF};
    for (unsigned x = 0xF0; x < 0x100; x++)
        for (unsigned y = 0x80; y < 0xC0; y++)
            for (unsigned z = 0x80; z < 0xC0; z++)
                for (unsigned w = 0x78; w < 0xC8; w++) {
                    b[0] = (unsigned char)x; b[1] = (unsigned char)y;
                    b[2] = (unsigned char)z; b[3] = (unsigned char)w;
                    if (csvin_utf8_valid(b, 4) != ref_utf8_valid(b, 4))
                        fail_msg("%02x %02x %02x %02x", x, y, z, w);
                }
    for (size_t k = 0; k < sizeof other; k++) {
        b[0] = 0xF0; b[1] = 0x9F; b[2] = other[k]; b[3] = 0x80;
        assert_int_equal(csvin_utf8_valid(b, 4), ref_utf8_valid(b, 4));
    }
    /* only n bytes count: a valid prefix of a longer buffer */
    assert_int_equal(csvin_utf8_valid((const unsigned char *)"ab\xC3\xA9", 2), 1);
    assert_int_equal(csvin_utf8_valid((const unsigned char *)"ab\xC3\xA9", 3), 0);
    assert_int_equal(csvin_utf8_valid((const unsigned char *)"", 0), 1);
}

/* ---- structural errors ---- */

static void a_quote_inside_an_unquoted_field_stops_with_line_and_column(void **state)
{
    (void)state;
    struct recs rs;
    struct fb_error err;
    int rc = PARSE("h1,h2\nok,ok\nx,ab\"c\nlater,row\n", &rs, &err);
    assert_input_error(rc, &err, 3, 2);
    assert_int_equal(rs.n, 2);         /* the records before it were delivered */
    recs_free(&rs);
    rc = PARSE("h1,h2\n\"a\nb\",c\"d\n", &rs, &err);
    assert_input_error(rc, &err, 2, 2);
    recs_free(&rs);
}

static void text_after_a_closing_quote_stops_with_line_and_column(void **state)
{
    (void)state;
    struct recs rs;
    struct fb_error err;
    int rc = PARSE("h1,h2,h3\na,\"b\"c,d\n", &rs, &err);
    assert_input_error(rc, &err, 2, 2);
    assert_int_equal(rs.n, 1);
    recs_free(&rs);
    rc = PARSE("h1,h2\n\n\n\"a\" ,b\n", &rs, &err);
    assert_input_error(rc, &err, 4, 1);
    recs_free(&rs);
}

static void an_unterminated_quote_stops_at_the_record_start(void **state)
{
    (void)state;
    struct recs rs;
    struct fb_error err;
    int rc = PARSE("h1,h2\nok,ok\na,\"b\nc\nd\n", &rs, &err);
    assert_input_error(rc, &err, 3, 2);
    assert_int_equal(rs.n, 2);
    assert_non_null(strstr(err.msg, "unterminated"));
    recs_free(&rs);
    rc = PARSE("\"h", &rs, &err);
    assert_input_error(rc, &err, 1, 1);
    recs_free(&rs);
}

/* ---- field bounds ---- */

static char *csv_with_field(const char *pre, size_t n, char fill, const char *post, size_t *len)
{
    size_t a = strlen(pre), c = strlen(post);
    char *s = malloc(a + n + c + 1);
    assert_non_null(s);
    memcpy(s, pre, a);
    memset(s + a, fill, n);
    memcpy(s + a + n, post, c + 1);
    *len = a + n + c;
    return s;
}

static void a_field_of_65535_bytes_is_accepted(void **state)
{
    (void)state;
    static const char *const shapes[][2] = {
        {"h1,h2\nx,", "\n"}, {"h1,h2\nx,", ""}, {"h1,h2\n", ",y\r\n"}, {"h1,h2\nx,\"", "\"\n"},
        {"h1,h2\nx,\"", "\""},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        size_t len;
        char *s = csv_with_field(shapes[k][0], CSVIN_MAX_FIELD, 'q', shapes[k][1], &len);
        struct recs rs;
        parse_ok_n(s, len, &rs);
        assert_int_equal(rs.n, 2);
        assert_good(&rs.r[1], 2, 2);
        uint32_t col = shapes[k][0][strlen(shapes[k][0]) - 1] == '\n' ? 0 : 1;
        assert_int_equal(rs.r[1].len[col], CSVIN_MAX_FIELD);
        recs_free(&rs);
        free(s);
    }
}

static void a_field_of_65536_bytes_is_rejected_with_line_and_column(void **state)
{
    (void)state;
    static const char *const shapes[][2] = {
        {"h1,h2\nx,", "\n"}, {"h1,h2\nx,", "\nok,ok\n"}, {"h1,h2\n", ",y\r\n"},
        {"h1,h2\nx,\"", "\"\n"}, {"h1,h2\nx,\"", "\""}, {"h1,h2\nx,", ""},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        size_t len;
        char *s = csv_with_field(shapes[k][0], CSVIN_MAX_FIELD + 1, 'q', shapes[k][1], &len);
        struct recs rs;
        struct fb_error err;
        int rc = parse_n(s, len, &rs, &err);
        long col = shapes[k][0][strlen(shapes[k][0]) - 1] == '\n' ? 1 : 2;
        if (rc != FB_EINPUT)
            fail_msg("shape %zu: a 65536-byte field was accepted (rc %d)", k, rc);
        assert_input_error(rc, &err, 2, col);
        recs_free(&rs);
        free(s);
    }
}

/* Memory stays bounded: a 5 MB field spread over quoted lines is refused. */
static void a_huge_multiline_field_is_rejected(void **state)
{
    (void)state;
    size_t n = 5u << 20, len;
    char *s = csv_with_field("h\n\"", n, '\n', "\"\n", &len);
    struct recs rs;
    struct fb_error err;
    int rc = parse_n(s, len, &rs, &err);
    assert_input_error(rc, &err, 2, 1);
    recs_free(&rs);
    free(s);
}

static void quoted_lines_of_a_long_field_add_up(void **state)
{
    (void)state;
    /* 65535 bytes in all, made of many short quoted lines: accepted */
    size_t n = CSVIN_MAX_FIELD, len;
    char *s = csv_with_field("h\n\"", n, 'x', "\"\n", &len);
    for (size_t i = 3; i < 3 + n; i += 100)
        s[i] = '\n';
    struct recs rs;
    parse_ok_n(s, len, &rs);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.r[1].len[0], n);
    assert_good(&rs.r[1], 2, 1);
    recs_free(&rs);
    free(s);
}

static void four_thousand_ninety_six_fields_are_fine_and_one_more_is_bad(void **state)
{
    (void)state;
    for (uint32_t nf = CSVIN_MAX_FIELDS; nf <= CSVIN_MAX_FIELDS + 1; nf++) {
        size_t cap = 8 + 4 * (size_t)nf, len = 0;
        char *s = malloc(cap);
        assert_non_null(s);
        len += (size_t)snprintf(s, cap, "h\n");
        for (uint32_t i = 0; i < nf; i++)
            len += (size_t)snprintf(s + len, cap - len, i ? ",%c" : "%c", 'a' + i % 26);
        s[len++] = '\n';
        struct recs rs;
        parse_ok_n(s, len, &rs);
        assert_int_equal(rs.n, 2);
        if (nf == CSVIN_MAX_FIELDS) {
            assert_good(&rs.r[1], 2, nf);
        } else {
            assert_bad(&rs.r[1], 2, (long)nf);
            assert_true(rs.r[1].nf <= CSVIN_MAX_FIELDS);
        }
        recs_free(&rs);
        free(s);
    }
}

/* ---- the callback ---- */

static void a_callback_error_stops_reading_and_is_returned(void **state)
{
    (void)state;
    struct recs rs;
    struct fb_error err;
    memset(&rs, 0, sizeof rs);
    const char in[] = "h\na\nb\nc\n";
    char path[128];
    snprintf(path, sizeof path, "%s/stop.csv", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, sizeof in - 1), (ssize_t)(sizeof in - 1));
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    rs.stop_after = 2;
    fb_error_clear(&err);
    assert_int_equal(csvin_read(fd, "in.csv", collect, &rs, NULL, &err), FB_EINPUT);
    assert_string_equal(err.msg, "callback says stop");
    assert_int_equal(rs.n, 2);
    close(fd);
    recs_free(&rs);
}

/* ---- reads of any size ---- */

struct writer {
    int fd;
    const char *p;
    size_t n;
};

static void *write_slowly(void *arg)
{
    struct writer *w = arg;
    struct timespec pause = {0, 200000};   /* 0.2 ms: the reader wakes per byte */
    for (size_t i = 0; i < w->n; i++) {
        if (write(w->fd, w->p + i, 1) != 1)
            break;
        nanosleep(&pause, NULL);
    }
    close(w->fd);
    return NULL;
}

static int parse_pipe(const char *s, size_t n, struct recs *out, struct fb_error *err)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct writer w = {fds[1], s, n};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_slowly, &w), 0);
    memset(out, 0, sizeof *out);
    fb_error_clear(err);
    uint64_t nbytes = 0;
    int rc = csvin_read(fds[0], "-", collect, out, &nbytes, err);
    assert_int_equal(pthread_join(t, NULL), 0);
    close(fds[0]);
    if (rc == 0)
        assert_int_equal(nbytes, n);
    return rc;
}

static void same_records(const struct recs *a, const struct recs *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const struct rec *x = &a->r[i], *y = &b->r[i];
        assert_int_equal(x->nf, y->nf);
        assert_int_equal(x->line, y->line);
        assert_int_equal(x->index, y->index);
        assert_int_equal(x->bad, y->bad);
        assert_int_equal(x->bad_col, y->bad_col);
        for (uint32_t k = 0; k < x->nf; k++)
            assert_field(y, k, x->f[k], x->len[k]);
    }
}

static void a_pipe_fed_one_byte_at_a_time_gives_the_same_records(void **state)
{
    (void)state;
    static const char in[] =
        "\xEF\xBB\xBFh1,h2,h3\r\n"
        "a,\"b\r\nc\",d\r\n"
        "\r\n"
        "\n"
        "\"e\"\"f\",\xE2\x82\xAC,\"\r\"\r\n"
        "x,y\rz,w\r\n"
        "q\0r,s,t\n"
        "last,\"row\",\xF0\x9F\x98\x80\r\n";
    struct recs file, piped;
    struct fb_error err;
    parse_ok_n(in, sizeof in - 1, &file);
    assert_int_equal(file.n, 6);
    FIELD(&file.r[0], 0, "h1");
    FIELD(&file.r[1], 1, "b\r\nc");
    assert_bad(&file.r[3], 7, 2);
    assert_bad(&file.r[4], 8, 1);
    int rc = parse_pipe(in, sizeof in - 1, &piped, &err);
    if (rc != 0)
        fail_msg("through a pipe: %d at %ld:%ld %s", rc, err.line, err.col, err.msg);
    same_records(&file, &piped);
    recs_free(&file);
    recs_free(&piped);
}

static void errors_through_a_pipe_are_the_same(void **state)
{
    (void)state;
    static const char in[] = "h1,h2\r\nok,ok\r\na,\"b\"c\r\n";
    struct recs file, piped;
    struct fb_error e1, e2;
    int r1 = parse_n(in, sizeof in - 1, &file, &e1);
    int r2 = parse_pipe(in, sizeof in - 1, &piped, &e2);
    assert_input_error(r1, &e1, 3, 2);
    assert_int_equal(r2, r1);
    assert_int_equal(e2.line, e1.line);
    assert_int_equal(e2.col, e1.col);
    assert_string_equal(e2.path, "-");
    same_records(&file, &piped);
    recs_free(&file);
    recs_free(&piped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_come_in_order_with_fields_and_indexes),
        cmocka_unit_test(a_record_starts_at_its_physical_line),
        cmocka_unit_test(crlf_ends_a_line_like_lf),
        cmocka_unit_test(empty_lines_are_skipped_but_counted),
        cmocka_unit_test(the_last_record_needs_no_line_end),
        cmocka_unit_test(empty_fields_are_kept),
        cmocka_unit_test(spaces_and_tabs_around_fields_are_kept),
        cmocka_unit_test(doubled_quotes_inside_quotes_are_one_quote),
        cmocka_unit_test(a_leading_bom_is_not_part_of_the_header),
        cmocka_unit_test(only_the_first_bom_is_dropped),
        cmocka_unit_test(a_partial_bom_is_invalid_utf8),
        cmocka_unit_test(no_header_is_bad_input_at_line_1),
        cmocka_unit_test(crlf_inside_quotes_is_kept_byte_exact),
        cmocka_unit_test(a_cr_inside_quotes_is_data),
        cmocka_unit_test(a_bare_cr_outside_quotes_marks_the_record_bad_at_its_column),
        cmocka_unit_test(a_cr_at_the_very_end_of_the_input_is_bare),
        cmocka_unit_test(a_line_of_only_a_bare_cr_is_a_bad_record),
        cmocka_unit_test(a_nul_byte_marks_the_record_bad),
        cmocka_unit_test(a_nul_in_the_header_marks_it_bad),
        cmocka_unit_test(a_line_of_only_a_nul_is_a_bad_record),
        cmocka_unit_test(invalid_utf8_marks_the_record_bad_at_its_column),
        cmocka_unit_test(valid_utf8_up_to_four_bytes_is_accepted),
        cmocka_unit_test(utf8_check_agrees_with_a_reference_on_all_short_sequences),
        cmocka_unit_test(a_quote_inside_an_unquoted_field_stops_with_line_and_column),
        cmocka_unit_test(text_after_a_closing_quote_stops_with_line_and_column),
        cmocka_unit_test(an_unterminated_quote_stops_at_the_record_start),
        cmocka_unit_test(a_field_of_65535_bytes_is_accepted),
        cmocka_unit_test(a_field_of_65536_bytes_is_rejected_with_line_and_column),
        cmocka_unit_test(a_huge_multiline_field_is_rejected),
        cmocka_unit_test(quoted_lines_of_a_long_field_add_up),
        cmocka_unit_test(four_thousand_ninety_six_fields_are_fine_and_one_more_is_bad),
        cmocka_unit_test(a_callback_error_stops_reading_and_is_returned),
        cmocka_unit_test(a_pipe_fed_one_byte_at_a_time_gives_the_same_records),
        cmocka_unit_test(errors_through_a_pipe_are_the_same),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
