/*
 * detect_rules.c - the alerts a rules file makes (rules.h, read by
 * rules.c): watchlist, text_match, high_risk_jurisdiction and risk, a
 * detector family beside the others, over the whole store after them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"
#include "fundtrace/trace.h"
#include "rules_int.h"

/* The jurisdiction of account a: its bank code's in the rules' table,
 * else the country of its key. */
static void jurisdiction(const ft_rules *r, const ft_store *s, uint32_t a, char cc[3])
{
    size_t len;
    const char *k = ft_store_account(s, a, &len);
    const char *colon = memchr(k, ':', len);
    const char *there = colon ? rules_bank_country(r, k, (size_t)(colon - k)) : NULL;
    if (there)
        memcpy(cc, there, 3);
    else
        scan_country(s, a, cc);
}

/* An account's transfers, in and out, at most `cap` of them (the latest),
 * into w->a; returns how many there are in all. */
static size_t transfers_of(scan_worker *w, const ft_store *s, uint32_t a, size_t cap, size_t *n)
{
    const ft_adjacency *adj = &s->adj;
    size_t all =
        (size_t)(adj->out_off[a + 1] - adj->out_off[a]) + (adj->in_off[a + 1] - adj->in_off[a]);
    *n = 0;
    if (!SCAN_RESERVE(w, w->a, &w->cap_a, all + 1))
        return all;
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++)
        w->a[(*n)++] = adj->out_txn[i];
    for (uint32_t i = adj->in_off[a]; i < adj->in_off[a + 1]; i++)
        w->a[(*n)++] = adj->in_txn[i];
    if (*n > cap) {
        /* keep the latest: the largest transaction numbers */
        for (size_t i = 0; i < cap; i++) {
            size_t best = i;
            for (size_t j = i + 1; j < *n; j++)
                if (w->a[j] > w->a[best])
                    best = j;
            uint32_t x = w->a[i];
            w->a[i] = w->a[best];
            w->a[best] = x;
        }
        *n = cap;
    }
    return all;
}

static void watchlist_alert(scan_worker *w, const ft_store *s, uint32_t a, const char *reason)
{
    size_t n, all = transfers_of(w, s, a, 10000, &n);
    if (!n)
        return;
    char name[64];
    scan_account(s, a, name);
    scan_emit(w, FT_KIND_WATCHLIST, 1.0, w->a, (uint32_t)n, &a, 1, "",
              "%s is on the watchlist (%s): %zu transfers in the data%s", name,
              reason[0] ? reason : "no reason given", all,
              all > n ? ", the latest 10000 listed" : "");
}

/* Risk from the watchlisted accounts, forward in time along the money
 * (a haircut trace from each): an account reached h hops away gets
 * decay^h times the share of the listed account's money it received;
 * shares from several listed accounts add up, to at most 1. */
