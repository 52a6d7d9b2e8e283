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
 * large for both: cycle.return_ratio times their median payments; and its
 * chance is at least the number of other such returns in the data
 * (scan_count_returns): data that starts in the middle of accounts'
 * histories shows old relations as new ones, and their returns then
 * abound.
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

static bool link(const scan_worker *w, uint32_t t)
{
    return (PR->tflag[t] & TF_LINK) && S->t.src[t] != S->t.dst[t];
}

/* The rotation that runs forward in time with amounts kept (of several,
 * at one time, the one whose first hop comes first in the tie order), or
 * -1. */
static int temporal_rotation(const scan_worker *w, const uint32_t *path, int hops)
{
    int best = -1;
    for (int r = 0; r < hops; r++) {
        bool ok = true;
        for (int k = 1; k < hops && ok; k++) {
            uint32_t p = path[(r + k - 1) % hops], t = path[(r + k) % hops];
            ok = TS(t) >= TS(p) && CUR(t) == CUR(p) &&
                 det_ratio_in(AMT(t), AMT(p), P->cycle_keep_low, P->cycle_keep_high);
        }
        if (ok && (best < 0 || ft_store_txn_cmp(S, path[r], path[best]) < 0))
            best = r;
    }
    return best;
}

/* A structural cycle's start: its first transfer in time and tie order, so
 * that the rows' order does not show. */
static int first_transfer(const scan_worker *w, const uint32_t *path, int hops)
{
    int best = 0;
    for (int r = 1; r < hops; r++)
        if (ft_store_txn_cmp(S, path[r], path[best]) < 0)
            best = r;
    return best;
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
            b += link(w, list[i]);
        e += log10(b ? (double)b : 1);
    }
    e -= log10(PR->active > 0 ? (double)PR->active : 1);
    if (temporal)
        e -= lgamma(hops) / log(10); /* (L - 1)! orders */
    return e;
}

/* A leg of a return: the only payment of its payer to its payee, and
 * large for both (cycle.return_ratio times their median payments). */
static bool return_leg(const scan_worker *w, uint32_t t)
{
    double v = (double)AMT(t) / (double)w->c->unit[CUR(t)];
    return (PR->tflag[t] & TF_ONCE) && v >= P->cycle_return_ratio * PR->med_out[S->t.src[t]] &&
           v >= P->cycle_return_ratio * PR->med_in[S->t.dst[t]];
}

/* Whether a two-hop cycle is a return worth weighing: temporal, each leg
 * a return leg. */
static bool is_return(const scan_worker *w, const uint32_t path[2])
{
    return return_leg(w, path[0]) && return_leg(w, path[1]) && temporal_rotation(w, path, 2) >= 0;
}

uint32_t scan_count_returns(const scan_ctx *c)
{
    const scan_worker wk = {.c = c}, *w = &wk;
    const ft_adjacency *adj = &S->adj;
    int64_t span = det_hours(P->cycle_window_hours);
    uint32_t n = 0;
    /* as detect_cycles finds them: from the leg with the lower number (the
     * flags first: one pass over them in order) */
    for (uint32_t e0 = 0; e0 < S->t.n; e0++) {
        if ((PR->tflag[e0] & (TF_ONCE | TF_LINK)) != (TF_ONCE | TF_LINK))
            continue;
        uint32_t a = S->t.src[e0], b = S->t.dst[e0];
        if (b == a || c->hub[a] || c->hub[b] || !return_leg(w, e0))
            continue;
        uint32_t hi = adj->out_off[b + 1];
        for (uint32_t k = det_from_time(w, adj->out_txn, adj->out_off[b], hi, TS(e0) - span);
             k < hi && TS(adj->out_txn[k]) <= TS(e0) + span; k++) {
            uint32_t path[2] = {e0, adj->out_txn[k]};
            n += path[1] > e0 && S->t.dst[path[1]] == a && link(w, path[1]) && is_return(w, path);
        }
    }
    return n;
}

