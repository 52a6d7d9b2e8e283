/*
 * study.h - feasibility studies (issue 19): what a scan finds when the
 * data is pooled in one system and when each jurisdiction sees only its
 * own share (siloed), and how much data each arrangement shows to parties
 * outside the jurisdiction it comes from.
 *
 * Jurisdictions. Every account has one, or none ("outside": no party of
 * the study holds it):
 *   - a line of the jurisdiction map (`bank_or_prefix,jurisdiction`) that
 *     matches the bank part of its key (the text before the first ':';
 *     the whole key when there is none): the exact bank id, else the
 *     longest entry ending in '*' whose rest starts it; a jurisdiction of
 *     "-" is outside;
 *   - else the country of its key as scan takes it (scan.h): the first
 *     two letters of an IBAN, or of a bank code before ':';
 *   - else outside.
 *
 * Arrangements (a party holds a transfer when it sees it):
 *   - pooled: one central party, of no jurisdiction, holds every
 *     transfer; its scan is the plain scan of all the data;
 *   - siloed: one party per jurisdiction, holding every transfer whose
 *     payer or payee is of it; each scans its share alone, and the
 *     arrangement's alerts are all parties' alerts, one per alert id;
 *   - federated: the siloed parties, which also exchange pseudonymised
 *     matches. Round after round, each party asks the others about the
 *     accounts of other jurisdictions (or outside every one) that its
 *     alerts name: a match query, the account's token, sent to every
 *     other party. Each party holding transfers of that account which the
 *     asking party does not hold answers with them (records, accounts as
 *     tokens), and the asking party scans its share with what it received
 *     again. Rounds end when no party has a new question, or after
 *     match_rounds rounds of questions; the arrangement's alerts are the
 *     parties' last scans', one per id.
 *     Traces are federated by handoffs (handoff.h).
 *
 * Bytes exchanged count what the arrangement itself sends, as JSON lines
 * with accounts as tokens (pseudo.h): a match query
 * {"kind":"match","account":TOKEN}, a record {"kind":"record","txn":ID,
 * "time":"2024-03-01T00:00:00Z","from":TOKEN,"to":TOKEN,"amount":"60.00",
 * "currency":"EUR"}, a handoff as trace --handoff-out writes it. Pooled: every transfer as a record
 * with the accounts' own ids, sent once to the centre. Siloed: nothing (a cross-border payment
 * reaches the payee's bank by itself).
 *
 * Cost, per arrangement. A transfer's home is its payer's jurisdiction.
 *   - records crossing: transfers some party other than their home's
 *     holds (pooled: all; siloed: those whose payee is of another
 *     jurisdiction than the payer, and not outside; federated: those and
 *     the records received in answer to a match query);
 *   - accounts crossing: accounts with at least one transfer that a party
 *     other than their own jurisdiction's holds (pooled: every account
 *     with a transfer; siloed: every account with a counterparty of
 *     another jurisdiction that is not outside; federated: those and
 *     both ends of every record received);
 *   - share seen abroad: records crossing / all transfers.
 * Cross-border transfers: payer and payee of different jurisdictions
 * (outside counts as one).
 */
#ifndef FUNDTRACE_STUDY_H
#define FUNDTRACE_STUDY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/eval.h"
#include "fundtrace/output.h"
#include "fundtrace/scan.h"
#include "fundtrace/store.h"
#include "fundtrace/trace.h"

#define FT_JUR_LEN  16         /* a jurisdiction's name and its NUL */
#define FT_JUR_NONE UINT16_MAX /* outside: no party */

typedef struct ft_jurisdictions {
    uint16_t *of; /* per account: index into names, or FT_JUR_NONE */
    uint32_t naccounts;
    char (*names)[FT_JUR_LEN]; /* sorted */
    uint16_t n;
} ft_jurisdictions;

/* Every account's jurisdiction (above); map_path NULL: no map. A bad map
 * line is FT_EINPUT "path:line:column: reason". */
ft_status ft_jurisdictions_make(const ft_store *s, const char *map_path, ft_jurisdictions *j,
                                ft_error *err);
void ft_jurisdictions_free(ft_jurisdictions *j);

enum { FT_STUDY_POOLED, FT_STUDY_SILOED, FT_STUDY_FEDERATED, FT_STUDY_NARR };

/* "pooled", "siloed", "federated". */
const char *ft_study_arrangement_name(int k);

