/* cmd_report.c - `funnel report LOG -o DIR [replay options]`: the nightly
 * job in one command (docs/CHARTS.md): replay, DIR/report.json, the
 * five charts and DIR/index.html, each published by rename. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chart.h"
#include "chart_cli.h"
#include "chart_run.h"
#include "cli.h"
#include "cli_opts.h"
#include "commands.h"
#include "entities.h"
#include "logfresh.h"
#include "json_report.h"
#include "outfile.h"
#include "outpath.h"
#include "outset.h"
#include "page.h"
#include "period.h"
#include "replay.h"
#include "replay_args.h"
#include "text_report.h"

/* Rows of the page's stuck-deals table (docs/CHARTS.md, "The page"). */
#define REPORT_STUCK_ROWS 20

const char cmd_report_usage[] =
    "usage: funnel report LOG -o DIR [--stages a,b,c | --funnel FILE]\n"
    "                     [--as-of TIME] [--stale-after [STAGE=]DUR]... [--window DUR]\n"
    "                     [--skipped count|ignore] [--threads N] [--text]\n"
    "                     [--trend UNIT] [--period DUR] [--by NAME]...\n"
    "                     [--attribution first|last] [--cohort P]\n"
    "\n"
    "The nightly job in one command: replay LOG exactly as 'funnel replay'\n"
    "does, then write into DIR (created if missing)\n"
    "\n"
    "  report.json   the funnel report (schema funnel-report/2)\n"
    "  NAME.png      the charts of 'funnel chart', each with NAME.gp and\n"
    "                NAME.tsv (funnel, conversion, time-in-stage, dropouts,\n"
    "                touches; money and aging when the report has their\n"
    "                data; trend, cohorts, by-1 .. by-N with --trend,\n"
    "                --cohort, --by)\n"
    "  index.html    one static page: cards with this period against the\n"
    "                last, the charts, a table of the per-stage metrics, the\n"
    "                20 open deals longest in their stage (as 'funnel\n"
    "                entities --status open' lists them), the trend (by week\n"
    "                unless --trend says otherwise), breakdowns and cohorts\n"
    "                when asked, and the options, time range and freshness\n"
    "                of the data; open it in any browser\n"
    "\n"
    "DIR is a link to DIR.v/RUN, one folder per run: a run writes its files\n"
    "into a new folder and switches the link in one rename, so a reader sees\n"
    "the whole previous report or the whole new one, never a mix; a crash\n"
    "leaves the previous report as it was.  The previous run's folder is kept,\n"
    "older ones and what killed runs left are removed.  Where gnuplot is\n"
    "missing, report.json and the page (saying the charts are missing) are\n"
    "still written, and the exit code is 5 so that the nightly job notices.\n"
    "Every figure, chart and table of a run is of the batches committed when\n"
    "it started: a batch appended meanwhile waits for the next report.\n"
    "\n"
    "Options (those of 'funnel replay'; see 'funnel replay --help'):\n"
    "  -o, --output DIR   the directory to write (required)\n"
    "  --stages a,b,c     the funnel's stages, first to last (the last = won)\n"
    "  --funnel FILE      the stages from FILE, one a line\n"
    "  --as-of TIME       judge the funnel at TIME\n"
    "  --stale-after DUR  untouched for longer than DUR is stale (default 30d);\n"
    "                     STAGE=DUR for entities whose highest stage is STAGE\n"
    "  --window DUR, --skipped count|ignore\n"
    "                     as for 'funnel replay'\n"
    "  --by NAME, --attribution first|last, --cohort P\n"
    "                     breakdowns and cohorts, as for 'funnel replay'; the\n"
    "                     page shows them as tables\n"
    "  --touches          accepted as for 'funnel replay' (the page does not\n"
    "                     show touch types yet)\n"
    "  --threads N        replay with N threads, and run up to N gnuplots at\n"
    "                     once (default: every online core)\n"
    "  --trend UNIT       add the trend by day, week or month (as for replay)\n"
    "  --period DUR       the span of activity (default 7d, as for replay)\n"
    "  --text             also write DIR/report.txt, the table of --text\n"
    "  -h, --help         show this text\n"
    "\n"
    "gnuplot runs without a shell, ignoring start-up files, and is stopped after\n"
    "20 seconds a chart (FUNNEL_GNUPLOT_TIMEOUT=SECONDS to change).\n"
    "\n"
    "Exit codes: 0 ok, 2 usage (or DIR is a directory holding other files),\n"
    "4 corrupt log, 5 I/O or system error, another report writing DIR, or\n"
    "gnuplot is missing or failed (install it with: apt-get install gnuplot-nox).\n";

