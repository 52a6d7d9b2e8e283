/*
 * pool.c - string pools and intern tables.
 * Growth doubles, so appends are amortised O(1); realloc of large blocks
 * moves pages rather than bytes on Linux, and untouched capacity is never
 * resident.
 */
#include "fundtrace/pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fundtrace/hash.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)

void ft_mem_hint_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
    if (!p || len < 2 * HUGE_PAGE)
        return;
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1),
              hi = ((uintptr_t)p + len) & ~(HUGE_PAGE - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)len;
#endif
}

ft_status ft_bytes_grow(char **buf, size_t *cap, size_t need, ft_error *err)
{
    if (need <= *cap)
        return FT_OK;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *p = realloc(*buf, c);
    if (!p)
        return ft_error_oom(err);
    *buf = p;
    *cap = c;
    return FT_OK;
}

ft_status ft_config_lines(const char *path, ft_line_fn fn, void *ctx, ft_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ft_error_errno(err, FT_EUSAGE, "open", path);
    ft_status rc = ft_config_lines_stream(f, path, fn, ctx, err);
    fclose(f);
    return rc;
}

ft_status ft_config_lines_stream(FILE *f, const char *path, ft_line_fn fn, void *ctx, ft_error *err)
{
    char line[1024];
    long lineno = 0;
    ft_status rc = FT_OK;
    while (rc == FT_OK && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = ft_error_at(err, FT_EUSAGE, path, lineno, 0, "line longer than %zu bytes",
                             sizeof line - 1);
            break;
        }
        line[strcspn(line, "#\r\n")] = '\0';
        const char *s = line;
        size_t len = strlen(s);
        ft_span_trim(&s, &len);
        if (len == 0)
            continue;
        ((char *)s)[len] = '\0';
        ft_error sub;
        if (fn(ctx, s, &sub) != FT_OK)
            rc = ft_error_at(err, sub.code, path, lineno, 0, "%s", sub.msg);
    }
    if (rc == FT_OK && ferror(f))
        rc = ft_error_errno(err, FT_EIO, "read", path);
    return rc;
}

static ft_status pool_reserve(ft_pool *p, uint64_t need, ft_error *err)
{
    if (p->len + need <= p->cap)
        return FT_OK;
    if (p->borrowed)
        return ft_error_set(err, FT_EUSAGE, "a string pool read from a snapshot cannot grow");
    uint64_t cap = p->cap ? p->cap : 4096;
    while (cap < p->len + need)
        cap *= 2;
    char *d = realloc(p->data, cap);
    if (!d)
        return ft_error_oom(err);
    ft_mem_hint_huge(d, cap);
    if (p->len == 0) {
        d[0] = '\0'; /* offset 0: the empty string, "none" */
        p->len = 1;
    }
    p->data = d;
    p->cap = cap;
    return FT_OK;
}

ft_status ft_pool_add(ft_pool *p, const char *s, size_t len, uint64_t *off, ft_error *err)
{
    ft_status rc = pool_reserve(p, (uint64_t)len + 11, err);
    if (rc != FT_OK)
        return rc;
    *off = p->len;
    unsigned char *w = (unsigned char *)p->data + p->len;
    uint64_t v = len;
    do {
        unsigned char b = v & 0x7f;
        v >>= 7;
        *w++ = b | (v ? 0x80 : 0);
    } while (v);
    if (len)
        memcpy(w, s, len);
    w[len] = '\0';
    p->len = (uint64_t)((char *)w + len + 1 - p->data);
    return FT_OK;
}

