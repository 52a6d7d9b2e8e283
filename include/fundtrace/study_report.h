/*
 * study_report.h - a feasibility study (study.h) as one self-contained
 * HTML page: no external resources, no scripts to run, inline CSS; it
 * opens offline and prints. Well-formed XML (XHTML syntax), so that
 * xmllint, Python's xml.etree and any HTML5 parser read it.
 *
 * The page holds every figure of the study's JSON (ft_study_write) in
 * tables, each figure's cell marked data-k="PATH" with its path in that
 * JSON (arrangements.siloed.records_crossing, patterns[0].pooled.found,
 * traces[1].federated.reached, ...) and its text as the JSON writes it;
 * and three charts drawn here (chart.h):
 *   - instances found per pattern under each arrangement, beside the
 *     truth's instances (labelled studies);
 *   - records per arrangement that cross a border, and records exchanged;
 *   - detection against exposure: per arrangement, the share of all
 *     transfers seen abroad (x) and the instances found (y; alerts when
 *     the study is not labelled).
 * The run's provenance record (provenance.h) is carried as it is in
 * JSON output, in <script type="application/json" id="provenance"> on one
 * line, with '<', '>' and '&' written as \u003c, \u003e and \u0026 (the
 * same JSON value; `fundtrace verify` reads it from the page), beside a
 * table of it and the command line that reproduces the run.
 *
 * CPU seconds differ from run to run: they are shown only when asked
 * (cpu), so that a page made under SOURCE_DATE_EPOCH is the same bytes
 * every time.
 */
#ifndef FUNDTRACE_STUDY_REPORT_H
#define FUNDTRACE_STUDY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/provenance.h"
#include "fundtrace/store.h"
#include "fundtrace/study.h"

typedef struct ft_study_html_options {
    const char *title;         /* NULL: "fundtrace study" */
    const ft_provenance *prov; /* the run's record; NULL: none */
    bool cpu;                  /* show CPU seconds */
} ft_study_html_options;

/* The bars' colours, per arrangement (FT_STUDY_*), and of the truth's
 * instances, of records crossing a border and of records exchanged:
 * "#rrggbb". */
const char *ft_study_colour(int k);
#define FT_STUDY_COLOUR_INSTANCES "#9e9e9e"
#define FT_STUDY_COLOUR_CROSSING  "#6a3d9a"
#define FT_STUDY_COLOUR_EXCHANGED "#b15928"

/* Writes the page of r to f; s names the traces' seeds. FT_ENOMEM out of
 * memory (write errors are the stream's). */
ft_status ft_study_html(FILE *f, const ft_store *s, const ft_study_result *r,
                        const ft_study_html_options *o, ft_error *err);

#endif
