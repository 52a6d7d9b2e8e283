/*
 * trace.c - the trace, forward or backward (semantics in trace.h).
 *
 * Event-driven in trace order: the store's flow order (time, and within
 * one timestamp credits before debits, then the tie order: store.h), or
 * its mirror backward. The trace index holds every account's transfers in
 * that order with their amounts, currencies and the account's balance
 * just before each: an account's balance is the same in every trace (all
 * its transfers move it, traced or not, from its first in the data), so
 * it is counted once, when the index is built, and a trace need not
 * replay an account's history to know it. Each account that passes traced
 * money on has a cursor into its two lists; the only events are payments
 * of accounts holding traced money they may pass on, taken in order from a
 * radix heap. Traced money is applied to its payee at once. An account
 * holding no such money sleeps: nothing it pays can carry any.
 *
 * What a trace keeps per account and currency is only what the balance
 * does not say: haircut, the traced money per hop count; fifo and lifo,
 * the lots in order while some of them are traced (the untraced arrivals
 * between its payments are caught up before each). A ledger with no
 * traced money left is stale and starts again, when traced money next
 * arrives, from the balance at that moment: one untraced lot.
 *
 * Traced money carries the number of hops it has travelled: haircut keeps
 * an account's traced balance per hop count, fifo and lifo a hop count on
 * each lot. Money that arrives with max_hops hops is held where it
 * arrives: the account keeps it in its balance as money of no traced
 * origin, and counts it as held. So an account reached at several hop
 * counts passes on what came by the shorter routes.
 *
 * Poison needs no balances: an account passes on everything it pays from
 * the time traced money first reaches it within fewer than max_hops hops,
 * with its fewest hops so far. Money that arrives at a time may leave at
 * that time; the flow order puts credits first, but when transfers at one
 * time form a circle, an account can be reached (or reached in fewer hops)
 * after it has made a payment at that same time. Such payments are made
 * again at once (a correction within the timestamp), so that poison is
 * exactly time-respecting reachability.
 *
 * The map from accounts to nodes is an open-addressing table stamped with
 * a generation, so a new trace starts without clearing it.
 */
#include "fundtrace/trace.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/pool.h"
#include "fundtrace/trace_periods.h"

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
static int64_t *map_put(map *m, uint32_t key, int64_t init)
{
    if ((m->n + 1) * 2 > m->cap && !map_grow(m))
        return NULL;
    uint32_t j = hash32(key) & (m->cap - 1);
    for (;; j = (j + 1) & (m->cap - 1)) {
        if (m->s[j].gen != m->gen)
            break;
        if (m->s[j].key == key)
            return &m->s[j].value;
    }
    m->s[j] = (slot){key, m->gen, init};
    m->n++;
    return &m->s[j].value;
}

/* --- per-account state --------------------------------------------------------------- */

/* Money of one hop count: a lot (fifo, lifo) or a traced balance
 * (haircut). hops 0: untraced. */
typedef struct lot {
    int64_t amount;
    int32_t hops;
} lot;

/* An account's holdings in one currency, and what it traced in it. */
typedef struct ledger {
    ft_trace_amount a; /* a.held: only what arrived at the hop limit, until the end */
    int64_t traced;    /* traced money it may pass on: the lots with hops */
    lot *lots;         /* lots[head .. head + n): haircut, the traced balance per hop
                          count, fewest first; fifo, lifo, the lots oldest first
                          (stale while traced is 0) */
    uint32_t head, n, cap;
    int32_t next; /* the node's next ledger, -1 at the end */
} ledger;

typedef struct node {
    uint32_t account;
    int hops; /* the fewest hops traced money reached it with */
    int64_t first_ms;
    bool seed;
    bool followed;    /* passes traced money on: has had some with fewer than max_hops hops */
    bool hub;         /* more transfers than max_degree: holds what it gets */
    /* The breadth limit: money of fewer than all_below hops passes on by
     * any payment (0: none), and wmin is the fewest hops of the money it
     * may pass on so far (INT_MAX: none yet); see breadth_cap. */
    int all_below, wmin;
    bool asleep;      /* holds no traced money it may pass on: its transfers are skipped */
    __int128 holding; /* traced money it may pass on, all currencies */
    int32_t ledger0;  /* first ledger, -1 none */
    int32_t last;     /* the ledger used last, -1 none: most accounts use one currency */
    uint32_t in_pos, in_end, out_pos, out_end; /* cursor into the lists */
} node;

typedef struct event {
    uint64_t key; /* the position of the payment */
    uint32_t node;
} event;

/* A transfer in an account's list, with what the engine reads of it, so
 * that walking an account's history streams through memory. */
typedef struct entry {
    int64_t amount;
    int64_t before; /* the account's balance in cur just before it (UNCOUNTABLE: past 2^63) */
    uint32_t pos;   /* in trace order */
    uint16_t cur;
} entry;

#define UNCOUNTABLE INT64_MIN

struct ft_trace_index {
    const ft_store *s;
    bool backward;
    uint32_t n;
    uint32_t *order;                  /* trace order: position -> transaction */
    const uint32_t *out_off, *in_off; /* the store's (swapped backward) */
    entry *out, *in;
    uint32_t *payee; /* by position in out: the account paid */
    uint32_t pos_base; /* streaming through periods: the global position of position 0 */
    uint32_t txn_base; /* and the whole data's row of the store's row 0 */
};

/* Poison's corrections within a timestamp: node's payments out[from, to)
 * to be made now (fresh) or made again with fewer hops. */
typedef struct redo {
    uint32_t node, from, to;
    bool fresh;
} redo;

/* Traced money from another party: the transfer at a position, its parts
 * (by hops) in inj_parts[part0 .. part0 + nparts). */
typedef struct injection {
    uint32_t pos, part0, nparts;
} injection;

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
    map allow_cap;        /* out position -> hops below which a later choice allows it */
    uint32_t nallow_set, cap_allow_set;
    uint64_t *carried_bits; /* poison: a bit per trace position that carried it */
    uint64_t *pairs;        /* (node << 32 | position) of traced arrivals */
    uint32_t npairs, cap_pairs;
    ft_trace_edge *carried; /* transfers that carried traced money (positions) */
    uint32_t ncarried, cap_carried;
    lot *take; /* the traced parts of one payment */
    uint32_t ntake, cap_take;
    redo *redo;
    uint32_t nredo, cap_redo;
    uint32_t start_idx, end_idx; /* positions [start, end) are in the trace */
    uint32_t now;                /* the position of the payment being made */
    int64_t seed_pos;            /* the seed transaction's position, -1 none */
    int64_t seed_ms;             /* when the seed starts paying out (backward: receiving) */
    ft_trace_result res;
    uint32_t *scratch; /* breadth selection: candidates, and their amounts */
    int64_t *scratch_amt;
    uint32_t cap_scratch, cap_scratch_amt;
    ft_error *err;
    ft_status rc;
    /* Streaming through periods (trace_periods.h): the whole data's
     * figures, the global positions the breadth limit allows, and where
     * this period's trail and arrivals start. */
    const ft_trace_stream *st;
    map allowed_g;
    bool stream_started;
    int64_t stream_seed_row; /* the seed transaction's whole-data row, -1 none */
    uint32_t pairs0, carried0;
    ft_trace_options stream_o;
    /* A party's border (ft_tracer_set_border): the accounts it holds,
     * the traced money that arrives from other parties (grouped by
     * transfer: inj, its parts in inj_parts) and what leaves for them. */
    const uint8_t *local;
    const ft_trace_crossing *in;
    size_t nin;
    injection *inj;
    uint32_t ninj, cap_inj;
    lot *inj_parts;
    uint32_t ninj_parts, cap_inj_parts;
    ft_trace_crossing *cross;
    uint32_t ncross, cap_cross;
    map cross_at; /* poison: the crossing of a position */
};

/* An event's node with this bit: traced money from another party. */
#define INJECTION 0x80000000u

static void oom(ft_tracer *tr)
{
    if (tr->rc == FT_OK)
        tr->rc = ft_error_oom(tr->err);
}

/* An account's balance in one currency. */
typedef struct held {
    uint16_t cur;
    int64_t bal;
} held;

/* Writes back account a's balances h[0 .. nh) into the carry: updated
 * where the currency has an entry, appended where new. */
static bool carry_keep(ft_trace_carry *c, uint32_t a, const held *h, uint32_t nh)
{
    for (uint32_t k = 0; k < nh; k++) {
        uint32_t e = c->head[a], last = UINT32_MAX;
        while (e != UINT32_MAX && c->v[e].cur != h[k].cur) {
            last = e;
            e = c->v[e].next;
        }
        if (e == UINT32_MAX) {
            if (!FT_ARRAY_GROW(c->v, &c->cap, c->n + 1))
                return false;
            e = c->n++;
            c->v[e] = (ft_trace_carry_entry){0, UINT32_MAX, h[k].cur};
            if (last == UINT32_MAX)
                c->head[a] = e;
            else
                c->v[last].next = e;
        }
        c->v[e].bal = h[k].bal;
    }
    return true;
}

