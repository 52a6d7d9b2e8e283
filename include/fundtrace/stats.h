/*
 * stats.h - the summary `fundtrace stats` prints.
 *
 * Computed on the store's arrays in a few linear passes: no igraph graph is
 * built (weak components come from a union-find over the transfers).
 */
#ifndef FUNDTRACE_STATS_H
#define FUNDTRACE_STATS_H

#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/store.h"

#define FT_STATS_TOP 10

typedef struct ft_currency_total {
    uint16_t cur;
    __int128 sum; /* minor units: cannot overflow for 2^32 rows of int64 */
    int64_t count;
} ft_currency_total;

/* Degrees count transfers (a multigraph degree), over all accounts. p50
 * and p99 are nearest-rank percentiles. */
typedef struct ft_degree_summary {
    int64_t max, p50, p99;
} ft_degree_summary;

typedef struct ft_account_volume {
    uint32_t account;
    __int128 amount; /* in the ranking currency */
    int64_t count;   /* its transfers in that direction and currency */
} ft_account_volume;

typedef struct ft_stats {
    int64_t txns, accounts, self_transfers, labelled_rows, labels;
    int64_t first_ms, last_ms; /* meaningful when txns > 0 */
    ft_currency_total *totals; /* sorted by currency code */
    int ntotals;
    ft_degree_summary out_degree, in_degree;
    int64_t components, largest_component;
    /* Top accounts by volume, ranked by the amount in `rank_cur`: the only
     * currency, or with several, the one with the most transfers (amounts
     * in different currencies are not added without a rates table). Only
     * accounts with transfers in that currency are ranked. */
    int rank_cur; /* -1 when there are no transactions */
    ft_account_volume top_out[FT_STATS_TOP], top_in[FT_STATS_TOP];
    int ntop_out, ntop_in;
    /* With a rates table (s->rates): every transfer in the base currency,
     * added up. Derived, in doubles: a guide across currencies, next to
     * the exact totals per currency. */
    bool has_analysis;
    double analysis_total;
} ft_stats;

ft_status ft_stats_compute(const ft_store *s, ft_stats *st, ft_error *err);
void ft_stats_free(ft_stats *st);

/* Counts the weakly connected components again with igraph (building its
 * graph) and fails with FT_EUSAGE, saying both counts, when they differ
 * from st's: a cross-check of our union-find. */
ft_status ft_stats_check_igraph(const ft_store *s, const ft_stats *st, ft_error *err);

#endif
