/*
 * detect_fan.c - many counterparties: fan-out, fan-in, scatter-gather,
 * gather-scatter and bipartite blocks.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

static int cmp_u32(const void *a, const void *b);

/* --- fan-out and fan-in: bursts of unusual payments ------------------------------------- */

/*
 * A fan is a burst of unusual payments out of one account, or into it from
 * many: k of them in a window, among the nw transfers that account made (or
 * received) in that time. Two variants:
 *   - fast: within fan_*.window_hours; the members are the unusual payments
 *     (TF_UNUSUAL: off the payer's rhythm, new and large for the payer, or
 *     new from a payer that does not open new relations as a routine); the
 *     rate they are measured against is the account's own outside the
 *     window, smoothed toward the data's with scan.prior_transfers, or the
 *     data's when that is higher: a shop's steady stream of new customers
 *     is no burst, a quiet account's sudden one is;
 *   - slow: within fan_*.slow_window_days (months: AMLSim's fans take 4 to 9
 *     counterparties over a year); the members are the payments that break
 *     the payer's rhythm, come new from a payer with hardly a life of its
 *     own (into an account only), or are new and large for the payer; against the data's rate of
 * the first two kinds, and when the fan has large ones, against the account's own pace too (see
 *     `steady` in fan_variant).
 * The Poisson chance of k or more where nw times the rate were expected is
 * the score's chance, found among the account's m members (the tries).
 */
#define FAN_STEP 64

typedef struct burst {
    size_t i, j;   /* the window q[i .. j] */
    size_t nw;     /* the account's transfers that direction within it */
    double expect; /* members expected among them */
    double log10p;
} burst;

/* Amounts alike are a feature of a fast fan, not a gate: of k amounts
 * drawn from this data's spread of amounts (its 90th percentile over its
 * 10th, R), all fall within a factor s of each other with a chance of about
 * k (ln s / ln R)^(k - 1); s counts as at least 1.05, and the feature makes
 * a fan at most a hundred times rarer. */
static double similar_log10(const scan_worker *w, double s, size_t k)
{
    double lr = log(PR->amount_spread > 1.1 ? PR->amount_spread : 1.1);
    double ls = log(s > 1.05 ? s : 1.05);
    if (ls >= lr || k < 2)
        return 0;
    double lp = log10((double)k) + (double)(k - 1) * log10(ls / lr);
    /* a feature among others: at most a hundredfold */
    return lp < -2 ? -2 : lp < 0 ? lp : 0;
}

/* The window of at least `need` of q[lo .. hi) within `span` ms with the
 * most members among those rare enough to report, or else the rarest
 * (log10p 0 when there is none); list[from .. to) is all of the account's
 * transfers that direction, q holds its m members. */
