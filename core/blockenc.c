/* blockenc.c - the encoding thread; see blockenc.h.  One mutex and one
 * condition variable: the worker sleeps until a block is handed over, and
 * the caller sleeps until the worker is idle before handing another. */
#include "blockenc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blocklog.h"

struct blockenc {
    int level;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy;               /* worker holds cols[1 - fill] */
    int quit;
    int rc;                 /* first worker error */
    int fill;               /* index of the columns the caller fills */
    struct evb_cols cols[2];
    struct evb_scratch scratch;
    struct buf payload;
    struct buf blocks;      /* encoded EVENTS blocks, in submission order */
};

static int encode(struct blockenc *be, const struct evb_cols *c)
{
    int64_t lo, hi;
    if (evb_encode(c, be->level, &be->scratch, &be->payload, &lo, &hi) != 0)
        return FB_ENOMEM;
    return blog_block_append(&be->blocks, BLOG_T_EVENTS, 0, c->n, lo, hi, be->payload.p,
                             be->payload.len);
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
        struct evb_cols *c = &be->cols[1 - be->fill];
        pthread_mutex_unlock(&be->mu);
        int rc = encode(be, c);
        pthread_mutex_lock(&be->mu);
        if (rc && !be->rc)
            be->rc = rc;
        be->busy = 0;
        pthread_cond_broadcast(&be->cv);
    }
    pthread_mutex_unlock(&be->mu);
    return NULL;
}

struct blockenc *blockenc_new(int level)
{
    struct blockenc *be = calloc(1, sizeof *be);
    if (!be)
        return NULL;
    be->level = level;
    if (evb_cols_init(&be->cols[0], BLOG_EVENTS_PER_BLOCK, 0) != 0 ||
        evb_cols_init(&be->cols[1], BLOG_EVENTS_PER_BLOCK, 0) != 0) {
        evb_cols_free(&be->cols[0]);
        free(be);
        return NULL;
    }
    pthread_mutex_init(&be->mu, NULL);
    pthread_cond_init(&be->cv, NULL);
    if (pthread_create(&be->thread, NULL, worker, be) != 0) {
        pthread_mutex_destroy(&be->mu);
        pthread_cond_destroy(&be->cv);
        evb_cols_free(&be->cols[0]);
        evb_cols_free(&be->cols[1]);
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
    evb_cols_free(&be->cols[0]);
    evb_cols_free(&be->cols[1]);
    evb_scratch_free(&be->scratch);
    buf_free(&be->payload);
    buf_free(&be->blocks);
    free(be);
}

struct evb_cols *blockenc_cols(struct blockenc *be) { return &be->cols[be->fill]; }

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
    if (rc || be->cols[be->fill].n == 0)
        return rc;
    pthread_mutex_lock(&be->mu);
    be->fill = 1 - be->fill;
    be->busy = 1;
    pthread_cond_broadcast(&be->cv);
    pthread_mutex_unlock(&be->mu);
    /* The fresh set may hold an older block's attribute ids: absent
     * attributes must read as "" (id 0). */
    struct evb_cols *c = &be->cols[be->fill];
    c->n = 0;
    for (uint32_t a = 0; a < c->natt; a++)
        memset(c->att[a], 0, (size_t)c->cap * sizeof(uint32_t));
    return 0;
}

int blockenc_reshape(struct blockenc *be, uint32_t natt, const uint32_t *names)
{
    int rc = blockenc_submit(be);
    if (rc == 0)
        rc = wait_idle(be);
    for (int i = 0; i < 2 && rc == 0; i++) {
        evb_cols_free(&be->cols[i]);
        if (evb_cols_init(&be->cols[i], BLOG_EVENTS_PER_BLOCK, natt) != 0)
            rc = FB_ENOMEM;
        else
            memcpy(be->cols[i].att_name, names, natt * sizeof *names);
    }
    return rc;
}

int blockenc_drain(struct blockenc *be, struct buf *out)
{
    int rc = blockenc_submit(be);
    if (rc == 0)
        rc = wait_idle(be);
    if (rc == 0 && buf_append(out, be->blocks.p, be->blocks.len) != 0)
        rc = FB_ENOMEM;
    be->blocks.len = 0;
    return rc;
}
