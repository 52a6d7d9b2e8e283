/*
 * cmd_export.c - `fundtrace export`: a neighbourhood, a trace, an alert or
 * a cluster, as GraphML, GEXF, DOT (or SVG through Graphviz) or CSV.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "fundtrace/alerts_read.h"
#include "fundtrace/cluster.h"
#include "fundtrace/export.h"
#include "fundtrace/pool.h"
#include "fundtrace/trace.h"
#include "fundtrace/trace_read.h"

/* The alerts of an alerts file: their ids and the transactions of each
 * that are in the data. */
typedef struct alert_line {
    char *id;
    uint32_t *txns;
    uint32_t ntxns, cap_txns;
    uint32_t first_account;
    bool has_account;
} alert_line;

typedef struct alert_file {
    alert_line *v;
    uint32_t n, cap;
} alert_file;

static void alerts_free(alert_file *af)
{
    for (size_t i = 0; i < af->n; i++) {
        free(af->v[i].id);
        free(af->v[i].txns);
    }
    free(af->v);
    memset(af, 0, sizeof *af);
}

/* Appends the transactions named by `ids` that are in the data (others
 * are not in this data and are skipped); false out of memory. */
static bool txns_of(const char *const *ids, uint32_t n, const ft_txid_index *ix, uint32_t **list,
                    uint32_t *nlist, uint32_t *cap)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t;
        if (!ft_txid_index_find(ix, ids[i], strlen(ids[i]), &t))
            continue;
        if (!FT_ARRAY_GROW(*list, cap, (uint64_t)*nlist + 1))
            return false;
        (*list)[(*nlist)++] = t;
    }
    return true;
}

static bool alerts_read(const char *path, const ft_store *s, const ft_txid_index *ix,
                        alert_file *af)
{
    ft_error err;
    ft_alerts_reader *r;
    if (ft_alerts_open(&r, path, &err) != FT_OK) {
        ft_cli_fail("export", &err);
        return false;
    }
    const ft_alert_in *a;
    ft_status rc;
    bool ok = true;
    while (ok && (rc = ft_alerts_next(r, &a, &err)) == FT_OK && a) {
        if (!FT_ARRAY_GROW(af->v, &af->cap, (uint64_t)af->n + 1)) {
            ok = false;
            break;
        }
        alert_line *al = &af->v[af->n];
        memset(al, 0, sizeof *al);
        if (!(al->id = strdup(a->id))) {
            ok = false;
            break;
        }
        af->n++;
        if (a->naccounts)
            al->has_account = ft_intern_find(&s->accounts, a->accounts[0], strlen(a->accounts[0]),
                                             &al->first_account);
        ok = txns_of(a->txns, a->ntxns, ix, &al->txns, &al->ntxns, &al->cap_txns);
    }
    ft_alerts_close(r);
    if (!ok)
        ft_cli_error("export", "out of memory");
    else if (rc != FT_OK)
        ft_cli_fail("export", &err);
    return ok && rc == FT_OK;
}

/* The transfers of a trace file (those that brought traced money in to
 * each account reached) and its seeds. */
static bool trace_read(const char *path, const ft_store *s, const ft_txid_index *ix,
                       uint32_t **txns, uint32_t *ntxns, uint32_t **seeds, uint32_t *nseeds)
{
    ft_error err;
    ft_trace_file *t;
    if (ft_trace_file_open(&t, path, &err) != FT_OK) {
        ft_cli_fail("export", &err);
        return false;
    }
    if (ft_trace_file_format_of(t) == FT_TRACE_FILE_CSV) {
        ft_trace_file_close(t);
        ft_cli_error("export",
                     "%s: a CSV trace does not list its transfers: write the trace "
                     "with --format jsonl or json",
                     path);
        return false;
    }
    const ft_trace_node_in *n;
    ft_status rc;
    bool ok = true;
    uint32_t cap_txns = 0, cap_seeds = 0;
    while (ok && (rc = ft_trace_file_next(t, &n, &err)) == FT_OK && n) {
        uint32_t a;
        if (n->hops == 0 && ft_intern_find(&s->accounts, n->seed, strlen(n->seed), &a)) {
            ok = FT_ARRAY_GROW(*seeds, &cap_seeds, (uint64_t)*nseeds + 1);
            if (ok)
                (*seeds)[(*nseeds)++] = a;
        }
        ok = ok && txns_of(n->txns, n->ntxns, ix, txns, ntxns, &cap_txns);
    }
    ft_trace_file_close(t);
    if (!ok)
        ft_cli_error("export", "out of memory");
    else if (rc != FT_OK)
        ft_cli_fail("export", &err);
    return ok && rc == FT_OK;
}

