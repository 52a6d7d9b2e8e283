/*
 * study_report.c - the study as an HTML page (study_report.h).
 */
#include "fundtrace/study_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/chart.h"
#include "fundtrace/export.h"
#include "fundtrace/report.h"

#define TIP_LEN 160 /* a bar's tooltip */

const char *ft_study_colour(int k)
{
    static const char *const c[] = {"#1f77b4", "#ff7f0e", "#2ca02c"};
    _Static_assert(sizeof c / sizeof *c == FT_STUDY_NARR, "a colour per arrangement");
    return k >= 0 && k < FT_STUDY_NARR ? c[k] : "#444444";
}

static void text(FILE *f, const char *s)
{
    ft_xml_text(f, s, strlen(s));
}

static const char style[] =
    "body{font-family:sans-serif;margin:2em;max-width:75em;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}"
    "table{border-collapse:collapse;font-size:0.9em;margin:0.5em 0}"
    "td,th{border:1px solid #ccc;padding:0.2em 0.5em;text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tr.overall td{font-weight:bold}"
    "pre{background:#f4f4f4;padding:0.6em;white-space:pre-wrap;word-break:break-all}"
    ".note{color:#666;font-size:0.9em}"
    "figure{margin:1em 0}figcaption{color:#444;font-size:0.9em;max-width:60em}"
    "svg{max-width:100%;height:auto}svg text{fill:#222}"
    "@media print{body{margin:0}h2{page-break-after:avoid}figure{page-break-inside:avoid}}";

/* A figure's cell: its path in the JSON, its text as the JSON writes it. */
static void cell(FILE *f, const char *path, const char *v)
{
    fputs("<td class=\"n\" data-k=\"", f);
    text(f, path);
    fputs("\">", f);
    text(f, v);
    fputs("</td>", f);
}

static void cell_int(FILE *f, const char *path, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    cell(f, path, buf);
}

static void cell_share(FILE *f, const char *path, double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.6f", v);
    cell(f, path, buf);
}

static void cell_str(FILE *f, const char *path, const char *v, size_t len)
{
    fputs("<td data-k=\"", f);
    text(f, path);
    fputs("\">", f);
    ft_xml_text(f, v, len);
    fputs("</td>", f);
}

/* The JSON path of a pattern row's member: patterns[i].x, or overall.x
 * for the last row. */
static void row_path(char *buf, size_t cap, const ft_study_result *r, int i, const char *member)
{
    if (i == r->nrows - 1)
        snprintf(buf, cap, "overall.%s", member);
    else
        snprintf(buf, cap, "patterns[%d].%s", i, member);
}

