/*
 * trace.c - the trace, forward or backward (semantics in trace.h).
 *
 * Event-driven in trace order (the store's transaction order, or its
 * reverse backward). The trace index holds every account's transfers in
 * that order with their amounts and currencies, so an account's history
 * streams through the cache. Each reached account that is followed has a
 * cursor into its two lists; the only events are payments of accounts
 * holding traced money, taken in order from a radix heap. Traced money is
 * applied to its payee at once: the payee's untraced history up to that
 * transfer is caught up first, so the policies see the same balances as a
 * sweep over every transaction would, at the cost of the account's own
 * transfers only. An account holding no traced money sleeps: nothing it
 * pays can carry any.
 *
 * The map from accounts to nodes is an open-addressing table stamped with
 * a generation, so a new trace starts without clearing it.
 */
#include "fundtrace/trace.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/pool.h"

const char *ft_policy_name(ft_policy p)
{
    static const char *const names[] = {"poison", "haircut", "fifo", "lifo"};
    return (unsigned)p < 4 ? names[p] : "?";
}

bool ft_policy_parse(const char *name, ft_policy *p)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, ft_policy_name((ft_policy)i)) == 0) {
            *p = (ft_policy)i;
            return true;
        }
    }
    return false;
}

void ft_trace_defaults(ft_trace_options *o)
{
    memset(o, 0, sizeof *o);
    o->policy = FT_POLICY_HAIRCUT;
    o->max_hops = 6;
    o->since_ms = INT64_MIN;
    o->until_ms = INT64_MAX;
    o->max_degree = 2000;
    o->breadth = 50;
}

/* --- generation-stamped hash maps ---------------------------------------------------- */

typedef struct slot {
    uint32_t key, gen;
    int64_t value;
} slot;

typedef struct map {
    slot *s;
    uint32_t cap, n, gen; /* cap a power of two */
} map;

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static void map_reset(map *m)
{
    m->gen++;
    m->n = 0;
    if (m->gen == 0) { /* wrapped: really clear once in four billion traces */
        memset(m->s, 0, (size_t)m->cap * sizeof *m->s);
        m->gen = 1;
    }
}

static int64_t *map_find(map *m, uint32_t key)
{
    if (!m->cap)
        return NULL;
    for (uint32_t j = hash32(key) & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
        if (m->s[j].gen != m->gen)
            return NULL;
        if (m->s[j].key == key)
            return &m->s[j].value;
    }
}

static bool map_grow(map *m)
{
    uint32_t cap = m->cap ? m->cap * 2 : 1024;
    slot *s = calloc(cap, sizeof *s);
    if (!s)
        return false;
    for (uint32_t i = 0; i < m->cap; i++) {
        if (m->s[i].gen != m->gen)
            continue;
        uint32_t j = hash32(m->s[i].key) & (cap - 1);
        while (s[j].gen == m->gen && m->gen)
            j = (j + 1) & (cap - 1);
        s[j] = m->s[i];
    }
    free(m->s);
    m->s = s;
    m->cap = cap;
    if (m->gen == 0)
        m->gen = 1;
    return true;
}

/* The value for key, inserted as `init` when absent; NULL out of memory. */
static int64_t *map_put(map *m, uint32_t key, int64_t init, bool *added)
{
    if ((m->n + 1) * 2 > m->cap && !map_grow(m))
        return NULL;
    uint32_t j = hash32(key) & (m->cap - 1);
    for (;; j = (j + 1) & (m->cap - 1)) {
        if (m->s[j].gen != m->gen)
            break;
        if (m->s[j].key == key) {
            if (added)
                *added = false;
            return &m->s[j].value;
        }
    }
    m->s[j] = (slot){key, m->gen, init};
    m->n++;
    if (added)
        *added = true;
    return &m->s[j].value;
}

/* --- per-account state --------------------------------------------------------------- */

/* A lot of money in an account, for fifo and lifo. */
typedef struct lot {
    int64_t amount;
    bool traced;
} lot;

/* An account's holdings in one currency, and what it traced in it. */
typedef struct ledger {
    ft_trace_amount a;
    int64_t balance, traced; /* haircut */
    lot *lots;               /* fifo, lifo: lots[head .. head + n) */
    uint32_t head, n, cap;
    int32_t next; /* the node's next ledger, -1 at the end */
} ledger;