const char *ft_pool_get(const ft_pool *p, uint64_t off, size_t *len)
{
    if (off == 0 || !p->data) {
        if (len)
            *len = 0;
        return "";
    }
    const unsigned char *r = (const unsigned char *)p->data + off;
    uint64_t v = 0;
    int shift = 0;
    unsigned char b;
    do {
        b = *r++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (len)
        *len = (size_t)v;
    return (const char *)r;
}

void ft_pool_free(ft_pool *p)
{
    if (!p->borrowed)
        free(p->data);
    memset(p, 0, sizeof *p);
}

/* a[0..len) == b[0..len), inline: a word at a time from 8 bytes, the last
 * word overlapping the one before. */
static inline bool bytes_equal(const char *a, const char *b, size_t len)
{
    uint64_t x, y;
    if (len < 8) {
        for (size_t i = 0; i < len; i++)
            if (a[i] != b[i])
                return false;
        return true;
    }
    for (size_t i = 0; i + 8 < len; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return false;
    }
    memcpy(&x, a + len - 8, 8);
    memcpy(&y, b + len - 8, 8);
    return x == y;
}

/* Inline: it runs on every lookup. A key shorter than 128 bytes has a
 * one-byte length and is compared by bytes_equal. */
static inline bool key_equals(const ft_intern *t, uint32_t id, const char *s, size_t len)
{
    const unsigned char *k = (const unsigned char *)t->pool.data + t->off[id];
    if (len >= 128 || (k[0] & 0x80)) {
        size_t klen;
        const char *kk = ft_pool_get(&t->pool, t->off[id], &klen);
        return klen == len && memcmp(kk, s, len) == 0;
    }
    if (k[0] != len)
        return false;
    return bytes_equal((const char *)k + 1, s, len);
}

static ft_status rehash(ft_intern *t, uint64_t nslots, ft_error *err)
{
    uint64_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return ft_error_oom(err);
    ft_mem_hint_huge(slots, nslots * sizeof *slots);
    uint64_t mask = nslots - 1;
    for (uint64_t i = 0; i < t->nslots; i++) {
        uint64_t v = t->slots[i];
        if (!v)
            continue;
        /* The stored upper hash half picks the home slot; the low bits of
         * the home come from the upper half too, so no key is re-read. */
        uint64_t j = (v >> 32) & mask;
        while (slots[j])
            j = (j + 1) & mask;
        slots[j] = v;
    }
    if (!t->borrowed)
        free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return FT_OK;
}

bool ft_intern_find(const ft_intern *t, const char *s, size_t len, uint32_t *id)
{
    if (!t->nslots)
        return false;
    uint64_t h = ft_intern_hash(s, len) >> 32;
    uint64_t mask = t->nslots - 1;
    for (uint64_t j = h & mask;; j = (j + 1) & mask) {
        uint64_t v = t->slots[j];
        if (!v)
            return false;
        if ((v >> 32) == h && key_equals(t, (uint32_t)v - 1, s, len)) {
            *id = (uint32_t)v - 1;
            return true;
        }
    }
}

void ft_intern_prefetch(const ft_intern *t, uint64_t hash, int stage)
{
    if (!t->nslots)
        return;
    uint64_t h = hash >> 32, mask = t->nslots - 1, j = h & mask;
    if (stage == 0) {
        __builtin_prefetch(&t->slots[j]);
        return;
    }
    /* The first slot with the right hash half is the key, nearly always. */
    for (int probes = 0; probes < 4; probes++, j = (j + 1) & mask) {
        uint64_t v = t->slots[j];
        if (!v)
            return;
        if ((v >> 32) != h)
            continue;
        uint32_t id = (uint32_t)v - 1;
        if (stage == 1)
            __builtin_prefetch(&t->off[id]);
        else
            __builtin_prefetch(t->pool.data + t->off[id]);
        return;
    }
}

ft_status ft_intern_put(ft_intern *t, const char *s, size_t len, uint32_t *id, bool *added,
                        ft_error *err)
{
    return ft_intern_put_hashed(t, s, len, ft_intern_hash(s, len), id, added, err);
}

ft_status ft_intern_put_hashed(ft_intern *t, const char *s, size_t len, uint64_t hash,
                               uint32_t *id, bool *added, ft_error *err)
{
    ft_status rc;
    if (added)
        *added = false;
    if (t->borrowed)
        return ft_error_set(err, FT_EUSAGE, "a table read from a snapshot cannot grow");
    if ((uint64_t)(t->n + 1) * 2 > t->nslots) {
        if ((rc = rehash(t, t->nslots ? t->nslots * 2 : 64, err)) != FT_OK)
            return rc;
    }
    uint64_t h = hash >> 32;
    uint64_t mask = t->nslots - 1;
    uint64_t j = h & mask;
    for (;; j = (j + 1) & mask) {
        uint64_t v = t->slots[j];
        if (!v)
            break;
        if ((v >> 32) == h && key_equals(t, (uint32_t)v - 1, s, len)) {
            *id = (uint32_t)v - 1;
            return FT_OK;
        }
    }
    if (t->n >= UINT32_MAX - 1)
        return ft_error_set(err, FT_ELIMIT, "more than %u distinct keys", UINT32_MAX - 1);
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? (t->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : t->cap * 2) : 1024;
        uint64_t *off = realloc(t->off, (size_t)cap * sizeof *off);
        if (!off)
            return ft_error_oom(err);
        ft_mem_hint_huge(off, (size_t)cap * sizeof *off);
        t->off = off;
        t->cap = cap;
    }
    uint64_t o;
    if ((rc = ft_pool_add(&t->pool, s, len, &o, err)) != FT_OK)
        return rc;
    t->off[t->n] = o;
    t->slots[j] = (h << 32) | ((uint64_t)t->n + 1);
    *id = t->n++;
    if (added)
        *added = true;
    return FT_OK;
}

