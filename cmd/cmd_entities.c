/* cmd_entities.c - `funnel entities LOG`: the list of counted entities
 * behind the report's numbers, one CSV row each (docs/METRICS.md §4.21),
 * from the same fold and status decision as replay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "entities.h"
#include "outfile.h"
#include "outpath.h"
#include "replay_args.h"
#include "trend.h"

const char cmd_entities_usage[] =
    "usage: funnel entities LOG [replay options] [--stage S]\n"
    "                           [--status won|lost|stale|open] [--where NAME=VALUE]...\n"
    "                           [--sort age|value|last|entity] [--limit N] [-o FILE]\n"
    "\n"
    "List the entities the report counts, one CSV row each, judged exactly as\n"
    "'funnel replay' judges them with the same options (docs/METRICS.md §4.21):\n"
    "  entity,status,stage,entered_stage,days_in_stage,entry,last_touch,\n"
    "  days_since_touch,lost_at,value\n"
    "then one column per attribute of the log (names sorted by bytes) holding\n"
    "the value --by would attribute (see --attribution).  stage is the highest\n"
    "stage reached, entered_stage when it was entered; days are as_of minus a\n"
    "time, with one decimal; times are written as by 'funnel cat'.\n"
    "\n"
    "Options (and every option of 'funnel replay': --stages, --funnel, --as-of,\n"
    "--stale-after, --window, --skipped, --by, --attribution, --threads, ...):\n"
    "  --stage S          only entities whose highest stage is S\n"
    "  --status STATUS    only won, lost, stale or open entities\n"
    "  --where NAME=VALUE only entities whose attributed NAME is VALUE (exact\n"
    "                     bytes; NAME= selects those with no value); repeatable,\n"
    "                     every --where must hold\n"
    "  --sort KEY         age: longest in its stage first (the default); last:\n"
    "                     longest untouched first; value: largest value first;\n"
    "                     entity: by id.  Ties always go by entity id bytes\n"
    "  --limit N          only the first N rows\n"
    "  -o, --output FILE  write to FILE (atomically: temp file, then rename)\n"
    "  -h, --help         show this text\n"
    "\n"
    "  funnel entities pipeline.flog --status stale --stage negotiating\n"
    "  funnel entities pipeline.flog --where region=EMEA --sort last --limit 20\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 corrupt log, 5 I/O or system error.\n";

enum {
    ENT_OPT_STAGE = REPLAY_OPT_NEXT,
    ENT_OPT_STATUS,
    ENT_OPT_WHERE,
    ENT_OPT_SORT,
    ENT_OPT_LIMIT,
};

static const struct cli_opt entities_opts[] = {
    REPLAY_ARGS_OPTS,
    {ENT_OPT_STAGE, "stage", CLI_VALUE},
    {ENT_OPT_STATUS, "status", CLI_VALUE},
    {ENT_OPT_WHERE, "where", CLI_VALUE},
    {ENT_OPT_SORT, "sort", CLI_VALUE},
    {ENT_OPT_LIMIT, "limit", CLI_VALUE},
    {'o', "output", CLI_PATH},
    {0, NULL, CLI_FLAG},
};

struct entities_args {
    struct replay_args a;
    struct ent_opts o;
    const char *stage;
};

static int own_option(struct entities_args *x, int key, const char *v)
{
    switch (key) {
    case ENT_OPT_STAGE:
        x->stage = v;   /* checked once the funnel is known */
        return 0;
    case ENT_OPT_STATUS:
        x->o.status = strcmp(v, "won") == 0 ? TR_IS_WON : strcmp(v, "lost") == 0 ? TR_IS_LOST
                    : strcmp(v, "stale") == 0 ? TR_IS_STALE : strcmp(v, "open") == 0 ? TR_OPEN : -2;
        return x->o.status == -2
                   ? cli_usage_error("entities", "bad --status \"%s\": expected won, lost, stale or open", v)
                   : 0;
    case ENT_OPT_WHERE: {
        const char *eq = strchr(v, '=');
        if (!eq || eq == v)
            return cli_usage_error("entities", "bad --where \"%s\": expected NAME=VALUE (NAME= for no value)", v);
        if (x->o.nwhere == ENT_MAX_WHERE)
            return cli_usage_error("entities", "--where given more than %d times", ENT_MAX_WHERE);
        x->o.where[x->o.nwhere++] = (struct ent_where){v, (size_t)(eq - v), eq + 1, strlen(eq + 1)};
        return 0;
    }
    case ENT_OPT_SORT:
        x->o.sort = strcmp(v, "age") == 0 ? ENT_SORT_AGE : strcmp(v, "value") == 0 ? ENT_SORT_VALUE
                  : strcmp(v, "last") == 0 ? ENT_SORT_LAST : strcmp(v, "entity") == 0 ? ENT_SORT_ENTITY
                  : (enum ent_sort)-1;
        return x->o.sort == (enum ent_sort)-1
                   ? cli_usage_error("entities", "bad --sort \"%s\": expected age, value, last or entity", v)
                   : 0;
    default: {   /* ENT_OPT_LIMIT */
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno || n < 1)
            return cli_usage_error("entities", "bad --limit \"%s\": expected a whole number of at least 1", v);
        x->o.limit = n;
        return 0;
    }
    }
}

