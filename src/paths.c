/*
 * paths.c - time-respecting paths, all paths, the static shortest path and
 * maximum flows between account sets (semantics in paths.h).
 *
 * Arrival times are transaction numbers: an account "arrived at" by
 * transfer t may pay on in transfers t + 1 and later, and a source may pay
 * from the start of the window. Lists are the store's CSR adjacency, which
 * is in transaction order, so "the transfers after an arrival" is a binary
 * search away.
 */
#include "fundtrace/paths.h"

#include <igraph/igraph.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/graph.h"

#define NONE UINT32_MAX

void ft_paths_defaults(ft_paths_options *o)
{
    memset(o, 0, sizeof *o);
    o->since_ms = INT64_MIN;
    o->until_ms = INT64_MAX;
    o->max_degree = 2000; /* as trace's */
}

void ft_path_free(ft_path *p)
{
    free(p->txn);
    memset(p, 0, sizeof *p);
}

void ft_flow_free(ft_flow *f)
{
    free(f->edges);
    memset(f, 0, sizeof *f);
}

/* What every search shares: the window, membership of the two sets. */
typedef struct search {
    const ft_store *s;
    const ft_paths_options *o;
    uint32_t start, end; /* transactions [start, end) */
    uint8_t *role;       /* per account: SOURCE, TARGET or 0 */
} search;

enum { SOURCE = 1, TARGET = 2 }; /* never both */

static ft_status search_init(search *q, const ft_store *s, const ft_paths_options *o,
                             ft_account_set from, ft_account_set to, ft_error *err)
{
    memset(q, 0, sizeof *q);
    if (!s->adj.out_off)
        return ft_error_set(err, FT_EUSAGE, "paths: build the store's adjacency first");
    q->s = s;
    q->o = o;
    int64_t until = o->until_ms;
    if (o->window_ms > 0 && o->since_ms != INT64_MIN && o->since_ms <= INT64_MAX - o->window_ms &&
        o->since_ms + o->window_ms < until)
        until = o->since_ms + o->window_ms;
    q->start = o->since_ms == INT64_MIN ? 0 : ft_store_first_at(s, o->since_ms, false);
    q->end = until == INT64_MAX ? (uint32_t)s->t.n : ft_store_first_at(s, until, true);
    q->role = calloc((size_t)s->accounts.n + 1, 1);
    if (!q->role)
        return ft_error_oom(err);
    for (uint32_t i = 0; i < from.n; i++)
        q->role[from.ids[i]] |= SOURCE;
    for (uint32_t i = 0; i < to.n; i++) {
        if (q->role[to.ids[i]] & SOURCE) {
            size_t len;
            const char *k = ft_store_account(s, to.ids[i], &len);
            return ft_error_set(err, FT_EUSAGE,
                                "paths: account '%.*s' is both a source and a target", (int)len,
                                k);
        }
        q->role[to.ids[i]] |= TARGET;
    }
    return FT_OK;
}

static void search_free(search *q)
{
    free(q->role);
}

/* May money pass through account a on its way (not a hub)? */
static bool passable(const search *q, uint32_t a)
{
    const ft_adjacency *adj = &q->s->adj;
    uint32_t deg = adj->out_off[a + 1] - adj->out_off[a] + adj->in_off[a + 1] - adj->in_off[a];
    return !q->o->max_degree || deg <= q->o->max_degree || (q->role[a] & SOURCE);
}

/* First position in list[lo, hi) holding a transaction >= t. */
static uint32_t lower_bound(const uint32_t *list, uint32_t lo, uint32_t hi, uint32_t t)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Account a's outgoing transfers from `arrival` to the end of the window. */
static void out_range(const search *q, uint32_t a, uint32_t arrival, uint32_t *lo, uint32_t *hi)
{
    const ft_adjacency *adj = &q->s->adj;
    *lo = lower_bound(adj->out_txn, adj->out_off[a], adj->out_off[a + 1], arrival);
    *hi = lower_bound(adj->out_txn, *lo, adj->out_off[a + 1], q->end);
}

static bool path_push(ft_path *p, uint32_t t)
{
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 16;
        uint32_t *v = realloc(p->txn, (size_t)cap * sizeof *v);
        if (!v)
            return false;
        p->txn = v;
        p->cap = cap;
    }
    p->txn[p->n++] = t;
    return true;
}

