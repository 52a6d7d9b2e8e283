/*
 * hash.c - XXH64 and a SHA-256 wrapper.
 * XXH64 reads little-endian words with memcpy so it is correct on any
 * alignment; compilers turn the memcpy into a plain load.
 */
#include "fundtrace/hash.h"

#include <openssl/evp.h>
#include <string.h>

static inline uint64_t merge64(uint64_t acc, uint64_t val)
{
    acc ^= ft_xxh64_round(0, val);
    return acc * FT_XXH_P1 + FT_XXH_P4;
}

uint64_t ft_xxh64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    const unsigned char *end = p + len;
    uint64_t h;

    if (len >= 32) {
        uint64_t v1 = seed + FT_XXH_P1 + FT_XXH_P2, v2 = seed + FT_XXH_P2, v3 = seed,
                 v4 = seed - FT_XXH_P1;
        const unsigned char *limit = end - 32;
        do {
            v1 = ft_xxh64_round(v1, ft_xxh64_read64(p));
            v2 = ft_xxh64_round(v2, ft_xxh64_read64(p + 8));
            v3 = ft_xxh64_round(v3, ft_xxh64_read64(p + 16));
            v4 = ft_xxh64_round(v4, ft_xxh64_read64(p + 24));
            p += 32;
        } while (p <= limit);
        h = ft_xxh64_rotl(v1, 1) + ft_xxh64_rotl(v2, 7) + ft_xxh64_rotl(v3, 12) +
            ft_xxh64_rotl(v4, 18);
        h = merge64(h, v1);
        h = merge64(h, v2);
        h = merge64(h, v3);
        h = merge64(h, v4);
    } else {
        h = seed + FT_XXH_P5;
    }
    return ft_xxh64_tail(h + (uint64_t)len, p, end);
}

ft_status ft_sha256_init(ft_sha256 *h, ft_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return ft_error_oom(err);
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return ft_error_set(err, FT_EIO, "cannot start a SHA-256 digest");
    }
    h->ctx = ctx;
    return FT_OK;
}

void ft_sha256_update(ft_sha256 *h, const void *p, size_t len)
{
    if (h->ctx && len)
        EVP_DigestUpdate(h->ctx, p, len);
}

void ft_sha256_final(ft_sha256 *h, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    hex[0] = '\0';
    if (!h->ctx)
        return;
    if (EVP_DigestFinal_ex(h->ctx, md, &n) == 1) {
        static const char digits[] = "0123456789abcdef";
        for (unsigned int i = 0; i < n && i < 32; i++) {
            hex[2 * i] = digits[md[i] >> 4];
            hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[2 * (n < 32 ? n : 32)] = '\0';
    }
    ft_sha256_free(h);
}

void ft_sha256_free(ft_sha256 *h)
{
    if (h->ctx)
        EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}