static burst best_burst(const scan_worker *w, const uint32_t *q, size_t lo, size_t hi, size_t m,
                        const uint32_t *list, uint32_t from, uint32_t to, bool slow, bool steady,
                        int out_dir, size_t need, int64_t span)
{
    /* the account's active span, for members spread over it evenly */
    double active = (double)(TS(list[to - 1]) - TS(list[from]));
    burst b = {0, 0, 0, 0, 0};
    size_t n = to - from;
    /* reportable: a log10 chance at or below this (det_score >= min_score) */
    double fit_lp = det_log10p_for_score(w, P->min_score, (double)m);
    for (size_t i = lo; i + need <= hi; i++) {
        uint32_t start = det_from_time(w, list, from, to, TS(q[i]));
        uint32_t end = start;
        /* the members' smallest and largest amount, one currency */
        int64_t amin = AMT(q[i]), amax = AMT(q[i]);
        bool one = true;
        size_t seen = i;
        /* Every window of up to FAN_STEP members, then windows doubling
         * in size: bounded work at hubs. */
        for (size_t j = i + need - 1; j < hi && TS(q[j]) - TS(q[i]) <= span;
             j = j - i < FAN_STEP ? j + 1 : i + 2 * (j - i)) {
            while (end < to && TS(list[end]) <= TS(q[j]))
                end++;
            for (; seen < j; seen++) {
                uint32_t t = q[seen + 1];
                one = one && CUR(t) == CUR(q[i]);
                amin = AMT(t) < amin ? AMT(t) : amin;
                amax = AMT(t) > amax ? AMT(t) : amax;
            }
            size_t nw = end - start, k = j - i + 1;
            double rate = PR->q_slow[out_dir];
            if (!slow) {
                double own = ((double)(m - k) + PR->q_unusual * P->prior_transfers) /
                             ((double)(n - nw) + P->prior_transfers);
                rate = own > PR->q_unusual ? own : PR->q_unusual;
            }
            double expect = (double)nw * rate;
            double lp = det_poisson_tail_log10(expect, (double)k);
            if (steady && active > 0) {
                /* k or more of the account's m members in a span this
                 * long, had it spread them over its life at random */
                double f = (double)(TS(q[j]) - TS(q[i]) + 1) / active;
                double even = det_binomial_tail_log10((double)m, f, (double)k);
                expect = (double)m * f > expect ? (double)m * f : expect;
                lp = even > lp ? even : lp;
            }
            if (one && amin > 0 && !slow)
                lp += similar_log10(w, (double)amax / (double)amin, k);
            /* the most members among the windows rare enough to report (an
             * investigator wants the whole fan, not its densest part), else
             * the rarest */
            bool fit = lp <= fit_lp;
            bool bfit = b.log10p < 0 && b.log10p <= fit_lp;
            size_t bk = b.log10p < 0 ? b.j - b.i + 1 : 0;
            if (fit ? !bfit || k > bk || (k == bk && lp < b.log10p) : !bfit && lp < b.log10p)
                b = (burst){i, j, nw, expect, lp};
        }
    }
    return b;
}

static void emit_fan(scan_worker *w, uint32_t a, bool out, bool slow, const uint32_t *q, size_t m,
                     const burst *b)
{
    int d = !out;
    size_t k = b->j - b->i + 1;
    const uint32_t *t = q + b->i;
    uint32_t accts[64];
    uint32_t nacc = 0, nnew = 0, nbeat = 0, nlarge = 0;
    accts[nacc++] = a;
    for (size_t j = 0; j < k; j++) {
        if (nacc < 64)
            accts[nacc++] = out ? S->t.dst[t[j]] : S->t.src[t[j]];
        nnew += NOVEL(t[j]);
        nbeat += (PR->tflag[t[j]] & TF_OFFBEAT) != 0;
        nlarge += (PR->tflag[t[j]] & TF_LARGE) != 0;
    }
    uint16_t cur = CUR(t[0]);
    int64_t lo = INT64_MAX, hi = 0;
    size_t same = 0;
    for (size_t j = 0; j < k; j++) {
        if (CUR(t[j]) != cur)
            continue;
        same++;
        lo = AMT(t[j]) < lo ? AMT(t[j]) : lo;
        hi = AMT(t[j]) > hi ? AMT(t[j]) : hi;
    }
    char name[64], sum[48], l[48], h[48], t0[40], t1[40];
    scan_account(S, a, name);
    scan_money(S, cur, det_total(w, t, k, cur), sum);
    scan_money(S, cur, lo, l);
    scan_money(S, cur, hi, h);
    det_when(TS(t[0]), t0);
    det_when(TS(t[k - 1]), t1);
    double days = (double)(TS(t[k - 1]) - TS(t[0])) / (24.0 * (double)HOUR_MS);
    double e = det_expected_log10(w, b->log10p, (double)m);
    char params[240];
    snprintf(params, sizeof params,
             "variant=%s;min_degree=%g;window_hours=%g;slow_window_days=%g;min_amount=%g",
             slow ? "slow" : "fast", P->fan_min_degree[d], P->fan_window_hours[d],
             P->fan_slow_days[d], P->fan_min_amount[d]);
    scan_emit(w, out ? FT_PAT_FAN_OUT : FT_PAT_FAN_IN, det_score(w, b->log10p, (double)m), t,
              (uint32_t)k, accts, nacc, params,
              "%s fan: %s %s %zu accounts in unusual payments (%u new relations, %u of them "
              "large for the payer, %u off the payer's weekly rhythm; %s in all, %s to %s "
              "each%s) within %.1f days, %s to %s, among %zu payments %s then, where %.2f were "
              "expected; about %.2g such bursts are expected by chance in data this size",
              slow ? "slow" : "fast", name, out ? "paid" : "was paid by", k, nnew, nlarge, nbeat,
              sum, l, h, same < k ? ", one currency" : "", days, t0, t1, b->nw,
              out ? "it made" : "it received", b->expect, pow(10, e));
}

