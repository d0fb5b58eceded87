/* test_nomem.c - out of memory is an error code, never a crash or a leak
 * (STYLE.md 7; docs/RELIABILITY.md "Line coverage (llvm-cov)").  Each
 * operation of the CSV, block and log paths is run again and again with
 * its Nth allocation failing, for N = 1, 2, ... until it runs without
 * meeting the failure; every time it must return its
 * documented out-of-memory code (or, from a system call that needed memory,
 * FB_EIO naming ENOMEM) and, once cleaned up, hold no memory.
 *
 * The failures come from malloc, calloc, realloc and free defined here,
 * which count and pass on to glibc's own (__libc_malloc ...): the whole
 * process, zlib, libcsv and the encoder thread included, calls them.  Under
 * AddressSanitizer (make asan) its allocator owns those names, so the tests
 * are skipped there. */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "appender.h"
#include "blocklog.h"
#include "csvin.h"
#include "dict.h"
#include "dictblock.h"
#include "evblock.h"
#include "ingest.h"
#include "logcheck.h"
#include "replay.h"

#if defined(__SANITIZE_ADDRESS__)
#define NOMEM_HOOK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOMEM_HOOK 0
#endif
#endif
#ifndef NOMEM_HOOK
#define NOMEM_HOOK 1
#endif

static atomic_long countdown;   /* > 0: the call that brings it to 0 fails */
static atomic_long live;        /* blocks allocated and not freed */
static atomic_int failed;       /* the armed failure happened */
static void *fail_site;         /* the caller of the failed allocation */

#if NOMEM_HOOK
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void __libc_free(void *p);

static int fail_at(void *site)
{
    if (atomic_load(&countdown) <= 0 || atomic_fetch_sub(&countdown, 1) != 1)
        return 0;
    fail_site = site;
    atomic_store(&failed, 1);
    errno = ENOMEM;   /* as glibc's malloc does: strdup, fopen ... pass it on */
    return 1;
}
#define fail_now() fail_at(__builtin_return_address(0))

static void *counted(void *p)
{
    if (p)
        atomic_fetch_add(&live, 1);
    return p;
}

void *malloc(size_t n) { return fail_now() ? NULL : counted(__libc_malloc(n)); }
void *calloc(size_t n, size_t size) { return fail_now() ? NULL : counted(__libc_calloc(n, size)); }

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    return fail_now() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
    if (p)
        atomic_fetch_sub(&live, 1);
    __libc_free(p);
}

/* glibc allocates some of its own blocks aligned, and frees them with free. */
int posix_memalign(void **out, size_t align, size_t n)
{
    if (fail_now())
        return ENOMEM;
    void *p = counted(__libc_memalign(align, n));
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) { return fail_now() ? NULL : counted(__libc_memalign(align, n)); }
void *memalign(size_t align, size_t n) { return fail_now() ? NULL : counted(__libc_memalign(align, n)); }
#endif

/* One operation under test: returns 0 or an FB_E* code, and frees all it
 * allocated in either case.  err gets the message. */
typedef int (*op_fn)(void *ctx, struct fb_error *err);

/* The code an allocation failure may give: FB_ENOMEM, or FB_EIO when a
 * system call said ENOMEM (the message then says so). */
static int is_oom(int rc, const struct fb_error *err)
{
    return rc == FB_ENOMEM || (rc == FB_EIO && strstr(err->msg, strerror(ENOMEM)) != NULL);
}

/* Where the failed allocation was called from, for addr2line. */
static const char *site(void)
{
    static char b[300];
    Dl_info i;
    if (fail_site && dladdr(fail_site, &i) && i.dli_fname)
        snprintf(b, sizeof b, "called from %s+0x%lx", i.dli_fname,
                 (unsigned long)((char *)fail_site - (char *)i.dli_fbase));
    else
        snprintf(b, sizeof b, "called from %p", fail_site);
    return b;
}

/* Fail the 1st, 2nd, ... allocation of op until one run meets no failure.
 * Returns the number of allocations op made. */
