/* groups.c - breakdowns and cohorts: the groups of a summary, their merge
 * and finish, and the slots a part's entities fall in; see groups.h and
 * docs/METRICS.md §4.17-§4.18. */
#include "groups.h"

#include "hugemem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_bytes(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

struct sum_groups *groups_new(const struct groups_opts *o)
{
    struct sum_groups *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->last = o->last;
    g->cohort = o->cohort;
    g->window = o->window;
    g->nby = o->nby;
    for (size_t k = 0; k < o->nby; k++) {
        if (!(g->by[k] = dup_bytes(o->by[k], strlen(o->by[k])))) {
            groups_free(g);
            return NULL;
        }
    }
    return g;
}

static void free_dim(struct sum_dim *d)
{
    for (size_t i = 0; d->g && i < d->n; i++) {
        free(d->g[i].name);
        summary_free(&d->g[i].s);
    }
    free(d->g);
    d->g = NULL;
    d->n = 0;
}

void groups_free(struct sum_groups *g)
{
    if (!g)
        return;
    for (size_t k = 0; k < GROUPS_MAX_BY; k++)
        free(g->by[k]);
    for (size_t d = 0; d <= GROUPS_MAX_BY; d++)
        free_dim(&g->dim[d]);
    huge_zfree(g->values, g->values_bytes);
    free(g);
}

int groups_same_opts(const struct sum_groups *a, const struct sum_groups *b, char *why, size_t n)
{
    if (!a || !b) {
        if (a || b)
            snprintf(why, n, "--by or --cohort given to one and not the other");
        return !a && !b;
    }
    if (a->nby != b->nby)
        snprintf(why, n, "--by given %zu times, not %zu", b->nby, a->nby);
    else if (a->last != b->last)
        snprintf(why, n, "--attribution %s, not %s", b->last ? "last" : "first", a->last ? "last" : "first");
    else if (a->cohort != b->cohort)
        snprintf(why, n, "--cohort %s, not %s", b->cohort ? period_name(groups_unit(b->cohort)) : "(none)",
                 a->cohort ? period_name(groups_unit(a->cohort)) : "(none)");
    else if (a->window != b->window)
        snprintf(why, n, "--window %llds, not %llds", (long long)b->window, (long long)a->window);
    else {
        for (size_t k = 0; k < a->nby; k++) {
            if (strcmp(a->by[k], b->by[k]) != 0) {
                snprintf(why, n, "--by \"%.60s\", not \"%.60s\"", b->by[k], a->by[k]);
                return 0;
            }
        }
        return 1;
    }
    return 0;
}

