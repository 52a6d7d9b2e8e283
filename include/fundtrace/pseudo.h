/*
 * pseudo.h - pseudonymised account ids, for exchange between agencies.
 *
 * A token is "ps-" and the first 32 hex digits (128 bits) of the
 * HMAC-SHA256 of the account key under a secret key read from a key file
 * (OpenSSL's libcrypto). The same key turns the same account into the
 * same token, so two parties that share the key can find the accounts
 * their outputs have in common (ft_match_files) without showing each other
 * or anyone else the raw ids. What it does not protect: whoever holds the
 * key can hash a candidate id and so re-identify a token (the key is as
 * secret as the data); without the key, tokens of two keys are unlinkable
 * and a token cannot be turned back into an id. Amounts, times, currencies
 * and transaction ids are left as they are.
 */
#ifndef FUNDTRACE_PSEUDO_H
#define FUNDTRACE_PSEUDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/store.h"

#define FT_PSEUDO_PREFIX  "ps-"
#define FT_PSEUDO_HEX     32 /* hex digits of the HMAC kept */
#define FT_PSEUDO_LEN     (3 + FT_PSEUDO_HEX)
#define FT_PSEUDO_MIN_KEY 32   /* bytes: 256 bits */
#define FT_PSEUDO_MAX_KEY 1024 /* bytes */

typedef struct ft_pseudo_key {
    unsigned char bytes[FT_PSEUDO_MAX_KEY];
    size_t len;
    char fingerprint[17]; /* 16 hex digits that name the key, not reveal it */
} ft_pseudo_key;

/* Reads a key file: its bytes, less trailing line breaks and spaces, are
 * the key (so `head -c 32 /dev/urandom` and `openssl rand -hex 32` both
 * make one). A missing or unreadable file, a key shorter than
 * FT_PSEUDO_MIN_KEY bytes or longer than FT_PSEUDO_MAX_KEY is FT_EUSAGE
 * with a message naming the file. */
ft_status ft_pseudo_key_read(ft_pseudo_key *k, const char *path, ft_error *err);

/* The key from bytes (the same checks of length). */
ft_status ft_pseudo_key_set(ft_pseudo_key *k, const void *bytes, size_t len, ft_error *err);

/* The token of id[0..len): FT_PSEUDO_LEN characters and a NUL. */
void ft_pseudo_token(const ft_pseudo_key *k, const char *id, size_t len,
                     char out[FT_PSEUDO_LEN + 1]);

/* Whether p[0..avail) begins with a token (and not inside a longer word). */
bool ft_pseudo_token_at(const char *p, size_t avail);

/* Replaces, in everything written about s from now on, each account key
 * by its token (ft_store_account_shown); the store's keys themselves stay,
 * so seeds, watchlists and rules still name raw accounts. */
ft_status ft_store_pseudonymise(ft_store *s, const ft_pseudo_key *k, ft_error *err);

/* `fundtrace match`: the tokens two files share. */
typedef struct ft_match_entry {
    char token[FT_PSEUDO_LEN + 1];
    uint64_t count[2]; /* occurrences in each file */
} ft_match_entry;

typedef struct ft_match {
    ft_match_entry *v; /* the shared tokens, sorted */
    size_t n;
    uint64_t distinct[2]; /* distinct tokens in each file */
    bool raw[2];          /* the file was a list of raw ids, hashed with the key */
} ft_match;

/* Reads both files ("-" is standard input for one of them) and lists the
 * tokens they share. A file is any fundtrace output written with
 * --pseudonymise (every token in it counts, in any format), or, when `key`
 * is not NULL and the file holds no token, a list of raw account ids, one
 * per line ('#' comments), each hashed with the key. A file with neither
 * is FT_EUSAGE. */
ft_status ft_match_files(const char *const paths[2], const ft_pseudo_key *key, ft_match *m,
                         ft_error *err);
void ft_match_free(ft_match *m);

#endif
