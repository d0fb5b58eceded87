/* partfile_groups.c - section 7 of the partial state file, byte for byte
 * as docs/FORMAT.md §14.9 specifies it; see partfile_groups.h. */
#include "partfile_groups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "ftime.h"
#include "groups.h"
#include "partfile_deals.h"

#define DUR_MAX (FTIME_MAX - FTIME_MIN)
#define NAME_MAX_LEN 65535

static int put_var(struct buf *b, uint64_t v)
{
    if (buf_reserve(b, 10) != 0)
        return FB_ENOMEM;
    b->len += put_varint(b->p + b->len, v);
    return 0;
}

static int put_bytes(struct buf *b, const char *s, size_t len)
{
    int rc = put_var(b, len);
    return rc ? rc : buf_append(b, s, len);
}

static int put_group(struct buf *b, const struct sum_group *g, int cohort)
{
    const struct summary *s = &g->s;
    int rc = cohort ? put_var(b, zigzag(g->period)) : put_var(b, g->name == NULL);
    if (rc == 0 && !cohort && g->name)
        rc = put_bytes(b, g->name, g->len);
    if (rc == 0)
        rc = put_var(b, s->entities);
    for (size_t i = 0; rc == 0 && i < s->ns; i++) {
        const uint64_t v[5] = {s->stage[i].reached, s->stage[i].lost, s->stage[i].stale, s->stage[i].open,
                               s->stage[i].conv};
        for (int k = 0; rc == 0 && k < 5; k++)
            rc = put_var(b, v[k]);
    }
    /* every set, sorted: count, first value zigzagged, then differences */
    for (size_t k = 0; rc == 0 && k < SUM_NSETS(s->ns); k++) {
        const struct sum_set *x = &s->set[k];
        rc = put_var(b, x->n);
        for (size_t i = 0; rc == 0 && i < x->n; i++)
            rc = put_var(b, i ? (uint64_t)(x->v[i] - x->v[i - 1]) : zigzag(x->v[0]));
    }
    if (rc == 0)
        rc = pf_money_encode(s, b);
    return rc ? rc : pf_und_encode(s, b);
}

int pf_groups_encode(const struct summary *s, struct buf *raw)
{
    const struct sum_groups *g = s->groups;
    if (!g)
        return 0;
    int rc = put_var(raw, (uint64_t)g->last);
    if (rc == 0)
        rc = put_var(raw, (uint64_t)g->cohort);
    if (rc == 0)
        rc = put_var(raw, zigzag(g->window));
    if (rc == 0)
        rc = put_var(raw, g->nby);
    for (size_t k = 0; rc == 0 && k < g->nby; k++)
        rc = put_bytes(raw, g->by[k], strlen(g->by[k]));
    for (size_t d = 0; rc == 0 && d < groups_ndims(g); d++) {
        rc = put_var(raw, g->dim[d].n);
        for (size_t i = 0; rc == 0 && i < g->dim[d].n; i++)
            rc = put_group(raw, &g->dim[d].g[i], d == g->nby);
    }
    return rc;
}

/* ---- decoding ---- */

struct rd {
    const unsigned char *p, *end;
    char *why;
    size_t n;
};

#define BADG(r, ...) (snprintf((r)->why, (r)->n, __VA_ARGS__), FB_ECORRUPT)

static int get_var(struct rd *r, uint64_t *v, uint64_t max, const char *what)
{
    if (get_varint(&r->p, r->end, v) != 0 || *v > max)
        return BADG(r, "bad %s in the groups section", what);
    return 0;
}

static int get_bytes(struct rd *r, char **s, size_t *len, const char *what)
{
    uint64_t n;
    int rc = get_var(r, &n, NAME_MAX_LEN, what);
    if (rc)
        return rc;
    if (n < 1 || n > (uint64_t)(r->end - r->p) || memchr(r->p, 0, (size_t)n))
        return BADG(r, "bad %s in the groups section", what);
    if (!(*s = malloc((size_t)n + 1)))
        return FB_ENOMEM;
    memcpy(*s, r->p, (size_t)n);
    (*s)[n] = '\0';
    *len = (size_t)n;
    r->p += n;
    return 0;
}

/* One sorted list of values in [lo, hi]: counted (dst NULL) or stored. */
static int get_list(struct rd *r, int64_t lo, int64_t hi, size_t *count, int64_t *dst)
{
    uint64_t n, u;
    if (get_varint(&r->p, r->end, &n) != 0 || n > (uint64_t)(r->end - r->p))
        return BADG(r, "bad count of a list in the groups section");
    int64_t prev = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (get_varint(&r->p, r->end, &u) != 0)
            return BADG(r, "a list of the groups section is cut short");
        int64_t v = i ? (u > (uint64_t)(hi - prev) ? hi + 1 : prev + (int64_t)u) : unzigzag(u);
        if (v < lo || v > hi)
            return BADG(r, "a value of a list in the groups section is out of range");
        if (dst)
            *dst++ = v;
        prev = v;
    }
    *count = (size_t)n;
    return 0;
}

static int get_sets(struct rd *r, struct summary *s)
{
    const size_t ns = s->ns;
    size_t count[SUM_MAX_SETS], total = 0;
    const unsigned char *start = r->p;
    for (int pass = 0; pass < 2; pass++) {
        int64_t *at = pass ? s->pool : NULL;
        r->p = start;
        for (size_t k = 0; k < SUM_NSETS(ns); k++) {
            int rc = get_list(r, 0, DUR_MAX, &count[k], at);
            if (rc)
                return rc;
            if (pass)
                at += count[k];
            else
                total += count[k];
        }
        if (pass == 0) {
            int64_t *pool = malloc((total ? total : 1) * sizeof *pool);
            if (!pool)
                return FB_ENOMEM;
            summary_take_pool(s, pool, count);
        }
    }
    return 0;
}