static int parse(int argc, char **argv, struct entities_args *x)
{
    static const struct cli_spec spec = {"entities", cmd_entities_usage, "LOG", entities_opts};
    struct cli_getopt g;
    const char *v;
    int key;
    replay_args_defaults(&x->a);
    x->o = (struct ent_opts){.stage = -1, .status = -1, .sort = ENT_SORT_AGE};
    x->stage = NULL;
    cli_opts_init(&g, &spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0) {
        int rc = key >= REPLAY_OPT_NEXT ? own_option(x, key, v) : replay_args_option("entities", &x->a, key, v);
        if (rc)
            return rc;
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs != 1)
        return cli_usage_error("entities", g.nargs ? "expected one LOG, got '%s' too" : "expected a LOG%s",
                               g.nargs ? cli_opts_args(&g)[1] : "");
    x->a.log = cli_opts_args(&g)[0];
    if (x->a.stages && x->a.funnel_file)
        return cli_usage_error("entities", "give --stages or --funnel, not both");
    return cli_opts_need_file("entities", "LOG", x->a.log);
}

struct entities_run {
    const struct funnel_def *def;
    const struct ent_opts *o;
    struct outfile out;
    const char *out_name;
};

static int sink(void *ctx, const char *p, size_t n)
{
    struct entities_run *run = ctx;
    return fwrite(p, 1, n, run->out.fp) != n;
}

static int visit(void *ctx, const struct replay_view *v, struct fb_error *err)
{
    struct entities_run *run = ctx;
    int rc = ent_write_csv(v, run->def, run->o, sink, run, err);
    if (rc == FB_EIO)
        return fb_fail(err, FB_EIO, "error writing %s: %s", run->out_name, strerror(errno));
    return rc;
}

int cmd_entities(int argc, char **argv)
{
    struct entities_args x;
    struct funnel_def def = {0};
    int code = parse(argc, argv, &x);
    if (code == 0)
        code = replay_args_load_def("entities", &x.a, &def);
    if (code == 0 && x.stage) {
        int s = funnel_def_find(&def, x.stage, strlen(x.stage));
        if (s < 0)
            code = cli_usage_error("entities", "bad --stage \"%s\": the funnel has no such stage", x.stage);
        x.o.stage = s;
    }
    if (code) {
        funnel_def_free(&def);
        return code;
    }
    struct fb_error err;
    fb_error_clear(&err);
    struct outpath_inputs ins = {x.a.log, &x.a.funnel_file, x.a.funnel_file != NULL};
    const char *out = x.a.out ? x.a.out : "-";
    struct entities_run run = {&def, &x.o, {0}, strcmp(out, "-") ? out : "standard output"};
    int rc = outpath_refuse(out, &ins, &err);
    if (rc == 0)
        rc = outfile_open(&run.out, out, &err);
    if (rc == 0) {
        /* Nothing reaches FILE unless the whole list was written: an error
         * drops the temporary file and leaves the old one. */
        struct replay_info info;
        const struct replay_visitor vis = {1u << BLOG_D_ENTITY, visit, &run};
        x.a.o.def = &def;
        rc = replay_visit(x.a.log, &x.a.o, &vis, &info, &err);
        if (rc == 0 && info.tail_len > 0)
            cli_msg("%s: ignoring a torn tail of %lld bytes at offset %lld (%s), left by an "
                    "interrupted append; the next append or 'funnel verify --repair' cuts it",
                    x.a.log, (long long)info.tail_len, (long long)info.tail_offset, info.tail_reason);
        if (rc)
            outfile_abort(&run.out);
        else
            rc = outfile_commit(&run.out, &err);
    }
    funnel_def_free(&def);
    return cli_finish_stdout(rc ? cli_report(&err) : CLI_OK);
}
