/* real17.h - the text printf's "%.17g" gives a double, exactly, without
 * printf: report.json writes every real with 17 significant digits (the
 * exact double, docs/DECISIONS.md "Doubles in JSON"), and a breakdown's
 * report holds some 70,000 of them, and glibc's multi-precision
 * formatting of them was 19 of the 62 ms of writing it.
 */
#ifndef FUNNEL_REAL17_H
#define FUNNEL_REAL17_H

#include <stddef.h>

#define REAL17_MAX 32   /* the longest text, with its NUL: -1.2345678901234567e-308 */

/* Write snprintf(out, REAL17_MAX, "%.17g", v) byte for byte (finite v,
 * C locale: "." as the point); returns its length. */
size_t real17(double v, char out[REAL17_MAX]);

#endif
