/* bigint.h - small non-negative big integers, only what the exact
 * arithmetic of the deal metrics needs (docs/METRICS.md §4.19-§4.20):
 * multiply by a word, add, compare, and one correctly rounded quotient as
 * a double.  Schoolbook and short: the numbers are a few hundred words at
 * most in practice. */
#ifndef FUNNEL_BIGINT_H
#define FUNNEL_BIGINT_H

#include <stddef.h>
#include <stdint.h>

/* Little-endian 32-bit limbs; n = 0 is zero; {0} is a valid zero. */
struct bigint {
    uint32_t *l;
    size_t n, cap;
};

void bigint_free(struct bigint *b);

/* Each returns 0, or -1 when out of memory (b is then unchanged or zero). */
int bigint_set_u128(struct bigint *b, unsigned __int128 v);
int bigint_mul_u32(struct bigint *b, uint32_t m);
int bigint_mul_u64(struct bigint *b, uint64_t m);
int bigint_add(struct bigint *into, const struct bigint *b);
int bigint_copy(struct bigint *to, const struct bigint *from);

/* <0, 0, >0 as a <, =, > b. */
int bigint_cmp(const struct bigint *a, const struct bigint *b);

/* num / den (den not zero) rounded once to the nearest double, ties to
 * even; *out, or -1 when out of memory.  Quotients beyond the range of a
 * double are not expected (the callers divide sums by counts). */
int bigint_ratio_double(const struct bigint *num, const struct bigint *den, double *out);

#endif