static void data_tables(FILE *f, const ft_study_result *r)
{
    fputs("<h2>Data</h2>\n<table>\n", f);
    static const char *const what[] = {"transfers", "accounts", "outside_accounts", "cross_border"};
    static const char *const words[] = {
        "transfers", "accounts", "accounts outside every jurisdiction", "cross-border transfers"};
    const int64_t v[] = {r->transfers, r->accounts, r->outside_accounts, r->cross_border};
    for (int i = 0; i < 4; i++) {
        fprintf(f, "<tr><th>%s</th>", words[i]);
        cell_int(f, what[i], v[i]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<h2>Jurisdictions</h2>\n", f);
    if (!r->nparties) {
        fputs("<p class=\"note\">No account is of a jurisdiction.</p>\n", f);
        return;
    }
    fputs("<table>\n<tr><th>jurisdiction</th><th>accounts</th><th>transfers it holds</th>"
          "<th>alerts of its scan</th></tr>\n",
          f);
    char path[96];
    for (uint16_t p = 0; p < r->nparties; p++) {
        const ft_study_party *pt = &r->parties[p];
        fputs("<tr>", f);
        snprintf(path, sizeof path, "jurisdictions[%u].name", p);
        cell_str(f, path, pt->name, strnlen(pt->name, sizeof pt->name));
        snprintf(path, sizeof path, "jurisdictions[%u].accounts", p);
        cell_int(f, path, pt->accounts);
        snprintf(path, sizeof path, "jurisdictions[%u].transfers", p);
        cell_int(f, path, pt->transfers);
        snprintf(path, sizeof path, "jurisdictions[%u].alerts", p);
        cell_int(f, path, pt->alerts);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void cost_table(FILE *f, const ft_study_result *r, bool cpu)
{
    fputs("<table>\n<tr><th>arrangement</th><th>alerts</th><th>records crossing a border</th>"
          "<th>accounts crossing</th><th>share seen abroad</th><th>match queries</th>"
          "<th>records exchanged</th><th>bytes exchanged</th><th>scan rounds</th>",
          f);
    if (cpu)
        fputs(r->ntraces ? "<th>CPU seconds, scans</th><th>CPU seconds, traces</th>"
                         : "<th>CPU seconds</th>",
              f);
    fputs("</tr>\n", f);
    char path[96];
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        const ft_study_cost *c = &r->cost[k];
        const char *name = ft_study_arrangement_name(k);
        fputs("<tr><th>", f);
        text(f, name);
        fputs("</th>", f);
#define COST(member, fn, v)                                                                        \
    snprintf(path, sizeof path, "arrangements.%s." member, name);                                  \
    fn(f, path, v)
        COST("alerts", cell_int, c->alerts);
        COST("records_crossing", cell_int, c->records_crossing);
        COST("accounts_crossing", cell_int, c->accounts_crossing);
        COST("share_seen_abroad", cell_share, c->share_seen_abroad);
        COST("match_queries", cell_int, c->match_queries);
        COST("records_exchanged", cell_int, c->records_exchanged);
        COST("bytes_exchanged", cell_int, c->bytes_exchanged);
        COST("rounds", cell_int, c->rounds);
        if (cpu) {
            char buf[32];
            snprintf(buf, sizeof buf, "%.3f", c->cpu_seconds);
            COST("cpu_seconds", cell, buf);
            if (r->ntraces) {
                snprintf(buf, sizeof buf, "%.3f", r->trace_cpu_seconds[k]);
                COST("trace_cpu_seconds", cell, buf);
            }
        }
#undef COST
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void pattern_table(FILE *f, const ft_study_result *r)
{
    fputs("<table>\n<tr><th rowspan=\"2\">pattern</th><th rowspan=\"2\">instances</th>", f);
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        fputs("<th colspan=\"3\">", f);
        text(f, ft_study_arrangement_name(k));
        fputs("</th>", f);
    }
    fputs("<th rowspan=\"2\">only pooled</th><th rowspan=\"2\">only siloed</th>"
          "<th rowspan=\"2\">only federated</th></tr>\n<tr>",
          f);
    for (int k = 0; k < FT_STUDY_NARR; k++)
        fputs("<th>found</th><th>alerts</th><th>false alerts</th>", f);
    fputs("</tr>\n", f);
    char path[128], m[64];
    for (int i = 0; i < r->nrows; i++) {
        const ft_study_row *w = &r->rows[i];
        bool overall = i == r->nrows - 1;
        fputs(overall ? "<tr class=\"overall\">" : "<tr>", f);
        if (overall)
            fputs("<td>overall</td>", f);
        else {
            row_path(path, sizeof path, r, i, "pattern");
            cell_str(f, path, w->name, strnlen(w->name, sizeof w->name));
        }
        row_path(path, sizeof path, r, i, "instances");
        cell_int(f, path, w->instances);
        for (int k = 0; k < FT_STUDY_NARR; k++) {
            const char *name = ft_study_arrangement_name(k);
            snprintf(m, sizeof m, "%s.found", name);
            row_path(path, sizeof path, r, i, m);
            cell_int(f, path, w->found[k]);
            snprintf(m, sizeof m, "%s.alerts", name);
            row_path(path, sizeof path, r, i, m);
            cell_int(f, path, w->alerts[k]);
            snprintf(m, sizeof m, "%s.false_alerts", name);
            row_path(path, sizeof path, r, i, m);
            cell_int(f, path, w->false_alerts[k]);
        }
        row_path(path, sizeof path, r, i, "only_pooled");
        cell_int(f, path, w->only_pooled);
        row_path(path, sizeof path, r, i, "only_siloed");
        cell_int(f, path, w->only_siloed);
        row_path(path, sizeof path, r, i, "only_federated");
        cell_int(f, path, w->only_federated);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void trace_table(FILE *f, const ft_store *s, const ft_study_result *r)
{
    fputs("<table>\n<tr><th rowspan=\"2\">seed</th><th rowspan=\"2\">traced siloed and "
          "federated</th>",
          f);
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        fputs("<th colspan=\"2\">", f);
        text(f, ft_study_arrangement_name(k));
        fputs("</th>", f);
    }
    fputs("<th rowspan=\"2\">federated rounds</th><th rowspan=\"2\">handoffs</th>"
          "<th rowspan=\"2\">handoff accounts</th><th rowspan=\"2\">handoff bytes</th></tr>\n<tr>",
          f);
    for (int k = 0; k < FT_STUDY_NARR; k++)
        fputs("<th>accounts reached</th><th>held at the end (minor units)</th>", f);
    fputs("</tr>\n", f);
    char path[128];
    for (size_t i = 0; i < r->ntraces; i++) {
        const ft_study_trace_row *w = &r->traces[i];
        size_t len;
        const char *key = ft_store_account_shown(s, w->seed, &len);
        fputs("<tr>", f);
        snprintf(path, sizeof path, "traces[%zu].seed", i);
        cell_str(f, path, key, len);
        snprintf(path, sizeof path, "traces[%zu].federated_traced", i);
        cell_str(f, path, w->traced ? "true" : "false", w->traced ? 4 : 5);
        for (int k = 0; k < FT_STUDY_NARR; k++) {
            const char *name = ft_study_arrangement_name(k);
            snprintf(path, sizeof path, "traces[%zu].%s.reached", i, name);
            cell_int(f, path, w->reached[k]);
            snprintf(path, sizeof path, "traces[%zu].%s.held_minor", i, name);
            cell_int(f, path, w->held[k]);
        }
        snprintf(path, sizeof path, "traces[%zu].rounds", i);
        cell_int(f, path, w->rounds);
        snprintf(path, sizeof path, "traces[%zu].handoffs", i);
        cell_int(f, path, w->handoffs);
        snprintf(path, sizeof path, "traces[%zu].handoff_accounts", i);
        cell_int(f, path, w->handoff_accounts);
        snprintf(path, sizeof path, "traces[%zu].handoff_bytes", i);
        cell_int(f, path, w->handoff_bytes);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* A bar chart's arrays: ng groups of ns bars, a tooltip per bar, and
 * room for the groups' names when name_len (else they point elsewhere). */
typedef struct bar_data {
    const char **groups;
    char *names; /* [ng][name_len] */
    double *values;
    char *tipbuf; /* [ng * ns][TIP_LEN] */
    const char **tips;
} bar_data;

static void bar_data_free(bar_data *b)
{
    free(b->groups);
    free(b->names);
    free(b->values);
    free(b->tipbuf);
    free(b->tips);
}

static ft_status bar_data_new(bar_data *b, int ng, int ns, size_t name_len, ft_error *err)
{
    size_t nv = (size_t)ng * (size_t)ns + 1;
    b->groups = calloc((size_t)ng + 1, sizeof *b->groups);
    b->names = name_len ? calloc((size_t)ng + 1, name_len) : NULL;
    b->values = calloc(nv, sizeof *b->values);
    b->tipbuf = calloc(nv, TIP_LEN);
    b->tips = calloc(nv, sizeof *b->tips);
    if (b->groups && (b->names || !name_len) && b->values && b->tipbuf && b->tips)
        return FT_OK;
    bar_data_free(b);
    return ft_error_oom(err);
}

/* Chart 1: per pattern, the truth's instances and what each arrangement
 * found. The overall row is left out: it would dwarf the patterns (the
 * exposure chart has it). */
static ft_status found_chart(FILE *f, const ft_study_result *r, ft_error *err)
{
    enum { NS = FT_STUDY_NARR + 1 };
    int ng = r->nrows > 0 ? r->nrows - 1 : 0;
    bar_data b;
    if (bar_data_new(&b, ng, NS, 0, err) != FT_OK)
        return FT_ENOMEM;
    const char **groups = b.groups, **tips = b.tips;
    double *values = b.values;
    char *tipbuf = b.tipbuf;
    const char *series[NS], *colours[NS];
    series[0] = "instances (truth)";
    colours[0] = FT_STUDY_COLOUR_INSTANCES;
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        series[k + 1] = ft_study_arrangement_name(k);
        colours[k + 1] = ft_study_colour(k);
    }
    for (int g = 0; g < ng; g++) {
        const ft_study_row *w = &r->rows[g];
        groups[g] = w->name;
        for (int k = 0; k < NS; k++) {
            size_t i = (size_t)g * NS + (size_t)k;
            char *t = tipbuf + i * TIP_LEN;
            if (k == 0) {
                values[i] = (double)w->instances;
                snprintf(t, TIP_LEN, "%.47s: %" PRId64 " instance%s in the truth", groups[g],
                         w->instances, w->instances == 1 ? "" : "s");
            } else {
                values[i] = (double)w->found[k - 1];
                snprintf(t, TIP_LEN,
                         "%.47s, %s: %" PRId64 " of %" PRId64 " found, %" PRId64
                         " alert%s, %" PRId64 " false",
                         groups[g], series[k], w->found[k - 1], w->instances, w->alerts[k - 1],
                         w->alerts[k - 1] == 1 ? "" : "s", w->false_alerts[k - 1]);
            }
            tips[i] = t;
        }
    }
    ft_chart_bars c = {.title = "Instances found per pattern and arrangement",
                       .y_label = "instances",
                       .integer = true,
                       .ngroups = ng,
                       .nseries = NS,
                       .groups = groups,
                       .series = series,
                       .colours = colours,
                       .values = values,
                       .tips = tips};
    fputs("<figure id=\"chart-found\">\n", f);
    ft_chart_bars_svg(f, &c);
    fputs("<figcaption>Instances of each pattern in the truth (grey) and how many each "
          "arrangement found (overall: in the table, and in the last chart). Hover a bar for "
          "its numbers.</figcaption>\n</figure>\n",
          f);
    bar_data_free(&b);
    return FT_OK;
}

/* Chart 2: records crossing a border and records exchanged, per
 * arrangement. */
static void exchanged_chart(FILE *f, const ft_study_result *r)
{
    const char *groups[FT_STUDY_NARR], *tips[FT_STUDY_NARR * 2];
    char tipbuf[FT_STUDY_NARR * 2][TIP_LEN];
    double values[FT_STUDY_NARR * 2];
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        const ft_study_cost *c = &r->cost[k];
        groups[k] = ft_study_arrangement_name(k);
        values[2 * k] = (double)c->records_crossing;
        values[2 * k + 1] = (double)c->records_exchanged;
        snprintf(tipbuf[2 * k], TIP_LEN,
                 "%s: %" PRId64 " records crossing a border (of %" PRId64 " transfers), %" PRId64
                 " accounts",
                 groups[k], c->records_crossing, r->transfers, c->accounts_crossing);
        snprintf(tipbuf[2 * k + 1], TIP_LEN,
                 "%s: %" PRId64 " records exchanged, %" PRId64 " match queries, %" PRId64 " bytes",
                 groups[k], c->records_exchanged, c->match_queries, c->bytes_exchanged);
        tips[2 * k] = tipbuf[2 * k];
        tips[2 * k + 1] = tipbuf[2 * k + 1];
    }
    const char *series[2] = {"records crossing a border", "records exchanged"};
    const char *colours[2] = {FT_STUDY_COLOUR_CROSSING, FT_STUDY_COLOUR_EXCHANGED};
    ft_chart_bars c = {.title = "Records per arrangement that cross a border, and exchanged",
                       .y_label = "records",
                       .integer = true,
                       .ngroups = FT_STUDY_NARR,
                       .nseries = 2,
                       .groups = groups,
                       .series = series,
                       .colours = colours,
                       .values = values,
                       .tips = tips};
    fputs("<figure id=\"chart-exchanged\">\n", f);
    ft_chart_bars_svg(f, &c);
    fputs("<figcaption>Records crossing a border: transfers that some party outside their "
          "payer's jurisdiction holds. Records exchanged: records the arrangement itself sends "
          "(pooled: every transfer to the centre; federated: answers to match "
          "queries).</figcaption>\n</figure>\n",
          f);
}

/* Chart 4: accounts reached per seed under each arrangement (the first
 * TRACE_CHART_MAX seeds; the table has them all). */
#define TRACE_CHART_MAX 40
#define SEED_LEN        48

static ft_status trace_chart(FILE *f, const ft_store *s, const ft_study_result *r, ft_error *err)
{
    int ng = r->ntraces < TRACE_CHART_MAX ? (int)r->ntraces : TRACE_CHART_MAX;
    bar_data b;
    if (bar_data_new(&b, ng, FT_STUDY_NARR, SEED_LEN, err) != FT_OK)
        return FT_ENOMEM;
    const char **groups = b.groups, **tips = b.tips;
    double *values = b.values;
    char *tipbuf = b.tipbuf, *names = b.names;
    const char *series[FT_STUDY_NARR], *colours[FT_STUDY_NARR];
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        series[k] = ft_study_arrangement_name(k);
        colours[k] = ft_study_colour(k);
    }
    for (int g = 0; g < ng; g++) {
        const ft_study_trace_row *w = &r->traces[g];
        size_t len;
        const char *k = ft_store_account_shown(s, w->seed, &len);
        char *name = names + (size_t)g * SEED_LEN;
        snprintf(name, SEED_LEN, "%.*s", (int)len, k);
        groups[g] = name;
        for (int a = 0; a < FT_STUDY_NARR; a++) {
            size_t i = (size_t)g * FT_STUDY_NARR + (size_t)a;
            char *t = tipbuf + i * TIP_LEN;
            bool shown = a == FT_STUDY_POOLED || w->traced;
            values[i] = shown ? (double)w->reached[a] : 0;
            if (shown)
                snprintf(t, TIP_LEN, "%.47s, %s: %u account%s reached", name, series[a],
                         w->reached[a], w->reached[a] == 1 ? "" : "s");
            else
                snprintf(t, TIP_LEN, "%.47s, %s: not traced (outside every jurisdiction)", name,
                         series[a]);
            tips[i] = t;
        }
    }
    ft_chart_bars c = {.title = "Accounts reached per seed and arrangement",
                       .y_label = "accounts reached",
                       .integer = true,
                       .ngroups = ng,
                       .nseries = FT_STUDY_NARR,
                       .groups = groups,
                       .series = series,
                       .colours = colours,
                       .values = values,
                       .tips = tips};
    fputs("<figure id=\"chart-traces\">\n", f);
    ft_chart_bars_svg(f, &c);
    fprintf(f,
            "<figcaption>How far each seed's money is followed: accounts reached besides the "
            "seed under each arrangement (siloed and federated: those a party holds)%s."
            "</figcaption>\n</figure>\n",
            r->ntraces > TRACE_CHART_MAX ? "; the first 40 seeds, the table has all" : "");
    bar_data_free(&b);
    return FT_OK;
}

/* Chart 3: detection against exposure. */
static void exposure_chart(FILE *f, const ft_study_result *r)
{
    ft_chart_point p[FT_STUDY_NARR];
    char tip[FT_STUDY_NARR][TIP_LEN], label[FT_STUDY_NARR][48];
    bool scored = r->labelled && r->nrows > 0;
    const ft_study_row *all = scored ? &r->rows[r->nrows - 1] : NULL;
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        const ft_study_cost *c = &r->cost[k];
        const char *name = ft_study_arrangement_name(k);
        int64_t y = all ? all->found[k] : (int64_t)c->alerts;
        if (all)
            snprintf(tip[k], TIP_LEN,
                     "%s: %.6f of all transfers seen abroad (%" PRId64 " of %" PRId64 "); %" PRId64
                     " of %" PRId64 " instances found",
                     name, c->share_seen_abroad, c->records_crossing, r->transfers, y,
                     all->instances);
        else
            snprintf(tip[k], TIP_LEN,
                     "%s: %.6f of all transfers seen abroad (%" PRId64 " of %" PRId64 "); %" PRId64
                     " alerts",
                     name, c->share_seen_abroad, c->records_crossing, r->transfers, y);
        /* the share in the label too: the small ones sit close to 0 */
        snprintf(label[k], sizeof label[k], "%s, %.3g%%", name, c->share_seen_abroad * 100);
        p[k] = (ft_chart_point){.label = label[k],
                                .x = c->share_seen_abroad,
                                .y = (double)y,
                                .colour = ft_study_colour(k),
                                .tip = tip[k]};
    }
    ft_chart_points c = {.title = "Detection against exposure",
                         .x_label = "share of all transfers seen abroad",
                         .y_label = all ? "instances found" : "alerts",
                         .x_share = true,
                         .y_integer = true,
                         .p = p,
                         .n = FT_STUDY_NARR};
    fputs("<figure id=\"chart-exposure\">\n", f);
    ft_chart_points_svg(f, &c);
    fprintf(f,
            "<figcaption>Per arrangement: how much of the population's transfers some party "
            "outside their home jurisdiction sees (x), against %s (y).</figcaption>\n"
            "</figure>\n",
            all ? "the instances of the truth it finds" : "the alerts it raises (no truth given)");
}

/* The record as JSON inside <script>: '<', '>' and '&' as \u escapes
 * (the same JSON value; no "</script>" or entity inside). */
static void json_script(FILE *f, const char *json)
{
    for (const char *p = json; *p; p++) {
        if (*p == '<')
            fputs("\\u003c", f);
        else if (*p == '>')
            fputs("\\u003e", f);
        else if (*p == '&')
            fputs("\\u0026", f);
        else
            fputc(*p, f);
    }
}

static ft_status provenance(FILE *f, const ft_provenance *p, ft_error *err)
{
    fputs("<h2>Provenance</h2>\n", f);
    if (!p) {
        fputs("<p class=\"note\">Not recorded.</p>\n", f);
        return FT_OK;
    }
    char *json = ft_prov_json(p), *cl = ft_prov_command_line(p);
    if (!json || !cl) {
        free(json);
        free(cl);
        return ft_error_oom(err);
    }
    ft_report_prov_table(f, p);
    fputs("<p>The command that made this report, run on the same data (check it "
          "first with <code>fundtrace verify REPORT DATA</code>):</p>\n<pre>",
          f);
    text(f, cl);
    /* the record as JSON output carries it, for tools (and verify) */
    fputs("</pre>\n<script type=\"application/json\" id=\"provenance\">", f);
    json_script(f, json);
    fputs("</script>\n", f);
    free(json);
    free(cl);
    return FT_OK;
}

ft_status ft_study_html(FILE *f, const ft_store *s, const ft_study_result *r,
                        const ft_study_html_options *o, ft_error *err)
{
    const char *title = o && o->title ? o->title : "fundtrace study";
    bool cpu = o && o->cpu;
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n<title>",
          f);
    text(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
    text(f, title);
    fputs("</h1>\n<p>What a scan finds when the data is pooled in one system, when each "
          "jurisdiction sees only its own share (siloed), and when the jurisdictions "
          "exchange pseudonymised matches (federated); and how much of the data each "
          "arrangement shows to parties outside the jurisdiction it comes from.</p>\n",
          f);
    data_tables(f, r);

    fputs("<h2>Found per pattern</h2>\n", f);
    if (r->labelled) {
        ft_status rc = found_chart(f, r, err);
        if (rc != FT_OK)
            return rc;
        pattern_table(f, r);
    } else {
        fputs("<p class=\"note\">Not scored: no truth was given (--truth FILE).</p>\n", f);
    }

    fputs("<h2>Cost: what crosses a border</h2>\n", f);
    cost_table(f, r, cpu);
    exchanged_chart(f, r);

    fputs("<h2>Detection against exposure</h2>\n", f);
    exposure_chart(f, r);

    if (r->ntraces) {
        fputs("<h2>Traces</h2>\n", f);
        ft_status rc = trace_chart(f, s, r, err);
        if (rc != FT_OK)
            return rc;
        trace_table(f, s, r);
    }

    ft_status rc = provenance(f, o ? o->prov : NULL, err);
    if (rc != FT_OK)
        return rc;
    fputs("</body>\n</html>\n", f);
    return FT_OK;
}
