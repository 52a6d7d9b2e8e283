/*
 * paths.h - how money could have gone from one set of accounts to another.
 *
 * A path is a sequence of transfers t1, t2, ..., tk, each paid by the
 * account the previous one paid to, from a source account to a target
 * account, that respects time: no transfer is earlier than the one before
 * it. Money that arrives at time t may leave at time t (the store's rule
 * for one timestamp, store.h), so a chain of transfers that share a second
 * is a path, whatever the order of their rows. A path ends at the first
 * target it reaches and never visits an account twice. Intermediate
 * accounts with more than `max_degree` transfers (hubs) are not passed
 * through; a hub may still be a source or a target. Only the transfers of
 * the window (since .. until, or since + window) take part, in every
 * search and flow.
 *
 * Where several paths are equally good, the one chosen, and the order
 * ft_paths_all lists them in, depend on the rows' content only (times,
 * the tie order of ft_store_txn_cmp, account keys), never on the input's
 * row order.
 *
 * Time-respecting searches run on the store's own arrays (its adjacency
 * must have been built); the static path and the maximum flows use igraph,
 * so call them from one thread.
 */
#ifndef FUNDTRACE_PATHS_H
#define FUNDTRACE_PATHS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/output.h"
#include "fundtrace/store.h"

typedef struct ft_paths_options {
    int max_hops;        /* 0: no limit (ft_paths_all needs one) */
    int64_t since_ms;    /* INT64_MIN: from the start of the data */
    int64_t until_ms;    /* INT64_MAX: to its end */
    int64_t window_ms;   /* 0: none; else until = since + window */
    uint32_t max_degree; /* default 2000, as trace's; 0: no limit */
    /* Per account: its transfers (out and in) over the whole data, where
     * the store holds only some of it (periods read for a window); NULL:
     * the store's own. */
    const uint32_t *degree;
} ft_paths_options;

void ft_paths_defaults(ft_paths_options *o);

/* Account sets, as sorted, distinct account ids. No account may be in
 * both the sources and the targets (FT_EUSAGE). */
typedef struct ft_account_set {
    const uint32_t *ids;
    uint32_t n;
} ft_account_set;

/* A path found: its transfers in order (empty when there is none). */
typedef struct ft_path {
    uint32_t *txn;
    uint32_t n, cap;
} ft_path;

void ft_path_free(ft_path *p);

/* The earliest-arrival path (within o->max_hops hops, when not 0): the
 * one whose last transfer is earliest; of those, the one with the fewest
 * hops; of those, the one whose last transfer comes first in the tie
 * order, reached by way of the best arrival (by the same rules) at each
 * account before it. */
ft_status ft_path_earliest(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                           ft_account_set to, ft_path *out, ft_error *err);

/* The fewest-hops time-respecting path (at most o->max_hops, when not
 * 0); of those, the earliest arrival; then as ft_path_earliest. Exact:
 * each account keeps its earliest arrival for every number of hops, since
 * an arrival with fewer hops is not dominated by an earlier one with
 * more. */
ft_status ft_path_fewest(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                         ft_account_set to, ft_path *out, ft_error *err);

/* The static shortest path (fewest transfers of the window, their order
 * in time ignored), by igraph's breadth-first search, over the accounts
 * numbered by key. */
ft_status ft_path_static(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                         ft_account_set to, ft_path *out, ft_error *err);

/* Called for each path as it is found; returns false to stop. */
typedef bool (*ft_path_fn)(void *ctx, const uint32_t *txn, uint32_t n);

/* Every time-respecting path of at most o->max_hops transfers, streamed to
 * `fn` as found, in depth-first order (sources by key, each account's
 * transfers in time order and the tie order), at most `limit` of them
 * (0: all).
 * The search only enters transfers from which a target can still be
 * reached in time within the hops left, so it spends its time on paths
 * that exist. *found counts the paths given to fn; *more says whether
 * the limit stopped the search. */
ft_status ft_paths_all(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                       ft_account_set to, uint64_t limit, ft_path_fn fn, void *ctx,
                       uint64_t *found, bool *more, ft_error *err);

/* The maximum amount, in currency `cur`, that could have moved from the
 * sources to the targets through the window's transfers in that currency:
 * static (every transfer a pipe of its amount, their order in time
 * ignored) or temporal (money moves only forward in time, may leave at
 * the time it arrives, and can wait in an account: a maximum flow through
 * the time-expanded network of the transfers). Sources have unlimited
 * money. The flow is exact in minor units while the amounts involved add
 * up to less than 2^53. `flows` gets the transfers that carry it. */
typedef struct ft_flow_edge {
    uint32_t txn;
    int64_t flow;
} ft_flow_edge;

typedef struct ft_flow {
    int64_t value;
    ft_flow_edge *edges; /* in time order, ties in the tie order */
    uint32_t nedges;
    uint32_t transfers;         /* transfers in the network */
    int64_t since_ms, until_ms; /* the window it used (INT64_MIN / INT64_MAX: none) */
} ft_flow;

ft_status ft_maxflow(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                     ft_account_set to, uint16_t cur, bool temporal, ft_flow *out,
                     ft_error *err);
void ft_flow_free(ft_flow *f);

/* Writers. A path as a JSON object / CSV rows / table lines, `kind` naming
 * how it was found ("earliest", "fewest", "static", "all") and `index` its
 * number; a flow likewise. */
void ft_path_write(FILE *f, const ft_store *s, const char *kind, uint64_t index,
                   const ft_path *p, ft_format fmt);
void ft_flow_write(FILE *f, const ft_store *s, const char *kind, uint16_t cur,
                   const ft_flow *fl, ft_format fmt);
/* The CSV header both share. */
void ft_paths_csv_header(FILE *f);

#endif
