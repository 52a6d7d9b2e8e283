/*
 * cluster.c - components, communities and k-cores of the account graph,
 * and the figures of each cluster (semantics in cluster.h).
 */
#include "fundtrace/cluster.h"

#include "fundtrace/alerts_read.h"

#include <errno.h>
#include <igraph/igraph.h>
#include <inttypes.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/graph.h"
#include "fundtrace/money.h"
#include "fundtrace/time.h"

const char *ft_cluster_method_name(ft_cluster_method m)
{
    static const char *const names[] = {"weak", "strong", "leiden", "louvain", "kcore"};
    return (unsigned)m < 5 ? names[m] : "?";
}

bool ft_cluster_method_parse(const char *name, ft_cluster_method *m)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, ft_cluster_method_name((ft_cluster_method)i)) == 0) {
            *m = (ft_cluster_method)i;
            return true;
        }
    return false;
}

void ft_cluster_defaults(ft_cluster_options *o)
{
    memset(o, 0, sizeof *o);
    o->method = FT_CLUSTER_LEIDEN;
    o->resolution = 1.0;
    o->seed = 1;
}

void ft_clustering_free(ft_clustering *c)
{
    free(c->cluster);
    memset(c, 0, sizeof *c);
}

/* --- the weighted simple graph ------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Each currency's median transfer (from at most 100,000 of them, evenly
 * spread), the unit that makes amounts comparable. */
static double *medians(const ft_store *s)
{
    enum { SAMPLE = 100000 };
    int nc = s->ncurrencies;
    double *med = calloc((size_t)nc + 1, sizeof *med);
    int64_t *count = calloc((size_t)nc + 1, sizeof *count);
    int64_t *seen = calloc((size_t)nc + 1, sizeof *seen);
    size_t *n = calloc((size_t)nc + 1, sizeof *n);
    int64_t *buf = malloc(((size_t)nc * SAMPLE + 1) * sizeof *buf);
    if (!med || !count || !seen || !n || !buf) {
        free(med);
        med = NULL;
        goto done;
    }
    /* Two passes for all currencies: count them, then take every
     * (count / SAMPLE + 1)-th transfer of each into its own sample. */
    for (int64_t i = 0; i < s->t.n; i++)
        count[s->t.cur[i]]++;
    for (int64_t i = 0; i < s->t.n; i++) {
        uint16_t c = s->t.cur[i];
        if (n[c] < SAMPLE && seen[c]++ % (count[c] / SAMPLE + 1) == 0)
            buf[(size_t)c * SAMPLE + n[c]++] = s->t.amount[i];
    }
    for (int c = 0; c < nc; c++) {
        int64_t *v = buf + (size_t)c * SAMPLE;
        if (n[c] > 1)
            qsort(v, n[c], sizeof *v, cmp_i64);
        med[c] = n[c] && v[n[c] / 2] > 0 ? (double)v[n[c] / 2] : 1;
    }
done:
    free(count);
    free(seen);
    free(n);
    free(buf);
    return med;
}

/* A transfer's weight: its amount at the --rates when there are rates,
 * else in units of its currency's median transfer. */
static double weight(const ft_store *s, const double *med, int64_t i)
{
    return s->rates ? ft_store_analysis(s, i) : (double)s->t.amount[i] / med[s->t.cur[i]];
}

typedef struct wedge {
    uint64_t key; /* lo << 32 | hi */
    double w;
} wedge;

static int cmp_wedge(const void *a, const void *b)
{
    uint64_t x = ((const wedge *)a)->key, y = ((const wedge *)b)->key;
    return (x > y) - (x < y);
}

/* The undirected simple graph (weighted, see cluster.h) or, when
 * `directed`, the directed simple graph (unweighted) of the accounts. */
