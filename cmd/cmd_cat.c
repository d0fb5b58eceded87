/* cmd_cat.c - `funnel cat LOG`: the committed events back out as CSV that
 * `append` accepts, so `funnel cat A | funnel append B -` replays the same. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "csvout.h"
#include "ftime.h"
#include "logreader.h"

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
    struct logr r;
    struct logr_cursor cur;
    struct buf out;
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
    const char *s = dict_str(c->r.dicts[kind], id, &n);
    return buf_append(&c->out, ",", 1) || csvout_field(&c->out, s, n);
}

static int write_header(struct cat_run *c)
{
    static const char fixed[] = "time,entity,stage,channel,touch,outcome,amount";
    int rc = buf_append(&c->out, fixed, sizeof fixed - 1);
    for (uint32_t id = 1; id < dict_size(c->r.dicts[BLOG_D_ATTR_NAME]) && rc == 0; id++)
        rc = put_id(c, BLOG_D_ATTR_NAME, id);
    return rc || buf_append(&c->out, "\n", 1);
}

static int write_rows(struct cat_run *c)
{
    const struct evb_cols *cols = &c->cur.cols;
    uint32_t natt_all = dict_size(c->r.dicts[BLOG_D_ATTR_NAME]) - 1;
    for (uint32_t i = 0; i < cols->n; i++) {
        char when[32];
        ftime_format(cols->time[i], when);
        if (buf_append(&c->out, when, 20))
            return FB_ENOMEM;
        for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++)
            if (put_id(c, EVB_IDX(k), cols->ids[EVB_IDX(k)][i]))
                return FB_ENOMEM;
        memset(c->row_att, 0, natt_all * sizeof *c->row_att);
        for (uint32_t a = 0; a < cols->natt; a++)
            c->row_att[cols->att_name[a] - 1] = cols->att[a][i];
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
    int rc;
    while ((rc = logr_next(&c->cur, err)) == 1) {
        if (write_rows(c) != 0)
            return fb_fail(err, FB_ENOMEM, "out of memory");
        if (c->out.len >= FLUSH_AT && (rc = flush_out(c, err)))
            return rc;
    }
    return rc ? rc : flush_out(c, err);
}

static int run(struct cat_run *c, const char *path, struct fb_error *err)
{
    static const struct logr_want every = {~0u, NULL, 0};
    int rc = logr_open(&c->r, path, err);
    if (rc == 0)
        rc = logr_load_dicts(&c->r, ~0u, err);
    if (rc)
        return rc;
    const struct blog_scan *scan = &c->r.scan;
    if (scan->tail_len > 0)
        cli_msg("%s: ignoring a torn tail of %lld bytes at offset %lld (%s)", path,
                (long long)scan->tail_len, (long long)scan->committed_end, scan->tail_reason);
    uint32_t natt = dict_size(c->r.dicts[BLOG_D_ATTR_NAME]);
    c->row_att = calloc(natt, sizeof *c->row_att);
    if (!c->row_att || logr_cursor_init(&c->cur, &c->r, &every, 0, c->r.nev, err) != 0 ||
        write_header(c) != 0)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    return cat_blocks(c, err);
}

static const struct cli_opt cat_opts[] = {{0, NULL, CLI_FLAG}};
static const struct cli_spec cat_spec = {"cat", cmd_cat_usage, "LOG", cat_opts};

static int parse_args(int argc, char **argv, const char **path)
{
    struct cli_getopt g;
    const char *v;
    cli_opts_init(&g, &cat_spec, argc, argv);
    if (cli_opts_next(&g, &v) != CLI_OPTS_END)   /* cat has no options of its own */
        return g.code;
    if (g.nargs != 1)
        return cli_usage_error("cat", "expected one LOG");
    *path = cli_opts_args(&g)[0];
    return cli_opts_need_file("cat", "LOG", *path);
}

int cmd_cat(int argc, char **argv)
{
    const char *path = NULL;
    int code = parse_args(argc, argv, &path);
    if (code)
        return code;
    struct cat_run c;
    struct fb_error err;
    memset(&c, 0, sizeof c);
    fb_error_clear(&err);
    int rc = run(&c, path, &err);
    logr_cursor_free(&c.cur);
    logr_close(&c.r);
    buf_free(&c.out);
    free(c.row_att);
    return cli_finish_stdout(rc ? cli_report(&err) : CLI_OK);
}
