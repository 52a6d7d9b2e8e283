/*
 * detect_chain.c - money moving along: temporal cycles and layering
 * chains (stacks).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

/* --- cycles: temporal and structural ------------------------------------------------------ */

/*
 * A cycle is money that comes back: transfers a -> b -> ... -> a. Its edges
 * are links (TF_LINK: a new relation from a payer that does not open them
 * as a routine, or one large for the payer, or a payment off its payer's
 * rhythm): recurring relations (two flatmates, a family) pay each other in
 * circles all the time. All of a cycle's transfers fall
 * within a window of cycle.window_hours, in any order; the cycle is
 *   - temporal, when some rotation of it runs forward in time (money that
 *     arrives at t may leave at t) and each hop keeps cycle.keep_low to
 *     cycle.keep_high of the one before;
 *   - structural otherwise (AMLSim's and AMLworld's definition: amounts
 *     free, hops in any order).
 * Two-hop returns (a pays b, b pays back) are everyday life: friends
 * settling bills, refunds, loans. One alerts only as a temporal cycle
 * between accounts with no other relation, and only when the amount is
 * large for both: cycle.return_ratio times their median payments.
 *
 * The score's chance: see cycle_log10_expected.
 */

typedef struct cyc {
    scan_worker *w;
    uint32_t start, e0;
    int64_t span, tmin, tmax;
    int max_hops;
    uint32_t path[16];
    int found;
    int64_t visits;
} cyc;

static bool cycle_edge(const scan_worker *w, uint32_t t)
{
    return (PR->tflag[t] & TF_LINK) && S->t.src[t] != S->t.dst[t];
}

/* The rotation that runs forward in time with amounts kept, or -1. */
static int temporal_rotation(const scan_worker *w, const uint32_t *path, int hops)
{
    for (int r = 0; r < hops; r++) {
        bool ok = true;
        for (int k = 1; k < hops && ok; k++) {
            uint32_t p = path[(r + k - 1) % hops], t = path[(r + k) % hops];
            ok = TS(t) >= TS(p) && CUR(t) == CUR(p) &&
                 det_ratio_in(AMT(t), AMT(p), P->cycle_keep_low, P->cycle_keep_high);
        }
        if (ok)
            return r;
    }
    return -1;
}

/* log10 of the cycles like this one expected by chance: each of the data's
 * links could start one; from there a random walk along links takes, at
 * each account it passes, one of the b links that account made within the
 * cycle's time span, and closes the loop with the chance that a random
 * account is one the start received links from in that span (its in-links
 * over the active accounts). A cycle of thin accounts that only pass the
 * money on is rare; one through a dense core of busy accounts is not. A
 * temporal one is a 1 in (L - 1)! ordering of those. */
static double cycle_log10_expected(const scan_worker *w, const uint32_t *path, int hops,
                                   int64_t tmin, int64_t tmax, bool temporal)
{
    const ft_adjacency *adj = &S->adj;
    double e = log10((double)(PR->nlinks > 0 ? PR->nlinks : 1)) - log10(hops);
    for (int k = 0; k < hops; k++) {
        uint32_t v = S->t.src[path[k]];
        bool start = k == 0;
        const uint32_t *list = start ? adj->in_txn : adj->out_txn;
        uint32_t lo = start ? adj->in_off[v] : adj->out_off[v];
        uint32_t hi = start ? adj->in_off[v + 1] : adj->out_off[v + 1];
        uint32_t from = det_from_time(w, list, lo, hi, tmin);
        uint32_t to = det_from_time(w, list, from, hi, tmax + 1);
        uint32_t b = 0;
        for (uint32_t i = from; i < to; i++)
            b += cycle_edge(w, list[i]);
        e += log10(b ? (double)b : 1);
    }
    e -= log10(PR->active > 0 ? (double)PR->active : 1);
    if (temporal)
        e -= lgamma(hops) / log(10); /* (L - 1)! orders */
    return e;
}

static void cycle_emit(cyc *y, int hops)
{
    scan_worker *w = y->w;
    int rot = temporal_rotation(w, y->path, hops);
    if (hops == 2) {
        /* a return: temporal, no other relation, large for both */
        uint32_t x = y->path[0], z = y->path[1];
        if (rot < 0 || !(PR->tflag[x] & TF_ONCE) || !(PR->tflag[z] & TF_ONCE))
            return;
        for (int k = 0; k < 2; k++) {
            uint32_t t = y->path[k];
            double v = (double)AMT(t) / (double)w->c->unit[CUR(t)];
            if (v < P->cycle_return_ratio * PR->med_out[S->t.src[t]] ||
                v < P->cycle_return_ratio * PR->med_in[S->t.dst[t]])
                return;
        }
    }
    /* Around the loop: a temporal cycle from its first hop in time, a
     * structural one from its lowest-numbered transfer. */
    uint32_t order[16];
    for (int k = 0; k < hops; k++)
        order[k] = y->path[rot < 0 ? k : (rot + k) % hops];
    char text[900];
    size_t used = 0;
    for (int k = 0; k < hops && used < sizeof text - 120; k++) {
        char acc[64], amt[48], t[40];
        scan_account(S, S->t.src[order[k]], acc);
        scan_money(S, CUR(order[k]), AMT(order[k]), amt);
        det_when(TS(order[k]), t);
        used += (size_t)snprintf(text + used, sizeof text - used, "%s -(%s, %s)-> ", acc, amt, t);
    }
    char back[64];
    scan_account(S, S->t.src[order[0]], back);
    char params[200];
    snprintf(params, sizeof params,
             "variant=%s;max_hops=%g;window_hours=%g;keep_low=%g;keep_high=%g;return_ratio=%g",
             rot >= 0 ? "temporal" : "structural", P->cycle_max_hops, P->cycle_window_hours,
             P->cycle_keep_low, P->cycle_keep_high, P->cycle_return_ratio);
    uint32_t accts[16];
    for (int k = 0; k < hops; k++)
        accts[k] = S->t.src[order[k]];
    double e = cycle_log10_expected(w, order, hops, y->tmin, y->tmax, rot >= 0);
    double days = (double)(y->tmax - y->tmin) / (24.0 * (double)HOUR_MS);
    scan_emit(w, FT_PAT_CYCLE, 1 / (1 + pow(10, e / 2)), order, (uint32_t)hops, accts,
              (uint32_t)hops, params,
              "%s cycle: money went round %d accounts within %.1f days, each transfer a new "
              "relation or off its payer's rhythm%s: %s%s; about %.2g such cycles are expected "
              "by chance in data this size",
              rot >= 0 ? "temporal" : "structural", hops, days,
              rot >= 0 ? ", forward in time, each hop keeping most of the one before"
                       : ", hops in any order",
              text, back, pow(10, e));
}

