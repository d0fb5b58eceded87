/* cmd_gen.c - `funnel gen`: write realistic synthetic funnel events as CSV,
 * for demos, tests and benchmarks.  Option parsing and output handling only;
 * the generator is cmd/synth.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "ftime.h"
#include "outfile.h"
#include "synth.h"

const char cmd_gen_usage[] =
    "usage: funnel gen [--entities N] [--events N] [--seed S] [--days D]\n"
    "                  [--start YYYY-MM-DD] [-o FILE]\n"
    "\n"
    "Write synthetic sales and marketing funnel events as CSV, ready for\n"
    "'funnel append'.  The same options give the same bytes on every machine.\n"
    "\n"
    "Each lead (entity) enters at a random time in the period, mostly on\n"
    "weekdays, at stage suspect (sometimes prospect), and moves forward stage by\n"
    "stage with falling odds, occasionally skipping one; a few percent reach\n"
    "purchasing.  It spends a log-normal number of days in each stage (days\n"
    "early on, weeks later) and gets several touches there: marketing touches\n"
    "early, sales touches late, mostly in office hours.  A lead that stops\n"
    "either goes quiet (stale) or, for about 15% of them, ends with an event\n"
    "whose outcome is lost.  Leads still being worked at the end of the period\n"
    "are cut off there.  About 0.1% of events spell a stage 'evaluation' or\n"
    "'negociating', so reports have unmapped stages to show.\n"
    "\n"
    "Options:\n"
    "  --entities N        leads, 1 to 100000000 (default 1000)\n"
    "  --events N          events wanted in total, 0 to 2000000000 (default 10\n"
    "                      per entity); the count of touches per stage is scaled\n"
    "                      so the total lands within a few percent of N (closer\n"
    "                      for large N)\n"
    "  --seed S            random seed, 0 to 18446744073709551615 (default 1)\n"
    "  --days D            length of the period in days, 1 to 36500 (default 365)\n"
    "  --campaigns N       add a last column, campaign, with N values (1 to\n"
    "                      1000000), c000001 and on, one per lead: an attribute\n"
    "                      with many values for --by\n"
    "  --start YYYY-MM-DD  first day of the period, UTC (default 2026-01-01)\n"
    "  -o, --output FILE   write FILE instead of standard output; it is written\n"
    "                      under a temporary name and renamed when complete\n"
    "  -h, --help          show this text\n"
    "Options take their value as '--opt V' or '--opt=V'.\n"
    "\n"
    "Output: a header, then one row per event, LF line ends:\n"
    "  time,entity,stage,channel,touch,outcome,amount,segment,source,owner\n"
    "  time     YYYY-MM-DDTHH:MM:SSZ, within [start, start + days)\n"
    "  entity   E followed by 8 digits (E00000000 ...)\n"
    "  stage    suspect, prospect, interested, engaged, evaluating,\n"
    "           negotiating, purchasing\n"
    "  channel  marketing (touch newsletter, webinar, trade_show, whitepaper,\n"
    "           ad_click) or sales (touch call, meeting, email, demo, proposal)\n"
    "  outcome  empty, or lost on the last event of a lost lead\n"
    "  amount   empty, or the deal value (like 12500.00) on negotiating and purchasing events\n"
    "  segment  smb, mid-market or enterprise     } the same on every row of\n"
    "  source   web, referral, event, partner, ... } an entity\n"
    "  owner    the account owner, like alice.ng   }\n"
    "Rows come day by day, in a random (seeded) order within each day, like an\n"
    "export from a CRM.  About 12 bytes of memory per event are used, up to\n"
    "16 million events; larger outputs are written in several passes.\n"
    "\n"
    "Examples:\n"
    "  funnel gen > events.csv\n"
    "  funnel gen --entities 1000000 --events 10000000 -o big.csv\n"
    "  funnel gen --seed 7 --days 90 --start 2025-10-01 | funnel append log -\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error, 5 I/O or system error.\n";

/* Digits only (no sign, no blanks), at most max.  Returns 0 or -1. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_start(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    /* ftime_parse also takes times and Unix seconds; gen wants a date. */
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return cli_usage_error("gen", "--start wants YYYY-MM-DD, not '%s'", s);
    const char *why = ftime_parse(s, n, out);
    if (why)
        return cli_usage_error("gen", "--start '%s': %s", s, why);
    return 0;
}

struct gen_args {
    struct synth_opts o;
    int events_given;
    const char *output;
};

