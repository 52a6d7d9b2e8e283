/*
 * periods.h - data cut into periods of time (issue 17, periods larger
 * than memory): `load --split-by month|week|day -o DIR` writes one
 * snapshot per period that has transfers and a manifest naming them, so
 * that a command needs only the periods its time window touches.
 *
 * Every period's snapshot has all the data's accounts, currencies and
 * sources, in the same numbering, and the transfers of its period (UTC:
 * a day from midnight, an ISO week from Monday, a month from the 1st), so
 * that state kept by account number (balances, traced holdings) carries
 * from one period to the next unchanged.
 *
 * The manifest, DIR/manifest.tsv, is text:
 *
 *   fundtrace-periods 1 UNIT
 *   PERIOD <tab> FROM <tab> UNTIL <tab> FILE <tab> ROWS
 *
 * one line per period in time order; FROM and UNTIL (exclusive) as ISO
 * 8601 UTC, FILE relative to the manifest's directory.
 */
#ifndef FUNDTRACE_PERIODS_H
#define FUNDTRACE_PERIODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/store.h"

#define FT_PERIOD_NAME 48 /* room for a name, any year an int64 of ms can hold */

typedef enum ft_period_unit { FT_PERIOD_DAY, FT_PERIOD_WEEK, FT_PERIOD_MONTH } ft_period_unit;

/* "day", "week", "month"; false for anything else. */
bool ft_period_unit_parse(const char *name, ft_period_unit *u);
const char *ft_period_unit_name(ft_period_unit u);

/* The start of the period holding ms, and of the one after it. */
int64_t ft_period_start(ft_period_unit u, int64_t ms);
int64_t ft_period_next(ft_period_unit u, int64_t start);
/* Its name: "2024-03-05", "2024-W09" (ISO week), "2024-03". */
void ft_period_name(ft_period_unit u, int64_t start, char buf[FT_PERIOD_NAME]);

typedef struct ft_period {
    char name[FT_PERIOD_NAME];
    int64_t from_ms, until_ms; /* [from, until) */
    char *file;                /* relative to the manifest's directory */
    int64_t rows;
} ft_period;

typedef struct ft_manifest {
    ft_period_unit unit;
    ft_period *v; /* in time order */
    size_t n;
    char *dir; /* the manifest's directory */
} ft_manifest;

/* Writes one snapshot per period of s (sorted) into dir (made if
 * missing), and the manifest last (atomically): a reader sees the old
 * manifest or the new, complete one. m (may be NULL) gets the periods. */
ft_status ft_periods_split(const ft_store *s, ft_period_unit u, const char *dir, ft_manifest *m,
                           ft_error *err);

/* Reads DIR/manifest.tsv or a manifest's path; errors name file and line. */
ft_status ft_manifest_read(ft_manifest *m, const char *path, ft_error *err);
/* Whether path is a manifest (its first line). */
bool ft_manifest_is(const char *path);
void ft_manifest_free(ft_manifest *m);

/* The periods [*first, *last) that transfers from since_ms to until_ms
 * (inclusive; INT64_MIN / INT64_MAX: open) may fall in. */
void ft_manifest_select(const ft_manifest *m, int64_t since_ms, int64_t until_ms, size_t *first,
                        size_t *last);

/* The whole data's figures a command needs when it maps only some of the
 * periods, to give what it gives over all of them: every account's
 * transfers out and in (trace and paths take accounts with many for hubs
 * and do not pass through them) and the transfers per currency (paths
 * --maxflow's default currency, the most used). ft_periods_split writes
 * them beside the manifest, DIR/whole.bin, before it; the file names the
 * data by its inputs' SHA-256 (which every period's snapshot also
 * carries), its transfers, accounts and currencies, and has a checksum.
 * (Scan's profile cannot be kept so: its detectors weigh each candidate
 * against its account's whole history, so a scan reads every period; see
 * fundtrace-scan(1).) */
typedef struct ft_period_whole {
    bool present; /* false: the split wrote none (an older fundtrace) */
    int64_t ntxn; /* transfers in all periods */
    uint32_t naccounts;
    uint16_t ncurrencies;
    uint32_t *deg_out, *deg_in; /* per account */
    int64_t *per_currency;      /* transfers per currency */
} ft_period_whole;

/* The figures of the store s of all of m's periods (sorted), written
 * atomically to m->dir/whole.bin. */
ft_status ft_period_whole_write(const ft_manifest *m, const ft_store *s, ft_error *err);
/* Reads m's figures and checks them against s, a store of some of m's
 * periods: FT_EINPUT naming the file when they are of other data (other
 * inputs, accounts or currencies, or not the manifest's transfers),
 * FT_ECORRUPT when damaged; w->present false (FT_OK) when there are
 * none. */
ft_status ft_period_whole_read(ft_period_whole *w, const ft_manifest *m, const ft_store *s,
                               ft_error *err);
void ft_period_whole_free(ft_period_whole *w);

/* The periods [first, last) of m read as one store (sorted, as the whole
 * data's rows from the first of them to the end of the last). One period
 * alone is better mapped with ft_snapshot_read. */
ft_status ft_periods_load(ft_store *s, const ft_manifest *m, size_t first, size_t last,
                          ft_error *err);

/* --- a time range of the data (scan --lookback) -------------------------------------------- */

/* start less back, saturating at INT64_MIN (an open start stays open). */
int64_t ft_time_back(int64_t start, int64_t back);

/* The transfers of s (sorted) with time from from_ms to until_ms (both
 * inclusive; INT64_MIN / INT64_MAX: open) as a store of their own: what a
 * load of only those rows gives to every command, with all of s's
 * accounts (in the same numbering), currencies, sources, rates and
 * tokens, and the rows in s's order. */
ft_status ft_store_range(ft_store *out, const ft_store *s, int64_t from_ms, int64_t until_ms,
                         ft_error *err);

/* The time of the last transfer of m's data (its last period's last):
 * maps that period alone. */
ft_status ft_manifest_last_time(const ft_manifest *m, int64_t *ms, ft_error *err);

/* The transfers of m's data from from_ms to until_ms (inclusive) as one
 * store, as ft_store_range gives them from a store of every period, but
 * mapping only the periods that overlap the range: [*first, *last) of m
 * (when none does, the one nearest, for the data's accounts; the store
 * then has no transfers). */
ft_status ft_periods_load_range(ft_store *s, const ft_manifest *m, int64_t from_ms,
                                int64_t until_ms, size_t *first, size_t *last, ft_error *err);

/* The whole data's rows rows[0 .. n) (ascending; row numbers count from
 * the first period's first row) as a store of their own, with the data's
 * accounts, currencies and sources: what a streamed trace names its trail
 * by. Maps one period at a time. */
ft_status ft_periods_rows(ft_store *s, const ft_manifest *m, const uint32_t *rows, size_t n,
                          ft_error *err);

/* The rows rows[0 .. n) of p (ascending, so p's order is kept) as a store
 * of their own, with all of p's accounts (in the same numbering),
 * currencies, sources, rates and tokens: a party's share of the data
 * (study.h). */
ft_status ft_store_rows(ft_store *s, const ft_store *p, const uint32_t *rows, size_t n,
                        ft_error *err);

#endif