/* How many different accounts paid a, counted up to `cap` + 1: a small
 * open-addressing set, stopped as soon as there are more than cap. */
static double distinct_payers(scan_worker *w, uint32_t a, double cap)
{
    const ft_adjacency *adj = &S->adj;
    uint32_t lo = adj->in_off[a], hi = adj->in_off[a + 1];
    if ((double)(hi - lo) <= cap)
        return (double)(hi - lo); /* at most that many */
    size_t size = 16;
    while ((double)size < 4 * (cap + 1))
        size *= 2;
    if (!SCAN_RESERVE(w, w->b, &w->cap_b, size))
        return 0;
    memset(w->b, 0xff, size * sizeof *w->b);
    double n = 0;
    for (uint32_t i = lo; i < hi && n <= cap; i++) {
        uint32_t u = S->t.src[adj->in_txn[i]];
        size_t h = (u * 2654435761u) & (size - 1);
        while (w->b[h] != UINT32_MAX && w->b[h] != u)
            h = (h + 1) & (size - 1);
        if (w->b[h] == UINT32_MAX) {
            w->b[h] = u;
            n++;
        }
    }
    return n;
}

static void fan_variant(scan_worker *w, uint32_t a, bool out, bool slow)
{
    int d = !out;
    const ft_adjacency *adj = &S->adj;
    const uint32_t *list = out ? adj->out_txn : adj->in_txn;
    uint32_t from = out ? adj->out_off[a] : adj->in_off[a];
    uint32_t to = out ? adj->out_off[a + 1] : adj->in_off[a + 1];
    size_t need = (size_t)P->fan_min_degree[d];
    /* A slow fan-in is for an ordinary account: one paid by more than
     * fan_in.slow_max_payers different accounts is a business (a shop, a
     * landlord, a club), and its stream of new customers its trade; a burst
     * of them is the fast variant's. */
    if (slow && (out ? PR->cand_out[a] : PR->cand_in[a]) < need)
        return; /* too few that could be members */
    if (slow && !out && distinct_payers(w, a, P->fan_slow_max_payers) > P->fan_slow_max_payers)
        return;
    size_t m = 0, beats = 0;
    for (uint32_t i = from; i < to; i++) {
        uint32_t t = list[i], peer = out ? S->t.dst[t] : S->t.src[t];
        /* fast: unusual; slow: strong (off the payer's beat, new from a
         * payer with hardly a life of its own) or new and large for the
         * payer; out of an account, new relations alone are not enough (a
         * person paying a few new people over months is everyday life) */
        bool strong = scan_strong(PR, S, w->c->hub, P->opener_min, t);
        bool large = (PR->tflag[t] & TF_LARGE) && (PR->tflag[t] & TF_UNUSUAL);
        bool member = !slow ? (PR->tflag[t] & TF_UNUSUAL) != 0
                      : out ? large || (PR->tflag[t] & TF_OFFBEAT)
                            : large || strong;
        if (!member || peer == a || w->c->hub[peer] ||
            AMT(t) < det_minor(w, CUR(t), P->fan_min_amount[d]))
            continue;
        if (!det_push(w, &w->a, &w->cap_a, &m, t))
            return;
        beats += out ? (PR->tflag[t] & TF_OFFBEAT) != 0 : strong;
    }
    if (m < need)
        return;
    /* No window of k members has fewer than k transfers, so none can be
     * rarer than all m members in a window of m: when even that would not
     * be reported, there is nothing to look for. */
    double rate_min = slow ? PR->q_slow[!out] : PR->q_unusual;
    if (det_poisson_tail_log10((double)m * rate_min, (double)m) >
        det_log10p_for_score(w, P->min_score, (double)m))
        return;
    /* A slow fan of payments large for the payer must also be a burst in
     * the account's own life: a business that pays a new supplier a large
     * sum every week or two all year, or an account abroad that people send
     * their savings to all year, does what it always does. Rhythm breaks,
     * and payers that never open new relations, are news whenever they
     * come. */
    bool steady = slow && beats < m;
    int64_t span = slow ? (int64_t)(P->fan_slow_days[d] * 24 * (double)HOUR_MS)
                        : det_hours(P->fan_window_hours[d]);
    /* The most unlikely burst, then the best in what is left on each side. */
    size_t stack[64][2], ns = 0;
    stack[ns][0] = 0;
    stack[ns++][1] = m;
    while (ns) {
        ns--;
        size_t lo = stack[ns][0], hi = stack[ns][1];
        if (hi - lo < need)
            continue;
        burst b = best_burst(w, w->a, lo, hi, m, list, from, to, slow, steady, !out, need, span);
        if (b.log10p >= 0 || det_score(w, b.log10p, (double)m) < P->min_score)
            continue;
        emit_fan(w, a, out, slow, w->a, m, &b);
        if (ns + 2 <= 64) {
            stack[ns][0] = lo;
            stack[ns++][1] = b.i;
            stack[ns][0] = b.j + 1;
            stack[ns++][1] = hi;
        }
    }
}

