/*
 * paths.c - time-respecting paths, all paths, the static shortest path and
 * maximum flows between account sets (semantics in paths.h).
 *
 * Time-respecting searches compare times, not row numbers: money that
 * arrives at time t may leave at time t. The store's lists are in time
 * order, so "the transfers from this time on" is a binary search away.
 * Where two choices tie on everything the search cares about, the tie
 * order of the store (ft_store_txn_cmp) decides, never the input's row
 * order or the account ids, so that the same rows in any order give the
 * same answers.
 *
 * The searches within a hop limit keep, per account, its earliest arrival
 * with at most h hops for each h, layer by layer: an arrival with fewer
 * hops is not dominated by an earlier one with more, since only the first
 * can still go as far.
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
    uint32_t start, end;        /* transactions [start, end): those in the window */
    int64_t start_ms;           /* when sources may start paying (INT64_MIN: any time) */
    int64_t since_ms, until_ms; /* the window as given (until after --window) */
    uint8_t *role;              /* per account: SOURCE, TARGET or 0 */
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
    q->since_ms = o->since_ms;
    q->until_ms = until;
    q->start_ms = o->since_ms;
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
    uint32_t deg =
        q->o->degree ? q->o->degree[a]
                     : adj->out_off[a + 1] - adj->out_off[a] + adj->in_off[a + 1] - adj->in_off[a];
    return !q->o->max_degree || deg <= q->o->max_degree || (q->role[a] & SOURCE);
}

/* First position in list[lo, hi) holding a transaction at or after ms. */
static uint32_t from_time(const ft_store *s, const uint32_t *list, uint32_t lo, uint32_t hi,
                          int64_t ms)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->t.ts_ms[list[mid]] < ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
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

/* Account a's outgoing transfers in the window from time ms on (money
 * that arrived at ms may leave at ms), as positions in `list` (the
 * store's out lists, or a copy in the same layout). */
static void out_range(const search *q, const uint32_t *list, uint32_t a, int64_t ms, uint32_t *lo,
                      uint32_t *hi)
{
    const ft_adjacency *adj = &q->s->adj;
    *lo = lower_bound(list, adj->out_off[a], adj->out_off[a + 1], q->start);
    if (ms != INT64_MIN)
        *lo = from_time(q->s, list, *lo, adj->out_off[a + 1], ms);
    *hi = lower_bound(list, *lo, adj->out_off[a + 1], q->end);
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

/* An arrival: when, after how many hops, by which transfer (NONE: a
 * source, from the start). */
typedef struct label {
    int64_t ms;
    uint32_t hops, txn;
} label;

/* Earlier first; then fewer hops; then the transfer in the tie order. */
static int label_cmp(const ft_store *s, label a, label b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    if (a.hops != b.hops)
        return a.hops < b.hops ? -1 : 1;
    if (a.txn == b.txn)
        return 0;
    if (a.txn == NONE || b.txn == NONE)
        return a.txn == NONE ? -1 : 1;
    return ft_store_txn_cmp(s, a.txn, b.txn);
}

/* --- the earliest arrival time, no hop limit: Dijkstra --------------------------------- */

typedef struct heap_item {
    int64_t ms;
    uint32_t account;
} heap_item;

typedef struct heap {
    heap_item *v;
    size_t n, cap;
} heap;

static bool heap_less(heap_item a, heap_item b)
{
    return a.ms < b.ms || (a.ms == b.ms && a.account < b.account);
}

static bool heap_push(heap *h, heap_item x)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        heap_item *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return false;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && heap_less(x, h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
    return true;
}

static heap_item heap_pop(heap *h)
{
    heap_item top = h->v[0], x = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && heap_less(h->v[c + 1], h->v[c]))
            c++;
        if (!heap_less(h->v[c], x))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = x;
    return top;
}

/* The earliest time money from a source can reach a target, any number
 * of hops (INT64_MAX: never). Only the time: which path, of those that
 * arrive then, is the layered search's to say. */
