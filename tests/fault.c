/*
 * fault.c - the wrappers of fault.h, linked with -Wl,--wrap=SYMBOL for each
 * function below (tests/CMakeLists.txt).
 */
#define _GNU_SOURCE /* fopencookie */
#include "fault.h"

#include <igraph/igraph.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t armed, calls;
static bool fired, paused;

void fault_arm(uint64_t n)
{
    pthread_mutex_lock(&lock);
    armed = n;
    calls = 0;
    fired = false;
    pthread_mutex_unlock(&lock);
}

uint64_t fault_calls(void)
{
    return calls;
}

bool fault_fired(void)
{
    return fired;
}

void fault_pause(bool p)
{
    pthread_mutex_lock(&lock);
    paused = p;
    pthread_mutex_unlock(&lock);
}

/* Whether this call fails. */
static bool fail_now(void)
{
    pthread_mutex_lock(&lock);
    bool f = false;
    if (!paused) {
        calls++;
        if (armed && calls == armed) {
            f = true;
            fired = true;
        }
    }
    pthread_mutex_unlock(&lock);
    return f;
}

/* --- what is alive: an open-addressing set of pointers ---------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static void **slots;
static size_t nslots, nlive, ndead;

static size_t slot_of(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (nslots - 1);
}

#define TOMB ((void *)1)

static void set_grow(void)
{
    size_t old = nslots;
    void **v = slots;
    nslots = old ? old * 2 : 1 << 16;
    if (nlive * 4 < old)
        nslots = old; /* only tombstones to clear */
    slots = __real_calloc(nslots, sizeof *slots);
    if (!slots)
        abort();
    nlive = ndead = 0;
    for (size_t i = 0; i < old; i++) {
        if (v[i] && v[i] != TOMB) {
            size_t k = slot_of(v[i]);
            while (slots[k])
                k = (k + 1) & (nslots - 1);
            slots[k] = v[i];
            nlive++;
        }
    }
    __real_free(v);
}

static void track(const void *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&lock);
    if ((nlive + ndead + 1) * 2 > nslots)
        set_grow();
    size_t k = slot_of(p);
    while (slots[k] && slots[k] != TOMB)
        k = (k + 1) & (nslots - 1);
    if (slots[k] == TOMB)
        ndead--;
    slots[k] = (void *)p;
    nlive++;
    pthread_mutex_unlock(&lock);
}

static void untrack(const void *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&lock);
    if (nslots) {
        size_t k = slot_of(p);
        while (slots[k]) {
            if (slots[k] == p) {
                slots[k] = TOMB;
                nlive--;
                ndead++;
                break;
            }
            k = (k + 1) & (nslots - 1);
        }
    }
    pthread_mutex_unlock(&lock);
}

size_t fault_live(void)
{
    return nlive;
}

/* --- memory ------------------------------------------------------------------------------ */

void *__wrap_malloc(size_t n)
{
    if (fail_now())
        return NULL;
    void *p = __real_malloc(n);
    track(p);
    return p;
}

void *__wrap_calloc(size_t n, size_t k)
{
    if (fail_now())
        return NULL;
    void *p = __real_calloc(n, k);
    track(p);
    return p;
}

void *__wrap_realloc(void *old, size_t n)
{
    if (fail_now())
        return NULL;
    void *p = __real_realloc(old, n);
    if (p || n == 0) {
        untrack(old);
        track(p);
    }
    return p;
}

void __wrap_free(void *p)
{
    untrack(p);
    __real_free(p);
}

char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
    if (fail_now())
        return NULL;
    char *p = __real_strdup(s);
    track(p);
    return p;
}

char *__real_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n)
{
    if (fail_now())
        return NULL;
    char *p = __real_strndup(s, n);
    track(p);
    return p;
}

FILE *__real_open_memstream(char **buf, size_t *len);
FILE *__wrap_open_memstream(char **buf, size_t *len)
{
    return fail_now() ? NULL : __real_open_memstream(buf, len);
}

FILE *__real_fopencookie(void *cookie, const char *mode, cookie_io_functions_t io);
FILE *__wrap_fopencookie(void *cookie, const char *mode, cookie_io_functions_t io)
{
    return fail_now() ? NULL : __real_fopencookie(cookie, mode, io);
}

/* --- igraph ------------------------------------------------------------------------------ */

/* An igraph call that fails the way igraph fails: through the error
 * handler (ours records the reason and frees igraph's own stack). */
#define INJECT() (igraph_error("injected fault", __FILE__, __LINE__, IGRAPH_ENOMEM), IGRAPH_ENOMEM)