const char *ft_intern_str(const ft_intern *t, uint32_t id, size_t *len)
{
    return ft_pool_get(&t->pool, t->off[id], len);
}

void ft_intern_free(ft_intern *t)
{
    ft_pool_free(&t->pool);
    if (!t->borrowed) {
        free(t->off);
        free(t->slots);
    }
    memset(t, 0, sizeof *t);
}

typedef struct job_arg {
    void (*fn)(void *job);
    void *job;
} job_arg;

static void *job_main(void *arg)
{
    job_arg *a = arg;
    a->fn(a->job);
    return NULL;
}

void ft_run_jobs(void (*fn)(void *job), void *jobs, size_t size, int n)
{
    pthread_t t[8];
    job_arg a[8];
    bool started[8] = {false};
    n = n > 8 ? 8 : n;
    for (int i = 1; i < n; i++) {
        a[i] = (job_arg){fn, (char *)jobs + (size_t)i * size};
        started[i] = pthread_create(&t[i], NULL, job_main, &a[i]) == 0;
    }
    if (n > 0)
        fn(jobs);
    for (int i = 1; i < n; i++) {
        if (started[i])
            pthread_join(t[i], NULL);
        else
            fn((char *)jobs + (size_t)i * size);
    }
}

bool ft_array_grow(void *pp, uint32_t *cap, uint64_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    if (need > UINT32_MAX / 2)
        return false;
    uint32_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *p;
    memcpy(&p, pp, sizeof p);
    void *q = realloc(p, (size_t)c * elem);
    if (!q)
        return false;
    memcpy(pp, &q, sizeof q);
    *cap = c;
    return true;
}

/* --- the lookup cache ------------------------------------------------------------ */

#define CACHE_KEY 23

struct ft_intern_cache_slot {
    uint32_t h;   /* the upper half of the key's hash */
    uint32_t id1; /* id + 1; 0: empty */
    uint8_t len;  /* the key's length; CACHE_KEY + 1: longer, in the table only */
    char key[CACHE_KEY];
};

_Static_assert(sizeof(struct ft_intern_cache_slot) == 32, "two cache slots a line");

static void cache_place(ft_intern_cache *c, const struct ft_intern_cache_slot *e)
{
    uint64_t mask = c->nslots - 1, j = e->h & mask;
    while (c->v[j].id1)
        j = (j + 1) & mask;
    c->v[j] = *e;
}

static ft_status cache_grow(ft_intern_cache *c, ft_error *err)
{
    uint64_t nslots = c->nslots ? c->nslots * 2 : 1024;
    struct ft_intern_cache_slot *old = c->v, *v = calloc(nslots, sizeof *v);
    if (!v)
        return ft_error_oom(err);
    ft_mem_hint_huge(v, nslots * sizeof *v);
    uint64_t oldn = c->nslots;
    c->v = v;
    c->nslots = nslots;
    for (uint64_t i = 0; i < oldn; i++)
        if (old[i].id1)
            cache_place(c, &old[i]);
    free(old);
    return FT_OK;
}

ft_status ft_intern_cache_put(ft_intern_cache *c, ft_intern *t, const char *s, size_t len,
                              uint64_t hash, uint32_t *id, ft_error *err)
{
    uint32_t h = (uint32_t)(hash >> 32);
    if (c->nslots) {
        uint64_t mask = c->nslots - 1;
        for (uint64_t j = h & mask;; j = (j + 1) & mask) {
            const struct ft_intern_cache_slot *e = &c->v[j];
            if (!e->id1)
                break;
            if (e->h != h)
                continue;
            if (len <= CACHE_KEY ? e->len == len && bytes_equal(e->key, s, len)
                                 : e->len == CACHE_KEY + 1 && key_equals(t, e->id1 - 1, s, len)) {
                *id = e->id1 - 1;
                return FT_OK;
            }
        }
    }
    ft_status rc = ft_intern_put_hashed(t, s, len, hash, id, NULL, err);
    if (rc != FT_OK)
        return rc;
    if ((c->n + 1) * 2 > c->nslots && (rc = cache_grow(c, err)) != FT_OK)
        return rc;
    struct ft_intern_cache_slot e = {.h = h, .id1 = *id + 1};
    e.len = len <= CACHE_KEY ? (uint8_t)len : CACHE_KEY + 1;
    if (len <= CACHE_KEY)
        memcpy(e.key, s, len);
    cache_place(c, &e);
    c->n++;
    return FT_OK;
}

void ft_intern_cache_free(ft_intern_cache *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}