static ft_status earliest_time(search *q, int64_t *when, ft_error *err)
{
    const ft_store *s = q->s;
    size_t na = s->accounts.n;
    int64_t *arr = malloc((na + 1) * sizeof *arr);
    heap h = {0};
    ft_status rc = FT_OK;
    *when = INT64_MAX;
    if (!arr) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t a = 0; a < na; a++) {
        arr[a] = INT64_MAX;
        if ((q->role[a] & SOURCE) && !heap_push(&h, (heap_item){arr[a] = q->start_ms, a})) {
            rc = ft_error_oom(err);
            goto done;
        }
    }
    while (h.n) {
        heap_item top = heap_pop(&h);
        uint32_t v = top.account;
        if (top.ms != arr[v])
            continue; /* stale */
        if (q->role[v] & TARGET) {
            *when = top.ms;
            break;
        }
        uint32_t lo, hi;
        out_range(q, s->adj.out_txn, v, top.ms, &lo, &hi);
        for (uint32_t i = lo; i < hi; i++) {
            uint32_t t = s->adj.out_txn[i], w = s->t.dst[t];
            int64_t ms = s->t.ts_ms[t];
            if (ms >= arr[w] || !((q->role[w] & TARGET) || passable(q, w)))
                continue;
            arr[w] = ms;
            if (!heap_push(&h, (heap_item){ms, w})) {
                rc = ft_error_oom(err);
                goto done;
            }
        }
    }
done:
    free(arr);
    free(h.v);
    return rc;
}

/* --- layered search: fewest hops, or earliest within a hop limit ----------------------- */

/* A step of a path found: its transfer and the step before it. */
typedef struct record {
    uint32_t txn, prev;
} record;

typedef struct growing {
    void *v;
    uint32_t n, cap;
} growing;

static bool grow_push(growing *g, const void *x, size_t size)
{
    if (!ft_array_grow(&g->v, &g->cap, (uint64_t)g->n + 1, size))
        return false;
    memcpy((char *)g->v + (size_t)g->n++ * size, x, size);
    return true;
}

/* Layer h holds every account's earliest arrival with at most h hops
 * (best[], updated in place), and the accounts whose arrival improved in
 * layer h - 1 are the only ones whose transfers can give anything new in
 * layer h (arrivals after cutoff_ms are not wanted). Each of them sets
 * off from its own arrival of layer h - 1, kept in the front, even when
 * another arrival in layer h (earlier, with one hop more) has improved
 * it since. fewest: stop at the first layer that reaches a target; else
 * the earliest arrival over all layers (of equal times, the fewer hops). */
