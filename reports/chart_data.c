/* chart_data.c - a chart's .tsv: one row per stage, the only way stage
 * names reach gnuplot (as data, read with strcol/ytic, never as code).
 * Column layout per chart is in docs/CHARTS.md and in each file's header. */
#include "chart.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "chart_ext.h"
#include "chart_label.h"
#include "chart_plan.h"

/* Column names after row, stage and label: the numbers, the texts, then
 * the flag (when the chart has one). */
static const char *const columns[CHART_COUNT] = {
    [CHART_FUNNEL] = ("reached\tconversion_from_previous_pct\tconversion_from_start_pct\tno_events"
                      "\treached_text\tconversion_text\tfrom_first_text\tcount_inside"),
    [CHART_CONVERSION] = "step_pct\tcumulative_pct\tno_events\tstep_text\tcumulative_text",
    [CHART_TIME] = "median_days\tp90_days\tmoved_on\tmedian_text\tp90_text\tnote",
    [CHART_DROPOUTS] = "lost\tstale\topen\twon\ttotal\ttext\tdrop_out_point",
    [CHART_TOUCHES] = "marketing\tsales\tmarketing_text\tsales_text",
    [CHART_MONEY] = "value\tkind\ttext",
    [CHART_AGING] = ("open_median_days\topen_p90_days\tmoved_on_median_days\tkm_median_days"
                     "\topen_deals\tlabel_at\ttext"),
};

static int has_flag(enum chart_kind k) { return k == CHART_FUNNEL || k == CHART_DROPOUTS; }

static void put_num(FILE *out, double v)
{
    if (isnan(v))
        fputs("\tNaN", out);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(out, "\t%.0f", v);
    else
        fprintf(out, "\t%.10g", v);
}

static int put_row(const struct chart_plan *p, size_t i, FILE *out, struct fb_error *err)
{
    const struct plan_row *row = &p->rows[i];
    fprintf(out, "%zu\t", i);
    if (chart_tsv_text(out, row->name, 0, err))
        return FB_EIO;
    putc('\t', out);
    if (chart_tsv_text(out, row->label, 1, err))
        return FB_EIO;
    for (int k = 0; k < p->nnums; k++)
        put_num(out, row->num[k]);
    for (int k = 0; k < p->ntexts; k++) {
        putc('\t', out);
        if (chart_tsv_text(out, row->text[k] ? row->text[k] : "", 0, err))
            return FB_EIO;
    }
    if (has_flag(p->kind))
        fprintf(out, "\t%d", row->flag);
    putc('\n', out);
    return 0;
}

/* The aging chart's second data block (gnuplot's index 1): a dot for each
 * of the longest open deals beyond the p90 of their stage (docs/METRICS.md
 * §4.20, beyond_p90_days), at the stage's row; one NaN row when there is
 * none, so that the block always exists. */
static void put_aging_dots(const struct res_report *r, size_t n, FILE *out)
{
    size_t dots = 0;
    fputs("\n\n# The open deals beyond the p90 of their stage, the 20 longest a stage:\n"
          "# row\tdays\n", out);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < r->stages[i].naging_longest; k++, dots++) {
            fprintf(out, "%zu", i);
            put_num(out, (double)r->stages[i].aging_longest_s[k] / 86400.0);
            putc('\n', out);
        }
    if (!dots)
        fputs("0\tNaN\n", out);
}

int chart_write_data(enum chart_kind k, const struct res_report *r, FILE *out,
                     struct fb_error *err)
{
    if (k >= CHART_TREND)
        return chart_ext_write_data(k, r, out, err);
    struct chart_plan p;
    int rc = chart_plan_build(k, r, &p, err);
    if (rc)
        return rc;
    fprintf(out, "# %s.tsv - the data of %s.png (%s), drawn by %s.gp.\n"
                 "# %s; tab-separated.  Text is in double quotes,\n"
                 "# with \\\\ for a backslash, \\0042 for a double quote and \\n for a line break\n"
                 "# (gnuplot's escapes); NaN means no value.  See docs/CHARTS.md.\n"
                 "# row\tstage\tlabel\t%s\n",
            chart_name(k), chart_name(k), chart_caption(k), chart_name(k),
            k == CHART_MONEY ? "One row per stage, then won, lost, stale and the weighted forecast"
            : k == CHART_AGING ? "One row per stage but the last, first to last"
            : "One row per stage, first to last", columns[k]);
    for (size_t i = 0; i < p.n && rc == 0; i++)
        rc = put_row(&p, i, out, err);
    if (rc == 0 && k == CHART_AGING)
        put_aging_dots(r, p.n, out);
    chart_plan_free(&p);
    if (rc == 0 && ferror(out))
        rc = fb_fail(err, FB_EIO, "cannot write chart data: %s", strerror(errno));
    return rc;
}
