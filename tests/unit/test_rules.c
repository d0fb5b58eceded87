/* test_rules.c - the rule files of `funnel check --rules` (reports/rules.h,
 * docs/CHECK.md): what the parser accepts, where it points for what it
 * refuses, and what each rule says about a report.  Each evaluation test
 * checks the exact lines "LINE: RULE: why" a set of rules prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

/* A small v2-like report with every kind of array the rules must reach. */
static const char report_text[] =
    "{\"schema\":\"funnel-report/2\",\"win_rate\":0.2,\"win_rate_closed\":null,"
    " \"entities\":9007199254740993,"
    " \"win_rate_interval\":[0.05,0.5],"
    " \"outcomes\":{\"won\":2,\"lost\":3},"
    " \"stages\":[{\"name\":\"lead\",\"reached\":10,\"conversion_from_start\":1.0},"
    "             {\"name\":\"closed won\",\"reached\":2,\"conversion_from_start\":0.2}],"
    " \"breakdowns\":[{\"by\":\"segment\",\"groups\":["
    "   {\"value\":\"smb\",\"win_rate_closed\":0.5},"
    "   {\"value\":\"2026\",\"win_rate_closed\":0.1},"
    "   {\"value\":\"null\",\"win_rate_closed\":0.3},"
    "   {\"value\":null,\"win_rate_closed\":0.4},"
    "   {\"value\":\"a.b[c]\",\"win_rate_closed\":0.6},"
    "   {\"value\":\"dup\",\"win_rate_closed\":0.7},"
    "   {\"value\":\"dup\",\"win_rate_closed\":0.8}]}],"
    " \"trend\":[{\"period\":\"2026-W01\",\"won\":1},{\"period\":\"2026-W02\",\"won\":4}],"
    " \"plain\":[[1,2],[3]], \"empty\":[], \"flag\":true, \"label\":\"x\","
    " \"odd key\":{\"7\":7},"
    " \"many\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"},{\"name\":\"d\"},"
    "          {\"name\":\"e\"},{\"name\":\"f\"},{\"name\":\"g\"},{\"name\":\"h\"},"
    "          {\"name\":\"i\"},{\"id\":1}]}";

struct out {
    char buf[8192];
    size_t len;
};

static void collect(void *ctx, long line, const char *rule, const char *why)
{
    struct out *o = ctx;
    int n = snprintf(o->buf + o->len, sizeof o->buf - o->len, "%ld: %s: %s\n", line, rule, why);
    assert_true(n > 0 && (size_t)n < sizeof o->buf - o->len);
    o->len += (size_t)n;
}

static json_t *report(void)
{
    json_error_t je;
    json_t *v = json_loads(report_text, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        fail_msg("bad test report: %s at %d", je.text, je.column);
    return v;
}

static struct rules *parse_ok(const char *text)
{
    struct rules *rs = NULL;
    struct fb_error err;
    fb_error_clear(&err);
    int rc = rules_parse("t.rules", text, strlen(text), &rs, &err);
    if (rc != 0)
        fail_msg("refused %s: %ld:%ld: %s", text, err.line, err.col, err.msg);
    return rs;
}

/* Evaluate text against the test report with tolerance tol; the printed
 * lines must be exactly `lines`. */
static void eval_tol(const char *text, double tol, const char *lines)
{
    struct rules *rs = parse_ok(text);
    json_t *rep = report();
    struct out o = {.len = 0};
    struct fb_error err;
    size_t failed = 99;
    o.buf[0] = '\0';
    fb_error_clear(&err);
    assert_int_equal(rules_eval(rs, rep, tol, collect, &o, &failed, &err), 0);
    assert_string_equal(o.buf, lines);
    size_t nl = 0;
    for (const char *p = lines; *p; p++)
        nl += *p == '\n';
    assert_int_equal(failed, nl);
    json_decref(rep);
    rules_free(rs);
}

static void eval(const char *text, const char *lines) { eval_tol(text, 1e-9, lines); }

/* The parser refuses text with this line, column and message text. */
static void refused(const char *text, long line, long col, const char *msg)
{
    struct rules *rs = (struct rules *)1;
    struct fb_error err;
    fb_error_clear(&err);
    int rc = rules_parse("t.rules", text, strlen(text), &rs, &err);
    if (rc != FB_EUSAGE)
        fail_msg("accepted %s (rc %d)", text, rc);
    assert_null(rs);
    assert_string_equal(err.path, "t.rules");
    if (err.line != line || err.col != col || !strstr(err.msg, msg))
        fail_msg("%s: got %ld:%ld: %s; expected %ld:%ld: ...%s...", text, err.line, err.col,
                 err.msg, line, col, msg);
}

static void blanks_comments_and_crlf_are_skipped(void **state)
{
    (void)state;
    struct rules *rs = parse_ok("\xEF\xBB\xBFwin_rate > 0.1\r\n\n   # a comment\n"
                                "\t win_rate<=1 # why\r\n# last");
    assert_int_equal(rules_count(rs), 2);
    rules_free(rs);
    eval("# header\n\nwin_rate > 0.5   # too high a bar\r\n", "3: win_rate > 0.5: got 0.2\n");
}

static void a_file_without_rules_is_refused(void **state)
{
    (void)state;
    refused("", 0, 0, "no rules");
    refused("\n  \n# only\n", 0, 0, "no rules");
}

static void every_operator_compares_as_written(void **state)
{
    (void)state;
    eval("win_rate < 0.2\nwin_rate <= 0.2\nwin_rate > 0.2\nwin_rate >= 0.2\n"
         "win_rate == 0.2\nwin_rate != 0.2\nwin_rate < 0.3\nwin_rate > 0.1\n"
         "win_rate != 0.3\nwin_rate == 0.3\n",
         "1: win_rate < 0.2: got 0.2\n3: win_rate > 0.2: got 0.2\n"
         "6: win_rate != 0.2: got 0.2\n10: win_rate == 0.3: got 0.2\n");
}

/* Reals are equal within the relative tolerance, as in a fixture; then
 * == and <= hold and < and != do not. */
static void reals_compare_within_the_tolerance(void **state)
{
    (void)state;
    eval("win_rate == 0.2000000001\nwin_rate < 0.2000000001\n",
         "2: win_rate < 0.2000000001: got 0.2\n");
    eval_tol("win_rate == 0.2000000001\n", 0, "1: win_rate == 0.2000000001: got 0.2\n");
    eval_tol("win_rate == 0.21\nwin_rate != 0.21\n", 0.1, "2: win_rate != 0.21: got 0.2\n");
}

/* An integer in the rule against an integer in the report: exact, beyond
 * what a double can tell apart (2^53 + 1). */
static void integers_compare_exactly(void **state)
{
    (void)state;
    eval("entities == 9007199254740993\nentities > 9007199254740992\n"
         "entities == 9007199254740992\noutcomes.won == 2.0\noutcomes.won == 2\n",
         "3: entities == 9007199254740992: got 9007199254740993\n");
    /* An integer too large for int64 is compared as a double. */
    eval("entities < 99999999999999999999\n", "");
}

static void numbers_print_shortest(void **state)
{
    (void)state;
    eval("stages[\"closed won\"].conversion_from_start > 0.3\n",
         "1: stages[\"closed won\"].conversion_from_start > 0.3: got 0.2\n");
}

static void non_numbers_fail_with_their_value(void **state)
{
    (void)state;
    eval("win_rate_closed > 0.5\nflag == 1\nlabel > 0\noutcomes > 0\nplain >= 0\n"
         "plain[1] > 0\n",
         "1: win_rate_closed > 0.5: got null, not a number\n"
         "2: flag == 1: got true, not a number\n"
         "3: label > 0: got \"x\", not a number\n"
         "4: outcomes > 0: got an object, not a number\n"
         "5: plain >= 0: got an array of 2 elements, not a number\n"
         "6: plain[1] > 0: got an array of 1 element, not a number\n");
}

static void elements_are_picked_by_name(void **state)
{
    (void)state;
    eval("stages[lead].reached == 10\nstages[\"closed won\"].reached == 2\n"
         "breakdowns[segment].groups[smb].win_rate_closed == 0.5\n"
         "breakdowns[segment].groups[\"a.b[c]\"].win_rate_closed == 0.6\n"
         "trend[2026-W02].won == 4\n",
         "");
}

/* Digits are an index, quoted digits a name; negative counts from the end. */
static void digits_index_and_quoted_digits_name(void **state)
{
    (void)state;
    eval("stages[0].reached == 10\nstages[-1].reached == 2\nstages[-2].reached == 10\n"
         "breakdowns[0].groups[\"2026\"].win_rate_closed == 0.1\n"
         "trend[-1].won == 4\nplain[0][1] == 2\nwin_rate_interval[1] == 0.5\n",
         "");
    eval("breakdowns[segment].groups[2026].win_rate_closed > 0\nstages[2].reached > 0\n"
         "stages[-3].reached > 0\nplain[5] > 0\n",
         "1: breakdowns[segment].groups[2026].win_rate_closed > 0: "
         "breakdowns[segment].groups[2026] does not exist: breakdowns[segment].groups has "
         "7 elements (quote a name made of digits: [\"2026\"])\n"
         "2: stages[2].reached > 0: stages[2] does not exist: stages has 2 elements "
         "(quote a name made of digits: [\"2\"])\n"
         "3: stages[-3].reached > 0: stages[-3] does not exist: stages has 2 elements "
         "(quote a name made of digits: [\"-3\"])\n"
         "4: plain[5] > 0: plain[5] does not exist: plain has 2 elements\n");
}

/* The null group is [null]; a group named "null" is ["null"]. */
static void bare_null_is_the_null_group(void **state)
{
    (void)state;
    eval("breakdowns[segment].groups[null].win_rate_closed == 0.4\n"
         "breakdowns[segment].groups[\"null\"].win_rate_closed == 0.3\n",
         "");
}

/* On an object a bracket is a key, whatever it looks like. */
static void brackets_on_objects_are_keys(void **state)
{
    (void)state;
    eval("outcomes[won] == 2\n[\"odd key\"][7] == 7\n[\"odd key\"][\"7\"] == 7\n"
         "[\"win_rate\"] == 0.2\n", "");
}

static void a_path_that_leads_nowhere_is_a_failing_rule(void **state)
{
    (void)state;
    eval("nope > 0\noutcomes.drawn > 0\nstages[leed].reached > 0\nstages.reached > 0\n"
         "win_rate.x > 0\nlabel[0] > 0\nempty[x] > 0\nplain[x] > 0\n"
         "breakdowns[segment].groups[dup].win_rate_closed > 0\n",
         "1: nope > 0: nope does not exist\n"
         "2: outcomes.drawn > 0: outcomes.drawn does not exist\n"
         "3: stages[leed].reached > 0: stages[leed] does not exist: no element of stages "
         "is named \"leed\" (names: \"lead\", \"closed won\")\n"
         "4: stages.reached > 0: stages.reached does not exist: stages is an array; select "
         "an element with [NAME] or [INDEX]\n"
         "5: win_rate.x > 0: win_rate.x does not exist: win_rate is a number\n"
         "6: label[0] > 0: label[0] does not exist: label is a string\n"
         "7: empty[x] > 0: empty[x] does not exist: no element of empty is named \"x\" "
         "(the array is empty)\n"
         "8: plain[x] > 0: plain[x] does not exist: no element of plain is named \"x\" "
         "(its elements have no name; select one by index, e.g. [0])\n"
         "9: breakdowns[segment].groups[dup].win_rate_closed > 0: "
         "breakdowns[segment].groups[dup] is ambiguous: 2 elements of "
         "breakdowns[segment].groups are named \"dup\"\n");
}

/* The names listed for a missing element stop after eight. */
static void long_name_lists_are_cut(void **state)
{
    (void)state;
    eval("many[k] > 0\n",
         "1: many[k] > 0: many[k] does not exist: no element of many is named \"k\" "
         "(names: \"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", ...)\n");
    eval("breakdowns[segment].groups[big].win_rate_closed > 0\n",
         "1: breakdowns[segment].groups[big].win_rate_closed > 0: "
         "breakdowns[segment].groups[big] does not exist: no element of "
         "breakdowns[segment].groups is named \"big\" (names: \"smb\", \"2026\", \"null\", "
         "null, \"a.b[c]\", \"dup\", \"dup\")\n");
}

/* A bare name need not be UTF-8, and a long one is cut in the message
 * (found by fuzzing: quoting it through jansson failed as out of memory). */
static void odd_names_print_in_messages(void **state)
{
    (void)state;
    eval("stages[\xff\xfe].reached > 0\n",
         "1: stages[\xff\xfe].reached > 0: stages[\xff\xfe] does not exist: no element of "
         "stages is named \"\xff\xfe\" (names: \"lead\", \"closed won\")\n");
    eval("stages[\"\\u00e9\\t\\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"] > 0\n",
         "1: stages[\"\\u00e9\\t\\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"] > 0: "
         "stages[\"\\u00e9\\t\\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"] "
         "does not exist: no element of stages is named "
         "\"\xc3\xa9\\u0009\\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"... "
         "(names: \"lead\", \"closed won\")\n");
}