static void cycle_dfs(cyc *y, int depth)
{
    scan_worker *w = y->w;
    const ft_adjacency *adj = &S->adj;
    uint32_t v = S->t.dst[y->path[depth - 1]];
    uint32_t lo = det_from_time(w, adj->out_txn, adj->out_off[v], adj->out_off[v + 1],
                                y->tmax - y->span);
    int64_t until = y->tmin + y->span;
    for (uint32_t k = lo; k < adj->out_off[v + 1] && y->found < 64; k++) {
        uint32_t t = adj->out_txn[k];
        if (TS(t) > until)
            break;
        if (t <= y->e0 || !cycle_edge(w, t) || ++y->visits > 20000)
            continue;
        uint32_t d = S->t.dst[t];
        y->path[depth] = t;
        int64_t tmin = y->tmin, tmax = y->tmax;
        y->tmin = TS(t) < tmin ? TS(t) : tmin;
        y->tmax = TS(t) > tmax ? TS(t) : tmax;
        if (d == y->start) {
            y->found++;
            cycle_emit(y, depth + 1);
        } else if (depth + 1 < y->max_hops && !w->c->hub[d]) {
            bool on = false;
            for (int q = 0; q < depth && !on; q++)
                on = S->t.src[y->path[q]] == d;
            if (!on)
                cycle_dfs(y, depth + 1);
        }
        y->tmin = tmin;
        y->tmax = tmax;
    }
}

void detect_cycles(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    cyc y = {.w = w, .start = a, .max_hops = (int)P->cycle_max_hops};
    if (y.max_hops > 16)
        y.max_hops = 16;
    y.span = det_hours(P->cycle_window_hours);
    /* Each cycle once: from its transfer with the lowest number. */
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++) {
        uint32_t e0 = adj->out_txn[i], b = S->t.dst[e0];
        if (b == a || w->c->hub[b] || !cycle_edge(w, e0))
            continue;
        y.e0 = e0;
        y.path[0] = e0;
        y.tmin = y.tmax = TS(e0);
        y.found = 0;
        y.visits = 0;
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
    return TS(t) > TS(p) && TS(t) - TS(p) <= det_hours(P->stack_gap_hours) && CUR(t) == CUR(p) &&
           det_ratio_in(AMT(t), AMT(p), P->stack_keep_low, 1.0);
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
    uint32_t lo = det_after(adj->out_txn, adj->out_off[v], adj->out_off[v + 1], p);
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
    chain ch = {.w = w, .cap = 24, .gap = det_hours(P->stack_gap_hours)};
    int need = (int)P->stack_min_length;
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++) {
        uint32_t e0 = adj->out_txn[i], b = S->t.dst[e0];
        if (b == a || w->c->hub[b] || AMT(e0) < det_minor(w, CUR(e0), P->stack_min_amount))
            continue;
        /* Only from the head of a chain: no payment into a that e0 passes on
         * (one within the gap before it). */
        bool head = true;
        uint32_t k0 = det_from_time(w, adj->in_txn, adj->in_off[a], adj->in_off[a + 1],
                                    TS(e0) - ch.gap);
        for (uint32_t k = k0; k < adj->in_off[a + 1] && head; k++) {
            uint32_t p = adj->in_txn[k];
            if (p >= e0)
                break;
            if (chains_on(w, p, e0) && !w->c->hub[S->t.src[p]] && S->t.src[p] != b &&
                AMT(p) >= det_minor(w, CUR(p), P->stack_min_amount))
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
        det_when(TS(e0), t0);
        double hrs = (double)(TS(ch.best[ch.nbest - 1]) - TS(e0)) / (double)HOUR_MS;
        char params[160];
        snprintf(params, sizeof params, "min_length=%g;gap_hours=%g;keep_low=%g;min_amount=%g",
                 P->stack_min_length, P->stack_gap_hours, P->stack_keep_low, P->stack_min_amount);
        scan_emit(w, FT_PAT_STACK, 0.5 + 0.5 * fmin(1.0, (double)(ch.nbest - need + 1) / 4.0),
                  ch.best, (uint32_t)ch.nbest, accts, (uint32_t)ch.nbest + 1, params,
                  "%s sent %s at %s; it passed through %d accounts to %s within %.1f hours, "
                  "arriving as %s; each hop within %g hours of the one before and keeping at "
                  "least %g of it",
                  from, first, t0, ch.nbest - 1, to, hrs, last, P->stack_gap_hours,
                  P->stack_keep_low);
    }
}
