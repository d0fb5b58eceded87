/* test_zinflate.c - core/log/zinflate.h reads the zlib streams of a log
 * (docs/FORMAT.md §2 "zlib stream", §5.3, §6.1) exactly as zlib's
 * uncompress with the stated size did before it: the same streams accepted
 * with the same bytes, and, differentially against zlib itself, the same
 * verdict on every single-bit change, every truncation and every wrong
 * stated size of streams made at each zlib level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "zinflate.h"
#include "test_support.h"

#define RAW_MAX 6000

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void)
{
    return test_xorshift(&rng);
}

/* Inputs with the shapes of a log's columns: uniform bytes (entity id
 * planes: stored or near-stored blocks), skewed bytes (stage, channel:
 * dynamic Huffman codes) and repeats (sorted time deltas: matches). */
static size_t make_raw(int shape, unsigned char *raw)
{
    size_t n = 1000 + (size_t)(next() % (RAW_MAX - 1000));
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next();
        if (shape == 0)
            raw[i] = (unsigned char)r;
        else if (shape == 1)
            raw[i] = (unsigned char)(r % 7 == 0 ? r >> 8 : r % 5);
        else
            raw[i] = i % 37 < 30 ? (unsigned char)"funnel"[i % 6] : (unsigned char)r;
    }
    return n;
}

/* zlib's verdict, as evblock.c and dictblock.c read a stream before:
 * uncompress into exactly raw_len bytes, and that many must come out. */
static int zlib_exact(const unsigned char *src, size_t clen, unsigned char *dst, size_t raw_len)
{
    uLongf got = raw_len;
    static unsigned char dummy[1];
    int zrc = uncompress(raw_len ? dst : dummy, &got, src, (uLong)clen);
    return zrc == Z_OK && got == raw_len ? 0 : FB_ECORRUPT;
}

struct stream {
    unsigned char raw[RAW_MAX], z[RAW_MAX + 64];
    size_t n, clen;
};

static void make_stream(struct stream *s, int shape, int level)
{
    s->n = make_raw(shape, s->raw);
    uLongf clen = sizeof s->z;
    assert_int_equal(compress2(s->z, &clen, s->raw, (uLong)s->n, level), Z_OK);
    s->clen = clen;
}

static void a_stream_inflates_to_its_bytes_at_every_level(void **state)
{
    (void)state;
    struct zinf z = {0};
    static struct stream s;
    static unsigned char out[RAW_MAX];
    for (int shape = 0; shape < 3; shape++)
        for (int level = 0; level <= 9; level++) {
            make_stream(&s, shape, level);
            memset(out, 0xAA, sizeof out);
            assert_int_equal(zinf_exact(&z, s.z, s.clen, out, s.n), 0);
            assert_memory_equal(out, s.raw, s.n);
        }
    zinf_free(&z);
    zinf_free(&z);   /* a second free is a no-op */
}

static void an_empty_stream_inflates_to_nothing(void **state)
{
    (void)state;
    struct zinf z = {0};
    unsigned char zs[16], out[1];
    uLongf clen = sizeof zs;
    assert_int_equal(compress2(zs, &clen, (const unsigned char *)"", 0, 6), Z_OK);
    assert_int_equal(zinf_exact(&z, zs, clen, out, 0), 0);
    assert_int_equal(zinf_exact(&z, zs, clen, out, 1), FB_ECORRUPT);
    zinf_free(&z);
}

/* A stated size one off either way is a corrupt stream, as is every prefix;
 * bytes after the stream are ignored, as uncompress ignores them. */
static void wrong_sizes_and_truncations_are_rejected_trailing_bytes_ignored(void **state)
{
    (void)state;
    struct zinf z = {0};
    static struct stream s;
    static unsigned char out[RAW_MAX + 1];
    for (int shape = 0; shape < 3; shape++) {
        make_stream(&s, shape, 4);
        assert_int_equal(zinf_exact(&z, s.z, s.clen, out, s.n - 1), FB_ECORRUPT);
        assert_int_equal(zinf_exact(&z, s.z, s.clen, out, s.n + 1), FB_ECORRUPT);
        for (size_t len = 0; len < s.clen; len++) {
            assert_int_equal(zlib_exact(s.z, len, out, s.n), FB_ECORRUPT);
            assert_int_equal(zinf_exact(&z, s.z, len, out, s.n), FB_ECORRUPT);
        }
        s.z[s.clen] = 0x5A;
        s.z[s.clen + 1] = 0xA5;
        assert_int_equal(zlib_exact(s.z, s.clen + 2, out, s.n), 0);
        assert_int_equal(zinf_exact(&z, s.z, s.clen + 2, out, s.n), 0);
        assert_memory_equal(out, s.raw, s.n);
    }
    zinf_free(&z);
}

/* Differential: every single-bit change of streams of each shape, at
 * levels 0 (stored), 1 and 4 (the writer's) and 9, gets zlib's verdict,
 * and where both accept (a change zlib also misses) the same bytes. */
static void every_bit_flip_gets_zlibs_verdict(void **state)
{
    (void)state;
    struct zinf z = {0};
    static struct stream s;
    static unsigned char a[RAW_MAX], b[RAW_MAX];
    static const int levels[] = {0, 1, 4, 9};
    long rejected = 0, flips = 0;
    for (int shape = 0; shape < 3; shape++)
        for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
            make_stream(&s, shape, levels[l]);
            for (size_t bit = 0; bit < s.clen * 8; bit++) {
                s.z[bit / 8] ^= (unsigned char)(1u << bit % 8);
                int want = zlib_exact(s.z, s.clen, a, s.n);
                int got = zinf_exact(&z, s.z, s.clen, b, s.n);
                if (got != want)
                    fail_msg("shape %d level %d bit %zu: zlib %d, zinflate %d", shape,
                             levels[l], bit, want, got);
                if (got == 0)
                    assert_memory_equal(a, b, s.n);
                rejected += got != 0;
                flips++;
                s.z[bit / 8] ^= (unsigned char)(1u << bit % 8);
            }
        }
    assert_true(rejected > 0);
    print_message("%ld bit flips, %ld rejected by both, the rest inflating alike\n", flips,
                  rejected);
    zinf_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stream_inflates_to_its_bytes_at_every_level),
        cmocka_unit_test(an_empty_stream_inflates_to_nothing),
        cmocka_unit_test(wrong_sizes_and_truncations_are_rejected_trailing_bytes_ignored),
        cmocka_unit_test(every_bit_flip_gets_zlibs_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
