/* money.h - exact decimal amounts (docs/METRICS.md §4.19 "Money"): an
 * amount is an integer count of 10^-9 units plus k, the fraction digits it
 * was written with (at most 9: more digits are rounded half-even to 9
 * first).  Sums are 128-bit and keep the largest k of their addends, so
 * they are exact, order-independent and mergeable, and are written once, as
 * a JSON number with exactly k fraction digits.
 */
#ifndef FUNNEL_MONEY_H
#define FUNNEL_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_MAX_K 9

/* One amount: units of 10^-9 and the fraction digits k as written
 * (capped at 9). */
struct money {
    unsigned __int128 units;
    unsigned k;
};

/* A sum of amounts: n addends, their total in 10^-9 units, the largest k
 * among them; overflow (past 2^128 - 1 units) is sticky and makes the sum
 * null.  All zero is the empty sum. */
struct money_sum {
    unsigned __int128 units;
    uint64_t n;
    unsigned k;
    int overflow;
};

/* Parse len bytes of an amount as the log stores it (FORMAT.md §3: digits,
 * optionally '.' and digits).  Returns 0, or -1 when s is not such a
 * string or its value does not fit 128 bits of 10^-9 units. */
int money_parse(const char *s, size_t len, struct money *out);

/* <0, 0, >0 as a is smaller, equal or larger than b: by value, then (equal
 * values spelled differently, 0.1 and 0.10) by k, more digits larger. */
int money_cmp(const struct money *a, const struct money *b);

/* Add m to s (inline: the summary adds one a counted entity). */
static inline void money_sum_add(struct money_sum *s, const struct money *m)
{
    if (s->units > ~(unsigned __int128)0 - m->units)
        s->overflow = 1;
    s->units += m->units;               /* wraps; meaningless once overflowed */
    s->n++;
    s->k = m->k > s->k ? m->k : s->k;
}

void money_sum_merge(struct money_sum *into, const struct money_sum *from);

/* The sum as a JSON number with exactly k fraction digits ("13.600000003",
 * "7", "0.50") into buf (NUL-terminated); returns its length, or 0 when
 * the sum is empty or overflowed (the caller writes null). */
#define MONEY_TEXT_MAX 48
size_t money_format(const struct money_sum *s, char buf[MONEY_TEXT_MAX]);

/* The sum's count of 10^-9 units (not the amount: divide by 1e9) as a
 * double, rounded once; NaN when empty or overflowed. */
double money_to_double(const struct money_sum *s);

/* The amount of the sum divided by den, value / den, rounded once to the
 * nearest double (ties to even): avg_won is money_ratio_double(won, n),
 * an exact rational written once as a double (METRICS.md §4.19).  NaN
 * when the sum is empty or overflowed or den is 0. */
double money_ratio_double(const struct money_sum *s, uint64_t den);

/* Sum over i of the amount of v[i] * num[i] / den[i], rounded once to the
 * nearest double: weighted_open = this over the stages, with v the open
 * value of a stage, num = won and den = closed (METRICS.md §4.19).  Terms
 * with an empty sum or den 0 are left out; *out is NaN when every term is
 * left out or one sum overflowed.  0, or -1 when out of memory. */
int money_weighted_double(const struct money_sum *v, const uint64_t *num, const uint64_t *den, size_t n,
                          double *out);

#endif
