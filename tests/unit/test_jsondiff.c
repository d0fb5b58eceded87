/* test_jsondiff.c - the comparison rules of reports/jsondiff.h behind
 * `funnel check`, one test per rule, matching and differing sides both.
 * Each test compares two JSON texts and checks the exact difference lines
 * ("path: what"), the number of differences and of values compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsondiff.h"

struct lines {
    char buf[4096];
    size_t len;
};

static void collect(void *ctx, const char *path, const char *what)
{
    struct lines *l = ctx;
    int n = snprintf(l->buf + l->len, sizeof l->buf - l->len, "%s: %s\n", path, what);
    assert_true(n > 0 && (size_t)n < sizeof l->buf - l->len);
    l->len += (size_t)n;
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, je.text);
    return v;
}

struct result {
    struct lines out;
    size_t compared;
    size_t differences;
};

/* Compare already built values; takes the references. */
static void compare_values(json_t *expected, json_t *got, double tol, struct result *r)
{
    struct fb_error err;
    fb_error_clear(&err);
    memset(r, 0, sizeof *r);
    int rc = jdiff_compare(expected, got, tol, collect, &r->out, &r->compared,
                           &r->differences, &err);
    assert_int_equal(rc, 0);
    json_decref(expected);
    json_decref(got);
}

static void compare_tol(const char *expected, const char *got, double tol, struct result *r)
{
    compare_values(parse(expected), parse(got), tol, r);
}

static void compare(const char *expected, const char *got, struct result *r)
{
    compare_tol(expected, got, 1e-9, r);
}

/* The comparison finds no difference. */
static void same(const char *expected, const char *got, double tol)
{
    struct result r;
    compare_tol(expected, got, tol, &r);
    if (r.differences)
        fail_msg("%s vs %s (tol %g): %s", expected, got, tol, r.out.buf);
}

/* The comparison prints exactly `lines`. */
static void differs(const char *expected, const char *got, double tol, const char *lines)
{
    struct result r;
    compare_tol(expected, got, tol, &r);
    assert_string_equal(r.out.buf, lines);
}

static void identical_documents_match_and_count_leaves(void **state)
{
    (void)state;
    struct result r;
    const char *doc = "{\"a\":1,\"b\":[1.5,\"x\",null,true,false],\"c\":{\"d\":{}},\"e\":[]}";
    compare(doc, doc, &r);
    assert_int_equal(r.differences, 0);
    assert_int_equal(r.compared, 6);
    assert_string_equal(r.out.buf, "");
}

static void extra_keys_in_report_are_ignored(void **state)
{
    (void)state;
    struct result r;
    compare("{\"a\":{\"b\":1}}", "{\"a\":{\"b\":1,\"c\":2},\"z\":[1,2]}", &r);
    assert_int_equal(r.differences, 0);
    assert_int_equal(r.compared, 1);
}

static void missing_key_is_reported(void **state)
{
    (void)state;
    struct result r;
    compare("{\"outcomes\":{\"won\":3,\"lost\":1}}", "{\"outcomes\":{\"lost\":1}}", &r);
    assert_string_equal(r.out.buf, "outcomes.won: missing\n");
    assert_int_equal(r.differences, 1);
    /* A missing value was not compared with anything. */
    assert_int_equal(r.compared, 1);
}

static void different_values_are_all_reported_in_expected_order(void **state)
{
    (void)state;
    struct result r;
    compare("{\"b\":1,\"a\":2,\"c\":3}", "{\"a\":20,\"c\":3,\"b\":10}", &r);
    assert_string_equal(r.out.buf, "b: expected 1, got 10\na: expected 2, got 20\n");
    assert_int_equal(r.differences, 2);
    assert_int_equal(r.compared, 3);
}

static void expected_integer_matches_equal_real(void **state)
{
    (void)state;
    same("[3, 0, -7, 1099511627776]", "[3.0, 0.0, -7.0, 1099511627776.0]", 1e-9);
    same("[3]", "[3]", 0);
}

static void expected_integer_ignores_tolerance(void **state)
{
    (void)state;
    /* An integer pins an exact count: 3.0000000001 is not 3 at any tolerance. */
    differs("[3]", "[3.0000000001]", 0.5, "[0]: expected 3, got 3.0000000001\n");
    differs("[1000000000]", "[1000000001]", 0.5, "[0]: expected 1000000000, got 1000000001\n");
}

