/* test_blocklog.c - the block layer of core/log/blocklog.h: header and commit
 * encodings, and the scan's verdicts on a log file - committed batches, a
 * torn tail (not an error) at every cut of the last batch, damage before a
 * later commit or in the final commit (corruption, with its offset), files
 * that are empty, torn in the file header, or not a funnel log, and block
 * types this version does not know.  Logs are written by the real writer
 * (app_open / ingest / app_commit) or by blog_block_append directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "appender.h"
#include "blocklog.h"
#include "dict.h"
#include "dictblock.h"
#include "ingest.h"

#define COMMIT_LEN (BLOG_BLOCK_HEADER_LEN + BLOG_COMMIT_PAYLOAD_LEN)

static char tmpdir[64];
static unsigned file_no;

/* ---- files ---- */

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%u-%s", tmpdir, file_no++, name);
}

static void write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    assert_int_equal(close(fd), 0);
}

static unsigned char *read_file(const char *path, size_t *n)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    unsigned char *p = malloc((size_t)st.st_size + 1);
    assert_non_null(p);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, p, (size_t)st.st_size), (ssize_t)st.st_size);
    close(fd);
    *n = (size_t)st.st_size;
    return p;
}

static void copy_file(const char *from, const char *to)
{
    size_t n;
    unsigned char *p = read_file(from, &n);
    write_file(to, p, n);
    free(p);
}

static int64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void truncate_to(const char *path, int64_t n)
{
    assert_int_equal(truncate(path, (off_t)n), 0);
}

static void flip_byte(const char *path, int64_t off, unsigned char mask)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
    b ^= mask;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
    close(fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/test_blocklog.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- scanning ---- */

static int scan_path(const char *path, struct blog_scan *s, struct fb_error *err)
{
    fb_error_clear(err);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    int rc = blog_scan_fd(fd, path, s, err);
    close(fd);
    return rc;
}

static void scan_ok(const char *path, struct blog_scan *s)
{
    struct fb_error err;
    int rc = scan_path(path, s, &err);
    if (rc != 0)
        fail_msg("scan of %s failed (%d) at offset %lld: %s", path, rc, (long long)err.offset, err.msg);
}

static void assert_corrupt_at(const char *path, int64_t offset)
{
    struct blog_scan s;
    struct fb_error err;
    int rc = scan_path(path, &s, &err);
    blog_scan_free(&s);
    if (rc != FB_ECORRUPT)
        fail_msg("expected corruption at offset %lld, got rc %d (%s)", (long long)offset, rc, err.msg);
    if (err.offset != offset)
        fail_msg("corruption reported at offset %lld, expected %lld: %s", (long long)err.offset,
                 (long long)offset, err.msg);
    assert_true(err.msg[0] != '\0');
}

/* ---- writing through the real writer ---- */

/* CSV of n rows, entity ids and times from seed. */
static char *make_csv(unsigned n, unsigned seed)
{
    size_t cap = 128 + (size_t)n * 96;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = (size_t)snprintf(s, cap, "time,entity,stage,channel,touch,outcome,segment\n");
    static const char *stages[] = {"suspect", "prospect", "engaged", "purchasing", "Other"};
    for (unsigned i = 0; i < n; i++) {
        unsigned r = (i + 1) * 2654435761u ^ seed * 40503u;
        len += (size_t)snprintf(s + len, cap - len, "%u,E%05u,%s,%s,%s,%s,seg%u\n",
                                1700000000u + r % 5000000u, r % (n / 2 + 1), stages[r % 5],
                                r % 3 ? "marketing" : "Sales", r % 4 ? "call" : "",
                                r % 7 ? "" : "lost", seed % 3);
    }
    return s;
}

/* Append csv to log as one batch, holding at most spill bytes of EVENTS
 * blocks in memory (0: the default): 0 and the batch's event count in
 * *events, or ingest_file's error in err (nothing appended). */
static int try_append_csv(const char *log, const char *csv, size_t spill, uint64_t *events_out,
                          struct fb_error *errp)
{
    struct appender a;
    struct fb_error err;
    fb_error_clear(&err);
    int rc = app_open(&a, log, NULL, &err);
    if (rc)
        fail_msg("app_open: %d %s", rc, err.msg);
    uint32_t base[BLOG_D_COUNT];
    for (int k = 0; k < BLOG_D_COUNT; k++)
        base[k] = dict_size(a.dicts[k]);
    struct ingest_opts o = {.level = 6, .spill = {.dir = tmpdir, .limit = spill}};
    struct ingest *in = ingest_new(a.dicts, &o);
    assert_non_null(in);
    char path[128];
    tmp_path(path, sizeof path, "in.csv");
    write_file(path, csv, strlen(csv));
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    rc = ingest_file(in, fd, path, &err);
    close(fd);
    if (rc) {
        *errp = err;
        ingest_free(in);
        app_abandon(&a);
        app_close(&a);
        unlink(path);
        return rc;
    }
    struct buf out = {0};
    unsigned char fp[16];
    assert_int_equal(ingest_finish(in, base, &out, fp, &err), 0);
    uint64_t events = ingest_events(in);
    assert_int_equal(ingest_rejected(in), 0);
    rc = app_commit(&a, out.p, out.len, ingest_blocks(in), events, fp, 0, &err);
    if (rc)
        fail_msg("app_commit: %d %s", rc, err.msg);
    buf_free(&out);
    ingest_free(in);
    app_close(&a);
    unlink(path);
    *events_out = events;
    return 0;
}

/* Append csv to log as one batch, spilling past spill bytes; returns the
 * batch's event count. */
static uint64_t append_csv_spilling(const char *log, const char *csv, size_t spill)
{
    struct fb_error err;
    uint64_t events = 0;
    int rc = try_append_csv(log, csv, spill, &events, &err);
    if (rc)
        fail_msg("ingest_file: %d %s", rc, err.msg);
    return events;
}

static uint64_t append_csv(const char *log, const char *csv)
{
    return append_csv_spilling(log, csv, 0);
}

/* A CSV of one row with n attribute columns PREFIX1..PREFIXn. */
static char *attrs_csv(const char *prefix, unsigned n)
{
    size_t cap = 128 + (size_t)n * 40;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = (size_t)snprintf(s, cap, "time,entity,stage,channel");
    for (unsigned i = 1; i <= n; i++)
        len += (size_t)snprintf(s + len, cap - len, ",%s%u", prefix, i);
    len += (size_t)snprintf(s + len, cap - len, "\n2026-01-01,E-%s,suspect,sales", prefix);
    for (unsigned i = 1; i <= n; i++)
        len += (size_t)snprintf(s + len, cap - len, ",v%u", i);
    snprintf(s + len, cap - len, "\n");
    return s;
}

static int append_attrs(const char *log, const char *prefix, unsigned n, struct fb_error *err)
{
    char *csv = attrs_csv(prefix, n);
    uint64_t events;
    int rc = try_append_csv(log, csv, 0, &events, err);
    free(csv);
    return rc;
}

static uint64_t append_rows(const char *log, unsigned n, unsigned seed)
{
    char *csv = make_csv(n, seed);
    uint64_t ev = append_csv(log, csv);
    free(csv);
    return ev;
}

/* docs/FORMAT.md §9 step 4: a batch whose EVENTS blocks wait in the spill
 * file is the same bytes as one built in memory, and the file leaves no
 * name behind. */
static void batch_spilled_to_a_file_is_the_same_bytes_as_one_in_memory(void **state)
{
    (void)state;
    char mem[160], spilled[160];
    tmp_path(mem, sizeof mem, "inmem.flog");
    tmp_path(spilled, sizeof spilled, "spilled.flog");
    /* three EVENTS blocks of 65,536, 65,536 and 8,928 events */
    char *csv = make_csv(2 * BLOG_EVENTS_PER_BLOCK + 8928, 5);
    uint64_t a = append_csv_spilling(mem, csv, 0);
    uint64_t b = append_csv_spilling(spilled, csv, 1);
    free(csv);
    assert_int_equal(a, 2 * BLOG_EVENTS_PER_BLOCK + 8928);
    assert_int_equal(b, a);
    size_t nx, ny;
    unsigned char *x = read_file(mem, &nx), *y = read_file(spilled, &ny);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);
    free(x);
    free(y);
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".funnel-spill"))
            fail_msg("a spill file was left behind: %s", e->d_name);
    closedir(d);
}

