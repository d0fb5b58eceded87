/* test_dictblock.c - the sizes and counts that DICT blocks and commits state
 * (docs/FORMAT.md 5.3) are claims: a log whose checksums are right but
 * whose claims are made up (crafted, or found by tests/fuzz/fuzz_log.c)
 * must be refused as corrupt (FB_ECORRUPT, exit 4) before a reader
 * allocates what the claim asks for, by dictblock_load and by replay_log,
 * which sizes its per-entity state from the entity count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "blocklog.h"
#include "bytes.h"
#include "dict.h"
#include "dictblock.h"
#include "funnel_def.h"
#include "replay.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    strcpy(path, "/tmp/test_dictblock.XXXXXX");
    int fd = mkstemp(path);
    return fd < 0 ? -1 : close(fd);
}

static int teardown(void **state)
{
    (void)state;
    return unlink(path);
}

static void write_log(const struct buf *b)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
    assert_int_equal(close(fd), 0);
}

/* A file header, then nothing: the caller adds blocks. */
static void start_log(struct buf *b)
{
    unsigned char h[BLOG_FILE_HEADER_LEN];
    blog_file_header(h);
    b->len = 0;
    assert_int_equal(buf_append(b, h, sizeof h), 0);
}

/* A DICT block of kind `kind` for ids [1, 1 + count) whose payload states
 * raw_len and holds a real zlib stream of `raw`: checksums all right. */
static void add_dict(struct buf *b, int kind, uint32_t count, uint32_t raw_len, const char *raw)
{
    unsigned char pl[256];
    uLongf clen = sizeof pl - 4;
    assert_int_equal(compress2(pl + 4, &clen, (const Bytef *)raw, (uLong)strlen(raw), 6), Z_OK);
    wr_u32(pl, raw_len);
    assert_int_equal(blog_block_append(b, BLOG_T_DICT, 0, count, kind, 1, pl, 4 + clen), 0);
}

/* The commit of the one batch, stating the entity dictionary's size. */
static void add_commit(struct buf *b, uint32_t entities)
{
    struct blog_commit c;
    memset(&c, 0, sizeof c);
    c.offset = (int64_t)b->len;
    for (int k = 0; k < BLOG_D_COUNT; k++)
        c.dict_sizes[k] = 1;
    c.dict_sizes[BLOG_D_ENTITY] = entities;
    unsigned char pl[BLOG_COMMIT_PAYLOAD_LEN];
    blog_commit_encode(&c, pl);
    assert_int_equal(blog_block_append(b, BLOG_T_COMMIT, 0, 0, 1, BLOG_FILE_HEADER_LEN, pl,
                                       sizeof pl), 0);
}

static int load(struct fb_error *err)
{
    struct blog_scan s;
    struct dict *d[BLOG_D_COUNT];
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    fb_error_clear(err);
    assert_int_equal(blog_scan_fd(fd, path, &s, err), 0);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        assert_non_null(d[k] = dict_new(k == BLOG_D_ATTR_NAME));
    int rc = dictblock_load(fd, path, &s, (1u << BLOG_D_COUNT) - 1, d, err);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(d[k]);
    blog_scan_free(&s);
    close(fd);
    return rc;
}

static int replay(struct fb_error *err)
{
    struct funnel_def def;
    assert_int_equal(funnel_def_default(&def, err), 0);
    struct replay_opts o = {.def = &def, .stale_after = 30 * 86400};
    struct res_report rep;
    struct replay_info info;
    fb_error_clear(err);
    int rc = replay_log(path, &o, &rep, &info, err);
    if (rc == 0)
        res_report_free(&rep);
    funnel_def_free(&def);
    return rc;
}

/* The well-formed log the other tests spoil: entities "a" and "b". */
static void a_log_whose_claims_hold_loads_and_replays(void **state)
{
    (void)state;
    struct buf b = {0};
    struct fb_error err;
    start_log(&b);
    add_dict(&b, BLOG_D_ENTITY, 2, 4, "\001a\001b");
    add_commit(&b, 3);
    write_log(&b);
    assert_int_equal(load(&err), 0);
    assert_int_equal(replay(&err), 0);
    buf_free(&b);
}

/* Deflate expands at most 1032:1: a stated size beyond that is refused as
 * soon as it is read.  (Before, the bound was count x 65538 bytes, 4 GiB
 * for 65536 entries, allocated before inflating; the message then was
 * "does not inflate to its stated size", after the allocation.) */
