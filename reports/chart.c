/* chart.c - render the five charts under temporary names, then publish them
 * all by rename (docs/CHARTS.md "Safety model" 7: each file atomically, and a
 * failed gnuplot leaves the previous charts in place); see chart.h. */
#include "chart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chart_ext.h"
#include "chart_glyphs.h"
#include "chart_run.h"
#include "outpath.h"

static const char *const names[CHART_COUNT] = {
    [CHART_FUNNEL] = "funnel", [CHART_CONVERSION] = "conversion",
    [CHART_TIME] = "time-in-stage", [CHART_DROPOUTS] = "dropouts",
    [CHART_TOUCHES] = "touches", [CHART_MONEY] = "money", [CHART_AGING] = "aging",
    [CHART_TREND] = "trend", [CHART_COHORTS] = "cohorts",
    [CHART_BY1] = "by-1", [CHART_BY1 + 1] = "by-2", [CHART_BY1 + 2] = "by-3",
    [CHART_BY1 + 3] = "by-4", [CHART_BY1 + 4] = "by-5", [CHART_BY1 + 5] = "by-6",
    [CHART_BY1 + 6] = "by-7", [CHART_BY1 + 7] = "by-8",
};

static const char *const captions[CHART_COUNT] = {
    [CHART_FUNNEL] = "the funnel: entities reaching each stage, with the conversion from the previous stage",
    [CHART_CONVERSION] = "conversion per stage: from the previous stage and from the first, in percent",
    [CHART_TIME] = "time in stage: median and 90th percentile days before moving on",
    [CHART_DROPOUTS] = "where entities stopped: lost, stale and still open per stage, with the drop-out point",
    [CHART_TOUCHES] = "touches per stage: marketing (one-to-many) against sales (one-to-one)",
    [CHART_MONEY] = "money: open value by stage, won, lost and stale value, and the weighted forecast",
    [CHART_AGING] = ("aging: days open deals have spent in their current stage, median and 90th percentile, "
                     "beside the median of those who moved on and the Kaplan-Meier median"),
    [CHART_TREND] = "the trend: entities entered, won, lost and gone stale per period",
    [CHART_COHORTS] = "conversion to won by entry cohort, with 95% intervals; incomplete cohorts lighter",
};

/* Every by-K chart shares one caption. */
static const char by_caption[] =
    "win rate of closed deals per group of an attribute, with 95% intervals";

static const char *const exts[3] = {".tsv", ".gp", ".png"};

const char *chart_name(enum chart_kind k) { return names[k]; }
const char *chart_caption(enum chart_kind k) { return k >= CHART_BY1 ? by_caption : captions[k]; }

int chart_present(enum chart_kind k, const struct res_report *r)
{
    if (k >= CHART_TREND)
        return chart_ext_present(k, r);
    if (k == CHART_MONEY)
        return r->with_value > 0;
    if (k == CHART_AGING) {
        for (size_t i = 0; i < r->nstages; i++)
            if (r->stages[i].has_aging && r->stages[i].aging_count > 0)
                return 1;
        return 0;
    }
    return 1;
}

size_t chart_rows(enum chart_kind k, const struct res_report *r)
{
    if (k == CHART_MONEY)
        return r->nstages + 4;
    if (k == CHART_AGING)
        return r->nstages ? r->nstages - 1 : 0;
    return r->nstages;
}

int chart_height_rows(size_t rows)
{
    size_t per = rows <= 4 ? 100 : rows <= 8 ? 80 : rows <= 16 ? 44 : rows <= 32 ? 30 : 24;
    size_t h = CHART_TOP_PX + CHART_BOTTOM_PX + (rows ? rows : 1) * per;
    /* A report holds at most a few hundred stages (FORMAT.md); the cap
     * keeps a PNG of any size within what pngcairo draws. */
    if (h > 16000)
        h = 16000;
    return h < CHART_MIN_HEIGHT ? CHART_MIN_HEIGHT : (int)h;
}

int chart_height(enum chart_kind k, const struct res_report *r)
{
    return k >= CHART_TREND ? (int)chart_ext_height(k, r) : chart_height_rows(chart_rows(k, r));
}

int chart_refuse_inputs(const char *dir, int render, const struct outpath_inputs *in,
                        struct fb_error *err)
{
    char files[CHART_COUNT * 3][32];
    const char *list[CHART_COUNT * 3 + 1];
    size_t n = 0;
    for (int k = 0; k < CHART_COUNT; k++)
        for (int ext = 0; ext < (render ? 3 : 2); ext++) {
            snprintf(files[n], sizeof files[n], "%s%s", names[k], exts[ext]);
            list[n] = files[n];
            n++;
        }
    list[n] = NULL;
    return outpath_refuse_dir(dir, list, in, err);
}

