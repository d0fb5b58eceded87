/* replay.c - the replay driver; see replay.h and docs/ARCHITECTURE.md
 * "Replay on every core". */
#include "replay.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "funnel.h"
#include "hugemem.h"
#include "logreader.h"
#include "money.h"
#include "shardset.h"

#define NEEDED_DICTS ((1u << BLOG_D_STAGE) | (1u << BLOG_D_CHANNEL) | (1u << BLOG_D_OUTCOME))
#define NEEDED_COLS ((1u << BLOG_C_TIME) | (1u << BLOG_C_ENTITY) | (1u << BLOG_C_STAGE) | \
                     (1u << BLOG_C_CHANNEL) | (1u << BLOG_C_OUTCOME))

/* With several threads (docs/ARCHITECTURE.md "Replay on every core"),
 * worker k owns the entities (e * owner_mul) >> 32 == k, ranges of equal
 * size, and is the only thread that writes their cells: the shared array
 * needs no atomics, and each thread's random writes fall in its own 1/nw
 * of it.  Decoded blocks wait in a ring of slots, 2 per worker.  A worker
 * claims the next block in file order (when its slot is free again),
 * decodes it into the slot and lists its positions by owner; and every
 * worker folds, block after block in file order, the events it owns from
 * each slot, then counts the slot folded once more.  A slot is free when
 * all nw workers have folded it.  Workers wait only for the block they
 * need next, so one that is slower for a while (a larger block, a core
 * taken by another process) delays the others by at most the ring. */
struct replay_slot {
    struct logr_cursor cur;
    uint32_t *sel;                /* positions, grouped by owner */
    uint32_t *start, *count;      /* nw each: owner k's are sel[start[k]] .. + count[k] */
    int empty;                    /* the block needs no fold (wholly after as_of) */
    int failed;                   /* the block is damaged: folding stops here */
    atomic_size_t ready;          /* block + 1 once decoded (or failed) into the slot */
    atomic_uint folded;           /* workers done with it; nw = free */
};