typedef struct node {
    uint32_t account;
    int hops;
    int64_t first_ms;
    bool followed, hub, poisoned;
    bool all_allowed; /* the breadth limit cuts none of its transfers */
    bool asleep;     /* holds no traced money: its transfers are skipped */
    __int128 holding; /* traced money it holds, all currencies */
    int32_t ledger0; /* first ledger, -1 none */
    int32_t last;    /* the ledger used last, -1 none: most accounts use one currency */
    uint32_t in_pos, in_end, out_pos, out_end; /* cursor into the CSR lists */
} node;

typedef struct event {
    uint64_t key; /* txn * 2 + side (0 out, 1 in) */
    uint32_t node;
} event;

/* A transfer in an account's list, with what the engine reads of it, so
 * that walking an account's history streams through memory. */
typedef struct entry {
    int64_t amount;
    uint32_t txn; /* in the trace's order: the store's, or reversed backward */
    uint16_t cur;
} entry;

struct ft_trace_index {
    const ft_store *s;
    bool backward;
    uint32_t n;
    const uint32_t *out_off, *in_off; /* the store's (swapped backward) */
    entry *out, *in;
};

struct ft_tracer {
    const ft_store *s;
    const ft_trace_index *ix;
    const ft_trace_options *o;
    node *nodes;
    uint32_t nnodes, cap_nodes;
    ledger *ledgers;
    uint32_t nledgers, cap_ledgers;
    event *bucket[65]; /* the radix heap of events */
    uint32_t bucket_n[65], bucket_cap[65];
    uint64_t last; /* the last key taken */
    uint32_t nheap;
    map by_account;
    uint64_t *allow_bits; /* a bit per out position: allowed by the breadth limit */
    uint32_t *allow_set;  /* the positions set, to clear them */
    uint32_t nallow_set, cap_allow_set;
    uint64_t *pairs; /* (node << 32 | txn) of traced arrivals */
    uint32_t npairs, cap_pairs;
    ft_trace_edge *carried; /* transfers that carried traced money, in trace order */
    uint32_t ncarried, cap_carried;
    uint32_t start_idx, end_idx; /* transactions [start, end) are in the trace */
    int64_t seed_txn; /* in trace order, -1 none */
    int64_t seed_ms;  /* when the seed starts paying out (backward: receiving) */
    ft_trace_result res;
    uint32_t *scratch; /* breadth selection */
    uint32_t cap_scratch;
    ft_error *err;
    ft_status rc;
};


static void oom(ft_tracer *tr)
{
    if (tr->rc == FT_OK)
        tr->rc = ft_error_oom(tr->err);
}

/* Account a's list `list` (off[a] .. off[a + 1]) from `from`, the transfers
 * in trace order: forward the store's list, backward the other list read
 * from its end with ids mirrored (n - 1 - id). */
static void fill(entry *to, const ft_store *s, const uint32_t *off, const uint32_t *list,
                 bool backward)
{
    uint32_t n = (uint32_t)s->t.n;
    for (uint32_t a = 0; a < s->accounts.n; a++) {
        uint32_t lo = off[a], hi = off[a + 1];
        for (uint32_t k = lo; k < hi; k++) {
            uint32_t t = backward ? list[lo + hi - 1 - k] : list[k];
            to[k] = (entry){s->t.amount[t], backward ? n - 1 - t : t, s->t.cur[t]};
        }
    }
}

ft_status ft_trace_index_new(ft_trace_index **ixp, const ft_store *s, bool backward,
                             ft_error *err)
{
    const ft_adjacency *adj = &s->adj;
    if (!adj->out_off)
        return ft_error_set(err, FT_EUSAGE, "trace: build the store's adjacency first");
    ft_trace_index *ix = calloc(1, sizeof *ix);
    size_t n = (size_t)s->t.n;
    if (!ix || !(ix->out = malloc((n + 1) * sizeof *ix->out)) ||
        !(ix->in = malloc((n + 1) * sizeof *ix->in))) {
        ft_trace_index_free(ix);
        return ft_error_oom(err);
    }
    ix->s = s;
    ix->backward = backward;
    ix->n = (uint32_t)n;
    /* Backward, money goes the other way: an account's outgoing list is
     * the store's incoming list, latest first. */
    ix->out_off = backward ? adj->in_off : adj->out_off;
    ix->in_off = backward ? adj->out_off : adj->in_off;
    fill(ix->out, s, ix->out_off, backward ? adj->in_txn : adj->out_txn, backward);
    fill(ix->in, s, ix->in_off, backward ? adj->out_txn : adj->in_txn, backward);
    *ixp = ix;
    return FT_OK;
}

