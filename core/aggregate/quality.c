/* quality.c - conversion reach under --window and --skipped, Wilson
 * intervals, steepest_drop and stale thresholds by stage; see quality.h
 * and docs/METRICS.md §4.11-§4.14. */
#include "quality.h"

#include <math.h>

#include "result.h"
#include "summary.h"

size_t qual_conv_reach(const int64_t *st, size_t ns, size_t mx, const struct qual_conv *c)
{
    (void)ns;
    size_t reach = mx + 1;
    /* --skipped ignore: the first stage without an event ends the run, the
     * first stage too (no event there: no stage reached). */
    if (c->skip_ignore)
        for (size_t s = 0; s < reach; s++)
            if (st[s] == INT64_MAX)
                reach = s;
    if (c->window <= 0 || reach == 0)
        return reach;
    /* T(e,s) = min over j >= s of M(e,j) only grows with s, and entry(e) =
     * T(e,0): the stages within the window are a prefix. */
    int64_t t[FUNNEL_MAX_STAGES], lo = INT64_MAX;
    for (size_t s = mx + 1; s-- > 0;) {
        lo = st[s] < lo ? st[s] : lo;
        t[s] = lo;
    }
    size_t s = 0;
    while (s < reach && t[s] - t[0] <= c->window)
        s++;
    return s;
}

void qual_wilson(uint64_t k, uint64_t n, double *lo, double *hi)
{
    if (n == 0) {
        *lo = *hi = NAN;
        return;
    }
    const double z = QUAL_Z95, z2 = z * z, dn = (double)n, p = (double)k / dn;
    const double den = 1.0 + z2 / dn;
    const double centre = (p + z2 / (2.0 * dn)) / den;
    const double half = z / den * sqrt(p * (1.0 - p) / dn + z2 / (4.0 * dn * dn));
    /* The ends the formula reaches only up to rounding are set exactly. */
    *lo = k == 0 ? 0.0 : centre - half < 0.0 ? 0.0 : centre - half;
    *hi = k == n ? 1.0 : centre + half > 1.0 ? 1.0 : centre + half;
}

int qual_steepest(const uint64_t *lost_stale, const uint64_t *reached, size_t n)
{
    int best = -1;
    for (size_t s = 0; s < n; s++) {
        if (lost_stale[s] == 0 || reached[s] == 0)
            continue;
        /* a/b > c/d as a*d > c*b, exactly in 128 bits: no rounding can
         * break a tie the wrong way. */
        if (best < 0 || (unsigned __int128)lost_stale[s] * reached[best] >
                            (unsigned __int128)lost_stale[best] * reached[s])
            best = (int)s;
    }
    return best;
}

void qual_stale_by_stage(const struct funnel_def *def, int64_t dflt, int64_t *out)
{
    for (size_t s = 0; s < def->n; s++)
        out[s] = def->stale_after && def->stale_after[s] >= 0 ? def->stale_after[s] : dflt;
}

void qual_finish(const struct summary *s, struct res_report *out)
{
    uint64_t ls[FUNNEL_MAX_STAGES], reached[FUNNEL_MAX_STAGES];
    const struct res_stage *first = &out->stages[0];
    for (size_t i = 0; i < out->nstages; i++) {
        struct res_stage *st = &out->stages[i];
        if (i)
            qual_wilson(st->reached, out->stages[i - 1].reached, &st->conv_prev_ci.lo, &st->conv_prev_ci.hi);
        else
            st->conv_prev_ci.lo = st->conv_prev_ci.hi = NAN;
        qual_wilson(st->reached, first->reached, &st->conv_start_ci.lo, &st->conv_start_ci.hi);
        st->stale_after_s = s->stale[i];
        st->events = st->touches_marketing + st->touches_sales;
        st->with_event = s->stage[i].with_event;
        st->skipped = st->reached_all - st->with_event;
        ls[i] = st->lost + st->stale;
        reached[i] = st->reached_all;
    }
    const uint64_t closed = out->won + out->lost;
    out->win_rate_closed = closed ? (double)out->won / (double)closed : NAN;
    qual_wilson(out->won, out->won + out->lost + out->stale, &out->win_rate_ci.lo, &out->win_rate_ci.hi);
    qual_wilson(out->won, closed, &out->win_rate_closed_ci.lo, &out->win_rate_closed_ci.hi);
    out->steepest_drop = qual_steepest(ls, reached, out->nstages);
    out->window_s = s->conv.window;
    out->skip_ignore = s->conv.skip_ignore;
    out->backwards = s->backwards;
    out->won_then_lost = s->won_then_lost;
}
