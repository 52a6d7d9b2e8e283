/*
 * stats.c - sizes, totals, degrees, components and top accounts.
 *
 * Percentiles come from a histogram of degrees below 65536 plus a sorted
 * list of the few larger ones, so no array of millions is sorted.
 */
#include "fundtrace/stats.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/graph.h"

#define DEG_BINS 65536

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile p (in percent) of deg[0..n). */
static ft_status degree_summary(const uint32_t *deg, uint32_t n, ft_degree_summary *out,
                                ft_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return FT_OK;
    uint64_t *hist = calloc(DEG_BINS, sizeof *hist);
    uint32_t *big = NULL;
    uint32_t nbig = 0, capbig = 0;
    if (!hist)
        return ft_error_oom(err);
    for (uint32_t a = 0; a < n; a++) {
        if (deg[a] > (uint32_t)out->max)
            out->max = deg[a];
        if (deg[a] < DEG_BINS) {
            hist[deg[a]]++;
            continue;
        }
        if (nbig == capbig) {
            capbig = capbig ? capbig * 2 : 64;
            uint32_t *p = realloc(big, capbig * sizeof *p);
            if (!p) {
                free(hist);
                free(big);
                return ft_error_oom(err);
            }
            big = p;
        }
        big[nbig++] = deg[a];
    }
    if (nbig)
        qsort(big, nbig, sizeof *big, cmp_u32);
    const int pct[2] = {50, 99};
    int64_t *res[2] = {&out->p50, &out->p99};
    for (int k = 0; k < 2; k++) {
        /* rank = ceil(p/100 * n), 1-based */
        uint64_t rank = ((uint64_t)n * (uint64_t)pct[k] + 99) / 100;
        if (rank == 0)
            rank = 1;
        uint64_t seen = 0;
        bool found = false;
        for (uint32_t d = 0; d < DEG_BINS && !found; d++) {
            seen += hist[d];
            if (seen >= rank) {
                *res[k] = d;
                found = true;
            }
        }
        if (!found)
            *res[k] = big[rank - seen - 1];
    }
    free(hist);
    free(big);
    return FT_OK;
}