/* Every account's balance in each currency just before each of its
 * transfers: everything it received less everything it paid, from its
 * first transfer (in trace order); a payment beyond the balance empties
 * it (the rest is of unknown origin). One sweep per account, its two
 * lists merged; most accounts use one currency. */
static bool balances(ft_trace_index *ix, ft_trace_carry *carry, uint32_t a0, uint32_t a1)
{
    held *h = NULL;
    uint32_t cap = 0;
    for (uint32_t a = a0; a < a1; a++) {
        uint32_t i = ix->in_off[a], o = ix->out_off[a], nh = 0;
        for (uint32_t c = carry ? carry->head[a] : UINT32_MAX; c != UINT32_MAX;
             c = carry->v[c].next) {
            if (!FT_ARRAY_GROW(h, &cap, nh + 1)) {
                free(h);
                return false;
            }
            h[nh++] = (held){carry->v[c].cur, carry->v[c].bal};
        }
        while (i < ix->in_off[a + 1] || o < ix->out_off[a + 1]) {
            uint32_t pi = i < ix->in_off[a + 1] ? ix->in[i].pos : UINT32_MAX;
            uint32_t po = o < ix->out_off[a + 1] ? ix->out[o].pos : UINT32_MAX;
            bool is_out = po <= pi; /* the out side of a self-transfer first */
            entry *e = is_out ? &ix->out[o++] : &ix->in[i++];
            uint32_t k = 0;
            while (k < nh && h[k].cur != e->cur)
                k++;
            if (k == nh) {
                if (!FT_ARRAY_GROW(h, &cap, nh + 1)) {
                    free(h);
                    return false;
                }
                h[nh++] = (held){e->cur, 0};
            }
            int64_t *bal = &h[k].bal;
            e->before = *bal;
            if (*bal == UNCOUNTABLE)
                continue;
            if (is_out)
                *bal = *bal >= e->amount ? *bal - e->amount : 0;
            else if (__builtin_add_overflow(*bal, e->amount, bal))
                *bal = UNCOUNTABLE;
        }
        if (carry && !carry_keep(carry, a, h, nh)) {
            free(h);
            return false;
        }
    }
    free(h);
    return true;
}

/* Building the index in two parts that run side by side: the lists of
 * payments out (and whom they pay) and of payments in, then the balances
 * of two ranges of accounts. */
typedef struct index_job {
    ft_trace_index *ix;
    bool out;
    uint32_t *at;   /* the list's write cursors: its offsets to start */
    uint32_t a0, a1; /* balances: these accounts */
    bool ok;
} index_job;

/* Fills one list in trace order, which keeps each account's part in it. */
static void fill_job(void *arg)
{
    index_job *j = arg;
    ft_trace_index *ix = j->ix;
    const ft_store *s = ix->s;
    const uint32_t *payer = ix->backward ? s->t.dst : s->t.src;
    const uint32_t *payee = ix->backward ? s->t.src : s->t.dst;
    const uint32_t *who = j->out ? payer : payee;
    entry *list = j->out ? ix->out : ix->in;
    for (uint32_t p = 0; p < ix->n; p++) {
        if (p + 16 < ix->n) {
            /* Each payment's place is a random one: fetched ahead. */
            uint32_t ahead = j->at[who[ix->order[p + 16]]];
            __builtin_prefetch(&list[ahead], 1);
            if (j->out)
                __builtin_prefetch(&ix->payee[ahead], 1);
        }
        uint32_t t = ix->order[p], at = j->at[who[t]]++;
        list[at] = (entry){s->t.amount[t], 0, p, s->t.cur[t]};
        if (j->out)
            ix->payee[at] = payee[t];
    }
}

static void balances_job(void *arg)
{
    index_job *j = arg;
    j->ok = balances(j->ix, NULL, j->a0, j->a1);
}

/* Rows from which the index is built on two threads. */
#define INDEX_THREAD_ROWS (1 << 16)

ft_status ft_trace_index_new(ft_trace_index **ixp, const ft_store *s, bool backward,
                             ft_error *err)
{
    return ft_trace_index_new_carry(ixp, s, backward, NULL, 0, 0, err);
}

ft_status ft_trace_index_new_carry(ft_trace_index **ixp, const ft_store *s, bool backward,
                                   ft_trace_carry *carry, uint32_t pos_base, uint32_t txn_base,
                                   ft_error *err)
{
    const ft_adjacency *adj = &s->adj;
    if (!adj->out_off)
        return ft_error_set(err, FT_EUSAGE, "trace: build the store's adjacency first");
    ft_trace_index *ix = calloc(1, sizeof *ix);
    size_t n = (size_t)s->t.n, na = s->accounts.n;
    uint32_t *at_out = NULL, *at_in = NULL;
    if (!ix || !(ix->out = malloc((n + 1) * sizeof *ix->out)) ||
        !(ix->in = malloc((n + 1) * sizeof *ix->in)) ||
        !(ix->order = malloc((n + 1) * sizeof *ix->order)) ||
        !(ix->payee = malloc((n + 1) * sizeof *ix->payee)) ||
        !(at_out = malloc((na + 1) * sizeof *at_out)) ||
        !(at_in = malloc((na + 1) * sizeof *at_in))) {
        free(at_out);
        ft_trace_index_free(ix);
        return ft_error_oom(err);
    }
    ix->s = s;
    ix->backward = backward;
    ix->n = (uint32_t)n;
    ix->pos_base = pos_base;
    ix->txn_base = txn_base;
    if (ft_store_flow_order(s, backward, ix->order, err) != FT_OK) {
        free(at_out);
        free(at_in);
        ft_trace_index_free(ix);
        return FT_ENOMEM;
    }
    /* Backward, money goes the other way: an account's outgoing list is
     * the store's incoming list. Filling in trace order keeps each list in
     * it. */
    ix->out_off = backward ? adj->in_off : adj->out_off;
    ix->in_off = backward ? adj->out_off : adj->in_off;
    memcpy(at_out, ix->out_off, na * sizeof *at_out);
    memcpy(at_in, ix->in_off, na * sizeof *at_in);
    bool two = n >= INDEX_THREAD_ROWS;
    index_job job[2] = {{.ix = ix, .out = true, .at = at_out}, {.ix = ix, .out = false, .at = at_in}};
    if (two) {
        ft_run_jobs(fill_job, job, sizeof job[0], 2);
    } else {
        fill_job(&job[0]);
        fill_job(&job[1]);
    }
    free(at_out);
    free(at_in);
    bool ok;
    if (two && !carry) {
        /* Two ranges of accounts with about as many payments each. */
        uint32_t mid = 0;
        while (mid < na && (uint64_t)ix->out_off[mid] + ix->in_off[mid] < n)
            mid++;
        job[0].a0 = 0, job[0].a1 = mid;
        job[1].a0 = mid, job[1].a1 = (uint32_t)na;
        ft_run_jobs(balances_job, job, sizeof job[0], 2);
        ok = job[0].ok && job[1].ok;
    } else {
        ok = balances(ix, carry, 0, (uint32_t)na);
    }
    if (!ok) {
        ft_trace_index_free(ix);
        return ft_error_oom(err);
    }
    *ixp = ix;
    return FT_OK;
}

void ft_trace_index_free(ft_trace_index *ix)
{
    if (!ix)
        return;
    free(ix->out);
    free(ix->in);
    free(ix->order);
    free(ix->payee);
    free(ix);
}

/* The store's transaction at a position in trace order. */
static uint32_t real_txn(const ft_trace_index *ix, uint32_t pos)
{
    return ix->order[pos];
}