static ft_status layered(search *q, bool fewest, int64_t cutoff_ms, ft_path *out, ft_error *err)
{
    const ft_store *s = q->s;
    size_t na = s->accounts.n;
    label *best = malloc((na + 1) * sizeof *best);
    uint32_t *rec_of = malloc((na + 1) * sizeof *rec_of); /* record of best[a] */
    uint32_t *seen = calloc(na + 1, sizeof *seen);        /* layer it joined the next front */
    growing recs = {0}, front = {0}, next = {0};
    label found = {INT64_MAX, NONE, NONE};
    uint32_t found_rec = NONE;
    ft_status rc = FT_OK;
    if (!best || !rec_of || !seen)
        goto oom;
    /* A front entry: an account and its arrival of the previous layer. */
    typedef struct entry {
        uint32_t account, rec;
        int64_t ms;
    } entry;
    for (uint32_t a = 0; a < na; a++) {
        best[a] = (label){INT64_MAX, NONE, NONE};
        rec_of[a] = NONE;
        if (q->role[a] & SOURCE) {
            best[a] = (label){q->start_ms, 0, NONE};
            entry e = {a, NONE, q->start_ms};
            if (!grow_push(&front, &e, sizeof e))
                goto oom;
        }
    }
    for (uint32_t hops = 1; front.n && (!q->o->max_hops || hops <= (uint32_t)q->o->max_hops);
         hops++) {
        next.n = 0;
        for (uint32_t k = 0; k < front.n; k++) {
            entry f = ((entry *)front.v)[k];
            uint32_t lo, hi;
            out_range(q, s->adj.out_txn, f.account, f.ms, &lo, &hi);
            for (uint32_t i = lo; i < hi; i++) {
                uint32_t t = s->adj.out_txn[i], w = s->t.dst[t];
                bool target = q->role[w] & TARGET;
                if (s->t.ts_ms[t] > cutoff_ms)
                    break;
                if (!(target || passable(q, w)))
                    continue;
                label l = {s->t.ts_ms[t], hops, t};
                if (label_cmp(s, l, best[w]) >= 0)
                    continue;
                best[w] = l;
                record r = {t, f.rec};
                if (!grow_push(&recs, &r, sizeof r))
                    goto oom;
                rec_of[w] = recs.n - 1;
                if (target) {
                    if (label_cmp(s, l, found) < 0) {
                        found = l;
                        found_rec = recs.n - 1;
                    }
                } else if (seen[w] != hops) {
                    seen[w] = hops;
                    entry e = {w, NONE, 0}; /* its arrival is read when the layer ends */
                    if (!grow_push(&next, &e, sizeof e))
                        goto oom;
                }
            }
        }
        if (fewest && found_rec != NONE)
            break;
        for (uint32_t k = 0; k < next.n; k++) {
            entry *e = &((entry *)next.v)[k];
            e->rec = rec_of[e->account];
            e->ms = best[e->account].ms;
        }
        growing x = front;
        front = next;
        next = x;
    }
    for (uint32_t r = found_rec; r != NONE; r = ((record *)recs.v)[r].prev)
        if (!path_push(out, ((record *)recs.v)[r].txn))
            goto oom;
    path_reverse(out);
    goto done;
oom:
    rc = ft_error_oom(err);
done:
    free(best);
    free(rec_of);
    free(seen);
    free(recs.v);
    free(front.v);
    free(next.v);
    return rc;
}

ft_status ft_path_earliest(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                           ft_account_set to, ft_path *out, ft_error *err)
{
    search q;
    out->n = 0;
    ft_status rc = search_init(&q, s, o, from, to, err);
    if (rc == FT_OK && o->max_hops) {
        rc = layered(&q, false, INT64_MAX, out, err);
    } else if (rc == FT_OK) {
        /* Without a hop limit, Dijkstra finds the time; the fewest hops
         * that arrive by then are the path (as the layered search with a
         * limit would choose it), found in as many layers as it has. */
        int64_t when;
        rc = earliest_time(&q, &when, err);
        if (rc == FT_OK && when != INT64_MAX)
            rc = layered(&q, true, when, out, err);
    }
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
        rc = layered(&q, true, INT64_MAX, out, err);
    search_free(&q);
    return rc;
}

/* --- all paths ------------------------------------------------------------------------- */

/* The end (exclusive) of transfer t's time in the store: every transfer
 * before it is not later than t. */
static uint32_t time_end(const ft_store *s, uint32_t t)
{
    return ft_store_first_at(s, s->t.ts_ms[t], true);
}

