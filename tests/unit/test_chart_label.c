/* test_chart_label.c - reports/chart_label.h, the safety layer between CRM
 * text and gnuplot (docs/CHARTS.md, "Safety model"): chart_quote always
 * yields one inert single-quoted token, checked on fixed cases and on random
 * bytes; a .tsv field reads back (by gnuplot's own field and escape rules,
 * re-implemented here) as exactly the text; wrapping and number formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chart_label.h"
#include "test_support.h"

static uint64_t rng = 0x2545F4914F6CDD1Du;
static uint64_t next(void)
{
    return test_xorshift(&rng);
}

static char *quote(const char *s, size_t n)
{
    struct fb_error err;
    char *q = NULL;
    fb_error_clear(&err);
    assert_int_equal(chart_quote(s, n, &q, &err), 0);
    return q;
}

static void quote_wraps_plain_text(void **state)
{
    (void)state;
    char *q = quote("Funnel: as of 2026", 18);
    assert_string_equal(q, "'Funnel: as of 2026'");
    free(q);
    q = quote("", 0);
    assert_string_equal(q, "''");
    free(q);
}

static void quote_doubles_single_quotes(void **state)
{
    (void)state;
    char *q = quote("it's '' '", 9);
    assert_string_equal(q, "'it''s '''' '''");
    free(q);
}

static void quote_removes_control_bytes(void **state)
{
    (void)state;
    char *q = quote("a\nb\r\tc\x01\x7f\0d", 11);
    assert_string_equal(q, "'abcd'");
    free(q);
}

static void quote_leaves_gnuplot_syntax_as_text(void **state)
{
    (void)state;
    const char *s = "`touch X` @m; system(\"x\") \\n # |y <z";
    char *q = quote(s, strlen(s));
    assert_int_equal(strlen(q), strlen(s) + 2);
    assert_memory_equal(q + 1, s, strlen(s));
    free(q);
}

static void quote_replaces_invalid_utf8(void **state)
{
    (void)state;
    char *q = quote("\xc3\xa9\xff\xc3 \xed\xa0\x80\xe6\x9d\xb1", 12);
    assert_string_equal(q, "'\xc3\xa9?? ???\xe6\x9d\xb1'");
    free(q);
}

/* The token as gnuplot's scanner reads it: returns the string value, or
 * NULL when it is not exactly one single-quoted token. */
static char *unquote(const char *q)
{
    size_t n = strlen(q), o = 0;
    char *v = malloc(n + 1);
    if (n < 2 || q[0] != '\'' || q[n - 1] != '\'') {
        free(v);
        return NULL;
    }
    for (size_t i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char)q[i];
        if (c < 0x20 || c == 0x7f) {
            free(v);
            return NULL;
        }
        if (c == '\'') {
            if (i + 1 >= n - 1 || q[i + 1] != '\'') {   /* the token would end here */
                free(v);
                return NULL;
            }
            i++;
        }
        v[o++] = (char)c;
    }
    v[o] = '\0';
    return v;
}

static void quote_of_random_bytes_is_one_inert_token(void **state)
{
    (void)state;
    static const char alphabet[] = "'\"`\\;#@|<>$(){}_^&~\n\r\t\x01\x7f\xc3\xa9\xff a";
    char s[80];
    for (int round = 0; round < 200000; round++) {
        size_t n = next() % sizeof s;
        for (size_t i = 0; i < n; i++)
            s[i] = round % 2 ? (char)next() : alphabet[next() % (sizeof alphabet - 1)];
        char *q = quote(s, n), *v = unquote(q);
        assert_non_null(v);
        /* Only removals and '?' substitutions: never longer than the input. */
        assert_true(strlen(v) <= n);
        free(q);
        free(v);
    }
}

/* gnuplot 5.4 reading a string field with `set datafile separator "\t"`:
 * df_parse_string_field (a leading '"' runs to the next '"'; otherwise to
 * the separator or a '"') and then parse_esc. */
static char *gnuplot_field(const char *field)
{
    size_t len = field[0] == '"' ? strcspn(field + 1, "\"") : strcspn(field, "\t\"");
    const char *s = field[0] == '"' ? field + 1 : field;
    char *v = malloc(len + 1), *t = v;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            *t++ = s[i];
            continue;
        }
        i++;
        if (i >= len)
            break;
        if (s[i] == '\\' || s[i] == '"')
            *t++ = s[i];
        else if (s[i] == 'n')
            *t++ = '\n';
        else if (s[i] == 't')
            *t++ = '\t';
        else if (s[i] == 'r')
            *t++ = '\r';
        else if (s[i] >= '0' && s[i] <= '7') {
            unsigned c = 0;
            size_t max = s[i] == '0' ? 4 : 3, k = 0;
            for (; k < max && i + k < len && s[i + k] >= '0' && s[i + k] <= '7'; k++)
                c = c * 8 + (unsigned)(s[i + k] - '0');
            *t++ = (char)c;
            i += k - 1;
        }
    }
    *t = '\0';
    return v;
}

static char *tsv_field(const char *s, int wrap)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(chart_tsv_text(f, s, wrap, &err), 0);
    fclose(f);
    return buf;
}