/* Value bytes, the null group after every value; or periods. */
static int key_cmp(const struct sum_group *a, const struct sum_group *b, int cohort)
{
    if (cohort)
        return (a->period > b->period) - (a->period < b->period);
    if (!a->name || !b->name)
        return (!a->name) - (!b->name);
    int c = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The union of into's dimension d and the froms', groups of one key merged
 * by summary_merge_all.  into's groups move into the new array. */
static int merge_dim(struct summary *into, const struct summary *const *from, size_t k, size_t d,
                     const struct summary **list, size_t *at, struct fb_error *err)
{
    struct sum_dim *t = &into->groups->dim[d];
    const int cohort = d == into->groups->nby;
    size_t cap = t->n, i = 0, n = 0;
    for (size_t j = 0; j < k; j++) {
        cap += from[j]->groups->dim[d].n;
        at[j] = 0;
    }
    struct sum_dim out = {0, calloc(cap ? cap : 1, sizeof *out.g)};
    if (!out.g)
        return fb_fail(err, FB_ENOMEM, "out of memory merging partial states");
    int rc = 0;
    for (;;) {
        const struct sum_group *min = i < t->n ? &t->g[i] : NULL;
        for (size_t j = 0; j < k; j++) {
            const struct sum_dim *f = &from[j]->groups->dim[d];
            if (at[j] < f->n && (!min || key_cmp(&f->g[at[j]], min, cohort) < 0))
                min = &f->g[at[j]];
        }
        if (!min)
            break;
        struct sum_group *g = &out.g[n];
        size_t m = 0;
        for (size_t j = 0; j < k; j++) {
            const struct sum_dim *f = &from[j]->groups->dim[d];
            if (at[j] < f->n && key_cmp(&f->g[at[j]], min, cohort) == 0)
                list[m++] = &f->g[at[j]++].s;
        }
        if (i < t->n && key_cmp(&t->g[i], min, cohort) == 0) {
            *g = t->g[i];
            memset(&t->g[i++], 0, sizeof *t->g);
        } else {
            g->period = min->period;
            g->len = min->len;
            if ((min->name && !(g->name = dup_bytes(min->name, min->len))) ||
                summary_init(&g->s, into->ns, into->stale_after, into->decided, into->as_of, err) != 0) {
                n++;
                rc = fb_fail(err, FB_ENOMEM, "out of memory merging partial states");
                break;
            }
        }
        n++;
        if ((rc = summary_merge_all(&g->s, list, m, err)) != 0)
            break;
    }
    if (rc) {
        free_dim(&out);
        return rc;
    }
    free_dim(t);
    *t = out;
    t->n = n;
    return 0;
}

int groups_merge_all(struct summary *into, const struct summary *const *from, size_t k,
                     struct fb_error *err)
{
    char why[200];
    for (size_t j = 0; j < k; j++)
        if (!groups_same_opts(into->groups, from[j]->groups, why, sizeof why))
            return fb_fail(err, FB_EINPUT, "summaries of different options do not merge: %s", why);
    if (!into->groups)
        return 0;
    const struct summary **list = calloc(k ? k : 1, sizeof *list);
    size_t *at = calloc(k ? k : 1, sizeof *at);
    int rc = list && at ? 0 : fb_fail(err, FB_ENOMEM, "out of memory merging partial states");
    for (size_t d = 0; rc == 0 && d < groups_ndims(into->groups); d++)
        rc = merge_dim(into, from, k, d, list, at, err);
    free(list);
    free(at);
    return rc;
}

void groups_sort(struct sum_groups *g)
{
    for (size_t d = 0; g && d < groups_ndims(g); d++)
        for (size_t i = 0; i < g->dim[d].n; i++)
            summary_sort(&g->dim[d].g[i].s);
}

/* ---- finish ---- */

void res_groups_free(struct res_groups *g)
{
    if (!g)
        return;
    for (size_t d = 0; g->dim && d < g->nby + (g->cohort != 0); d++) {
        struct res_dim *r = &g->dim[d];
        for (size_t i = 0; r->g && i < r->n; i++) {
            free(r->g[i].name);
            res_report_free(&r->g[i].r);
        }
        free(r->g);
        free(r->name);
    }
    free(g->dim);
    free(g);
}

/* A group's report: at the parent's as_of, which a group of a shard does
 * not know by itself. */
static int finish_one(struct summary *sub, const struct summary *s, const struct funnel_def *def,
                      int has_as_of, struct res_report *out, struct fb_error *err)
{
    sub->has_events = s->has_events;
    sub->max_time = s->max_time;
    /* The options that classify and count, which group summaries carry
     * only in their parent (docs/METRICS.md §4.11, §4.14). */
    memcpy(sub->stale, s->stale, s->ns * sizeof *s->stale);
    sub->conv = s->conv;
    return summary_finish(sub, def, has_as_of, out, err);
}

/* docs/METRICS.md §4.17: entities descending, then value bytes, the null
 * group after the values of its count. */
static int res_group_cmp(const void *pa, const void *pb)
{
    const struct res_group *a = pa, *b = pb;
    if (a->r.entities != b->r.entities)
        return a->r.entities > b->r.entities ? -1 : 1;
    if (!a->name || !b->name)
        return (!a->name) - (!b->name);
    int c = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int finish_by(struct summary *s, size_t d, const struct funnel_def *def, int has_as_of,
                     struct res_dim *r, struct fb_error *err)
{
    const struct sum_dim *sd = &s->groups->dim[d];
    if (!(r->name = dup_bytes(s->groups->by[d], strlen(s->groups->by[d]))) ||
        !(r->g = calloc(sd->n ? sd->n : 1, sizeof *r->g)))
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    for (size_t i = 0; i < sd->n; i++, r->n++) {
        struct res_group *g = &r->g[i];
        if (sd->g[i].name && !(g->name = dup_bytes(sd->g[i].name, sd->g[i].len)))
            return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
        g->len = sd->g[i].len;
        int rc = finish_one(&sd->g[i].s, s, def, has_as_of, &g->r, err);
        if (rc)
            return rc;
    }
    qsort(r->g, r->n, sizeof *r->g, res_group_cmp);
    return 0;
}

/* docs/METRICS.md §4.18: every period from the first cohort's to the one
 * holding as_of, the empty ones too. */
static int finish_cohorts(struct summary *s, const struct funnel_def *def, int has_as_of,
                          struct res_dim *r, struct fb_error *err)
{
    const struct sum_groups *gr = s->groups;
    const struct sum_dim *sd = &gr->dim[gr->nby];
    if (sd->n == 0)
        return 0;
    const int64_t as_of = summary_as_of(s), lo = sd->g[0].period;
    const int64_t hi = period_index(groups_unit(gr->cohort), as_of);
    if (hi < sd->g[sd->n - 1].period || hi - lo >= GROUPS_MAX_PERIODS)
        return fb_fail(err, FB_EUSAGE, "--cohort %s: %lld periods from the first cohort to as_of, "
                       "more than %d", period_name(groups_unit(gr->cohort)), (long long)(hi - lo + 1), GROUPS_MAX_PERIODS);
    if (!(r->g = calloc((size_t)(hi - lo + 1), sizeof *r->g)))
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    size_t j = 0;
    for (int64_t p = lo; p <= hi; p++, r->n++) {
        struct res_group *g = &r->g[r->n];
        char label[PERIOD_LABEL_MAX];
        period_label(groups_unit(gr->cohort), p, label);
        g->len = strlen(label);
        g->start = period_start(groups_unit(gr->cohort), p);
        g->complete = period_start(groups_unit(gr->cohort), p + 1) + gr->window <= as_of;
        if (!(g->name = dup_bytes(label, g->len)))
            return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
        int rc;
        if (j < sd->n && sd->g[j].period == p) {
            rc = finish_one(&sd->g[j++].s, s, def, has_as_of, &g->r, err);
        } else {
            struct summary empty;
            rc = summary_init(&empty, s->ns, s->stale_after, s->decided, s->as_of, err);
            if (rc == 0)
                rc = finish_one(&empty, s, def, has_as_of, &g->r, err);
            summary_free(&empty);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int groups_finish(struct summary *s, const struct funnel_def *def, int has_as_of,
                  struct res_report *out, struct fb_error *err)
{
    const struct sum_groups *gr = s->groups;
    if (!gr)
        return 0;
    struct res_groups *r = calloc(1, sizeof *r);
    if (!r || !(r->dim = calloc(groups_ndims(gr), sizeof *r->dim))) {
        free(r);
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    }
    out->groups = r;
    r->attribution_last = gr->last;
    r->cohort = gr->cohort;
    r->window_s = gr->window;
    r->nby = gr->nby;
    int rc = 0;
    for (size_t d = 0; rc == 0 && d < gr->nby; d++)
        rc = finish_by(s, d, def, has_as_of, &r->dim[d], err);
    if (rc == 0 && gr->cohort)
        rc = finish_cohorts(s, def, has_as_of, &r->dim[gr->nby], err);
    return rc;
}

/* ---- the part side ---- */

struct ranked {
    const char *s;
    size_t len;
    uint32_t id;
};

static int ranked_cmp(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

int groups_rank_values(const struct dict *d, struct groups_values *v, struct fb_error *err)
{
    memset(v, 0, sizeof *v);
    v->d = d;
    uint32_t size = dict_size(d);
    v->n = size - 1;
    if (v->n > GROUPS_MAX_VALUES)
        return fb_fail(err, FB_EUSAGE, "--by: the log has %u attribute values, more than %u",
                       v->n, GROUPS_MAX_VALUES);
    struct ranked *r = malloc((v->n ? v->n : 1) * sizeof *r);
    v->rank = calloc(size, sizeof *v->rank);
    v->id_of = malloc((v->n ? v->n : 1) * sizeof *v->id_of);
    if (!r || !v->rank || !v->id_of) {
        free(r);
        return fb_fail(err, FB_ENOMEM, "out of memory");
    }
    for (uint32_t id = 1; id < size; id++) {
        r[id - 1].s = dict_str(d, id, &r[id - 1].len);
        r[id - 1].id = id;
    }
    qsort(r, v->n, sizeof *r, ranked_cmp);
    for (uint32_t k = 0; k < v->n; k++) {
        v->rank[r[k].id] = k;
        v->id_of[k] = r[k].id;
    }
    free(r);
    return 0;
}

void groups_values_free(struct groups_values *v)
{
    free(v->rank);
    free(v->id_of);
    memset(v, 0, sizeof *v);
}

struct groups_plan {
    const struct groups_opts *o;
    const struct groups_values *v;
    int64_t as_of;
    size_t nby, ndims, nslots;
    uint8_t *seen[GROUPS_MAX_BY];        /* rank (v->n: none) -> seen */
    uint32_t *slot_of[GROUPS_MAX_BY];    /* rank -> slot within the dimension */
    uint32_t *rank_of[GROUPS_MAX_BY];    /* and back */
    size_t base[GROUPS_MAX_BY + 1], count[GROUPS_MAX_BY + 1];
    int64_t lo;                          /* cohorts: the first entry's period */
    int any;
};

struct groups_plan *groups_plan_new(const struct groups_opts *o, const struct groups_values *v,
                                    int64_t as_of)
{
    struct groups_plan *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->o = o;
    p->v = v;
    p->as_of = as_of;
    p->nby = o->nby;
    p->ndims = o->nby + (o->cohort != 0);
    for (size_t k = 0; k < p->nby; k++) {
        p->seen[k] = calloc((size_t)v->n + 1, 1);
        p->slot_of[k] = calloc((size_t)v->n + 1, sizeof *p->slot_of[k]);
        if (!p->seen[k] || !p->slot_of[k]) {
            groups_plan_free(p);
            return NULL;
        }
    }
    return p;
}

void groups_plan_free(struct groups_plan *p)
{
    if (!p)
        return;
    for (size_t k = 0; k < GROUPS_MAX_BY; k++) {
        free(p->seen[k]);
        free(p->slot_of[k]);
        free(p->rank_of[k]);
    }
    free(p);
}

static inline uint32_t cell_rank(const struct groups_plan *p, int64_t cell)
{
    return cell ? groups_cell_rank(cell) : p->v->n;
}

void groups_plan_see(struct groups_plan *p, const int64_t *cells, int64_t entry)
{
    for (size_t k = 0; k < p->nby; k++)
        p->seen[k][cell_rank(p, cells[k])] = 1;
    if (p->o->cohort) {
        int64_t i = period_index(groups_unit(p->o->cohort), entry);
        p->lo = p->any && p->lo < i ? p->lo : i;
        p->any = 1;
    }
}

int groups_plan_build(struct groups_plan *p, struct fb_error *err)
{
    size_t at = 0;
    for (size_t k = 0; k < p->nby; k++) {
        uint32_t n = 0;
        for (uint32_t r = 0; r <= p->v->n; r++)
            n += p->seen[k][r];
        if (!(p->rank_of[k] = malloc((n ? n : 1) * sizeof *p->rank_of[k])))
            return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
        n = 0;
        for (uint32_t r = 0; r <= p->v->n; r++) {
            if (p->seen[k][r]) {
                p->rank_of[k][n] = r;
                p->slot_of[k][r] = n++;
            }
        }
        p->base[k] = at;
        p->count[k] = n;
        at += n;
    }
    if (p->o->cohort) {
        int64_t hi = period_index(groups_unit(p->o->cohort), p->as_of);
        if (p->any && hi - p->lo >= GROUPS_MAX_PERIODS)
            return fb_fail(err, FB_EUSAGE, "--cohort %s: %lld periods from the first cohort to as_of, "
                           "more than %d", period_name(groups_unit(p->o->cohort)), (long long)(hi - p->lo + 1),
                           GROUPS_MAX_PERIODS);
        p->base[p->nby] = at;
        p->count[p->nby] = p->any ? (size_t)(hi - p->lo + 1) : 0;
        at += p->count[p->nby];
    }
    p->nslots = at;
    return 0;
}

size_t groups_plan_ndims(const struct groups_plan *p) { return p->ndims; }
size_t groups_plan_nslots(const struct groups_plan *p) { return p->nslots; }

void groups_plan_slots(const struct groups_plan *p, const int64_t *cells, int64_t entry, uint32_t *slot)
{
    for (size_t k = 0; k < p->nby; k++)
        slot[k] = (uint32_t)(p->base[k] + p->slot_of[k][cell_rank(p, cells[k])]);
    if (p->o->cohort)
        slot[p->nby] = (uint32_t)(p->base[p->nby] + (size_t)(period_index(groups_unit(p->o->cohort), entry) - p->lo));
}

int groups_plan_emit(const struct groups_plan *p, const struct groups_opts *o, struct summary *parent,
                     const uint64_t *ent, const struct sum_stage *counts, const size_t *nset,
                     struct summary **sums, struct fb_error *err)
{
    const size_t ns = parent->ns, nsets = SUM_NSETS(ns);
    if (!(parent->groups = groups_new(o)))
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    /* Every group's values in one block of its own, written once from end
     * to end (hugemem.h), instead of a pool a group. */
    size_t total = 0;
    for (size_t d = 0; d < p->ndims; d++)
        for (size_t i = 0; i < p->count[d]; i++)
            for (size_t k = 0; k < nsets; k++)
                total += nset[(p->base[d] + i) * nsets + k];
    parent->groups->values_bytes = (total ? total : 1) * sizeof(int64_t);
    int64_t *at = parent->groups->values = huge_zalloc(parent->groups->values_bytes);
    if (!at)
        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
    for (size_t d = 0; d < p->ndims; d++) {
        struct sum_dim *dim = &parent->groups->dim[d];
        size_t n = 0;
        for (size_t i = 0; i < p->count[d]; i++)
            n += ent[p->base[d] + i] > 0;
        if (!(dim->g = calloc(n ? n : 1, sizeof *dim->g)))
            return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
        for (size_t i = 0; i < p->count[d]; i++) {
            const size_t slot = p->base[d] + i;
            sums[slot] = NULL;
            if (!ent[slot])
                continue;
            struct sum_group *g = &dim->g[dim->n++];
            if (d < p->nby) {
                uint32_t r = p->rank_of[d][i];
                if (r < p->v->n) {
                    const char *s = dict_str(p->v->d, p->v->id_of[r], &g->len);
                    if (!(g->name = dup_bytes(s, g->len)))
                        return fb_fail(err, FB_ENOMEM, "out of memory computing the report");
                }
            } else {
                g->period = p->lo + (int64_t)i;
            }
            int rc = summary_init(&g->s, ns, parent->stale_after, parent->decided, parent->as_of, err);
            if (rc)
                return rc;
            summary_point_sets(&g->s, at, nset + slot * nsets);
            for (size_t k = 0; k < nsets; k++)
                at += nset[slot * nsets + k];
            memcpy(g->s.stage, counts + slot * ns, ns * sizeof *counts);
            g->s.entities = ent[slot];
            sums[slot] = &g->s;
        }
    }
    return 0;
}
