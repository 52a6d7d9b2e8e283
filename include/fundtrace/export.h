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

#include "fundtrace/error.h"
#include "fundtrace/store.h"

typedef struct ft_subgraph {
    uint32_t *nodes; /* accounts, ascending */
    uint8_t *seed;   /* per node: a seed (highlighted) */
    uint32_t nn, cap_nodes;
    uint32_t *edges; /* transactions, ascending (time order) */
    uint32_t ne, cap_edges;
    uint64_t cut_nodes, cut_edges; /* left out by the bounds */
    char what[256];                /* what was exported, in words */
} ft_subgraph;

typedef struct ft_export_limits {
    uint32_t max_nodes, max_edges; /* 0: none */
    uint32_t max_degree;           /* neighbourhood: hubs are not expanded (0: none) */
    int64_t since_ms, until_ms;    /* INT64_MIN / INT64_MAX: all */
} ft_export_limits;

void ft_export_defaults(ft_export_limits *l);
void ft_subgraph_free(ft_subgraph *g);

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

/* Transfer numbers for original ids (a trace's or an alert's txns):
 * builds an index of every transaction's id on first use. */
typedef struct ft_txid_index ft_txid_index;
ft_status ft_txid_index_new(ft_txid_index **ix, const ft_store *s, ft_error *err);
bool ft_txid_index_find(const ft_txid_index *ix, const char *id, size_t len, uint32_t *txn);
void ft_txid_index_free(ft_txid_index *ix);

typedef enum ft_export_format {
    FT_EXPORT_GRAPHML,
    FT_EXPORT_GEXF,
    FT_EXPORT_DOT,
    FT_EXPORT_CSV_NODES,
    FT_EXPORT_CSV_EDGES,
} ft_export_format;

/* Writes g. `alerts` (may be NULL) gives, per edge of g, the ids of the
 * alerts that cover it, space-separated (an edge attribute). */
void ft_export_write(FILE *f, const ft_store *s, const ft_subgraph *g, ft_export_format fmt,
                     const char *const *alerts);

/* Writes s as XML character data (escaped; invalid UTF-8 and control
 * characters as U+FFFD). */
void ft_xml_text(FILE *f, const char *s, size_t len);

#endif
