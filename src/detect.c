/*
 * detect.c - the pattern detectors. Each looks at one account as the
 * centre of its pattern, through the store's time-ordered adjacency, and
 * emits alerts with the transfers that make the pattern up. Parameters and
 * the handling of hubs are described in scan.h and fundtrace-scan(1).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/hash.h"
#include "fundtrace/time.h"
#include "scan_int.h"

#define S (w->c->s)
#define P (w->c->p)
#define TS(i_) (S->t.ts_ms[i_])
#define AMT(i_) (S->t.amount[i_])
#define CUR(i_) (S->t.cur[i_])

/* Major units of currency cur in its minor units, rounded up. */
static int64_t minor(const scan_worker *w, uint16_t cur, double major)
{
    double v = ceil(major * (double)w->c->unit[cur] - 1e-9);
    return v >= 9.2e18 ? INT64_MAX : (int64_t)v;
}

/* a + b, saturating: sums of amounts at the edge of int64 stay defined. */
static int64_t sadd(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

static int64_t hours(double h)
{
    return (int64_t)(h * (double)HOUR_MS);
}

static void when(int64_t ms, char buf[40])
{
    if (!ft_time_format(ms, buf, 40))
        strcpy(buf, "?");
}

/* Is b within [lo, hi] times a (amounts in one currency)? */
static bool ratio_in(int64_t b, int64_t a, double lo, double hi)
{
    return (double)b >= lo * (double)a - 1e-6 && (double)b <= hi * (double)a + 1e-6;
}

static bool push(scan_worker *w, uint32_t **list, size_t *cap, size_t *n, uint32_t x)
{
    if (!scan_reserve(w, (void **)list, cap, *n + 1, sizeof **list))
        return false;
    (*list)[(*n)++] = x;
    return true;
}

/* Account a's transfers out (or in) that are the only one with their
 * counterparty, that counterparty no hub and not a itself, and an amount
 * from lo to hi major units: into w->a, in time order; returns how many. */
static size_t one_off(scan_worker *w, uint32_t a, bool out, double lo, double hi)
{
    const ft_adjacency *adj = &S->adj;
    const uint32_t *list = out ? adj->out_txn : adj->in_txn;
    uint32_t from = out ? adj->out_off[a] : adj->in_off[a];
    uint32_t to = out ? adj->out_off[a + 1] : adj->in_off[a + 1];
    size_t m = 0;
    for (uint32_t i = from; i < to; i++) {
        uint32_t t = list[i], peer = out ? S->t.dst[t] : S->t.src[t];
        if (!w->c->once[t] || peer == a || w->c->hub[peer] || AMT(t) < minor(w, CUR(t), lo) ||
            (hi < INFINITY && AMT(t) > minor(w, CUR(t), hi)))
            continue;
        if (!push(w, &w->a, &w->cap_a, &m, t))
            return 0;
    }
    return m;
}

/* In q[i ..], sorted by time: the window of `span` ms holding the most
 * transfers, among those that start at q[i] .. the last one that q[i]'s
 * window reaches. Returns its end (inclusive) and sets *start. */
static size_t best_window(const scan_worker *w, const uint32_t *q, size_t n, size_t i,
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
static int64_t total(const scan_worker *w, const uint32_t *q, size_t n, uint16_t cur)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (CUR(q[i]) == cur)
            sum = sadd(sum, AMT(q[i]));
    return sum;
}

/* --- fan-out and fan-in ------------------------------------------------------------------ */

static _Thread_local const scan_worker *tls_w; /* for the comparators */

static int cmp_cur_amount(const void *x, const void *y)
{
    const scan_worker *w = tls_w;
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    if (CUR(a) != CUR(b))
        return CUR(a) < CUR(b) ? -1 : 1;
    if (AMT(a) != AMT(b))
        return AMT(a) < AMT(b) ? -1 : 1;
    return (a > b) - (a < b);
}

/* Of q[0 .. n), the largest group in one currency whose largest amount is
 * at most `spread` times its smallest: into w->b; returns its size. */
static size_t similar(scan_worker *w, const uint32_t *q, size_t n, double spread)
{
    if (!scan_reserve(w, (void **)&w->b, &w->cap_b, n + 1, sizeof *w->b))
        return 0;
    memcpy(w->b, q, n * sizeof *q);
    tls_w = w;
    if (n > 1)
        qsort(w->b, n, sizeof *w->b, cmp_cur_amount);
    size_t bs = 0, bn = 0, lo = 0;
    for (size_t hi = 0; hi < n; hi++) {
        while (CUR(w->b[lo]) != CUR(w->b[hi]) ||
               (double)AMT(w->b[hi]) > spread * (double)AMT(w->b[lo]) + 1e-6)
            lo++;
        if (hi - lo + 1 > bn) {
            bn = hi - lo + 1;
            bs = lo;
        }
    }
    memmove(w->b, w->b + bs, bn * sizeof *w->b);
    return bn;
}

void detect_fan(scan_worker *w, uint32_t a, bool out)
{
    const ft_adjacency *adj = &S->adj;
    size_t n = out ? adj->out_off[a + 1] - adj->out_off[a] : adj->in_off[a + 1] - adj->in_off[a];
    if ((double)n < P->fan_min_degree)
        return;
    size_t m = one_off(w, a, out, P->fan_min_amount, INFINITY);
    size_t need = (size_t)P->fan_min_degree;
    int64_t span = hours(P->fan_window_hours);
    for (size_t i = 0; i + need <= m;) {
        size_t bs, be = best_window(w, w->a, m, i, span, &bs);
        if (be - bs + 1 < need) {
            i++;
            continue;
        }
        size_t k = similar(w, w->a + bs, be - bs + 1, P->fan_max_spread);
        if (k >= need) {
            uint32_t accts[64];
            uint32_t nacc = 0;
            accts[nacc++] = a;
            for (size_t j = 0; j < k && nacc < 64; j++)
                accts[nacc++] = out ? S->t.dst[w->b[j]] : S->t.src[w->b[j]];
            uint16_t cur = CUR(w->b[0]);
            int64_t lo = AMT(w->b[0]), hi = AMT(w->b[k - 1]), first = INT64_MAX, last = INT64_MIN;
            for (size_t j = 0; j < k; j++) {
                first = TS(w->b[j]) < first ? TS(w->b[j]) : first;
                last = TS(w->b[j]) > last ? TS(w->b[j]) : last;
            }
            char name[64], sum[48], l[48], h[48], t0[40];
            scan_account(S, a, name);
            scan_money(S, cur, total(w, w->b, k, cur), sum);
            scan_money(S, cur, lo, l);
            scan_money(S, cur, hi, h);
            when(first, t0);
            char params[160];
            snprintf(params, sizeof params,
                     "min_degree=%g;window_hours=%g;min_amount=%g;max_spread=%g",
                     P->fan_min_degree, P->fan_window_hours, P->fan_min_amount, P->fan_max_spread);
            double score = 0.5 + 0.5 * fmin(1.0, (double)(k - need) / (double)need);
            scan_emit(w, out ? FT_PAT_FAN_OUT : FT_PAT_FAN_IN, score, w->b, (uint32_t)k, accts,
                      nacc, params,
                      "%s %s %zu accounts %s in total within %.1f hours from %s, %s to %s each, "
                      "%s accounts with no other transfer %s %s",
                      name, out ? "paid" : "was paid by", k, sum,
                      (double)(last - first) / (double)HOUR_MS, t0, l, h, out ? "to" : "from",
                      out ? "from" : "to", name);
        }
        i = be + 1;
    }
}

/* --- scatter-gather ---------------------------------------------------------------------- */

typedef struct sg_rec {
    uint32_t sink, x, y, mid;
} sg_rec;

static int cmp_sg(const void *p, const void *q)
{
    const sg_rec *a = p, *b = q;
    if (a->sink != b->sink)
        return a->sink < b->sink ? -1 : 1;
    return (a->x > b->x) - (a->x < b->x);
}

void detect_scatter_gather(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    const scan_ctx *c = w->c;
    size_t nrec = 0;
    sg_rec *rec = w->x;
    int64_t delay = hours(P->sg_delay_hours);
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++) {
        uint32_t x = adj->out_txn[i], m = S->t.dst[x];
        if (!c->once[x] || m == a || c->hub[m] || AMT(x) < minor(w, CUR(x), P->sg_min_amount))
            continue;
        /* m's payments after x, within the delay */
        uint32_t lo = adj->out_off[m], hi = adj->out_off[m + 1];
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (adj->out_txn[mid] <= x)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (uint32_t k = lo; k < adj->out_off[m + 1]; k++) {
            uint32_t y = adj->out_txn[k], t = S->t.dst[y];
            if (TS(y) - TS(x) > delay)
                break;
            if (!c->once[y] || t == a || t == m || c->hub[t] || CUR(y) != CUR(x) ||
                !ratio_in(AMT(y), AMT(x), P->sg_keep_low, 1.0))
                continue;
            if (!scan_reserve(w, &w->x, &w->cap_x, (nrec + 1) * sizeof *rec, 1))
                return;
            rec = w->x;
            rec[nrec++] = (sg_rec){t, x, y, m};
        }
    }
    size_t need = (size_t)P->sg_min_width;
    if (nrec < need)
        return;
    qsort(rec, nrec, sizeof *rec, cmp_sg);
    int64_t span = hours(P->sg_window_hours);
    for (size_t g = 0; g < nrec;) {
        size_t e = g;
        while (e < nrec && rec[e].sink == rec[g].sink)
            e++;
        /* Within the group (one sink), the widest window of first legs. */
        for (size_t i = g; i + need <= e;) {
            size_t j = i;
            while (j + 1 < e && TS(rec[j + 1].x) - TS(rec[i].x) <= span)
                j++;
            /* distinct intermediaries */
            size_t distinct = 0;
            for (size_t k = i; k <= j; k++) {
                bool seen = false;
                for (size_t q = i; q < k && !seen; q++)
                    seen = rec[q].mid == rec[k].mid;
                distinct += !seen;
            }
            if (distinct < need) {
                i++;
                continue;
            }
            if (!scan_reserve(w, (void **)&w->b, &w->cap_b, 2 * (j - i + 1), sizeof *w->b))
                return;
            uint32_t accts[66];
            uint32_t nacc = 0, nt = 0;
            accts[nacc++] = a;
            accts[nacc++] = rec[i].sink;
            int64_t out_sum = 0, back_sum = 0;
            for (size_t k = i; k <= j; k++) {
                w->b[nt++] = rec[k].x;
                w->b[nt++] = rec[k].y;
                out_sum = sadd(out_sum, AMT(rec[k].x));
                back_sum = sadd(back_sum, AMT(rec[k].y));
                if (nacc < 66)
                    accts[nacc++] = rec[k].mid;
            }
            char src[64], dst[64], o[48], b[48], t0[40];
            scan_account(S, a, src);
            scan_account(S, rec[i].sink, dst);
            scan_money(S, CUR(rec[i].x), out_sum, o);
            scan_money(S, CUR(rec[i].x), back_sum, b);
            when(TS(rec[i].x), t0);
            char params[200];
            snprintf(params, sizeof params,
                     "min_width=%g;delay_hours=%g;keep_low=%g;window_hours=%g;min_amount=%g",
                     P->sg_min_width, P->sg_delay_hours, P->sg_keep_low, P->sg_window_hours,
                     P->sg_min_amount);
            scan_emit(w, FT_PAT_SCATTER_GATHER, 0.6 + 0.4 * fmin(1.0, (double)distinct / 8.0),
                      w->b, nt, accts, nacc, params,
                      "%s paid %s to %zu intermediaries from %s, which passed %s on to %s "
                      "within %g hours of receiving it",
                      src, o, distinct, t0, b, dst, P->sg_delay_hours);
            i = j + 1;
        }
        g = e;
    }
}