static void path_reverse(ft_path *p)
{
    for (uint32_t i = 0, j = p->n ? p->n - 1 : 0; i < j; i++, j--) {
        uint32_t x = p->txn[i];
        p->txn[i] = p->txn[j];
        p->txn[j] = x;
    }
}

/* --- earliest arrival, no hop limit: Dijkstra on arrival times ------------------------ */

typedef struct heap {
    uint64_t *v; /* arrival << 32 | account */
    size_t n, cap;
} heap;

static bool heap_push(heap *h, uint64_t x)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        uint64_t *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return false;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2] > x) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
    return true;
}

static uint64_t heap_pop(heap *h)
{
    uint64_t top = h->v[0], x = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1] < h->v[c])
            c++;
        if (h->v[c] >= x)
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = x;
    return top;
}

static ft_status earliest_dijkstra(search *q, ft_path *out, ft_error *err)
{
    const ft_store *s = q->s;
    size_t na = s->accounts.n;
    uint32_t *arr = malloc((na + 1) * sizeof *arr), *pred = malloc((na + 1) * sizeof *pred);
    heap h = {0};
    ft_status rc = FT_OK;
    if (!arr || !pred) {
        rc = ft_error_oom(err);
        goto done;
    }
    memset(arr, 0xff, (na + 1) * sizeof *arr);
    memset(pred, 0xff, (na + 1) * sizeof *pred);
    for (uint32_t a = 0; a < na; a++) {
        if (q->role[a] & SOURCE) {
            arr[a] = q->start;
            if (!heap_push(&h, (uint64_t)q->start << 32 | a)) {
                rc = ft_error_oom(err);
                goto done;
            }
        }
    }
    while (h.n) {
        uint64_t top = heap_pop(&h);
        uint32_t v = (uint32_t)top, a = (uint32_t)(top >> 32);
        if (a != arr[v])
            continue; /* stale */
        if ((q->role[v] & TARGET) && pred[v] != NONE) {
            for (uint32_t w = v; pred[w] != NONE; w = s->t.src[pred[w]])
                if (!path_push(out, pred[w])) {
                    rc = ft_error_oom(err);
                    goto done;
                }
            path_reverse(out);
            break;
        }
        uint32_t lo, hi;
        out_range(q, v, a, &lo, &hi);
        for (uint32_t i = lo; i < hi; i++) {
            uint32_t t = s->adj.out_txn[i], w = s->t.dst[t];
            if (t + 1 >= arr[w] || !((q->role[w] & TARGET) || passable(q, w)))
                continue;
            arr[w] = t + 1;
            pred[w] = t;
            if (!heap_push(&h, (uint64_t)(t + 1) << 32 | w)) {
                rc = ft_error_oom(err);
                goto done;
            }
        }
    }
done:
    free(arr);
    free(pred);
    free(h.v);
    return rc;
}

/* --- layered search: fewest hops, or earliest within a hop limit ----------------------- */

typedef struct record {
    uint32_t account, txn, prev, arrival;
} record;

/* Layer by layer (hops), every account's earliest arrival with at most
 * that many hops; a state no earlier than an account's best so far is
 * dominated and dropped. fewest: stop at the first layer that reaches a
 * target. */
