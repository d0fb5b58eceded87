/* test_shardset.c - core/shardset.h: the pinned shard hash against fixed
 * crc32 test vectors (docs/FORMAT.md §13.1), the MANIFEST round trip and its
 * refusals (§13.2), and the reader's checks of one shard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "bytes.h"
#include "shardset.h"

static void shard_of_is_zlib_crc32_mod_n(void **state)
{
    (void)state;
    /* crc32("lead-42") = 0xda3d2e6b, the vector FORMAT.md §13.1 gives. */
    assert_int_equal(crc32(0L, (const unsigned char *)"lead-42", 7), 0xda3d2e6bu);
    assert_int_equal(shard_of("lead-42", 7, 16), 0xda3d2e6bu % 16);
    assert_int_equal(shard_of("lead-42", 7, 16), 11);
    assert_int_equal(shard_of("lead-42", 7, 7), 1);
    assert_int_equal(shard_of("lead-42", 7, 1), 0);
    /* The CRC-32/ISO-HDLC check value. */
    assert_int_equal(shard_of("123456789", 9, 16), 0xCBF43926u % 16);
    assert_int_equal(shard_of("123456789", 9, 256), 0x26);
    assert_int_equal(shard_of("acme", 4, 16), 14);
    /* Bytes exactly as stored: case and UTF-8 are not normalised. */
    assert_int_not_equal(shard_of("Lead-42", 7, 1u << 31), shard_of("lead-42", 7, 1u << 31));
}

static void shard_path_is_zero_padded(void **state)
{
    (void)state;
    char p[64];
    assert_int_equal(shardset_shard_path(p, sizeof p, "out", 7, 16), 0);
    assert_string_equal(p, "out/shard-0007-of-0016.flog");
    assert_int_equal(shardset_shard_path(p, 10, "out", 7, 16), -1);
}

static void make_manifest(struct shardset *m, uint32_t n)
{
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(shardset_init(m, n, &err), 0);
    for (uint32_t i = 0; i < n; i++) {
        m->shard[i].batches = i + 1;
        m->shard[i].events = 1000 * i + 7;
        for (int b = 0; b < 16; b++)
            m->shard[i].content[b] = (unsigned char)(i * 16 + b);
    }
}

static void manifest_round_trips(void **state)
{
    (void)state;
    struct shardset m, back;
    struct buf b = {0};
    struct fb_error err;
    fb_error_clear(&err);
    make_manifest(&m, 5);
    assert_int_equal(shardset_encode(&m, &b), 0);
    assert_int_equal(b.len, SHARDSET_HEADER_LEN + 5 * SHARDSET_ENTRY_LEN + 4);
    assert_memory_equal(b.p, SHARDSET_MAGIC, SHARDSET_MAGIC_LEN);
    assert_int_equal(shardset_decode(b.p, b.len, "M", &back, &err), 0);
    assert_int_equal(back.n, 5);
    assert_int_equal(back.version, SHARDSET_VERSION);
    assert_int_equal(back.hash_id, SHARDSET_HASH_CRC32);
    assert_memory_equal(back.set_id, m.set_id, 16);
    assert_memory_equal(back.shard, m.shard, 5 * sizeof *m.shard);
    shardset_free(&back);
    shardset_free(&m);
    buf_free(&b);
}

static void set_ids_are_random(void **state)
{
    (void)state;
    struct shardset a, b;
    make_manifest(&a, 1);
    make_manifest(&b, 1);
    assert_memory_not_equal(a.set_id, b.set_id, 16);
    shardset_free(&a);
    shardset_free(&b);
}

/* Encode a 3-shard manifest, let `edit` change it, fix the checksum when
 * asked, and expect decode to fail with FB_ECORRUPT saying `want`. */
