/*
 * export.h - a part of the graph, written for Gephi, Graphviz, networkx
 * and spreadsheets.
 *
 * A subgraph is a set of accounts and a set of transfers between them,
 * chosen by one of the builders below and bounded by max_nodes and
 * max_edges; what the bounds left out is counted and written with it.
 * Formats: GraphML (every attribute, amounts as exact strings), GEXF 1.3
 * (dynamic: each transfer an instant, each account from its first
 * transfer on, so Gephi's timeline replays the money moving), DOT
 * (readable labels, seeds highlighted) and CSV node and edge lists.
 * Text is escaped for XML, and bytes that are not UTF-8 (or are control
 * characters XML cannot hold) become U+FFFD.
 */
#ifndef FUNDTRACE_EXPORT_H
#define FUNDTRACE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/cluster.h"
#include "fundtrace/error.h"
#include "fundtrace/progress.h"
#include "fundtrace/store.h"

typedef struct ft_subgraph {
    uint32_t *nodes; /* accounts, ascending */
    uint8_t *seed;   /* per node: a seed (highlighted) */
    uint32_t nn, cap_nodes;
    uint32_t *edges; /* transactions, ascending (time order) */
    uint32_t ne, cap_edges;
    uint64_t cut_nodes, cut_edges; /* left out by the bounds */
    char what[256];                /* what was exported, in words */
    const char *provenance;        /* the provenance record (provenance.h), borrowed; NULL: none */
    bool provenance_csv;           /* CSV too, as '#' lines (--provenance) */
} ft_subgraph;

typedef struct ft_export_limits {
    uint32_t max_nodes, max_edges; /* 0: none */
    uint32_t max_degree;           /* neighbourhood: hubs are not expanded (0: none) */
    int64_t since_ms, until_ms;    /* INT64_MIN / INT64_MAX: all */
} ft_export_limits;

void ft_export_defaults(ft_export_limits *l);
void ft_subgraph_free(ft_subgraph *g);
/* The node index of account a in g, or UINT32_MAX when it is not one. */
uint32_t ft_subgraph_node(const ft_subgraph *g, uint32_t a);

/* The accounts within `hops` transfers (either direction, within the time
 * span) of the seeds, and every transfer among them in the span. */
ft_status ft_export_neighbourhood(const ft_store *s, const uint32_t *seeds, uint32_t nseeds,
                                  int hops, const ft_export_limits *l, ft_subgraph *g,
                                  ft_error *err);

/* The given transfers and their accounts; `seeds` (may be NULL) are
 * highlighted. */
ft_status ft_export_transfers(const ft_store *s, const uint32_t *txns, uint32_t ntxns,
                              const uint32_t *seeds, uint32_t nseeds, const ft_export_limits *l,
                              ft_subgraph *g, ft_error *err);

/* The given accounts and every transfer among them (in the span). */
ft_status ft_export_accounts(const ft_store *s, const uint32_t *accts, uint32_t naccts,
                             const uint32_t *seeds, uint32_t nseeds, const ft_export_limits *l,
                             ft_subgraph *g, ft_error *err);

/* --- subgraphs from other results (export_from.c) --- */

/* The alerts of an alerts file (any format scan writes, alerts_read.h):
 * each one's id, its transfers that are in the data (found by their ids:
 * call ft_store_txid_index first; others are skipped) and its first
 * account. */
typedef struct ft_export_alerts ft_export_alerts;
ft_status ft_export_alerts_read(ft_export_alerts **ea, const ft_store *s, const char *path,
                                ft_error *err);
void ft_export_alerts_free(ft_export_alerts *ea);

/* The transfers of alert `id` of ea, its first account highlighted;
 * FT_EUSAGE when ea has no such alert. */
ft_status ft_export_alert(const ft_store *s, const ft_export_alerts *ea, const char *id,
                          const ft_export_limits *l, ft_subgraph *g, ft_error *err);