/* DIR/NAME, newly allocated. */
static char *in_dir(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, name);
    return s;
}

enum doc { DOC_JSON, DOC_TEXT, DOC_PAGE };

static int write_doc(const char *dir, const char *name, enum doc d, const struct res_report *rep,
                     const struct page_opts *po, struct fb_error *err)
{
    char *path = in_dir(dir, name);
    struct outfile o;
    if (!path)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int rc = outfile_open(&o, path, err);
    free(path);
    if (rc)
        return rc;
    rc = d == DOC_JSON ? rpt_json_write(rep, o.fp, err)
       : d == DOC_TEXT ? rpt_text_write(rep, o.fp, err)
       : page_write(rep, po, o.fp, err);
    if (rc) {
        outfile_abort(&o);
        return rc;
    }
    return outfile_commit(&o, err);
}

/* Draw and publish the charts.  Returns 0, or FB_EIO / FB_ENOMEM with the
 * reason in err (and po says why the page has no charts). */
static int charts(const struct res_report *rep, const char *dir, unsigned jobs, struct page_opts *po,
                  struct fb_error *err)
{
    char gnuplot[4096];
    struct chart_set cs;
    if (!chart_find_gnuplot(gnuplot, sizeof gnuplot)) {
        po->gnuplot_missing = 1;
        return fb_fail(err, FB_EIO, "gnuplot is not installed (or not on PATH)");
    }
    int rc = chart_render(rep, dir, gnuplot, cli_gnuplot_timeout(), jobs, &cs, err);
    if (rc == 0)
        rc = chart_publish(&cs, err);
    po->charts = rc == 0;
    return rc;
}

/* Every name a report directory may hold (the check of an older funnel's
 * plain DIR before it is taken over, outset.h). */