static ft_status layered(search *q, bool fewest, ft_path *out, ft_error *err)
{
    const ft_store *s = q->s;
    size_t na = s->accounts.n;
    uint32_t *best = malloc((na + 1) * sizeof *best);
    record *rec = NULL;
    uint32_t nrec = 0, caprec = 0, *front = NULL, *next = NULL, nfront = 0, nnext = 0,
             capfront = 0, capnext = 0;
    uint32_t found = NONE; /* the record reaching a target */
    ft_status rc = FT_OK;
    if (!best) {
        rc = ft_error_oom(err);
        goto done;
    }
    memset(best, 0xff, (na + 1) * sizeof *best);
#define PUSH(arr, n, cap, x)                                                                 \
    do {                                                                                     \
        if ((n) == (cap)) {                                                                  \
            uint32_t c_ = (cap) ? (cap) * 2 : 256;                                           \
            void *p_ = realloc((arr), (size_t)c_ * sizeof *(arr));                           \
            if (!p_) {                                                                       \
                rc = ft_error_oom(err);                                                      \
                goto done;                                                                   \
            }                                                                                \
            (arr) = p_;                                                                      \
            (cap) = c_;                                                                      \
        }                                                                                    \
        (arr)[(n)++] = (x);                                                                  \
    } while (0)
    for (uint32_t a = 0; a < na; a++) {
        if (q->role[a] & SOURCE) {
            best[a] = q->start;
            PUSH(rec, nrec, caprec, ((record){a, NONE, NONE, q->start}));
            PUSH(front, nfront, capfront, nrec - 1);
        }
    }
    for (int hops = 1; nfront && (!q->o->max_hops || hops <= q->o->max_hops); hops++) {
        nnext = 0;
        for (uint32_t k = 0; k < nfront; k++) {
            record r = rec[front[k]];
            if (r.arrival > best[r.account])
                continue; /* improved since, in this layer */
            uint32_t lo, hi;
            out_range(q, r.account, r.arrival, &lo, &hi);
            for (uint32_t i = lo; i < hi; i++) {
                uint32_t t = s->adj.out_txn[i], w = s->t.dst[t];
                bool target = q->role[w] & TARGET;
                if (t + 1 >= best[w] || !(target || passable(q, w)))
                    continue;
                best[w] = t + 1;
                PUSH(rec, nrec, caprec, ((record){w, t, front[k], t + 1}));
                if (target) {
                    if (found == NONE || rec[found].arrival > t + 1)
                        found = nrec - 1;
                } else {
                    PUSH(next, nnext, capnext, nrec - 1);
                }
            }
        }
        if (fewest && found != NONE)
            break;
        uint32_t *x = front;
        front = next;
        next = x;
        uint32_t c = capfront;
        capfront = capnext;
        capnext = c;
        nfront = nnext;
    }
#undef PUSH
    for (uint32_t r = found; r != NONE && rec[r].txn != NONE; r = rec[r].prev)
        if (!path_push(out, rec[r].txn)) {
            rc = ft_error_oom(err);
            goto done;
        }
    path_reverse(out);
done:
    free(best);
    free(rec);
    free(front);
    free(next);
    return rc;
}

ft_status ft_path_earliest(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                           ft_account_set to, ft_path *out, ft_error *err)
{
    search q;
    out->n = 0;
    ft_status rc = search_init(&q, s, o, from, to, err);
    if (rc == FT_OK)
        rc = o->max_hops ? layered(&q, false, out, err) : earliest_dijkstra(&q, out, err);
    search_free(&q);
    return rc;
}

ft_status ft_path_fewest(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                         ft_account_set to, ft_path *out, ft_error *err)
{
    search q;
    out->n = 0;
    ft_status rc = search_init(&q, s, o, from, to, err);
    if (rc == FT_OK)
        rc = layered(&q, true, out, err);
    search_free(&q);
    return rc;
}

/* --- all paths ------------------------------------------------------------------------- */

/* latest[r][a] - 1: the latest transfer by which account a can set off and
 * still reach a target within r hops (0: it cannot), r = 1 .. K. Layer by
 * layer back from the targets along incoming transfers. */
static ft_status latest_departures(const search *q, int K, uint32_t **latest, ft_error *err)
{
    const ft_store *s = q->s;
    const ft_adjacency *adj = &s->adj;
    size_t na = s->accounts.n;
    uint32_t *L = calloc((size_t)(K + 1) * (na + 1), sizeof *L);
    uint32_t *front = malloc((na + 1) * sizeof *front), *next = malloc((na + 1) * sizeof *next);
    uint8_t *queued = calloc(na + 1, 1);
    if (!L || !front || !next || !queued) {
        free(L);
        free(front);
        free(next);
        free(queued);
        return ft_error_oom(err);
    }
    /* Layer 0: a target is there (any arrival will do). */
    uint32_t nfront = 0;
    for (uint32_t a = 0; a < na; a++)
        if (q->role[a] & TARGET) {
            L[a] = UINT32_MAX;
            front[nfront++] = a;
        }
    for (int r = 1; r <= K; r++) {
        uint32_t *prev = L + (size_t)(r - 1) * (na + 1), *cur = L + (size_t)r * (na + 1);
        memcpy(cur, prev, (na + 1) * sizeof *cur);
        uint32_t nnext = 0;
        for (uint32_t k = 0; k < nfront; k++) {
            uint32_t u = front[k];
            /* Money must arrive at u before it sets off: transfers t with
             * t + 1 < prev[u] (any, for a target). */
            uint32_t lo = lower_bound(adj->in_txn, adj->in_off[u], adj->in_off[u + 1], q->start);
            uint32_t hi = prev[u] == UINT32_MAX ? q->end : (prev[u] - 1 < q->end ? prev[u] - 1 : q->end);
            hi = lower_bound(adj->in_txn, lo, adj->in_off[u + 1], hi);
            for (uint32_t i = lo; i < hi; i++) {
                uint32_t t = adj->in_txn[i], v = s->t.src[t];
                if (v == u || (q->role[v] & TARGET) || t + 1 <= cur[v])
                    continue;
                cur[v] = t + 1;
                if (!queued[v] && passable(q, v)) {
                    queued[v] = 1;
                    next[nnext++] = v;
                }
            }
        }
        for (uint32_t k = 0; k < nnext; k++)
            queued[next[k]] = 0;
        uint32_t *x = front;
        front = next;
        next = x;
        nfront = nnext;
    }
    free(front);
    free(next);
    free(queued);
    *latest = L;
    return FT_OK;
}

