/* cmd_check.c - `funnel check REPORT EXPECTED [--tolerance REL]`: compare a
 * JSON report with a fixture that pins some or all of its values.  Option
 * parsing, loading and printing only; the comparison is reports/jsondiff.c. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "jsondiff.h"

const char cmd_check_usage[] =
    "usage: funnel check REPORT EXPECTED [--tolerance REL]\n"
    "\n"
    "Compare the JSON document REPORT (typically the output of 'funnel\n"
    "replay') with EXPECTED.  EXPECTED may be a subset of a report, so a\n"
    "fixture can pin only the values that matter: every value in EXPECTED is\n"
    "checked, and keys that only REPORT has are ignored.  Either file may be\n"
    "'-' for standard input (not both).\n"
    "\n"
    "Rules (the kind of a number is taken from EXPECTED):\n"
    "  integer   equal to the number in REPORT, which may be an integer or a\n"
    "            real of exactly that value (3 matches 3.0, not 3.5)\n"
    "  real      matches a number g in REPORT when\n"
    "            |expected - g| <= REL * max(|expected|, |g|)\n"
    "  string, true, false, null\n"
    "            exactly equal, and of the same type (null does not match 0)\n"
    "  array     same number of elements, then compared element by element;\n"
    "            a length mismatch is one difference, elements are not compared\n"
    "  object    every key of EXPECTED must be in REPORT; extra keys are fine\n"
    "\n"
    "Each difference is printed on standard output, one a line, as a path and\n"
    "what differs, with values written as compact JSON (reals with 17\n"
    "significant digits), e.g.\n"
    "  stages[3].time_in_stage.median_s: expected 86400, got 90000\n"
    "  outcomes.won: missing\n"
    "  stages: expected 7 elements, got 6\n"
    "  win_rate: expected 0.25, got null\n"
    "  time_to_win: expected an object, got null\n"
    "Keys are joined with '.', array elements are written [i] (from 0).  A key\n"
    "that is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*) is written as a\n"
    "JSON string in brackets, e.g. by_source[\"web form\"].won; a difference in\n"
    "the top-level value itself has the path (root).  A count of differences\n"
    "follows on standard error.\n"
    "\n"
    "When everything matches, it prints\n"
    "  funnel check: N values compared, all match\n"
    "where N counts the non-container values of EXPECTED.\n"
    "\n"
    "Both files must hold one JSON object or array; duplicate keys in an\n"
    "object make a file invalid.\n"
    "\n"
    "Options:\n"
    "  --tolerance REL  relative tolerance for reals, a non-negative finite\n"
    "                   number (default 1e-9; 0 means exactly equal);\n"
    "                   --tolerance=REL works too\n"
    "  -h, --help       show this text\n"
    "\n"
    "Exit codes: 0 all match, 1 differences, 2 usage, 3 a file is missing,\n"
    "unreadable or not valid JSON (reported as FILE:LINE:COL: message),\n"
    "5 I/O or system error.\n";

#define DEFAULT_TOLERANCE 1e-9

struct check_args {
    const char *report;
    const char *expected;
    double tol;
};

/* strtod alone would take " 1e-6", "nan" and "inf"; none of them is a
 * tolerance anybody means.  Overflow shows as inf; underflow (1e-400) is
 * harmless, the tolerance just rounds to a tiny value or 0. */
static int parse_tolerance(const char *s, double *out)
{
    char *end;
    if (!*s || isspace((unsigned char)*s))
        return -1;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

enum { OPT_TOLERANCE = CLI_LONG_ONLY };

static const struct cli_opt check_opts[] = {
    {OPT_TOLERANCE, "tolerance", CLI_VALUE},
    {0, NULL, CLI_FLAG},
};

static const struct cli_spec check_spec = {"check", cmd_check_usage, "REPORT EXPECTED", check_opts};

static int parse_args(int argc, char **argv, struct check_args *a)
{
    struct cli_getopt g;
    const char *val;
    int key;
    a->tol = DEFAULT_TOLERANCE;
    cli_opts_init(&g, &check_spec, argc, argv);
    while ((key = cli_opts_next(&g, &val)) > 0)   /* --tolerance, the only option */
        if (parse_tolerance(val, &a->tol) != 0)
            return cli_usage_error("check", "--tolerance: expected a non-negative "
                                   "finite number, got '%s'", val);
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs > 2)
        return cli_usage_error("check", "unexpected argument '%s'", cli_opts_args(&g)[2]);
    if (g.nargs < 2)
        return cli_usage_error("check", "expected REPORT and EXPECTED");
    a->report = cli_opts_args(&g)[0];
    a->expected = cli_opts_args(&g)[1];
    if (strcmp(a->report, "-") == 0 && strcmp(a->expected, "-") == 0)
        return cli_usage_error("check", "only one of REPORT and EXPECTED can be '-'");
    return 0;
}

/* jansson's column is that of the token's end, 0 before any character (an
 * empty file); clamp to 1 so the message always reads FILE:LINE:COL. */
static int parse_error(const char *name, const json_error_t *je, struct fb_error *err)
{
    if (je->line < 1)
        return fb_fail_at(err, FB_EINPUT, name, 0, 0, "%s", je->text);
    return fb_fail_at(err, FB_EINPUT, name, je->line, je->column > 0 ? je->column : 1,
                      "%s", je->text);
}

static int load_stream(FILE *f, const char *name, json_t **out, struct fb_error *err)
{
    struct stat st;
    json_error_t je;
    /* A directory opens fine and then reads as an empty "file". */
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
        return fb_fail_at(err, FB_EINPUT, name, 0, 0, "%s", strerror(EISDIR));
    errno = 0;
    *out = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    if (!*out && ferror(f))
        return fb_fail_at(err, FB_EINPUT, name, 0, 0, "read error: %s",
                          strerror(errno ? errno : EIO));
    return *out ? 0 : parse_error(name, &je, err);
}

static int load(const char *path, json_t **out, struct fb_error *err)
{
    if (strcmp(path, "-") == 0)
        return load_stream(stdin, "<stdin>", out, err);
    FILE *f = fopen(path, "r");
    if (!f)
        return fb_fail_at(err, FB_EINPUT, path, 0, 0, "%s", strerror(errno));
    int rc = load_stream(f, path, out, err);
    fclose(f);
    return rc;
}

static void print_difference(void *ctx, const char *path, const char *what)
{
    (void)ctx;
    printf("%s: %s\n", path, what);
}

int cmd_check(int argc, char **argv)
{
    struct check_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc;
    struct fb_error err;
    json_t *report = NULL, *expected = NULL;
    size_t compared = 0, differences = 0;
    fb_error_clear(&err);
    rc = load(a.report, &report, &err);
    if (rc == 0)
        rc = load(a.expected, &expected, &err);
    if (rc == 0)
        rc = jdiff_compare(expected, report, a.tol, print_difference, NULL,
                           &compared, &differences, &err);
    json_decref(report);
    json_decref(expected);
    if (rc != 0)
        return cli_finish_stdout(cli_report(&err));
    if (differences) {
        fprintf(stderr, "funnel check: %zu difference%s (%zu values compared)\n",
                differences, differences == 1 ? "" : "s", compared);
        return cli_finish_stdout(CLI_DIFF);
    }
    printf("funnel check: %zu values compared, all match\n", compared);
    return cli_finish_stdout(CLI_OK);
}
