/* main.c - funnel's entry point: dispatch through the command table, which
 * also generates `funnel --help` (the way git.c's commands[] does). */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const struct cli_command commands[] = {
    {"append", cmd_append, "validate CSV files and append them to a log as one batch", cmd_append_usage},
    {"replay", cmd_replay, "replay a log into the funnel report (JSON or a table)", cmd_replay_usage},
    {"report", cmd_report, "the nightly job: replay, report.json, charts and index.html", cmd_report_usage},
    {"entities", cmd_entities, "list the entities behind the report's numbers as CSV", cmd_entities_usage},
    {"explain", cmd_explain, "show one entity's events and why the report counts it as it does",
     cmd_explain_usage},
    {"chart", cmd_chart, "draw the charts of a JSON report (gnuplot PNGs)", cmd_chart_usage},
    {"check", cmd_check, "compare a report with an expected fixture", cmd_check_usage},
    {"cat", cmd_cat, "write a log back out as CSV", cmd_cat_usage},
    {"shard", cmd_shard, "split a log into a shard set of N logs by entity", cmd_shard_usage},
    {"partial", cmd_partial, "replay one shard of a shard set into its partial state", cmd_partial_usage},
    {"merge", cmd_merge, "merge the shards' partial states into the report", cmd_merge_usage},
    {"verify", cmd_verify, "check every block of a log; cut a torn tail", cmd_verify_usage},
    {"gen", cmd_gen, "write realistic synthetic events as CSV", cmd_gen_usage},
};

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: funnel COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "Sales and marketing funnel analytics over an append-only event log.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Run 'funnel COMMAND --help' for a command's options.  Options may come\n"
            "before or after the arguments; '--opt V' and '--opt=V' are the same;\n"
            "'--' ends the options (funnel cat -- -q.flog); '-' is standard input for\n"
            "CSV and JSON inputs (a LOG must be a file: ./- names a file '-').\n"
            "\n"
            "Exit codes (the same for every command):\n"
            "  0  ok\n"
            "  1  check found differences\n"
            "  2  usage error\n"
            "  3  bad input data (nothing was appended)\n"
            "  4  corrupt or truncated log\n"
            "  5  I/O or system error\n"
            "\n"
            "Durations are written 90s, 45m, 12h, 30d or 2w; a bare number means seconds.\n"
            "Documentation: README.md, docs/FORMAT.md, docs/METRICS.md.\n");
}

/* A replay's finish allocates and frees buffers of megabytes by the
 * hundred (durations per stage and group, sort space).  glibc gives each
 * from a fresh mmap and returns it at free, so every one costs page
 * faults and the kernel's zeroing: 60% of the page faults of a replay.
 * Kept in the heap they are reused (docs/BENCHMARKS.md, "Where the speed
 * comes from"); the per-entity state, larger than the threshold, is still
 * mapped on its own and given back at once. */
static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

int main(int argc, char **argv)
{
    tune_malloc();
    if (argc < 2) {
        print_help(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2)
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    fputs(commands[i].usage, stdout);
                    return cli_finish_stdout(CLI_OK);
                }
        print_help(stdout);
        return cli_finish_stdout(CLI_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("funnel %s (log format 1, report schema funnel-report/2)\n", FUNNEL_VERSION);
        return cli_finish_stdout(CLI_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            int rc = commands[i].run(argc - 1, argv + 1);
            return rc == CLI_HELP ? cli_finish_stdout(CLI_OK) : rc;
        }
    }
    fprintf(stderr, "funnel: unknown command '%s'\n", argv[1]);
    print_help(stderr);
    return CLI_USAGE;
}
