/*
 * detect_int.h - shared by the detector families (detect_*.c): the store
 * accessors and the helpers of detect_util.c. Not part of the library's
 * interface.
 */
#ifndef FUNDTRACE_DETECT_INT_H
#define FUNDTRACE_DETECT_INT_H

#include "fundtrace/hash.h"
#include "fundtrace/time.h"
#include "scan_int.h"

#define S (w->c->s)
#define P (w->c->p)
#define TS(i_) (S->t.ts_ms[i_])
#define AMT(i_) (S->t.amount[i_])
#define CUR(i_) (S->t.cur[i_])

/* Major units of currency cur in its minor units, rounded up. */
int64_t det_minor(const scan_worker *w, uint16_t cur, double major);
/* The currency most of q[0 .. n) are in (the lowest such on a tie), and
 * how many are. */
uint16_t det_main_currency(const scan_worker *w, const uint32_t *q, size_t n, size_t *count);
/* a + b, saturating: sums of amounts at the edge of int64 stay defined. */
int64_t det_sadd(int64_t a, int64_t b);
int64_t det_hours(double h);
void det_when(int64_t ms, char buf[40]);
/* Is b within [lo, hi] times a (amounts in one currency)? */
bool det_ratio_in(int64_t b, int64_t a, double lo, double hi);
bool det_push(scan_worker *w, uint32_t **list, size_t *cap, size_t *n, uint32_t x);
/* Account a's transfers out (or in) that are the only one with their
 * counterparty, that counterparty no hub and not a itself, and an amount
 * from lo to hi major units: into w->a, in time order; returns how many. */
size_t det_one_off(scan_worker *w, uint32_t a, bool out, double lo, double hi);
/* In q[i ..], sorted by time: the window of `span` ms holding the most
 * transfers, among those that start at q[i] .. the last one that q[i]'s
 * window reaches. Returns its end (inclusive) and sets *start. */
size_t det_best_window(const scan_worker *w, const uint32_t *q, size_t n, size_t i, int64_t span,
                       size_t *start);
/* In list[lo, hi) (transaction numbers, ascending: time order), the
 * first position whose transaction comes after t / is at time ms or
 * later. */
uint32_t det_after(const uint32_t *list, uint32_t lo, uint32_t hi, uint32_t t);
uint32_t det_from_time(const scan_worker *w, const uint32_t *list, uint32_t lo, uint32_t hi,
                       int64_t ms);
/* log10 P(X >= k) for X ~ Poisson(lambda); 0 for k <= 0. */
double det_poisson_tail_log10(double lambda, double k);
/* log10 P(X >= k) for X ~ Binomial(n, p); 0 for k <= n p. */
double det_binomial_tail_log10(double n, double p, double k);
/* The score of a candidate whose chance under the data's own rates is
 * 10^log10p, found among `tries` candidates of its account: with E, the
 * number of such candidates expected by chance in the whole data set
 * (that chance, times the active accounts, times the tries), the score is
 * 1 / (1 + sqrt E): 0.5 when one is expected by chance, 0.91 at 1 in 100,
 * 0.99 at 1 in 10,000. */
double det_score(const scan_worker *w, double log10p, double tries);
/* The log10 chance at which det_score(w, ., tries) is `score`. */
double det_log10p_for_score(const scan_worker *w, double score, double tries);
/* log10 of E, for explanations. */
double det_expected_log10(const scan_worker *w, double log10p, double tries);
#define PR        (w->c->pr)
#define NOVEL(t_) ((PR->tflag[t_] & TF_NOVEL) != 0)

/* The total of the transfers in currency cur (saturating). */
int64_t det_total(const scan_worker *w, const uint32_t *q, size_t n, uint16_t cur);

#endif