int chart_make_dir(const char *dir, struct fb_error *err)
{
    struct stat st;
    int rc = outpath_mkdirs(dir, err);
    if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = fb_fail_at(err, FB_EIO, dir, 0, 0, "not a directory");
    return rc;
}

/* "DIR/NAME.EXT" plus suffix, newly allocated. */
static char *path_of(const char *dir, enum chart_kind k, int ext, const char *suffix)
{
    size_t n = strlen(dir) + strlen(names[k]) + strlen(exts[ext]) + strlen(suffix) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s%s%s", dir, names[k], exts[ext], suffix);
    return s;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Create the temporary file for (k, ext) with the usual file mode; its
 * name goes to cs, an open stream to *fp (NULL: close the file at once). */
static int make_temp(struct chart_set *cs, enum chart_kind k, int ext, FILE **fp,
                     struct fb_error *err)
{
    char *t = path_of(cs->dir, k, ext, ".tmp.XXXXXX");
    if (!t)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int fd = mkstemp(t);
    if (fd < 0) {
        int e = errno;
        free(t);
        return fb_fail_at(err, FB_EIO, cs->dir, 0, 0, "cannot create a file: %s", strerror(e));
    }
    cs->tmp[k][ext] = t;
    /* mkstemp makes the file 0600: a replaced chart file keeps its mode,
     * a new one gets the usual mode. */
    char *final = path_of(cs->dir, k, ext, "");
    int set = final ? outpath_set_mode(fd, final) : (errno = ENOMEM, -1);
    free(final);
    if (set != 0) {
        int e = errno;
        close(fd);
        return fb_fail_at(err, FB_EIO, t, 0, 0, "cannot set the mode: %s", strerror(e));
    }
    if (!fp)
        return close(fd) == 0 ? 0 : fb_fail_at(err, FB_EIO, t, 0, 0, "cannot close: %s", strerror(errno));
    if (!(*fp = fdopen(fd, "w"))) {
        close(fd);
        return fb_fail_at(err, FB_EIO, t, 0, 0, "cannot open: %s", strerror(errno));
    }
    return 0;
}

/* Write chart k's .tsv or .gp to a temporary file, synced and closed. */
static int stage_text(struct chart_set *cs, const struct res_report *r, enum chart_kind k,
                      int ext, struct fb_error *err)
{
    FILE *f = NULL;
    int rc = make_temp(cs, k, ext, &f, err);
    if (rc)
        return rc;
    rc = ext == 0 ? chart_write_data(k, r, f, err) : chart_write_script(k, r, f, err);
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    int e = errno;
    bad |= fclose(f) != 0;
    if (rc == 0 && bad)
        rc = fb_fail_at(err, FB_EIO, cs->tmp[k][ext], 0, 0, "cannot write: %s", strerror(e));
    return rc;
}

/* gnuplot does not sync what it writes: sync the PNG before it is
 * published, as the .tsv and .gp are, so that a power loss after the
 * rename cannot leave an empty or partial chart under the final name. */
static int sync_file(const char *path, struct fb_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int bad = fd < 0 || fsync(fd) != 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    return bad ? fb_fail_at(err, FB_EIO, path, 0, 0, "cannot sync: %s", strerror(e)) : 0;
}

/* Chart k's failure, named: "chart NAME.png: why". */
static int chart_failed(enum chart_kind k, int rc, struct fb_error *err)
{
    if (rc == FB_EIO) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        fb_fail_at(err, FB_EIO, NULL, 0, 0, "chart %s.png: %s", names[k], why);
    }
    return rc;
}

/* Chart k's .tsv and .gp, and when it is to be drawn its PNG's temporary
 * name. */
static int stage_one(struct chart_set *cs, const struct res_report *r, enum chart_kind k,
                     struct fb_error *err)
{
    int rc = stage_text(cs, r, k, 0, err);
    if (rc == 0)
        rc = stage_text(cs, r, k, 1, err);
    if (rc == 0 && cs->render)
        rc = make_temp(cs, k, 2, NULL, err);
    return rc;
}

/* Chart k's gnuplot has ended: its verdict, then its PNG checked and
 * synced. */
static int end_one(struct chart_set *cs, const struct res_report *r, enum chart_kind k,
                   struct chart_proc *p, struct fb_error *err)
{
    int rc = chart_run_end(p, err);
    if (rc == 0)
        rc = chart_check_png(cs->tmp[k][2], CHART_WIDTH, (uint32_t)chart_height(k, r), err);
    if (rc == 0)
        rc = sync_file(cs->tmp[k][2], err);
    return chart_failed(k, rc, err);
}

