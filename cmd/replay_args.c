/* replay_args.c - option parsing and the replay shared by `replay` and
 * `report`; see replay_args.h. */
#include "replay_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ftime.h"

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

static int parse_value(const char *cmd, struct replay_args *a, const char *name, const char *v)
{
    if (strcmp(name, "--as-of") == 0) {
        const char *why = ftime_parse(v, strlen(v), &a->o.as_of);
        if (why)
            return cli_usage_error(cmd, "bad --as-of \"%s\": %s", v, why);
        a->o.has_as_of = 1;
    } else if (strcmp(name, "--stale-after") == 0) {
        if (ftime_parse_duration(v, &a->o.stale_after) != 0)
            return cli_usage_error(cmd, "bad --stale-after \"%s\": expected a duration such as 90s, 45m, 12h, 30d or 2w", v);
    } else if (strcmp(name, "--threads") == 0) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno || n < 1 || n > REPLAY_MAX_THREADS)
            return cli_usage_error(cmd, "bad --threads \"%s\": expected a whole number from 1 to %d",
                                   v, REPLAY_MAX_THREADS);
        a->o.threads = (unsigned)n;
    } else if (strcmp(name, "--stages") == 0) {
        a->stages = v;
    } else if (strcmp(name, "--funnel") == 0) {
        a->funnel_file = v;
    } else {
        a->out = v;
    }
    return 0;
}

int replay_args_parse(const char *cmd, int argc, char **argv, struct replay_args *a)
{
    static const char *const valued[] = {"--stages", "--funnel", "--as-of", "--stale-after",
                                         "--threads", "-o", "--output"};
    memset(a, 0, sizeof *a);
    a->o.stale_after = REPLAY_DEFAULT_STALE_AFTER;
    /* Every online core: the report is the same for any number. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    a->o.threads = cores < 1 ? 1 : cores > REPLAY_MAX_THREADS ? REPLAY_MAX_THREADS : (unsigned)cores;
    for (int i = 1; i < argc; i++) {
        int bad = 0, matched = 0;
        for (size_t k = 0; k < sizeof valued / sizeof *valued && !matched; k++) {
            const char *v = opt_value(argc, argv, &i, valued[k], &bad);
            if (bad)
                return cli_usage_error(cmd, "%s needs a value", valued[k]);
            if (v) {
                matched = 1;
                int rc = parse_value(cmd, a, valued[k], v);
                if (rc)
                    return rc;
            }
        }
        if (matched)
            continue;
        if (strcmp(argv[i], "--text") == 0)
            a->text = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (a->log)
            return cli_usage_error(cmd, "expected one LOG, got '%s' too", argv[i]);
        else
            a->log = argv[i];
    }
    if (!a->log)
        return cli_usage_error(cmd, "expected a LOG");
    if (a->stages && a->funnel_file)
        return cli_usage_error(cmd, "give --stages or --funnel, not both");
    return 0;
}

int replay_args_load_def(const char *cmd, const struct replay_args *a, struct funnel_def *def)
{
    struct fb_error err;
    fb_error_clear(&err);
    int rc = a->stages ? funnel_def_from_list(def, a->stages, &err)
           : a->funnel_file ? funnel_def_from_file(def, a->funnel_file, &err)
           : funnel_def_default(def, &err);
    if (rc == FB_EUSAGE)
        return cli_usage_error(cmd, "%s", err.msg);
    return rc ? cli_report(&err) : 0;
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
    return rc;
}
