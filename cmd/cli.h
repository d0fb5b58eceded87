/* cli.h - what every command shares: the command table entry, error printing,
 * help handling and the fixed exit codes (README.md, "Exit codes").
 */
#ifndef FUNNEL_CLI_H
#define FUNNEL_CLI_H

#include <stdio.h>
#include "err.h"

#define FUNNEL_VERSION "1.0.0"

enum cli_exit {
    CLI_OK = 0,
    CLI_DIFF = 1,
    CLI_USAGE = 2,
    CLI_BAD_INPUT = 3,
    CLI_CORRUPT = 4,
    CLI_IO = 5
};

/* One row of the dispatch table in main.c; `usage` is the full help text. */
struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage;
};

/* Print `funnel: PATH:LINE:COL: msg` (or the offset form) and return the
 * exit code for err->code. */
int cli_report(const struct fb_error *err);

/* printf-style "funnel: msg" on stderr. */
void cli_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error: print "funnel CMD: msg" and a hint, return CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* If argv holds -h/--help (before a lone "--"), print usage to stdout and
 * return 1, else 0. */
int cli_wants_help(int argc, char **argv, const char *usage);

/* Close stdout and report a failed flush/close as an I/O error (exit 5). */
int cli_finish_stdout(int rc);

#endif
