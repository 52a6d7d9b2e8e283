/*
 * trace_periods.h - a trace that streams through periods (issue 17):
 * given the directory `load --split-by day|week|month -o DIR` wrote (or
 * its manifest), the trace walks the periods in time order (backward: the
 * latest first), maps one period at a time, and carries from one to the
 * next what the trace keeps per account: every account's balance in each
 * currency, and the traced holdings of the accounts reached (haircut: the
 * traced balance per hop count; fifo, lifo: the lots; poison: the fewest
 * hops). The result is exactly the result of ft_trace_run over one
 * snapshot of the whole data, for every policy and direction (trace.h).
 *
 * What a trace decides by the whole data comes from a first pass over
 * the periods (one snapshot mapped at a time, its rows read once):
 *
 *   - every account's number of transfers, in and out (a hub has more
 *     than max_degree);
 *   - every account's first and last transfer (where a seed's trace
 *     starts when no --since is given);
 *   - for the breadth limit, which allows only an account's `breadth`
 *     largest payments from the time traced money first reaches it,
 *     later periods included: the payments (position, time, amount)
 *     within the trace's bounds of the accounts that make more than
 *     `breadth` of them and are not hubs (or are seeds). Every other
 *     account's payments are all allowed. This list is the one part of the state that grows
 *     with the data rather than with the accounts: 20 bytes per payment
 *     of such an account.
 *
 * Memory: one period (its snapshot, adjacency and trace index), the
 * accounts' balances and degrees, the tracers' state, the list above, and
 * at the end the rows of the trail (a store of only those rows, which the
 * output names transfers from).
 */
#ifndef FUNDTRACE_TRACE_PERIODS_H
#define FUNDTRACE_TRACE_PERIODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/periods.h"
#include "fundtrace/store.h"
#include "fundtrace/trace.h"
#include "fundtrace/trace_batch.h"

/* Balances carried from one period to the next: account a's balances are
 * the chain v[head[a]], v[.next], ... (UINT32_MAX ends it). */
typedef struct ft_trace_carry_entry {
    int64_t bal;
    uint32_t next;
    uint16_t cur;
} ft_trace_carry_entry;

typedef struct ft_trace_carry {
    uint32_t *head; /* [accounts] */
    ft_trace_carry_entry *v;
    uint32_t n, cap;
} ft_trace_carry;

/* A payment of an account the breadth limit has to choose among. */
typedef struct ft_trace_heavy {
    uint32_t gpos; /* position in the whole data's trace order */
    int64_t ms;
    int64_t amount;
} ft_trace_heavy;

/* What the first pass learns about the whole data (read-only while
 * tracing). */
typedef struct ft_trace_stream {
    uint32_t nacc;
    uint32_t *degree;            /* [nacc] transfers in and out */
    int64_t *first_ms, *last_ms; /* [nacc] INT64_MAX / INT64_MIN: none */
    uint32_t *heavy_off;         /* [nacc + 1]: account a's payments heavy[off[a] .. off[a+1]) */
    ft_trace_heavy *heavy;
} ft_trace_stream;

/* The index of one period, whose balances start from `carry` (NULL: 0)
 * and are written back into it at the period's end; pos_base is the
 * global position (in trace order) of its first transfer, txn_base the
 * whole data's row of its row 0. */
ft_status ft_trace_index_new_carry(ft_trace_index **ix, const ft_store *s, bool backward,
                                   ft_trace_carry *carry, uint32_t pos_base, uint32_t txn_base,
                                   ft_error *err);

/* The engine's steps, for ft_trace_periods_run (and tests): a tracer with
 * no index; begin one trace (account, or the whole data's row seed_row
 * at time seed_ms when seed_row >= 0); each period in trace order (the
 * seed row's number in this period's store, or -1); the whole data's rows
 * the result names (appended to *rows); the end, with a store of exactly
 * those rows (ascending) to name them by. */
ft_status ft_tracer_stream_new(ft_tracer **tr, ft_error *err);
ft_status ft_tracer_stream_begin(ft_tracer *tr, const ft_trace_options *o,
                                 const ft_trace_stream *st, bool backward, uint32_t account,
                                 int64_t seed_row, int64_t seed_ms, ft_error *err);
ft_status ft_tracer_stream_period(ft_tracer *tr, const ft_trace_index *ix, int64_t seed_local,
                                  ft_error *err);
ft_status ft_tracer_stream_rows(const ft_tracer *tr, uint32_t **rows, size_t *n, size_t *cap,
                                ft_error *err);
ft_status ft_tracer_stream_end(ft_tracer *tr, const ft_store *rows_store, const uint32_t *rows,
                               size_t nrows, const ft_trace_result **res, ft_error *err);

/* The first pass (above) over the periods of m, for traces from
 * seeds[0 .. nseeds) with options o in the given direction (a seed
 * account that is a hub still pays out, so the breadth limit chooses for
 * it too). */
ft_status ft_trace_stream_build(ft_trace_stream *st, const ft_manifest *m,
                                const ft_trace_options *o, bool backward,
                                const ft_trace_seed *seeds, size_t nseeds, ft_error *err);
void ft_trace_stream_free(ft_trace_stream *st);

/* The whole data's row of the transaction with the given id (the first in
 * the data when several share it); *found false when none has it. */
ft_status ft_trace_periods_find_txn(const ft_manifest *m, const char *id, int64_t *row, bool *found,
                                    ft_error *err);

/* Traces seeds[0 .. n) (a seed's txn is a whole-data row, see above) over
 * the periods of m in one pass. out->s is a store of the rows the results
 * name, with every account; out->res[i] seed i's result, valid until
 * ft_trace_periods_free. */
typedef struct ft_trace_periods_out {
    ft_store s;
    const ft_trace_result **res;
    ft_tracer **tracers;
    size_t n;
    size_t periods_read;
} ft_trace_periods_out;

ft_status ft_trace_periods_run(const ft_manifest *m, const ft_trace_options *o, bool backward,
                               const ft_trace_seed *seeds, size_t n, ft_trace_periods_out *out,
                               ft_error *err);
void ft_trace_periods_free(ft_trace_periods_out *out);

#endif
