/* replay_args.c - option parsing and the replay shared by `replay` and
 * `report`; see replay_args.h. */
#include "replay_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cli_opts.h"
#include "ftime.h"
#include "json_report.h"
#include "outfile.h"
#include "period.h"
#include "text_report.h"
#include "text_touches.h"

static const struct cli_opt replay_opts[] = {
    REPLAY_ARGS_OPTS,
    {REPLAY_OPT_TEXT, "text", CLI_FLAG},
    {'o', "output", CLI_PATH},
    {0, NULL, CLI_FLAG},
};

/* --stale-after DUR, the default, or STAGE=DUR, a stage's own
 * (docs/METRICS.md §4.14; the stage is checked by replay_args_load_def). */
static int stale_option(const char *cmd, struct replay_args *a, const char *v)
{
    const char *eq = strrchr(v, '=');
    const char *dur = eq ? eq + 1 : v;
    int64_t secs;
    if (ftime_parse_duration(dur, &secs) != 0)
        return cli_usage_error(cmd, "bad --stale-after \"%s\": expected a duration such as 90s, 45m, "
                               "12h, 30d or 2w, or STAGE=DURATION", v);
    if (!eq) {
        a->o.stale_after = secs;
        return 0;
    }
    if (eq == v)
        return cli_usage_error(cmd, "bad --stale-after \"%s\": no stage name before '='", v);
    if (a->nstale_stage == FUNNEL_MAX_STAGES)
        return cli_usage_error(cmd, "--stale-after STAGE=DUR given more than %d times", FUNNEL_MAX_STAGES);
    a->stale_stage[a->nstale_stage++] = (struct replay_stage_stale){v, (size_t)(eq - v), secs};
    return 0;
}

int replay_args_option(const char *cmd, struct replay_args *a, int key, const char *v)
{
    switch (key) {
    case REPLAY_OPT_AS_OF: {
        const char *why = ftime_parse(v, strlen(v), &a->o.as_of);
        if (why)
            return cli_usage_error(cmd, "bad --as-of \"%s\": %s", v, why);
        a->o.has_as_of = 1;
        break;
    }
    case REPLAY_OPT_STALE_AFTER:
        return stale_option(cmd, a, v);
    case REPLAY_OPT_WINDOW:
        if (ftime_parse_duration(v, &a->o.conv.window) != 0 || a->o.conv.window == 0)
            return cli_usage_error(cmd, "bad --window \"%s\": expected a duration of at least 1s "
                                   "such as 90s, 45m, 12h, 30d or 2w", v);
        a->o.groups.window = a->o.conv.window;   /* a cohort's `complete` (METRICS.md §4.18) */
        break;
    case REPLAY_OPT_SKIPPED:
        if (strcmp(v, "count") != 0 && strcmp(v, "ignore") != 0)
            return cli_usage_error(cmd, "bad --skipped \"%s\": expected count or ignore", v);
        a->o.conv.skip_ignore = strcmp(v, "ignore") == 0;
        break;
    case REPLAY_OPT_THREADS: {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno || n < 1 || n > REPLAY_MAX_THREADS)
            return cli_usage_error(cmd, "bad --threads \"%s\": expected a whole number from 1 to %d",
                                   v, REPLAY_MAX_THREADS);
        a->o.threads = (unsigned)n;
        break;
    }
    case REPLAY_OPT_TREND: {
        enum period_unit u;
        if (period_parse(v, &u) != 0 || u > PERIOD_MONTH)
            return cli_usage_error(cmd, "bad --trend \"%s\": expected day, week or month", v);
        a->o.trend = 1 + (int)u;
        break;
    }
    case REPLAY_OPT_PERIOD:
        if (ftime_parse_duration(v, &a->o.period) != 0 || a->o.period == 0)
            return cli_usage_error(cmd, "bad --period \"%s\": expected a duration above 0 such as 7d, 2w or 24h", v);
        break;
    case REPLAY_OPT_BY:   /* docs/METRICS.md §4.17 */
        if (!*v)
            return cli_usage_error(cmd, "bad --by \"\": expected an attribute name");
        if (a->o.groups.nby == GROUPS_MAX_BY)
            return cli_usage_error(cmd, "--by given more than %d times", GROUPS_MAX_BY);
        for (size_t k = 0; k < a->o.groups.nby; k++)
            if (strcasecmp(a->o.groups.by[k], v) == 0)
                return cli_usage_error(cmd, "--by \"%s\" given twice", v);
        a->o.groups.by[a->o.groups.nby++] = v;
        break;
    case REPLAY_OPT_ATTRIBUTION:
        if (strcmp(v, "first") != 0 && strcmp(v, "last") != 0)
            return cli_usage_error(cmd, "bad --attribution \"%s\": expected first or last", v);
        a->o.groups.last = strcmp(v, "last") == 0;
        break;
    case REPLAY_OPT_COHORT: {   /* docs/METRICS.md §4.18 */
        enum period_unit u;
        if (period_parse(v, &u) != 0)
            return cli_usage_error(cmd, "bad --cohort \"%s\": expected day, week, month, quarter or year", v);
        a->o.groups.cohort = 1 + (int)u;
        break;
    }
    case REPLAY_OPT_STAGES:
        a->stages = v;
        break;
    case REPLAY_OPT_FUNNEL:
        a->funnel_file = v;
        break;
    case REPLAY_OPT_TEXT:
        a->text = 1;
        break;
    case REPLAY_OPT_TOUCHES:   /* docs/METRICS.md §4.22 */
        a->o.touches = 1;
        break;
    default:
        a->out = v;
    }
    return 0;
}

