/*
 * trace.h - follow money from a seed, forward or backward in time, exactly.
 *
 * The traced money is what the seed account pays out from the start of the
 * trace (every one of its outgoing transfers, in full), or, for a seed
 * transaction, that one payment. It moves on only forward in time: money
 * that arrives at an account at time t may leave it at time t or later.
 * Transfers are taken in the store's flow order (store.h): by time, and
 * within one timestamp credits before debits, then smaller amounts first,
 * then by id, whatever the input's row order. How much of an account's
 * outgoing transfer counts as traced is the attribution policy:
 *
 *   poison   all of it, once traced money has reached the account within
 *            fewer than max_hops hops, not later than the transfer (an
 *            upper bound: the same money may be counted at several
 *            accounts). Poison reaches exactly the accounts that a
 *            time-respecting route of at most max_hops transfers reaches
 *            (each transfer not earlier than the one before it);
 *   haircut  its share of the account's balance: traced balance x amount
 *            / balance, rounded down (the remainder stays traced in the
 *            account), split over the hop counts the traced balance came
 *            with: the part of k hops is the share of the money of at
 *            most k hops, rounded down, less that of fewer than k hops
 *            (the same sum; a part never depends on money of more hops
 *            than its own);
 *   fifo     first in, first out (Clayton's rule): the transfer spends the
 *            oldest money the account holds;
 *   lifo     last in, first out: the newest first.
 *
 * Every account keeps a balance in each currency from its first transfer
 * in the data: every transfer in and out moves it, traced or not, also
 * before the trace starts. The trace's start only decides when traced
 * money enters. Money paid beyond the known balance comes from funds of
 * unknown origin, which are not traced. Amounts are integer minor units
 * throughout, so for haircut, fifo and lifo the money is conserved: what
 * the seed paid out equals what the reached accounts still hold plus what
 * was cut off (by the limits below).
 *
 * Hops. Traced money carries the number of transfers it has travelled
 * from the seed: haircut keeps an account's traced balance per hop count,
 * fifo and lifo a hop count on each lot (a transfer that arrives partly
 * traced enters as lots of its traced parts, fewest hops first, then the
 * rest). Money that arrives with max_hops hops stays where it arrived: it
 * is held there, and the account's balance counts it as money of no
 * traced origin. Money that arrived with fewer hops moves on. So every
 * account that traced money reaches by some route of at most max_hops
 * transfers is reached, and its `hops` is the fewest hops any traced money
 * reached it with.
 *
 * Backward (where did the money come from) is the same trace with time
 * and direction reversed: the traced money is what the seed received up
 * to the start (the latest time) of the trace; it goes back through a
 * transfer to its sender, and from there to the transfers the sender
 * received not later than it paid; the policies apply to the reversed
 * history, in which an account's payments are what it "receives" and the
 * transfers it received are what it "pays out", and balances count from
 * the last transfer in the data back. So haircut splits the traced share
 * of what an account pays later over what it received before, in
 * proportion; fifo matches received with paid money first in, first out,
 * counted back from the end of the data (on an account whose money comes
 * and goes in full, the same matching as forward fifo); lifo matches each
 * received transfer with the payments soonest after it. Poison gives every
 * possible source within max_hops. An account's "held" money backward is
 * what it is the earliest known source of, within the limits.
 *
 * Limits, all reported: money that arrives with `max_hops` hops, or at a
 * hub (more than `max_degree` transfers in and out), or past the end of
 * the window, is not followed further; traced money of k hops leaves an
 * account only by its `breadth` largest outgoing transfers (of equal
 * amounts, the earlier) from the time traced money of at most k hops that
 * it may pass on first arrives there (the rest is cut; the cut count is
 * of the choice at the first arrival); transfers below `min_amount` do
 * not carry it either. So neither the split of haircut nor the breadth
 * limit lets money of more hops change where money of fewer hops goes:
 * what money of at most k hops does is the same under any max_hops above
 * k.
 *
 * No result depends on the input's row order: the order of the accounts
 * (the order traced money reached them in), of the trail and of each
 * account's transfers follow from the rows' content.
 */
#ifndef FUNDTRACE_TRACE_H
#define FUNDTRACE_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/output.h"
#include "fundtrace/store.h"

typedef enum ft_policy {
    FT_POLICY_POISON,
    FT_POLICY_HAIRCUT,
    FT_POLICY_FIFO,
    FT_POLICY_LIFO,
} ft_policy;

/* "poison", "haircut", "fifo", "lifo". */
const char *ft_policy_name(ft_policy p);
bool ft_policy_parse(const char *name, ft_policy *p);

typedef struct ft_trace_options {
    ft_policy policy;
    int max_hops;         /* default 6; at least 1 */
    int64_t since_ms;     /* INT64_MIN: from the seed's first transfer */
    int64_t until_ms;     /* INT64_MAX: no end */
    int64_t window_ms;    /* 0: none; else the trace ends this long after it starts */
    uint32_t max_degree;  /* default 2000; 0: no limit */
    uint32_t breadth;     /* default 50; 0: no limit */
    const int64_t *min_amount; /* by currency id, in its minor units; NULL: none */
} ft_trace_options;

void ft_trace_defaults(ft_trace_options *o);

