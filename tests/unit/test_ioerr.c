/* test_ioerr.c - an I/O error is reported, never misread (docs/RELIABILITY.md
 * "Line coverage (llvm-cov)"; STYLE.md 7).  Each read, pread, pwrite,
 * ftruncate, fdatasync and fsync of an operation on the log or a CSV file
 * fails in turn, the Nth call for N = 1, 2, ... until one run meets no
 * failure:
 *   - with EIO: the operation must return FB_EIO naming the cause (a log
 *     read must not turn it into corruption or a torn tail), and an append
 *     must leave the log with the batch wholly present or wholly absent;
 *   - with EINTR: reads are retried, so reading must succeed.
 * Plus the other ways a read fails: a directory, a file cut short after the
 * scan.  The calls are defined here and go to the kernel with syscall();
 * under AddressSanitizer, whose runtime defines them, the tests are skipped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "appender.h"
#include "blocklog.h"
#include "csvin.h"
#include "dictblock.h"
#include "ftime.h"
#include "ingest.h"
#include "logcheck.h"

#if defined(__SANITIZE_ADDRESS__)
#define IO_HOOK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IO_HOOK 0
#endif
#endif
#ifndef IO_HOOK
#define IO_HOOK 1
#endif

static long countdown;   /* > 0: the call that brings it to 0 fails */
static int cfr_exdev;    /* copy_file_range says EXDEV (only with IO_HOOK) */
static int fail_errno;   /* with this errno */
static int failed;       /* the armed failure happened */

#if IO_HOOK
/* EINTR is only given to reads and writes: funnel retries those, and takes
 * an interrupted sync or truncate as failed, which is the right answer. */
static int fail_call(int retried)
{
    if (countdown <= 0 || (fail_errno == EINTR && !retried) || --countdown != 0)
        return 0;
    failed = 1;
    errno = fail_errno;
    return 1;
}

#define fail_now() fail_call(1)
#define fail_sync() fail_call(0)

ssize_t read(int fd, void *b, size_t n) { return fail_now() ? -1 : syscall(SYS_read, fd, b, n); }
ssize_t pread(int fd, void *b, size_t n, off_t off)
{
    return fail_now() ? -1 : syscall(SYS_pread64, fd, b, n, off);
}
ssize_t pwrite(int fd, const void *b, size_t n, off_t off)
{
    return fail_now() ? -1 : syscall(SYS_pwrite64, fd, b, n, off);
}
/* copy_file_range moves spilled EVENTS blocks into the log; with
 * cfr_exdev set it refuses as between two file systems, so the pread and
 * pwrite fallback is taken (core/log/appender.c). */
ssize_t copy_file_range(int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned flags)
{
    if (cfr_exdev)
        return errno = EXDEV, -1;
    return fail_now() ? -1 : syscall(SYS_copy_file_range, in, in_off, out, out_off, n, flags);
}
int ftruncate(int fd, off_t n) { return fail_sync() ? -1 : (int)syscall(SYS_ftruncate, fd, n); }
int fdatasync(int fd) { return fail_sync() ? -1 : (int)syscall(SYS_fdatasync, fd); }
int fsync(int fd) { return fail_sync() ? -1 : (int)syscall(SYS_fsync, fd); }
#endif

static void skip_without_hooks(void)
{
    if (!IO_HOOK) {
        print_message("I/O failures are not injected under AddressSanitizer\n");
        skip();
    }
}

/* One operation: 0 or an FB_E* code; err gets the message. */
typedef int (*op_fn)(struct fb_error *err);

/* Fail the 1st, 2nd, ... I/O call of op with e until a run meets no failure. */
static void every_io_call_fails(const char *name, op_fn op, int e)
{
    struct fb_error err;
    fb_error_clear(&err);
    if (op(&err) != 0)
        fail_msg("%s: fails without any failure: %s", name, err.msg);
    for (long n = 1;; n++) {
        failed = 0;
        fail_errno = e;
        fb_error_clear(&err);
        countdown = n;
        int rc = op(&err);
        countdown = 0;
        if (!failed) {
            if (rc != 0)
                fail_msg("%s: %d with no failure: %s", name, rc, err.msg);
            print_message("%s: each of %ld calls failed in turn with %s\n", name, n - 1,
                          e == EIO ? "EIO" : "EINTR");
            assert_true(n > 1);   /* the hooks were reached */
            return;
        }
        if (e == EINTR && rc != 0)
            fail_msg("%s: call %ld interrupted: %d: %s", name, n, rc, err.msg);
        if (e == EIO && (rc != FB_EIO || !strstr(err.msg, strerror(EIO))))
            fail_msg("%s: call %ld failed with EIO, got %d: \"%s\"", name, n, rc, err.msg);
    }
}

