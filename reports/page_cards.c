/* page_cards.c - the cards at the top of the page; see page_cards.h. */
#include "page_cards.h"

#include <math.h>
#include <string.h>

#include "chart_label.h"
#include "ftime.h"
#include "page_text.h"
#include "report_rows.h"
#include "text_num.h"

/* One card: the figure, what it is, and a line of change (HTML, ours). */
static void card(FILE *out, const char *id, const char *num, const char *lbl, const char *chg)
{
    /* A long figure (an exact money sum) in a smaller type, so that up to
     * 13 characters ("29,670,100.00") stay on one line in the narrowest
     * card (a 390-pixel screen); a longer one may break, anywhere. */
    size_t len = strlen(num);
    fprintf(out, "<div class=\"fig%s\" id=\"card-%s\">", len > 13 ? " xlong" : len > 9 ? " long" : "", id);
    fprintf(out, "<span class=\"num\">%s</span><span class=\"lbl\">%s</span>", num, lbl);
    if (chg)
        fprintf(out, "<span class=\"chg\">%s</span>", chg);
    fputs("</div>\n", out);
}

/* "▲ +12 this 7d against last (45 against 33)": the signed change of a
 * count of activity (§4.16); an arrow only when it moved. */
static void count_change(char *buf, size_t n, const char *what, const char *p, uint64_t a, uint64_t b)
{
    long long d = (long long)a - (long long)b;
    char x[32], y[32];
    chart_fmt_count(a, x, sizeof x);
    chart_fmt_count(b, y, sizeof y);
    char dd[32];
    snprintf(dd, sizeof dd, d ? "%+lld" : "%lld", d);   /* as the activity table writes it */
    snprintf(buf, n, "<span class=\"%s\">%s %s</span> %s: %s this %s, %s the %s before",
             d > 0 ? "up" : d < 0 ? "down" : "same", d > 0 ? "&#9650;" : d < 0 ? "&#9660;" : "=", dd, what, x,
             p, y, p);
}

/* A rate of activity's counts this period against the last, in points,
 * with both sample sizes: won of decided (or of closed) in each span. */
static void rate_change(char *buf, size_t n, const char *p, uint64_t wa, uint64_t na, uint64_t wb,
                        uint64_t nb, const char *of)
{
    char x[32], y[32], ca[32], cb[32];
    double ra = na ? (double)wa / (double)na : NAN, rb = nb ? (double)wb / (double)nb : NAN;
    chart_fmt_pct(ra, x, sizeof x);
    chart_fmt_pct(rb, y, sizeof y);
    chart_fmt_count(na, ca, sizeof ca);
    chart_fmt_count(nb, cb, sizeof cb);
    if (isnan(ra) || isnan(rb)) {
        snprintf(buf, n, "<span class=\"same\">no change</span> this %s %s of %s %s, the %s before %s of %s",
                 p, x, ca, of, p, y, cb);
        return;
    }
    double d = 100.0 * (ra - rb);
    char dd[32];
    snprintf(dd, sizeof dd, "%+.1f", d);
    int same = strcmp(dd, "+0.0") == 0 || strcmp(dd, "-0.0") == 0;
    snprintf(buf, n, "<span class=\"%s\">%s %s points</span> this %s %s of %s %s, the %s before %s of %s",
             same ? "same" : d > 0 ? "up" : "down", same ? "=" : d > 0 ? "&#9650;" : "&#9660;",
             same ? "0.0" : dd, p, x, ca, of, p, y, cb);
}

static void rate_card(FILE *out, const char *id, const char *name, double rate, const struct res_ci *ci,
                      const char *def, uint64_t won, uint64_t n, const char *of, const char *chg)
{
    char a[32], lo[32], hi[32], w[32], c[32], lbl[320];
    chart_fmt_pct(rate, a, sizeof a);
    chart_fmt_count(won, w, sizeof w);
    chart_fmt_count(n, c, sizeof c);
    if (isnan(ci->lo) || isnan(ci->hi)) {
        snprintf(lbl, sizeof lbl, "%s: %s; %s won of %s %s (no interval)", name, def, w, c, of);
    } else {
        chart_fmt_pct(ci->lo, lo, sizeof lo);
        chart_fmt_pct(ci->hi, hi, sizeof hi);
        snprintf(lbl, sizeof lbl, "%s: %s; %s won of %s %s; 95%% interval [%s, %s]", name, def, w, c, of,
                 lo, hi);
    }
    card(out, id, a, lbl, chg);
}

/* The change of a stock or an all-time figure is against the report of
 * the same log one period earlier, b (NULL: none; docs/DECISIONS.md, "Card
 * changes"): "▲ +12,500.00 against 2026-11-30 (then 100,000.00)".  d is
 * the signed change as text without its sign, sign its direction (0: the
 * change shows as "= no change", not as a zero), then the figure of b as
 * text. */
