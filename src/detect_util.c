/*
 * detect_util.c - what the detector families share: amounts in a
 * currency's minor units, saturating sums, windows of transfers, one-off
 * counterparties.
 */
#include <inttypes.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

int64_t det_minor(const scan_worker *w, uint16_t cur, double major)
{
    double v = ceil(major * (double)w->c->unit[cur] - 1e-9);
    return v >= 9.2e18 ? INT64_MAX : (int64_t)v;
}

/* a + b, saturating: sums of amounts at the edge of int64 stay defined. */
int64_t det_sadd(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

int64_t det_hours(double h)
{
    return (int64_t)(h * (double)HOUR_MS);
}

void det_when(int64_t ms, char buf[40])
{
    if (!ft_time_format(ms, buf, 40))
        strcpy(buf, "?");
}

/* Is b within [lo, hi] times a (amounts in one currency)? */
bool det_ratio_in(int64_t b, int64_t a, double lo, double hi)
{
    return (double)b >= lo * (double)a - 1e-6 && (double)b <= hi * (double)a + 1e-6;
}

bool det_push(scan_worker *w, uint32_t **list, size_t *cap, size_t *n, uint32_t x)
{
    if (!SCAN_RESERVE(w, *list, cap, *n + 1))
        return false;
    (*list)[(*n)++] = x;
    return true;
}

/* Account a's transfers out (or in) that are the only one with their
 * counterparty, that counterparty no hub and not a itself, and an amount
 * from lo to hi major units: into w->a, in time order; returns how many. */
size_t det_one_off(scan_worker *w, uint32_t a, bool out, double lo, double hi)
{
    const ft_adjacency *adj = &S->adj;
    const uint32_t *list = out ? adj->out_txn : adj->in_txn;
    uint32_t from = out ? adj->out_off[a] : adj->in_off[a];
    uint32_t to = out ? adj->out_off[a + 1] : adj->in_off[a + 1];
    size_t m = 0;
    for (uint32_t i = from; i < to; i++) {
        uint32_t t = list[i], peer = out ? S->t.dst[t] : S->t.src[t];
        if (!(PR->tflag[t] & TF_ONCE) || peer == a || w->c->hub[peer] ||
            AMT(t) < det_minor(w, CUR(t), lo) ||
            (hi < INFINITY && AMT(t) > det_minor(w, CUR(t), hi)))
            continue;
        if (!det_push(w, &w->a, &w->cap_a, &m, t))
            return 0;
    }
    return m;
}

/* In q[i ..], sorted by time: the window of `span` ms holding the most
 * transfers, among those that start at q[i] .. the last one that q[i]'s
 * window reaches. Returns its end (inclusive) and sets *start. */
size_t det_best_window(const scan_worker *w, const uint32_t *q, size_t n, size_t i,
                          int64_t span, size_t *start)
{
    size_t j = i;
    while (j + 1 < n && TS(q[j + 1]) - TS(q[i]) <= span)
        j++;
    size_t bs = i, be = j, last = j;
    for (size_t k = i + 1; k <= last; k++) {
        while (j + 1 < n && TS(q[j + 1]) - TS(q[k]) <= span)
            j++;
        if (j - k > be - bs) {
            bs = k;
            be = j;
        }
    }
    *start = bs;
    return be;
}

/* The total of the transfers in currency cur. */
int64_t det_total(const scan_worker *w, const uint32_t *q, size_t n, uint16_t cur)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (CUR(q[i]) == cur)
            sum = det_sadd(sum, AMT(q[i]));
    return sum;
}

uint16_t det_main_currency(const scan_worker *w, const uint32_t *q, size_t n, size_t *count)
{
    uint16_t best = n ? CUR(q[0]) : 0;
    size_t most = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        for (size_t j = 0; j < n; j++)
            c += CUR(q[j]) == CUR(q[i]);
        if (c > most || (c == most && CUR(q[i]) < best)) {
            most = c;
            best = CUR(q[i]);
        }
        if (most * 2 > n)
            break; /* a majority: no other can beat it */
    }
    *count = most;
    return best;
}

