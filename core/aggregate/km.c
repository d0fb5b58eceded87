/* km.c - Kaplan-Meier quantiles (km.h, docs/METRICS.md §4.20), S <= 1/2
 * and S <= 1/10 decided exactly.  S runs as a double with a proven bound
 * on its relative error; only where the double lies within that bound of
 * the threshold (S exactly 1/2 after 2 of 4 events, say) is the step
 * decided exactly, with S = prod (n_i - d_i) / n_i held as exponents of
 * primes, so the common telescoping cases cost no big numbers at all. */
#include "km.h"
#include "bigint.h"
#include <float.h>
#include <stdlib.h>
#include <string.h>

/* ---- the steps: one per distinct event time ---- */

/* A walk over the event times: at each, n at risk (every value >= t: a
 * censoring at t is still at risk, METRICS.md §4.20) and d events. */
struct km_walk {
    const int64_t *ev, *cens;
    size_t ne, nc, i, j, n;
};

static void walk_init(struct km_walk *w, const int64_t *ev, size_t ne, const int64_t *cens, size_t nc)
{
    *w = (struct km_walk){.ev = ev, .cens = cens, .ne = ne, .nc = nc, .n = ne + nc};
}

/* The next step into *t, *n, *d; 0 when there is none. */
static int walk_next(struct km_walk *w, int64_t *t, size_t *n, size_t *d)
{
    if (w->i == w->ne)
        return 0;
    *t = w->ev[w->i];
    while (w->j < w->nc && w->cens[w->j] < *t) {   /* censored before t */
        w->j++;
        w->n--;
    }
    size_t i0 = w->i;
    while (w->i < w->ne && w->ev[w->i] == *t)
        w->i++;
    *n = w->n;
    *d = w->i - i0;
    w->n -= *d;
    return 1;
}

/* ---- exact products: exponents of primes, and small big numbers ---- */

/* S so far as prod p^e[p]; spf[x] = the smallest prime factor of x. */
struct km_exact {
    uint32_t *spf;
    int64_t *e;
    size_t top;                /* spf and e cover 0..top */
    struct km_walk walk;       /* the steps folded into e so far */
    int zero;                  /* a factor was 0: S = 0 */
};

static int exact_init(struct km_exact *x, const int64_t *ev, size_t ne, const int64_t *cens, size_t nc,
                      struct fb_error *err)
{
    memset(x, 0, sizeof *x);
    size_t top = ne + nc < 10 ? 10 : ne + nc;   /* 10: the threshold's primes */
    if (top >= UINT32_MAX)
        return fb_fail(err, FB_ENOMEM, "Kaplan-Meier: %zu values are too many for the exact check", top);
    x->spf = calloc(top + 1, sizeof *x->spf);
    x->e = calloc(top + 1, sizeof *x->e);
    if (!x->spf || !x->e) {
        free(x->spf);
        free(x->e);
        return fb_fail(err, FB_ENOMEM, "Kaplan-Meier: out of memory for %zu values", top);
    }
    x->top = top;
    for (uint64_t p = 2; p <= top; p++) {
        if (x->spf[p])
            continue;
        x->spf[p] = (uint32_t)p;
        for (uint64_t m = p * p; m <= top; m += p)
            if (!x->spf[m])
                x->spf[m] = (uint32_t)p;
    }
    walk_init(&x->walk, ev, ne, cens, nc);
    return 0;
}

static void exact_free(struct km_exact *x)
{
    free(x->spf);
    free(x->e);
}

/* e[p] += sign * (the exponent of p in v), for every prime p of v <= top. */
static void exact_fold(struct km_exact *x, size_t v, int sign)
{
    while (v > 1) {
        uint32_t p = x->spf[v];
        x->e[p] += sign;
        v /= p;
    }
}