static void stock_change(char *buf, size_t n, int sign, const char *d, const struct res_report *b,
                         const char *then)
{
    char when[32];
    ftime_format(b->as_of, when);
    snprintf(buf, n, "<span class=\"%s\">%s %s%s</span> against %.10s (then %s)",
             sign > 0 ? "up" : sign < 0 ? "down" : "same", sign > 0 ? "&#9650;" : sign < 0 ? "&#9660;" : "=",
             sign > 0 ? "+" : sign < 0 ? "-" : "", sign ? d : "no change", when, then);
}

static const char *no_before =
    "<span class=\"same\">&ndash;</span> no change shown: no report a period earlier";

/* The change of an exact sum: the difference of two sums is exact, with
 * the larger k of the two; an overflowed sum has no change. */
static void money_change(char *buf, size_t n, const struct money_sum *now, const struct res_report *b,
                         const struct money_sum *then)
{
    char d[RPT_NUM_MAX], t[RPT_NUM_MAX];
    if (!b) {
        snprintf(buf, n, "%s", no_before);
        return;
    }
    if (!now->n && !then->n) {
        snprintf(buf, n, "<span class=\"same\">&ndash;</span> no change shown: no value, then or now");
        return;
    }
    if (now->overflow || then->overflow) {
        snprintf(buf, n, "<span class=\"same\">&ndash;</span> no change shown: a sum overflowed");
        return;
    }
    int sign = now->units > then->units ? 1 : now->units < then->units ? -1 : 0;
    struct money_sum diff = {sign >= 0 ? now->units - then->units : then->units - now->units, 1,
                             now->k > then->k ? now->k : then->k, 0};
    rpt_num_money(d, &diff);
    if (then->n)
        rpt_num_money(t, then);
    else
        snprintf(t, sizeof t, "none");
    stock_change(buf, n, sign, d, b, t);
}

/* The change of a money double (the weighted forecast), to cents. */
static void amount_change(char *buf, size_t n, double now, const struct res_report *b, double then)
{
    char d[RPT_NUM_MAX], t[RPT_NUM_MAX];
    if (!b) {
        snprintf(buf, n, "%s", no_before);
        return;
    }
    if (isnan(now) && isnan(then)) {
        snprintf(buf, n, "<span class=\"same\">&ndash;</span> no change shown: no forecast, then or now");
        return;
    }
    double x = isnan(now) ? 0 : now, y = isnan(then) ? 0 : then;
    rpt_num_amount(d, fabs(x - y));
    if (isnan(then))
        snprintf(t, sizeof t, "none");
    else
        rpt_num_amount(t, then);
    /* The sign of the change as it is shown, so "+0.00" never appears. */
    int sign = strcmp(d, "0.00") == 0 ? 0 : x > y ? 1 : -1;
    stock_change(buf, n, sign, d, b, t);
}

static void won_value_card(const struct res_report *r, const struct res_report *b, FILE *out)
{
    char a[RPT_NUM_MAX], c[32], lbl[256], chg[512];
    rpt_num_money(a, &r->value_won);
    chart_fmt_count(r->value_won.n, c, sizeof c);
    snprintf(lbl, sizeof lbl, "won value: the sum over the %s won with a value", c);
    money_change(chg, sizeof chg, &r->value_won, b, b ? &b->value_won : NULL);
    card(out, "won-value", a, lbl, chg);
}

static void money_cards(const struct res_report *r, const struct res_report *b, FILE *out)
{
    char a[RPT_NUM_MAX], c[32], d[32], lbl[256], chg[512];
    rpt_num_money(a, &r->value_open);
    chart_fmt_count(r->open, c, sizeof c);
    chart_fmt_count(r->value_open.n, d, sizeof d);
    snprintf(lbl, sizeof lbl, "open pipeline value: %s open, %s of them with a value", c, d);
    money_change(chg, sizeof chg, &r->value_open, b, b ? &b->value_open : NULL);
    card(out, "open-value", a, lbl, chg);
    rpt_num_amount(a, r->weighted_open);
    chart_fmt_count(r->unweighted_open, c, sizeof c);
    snprintf(lbl, sizeof lbl, "weighted forecast: each open value times its stage's p(win)%s%s%s",
             r->unweighted_open ? "; " : "", r->unweighted_open ? c : "",
             r->unweighted_open ? " open with no p(win) left out" : "");
    amount_change(chg, sizeof chg, r->weighted_open, b, b ? b->weighted_open : NAN);
    card(out, "forecast", a, lbl, chg);
}

