/* entities.c - the rows of `funnel entities` and explain's closest ids;
 * see entities.h and docs/METRICS.md §4.21. */
#include "entities.h"
#include "money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvout.h"
#include "ftime.h"
#include "logreader.h"
#include "trend.h"

#define FLUSH_AT (1u << 20)

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int item_cmp(const void *pa, const void *pb)
{
    const struct ent_item *x = pa, *y = pb;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return bytes_cmp(x->id, x->len, y->id, y->len);
}

void ent_sort_items(struct ent_item *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, item_cmp);
}

size_t ent_days(int64_t seconds, char *buf)
{
    int n = snprintf(buf, 32, "%.1f", (double)seconds / 86400.0);
    return n > 0 ? (size_t)n : 0;
}

size_t ent_value_text(const struct part *p, uint32_t e, char *buf, size_t cap)
{
    struct part_row r;
    uint32_t rank[PART_MAX_ATTRS];
    char text[MONEY_TEXT_MAX];
    size_t n = 0;
    if (part_row(p, e, &r, rank) && r.value) {
        /* value(e) as written once with its own fraction digits (§4.19) */
        struct money_sum one = {0};
        money_sum_add(&one, r.value);
        n = money_format(&one, text);
    }
    if (n >= cap)
        n = 0;
    memcpy(buf, text, n);
    if (cap)
        buf[n] = '\0';
    return n;
}

const char *ent_attr_value(const struct replay_view *v, const uint32_t *rank, uint32_t k, size_t *len)
{
    *len = 0;
    if (rank[k] == UINT32_MAX)
        return NULL;
    return dict_str(v->values->d, v->values->id_of[rank[k]], len);
}

/* The attribute names of the log, for sorting the cells' order by bytes. */
struct name_at {
    const char *s;
    size_t n;
    uint32_t k;
};

static int name_cmp(const void *pa, const void *pb)
{
    const struct name_at *x = pa, *y = pb;
    return bytes_cmp(x->s, x->n, y->s, y->n);
}

int ent_attr_order(const struct replay_view *v, uint32_t **order, struct fb_error *err)
{
    const struct dict *names = logr_dict(v->r, BLOG_D_ATTR_NAME);
    struct name_at *at = malloc((v->nattr ? v->nattr : 1) * sizeof *at);
    *order = malloc((v->nattr ? v->nattr : 1) * sizeof **order);
    if (!at || !*order) {
        free(at);
        return fb_fail(err, FB_ENOMEM, "out of memory");
    }
    for (uint32_t k = 0; k < v->nattr; k++) {
        at[k].s = dict_str(names, v->attr[k], &at[k].n);
        at[k].k = k;
    }
    qsort(at, v->nattr, sizeof *at, name_cmp);
    for (uint32_t k = 0; k < v->nattr; k++)
        (*order)[k] = at[k].k;
    free(at);
    return 0;
}

/* The --where clauses resolved to cells: cell[i] for where[i]. */
static int resolve_where(const struct replay_view *v, const struct ent_opts *o, uint32_t *cell,
                         struct fb_error *err)
{
    const struct dict *names = logr_dict(v->r, BLOG_D_ATTR_NAME);
    for (size_t i = 0; i < o->nwhere; i++) {
        uint32_t id = 0;
        const struct ent_where *w = &o->where[i];
        if (!dict_find(names, w->name, w->name_len, &id) || id == 0)
            return fb_fail(err, FB_EUSAGE, "--where \"%.*s=...\": %s has no attribute \"%.*s\"",
                           (int)(w->name_len > 60 ? 60 : w->name_len), w->name, v->r->path,
                           (int)(w->name_len > 60 ? 60 : w->name_len), w->name);
        for (uint32_t k = 0; k < v->nattr; k++)
            if (v->attr[k] == id)
                cell[i] = k;
    }
    return 0;
}

static int row_selected(const struct replay_view *v, const struct ent_opts *o, const uint32_t *cell,
                        const struct part_row *r, const uint32_t *rank)
{
    if ((o->stage >= 0 && r->max != (size_t)o->stage) || (o->status >= 0 && r->status != o->status))
        return 0;
    for (size_t i = 0; i < o->nwhere; i++) {
        size_t len;
        const char *s = ent_attr_value(v, rank, cell[i], &len);
        if (len != o->where[i].value_len || (len && memcmp(s, o->where[i].value, len) != 0))
            return 0;
    }
    return 1;
}

/* The sort key of a row: ascending order is the order of the list. */
static int64_t sort_key(const struct ent_opts *o, const struct part_row *r)
{
    switch (o->sort) {
    case ENT_SORT_AGE:
        return r->t[r->max];   /* the longest in its stage first */
    case ENT_SORT_LAST:
        return r->last;        /* the longest untouched first */
    default:
        /* value: the largest first (ranks ascend with the amount),
         * entities without one last */
        return -(int64_t)r->value_rank;
    }
}