static void expected_integer_rejects_real_out_of_integer_range(void **state)
{
    (void)state;
    /* 2^63 as a real would wrap to INT64_MIN if cast without a range check. */
    differs("[-9223372036854775808]", "[9.2233720368547758e18]", 1e-9,
            "[0]: expected -9223372036854775808, got 9.2233720368547758e18\n");
    differs("[9223372036854775807]", "[1e300]", 1e-9,
            "[0]: expected 9223372036854775807, got 1.0000000000000001e300\n");
    same("[-9223372036854775808]", "[-9.2233720368547758e18]", 0);
}

static void expected_real_matches_integer_within_tolerance(void **state)
{
    (void)state;
    same("[2.0, 0.0]", "[2, 0]", 0);
    same("[86400.00001]", "[86400]", 1e-9);
    differs("[2.5]", "[2]", 1e-9, "[0]: expected 2.5, got 2\n");
}

static void double_within_tolerance_matches(void **state)
{
    (void)state;
    /* Relative difference 5e-10 under the default 1e-9. */
    same("{\"r\":0.25}", "{\"r\":0.250000000125}", 1e-9);
    same("{\"r\":-1000.0}", "{\"r\":-1000.0000005}", 1e-9);
}

static void double_outside_tolerance_is_a_difference(void **state)
{
    (void)state;
    /* Relative difference 2e-9; values printed with 17 significant digits. */
    differs("{\"r\":0.25}", "{\"r\":0.2500000005}", 1e-9,
            "r: expected 0.25, got 0.25000000049999999\n");
    same("{\"r\":0.25}", "{\"r\":0.2500000005}", 1e-6);
}

static void tolerance_is_relative_to_the_larger_magnitude(void **state)
{
    (void)state;
    /* |1 - 1.1| = 0.1 = 0.0909.. of 1.1: the same verdict either way round. */
    same("[1.0]", "[1.1]", 0.091);
    same("[1.1]", "[1.0]", 0.091);
    differs("[1.0]", "[1.1]", 0.09, "[0]: expected 1.0, got 1.1000000000000001\n");
    differs("[1.1]", "[1.0]", 0.09, "[0]: expected 1.1000000000000001, got 1.0\n");
}

static void zero_tolerance_requires_exact_reals(void **state)
{
    (void)state;
    same("[0.1, 0.0, -0.0]", "[0.1, 0.0, 0.0]", 0);
    differs("[0.1]", "[0.10000000000000002]", 0,
            "[0]: expected 0.10000000000000001, got 0.10000000000000002\n");
}

static void zero_matches_only_zero(void **state)
{
    (void)state;
    /* A relative tolerance gives no slack around 0. */
    same("[0.0]", "[0]", 1e-9);
    differs("[0.0]", "[1e-300]", 1e-9, "[0]: expected 0.0, got 1e-300\n");
}

static void strings_compare_exactly(void **state)
{
    (void)state;
    same("[\"suspect\", \"\", \"h\\u00e9\"]", "[\"suspect\", \"\", \"h\\u00e9\"]", 0);
    differs("[\"Suspect\"]", "[\"suspect\"]", 1e-9, "[0]: expected \"Suspect\", got \"suspect\"\n");
    /* A prefix is not a match, either way round. */
    differs("[\"won\", \"wont\"]", "[\"wont\", \"won\"]", 1e-9,
            "[0]: expected \"won\", got \"wont\"\n[1]: expected \"wont\", got \"won\"\n");
    /* Escaped so that a difference is always one line. */
    differs("{\"s\":\"a\\tb\"}", "{\"s\":\"a\\nb\"}", 1e-9, "s: expected \"a\\tb\", got \"a\\nb\"\n");
}

static void strings_with_nul_compare_all_bytes(void **state)
{
    (void)state;
    struct result r;
    compare_values(json_stringn("a\0b", 3), json_stringn("a\0c", 3), 1e-9, &r);
    assert_int_equal(r.differences, 1);
    compare_values(json_stringn("a\0b", 3), json_stringn("a", 1), 1e-9, &r);
    assert_int_equal(r.differences, 1);
    compare_values(json_stringn("a", 1), json_stringn("a\0b", 3), 1e-9, &r);
    assert_int_equal(r.differences, 1);
    compare_values(json_stringn("a\0b", 3), json_stringn("a\0b", 3), 1e-9, &r);
    assert_int_equal(r.differences, 0);
}

