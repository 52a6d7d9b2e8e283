/*
 * pool.h - string pools and interning.
 *
 * A pool is one growing byte array. Each string is stored as a LEB128
 * length, the bytes and a NUL, and is named by its offset; offset 0 is
 * reserved and means "no string". Nothing is allocated per string.
 *
 * An intern table gives each distinct string a dense uint32 id (0, 1, ...)
 * in order of first sight. It is an open-addressing table of 64-bit slots
 * holding the upper half of the key's hash and the id, so most probes never
 * touch the key bytes. Every array is plain data, so a snapshot stores and
 * maps the table as it is.
 */
#ifndef FUNDTRACE_POOL_H
#define FUNDTRACE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/hash.h"

/* Asks the kernel for huge pages for the 2 MiB-aligned part of
 * p[0..len) when it is large (a hint: large tables read at random then
 * miss the TLB less, and fault in fewer, larger pages). */
void ft_mem_hint_huge(void *p, size_t len);

/* Grows *buf (of *cap bytes) by doubling until it holds `need` bytes. */
ft_status ft_bytes_grow(char **buf, size_t *cap, size_t need, ft_error *err);

/* Makes room for `need` elements of `elem` bytes in the array whose
 * pointer is at `pp` (any T **; capacity *cap, doubled as needed, at most
 * 2^31 elements); false when out of memory or past that, with the array
 * and *cap as they were. The pointer is read and written with memcpy, so
 * no T ** is ever cast to void ** (which strict aliasing forbids). Call it
 * through FT_ARRAY_GROW, which takes the element size from the type. */
bool ft_array_grow(void *pp, uint32_t *cap, uint64_t need, size_t elem);

/* Runs fn on each of the n jobs (an array of n elements of `size`
 * bytes, at most 8): job 0 on the calling thread, each other one on a
 * thread of its own, or on the calling thread after job 0 when a thread
 * cannot be started. Returns when all are done. For work that splits
 * into a few independent parts of about one size. */
void ft_run_jobs(void (*fn)(void *job), void *jobs, size_t size, int n);

/* FT_ARRAY_GROW(p, cap, need): room for `need` elements in the typed
 * array p (an lvalue such as s->v), capacity at cap (a uint32_t *). */
#define FT_ARRAY_GROW(p, cap, need) ft_array_grow(&(p), (cap), (need), sizeof *(p))

static inline ft_status ft_bytes_reserve(char **buf, size_t *cap, size_t need, ft_error *err)
{
    return need <= *cap ? FT_OK : ft_bytes_grow(buf, cap, need, err);
}

/* Moves *s and shortens *len past leading and trailing spaces and tabs.
 * Inline: it runs on every field of every row. */
static inline void ft_span_trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* Calls fn on each line of a small text file with '#' comments cut,
 * spaces trimmed and blank lines skipped; a line that fn refuses becomes
 * the error "path:line: its message". Lines longer than 1023 bytes are
 * refused. */
typedef ft_status (*ft_line_fn)(void *ctx, const char *line, ft_error *err);
ft_status ft_config_lines(const char *path, ft_line_fn fn, void *ctx, ft_error *err);
/* The same on an open stream, named `path` in errors (not closed). */
ft_status ft_config_lines_stream(FILE *f, const char *path, ft_line_fn fn, void *ctx,
                                 ft_error *err);

typedef struct ft_pool {
    char *data;
    uint64_t len, cap;
    bool borrowed; /* data belongs to a snapshot mapping: never freed or grown */
} ft_pool;

/* Appends a copy of s[0..len) and sets *off to its offset. */
ft_status ft_pool_add(ft_pool *p, const char *s, size_t len, uint64_t *off, ft_error *err);

/* The string at `off` (NUL-terminated) and its length; off must come from
 * ft_pool_add on this pool, or be 0, which gives "". */
const char *ft_pool_get(const ft_pool *p, uint64_t off, size_t *len);

void ft_pool_free(ft_pool *p);

typedef struct ft_intern {
    ft_pool pool;
    uint64_t *off;   /* [n] pool offset of the string with id i */
    uint32_t n, cap; /* ids in use, room in off[] */
    uint64_t *slots; /* [nslots]: 0 empty, else (hash >> 32) << 32 | (id + 1) */
    uint64_t nslots; /* a power of two, at least twice n */
    bool borrowed;   /* arrays belong to a snapshot mapping */
} ft_intern;

/* Returns the id of s[0..len), adding it when new (*added is set when
 * `added` is not NULL). FT_ELIMIT past 2^32 - 2 strings. */
ft_status ft_intern_put(ft_intern *t, const char *s, size_t len, uint32_t *id, bool *added,
                        ft_error *err);

/* As ft_intern_put, with `hash` = ft_intern_hash(s, len) already known. */
ft_status ft_intern_put_hashed(ft_intern *t, const char *s, size_t len, uint64_t hash,
                               uint32_t *id, bool *added, ft_error *err);

/* Hints that the key with `hash` will be looked up soon. A lookup touches
 * three cache lines one after the other (hash slot, key offset, key
 * bytes); call with stage 0, 1, 2 at decreasing distances ahead so that
 * each stage finds the previous one's line in cache. Changes nothing. */
void ft_intern_prefetch(const ft_intern *t, uint64_t hash, int stage);

/* The id of s[0..len) if present. */
bool ft_intern_find(const ft_intern *t, const char *s, size_t len, uint32_t *id);

/* The string with `id` (borrowed from the table) and its length. */
const char *ft_intern_str(const ft_intern *t, uint32_t id, size_t *len);

void ft_intern_free(ft_intern *t);

/* A lookup cache in front of an intern table, for a process that looks up
 * many keys (a load: two accounts a row). The table's lookup reads three
 * places (hash slot, key offset, key bytes); the cache's slots hold the
 * hash half, the id and keys up to 23 bytes, so a lookup reads one cache
 * line. It only remembers pairs the table gave, so it can never disagree
 * with it; a key it lacks goes to the table. Not part of any snapshot. */
typedef struct ft_intern_cache {
    struct ft_intern_cache_slot *v;
    uint64_t nslots; /* a power of two, at least twice n; 0: none yet */
    uint64_t n;
} ft_intern_cache;

/* As ft_intern_put_hashed on t, through the cache. */
ft_status ft_intern_cache_put(ft_intern_cache *c, ft_intern *t, const char *s, size_t len,
                              uint64_t hash, uint32_t *id, ft_error *err);

/* Hints that the key with `hash` will be looked up soon. */
static inline void ft_intern_cache_prefetch(const ft_intern_cache *c, uint64_t hash)
{
    if (c->nslots)
        __builtin_prefetch((const char *)c->v + ((hash >> 32) & (c->nslots - 1)) * 32);
}

void ft_intern_cache_free(ft_intern_cache *c);

/* Hash used for keys: XXH64 with a fixed seed. Part of the snapshot format.
 * Inline for short keys, which most are. */
#define FT_INTERN_SEED 0x66756e6474726163ULL /* "fundtrac" */
static inline uint64_t ft_intern_hash(const char *s, size_t len)
{
    return len < 32 ? ft_xxh64_short(s, len, FT_INTERN_SEED) : ft_xxh64(s, len, FT_INTERN_SEED);
}

#endif
