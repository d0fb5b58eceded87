/* logreader.c - the one reader of a log; see logreader.h and
 * docs/ARCHITECTURE.md "The reader". */
#include "logreader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dictblock.h"
#include "hugemem.h"

static int index_events(struct logr *r, struct fb_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < r->scan.nblocks; i++)
        n += r->scan.blocks[i].h.type == BLOG_T_EVENTS;
    r->ev = malloc((n ? n : 1) * sizeof *r->ev);
    if (!r->ev)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->scan.nblocks; i++)
        if (r->scan.blocks[i].h.type == BLOG_T_EVENTS)
            r->ev[r->nev++] = i;
    return 0;
}

static int open_fd_upto(struct logr *r, int fd, const char *path, int64_t upto, struct fb_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->fd = fd;
    int rc = blog_scan_fd_upto(fd, path, upto, &r->scan, err);
    return rc ? rc : index_events(r, err);
}

int logr_open_fd(struct logr *r, int fd, const char *path, struct fb_error *err)
{
    return open_fd_upto(r, fd, path, 0, err);
}

int logr_open(struct logr *r, const char *path, struct fb_error *err)
{
    return logr_open_upto(r, path, 0, err);
}

int logr_open_upto(struct logr *r, const char *path, int64_t upto, struct fb_error *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        memset(r, 0, sizeof *r);
        r->fd = -1;
        return fb_fail_at(err, FB_EIO, path, 0, 0, "cannot open the log: %s", strerror(errno));
    }
    int rc = open_fd_upto(r, fd, path, upto, err);
    r->owns_fd = 1;
    return rc;
}