uint32_t det_after(const uint32_t *list, uint32_t lo, uint32_t hi, uint32_t t)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t det_from_time(const scan_worker *w, const uint32_t *list, uint32_t lo, uint32_t hi,
                       int64_t ms)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (TS(list[mid]) < ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ln k!, from a table for the small k that windows have (filled once,
 * whatever thread comes first). */
#define NFACT 1024
static double table_log_factorial[NFACT];
static pthread_once_t fact_once = PTHREAD_ONCE_INIT;

static void fill_log_factorials(void)
{
    table_log_factorial[0] = 0;
    for (int i = 1; i < NFACT; i++)
        table_log_factorial[i] = table_log_factorial[i - 1] + log((double)i);
}

static double log_factorial(double k)
{
    if (k >= NFACT)
        return lgamma(k + 1);
    pthread_once(&fact_once, fill_log_factorials);
    return table_log_factorial[(int)k];
}

double det_poisson_tail_log10(double lambda, double k)
{
    if (k <= 0 || lambda >= k)
        return k <= 0 || lambda >= k + 3 * sqrt(lambda) ? 0 : -0.30103; /* about a half */
    if (lambda < 1e-300)
        lambda = 1e-300;
    double kk = ceil(k);
    if (kk <= lambda) {
        /* The bulk: 1 - P(X < k), summed from 0 (few terms, k small here). */
        double term = exp(-lambda), below = 0;
        for (double i = 0; i < kk; i++) {
            below += term;
            term *= lambda / (i + 1);
        }
        double tail = 1 - below;
        return tail > 1e-300 ? log10(tail) : -300;
    }
    /* The tail: terms from k up, each a ratio of the one before. */
    double lt = -lambda + kk * log(lambda) - log_factorial(kk);
    double sum = 1, term = 1;
    for (double i = kk + 1; i < kk + 200; i++) {
        term *= lambda / i;
        sum += term;
        if (term < 1e-9 * sum) /* far finer than a score shows */
            break;
    }
    return (lt + log(sum)) / log(10);
}

double det_binomial_tail_log10(double n, double p, double k)
{
    if (k <= 0 || p >= 1 || k <= n * p)
        return 0;
    if (k > n)
        return -300;
    if (p < 1e-300)
        p = 1e-300;
    double kk = ceil(k);
    double lt = log_factorial(n) - log_factorial(kk) - log_factorial(n - kk) + kk * log(p) +
                (n - kk) * log1p(-p);
    double sum = 1, term = 1, odds = p / (1 - p);
    for (double i = kk; i < n && i < kk + 200; i++) {
        term *= (n - i) / (i + 1) * odds;
        sum += term;
        if (term < 1e-9 * sum)
            break;
    }
    double l = (lt + log(sum)) / log(10);
    return l < 0 ? l : 0;
}

double det_expected_log10(const scan_worker *w, double log10p, double tries)
{
    double n = PR->active > 0 ? (double)PR->active : 1;
    return log10p + log10(n) + log10(tries > 1 ? tries : 1);
}

double det_score(const scan_worker *w, double log10p, double tries)
{
    double e = det_expected_log10(w, log10p, tries);
    if (e > 30)
        return 0;
    if (e < -30)
        return 1;
    return 1 / (1 + pow(10, e / 2));
}

double det_log10p_for_score(const scan_worker *w, double score, double tries)
{
    if (score <= 0)
        return INFINITY;
    if (score >= 1)
        return -INFINITY;
    /* score = 1 / (1 + 10^(e / 2)), e = log10p + log10(n) + log10(tries) */
    double e = 2 * log10(1 / score - 1);
    return e - det_expected_log10(w, 0, tries);
}
