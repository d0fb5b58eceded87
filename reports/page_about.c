/* page_about.c - the page's "About this report" block; see page_about.h. */
#include "page_about.h"

#include <string.h>

#include "ftime.h"
#include "page_text.h"
#include "report_rows.h"
#include "text_num.h"

/* t as ISO 8601 in a <time> element. */
static void when(FILE *out, int64_t t)
{
    char w[32];
    ftime_format(t, w);
    fprintf(out, "<time datetime=\"%s\">%s</time>", w, w);
}

/* How long before as_of t was, in days (text_num.h's format). */
static void ago(FILE *out, const struct res_report *r, int64_t t)
{
    char d[RPT_NUM_MAX];
    if (!r->has_as_of)
        return;
    if (t > r->as_of) {
        fputs(" (after as_of)", out);
        return;
    }
    rpt_num_secs(d, 1, r->as_of - t);
    fprintf(out, " (%s days before as_of)", d);
}

/* The default threshold, then each stage whose own differs (§4.14). */
static int stale(const struct res_report *r, FILE *out, struct fb_error *err)
{
    char d[32];
    rpt_rows_duration(d, sizeof d, r->stale_after_s);
    fprintf(out, "<dt>stale after</dt><dd id=\"about-stale\">%s untouched", d);
    for (size_t s = 0; s + 1 < r->nstages; s++) {
        if (r->stages[s].stale_after_s == r->stale_after_s)
            continue;
        rpt_rows_duration(d, sizeof d, r->stages[s].stale_after_s);
        fputs("; at ", out);
        if (page_text(out, r->stages[s].name, strlen(r->stages[s].name), err))
            return FB_ENOMEM;
        fprintf(out, " %s", d);
    }
    fputs("</dd>\n", out);
    return 0;
}

int page_about_write(const struct res_report *r, const char *command, const struct res_fresh *fresh,
                     FILE *out, struct fb_error *err)
{
    fputs("<h2>About this report</h2>\n<dl class=\"about\" id=\"about\">\n", out);
    if (command) {
        fputs("<dt>made by</dt><dd id=\"about-command\"><code>", out);
        if (page_text(out, command, strlen(command), err))
            return FB_ENOMEM;
        fputs("</code></dd>\n", out);
    }
    fputs("<dt>as_of</dt><dd id=\"about-asof\">", out);
    if (r->has_as_of)
        when(out, r->as_of);
    else
        fputs("none: the log holds no events", out);
    fputs("</dd>\n", out);
    if (stale(r, out, err))
        return FB_ENOMEM;
    if (fresh && fresh->has) {
        fputs("<dt>events in the log</dt><dd id=\"about-range\">from ", out);
        when(out, fresh->first);
        fputs(" to ", out);
        when(out, fresh->last);
        fputs("</dd>\n<dt>latest event</dt><dd id=\"about-fresh\">", out);
        for (size_t k = 0; k < fresh->nch; k++) {
            fputs(k ? "; " : "", out);
            if (page_text(out, fresh->ch[k].name, strlen(fresh->ch[k].name), err))
                return FB_ENOMEM;
            fputs(" ", out);
            when(out, fresh->ch[k].last);
            ago(out, r, fresh->ch[k].last);
        }
        fputs("</dd>\n", out);
    } else if (fresh) {
        fputs("<dt>events in the log</dt><dd id=\"about-range\">none</dd>\n", out);
    }
    fputs("</dl>\n", out);
    return 0;
}