static void null_must_match_null(void **state)
{
    (void)state;
    same("{\"n\":null}", "{\"n\":null}", 1e-9);
    differs("{\"n\":null}", "{\"n\":3}", 1e-9, "n: expected null, got 3\n");
    differs("{\"n\":0}", "{\"n\":null}", 1e-9, "n: expected 0, got null\n");
    differs("{\"n\":0.5}", "{\"n\":null}", 1e-9, "n: expected 0.5, got null\n");
}

static void booleans_compare_exactly(void **state)
{
    (void)state;
    same("[true, false]", "[true, false]", 1e-9);
    differs("[true, false]", "[false, true]", 1e-9,
            "[0]: expected true, got false\n[1]: expected false, got true\n");
    differs("[true]", "[1]", 1e-9, "[0]: expected true, got 1\n");
}

static void type_mismatch_is_a_difference(void **state)
{
    (void)state;
    struct result r;
    compare("{\"a\":\"3\",\"b\":1.5}", "{\"a\":3,\"b\":\"1.5\"}", &r);
    assert_string_equal(r.out.buf, "a: expected \"3\", got 3\nb: expected 1.5, got \"1.5\"\n");
    /* Both were compared, and both differ. */
    assert_int_equal(r.compared, 2);
    assert_int_equal(r.differences, 2);
}

static void container_mismatch_names_the_container(void **state)
{
    (void)state;
    differs("{\"t\":{\"median_s\":1}}", "{\"t\":null}", 1e-9, "t: expected an object, got null\n");
    differs("{\"t\":{}}", "{\"t\":[]}", 1e-9, "t: expected an object, got an array\n");
    differs("{\"t\":[1]}", "{\"t\":{\"0\":1}}", 1e-9, "t: expected an array, got an object\n");
    differs("{\"t\":5}", "{\"t\":{\"x\":[1,2]}}", 1e-9, "t: expected 5, got an object\n");
}

static void array_length_mismatch_is_reported(void **state)
{
    (void)state;
    struct result r;
    compare("{\"stages\":[1,2,3,4,5,6,7]}", "{\"stages\":[1,2,3,4,5,6]}", &r);
    assert_string_equal(r.out.buf, "stages: expected 7 elements, got 6\n");
    /* Elements of arrays of different lengths are not compared. */
    assert_int_equal(r.compared, 0);
    differs("[[1]]", "[[]]", 1e-9, "[0]: expected 1 element, got 0\n");
}

static void arrays_compare_element_by_element(void **state)
{
    (void)state;
    same("[1, [2, 3], {\"a\":4}]", "[1, [2, 3], {\"a\":4, \"b\":5}]", 1e-9);
    /* Order matters. */
    differs("[1, 2]", "[2, 1]", 1e-9, "[0]: expected 1, got 2\n[1]: expected 2, got 1\n");
}

static void nested_path_is_printed_with_index(void **state)
{
    (void)state;
    struct result r;
    compare("{\"stages\":[{},{},{},{\"time_in_stage\":{\"median_s\":86400}}]}",
            "{\"stages\":[{},{},{},{\"time_in_stage\":{\"median_s\":90000}}]}", &r);
    assert_string_equal(r.out.buf, "stages[3].time_in_stage.median_s: expected 86400, got 90000\n");
    differs("[[0, [1, 2]]]", "[[0, [1, 3]]]", 1e-9, "[0][1][1]: expected 2, got 3\n");
}

static void odd_keys_are_quoted_in_brackets(void **state)
{
    (void)state;
    differs("{\"a b\":{\"c.d\":{\"_ok9\":{\"9x\":1}}}}",
            "{\"a b\":{\"c.d\":{\"_ok9\":{\"9x\":2}}}}", 1e-9,
            "[\"a b\"][\"c.d\"]._ok9[\"9x\"]: expected 1, got 2\n");
    differs("{\"\":{\"q\\\"\\n\":1}}", "{\"\":{}}", 1e-9, "[\"\"][\"q\\\"\\n\"]: missing\n");
    differs("{\"x\":[{\"p-q\":1}]}", "{\"x\":[{}]}", 1e-9, "x[0][\"p-q\"]: missing\n");
}