static long every_allocation_fails_cleanly(const char *name, op_fn op, void *ctx)
{
    struct fb_error err;
    fb_error_clear(&err);
    /* A first run fills glibc's lazy caches (stdio, locale, thread stacks). */
    int rc = op(ctx, &err);
    if (rc != 0)
        fail_msg("%s: %d without any failure: %s", name, rc, err.msg);
    for (long n = 1;; n++) {
        long before = atomic_load(&live);
        atomic_store(&failed, 0);
        fb_error_clear(&err);
        atomic_store(&countdown, n);
        rc = op(ctx, &err);
        atomic_store(&countdown, 0);
        long leaked = atomic_load(&live) - before;
        if (leaked != 0)
            fail_msg("%s: allocation %ld (%s) failed: %ld blocks leaked (rc %d: %s)", name, n, site(),
                     leaked, rc, err.msg);
        if (!atomic_load(&failed)) {
            if (rc != 0)
                fail_msg("%s: %d with no failure: %s", name, rc, err.msg);
            print_message("%s: each of %ld allocations failed in turn\n", name, n - 1);
            assert_true(n > 1);   /* the hook was reached */
            return n - 1;
        }
        /* Success is fine too where the code retried (libcsv halves its
         * buffer growth on a failed realloc): each op checks its result. */
        if (rc != 0 && !is_oom(rc, &err))
            fail_msg("%s: allocation %ld (%s) failed, got %d: \"%s\"", name, n, site(), rc, err.msg);
    }
}

static int skip_under_asan(void)
{
    if (!NOMEM_HOOK) {
        print_message("allocation failures are not injected under AddressSanitizer\n");
        skip();
    }
    return 0;
}

/* ---- inputs ---- */

static const char csv[] =
    "time,entity,stage,channel,touch,outcome,amount,segment,Source\r\n"
    "2024-01-02,e1,suspect,marketing,web,,,smb,ads\r\n"
    "2024-01-03T10:00:00+02:00,e1,engaged,sales,call,lost,120.50,smb,\"a, \"\"quoted\"\"\nvalue\"\r\n"
    "2024-01-04,e2,suspect,marketing,mail,,,ent,ads\r\n"
    "2024-01-05,e2,bogus-row,nowhere,,,,,\r\n";

