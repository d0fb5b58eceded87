/* shardset.c - the pinned shard hash, the MANIFEST and the reader's checks
 * of a shard set; see shardset.h and docs/FORMAT.md §13. */
#include "shardset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bytes.h"

#define MANIFEST_MAX (SHARDSET_HEADER_LEN + SHARDSET_ENTRY_LEN * SHARDSET_MAX_SHARDS + 4)
#define ECHO_MAX 60   /* bytes of an entity quoted in a message */

uint32_t shard_of(const void *entity, size_t len, uint32_t n)
{
    /* zlib's crc32 and nothing else (FORMAT.md §13.1): every writer and
     * reader of a set must agree on it bit for bit, and a silent
     * disagreement would put one key on two shards. */
    uLong c = crc32(0L, Z_NULL, 0);
    const unsigned char *p = entity;
    while (len > 0) {   /* crc32 takes a uInt length */
        uInt piece = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, p, piece);
        p += piece;
        len -= piece;
    }
    return (uint32_t)(c % n);
}

int shardset_shard_path(char *out, size_t cap, const char *dir, uint32_t i, uint32_t n)
{
    int k = snprintf(out, cap, "%s/shard-%04u-of-%04u.flog", dir, (unsigned)i, (unsigned)n);
    return k < 0 || (size_t)k >= cap ? -1 : 0;
}

int shardset_init(struct shardset *m, uint32_t n, struct fb_error *err)
{
    memset(m, 0, sizeof *m);
    m->version = SHARDSET_VERSION;
    m->hash_id = SHARDSET_HASH_CRC32;
    m->n = n;
    if (!(m->shard = calloc(n ? n : 1, sizeof *m->shard)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    size_t got = 0;
    while (got < sizeof m->set_id) {
        ssize_t r = getrandom(m->set_id + got, sizeof m->set_id - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fb_fail(err, FB_EIO, "cannot draw a shard-set id: getrandom: %s", strerror(errno));
        got += (size_t)r;
    }
    return 0;
}

void shardset_free(struct shardset *m)
{
    free(m->shard);
    m->shard = NULL;
}

int shardset_encode(const struct shardset *m, struct buf *out)
{
    size_t len = SHARDSET_HEADER_LEN + (size_t)m->n * SHARDSET_ENTRY_LEN + 4;
    out->len = 0;
    if (buf_reserve(out, len) != 0)
        return FB_ENOMEM;
    unsigned char *p = out->p;
    memcpy(p, SHARDSET_MAGIC, SHARDSET_MAGIC_LEN);
    wr_u32(p + 8, m->version);
    wr_u32(p + 12, m->hash_id);
    wr_u32(p + 16, m->n);
    wr_u32(p + 20, 0);
    memcpy(p + 24, m->set_id, 16);
    for (uint32_t i = 0; i < m->n; i++) {
        unsigned char *e = p + SHARDSET_HEADER_LEN + (size_t)i * SHARDSET_ENTRY_LEN;
        wr_u64(e, m->shard[i].batches);
        wr_u64(e + 8, m->shard[i].events);
        memcpy(e + 16, m->shard[i].content, 16);
    }
    wr_u32(p + len - 4, (uint32_t)crc32(0L, p, (uInt)(len - 4)));
    out->len = len;
    return 0;
}

int shardset_decode(const unsigned char *p, size_t len, const char *path, struct shardset *m,
                    struct fb_error *err)
{
    memset(m, 0, sizeof *m);
    if (len < SHARDSET_HEADER_LEN + 4 || memcmp(p, SHARDSET_MAGIC, SHARDSET_MAGIC_LEN) != 0)
        return fb_fail_at(err, FB_ECORRUPT, path, 0, 0, "not a shard-set manifest (bad magic or size)");
    if (rd_u32(p + len - 4) != (uint32_t)crc32(0L, p, (uInt)(len - 4)))
        return fb_fail_at(err, FB_ECORRUPT, path, 0, 0, "manifest checksum mismatch");
    /* Version and hash id before anything else: a newer layout may make
     * every other field mean something else. */
    m->version = rd_u32(p + 8);
    m->hash_id = rd_u32(p + 12);
    m->n = rd_u32(p + 16);
    if (m->version != SHARDSET_VERSION)
        return fb_fail_at(err, FB_ECORRUPT, path, 0, 0,
                          "manifest version %u is not known to this funnel (written by a newer version?)",
                          (unsigned)m->version);
    if (m->hash_id != SHARDSET_HASH_CRC32)
        return fb_fail_at(err, FB_ECORRUPT, path, 0, 0,
                          "shard hash id %u is not known to this funnel: it cannot tell which shard "
                          "holds an entity", (unsigned)m->hash_id);
    if (m->n < 1 || m->n > SHARDSET_MAX_SHARDS || rd_u32(p + 20) != 0 ||
        len != SHARDSET_HEADER_LEN + (size_t)m->n * SHARDSET_ENTRY_LEN + 4)
        return fb_fail_at(err, FB_ECORRUPT, path, 0, 0,
                          "malformed manifest: %u shards (1..%u) in %zu bytes", (unsigned)m->n,
                          SHARDSET_MAX_SHARDS, len);
    memcpy(m->set_id, p + 24, 16);
    if (!(m->shard = calloc(m->n, sizeof *m->shard)))
        return fb_fail(err, FB_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < m->n; i++) {
        const unsigned char *e = p + SHARDSET_HEADER_LEN + (size_t)i * SHARDSET_ENTRY_LEN;
        m->shard[i].batches = rd_u64(e);
        m->shard[i].events = rd_u64(e + 8);
        memcpy(m->shard[i].content, e + 16, 16);
    }
    return 0;
}

static char *manifest_path(const char *dir, const char *suffix)
{
    size_t n = strlen(dir) + sizeof "/" SHARDSET_MANIFEST + strlen(suffix);
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s%s", dir, SHARDSET_MANIFEST, suffix);
    return s;
}

int shardset_read(const char *dir, struct shardset *m, int *absent, struct fb_error *err)
{
    unsigned char raw[MANIFEST_MAX + 1];
    memset(m, 0, sizeof *m);
    if (absent)
        *absent = 0;
    char *path = manifest_path(dir, "");
    if (!path)
        return fb_fail(err, FB_ENOMEM, "out of memory");
    int rc = 0;
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && absent)
            *absent = 1;
        rc = fb_fail_at(err, FB_EIO, path, 0, 0, "cannot open the shard-set manifest: %s%s", strerror(errno),
                        errno == ENOENT ? " (a directory without one is not a shard set)" : "");
    }
    while (rc == 0 && len < sizeof raw) {   /* one byte more than the largest manifest */
        ssize_t r = read(fd, raw + len, sizeof raw - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = fb_fail_at(err, FB_EIO, path, 0, 0, "cannot read the manifest: %s", strerror(errno));
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    if (rc == 0)
        rc = shardset_decode(raw, len, path, m, err);
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

static int write_fd_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int shardset_write(const char *dir, const struct shardset *m, struct fb_error *err)
{
    struct buf b = {0};
    char *final = manifest_path(dir, "");
    char *tmp = manifest_path(dir, ".tmp.XXXXXX");
    int fd = -1, dfd = -1, rc = 0;
    if (!final || !tmp || shardset_encode(m, &b) != 0) {
        rc = fb_fail(err, FB_ENOMEM, "out of memory");
        goto done;
    }
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        rc = fb_fail_at(err, FB_EIO, tmp, 0, 0, "cannot create the manifest: %s", strerror(errno));
        goto done;
    }
    mode_t mask = umask(0);   /* mkstemp makes 0600; the manifest gets the usual mode */
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || write_fd_all(fd, b.p, b.len) != 0 || fsync(fd) != 0 ||
        rename(tmp, final) != 0) {
        rc = fb_fail_at(err, FB_EIO, final, 0, 0, "cannot write the manifest: %s", strerror(errno));
        unlink(tmp);
        goto done;
    }
    /* The rename is the set's commit point (FORMAT.md §13.3): make it durable. */
    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) != 0)
        rc = fb_fail_at(err, FB_EIO, dir, 0, 0, "cannot sync the directory: %s", strerror(errno));
done:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(final);
    free(tmp);
    buf_free(&b);
    return rc;
}

