/*
 * scan_int.h - what the scan framework (scan.c) and the detectors
 * (detect_*.c) share; not part of the library's interface.
 */
#ifndef FUNDTRACE_SCAN_INT_H
#define FUNDTRACE_SCAN_INT_H

#include "fundtrace/scan.h"

#define HOUR_MS 3600000LL

/* Read-only facts every detector uses, computed once per scan. */
typedef struct scan_ctx {
    const ft_store *s;
    const ft_scan_params *p;
    const uint8_t *hub;  /* per account: more transfers than scan.hub_degree */
    const uint8_t *once; /* per transaction: the only transfer from its payer to its payee */
    const int64_t *unit; /* per currency: minor units in one major unit */
} scan_ctx;

/* A sender's cluster of payments, for the bipartite grouping (done once
 * all workers are through). */
typedef struct bip_rec {
    uint64_t receivers; /* a hash of the sorted receiver set */
    uint32_t sender, nrecv;
    int64_t first_ms, last_ms;
    uint32_t txn0, ntxn; /* into the worker's bip_txns */
} bip_rec;

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
void detect_stacks(scan_worker *w, uint32_t a);
void detect_bipartite_sender(scan_worker *w, uint32_t a);
void detect_pass_through(scan_worker *w, uint32_t a);
void detect_structuring(scan_worker *w, uint32_t a);
void detect_tf_collection(scan_worker *w, uint32_t a);

/* After all workers: the bipartite blocks from the senders' clusters. */
void detect_bipartite_groups(scan_worker *w, scan_worker *all, int nworkers);

#endif