/* ---- writing by hand ---- */

static void craft_file_header(struct buf *b)
{
    unsigned char h[BLOG_FILE_HEADER_LEN];
    blog_file_header(h);
    assert_int_equal(buf_append(b, h, sizeof h), 0);
}

static void craft_block(struct buf *b, uint8_t type, uint8_t flags, const char *payload)
{
    assert_int_equal(blog_block_append(b, type, flags, 0, 0, 0, (const unsigned char *)payload,
                                       strlen(payload)), 0);
}

/* A commit block at the end of b for the blocks from `start`, naming the
 * dictionary sizes (NULL: all 1). */
static void craft_commit_sizes(struct buf *b, uint64_t seq, int64_t start, uint32_t events,
                               const uint32_t *sizes)
{
    struct blog_commit c;
    memset(&c, 0, sizeof c);
    c.offset = (int64_t)b->len;
    c.total_events = events;
    for (int k = 0; k < BLOG_D_COUNT; k++)
        c.dict_sizes[k] = sizes ? sizes[k] : 1;
    unsigned char pl[BLOG_COMMIT_PAYLOAD_LEN];
    blog_commit_encode(&c, pl);
    assert_int_equal(blog_block_append(b, BLOG_T_COMMIT, 0, events, (int64_t)seq, start, pl, sizeof pl), 0);
}

static void craft_commit(struct buf *b, uint64_t seq, int64_t start, uint32_t events)
{
    craft_commit_sizes(b, seq, start, events, NULL);
}

/* ---- header encodings ---- */

static void block_header_round_trips(void **state)
{
    (void)state;
    const struct blog_hdr hs[] = {
        {BLOG_T_EVENTS, 0, 1234, 65536, INT64_C(-62167219200), INT64_C(253402300799), 0xDEADBEEFu},
        {BLOG_T_DICT, 0, 0, 0, 7, 0, 0},
        {0xFF, 0xFF, UINT32_MAX, UINT32_MAX, INT64_MIN, INT64_MAX, UINT32_MAX},
    };
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++) {
        unsigned char raw[BLOG_BLOCK_HEADER_LEN];
        struct blog_hdr h;
        memset(&h, 0x5A, sizeof h);
        blog_hdr_encode(&hs[i], raw);
        assert_int_equal(blog_hdr_decode(raw, &h), 0);
        assert_int_equal(h.type, hs[i].type);
        assert_int_equal(h.flags, hs[i].flags);
        assert_int_equal(h.payload_len, hs[i].payload_len);
        assert_int_equal(h.count, hs[i].count);
        assert_true(h.a == hs[i].a);
        assert_true(h.b == hs[i].b);
        assert_int_equal(h.payload_crc, hs[i].payload_crc);
    }
}

static void block_header_layout_is_little_endian_with_a_trailing_crc(void **state)
{
    (void)state;
    struct blog_hdr h = {BLOG_T_EVENTS, BLOG_FLAG_SKIPPABLE, 0x11223344u, 0x55667788u,
                         INT64_C(0x0102030405060708), -2, 0xA1B2C3D4u};
    unsigned char raw[BLOG_BLOCK_HEADER_LEN];
    blog_hdr_encode(&h, raw);
    static const unsigned char want[36] = {
        'F', 'B', 'L', 'K', 2, 1, 0, 0, 0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55,
        8, 7, 6, 5, 4, 3, 2, 1, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xD4, 0xC3, 0xB2, 0xA1};
    assert_memory_equal(raw, want, 36);
    uint32_t crc = (uint32_t)crc32(0L, raw, 36);
    unsigned char c[4] = {(unsigned char)crc, (unsigned char)(crc >> 8), (unsigned char)(crc >> 16),
                          (unsigned char)(crc >> 24)};
    assert_memory_equal(raw + 36, c, 4);
}

static void header_crc_catches_any_flipped_bit(void **state)
{
    (void)state;
    struct blog_hdr h = {BLOG_T_COMMIT, 0, 76, 10, 1, 16, 0x12345678u}, got;
    unsigned char raw[BLOG_BLOCK_HEADER_LEN];
    blog_hdr_encode(&h, raw);
    for (int i = 0; i < BLOG_BLOCK_HEADER_LEN * 8; i++) {
        raw[i / 8] ^= (unsigned char)(1u << (i % 8));
        if (blog_hdr_decode(raw, &got) == 0)
            fail_msg("bit %d of the header flipped and still accepted", i);
        raw[i / 8] ^= (unsigned char)(1u << (i % 8));
    }
    assert_int_equal(blog_hdr_decode(raw, &got), 0);
}

static void header_with_reserved_bytes_set_is_rejected_even_with_a_good_crc(void **state)
{
    (void)state;
    struct blog_hdr h = {BLOG_T_EVENTS, 0, 1, 1, 0, 0, 0}, got;
    unsigned char raw[BLOG_BLOCK_HEADER_LEN];
    blog_hdr_encode(&h, raw);
    raw[6] = 1;
    uint32_t crc = (uint32_t)crc32(0L, raw, 36);
    for (int k = 0; k < 4; k++)
        raw[36 + k] = (unsigned char)(crc >> (8 * k));
    assert_int_equal(blog_hdr_decode(raw, &got), -1);
}

static void block_append_writes_header_then_payload_with_its_crc(void **state)
{
    (void)state;
    struct buf b = {0};
    assert_int_equal(buf_append(&b, "xyz", 3), 0);
    const unsigned char pl[] = "payload bytes";
    assert_int_equal(blog_block_append(&b, BLOG_T_DICT, 0, 5, 3, 9, pl, sizeof pl), 0);
    assert_int_equal(b.len, 3 + BLOG_BLOCK_HEADER_LEN + sizeof pl);
    struct blog_hdr h;
    assert_int_equal(blog_hdr_decode(b.p + 3, &h), 0);
    assert_int_equal(h.type, BLOG_T_DICT);
    assert_int_equal(h.payload_len, sizeof pl);
    assert_int_equal(h.count, 5);
    assert_int_equal(h.a, 3);
    assert_int_equal(h.b, 9);
    assert_int_equal(h.payload_crc, (uint32_t)crc32(0L, pl, sizeof pl));
    assert_memory_equal(b.p + 3 + BLOG_BLOCK_HEADER_LEN, pl, sizeof pl);
    /* An empty payload is a valid block. */
    assert_int_equal(blog_block_append(&b, BLOG_T_EVENTS, 0, 0, 0, 0, NULL, 0), 0);
    assert_int_equal(blog_hdr_decode(b.p + b.len - BLOG_BLOCK_HEADER_LEN, &h), 0);
    assert_int_equal(h.payload_len, 0);
    /* A payload over the bound is refused before it is read. */
    size_t before = b.len;
    assert_int_not_equal(blog_block_append(&b, BLOG_T_EVENTS, 0, 0, 0, 0, pl,
                                           (size_t)BLOG_MAX_PAYLOAD + 1), 0);
    assert_int_equal(b.len, before);
    buf_free(&b);
}

