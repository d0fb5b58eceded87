/* cmd_replay.c - `funnel replay LOG`: the funnel report as JSON or a table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ftime.h"
#include "outpath.h"
#include "replay_args.h"

const char cmd_replay_usage[] =
    "usage: funnel replay LOG [--stages a,b,c | --funnel FILE] [--as-of TIME]\n"
    "                         [--stale-after [STAGE=]DUR]... [--window DUR]\n"
    "                         [--skipped count|ignore] [--threads N] [--trend UNIT]\n"
    "                         [--period DUR] [--by NAME]... [--attribution first|last]\n"
    "                         [--cohort P] [--touches] [--text] [-o FILE]\n"
    "\n"
    "Replay the committed batches of LOG into the funnel report: stage\n"
    "conversion, time in stage, drop-outs and touch mix (docs/METRICS.md).\n"
    "The report is JSON (schema funnel-report/2) on standard output, or FILE.\n"
    "It never depends on the order of events in the log, nor on the clock:\n"
    "as_of defaults to the latest event time in the log.\n"
    "\n"
    "Options:\n"
    "  --stages a,b,c     the funnel's stages, first to last (the last = won);\n"
    "                     default suspect,prospect,interested,engaged,\n"
    "                     evaluating,negotiating,purchasing\n"
    "  --funnel FILE      the stages from FILE, one a line; '#' starts a comment;\n"
    "                     'NAME stale-after=DUR' gives a stage its own threshold\n"
    "  --as-of TIME       judge the funnel at TIME (same forms as CSV times);\n"
    "                     later events count only in events.after_as_of\n"
    "  --stale-after DUR  an entity nobody touched for longer than DUR has gone\n"
    "                     stale (90s, 45m, 12h, 30d, 2w; default 30d)\n"
    "  --stale-after STAGE=DUR\n"
    "                     the threshold of entities whose highest stage is\n"
    "                     STAGE (repeatable; wins over the funnel file)\n"
    "  --window DUR       reached and conversions count a stage only when it\n"
    "                     was reached within DUR of entering the funnel\n"
    "  --skipped ignore   a stage counts as reached only with an event there and\n"
    "                     at every stage before it (default: count, skipping\n"
    "                     a stage reaches it)\n"
    "  --trend UNIT       add the trend: what happened in every day, week or\n"
    "                     month up to as_of (docs/METRICS.md §4.15)\n"
    "  --period DUR       the span of activity, this one against the one\n"
    "                     before (default 7d; docs/METRICS.md §4.16)\n"
    "  --by NAME          add a breakdown by attribute NAME (repeatable, up to 8);\n"
    "                     each group gets the whole report block (METRICS.md §4.17)\n"
    "  --attribution first|last\n"
    "                     an entity's value is the one on its earliest (first,\n"
    "                     the default) or latest mapped event carrying one\n"
    "  --cohort P         add cohorts by entry period P: day, week (ISO, Monday),\n"
    "                     month, quarter or year, UTC (METRICS.md §4.18)\n"
    "  --touches          add touch types per stage and channel, and touch lift:\n"
    "                     win rates with and without each touch type\n"
    "                     (association, not cause; docs/METRICS.md §4.22)\n"
    "  --threads N        decode with N threads (default: every online core);\n"
    "                     the report is the same for any N\n"
    "  --text             an aligned table for a person instead of JSON\n"
    "  -o, --output FILE  write to FILE (atomically: temp file, then rename);\n"
    "                     '-' is standard output\n"
    "  -h, --help         show this text\n"
    "\n"
    "Stage names match case-insensitively; events at other stages are counted\n"
    "as unmapped and listed by name.  A torn tail left by an interrupted append\n"
    "is ignored with a notice.  Exit codes: 0 ok, 2 usage, 4 corrupt log,\n"
    "5 I/O or system error.\n";

int cmd_replay(int argc, char **argv)
{
    struct replay_args a;
    struct funnel_def def = {0};
    int code = replay_args_parse("replay", cmd_replay_usage, argc, argv, &a);
    if (code == 0)
        code = replay_args_load_def("replay", &a, &def);
    if (code) {
        funnel_def_free(&def);
        return code;
    }
    struct fb_error err;
    struct res_report rep;
    fb_error_clear(&err);
    struct outpath_inputs ins = {a.log, &a.funnel_file, a.funnel_file != NULL};
    if (outpath_refuse(a.out ? a.out : "-", &ins, &err) != 0) {
        funnel_def_free(&def);
        return cli_report(&err);
    }
    int rc = replay_args_replay(&a, &def, &rep, &err);
    if (rc == 0)
        rc = replay_args_write(a.out, a.text, &rep, &err);
    code = rc ? cli_report(&err) : CLI_OK;
    res_report_free(&rep);
    funnel_def_free(&def);
    return cli_finish_stdout(code);
}