struct replay_worker {
    struct replay_run *run;
    size_t index;
    struct part *part;            /* the run's part itself with one worker */
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
    uint32_t *amount_rank;        /* value(e): amount id -> rank + 1 (NULL: no amounts) */
    struct money *money;          /* rank -> amount */
    void *value_block;            /* holds both (setup_value) */
    size_t value_bytes;
    uint64_t owner_mul;           /* owner of entity e: (e * owner_mul) >> 32 */
    struct replay_slot *slot;     /* nslot; slot[i % nslot] holds block i */
    size_t nslot;
    uint32_t *sel;                /* every slot's lists, one block (hugemem.h) */
    size_t sel_bytes;
    pthread_mutex_t claim;        /* guards next_block */
    size_t next_block;            /* the next block to decode */
    atomic_size_t first_bad;      /* the lowest damaged block seen (SIZE_MAX: none) */
    pthread_mutex_t gate;         /* go: 0 wait, 1 run the slots, -1 do not */
    pthread_cond_t gate_cv;
    int go;
    uint32_t *all_attr;           /* replay_visit: every attribute name id, 1 .. n */
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

#define SPIN_BEFORE_YIELD 2000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Wait a little: spin first, since the slot waited for is usually a block
 * decode away (sleeping in the kernel and being woken took longer than
 * that on the virtual machines measured), then yield the core to the
 * thread being waited for when there are more threads than cores. */
static void backoff(unsigned *spins)
{
    if (++*spins < SPIN_BEFORE_YIELD)
        cpu_relax();
    else
        sched_yield();
}

/* Up to this many workers, routing writes every position into every
 * owner's list and advances only the owner's count: one pass with no
 * branch and no counter in memory.  Beyond, a counting sort (two passes)
 * keeps the lists in one block-sized array. */
#define ROUTE_DIRECT_MAX 4

static void route_direct(struct replay_slot *b, const uint32_t *ent, uint32_t n, uint64_t mul, size_t nw)
{
    uint32_t *l0 = b->sel, *l1 = l0 + BLOG_EVENTS_PER_BLOCK;
    uint32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    if (nw == 2) {   /* the slot has two lists only */
        for (uint32_t j = 0; j < n; j++) {
            uint32_t o = (uint32_t)((ent[j] * mul) >> 32);
            l0[c0] = j;
            l1[c1] = j;
            c0 += o == 0;
            c1 += o == 1;
        }
    } else {
        uint32_t *l2 = l1 + BLOG_EVENTS_PER_BLOCK, *l3 = l2 + BLOG_EVENTS_PER_BLOCK;
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

static void route_sorted(struct replay_slot *b, const uint32_t *ent, uint32_t n, uint64_t mul, size_t nw)
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

/* Claim the next block to decode, when there is one below the first
 * damaged block and its slot is free; returns 1 and sets *i. */
static int claim_block(struct replay_run *r, size_t *i)
{
    int got = 0;
    pthread_mutex_lock(&r->claim);
    size_t b = r->next_block;
    if (b < r->r.nev && b < atomic_load(&r->first_bad) &&
        atomic_load_explicit(&r->slot[b % r->nslot].folded, memory_order_acquire) == r->nw) {
        /* Taken now, under the lock: were it taken when the decode
         * starts, block b + nslot could be claimed into the same slot
         * in between, and one of the two would be lost. */
        atomic_store_explicit(&r->slot[b % r->nslot].folded, 0, memory_order_relaxed);
        r->next_block = b + 1;
        *i = b;
        got = 1;
    }
    pthread_mutex_unlock(&r->claim);
    return got;
}

/* Decode block i into its slot and list its positions by owner, each list
 * in block order; then publish it. */
static void decode_block(struct replay_worker *w, size_t i)
{
    struct replay_run *r = w->run;
    struct replay_slot *sl = &r->slot[i % r->nslot];
    sl->empty = sl->failed = 0;
    const struct blog_block *blk = logr_block(&r->r, i);
    if (blk->h.a > r->as_of) {   /* wholly after as_of: only its count matters */
        part_add_after(w->part, blk->h.count);
        sl->empty = 1;
    } else {
        struct fb_error e;
        fb_error_clear(&e);
        int rc = logr_decode(&sl->cur, i, &e);
        if (rc) {
            sl->failed = 1;
            if (!w->rc || i < w->err_block) {
                w->rc = rc;
                w->err_block = i;
                w->err = e;
            }
            size_t cur = atomic_load(&r->first_bad);
            while (i < cur && !atomic_compare_exchange_weak(&r->first_bad, &cur, i))
                ;
        } else {
            const uint32_t *ent = sl->cur.cols.ids[EVB_IDX(BLOG_C_ENTITY)];
            if (r->nw <= ROUTE_DIRECT_MAX)
                route_direct(sl, ent, sl->cur.cols.n, r->owner_mul, r->nw);
            else
                route_sorted(sl, ent, sl->cur.cols.n, r->owner_mul, r->nw);
        }
    }
    atomic_store_explicit(&sl->ready, i + 1, memory_order_release);
}

/* One worker of a run with several: fold the blocks in file order, and
 * decode whenever the next block to fold is not ready yet.  It stops at
 * the end or at the first damaged block; every block before that one has
 * been claimed and is decoded by someone, so no slot it waits for stays
 * unfilled, and the error reported (the lowest damaged block, replay_blocks)
 * is the same whatever the interleaving. */
static void *work_slots(void *arg)
{
    struct replay_worker *w = arg;
    struct replay_run *r = w->run;
    const size_t me = w->index;
    unsigned spins = 0;
    for (size_t f = 0; f < r->r.nev;) {
        struct replay_slot *sl = &r->slot[f % r->nslot];
        if (atomic_load_explicit(&sl->ready, memory_order_acquire) == f + 1) {
            if (sl->failed)
                break;
            if (!sl->empty)
                part_add_sel(w->part, &sl->cur.cols, sl->sel + sl->start[me], sl->count[me]);
            atomic_fetch_add_explicit(&sl->folded, 1, memory_order_release);
            f++;
            spins = 0;
            continue;
        }
        size_t i;
        if (claim_block(r, &i)) {
            decode_block(w, i);
            spins = 0;
        } else {
            backoff(&spins);
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
        int rc = logr_decode(&r->slot[0].cur, i, &w->err);
        if (rc) {
            w->rc = rc;
            w->err_block = i;
            return;
        }
        part_add(w->part, &r->slot[0].cur.cols);
    }
}

/* Set up nw workers (counters of their own when more than one) and the
 * slots (one with one worker, else 2 a worker), all allocated here so
 * that running out of memory is an error of the replay and never of a
 * thread. */
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
    }
    size_t ns = nw == 1 ? 1 : 2 * nw;
    if (!(r->slot = calloc(ns, sizeof *r->slot)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    r->nslot = ns;
    /* The lists route_direct writes (2 workers: 2, up to 4: 4) or the one
     * of route_sorted, of every slot in one block: in huge pages they
     * take a page fault or two instead of 128 a list. */
    const size_t lists = nw == 2 ? 2 : nw <= ROUTE_DIRECT_MAX ? ROUTE_DIRECT_MAX : 1;
    const size_t per_slot = lists * BLOG_EVENTS_PER_BLOCK;
    r->sel_bytes = ns * per_slot * sizeof *r->sel;
    if (nw > 1 && !(r->sel = huge_zalloc(r->sel_bytes)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (size_t k = 0; k < ns; k++) {
        struct replay_slot *sl = &r->slot[k];
        atomic_init(&sl->ready, 0);
        atomic_init(&sl->folded, (unsigned)nw);
        int rc = logr_cursor_init(&sl->cur, &r->r, &r->want, 0, r->r.nev, err);
        if (rc)
            return rc;
        if (nw == 1)
            continue;
        sl->sel = r->sel + k * per_slot;
        sl->start = malloc(nw * sizeof *sl->start);
        sl->count = malloc(nw * sizeof *sl->count);
        if (!sl->start || !sl->count)
            return fb_fail(err, FB_ENOMEM, "out of memory");
    }
    return 0;
}

static void free_workers(struct replay_run *r)
{
    for (size_t k = 0; r->slot && k < r->nslot; k++) {
        logr_cursor_free(&r->slot[k].cur);
        free(r->slot[k].start);
        free(r->slot[k].count);
    }
    free(r->slot);
    huge_zfree(r->sel, r->sel_bytes);
    for (size_t k = 0; r->w && k < r->nw; k++)
        if (r->w[k].part != r->part)
            part_free(r->w[k].part);
    free(r->w);
}

/* A started thread waits here until every thread has started (go = 1) or
 * one could not be (go = -1: the run goes on in the calling thread alone);
 * every worker must fold, since it alone folds the entities it owns. */
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
        work_slots(w);
    return NULL;
}

/* Run the workers: nw - 1 threads and this one; or this thread
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
    pthread_mutex_init(&r->claim, NULL);
    pthread_mutex_init(&r->gate, NULL);
    pthread_cond_init(&r->gate_cv, NULL);
    size_t started = 1;
    while (started < r->nw &&
           pthread_create(&r->w[started].tid, NULL, thread_main, &r->w[started]) == 0)
        r->w[started++].started = 1;
    set_go(r, started == r->nw ? 1 : -1);
    if (started == r->nw)
        work_slots(&r->w[0]);
    for (size_t k = 1; k < started; k++)
        pthread_join(r->w[k].tid, NULL);
    pthread_cond_destroy(&r->gate_cv);
    pthread_mutex_destroy(&r->gate);
    pthread_mutex_destroy(&r->claim);
    if (started < r->nw)
        work_alone(&r->w[0]);
}

static int replay_blocks(struct replay_run *r, struct fb_error *err)
{
    atomic_init(&r->first_bad, SIZE_MAX);
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

/* replay_visit: one attribution cell per attribute of the log, every
 * attribute column decoded, and the values ranked (once, when --by has not
 * already).  Returns the number of cells or a negative FB_E* code. */
static int64_t setup_all_attrs(struct replay_run *r, const struct groups_opts *g, struct fb_error *err)
{
    int rc = logr_load_dicts(&r->r, (1u << BLOG_D_ATTR_NAME) | (1u << BLOG_D_ATTR_VALUE), err);
    if (rc)
        return rc;
    uint32_t n = dict_size(logr_dict(&r->r, BLOG_D_ATTR_NAME)) - 1;
    if (n > PART_MAX_ATTRS)
        return fb_fail(err, FB_ECORRUPT, "%s: %u attribute names, more than a log holds", r->r.path, n);
    if (!(r->all_attr = malloc((n ? n : 1) * sizeof *r->all_attr)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (uint32_t k = 0; k < n; k++)
        r->all_attr[k] = k + 1;
    r->want.cols |= 1u << BLOG_C_ATTR;
    if (g->nby == 0 && (rc = groups_rank_values(logr_dict(&r->r, BLOG_D_ATTR_VALUE), &r->values, err)))
        return rc;
    return n;
}

/* An amount of the dictionary to rank: ordered by units, then k, then id
 * (k and id in one key), which is money_cmp's order, equal amounts
 * spelled alike ending up next to each other. */
struct ranked_amount {
    unsigned __int128 units;
    uint64_t k_id;               /* k << 32 | id */
};

static inline int amount_less(const struct ranked_amount *x, const struct ranked_amount *y)
{
    return x->units < y->units || (x->units == y->units && x->k_id < y->k_id);
}

/* Sort a[0..n) by amount_less (the keys are distinct: every id once),
 * tmp holding n: runs of 16 by insertion, then merged bottom up, the
 * comparison inlined (qsort's call per comparison and its copies of each
 * element took a third of the set-up of a replay of a log with amounts). */
static void sort_amounts(struct ranked_amount *a, struct ranked_amount *tmp, size_t n)
{
    const size_t run = 16;
    for (size_t lo = 0; lo < n; lo += run) {
        const size_t hi = lo + run < n ? lo + run : n;
        for (size_t i = lo + 1; i < hi; i++) {
            struct ranked_amount x = a[i];
            size_t j = i;
            for (; j > lo && amount_less(&x, &a[j - 1]); j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
    }
    struct ranked_amount *src = a, *dst = tmp;
    for (size_t width = run; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            const size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = amount_less(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        struct ranked_amount *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* value(e) (docs/METRICS.md §4.19): every amount of the log's dictionary
 * parsed once and ranked by money_cmp (equal amounts share a rank), so
 * that one max per entity keeps the latest, then largest; the amount
 * column is decoded only when the log has a non-empty amount, and only
 * then does each entity get a value cell.  The ranking's scratch, the
 * ranks and the amounts by rank share one block (hugemem.h: its pages,
 * all written at once here, are one fault instead of hundreds). */
static int setup_value(struct replay_run *r, struct fb_error *err)
{
    if (r->r.scan.dict_sizes[BLOG_D_AMOUNT] <= 1)
        return 0;
    int rc = logr_load_dicts(&r->r, 1u << BLOG_D_AMOUNT, err);
    if (rc)
        return rc;
    const struct dict *d = logr_dict(&r->r, BLOG_D_AMOUNT);
    const uint32_t size = dict_size(d);
    if (size - 1 > GROUPS_RANK_MASK - 1)
        return fb_fail(err, FB_EUSAGE, "%s holds %u distinct amounts, more than %u", r->r.path, size - 1,
                       (unsigned)(GROUPS_RANK_MASK - 1));
    r->value_bytes = (size_t)size * (2 * sizeof(struct ranked_amount) + sizeof *r->money + sizeof *r->amount_rank);
    unsigned char *block = huge_zalloc(r->value_bytes);
    if (!(r->value_block = block))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    struct ranked_amount *a = (struct ranked_amount *)block, *tmp = a + size;
    r->money = (struct money *)(tmp + size);
    r->amount_rank = (uint32_t *)(r->money + size);   /* zero: no amount */
    uint32_t n = 0;
    for (uint32_t id = 1; id < size; id++) {
        size_t len;
        const char *s = dict_str(d, id, &len);
        if (len == 0)
            continue;
        struct money m;
        if (money_parse(s, len, &m) != 0)
            return fb_fail_at(err, FB_EINPUT, r->r.path, 0, 0, "amount \"%.40s\" is not an amount funnel can add "
                              "(digits with an optional .digits part, below 2^128 billionths)", s);
        a[n++] = (struct ranked_amount){m.units, (uint64_t)m.k << 32 | id};
    }
    sort_amounts(a, tmp, n);
    uint32_t rank = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (k == 0 || a[k - 1].units != a[k].units || a[k - 1].k_id >> 32 != a[k].k_id >> 32)
            r->money[rank++] = (struct money){a[k].units, (unsigned)(a[k].k_id >> 32)};
        r->amount_rank[(uint32_t)a[k].k_id] = rank;   /* rank + 1 of its amount */
    }
    r->want.cols |= 1u << BLOG_C_AMOUNT;
    return 0;
}

/* "1,260": n with a comma every three digits, for messages. */
static void grouped(uint64_t n, char out[32])
{
    char d[24];
    int len = snprintf(d, sizeof d, "%llu", (unsigned long long)n), w = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[w++] = ',';
        out[w++] = d[i];
    }
    out[w] = '\0';
}

/* --touches (docs/METRICS.md §4.22): the touch dictionary names the
 * types, the touch column is decoded, and the bits per entity are capped
 * (docs/DECISIONS.md): more combinations are a usage error naming the
 * counts.  Returns the number of touch ids (0: off) or a negative code. */
static int64_t setup_touches(struct replay_run *r, const struct replay_opts *o, struct fb_error *err)
{
    if (!o->touches)
        return 0;
    int rc = logr_load_dicts(&r->r, 1u << BLOG_D_TOUCH, err);
    if (rc)
        return rc;
    const uint64_t nt = dict_size(logr_dict(&r->r, BLOG_D_TOUCH)), ns = o->def->n;
    if (ns * 2 * nt > TOUCH_MAX_COMBOS) {
        char a[32], b[32];
        grouped(ns * 2 * nt, a);
        grouped(TOUCH_MAX_COMBOS, b);
        return fb_fail(err, FB_EUSAGE, "--touches: %llu stage%s x 2 channels x %llu touch type%s = %s "
                       "combinations, more than %s", (unsigned long long)ns, ns == 1 ? "" : "s",
                       (unsigned long long)nt, nt == 1 ? "" : "s", a, b);
    }
    r->want.cols |= 1u << BLOG_C_TOUCH;
    return (int64_t)nt;
}

static int run(struct replay_run *r, const char *path, const struct replay_opts *o,
               const struct replay_shard *sh, const struct replay_visitor *visit,
               struct summary *out, struct fb_error *err)
{
    int rc = logr_open_upto(&r->r, path, o->log_end, err);
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
    if (rc == 0)
        rc = setup_value(r, err);
    if (rc == 0 && visit)
        rc = logr_load_dicts(&r->r, visit->dicts, err);
    int64_t nall = rc == 0 && visit ? setup_all_attrs(r, &o->groups, err) : 0;
    int64_t ntouch = rc == 0 && nall >= 0 && !visit ? setup_touches(r, o, err) : 0;
    if (rc || nall < 0 || ntouch < 0)
        return rc ? rc : nall < 0 ? (int)nall : (int)ntouch;
    const struct blog_scan *scan = &r->r.scan;
    r->as_of = o->has_as_of ? o->as_of : scan->events ? scan->max_time : 0;
    const struct dict *stages = logr_dict(&r->r, BLOG_D_STAGE);
    struct funnel_maps maps = {r->stage_map, dict_size(stages), r->sales, r->lost,
                               (uint32_t)o->groups.nby, r->by_attr, r->values.rank, o->groups.last,
                               r->amount_rank, r->money, scan->events != 0, scan->min_time};
    if (visit) {   /* every attribute instead of --by's, which setup_by has checked */
        maps.nby = (uint32_t)nall;
        maps.by_attr = r->all_attr;
    }
    r->part = part_new_touches(o->def, scan->dict_sizes[BLOG_D_ENTITY], r->as_of, o->stale_after, &maps,
                               ntouch ? logr_dict(&r->r, BLOG_D_TOUCH) : NULL);
    if (!r->part)
        return fb_fail(err, FB_ENOMEM, "out of memory for %u entities",
                       scan->dict_sizes[BLOG_D_ENTITY]);
    part_set_conv(r->part, &o->conv);
    /* More threads than blocks would only wait. */
    size_t nw = o->threads > 1 ? (size_t)o->threads : 1;
    nw = nw < REPLAY_MAX_THREADS ? nw : REPLAY_MAX_THREADS;
    nw = nw < r->r.nev ? nw : r->r.nev ? r->r.nev : 1;
    rc = setup_workers(r, nw, err);
    if (rc == 0)
        rc = replay_blocks(r, err);
    if (visit) {
        const struct replay_view v = {r->part, &r->r, r->all_attr, (uint32_t)nall, &r->values,
                                      r->stage_map, r->as_of};
        return rc ? rc : visit->fn(visit->ctx, &v, err);
    }
    /* A shard's latest event is not the set's: with the default as_of its
     * entities that may still turn stale stay undecided (FORMAT.md §14). */
    const struct trend_opts tr = replay_trend_opts(o);
    const struct part_summary_opts so = {stages, sh && !o->has_as_of, o->threads, &tr, &o->groups,
                                         &r->values};
    if (rc == 0)
        rc = part_summarise(r->part, &so, out, err);
    out->threads = o->threads;   /* the finish's medians, one set a thread */
    out->has_events = scan->events > 0;
    out->max_time = scan->events ? scan->max_time : 0;
    return rc;
}

struct trend_opts replay_trend_opts(const struct replay_opts *o)
{
    return (struct trend_opts){o->trend ? o->trend - 1 : TREND_OFF,
                               o->period ? o->period : TREND_DEFAULT_PERIOD};
}

/* replay_summary and replay_visit: run, then release the run. */
static int run_once(const char *path, const struct replay_opts *o, const struct replay_shard *shard,
                    const struct replay_visitor *visit, struct summary *out, struct replay_info *info,
                    struct fb_error *err)
{
    struct replay_run r;
    memset(&r, 0, sizeof r);
    memset(info, 0, sizeof *info);
    int rc = run(&r, path, o, shard, visit, out, err);
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
    huge_zfree(r.value_block, r.value_bytes);
    logr_want_free(&r.want);
    groups_values_free(&r.values);
    free(r.all_attr);
    logr_close(&r.r);
    return rc;
}

int replay_summary(const char *path, const struct replay_opts *o, const struct replay_shard *shard,
                   struct summary *out, struct replay_info *info, struct fb_error *err)
{
    memset(out, 0, sizeof *out);
    return run_once(path, o, shard, NULL, out, info, err);
}

int replay_visit(const char *path, const struct replay_opts *o, const struct replay_visitor *visit,
                 struct replay_info *info, struct fb_error *err)
{
    struct summary unused;
    memset(&unused, 0, sizeof unused);
    return run_once(path, o, NULL, visit, &unused, info, err);
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
