/* text_deals.c - the deal metrics of `replay --text`; see text_deals.h.
 * Every number is the report's own (result.h), formatted by text_num.c;
 * nothing is computed here but the counts without a value (status count
 * minus the sum's addends) and seconds as days. */
#include "text_deals.h"

#include <math.h>
#include <string.h>

#include "text_num.h"

static void value_row(FILE *out, const char *status, const struct money_sum *s, uint64_t count)
{
    char v[RPT_NUM_MAX];
    rpt_num_money(v, s);
    fprintf(out, "  %-8s  %20s  %12llu  %10llu\n", status, v, (unsigned long long)s->n,
            (unsigned long long)(count - s->n));
}

static void pct(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.1f%%", 100.0 * v);
}

/* velocity_per_day = open x win_rate_closed x avg_won / (median days to
 * win) (§4.19), the four factors as the report has them, so a reader can
 * redo it; null velocity names why. */
static void velocity(const struct res_report *r, FILE *out)
{
    char v[RPT_NUM_MAX], rate[16], avg[RPT_NUM_MAX], d[RPT_NUM_MAX];
    rpt_num_amount(v, r->velocity_per_day);
    pct(rate, sizeof rate, r->win_rate_closed);
    rpt_num_amount(avg, r->avg_won);
    rpt_num_secs(d, r->time_to_win.count > 0, r->time_to_win.median_s);
    fprintf(out, "velocity %s%s = %llu open x %s win rate (closed) x %s avg won / %s days to win%s\n", v,
            isnan(r->velocity_per_day) ? "" : "/day",
            (unsigned long long)r->open, rate, avg, d,
            isnan(r->velocity_per_day) ? (r->time_to_win.count > 0 && r->time_to_win.median_s == 0
                                              ? "  (- : the median is 0)" : "  (- : a factor is -)")
                                       : "");
}

void rpt_text_value(const struct res_report *r, FILE *out)
{
    char avg[RPT_NUM_MAX], w[RPT_NUM_MAX], u[RPT_NUM_MAX];
    fprintf(out, "%-10s  %20s  %12s  %10s\n", "value", "sum", "with a value", "without");
    value_row(out, "won", &r->value_won, r->won);
    value_row(out, "lost", &r->value_lost, r->lost);
    value_row(out, "stale", &r->value_stale, r->stale);
    value_row(out, "open", &r->value_open, r->open);
    rpt_num_amount(avg, r->avg_won);
    rpt_num_amount(w, r->weighted_open);
    rpt_num_money(u, &r->unweighted_value);
    fprintf(out, "avg won %s   weighted forecast %s (open value x p(win) of its stage)   "
            "unweighted open %s (%llu open with a value, p(win) -)\n", avg, w, u,
            (unsigned long long)r->unweighted_open);
    velocity(r, out);
    fputc('\n', out);
}

void rpt_text_stage_deals(const struct res_report *r, int w, FILE *out)
{
    fprintf(out, "\ndeals by stage: the open deals (value, days at the stage), p(win) = won / decided at or "
            "beyond it,\nKaplan-Meier days in stage beside the median of those that moved on\n");
    fprintf(out, "%-*s  %16s  %7s  %-16s  %6s  %8s  %8s  %11s  %9s  %7s  %11s\n", w, "stage", "open value",
            "p(win)", "95% interval", "open", "days med", "days p90", "over median", "KM median", "KM p90",
            "movers med");
    for (size_t s = 0; s < r->nstages; s++) {
        const struct res_stage *st = &r->stages[s];
        char name[256], ov[RPT_NUM_MAX], p[16], ci[48] = "-", n[24] = "-", am[RPT_NUM_MAX], ap[RPT_NUM_MAX];
        char over[24] = "-", km[RPT_NUM_MAX], kp[RPT_NUM_MAX], mv[RPT_NUM_MAX];
        size_t i = 0;
        for (; st->name[i] && i + 1 < sizeof name; i++)
            name[i] = (unsigned char)st->name[i] < 0x20 || st->name[i] == 0x7f ? '?' : st->name[i];
        name[i] = '\0';
        rpt_num_money(ov, &st->open_value);
        pct(p, sizeof p, st->p_win);
        if (!isnan(st->p_win_ci.lo) && !isnan(st->p_win_ci.hi))
            snprintf(ci, sizeof ci, "[%.1f%%, %.1f%%]", 100.0 * st->p_win_ci.lo, 100.0 * st->p_win_ci.hi);
        rpt_num_days(am, st->has_aging ? st->aging_median_days : NAN);
        rpt_num_days(ap, st->has_aging ? st->aging_p90_days : NAN);
        if (st->has_aging) {
            snprintf(n, sizeof n, "%llu", (unsigned long long)st->aging_count);
            if (st->has_over_median)
                snprintf(over, sizeof over, "%llu", (unsigned long long)st->aging_over_median);
        }
        rpt_num_secs(km, st->has_km_median, st->km_median_s);
        rpt_num_secs(kp, st->has_km_p90, st->km_p90_s);
        rpt_num_secs(mv, st->has_time_in_stage && st->time_in_stage.count > 0, st->time_in_stage.median_s);
        fprintf(out, "%-*s  %16s  %7s  %-16s  %6s  %8s  %8s  %11s  %9s  %7s  %11s\n", w, name, ov, p, ci, n, am,
                ap, over, km, kp, mv);
    }
}
