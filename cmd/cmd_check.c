/* cmd_check.c - `funnel check REPORT [EXPECTED] [--rules FILE]... [--tolerance
 * REL]`: compare a JSON report with a fixture that pins some or all of its
 * values, and/or hold it to threshold rules (docs/CHECK.md).  Option
 * parsing, loading and printing only; the comparison is reports/jsondiff.c,
 * the rules reports/rules.c and rules_eval.c. */
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
#include "rules.h"

const char cmd_check_usage[] =
    "usage: funnel check REPORT EXPECTED [--tolerance REL] [--rules FILE]...\n"
    "       funnel check REPORT --rules FILE... [--tolerance REL]\n"
    "\n"
    "Compare the JSON document REPORT (typically the output of 'funnel\n"
    "replay') with EXPECTED, hold it to the rules of each --rules FILE, or\n"
    "both (every difference and every failing rule is listed).  EXPECTED may\n"
    "be a subset of a report, so a fixture can pin only the values that\n"
    "matter: every value in EXPECTED is checked, and keys that only REPORT\n"
    "has are ignored.  A fixture of schema funnel-report/1 checks a\n"
    "funnel-report/2 report on the keys they share (/2 keeps every /1 key).\n"
    "Any one file may be '-' for standard input.\n"
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
    "Rules (docs/CHECK.md): one a line, PATH OP NUMBER with OP one of\n"
    "< <= > >= == !=, blank lines and # comments skipped, e.g.\n"
    "  stages[purchasing].conversion_from_start >= 0.03\n"
    "  breakdowns[segment].groups[smb].win_rate_closed > 0.5\n"
    "  trend[-1].entered > 0        # the last period\n"
    "A path is keys joined by '.'; [NAME] picks the array element whose\n"
    "name (its first key of name, value, period, ...) is NAME, [N] the\n"
    "element at index N (from 0; -1 is the last).  Quote as a JSON string a\n"
    "name made of digits or holding blanks, quotes, brackets or '#', or any\n"
    "key that is not an identifier: groups[\"Mid Market\"], cohorts[\"2026\"].\n"
    "[null] picks the element whose name is null.  Numbers compare as in\n"
    "EXPECTED (integers exactly, reals within --tolerance).  A failing rule\n"
    "prints FILE:LINE: RULE: why, e.g.\n"
    "  ci.rules:3: win_rate > 0.5: got 0.2\n"
    "  ci.rules:4: win_rate_closed >= 0.4: got null, not a number\n"
    "  ci.rules:5: stages[sold].reached > 0: stages[sold] does not exist: ...\n"
    "A path that leads nowhere is a failing rule.  All pass:\n"
    "  funnel check: N rules hold\n"
    "\n"
    "Options:\n"
    "  --rules FILE     check the rules in FILE (repeatable); a missing or\n"
    "                   malformed rule file is a usage error, exit 2, with\n"
    "                   FILE:LINE:COL\n"
    "  --tolerance REL  relative tolerance for reals, a non-negative finite\n"
    "                   number (default 1e-9; 0 means exactly equal);\n"
    "                   --tolerance=REL works too\n"
    "  -h, --help       show this text\n"
    "\n"
    "Exit codes: 0 all match and all rules hold, 1 differences or failing\n"
    "rules, 2 usage (a bad rule file included), 3 REPORT or EXPECTED is\n"
    "missing, unreadable or not valid JSON (reported as FILE:LINE:COL:\n"
    "message), 5 I/O or system error.\n";

#define DEFAULT_TOLERANCE 1e-9

