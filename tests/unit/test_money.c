/* test_money.c - core/common/money.h (docs/METRICS.md §4.19): equal
 * values spelled differently, half-even rounding at the 10th fraction
 * digit (exactly half, above, below, with a carry into the integer part),
 * 128-bit sums past 2^64 units written exactly, overflow to null, the k
 * of a sum, the spelling of 0 and of values below 1, and every reject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "money.h"
#include "test_support.h"

static struct money P(const char *s)
{
    struct money m;
    assert_int_equal(money_parse(s, strlen(s), &m), 0);
    return m;
}

/* The sum of the NULL-terminated amounts, formatted. */
static const char *sum_text(const char *const *v, char buf[MONEY_TEXT_MAX])
{
    struct money_sum s = {0};
    for (; *v; v++) {
        struct money m = P(*v);
        money_sum_add(&s, &m);
    }
    size_t n = money_format(&s, buf);
    assert_int_equal(n, strlen(buf));
    return buf;
}

#define ASSERT_SUM(want, ...)                                   \
    do {                                                        \
        const char *const v_[] = {__VA_ARGS__, NULL};           \
        char b_[MONEY_TEXT_MAX];                                \
        assert_string_equal(sum_text(v_, b_), want);            \
    } while (0)

static void test_parse_units_and_k(void **state)
{
    (void)state;
    struct money m = P("5.10");
    assert_true(m.units == (unsigned __int128)5100000000u);
    assert_int_equal(m.k, 2);
    m = P("007");
    assert_true(m.units == (unsigned __int128)7000000000u);
    assert_int_equal(m.k, 0);
    m = P("0.000000001");
    assert_true(m.units == 1);
    assert_int_equal(m.k, 9);
}

static void test_cmp_value_then_digits(void **state)
{
    (void)state;
    struct money a = P("0.1"), b = P("0.10"), c = P("0.09"), d = P("1"), e = P("1.0");
    assert_true(a.units == b.units);
    assert_true(money_cmp(&b, &a) > 0);    /* equal value: more digits larger */
    assert_true(money_cmp(&a, &b) < 0);
    assert_int_equal(money_cmp(&a, &a), 0);
    assert_true(money_cmp(&c, &a) < 0);    /* by value first: 0.09 < 0.1 */
    assert_true(money_cmp(&c, &b) < 0);
    assert_true(money_cmp(&e, &d) > 0);
    assert_true(money_cmp(&d, &b) > 0);    /* 1 > 0.10 whatever the digits */
}

static void test_half_even_at_tenth_digit(void **state)
{
    (void)state;
    struct money m;
    /* Exactly half: to the even unit. */
    m = P("0.0000000005");                 /* 0 is even: stays 0 */
    assert_true(m.units == 0);
    assert_int_equal(m.k, 9);
    m = P("0.0000000015");                 /* 1 is odd: up to 2 */
    assert_true(m.units == 2);
    m = P("0.00000000250000");             /* trailing zeros are still exactly half */
    assert_true(m.units == 2);
    /* Above and below half. */
    assert_true(P("0.00000000050001").units == 1);
    assert_true(P("0.0000000004999999").units == 0);
    assert_true(P("0.0000000016").units == 2);
    assert_true(P("0.0000000014").units == 1);
    /* A carry through every fraction digit into the integer part. */
    m = P("0.9999999995");
    assert_true(m.units == (unsigned __int128)1000000000u);
    assert_int_equal(m.k, 9);
    ASSERT_SUM("1.000000000", "0.9999999995");
    ASSERT_SUM("10.000000000", "9.99999999951");
    ASSERT_SUM("0.999999999", "0.99999999949");
}

static void test_sum_k_and_spelling(void **state)
{
    (void)state;
    ASSERT_SUM("13.600000003", "6.6", "7.000000003");
    ASSERT_SUM("7", "3", "4");
    ASSERT_SUM("12.10", "5.10", "7");
    ASSERT_SUM("0.50", "0.50");
    ASSERT_SUM("0.5", "0.5");
    ASSERT_SUM("0.20", "0.1", "0.10");     /* k is the most digits of any addend */
    ASSERT_SUM("0", "0");
    ASSERT_SUM("0.00", "0.00");
    ASSERT_SUM("0.000000001", "0.000000001");
    ASSERT_SUM("0.05", "0.05");
    ASSERT_SUM("100", "000100");
}

