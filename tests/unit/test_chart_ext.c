/* test_chart_ext.c - reports/chart_ext.h and chart_groups.c (docs/CHARTS.md,
 * "Trend, cohorts and groups"): which charts a report has, the height of a
 * by-K chart, its rows (the 12 largest groups, then `other`, the null
 * group as "(none)"), and tick labels with thousands separators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chart.h"
#include "chart_ext.h"
#include "chart_glyphs.h"

/* A report with nby breakdowns of ngroups groups each (group i has
 * 300 - i entities, 2 won and 1 lost; the last is the null group) and,
 * with cohorts, one cohort dimension of ncoh groups. */
static struct res_report make(size_t nby, size_t ngroups, int cohorts, size_t ncoh)
{
    struct res_report r = {0};
    struct res_groups *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->nby = nby;
    g->cohort = cohorts ? 2 : 0;
    g->dim = calloc(nby + 1, sizeof *g->dim);
    assert_non_null(g->dim);
    for (size_t d = 0; d < nby + (cohorts != 0); d++) {
        size_t n = d < nby ? ngroups : ncoh;
        g->dim[d].name = d < nby ? strdup("segment") : NULL;
        g->dim[d].n = n;
        g->dim[d].g = calloc(n ? n : 1, sizeof *g->dim[d].g);
        for (size_t i = 0; i < n; i++) {
            struct res_group *x = &g->dim[d].g[i];
            char name[16];
            snprintf(name, sizeof name, "g%03zu", i);
            x->name = i + 1 == n && n > 1 ? NULL : strdup(name);
            x->len = x->name ? strlen(x->name) : 0;
            x->r.entities = 300 - i;
            x->r.won = 2, x->r.lost = 1, x->r.open = x->r.entities - 3;
        }
    }
    r.groups = g;
    return r;
}

static void present_only_with_data(void **state)
{
    (void)state;
    struct res_report r = {0};
    for (int k = 0; k < CHART_MONEY; k++)   /* the five stage charts: always */
        assert_true(chart_present((enum chart_kind)k, &r));
    assert_false(chart_present(CHART_MONEY, &r));   /* no value, no open deal */
    assert_false(chart_present(CHART_AGING, &r));
    assert_false(chart_present(CHART_TREND, &r));
    assert_false(chart_present(CHART_COHORTS, &r));
    assert_false(chart_present(CHART_BY1, &r));
    r.trend_unit = "week";     /* --trend with no entity: periods [] */
    assert_false(chart_present(CHART_TREND, &r));
    r.ntrend = 1;
    assert_true(chart_present(CHART_TREND, &r));
    r.trend_unit = NULL, r.ntrend = 0;

    struct res_report g = make(2, 3, 1, 0);
    assert_true(chart_present(CHART_BY1, &g));
    assert_true(chart_present(CHART_BY1 + 1, &g));
    assert_false(chart_present(CHART_BY1 + 2, &g));
    assert_false(chart_present(CHART_COHORTS, &g));   /* cohorts [] */
    assert_string_equal(chart_name(CHART_BY1 + 1), "by-2");
    assert_string_equal(chart_name(CHART_BY_LAST), "by-8");
    res_report_free(&g);
}

static void height_follows_groups(void **state)
{
    (void)state;
    struct res_report one = make(1, 1, 0, 0), many = make(1, 200, 0, 0);
    assert_int_equal(chart_height(CHART_FUNNEL, &one), chart_height_rows(one.nstages));
    assert_int_equal(chart_height(CHART_BY1, &one), 320);
    assert_int_equal(chart_height(CHART_BY1, &many), 215 + 44 * 13);
    assert_true(chart_height(CHART_BY1, &many) <= CHART_HEIGHT);
    res_report_free(&one);
    res_report_free(&many);
}

/* The .tsv of by-1 for 200 groups: 12 named rows, then other summing 188,
 * with the null group inside other; for 2 groups, "(none)" is a row. */
static void rows_top12_other_none(void **state)
{
    (void)state;
    struct fb_error err;
    char *buf = NULL;
    size_t len = 0;
    struct res_report many = make(1, 200, 0, 0), two = make(1, 2, 0, 0);
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fb_error_clear(&err);
    assert_int_equal(chart_write_data(CHART_BY1, &many, f, &err), 0);
    fclose(f);
    size_t rows = 0;
    for (char *s = buf; (s = strchr(s, '\n')) && s[1]; s++)
        rows += s[1] != '#';
    assert_int_equal(rows, 13);
    assert_non_null(strstr(buf, "\n11\t\"g011\""));
    assert_non_null(strstr(buf, "\n12\t\"other (188 groups)\""));
    /* other: 188 groups of 2 won and 1 lost: 376 of 564 closed. */
    assert_non_null(strstr(buf, "\"66.7% (376 won of 564 closed)"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(chart_write_data(CHART_BY1, &two, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\n1\t\"(none)\"\t\"(none)\""));
    free(buf);
    res_report_free(&many);
    res_report_free(&two);
    chart_glyphs_release();
}

static void count_tics_have_separators(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    chart_ext_count_tics(f, 12345);
    fclose(f);
    assert_string_equal(buf, "set yrange [0:15000]\nset ytics ('0' 0, '5,000' 5000, "
                             "'10,000' 10000, '15,000' 15000)\n");
    free(buf);
    f = open_memstream(&buf, &len);
    chart_ext_count_tics(f, 0);    /* empty periods only: still an axis */
    fclose(f);
    assert_string_equal(buf, "set yrange [0:1]\nset ytics ('0' 0, '1' 1)\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(present_only_with_data),
        cmocka_unit_test(height_follows_groups),
        cmocka_unit_test(rows_top12_other_none),
        cmocka_unit_test(count_tics_have_separators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
