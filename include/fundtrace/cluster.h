/*
 * cluster.h - who belongs together: components, communities, k-cores.
 *
 * Methods:
 *   weak     weakly connected components (direction ignored);
 *   strong   strongly connected components (money can go round);
 *   leiden   communities by the Leiden algorithm, maximising modularity
 *            (the default);
 *   louvain  communities by the Louvain (multilevel) algorithm;
 *   kcore    the k-core: accounts with at least k distinct counterparties
 *            among each other (igraph's coreness on the undirected simple
 *            graph), grouped into its connected pieces.
 *
 * Communities and k-cores use the undirected, simple graph of the
 * accounts: parallel transfers, in either direction, collapse into one
 * edge whose weight is their volume. Amounts in different currencies are
 * made comparable at the store's rates table when it has one (--rates),
 * else by dividing each by its currency's median transfer; self-transfers
 * are left out. igraph does
 * the work, so call these from one thread.
 */
#ifndef FUNDTRACE_CLUSTER_H
#define FUNDTRACE_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/output.h"
#include "fundtrace/progress.h"
#include "fundtrace/store.h"

typedef enum ft_cluster_method {
    FT_CLUSTER_WEAK,
    FT_CLUSTER_STRONG,
    FT_CLUSTER_LEIDEN,
    FT_CLUSTER_LOUVAIN,
    FT_CLUSTER_KCORE,
} ft_cluster_method;

const char *ft_cluster_method_name(ft_cluster_method m);
bool ft_cluster_method_parse(const char *name, ft_cluster_method *m);

typedef struct ft_cluster_options {
    ft_cluster_method method;
    double resolution; /* leiden, louvain: 1 is plain modularity */
    uint64_t seed;     /* leiden, louvain: igraph's random generator */
    int k;             /* kcore: 0 means the largest k with a core */
    /* Called as each of the run's steps ends (NULL: not): the edges, the
     * graph, the clusters, their numbers. */
    ft_advance_fn progress;
    void *progress_ctx;
} ft_cluster_options;

void ft_cluster_defaults(ft_cluster_options *o);

/* A partition of the accounts: cluster[a] for account a, UINT32_MAX when
 * a is in none (kcore: outside the core). */
typedef struct ft_clustering {
    uint32_t *cluster;
    uint32_t n; /* clusters */
    int k;      /* kcore: the k used */
} ft_clustering;

ft_status ft_cluster_run(const ft_store *s, const ft_cluster_options *o, ft_clustering *out,
                         ft_error *err);
void ft_clustering_free(ft_clustering *c);

/* One cluster's figures. Volumes are per currency (exact) and as one
 * comparable weight (see above). */
typedef struct ft_cluster_info {
    uint32_t id, size;
    uint32_t member0;    /* its members: rep->members[member0 .. + size], ascending ids */
    uint32_t amount0;    /* its volumes per currency: rep->volumes[amount0 .. + ncur] */
    double internal_w, in_w, out_w;
    double inside_share; /* internal / (internal + in + out) */
    int64_t first_ms, last_ms; /* its internal transfers; INT64_MAX/MIN when none */
    uint32_t ninternal;        /* internal transfers */
} ft_cluster_info;

typedef struct ft_cluster_volume {
    __int128 internal, in, out; /* minor units; wide, as sums may pass int64 */
} ft_cluster_volume;

typedef struct ft_cluster_report {
    ft_cluster_info *v; /* ranked: internal weight, then size, then smallest member */
    uint32_t n;
    uint32_t *members;
    ft_cluster_volume *volumes; /* n * ncur */
    int ncur;
    uint32_t candidates; /* clusters that passed min_size (and around) before top */
} ft_cluster_report;

/* Ranks the clusters of at least min_size members (those holding one of
 * `around` when naround > 0) and keeps the top `top` (0: all). */
ft_status ft_cluster_report_build(const ft_store *s, const ft_clustering *c, uint32_t min_size,
                                  const uint32_t *around, uint32_t naround, uint32_t top,
                                  ft_cluster_report *rep, ft_error *err);
void ft_cluster_report_free(ft_cluster_report *rep);

/* Alerts that touch clusters: for each reported cluster, the ids of the
 * alerts (an alerts file in any format scan writes, alerts_read.h) one of
 * whose accounts is a member. */
typedef struct ft_cluster_alerts {
    char **ids;       /* all alert ids read */
    uint32_t nids;
    uint32_t *off;    /* per cluster: its alerts are hit[off[i] .. off[i + 1]) */
    uint32_t *hit;    /* indices into ids */
} ft_cluster_alerts;

ft_status ft_cluster_alerts_read(const ft_store *s, const ft_cluster_report *rep,
                                 const ft_clustering *c, const char *path, ft_cluster_alerts *ca,
                                 ft_error *err);
void ft_cluster_alerts_free(ft_cluster_alerts *ca);

/* Writes the report: table, jsonl (one object per cluster), json, csv
 * (one row per cluster). */
void ft_cluster_write(FILE *f, const ft_store *s, const ft_cluster_options *o,
                      const ft_clustering *c, const ft_cluster_report *rep,
                      const ft_cluster_alerts *ca, ft_format fmt);

#endif
