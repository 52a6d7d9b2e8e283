/*
 * report.c - the HTML case file (report.h).
 */
#include "fundtrace/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fundtrace/money.h"
#include "fundtrace/time.h"

#define LANES_MAX    40  /* accounts the timeline draws */
#define TIMELINE_MAX 400 /* transfers it draws */

static void text(FILE *f, const char *s)
{
    ft_xml_text(f, s, strlen(s));
}

static void account(FILE *f, const ft_store *s, uint32_t a)
{
    size_t len;
    const char *k = ft_store_account_shown(s, a, &len);
    ft_xml_text(f, k, len);
}

static void when(FILE *f, int64_t ms)
{
    char buf[40];
    ft_time_format(ms, buf, sizeof buf);
    fputs(buf, f);
}

static void money(FILE *f, const ft_store *s, uint16_t cur, __int128 v)
{
    char buf[64];
    ft_money_format(v, s->currencies[cur].exponent, buf, sizeof buf);
    fprintf(f, "%s %.3s", buf, s->currencies[cur].code);
}

/* Amounts per currency, written "1.00 EUR, 2.00 USD" ("-": none). */
static void amounts(FILE *f, const ft_store *s, const __int128 *v)
{
    bool any = false;
    for (int c = 0; c < s->ncurrencies; c++)
        if (v[c]) {
            fputs(any ? ", " : "", f);
            money(f, s, (uint16_t)c, v[c]);
            any = true;
        }
    if (!any)
        fputs("-", f);
}

static const char style[] =
    "body{font-family:sans-serif;margin:2em;max-width:70em;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}"
    "table{border-collapse:collapse;font-size:0.9em}"
    "td,th{border:1px solid #ccc;padding:0.2em 0.5em;text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tr.seed td{font-weight:bold}"
    "p.summary{font-size:1.05em;line-height:1.5}"
    "pre{background:#f4f4f4;padding:0.6em;white-space:pre-wrap;word-break:break-all}"
    ".note{color:#666;font-size:0.9em}"
    "svg{max-width:100%;height:auto}"
    "@media print{body{margin:0}h2{page-break-after:avoid}}";

