/*
 * hash.h - checksums and digests.
 *
 * XXH64 (Yann Collet's algorithm, written here from its specification)
 * checksums snapshot sections and hashes interned keys: it runs at memory
 * speed and its values match `xxhsum -H64`. SHA-256 (OpenSSL's libcrypto,
 * which uses the CPU's SHA extensions) fingerprints input files for the
 * provenance record, because an investigator checks evidence with
 * `sha256sum`.
 */
#ifndef FUNDTRACE_HASH_H
#define FUNDTRACE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"

/* XXH64 of `len` bytes at `p` with `seed`. */
uint64_t ft_xxh64(const void *p, size_t len, uint64_t seed);

/* Its parts, inline so that short keys (ft_xxh64_short) cost no call. */
#define FT_XXH_P1 0x9E3779B185EBCA87ULL
#define FT_XXH_P2 0xC2B2AE3D27D4EB4FULL
#define FT_XXH_P3 0x165667B19E3779F9ULL
#define FT_XXH_P4 0x85EBCA77C2B2AE63ULL
#define FT_XXH_P5 0x27D4EB2F165667C5ULL

static inline uint64_t ft_xxh64_rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Little-endian words, read with memcpy (any alignment). */
static inline uint64_t ft_xxh64_read64(const unsigned char *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t ft_xxh64_read32(const unsigned char *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t ft_xxh64_round(uint64_t acc, uint64_t input)
{
    acc += input * FT_XXH_P2;
    acc = ft_xxh64_rotl(acc, 31);
    return acc * FT_XXH_P1;
}

/* The last (len % 32) bytes [p, end) into h, and the final avalanche. */
static inline uint64_t ft_xxh64_tail(uint64_t h, const unsigned char *p, const unsigned char *end)
{
    while (p + 8 <= end) {
        h ^= ft_xxh64_round(0, ft_xxh64_read64(p));
        h = ft_xxh64_rotl(h, 27) * FT_XXH_P1 + FT_XXH_P4;
        p += 8;
    }
    if (p + 4 <= end) {
        h ^= (uint64_t)ft_xxh64_read32(p) * FT_XXH_P1;
        h = ft_xxh64_rotl(h, 23) * FT_XXH_P2 + FT_XXH_P3;
        p += 4;
    }
    while (p < end) {
        h ^= (uint64_t)(*p) * FT_XXH_P5;
        h = ft_xxh64_rotl(h, 11) * FT_XXH_P1;
        p++;
    }
    h ^= h >> 33;
    h *= FT_XXH_P2;
    h ^= h >> 29;
    h *= FT_XXH_P3;
    h ^= h >> 32;
    return h;
}

/* ft_xxh64 of fewer than 32 bytes, inline. */
static inline uint64_t ft_xxh64_short(const void *p, size_t len, uint64_t seed)
{
    const unsigned char *s = p;
    return ft_xxh64_tail(seed + FT_XXH_P5 + (uint64_t)len, s, s + len);
}

/* An incremental SHA-256. Init, update any number of times, then final,
 * which writes 64 lower-case hex digits and a NUL into `hex` and frees the
 * state. ft_sha256_free releases a state that was not finalised. */
typedef struct ft_sha256 {
    void *ctx;
} ft_sha256;

ft_status ft_sha256_init(ft_sha256 *h, ft_error *err);
void ft_sha256_update(ft_sha256 *h, const void *p, size_t len);
void ft_sha256_final(ft_sha256 *h, char hex[65]);
void ft_sha256_free(ft_sha256 *h);

#endif
