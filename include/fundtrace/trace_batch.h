/*
 * trace_batch.h - a batch of traces: many seeds traced on a pool of
 * threads over one shared, read-only store and index, each thread with its
 * own tracer, the output written in seed order (as it becomes ready), so
 * that it is the same for any number of threads and a block of the seeds
 * (--shard) prints exactly its share of the whole batch's output.
 */
#ifndef FUNDTRACE_TRACE_BATCH_H
#define FUNDTRACE_TRACE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/output.h"
#include "fundtrace/store.h"
#include "fundtrace/trace.h"

typedef struct ft_trace_seed {
    const char *label; /* as the output names the seed */
    uint32_t account;
    int64_t txn; /* a transaction to follow; -1: trace the account */
} ft_trace_seed;

typedef struct ft_trace_batch {
    const ft_store *s;
    const ft_trace_index *ix; /* the index of the trace's direction */
    const ft_trace_options *o;
    ft_format fmt;
    int threads; /* 1 .. 256 */
    /* The place of seeds[0] in the whole batch (a shard's block starts
     * later): the CSV header and the JSON commas go where the whole
     * batch has them. The JSON array's brackets are the caller's. */
    size_t base;
    /* Called (from a worker, one at a time, in seed order) for each seed
     * whose trace failed; NULL: none. */
    void (*on_error)(void *ctx, const ft_trace_seed *seed, const ft_error *err);
    void *ctx;
} ft_trace_batch;

typedef struct ft_trace_batch_report {
    size_t traced; /* seeds whose trace was written */
    size_t failed;
    bool found; /* a seed's money reached an account */
} ft_trace_batch_report;

/* Traces seeds[0 .. n) and writes their traces to f in seed order. A seed
 * that fails is left out of the output (and given to b->on_error); the
 * others are still traced. Returns the first failure in seed order (its
 * message names the seed), else FT_OK. */
ft_status ft_trace_batch_run(const ft_trace_batch *b, const ft_trace_seed *seeds, size_t n, FILE *f,
                             ft_trace_batch_report *rep, ft_error *err);

/* The least amount that carries traced money (--min-amount X), in each of
 * s's currencies in its minor units, rounded up: "0.5" is 50 cents, 1
 * yen. *out (malloc'd, s->ncurrencies entries) goes to
 * ft_trace_options.min_amount. FT_EUSAGE when text is not an amount. */
ft_status ft_trace_min_amounts(const ft_store *s, const char *text, int64_t **out, ft_error *err);

#endif
