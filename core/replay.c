/* replay.c - the replay driver; see replay.h. */
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocklog.h"
#include "dictblock.h"
#include "evblock.h"
#include "funnel.h"

#define NEEDED_DICTS ((1u << BLOG_D_STAGE) | (1u << BLOG_D_CHANNEL) | (1u << BLOG_D_OUTCOME))
#define NEEDED_COLS ((1u << BLOG_C_TIME) | (1u << BLOG_C_ENTITY) | (1u << BLOG_C_STAGE) | \
                     (1u << BLOG_C_CHANNEL) | (1u << BLOG_C_OUTCOME))

struct replay_run {
    const char *path;
    int fd;
    struct blog_scan scan;
    struct dict *dicts[BLOG_D_COUNT];
    int32_t *stage_map;
    uint8_t *sales, *lost;
    struct funnel_agg *agg;
    struct evb_cols cols;
    struct evb_scratch scratch;
    struct buf payload;
};

static int build_maps(struct replay_run *r, const struct funnel_def *def, struct fb_error *err)
{
    const struct dict *st = r->dicts[BLOG_D_STAGE], *ch = r->dicts[BLOG_D_CHANNEL],
                      *oc = r->dicts[BLOG_D_OUTCOME];
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
            return fb_fail_at(err, FB_ECORRUPT, r->path, 0, 0, "channel dictionary holds \"%.*s\"",
                              (int)(n > 40 ? 40 : n), s);
    }
    for (uint32_t id = 1; id < dict_size(oc); id++) {
        size_t n;
        const char *s = dict_str(oc, id, &n);
        r->lost[id] = funnel_name_eq(s, n, "lost");
    }
    return 0;
}

static int replay_blocks(struct replay_run *r, int64_t as_of, struct fb_error *err)
{
    for (size_t i = 0; i < r->scan.nblocks; i++) {
        const struct blog_block *blk = &r->scan.blocks[i];
        if (blk->h.type != BLOG_T_EVENTS)
            continue;
        if (blk->h.a > as_of) {   /* wholly after as_of: only its count matters */
            funnel_agg_count_after(r->agg, blk->h.count);
            continue;
        }
        int rc = blog_read_payload(r->fd, r->path, blk, &r->payload, err);
        if (rc == 0)
            rc = evb_decode(r->payload.p, r->payload.len, blk->h.count, blk->h.a, blk->h.b,
                            NEEDED_COLS, r->scan.dict_sizes, &r->cols, &r->scratch, err);
        if (rc == FB_ECORRUPT && err->offset < 0) {
            char why[sizeof err->msg];
            memcpy(why, err->msg, sizeof why);
            return fb_fail_off(err, rc, r->path, blk->offset, "%s", why);
        }
        if (rc)
            return rc;
        funnel_agg_add(r->agg, &r->cols);
    }
    return 0;
}

/* The per-entity state is sized from the last commit's entity count, but
 * replay does not load the entity dictionary, which would check that count
 * (FORMAT.md 5.3).  So check it against the counts of the entity DICT
 * blocks, and each count against its payload (an entry takes at least 2
 * bytes inflated, and deflate expands at most 1032:1): with right CRCs and
 * made-up counts a log could otherwise ask for gigabytes before anything
 * contradicts it (found by fuzz_log).  The claim stays proportional to the
 * file's size: at most 516 entities a payload byte. */
static int check_entity_count(const struct replay_run *r, struct fb_error *err)
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

static int run(struct replay_run *r, const struct replay_opts *o, struct res_report *out,
               struct fb_error *err)
{
    int rc = blog_scan_fd(r->fd, r->path, &r->scan, err);
    for (int k = 0; rc == 0 && k < BLOG_D_COUNT; k++)
        if (!(r->dicts[k] = dict_new(k == BLOG_D_ATTR_NAME)))
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = dictblock_load(r->fd, r->path, &r->scan, NEEDED_DICTS, r->dicts, err);
    if (rc == 0)
        rc = check_entity_count(r, err);
    if (rc == 0)
        rc = build_maps(r, o->def, err);
    if (rc)
        return rc;
    int has_as_of = o->has_as_of || r->scan.events > 0;
    int64_t as_of = o->has_as_of ? o->as_of : r->scan.events ? r->scan.max_time : 0;
    struct funnel_maps maps = {r->stage_map, dict_size(r->dicts[BLOG_D_STAGE]), r->sales, r->lost};
    r->agg = funnel_agg_new(o->def, r->scan.dict_sizes[BLOG_D_ENTITY], as_of, o->stale_after, &maps);
    if (!r->agg || evb_cols_init(&r->cols, BLOG_EVENTS_PER_BLOCK, 0) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory for %u entities",
                       r->scan.dict_sizes[BLOG_D_ENTITY]);
    rc = replay_blocks(r, as_of, err);
    if (rc == 0)
        rc = funnel_agg_finish(r->agg, r->dicts[BLOG_D_STAGE], has_as_of, out, err);
    return rc;
}

int replay_log(const char *path, const struct replay_opts *o, struct res_report *out,
               struct replay_info *info, struct fb_error *err)
{
    struct replay_run r;
    memset(&r, 0, sizeof r);
    memset(info, 0, sizeof *info);
    memset(out, 0, sizeof *out);
    r.path = path;
    r.fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (r.fd < 0)
        return fb_fail_at(err, FB_EIO, path, 0, 0, "cannot open the log: %s", strerror(errno));
    int rc = run(&r, o, out, err);
    info->tail_len = r.scan.tail_len;
    info->tail_offset = r.scan.committed_end;
    memcpy(info->tail_reason, r.scan.tail_reason, sizeof info->tail_reason);
    info->batches = r.scan.ncommits;
    info->blocks = r.scan.nblocks;
    funnel_agg_free(r.agg);
    evb_cols_free(&r.cols);
    evb_scratch_free(&r.scratch);
    buf_free(&r.payload);
    free(r.stage_map);
    free(r.sales);
    free(r.lost);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(r.dicts[k]);
    blog_scan_free(&r.scan);
    close(r.fd);
    return rc;
}
