/*
 * trace_periods.c - a trace streamed through periods (trace_periods.h):
 * the first pass over the periods, then one pass in trace order that maps
 * one period, builds its trace index with the balances carried in, moves
 * every seed's tracer through it, and unmaps it.
 */
#include "fundtrace/trace_periods.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/snapshot.h"

/* Opens period i of m (mapped). */
static ft_status open_period(ft_store *s, const ft_manifest *m, size_t i, ft_error *err)
{
    memset(s, 0, sizeof *s);
    char *path = malloc(strlen(m->dir) + strlen(m->v[i].file) + 2);
    if (!path)
        return ft_error_oom(err);
    sprintf(path, "%s/%s", m->dir, m->v[i].file);
    ft_status rc = ft_snapshot_read(s, path, err);
    if (rc == FT_OK && s->t.n != m->v[i].rows) {
        rc = ft_error_set(err, FT_EINPUT,
                          "%s: is not the period %s of the manifest's data (other rows)", path,
                          m->v[i].name);
        ft_store_free(s);
    }
    free(path);
    return rc;
}

void ft_trace_stream_free(ft_trace_stream *st)
{
    free(st->degree);
    free(st->first_ms);
    free(st->last_ms);
    free(st->heavy_off);
    free(st->heavy);
    memset(st, 0, sizeof *st);
}

/* The period of the manifest in trace order: the k-th from the start, or
 * (backward) from the end. */
static size_t nth(const ft_manifest *m, bool backward, size_t k)
{
    return backward ? m->n - 1 - k : k;
}

ft_status ft_trace_stream_build(ft_trace_stream *st, const ft_manifest *m,
                                const ft_trace_options *o, bool backward,
                                const ft_trace_seed *seeds, size_t nseeds, ft_error *err)
{
    memset(st, 0, sizeof *st);
    if (m->n == 0)
        return ft_error_set(err, FT_EUSAGE, "no periods to read");
    uint32_t *payments = NULL; /* within [since, until] */
    ft_status rc = FT_OK;
    bool heavy = false;
    for (size_t i = 0; i < m->n && rc == FT_OK; i++) {
        ft_store s;
        if ((rc = open_period(&s, m, i, err)) != FT_OK)
            break;
        if (i == 0) {
            st->nacc = s.accounts.n;
            st->degree = calloc((size_t)st->nacc + 1, sizeof *st->degree);
            st->first_ms = malloc(((size_t)st->nacc + 1) * sizeof *st->first_ms);
            st->last_ms = malloc(((size_t)st->nacc + 1) * sizeof *st->last_ms);
            payments = calloc((size_t)st->nacc + 1, sizeof *payments);
            if (!st->degree || !st->first_ms || !st->last_ms || !payments)
                rc = ft_error_oom(err);
            for (uint32_t a = 0; a < st->nacc && rc == FT_OK; a++) {
                st->first_ms[a] = INT64_MAX;
                st->last_ms[a] = INT64_MIN;
            }
        } else if (s.accounts.n != st->nacc) {
            rc = ft_error_set(err, FT_EINPUT,
                              "period %s: is not of the manifest's data (other accounts)",
                              m->v[i].name);
        }
        for (int64_t t = 0; t < s.t.n && rc == FT_OK; t++) {
            int64_t ms = s.t.ts_ms[t];
            uint32_t ends[2] = {s.t.src[t], s.t.dst[t]};
            for (int k = 0; k < 2; k++) {
                uint32_t a = ends[k];
                st->degree[a]++;
                if (ms < st->first_ms[a])
                    st->first_ms[a] = ms;
                if (ms > st->last_ms[a])
                    st->last_ms[a] = ms;
            }
            if (ms >= o->since_ms && ms <= o->until_ms)
                payments[backward ? s.t.dst[t] : s.t.src[t]]++;
        }
        ft_store_free(&s);
    }
    /* The accounts the breadth limit has to choose for: more payments
     * than `breadth` within the bounds, and not hubs (which pass nothing
     * on) unless they are seeds. */
    size_t total = 0;
    uint8_t *seed = NULL;
    if (rc == FT_OK && o->breadth) {
        if (!(st->heavy_off = calloc((size_t)st->nacc + 2, sizeof *st->heavy_off)) ||
            !(seed = calloc((size_t)st->nacc + 1, 1)))
            rc = ft_error_oom(err);
        for (size_t k = 0; k < nseeds && rc == FT_OK; k++)
            if (seeds[k].txn < 0 && seeds[k].account < st->nacc)
                seed[seeds[k].account] = 1;
        for (uint32_t a = 0; a < st->nacc && rc == FT_OK; a++) {
            bool hub = o->max_degree && st->degree[a] > o->max_degree && !seed[a];
            uint32_t c = payments[a] > o->breadth && !hub ? payments[a] : 0;
            st->heavy_off[a + 1] = st->heavy_off[a] + c;
            heavy |= c > 0;
        }
        total = rc == FT_OK ? st->heavy_off[st->nacc] : 0;
    }
    if (rc == FT_OK && heavy && !(st->heavy = malloc(total * sizeof *st->heavy)))
        rc = ft_error_oom(err);
    if (rc == FT_OK && heavy) /* from here: how many of each account's are filled in */
        memset(payments, 0, (size_t)st->nacc * sizeof *payments);
    /* Their payments, in trace order. */
    uint32_t gpos = 0;
    for (size_t k = 0; k < m->n && rc == FT_OK && heavy; k++) {
        size_t i = nth(m, backward, k);
        ft_store s;
        if ((rc = open_period(&s, m, i, err)) != FT_OK)
            break;
        uint32_t *order = malloc(((size_t)s.t.n + 1) * sizeof *order);
        if (!order)
            rc = ft_error_oom(err);
        if (rc == FT_OK)
            rc = ft_store_flow_order(&s, backward, order, err);
        for (uint32_t p = 0; p < s.t.n && rc == FT_OK; p++) {
            uint32_t t = order[p];
            uint32_t a = backward ? s.t.dst[t] : s.t.src[t];
            int64_t ms = s.t.ts_ms[t];
            if (st->heavy_off[a] == st->heavy_off[a + 1] || ms < o->since_ms || ms > o->until_ms)
                continue;
            st->heavy[st->heavy_off[a] + payments[a]++] =
                (ft_trace_heavy){gpos + p, ms, s.t.amount[t]};
        }
        gpos += (uint32_t)s.t.n;
        free(order);
        ft_store_free(&s);
    }
    free(payments);
    free(seed);
    if (rc != FT_OK)
        ft_trace_stream_free(st);
    return rc;
}

