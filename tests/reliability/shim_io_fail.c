/* shim_io_fail.c - an LD_PRELOAD shim for tests/cli/t_rel_disk.sh: makes
 * the k-th sync or the k-th pwrite of a process fail with EIO, as a failing
 * disk would, without a device-mapper target.
 *
 *   SHIM_FAIL_SYNC=k    the k-th call of fdatasync or fsync (counted
 *                       together, from 1) returns -1 with errno EIO
 *   SHIM_FAIL_PWRITE=k  the k-th call of pwrite returns -1 with errno EIO
 *   SHIM_LOG=FILE       append one line per call: "fdatasync 1 ok",
 *                       "fsync 2 EIO", "pwrite 3 ok", ...
 *
 * Built at test time:  cc -shared -fPIC -o shim.so shim_io_fail.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long nsync, nwrite;

static long env_k(const char *name)
{
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 10) : 0;
}

static void note(const char *what, long k, int failed)
{
    const char *path = getenv("SHIM_LOG");
    if (!path || !*path)
        return;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    char line[64];
    int n = snprintf(line, sizeof line, "%s %ld %s\n", what, k, failed ? "EIO" : "ok");
    if (n > 0)
        (void)!write(fd, line, (size_t)n);
    close(fd);
}

static int sync_call(const char *name, int fd)
{
    long k = __atomic_add_fetch(&nsync, 1, __ATOMIC_SEQ_CST);
    if (k == env_k("SHIM_FAIL_SYNC")) {
        note(name, k, 1);
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);
    int rc = real(fd);
    note(name, k, rc != 0);
    return rc;
}

int fdatasync(int fd) { return sync_call("fdatasync", fd); }
int fsync(int fd) { return sync_call("fsync", fd); }

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    long k = __atomic_add_fetch(&nwrite, 1, __ATOMIC_SEQ_CST);
    if (k == env_k("SHIM_FAIL_PWRITE")) {
        note("pwrite", k, 1);
        errno = EIO;
        return -1;
    }
    ssize_t (*real)(int, const void *, size_t, off_t) =
        (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    ssize_t rc = real(fd, buf, n, off);
    note("pwrite", k, rc < 0);
    return rc;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }
