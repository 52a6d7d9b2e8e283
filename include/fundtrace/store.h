/*
 * store.h - the columnar transaction table, the account table and the load
 * report, everything a command works on.
 *
 * Transactions are columns: one array per field, indexed by transaction
 * number, grown together by doubling. After ft_store_finish() they are
 * sorted by time (stable: ties keep input order), and the transaction
 * number is also the igraph edge id. Optional columns exist only when some
 * input had the field, so a file without memos costs no memo column.
 *
 * A store is filled by ingest (ft_ingest_*) or read from a snapshot, in
 * which case its arrays are borrowed from the file mapping and it cannot
 * grow. Either way ft_store_free() releases it.
 */
#ifndef FUNDTRACE_STORE_H
#define FUNDTRACE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/money.h"
#include "fundtrace/pool.h"

/* Limits: transaction numbers and account ids are uint32. */
#define FT_MAX_TXNS     ((int64_t)UINT32_MAX - 1)
#define FT_MAX_SMALL_ID 65535 /* currencies, channels, source files */

/* txid value for a row whose input had no id: its id is "file:line". */
#define FT_TXID_DERIVED INT64_MIN

typedef enum ft_col {
    FT_COL_TS,
    FT_COL_AMOUNT,
    FT_COL_SRC,
    FT_COL_DST,
    FT_COL_CUR,
    FT_COL_LINE,
    FT_COL_FILE,
    FT_COL_CHANNEL,
    FT_COL_LABEL,
    FT_COL_MEMO,
    FT_COL_TXID,
    FT_COL_AMOUNT_RECV,
    FT_COL_CUR_RECV,
    FT_COL_VALUE_MS, /* statements: the value date */
    FT_COL_E2E,      /* statements: the payer's end-to-end id */
    FT_COL_CP_NAME,  /* statements: the counterparty's name as written */
    FT_COL_SIDE,     /* statements: whose statement the row came from */
    FT_COL_COUNT
} ft_col;

/* "No time" in value_ms. */
#define FT_TIME_NONE INT64_MIN

/* Whose view of a transfer a row is: a two-sided record (a bank's or a
 * data set's), the payer's statement (src is the statement's account),
 * the payee's, or both once the two were merged. */
enum { FT_SIDE_NONE = 0, FT_SIDE_DEBIT = 1, FT_SIDE_CREDIT = 2, FT_SIDE_BOTH = 3 };

typedef struct ft_txns {
    int64_t n, cap;
    int64_t *ts_ms;       /* ms since 1970-01-01T00:00:00Z */
    int64_t *amount;      /* minor units of cur[i] */
    uint32_t *src, *dst;  /* dense account ids */
    uint16_t *cur;        /* index into the store's currencies */
    uint32_t *line;       /* line of the row's first byte in its file */
    uint16_t *file;       /* index into sources; NULL: every row is from source 0 */
    uint16_t *channel;    /* channel id + 1, 0 = none; NULL: no input had one */
    uint32_t *label;      /* label id + 1, 0 = none; NULL: no input had labels */
    uint64_t *memo;       /* offset into strings, 0 = none; NULL: no memos */
    int64_t *txid;        /* >= 0 numeric id; < 0 -(offset into strings);
                             FT_TXID_DERIVED: none; NULL: none at all */
    int64_t *amount_recv; /* IBM's received leg, minor units of cur_recv[i] */
    uint16_t *cur_recv;
    int64_t *value_ms; /* FT_TIME_NONE: none */
    uint64_t *e2e;     /* offset into strings, 0 = none */
    uint64_t *cp_name; /* offset into strings, 0 = none */
    uint8_t *side;     /* FT_SIDE_* */
} ft_txns;

/* One row to append; fields of absent columns are ignored. */
typedef struct ft_row {
    int64_t ts_ms, amount, amount_recv, txid, value_ms;
    uint64_t memo, e2e, cp_name;
    uint32_t src, dst, line, label;
    uint16_t cur, cur_recv, file, channel;
    uint8_t side;
} ft_row;

/* Why a row was rejected. The names are part of the output contract. */
typedef enum ft_reject {
    FT_REJ_QUOTES,       /* a quote where CSV does not allow one */
    FT_REJ_UNTERMINATED, /* a quoted field still open at the end of input */
    FT_REJ_FIELD_COUNT,  /* more or fewer fields than the header */
    FT_REJ_NUL,          /* a NUL byte in a field */
    FT_REJ_TIMESTAMP,    /* not a timestamp */
    FT_REJ_DATE,         /* a timestamp that cannot exist: Feb 30, 25:00 */
    FT_REJ_AMOUNT,       /* not a decimal number, or empty */
    FT_REJ_THOUSANDS,    /* digit grouping: 1,234.56 */
    FT_REJ_DECIMALS,     /* more decimals than the currency has */
    FT_REJ_NEGATIVE,     /* below zero */
    FT_REJ_OVERFLOW,     /* too large for int64 minor units */
    FT_REJ_CURRENCY,     /* not a known currency */
    FT_REJ_ACCOUNT,      /* an empty account */
    FT_REJ_DEBIT_CREDIT, /* a statement row both debit and credit, or a bad D/C mark */
    FT_REJ_RECORD,       /* an MT940 or camt record that breaks its format */
    FT_REJ_DUPLICATE_ID, /* an id loaded before with other fields */
    FT_REJ_COUNT
} ft_reject;