/* The accounts of a comma-separated list of keys, sorted and distinct. */
static bool names(const char *arg, const ft_store *s, uint32_t **ids, uint32_t *n)
{
    ft_cli_accounts l = {0};
    bool ok = ft_cli_accounts_add("export", &l, arg) && ft_cli_accounts_resolve("export", s, &l);
    if (ok) {
        *ids = l.ids;
        *n = l.n;
        l.ids = NULL;
    }
    ft_cli_accounts_free(&l);
    return ok;
}

/* Is Graphviz's dot on the PATH? */
static bool have_dot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char buf[4096];
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/dot", (int)len, p);
        if (len && access(buf, X_OK) == 0)
            return true;
        p += len + (p[len] == ':');
    }
    return false;
}

int cmd_export(int argc, char **argv)
{
    static const char *const formats[] = {"graphml", "gexf", "dot", "csv", NULL};
    static const char *const methods[] = {"leiden", "louvain", "weak", "strong", "kcore", NULL};
    struct ft_cli_input in = {0};
    ft_export_limits lim;
    ft_export_defaults(&lim);
    ft_cluster_options co;
    ft_cluster_defaults(&co);
    const char *around = NULL, *trace_path = NULL, *trace_from = NULL, *alert_id = NULL,
               *alerts_path = NULL, *cluster_of = NULL, *out_path = NULL, *svg = NULL,
               *format = "graphml", *method = ft_cluster_method_name(co.method);
    uint32_t hops = 0;
    const ft_option options[] = {
        FT_OPT_GROUP("What (one of)"),
        FT_OPT_STRING(0, "around", &around, "A,B",
                      "the accounts within --hops (default 1) transfers of these"),
        FT_OPT_STRING(0, "trace", &trace_path, "FILE",
                      "the transfers in a trace (trace --format jsonl or\njson output)"),
        FT_OPT_STRING(0, "trace-from", &trace_from, "A",
                      "run a forward trace (haircut, --hops, default 6) and\n"
                      "export its trail"),
        FT_OPT_STRING(0, "alert", &alert_id, "ID", "an alert from the --alerts file"),
        FT_OPT_STRING(0, "cluster-of", &cluster_of, "A",
                      "the cluster holding A (--method, default leiden; --seed)"),
        FT_OPT_GROUP("Options"),
        FT_OPT_UINT(0, "hops", &hops, "K", 1, 100,
                    "--around, --trace-from: at most K transfers away"),
        FT_OPT_STRING(0, "alerts", &alerts_path, "FILE",
                      "alerts (scan --format jsonl, json or csv): each\n"
                      "transfer gets the ids of those covering it"),
        FT_OPT_ENUM(0, "method", &method, "M", methods,
                    "--cluster-of: leiden (default), louvain, weak, strong\nor kcore"),
        FT_OPT_UINT64(0, "seed", &co.seed, "N", 0, UINT32_MAX,
                      "--cluster-of: the random seed of leiden and louvain (1)"),
        FT_OPT_ENUM(0, "format", &format, "FMT", formats,
                    "graphml (default), gexf (1.3, dynamic), dot or csv"),
        FT_OPT_STRING('o', "output", &out_path, "FILE",
                      "write here (default: standard output); csv writes\n"
                      "FILE-nodes.csv and FILE-edges.csv"),
        FT_OPT_STRING(0, "svg", &svg, "FILE", "also draw it as SVG with Graphviz's dot"),
        FT_OPT_TIME(0, "since", &lim.since_ms, "T", "only transfers from T on"),
        FT_OPT_TIME(0, "until", &lim.until_ms, "T", "only transfers until T"),
        FT_OPT_UINT(0, "max-nodes", &lim.max_nodes, "N", 0, UINT32_MAX,
                    "at most N accounts (default 5000; 0: no limit)"),
        FT_OPT_UINT(0, "max-edges", &lim.max_edges, "N", 0, UINT32_MAX,
                    "at most N transfers (default 50000; 0: no limit)"),
        FT_OPT_UINT(0, "max-degree", &lim.max_degree, "N", 0, UINT32_MAX,
                    "--around: accounts with more transfers are shown but not\n"
                    "expanded (default 2000; 0: no limit)"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "do not show rejected rows on stderr"),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "export",
        .usage = "fundtrace export WHAT [OPTIONS] FILE...|SNAPSHOT",
        .description = "Write part of the graph for Gephi, Graphviz, networkx or a spreadsheet.\n",
        .options = options,
        .epilog = "What the limits left out is written in the file and on stderr.\n"
                  "Exit status: 0 written, 2 usage, input or output error.\n",
    };
    ft_store s = {0};
    ft_export_format fmt = FT_EXPORT_GRAPHML;
    bool csv = false;
    int what;
    ft_error err;
    ft_subgraph g = {0};
    ft_txid_index *ix = NULL;
    alert_file af = {0};
    uint32_t *ids = NULL, nids = 0, *txns = NULL, ntxns = 0;
    char **edge_alerts = NULL;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_cluster_method_parse(method, &co.method);
    if (strcmp(format, "csv") == 0)
        csv = true;
    else
        fmt = strcmp(format, "gexf") == 0  ? FT_EXPORT_GEXF
              : strcmp(format, "dot") == 0 ? FT_EXPORT_DOT
                                           : FT_EXPORT_GRAPHML;
    what = !!around + !!trace_path + !!trace_from + !!alert_id + !!cluster_of;
    if (what != 1) {
        ft_cli_error("export", "say what to export: one of --around, --trace, --trace-from, "
                               "--alert, --cluster-of");
        goto done;
    }
    if (alert_id && !alerts_path) {
        ft_cli_error("export", "--alert needs the --alerts file it is in");
        goto done;
    }
    if (csv && !out_path) {
        ft_cli_error("export", "--format csv writes two files: give -o PREFIX");
        goto done;
    }
    if (svg && !have_dot()) {
        ft_cli_error("export", "--svg needs Graphviz's dot, which is not installed "
                               "(apt-get install graphviz); write --format dot instead");
        goto done;
    }
    if (nargs == 0) {
        ft_cli_error("export", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load("export", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (ft_store_adjacency(&s, &err) != FT_OK) {
        ft_cli_fail("export", &err);
        goto done;
    }
    if ((trace_path || alerts_path) && ft_txid_index_new(&ix, &s, &err) != FT_OK) {
        ft_cli_fail("export", &err);
        goto done;
    }
    if (alerts_path && !alerts_read(alerts_path, &s, ix, &af))
        goto done;
    ft_status rc = FT_OK;
    if (around) {
        if (!names(around, &s, &ids, &nids))
            goto done;
        rc = ft_export_neighbourhood(&s, ids, nids, hops ? (int)hops : 1, &lim, &g, &err);
    } else if (trace_path) {
        if (!trace_read(trace_path, &s, ix, &txns, &ntxns, &ids, &nids))
            goto done;
        rc = ft_export_transfers(&s, txns, ntxns, ids, nids, &lim, &g, &err);
        if (rc == FT_OK)
            snprintf(g.what, sizeof g.what, "the trail of the trace in %s", trace_path);
    } else if (trace_from) {
        if (!names(trace_from, &s, &ids, &nids))
            goto done;
        ft_trace_index *tix = NULL;
        ft_tracer *tr = NULL;
        ft_trace_options to;
        ft_trace_defaults(&to);
        if (hops)
            to.max_hops = (int)hops;
        const ft_trace_result *res;
        rc = ft_trace_index_new(&tix, &s, false, &err);
        if (rc == FT_OK)
            rc = ft_tracer_new(&tr, tix, &err);
        for (uint32_t i = 0; i < nids && rc == FT_OK; i++) {
            rc = ft_trace_run(tr, &to, ids[i], -1, &res, &err);
            for (uint32_t e = 0; rc == FT_OK && e < res->nedges; e++) {
                uint32_t *q = realloc(txns, (ntxns + 1) * sizeof *q);
                if (!q) {
                    rc = ft_error_oom(&err);
                    break;
                }
                txns = q;
                txns[ntxns++] = res->edges[e].txn;
            }
        }
        ft_tracer_free(tr);
        ft_trace_index_free(tix);
        if (rc == FT_OK)
            rc = ft_export_transfers(&s, txns, ntxns, ids, nids, &lim, &g, &err);
        if (rc == FT_OK)
            snprintf(g.what, sizeof g.what, "the trail of a %d-hop haircut trace from %s",
                     to.max_hops, trace_from);
    } else if (alert_id) {
        size_t k = 0;
        while (k < af.n && strcmp(af.v[k].id, alert_id) != 0)
            k++;
        if (k == af.n) {
            ft_cli_error("export", "no alert '%s' in %s", alert_id, alerts_path);
            goto done;
        }
        const alert_line *al = &af.v[k];
        rc = ft_export_transfers(&s, al->txns, al->ntxns, al->has_account ? &al->first_account : NULL,
                                 al->has_account ? 1 : 0, &lim, &g, &err);
        if (rc == FT_OK)
            snprintf(g.what, sizeof g.what, "alert %s", alert_id);
    } else {
        if (!names(cluster_of, &s, &ids, &nids))
            goto done;
        ft_clustering c;
        rc = ft_cluster_run(&s, &co, &c, &err);
        if (rc == FT_OK) {
            uint32_t k = c.cluster[ids[0]];
            uint32_t *members = malloc(((size_t)s.accounts.n + 1) * sizeof *members), nm = 0;
            if (!members) {
                rc = ft_error_oom(&err);
            } else {
                for (uint32_t a = 0; a < s.accounts.n && k != UINT32_MAX; a++)
                    if (c.cluster[a] == k)
                        members[nm++] = a;
                if (k == UINT32_MAX)
                    members[nm++] = ids[0];
                rc = ft_export_accounts(&s, members, nm, ids, 1, &lim, &g, &err);
                if (rc == FT_OK)
                    snprintf(g.what, sizeof g.what, "the %s cluster of %s (%u accounts)",
                             ft_cluster_method_name(co.method), cluster_of, nm);
                free(members);
            }
            ft_clustering_free(&c);
        }
    }
    if (rc != FT_OK) {
        ft_cli_fail("export", &err);
        goto done;
    }
    /* Per edge, the alerts that cover it. */
    if (alerts_path && g.ne) {
        edge_alerts = calloc(g.ne, sizeof *edge_alerts);
        for (size_t k = 0; edge_alerts && k < af.n; k++) {
            for (uint32_t q = 0; q < af.v[k].ntxns; q++) {
                uint32_t t = af.v[k].txns[q], lo = 0, hi = g.ne;
                while (lo < hi) {
                    uint32_t mid = lo + (hi - lo) / 2;
                    if (g.edges[mid] < t)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                if (lo == g.ne || g.edges[lo] != t)
                    continue;
                size_t old = edge_alerts[lo] ? strlen(edge_alerts[lo]) : 0;
                char *x = realloc(edge_alerts[lo], old + strlen(af.v[k].id) + 2);
                if (!x)
                    continue;
                if (old)
                    x[old++] = ' ';
                strcpy(x + old, af.v[k].id);
                edge_alerts[lo] = x;
            }
        }
    }
    /* Write: one file, two for CSV. */
    for (int part = 0; part < (csv ? 2 : 1); part++) {
        char name[4096];
        FILE *f = stdout;
        ft_export_format pf = csv ? (part ? FT_EXPORT_CSV_EDGES : FT_EXPORT_CSV_NODES) : fmt;
        if (out_path) {
            if (csv)
                snprintf(name, sizeof name, "%s-%s.csv", out_path, part ? "edges" : "nodes");
            else
                snprintf(name, sizeof name, "%s", out_path);
            f = fopen(name, "w");
            if (!f) {
                ft_cli_error("export", "%s: %s", name, strerror(errno));
                goto done;
            }
        }
        ft_export_write(f, &s, &g, pf, (const char *const *)edge_alerts);
        if (out_path && fclose(f) != 0) {
            ft_cli_error("export", "%s: %s", name, strerror(errno));
            goto done;
        }
    }
    if (svg) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "dot -Tsvg -o '%s'", svg);
        if (strchr(svg, '\'')) {
            ft_cli_error("export", "--svg: a file name without quotes, please");
            goto done;
        }
        FILE *p = popen(cmd, "w");
        if (!p) {
            ft_cli_error("export", "cannot run dot: %s", strerror(errno));
            goto done;
        }
        ft_export_write(p, &s, &g, FT_EXPORT_DOT, NULL);
        int st = pclose(p);
        if (st != 0) {
            ft_cli_error("export", "dot failed (status %d) drawing %s", WEXITSTATUS(st), svg);
            goto done;
        }
    }
    if (!in.quiet)
        fprintf(stderr, "fundtrace export: %u accounts and %u transfers (%s)%s\n", g.nn, g.ne,
                g.what, g.cut_nodes || g.cut_edges ? "; the limits left some out" : "");
    if (g.cut_nodes || g.cut_edges)
        fprintf(stderr, "fundtrace export: left out %llu accounts and %llu transfers "
                        "(raise --max-nodes / --max-edges)\n",
                (unsigned long long)g.cut_nodes, (unsigned long long)g.cut_edges);
    code = ft_cli_finish("export", FT_EXIT_OK);
done:
    for (uint32_t e = 0; edge_alerts && e < g.ne; e++)
        free(edge_alerts[e]);
    free(edge_alerts);
    free(ids);
    free(txns);
    alerts_free(&af);
    ft_txid_index_free(ix);
    ft_subgraph_free(&g);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
