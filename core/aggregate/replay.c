/* replay.c - the replay driver; see replay.h and docs/ARCHITECTURE.md
 * "Replay on every core". */
#include "replay.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "funnel.h"
#include "logreader.h"
#include "shardset.h"

#define NEEDED_DICTS ((1u << BLOG_D_STAGE) | (1u << BLOG_D_CHANNEL) | (1u << BLOG_D_OUTCOME))
#define NEEDED_COLS ((1u << BLOG_C_TIME) | (1u << BLOG_C_ENTITY) | (1u << BLOG_C_STAGE) | \
                     (1u << BLOG_C_CHANNEL) | (1u << BLOG_C_OUTCOME))

/* One thread's share of a replay: its own cursor and counters, folding
 * into the run's one per-entity array (funnel.h, part_new_sharing). */
struct replay_worker {
    struct replay_run *run;
    struct part *part;            /* the run's part itself with one worker */
    struct logr_cursor cur;
    int rc;                       /* of the block err_block */
    size_t err_block;
    struct fb_error err;
    pthread_t tid;
    int started;
};

struct replay_run {
    struct logr r;
    int32_t *stage_map;
    uint8_t *sales, *lost;
    struct part *part;
    int64_t as_of;
    struct replay_worker *w;
    size_t nw;
    struct logr_want want;        /* the columns to decode */
    uint32_t by_attr[GROUPS_MAX_BY];
    struct groups_values values;  /* --by: the attribute values ranked */
    atomic_size_t next;           /* the next EVENTS block to claim */
    atomic_size_t stop_at;        /* the lowest damaged block seen so far */
};

static int build_maps(struct replay_run *r, const struct funnel_def *def, struct fb_error *err)
{
    const struct dict *st = logr_dict(&r->r, BLOG_D_STAGE), *ch = logr_dict(&r->r, BLOG_D_CHANNEL),
                      *oc = logr_dict(&r->r, BLOG_D_OUTCOME);
    r->stage_map = malloc(dict_size(st) * sizeof *r->stage_map);
    r->sales = calloc(dict_size(ch), 1);
    r->lost = calloc(dict_size(oc), 1);
    if (!r->stage_map || !r->sales || !r->lost)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (uint32_t id = 0; id < dict_size(st); id++) {
        size_t n;
        const char *s = dict_str(st, id, &n);
        r->stage_map[id] = -1;
        for (size_t k = 0; k < def->n; k++)
            if (funnel_name_eq(s, n, def->names[k]))
                r->stage_map[id] = (int32_t)k;
    }
    for (uint32_t id = 1; id < dict_size(ch); id++) {
        size_t n;
        const char *s = dict_str(ch, id, &n);
        r->sales[id] = funnel_name_eq(s, n, "sales");
        if (!r->sales[id] && !funnel_name_eq(s, n, "marketing"))
            return fb_fail_at(err, FB_ECORRUPT, r->r.path, 0, 0, "channel dictionary holds \"%.*s\"",
                              (int)(n > 40 ? 40 : n), s);
    }
    for (uint32_t id = 1; id < dict_size(oc); id++) {
        size_t n;
        const char *s = dict_str(oc, id, &n);
        r->lost[id] = funnel_name_eq(s, n, "lost");
    }
    return 0;
}

/* Claim blocks in file order until none is left.  Claims only grow, so
 * when a block fails every block before it has been claimed and will be
 * finished: the error reported is the one at the lowest damaged block,
 * the same whatever the number of threads and however they interleave. */
static void *work(void *arg)
{
    struct replay_worker *w = arg;
    struct replay_run *r = w->run;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
        if (i >= r->r.nev || i >= atomic_load_explicit(&r->stop_at, memory_order_relaxed))
            break;
        const struct blog_block *blk = logr_block(&r->r, i);
        if (blk->h.a > r->as_of) {   /* wholly after as_of: only its count matters */
            part_add_after(w->part, blk->h.count);
            continue;
        }
        int rc = logr_decode(&w->cur, i, &w->err);
        if (rc) {
            w->rc = rc;
            w->err_block = i;
            size_t cur = atomic_load(&r->stop_at);
            while (i < cur && !atomic_compare_exchange_weak(&r->stop_at, &cur, i))
                ;
            break;
        }
        part_add(w->part, &w->cur.cols);
    }
    return NULL;
}