static void cycle_emit(cyc *y, int hops)
{
    scan_worker *w = y->w;
    int rot = temporal_rotation(w, y->path, hops);
    /* a return: temporal, no other relation, large for both */
    if (hops == 2 && !is_return(w, y->path))
        return;
    /* Around the loop: a temporal cycle from its first hop in time, a
     * structural one from its first transfer. */
    uint32_t order[16];
    int from = rot < 0 ? first_transfer(w, y->path, hops) : rot;
    for (int k = 0; k < hops; k++)
        order[k] = y->path[(from + k) % hops];
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
    /* A return is weighed against the others like it this data holds as
     * well: where two accounts that pay each other now and then look new to
     * each other (history the data does not reach back to), returns are
     * common, and one more is no sign of laundering. */
    uint32_t others = hops == 2 && w->c->returns > 0 ? w->c->returns - 1 : 0;
    bool common = others > 0 && log10((double)others) > e;
    if (common)
        e = log10((double)others);
    char tail[120];
    if (common)
        snprintf(tail, sizeof tail, "this data holds %u other returns like it", others);
    else
        snprintf(tail, sizeof tail, "about %.2g such cycles are expected by chance in data this size",
                 pow(10, e));
    double days = (double)(y->tmax - y->tmin) / (24.0 * (double)HOUR_MS);
    scan_emit(w, FT_PAT_CYCLE, 1 / (1 + pow(10, e / 2)), order, (uint32_t)hops, accts,
              (uint32_t)hops, params,
              "%s cycle: money went round %d accounts within %.1f days, each transfer a new "
              "relation or off its payer's rhythm%s: %s%s; %s",
              rot >= 0 ? "temporal" : "structural", hops, days,
              rot >= 0 ? ", forward in time, each hop keeping most of the one before"
                       : ", hops in any order",
              text, back, tail);
}

static void cycle_dfs(cyc *y, int depth)
{
    scan_worker *w = y->w;
    const ft_adjacency *adj = &S->adj;
    uint32_t v = S->t.dst[y->path[depth - 1]];
    uint32_t lo =
        det_from_time(w, adj->out_txn, adj->out_off[v], adj->out_off[v + 1], y->tmax - y->span);
    int64_t until = y->tmin + y->span;
    for (uint32_t k = lo; k < adj->out_off[v + 1] && y->found < 64; k++) {
        uint32_t t = adj->out_txn[k];
        if (TS(t) > until)
            break;
        if (t <= y->e0 || !link(w, t) || ++y->visits > 20000)
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
        if (b == a || w->c->hub[b] || !link(w, e0))
            continue;
        y.e0 = e0;
        y.path[0] = e0;
        y.tmin = y.tmax = TS(e0);
        y.found = 0;
        y.visits = 0;
        cycle_dfs(&y, 1);
    }
}

/* --- stacks (layering chains and layered flows) ----------------------------------------- */

/*
 * Money passed on layer by layer: a head pays one or more accounts (layer
 * 1) in links (TF_LINK); each account of a layer passes at least
 * stack.keep_low of what it received on, in links within stack.gap_hours
 * of receiving it, to accounts not seen before (the next layer; an account
 * may pay several of them); and so on for stack.min_length hops or more.
 * A chain is a stack one account wide.
 *
 * The score's chance: of this data's links, the share whose payee passes
 * the money on like that, as quickly as this pass (scan_profile.q_pass at
 * 1, 6, 24, 72 hours or the gap), is the chance of each pass; a stack
 * whose accounts passed money on after delays d1..dp, from a head payment
 * of amount x, is expected about links * tail(x) * q_pass(d1) * ... *
 * q_pass(dp) times by chance, tail(x) being the data's share of one-off
 * payments of x or more (scan_amount_tail).
 */

#define STACK_MAX 256

typedef struct snode {
    uint32_t acc;
    int64_t t;   /* when the money arrived */
    int64_t got; /* how much, in cur */
} snode;

static int snode_find(const snode *v, size_t n, uint32_t acc)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].acc == acc)
            return (int)i;
    return -1;
}

