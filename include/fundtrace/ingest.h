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
 *
 * Besides CSV, a file can be a bank statement: SWIFT MT940 (its first
 * field is ":20:", or a "{1:" block header comes first) or ISO 20022
 * camt.052/053/054 XML; both are recognised from their first bytes. A
 * statement's entries become transfers from or to its account.
 *
 * ft_ingest_files then reconciles what the files hold together: a row
 * that copies one loaded before (the same id and fields, or for rows
 * without ids the same fields in another file) is kept once, and a
 * transfer seen in both the payer's and the payee's statement is merged
 * into one; ft_load_report.dups records both places of each.
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

/* One thing wrong with a row. */
typedef struct ft_fault {
    int64_t line, column; /* as in ft_reject_info */
    ft_reject reason;
    const char *message;
} ft_fault;

typedef struct ft_reject_info {
    const char *path;
    int64_t line;       /* 1-based */
    int64_t column;     /* 1-based field number; 0 when the row as a whole is at fault */
    ft_reject reason;
    const char *message; /* e.g. "amount '12,5.0' is not a decimal number" */
    const char *raw;     /* the row's bytes as read, line ends included */
    size_t raw_len;
    /* Every fault of the row, the first being the one above. */
    const ft_fault *faults;
    int nfaults;
} ft_reject_info;

/* Something the load noticed about a file that is not a rejected row:
 * the decimal mark it guessed, lines that are not valid text, rows kept
 * once because they were loaded before, transfers merged from two
 * statements. `message` is a sentence without the path. */
typedef void (*ft_note_fn)(void *ctx, const char *path, const char *message);

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
    ft_note_fn on_note; /* may be NULL */
    void *note_ctx;
    /* Conventions (issue 15). */
    char decimal_mark;        /* '.' or ','; 0: guessed per file from its amounts */
    const char *date_format;  /* strftime-like (ft_time_parse_format); NULL: the
                                 built-in forms */
    const struct ft_tz *tz;   /* zone of times written without an offset; NULL: UTC */
    const char *encoding;     /* of the input (iconv's names, "cp1252", "latin1",
                                 "utf-16"); NULL: UTF-8 */
    const char *statement_of; /* every file is this account's statement */
    bool no_dedup;            /* keep copies and both views of a transfer */
    int64_t merge_window_ms;  /* statement views of one transfer are at most this
                                 far apart; 0: 3 days */
    int threads;              /* threads tokenising a large file; 0: one per core.
                                 The store and every message are the same for
                                 any number. */
    size_t slice_bytes;       /* the parallel reader's slices; 0: 8 MiB (tests) */
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

/* Reads every file in order, reconciles duplicates and the two views of
 * statement transfers (unless o->no_dedup), then sorts the store by
 * time. A load that keeps no row is FT_EINPUT. */
ft_status ft_ingest_files(ft_store *s, const char *const *paths, int npaths,
                          const ft_load_options *o, ft_error *err);

/* The reconciliation ft_ingest_files does, for stores filled file by
 * file: rows copied from earlier ones are dropped and recorded; an id
 * loaded before with other fields is rejected (reported through
 * o->on_reject, without raw bytes); the payer's and payee's views of a
 * transfer (the same accounts, amount and currency, and the same
 * end-to-end id, or none and booking times within o->merge_window_ms)
 * become one, the payer's, marked FT_SIDE_BOTH. Call before
 * ft_store_finish. */
ft_status ft_ingest_reconcile(ft_store *s, const ft_load_options *o, ft_error *err);

#endif
