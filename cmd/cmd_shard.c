/* cmd_shard.c - `funnel shard LOG -o DIR --shards N`: split a log into a
 * shard set (docs/FORMAT.md §13), batch by batch, so each shard holds
 * exactly its entities' events and a nightly CSV appended again later with
 * `append --shards` is still recognised as a duplicate on every shard;
 * and `funnel shard --check DIR`, the checks a reader of a set makes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "append_shards.h"
#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "fault_hook.h"
#include "ftime.h"
#include "logreader.h"
#include "shardwrite.h"

const char cmd_shard_usage[] =
    "usage: funnel shard [-q] LOG -o DIR --shards N\n"
    "       funnel shard --check DIR\n"
    "\n"
    "Split LOG into a shard set: N ordinary logs DIR/shard-IIII-of-NNNN.flog\n"
    "and DIR/MANIFEST, written last (docs/FORMAT.md §13).  An entity's events\n"
    "all go to shard crc32(entity) mod N (zlib's crc32 of its bytes).  Each\n"
    "batch of LOG becomes one batch in every shard that gets events of it, so\n"
    "appending the same CSV again with 'funnel append --shards N DIR' is\n"
    "recognised as a duplicate on every shard.  DIR is created when absent and\n"
    "must be empty; N is 1 to 256.  Each shard is an ordinary log: 'funnel cat'\n"
    "of a shard gives its entities' rows of 'funnel cat LOG', in the same order.\n"
    "\n"
    "--check DIR reads the manifest and checks every shard against it: its\n"
    "batches (a shard of another set, an older copy, an interrupted append) and\n"
    "that every entity in it belongs to it.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR   the shard set to write\n"
    "  --shards N         the number of shards\n"
    "  --check DIR        check a shard set instead of writing one\n"
    "  -q, --quiet        no summary, even on a terminal\n"
    "  -h, --help         show this text\n"
    "\n"
    "Exit codes: 0 ok, 2 usage (also: DIR not empty), 4 corrupt log or set,\n"
    "5 I/O or system error.\n";

/* Decoding LOG through the one log reader (docs/ARCHITECTURE.md "The
 * reader") and feeding its events to the set. */
struct shard_run {
    const char *path;
    struct shardw *w;
    struct logr r;
    struct logr_want want;
    struct logr_cursor cur;
    uint32_t nfields;            /* 7 fixed columns + every attribute name */
    const char **field;
    uint32_t *len;
    char when[32];
    struct fb_error bad;         /* the first event ingest rejected */
    uint64_t nbad;
};

static int on_reject(void *ctx, const struct fb_error *e, const struct csvin_rec *rec)
{
    struct shard_run *s = ctx;
    (void)rec;
    if (s->nbad++ == 0)
        s->bad = *e;
    return 1;
}

/* The header every batch's sub-batches get: all of LOG's attribute names in
 * id order, so each shard's attribute dictionary (and its cat's columns)
 * comes out as LOG's. */
static int feed_header(struct shard_run *s, struct fb_error *err)
{
    static const char *const fixed[BLOG_C_FIXED] = {"time", "entity", "stage", "channel",
                                                    "touch", "outcome", "amount"};
    for (uint32_t f = 0; f < s->nfields; f++) {
        size_t n;
        s->field[f] = f < BLOG_C_FIXED ? fixed[f] : dict_str(logr_dict(&s->r, BLOG_D_ATTR_NAME), f - BLOG_C_FIXED + 1, &n);
        s->len[f] = f < BLOG_C_FIXED ? (uint32_t)strlen(fixed[f]) : (uint32_t)n;
    }
    struct csvin_rec r = {.nfields = s->nfields, .field = s->field, .len = s->len, .line = 1};
    shardw_begin_input(s->w, s->path);
    return shardw_record(s->w, &r, 1, err);
}

