/* hash.h - the 64-bit string hash of dictionaries and batch fingerprints.
 * Not cryptographic: fingerprints add two differently seeded hashes per event
 * (128 bits), enough to tell a re-run of a nightly batch from a new one. */
#ifndef FUNNEL_HASH_H
#define FUNNEL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t fb_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static inline uint64_t fb_hash(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (n * UINT64_C(0x9E3779B97F4A7C15));
    while (n >= 8) {
        /* Little-endian on every host, so fingerprints are portable. */
        uint64_t k = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
                     (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
                     (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
        h = (h ^ fb_mix64(k)) * UINT64_C(0x9E3779B97F4A7C15);
        h = (h << 31) | (h >> 33);
        p += 8;
        n -= 8;
    }
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k |= (uint64_t)p[i] << (8 * i);
    h ^= fb_mix64(k ^ UINT64_C(0x2545F4914F6CDD1D));
    return fb_mix64(h);
}

#endif