ft_status ft_paths_all(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                       ft_account_set to, uint64_t limit, ft_path_fn fn, void *ctx,
                       uint64_t *found, bool *more, ft_error *err)
{
    *found = 0;
    *more = false;
    int K = o->max_hops;
    if (K < 1 || K > 64)
        return ft_error_set(err, FT_EUSAGE, "paths: all paths need a hop limit from 1 to 64");
    search q;
    ft_status rc = search_init(&q, s, o, from, to, err);
    uint32_t *L = NULL;
    if (rc == FT_OK)
        rc = latest_departures(&q, K, &L, err);
    if (rc != FT_OK) {
        search_free(&q);
        return rc;
    }
    size_t na = s->accounts.n;
    const ft_adjacency *adj = &s->adj;
    struct frame {
        uint32_t account, pos, end;
    } stack[65];
    uint32_t path[64];
    uint8_t *onpath = calloc(na + 1, 1);
    if (!onpath) {
        free(L);
        search_free(&q);
        return ft_error_oom(err);
    }
    bool stop = false;
    for (uint32_t src = 0; src < na && !stop; src++) {
        if (!(q.role[src] & SOURCE))
            continue;
        int d = 0;
        stack[0].account = src;
        out_range(&q, src, q.start, &stack[0].pos, &stack[0].end);
        onpath[src] = 1;
        while (d >= 0 && !stop) {
            struct frame *f = &stack[d];
            if (f->pos == f->end) {
                onpath[f->account] = 0;
                d--;
                continue;
            }
            uint32_t t = adj->out_txn[f->pos++], w = s->t.dst[t];
            if (onpath[w])
                continue;
            path[d] = t;
            if (q.role[w] & TARGET) {
                ++*found;
                if (!fn(ctx, path, (uint32_t)d + 1) || (limit && *found >= limit)) {
                    stop = true;
                    *more = limit && *found >= limit;
                }
                continue;
            }
            int left = K - d - 1; /* hops left after t */
            if (left < 1 || !passable(&q, w) || L[(size_t)left * (na + 1) + w] <= t + 1)
                continue;
            d++;
            stack[d].account = w;
            out_range(&q, w, t + 1, &stack[d].pos, &stack[d].end);
            onpath[w] = 1;
        }
        for (; d >= 0; d--) /* stopped early: clear the marks */
            onpath[stack[d].account] = 0;
    }
    /* *more is only a guess when the limit was hit exactly at the last path. */
    free(onpath);
    free(L);
    search_free(&q);
    return FT_OK;
}

/* --- igraph: the static path and the maximum flows --------------------------------- */

/* Whether transfer t may be in a static network: both ends passable (or a
 * source / target where they stand), in currency cur (UINT16_MAX: any). */
static bool usable(const search *q, uint32_t t, uint16_t cur)
{
    const ft_store *s = q->s;
    uint32_t a = s->t.src[t], b = s->t.dst[t];
    if (cur != UINT16_MAX && s->t.cur[t] != cur)
        return false;
    if (a == b || (q->role[a] & TARGET) || (q->role[b] & SOURCE))
        return false; /* nothing useful leaves a target or enters a source */
    return passable(q, a) && ((q->role[b] & TARGET) || passable(q, b));
}

