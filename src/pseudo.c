/*
 * pseudo.c - keyed tokens for account ids (HMAC-SHA256, OpenSSL), and
 * the tokens two files share.
 */
#include "fundtrace/pseudo.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/hash.h"
#include "slurp.h"

static const char hexdig[] = "0123456789abcdef";

ft_status ft_pseudo_key_set(ft_pseudo_key *k, const void *bytes, size_t len, ft_error *err)
{
    if (len < FT_PSEUDO_MIN_KEY)
        return ft_error_set(err, FT_EUSAGE,
                            "the key is %zu byte%s; a key needs at least %d (make one with "
                            "'head -c 32 /dev/urandom > KEYFILE')",
                            len, len == 1 ? "" : "s", FT_PSEUDO_MIN_KEY);
    if (len > FT_PSEUDO_MAX_KEY)
        return ft_error_set(err, FT_EUSAGE, "the key is %zu bytes; at most %d are taken", len,
                            FT_PSEUDO_MAX_KEY);
    memcpy(k->bytes, bytes, len);
    k->len = len;
    /* The fingerprint: the token of a fixed text, which two parties can
     * compare to see that they hold the same key. */
    char t[FT_PSEUDO_LEN + 1];
    static const char probe[] = "fundtrace key fingerprint";
    ft_pseudo_token(k, probe, sizeof probe - 1, t);
    memcpy(k->fingerprint, t + 3, 16);
    k->fingerprint[16] = '\0';
    return FT_OK;
}

