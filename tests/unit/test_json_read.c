/* test_json_read.c - reports/json_read.h, the report reader of `funnel
 * chart`: every number it reads is checked against its range (rates in
 * [0, 1], counts integral and >= 0, durations >= 0 and finite), and a value
 * out of range is refused with its key path and the value, before gnuplot
 * ever sees it (docs/DECISIONS.md, "A wrong value in a JSON report"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "json_read.h"

/* A valid two-stage report; each case changes one value. */
static const char base[] =
    "{\"schema\": \"funnel-report/1\", \"as_of\": \"2026-04-30T23:34:13Z\","
    " \"stale_after_s\": 2592000,"
    " \"events\": {\"read\": 20, \"used\": 18, \"after_as_of\": 0, \"unmapped\": 2},"
    " \"entities\": 10, \"outcomes\": {\"won\": 2, \"lost\": 1, \"stale\": 3, \"open\": 4},"
    " \"win_rate\": 0.33333333333333331, \"drop_out_point\": \"suspect\","
    " \"time_to_win\": {\"count\": 2, \"mean_s\": 1.5, \"median_s\": 1, \"p90_s\": 2},"
    " \"stages\": ["
    "  {\"name\": \"suspect\", \"reached\": 10, \"conversion_from_previous\": null,"
    "   \"conversion_from_start\": 1.0,"
    "   \"time_in_stage\": {\"count\": 3, \"mean_s\": 10.5, \"median_s\": 10, \"p90_s\": 12},"
    "   \"open\": 4, \"lost\": 1, \"stale\": 3, \"drop_rate\": 0.4,"
    "   \"touches\": {\"marketing\": 7, \"sales\": 3}},"
    "  {\"name\": \"won\", \"reached\": 2, \"conversion_from_previous\": 0.2,"
    "   \"conversion_from_start\": 0.2, \"time_in_stage\": null,"
    "   \"open\": 0, \"lost\": 0, \"stale\": 0, \"drop_rate\": 0.0,"
    "   \"touches\": {\"marketing\": 0, \"sales\": 2}}],"
    " \"unmapped_stages\": [{\"name\": \"nurture\", \"events\": 2}]}";

/* Read base with the value at `path` (keys and array indexes separated by
 * '.') replaced by the JSON text `value`; returns rpt_json_read's code and
 * leaves its message in msg. */
static int read_with(const char *path, const char *value, char *msg, size_t cap)
{
    json_error_t je;
    json_t *root = json_loads(base, 0, &je), *o = root;
    assert_non_null(root);
    char keys[128];
    snprintf(keys, sizeof keys, "%s", path);
    char *last = keys, *dot;
    while ((dot = strchr(last, '.'))) {
        *dot = '\0';
        o = json_is_array(o) ? json_array_get(o, (size_t)atoi(last)) : json_object_get(o, last);
        assert_non_null(o);
        last = dot + 1;
    }
    json_t *v = json_loads(value, JSON_DECODE_ANY, &je);
    assert_non_null(v);
    if (json_is_array(o))
        assert_int_equal(json_array_set_new(o, (size_t)atoi(last), v), 0);
    else
        assert_int_equal(json_object_set_new(o, last, v), 0);
    char file[] = "/tmp/test_json_read.XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(json_dump_file(root, file, JSON_REAL_PRECISION(17)), 0);
    json_decref(root);
    struct rpt_doc doc;
    struct fb_error err;
    fb_error_clear(&err);
    int rc = rpt_json_read(file, &doc, &err);
    snprintf(msg, cap, "%s", err.msg);
    if (rc == 0)
        rpt_doc_free(&doc);
    unlink(file);
    return rc;
}

static void expect_refused(const char *path, const char *value, const char *want)
{
    char msg[sizeof ((struct fb_error *)0)->msg];
    int rc = read_with(path, value, msg, sizeof msg);
    if (rc != FB_EINPUT || !strstr(msg, want))
        fail_msg("%s = %s: rc %d, message \"%s\", expected \"%s\"", path, value, rc, msg, want);
}

static void expect_accepted(const char *path, const char *value)
{
    char msg[sizeof ((struct fb_error *)0)->msg];
    if (read_with(path, value, msg, sizeof msg) != 0)
        fail_msg("%s = %s refused: %s", path, value, msg);
}

static void the_base_report_is_read(void **state)
{
    (void)state;
    expect_accepted("entities", "10");
}

/* win_rate 2.0 or a conversion of 1e308 once reached gnuplot, which drew
 * nonsense or failed (exit 5) instead of exit 3 naming the value. */
