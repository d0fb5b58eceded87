/* chart_label.c - cleaning, quoting and formatting chart labels; see
 * chart_label.h and docs/CHARTS.md ("Safety model"). */
#include "chart_label.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ftime.h"
#include "text_num.h"

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when the byte there
 * does not start one (stray continuation, overlong form, surrogate, past
 * U+10FFFF, cut short). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) ||
        (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

static int is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

int chart_clean(const char *s, size_t len, char **out, struct fb_error *err)
{
    const unsigned char *u = (const unsigned char *)s;
    char *d = malloc(len + 1);
    if (!d)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(u + i, len - i);
        if (k == 0) {
            d[i++] = '?';
        } else if (k == 1) {
            d[i] = is_control(u[i]) ? ' ' : s[i];
            i++;
        } else {
            memcpy(d + i, s + i, k);
            i += k;
        }
    }
    d[len] = '\0';
    *out = d;
    return 0;
}

int chart_quote(const char *s, size_t len, char **out, struct fb_error *err)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len > ((size_t)-1 - 3) / 2)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    char *d = malloc(2 * len + 3), *p = d;
    if (!d)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    *p++ = '\'';
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(u + i, len - i);
        if (k == 0) {
            *p++ = '?';
            i++;
        } else if (k > 1) {
            memcpy(p, s + i, k);
            p += k;
            i += k;
        } else {
            if (s[i] == '\'')
                *p++ = '\'';
            if (!is_control(u[i]))
                *p++ = s[i];
            i++;
        }
    }
    *p++ = '\'';
    *p = '\0';
    *out = d;
    return 0;
}

size_t chart_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* DejaVu Sans advance widths of ' ' to '~', in 1/2048 em. */
static const unsigned short ascii_advance[95] = {
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1589, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253,
    1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
};

double chart_text_em(const char *s)
{
    double em = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7F)
            em += ascii_advance[*p - 0x20] / 2048.0;
        else if (*p >= 0xC0 || *p < 0x20 || *p == 0x7F)
            em += *p >= 0xC0 ? 0.75 : 0.318;
    }
    return em;
}

/* A line may end after these (the break keeps them on the first line). */
static int breaks_after(char c)
{
    return c == '-' || c == '_' || c == '/' || c == '.' || c == ',' || c == ')' ||
           c == ':' || c == ';' || c == '&' || c == '+';
}

size_t chart_wrap_point(const char *s, size_t *skip)
{
    size_t n = chart_width(s), best = 0, best_skip = 0, best_worst = (size_t)-1;
    *skip = 0;
    if (n <= CHART_WRAP_AT)
        return 0;
    /* Try every space and punctuation break; keep the most balanced one.
     * `chars` counts the code points before byte offset i. */
    size_t chars = 0;
    for (size_t i = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            chars++;
        size_t first = 0, second = 0, sk = 0, at = 0;
        if (s[i] == ' ' && i > 0) {
            first = chars - 1, second = n - chars, sk = 1, at = i;
        } else if (breaks_after(s[i]) && s[i + 1]) {
            first = chars, second = n - chars, at = i + 1;
        } else {
            continue;
        }
        size_t worst = first > second ? first : second;
        if (first > 0 && second > 0 && worst <= CHART_LINE_MAX && worst < best_worst) {
            best = at, best_skip = sk, best_worst = worst;
        }
    }
    if (best) {
        *skip = best_skip;
        return best;
    }
    /* No good break: cut at the middle code point. */
    size_t half = (n + 1) / 2;
    chars = 0;
    for (size_t i = 0; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == half)
            return i;
    return 0;
}

/* Write s[0..len) escaped for a quoted gnuplot data field. */
static void put_escaped(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\')
            fputs("\\\\", out);
        else if (c == '"')
            fputs("\\0042", out);   /* 4 octal digits: a digit after it stays a digit */
        else
            putc(is_control(c) ? ' ' : c, out);
    }
}

/* The byte length of the first `chars` code points of s. */
static size_t prefix_bytes(const char *s, size_t chars)
{
    size_t i = 0, n = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == chars)
            break;
    return i;
}

int chart_tsv_text(FILE *out, const char *s, int wrap, struct fb_error *err)
{
    size_t len = strlen(s), skip = 0, at = wrap ? chart_wrap_point(s, &skip) : 0;
    if (len > 0) {
        putc('"', out);
        if (at == 0) {
            put_escaped(out, s, len);
        } else {
            put_escaped(out, s, at);
            fputs("\\n", out);
            const char *rest = s + at + skip;
            if (chart_width(rest) > CHART_LINE_MAX) {
                put_escaped(out, rest, prefix_bytes(rest, CHART_LINE_MAX - 1));
                fputs("\xE2\x80\xA6", out);  /* U+2026 horizontal ellipsis */
            } else {
                put_escaped(out, rest, strlen(rest));
            }
        }
        putc('"', out);
    }
    if (ferror(out))
        return fb_fail(err, FB_EIO, "cannot write chart data: %s", strerror(errno));
    return 0;
}

void chart_fmt_count(uint64_t v, char *buf, size_t cap)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    if (cap)
        buf[o < cap ? o : cap - 1] = '\0';
}

void chart_fmt_pct(double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "n/a");
    else
        snprintf(buf, cap, "%.1f%%", 100.0 * v);
}

void chart_fmt_days(double seconds, char *buf, size_t cap)
{
    /* The one days format of every output (docs/DECISIONS.md, "Numbers in
     * --text"): rpt_num_days, then the unit. */
    char d[RPT_NUM_MAX];
    double days = seconds / 86400.0;
    if (isnan(days)) {
        snprintf(buf, cap, "n/a");
        return;
    }
    rpt_num_days(d, days);
    snprintf(buf, cap, "%s d", d);
}

void chart_fmt_as_of(int has, int64_t as_of, char *buf, size_t cap)
{
    char t[32];
    if (!has) {
        snprintf(buf, cap, "no events yet");
        return;
    }
    ftime_format(as_of, t);
    /* "2026-12-31T23:50:38Z" -> "as of 2026-12-31 23:50 UTC" */
    snprintf(buf, cap, "as of %.10s %.5s UTC", t, t + 11);
}

int chart_put_quoted(FILE *out, const char *s, struct fb_error *err)
{
    char *q;
    if (chart_quote(s, strlen(s), &q, err))
        return FB_ENOMEM;
    fputs(q, out);
    free(q);
    return 0;
}
