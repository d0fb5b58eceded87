/* test_page.c - reports/report_rows.h and the page's tables
 * (reports/page_tables.c; docs/CHARTS.md, "The page"): a breakdown shows
 * its 12 largest groups and one `other` row summing the rest, with rates
 * equal to the groups' own; and group values of any bytes (markup, quotes,
 * NUL, bytes that are not UTF-8, which no CSV can carry but a report
 * built by hand can) come out as escaped, valid UTF-8 text in <bdi>. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "page.h"
#include "page_cards.h"
#include "report_rows.h"

#define NS 2
#define NG 15

/* A report with NS stages and one breakdown of NG groups; group i has
 * NG - i entities (so report order is index order), i % 3 won, 1 lost. */
struct fixture {
    struct res_report r;
    struct res_stage st[NS];
    struct res_stage gst[NG][NS];
    uint64_t span[2][NS + 3];
    struct res_group g[NG];
    struct res_dim dim;
    struct res_groups gs;
};

static void group(struct fixture *f, size_t i, const char *name, size_t len)
{
    struct res_group *g = &f->g[i];
    struct res_report *r = &g->r;
    g->name = (char *)name;
    g->len = len;
    r->entities = NG - i;
    r->won = i % 3;
    r->lost = 1;
    r->stale = 0;
    r->open = r->entities - r->won - r->lost;
    r->nstages = NS;
    r->stages = f->gst[i];
    f->gst[i][0] = (struct res_stage){.name = "lead", .reached = r->entities};
    f->gst[i][1] = (struct res_stage){.name = "won", .reached = r->won};
    /* What core/aggregate sets: won / (won + lost) and its interval. */
    r->win_rate_closed = (double)r->won / (double)(r->won + r->lost);
}

static void build(struct fixture *f)
{
    static const char *const plain[] = {"g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9",
                                        "g10", "g11", "g12", "g13", "g14"};
    memset(f, 0, sizeof *f);
    f->r.nstages = NS;
    f->r.stages = f->st;
    f->st[0] = (struct res_stage){.name = "lead"};
    f->st[1] = (struct res_stage){.name = "won"};
    f->r.period_s = 7 * 86400;
    f->r.activity[0].c = f->span[0];
    f->r.activity[1].c = f->span[1];
    f->r.win_rate = f->r.win_rate_closed = 0.5;
    f->r.win_rate_ci = f->r.win_rate_closed_ci = (struct res_ci){0.25, 0.75};
    f->r.drop_out_point = f->r.steepest_drop = -1;
    for (size_t i = 0; i < NG; i++)
        group(f, i, plain[i], strlen(plain[i]));
    f->dim = (struct res_dim){.name = "segment", .n = NG, .g = f->g};
    f->gs = (struct res_groups){.nby = 1, .dim = &f->dim};
    f->r.groups = &f->gs;
}

static char *page_of(const struct res_report *r)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    struct fb_error err;
    struct page_opts po = {.gnuplot_missing = 1, .version = "test"};
    fb_error_clear(&err);
    assert_non_null(out);
    assert_int_equal(page_write(r, &po, out, &err), 0);
    assert_int_equal(fclose(out), 0);
    return buf;
}

static void top_twelve_then_other_sums_the_rest(void **state)
{
    (void)state;
    struct fixture f;
    struct rpt_row rows[RPT_TOP_GROUPS + 1];
    build(&f);
    size_t n = rpt_rows_groups(&f.dim, rows);
    assert_int_equal(n, RPT_TOP_GROUPS + 1);
    for (size_t i = 0; i < RPT_TOP_GROUPS; i++) {
        assert_ptr_equal(rows[i].g, &f.g[i]);
        assert_int_equal(rows[i].entities, NG - i);
    }
    const struct rpt_row *o = &rows[RPT_TOP_GROUPS];
    assert_null(o->g);
    assert_int_equal(o->nother, NG - RPT_TOP_GROUPS);
    /* groups 12, 13, 14: entities 3 + 2 + 1, won 0 + 1 + 2, lost 3 */
    assert_int_equal(o->entities, 6);
    assert_int_equal(o->won, 3);
    assert_int_equal(o->lost, 3);
    assert_int_equal(o->first, 6);
    assert_int_equal(o->last, 3);
    struct rpt_rates t = rpt_rows_rates(o);
    assert_true(t.closed == 0.5 && t.conv == 0.5);
    assert_true(t.closed_ci.lo > 0.0 && t.closed_ci.lo < 0.5 && t.closed_ci.hi > 0.5 && t.closed_ci.hi < 1.0);
}