void detect_stacks(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    int64_t gap = det_hours(P->stack_gap_hours);
    size_t need = (size_t)P->stack_min_length;
    uint32_t lo = adj->out_off[a], hi = adj->out_off[a + 1];
    snode seen[STACK_MAX], cur_l[STACK_MAX], next_l[STACK_MAX];
    uint32_t edges[STACK_MAX];
    for (uint32_t i = lo; i < hi; i++) {
        uint32_t e0 = adj->out_txn[i], b = S->t.dst[e0];
        if (!link(w, e0) || b == a || w->c->hub[b] ||
            AMT(e0) < det_minor(w, CUR(e0), P->stack_min_amount))
            continue;
        uint16_t cur = CUR(e0);
        /* A head only: a did not receive a link it passes on with e0. */
        bool head = true;
        uint32_t k0 =
            det_from_time(w, adj->in_txn, adj->in_off[a], adj->in_off[a + 1], TS(e0) - gap);
        for (uint32_t k = k0; k < adj->in_off[a + 1] && head; k++) {
            uint32_t p = adj->in_txn[k];
            if (TS(p) > TS(e0))
                break;
            if (link(w, p) && CUR(p) == cur && S->t.src[p] != b &&
                det_ratio_in(AMT(e0), AMT(p), 0, 1.1) && AMT(e0) * 10 >= AMT(p))
                head = false;
        }
        if (!head)
            continue;
        /* Layer 1: a's links in this currency within the gap from e0. */
        size_t nseen = 0, ncur = 0, nedges = 0;
        seen[nseen++] = (snode){a, TS(e0), 0};
        uint32_t last = i;
        for (uint32_t k = i; k < hi && TS(adj->out_txn[k]) - TS(e0) <= gap; k++) {
            uint32_t t = adj->out_txn[k], d = S->t.dst[t];
            if (!link(w, t) || d == a || w->c->hub[d] || CUR(t) != cur || nedges >= STACK_MAX ||
                AMT(t) < det_minor(w, cur, P->stack_min_amount))
                continue;
            edges[nedges++] = t;
            last = k;
            int f = snode_find(cur_l, ncur, d);
            if (f >= 0) {
                cur_l[f].got = det_sadd(cur_l[f].got, AMT(t));
                cur_l[f].t = TS(t) > cur_l[f].t ? TS(t) : cur_l[f].t;
            } else if (ncur < STACK_MAX && nseen < STACK_MAX) {
                cur_l[ncur++] = (snode){d, TS(t), AMT(t)};
                seen[nseen++] = (snode){d, TS(t), AMT(t)};
            }
        }
        i = last; /* the head's other layer-1 payments start no stack of their own */
        for (size_t c = 0; c < ncur; c++)
            seen[1 + c] = cur_l[c]; /* with the last arrival, as the later layers */
        size_t hops = 1, passes = 0;
        while (ncur && hops < 24) {
            size_t nnext = 0;
            for (size_t c = 0; c < ncur; c++) {
                const snode *v = &cur_l[c];
                uint32_t from = det_from_time(w, adj->out_txn, adj->out_off[v->acc],
                                              adj->out_off[v->acc + 1], v->t);
                int64_t sent = 0;
                size_t first = nedges;
                for (uint32_t k = from; k < adj->out_off[v->acc + 1]; k++) {
                    uint32_t t = adj->out_txn[k], d = S->t.dst[t];
                    if (TS(t) - v->t > gap)
                        break;
                    if (!link(w, t) || CUR(t) != cur || w->c->hub[d] ||
                        snode_find(seen, nseen, d) >= 0 || nedges >= STACK_MAX ||
                        (double)det_sadd(sent, AMT(t)) > 1.1 * (double)v->got)
                        continue;
                    sent = det_sadd(sent, AMT(t));
                    edges[nedges++] = t;
                }
                if ((double)sent < P->stack_keep_low * (double)v->got) {
                    nedges = first; /* v did not pass it on */
                    continue;
                }
                passes++;
                for (size_t q = first; q < nedges; q++) {
                    uint32_t t = edges[q], d = S->t.dst[t];
                    int f = snode_find(next_l, nnext, d);
                    if (f >= 0) {
                        next_l[f].got = det_sadd(next_l[f].got, AMT(t));
                        next_l[f].t = TS(t) > next_l[f].t ? TS(t) : next_l[f].t;
                    } else if (nnext < STACK_MAX) {
                        next_l[nnext++] = (snode){d, TS(t), AMT(t)};
                    }
                }
            }
            if (!nnext)
                break;
            for (size_t q = 0; q < nnext && nseen < STACK_MAX; q++)
                seen[nseen++] = next_l[q];
            memcpy(cur_l, next_l, nnext * sizeof *next_l);
            ncur = nnext;
            hops++;
        }
        if (hops < need)
            continue;
        /* each pass at the rate of passes as quick as it */
        int64_t delay[STACK_MAX];
        for (size_t q = 0; q < nseen; q++)
            delay[q] = -1;
        for (size_t q = 0; q < nedges; q++) {
            uint32_t t = edges[q];
            int f = S->t.src[t] == a ? -1 : snode_find(seen, nseen, S->t.src[t]);
            if (f >= 0 && TS(t) - seen[f].t > delay[f])
                delay[f] = TS(t) - seen[f].t;
        }
        double lp = 0;
        for (size_t q = 0; q < nseen; q++) {
            if (delay[q] < 0)
                continue;
            int c = 0;
            while (c + 1 < PASS_SCALES && PR->pass_ms[c] < delay[q])
                c++;
            lp += log10(PR->q_pass[c] > 1e-300 ? PR->q_pass[c] : 1e-300);
        }
        double e = lp + log10(PR->nlinks > 0 ? (double)PR->nlinks : 1);
        /* and the head's payment as large as this, for the data */
        e += log10(scan_amount_tail(PR, (double)AMT(e0) / (double)w->c->unit[cur]));
        double score = 1 / (1 + pow(10, e / 2));
        if (score < P->min_score)
            continue;
        uint32_t accts[64];
        uint32_t nacc = 0;
        for (size_t q = 0; q < nseen && nacc < 64; q++)
            accts[nacc++] = seen[q].acc;
        int64_t first_amt = 0, end_amt = 0, tmax = TS(e0);
        for (size_t q = 0; q < nedges; q++) {
            uint32_t t = edges[q];
            if (S->t.src[t] == a)
                first_amt = det_sadd(first_amt, AMT(t));
            tmax = TS(t) > tmax ? TS(t) : tmax;
        }
        for (size_t c = 0; c < ncur; c++)
            end_amt = det_sadd(end_amt, cur_l[c].got);
        char from_s[64], first_s[48], last_s[48], t0[40];
        scan_account(S, a, from_s);
        scan_money(S, cur, first_amt, first_s);
        scan_money(S, cur, end_amt, last_s);
        det_when(TS(e0), t0);
        char params[200];
        snprintf(params, sizeof params, "min_length=%g;gap_hours=%g;keep_low=%g;min_amount=%g",
                 P->stack_min_length, P->stack_gap_hours, P->stack_keep_low, P->stack_min_amount);
        scan_emit(w, FT_PAT_STACK, score, edges, (uint32_t)nedges, accts, nacc, params,
                  "%s sent %s at %s; it was passed on through %zu layers (%zu accounts, %zu "
                  "transfers, each a new relation or off its payer's rhythm) within %.1f days, "
                  "%s arriving in the last layer; each account passed at least %g of what it "
                  "got on within %g hours; about %.2g such stacks are expected by chance in data "
                  "this size",
                  from_s, first_s, t0, hops, nseen - 1, nedges,
                  (double)(tmax - TS(e0)) / (24.0 * (double)HOUR_MS), last_s, P->stack_keep_low,
                  P->stack_gap_hours, pow(10, e));
    }
}