static void expect_refusal(void (*edit)(struct buf *), int fix_crc, const char *want)
{
    struct shardset m, back;
    struct buf b = {0};
    struct fb_error err;
    fb_error_clear(&err);
    make_manifest(&m, 3);
    assert_int_equal(shardset_encode(&m, &b), 0);
    edit(&b);
    if (fix_crc)
        wr_u32(b.p + b.len - 4, (uint32_t)crc32(0L, b.p, (uInt)(b.len - 4)));
    assert_int_equal(shardset_decode(b.p, b.len, "DIR/MANIFEST", &back, &err), FB_ECORRUPT);
    if (!strstr(err.msg, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    assert_string_equal(err.path, "DIR/MANIFEST");
    shardset_free(&back);
    shardset_free(&m);
    buf_free(&b);
}

static void flip_entry_byte(struct buf *b) { b->p[SHARDSET_HEADER_LEN + 3] ^= 0x10; }
static void version_2(struct buf *b) { wr_u32(b->p + 8, 2); }
static void hash_id_7(struct buf *b) { wr_u32(b->p + 12, 7); }
static void n_4(struct buf *b) { wr_u32(b->p + 16, 4); }
static void n_0(struct buf *b) { wr_u32(b->p + 16, 0); }
static void bad_magic(struct buf *b) { b->p[1] = 'X'; }
static void drop_entry(struct buf *b)
{
    memmove(b->p + b->len - 4 - SHARDSET_ENTRY_LEN, b->p + b->len - 4, 4);
    b->len -= SHARDSET_ENTRY_LEN;
}

static void bad_checksum_is_refused(void **state)
{
    (void)state;
    expect_refusal(flip_entry_byte, 0, "checksum mismatch");
}

static void unknown_version_is_refused(void **state)
{
    (void)state;
    expect_refusal(version_2, 1, "manifest version 2 is not known");
}

static void unknown_hash_id_is_refused(void **state)
{
    (void)state;
    expect_refusal(hash_id_7, 1, "shard hash id 7 is not known");
}

static void n_disagreeing_with_size_is_refused(void **state)
{
    (void)state;
    expect_refusal(n_4, 1, "malformed manifest: 4 shards");
    expect_refusal(n_0, 1, "malformed manifest: 0 shards");
    expect_refusal(drop_entry, 1, "malformed manifest: 3 shards");
    expect_refusal(bad_magic, 1, "not a shard-set manifest");
}

static void manifest_file_round_trips(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_shardset.XXXXXX";
    struct shardset m, back;
    struct fb_error err;
    int absent = -1;
    fb_error_clear(&err);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(shardset_read(dir, &back, &absent, &err), FB_EIO);
    assert_int_equal(absent, 1);
    shardset_free(&back);
    make_manifest(&m, 16);
    assert_int_equal(shardset_write(dir, &m, &err), 0);
    assert_int_equal(shardset_read(dir, &back, &absent, &err), 0);
    assert_int_equal(absent, 0);
    assert_memory_equal(back.set_id, m.set_id, 16);
    assert_memory_equal(back.shard, m.shard, 16 * sizeof *m.shard);
    shardset_free(&back);
    shardset_free(&m);
    char path[64];
    snprintf(path, sizeof path, "%s/%s", dir, SHARDSET_MANIFEST);
    unlink(path);
    rmdir(dir);
}

static void entity_on_another_shard_is_corrupt(void **state)
{
    (void)state;
    struct dict *d = dict_new(0);
    struct fb_error err;
    uint32_t id;
    fb_error_clear(&err);
    assert_non_null(d);
    assert_int_equal(dict_intern(d, "lead-42", 7, &id, NULL), 0);
    assert_int_equal(shardset_check_entities(d, 11, 16, "s11", &err), 0);
    assert_int_equal(shardset_check_entities(d, 3, 16, "s3", &err), FB_ECORRUPT);
    if (!strstr(err.msg, "entity \"lead-42\" belongs to shard 11 of 16, not to this shard 3"))
        fail_msg("message: %s", err.msg);
    assert_string_equal(err.path, "s3");
    dict_free(d);
}

static void history_must_match_the_manifest(void **state)
{
    (void)state;
    struct blog_commit c[2];
    struct blog_scan s;
    struct shardset m;
    struct fb_error err;
    fb_error_clear(&err);
    memset(c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    make_manifest(&m, 2);
    for (int i = 0; i < 2; i++) {
        c[i].events = 10;
        c[i].fingerprint[0] = (unsigned char)(i + 1);
    }
    s.commits = c;
    s.ncommits = 2;
    s.events = 20;
    m.shard[1].batches = 2;
    m.shard[1].events = 20;
    shardset_content(c, 2, m.shard[1].content);
    assert_int_equal(m.shard[1].content[0], 3);   /* a sum of fingerprints */
    assert_int_equal(shardset_check_history(&m, 1, &s, "s1", &err), 0);
    c[1].fingerprint[0] = 9;                      /* another batch */
    assert_int_equal(shardset_check_history(&m, 1, &s, "s1", &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "another set or an older copy"));
    c[1].fingerprint[0] = 2;
    m.shard[1].batches = 1;                       /* one past the manifest */
    assert_int_equal(shardset_check_history(&m, 1, &s, "s1", &err), FB_ECORRUPT);
    assert_non_null(strstr(err.msg, "interrupted"));
    m.shard[1].batches = 3;                       /* one missing */
    assert_int_equal(shardset_check_history(&m, 1, &s, "s1", &err), FB_ECORRUPT);
    shardset_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shard_of_is_zlib_crc32_mod_n),
        cmocka_unit_test(shard_path_is_zero_padded),
        cmocka_unit_test(manifest_round_trips),
        cmocka_unit_test(set_ids_are_random),
        cmocka_unit_test(bad_checksum_is_refused),
        cmocka_unit_test(unknown_version_is_refused),
        cmocka_unit_test(unknown_hash_id_is_refused),
        cmocka_unit_test(n_disagreeing_with_size_is_refused),
        cmocka_unit_test(manifest_file_round_trips),
        cmocka_unit_test(entity_on_another_shard_is_corrupt),
        cmocka_unit_test(history_must_match_the_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
