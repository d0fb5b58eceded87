/* text_groups.c - breakdown and cohort tables of `replay --text`; see
 * text_groups.h. */
#include "text_groups.h"

#include <math.h>
#include <string.h>

#include "period.h"
#include "report_rows.h"
#include "text_num.h"

static void pct(char *buf, size_t n, uint64_t num, uint64_t den)
{
    if (den == 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.1f%%", 100.0 * (double)num / (double)den);
}

/* A value for a terminal: control bytes become '?', long ones are cut. */
static void shown(const struct res_group *g, char *buf, size_t n)
{
    if (!g->name) {
        snprintf(buf, n, "(none)");
        return;
    }
    size_t i = 0;
    for (; i < g->len && i + 1 < n && i < 40; i++)
        buf[i] = (unsigned char)g->name[i] < 0x20 || g->name[i] == 0x7f ? '?' : g->name[i];
    buf[i] = '\0';
}

/* win rate = won / (won + lost + stale), as the headline's (METRICS.md §5);
 * the group's value.won and value.open, exact (§4.19), last so that the
 * counts keep their place from the end of the line. */
static void line(FILE *out, const char *name, const struct rpt_row *r, const char *note)
{
    char win[16], conv[16], wv[RPT_NUM_MAX], ov[RPT_NUM_MAX];
    pct(win, sizeof win, r->won, r->won + r->lost + r->stale);
    pct(conv, sizeof conv, r->won, r->entities);
    rpt_num_money(wv, &r->won_value);
    rpt_num_money(ov, &r->open_value);
    fprintf(out, "  %-20s  %9llu  %7llu  %7llu  %7llu  %7llu  %8s  %8s  %14s  %14s%s\n", name,
            (unsigned long long)r->entities, (unsigned long long)r->won, (unsigned long long)r->lost,
            (unsigned long long)r->stale, (unsigned long long)r->open, win, conv, wv, ov, note);
}

static void header(FILE *out, const char *first)
{
    fprintf(out, "  %-20s  %9s  %7s  %7s  %7s  %7s  %8s  %8s  %14s  %14s\n", first, "entities", "won", "lost",
            "stale", "open", "win rate", "won/ent", "won value", "open value");
}

void rpt_text_groups(const struct res_report *r, FILE *out)
{
    const struct res_groups *g = r->groups;
    if (!g)
        return;
    char name[64];
    for (size_t d = 0; d < g->nby; d++) {
        const struct res_dim *dim = &g->dim[d];
        snprintf(name, sizeof name, "%.40s", dim->name);
        fprintf(out, "\nby %s (attribution %s, %zu group%s)\n", name, g->attribution_last ? "last" : "first",
                dim->n, dim->n == 1 ? "" : "s");
        header(out, "value");
        struct rpt_row rows[RPT_TOP_GROUPS + 1];
        size_t n = rpt_rows_groups(dim, rows);
        for (size_t i = 0; i < n; i++) {
            if (rows[i].g)
                shown(rows[i].g, name, sizeof name);
            else
                snprintf(name, sizeof name, "other (%zu)", rows[i].nother);
            line(out, name, &rows[i], "");
        }
    }
    if (g->cohort) {
        const struct res_dim *dim = &g->dim[g->nby];
        fprintf(out, "\ncohorts by %s of entry (* = not complete: the period or its window is not over)\n",
                period_name((enum period_unit)(g->cohort - 1)));
        header(out, "cohort");
        for (size_t i = 0; i < dim->n; i++) {
            struct rpt_row x = rpt_rows_of(&dim->g[i]);
            shown(&dim->g[i], name, sizeof name);
            line(out, name, &x, dim->g[i].complete ? "" : "  *");
        }
    }
}