void ft_trace_index_free(ft_trace_index *ix)
{
    if (!ix)
        return;
    free(ix->out);
    free(ix->in);
    free(ix);
}

/* The store's transaction for a transaction id in trace order. */
static uint32_t real_txn(const ft_trace_index *ix, uint32_t t)
{
    return ix->backward ? ix->n - 1 - t : t;
}

ft_status ft_tracer_new(ft_tracer **tr, const ft_trace_index *ix, ft_error *err)
{
    const ft_store *s = ix->s;
    *tr = calloc(1, sizeof **tr);
    if (!*tr)
        return ft_error_oom(err);
    (*tr)->s = s;
    (*tr)->ix = ix;
    (*tr)->allow_bits = calloc((size_t)s->t.n / 64 + 1, sizeof *(*tr)->allow_bits);
    if (!(*tr)->allow_bits) {
        free(*tr);
        *tr = NULL;
        return ft_error_oom(err);
    }
    return FT_OK;
}

void ft_tracer_free(ft_tracer *tr)
{
    if (!tr)
        return;
    for (uint32_t i = 0; i < tr->cap_ledgers; i++)
        free(tr->ledgers[i].lots);
    free(tr->ledgers);
    free(tr->nodes);
    for (int b = 0; b < 65; b++)
        free(tr->bucket[b]);
    free(tr->by_account.s);
    free(tr->allow_bits);
    free(tr->allow_set);
    free(tr->pairs);
    free(tr->carried);
    free(tr->scratch);
    free(tr->res.nodes);
    free(tr->res.amounts);
    free(tr->res.in_txn);
    free(tr->res.edges);
    free(tr);
}

/* The ledger of node idx in currency `cur`, created when new. The
 * pointer is valid until the next ledger is created. */
static ledger *ledger_get(ft_tracer *tr, uint32_t idx, uint16_t cur)
{
    int32_t hot = tr->nodes[idx].last;
    if (hot >= 0 && tr->ledgers[hot].a.cur == cur)
        return &tr->ledgers[hot];
    int32_t last = -1;
    for (int32_t i = tr->nodes[idx].ledger0; i >= 0; i = tr->ledgers[i].next) {
        if (tr->ledgers[i].a.cur == cur) {
            tr->nodes[idx].last = i;
            return &tr->ledgers[i];
        }
        last = i;
    }
    uint32_t old = tr->cap_ledgers;
    if (!FT_ARRAY_GROW(tr->ledgers, &tr->cap_ledgers, tr->nledgers + 1)) {
        oom(tr);
        return NULL;
    }
    /* New capacity starts with no lot buffers; used ones keep theirs. */
    for (uint32_t i = old; i < tr->cap_ledgers; i++) {
        tr->ledgers[i].lots = NULL;
        tr->ledgers[i].cap = 0;
    }
    uint32_t id = tr->nledgers++;
    ledger *l = &tr->ledgers[id];
    lot *lots = l->lots;
    uint32_t cap = l->cap;
    memset(l, 0, sizeof *l);
    l->lots = lots;
    l->cap = cap;
    l->a.cur = cur;
    l->next = -1;
    if (last < 0)
        tr->nodes[idx].ledger0 = (int32_t)id;
    else
        tr->ledgers[last].next = (int32_t)id;
    tr->nodes[idx].last = (int32_t)id;
    return l;
}

/* *x += v, or the trace fails: amounts past 2^63 minor units cannot be
 * added exactly (the data has to be that extreme: amounts at the edge of
 * int64, repeated). */
static bool add_to(ft_tracer *tr, int64_t *x, int64_t v)
{
    if (!__builtin_add_overflow(*x, v, x))
        return true;
    if (tr->rc == FT_OK)
        tr->rc = ft_error_set(tr->err, FT_ELIMIT,
                              "trace: the amounts add up past 2^63 minor units, more than can "
                              "be counted exactly");
    return false;
}

static bool push_lot(ft_tracer *tr, ledger *l, int64_t amount, bool traced)
{
    if (amount <= 0)
        return true;
    /* Merge with the newest lot of the same kind. */
    if (l->n && l->lots[l->head + l->n - 1].traced == traced) {
        return add_to(tr, &l->lots[l->head + l->n - 1].amount, amount);
    }
    if (l->head + l->n == l->cap) {
        if (l->head > l->cap / 2) { /* slide down rather than grow */
            memmove(l->lots, l->lots + l->head, (size_t)l->n * sizeof *l->lots);
            l->head = 0;
        } else if (!FT_ARRAY_GROW(l->lots, &l->cap, l->cap + 1)) {
            oom(tr);
            return false;
        }
    }
    l->lots[l->head + l->n++] = (lot){amount, traced};
    return true;
}

