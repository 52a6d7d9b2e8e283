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

/*
 * A round: a one-off payment in, followed within pass_through.delay_hours
 * by the first one-off payment out (to someone else) that passes
 * pass_through.keep_low to 100 % of it on; a payment out pairs once. Rounds
 * within rapid_movement.max_minutes are rapid. A mule makes rounds again
 * and again: k of them in pass_through.window_days, among the nw one-off
 * payments it received then, where this data's share of one-off payments
 * that are passed on like that (scan_profile.q_round, q_rapid) predicts
 * nw times it (the share of rounds as quick as the window's slowest: within
 * 1, 6 or 24 hours, or the delay), times, for each round whose payment in
 * was large for the account, the data's share of one-off payments in at
 * least that many times their payee's everyday amount (in steps of two),
 * and for an account too new to have an everyday amount, the data's share
 * of one-off payments in as large as each. A window of fewer than
 * pass_through.min_rounds counts when some of its rounds are large or the
 * account is that new.
 */

typedef struct pair {
    uint32_t x, y;
    int64_t delay;
} pair;

/* Is one-off payment x eligible to start a round (at its payee)? */
static bool round_in(const scan_ctx *c, uint32_t x)
{
    return c->pr->tflag[x] & TF_ROUND;
}

typedef struct flagging {
    const scan_ctx *c;
    uint8_t *tflag;
} flagging;

/* TF_ROUND on transactions lo .. hi, in store order (the flag of each
 * is its own byte: no other thread writes it). */
static void flag_rounds(void *ctx, int tid, uint32_t lo, uint32_t hi)
{
    (void)tid;
    const flagging *f = ctx;
    const scan_ctx *c = f->c;
    const ft_store *s = c->s;
    for (uint32_t x = lo; x < hi; x++) {
        uint32_t from = s->t.src[x];
        if ((f->tflag[x] & TF_ONCE) && from != s->t.dst[x] && !c->hub[from] &&
            (c->p->pt_min_amount <= 0 ||
             s->t.amount[x] >=
                 (int64_t)ceil(c->p->pt_min_amount * (double)c->unit[s->t.cur[x]] - 1e-9)))
            f->tflag[x] |= TF_ROUND;
    }
}

/* The rounds of account a: calls fn(ctx, pair) for each, in time order of
 * the payments in, and in_fn(ctx, x) (when given) for each one-off payment
 * in x that could start one; returns how many those are. */
static uint32_t find_rounds(const scan_ctx *c, uint32_t a, void (*fn)(void *, const pair *),
                            void (*in_fn)(void *, uint32_t), void *ctx)
{
    const ft_store *s = c->s;
    const ft_adjacency *adj = &s->adj;
    uint32_t olo = adj->out_off[a], ohi = adj->out_off[a + 1], eligible = 0;
    int64_t delay = (int64_t)(c->p->pt_delay_hours * (double)HOUR_MS);
    uint32_t used_until = olo; /* payments out before this are taken */
    uint32_t after = olo;      /* the first payment out after the payment in */
    for (uint32_t i = adj->in_off[a]; i < adj->in_off[a + 1]; i++) {
        uint32_t x = adj->in_txn[i], from = s->t.src[x];
        while (after < ohi && adj->out_txn[after] <= x)
            after++; /* the payments in come in order too: this only moves on */
        if (!round_in(c, x))
            continue;
        eligible++;
        if (in_fn)
            in_fn(ctx, x);
        for (uint32_t k = after > used_until ? after : used_until; k < ohi; k++) {
            uint32_t y = adj->out_txn[k], to = s->t.dst[y];
            int64_t d = s->t.ts_ms[y] - s->t.ts_ms[x];
            if (d > delay)
                break;
            if (!(c->pr->tflag[y] & TF_ONCE) || to == a || to == from || c->hub[to] ||
                s->t.cur[y] != s->t.cur[x] ||
                (double)s->t.amount[y] < c->p->pt_keep_low * (double)s->t.amount[x] - 1e-6 ||
                s->t.amount[y] > s->t.amount[x])
                continue;
            pair p = {x, y, d};
            fn(ctx, &p);
            used_until = k + 1;
            break;
        }
    }
    return eligible;
}

/* Is payment x large for its payee a: scan.large_ratio times its median
 * payment in, over a history long enough to tell? */
