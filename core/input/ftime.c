/* ftime.c - the time formats funnel reads from CSV input and the command line,
 * and the one it writes.  Hand-rolled because strptime/timegm/mktime quietly
 * normalise impossible dates (2023-02-29 becomes March 1) and consult TZ.
 * ftime_parse runs once per CSV row, so the common shape is straight-line
 * code that never looks past len (the input is a field, not a C string). */
#include "ftime.h"

#include <stdbool.h>

#define DAY INT64_C(86400)

/* 10000 years of 366 days: longer than any real window, yet small enough
 * that adding it to any valid time cannot overflow int64. */
#define DURATION_MAX INT64_C(316224000000)

static const char EXPECTED[] =
    "expected YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] or Unix seconds";
static const char EXPECTED_CLOCK[] = "expected HH:MM or HH:MM:SS after the date";
static const char EXPECTED_ZONE[] = "expected Z, +HH:MM or -HH:MM after the time";
static const char OUT_OF_RANGE[] =
    "outside 0000-01-01T00:00:00Z..9999-12-31T23:59:59Z";

/* Unsigned wrap-around sends every non-digit byte, NUL included, above 9. */
static unsigned digit(char c)
{
    return (unsigned)(unsigned char)c - (unsigned)'0';
}

/* 0-99, or -1 unless both bytes are digits. */
static int two_digits(const char *p)
{
    unsigned a = digit(p[0]), b = digit(p[1]);
    return (a > 9 || b > 9) ? -1 : (int)(a * 10 + b);
}

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned month_days(int64_t y, unsigned m)
{
    if (m == 2)
        return 28u + is_leap(y);
    /* Odd months have 31 days up to July, even ones from August. */
    return 30u + ((m + (m >> 3)) & 1u);
}

/* Howard Hinnant's days_from_civil: March-based years put the leap day
 * last, so the day of the year is a linear formula. */
int64_t ftime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse, Hinnant's civil_from_days. */
void ftime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Digits only; leading zeros are allowed, so stop accumulating once past
 * the maximum instead of overflowing on a long run of digits. */
static const char *parse_unix(const char *s, size_t len, int64_t *out)
{
    if (len == 0)
        return EXPECTED;
    int64_t v = 0;
    bool too_big = false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = digit(s[i]);
        if (d > 9)
            return EXPECTED;
        if (!too_big) {
            v = v * 10 + d;
            too_big = v > FTIME_MAX;
        }
    }
    if (too_big)
        return "Unix seconds must be at most 253402300799";
    *out = v;
    return NULL;
}

/* YYYY-MM-DD in s[0..10). */
static const char *parse_date(const char *s, int64_t *days)
{
    int yh = two_digits(s), yl = two_digits(s + 2);
    int mo = two_digits(s + 5), d = two_digits(s + 8);
    if (yh < 0 || yl < 0 || mo < 0 || d < 0 || s[4] != '-' || s[7] != '-')
        return EXPECTED;
    if (mo < 1 || mo > 12)
        return "month must be 01-12";
    if (d < 1 || d > 31)
        return "day must be 01-31";
    int64_t y = yh * 100 + yl;
    if ((unsigned)d > month_days(y, (unsigned)mo))
        return "no such date";
    *days = ftime_days_from_civil(y, (unsigned)mo, (unsigned)d);
    return NULL;
}

/* The fraction only says how finely the source measured; it is dropped. */
static const char *skip_fraction(const char **pp, const char *end)
{
    const char *p = *pp, *first = ++p;
    while (p < end && digit(*p) <= 9)
        p++;
    if (p == first)
        return "expected digits after '.'";
    *pp = p;
    return NULL;
}