/* Set up nw workers: cursors and (with more than one) counters of their
 * own, all allocated here so that running out of memory is an error of the
 * replay and never of a thread. */
static int setup_workers(struct replay_run *r, size_t nw, struct fb_error *err)
{
    if (!(r->w = calloc(nw, sizeof *r->w)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    r->nw = nw;
    for (size_t k = 0; k < nw; k++) {
        struct replay_worker *w = &r->w[k];
        w->run = r;
        fb_error_clear(&w->err);
        w->part = nw == 1 ? r->part : part_new_sharing(r->part);
        if (!w->part)
            return fb_fail(err, FB_ENOMEM, "out of memory");
        int rc = logr_cursor_init(&w->cur, &r->r, &r->want, 0, r->r.nev, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Run the workers: nw - 1 threads and this one.  A thread that cannot be
 * started leaves its share to the others (the report is the same). */
static int replay_blocks(struct replay_run *r, struct fb_error *err)
{
    atomic_init(&r->next, 0);
    atomic_init(&r->stop_at, SIZE_MAX);
    for (size_t k = 1; k < r->nw; k++)
        r->w[k].started = pthread_create(&r->w[k].tid, NULL, work, &r->w[k]) == 0;
    work(&r->w[0]);
    const struct replay_worker *bad = NULL;
    for (size_t k = 0; k < r->nw; k++) {
        if (r->w[k].started)
            pthread_join(r->w[k].tid, NULL);
        if (r->w[k].rc && (!bad || r->w[k].err_block < bad->err_block))
            bad = &r->w[k];
    }
    if (bad) {
        *err = bad->err;
        return bad->rc;
    }
    for (size_t k = 0; k < r->nw; k++) {
        int rc = r->w[k].part == r->part ? 0 : part_merge(r->part, r->w[k].part, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* The shard checks of docs/FORMAT.md §13.2 and §13.1: the shard's batches
 * are those the manifest records, and every entity in it hashes to it. */
static int check_shard(struct replay_run *r, const struct replay_shard *sh, struct fb_error *err)
{
    int rc = shardset_check_history(sh->set, sh->index, &r->r.scan, r->r.path, err);
    if (rc == 0)
        rc = logr_load_dicts(&r->r, 1u << BLOG_D_ENTITY, err);
    if (rc == 0)
        rc = shardset_check_entities(logr_dict(&r->r, BLOG_D_ENTITY), sh->index, sh->set->n,
                                     r->r.path, err);
    return rc;
}

/* --by: the attribute columns to decode and their values ranked by bytes
 * (docs/METRICS.md §9).  An attribute the log does not have is a usage
 * error naming those it has; a shard may lack one its set has elsewhere,
 * and its entities then have no value for it. */
static int setup_by(struct replay_run *r, const struct groups_opts *g, int shard, struct fb_error *err)
{
    r->want.cols = NEEDED_COLS;
    if (g->nby == 0)
        return 0;
    int rc = logr_load_dicts(&r->r, (1u << BLOG_D_ATTR_NAME) | (1u << BLOG_D_ATTR_VALUE), err);
    if (rc)
        return rc;
    const struct dict *names = logr_dict(&r->r, BLOG_D_ATTR_NAME);
    for (size_t k = 0; k < g->nby; k++) {
        rc = logr_want_attr(&r->r, &r->want, g->by[k], strlen(g->by[k]), err);
        if (rc < 0)
            return rc;
        r->by_attr[k] = UINT32_MAX;
        if (rc == 1)
            dict_find(names, g->by[k], strlen(g->by[k]), &r->by_attr[k]);
        else if (!shard) {
            char list[400] = "";
            size_t at = 0;
            for (uint32_t id = 1; id < dict_size(names) && at + 1 < sizeof list; id++) {
                size_t n;
                const char *s = dict_str(names, id, &n);
                int w = snprintf(list + at, sizeof list - at, "%s%.*s", id > 1 ? ", " : "",
                                 (int)(n > 60 ? 60 : n), s);
                at += w > 0 ? (size_t)w : 0;
            }
            return fb_fail(err, FB_EUSAGE, "--by \"%.60s\": %s has no such attribute; %s%s", g->by[k],
                           r->r.path, dict_size(names) > 1 ? "its attributes are: " : "it has no attributes",
                           list);
        }
    }
    return groups_rank_values(logr_dict(&r->r, BLOG_D_ATTR_VALUE), &r->values, err);
}

static int run(struct replay_run *r, const char *path, const struct replay_opts *o,
               const struct replay_shard *sh, struct summary *out, struct fb_error *err)
{
    int rc = logr_open(&r->r, path, err);
    if (rc == 0 && sh)
        rc = check_shard(r, sh, err);
    if (rc == 0)
        rc = logr_load_dicts(&r->r, NEEDED_DICTS, err);
    if (rc == 0)
        rc = logr_check_entity_count(&r->r, err);
    if (rc == 0)
        rc = build_maps(r, o->def, err);
    if (rc == 0)
        rc = setup_by(r, &o->groups, sh != NULL, err);
    if (rc)
        return rc;
    const struct blog_scan *scan = &r->r.scan;
    r->as_of = o->has_as_of ? o->as_of : scan->events ? scan->max_time : 0;
    const struct dict *stages = logr_dict(&r->r, BLOG_D_STAGE);
    struct funnel_maps maps = {r->stage_map, dict_size(stages), r->sales, r->lost,
                               (uint32_t)o->groups.nby, r->by_attr, r->values.rank, o->groups.last};
    r->part = part_new(o->def, scan->dict_sizes[BLOG_D_ENTITY], r->as_of, o->stale_after, &maps);
    if (!r->part)
        return fb_fail(err, FB_ENOMEM, "out of memory for %u entities",
                       scan->dict_sizes[BLOG_D_ENTITY]);
    /* More threads than blocks would only wait. */
    size_t nw = o->threads > 1 ? (size_t)o->threads : 1;
    nw = nw < r->r.nev ? nw : r->r.nev ? r->r.nev : 1;
    rc = setup_workers(r, nw, err);
    if (rc == 0)
        rc = replay_blocks(r, err);
    /* A shard's latest event is not the set's: with the default as_of its
     * entities that may still turn stale stay undecided (FORMAT.md §14). */
    const struct part_summary_opts so = {stages, sh && !o->has_as_of, o->threads, &o->groups,
                                         &r->values};
    if (rc == 0)
        rc = part_summarise(r->part, &so, out, err);
    out->has_events = scan->events > 0;
    out->max_time = scan->events ? scan->max_time : 0;
    return rc;
}

int replay_summary(const char *path, const struct replay_opts *o, const struct replay_shard *shard,
                   struct summary *out, struct replay_info *info, struct fb_error *err)
{
    struct replay_run r;
    memset(&r, 0, sizeof r);
    memset(info, 0, sizeof *info);
    memset(out, 0, sizeof *out);
    int rc = run(&r, path, o, shard, out, err);
    info->tail_len = r.r.scan.tail_len;
    info->tail_offset = r.r.scan.committed_end;
    memcpy(info->tail_reason, r.r.scan.tail_reason, sizeof info->tail_reason);
    info->batches = r.r.scan.ncommits;
    info->blocks = r.r.scan.nblocks;
    for (size_t k = 0; k < r.nw; k++) {
        logr_cursor_free(&r.w[k].cur);
        if (r.w[k].part != r.part)
            part_free(r.w[k].part);
    }
    free(r.w);
    part_free(r.part);
    free(r.stage_map);
    free(r.sales);
    free(r.lost);
    logr_want_free(&r.want);
    groups_values_free(&r.values);
    logr_close(&r.r);
    return rc;
}

int replay_log(const char *path, const struct replay_opts *o, struct res_report *out,
               struct replay_info *info, struct fb_error *err)
{
    struct summary s;
    memset(out, 0, sizeof *out);
    int rc = replay_summary(path, o, NULL, &s, info, err);
    if (rc == 0)
        rc = summary_finish(&s, o->def, o->has_as_of || s.has_events, out, err);
    summary_free(&s);
    return rc;
}