/* --- gather-scatter ---------------------------------------------------------------------- */

void detect_gather_scatter(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    const scan_ctx *c = w->c;
    size_t m = one_off(w, a, false, P->gs_min_amount, INFINITY);
    size_t need_in = (size_t)P->gs_min_in, need_out = (size_t)P->gs_min_out;
    if (m < need_in)
        return;
    int64_t span = hours(P->gs_window_hours);
    for (size_t i = 0; i + need_in <= m;) {
        size_t bs, be = best_window(w, w->a, m, i, span, &bs);
        if (be - bs + 1 < need_in) {
            i++;
            continue;
        }
        uint16_t cur = CUR(w->a[bs]);
        int64_t in_sum = total(w, w->a + bs, be - bs + 1, cur);
        int64_t from = TS(w->a[bs]), until = TS(w->a[be]) + span;
        /* The payments out after the first arrival, to one-off payees. */
        size_t nb = 0;
        int64_t out_sum = 0;
        for (uint32_t k = adj->out_off[a]; k < adj->out_off[a + 1]; k++) {
            uint32_t t = adj->out_txn[k], peer = S->t.dst[t];
            if (TS(t) <= from || t < w->a[bs])
                continue;
            if (TS(t) > until)
                break;
            if (!c->once[t] || peer == a || c->hub[peer] || CUR(t) != cur ||
                AMT(t) < minor(w, cur, P->gs_min_amount))
                continue;
            if (!scan_reserve(w, (void **)&w->b, &w->cap_b, nb + (be - bs + 2), sizeof *w->b))
                return;
            w->b[nb++] = t;
            out_sum = sadd(out_sum, AMT(t));
        }
        if (nb >= need_out && ratio_in(out_sum, in_sum, P->gs_keep_low, P->gs_keep_high)) {
            uint32_t accts[1];
            accts[0] = a;
            size_t nin = be - bs + 1;
            memcpy(w->b + nb, w->a + bs, nin * sizeof *w->b);
            char name[64], in[48], o[48], t0[40];
            scan_account(S, a, name);
            scan_money(S, cur, in_sum, in);
            scan_money(S, cur, out_sum, o);
            when(from, t0);
            char params[200];
            snprintf(params, sizeof params,
                     "min_in=%g;min_out=%g;window_hours=%g;keep_low=%g;keep_high=%g;"
                     "min_amount=%g",
                     P->gs_min_in, P->gs_min_out, P->gs_window_hours, P->gs_keep_low,
                     P->gs_keep_high, P->gs_min_amount);
            scan_emit(w, FT_PAT_GATHER_SCATTER, 0.7 + 0.3 * fmin(1.0, (double)(nin + nb) / 20.0),
                      w->b, (uint32_t)(nb + nin), accts, 1, params,
                      "%s received %s from %zu one-off payers from %s and paid %s (%.0f%%) on to "
                      "%zu one-off payees within %g hours of the last",
                      name, in, nin, t0, o, 100.0 * (double)out_sum / (double)in_sum, nb,
                      P->gs_window_hours);
        }
        i = be + 1;
    }
}