static void days_card(const struct res_report *r, const struct res_report *b, FILE *out)
{
    char a[RPT_NUM_MAX], p90[RPT_NUM_MAX], n[32], lbl[256], chg[512];
    const struct res_stats *w = &r->time_to_win;
    if (w->count) {
        rpt_num_secs(a, 1, w->median_s);
        rpt_num_secs(p90, 1, w->p90_s);
        chart_fmt_count(w->count, n, sizeof n);
        snprintf(lbl, sizeof lbl, "median days to win, first stage to last, of %s won (90%% within %s days)",
                 n, p90);
    } else {
        snprintf(a, sizeof a, "n/a");
        snprintf(lbl, sizeof lbl, "median days to win: nobody has won yet");
    }
    if (!b) {
        snprintf(chg, sizeof chg, "%s", no_before);
    } else if (!w->count || !b->time_to_win.count) {
        char when[32];
        ftime_format(b->as_of, when);
        snprintf(chg, sizeof chg, "<span class=\"same\">&ndash;</span> no change shown: %s won on %.10s",
                 b->time_to_win.count ? "nobody has" : "nobody had", when);
    } else {
        /* In the days format of the figure, so the change is the
         * difference of what the two cards would show, to its precision. */
        char d[RPT_NUM_MAX], t[RPT_NUM_MAX + 2];
        int64_t dd = w->median_s - b->time_to_win.median_s;
        rpt_num_secs(d, 1, dd < 0 ? -dd : dd);
        rpt_num_secs(t, 1, b->time_to_win.median_s);
        strcat(t, " d");
        strcat(d, " d");
        stock_change(chg, sizeof chg, strcmp(d, "0.0 d") == 0 ? 0 : dd > 0 ? 1 : -1, d, b, t);
    }
    card(out, "days-to-win", a, lbl, chg);
}

int page_cards_write(const struct res_report *r, const struct res_report *before, FILE *out,
                     struct fb_error *err)
{
    const size_t ns = r->nstages;
    const uint64_t *ta = r->activity[0].c, *tb = r->activity[1].c;
    const int act = ns > 0 && ta && tb;
    char p[32], a[RPT_NUM_MAX], b[32], lbl[256], chg[512];
    rpt_rows_duration(p, sizeof p, r->period_s);
    fputs("<section class=\"figures\" aria-label=\"headline figures\">\n", out);
    chart_fmt_count(r->entities, a, sizeof a);
    chart_fmt_count(r->ev_used, b, sizeof b);
    snprintf(lbl, sizeof lbl, "entities (%s events used)", b);
    if (act)
        count_change(chg, sizeof chg, "entered", p, ta[0], tb[0]);
    card(out, "entities", a, lbl, act ? chg : NULL);
    chart_fmt_count(r->won, a, sizeof a);
    snprintf(lbl, sizeof lbl, "won: reached the last stage");
    if (act)
        count_change(chg, sizeof chg, "won", p, ta[ns], tb[ns]);
    card(out, "won", a, lbl, act ? chg : NULL);
    won_value_card(r, before, out);
    if (act)
        rate_change(chg, sizeof chg, p, ta[ns], ta[ns] + ta[ns + 1] + ta[ns + 2], tb[ns],
                    tb[ns] + tb[ns + 1] + tb[ns + 2], "decided");
    rate_card(out, "win-rate", "win rate", r->win_rate, &r->win_rate_ci, "won / (won + lost + stale)", r->won,
              r->won + r->lost + r->stale, "decided", act ? chg : NULL);
    if (act)
        rate_change(chg, sizeof chg, p, ta[ns], ta[ns] + ta[ns + 1], tb[ns], tb[ns] + tb[ns + 1], "closed");
    rate_card(out, "closed-win-rate", "closed win rate", r->win_rate_closed, &r->win_rate_closed_ci,
              "won / (won + lost), the CRM convention", r->won, r->won + r->lost, "closed", act ? chg : NULL);
    money_cards(r, before, out);
    days_card(r, before, out);
    if (r->drop_out_point >= 0) {
        const struct res_stage *st = &r->stages[r->drop_out_point];
        char l[32];
        chart_fmt_count(st->lost, l, sizeof l);
        chart_fmt_count(st->stale, a, sizeof a);
        chart_fmt_pct(st->drop_rate, b, sizeof b);
        fputs("<div class=\"fig drop\" id=\"card-drop\"><span class=\"num\">", out);
        if (page_text(out, st->name, strlen(st->name), err))
            return FB_ENOMEM;
        fprintf(out, "</span><span class=\"lbl\">drop-out point: %s lost and %s stale there "
                     "(%s of those who reached it)</span></div>\n", l, a, b);
    } else {
        fputs("<div class=\"fig drop\" id=\"card-drop\"><span class=\"num\">none</span><span class=\"lbl\">"
              "drop-out point: nobody lost or gone stale yet</span></div>\n", out);
    }
    fputs("</section>\n", out);
    return 0;
}
