/* fuzz_jsondiff.c - the JSON side of `funnel check` (and of `funnel chart`,
 * which reads a report back).  Input: one byte choosing the tolerance, then
 * EXPECTED, a NUL byte, REPORT (no NUL: the two halves of the rest).  Both
 * are parsed as `check` parses them (jansson, JSON_REJECT_DUPLICATES, an
 * object or array at the top); jdiff_compare must then return 0, call emit
 * with proper strings exactly *differences times, and find no difference
 * between a document and itself.  The report half is also read with
 * rpt_json_read (reports/json_read.h), which must accept or refuse it with
 * FB_EINPUT and a message, never crash. */
#include "fuzz_common.h"

#include <jansson.h>

#include "json_read.h"
#include "jsondiff.h"

static const double tolerances[] = {1e-9, 0.0, 1e-6, 0.5, 1.0, 1e300};

struct emitted {
    size_t calls;
};

static void emit(void *ctx, const char *path, const char *what)
{
    struct emitted *e = ctx;
    FUZZ_CHECK(path && what && path[0] && what[0], "empty path or text");
    FUZZ_CHECK(strlen(path) < (1u << 24) && strlen(what) < (1u << 24), "unterminated strings");
    e->calls++;
}

static json_t *parse(const uint8_t *p, size_t n)
{
    json_error_t je;
    return json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &je);
}

static void compare(const json_t *expected, const json_t *got, double tol, int self)
{
    struct emitted e = {0};
    size_t compared = 0, differences = 0;
    struct fb_error err;
    fb_error_clear(&err);
    int rc = jdiff_compare(expected, got, tol, emit, &e, &compared, &differences, &err);
    FUZZ_CHECK(rc == 0, "jdiff_compare returned %d: %s", rc, err.msg);
    FUZZ_CHECK(e.calls == differences, "%zu calls of emit, %zu differences", e.calls, differences);
    if (self)
        FUZZ_CHECK(differences == 0, "a document differs from itself (%zu differences)", differences);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    double tol = tolerances[data[0] % (sizeof tolerances / sizeof tolerances[0])];
    const uint8_t *rest = data + 1;
    size_t n = size - 1;
    const uint8_t *nul = memchr(rest, '\0', n);
    size_t n1 = nul ? (size_t)(nul - rest) : n / 2;
    const uint8_t *second = nul ? nul + 1 : rest + n1;
    size_t n2 = n - (size_t)(second - rest);

    json_t *expected = parse(rest, n1), *got = parse(second, n2);
    if (expected)
        compare(expected, expected, tol, 1);
    if (got)
        compare(got, got, tol, 1);
    if (expected && got) {
        compare(expected, got, tol, 0);
        compare(got, expected, tol, 0);
    }
    json_decref(expected);
    json_decref(got);

    char path[64];
    int fd = fuzz_memfd(second, n2, path);
    if (fd >= 0) {
        struct rpt_doc doc;
        struct fb_error err;
        memset(&doc, 0, sizeof doc);
        fb_error_clear(&err);
        int rc = rpt_json_read(path, &doc, &err);
        FUZZ_CHECK(rc == 0 || rc == FB_EINPUT, "rpt_json_read returned %d: %s", rc, err.msg);
        FUZZ_CHECK(rc == 0 || err.msg[0], "rpt_json_read refused without a message");
        if (rc == 0)
            rpt_doc_free(&doc);
        close(fd);
    }
    return 0;
}
