/* chart_run.c - gnuplot as a child process, and the PNG check; see
 * chart_run.h.  No shell is ever involved: argv is built here, and the only
 * strings in it that are not constants are file names checked to be
 * [A-Za-z0-9._-]. */
#include "chart_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

int chart_find_gnuplot(char *buf, size_t cap)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        struct stat st;
        /* An empty entry means the current directory, as in execvp. */
        int w = snprintf(buf, cap, "%.*s%sgnuplot", (int)n, n ? p : ".", "/");
        if (w > 0 && (size_t)w < cap && stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
            access(buf, X_OK) == 0) {
            /* gnuplot starts in the chart directory: a relative PATH entry
             * must be made absolute first. */
            char *abs = buf[0] == '/' ? NULL : realpath(buf, NULL);
            if (abs && strlen(abs) < cap)
                strcpy(buf, abs);
            free(abs);
            if (buf[0] == '/')
                return 1;
        }
        if (!end)
            break;
        p = end;
    }
    if (cap)
        buf[0] = '\0';
    return 0;
}

static int plain_name(const char *s)
{
    if (!*s || *s == '.' || *s == '-')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What gnuplot said on stderr: its first bytes on one line. */
static void read_said(const char *file, char *buf, size_t cap)
{
    FILE *f = fopen(file, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = ' ';
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = '\0';
}

/* Close every descriptor from `from` on, whatever the caller left open
 * without O_CLOEXEC.  close_range is one system call; the loop it replaces
 * where it is missing makes one a descriptor up to the limit (65,536 under
 * a container's usual nofile limit), which took longer than gnuplot. */
static void close_from(int from, long maxfd)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (close_range((unsigned)from, ~0u, 0) == 0)
        return;
#endif
    for (long fd = from; fd < maxfd; fd++)
        close((int)fd);
}

/* In the child: set up and exec; never returns. */
static void child(const char *dir, const char *gnuplot, char *const argv[], char *const envp[],
                  int errfd, long maxfd, pid_t parent)
{
#ifdef __linux__
    /* A killed funnel (kill -9, a nightly job's time limit) takes gnuplot
     * with it instead of leaving it to write into the chart directory.
     * The parent may have died before the prctl: then getppid() differs. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(126);
#else
    (void)parent;
#endif
    int nul = open("/dev/null", O_RDWR);
    setpgid(0, 0);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(errfd, 1) < 0 || dup2(errfd, 2) < 0)
        _exit(126);
    close_from(3, maxfd);
    if (chdir(dir) != 0) {
        static const char msg[] = "funnel: cannot enter the chart directory\n";
        if (write(2, msg, sizeof msg - 1) < 0)
            _exit(126);
        _exit(126);
    }
    execve(gnuplot, argv, envp);
    _exit(127);
}

/* Fork and exec gnuplot for p; returns 0 or FB_EIO. */
static int spawn(struct chart_proc *p, const char *gnuplot, const char *dir, char *const argv[],
                 char *const envp[], struct fb_error *err)
{
    long maxfd = sysconf(_SC_OPEN_MAX);
    maxfd = maxfd < 0 || maxfd > 65536 ? 65536 : maxfd;
    int errfd = open(p->errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (errfd < 0)
        return fb_fail(err, FB_EIO, "cannot create %s: %s", p->errfile, strerror(errno));
    fflush(NULL);  /* nothing buffered may be written twice */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child(dir, gnuplot, argv, envp, errfd, maxfd, parent);
    int e = errno;
    close(errfd);
    if (pid < 0)
        return fb_fail(err, FB_EIO, "cannot start gnuplot: %s", strerror(e));
    setpgid(pid, pid);  /* also here, so a kill cannot miss the group */
    p->pid = pid;
    p->deadline = now_s() + p->limit_s;
    return 0;
}

/* TMPDIR, or /tmp when unset or too long for our buffers. */
static const char *tmp_dir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t && strlen(t) < 400 ? t : "/tmp";
}

/* Remove p's scratch folder and let its lock go. */
static void release(struct chart_proc *p)
{
    if (p->base[0])
        nftw(p->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    p->base[0] = '\0';
    if (p->lfd >= 0)
        close(p->lfd);
    p->lfd = -1;
}

int chart_run_start(struct chart_proc *p, const char *gnuplot, const char *dir, const char *script,
                    const char *data, const char *out, unsigned limit_s, struct fb_error *err)
{
    memset(p, 0, sizeof *p);
    p->lfd = -1;
    p->limit_s = limit_s;
    p->gnuplot = gnuplot;
    if (!plain_name(script) || !plain_name(data) || !plain_name(out))
        return fb_fail(err, FB_EIO, "refusing a chart file name that is not [A-Za-z0-9._-]");
    char home[600], vars[700], envhome[620], lock[600];
    snprintf(p->base, sizeof p->base, "%s/" CHART_SCRATCH_PREFIX "%ld-XXXXXX", tmp_dir(),
             (long)getpid());
    if (!mkdtemp(p->base)) {
        p->base[0] = '\0';
        return fb_fail(err, FB_EIO, "cannot make a temporary directory for gnuplot: %s",
                       strerror(errno));
    }
    snprintf(home, sizeof home, "%s/home", p->base);
    snprintf(p->errfile, sizeof p->errfile, "%s/stderr", p->base);
    snprintf(lock, sizeof lock, "%s/lock", p->base);
    snprintf(envhome, sizeof envhome, "HOME=%s", home);
    snprintf(vars, sizeof vars, "datafile='%s'; outfile='%s'", data, out);
    char *argv[] = {"gnuplot", "-d", "-e", vars, (char *)script, NULL};
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", envhome, NULL};
    int rc;
    /* Held while we live: chart_run_sweep removes the folder of a funnel
     * whose lock can be taken, that is of one that died. */
    p->lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (p->lfd < 0 || flock(p->lfd, LOCK_EX) != 0)
        rc = fb_fail(err, FB_EIO, "cannot lock %s: %s", lock, strerror(errno));
    else if (mkdir(home, 0700) != 0)
        rc = fb_fail(err, FB_EIO, "cannot make %s: %s", home, strerror(errno));
    else
        rc = spawn(p, gnuplot, dir, argv, envp, err);
    if (rc)
        release(p);
    return rc;
}

int chart_run_poll(struct chart_proc *p)
{
    if (p->pid <= 0 || p->reaped)
        return 1;
    pid_t w = waitpid(p->pid, &p->status, WNOHANG);
    if (w == p->pid || (w < 0 && errno != EINTR)) {
        p->wait_errno = w < 0 ? errno : 0;
        p->reaped = 1;
        return 1;
    }
    if (!p->killed && now_s() >= p->deadline) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        p->killed = 1;
    }
    return 0;
}

void chart_run_nap(void)
{
    const struct timespec nap = {0, 2 * 1000 * 1000};
    nanosleep(&nap, NULL);
}

int chart_run_end(struct chart_proc *p, struct fb_error *err)
{
    while (!chart_run_poll(p))
        chart_run_nap();
    int rc = 0;
    if (p->pid > 0) {
        char said[400];
        read_said(p->errfile, said, sizeof said);
        const int st = p->status;
        if (p->wait_errno)
            rc = fb_fail(err, FB_EIO, "waiting for gnuplot: %s", strerror(p->wait_errno));
        else if (p->killed)
            rc = fb_fail(err, FB_EIO, "gnuplot took longer than %u s and was stopped", p->limit_s);
        else if (WIFSIGNALED(st))
            rc = fb_fail(err, FB_EIO, "gnuplot was killed by signal %d%s%s", WTERMSIG(st),
                         *said ? ": " : "", said);
        else if (WEXITSTATUS(st) == 127)
            rc = fb_fail(err, FB_EIO, "cannot run %s", p->gnuplot);
        else if (WEXITSTATUS(st) != 0)
            rc = fb_fail(err, FB_EIO, "gnuplot failed (exit %d)%s%s", WEXITSTATUS(st),
                         *said ? ": " : "", said);
    }
    release(p);
    return rc;
}

/* Whether s is PID-XXXXXX (a pid, then mkdtemp's six characters); *pid
 * gets the pid. */
static int scratch_name(const char *s, long *pid)
{
    char *end;
    errno = 0;
    *pid = strtol(s, &end, 10);
    if (end == s || *end != '-' || errno || *pid <= 0 || strlen(end + 1) != 6)
        return 0;
    for (const char *p = end + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* A scratch folder is dead when its lock can be taken (its funnel is
 * gone, whatever became of the pid), or, with no lock file yet (a funnel
 * killed between mkdtemp and the lock), when its pid is gone or the folder
 * is over an hour old (the pid was reused). */
static int scratch_dead(const char *path, long pid, const struct stat *st)
{
    char lock[1200];
    snprintf(lock, sizeof lock, "%s/lock", path);
    int fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        int dead = flock(fd, LOCK_EX | LOCK_NB) == 0;
        close(fd);
        return dead;
    }
    if (errno != ENOENT)
        return 0;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 1;
    return time(NULL) - st->st_mtime > 3600;
}

void chart_run_sweep(void)
{
    const char *t = tmp_dir();
    DIR *d = opendir(t);
    if (!d)
        return;
    const size_t np = sizeof CHART_SCRATCH_PREFIX - 1;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid;
        char path[1024];
        struct stat st;
        if (strncmp(e->d_name, CHART_SCRATCH_PREFIX, np) != 0 || !scratch_name(e->d_name + np, &pid))
            continue;
        snprintf(path, sizeof path, "%s/%s", t, e->d_name);
        /* Only our own folders (TMPDIR is often shared), never a link. */
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
            continue;
        if (scratch_dead(path, pid, &st))
            nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

int chart_check_png(const char *path, uint32_t width, uint32_t height, struct fb_error *err)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /* The IEND chunk: length 0, type, CRC; always the last 12 bytes. */
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    unsigned char h[24], t[12];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(h, 1, sizeof h, f) : 0;
    size_t nt = f && fseek(f, -(long)sizeof t, SEEK_END) == 0 ? fread(t, 1, sizeof t, f) : 0;
    if (f)
        fclose(f);
    if (!f)
        return fb_fail(err, FB_EIO, "cannot read %s: %s", path, strerror(errno));
    if (n < sizeof h || memcmp(h, sig, 8) != 0 || memcmp(h + 12, "IHDR", 4) != 0)
        return fb_fail(err, FB_EIO, "gnuplot did not write a PNG file");
    uint32_t w = (uint32_t)h[16] << 24 | (uint32_t)h[17] << 16 | (uint32_t)h[18] << 8 | h[19];
    uint32_t ht = (uint32_t)h[20] << 24 | (uint32_t)h[21] << 16 | (uint32_t)h[22] << 8 | h[23];
    if (w != width || ht != height)
        return fb_fail(err, FB_EIO, "gnuplot wrote a %ux%u PNG, expected %ux%u",
                       (unsigned)w, (unsigned)ht, (unsigned)width, (unsigned)height);
    if (nt < sizeof t || memcmp(t, iend, sizeof t) != 0)
        return fb_fail(err, FB_EIO, "gnuplot wrote an incomplete PNG file (no IEND chunk at its end)");
    return 0;
}