/* Builds a graph of accounts (ids as in the store) plus a super source
 * (na) and sink (na + 1), with the usable transfers of the window first
 * (their transaction numbers in *txn) and then the links from the super
 * source to the sources and from the targets to the sink. */
static ft_status static_graph(const search *q, uint16_t cur, igraph_t *g, uint32_t **txn,
                              uint32_t *m, ft_error *err)
{
    const ft_store *s = q->s;
    uint32_t na = s->accounts.n;
    igraph_vector_int_t e;
    if (igraph_vector_int_init(&e, 0) != IGRAPH_SUCCESS)
        return ft_error_from_igraph(err);
    uint32_t n = 0;
    *txn = malloc(((size_t)(q->end - q->start) + 1) * sizeof **txn);
    if (!*txn) {
        igraph_vector_int_destroy(&e);
        return ft_error_oom(err);
    }
    igraph_error_t ie = IGRAPH_SUCCESS;
    for (uint32_t t = q->start; t < q->end && ie == IGRAPH_SUCCESS; t++) {
        if (!usable(q, t, cur))
            continue;
        (*txn)[n++] = t;
        ie = igraph_vector_int_push_back(&e, s->t.src[t]);
        if (ie == IGRAPH_SUCCESS)
            ie = igraph_vector_int_push_back(&e, s->t.dst[t]);
    }
    for (uint32_t a = 0; a < na && ie == IGRAPH_SUCCESS; a++) {
        if (q->role[a] & SOURCE) {
            ie = igraph_vector_int_push_back(&e, na);
            if (ie == IGRAPH_SUCCESS)
                ie = igraph_vector_int_push_back(&e, a);
        }
        if ((q->role[a] & TARGET) && ie == IGRAPH_SUCCESS) {
            ie = igraph_vector_int_push_back(&e, a);
            if (ie == IGRAPH_SUCCESS)
                ie = igraph_vector_int_push_back(&e, na + 1);
        }
    }
    if (ie == IGRAPH_SUCCESS)
        ie = igraph_create(g, &e, (igraph_integer_t)na + 2, IGRAPH_DIRECTED);
    igraph_vector_int_destroy(&e);
    if (ie != IGRAPH_SUCCESS) {
        free(*txn);
        *txn = NULL;
        return ft_error_from_igraph(err);
    }
    *m = n;
    return FT_OK;
}

ft_status ft_path_static(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                         ft_account_set to, ft_path *out, ft_error *err)
{
    search q;
    out->n = 0;
    ft_status rc = search_init(&q, s, o, from, to, err);
    if (rc != FT_OK) {
        search_free(&q);
        return rc;
    }
    ft_graph_setup();
    igraph_t g;
    igraph_vector_int_t edges = IGRAPH_VECTOR_NULL;
    uint32_t *txn = NULL, m = 0, na = s->accounts.n;
    rc = static_graph(&q, UINT16_MAX, &g, &txn, &m, err);
    bool have_g = rc == FT_OK;
    if (rc == FT_OK &&
        (igraph_vector_int_init(&edges, 0) != IGRAPH_SUCCESS ||
         igraph_get_shortest_path(&g, NULL, &edges, na, na + 1, IGRAPH_OUT) != IGRAPH_SUCCESS))
        rc = ft_error_from_igraph(err);
    if (rc == FT_OK) {
        /* Unreachable: an empty path. Else drop the two links. */
        igraph_integer_t k = igraph_vector_int_size(&edges);
        for (igraph_integer_t i = 1; i + 1 < k && rc == FT_OK; i++)
            if (!path_push(out, txn[VECTOR(edges)[i]]))
                rc = ft_error_oom(err);
    }
    igraph_vector_int_destroy(&edges);
    if (have_g)
        igraph_destroy(&g);
    free(txn);
    search_free(&q);
    return rc;
}

#define EXACT_LIMIT (1LL << 53) /* doubles hold every integer below this */

