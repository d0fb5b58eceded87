/* test_real17.c - real17 writes what snprintf's "%.17g" writes: for
 * doubles of every exponent the fast path takes and around it, decimal
 * values as reports hold them (rates, days, money), powers of ten and the
 * values next to them, and halfway cases of the 17th digit. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "real17.h"
#include "test_support.h"

static unsigned long checked;

static void same(double v)
{
    char want[64], got[REAL17_MAX];
    snprintf(want, sizeof want, "%.17g", v);
    size_t n = real17(v, got);
    if (strcmp(want, got) != 0 || n != strlen(want))
        fail_msg("%a: snprintf \"%s\", real17 \"%s\" (%zu)", v, want, got, n);
    checked++;
}

static void test_random_bits(void **state)
{
    (void)state;
    uint64_t rng = 17;
    for (int i = 0; i < 300000; i++) {
        uint64_t b = test_xorshift(&rng);
        /* Exponents from 2^-40 to 2^60 mostly, any now and then. */
        if (i % 8)
            b = (b & ~(UINT64_C(0x7ff) << 52)) | ((uint64_t)(1023 - 40 + (int)(test_xorshift(&rng) % 101)) << 52);
        double v;
        memcpy(&v, &b, sizeof v);
        if (isfinite(v))
            same(v);
    }
}

static void test_decimals(void **state)
{
    (void)state;
    uint64_t rng = 5;
    for (int i = 0; i < 120000; i++) {
        double num = (double)(test_xorshift(&rng) % 100000001), den = (double)(1 + test_xorshift(&rng) % 1000);
        double v = num / den;
        same(v);
        same(-v);
        same(v / 86400.0);
        same(num / 100.0);
    }
}

static void test_edges(void **state)
{
    (void)state;
    const double some[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.0 / 3.0, 2.0 / 3.0, 1e-5, 1e17, 1e16, 9.5, 99.5,
                           0.30000000000000004, 123456789012345678.0, 12345678901234567.0, DBL_MAX, DBL_MIN,
                           5e-324, 4503599627370496.5, 9007199254740993.0};
    for (size_t i = 0; i < sizeof some / sizeof *some; i++) {
        same(some[i]);
        same(-some[i]);
    }
    for (int e = -310; e <= 308; e++) {
        double p = pow(10.0, e);
        same(p);
        same(nextafter(p, 0));
        same(nextafter(p, INFINITY));
        same(p * 9.999999999999999);
    }
    /* 17-digit halfway candidates: integers near 2^53 .. 2^57 with low
     * bits set, whose 17th digit is decided by the last one. */
    for (uint64_t k = 0; k < 50000; k++) {
        same((double)((UINT64_C(1) << 54) + 2 * k + 1));
        same((double)(UINT64_C(100000000000000000) - 16 * k));
    }
    assert_true(checked > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bits),
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
