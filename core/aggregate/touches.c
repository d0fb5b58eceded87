/* touches.c - touch types by name in the summary, their merge and their
 * finish into the report's touch types and touch lift (docs/METRICS.md
 * §4.22); see touches.h. */
#include "touches.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quality.h"
#include "result.h"
#include "summary.h"

struct sum_touches *touches_new(size_t ns)
{
    struct sum_touches *t = calloc(1, sizeof *t);
    if (t)
        t->ns = ns;
    return t;
}

static void touch_free(struct sum_touch *x)
{
    free(x->name);
    free(x->c);
}

void touches_free(struct sum_touches *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        touch_free(&t->t[i]);
    free(t->t);
    free(t);
}

static int grow_list(struct sum_touches *t)
{
    if (t->n < t->cap)
        return 0;
    size_t cap = t->cap ? 2 * t->cap : 8;
    struct sum_touch *g = realloc(t->t, cap * sizeof *g);
    if (!g)
        return FB_ENOMEM;
    t->t = g;
    t->cap = cap;
    return 0;
}

struct sum_touch *touches_add(struct sum_touches *t, const char *name, size_t len)
{
    if (grow_list(t) != 0)
        return NULL;
    struct sum_touch *x = &t->t[t->n];
    memset(x, 0, sizeof *x);
    x->name = malloc(len ? len : 1);
    x->c = calloc(4 * t->ns, sizeof *x->c);
    if (!x->name || !x->c) {
        touch_free(x);
        return NULL;
    }
    memcpy(x->name, name, len);
    x->len = len;
    t->n++;
    return x;
}

static int name_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

static int touch_cmp(const void *pa, const void *pb)
{
    const struct sum_touch *a = pa, *b = pb;
    return name_cmp(a->name, a->len, b->name, b->len);
}

void touches_sort(struct sum_touches *t)
{
    if (!t)
        return;
    if (t->n > 1)
        qsort(t->t, t->n, sizeof *t->t, touch_cmp);
}

/* from's counts into x. */
static void add_into(struct sum_touch *x, const struct sum_touch *f, size_t ns)
{
    for (size_t k = 0; k < 4 * ns; k++)
        x->c[k] += f->c[k];
    x->with += f->with;
    x->won += f->won;
    x->lost += f->lost;
}

int touches_merge_all(struct sum_touches *into, const struct sum_touches *const *from, size_t k)
{
    /* Names new to into are appended, then the list is sorted once: the
     * lookup is a binary search in into's names as they were. */
    for (size_t j = 0; j < k; j++) {
        const size_t old = into->n;
        for (size_t i = 0; i < from[j]->n; i++) {
            const struct sum_touch *f = &from[j]->t[i];
            size_t lo = 0, hi = old;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (name_cmp(into->t[mid].name, into->t[mid].len, f->name, f->len) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            struct sum_touch *x = lo < old && name_cmp(into->t[lo].name, into->t[lo].len, f->name, f->len) == 0
                                      ? &into->t[lo]
                                      : touches_add(into, f->name, f->len);
            if (!x)
                return FB_ENOMEM;
            add_into(x, f, into->ns);
        }
        if (into->n > 1)
            qsort(into->t, into->n, sizeof *into->t, touch_cmp);
    }
    return 0;
}

/* One side of a lift row: its rate and Wilson interval (§4.12). */
static void side(struct res_lift_side *x)
{
    x->rate = x->closed ? (double)x->won / (double)x->closed : NAN;
    qual_wilson(x->won, x->closed, &x->ci.lo, &x->ci.hi);
}

int touches_finish(const struct summary *s, struct res_report *out, struct fb_error *err)
{
    const struct sum_touches *t = s->touches;
    if (!t)
        return 0;
    const size_t ns = s->ns;
    struct res_touches *r = calloc(1, sizeof *r);
    if (!r || !(r->t = calloc(t->n ? t->n : 1, sizeof *r->t)) ||
        !(r->counts = calloc(4 * ns * (t->n ? t->n : 1), sizeof *r->counts))) {
        if (r)
            free(r->t);
        free(r);
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    out->touches = r;
    const uint64_t closed_all = out->won + out->lost;   /* as win_rate_closed (§4.6) */
    for (size_t i = 0; i < t->n; i++) {
        const struct sum_touch *x = &t->t[i];
        struct res_touch *y = &r->t[r->n];
        if (!(y->name = malloc(x->len + 1)))
            return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
        r->n++;
        memcpy(y->name, x->name, x->len);
        y->name[x->len] = '\0';
        y->len = x->len;
        uint64_t *c = r->counts + 4 * ns * i;
        memcpy(c, x->c, 4 * ns * sizeof *c);
        y->c = c;
        y->lift = x->len > 0;
        y->with = (struct res_lift_side){x->with, x->won, x->won + x->lost, NAN, {NAN, NAN}};
        y->without = (struct res_lift_side){out->entities - y->with.entities, out->won - y->with.won,
                                            closed_all - y->with.closed, NAN, {NAN, NAN}};
        side(&y->with);
        side(&y->without);
        y->difference = y->with.rate - y->without.rate;   /* NaN when either is */
    }
    return 0;
}
