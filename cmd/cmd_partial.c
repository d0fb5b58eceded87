/* cmd_partial.c - `funnel partial DIR --shard I/N -o PART`: the partial
 * state of one shard of a shard set (docs/SCALE.md §1), written as the
 * file of docs/FORMAT.md §14 for `funnel merge`.  The shard is checked
 * against the MANIFEST and its entities against the shard hash first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "outpath.h"
#include "commands.h"
#include "partfile.h"
#include "replay_args.h"
#include "shardset.h"

const char cmd_partial_usage[] =
    "usage: funnel partial DIR --shard I/N -o PART [--stages a,b,c | --funnel FILE]\n"
    "                      [--as-of TIME] [--stale-after [STAGE=]DUR]... [--window DUR]\n"
    "                      [--skipped count|ignore] [--threads N] [--trend UNIT]\n"
    "                      [--period DUR]\n"
    "       funnel partial DIR --shard env -o PART ...\n"
    "\n"
    "Replay shard I of the shard set DIR (written by 'funnel shard' or\n"
    "'funnel append --shards') into its partial state PART, for 'funnel merge'\n"
    "(docs/SCALE.md).  The merge of the N partial states is byte for byte the\n"
    "report 'funnel replay' gives of the unsharded log.  The shard must match\n"
    "DIR/MANIFEST and hold only entities that hash to it.  With the default\n"
    "as_of (the latest event of the whole set, which one shard cannot know)\n"
    "entities that may still turn stale are decided at the merge.\n"
    "\n"
    "Options:\n"
    "  --shard I/N        shard I (0 to N-1) of N; N must be the set's\n"
    "  --shard env        I from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX,\n"
    "                     AWS_BATCH_JOB_ARRAY_INDEX or BATCH_TASK_INDEX (the\n"
    "                     one that is set), N from DIR/MANIFEST\n"
    "  -o, --output PART  the partial state to write (atomically)\n"
    "  --stages, --funnel, --as-of, --stale-after, --window, --skipped, --threads,\n"
    "  --trend, --period, --by, --attribution, --cohort, --touches\n"
    "                     as for 'funnel replay'; every partial of one merge\n"
    "                     must be made with the same funnel and options\n"
    "  -h, --help         show this text\n"
    "\n"
    "Exit codes: 0 ok, 2 usage (also: a bad or missing index), 4 corrupt shard\n"
    "or shard set, 5 I/O or system error.\n";

enum { OPT_SHARD = REPLAY_OPT_NEXT };

static const struct cli_opt partial_opts[] = {
    REPLAY_ARGS_OPTS,
    {OPT_SHARD, "shard", CLI_VALUE},
    {'o', "output", CLI_PATH},
    {0, NULL, CLI_FLAG},
};

/* The engines' index variables, docs/SCALE.md §1. */
static const char *const index_vars[] = {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX",
                                         "AWS_BATCH_JOB_ARRAY_INDEX", "BATCH_TASK_INDEX"};