/* Fold the steps up to and including the one at time t. */
static void exact_advance(struct km_exact *x, int64_t t)
{
    int64_t ts;
    size_t n, d;
    while (x->walk.i < x->walk.ne && x->walk.ev[x->walk.i] <= t && walk_next(&x->walk, &ts, &n, &d)) {
        if (n == d)
            x->zero = 1;
        else {
            exact_fold(x, n - d, +1);
            exact_fold(x, n, -1);
        }
    }
}

/* *b = 1 * prod over p with sign*e[p] > 0 of p^(sign*e[p]), multiplying
 * by several primes at once while their product fits 32 bits. */
static int big_power_product(const struct km_exact *x, const int64_t *e, int sign, struct bigint *b)
{
    if (bigint_set_u128(b, 1) != 0)
        return -1;
    uint64_t acc = 1;
    for (size_t p = 2; p <= x->top; p++) {
        int64_t k = sign * e[p];
        for (; k > 0; k--) {
            if (acc * p > UINT32_MAX) {
                if (bigint_mul_u32(b, (uint32_t)acc) != 0)
                    return -1;
                acc = 1;
            }
            acc *= p;
        }
    }
    return bigint_mul_u32(b, (uint32_t)acc);
}

/* Whether S <= 1/den exactly at the step at time t (den 2 or 10):
 * den * prod(n_i - d_i) <= prod n_i.  1, 0, or -1 out of memory. */
static int exact_at_most(struct km_exact *x, int64_t t, unsigned den)
{
    exact_advance(x, t);
    if (x->zero)
        return 1;
    exact_fold(x, den, +1);
    int r = -1;
    struct bigint num = {0}, dnm = {0};
    if (big_power_product(x, x->e, +1, &num) == 0 && big_power_product(x, x->e, -1, &dnm) == 0)
        r = bigint_cmp(&num, &dnm) <= 0;
    exact_fold(x, den, -1);
    bigint_free(&num);
    bigint_free(&dnm);
    return r;
}

/* ---- the sweep ---- */

int km_quantiles(const int64_t *ev, size_t ne, const int64_t *cens, size_t nc,
                 struct km_result *out, struct fb_error *err)
{
    memset(out, 0, sizeof *out);
    static const unsigned den[2] = {2, 10};
    int *has[2] = {&out->has_median, &out->has_p90};
    int64_t *at[2] = {&out->median_s, &out->p90_s};
    struct km_exact x;
    int have_exact = 0, rc = 0;
    struct km_walk w;
    walk_init(&w, ev, ne, cens, nc);
    /* s approximates S; after m steps |s - S| <= S * m * 4u * (1 + tiny):
     * each step rounds n - d and n to doubles (exact below 2^53), divides
     * and multiplies, four roundings of relative error u = DBL_EPSILON / 2
     * at most.  The test below allows twice that and then some. */
    double s = 1.0;
    size_t m = 0;
    int64_t t;
    size_t n, d;
    while (!(*has[0] && *has[1]) && walk_next(&w, &t, &n, &d)) {
        s *= (double)(n - d) / (double)n;
        m++;
        const double bound = ((double)m * 8.0 + 8.0) * DBL_EPSILON;
        for (int q = 0; q < 2; q++) {
            if (*has[q])
                continue;
            const double thr = 1.0 / den[q];
            int yes;
            if (s <= thr * (1.0 - bound))
                yes = 1;
            else if (s > thr * (1.0 + bound))
                yes = 0;
            else {
                /* Too close to call in doubles: count it exactly. */
                if (!have_exact) {
                    rc = exact_init(&x, ev, ne, cens, nc, err);
                    if (rc != 0)
                        return rc;
                    have_exact = 1;
                }
                yes = exact_at_most(&x, t, den[q]);
                if (yes < 0) {
                    rc = fb_fail(err, FB_ENOMEM, "Kaplan-Meier: out of memory in the exact check");
                    break;
                }
            }
            if (yes) {
                *has[q] = 1;
                *at[q] = t;
            }
        }
        if (rc != 0)
            break;
    }
    if (have_exact)
        exact_free(&x);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}