/* --- temporal cycles --------------------------------------------------------------------- */

typedef struct cyc {
    scan_worker *w;
    uint32_t start, e0;
    int64_t limit; /* the whole cycle before this time */
    int max_hops;
    uint32_t path[16], node[16];
    int found; /* cycles from e0, bounded */
} cyc;

static void cycle_emit(cyc *y, int hops)
{
    scan_worker *w = y->w;
    char text[900];
    size_t used = 0;
    for (int k = 0; k < hops && used < sizeof text - 120; k++) {
        char acc[64], amt[48], t[40];
        scan_account(S, S->t.src[y->path[k]], acc);
        scan_money(S, CUR(y->path[k]), AMT(y->path[k]), amt);
        when(TS(y->path[k]), t);
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s -(%s, %s)-> ",
                                 k ? "" : "", acc, amt, t);
    }
    char start[64];
    scan_account(S, y->start, start);
    char params[160];
    snprintf(params, sizeof params, "max_hops=%g;window_hours=%g;keep_low=%g;keep_high=%g",
             P->cycle_max_hops, P->cycle_window_hours, P->cycle_keep_low, P->cycle_keep_high);
    uint32_t accts[16];
    for (int k = 0; k < hops; k++)
        accts[k] = S->t.src[y->path[k]];
    double hrs = (double)(TS(y->path[hops - 1]) - TS(y->path[0])) / (double)HOUR_MS;
    scan_emit(w, FT_PAT_CYCLE, 0.6 + 0.4 * (double)AMT(y->path[hops - 1]) / (double)AMT(y->path[0]),
              y->path, (uint32_t)hops, accts, (uint32_t)hops, params,
              "money returned to %s in %d hops within %.1f hours, each hop later and keeping "
              "%g-%g of the one before: %s%s",
              start, hops, hrs, P->cycle_keep_low, P->cycle_keep_high, text, start);
}

