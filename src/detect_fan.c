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
    if (!SCAN_RESERVE(w, w->b, &w->cap_b, n + 1))
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
    if ((double)n < P->fan_min_degree[!out])
        return;
    size_t m = det_one_off(w, a, out, P->fan_min_amount[!out], INFINITY);
    size_t need = (size_t)P->fan_min_degree[!out];
    int64_t span = det_hours(P->fan_window_hours[!out]);
    for (size_t i = 0; i + need <= m;) {
        size_t bs, be = det_best_window(w, w->a, m, i, span, &bs);
        if (be - bs + 1 < need) {
            i++;
            continue;
        }
        size_t k = similar(w, w->a + bs, be - bs + 1, P->fan_max_spread[!out]);
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
            scan_money(S, cur, det_total(w, w->b, k, cur), sum);
            scan_money(S, cur, lo, l);
            scan_money(S, cur, hi, h);
            det_when(first, t0);
            char params[160];
            snprintf(params, sizeof params,
                     "min_degree=%g;window_hours=%g;min_amount=%g;max_spread=%g",
                     P->fan_min_degree[!out], P->fan_window_hours[!out], P->fan_min_amount[!out], P->fan_max_spread[!out]);
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
    int64_t delay = det_hours(P->sg_delay_hours);
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++) {
        uint32_t x = adj->out_txn[i], m = S->t.dst[x];
        if (!c->once[x] || m == a || c->hub[m] || AMT(x) < det_minor(w, CUR(x), P->sg_min_amount))
            continue;
        /* m's payments after x, within the delay */
        uint32_t lo = det_after(adj->out_txn, adj->out_off[m], adj->out_off[m + 1], x);
        for (uint32_t k = lo; k < adj->out_off[m + 1]; k++) {
            uint32_t y = adj->out_txn[k], t = S->t.dst[y];
            if (TS(y) - TS(x) > delay)
                break;
            if (!c->once[y] || t == a || t == m || c->hub[t] || CUR(y) != CUR(x) ||
                !det_ratio_in(AMT(y), AMT(x), P->sg_keep_low, 1.0))
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
            if (!SCAN_RESERVE(w, w->b, &w->cap_b, 2 * (j - i + 1)))
                return;
            uint32_t accts[66];
            uint32_t nacc = 0, nt = 0;
            accts[nacc++] = a;
            accts[nacc++] = rec[i].sink;
            int64_t out_sum = 0, back_sum = 0;
            for (size_t k = i; k <= j; k++) {
                w->b[nt++] = rec[k].x;
                w->b[nt++] = rec[k].y;
                out_sum = det_sadd(out_sum, AMT(rec[k].x));
                back_sum = det_sadd(back_sum, AMT(rec[k].y));
                if (nacc < 66)
                    accts[nacc++] = rec[k].mid;
            }
            char src[64], dst[64], o[48], b[48], t0[40];
            scan_account(S, a, src);
            scan_account(S, rec[i].sink, dst);
            scan_money(S, CUR(rec[i].x), out_sum, o);
            scan_money(S, CUR(rec[i].x), back_sum, b);
            det_when(TS(rec[i].x), t0);
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
    size_t m = det_one_off(w, a, false, P->gs_min_amount, INFINITY);
    size_t need_in = (size_t)P->gs_min_in, need_out = (size_t)P->gs_min_out;
    if (m < need_in)
        return;
    int64_t span = det_hours(P->gs_window_hours);
    for (size_t i = 0; i + need_in <= m;) {
        size_t bs, be = det_best_window(w, w->a, m, i, span, &bs);
        if (be - bs + 1 < need_in) {
            i++;
            continue;
        }
        uint16_t cur = CUR(w->a[bs]);
        int64_t in_sum = det_total(w, w->a + bs, be - bs + 1, cur);
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
                AMT(t) < det_minor(w, cur, P->gs_min_amount))
                continue;
            if (!SCAN_RESERVE(w, w->b, &w->cap_b, nb + (be - bs + 2)))
                return;
            w->b[nb++] = t;
            out_sum = det_sadd(out_sum, AMT(t));
        }
        if (nb >= need_out && det_ratio_in(out_sum, in_sum, P->gs_keep_low, P->gs_keep_high)) {
            uint32_t accts[1];
            accts[0] = a;
            size_t nin = be - bs + 1;
            memcpy(w->b + nb, w->a + bs, nin * sizeof *w->b);
            char name[64], in[48], o[48], t0[40];
            scan_account(S, a, name);
            scan_money(S, cur, in_sum, in);
            scan_money(S, cur, out_sum, o);
            det_when(from, t0);
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