/* The static maximum flow: every usable transfer a pipe of its amount. */
static ft_status flow_static(const search *q, uint16_t cur, ft_flow *out, ft_error *err)
{
    const ft_store *s = q->s;
    igraph_t g;
    uint32_t *txn = NULL, m = 0, na = s->accounts.n;
    ft_status rc = static_graph(q, cur, &g, &txn, &m, err);
    if (rc != FT_OK)
        return rc;
    igraph_integer_t ne = igraph_ecount(&g);
    igraph_vector_t cap = IGRAPH_VECTOR_NULL, flow = IGRAPH_VECTOR_NULL;
    if (igraph_vector_init(&cap, ne) != IGRAPH_SUCCESS ||
        igraph_vector_init(&flow, 0) != IGRAPH_SUCCESS) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    int64_t total = 0;
    for (uint32_t i = 0; i < m && total < EXACT_LIMIT; i++) {
        total += s->t.amount[txn[i]];
        VECTOR(cap)[i] = (double)s->t.amount[txn[i]];
    }
    if (total >= EXACT_LIMIT) {
        rc = ft_error_set(err, FT_EUSAGE,
                          "paths: the amounts add up to too much for an exact flow (2^53 "
                          "minor units); narrow the window");
        goto done;
    }
    for (igraph_integer_t i = m; i < ne; i++)
        VECTOR(cap)[i] = (double)total + 1; /* links: never the bottleneck */
    igraph_real_t value;
    if (igraph_maxflow(&g, &value, &flow, NULL, NULL, NULL, na, na + 1, &cap, NULL) !=
        IGRAPH_SUCCESS) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    out->value = (int64_t)value;
    out->transfers = m;
    out->edges = malloc(((size_t)m + 1) * sizeof *out->edges);
    if (!out->edges) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t i = 0; i < m; i++)
        if (VECTOR(flow)[i] > 0)
            out->edges[out->nedges++] = (ft_flow_edge){txn[i], (int64_t)VECTOR(flow)[i]};
done:
    igraph_vector_destroy(&cap);
    igraph_vector_destroy(&flow);
    igraph_destroy(&g);
    free(txn);
    return rc;
}

/* The temporal maximum flow. The network has a vertex per (account,
 * transfer it takes part in), in time order per account; money waits in
 * an account along "holdover" edges from each of its events to the next
 * (unlimited), a transfer is an edge of its amount from its payer's event
 * to its payee's, the super source feeds each source's first event and
 * each target's last event drains to the super sink. Only transfers on
 * some time-respecting way from a source to a target are kept. */
