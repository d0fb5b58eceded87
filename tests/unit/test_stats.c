/* test_stats.c - core/aggregate/stats.h: median and p90 by nearest rank (the value at
 * 1-based rank ceil(p*n) of the sorted values), checked against a sorted
 * copy for every small n, for ties, and for large random inputs; the mean
 * is exact (an integer sum), so it never depends on the order of values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "stats.h"
#include "test_support.h"

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void)
{
    return test_xorshift(&rng);
}

/* The nearest-rank value by the definition, from a sorted copy. */
static int64_t by_definition(const int64_t *v, size_t n, unsigned p)
{
    int64_t *s = malloc(n * sizeof *s);
    assert_non_null(s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, test_cmp_i64);
    /* Smallest 1-based rank r with r >= p*n/100, i.e. r*100 >= p*n. */
    size_t r = 1;
    while (r * 100 < p * n)
        r++;
    int64_t x = s[r - 1];
    free(s);
    return x;
}

static void check_against_reference(const int64_t *v, size_t n)
{
    int64_t *w = malloc((n ? n : 1) * sizeof *w);
    assert_non_null(w);
    memcpy(w, v, n * sizeof *w);
    struct res_stats st;
    memset(&st, 0xA5, sizeof st);
    stats_summarise(w, n, &st);
    assert_int_equal(st.count, n);
    if (st.median_s != by_definition(v, n, 50) || st.p90_s != by_definition(v, n, 90))
        fail_msg("n=%zu: median %lld p90 %lld, expected %lld %lld", n, (long long)st.median_s,
                 (long long)st.p90_s, (long long)by_definition(v, n, 50),
                 (long long)by_definition(v, n, 90));
    /* The values are reordered, never changed. */
    int64_t *a = malloc(n * sizeof *a + 1), *b = malloc(n * sizeof *b + 1);
    assert_non_null(a);
    assert_non_null(b);
    memcpy(a, v, n * sizeof *a);
    memcpy(b, w, n * sizeof *b);
    qsort(a, n, sizeof *a, test_cmp_i64);
    qsort(b, n, sizeof *b, test_cmp_i64);
    assert_memory_equal(a, b, n * sizeof *a + (n == 0));
    free(a);
    free(b);
    free(w);
}

/* ---- rank arithmetic ---- */

static void rank_index_of_p90_among_10_is_8(void **state)
{
    (void)state;
    assert_int_equal(stats_rank_index(10, 90), 8);
    assert_int_equal(stats_rank_index(10, 50), 4);
    assert_int_equal(stats_rank_index(100, 90), 89);
    assert_int_equal(stats_rank_index(1000, 90), 899);
}

static void rank_index_is_ceil_of_p_times_n_minus_1(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 2000; n++)
        for (unsigned p = 1; p <= 100; p++) {
            size_t r = (p * n + 99) / 100;      /* ceil(p*n/100) */
            if (stats_rank_index(n, p) != r - 1)
                fail_msg("n=%zu p=%u: %zu, expected %zu", n, p, stats_rank_index(n, p), r - 1);
        }
    assert_int_equal(stats_rank_index(1, 50), 0);
    assert_int_equal(stats_rank_index(1, 90), 0);
    assert_int_equal(stats_rank_index(2, 50), 0);
    assert_int_equal(stats_rank_index(2, 90), 1);
    assert_int_equal(stats_rank_index(3, 50), 1);
    assert_int_equal(stats_rank_index(20, 90), 17);
    assert_int_equal(stats_rank_index(21, 90), 18);
}

static void rank_index_does_not_overflow_for_huge_n(void **state)
{
    (void)state;
    size_t n = SIZE_MAX / 50;
    assert_true(stats_rank_index(n, 90) < n);
    assert_true(stats_rank_index(n, 90) > n / 100 * 89);
    assert_int_equal(stats_rank_index(SIZE_MAX, 100), SIZE_MAX - 1);
}

/* ---- summaries ---- */

static void empty_input_has_count_0_and_null_mean(void **state)
{
    (void)state;
    struct res_stats st;
    memset(&st, 0xA5, sizeof st);
    int64_t dummy = 7;
    stats_summarise(&dummy, 0, &st);
    assert_int_equal(st.count, 0);
    assert_true(isnan(st.mean_s));
    assert_int_equal(dummy, 7);
}

static void one_value_is_its_own_median_p90_and_mean(void **state)
{
    (void)state;
    int64_t v[1] = {86400};
    struct res_stats st;
    stats_summarise(v, 1, &st);
    assert_int_equal(st.count, 1);
    assert_int_equal(st.median_s, 86400);
    assert_int_equal(st.p90_s, 86400);
    assert_true(st.mean_s == 86400.0);
}

static void ten_values_take_the_5th_and_9th(void **state)
{
    (void)state;
    int64_t v[10] = {100, 30, 90, 10, 80, 50, 20, 70, 60, 40};
    struct res_stats st;
    stats_summarise(v, 10, &st);
    assert_int_equal(st.median_s, 50);   /* rank ceil(0.5*10) = 5 */
    assert_int_equal(st.p90_s, 90);      /* rank ceil(0.9*10) = 9 */
    assert_true(st.mean_s == 55.0);
}

