/* replay_args.h - the replay options shared by `funnel replay` and `funnel
 * report` (issue 2, "Replay semantics"; issue 3, "Commands"): LOG,
 * --stages/--funnel, --as-of, --stale-after, --threads, --text and -o,
 * parsed one way for both (by cli_opts.h), and the replay itself with its
 * torn-tail notice. */
#ifndef FUNNEL_REPLAY_ARGS_H
#define FUNNEL_REPLAY_ARGS_H

#include "funnel_def.h"
#include "replay.h"
#include "result.h"

#define REPLAY_DEFAULT_STALE_AFTER (30 * 86400)
/* --threads: each thread holds about 3 MB of block buffers. */
#define REPLAY_MAX_THREADS 256

struct replay_args {
    const char *log, *stages, *funnel_file, *out;   /* borrowed from argv */
    int text;
    struct replay_opts o;
};

/* Parse argv (argv[0] = the command) into a, zeroed first, with the one
 * option parser (cli_opts.h); -h/--help prints `usage`.  Usage errors name
 * `cmd`.  Returns 0, CLI_USAGE (the message is printed) or CLI_HELP. */
int replay_args_parse(const char *cmd, const char *usage, int argc, char **argv,
                      struct replay_args *a);

/* Build the funnel from --stages, --funnel or the default.  Returns 0 or an
 * exit code (the message is printed). */
int replay_args_load_def(const char *cmd, const struct replay_args *a, struct funnel_def *def);

/* Replay a->log with the funnel def, noting a torn tail on stderr.
 * Returns 0 (free *rep with res_report_free) or an FB_E* code in err. */
int replay_args_replay(struct replay_args *a, const struct funnel_def *def,
                       struct res_report *rep, struct fb_error *err);

#endif