ft_status ft_pseudo_key_read(ft_pseudo_key *k, const char *path, ft_error *err)
{
    memset(k, 0, sizeof *k);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ft_error_set(err, FT_EUSAGE, "cannot read the key file '%s': %s", path,
                            strerror(errno));
    unsigned char buf[FT_PSEUDO_MAX_KEY + 2];
    size_t n = fread(buf, 1, sizeof buf, f);
    bool bad = ferror(f) != 0;
    int e = errno;
    fclose(f);
    if (bad)
        return ft_error_set(err, FT_EUSAGE, "cannot read the key file '%s': %s", path, strerror(e));
    if (n == sizeof buf)
        return ft_error_set(err, FT_EUSAGE, "key file '%s': longer than %d bytes", path,
                            FT_PSEUDO_MAX_KEY);
    /* A key of text (openssl rand -hex 32, a passphrase in an editor)
     * loses its line end; any other key is its bytes, all of them: a
     * random key ends in a newline byte one time in 256. */
    bool text = true;
    for (size_t i = 0; i < n && text; i++)
        text = (buf[i] >= 0x20 && buf[i] < 0x7f) || buf[i] == '\n' || buf[i] == '\r';
    while (text && n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    ft_status rc = ft_pseudo_key_set(k, buf, n, err);
    memset(buf, 0, sizeof buf);
    if (rc != FT_OK) {
        char msg[FT_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return ft_error_set(err, rc, "key file '%s': %s", path, msg);
    }
    return FT_OK;
}

void ft_pseudo_token(const ft_pseudo_key *k, const char *id, size_t len,
                     char out[FT_PSEUDO_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    HMAC(EVP_sha256(), k->bytes, (int)k->len, (const unsigned char *)id, len, md, &mdlen);
    memcpy(out, FT_PSEUDO_PREFIX, 3);
    for (int i = 0; i < FT_PSEUDO_HEX / 2; i++) {
        out[3 + 2 * i] = hexdig[md[i] >> 4];
        out[4 + 2 * i] = hexdig[md[i] & 15];
    }
    out[FT_PSEUDO_LEN] = '\0';
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_word(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '-';
}

bool ft_pseudo_token_at(const char *p, size_t avail)
{
    if (avail < FT_PSEUDO_LEN || memcmp(p, FT_PSEUDO_PREFIX, 3) != 0)
        return false;
    for (int i = 3; i < FT_PSEUDO_LEN; i++)
        if (!is_hex(p[i]))
            return false;
    return avail == FT_PSEUDO_LEN || !is_word(p[FT_PSEUDO_LEN]);
}

/* HMAC-SHA256 (RFC 2104) with the key's inner and outer SHA-256 states
 * made once and copied per id: a tenth of the cost of HMAC() per call,
 * which sets everything up anew. */
typedef struct keyed {
    EVP_MD_CTX *inner, *outer, *work;
} keyed;

static void keyed_free(keyed *h)
{
    EVP_MD_CTX_free(h->inner);
    EVP_MD_CTX_free(h->outer);
    EVP_MD_CTX_free(h->work);
}

static bool keyed_init(keyed *h, const ft_pseudo_key *k)
{
    memset(h, 0, sizeof *h);
    unsigned char block[64] = {0}, pad[64];
    if (k->len > sizeof block) {
        unsigned int n = 0;
        EVP_Digest(k->bytes, k->len, block, &n, EVP_sha256(), NULL);
    } else {
        memcpy(block, k->bytes, k->len);
    }
    h->inner = EVP_MD_CTX_new();
    h->outer = EVP_MD_CTX_new();
    h->work = EVP_MD_CTX_new();
    bool ok = h->inner && h->outer && h->work;
    for (int i = 0; i < 64; i++)
        pad[i] = block[i] ^ 0x36;
    ok = ok && EVP_DigestInit_ex(h->inner, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(h->inner, pad, 64) == 1;
    for (int i = 0; i < 64; i++)
        pad[i] = block[i] ^ 0x5c;
    ok = ok && EVP_DigestInit_ex(h->outer, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(h->outer, pad, 64) == 1;
    memset(block, 0, sizeof block);
    memset(pad, 0, sizeof pad);
    if (!ok)
        keyed_free(h);
    return ok;
}

static bool keyed_token(keyed *h, const char *id, size_t len, char out[FT_PSEUDO_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_MD_CTX_copy_ex(h->work, h->inner) != 1 || EVP_DigestUpdate(h->work, id, len) != 1 ||
        EVP_DigestFinal_ex(h->work, md, &n) != 1 || EVP_MD_CTX_copy_ex(h->work, h->outer) != 1 ||
        EVP_DigestUpdate(h->work, md, n) != 1 || EVP_DigestFinal_ex(h->work, md, &n) != 1)
        return false;
    memcpy(out, FT_PSEUDO_PREFIX, 3);
    for (int i = 0; i < FT_PSEUDO_HEX / 2; i++) {
        out[3 + 2 * i] = hexdig[md[i] >> 4];
        out[4 + 2 * i] = hexdig[md[i] & 15];
    }
    out[FT_PSEUDO_LEN] = '\0';
    return true;
}

ft_status ft_store_pseudonymise(ft_store *s, const ft_pseudo_key *k, ft_error *err)
{
    uint32_t n = s->accounts.n;
    char *tok = malloc((size_t)n * (FT_PSEUDO_LEN + 1) + 1);
    if (!tok)
        return ft_error_oom(err);
    keyed h;
    if (!keyed_init(&h, k)) {
        free(tok);
        return ft_error_oom(err); /* OpenSSL fails for want of memory only */
    }
    for (uint32_t a = 0; a < n; a++) {
        size_t len;
        const char *key = ft_store_account(s, a, &len);
        if (!keyed_token(&h, key, len, tok + (size_t)a * (FT_PSEUDO_LEN + 1))) {
            keyed_free(&h);
            free(tok);
            return ft_error_oom(err);
        }
    }
    keyed_free(&h);
    free(s->pseudo);
    s->pseudo = tok;
    return FT_OK;
}

/* --- match ---------------------------------------------------------------------------------- */

/* Distinct tokens with their counts in both files: entries and an open
 * addressing table of entry numbers + 1. */
typedef struct tokset {
    ft_match_entry *v;
    size_t n, cap;
    uint32_t *slot;
    size_t nslots;
} tokset;

static ft_status tokset_add(tokset *t, const char *tok, int side, ft_error *err)
{
    if (2 * (t->n + 1) > t->nslots) {
        size_t ns = t->nslots ? t->nslots * 2 : 1024;
        uint32_t *sl = calloc(ns, sizeof *sl);
        if (!sl)
            return ft_error_oom(err);
        for (size_t i = 0; i < t->n; i++) {
            size_t h = (size_t)ft_xxh64(t->v[i].token, FT_PSEUDO_LEN, 0) & (ns - 1);
            while (sl[h])
                h = (h + 1) & (ns - 1);
            sl[h] = (uint32_t)i + 1;
        }
        free(t->slot);
        t->slot = sl;
        t->nslots = ns;
    }
    size_t h = (size_t)ft_xxh64(tok, FT_PSEUDO_LEN, 0) & (t->nslots - 1);
    for (; t->slot[h]; h = (h + 1) & (t->nslots - 1)) {
        ft_match_entry *e = &t->v[t->slot[h] - 1];
        if (memcmp(e->token, tok, FT_PSEUDO_LEN) == 0) {
            e->count[side]++;
            return FT_OK;
        }
    }
    if (t->n == t->cap) {
        size_t c = t->cap ? t->cap * 2 : 256;
        ft_match_entry *v = realloc(t->v, c * sizeof *v);
        if (!v)
            return ft_error_oom(err);
        t->v = v;
        t->cap = c;
    }
    ft_match_entry *e = &t->v[t->n];
    memcpy(e->token, tok, FT_PSEUDO_LEN);
    e->token[FT_PSEUDO_LEN] = '\0';
    e->count[0] = e->count[1] = 0;
    e->count[side] = 1;
    t->slot[h] = (uint32_t)++t->n;
    return FT_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    return memcmp(((const ft_match_entry *)a)->token, ((const ft_match_entry *)b)->token,
                  FT_PSEUDO_LEN);
}

/* The tokens of one file into t; *found: how many. */
static ft_status scan_tokens(tokset *t, const char *buf, size_t len, int side, uint64_t *found,
                             ft_error *err)
{
    *found = 0;
    for (size_t i = 0; i + FT_PSEUDO_LEN <= len; i++) {
        if (buf[i] != 'p' || (i > 0 && is_word(buf[i - 1])) ||
            !ft_pseudo_token_at(buf + i, len - i))
            continue;
        ft_status rc = tokset_add(t, buf + i, side, err);
        if (rc != FT_OK)
            return rc;
        (*found)++;
        i += FT_PSEUDO_LEN - 1;
    }
    return FT_OK;
}

/* A list of raw ids, one a line, hashed with the key. */
static ft_status hash_ids(tokset *t, const char *buf, size_t len, int side, const ft_pseudo_key *k,
                          ft_error *err)
{
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) : len, a = i, b = end;
        i = end + 1;
        while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
            a++;
        while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\r'))
            b--;
        if (a == b || buf[a] == '#')
            continue;
        char tok[FT_PSEUDO_LEN + 1];
        ft_pseudo_token(k, buf + a, b - a, tok);
        ft_status rc = tokset_add(t, tok, side, err);
        if (rc != FT_OK)
            return rc;
    }
    return FT_OK;
}

ft_status ft_match_files(const char *const paths[2], const ft_pseudo_key *key, ft_match *m,
                         ft_error *err)
{
    memset(m, 0, sizeof *m);
    tokset t = {0};
    ft_status rc = FT_OK;
    for (int side = 0; side < 2 && rc == FT_OK; side++) {
        char *buf = NULL;
        size_t len = 0;
        uint64_t found = 0;
        if ((rc = ft_slurp_path(paths[side], FT_EUSAGE, &buf, &len, err)) != FT_OK)
            break;
        rc = scan_tokens(&t, buf, len, side, &found, err);
        if (rc == FT_OK && found == 0) {
            if (!key)
                rc = ft_error_set(err, FT_EUSAGE,
                                  "'%s' holds no pseudonymised account ids (write it with "
                                  "--pseudonymise, or give --key KEYFILE to hash the raw ids "
                                  "it lists, one a line)",
                                  paths[side]);
            else {
                m->raw[side] = true;
                rc = hash_ids(&t, buf, len, side, key, err);
            }
        }
        free(buf);
    }
    if (rc == FT_OK) {
        size_t w = 0;
        for (size_t i = 0; i < t.n; i++) {
            m->distinct[0] += t.v[i].count[0] > 0;
            m->distinct[1] += t.v[i].count[1] > 0;
            if (t.v[i].count[0] && t.v[i].count[1])
                t.v[w++] = t.v[i];
        }
        if (w > 1)
            qsort(t.v, w, sizeof *t.v, cmp_entry);
        m->v = t.v;
        m->n = w;
        t.v = NULL;
    }
    free(t.v);
    free(t.slot);
    return rc;
}

void ft_match_free(ft_match *m)
{
    free(m->v);
    memset(m, 0, sizeof *m);
}