/* Event i of the decoded block as a record, to its shard. */
static int feed_event(struct shard_run *s, uint32_t i, uint64_t ordinal, struct fb_error *err)
{
    const struct evb_cols *c = &s->cur.cols;
    size_t n;
    ftime_format(c->time[i], s->when);
    s->field[0] = s->when;
    s->len[0] = (uint32_t)strlen(s->when);
    for (int k = BLOG_C_ENTITY; k < BLOG_C_FIXED; k++) {
        s->field[k] = dict_str(logr_dict(&s->r, EVB_IDX(k)), c->ids[EVB_IDX(k)][i], &n);
        s->len[k] = (uint32_t)n;
    }
    for (uint32_t f = BLOG_C_FIXED; f < s->nfields; f++) {
        s->field[f] = "";
        s->len[f] = 0;
    }
    for (uint32_t a = 0; a < c->natt; a++) {
        uint32_t f = BLOG_C_FIXED + c->att_name[a] - 1;
        s->field[f] = dict_str(logr_dict(&s->r, BLOG_D_ATTR_VALUE), c->att[a][i], &n);
        s->len[f] = (uint32_t)n;
    }
    struct csvin_rec r = {.nfields = s->nfields, .field = s->field, .len = s->len,
                          .line = (long)ordinal, .index = ordinal};
    int rc = shardw_record(s->w, &r, 0, err);
    if (s->nbad)
        return fb_fail_at(err, FB_ECORRUPT, s->path, 0, 0,
                          "event %llu is not valid input to 'funnel append': %s",
                          (unsigned long long)ordinal, s->bad.msg);
    return rc;
}

/* EVENTS block number `ev` of the reader (file order). */
static int feed_block(struct shard_run *s, size_t ev, uint64_t *ordinal, struct fb_error *err)
{
    int rc = logr_decode(&s->cur, ev, err);
    for (uint32_t i = 0; rc == 0 && i < s->cur.cols.n; i++)
        rc = feed_event(s, i, ++*ordinal, err);
    /* A shard's block holds a subset of one of LOG's blocks, so the time
     * sort of evb_encode keeps LOG's order (cat of a shard = cat of LOG,
     * filtered). */
    return rc ? rc : shardw_cut_blocks(s->w, err);
}

/* Every committed batch of LOG, block by block, into the set. */
static int feed_log(struct shard_run *s, struct fb_error *err)
{
    struct ingest_opts o = {.level = INGEST_DEFAULT_LEVEL, .on_reject = on_reject, .ctx = s};
    uint64_t ordinal = 0;
    size_t ev = 0;
    int open_batch = 0, rc = 0;
    for (size_t b = 0; rc == 0 && b < s->r.scan.nblocks; b++) {
        const struct blog_block *blk = &s->r.scan.blocks[b];
        if (!open_batch && (blk->h.type == BLOG_T_EVENTS || blk->h.type == BLOG_T_COMMIT)) {
            rc = shardw_begin(s->w, &o, err);
            if (rc == 0)
                rc = feed_header(s, err);
            open_batch = 1;
        }
        if (rc == 0 && blk->h.type == BLOG_T_EVENTS)
            rc = feed_block(s, ev++, &ordinal, err);
        if (rc == 0 && blk->h.type == BLOG_T_COMMIT) {
            struct shardw_result res;
            rc = shardw_commit(s->w, SHARDW_PRESERVE, &res, err);
            open_batch = 0;
        }
    }
    return rc;
}

static int open_log(struct shard_run *s, struct fb_error *err)
{
    int rc = logr_open(&s->r, s->path, err);
    if (rc == 0)
        rc = logr_load_dicts(&s->r, ~0u, err);
    if (rc)
        return rc;
    if (s->r.scan.tail_len > 0)
        cli_msg("%s: ignoring a torn tail of %lld bytes at offset %lld (%s)", s->path,
                (long long)s->r.scan.tail_len, (long long)s->r.scan.committed_end,
                s->r.scan.tail_reason);
    s->want.cols = ~0u;
    s->nfields = BLOG_C_FIXED + dict_size(logr_dict(&s->r, BLOG_D_ATTR_NAME)) - 1;
    s->field = calloc(s->nfields, sizeof *s->field);
    s->len = calloc(s->nfields, sizeof *s->len);
    if (!s->field || !s->len)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    return logr_cursor_init(&s->cur, &s->r, &s->want, 0, s->r.nev, err);
}

static void close_log(struct shard_run *s)
{
    logr_cursor_free(&s->cur);
    logr_want_free(&s->want);
    logr_close(&s->r);
    free(s->field);
    free(s->len);
}

