/* text_report.c - the aligned table of `replay --text`; see text_report.h. */
#include "text_report.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "ftime.h"
#include "funnel_def.h"
#include "report_rows.h"
#include "text_deals.h"
#include "text_groups.h"
#include "text_num.h"

/* A name for a terminal: control bytes (escape sequences) become '?'. */
static const char *shown(const char *name, char *buf, size_t n)
{
    size_t i = 0;
    for (; name[i] && i + 1 < n; i++)
        buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    buf[i] = '\0';
    return buf;
}

/* The stage an unmapped name equals but for blanks around it, or -1: stages
 * are mapped without trimming (docs/METRICS.md §1), so point it out. */
static int near_miss(const struct res_report *r, const struct res_unmapped *u)
{
    for (size_t s = 0; s < r->nstages; s++)
        if (funnel_name_eq_trimmed(u->name, u->len, r->stages[s].name))
            return (int)s;
    return -1;
}

static void pct(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.1f%%", 100.0 * v);
}

/* "[46.0%, 60.2%]", or "-" with the rate (docs/METRICS.md §4.12). */
static void interval(char *buf, size_t n, const struct res_ci *c)
{
    if (isnan(c->lo) || isnan(c->hi))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "[%.1f%%, %.1f%%]", 100.0 * c->lo, 100.0 * c->hi);
}

/* A median in days, in the one format of days (text_num.h). */
static void days(char buf[RPT_NUM_MAX], const struct res_stats *s, int has)
{
    rpt_num_secs(buf, has && s->count > 0, s->median_s);
}

/* The two win rates with their intervals and definitions (§4.6, §4.12). */
static void win_rates(const struct res_report *r, FILE *out)
{
    char win[16], ci[48], closed[16], cci[48];
    pct(win, sizeof win, r->win_rate);
    interval(ci, sizeof ci, &r->win_rate_ci);
    pct(closed, sizeof closed, r->win_rate_closed);
    interval(cci, sizeof cci, &r->win_rate_closed_ci);
    fprintf(out, "win rate         %7s  95%% %-16s  won / (won + lost + stale)\n", win, ci);
    fprintf(out, "closed win rate  %7s  95%% %-16s  won / (won + lost), the CRM convention\n", closed, cci);
}

/* --window and --skipped ignore, when given, change `reached` (§4.11). */
static void conv_options(const struct res_report *r, FILE *out)
{
    if (r->window_s > 0)
        fprintf(out, "window: a stage counts as reached within %.6g days of entry (--window %llds)\n",
                (double)r->window_s / 86400.0, (long long)r->window_s);
    if (r->skip_ignore)
        fputs("skipped: ignore - a stage counts as reached only with an event there and at every "
              "stage before it\n", out);
}

static void headline(const struct res_report *r, FILE *out)
{
    char when[32] = "-", ttw[RPT_NUM_MAX], ttl[RPT_NUM_MAX];
    if (r->has_as_of)
        ftime_format(r->as_of, when);
    days(ttw, &r->time_to_win, 1);
    days(ttl, &r->time_to_loss, 1);
    fprintf(out, "as of %s   entities %llu   won %llu   lost %llu   stale %llu   open %llu\n", when,
            (unsigned long long)r->entities, (unsigned long long)r->won,
            (unsigned long long)r->lost, (unsigned long long)r->stale, (unsigned long long)r->open);
    char name[256], steep[256];
    win_rates(r, out);
    fprintf(out, "median days to win %s, to loss %s   drop-out point %s (most lost or stale)   steepest drop %s "
            "(highest share of its reached lost or stale)\n", ttw, ttl,
            r->drop_out_point >= 0 ? shown(r->stages[r->drop_out_point].name, name, sizeof name) : "-",
            r->steepest_drop >= 0 ? shown(r->stages[r->steepest_drop].name, steep, sizeof steep) : "-");
    conv_options(r, out);
    fprintf(out, "events: %llu read, %llu used, %llu after as_of, %llu unmapped\n\n",
            (unsigned long long)r->ev_read, (unsigned long long)r->ev_used,
            (unsigned long long)r->ev_after_as_of, (unsigned long long)r->ev_unmapped);
}

/* This period against the last, with signed changes (docs/METRICS.md §4.16). */
static void activity_text(const struct res_report *r, int w, FILE *out)
{
    const size_t ns = r->nstages;
    const uint64_t *a = r->activity[0].c, *b = r->activity[1].c;
    char p[32], name[256], label[300];
    rpt_rows_duration(p, sizeof p, r->period_s);
    fprintf(out, "\nactivity: the %s to as_of against the %s before\n", p, p);
    fprintf(out, "%-*s  %10s  %10s  %10s\n", w + 8, "", "this", "last", "change");
    for (size_t k = 0; k < ns + 3; k++) {
        if (k == 0)
            snprintf(label, sizeof label, "entered");
        else if (k < ns)
            snprintf(label, sizeof label, "reached %s", shown(r->stages[k].name, name, sizeof name));
        else
            snprintf(label, sizeof label, "%s", k == ns ? "won" : k == ns + 1 ? "lost" : "went stale");
        long long d = (long long)a[k] - (long long)b[k];
        fprintf(out, d ? "%-*s  %10llu  %10llu  %+10lld\n" : "%-*s  %10llu  %10llu  %10lld\n", w + 8, label, (unsigned long long)a[k],
                (unsigned long long)b[k], d);
    }
}