/* Why traced money stopped short of moving on. */
typedef enum ft_cut {
    FT_CUT_HOPS,    /* transfers that brought money with max_hops hops (it stays) */
    FT_CUT_HUB,     /* transfers that brought traced money to a hub (it stays) */
    FT_CUT_BREADTH, /* in a transfer beyond the breadth limit */
    FT_CUT_MIN,     /* in a transfer below min_amount */
    FT_CUT_COUNT
} ft_cut;

/* A traced amount in one currency. */
typedef struct ft_trace_amount {
    uint16_t cur;
    int64_t received; /* traced money that arrived (for the seed: came back) */
    int64_t sent;     /* traced money passed on to other reached accounts */
    int64_t cut;      /* traced money in transfers that did not carry it on */
    int64_t held;     /* traced money still here at the end */
} ft_trace_amount;

/* One reached account. */
typedef struct ft_trace_node {
    uint32_t account;
    int hops;          /* 0 for the seed; the fewest hops traced money came with */
    int64_t first_ms;  /* first arrival of traced money (the seed: start) */
    bool terminal;     /* traced money arrived and none moved on */
    bool hub;          /* more transfers than max_degree: not followed */
    uint32_t amount0, namounts; /* its amounts: res->amounts[amount0 ..] */
    uint32_t txn0, ntxns;       /* transfers that brought traced money in:
                                   res->in_txn[txn0 ..], in time order */
} ft_trace_node;

/* One transfer that carried traced money: the trail. */
typedef struct ft_trace_edge {
    uint32_t txn;
    int64_t traced; /* minor units of the transfer's currency */
} ft_trace_edge;

typedef struct ft_trace_result {
    bool backward;           /* traced where the money came from */
    int64_t start_ms, end_ms; /* the time span traced, earlier first */
    ft_trace_node *nodes; /* the seed first, then in order of reaching */
    uint32_t nnodes;
    ft_trace_amount *amounts;
    uint32_t namounts;
    uint32_t *in_txn;
    uint32_t nin_txn;
    ft_trace_edge *edges; /* in time order, ties as ft_store_txn_cmp */
    uint32_t nedges;
    int64_t cut_count[FT_CUT_COUNT]; /* transfers or accounts cut, by reason */
    uint32_t hubs;                   /* hubs reached */
} ft_trace_result;

/* Every account's transfers in trace order (the store's flow order, one
 * way or the other) with their amounts and the account's balance before
 * each, laid out so that a trace streams through an account's history:
 * 56 bytes per transaction. Built once per direction (forward: where the
 * money went; backward: where it came from) and shared, read-only, by the
 * tracers of all threads. The store's adjacency must have been built
 * (ft_store_adjacency) and outlive the index. */
typedef struct ft_trace_index ft_trace_index;

ft_status ft_trace_index_new(ft_trace_index **ix, const ft_store *s, bool backward,
                             ft_error *err);
void ft_trace_index_free(ft_trace_index *ix);

/* Working memory for traces, reused from seed to seed; one per thread. */
typedef struct ft_tracer ft_tracer;

ft_status ft_tracer_new(ft_tracer **tr, const ft_trace_index *ix, ft_error *err);
void ft_tracer_free(ft_tracer *tr);

/* Traces from `account`, or from transaction `txn` when txn >= 0 (then
 * `account` is ignored), in the index's direction. The store and index are
 * only read, so tracers on several threads may share them. The result is
 * owned by the tracer and stays valid until its next trace. */
ft_status ft_trace_run(ft_tracer *tr, const ft_trace_options *o, uint32_t account, int64_t txn,
                       const ft_trace_result **res, ft_error *err);

/* Parties that cannot pool their data (handoff.h). A crossing is traced
 * money in one transfer between an account a party holds and one it does
 * not: `amount` minor units that have travelled `hops` hops when they
 * arrive (one crossing per hop count). */
typedef struct ft_trace_crossing {
    uint32_t txn; /* the store's transaction */
    int64_t amount;
    int32_t hops;
} ft_trace_crossing;

/* Makes the tracer's next traces a party's: local[a] says whether account
 * a is held here (NULL: all are, as without this call). Traced money paid
 * to an account not held here goes no further: it is a crossing
 * (ft_tracer_crossings), for the party that holds the account. The
 * crossings in[0 .. nin) (transfers into accounts held here, from other
 * parties' traces) bring traced money in, as if paid by their payers
 * (backward: their payees). With these, ft_trace_run takes the account
 * UINT32_MAX for a trace with no seed here, whose span then comes from
 * the options' since and until. local and in must outlive the traces. */
void ft_tracer_set_border(ft_tracer *tr, const uint8_t *local, const ft_trace_crossing *in,
                          size_t nin);
/* The crossings out of the last trace, valid until the next. */
const ft_trace_crossing *ft_tracer_crossings(const ft_tracer *tr, size_t *n);

/* Writes one trace in `fmt`. `seed` names the seed as the user gave it.
 * table: a summary, the accounts reached and the trail; jsonl: one object
 * per account reached (seed, account, hops, first_time, amounts, held,
 * sent, cut as currency-to-decimal objects, terminal, hub, txns); csv: one
 * row per account and currency (a header when `first`); json: one object
 * with the options, the accounts, the trail and what was cut (the caller
 * puts the objects of several seeds in an array); dot: a Graphviz digraph
 * of the trail. */
void ft_trace_write(FILE *f, const ft_store *s, const char *seed, const ft_trace_options *o,
                    const ft_trace_result *r, ft_format fmt, bool first);

#endif
