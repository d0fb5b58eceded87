/* fault_hook.c - see fault_hook.h.  Process-wide state is fine here: cmd/
 * owns the process, and one append runs per process. */
#include "fault_hook.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    int kind;          /* enum app_step, or -1 for any */
    long k, seen;
    int mode;          /* 0 kill, 1 cut, 2 garbage */
} fault;

static void garbage_after(int fd, int64_t from)
{
    struct stat st;
    unsigned char sector[512];
    uint64_t x = 0x9E3779B97F4A7C15u ^ (uint64_t)from;
    if (fstat(fd, &st) != 0)
        return;
    for (int64_t off = from; off < st.st_size; off += (int64_t)sizeof sector) {
        for (size_t i = 0; i < sizeof sector; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            sector[i] = (unsigned char)x;
        }
        size_t n = st.st_size - off < (int64_t)sizeof sector ? (size_t)(st.st_size - off) : sizeof sector;
        if (pwrite(fd, sector, n, off) < 0)
            return;
    }
    (void)fdatasync(fd);
}

static void after(void *ctx, enum app_step step, int fd, int64_t synced_len)
{
    (void)ctx;
    if (fault.kind >= 0 && (int)step != fault.kind)
        return;
    if (++fault.seen != fault.k)
        return;
    if (fault.mode == 1 && ftruncate(fd, (off_t)synced_len) == 0)
        (void)fdatasync(fd);
    else if (fault.mode == 2)
        garbage_after(fd, synced_len);
    raise(SIGKILL);
}

struct app_hook fault_hook_from_env(void)
{
    static const char *const kinds[] = {"write", "sync", "truncate", "dirsync", "rename", "spill"};
    struct app_hook none = {NULL, NULL};
    const char *spec = getenv("FUNNEL_FAULT");
    if (!spec || !*spec)
        return none;
    char kind[16] = "", mode[16] = "";
    long k = 0;
    if (sscanf(spec, "%15[a-z]:%ld:%15[a-z]", kind, &k, mode) < 2 || k < 1)
        return none;
    fault.kind = -2;
    for (int i = 0; i < (int)(sizeof kinds / sizeof kinds[0]); i++)
        if (strcmp(kind, kinds[i]) == 0)
            fault.kind = i;
    if (strcmp(kind, "any") == 0)
        fault.kind = -1;
    fault.mode = strcmp(mode, "cut") == 0 ? 1 : strcmp(mode, "garbage") == 0 ? 2 : 0;
    fault.k = k;
    fault.seen = 0;
    if (fault.kind == -2)
        return none;
    return (struct app_hook){after, NULL};
}

size_t fault_spill_limit_from_env(void)
{
    const char *v = getenv("FUNNEL_SPILL_BYTES");
    char *end;
    if (!v || !*v)
        return 0;
    unsigned long long n = strtoull(v, &end, 10);
    return *end == '\0' && n > 0 && n <= SIZE_MAX ? (size_t)n : 0;
}
