/* test_logreader.c - the one reader of core/log/logreader.h (docs/ARCHITECTURE.md
 * "The reader"): dictionaries load by mask, a cursor walks a block range,
 * single attribute columns are decoded by name and the others are not,
 * and damage is reported with the offset of its block. */
#include <setjmp.h>
#include <stdarg.h>
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
#include "ingest.h"
#include "logreader.h"

static char dir[64];
static char log_path[128];   /* two batches of the CSV below */

static const char csv[] =
    "time,entity,stage,channel,touch,outcome,amount,segment,Source\n"
    "2024-01-02,e1,suspect,marketing,web,,,smb,ads\n"
    "2024-01-03,e1,engaged,sales,call,lost,120.50,smb,fair\n"
    "2024-01-04,e2,suspect,marketing,mail,,,ent,ads\n";

static int reject_none(void *ctx, const struct fb_error *e, const struct csvin_rec *r)
{
    (void)ctx;
    (void)e;
    (void)r;
    return 1;
}

static void append_batch(const char *path)
{
    struct appender a;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(app_open(&a, path, NULL, &err), 0);
    struct ingest_opts o = {.level = 1, .on_reject = reject_none};
    struct ingest *in = ingest_new(a.dicts, &o);
    assert_non_null(in);
    int fd = memfd_create("csv", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    struct buf out = {0};
    unsigned char fp[16];
    assert_int_equal(ingest_file(in, fd, "in.csv", &err), 0);
    assert_int_equal(ingest_finish(in, a.scan.dict_sizes, &out, fp, &err), 0);
    const struct blog_commit *dup = app_find_duplicate(&a, fp, 3);
    assert_int_equal(app_commit(&a, out.p, out.len, ingest_blocks(in), 3, fp,
                                dup ? BLOG_COMMIT_F_ALLOW_DUP : 0, &err), 0);
    buf_free(&out);
    close(fd);
    ingest_free(in);
    app_close(&a);
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_logreader.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(log_path, sizeof log_path, "%s/two.flog", dir);
    append_batch(log_path);
    append_batch(log_path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[160];
    snprintf(p, sizeof p, "%s/bad.flog", dir);
    unlink(p);
    unlink(log_path);
    return rmdir(dir);
}

static void dictionaries_load_by_mask_and_only_once(void **state)
{
    (void)state;
    struct logr r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(logr_open(&r, log_path, &err), 0);
    assert_int_equal(r.nev, 2);
    assert_int_equal(logr_load_dicts(&r, 1u << BLOG_D_STAGE, &err), 0);
    assert_non_null(logr_dict(&r, BLOG_D_STAGE));
    assert_null(logr_dict(&r, BLOG_D_ENTITY));
    const struct dict *stage = logr_dict(&r, BLOG_D_STAGE);
    assert_int_equal(logr_load_dicts(&r, ~0u, &err), 0);
    assert_ptr_equal(logr_dict(&r, BLOG_D_STAGE), stage);   /* not loaded again */
    assert_int_equal(dict_size(logr_dict(&r, BLOG_D_ENTITY)), 3);   /* "", e1, e2 */
    assert_int_equal(logr_check_entity_count(&r, &err), 0);
    logr_close(&r);
}

static void a_cursor_walks_its_block_range(void **state)
{
    (void)state;
    struct logr r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(logr_open(&r, log_path, &err), 0);
    const struct logr_want want = {1u << BLOG_C_TIME, NULL, 0};
    struct logr_cursor c;
    assert_int_equal(logr_cursor_init(&c, &r, &want, 1, 99, &err), 0);
    assert_int_equal(logr_next(&c, &err), 1);
    assert_ptr_equal(c.blk, logr_block(&r, 1));
    assert_int_equal(c.cols.n, 3);
    assert_int_equal(logr_next(&c, &err), 0);
    logr_cursor_free(&c);
    logr_close(&r);
}

static void single_attribute_columns_are_picked_by_name(void **state)
{
    (void)state;
    struct logr r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(logr_open(&r, log_path, &err), 0);
    assert_int_equal(logr_load_dicts(&r, ~0u, &err), 0);
    struct logr_want want = {1u << BLOG_C_ENTITY, NULL, 0};
    assert_int_equal(logr_want_attr(&r, &want, "nope", 4, &err), 0);
    assert_null(want.att);
    assert_int_equal(logr_want_attr(&r, &want, "SOURCE", 6, &err), 1);   /* names fold case */
    struct logr_cursor c;
    assert_int_equal(logr_cursor_init(&c, &r, &want, 0, r.nev, &err), 0);
    assert_int_equal(logr_next(&c, &err), 1);
    assert_int_equal(c.cols.natt, 1);   /* "segment" was not decoded */
    size_t n;
    const char *name = dict_str(logr_dict(&r, BLOG_D_ATTR_NAME), c.cols.att_name[0], &n);
    assert_int_equal(n, 6);
    assert_memory_equal(name, "Source", 6);
    /* events are time-sorted in a block: ads, fair, ads */
    const char *v = dict_str(logr_dict(&r, BLOG_D_ATTR_VALUE), c.cols.att[0][1], &n);
    assert_int_equal(n, 4);
    assert_memory_equal(v, "fair", 4);
    logr_cursor_free(&c);
    logr_want_free(&want);
    logr_close(&r);
}

static void damage_is_reported_at_its_blocks_offset(void **state)
{
    (void)state;
    char bad[160];
    snprintf(bad, sizeof bad, "%s/bad.flog", dir);
    struct logr r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(logr_open(&r, log_path, &err), 0);
    int64_t off = logr_block(&r, 1)->offset;
    logr_close(&r);
    /* copy the log, then break a byte inside the second EVENTS payload */
    int in = open(log_path, O_RDONLY), out = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(in >= 0 && out >= 0);
    char b[65536];
    ssize_t got = read(in, b, sizeof b);
    assert_true(got > off + BLOG_BLOCK_HEADER_LEN + 2);
    b[off + BLOG_BLOCK_HEADER_LEN + 2] ^= 0x55;
    assert_int_equal(write(out, b, (size_t)got), got);
    close(in);
    close(out);
    assert_int_equal(logr_open(&r, bad, &err), 0);
    const struct logr_want want = {~0u, NULL, 0};
    struct logr_cursor c;
    assert_int_equal(logr_cursor_init(&c, &r, &want, 0, r.nev, &err), 0);
    assert_int_equal(logr_next(&c, &err), 1);
    fb_error_clear(&err);
    assert_int_equal(logr_next(&c, &err), FB_ECORRUPT);
    assert_int_equal(err.offset, off);
    assert_string_equal(err.path, bad);
    logr_cursor_free(&c);
    logr_close(&r);
}

static void a_missing_log_is_an_io_error_and_closes_cleanly(void **state)
{
    (void)state;
    struct logr r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(logr_open(&r, "/nonexistent/x.flog", &err), FB_EIO);
    logr_close(&r);
}

/* A reader of the log's first bytes (logr_open_upto, for the folds of one
 * report) sees the batches committed by then and nothing after: cut at
 * the first batch's commit, that batch alone and no torn tail; 0 or an
 * offset past the end, the whole log. */
static void a_reader_up_to_a_committed_end_sees_the_batches_before_it(void **state)
{
    (void)state;
    struct logr r;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(logr_open(&r, log_path, &err), 0);
    assert_int_equal(r.scan.ncommits, 2);
    const int64_t first_end = r.scan.commits[0].offset + BLOG_BLOCK_HEADER_LEN + BLOG_COMMIT_PAYLOAD_LEN;
    const int64_t whole = r.scan.committed_end;
    const uint64_t events = r.scan.events;
    logr_close(&r);
    assert_true(first_end > 0 && first_end < whole);
    assert_int_equal(logr_open_upto(&r, log_path, first_end, &err), 0);
    assert_int_equal(r.scan.ncommits, 1);
    assert_int_equal(r.nev, 1);
    assert_int_equal(r.scan.committed_end, first_end);
    assert_int_equal(r.scan.tail_len, 0);
    assert_int_equal(r.scan.events * 2, events);
    logr_close(&r);
    const int64_t all[] = {0, whole + 100};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(logr_open_upto(&r, log_path, all[k], &err), 0);
        assert_int_equal(r.scan.ncommits, 2);
        assert_int_equal(r.scan.committed_end, whole);
        logr_close(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dictionaries_load_by_mask_and_only_once),
        cmocka_unit_test(a_reader_up_to_a_committed_end_sees_the_batches_before_it),
        cmocka_unit_test(a_cursor_walks_its_block_range),
        cmocka_unit_test(single_attribute_columns_are_picked_by_name),
        cmocka_unit_test(damage_is_reported_at_its_blocks_offset),
        cmocka_unit_test(a_missing_log_is_an_io_error_and_closes_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