static void cycle_dfs(cyc *y, int depth)
{
    scan_worker *w = y->w;
    const ft_adjacency *adj = &S->adj;
    const scan_ctx *c = w->c;
    uint32_t p = y->path[depth - 1], v = S->t.dst[p];
    uint32_t lo = adj->out_off[v], hi = adj->out_off[v + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (adj->out_txn[mid] <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint32_t k = lo; k < adj->out_off[v + 1] && y->found < 64; k++) {
        uint32_t t = adj->out_txn[k];
        if (TS(t) > y->limit)
            break;
        if (TS(t) <= TS(p) || CUR(t) != CUR(p) ||
            !ratio_in(AMT(t), AMT(p), P->cycle_keep_low, P->cycle_keep_high))
            continue;
        uint32_t d = S->t.dst[t];
        y->path[depth] = t;
        if (d == y->start) {
            y->found++;
            cycle_emit(y, depth + 1);
            continue;
        }
        if (depth + 1 >= y->max_hops || c->hub[d] || d == v)
            continue;
        bool on = false;
        for (int q = 0; q < depth && !on; q++)
            on = S->t.src[y->path[q]] == d;
        if (!on)
            cycle_dfs(y, depth + 1);
    }
}

void detect_cycles(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    cyc y = {.w = w, .start = a, .max_hops = (int)P->cycle_max_hops};
    if (y.max_hops > 16)
        y.max_hops = 16;
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++) {
        uint32_t e0 = adj->out_txn[i], b = S->t.dst[e0];
        if (b == a || w->c->hub[b])
            continue;
        y.e0 = e0;
        y.path[0] = e0;
        y.limit = TS(e0) + hours(P->cycle_window_hours);
        y.found = 0;
        cycle_dfs(&y, 1);
    }
}

/* --- stacks (layering chains) ------------------------------------------------------------ */

typedef struct chain {
    scan_worker *w;
    uint32_t path[32], best[32];
    int nbest, cap;
    int64_t gap;
} chain;

static bool chains_on(const scan_worker *w, uint32_t p, uint32_t t)
{
    return TS(t) > TS(p) && TS(t) - TS(p) <= hours(P->stack_gap_hours) && CUR(t) == CUR(p) &&
           ratio_in(AMT(t), AMT(p), P->stack_keep_low, 1.0);
}

