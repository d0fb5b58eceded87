/* test_outset.c - a report directory published as one set
 * (core/common/outset.h): DIR is a link to DIR.v/RUN switched in one
 * rename; the previous run is kept, older ones and a killed run's leftovers
 * are removed; an older funnel's plain directory is taken over only when it
 * holds nothing else; a held lock, a bad name and a parent that is not a
 * directory fail without leaving anything.  Works in a fresh directory
 * under TMPDIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "outset.h"
#include "test_support.h"

static char dir[PATH_MAX];
static const char *const names[] = {"report.json", "index.html", "funnel.png", NULL};

static int setup(void **state)
{
    (void)state;
    return test_tmpdir_enter(dir, sizeof dir, "test_outset");
}

static int teardown(void **state)
{
    (void)state;
    return test_tmpdir_leave(dir);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_text(const char *path, const char *text)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, text);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* One complete run writing report.json = text into out; its id in id. */
static void run(const char *out, const char *text, char *id, size_t cap)
{
    struct outset s;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(outset_begin(&s, out, names, &err), 0);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/report.json", s.dir);
    put(p, text);
    if (id)
        snprintf(id, cap, "%s", s.id);
    assert_int_equal(outset_commit(&s, &err), 0);
    assert_null(s.dir);
}

static void ids_have_one_form(void **state)
{
    (void)state;
    assert_true(outset_is_id("20261207T001217Z-2708-0"));
    assert_true(outset_is_id("20261207T001217Z-1-12"));
    assert_false(outset_is_id("20261207T001217Z-2708"));
    assert_false(outset_is_id("20261207T001217Z-2708-"));
    assert_false(outset_is_id("20261207X001217Z-2708-0"));
    assert_false(outset_is_id("2026120T0012170Z-2708-0"));
    assert_false(outset_is_id("20261207T001217Z-27a8-0"));
    assert_false(outset_is_id("previous"));
    assert_false(outset_is_id("lock"));
    assert_false(outset_is_id(""));
}

static void first_run_makes_parents_and_a_link(void **state)
{
    (void)state;
    char id[64], want[128], got[128] = {0};
    run("a/b c/out/", "one", id, sizeof id);
    assert_true(outset_is_id(id));
    ssize_t n = readlink("a/b c/out", got, sizeof got - 1);
    assert_true(n > 0);
    snprintf(want, sizeof want, "out.v/%s", id);
    assert_string_equal(got, want);
    expect_text("a/b c/out/report.json", "one");
    assert_false(exists("a/b c/out.v/previous"));
}

static void previous_run_is_kept_older_ones_go(void **state)
{
    (void)state;
    char id1[64], id2[64], id3[64], p[PATH_MAX], got[128] = {0};
    run("out", "one", id1, sizeof id1);
    run("out", "two", id2, sizeof id2);
    expect_text("out/report.json", "two");
    expect_text("out.v/previous/report.json", "one");
    run("out", "three", id3, sizeof id3);
    expect_text("out/report.json", "three");
    assert_true(readlink("out.v/previous", got, sizeof got - 1) > 0);
    assert_string_equal(got, id2);
    snprintf(p, sizeof p, "out.v/%s", id1);
    assert_false(exists(p));
}

static void abort_leaves_the_previous_set(void **state)
{
    (void)state;
    struct outset s;
    struct fb_error err;
    char p[PATH_MAX], newdir[PATH_MAX];
    run("out", "one", NULL, 0);
    fb_error_clear(&err);
    assert_int_equal(outset_begin(&s, "out", names, &err), 0);
    snprintf(newdir, sizeof newdir, "%s", s.dir);
    snprintf(p, sizeof p, "%s/report.json", s.dir);
    put(p, "half");
    outset_abort(&s);
    assert_false(exists(newdir));
    expect_text("out/report.json", "one");
}

