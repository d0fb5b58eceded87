/* cli_opts.h - the one option parser of every command (README.md "Options";
 * docs/DECISIONS.md "Command line"): a thin layer over getopt_long with a
 * table per command.  Options may come before, between or after the operands;
 * "--" ends the options; "-" is an operand (standard input or output where a
 * command streams, a usage error where it needs a file); "--opt=V" and
 * "--opt V" are the same; -h/--help prints the usage.  Every mistake (unknown
 * option, missing value, a value given to a flag, an empty path) is a usage
 * error naming the option, exit 2.
 */
#ifndef FUNNEL_CLI_OPTS_H
#define FUNNEL_CLI_OPTS_H

#include <getopt.h>

enum cli_opt_arg {
    CLI_FLAG,    /* takes no value */
    CLI_VALUE,   /* takes a value, which the command checks */
    CLI_PATH     /* takes a file or directory name, never empty */
};

/* Keys of options that have no short form start here, above every letter. */
#define CLI_LONG_ONLY 256

/* One option: key is its short letter ('o') or CLI_LONG_ONLY + n; name is
 * its long spelling without "--", or NULL when it has none. */
struct cli_opt {
    int key;
    const char *name;
    enum cli_opt_arg arg;
};

/* A command's options; opts ends with a zero row.  operands names the
 * positional arguments in messages ("LOG FILE..."; a last word ending in
 * "..." repeats). */
struct cli_spec {
    const char *cmd;
    const char *usage;
    const char *operands;
    const struct cli_opt *opts;
};

#define CLI_MAX_OPTS 24

/* The parser's state; fill it with cli_opts_init, then call cli_opts_next
 * until it returns CLI_OPTS_END or CLI_OPTS_STOP. */
struct cli_getopt {
    const struct cli_spec *spec;
    int argc;
    char **argv;
    int nargs;   /* operands found, moved in order to argv[1..nargs] */
    int code;    /* the exit code after CLI_OPTS_STOP */
    struct option longopts[CLI_MAX_OPTS + 2];
    char shortopts[3 * CLI_MAX_OPTS + 8];
};

#define CLI_OPTS_END 0
#define CLI_OPTS_STOP (-1)

/* Start parsing argv (argv[0] = the command name) with spec, which must
 * outlive g.  Resets getopt's global state. */
void cli_opts_init(struct cli_getopt *g, const struct cli_spec *spec, int argc, char **argv);

/* The next option: returns its key with *val set to its value (NULL for a
 * flag); CLI_OPTS_END when argv is used up (the operands are then
 * cli_opts_args(g)[0 .. g->nargs - 1]); or CLI_OPTS_STOP when the command
 * must return g->code: CLI_USAGE (the error is printed) or, after -h/--help
 * printed the usage, CLI_HELP.  Moves the operands to argv[1..]. */
int cli_opts_next(struct cli_getopt *g, const char **val);

/* The operands, in the order given; valid after CLI_OPTS_END. */
char **cli_opts_args(const struct cli_getopt *g);

/* "-" names no file here: where `what` (LOG, -o DIR) must be a file, say so
 * and return CLI_USAGE; otherwise return 0. */
int cli_opts_need_file(const char *cmd, const char *what, const char *path);

#endif