/* Draw every staged chart, up to `jobs` gnuplots at once, started in chart
 * order.  After a failure no other starts, and the runs under way are
 * waited for; the error is the failing chart's that comes first in chart
 * order, which is the one a run with jobs = 1 reports (every chart before
 * a started one was started), so the message does not depend on jobs. */
static int draw_all(struct chart_set *cs, const struct res_report *r, const char *gnuplot,
                    unsigned limit_s, unsigned jobs, struct fb_error *err)
{
    struct chart_proc proc[CHART_COUNT];
    int running[CHART_COUNT] = {0};
    int first_bad = CHART_COUNT, next = 0;
    unsigned nrun = 0;
    jobs = jobs ? jobs : 1;
    for (;;) {
        for (; first_bad == CHART_COUNT && next < CHART_COUNT && nrun < jobs; next++) {
            if (cs->absent[next])
                continue;
            struct fb_error e;
            fb_error_clear(&e);
            int rc = chart_run_start(&proc[next], gnuplot, cs->dir, base_name(cs->tmp[next][1]),
                                     base_name(cs->tmp[next][0]), base_name(cs->tmp[next][2]),
                                     limit_s, &e);
            if (rc) {
                chart_failed((enum chart_kind)next, rc, &e);
                first_bad = next;
                *err = e;
            } else {
                running[next] = 1;
                nrun++;
            }
        }
        if (nrun == 0)
            break;
        int ended = 0;
        for (int k = 0; k < CHART_COUNT; k++) {
            if (!running[k] || !chart_run_poll(&proc[k]))
                continue;
            struct fb_error e;
            fb_error_clear(&e);
            running[k] = 0;
            nrun--;
            ended = 1;
            if (end_one(cs, r, (enum chart_kind)k, &proc[k], &e) && k < first_bad) {
                first_bad = k;
                *err = e;
            }
        }
        if (!ended)
            chart_run_nap();
    }
    return first_bad == CHART_COUNT ? 0 : err->code;
}

int chart_render(const struct res_report *r, const char *dir, const char *gnuplot,
                 unsigned limit_s, unsigned jobs, struct chart_set *cs, struct fb_error *err)
{
    memset(cs, 0, sizeof *cs);
    if (!(cs->dir = strdup(dir)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int rc = 0;
    cs->render = gnuplot != NULL;
    for (int k = 0; k < CHART_COUNT && rc == 0; k++) {
        if (!chart_present((enum chart_kind)k, r))
            cs->absent[k] = 1;
        else
            rc = chart_failed((enum chart_kind)k, stage_one(cs, r, (enum chart_kind)k, err), err);
    }
    if (rc == 0 && gnuplot)
        rc = draw_all(cs, r, gnuplot, limit_s, jobs, err);
    chart_glyphs_release();
    if (rc)
        chart_set_free(cs);
    return rc;
}

int chart_publish(struct chart_set *cs, struct fb_error *err)
{
    int rc = 0;
    for (int k = 0; k < CHART_COUNT && rc == 0; k++)
        for (int x = 0; x < 3 && rc == 0; x++) {
            if (!cs->tmp[k][x])
                continue;
            char *final = path_of(cs->dir, (enum chart_kind)k, x, "");
            if (!final)
                rc = fb_fail(err, FB_ENOMEM, "out of memory");
            else if (rename(cs->tmp[k][x], final) != 0)
                rc = fb_fail_at(err, FB_EIO, final, 0, 0, "cannot write: %s", strerror(errno));
            else {
                free(cs->tmp[k][x]);
                cs->tmp[k][x] = NULL;
            }
            free(final);
        }
    for (int k = 0; k < CHART_COUNT && rc == 0; k++)
        for (int x = 0; cs->absent[k] && x < (cs->render ? 3 : 2) && rc == 0; x++) {
            char *old = path_of(cs->dir, (enum chart_kind)k, x, "");
            if (!old)
                rc = fb_fail(err, FB_ENOMEM, "out of memory");
            else if (unlink(old) != 0 && errno != ENOENT)
                rc = fb_fail_at(err, FB_EIO, old, 0, 0, "cannot remove: %s", strerror(errno));
            free(old);
        }
    chart_set_free(cs);
    return rc;
}

void chart_set_free(struct chart_set *cs)
{
    for (int k = 0; k < CHART_COUNT; k++)
        for (int x = 0; x < 3; x++)
            if (cs->tmp[k][x]) {
                unlink(cs->tmp[k][x]);
                free(cs->tmp[k][x]);
            }
    free(cs->dir);
    memset(cs, 0, sizeof *cs);
}