static void killed_runs_leftovers_are_swept(void **state)
{
    (void)state;
    char id2[64], p[PATH_MAX];
    run("out", "one", NULL, 0);
    /* A run killed before its switch, a switch killed half way, and a
     * name funnel never makes. */
    assert_int_equal(mkdir("out.v/20200101T000000Z-99-0", 0777), 0);
    put("out.v/20200101T000000Z-99-0/report.json.tmp.abcdef", "x");
    assert_int_equal(symlink("out.v/20200101T000000Z-99-0", "out.v/link.99"), 0);
    put("out.v/notes.txt", "mine");
    run("out", "two", id2, sizeof id2);
    assert_false(exists("out.v/20200101T000000Z-99-0"));
    assert_false(exists("out.v/link.99"));
    expect_text("out.v/notes.txt", "mine");
    expect_text("out/report.json", "two");
    expect_text("out.v/previous/report.json", "one");
    snprintf(p, sizeof p, "out.v/%s/report.json", id2);
    expect_text(p, "two");
}

static void plain_dir_of_an_older_funnel_is_taken_over(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(mkdir("old", 0777), 0);
    put("old/report.json", "old");
    put("old/funnel.png.tmp.Ab3dEf", "litter");
    chmod("old/report.json", 0640);
    run("old", "new", NULL, 0);
    assert_int_equal(lstat("old", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    expect_text("old/report.json", "new");
    expect_text("old.v/previous/report.json", "old");
    /* The replaced report keeps its mode. */
    assert_int_equal(stat("old/report.json", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    /* The next run removes it, litter and all. */
    run("old", "newer", NULL, 0);
    run("old", "newest", NULL, 0);
    assert_false(exists("old.v/previous/funnel.png.tmp.Ab3dEf"));
    expect_text("old.v/previous/report.json", "newer");
}

static void plain_dir_with_other_files_is_refused(void **state)
{
    (void)state;
    struct outset s;
    struct fb_error err;
    assert_int_equal(mkdir("mine", 0777), 0);
    put("mine/report.json", "old");
    put("mine/notes.txt", "keep");
    fb_error_clear(&err);
    assert_int_equal(outset_begin(&s, "mine", names, &err), FB_EUSAGE);
    assert_non_null(strstr(err.msg, "notes.txt"));
    assert_non_null(strstr(err.msg, "mv 'mine' 'mine.old'"));
    assert_false(exists("mine.v"));
    expect_text("mine/notes.txt", "keep");
    outset_abort(&s);
}

static void held_lock_is_refused(void **state)
{
    (void)state;
    struct outset s;
    struct fb_error err;
    run("out", "one", NULL, 0);
    int fd = open("out.v/lock", O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    fb_error_clear(&err);
    assert_int_equal(outset_begin(&s, "out", names, &err), FB_EIO);
    assert_non_null(strstr(err.msg, "another funnel report"));
    close(fd);
    expect_text("out/report.json", "one");
    run("out", "two", NULL, 0);
    expect_text("out/report.json", "two");
}

static void bad_names_and_parents_fail_cleanly(void **state)
{
    (void)state;
    struct outset s;
    struct fb_error err;
    const char *bad[] = {".", "..", "/", "x/..", "./"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fb_error_clear(&err);
        assert_int_equal(outset_begin(&s, bad[i], names, &err), FB_EUSAGE);
    }
    put("file", "x");
    fb_error_clear(&err);
    assert_int_equal(outset_begin(&s, "file", names, &err), FB_EIO);
    assert_int_equal(outset_begin(&s, "file/out", names, &err), FB_EIO);
    assert_false(exists("file.v"));
    assert_false(exists("out.v"));
}

/* A symlink of the user's (not one of ours) is followed: the set is
 * published where it leads, and the user's link stays. */
static void users_link_is_followed(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(mkdir("srv", 0777), 0);
    assert_int_equal(symlink("srv/site", "site"), 0);
    run("site", "one", NULL, 0);
    expect_text("site/report.json", "one");
    assert_int_equal(lstat("srv/site", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_true(exists("srv/site.v"));
    assert_false(exists("site.v"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_have_one_form),
        cmocka_unit_test_setup_teardown(first_run_makes_parents_and_a_link, setup, teardown),
        cmocka_unit_test_setup_teardown(previous_run_is_kept_older_ones_go, setup, teardown),
        cmocka_unit_test_setup_teardown(abort_leaves_the_previous_set, setup, teardown),
        cmocka_unit_test_setup_teardown(killed_runs_leftovers_are_swept, setup, teardown),
        cmocka_unit_test_setup_teardown(plain_dir_of_an_older_funnel_is_taken_over, setup, teardown),
        cmocka_unit_test_setup_teardown(plain_dir_with_other_files_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(held_lock_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_names_and_parents_fail_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(users_link_is_followed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
