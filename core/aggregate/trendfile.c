/* trendfile.c - section 6 of the partial state file (docs/FORMAT.md
 * §14.6); see trendfile.h.  Every value is a LEB128 varint. */
#include "trendfile.h"

#include <stdlib.h>

#include "bytes.h"
#include "err.h"
#include "ftime.h"
#include "period.h"

static int put(struct buf *b, uint64_t v)
{
    if (buf_reserve(b, 10) != 0)
        return FB_ENOMEM;
    b->len += put_varint(b->p + b->len, v);
    return 0;
}

int trendfile_encode(const struct sum_trend *t, struct buf *raw)
{
    int rc = put(raw, t->o.unit == TREND_OFF ? 0 : (uint64_t)t->o.unit + 1);
    if (rc == 0)
        rc = put(raw, (uint64_t)t->o.period);
    if (rc == 0)
        rc = put(raw, t->n);
    if (rc == 0 && t->n)
        rc = put(raw, zigzag(t->lo));
    for (size_t i = 0; rc == 0 && i < t->n * t->nk; i++)
        rc = put(raw, t->cnt[i]);
    for (size_t i = 0; rc == 0 && i < 2 * t->nk; i++)
        rc = put(raw, t->act[i]);
    for (size_t k = 0; rc == 0 && k < t->nk; k++) {
        rc = put(raw, t->mom[k].n);
        for (size_t i = 0; rc == 0 && i < t->mom[k].n; i++)
            rc = put(raw, i ? (uint64_t)(t->mom[k].v[i] - t->mom[k].v[i - 1]) : zigzag(t->mom[k].v[0]));
    }
    return rc;
}

#define BAD(msg) (*why = (msg), FB_ECORRUPT)

/* The moment lists: counted first (dst NULL), then stored. */
static int lists(const unsigned char *p, const unsigned char *end, size_t nk, size_t *count,
                 int64_t *dst, const char **why)
{
    for (size_t k = 0; k < nk; k++) {
        uint64_t n, u;
        if (get_varint(&p, end, &n) != 0 || n > (uint64_t)(end - p))
            return BAD("bad count of trend moments");
        int64_t prev = 0;
        for (uint64_t i = 0; i < n; i++) {
            if (get_varint(&p, end, &u) != 0)
                return BAD("trend moments cut short");
            int64_t v = i ? (u > (uint64_t)(FTIME_MAX - prev) ? FTIME_MAX + 1 : prev + (int64_t)u)
                          : unzigzag(u);
            if (v < FTIME_MIN || v > FTIME_MAX)
                return BAD("a trend moment is out of range");
            if (dst)
                *dst++ = v;
            prev = v;
        }
        count[k] = (size_t)n;
    }
    return p == end ? 0 : BAD("bytes after the trend moments");
}

int trendfile_decode(const unsigned char *p, size_t len, int decided, struct sum_trend *t,
                     const char **why)
{
    const unsigned char *end = p + len;
    const size_t nk = t->nk;
    uint64_t unit, period, n, v;
    if (get_varint(&p, end, &unit) != 0 || unit > PERIOD_MONTH + 1 ||
        get_varint(&p, end, &period) != 0 || period < 1 || period > (uint64_t)(FTIME_MAX - FTIME_MIN) ||
        get_varint(&p, end, &n) != 0 || n > TREND_MAX_PERIODS || (n && !unit))
        return BAD("bad trend options or period count");
    t->o.unit = unit ? (int)unit - 1 : TREND_OFF;
    t->o.period = (int64_t)period;
    if (n) {
        if (get_varint(&p, end, &v) != 0)
            return BAD("trend counts cut short");
        t->lo = unzigzag(v);
        enum period_unit u = (enum period_unit)t->o.unit;
        if (t->lo < period_index(u, FTIME_MIN) || t->lo + (int64_t)n - 1 > period_index(u, FTIME_MAX))
            return BAD("trend periods out of range");
        if (!(t->cnt = calloc((size_t)n * nk, sizeof *t->cnt)))
            return FB_ENOMEM;
        t->n = (size_t)n;
    }
    for (size_t i = 0; i < t->n * nk; i++)
        if (get_varint(&p, end, &t->cnt[i]) != 0)
            return BAD("trend counts cut short");
    /* Canonical: the first and the last period hold a moment. */
    for (size_t at = 0; t->n && at < 2; at++) {
        uint64_t any = 0;
        for (size_t k = 0; k < nk; k++)
            any |= t->cnt[(at ? t->n - 1 : 0) * nk + k];
        if (!any)
            return BAD("trend periods not trimmed");
    }
    uint64_t act = 0;
    for (size_t i = 0; i < 2 * nk; i++) {
        if (get_varint(&p, end, &t->act[i]) != 0)
            return BAD("activity counts cut short");
        act |= t->act[i];
    }
    size_t *count = calloc(nk, sizeof *count), total = 0;
    if (!count)
        return FB_ENOMEM;
    int rc = lists(p, end, nk, count, NULL, why);
    for (size_t k = 0; rc == 0 && k < nk; k++)
        total += count[k];
    /* Activity is counted where as_of is known and kept as moments where
     * it is not (trend.h): never both. */
    if (rc == 0 && (decided ? total != 0 : act != 0))
        rc = BAD("activity of the wrong kind for the as_of");
    int64_t *pool = rc == 0 ? malloc((total ? total : 1) * sizeof *pool) : NULL;
    if (rc == 0 && !pool)
        rc = FB_ENOMEM;
    if (rc == 0) {
        trend_sum_take_pool(t, pool, count);
        rc = lists(p, end, nk, count, pool, why);
    }
    free(count);
    return rc;
}