static void quoted_names_decode_json_escapes(void **state)
{
    (void)state;
    eval("stages[\"closed\\u0020won\"].reached == 2\n", "");
    /* The rule prints as written. */
    eval("stages[\"closed\\u0020won\"].reached == 3\n",
         "1: stages[\"closed\\u0020won\"].reached == 3: got 2\n");
}

static void malformed_rules_name_line_and_column(void **state)
{
    (void)state;
    refused("win_rate > 0.1\nwin_rate >\n", 2, 11, "expected a number after the operator");
    refused("win_rate 0.5", 1, 10, "expected an operator");
    refused("win_rate = 0.5", 1, 10, "unknown operator '='; equality is '=='");
    refused("win_rate <== 0.5", 1, 10, "expected an operator");
    refused("win_rate > abc", 1, 12, "got 'abc'");
    refused("win_rate > null", 1, 12, "got 'null'");
    refused("win_rate > 0.5 0.6", 1, 16, "unexpected text after the number");
    refused("win_rate > 0.5x", 1, 12, "got '0.5x'");
    refused("win_rate > 1e999", 1, 12, "out of range");
    refused("win_rate > +1", 1, 12, "expected a number");
    refused("win_rate > .5", 1, 12, "expected a number");
    refused("win_rate > 1.", 1, 12, "expected a number");
    refused("win_rate > 1e", 1, 12, "expected a number");
    refused("win_rate > nan", 1, 12, "expected a number");
    refused("stages[closed won].x > 1", 1, 14, "quote a name");
    refused("stages[].x > 1", 1, 7, "empty []");
    refused("stages[\"abc].x > 1", 1, 8, "unterminated string");
    refused("stages[\"a\\u0000\"].x > 1", 1, 8, "cannot hold \\u0000");
    refused("stages[\"a\\q\"].x > 1", 1, 8, "bad quoted name");
    refused("stages[abc", 1, 7, "never closed");
    refused("stages.[x] > 1", 1, 8, "expected a key after '.'");
    refused("stages. > 1", 1, 8, "expected a key after '.'");
    refused("a-b > 1", 1, 2, "unexpected '-b' in the path");
    refused("> 1", 1, 1, "expected a path");
    refused("  9lives > 1", 1, 3, "expected a path");
    refused("stages[99999999999999999999] > 1", 1, 8, "out of range");
    refused("win_rate\x01 > 1", 1, 9, "control character");
    refused("win_rate > 1\n\n  win_rate\n", 3, 11, "expected an operator");
}

static void free_null_is_a_no_op(void **state)
{
    (void)state;
    rules_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blanks_comments_and_crlf_are_skipped),
        cmocka_unit_test(a_file_without_rules_is_refused),
        cmocka_unit_test(every_operator_compares_as_written),
        cmocka_unit_test(reals_compare_within_the_tolerance),
        cmocka_unit_test(integers_compare_exactly),
        cmocka_unit_test(numbers_print_shortest),
        cmocka_unit_test(non_numbers_fail_with_their_value),
        cmocka_unit_test(elements_are_picked_by_name),
        cmocka_unit_test(digits_index_and_quoted_digits_name),
        cmocka_unit_test(bare_null_is_the_null_group),
        cmocka_unit_test(brackets_on_objects_are_keys),
        cmocka_unit_test(a_path_that_leads_nowhere_is_a_failing_rule),
        cmocka_unit_test(long_name_lists_are_cut),
        cmocka_unit_test(odd_names_print_in_messages),
        cmocka_unit_test(quoted_names_decode_json_escapes),
        cmocka_unit_test(malformed_rules_name_line_and_column),
        cmocka_unit_test(free_null_is_a_no_op),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
