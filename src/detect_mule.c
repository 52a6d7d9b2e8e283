/*
 * detect_mule.c - what one account does with money: pass-through and rapid
 * movement, structuring, terrorist-financing collection.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

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
        if (!SCAN_RESERVE(w, w->b, &w->cap_b, 2 * k))
            return;
        int64_t in = 0, out = 0, dmin = INT64_MAX, dmax = 0;
        uint32_t accts[1] = {a};
        for (size_t q = 0; q < k; q++) {
            w->b[2 * q] = pr[i + q].x;
            w->b[2 * q + 1] = pr[i + q].y;
            in = det_sadd(in, AMT(pr[i + q].x));
            out = det_sadd(out, AMT(pr[i + q].y));
            dmin = pr[i + q].delay < dmin ? pr[i + q].delay : dmin;
            dmax = pr[i + q].delay > dmax ? pr[i + q].delay : dmax;
        }
        char name[64], si[48], so[48], t0[40];
        scan_account(S, a, name);
        scan_money(S, CUR(pr[i].x), in, si);
        scan_money(S, CUR(pr[i].x), out, so);
        det_when(TS(pr[i].x), t0);
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
    int64_t delay = det_hours(P->pt_delay_hours);
    int64_t rapid_ms = (int64_t)(P->rapid_max_minutes * 60000.0);
    /* Each one-off payment in, paired with the first one-off payment out
     * after it that passes most of it on; a payment out pairs once. The
     * pairs: rapid ones in w->x, slower ones in w->y. */
    size_t nr = 0, ns = 0;
    uint32_t used_until = olo; /* payments out before this are taken */
    for (uint32_t i = adj->in_off[a]; i < adj->in_off[a + 1]; i++) {
        uint32_t x = adj->in_txn[i], from = S->t.src[x];
        if (!c->once[x] || from == a || c->hub[from] ||
            AMT(x) < det_minor(w, CUR(x), P->pt_min_amount))
            continue;
        uint32_t k = used_until;
        while (k < ohi && adj->out_txn[k] <= x)
            k++;
        for (; k < ohi; k++) {
            uint32_t y = adj->out_txn[k], to = S->t.dst[y];
            if (TS(y) - TS(x) > delay)
                break;
            if (!c->once[y] || to == a || to == from || c->hub[to] || CUR(y) != CUR(x) ||
                !det_ratio_in(AMT(y), AMT(x), P->pt_keep_low, 1.0))
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
        int64_t thr = det_minor(w, cur, P->st_threshold);
        if (AMT(t) >= thr || AMT(t) < det_minor(w, cur, P->st_threshold * P->st_low))
            continue;
        if (!det_push(w, &w->a, &w->cap_a, &m, t))
            return;
    }
    size_t need = (size_t)P->st_min_count;
    int64_t span = (int64_t)(P->st_window_days * 24 * (double)HOUR_MS);
    for (size_t i = 0; i + need <= m;) {
        size_t bs, be = det_best_window(w, w->a, m, i, span, &bs);
        size_t k = be - bs + 1;
        if (k < need) {
            i++;
            continue;
        }
        char name[64], sum[48], t0[40];
        scan_account(S, a, name);
        uint16_t cur = CUR(w->a[bs]);
        scan_money(S, cur, det_total(w, w->a + bs, k, cur), sum);
        det_when(TS(w->a[bs]), t0);
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
    size_t m = det_one_off(w, a, false, 0, P->tf_max_donation);
    size_t need = (size_t)P->tf_min_sources;
    int64_t span = (int64_t)(P->tf_window_days * 24 * (double)HOUR_MS);
    int64_t delay = (int64_t)(P->tf_delay_days * 24 * (double)HOUR_MS);
    size_t outs_max = (size_t)P->tf_max_outflows;
    for (size_t i = 0; i + need <= m;) {
        size_t bs, be = det_best_window(w, w->a, m, i, span, &bs);
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
        int64_t collected = det_total(w, w->a + bs, k, cur);
        /* The larger payments out after the collection began. */
        size_t nb = 0;
        for (uint32_t q = adj->out_off[a]; q < adj->out_off[a + 1]; q++) {
            uint32_t t = adj->out_txn[q];
            if (t < w->a[bs])
                continue;
            if (TS(t) > TS(w->a[be]) + delay)
                break;
            if (CUR(t) != cur || AMT(t) <= det_minor(w, cur, P->tf_max_donation))
                continue;
            if (!SCAN_RESERVE(w, w->b, &w->cap_b, nb + k + 1))
                return;
            w->b[nb++] = t;
        }
        amt_w = w;
        if (nb > 1)
            qsort(w->b, nb, sizeof *w->b, cmp_amount_desc);
        size_t take = nb < outs_max ? nb : outs_max;
        int64_t sent = det_total(w, w->b, take, cur);
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
            det_when(TS(w->a[bs]), t0);
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
