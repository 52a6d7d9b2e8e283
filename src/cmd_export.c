/*
 * cmd_export.c - `fundtrace export`: a neighbourhood, a trace, an alert or
 * a cluster, as GraphML, GEXF, DOT (or SVG through Graphviz) or CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fundtrace/export.h"

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

/* Is `prog` on the PATH? */
static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char buf[4096];
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)len, p, prog);
        if (len && access(buf, X_OK) == 0)
            return true;
        p += len + (p[len] == ':');
    }
    return false;
}

/* What the options asked for. */
typedef struct export_args {
    const char *around, *trace_path, *trace_from, *alert_id, *alerts_path, *cluster_of;
    const char *out_path, *svg, *format, *method, *engine;
    uint32_t hops, svg_max_nodes, svg_max_edges, svg_timeout;
    ft_export_limits lim;
    ft_cluster_options co;
} export_args;

/* Builds the subgraph asked for, and per edge the alerts covering it. */
static ft_status select_graph(const export_args *x, ft_store *s, const uint32_t *ids, uint32_t nids,
                              ft_subgraph *g, char ***edge_alerts, ft_error *err)
{
    ft_export_alerts *ea = NULL;
    ft_status rc = FT_OK;
    if (x->trace_path || x->alerts_path)
        rc = ft_store_txid_index(s, err); /* a snapshot carries it */
    if (rc == FT_OK && x->alerts_path)
        rc = ft_export_alerts_read(&ea, s, x->alerts_path, err);
    if (rc != FT_OK)
        ;
    else if (x->around)
        rc = ft_export_neighbourhood(s, ids, nids, x->hops ? (int)x->hops : 1, &x->lim, g, err);
    else if (x->trace_path)
        rc = ft_export_trace_file(s, x->trace_path, &x->lim, g, err);
    else if (x->trace_from)
        rc = ft_export_trace_from(s, ids, nids, (int)x->hops, x->trace_from, &x->lim, g, err);
    else if (x->alert_id)
        rc = ft_export_alert(s, ea, x->alert_id, &x->lim, g, err);
    else
        rc = ft_export_cluster_of(s, &x->co, ids[0], x->cluster_of, &x->lim, g, err);
    if (rc == FT_OK && ea && g->ne)
        rc = ft_export_edge_alerts(g, ea, edge_alerts, err);
    ft_export_alerts_free(ea);
    return rc;
}

/* Writes g to standard output or, atomically, to -o. */
static ft_status write_graph(const export_args *x, const ft_store *s, const ft_subgraph *g,
                             const char *const *edge_alerts, ft_error *err)
{
    ft_export_format fmt = strcmp(x->format, "csv") == 0    ? FT_EXPORT_CSV_NODES
                           : strcmp(x->format, "gexf") == 0 ? FT_EXPORT_GEXF
                           : strcmp(x->format, "dot") == 0  ? FT_EXPORT_DOT
                                                            : FT_EXPORT_GRAPHML;
    if (x->out_path)
        return ft_export_save(s, g, fmt, x->out_path, edge_alerts, err);
    return ft_export_write(stdout, s, g, fmt, edge_alerts, err);
}

/* Draws g, or the part of it nearest the seeds within the drawing's
 * bounds, saying what it leaves out and how big it is first. */
