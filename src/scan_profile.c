/*
 * scan_profile.c - what the detectors know about the data set as a whole:
 * how often each pair of accounts transacts, which transfers open a new
 * relation, each account's usual amounts, and the data's own rates.
 *
 * Scores are relative to the data: a detector asks how likely its
 * candidate is under the rates of this data set, so one default works on
 * a 100 k-row file and on a 100 M-row file. The profile holds those rates.
 *
 * A transfer is *novel* when it is the first from its payer to its payee
 * and the pair has at most `scan.novel_pair_max` transfers in the data: a
 * new relation, not a recurring one (salaries, rent, subscriptions and
 * regular suppliers recur). Self-transfers are never novel.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_int.h"

/* A 64-bit mixer (splitmix64's finaliser) for the pair set. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

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

/* The median of v[0 .. n) (sorted in place); 0 for none. */
static double median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void scan_profile_free(scan_profile *pr)
{
    free(pr->tflag);
    free(pr->pair_n);
    free(pr->nov_out);
    free(pr->nov_in);
    free(pr->unu_out);
    free(pr->unu_in);
    free(pr->link_out);
    free(pr->link_in);
    free(pr->rhythmic);
    free(pr->opener);
    free(pr->med_out);
    free(pr->med_in);
    free(pr->max_in);
    free(pr->max2_in);
    memset(pr, 0, sizeof *pr);
}