static ft_status flow_temporal(const search *q, uint16_t cur, ft_flow *out, ft_error *err)
{
    const ft_store *s = q->s;
    uint32_t na = s->accounts.n;
    uint32_t *arr = malloc(((size_t)na + 1) * sizeof *arr); /* earliest possible departure */
    uint32_t *dep = calloc((size_t)na + 1, sizeof *dep);    /* latest useful departure + 1 */
    uint8_t *keep = calloc((size_t)(q->end - q->start) + 1, 1);
    uint32_t *first = NULL, *count = NULL, *kept = NULL;
    igraph_vector_int_t e = IGRAPH_VECTOR_NULL;
    igraph_vector_t cap = IGRAPH_VECTOR_NULL, flow = IGRAPH_VECTOR_NULL;
    igraph_t g;
    bool have_g = false;
    ft_status rc = FT_OK;
    if (!arr || !dep || !keep) {
        rc = ft_error_oom(err);
        goto done;
    }
    if (igraph_vector_int_init(&e, 0) != IGRAPH_SUCCESS ||
        igraph_vector_init(&cap, 0) != IGRAPH_SUCCESS ||
        igraph_vector_init(&flow, 0) != IGRAPH_SUCCESS) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    memset(arr, 0xff, ((size_t)na + 1) * sizeof *arr);
    for (uint32_t a = 0; a < na; a++)
        if (q->role[a] & SOURCE)
            arr[a] = q->start;
    for (uint32_t t = q->start; t < q->end; t++) /* forward: who money can reach, when */
        if (usable(q, t, cur) && arr[s->t.src[t]] <= t && t + 1 < arr[s->t.dst[t]])
            arr[s->t.dst[t]] = t + 1;
    uint32_t nkept = 0;
    int64_t total = 0;
    for (uint32_t t = q->end; t-- > q->start;) { /* backward: what still leads to a target */
        uint32_t a = s->t.src[t], b = s->t.dst[t];
        if (!usable(q, t, cur) || arr[a] > t)
            continue;
        if (!(q->role[b] & TARGET) && dep[b] <= t + 1)
            continue;
        keep[t - q->start] = 1;
        nkept++;
        total += s->t.amount[t];
        if (total >= EXACT_LIMIT) {
            rc = ft_error_set(err, FT_EUSAGE,
                              "paths: the amounts add up to too much for an exact flow (2^53 "
                              "minor units); narrow the window");
            goto done;
        }
        if (t + 1 > dep[a])
            dep[a] = t + 1;
    }
    /* Events grouped by account (counting sort), in time order within. */
    first = calloc((size_t)na + 2, sizeof *first);
    count = calloc((size_t)na + 1, sizeof *count);
    kept = malloc(((size_t)nkept + 1) * sizeof *kept);
    if (!first || !count || !kept) {
        rc = ft_error_oom(err);
        goto done;
    }
    uint32_t k = 0;
    for (uint32_t t = q->start; t < q->end; t++) {
        if (!keep[t - q->start])
            continue;
        kept[k++] = t;
        first[s->t.src[t] + 1]++;
        first[s->t.dst[t] + 1]++;
    }
    for (uint32_t a = 0; a < na; a++)
        first[a + 1] += first[a];
    uint32_t *out_v = malloc(((size_t)nkept + 1) * sizeof *out_v);
    uint32_t *in_v = malloc(((size_t)nkept + 1) * sizeof *in_v);
    if (!out_v || !in_v) {
        free(out_v);
        free(in_v);
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t i = 0; i < nkept; i++) { /* out side before in side: a self-transfer waits */
        uint32_t t = kept[i], a = s->t.src[t], b = s->t.dst[t];
        out_v[i] = first[a] + count[a]++;
        in_v[i] = first[b] + count[b]++;
    }
    uint32_t nv = 2 * nkept, S = nv, T = nv + 1;
    double big = (double)total + 1;
    igraph_error_t ie = IGRAPH_SUCCESS;
#define EDGE(x, y, c)                                                                        \
    do {                                                                                     \
        if (ie == IGRAPH_SUCCESS)                                                            \
            ie = igraph_vector_int_push_back(&e, (x));                                       \
        if (ie == IGRAPH_SUCCESS)                                                            \
            ie = igraph_vector_int_push_back(&e, (y));                                       \
        if (ie == IGRAPH_SUCCESS)                                                            \
            ie = igraph_vector_push_back(&cap, (c));                                         \
    } while (0)
    for (uint32_t i = 0; i < nkept; i++) /* transfers first: edge i is kept[i] */
        EDGE(out_v[i], in_v[i], (double)s->t.amount[kept[i]]);
    free(out_v);
    free(in_v);
    for (uint32_t a = 0; a < na; a++) {
        if (first[a] == first[a + 1])
            continue;
        for (uint32_t v = first[a]; v + 1 < first[a + 1]; v++)
            EDGE(v, v + 1, big);
        if (q->role[a] & SOURCE)
            EDGE(S, first[a], big);
        if (q->role[a] & TARGET)
            EDGE(first[a + 1] - 1, T, big);
    }
#undef EDGE
    if (ie == IGRAPH_SUCCESS)
        ie = igraph_create(&g, &e, (igraph_integer_t)nv + 2, IGRAPH_DIRECTED);
    if (ie != IGRAPH_SUCCESS) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    have_g = true;
    igraph_real_t value;
    if (igraph_maxflow(&g, &value, &flow, NULL, NULL, NULL, S, T, &cap, NULL) != IGRAPH_SUCCESS) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    out->value = (int64_t)value;
    out->transfers = nkept;
    out->edges = malloc(((size_t)nkept + 1) * sizeof *out->edges);
    if (!out->edges) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t i = 0; i < nkept; i++)
        if (VECTOR(flow)[i] > 0)
            out->edges[out->nedges++] = (ft_flow_edge){kept[i], (int64_t)VECTOR(flow)[i]};
done:
    if (have_g)
        igraph_destroy(&g);
    igraph_vector_int_destroy(&e);
    igraph_vector_destroy(&cap);
    igraph_vector_destroy(&flow);
    free(arr);
    free(dep);
    free(keep);
    free(first);
    free(count);
    free(kept);
    return rc;
}

ft_status ft_maxflow(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                     ft_account_set to, uint16_t cur, bool temporal, ft_flow *out,
                     ft_error *err)
{
    search q;
    memset(out, 0, sizeof *out);
    ft_status rc = search_init(&q, s, o, from, to, err);
    if (rc == FT_OK) {
        ft_graph_setup();
        rc = temporal ? flow_temporal(&q, cur, out, err) : flow_static(&q, cur, out, err);
    }
    search_free(&q);
    return rc;
}