static ft_status simple_graph(const ft_store *s, bool directed, igraph_t *g, igraph_vector_t *w,
                              ft_error *err)
{
    double *med = directed ? NULL : medians(s);
    wedge *e = malloc(((size_t)s->t.n + 1) * sizeof *e);
    if ((!directed && !med) || !e) {
        free(med);
        free(e);
        return ft_error_oom(err);
    }
    size_t n = 0;
    for (int64_t i = 0; i < s->t.n; i++) {
        uint32_t a = s->t.src[i], b = s->t.dst[i];
        if (a == b)
            continue;
        uint32_t lo = a < b || directed ? a : b, hi = a < b || directed ? b : a;
        e[n++] = (wedge){(uint64_t)lo << 32 | hi,
                         directed ? 1 : weight(s, med, i)};
    }
    free(med);
    /* Sort by key: a counting sort by the first account, then each
     * account's few edges by the second (qsort on 10M edges is slow). */
    uint32_t na = s->accounts.n;
    uint32_t *start = calloc((size_t)na + 2, sizeof *start);
    wedge *tmp = malloc((n + 1) * sizeof *tmp);
    if (!start || !tmp) {
        free(start);
        free(tmp);
        free(e);
        return ft_error_oom(err);
    }
    for (size_t i = 0; i < n; i++)
        start[(e[i].key >> 32) + 1]++;
    for (uint32_t a = 0; a < na; a++)
        start[a + 1] += start[a];
    for (size_t i = 0; i < n; i++)
        tmp[start[e[i].key >> 32]++] = e[i];
    for (uint32_t a = na; a > 0; a--) /* back to the starts */
        start[a] = start[a - 1];
    start[0] = 0;
    for (uint32_t a = 0; a < na; a++)
        if (start[a + 1] - start[a] > 1)
            qsort(tmp + start[a], start[a + 1] - start[a], sizeof *tmp, cmp_wedge);
    free(start);
    free(e);
    e = tmp;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && e[m - 1].key == e[i].key)
            e[m - 1].w += e[i].w;
        else
            e[m++] = e[i];
    }
    igraph_vector_int_t ev = IGRAPH_VECTOR_NULL;
    ft_status rc = FT_OK;
    ft_graph_setup();
    if (igraph_vector_int_init(&ev, (igraph_integer_t)(2 * m)) != IGRAPH_SUCCESS ||
        (w && igraph_vector_init(w, (igraph_integer_t)m) != IGRAPH_SUCCESS)) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        VECTOR(ev)[2 * i] = (igraph_integer_t)(e[i].key >> 32);
        VECTOR(ev)[2 * i + 1] = (igraph_integer_t)(e[i].key & 0xffffffffu);
        if (w)
            VECTOR(*w)[i] = e[i].w;
    }
    if (igraph_create(g, &ev, (igraph_integer_t)s->accounts.n,
                      directed ? IGRAPH_DIRECTED : IGRAPH_UNDIRECTED) != IGRAPH_SUCCESS)
        rc = ft_error_from_igraph(err);
done:
    free(e);
    igraph_vector_int_destroy(&ev);
    if (rc != FT_OK && w)
        igraph_vector_destroy(w);
    return rc;
}

/* --- union-find, for the pieces of a k-core ---------------------------------------------- */

