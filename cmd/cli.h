/* cli.h - what every command shares: the command table entry, error printing
 * and the fixed exit codes (README.md, "Exit codes"); options are cli_opts.h.
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
    CLI_IO = 5,
    /* Not an exit code: a command returns it when -h/--help printed its
     * usage, and main() exits 0 after checking standard output. */
    CLI_HELP = -1
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

/* Close stdout and report a failed flush/close as an I/O error (exit 5). */
int cli_finish_stdout(int rc);

/* The cores online, from 1 to `most`: the default of --threads, and of the
 * gnuplots `funnel chart` runs at once. */
unsigned cli_online_cores(unsigned most);

#endif
