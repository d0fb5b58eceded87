/* blockenc.c - the encoding thread; see blockenc.h.  One mutex and one
 * condition variable: the worker sleeps until a block is handed over, and
 * the caller sleeps until the worker is idle before handing another. */
#include "blockenc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blocklog.h"

/* Pending strings of one column slot, waiting for their ids. */
struct pending {
    uint32_t *off, *len;
    uint64_t *hash;
};

/* One buffer set: columns plus the strings waiting for their ids. */
struct encset {
    struct evb_cols cols;
    struct buf bytes;
    uint32_t nslots;
    struct pending *slot;
};

struct blockenc {
    int level;
    struct dict *const *dicts;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy;               /* worker holds cols[1 - fill] */
    int quit;
    int rc;                 /* first worker error */
    int fill;               /* index of the set the caller fills */
    struct encset set[2];
    struct evb_scratch scratch;
    struct buf payload;
    struct buf block;       /* the block being encoded */
    struct spill *sink;     /* where finished blocks go, in submission order */
};

/* A set starts with room for FIRST_CAP events and doubles up to
 * BLOG_EVENTS_PER_BLOCK as it fills: a nightly file of a few hundred rows
 * (or a fuzz input) need not allocate and clear ~20 MB of full-block arrays,
 * while a big file grows each set once, in its first block. */
#define FIRST_CAP 1024u

#define PREFETCH_FAR 16
#define PREFETCH_NEAR 8

static uint32_t *slot_ids(struct evb_cols *c, uint32_t slot)
{
    return slot < EVB_NIDS ? c->ids[slot] : c->att[slot - EVB_NIDS];
}

/* Intern one slot's strings in event order, fetching the dictionary ahead:
 * with a million entities each lookup would otherwise wait on memory. */
static int resolve_slot(struct encset *st, uint32_t slot, struct dict *d)
{
    const struct pending *p = &st->slot[slot];
    const char *base = st->bytes.p ? (const char *)st->bytes.p : "";
    uint32_t *ids = slot_ids(&st->cols, slot), n = st->cols.n;
    for (uint32_t i = 0; i < n; i++) {
        if (i + PREFETCH_FAR < n)
            dict_prefetch(d, p->hash[i + PREFETCH_FAR], 0);
        if (i + PREFETCH_NEAR < n)
            dict_prefetch(d, p->hash[i + PREFETCH_NEAR], 1);
        if (dict_intern_hashed(d, base + p->off[i], p->len[i], p->hash[i],
                               &ids[i], NULL) != 0)
            return FB_ENOMEM;
    }
    return 0;
}

static int resolve(struct blockenc *be, struct encset *st)
{
    for (uint32_t k = 0; k < st->nslots; k++) {
        struct dict *d = be->dicts[k < EVB_NIDS ? k : BLOG_D_ATTR_VALUE];
        if (resolve_slot(st, k, d) != 0)
            return FB_ENOMEM;
    }
    st->bytes.len = 0;
    return 0;
}

static int encode(struct blockenc *be, struct encset *st)
{
    const struct evb_cols *c = &st->cols;
    int64_t lo, hi;
    if (resolve(be, st) != 0)
        return FB_ENOMEM;
    if (evb_encode(c, be->level, &be->scratch, &be->payload, &lo, &hi) != 0)
        return FB_ENOMEM;
    be->block.len = 0;
    if (blog_block_append(&be->block, BLOG_T_EVENTS, 0, c->n, lo, hi, be->payload.p,
                          be->payload.len) != 0)
        return FB_ENOMEM;
    return spill_append(be->sink, be->block.p, be->block.len);
}

static void *worker(void *arg)
{
    struct blockenc *be = arg;
    pthread_mutex_lock(&be->mu);
    for (;;) {
        while (!be->busy && !be->quit)
            pthread_cond_wait(&be->cv, &be->mu);
        if (!be->busy)
            break;
        struct encset *st = &be->set[1 - be->fill];
        pthread_mutex_unlock(&be->mu);
        int rc = encode(be, st);
        pthread_mutex_lock(&be->mu);
        if (rc && !be->rc)
            be->rc = rc;
        be->busy = 0;
        pthread_cond_broadcast(&be->cv);
    }
    pthread_mutex_unlock(&be->mu);
    return NULL;
}

static void set_free(struct encset *st)
{
    evb_cols_free(&st->cols);
    buf_free(&st->bytes);
    for (uint32_t k = 0; st->slot && k < st->nslots; k++) {
        free(st->slot[k].off);
        free(st->slot[k].len);
        free(st->slot[k].hash);
    }
    free(st->slot);
    memset(st, 0, sizeof *st);
}

/* Grow the set's columns and pending arrays to cap events.  Pending
 * lengths of the new room are 0: fields never given read as "" (id 0).  On
 * failure the set keeps its old capacity (cols.cap), still whole. */
static int set_grow(struct encset *st, uint32_t cap)
{
    uint32_t old = st->cols.cap;
    for (uint32_t k = 0; k < st->nslots; k++) {
        struct pending *p = &st->slot[k];
        uint32_t *off = evb_grown(p->off, sizeof *p->off, old, cap);
        if (!off)
            return FB_ENOMEM;
        p->off = off;
        uint32_t *len = evb_grown(p->len, sizeof *p->len, old, cap);
        if (!len)
            return FB_ENOMEM;
        p->len = len;
        uint64_t *hash = evb_grown(p->hash, sizeof *p->hash, old, cap);
        if (!hash)
            return FB_ENOMEM;
        p->hash = hash;
    }
    return evb_cols_grow(&st->cols, cap);
}