struct check_args {
    const char *report;
    const char *expected;   /* NULL: rules only */
    const char **rules;     /* the --rules FILEs, in order; owned array */
    size_t nrules;
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

enum { OPT_TOLERANCE = CLI_LONG_ONLY, OPT_RULES };

static const struct cli_opt check_opts[] = {
    {OPT_TOLERANCE, "tolerance", CLI_VALUE},
    {OPT_RULES, "rules", CLI_PATH},
    {0, NULL, CLI_FLAG},
};

static const struct cli_spec check_spec = {"check", cmd_check_usage, "REPORT EXPECTED", check_opts};

/* At most one of the inputs can be standard input. */
static int stdin_twice(const struct check_args *a)
{
    int n = strcmp(a->report, "-") == 0;
    n += a->expected && strcmp(a->expected, "-") == 0;
    for (size_t i = 0; i < a->nrules; i++)
        n += strcmp(a->rules[i], "-") == 0;
    return n > 1;
}

static int parse_args(int argc, char **argv, struct check_args *a)
{
    struct cli_getopt g;
    const char *val;
    int key;
    a->tol = DEFAULT_TOLERANCE;
    /* argc bounds the number of --rules options. */
    if (!(a->rules = malloc((size_t)argc * sizeof *a->rules))) {
        cli_msg("out of memory");
        return CLI_IO;
    }
    cli_opts_init(&g, &check_spec, argc, argv);
    while ((key = cli_opts_next(&g, &val)) > 0) {
        if (key == OPT_RULES)
            a->rules[a->nrules++] = val;
        else if (parse_tolerance(val, &a->tol) != 0)
            return cli_usage_error("check", "--tolerance: expected a non-negative "
                                   "finite number, got '%s'", val);
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs > 2)
        return cli_usage_error("check", "unexpected argument '%s'", cli_opts_args(&g)[2]);
    if (g.nargs < 1 || (g.nargs < 2 && a->nrules == 0))
        return cli_usage_error("check", "expected REPORT and EXPECTED, or REPORT --rules FILE");
    a->report = cli_opts_args(&g)[0];
    a->expected = g.nargs == 2 ? cli_opts_args(&g)[1] : NULL;
    if (stdin_twice(a))
        return cli_usage_error("check", "only one of REPORT, EXPECTED and the rule files "
                               "can be '-'");
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

/* A rule file above this size is not a rule file; reading it whole keeps
 * the parser a plain pass over memory. */
#define RULES_MAX_BYTES (16u << 20)

/* Read and parse one rule file.  Everything wrong with it, a missing file
 * included, is a usage error (exit 2): the rules are part of the command
 * line, and exit 3 stays for the report under test (docs/DECISIONS.md). */
static int load_rules(const char *path, struct rules **out, struct fb_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int rc = 0;
    *out = NULL;
    if (!f)
        return fb_fail_at(err, FB_EUSAGE, name, 0, 0, "%s", strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
        rc = fb_fail_at(err, FB_EUSAGE, name, 0, 0, "%s", strerror(EISDIR));
    else if (!(buf = malloc(RULES_MAX_BYTES + 1)))
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
    else {
        errno = 0;
        len = fread(buf, 1, RULES_MAX_BYTES + 1, f);
        if (ferror(f))
            rc = fb_fail_at(err, FB_EIO, name, 0, 0, "read error: %s",
                            strerror(errno ? errno : EIO));
        else if (len > RULES_MAX_BYTES)
            rc = fb_fail_at(err, FB_EUSAGE, name, 0, 0, "larger than %u MiB: not a rule file",
                            RULES_MAX_BYTES >> 20);
    }
    if (rc == 0)
        rc = rules_parse(name, buf, len, out, err);
    free(buf);
    if (!is_stdin)
        fclose(f);
    return rc;
}

struct rule_sink {
    const char *file;
    size_t failed;
};

static void print_failed_rule(void *ctx, long line, const char *rule, const char *why)
{
    const struct rule_sink *k = ctx;
    printf("%s:%ld: %s: %s\n", k->file, line, rule, why);
}

static void print_difference(void *ctx, const char *path, const char *what)
{
    (void)ctx;
    printf("%s: %s\n", path, what);
}

/* Every rule of every file, in order; *failed and *total add up. */
static int run_rules(const struct check_args *a, struct rules *const *rs, const json_t *report,
                     size_t *failed, size_t *total, struct fb_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < a->nrules; i++) {
        struct rule_sink k = {strcmp(a->rules[i], "-") == 0 ? "<stdin>" : a->rules[i], 0};
        rc = rules_eval(rs[i], report, a->tol, print_failed_rule, &k, &k.failed, err);
        *failed += k.failed;
        *total += rules_count(rs[i]);
    }
    return rc;
}

/* The closing line: on standard output when all is well, else on
 * standard error. */
static int summarise(const struct check_args *a, size_t compared, size_t differences,
                     size_t rfailed, size_t rtotal)
{
    int bad = differences || rfailed;
    FILE *to = bad ? stderr : stdout;
    fputs("funnel check: ", to);
    if (a->expected && differences)
        fprintf(to, "%zu difference%s (%zu values compared)", differences,
                differences == 1 ? "" : "s", compared);
    else if (a->expected)
        fprintf(to, "%zu values compared, all match", compared);
    if (a->expected && a->nrules)
        fputs("; ", to);
    if (a->nrules && rfailed)
        fprintf(to, "%zu of %zu rule%s fail%s", rfailed, rtotal, rtotal == 1 ? "" : "s",
                rfailed == 1 ? "s" : "");
    else if (a->nrules)
        fprintf(to, "%zu rule%s hold%s", rtotal, rtotal == 1 ? "" : "s", rtotal == 1 ? "s" : "");
    fputc('\n', to);
    return bad ? CLI_DIFF : CLI_OK;
}

int cmd_check(int argc, char **argv)
{
    struct check_args a = {0};
    struct rules **rs = NULL;
    struct fb_error err;
    json_t *report = NULL, *expected = NULL;
    size_t compared = 0, differences = 0, rfailed = 0, rtotal = 0;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {  /* a usage error, or CLI_HELP after --help */
        free(a.rules);
        return rc;
    }
    fb_error_clear(&err);
    if (a.nrules && !(rs = calloc(a.nrules, sizeof *rs)))
        rc = fb_fail(&err, FB_ENOMEM, "out of memory");
    /* The rules first: a broken rule file is the command's fault, whatever
     * the report holds. */
    for (size_t i = 0; rc == 0 && i < a.nrules; i++)
        rc = load_rules(a.rules[i], &rs[i], &err);
    if (rc == 0)
        rc = load(a.report, &report, &err);
    if (rc == 0 && a.expected)
        rc = load(a.expected, &expected, &err);
    if (rc == 0 && a.expected)
        rc = jdiff_compare(expected, report, a.tol, print_difference, NULL,
                           &compared, &differences, &err);
    if (rc == 0)
        rc = run_rules(&a, rs, report, &rfailed, &rtotal, &err);
    if (rc == 0)
        rc = summarise(&a, compared, differences, rfailed, rtotal);
    else if (rc < 0)
        rc = cli_report(&err);
    for (size_t i = 0; rs && i < a.nrules; i++)
        rules_free(rs[i]);
    free(rs);
    free(a.rules);
    json_decref(report);
    json_decref(expected);
    return cli_finish_stdout(rc);
}