static bool large_in_at(const scan_ctx *c, uint32_t a, uint32_t x)
{
    const ft_adjacency *adj = &c->s->adj;
    double n = adj->in_off[a + 1] - adj->in_off[a];
    double v = (double)c->s->t.amount[x] / (double)c->unit[c->s->t.cur[x]];
    return n >= c->p->opener_min && v >= c->p->large_ratio * c->pr->med_in[a];
}

/* How many times payment x exceeds its payee's everyday amount received,
 * as a step of the ratio table (step k: scan.large_ratio times 2^k); -1
 * when it is not large. */
static int large_step(const scan_ctx *c, uint32_t a, uint32_t x)
{
    if (!large_in_at(c, a, x))
        return -1;
    double v = (double)c->s->t.amount[x] / (double)c->unit[c->s->t.cur[x]];
    double r = v / (c->p->large_ratio * (c->pr->med_in[a] > 0 ? c->pr->med_in[a] : 1e-9));
    int k = 0;
    while (k + 1 < LARGE_STEPS && r >= 2)
        r /= 2, k++;
    return k;
}

/* The delay scales of scan_profile.q_round. */
static int64_t round_scale(const scan_ctx *c, int k)
{
    static const int64_t h[3] = {1, 6, 24};
    return k < 3 ? h[k] * HOUR_MS : (int64_t)(c->p->pt_delay_hours * (double)HOUR_MS);
}

typedef struct tally {
    const scan_ctx *c;
    uint64_t rounds[4], rapid, eligible, large[LARGE_STEPS];
    uint32_t a; /* the account being counted */
} tally;

static void count_round(void *ctx, const pair *p)
{
    tally *t = ctx;
    if (p->delay <= (int64_t)(t->c->p->rapid_max_minutes * 60000.0)) {
        t->rapid++;
        return;
    }
    for (int k = 0; k < 4; k++)
        t->rounds[k] += p->delay <= round_scale(t->c, k);
}

static void count_large(void *ctx, uint32_t x)
{
    tally *t = ctx;
    int k = large_step(t->c, t->a, x);
    for (int j = 0; j <= k; j++)
        t->large[j]++; /* counted at every step it reaches */
}

static void tally_block(void *ctx, int tid, uint32_t lo, uint32_t hi)
{
    tally *t = (tally *)ctx + tid;
    const ft_store *s = t->c->s;
    for (uint32_t a = lo; a < hi; a++) {
        if (s->adj.out_off[a + 1] == s->adj.out_off[a])
            continue; /* pays nothing: no rounds, and no chances of one counted */
        t->a = a;
        t->eligible += find_rounds(t->c, a, count_round, count_large, t);
    }
}

void scan_profile_rounds(scan_profile *pr, const scan_ctx *c, int threads)
{
    tally t[64];
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    for (int i = 0; i < threads; i++)
        t[i] = (tally){c, {0, 0, 0, 0}, 0, 0, {0}, 0};
    flagging f = {c, pr->tflag};
    scan_parallel(threads, (uint32_t)c->s->t.n, flag_rounds, &f);
    scan_parallel(threads, c->s->accounts.n, tally_block, t);
    for (int i = 1; i < threads; i++) {
        for (int k = 0; k < 4; k++)
            t[0].rounds[k] += t[i].rounds[k];
        t[0].rapid += t[i].rapid;
        t[0].eligible += t[i].eligible;
        for (int k = 0; k < LARGE_STEPS; k++)
            t[0].large[k] += t[i].large[k];
    }
    for (int k = 0; k < 4; k++)
        pr->q_round[k] = ((double)t[0].rounds[k] + 1) / ((double)t[0].eligible + 1);
    pr->q_rapid = ((double)t[0].rapid + 1) / ((double)t[0].eligible + 1);
    for (int k = 0; k < LARGE_STEPS; k++)
        pr->q_large_in[k] = ((double)t[0].large[k] + 1) / ((double)t[0].eligible + 1);
}

typedef struct collect {
    scan_worker *w;
    size_t n;
} collect;

static void keep_round(void *ctx, const pair *p)
{
    collect *k = ctx;
    scan_worker *w = k->w;
    if (!scan_reserve(w, &w->x, &w->cap_x, (k->n + 1) * sizeof *p, 1))
        return;
    ((pair *)w->x)[k->n++] = *p;
}

/* Emits the windows of rounds among pr[0 .. n) that are rare enough: rapid
 * movement when every round in the window took rapid_movement.max_minutes
 * or less, pass-through otherwise. */