static uint32_t find(uint32_t *p, uint32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

ft_status ft_cluster_run(const ft_store *s, const ft_cluster_options *o, ft_clustering *out,
                         ft_error *err)
{
    memset(out, 0, sizeof *out);
    uint32_t na = s->accounts.n;
    out->cluster = malloc(((size_t)na + 1) * sizeof *out->cluster);
    if (!out->cluster)
        return ft_error_oom(err);
    if (o->method == FT_CLUSTER_WEAK) {
        /* Union-find over the transfers: no graph to build. */
        uint32_t *p = malloc(((size_t)na + 1) * sizeof *p);
        if (!p) {
            ft_clustering_free(out);
            return ft_error_oom(err);
        }
        for (uint32_t a = 0; a < na; a++)
            p[a] = a;
        for (int64_t i = 0; i < s->t.n; i++) {
            uint32_t x = find(p, s->t.src[i]), y = find(p, s->t.dst[i]);
            if (x != y)
                p[x < y ? y : x] = x < y ? x : y;
        }
        uint32_t next = 0;
        for (uint32_t a = 0; a < na; a++) {
            uint32_t r = find(p, a);
            out->cluster[a] = r == a ? next++ : out->cluster[r];
        }
        out->n = next;
        free(p);
        return FT_OK;
    }
    bool directed = o->method == FT_CLUSTER_STRONG;
    bool weighted = o->method == FT_CLUSTER_LEIDEN || o->method == FT_CLUSTER_LOUVAIN;
    /* igraph objects start NULL, so that the one cleanup below is right
     * on every path (STYLE.md). */
    igraph_t g;
    bool have_g = false;
    igraph_vector_t w = IGRAPH_VECTOR_NULL, strength = IGRAPH_VECTOR_NULL;
    igraph_vector_int_t mem = IGRAPH_VECTOR_NULL, cores = IGRAPH_VECTOR_NULL;
    igraph_integer_t nclusters = 0;
    uint32_t *renum = NULL;
    igraph_error_t ie = IGRAPH_SUCCESS;
    ft_status rc = simple_graph(s, directed, &g, weighted ? &w : NULL, err);
    if (rc != FT_OK)
        goto done;
    have_g = true;
    if (o->progress)
        o->progress(o->progress_ctx, 1, 3);
    if (igraph_vector_int_init(&mem, 0) != IGRAPH_SUCCESS) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)o->seed);
    switch (o->method) {
    case FT_CLUSTER_WEAK:
    case FT_CLUSTER_STRONG:
        ie = igraph_connected_components(&g, &mem, NULL, &nclusters,
                                         directed ? IGRAPH_STRONG : IGRAPH_WEAK);
        break;
    case FT_CLUSTER_LOUVAIN:
        ie = igraph_community_multilevel(&g, &w, o->resolution, &mem, NULL, NULL);
        break;
    case FT_CLUSTER_LEIDEN: {
        /* Modularity: node weights are strengths, resolution / (2m). */
        double total = 0;
        for (igraph_integer_t i = 0; i < igraph_vector_size(&w); i++)
            total += VECTOR(w)[i];
        ie = igraph_vector_init(&strength, 0);
        if (ie == IGRAPH_SUCCESS)
            ie = igraph_strength(&g, &strength, igraph_vss_all(), IGRAPH_ALL, IGRAPH_LOOPS, &w);
        if (ie == IGRAPH_SUCCESS)
            ie = igraph_community_leiden(&g, &w, &strength,
                                         o->resolution / (total > 0 ? 2 * total : 1), 0.01, false,
                                         -1, &mem, &nclusters, NULL);
        break;
    }
    case FT_CLUSTER_KCORE: {
        ie = igraph_vector_int_init(&cores, 0);
        if (ie == IGRAPH_SUCCESS)
            ie = igraph_coreness(&g, &cores, IGRAPH_ALL);
        if (ie == IGRAPH_SUCCESS)
            ie = igraph_vector_int_resize(&mem, na);
        if (ie != IGRAPH_SUCCESS)
            break;
        int k = o->k;
        if (k <= 0)
            for (uint32_t a = 0; a < na; a++)
                if (VECTOR(cores)[a] > k)
                    k = (int)VECTOR(cores)[a];
        out->k = k;
        /* The core's pieces: union-find over edges inside it. */
        uint32_t *p = out->cluster;
        for (uint32_t a = 0; a < na; a++)
            p[a] = a;
        igraph_integer_t ne = igraph_ecount(&g);
        for (igraph_integer_t e = 0; e < ne; e++) {
            uint32_t a = (uint32_t)IGRAPH_FROM(&g, e), b = (uint32_t)IGRAPH_TO(&g, e);
            if (VECTOR(cores)[a] >= k && VECTOR(cores)[b] >= k)
                p[find(p, a)] = find(p, b);
        }
        for (uint32_t a = 0; a < na; a++)
            VECTOR(mem)[a] = VECTOR(cores)[a] >= k && k > 0 ? (igraph_integer_t)find(p, a) : -1;
        break;
    }
    }
    if (ie != IGRAPH_SUCCESS) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    if (o->progress)
        o->progress(o->progress_ctx, 2, 3);
    /* Number the clusters 0, 1, ... by their first account. */
    renum = malloc(((size_t)na + 1) * sizeof *renum);
    if (!renum) {
        rc = ft_error_oom(err);
        goto done;
    }
    memset(renum, 0xff, ((size_t)na + 1) * sizeof *renum);
    uint32_t next = 0;
    for (uint32_t a = 0; a < na; a++) {
        igraph_integer_t m = VECTOR(mem)[a];
        if (m < 0) {
            out->cluster[a] = UINT32_MAX;
            continue;
        }
        if (renum[m] == UINT32_MAX)
            renum[m] = next++;
        out->cluster[a] = renum[m];
    }
    out->n = next;
    if (o->progress)
        o->progress(o->progress_ctx, 3, 3);
done:
    free(renum);
    igraph_vector_int_destroy(&mem);
    igraph_vector_int_destroy(&cores);
    igraph_vector_destroy(&strength);
    igraph_vector_destroy(&w);
    if (have_g)
        igraph_destroy(&g);
    if (rc != FT_OK)
        ft_clustering_free(out);
    return rc;
}

/* --- the report ----------------------------------------------------------------------------- */

void ft_cluster_report_free(ft_cluster_report *rep)
{
    free(rep->v);
    free(rep->members);
    free(rep->volumes);
    memset(rep, 0, sizeof *rep);
}

typedef struct rank {
    double w;
    uint32_t size, first, id;
} rank;

