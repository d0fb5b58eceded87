/* page_stuck.c - the stuck-deals table; see page_stuck.h. */
#include "page_stuck.h"

#include <string.h>

#include "chart_label.h"
#include "page_text.h"
#include "text_num.h"

static int cell(FILE *out, const char *cls, const struct res_text *t, struct fb_error *err)
{
    fprintf(out, "<td%s>", cls);
    if (t->s && page_text(out, t->s, t->len, err))
        return FB_ENOMEM;
    if (!t->s)
        fputs("&ndash;", out);
    fputs("</td>", out);
    return 0;
}

int page_stuck_write(const struct res_report *r, const struct res_stuck *s, FILE *out,
                     struct fb_error *err)
{
    char n[32], d[RPT_NUM_MAX], v[RPT_NUM_MAX];
    chart_fmt_count(s->open, n, sizeof n);
    fprintf(out, "<h2>Stuck deals</h2>\n<p class=\"asof\">The %zu open entities (of %s) longest in their "
                 "stage at as_of: days since they entered it, their value and every attribute. "
                 "<code>funnel entities LOG --status open</code> lists them all, in this order.</p>\n",
            s->n, n);
    if (s->n == 0) {
        fputs("<p class=\"asof\" id=\"stuck-none\">No entity is open.</p>\n", out);
        return 0;
    }
    fputs("<div class=\"tablewrap\"><table id=\"stuck\">\n<thead><tr><th class=\"stage\">entity</th>"
          "<th class=\"stage\">stage</th><th>days in stage</th><th>value</th>", out);
    for (size_t k = 0; k < s->nattr; k++) {
        fputs("<th class=\"stage\">", out);
        if (page_text(out, s->attr_name[k].s, s->attr_name[k].len, err))
            return FB_ENOMEM;
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t i = 0; i < s->n; i++) {
        const struct res_stuck_row *x = &s->row[i];
        const char *stage = x->stage < r->nstages ? r->stages[x->stage].name : "";
        fputs("<tr>", out);
        if (cell(out, " class=\"stage\"", &x->id, err))
            return FB_ENOMEM;
        fputs("<td class=\"stage\">", out);
        if (page_text(out, stage, strlen(stage), err))
            return FB_ENOMEM;
        rpt_num_secs(d, 1, x->in_stage_s);
        if (x->has_value)
            rpt_num_money(v, &x->value);
        fprintf(out, "</td><td>%s</td><td>%s</td>", d, x->has_value ? v : "&ndash;");
        for (size_t k = 0; k < s->nattr; k++)
            if (cell(out, " class=\"stage\"", &x->attr[k], err))
                return FB_ENOMEM;
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table></div>\n", out);
    return 0;
}
