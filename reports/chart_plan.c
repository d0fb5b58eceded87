/* chart_plan.c - rows, labels and layout of each chart; see chart_plan.h
 * and docs/CHARTS.md for what each chart shows. */
#include "chart_plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_glyphs.h"
#include "chart_label.h"
#include "text_num.h"

/* The money chart's rows after the stages (chart_rows). */
static const char *const money_rows[4] = {"won", "lost", "stale", "weighted forecast"};

/* Pixels per em per point of font size as pngcairo draws (96 dpi: a
 * 10 pt line of 21.5 em measured 278 px; 1.333 keeps some room). */
#define PX_PER_EM_PT 1.333

static double text_px(const char *s, int pt) { return chart_text_em(s) * pt * PX_PER_EM_PT; }

static int set_text(struct plan_row *row, int i, struct fb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int set_text(struct plan_row *row, int i, struct fb_error *err, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!(row->text[i] = strdup(buf)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    return 0;
}

/* Font sizes that keep 2 to 16 stages legible; beyond that, smaller. */
static void fonts(struct chart_plan *p)
{
    size_t n = p->n;
    p->tic_pt = n <= 8 ? 12 : n <= 12 ? 11 : n <= 16 ? 10 : n <= 32 ? 8 : 6;
    p->label_pt = n <= 8 ? 11 : n <= 12 ? 10 : n <= 16 ? 9 : n <= 32 ? 7 : 5;
}

/* The plot starts right of the widest line of any (wrapped) stage name. */
static void left_margin(struct chart_plan *p)
{
    double widest = 0;
    for (size_t i = 0; i < p->n; i++) {
        char *s = p->rows[i].label, *rest = s, keep = 0;
        size_t skip, at = chart_wrap_point(s, &skip);
        if (at) {
            keep = s[at];
            s[at] = '\0';
            rest = s + at + skip;
        }
        widest = fmax(widest, text_px(s, p->tic_pt));
        if (at) {
            s[at] = keep;
            widest = fmax(widest, text_px(rest, p->tic_pt));
        }
    }
    p->lmargin = fmin(0.42, fmax(0.08, (widest + 24) / CHART_WIDTH));
}

static double plot_px(const struct chart_plan *p) { return (PLAN_RMARGIN - p->lmargin) * CHART_WIDTH; }

/* The right end of the x range such that a bar ending at v, followed by a
 * label of text px (and a gap of one character), stays inside the plot. */
static double fit_right_scaled(const struct chart_plan *p, double xr, double v, const char *text,
                               double scale)
{
    if (!text || isnan(v))
        return xr;
    double f = (scale * text_px(text, p->label_pt) + 1.2 * p->label_pt) / plot_px(p);
    f = fmin(f, 0.75);
    double need = (v - p->xmin * f) / (1 - f);
    return need > xr ? need : xr;
}

static double fit_right(const struct chart_plan *p, double xr, double v, const char *text)
{
    return fit_right_scaled(p, xr, v, text, 1.0);
}

static double pct_or_nan(double v) { return isnan(v) ? NAN : 100.0 * v; }

int chart_no_events(const struct res_report *r, size_t i)
{
    /* skipped = reached - with_event (§4.13), so this is skipped ==
     * reached > 0; a funnel-report/1 read back has no quality block
     * (both 0) and is never flagged. */
    const struct res_stage *st = &r->stages[i];
    return st->with_event == 0 && st->skipped > 0;
}

/* "   <| drop-out point", "   <| steepest drop" after a row's text. */
static int add_marks(const struct res_report *r, size_t i, struct plan_row *row, int t,
                     struct fb_error *err)
{
    const char *dp = (int)i == r->drop_out_point ? "   \xE2\x97\x80 drop-out point" : "";
    const char *sd = (int)i == r->steepest_drop ? "   \xE2\x97\x80 steepest drop" : "";
    if (!*dp && !*sd)
        return 0;
    char *old = row->text[t], marks[96];
    snprintf(marks, sizeof marks, "%s%s", dp, sd);
    row->text[t] = NULL;
    /* Alone in the text (the first stage has no "of first"), no gap before. */
    int rc = set_text(row, t, err, "%s%s", old ? old : "", old ? marks : marks + 3);
    free(old);
    return rc;
}

static int plan_funnel(const struct res_report *r, struct chart_plan *p, struct fb_error *err)
{
    double m = 1;
    for (size_t i = 0; i < p->n; i++) {
        const struct res_stage *st = &r->stages[i];
        struct plan_row *row = &p->rows[i];
        char c[32], a[32], b[32];
        chart_fmt_count(st->reached, c, sizeof c);
        chart_fmt_pct(st->conv_prev, a, sizeof a);
        chart_fmt_pct(st->conv_start, b, sizeof b);
        int none = chart_no_events(r, i);
        row->num[0] = (double)st->reached;
        row->num[1] = pct_or_nan(st->conv_prev);
        row->num[2] = pct_or_nan(st->conv_start);
        row->num[3] = none;
        m = fmax(m, row->num[0]);
        int rc = set_text(row, 0, err, "%s", c);
        if (rc == 0 && none) {
            /* Its conversion counts only skips (docs/METRICS.md §4.13): say so
             * where the rate would stand. */
            chart_fmt_count(st->skipped, c, sizeof c);
            rc = set_text(row, 1, err, "no events: credited to %s that skipped it", c);
        } else if (rc == 0) {
            rc = i ? set_text(row, 1, err, "%s of previous", a) : set_text(row, 1, err, "first stage");
        }
        if (rc == 0 && i)
            rc = set_text(row, 2, err, "%s of first", b);
        if (rc == 0)
            rc = add_marks(r, i, row, 2, err);
        if (rc)
            return FB_ENOMEM;
    }
    p->nnums = 4, p->ntexts = 3;
    /* Bars are centred on 0; the conversion column stands right of the widest. */
    p->xmin = -m / 2 * 1.03;
    p->xcol = m / 2 * 1.06;
    p->xmax = p->xcol;
    for (size_t i = 0; i < p->n; i++) {
        p->xmax = fit_right(p, p->xmax, p->xcol, p->rows[i].text[1]);
        p->xmax = fit_right(p, p->xmax, p->xcol, p->rows[i].text[2]);
    }
    double upp = (p->xmax - p->xmin) / plot_px(p);   /* x units per pixel */
    for (size_t i = 0; i < p->n; i++) {
        struct plan_row *row = &p->rows[i];
        /* White on a hatched grey bar would not read: those count outside. */
        row->flag = row->num[3] == 0 && row->num[0] / upp >= text_px(row->text[0], p->label_pt) + 16;
    }
    return 0;
}

static int plan_conversion(const struct res_report *r, struct chart_plan *p, struct fb_error *err)
{
    p->xmax = 100;
    for (size_t i = 0; i < p->n; i++) {
        const struct res_stage *st = &r->stages[i];
        struct plan_row *row = &p->rows[i];
        char a[32], b[32];
        chart_fmt_pct(st->conv_prev, a, sizeof a);
        chart_fmt_pct(st->conv_start, b, sizeof b);
        int none = chart_no_events(r, i);
        char c[32];
        chart_fmt_count(st->skipped, c, sizeof c);
        row->num[0] = pct_or_nan(st->conv_prev);
        row->num[1] = pct_or_nan(st->conv_start);
        row->num[2] = none;
        if ((none ? set_text(row, 0, err, "%s \xC2\xB7 no events: credited to %s that skipped it",
                             i ? a : "first stage", c)
                  : set_text(row, 0, err, "%s", i ? a : "first stage")) ||
            set_text(row, 1, err, "%s", b))
            return FB_ENOMEM;
    }
    p->nnums = 3, p->ntexts = 2;
    for (size_t i = 0; i < p->n; i++)
        for (int k = 0; k < 2; k++)
            p->xmax = fit_right(p, p->xmax, isnan(p->rows[i].num[k]) ? 0 : p->rows[i].num[k],
                                p->rows[i].text[k]);
    return 0;
}

static int plan_time(const struct res_report *r, struct chart_plan *p, struct fb_error *err)
{
    p->xmax = 1;
    for (size_t i = 0; i < p->n; i++) {
        const struct res_stage *st = &r->stages[i];
        const struct res_stats *s = &st->time_in_stage;
        struct plan_row *row = &p->rows[i];
        int has = st->has_time_in_stage && s->count > 0;
        char a[32], b[32];
        row->num[0] = has ? (double)s->median_s / 86400.0 : NAN;
        row->num[1] = has ? (double)s->p90_s / 86400.0 : NAN;
        row->num[2] = st->has_time_in_stage ? (double)s->count : NAN;
        chart_fmt_days((double)s->median_s, a, sizeof a);
        chart_fmt_days((double)s->p90_s, b, sizeof b);
        int rc = has ? set_text(row, 0, err, "%s", a) || set_text(row, 1, err, "%s", b)
               : set_text(row, 2, err, "%s", !st->has_time_in_stage
                          ? "final stage: no time in stage" : "nobody has moved on yet");
        if (rc)
            return FB_ENOMEM;
    }
    p->nnums = 3, p->ntexts = 3;
    for (size_t i = 0; i < p->n; i++) {
        const struct plan_row *row = &p->rows[i];
        p->xmax = fit_right(p, p->xmax, row->num[0], row->text[0]);
        p->xmax = fit_right(p, p->xmax, row->num[1], row->text[1]);
        p->xmax = fit_right(p, p->xmax, 0, row->text[2]);
    }
    return 0;
}

static int plan_dropouts(const struct res_report *r, struct chart_plan *p, struct fb_error *err)
{
    p->xmax = 5;
    for (size_t i = 0; i < p->n; i++) {
        const struct res_stage *st = &r->stages[i];
        struct plan_row *row = &p->rows[i];
        int last = i + 1 == p->n;
        uint64_t won = last ? st->reached : 0, dropped = st->lost + st->stale;
        char l[32], d[32], o[32], w[32], rate[32];
        row->num[0] = (double)st->lost;
        row->num[1] = (double)st->stale;
        row->num[2] = (double)st->open;
        row->num[3] = (double)won;
        row->num[4] = (double)(dropped + st->open + won);
        row->flag = (int)i == r->drop_out_point;
        /* Lost and stale apart, as the bars are (docs/CHARTS.md): a deal
         * gone quiet is not one the CRM closed as lost. */
        chart_fmt_count(st->lost, l, sizeof l);
        chart_fmt_count(st->stale, d, sizeof d);
        chart_fmt_count(st->open, o, sizeof o);
        chart_fmt_count(won, w, sizeof w);
        chart_fmt_pct(st->drop_rate, rate, sizeof rate);
        int rc;
        if (last)
            rc = set_text(row, 0, err, "%s won", w);
        else if (dropped == 0 && st->open == 0)
            rc = set_text(row, 0, err, "none stopped here%s",
                          chart_no_events(r, i) ? " (no events: all who reached it skipped it)" : "");
        else
            rc = set_text(row, 0, err, "%s lost, %s stale (%s)%s%s%s", l, d, rate,
                          st->open ? " + " : "", st->open ? o : "", st->open ? " open" : "");
        if (rc == 0)
            rc = add_marks(r, i, row, 0, err);   /* U+25C0 */
        if (rc)
            return FB_ENOMEM;
    }
    p->nnums = 5, p->ntexts = 1;
    for (size_t i = 0; i < p->n; i++)
        p->xmax = fit_right_scaled(p, p->xmax, p->rows[i].num[4], p->rows[i].text[0],
                                   p->rows[i].flag ? 1.15 : 1.0);  /* bold */
    return 0;
}

static int plan_touches(const struct res_report *r, struct chart_plan *p, struct fb_error *err)
{
    p->xmax = 5;
    for (size_t i = 0; i < p->n; i++) {
        const struct res_stage *st = &r->stages[i];
        struct plan_row *row = &p->rows[i];
        char a[32], b[32];
        row->num[0] = (double)st->touches_marketing;
        row->num[1] = (double)st->touches_sales;
        chart_fmt_count(st->touches_marketing, a, sizeof a);
        chart_fmt_count(st->touches_sales, b, sizeof b);
        if (set_text(row, 0, err, "%s", a) || set_text(row, 1, err, "%s", b))
            return FB_ENOMEM;
        p->xmax = fit_right(p, p->xmax, row->num[0], row->text[0]);
        p->xmax = fit_right(p, p->xmax, row->num[1], row->text[1]);
    }
    p->nnums = 2, p->ntexts = 2;
    return 0;
}

void chart_plan_tics(struct chart_plan *p, const char *unit)
{
    double span = p->xmax - p->xmin, raw = span / 6, mag, step;
    size_t o = 0;
    p->xtics[0] = '\0';
    if (!(span > 0) || !isfinite(span))
        return;
    mag = pow(10, floor(log10(raw)));
    step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
    o += (size_t)snprintf(p->xtics, sizeof p->xtics, "(");
    for (long i = (long)ceil(p->xmin / step - 1e-9); i * step <= p->xmax + step * 1e-9; i++) {
        double v = (double)i * step;
        char t[48];
        if (step >= 1)
            chart_fmt_count((uint64_t)llround(fabs(v)), t, sizeof t);
        else
            snprintf(t, sizeof t, "%.1f", fabs(v));
        int w = snprintf(p->xtics + o, sizeof p->xtics - o, "%s'%s%s%s' %.10g", o > 1 ? ", " : "",
                         v < 0 ? "-" : "", t, unit, v);
        if (w < 0 || (size_t)w >= sizeof p->xtics - o - 2) {
            p->xtics[0] = '\0';   /* cannot happen with ~6 tics; gnuplot's own then */
            return;
        }
        o += (size_t)w;
    }
    snprintf(p->xtics + o, sizeof p->xtics - o, ")");
}

/* Money as a double (NaN: empty or overflowed): the chart needs only its
 * length; labels keep the exact sum (rpt_num_money). */
static double money_value(const struct money_sum *s) { return money_ratio_double(s, 1); }

/* Columns: value, kind (0 open value of a stage, 1 won, 2 lost, 3 stale,
 * 4 weighted forecast); text: the amount. */
static int plan_money(const struct res_report *r, struct chart_plan *p, struct fb_error *err)
{
    const struct money_sum *sums[3] = {&r->value_won, &r->value_lost, &r->value_stale};
    p->xmax = 1;
    for (size_t i = 0; i < p->n; i++) {
        struct plan_row *row = &p->rows[i];
        char t[RPT_NUM_MAX];
        size_t x = i - r->nstages;   /* the row after the stages, when i >= nstages */
        if (i < r->nstages) {
            row->num[0] = money_value(&r->stages[i].open_value);
            rpt_num_money(t, &r->stages[i].open_value);
        } else if (x < 3) {
            row->num[0] = money_value(sums[x]);
            rpt_num_money(t, sums[x]);
        } else {
            row->num[0] = r->weighted_open;
            rpt_num_amount(t, r->weighted_open);
        }
        row->num[1] = i < r->nstages ? 0 : (double)(x + 1);
        if (isnan(row->num[0]) ? set_text(row, 0, err, "no value")
                               : set_text(row, 0, err, "%s%s", t, i < r->nstages ? " open" : ""))
            return FB_ENOMEM;
        p->xmax = fit_right(p, p->xmax, isnan(row->num[0]) ? 0 : row->num[0], row->text[0]);
    }
    p->nnums = 2, p->ntexts = 1;
    return 0;
}

/* Columns (stages but the last): open deals' median and p90 days in
 * their current stage, the movers' median (time_in_stage), the
 * Kaplan-Meier median, the open deals; text: the figures, or a note. */
static int plan_aging(const struct res_report *r, struct chart_plan *p, struct fb_error *err)
{
    p->xmax = 1;
    for (size_t i = 0; i < p->n; i++) {
        const struct res_stage *st = &r->stages[i];
        struct plan_row *row = &p->rows[i];
        int has = st->has_aging && st->aging_count > 0;
        char a[32], b[32], c[32];
        row->num[0] = has ? st->aging_median_days : NAN;
        row->num[1] = has ? st->aging_p90_days : NAN;
        row->num[2] = st->has_time_in_stage && st->time_in_stage.count > 0
                      ? (double)st->time_in_stage.median_s / 86400.0 : NAN;
        row->num[3] = st->has_km_median ? (double)st->km_median_s / 86400.0 : NAN;
        row->num[4] = (double)st->aging_count;
        chart_fmt_days(row->num[0] * 86400.0, a, sizeof a);
        chart_fmt_days(row->num[1] * 86400.0, b, sizeof b);
        chart_fmt_count(st->aging_count, c, sizeof c);
        char beyond[64] = "";
        if (st->aging_beyond)
            chart_fmt_count(st->aging_beyond, beyond, sizeof beyond);
        if (has ? set_text(row, 0, err, "%s median \xC2\xB7 %s p90 \xC2\xB7 %s open%s%s", a, b, c,
                           *beyond ? ", beyond p90: " : "", beyond)
                : set_text(row, 0, err, "no open deals"))
            return FB_ENOMEM;
        /* The label starts right of the furthest bar, marker or dot. */
        double end = st->naging_longest ? (double)st->aging_longest_s[0] / 86400.0 : 0;
        for (int j = 0; j < 4; j++)
            if (!isnan(row->num[j]))
                end = fmax(end, row->num[j]);
        row->num[5] = end;
        p->xmax = fit_right_scaled(p, p->xmax, end, row->text[0], 1.05);
    }
    p->nnums = 6, p->ntexts = 1;
    return 0;
}

static int subtitle(const struct res_report *r, struct chart_plan *p, struct fb_error *err)
{
    char date[64], a[32], b[32], c[32], buf[512];
    uint64_t m = 0, s = 0;
    chart_fmt_as_of(r->has_as_of, r->as_of, date, sizeof date);
    switch (p->kind) {
    case CHART_FUNNEL:
        chart_fmt_count(r->entities, a, sizeof a);
        chart_fmt_count(r->won, b, sizeof b);
        chart_fmt_pct(r->win_rate, c, sizeof c);
        snprintf(buf, sizeof buf, "%s \xC2\xB7 %s entities \xC2\xB7 %s won \xC2\xB7 win rate %s",
                 date, a, b, c);
        break;
    case CHART_CONVERSION:
        snprintf(buf, sizeof buf, "%s \xC2\xB7 step: from the previous stage \xC2\xB7 "
                 "cumulative: from the first stage", date);
        break;
    case CHART_TIME:
        snprintf(buf, sizeof buf, "%s \xC2\xB7 days from reaching a stage to reaching the next", date);
        break;
    case CHART_MONEY: {
        char o[RPT_NUM_MAX], f[RPT_NUM_MAX];
        rpt_num_money(o, &r->value_open);
        rpt_num_amount(f, r->weighted_open);
        chart_fmt_count(r->with_value, a, sizeof a);
        chart_fmt_count(r->with_value + r->without_value, b, sizeof b);
        snprintf(buf, sizeof buf, "%s \xC2\xB7 open %s \xC2\xB7 weighted forecast %s \xC2\xB7 "
                 "%s of %s entities have a value", date, o, f, a, b);
        break;
    }
    case CHART_AGING:
        for (size_t i = 0; i + 1 < r->nstages; i++)
            m += r->stages[i].aging_count;
        chart_fmt_count(m, a, sizeof a);
        snprintf(buf, sizeof buf, "%s \xC2\xB7 %s open deals \xC2\xB7 days since each reached "
                 "the stage it is in", date, a);
        break;
    case CHART_DROPOUTS:
        if (r->drop_out_point >= 0) {
            const struct res_stage *st = &r->stages[r->drop_out_point];
            char l[32];
            chart_fmt_count(st->lost, l, sizeof l);
            chart_fmt_count(st->stale, a, sizeof a);
            snprintf(buf, sizeof buf, "%s \xC2\xB7 drop-out point: %s (%s lost, %s stale)", date,
                     p->rows[r->drop_out_point].label, l, a);
            if (r->steepest_drop >= 0 && (size_t)r->steepest_drop < p->n) {
                size_t o = strlen(buf);
                chart_fmt_pct(r->stages[r->steepest_drop].drop_rate, b, sizeof b);
                snprintf(buf + o, sizeof buf - o, " \xC2\xB7 steepest drop: %s (%s)",
                         p->rows[r->steepest_drop].label, b);
            }
        } else {
            snprintf(buf, sizeof buf, "%s \xC2\xB7 nobody lost or gone stale yet", date);
        }
        break;
    default:
        for (size_t i = 0; i < r->nstages; i++)
            m += r->stages[i].touches_marketing, s += r->stages[i].touches_sales;
        chart_fmt_count(m, a, sizeof a);
        chart_fmt_count(s, b, sizeof b);
        snprintf(buf, sizeof buf, "%s \xC2\xB7 %s marketing (one-to-many), %s sales (one-to-one)",
                 date, a, b);
        break;
    }
    if (!(p->subtitle = strdup(buf)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    return 0;
}

int chart_plan_build(enum chart_kind k, const struct res_report *r, struct chart_plan *p,
                     struct fb_error *err)
{
    static int (*const build[CHART_COUNT])(const struct res_report *, struct chart_plan *,
                                           struct fb_error *) = {
        [CHART_FUNNEL] = plan_funnel, [CHART_CONVERSION] = plan_conversion,
        [CHART_TIME] = plan_time, [CHART_DROPOUTS] = plan_dropouts,
        [CHART_TOUCHES] = plan_touches, [CHART_MONEY] = plan_money, [CHART_AGING] = plan_aging,
    };
    memset(p, 0, sizeof *p);
    p->kind = k;
    p->n = chart_rows(k, r);
    if (!(p->rows = calloc(p->n ? p->n : 1, sizeof *p->rows)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++) {
        for (int j = 0; j < PLAN_NUMS; j++)
            p->rows[i].num[j] = NAN;
        const char *name = i < r->nstages ? r->stages[i].name : money_rows[i - r->nstages];
        if (chart_clean(name, strlen(name), &p->rows[i].name, err) ||
            chart_drawable(p->rows[i].name, &p->rows[i].label, err))
            goto fail;
    }
    p->height = chart_height(k, r);
    fonts(p);
    left_margin(p);
    if (build[k](r, p, err) || subtitle(r, p, err))
        goto fail;
    if (k == CHART_TIME)
        chart_plan_tics(p, " d");
    else if (k == CHART_DROPOUTS || k == CHART_TOUCHES || k == CHART_MONEY)
        chart_plan_tics(p, "");
    else if (k == CHART_AGING)
        chart_plan_tics(p, " d");
    return 0;
fail:
    chart_plan_free(p);
    return fb_fail(err, FB_ENOMEM, "out of memory");
}

void chart_plan_free(struct chart_plan *p)
{
    for (size_t i = 0; p->rows && i < p->n; i++) {
        free(p->rows[i].name);
        free(p->rows[i].label);
        for (int j = 0; j < PLAN_TEXTS; j++)
            free(p->rows[i].text[j]);
    }
    free(p->rows);
    free(p->subtitle);
    memset(p, 0, sizeof *p);
}
