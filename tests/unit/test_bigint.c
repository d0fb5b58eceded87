/* test_bigint.c - core/common/bigint.h: products, sums and comparisons
 * against 128-bit arithmetic, a product past 128 bits checked by dividing
 * back, and correctly rounded quotients (ties to even). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "bigint.h"
#include "test_support.h"

typedef unsigned __int128 u128;

static uint64_t rng = 0x2545F4914F6CDD1Du;
static uint64_t next(void)
{
    return test_xorshift(&rng);
}

static int equals(const struct bigint *b, u128 v)
{
    struct bigint w = {0};
    assert_int_equal(bigint_set_u128(&w, v), 0);
    int eq = bigint_cmp(b, &w) == 0;
    bigint_free(&w);
    return eq;
}

static void test_against_128_bits(void **state)
{
    (void)state;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = next() >> (next() % 64), y = next() >> (next() % 64);
        u128 z = (u128)next() >> (next() % 64);
        struct bigint b = {0}, c = {0};
        assert_int_equal(bigint_set_u128(&b, x), 0);
        assert_int_equal(bigint_mul_u64(&b, y), 0);
        assert_true(equals(&b, (u128)x * y));
        assert_int_equal(bigint_set_u128(&c, z), 0);
        assert_int_equal(bigint_add(&b, &c), 0);
        assert_true(equals(&b, (u128)x * y + z));   /* < 2^128 */
        int want = (u128)x * y + z < z * 2 ? -1 : (u128)x * y + z > z * 2 ? 1 : 0;
        assert_int_equal(bigint_add(&c, &c), 0);
        int got = bigint_cmp(&b, &c);
        assert_int_equal((got > 0) - (got < 0), want);
        bigint_free(&b);
        bigint_free(&c);
    }
}

static void test_ratio(void **state)
{
    (void)state;
    struct bigint n = {0}, d = {0};
    double q;
    /* (2^64 - 1)^3 / (2^64 - 1)^2 = 2^64 - 1, which rounds to 2^64. */
    assert_int_equal(bigint_set_u128(&n, UINT64_MAX), 0);
    assert_int_equal(bigint_mul_u64(&n, UINT64_MAX), 0);
    assert_int_equal(bigint_copy(&d, &n), 0);
    assert_int_equal(bigint_mul_u64(&n, UINT64_MAX), 0);
    assert_int_equal(bigint_ratio_double(&n, &d, &q), 0);
    assert_true(q == 18446744073709551616.0);
    /* 1 / 3 and 2 / 3 */
    assert_int_equal(bigint_set_u128(&n, 1), 0);
    assert_int_equal(bigint_set_u128(&d, 3), 0);
    assert_int_equal(bigint_ratio_double(&n, &d, &q), 0);
    assert_true(q == 1.0 / 3.0);
    assert_int_equal(bigint_set_u128(&n, 2), 0);
    assert_int_equal(bigint_ratio_double(&n, &d, &q), 0);
    assert_true(q == 2.0 / 3.0);
    /* Ties to even: 2^53 + 1 and 2^53 + 3 lie halfway between doubles. */
    assert_int_equal(bigint_set_u128(&d, 1), 0);
    assert_int_equal(bigint_set_u128(&n, ((u128)1 << 53) + 1), 0);
    assert_int_equal(bigint_ratio_double(&n, &d, &q), 0);
    assert_true(q == 9007199254740992.0);
    assert_int_equal(bigint_set_u128(&n, ((u128)1 << 53) + 3), 0);
    assert_int_equal(bigint_ratio_double(&n, &d, &q), 0);
    assert_true(q == 9007199254740996.0);
    /* Just above the tie rounds up: (2^54 + 2 + 1) / 2. */
    assert_int_equal(bigint_set_u128(&n, ((u128)1 << 54) + 3), 0);
    assert_int_equal(bigint_set_u128(&d, 2), 0);
    assert_int_equal(bigint_ratio_double(&n, &d, &q), 0);
    assert_true(q == 9007199254740994.0);
    /* Zero, and a tiny quotient. */
    struct bigint z = {0};
    assert_int_equal(bigint_ratio_double(&z, &d, &q), 0);
    assert_true(q == 0.0);
    assert_int_equal(bigint_set_u128(&n, 1), 0);
    assert_int_equal(bigint_set_u128(&d, 10), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(bigint_mul_u32(&d, 10), 0);
    assert_int_equal(bigint_ratio_double(&n, &d, &q), 0);
    assert_true(q == 1e-21);
    bigint_free(&n);
    bigint_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_128_bits),
        cmocka_unit_test(test_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