static int set_names(char files[][32], const char **list)
{
    static const char *const docs[] = {"report.json", "report.txt", "index.html"};
    static const char *const exts[] = {".tsv", ".gp", ".png"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        list[n++] = docs[i];
    for (int k = 0; k < CHART_COUNT; k++)
        for (int x = 0; x < 3; x++) {
            snprintf(files[n], 32, "%s%s", chart_name((enum chart_kind)k), exts[x]);
            list[n] = files[n];
            n++;
        }
    list[n] = NULL;
    return 0;
}

/* What the page needs of the folded state itself (docs/CHARTS.md, "The
 * page"): the stuck deals, by `funnel entities`' code, and the freshness of
 * the log.  The report is made from the summary, which holds no entity, so
 * these come from a second fold of the log (replay_visit) judged at the
 * report's as_of. */
struct page_state {
    struct res_stuck stuck;
    struct res_fresh fresh;
};

static int visit_page(void *ctx, const struct replay_view *v, struct fb_error *err)
{
    struct page_state *ps = ctx;
    int rc = ent_stuck(v, REPORT_STUCK_ROWS, &ps->stuck, err);
    return rc ? rc : logfresh_read(v->r, &ps->fresh, err);
}

static int page_state_read(struct replay_args *a, const struct res_report *rep, struct page_state *ps,
                           struct fb_error *err)
{
    struct replay_info info;
    struct replay_opts o = a->o;
    const struct replay_visitor vis = {(1u << BLOG_D_ENTITY) | (1u << BLOG_D_CHANNEL), visit_page, ps};
    /* The same as_of as the report, even if a batch was appended since. */
    o.has_as_of = rep->has_as_of;
    o.as_of = rep->as_of;
    o.touches = 0;
    return replay_visit(a->log, &o, &vis, &info, err);
}

/* The cards' change of a stock (open value, forecast) or of a figure over
 * all time (won value, median days to win) is against the same report one
 * activity period earlier: the log replayed at as_of - P, so events after
 * that moment are left out (docs/CHARTS.md, "The page"; docs/DECISIONS.md,
 * "Card changes").  Only the whole-log figures are read: no --by, cohort,
 * trend or touches. */
static int before_read(const struct replay_args *a, const struct res_report *rep, struct res_report *before,
                       struct fb_error *err)
{
    struct replay_info info;
    struct replay_opts o = a->o;
    o.has_as_of = 1;
    o.as_of = rep->as_of - rep->period_s;
    o.trend = 0;
    o.touches = 0;
    memset(&o.groups, 0, sizeof o.groups);
    o.groups.last = a->o.groups.last;
    return replay_log(a->log, &o, before, &info, err);
}

static int png_exists(void *ctx, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", (const char *)ctx, name);
    return access(path, F_OK) == 0;
}

/* argv as one line, for the page to show which options made it; without
 * -o DIR, so that the same report written to another folder is the same
 * page byte for byte (t_rel_publish compares runs by their bytes). */
static char *command_line(int argc, char **argv)
{
    size_t n = 8;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    strcpy(s, "funnel");
    for (int i = 0; i < argc; i++) {
        const char *x = argv[i];
        if (strcmp(x, "--") == 0) {   /* what follows is LOG, never an option */
            for (; i < argc; i++) {
                strcat(s, " ");
                strcat(s, argv[i]);
            }
            break;
        }
        if (i > 0 && (strcmp(x, "-o") == 0 || strcmp(x, "--output") == 0)) {
            i++;
            continue;
        }
        if (i > 0 && (strncmp(x, "--output=", 9) == 0 || (x[0] == '-' && x[1] == 'o' && x[2])))
            continue;
        strcat(s, " ");
        strcat(s, x);
    }
    return s;
}

/* Replay, then write the set into a new run folder and publish it
 * (docs/CHARTS.md "Safety model" 7). */
int cmd_report(int argc, char **argv)
{
    struct replay_args a;
    struct funnel_def def = {0};
    /* Before parsing, which may reorder argv. */
    char *cmdline = command_line(argc, argv);
    int code = replay_args_parse("report", cmd_report_usage, argc, argv, &a);
    if (code == 0 && !a.out)
        code = cli_usage_error("report", "expected -o DIR");
    if (code == 0)
        code = cli_opts_need_file("report", "-o DIR", a.out);
    if (code == 0)
        code = replay_args_load_def("report", &a, &def);
    if (code == 0 && !a.o.trend)
        a.o.trend = 1 + (int)PERIOD_WEEK;   /* the page's default (docs/DECISIONS.md) */
    if (code) {
        free(cmdline);
        funnel_def_free(&def);
        return code;
    }
    struct fb_error err, cerr;
    struct res_report rep;
    struct page_opts po = {.version = FUNNEL_VERSION};
    struct outset set = {0};
    char files[3 + CHART_COUNT * 3][32];
    const char *names[3 + CHART_COUNT * 3 + 1];
    set_names(files, names);
    fb_error_clear(&err);
    fb_error_clear(&cerr);
    struct outpath_inputs ins = {a.log, &a.funnel_file, a.funnel_file != NULL};
    const char *const docs[] = {"report.json", "index.html", a.text ? "report.txt" : NULL, NULL};
    if (outpath_refuse_dir(a.out, docs, &ins, &err) != 0 || chart_refuse_inputs(a.out, 1, &ins, &err) != 0) {
        free(cmdline);
        funnel_def_free(&def);
        return cli_report(&err);
    }
    struct page_state ps;
    struct res_report before;
    memset(&ps, 0, sizeof ps);
    memset(&before, 0, sizeof before);
    po.command = cmdline;
    int rc = replay_args_replay(&a, &def, &rep, &err);
    if (rc == 0)
        rc = page_state_read(&a, &rep, &ps, &err);
    if (rc == 0 && rep.has_as_of && (rc = before_read(&a, &rep, &before, &err)) == 0)
        po.before = &before;
    if (rc == 0) {
        po.stuck = &ps.stuck;
        po.fresh = &ps.fresh;
        chart_run_sweep();
        rc = outset_begin(&set, a.out, names, &err);
    }
    int crc = rc == 0 ? charts(&rep, set.dir, a.o.threads, &po, &cerr) : 0;
    po.has_png = png_exists;
    po.png_ctx = set.dir;
    po.charts_error = crc ? cerr.msg : NULL;
    if (rc == 0)
        rc = write_doc(set.dir, "report.json", DOC_JSON, &rep, &po, &err);
    if (rc == 0 && a.text)
        rc = write_doc(set.dir, "report.txt", DOC_TEXT, &rep, &po, &err);
    if (rc == 0)
        rc = write_doc(set.dir, "index.html", DOC_PAGE, &rep, &po, &err);
    if (rc == 0)
        rc = outset_commit(&set, &err);
    else
        outset_abort(&set);
    code = rc ? cli_report(&err) : CLI_OK;
    if (rc == 0 && crc) {
        if (po.gnuplot_missing)
            cli_gnuplot_missing();
        else
            cli_report(&cerr);
        cli_msg("%s/report.json and %s/index.html are written; the charts are missing", a.out, a.out);
        code = CLI_IO;
    }
    res_report_free(&rep);
    res_report_free(&before);
    res_stuck_free(&ps.stuck);
    free(cmdline);
    funnel_def_free(&def);
    return code;
}
