/* entities.h - the lists behind the numbers (docs/METRICS.md §4.21): one
 * row per counted entity of a folded state (replay_visit), built from
 * part_row, so its status and stage are the report's by code; the filters
 * of `funnel entities`, its sort, its CSV, and explain's "closest ids". */
#ifndef FUNNEL_ENTITIES_H
#define FUNNEL_ENTITIES_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "dict.h"
#include "err.h"
#include "funnel.h"
#include "funnel_def.h"
#include "replay.h"

#define ENT_MAX_WHERE 16

enum ent_sort { ENT_SORT_AGE, ENT_SORT_VALUE, ENT_SORT_LAST, ENT_SORT_ENTITY };

/* --where NAME=VALUE: NAME as the log matches attribute names (ASCII
 * case-insensitively), VALUE exact bytes, "" = no value.  Borrowed. */
struct ent_where {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

struct ent_opts {
    int stage;                 /* max(e) must be this funnel index; -1: any */
    int status;                /* trend.h TR_*; -1: any */
    struct ent_where where[ENT_MAX_WHERE];
    size_t nwhere;
    enum ent_sort sort;
    uint64_t limit;            /* 0: every row */
};

/* One selected entity, its sort key and its id bytes (borrowed from the
 * entity dictionary). */
struct ent_item {
    int64_t key;
    const char *id;
    uint32_t len;
    uint32_t e;
};

/* Sort items by key ascending, ties by id bytes (memcmp, then the shorter
 * first): every order of `entities` is total, so the rows never depend on
 * threads or the order of the log. */
void ent_sort_items(struct ent_item *v, size_t n);

/* Days as `entities` prints them: printf("%.1f", seconds / 86400.0) into
 * buf (>= 32 bytes); returns its length. */
size_t ent_days(int64_t seconds, char *buf);

/* value(e) of docs/METRICS.md "Money" as `entities` and `explain` print
 * it (its own fraction digits, as written), into buf (cap bytes); returns
 * its length, 0 for none.  The one place the value column is written. */
size_t ent_value_text(const struct part *p, uint32_t e, char *buf, size_t cap);

/* Write the CSV of `funnel entities` for the state of v under o with the
 * funnel def, through sink (called with whole rows; nonzero stops with
 * FB_EIO).  Memory: 24 bytes per selected entity.  Returns 0, FB_EUSAGE
 * (a --where NAME the log does not have), FB_ENOMEM or FB_EIO. */
int ent_write_csv(const struct replay_view *v, const struct funnel_def *def, const struct ent_opts *o,
                  int (*sink)(void *ctx, const char *p, size_t n), void *ctx,
                  struct fb_error *err) FB_MUST_USE;

/* The attribute columns of v in the order `entities` writes them: the
 * names by bytes.  order[k] is a cell index into v->attr; n = v->nattr.
 * Returns 0 or FB_ENOMEM (free *order). */
int ent_attr_order(const struct replay_view *v, uint32_t **order, struct fb_error *err) FB_MUST_USE;

/* The attributed value of cell k of the rank array (part_row) as bytes;
 * NULL with *len 0 for none. */
const char *ent_attr_value(const struct replay_view *v, const uint32_t *rank, uint32_t k, size_t *len);

/* The page's stuck deals (docs/CHARTS.md, "The page"): the first max rows
 * of `funnel entities --status open --sort age` for v, by the same
 * selection, sort and value code, into *out (res_stuck_free it in every
 * case), with every attribute column in the order `entities` writes them.
 * Returns 0 or FB_ENOMEM. */
int ent_stuck(const struct replay_view *v, size_t max, struct res_stuck *out,
              struct fb_error *err) FB_MUST_USE;

/* The ids of d closest to q (an id d does not hold): those sharing a
 * prefix of at least one byte with q, the longest common prefix first, then
 * by bytes; up to max of them into out.  Returns their number (0: no id
 * starts with q's first byte). */
size_t ent_closest(const struct dict *d, const char *q, size_t qlen, uint32_t *out, size_t max);

#endif