static int write_set(const char *log, const char *dir, uint32_t n, int quiet)
{
    struct shardw w;
    struct shard_run s;
    struct fb_error err;
    memset(&s, 0, sizeof s);
    memset(&w, 0, sizeof w);
    w.dir_fd = -1;
    s.path = log;
    s.w = &w;
    fb_error_clear(&err);
    struct app_hook hook = fault_hook_from_env();
    /* LOG first: a missing or corrupt LOG must not leave an empty DIR. */
    int rc = open_log(&s, &err);
    if (rc == 0)
        rc = shardw_open(&w, dir, n, 1, &hook, &err);
    if (rc == 0)
        rc = feed_log(&s, &err);
    if (rc == 0)
        rc = shardw_finish(&w, &err);
    if (rc)
        shardw_abandon(&w);
    else if (!quiet && isatty(STDERR_FILENO))
        cli_msg("%s: %llu events in %zu batches written to %u shards in %s", log,
                (unsigned long long)s.r.scan.events, s.r.scan.ncommits, (unsigned)n, dir);
    shardw_close(&w);
    close_log(&s);
    return rc ? cli_report(&err) : CLI_OK;
}

/* One shard as a reader takes it: the manifest's batches, its entities. */
static int check_one(const struct shardset *m, const char *dir, uint32_t i, struct fb_error *err)
{
    char path[4096];
    struct logr r;
    memset(&r, 0, sizeof r);
    if (shardset_shard_path(path, sizeof path, dir, i, m->n) != 0)
        return fb_fail(err, FB_EUSAGE, "directory name too long");
    int rc = logr_open(&r, path, err);
    if (rc == 0)
        rc = shardset_check_history(m, i, &r.scan, path, err);
    if (rc == 0)
        rc = logr_load_dicts(&r, 1u << BLOG_D_ENTITY, err);
    if (rc == 0)
        rc = shardset_check_entities(logr_dict(&r, BLOG_D_ENTITY), i, m->n, path, err);
    logr_close(&r);
    return rc;
}

static int check_set(const char *dir)
{
    struct shardset m;
    struct fb_error err;
    fb_error_clear(&err);
    int rc = shardset_read(dir, &m, NULL, &err);
    uint64_t events = 0;
    for (uint32_t i = 0; rc == 0 && i < m.n; i++) {
        rc = check_one(&m, dir, i, &err);
        events += m.shard[i].events;
    }
    if (rc == 0) {
        printf("%s: shard set ", dir);
        for (int b = 0; b < 16; b++)
            printf("%02x", m.set_id[b]);
        printf(", %u shards, %llu events: ok\n", (unsigned)m.n, (unsigned long long)events);
    }
    shardset_free(&m);
    return cli_finish_stdout(rc ? cli_report(&err) : CLI_OK);
}

enum { OPT_SHARDS = CLI_LONG_ONLY, OPT_CHECK };

static const struct cli_opt shard_opts[] = {
    {'o', "output", CLI_PATH},
    {OPT_SHARDS, "shards", CLI_VALUE},
    {OPT_CHECK, "check", CLI_PATH},
    {'q', "quiet", CLI_FLAG},
    {0, NULL, CLI_FLAG},
};

int cmd_shard(int argc, char **argv)
{
    const struct cli_spec spec = {"shard", cmd_shard_usage, "LOG", shard_opts};
    const char *log = NULL, *dir = NULL, *check = NULL, *nval = NULL, *v;
    int quiet = 0, key;
    struct cli_getopt g;
    cli_opts_init(&g, &spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0) {
        if (key == 'o')
            dir = v;
        else if (key == OPT_SHARDS)
            nval = v;
        else if (key == OPT_CHECK)
            check = v;
        else
            quiet = 1;
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs > 1)
        return cli_usage_error("shard", "expected one LOG, got '%s' too", cli_opts_args(&g)[1]);
    log = g.nargs ? cli_opts_args(&g)[0] : NULL;
    if (check) {
        if (log || dir || nval)
            return cli_usage_error("shard", "--check DIR takes no LOG, -o or --shards");
        int rc = cli_opts_need_file("shard", "--check DIR", check);
        return rc ? rc : check_set(check);
    }
    uint32_t n;
    if (!log || !dir || !nval)
        return cli_usage_error("shard", "expected LOG, -o DIR and --shards N");
    int rc = cli_opts_need_file("shard", "LOG", log);
    if (rc == 0)
        rc = cli_opts_need_file("shard", "-o DIR", dir);
    if (rc)
        return rc;
    if (append_shards_parse_n(nval, &n) != 0)
        return cli_usage_error("shard", "--shards needs a number from 1 to %u, not '%s'",
                               SHARDSET_MAX_SHARDS, nval);
    return write_set(log, dir, n, quiet);
}