/* The trend, one line a period (docs/METRICS.md §4.15); entered_stage of
 * every stage is in the JSON, here summed as "advanced". */
static void trend_text(const struct res_report *r, FILE *out)
{
    const size_t ns = r->nstages;
    fprintf(out, "\ntrend by %s\n%-10s  %8s  %8s  %8s  %8s  %8s\n", r->trend_unit, "period", "entered",
            "advanced", "won", "lost", "stale");
    for (size_t i = 0; i < r->ntrend; i++) {
        const struct res_span *sp = &r->trend[i];
        fprintf(out, "%-10s  %8llu  %8llu  %8llu  %8llu  %8llu\n", sp->label,
                (unsigned long long)sp->c[0], (unsigned long long)rpt_rows_advanced(r, sp),
                (unsigned long long)sp->c[ns], (unsigned long long)sp->c[ns + 1],
                (unsigned long long)sp->c[ns + 2]);
    }
}

/* The quality block (§4.13) where it needs the reader's attention: stages
 * without a single event show conversions made only of skipping. */
static void quality_notes(const struct res_report *r, FILE *out)
{
    size_t none = 0, listed = 0;
    for (size_t s = 0; s < r->nstages; s++)
        none += r->stages[s].events == 0;
    if (none) {
        fprintf(out, "\nwarning: %zu of %zu stages have no events:", none, r->nstages);
        for (size_t s = 0; s < r->nstages; s++) {
            char name[256];
            if (r->stages[s].events)
                continue;
            fprintf(out, "%s %s", listed++ ? "," : "", shown(r->stages[s].name, name, sizeof name));
        }
        fputs("\n         entities reach them only by skipping, so their conversions say nothing "
              "about them\n", out);
    }
    if (r->backwards)
        fprintf(out, "%snote: %llu entit%s had an event at a stage after one at a later stage (backwards)\n",
                none ? "" : "\n", (unsigned long long)r->backwards, r->backwards == 1 ? "y" : "ies");
    if (r->won_then_lost)
        fprintf(out, "%snote: %llu won entit%s had a lost outcome after winning (still counted won)\n",
                none || r->backwards ? "" : "\n", (unsigned long long)r->won_then_lost,
                r->won_then_lost == 1 ? "y" : "ies");
}

int rpt_text_write(const struct res_report *r, FILE *out, struct fb_error *err)
{
    int w = 5;
    for (size_t s = 0; s < r->nstages; s++)
        if ((int)strlen(r->stages[s].name) > w)
            w = (int)strlen(r->stages[s].name);
    headline(r, out);
    rpt_text_value(r, out);
    fprintf(out, "%-*s  %10s  %10s  %-16s  %10s  %12s  %9s  %9s\n", w, "stage", "reached", "conversion",
            "95% interval", "from start", "median days", "drop-outs", "skipped");
    for (size_t s = 0; s < r->nstages; s++) {
        const struct res_stage *st = &r->stages[s];
        char conv[16], ci[48], start[16], med[RPT_NUM_MAX], name[256];
        pct(conv, sizeof conv, st->conv_prev);
        interval(ci, sizeof ci, &st->conv_prev_ci);
        pct(start, sizeof start, st->conv_start);
        days(med, &st->time_in_stage, st->has_time_in_stage);
        fprintf(out, "%-*s  %10llu  %10s  %-16s  %10s  %12s  %9llu  %9llu%s%s\n", w,
                shown(st->name, name, sizeof name), (unsigned long long)st->reached, conv, ci, start, med,
                (unsigned long long)(st->lost + st->stale), (unsigned long long)st->skipped,
                (int)s == r->drop_out_point ? "  <- drop-out point" : "",
                (int)s == r->steepest_drop ? "  <- steepest drop" : "");
    }
    rpt_text_stage_deals(r, w, out);
    quality_notes(r, out);
    for (size_t i = 0; i < r->nunmapped && i < 5; i++) {
        const struct res_unmapped *u = &r->unmapped[i];
        char name[256], near[256];
        int s = near_miss(r, u);
        fprintf(out, "%sunmapped stage \"%s\": %llu event%s%s%s%s\n", i ? "" : "\n",
                shown(u->name, name, sizeof name), (unsigned long long)u->events,
                u->events == 1 ? "" : "s", s >= 0 ? " (stage \"" : "",
                s >= 0 ? shown(r->stages[s].name, near, sizeof near) : "",
                s >= 0 ? "\" but for the blanks around it)" : "");
    }
    if (r->nunmapped > 5)
        fprintf(out, "... and %zu more unmapped stage names\n", r->nunmapped - 5);
    activity_text(r, w, out);
    if (r->trend_unit)
        trend_text(r, out);
    rpt_text_groups(r, out);
    if (ferror(out))
        return fb_fail(err, FB_EIO, "cannot write the report: %s", strerror(errno));
    return 0;
}