/* Columns and pending arrays for the fixed slots and natt attributes, with
 * room for FIRST_CAP events. */
static int set_init(struct encset *st, uint32_t natt)
{
    memset(st, 0, sizeof *st);
    st->slot = calloc(EVB_NIDS + natt, sizeof *st->slot);
    int ok = st->slot != NULL && evb_cols_init(&st->cols, 0, natt) == 0;
    st->nslots = ok ? EVB_NIDS + natt : 0;
    if (!ok || set_grow(st, FIRST_CAP) != 0) {
        set_free(st);
        return FB_ENOMEM;
    }
    return 0;
}

struct blockenc *blockenc_new(int level, struct dict *const *dicts, struct spill *sink)
{
    struct blockenc *be = calloc(1, sizeof *be);
    if (!be)
        return NULL;
    be->level = level;
    be->dicts = dicts;
    be->sink = sink;
    if (set_init(&be->set[0], 0) != 0) {
        free(be);
        return NULL;
    }
    if (set_init(&be->set[1], 0) != 0) {
        set_free(&be->set[0]);
        free(be);
        return NULL;
    }
    pthread_mutex_init(&be->mu, NULL);
    pthread_cond_init(&be->cv, NULL);
    if (pthread_create(&be->thread, NULL, worker, be) != 0) {
        pthread_mutex_destroy(&be->mu);
        pthread_cond_destroy(&be->cv);
        set_free(&be->set[0]);
        set_free(&be->set[1]);
        free(be);
        return NULL;
    }
    return be;
}

void blockenc_free(struct blockenc *be)
{
    if (!be)
        return;
    pthread_mutex_lock(&be->mu);
    be->quit = 1;
    pthread_cond_broadcast(&be->cv);
    pthread_mutex_unlock(&be->mu);
    pthread_join(be->thread, NULL);
    pthread_mutex_destroy(&be->mu);
    pthread_cond_destroy(&be->cv);
    set_free(&be->set[0]);
    set_free(&be->set[1]);
    evb_scratch_free(&be->scratch);
    buf_free(&be->payload);
    buf_free(&be->block);
    free(be);
}

struct evb_cols *blockenc_cols(struct blockenc *be) { return &be->set[be->fill].cols; }

int blockenc_room(struct blockenc *be)
{
    struct encset *st = &be->set[be->fill];
    uint32_t cap = st->cols.cap;
    if (st->cols.n < cap)
        return 0;
    if (cap >= BLOG_EVENTS_PER_BLOCK)
        return FB_ENOMEM;   /* the caller submits full blocks: cannot happen */
    cap = cap > BLOG_EVENTS_PER_BLOCK / 2 ? BLOG_EVENTS_PER_BLOCK : 2 * cap;
    return set_grow(st, cap);
}

int blockenc_field(struct blockenc *be, uint32_t slot, uint32_t i, const char *s,
                   uint32_t len, uint64_t hash)
{
    struct encset *st = &be->set[be->fill];
    struct pending *p = &st->slot[slot];
    p->off[i] = (uint32_t)st->bytes.len;
    p->len[i] = len;
    p->hash[i] = hash;
    return buf_append(&st->bytes, s, len);
}

/* Wait until the worker is idle; returns its error so far. Holds no lock. */
static int wait_idle(struct blockenc *be)
{
    pthread_mutex_lock(&be->mu);
    while (be->busy)
        pthread_cond_wait(&be->cv, &be->mu);
    int rc = be->rc;
    pthread_mutex_unlock(&be->mu);
    return rc;
}

int blockenc_submit(struct blockenc *be)
{
    int rc = wait_idle(be);
    if (rc || be->set[be->fill].cols.n == 0)
        return rc;
    pthread_mutex_lock(&be->mu);
    be->fill = 1 - be->fill;
    be->busy = 1;
    pthread_cond_broadcast(&be->cv);
    pthread_mutex_unlock(&be->mu);
    /* The fresh set still holds an older block's strings: every field not
     * given for an event must read as "" (length 0 interns as id 0). */
    struct encset *st = &be->set[be->fill];
    st->cols.n = 0;
    for (uint32_t k = 0; k < st->nslots; k++)
        memset(st->slot[k].len, 0, st->cols.cap * sizeof(uint32_t));
    return 0;
}

int blockenc_reshape(struct blockenc *be, uint32_t natt, const uint32_t *names)
{
    int rc = blockenc_submit(be);
    if (rc == 0)
        rc = wait_idle(be);
    for (int i = 0; i < 2 && rc == 0; i++) {
        set_free(&be->set[i]);
        rc = set_init(&be->set[i], natt);
        if (rc == 0)
            memcpy(be->set[i].cols.att_name, names, natt * sizeof *names);
    }
    return rc;
}

int blockenc_drain(struct blockenc *be)
{
    int rc = blockenc_submit(be);
    return rc ? rc : wait_idle(be);
}
