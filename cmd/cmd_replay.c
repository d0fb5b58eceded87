/* cmd_replay.c - `funnel replay LOG`: the funnel report as JSON or a table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ftime.h"
#include "json_report.h"
#include "outfile.h"
#include "replay.h"
#include "text_report.h"

#define DEFAULT_STALE_AFTER (30 * 86400)

const char cmd_replay_usage[] =
    "usage: funnel replay LOG [--stages a,b,c | --funnel FILE] [--as-of TIME]\n"
    "                         [--stale-after DUR] [--text] [-o FILE]\n"
    "\n"
    "Replay the committed batches of LOG into the funnel report: stage\n"
    "conversion, time in stage, drop-outs and touch mix (docs/METRICS.md).\n"
    "The report is JSON (schema funnel-report/1) on standard output, or FILE.\n"
    "It never depends on the order of events in the log, nor on the clock:\n"
    "as_of defaults to the latest event time in the log.\n"
    "\n"
    "Options:\n"
    "  --stages a,b,c     the funnel's stages, first to last (the last = won);\n"
    "                     default suspect,prospect,interested,engaged,\n"
    "                     evaluating,negotiating,purchasing\n"
    "  --funnel FILE      the stages from FILE, one a line; '#' starts a comment\n"
    "  --as-of TIME       judge the funnel at TIME (same forms as CSV times);\n"
    "                     later events count only in events.after_as_of\n"
    "  --stale-after DUR  an entity nobody touched for longer than DUR has gone\n"
    "                     stale (90s, 45m, 12h, 30d, 2w; default 30d)\n"
    "  --text             an aligned table for a person instead of JSON\n"
    "  -o FILE            write to FILE (atomically: temp file, then rename)\n"
    "  -h, --help         show this text\n"
    "\n"
    "Stage names match case-insensitively; events at other stages are counted\n"
    "as unmapped and listed by name.  A torn tail left by an interrupted append\n"
    "is ignored with a notice.  Exit codes: 0 ok, 2 usage, 4 corrupt log,\n"
    "5 I/O or system error.\n";

struct replay_args {
    const char *log, *stages, *funnel_file, *out;
    int text;
    struct replay_opts o;
};

/* The value of an option given as "--opt V" or "--opt=V", or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *bad)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *bad = 1;
        return NULL;
    }
    return argv[++*i];
}

static int parse_value(struct replay_args *a, const char *name, const char *v)
{
    if (strcmp(name, "--as-of") == 0) {
        const char *why = ftime_parse(v, strlen(v), &a->o.as_of);
        if (why)
            return cli_usage_error("replay", "bad --as-of \"%s\": %s", v, why);
        a->o.has_as_of = 1;
    } else if (strcmp(name, "--stale-after") == 0) {
        if (ftime_parse_duration(v, &a->o.stale_after) != 0)
            return cli_usage_error("replay", "bad --stale-after \"%s\": expected a duration such as 90s, 45m, 12h, 30d or 2w", v);
    } else if (strcmp(name, "--stages") == 0) {
        a->stages = v;
    } else if (strcmp(name, "--funnel") == 0) {
        a->funnel_file = v;
    } else {
        a->out = v;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct replay_args *a)
{
    static const char *const valued[] = {"--stages", "--funnel", "--as-of", "--stale-after", "-o", "--output"};
    a->o.stale_after = DEFAULT_STALE_AFTER;
    for (int i = 1; i < argc; i++) {
        int bad = 0, matched = 0;
        for (size_t k = 0; k < sizeof valued / sizeof *valued && !matched; k++) {
            const char *v = opt_value(argc, argv, &i, valued[k], &bad);
            if (bad)
                return cli_usage_error("replay", "%s needs a value", valued[k]);
            if (v) {
                matched = 1;
                int rc = parse_value(a, valued[k], v);
                if (rc)
                    return rc;
            }
        }
        if (matched)
            continue;
        if (strcmp(argv[i], "--text") == 0)
            a->text = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error("replay", "unknown option '%s'", argv[i]);
        else if (a->log)
            return cli_usage_error("replay", "expected one LOG, got '%s' too", argv[i]);
        else
            a->log = argv[i];
    }
    if (!a->log)
        return cli_usage_error("replay", "expected a LOG");
    if (a->stages && a->funnel_file)
        return cli_usage_error("replay", "give --stages or --funnel, not both");
    return 0;
}

/* Shared with `report` later: build the funnel definition from the args. */
static int load_def(const struct replay_args *a, struct funnel_def *def)
{
    struct fb_error err;
    fb_error_clear(&err);
    int rc = a->stages ? funnel_def_from_list(def, a->stages, &err)
           : a->funnel_file ? funnel_def_from_file(def, a->funnel_file, &err)
           : funnel_def_default(def, &err);
    if (rc == FB_EUSAGE)
        return cli_usage_error("replay", "%s", err.msg);
    return rc ? cli_report(&err) : 0;
}

static int write_report(const struct replay_args *a, const struct res_report *rep, struct fb_error *err)
{
    struct outfile o;
    int rc = outfile_open(&o, a->out ? a->out : "-", err);
    if (rc)
        return rc;
    rc = a->text ? rpt_text_write(rep, o.fp, err) : rpt_json_write(rep, o.fp, err);
    if (rc) {
        outfile_abort(&o);
        return rc;
    }
    return outfile_commit(&o, err);
}

int cmd_replay(int argc, char **argv)
{
    struct replay_args a;
    struct funnel_def def = {0};
    memset(&a, 0, sizeof a);
    int code = parse_args(argc, argv, &a);
    if (code == 0)
        code = load_def(&a, &def);
    if (code) {
        funnel_def_free(&def);
        return code;
    }
    a.o.def = &def;
    struct fb_error err;
    struct res_report rep;
    struct replay_info info;
    fb_error_clear(&err);
    int rc = replay_log(a.log, &a.o, &rep, &info, &err);
    if (rc == 0 && info.tail_len > 0)
        cli_msg("%s: ignoring a torn tail of %lld bytes at offset %lld (%s), left by an "
                "interrupted append; the next append or 'funnel verify --repair' cuts it",
                a.log, (long long)info.tail_len, (long long)info.tail_offset, info.tail_reason);
    if (rc == 0)
        rc = write_report(&a, &rep, &err);
    code = rc ? cli_report(&err) : CLI_OK;
    res_report_free(&rep);
    funnel_def_free(&def);
    return cli_finish_stdout(code);
}