static void chain_dfs(chain *ch, int depth)
{
    scan_worker *w = ch->w;
    const ft_adjacency *adj = &S->adj;
    if (depth > ch->nbest) {
        ch->nbest = depth;
        memcpy(ch->best, ch->path, (size_t)depth * sizeof *ch->path);
    }
    if (depth >= ch->cap)
        return;
    uint32_t p = ch->path[depth - 1], v = S->t.dst[p];
    uint32_t lo = adj->out_off[v], hi = adj->out_off[v + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (adj->out_txn[mid] <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint32_t k = lo; k < adj->out_off[v + 1]; k++) {
        uint32_t t = adj->out_txn[k], d = S->t.dst[t];
        if (TS(t) - TS(p) > ch->gap)
            break;
        if (!chains_on(w, p, t) || w->c->hub[d] || d == v)
            continue;
        bool on = S->t.src[ch->path[0]] == d;
        for (int q = 0; q < depth && !on; q++)
            on = S->t.dst[ch->path[q]] == d;
        if (on)
            continue;
        ch->path[depth] = t;
        chain_dfs(ch, depth + 1);
    }
}

void detect_stacks(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    chain ch = {.w = w, .cap = 24, .gap = hours(P->stack_gap_hours)};
    int need = (int)P->stack_min_length;
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++) {
        uint32_t e0 = adj->out_txn[i], b = S->t.dst[e0];
        if (b == a || w->c->hub[b] || AMT(e0) < minor(w, CUR(e0), P->stack_min_amount))
            continue;
        /* Only from the head of a chain: no payment into a that e0 passes on. */
        bool head = true;
        for (uint32_t k = adj->in_off[a]; k < adj->in_off[a + 1] && head; k++) {
            uint32_t p = adj->in_txn[k];
            if (p >= e0)
                break;
            if (chains_on(w, p, e0) && !w->c->hub[S->t.src[p]] && S->t.src[p] != b &&
                AMT(p) >= minor(w, CUR(p), P->stack_min_amount))
                head = false;
        }
        if (!head)
            continue;
        ch.path[0] = e0;
        ch.nbest = 0;
        chain_dfs(&ch, 1);
        if (ch.nbest < need)
            continue;
        uint32_t accts[33];
        for (int k = 0; k < ch.nbest; k++)
            accts[k] = S->t.src[ch.best[k]];
        accts[ch.nbest] = S->t.dst[ch.best[ch.nbest - 1]];
        char from[64], to[64], first[48], last[48], t0[40];
        scan_account(S, a, from);
        scan_account(S, accts[ch.nbest], to);
        scan_money(S, CUR(e0), AMT(ch.best[0]), first);
        scan_money(S, CUR(e0), AMT(ch.best[ch.nbest - 1]), last);
        when(TS(e0), t0);
        double hrs = (double)(TS(ch.best[ch.nbest - 1]) - TS(e0)) / (double)HOUR_MS;
        char params[160];
        snprintf(params, sizeof params, "min_length=%g;gap_hours=%g;keep_low=%g;min_amount=%g",
                 P->stack_min_length, P->stack_gap_hours, P->stack_keep_low, P->stack_min_amount);
        scan_emit(w, FT_PAT_STACK, 0.5 + 0.5 * fmin(1.0, (double)(ch.nbest - need + 1) / 4.0),
                  ch.best, (uint32_t)ch.nbest, accts, (uint32_t)ch.nbest + 1, params,
                  "%s at %s passed through %d accounts to %s within %.1f hours, arriving as %s; "
                  "each hop within %g hours of the one before and keeping at least %g of it",
                  first, t0, ch.nbest - 1, to, hrs, last, P->stack_gap_hours, P->stack_keep_low);
        (void)from;
    }
}