/* A decimal number 0..max from s[0..len) (len 0: the whole string). */
static int parse_index(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    if (len == 0)
        len = strlen(s);
    if (len == 0 || len > 9)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* --shard env: the one engine variable that is set. */
static int index_from_env(uint32_t n, uint32_t *index)
{
    const char *name = NULL, *val = NULL;
    for (size_t k = 0; k < sizeof index_vars / sizeof index_vars[0]; k++) {
        const char *v = getenv(index_vars[k]);
        if (!v || !*v)
            continue;
        if (val && strcmp(v, val) != 0)
            return cli_usage_error("partial", "--shard env: %s=%s and %s=%s disagree", name, val,
                                   index_vars[k], v);
        name = index_vars[k];
        val = v;
    }
    if (!val)
        return cli_usage_error("partial", "--shard env: none of SLURM_ARRAY_TASK_ID, "
                               "JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, BATCH_TASK_INDEX is set");
    unsigned long i;
    if (parse_index(val, 0, 999999999, &i) != 0)
        return cli_usage_error("partial", "--shard env: %s=\"%s\" is not an index", name, val);
    if (i >= n)
        return cli_usage_error("partial", "--shard env: %s=%lu, but the set has %u shards (0 to %u)",
                               name, i, n, n - 1);
    *index = (uint32_t)i;
    return 0;
}

/* --shard I/N: its syntax, checked before anything is read. */
static int parse_spec(const char *spec, unsigned long *i, unsigned long *n)
{
    const char *slash = strchr(spec, '/');
    if (!slash || parse_index(spec, (size_t)(slash - spec), 999999999, i) != 0 ||
        parse_index(slash + 1, 0, 999999999, n) != 0 || *n < 1 || *i >= *n)
        return cli_usage_error("partial", "bad --shard \"%s\": expected I/N with 0 <= I < N, or env", spec);
    return 0;
}

struct partial_args {
    struct replay_args r;
    const char *dir, *shard;
    unsigned long index, n;       /* of --shard I/N */
};

static int parse(int argc, char **argv, struct partial_args *a)
{
    const struct cli_spec spec = {"partial", cmd_partial_usage, "DIR", partial_opts};
    struct cli_getopt g;
    const char *v;
    int key;
    memset(a, 0, sizeof *a);
    replay_args_defaults(&a->r);
    cli_opts_init(&g, &spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0) {
        if (key == OPT_SHARD) {
            a->shard = v;
            continue;
        }
        int rc = replay_args_option("partial", &a->r, key, v);
        if (rc)
            return rc;
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs == 0)
        return cli_usage_error("partial", "expected a DIR");
    if (g.nargs > 1)
        return cli_usage_error("partial", "expected one DIR, got '%s' too", cli_opts_args(&g)[1]);
    a->dir = cli_opts_args(&g)[0];
    if (!a->shard)
        return cli_usage_error("partial", "expected --shard I/N or --shard env");
    if (strcmp(a->shard, "env") != 0 && parse_spec(a->shard, &a->index, &a->n) != 0)
        return CLI_USAGE;
    if (!a->r.out)
        return cli_usage_error("partial", "expected -o PART");
    if (a->r.stages && a->r.funnel_file)
        return cli_usage_error("partial", "give --stages or --funnel, not both");
    int rc = cli_opts_need_file("partial", "DIR", a->dir);
    return rc ? rc : cli_opts_need_file("partial", "-o PART", a->r.out);
}

/* Replay shard `index` of m into p's summary and write p. */
static int run(struct partial_args *a, const struct shardset *m, uint32_t index, struct partial *p,
               struct fb_error *err)
{
    char path[4096];
    struct replay_info info;
    if (shardset_shard_path(path, sizeof path, a->dir, index, m->n) != 0)
        return fb_fail_at(err, FB_EUSAGE, a->dir, 0, 0, "directory name too long");
    /* The partial may not replace what it reads: the shard, the MANIFEST,
     * the funnel file (docs/RELIABILITY.md). */
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s/%s", a->dir, SHARDSET_MANIFEST);
    const char *files[2] = {manifest, a->r.funnel_file};
    const struct outpath_inputs ins = {path, files, a->r.funnel_file ? 2 : 1};
    int refused = outpath_refuse(a->r.out, &ins, err);
    if (refused)
        return refused;
    const struct replay_shard sh = {m, index};
    int rc = replay_summary(path, &a->r.o, &sh, &p->sum, &info, err);
    if (rc)
        return rc;
    if (info.tail_len > 0)
        cli_msg("%s: ignoring a torn tail of %lld bytes at offset %lld (%s)", path,
                (long long)info.tail_len, (long long)info.tail_offset, info.tail_reason);
    memcpy(p->set_id, m->set_id, sizeof p->set_id);
    p->n = m->n;
    p->index[index / 8] |= (unsigned char)(1u << (index % 8));
    p->has_as_of = a->r.o.has_as_of;
    return partial_write(a->r.out, p, err);
}

int cmd_partial(int argc, char **argv)
{
    struct partial_args a;
    struct partial p;
    struct shardset m;
    struct fb_error err;
    memset(&p, 0, sizeof p);
    memset(&m, 0, sizeof m);
    fb_error_clear(&err);
    int code = parse(argc, argv, &a);
    if (code == 0)
        code = replay_args_load_def("partial", &a.r, &p.def);
    if (code) {
        partial_free(&p);
        return code;
    }
    int rc = shardset_read(a.dir, &m, NULL, &err);
    uint32_t index = 0;
    if (rc == 0) {
        if (strcmp(a.shard, "env") == 0)
            code = index_from_env(m.n, &index);
        else if (a.n != m.n)
            code = cli_usage_error("partial", "--shard %s: the shard set has %u shards, not %lu",
                                   a.shard, m.n, a.n);
        else
            index = (uint32_t)a.index;
        if (code == 0) {
            a.r.o.def = &p.def;
            rc = run(&a, &m, index, &p, &err);
        }
    }
    if (rc)
        code = cli_report(&err);
    shardset_free(&m);
    partial_free(&p);
    return code;
}