static void rounds(scan_worker *w, uint32_t a, const pair *pr, size_t n, uint32_t eligible)
{
    const ft_adjacency *adj = &S->adj;
    size_t need = (size_t)P->pt_min_rounds;
    int64_t span = (int64_t)(P->pt_window_days * 24 * (double)HOUR_MS);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && TS(pr[j + 1].x) - TS(pr[i].x) <= span)
            j++;
        /* the rate of rounds as quick as this window's slowest */
        int64_t slowest = 0;
        for (size_t r = i; r <= j; r++)
            slowest = pr[r].delay > slowest ? pr[r].delay : slowest;
        int sc = 0;
        while (sc < 3 && round_scale(w->c, sc) < slowest)
            sc++;
        bool rapid = slowest <= (int64_t)(P->rapid_max_minutes * 60000.0);
        if (!P->enabled[rapid ? FT_PAT_RAPID : FT_PAT_PASS_THROUGH]) {
            i = j + 1;
            continue;
        }
        double q = rapid ? PR->q_rapid : PR->q_round[sc];
        /* fewer rounds than pass_through.min_rounds count when some are
         * large for the account: the score weighs how large */
        size_t nlarge = 0;
        for (size_t r = i; r <= j; r++)
            nlarge += large_in_at(w->c, a, pr[r].x);
        bool large = nlarge == j - i + 1;
        size_t k = j - i + 1;
        /* the one-off payments in during the window, each a chance */
        uint32_t lo =
            det_from_time(w, adj->in_txn, adj->in_off[a], adj->in_off[a + 1], TS(pr[i].x));
        uint32_t hi = det_from_time(w, adj->in_txn, lo, adj->in_off[a + 1], TS(pr[j].x) + 1);
        uint32_t nw = 0;
        for (uint32_t q2 = lo; q2 < hi; q2++)
            nw += round_in(w->c, adj->in_txn[q2]);
        double lp = det_poisson_tail_log10((double)nw * q, (double)k);
        for (size_t r = i; r <= j && nlarge; r++) {
            int step = large_step(w->c, a, pr[r].x);
            if (step >= 0)
                lp += log10(PR->q_large_in[step]);
        }
        /* An account too new to know its everyday amount: how large each
         * payment in is for the data (its share of one-off payments that
         * large). */
        bool young = (double)(adj->in_off[a + 1] - adj->in_off[a]) < P->opener_min;
        for (size_t r = i; r <= j && young; r++)
            lp += log10(
                scan_amount_tail(PR, (double)AMT(pr[r].x) / (double)w->c->unit[CUR(pr[r].x)]));
        if (k < need && !nlarge && !young) {
            i++;
            continue;
        }
        double score = det_score(w, lp, (double)eligible);
        if (score < P->min_score) {
            i = j + 1;
            continue;
        }
        if (!SCAN_RESERVE(w, w->b, &w->cap_b, 2 * k))
            return;
        int64_t in = 0, out = 0, dmin = INT64_MAX, dmax = 0;
        uint32_t accts[1] = {a};
        for (size_t r = 0; r < k; r++) {
            w->b[2 * r] = pr[i + r].x;
            w->b[2 * r + 1] = pr[i + r].y;
            in = det_sadd(in, AMT(pr[i + r].x));
            out = det_sadd(out, AMT(pr[i + r].y));
            dmin = pr[i + r].delay < dmin ? pr[i + r].delay : dmin;
            dmax = pr[i + r].delay > dmax ? pr[i + r].delay : dmax;
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
        scan_emit(w, rapid ? FT_PAT_RAPID : FT_PAT_PASS_THROUGH, score, w->b, (uint32_t)(2 * k),
                  accts, 1, params,
                  "%s passed on %zu payment%s from %s: each one-off payment in was followed by "
                  "a one-off payment out of %g-100%% of it %.0f to %.0f minutes later (%s in, "
                  "%s out)%s, among %u one-off payments it received then; at this data's rate "
                  "of such rounds, about %.2g such accounts are expected by chance",
                  name, k, k == 1 ? "" : "s", t0, 100 * P->pt_keep_low, (double)dmin / 60000.0,
                  (double)dmax / 60000.0, si, so,
                  large    ? "; each payment in was large for the account"
                  : nlarge ? "; some payments in were large for the account"
                           : "",
                  nw, pow(10, det_expected_log10(w, lp, (double)eligible)));
        i = j + 1;
    }
}