static int64_t pos_ms(const ft_trace_index *ix, uint32_t pos)
{
    return ix->s->t.ts_ms[ix->order[pos]];
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
    (*tr)->carried_bits = calloc((size_t)s->t.n / 64 + 1, sizeof *(*tr)->carried_bits);
    if (!(*tr)->allow_bits || !(*tr)->carried_bits) {
        ft_tracer_free(*tr);
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
    free(tr->carried_bits);
    free(tr->pairs);
    free(tr->carried);
    free(tr->take);
    free(tr->redo);
    free(tr->scratch);
    free(tr->scratch_amt);
    free(tr->res.nodes);
    free(tr->res.amounts);
    free(tr->res.in_txn);
    free(tr->res.edges);
    free(tr->allowed_g.s);
    free(tr->allow_cap.s);
    free(tr->inj);
    free(tr->inj_parts);
    free(tr->cross);
    free(tr->cross_at.s);
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
static bool too_large(ft_tracer *tr)
{
    if (tr->rc == FT_OK)
        tr->rc = ft_error_set(tr->err, FT_ELIMIT,
                              "trace: the amounts add up past 2^63 minor units, more than can "
                              "be counted exactly");
    return false;
}

static bool add_to(ft_tracer *tr, int64_t *x, int64_t v)
{
    return !__builtin_add_overflow(*x, v, x) || too_large(tr);
}

/* Room for one more lot at the end of l. */
static bool lot_room(ft_tracer *tr, ledger *l)
{
    if (l->head + l->n < l->cap)
        return true;
    if (l->head > l->cap / 2) { /* slide down rather than grow */
        memmove(l->lots, l->lots + l->head, (size_t)l->n * sizeof *l->lots);
        l->head = 0;
        return true;
    }
    if (!FT_ARRAY_GROW(l->lots, &l->cap, l->cap + 1)) {
        oom(tr);
        return false;
    }
    return true;
}

/* fifo, lifo: a lot at the end, merged with the newest when of the same
 * hop count. */
static bool push_lot(ft_tracer *tr, ledger *l, int64_t amount, int32_t hops)
{
    if (amount <= 0)
        return true;
    if (l->n && l->lots[l->head + l->n - 1].hops == hops)
        return add_to(tr, &l->lots[l->head + l->n - 1].amount, amount);
    if (!lot_room(tr, l))
        return false;
    l->lots[l->head + l->n++] = (lot){amount, hops};
    return true;
}

/* haircut: adds to the traced balance of `hops` hops (kept in hop order). */
static bool add_traced(ft_tracer *tr, ledger *l, int64_t amount, int32_t hops)
{
    lot *v = l->lots + l->head;
    uint32_t i = 0;
    while (i < l->n && v[i].hops < hops)
        i++;
    if (i < l->n && v[i].hops == hops)
        return add_to(tr, &v[i].amount, amount);
    if (!lot_room(tr, l))
        return false;
    v = l->lots + l->head;
    memmove(v + i + 1, v + i, (size_t)(l->n - i) * sizeof *v);
    v[i] = (lot){amount, hops};
    l->n++;
    return true;
}

/* The balance an entry's account had before it, or the trace fails. */
static bool balance_of(ft_tracer *tr, const entry *e, int64_t *bal)
{
    *bal = e->before;
    return e->before != UNCOUNTABLE || too_large(tr);
}

/* fifo, lifo: a stale ledger (no traced money) starts again as one
 * untraced lot, the balance before entry e. */
static bool refresh(ft_tracer *tr, ledger *l, const entry *e)
{
    if (l->traced || tr->o->policy == FT_POLICY_HAIRCUT)
        return true;
    int64_t bal;
    if (!balance_of(tr, e, &bal))
        return false;
    l->head = l->n = 0;
    return push_lot(tr, l, bal, 0);
}

/* Transfer e arrives, with its traced parts parts[0 .. np) (each with the
 * hops it has travelled to here, fewer than max_hops; the rest of the
 * amount is untraced). */
static void inflow(ft_tracer *tr, ledger *l, const entry *e, const lot *parts, uint32_t np)
{
    if (!refresh(tr, l, e))
        return;
    int64_t rest = e->amount;
    for (uint32_t i = 0; i < np; i++) {
        bool ok = tr->o->policy == FT_POLICY_HAIRCUT
                      ? add_traced(tr, l, parts[i].amount, parts[i].hops)
                      : push_lot(tr, l, parts[i].amount, parts[i].hops); /* traced first */
        if (!ok || !add_to(tr, &l->traced, parts[i].amount))
            return;
        rest -= parts[i].amount;
    }
    if (tr->o->policy != FT_POLICY_HAIRCUT)
        push_lot(tr, l, rest, 0);
}

/* Notes a traced part taken by a payment in tr->take (merged by hops). */
static void take_part(ft_tracer *tr, int64_t amount, int32_t hops)
{
    if (amount <= 0)
        return;
    for (uint32_t i = 0; i < tr->ntake; i++)
        if (tr->take[i].hops == hops) {
            tr->take[i].amount += amount; /* parts of one balance: no overflow */
            return;
        }
    if (!FT_ARRAY_GROW(tr->take, &tr->cap_take, tr->ntake + 1)) {
        oom(tr);
        return;
    }
    tr->take[tr->ntake++] = (lot){amount, hops};
}

static int cmp_hops(const void *a, const void *b)
{
    return ((const lot *)a)->hops - ((const lot *)b)->hops;
}

/* Pays out transfer e from the ledger; its traced parts go to tr->take
 * (by hops, fewest first); returns their sum. */
static int64_t outflow(ft_tracer *tr, ledger *l, const entry *e)
{
    int64_t sum = 0, amount = e->amount;
    tr->ntake = 0;
    if (!l->traced)
        return 0; /* stale: nothing traced to take, nothing to keep in order */
    if (tr->o->policy == FT_POLICY_HAIRCUT) {
        /* The traced share of the balance, rounded down, as one sum (so
         * that what stays traced never passes the balance), split over
         * the hop counts by rounding down the share of each count and
         * those below it together (the part of k hops is the rounded
         * share of the money of at most k hops less that of fewer than
         * k): a part depends on no money of more hops than its own, so
         * money that arrives later with more hops leaves the parts of
         * fewer hops as they are. Past the known balance, all the traced
         * money goes and the rest is of unknown origin. */
        int64_t bal;
        if (!balance_of(tr, e, &bal))
            return 0;
        bool all = !(bal >= amount && bal > 0);
        lot *v = l->lots + l->head;
        int64_t below = 0, taken = 0; /* the money of fewer hops, its rounded share */
        for (uint32_t i = 0; i < l->n; i++) {
            below += v[i].amount; /* at most l->traced: no overflow */
            int64_t upto = all ? below : (int64_t)((__int128)below * amount / bal);
            int64_t part = upto - taken;
            taken = upto;
            v[i].amount -= part;
            take_part(tr, part, v[i].hops);
        }
        uint32_t k = 0;
        for (uint32_t i = 0; i < l->n; i++)
            if (v[i].amount)
                v[k++] = v[i];
        l->n = k;
        sum = taken;
    } else {
        bool fifo = tr->o->policy == FT_POLICY_FIFO;
        int64_t left = amount;
        while (left > 0 && l->n) {
            lot *x = fifo ? &l->lots[l->head] : &l->lots[l->head + l->n - 1];
            int64_t take = x->amount < left ? x->amount : left;
            if (x->hops) {
                take_part(tr, take, x->hops);
                sum += take;
            }
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
        if (tr->ntake > 1)
            qsort(tr->take, tr->ntake, sizeof *tr->take, cmp_hops);
    }
    l->traced -= sum;
    return sum;
}

/* --- events ---------------------------------------------------------------------------- */

/* The events form a radix heap: keys only grow (what an event schedules
 * comes after it) and are unique (an event is a transfer's out side, which
 * belongs to its payer alone), so bucket b holds the keys whose highest
 * bit differing from the last key taken is bit b - 1. Each key moves down
 * a few buckets in all; no sifting. */
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

/* Takes the smallest event into *e; the heap must not be empty. False
 * (tr->rc set) out of memory: the events of the bucket that is emptied go
 * to lower ones, whose room is made first, so that none is lost. */
static bool heap_pop(ft_tracer *tr, event *e)
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
        uint32_t need[65] = {0};
        for (uint32_t k = 0; k < n; k++)
            need[bucket_of(v[k].key, min)]++;
        for (int b = 0; b < i; b++) {
            if (need[b] &&
                !FT_ARRAY_GROW(tr->bucket[b], &tr->bucket_cap[b], tr->bucket_n[b] + need[b])) {
                oom(tr);
                return false;
            }
        }
        tr->last = min;
        tr->bucket_n[i] = 0;
        for (uint32_t k = 0; k < n; k++) { /* into lower buckets: i is empty now */
            int b = bucket_of(v[k].key, min);
            tr->bucket[b][tr->bucket_n[b]++] = v[k];
        }
    }
    tr->nheap--;
    *e = tr->bucket[0][--tr->bucket_n[0]];
    return true;
}

/* The node's next payment within the trace onto the heap; or, when it
 * holds nothing it may pass on, the node goes to sleep: its transfers
 * carry nothing until such money arrives and wakes it. */
static void schedule(ft_tracer *tr, uint32_t idx)
{
    node *n = &tr->nodes[idx];
    if (n->out_pos >= n->out_end)
        return;
    if (!n->seed && n->holding == 0 && tr->o->policy != FT_POLICY_POISON) {
        n->asleep = true;
        return;
    }
    heap_push(tr, (event){tr->ix->out[n->out_pos].pos, idx});
}

/* First position in list[lo, hi) whose trace position is >= p. */
static uint32_t lower_bound(const entry *list, uint32_t lo, uint32_t hi, uint32_t p)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list[mid].pos < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first of list[lo, i) at the time of position p, or i: the entries
 * before position p that share its time. */
static uint32_t same_time_from(const ft_trace_index *ix, const entry *list, uint32_t lo, uint32_t i,
                               uint32_t p)
{
    int64_t ms = pos_ms(ix, p);
    while (i > lo && pos_ms(ix, list[i - 1].pos) == ms)
        i--;
    return i;
}

static uint32_t degree(const ft_tracer *tr, uint32_t a)
{
    const ft_trace_index *ix = tr->ix;
    if (tr->st)
        return tr->st->degree[a];
    return (ix->out_off[a + 1] - ix->out_off[a]) + (ix->in_off[a + 1] - ix->in_off[a]);
}

/* Room for a top k in tr->scratch and tr->scratch_amt. */
static bool top_room(ft_tracer *tr, uint32_t k)
{
    if (!FT_ARRAY_GROW(tr->scratch, &tr->cap_scratch, k + 1) ||
        !FT_ARRAY_GROW(tr->scratch_amt, &tr->cap_scratch_amt, k + 1)) {
        oom(tr);
        return false;
    }
    return true;
}

/* Candidate i of amount amt into the top k kept in tr->scratch[0 .. *m)
 * (their amounts beside them), largest first, of equal amounts the
 * earlier: an insertion sort, as k is small and the candidates may be
 * many. */
static void top_add(ft_tracer *tr, uint32_t *m, uint32_t k, uint32_t i, int64_t amt)
{
    uint32_t *idx = tr->scratch;
    int64_t *by = tr->scratch_amt;
    if (*m == k && amt <= by[k - 1])
        return;
    uint32_t j = *m < k ? (*m)++ : k - 1;
    while (j > 0 && by[j - 1] < amt) {
        idx[j] = idx[j - 1];
        by[j] = by[j - 1];
        j--;
    }
    idx[j] = i;
    by[j] = amt;
}

/* Marks the `breadth` largest outgoing transfers of node idx among its
 * out[pos, end) (by amount, then earlier first) as allowed to carry traced
 * money of fewer than `cap` hops: all of them, or a bit per position (the
 * first choice, cap INT_MAX) or the cap by position (a later one, which
 * leaves the cap of an earlier choice: a larger one). The payments cut
 * count at the first choice. */
static void allow_largest(ft_tracer *tr, uint32_t idx, uint32_t pos, uint32_t end, int cap)
{
    const entry *out = tr->ix->out;
    uint32_t n = end - pos, k = tr->o->breadth;
    if (n <= k) {
        tr->nodes[idx].all_below = cap;
        return;
    }
    if (!top_room(tr, k) || !FT_ARRAY_GROW(tr->allow_set, &tr->cap_allow_set, tr->nallow_set + k)) {
        oom(tr);
        return;
    }
    uint32_t m = 0;
    for (uint32_t i = pos; i < end; i++)
        top_add(tr, &m, k, i, out[i].amount);
    for (uint32_t i = 0; i < m; i++) {
        uint32_t p = tr->scratch[i];
        if (cap == INT_MAX) {
            tr->allow_bits[p >> 6] |= 1ULL << (p & 63);
            tr->allow_set[tr->nallow_set++] = p;
        } else if (!(tr->allow_bits[p >> 6] >> (p & 63) & 1) && !map_put(&tr->allow_cap, p, cap)) {
            oom(tr);
            return;
        }
    }
    if (cap == INT_MAX)
        tr->res.cut_count[FT_CUT_BREADTH] += n - m;
}

/* allow_largest when streaming: the account's payments from global
 * position gfrom on, within the trace's time bounds, come from the first
 * pass (later periods included); the allowed ones are kept by global
 * position. */
static void stream_allow(ft_tracer *tr, uint32_t idx, uint32_t gfrom, int cap)
{
    const ft_trace_stream *st = tr->st;
    uint32_t a = tr->nodes[idx].account, k = tr->o->breadth;
    int64_t lo_ms = tr->res.start_ms, hi_ms = tr->res.end_ms;
    const ft_trace_heavy *v = st->heavy;
    uint32_t lo = st->heavy_off[a], hi = st->heavy_off[a + 1], n = 0;
    while (lo < hi && v[lo].gpos < gfrom)
        lo++;
    for (uint32_t i = lo; i < hi; i++)
        n += v[i].ms >= lo_ms && v[i].ms <= hi_ms;
    if (n <= k) {
        tr->nodes[idx].all_below = cap;
        return;
    }
    if (!top_room(tr, k))
        return;
    uint32_t m = 0;
    for (uint32_t i = lo; i < hi; i++)
        if (v[i].ms >= lo_ms && v[i].ms <= hi_ms)
            top_add(tr, &m, k, i, v[i].amount);
    for (uint32_t i = 0; i < m; i++)
        if (!map_put(&tr->allowed_g, v[tr->scratch[i]].gpos, cap)) {
            oom(tr);
            return;
        }
    if (cap == INT_MAX)
        tr->res.cut_count[FT_CUT_BREADTH] += n - m;
}

/* Brings node idx's cursors up to position p. What it received before p
 * carried nothing traced, and it paid nothing while it held traced money
 * (each such payment is an event), so only fifo and lifo, while they hold
 * traced money, need the untraced arrivals: they keep the order of the
 * lots. Haircut needs nothing: the balance comes with each payment. */
static void catch_up(ft_tracer *tr, uint32_t idx, uint32_t p)
{
    const ft_trace_index *ix = tr->ix;
    node *n = &tr->nodes[idx];
    if (n->holding == 0 || tr->o->policy == FT_POLICY_HAIRCUT) {
        n->in_pos = lower_bound(ix->in, n->in_pos, n->in_end, p);
        n->out_pos = lower_bound(ix->out, n->out_pos, n->out_end, p);
        return;
    }
    for (; n->in_pos < n->in_end && ix->in[n->in_pos].pos < p && tr->rc == FT_OK; n->in_pos++) {
        const entry *e = &ix->in[n->in_pos];
        ledger *l = ledger_get(tr, idx, e->cur);
        n = &tr->nodes[idx];
        if (l && l->traced) /* a stale ledger starts again when traced money comes */
            push_lot(tr, l, e->amount, 0);
    }
    n->out_pos = lower_bound(ix->out, n->out_pos, n->out_end, p);
}

/* A new node for account a, reached at `hops` by the transfer at
 * position p (the seed: at the start). It passes nothing on until money
 * it may pass on arrives (follow). */
static uint32_t new_node(ft_tracer *tr, uint32_t a, int hops, uint32_t p, bool seed)
{
    if (!FT_ARRAY_GROW(tr->nodes, &tr->cap_nodes, tr->nnodes + 1)) {
        oom(tr);
        return UINT32_MAX;
    }
    uint32_t idx = tr->nnodes++;
    node *n = &tr->nodes[idx];
    memset(n, 0, sizeof *n);
    n->account = a;
    n->hops = hops;
    n->seed = seed;
    n->wmin = INT_MAX;
    n->first_ms = seed ? tr->seed_ms : pos_ms(tr->ix, p);
    n->ledger0 = -1;
    n->last = -1;
    if (!map_put(&tr->by_account, a, idx)) {
        oom(tr);
        return UINT32_MAX;
    }
    n->hub = tr->o->max_degree && degree(tr, a) > tr->o->max_degree;
    if (n->hub)
        tr->res.hubs++;
    return idx;
}

/* The breadth limit chooses node idx's payments from the time of
 * position p on for money of fewer than `cap` hops (the first choice: cap
 * INT_MAX); returns the first of those payments' places in its list. */
static uint32_t choose(ft_tracer *tr, uint32_t idx, uint32_t p, int cap)
{
    const ft_trace_index *ix = tr->ix;
    uint32_t a = tr->nodes[idx].account;
    uint32_t from = lower_bound(ix->out, ix->out_off[a], tr->nodes[idx].out_end, p);
    from = same_time_from(ix, ix->out, ix->out_off[a], from, p);
    if (tr->o->breadth && tr->st)
        stream_allow(tr, idx,
                     ix->pos_base + (from < ix->out_off[a + 1] ? ix->out[from].pos : ix->n), cap);
    else if (tr->o->breadth)
        allow_largest(tr, idx, from, tr->nodes[idx].out_end, cap);
    return from;
}

static void choose_again(ft_tracer *tr, uint32_t idx, uint32_t p, int hops)
{
    node *n = &tr->nodes[idx];
    int cap = n->wmin;
    if (hops >= cap)
        return;
    n->wmin = hops;
    if (tr->o->breadth && !n->all_below)
        choose(tr, idx, p, cap);
}

/* Node idx starts passing traced money on: money it may pass on, of
 * `hops` hops at the fewest, arrived at position p. Its payments from the
 * time of p on are the ones the breadth limit chooses from. (Its balances
 * need no history: the index has them.) */
static void follow(ft_tracer *tr, uint32_t idx, uint32_t p, int hops)
{
    const ft_trace_index *ix = tr->ix;
    node *n = &tr->nodes[idx];
    uint32_t a = n->account;
    n->followed = true;
    n->wmin = hops;
    n->in_pos = ix->in_off[a];
    n->in_end = lower_bound(ix->in, n->in_pos, ix->in_off[a + 1], tr->end_idx);
    n->out_pos = ix->out_off[a];
    n->out_end = lower_bound(ix->out, n->out_pos, ix->out_off[a + 1], tr->end_idx);
    uint32_t from = choose(tr, idx, p, INT_MAX);
    if (tr->o->policy == FT_POLICY_POISON) {
        tr->nodes[idx].out_pos = from;
    } else {
        catch_up(tr, idx, p);
        tr->nodes[idx].asleep = true; /* until the arrival that made it */
    }
}

/* Notes that traced money reached node d in the transfer at position p. */
static void add_pair(ft_tracer *tr, uint32_t d, uint32_t p)
{
    if (!FT_ARRAY_GROW(tr->pairs, &tr->cap_pairs, tr->npairs + 1)) {
        oom(tr);
        return;
    }
    tr->pairs[tr->npairs++] = (uint64_t)d << 32 | p;
}

/* Traced money of `hops` hops leaves for another party in the transfer
 * at position p (a crossing; positions become transactions at the end). */
static bool cross_out(ft_tracer *tr, uint32_t p, int64_t amount, int hops)
{
    if (!FT_ARRAY_GROW(tr->cross, &tr->cap_cross, tr->ncross + 1)) {
        oom(tr);
        return false;
    }
    tr->cross[tr->ncross++] = (ft_trace_crossing){p, amount, hops};
    return true;
}

static void poison_arrive(ft_tracer *tr, uint32_t d, uint32_t p, uint16_t cur, int64_t amount,
                          int hops, bool fresh);

static bool add_carried(ft_tracer *tr, uint32_t p, int64_t traced)
{
    if (!FT_ARRAY_GROW(tr->carried, &tr->cap_carried, tr->ncarried + 1)) {
        oom(tr);
        return false;
    }
    tr->carried[tr->ncarried++] = (ft_trace_edge){p, traced};
    return true;
}

/* The hops below which node x's payment out[i] may carry traced money
 * by the breadth limit: INT_MAX when its first choice allows it (or
 * there is no limit), the cap of a later choice, or 0. */
static int breadth_cap(ft_tracer *tr, uint32_t x, uint32_t i)
{
    const entry *e = &tr->ix->out[i];
    if (!tr->o->breadth || (tr->seed_pos >= 0 && (int64_t)e->pos == tr->seed_pos))
        return INT_MAX;
    int cap = tr->nodes[x].all_below;
    const int64_t *v;
    if (tr->st) {
        v = map_find(&tr->allowed_g, tr->ix->pos_base + e->pos);
    } else {
        if (tr->allow_bits[i >> 6] >> (i & 63) & 1)
            return INT_MAX;
        v = map_find(&tr->allow_cap, i);
    }
    return v && *v > cap ? (int)*v : cap;
}

static bool is_small(const ft_tracer *tr, const entry *e)
{
    return tr->o->min_amount && e->amount < tr->o->min_amount[e->cur];
}

/* Is the payment at out[i] of node x one that may carry traced money of
 * `hops` hops (breadth, min_amount)? Counts and books the cut otherwise. */
static bool may_carry(ft_tracer *tr, uint32_t x, uint32_t i, int64_t traced, int hops)
{
    const entry *e = &tr->ix->out[i];
    bool small = is_small(tr, e);
    if (!small && hops < breadth_cap(tr, x, i))
        return true;
    ledger *l = ledger_get(tr, x, e->cur);
    if (l)
        add_to(tr, &l->a.cut, traced);
    if (small)
        tr->res.cut_count[FT_CUT_MIN]++;
    return false;
}

/* The parts in tr->take that payment out[i] of node x may carry (breadth
 * by their hops, min_amount); the others are cut, booked and dropped.
 * Returns the sum carried, of `sum` taken. */
static int64_t carry_parts(ft_tracer *tr, uint32_t x, uint32_t i, int64_t sum)
{
    const entry *e = &tr->ix->out[i];
    bool small = is_small(tr, e);
    int cap = small ? 0 : breadth_cap(tr, x, i);
    int64_t cut = 0;
    uint32_t k = 0;
    for (uint32_t j = 0; j < tr->ntake; j++) {
        if (tr->take[j].hops < cap)
            tr->take[k++] = tr->take[j];
        else
            cut += tr->take[j].amount;
    }
    tr->ntake = k;
    if (cut) {
        ledger *l = ledger_get(tr, x, e->cur);
        if (l)
            add_to(tr, &l->a.cut, cut);
    }
    if (small)
        tr->res.cut_count[FT_CUT_MIN]++;
    return sum - cut;
}

/* The payee of payment out[i] (at position p), a node (new at `hops`). */
static uint32_t payee_node(ft_tracer *tr, uint32_t i, uint32_t p, int hops)
{
    uint32_t dst = tr->ix->payee[i];
    int64_t *known = map_find(&tr->by_account, dst);
    return known ? (uint32_t)*known : new_node(tr, dst, hops, p, false);
}

/* --- haircut, fifo, lifo --------------------------------------------------------------- */

/* Traced parts parts[0 .. np) arrive at node d in the transfer at position
 * p (currency cur), each with the hops it has now travelled. What came at
 * the hop limit, or to a hub, is held there; the rest is applied at once,
 * the node's cursors brought up to p first. Untraced arrivals wait until
 * the node next pays or receives traced money (catch_up), so only payments
 * are events. */
static void arrive(ft_tracer *tr, uint32_t d, uint32_t p, uint16_t cur, const lot *parts,
                   uint32_t np)
{
    int K = tr->o->max_hops, fewest = INT_MAX; /* of the movable parts */
    ledger *l = ledger_get(tr, d, cur);
    if (!l)
        return;
    node *n = &tr->nodes[d];
    int64_t held = 0, movable = 0;
    for (uint32_t i = 0; i < np; i++) {
        if (parts[i].hops < n->hops)
            n->hops = parts[i].hops;
        if (!add_to(tr, &l->a.received, parts[i].amount))
            return;
        if (n->seed || n->hub || parts[i].hops >= K) {
            held += parts[i].amount;
        } else {
            movable += parts[i].amount;
            if (parts[i].hops < fewest)
                fewest = parts[i].hops;
        }
    }
    add_pair(tr, d, p);
    if (held) {
        add_to(tr, &l->a.held, held); /* money back at the seed rests there */
        if (!n->seed)
            tr->res.cut_count[n->hub ? FT_CUT_HUB : FT_CUT_HOPS]++;
    }
    if (!movable)
        return;
    if (!n->followed) {
        follow(tr, d, p, fewest);
    } else {
        catch_up(tr, d, p);
        choose_again(tr, d, p, fewest);
    }
    n = &tr->nodes[d];
    l = ledger_get(tr, d, cur);
    if (!l || tr->rc != FT_OK)
        return;
    const entry *e = &tr->ix->in[n->in_pos++]; /* the cursor stands at p */
    uint32_t k = 0;
    lot moving[64], *mv = np <= 64 ? moving : malloc(np * sizeof *mv);
    if (!mv) {
        oom(tr);
        return;
    }
    for (uint32_t i = 0; i < np; i++)
        if (parts[i].hops < K)
            mv[k++] = parts[i];
    inflow(tr, l, e, mv, k);
    if (mv != moving)
        free(mv);
    n = &tr->nodes[d];
    n->holding += movable; /* __int128: all currencies */
    if (n->asleep) {
        n->asleep = false;
        schedule(tr, d);
    }
}

/* Node x pays out its next transfer, at position p. */
static void pay(ft_tracer *tr, uint32_t x, uint32_t p)
{
    node *n = &tr->nodes[x];
    if (!n->seed)
        catch_up(tr, x, p); /* what it received before, none of it traced */
    n = &tr->nodes[x];
    uint32_t i = n->out_pos++;
    const entry *e = &tr->ix->out[i];
    int64_t sum;
    if (n->seed) {
        tr->ntake = 0;
        sum = tr->seed_pos < 0 || (int64_t)p == tr->seed_pos ? e->amount : 0;
        take_part(tr, sum, 0);
    } else {
        ledger *l = ledger_get(tr, x, e->cur);
        if (!l)
            return;
        sum = outflow(tr, l, e);
        tr->nodes[x].holding -= sum;
    }
    if (sum <= 0 || (sum = carry_parts(tr, x, i, sum)) <= 0)
        return;
    ledger *lx = ledger_get(tr, x, e->cur);
    if (!lx || !add_to(tr, &lx->a.sent, sum) || !add_carried(tr, p, sum))
        return;
    /* One hop more; the parts are copied, tr->take is reused below. */
    uint32_t np = tr->ntake;
    lot parts[64], *v = np <= 64 ? parts : malloc(np * sizeof *v);
    if (!np)
        return;
    if (!v) {
        oom(tr);
        return;
    }
    for (uint32_t k = 0; k < np; k++)
        v[k] = (lot){tr->take[k].amount, tr->take[k].hops + 1};
    if (tr->local && !tr->local[tr->ix->payee[i]]) { /* it leaves for another party */
        for (uint32_t k = 0; k < np; k++)
            cross_out(tr, p, v[k].amount, v[k].hops);
        if (v != parts)
            free(v);
        return;
    }
    uint32_t d = payee_node(tr, i, p, v[0].hops);
    if (d != UINT32_MAX)
        arrive(tr, d, p, e->cur, v, np);
    if (v != parts)
        free(v);
}

/* --- poison ------------------------------------------------------------------------------ */

static void redo_push(ft_tracer *tr, uint32_t node, uint32_t from, uint32_t to, bool fresh)
{
    if (from >= to)
        return;
    if (!FT_ARRAY_GROW(tr->redo, &tr->cap_redo, tr->nredo + 1)) {
        oom(tr);
        return;
    }
    tr->redo[tr->nredo++] = (redo){node, from, to, fresh};
}

static bool carried_at(const ft_tracer *tr, uint32_t p)
{
    return tr->carried_bits[p >> 6] >> (p & 63) & 1;
}

/* Poison from node x's payment out[i], with x's hops + 1: booked when
 * fresh, else only the hops passed on again (the payment carried it
 * before, with more hops). */
static void poison_carry(ft_tracer *tr, uint32_t x, uint32_t i, bool fresh)
{
    const entry *e = &tr->ix->out[i];
    uint32_t p = e->pos;
    int hops = tr->nodes[x].hops + 1;
    if (!fresh && !carried_at(tr, p)) {
        /* Cut by the breadth limit when made: the choice for the fewer
         * hops it has now may allow it (choose_again). */
        if (!tr->o->breadth || is_small(tr, e) || hops - 1 >= breadth_cap(tr, x, i))
            return;
        ledger *lx = ledger_get(tr, x, e->cur);
        if (!lx || !add_to(tr, &lx->a.cut, -e->amount))
            return;
        fresh = true;
    } else if (fresh && !may_carry(tr, x, i, e->amount, hops - 1)) {
        return;
    }
    if (fresh) {
        ledger *lx = ledger_get(tr, x, e->cur);
        if (!lx || !add_to(tr, &lx->a.sent, e->amount) || !add_carried(tr, p, e->amount))
            return;
        tr->carried_bits[p >> 6] |= 1ULL << (p & 63);
    }
    if (tr->local && !tr->local[tr->ix->payee[i]]) { /* it leaves for another party */
        int64_t *c = map_find(&tr->cross_at, p);
        if (!c) {
            if (cross_out(tr, p, e->amount, hops) && !map_put(&tr->cross_at, p, tr->ncross - 1))
                oom(tr);
        } else if (hops < tr->cross[*c].hops) {
            tr->cross[*c].hops = hops;
        }
        return;
    }
    uint32_t d = payee_node(tr, i, p, hops);
    if (d == UINT32_MAX)
        return;
    poison_arrive(tr, d, p, e->cur, e->amount, hops, fresh);
}

/* Poison reaches node d in the transfer at position p with `hops` (fresh:
 * the first time this transfer brings it). */
static void poison_arrive(ft_tracer *tr, uint32_t d, uint32_t p, uint16_t cur, int64_t amount,
                          int hops, bool fresh)
{
    node *n = &tr->nodes[d];
    if (fresh) {
        ledger *l = ledger_get(tr, d, cur);
        if (!l || !add_to(tr, &l->a.received, amount))
            return;
        add_pair(tr, d, p);
        n = &tr->nodes[d];
        if (n->seed || n->hub)
            add_to(tr, &l->a.held, amount);
        if (!n->seed && (n->hub || hops >= tr->o->max_hops))
            tr->res.cut_count[n->hub ? FT_CUT_HUB : FT_CUT_HOPS]++;
    }
    bool fewer = hops < n->hops;
    if (fewer)
        n->hops = hops;
    if (n->seed || n->hub || n->hops >= tr->o->max_hops || (n->followed && !fewer))
        return;
    /* Its payments at this time made before p: made now (it was not
     * passing anything on yet) or again (with fewer hops). */
    const ft_trace_index *ix = tr->ix;
    if (!n->followed) {
        follow(tr, d, p, n->hops);
        n = &tr->nodes[d];
        /* Before the payment being made (p, or a later one when this is
         * a correction): now; after it: as events. */
        uint32_t next = lower_bound(ix->out, n->out_pos, n->out_end, tr->now);
        redo_push(tr, d, n->out_pos, next, true);
        tr->nodes[d].out_pos = next;
        schedule(tr, d);
    } else {
        choose_again(tr, d, p, n->hops);
        n = &tr->nodes[d];
        uint32_t from = same_time_from(ix, ix->out, ix->out_off[n->account], n->out_pos, p);
        redo_push(tr, d, from, n->out_pos, false);
    }
}

static void poison_pay(ft_tracer *tr, uint32_t x)
{
    uint32_t i = tr->nodes[x].out_pos++;
    if (!tr->nodes[x].seed || tr->seed_pos < 0 || (int64_t)tr->ix->out[i].pos == tr->seed_pos)
        poison_carry(tr, x, i, true);
    while (tr->nredo && tr->rc == FT_OK) {
        redo r = tr->redo[--tr->nredo];
        for (uint32_t k = r.from; k < r.to && tr->rc == FT_OK; k++)
            poison_carry(tr, r.node, k, r.fresh);
    }
}

/* --- parties (ft_tracer_set_border) ---------------------------------------------------- */

/* Traced money from another party arrives: the injection j, in the
 * transfer at its position, to an account held here. */
static void inject(ft_tracer *tr, uint32_t j)
{
    const ft_trace_index *ix = tr->ix;
    uint32_t p = tr->inj[j].pos, np = tr->inj[j].nparts;
    const lot *parts = tr->inj_parts + tr->inj[j].part0;
    uint32_t t = ix->order[p];
    uint32_t acc = ix->backward ? tr->s->t.src[t] : tr->s->t.dst[t];
    uint16_t cur = tr->s->t.cur[t];
    int64_t *known = map_find(&tr->by_account, acc);
    uint32_t d = known ? (uint32_t)*known : new_node(tr, acc, parts[0].hops, p, false);
    if (d == UINT32_MAX)
        return;
    if (tr->o->policy != FT_POLICY_POISON) {
        arrive(tr, d, p, cur, parts, np);
        return;
    }
    int64_t amount = 0;
    for (uint32_t k = 0; k < np; k++)
        if (!add_to(tr, &amount, parts[k].amount))
            return;
    poison_arrive(tr, d, p, cur, amount, parts[0].hops, true);
    while (tr->nredo && tr->rc == FT_OK) {
        redo r = tr->redo[--tr->nredo];
        for (uint32_t k = r.from; k < r.to && tr->rc == FT_OK; k++)
            poison_carry(tr, r.node, k, r.fresh);
    }
}

static int cmp_crossing(const void *a, const void *b)
{
    const ft_trace_crossing *x = a, *y = b;
    if (x->txn != y->txn)
        return x->txn < y->txn ? -1 : 1;
    return (x->hops > y->hops) - (x->hops < y->hops);
}

void ft_tracer_set_border(ft_tracer *tr, const uint8_t *local, const ft_trace_crossing *in,
                          size_t nin)
{
    tr->local = local;
    tr->in = in;
    tr->nin = nin;
}

const ft_trace_crossing *ft_tracer_crossings(const ft_tracer *tr, size_t *n)
{
    *n = tr->ncross;
    return tr->cross;
}

static uint32_t position_of(const ft_trace_index *ix, uint32_t t);

/* The traced money from other parties within the trace, as events: one
 * per transfer, its parts by hops (equal hops merged). */
static void injections(ft_tracer *tr)
{
    tr->ninj = tr->ninj_parts = 0;
    if (!tr->nin)
        return;
    ft_trace_crossing *v = malloc(tr->nin * sizeof *v);
    if (!v) {
        oom(tr);
        return;
    }
    size_t n = 0;
    for (size_t k = 0; k < tr->nin; k++) {
        if (tr->in[k].txn >= tr->ix->n || tr->in[k].amount <= 0)
            continue;
        uint32_t p = position_of(tr->ix, tr->in[k].txn);
        if (p < tr->start_idx || p >= tr->end_idx)
            continue;
        v[n++] = (ft_trace_crossing){p, tr->in[k].amount, tr->in[k].hops};
    }
    qsort(v, n, sizeof *v, cmp_crossing);
    for (size_t k = 0; k < n && tr->rc == FT_OK; k++) {
        if (k == 0 || v[k].txn != v[k - 1].txn) {
            if (!FT_ARRAY_GROW(tr->inj, &tr->cap_inj, tr->ninj + 1)) {
                oom(tr);
                break;
            }
            tr->inj[tr->ninj++] = (injection){v[k].txn, tr->ninj_parts, 0};
        } else if (v[k].hops == v[k - 1].hops) {
            add_to(tr, &tr->inj_parts[tr->ninj_parts - 1].amount, v[k].amount);
            continue;
        }
        if (!FT_ARRAY_GROW(tr->inj_parts, &tr->cap_inj_parts, tr->ninj_parts + 1)) {
            oom(tr);
            break;
        }
        tr->inj_parts[tr->ninj_parts++] = (lot){v[k].amount, v[k].hops};
        tr->inj[tr->ninj - 1].nparts++;
    }
    free(v);
    for (uint32_t j = 0; j < tr->ninj && tr->rc == FT_OK; j++)
        heap_push(tr, (event){tr->inj[j].pos, INJECTION | j});
}

/* --- the result ------------------------------------------------------------------------ */

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

static void *grow_to(ft_tracer *tr, void *p, size_t n, size_t size)
{
    void *q = realloc(p, (n + 1) * size);
    if (!q)
        oom(tr);
    return q;
}

/* Collects the result from the nodes and ledgers: the trail in time order
 * and each node's transfers in (the tie order of the store, so that no
 * output depends on the input's row order). */
static void assemble(ft_tracer *tr)
{
    const ft_store *s = tr->s;
    ft_trace_result *r = &tr->res;
    void *p;
    if (!(p = grow_to(tr, r->nodes, tr->nnodes, sizeof *r->nodes)))
        return;
    r->nodes = p;
    if (!(p = grow_to(tr, r->amounts, tr->nledgers, sizeof *r->amounts)))
        return;
    r->amounts = p;
    if (!(p = grow_to(tr, r->in_txn, tr->npairs, sizeof *r->in_txn)))
        return;
    r->in_txn = p;
    if (!(p = grow_to(tr, r->edges, tr->ncarried, sizeof *r->edges)))
        return;
    r->edges = p;
    r->nnodes = tr->nnodes;
    r->namounts = 0;
    r->nin_txn = 0;
    for (uint32_t i = 0; i < tr->npairs && !tr->st; i++) /* to the store's numbers */
        tr->pairs[i] = (tr->pairs[i] >> 32) << 32 | real_txn(tr->ix, (uint32_t)tr->pairs[i]);
    if (tr->npairs > 1)
        qsort(tr->pairs, tr->npairs, sizeof *tr->pairs, cmp_u64);
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
            if (n->followed && !n->seed) {
                if (tr->o->policy == FT_POLICY_POISON)
                    a.held = a.received > a.sent + a.cut ? a.received - a.sent - a.cut : 0;
                else
                    a.held += lg->traced;
            } else if (!n->seed) {
                a.held = a.received; /* it passed nothing on */
            }
            received += a.received;
            sent += a.sent;
            if (a.received || a.sent || a.cut || a.held)
                r->amounts[r->namounts++] = a;
        }
        o->namounts = r->namounts - o->amount0;
        o->terminal = !n->seed && received > 0 && sent == 0;
        o->txn0 = r->nin_txn;
        for (; k < tr->npairs && (tr->pairs[k] >> 32) == i; k++)
            if (r->nin_txn == o->txn0 || r->in_txn[r->nin_txn - 1] != (uint32_t)tr->pairs[k])
                r->in_txn[r->nin_txn++] = (uint32_t)tr->pairs[k];
        o->ntxns = r->nin_txn - o->txn0;
        if (o->ntxns > 1 &&
            ft_store_sort_txns(s, r->in_txn + o->txn0, o->ntxns, tr->err) != FT_OK) {
            oom(tr);
            return;
        }
    }
    /* The trail: every transfer that carried traced money (each once), in
     * time order, ties in the tie order. */
    for (uint32_t i = 0; i < tr->ncarried && !tr->st; i++)
        tr->carried[i].txn = real_txn(tr->ix, tr->carried[i].txn);
    if (tr->ncarried > 1)
        qsort(tr->carried, tr->ncarried, sizeof *tr->carried, cmp_edge);
    uint32_t m = 0;
    for (uint32_t i = 0; i < tr->ncarried; i++)
        if (m == 0 || tr->carried[m - 1].txn != tr->carried[i].txn)
            tr->carried[m++] = tr->carried[i];
    r->nedges = m;
    uint32_t *txns = malloc(((size_t)m + 1) * sizeof *txns);
    if (!txns) {
        oom(tr);
        return;
    }
    for (uint32_t i = 0; i < m; i++)
        txns[i] = tr->carried[i].txn;
    if (ft_store_sort_txns(s, txns, m, tr->err) != FT_OK) {
        free(txns);
        oom(tr);
        return;
    }
    for (uint32_t i = 0; i < m; i++) {
        ft_trace_edge key = {txns[i], 0};
        const ft_trace_edge *e = bsearch(&key, tr->carried, m, sizeof key, cmp_edge);
        r->edges[i] = *e;
    }
    free(txns);
}

