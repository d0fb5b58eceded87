/* real17.c - see real17.h.  A double is m * 2^e with m < 2^53.  For
 * 1e-5 <= |v| < 1e17 (what reports hold: rates, days, money as doubles)
 * v * 10^p, for the p that leaves 17 digits before the point, is
 * m * 10^p / 2^-e with m * 10^p below 2^123: a 128-bit integer division,
 * exact, then rounded half to even as glibc rounds in the default mode.
 * Anything else (0 aside) goes to snprintf itself. */
#include "real17.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef unsigned __int128 u128;

#define E16 UINT64_C(10000000000000000)
#define E17 UINT64_C(100000000000000000)

/* floor(m * 2^e2 * 10^p) and whether the rest is below, at or above one
 * half (-1, 0, 1; -2 when there is no rest). */
static uint64_t scaled(uint64_t m, int e2, int p, int *rest)
{
    u128 a = m;
    for (int i = 0; i < p; i++)
        a *= 10;
    if (e2 >= 0) {
        *rest = -2;
        return (uint64_t)(a << e2);
    }
    const int q = -e2;
    const u128 frac = a & (((u128)1 << q) - 1), half = (u128)1 << (q - 1);
    *rest = frac == 0 ? -2 : frac < half ? -1 : frac == half ? 0 : 1;
    return (uint64_t)(a >> q);
}

/* The 17 digits of v (|v| in range) into d, and the decimal exponent of
 * the first: v is about d[0].d[1..16] * 10^x. */
static int digits17(double v, char d[17])
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    const uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    const int e2 = (int)((bits >> 52) & 0x7ff) - 1075;
    /* In range, the exponent is -5 to 16 (so 10^p below, p = 16 - x, is
     * 10^0 to 10^21); log10 may be one off near a power of ten. */
    int x = (int)floor(log10(v));
    x = x > 16 ? 16 : x < -5 ? -5 : x;
    uint64_t n;
    int rest;
    for (;;) {
        n = scaled(m, e2, 16 - x, &rest);
        if (n < E16)
            x--;
        else if (n >= E17)
            x++;
        else
            break;
    }
    if (rest == 1 || (rest == 0 && (n & 1)))
        n++;
    if (n == E17) {   /* 9.99...95 rounded up to 10.000... */
        n = E16;
        x++;
    }
    for (int i = 16; i >= 0; i--, n /= 10)
        d[i] = (char)('0' + n % 10);
    return x;
}

size_t real17(double v, char out[REAL17_MAX])
{
    const double a = fabs(v);
    if (v == 0 || !(a >= 1e-5 && a < 1e17))
        return (size_t)snprintf(out, REAL17_MAX, "%.17g", v);
    char d[17], *o = out;
    if (v < 0)
        *o++ = '-';
    const int x = digits17(a, d);
    int last = 16;   /* %g drops trailing zeros */
    while (last > 0 && d[last] == '0')
        last--;
    if (x < -4 || x >= 17) {   /* d[0].d[1..]e-05, e+17 */
        *o++ = d[0];
        if (last > 0) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)last);
            o += last;
        }
        const int ax = x < 0 ? -x : x;
        *o++ = 'e';
        *o++ = x < 0 ? '-' : '+';
        *o++ = (char)('0' + ax / 10);
        *o++ = (char)('0' + ax % 10);
    } else if (x >= 0) {   /* d[0..x].d[x+1..] */
        memcpy(o, d, (size_t)x + 1);
        o += x + 1;
        if (last > x) {
            *o++ = '.';
            memcpy(o, d + x + 1, (size_t)(last - x));
            o += last - x;
        }
    } else {   /* 0.000d[0..] */
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > x; i--)
            *o++ = '0';
        memcpy(o, d, (size_t)last + 1);
        o += last + 1;
    }
    *o = '\0';
    return (size_t)(o - out);
}
