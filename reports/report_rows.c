/* report_rows.c - rows shared by `replay --text` and the page; see
 * report_rows.h. */
#include "report_rows.h"

#include <math.h>

#include "quality.h"

struct rpt_row rpt_rows_of(const struct res_group *g)
{
    const struct res_report *r = &g->r;
    struct rpt_row x = {.g = g, .entities = r->entities, .won = r->won, .lost = r->lost,
                        .stale = r->stale, .open = r->open, .won_value = r->value_won,
                        .open_value = r->value_open};
    if (r->nstages) {
        x.first = r->stages[0].reached;
        x.last = r->stages[r->nstages - 1].reached;
    }
    return x;
}

size_t rpt_rows_groups(const struct res_dim *dim, struct rpt_row rows[RPT_TOP_GROUPS + 1])
{
    size_t n = 0;
    struct rpt_row other = {0};
    for (size_t i = 0; i < dim->n; i++) {
        struct rpt_row x = rpt_rows_of(&dim->g[i]);
        if (i < RPT_TOP_GROUPS) {
            rows[n++] = x;
            continue;
        }
        other.nother++;
        other.entities += x.entities;
        other.won += x.won;
        other.lost += x.lost;
        other.stale += x.stale;
        other.open += x.open;
        other.first += x.first;
        other.last += x.last;
        money_sum_merge(&other.won_value, &x.won_value);
        money_sum_merge(&other.open_value, &x.open_value);
    }
    if (other.nother)
        rows[n++] = other;
    return n;
}

static double ratio(uint64_t k, uint64_t n)
{
    return n ? (double)k / (double)n : NAN;
}

/* The formulas of core/aggregate (summary.c, quality.c) on the row's
 * counts, so that a group's rates equal its report.json values exactly;
 * the interval is the report's own function. */
struct rpt_rates rpt_rows_rates(const struct rpt_row *x)
{
    struct rpt_rates t;
    const uint64_t decided = x->won + x->lost + x->stale, closed = x->won + x->lost;
    t.win = ratio(x->won, decided);
    t.closed = ratio(x->won, closed);
    t.conv = ratio(x->last, x->first);
    qual_wilson(x->won, decided, &t.win_ci.lo, &t.win_ci.hi);
    qual_wilson(x->won, closed, &t.closed_ci.lo, &t.closed_ci.hi);
    qual_wilson(x->last, x->first, &t.conv_ci.lo, &t.conv_ci.hi);
    return t;
}

uint64_t rpt_rows_advanced(const struct res_report *r, const struct res_span *sp)
{
    uint64_t a = 0;
    for (size_t s = 1; s < r->nstages; s++)
        a += sp->c[s];
    return a;
}

void rpt_rows_duration(char *buf, size_t n, int64_t s)
{
    static const struct { int64_t unit; char c; } u[] = {{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (s % u[i].unit == 0) {
            snprintf(buf, n, "%lld%c", (long long)(s / u[i].unit), u[i].c);
            return;
        }
    snprintf(buf, n, "%llds", (long long)s);
}