/* latest[r][a]: money at account a can still reach a target within r
 * hops when it arrives by a transfer before latest[r][a] (in the store's
 * order, whose times never decrease; 0: it cannot), r = 1 .. K. Layer by
 * layer back from the targets along incoming transfers: a transfer into u
 * counts when it is not later than u's own latest departure. */
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
            /* Transfers into u not later than u can still set off. */
            uint32_t lo = lower_bound(adj->in_txn, adj->in_off[u], adj->in_off[u + 1], q->start);
            uint32_t hi = prev[u] < q->end ? prev[u] : q->end;
            hi = lower_bound(adj->in_txn, lo, adj->in_off[u + 1], hi);
            for (uint32_t i = hi; i-- > lo;) { /* latest first: one time_end per sender */
                uint32_t t = adj->in_txn[i], v = s->t.src[t];
                if (v == u || (q->role[v] & TARGET) || t < cur[v])
                    continue;
                uint32_t until = time_end(s, t);
                if (until <= cur[v])
                    continue;
                cur[v] = until;
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

/* The store's out lists with each run of same-time transfers in the tie
 * order, so that the paths come out in an order the input's row order
 * does not change. */
static ft_status tie_ordered_out(const ft_store *s, uint32_t **out, ft_error *err)
{
    const ft_adjacency *adj = &s->adj;
    uint32_t *v = malloc(((size_t)s->t.n + 1) * sizeof *v);
    if (!v)
        return ft_error_oom(err);
    memcpy(v, adj->out_txn, (size_t)s->t.n * sizeof *v);
    for (uint32_t a = 0; a < adj->nacc; a++) {
        for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1];) {
            uint32_t j = i + 1;
            while (j < adj->out_off[a + 1] && s->t.ts_ms[v[j]] == s->t.ts_ms[v[i]])
                j++;
            if (j - i > 1 && ft_store_sort_txns(s, v + i, j - i, err) != FT_OK) {
                free(v);
                return FT_ENOMEM;
            }
            i = j;
        }
    }
    *out = v;
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
    uint32_t *L = NULL, *out = NULL, *sources = NULL;
    uint8_t *onpath = NULL;
    ft_status rc = search_init(&q, s, o, from, to, err);
    if (rc == FT_OK)
        rc = latest_departures(&q, K, &L, err);
    if (rc == FT_OK)
        rc = tie_ordered_out(s, &out, err);
    /* Sources by key, not by id (ids follow the input's row order). */
    if (rc == FT_OK && (!(sources = malloc(((size_t)from.n + 1) * sizeof *sources)) ||
                        !(onpath = calloc((size_t)s->accounts.n + 1, 1))))
        rc = ft_error_oom(err);
    if (rc == FT_OK) {
        memcpy(sources, from.ids, (size_t)from.n * sizeof *sources);
        rc = ft_store_sort_accounts(s, sources, from.n, err);
    }
    if (rc != FT_OK)
        goto done;
    size_t na = s->accounts.n;
    struct frame {
        uint32_t account, pos, end;
    } stack[65];
    uint32_t path[64];
    bool stop = false;
    for (uint32_t k = 0; k < from.n && !stop; k++) {
        uint32_t src = sources[k];
        int d = 0;
        stack[0].account = src;
        out_range(&q, out, src, q.start_ms, &stack[0].pos, &stack[0].end);
        onpath[src] = 1;
        while (d >= 0 && !stop) {
            struct frame *f = &stack[d];
            if (f->pos == f->end) {
                onpath[f->account] = 0;
                d--;
                continue;
            }
            uint32_t t = out[f->pos++], w = s->t.dst[t];
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
            if (left < 1 || !passable(&q, w) || L[(size_t)left * (na + 1) + w] <= t)
                continue;
            d++;
            stack[d].account = w;
            out_range(&q, out, w, s->t.ts_ms[t], &stack[d].pos, &stack[d].end);
            onpath[w] = 1;
        }
        for (; d >= 0; d--) /* stopped early: clear the marks */
            onpath[stack[d].account] = 0;
    }
    /* *more is only a guess when the limit was hit exactly at the last path. */
done:
    free(onpath);
    free(sources);
    free(out);
    free(L);
    search_free(&q);
    return rc;
}

/* --- igraph: the static path and the maximum flows --------------------------------- */

/* Whether transfer t may be in a network: both ends passable (or a
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

/* Sorts each run of same-time transfers of txn[0 .. n) (in time order)
 * into the tie order. */
static ft_status ties_in_order(const ft_store *s, uint32_t *txn, uint32_t n, ft_error *err)
{
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i + 1;
        while (j < n && s->t.ts_ms[txn[j]] == s->t.ts_ms[txn[i]])
            j++;
        if (j - i > 1 && ft_store_sort_txns(s, txn + i, j - i, err) != FT_OK)
            return FT_ENOMEM;
        i = j;
    }
    return FT_OK;
}

/* A network's accounts numbered by key, so that igraph sees the same
 * graph however the input's rows were ordered: vertex[a] is account a's
 * number (NONE: not in the network), account[v] the inverse. */
