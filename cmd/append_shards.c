/* append_shards.c - the sharded append; see append_shards.h.  Every row of
 * every input is validated before any shard is written; a crash between
 * two shard commits is finished by rerunning the same append
 * (docs/FORMAT.md §13.3). */
#include "append_shards.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fault_hook.h"
#include "shardwrite.h"

#define MAX_SHOWN_ERRORS 20

struct sharded_run {
    const struct append_shards_args *a;
    struct shardw w;
    uint64_t shown, total_bad;
    int at_header;      /* the next record of this input is its header */
};

int append_shards_parse_n(const char *s, uint32_t *n)
{
    unsigned long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > SHARDSET_MAX_SHARDS)
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v < 1 || v > SHARDSET_MAX_SHARDS)
        return -1;
    *n = (uint32_t)v;
    return 0;
}

static int on_reject(void *ctx, const struct fb_error *e, const struct csvin_rec *rec)
{
    struct sharded_run *r = ctx;
    (void)rec;
    r->total_bad++;
    if (r->shown++ < MAX_SHOWN_ERRORS)
        cli_report(e);
    return 0;
}

static int on_record(void *ctx, const struct csvin_rec *rec, struct fb_error *err)
{
    struct sharded_run *r = ctx;
    int is_header = r->at_header;
    r->at_header = 0;
    return shardw_record(&r->w, rec, is_header, err);
}

/* Read every input once, routing its rows; 0 or the first error. */
static int read_inputs(struct sharded_run *r, struct fb_error *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < r->a->nfiles; i++) {
        const char *f = r->a->files[i];
        int fd = strcmp(f, "-") == 0 ? STDIN_FILENO : open(f, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return fb_fail_at(err, FB_EIO, f, 0, 0, "cannot open: %s", strerror(errno));
        shardw_begin_input(&r->w, f);
        r->at_header = 1;
        rc = csvin_read(fd, f, on_record, r, NULL, err);
        if (fd != STDIN_FILENO)
            close(fd);
    }
    if (rc == 0 && r->total_bad > 0) {
        if (r->shown > MAX_SHOWN_ERRORS)
            cli_msg("... and %llu more bad rows", (unsigned long long)(r->shown - MAX_SHOWN_ERRORS));
        cli_msg("%llu bad rows: nothing was appended to %s", (unsigned long long)r->total_bad, r->a->dir);
        rc = FB_EINPUT;
        err->msg[0] = '\0';   /* already reported row by row */
    }
    return rc;
}

static void report(const struct sharded_run *r, const struct shardw_result *res)
{
    if (res->rerun)
        cli_msg("%s: these %llu events repeat earlier batches on every shard; skipped "
                "(use --allow-duplicate to append them anyway)", r->a->dir,
                (unsigned long long)res->events);
    else if (res->already)
        cli_msg("%s: %u of %u shards already held this batch from an interrupted run; appended "
                "it to %u more", r->a->dir, (unsigned)res->already, (unsigned)r->w.n,
                (unsigned)res->committed);
    else if (!r->a->quiet && isatty(STDERR_FILENO))
        cli_msg("%s: appended %llu events to %u of %u shards", r->a->dir,
                (unsigned long long)res->events, (unsigned)res->committed, (unsigned)r->w.n);
}

int append_shards_run(const struct append_shards_args *a)
{
    struct sharded_run r;
    struct fb_error err;
    memset(&r, 0, sizeof r);
    r.a = a;
    fb_error_clear(&err);
    /* A file size limit must surface as EFBIG (exit 5), not kill us. */
    signal(SIGXFSZ, SIG_IGN);
    struct app_hook hook = fault_hook_from_env();
    struct ingest_opts o = {.level = INGEST_DEFAULT_LEVEL, .on_reject = on_reject, .ctx = &r};
    struct shardw_result res = {0};
    int rc = shardw_open(&r.w, a->dir, a->n, 0, &hook, &err);
    if (rc == 0)
        rc = shardw_begin(&r.w, &o, &err);
    if (rc == 0)
        rc = read_inputs(&r, &err);
    if (rc == 0)   /* also for no events: it checks an interrupted run's shards */
        rc = shardw_commit(&r.w, a->allow_dup ? SHARDW_APPEND_ALLOW_DUP : SHARDW_APPEND, &res, &err);
    /* Also after a skipped re-run or an empty input: a new set gets its
     * manifest, an interrupted run's manifest is brought up to date. */
    if (rc == 0)
        rc = shardw_finish(&r.w, &err);
    if (rc)
        shardw_abandon(&r.w);
    else
        report(&r, &res);
    shardw_close(&r.w);
    if (rc && err.msg[0])
        return cli_report(&err);
    return rc ? fb_exit_code(rc) : CLI_OK;
}