static int memfd_of(const char *s, size_t n)
{
    int fd = memfd_create("nomem", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static char dir[64];
static char base_log[128];   /* two batches, written in setup */

/* ---- operations ---- */

static int count_rec(void *ctx, const struct csvin_rec *r, struct fb_error *err)
{
    (void)r;
    (void)err;
    ++*(int *)ctx;
    return 0;
}

static int op_csvin(void *ctx, struct fb_error *err)
{
    (void)ctx;
    int fd = memfd_of(csv, sizeof csv - 1), n = 0;
    int rc = csvin_read(fd, "in.csv", count_rec, &n, NULL, err);
    close(fd);
    assert_true(rc != 0 || n == 5);
    return rc;
}

static int reject_ok(void *ctx, const struct fb_error *e, const struct csvin_rec *r)
{
    (void)ctx;
    (void)e;
    (void)r;
    return 0;
}

static void free_dicts(struct dict **d)
{
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(d[k]);
}

static int new_dicts(struct dict **d, struct fb_error *err)
{
    int ok = 1;
    for (int k = 0; k < BLOG_D_COUNT; k++)
        ok &= (d[k] = dict_new(k == BLOG_D_ATTR_NAME)) != NULL;
    if (ok)
        return 0;
    free_dicts(d);
    return fb_fail(err, FB_ENOMEM, "out of memory");
}

/* A CSV input and what ingesting it must give. */
struct input {
    const char *text;
    size_t len;
    uint64_t events, rejected;
    size_t spill;   /* spill limit (0: the default, nothing spills) */
};

static const struct input small_csv = {csv, sizeof csv - 1, 3, 1, 0};
/* The same with every EVENTS block going through the spill file. */
static const struct input small_spilled = {csv, sizeof csv - 1, 3, 1, 1};

/* A whole batch of `in` as `funnel append` builds it, DICT blocks into out.
 * keep (may be NULL) gets the ingest, holding the EVENTS blocks, on success. */
static int build_batch(const struct input *inp, struct dict **d, const uint32_t *base,
                       struct buf *out, unsigned char fp[16], struct ingest **keep,
                       struct fb_error *err)
{
    struct ingest_opts o = {.level = 1, .on_reject = reject_ok,
                            .spill = {.dir = dir, .limit = inp->spill}};
    struct ingest *in = ingest_new(d, &o);
    if (!in)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int fd = memfd_of(inp->text, inp->len);
    int rc = ingest_file(in, fd, "in.csv", err);
    if (rc == 0)
        rc = ingest_finish(in, base, out, fp, err);
    assert_true(rc != 0 ||
                (ingest_events(in) == inp->events && ingest_rejected(in) == inp->rejected));
    close(fd);
    if (keep && rc == 0)
        *keep = in;
    else
        ingest_free(in);
    return rc;
}

/* ctx: the struct input to ingest into fresh dictionaries. */
static int op_ingest(void *ctx, struct fb_error *err)
{
    struct dict *d[BLOG_D_COUNT];
    int rc = new_dicts(d, err);
    if (rc)
        return rc;
    uint32_t base[BLOG_D_COUNT];
    for (int k = 0; k < BLOG_D_COUNT; k++)
        base[k] = dict_size(d[k]);
    struct buf out = {0};
    unsigned char fp[16];
    rc = build_batch(ctx, d, base, &out, fp, NULL, err);
    buf_free(&out);
    free_dicts(d);
    return rc;
}

static int op_evblock(void *ctx, struct fb_error *err)
{
    (void)ctx;
    struct evb_cols c = {0}, back = {0};
    struct evb_scratch s = {0};
    struct buf out = {0};
    uint32_t sizes[BLOG_D_COUNT];
    int64_t lo, hi;
    for (int k = 0; k < BLOG_D_COUNT; k++)
        sizes[k] = 1000;
    int rc = evb_cols_init(&c, 300, 2);
    if (rc == 0)
        rc = evb_cols_init(&back, BLOG_EVENTS_PER_BLOCK, 0);
    if (rc == 0) {
        c.n = 300;
        c.att_name[0] = 1;
        c.att_name[1] = 2;
        for (uint32_t i = 0; i < c.n; i++) {
            c.time[i] = 1700000000 + (int64_t)((i * 7919u) % 1000) * 60;
            for (int k = 0; k < EVB_NIDS; k++)
                c.ids[k][i] = (i * (k + 3)) % 999 + 1;
            c.att[0][i] = i % 7;
            c.att[1][i] = i % 300;
        }
        rc = evb_encode(&c, 1, &s, &out, &lo, &hi);
        if (rc)
            rc = fb_fail(err, rc, "encode");
    }
    if (rc == 0)
        rc = evb_decode(out.p, out.len, c.n, lo, hi, ~0u, sizes, &back, &s, err);
    assert_true(rc != 0 || (back.n == 300 && back.natt == 2));
    evb_cols_free(&c);
    evb_cols_free(&back);
    evb_scratch_free(&s);
    buf_free(&out);
    return rc;
}

/* dictblock_write, then dictblock_load of what it wrote, via a scan. */
static int op_dictblock(void *ctx, struct fb_error *err)
{
    (void)ctx;
    struct dict *src[BLOG_D_COUNT], *got[BLOG_D_COUNT];
    int rc = new_dicts(src, err);
    if (rc)
        return rc;
    struct buf b = {0};
    unsigned char h[BLOG_FILE_HEADER_LEN];
    blog_file_header(h);
    rc = buf_append(&b, h, sizeof h);
    char s[16];
    uint32_t id;
    for (int i = 0; rc == 0 && i < 200; i++) {
        int n = snprintf(s, sizeof s, "entity-%d", i);
        rc = dict_intern(src[BLOG_D_ENTITY], s, (size_t)n, &id, NULL);
    }
    if (rc == 0)
        rc = dict_intern(src[BLOG_D_STAGE], "won", 3, &id, NULL);
    struct blog_commit cm = {0};
    for (int k = 0; rc == 0 && k < BLOG_D_COUNT; k++) {
        rc = dictblock_write(src[k], k, 1, &b);
        cm.dict_sizes[k] = dict_size(src[k]);
    }
    if (rc)
        rc = fb_fail(err, rc, "out of memory writing");
    if (rc == 0) {
        unsigned char pl[BLOG_COMMIT_PAYLOAD_LEN];
        cm.offset = (int64_t)b.len;
        blog_commit_encode(&cm, pl);
        rc = blog_block_append(&b, BLOG_T_COMMIT, 0, 0, 1, BLOG_FILE_HEADER_LEN, pl, sizeof pl);
        if (rc)
            rc = fb_fail(err, rc, "out of memory writing");
    }
    if (rc == 0) {
        int fd = memfd_of((const char *)b.p, b.len);
        struct blog_scan sc;
        rc = blog_scan_fd(fd, "d.flog", &sc, err);
        if (rc == 0) {
            rc = new_dicts(got, err);
            if (rc == 0) {
                rc = dictblock_load(fd, "d.flog", &sc, (1u << BLOG_D_COUNT) - 1, got, err);
                assert_true(rc != 0 || dict_size(got[BLOG_D_ENTITY]) == 201);
                free_dicts(got);
            }
        }
        blog_scan_free(&sc);   /* also after a failed scan (blocklog.h) */
        close(fd);
    }
    buf_free(&b);
    free_dicts(src);
    return rc;
}

/* verify of a two-batch log: the scan, every dictionary and block. */
static int op_verify(void *ctx, struct fb_error *err)
{
    (void)ctx;
    int fd = open(base_log, O_RDONLY);
    assert_true(fd >= 0);
    struct logcheck_result res;
    int rc = logcheck_run(fd, base_log, &res, err);
    assert_true(rc != 0 || res.events == 6);
    close(fd);
    return rc;
}

/* replay of a two-batch log: the reader, the partial state, the workers
 * (ctx: the number of threads) and the finish. */
static int op_replay(void *ctx, struct fb_error *err)
{
    struct funnel_def def = {0};
    int rc = funnel_def_default(&def, err);
    if (rc) {
        funnel_def_free(&def);
        return rc;
    }
    struct replay_opts o = {.def = &def, .stale_after = 30 * 86400, .threads = *(unsigned *)ctx};
    struct res_report rep;
    struct replay_info info;
    rc = replay_log(base_log, &o, &rep, &info, err);
    assert_true(rc != 0 || (rep.ev_read == 6 && rep.entities == 2));
    if (rc == 0)
        res_report_free(&rep);
    funnel_def_free(&def);
    return rc;
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(in >= 0 && out >= 0);
    char b[65536];
    ssize_t n;
    while ((n = read(in, b, sizeof b)) > 0)
        assert_int_equal(write(out, b, (size_t)n), n);
    close(in);
    close(out);
}

/* A log damaged before its last committed batch: out of memory while
 * looking for the later commit must not turn the damage into a torn tail.
 * Returns 0 for "damaged". */
static int op_scan_damaged(void *ctx, struct fb_error *err)
{
    (void)ctx;
    char p[160];
    snprintf(p, sizeof p, "%s/damaged.flog", dir);
    copy_file(base_log, p);
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "\377", 1, BLOG_FILE_HEADER_LEN + 4), 1);
    struct blog_scan s;
    int rc = blog_scan_fd(fd, p, &s, err);
    blog_scan_free(&s);
    close(fd);
    if (rc == 0)
        return fb_fail(err, FB_EINPUT, "damage taken for a torn tail");
    return rc == FB_ECORRUPT ? 0 : rc;
}

