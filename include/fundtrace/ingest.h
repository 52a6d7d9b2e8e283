/*
 * ingest.h - reading transaction CSVs into a store.
 *
 * Input is streamed: plain or gzip (recognised by its magic bytes, not its
 * name), a file or standard input ("-"), with or without a UTF-8 BOM, LF
 * or CRLF line ends, quoted fields holding delimiters, quotes and line
 * breaks. libcsv splits fields; memory grows with the longest row, not with
 * the file.
 *
 * Every data row is either loaded or rejected with a reason; the store's
 * report counts both, so rows read = loaded + rejected always. A rejected
 * row is handed to the caller's callback with its location and its bytes
 * exactly as they were in the file. Locations are "path:line:column": the
 * line of the offending field's first byte, and the 1-based field number.
 */
#ifndef FUNDTRACE_INGEST_H
#define FUNDTRACE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/money.h"
#include "fundtrace/schema.h"
#include "fundtrace/store.h"

typedef struct ft_reject_info {
    const char *path;
    int64_t line;       /* 1-based */
    int64_t column;     /* 1-based field number; 0 when the row as a whole is at fault */
    ft_reject reason;
    const char *message; /* e.g. "amount '12,5.0' is not a decimal number" */
    const char *raw;     /* the row's bytes as read, line ends included */
    size_t raw_len;
} ft_reject_info;

typedef void (*ft_reject_fn)(void *ctx, const ft_reject_info *r);

/* Called after each batch of rows (some thousands) with the file and the
 * rows read from it so far; for progress displays. */
typedef void (*ft_progress_fn)(void *ctx, const char *path, int64_t rows_read);

typedef struct ft_load_options {
    const ft_map *map;                   /* may be NULL */
    char delimiter;                      /* 0: the most frequent of , ; TAB | in the header */
    const ft_currency_defs *currencies;  /* may be NULL */
    const char *default_currency;        /* rows of layouts without a currency column;
                                            NULL: USD for AMLSim and PaySim, an error for
                                            other layouts */
    int64_t epoch_ms;                    /* PaySim step 0 */
    bool strict;                         /* stop at the first bad row (FT_EINPUT) */
    ft_reject_fn on_reject;              /* may be NULL */
    void *reject_ctx;
    ft_progress_fn on_progress;          /* may be NULL */
    void *progress_ctx;
} ft_load_options;

/* Reads one file ("-" for standard input) into s, adding its source record.
 * Rows are appended in input order; call ft_store_finish when all files
 * are in (ft_ingest_files does). Returns FT_EUSAGE for an unrecognised
 * header, FT_EIO for a read error, FT_EINPUT in strict mode at a bad row. */
ft_status ft_ingest_file(ft_store *s, const char *path, const ft_load_options *o, ft_error *err);

/* As ft_ingest_file, reading `len` bytes of memory; `name` stands in for
 * the path in messages and provenance. */
ft_status ft_ingest_buffer(ft_store *s, const char *name, const void *data, size_t len,
                           const ft_load_options *o, ft_error *err);

/* Reads every file in order, then sorts the store by time. */
ft_status ft_ingest_files(ft_store *s, const char *const *paths, int npaths,
                          const ft_load_options *o, ft_error *err);

#endif