/* --- bipartite blocks --------------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void detect_bipartite_sender(scan_worker *w, uint32_t a)
{
    size_t m = one_off(w, a, true, P->bip_min_amount, INFINITY);
    size_t need = (size_t)P->bip_min_receivers;
    int64_t span = hours(P->bip_window_hours);
    for (size_t i = 0; i + need <= m;) {
        size_t j = i;
        while (j + 1 < m && TS(w->a[j + 1]) - TS(w->a[i]) <= span)
            j++;
        if (j - i + 1 < need) {
            i++;
            continue;
        }
        size_t k = j - i + 1;
        if (!scan_reserve(w, (void **)&w->b, &w->cap_b, k, sizeof *w->b) ||
            !scan_reserve(w, (void **)&w->bip, &w->cap_bip, w->nbip + 1, sizeof *w->bip) ||
            !scan_reserve(w, (void **)&w->bip_txns, &w->cap_bip_txns, w->nbip_txns + k,
                          sizeof *w->bip_txns))
            return;
        for (size_t q = 0; q < k; q++)
            w->b[q] = S->t.dst[w->a[i + q]];
        qsort(w->b, k, sizeof *w->b, cmp_u32);
        w->bip[w->nbip++] = (bip_rec){ft_xxh64(w->b, k * sizeof *w->b, 0x61),
                                      a,
                                      (uint32_t)k,
                                      TS(w->a[i]),
                                      TS(w->a[j]),
                                      (uint32_t)w->nbip_txns,
                                      (uint32_t)k};
        memcpy(w->bip_txns + w->nbip_txns, w->a + i, k * sizeof *w->a);
        w->nbip_txns += k;
        i = j + 1;
    }
}

typedef struct bip_ref {
    const bip_rec *r;
    const uint32_t *txns;
} bip_ref;

static int cmp_bip(const void *p, const void *q)
{
    const bip_rec *a = ((const bip_ref *)p)->r, *b = ((const bip_ref *)q)->r;
    if (a->receivers != b->receivers)
        return a->receivers < b->receivers ? -1 : 1;
    if (a->first_ms != b->first_ms)
        return a->first_ms < b->first_ms ? -1 : 1;
    return (a->sender > b->sender) - (a->sender < b->sender);
}

void detect_bipartite_groups(scan_worker *w, scan_worker *all, int nworkers)
{
    size_t n = 0;
    for (int i = 0; i < nworkers; i++)
        n += all[i].nbip;
    if (n == 0)
        return;
    bip_ref *v = malloc(n * sizeof *v);
    if (!v) {
        w->rc = ft_error_oom(&w->err);
        return;
    }
    n = 0;
    for (int i = 0; i < nworkers; i++)
        for (size_t k = 0; k < all[i].nbip; k++)
            v[n++] = (bip_ref){&all[i].bip[k], all[i].bip_txns};
    qsort(v, n, sizeof *v, cmp_bip);
    size_t need = (size_t)P->bip_min_senders;
    int64_t span = hours(P->bip_window_hours);
    for (size_t g = 0; g < n;) {
        size_t e = g;
        while (e < n && v[e].r->receivers == v[g].r->receivers)
            e++;
        for (size_t i = g; i < e;) {
            size_t j = i;
            int64_t last = v[i].r->last_ms;
            while (j + 1 < e && v[j + 1].r->first_ms - v[i].r->first_ms <= span) {
                j++;
                last = v[j].r->last_ms > last ? v[j].r->last_ms : last;
            }
            size_t senders = j - i + 1;
            if (senders < need || last - v[i].r->first_ms > span) {
                i++;
                continue;
            }
            size_t nt = 0;
            for (size_t k = i; k <= j; k++)
                nt += v[k].r->ntxn;
            if (!scan_reserve(w, (void **)&w->b, &w->cap_b, nt, sizeof *w->b)) {
                free(v);
                return;
            }
            nt = 0;
            uint32_t accts[64], nacc = 0;
            for (size_t k = i; k <= j; k++) {
                memcpy(w->b + nt, v[k].txns + v[k].r->txn0, v[k].r->ntxn * sizeof *w->b);
                nt += v[k].r->ntxn;
                if (nacc < 64)
                    accts[nacc++] = v[k].r->sender;
            }
            for (uint32_t q = 0; q < v[i].r->ntxn && nacc < 64; q++)
                accts[nacc++] = S->t.dst[v[i].txns[v[i].r->txn0 + q]];
            char t0[40], sum[48];
            when(v[i].r->first_ms, t0);
            uint16_t cur = CUR(w->b[0]);
            scan_money(S, cur, total(w, w->b, nt, cur), sum);
            char params[160];
            snprintf(params, sizeof params,
                     "min_senders=%g;min_receivers=%g;window_hours=%g;min_amount=%g",
                     P->bip_min_senders, P->bip_min_receivers, P->bip_window_hours,
                     P->bip_min_amount);
            scan_emit(w, FT_PAT_BIPARTITE,
                      0.6 + 0.4 * fmin(1.0, (double)(senders * v[i].r->nrecv) / 25.0), w->b,
                      (uint32_t)nt, accts, nacc, params,
                      "%zu senders each paid the same %u receivers (one-off payments, %s in "
                      "total) within %.1f hours from %s",
                      senders, v[i].r->nrecv, sum,
                      (double)(last - v[i].r->first_ms) / (double)HOUR_MS, t0);
            i = j + 1;
        }
        g = e;
    }
    free(v);
}

/* --- pass-through and rapid movement ------------------------------------------------------ */

typedef struct pair {
    uint32_t x, y;
    int64_t delay;
} pair;

/* Emits the windows of `need` or more pairs among pr[0 .. n). */
static void rounds(scan_worker *w, uint32_t a, const pair *pr, size_t n, bool rapid)
{
    size_t need = (size_t)P->pt_min_rounds;
    int64_t span = (int64_t)(P->pt_window_days * 24 * (double)HOUR_MS);
    for (size_t i = 0; i + need <= n;) {
        size_t j = i;
        while (j + 1 < n && TS(pr[j + 1].x) - TS(pr[i].x) <= span)
            j++;
        if (j - i + 1 < need) {
            i++;
            continue;
        }
        size_t k = j - i + 1;
        if (!scan_reserve(w, (void **)&w->b, &w->cap_b, 2 * k, sizeof *w->b))
            return;
        int64_t in = 0, out = 0, dmin = INT64_MAX, dmax = 0;
        uint32_t accts[1] = {a};
        for (size_t q = 0; q < k; q++) {
            w->b[2 * q] = pr[i + q].x;
            w->b[2 * q + 1] = pr[i + q].y;
            in = sadd(in, AMT(pr[i + q].x));
            out = sadd(out, AMT(pr[i + q].y));
            dmin = pr[i + q].delay < dmin ? pr[i + q].delay : dmin;
            dmax = pr[i + q].delay > dmax ? pr[i + q].delay : dmax;
        }
        char name[64], si[48], so[48], t0[40];
        scan_account(S, a, name);
        scan_money(S, CUR(pr[i].x), in, si);
        scan_money(S, CUR(pr[i].x), out, so);
        when(TS(pr[i].x), t0);
        char params[200];
        snprintf(params, sizeof params,
                 "min_rounds=%g;delay_hours=%g;keep_low=%g;window_days=%g;min_amount=%g;"
                 "rapid_max_minutes=%g",
                 P->pt_min_rounds, P->pt_delay_hours, P->pt_keep_low, P->pt_window_days,
                 P->pt_min_amount, P->rapid_max_minutes);
        scan_emit(w, rapid ? FT_PAT_RAPID : FT_PAT_PASS_THROUGH,
                  0.5 + 0.5 * fmin(1.0, (double)(k - need + 1) / 3.0), w->b, (uint32_t)(2 * k),
                  accts, 1, params,
                  "%s passed on %zu payments from %s: each one-off payment in was followed by "
                  "a one-off payment out of %g-100%% of it %.0f to %.0f minutes later (%s in, "
                  "%s out)",
                  name, k, t0, 100 * P->pt_keep_low, (double)dmin / 60000.0,
                  (double)dmax / 60000.0, si, so);
        i = j + 1;
    }
}