bool scan_profile_build(scan_profile *pr, const ft_store *s, const ft_scan_params *p,
                        const int64_t *unit, const uint8_t *hub)
{
    memset(pr, 0, sizeof *pr);
    const ft_adjacency *adj = &s->adj;
    uint32_t na = s->accounts.n;
    size_t n = (size_t)s->t.n;
    pr->tflag = calloc(n + 1, 1);
    pr->pair_n = calloc(n + 1, sizeof *pr->pair_n);
    pr->nov_out = calloc((size_t)na + 1, sizeof *pr->nov_out);
    pr->nov_in = calloc((size_t)na + 1, sizeof *pr->nov_in);
    pr->med_out = calloc((size_t)na + 1, sizeof *pr->med_out);
    pr->med_in = calloc((size_t)na + 1, sizeof *pr->med_in);
    pr->max_in = calloc((size_t)na + 1, sizeof *pr->max_in);
    pr->max2_in = calloc((size_t)na + 1, sizeof *pr->max2_in);
    pr->unu_out = calloc((size_t)na + 1, sizeof *pr->unu_out);
    pr->unu_in = calloc((size_t)na + 1, sizeof *pr->unu_in);
    pr->rhythmic = calloc((size_t)na + 1, 1);
    pr->opener = calloc((size_t)na + 1, 1);
    pr->link_out = calloc((size_t)na + 1, sizeof *pr->link_out);
    pr->link_in = calloc((size_t)na + 1, sizeof *pr->link_in);
    uint64_t *keys = NULL;
    double *amts = NULL;
    size_t cap = 0;
    if (!pr->tflag || !pr->pair_n || !pr->nov_out || !pr->nov_in || !pr->med_out || !pr->med_in || !pr->max_in || !pr->max2_in ||
        !pr->unu_out || !pr->unu_in || !pr->rhythmic || !pr->opener || !pr->link_out || !pr->link_in)
        goto oom;
    uint64_t novel = 0;
    for (uint32_t a = 0; a < na; a++) {
        uint32_t lo = adj->out_off[a], hi = adj->out_off[a + 1], m = hi - lo;
        uint32_t ilo = adj->in_off[a], ihi = adj->in_off[a + 1];
        size_t need = m > ihi - ilo ? m : ihi - ilo;
        if (need > cap) {
            free(keys);
            free(amts);
            cap = need * 2;
            keys = malloc(cap * sizeof *keys);
            amts = malloc(cap * sizeof *amts);
            if (!keys || !amts)
                goto oom;
        }
        if (m) {
            pr->active++;
            /* Payee then transaction number: runs are pairs, in time order. */
            for (uint32_t i = 0; i < m; i++) {
                uint32_t t = adj->out_txn[lo + i];
                keys[i] = (uint64_t)s->t.dst[t] << 32 | t;
            }
            qsort(keys, m, sizeof *keys, cmp_u64);
            for (uint32_t i = 0; i < m;) {
                uint32_t j = i;
                while (j < m && keys[j] >> 32 == keys[i] >> 32)
                    j++;
                uint32_t run = j - i;
                uint16_t pn = run > 65535 ? 65535 : (uint16_t)run;
                for (uint32_t k = i; k < j; k++) {
                    uint32_t t = (uint32_t)keys[k];
                    pr->pair_n[t] = pn;
                    pr->tflag[t] |= (uint8_t)((run == 1 ? TF_ONCE : 0) | (k == i ? TF_FIRST : 0));
                }
                uint32_t t0 = (uint32_t)keys[i];
                if ((double)run <= p->novel_pair_max && s->t.dst[t0] != a) {
                    pr->tflag[t0] |= TF_NOVEL;
                    pr->nov_out[a]++;
                    pr->nov_in[s->t.dst[t0]]++;
                    novel++;
                }
                i = j;
            }
            /* The everyday amount: the median of what a pays its established
             * relations and hubs (bills, rent, shops), so that a burst of
             * new payees does not move the yardstick it is measured with;
             * the median of everything when there are fewer than 5 such. */
            uint32_t k = 0;
            for (uint32_t i = 0; i < m; i++) {
                uint32_t t = adj->out_txn[lo + i];
                if (!(pr->tflag[t] & TF_NOVEL) || hub[s->t.dst[t]])
                    amts[k++] = (double)s->t.amount[t] / (double)unit[s->t.cur[t]];
            }
            if (k < 5) {
                k = 0;
                for (uint32_t i = 0; i < m; i++) {
                    uint32_t t = adj->out_txn[lo + i];
                    amts[k++] = (double)s->t.amount[t] / (double)unit[s->t.cur[t]];
                }
            }
            pr->med_out[a] = median(amts, k);
        }
        if (ihi > ilo && !m)
            pr->active++;
    }
    /* The everyday amount received: the median of what established
     * relations and hubs pay a (a salary, refunds), or of everything when
     * there are fewer than 5 such; and the largest two payments in. */
    for (uint32_t a = 0; a < na; a++) {
        uint32_t ilo = adj->in_off[a], ihi = adj->in_off[a + 1], k = 0;
        if (ihi == ilo)
            continue;
        for (uint32_t i = ilo; i < ihi; i++) {
            uint32_t t = adj->in_txn[i];
            if (!(pr->tflag[t] & TF_NOVEL) || hub[s->t.src[t]])
                amts[k++] = (double)s->t.amount[t] / (double)unit[s->t.cur[t]];
        }
        if (k < 5) {
            k = 0;
            for (uint32_t i = ilo; i < ihi; i++) {
                uint32_t t = adj->in_txn[i];
                amts[k++] = (double)s->t.amount[t] / (double)unit[s->t.cur[t]];
            }
        }
        pr->med_in[a] = median(amts, k);
        pr->max_in[a] = amts[k - 1]; /* sorted by median() */
        pr->max2_in[a] = k > 1 ? amts[k - 2] : 0;
    }

    /* Rhythm: an account whose payments fall on two weekdays (or fewer)
     * at least scan.rhythm_share of the time, over scan.rhythm_min
     * payments or more, pays on a schedule (standing orders, a business's
     * payment runs); a payment off the beat breaks that habit. */
    uint64_t unusual = 0, links = 0, strong = 0, slow_out = 0, slow_in = 0;
    for (uint32_t a = 0; a < na; a++) {
        uint32_t lo = adj->out_off[a], hi = adj->out_off[a + 1];
        uint32_t week[7] = {0}, ordinary = 0, opened = 0, weeks = 0;
        int64_t last_week = INT64_MIN;
        for (uint32_t i = lo; i < hi; i++) {
            uint32_t t = adj->out_txn[i];
            week[weekday(s->t.ts_ms[t])]++;
            ordinary++;
            if (pr->tflag[t] & TF_NOVEL) {
                opened++;
                int64_t wk = s->t.ts_ms[t] / (7 * 86400000LL);
                weeks += wk != last_week;
                last_week = wk;
            }
        }
        uint32_t m = hi - lo, top1 = 0, top2 = 0;
        for (int d = 0; d < 7; d++) {
            if (week[d] > top1) {
                top2 = top1;
                top1 = week[d];
            } else if (week[d] > top2) {
                top2 = week[d];
            }
        }
        pr->rhythmic[a] = (double)m >= p->rhythm_min && (double)(top1 + top2) >= p->rhythm_share * m;
        /* A new relation is no news from a payer that opens new ones in
         * most of what it pays, over a history long enough to tell and as
         * a routine, in four different weeks or more: a business paying new
         * payees every week, a person paying a new shop each time. A burst
         * of new payees in one week is not a routine. */
        bool opener = (double)ordinary >= p->opener_min &&
                      (double)opened > p->opener_share * ordinary && weeks >= 4;
        pr->opener[a] = opener;
        bool known = (double)m >= p->opener_min; /* enough payments for a median */
        /* Off the beat: a payment of a rhythmic payer on a weekday it
         * otherwise almost never uses (under half the uniform share), and
         * the only such payment to that payee: a monthly bill or a standing
         * order that falls on any weekday keeps a schedule of its own. */
        if (pr->rhythmic[a]) {
            uint32_t noff = 0;
            for (uint32_t i = lo; i < hi; i++) {
                uint32_t t = adj->out_txn[i];
                uint32_t same = week[weekday(s->t.ts_ms[t])] - 1;
                if ((double)same < (double)(m - 1) / 14.0)
                    keys[noff++] = (uint64_t)s->t.dst[t] << 32 | t;
            }
            if (noff > 1)
                qsort(keys, noff, sizeof *keys, cmp_u64);
            for (uint32_t i = 0; i < noff; i++)
                if ((i == 0 || keys[i - 1] >> 32 != keys[i] >> 32) &&
                    (i + 1 == noff || keys[i + 1] >> 32 != keys[i] >> 32))
                    pr->tflag[(uint32_t)keys[i]] |= TF_OFFBEAT;
        }
        for (uint32_t i = lo; i < hi; i++) {
            uint32_t t = adj->out_txn[i];
            bool off = (pr->tflag[t] & TF_OFFBEAT) != 0;
            /* Large for the payer: scan.large_ratio times its median payment. */
            bool large = known && (double)s->t.amount[t] / (double)unit[s->t.cur[t]] >=
                                      p->large_ratio * pr->med_out[a];
            if (large)
                pr->tflag[t] |= TF_LARGE;
            /* A first payment at a hub (a shop, a utility) is everyday. */
            bool novel = (pr->tflag[t] & TF_NOVEL) && !hub[s->t.dst[t]];
            if (off || (novel && (large || !opener))) {
                pr->tflag[t] |= TF_LINK;
                pr->link_out[a]++;
                pr->link_in[s->t.dst[t]]++;
                links++;
            }
            bool is_strong = off || (novel && (double)m < p->opener_min);
            strong += is_strong;
            /* the slow fans' members (detect_fan.c) */
            bool big = large && novel && (off || large || (!pr->rhythmic[a] && !opener));
            slow_out += off || big;
            slow_in += is_strong || big;
            if (off || (novel && (large || (!pr->rhythmic[a] && !opener)))) {
                pr->tflag[t] |= TF_UNUSUAL;
                pr->unu_out[a]++;
                pr->unu_in[s->t.dst[t]]++;
                unusual++;
            }
        }
    }
    pr->nlinks = links;
    pr->q_link = n ? (double)links / (double)n : 0;
    if (pr->q_link <= 0)
        pr->q_link = 1.0 / ((double)n + 1);
    pr->q_slow[0] = ((double)slow_out + 1) / ((double)n + 1);
    pr->q_slow[1] = ((double)slow_in + 1) / ((double)n + 1);
    pr->q_strong = n ? (double)strong / (double)n : 0;
    if (pr->q_strong <= 0)
        pr->q_strong = 1.0 / ((double)n + 1);
    /* Payments just under the reporting threshold (structuring), in the
     * currencies counted in hundredths it is set for. */
    uint64_t sub = 0, counted = 0;
    for (size_t t = 0; t < n; t++) {
        uint16_t c = s->t.cur[t];
        if (s->currencies[c].exponent != 2)
            continue;
        counted++;
        double v = (double)s->t.amount[t] / (double)unit[c];
        sub += v < p->st_threshold && v >= p->st_threshold * p->st_low;
    }
    pr->q_sub = ((double)sub + 1) / ((double)counted + 1);
    /* Small one-off payments into ordinary accounts (not hubs: a shop's
     * customers), for collections. */
    uint64_t small = 0, into = 0;
    for (size_t t = 0; t < n; t++) {
        if (hub[s->t.dst[t]] || s->t.src[t] == s->t.dst[t])
            continue;
        into++;
        small += (pr->tflag[t] & TF_ONCE) &&
                 (double)s->t.amount[t] / (double)unit[s->t.cur[t]] <= p->tf_max_donation;
    }
    pr->q_small = ((double)small + 1) / ((double)into + 1);
    double days = n ? (double)(s->t.ts_ms[n - 1] - s->t.ts_ms[0]) / 86400000.0 : 0;
    pr->small_per_day = ((double)small + 1) / ((pr->active ? pr->active : 1) * (days > 1 ? days : 1));
    pr->q_unusual = n ? (double)unusual / (double)n : 0;
    if (pr->q_unusual <= 0)
        pr->q_unusual = 1.0 / ((double)n + 1);

    /* How often a link's payee passes the money on in links, keeping
     * stack.keep_low of it (to anyone but the payer), within 1, 6 and 24
     * hours and within stack.gap_hours: a stack whose hops all took an
     * hour is measured against passes that quick. */
    int64_t gap = (int64_t)(p->stack_gap_hours * 3600000.0);
    const int64_t scale[PASS_SCALES] = {3600000LL, 6 * 3600000LL, 24 * 3600000LL, gap};
    uint64_t passed[PASS_SCALES] = {0};
    for (size_t t = 0; t < n; t++) {
        if (!(pr->tflag[t] & TF_LINK) || hub[s->t.dst[t]])
            continue;
        uint32_t v = s->t.dst[t], u = s->t.src[t];
        uint32_t end = adj->out_off[v + 1];
        uint32_t l = adj->out_off[v], h = end; /* v's first payment at or after t's time */
        while (l < h) {
            uint32_t mid = l + (h - l) / 2;
            if (s->t.ts_ms[adj->out_txn[mid]] < s->t.ts_ms[t])
                l = mid + 1;
            else
                h = mid;
        }
        int64_t sent = 0, need = (int64_t)(p->stack_keep_low * (double)s->t.amount[t]);
        for (uint32_t k = l; k < end && sent < need; k++) {
            uint32_t y = adj->out_txn[k];
            int64_t delay = s->t.ts_ms[y] - s->t.ts_ms[t];
            if (delay > gap)
                break;
            if (!(pr->tflag[y] & TF_LINK) || s->t.dst[y] == u || s->t.dst[y] == v ||
                s->t.cur[y] != s->t.cur[t])
                continue;
            sent += s->t.amount[y] < INT64_MAX - sent ? s->t.amount[y] : 0;
            if (sent >= need) /* passed on, after this delay */
                for (int c = 0; c < PASS_SCALES; c++)
                    passed[c] += delay <= scale[c];
        }
    }
    for (int c = 0; c < PASS_SCALES; c++) {
        pr->pass_ms[c] = scale[c];
        pr->q_pass[c] = ((double)passed[c] + 1) / ((double)links + 1);
    }
    pr->span_ms = n ? s->t.ts_ms[n - 1] - s->t.ts_ms[0] : 0;

    /* Mutual pairs: the payee has paid the payer too, at some time. A hash
     * set of the pairs (open addressing), then one lookup per transfer. */
    uint64_t npairs = 0;
    for (size_t t = 0; t < n; t++)
        npairs += (pr->tflag[t] & TF_FIRST) != 0;
    size_t hcap = 16;
    while (hcap < 2 * npairs + 2)
        hcap *= 2;
    uint64_t *set = malloc(hcap * sizeof *set);
    if (!set)
        goto oom;
    memset(set, 0xff, hcap * sizeof *set); /* UINT64_MAX: empty */
    for (size_t t = 0; t < n; t++) {
        if (!(pr->tflag[t] & TF_FIRST))
            continue;
        uint64_t key = (uint64_t)s->t.src[t] << 32 | s->t.dst[t];
        size_t h = (size_t)(mix64(key) & (hcap - 1));
        while (set[h] != UINT64_MAX && set[h] != key)
            h = (h + 1) & (hcap - 1);
        set[h] = key;
    }
    for (size_t t = 0; t < n; t++) {
        if (s->t.src[t] == s->t.dst[t])
            continue;
        uint64_t key = (uint64_t)s->t.dst[t] << 32 | s->t.src[t];
        size_t h = (size_t)(mix64(key) & (hcap - 1));
        while (set[h] != UINT64_MAX && set[h] != key)
            h = (h + 1) & (hcap - 1);
        if (set[h] == key)
            pr->tflag[t] |= TF_MUTUAL;
    }
    free(set);
    /* The rate of a typical account: each account's share of novel
     * transfers among what it paid, averaged over the accounts (a few mass
     * payers of one-off payments would dominate a rate per transfer). */
    double sum = 0;
    uint32_t payers = 0;
    for (uint32_t a = 0; a < na; a++) {
        uint32_t m = adj->out_off[a + 1] - adj->out_off[a];
        if (!m)
            continue;
        sum += (double)pr->nov_out[a] / (double)m;
        payers++;
    }
    pr->q_novel = payers ? sum / payers : 0;
    if (pr->q_novel <= 0)
        pr->q_novel = 1.0 / ((double)n + 1);
    (void)novel;
    free(keys);
    free(amts);
    if (getenv("FT_DEBUG_FLAGS")) { /* DEBUG: remove */
        FILE *f = fopen(getenv("FT_DEBUG_FLAGS"), "w");
        char id[128];
        for (size_t t = 0; f && t < n; t++) {
            ft_store_txid(s, (uint32_t)t, id, sizeof id);
            fprintf(f, "%s,%u,%u,%u,%u\n", id, pr->tflag[t], pr->pair_n[t], pr->rhythmic[s->t.src[t]], pr->nov_out[s->t.src[t]]);
        }
        if (f) fclose(f);
        fprintf(stderr, "q_small %g q_unusual %g q_link %g q_novel %g links %llu\n", pr->q_small, pr->q_unusual, pr->q_link, pr->q_novel, (unsigned long long)pr->nlinks);
    }
    return true;
oom:
    free(keys);
    free(amts);
    scan_profile_free(pr);
    return false;
}