static void twelve_or_fewer_groups_have_no_other(void **state)
{
    (void)state;
    struct fixture f;
    struct rpt_row rows[RPT_TOP_GROUPS + 1];
    build(&f);
    f.dim.n = RPT_TOP_GROUPS;
    assert_int_equal(rpt_rows_groups(&f.dim, rows), RPT_TOP_GROUPS);
    assert_non_null(rows[RPT_TOP_GROUPS - 1].g);
}

static void a_groups_rates_equal_its_own(void **state)
{
    (void)state;
    struct fixture f;
    build(&f);
    for (size_t i = 0; i < NG; i++) {
        struct rpt_row x = rpt_rows_of(&f.g[i]);
        struct rpt_rates t = rpt_rows_rates(&x);
        assert_true(t.closed == f.g[i].r.win_rate_closed);
        assert_true(t.conv == (double)f.g[i].r.won / (double)f.g[i].r.entities);
    }
}

static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        int n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;
        if (n < 0)
            return 0;
        s++;
        for (int k = 0; k < n; k++, s++)
            if ((*s & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

static void hostile_values_are_escaped_text(void **state)
{
    (void)state;
    struct fixture f;
    static const char nul[] = "a\0<b>";
    build(&f);
    group(&f, 0, "<script>alert(1)</script>", 25);
    group(&f, 1, "\"q\" & 'x'", 9);
    group(&f, 2, "bad\xff\xfe" "end", 8);
    group(&f, 3, nul, sizeof nul - 1);
    group(&f, 4, "\xe6\x9d\xb1\xe4\xba\xac", 6);
    group(&f, 5, NULL, 0);
    f.dim.name = "<seg>";
    char *p = page_of(&f.r);
    assert_null(strstr(p, "<script"));
    assert_null(strstr(p, "<b>"));
    assert_null(strstr(p, "<seg>"));
    assert_non_null(strstr(p, "<td class=\"stage\"><bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi></td>"));
    assert_non_null(strstr(p, "<bdi>&quot;q&quot; &amp; &#39;x&#39;</bdi>"));
    assert_non_null(strstr(p, "<bdi>bad??end</bdi>"));
    assert_non_null(strstr(p, "<bdi>a &lt;b&gt;</bdi>"));
    assert_non_null(strstr(p, "<bdi>\xe6\x9d\xb1\xe4\xba\xac</bdi>"));
    assert_non_null(strstr(p, "<em>(none)</em>"));
    assert_non_null(strstr(p, "<h2>By <bdi>&lt;seg&gt;</bdi></h2>"));
    assert_non_null(strstr(p, "<em>other (3 groups)</em>"));
    assert_true(valid_utf8((const unsigned char *)p));
    free(p);
}

/* A money or days card whose figure did not move against the report a
 * period earlier says "no change", not a signed zero ("= 0.0 d"). */
static void an_unmoved_card_says_no_change(void **state)
{
    (void)state;
    struct fixture *f = malloc(sizeof *f);
    assert_non_null(f);
    build(f);
    f->r.has_as_of = 1;
    f->r.as_of = 1767225600;   /* 2026-01-01 */
    f->r.time_to_win = (struct res_stats){.count = 3, .median_s = 5 * 86400, .p90_s = 9 * 86400};
    f->r.value_won = (struct money_sum){.units = 2500000000000, .n = 2, .k = 2};
    struct res_report before = f->r;
    before.as_of -= 7 * 86400;
    before.time_to_win.median_s += 60;   /* a minute: the same to a tenth of a day */
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    assert_non_null(out);
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(page_cards_write(&f->r, &before, out, &err), 0);
    assert_int_equal(fclose(out), 0);
    assert_non_null(strstr(buf, "= no change</span> against 2025-12-25 (then 5.0 d)"));
    assert_non_null(strstr(buf, "= no change</span> against 2025-12-25 (then 2,500.00)"));
    assert_null(strstr(buf, "= 0.0 d"));
    assert_null(strstr(buf, "= 0.00 "));
    free(buf);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(top_twelve_then_other_sums_the_rest),
        cmocka_unit_test(twelve_or_fewer_groups_have_no_other),
        cmocka_unit_test(a_groups_rates_equal_its_own),
        cmocka_unit_test(hostile_values_are_escaped_text),
        cmocka_unit_test(an_unmoved_card_says_no_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