/* One append as `funnel append` does it, to `path` (absent or a log). */
static int append_to(const char *path, const struct input *inp, struct fb_error *err)
{
    struct appender a;
    int rc = app_open(&a, path, NULL, err);
    if (rc == 0) {
        struct buf out = {0};
        unsigned char fp[16];
        struct ingest *in = NULL;
        rc = build_batch(inp, a.dicts, a.scan.dict_sizes, &out, fp, &in, err);
        const struct blog_commit *dup = rc == 0 ? app_find_duplicate(&a, fp, 3) : NULL;
        if (rc == 0)
            rc = app_commit(&a, out.p, out.len, ingest_blocks(in), 3, fp,
                            dup ? BLOG_COMMIT_F_ALLOW_DUP : 0, err);
        ingest_free(in);
        buf_free(&out);
        if (rc)
            app_abandon(&a);
    }
    app_close(&a);
    return rc;
}

/* The log must hold the batch wholly or not at all after each run. */
static void assert_events(const char *path, uint64_t want_a, uint64_t want_b)
{
    struct fb_error err;
    struct logcheck_result res;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        assert_int_equal(want_a, 0);   /* a new log that got no batch is removed */
        return;
    }
    int rc = logcheck_run(fd, path, &res, &err);
    close(fd);
    if (rc != 0)
        fail_msg("%s: verify: %s", path, err.msg);
    assert_true(res.events == want_a || res.events == want_b);
}


