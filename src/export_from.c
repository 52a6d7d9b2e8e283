/*
 * export_from.c - the subgraphs export builds from other results: an
 * alert of an alerts file, a trace file, a trace run here, the cluster of
 * an account; and the alerts that cover each transfer (contracts in
 * export.h).
 *
 * Alerts and trace files name transactions by their original ids; the
 * store's transaction-id index (store.h) maps them back to transfer
 * numbers. Ids that are
 * not in the data are skipped: the file may come from a larger run.
 */
#include "fundtrace/export.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/alerts_read.h"
#include "fundtrace/pool.h"
#include "fundtrace/trace.h"
#include "fundtrace/trace_read.h"

/* --- the alerts of a file ---------------------------------------------------------------- */

typedef struct export_alert {
    char *id;
    uint32_t *txns; /* in the data, as listed */
    uint32_t ntxns, cap_txns;
    uint32_t first_account;
    bool has_account;
} export_alert;

struct ft_export_alerts {
    export_alert *v;
    uint32_t n, cap;
    char *path;
};

void ft_export_alerts_free(ft_export_alerts *ea)
{
    if (!ea)
        return;
    for (uint32_t i = 0; i < ea->n; i++) {
        free(ea->v[i].id);
        free(ea->v[i].txns);
    }
    free(ea->v);
    free(ea->path);
    free(ea);
}

/* Appends the transfers named by `ids` that are in the data (the store's
 * transaction-id index). */
static ft_status txns_of(const ft_store *s, const char *const *ids, uint32_t n, uint32_t **list,
                         uint32_t *nlist, uint32_t *cap, ft_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t;
        if (!ft_store_find_txid(s, ids[i], strlen(ids[i]), &t))
            continue;
        if (!FT_ARRAY_GROW(*list, cap, (uint64_t)*nlist + 1))
            return ft_error_oom(err);
        (*list)[(*nlist)++] = t;
    }
    return FT_OK;
}

ft_status ft_export_alerts_read(ft_export_alerts **out, const ft_store *s, const char *path,
                                ft_error *err)
{
    *out = NULL;
    ft_export_alerts *ea = calloc(1, sizeof *ea);
    ft_alerts_reader *r = NULL;
    if (!ea || !(ea->path = strdup(path))) {
        free(ea);
        return ft_error_oom(err);
    }
    ft_status rc = ft_alerts_open(&r, path, err);
    const ft_alert_in *a;
    while (rc == FT_OK && (rc = ft_alerts_next(r, &a, err)) == FT_OK && a) {
        if (!FT_ARRAY_GROW(ea->v, &ea->cap, (uint64_t)ea->n + 1)) {
            rc = ft_error_oom(err);
            break;
        }
        export_alert *al = &ea->v[ea->n];
        memset(al, 0, sizeof *al);
        if (!(al->id = strdup(a->id))) {
            rc = ft_error_oom(err);
            break;
        }
        ea->n++;
        if (a->naccounts)
            al->has_account = ft_intern_find(&s->accounts, a->accounts[0], strlen(a->accounts[0]),
                                             &al->first_account);
        rc = txns_of(s, a->txns, a->ntxns, &al->txns, &al->ntxns, &al->cap_txns, err);
    }
    ft_alerts_close(r);
    if (rc != FT_OK) {
        ft_export_alerts_free(ea);
        return rc;
    }
    *out = ea;
    return FT_OK;
}

ft_status ft_export_alert(const ft_store *s, const ft_export_alerts *ea, const char *id,
                          const ft_export_limits *l, ft_subgraph *g, ft_error *err)
{
    memset(g, 0, sizeof *g);
    for (uint32_t k = 0; k < ea->n; k++) {
        const export_alert *al = &ea->v[k];
        if (strcmp(al->id, id) != 0)
            continue;
        ft_status rc =
            ft_export_transfers(s, al->txns, al->ntxns, al->has_account ? &al->first_account : NULL,
                                al->has_account ? 1 : 0, l, g, err);
        if (rc == FT_OK)
            snprintf(g->what, sizeof g->what, "alert %s", id);
        return rc;
    }
    return ft_error_set(err, FT_EUSAGE, "no alert '%s' in %s", id, ea->path);
}