static void test_sum_past_2_64_units(void **state)
{
    (void)state;
    /* (2^64 - 1) units + 1 unit = 2^64 units = 18446744073.709551616 */
    ASSERT_SUM("18446744073.709551616", "18446744073.709551615", "0.000000001");
    /* Ten times 10^11: 10^21 units, past 2^64 (1.8e19). */
    ASSERT_SUM("1000000000000", "100000000000", "100000000000", "100000000000", "100000000000",
               "100000000000", "100000000000", "100000000000", "100000000000", "100000000000",
               "100000000000");
    /* The largest amount: 2^128 - 1 units, written back exactly. */
    ASSERT_SUM("340282366920938463463374607431.768211455", "340282366920938463463374607431.768211455");
}

static void test_overflow_is_null(void **state)
{
    (void)state;
    struct money big = P("340282366920938463463374607431.768211455"), one = P("0.000000001");
    struct money_sum s = {0};
    char buf[MONEY_TEXT_MAX];
    money_sum_add(&s, &big);
    money_sum_add(&s, &one);
    assert_true(s.overflow);
    assert_int_equal(money_format(&s, buf), 0);
    assert_string_equal(buf, "");
    assert_true(isnan(money_to_double(&s)));
    assert_true(isnan(money_ratio_double(&s, 2)));
    /* Sticky: adding more never brings it back. */
    struct money zero = P("0");
    money_sum_add(&s, &zero);
    assert_int_equal(money_format(&s, buf), 0);
    /* Overflow by merge, and merging an overflowed sum. */
    struct money_sum a = {0}, b = {0}, c = {0};
    money_sum_add(&a, &big);
    money_sum_add(&b, &one);
    money_sum_merge(&a, &b);
    assert_true(a.overflow);
    money_sum_merge(&c, &a);
    assert_true(c.overflow);
    assert_int_equal(money_format(&c, buf), 0);
}

static void test_empty_sum(void **state)
{
    (void)state;
    struct money_sum s = {0};
    char buf[MONEY_TEXT_MAX];
    assert_int_equal(money_format(&s, buf), 0);
    assert_true(isnan(money_to_double(&s)));
    assert_true(isnan(money_ratio_double(&s, 1)));
}

static void test_merge_equals_one_sum(void **state)
{
    (void)state;
    const char *v[] = {"1.5", "2.25", "18446744073.709551615", "0.000000001", "3", "9.123456789"};
    struct money_sum all = {0}, left = {0}, right = {0};
    for (size_t i = 0; i < 6; i++) {
        struct money m = P(v[i]);
        money_sum_add(&all, &m);
        money_sum_add(i % 2 ? &left : &right, &m);
    }
    money_sum_merge(&left, &right);
    char a[MONEY_TEXT_MAX], b[MONEY_TEXT_MAX];
    money_format(&all, a);
    money_format(&left, b);
    assert_string_equal(a, b);
    assert_string_equal(a, "18446744089.583008405");
    assert_true(left.n == 6 && left.k == 9);
}

static void test_ratio_rounds_once(void **state)
{
    (void)state;
    struct money_sum s = {0};
    struct money m = P("90587.6669");
    money_sum_add(&s, &m);
    /* value / 7 correctly rounded; (units as double) / 1e9 / 7 rounds three
     * times and gives 12941.09527142857. */
    assert_true(money_ratio_double(&s, 7) == 12941.095271428572);
    assert_true(money_to_double(&s) / 1e9 / 7 != 12941.095271428572);
    assert_true(money_ratio_double(&s, 1) == 90587.6669);
    struct money_sum t = {0};
    struct money one = P("1");
    money_sum_add(&t, &one);
    assert_true(money_ratio_double(&t, 3) == 1.0 / 3.0);
    assert_true(isnan(money_ratio_double(&t, 0)));
    struct money_sum z = {0};
    struct money zero = P("0.00");
    money_sum_add(&z, &zero);
    assert_true(money_ratio_double(&z, 4) == 0.0);
    assert_true(money_to_double(&t) == 1e9);
}

static void test_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"", ".", ".5", "5.", "-1", "+1", "1e3", "1,5", " 1", "1 ", "1.2.3",
                         "0x1", "1..2", "１", "1.-2", "nan",
                         /* 2^128 units: one unit past the largest */
                         "340282366920938463463374607431.768211456",
                         "1000000000000000000000000000000",
                         /* rounds up past the largest */
                         "340282366920938463463374607431.7682114555"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct money m = {.units = 5, .k = 3};
        assert_int_equal(money_parse(bad[i], strlen(bad[i]), &m), -1);
        assert_true(m.units == 0 && m.k == 0);
    }
    /* len counts: bytes past len are not read, an embedded NUL is bad. */
    struct money m;
    assert_int_equal(money_parse("12x", 2, &m), 0);
    assert_true(m.units == (unsigned __int128)12000000000u);
    assert_int_equal(money_parse("1\0002", 3, &m), -1);
    /* Just below the rounding overflow is fine: ...4554 rounds down. */
    assert_int_equal(money_parse("340282366920938463463374607431.7682114554", 41, &m), 0);
}