static void file_header_is_magic_version_and_crc(void **state)
{
    (void)state;
    unsigned char h[BLOG_FILE_HEADER_LEN];
    blog_file_header(h);
    assert_memory_equal(h, "\x89" "FNL\r\n\x1a\n", 8);
    assert_int_equal(h[8] | h[9] << 8, BLOG_VERSION_MAJOR);
    assert_int_equal(h[10] | h[11] << 8, BLOG_VERSION_MINOR);
    uint32_t crc = (uint32_t)crc32(0L, h, 12);
    assert_int_equal((uint32_t)h[12] | (uint32_t)h[13] << 8 | (uint32_t)h[14] << 16 |
                         (uint32_t)h[15] << 24, crc);
}

static void commit_payload_round_trips(void **state)
{
    (void)state;
    struct blog_commit c, got;
    memset(&c, 0, sizeof c);
    c.offset = 123456789;
    c.total_events = UINT64_C(10000000000);
    for (int i = 0; i < 16; i++)
        c.fingerprint[i] = (unsigned char)(i * 17 + 1);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        c.dict_sizes[k] = 1000u * (unsigned)k + 1;
    c.flags = BLOG_COMMIT_F_ALLOW_DUP;
    unsigned char pl[BLOG_COMMIT_PAYLOAD_LEN];
    blog_commit_encode(&c, pl);
    struct blog_hdr h = {BLOG_T_COMMIT, 0, BLOG_COMMIT_PAYLOAD_LEN, 42, 7, 16, 0};
    memset(&got, 0, sizeof got);
    assert_int_equal(blog_commit_decode(pl, &h, &got), 0);
    assert_int_equal(got.seq, 7);
    assert_int_equal(got.start, 16);
    assert_int_equal(got.events, 42);
    assert_int_equal(got.offset, c.offset);
    assert_true(got.total_events == c.total_events);
    assert_memory_equal(got.fingerprint, c.fingerprint, 16);
    assert_memory_equal(got.dict_sizes, c.dict_sizes, sizeof c.dict_sizes);
    assert_int_equal(got.flags, c.flags);
    /* wrong payload length or a dictionary count of another version */
    h.payload_len--;
    assert_int_equal(blog_commit_decode(pl, &h, &got), -1);
    h.payload_len++;
    pl[32]++;
    assert_int_equal(blog_commit_decode(pl, &h, &got), -1);
}

/* ---- scans of files that hold no batch ---- */

static void scan_of_an_empty_file_finds_nothing_and_no_tail(void **state)
{
    (void)state;
    char p[128];
    tmp_path(p, sizeof p, "empty");
    write_file(p, "", 0);
    struct blog_scan s;
    scan_ok(p, &s);
    assert_int_equal(s.file_size, 0);
    assert_int_equal(s.has_header, 0);
    assert_int_equal(s.committed_end, 0);
    assert_int_equal(s.tail_len, 0);
    assert_int_equal(s.nblocks, 0);
    assert_int_equal(s.ncommits, 0);
    assert_int_equal(s.events, 0);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        assert_int_equal(s.dict_sizes[k], 1);
    blog_scan_free(&s);
}

static void scan_of_a_header_only_log_finds_no_batch(void **state)
{
    (void)state;
    char p[128];
    tmp_path(p, sizeof p, "hdr");
    unsigned char h[BLOG_FILE_HEADER_LEN];
    blog_file_header(h);
    write_file(p, h, sizeof h);
    struct blog_scan s;
    scan_ok(p, &s);
    assert_int_equal(s.has_header, 1);
    assert_int_equal(s.committed_end, BLOG_FILE_HEADER_LEN);
    assert_int_equal(s.tail_len, 0);
    assert_int_equal(s.ncommits, 0);
    assert_int_equal(s.events, 0);
    blog_scan_free(&s);
}

static void partial_file_header_is_a_torn_tail(void **state)
{
    (void)state;
    unsigned char h[BLOG_FILE_HEADER_LEN];
    blog_file_header(h);
    for (size_t n = 1; n < BLOG_FILE_HEADER_LEN; n++) {
        char p[128];
        tmp_path(p, sizeof p, "torn-hdr");
        write_file(p, h, n);
        struct blog_scan s;
        scan_ok(p, &s);
        assert_int_equal(s.has_header, 0);
        assert_int_equal(s.committed_end, 0);
        assert_int_equal(s.tail_len, (int64_t)n);
        assert_true(s.tail_reason[0] != '\0');
        assert_int_equal(s.ncommits, 0);
        blog_scan_free(&s);
    }
}

static void garbage_is_not_a_funnel_log(void **state)
{
    (void)state;
    const char *bad[] = {"time,entity,stage,channel\n1,a,b,sales\n", "x", "\x89" "FNX",
                         "\x89" "FNL\r\n\x1a\r"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char p[128];
        tmp_path(p, sizeof p, "garbage");
        write_file(p, bad[i], strlen(bad[i]));
        assert_corrupt_at(p, 0);
    }
}

/* What a power cut can leave of a header written into an empty file: zeros
 * or a torn header and nothing after it. No committed data can be there,
 * so it is an empty log with a torn tail, not "not a funnel log". */
static void a_header_of_zeros_or_a_torn_header_alone_is_a_torn_tail(void **state)
{
    (void)state;
    unsigned char h[BLOG_FILE_HEADER_LEN];
    char p[128];
    for (int zeros = 0; zeros < 2; zeros++) {
        blog_file_header(h);
        if (zeros)
            memset(h, 0, sizeof h);
        else
            h[13] ^= 1;
        tmp_path(p, sizeof p, zeros ? "zero-hdr" : "torn-crc");
        write_file(p, h, sizeof h);
        struct blog_scan s;
        scan_ok(p, &s);
        assert_int_equal(s.has_header, 0);
        assert_int_equal(s.committed_end, 0);
        assert_int_equal(s.tail_len, (int64_t)sizeof h);
        blog_scan_free(&s);
    }
}

static void file_header_with_a_bad_crc_or_a_newer_major_version_is_refused(void **state)
{
    (void)state;
    unsigned char h[2 * BLOG_FILE_HEADER_LEN] = {0};
    char p[128];
    blog_file_header(h);
    h[13] ^= 1;
    tmp_path(p, sizeof p, "badcrc");
    write_file(p, h, sizeof h);   /* bytes after the header: not a torn creation */
    assert_corrupt_at(p, 0);
    blog_file_header(h);
    h[8] = 2;
    uint32_t crc = (uint32_t)crc32(0L, h, 12);
    for (int k = 0; k < 4; k++)
        h[12 + k] = (unsigned char)(crc >> (8 * k));
    tmp_path(p, sizeof p, "v2");
    write_file(p, h, sizeof h);
    assert_corrupt_at(p, 0);
}

static void a_newer_minor_version_is_read(void **state)
{
    (void)state;
    unsigned char h[BLOG_FILE_HEADER_LEN];
    char p[128];
    blog_file_header(h);
    h[10] = 7;
    uint32_t crc = (uint32_t)crc32(0L, h, 12);
    for (int k = 0; k < 4; k++)
        h[12 + k] = (unsigned char)(crc >> (8 * k));
    tmp_path(p, sizeof p, "v1.7");
    write_file(p, h, sizeof h);
    struct blog_scan s;
    scan_ok(p, &s);
    assert_int_equal(s.has_header, 1);
    blog_scan_free(&s);
}