/* Binary search for transfer t among g's edges (ascending). */
static bool edge_index(const ft_subgraph *g, uint32_t t, uint32_t *e)
{
    uint32_t lo = 0, hi = g->ne;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->edges[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    *e = lo;
    return lo < g->ne && g->edges[lo] == t;
}

ft_status ft_export_edge_alerts(const ft_subgraph *g, const ft_export_alerts *ea, char ***out,
                                ft_error *err)
{
    char **v = calloc((size_t)g->ne + 1, sizeof *v);
    if (!v)
        return ft_error_oom(err);
    for (uint32_t k = 0; k < ea->n; k++) {
        const export_alert *al = &ea->v[k];
        for (uint32_t q = 0; q < al->ntxns; q++) {
            uint32_t e;
            if (!edge_index(g, al->txns[q], &e))
                continue;
            size_t old = v[e] ? strlen(v[e]) : 0;
            char *x = realloc(v[e], old + strlen(al->id) + 2);
            if (!x) {
                ft_export_edge_alerts_free(v, g->ne);
                return ft_error_oom(err);
            }
            if (old)
                x[old++] = ' ';
            strcpy(x + old, al->id);
            v[e] = x;
        }
    }
    *out = v;
    return FT_OK;
}

void ft_export_edge_alerts_free(char **v, uint32_t n)
{
    for (uint32_t e = 0; v && e < n; e++)
        free(v[e]);
    free(v);
}

/* --- traces --------------------------------------------------------------------------------- */

ft_status ft_export_trace_file(const ft_store *s, const char *path, const ft_export_limits *l,
                               ft_subgraph *g, ft_error *err)
{
    memset(g, 0, sizeof *g);
    ft_trace_file *t = NULL;
    ft_status rc = ft_trace_file_open(&t, path, err);
    if (rc != FT_OK)
        return rc;
    if (ft_trace_file_format_of(t) == FT_TRACE_FILE_CSV) {
        ft_trace_file_close(t);
        return ft_error_set(err, FT_EUSAGE,
                            "%s: a CSV trace does not list its transfers: write the trace with "
                            "--format jsonl or json",
                            path);
    }
    uint32_t *txns = NULL, ntxns = 0, cap_txns = 0, *seeds = NULL, nseeds = 0, cap_seeds = 0;
    const ft_trace_node_in *n;
    while (rc == FT_OK && (rc = ft_trace_file_next(t, &n, err)) == FT_OK && n) {
        uint32_t a;
        if (n->hops == 0 && ft_intern_find(&s->accounts, n->seed, strlen(n->seed), &a)) {
            if (!FT_ARRAY_GROW(seeds, &cap_seeds, (uint64_t)nseeds + 1)) {
                rc = ft_error_oom(err);
                break;
            }
            seeds[nseeds++] = a;
        }
        rc = txns_of(s, n->txns, n->ntxns, &txns, &ntxns, &cap_txns, err);
    }
    ft_trace_file_close(t);
    if (rc == FT_OK)
        rc = ft_export_transfers(s, txns, ntxns, seeds, nseeds, l, g, err);
    if (rc == FT_OK)
        snprintf(g->what, sizeof g->what, "the trail of the trace in %s", path);
    free(txns);
    free(seeds);
    return rc;
}

ft_status ft_export_trace_from(const ft_store *s, const uint32_t *seeds, uint32_t nseeds, int hops,
                               const char *label, const ft_export_limits *l, ft_subgraph *g,
                               ft_error *err)
{
    memset(g, 0, sizeof *g);
    ft_trace_index *tix = NULL;
    ft_tracer *tr = NULL;
    ft_trace_options to;
    ft_trace_defaults(&to);
    if (hops > 0)
        to.max_hops = hops;
    uint32_t *txns = NULL, ntxns = 0, cap = 0;
    ft_status rc = ft_trace_index_new(&tix, s, false, err);
    if (rc == FT_OK)
        rc = ft_tracer_new(&tr, tix, err);
    for (uint32_t i = 0; i < nseeds && rc == FT_OK; i++) {
        const ft_trace_result *res;
        rc = ft_trace_run(tr, &to, seeds[i], -1, &res, err);
        for (uint32_t e = 0; rc == FT_OK && e < res->nedges; e++) {
            if (!FT_ARRAY_GROW(txns, &cap, (uint64_t)ntxns + 1))
                rc = ft_error_oom(err);
            else
                txns[ntxns++] = res->edges[e].txn;
        }
    }
    ft_tracer_free(tr);
    ft_trace_index_free(tix);
    if (rc == FT_OK)
        rc = ft_export_transfers(s, txns, ntxns, seeds, nseeds, l, g, err);
    if (rc == FT_OK)
        snprintf(g->what, sizeof g->what, "the trail of a %d-hop haircut trace from %s",
                 to.max_hops, label);
    free(txns);
    return rc;
}

/* --- clusters ------------------------------------------------------------------------------- */

ft_status ft_export_cluster_of(const ft_store *s, const ft_cluster_options *o, uint32_t account,
                               const char *label, const ft_export_limits *l, ft_subgraph *g,
                               ft_error *err)
{
    memset(g, 0, sizeof *g);
    ft_clustering c = {0};
    uint32_t *members = NULL, nm = 0;
    ft_status rc = ft_cluster_run(s, o, &c, err);
    if (rc != FT_OK)
        return rc;
    members = malloc(((size_t)s->accounts.n + 1) * sizeof *members);
    if (!members) {
        rc = ft_error_oom(err);
        goto done;
    }
    /* An account in no cluster (outside the k-core) is a cluster of one. */
    uint32_t k = c.cluster[account];
    if (k == UINT32_MAX)
        members[nm++] = account;
    for (uint32_t a = 0; a < s->accounts.n && k != UINT32_MAX; a++)
        if (c.cluster[a] == k)
            members[nm++] = a;
    rc = ft_export_accounts(s, members, nm, &account, 1, l, g, err);
    if (rc == FT_OK)
        snprintf(g->what, sizeof g->what, "the %s cluster of %s (%u accounts)",
                 ft_cluster_method_name(o->method), label, nm);
done:
    free(members);
    ft_clustering_free(&c);
    return rc;
}
