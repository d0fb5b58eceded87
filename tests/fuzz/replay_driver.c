/* replay_driver.c - run a fuzz target's LLVMFuzzerTestOneInput over files
 * without libFuzzer (like zstd's regression_driver.c), so `make test`
 * replays the committed corpus with the normal compiler on every run.
 *   replay_TARGET DIR_OR_FILE...
 * Every regular file of each directory (sorted by name) and every file
 * named is run once.  Prints "N files" on success; a failed check aborts,
 * and the signal handler names the input that did it. */
#include <dirent.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static char current[4096];

static void on_fatal(int sig)
{
    static const char msg[] = "replay_driver: fatal signal while running ";
    ssize_t rc = write(2, msg, sizeof msg - 1);
    rc = write(2, current, strlen(current));
    rc = write(2, "\n", 1);
    (void)rc;
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            fprintf(stderr, "replay_driver: out of memory reading %s\n", path);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *b = realloc(buf, cap *= 2);
        if (!b)
            free(buf);
        buf = b;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay_driver: cannot read %s\n", path);
        free(buf);
        return -1;
    }
    snprintf(current, sizeof current, "%s", path);
    /* libFuzzer hands the target a buffer of exactly n bytes; so do we, so
     * an overread is caught the same way under ASan. */
    unsigned char *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    /* Each ingest calloc()s ~20 MB of block buffers, however small the
     * batch (core/log/blockenc.c).  With glibc's defaults those come from mmap,
     * or from a heap top trimmed after each free, so every input paid page
     * faults on 20 MB: the roundtrip corpus took 36 s instead of 1.7 s.
     * Keeping freed memory mapped makes calloc a memset.  (32 MiB is the
     * largest threshold glibc accepts; failures only cost time.) */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    signal(SIGABRT, on_fatal);
    signal(SIGSEGV, on_fatal);
    signal(SIGBUS, on_fatal);
    signal(SIGFPE, on_fatal);
    signal(SIGILL, on_fatal);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    long files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0)
                return 1;
            files++;
            continue;
        }
        struct dirent **list;
        int n = scandir(argv[i], &list, NULL, by_name);
        if (n < 0) {
            perror(argv[i]);
            return 1;
        }
        for (int j = 0; j < n; j++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], list[j]->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                if (run_file(path) != 0)
                    return 1;
                files++;
            }
            free(list[j]);
        }
        free(list);
    }
    printf("%ld files\n", files);
    return 0;
}