static const char *const status_name[] = {
    [TR_OPEN] = "open", [TR_IS_WON] = "won", [TR_IS_LOST] = "lost", [TR_IS_STALE] = "stale"};

static int put(struct buf *b, const char *s, size_t n)
{
    return buf_append(b, s, n);
}

static int put_time(struct buf *b, int64_t t)
{
    char when[32];
    ftime_format(t, when);
    return put(b, ",", 1) || put(b, when, 20);
}

static int put_days(struct buf *b, int64_t secs)
{
    char d[32];
    size_t n = ent_days(secs, d);
    return put(b, ",", 1) || put(b, d, n);
}

static int put_header(struct buf *b, const struct replay_view *v, const uint32_t *order)
{
    static const char fixed[] = "entity,status,stage,entered_stage,days_in_stage,entry,last_touch,"
                                "days_since_touch,lost_at,value";
    const struct dict *names = logr_dict(v->r, BLOG_D_ATTR_NAME);
    int rc = put(b, fixed, sizeof fixed - 1);
    for (uint32_t k = 0; rc == 0 && k < v->nattr; k++) {
        size_t n;
        const char *s = dict_str(names, v->attr[order[k]], &n);
        rc = put(b, ",", 1) || csvout_field(b, s, n);
    }
    return rc || put(b, "\n", 1);
}

static int put_row(struct buf *b, const struct replay_view *v, const struct funnel_def *def,
                   const uint32_t *order, const struct ent_item *it, const struct part_row *r,
                   const uint32_t *rank)
{
    const char *stage = def->names[r->max];
    char value[64];
    size_t vn = ent_value_text(v->part, it->e, value, sizeof value);
    int rc = csvout_field(b, it->id, it->len) || put(b, ",", 1) ||
             put(b, status_name[r->status], strlen(status_name[r->status])) || put(b, ",", 1) ||
             csvout_field(b, stage, strlen(stage)) || put_time(b, r->t[r->max]) ||
             put_days(b, v->as_of - r->t[r->max]) || put_time(b, r->t[0]) || put_time(b, r->last) ||
             put_days(b, v->as_of - r->last);
    if (rc == 0)
        rc = r->lost_at != INT64_MIN ? put_time(b, r->lost_at) : put(b, ",", 1);
    rc = rc || put(b, ",", 1) || csvout_field(b, value, vn);
    for (uint32_t k = 0; rc == 0 && k < v->nattr; k++) {
        size_t n;
        const char *s = ent_attr_value(v, rank, order[k], &n);
        rc = put(b, ",", 1) || csvout_field(b, s ? s : "", n);
    }
    return rc || put(b, "\n", 1);
}

/* Every counted entity that passes o, with its key. */
static int select_items(const struct replay_view *v, const struct ent_opts *o, const uint32_t *cell,
                        uint32_t *rank, struct ent_item **out, size_t *nout, struct fb_error *err)
{
    const struct dict *ents = logr_dict(v->r, BLOG_D_ENTITY);
    const uint32_t nent = part_entities(v->part);
    size_t n = 0, cap = 0;
    struct ent_item *items = NULL;
    struct part_row r;
    for (uint32_t e = 0; e < nent; e++) {
        if (!part_row(v->part, e, &r, rank) || !row_selected(v, o, cell, &r, rank))
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            struct ent_item *g = realloc(items, nc * sizeof *g);
            if (!g) {
                free(items);
                return fb_fail(err, FB_ENOMEM, "out of memory listing %u entities", nent);
            }
            items = g;
            cap = nc;
        }
        size_t len;
        items[n].id = dict_str(ents, e, &len);
        items[n].len = (uint32_t)len;
        items[n].e = e;
        items[n].key = sort_key(o, &r);
        n++;
    }
    *out = items;
    *nout = n;
    return 0;
}

