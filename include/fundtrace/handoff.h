/*
 * handoff.h - parties that cannot pool their data (issue 17, section 5):
 * each holds the transfers of its own banks' accounts, traces in its own
 * data, and hands the traced money that leaves for accounts it does not
 * hold to the parties that hold them.
 *
 * A party's accounts are named by --local-banks LIST: comma-separated
 * bank ids, matched against the bank part of each account key (the text
 * before the first ':', present when the data has a bank column: keys are
 * "bank:account"); an entry ending in '*' matches every bank id that
 * starts with the rest ("DE*": every German bank in data whose bank ids
 * start with the country, as IBAN-derived ids and fundtrace synth's do).
 * Keys without a bank part (data without a bank column, such as IBANs
 * alone) are matched as a whole: "DE*" then holds every IBAN of Germany.
 *
 * Handoffs are JSON Lines files, one per receiving bank (ft_handoff_route),
 * one record per traced part that crosses:
 *
 *   {"kind":"handoff","seed":S,"direction":"out","policy":"haircut",
 *    "hops_limit":6,"start":T,"end":T,"txn":ID,"time":T,"from":ACCOUNT,
 *    "to":ACCOUNT,"amount":"120.00","currency":"EUR","traced":"30.00",
 *    "hop":2}
 *
 * seed the seed as the trace's output names it; start and end the span of
 * the trace (null: open), which every party then uses; txn, time, amount
 * and currency the transfer's; traced the traced money in it, of `hop`
 * hops when it arrives (money of several hop counts: one record each).
 * With --pseudonymise, seed, from and to are the accounts' tokens (the
 * parties share the key); ids, times and amounts are as they are. Each
 * party sees only the traced amounts of the transfers that cross its
 * border.
 *
 * A party reads every other party's file (records for accounts it does
 * not hold are skipped), traces again with all of them, and writes its
 * own; when no party's file changes, the union of the parties' outputs
 * (each listing the accounts it holds) is the trace over the pooled data.
 * The rounds end within hops + 1 (the last only confirms): each round
 * carries the traced money one crossing further, and a handoff of k hops
 * depends only on traced money of fewer hops (trace.h: haircut's split
 * over hop counts and the breadth limit's choice are made so), which has
 * crossed at most k - 1 times; so every handoff is final after round k.
 */
#ifndef FUNDTRACE_HANDOFF_H
#define FUNDTRACE_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/store.h"
#include "fundtrace/trace.h"
#include "fundtrace/trace_batch.h"

/* local[a] = 1 when account a's bank is in `banks` (above); *local is
 * malloc'd, s->accounts.n entries. FT_EUSAGE when the list is empty. */
ft_status ft_local_accounts(const ft_store *s, const char *banks, uint8_t **local, ft_error *err);

/* One seed's traced money arriving from other parties. */
typedef struct ft_handoff_seed {
    char *label;              /* as the records name the seed */
    int64_t start_ms, end_ms; /* the trace's span (INT64_MIN / INT64_MAX: open) */
    ft_trace_crossing *in;
    uint32_t nin, cap;
} ft_handoff_seed;

typedef struct ft_handoff_set {
    ft_handoff_seed *v;
    uint32_t n, cap;
    size_t records, skipped; /* read; for accounts not held here */
} ft_handoff_set;

/* Adds the records of the file at `path` that bring traced money into
 * accounts held here (local) in transfers of s, for traces with options o
 * in the given direction; records for other parties are skipped. A record
 * of other options, a transfer that s does not have or that is not from
 * another party's account, an account that does not match, or a bad
 * field is FT_EINPUT naming file, line and column. */
ft_status ft_handoff_read(ft_handoff_set *hs, const ft_store *s, const uint8_t *local,
                          const ft_trace_options *o, bool backward, const char *path,
                          ft_error *err);
/* ft_handoff_read of DIR/ID.jsonl for each bank ID held here (those that
 * exist): what another party's --handoff-out DIR wrote for this one. */
ft_status ft_handoff_read_dir(ft_handoff_set *hs, const ft_store *s, const uint8_t *local,
                              const ft_trace_options *o, bool backward, const char *dir,
                              ft_error *err);
void ft_handoff_set_free(ft_handoff_set *hs);
/* The seed named `label`, or NULL. */
ft_handoff_seed *ft_handoff_find(ft_handoff_set *hs, const char *label);

/* Writes the crossings c[0 .. n) of one trace (r, seed as its output names
 * it) as records; accounts as s shows them (tokens when pseudonymised). */
void ft_handoff_write(FILE *f, const ft_store *s, const char *seed, const ft_trace_options *o,
                      const ft_trace_result *r, const ft_trace_crossing *c, size_t n);

/* Where records for an account go: its bank id (the key's part before the
 * first ':'), or for a key without one its first two characters (an
 * IBAN's country); characters other than letters, digits, '-', '_' and
 * '.' as '_'. `fundtrace trace --handoff-out DIR` writes DIR/ID.jsonl for
 * every bank of another party's in its data (empty when nothing goes
 * there), so that each party receives only the records of transfers into
 * its own banks. */
void ft_handoff_route(const ft_store *s, uint32_t account, char *buf, size_t cap);

/* A party's handoffs, one file per receiving bank: routes for every bank
 * of another party's in s (local says which accounts are held here);
 * records added trace by trace; written to DIR/ID.jsonl (DIR made if
 * missing), each file atomically, the empty ones too (nothing goes there
 * any more). */
typedef struct ft_handoff_out ft_handoff_out;
ft_status ft_handoff_out_new(ft_handoff_out **h, const ft_store *s, const uint8_t *local,
                             ft_error *err);
ft_status ft_handoff_out_add(ft_handoff_out *h, const ft_store *s, const char *seed,
                             const ft_trace_options *o, const ft_trace_result *r,
                             const ft_trace_crossing *c, size_t n, ft_error *err);
ft_status ft_handoff_out_write(ft_handoff_out *h, const char *dir, ft_error *err);
void ft_handoff_out_free(ft_handoff_out *h);

/* A party's traces: its own seeds (each held here: FT_EUSAGE naming the
 * first that is not), then the seeds of money other parties handed in
 * (hs, put in order of label, so that the same handoffs give the same
 * output whatever order their files had; a label among its own seeds is
 * money back at a seed and traced with it), each traced in s with the
 * money handed in for it and the border `local`. Writes each trace's held
 * part to out (ft_trace_write_held) and adds its crossings to ho (NULL:
 * none). *found: some trace reached an account other than its seed. */
ft_status ft_handoff_party_run(const ft_store *s, const ft_trace_index *ix,
                               const ft_trace_options *o, const ft_trace_seed *seeds, size_t nseeds,
                               const uint8_t *local, ft_handoff_set *hs, FILE *out,
                               ft_handoff_out *ho, bool *found, ft_error *err);

/* A party's share of one trace, as --format jsonl writes it: one line per
 * account reached that it holds (local), the seed's when seed_here.
 * Whether an account other than the seed is among them. */
bool ft_trace_write_held(FILE *f, const ft_store *s, const char *seed, const ft_trace_result *r,
                         const uint8_t *local, bool seed_here);

#endif