static void a_dict_size_no_stream_of_its_length_can_inflate_to_is_refused_first(void **state)
{
    (void)state;
    struct buf b = {0};
    struct fb_error err;
    start_log(&b);
    add_dict(&b, BLOG_D_ENTITY, 65536, 0xfffffff0u, "\001a\001b");
    add_commit(&b, 65537);
    write_log(&b);
    assert_int_equal(load(&err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "stated size too large"));
    assert_int_equal(err.offset, BLOG_FILE_HEADER_LEN);
    buf_free(&b);
}

/* Replay does not load the entity dictionary, yet sizes its per-entity
 * state from the commit's count: a count the DICT blocks do not hold is
 * corruption (before: a 4-billion-entity allocation, "out of memory"). */
static void replay_refuses_an_entity_count_the_dict_blocks_do_not_hold(void **state)
{
    (void)state;
    struct buf b = {0};
    struct fb_error err;
    start_log(&b);
    add_dict(&b, BLOG_D_ENTITY, 2, 4, "\001a\001b");
    add_commit(&b, 0xfffffff0u);
    write_log(&b);
    assert_int_equal(replay(&err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "holds 3 strings but the last commit says 4294967280"));
    buf_free(&b);
}

/* Nor a DICT block count its payload cannot hold (an entry is >= 2 bytes
 * inflated; 516 entries a payload byte at most), even when the commit
 * agrees with it. */
static void replay_refuses_an_entity_block_count_its_payload_cannot_hold(void **state)
{
    (void)state;
    struct buf b = {0};
    struct fb_error err;
    start_log(&b);
    add_dict(&b, BLOG_D_ENTITY, 0xfffffff0u, 4, "\001a\001b");
    add_commit(&b, 0xfffffff1u);
    write_log(&b);
    assert_int_equal(replay(&err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "cannot fit"));
    assert_int_equal(err.offset, BLOG_FILE_HEADER_LEN);
    buf_free(&b);
}

/* Ids are unique: one block giving a string twice is corrupt, at its
 * offset (across blocks, the ids-in-order rule catches it first). */
static void a_dict_block_giving_a_string_twice_is_corrupt(void **state)
{
    (void)state;
    struct buf b = {0};
    struct fb_error err;
    start_log(&b);
    add_dict(&b, BLOG_D_ENTITY, 2, 4, "\001a\001a");
    add_commit(&b, 3);
    write_log(&b);
    assert_int_equal(load(&err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "string given twice"));
    assert_int_equal(err.offset, BLOG_FILE_HEADER_LEN);
    buf_free(&b);
}

/* Which damage is named when a block has two: the one a reader taking
 * the entries one at a time meets first, although they are parsed ahead
 * of their insertion (dictblock.c, LOAD_AHEAD).  raw: n two-byte names
 * "\002" + 2 letters, entry `dup` repeating entry 0 and entry `bad` an
 * entry length past the end. */
static void first_damage_named(uint32_t n, uint32_t dup, uint32_t bad, const char *want)
{
    char raw[200];
    size_t len = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == bad) {
            raw[len++] = '\177';
            break;
        }
        const uint32_t v = i == dup ? 0 : i;
        raw[len++] = '\002';
        raw[len++] = (char)('a' + v / 26);
        raw[len++] = (char)('a' + v % 26);
    }
    raw[len] = '\0';
    struct buf b = {0};
    struct fb_error err;
    start_log(&b);
    add_dict(&b, BLOG_D_ENTITY, n, (uint32_t)len, raw);
    add_commit(&b, n + 1);
    write_log(&b);
    assert_int_equal(load(&err), FB_ECORRUPT);
    if (!strstr(err.msg, want))
        fail_msg("n %u dup %u bad %u: \"%s\", expected \"%s\"", n, dup, bad, err.msg, want);
    assert_int_equal(err.offset, BLOG_FILE_HEADER_LEN);
    buf_free(&b);
}

static void the_first_of_two_damages_in_a_block_is_named(void **state)
{
    (void)state;
    first_damage_named(4, 2, 3, "string given twice");
    first_damage_named(3, 99, 2, "bad entry length");
    first_damage_named(40, 30, 31, "string given twice");
    first_damage_named(40, 31, 30, "bad entry length");
    first_damage_named(40, 1, 39, "string given twice");
    first_damage_named(40, 39, 16, "bad entry length");
    first_damage_named(40, 17, 18, "string given twice");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_log_whose_claims_hold_loads_and_replays),
        cmocka_unit_test(a_dict_size_no_stream_of_its_length_can_inflate_to_is_refused_first),
        cmocka_unit_test(replay_refuses_an_entity_count_the_dict_blocks_do_not_hold),
        cmocka_unit_test(replay_refuses_an_entity_block_count_its_payload_cannot_hold),
        cmocka_unit_test(a_dict_block_giving_a_string_twice_is_corrupt),
        cmocka_unit_test(the_first_of_two_damages_in_a_block_is_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
