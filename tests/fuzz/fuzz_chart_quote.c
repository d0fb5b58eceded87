/* fuzz_chart_quote.c - the gnuplot label quoting of `funnel chart`
 * (reports/chart_label.h): whatever the bytes of a stage name or attribute
 * value, chart_quote must give one inert single-quoted gnuplot token:
 *   - it starts and ends with ', and every ' inside is doubled (so the
 *     token ends exactly at its last byte);
 *   - it holds no control byte (0x00-0x1f, 0x7f), hence no newline: it can
 *     never end a gnuplot command or start another;
 *   - it is valid UTF-8;
 *   - unquoted, it is the input itself when the input was valid UTF-8
 *     without control bytes.
 * chart_clean (the label text for data files) is checked alongside: same
 * length, no control byte, valid UTF-8. */
#include "fuzz_common.h"

#include "chart_label.h"
#include "csvin.h"

static int is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct fb_error err;
    char *q = NULL;
    fb_error_clear(&err);
    FUZZ_CHECK(chart_quote(s, size, &q, &err) == 0 && q, "chart_quote failed: %s", err.msg);
    size_t n = strlen(q);
    FUZZ_CHECK(n >= 2 && q[0] == '\'' && q[n - 1] == '\'', "not a single-quoted token: %s", q);
    /* Unquote: inside, a ' must come as ''. */
    char *plain = malloc(n);
    FUZZ_CHECK(plain != NULL, "malloc");
    size_t m = 0;
    for (size_t i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char)q[i];
        FUZZ_CHECK(!is_control(c), "control byte 0x%02x at %zu", c, i);
        if (c == '\'') {
            FUZZ_CHECK(i + 1 < n - 1 && q[i + 1] == '\'', "lone quote at %zu ends the token early", i);
            i++;
        }
        plain[m++] = (char)c;
    }
    FUZZ_CHECK(csvin_utf8_valid((const unsigned char *)q, n), "token is not valid UTF-8");
    int clean_input = csvin_utf8_valid(data, size);
    for (size_t i = 0; i < size && clean_input; i++)
        clean_input = !is_control(data[i]);
    if (clean_input)
        FUZZ_CHECK(m == size && memcmp(plain, data, size) == 0, "token does not stand for the input");
    free(plain);
    free(q);

    char *c = NULL;
    FUZZ_CHECK(chart_clean(s, size, &c, &err) == 0 && c, "chart_clean failed: %s", err.msg);
    size_t cn = strlen(c);
    FUZZ_CHECK(cn == size, "chart_clean changed the length: %zu -> %zu", size, cn);
    for (size_t i = 0; i < cn; i++)
        FUZZ_CHECK(!is_control((unsigned char)c[i]), "chart_clean left a control byte");
    FUZZ_CHECK(csvin_utf8_valid((const unsigned char *)c, cn), "chart_clean output is not UTF-8");
    free(c);
    return 0;
}