void detect_fan(scan_worker *w, uint32_t a, bool out)
{
    size_t need = (size_t)P->fan_min_degree[!out];
    if ((out ? PR->unu_out[a] : PR->unu_in[a]) < need)
        return;
    fan_variant(w, a, out, false);
    fan_variant(w, a, out, true);
}

/* --- scatter-gather ---------------------------------------------------------------------- */

/*
 * A source pays several intermediaries, each of which passes most of it on
 * to one sink within scatter_gather.delay_hours (an intermediary may hold
 * the money for days). Every leg is a link (TF_LINK). The chance: in a
 * random graph of this data's links, the source's d_out links and the
 * sink's d_in links meet in about d_out d_in / N two-step paths; k or more
 * of them is a Poisson tail, found among the sinks the source reaches.
 */

typedef struct sg_rec {
    uint32_t sink, x, y, mid;
} sg_rec;

static int cmp_sg(const void *p, const void *q)
{
    const sg_rec *a = p, *b = q;
    if (a->sink != b->sink)
        return a->sink < b->sink ? -1 : 1;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    return (a->y > b->y) - (a->y < b->y);
}

static bool link(const scan_worker *w, uint32_t t)
{
    return (PR->tflag[t] & TF_LINK) && S->t.src[t] != S->t.dst[t];
}

