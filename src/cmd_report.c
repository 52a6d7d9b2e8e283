/*
 * cmd_report.c - `fundtrace report`: a self-contained HTML case file for a
 * trace, an alert, a set of alerts or a cluster; optionally a PDF through
 * Chromium's headless print.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "fundtrace/alerts_read.h"
#include "fundtrace/cluster.h"
#include "fundtrace/export.h"
#include "fundtrace/report.h"
#include "fundtrace/trace.h"

/* The first of Chromium's names found on PATH, or NULL. */
static const char *find_chromium(char *buf, size_t cap)
{
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome",
                                        "google-chrome-stable", NULL};
    const char *path = getenv("PATH");
    for (int i = 0; names[i]; i++)
        for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
            size_t len = strcspn(p, ":");
            snprintf(buf, cap, "%.*s/%s", (int)len, p, names[i]);
            if (len && access(buf, X_OK) == 0)
                return buf;
            p += len + (p[len] == ':');
        }
    return NULL;
}

/* Prints html_path to pdf_path with Chromium, headless. */
static int print_pdf(const char *html_path, const char *pdf_path)
{
    char exe[PATH_MAX], abs_html[PATH_MAX], arg_pdf[PATH_MAX + 32], url[PATH_MAX + 16];
    if (!find_chromium(exe, sizeof exe)) {
        ft_cli_error("report", "--pdf needs Chromium, which is not installed (apt-get install "
                               "chromium); the HTML report is written, print it from a "
                               "browser instead");
        return FT_EXIT_ERROR;
    }
    if (!realpath(html_path, abs_html)) {
        ft_cli_error("report", "%s: %s", html_path, strerror(errno));
        return FT_EXIT_ERROR;
    }
    snprintf(arg_pdf, sizeof arg_pdf, "--print-to-pdf=%s", pdf_path);
    snprintf(url, sizeof url, "file://%s", abs_html);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        ft_cli_error("report", "cannot run %s: %s", exe, strerror(errno));
        return FT_EXIT_ERROR;
    }
    if (pid == 0) {
        int null = open("/dev/null", 0);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execl(exe, exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-pdf-header-footer",
              arg_pdf, url, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || access(pdf_path, R_OK) != 0) {
        ft_cli_error("report", "%s did not print %s (status %d)", exe, pdf_path,
                     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return FT_EXIT_ERROR;
    }
    return FT_EXIT_OK;
}

typedef struct alert_copy {
    char *id, *kind, *score, *explanation;
} alert_copy;

int cmd_report(int argc, char **argv)
{
    static const char *const directions[] = {"out", "in", NULL};
    static const char *const policies[] = {"poison", "haircut", "fifo", "lifo", NULL};
    static const char *const methods[] = {"leiden", "louvain", "weak", "strong", "kcore", NULL};
    struct ft_cli_input in = {0};
    ft_trace_options o;
    ft_trace_defaults(&o);
    ft_cluster_options co;
    ft_cluster_defaults(&co);
    const char *trace_from = NULL, *alerts_path = NULL, *cluster_of = NULL, *out_path = NULL;
    const char *pdf_path = NULL, *title = NULL, *direction = "out", *method = "leiden";
    const char *policy = ft_policy_name(o.policy);
    ft_cli_list alert_ids = {0};
    uint32_t svg_nodes = 60, svg_edges = 150, svg_timeout = 20;
    const ft_option options[] = {
        FT_OPT_GROUP("What (one of)"),
        FT_OPT_STRING(0, "trace-from", &trace_from, "A", "a trace from account A, run here"),
        FT_OPT_LIST(0, "alert", &alert_ids, "ID", "an alert of the --alerts file; repeatable"),
        FT_OPT_STRING(0, "alerts", &alerts_path, "FILE",
                      "alerts (scan's output); without --alert, all of them"),
        FT_OPT_STRING(0, "cluster-of", &cluster_of, "A", "the cluster holding account A"),
        FT_OPT_GROUP("Options"),
        FT_OPT_ENUM(0, "direction", &direction, "D", directions,
                    "--trace-from: out (default) or in"),
        FT_OPT_ENUM(0, "policy", &policy, "P", policies,
                    "--trace-from: poison, haircut (default), fifo or lifo"),
        FT_OPT_INT(0, "hops", &o.max_hops, "K", 1, 1000, "--trace-from: at most K hops (6)"),
        FT_OPT_ENUM(0, "method", &method, "M", methods,
                    "--cluster-of: leiden (default), louvain, weak, strong, kcore"),
        FT_OPT_UINT64(0, "seed", &co.seed, "N", 0, UINT32_MAX,
                      "--cluster-of: leiden's and louvain's random seed"),
        FT_OPT_STRING(0, "title", &title, "TEXT", "the report's title"),
        FT_OPT_STRING('o', "output", &out_path, "FILE",
                      "write here, atomically (default: standard output)"),
        FT_OPT_STRING(0, "pdf", &pdf_path, "FILE",
                      "also print the report to FILE with Chromium, headless\n"
                      "(needs -o)"),
        FT_OPT_UINT(0, "svg-max-nodes", &svg_nodes, "N", 1, 100000,
                    "the picture: at most N accounts, nearest the seeds (60)"),
        FT_OPT_UINT(0, "svg-max-edges", &svg_edges, "N", 1, 1000000,
                    "the picture: at most N transfers (150)"),
        FT_OPT_UINT(0, "svg-timeout", &svg_timeout, "S", 1, 3600,
                    "stop Graphviz after S seconds: no picture (20)"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "report",
        .usage = "fundtrace report (--trace-from A | --alerts FILE [--alert ID...] |\n"
                 "                 --cluster-of A) [-o FILE [--pdf FILE]] FILE...|SNAPSHOT",
        .description =
            "Write a case file a person can read, print and file: one HTML page with no\n"
            "external assets and no scripts, holding a summary in words, the accounts and\n"
            "transfers (exact amounts), the graph (inline SVG through Graphviz, bounded),\n"
            "a timeline, the alerts, the provenance and the command that reproduces it.\n",
        .options = options,
        .epilog = "Exit status: 0 written, 2 usage or input error (or --pdf without Chromium).\n",
    };
    ft_store s = {0};
    ft_subgraph g = {0};
    ft_error err;
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    const ft_trace_result *res = NULL;
    uint32_t *txns = NULL, *seeds = NULL;
    uint32_t ntxns = 0, nseeds = 0;
    alert_copy *ac = NULL;
    ft_report_alert *ra = NULL;
    size_t nac = 0;
    char *svg = NULL;
    char note[512], subject[300];
    ft_writer w = {0};
    ft_alerts_reader *ar = NULL;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    if (!!trace_from + !!alerts_path + !!cluster_of != 1) {
        ft_cli_error("report", "say what to report: one of --trace-from, --alerts, --cluster-of");
        goto done;
    }
    if (alert_ids.n && !alerts_path) {
        ft_cli_error("report", "--alert needs the --alerts file");
        goto done;
    }
    if (pdf_path && !out_path) {
        ft_cli_error("report", "--pdf prints the HTML written with -o FILE: give -o");
        goto done;
    }
    if (nargs == 0) {
        ft_cli_error("report", "no input (give CSV files or a snapshot)");
        goto done;
    }
    ft_policy_parse(policy, &o.policy);
    ft_cluster_method_parse(method, &co.method);
    if (ft_cli_load("report", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    ft_export_limits lim;
    ft_export_defaults(&lim);
    ft_report r = {.title = title, .g = &g, .prov = &ft_cli_prov};
    ft_status rc = ft_store_adjacency(&s, &err);
    const char *key = trace_from ? trace_from : cluster_of;
    uint32_t acct = 0;
    if (rc == FT_OK && key && !ft_intern_find(&s.accounts, key, strlen(key), &acct)) {
        ft_cli_error("report", "no account '%s' in the data", key);
        goto done;
    }
    if (key)
        ft_cli_audit_account(key);
    if (rc != FT_OK) {
    } else if (trace_from) {
        r.kind = FT_REPORT_TRACE;
        r.subject = trace_from;
        r.topt = &o;
        rc = ft_trace_index_new(&ix, &s, strcmp(direction, "in") == 0, &err);
        if (rc == FT_OK)
            rc = ft_tracer_new(&tr, ix, &err);
        if (rc == FT_OK)
            rc = ft_trace_run(tr, &o, acct, -1, &res, &err);
        if (rc == FT_OK && !(txns = malloc(((size_t)res->nedges + 1) * sizeof *txns)))
            rc = ft_error_oom(&err);
        for (uint32_t e = 0; rc == FT_OK && e < res->nedges; e++)
            txns[ntxns++] = res->edges[e].txn;
        if (rc == FT_OK)
            rc = ft_export_transfers(&s, txns, ntxns, &acct, 1, &lim, &g, &err);
        r.trace = res;
    } else if (cluster_of) {
        r.kind = FT_REPORT_CLUSTER;
        rc = ft_export_cluster_of(&s, &co, acct, cluster_of, &lim, &g, &err);
        snprintf(subject, sizeof subject, "%s cluster of %s", ft_cluster_method_name(co.method),
                 cluster_of);
        r.subject = subject;
    } else {
        r.kind = FT_REPORT_ALERTS;
        rc = ft_store_txid_index(&s, &err);
        if (rc == FT_OK)
            rc = ft_alerts_open(&ar, alerts_path, &err);
        size_t cap_t = 0, cap_s = 0, cap_a = 0;
        while (rc == FT_OK) {
            const ft_alert_in *a;
            if ((rc = ft_alerts_next(ar, &a, &err)) != FT_OK || !a)
                break;
            bool want = alert_ids.n == 0;
            for (size_t i = 0; i < alert_ids.n && !want; i++)
                want = strcmp(alert_ids.v[i], a->id) == 0;
            if (!want)
                continue;
            if (nac == cap_a) {
                cap_a = cap_a ? cap_a * 2 : 8;
                alert_copy *p = realloc(ac, cap_a * sizeof *p);
                if (!p) {
                    rc = ft_error_oom(&err);
                    break;
                }
                ac = p;
            }
            alert_copy *c = &ac[nac++];
            c->id = strdup(a->id);
            c->kind = strdup(a->kind ? a->kind : "");
            c->score = strdup(a->score ? a->score : "");
            c->explanation = strdup(a->explanation ? a->explanation : "");
            if (!c->id || !c->kind || !c->score || !c->explanation) {
                rc = ft_error_oom(&err);
                break;
            }
            ft_cli_audit_alert(a->id);
            for (uint32_t i = 0; i < a->ntxns && rc == FT_OK; i++) {
                uint32_t t;
                if (!ft_store_find_txid(&s, a->txns[i], strlen(a->txns[i]), &t))
                    continue; /* said below, by the counts */
                if (ntxns == cap_t) {
                    cap_t = cap_t ? cap_t * 2 : 64;
                    uint32_t *p = realloc(txns, cap_t * sizeof *p);
                    if (!p) {
                        rc = ft_error_oom(&err);
                        break;
                    }
                    txns = p;
                }
                txns[ntxns++] = t;
            }
            uint32_t first;
            if (rc == FT_OK && a->naccounts &&
                ft_intern_find(&s.accounts, a->accounts[0], strlen(a->accounts[0]), &first)) {
                if (nseeds == cap_s) {
                    cap_s = cap_s ? cap_s * 2 : 8;
                    uint32_t *p = realloc(seeds, cap_s * sizeof *p);
                    if (!p) {
                        rc = ft_error_oom(&err);
                        break;
                    }
                    seeds = p;
                }
                seeds[nseeds++] = first;
            }
        }
        if (rc == FT_OK && nac == 0) {
            ft_cli_error("report", "%s: %s", alerts_path,
                         alert_ids.n ? "holds no alert with the ids given" : "holds no alert");
            goto done;
        }
        if (rc == FT_OK) {
            /* ascending and distinct, as an export wants them */
            for (uint32_t i = 1; i < ntxns; i++)
                for (uint32_t k = i; k > 0 && txns[k - 1] > txns[k]; k--) {
                    uint32_t x = txns[k];
                    txns[k] = txns[k - 1];
                    txns[k - 1] = x;
                }
            uint32_t u = 0;
            for (uint32_t i = 0; i < ntxns; i++)
                if (u == 0 || txns[u - 1] != txns[i])
                    txns[u++] = txns[i];
            ntxns = u;
            rc = ft_export_transfers(&s, txns, ntxns, seeds, nseeds, &lim, &g, &err);
        }
        if (rc == FT_OK && !(ra = calloc(nac + 1, sizeof *ra)))
            rc = ft_error_oom(&err);
        for (size_t i = 0; rc == FT_OK && i < nac; i++)
            ra[i] = (ft_report_alert){ac[i].id, ac[i].kind, ac[i].score, ac[i].explanation};
        r.alerts = ra;
        r.nalerts = nac;
        r.subject = nac == 1 ? ac[0].id : "";
    }
    if (rc == FT_OK)
        rc = ft_report_svg(&s, &g, svg_nodes, svg_edges, (int)svg_timeout, &svg, note, sizeof note,
                           &err);
    r.svg = svg;
    r.svg_note = note;
    FILE *f = NULL;
    if (rc == FT_OK && (rc = ft_writer_open(&w, out_path ? out_path : "-", false, &err)) == FT_OK &&
        !(f = ft_writer_stream(&w)))
        rc = ft_error_oom(&err);
    if (rc == FT_OK)
        rc = ft_report_html(f, &s, &r, &err);
    if (rc == FT_OK)
        rc = ft_writer_close(&w, &err);
    if (rc != FT_OK) {
        ft_cli_fail("report", &err);
        goto done;
    }
    ft_cli_audit_count("accounts", g.nn);
    ft_cli_audit_count("transfers", g.ne);
    if (!in.quiet || out_path)
        fprintf(stderr, "fundtrace report: %u accounts and %u transfers%s%s\n", g.nn, g.ne,
                out_path ? " in " : "", out_path ? out_path : "");
    code = pdf_path ? print_pdf(out_path, pdf_path) : FT_EXIT_OK;
    if (code == FT_EXIT_OK)
        code = ft_cli_finish("report", code);
done:
    ft_writer_abort(&w);
    ft_alerts_close(ar);
    for (size_t i = 0; i < nac; i++) {
        free(ac[i].id);
        free(ac[i].kind);
        free(ac[i].score);
        free(ac[i].explanation);
    }
    free(ac);
    free(ra);
    free(svg);
    free(txns);
    free(seeds);
    ft_subgraph_free(&g);
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    ft_cli_list_free(&alert_ids);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
