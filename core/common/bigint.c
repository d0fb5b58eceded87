/* bigint.c - small non-negative big integers (bigint.h): the exact
 * products of Kaplan-Meier (km.c) and the exactly rounded weighted
 * pipeline (money.c). */
#include "bigint.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void bigint_free(struct bigint *b)
{
    free(b->l);
    memset(b, 0, sizeof *b);
}

static int reserve(struct bigint *b, size_t n)
{
    if (n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 8;
    while (cap < n)
        cap *= 2;
    uint32_t *l = realloc(b->l, cap * sizeof *l);
    if (!l)
        return -1;
    b->l = l;
    b->cap = cap;
    return 0;
}

static void trim(struct bigint *b)
{
    while (b->n && b->l[b->n - 1] == 0)
        b->n--;
}

int bigint_set_u128(struct bigint *b, unsigned __int128 v)
{
    if (reserve(b, 4) != 0)
        return -1;
    for (b->n = 0; v; v >>= 32)
        b->l[b->n++] = (uint32_t)v;
    return 0;
}

int bigint_copy(struct bigint *to, const struct bigint *from)
{
    if (reserve(to, from->n) != 0)
        return -1;
    if (from->n)
        memcpy(to->l, from->l, from->n * sizeof *to->l);
    to->n = from->n;
    return 0;
}

int bigint_mul_u32(struct bigint *b, uint32_t m)
{
    uint64_t carry = 0;
    for (size_t i = 0; i < b->n; i++) {
        carry += (uint64_t)b->l[i] * m;
        b->l[i] = (uint32_t)carry;
        carry >>= 32;
    }
    if (carry) {
        if (reserve(b, b->n + 1) != 0)
            return -1;
        b->l[b->n++] = (uint32_t)carry;
    }
    trim(b);
    return 0;
}

int bigint_mul_u64(struct bigint *b, uint64_t m)
{
    /* b*m = b*lo + (b*hi << 32), done as (b*hi)*2^32 + b*lo in one pass */
    const uint32_t lo = (uint32_t)m, hi = (uint32_t)(m >> 32);
    if (!hi)
        return bigint_mul_u32(b, lo);
    if (reserve(b, b->n + 2) != 0)
        return -1;
    unsigned __int128 carry = 0;
    const size_t n = b->n;
    uint32_t prev = 0;   /* b->l[i-1] before it was overwritten */
    for (size_t i = 0; i <= n + 1; i++) {
        const uint32_t cur = i < n ? b->l[i] : 0;
        carry += (unsigned __int128)cur * lo + (unsigned __int128)prev * hi;
        b->l[i] = (uint32_t)carry;
        carry >>= 32;
        prev = cur;
    }
    b->n = n + 2;
    trim(b);
    return 0;
}

int bigint_add(struct bigint *into, const struct bigint *b)
{
    size_t n = into->n > b->n ? into->n : b->n;
    if (reserve(into, n + 1) != 0)
        return -1;
    uint64_t carry = 0;
    for (size_t i = 0; i < n; i++) {
        carry += (uint64_t)(i < into->n ? into->l[i] : 0) + (i < b->n ? b->l[i] : 0);
        into->l[i] = (uint32_t)carry;
        carry >>= 32;
    }
    into->l[n] = (uint32_t)carry;
    into->n = n + 1;
    trim(into);
    return 0;
}

int bigint_cmp(const struct bigint *a, const struct bigint *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (size_t i = a->n; i-- > 0;)
        if (a->l[i] != b->l[i])
            return a->l[i] < b->l[i] ? -1 : 1;
    return 0;
}

static size_t bitlen(const struct bigint *b)
{
    if (!b->n)
        return 0;
    size_t bits = (b->n - 1) * 32;
    for (uint32_t top = b->l[b->n - 1]; top; top >>= 1)
        bits++;
    return bits;
}

/* to = from << k bits. */
static int shl(struct bigint *to, const struct bigint *from, size_t k)
{
    const size_t w = k / 32, s = k % 32, n = from->n + w + 1;
    if (reserve(to, n) != 0)
        return -1;
    memset(to->l, 0, n * sizeof *to->l);
    for (size_t i = 0; i < from->n; i++) {
        const uint64_t v = (uint64_t)from->l[i] << s;
        to->l[i + w] |= (uint32_t)v;
        to->l[i + w + 1] |= (uint32_t)(v >> 32);
    }
    to->n = n;
    trim(to);
    return 0;
}

/* a -= b, b <= a. */
static void sub(struct bigint *a, const struct bigint *b)
{
    int64_t borrow = 0;
    for (size_t i = 0; i < a->n; i++) {
        int64_t v = (int64_t)a->l[i] - (i < b->n ? b->l[i] : 0) - borrow;
        borrow = v < 0;
        a->l[i] = (uint32_t)(v + (borrow ? ((int64_t)1 << 32) : 0));
    }
    trim(a);
}

int bigint_ratio_double(const struct bigint *num, const struct bigint *den, double *out)
{
    if (!num->n) {
        *out = 0.0;
        return 0;
    }
    /* Scale so the quotient q = floor(r / d) has 55 or 56 bits: then bit 0
     * lies below the rounding bit and can carry the remainder as a sticky
     * bit, and converting q is the one rounding. */
    const long b = (long)bitlen(num) - (long)bitlen(den);
    const long shift = 55 - b;   /* value = q * 2^-shift */
    struct bigint r = {0}, d = {0}, t = {0};
    int rc = -1;
    if ((shift >= 0 ? shl(&r, num, (size_t)shift) : bigint_copy(&r, num)) != 0 ||
        (shift >= 0 ? bigint_copy(&d, den) : shl(&d, den, (size_t)-shift)) != 0)
        goto done;
    uint64_t q = 0;
    for (int bit = 56; bit >= 0; bit--) {
        if (shl(&t, &d, (size_t)bit) != 0)
            goto done;
        if (bigint_cmp(&t, &r) <= 0) {
            sub(&r, &t);
            q |= (uint64_t)1 << bit;
        }
    }
    *out = ldexp((double)(q | (r.n != 0)), (int)-shift);
    rc = 0;
done:
    bigint_free(&r);
    bigint_free(&d);
    bigint_free(&t);
    return rc;
}