typedef struct ft_study_options {
    ft_scan_params scan; /* every party's */
    int threads;
    int match_rounds; /* federated: rounds of questions and answers; 0: until nothing new */
    ft_eval_options eval;
} ft_study_options;

typedef struct ft_study_party {
    char name[FT_JUR_LEN];
    int64_t accounts;  /* of its jurisdiction (with a transfer or not) */
    int64_t transfers; /* it holds */
    uint32_t alerts;   /* its scan's */
} ft_study_party;

typedef struct ft_study_cost {
    uint32_t alerts; /* distinct alert ids */
    int64_t records_crossing, accounts_crossing;
    double share_seen_abroad; /* records_crossing / transfers; 0 without transfers */
    int64_t match_queries;    /* tokens sent (one per asked party) */
    int64_t records_exchanged; /* records sent (one per answering party) */
    int64_t bytes_exchanged;   /* queries and records (above); traces' handoffs apart */
    uint32_t rounds;           /* scan rounds (federated: the last asks nothing new) */
    double cpu_seconds;        /* the process's CPU time for the arrangement's scans */
} ft_study_cost;

/* Per pattern (the truth's and the alerts' kinds, by name), then
 * "overall". */
typedef struct ft_study_row {
    char name[48];
    int64_t instances;
    int64_t found[FT_STUDY_NARR], alerts[FT_STUDY_NARR], false_alerts[FT_STUDY_NARR];
    int64_t only_pooled, only_siloed; /* instances found under one and not the other */
    int64_t only_federated;           /* found federated and not siloed */
} ft_study_row;

/* Traces per arrangement: a seed's trace over the pooled data; siloed,
 * the same trace by the seed's party alone, in the accounts it holds; and
 * federated: each party (one per jurisdiction) traces in the accounts it
 * holds and hands the traced money that leaves for another party's
 * account to that party (handoff.h, in memory), round after round until
 * no party's handoffs change. Money paid to an account outside every
 * jurisdiction is not followed siloed or federated. */
typedef struct ft_study_trace_row {
    uint32_t seed;
    bool traced;                     /* siloed and federated too: the seed is of a jurisdiction */
    uint32_t reached[FT_STUDY_NARR]; /* accounts reached besides the seed (parties': held ones) */
    /* traced money the accounts reached besides the seed hold at the end,
     * in minor units, every currency's added up (exact for data in one
     * currency) */
    int64_t held[FT_STUDY_NARR];
    uint32_t rounds;          /* federated rounds, the last changing nothing */
    int64_t handoffs;         /* handoff records of the last round */
    int64_t handoff_accounts; /* distinct accounts they name (from and to) */
    int64_t handoff_bytes;    /* the last round's handoffs as trace --handoff-out writes them */
} ft_study_trace_row;

typedef struct ft_study_result {
    int64_t transfers, accounts, outside_accounts, cross_border;
    ft_study_party *parties; /* one per jurisdiction, by name */
    uint16_t nparties;
    ft_study_cost cost[FT_STUDY_NARR];
    bool labelled; /* rows below: scored against a truth */
    ft_study_row *rows;
    int nrows;
    ft_alerts pooled;           /* the pooled scan's alerts (the plain scan's) */
    ft_study_trace_row *traces; /* ft_study_trace's, when the caller adds them (malloc'd) */
    size_t ntraces;
    double trace_cpu_seconds[FT_STUDY_NARR]; /* ft_study_trace's CPU time per arrangement */
} ft_study_result;

/* The study of s (its adjacency built) under jurisdictions j; with a
 * truth in ev (its alerts are replaced), scored per pattern; ev NULL:
 * unlabelled. */
ft_status ft_study_run(const ft_store *s, const ft_jurisdictions *j, ft_eval *ev,
                       const ft_study_options *o, ft_study_result *r, ft_error *err);
void ft_study_result_free(ft_study_result *r);

/* The traces from seeds[0 .. n) under options o (s's adjacency built),
 * into rows[0 .. n); CPU time per arrangement added to cpu[] (NULL: not
 * measured). */
ft_status ft_study_trace(const ft_store *s, const ft_jurisdictions *j, const ft_trace_options *o,
                         bool backward, const uint32_t *seeds, size_t n, ft_study_trace_row *rows,
                         double cpu[FT_STUDY_NARR], ft_error *err);

/* The figures as JSON (the results object) or a table; s names the
 * traces' seeds. */
void ft_study_write(FILE *f, const ft_store *s, const ft_study_result *r, ft_format fmt);

#endif
