/*
 * alerts_read.h - the one reader of alerts files, in every format scan
 * writes them: JSON Lines (--format jsonl), a JSON array (--format json)
 * and CSV (--format csv), told apart by their first byte. eval, clusters
 * --alerts and export --alerts all read alerts through it. The provenance
 * record (provenance.h) is skipped: JSON Lines' first line, the JSON
 * object around the array, CSV's '#' lines before the header.
 *
 * Alerts come one at a time (memory follows the largest alert, except on
 * standard input, which is read whole first). An alert needs an id, a kind
 * and its transactions; the other fields are passed on when the format has
 * them (CSV has no amount or params). In CSV, accounts and transactions
 * are joined by spaces, as scan writes them, so ids with spaces do not
 * survive that format.
 */
#ifndef FUNDTRACE_ALERTS_READ_H
#define FUNDTRACE_ALERTS_READ_H

#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"

typedef enum ft_alerts_format {
    FT_ALERTS_JSONL,
    FT_ALERTS_JSON,
    FT_ALERTS_CSV,
} ft_alerts_format;

/* One alert as read. Every string is NUL-terminated and borrowed from the
 * reader until its next ft_alerts_next; NULL when the file has no such
 * field. */
typedef struct ft_alert_in {
    const char *id, *kind;
    const char *score;                  /* as written, e.g. "0.875" */
    const char *first_time, *last_time; /* as written */
    const char *explanation, *params;
    const char *const *accounts; /* the main account first */
    uint32_t naccounts;
    const char *const *txns; /* original transaction ids */
    uint32_t ntxns;
    const char *const *amount_currency; /* the amount per currency (JSON only) */
    const char *const *amount;          /* decimal text, e.g. "1250.00" */
    uint32_t namounts;
    int64_t line; /* where the alert starts in the file */
} ft_alert_in;

typedef struct ft_alerts_reader ft_alerts_reader;

/* Opens an alerts file ("-" is standard input). */
ft_status ft_alerts_open(ft_alerts_reader **r, const char *path, ft_error *err);

/* As ft_alerts_open, over `len` bytes of memory (borrowed until
 * ft_alerts_close) that `name` names in errors. */
ft_status ft_alerts_open_buffer(ft_alerts_reader **r, const char *name, const char *data,
                                size_t len, ft_error *err);

/* The next alert, or *a NULL after the last. Anything that is not an
 * alert is an FT_EINPUT error naming file, line and column. */
ft_status ft_alerts_next(ft_alerts_reader *r, const ft_alert_in **a, ft_error *err);

/* The file's format (known once opened). */
ft_alerts_format ft_alerts_format_of(const ft_alerts_reader *r);

void ft_alerts_close(ft_alerts_reader *r);

#endif
