/* replay.c - the replay driver; see replay.h. */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "funnel.h"
#include "logreader.h"

#define NEEDED_DICTS ((1u << BLOG_D_STAGE) | (1u << BLOG_D_CHANNEL) | (1u << BLOG_D_OUTCOME))
#define NEEDED_COLS ((1u << BLOG_C_TIME) | (1u << BLOG_C_ENTITY) | (1u << BLOG_C_STAGE) | \
                     (1u << BLOG_C_CHANNEL) | (1u << BLOG_C_OUTCOME))

struct replay_run {
    struct logr r;
    int32_t *stage_map;
    uint8_t *sales, *lost;
    struct funnel_agg *agg;
    struct logr_cursor cur;
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

static int replay_blocks(struct replay_run *r, int64_t as_of, struct fb_error *err)
{
    for (size_t i = 0; i < r->r.nev; i++) {
        const struct blog_block *blk = logr_block(&r->r, i);
        if (blk->h.a > as_of) {   /* wholly after as_of: only its count matters */
            funnel_agg_count_after(r->agg, blk->h.count);
            continue;
        }
        int rc = logr_decode(&r->cur, i, err);
        if (rc)
            return rc;
        funnel_agg_add(r->agg, &r->cur.cols);
    }
    return 0;
}

static int run(struct replay_run *r, const char *path, const struct replay_opts *o,
               struct res_report *out, struct fb_error *err)
{
    static const struct logr_want needed = {NEEDED_COLS, NULL, 0};
    int rc = logr_open(&r->r, path, err);
    if (rc == 0)
        rc = logr_load_dicts(&r->r, NEEDED_DICTS, err);
    if (rc == 0)
        rc = logr_check_entity_count(&r->r, err);
    if (rc == 0)
        rc = build_maps(r, o->def, err);
    if (rc)
        return rc;
    const struct blog_scan *scan = &r->r.scan;
    int has_as_of = o->has_as_of || scan->events > 0;
    int64_t as_of = o->has_as_of ? o->as_of : scan->events ? scan->max_time : 0;
    const struct dict *stages = logr_dict(&r->r, BLOG_D_STAGE);
    struct funnel_maps maps = {r->stage_map, dict_size(stages), r->sales, r->lost};
    r->agg = funnel_agg_new(o->def, scan->dict_sizes[BLOG_D_ENTITY], as_of, o->stale_after, &maps);
    if (!r->agg)
        return fb_fail(err, FB_ENOMEM, "out of memory for %u entities",
                       scan->dict_sizes[BLOG_D_ENTITY]);
    rc = logr_cursor_init(&r->cur, &r->r, &needed, 0, r->r.nev, err);
    if (rc == 0)
        rc = replay_blocks(r, as_of, err);
    if (rc == 0)
        rc = funnel_agg_finish(r->agg, stages, has_as_of, out, err);
    return rc;
}

int replay_log(const char *path, const struct replay_opts *o, struct res_report *out,
               struct replay_info *info, struct fb_error *err)
{
    struct replay_run r;
    memset(&r, 0, sizeof r);
    memset(info, 0, sizeof *info);
    memset(out, 0, sizeof *out);
    int rc = run(&r, path, o, out, err);
    info->tail_len = r.r.scan.tail_len;
    info->tail_offset = r.r.scan.committed_end;
    memcpy(info->tail_reason, r.r.scan.tail_reason, sizeof info->tail_reason);
    info->batches = r.r.scan.ncommits;
    info->blocks = r.r.scan.nblocks;
    funnel_agg_free(r.agg);
    logr_cursor_free(&r.cur);
    free(r.stage_map);
    free(r.sales);
    free(r.lost);
    logr_close(&r.r);
    return rc;
}
