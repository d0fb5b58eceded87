/* replay_args.h - the replay options shared by `funnel replay` and `funnel
 * report` (docs/METRICS.md §1-§2; docs/CHARTS.md): LOG,
 * --stages/--funnel, --as-of, --stale-after, --threads, --text and -o,
 * parsed one way for both (by cli_opts.h), and the replay itself with its
 * torn-tail notice. */
#ifndef FUNNEL_REPLAY_ARGS_H
#define FUNNEL_REPLAY_ARGS_H

#include "cli_opts.h"
#include "funnel_def.h"
#include "replay.h"
#include "result.h"

#define REPLAY_DEFAULT_STALE_AFTER (30 * 86400)

/* The keys of the replay options; a command that takes them (replay,
 * report, partial) puts REPLAY_ARGS_OPTS in its table and hands their
 * values to replay_args_option.  Its own long-only keys start at
 * REPLAY_OPT_NEXT. */
enum {
    REPLAY_OPT_STAGES = CLI_LONG_ONLY,
    REPLAY_OPT_FUNNEL,
    REPLAY_OPT_AS_OF,
    REPLAY_OPT_STALE_AFTER,
    REPLAY_OPT_TEXT,
    REPLAY_OPT_THREADS,
    REPLAY_OPT_TREND,
    REPLAY_OPT_PERIOD,
    REPLAY_OPT_WINDOW,
    REPLAY_OPT_SKIPPED,
    REPLAY_OPT_BY,
    REPLAY_OPT_ATTRIBUTION,
    REPLAY_OPT_COHORT,
    REPLAY_OPT_TOUCHES,
    REPLAY_OPT_NEXT
};

/* --stages, --funnel, --as-of, --stale-after, --threads, --trend, --period,
 * --window, --skipped, --by, --attribution, --cohort, --touches (not --text,
 * -o). */
#define REPLAY_ARGS_OPTS                                 \
    {REPLAY_OPT_STAGES, "stages", CLI_VALUE},            \
    {REPLAY_OPT_FUNNEL, "funnel", CLI_PATH},             \
    {REPLAY_OPT_AS_OF, "as-of", CLI_VALUE},              \
    {REPLAY_OPT_STALE_AFTER, "stale-after", CLI_VALUE},  \
    {REPLAY_OPT_THREADS, "threads", CLI_VALUE},          \
    {REPLAY_OPT_TREND, "trend", CLI_VALUE},              \
    {REPLAY_OPT_PERIOD, "period", CLI_VALUE},            \
    {REPLAY_OPT_WINDOW, "window", CLI_VALUE},            \
    {REPLAY_OPT_SKIPPED, "skipped", CLI_VALUE},          \
    {REPLAY_OPT_BY, "by", CLI_VALUE},                    \
    {REPLAY_OPT_ATTRIBUTION, "attribution", CLI_VALUE},  \
    {REPLAY_OPT_COHORT, "cohort", CLI_VALUE},            \
    {REPLAY_OPT_TOUCHES, "touches", CLI_FLAG}

/* --stale-after STAGE=DUR (docs/METRICS.md §4.14): the stage is checked
 * once the funnel is known, by replay_args_load_def. */
struct replay_stage_stale {
    const char *name;     /* borrowed from argv, name_len bytes */
    size_t name_len;
    int64_t seconds;
};

struct replay_args {
    const char *log, *stages, *funnel_file, *out;   /* borrowed from argv */
    int text;
    struct replay_stage_stale stale_stage[FUNNEL_MAX_STAGES];
    size_t nstale_stage;
    struct replay_opts o;
};

/* Zero a, then the defaults: stale_after 30d, a thread per online core. */
void replay_args_defaults(struct replay_args *a);

/* Take the value v of option key (REPLAY_OPT_*, or 'o' for a->out).
 * Returns 0 or CLI_USAGE (the message, naming cmd, is printed). */
int replay_args_option(const char *cmd, struct replay_args *a, int key, const char *v);

/* Parse argv (argv[0] = the command) into a, zeroed first, with the one
 * option parser (cli_opts.h); -h/--help prints `usage`.  Usage errors name
 * `cmd`.  Returns 0, CLI_USAGE (the message is printed) or CLI_HELP. */
int replay_args_parse(const char *cmd, const char *usage, int argc, char **argv,
                      struct replay_args *a);

/* Build the funnel from --stages, --funnel or the default, then set the
 * stages' own stale thresholds of --stale-after STAGE=DUR (the command line
 * wins over the funnel file).  Returns 0 or an exit code (the message is
 * printed). */
int replay_args_load_def(const char *cmd, const struct replay_args *a, struct funnel_def *def);

/* Replay a->log with the funnel def, noting a torn tail on stderr, then
 * pin a->o.log_end to the batches it read: later replays of a (the page's
 * folds) read the same ones, whatever is appended meanwhile.
 * Returns 0 (free *rep with res_report_free) or an FB_E* code in err. */
int replay_args_replay(struct replay_args *a, const struct funnel_def *def,
                       struct res_report *rep, struct fb_error *err);

/* Write rep to out ("-" or NULL: standard output) atomically, as JSON or
 * with `text` as the table: the one writer of replay's and merge's reports,
 * so that merge is byte-identical to replay by construction.  Returns 0 or
 * an FB_E* code in err. */
int replay_args_write(const char *out, int text, const struct res_report *rep,
                      struct fb_error *err);

#endif