static int cmp_rank(const void *a, const void *b)
{
    const rank *x = a, *y = b;
    if (x->w != y->w)
        return x->w > y->w ? -1 : 1;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

ft_status ft_cluster_report_build(const ft_store *s, const ft_clustering *c, uint32_t min_size,
                                  const uint32_t *around, uint32_t naround, uint32_t top,
                                  ft_cluster_report *rep, ft_error *err)
{
    memset(rep, 0, sizeof *rep);
    uint32_t na = s->accounts.n, nc = c->n;
    rank *r = calloc((size_t)nc + 1, sizeof *r);
    double *in_w = calloc((size_t)nc + 1, sizeof *in_w), *out_w = calloc((size_t)nc + 1, sizeof *out_w);
    uint8_t *wanted = calloc((size_t)nc + 1, 1);
    uint32_t *sel = malloc(((size_t)nc + 1) * sizeof *sel);
    double *med = medians(s);
    ft_status rc = FT_OK;
    if (!r || !in_w || !out_w || !wanted || !sel || !med) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t k = 0; k < nc; k++)
        r[k] = (rank){0, 0, UINT32_MAX, k};
    for (uint32_t a = 0; a < na; a++) {
        uint32_t k = c->cluster[a];
        if (k == UINT32_MAX)
            continue;
        r[k].size++;
        if (a < r[k].first)
            r[k].first = a;
    }
    for (int64_t i = 0; i < s->t.n; i++) {
        uint32_t x = c->cluster[s->t.src[i]], y = c->cluster[s->t.dst[i]];
        double wt = weight(s, med, i);
        if (x == y && x != UINT32_MAX) {
            r[x].w += wt;
        } else {
            if (x != UINT32_MAX)
                out_w[x] += wt;
            if (y != UINT32_MAX)
                in_w[y] += wt;
        }
    }
    for (uint32_t i = 0; i < naround; i++)
        if (c->cluster[around[i]] != UINT32_MAX)
            wanted[c->cluster[around[i]]] = 1;
    /* Candidates first, then rank them. */
    uint32_t ncand = 0;
    for (uint32_t k = 0; k < nc; k++)
        if (r[k].size >= min_size && (!naround || wanted[k]))
            r[ncand++] = r[k];
    if (ncand > 1)
        qsort(r, ncand, sizeof *r, cmp_rank);
    rep->candidates = ncand;
    uint32_t n = top && top < ncand ? top : ncand;
    rep->ncur = s->ncurrencies;
    rep->v = calloc((size_t)n + 1, sizeof *rep->v);
    rep->volumes = calloc(((size_t)n + 1) * (size_t)(s->ncurrencies + 1), sizeof *rep->volumes);
    if (!rep->v || !rep->volumes) {
        rc = ft_error_oom(err);
        goto done;
    }
    memset(sel, 0xff, ((size_t)nc + 1) * sizeof *sel);
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        ft_cluster_info *ci = &rep->v[i];
        uint32_t k = r[i].id;
        sel[k] = i;
        ci->id = k;
        ci->size = r[i].size;
        ci->member0 = total;
        ci->amount0 = i * (uint32_t)s->ncurrencies;
        ci->internal_w = r[i].w;
        ci->in_w = in_w[k];
        ci->out_w = out_w[k];
        double all = r[i].w + in_w[k] + out_w[k];
        ci->inside_share = all > 0 ? r[i].w / all : 0;
        ci->first_ms = INT64_MAX;
        ci->last_ms = INT64_MIN;
        total += r[i].size;
    }
    rep->n = n;
    rep->members = malloc(((size_t)total + 1) * sizeof *rep->members);
    if (!rep->members) {
        rc = ft_error_oom(err);
        goto done;
    }
    uint32_t *fill = calloc((size_t)n + 1, sizeof *fill);
    if (!fill) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t a = 0; a < na; a++) {
        uint32_t k = c->cluster[a];
        if (k != UINT32_MAX && sel[k] != UINT32_MAX) {
            ft_cluster_info *ci = &rep->v[sel[k]];
            rep->members[ci->member0 + fill[sel[k]]++] = a;
        }
    }
    free(fill);
    for (int64_t t = 0; t < s->t.n; t++) {
        uint32_t x = c->cluster[s->t.src[t]], y = c->cluster[s->t.dst[t]];
        uint32_t sx = x == UINT32_MAX ? UINT32_MAX : sel[x], sy = y == UINT32_MAX ? UINT32_MAX : sel[y];
        uint16_t cur = s->t.cur[t];
        if (x == y && sx != UINT32_MAX) {
            ft_cluster_info *ci = &rep->v[sx];
            rep->volumes[ci->amount0 + cur].internal += s->t.amount[t];
            ci->ninternal++;
            if (s->t.ts_ms[t] < ci->first_ms)
                ci->first_ms = s->t.ts_ms[t];
            if (s->t.ts_ms[t] > ci->last_ms)
                ci->last_ms = s->t.ts_ms[t];
            continue;
        }
        if (sx != UINT32_MAX)
            rep->volumes[rep->v[sx].amount0 + cur].out += s->t.amount[t];
        if (sy != UINT32_MAX)
            rep->volumes[rep->v[sy].amount0 + cur].in += s->t.amount[t];
    }
