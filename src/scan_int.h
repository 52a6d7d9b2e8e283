/*
 * scan_int.h - what the scan framework (scan.c) and the detectors
 * (detect_*.c) share; not part of the library's interface.
 */
#ifndef FUNDTRACE_SCAN_INT_H
#define FUNDTRACE_SCAN_INT_H

#include "fundtrace/scan.h"

#define HOUR_MS 3600000LL

#define PASS_SCALES 5
#define LARGE_STEPS 10

/* Per-transaction facts about its pair (payer, payee), in scan_profile.tflag. */
enum {
    TF_ONCE = 1,     /* the only transfer from its payer to its payee */
    TF_FIRST = 2,    /* the first transfer from its payer to its payee */
    TF_NOVEL = 4,    /* first, and the pair has at most scan.novel_pair_max transfers */
    TF_OFFBEAT = 8,  /* the payer keeps a weekly rhythm and this payment breaks it */
    TF_UNUSUAL = 16, /* breaks its payer's rhythm, or novel and large for the payer, or
                        novel from a payer that keeps no rhythm and does not open new
                        relations as a routine */
    TF_LINK = 32,    /* unusual, or novel from a payer that does not open new relations
                        as a routine: what chains and cycles are made of */
    TF_LARGE = 64,   /* scan.large_ratio times its payer's median payment or more */
    TF_ROUND = 128,  /* one-off, from no hub, at least pass_through.min_amount: could
                        start a pass-through round (set by scan_profile_rounds) */
};

/* A mule's round (detect_mule.c): one-off payment in x passed on by
 * payment out y, `delay` ms later. */
typedef struct scan_round {
    uint32_t x, y;
    int64_t delay;
} scan_round;

/* What the detectors know about the data set as a whole (scan_profile.c). */
typedef struct scan_profile {
    uint8_t *tflag;               /* per transaction: TF_* */
    uint32_t *nov_out, *nov_in;   /* per account: novel transfers out and in */
    uint32_t *unu_out, *unu_in;   /* per account: unusual transfers out and in */
    uint32_t *cand_out, *cand_in; /* per account: transfers out and in that could be slow
                                     fans' members */
    uint32_t *link_out, *link_in; /* per account: links out and in */
    scan_round *rounds;           /* every account's rounds, account by account */
    uint32_t *round_off;          /* per account: its rounds, rounds[round_off[a] .. [a + 1]) */
    uint32_t *round_chances;      /* per account: one-off payments in that could start one */
    uint8_t *rhythmic;            /* per account: pays on a weekly rhythm */
    uint8_t *opener;              /* per account: opens new relations as a routine */
    double *med_out, *med_in;     /* per account: median amount out and in, with established
                                     relations and hubs when it has 5 such, major units */
    double amount_spread;         /* the amounts' 90th percentile over their 10th */
    double *amounts;              /* a sorted sample of one-off payments' amounts into
                                     ordinary accounts, major units */
    size_t namounts;
    double q_unusual;               /* unusual transfers / transfers, over the data set */
    double q_strong;                /* strongly unusual ones (see scan_strong) / transfers */
    double q_slow[2];               /* members of slow fans out [0] and in [1] / transfers */
    double q_link;                  /* links / transfers, over the data set */
    uint64_t nlinks;                /* transfers that are links */
    double q_round[4], q_rapid;     /* one-off payments in that a round passes on within 1, 6,
                                       24 hours and pass_through.delay_hours (detect_mule) */
    double q_large_in[LARGE_STEPS]; /* one-off payments in at least scan.large_ratio x 2^k
                                       times their payee's everyday amount */
    double q_sub;                   /* payments in just under the reporting threshold */
    double q_small;                 /* one-off payments of tf_collection.max_donation or less */
    double small_per_day;           /* such payments a typical account receives in a day */
    double q_pass[PASS_SCALES];     /* links whose payee passes the money on within pass_ms */
    int64_t pass_ms[PASS_SCALES];   /* 1, 6, 24, 72 hours and stack.gap_hours */
    int64_t span_ms;                /* the data's time span */
    uint32_t active;                /* accounts with any transfer: the candidates tested */
    uint32_t fanners[2];            /* accounts whose slow fans' members out [0] and in [1]
                                       are too many for the data's rate (count_fanners) */
} scan_profile;

/* Strongly unusual: breaks its payer's rhythm, or is a new relation with
 * an ordinary account from a payer with hardly a life of its own (fewer
 * than `thin` payments in all: an account that exists to make it). A
 * person paying somebody new once is everyday life, whatever its size. */
static inline bool scan_strong(const scan_profile *pr, const ft_store *s, const uint8_t *hub,
                               double thin, uint32_t t)
{
    uint8_t f = pr->tflag[t];
    uint32_t a = s->t.src[t];
    return (f & TF_OFFBEAT) || ((f & TF_NOVEL) && !hub[s->t.dst[t]] &&
                                (double)(s->adj.out_off[a + 1] - s->adj.out_off[a]) < thin);
}

/* log10 P(X >= k) for X ~ Poisson(lambda); 0 for k <= 0 (detect_util.c). */
double det_poisson_tail_log10(double lambda, double k);

/* The share of one-off payments into ordinary accounts of at least v
 * major units (smoothed: never 0). */
double scan_amount_tail(const scan_profile *pr, double v);

/* The profile with what it was made from (scan.h): the data's id, the
 * parameters it read, the hubs. */
struct ft_scan_profile {
    uint64_t data_id;   /* ft_shard_data_id of the data */
    uint64_t params_id; /* scan_profile_params_id of the parameters */
    int64_t ntxn;
    uint32_t naccounts;
    ft_scan_params params; /* the profile's parameters (the others: defaults) */
    uint8_t *hub;          /* per account */
    scan_profile pr;
    char *path; /* the file it was read from, or NULL */
};