enum { OPT_ENTITIES = CLI_LONG_ONLY, OPT_EVENTS, OPT_SEED, OPT_DAYS, OPT_START, OPT_CAMPAIGNS };

static const struct cli_opt gen_opts[] = {
    {OPT_ENTITIES, "entities", CLI_VALUE},
    {OPT_EVENTS, "events", CLI_VALUE},
    {OPT_SEED, "seed", CLI_VALUE},
    {OPT_DAYS, "days", CLI_VALUE},
    {OPT_START, "start", CLI_VALUE},
    {OPT_CAMPAIGNS, "campaigns", CLI_VALUE},
    {'o', "output", CLI_PATH},
    {0, NULL, CLI_FLAG},
};

static const struct cli_spec gen_spec = {"gen", cmd_gen_usage, "", gen_opts};

/* Apply one numeric option; returns 0 or CLI_USAGE (reported). */
static int set_number(struct gen_args *a, int key, const char *v)
{
    uint64_t x;
    if (key == OPT_ENTITIES) {
        if (parse_u64(v, SYNTH_MAX_ENTITIES, &x) != 0 || x < 1)
            return cli_usage_error("gen", "--entities wants 1 to 100000000, not '%s'", v);
        a->o.entities = x;
    } else if (key == OPT_EVENTS) {
        if (parse_u64(v, SYNTH_MAX_EVENTS, &x) != 0)
            return cli_usage_error("gen", "--events wants 0 to 2000000000, not '%s'", v);
        a->o.events = x;
        a->events_given = 1;
    } else if (key == OPT_SEED) {
        if (parse_u64(v, UINT64_MAX, &x) != 0)
            return cli_usage_error("gen", "--seed wants 0 to 18446744073709551615, not '%s'", v);
        a->o.seed = x;
    } else if (key == OPT_CAMPAIGNS) {
        if (parse_u64(v, SYNTH_MAX_CAMPAIGNS, &x) != 0 || x < 1)
            return cli_usage_error("gen", "--campaigns wants 1 to 1000000, not '%s'", v);
        a->o.campaigns = (uint32_t)x;
    } else {
        if (parse_u64(v, SYNTH_MAX_DAYS, &x) != 0 || x < 1)
            return cli_usage_error("gen", "--days wants 1 to 36500, not '%s'", v);
        a->o.days = (uint32_t)x;
    }
    return 0;
}

/* Apply one option's value; returns 0 or CLI_USAGE (reported). */
static int set_option(struct gen_args *a, int key, const char *v)
{
    if (key == OPT_START)
        return parse_start(v, &a->o.start);
    if (key == 'o') {
        a->output = v;
        return 0;
    }
    return set_number(a, key, v);
}

static int parse_args(int argc, char **argv, struct gen_args *a)
{
    struct cli_getopt g;
    const char *v;
    int key;
    memset(a, 0, sizeof *a);
    synth_opts_default(&a->o);
    cli_opts_init(&g, &gen_spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0)
        if (set_option(a, key, v) != 0)
            return CLI_USAGE;
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs > 0)
        return cli_usage_error("gen", "unexpected argument '%s'", cli_opts_args(&g)[0]);
    if (!a->events_given)
        a->o.events = 10 * a->o.entities;
    if (a->o.start > FTIME_MAX - (int64_t)a->o.days * 86400 + 1)
        return cli_usage_error("gen", "the period must end by 9999-12-31");
    return 0;
}

int cmd_gen(int argc, char **argv)
{
    struct gen_args a;
    struct outfile of;
    struct fb_error err;
    fb_error_clear(&err);
    int code = parse_args(argc, argv, &a);
    if (code != 0)
        return code;
    const char *name = a.output ? a.output : "-";
    if (outfile_open(&of, name, &err) != 0)
        return cli_report(&err);
    int to_stdout = of.fp == stdout;
    int rc = synth_write(&a.o, of.fp, NULL, &err);
    if (rc != 0) {
        outfile_abort(&of);
        if (rc == FB_EIO)
            snprintf(err.path, sizeof err.path, "%s", to_stdout ? "standard output" : name);
        rc = cli_report(&err);
        /* stdout is broken and reported; checking it again would say it twice */
        return to_stdout && rc == CLI_IO ? rc : cli_finish_stdout(rc);
    }
    if (outfile_commit(&of, &err) != 0)
        return to_stdout ? cli_report(&err) : cli_finish_stdout(cli_report(&err));
    return cli_finish_stdout(CLI_OK);
}
