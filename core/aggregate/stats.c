/* stats.c - selection-based median and p90; see stats.h. */
#include "stats.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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

void stats_summarise_sorted(const int64_t *v, size_t n, struct res_stats *out)
{
    out->count = n;
    if (n == 0) {
        out->mean_s = NAN;
        out->median_s = out->p90_s = 0;
        return;
    }
    __int128 sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    out->mean_s = (double)sum / (double)n;
    out->median_s = v[stats_rank_index(n, 50)];
    out->p90_s = v[stats_rank_index(n, 90)];
}

static void insertion_sort(int64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

void stats_sort_durations(int64_t *v, size_t n, int64_t *tmp)
{
    if (n < 48) {
        insertion_sort(v, n);
        return;
    }
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        max |= (uint64_t)v[i];
    unsigned bits = 0;
    while (bits < 64 && (max >> bits) != 0)
        bits++;
    /* Wide digits for large sets (two passes cover a year of seconds),
     * narrow ones where clearing the counts would cost more than the
     * values. */
    const unsigned width = n >= 65536 ? 13 : 8;   /* STATS_SORT_TMP's room */
    const size_t nb = (size_t)1 << width;
    int64_t *count = tmp + n;
    int64_t *a = v, *b = tmp;
    const uint64_t mask = nb - 1;
    for (unsigned shift = 0; shift < bits; shift += width) {
        memset(count, 0, (nb + 1) * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[((uint64_t)a[i] >> shift & mask) + 1]++;
        for (size_t k = 1; k <= nb; k++)
            count[k] += count[k - 1];
        for (size_t i = 0; i < n; i++)
            b[count[(uint64_t)a[i] >> shift & mask]++] = a[i];
        int64_t *t = a;
        a = b;
        b = t;
    }
    if (a != v)
        memcpy(v, a, n * sizeof *v);
}

struct jobs_run {
    void (*fn)(void *, size_t);
    void *ctx;
    const size_t *order;
    size_t n;
    atomic_size_t next;
};

static void *jobs_worker(void *arg)
{
    struct jobs_run *r = arg;
    for (size_t k; (k = atomic_fetch_add(&r->next, 1)) < r->n;)
        r->fn(r->ctx, r->order[k]);
    return NULL;
}

void stats_run_jobs(void (*fn)(void *ctx, size_t job), void *ctx, const size_t *order, size_t n,
                    int parallel, unsigned threads)
{
    size_t nt = threads < n ? threads : n;
    nt = nt < STATS_MAX_THREADS ? nt : STATS_MAX_THREADS;
    struct jobs_run r = {fn, ctx, order, n, 0};
    if (!parallel || nt < 2) {
        jobs_worker(&r);
        return;
    }
    pthread_t tid[STATS_MAX_THREADS];
    size_t started = 1;
    while (started < nt && pthread_create(&tid[started], NULL, jobs_worker, &r) == 0)
        started++;
    jobs_worker(&r);
    for (size_t k = 1; k < started; k++)
        pthread_join(tid[k], NULL);
}