void shardset_content(const struct blog_commit *commits, size_t k, unsigned char out[16])
{
    uint64_t lane[2] = {0, 0};
    for (size_t i = 0; i < k; i++)
        for (int l = 0; l < 2; l++)
            lane[l] += rd_u64(commits[i].fingerprint + 8 * l);
    wr_u64(out, lane[0]);
    wr_u64(out + 8, lane[1]);
}

/* Copy s[0..n) for a message: at most ECHO_MAX bytes, control bytes as '?'. */
static void echo(char *dst, const char *s, size_t n)
{
    size_t k = n > ECHO_MAX ? ECHO_MAX : n;
    for (size_t i = 0; i < k; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    strcpy(dst + k, n > k ? "..." : "");
}

int shardset_check_entities(const struct dict *entities, uint32_t index, uint32_t n,
                            const char *path, struct fb_error *err)
{
    /* Id 0 is "", which no event's entity can be (FORMAT.md §5). */
    for (uint32_t id = 1; id < dict_size(entities); id++) {
        size_t len;
        const char *s = dict_str(entities, id, &len);
        uint32_t home = shard_of(s, len, n);
        if (home != index) {
            char shown[ECHO_MAX + 4];
            echo(shown, s, len);
            return fb_fail_at(err, FB_ECORRUPT, path, 0, 0,
                              "entity \"%s\" belongs to shard %u of %u, not to this shard %u "
                              "(docs/FORMAT.md §13.1)", shown, (unsigned)home, (unsigned)n, (unsigned)index);
        }
    }
    return 0;
}

int shardset_check_history(const struct shardset *m, uint32_t index, const struct blog_scan *s,
                           const char *path, struct fb_error *err)
{
    const struct shardset_entry *e = &m->shard[index];
    unsigned char content[16];
    if (s->ncommits > e->batches)
        return fb_fail_at(err, FB_ECORRUPT, path, 0, 0,
                          "shard %u has %zu batches, the manifest %llu: an 'append --shards' was "
                          "interrupted; rerun it with the same input", (unsigned)index, s->ncommits,
                          (unsigned long long)e->batches);
    shardset_content(s->commits, s->ncommits, content);
    if (s->ncommits < e->batches || s->events != e->events || memcmp(content, e->content, 16) != 0)
        return fb_fail_at(err, FB_ECORRUPT, path, 0, 0,
                          "shard %u does not hold the batches the manifest records (%llu batches, "
                          "%llu events; it has %zu, %llu): a shard of another set or an older copy",
                          (unsigned)index, (unsigned long long)e->batches, (unsigned long long)e->events,
                          s->ncommits, (unsigned long long)s->events);
    return 0;
}