static ft_status draw(const export_args *x, const ft_store *s, const ft_subgraph *g,
                      ft_cli_progress *prog, ft_error *err)
{
    ft_subgraph d = {0};
    ft_status rc = ft_export_shrink(s, g, x->svg_max_nodes, x->svg_max_edges, &d, err);
    if (rc != FT_OK)
        return rc;
    if (d.cut_nodes || d.cut_edges) {
        ft_cli_error("export",
                     "the drawing leaves out %llu of the %u accounts and %llu of the %u "
                     "transfers (--svg-max-nodes %u, --svg-max-edges %u): it shows those "
                     "nearest the seeds",
                     (unsigned long long)d.cut_nodes, g->nn, (unsigned long long)d.cut_edges, g->ne,
                     x->svg_max_nodes, x->svg_max_edges);
        ft_cli_error("export", "for the whole graph, draw it with --svg-engine sfdp (and larger "
                               "limits) or open --format gexf in Gephi");
        snprintf(d.what, sizeof d.what, "%.200s, the part nearest the seeds", g->what);
    }
    d.cut_nodes += g->cut_nodes;
    d.cut_edges += g->cut_edges;
    ft_cli_error("export", "drawing %u accounts and %u transfers with %s (at most %u s)", d.nn,
                 d.ne, x->engine, x->svg_timeout);
    ft_cli_progress_step(prog, "drawing with %s (seconds of at most %u)", x->engine,
                         x->svg_timeout);
    rc = ft_export_draw(s, &d, x->engine, (int)x->svg_timeout, x->svg, ft_cli_progress_advance,
                        prog, err);
    ft_cli_progress_done(prog);
    if (rc == FT_ELIMIT)
        ft_cli_error("export", "draw fewer accounts (--svg-max-nodes), use --svg-engine sfdp, "
                               "or export --format gexf for Gephi");
    ft_subgraph_free(&d);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    static const char *const formats[] = {"graphml", "gexf", "dot", "csv", NULL};
    static const char *const methods[] = {"leiden", "louvain", "weak", "strong", "kcore", NULL};
    static const char *const engines[] = {"dot", "sfdp", "neato", "fdp", "twopi", "circo", NULL};
    struct ft_cli_input in = {0};
    export_args x = {.format = "graphml",
                     .engine = "dot",
                     .svg_max_nodes = 100,
                     .svg_max_edges = 300,
                     .svg_timeout = 60};
    ft_export_defaults(&x.lim);
    ft_cluster_defaults(&x.co);
    x.method = ft_cluster_method_name(x.co.method);
    const ft_option options[] = {
        FT_OPT_GROUP("What (one of)"),
        FT_OPT_STRING(0, "around", &x.around, "A,B",
                      "the accounts within --hops (default 1) transfers of these"),
        FT_OPT_STRING(0, "trace", &x.trace_path, "FILE",
                      "the transfers in a trace (trace --format jsonl or\njson output)"),
        FT_OPT_STRING(0, "trace-from", &x.trace_from, "A",
                      "run a forward trace (haircut, --hops, default 6) and\n"
                      "export its trail"),
        FT_OPT_STRING(0, "alert", &x.alert_id, "ID", "an alert from the --alerts file"),
        FT_OPT_STRING(0, "cluster-of", &x.cluster_of, "A",
                      "the cluster holding A (--method, default leiden; --seed)"),
        FT_OPT_GROUP("Options"),
        FT_OPT_UINT(0, "hops", &x.hops, "K", 1, 100,
                    "--around, --trace-from: at most K transfers away"),
        FT_OPT_STRING(0, "alerts", &x.alerts_path, "FILE",
                      "alerts (scan --format jsonl, json or csv): each\n"
                      "transfer gets the ids of those covering it"),
        FT_OPT_ENUM(0, "method", &x.method, "M", methods,
                    "--cluster-of: leiden (default), louvain, weak, strong\nor kcore"),
        FT_OPT_UINT64(0, "seed", &x.co.seed, "N", 0, UINT32_MAX,
                      "--cluster-of: the random seed of leiden and louvain (1)"),
        FT_OPT_ENUM(0, "format", &x.format, "FMT", formats,
                    "graphml (default), gexf (1.3, dynamic), dot or csv"),
        FT_OPT_STRING('o', "output", &x.out_path, "FILE",
                      "write here, atomically (default: standard output); csv\n"
                      "writes FILE-nodes.csv and FILE-edges.csv"),
        FT_OPT_TIME(0, "since", &x.lim.since_ms, "T", "only transfers from T on"),
        FT_OPT_TIME(0, "until", &x.lim.until_ms, "T", "only transfers until T"),
        FT_OPT_UINT(0, "max-nodes", &x.lim.max_nodes, "N", 0, UINT32_MAX,
                    "at most N accounts (default 5000; 0: no limit)"),
        FT_OPT_UINT(0, "max-edges", &x.lim.max_edges, "N", 0, UINT32_MAX,
                    "at most N transfers (default 50000; 0: no limit)"),
        FT_OPT_UINT(0, "max-degree", &x.lim.max_degree, "N", 0, UINT32_MAX,
                    "--around: accounts with more transfers are shown but not\n"
                    "expanded (default 2000; 0: no limit)"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_HELP(),
        FT_OPT_GROUP("Drawing"),
        FT_OPT_STRING(0, "svg", &x.svg, "FILE", "also draw it as SVG with Graphviz"),
        FT_OPT_UINT(0, "svg-max-nodes", &x.svg_max_nodes, "N", 1, UINT32_MAX,
                    "draw at most N accounts, those nearest the seeds\n(default 100)"),
        FT_OPT_UINT(0, "svg-max-edges", &x.svg_max_edges, "N", 1, UINT32_MAX,
                    "draw at most N transfers, the earliest (default 300)"),
        FT_OPT_ENUM(0, "svg-engine", &x.engine, "E", engines,
                    "the Graphviz layout: dot (default; layered, slow on\n"
                    "large graphs), sfdp (large graphs), neato, fdp, twopi,\ncirco"),
        FT_OPT_UINT(0, "svg-timeout", &x.svg_timeout, "S", 1, 86400,
                    "stop the layout after S seconds (default 60)"),
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
    ft_error err;
    ft_subgraph g = {0};
    char **edge_alerts = NULL;
    uint32_t *ids = NULL, nids = 0;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_cluster_method_parse(x.method, &x.co.method);
    if (!!x.around + !!x.trace_path + !!x.trace_from + !!x.alert_id + !!x.cluster_of != 1) {
        ft_cli_error("export", "say what to export: one of --around, --trace, --trace-from, "
                               "--alert, --cluster-of");
        goto done;
    }
    if (x.alert_id && !x.alerts_path) {
        ft_cli_error("export", "--alert needs the --alerts file it is in");
        goto done;
    }
    if (strcmp(x.format, "csv") == 0 && !x.out_path) {
        ft_cli_error("export", "--format csv writes two files: give -o PREFIX");
        goto done;
    }
    if (x.svg && !on_path(x.engine)) {
        ft_cli_error("export",
                     "--svg needs Graphviz's %s, which is not installed "
                     "(apt-get install graphviz); write --format dot instead",
                     x.engine);
        goto done;
    }
    if (nargs == 0) {
        ft_cli_error("export", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load("export", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    const char *keys = x.around ? x.around : x.trace_from ? x.trace_from : x.cluster_of;
    if (keys && !names(keys, &s, &ids, &nids))
        goto done;
    ft_cli_progress_step(&in.prog, "choosing what to export");
    ft_status rc = ft_store_adjacency(&s, &err);
    if (rc == FT_OK)
        rc = select_graph(&x, &s, ids, nids, &g, &edge_alerts, &err);
    ft_cli_progress_step(&in.prog, "writing %u accounts and %u transfers", g.nn, g.ne);
    if (rc == FT_OK)
        rc = write_graph(&x, &s, &g, (const char *const *)edge_alerts, &err);
    ft_cli_progress_done(&in.prog);
    if (rc == FT_OK)
        fprintf(stderr, "fundtrace export: %u accounts and %u transfers (%s)%s\n", g.nn, g.ne,
                g.what, g.cut_nodes || g.cut_edges ? "; the limits left some out" : "");
    if (rc == FT_OK && (g.cut_nodes || g.cut_edges))
        ft_cli_error("export",
                     "left out %llu accounts and %llu transfers (raise --max-nodes / "
                     "--max-edges)",
                     (unsigned long long)g.cut_nodes, (unsigned long long)g.cut_edges);
    if (rc == FT_OK && x.svg)
        rc = draw(&x, &s, &g, &in.prog, &err);
    if (rc != FT_OK) {
        ft_cli_fail("export", &err);
        goto done;
    }
    code = ft_cli_finish("export", FT_EXIT_OK);
done:
    free(ids);
    ft_export_edge_alerts_free(edge_alerts, g.ne);
    ft_subgraph_free(&g);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
