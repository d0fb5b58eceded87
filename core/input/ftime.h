/* ftime.h - the time and duration rules of funnel's input (issue 2, "Input:
 * CSV events"): parsing without strptime/timegm/mktime (they normalise
 * 2023-02-29 to March 1 and depend on TZ), and UTC formatting.
 * Pure functions: no allocation, no locale, no time zone.
 */
#ifndef FUNNEL_FTIME_H
#define FUNNEL_FTIME_H

#include <stddef.h>
#include <stdint.h>

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds. */
#define FTIME_MIN INT64_C(-62167219200)
#define FTIME_MAX INT64_C(253402300799)

/* Parse s[0..len) (not NUL-terminated) as one of:
 *   digits only                          Unix seconds, <= FTIME_MAX
 *   YYYY-MM-DD                           midnight UTC
 *   YYYY-MM-DD{T|t| }HH:MM[:SS[.frac]]{Z|z|+HH:MM|-HH:MM|}
 * On success stores whole UTC seconds in *out and returns NULL.  On failure
 * returns a static message saying what was wrong and what was expected,
 * e.g. "no such date" or "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]
 * or Unix seconds"; *out is unspecified. */
const char *ftime_parse(const char *s, size_t len, int64_t *out);

/* Write t as "YYYY-MM-DDTHH:MM:SSZ" plus NUL into buf (>= 21 bytes).
 * t must be within [FTIME_MIN, FTIME_MAX]. Returns 20 (the length). */
int ftime_format(int64_t t, char *buf);

/* Parse a duration: digits followed by nothing or one of s, m, h, d, w
 * ("90s", "45m", "12h", "30d", "2w", "3600").  Returns 0 and stores seconds,
 * or -1 when malformed, empty, or over 10000 years. */
int ftime_parse_duration(const char *s, int64_t *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (y may be 0). */
int64_t ftime_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The inverse: the proleptic Gregorian date of day z since 1970-01-01. */
void ftime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
