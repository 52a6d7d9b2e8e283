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
        det_when(TS(y->path[k]), t);
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
    uint32_t lo = det_after(adj->out_txn, adj->out_off[v], adj->out_off[v + 1], p);
    for (uint32_t k = lo; k < adj->out_off[v + 1] && y->found < 64; k++) {
        uint32_t t = adj->out_txn[k];
        if (TS(t) > y->limit)
            break;
        if (TS(t) <= TS(p) || CUR(t) != CUR(p) ||
            !det_ratio_in(AMT(t), AMT(p), P->cycle_keep_low, P->cycle_keep_high))
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
        y.limit = TS(e0) + det_hours(P->cycle_window_hours);
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
