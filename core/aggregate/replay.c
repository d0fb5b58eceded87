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

/* With several threads, the work goes in rounds (docs/ARCHITECTURE.md
 * "Replay on every core").  In round r, worker k decodes EVENTS block
 * r * nw + k into one of its two buffers and sorts the positions of its
 * events by the worker that owns their entity (entity ranges of equal
 * size); after a barrier, every worker folds, from every worker's buffer,
 * the events of the entities it owns.  No two threads ever write one
 * entity's cells, so the shared array needs no atomics, and each thread's
 * random writes fall in its own 1/nw of it.  A worker decodes round r + 1
 * into its other buffer while the others may still fold round r; it can
 * reuse a buffer only after the next barrier, when every fold of it is
 * done. */
struct replay_buf {
    struct logr_cursor cur;
    int ready;                    /* holds a decoded block this round */
    uint32_t *sel;                /* positions, grouped by owner */
    uint32_t *start, *count;      /* nw each: owner k's are sel[start[k]] .. + count[k] */
};

struct replay_worker {
    struct replay_run *run;
    size_t index;
    struct part *part;            /* the run's part itself with one worker */
    struct replay_buf buf[2];
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
    uint64_t owner_mul;           /* owner of entity e: (e * owner_mul) >> 32 */
    pthread_barrier_t barrier;
    atomic_size_t stop_round;     /* the first round with a damaged block */
    pthread_mutex_t gate;         /* go: 0 wait, 1 run the rounds, -1 do not */
    pthread_cond_t gate_cv;
    int go;
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

/* Up to this many workers, routing writes every position into every
 * owner's list and advances only the owner's count: one pass with no
 * branch and no counter in memory.  Beyond, a counting sort (two passes)
 * keeps the lists in one block-sized array. */
#define ROUTE_DIRECT_MAX 4

static void route_direct(struct replay_buf *b, const uint32_t *ent, uint32_t n, uint64_t mul, size_t nw)
{
    uint32_t *l0 = b->sel, *l1 = l0 + BLOG_EVENTS_PER_BLOCK, *l2 = l1 + BLOG_EVENTS_PER_BLOCK,
             *l3 = l2 + BLOG_EVENTS_PER_BLOCK;
    uint32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    if (nw == 2) {
        for (uint32_t j = 0; j < n; j++) {
            uint32_t o = (uint32_t)((ent[j] * mul) >> 32);
            l0[c0] = j;
            l1[c1] = j;
            c0 += o == 0;
            c1 += o == 1;
        }
    } else {
        for (uint32_t j = 0; j < n; j++) {
            uint32_t o = (uint32_t)((ent[j] * mul) >> 32);
            l0[c0] = l1[c1] = l2[c2] = l3[c3] = j;
            c0 += o == 0;
            c1 += o == 1;
            c2 += o == 2;
            c3 += o == 3;
        }
    }
    const uint32_t c[ROUTE_DIRECT_MAX] = {c0, c1, c2, c3};
    for (size_t k = 0; k < nw; k++) {
        b->start[k] = (uint32_t)k * BLOG_EVENTS_PER_BLOCK;
        b->count[k] = c[k];
    }
}

static void route_sorted(struct replay_buf *b, const uint32_t *ent, uint32_t n, uint64_t mul, size_t nw)
{
    memset(b->count, 0, nw * sizeof *b->count);
    for (uint32_t j = 0; j < n; j++)
        b->count[(ent[j] * mul) >> 32]++;
    uint32_t at = 0;
    for (size_t k = 0; k < nw; k++) {
        b->start[k] = at;
        at += b->count[k];
    }
    uint32_t next[REPLAY_MAX_THREADS];
    memcpy(next, b->start, nw * sizeof *next);
    for (uint32_t j = 0; j < n; j++)
        b->sel[next[(ent[j] * mul) >> 32]++] = j;
}

/* Decode block i into buf and list its positions by owner, each list in
 * block order. */
static int decode_and_route(struct replay_worker *w, struct replay_buf *b, size_t i)
{
    struct replay_run *r = w->run;
    int rc = logr_decode(&b->cur, i, &w->err);
    if (rc)
        return rc;
    const uint32_t *ent = b->cur.cols.ids[EVB_IDX(BLOG_C_ENTITY)];
    if (r->nw <= ROUTE_DIRECT_MAX)
        route_direct(b, ent, b->cur.cols.n, r->owner_mul, r->nw);
    else
        route_sorted(b, ent, b->cur.cols.n, r->owner_mul, r->nw);
    b->ready = 1;
    return 0;
}

/* One worker of a run with several: rounds as described above.  Every
 * worker runs every round up to the first with a damaged block, so the
 * barriers always meet; the error reported is the lowest damaged block of
 * that round, the same whatever the interleaving. */
static void *work_rounds(void *arg)
{
    struct replay_worker *w = arg;
    struct replay_run *r = w->run;
    const size_t rounds = (r->r.nev + r->nw - 1) / r->nw;
    for (size_t round = 0; round < rounds; round++) {
        struct replay_buf *b = &w->buf[round & 1];
        size_t i = round * r->nw + w->index;
        b->ready = 0;
        if (i < r->r.nev) {
            const struct blog_block *blk = logr_block(&r->r, i);
            if (blk->h.a > r->as_of) {   /* wholly after as_of: only its count matters */
                part_add_after(w->part, blk->h.count);
            } else {
                int rc = decode_and_route(w, b, i);
                if (rc) {
                    w->rc = rc;
                    w->err_block = i;
                    size_t cur = atomic_load(&r->stop_round);
                    while (round < cur && !atomic_compare_exchange_weak(&r->stop_round, &cur, round))
                        ;
                }
            }
        }
        pthread_barrier_wait(&r->barrier);
        if (atomic_load(&r->stop_round) <= round)
            break;
        for (size_t k = 0; k < r->nw; k++) {
            const struct replay_buf *o = &r->w[k].buf[round & 1];
            if (o->ready)
                part_add_sel(w->part, &o->cur.cols, o->sel + o->start[w->index], o->count[w->index]);
        }
    }
    return NULL;
}

/* The one-thread path: every block in file order, folded as decoded. */
static void work_alone(struct replay_worker *w)
{
    struct replay_run *r = w->run;
    for (size_t i = 0; i < r->r.nev; i++) {
        const struct blog_block *blk = logr_block(&r->r, i);
        if (blk->h.a > r->as_of) {
            part_add_after(w->part, blk->h.count);
            continue;
        }
        int rc = logr_decode(&w->buf[0].cur, i, &w->err);
        if (rc) {
            w->rc = rc;
            w->err_block = i;
            return;
        }
        part_add(w->part, &w->buf[0].cur.cols);
    }
}

/* Set up nw workers: cursors, position buffers and (with more than one)
 * counters of their own, all allocated here so that running out of memory
 * is an error of the replay and never of a thread. */
static int setup_workers(struct replay_run *r, size_t nw, struct fb_error *err)
{
    if (!(r->w = calloc(nw, sizeof *r->w)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    r->nw = nw;
    for (size_t k = 0; k < nw; k++) {
        struct replay_worker *w = &r->w[k];
        w->run = r;
        w->index = k;
        fb_error_clear(&w->err);
        w->part = nw == 1 ? r->part : part_new_sharing(r->part);
        if (!w->part)
            return fb_fail(err, FB_ENOMEM, "out of memory");
        for (int h = 0; h < (nw == 1 ? 1 : 2); h++) {
            struct replay_buf *b = &w->buf[h];
            int rc = logr_cursor_init(&b->cur, &r->r, &r->want, 0, r->r.nev, err);
            if (rc)
                return rc;
            if (nw == 1)
                continue;
            size_t lists = nw <= ROUTE_DIRECT_MAX ? ROUTE_DIRECT_MAX : 1;
            b->sel = malloc(lists * BLOG_EVENTS_PER_BLOCK * sizeof *b->sel);
            b->start = malloc(nw * sizeof *b->start);
            b->count = malloc(nw * sizeof *b->count);
            if (!b->sel || !b->start || !b->count)
                return fb_fail(err, FB_ENOMEM, "out of memory");
        }
    }
    return 0;
}

static void free_workers(struct replay_run *r)
{
    for (size_t k = 0; r->w && k < r->nw; k++) {
        for (int h = 0; h < 2; h++) {
            logr_cursor_free(&r->w[k].buf[h].cur);
            free(r->w[k].buf[h].sel);
            free(r->w[k].buf[h].start);
            free(r->w[k].buf[h].count);
        }
        if (r->w[k].part != r->part)
            part_free(r->w[k].part);
    }
    free(r->w);
}

/* A started thread waits here until every thread has started (go = 1) or
 * one could not be (go = -1: the run goes on in the calling thread alone);
 * the rounds need every worker at every barrier. */
static int wait_for_go(struct replay_run *r)
{
    pthread_mutex_lock(&r->gate);
    while (r->go == 0)
        pthread_cond_wait(&r->gate_cv, &r->gate);
    int go = r->go;
    pthread_mutex_unlock(&r->gate);
    return go;
}

static void set_go(struct replay_run *r, int go)
{
    pthread_mutex_lock(&r->gate);
    r->go = go;
    pthread_cond_broadcast(&r->gate_cv);
    pthread_mutex_unlock(&r->gate);
}

static void *thread_main(void *arg)
{
    struct replay_worker *w = arg;
    if (wait_for_go(w->run) > 0)
        work_rounds(w);
    return NULL;
}

/* Run the workers: nw - 1 threads and this one, in rounds; or this thread
 * alone when there is one worker or a thread cannot be started (the report
 * is the same either way). */
static void run_workers(struct replay_run *r)
{
    if (r->nw == 1) {
        work_alone(&r->w[0]);
        return;
    }
    /* Entity e < nent goes to worker (e * mul) >> 32 < nw, since e * mul <
     * nent * mul <= nw << 32, which also keeps the product in 64 bits. */
    uint32_t nent = part_entities(r->part);
    r->owner_mul = nent ? ((uint64_t)r->nw << 32) / nent : 0;
    if (pthread_barrier_init(&r->barrier, NULL, (unsigned)r->nw) != 0) {
        work_alone(&r->w[0]);
        return;
    }
    pthread_mutex_init(&r->gate, NULL);
    pthread_cond_init(&r->gate_cv, NULL);
    size_t started = 1;
    while (started < r->nw &&
           pthread_create(&r->w[started].tid, NULL, thread_main, &r->w[started]) == 0)
        r->w[started++].started = 1;
    set_go(r, started == r->nw ? 1 : -1);
    if (started == r->nw)
        work_rounds(&r->w[0]);
    for (size_t k = 1; k < started; k++)
        pthread_join(r->w[k].tid, NULL);
    pthread_barrier_destroy(&r->barrier);
    pthread_cond_destroy(&r->gate_cv);
    pthread_mutex_destroy(&r->gate);
    if (started < r->nw)
        work_alone(&r->w[0]);
}

static int replay_blocks(struct replay_run *r, struct fb_error *err)
{
    atomic_init(&r->stop_round, SIZE_MAX);
    run_workers(r);
    const struct replay_worker *bad = NULL;
    for (size_t k = 0; k < r->nw; k++)
        if (r->w[k].rc && (!bad || r->w[k].err_block < bad->err_block))
            bad = &r->w[k];
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
 * (docs/METRICS.md §4.13).  An attribute the log does not have is a usage
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
    nw = nw < REPLAY_MAX_THREADS ? nw : REPLAY_MAX_THREADS;
    nw = nw < r->r.nev ? nw : r->r.nev ? r->r.nev : 1;
    rc = setup_workers(r, nw, err);
    if (rc == 0)
        rc = replay_blocks(r, err);
    /* A shard's latest event is not the set's: with the default as_of its
     * entities that may still turn stale stay undecided (FORMAT.md §14). */
    const struct trend_opts tr = replay_trend_opts(o);
    const struct part_summary_opts so = {stages, sh && !o->has_as_of, o->threads, &tr, &o->groups,
                                         &r->values};
    if (rc == 0)
        rc = part_summarise(r->part, &so, out, err);
    out->has_events = scan->events > 0;
    out->max_time = scan->events ? scan->max_time : 0;
    return rc;
}

struct trend_opts replay_trend_opts(const struct replay_opts *o)
{
    return (struct trend_opts){o->trend ? o->trend - 1 : TREND_OFF,
                               o->period ? o->period : TREND_DEFAULT_PERIOD};
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
    free_workers(&r);
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