void detect_scatter_gather(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    const scan_ctx *c = w->c;
    if (PR->link_out[a] < (uint32_t)P->sg_min_width)
        return;
    size_t nrec = 0;
    sg_rec *rec = w->x;
    int64_t delay = det_hours(P->sg_delay_hours);
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++) {
        uint32_t x = adj->out_txn[i], m = S->t.dst[x];
        if (!link(w, x) || m == a || c->hub[m] || AMT(x) < det_minor(w, CUR(x), P->sg_min_amount))
            continue;
        /* m's payments from x's time on (money that arrives at t may leave
         * at t), within the delay */
        uint32_t lo = det_from_time(w, adj->out_txn, adj->out_off[m], adj->out_off[m + 1], TS(x));
        for (uint32_t k = lo; k < adj->out_off[m + 1]; k++) {
            uint32_t y = adj->out_txn[k], t = S->t.dst[y];
            if (TS(y) - TS(x) > delay)
                break;
            if (!link(w, y) || t == a || t == m || c->hub[t] || CUR(y) != CUR(x) ||
                !det_ratio_in(AMT(y), AMT(x), P->sg_keep_low, P->sg_keep_high))
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
    size_t sinks = 0;
    for (size_t g = 0; g < nrec; g++)
        sinks += g == 0 || rec[g].sink != rec[g - 1].sink;
    int64_t span = det_hours(P->sg_window_hours);
    for (size_t g = 0; g < nrec;) {
        size_t e = g;
        while (e < nrec && rec[e].sink == rec[g].sink)
            e++;
        /* Within the group (one sink), the widest window of first legs. */
        for (size_t i = g; i + need <= e;) {
            size_t j = i;
            while (j + 1 < e && TS(rec[j + 1].x) - TS(rec[i].x) <= span)
                j++;
            /* distinct intermediaries, each leg once */
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
            uint32_t sink = rec[i].sink;
            double lambda = (double)PR->link_out[a] * (double)PR->link_in[sink] /
                            (PR->active > 0 ? (double)PR->active : 1);
            double lp = det_poisson_tail_log10(lambda, (double)distinct);
            double score = det_score(w, lp, (double)sinks);
            if (score < P->min_score) {
                i = j + 1;
                continue;
            }
            if (!SCAN_RESERVE(w, w->b, &w->cap_b, 2 * (j - i + 1)))
                return;
            uint32_t accts[66];
            uint32_t nacc = 0, nt = 0;
            accts[nacc++] = a;
            accts[nacc++] = sink;
            int64_t out_sum = 0, back_sum = 0, hold = 0;
            for (size_t k = i; k <= j; k++) {
                w->b[nt++] = rec[k].x;
                w->b[nt++] = rec[k].y;
                out_sum = det_sadd(out_sum, AMT(rec[k].x));
                back_sum = det_sadd(back_sum, AMT(rec[k].y));
                hold = TS(rec[k].y) - TS(rec[k].x) > hold ? TS(rec[k].y) - TS(rec[k].x) : hold;
                if (nacc < 66)
                    accts[nacc++] = rec[k].mid;
            }
            char src[64], dst[64], o[48], b[48], t0[40];
            scan_account(S, a, src);
            scan_account(S, sink, dst);
            scan_money(S, CUR(rec[i].x), out_sum, o);
            scan_money(S, CUR(rec[i].x), back_sum, b);
            det_when(TS(rec[i].x), t0);
            char params[240];
            snprintf(params, sizeof params,
                     "min_width=%g;delay_hours=%g;keep_low=%g;keep_high=%g;window_hours=%g;"
                     "min_amount=%g",
                     P->sg_min_width, P->sg_delay_hours, P->sg_keep_low, P->sg_keep_high,
                     P->sg_window_hours, P->sg_min_amount);
            scan_emit(w, FT_PAT_SCATTER_GATHER, score, w->b, nt, accts, nacc, params,
                      "%s paid %s to %zu intermediaries from %s, which passed %s on to %s, each "
                      "within %.1f days of receiving it; every leg a new relation or off its "
                      "payer's rhythm; about %.2g such meetings are expected by chance in data "
                      "this size",
                      src, o, distinct, t0, b, dst, (double)hold / (24.0 * (double)HOUR_MS),
                      pow(10, det_expected_log10(w, lp, (double)sinks)));
            i = j + 1;
        }
        g = e;
    }
}

/* --- gather-scatter ---------------------------------------------------------------------- */

/* The account's own rate of links, from `links` among `n` transfers,
 * smoothed toward the data's with scan.prior_transfers; at least the
 * data's. */
static double own_rate(const scan_worker *w, double links, double n)
{
    double prior = P->prior_transfers;
    double r = ((links > 0 ? links : 0) + PR->q_link * prior) / ((n > 0 ? n : 0) + prior);
    return r > PR->q_link ? r : PR->q_link;
}

/*
 * Many pay one account, which soon pays most of it on to many: a burst of
 * links in, then a burst of links out within gather_scatter.window_hours
 * of the last arrival, passing keep_low to keep_high of what came in. The
 * chance is the product of the two bursts' chances, each at the account's
 * own rate of links outside the window (or the data's, when higher),
 * found among the account's links in.
 */
void detect_gather_scatter(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    const scan_ctx *c = w->c;
    size_t need_in = (size_t)P->gs_min_in, need_out = (size_t)P->gs_min_out;
    if (PR->link_in[a] < need_in || PR->link_out[a] < need_out)
        return;
    uint32_t ilo = adj->in_off[a], ihi = adj->in_off[a + 1];
    uint32_t olo = adj->out_off[a], ohi = adj->out_off[a + 1];
    size_t m = 0;
    for (uint32_t i = ilo; i < ihi; i++) {
        uint32_t t = adj->in_txn[i], peer = S->t.src[t];
        if (!link(w, t) || peer == a || c->hub[peer] ||
            AMT(t) < det_minor(w, CUR(t), P->gs_min_amount))
            continue;
        if (!det_push(w, &w->a, &w->cap_a, &m, t))
            return;
    }
    if (m < need_in)
        return;
    int64_t span = det_hours(P->gs_window_hours);
    for (size_t i0 = 0; i0 + need_in <= m;) {
        /* The best (in window, out burst) pair starting at or after i0. */
        double best = 0;
        size_t bi = 0, bj = 0, bnb = 0, bnwi = 0, bnwo = 0;
        int64_t bin = 0, bout = 0;
        for (size_t i = i0; i + need_in <= m; i++) {
            uint16_t cur = CUR(w->a[i]);
            uint32_t istart = det_from_time(w, adj->in_txn, ilo, ihi, TS(w->a[i]));
            for (size_t j = i + need_in - 1; j < m && TS(w->a[j]) - TS(w->a[i]) <= span; j++) {
                int64_t in_sum = det_total(w, w->a + i, j - i + 1, cur);
                uint32_t iend = det_from_time(w, adj->in_txn, istart, ihi, TS(w->a[j]) + 1);
                /* links out from the min_in-th arrival (gathered first, then
                 * scattered: a mule's alternating rounds are pass-through)
                 * until span after the last */
                uint32_t ostart =
                    det_from_time(w, adj->out_txn, olo, ohi, TS(w->a[i + need_in - 1]));
                uint32_t oend = det_from_time(w, adj->out_txn, ostart, ohi, TS(w->a[j]) + span + 1);
                size_t nb = 0;
                int64_t out_sum = 0, last_out = TS(w->a[j]);
                for (uint32_t k = ostart; k < oend; k++) {
                    uint32_t t = adj->out_txn[k], peer = S->t.dst[t];
                    if (!link(w, t) || peer == a || c->hub[peer] || CUR(t) != cur ||
                        AMT(t) < det_minor(w, cur, P->gs_min_amount))
                        continue;
                    nb++;
                    out_sum = det_sadd(out_sum, AMT(t));
                    last_out = TS(t) > last_out ? TS(t) : last_out;
                }
                if (nb < need_out)
                    continue;
                /* the share passed on counts every link that came in from a
                 * span before the window's first arrival until the last
                 * payment out, not only the window's: a few of the payers do
                 * not make a hub pass on */
                int64_t all_in = in_sum;
                for (size_t q = j + 1; q < m && TS(w->a[q]) <= last_out; q++)
                    if (CUR(w->a[q]) == cur)
                        all_in = det_sadd(all_in, AMT(w->a[q]));
                for (size_t q = i; q-- > 0 && TS(w->a[i]) - TS(w->a[q]) <= span;)
                    if (CUR(w->a[q]) == cur)
                        all_in = det_sadd(all_in, AMT(w->a[q]));
                if (!det_ratio_in(out_sum, all_in, P->gs_keep_low, P->gs_keep_high))
                    continue;
                /* each side against the account's own rate of links outside
                 * the window (smoothed toward the data's), or the data's */
                double nwi = iend - istart, nwo = oend - ostart, k = (double)(j - i + 1);
                double ri = own_rate(w, (double)PR->link_in[a] - k, (double)(ihi - ilo) - nwi);
                double ro =
                    own_rate(w, (double)PR->link_out[a] - (double)nb, (double)(ohi - olo) - nwo);
                double lp = det_poisson_tail_log10(nwi * ri, k) +
                            det_poisson_tail_log10(nwo * ro, (double)nb);
                if (lp < best) {
                    best = lp;
                    bi = i;
                    bj = j;
                    bnb = nb;
                    bnwi = iend - istart;
                    bnwo = oend - ostart;
                    bin = in_sum;
                    bout = out_sum;
                }
            }
        }
        if (best >= 0)
            break;
        double score = det_score(w, best, (double)m);
        if (score >= P->min_score) {
            size_t nin = bj - bi + 1;
            uint16_t cur = CUR(w->a[bi]);
            if (!SCAN_RESERVE(w, w->b, &w->cap_b, nin + bnb + 1))
                return;
            size_t nt = 0;
            uint32_t ostart = det_from_time(w, adj->out_txn, olo, ohi, TS(w->a[bi + need_in - 1]));
            uint32_t oend = det_from_time(w, adj->out_txn, ostart, ohi, TS(w->a[bj]) + span + 1);
            for (uint32_t k = ostart; k < oend; k++) {
                uint32_t t = adj->out_txn[k], peer = S->t.dst[t];
                if (link(w, t) && peer != a && !c->hub[peer] && CUR(t) == cur &&
                    AMT(t) >= det_minor(w, cur, P->gs_min_amount))
                    w->b[nt++] = t;
            }
            memcpy(w->b + nt, w->a + bi, nin * sizeof *w->b);
            uint32_t accts[1] = {a};
            char name[64], in[48], o[48], t0[40];
            scan_account(S, a, name);
            scan_money(S, cur, bin, in);
            scan_money(S, cur, bout, o);
            det_when(TS(w->a[bi]), t0);
            char params[240];
            snprintf(params, sizeof params,
                     "min_in=%g;min_out=%g;window_hours=%g;keep_low=%g;keep_high=%g;"
                     "min_amount=%g",
                     P->gs_min_in, P->gs_min_out, P->gs_window_hours, P->gs_keep_low,
                     P->gs_keep_high, P->gs_min_amount);
            scan_emit(w, FT_PAT_GATHER_SCATTER, score, w->b, (uint32_t)(nt + nin), accts, 1, params,
                      "%s received %s in %zu payments from new relations or off their payers' "
                      "rhythm from %s (among %zu it received then) and paid %s (%.0f%%) on in "
                      "%zu such payments (among %zu it made) within %.1f days of the last; about "
                      "%.2g such accounts are expected by chance in data this size",
                      name, in, nin, t0, bnwi, o, 100.0 * (double)bout / (double)bin, bnb, bnwo,
                      P->gs_window_hours / 24.0, pow(10, det_expected_log10(w, best, (double)m)));
        }
        i0 = bj + 1;
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
    size_t m = det_one_off(w, a, true, P->bip_min_amount, INFINITY);
    size_t need = (size_t)P->bip_min_receivers;
    int64_t span = det_hours(P->bip_window_hours);
    for (size_t i = 0; i + need <= m;) {
        size_t j = i;
        while (j + 1 < m && TS(w->a[j + 1]) - TS(w->a[i]) <= span)
            j++;
        if (j - i + 1 < need) {
            i++;
            continue;
        }
        size_t k = j - i + 1;
        if (!SCAN_RESERVE(w, w->b, &w->cap_b, k) ||
            !SCAN_RESERVE(w, w->bip, &w->cap_bip, w->nbip + 1) ||
            !SCAN_RESERVE(w, w->bip_txns, &w->cap_bip_txns, w->nbip_txns + k))
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
    int64_t span = det_hours(P->bip_window_hours);
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
            if (!SCAN_RESERVE(w, w->b, &w->cap_b, nt)) {
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
            det_when(v[i].r->first_ms, t0);
            uint16_t cur = CUR(w->b[0]);
            scan_money(S, cur, det_total(w, w->b, nt, cur), sum);
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