void replay_args_defaults(struct replay_args *a)
{
    memset(a, 0, sizeof *a);
    a->o.stale_after = REPLAY_DEFAULT_STALE_AFTER;
    /* Every online core: the report is the same for any number. */
    a->o.threads = cli_online_cores(REPLAY_MAX_THREADS);
}

int replay_args_parse(const char *cmd, const char *usage, int argc, char **argv,
                      struct replay_args *a)
{
    const struct cli_spec spec = {cmd, usage, "LOG", replay_opts};
    struct cli_getopt g;
    const char *v;
    int key;
    replay_args_defaults(a);
    cli_opts_init(&g, &spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0) {
        int rc = replay_args_option(cmd, a, key, v);
        if (rc)
            return rc;
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs > 1)
        return cli_usage_error(cmd, "expected one LOG, got '%s' too", cli_opts_args(&g)[1]);
    if (g.nargs == 0)
        return cli_usage_error(cmd, "expected a LOG");
    a->log = cli_opts_args(&g)[0];
    if (a->stages && a->funnel_file)
        return cli_usage_error(cmd, "give --stages or --funnel, not both");
    return cli_opts_need_file(cmd, "LOG", a->log);
}

int replay_args_load_def(const char *cmd, const struct replay_args *a, struct funnel_def *def)
{
    struct fb_error err;
    fb_error_clear(&err);
    int rc = a->stages ? funnel_def_from_list(def, a->stages, &err)
           : a->funnel_file ? funnel_def_from_file(def, a->funnel_file, &err)
           : funnel_def_default(def, &err);
    /* The command line wins over the funnel file; a later option over an
     * earlier one, as for --stale-after DUR. */
    for (size_t i = 0; rc == 0 && i < a->nstale_stage; i++) {
        const struct replay_stage_stale *x = &a->stale_stage[i];
        int s = funnel_def_find(def, x->name, x->name_len);
        if (s < 0)   /* (the caller frees def) */
            return cli_usage_error(cmd, "bad --stale-after \"%s\": the funnel has no stage \"%.*s\"",
                                   x->name, (int)x->name_len, x->name);
        rc = funnel_def_set_stale(def, (size_t)s, x->seconds, &err);
    }
    if (rc == FB_EUSAGE)
        return cli_usage_error(cmd, "%s", err.msg);
    return rc ? cli_report(&err) : 0;
}

/* An unmapped stage " prospect" is almost surely meant as "prospect", but
 * events are mapped without trimming (docs/METRICS.md §1): say so on stderr,
 * for at most HINTS names.  The hint names the funnel's stage and counts the
 * blanks, so no raw bytes of the data reach the terminal. */
#define HINTS 5
static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static void hint_near_misses(const struct res_report *rep, const struct funnel_def *def)
{
    size_t shown = 0, more = 0;
    for (size_t i = 0; i < rep->nunmapped; i++) {
        const struct res_unmapped *u = &rep->unmapped[i];
        size_t s = 0;
        while (s < def->n && !funnel_name_eq_trimmed(u->name, u->len, def->names[s]))
            s++;
        if (s == def->n)
            continue;
        if (shown == HINTS) {
            more++;
            continue;
        }
        shown++;
        size_t lead = 0, trail = 0;   /* the name is not all blanks: it holds a stage name */
        while (is_blank(u->name[lead]))
            lead++;
        while (is_blank(u->name[u->len - 1 - trail]))
            trail++;
        cli_msg("hint: %llu event%s at stage \"%s\" with %zu blank%s before it and %zu after it "
                "%s left unmapped: a stage maps only when the names are equal but for letter "
                "case (docs/METRICS.md §1); trim the stage column of the input",
                (unsigned long long)u->events, u->events == 1 ? "" : "s", def->names[s], lead,
                lead == 1 ? "" : "s", trail, u->events == 1 ? "was" : "were");
    }
    if (more)
        cli_msg("hint: and %zu more unmapped stage names that are a stage name with blanks around it",
                more);
}

int replay_args_replay(struct replay_args *a, const struct funnel_def *def,
                       struct res_report *rep, struct fb_error *err)
{
    struct replay_info info;
    a->o.def = def;
    int rc = replay_log(a->log, &a->o, rep, &info, err);
    if (rc == 0 && info.tail_len > 0)
        cli_msg("%s: ignoring a torn tail of %lld bytes at offset %lld (%s), left by an "
                "interrupted append; the next append or 'funnel verify --repair' cuts it",
                a->log, (long long)info.tail_len, (long long)info.tail_offset, info.tail_reason);
    if (rc == 0) {
        hint_near_misses(rep, def);
        a->o.log_end = info.tail_offset;
    }
    return rc;
}

int replay_args_write(const char *out, int text, const struct res_report *rep,
                      struct fb_error *err)
{
    struct outfile o;
    int rc = outfile_open(&o, out ? out : "-", err);
    if (rc)
        return rc;
    rc = text ? rpt_text_write(rep, o.fp, err) : rpt_json_write(rep, o.fp, err);
    if (rc == 0 && text)
        rc = rpt_text_touches(rep, o.fp, err);
    if (rc) {
        outfile_abort(&o);
        return rc;
    }
    return outfile_commit(&o, err);
}