/* ---- committed batches ---- */

static void committed_batches_are_found_in_order(void **state)
{
    (void)state;
    char log[128];
    tmp_path(log, sizeof log, "three.flog");
    uint64_t ev[3];
    int64_t end[3];
    for (int i = 0; i < 3; i++) {
        ev[i] = append_rows(log, 200 + 100 * (unsigned)i, (unsigned)i + 1);
        end[i] = file_size(log);
    }
    struct blog_scan s;
    scan_ok(log, &s);
    assert_int_equal(s.ncommits, 3);
    assert_int_equal(s.committed_end, end[2]);
    assert_int_equal(s.file_size, end[2]);
    assert_int_equal(s.tail_len, 0);
    assert_int_equal(s.events, ev[0] + ev[1] + ev[2]);
    uint64_t total = 0;
    for (int i = 0; i < 3; i++) {
        const struct blog_commit *c = &s.commits[i];
        total += ev[i];
        assert_int_equal(c->seq, (uint64_t)i + 1);
        assert_int_equal(c->events, ev[i]);
        assert_int_equal(c->total_events, total);
        assert_int_equal(c->start, i ? end[i - 1] : BLOG_FILE_HEADER_LEN);
        assert_int_equal(c->offset, end[i] - COMMIT_LEN);
    }
    /* blocks are contiguous, in file order, up to the committed end */
    int64_t pos = BLOG_FILE_HEADER_LEN;
    uint64_t events = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < s.nblocks; i++) {
        assert_int_equal(s.blocks[i].offset, pos);
        pos += BLOG_BLOCK_HEADER_LEN + (int64_t)s.blocks[i].h.payload_len;
        if (s.blocks[i].h.type == BLOG_T_EVENTS) {
            events += s.blocks[i].h.count;
            lo = s.blocks[i].h.a < lo ? s.blocks[i].h.a : lo;
            hi = s.blocks[i].h.b > hi ? s.blocks[i].h.b : hi;
        }
    }
    assert_int_equal(pos, end[2]);
    assert_int_equal(events, s.events);
    assert_true(s.min_time == lo && s.max_time == hi);
    assert_true(lo >= 1700000000 && hi < 1705000000);
    assert_memory_equal(s.dict_sizes, s.commits[2].dict_sizes, sizeof s.dict_sizes);
    assert_true(s.dict_sizes[BLOG_D_ENTITY] > 100);
    /* the appender's reloaded dictionaries agree with the last commit */
    struct appender a;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(app_open(&a, log, NULL, &err), 0);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        assert_int_equal(dict_size(a.dicts[k]), s.dict_sizes[k]);
    app_close(&a);
    blog_scan_free(&s);
}

static void a_torn_tail_at_every_cut_of_the_last_batch_is_ignored(void **state)
{
    (void)state;
    char log[128], cut[128];
    tmp_path(log, sizeof log, "torn.flog");
    tmp_path(cut, sizeof cut, "cut.flog");
    uint64_t ev1 = append_rows(log, 300, 1);
    int64_t end1 = file_size(log);
    append_rows(log, 150, 2);
    int64_t end2 = file_size(log);
    assert_true(end2 - end1 > COMMIT_LEN + 2 * BLOG_BLOCK_HEADER_LEN);
    size_t n;
    unsigned char *whole = read_file(log, &n);
    for (int64_t len = end1; len < end2; len++) {
        write_file(cut, whole, (size_t)len);
        struct blog_scan s;
        scan_ok(cut, &s);
        if (s.ncommits != 1 || s.committed_end != end1 || s.tail_len != len - end1)
            fail_msg("cut at %lld: %zu commits, committed_end %lld, tail %lld", (long long)len,
                     s.ncommits, (long long)s.committed_end, (long long)s.tail_len);
        assert_int_equal(s.events, ev1);
        assert_int_equal(s.file_size, len);
        assert_true((s.tail_reason[0] != '\0') == (len > end1));
        assert_memory_equal(s.dict_sizes, s.commits[0].dict_sizes, sizeof s.dict_sizes);
        for (size_t i = 0; i < s.nblocks; i++)
            assert_true(s.blocks[i].offset < end1);
        blog_scan_free(&s);
    }
    free(whole);
}

static void an_append_after_a_torn_tail_cuts_it_and_commits(void **state)
{
    (void)state;
    char log[128];
    tmp_path(log, sizeof log, "reappend.flog");
    uint64_t ev1 = append_rows(log, 100, 1);
    int64_t end1 = file_size(log);
    append_rows(log, 100, 2);
    truncate_to(log, file_size(log) - 7);
    uint64_t ev3 = append_rows(log, 50, 3);
    struct blog_scan s;
    scan_ok(log, &s);
    assert_int_equal(s.ncommits, 2);
    assert_int_equal(s.tail_len, 0);
    assert_int_equal(s.events, ev1 + ev3);
    assert_int_equal(s.commits[1].start, end1);
    blog_scan_free(&s);
}

static void junk_after_the_last_commit_is_a_torn_tail(void **state)
{
    (void)state;
    char log[128];
    tmp_path(log, sizeof log, "junk.flog");
    append_rows(log, 50, 1);
    int64_t end = file_size(log);
    static const size_t lens[] = {1, 39, 40, 41, 200};
    unsigned char junk[200];
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++)
        for (int fill = 0; fill < 2; fill++) {
            truncate_to(log, end);
            memset(junk, fill ? 0xA5 : 0, sizeof junk);   /* zeros: a crash after an extend */
            int fd = open(log, O_WRONLY | O_APPEND);
            assert_true(fd >= 0);
            assert_int_equal(write(fd, junk, lens[k]), (ssize_t)lens[k]);
            close(fd);
            struct blog_scan s;
            scan_ok(log, &s);
            assert_int_equal(s.ncommits, 1);
            assert_int_equal(s.committed_end, end);
            assert_int_equal(s.tail_len, (int64_t)lens[k]);
            blog_scan_free(&s);
        }
}

/* ---- damage ---- */

static void a_damaged_block_before_a_later_commit_is_corruption_at_its_offset(void **state)
{
    (void)state;
    char log[128], bad[128];
    tmp_path(log, sizeof log, "mid.flog");
    tmp_path(bad, sizeof bad, "mid-bad.flog");
    append_rows(log, 200, 1);
    append_rows(log, 200, 2);
    struct blog_scan s;
    scan_ok(log, &s);
    /* every block of the first batch, its commit included, in turn */
    size_t first_batch_blocks = 0;
    while (s.blocks[first_batch_blocks].h.type != BLOG_T_COMMIT)
        first_batch_blocks++;
    first_batch_blocks++;
    assert_true(first_batch_blocks >= 3);
    for (size_t i = 0; i < first_batch_blocks; i++) {
        int64_t off = s.blocks[i].offset;
        /* a header byte, the header's CRC */
        int64_t where[] = {off + 4, off + 9, off + 20, off + 37};
        for (size_t w = 0; w < sizeof where / sizeof *where; w++) {
            copy_file(log, bad);
            flip_byte(bad, where[w], 0x10);
            assert_corrupt_at(bad, off);
        }
        if (s.blocks[i].h.type == BLOG_T_COMMIT) {
            /* the commit's payload is checked by the scan too */
            copy_file(log, bad);
            flip_byte(bad, off + BLOG_BLOCK_HEADER_LEN + 20, 0x01);
            assert_corrupt_at(bad, off);
        }
    }
    blog_scan_free(&s);
}