static char dir[64], base_log[128], csv_path[128];

static const char csv[] =
    "time,entity,stage,channel,touch,outcome,amount,segment\n"
    "2024-01-02,e1,suspect,marketing,web,,,smb\n"
    "2024-01-03T10:00:00+02:00,e1,engaged,sales,call,lost,120.50,smb\n"
    "2024-01-04,e2,suspect,marketing,mail,,,ent\n";

static int count_rec(void *ctx, const struct csvin_rec *r, struct fb_error *err)
{
    (void)r;
    (void)err;
    ++*(int *)ctx;
    return 0;
}

static int op_csvin(struct fb_error *err)
{
    int fd = open(csv_path, O_RDONLY), n = 0;
    assert_true(fd >= 0);
    int rc = csvin_read(fd, csv_path, count_rec, &n, NULL, err);
    close(fd);
    assert_true(rc != 0 || n == 4);
    return rc;
}

static int op_verify(struct fb_error *err)
{
    int fd = open(base_log, O_RDONLY);
    assert_true(fd >= 0);
    struct logcheck_result res;
    int rc = logcheck_run(fd, base_log, &res, err);
    assert_true(rc != 0 || (res.events == 6 && res.tail_len == 0));
    close(fd);
    return rc;
}

/* Bytes of EVENTS blocks an append holds in memory (0: the default). */
static size_t spill_limit;

/* One append of csv to path, as `funnel append` does it. */
static int append_to(const char *path, struct fb_error *err)
{
    struct appender a;
    int rc = app_open(&a, path, NULL, err);
    if (rc == 0) {
        struct ingest_opts o = {.level = 1, .spill = {.dir = dir, .limit = spill_limit}};
        struct ingest *in = ingest_new(a.dicts, &o);
        struct buf out = {0};
        unsigned char fp[16];
        int fd = open(csv_path, O_RDONLY);
        assert_true(in && fd >= 0);
        rc = ingest_file(in, fd, csv_path, err);
        if (rc == 0)
            rc = ingest_finish(in, a.scan.dict_sizes, &out, fp, err);
        const struct blog_commit *dup = rc == 0 ? app_find_duplicate(&a, fp, 3) : NULL;
        if (rc == 0)
            rc = app_commit(&a, out.p, out.len, ingest_blocks(in), 3, fp,
                            dup ? BLOG_COMMIT_F_ALLOW_DUP : 0, err);
        if (rc)
            app_abandon(&a);
        close(fd);
        ingest_free(in);
        buf_free(&out);
    }
    app_close(&a);
    return rc;
}

/* After a failed append: the earlier events or the earlier plus the batch,
 * and the log takes the next append. */
static void assert_whole(const char *path, uint64_t before)
{
    countdown = 0;
    struct fb_error err;
    struct logcheck_result res;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        assert_int_equal(before, 0);   /* a new log without its batch is removed */
        return;
    }
    int rc = logcheck_run(fd, path, &res, &err);
    close(fd);
    if (rc != 0)
        fail_msg("%s: verify: %s", path, err.msg);
    assert_true(res.events == before || res.events == before + 3);
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(in >= 0 && out >= 0);
    char b[65536];
    ssize_t n;
    while ((n = (ssize_t)syscall(SYS_read, in, b, sizeof b)) > 0)
        assert_int_equal(syscall(SYS_write, out, b, (size_t)n), n);
    close(in);
    close(out);
}

static int op_append_existing(struct fb_error *err)
{
    char p[160];
    snprintf(p, sizeof p, "%s/existing.flog", dir);
    copy_file(base_log, p);
    int rc = append_to(p, err);
    assert_whole(p, 6);
    return rc;
}

/* The EVENTS blocks go through the spill file (docs/FORMAT.md §9 step 4):
 * its writes and the copy into the log fail in turn too. */
static int op_append_spilling(struct fb_error *err)
{
    spill_limit = 1;
    int rc = op_append_existing(err);
    spill_limit = 0;
    return rc;
}