static void a_rate_outside_0_1_is_refused_with_its_path_and_value(void **state)
{
    (void)state;
    expect_refused("win_rate", "2.0", "win_rate: 2.0 is not a rate in [0, 1]");
    expect_refused("stages.1.conversion_from_previous", "2.0",
                   "stages[1].conversion_from_previous: 2.0 is not a rate in [0, 1]");
    expect_refused("stages.0.conversion_from_start", "1e308",
                   "stages[0].conversion_from_start: 1e+308 is not a rate in [0, 1]");
    expect_refused("stages.0.drop_rate", "-0.5", "stages[0].drop_rate: -0.5 is not a rate in [0, 1]");
    expect_refused("stages.1.drop_rate", "1.0000001", "1.0000001 is not a rate in [0, 1]");
    expect_refused("win_rate", "2", "win_rate: 2 is not a rate in [0, 1]");
    expect_refused("win_rate", "\"0.5\"", "win_rate: expected a number or null");
    /* the ends of the range and null are rates */
    expect_accepted("win_rate", "0");
    expect_accepted("win_rate", "1");
    expect_accepted("win_rate", "0.0");
    expect_accepted("win_rate", "null");
    expect_accepted("stages.0.drop_rate", "1.0");
}

static void a_count_must_be_a_non_negative_integer(void **state)
{
    (void)state;
    expect_refused("stages.0.reached", "-1", "stages[0].reached: expected a non-negative integer");
    expect_refused("stages.0.reached", "1.5", "stages[0].reached: expected a non-negative integer");
    expect_refused("entities", "1e308", "entities: expected a non-negative integer");
    expect_refused("stages.1.touches.sales", "-2", "stages[1].touches.sales: expected a non-negative integer");
    expect_refused("outcomes.won", "null", "outcomes.won: expected a non-negative integer");
    expect_accepted("stages.0.lost", "0");
}

static void a_duration_must_be_finite_and_not_negative(void **state)
{
    (void)state;
    expect_refused("stale_after_s", "-1", "stale_after_s: -1 is not a duration in seconds (>= 0)");
    expect_refused("time_to_win.median_s", "-5",
                   "time_to_win.median_s: -5 is not a duration in seconds (>= 0)");
    expect_refused("stages.0.time_in_stage.p90_s", "-1.0",
                   "stages[0].time_in_stage.p90_s: -1.0 is not a duration in seconds (>= 0)");
    expect_refused("stages.0.time_in_stage.mean_s", "-0.25",
                   "stages[0].time_in_stage.mean_s: -0.25 is not a duration in seconds (finite, >= 0)");
    expect_refused("stages.0.time_in_stage.median_s", "1.5",
                   "stages[0].time_in_stage.median_s: expected a whole number of seconds");
    expect_refused("time_to_win.mean_s", "null", "time_to_win.mean_s: expected a number when count is not 0");
    expect_accepted("stale_after_s", "0");
    expect_accepted("stages.0.time_in_stage.median_s", "0");
    expect_accepted("stages.0.time_in_stage.mean_s", "0.0");
}

/* The deal keys (json_read_deals.h) are optional, but checked when there:
 * the money and aging charts must not draw a negative or endless bar. */
#define VALUE_OK "{\"won\": 250.5, \"lost\": null, \"stale\": null, \"open\": 10, \"with_value\": 2," \
                 " \"without_value\": 8, \"weighted_open\": 4.0}"
#define AGING(beyond, days) "{\"count\": 30, \"median_days\": 1.5, \"p90_days\": 9.0, \"over_median\": 2," \
                            " \"beyond_p90\": " beyond ", \"beyond_p90_days\": " days "}"
static void the_deal_keys_are_checked_when_present(void **state)
{
    (void)state;
    expect_accepted("value", VALUE_OK);
    expect_accepted("stages.0.aging", AGING("3", "[12.5, 10.0]"));
    expect_accepted("stages.0.aging", AGING("0", "[]"));
    expect_accepted("stages.0.open_value", "null");
    expect_refused("value", "[]", "value: expected an object");
    expect_refused("value", "{\"won\": -1}", "value.won: expected an amount (finite, >= 0) or null");
    expect_refused("value", "{\"won\": 1e40, \"lost\": null, \"stale\": null, \"open\": null,"
                            " \"with_value\": 1, \"without_value\": 0, \"weighted_open\": null}",
                   "value.won: expected an amount below 2^128 billionths");
    expect_refused("stages.0.open_value", "\"5\"", "stages[0].open_value: expected an amount");
    expect_refused("stages.0.aging", "[]", "stages[0].aging: expected an object or null");
    expect_refused("stages.0.aging", AGING("1", "[12.5, 10.0]"),
                   "stages[0].aging.beyond_p90_days: expected an array of at most 20 ages");
    expect_refused("stages.0.aging", AGING("3", "[-1.0]"),
                   "stages[0].aging.beyond_p90_days[0]: expected a number of days (finite, >= 0)");
    expect_refused("stages.0.aging", AGING("3", "[1e300]"),
                   "stages[0].aging.beyond_p90_days[0]: expected a number of days (finite, >= 0)");
    expect_refused("stages.0.aging", AGING("3", "[null]"),
                   "stages[0].aging.beyond_p90_days[0]: expected a number of days (finite, >= 0)");
    expect_refused("stages.0.km_median_days", "-2.0", "stages[0].km_median_days: expected a number");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_base_report_is_read),
        cmocka_unit_test(a_rate_outside_0_1_is_refused_with_its_path_and_value),
        cmocka_unit_test(a_count_must_be_a_non_negative_integer),
        cmocka_unit_test(a_duration_must_be_finite_and_not_negative),
        cmocka_unit_test(the_deal_keys_are_checked_when_present),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
