/* cmd_append.c - `funnel append LOG FILE...`: validate every row of the CSV
 * inputs, then append them to LOG as one all-or-nothing batch. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "append_shards.h"
#include "appender.h"
#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "csvout.h"
#include "fault_hook.h"
#include "ingest.h"
#include "outfile.h"
#include "outpath.h"

#define MAX_SHOWN_ERRORS 20

const char cmd_append_usage[] =
    "usage: funnel append [-q] [--skip-invalid FILE] [--allow-duplicate] LOG FILE...\n"
    "       funnel append [-q] [--allow-duplicate] --shards N DIR FILE...\n"
    "\n"
    "Validate every row of the CSV FILEs ('-' reads standard input) and append\n"
    "them to LOG as one batch.  LOG is created when absent.\n"
    "\n"
    "A batch is all or nothing: when any row is bad, nothing is appended, the\n"
    "log's bytes stay as they were, an absent LOG is not created, and the first\n"
    "20 errors are printed as FILE:LINE:COLUMN: message (then a count of the\n"
    "rest), exit 3.  LINE is the physical line where the record starts, COLUMN\n"
    "the 1-based field number.\n"
    "\n"
    "Input: RFC 4180 CSV in UTF-8, LF or CRLF line ends, an optional BOM; the\n"
    "header names the columns in any order, case-insensitively.  Required:\n"
    "time, entity, stage, channel.  Optional: touch, outcome, amount.  Any other\n"
    "column is an attribute (segment, source, owner, ...) kept in the log.\n"
    "  time     Unix seconds, YYYY-MM-DD, or YYYY-MM-DD[T| ]HH:MM[:SS[.frac]]\n"
    "           with Z, +HH:MM, -HH:MM or nothing (UTC)\n"
    "  entity   1 to 256 bytes      stage    1 to 64 bytes\n"
    "  channel  marketing or sales  touch    up to 64 bytes\n"
    "  outcome  empty or lost       amount   empty or digits[.digits]\n"
    "\n"
    "A batch whose events equal an earlier batch's (the same multiset of rows,\n"
    "times normalised) is a re-run: it is skipped with a notice, exit 0.\n"
    "\n"
    "Options:\n"
    "  -q, --quiet            no progress, even on a terminal\n"
    "  --skip-invalid FILE    append the good rows; write each rejected row to\n"
    "                         FILE as CSV: file,line,column,reason,record\n"
    "  --allow-duplicate      append a batch even when it repeats an earlier one\n"
    "  --shards N             DIR is a shard set of N shards (see 'funnel shard';\n"
    "                         created when absent): each row goes to its entity's\n"
    "                         shard, a re-run is recognised shard by shard, and a\n"
    "                         run interrupted half way is finished by rerunning it\n"
    "  -h, --help             show this text\n"
    "\n"
    "Progress (rows, MB, rows/s) is shown on standard error when it is a\n"
    "terminal.  Exit codes: 0 ok, 2 usage, 3 bad input, 4 corrupt log,\n"
    "5 I/O or system error.\n";

struct append_args {
    const char *log;
    char **files;
    int nfiles;
    int quiet;
    int allow_dup;
    const char *rejects_path;
    const char *shards;   /* --shards N: hand over to append_shards.c */
};

struct append_run {
    struct append_args args;
    int *fds;
    uint64_t shown, total_bad;
    struct outfile rejects;
    struct buf line;
    int progress;
    struct timespec t0;
    double last_report;
    int io_failed;
    char *log_dir;   /* where the batch's spill file goes (owned) */
};

enum { OPT_SKIP_INVALID = CLI_LONG_ONLY, OPT_ALLOW_DUP, OPT_SHARDS };

static const struct cli_opt append_opts[] = {
    {'q', "quiet", CLI_FLAG},
    {OPT_SKIP_INVALID, "skip-invalid", CLI_PATH},
    {OPT_ALLOW_DUP, "allow-duplicate", CLI_FLAG},
    {OPT_SHARDS, "shards", CLI_VALUE},
    {0, NULL, CLI_FLAG},
};

static const struct cli_spec append_spec = {"append", cmd_append_usage, "LOG FILE...", append_opts};

