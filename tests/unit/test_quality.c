/* test_quality.c - the rates of core/aggregate/quality.h (docs/METRICS.md
 * §4.11-§4.14): Wilson intervals at k = 0, k = n and n = 0 and against a
 * known value, the conversion reach with a window of exactly DUR and one
 * second more, --skipped ignore including the first stage and with a
 * window, steepest_drop ties and exact comparison, and the `stale-after=`
 * keys of a funnel file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "funnel_def.h"
#include "quality.h"

#define DAY INT64_C(86400)
#define T0 INT64_C(1700000000)
#define NONE INT64_MAX

static void wilson_ends_are_exact(void **state)
{
    (void)state;
    double lo, hi;
    qual_wilson(0, 10, &lo, &hi);
    assert_true(lo == 0.0);
    assert_true(hi > 0.0 && hi < 1.0);
    qual_wilson(10, 10, &lo, &hi);
    assert_true(hi == 1.0);
    assert_true(lo > 0.0 && lo < 1.0);
    qual_wilson(1, 1, &lo, &hi);
    assert_true(hi == 1.0 && lo > 0.0);
    qual_wilson(0, 1, &lo, &hi);
    assert_true(lo == 0.0 && hi < 1.0);
    qual_wilson(0, 0, &lo, &hi);
    assert_true(isnan(lo) && isnan(hi));
    /* k = 0 and k = n are mirror images */
    double lo0, hi0, lon, hin;
    qual_wilson(0, 7, &lo0, &hi0);
    qual_wilson(7, 7, &lon, &hin);
    assert_true(fabs(hi0 - (1.0 - lon)) < 1e-15);
    /* every interval lies in [0, 1] and holds k/n */
    for (uint64_t n = 1; n < 60; n++)
        for (uint64_t k = 0; k <= n; k++) {
            qual_wilson(k, n, &lo, &hi);
            double p = (double)k / (double)n;
            assert_true(lo >= 0.0 && hi <= 1.0 && lo <= p && p <= hi);
        }
}

static void wilson_matches_the_issue_example(void **state)
{
    (void)state;
    double lo, hi;
    /* 107 of 201: 53% with a 95% interval of 46-60% (docs/METRICS.md
     * §4.12); the exact values are
     * (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n). */
    qual_wilson(107, 201, &lo, &hi);
    assert_true(fabs(lo - 0.4634011332498078) < 1e-12);
    assert_true(fabs(hi - 0.6000625819318899) < 1e-12);
    /* 1 of 2 is symmetric around 1/2 */
    qual_wilson(1, 2, &lo, &hi);
    assert_true(fabs((lo + hi) / 2 - 0.5) < 1e-15);
}

/* st for an entity of 4 stages with events at stages given by m (NONE: none). */
static size_t reach(const int64_t m[4], int64_t window, int skip)
{
    int64_t st[6] = {m[0], m[1], m[2], m[3], 0, 0};
    size_t mx = 3;
    while (st[mx] == NONE)
        mx--;
    const struct qual_conv c = {window, skip};
    return qual_conv_reach(st, 4, mx, &c);
}

static void window_at_exactly_dur_counts(void **state)
{
    (void)state;
    const int64_t m[4] = {T0, T0 + 5 * DAY, T0 + 10 * DAY, NONE};
    assert_int_equal(reach(m, 10 * DAY, 0), 3);       /* T(e,2) - entry = DUR: within */
    assert_int_equal(reach(m, 10 * DAY - 1, 0), 2);   /* one second less: not */
    assert_int_equal(reach(m, 5 * DAY, 0), 2);
    assert_int_equal(reach(m, 1, 0), 1);              /* the entry stage is always within */
    /* a skipped stage is reached at T(e,s) = the next event above it */
    const int64_t skip[4] = {T0, NONE, T0 + 3 * DAY, T0 + 9 * DAY};
    assert_int_equal(reach(skip, 3 * DAY, 0), 3);
    assert_int_equal(reach(skip, 9 * DAY, 0), 4);
    /* moving backwards: entry is the earliest event, T(e,0) */
    const int64_t back[4] = {T0 + 8 * DAY, T0, NONE, NONE};
    assert_int_equal(reach(back, DAY, 0), 2);
}