static ft_status risk(scan_worker *w, const ft_rules *r, const ft_store *s,
                      const uint8_t *listed_acc, const char *const *reasons, ft_error *err)
{
    uint32_t na = s->accounts.n;
    double *score = calloc((size_t)na + 1, sizeof *score), *best = NULL;
    uint32_t *from = NULL; /* the listed account contributing most */
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    ft_status rc = FT_OK;
    if (!score || !(best = calloc((size_t)na + 1, sizeof *best)) ||
        !(from = malloc(((size_t)na + 1) * sizeof *from))) {
        rc = ft_error_oom(err);
        goto done;
    }
    if ((rc = ft_trace_index_new(&ix, s, false, err)) != FT_OK ||
        (rc = ft_tracer_new(&tr, ix, err)) != FT_OK)
        goto done;
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.max_hops = r->max_hops;
    o.window_ms = (int64_t)(r->window_days * 86400000.0);
    o.max_degree = (uint32_t)w->c->p->hub_degree;
    for (uint32_t a = 0; a < na; a++) {
        if (!listed_acc[a])
            continue;
        const ft_trace_result *res;
        if ((rc = ft_trace_run(tr, &o, a, -1, &res, err)) != FT_OK)
            goto done;
        /* What the listed account paid out, all currencies (each share is
         * within one currency, so summing shares is sound). */
        const ft_trace_node *seed = &res->nodes[0];
        for (uint32_t i = 1; i < res->nnodes; i++) {
            const ft_trace_node *n = &res->nodes[i];
            double share = 0;
            for (uint32_t k = 0; k < n->namounts; k++) {
                const ft_trace_amount *am = &res->amounts[n->amount0 + k];
                int64_t paid = 0;
                for (uint32_t q = 0; q < seed->namounts; q++)
                    if (res->amounts[seed->amount0 + q].cur == am->cur)
                        paid = res->amounts[seed->amount0 + q].sent +
                               res->amounts[seed->amount0 + q].cut;
                if (paid > 0)
                    share += (double)am->received / (double)paid;
            }
            double add = pow(r->decay, n->hops) * fmin(1.0, share);
            score[n->account] += add;
            if (add > best[n->account]) {
                best[n->account] = add;
                from[n->account] = a;
            }
        }
    }
    /* The alerts, each with the path of risk from its main source. */
    for (uint32_t v = 0; v < na && rc == FT_OK; v++) {
        if (listed_acc[v] || score[v] < r->threshold || score[v] <= 0)
            continue;
        const ft_trace_result *res;
        if ((rc = ft_trace_run(tr, &o, from[v], -1, &res, err)) != FT_OK)
            break;
        uint32_t path[24], np = 0, at = v;
        char text[700];
        size_t used = 0;
        while (at != from[v] && np < 24) {
            const ft_trace_node *n = NULL;
            for (uint32_t i = 0; i < res->nnodes && !n; i++)
                if (res->nodes[i].account == at)
                    n = &res->nodes[i];
            if (!n || n->ntxns == 0)
                break;
            uint32_t t = res->in_txn[n->txn0];
            path[np++] = t;
            at = s->t.src[t];
        }
        for (uint32_t k = np; k-- > 0 && used < sizeof text - 140;) {
            char acc[64], amt[48], t0[40];
            scan_account(s, s->t.src[path[k]], acc);
            scan_money(s, s->t.cur[path[k]], s->t.amount[path[k]], amt);
            if (!ft_time_format(s->t.ts_ms[path[k]], t0, sizeof t0))
                strcpy(t0, "?");
            used +=
                (size_t)snprintf(text + used, sizeof text - used, "%s -(%s, %s)-> ", acc, amt, t0);
        }
        char name[64], src[64], params[160];
        scan_account(s, v, name);
        scan_account(s, from[v], src);
        snprintf(params, sizeof params, "decay=%g;threshold=%g;max_hops=%d;window_days=%g",
                 r->decay, r->threshold, r->max_hops, r->window_days);
        uint32_t accts[2] = {v, from[v]};
        double sc = fmin(1.0, score[v]);
        scan_emit(w, FT_KIND_RISK, sc, path, np, accts, 2, params,
                  "%s carries risk %.2f from watchlisted accounts, most from %s (%s): %s%s", name,
                  sc, src, reasons[from[v]] ? reasons[from[v]] : "", text, name);
        if (w->rc != FT_OK) {
            *err = w->err;
            rc = w->rc;
        }
    }
done:
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    free(score);
    free(best);
    free(from);
    return rc;
}

