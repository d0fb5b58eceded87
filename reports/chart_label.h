/* chart_label.h - how data-derived text reaches gnuplot (docs/CHARTS.md,
 * "Safety model").  Text from the CRM is never gnuplot code:
 * it goes into a .tsv field that gnuplot reads as data, or into one
 * single-quoted string token, in which gnuplot expands nothing.  Also the
 * small number formatters that every chart's labels share. */
#ifndef FUNNEL_CHART_LABEL_H
#define FUNNEL_CHART_LABEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "err.h"

/* A tick label wraps onto a second line past this many characters (code
 * points), at a space or punctuation near the middle; no line of a name up
 * to 64 bytes is then longer than CHART_LINE_MAX characters. */
#define CHART_WRAP_AT 26
#define CHART_LINE_MAX 34

/* Clean s[0..len) for a label: every control byte (0x00-0x1f, 0x7f: tab,
 * newline, escape, NUL, ...) becomes a space and every byte that is not
 * part of valid UTF-8 becomes '?'.  Sets *out to a new NUL-terminated
 * string of the same length (the caller frees it).  Returns 0 or
 * FB_ENOMEM. */
int chart_clean(const char *s, size_t len, char **out, struct fb_error *err) FB_MUST_USE;

/* One single-quoted gnuplot string token for s[0..len), whatever its bytes:
 * a quote is doubled (gnuplot reads '' inside '...' as one '), control
 * bytes are removed (so the token never spans a line), invalid UTF-8 bytes
 * become '?'.  Inside single quotes gnuplot expands no back quotes, no @
 * macros and no backslash escapes, and ';' and '#' are plain text, so the
 * token is inert wherever a string may stand.  Sets *out to the new token
 * (caller frees).  Returns 0 or FB_ENOMEM. */
int chart_quote(const char *s, size_t len, char **out, struct fb_error *err) FB_MUST_USE;

/* chart_quote of the NUL-terminated s, written to out.  Returns 0 or
 * FB_ENOMEM. */
int chart_put_quoted(FILE *out, const char *s, struct fb_error *err) FB_MUST_USE;

/* Write the NUL-terminated text s as one field of a tab-separated data
 * file, so that gnuplot (`set datafile separator "\t"`) reads it back as
 * exactly s with strcol(): the field is put in double quotes (which keep
 * leading spaces), a backslash is written \\ and a double quote \0042
 * (gnuplot ends a field at any raw '"', and applies backslash escapes to
 * string fields); control bytes, which s should not hold (chart_clean),
 * become spaces.  An empty s is an empty field ("" would swallow the next
 * field).  With wrap, a long s is broken onto two lines (an \n escape) at
 * a space or punctuation near its middle, the second line cut with an
 * ellipsis past CHART_LINE_MAX characters.  Returns 0 or FB_EIO. */
int chart_tsv_text(FILE *out, const char *s, int wrap, struct fb_error *err) FB_MUST_USE;

/* Where chart_tsv_text(.., wrap=1) breaks s: the byte offset of the
 * second line, and in *skip how many bytes (a space) are dropped there;
 * 0 when s stays on one line. */
size_t chart_wrap_point(const char *s, size_t *skip);

/* Number of code points of UTF-8 text s. */
size_t chart_width(const char *s);

/* Approximate width of UTF-8 text s in em, from the advance widths of
 * DejaVu Sans (the "Sans" that pngcairo finds on Debian); any code point
 * past ASCII counts 0.75 em.  Used to lay out margins and label room. */
double chart_text_em(const char *s);

/* 1234567 -> "1,234,567". */
void chart_fmt_count(uint64_t v, char *buf, size_t cap);

/* A fraction as a percentage with one decimal: 0.4567 -> "45.7%"; NaN ->
 * "n/a". */
void chart_fmt_pct(double v, char *buf, size_t cap);

/* Seconds as days, in the one days format of every output (rpt_num_days,
 * reports/text_num.h): one decimal below 10 ("3.5 d"), none from 10 on
 * ("12 d", "212 d"); NaN: "n/a". */
void chart_fmt_days(double seconds, char *buf, size_t cap);

/* The date line of every chart: "as of 2026-12-31 23:50 UTC" for a report
 * with an as_of (has), "no events yet" without one. */
void chart_fmt_as_of(int has, int64_t as_of, char *buf, size_t cap);

#endif