igraph_error_t __real_igraph_vector_init(igraph_vector_t *v, igraph_integer_t n);
igraph_error_t __wrap_igraph_vector_init(igraph_vector_t *v, igraph_integer_t n)
{
    if (fail_now()) {
        v->stor_begin = NULL; /* as igraph leaves it */
        return INJECT();
    }
    igraph_error_t e = __real_igraph_vector_init(v, n);
    if (e == IGRAPH_SUCCESS)
        track(v);
    return e;
}

igraph_error_t __real_igraph_vector_int_init(igraph_vector_int_t *v, igraph_integer_t n);
igraph_error_t __wrap_igraph_vector_int_init(igraph_vector_int_t *v, igraph_integer_t n)
{
    if (fail_now()) {
        v->stor_begin = NULL;
        return INJECT();
    }
    igraph_error_t e = __real_igraph_vector_int_init(v, n);
    if (e == IGRAPH_SUCCESS)
        track(v);
    return e;
}

void __real_igraph_vector_destroy(igraph_vector_t *v);
void __wrap_igraph_vector_destroy(igraph_vector_t *v)
{
    if (v->stor_begin)
        untrack(v);
    __real_igraph_vector_destroy(v);
}

void __real_igraph_vector_int_destroy(igraph_vector_int_t *v);
void __wrap_igraph_vector_int_destroy(igraph_vector_int_t *v)
{
    if (v->stor_begin)
        untrack(v);
    __real_igraph_vector_int_destroy(v);
}

igraph_error_t __real_igraph_create(igraph_t *g, const igraph_vector_int_t *e, igraph_integer_t n,
                                    igraph_bool_t directed);
igraph_error_t __wrap_igraph_create(igraph_t *g, const igraph_vector_int_t *e, igraph_integer_t n,
                                    igraph_bool_t directed)
{
    if (fail_now())
        return INJECT();
    igraph_error_t r = __real_igraph_create(g, e, n, directed);
    if (r == IGRAPH_SUCCESS)
        track(g);
    return r;
}

void __real_igraph_destroy(igraph_t *g);
void __wrap_igraph_destroy(igraph_t *g)
{
    untrack(g);
    __real_igraph_destroy(g);
}

/* Calls that only fail: the arguments pass through. */
#define FAILS(name, params, args)                                                                  \
    igraph_error_t __real_##name params;                                                           \
    igraph_error_t __wrap_##name params                                                            \
    {                                                                                              \
        if (fail_now())                                                                            \
            return INJECT();                                                                       \
        return __real_##name args;                                                                 \
    }

FAILS(igraph_vector_int_push_back, (igraph_vector_int_t * v, igraph_integer_t x), (v, x))
FAILS(igraph_vector_push_back, (igraph_vector_t * v, igraph_real_t x), (v, x))
FAILS(igraph_vector_int_resize, (igraph_vector_int_t * v, igraph_integer_t n), (v, n))
FAILS(igraph_maxflow,
      (const igraph_t *g, igraph_real_t *value, igraph_vector_t *flow, igraph_vector_int_t *cut,
       igraph_vector_int_t *p1, igraph_vector_int_t *p2, igraph_integer_t s, igraph_integer_t t,
       const igraph_vector_t *cap, igraph_maxflow_stats_t *stats),
      (g, value, flow, cut, p1, p2, s, t, cap, stats))
FAILS(igraph_connected_components,
      (const igraph_t *g, igraph_vector_int_t *m, igraph_vector_int_t *cs, igraph_integer_t *no,
       igraph_connectedness_t mode),
      (g, m, cs, no, mode))
FAILS(igraph_strength,
      (const igraph_t *g, igraph_vector_t *res, const igraph_vs_t vids, igraph_neimode_t mode,
       igraph_bool_t loops, const igraph_vector_t *w),
      (g, res, vids, mode, loops, w))
FAILS(igraph_coreness, (const igraph_t *g, igraph_vector_int_t *cores, igraph_neimode_t mode),
      (g, cores, mode))
FAILS(igraph_community_multilevel,
      (const igraph_t *g, const igraph_vector_t *w, const igraph_real_t res, igraph_vector_int_t *m,
       igraph_matrix_int_t *ms, igraph_vector_t *mod),
      (g, w, res, m, ms, mod))
FAILS(igraph_community_leiden,
      (const igraph_t *g, const igraph_vector_t *ew, const igraph_vector_t *nw,
       const igraph_real_t res, const igraph_real_t beta, const igraph_bool_t start,
       const igraph_integer_t n_iter, igraph_vector_int_t *m, igraph_integer_t *nc,
       igraph_real_t *q),
      (g, ew, nw, res, beta, start, n_iter, m, nc, q))
FAILS(igraph_get_shortest_path,
      (const igraph_t *g, igraph_vector_int_t *v, igraph_vector_int_t *e, igraph_integer_t from,
       igraph_integer_t to, igraph_neimode_t mode),
      (g, v, e, from, to, mode))