/* Event and dictionary payloads are checked by whoever reads them. */
static void a_damaged_payload_is_reported_by_blog_read_payload_with_its_offset(void **state)
{
    (void)state;
    char log[128];
    tmp_path(log, sizeof log, "payload.flog");
    append_rows(log, 200, 1);
    struct blog_scan s;
    scan_ok(log, &s);
    const struct blog_block *ev = NULL;
    for (size_t i = 0; i < s.nblocks; i++)
        if (s.blocks[i].h.type == BLOG_T_EVENTS)
            ev = &s.blocks[i];
    assert_non_null(ev);
    int fd = open(log, O_RDONLY);
    assert_true(fd >= 0);
    struct buf b = {0};
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(blog_read_payload(fd, log, ev, &b, &err), 0);
    assert_int_equal(b.len, ev->h.payload_len);
    flip_byte(log, ev->offset + BLOG_BLOCK_HEADER_LEN + ev->h.payload_len / 2, 0x40);
    struct blog_scan s2;
    scan_ok(log, &s2);
    blog_scan_free(&s2);
    fb_error_clear(&err);
    assert_int_equal(blog_read_payload(fd, log, ev, &b, &err), FB_ECORRUPT);
    assert_int_equal(err.offset, ev->offset);
    close(fd);
    buf_free(&b);
    blog_scan_free(&s);
}

static void every_damaged_byte_of_the_final_commit_is_corruption(void **state)
{
    (void)state;
    char log[128], bad[128];
    tmp_path(log, sizeof log, "final.flog");
    tmp_path(bad, sizeof bad, "final-bad.flog");
    append_rows(log, 20, 1);
    int64_t end = file_size(log), at = end - COMMIT_LEN;
    size_t n;
    unsigned char *whole = read_file(log, &n);
    for (int64_t off = at; off < end; off++)
        for (unsigned mask = 1; mask < 256; mask <<= 1) {
            whole[off] ^= (unsigned char)mask;
            write_file(bad, whole, n);
            whole[off] ^= (unsigned char)mask;
            struct blog_scan s;
            struct fb_error err;
            int rc = scan_path(bad, &s, &err);
            blog_scan_free(&s);
            if (rc != FB_ECORRUPT || err.offset != at)
                fail_msg("commit byte %lld ^ 0x%02x: rc %d offset %lld (%s)", (long long)(off - at),
                         mask, rc, (long long)err.offset, err.msg);
        }
    free(whole);
}

/* A damaged last commit followed by a torn tail: the tail proves the commit
 * was once complete (the next append starts only after it is synced), so
 * every bit of it, flipped, is corruption at its offset whatever follows
 * (docs/FORMAT.md §8.1, BAD).  The tails are the prefixes of a real next
 * append: every length up to its first block and one byte more, then its
 * blocks without the commit and with all but the commit's last byte. */
static void every_bit_of_the_last_commit_before_a_torn_tail_is_corruption(void **state)
{
    (void)state;
    char log[128], next[128], bad[128];
    tmp_path(log, sizeof log, "last.flog");
    tmp_path(next, sizeof next, "last-next.flog");
    tmp_path(bad, sizeof bad, "last-bad.flog");
    append_rows(log, 20, 1);
    append_rows(log, 20, 2);
    int64_t end = file_size(log), at = end - COMMIT_LEN;
    copy_file(log, next);
    append_rows(next, 20, 3);
    size_t n;
    unsigned char *whole = read_file(next, &n);
    struct blog_hdr h;
    assert_int_equal(blog_hdr_decode(whole + end, &h), 0);
    int64_t first = BLOG_BLOCK_HEADER_LEN + (int64_t)h.payload_len;
    int64_t data = (int64_t)n - end - COMMIT_LEN;
    assert_true(data > first);
    /* Every length up to the first block's end under STRESS=1 (make stress);
     * otherwise the first and last 8 of them and every 13th between, which
     * keeps every kind of tail (file header cut, block header cut, payload
     * cut, whole block) at a tenth of the scans: under ASan the full sweep
     * was 100 s of the CI budget. */
    const char *stress = getenv("STRESS");
    const int all = stress && *stress && strcmp(stress, "0") != 0;
    int64_t lens[1024];
    size_t nlens = 0;
    for (int64_t len = 0; len <= first + 1; len++)
        if (all || len < 8 || len > first - 8 || len % 13 == 0)
            lens[nlens++] = len;
    lens[nlens++] = data;
    lens[nlens++] = data + COMMIT_LEN - 1;
    assert_true(nlens <= sizeof lens / sizeof *lens);
    for (size_t l = 0; l < nlens; l++) {
        write_file(bad, whole, (size_t)(end + lens[l]));
        int fd = open(bad, O_RDWR);
        assert_true(fd >= 0);
        for (int64_t off = at; off < end; off++)
            for (unsigned mask = 1; mask < 256; mask <<= 1) {
                unsigned char b = whole[off] ^ (unsigned char)mask;
                assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
                struct blog_scan s;
                struct fb_error err;
                fb_error_clear(&err);
                int rc = blog_scan_fd(fd, bad, &s, &err);
                blog_scan_free(&s);
                if (rc != FB_ECORRUPT || err.offset != at)
                    fail_msg("tail %lld, commit byte %lld ^ 0x%02x: rc %d offset %lld (%s)",
                             (long long)lens[l], (long long)(off - at), mask, rc,
                             (long long)err.offset, rc ? err.msg : s.tail_reason);
                assert_int_equal(pwrite(fd, whole + off, 1, (off_t)off), 1);
            }
        /* unflipped, the same tail is what a crash leaves: a torn tail */
        struct blog_scan s;
        struct fb_error err;
        fb_error_clear(&err);
        assert_int_equal(blog_scan_fd(fd, bad, &s, &err), 0);
        assert_int_equal(s.committed_end, end);
        assert_int_equal(s.tail_len, lens[l]);
        blog_scan_free(&s);
        close(fd);
    }
    free(whole);
}

/* xorshift64 bytes, as the power-loss mode of cmd/fault_hook.c writes them. */
static void fill_garbage(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t x = 0x9E3779B97F4A7C15u ^ seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (unsigned char)x;
    }
}

/* What a power loss can leave after the last commit: the next batch's
 * blocks up to some point, then garbage to the end of the file (its commit
 * included).  Never corruption, even when the garbage starts at a block's
 * type byte with a 3, so that the block begins like a commit. */
static void intact_blocks_then_garbage_to_the_end_is_a_torn_tail(void **state)
{
    (void)state;
    char log[128], next[128];
    tmp_path(log, sizeof log, "pl.flog");
    tmp_path(next, sizeof next, "pl-next.flog");
    append_rows(log, 30, 1);
    int64_t end = file_size(log);
    copy_file(log, next);
    append_rows(next, 30, 2);
    size_t n;
    unsigned char *whole = read_file(next, &n);
    unsigned char *junk = malloc(n);
    assert_non_null(junk);
    int fd = open(next, O_RDWR);
    assert_true(fd >= 0);
    /* garbage from every offset of the next batch's blocks, and from its
     * commit's first byte (the commit is written after the data sync, so
     * power loss leaves all of it or none of it unsynced) */
    for (int64_t from = end; from <= (int64_t)n - COMMIT_LEN; from++)
        for (int forced = 0; forced < 2; forced++) {
            size_t len = n - (size_t)from;
            fill_garbage(junk, len, (uint64_t)from);
            if (forced)
                junk[0] = BLOG_T_COMMIT;   /* a header's type byte turned 3 */
            assert_int_equal(pwrite(fd, junk, len, (off_t)from), (ssize_t)len);
            struct blog_scan s;
            struct fb_error err;
            fb_error_clear(&err);
            int rc = blog_scan_fd(fd, next, &s, &err);
            if (rc != 0 || s.ncommits != 1 || s.committed_end != end)
                fail_msg("garbage from %lld%s: rc %d at %lld, %zu commits (%s)", (long long)from,
                         forced ? " (first byte 3)" : "", rc, (long long)err.offset, s.ncommits,
                         rc ? err.msg : s.tail_reason);
            blog_scan_free(&s);
            assert_int_equal(pwrite(fd, whole + from, len, (off_t)from), (ssize_t)len);
        }
    close(fd);
    free(junk);
    free(whole);
}

