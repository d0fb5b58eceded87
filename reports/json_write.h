/* json_write.h - a streaming JSON writer for the report (docs/FORMAT.md
 * "report.json" is what it writes; docs/METRICS.md §4.10 the keys).
 *
 * A report with breakdowns is megabytes of JSON; building it as a jansson
 * tree and then dumping the tree cost more than computing it.  This writer
 * puts each value straight into a buffer of its own, in the layout jansson
 * gives with JSON_INDENT(2) | JSON_REAL_PRECISION(17), so reports keep
 * their bytes: objects and arrays open a line per member indented by two
 * spaces a level, "key": value, empty ones as {} and [], reals as %.17g
 * with ".0" added when that has neither a point nor an exponent (and an
 * exponent without "+" or leading zeros), strings with \" \\ \b \f \n \r
 * \t and \u00XX escaped and every other byte as it is.
 *
 * The writer does not check strings: the caller checks that every name is
 * UTF-8 before the first byte goes out (json_report.c), so that a report
 * is never half written.  Write errors are sticky and reported by
 * jw_finish. */
#ifndef FUNNEL_JSON_WRITE_H
#define FUNNEL_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_BUF 65536

struct jw {
    FILE *out;
    unsigned depth;   /* of the container being written */
    int first;        /* no member of it written yet */
    int failed;       /* a write to out failed */
    size_t n;
    char buf[JW_BUF];
};

/* Start a document written to out. */
void jw_init(struct jw *w, FILE *out);

/* End the document with a new line and flush; returns 0, or -1 when any write failed (errno is the write's). */
int jw_finish(struct jw *w);

/* Each value goes in as the member `key` of the object being written, or
 * as the next element of an array when key is NULL (and at the top). */
void jw_obj(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_int(struct jw *w, const char *key, long long v);
/* NaN or an infinity is written as null: JSON has no such numbers. */
void jw_real(struct jw *w, const char *key, double v);
void jw_null(struct jw *w, const char *key);
void jw_bool(struct jw *w, const char *key, int v);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_strn(struct jw *w, const char *key, const char *s, size_t n);
/* A number already in JSON's syntax (an exact money sum), as it is. */
void jw_num_text(struct jw *w, const char *key, const char *text);

#endif