/* Per edge of g, the ids of the alerts of ea covering it, space-separated
 * (NULL: none), for ft_export_write. Free with ft_export_edge_alerts_free
 * (n = g->ne). */
ft_status ft_export_edge_alerts(const ft_subgraph *g, const ft_export_alerts *ea, char ***out,
                                ft_error *err);
void ft_export_edge_alerts_free(char **v, uint32_t n);

/* The trail of a trace file (trace --format jsonl or json: the transfers
 * that brought traced money to each account), its seeds highlighted.
 * Needs ft_store_txid_index. A CSV trace lists no transfers: FT_EUSAGE. */
ft_status ft_export_trace_file(const ft_store *s, const char *path, const ft_export_limits *l,
                               ft_subgraph *g, ft_error *err);

/* The trail of a forward haircut trace (trace.h's defaults; at most
 * `hops` hops when hops > 0) from each seed. `label` names the seeds in
 * g->what. Needs the store's adjacency. */
ft_status ft_export_trace_from(const ft_store *s, const uint32_t *seeds, uint32_t nseeds, int hops,
                               const char *label, const ft_export_limits *l, ft_subgraph *g,
                               ft_error *err);

/* The cluster (cluster.h, options o) holding `account`, highlighted; an
 * account in none (outside a k-core) alone. `label` names it in g->what.
 * Uses igraph: one thread. */
ft_status ft_export_cluster_of(const ft_store *s, const ft_cluster_options *o, uint32_t account,
                               const char *label, const ft_export_limits *l, ft_subgraph *g,
                               ft_error *err);

typedef enum ft_export_format {
    FT_EXPORT_GRAPHML,
    FT_EXPORT_GEXF,
    FT_EXPORT_DOT,
    FT_EXPORT_CSV_NODES,
    FT_EXPORT_CSV_EDGES,
} ft_export_format;

/* Writes g. `alerts` (may be NULL) gives, per edge of g, the ids of the
 * alerts that cover it, space-separated (an edge attribute). Fails out of
 * memory, or FT_EIO when f reports a write error (after flushing it). */
ft_status ft_export_write(FILE *f, const ft_store *s, const ft_subgraph *g, ft_export_format fmt,
                          const char *const *alerts, ft_error *err);

/* Writes g into `path` through the one atomic writer (writer.h); for CSV
 * (either CSV format) two files, PATH-nodes.csv and PATH-edges.csv, both
 * written before either is renamed into place. */
ft_status ft_export_save(const ft_store *s, const ft_subgraph *g, ft_export_format fmt,
                         const char *path, const char *const *alerts, ft_error *err);

/* --- drawing (export_svg.c) --- */

/* The part of g to draw within smaller bounds: the seeds, then the
 * accounts a breadth-first walk over g's transfers reaches from them
 * (nearest first), at most max_nodes (0: all); the transfers of g among
 * those, the earliest max_edges (0: all). d->cut_nodes and d->cut_edges
 * count what g has and d does not. */
ft_status ft_export_shrink(const ft_store *s, const ft_subgraph *g, uint32_t max_nodes,
                           uint32_t max_edges, ft_subgraph *d, ft_error *err);

/* Draws g as SVG into svg_path (atomically) with a Graphviz layout
 * program (`engine`: dot, sfdp, neato, ...) fed DOT on its standard input;
 * kills it and fails with FT_ELIMIT after timeout_s seconds. FT_EUSAGE
 * when the program cannot be run. `progress` (may be NULL) hears the
 * seconds gone out of timeout_s, about once a second. */
ft_status ft_export_draw(const ft_store *s, const ft_subgraph *g, const char *engine, int timeout_s,
                         const char *svg_path, ft_advance_fn progress, void *progress_ctx,
                         ft_error *err);

/* Writes s as XML character data (escaped; invalid UTF-8 and control
 * characters as U+FFFD). */
void ft_xml_text(FILE *f, const char *s, size_t len);

#endif
