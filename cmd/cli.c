/* cli.c - error printing and exit codes shared by all commands; options
 * are cli_opts.c. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

int cli_report(const struct fb_error *err)
{
    if (err->path[0] && err->line > 0 && err->col > 0)
        fprintf(stderr, "funnel: %s:%ld:%ld: %s\n", err->path, err->line,
                err->col, err->msg);
    else if (err->path[0] && err->line > 0)
        fprintf(stderr, "funnel: %s:%ld: %s\n", err->path, err->line, err->msg);
    else if (err->path[0] && err->offset >= 0)
        fprintf(stderr, "funnel: %s: offset %lld: %s\n", err->path,
                (long long)err->offset, err->msg);
    else if (err->path[0])
        fprintf(stderr, "funnel: %s: %s\n", err->path, err->msg);
    else
        fprintf(stderr, "funnel: %s\n", err->msg);
    return fb_exit_code(err->code);
}

void cli_msg(const char *fmt, ...)
{
    va_list ap;
    fputs("funnel: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "funnel %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'funnel %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_finish_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, "funnel: error writing standard output: %s\n",
                strerror(e ? e : EIO));
        return rc == CLI_OK || rc == CLI_DIFF ? CLI_IO : rc;
    }
    return rc;
}

unsigned cli_online_cores(unsigned most)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : (unsigned long)cores > most ? most : (unsigned)cores;
}