static uint32_t find_root(uint32_t *parent, uint32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

static ft_status components(const ft_store *s, ft_stats *st, ft_error *err)
{
    uint32_t n = s->accounts.n;
    uint32_t *parent = malloc((size_t)(n ? n : 1) * sizeof *parent);
    uint32_t *size = malloc((size_t)(n ? n : 1) * sizeof *size);
    if (!parent || !size) {
        free(parent);
        free(size);
        return ft_error_oom(err);
    }
    for (uint32_t a = 0; a < n; a++) {
        parent[a] = a;
        size[a] = 1;
    }
    int64_t count = n;
    for (int64_t i = 0; i < s->t.n; i++) {
        uint32_t x = find_root(parent, s->t.src[i]), y = find_root(parent, s->t.dst[i]);
        if (x == y)
            continue;
        if (size[x] < size[y]) {
            uint32_t tmp = x;
            x = y;
            y = tmp;
        }
        parent[y] = x;
        size[x] += size[y];
        count--;
    }
    int64_t largest = 0;
    for (uint32_t a = 0; a < n; a++)
        if (parent[a] == a && size[a] > largest)
            largest = size[a];
    st->components = count;
    st->largest_component = largest;
    free(parent);
    free(size);
    return FT_OK;
}

/* Orders by amount, then transfers, descending, then account key. */
static bool ranks_before(const ft_store *s, const ft_account_volume *a,
                         const ft_account_volume *b)
{
    if (a->amount != b->amount)
        return a->amount > b->amount;
    if (a->count != b->count)
        return a->count > b->count;
    size_t la, lb;
    const char *ka = ft_store_account(s, a->account, &la);
    const char *kb = ft_store_account(s, b->account, &lb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    return c ? c < 0 : la < lb;
}

static void top_insert(const ft_store *s, ft_account_volume *top, int *ntop,
                       const ft_account_volume *v)
{
    if (*ntop == FT_STATS_TOP && !ranks_before(s, v, &top[FT_STATS_TOP - 1]))
        return;
    int i = *ntop < FT_STATS_TOP ? (*ntop)++ : FT_STATS_TOP - 1;
    while (i > 0 && ranks_before(s, v, &top[i - 1])) {
        top[i] = top[i - 1];
        i--;
    }
    top[i] = *v;
}

/* Insertion sort by currency code: there are a handful of currencies. */
static void sort_totals(const ft_store *s, ft_currency_total *tot, int n)
{
    for (int i = 1; i < n; i++) {
        ft_currency_total v = tot[i];
        int j = i;
        while (j > 0 && strcmp(s->currencies[tot[j - 1].cur].code, s->currencies[v.cur].code) > 0) {
            tot[j] = tot[j - 1];
            j--;
        }
        tot[j] = v;
    }
}

static ft_status top_accounts(const ft_store *s, ft_stats *st, ft_error *err)
{
    uint32_t n = s->accounts.n;
    __int128 *vol_out = calloc((size_t)(n ? n : 1), sizeof *vol_out);
    __int128 *vol_in = calloc((size_t)(n ? n : 1), sizeof *vol_in);
    uint32_t *cnt_out = calloc((size_t)(n ? n : 1), sizeof *cnt_out);
    uint32_t *cnt_in = calloc((size_t)(n ? n : 1), sizeof *cnt_in);
    ft_status rc = FT_OK;
    if (!vol_out || !vol_in || !cnt_out || !cnt_in) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (int64_t i = 0; i < s->t.n; i++) {
        if (s->t.cur[i] != st->rank_cur)
            continue;
        vol_out[s->t.src[i]] += s->t.amount[i];
        vol_in[s->t.dst[i]] += s->t.amount[i];
        cnt_out[s->t.src[i]]++;
        cnt_in[s->t.dst[i]]++;
    }
    for (uint32_t a = 0; a < n; a++) {
        if (cnt_out[a]) {
            ft_account_volume v = {a, vol_out[a], cnt_out[a]};
            top_insert(s, st->top_out, &st->ntop_out, &v);
        }
        if (cnt_in[a]) {
            ft_account_volume v = {a, vol_in[a], cnt_in[a]};
            top_insert(s, st->top_in, &st->ntop_in, &v);
        }
    }
done:
    free(vol_out);
    free(vol_in);
    free(cnt_out);
    free(cnt_in);
    return rc;
}

static ft_status stats_compute(const ft_store *s, ft_stats *st, ft_error *err);

ft_status ft_stats_compute(const ft_store *s, ft_stats *st, ft_error *err)
{
    ft_status rc = stats_compute(s, st, err);
    if (rc == FT_OK && s->rates) {
        long double sum = 0;
        for (int64_t k = 0; k < s->t.n; k++)
            sum += ft_store_analysis(s, k);
        st->has_analysis = true;
        st->analysis_total = (double)sum;
    }
    return rc;
}

static ft_status stats_compute(const ft_store *s, ft_stats *st, ft_error *err)
{
    const ft_txns *t = &s->t;
    ft_status rc = FT_OK;
    memset(st, 0, sizeof *st);
    st->txns = t->n;
    st->accounts = s->accounts.n;
    st->labels = s->labels.n;
    st->rank_cur = -1;
    uint32_t nacc = s->accounts.n;
    uint32_t *out_deg = calloc((size_t)nacc + 1, sizeof *out_deg);
    uint32_t *in_deg = calloc((size_t)nacc + 1, sizeof *in_deg);
    ft_currency_total *tot = calloc((size_t)s->ncurrencies + 1, sizeof *tot);
    if (!out_deg || !in_deg || !tot) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (int64_t i = 0; i < t->n; i++) {
        out_deg[t->src[i]]++;
        in_deg[t->dst[i]]++;
        st->self_transfers += t->src[i] == t->dst[i];
        tot[t->cur[i]].sum += t->amount[i];
        tot[t->cur[i]].count++;
    }
    if (t->label)
        for (int64_t i = 0; i < t->n; i++)
            st->labelled_rows += t->label[i] != 0;
    if (t->n) {
        st->first_ms = t->ts_ms[0];
        st->last_ms = t->ts_ms[t->n - 1];
    }
    int64_t best = 0;
    for (int c = 0; c < s->ncurrencies; c++) {
        tot[c].cur = (uint16_t)c;
        if (tot[c].count > best) {
            best = tot[c].count;
            st->rank_cur = c;
        }
        if (tot[c].count)
            tot[st->ntotals++] = tot[c];
    }
    sort_totals(s, tot, st->ntotals);
    st->totals = tot;
    tot = NULL;
    if ((rc = degree_summary(out_deg, nacc, &st->out_degree, err)) != FT_OK ||
        (rc = degree_summary(in_deg, nacc, &st->in_degree, err)) != FT_OK ||
        (rc = components(s, st, err)) != FT_OK)
        goto done;
    if (st->rank_cur >= 0)
        rc = top_accounts(s, st, err);
done:
    free(out_deg);
    free(in_deg);
    free(tot);
    if (rc != FT_OK)
        ft_stats_free(st);
    return rc;
}

void ft_stats_free(ft_stats *st)
{
    free(st->totals);
    memset(st, 0, sizeof *st);
}

ft_status ft_stats_check_igraph(const ft_store *s, const ft_stats *st, ft_error *err)
{
    igraph_t g;
    int64_t count = 0, largest = 0;
    ft_status rc = ft_graph_build(&g, s, err);
    if (rc != FT_OK)
        return rc;
    rc = ft_graph_weak_components(&g, &count, &largest, err);
    igraph_destroy(&g);
    if (rc == FT_OK && (count != st->components || largest != st->largest_component))
        rc = ft_error_set(err, FT_EUSAGE,
                          "igraph counts %lld components (largest %lld), we count %lld "
                          "(largest %lld)",
                          (long long)count, (long long)largest, (long long)st->components,
                          (long long)st->largest_component);
    return rc;
}
