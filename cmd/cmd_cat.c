/* cmd_cat.c - `funnel cat LOG`: the committed events back out as CSV that
 * `append` accepts, so `funnel cat A | funnel append B -` replays the same. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "csvout.h"
#include "dictblock.h"
#include "evblock.h"
#include "ftime.h"
#include "outpath.h"

#define FLUSH_AT (1u << 20)

const char cmd_cat_usage[] =
    "usage: funnel cat LOG\n"
    "\n"
    "Write the committed events of LOG to standard output as CSV: one header,\n"
    "time,entity,stage,channel,touch,outcome,amount followed by every attribute\n"
    "column seen in any batch (first-seen order and spelling), then one row per\n"
    "event: times as YYYY-MM-DDTHH:MM:SSZ, every other field byte for byte as\n"
    "appended (empty where a batch lacked the column), quoted per RFC 4180 where\n"
    "a field holds a comma, a double quote, CR or LF.  Rows come block by block\n"
    "in the order they were appended.  An empty log prints the header alone.\n"
    "The output is always valid input to 'funnel append'.\n"
    "\n"
    "  funnel cat pipeline.flog | grep lead-42\n"
    "  funnel cat old.flog | funnel append new.flog -\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 corrupt log, 5 I/O or system error.\n";

struct cat_run {
    const char *path;
    int fd;
    struct blog_scan scan;
    struct dict *dicts[BLOG_D_COUNT];
    struct evb_cols cols;
    struct evb_scratch scratch;
    struct buf payload, out;
    uint32_t *row_att;   /* value id per attribute slot of the current row */
};

static int flush_out(struct cat_run *c, struct fb_error *err)
{
    if (c->out.len && fwrite(c->out.p, 1, c->out.len, stdout) != c->out.len)
        return fb_fail(err, FB_EIO, "error writing standard output: %s", strerror(errno));
    c->out.len = 0;
    return 0;
}

static int put_id(struct cat_run *c, int kind, uint32_t id)
{
    size_t n;
    const char *s = dict_str(c->dicts[kind], id, &n);
    return buf_append(&c->out, ",", 1) || csvout_field(&c->out, s, n);
}

static int write_header(struct cat_run *c)
{
    static const char fixed[] = "time,entity,stage,channel,touch,outcome,amount";
    int rc = buf_append(&c->out, fixed, sizeof fixed - 1);
    for (uint32_t id = 1; id < dict_size(c->dicts[BLOG_D_ATTR_NAME]) && rc == 0; id++)
        rc = put_id(c, BLOG_D_ATTR_NAME, id);
    return rc || buf_append(&c->out, "\n", 1);
}

static int write_rows(struct cat_run *c)
{
    uint32_t natt_all = dict_size(c->dicts[BLOG_D_ATTR_NAME]) - 1;
    for (uint32_t i = 0; i < c->cols.n; i++) {
        char when[32];
        ftime_format(c->cols.time[i], when);
        if (buf_append(&c->out, when, 20))
            return FB_ENOMEM;
        for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++)
            if (put_id(c, EVB_IDX(k), c->cols.ids[EVB_IDX(k)][i]))
                return FB_ENOMEM;
        memset(c->row_att, 0, natt_all * sizeof *c->row_att);
        for (uint32_t a = 0; a < c->cols.natt; a++)
            c->row_att[c->cols.att_name[a] - 1] = c->cols.att[a][i];
        for (uint32_t a = 0; a < natt_all; a++)
            if (put_id(c, BLOG_D_ATTR_VALUE, c->row_att[a]))
                return FB_ENOMEM;
        if (buf_append(&c->out, "\n", 1))
            return FB_ENOMEM;
    }
    return 0;
}

static int cat_blocks(struct cat_run *c, struct fb_error *err)
{
    for (size_t i = 0; i < c->scan.nblocks; i++) {
        const struct blog_block *blk = &c->scan.blocks[i];
        if (blk->h.type != BLOG_T_EVENTS)
            continue;
        int rc = blog_read_payload(c->fd, c->path, blk, &c->payload, err);
        if (rc == 0)
            rc = evb_decode(c->payload.p, c->payload.len, blk->h.count, blk->h.a, blk->h.b, ~0u,
                            c->scan.dict_sizes, &c->cols, &c->scratch, err);
        if (rc == FB_ECORRUPT && err->offset < 0) {
            char why[sizeof err->msg];
            memcpy(why, err->msg, sizeof why);
            rc = fb_fail_off(err, rc, c->path, blk->offset, "%s", why);
        }
        if (rc)
            return rc;
        if (write_rows(c) != 0)
            return fb_fail(err, FB_ENOMEM, "out of memory");
        if (c->out.len >= FLUSH_AT && (rc = flush_out(c, err)))
            return rc;
    }
    return flush_out(c, err);
}

static int run(struct cat_run *c, struct fb_error *err)
{
    int rc = blog_scan_fd(c->fd, c->path, &c->scan, err);
    for (int k = 0; rc == 0 && k < BLOG_D_COUNT; k++)
        if (!(c->dicts[k] = dict_new(k == BLOG_D_ATTR_NAME)))
            rc = fb_fail(err, FB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = dictblock_load(c->fd, c->path, &c->scan, (1u << BLOG_D_COUNT) - 1, c->dicts, err);
    if (rc)
        return rc;
    if (c->scan.tail_len > 0)
        cli_msg("%s: ignoring a torn tail of %lld bytes at offset %lld (%s)", c->path,
                (long long)c->scan.tail_len, (long long)c->scan.committed_end, c->scan.tail_reason);
    uint32_t natt = dict_size(c->dicts[BLOG_D_ATTR_NAME]);
    c->row_att = calloc(natt, sizeof *c->row_att);
    if (!c->row_att || evb_cols_init(&c->cols, BLOG_EVENTS_PER_BLOCK, 0) != 0 || write_header(c) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    return cat_blocks(c, err);
}

int cmd_cat(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error("cat", "unknown option '%s'", argv[i]);
    if (argc != 2)
        return cli_usage_error("cat", "expected one LOG");
    struct cat_run c;
    struct fb_error err;
    memset(&c, 0, sizeof c);
    fb_error_clear(&err);
    c.path = argv[1];
    struct outpath_inputs ins = {c.path, NULL, 0};
    if (outpath_refuse("-", &ins, &err) != 0)
        return cli_report(&err);
    int rc;
    c.fd = open(c.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (c.fd < 0)
        rc = fb_fail_at(&err, FB_EIO, c.path, 0, 0, "cannot open the log: %s", strerror(errno));
    else
        rc = run(&c, &err);
    for (int k = 0; k < BLOG_D_COUNT; k++)
        dict_free(c.dicts[k]);
    evb_cols_free(&c.cols);
    evb_scratch_free(&c.scratch);
    buf_free(&c.payload);
    buf_free(&c.out);
    free(c.row_att);
    blog_scan_free(&c.scan);
    if (c.fd >= 0)
        close(c.fd);
    return cli_finish_stdout(rc ? cli_report(&err) : CLI_OK);
}
