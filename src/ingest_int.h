/*
 * ingest_int.h - what the statement readers (mt940.c, camt.c) share with
 * ingest.c: one entry of one account's statement, and the sink that turns
 * entries into transfers, rejects and counts. Private to the library.
 */
#ifndef FUNDTRACE_INGEST_INT_H
#define FUNDTRACE_INGEST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/ingest.h"

/* A text span of the input; len 0 is "none". */
typedef struct ft_span {
    const char *s;
    size_t len;
} ft_span;

/* One statement entry, the account's view of one transfer. Spans are
 * borrowed for the call. */
typedef struct ft_stmt_entry {
    int64_t line;       /* where the entry starts */
    ft_span own;        /* the statement's account, as written */
    int64_t booking_ms; /* FT_TIME_NONE when only the value date is known */
    int64_t value_ms;   /* FT_TIME_NONE: none */
    bool zoned;         /* booking_ms was given with its zone (camt DtTm) */
    int64_t amount;     /* minor units of cur, >= 0 */
    bool debit;         /* money left the account */
    ft_currency cur;
    ft_span cp_name, cp_iban, purpose, e2e, ref, channel;
} ft_stmt_entry;

/* Turns entries into rows of one source of the store. */
typedef struct ft_stmt_sink {
    ft_store *s;
    const ft_load_options *o;
    const char *path;
    int src_idx;
    ft_error *err;
    ft_status rc; /* first fatal error */
    char *key[2];
    size_t keycap[2];
    char *scratch;
    size_t scratch_cap;
    struct {
        ft_currency cur;
        uint16_t id;
    } ids[32];
    int nids;
    bool columns_on;
} ft_stmt_sink;

/* Appends entry e as a transfer (counted as read and loaded), or rejects
 * it with a reason when it cannot be one. Returns the sink's status: not
 * FT_OK after a fatal error (memory, limits, strict mode). */
ft_status ft_stmt_commit(ft_stmt_sink *k, const ft_stmt_entry *e);

/* Counts a read entry as rejected and reports it. col 0: the entry as a
 * whole. */
void ft_stmt_reject(ft_stmt_sink *k, int64_t line, int64_t col, ft_reject why, const char *raw,
                    size_t raw_len, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Reports a note on the sink's file (formatted). */
void ft_stmt_note(ft_stmt_sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Account keys: an IBAN without spaces in capitals, else the text with
 * spaces collapsed; a name in capitals (ASCII and Latin-1 letters) with
 * spaces collapsed. `out` needs `len` bytes; returns the length. */
size_t ft_norm_account(const char *s, size_t len, char *out);
size_t ft_norm_name(const char *s, size_t len, char *out);

/* The readers. Each reads the whole input (f, or fd/mem), committing
 * entries into k; a statement whose balances do not add up, or a record
 * out of order, is rejected with its location. Returns FT_OK, or a fatal
 * status with err set. */
ft_status ft_mt940_read(ft_stmt_sink *k, FILE *f, ft_error *err);
ft_status ft_camt_read(ft_stmt_sink *k, int fd, const void *mem, size_t len, ft_error *err);

#endif