static void inflow(ft_tracer *tr, ledger *l, int64_t amount, int64_t traced)
{
    switch (tr->o->policy) {
    case FT_POLICY_HAIRCUT:
        if (add_to(tr, &l->balance, amount))
            add_to(tr, &l->traced, traced);
        break;
    case FT_POLICY_FIFO:
    case FT_POLICY_LIFO:
        /* A partly traced transfer enters as two lots, the traced one first. */
        if (push_lot(tr, l, traced, true))
            push_lot(tr, l, amount - traced, false);
        break;
    case FT_POLICY_POISON:
        break;
    }
}

/* Spends `amount` from the ledger; returns the traced part. */
static int64_t outflow(ft_tracer *tr, ledger *l, int64_t amount)
{
    int64_t part = 0;
    switch (tr->o->policy) {
    case FT_POLICY_HAIRCUT:
        if (l->balance >= amount && l->balance > 0) {
            part = (int64_t)((__int128)l->traced * amount / l->balance);
            l->balance -= amount;
        } else {
            part = l->traced; /* all known money goes, the rest is of unknown origin */
            l->balance = 0;
        }
        l->traced -= part;
        break;
    case FT_POLICY_FIFO:
    case FT_POLICY_LIFO: {
        bool fifo = tr->o->policy == FT_POLICY_FIFO;
        int64_t left = amount;
        while (left > 0 && l->n) {
            lot *x = fifo ? &l->lots[l->head] : &l->lots[l->head + l->n - 1];
            int64_t take = x->amount < left ? x->amount : left;
            if (x->traced)
                part += take;
            x->amount -= take;
            left -= take;
            if (x->amount == 0) {
                l->n--;
                if (fifo)
                    l->head++;
            }
        }
        if (l->n == 0)
            l->head = 0;
        break;
    }
    case FT_POLICY_POISON:
        break;
    }
    return part;
}

/* --- events ---------------------------------------------------------------------------- */

/* The events form a radix heap: keys only grow (what an event schedules
 * comes after it) and are unique (an event is a transfer's out side, which
 * belongs to its source alone), so bucket b holds the keys whose
 * highest bit differing from the last key taken is bit b - 1. Each key
 * moves down a few buckets in all; no sifting. */
static int bucket_of(uint64_t key, uint64_t last)
{
    return key == last ? 0 : 64 - __builtin_clzll(key ^ last);
}

static void heap_push(ft_tracer *tr, event e)
{
    int b = bucket_of(e.key, tr->last);
    if (!FT_ARRAY_GROW(tr->bucket[b], &tr->bucket_cap[b], tr->bucket_n[b] + 1)) {
        oom(tr);
        return;
    }
    tr->bucket[b][tr->bucket_n[b]++] = e;
    tr->nheap++;
}

/* Takes the smallest event; the heap must not be empty. */
static event heap_pop(ft_tracer *tr)
{
    if (tr->bucket_n[0] == 0) {
        int i = 1;
        while (tr->bucket_n[i] == 0)
            i++;
        event *v = tr->bucket[i];
        uint32_t n = tr->bucket_n[i];
        uint64_t min = v[0].key;
        for (uint32_t k = 1; k < n; k++)
            if (v[k].key < min)
                min = v[k].key;
        tr->last = min;
        tr->bucket_n[i] = 0;
        tr->nheap -= n;
        for (uint32_t k = 0; k < n; k++) /* into lower buckets: i is empty now */
            heap_push(tr, v[k]);
    }
    tr->nheap--;
    return tr->bucket[0][--tr->bucket_n[0]];
}

/* The node's next payment within the trace onto the heap; or, when it
 * holds no traced money, the node goes to sleep: its transfers carry
 * nothing until traced money arrives and wakes it. */
static void schedule(ft_tracer *tr, uint32_t idx)
{
    node *n = &tr->nodes[idx];
    if (n->out_pos >= n->out_end)
        return;
    if (idx != 0 && n->holding == 0 && tr->o->policy != FT_POLICY_POISON) {
        n->asleep = true;
        return;
    }
    heap_push(tr, (event){tr->ix->out[n->out_pos].txn, idx});
}