void detect_pass_through(scan_worker *w, uint32_t a)
{
    const ft_adjacency *adj = &S->adj;
    if (adj->out_off[a + 1] == adj->out_off[a])
        return;
    collect k = {w, 0};
    uint32_t eligible = find_rounds(w->c, a, keep_round, NULL, &k);
    rounds(w, a, w->x, k.n, eligible);
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
        /* all the payments in during the window, each with this data's
         * chance of falling just under the threshold */
        uint32_t lo =
            det_from_time(w, adj->in_txn, adj->in_off[a], adj->in_off[a + 1], TS(w->a[bs]));
        uint32_t hi = det_from_time(w, adj->in_txn, lo, adj->in_off[a + 1], TS(w->a[be]) + 1);
        double lp = det_poisson_tail_log10((double)(hi - lo) * PR->q_sub, (double)k);
        double score = det_score(w, lp, (double)m);
        if (score < P->min_score) {
            i = be + 1;
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
        scan_emit(w, FT_PAT_STRUCTURING, score, w->a + bs, (uint32_t)k, accts, 1, params,
                  "%s received %zu payments between %g%% of and just under the %g threshold "
                  "within %.1f days from %s (%s in total), among %u payments it received then; "
                  "at this data's share of such payments, about %.2g such accounts are "
                  "expected by chance",
                  name, k, 100 * P->st_low, P->st_threshold,
                  (double)(TS(w->a[be]) - TS(w->a[bs])) / (24.0 * (double)HOUR_MS), t0, sum,
                  hi - lo, pow(10, det_expected_log10(w, lp, (double)m)));
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
        /* the window's payments in its main currency */
        size_t k;
        uint16_t cur = det_main_currency(w, w->a + bs, be - bs + 1, &k);
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
        int64_t collected = det_total(w, w->a + bs, be - bs + 1, cur);
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
        /* the largest that together stay within 1.2 times the collection
         * (the account's own large bills, a rent, are not the donations) */
        size_t take = 0;
        int64_t sent = 0;
        for (size_t q = 0; q < nb && take < outs_max; q++)
            if ((double)det_sadd(sent, AMT(w->b[q])) <= 1.2 * (double)collected) {
                sent = det_sadd(sent, AMT(w->b[q]));
                w->b[take++] = w->b[q];
            }
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
        /* The chance of so many small one-off payments in a window this
         * long, where the account's own pace outside it, or a typical
         * account's, predicts `usual` (a club collecting fees is no news),
         * halved when the money went abroad. */
        uint32_t ilo =
            det_from_time(w, adj->in_txn, adj->in_off[a], adj->in_off[a + 1], TS(w->a[bs]));
        uint32_t ihi = det_from_time(w, adj->in_txn, ilo, adj->in_off[a + 1], TS(w->a[be]) + 1);
        double nw = ihi - ilo;
        double typical = PR->small_per_day * P->tf_window_days;
        double lp = det_poisson_tail_log10(usual > typical ? usual : typical, (double)k) -
                    (abroad ? log10(2.0) : 0);
        double score = det_score(w, lp, (double)m);
        if (take && where_ok && score >= P->min_score &&
            (double)sent >= P->tf_min_share * (double)collected &&
            (double)sent <= 1.2 * (double)collected) {
            uint32_t accts[4] = {a};
            uint32_t nacc = 1;
            for (size_t q = 0; q < take && nacc < 4; q++)
                accts[nacc++] = S->t.dst[w->b[q]];
            for (size_t q = bs, n = take; q <= be; q++)
                if (CUR(w->a[q]) == cur)
                    w->b[n++] = w->a[q];
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
            scan_emit(w, FT_PAT_TF_COLLECTION, score, w->b, (uint32_t)(take + k), accts, nacc,
                      params,
                      "%s collected %s in %zu small one-off payments from %zu payers from %s "
                      "(among %.0f it received then), then moved %s (%.0f%%) on in %zu larger "
                      "payment%s (first to %s%s); about %.2g such collections are expected by "
                      "chance in data this size",
                      name, col, k, k, t0, nw, snt, 100.0 * (double)sent / (double)collected, take,
                      take == 1 ? "" : "s", to, abroad ? ", abroad" : "",
                      pow(10, det_expected_log10(w, lp, (double)m)));
        }
        i = be + 1;
    }
}