typedef struct numbering {
    uint32_t *vertex, *account;
    uint32_t n;
} numbering;

static void numbering_free(numbering *nb)
{
    free(nb->vertex);
    free(nb->account);
    memset(nb, 0, sizeof *nb);
}

/* Numbers the ends of txn[0 .. m), and the sources and targets when
 * `sets`. */
static ft_status number_accounts(const search *q, const uint32_t *txn, uint32_t m, bool sets,
                                 numbering *nb, ft_error *err)
{
    const ft_store *s = q->s;
    size_t na = s->accounts.n;
    memset(nb, 0, sizeof *nb);
    nb->vertex = malloc((na + 1) * sizeof *nb->vertex);
    nb->account = malloc((na + 1) * sizeof *nb->account);
    if (!nb->vertex || !nb->account) {
        numbering_free(nb);
        return ft_error_oom(err);
    }
    memset(nb->vertex, 0xff, (na + 1) * sizeof *nb->vertex);
    for (uint32_t i = 0; i < m; i++) {
        uint32_t ends[2] = {s->t.src[txn[i]], s->t.dst[txn[i]]};
        for (int e = 0; e < 2; e++)
            if (nb->vertex[ends[e]] == NONE) {
                nb->vertex[ends[e]] = 0;
                nb->account[nb->n++] = ends[e];
            }
    }
    for (uint32_t a = 0; sets && a < na; a++)
        if (q->role[a] && nb->vertex[a] == NONE) {
            nb->vertex[a] = 0;
            nb->account[nb->n++] = a;
        }
    if (ft_store_sort_accounts(s, nb->account, nb->n, err) != FT_OK) {
        numbering_free(nb);
        return FT_ENOMEM;
    }
    for (uint32_t v = 0; v < nb->n; v++)
        nb->vertex[nb->account[v]] = v;
    return FT_OK;
}

/* The usable transfers of the window, in time order and the tie order. */
static ft_status window_transfers(const search *q, uint16_t cur, uint32_t **txn, uint32_t *m,
                                  ft_error *err)
{
    *m = 0;
    *txn = malloc(((size_t)(q->end - q->start) + 1) * sizeof **txn);
    if (!*txn)
        return ft_error_oom(err);
    for (uint32_t t = q->start; t < q->end; t++)
        if (usable(q, t, cur))
            (*txn)[(*m)++] = t;
    if (ties_in_order(q->s, *txn, *m, err) != FT_OK) {
        free(*txn);
        *txn = NULL;
        return FT_ENOMEM;
    }
    return FT_OK;
}

/* Builds a graph of the accounts (numbered by key) plus a super source
 * (nb->n) and sink (nb->n + 1), with the usable transfers of the window
 * first (their transaction numbers in *txn) and then the links from the
 * super source to the sources and from the targets to the sink. */