/* First position in list[lo, hi) whose transaction is >= t. */
static uint32_t lower_bound(const entry *list, uint32_t lo, uint32_t hi, uint32_t t)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list[mid].txn < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t degree(const ft_trace_index *ix, uint32_t a)
{
    return (ix->out_off[a + 1] - ix->out_off[a]) + (ix->in_off[a + 1] - ix->in_off[a]);
}

/* Marks the `breadth` largest outgoing transfers of node idx among its
 * out[pos, end) (by amount, then earlier first) as allowed to carry traced
 * money: all of them, or a bit per position. */
static void allow_largest(ft_tracer *tr, uint32_t idx, uint32_t pos, uint32_t end)
{
    const entry *out = tr->ix->out;
    uint32_t n = end - pos, k = tr->o->breadth;
    if (n <= k) {
        tr->nodes[idx].all_allowed = true;
        return;
    }
    if (!FT_ARRAY_GROW(tr->scratch, &tr->cap_scratch, k + 1) ||
        !FT_ARRAY_GROW(tr->allow_set, &tr->cap_allow_set, tr->nallow_set + k)) {
        oom(tr);
        return;
    }
    /* An insertion-sorted top k of positions: k is small, n may be large. */
    uint32_t m = 0;
    for (uint32_t i = pos; i < end; i++) {
        int64_t amt = out[i].amount;
        if (m == k && amt <= out[tr->scratch[k - 1]].amount)
            continue;
        uint32_t j = m < k ? m++ : k - 1;
        while (j > 0 && out[tr->scratch[j - 1]].amount < amt) {
            tr->scratch[j] = tr->scratch[j - 1];
            j--;
        }
        tr->scratch[j] = i;
    }
    for (uint32_t i = 0; i < m; i++) {
        uint32_t p = tr->scratch[i];
        tr->allow_bits[p >> 6] |= 1ULL << (p & 63);
        tr->allow_set[tr->nallow_set++] = p;
    }
    tr->res.cut_count[FT_CUT_BREADTH] += n - m;
}

/* Applies the node's transfers before `txn`, none of them traced, to its
 * balances; the cursor then stands at `txn` (a new node's first arrival,
 * or the arrival that wakes it). */
static void catch_up(ft_tracer *tr, uint32_t idx, uint32_t txn)
{
    const ft_trace_index *ix = tr->ix;
    while (tr->rc == FT_OK) {
        node *n = &tr->nodes[idx];
        uint32_t in = n->in_pos < n->in_end ? ix->in[n->in_pos].txn : UINT32_MAX;
        uint32_t out = n->out_pos < n->out_end ? ix->out[n->out_pos].txn : UINT32_MAX;
        if (in >= txn && out >= txn)
            break;
        bool is_out = out <= in; /* the out side of a self-transfer first */
        const entry *e = is_out ? &ix->out[n->out_pos] : &ix->in[n->in_pos];
        ledger *l = ledger_get(tr, idx, e->cur);
        if (!l)
            break;
        n = &tr->nodes[idx];
        if (is_out) {
            outflow(tr, l, e->amount);
            n->out_pos++;
        } else {
            inflow(tr, l, e->amount, 0);
            n->in_pos++;
        }
    }
}

/* A new node for account a, first reached by transfer `txn` at `hops`. */
static uint32_t new_node(ft_tracer *tr, uint32_t a, int hops, uint32_t txn, bool seed)
{
    const ft_store *s = tr->s;
    const ft_trace_index *ix = tr->ix;
    if (!FT_ARRAY_GROW(tr->nodes, &tr->cap_nodes, tr->nnodes + 1)) {
        oom(tr);
        return UINT32_MAX;
    }
    uint32_t idx = tr->nnodes++;
    node *n = &tr->nodes[idx];
    memset(n, 0, sizeof *n);
    n->account = a;
    n->hops = hops;
    n->first_ms = seed ? tr->seed_ms : s->t.ts_ms[real_txn(ix, txn)];
    n->ledger0 = -1;
    n->last = -1;
    int64_t *slot = map_put(&tr->by_account, a, idx, NULL);
    if (!slot) {
        oom(tr);
        return UINT32_MAX;
    }
    n->hub = tr->o->max_degree && degree(ix, a) > tr->o->max_degree;
    n->followed = seed || (!n->hub && hops < tr->o->max_hops);
    if (n->hub)
        tr->res.hubs++;
    if (!n->followed)
        return idx;
    /* The cursor: the account's transfers inside the trace. */
    n->in_pos = lower_bound(ix->in, ix->in_off[a], ix->in_off[a + 1], tr->start_idx);
    n->in_end = lower_bound(ix->in, n->in_pos, ix->in_off[a + 1], tr->end_idx);
    n->out_pos = lower_bound(ix->out, ix->out_off[a], ix->out_off[a + 1], tr->start_idx);
    n->out_end = lower_bound(ix->out, n->out_pos, ix->out_off[a + 1], tr->end_idx);
    if (!seed)
        catch_up(tr, idx, txn);
    n = &tr->nodes[idx];
    if (tr->o->breadth && tr->rc == FT_OK)
        allow_largest(tr, idx, n->out_pos, n->out_end);
    if (seed)
        schedule(tr, idx);
    else
        tr->nodes[idx].asleep = true; /* until the arrival that made it */
    return idx;
}