static void top_level_difference_has_root_path(void **state)
{
    (void)state;
    differs("[1]", "{\"a\":1}", 1e-9, "(root): expected an array, got an object\n");
    differs("[1, 2]", "[1]", 1e-9, "(root): expected 2 elements, got 1\n");
}

static void empty_expected_compares_nothing(void **state)
{
    (void)state;
    struct result r;
    compare("{}", "{\"a\":[1,2,3]}", &r);
    assert_int_equal(r.differences, 0);
    assert_int_equal(r.compared, 0);
    compare("[]", "[]", &r);
    assert_int_equal(r.differences, 0);
    assert_int_equal(r.compared, 0);
}

/* A v2 report keeps every v1 key (docs/DECISIONS.md), so a v1 fixture
 * checks it; the schema counts as compared. */
static void v1_fixture_matches_v2_report_schema(void **state)
{
    (void)state;
    struct result r;
    compare("{\"schema\":\"funnel-report/1\",\"win_rate\":0.5}",
            "{\"schema\":\"funnel-report/2\",\"win_rate\":0.5,\"quality\":{}}", &r);
    assert_int_equal(r.differences, 0);
    assert_int_equal(r.compared, 2);
}

/* Only that one pair, only one way, only the top-level key; the other
 * keys of a v1 fixture are still compared, a missing one still reported. */
static void schema_compatibility_is_narrow(void **state)
{
    (void)state;
    struct result r;
    differs("{\"schema\":\"funnel-report/2\"}", "{\"schema\":\"funnel-report/1\"}", 1e-9,
            "schema: expected \"funnel-report/2\", got \"funnel-report/1\"\n");
    differs("{\"schema\":\"funnel-report/1\"}", "{\"schema\":\"funnel-report/3\"}", 1e-9,
            "schema: expected \"funnel-report/1\", got \"funnel-report/3\"\n");
    differs("{\"x\":{\"schema\":\"funnel-report/1\"}}", "{\"x\":{\"schema\":\"funnel-report/2\"}}",
            1e-9, "x.schema: expected \"funnel-report/1\", got \"funnel-report/2\"\n");
    json_t *e = json_object(), *g = json_object();
    json_object_set_new(e, "schema", json_string("funnel-report/1"));
    json_object_set_new(g, "schema", json_stringn("funnel-report/2\0", 16));
    compare_values(e, g, 1e-9, &r);
    assert_int_equal(r.differences, 1);
    differs("{\"schema\":\"funnel-report/1\",\"entities\":3}",
            "{\"schema\":\"funnel-report/2\"}", 1e-9, "entities: missing\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identical_documents_match_and_count_leaves),
        cmocka_unit_test(extra_keys_in_report_are_ignored),
        cmocka_unit_test(missing_key_is_reported),
        cmocka_unit_test(different_values_are_all_reported_in_expected_order),
        cmocka_unit_test(expected_integer_matches_equal_real),
        cmocka_unit_test(expected_integer_ignores_tolerance),
        cmocka_unit_test(expected_integer_rejects_real_out_of_integer_range),
        cmocka_unit_test(expected_real_matches_integer_within_tolerance),
        cmocka_unit_test(double_within_tolerance_matches),
        cmocka_unit_test(double_outside_tolerance_is_a_difference),
        cmocka_unit_test(tolerance_is_relative_to_the_larger_magnitude),
        cmocka_unit_test(zero_tolerance_requires_exact_reals),
        cmocka_unit_test(zero_matches_only_zero),
        cmocka_unit_test(strings_compare_exactly),
        cmocka_unit_test(strings_with_nul_compare_all_bytes),
        cmocka_unit_test(null_must_match_null),
        cmocka_unit_test(booleans_compare_exactly),
        cmocka_unit_test(type_mismatch_is_a_difference),
        cmocka_unit_test(container_mismatch_names_the_container),
        cmocka_unit_test(array_length_mismatch_is_reported),
        cmocka_unit_test(arrays_compare_element_by_element),
        cmocka_unit_test(nested_path_is_printed_with_index),
        cmocka_unit_test(odd_keys_are_quoted_in_brackets),
        cmocka_unit_test(top_level_difference_has_root_path),
        cmocka_unit_test(empty_expected_compares_nothing),
        cmocka_unit_test(v1_fixture_matches_v2_report_schema),
        cmocka_unit_test(schema_compatibility_is_narrow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