static ft_status static_graph(const search *q, uint16_t cur, igraph_t *g, uint32_t **txn,
                              uint32_t *m, numbering *nb, ft_error *err)
{
    const ft_store *s = q->s;
    ft_status rc = window_transfers(q, cur, txn, m, err);
    if (rc == FT_OK)
        rc = number_accounts(q, *txn, *m, true, nb, err);
    if (rc != FT_OK) {
        free(*txn);
        *txn = NULL;
        return rc;
    }
    igraph_vector_int_t e = IGRAPH_VECTOR_NULL;
    igraph_error_t ie = igraph_vector_int_init(&e, 0);
    for (uint32_t i = 0; i < *m && ie == IGRAPH_SUCCESS; i++) {
        ie = igraph_vector_int_push_back(&e, nb->vertex[s->t.src[(*txn)[i]]]);
        if (ie == IGRAPH_SUCCESS)
            ie = igraph_vector_int_push_back(&e, nb->vertex[s->t.dst[(*txn)[i]]]);
    }
    for (uint32_t v = 0; v < nb->n && ie == IGRAPH_SUCCESS; v++) {
        uint8_t role = q->role[nb->account[v]];
        if (role & SOURCE) {
            ie = igraph_vector_int_push_back(&e, nb->n);
            if (ie == IGRAPH_SUCCESS)
                ie = igraph_vector_int_push_back(&e, v);
        }
        if ((role & TARGET) && ie == IGRAPH_SUCCESS) {
            ie = igraph_vector_int_push_back(&e, v);
            if (ie == IGRAPH_SUCCESS)
                ie = igraph_vector_int_push_back(&e, nb->n + 1);
        }
    }
    if (ie == IGRAPH_SUCCESS)
        ie = igraph_create(g, &e, (igraph_integer_t)nb->n + 2, IGRAPH_DIRECTED);
    igraph_vector_int_destroy(&e);
    if (ie != IGRAPH_SUCCESS) {
        free(*txn);
        *txn = NULL;
        numbering_free(nb);
        return ft_error_from_igraph(err);
    }
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
    uint32_t *txn = NULL, m = 0;
    numbering nb;
    rc = static_graph(&q, UINT16_MAX, &g, &txn, &m, &nb, err);
    if (rc == FT_OK) {
        igraph_vector_int_t edges = IGRAPH_VECTOR_NULL;
        if (igraph_vector_int_init(&edges, 0) != IGRAPH_SUCCESS ||
            igraph_get_shortest_path(&g, NULL, &edges, nb.n, nb.n + 1, IGRAPH_OUT) !=
                IGRAPH_SUCCESS) {
            rc = ft_error_from_igraph(err);
        } else {
            /* Unreachable: an empty path. Else drop the two links. */
            igraph_integer_t k = igraph_vector_int_size(&edges);
            for (igraph_integer_t i = 1; i + 1 < k && rc == FT_OK; i++)
                if (!path_push(out, txn[VECTOR(edges)[i]]))
                    rc = ft_error_oom(err);
        }
        igraph_vector_int_destroy(&edges);
        igraph_destroy(&g);
        numbering_free(&nb);
    }
    free(txn);
    search_free(&q);
    return rc;
}

#define EXACT_LIMIT (1LL << 53) /* doubles hold every integer below this */

static ft_status too_much(ft_error *err)
{
    return ft_error_set(err, FT_EUSAGE,
                        "paths: the amounts add up to too much for an exact flow (2^53 minor "
                        "units); narrow the window");
}

/* The static maximum flow: every usable transfer of the window a pipe of
 * its amount, whatever its time. */
static ft_status flow_static(const search *q, uint16_t cur, ft_flow *out, ft_error *err)
{
    const ft_store *s = q->s;
    igraph_t g;
    uint32_t *txn = NULL, m = 0;
    numbering nb;
    ft_status rc = static_graph(q, cur, &g, &txn, &m, &nb, err);
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
        rc = too_much(err);
        goto done;
    }
    for (igraph_integer_t i = m; i < ne; i++)
        VECTOR(cap)[i] = (double)total + 1; /* links: never the bottleneck */
    igraph_real_t value;
    if (igraph_maxflow(&g, &value, &flow, NULL, NULL, NULL, nb.n, nb.n + 1, &cap, NULL) !=
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
    numbering_free(&nb);
    free(txn);
    return rc;
}

/* The temporal flow's reach: arr[a] is the earliest time money from a
 * source can be at account a; keep[t - start] marks the transfers on some
 * time-respecting way from a source to a target. Money that arrives at
 * time t may leave at t, so within a timestamp reach spreads along chains
 * of same-time transfers, followed through the lists of the accounts it
 * reaches (forward) or leaves from (backward). */