void detect_pass_through(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    const scan_ctx *c = w->c;
    uint32_t olo = adj->out_off[a], ohi = adj->out_off[a + 1];
    if (ohi - olo < (uint32_t)P->pt_min_rounds)
        return;
    int64_t delay = hours(P->pt_delay_hours);
    int64_t rapid_ms = (int64_t)(P->rapid_max_minutes * 60000.0);
    /* Each one-off payment in, paired with the first one-off payment out
     * after it that passes most of it on; a payment out pairs once. The
     * pairs: rapid ones in w->x, slower ones in w->y. */
    size_t nr = 0, ns = 0;
    uint32_t used_until = olo; /* payments out before this are taken */
    for (uint32_t i = adj->in_off[a]; i < adj->in_off[a + 1]; i++) {
        uint32_t x = adj->in_txn[i], from = S->t.src[x];
        if (!c->once[x] || from == a || c->hub[from] ||
            AMT(x) < minor(w, CUR(x), P->pt_min_amount))
            continue;
        uint32_t k = used_until;
        while (k < ohi && adj->out_txn[k] <= x)
            k++;
        for (; k < ohi; k++) {
            uint32_t y = adj->out_txn[k], to = S->t.dst[y];
            if (TS(y) - TS(x) > delay)
                break;
            if (!c->once[y] || to == a || to == from || c->hub[to] || CUR(y) != CUR(x) ||
                !ratio_in(AMT(y), AMT(x), P->pt_keep_low, 1.0))
                continue;
            pair p = {x, y, TS(y) - TS(x)};
            bool rapid = p.delay <= rapid_ms;
            size_t *n = rapid ? &nr : &ns;
            if (!scan_reserve(w, rapid ? &w->x : &w->y, rapid ? &w->cap_x : &w->cap_y,
                              (*n + 1) * sizeof p, 1))
                return;
            ((pair *)(rapid ? w->x : w->y))[(*n)++] = p;
            used_until = k + 1;
            break;
        }
    }
    if (P->enabled[FT_PAT_RAPID])
        rounds(w, a, w->x, nr, true);
    if (P->enabled[FT_PAT_PASS_THROUGH])
        rounds(w, a, w->y, ns, false);
}

/* --- structuring ---------------------------------------------------------------------------- */

void detect_structuring(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    size_t m = 0;
    for (uint32_t i = adj->in_off[a]; i < adj->in_off[a + 1]; i++) {
        uint32_t t = adj->in_txn[i];
        uint16_t cur = CUR(t);
        if (S->currencies[cur].exponent != 2)
            continue; /* the threshold is set for currencies counted in hundredths */
        int64_t thr = minor(w, cur, P->st_threshold);
        if (AMT(t) >= thr || AMT(t) < minor(w, cur, P->st_threshold * P->st_low))
            continue;
        if (!push(w, &w->a, &w->cap_a, &m, t))
            return;
    }
    size_t need = (size_t)P->st_min_count;
    int64_t span = (int64_t)(P->st_window_days * 24 * (double)HOUR_MS);
    for (size_t i = 0; i + need <= m;) {
        size_t bs, be = best_window(w, w->a, m, i, span, &bs);
        size_t k = be - bs + 1;
        if (k < need) {
            i++;
            continue;
        }
        char name[64], sum[48], t0[40];
        scan_account(S, a, name);
        uint16_t cur = CUR(w->a[bs]);
        scan_money(S, cur, total(w, w->a + bs, k, cur), sum);
        when(TS(w->a[bs]), t0);
        uint32_t accts[1] = {a};
        char params[160];
        snprintf(params, sizeof params, "threshold=%g;low=%g;min_count=%g;window_days=%g",
                 P->st_threshold, P->st_low, P->st_min_count, P->st_window_days);
        scan_emit(w, FT_PAT_STRUCTURING, 0.5 + 0.5 * fmin(1.0, (double)(k - need + 1) / 4.0),
                  w->a + bs, (uint32_t)k, accts, 1, params,
                  "%s received %zu payments between %g%% of and just under the %g threshold "
                  "within %.1f days from %s (%s in total)",
                  name, k, 100 * P->st_low, P->st_threshold,
                  (double)(TS(w->a[be]) - TS(w->a[bs])) / (24.0 * (double)HOUR_MS), t0, sum);
        i = be + 1;
    }
}

