/* text_touches.c - the touch lift table of `replay --text --touches`; see
 * text_touches.h and docs/METRICS.md §4.22. */
#include "text_touches.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* The widest touch name shown; longer ones are cut with "~". */
#define NAME_W 24

/* A touch name for a terminal: control bytes become '?', and a name
 * longer than NAME_W bytes is cut (at a byte, so a cut UTF-8 letter may
 * show as one odd glyph; the JSON has the exact bytes). */
static void shown(const struct res_touch *t, char *buf)
{
    size_t n = t->len > NAME_W ? NAME_W - 1 : t->len;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)t->name[i] < 0x20 || t->name[i] == 0x7f ? '?' : t->name[i];
    if (t->len > NAME_W)
        buf[n++] = '~';
    buf[n] = '\0';
}

static void rate(char *buf, size_t n, const struct res_lift_side *s)
{
    if (isnan(s->rate))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.1f%% of %llu", 100.0 * s->rate, (unsigned long long)s->closed);
}

int rpt_text_touches(const struct res_report *r, FILE *out, struct fb_error *err)
{
    const struct res_touches *t = r->touches;
    if (!t)
        return 0;
    fputs("\ntouch lift: closed win rate (won / (won + lost)) of the entities with a touch type\n"
          "against those without it - association, not cause (docs/METRICS.md §4.22)\n", out);
    fprintf(out, "%-*s %9s %18s %9s %18s %10s\n", NAME_W, "touch", "with", "win rate", "without", "win rate",
            "difference");
    size_t shown_rows = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct res_touch *x = &t->t[i];
        if (!x->lift)
            continue;
        char name[NAME_W + 1], w[40], wo[40], d[16];
        shown(x, name);
        rate(w, sizeof w, &x->with);
        rate(wo, sizeof wo, &x->without);
        if (isnan(x->difference))
            snprintf(d, sizeof d, "-");
        else
            snprintf(d, sizeof d, "%+.1f pts", 100.0 * x->difference);
        fprintf(out, "%-*s %9llu %18s %9llu %18s %10s\n", NAME_W, name, (unsigned long long)x->with.entities, w,
                (unsigned long long)x->without.entities, wo, d);
        shown_rows++;
    }
    if (!shown_rows)
        fputs("(no touch types)\n", out);
    if (ferror(out))
        return fb_fail(err, FB_EIO, "cannot write the report: %s", strerror(errno));
    return 0;
}