/* Notes that traced money reached node d in transfer t. */
static void add_pair(ft_tracer *tr, uint32_t d, uint32_t t)
{
    if (!FT_ARRAY_GROW(tr->pairs, &tr->cap_pairs, tr->npairs + 1)) {
        oom(tr);
        return;
    }
    tr->pairs[tr->npairs++] = (uint64_t)d << 32 | t;
}

/* Traced money `part` arrives at node d in transfer t (in currency cur)
 * and is applied at once, the node's history brought up to t first.
 * Untraced arrivals wait until the node next pays (catch_up), so only
 * payments are events. */
static void arrive(ft_tracer *tr, uint32_t d, uint32_t t, uint16_t cur, int64_t part)
{
    if (!tr->nodes[d].followed) {
        /* A hub or an account at the hop limit: it holds what it gets. */
        ledger *ld = ledger_get(tr, d, cur);
        if (!ld)
            return;
        if (add_to(tr, &ld->a.received, part))
            add_to(tr, &ld->a.held, part);
        tr->res.cut_count[tr->nodes[d].hub ? FT_CUT_HUB : FT_CUT_HOPS]++;
        add_pair(tr, d, t);
        return;
    }
    catch_up(tr, d, t);
    ledger *l = ledger_get(tr, d, cur);
    if (!l)
        return;
    node *n = &tr->nodes[d];
    int64_t amount = tr->ix->in[n->in_pos++].amount; /* the cursor stands at t */
    if (d != 0) {
        inflow(tr, l, amount, part);
        n->holding += part; /* __int128: all currencies */
    } else {
        add_to(tr, &l->a.held, part); /* money back at the seed rests there */
    }
    add_to(tr, &l->a.received, part);
    n->poisoned = true;
    add_pair(tr, d, t);
    if (n->asleep) {
        n->asleep = false;
        schedule(tr, d);
    }
}

/* Traced money `part` leaves node x in transfer e. */
static void carry(ft_tracer *tr, uint32_t x, const entry *e, int64_t part)
{
    const ft_store *s = tr->s;
    uint32_t t = e->txn;
    uint16_t cur = e->cur;
    ledger *lx = ledger_get(tr, x, cur);
    if (!lx)
        return;
    /* lx is valid until a ledger is created: use it before new_node. */
    uint32_t pos = (uint32_t)(e - tr->ix->out);
    bool allowed = !tr->o->breadth || tr->nodes[x].all_allowed ||
                   (tr->allow_bits[pos >> 6] >> (pos & 63) & 1) ||
                   (tr->seed_txn >= 0 && (int64_t)t == tr->seed_txn);
    if (tr->o->min_amount && e->amount < tr->o->min_amount[cur]) {
        add_to(tr, &lx->a.cut, part);
        tr->res.cut_count[FT_CUT_MIN]++;
        return;
    }
    if (!allowed) {
        add_to(tr, &lx->a.cut, part);
        return;
    }
    if (!add_to(tr, &lx->a.sent, part))
        return;
    /* The trail; a transfer is paid, so carried, once. */
    if (!FT_ARRAY_GROW(tr->carried, &tr->cap_carried, tr->ncarried + 1)) {
        oom(tr);
        return;
    }
    tr->carried[tr->ncarried++] = (ft_trace_edge){t, part};
    uint32_t r = real_txn(tr->ix, t);
    uint32_t dst = tr->ix->backward ? s->t.src[r] : s->t.dst[r];
    int64_t *known = map_find(&tr->by_account, dst);
    uint32_t d = known ? (uint32_t)*known : new_node(tr, dst, tr->nodes[x].hops + 1, t, false);
    if (d != UINT32_MAX)
        arrive(tr, d, t, cur, part);
}