/* Damage that leaves neither the magic nor the self-offset of the last
 * commit: an intact block after it still shows that a commit was there;
 * without one, it is taken for a torn tail (docs/FORMAT.md §12). */
static void an_intact_block_after_an_unreadable_one_is_corruption(void **state)
{
    (void)state;
    struct buf b = {0};
    craft_file_header(&b);
    craft_block(&b, BLOG_T_DICT, 0, "d");
    craft_commit(&b, 1, BLOG_FILE_HEADER_LEN, 0);
    int64_t end1 = (int64_t)b.len;
    craft_block(&b, BLOG_T_DICT, 0, "e");
    int64_t at = (int64_t)b.len;
    craft_commit(&b, 2, end1, 0);
    memset(b.p + at, 0, BLOG_BLOCK_HEADER_LEN + 8);   /* magic, type, self-offset gone */
    int64_t end2 = (int64_t)b.len;
    craft_block(&b, BLOG_T_DICT, 0, "the next append's first block");
    int64_t next_end = (int64_t)b.len;
    char p[128];
    tmp_path(p, sizeof p, "intact-after.flog");
    for (int64_t len = end2; len <= next_end; len++) {
        write_file(p, b.p, (size_t)len);
        struct blog_scan s;
        struct fb_error err;
        int rc = scan_path(p, &s, &err);
        int want_corrupt = len == next_end;
        if (want_corrupt ? rc != FB_ECORRUPT || err.offset != at
                         : rc != 0 || s.committed_end != end1)
            fail_msg("cut at %lld: rc %d, offset %lld, committed_end %lld (%s)", (long long)len, rc,
                     (long long)err.offset, (long long)s.committed_end, rc ? err.msg : s.tail_reason);
        blog_scan_free(&s);
    }
    buf_free(&b);
}

/* A damaged block before a later commit that sits across the 1 MiB window
 * the search for later commits reads in: still damage, never a torn tail
 * (a torn tail is cut by the next append, which would drop a batch). */
static void a_later_commit_across_a_search_window_boundary_is_still_found(void **state)
{
    (void)state;
    for (int64_t k = 1; k <= 5; k++) {
        struct buf b = {0};
        craft_file_header(&b);
        int64_t bad_at = (int64_t)b.len;
        /* zeros where a block header should be, up to the later commit */
        int64_t commit_at = bad_at + 1 + (INT64_C(1) << 20) - k;
        assert_int_equal(buf_reserve(&b, (size_t)(commit_at - bad_at)), 0);
        memset(b.p + b.len, 0, (size_t)(commit_at - bad_at));
        b.len = (size_t)commit_at;
        craft_commit(&b, 1, BLOG_FILE_HEADER_LEN, 0);
        char p[128];
        tmp_path(p, sizeof p, "window.flog");
        write_file(p, b.p, b.len);
        struct blog_scan s;
        struct fb_error err;
        int rc = scan_path(p, &s, &err);
        blog_scan_free(&s);
        if (rc != FB_ECORRUPT || err.offset != bad_at)
            fail_msg("commit %lld bytes before the window's end: rc %d, offset %lld, tail %s", (long long)k,
                     rc, (long long)err.offset, s.tail_reason);
        unlink(p);
        buf_free(&b);
    }
}

/* An intact block after a damaged one whose payload runs past the window
 * the search reads: its CRC is checked over the whole payload, read in
 * pieces.  Intact, it makes the log corrupt; with one payload byte
 * changed it is no evidence, and the file is a torn tail. */
static void an_intact_block_past_the_search_window_is_checked_in_full(void **state)
{
    (void)state;
    struct buf b = {0};
    craft_file_header(&b);
    int64_t bad_at = (int64_t)b.len;
    int64_t block_at = bad_at + (INT64_C(1) << 20) - 50;
    assert_int_equal(buf_reserve(&b, (size_t)(block_at - bad_at)), 0);
    memset(b.p + b.len, 0, (size_t)(block_at - bad_at));   /* no header at bad_at */
    b.len = (size_t)block_at;
    static char payload[70000];
    for (size_t i = 0; i + 1 < sizeof payload; i++)
        payload[i] = (char)('a' + i % 26);
    craft_block(&b, BLOG_T_EVENTS, 0, payload);
    char p[128];
    tmp_path(p, sizeof p, "wide.flog");
    write_file(p, b.p, b.len);
    struct blog_scan s;
    struct fb_error err;
    int rc = scan_path(p, &s, &err);
    blog_scan_free(&s);
    if (rc != FB_ECORRUPT || err.offset != bad_at)
        fail_msg("intact block past the window: rc %d, offset %lld", rc, (long long)err.offset);
    b.p[b.len - 1] ^= 0x20;
    write_file(p, b.p, b.len);
    scan_ok(p, &s);
    assert_int_equal(s.committed_end, BLOG_FILE_HEADER_LEN);
    assert_int_equal(s.tail_len, (int64_t)b.len - BLOG_FILE_HEADER_LEN);
    blog_scan_free(&s);
    buf_free(&b);
}

static void a_commit_with_the_wrong_sequence_or_start_is_not_accepted(void **state)
{
    (void)state;
    struct buf b = {0};
    char p[128];
    /* seq 2 as the first commit */
    craft_file_header(&b);
    craft_block(&b, BLOG_T_DICT, 0, "d");
    craft_commit(&b, 2, BLOG_FILE_HEADER_LEN, 0);
    tmp_path(p, sizeof p, "seq.flog");
    write_file(p, b.p, b.len);
    assert_corrupt_at(p, BLOG_FILE_HEADER_LEN + BLOG_BLOCK_HEADER_LEN + 1);
    /* start pointing past the batch's first block */
    b.len = 0;
    craft_file_header(&b);
    craft_block(&b, BLOG_T_DICT, 0, "d");
    craft_commit(&b, 1, BLOG_FILE_HEADER_LEN + 1, 0);
    tmp_path(p, sizeof p, "start.flog");
    write_file(p, b.p, b.len);
    assert_corrupt_at(p, BLOG_FILE_HEADER_LEN + BLOG_BLOCK_HEADER_LEN + 1);
    /* and the well-formed version of the same log */
    b.len = 0;
    craft_file_header(&b);
    craft_block(&b, BLOG_T_DICT, 0, "d");
    craft_commit(&b, 1, BLOG_FILE_HEADER_LEN, 0);
    tmp_path(p, sizeof p, "good.flog");
    write_file(p, b.p, b.len);
    struct blog_scan s;
    scan_ok(p, &s);
    assert_int_equal(s.ncommits, 1);
    assert_int_equal(s.nblocks, 2);
    blog_scan_free(&s);
    buf_free(&b);
}