/* The position of store transaction t in trace order. */
static uint32_t position_of(const ft_trace_index *ix, uint32_t t)
{
    const ft_store *s = ix->s;
    int64_t ms = s->t.ts_ms[t];
    uint32_t lo = ft_store_first_at(s, ms, false), hi = ft_store_first_at(s, ms, true);
    if (ix->backward) { /* the same time's transactions, mirrored */
        uint32_t l = ix->n - hi;
        hi = ix->n - lo;
        lo = l;
    }
    while (lo < hi && ix->order[lo] != t)
        lo++;
    return lo;
}

/* The positions of the tracer's index from the trace's start (times
 * negated backward: see ft_trace_run) and up to its end. */
static uint32_t idx_from(const ft_tracer *tr, int64_t start)
{
    const ft_trace_index *ix = tr->ix;
    return ix->backward ? ix->n - ft_store_first_at(ix->s, -start, true)
                        : ft_store_first_at(ix->s, start, false);
}

static uint32_t idx_until(const ft_tracer *tr, int64_t end)
{
    const ft_trace_index *ix = tr->ix;
    if (end == INT64_MAX)
        return ix->n;
    return ix->backward ? ix->n - ft_store_first_at(ix->s, -end, false)
                        : ft_store_first_at(ix->s, end, true);
}