/* Node x pays out its next transfer, t. */
static void pay(ft_tracer *tr, uint32_t x, uint32_t t)
{
    catch_up(tr, x, t); /* what it received before, none of it traced */
    node *n = &tr->nodes[x];
    const entry *e = &tr->ix->out[n->out_pos++];
    int64_t part;
    if (x == 0)
        part = tr->seed_txn < 0 || (int64_t)t == tr->seed_txn ? e->amount : 0;
    else if (tr->o->policy == FT_POLICY_POISON)
        part = n->poisoned ? e->amount : 0;
    else {
        ledger *l = ledger_get(tr, x, e->cur);
        if (!l)
            return;
        part = outflow(tr, l, e->amount);
        tr->nodes[x].holding -= part;
    }
    if (part > 0)
        carry(tr, x, e, part);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_edge(const void *a, const void *b)
{
    uint32_t x = ((const ft_trace_edge *)a)->txn, y = ((const ft_trace_edge *)b)->txn;
    return (x > y) - (x < y);
}

/* Collects the result from the nodes and ledgers. */
static void assemble(ft_tracer *tr)
{
    ft_trace_result *r = &tr->res;
    r->nnodes = tr->nnodes;
    void *p = realloc(r->nodes, (size_t)(tr->nnodes + 1) * sizeof *r->nodes);
    if (!p)
        {
            oom(tr);
            return;
        }
    r->nodes = p;
    p = realloc(r->amounts, (size_t)(tr->nledgers + 1) * sizeof *r->amounts);
    if (!p)
        {
            oom(tr);
            return;
        }
    r->amounts = p;
    r->namounts = 0;
    for (uint32_t i = 0; i < tr->npairs; i++) /* to the store's ids */
        tr->pairs[i] = (tr->pairs[i] >> 32) << 32 | real_txn(tr->ix, (uint32_t)tr->pairs[i]);
    if (tr->npairs > 1)
        qsort(tr->pairs, tr->npairs, sizeof *tr->pairs, cmp_u64);
    p = realloc(r->in_txn, (size_t)(tr->npairs + 1) * sizeof *r->in_txn);
    if (!p)
        {
            oom(tr);
            return;
        }
    r->in_txn = p;
    r->nin_txn = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < tr->nnodes; i++) {
        node *n = &tr->nodes[i];
        ft_trace_node *o = &r->nodes[i];
        o->account = n->account;
        o->hops = n->hops;
        o->first_ms = n->first_ms;
        o->hub = n->hub;
        o->amount0 = r->namounts;
        __int128 received = 0, sent = 0;
        for (int32_t l = n->ledger0; l >= 0; l = tr->ledgers[l].next) {
            ledger *lg = &tr->ledgers[l];
            ft_trace_amount a = lg->a;
            if (n->followed && i != 0) {
                if (tr->o->policy == FT_POLICY_HAIRCUT) {
                    a.held = lg->traced;
                } else if (tr->o->policy == FT_POLICY_POISON) {
                    a.held = a.received > a.sent + a.cut ? a.received - a.sent - a.cut : 0;
                } else {
                    a.held = 0;
                    for (uint32_t j = 0; j < lg->n; j++)
                        if (lg->lots[lg->head + j].traced)
                            a.held += lg->lots[lg->head + j].amount;
                }
            }
            received += a.received;
            sent += a.sent;
            if (a.received || a.sent || a.cut || a.held)
                r->amounts[r->namounts++] = a;
        }
        o->namounts = r->namounts - o->amount0;
        o->terminal = i != 0 && received > 0 && sent == 0;
        o->txn0 = r->nin_txn;
        for (; k < tr->npairs && (tr->pairs[k] >> 32) == i; k++)
            if (r->nin_txn == o->txn0 || r->in_txn[r->nin_txn - 1] != (uint32_t)tr->pairs[k])
                r->in_txn[r->nin_txn++] = (uint32_t)tr->pairs[k];
        o->ntxns = r->nin_txn - o->txn0;
    }
    /* The trail: every transfer that carried traced money, in order. */
    r->nedges = 0;
    void *e = realloc(r->edges, (size_t)(tr->ncarried + 1) * sizeof *r->edges);
    if (!e) {
        oom(tr);
        return;
    }
    r->edges = e;
    for (uint32_t i = 0; i < tr->ncarried; i++)
        r->edges[r->nedges++] =
            (ft_trace_edge){real_txn(tr->ix, tr->carried[i].txn), tr->carried[i].traced};
    if (r->nedges > 1)
        qsort(r->edges, r->nedges, sizeof *r->edges, cmp_edge);
}