/* "malformed_quotes", "bad_amount", ... */
const char *ft_reject_name(ft_reject r);

/* One input file, as the provenance record keeps it. */
typedef struct ft_source {
    char *path;      /* as given on the command line; "-" is standard input */
    char *layout;    /* "generic", "ibm", "amlsim", "paysim", "mapped" */
    uint64_t bytes;  /* bytes read from the file (compressed size for .gz) */
    char sha256[65]; /* of those bytes */
    int64_t mtime;   /* seconds since the epoch; 0 for standard input */
    int64_t rows_read, rows_loaded, rows_rejected;
    /* What the load learnt about the file (snapshot format 2). */
    char encoding[24];      /* transcoded from; "utf-8" when read as it was */
    char decimal_mark;      /* '.' or ',' */
    uint8_t decimal_from;   /* FT_FROM_* */
    int64_t bad_text_lines; /* lines not valid in the encoding, kept as they were */
    int64_t first_bad_text_line;
    int64_t duplicates; /* rows that copied earlier ones, kept once */
    int64_t merged;     /* statement rows merged into the other side's */
    int64_t statements; /* MT940 or camt statements read */
} ft_source;

/* Where a file's decimal mark came from. */
enum { FT_FROM_DEFAULT = 0, FT_FROM_DETECTED, FT_FROM_OPTION, FT_FROM_LAYOUT };

/* A row that did not become a transaction of its own: a copy of a row
 * loaded before (kind FT_DUP_COPY), or the payee's view of a transfer
 * merged into the payer's (FT_DUP_MERGE). Both places are kept, as
 * file index and line, so that the provenance of the kept transaction
 * names every source it came from. */
typedef struct ft_dup_record {
    uint8_t kind;
    uint8_t pad;
    uint16_t kept_file, other_file;
    uint16_t pad2;
    uint32_t kept_line, other_line;
} ft_dup_record;

enum { FT_DUP_COPY = 1, FT_DUP_MERGE = 2 };

typedef struct ft_load_report {
    int64_t rows_read, rows_loaded, rows_rejected;
    int64_t by_reason[FT_REJ_COUNT];
    int64_t amounts_rounded; /* float-written amounts rounded to their currency */
    ft_source *sources;
    int nsources, cap;
    char *options; /* the load options, as text, for the provenance record */
    int64_t duplicates, merges; /* records of each kind in dups */
    ft_dup_record *dups;
    int64_t ndups, dups_cap;
} ft_load_report;

/* Per account, in and out transfers in time order (CSR); transfers at one
 * time in the tie order (ft_store_txn_cmp), not the rows' order. */
typedef struct ft_adjacency {
    uint32_t nacc;
    uint32_t *out_off, *in_off; /* [nacc + 1] */
    uint32_t *out_txn, *in_txn; /* [n] transaction numbers in time, then tie order */
} ft_adjacency;

/* Transaction numbers by original id, as a hash table laid out in two
 * arrays: bucket b (the low bits of the XXH64, seed 0, of the id's text
 * as ft_store_txid writes it) holds txn[off[b] .. off[b + 1]), ascending.
 * Built on first use or mapped from a snapshot. */
typedef struct ft_txid_map {
    uint32_t nbuckets; /* a power of two; 0: not built */
    uint32_t *off;     /* [nbuckets + 1] */
    uint32_t *txn;     /* [n] */
    bool borrowed;     /* the arrays belong to a snapshot mapping */
} ft_txid_map;

typedef struct ft_store {
    ft_txns t;
    ft_intern accounts; /* "bank:account" or "account" */
    ft_intern channels;
    ft_intern labels;
    ft_pool strings; /* memos and non-numeric transaction ids */
    ft_currency *currencies;
    int ncurrencies, cur_cap;
    ft_load_report report;
    bool sorted;      /* ft_store_finish has run */
    ft_adjacency adj; /* built by ft_store_adjacency, NULL arrays until then */
    ft_txid_map txids; /* built by ft_store_txid_index */
    double *rates;    /* per currency: one unit in the base currency; NULL: no rates */
    char rate_base[4];
    void *map;        /* snapshot mapping the arrays are borrowed from */
    size_t map_len;
    char *pseudo; /* ft_store_pseudonymise's tokens, FT_PSEUDO_LEN + 1 bytes each; NULL: none */
} ft_store;

/* Element size of column c. */
size_t ft_col_size(ft_col c);

/* The array of column c (NULL when absent). */
void *ft_store_col(const ft_store *s, ft_col c);

/* Makes optional column c exist, filling the rows so far with "none". */
ft_status ft_store_enable(ft_store *s, ft_col c, ft_error *err);

/* Appends one row. The caller validated it; this only fails for memory or
 * limits. */
ft_status ft_store_append(ft_store *s, const ft_row *row, ft_error *err);