/* The same where copy_file_range cannot copy: pread and pwrite do. */
static int op_append_spilling_no_cfr(struct fb_error *err)
{
    cfr_exdev = 1;
    int rc = op_append_spilling(err);
    cfr_exdev = 0;
    return rc;
}

/* A log with a torn tail: the append first cuts it. */
static int op_append_torn(struct fb_error *err)
{
    char p[160];
    snprintf(p, sizeof p, "%s/torn.flog", dir);
    copy_file(base_log, p);
    int fd = open(p, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(syscall(SYS_write, fd, "torn tail bytes", 15), 15);
    close(fd);
    int rc = append_to(p, err);
    assert_whole(p, 6);
    return rc;
}

static int op_append_new(struct fb_error *err)
{
    char p[160];
    snprintf(p, sizeof p, "%s/new.flog", dir);
    unlink(p);
    int rc = append_to(p, err);
    assert_whole(p, 0);
    return rc;
}

/* An existing empty file: the append writes and syncs a header first, and
 * a failure after it leaves the file empty again. */
static int op_append_empty(struct fb_error *err)
{
    char p[160];
    snprintf(p, sizeof p, "%s/empty.flog", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    int rc = append_to(p, err);
    assert_whole(p, 0);
    return rc;
}

/* app_ensure_header on an empty file (`funnel append` of a header-only CSV). */
static int op_ensure_header(struct fb_error *err)
{
    char p[160];
    snprintf(p, sizeof p, "%s/empty.flog", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    struct appender a;
    int rc = app_open(&a, p, NULL, err);
    if (rc == 0)
        rc = app_ensure_header(&a, err);
    app_close(&a);
    assert_whole(p, 0);
    return rc;
}

/* `funnel verify --repair`: cut a torn tail and sync. */
static int op_cut_tail(struct fb_error *err)
{
    char p[160];
    snprintf(p, sizeof p, "%s/torn.flog", dir);
    copy_file(base_log, p);
    int fd = open(p, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(syscall(SYS_write, fd, "torn tail bytes", 15), 15);
    close(fd);
    struct appender a;
    int rc = app_open(&a, p, NULL, err);
    assert_true(rc != 0 || a.scan.tail_len == 15);
    if (rc == 0)
        rc = app_cut_tail(&a, err);
    app_close(&a);
    assert_whole(p, 6);
    return rc;
}

/* A log damaged before its last committed batch: the scan must say so, or
 * fail with the read error; never call it a torn tail (which the next
 * append would cut, committed batch and all).  Returns 0 for "damaged". */
static int op_scan_damaged(struct fb_error *err)
{
    char p[160];
    snprintf(p, sizeof p, "%s/damaged.flog", dir);
    copy_file(base_log, p);
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(syscall(SYS_pwrite64, fd, "\377", 1, BLOG_FILE_HEADER_LEN + 4), 1);
    struct blog_scan s;
    int rc = blog_scan_fd(fd, p, &s, err);
    blog_scan_free(&s);
    close(fd);
    if (rc == 0)
        return fb_fail(err, FB_EINPUT, "damage taken for a torn tail");
    return rc == FB_ECORRUPT ? 0 : rc;
}

/* ---- tests ---- */

static void csv_read_errors_are_reported_and_interrupts_retried(void **state)
{
    (void)state;
    skip_without_hooks();
    every_io_call_fails("csvin_read", op_csvin, EIO);
    every_io_call_fails("csvin_read", op_csvin, EINTR);
}

static void log_read_errors_are_reported_never_taken_for_damage(void **state)
{
    (void)state;
    skip_without_hooks();
    every_io_call_fails("verify", op_verify, EIO);
    every_io_call_fails("verify", op_verify, EINTR);
    every_io_call_fails("scan of a damaged log", op_scan_damaged, EIO);
    every_io_call_fails("scan of a damaged log", op_scan_damaged, EINTR);
}

static void a_failed_append_leaves_the_batch_wholly_absent_or_present(void **state)
{
    (void)state;
    skip_without_hooks();
    every_io_call_fails("append", op_append_existing, EIO);
    every_io_call_fails("append spilling its blocks", op_append_spilling, EIO);
    every_io_call_fails("append spilling, without copy_file_range", op_append_spilling_no_cfr, EIO);
    every_io_call_fails("append after a torn tail", op_append_torn, EIO);
    every_io_call_fails("append to a new log", op_append_new, EIO);
    every_io_call_fails("append to an empty file", op_append_empty, EIO);
    every_io_call_fails("header of an empty file", op_ensure_header, EIO);
    every_io_call_fails("cut of a torn tail", op_cut_tail, EIO);
}

static void interrupted_writes_are_retried(void **state)
{
    (void)state;
    skip_without_hooks();
    every_io_call_fails("append", op_append_existing, EINTR);
    every_io_call_fails("append spilling its blocks", op_append_spilling, EINTR);
    every_io_call_fails("append spilling, without copy_file_range", op_append_spilling_no_cfr, EINTR);
    /* Not yet for a new log: create_log (core/log/appender.c) writes the header
     * with one pwrite and takes EINTR as failure (reported to the lead). */
}

static void a_directory_is_not_a_log_to_append_to(void **state)
{
    (void)state;
    struct appender a;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(app_open(&a, dir, NULL, &err), FB_EIO);
    assert_non_null(strstr(err.msg, "cannot open the log"));
    app_close(&a);
}

static void a_directory_is_not_a_log_nor_a_csv_file(void **state)
{
    (void)state;
    struct fb_error err;
    struct blog_scan s;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    fb_error_clear(&err);
    assert_int_equal(blog_scan_fd(fd, dir, &s, &err), FB_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    blog_scan_free(&s);
    int n = 0;
    fb_error_clear(&err);
    assert_int_equal(csvin_read(fd, dir, count_rec, &n, NULL, &err), FB_EIO);
    assert_non_null(strstr(err.msg, strerror(EISDIR)));
    close(fd);
    fb_error_clear(&err);
    assert_int_equal(blog_scan_fd(-1, "closed", &s, &err), FB_EIO);
    blog_scan_free(&s);
}

/* A block the scan saw, cut off before it is read: EIO, "unexpected end". */
static void a_log_cut_short_after_the_scan_is_an_io_error(void **state)
{
    (void)state;
    char p[160];
    snprintf(p, sizeof p, "%s/shrunk.flog", dir);
    copy_file(base_log, p);
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    struct blog_scan s;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(blog_scan_fd(fd, p, &s, &err), 0);
    assert_true(s.nblocks > 0);
    assert_int_equal(syscall(SYS_ftruncate, fd, BLOG_FILE_HEADER_LEN + 10), 0);
    struct buf pl = {0};
    assert_int_equal(blog_read_payload(fd, p, &s.blocks[0], &pl, &err), FB_EIO);
    assert_non_null(strstr(err.msg, "unexpected end of file"));
    buf_free(&pl);
    blog_scan_free(&s);
    close(fd);
}

/* Formatting an instant outside the format's range clamps to its ends
 * rather than write past the buffer. */
static void times_outside_the_range_format_as_its_ends(void **state)
{
    (void)state;
    char a[64], b[64];
    ftime_format(FTIME_MIN, a);
    ftime_format(INT64_MIN, b);
    assert_string_equal(a, b);
    ftime_format(FTIME_MAX, a);
    ftime_format(INT64_MAX, b);
    assert_string_equal(a, b);
}

static int setup(void **state)
{
    (void)state;
    /* Appends sync; on tmpfs a sync costs nothing. */
    strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/test_ioerr.XXXXXX" : "/tmp/test_ioerr.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(base_log, sizeof base_log, "%s/base.flog", dir);
    snprintf(csv_path, sizeof csv_path, "%s/in.csv", dir);
    int fd = open(csv_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || syscall(SYS_write, fd, csv, sizeof csv - 1) != (long)(sizeof csv - 1))
        return -1;
    close(fd);
    struct fb_error err;
    if (append_to(base_log, &err) != 0 || append_to(base_log, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[160];
    const char *names[] = {"base.flog", "existing.flog", "torn.flog", "new.flog", "shrunk.flog", "empty.flog", "damaged.flog",
                           "in.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_read_errors_are_reported_and_interrupts_retried),
        cmocka_unit_test(log_read_errors_are_reported_never_taken_for_damage),
        cmocka_unit_test(a_failed_append_leaves_the_batch_wholly_absent_or_present),
        cmocka_unit_test(interrupted_writes_are_retried),
        cmocka_unit_test(a_directory_is_not_a_log_nor_a_csv_file),
        cmocka_unit_test(a_directory_is_not_a_log_to_append_to),
        cmocka_unit_test(a_log_cut_short_after_the_scan_is_an_io_error),
        cmocka_unit_test(times_outside_the_range_format_as_its_ends),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