/* ctx: the struct input to append. */
static int op_append_existing(void *ctx, struct fb_error *err)
{
    char p[160];
    snprintf(p, sizeof p, "%s/existing.flog", dir);
    copy_file(base_log, p);
    int rc = append_to(p, ctx, err);
    atomic_store(&countdown, 0);   /* the check itself must not fail */
    assert_events(p, 6, 9);
    return rc;
}

static int op_append_new(void *ctx, struct fb_error *err)
{
    (void)ctx;
    char p[160];
    snprintf(p, sizeof p, "%s/new.flog", dir);
    unlink(p);
    int rc = append_to(p, &small_csv, err);
    atomic_store(&countdown, 0);
    assert_events(p, 0, 3);
    return rc;
}

/* ---- tests ---- */

static void csv_reading(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("csvin_read", op_csvin, NULL);
}

static void ingest_of_a_batch(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("ingest", op_ingest, (void *)&small_csv);
}

static void ingest_growing_its_columns(void **state)
{
    (void)state;
    skip_under_asan();
    struct buf text = {0};
    char line[128];
    assert_int_equal(buf_append(&text, "time,entity,stage,channel,segment\n", 34), 0);
    for (int i = 0; i < 2100; i++) {
        int n = snprintf(line, sizeof line, "2024-01-%02d,e%d,suspect,marketing,s%d\n",
                         1 + i % 28, i % 700, i % 3);
        assert_int_equal(buf_append(&text, line, (size_t)n), 0);
    }
    /* 2,100 rows: the encoder's columns start with room for 1,024 events
     * and grow twice (core/log/blockenc.c), so each growth step fails once. */
    struct input big = {(const char *)text.p, text.len, 2100, 0, 0};
    every_allocation_fails_cleanly("ingest growing its columns", op_ingest, &big);
    buf_free(&text);
}

static void events_block_encode_and_decode(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("evblock", op_evblock, NULL);
}

static void dict_blocks_write_and_load(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("dictblock", op_dictblock, NULL);
}

static void verify_of_a_log(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("verify", op_verify, NULL);
}

static void replay_of_a_log(void **state)
{
    (void)state;
    skip_under_asan();
    unsigned one = 1, two = 2;
    every_allocation_fails_cleanly("replay --threads 1", op_replay, &one);
    every_allocation_fails_cleanly("replay --threads 2", op_replay, &two);
}

static void scan_of_a_damaged_log(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("scan of a damaged log", op_scan_damaged, NULL);
}

static void append_to_a_log_is_all_or_nothing(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("append to a log", op_append_existing, (void *)&small_csv);
}

/* The EVENTS blocks go through the spill file (docs/FORMAT.md §9 step 4). */
static void append_spilling_its_blocks_is_all_or_nothing(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("append spilling its blocks", op_append_existing,
                                   (void *)&small_spilled);
}

static void append_creating_a_log_is_all_or_nothing(void **state)
{
    (void)state;
    skip_under_asan();
    every_allocation_fails_cleanly("append to a new log", op_append_new, NULL);
}

static int setup(void **state)
{
    (void)state;
    /* Each ingest calloc()s ~20 MB (core/log/blockenc.c) and is run a hundred
     * times: keep freed memory mapped, as tests/fuzz/replay_driver.c does. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    /* Each append syncs the log a few times, hundreds of appends here:
     * on tmpfs a sync costs nothing. */
    strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/test_nomem.XXXXXX" : "/tmp/test_nomem.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(base_log, sizeof base_log, "%s/base.flog", dir);
    struct fb_error err;
    /* the same batch twice (the second flagged as an allowed duplicate) */
    if (append_to(base_log, &small_csv, &err) != 0 || append_to(base_log, &small_csv, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[160];
    const char *names[] = {"base.flog", "existing.flog", "new.flog", "damaged.flog"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_reading),
        cmocka_unit_test(ingest_of_a_batch),
        cmocka_unit_test(ingest_growing_its_columns),
        cmocka_unit_test(events_block_encode_and_decode),
        cmocka_unit_test(dict_blocks_write_and_load),
        cmocka_unit_test(verify_of_a_log),
        cmocka_unit_test(replay_of_a_log),
        cmocka_unit_test(scan_of_a_damaged_log),
        cmocka_unit_test(append_to_a_log_is_all_or_nothing),
        cmocka_unit_test(append_spilling_its_blocks_is_all_or_nothing),
        cmocka_unit_test(append_creating_a_log_is_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