/* A hash of the values of the parameters a profile reads. */
uint64_t scan_profile_params_id(const ft_scan_params *p);
/* FT_EUSAGE, naming what differs, when sp is not the profile of s under
 * parameters p. */
ft_status scan_profile_check(const struct ft_scan_profile *sp, const ft_store *s,
                             const ft_scan_params *p, ft_error *err);
/* Minor units in one major unit, per currency of s. */
void scan_units(const ft_store *s, int64_t *unit);

/* Builds the profile on `threads` threads; false when out of memory. */
bool scan_profile_build(scan_profile *pr, const ft_store *s, const ft_scan_params *p,
                        const int64_t *unit, const uint8_t *hub, int threads);
void scan_profile_free(scan_profile *pr);

struct scan_ctx;
/* The data's rates of mule rounds (detect_mule.c) and every account's
 * rounds, once the context is built, on `threads` threads; false when out
 * of memory. */
bool scan_profile_rounds(scan_profile *pr, const struct scan_ctx *c, int threads);

/* Calls fn(ctx, thread, lo, hi) for blocks of [0, n) on `threads` threads
 * (thread 0 is the caller); returns when all are done. */
void scan_parallel(int threads, uint32_t n,
                   void (*fn)(void *ctx, int tid, uint32_t lo, uint32_t hi), void *ctx);

/* Read-only facts every detector uses, computed once per scan. */
typedef struct scan_ctx {
    const ft_store *s;
    const ft_scan_params *p;
    const uint8_t *hub;  /* per account: more transfers than scan.hub_degree */
    const int64_t *unit; /* per currency: minor units in one major unit */
    const scan_profile *pr;
    uint32_t returns; /* two-account returns the cycle detector weighs (scan_count_returns) */
} scan_ctx;

/* A sender's cluster of payments, for the bipartite grouping (done once
 * all workers are through). */
typedef struct bip_rec {
    uint64_t receivers; /* a hash of the sorted receiver set */
    uint32_t sender, nrecv;
    int64_t first_ms, last_ms;
    uint32_t txn0, ntxn; /* into the worker's bip_txns */
} bip_rec;

/* One shard's share of a scan (scan.h): its accounts' alerts, in account
 * order with one thread, and their senders' bipartite candidates. */
struct ft_scan_part {
    ft_alerts found;
    bip_rec *bip; /* txn0 into bip_txns */
    size_t nbip;
    uint32_t cap_bip;
    uint32_t *bip_txns;
    size_t nbip_txns;
    uint32_t cap_bip_txns;
};

/* One thread's output and scratch space. */
typedef struct scan_worker {
    const scan_ctx *c;
    struct scan_job *job;
    bool reports; /* calls the progress callback */
    ft_alerts out;
    uint32_t *a, *b; /* scratch lists */
    size_t cap_a, cap_b;
    void *x, *y; /* scratch records; capacities in bytes */
    size_t cap_x, cap_y;
    bip_rec *bip;
    size_t nbip, cap_bip;
    uint32_t *bip_txns;
    size_t nbip_txns, cap_bip_txns;
    ft_status rc;
    ft_error err;
} scan_worker;

/* Grows a scratch list (its pointer at pp, any T **) to hold n elements;
 * false (and w->rc set) when out of memory. Call it through SCAN_RESERVE,
 * which takes the element size from the list's type. */
bool scan_reserve(scan_worker *w, void *pp, size_t *cap, size_t n, size_t elem);
#define SCAN_RESERVE(w, p, cap, n) scan_reserve((w), &(p), (cap), (n), sizeof *(p))

/* Records an alert: its transactions (any order, repeats dropped), its
 * accounts (the main one first) and a printf-style explanation; the
 * parameters text follows the explanation. */
void scan_emit(scan_worker *w, int kind, double score, const uint32_t *txns, uint32_t ntxn,
               const uint32_t *accts, uint32_t nacc, const char *params, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

/* Formats an amount of currency `cur` with its code: "1,234.50 EUR"
 * without separators: "1234.50 EUR". */
void scan_money(const ft_store *s, uint16_t cur, int64_t v, char buf[48]);
/* An account's key, at most 63 bytes, for explanations. */
void scan_account(const ft_store *s, uint32_t a, char buf[64]);

/* The two-letter jurisdiction of account a ("DE"), or "" when unknown. */
void scan_country(const ft_store *s, uint32_t a, char out[3]);

/* The detectors: each looks at account a as the centre of its pattern. */
void detect_fan(scan_worker *w, uint32_t a, bool out);
void detect_scatter_gather(scan_worker *w, uint32_t a);
void detect_gather_scatter(scan_worker *w, uint32_t a);
void detect_cycles(scan_worker *w, uint32_t a);
/* The two-hop returns in the data that detect_cycles weighs (each once). */
uint32_t scan_count_returns(const scan_ctx *c);
void detect_stacks(scan_worker *w, uint32_t a);
void detect_bipartite_sender(scan_worker *w, uint32_t a);
void detect_pass_through(scan_worker *w, uint32_t a);
void detect_structuring(scan_worker *w, uint32_t a);
void detect_tf_collection(scan_worker *w, uint32_t a);

/* Gives alerts made outside the detectors (scan_emit on a worker of
 * one's own, as a model's) their ids, drops repeats, and sorts them as
 * ft_scan_run does, into *out; `all` is left to the caller to free. */
ft_status scan_finish(const ft_store *s, ft_alerts *all, ft_alerts *out, ft_error *err);

/* After all workers: the bipartite blocks from the senders' clusters. */
void detect_bipartite_groups(scan_worker *w, scan_worker *all, int nworkers);

#endif