static void summary(FILE *f, const ft_store *s, const ft_report *r, const __int128 *total)
{
    const ft_subgraph *g = r->g;
    int64_t t0 = g->ne ? s->t.ts_ms[g->edges[0]] : 0;
    int64_t t1 = g->ne ? s->t.ts_ms[g->edges[g->ne - 1]] : 0;
    fputs("<p class=\"summary\">", f);
    if (r->kind == FT_REPORT_TRACE && r->trace) {
        const ft_trace_result *t = r->trace;
        fprintf(f, "Money %s ", t->backward ? "that reached" : "that");
        text(f, r->subject ? r->subject : "");
        fprintf(f, " %s was followed %s in time, ", t->backward ? "was traced back" : "paid out",
                t->backward ? "backward" : "forward");
        if (r->topt)
            fprintf(f, "with %s attribution and at most %d hop%s, ",
                    ft_policy_name(r->topt->policy), r->topt->max_hops,
                    r->topt->max_hops == 1 ? "" : "s");
        fputs("from ", f);
        when(f, t->start_ms);
        fputs(". It reached ", f);
        fprintf(f, "%" PRIu32 " other account%s through %" PRIu32 " transfer%s", t->nnodes - 1,
                t->nnodes == 2 ? "" : "s", t->nedges, t->nedges == 1 ? "" : "s");
        if (g->ne) {
            fputs(" between ", f);
            when(f, t0);
            fputs(" and ", f);
            when(f, t1);
        }
        fputs(".", f);
        /* where most of it is now: the three largest holdings */
        uint32_t best[3] = {UINT32_MAX, UINT32_MAX, UINT32_MAX};
        for (uint32_t i = 1; i < t->nnodes; i++) {
            const ft_trace_node *n = &t->nodes[i];
            int64_t h = n->namounts ? t->amounts[n->amount0].held : 0;
            for (int k = 0; k < 3 && h > 0; k++) {
                const ft_trace_node *b = best[k] == UINT32_MAX ? NULL : &t->nodes[best[k]];
                int64_t bh = b && b->namounts ? t->amounts[b->amount0].held : 0;
                if (!b || h > bh) {
                    memmove(best + k + 1, best + k, (size_t)(2 - k) * sizeof *best);
                    best[k] = i;
                    break;
                }
            }
        }
        if (best[0] != UINT32_MAX) {
            fputs(t->backward ? " The largest sources: " : " The most still held at the end: ", f);
            for (int k = 0; k < 3 && best[k] != UINT32_MAX; k++) {
                const ft_trace_node *n = &t->nodes[best[k]];
                const ft_trace_amount *a = &t->amounts[n->amount0];
                fputs(k ? ", " : "", f);
                account(f, s, n->account);
                fputs(" (", f);
                money(f, s, a->cur, a->held);
                fputs(")", f);
            }
            fputs(".", f);
        }
    } else if (r->kind == FT_REPORT_ALERTS) {
        fprintf(f, "%zu alert%s", r->nalerts, r->nalerts == 1 ? "" : "s");
        fprintf(f, " cover%s %" PRIu32 " transfer%s among %" PRIu32 " account%s",
                r->nalerts == 1 ? "s" : "", g->ne, g->ne == 1 ? "" : "s", g->nn,
                g->nn == 1 ? "" : "s");
        if (g->ne) {
            fputs(" between ", f);
            when(f, t0);
            fputs(" and ", f);
            when(f, t1);
        }
        fputs(", moving ", f);
        amounts(f, s, total);
        fputs(".", f);
        for (size_t i = 0; i < r->nalerts && i < 5; i++) {
            fputs(" ", f);
            text(f, r->alerts[i].explanation ? r->alerts[i].explanation : "");
            const char *x = r->alerts[i].explanation;
            size_t xl = x ? strlen(x) : 0;
            if (xl && !strchr(".!?", x[xl - 1]))
                fputs(".", f);
        }
    } else {
        fputs("The ", f);
        text(f, r->subject ? r->subject : "cluster");
        fprintf(f, " holds %" PRIu32 " account%s; %" PRIu32 " transfer%s among them", g->nn,
                g->nn == 1 ? "" : "s", g->ne, g->ne == 1 ? "" : "s");
        if (g->ne) {
            fputs(" between ", f);
            when(f, t0);
            fputs(" and ", f);
            when(f, t1);
        }
        fputs(" moved ", f);
        amounts(f, s, total);
        fputs(".", f);
    }
    if (g->cut_nodes || g->cut_edges)
        fprintf(f, " The limits left out %" PRIu64 " accounts and %" PRIu64 " transfers.",
                g->cut_nodes, g->cut_edges);
    fputs("</p>\n", f);
}

/* The timeline: a lane per account (the first LANES_MAX), each transfer an
 * arrow from its payer's lane to its payee's at its time. */
static void timeline(FILE *f, const ft_store *s, const ft_subgraph *g)
{
    if (!g->ne) {
        fputs("<p class=\"note\">No transfers.</p>\n", f);
        return;
    }
    uint32_t lanes = g->nn < LANES_MAX ? g->nn : LANES_MAX;
    int64_t t0 = s->t.ts_ms[g->edges[0]], t1 = s->t.ts_ms[g->edges[g->ne - 1]];
    double span = t1 > t0 ? (double)(t1 - t0) : 1;
    const int left = 230, width = 640, top = 30, lane_h = 22;
    int h = top + (int)lanes * lane_h + 30;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"timeline of the transfers\">\n",
            left + width + 20, h, left + width + 20, h);
    for (uint32_t i = 0; i < lanes; i++) {
        int y = top + (int)i * lane_h;
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>", left, y,
                left + width, y);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\"%s>", left - 6,
                y + 4, g->seed[i] ? " font-weight=\"bold\"" : "");
        size_t len;
        const char *k = ft_store_account_shown(s, g->nodes[i], &len);
        ft_xml_text(f, k, len > 32 ? 32 : len);
        fputs("</text>\n", f);
    }
    uint32_t drawn = 0, skipped = 0;
    for (uint32_t e = 0; e < g->ne; e++) {
        uint32_t t = g->edges[e];
        uint32_t a = ft_subgraph_node(g, s->t.src[t]), b = ft_subgraph_node(g, s->t.dst[t]);
        if (a >= lanes || b >= lanes || drawn >= TIMELINE_MAX) {
            skipped++;
            continue;
        }
        drawn++;
        double x = left + (double)(s->t.ts_ms[t] - t0) / span * width;
        int ya = top + (int)a * lane_h, yb = top + (int)b * lane_h;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c0392b\" "
                "stroke-width=\"1.5\"/><circle cx=\"%.1f\" cy=\"%d\" r=\"2.5\" "
                "fill=\"#c0392b\"/><circle cx=\"%.1f\" cy=\"%d\" r=\"3.5\" fill=\"none\" "
                "stroke=\"#c0392b\"/>\n",
                x, ya, x, yb, x, ya, x, yb);
    }
    int ya = top + (int)lanes * lane_h;
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", left, ya + 10);
    when(f, t0);
    fprintf(f, "</text><text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">", left + width,
            ya + 10);
    when(f, t1);
    fputs("</text>\n</svg>\n", f);
    fprintf(f, "<p class=\"note\">Each transfer runs from its payer's line (dot) to its payee's "
               "(ring) at its time.");
    if (skipped)
        fprintf(f,
                " %" PRIu32 " transfer%s with an account beyond the first %" PRIu32
                " lines, or beyond the first %d transfers, %s not drawn (they are in the "
                "table).",
                skipped, skipped == 1 ? "" : "s", lanes, TIMELINE_MAX, skipped == 1 ? "is" : "are");
    fputs("</p>\n", f);
}

