/* dict.c - open-addressing string dictionary; see dict.h.
 * Entries live in one array and their bytes in one arena, so a million
 * entity ids cost two allocations, not a million. */
#include "dict.h"

#include <stdlib.h>
#include <string.h>
#include "hash.h"

#define DICT_SEED UINT64_C(0x66756e6e656c2131)

struct dict_entry {
    uint64_t off;   /* into arena */
    uint32_t len;
    uint64_t hash;
};

struct dict {
    int fold;
    struct dict_entry *ent;
    uint32_t n, cap;
    char *arena;
    size_t arena_len, arena_cap;
    uint32_t *slots;     /* id + 1, 0 = empty */
    size_t nslots;       /* power of two */
};

static unsigned char fold_byte(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static uint64_t hash_of(const struct dict *d, const char *s, size_t len)
{
    if (!d->fold)
        return fb_hash(s, len, DICT_SEED);
    /* Names folded this way are short (column names), so copy in pieces. */
    unsigned char buf[256];
    uint64_t h = DICT_SEED;
    size_t done = 0;
    do {
        size_t k = len - done < sizeof buf ? len - done : sizeof buf;
        for (size_t i = 0; i < k; i++)
            buf[i] = fold_byte((unsigned char)s[done + i]);
        h = fb_hash(buf, k, h);
        done += k;
    } while (done < len);
    return h;
}

static int same(const struct dict *d, const struct dict_entry *e, const char *s, size_t len)
{
    if (e->len != len)
        return 0;
    const char *t = d->arena + e->off;
    if (!d->fold)
        return memcmp(t, s, len) == 0;
    for (size_t i = 0; i < len; i++)
        if (fold_byte((unsigned char)t[i]) != fold_byte((unsigned char)s[i]))
            return 0;
    return 1;
}

struct dict *dict_new(int fold_case)
{
    struct dict *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->fold = fold_case;
    d->cap = 64;
    d->nslots = 128;
    d->ent = malloc(d->cap * sizeof *d->ent);
    d->slots = calloc(d->nslots, sizeof *d->slots);
    if (!d->ent || !d->slots) {
        dict_free(d);
        return NULL;
    }
    d->ent[0] = (struct dict_entry){0, 0, hash_of(d, "", 0)};
    d->n = 1; /* id 0 = "" is implicit: never in the slot table */
    return d;
}

void dict_free(struct dict *d)
{
    if (!d)
        return;
    free(d->ent);
    free(d->arena);
    free(d->slots);
    free(d);
}

uint32_t dict_size(const struct dict *d) { return d->n; }

static int lookup(const struct dict *d, const char *s, size_t len, uint64_t h, uint32_t *id)
{
    if (len == 0) {
        *id = 0;
        return 1;
    }
    size_t mask = d->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = d->slots[i];
        if (v == 0)
            return 0;
        const struct dict_entry *e = &d->ent[v - 1];
        if (e->hash == h && same(d, e, s, len)) {
            *id = v - 1;
            return 1;
        }
    }
}

int dict_find(const struct dict *d, const char *s, size_t len, uint32_t *id)
{
    return lookup(d, s, len, len ? hash_of(d, s, len) : 0, id);
}

/* A slot table of n slots (a power of two) holding every id. */
static int rehash(struct dict *d, size_t n)
{
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return FB_ENOMEM;
    for (uint32_t id = 1; id < d->n; id++) {
        size_t i = d->ent[id].hash & (n - 1);
        while (s[i])
            i = (i + 1) & (n - 1);
        s[i] = id + 1;
    }
    free(d->slots);
    d->slots = s;
    d->nslots = n;
    return 0;
}

static int reserve(struct dict *d, size_t len)
{
    if (d->n == d->cap) {
        if (d->cap >= UINT32_MAX / 2)
            return FB_ENOMEM;
        struct dict_entry *e = realloc(d->ent, 2 * (size_t)d->cap * sizeof *e);
        if (!e)
            return FB_ENOMEM;
        d->ent = e;
        d->cap *= 2;
    }
    if (d->arena_len + len > d->arena_cap) {
        size_t c = d->arena_cap ? d->arena_cap : 4096;
        while (c < d->arena_len + len)
            c *= 2;
        char *a = realloc(d->arena, c);
        if (!a)
            return FB_ENOMEM;
        d->arena = a;
        d->arena_cap = c;
    }
    /* Keep the load factor under 1/2 so probes stay short. */
    if ((size_t)d->n * 2 >= d->nslots)
        return rehash(d, d->nslots * 2);
    return 0;
}

int dict_reserve(struct dict *d, uint32_t n, size_t bytes)
{
    if (n > UINT32_MAX / 2 || bytes > SIZE_MAX - d->arena_len)
        return FB_ENOMEM;
    if (n > d->cap) {
        struct dict_entry *e = realloc(d->ent, (size_t)n * sizeof *e);
        if (!e)
            return FB_ENOMEM;
        d->ent = e;
        d->cap = n;
    }
    if (d->arena_len + bytes > d->arena_cap) {
        char *a = realloc(d->arena, d->arena_len + bytes);
        if (!a)
            return FB_ENOMEM;
        d->arena = a;
        d->arena_cap = d->arena_len + bytes;
    }
    /* Slots for a load factor under 1/2 with n strings, as reserve keeps. */
    size_t want = d->nslots;
    while ((size_t)n * 2 >= want)
        want *= 2;
    return want == d->nslots ? 0 : rehash(d, want);
}

uint64_t dict_hash_of(const struct dict *d, const char *s, size_t len)
{
    return hash_of(d, s, len);   /* reads only d->fold: safe from any thread */
}

void dict_prefetch(const struct dict *d, uint64_t h, int stage)
{
    const uint32_t *slot = &d->slots[h & (d->nslots - 1)];
    if (stage == 0) {
        __builtin_prefetch(slot);
        return;
    }
    if (*slot) {
        const struct dict_entry *e = &d->ent[*slot - 1];
        __builtin_prefetch(e);
        __builtin_prefetch(d->arena + e->off);
    }
}

int dict_intern(struct dict *d, const char *s, size_t len, uint32_t *id, int *added)
{
    return dict_intern_hashed(d, s, len, hash_of(d, s, len), id, added);
}

int dict_intern_hashed(struct dict *d, const char *s, size_t len, uint64_t h, uint32_t *id,
                       int *added)
{
    if (added)
        *added = 0;
    if (lookup(d, s, len, h, id))
        return 0;
    if (reserve(d, len) != 0)
        return FB_ENOMEM;
    memcpy(d->arena + d->arena_len, s, len);
    d->ent[d->n] = (struct dict_entry){d->arena_len, (uint32_t)len, h};
    d->arena_len += len;
    size_t mask = d->nslots - 1;
    size_t i = h & mask;
    while (d->slots[i])
        i = (i + 1) & mask;
    d->slots[i] = d->n + 1;
    *id = d->n++;
    if (added)
        *added = 1;
    return 0;
}

const char *dict_str(const struct dict *d, uint32_t id, size_t *len)
{
    *len = d->ent[id].len;
    return d->arena ? d->arena + d->ent[id].off : "";
}

uint64_t dict_hash(const struct dict *d, uint32_t id) { return d->ent[id].hash; }
