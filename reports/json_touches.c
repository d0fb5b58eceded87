/* json_touches.c - touch types and touch lift as JSON (docs/METRICS.md
 * §4.22); see json_touches.h. */
#include "json_touches.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"

int rpt_touches_names_ok(const struct res_report *r)
{
    for (size_t i = 0; r->touches && i < r->touches->n; i++)
        if (!csvin_utf8_valid((const unsigned char *)r->touches->t[i].name, r->touches->t[i].len))
            return 0;
    return 1;
}

static void name_json(struct jw *w, const char *key, const struct res_touch *t)
{
    if (t->len)
        jw_strn(w, key, t->name, t->len);
    else
        jw_str(w, key, "(none)");
}

/* The order of a stage and channel's list: events descending, then name
 * bytes (then length). */
static int row_cmp(const void *pa, const void *pb)
{
    const struct rpt_touch_row *a = pa, *b = pb;
    if (a->events != b->events)
        return a->events > b->events ? -1 : 1;
    size_t n = a->t->len < b->t->len ? a->t->len : b->t->len;
    int c = memcmp(a->t->name, b->t->name, n);
    return c ? c : (a->t->len > b->t->len) - (a->t->len < b->t->len);
}

void rpt_touch_types_json(struct jw *w, const struct res_report *r, size_t s, struct rpt_touch_row *rows)
{
    static const char *const chan[2] = {"marketing", "sales"};
    const struct res_touches *t = r->touches;
    const size_t ns = r->nstages;
    jw_obj(w, "touch_types");
    for (size_t ch = 0; ch < 2; ch++) {
        size_t n = 0;
        for (size_t i = 0; i < t->n; i++)
            if (t->t[i].c[s * 2 + ch])
                rows[n++] = (struct rpt_touch_row){&t->t[i], t->t[i].c[s * 2 + ch]};
        qsort(rows, n, sizeof *rows, row_cmp);
        jw_arr(w, chan[ch]);
        for (size_t i = 0; i < n; i++) {
            jw_obj(w, NULL);
            name_json(w, "touch", rows[i].t);
            jw_int(w, "events", (long long)rows[i].events);
            jw_int(w, "entities", (long long)rows[i].t->c[2 * ns + s * 2 + ch]);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

static void side_json(struct jw *w, const char *key, const struct res_lift_side *x)
{
    jw_obj(w, key);
    jw_int(w, "entities", (long long)x->entities);
    jw_int(w, "won", (long long)x->won);
    jw_int(w, "closed", (long long)x->closed);
    jw_real(w, "win_rate_closed", x->rate);
    if (isnan(x->ci.lo) || isnan(x->ci.hi)) {
        jw_null(w, "win_rate_closed_ci");
    } else {
        jw_arr(w, "win_rate_closed_ci");
        jw_real(w, NULL, x->ci.lo);
        jw_real(w, NULL, x->ci.hi);
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

void rpt_touch_lift_json(struct jw *w, const struct res_report *r)
{
    jw_arr(w, "touch_lift");
    for (size_t i = 0; i < r->touches->n; i++) {
        const struct res_touch *x = &r->touches->t[i];
        if (!x->lift)
            continue;
        jw_obj(w, NULL);
        name_json(w, "touch", x);
        side_json(w, "with", &x->with);
        side_json(w, "without", &x->without);
        jw_real(w, "difference", x->difference);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}
