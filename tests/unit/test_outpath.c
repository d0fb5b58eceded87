/* test_outpath.c - the rules of core/common/outpath.h: temporary names fit
 * NAME_MAX without splitting a UTF-8 character, symlinks are followed to
 * the name they lead to (dangling ones too, loops are an error), an output
 * naming an input is refused however it is spelled, and a replaced file
 * keeps its mode.  Works in a fresh directory under TMPDIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmocka.h>

#include "outpath.h"
#include "test_support.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    return test_tmpdir_enter(dir, sizeof dir, "test_outpath");
}

static int teardown(void **state)
{
    (void)state;
    return test_tmpdir_leave(dir);
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("x\n", f);
    fclose(f);
}

static void tmpname_of_short_name_is_name_tag_xxxxxx(void **state)
{
    (void)state;
    char *t = outpath_tmpname("sub/report.json", "tmp");
    assert_string_equal(t, "sub/report.json.tmp.XXXXXX");
    free(t);
    t = outpath_tmpname("log", "creating");
    assert_string_equal(t, "log.creating.XXXXXX");
    free(t);
}

static void tmpname_of_255_byte_name_fits_name_max(void **state)
{
    (void)state;
    char name[300] = "d/";
    memset(name + 2, 'L', 255);
    name[257] = '\0';
    assert_int_equal(mkdir("d", 0777), 0);
    char *t = outpath_tmpname(name, "creating");
    assert_non_null(t);
    assert_memory_equal(t, "d/LLL", 5);
    assert_int_equal(strlen(t) - 2, 255);
    assert_string_equal(t + strlen(t) - 16, ".creating.XXXXXX");
    int fd = mkstemp(t);   /* the name is valid: it can be created */
    assert_true(fd >= 0);
    close(fd);
    unlink(t);
    free(t);
}

static void tmpname_never_splits_a_utf8_character(void **state)
{
    (void)state;
    char name[400] = "a";
    for (int i = 0; i < 126; i++)   /* 253 bytes: "a", then "é" (2 bytes) x 126 */
        strcat(name, "\xc3\xa9");
    char *t = outpath_tmpname(name, "tmp");
    size_t keep = strlen(t) - strlen(".tmp.XXXXXX");
    /* 255 - 11 = 244 bytes would end on the first byte of an "é". */
    assert_int_equal(keep, 243);
    assert_memory_equal(t, name, keep);
    assert_string_equal(t + keep, ".tmp.XXXXXX");
    free(t);
}

static void follow_resolves_relative_links_from_their_directory(void **state)
{
    (void)state;
    assert_int_equal(mkdir("a", 0777), 0);
    assert_int_equal(mkdir("b", 0777), 0);
    assert_int_equal(symlink("../b/target", "a/l1"), 0);   /* dangling */
    assert_int_equal(symlink("a/l1", "l0"), 0);
    struct fb_error err;
    fb_error_clear(&err);
    char *p = NULL;
    assert_int_equal(outpath_follow("l0", &p, &err), 0);
    assert_string_equal(p, "a/../b/target");
    free(p);
    assert_int_equal(outpath_follow("plain", &p, &err), 0);
    assert_string_equal(p, "plain");
    free(p);
}

static void follow_stops_a_symlink_loop(void **state)
{
    (void)state;
    assert_int_equal(symlink("loop2", "loop1"), 0);
    assert_int_equal(symlink("loop1", "loop2"), 0);
    struct fb_error err;
    fb_error_clear(&err);
    char *p = NULL;
    assert_int_equal(outpath_follow("loop1", &p, &err), FB_EIO);
    assert_null(p);
}

static int refuse(const char *out, const char *log, const char *file)
{
    struct fb_error err;
    fb_error_clear(&err);
    const char *files[] = {file};
    struct outpath_inputs in = {log, files, file != NULL};
    return outpath_refuse(out, &in, &err);
}

static void output_naming_an_input_is_refused_however_spelled(void **state)
{
    (void)state;
    assert_int_equal(mkdir("s", 0777), 0);
    touch("log");
    touch("in.csv");
    assert_int_equal(symlink("log", "sym"), 0);
    assert_int_equal(link("log", "hard"), 0);
    const char *const same[] = {"log", "./log", "s/../log", "sym", "hard"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        assert_int_equal(refuse(same[i], "log", "in.csv"), FB_EUSAGE);
    assert_int_equal(refuse("s/../in.csv", "log", "in.csv"), FB_EUSAGE);
    assert_int_equal(refuse("other", "log", "in.csv"), 0);
    assert_int_equal(refuse("/dev/null", "/dev/null", NULL), 0);
}

static void output_naming_a_log_not_yet_created_is_refused(void **state)
{
    (void)state;
    assert_int_equal(mkdir("s", 0777), 0);
    assert_int_equal(symlink("new.flog", "dangling"), 0);
    assert_int_equal(refuse("new.flog", "new.flog", NULL), FB_EUSAGE);
    assert_int_equal(refuse("s/../new.flog", "new.flog", NULL), FB_EUSAGE);
    assert_int_equal(refuse("dangling", "new.flog", NULL), FB_EUSAGE);
    assert_int_equal(refuse("new.flog", "dangling", NULL), FB_EUSAGE);
    assert_int_equal(refuse("new2.flog", "new.flog", NULL), 0);
}

static void replaced_file_keeps_its_mode_new_one_gets_umask(void **state)
{
    (void)state;
    mode_t old = umask(022);
    touch("kept");
    assert_int_equal(chmod("kept", 0664), 0);
    int fd = open("t1", O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_int_equal(outpath_set_mode(fd, "kept"), 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0664);
    close(fd);
    fd = open("t2", O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_int_equal(outpath_set_mode(fd, "absent"), 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    close(fd);
    umask(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tmpname_of_short_name_is_name_tag_xxxxxx, setup, teardown),
        cmocka_unit_test_setup_teardown(tmpname_of_255_byte_name_fits_name_max, setup, teardown),
        cmocka_unit_test_setup_teardown(tmpname_never_splits_a_utf8_character, setup, teardown),
        cmocka_unit_test_setup_teardown(follow_resolves_relative_links_from_their_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(follow_stops_a_symlink_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(output_naming_an_input_is_refused_however_spelled, setup, teardown),
        cmocka_unit_test_setup_teardown(output_naming_a_log_not_yet_created_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(replaced_file_keeps_its_mode_new_one_gets_umask, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
