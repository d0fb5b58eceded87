/* cmd_chart.c - `funnel chart REPORT.json -o DIR`: the charts of a
 * funnel-report/2 (or /1) file (docs/CHARTS.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "chart_cli.h"
#include "chart_run.h"
#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "json_read.h"
#include "outpath.h"

const char cmd_chart_usage[] =
    "usage: funnel chart REPORT -o DIR [--no-render]\n"
    "\n"
    "Draw the charts of REPORT, a funnel-report/2 (or /1) JSON file written by\n"
    "'funnel replay' ('-' = standard input), into DIR (created if missing):\n"
    "\n"
    "  funnel.png         entities reaching each stage, with conversion\n"
    "  conversion.png     step and cumulative conversion per stage, in %\n"
    "  time-in-stage.png  median and 90th percentile days per stage\n"
    "  dropouts.png       lost, stale and open entities where they stopped\n"
    "  touches.png        marketing against sales touches per stage\n"
    "\n"
    "and, when REPORT has their data (replay --trend, --cohort, --by):\n"
    "\n"
    "  trend.png          entered, won, lost, went stale per period\n"
    "  cohorts.png        conversion to won per entry cohort, with intervals\n"
    "  by-1.png ..        win rate of closed deals per group of each --by\n"
    "\n"
    "Next to each NAME.png are NAME.gp, the gnuplot script that drew it, and\n"
    "NAME.tsv, its data: 'cd DIR && gnuplot NAME.gp' redraws it after you\n"
    "restyle it (docs/CHARTS.md).  Stage names reach gnuplot only as data.\n"
    "\n"
    "Charts are drawn by gnuplot (1200 px wide PNG, pngcairo), which must be on\n"
    "PATH; it runs without a shell, ignoring start-up files, and is stopped\n"
    "after 20 seconds a chart (FUNNEL_GNUPLOT_TIMEOUT=SECONDS to change).  Every\n"
    "file is written under a temporary name and renamed into place only when\n"
    "all charts were drawn and checked, so a failure leaves the previous\n"
    "charts in DIR as they were.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR   the directory for the charts (required)\n"
    "  --no-render        write only NAME.tsv and NAME.gp, for gnuplot elsewhere\n"
    "                     (gnuplot is not needed; PNGs in DIR are left alone)\n"
    "  -h, --help         show this text\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 REPORT is missing or not a funnel report\n"
    "document, 5 I/O or system error, or gnuplot is missing or failed (install\n"
    "it with: apt-get install gnuplot-nox).\n";

/* The time limit for one gnuplot run: FUNNEL_GNUPLOT_TIMEOUT or 20 s. */
unsigned cli_gnuplot_timeout(void)
{
    const char *s = getenv("FUNNEL_GNUPLOT_TIMEOUT");
    char *end;
    unsigned long v = s && *s ? strtoul(s, &end, 10) : 0;
    return s && *s && !*end && v > 0 && v <= 3600 ? (unsigned)v : CHART_TIME_LIMIT_S;
}

void cli_gnuplot_missing(void)
{
    cli_msg("gnuplot is not installed (or not on PATH), so no chart was drawn; install it with:\n"
            "    sudo apt-get install -y gnuplot-nox");
}

enum { OPT_NO_RENDER = CLI_LONG_ONLY };

static const struct cli_opt chart_opts[] = {
    {'o', "output", CLI_PATH},
    {OPT_NO_RENDER, "no-render", CLI_FLAG},
    {0, NULL, CLI_FLAG},
};

static const struct cli_spec chart_spec = {"chart", cmd_chart_usage, "REPORT", chart_opts};

static int parse_args(int argc, char **argv, const char **report, const char **dir, int *no_render)
{
    struct cli_getopt g;
    const char *v;
    int key;
    cli_opts_init(&g, &chart_spec, argc, argv);
    while ((key = cli_opts_next(&g, &v)) > 0) {
        if (key == OPT_NO_RENDER)
            *no_render = 1;
        else
            *dir = v;
    }
    if (key == CLI_OPTS_STOP)
        return g.code;
    if (g.nargs > 1)
        return cli_usage_error("chart", "expected one REPORT, got '%s' too", cli_opts_args(&g)[1]);
    if (g.nargs == 0)
        return cli_usage_error("chart", "expected a REPORT");
    *report = cli_opts_args(&g)[0];
    if (!*dir)
        return cli_usage_error("chart", "expected -o DIR");
    return cli_opts_need_file("chart", "-o DIR", *dir);
}

int cmd_chart(int argc, char **argv)
{
    const char *report = NULL, *dir = NULL;
    int no_render = 0;
    int code = parse_args(argc, argv, &report, &dir, &no_render);
    if (code)
        return code;
    struct fb_error err;
    struct rpt_doc doc;
    struct chart_set cs;
    char gnuplot[4096];
    fb_error_clear(&err);
    struct outpath_inputs ins = {NULL, &report, 1};
    if (chart_refuse_inputs(dir, !no_render, &ins, &err) != 0)
        return cli_report(&err);
    int rc = rpt_json_read(report, &doc, &err);
    if (rc)
        return cli_report(&err);
    if (!no_render && !chart_find_gnuplot(gnuplot, sizeof gnuplot)) {
        rpt_doc_free(&doc);
        cli_gnuplot_missing();
        return CLI_IO;
    }
    rc = chart_make_dir(dir, &err);
    if (rc == 0)
        rc = chart_render(&doc.rep, dir, no_render ? NULL : gnuplot, cli_gnuplot_timeout(), cli_online_cores(CHART_COUNT), &cs,
                          &err);
    if (rc == 0)
        rc = chart_publish(&cs, &err);
    rpt_doc_free(&doc);
    return rc ? cli_report(&err) : CLI_OK;
}