static void every_n_from_1_to_20_matches_the_sorted_reference(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 20; n++) {
        int64_t v[20];
        /* ascending, descending, and random orders of distinct values */
        for (size_t i = 0; i < n; i++)
            v[i] = (int64_t)(i * 37 + 5);
        check_against_reference(v, n);
        for (size_t i = 0; i < n; i++)
            v[i] = (int64_t)((n - i) * 37 + 5);
        check_against_reference(v, n);
        for (int rep = 0; rep < 50; rep++) {
            for (size_t i = 0; i < n; i++)
                v[i] = (int64_t)(next() % 1000);
            check_against_reference(v, n);
        }
    }
}

static void ties_are_handled_by_rank(void **state)
{
    (void)state;
    int64_t a[] = {5, 1, 5, 1, 5, 1};          /* sorted 1 1 1 5 5 5 */
    struct res_stats st;
    stats_summarise(a, 6, &st);
    assert_int_equal(st.median_s, 1);          /* rank 3 */
    assert_int_equal(st.p90_s, 5);             /* rank 6 */
    assert_true(st.mean_s == 3.0);
    for (size_t n = 1; n <= 64; n++) {
        int64_t v[64];
        for (int rep = 0; rep < 30; rep++) {
            for (size_t i = 0; i < n; i++)
                v[i] = (int64_t)(next() % 3) * 86400;  /* whole days, many ties */
            check_against_reference(v, n);
        }
    }
}

static void all_equal_values_give_that_value(void **state)
{
    (void)state;
    size_t sizes[] = {1, 2, 3, 10, 1000, 100000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        int64_t *v = malloc(n * sizeof *v);
        assert_non_null(v);
        for (size_t i = 0; i < n; i++)
            v[i] = 2592000;
        struct res_stats st;
        stats_summarise(v, n, &st);
        assert_int_equal(st.count, n);
        assert_int_equal(st.median_s, 2592000);
        assert_int_equal(st.p90_s, 2592000);
        assert_true(st.mean_s == 2592000.0);
        free(v);
    }
}

static void large_random_inputs_match_qsort(void **state)
{
    (void)state;
    size_t sizes[] = {999, 1000, 1001, 65537, 1000003};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        int64_t *v = malloc(n * sizeof *v);
        assert_non_null(v);
        for (size_t i = 0; i < n; i++)
            v[i] = (int64_t)(next() % (k & 1 ? 100 : 400000000u));
        check_against_reference(v, n);
        /* already sorted and reverse sorted, the classic bad cases */
        qsort(v, n, sizeof *v, test_cmp_i64);
        check_against_reference(v, n);
        for (size_t i = 0; i < n / 2; i++) {
            int64_t t = v[i];
            v[i] = v[n - 1 - i];
            v[n - 1 - i] = t;
        }
        check_against_reference(v, n);
        free(v);
    }
}

/* The radix sort of durations against qsort, for every way it chooses its
 * passes: insertion below 48 values, 8-bit digits below 65,536, 13-bit
 * above; values of 1 bit up to 40 bits (a duration's bound), all equal,
 * and the summary read from the sorted values against the selection's. */
static void durations_sort_like_qsort_and_summarise_alike(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 2, 47, 48, 49, 1000, 65535, 65536, 200003};
    const unsigned bits[] = {1, 8, 13, 14, 26, 27, 40};
    for (size_t a = 0; a < sizeof sizes / sizeof *sizes; a++)
        for (size_t b = 0; b < sizeof bits / sizeof *bits; b++) {
            const size_t n = sizes[a];
            int64_t *v = malloc((n ? n : 1) * sizeof *v), *w = malloc((n ? n : 1) * sizeof *w),
                    *tmp = malloc(STATS_SORT_TMP(n) * sizeof *tmp);
            assert_true(v && w && tmp);
            for (size_t i = 0; i < n; i++)
                v[i] = (int64_t)(next() & (((uint64_t)1 << bits[b]) - 1));
            memcpy(w, v, n * sizeof *v);
            struct res_stats sel, sorted;
            stats_summarise(w, n, &sel);
            memcpy(w, v, n * sizeof *v);
            qsort(w, n, sizeof *w, test_cmp_i64);
            stats_sort_durations(v, n, tmp);
            if (n)
                assert_memory_equal(v, w, n * sizeof *v);
            stats_summarise_sorted(v, n, &sorted);
            assert_int_equal(sorted.count, sel.count);
            if (n) {
                assert_int_equal(sorted.median_s, sel.median_s);
                assert_int_equal(sorted.p90_s, sel.p90_s);
                assert_true(sorted.mean_s == sel.mean_s);
            } else {
                assert_true(isnan(sorted.mean_s));
            }
            free(v);
            free(w);
            free(tmp);
        }
}

static void negative_and_extreme_values_are_ordered_correctly(void **state)
{
    (void)state;
    int64_t v[] = {INT64_MAX, -5, 0, INT64_MIN + 1, 7, INT64_MAX - 1, -5, 3, 2, 1, 0};
    check_against_reference(v, sizeof v / sizeof *v);
}

