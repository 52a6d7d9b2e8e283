/*
 * scan_profile.c - what the detectors know about the data set as a whole:
 * which transfers open a new relation, break a payer's weekly rhythm or are
 * large for it, each account's everyday amounts, and the data's own rates
 * of all of these.
 *
 * Scores are relative to the data: a detector asks how likely its
 * candidate is under the rates of this data set, so one default works on
 * a 100 k-row file and on a 100 M-row file. The profile holds those rates.
 *
 * A transfer is *novel* when it is the first from its payer to its payee
 * and the pair has at most `scan.novel_pair_max` transfers in the data: a
 * new relation, not a recurring one (salaries, rent, subscriptions and
 * regular suppliers recur). Self-transfers are never novel.
 *
 * The work is per account (its payments out, then its payments in), on the
 * scan's threads: each account's transfers are gathered once into a small
 * array (the store's columns are in time order, an account's transfers are
 * scattered over them), and every per-account fact is computed from it.
 * What crosses accounts (counts at the payee) is added in a sequential pass
 * over the transactions, in store order.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/hash.h"
#include "fundtrace/shard.h"
#include "fundtrace/writer.h"
#include "scan_int.h"
#include "slurp.h"

/* 0 .. 6 for the UTC day of the week (0: Thursday, 1970-01-01). */
static int weekday(int64_t ms)
{
    int64_t day = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    return (int)(((day % 7) + 7) % 7);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Most accounts make a few dozen payments: insertion sort beats qsort's
 * calls through a pointer there; a busy account's thousands go through a
 * radix sort, 16 bits a pass over the key's significant bits, with `tmp`
 * as large as v (NULL: qsort). */
static void sort_u64(uint64_t *v, size_t n, uint64_t *tmp)
{
    if (n > 4096 && tmp) {
        uint64_t all = 0;
        for (size_t i = 0; i < n; i++)
            all |= v[i];
        uint64_t *src = v, *dst = tmp;
        for (int shift = 0; shift < 64 && (all >> shift); shift += 16) {
            static _Thread_local uint32_t count[65536];
            memset(count, 0, sizeof count);
            for (size_t i = 0; i < n; i++)
                count[(src[i] >> shift) & 0xffff]++;
            uint32_t sum = 0;
            for (size_t d = 0; d < 65536; d++) {
                uint32_t c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (size_t i = 0; i < n; i++)
                dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
            uint64_t *x = src;
            src = dst;
            dst = x;
        }
        if (src != v)
            memcpy(v, src, n * sizeof *v);
        return;
    }
    if (n > 48) {
        qsort(v, n, sizeof *v, cmp_u64);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static void sort_double(double *v, size_t n)
{
    if (n > 48) {
        qsort(v, n, sizeof *v, cmp_double);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Puts the k-th smallest of v[0 .. n) at v[k], the smaller ones before
 * it (Hoare's selection: linear on average, for the busy accounts). */
static void select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double x = v[i];
                v[i] = v[j];
                v[j] = x;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* The median of v[0 .. n), reordered; 0 for none. */
static double median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    if (n <= 48) {
        sort_double(v, n);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    select_kth(v, n, n / 2);
    double hi = v[n / 2];
    if (n % 2)
        return hi;
    double lo = v[0]; /* the largest of the smaller half */
    for (size_t i = 1; i < n / 2; i++)
        lo = v[i] > lo ? v[i] : lo;
    return (lo + hi) / 2;
}

void scan_profile_free(scan_profile *pr)
{
    free(pr->tflag);
    free(pr->nov_out);
    free(pr->nov_in);
    free(pr->med_out);
    free(pr->med_in);
    free(pr->unu_out);
    free(pr->unu_in);
    free(pr->cand_out);
    free(pr->cand_in);
    free(pr->rhythmic);
    free(pr->opener);
    free(pr->link_out);
    free(pr->link_in);
    free(pr->amounts);
    free(pr->rounds);
    free(pr->round_off);
    free(pr->round_chances);
    memset(pr, 0, sizeof *pr);
}

/* One transfer of the account at hand, gathered from the columns. */
typedef struct mine {
    uint32_t t, peer;
    int64_t ts;
    double v; /* amount in major units */
} mine;

/* The state of one thread: scratch space and its share of the counts. */
typedef struct part {
    struct build *b;
    mine *m;
    uint64_t *keys, *tmp;
    double *amts;
    size_t cap;
    uint64_t novel, unusual, links, strong, slow_out, slow_in, passed[PASS_SCALES];
    bool oom;
} part;

typedef struct build {
    scan_profile *pr;
    const ft_store *s;
    const ft_scan_params *p;
    const int64_t *unit;
    const uint8_t *hub;
    atomic_uint next;
    void (*phase)(part *w, uint32_t a);
} build;

static bool reserve(part *w, size_t n)
{
    if (n <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < n)
        cap *= 2;
    mine *m = realloc(w->m, cap * sizeof *m);
    if (m)
        w->m = m;
    uint64_t *k = realloc(w->keys, cap * sizeof *k);
    if (k)
        w->keys = k;
    double *d = realloc(w->amts, cap * sizeof *d);
    if (d)
        w->amts = d;
    uint64_t *x = realloc(w->tmp, cap * sizeof *x);
    if (x)
        w->tmp = x;
    if (!m || !k || !d || !x) {
        w->oom = true;
        return false;
    }
    w->cap = cap;
    return true;
}

/* Gathers a's transfers out (or in) into w->m; returns how many. */
static uint32_t gather(part *w, uint32_t a, bool out)
{
    const ft_store *s = w->b->s;
    const ft_adjacency *adj = &s->adj;
    const uint32_t *list = out ? adj->out_txn : adj->in_txn;
    uint32_t lo = out ? adj->out_off[a] : adj->in_off[a];
    uint32_t hi = out ? adj->out_off[a + 1] : adj->in_off[a + 1];
    if (!reserve(w, hi - lo))
        return 0;
    for (uint32_t i = lo; i < hi; i++) {
        uint32_t t = list[i];
        uint16_t c = s->t.cur[t];
        w->m[i - lo] = (mine){t, out ? s->t.dst[t] : s->t.src[t], s->t.ts_ms[t],
                              (double)s->t.amount[t] / (double)w->b->unit[c]};
    }
    return hi - lo;
}

/*
 * Phase 1, per account, its payments out:
 *   - pairs: payee then transaction number sorted, so runs are pairs in
 *     time order: TF_ONCE, TF_FIRST, TF_NOVEL;
 *   - the everyday amount paid (to established relations and hubs);
 *   - rhythm, off-beat payments (the only such payment to a payee),
 *     routine openers, large payments, links, unusual and strong ones.
 */
static void phase_out(part *w, uint32_t a)
{
    build *b = w->b;
    scan_profile *pr = b->pr;
    const ft_scan_params *p = b->p;
    const uint8_t *hub = b->hub;
    uint32_t m = gather(w, a, true);
    if (!m)
        return;
    mine *x = w->m;
    uint64_t *keys = w->keys;
    for (uint32_t i = 0; i < m; i++)
        keys[i] = (uint64_t)x[i].peer << 32 | i;
    sort_u64(keys, m, w->tmp);
    uint32_t opened = 0, weeks = 0;
    for (uint32_t i = 0; i < m;) {
        uint32_t j = i;
        while (j < m && keys[j] >> 32 == keys[i] >> 32)
            j++;
        uint32_t run = j - i;
        /* The pair's first transfer: of those at its earliest time, the
         * first in the tie order (not the rows' order). */
        const mine *f = &x[(uint32_t)keys[i]];
        for (uint32_t k = i + 1; k < j && x[(uint32_t)keys[k]].ts == f->ts; k++)
            if (ft_store_txn_cmp(b->s, x[(uint32_t)keys[k]].t, f->t) < 0)
                f = &x[(uint32_t)keys[k]];
        for (uint32_t k = i; k < j; k++)
            pr->tflag[x[(uint32_t)keys[k]].t] |= (uint8_t)(run == 1 ? TF_ONCE : 0);
        pr->tflag[f->t] |= TF_FIRST;
        if ((double)run <= p->novel_pair_max && f->peer != a) {
            pr->tflag[f->t] |= TF_NOVEL;
            opened++;
        }
        i = j;
    }
    pr->nov_out[a] = opened;
    w->novel += opened;
    /* The everyday amount: what a pays established relations and hubs, so
     * that a burst of new payees does not move the yardstick it is measured
     * with; everything when there are fewer than 5 such. */
    uint32_t k = 0;
    for (uint32_t i = 0; i < m; i++)
        if (!(pr->tflag[x[i].t] & TF_NOVEL) || hub[x[i].peer])
            w->amts[k++] = x[i].v;
    if (k < 5)
        for (uint32_t i = k = 0; i < m; i++)
            w->amts[k++] = x[i].v;
    pr->med_out[a] = median(w->amts, k);
    /* Rhythm: an account whose payments fall on two weekdays (or fewer) at
     * least scan.rhythm_share of the time, over scan.rhythm_min payments
     * or more, pays on a schedule (standing orders, a business's payment
     * runs); a payment off the beat breaks that habit. */
    uint32_t week[7] = {0};
    int64_t last_week = INT64_MIN;
    uint8_t *wd = (uint8_t *)w->amts; /* the amounts are done with */
    for (uint32_t i = 0; i < m; i++) {
        wd[i] = (uint8_t)weekday(x[i].ts);
        week[wd[i]]++;
        if (pr->tflag[x[i].t] & TF_NOVEL) {
            int64_t wk = x[i].ts / (7 * 86400000LL);
            weeks += wk != last_week;
            last_week = wk;
        }
    }
    uint32_t top1 = 0, top2 = 0;
    for (int d = 0; d < 7; d++) {
        if (week[d] > top1) {
            top2 = top1;
            top1 = week[d];
        } else if (week[d] > top2) {
            top2 = week[d];
        }
    }
    bool rhythmic = (double)m >= p->rhythm_min && (double)(top1 + top2) >= p->rhythm_share * m;
    pr->rhythmic[a] = rhythmic;
    /* A new relation is no news from a payer that opens new ones in most of
     * what it pays, over a history long enough to tell and as a routine,
     * in four different weeks or more: a business paying new payees every
     * week, a person paying a new shop each time. A burst of new payees in
     * one week is not a routine. */
    bool opener = (double)m >= p->opener_min && (double)opened > p->opener_share * m && weeks >= 4;
    pr->opener[a] = opener;
    bool known = (double)m >= p->opener_min; /* enough payments for a median */
    /* Off the beat: a payment of a rhythmic payer on a weekday it otherwise
     * almost never uses (under half the uniform share), and the only such
     * payment to that payee: a monthly bill or a standing order that falls
     * on any weekday keeps a schedule of its own. */
    if (rhythmic) {
        uint32_t noff = 0;
        for (uint32_t i = 0; i < m; i++)
            if ((double)(week[wd[i]] - 1) < (double)(m - 1) / 14.0)
                keys[noff++] = (uint64_t)x[i].peer << 32 | i;
        sort_u64(keys, noff, w->tmp);
        for (uint32_t i = 0; i < noff; i++)
            if ((i == 0 || keys[i - 1] >> 32 != keys[i] >> 32) &&
                (i + 1 == noff || keys[i + 1] >> 32 != keys[i] >> 32))
                pr->tflag[x[(uint32_t)keys[i]].t] |= TF_OFFBEAT;
    }
    for (uint32_t i = 0; i < m; i++) {
        uint32_t t = x[i].t;
        bool off = (pr->tflag[t] & TF_OFFBEAT) != 0;
        /* Large for the payer: scan.large_ratio times its everyday amount. */
        bool large = known && x[i].v >= p->large_ratio * pr->med_out[a];
        if (large)
            pr->tflag[t] |= TF_LARGE;
        /* A first payment at a hub (a shop, a utility) is everyday. */
        bool novel = (pr->tflag[t] & TF_NOVEL) && !hub[x[i].peer];
        if (off || (novel && (large || !opener))) {
            pr->tflag[t] |= TF_LINK;
            pr->link_out[a]++;
            w->links++;
        }
        bool is_strong = off || (novel && (double)m < p->opener_min);
        w->strong += is_strong;
        /* the slow fans' members (detect_fan.c) */
        bool big = large && novel;
        w->slow_out += off || big;
        w->slow_in += is_strong || big;
        if (off || (novel && (large || (!rhythmic && !opener)))) {
            pr->tflag[t] |= TF_UNUSUAL;
            pr->unu_out[a]++;
            w->unusual++;
        }
        pr->cand_out[a] += off || (large && (pr->tflag[t] & TF_UNUSUAL));
    }
}

/* Whether transfer t is in a sample of one transfer in `step`, chosen by
 * a hash of its time and amount (not by its place in the rows). */
static bool in_sample(const ft_store *s, size_t t, uint64_t step)
{
    int64_t key[2] = {s->t.ts_ms[t], s->t.amount[t]};
    return step <= 1 || ft_xxh64(key, sizeof key, 16) % step == 0;
}

/* The accounts whose slow fans' possible members, over their whole life,
 * are already more than the data's rate would give at the reporting score:
 * the only ones a fan's own-pace test (detect_fan.c) is tried on. */
static void count_fanners(scan_profile *pr, const ft_store *s, const ft_scan_params *p)
{
    double report = p->min_score > 0 && p->min_score < 1 ? 2 * log10(1 / p->min_score - 1) : 0;
    double act = log10(pr->active > 0 ? (double)pr->active : 1);
    for (uint32_t a = 0; a < s->accounts.n; a++)
        for (int d = 0; d < 2; d++) {
            double m = d ? pr->cand_in[a] : pr->cand_out[a];
            const uint32_t *off = d ? s->adj.in_off : s->adj.out_off;
            if (m < p->fan_min_degree[d])
                continue;
            double n = (double)(off[a + 1] - off[a]);
            pr->fanners[d] +=
                det_poisson_tail_log10(n * pr->q_slow[d], m) <= report - act - log10(m);
        }
}

/* Phase 3, per account, its payments in: the everyday amount received
 * (what established relations and hubs pay it: a salary, refunds). */
static void phase_in(part *w, uint32_t a)
{
    scan_profile *pr = w->b->pr;
    uint32_t m = gather(w, a, false);
    if (!m)
        return;
    uint32_t k = 0;
    for (uint32_t i = 0; i < m; i++)
        if (!(pr->tflag[w->m[i].t] & TF_NOVEL) || w->b->hub[w->m[i].peer])
            w->amts[k++] = w->m[i].v;
    if (k < 5)
        for (uint32_t i = k = 0; i < m; i++)
            w->amts[k++] = w->m[i].v;
    pr->med_in[a] = median(w->amts, k);
}

/* The delays a pass is measured at: 1, 6, 24 and 72 hours, and
 * stack.gap_hours (none above it). */
static void pass_scales(const ft_scan_params *p, int64_t scale[PASS_SCALES])
{
    const int64_t hours[PASS_SCALES - 1] = {1, 6, 24, 72};
    int64_t gap = (int64_t)(p->stack_gap_hours * 3600000.0);
    for (int c = 0; c < PASS_SCALES - 1; c++)
        scale[c] = hours[c] * 3600000LL < gap ? hours[c] * 3600000LL : gap;
    scale[PASS_SCALES - 1] = gap;
}

/* Phase 4, per account, the links it received: does it pass the money on
 * in links, keeping stack.keep_low of it (to anyone but the payer), within
 * each of pass_scales()? A stack whose hops all took an hour is measured
 * against passes that quick. */
static void phase_pass(part *w, uint32_t v)
{
    build *b = w->b;
    const ft_store *s = b->s;
    const scan_profile *pr = b->pr;
    const ft_adjacency *adj = &s->adj;
    if (b->hub[v] || adj->out_off[v + 1] == adj->out_off[v])
        return;
    int64_t scale[PASS_SCALES];
    pass_scales(b->p, scale);
    int64_t gap = scale[PASS_SCALES - 1];
    uint32_t olo = adj->out_off[v], ohi = adj->out_off[v + 1], k0 = olo;
    for (uint32_t i = adj->in_off[v]; i < adj->in_off[v + 1]; i++) {
        uint32_t t = adj->in_txn[i];
        if (!(pr->tflag[t] & TF_LINK) || s->t.src[t] == v)
            continue;
        uint32_t u = s->t.src[t];
        int64_t ts = s->t.ts_ms[t];
        while (k0 < ohi && s->t.ts_ms[adj->out_txn[k0]] < ts)
            k0++; /* the payments in come in time order too */
        int64_t sent = 0, need = (int64_t)(b->p->stack_keep_low * (double)s->t.amount[t]);
        for (uint32_t k = k0; k < ohi && sent < need; k++) {
            uint32_t y = adj->out_txn[k];
            int64_t delay = s->t.ts_ms[y] - ts;
            if (delay > gap)
                break;
            if (!(pr->tflag[y] & TF_LINK) || s->t.dst[y] == u || s->t.dst[y] == v ||
                s->t.cur[y] != s->t.cur[t])
                continue;
            sent += s->t.amount[y] < INT64_MAX - sent ? s->t.amount[y] : 0;
            if (sent >= need) /* passed on, after this delay */
                for (int c = 0; c < PASS_SCALES; c++)
                    w->passed[c] += delay <= scale[c];
        }
    }
}

#define BLOCK 256

typedef struct pfor {
    atomic_uint next;
    uint32_t n;
    void (*fn)(void *ctx, int tid, uint32_t lo, uint32_t hi);
    void *ctx;
} pfor;

typedef struct pfor_arg {
    pfor *f;
    int tid;
} pfor_arg;

static void *pfor_worker(void *arg)
{
    pfor_arg *x = arg;
    pfor *f = x->f;
    for (;;) {
        uint64_t lo = (uint64_t)atomic_fetch_add(&f->next, 1) * BLOCK;
        if (lo >= f->n)
            break;
        uint64_t hi = lo + BLOCK < f->n ? lo + BLOCK : f->n;
        f->fn(f->ctx, x->tid, (uint32_t)lo, (uint32_t)hi);
    }
    return NULL;
}

void scan_parallel(int threads, uint32_t n,
                   void (*fn)(void *ctx, int tid, uint32_t lo, uint32_t hi), void *ctx)
{
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    pfor f = {.n = n, .fn = fn, .ctx = ctx};
    atomic_init(&f.next, 0);
    pthread_t tids[64];
    pfor_arg args[64];
    int started = 0;
    for (int i = 0; i < threads; i++)
        args[i] = (pfor_arg){&f, i};
    for (; started + 1 < threads; started++)
        if (pthread_create(&tids[started], NULL, pfor_worker, &args[started + 1]) != 0)
            break;
    pfor_worker(&args[0]);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
}

static void *worker(void *arg)
{
    part *w = arg;
    build *b = w->b;
    uint32_t na = b->s->accounts.n;
    for (;;) {
        uint64_t lo = (uint64_t)atomic_fetch_add(&b->next, 1) * BLOCK;
        if (lo >= na || w->oom)
            break;
        uint64_t hi = lo + BLOCK < na ? lo + BLOCK : na;
        for (uint64_t a = lo; a < hi; a++)
            b->phase(w, (uint32_t)a);
    }
    return NULL;
}

/* Runs b->phase over every account on `threads` threads. */
static bool run_phase(build *b, part *parts, int threads, void (*phase)(part *, uint32_t))
{
    b->phase = phase;
    atomic_store(&b->next, 0);
    pthread_t tids[64];
    int started = 0;
    for (; started + 1 < threads; started++)
        if (pthread_create(&tids[started], NULL, worker, &parts[started + 1]) != 0)
            break;
    worker(&parts[0]);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    for (int i = 0; i < threads; i++)
        if (parts[i].oom)
            return false;
    return true;
}

bool scan_profile_build(scan_profile *pr, const ft_store *s, const ft_scan_params *p,
                        const int64_t *unit, const uint8_t *hub, int threads)
{
    memset(pr, 0, sizeof *pr);
    uint32_t na = s->accounts.n;
    size_t n = (size_t)s->t.n;
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    part *parts = calloc((size_t)threads, sizeof *parts);
    pr->tflag = calloc(n + 1, 1);
    pr->nov_out = calloc((size_t)na + 1, sizeof *pr->nov_out);
    pr->nov_in = calloc((size_t)na + 1, sizeof *pr->nov_in);
    pr->med_out = calloc((size_t)na + 1, sizeof *pr->med_out);
    pr->med_in = calloc((size_t)na + 1, sizeof *pr->med_in);
    pr->unu_out = calloc((size_t)na + 1, sizeof *pr->unu_out);
    pr->unu_in = calloc((size_t)na + 1, sizeof *pr->unu_in);
    pr->cand_out = calloc((size_t)na + 1, sizeof *pr->cand_out);
    pr->cand_in = calloc((size_t)na + 1, sizeof *pr->cand_in);
    pr->rhythmic = calloc((size_t)na + 1, 1);
    pr->opener = calloc((size_t)na + 1, 1);
    pr->link_out = calloc((size_t)na + 1, sizeof *pr->link_out);
    pr->link_in = calloc((size_t)na + 1, sizeof *pr->link_in);
    bool ok = parts && pr->tflag && pr->nov_out && pr->nov_in && pr->med_out && pr->med_in &&
              pr->unu_out && pr->unu_in && pr->cand_out && pr->cand_in && pr->rhythmic &&
              pr->opener && pr->link_out && pr->link_in;
    build b = {.pr = pr, .s = s, .p = p, .unit = unit, .hub = hub};
    for (int i = 0; ok && i < threads; i++)
        parts[i].b = &b;
    ok = ok && run_phase(&b, parts, threads, phase_out);

    /* Phase 2, in store order: what the payees count, and rates that need
     * no account's history. Active accounts are the candidates tested. */
    uint64_t sub = 0, counted = 0, small = 0, into = 0;
    for (size_t t = 0; ok && t < n; t++) {
        uint8_t f = pr->tflag[t];
        uint32_t src = s->t.src[t], dst = s->t.dst[t];
        pr->nov_in[dst] += (f & TF_NOVEL) != 0;
        pr->unu_in[dst] += (f & TF_UNUSUAL) != 0;
        pr->cand_in[dst] += src != dst && !hub[src] &&
                            (scan_strong(pr, s, hub, p->opener_min, (uint32_t)t) ||
                             ((f & TF_LARGE) && (f & TF_UNUSUAL)));
        pr->link_in[dst] += (f & TF_LINK) != 0;
        uint16_t c = s->t.cur[t];
        double v = (double)s->t.amount[t] / (double)unit[c];
        /* payments just under the reporting threshold (structuring), in
         * the currencies counted in hundredths it is set for */
        if (s->currencies[c].exponent == 2) {
            counted++;
            sub += v < p->st_threshold && v >= p->st_threshold * p->st_low;
        }
        /* small one-off payments into ordinary accounts (collections) */
        if (!hub[dst] && src != dst) {
            into++;
            small += (f & TF_ONCE) && v <= p->tf_max_donation;
        }
    }
    /* One-off payments into ordinary accounts: a sorted sample of their
     * amounts (major units), for how large an amount is for the data. */
    if (ok && into) {
        uint64_t step = into / 65536 + 1, k = 0, want = 0;
        for (int pass = 0; pass < 2 && ok; pass++) {
            for (size_t t = 0; t < n; t++) {
                uint32_t dst = s->t.dst[t];
                if (hub[dst] || s->t.src[t] == dst || !(pr->tflag[t] & TF_ONCE) ||
                    !in_sample(s, t, step))
                    continue;
                if (pass == 0)
                    want++;
                else
                    pr->amounts[k++] = (double)s->t.amount[t] / (double)unit[s->t.cur[t]];
            }
            if (pass == 0) {
                pr->amounts = malloc((size_t)(want + 1) * sizeof *pr->amounts);
                ok = pr->amounts != NULL;
            }
        }
        if (ok) {
            sort_double(pr->amounts, k);
            pr->namounts = k;
        }
    }
    for (uint32_t a = 0; ok && a < na; a++)
        pr->active +=
            s->adj.out_off[a + 1] > s->adj.out_off[a] || s->adj.in_off[a + 1] > s->adj.in_off[a];
    ok = ok && run_phase(&b, parts, threads, phase_in) && run_phase(&b, parts, threads, phase_pass);
    if (ok) {
        uint64_t unusual = 0, links = 0, strong = 0, slow_out = 0, slow_in = 0;
        uint64_t passed[PASS_SCALES] = {0};
        for (int i = 0; i < threads; i++) {
            unusual += parts[i].unusual;
            links += parts[i].links;
            strong += parts[i].strong;
            slow_out += parts[i].slow_out;
            slow_in += parts[i].slow_in;
            for (int c = 0; c < PASS_SCALES; c++)
                passed[c] += parts[i].passed[c];
        }
        double nn = (double)n + 1;
        /* The spread of amounts, from the major units of about one
         * transfer in 16, chosen by time and amount (so that the rows'
         * order does not change the choice). */
        size_t ns = 0;
        for (size_t t = 0; t < n; t++)
            ns += in_sample(s, t, 16);
        double *sample = malloc((ns + 1) * sizeof *sample);
        ok = sample != NULL; /* out of memory is an error, not another spread */
        if (sample && ns) {
            for (size_t t = 0, i = 0; t < n; t++)
                if (in_sample(s, t, 16))
                    sample[i++] = (double)s->t.amount[t] / (double)unit[s->t.cur[t]];
            select_kth(sample, ns, ns / 10);
            double p10 = sample[ns / 10];
            select_kth(sample, ns, ns - 1 - ns / 10);
            double p90 = sample[ns - 1 - ns / 10];
            pr->amount_spread = p10 > 0 ? p90 / p10 : 1e6;
        } else {
            pr->amount_spread = 1e6;
        }
        free(sample);
        pr->q_unusual = ((double)unusual + 1) / nn;
        pr->q_link = ((double)links + 1) / nn;
        pr->nlinks = links;
        pr->q_strong = ((double)strong + 1) / nn;
        pr->q_slow[0] = ((double)slow_out + 1) / nn;
        pr->q_slow[1] = ((double)slow_in + 1) / nn;
        pr->q_sub = ((double)sub + 1) / ((double)counted + 1);
        pr->q_small = ((double)small + 1) / ((double)into + 1);
        double days = n ? (double)(s->t.ts_ms[n - 1] - s->t.ts_ms[0]) / 86400000.0 : 0;
        pr->small_per_day =
            ((double)small + 1) / ((pr->active ? pr->active : 1) * (days > 1 ? days : 1));
        int64_t scale[PASS_SCALES];
        pass_scales(p, scale);
        for (int c = 0; c < PASS_SCALES; c++) {
            pr->pass_ms[c] = scale[c];
            pr->q_pass[c] = ((double)passed[c] + 1) / ((double)links + 1);
        }
        pr->span_ms = n ? s->t.ts_ms[n - 1] - s->t.ts_ms[0] : 0;
        count_fanners(pr, s, p);
    }
    for (int i = 0; parts && i < threads; i++) {
        free(parts[i].m);
        free(parts[i].keys);
        free(parts[i].tmp);
        free(parts[i].amts);
    }
    free(parts);
    if (!ok)
        scan_profile_free(pr);
    return ok;
}

double scan_amount_tail(const scan_profile *pr, double v)
{
    size_t lo = 0, hi = pr->namounts;
    while (lo < hi) { /* the first at v or more */
        size_t mid = lo + (hi - lo) / 2;
        if (pr->amounts[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return ((double)(pr->namounts - lo) + 1) / ((double)pr->namounts + 1);
}

/* --- the profile kept: computed once, read by each shard -------------------------------- */

/* The parameters the profile (and the hubs, and the rounds of
 * scan_profile_rounds) reads: a profile made with other values of these
 * is another profile. */
static const char *const profile_params[] = {
    "scan.hub_degree",
    "scan.hub_mean_ratio",
    "scan.novel_pair_max",
    "scan.rhythm_min",
    "scan.rhythm_share",
    "scan.opener_share",
    "scan.opener_min",
    "scan.large_ratio",
    "scan.min_score",
    "fan_out.min_receivers",
    "fan_in.min_sources",
    "stack.gap_hours",
    "stack.keep_low",
    "structuring.threshold",
    "structuring.low",
    "tf_collection.max_donation",
    "pass_through.min_amount",
    "pass_through.delay_hours",
    "pass_through.keep_low",
    "rapid_movement.max_minutes",
    NULL,
};

uint64_t scan_profile_params_id(const ft_scan_params *p)
{
    uint64_t h = 0x9f0f11e;
    for (int i = 0; profile_params[i]; i++) {
        double v = 0;
        ft_scan_param_get(p, profile_params[i], &v);
        h = ft_xxh64(&v, sizeof v, h);
    }
    return h;
}

/* The first profile parameter whose value differs between a and b; NULL
 * when none. */
static const char *param_differs(const ft_scan_params *a, const ft_scan_params *b)
{
    for (int i = 0; profile_params[i]; i++) {
        double x = 0, y = 0;
        ft_scan_param_get(a, profile_params[i], &x);
        ft_scan_param_get(b, profile_params[i], &y);
        if (memcmp(&x, &y, sizeof x) != 0)
            return profile_params[i];
    }
    return NULL;
}

void ft_scan_profile_free(ft_scan_profile *sp)
{
    if (!sp)
        return;
    scan_profile_free(&sp->pr);
    free(sp->hub);
    free(sp->path);
    free(sp);
}

/* Hubs: more transfers than scan.hub_degree and than scan.hub_mean_ratio
 * times an active account's mean, so that busy data sets (every account
 * with hundreds of transfers) have no more hubs than sparse ones. */
static void find_hubs(const ft_store *s, const ft_scan_params *p, uint8_t *hub)
{
    const ft_adjacency *adj = &s->adj;
    uint32_t na = s->accounts.n;
    uint64_t active = 0;
    for (uint32_t a = 0; a < na; a++)
        active += adj->out_off[a + 1] > adj->out_off[a] || adj->in_off[a + 1] > adj->in_off[a];
    double mean = active ? 2.0 * (double)s->t.n / (double)active : 0;
    double hub_at = fmax(p->hub_degree, p->hub_mean_ratio * mean);
    for (uint32_t a = 0; a < na; a++) {
        uint64_t deg =
            (uint64_t)adj->out_off[a + 1] - adj->out_off[a] + adj->in_off[a + 1] - adj->in_off[a];
        hub[a] = (double)deg > hub_at;
    }
}

void scan_units(const ft_store *s, int64_t *unit)
{
    for (int c = 0; c < s->ncurrencies; c++) {
        unit[c] = 1;
        for (int e = 0; e < s->currencies[c].exponent; e++)
            unit[c] *= 10;
    }
}

ft_status ft_scan_profile_build(const ft_store *s, const ft_scan_params *p, int threads,
                                ft_scan_profile **out, ft_error *err)
{
    *out = NULL;
    if (!s->adj.out_off)
        return ft_error_set(err, FT_EUSAGE, "scan: build the store's adjacency first");
    ft_scan_profile *sp = calloc(1, sizeof *sp);
    int64_t *unit = calloc((size_t)s->ncurrencies + 1, sizeof *unit);
    if (sp)
        sp->hub = calloc((size_t)s->accounts.n + 1, 1);
    if (!sp || !unit || !sp->hub) {
        free(unit);
        ft_scan_profile_free(sp);
        return ft_error_oom(err);
    }
    sp->data_id = ft_shard_data_id(s);
    sp->params = *p;
    sp->params_id = scan_profile_params_id(p);
    sp->ntxn = s->t.n;
    sp->naccounts = s->accounts.n;
    /* the history counts scaled to the data's span (the parameters kept
     * above are the ones given: a scan checks those) */
    ft_scan_params scaled;
    ft_scan_params_for_data(s, p, &scaled);
    p = &scaled;
    find_hubs(s, p, sp->hub);
    scan_units(s, unit);
    bool ok = scan_profile_build(&sp->pr, s, p, unit, sp->hub, threads);
    if (ok) {
        scan_ctx ctx = {s, p, sp->hub, unit, &sp->pr, 0};
        ok = scan_profile_rounds(&sp->pr, &ctx, threads);
    }
    free(unit);
    if (!ok) {
        ft_scan_profile_free(sp);
        return ft_error_oom(err);
    }
    *out = sp;
    return FT_OK;
}

ft_status scan_profile_check(const ft_scan_profile *sp, const ft_store *s, const ft_scan_params *p,
                             ft_error *err)
{
    const char *what = sp->path ? sp->path : "the data's profile";
    if (sp->ntxn != s->t.n || sp->naccounts != s->accounts.n || sp->data_id != ft_shard_data_id(s))
        return ft_error_set(err, FT_EUSAGE,
                            "%s: was made from other data (%lld transfers, %u accounts; this "
                            "data has %lld and %u, or other transfers): make it again from "
                            "this data",
                            what, (long long)sp->ntxn, sp->naccounts, (long long)s->t.n,
                            s->accounts.n);
    if (sp->params_id != scan_profile_params_id(p)) {
        const char *name = param_differs(&sp->params, p);
        double was = 0, now = 0;
        if (name) {
            ft_scan_param_get(&sp->params, name, &was);
            ft_scan_param_get(p, name, &now);
        }
        return ft_error_set(err, FT_EUSAGE,
                            "%s: was made with other parameters (%s=%g there, %g here): make "
                            "it again with the same --rules and --set",
                            what, name ? name : "?", was, now);
    }
    return FT_OK;
}

/* The file: a magic, the sizes and ids, the rates, then the arrays, and a
 * checksum of all of it (xxh64 chained over the pieces, in order). */
static const char profile_magic[8] = {'F', 'T', 'S', 'C', 'P', 'R', 'F', '\0'};
#define PROFILE_VERSION 1u

typedef struct pio {
    ft_writer *w;           /* writing, or */
    const unsigned char *p; /* reading p[0 .. n) */
    size_t n, at;
    uint64_t sum;
    bool oom, shortfile;
} pio;

static void pio_bytes(pio *io, void *v, size_t len)
{
    if (io->w) {
        ft_writer_put(io->w, v, len);
    } else {
        if (io->shortfile || len > io->n - io->at) {
            io->shortfile = true;
            memset(v, 0, len);
            return;
        }
        memcpy(v, io->p + io->at, len);
        io->at += len;
    }
    io->sum = ft_xxh64(v, len, io->sum);
}

/* An array of count elements of elem bytes (read: allocated with room
 * for one more, zeroed). */
static void pio_array(pio *io, void *pp, size_t elem, size_t count)
{
    void **arr = pp;
    if (!io->w) {
        if (io->shortfile || count > (io->n - io->at) / (elem ? elem : 1)) {
            io->shortfile = true;
            return;
        }
        if (!(*arr = calloc(count + 1, elem))) {
            io->oom = true;
            return;
        }
    }
    if (count)
        pio_bytes(io, *arr, elem * count);
}

/* What the file holds, in its order, for writing and reading alike. */
static void pio_profile(pio *io, ft_scan_profile *sp)
{
    scan_profile *pr = &sp->pr;
    size_t na = sp->naccounts, n = (size_t)sp->ntxn;
    uint64_t nrounds = pr->round_off ? pr->round_off[na] : 0, namounts = pr->namounts;
    pio_bytes(io, &nrounds, sizeof nrounds);
    pio_bytes(io, &namounts, sizeof namounts);
    pr->namounts = (size_t)namounts;
    pio_bytes(io, &pr->amount_spread, sizeof pr->amount_spread);
    pio_bytes(io, &pr->q_unusual, sizeof pr->q_unusual);
    pio_bytes(io, &pr->q_strong, sizeof pr->q_strong);
    pio_bytes(io, pr->q_slow, sizeof pr->q_slow);
    pio_bytes(io, &pr->q_link, sizeof pr->q_link);
    pio_bytes(io, &pr->nlinks, sizeof pr->nlinks);
    pio_bytes(io, pr->q_round, sizeof pr->q_round);
    pio_bytes(io, &pr->q_rapid, sizeof pr->q_rapid);
    pio_bytes(io, pr->q_large_in, sizeof pr->q_large_in);
    pio_bytes(io, &pr->q_sub, sizeof pr->q_sub);
    pio_bytes(io, &pr->q_small, sizeof pr->q_small);
    pio_bytes(io, &pr->small_per_day, sizeof pr->small_per_day);
    pio_bytes(io, pr->q_pass, sizeof pr->q_pass);
    pio_bytes(io, pr->pass_ms, sizeof pr->pass_ms);
    pio_bytes(io, &pr->span_ms, sizeof pr->span_ms);
    pio_bytes(io, &pr->active, sizeof pr->active);
    pio_bytes(io, pr->fanners, sizeof pr->fanners);
    pio_array(io, &pr->tflag, 1, n);
    pio_array(io, &sp->hub, 1, na);
    pio_array(io, &pr->nov_out, sizeof *pr->nov_out, na);
    pio_array(io, &pr->nov_in, sizeof *pr->nov_in, na);
    pio_array(io, &pr->unu_out, sizeof *pr->unu_out, na);
    pio_array(io, &pr->unu_in, sizeof *pr->unu_in, na);
    pio_array(io, &pr->cand_out, sizeof *pr->cand_out, na);
    pio_array(io, &pr->cand_in, sizeof *pr->cand_in, na);
    pio_array(io, &pr->link_out, sizeof *pr->link_out, na);
    pio_array(io, &pr->link_in, sizeof *pr->link_in, na);
    pio_array(io, &pr->rhythmic, 1, na);
    pio_array(io, &pr->opener, 1, na);
    pio_array(io, &pr->med_out, sizeof *pr->med_out, na);
    pio_array(io, &pr->med_in, sizeof *pr->med_in, na);
    pio_array(io, &pr->round_off, sizeof *pr->round_off, na + 1);
    pio_array(io, &pr->round_chances, sizeof *pr->round_chances, na);
    pio_array(io, &pr->rounds, sizeof *pr->rounds, (size_t)nrounds);
    pio_array(io, &pr->amounts, sizeof *pr->amounts, (size_t)namounts);
}

/* The header: magic, version, sizes, ids and the parameters' values. */
static void pio_header(pio *io, ft_scan_profile *sp, char magic[8], uint32_t *version)
{
    pio_bytes(io, magic, 8);
    pio_bytes(io, version, sizeof *version);
    pio_bytes(io, &sp->naccounts, sizeof sp->naccounts);
    pio_bytes(io, &sp->ntxn, sizeof sp->ntxn);
    pio_bytes(io, &sp->data_id, sizeof sp->data_id);
    pio_bytes(io, &sp->params_id, sizeof sp->params_id);
    for (int i = 0; profile_params[i]; i++) {
        double v = 0;
        if (io->w)
            ft_scan_param_get(&sp->params, profile_params[i], &v);
        pio_bytes(io, &v, sizeof v);
        if (!io->w && !io->shortfile) {
            char num[64];
            snprintf(num, sizeof num, "%.17g", v);
            ft_error ignored;
            (void)ft_scan_param_set(&sp->params, profile_params[i], num, &ignored);
        }
    }
}

ft_status ft_scan_profile_write(const ft_scan_profile *sp, const char *path, ft_error *err)
{
    ft_writer w = {.fd = -1};
    ft_status rc = ft_writer_open(&w, path, false, err);
    if (rc != FT_OK)
        return rc;
    pio io = {.w = &w};
    char magic[8];
    memcpy(magic, profile_magic, 8);
    uint32_t version = PROFILE_VERSION;
    ft_scan_profile *m = (ft_scan_profile *)sp; /* pio reads it only, when writing */
    pio_header(&io, m, magic, &version);
    pio_profile(&io, m);
    uint64_t sum = io.sum;
    ft_writer_put(&w, &sum, sizeof sum);
    rc = ft_writer_close(&w, err);
    ft_writer_abort(&w);
    return rc;
}

ft_status ft_scan_profile_read(const char *path, ft_scan_profile **out, ft_error *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    ft_status rc = ft_slurp_path(path, FT_EIO, &text, &len, err);
    if (rc != FT_OK)
        return rc;
    unsigned char *buf = (unsigned char *)text;
    ft_scan_profile *sp = rc == FT_OK ? calloc(1, sizeof *sp) : NULL;
    if (rc == FT_OK && !sp)
        rc = ft_error_oom(err);
    if (rc == FT_OK && (len < 8 || memcmp(buf, profile_magic, 8) != 0))
        rc = ft_error_set(err, FT_EINPUT,
                          "%s: is not a scan profile (make one with fundtrace scan "
                          "--profile-out)",
                          path);
    if (rc == FT_OK) {
        pio io = {.p = buf, .n = len >= 8 ? len - 8 : 0};
        char magic[8];
        uint32_t version = 0;
        ft_scan_defaults(&sp->params);
        pio_header(&io, sp, magic, &version);
        if (!io.shortfile && version != PROFILE_VERSION)
            rc = ft_error_set(err, FT_ECORRUPT,
                              "%s: is a scan profile of format version %u; this fundtrace "
                              "reads version %u: make it again",
                              path, version, PROFILE_VERSION);
        else if (!io.shortfile)
            pio_profile(&io, sp);
        uint64_t sum = 0;
        if (rc == FT_OK && !io.shortfile && len - io.at >= 8)
            memcpy(&sum, buf + io.at, 8);
        if (rc == FT_OK && io.oom)
            rc = ft_error_oom(err);
        else if (rc == FT_OK && (io.shortfile || io.at + 8 != len || sum != io.sum))
            rc = ft_error_set(err, FT_ECORRUPT,
                              "%s: the scan profile is damaged or cut off (its checksum or "
                              "length is wrong): make it again",
                              path);
    }
    free(buf);
    if (rc == FT_OK && !(sp->path = strdup(path)))
        rc = ft_error_oom(err);
    if (rc != FT_OK) {
        ft_scan_profile_free(sp);
        return rc;
    }
    *out = sp;
    return FT_OK;
}