static void test_weighted_rounds_once(void **state)
{
    (void)state;
    /* METRICS.md §8.1: open value by stage 10, 7.77, 2.500000000 and none,
     * won 2 of closed 5, 5, 3, 2. */
    struct money_sum v[4] = {{0}};
    struct money a = P("10"), b = P("7.77"), c = P("2.4999999995");
    money_sum_add(&v[0], &a);
    money_sum_add(&v[1], &b);
    money_sum_add(&v[2], &c);
    const uint64_t won[4] = {2, 2, 2, 2}, closed[4] = {5, 5, 3, 2};
    double w;
    assert_int_equal(money_weighted_double(v, won, closed, 4, &w), 0);
    assert_true(w == 8.774666666666667);
    /* 0.1 * 1/1 + 0.2 * 1/1 is 0.3; in doubles 0.1 + 0.2 is not. */
    struct money_sum t[2] = {{0}};
    struct money x = P("0.1"), y = P("0.2");
    money_sum_add(&t[0], &x);
    money_sum_add(&t[1], &y);
    const uint64_t one[2] = {1, 1};
    assert_int_equal(money_weighted_double(t, one, one, 2, &w), 0);
    assert_true(w == 0.3 && 0.1 + 0.2 != 0.3);
    /* Past 2^64 units, large denominators: (2^100 + 12345) units * 7 /
     * 1000003 + 3.000000001 * 5 / 999983; doubles say ...864. */
    struct money_sum g[2] = {{0}};
    struct money s1 = {.units = ((unsigned __int128)1 << 100) + 12345, .k = 9}, s2 = P("3.000000001");
    money_sum_add(&g[0], &s1);
    money_sum_add(&g[1], &s2);
    const uint64_t gn[2] = {7, 5}, gd[2] = {1000003, 999983};
    assert_int_equal(money_weighted_double(g, gn, gd, 2, &w), 0);
    assert_true(w == 8873527581014863.0);
    /* Nothing to weigh, a zero denominator, an overflowed sum: NaN. */
    struct money_sum e[1] = {{0}};
    assert_int_equal(money_weighted_double(e, one, one, 1, &w), 0);
    assert_true(isnan(w));
    const uint64_t zero[1] = {0};
    assert_int_equal(money_weighted_double(t, one, zero, 1, &w), 0);
    assert_true(isnan(w));
    struct money_sum o[1] = {{0}};
    struct money big = P("340282366920938463463374607431.768211455");
    money_sum_add(&o[0], &big);
    money_sum_add(&o[0], &big);
    assert_int_equal(money_weighted_double(o, one, one, 1, &w), 0);
    assert_true(isnan(w));
    /* A weight of 0 is 0.0, not NaN (METRICS.md §8.1, group ent). */
    const uint64_t nothing[2] = {0, 0};
    assert_int_equal(money_weighted_double(t, nothing, one, 2, &w), 0);
    assert_true(w == 0.0);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void)
{
    return test_xorshift(&rng);
}

/* Two independent correctly rounded quotients (128-bit long division in
 * money_ratio_double, big integers in money_weighted_double) agree. */
static void test_two_roundings_agree(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        struct money m = {.units = ((unsigned __int128)next() << (next() % 64)) | next(), .k = 9};
        struct money_sum s = {0};
        money_sum_add(&s, &m);
        uint64_t den = next() >> (next() % 64);
        if (den == 0)
            den = 1;
        const uint64_t one = 1;
        double w;
        assert_int_equal(money_weighted_double(&s, &one, &den, 1, &w), 0);
        assert_true(w == money_ratio_double(&s, den));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_units_and_k),
        cmocka_unit_test(test_cmp_value_then_digits),
        cmocka_unit_test(test_half_even_at_tenth_digit),
        cmocka_unit_test(test_sum_k_and_spelling),
        cmocka_unit_test(test_sum_past_2_64_units),
        cmocka_unit_test(test_overflow_is_null),
        cmocka_unit_test(test_empty_sum),
        cmocka_unit_test(test_merge_equals_one_sum),
        cmocka_unit_test(test_ratio_rounds_once),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_weighted_rounds_once),
        cmocka_unit_test(test_two_roundings_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