/* A double accumulator would drop the small values next to 2^53. */
static void mean_is_exact_for_big_values(void **state)
{
    (void)state;
    int64_t two53 = INT64_C(1) << 53;
    int64_t a[] = {two53, 1, 1, 2};     /* sum 2^53 + 4, mean 2^51 + 1 exactly */
    struct res_stats st;
    stats_summarise(a, 4, &st);
    assert_true(st.mean_s == (double)((INT64_C(1) << 51) + 1));
    int64_t b[] = {1, 1, 2, two53};     /* the order does not matter */
    stats_summarise(b, 4, &st);
    assert_true(st.mean_s == (double)((INT64_C(1) << 51) + 1));
    /* A sum past INT64_MAX does not overflow. */
    int64_t c[] = {INT64_MAX, INT64_MAX, INT64_MAX};
    stats_summarise(c, 3, &st);
    assert_true(st.mean_s == (double)INT64_MAX);
    /* 10 years of seconds, a million times: exact integer mean. */
    size_t n = 1000000;
    int64_t *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = 315360000 + (i % 2 ? 1 : -1);
    stats_summarise(v, n, &st);
    assert_true(st.mean_s == 315360000.0);
    free(v);
}

static void mean_is_the_same_for_any_order(void **state)
{
    (void)state;
    size_t n = 5000;
    int64_t *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
    assert_non_null(v);
    assert_non_null(w);
    for (size_t i = 0; i < n; i++)
        v[i] = (int64_t)(next() % 316000000000u);
    memcpy(w, v, n * sizeof *v);
    struct res_stats s1, s2;
    stats_summarise(v, n, &s1);
    for (size_t i = n - 1; i > 0; i--) {       /* shuffle */
        size_t j = (size_t)(next() % (i + 1));
        int64_t t = w[i];
        w[i] = w[j];
        w[j] = t;
    }
    stats_summarise(w, n, &s2);
    assert_memory_equal(&s1.mean_s, &s2.mean_s, sizeof s1.mean_s);
    assert_int_equal(s1.median_s, s2.median_s);
    assert_int_equal(s1.p90_s, s2.p90_s);
    free(v);
    free(w);
}

/* stats_summarise_all on threads (above its threshold of values) gives
 * every set the result one thread gives it, whatever the job order. */
static void sets_summarised_on_threads_match_one_thread(void **state)
{
    (void)state;
    const size_t sizes[] = {300000, 5, 0, 120000, 1, 77777, 2};
    const size_t nj = sizeof sizes / sizeof sizes[0];
    int64_t *a[7], *b[7];
    struct res_stats ra[7], rb[7];
    struct stats_job ja[7], jb[7];
    for (size_t j = 0; j < nj; j++) {
        a[j] = malloc((sizes[j] + 1) * sizeof **a);
        b[j] = malloc((sizes[j] + 1) * sizeof **b);
        assert_true(a[j] && b[j]);
        for (size_t i = 0; i < sizes[j]; i++)
            a[j][i] = b[j][i] = (int64_t)(next() % 1000000);
        ja[j] = (struct stats_job){a[j], sizes[j], &ra[j]};
        jb[j] = (struct stats_job){b[j], sizes[j], &rb[j]};
    }
    stats_summarise_all(ja, nj, 1);
    stats_summarise_all(jb, nj, 4);
    for (size_t j = 0; j < nj; j++) {
        assert_int_equal(ra[j].count, sizes[j]);
        assert_int_equal(rb[j].count, ra[j].count);
        assert_int_equal(rb[j].median_s, ra[j].median_s);
        assert_int_equal(rb[j].p90_s, ra[j].p90_s);
        assert_true(isnan(ra[j].mean_s) ? isnan(rb[j].mean_s) : rb[j].mean_s == ra[j].mean_s);
        free(a[j]);
        free(b[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rank_index_of_p90_among_10_is_8),
        cmocka_unit_test(durations_sort_like_qsort_and_summarise_alike),
        cmocka_unit_test(sets_summarised_on_threads_match_one_thread),
        cmocka_unit_test(rank_index_is_ceil_of_p_times_n_minus_1),
        cmocka_unit_test(rank_index_does_not_overflow_for_huge_n),
        cmocka_unit_test(empty_input_has_count_0_and_null_mean),
        cmocka_unit_test(one_value_is_its_own_median_p90_and_mean),
        cmocka_unit_test(ten_values_take_the_5th_and_9th),
        cmocka_unit_test(every_n_from_1_to_20_matches_the_sorted_reference),
        cmocka_unit_test(ties_are_handled_by_rank),
        cmocka_unit_test(all_equal_values_give_that_value),
        cmocka_unit_test(large_random_inputs_match_qsort),
        cmocka_unit_test(negative_and_extreme_values_are_ordered_correctly),
        cmocka_unit_test(mean_is_exact_for_big_values),
        cmocka_unit_test(mean_is_the_same_for_any_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
