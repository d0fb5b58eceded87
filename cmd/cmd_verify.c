/* cmd_verify.c - `funnel verify LOG [--repair]`: check every block, print
 * what the log holds, report a torn tail and optionally cut it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "appender.h"
#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "ftime.h"
#include "logcheck.h"

const char cmd_verify_usage[] =
    "usage: funnel verify LOG [--repair]\n"
    "\n"
    "Read every committed block of LOG, check its checksum and decode it, then\n"
    "print the number of batches, blocks and events and the time range.\n"
    "\n"
    "A torn tail (the unfinished end of an append that was interrupted by a\n"
    "crash) is reported as such: replay ignores it, and the next append cuts\n"
    "it.  Damage before the last committed batch is reported with its byte\n"
    "offset, exit 4.\n"
    "\n"
    "Options:\n"
    "  --repair    cut a torn tail now (takes the log's lock, like append);\n"
    "              never touches committed batches\n"
    "  -h, --help  show this text\n"
    "\n"
    "Exit codes: 0 ok (also with a torn tail), 2 usage, 4 corrupt log,\n"
    "5 I/O or system error.\n";

static void print_result(const char *path, const struct logcheck_result *r)
{
    char lo[32], hi[32];
    printf("%s: ok: %llu batches, %llu blocks, %llu events, %lld bytes\n", path,
           (unsigned long long)r->batches, (unsigned long long)r->blocks,
           (unsigned long long)r->events, (long long)r->committed_end);
    if (r->events) {
        ftime_format(r->min_time, lo);
        ftime_format(r->max_time, hi);
        printf("time range: %s .. %s\n", lo, hi);
    } else {
        printf("time range: none (no events)\n");
    }
    if (r->tail_len > 0)
        printf("torn tail: %lld bytes at offset %lld (%s); replay ignores it; "
               "'funnel verify --repair' or the next append cuts it\n",
               (long long)r->tail_len, (long long)r->committed_end, r->tail_reason);
}

static int repair(const char *path, struct fb_error *err)
{
    struct appender app;
    int rc = app_open(&app, path, NULL, err);
    int64_t cut = rc == 0 ? app.scan.tail_len : 0;
    if (rc == 0)
        rc = app_cut_tail(&app, err);
    if (rc == 0 && cut > 0)
        printf("repaired: cut %lld bytes of torn tail; the log now ends at offset %lld\n",
               (long long)cut, (long long)app.scan.committed_end);
    else if (rc == 0)
        printf("nothing to repair\n");
    app_close(&app);
    return rc;
}

enum { OPT_REPAIR = CLI_LONG_ONLY };

static const struct cli_opt verify_opts[] = {
    {OPT_REPAIR, "repair", CLI_FLAG},
    {0, NULL, CLI_FLAG},
};

static const struct cli_spec verify_spec = {"verify", cmd_verify_usage, "LOG", verify_opts};

static int parse_args(int argc, char **argv, const char **path, int *do_repair)
{
    struct cli_getopt g;
    const char *v;
    int key;
    cli_opts_init(&g, &verify_spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0)
        *do_repair = 1;
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs > 1)
        return cli_usage_error("verify", "expected one LOG");
    if (g.nargs == 0)
        return cli_usage_error("verify", "expected a LOG");
    *path = cli_opts_args(&g)[0];
    return cli_opts_need_file("verify", "LOG", *path);
}

int cmd_verify(int argc, char **argv)
{
    const char *path = NULL;
    int do_repair = 0;
    int code = parse_args(argc, argv, &path, &do_repair);
    if (code)
        return code;
    struct fb_error err;
    struct logcheck_result res;
    fb_error_clear(&err);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), rc;
    if (fd < 0) {
        rc = fb_fail_at(&err, FB_EIO, path, 0, 0, "cannot open the log: %s", strerror(errno));
    } else {
        rc = logcheck_run(fd, path, &res, &err);
        close(fd);
    }
    if (rc == 0)
        print_result(path, &res);
    if (rc == 0 && do_repair)
        rc = repair(path, &err);
    return cli_finish_stdout(rc ? cli_report(&err) : CLI_OK);
}