int ent_write_csv(const struct replay_view *v, const struct funnel_def *def, const struct ent_opts *o,
                  int (*sink)(void *ctx, const char *p, size_t n), void *ctx, struct fb_error *err)
{
    uint32_t cell[ENT_MAX_WHERE];
    uint32_t *order = NULL, *rank = malloc((v->nattr ? v->nattr : 1) * sizeof *rank);
    struct ent_item *items = NULL;
    struct buf b = {0};
    size_t n = 0;
    int rc = rank ? 0 : fb_fail(err, FB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = resolve_where(v, o, cell, err);
    if (rc == 0)
        rc = ent_attr_order(v, &order, err);
    if (rc == 0)
        rc = select_items(v, o, cell, rank, &items, &n, err);
    if (rc == 0) {
        ent_sort_items(items, n);
        if (o->limit && o->limit < n)
            n = (size_t)o->limit;
        if (put_header(&b, v, order))
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i <= n; i++) {
        if (b.len >= FLUSH_AT || (i == n && b.len)) {
            if (sink(ctx, (const char *)b.p, b.len))
                rc = FB_EIO;   /* the sink has said what failed in err */
            b.len = 0;
        }
        struct part_row r;
        if (rc == 0 && i < n) {
            (void)part_row(v->part, items[i].e, &r, rank);
            if (put_row(&b, v, def, order, &items[i], &r, rank))
                rc = fb_fail(err, FB_ENOMEM, "out of memory");
        }
    }
    buf_free(&b);
    free(items);
    free(order);
    free(rank);
    return rc;
}

static int text_dup(struct res_text *t, const char *s, size_t n)
{
    if (!s)
        return 0;
    t->s = malloc(n + 1);
    if (!t->s)
        return -1;
    memcpy(t->s, s, n);
    t->s[n] = '\0';
    t->len = n;
    return 0;
}

void res_stuck_free(struct res_stuck *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->nattr && s->attr_name; k++)
        free(s->attr_name[k].s);
    for (size_t i = 0; i < s->n * s->nattr && s->cells; i++)
        free(s->cells[i].s);
    for (size_t i = 0; i < s->n && s->row; i++)
        free(s->row[i].id.s);
    free(s->attr_name);
    free(s->cells);
    free(s->row);
    memset(s, 0, sizeof *s);
}

/* One row of ent_stuck: the cells of put_row, kept as values. */
static int stuck_row(const struct replay_view *v, const uint32_t *order, const struct ent_item *it,
                     uint32_t *rank, struct res_stuck_row *row)
{
    struct part_row r;
    (void)part_row(v->part, it->e, &r, rank);
    row->stage = r.max;
    row->in_stage_s = v->as_of - r.t[r.max];
    if (r.value) {   /* value(e) with its own fraction digits, as ent_value_text */
        row->has_value = 1;
        money_sum_add(&row->value, r.value);
    }
    if (text_dup(&row->id, it->id, it->len))
        return -1;
    for (uint32_t k = 0; k < v->nattr; k++) {
        size_t n;
        const char *s = ent_attr_value(v, rank, order[k], &n);
        if (text_dup(&row->attr[k], s, n))
            return -1;
    }
    return 0;
}

int ent_stuck(const struct replay_view *v, size_t max, struct res_stuck *out, struct fb_error *err)
{
    const struct ent_opts o = {.stage = -1, .status = TR_OPEN, .sort = ENT_SORT_AGE};
    const struct dict *names = logr_dict(v->r, BLOG_D_ATTR_NAME);
    const size_t na = v->nattr ? v->nattr : 1;
    uint32_t *order = NULL, *rank = malloc(na * sizeof *rank);
    struct ent_item *items = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    int rc = rank ? 0 : fb_fail(err, FB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = ent_attr_order(v, &order, err);
    if (rc == 0)
        rc = select_items(v, &o, NULL, rank, &items, &n, err);
    if (rc == 0) {
        ent_sort_items(items, n);
        out->open = n;
        n = n < max ? n : max;
        out->attr_name = calloc(na, sizeof *out->attr_name);
        out->row = calloc(n ? n : 1, sizeof *out->row);
        out->cells = calloc((n ? n : 1) * na, sizeof *out->cells);
        if (!out->attr_name || !out->row || !out->cells)
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
        else
            out->nattr = v->nattr;
    }
    for (uint32_t k = 0; rc == 0 && k < v->nattr; k++) {
        size_t len;
        const char *s = dict_str(names, v->attr[order[k]], &len);
        if (text_dup(&out->attr_name[k], s ? s : "", s ? len : 0))
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        out->row[i].attr = out->cells + i * out->nattr;
        out->n = i + 1;
        if (stuck_row(v, order, &items[i], rank, &out->row[i]))
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
    }
    free(items);
    free(order);
    free(rank);
    return rc;
}

size_t ent_closest(const struct dict *d, const char *q, size_t qlen, uint32_t *out, size_t max)
{
    size_t n = 0, lcp[16];
    if (max > 16)
        max = 16;
    for (uint32_t id = 1; id < dict_size(d); id++) {
        size_t len, p = 0;
        const char *s = dict_str(d, id, &len);
        while (p < len && p < qlen && s[p] == q[p])
            p++;
        if (p == 0)
            continue;
        /* Insert into the kept list, best first: longer prefix, then bytes. */
        size_t at = n;
        while (at > 0) {
            size_t pl;
            const char *ps = dict_str(d, out[at - 1], &pl);
            if (lcp[at - 1] > p || (lcp[at - 1] == p && bytes_cmp(ps, pl, s, len) < 0))
                break;
            at--;
        }
        if (at >= max)
            continue;
        size_t last = n < max ? n : max - 1;
        memmove(out + at + 1, out + at, (last - at) * sizeof *out);
        memmove(lcp + at + 1, lcp + at, (last - at) * sizeof *lcp);
        out[at] = id;
        lcp[at] = p;
        n = n < max ? n + 1 : max;
    }
    return n;
}