/* The currency id for `c`, adding it when new. If c->exponent is larger
 * than the exponent the store counts that currency in, every amount
 * already stored in it is rescaled (exactly) to the larger one. The
 * exponent amounts must be given in is in s->currencies[*id].exponent. */
ft_status ft_store_currency(ft_store *s, const ft_currency *c, uint16_t *id, ft_error *err);

/* Drops the rows marked in `drop` (one flag per row), keeping the order
 * of the others. */
ft_status ft_store_remove(ft_store *s, const uint8_t *drop, ft_error *err);

/* Records that a row was folded into another (kind FT_DUP_*). */
ft_status ft_store_add_dup(ft_store *s, int kind, uint16_t kept_file, uint32_t kept_line,
                           uint16_t other_file, uint32_t other_line, ft_error *err);

/* Sorts by time (stable), trims spare capacity. Call once loading ends. */
ft_status ft_store_finish(ft_store *s, ft_error *err);

/* Builds s->adj unless built. */
ft_status ft_store_adjacency(ft_store *s, ft_error *err);

/* The first transaction at or after ms (after: strictly after ms), by
 * binary search on the sorted times; s->t.n when there is none. */
uint32_t ft_store_first_at(const ft_store *s, int64_t ms, bool after);

/* Reads a rates table: "base = EUR" and then "CODE = RATE" lines (one
 * unit of CODE is RATE units of the base), '#' comments. Every currency of
 * the store needs a rate (the base's is 1); a bad line is
 * "path:line: reason". The analysis amount of transaction i is then
 * ft_store_analysis(s, i): its amount in base units (a double: derived,
 * for ranking and weighting, never instead of the exact amount). */
ft_status ft_store_rates_load(ft_store *s, const char *path, ft_error *err);
double ft_store_analysis(const ft_store *s, int64_t i);

/* Writes transaction i's id into buf: its numeric or text id, else
 * "file:line" (file = base name of its source). Returns the length. */
size_t ft_store_txid(const ft_store *s, int64_t i, char *buf, size_t cap);

/* Builds s->txids unless it is built (or came with a snapshot, which
 * carries it): 6 to 8 bytes per transaction. */
ft_status ft_store_txid_index(ft_store *s, ft_error *err);

/* Builds a map of s's ids into *m (for a store that cannot change, such
 * as the one a snapshot is written from); ft_txid_map_free releases it. */
ft_status ft_txid_map_build(const ft_store *s, ft_txid_map *m, ft_error *err);
void ft_txid_map_free(ft_txid_map *m);

/* The transaction whose id (as ft_store_txid writes it) is id[0 .. len),
 * the first in the store's order when several share it. False when none
 * has it. Needs ft_store_txid_index first. */
bool ft_store_find_txid(const ft_store *s, const char *id, size_t len, uint32_t *txn);

/* --- the order of transfers at one time ------------------------------------------------
 *
 * Money that arrives at time t may leave at time t. Within one timestamp,
 * whatever order the input rows had, transfers are taken in this order:
 *
 *   1. credits before debits: a transfer out of an account waits until
 *      every other transfer into that account at that time has been made;
 *   2. otherwise, by ft_store_txn_cmp (smaller amount first, then by id);
 *   3. when the transfers at one time wait on each other in a circle (A
 *      pays B and B pays A in the same second), the first waiting one by
 *      rule 2 goes first, and the others follow the rules again.
 *
 * So the same rows in any order give the same order, and money can run
 * along a chain of transfers that share a timestamp.
 */

/* The tie order of transfers: time, then amount in minor units (smaller
 * first), then id (numeric ids by value before text ids, text ids byte by
 * byte), then currency code, payer's key, payee's key. Rows equal in all of
 * these are interchangeable for every result; the transaction number
 * decides between them. */
int ft_store_txn_cmp(const ft_store *s, uint32_t a, uint32_t b);

/* Sorts transaction numbers by ft_store_txn_cmp, and account ids by key
 * (byte by byte): orders that do not depend on the input's row order. */
ft_status ft_store_sort_txns(const ft_store *s, uint32_t *txns, uint32_t n, ft_error *err);
ft_status ft_store_sort_accounts(const ft_store *s, uint32_t *ids, uint32_t n, ft_error *err);

/* Writes into order[0 .. n) every transaction number in the order money
 * moves through them: forward, by time and the rules above; backward
 * (where money came from), latest first and the rules applied to the
 * reversed history, in which an account's debits are its credits (so, at
 * one time, a transfer into an account comes after every transfer out of
 * it, and the tie order compares the payee's key before the payer's). */
ft_status ft_store_flow_order(const ft_store *s, bool backward, uint32_t *order, ft_error *err);

/* The account key of id (borrowed). */
const char *ft_store_account(const ft_store *s, uint32_t id, size_t *len);
/* What outputs show for account id: its token when the store is
 * pseudonymised (pseudo.h), else its key. Every writer of results names
 * accounts through this; detection and lookups use the key. */
const char *ft_store_account_shown(const ft_store *s, uint32_t id, size_t *len);

/* Adds a source record and returns its index in *idx. */
ft_status ft_store_add_source(ft_store *s, const char *path, int *idx, ft_error *err);

void ft_store_free(ft_store *s);

#endif