void ft_report_prov_table(FILE *f, const ft_provenance *p)
{
    fputs("<table>\n<tr><th>fundtrace</th><td>", f);
    text(f, p->version ? p->version : "");
    fputs("</td></tr>\n<tr><th>run at</th><td>", f);
    when(f, p->time_ms);
    if (p->time_fixed)
        fputs(" (SOURCE_DATE_EPOCH)", f);
    fputs("</td></tr>\n", f);
    if (p->snapshot) {
        fputs("<tr><th>snapshot</th><td>", f);
        text(f, p->snapshot);
        fputs("</td></tr>\n", f);
    }
    for (size_t i = 0; i < p->ninputs; i++) {
        const ft_prov_input *x = &p->inputs[i];
        fputs("<tr><th>input</th><td>", f);
        text(f, x->path);
        fprintf(f,
                "<br/>SHA-256 %s<br/>%" PRIu64 " bytes, %" PRId64 " rows read, %" PRId64
                " loaded, %" PRId64 " rejected</td></tr>\n",
                x->sha256, x->bytes, x->rows_read, x->rows_loaded, x->rows_rejected);
    }
    for (size_t i = 0; i < p->nfiles; i++) {
        fputs("<tr><th>--", f);
        text(f, p->files[i].option);
        fputs("</th><td>", f);
        text(f, p->files[i].path);
        fprintf(f, "<br/>SHA-256 %s</td></tr>\n", p->files[i].sha256);
    }
    if (p->key_fingerprint[0])
        fprintf(f, "<tr><th>pseudonymised</th><td>key fingerprint %s</td></tr>\n",
                p->key_fingerprint);
    fputs("</table>\n", f);
}