static void tsv_field_reads_back_as_the_text(void **state)
{
    (void)state;
    static const char alphabet[] = "'\"`\\;#@|<>$0127nt_^ \xc3\xa9";
    char s[70];
    for (int round = 0; round < 100000; round++) {
        size_t n = 1 + next() % (sizeof s - 1);
        for (size_t i = 0; i < n; i++)
            s[i] = alphabet[next() % (sizeof alphabet - 1)];
        s[n] = '\0';
        char *f = tsv_field(s, 0);
        assert_null(strpbrk(f, "\t\n\r"));
        assert_int_equal(f[0], '"');
        assert_true(strchr(f + 1, '"') == f + strlen(f) - 1);   /* no raw quote inside */
        char *v = gnuplot_field(f);
        assert_string_equal(v, s);
        free(f);
        free(v);
    }
}

static void tsv_field_escapes_what_gnuplot_would_eat(void **state)
{
    (void)state;
    char *f = tsv_field("a\"1\\n\\", 0);
    assert_string_equal(f, "\"a\\00421\\\\n\\\\\"");
    free(f);
    f = tsv_field("", 0);
    assert_string_equal(f, "");
    free(f);
    f = tsv_field("tab\there\nnl", 0);
    assert_string_equal(f, "\"tab here nl\"");
    free(f);
}

static void long_names_wrap_onto_two_short_lines(void **state)
{
    (void)state;
    char *f = tsv_field("Sales development representative first discovery call completed", 1);
    assert_string_equal(f, "\"Sales development representative\\nfirst discovery call completed\"");
    free(f);
    f = tsv_field("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1);
    assert_string_equal(f, "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"");
    free(f);
    f = tsv_field("negotiating", 1);
    assert_string_equal(f, "\"negotiating\"");
    free(f);
    /* A cut never splits a UTF-8 sequence. */
    char name[80] = "";
    for (int i = 0; i < 30; i++)
        strcat(name, "\xc3\xa9");
    size_t skip, at = chart_wrap_point(name, &skip);
    assert_int_equal(at % 2, 0);
    assert_int_equal(at, 30);
}

static void wrapped_lines_never_exceed_the_limit(void **state)
{
    (void)state;
    static const char alphabet[] = "abc -_/.,x\xc3\xa9";
    char s[65];
    for (int round = 0; round < 50000; round++) {
        size_t n = 1 + next() % 64;
        for (size_t i = 0; i < n; i++)
            s[i] = alphabet[next() % (sizeof alphabet - 1)];
        s[n] = '\0';
        /* Only whole UTF-8 sequences. */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] == 0xc3 && (i + 1 == n || (unsigned char)s[i + 1] != 0xa9))
                s[i] = 'y';
            else if ((unsigned char)s[i] == 0xa9 && (i == 0 || (unsigned char)s[i - 1] != 0xc3))
                s[i] = 'z';
        size_t skip, at = chart_wrap_point(s, &skip);
        if (at == 0) {
            assert_true(chart_width(s) <= CHART_WRAP_AT);
            continue;
        }
        char first[65];
        memcpy(first, s, at);
        first[at] = '\0';
        assert_true(chart_width(first) <= CHART_LINE_MAX);
        assert_true(chart_width(s + at + skip) <= CHART_LINE_MAX);
        assert_true(((unsigned char)s[at] & 0xC0) != 0x80);
    }
}

static void counts_get_thousands_separators(void **state)
{
    (void)state;
    char b[32];
    chart_fmt_count(0, b, sizeof b);
    assert_string_equal(b, "0");
    chart_fmt_count(999, b, sizeof b);
    assert_string_equal(b, "999");
    chart_fmt_count(1000, b, sizeof b);
    assert_string_equal(b, "1,000");
    chart_fmt_count(1234567, b, sizeof b);
    assert_string_equal(b, "1,234,567");
    chart_fmt_count(UINT64_MAX, b, sizeof b);
    assert_string_equal(b, "18,446,744,073,709,551,615");
    chart_fmt_pct(0.4567, b, sizeof b);
    assert_string_equal(b, "45.7%");
    chart_fmt_days(86400 * 3.5, b, sizeof b);
    assert_string_equal(b, "3.5 d");
    chart_fmt_days(86400.0 * 212, b, sizeof b);
    assert_string_equal(b, "212 d");
    /* The --text format (rpt_num_days): no decimal from 10 days on. */
    chart_fmt_days(86400.0 * 12.34, b, sizeof b);
    assert_string_equal(b, "12 d");
    chart_fmt_days(86400.0 * 9.96, b, sizeof b);
    assert_string_equal(b, "10 d");
    chart_fmt_days(86400.0 * 9.94, b, sizeof b);
    assert_string_equal(b, "9.9 d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quote_wraps_plain_text),
        cmocka_unit_test(quote_doubles_single_quotes),
        cmocka_unit_test(quote_removes_control_bytes),
        cmocka_unit_test(quote_leaves_gnuplot_syntax_as_text),
        cmocka_unit_test(quote_replaces_invalid_utf8),
        cmocka_unit_test(quote_of_random_bytes_is_one_inert_token),
        cmocka_unit_test(tsv_field_reads_back_as_the_text),
        cmocka_unit_test(tsv_field_escapes_what_gnuplot_would_eat),
        cmocka_unit_test(long_names_wrap_onto_two_short_lines),
        cmocka_unit_test(wrapped_lines_never_exceed_the_limit),
        cmocka_unit_test(counts_get_thousands_separators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