static void skipped_ignore_needs_every_stage_up_to_s(void **state)
{
    (void)state;
    const int64_t gap[4] = {T0, NONE, T0 + DAY, T0 + 2 * DAY};
    assert_int_equal(reach(gap, 0, 0), 4);
    assert_int_equal(reach(gap, 0, 1), 1);
    /* no event at the first stage: no stage reached at all */
    const int64_t first[4] = {NONE, T0, T0 + DAY, NONE};
    assert_int_equal(reach(first, 0, 0), 3);
    assert_int_equal(reach(first, 0, 1), 0);
    assert_int_equal(reach(first, 30 * DAY, 1), 0);
    const int64_t all[4] = {T0, T0 + DAY, T0 + 20 * DAY, T0 + 21 * DAY};
    assert_int_equal(reach(all, 0, 1), 4);
    /* both options: an entity needs both */
    assert_int_equal(reach(all, 10 * DAY, 1), 2);
    assert_int_equal(reach(gap, 10 * DAY, 1), 1);
}

static void steepest_drop_compares_exactly_and_ties_to_the_earlier(void **state)
{
    (void)state;
    /* 1/3 and 2/6 tie: the earlier stage */
    const uint64_t ls[4] = {1, 2, 0, 0}, r[4] = {3, 6, 2, 1};
    assert_int_equal(qual_steepest(ls, r, 4), 0);
    /* a later, larger share wins over a larger count */
    const uint64_t ls2[3] = {50, 10, 1}, r2[3] = {1000, 40, 2};
    assert_int_equal(qual_steepest(ls2, r2, 3), 2);
    /* shares that differ past double precision */
    const uint64_t big = UINT64_C(1) << 60;
    const uint64_t ls3[2] = {big, big + 1}, r3[2] = {big + 1, big + 2};
    assert_int_equal(qual_steepest(ls3, r3, 2), 1);   /* (N+1)/(N+2) > N/(N+1) */
    /* nothing lost or stale: null */
    const uint64_t z[3] = {0, 0, 0}, rz[3] = {5, 3, 0};
    assert_int_equal(qual_steepest(z, rz, 3), -1);
}

static void funnel_file_keys(void **state)
{
    (void)state;
    char path[] = "/tmp/test_quality_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "suspect  stale-after=180d   # early\n"
                        "big deal stale-after=1d stale-after=2d\n"
                        "stale-after=3d\n"
                        "won\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    struct funnel_def def;
    struct fb_error err;
    fb_error_clear(&err);
    assert_int_equal(funnel_def_from_file(&def, path, &err), 0);
    assert_int_equal(def.n, 4);
    assert_string_equal(def.names[0], "suspect");
    assert_string_equal(def.names[1], "big deal");
    assert_string_equal(def.names[2], "stale-after=3d");   /* a name alone is a name */
    assert_non_null(def.stale_after);
    assert_int_equal(def.stale_after[0], 180 * DAY);
    assert_int_equal(def.stale_after[1], 2 * DAY);          /* the last key on the line */
    assert_int_equal(def.stale_after[2], -1);
    assert_int_equal(def.stale_after[3], -1);
    int64_t by[4];
    qual_stale_by_stage(&def, 30 * DAY, by);
    assert_int_equal(by[0], 180 * DAY);
    assert_int_equal(by[3], 30 * DAY);
    funnel_def_free(&def);
    /* a bad duration names the file and line */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("a\nb stale-after=soon\n", f);
    fclose(f);
    fb_error_clear(&err);
    assert_int_equal(funnel_def_from_file(&def, path, &err), FB_EUSAGE);
    assert_non_null(strstr(err.msg, ":2: bad stale-after \"soon\""));
    funnel_def_free(&def);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wilson_ends_are_exact),
        cmocka_unit_test(wilson_matches_the_issue_example),
        cmocka_unit_test(window_at_exactly_dur_counts),
        cmocka_unit_test(skipped_ignore_needs_every_stage_up_to_s),
        cmocka_unit_test(steepest_drop_compares_exactly_and_ties_to_the_earlier),
        cmocka_unit_test(funnel_file_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
