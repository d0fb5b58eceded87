/* stats.h - exact order statistics of durations: median and p90 by nearest
 * rank (the value at 1-based rank ceil(p*n) of the sorted values), found by
 * selection in O(n) instead of sorting (docs/METRICS.md §time_in_stage). */
#ifndef FUNNEL_STATS_H
#define FUNNEL_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "result.h"

/* Summarise v[0..n) (reordered in place) into *out. */
void stats_summarise(int64_t *v, size_t n, struct res_stats *out);

/* 0-based index of the nearest-rank percentile p/100 among n values (n > 0):
 * ceil(p*n/100) - 1, computed in integers so 0.9*10 is exactly 9. */
size_t stats_rank_index(size_t n, unsigned p);

/* Below this many values in all, threads cost more than they save. */
#define STATS_PARALLEL_MIN 200000

/* One set of durations to summarise: stats_summarise(v, n, out). */
struct stats_job {
    int64_t *v;
    size_t n;
    struct res_stats *out;
};

/* stats_summarise every job, on up to `threads` threads (0 or 1: this one)
 * when there are enough values to be worth it; the results are those of
 * one thread, since every job is independent.  A thread that cannot be
 * started leaves its jobs to this one. */
void stats_summarise_all(struct stats_job *jobs, size_t n, unsigned threads);

/* stats_summarise of v[0..n) already sorted ascending: the same numbers,
 * read by index. */
void stats_summarise_sorted(const int64_t *v, size_t n, struct res_stats *out);

/* Sort durations (0 <= v < 2^40, docs/METRICS.md §4.20) ascending; tmp
 * holds STATS_SORT_TMP(n) values (the copy, then the digit counts: the
 * caller's block, so that a sort on a new thread makes no allocation of
 * its own).  A radix sort with as few passes as the largest value needs,
 * since replay sorts every stage's durations on every run. */
#define STATS_SORT_TMP(n) ((size_t)(n) + ((size_t)1 << 13) + 1)
void stats_sort_durations(int64_t *v, size_t n, int64_t *tmp);

/* fn(ctx, order[k]) for k in [0, n), on up to `threads` threads (0 or 1,
 * or `parallel` 0: this one), taking the jobs in the given order (largest
 * first balances best).  Jobs must be independent; a thread that cannot
 * be started leaves its jobs to this one. */
void stats_run_jobs(void (*fn)(void *ctx, size_t job), void *ctx, const size_t *order, size_t n,
                    int parallel, unsigned threads);

#endif
