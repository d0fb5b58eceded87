/* stats.c - selection-based median and p90; see stats.h. */
#include "stats.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

size_t stats_rank_index(size_t n, unsigned p)
{
    return (size_t)(((unsigned __int128)n * p + 99) / 100) - 1;
}

static void swap(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

/* Put the k-th smallest of v[lo..hi] at v[k], smaller ones before it.
 * Median-of-three pivots with a three-way partition, so runs of equal
 * durations (common: whole days) do not make it quadratic. */
static void select_kth(int64_t *v, ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t k)
{
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap(&v[mid], &v[lo]);
        if (v[hi] < v[lo]) swap(&v[hi], &v[lo]);
        if (v[hi] < v[mid]) swap(&v[hi], &v[mid]);
        int64_t pivot = v[mid];
        ptrdiff_t lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            if (v[i] < pivot)
                swap(&v[lt++], &v[i++]);
            else if (v[i] > pivot)
                swap(&v[i], &v[gt--]);
            else
                i++;
        }
        if (k < lt)
            hi = lt - 1;
        else if (k > gt)
            lo = gt + 1;
        else
            return;
    }
}

void stats_summarise(int64_t *v, size_t n, struct res_stats *out)
{
    out->count = n;
    if (n == 0) {
        out->mean_s = NAN;
        out->median_s = out->p90_s = 0;
        return;
    }
    __int128 sum = 0;   /* exact, so the mean never depends on event order */
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    out->mean_s = (double)sum / (double)n;
    size_t km = stats_rank_index(n, 50), k9 = stats_rank_index(n, 90);
    select_kth(v, 0, (ptrdiff_t)n - 1, (ptrdiff_t)km);
    out->median_s = v[km];
    select_kth(v, (ptrdiff_t)km, (ptrdiff_t)n - 1, (ptrdiff_t)k9);
    out->p90_s = v[k9];
}

/* Below this many values in all, threads cost more than they save. */
#define STATS_PARALLEL_MIN 200000
#define STATS_MAX_THREADS 16

struct stats_run {
    struct stats_job *jobs;
    size_t n;
    atomic_size_t next;
};

static void *stats_worker(void *arg)
{
    struct stats_run *r = arg;
    for (size_t i; (i = atomic_fetch_add(&r->next, 1)) < r->n;)
        stats_summarise(r->jobs[i].v, r->jobs[i].n, r->jobs[i].out);
    return NULL;
}

static int job_larger(const void *pa, const void *pb)
{
    const struct stats_job *a = pa, *b = pb;
    return (a->n < b->n) - (a->n > b->n);
}

void stats_summarise_all(struct stats_job *jobs, size_t n, unsigned threads)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += jobs[i].n;
    size_t nt = threads < n ? threads : n;
    nt = nt < STATS_MAX_THREADS ? nt : STATS_MAX_THREADS;
    if (nt < 2 || total < STATS_PARALLEL_MIN) {
        for (size_t i = 0; i < n; i++)
            stats_summarise(jobs[i].v, jobs[i].n, jobs[i].out);
        return;
    }
    /* Largest first, so the last job taken is a small one. */
    qsort(jobs, n, sizeof *jobs, job_larger);
    struct stats_run r = {jobs, n, 0};
    pthread_t tid[STATS_MAX_THREADS];
    size_t started = 1;
    while (started < nt && pthread_create(&tid[started], NULL, stats_worker, &r) == 0)
        started++;
    stats_worker(&r);
    for (size_t k = 1; k < started; k++)
        pthread_join(tid[k], NULL);
}