static int parse_args(int argc, char **argv, struct append_args *a)
{
    struct cli_getopt g;
    const char *v;
    int key;
    memset(a, 0, sizeof *a);
    cli_opts_init(&g, &append_spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0) {
        if (key == 'q')
            a->quiet = 1;
        else if (key == OPT_ALLOW_DUP)
            a->allow_dup = 1;
        else if (key == OPT_SHARDS)
            a->shards = v;
        else
            a->rejects_path = v;
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs < 2)
        return cli_usage_error("append", "expected LOG and at least one FILE");
    a->log = cli_opts_args(&g)[0];
    a->files = cli_opts_args(&g) + 1;
    a->nfiles = g.nargs - 1;
    return cli_opts_need_file("append", "LOG", a->log);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show_progress(void *ctx, uint64_t rows, uint64_t bytes)
{
    struct append_run *r = ctx;
    if (!r->progress)
        return;
    double s = seconds_since(&r->t0);
    if (s - r->last_report < 0.25)
        return;
    r->last_report = s;
    fprintf(stderr, "\rfunnel: %llu rows, %.1f MB, %.0f rows/s   ", (unsigned long long)rows,
            (double)bytes / 1e6, s > 0 ? (double)rows / s : 0.0);
}

/* Write one rejected row as file,line,column,reason,record. */
static int write_reject(struct append_run *r, const struct fb_error *e, const struct csvin_rec *rec)
{
    struct buf *b = &r->line, rec_csv = {0};
    char num[64];
    int rc = 0;
    b->len = 0;
    for (uint32_t i = 0; i < rec->nfields && rc == 0; i++)
        rc = (i && buf_append(&rec_csv, ",", 1)) || csvout_field(&rec_csv, rec->field[i], rec->len[i]);
    snprintf(num, sizeof num, ",%ld,%ld,", e->line, e->col);
    rc = rc || csvout_field(b, e->path, strlen(e->path)) || buf_append(b, num, strlen(num)) ||
         csvout_field(b, e->msg, strlen(e->msg)) || buf_append(b, ",", 1) ||
         csvout_field(b, (const char *)rec_csv.p, rec_csv.len) || buf_append(b, "\n", 1);
    buf_free(&rec_csv);
    if (rc || fwrite(b->p, 1, b->len, r->rejects.fp) != b->len) {
        r->io_failed = 1;
        return 1;
    }
    return 0;
}

static int on_reject(void *ctx, const struct fb_error *e, const struct csvin_rec *rec)
{
    struct append_run *r = ctx;
    r->total_bad++;
    if (r->args.rejects_path)
        return write_reject(r, e, rec);
    if (r->shown++ < MAX_SHOWN_ERRORS) {
        if (r->progress)
            fputc('\n', stderr);
        cli_report(e);
    }
    return 0;
}

static int open_inputs(struct append_run *r)
{
    r->fds = calloc((size_t)r->args.nfiles, sizeof *r->fds);
    if (!r->fds) {
        cli_msg("out of memory");
        return CLI_IO;
    }
    for (int i = 0; i < r->args.nfiles; i++) {
        const char *f = r->args.files[i];
        r->fds[i] = strcmp(f, "-") == 0 ? STDIN_FILENO : open(f, O_RDONLY | O_CLOEXEC);
        if (r->fds[i] < 0) {
            cli_msg("%s: cannot open: %s", f, strerror(errno));
            return CLI_IO;
        }
    }
    return CLI_OK;
}

static void close_inputs(struct append_run *r)
{
    for (int i = 0; r->fds && i < r->args.nfiles; i++)
        if (r->fds[i] > STDIN_FILENO)
            close(r->fds[i]);
    free(r->fds);
}

/* Read every input into the batch; returns 0 or an error code. */
static int read_inputs(struct append_run *r, struct ingest *in, struct fb_error *err)
{
    for (int i = 0; i < r->args.nfiles; i++) {
        int rc = ingest_file(in, r->fds[i], r->args.files[i], err);
        if (r->io_failed)
            return fb_fail_at(err, FB_EIO, r->args.rejects_path, 0, 0, "cannot write rejected rows");
        if (rc)
            return rc;
    }
    return 0;
}

static void report_bad(const struct append_run *r)
{
    if (r->progress)
        fputc('\n', stderr);
    if (r->shown > MAX_SHOWN_ERRORS)
        cli_msg("... and %llu more bad rows", (unsigned long long)(r->shown - MAX_SHOWN_ERRORS));
    cli_msg("%llu bad rows: nothing was appended to %s", (unsigned long long)r->total_bad, r->args.log);
}

/* Encode and commit the batch, or skip it as a duplicate. */
static int commit_batch(struct append_run *r, struct appender *app, struct ingest *in,
                        struct fb_error *err)
{
    unsigned char fp[16];
    struct buf dicts = {0};
    uint64_t n = ingest_events(in);
    int rc = ingest_finish(in, app->scan.dict_sizes, &dicts, fp, err);
    const struct blog_commit *dup = rc == 0 ? app_find_duplicate(app, fp, n) : NULL;
    if (rc == 0 && dup && !r->args.allow_dup) {
        cli_msg("%s: these %llu events repeat batch %llu exactly; skipped "
                "(use --allow-duplicate to append them anyway)",
                r->args.log, (unsigned long long)n, (unsigned long long)dup->seq);
    } else if (rc == 0) {
        rc = app_commit(app, dicts.p, dicts.len, ingest_blocks(in), n, fp,
                        dup ? BLOG_COMMIT_F_ALLOW_DUP : 0, err);
        if (rc == 0 && r->progress)
            fprintf(stderr, "\rfunnel: appended %llu events to %s as batch %llu in %.2f s\n",
                    (unsigned long long)n, r->args.log, (unsigned long long)app->scan.ncommits + 1,
                    seconds_since(&r->t0));
    }
    buf_free(&dicts);
    return rc;
}

/* A write to the spill file is an I/O step the fault hook may stop at. */
static void spill_step(void *ctx, int fd)
{
    const struct app_hook *h = ctx;
    if (h->after)
        h->after(h->ctx, APP_STEP_SPILL, fd, 0);
}

static int run(struct append_run *r, struct appender *app, struct fb_error *err)
{
    struct app_hook hook = fault_hook_from_env();
    int rc = app_open(app, r->args.log, &hook, err);
    if (rc)
        return rc;
    /* The EVENTS blocks wait in a nameless file beside the log once they
     * pass a few MB, so memory stays bounded (docs/FORMAT.md §9 step 4). */
    if (!(r->log_dir = strdup(r->args.log)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    struct ingest_opts o = {.level = INGEST_DEFAULT_LEVEL, .on_reject = on_reject, .on_progress = show_progress, .ctx = r,
                            .spill = {.dir = dirname(r->log_dir), .fallback = getenv("TMPDIR"),
                                      .limit = fault_spill_limit_from_env(),
                                      .after_write = spill_step, .ctx = &app->hook}};
    struct ingest *in = ingest_new(app->dicts, &o);
    if (!in)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    rc = read_inputs(r, in, err);
    if (rc == 0 && r->total_bad > 0 && !r->args.rejects_path) {
        report_bad(r);
        rc = FB_EINPUT;
        err->msg[0] = '\0';   /* already reported row by row */
    }
    if (rc == 0 && r->args.rejects_path)
        rc = outfile_commit(&r->rejects, err);
    if (rc == 0 && ingest_events(in) == 0)
        rc = app_ensure_header(app, err);
    else if (rc == 0)
        rc = commit_batch(r, app, in, err);
    if (rc != 0)   /* a log this run created stays absent */
        app_abandon(app);
    ingest_free(in);
    return rc;
}

static int append_sharded(const struct append_args *a)
{
    struct append_shards_args s = {.dir = a->log, .files = a->files, .nfiles = a->nfiles,
                                   .quiet = a->quiet, .allow_dup = a->allow_dup};
    if (append_shards_parse_n(a->shards, &s.n) != 0)
        return cli_usage_error("append", "--shards needs a number from 1 to %u, not '%s'",
                               SHARDSET_MAX_SHARDS, a->shards);
    if (a->rejects_path)
        return cli_usage_error("append", "--skip-invalid cannot be combined with --shards");
    return append_shards_run(&s);
}

int cmd_append(int argc, char **argv)
{
    struct append_run r;
    memset(&r, 0, sizeof r);
    struct fb_error err;
    fb_error_clear(&err);
    int code = parse_args(argc, argv, &r.args);
    if (code)
        return code;
    struct outpath_inputs ins = {r.args.log, (const char *const *)r.args.files, (size_t)r.args.nfiles};
    if (r.args.rejects_path && outpath_refuse(r.args.rejects_path, &ins, &err) != 0)
        return cli_report(&err);
    if (r.args.shards)
        return append_sharded(&r.args);
    /* A file size limit must surface as EFBIG (exit 5), not kill us. */
    signal(SIGXFSZ, SIG_IGN);
    r.progress = !r.args.quiet && isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &r.t0);
    code = open_inputs(&r);
    if (code == CLI_OK && r.args.rejects_path) {
        if (outfile_open(&r.rejects, r.args.rejects_path, &err) != 0 ||
            fputs("file,line,column,reason,record\n", r.rejects.fp) == EOF)
            code = cli_report(&err);
    }
    if (code == CLI_OK) {
        struct appender app;
        int rc = run(&r, &app, &err);
        app_close(&app);
        if (rc && err.msg[0])
            code = cli_report(&err);
        else if (rc)
            code = fb_exit_code(rc);
        if (rc && r.args.rejects_path && r.rejects.fp)
            outfile_abort(&r.rejects);
    }
    if (r.rejects.fp)
        outfile_abort(&r.rejects);
    buf_free(&r.line);
    free(r.log_dir);
    close_inputs(&r);
    return code;
}