/* The counts must add up as in §14.5: each entity is won, lost, stale,
 * open or undecided once. */
static int check_group(struct rd *r, const struct summary *s, const struct summary *parent)
{
    unsigned __int128 ent = s->stage[s->ns - 1].reached;
    for (size_t i = 0; i < s->ns; i++)
        ent += (unsigned __int128)s->stage[i].lost + s->stage[i].stale + s->stage[i].open;
    ent += s->nund;
    if (parent->decided && s->nund)
        return BADG(r, "undecided entities in a group with an explicit as_of");
    if (pf_deals_check(s, r->why, r->n) != 0)
        return FB_ECORRUPT;
    if (s->entities < 1 || ent != s->entities || s->stage[0].reached != s->entities)
        return BADG(r, "a group's outcomes do not add up to its entities");
    for (size_t i = 0; i < s->ns; i++)
        if (s->stage[i].conv > s->stage[i].reached)
            return BADG(r, "a group reaches a stage for its conversions more often than at all");
    return 0;
}

static int get_group(struct rd *r, struct sum_group *g, int cohort, const struct summary *parent)
{
    uint64_t v;
    int rc = cohort ? get_var(r, &v, UINT64_MAX, "cohort period") : get_var(r, &v, 1, "group tag");
    if (rc)
        return rc;
    if (cohort) {
        g->period = unzigzag(v);
        if (g->period < period_index(PERIOD_DAY, FTIME_MIN) || g->period > period_index(PERIOD_DAY, FTIME_MAX))
            return BADG(r, "bad cohort period in the groups section");
    } else if (v == 0 && (rc = get_bytes(r, &g->name, &g->len, "group value")) != 0) {
        return rc;
    }
    struct fb_error err;
    rc = summary_init(&g->s, parent->ns, parent->stale_after, parent->decided, parent->as_of, &err);
    if (rc == 0)
        rc = get_var(r, &g->s.entities, UINT64_MAX, "group entities");
    for (size_t i = 0; rc == 0 && i < parent->ns; i++) {
        uint64_t *c[5] = {&g->s.stage[i].reached, &g->s.stage[i].lost, &g->s.stage[i].stale,
                          &g->s.stage[i].open, &g->s.stage[i].conv};
        for (int k = 0; rc == 0 && k < 5; k++)
            rc = get_var(r, c[k], UINT64_MAX, "group count");
    }
    if (rc == 0)
        rc = get_sets(r, &g->s);
    if (rc == 0)
        rc = pf_money_decode(&r->p, r->end, &g->s, r->why, r->n);
    if (rc == 0)
        rc = pf_und_decode(&r->p, r->end, &g->s, r->why, r->n);
    return rc ? rc : check_group(r, &g->s, parent);
}

static int key_order(const struct sum_group *a, const struct sum_group *b, int cohort)
{
    if (cohort)
        return a->period < b->period;
    if (!a->name || !b->name)
        return a->name != NULL && b->name == NULL;
    int c = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);
    return c < 0 || (c == 0 && a->len < b->len);
}

int pf_groups_decode(const unsigned char *p, size_t len, struct summary *s, char *why, size_t n)
{
    struct rd r = {p, p + len, why, n};
    uint64_t last, cohort, window, nby;
    if (len == 0)
        return 0;
    int rc = get_var(&r, &last, 1, "--attribution");
    if (rc == 0)
        rc = get_var(&r, &cohort, 1 + PERIOD_YEAR, "--cohort");
    if (rc == 0)
        rc = get_var(&r, &window, UINT64_MAX, "--window");
    if (rc == 0)
        rc = get_var(&r, &nby, GROUPS_MAX_BY, "count of --by");
    if (rc == 0 && (unzigzag(window) < 0 || (nby == 0 && cohort == 0)))
        rc = BADG(&r, "bad options in the groups section");
    if (rc)
        return rc;
    const struct groups_opts none = {{0}, 0, (int)last, (int)cohort, unzigzag(window)};
    if (!(s->groups = groups_new(&none)))
        return FB_ENOMEM;
    struct sum_groups *g = s->groups;
    for (; rc == 0 && g->nby < nby; g->nby++) {
        size_t blen;
        rc = get_bytes(&r, &g->by[g->nby], &blen, "--by name");
    }
    for (size_t d = 0; rc == 0 && d < groups_ndims(g); d++) {
        struct sum_dim *dim = &g->dim[d];
        uint64_t ng, ent = 0;
        if ((rc = get_var(&r, &ng, (uint64_t)(r.end - r.p), "count of groups")) != 0)
            break;
        if (!(dim->g = calloc(ng ? (size_t)ng : 1, sizeof *dim->g)))
            return FB_ENOMEM;
        for (; rc == 0 && dim->n < ng; dim->n++) {
            rc = get_group(&r, &dim->g[dim->n], d == g->nby, s);
            if (rc == 0 && dim->n > 0 && !key_order(&dim->g[dim->n - 1], &dim->g[dim->n], d == g->nby))
                rc = BADG(&r, "groups out of order in the groups section");
            ent += rc == 0 ? dim->g[dim->n].s.entities : 0;
        }
        if (rc == 0 && ent != s->entities)
            rc = BADG(&r, "the groups of a dimension do not add up to the entities");
    }
    if (rc == 0 && r.p != r.end)
        rc = BADG(&r, "%zu bytes after the last group", (size_t)(r.end - r.p));
    return rc;
}
