/*
 * graph.h - the igraph view of a store.
 *
 * One directed edge per transaction, edge id = transaction number, vertex
 * id = account id, so igraph results map back to rows with no lookup.
 * Building it costs about as much as parsing the CSV, so only commands that
 * use igraph's algorithms build it; traces and scans run on the store's
 * own arrays. igraph is not thread-safe here: call it from one thread.
 */
#ifndef FUNDTRACE_GRAPH_H
#define FUNDTRACE_GRAPH_H

#include <igraph/igraph.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/store.h"

/* Installs our igraph error handler (once): it records igraph's reason
 * and frees igraph's cleanup stack, so that igraph calls return an error
 * code instead of aborting the program. */
void ft_graph_setup(void);

/* Copies the reason of igraph's last error into err; returns FT_EIGRAPH. */
ft_status ft_error_from_igraph(ft_error *err);

/* Builds the directed multigraph of s into g (which the caller destroys
 * with igraph_destroy on success). */
ft_status ft_graph_build(igraph_t *g, const ft_store *s, ft_error *err);

/* Weakly connected components of g: how many, and the size of the largest. */
ft_status ft_graph_weak_components(const igraph_t *g, int64_t *count, int64_t *largest,
                                   ft_error *err);

#endif