done:
    free(r);
    free(in_w);
    free(out_w);
    free(wanted);
    free(sel);
    free(med);
    if (rc != FT_OK)
        ft_cluster_report_free(rep);
    return rc;
}

/* --- alerts that touch clusters ------------------------------------------------------------ */

void ft_cluster_alerts_free(ft_cluster_alerts *ca)
{
    for (uint32_t i = 0; i < ca->nids; i++)
        free(ca->ids[i]);
    free(ca->ids);
    free(ca->off);
    free(ca->hit);
    memset(ca, 0, sizeof *ca);
}

typedef struct pairv {
    uint32_t cluster, alert;
} pairv;

static int cmp_pairv(const void *a, const void *b)
{
    const pairv *x = a, *y = b;
    if (x->cluster != y->cluster)
        return x->cluster < y->cluster ? -1 : 1;
    return (x->alert > y->alert) - (x->alert < y->alert);
}

ft_status ft_cluster_alerts_read(const ft_store *s, const ft_cluster_report *rep,
                                 const ft_clustering *c, const char *path, ft_cluster_alerts *ca,
                                 ft_error *err)
{
    memset(ca, 0, sizeof *ca);
    ft_alerts_reader *r = NULL;
    ft_status rc = ft_alerts_open(&r, path, err);
    if (rc != FT_OK)
        return rc;
    uint32_t *sel = malloc(((size_t)c->n + 1) * sizeof *sel);
    pairv *pv = NULL;
    size_t npv = 0, cappv = 0, capids = 0;
    if (!sel) {
        ft_alerts_close(r);
        return ft_error_oom(err);
    }
    memset(sel, 0xff, ((size_t)c->n + 1) * sizeof *sel);
    for (uint32_t i = 0; i < rep->n; i++)
        sel[rep->v[i].id] = i;
    const ft_alert_in *al;
    while (rc == FT_OK && (rc = ft_alerts_next(r, &al, err)) == FT_OK && al) {
        if (ca->nids == capids) {
            capids = capids ? capids * 2 : 64;
            char **v = realloc(ca->ids, capids * sizeof *v);
            if (!v) {
                rc = ft_error_oom(err);
                break;
            }
            ca->ids = v;
        }
        if (!(ca->ids[ca->nids] = strdup(al->id))) {
            rc = ft_error_oom(err);
            break;
        }
        uint32_t alert = ca->nids++;
        for (uint32_t k = 0; k < al->naccounts; k++) {
            uint32_t a;
            const char *key = al->accounts[k];
            if (!ft_intern_find(&s->accounts, key, strlen(key), &a) ||
                c->cluster[a] == UINT32_MAX || sel[c->cluster[a]] == UINT32_MAX)
                continue;
            if (npv == cappv) {
                cappv = cappv ? cappv * 2 : 256;
                pairv *v = realloc(pv, cappv * sizeof *v);
                if (!v) {
                    rc = ft_error_oom(err);
                    break;
                }
                pv = v;
            }
            pv[npv++] = (pairv){sel[c->cluster[a]], alert};
        }
    }
    ft_alerts_close(r);
    free(sel);
    if (rc == FT_OK) {
        if (npv > 1)
            qsort(pv, npv, sizeof *pv, cmp_pairv);
        ca->off = calloc((size_t)rep->n + 2, sizeof *ca->off);
        ca->hit = malloc((npv + 1) * sizeof *ca->hit);
        if (!ca->off || !ca->hit) {
            rc = ft_error_oom(err);
        } else {
            uint32_t n = 0;
            for (size_t i = 0; i < npv; i++) {
                if (i && pv[i].cluster == pv[i - 1].cluster && pv[i].alert == pv[i - 1].alert)
                    continue;
                ca->hit[n++] = pv[i].alert;
                ca->off[pv[i].cluster + 1] = n;
            }
            for (uint32_t i = 1; i <= rep->n; i++)
                if (ca->off[i] < ca->off[i - 1])
                    ca->off[i] = ca->off[i - 1];
        }
    }
    free(pv);
    if (rc != FT_OK)
        ft_cluster_alerts_free(ca);
    return rc;
}