static void a_payload_length_past_the_bound_is_a_bad_block(void **state)
{
    (void)state;
    struct buf b = {0};
    craft_file_header(&b);
    struct blog_hdr h = {BLOG_T_EVENTS, 0, BLOG_MAX_PAYLOAD + 1, 1, 0, 0, 0};
    assert_int_equal(buf_reserve(&b, BLOG_BLOCK_HEADER_LEN), 0);
    blog_hdr_encode(&h, b.p + b.len);
    b.len += BLOG_BLOCK_HEADER_LEN;
    char p[128];
    tmp_path(p, sizeof p, "huge.flog");
    write_file(p, b.p, b.len);
    struct blog_scan s;
    scan_ok(p, &s);        /* nothing commits after it: a torn tail */
    assert_int_equal(s.tail_len, BLOG_BLOCK_HEADER_LEN);
    blog_scan_free(&s);
    craft_commit(&b, 1, BLOG_FILE_HEADER_LEN, 0);
    write_file(p, b.p, b.len);
    assert_corrupt_at(p, BLOG_FILE_HEADER_LEN);
    buf_free(&b);
}

/* ---- block types ---- */

static void an_unknown_block_type_that_is_not_skippable_is_refused(void **state)
{
    (void)state;
    struct buf b = {0};
    craft_file_header(&b);
    craft_block(&b, BLOG_T_DICT, 0, "dict");
    int64_t unknown_at = (int64_t)b.len;
    craft_block(&b, 9, 0, "from the future");
    craft_commit(&b, 1, BLOG_FILE_HEADER_LEN, 0);
    char p[128];
    tmp_path(p, sizeof p, "unknown.flog");
    write_file(p, b.p, b.len);
    assert_corrupt_at(p, unknown_at);
    buf_free(&b);
}

static void an_unknown_skippable_block_type_is_skipped(void **state)
{
    (void)state;
    struct buf b = {0};
    craft_file_header(&b);
    craft_block(&b, 9, BLOG_FLAG_SKIPPABLE, "an index from the future");
    craft_block(&b, 200, BLOG_FLAG_SKIPPABLE | 0x80, "");
    craft_commit(&b, 1, BLOG_FILE_HEADER_LEN, 0);
    int64_t end1 = (int64_t)b.len;
    craft_block(&b, 9, BLOG_FLAG_SKIPPABLE, "more");
    craft_commit(&b, 2, end1, 0);
    char p[128];
    tmp_path(p, sizeof p, "skippable.flog");
    write_file(p, b.p, b.len);
    struct blog_scan s;
    scan_ok(p, &s);
    assert_int_equal(s.ncommits, 2);
    assert_int_equal(s.committed_end, (int64_t)b.len);
    assert_int_equal(s.tail_len, 0);
    assert_int_equal(s.events, 0);
    assert_int_equal(s.nblocks, 5);
    assert_int_equal(s.blocks[0].h.type, 9);
    assert_int_equal(s.blocks[1].h.type, 200);
    blog_scan_free(&s);
    buf_free(&b);
}

/* ---- dictionaries (core/log/dictblock.h) ---- */

static int load_dicts(const char *path, struct dict **d, struct fb_error *err)
{
    struct blog_scan s;
    int rc = scan_path(path, &s, err);
    if (rc == 0) {
        for (int k = 0; k < BLOG_D_COUNT; k++)
            d[k] = dict_new(k == BLOG_D_ATTR_NAME);
        int fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        rc = dictblock_load(fd, path, &s, (1u << BLOG_D_COUNT) - 1, d, err);
        close(fd);
    } else {
        memset(d, 0, BLOG_D_COUNT * sizeof *d);
    }
    blog_scan_free(&s);
    return rc;
}

static void free_dicts(struct dict **d)
{
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(d[k]);
}

