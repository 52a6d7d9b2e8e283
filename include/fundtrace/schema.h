/*
 * schema.h - recognising an input layout from its header, and --map.
 *
 * A schema says which column holds each of our fields and how the layout's
 * values read: how time is written, what a label looks like, how many
 * decimals its amounts carry. Known layouts are recognised from the header
 * alone; anything else is described with --map FIELD=COLUMN options or a
 * map file of such lines.
 */
#ifndef FUNDTRACE_SCHEMA_H
#define FUNDTRACE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "fundtrace/error.h"

typedef enum ft_field {
    FT_F_TXID,
    FT_F_TIMESTAMP,
    FT_F_SRC,
    FT_F_DST,
    FT_F_AMOUNT,
    FT_F_CURRENCY,
    FT_F_CHANNEL,
    FT_F_MEMO,
    FT_F_SRC_BANK,
    FT_F_DST_BANK,
    FT_F_LABEL,
    FT_F_AMOUNT_RECV,
    FT_F_CURRENCY_RECV,
    FT_F_ALERT_ID, /* AMLSim: names the labelled instance */
    /* One account's statement: the row is that account's view. */
    FT_F_VALUE_DATE,
    FT_F_DEBIT,        /* money out of the account (its sign ignored) */
    FT_F_CREDIT,       /* money in */
    FT_F_DC_MARK,      /* D/C, S/H, DR/CR, Debit/Credit beside an unsigned amount */
    FT_F_COUNTERPARTY, /* the other side's name */
    FT_F_CP_IBAN,
    FT_F_CP_BIC,
    FT_F_ACCOUNT, /* the statement's own account, per row */
    FT_F_E2E,     /* the end-to-end id the payer gave */
    FT_F_COUNT
} ft_field;

typedef enum ft_layout {
    FT_LAYOUT_GENERIC,
    FT_LAYOUT_IBM,
    FT_LAYOUT_AMLSIM,
    FT_LAYOUT_PAYSIM,
    FT_LAYOUT_MAPPED,
    FT_LAYOUT_STATEMENT, /* one account's view, recognised from bank export headers */
    FT_LAYOUT_MT940,     /* not CSV: set by the statement readers */
    FT_LAYOUT_CAMT,
} ft_layout;

typedef enum ft_time_kind {
    FT_TIME_TEXT,       /* any form ft_time_parse reads */
    FT_TIME_STEP_HOURS, /* PaySim: whole hours after the epoch option */
} ft_time_kind;

typedef enum ft_label_kind {
    FT_LABEL_TEXT, /* the text is the label; empty is none */
    FT_LABEL_FLAG, /* "0", "false", "no" or empty is none; otherwise the text */
    FT_LABEL_SAR,  /* AMLSim: is_sar true labels the row with its alert_id */
} ft_label_kind;

typedef struct ft_schema {
    ft_layout layout;
    int col[FT_F_COUNT]; /* 0-based column of each field, -1 when absent */
    int ncols;           /* columns in the header */
    int min_exponent;    /* amounts carry at least this many decimals (IBM: 2) */
    bool float_amounts;  /* written from binary floats (AMLSim, PaySim): exponents
                            accepted, excess decimals rounded half to even */
    ft_time_kind time_kind;
    ft_label_kind label_kind;
    bool statement;        /* rows are one account's view (a statement) */
    char decimal_hint;     /* ',' for headers in German or French: the mark to
                              use when no amount shows it; 0: none */
    const char *date_hint; /* a --date-format to try when the built-in forms
                              fail (French headers: day first), or NULL */
} ft_schema;

/* One --map entry, parsed. */
typedef struct ft_map_entry {
    ft_field field;
    char *column; /* a header name, or a 1-based column number */
} ft_map_entry;

typedef struct ft_map {
    ft_map_entry *items;
    int n, cap;
} ft_map;

/* Parses "field=column" and adds it; FT_EUSAGE names the bad part. */
ft_status ft_map_add(ft_map *m, const char *spec, ft_error *err);

/* Adds every "field=column" line of a file ('#' comments, blank lines). */
ft_status ft_map_load(ft_map *m, const char *path, ft_error *err);

void ft_map_free(ft_map *m);

/* Recognises the layout of a header of `ncols` names (lengths in `lens`).
 * With a non-empty map the layout is FT_LAYOUT_MAPPED: columns named as in
 * the generic layout are taken, and the map adds or overrides. A header no
 * layout fits is FT_EUSAGE, with a message that lists the fields needed and
 * the columns seen. A schema may lack a currency column (AMLSim, PaySim, a
 * map without one): ingest then uses the --currency option. */
ft_status ft_schema_detect(ft_schema *sc, const char *const *names, const size_t *lens,
                           int ncols, const ft_map *map, const char *path, ft_error *err);

/* As ft_schema_detect. With `statement` (--statement-of was given) the
 * file must be one account's statement. A statement is recognised from
 * bank export headers in English, German or French (Buchungstag, Betrag,
 * Beguenstigter/Zahlungspflichtiger, Kontonummer/IBAN, Date opération,
 * Débit, Crédit, ...) or mapped with --map: a date, an amount (or debit
 * and credit columns), and a counterparty name or IBAN, without
 * src_account and dst_account. */
ft_status ft_schema_detect_ex(ft_schema *sc, const char *const *names, const size_t *lens,
                              int ncols, const ft_map *map, bool statement, const char *path,
                              ft_error *err);

/* "generic", "ibm", "amlsim", "paysim", "mapped", "statement", "mt940",
 * "camt". */
const char *ft_layout_name(ft_layout l);

/* Our name of a field, e.g. "src_account". */
const char *ft_field_name(ft_field f);

#endif
