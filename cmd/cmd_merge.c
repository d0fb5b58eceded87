/* cmd_merge.c - `funnel merge PART... -o report.json`: the report of a
 * shard set from the partial states of all its shards, byte for byte what
 * `funnel replay` of the unsharded log writes; and `funnel merge --partial
 * PART... -o PART`, one partial state of several (a tree reduction).
 * docs/SCALE.md §1, docs/FORMAT.md §14. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "outpath.h"
#include "partfile.h"
#include "replay_args.h"

const char cmd_merge_usage[] =
    "usage: funnel merge PART... [--text] [-o FILE]\n"
    "       funnel merge --partial PART... -o PART\n"
    "\n"
    "Merge the partial states that 'funnel partial' wrote for the shards of one\n"
    "shard set into the funnel report: byte for byte the report 'funnel replay'\n"
    "gives of the unsharded log, whatever the order of the PARTs.  Every shard\n"
    "must be held by exactly one PART, and all must come from the same set,\n"
    "funnel and options.  With --partial, merge any of them into one partial\n"
    "state instead, to be merged again later (in any tree shape).\n"
    "\n"
    "Options:\n"
    "  --partial          write a merged partial state, not the report\n"
    "  --text             an aligned table for a person instead of JSON\n"
    "  -o, --output FILE  write to FILE (atomically: temp file, then rename);\n"
    "                     '-' is standard output (not with --partial)\n"
    "  -h, --help         show this text\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 partial states that do not belong together\n"
    "(another set, funnel or options; a shard missing or given twice),\n"
    "4 a damaged or truncated partial state, 5 I/O or system error.\n";

enum { OPT_PARTIAL = CLI_LONG_ONLY, OPT_TEXT };

static const struct cli_opt merge_opts[] = {
    {OPT_PARTIAL, "partial", CLI_FLAG},
    {OPT_TEXT, "text", CLI_FLAG},
    {'o', "output", CLI_PATH},
    {0, NULL, CLI_FLAG},
};

struct merge_args {
    int partial, text;
    const char *out;
    char **in;
    int nin;
};

static int parse(int argc, char **argv, struct merge_args *a)
{
    const struct cli_spec spec = {"merge", cmd_merge_usage, "PART...", merge_opts};
    struct cli_getopt g;
    const char *v;
    int key;
    memset(a, 0, sizeof *a);
    cli_opts_init(&g, &spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0) {
        if (key == OPT_PARTIAL)
            a->partial = 1;
        else if (key == OPT_TEXT)
            a->text = 1;
        else
            a->out = v;
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    a->in = cli_opts_args(&g);
    a->nin = g.nargs;
    if (a->nin == 0)
        return cli_usage_error("merge", "expected one or more PARTs");
    for (int i = 0; i < a->nin; i++) {
        int rc = cli_opts_need_file("merge", "PART", a->in[i]);
        if (rc)
            return rc;
    }
    if (a->partial && a->text)
        return cli_usage_error("merge", "--text writes a report; not with --partial");
    if (a->partial && !a->out)
        return cli_usage_error("merge", "--partial needs -o PART");
    return a->partial ? cli_opts_need_file("merge", "-o PART", a->out) : 0;
}

/* Read every PART, check each against the first (which[i] names the PART
 * that brought shard i, so a shard given twice names both files), then
 * merge them into acc at once. */
static int merge_all(const struct merge_args *a, struct partial *acc, struct fb_error *err)
{
    const char *which[PARTFILE_MAX_SHARDS] = {0};
    struct partial *rest = calloc((size_t)a->nin, sizeof *rest);
    if (!rest)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int rc = partial_read(a->in[0], acc, err), k;
    for (uint32_t i = 0; rc == 0 && i < acc->n; i++)
        which[i] = partial_has(acc, i) ? a->in[0] : NULL;
    for (k = 1; rc == 0 && k < a->nin; k++) {
        struct partial *p = &rest[k - 1];
        rc = partial_read(a->in[k], p, err);
        for (uint32_t i = 0; rc == 0 && i < acc->n && i < p->n; i++)
            if (partial_has(p, i) && which[i])
                rc = fb_fail_at(err, FB_EINPUT, a->in[k], 0, 0,
                                "holds shard %u of %u, which %s holds too", i, p->n, which[i]);
        if (rc == 0)
            rc = partial_check(acc, a->in[0], p, a->in[k], err);
        for (uint32_t i = 0; rc == 0 && i < p->n; i++)
            if (partial_has(p, i))
                which[i] = a->in[k];
    }
    if (rc == 0)
        rc = partial_merge_all(acc, rest, (size_t)a->nin - 1, err);
    for (int j = 0; j < a->nin; j++)
        partial_free(&rest[j]);
    free(rest);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    struct merge_args a;
    int code = parse(argc, argv, &a);
    if (code)
        return code;
    struct partial acc;
    struct res_report rep;
    struct fb_error err;
    memset(&rep, 0, sizeof rep);
    fb_error_clear(&err);
    /* The output may not be one of the parts (docs/RELIABILITY.md). */
    const struct outpath_inputs ins = {NULL, (const char *const *)a.in, (size_t)a.nin};
    if (outpath_refuse(a.out ? a.out : "-", &ins, &err) != 0)
        return cli_report(&err);
    int rc = merge_all(&a, &acc, &err);
    if (rc == 0 && a.partial)
        rc = partial_write(a.out, &acc, &err);
    else if (rc == 0) {
        rc = partial_finish(&acc, &rep, &err);
        if (rc == 0)
            rc = replay_args_write(a.out, a.text, &rep, &err);
    }
    code = rc ? cli_report(&err) : CLI_OK;
    res_report_free(&rep);
    partial_free(&acc);
    return cli_finish_stdout(code);
}