/* HH:MM[:SS[.frac]] at *pp; on success *pp moves past it. */
static const char *parse_clock(const char **pp, const char *end, int64_t *secs)
{
    const char *p = *pp;
    if (end - p < 5 || p[2] != ':')
        return EXPECTED_CLOCK;
    int h = two_digits(p), mi = two_digits(p + 3), sec = 0;
    if (h < 0 || mi < 0)
        return EXPECTED_CLOCK;
    p += 5;
    if (p < end && *p == ':') {
        if (end - p < 3 || (sec = two_digits(p + 1)) < 0)
            return EXPECTED_CLOCK;
        p += 3;
        const char *why = p < end && *p == '.' ? skip_fraction(&p, end) : NULL;
        if (why)
            return why;
    }
    if (h > 23)
        return "hour must be 00-23";
    if (mi > 59)
        return "minute must be 00-59";
    if (sec > 59)
        return "second must be 00-59";
    *secs = h * 3600 + mi * 60 + sec;
    *pp = p;
    return NULL;
}

/* Z, z, +HH:MM, -HH:MM or nothing, and then the end of the field. */
static const char *parse_zone(const char *p, const char *end, int64_t *offset)
{
    *offset = 0;
    if (p == end)
        return NULL;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        if (end - p < 6 || p[3] != ':')
            return EXPECTED_ZONE;
        int oh = two_digits(p + 1), om = two_digits(p + 4);
        if (oh < 0 || om < 0)
            return EXPECTED_ZONE;
        if (oh > 23)
            return "offset must be at most 23:59";
        if (om > 59)
            return "offset minutes must be 00-59";
        *offset = (*p == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
        p += 6;
    } else {
        return EXPECTED_ZONE;
    }
    return p == end ? NULL : "unexpected text after the time zone";
}

static const char *parse_datetime(const char *s, const char *end, int64_t *out)
{
    int64_t days, secs = 0, offset = 0;
    if (end - s < 10)
        return EXPECTED;
    const char *why = parse_date(s, &days);
    if (why)
        return why;
    const char *p = s + 10;
    if (p < end) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return "expected T, t or one space between date and time";
        p++;
        if ((why = parse_clock(&p, end, &secs)) ||
            (why = parse_zone(p, end, &offset)))
            return why;
    }
    /* Every date is in range; only an offset can push it outside. */
    int64_t t = days * DAY + secs - offset;
    if (t < FTIME_MIN || t > FTIME_MAX)
        return OUT_OF_RANGE;
    *out = t;
    return NULL;
}

const char *ftime_parse(const char *s, size_t len, int64_t *out)
{
    if (len >= 5 && s[4] == '-')
        return parse_datetime(s, s + len, out);
    return parse_unix(s, len, out);
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

int ftime_format(int64_t t, char *buf)
{
    /* Outside the range the year needs a sign or a fifth digit and would
     * overrun buf; clamping keeps a caller's mistake from corrupting memory. */
    if (t < FTIME_MIN)
        t = FTIME_MIN;
    if (t > FTIME_MAX)
        t = FTIME_MAX;
    int64_t days = t / DAY, secs = t % DAY;
    if (secs < 0) {
        secs += DAY;
        days--;
    }
    int64_t y;
    unsigned m, d, s = (unsigned)secs;
    ftime_civil_from_days(days, &y, &m, &d);
    put2(buf, (unsigned)(y / 100));
    put2(buf + 2, (unsigned)(y % 100));
    buf[4] = '-';
    put2(buf + 5, m);
    buf[7] = '-';
    put2(buf + 8, d);
    buf[10] = 'T';
    put2(buf + 11, s / 3600);
    buf[13] = ':';
    put2(buf + 14, s / 60 % 60);
    buf[16] = ':';
    put2(buf + 17, s % 60);
    buf[19] = 'Z';
    buf[20] = '\0';
    return 20;
}

static int64_t unit_seconds(char c)
{
    switch (c) {
    case '\0':
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return DAY;
    case 'w': return 7 * DAY;
    default: return 0;
    }
}

int ftime_parse_duration(const char *s, int64_t *out)
{
    if (!s || digit(*s) > 9)
        return -1;
    int64_t v = 0;
    for (; digit(*s) <= 9; s++) {
        v = v * 10 + digit(*s);
        if (v > DURATION_MAX)
            return -1;
    }
    int64_t unit = unit_seconds(*s);
    if (unit == 0 || (*s != '\0' && s[1] != '\0'))
        return -1;
    if (v > DURATION_MAX / unit)
        return -1;
    *out = v * unit;
    return 0;
}
