/* csvin.h - RFC 4180 records from a CSV input, on top of libcsv (README.md
 * "Input"; docs/DECISIONS.md "Input").  libcsv is configured strict and
 * told that only LF ends a line and no byte is a space; this layer adds
 * what libcsv lacks: physical line numbers, CRLF, a bare CR and NUL as
 * errors, a leading BOM, UTF-8 validation and a bound on field size.
 */
#ifndef FUNNEL_CSVIN_H
#define FUNNEL_CSVIN_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define CSVIN_MAX_FIELD 65535u    /* bytes; a longer field is bad input */
#define CSVIN_MAX_FIELDS 4096u    /* columns in one record */

/* One record.  Fields are borrowed: valid during the callback only.
 * When bad is set the record broke a byte-level rule (NUL, bare CR, invalid
 * UTF-8, too many fields): why says which, bad_col the 1-based field. */
struct csvin_rec {
    uint32_t nfields;
    const char *const *field;
    const uint32_t *len;
    long line;           /* physical line where the record starts */
    uint64_t index;      /* 0-based record number (the header is 0) */
    int bad;
    long bad_col;
    const char *why;
};

/* Called per record; return 0 to go on, or a negative FB_E* code (with err
 * filled) to stop reading. */
typedef int (*csvin_fn)(void *ctx, const struct csvin_rec *rec, struct fb_error *err);

/* Read all of fd (path is used in messages; "-" for stdin) and call fn for
 * every record, in order; empty lines are skipped.  Stops at the first
 * structural error (bad quoting, unterminated quote, a field over
 * CSVIN_MAX_FIELD bytes), which is returned as FB_EINPUT with path, line and
 * column.  Returns 0, FB_EINPUT, FB_EIO, FB_ENOMEM, or fn's error.
 * *nbytes (may be NULL) receives the bytes read. */
int csvin_read(int fd, const char *path, csvin_fn fn, void *ctx, uint64_t *nbytes,
               struct fb_error *err) FB_MUST_USE;

/* csvin_read with flags.  CSVIN_ALL_LIBCSV gives every line to libcsv,
 * skipping the fast path for plain lines (no quote, CR or NUL): the records
 * and errors must be the same either way, which the unit and fuzz tests
 * check by reading their inputs both ways. */
#define CSVIN_ALL_LIBCSV 1u
int csvin_read_flags(int fd, const char *path, unsigned flags, csvin_fn fn, void *ctx,
                     uint64_t *nbytes, struct fb_error *err) FB_MUST_USE;

/* Is s[0..n) valid UTF-8 (no overlongs, surrogates or values past U+10FFFF)? */
int csvin_utf8_valid(const unsigned char *s, size_t n);

#endif