/* --- terrorist-financing collection ----------------------------------------------------------- */

static _Thread_local const scan_worker *amt_w;

static int cmp_amount_desc(const void *x, const void *y)
{
    const scan_worker *w = amt_w;
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    if (AMT(a) != AMT(b))
        return AMT(a) > AMT(b) ? -1 : 1;
    return (a > b) - (a < b);
}

void detect_tf_collection(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    if (adj->in_off[a + 1] - adj->in_off[a] < (uint32_t)P->tf_min_sources)
        return;
    size_t m = one_off(w, a, false, 0, P->tf_max_donation);
    size_t need = (size_t)P->tf_min_sources;
    int64_t span = (int64_t)(P->tf_window_days * 24 * (double)HOUR_MS);
    int64_t delay = (int64_t)(P->tf_delay_days * 24 * (double)HOUR_MS);
    size_t outs_max = (size_t)P->tf_max_outflows;
    for (size_t i = 0; i + need <= m;) {
        size_t bs, be = best_window(w, w->a, m, i, span, &bs);
        size_t k = be - bs + 1;
        if (k < need) {
            i++;
            continue;
        }
        /* A burst: the account does not usually receive this many small
         * one-off payments (a club's fees, a shop's bills). */
        double span_days = (double)(TS(S->t.n - 1) - TS(0)) / (24.0 * (double)HOUR_MS);
        double usual = span_days > P->tf_window_days
                           ? (double)(m - k) * P->tf_window_days / (span_days - P->tf_window_days)
                           : 0;
        if ((double)k < P->tf_min_burst * usual) {
            i = be + 1;
            continue;
        }
        uint16_t cur = CUR(w->a[bs]);
        int64_t collected = total(w, w->a + bs, k, cur);
        /* The larger payments out after the collection began. */
        size_t nb = 0;
        for (uint32_t q = adj->out_off[a]; q < adj->out_off[a + 1]; q++) {
            uint32_t t = adj->out_txn[q];
            if (t < w->a[bs])
                continue;
            if (TS(t) > TS(w->a[be]) + delay)
                break;
            if (CUR(t) != cur || AMT(t) <= minor(w, cur, P->tf_max_donation))
                continue;
            if (!scan_reserve(w, (void **)&w->b, &w->cap_b, nb + k + 1, sizeof *w->b))
                return;
            w->b[nb++] = t;
        }
        amt_w = w;
        if (nb > 1)
            qsort(w->b, nb, sizeof *w->b, cmp_amount_desc);
        size_t take = nb < outs_max ? nb : outs_max;
        int64_t sent = total(w, w->b, take, cur);
        /* Abroad: a payee in another jurisdiction than the collector. */
        char home[3], there[3];
        scan_country(S, a, home);
        bool abroad = false, known = home[0] != '\0';
        for (size_t q = 0; q < take; q++) {
            scan_country(S, S->t.dst[w->b[q]], there);
            known = known && there[0];
            abroad = abroad || (home[0] && there[0] && strcmp(home, there) != 0);
        }
        bool where_ok = P->tf_abroad == 0 || abroad || !known;
        if (take && where_ok && (double)sent >= P->tf_min_share * (double)collected &&
            (double)sent <= 1.2 * (double)collected) {
            uint32_t accts[4] = {a};
            uint32_t nacc = 1;
            for (size_t q = 0; q < take && nacc < 4; q++)
                accts[nacc++] = S->t.dst[w->b[q]];
            memcpy(w->b + take, w->a + bs, k * sizeof *w->b);
            char name[64], col[48], snt[48], t0[40], to[64];
            scan_account(S, a, name);
            scan_money(S, cur, collected, col);
            scan_money(S, cur, sent, snt);
            when(TS(w->a[bs]), t0);
            scan_account(S, accts[1], to);
            char params[200];
            snprintf(params, sizeof params,
                     "min_sources=%g;window_days=%g;max_donation=%g;max_outflows=%g;"
                     "delay_days=%g;min_share=%g;abroad=%g;min_burst=%g",
                     P->tf_min_sources, P->tf_window_days, P->tf_max_donation,
                     P->tf_max_outflows, P->tf_delay_days, P->tf_min_share, P->tf_abroad,
                     P->tf_min_burst);
            scan_emit(w, FT_PAT_TF_COLLECTION,
                      0.5 + 0.3 * fmin(1.0, (double)k / (2.0 * (double)need)) + (abroad ? 0.2 : 0),
                      w->b,
                      (uint32_t)(take + k), accts, nacc, params,
                      "%s collected %s in %zu small one-off payments from %zu payers from %s, "
                      "then moved %s (%.0f%%) on in %zu larger payment%s (first to %s%s)",
                      name, col, k, k, t0, snt, 100.0 * (double)sent / (double)collected, take,
                      take == 1 ? "" : "s", to, abroad ? ", abroad" : "");
        }
        i = be + 1;
    }
}
