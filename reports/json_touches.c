/* json_touches.c - touch types and touch lift as JSON (docs/METRICS.md
 * §4.22); see json_touches.h. */
#include "json_touches.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rpt_touches_names_ok(const struct res_report *r)
{
    for (size_t i = 0; r->touches && i < r->touches->n; i++) {
        json_t *n = json_stringn(r->touches->t[i].name, r->touches->t[i].len);
        if (!n)
            return 0;
        json_decref(n);
    }
    return 1;
}

static json_t *name_json(const struct res_touch *t)
{
    return t->len ? json_stringn(t->name, t->len) : json_string("(none)");
}

/* The order of a stage and channel's list: events descending, then name
 * bytes (then length). */
struct row {
    const struct res_touch *t;
    uint64_t events;
};

static int row_cmp(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->events != b->events)
        return a->events > b->events ? -1 : 1;
    size_t n = a->t->len < b->t->len ? a->t->len : b->t->len;
    int c = memcmp(a->t->name, b->t->name, n);
    return c ? c : (a->t->len > b->t->len) - (a->t->len < b->t->len);
}

json_t *rpt_touch_types_json(const struct res_report *r, size_t s)
{
    static const char *const chan[2] = {"marketing", "sales"};
    const struct res_touches *t = r->touches;
    const size_t ns = r->nstages;
    json_t *o = json_object();
    struct row *rows = malloc((t->n ? t->n : 1) * sizeof *rows);
    if (!rows) {
        json_decref(o);
        return NULL;
    }
    for (size_t ch = 0; ch < 2; ch++) {
        size_t n = 0;
        for (size_t i = 0; i < t->n; i++)
            if (t->t[i].c[s * 2 + ch])
                rows[n++] = (struct row){&t->t[i], t->t[i].c[s * 2 + ch]};
        qsort(rows, n, sizeof *rows, row_cmp);
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_object();
            json_object_set_new(x, "touch", name_json(rows[i].t));
            json_object_set_new(x, "events", json_integer((json_int_t)rows[i].events));
            json_object_set_new(x, "entities", json_integer((json_int_t)rows[i].t->c[2 * ns + s * 2 + ch]));
            json_array_append_new(a, x);
        }
        json_object_set_new(o, chan[ch], a);
    }
    free(rows);
    return o;
}

static json_t *num_or_null(double v) { return isnan(v) ? json_null() : json_real(v); }

static json_t *side_json(const struct res_lift_side *x)
{
    json_t *o = json_object();
    json_object_set_new(o, "entities", json_integer((json_int_t)x->entities));
    json_object_set_new(o, "won", json_integer((json_int_t)x->won));
    json_object_set_new(o, "closed", json_integer((json_int_t)x->closed));
    json_object_set_new(o, "win_rate_closed", num_or_null(x->rate));
    if (isnan(x->ci.lo) || isnan(x->ci.hi)) {
        json_object_set_new(o, "win_rate_closed_ci", json_null());
    } else {
        json_t *a = json_array();
        json_array_append_new(a, json_real(x->ci.lo));
        json_array_append_new(a, json_real(x->ci.hi));
        json_object_set_new(o, "win_rate_closed_ci", a);
    }
    return o;
}

json_t *rpt_touch_lift_json(const struct res_report *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->touches->n; i++) {
        const struct res_touch *x = &r->touches->t[i];
        if (!x->lift)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "touch", name_json(x));
        json_object_set_new(o, "with", side_json(&x->with));
        json_object_set_new(o, "without", side_json(&x->without));
        json_object_set_new(o, "difference", num_or_null(x->difference));
        json_array_append_new(a, o);
    }
    return a;
}