/* The events, in trace order, until none is left. */
static void run_events(ft_tracer *tr)
{
    event e;
    while (tr->rc == FT_OK && tr->nheap && heap_pop(tr, &e)) {
        tr->now = (uint32_t)e.key;
        if (e.node & INJECTION) {
            inject(tr, e.node & ~INJECTION);
            continue;
        }
        if (tr->o->policy == FT_POLICY_POISON)
            poison_pay(tr, e.node);
        else
            pay(tr, e.node, (uint32_t)e.key);
        schedule(tr, e.node);
    }
}

ft_status ft_trace_run(ft_tracer *tr, const ft_trace_options *o, uint32_t account, int64_t txn,
                       const ft_trace_result **res, ft_error *err)
{
    const ft_store *s = tr->s;
    tr->o = o;
    tr->err = err;
    tr->rc = FT_OK;
    tr->nnodes = tr->nledgers = tr->nheap = tr->npairs = tr->ncarried = tr->nredo = 0;
    memset(tr->bucket_n, 0, sizeof tr->bucket_n);
    tr->last = 0;
    map_reset(&tr->by_account);
    for (uint32_t i = 0; i < tr->nallow_set; i++)
        tr->allow_bits[tr->allow_set[i] >> 6] = 0;
    tr->nallow_set = 0;
    map_reset(&tr->allow_cap);
    ft_trace_result *r = &tr->res;
    memset(r->cut_count, 0, sizeof r->cut_count);
    r->hubs = 0;
    const ft_trace_index *ix = tr->ix;
    bool back = ix->backward;
    r->backward = back;
    if (o->max_hops < 1)
        return ft_error_set(err, FT_EUSAGE, "trace: at least one hop");
    if (txn >= 0) {
        if (txn >= s->t.n)
            return ft_error_set(err, FT_EUSAGE, "trace: no transaction number %lld",
                                (long long)txn);
        account = back ? s->t.dst[txn] : s->t.src[txn];
        tr->seed_pos = position_of(ix, (uint32_t)txn);
    } else if (account >= s->accounts.n && !(account == UINT32_MAX && tr->local)) {
        return ft_error_set(err, FT_EUSAGE, "trace: no account number %u", account);
    } else {
        tr->seed_pos = -1;
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
    if (start == INT64_MIN && account == UINT32_MAX) {
        start = 0; /* no seed here: the trace's span comes with the options */
    } else if (start == INT64_MIN) {
        uint32_t first = UINT32_MAX; /* in trace order */
        if (ix->out_off[account] < ix->out_off[account + 1])
            first = ix->out[ix->out_off[account]].pos;
        if (ix->in_off[account] < ix->in_off[account + 1] &&
            ix->in[ix->in_off[account]].pos < first)
            first = ix->in[ix->in_off[account]].pos;
        start = 0;
        if (first != UINT32_MAX) {
            int64_t ms = pos_ms(ix, first);
            start = back ? -ms : ms;
        }
    }
    if (o->window_ms > 0 && start <= INT64_MAX - o->window_ms && start + o->window_ms < end)
        end = start + o->window_ms;
    tr->seed_ms = back ? -start : start;
    r->start_ms = back ? (end == INT64_MAX ? INT64_MIN : -end) : start;
    r->end_ms = back ? -start : end;

    /* Positions [start_idx, end_idx) in trace order are in the trace; the
     * balances before start_idx count too. */
    tr->start_idx = txn >= 0 ? (uint32_t)tr->seed_pos : idx_from(tr, start);
    tr->end_idx = idx_until(tr, end);
    tr->ncross = 0;
    map_reset(&tr->cross_at);
    uint32_t seed =
        account == UINT32_MAX ? UINT32_MAX : new_node(tr, account, 0, tr->start_idx, true);
    if (seed != UINT32_MAX) {
        node *n = &tr->nodes[seed];
        n->followed = true;
        n->out_pos =
            lower_bound(ix->out, ix->out_off[account], ix->out_off[account + 1], tr->start_idx);
        n->out_end = lower_bound(ix->out, n->out_pos, ix->out_off[account + 1], tr->end_idx);
        if (txn >= 0 && n->out_pos < n->out_end)
            n->out_end = n->out_pos + 1; /* the seed transaction alone */
        if (o->breadth)
            allow_largest(tr, seed, n->out_pos, n->out_end, INT_MAX);
        schedule(tr, seed);
    }
    if (tr->local)
        injections(tr);
    run_events(tr);
    for (uint32_t i = 0; i < tr->ncarried; i++) /* clear poison's marks */
        tr->carried_bits[tr->carried[i].txn >> 6] = 0;
    for (uint32_t i = 0; i < tr->ncross; i++) /* crossings: to the store's numbers */
        tr->cross[i].txn = real_txn(ix, tr->cross[i].txn);
    if (tr->rc == FT_OK)
        assemble(tr);
    *res = r;
    return tr->rc;
}

/* --- streaming through periods (trace_periods.h) ---------------------------------------- */

ft_status ft_tracer_stream_new(ft_tracer **tr, ft_error *err)
{
    *tr = calloc(1, sizeof **tr);
    if (!*tr)
        return ft_error_oom(err);
    return FT_OK;
}

ft_status ft_tracer_stream_begin(ft_tracer *tr, const ft_trace_options *o,
                                 const ft_trace_stream *st, bool back, uint32_t account,
                                 int64_t seed_row, int64_t seed_ms, ft_error *err)
{
    tr->stream_o = *o;
    o = &tr->stream_o;
    tr->o = o;
    tr->st = st;
    tr->err = err;
    tr->rc = FT_OK;
    tr->ix = NULL;
    tr->nnodes = tr->nledgers = tr->nheap = tr->npairs = tr->ncarried = tr->nredo = 0;
    tr->pairs0 = tr->carried0 = 0;
    memset(tr->bucket_n, 0, sizeof tr->bucket_n);
    tr->last = 0;
    map_reset(&tr->by_account);
    map_reset(&tr->allowed_g);
    ft_trace_result *r = &tr->res;
    memset(r->cut_count, 0, sizeof r->cut_count);
    r->hubs = 0;
    r->backward = back;
    tr->stream_started = false;
    tr->stream_seed_row = seed_row;
    if (o->max_hops < 1)
        return ft_error_set(err, FT_EUSAGE, "trace: at least one hop");
    if (account >= st->nacc)
        return ft_error_set(err, FT_EUSAGE, "trace: no account number %u", account);
    /* The trace's span, as ft_trace_run sets it (times negated backward). */
    int64_t start = back ? (o->until_ms == INT64_MAX ? INT64_MIN : -o->until_ms) : o->since_ms;
    int64_t end = back ? (o->since_ms == INT64_MIN ? INT64_MAX : -o->since_ms) : o->until_ms;
    if (seed_row >= 0) {
        int64_t at = back ? -seed_ms : seed_ms;
        if (start < at)
            start = at;
    }
    if (start == INT64_MIN) {
        int64_t ms = back ? st->last_ms[account] : st->first_ms[account];
        bool none = back ? ms == INT64_MIN : ms == INT64_MAX;
        start = none ? 0 : back ? -ms : ms;
    }
    if (o->window_ms > 0 && start <= INT64_MAX - o->window_ms && start + o->window_ms < end)
        end = start + o->window_ms;
    tr->seed_ms = back ? -start : start;
    r->start_ms = back ? (end == INT64_MAX ? INT64_MIN : -end) : start;
    r->end_ms = back ? -start : end;
    tr->seed_pos = seed_row >= 0 ? INT64_MAX : -1;
    uint32_t seed = new_node(tr, account, 0, 0, true);
    if (seed == UINT32_MAX)
        return tr->rc;
    tr->nodes[seed].followed = true;
    if (o->breadth) {
        if (seed_row >= 0)
            tr->nodes[seed].all_below = INT_MAX; /* the seed transaction alone */
        else
            stream_allow(tr, seed, 0, INT_MAX);
    }
    return tr->rc;
}

/* The cursors of a node that passes traced money on, at the start of a
 * period: all of its transfers in it, up to the end of the trace. */
static void stream_rebase(ft_tracer *tr, uint32_t idx, int64_t seed_local)
{
    const ft_trace_index *ix = tr->ix;
    node *n = &tr->nodes[idx];
    uint32_t a = n->account;
    n->in_pos = ix->in_off[a];
    n->in_end = lower_bound(ix->in, n->in_pos, ix->in_off[a + 1], tr->end_idx);
    n->out_pos = ix->out_off[a];
    if (n->seed)
        n->out_pos = lower_bound(ix->out, n->out_pos, ix->out_off[a + 1], tr->start_idx);
    n->out_end = lower_bound(ix->out, n->out_pos, ix->out_off[a + 1], tr->end_idx);
    if (n->seed && tr->stream_seed_row >= 0) /* the seed transaction alone */
        n->out_end = seed_local >= 0 && n->out_pos < n->out_end ? n->out_pos + 1 : n->out_pos;
}

ft_status ft_tracer_stream_period(ft_tracer *tr, const ft_trace_index *ix, int64_t seed_local,
                                  ft_error *err)
{
    const ft_store *s = ix->s;
    const ft_trace_options *o = tr->o;
    bool back = ix->backward;
    tr->err = err;
    tr->ix = ix;
    tr->s = s;
    if (tr->rc != FT_OK)
        return tr->rc;
    uint64_t *bits = realloc(tr->carried_bits, ((size_t)ix->n / 64 + 1) * sizeof *bits);
    if (!bits)
        return ft_error_oom(err);
    tr->carried_bits = bits;
    memset(bits, 0, ((size_t)ix->n / 64 + 1) * sizeof *bits);
    /* This period's positions in the trace: [start_idx, end_idx). */
    int64_t start = back ? -tr->res.end_ms : tr->res.start_ms;
    int64_t end =
        back ? (tr->res.start_ms == INT64_MIN ? INT64_MAX : -tr->res.start_ms) : tr->res.end_ms;
    if (tr->stream_seed_row >= 0) {
        if (seed_local >= 0) {
            tr->seed_pos = position_of(ix, (uint32_t)seed_local);
            tr->start_idx = (uint32_t)tr->seed_pos;
            tr->stream_started = true;
        } else {
            tr->seed_pos = INT64_MAX;
            tr->start_idx = tr->stream_started ? 0 : ix->n;
        }
    } else {
        tr->start_idx = idx_from(tr, start);
    }
    tr->end_idx = idx_until(tr, end);
    tr->pairs0 = tr->npairs;
    tr->carried0 = tr->ncarried;
    tr->last = 0; /* the heap is empty: its keys start again with the period's positions */
    for (uint32_t i = 0; i < tr->nnodes; i++) {
        node *n = &tr->nodes[i];
        if (!n->followed || (n->hub && !n->seed)) /* a hub seed still pays out */
            continue;
        stream_rebase(tr, i, seed_local);
        schedule(tr, i);
    }
    run_events(tr);
    /* fifo, lifo: the untraced money that arrived after a node's last
     * payment in this period joins its lots before the next period's. */
    if (o->policy == FT_POLICY_FIFO || o->policy == FT_POLICY_LIFO)
        for (uint32_t i = 0; i < tr->nnodes && tr->rc == FT_OK; i++)
            if (tr->nodes[i].followed && !tr->nodes[i].seed && !tr->nodes[i].hub)
                catch_up(tr, i, ix->n);
    /* The trail and arrivals of this period, to the whole data's rows. */
    for (uint32_t i = tr->carried0; i < tr->ncarried; i++) {
        uint32_t p = tr->carried[i].txn;
        tr->carried_bits[p >> 6] = 0;
        tr->carried[i].txn = ix->txn_base + real_txn(ix, p);
    }
    for (uint32_t i = tr->pairs0; i < tr->npairs; i++)
        tr->pairs[i] =
            (tr->pairs[i] >> 32) << 32 | (ix->txn_base + real_txn(ix, (uint32_t)tr->pairs[i]));
    tr->pairs0 = tr->npairs;
    tr->carried0 = tr->ncarried;
    tr->ix = NULL;
    return tr->rc;
}

ft_status ft_tracer_stream_rows(const ft_tracer *tr, uint32_t **rows, size_t *n, size_t *cap,
                                ft_error *err)
{
    for (uint32_t i = 0; i < tr->npairs + tr->ncarried; i++) {
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 1024;
            uint32_t *p = realloc(*rows, c * sizeof *p);
            if (!p)
                return ft_error_oom(err);
            *rows = p;
            *cap = c;
        }
        (*rows)[(*n)++] = i < tr->npairs ? (uint32_t)tr->pairs[i] : tr->carried[i - tr->npairs].txn;
    }
    return FT_OK;
}

static uint32_t row_in(const uint32_t *rows, size_t n, uint32_t row)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rows[mid] < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

ft_status ft_tracer_stream_end(ft_tracer *tr, const ft_store *rs, const uint32_t *rows,
                               size_t nrows, const ft_trace_result **res, ft_error *err)
{
    tr->err = err;
    tr->s = rs;
    if (tr->rc != FT_OK)
        return tr->rc;
    for (uint32_t i = 0; i < tr->npairs; i++)
        tr->pairs[i] = (tr->pairs[i] >> 32) << 32 | row_in(rows, nrows, (uint32_t)tr->pairs[i]);
    for (uint32_t i = 0; i < tr->ncarried; i++)
        tr->carried[i].txn = row_in(rows, nrows, tr->carried[i].txn);
    assemble(tr);
    *res = &tr->res;
    return tr->rc;
}
