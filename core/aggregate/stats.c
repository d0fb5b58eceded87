/* stats.c - selection-based median and p90; see stats.h. */
#include "stats.h"

#include <math.h>

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
