/*
 * report.h - the case file: one self-contained HTML page (no external
 * assets, no scripts; it opens offline and prints) for a trace, an alert,
 * a set of alerts or a cluster: a summary in words, the accounts and the
 * transfers as tables (amounts exact), the graph as inline SVG drawn by
 * Graphviz within small bounds, a timeline of the transfers (inline SVG
 * drawn here), the alerts, the provenance and the command that reproduces
 * it. The page is well-formed XML (XHTML syntax), so that xmllint and any
 * HTML5 parser read it.
 */
#ifndef FUNDTRACE_REPORT_H
#define FUNDTRACE_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/export.h"
#include "fundtrace/provenance.h"
#include "fundtrace/store.h"
#include "fundtrace/trace.h"

typedef enum ft_report_kind { FT_REPORT_TRACE, FT_REPORT_ALERTS, FT_REPORT_CLUSTER } ft_report_kind;

typedef struct ft_report_alert {
    const char *id, *kind, *score, *explanation;
} ft_report_alert;

typedef struct ft_report {
    ft_report_kind kind;
    const char *title;            /* NULL: one made from what is reported */
    const ft_subgraph *g;         /* the accounts and transfers */
    const char *subject;          /* the seed, alert id or cluster named in words */
    const ft_trace_result *trace; /* FT_REPORT_TRACE */
    const ft_trace_options *topt;
    const ft_report_alert *alerts; /* FT_REPORT_ALERTS */
    size_t nalerts;
    const char *svg;           /* the graph (an <svg> element), or NULL */
    const char *svg_note;      /* what the picture leaves out, or why there is none */
    const ft_provenance *prov; /* NULL: none */
} ft_report;

/* Writes the page. */
ft_status ft_report_html(FILE *f, const ft_store *s, const ft_report *r, ft_error *err);

/* The provenance record p as an HTML table (version, time, snapshot,
 * inputs and files with their SHA-256, key fingerprint): the case file's
 * and the study report's. */
void ft_report_prov_table(FILE *f, const ft_provenance *p);

/* The graph of g as an <svg> element (Graphviz's dot, through
 * ft_export_draw, its XML prolog removed), bounded to max_nodes accounts
 * and max_edges transfers nearest the seeds, within timeout_s seconds.
 * *svg is NULL (and note says why) when Graphviz is not installed or the
 * layout fails; note also says what the bounds left out. */
ft_status ft_report_svg(const ft_store *s, const ft_subgraph *g, uint32_t max_nodes,
                        uint32_t max_edges, int timeout_s, char **svg, char *note, size_t note_cap,
                        ft_error *err);

#endif