ft_status ft_trace_periods_find_txn(const ft_manifest *m, const char *id, int64_t *row, bool *found,
                                    ft_error *err)
{
    *found = false;
    int64_t base = 0;
    for (size_t i = 0; i < m->n; base += m->v[i].rows, i++) {
        ft_store s;
        ft_status rc = open_period(&s, m, i, err);
        if (rc != FT_OK)
            return rc;
        uint32_t t;
        rc = ft_store_txid_index(&s, err);
        if (rc == FT_OK && ft_store_find_txid(&s, id, strlen(id), &t)) {
            *found = true;
            *row = base + t;
        }
        ft_store_free(&s);
        if (rc != FT_OK || *found)
            return rc;
    }
    return FT_OK;
}

void ft_trace_periods_free(ft_trace_periods_out *out)
{
    for (size_t i = 0; out->tracers && i < out->n; i++)
        ft_tracer_free(out->tracers[i]);
    free(out->tracers);
    free(out->res);
    ft_store_free(&out->s);
    memset(out, 0, sizeof *out);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

ft_status ft_trace_periods_run(const ft_manifest *m, const ft_trace_options *o, bool backward,
                               const ft_trace_seed *seeds, size_t n, ft_trace_periods_out *out,
                               ft_error *err)
{
    memset(out, 0, sizeof *out);
    ft_trace_stream st;
    ft_status rc = ft_trace_stream_build(&st, m, o, backward, seeds, n, err);
    if (rc != FT_OK)
        return rc;
    ft_trace_carry carry = {0};
    uint32_t *rows = NULL;
    size_t nrows = 0, caprows = 0;
    /* Each seed transaction's time and period. */
    int64_t *seed_ms = calloc(n + 1, sizeof *seed_ms);
    out->tracers = calloc(n + 1, sizeof *out->tracers);
    out->res = calloc(n + 1, sizeof *out->res);
    if (!(carry.head = malloc(((size_t)st.nacc + 1) * sizeof *carry.head)) || !seed_ms ||
        !out->tracers || !out->res)
        rc = ft_error_oom(err);
    else
        memset(carry.head, 0xff, ((size_t)st.nacc + 1) * sizeof *carry.head);
    out->n = n;
    int64_t base = 0;
    for (size_t i = 0; i < m->n && rc == FT_OK; base += m->v[i].rows, i++) {
        bool any = false;
        for (size_t k = 0; k < n; k++)
            any |= seeds[k].txn >= base && seeds[k].txn < base + m->v[i].rows;
        if (!any)
            continue;
        ft_store s;
        if ((rc = open_period(&s, m, i, err)) != FT_OK)
            break;
        for (size_t k = 0; k < n; k++)
            if (seeds[k].txn >= base && seeds[k].txn < base + m->v[i].rows)
                seed_ms[k] = s.t.ts_ms[seeds[k].txn - base];
        ft_store_free(&s);
    }
    for (size_t k = 0; k < n && rc == FT_OK; k++)
        rc = ft_tracer_stream_new(&out->tracers[k], err);
    /* The periods in trace order. */
    uint32_t gpos = 0;
    bool begun = false;
    for (size_t k = 0; k < m->n && rc == FT_OK; k++) {
        size_t i = nth(m, backward, k);
        int64_t row0 = 0;
        for (size_t j = 0; j < i; j++)
            row0 += m->v[j].rows;
        ft_store s;
        ft_trace_index *ix = NULL;
        if ((rc = open_period(&s, m, i, err)) != FT_OK)
            break;
        if (!begun) { /* every trace begins before the first period */
            begun = true;
            for (size_t q = 0; q < n && rc == FT_OK; q++) {
                uint32_t account = seeds[q].account;
                if (seeds[q].txn >= 0) {
                    /* The seed transaction's payer (backward: payee), from
                     * its period. */
                    size_t pi = 0;
                    int64_t b = 0;
                    while (pi < m->n && seeds[q].txn >= b + m->v[pi].rows)
                        b += m->v[pi++].rows;
                    ft_store ps;
                    if (pi == m->n) {
                        rc = ft_error_set(err, FT_EUSAGE, "trace: no transaction number %lld",
                                          (long long)seeds[q].txn);
                        break;
                    }
                    if ((rc = open_period(&ps, m, pi, err)) != FT_OK)
                        break;
                    int64_t t = seeds[q].txn - b;
                    account = backward ? ps.t.dst[t] : ps.t.src[t];
                    ft_store_free(&ps);
                }
                rc = ft_tracer_stream_begin(out->tracers[q], o, &st, backward, account,
                                            seeds[q].txn, seed_ms[q], err);
            }
        }
        if (rc == FT_OK)
            rc = ft_store_adjacency(&s, err);
        if (rc == FT_OK)
            rc = ft_trace_index_new_carry(&ix, &s, backward, &carry, gpos, (uint32_t)row0, err);
        for (size_t q = 0; q < n && rc == FT_OK; q++) {
            int64_t local =
                seeds[q].txn >= row0 && seeds[q].txn < row0 + s.t.n ? seeds[q].txn - row0 : -1;
            rc = ft_tracer_stream_period(out->tracers[q], ix, local, err);
        }
        gpos += (uint32_t)s.t.n;
        ft_trace_index_free(ix);
        ft_store_free(&s);
        out->periods_read++;
    }
    for (size_t q = 0; q < n && rc == FT_OK; q++)
        rc = ft_tracer_stream_rows(out->tracers[q], &rows, &nrows, &caprows, err);
    if (rc == FT_OK && nrows > 1) {
        qsort(rows, nrows, sizeof *rows, cmp_u32);
        size_t w = 0;
        for (size_t i = 0; i < nrows; i++)
            if (w == 0 || rows[w - 1] != rows[i])
                rows[w++] = rows[i];
        nrows = w;
    }
    if (rc == FT_OK)
        rc = ft_periods_rows(&out->s, m, rows, nrows, err);
    for (size_t q = 0; q < n && rc == FT_OK; q++)
        rc = ft_tracer_stream_end(out->tracers[q], &out->s, rows, nrows, &out->res[q], err);
    free(rows);
    free(seed_ms);
    free(carry.head);
    free(carry.v);
    ft_trace_stream_free(&st);
    if (rc != FT_OK)
        ft_trace_periods_free(out);
    return rc;
}