void logr_close(struct logr *r)
{
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(r->dicts[k]);
    free(r->ev);
    blog_scan_free(&r->scan);
    if (r->owns_fd && r->fd >= 0)
        close(r->fd);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

int logr_load_dicts(struct logr *r, unsigned kind_mask, struct fb_error *err)
{
    unsigned todo = 0;
    for (int k = 0; k < BLOG_D_COUNT; k++) {
        if (!(kind_mask & (1u << k)) || r->dicts[k])
            continue;
        if (!(r->dicts[k] = dict_new(k == BLOG_D_ATTR_NAME)))
            return fb_fail(err, FB_ENOMEM, "out of memory");
        todo |= 1u << k;
    }
    if (!todo)
        return 0;
    int rc = dictblock_load(r->fd, r->path, &r->scan, todo, r->dicts, err);
    if (rc)   /* a half-loaded dictionary must not pass for a loaded one */
        for (int k = 0; k < BLOG_D_COUNT; k++)
            if (todo & (1u << k)) {
                dict_free(r->dicts[k]);
                r->dicts[k] = NULL;
            }
    return rc;
}

const struct dict *logr_dict(const struct logr *r, int kind)
{
    return r->dicts[kind];
}

/* An entry takes at least 2 bytes inflated, and deflate expands at most
 * 1032:1: with right CRCs and made-up counts a log could otherwise ask for
 * gigabytes before anything contradicts it (found by fuzz_log).  The claim
 * stays proportional to the file's size: at most 516 entities a payload
 * byte. */
int logr_check_entity_count(const struct logr *r, struct fb_error *err)
{
    uint64_t n = 1;   /* id 0, the empty string */
    for (size_t i = 0; i < r->scan.nblocks; i++) {
        const struct blog_block *b = &r->scan.blocks[i];
        if (b->h.type != BLOG_T_DICT || b->h.a != BLOG_D_ENTITY)
            continue;
        if (b->h.payload_len < 4 || b->h.count > (uint64_t)(b->h.payload_len - 4) * 516)
            return fb_fail_off(err, FB_ECORRUPT, r->path, b->offset,
                               "malformed dictionary block: %u entries cannot fit in %u bytes",
                               b->h.count, b->h.payload_len);
        n += b->h.count;
    }
    if (n != r->scan.dict_sizes[BLOG_D_ENTITY])
        return fb_fail_at(err, FB_ECORRUPT, r->path, 0, 0,
                          "dictionary %d holds %llu strings but the last commit says %u",
                          BLOG_D_ENTITY, (unsigned long long)n, r->scan.dict_sizes[BLOG_D_ENTITY]);
    return 0;
}

int logr_want_attr(const struct logr *r, struct logr_want *w, const char *name, size_t len,
                   struct fb_error *err)
{
    const struct dict *names = r->dicts[BLOG_D_ATTR_NAME];
    uint32_t id;
    if (!names || !dict_find(names, name, len, &id) || id == 0)
        return 0;
    if (!w->att) {
        w->natt = dict_size(names);
        if (!(w->att = calloc(w->natt, 1)))
            return fb_fail(err, FB_ENOMEM, "out of memory");
    }
    w->att[id] = 1;
    return 1;
}

void logr_want_free(struct logr_want *w)
{
    free(w->att);
    w->att = NULL;
    w->natt = 0;
}

int logr_cursor_init(struct logr_cursor *c, const struct logr *r, const struct logr_want *want,
                     size_t from, size_t to, struct fb_error *err)
{
    memset(c, 0, sizeof *c);
    c->r = r;
    c->want = want;
    c->end = to < r->nev ? to : r->nev;
    c->next = from < c->end ? from : c->end;
    if (evb_cols_init(&c->cols, BLOG_EVENTS_PER_BLOCK, 0) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    /* Room for the largest payload of the log and the largest inflated
     * column a block may state (evblock.c refuses more before inflating),
     * made once in one block of its own (hugemem.h): grown as blocks
     * came, they were copied at each doubling and faulted in 4 KiB at a
     * time, a few hundred faults for each of a replay's slots.  Neither
     * buffer ever grows past it, so neither is reallocated. */
    size_t payload = 0;
    for (size_t i = 0; i < r->nev; i++) {
        const size_t len = logr_block(r, i)->h.payload_len;
        payload = len > payload ? len : payload;
    }
    const size_t raw = (size_t)EVB_RAW_MAX(BLOG_EVENTS_PER_BLOCK) + 1;
    c->room_bytes = payload + 1 + raw;
    if (!(c->room = huge_zalloc(c->room_bytes)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    c->payload = (struct buf){c->room, 0, payload + 1};
    c->scratch.raw = (struct buf){c->room + payload + 1, 0, raw};
    return 0;
}

void logr_cursor_free(struct logr_cursor *c)
{
    if (c->room) {   /* the buffers are views of it */
        c->payload.p = c->scratch.raw.p = NULL;
        huge_zfree(c->room, c->room_bytes);
    }
    evb_cols_free(&c->cols);
    evb_scratch_free(&c->scratch);
    buf_free(&c->payload);
    memset(c, 0, sizeof *c);
}

const struct blog_block *logr_block(const struct logr *r, size_t i)
{
    return &r->scan.blocks[r->ev[i]];
}

int logr_decode(struct logr_cursor *c, size_t i, struct fb_error *err)
{
    const struct logr *r = c->r;
    const struct blog_block *blk = logr_block(r, i);
    c->blk = blk;
    int rc = blog_read_payload(r->fd, r->path, blk, &c->payload, err);
    if (rc == 0)
        rc = evb_decode_pick(c->payload.p, c->payload.len, blk->h.count, blk->h.a, blk->h.b,
                             c->want->cols, c->want->att, c->want->natt, r->scan.dict_sizes,
                             &c->cols, &c->scratch, err);
    /* evb_decode knows nothing of files: the damage is placed here, once. */
    if (rc == FB_ECORRUPT && err->offset < 0) {
        char why[sizeof err->msg];
        memcpy(why, err->msg, sizeof why);
        rc = fb_fail_off(err, rc, r->path, blk->offset, "%s", why);
    }
    return rc;
}

int logr_next(struct logr_cursor *c, struct fb_error *err)
{
    if (c->next >= c->end)
        return 0;
    int rc = logr_decode(c, c->next++, err);
    return rc ? rc : 1;
}