ft_status ft_trace_run(ft_tracer *tr, const ft_trace_options *o, uint32_t account, int64_t txn,
                       const ft_trace_result **res, ft_error *err)
{
    const ft_store *s = tr->s;
    tr->o = o;
    tr->err = err;
    tr->rc = FT_OK;
    tr->nnodes = tr->nledgers = tr->nheap = tr->npairs = tr->ncarried = 0;
    memset(tr->bucket_n, 0, sizeof tr->bucket_n);
    tr->last = 0;
    map_reset(&tr->by_account);
    for (uint32_t i = 0; i < tr->nallow_set; i++)
        tr->allow_bits[tr->allow_set[i] >> 6] = 0;
    tr->nallow_set = 0;
    ft_trace_result *r = &tr->res;
    memset(r->cut_count, 0, sizeof r->cut_count);
    r->hubs = 0;
    const ft_trace_index *ix = tr->ix;
    bool back = ix->backward;
    r->backward = back;
    if (txn >= 0) {
        if (txn >= s->t.n)
            return ft_error_set(err, FT_EUSAGE, "trace: no transaction number %lld",
                                (long long)txn);
        account = back ? s->t.dst[txn] : s->t.src[txn];
        tr->seed_txn = real_txn(ix, (uint32_t)txn); /* the same mapping both ways */
    } else if (account >= s->accounts.n) {
        return ft_error_set(err, FT_EUSAGE, "trace: no account number %u", account);
    } else {
        tr->seed_txn = -1;
    }
    /* The trace starts at the seed transaction, or at --since (backward:
     * --until), or at the seed's first (backward: last) transfer, and ends
     * at --until (backward: --since) or a window later (earlier). Times
     * run backward as their negations, so that one engine serves both. */
    int64_t start = back ? (o->until_ms == INT64_MAX ? INT64_MIN : -o->until_ms) : o->since_ms;
    int64_t end = back ? (o->since_ms == INT64_MIN ? INT64_MAX : -o->since_ms) : o->until_ms;
    if (txn >= 0) {
        int64_t at = back ? -s->t.ts_ms[txn] : s->t.ts_ms[txn];
        if (start < at)
            start = at;
    }
    if (start == INT64_MIN) {
        uint32_t first = UINT32_MAX; /* in trace order */
        if (ix->out_off[account] < ix->out_off[account + 1])
            first = ix->out[ix->out_off[account]].txn;
        if (ix->in_off[account] < ix->in_off[account + 1] &&
            ix->in[ix->in_off[account]].txn < first)
            first = ix->in[ix->in_off[account]].txn;
        start = 0;
        if (first != UINT32_MAX) {
            int64_t ms = s->t.ts_ms[real_txn(ix, first)];
            start = back ? -ms : ms;
        }
    }
    if (o->window_ms > 0 && start <= INT64_MAX - o->window_ms && start + o->window_ms < end)
        end = start + o->window_ms;
    tr->seed_ms = back ? -start : start;
    r->start_ms = back ? (end == INT64_MAX ? INT64_MIN : -end) : start;
    r->end_ms = back ? -start : end;

    /* Transactions [start_idx, end_idx) in trace order are in the trace. */
    if (txn >= 0)
        tr->start_idx = (uint32_t)tr->seed_txn;
    else
        tr->start_idx =
            back ? ix->n - ft_store_first_at(s, -start, true) : ft_store_first_at(s, start, false);
    if (end == INT64_MAX)
        tr->end_idx = ix->n;
    else
        tr->end_idx =
            back ? ix->n - ft_store_first_at(s, -end, false) : ft_store_first_at(s, end, true);
    new_node(tr, account, 0, tr->start_idx, true);
    while (tr->rc == FT_OK && tr->nheap) {
        event e = heap_pop(tr);
        pay(tr, e.node, (uint32_t)e.key);
        schedule(tr, e.node);
    }
    if (tr->rc == FT_OK)
        assemble(tr);
    *res = r;
    return tr->rc;
}
