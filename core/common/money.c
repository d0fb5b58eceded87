/* money.c - exact decimal amounts (money.h, docs/METRICS.md §4.19): parse
 * an amount into 10^-9 units, compare, add in 128 bits with a sticky
 * overflow, and write a sum once with exactly k fraction digits.  No
 * floating point touches a value until money_to_double/money_ratio_double,
 * so sums are the same bytes whatever the order of addition (merge,
 * threads). */
#include "money.h"
#include "bigint.h"
#include <math.h>
#include <string.h>

typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)
#define UNITS_PER_ONE 1000000000u   /* 10^MONEY_MAX_K */

/* units = units * 10 + digit, or -1 when that passes 2^128 - 1.  The
 * bound is split into constants (a 128-bit division per digit made parsing
 * the amount dictionary a noticeable part of a replay's set-up). */
static int push_digit(u128 *units, unsigned digit)
{
    if (*units > U128_MAX / 10 || (*units == U128_MAX / 10 && digit > (unsigned)(U128_MAX % 10)))
        return -1;
    *units = *units * 10 + digit;
    return 0;
}

/* Whether the digits s[0..n) are all '0' (the "exactly half" test of
 * half-even rounding). */
static int all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return 0;
    return 1;
}

int money_parse(const char *s, size_t len, struct money *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    u128 units = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (push_digit(&units, (unsigned)(s[i] - '0')) != 0)
            return -1;
        i++;
    }
    if (i == 0)
        return -1;                      /* no integer digit: "", ".5" */
    size_t frac = 0;                    /* fraction digits as written */
    size_t fstart = i + 1;
    if (i < len) {
        if (s[i] != '.' || i + 1 == len)
            return -1;                  /* "5x", "5." */
        for (i++; i < len; i++, frac++)
            if (s[i] < '0' || s[i] > '9')
                return -1;
    }
    /* The first 9 fraction digits, then zeros up to 10^-9 units. */
    size_t kept = frac < MONEY_MAX_K ? frac : MONEY_MAX_K;
    for (size_t j = 0; j < MONEY_MAX_K; j++)
        if (push_digit(&units, j < kept ? (unsigned)(s[fstart + j] - '0') : 0) != 0)
            return -1;
    if (frac > MONEY_MAX_K) {
        /* Half-even at the 10th digit (METRICS.md §4.19): up when the rest
         * is more than half a unit, or exactly half and the unit is odd. */
        const char *rest = s + fstart + MONEY_MAX_K;
        size_t nrest = frac - MONEY_MAX_K;
        int up = rest[0] > '5' || (rest[0] == '5' && (!all_zero(rest + 1, nrest - 1) || (units & 1)));
        if (up) {
            if (units == U128_MAX)
                return -1;
            units++;
        }
    }
    out->units = units;
    out->k = (unsigned)kept;
    return 0;
}

int money_cmp(const struct money *a, const struct money *b)
{
    if (a->units != b->units)
        return a->units < b->units ? -1 : 1;
    return (a->k > b->k) - (a->k < b->k);
}

void money_sum_merge(struct money_sum *into, const struct money_sum *from)
{
    if (into->units > U128_MAX - from->units)
        into->overflow = 1;
    into->units += from->units;
    into->n += from->n;
    into->k = from->k > into->k ? from->k : into->k;
    into->overflow |= from->overflow;
}

size_t money_format(const struct money_sum *s, char buf[MONEY_TEXT_MAX])
{
    buf[0] = 0;
    if (s->n == 0 || s->overflow)
        return 0;
    unsigned k = s->k > MONEY_MAX_K ? MONEY_MAX_K : s->k;
    /* Every addend with k_i digits is a multiple of 10^(9-k_i) units, so
     * the sum is one of 10^(9-k): dropping those digits loses nothing. */
    u128 v = s->units;
    for (unsigned j = k; j < MONEY_MAX_K; j++)
        v /= 10;
    /* Digits from the right: k fraction digits, then the integer part
     * (at least one digit, so values below 1 start "0."). */
    char tmp[MONEY_TEXT_MAX];
    size_t n = 0;
    for (unsigned j = 0; j < k; j++) {
        tmp[n++] = (char)('0' + (unsigned)(v % 10));
        v /= 10;
    }
    if (k)
        tmp[n++] = '.';
    do {
        tmp[n++] = (char)('0' + (unsigned)(v % 10));
        v /= 10;
    } while (v);
    for (size_t j = 0; j < n; j++)
        buf[j] = tmp[n - 1 - j];
    buf[n] = 0;
    return n;
}

double money_to_double(const struct money_sum *s)
{
    return s->n && !s->overflow ? (double)s->units : NAN;
}

/* u / d (d != 0, d < 2^127) rounded to nearest, ties to even, as a double:
 * integer quotient bits by long division until there are 55 of them, the
 * remainder folded into the last as a sticky bit, so the one rounding of
 * the int-to-double conversion is the only one. */
static double ratio_to_double(u128 u, u128 d)
{
    u128 q = u / d, r = u % d;
    int e = 0;
    const u128 lim = (u128)1 << 54;
    while (q < lim) {
        if (q == 0 && r == 0)
            return 0.0;
        r <<= 1;                        /* r < d < 2^127: no overflow */
        q = (q << 1) | (r >= d);
        if (r >= d)
            r -= d;
        e++;
    }
    /* q >= 2^54 has at least 55 bits: bit 0 lies below the rounding bit. */
    return ldexp((double)(q | (r != 0)), -e);
}

double money_ratio_double(const struct money_sum *s, uint64_t den)
{
    if (s->n == 0 || s->overflow || den == 0)
        return NAN;
    return ratio_to_double(s->units, (u128)den * UNITS_PER_ONE);
}

int money_weighted_double(const struct money_sum *v, const uint64_t *num, const uint64_t *den, size_t n,
                          double *out)
{
    *out = NAN;
    /* Over the common denominator 10^9 * prod den_i: N / D exactly, then
     * one rounding (bigint_ratio_double). */
    struct bigint nsum = {0}, term = {0}, d = {0};
    int rc = -1, any = 0;
    if (bigint_set_u128(&d, UNITS_PER_ONE) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (v[i].n == 0 || den[i] == 0)
            continue;
        if (v[i].overflow) {
            rc = 0;          /* *out stays NaN: the sum is null */
            goto done;
        }
        any = 1;
        if (bigint_set_u128(&term, v[i].units) != 0 || bigint_mul_u64(&term, num[i]) != 0)
            goto done;
        for (size_t j = 0; j < n; j++)
            if (j != i && v[j].n && den[j] && bigint_mul_u64(&term, den[j]) != 0)
                goto done;
        if (bigint_add(&nsum, &term) != 0 || bigint_mul_u64(&d, den[i]) != 0)
            goto done;
    }
    rc = any ? bigint_ratio_double(&nsum, &d, out) : 0;
done:
    bigint_free(&nsum);
    bigint_free(&term);
    bigint_free(&d);
    return rc;
}
