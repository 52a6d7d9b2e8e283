/*
 * trace_read.h - the one reader of trace files, in the formats trace
 * writes for scripts: JSON Lines (one object per account reached), JSON
 * (an array of traces, each with its accounts and trail) and CSV (one row
 * per account and currency), told apart by their first byte. export
 * --trace reads traces through it.
 *
 * It gives the accounts reached, one at a time, in file order: the seed
 * they were reached from, hops, first time, terminal and hub, the amounts
 * per currency, and the transfers that brought traced money in (not in
 * CSV, which does not list them). Strings are as written, so amounts stay
 * exact. JSON and JSON Lines leave out held, sent and cut amounts that are
 * zero: those come back NULL.
 */
#ifndef FUNDTRACE_TRACE_READ_H
#define FUNDTRACE_TRACE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"

typedef enum ft_trace_file_format {
    FT_TRACE_FILE_JSONL,
    FT_TRACE_FILE_JSON,
    FT_TRACE_FILE_CSV,
} ft_trace_file_format;

typedef struct ft_trace_amount_in {
    const char *currency;
    const char *received, *held, *sent, *cut; /* NULL: not written (zero) */
} ft_trace_amount_in;

/* One account reached; borrowed from the reader until its next call. */
typedef struct ft_trace_node_in {
    const char *seed, *account, *first_time;
    int64_t hops;
    bool terminal, hub;
    const ft_trace_amount_in *amounts;
    uint32_t namounts;
    const char *const *txns; /* original transaction ids */
    uint32_t ntxns;
    bool has_txns; /* false in CSV */
    int64_t line;  /* where it is in the file */
} ft_trace_node_in;

typedef struct ft_trace_file ft_trace_file;

/* Opens a trace file ("-" is standard input). */
ft_status ft_trace_file_open(ft_trace_file **t, const char *path, ft_error *err);
ft_status ft_trace_file_open_buffer(ft_trace_file **t, const char *name, const char *data,
                                    size_t len, ft_error *err);

/* The next account reached, or *n NULL after the last; anything else is
 * an FT_EINPUT error naming file, line and column. */
ft_status ft_trace_file_next(ft_trace_file *t, const ft_trace_node_in **n, ft_error *err);

ft_trace_file_format ft_trace_file_format_of(const ft_trace_file *t);

void ft_trace_file_close(ft_trace_file *t);

#endif
