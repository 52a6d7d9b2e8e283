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