ft_status ft_report_html(FILE *f, const ft_store *s, const ft_report *r, ft_error *err)
{
    const ft_subgraph *g = r->g;
    size_t nc = (size_t)s->ncurrencies + 1;
    /* per node: in and out per currency; and the total moved */
    __int128 *in = calloc((size_t)g->nn * nc + 1, sizeof *in);
    __int128 *out = calloc((size_t)g->nn * nc + 1, sizeof *out);
    __int128 *total = calloc(nc, sizeof *total);
    int64_t *first = malloc(((size_t)g->nn + 1) * sizeof *first);
    if (!in || !out || !total || !first) {
        free(in);
        free(out);
        free(total);
        free(first);
        return ft_error_oom(err);
    }
    for (uint32_t i = 0; i < g->nn; i++)
        first[i] = INT64_MAX;
    for (uint32_t e = 0; e < g->ne; e++) {
        uint32_t t = g->edges[e];
        uint32_t a = ft_subgraph_node(g, s->t.src[t]), b = ft_subgraph_node(g, s->t.dst[t]);
        uint16_t c = s->t.cur[t];
        total[c] += s->t.amount[t];
        if (a != UINT32_MAX) {
            out[(size_t)a * nc + c] += s->t.amount[t];
            if (s->t.ts_ms[t] < first[a])
                first[a] = s->t.ts_ms[t];
        }
        if (b != UINT32_MAX) {
            in[(size_t)b * nc + c] += s->t.amount[t];
            if (s->t.ts_ms[t] < first[b])
                first[b] = s->t.ts_ms[t];
        }
    }
    const char *kind = r->kind == FT_REPORT_TRACE    ? "Trace"
                       : r->kind == FT_REPORT_ALERTS ? (r->nalerts == 1 ? "Alert" : "Alerts")
                                                     : "Cluster";
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n<title>",
          f);
    if (r->title)
        text(f, r->title);
    else {
        fprintf(f, "fundtrace: %s ", kind);
        text(f, r->subject ? r->subject : "");
    }
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
    if (r->title)
        text(f, r->title);
    else {
        fprintf(f, "%s ", kind);
        text(f, r->subject ? r->subject : "");
    }
    fputs("</h1>\n<h2>Summary</h2>\n", f);
    summary(f, s, r, total);

    /* the graph */
    fputs("<h2>Graph</h2>\n", f);
    if (r->svg)
        fprintf(f, "<div class=\"graph\">%s</div>\n", r->svg);
    if (r->svg_note && *r->svg_note) {
        fputs("<p class=\"note\">", f);
        text(f, r->svg_note);
        fputs("</p>\n", f);
    }

    /* accounts */
    if (r->kind == FT_REPORT_TRACE && r->trace) {
        const ft_trace_result *t = r->trace;
        fprintf(f,
                "<h2>Accounts reached</h2>\n<table>\n<tr><th>hops</th><th>account</th>"
                "<th>first arrival</th><th>traced %s</th><th>%s</th><th>passed on</th>"
                "</tr>\n",
                t->backward ? "back" : "in", t->backward ? "source of" : "held at the end");
        for (uint32_t i = 0; i < t->nnodes; i++) {
            const ft_trace_node *n = &t->nodes[i];
            fprintf(f, "<tr%s><td class=\"n\">%d</td><td>", i == 0 ? " class=\"seed\"" : "",
                    n->hops);
            account(f, s, n->account);
            fputs("</td><td>", f);
            when(f, n->first_ms);
            for (int k = 0; k < 3; k++) {
                fputs("</td><td class=\"n\">", f);
                bool any = false;
                for (uint32_t m = 0; m < n->namounts; m++) {
                    const ft_trace_amount *a = &t->amounts[n->amount0 + m];
                    /* as trace writes it: the seed's money in is what it traced out */
                    int64_t v = k == 0   ? (i == 0 ? a->sent + a->cut : a->received)
                                : k == 1 ? a->held
                                         : a->sent;
                    if (!v)
                        continue;
                    fputs(any ? "<br/>" : "", f);
                    money(f, s, a->cur, v);
                    any = true;
                }
                if (!any)
                    fputs("-", f);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    fputs("<h2>Accounts</h2>\n<table>\n<tr><th>account</th><th>first transfer</th>"
          "<th>received</th><th>paid</th></tr>\n",
          f);
    for (uint32_t i = 0; i < g->nn; i++) {
        fprintf(f, "<tr%s><td>", g->seed[i] ? " class=\"seed\"" : "");
        account(f, s, g->nodes[i]);
        fputs("</td><td>", f);
        if (first[i] != INT64_MAX)
            when(f, first[i]);
        fputs("</td><td class=\"n\">", f);
        amounts(f, s, in + (size_t)i * nc);
        fputs("</td><td class=\"n\">", f);
        amounts(f, s, out + (size_t)i * nc);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">Received and paid count the transfers in this report "
          "only. Bold: the seeds.</p>\n",
          f);

    /* transfers */
    fprintf(f,
            "<h2>Transfers</h2>\n<table>\n<tr><th>#</th><th>time</th><th>from</th><th>to</th>"
            "<th>amount</th>%s<th>transaction</th></tr>\n",
            r->kind == FT_REPORT_TRACE && r->trace ? "<th>traced</th>" : "");
    uint32_t tk = 0;
    for (uint32_t e = 0; e < g->ne; e++) {
        uint32_t t = g->edges[e];
        char id[128];
        ft_store_txid(s, t, id, sizeof id);
        fprintf(f, "<tr><td class=\"n\">%" PRIu32 "</td><td>", e + 1);
        when(f, s->t.ts_ms[t]);
        fputs("</td><td>", f);
        account(f, s, s->t.src[t]);
        fputs("</td><td>", f);
        account(f, s, s->t.dst[t]);
        fputs("</td><td class=\"n\">", f);
        money(f, s, s->t.cur[t], s->t.amount[t]);
        if (r->kind == FT_REPORT_TRACE && r->trace) {
            const ft_trace_result *tr = r->trace;
            fputs("</td><td class=\"n\">", f);
            /* both in transaction order (the store's time order) */
            while (tk < tr->nedges && tr->edges[tk].txn < t)
                tk++;
            int64_t v = tk < tr->nedges && tr->edges[tk].txn == t ? tr->edges[tk].traced : 0;
            money(f, s, s->t.cur[t], v);
        }
        fputs("</td><td>", f);
        text(f, id);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);

    fputs("<h2>Timeline</h2>\n", f);
    timeline(f, s, g);

    if (r->nalerts) {
        fputs("<h2>Alerts</h2>\n<table>\n<tr><th>id</th><th>kind</th><th>score</th>"
              "<th>explanation</th></tr>\n",
              f);
        for (size_t i = 0; i < r->nalerts; i++) {
            const ft_report_alert *a = &r->alerts[i];
            fputs("<tr><td>", f);
            text(f, a->id ? a->id : "");
            fputs("</td><td>", f);
            text(f, a->kind ? a->kind : "");
            fputs("</td><td class=\"n\">", f);
            text(f, a->score ? a->score : "");
            fputs("</td><td>", f);
            text(f, a->explanation ? a->explanation : "");
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }

    fputs("<h2>Provenance</h2>\n", f);
    const ft_provenance *p = r->prov;
    if (p) {
        char *cl = ft_prov_command_line(p);
        if (!cl) {
            free(in);
            free(out);
            free(total);
            free(first);
            return ft_error_oom(err);
        }
        ft_report_prov_table(f, p);
        fputs("<h2>Reproduce</h2>\n<p>The command that made this report, run on the "
              "same data (check it first with <code>fundtrace verify</code>):</p>\n<pre>",
              f);
        text(f, cl);
        fputs("</pre>\n", f);
        free(cl);
    } else {
        fputs("<p class=\"note\">Not recorded.</p>\n", f);
    }
    fputs("</body>\n</html>\n", f);
    free(in);
    free(out);
    free(total);
    free(first);
    return FT_OK;
}

ft_status ft_report_svg(const ft_store *s, const ft_subgraph *g, uint32_t max_nodes,
                        uint32_t max_edges, int timeout_s, char **svg, char *note, size_t note_cap,
                        ft_error *err)
{
    *svg = NULL;
    note[0] = '\0';
    ft_subgraph d = {0};
    ft_status rc = ft_export_shrink(s, g, max_nodes, max_edges, &d, err);
    if (rc != FT_OK)
        return rc;
    if (d.cut_nodes || d.cut_edges)
        snprintf(note, note_cap,
                 "The picture shows the %" PRIu32 " accounts and %" PRIu32
                 " transfers nearest the seeds; it leaves out %" PRIu64 " accounts and %" PRIu64
                 " transfers (all are in the tables).",
                 d.nn, d.ne, d.cut_nodes, d.cut_edges);
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/fundtrace-report-%ld.svg", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    ft_error derr;
    rc = ft_export_draw(s, &d, "dot", timeout_s, path, NULL, NULL, &derr);
    ft_subgraph_free(&d);
    if (rc == FT_ENOMEM) {
        *err = derr;
        return rc;
    }
    if (rc != FT_OK) {
        snprintf(note, note_cap, "No picture: %s.", derr.msg);
        return FT_OK;
    }
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    if (f) {
        FILE *m = open_memstream(&buf, &n);
        char chunk[8192];
        size_t got;
        while (m && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
            fwrite(chunk, 1, got, m);
        if (m)
            fclose(m);
        fclose(f);
    }
    unlink(path);
    if (!buf)
        return ft_error_oom(err);
    /* from <svg on: no XML prolog, DOCTYPE or comments before it */
    char *at = strstr(buf, "<svg");
    if (!at) {
        free(buf);
        snprintf(note, note_cap, "No picture: Graphviz wrote no SVG.");
        return FT_OK;
    }
    memmove(buf, at, strlen(at) + 1);
    *svg = buf;
    return FT_OK;
}