static void dictionaries_round_trip_through_dict_blocks(void **state)
{
    (void)state;
    struct dict *src[BLOG_D_COUNT];
    for (int k = 0; k < BLOG_D_COUNT; k++)
        src[k] = dict_new(k == BLOG_D_ATTR_NAME);
    char s[32];
    uint32_t id, sizes[BLOG_D_COUNT];
    /* more than one DICT block's worth of entities */
    for (uint32_t i = 0; i < BLOG_DICT_MAX_ENTRIES + 5000; i++) {
        int n = snprintf(s, sizeof s, "E%08u", i * 7919u);
        assert_int_equal(dict_intern(src[BLOG_D_ENTITY], s, (size_t)n, &id, NULL), 0);
    }
    assert_int_equal(dict_intern(src[BLOG_D_STAGE], "a\0b", 3, &id, NULL), 0);
    assert_int_equal(dict_intern(src[BLOG_D_STAGE], "Suspect", 7, &id, NULL), 0);
    assert_int_equal(dict_intern(src[BLOG_D_ATTR_NAME], "Segment", 7, &id, NULL), 0);
    char big[BLOG_MAX_STRING];
    memset(big, 'z', sizeof big);
    assert_int_equal(dict_intern(src[BLOG_D_ATTR_VALUE], big, sizeof big, &id, NULL), 0);
    struct buf b = {0};
    craft_file_header(&b);
    for (int k = 0; k < BLOG_D_COUNT; k++) {
        assert_int_equal(dictblock_write(src[k], k, 1, &b), 0);
        sizes[k] = dict_size(src[k]);
    }
    craft_commit_sizes(&b, 1, BLOG_FILE_HEADER_LEN, 0, sizes);
    char p[128];
    tmp_path(p, sizeof p, "dicts.flog");
    write_file(p, b.p, b.len);
    struct blog_scan sc;
    scan_ok(p, &sc);
    size_t ndict = 0;
    for (size_t i = 0; i < sc.nblocks; i++)
        ndict += sc.blocks[i].h.type == BLOG_T_DICT;
    assert_int_equal(ndict, 2 + 1 + 1 + 1);   /* entity x2, stage, attr name, attr value */
    blog_scan_free(&sc);
    struct dict *got[BLOG_D_COUNT];
    struct fb_error err;
    int rc = load_dicts(p, got, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    for (int k = 0; k < BLOG_D_COUNT; k++) {
        assert_int_equal(dict_size(got[k]), dict_size(src[k]));
        for (uint32_t i = 0; i < dict_size(src[k]); i++) {
            size_t n1, n2;
            const char *a = dict_str(src[k], i, &n1), *c = dict_str(got[k], i, &n2);
            assert_int_equal(n1, n2);
            assert_memory_equal(a, c, n1 + (n1 == 0));
        }
    }
    free_dicts(got);
    /* a second batch adds only what is new since its base sizes */
    b.len -= COMMIT_LEN;    /* drop the commit, re-add both batches */
    craft_commit_sizes(&b, 1, BLOG_FILE_HEADER_LEN, 0, sizes);
    int64_t end1 = (int64_t)b.len;
    assert_int_equal(dict_intern(src[BLOG_D_STAGE], "prospect", 8, &id, NULL), 0);
    assert_int_equal(dictblock_write(src[BLOG_D_STAGE], BLOG_D_STAGE, sizes[BLOG_D_STAGE], &b), 0);
    sizes[BLOG_D_STAGE]++;
    craft_commit_sizes(&b, 2, end1, 0, sizes);
    write_file(p, b.p, b.len);
    rc = load_dicts(p, got, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_int_equal(dict_size(got[BLOG_D_STAGE]), 4);
    assert_true(dict_find(got[BLOG_D_STAGE], "prospect", 8, &id) && id == 3);
    free_dicts(got);
    free_dicts(src);
    buf_free(&b);
}

static void dict_blocks_out_of_order_or_short_of_the_commit_are_corruption(void **state)
{
    (void)state;
    struct dict *d = dict_new(0);
    uint32_t id, sizes[BLOG_D_COUNT];
    assert_int_equal(dict_intern(d, "x", 1, &id, NULL), 0);
    assert_int_equal(dict_intern(d, "y", 1, &id, NULL), 0);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        sizes[k] = 1;
    sizes[BLOG_D_ENTITY] = 3;
    struct dict *got[BLOG_D_COUNT];
    struct fb_error err;
    char p[128];
    struct buf b = {0};
    /* ids 1..2 given twice */
    craft_file_header(&b);
    assert_int_equal(dictblock_write(d, BLOG_D_ENTITY, 1, &b), 0);
    assert_int_equal(dictblock_write(d, BLOG_D_ENTITY, 1, &b), 0);
    craft_commit_sizes(&b, 1, BLOG_FILE_HEADER_LEN, 0, sizes);
    tmp_path(p, sizeof p, "twice.flog");
    write_file(p, b.p, b.len);
    assert_int_equal(load_dicts(p, got, &err), FB_ECORRUPT);
    assert_int_equal(err.offset, BLOG_FILE_HEADER_LEN + (int64_t)(b.len - COMMIT_LEN - BLOG_FILE_HEADER_LEN) / 2);
    free_dicts(got);
    /* starting at id 2: id 1 is missing */
    b.len = 0;
    craft_file_header(&b);
    assert_int_equal(dictblock_write(d, BLOG_D_ENTITY, 2, &b), 0);
    craft_commit_sizes(&b, 1, BLOG_FILE_HEADER_LEN, 0, sizes);
    tmp_path(p, sizeof p, "gap.flog");
    write_file(p, b.p, b.len);
    assert_int_equal(load_dicts(p, got, &err), FB_ECORRUPT);
    free_dicts(got);
    /* the commit says 4 strings, the blocks hold 3 */
    sizes[BLOG_D_ENTITY] = 4;
    b.len = 0;
    craft_file_header(&b);
    assert_int_equal(dictblock_write(d, BLOG_D_ENTITY, 1, &b), 0);
    craft_commit_sizes(&b, 1, BLOG_FILE_HEADER_LEN, 0, sizes);
    tmp_path(p, sizeof p, "short.flog");
    write_file(p, b.p, b.len);
    assert_int_equal(load_dicts(p, got, &err), FB_ECORRUPT);
    free_dicts(got);
    dict_free(d);
    buf_free(&b);
}

/* The format holds strings of at most BLOG_MAX_STRING bytes; a longer one
 * must never reach the file, where every later load would refuse the log. */
static void a_dictionary_string_over_65535_bytes_is_never_written(void **state)
{
    (void)state;
    struct dict *d = dict_new(0);
    uint32_t id;
    char *big = malloc(BLOG_MAX_STRING + 1);
    assert_non_null(big);
    memset(big, 'z', BLOG_MAX_STRING + 1);
    assert_int_equal(dict_intern(d, big, BLOG_MAX_STRING + 1, &id, NULL), 0);
    struct buf b = {0};
    assert_int_not_equal(dictblock_write(d, BLOG_D_ATTR_VALUE, 1, &b), 0);
    free(big);
    buf_free(&b);
    dict_free(d);
}

/* `cat` writes one column per attribute name of the log, and a batch holds
 * at most INGEST_MAX_ATTRS columns: so the log as a whole holds at most that
 * many names, or `cat old | append new -` would fail (200 names in one
 * batch and 200 others in the next once made such a log). */
static void a_log_holds_at_most_as_many_attribute_names_as_a_batch(void **state)
{
    (void)state;
    char log[128];
    struct fb_error err;
    tmp_path(log, sizeof log, "attrs.flog");
    assert_int_equal(append_attrs(log, "a", 200, &err), 0);
    int64_t size = file_size(log);
    /* 200 + 200 is refused, naming the first name past the limit */
    assert_int_equal(append_attrs(log, "b", 200, &err), FB_EINPUT);
    if (!strstr(err.msg, "attribute column \"b49\" would be attribute name 249 of the log, which holds at most 248"))
        fail_msg("message: %s", err.msg);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 4 + 49);
    assert_int_equal(file_size(log), size);
    /* up to the limit is fine; then no new name, but known ones still are */
    assert_int_equal(append_attrs(log, "b", 48, &err), 0);
    assert_int_equal(append_attrs(log, "c", 1, &err), FB_EINPUT);
    assert_int_equal(append_attrs(log, "a", 200, &err), 0);   /* a1..a200 again */
    assert_int_equal(append_attrs(log, "B", 48, &err), 0);    /* names fold case */
    struct dict *d[BLOG_D_COUNT];
    assert_int_equal(load_dicts(log, d, &err), 0);
    assert_int_equal(dict_size(d[BLOG_D_ATTR_NAME]), 1 + INGEST_MAX_ATTRS);
    free_dicts(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(block_header_round_trips),
        cmocka_unit_test(batch_spilled_to_a_file_is_the_same_bytes_as_one_in_memory),
        cmocka_unit_test(block_header_layout_is_little_endian_with_a_trailing_crc),
        cmocka_unit_test(header_crc_catches_any_flipped_bit),
        cmocka_unit_test(header_with_reserved_bytes_set_is_rejected_even_with_a_good_crc),
        cmocka_unit_test(block_append_writes_header_then_payload_with_its_crc),
        cmocka_unit_test(file_header_is_magic_version_and_crc),
        cmocka_unit_test(commit_payload_round_trips),
        cmocka_unit_test(scan_of_an_empty_file_finds_nothing_and_no_tail),
        cmocka_unit_test(scan_of_a_header_only_log_finds_no_batch),
        cmocka_unit_test(partial_file_header_is_a_torn_tail),
        cmocka_unit_test(garbage_is_not_a_funnel_log),
        cmocka_unit_test(a_header_of_zeros_or_a_torn_header_alone_is_a_torn_tail),
        cmocka_unit_test(file_header_with_a_bad_crc_or_a_newer_major_version_is_refused),
        cmocka_unit_test(a_newer_minor_version_is_read),
        cmocka_unit_test(committed_batches_are_found_in_order),
        cmocka_unit_test(a_torn_tail_at_every_cut_of_the_last_batch_is_ignored),
        cmocka_unit_test(an_append_after_a_torn_tail_cuts_it_and_commits),
        cmocka_unit_test(junk_after_the_last_commit_is_a_torn_tail),
        cmocka_unit_test(a_damaged_block_before_a_later_commit_is_corruption_at_its_offset),
        cmocka_unit_test(a_damaged_payload_is_reported_by_blog_read_payload_with_its_offset),
        cmocka_unit_test(every_damaged_byte_of_the_final_commit_is_corruption),
        cmocka_unit_test(every_bit_of_the_last_commit_before_a_torn_tail_is_corruption),
        cmocka_unit_test(intact_blocks_then_garbage_to_the_end_is_a_torn_tail),
        cmocka_unit_test(an_intact_block_after_an_unreadable_one_is_corruption),
        cmocka_unit_test(a_later_commit_across_a_search_window_boundary_is_still_found),
        cmocka_unit_test(an_intact_block_past_the_search_window_is_checked_in_full),
        cmocka_unit_test(a_commit_with_the_wrong_sequence_or_start_is_not_accepted),
        cmocka_unit_test(a_payload_length_past_the_bound_is_a_bad_block),
        cmocka_unit_test(an_unknown_block_type_that_is_not_skippable_is_refused),
        cmocka_unit_test(an_unknown_skippable_block_type_is_skipped),
        cmocka_unit_test(dictionaries_round_trip_through_dict_blocks),
        cmocka_unit_test(dict_blocks_out_of_order_or_short_of_the_commit_are_corruption),
        cmocka_unit_test(a_dictionary_string_over_65535_bytes_is_never_written),
        cmocka_unit_test(a_log_holds_at_most_as_many_attribute_names_as_a_batch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