static ft_status temporal_reach(const search *q, uint16_t cur, int64_t *arr, uint8_t *keep,
                                uint32_t *nkept, ft_error *err)
{
    const ft_store *s = q->s;
    const ft_adjacency *adj = &s->adj;
    size_t na = s->accounts.n;
    int64_t *dep = malloc((na + 1) * sizeof *dep); /* latest useful departure */
    uint32_t *stack = malloc((na + 1) * sizeof *stack), ns = 0;
    if (!dep || !stack) {
        free(dep);
        free(stack);
        return ft_error_oom(err);
    }
    for (uint32_t a = 0; a < na; a++) {
        arr[a] = q->role[a] & SOURCE ? q->start_ms : INT64_MAX;
        dep[a] = INT64_MIN;
    }
    for (uint32_t g0 = q->start, g1; g0 < q->end; g0 = g1) { /* forward, a time at a time */
        int64_t T = s->t.ts_ms[g0];
        for (g1 = g0; g1 < q->end && s->t.ts_ms[g1] == T; g1++) {
            uint32_t b = s->t.dst[g1];
            if (usable(q, g1, cur) && arr[s->t.src[g1]] <= T && T < arr[b]) {
                arr[b] = T;
                stack[ns++] = b;
            }
        }
        while (ns) {
            uint32_t a = stack[--ns], lo, hi;
            out_range(q, adj->out_txn, a, T, &lo, &hi);
            for (uint32_t i = lo; i < hi && s->t.ts_ms[adj->out_txn[i]] == T; i++) {
                uint32_t t = adj->out_txn[i], b = s->t.dst[t];
                if (usable(q, t, cur) && T < arr[b]) {
                    arr[b] = T;
                    stack[ns++] = b;
                }
            }
        }
    }
    *nkept = 0;
    int64_t total = 0;
#define KEEP(t)                                                                                    \
    do {                                                                                           \
        keep[(t)-q->start] = 1;                                                                    \
        ++*nkept;                                                                                  \
        total += s->t.amount[t];                                                                   \
        uint32_t a_ = s->t.src[t];                                                                 \
        if (dep[a_] < T) {                                                                         \
            dep[a_] = T;                                                                           \
            stack[ns++] = a_;                                                                      \
        }                                                                                          \
    } while (0)
    for (uint32_t g1 = q->end, g0; g1 > q->start && total < EXACT_LIMIT; g1 = g0) { /* back */
        int64_t T = s->t.ts_ms[g1 - 1];
        for (g0 = g1; g0 > q->start && s->t.ts_ms[g0 - 1] == T; g0--) {
            uint32_t t = g0 - 1, b = s->t.dst[t];
            if (usable(q, t, cur) && arr[s->t.src[t]] <= T &&
                ((q->role[b] & TARGET) || dep[b] >= T) && !keep[t - q->start])
                KEEP(t);
        }
        while (ns) {
            uint32_t b = stack[--ns];
            uint32_t lo = lower_bound(adj->in_txn, adj->in_off[b], adj->in_off[b + 1], g0);
            for (uint32_t i = lo; i < adj->in_off[b + 1] && adj->in_txn[i] < g1; i++) {
                uint32_t t = adj->in_txn[i];
                if (usable(q, t, cur) && arr[s->t.src[t]] <= T && !keep[t - q->start])
                    KEEP(t);
            }
        }
    }
#undef KEEP
    free(dep);
    free(stack);
    return total >= EXACT_LIMIT ? too_much(err) : FT_OK;
}

/* The temporal maximum flow. The network has a vertex per account and
 * time it pays or is paid at (money that arrives at a time may leave at
 * that time), in time order per account; money waits in an account along
 * "holdover" edges from each of its times to the next (unlimited), a
 * transfer is an edge of its amount from its payer's vertex to its
 * payee's, the super source feeds each source's first vertex and each
 * target's last vertex drains to the super sink. Only transfers on some
 * time-respecting way from a source to a target are kept. Accounts go by
 * key and transfers by the tie order, so that igraph sees the same
 * network however the input's rows were ordered. */
