/* chart_run.h - running gnuplot on a chart script, and checking the PNG it
 * made (docs/CHARTS.md, "Safety model").  gnuplot is
 * started without a shell (fork and execve), with -d so it reads no
 * start-up file (~/.gnuplot, the system gnuplotrc), in a cleared
 * environment (PATH, LC_ALL=C, HOME = a new empty directory), with a time
 * limit; its exit status and its PNG are checked. */
#ifndef FUNNEL_CHART_RUN_H
#define FUNNEL_CHART_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"

/* Look for an executable gnuplot on $PATH.  Returns 1 and its path in buf
 * (cap bytes), or 0 when there is none. */
int chart_find_gnuplot(char *buf, size_t cap);

/* Run `gnuplot -d -e "datafile='DATA'; outfile='OUT'" SCRIPT` in directory
 * dir, where SCRIPT, DATA and OUT are plain file names in dir made only of
 * [A-Za-z0-9._-] (anything else is refused: they reach gnuplot as code),
 * in three steps so that several can run at once: chart_run_start starts
 * it (0, or FB_EIO with nothing left running); chart_run_poll reaps it
 * once it has ended and kills it (its whole process group) once past
 * limit_s seconds (1: ended, 0: still running); chart_run_end waits for it
 * to end, removes its scratch folder and returns 0 when gnuplot exited
 * with status 0, else FB_EIO with the reason and the start of what gnuplot
 * printed on stderr.  Every started run must be ended. */
struct chart_proc {
    const char *gnuplot;          /* the caller's; for the messages */
    pid_t pid;
    int lfd;                      /* the scratch folder's lock */
    int reaped, killed, status, wait_errno;
    unsigned limit_s;
    double deadline;              /* CLOCK_MONOTONIC seconds */
    char base[512], errfile[600];
};
int chart_run_start(struct chart_proc *p, const char *gnuplot, const char *dir, const char *script,
                    const char *data, const char *out, unsigned limit_s,
                    struct fb_error *err) FB_MUST_USE;
int chart_run_poll(struct chart_proc *p);
int chart_run_end(struct chart_proc *p, struct fb_error *err) FB_MUST_USE;

/* A short sleep between polls (2 ms). */
void chart_run_nap(void);

/* gnuplot's scratch folder for one chart is $TMPDIR/funnel-gnuplot-PID-XXXXXX
 * (PID: the funnel that made it), holding a file `lock` that funnel keeps
 * locked (flock) while it lives. */
#define CHART_SCRATCH_PREFIX "funnel-gnuplot-"

/* Remove the scratch folders that killed funnels left in $TMPDIR: only
 * names of exactly that form, owned by this user, whose lock can be taken
 * (or, before the lock was made, whose pid is gone or which are over an
 * hour old).  Errors are ignored: this is tidying, not the run's job. */
void chart_run_sweep(void);

/* Check that the file at path is a PNG (the 8-byte signature, then an IHDR
 * chunk) of exactly width x height pixels, ending with the IEND chunk (so a
 * file cut short by a failing gnuplot is never published).  Returns 0 or
 * FB_EIO. */
int chart_check_png(const char *path, uint32_t width, uint32_t height,
                    struct fb_error *err) FB_MUST_USE;

#endif