ft_status ft_rules_scan(const ft_rules *r, const ft_store *s, const ft_scan_params *p,
                        ft_alerts *out, uint64_t *limit_hits, ft_error *err)
{
    uint32_t na = s->accounts.n;
    scan_ctx ctx = {s, p, NULL, NULL, NULL, 0};
    scan_worker w = {.c = &ctx, .out = *out};
    rules_matcher m = {0};
    uint8_t *listed_acc = calloc((size_t)na + 1, 1);
    const char **reasons = calloc((size_t)na + 1, sizeof *reasons);
    ft_status rc = FT_OK;
    *limit_hits = 0;
    if (!rules_matcher_init(&m, r) || !listed_acc || !reasons) {
        rc = ft_error_oom(err);
        goto done;
    }

    /* Watchlist: exact keys, then patterns on every key. */
    for (size_t i = 0; i < r->naccounts; i++) {
        uint32_t a;
        if (ft_intern_find(&s->accounts, r->accounts[i].key, strlen(r->accounts[i].key), &a) &&
            !listed_acc[a]) {
            listed_acc[a] = 1;
            reasons[a] = r->accounts[i].reason;
        }
    }
    for (uint32_t a = 0; a < na && r->nwatch; a++) {
        size_t len;
        const char *k = ft_store_account(s, a, &len);
        for (size_t i = 0; i < r->nwatch && !listed_acc[a]; i++)
            if (rules_match(&m, &r->watch[i], k, len)) {
                listed_acc[a] = 1;
                reasons[a] = r->watch[i].reason;
            }
    }
    for (uint32_t a = 0; a < na; a++)
        if (listed_acc[a])
            watchlist_alert(&w, s, a, reasons[a]);

    /* Text: per rule and payer, the transfers whose memo (or either
     * account's key) matches. */
    for (size_t i = 0; i < r->ntext && w.rc == FT_OK; i++) {
        const rules_regex *re = &r->text[i];
        if (re->on_memo && !s->t.memo)
            continue;
        for (uint32_t a = 0; a < na && w.rc == FT_OK; a++) {
            const ft_adjacency *adj = &s->adj;
            size_t n = 0;
            const char *example = NULL;
            size_t exlen = 0;
            for (uint32_t k = adj->out_off[a]; k < adj->out_off[a + 1]; k++) {
                uint32_t t = adj->out_txn[k];
                const char *subj;
                size_t len;
                bool hit;
                if (re->on_memo) {
                    if (!s->t.memo[t])
                        continue;
                    subj = ft_pool_get(&s->strings, s->t.memo[t], &len);
                    hit = rules_match(&m, re, subj, len);
                } else {
                    subj = ft_store_account(s, a, &len);
                    size_t l2;
                    const char *d = ft_store_account(s, s->t.dst[t], &l2);
                    hit = rules_match(&m, re, subj, len) || rules_match(&m, re, d, l2);
                    if (hit && !rules_match(&m, re, subj, len)) {
                        subj = d;
                        len = l2;
                    }
                }
                if (!hit)
                    continue;
                if (!SCAN_RESERVE(&w, w.b, &w.cap_b, n + 1))
                    break;
                w.b[n++] = t;
                if (!example) {
                    example = subj;
                    exlen = len;
                    if (s->pseudo && re->on_memo) { /* free text may name people */
                        example = "(withheld: pseudonymised output)";
                        exlen = strlen(example);
                    } else if (s->pseudo) {
                        example = ft_store_account_shown(
                            s, subj == ft_store_account(s, a, &exlen) ? a : s->t.dst[t], &exlen);
                    }
                }
            }
            if (!n)
                continue;
            char name[64];
            scan_account(s, a, name);
            scan_emit(&w, FT_KIND_TEXT, 0.8, w.b, (uint32_t)n, &a, 1, re->text,
                      "%zu transfer%s from %s match /%s/ on %s (%s), for example '%.*s'", n,
                      n == 1 ? "" : "s", name, re->text, re->on_memo ? "the memo" : "an account",
                      re->reason[0] ? re->reason : "no reason given",
                      (int)(exlen > 80 ? 80 : exlen), example);
        }
    }

    /* High-risk jurisdictions: per account outside them, its transfers to
     * and from accounts inside. */
    if (r->nhigh_risk) {
        char *cc = malloc(((size_t)na + 1) * 3);
        if (!cc) {
            rc = ft_error_oom(err);
            goto done;
        }
        for (uint32_t a = 0; a < na; a++)
            jurisdiction(r, s, a, cc + 3 * (size_t)a);
        const ft_adjacency *adj = &s->adj;
        for (uint32_t a = 0; a < na && w.rc == FT_OK; a++) {
            if (rules_high_risk(r, cc + 3 * (size_t)a))
                continue;
            size_t n = 0, nout = 0;
            char seen[64] = "";
            for (int dir = 0; dir < 2; dir++) {
                const uint32_t *list = dir ? adj->in_txn : adj->out_txn;
                uint32_t lo = dir ? adj->in_off[a] : adj->out_off[a];
                uint32_t hi = dir ? adj->in_off[a + 1] : adj->out_off[a + 1];
                for (uint32_t k = lo; k < hi; k++) {
                    uint32_t t = list[k], peer = dir ? s->t.src[t] : s->t.dst[t];
                    const char *pc = cc + 3 * (size_t)peer;
                    if (!rules_high_risk(r, pc))
                        continue;
                    if (!SCAN_RESERVE(&w, w.b, &w.cap_b, n + 1))
                        break;
                    w.b[n++] = t;
                    nout += !dir;
                    if (!strstr(seen, pc) && strlen(seen) + 4 < sizeof seen) {
                        strcat(seen, seen[0] ? ", " : "");
                        strcat(seen, pc);
                    }
                }
            }
            if (!n)
                continue;
            char name[64];
            scan_account(s, a, name);
            scan_emit(&w, FT_KIND_JURISDICTION, nout ? 0.7 : 0.5, w.b, (uint32_t)n, &a, 1, "",
                      "%s paid %zu and received %zu transfers with accounts in high-risk "
                      "jurisdictions (%s)",
                      name, nout, n - nout, seen);
        }
        free(cc);
    }
    if (w.rc == FT_OK && r->risk && r->naccounts + r->nwatch > 0)
        rc = risk(&w, r, s, listed_acc, reasons, err);
    if (rc == FT_OK && w.rc != FT_OK) {
        *err = w.err;
        rc = w.rc;
    }
done:
    *out = w.out;
    *limit_hits = m.hits;
    free(w.a);
    free(w.b);
    free(listed_acc);
    free(reasons);
    rules_matcher_free(&m);
    return rc;
}