static ft_status flow_temporal(const search *q, uint16_t cur, ft_flow *out, ft_error *err)
{
    const ft_store *s = q->s;
    uint32_t na = s->accounts.n;
    int64_t *arr = malloc(((size_t)na + 1) * sizeof *arr);
    uint8_t *keep = calloc((size_t)(q->end - q->start) + 1, 1);
    uint32_t *kept = NULL, *first = NULL, *vert = NULL, nkept = 0;
    numbering nb = {0};
    igraph_vector_int_t e = IGRAPH_VECTOR_NULL;
    igraph_vector_t cap = IGRAPH_VECTOR_NULL, flow = IGRAPH_VECTOR_NULL;
    igraph_t g;
    bool have_g = false;
    ft_status rc = FT_OK;
    if (!arr || !keep) {
        rc = ft_error_oom(err);
        goto done;
    }
    if ((rc = temporal_reach(q, cur, arr, keep, &nkept, err)) != FT_OK)
        goto done;
    kept = malloc(((size_t)nkept + 1) * sizeof *kept);
    if (!kept) {
        rc = ft_error_oom(err);
        goto done;
    }
    uint32_t k = 0;
    for (uint32_t t = q->start; t < q->end; t++)
        if (keep[t - q->start])
            kept[k++] = t;
    if ((rc = ties_in_order(s, kept, nkept, err)) != FT_OK ||
        (rc = number_accounts(q, kept, nkept, false, &nb, err)) != FT_OK)
        goto done;
    /* Each end of each transfer, grouped by account (a counting sort that
     * keeps time order), then one vertex per account and time. */
    first = calloc((size_t)nb.n + 2, sizeof *first);
    uint32_t *ends = malloc((2 * (size_t)nkept + 1) * sizeof *ends);
    vert = malloc((2 * (size_t)nkept + 1) * sizeof *vert);
    if (!first || !ends || !vert) {
        free(ends);
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t i = 0; i < nkept; i++) {
        first[nb.vertex[s->t.src[kept[i]]] + 2]++;
        first[nb.vertex[s->t.dst[kept[i]]] + 2]++;
    }
    for (uint32_t v = 0; v < nb.n; v++)
        first[v + 2] += first[v + 1];
    for (uint32_t i = 0; i < 2 * nkept; i++) /* end 2i: the payer's, 2i + 1: the payee's */
        ends[first[nb.vertex[i % 2 ? s->t.dst[kept[i / 2]] : s->t.src[kept[i / 2]]] + 1]++] = i;
    /* first[v] .. first[v + 1]: account v's ends, in time order. */
    uint32_t nv = 0, *vfirst = first; /* reused: account v's first vertex */
    uint32_t lo = 0;
    for (uint32_t v = 0; v < nb.n; v++) {
        uint32_t hi = first[v + 1];
        vfirst[v] = nv;
        for (uint32_t j = lo; j < hi; j++) {
            uint32_t end = ends[j];
            if (j > lo && s->t.ts_ms[kept[end / 2]] != s->t.ts_ms[kept[ends[j - 1] / 2]])
                nv++;
            vert[end] = nv;
        }
        if (hi > lo)
            nv++;
        lo = hi;
    }
    vfirst[nb.n] = nv;
    free(ends);
    uint32_t S = nv, T = nv + 1;
    double big = 0;
    for (uint32_t i = 0; i < nkept; i++)
        big += (double)s->t.amount[kept[i]];
    big += 1;
    igraph_error_t ie = igraph_vector_int_init(&e, 0);
    if (ie == IGRAPH_SUCCESS)
        ie = igraph_vector_init(&cap, 0);
    if (ie == IGRAPH_SUCCESS)
        ie = igraph_vector_init(&flow, 0);
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
        EDGE(vert[2 * i], vert[2 * i + 1], (double)s->t.amount[kept[i]]);
    for (uint32_t v = 0; v < nb.n; v++) {
        for (uint32_t x = vfirst[v]; x + 1 < vfirst[v + 1]; x++)
            EDGE(x, x + 1, big);
        if (q->role[nb.account[v]] & SOURCE)
            EDGE(S, vfirst[v], big);
        if (q->role[nb.account[v]] & TARGET)
            EDGE(vfirst[v + 1] - 1, T, big);
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
    numbering_free(&nb);
    free(arr);
    free(keep);
    free(kept);
    free(first);
    free(vert);
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
        out->since_ms = q.since_ms;
        out->until_ms = q.until_ms;
        ft_graph_setup();
        rc = temporal ? flow_temporal(&q, cur, out, err) : flow_static(&q, cur, out, err);
    }
    search_free(&q);
    return rc;
}
