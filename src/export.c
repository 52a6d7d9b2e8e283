/*
 * export.c - choosing a subgraph and writing it (formats in export.h).
 */
#include "fundtrace/export.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/money.h"
#include "fundtrace/output.h"
#include "fundtrace/pool.h"
#include "fundtrace/time.h"
#include "fundtrace/writer.h"

void ft_export_defaults(ft_export_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_nodes = 5000;
    l->max_edges = 50000;
    l->max_degree = 2000;
    l->since_ms = INT64_MIN;
    l->until_ms = INT64_MAX;
}

uint32_t ft_subgraph_node(const ft_subgraph *g, uint32_t a)
{
    uint32_t lo = 0, hi = g->nn;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->nodes[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->nn && g->nodes[lo] == a ? lo : UINT32_MAX;
}

void ft_subgraph_free(ft_subgraph *g)
{
    free(g->nodes);
    free(g->seed);
    free(g->edges);
    memset(g, 0, sizeof *g);
}


static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool in_span(const ft_store *s, const ft_export_limits *l, uint32_t t)
{
    return s->t.ts_ms[t] >= l->since_ms && s->t.ts_ms[t] <= l->until_ms;
}

/* Node bookkeeping: a per-account mark (node index + 1) while building. */
typedef struct builder {
    const ft_store *s;
    ft_subgraph *g;
    uint32_t *mark;
    uint32_t cap_seed;
} builder;

static bool add_node(builder *b, uint32_t a, bool seed)
{
    ft_subgraph *g = b->g;
    if (b->mark[a]) {
        if (seed)
            g->seed[b->mark[a] - 1] = 1;
        return true;
    }
    if (!FT_ARRAY_GROW(g->nodes, &g->cap_nodes, g->nn + 1) ||
        !FT_ARRAY_GROW(g->seed, &b->cap_seed, g->nn + 1))
        return false;
    g->nodes[g->nn] = a;
    g->seed[g->nn] = seed;
    b->mark[a] = ++g->nn;
    return true;
}

static bool add_edge(ft_subgraph *g, uint32_t t)
{
    if (!FT_ARRAY_GROW(g->edges, &g->cap_edges, g->ne + 1))
        return false;
    g->edges[g->ne++] = t;
    return true;
}

/* Sorts nodes by account id (keeping their seed flags) and edges by
 * transaction, dropping repeated edges; false out of memory. */
static bool finish(ft_subgraph *g)
{
    if (g->nn > 1) {
        uint64_t *v = malloc((size_t)g->nn * sizeof *v);
        if (!v)
            return false;
        for (uint32_t i = 0; i < g->nn; i++)
            v[i] = (uint64_t)g->nodes[i] << 1 | g->seed[i];
        qsort(v, g->nn, sizeof *v, cmp_u64);
        for (uint32_t i = 0; i < g->nn; i++) {
            g->nodes[i] = (uint32_t)(v[i] >> 1);
            g->seed[i] = v[i] & 1;
        }
        free(v);
    }
    if (g->ne > 1)
        qsort(g->edges, g->ne, sizeof *g->edges, cmp_u32);
    uint32_t n = 0;
    for (uint32_t i = 0; i < g->ne; i++)
        if (n == 0 || g->edges[n - 1] != g->edges[i])
            g->edges[n++] = g->edges[i];
    g->ne = n;
    return true;
}

/* Every transfer in the span between two nodes of g, at most max_edges
 * (the earliest), the rest counted as cut. */
static bool edges_among(builder *b, const ft_export_limits *l)
{
    const ft_store *s = b->s;
    ft_subgraph *g = b->g;
    for (uint32_t i = 0; i < g->nn; i++) {
        uint32_t a = g->nodes[i];
        for (uint32_t k = s->adj.out_off[a]; k < s->adj.out_off[a + 1]; k++) {
            uint32_t t = s->adj.out_txn[k];
            if (!b->mark[s->t.dst[t]] || !in_span(s, l, t))
                continue;
            if (!add_edge(g, t))
                return false;
        }
    }
    if (g->ne > 1)
        qsort(g->edges, g->ne, sizeof *g->edges, cmp_u32);
    if (l->max_edges && g->ne > l->max_edges) {
        g->cut_edges += g->ne - l->max_edges;
        g->ne = l->max_edges;
    }
    return true;
}

/* Begins a subgraph with the seeds (highlighted). */
static ft_status start(builder *b, const ft_store *s, ft_subgraph *g, const uint32_t *seeds,
                       uint32_t nseeds, ft_error *err)
{
    memset(g, 0, sizeof *g);
    b->s = s;
    b->g = g;
    b->cap_seed = 0;
    if (!s->adj.out_off)
        return ft_error_set(err, FT_EUSAGE, "export: build the store's adjacency first");
    b->mark = calloc((size_t)s->accounts.n + 1, sizeof *b->mark);
    if (!b->mark)
        return ft_error_oom(err);
    for (uint32_t i = 0; i < nseeds; i++) {
        if (!add_node(b, seeds[i], true)) {
            free(b->mark);
            ft_subgraph_free(g);
            return ft_error_oom(err);
        }
    }
    return FT_OK;
}

static ft_status done(builder *b, ft_status rc, ft_error *err)
{
    free(b->mark);
    if (rc == FT_OK && !finish(b->g))
        rc = ft_error_oom(err);
    if (rc != FT_OK)
        ft_subgraph_free(b->g);
    return rc;
}

ft_status ft_export_neighbourhood(const ft_store *s, const uint32_t *seeds, uint32_t nseeds,
                                  int hops, const ft_export_limits *l, ft_subgraph *g,
                                  ft_error *err)
{
    builder b;
    ft_status rc = start(&b, s, g, seeds, nseeds, err);
    if (rc != FT_OK)
        return rc;
    /* Breadth first, hop by hop: g->nodes[lo, hi) is the last layer. */
    uint32_t lo = 0;
    for (int h = 0; h < hops; h++) {
        uint32_t hi = g->nn;
        for (uint32_t i = lo; i < hi; i++) {
            uint32_t a = g->nodes[i];
            uint32_t deg = s->adj.out_off[a + 1] - s->adj.out_off[a] + s->adj.in_off[a + 1] -
                           s->adj.in_off[a];
            if (l->max_degree && deg > l->max_degree && !g->seed[i])
                continue; /* a hub: shown, not expanded */
            for (int dir = 0; dir < 2; dir++) {
                const uint32_t *list = dir ? s->adj.in_txn : s->adj.out_txn;
                uint32_t from = dir ? s->adj.in_off[a] : s->adj.out_off[a];
                uint32_t to = dir ? s->adj.in_off[a + 1] : s->adj.out_off[a + 1];
                for (uint32_t k = from; k < to; k++) {
                    uint32_t t = list[k], peer = dir ? s->t.src[t] : s->t.dst[t];
                    if (b.mark[peer] || !in_span(s, l, t))
                        continue;
                    if (l->max_nodes && g->nn >= l->max_nodes) {
                        g->cut_nodes++;
                        b.mark[peer] = UINT32_MAX; /* counted once */
                        continue;
                    }
                    if (!add_node(&b, peer, false))
                        return done(&b, ft_error_oom(err), err);
                }
            }
        }
        lo = hi;
    }
    /* Marks of cut accounts must not look like nodes below. */
    for (uint32_t a = 0; a < s->accounts.n; a++)
        if (b.mark[a] == UINT32_MAX)
            b.mark[a] = 0;
    if (!edges_among(&b, l))
        return done(&b, ft_error_oom(err), err);
    snprintf(g->what, sizeof g->what, "the accounts within %d hop%s of %u seed%s", hops,
             hops == 1 ? "" : "s", nseeds, nseeds == 1 ? "" : "s");
    return done(&b, FT_OK, err);
}

ft_status ft_export_transfers(const ft_store *s, const uint32_t *txns, uint32_t ntxns,
                              const uint32_t *seeds, uint32_t nseeds, const ft_export_limits *l,
                              ft_subgraph *g, ft_error *err)
{
    builder b;
    ft_status rc = start(&b, s, g, seeds, nseeds, err);
    if (rc != FT_OK)
        return rc;
    for (uint32_t i = 0; i < ntxns; i++) {
        uint32_t t = txns[i];
        if (!in_span(s, l, t))
            continue;
        if (l->max_edges && g->ne >= l->max_edges) {
            g->cut_edges++;
            continue;
        }
        if ((!b.mark[s->t.src[t]] || !b.mark[s->t.dst[t]]) && l->max_nodes &&
            g->nn + 2 > l->max_nodes) {
            g->cut_edges++;
            continue;
        }
        if (!add_node(&b, s->t.src[t], false) || !add_node(&b, s->t.dst[t], false) ||
            !add_edge(g, t))
            return done(&b, ft_error_oom(err), err);
    }
    snprintf(g->what, sizeof g->what, "%u transfers", ntxns);
    return done(&b, FT_OK, err);
}

ft_status ft_export_accounts(const ft_store *s, const uint32_t *accts, uint32_t naccts,
                             const uint32_t *seeds, uint32_t nseeds, const ft_export_limits *l,
                             ft_subgraph *g, ft_error *err)
{
    builder b;
    ft_status rc = start(&b, s, g, seeds, nseeds, err);
    if (rc != FT_OK)
        return rc;
    for (uint32_t i = 0; i < naccts; i++) {
        if (b.mark[accts[i]])
            continue;
        if (l->max_nodes && g->nn >= l->max_nodes) {
            g->cut_nodes++;
            continue;
        }
        if (!add_node(&b, accts[i], false))
            return done(&b, ft_error_oom(err), err);
    }
    if (!edges_among(&b, l))
        return done(&b, ft_error_oom(err), err);
    snprintf(g->what, sizeof g->what, "%u accounts", naccts);
    return done(&b, FT_OK, err);
}

/* --- writing -------------------------------------------------------------------------------- */

/* The length of the UTF-8 sequence at p (at most n bytes), 0 when it is
 * not valid UTF-8 or is a character XML 1.0 cannot hold. */
static size_t utf8_char(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!len || len > n || c > 0xF4)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t i = 1; i < len; i++)
        cp = cp << 6 | (p[i] & 0x3F);
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return len;
}

void ft_xml_text(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_char(p + i, len - i);
        if (k == 0) {
            fputs("\xEF\xBF\xBD", f); /* U+FFFD */
            i++;
            continue;
        }
        switch (p[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\r': fputs("&#13;", f); break;
        case '\t': fputs("&#9;", f); break;
        default: fwrite(p + i, 1, k, f); break;
        }
        i += k;
    }
}

static void xml_cstr(FILE *f, const char *s)
{
    ft_xml_text(f, s, strlen(s));
}

/* DOT strings: quotes and backslashes escaped, bytes that are not UTF-8
 * replaced, as for XML. */
static void dot_text(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_char(p + i, len - i);
        if (k == 0) {
            fputs("\xEF\xBF\xBD", f);
            i++;
            continue;
        }
        if (p[i] == '"' || p[i] == '\\')
            fputc('\\', f);
        if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t')
            fputc(' ', f);
        else
            fwrite(p + i, 1, k, f);
        i += k;
    }
}

typedef struct edge_text {
    char id[256], amount[64], time[40];
    const char *currency, *memo, *channel, *label;
    size_t memo_len, channel_len, label_len;
} edge_text;

static void edge_fields(const ft_store *s, uint32_t t, edge_text *e)
{
    ft_store_txid(s, t, e->id, sizeof e->id);
    ft_money_format(s->t.amount[t], s->currencies[s->t.cur[t]].exponent, e->amount,
                    sizeof e->amount);
    if (!ft_time_format(s->t.ts_ms[t], e->time, sizeof e->time))
        strcpy(e->time, "?");
    e->currency = s->currencies[s->t.cur[t]].code;
    e->memo = e->channel = e->label = NULL;
    e->memo_len = e->channel_len = e->label_len = 0;
    if (s->t.memo && s->t.memo[t] && !s->pseudo) /* free text may name people */
        e->memo = ft_pool_get(&s->strings, s->t.memo[t], &e->memo_len);
    if (s->t.channel && s->t.channel[t])
        e->channel = ft_intern_str(&s->channels, s->t.channel[t] - 1, &e->channel_len);
    if (s->t.label && s->t.label[t])
        e->label = ft_intern_str(&s->labels, s->t.label[t] - 1, &e->label_len);
}

/* One attribute of an edge: GraphML <data>, or a GEXF <attvalue>. */
static void xml_attr(FILE *f, bool graphml, const char *key, const char *text, size_t len)
{
    fprintf(f, graphml ? "<data key=\"%s\">" : "<attvalue for=\"%s\" value=\"", key);
    ft_xml_text(f, text, len);
    fputs(graphml ? "</data>" : "\"/>", f);
}

/* An edge element up to its target's closing quote: id, source, target. */
static void xml_edge_open(FILE *f, const ft_store *s, uint32_t t, const edge_text *x,
                          const char *indent)
{
    size_t la, lb;
    const char *a = ft_store_account_shown(s, s->t.src[t], &la);
    const char *b = ft_store_account_shown(s, s->t.dst[t], &lb);
    fprintf(f, "%s<edge id=\"", indent);
    xml_cstr(f, x->id);
    fputs("\" source=\"", f);
    ft_xml_text(f, a, la);
    fputs("\" target=\"", f);
    ft_xml_text(f, b, lb);
}

/* The attributes an edge may lack: channel, memo, label, alerts. */
static void xml_optional(FILE *f, bool graphml, const edge_text *x, const char *alerts)
{
    if (x->channel)
        xml_attr(f, graphml, "channel", x->channel, x->channel_len);
    if (x->memo)
        xml_attr(f, graphml, "memo", x->memo, x->memo_len);
    if (x->label)
        xml_attr(f, graphml, "tag", x->label, x->label_len);
    if (alerts && alerts[0])
        xml_attr(f, graphml, "alerts", alerts, strlen(alerts));
}

/* Each node's first transfer in g (its appearance on a timeline). */
static int64_t *first_seen(const ft_store *s, const ft_subgraph *g)
{
    int64_t *first = malloc(((size_t)g->nn + 1) * sizeof *first);
    if (!first)
        return NULL;
    for (uint32_t i = 0; i < g->nn; i++)
        first[i] = INT64_MAX;
    for (uint32_t e = 0; e < g->ne; e++) {
        uint32_t t = g->edges[e];
        uint32_t a = ft_subgraph_node(g, s->t.src[t]), b = ft_subgraph_node(g, s->t.dst[t]);
        if (s->t.ts_ms[t] < first[a])
            first[a] = s->t.ts_ms[t];
        if (s->t.ts_ms[t] < first[b])
            first[b] = s->t.ts_ms[t];
    }
    return first;
}

static void write_graphml(FILE *f, const ft_store *s, const ft_subgraph *g,
                          const char *const *alerts)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
          "  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n"
          "  <key id=\"seed\" for=\"node\" attr.name=\"seed\" attr.type=\"boolean\"/>\n"
          "  <key id=\"txn\" for=\"edge\" attr.name=\"txn\" attr.type=\"string\"/>\n"
          "  <key id=\"amount\" for=\"edge\" attr.name=\"amount\" attr.type=\"string\"/>\n"
          "  <key id=\"value\" for=\"edge\" attr.name=\"value\" attr.type=\"double\"/>\n"
          "  <key id=\"currency\" for=\"edge\" attr.name=\"currency\" attr.type=\"string\"/>\n"
          "  <key id=\"time\" for=\"edge\" attr.name=\"time\" attr.type=\"string\"/>\n"
          "  <key id=\"time_ms\" for=\"edge\" attr.name=\"time_ms\" attr.type=\"long\"/>\n"
          "  <key id=\"channel\" for=\"edge\" attr.name=\"channel\" attr.type=\"string\"/>\n"
          "  <key id=\"memo\" for=\"edge\" attr.name=\"memo\" attr.type=\"string\"/>\n"
          "  <key id=\"tag\" for=\"edge\" attr.name=\"label\" attr.type=\"string\"/>\n"
          "  <key id=\"alerts\" for=\"edge\" attr.name=\"alerts\" attr.type=\"string\"/>\n"
          "  <key id=\"cut_nodes\" for=\"graph\" attr.name=\"cut_nodes\" attr.type=\"long\"/>\n"
          "  <key id=\"cut_edges\" for=\"graph\" attr.name=\"cut_edges\" attr.type=\"long\"/>\n"
          "  <key id=\"what\" for=\"graph\" attr.name=\"what\" attr.type=\"string\"/>\n",
          f);
    if (g->provenance)
        fputs("  <key id=\"provenance\" for=\"graph\" attr.name=\"provenance\" "
              "attr.type=\"string\"/>\n",
              f);
    fputs("  <graph id=\"fundtrace\" edgedefault=\"directed\">\n", f);
    if (g->provenance) {
        fputs("    <data key=\"provenance\">", f);
        xml_cstr(f, g->provenance);
        fputs("</data>\n", f);
    }
    fputs("    <data key=\"what\">", f);
    xml_cstr(f, g->what);
    fprintf(f, "</data>\n    <data key=\"cut_nodes\">%" PRIu64 "</data>\n"
               "    <data key=\"cut_edges\">%" PRIu64 "</data>\n",
            g->cut_nodes, g->cut_edges);
    for (uint32_t i = 0; i < g->nn; i++) {
        size_t len;
        const char *k = ft_store_account_shown(s, g->nodes[i], &len);
        fputs("    <node id=\"", f);
        ft_xml_text(f, k, len);
        fputs("\"><data key=\"label\">", f);
        ft_xml_text(f, k, len);
        fprintf(f, "</data><data key=\"seed\">%s</data></node>\n", g->seed[i] ? "true" : "false");
    }
    for (uint32_t e = 0; e < g->ne; e++) {
        uint32_t t = g->edges[e];
        edge_text x;
        edge_fields(s, t, &x);
        xml_edge_open(f, s, t, &x, "    ");
        fputs("\"><data key=\"txn\">", f);
        xml_cstr(f, x.id);
        fprintf(f, "</data><data key=\"amount\">%s</data><data key=\"value\">%s</data>"
                   "<data key=\"currency\">%s</data><data key=\"time\">%s</data>"
                   "<data key=\"time_ms\">%" PRId64 "</data>",
                x.amount, x.amount, x.currency, x.time, s->t.ts_ms[t]);
        xml_optional(f, true, &x, alerts ? alerts[e] : NULL);
        fputs("</edge>\n", f);
    }
    fputs("  </graph>\n</graphml>\n", f);
}

/* GEXF 1.3, dynamic. Times are ISO 8601 strings under timeformat "date",
 * the form networkx reads and writes (it does not know "dateTime");
 * Gephi reads the full timestamps. */
static void write_gexf(FILE *f, const ft_store *s, const ft_subgraph *g, const int64_t *first,
                       const char *const *alerts)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
          "  <meta>\n    <creator>fundtrace</creator>\n    <description>",
          f);
    xml_cstr(f, g->what);
    fprintf(f, " (left out: %" PRIu64 " accounts, %" PRIu64 " transfers)", g->cut_nodes,
            g->cut_edges);
    if (g->provenance) {
        fputs("\nprovenance: ", f);
        xml_cstr(f, g->provenance);
    }
    fputs("</description>\n"
          "  </meta>\n"
          "  <graph mode=\"dynamic\" defaultedgetype=\"directed\" timeformat=\"date\">\n"
          "    <attributes class=\"node\" mode=\"static\">\n"
          "      <attribute id=\"seed\" title=\"seed\" type=\"boolean\"/>\n"
          "    </attributes>\n"
          "    <attributes class=\"edge\" mode=\"static\">\n"
          "      <attribute id=\"txn\" title=\"txn\" type=\"string\"/>\n"
          "      <attribute id=\"amount\" title=\"amount\" type=\"string\"/>\n"
          "      <attribute id=\"value\" title=\"value\" type=\"double\"/>\n"
          "      <attribute id=\"currency\" title=\"currency\" type=\"string\"/>\n"
          "      <attribute id=\"time\" title=\"time\" type=\"string\"/>\n"
          "      <attribute id=\"channel\" title=\"channel\" type=\"string\"/>\n"
          "      <attribute id=\"memo\" title=\"memo\" type=\"string\"/>\n"
          "      <attribute id=\"tag\" title=\"label\" type=\"string\"/>\n"
          "      <attribute id=\"alerts\" title=\"alerts\" type=\"string\"/>\n"
          "    </attributes>\n"
          "    <nodes>\n",
          f);
    for (uint32_t i = 0; i < g->nn; i++) {
        size_t len;
        const char *k = ft_store_account_shown(s, g->nodes[i], &len);
        fputs("      <node id=\"", f);
        ft_xml_text(f, k, len);
        fputs("\" label=\"", f);
        ft_xml_text(f, k, len);
        fputc('"', f);
        char t0[40];
        if (first[i] != INT64_MAX && ft_time_format(first[i], t0, sizeof t0))
            fprintf(f, " start=\"%s\"", t0);
        fprintf(f, "><attvalues><attvalue for=\"seed\" value=\"%s\"/></attvalues></node>\n",
                g->seed[i] ? "true" : "false");
    }
    fputs("    </nodes>\n    <edges>\n", f);
    for (uint32_t e = 0; e < g->ne; e++) {
        uint32_t t = g->edges[e];
        edge_text x;
        edge_fields(s, t, &x);
        xml_edge_open(f, s, t, &x, "      ");
        fprintf(f, "\" label=\"%s %s\" start=\"%s\" end=\"%s\"><attvalues>", x.amount,
                x.currency, x.time, x.time);
        fputs("<attvalue for=\"txn\" value=\"", f);
        xml_cstr(f, x.id);
        fprintf(f, "\"/><attvalue for=\"amount\" value=\"%s\"/><attvalue for=\"value\" "
                   "value=\"%s\"/><attvalue for=\"currency\" value=\"%s\"/><attvalue "
                   "for=\"time\" value=\"%s\"/>",
                x.amount, x.amount, x.currency, x.time);
        xml_optional(f, false, &x, alerts ? alerts[e] : NULL);
        fputs("</attvalues></edge>\n", f);
    }
    fputs("    </edges>\n  </graph>\n</gexf>\n", f);
}

static void write_dot(FILE *f, const ft_store *s, const ft_subgraph *g)
{
    if (g->provenance)
        fprintf(f, "// %s\n", g->provenance);
    fputs("digraph fundtrace {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
          "  edge [fontname=\"Helvetica\", fontsize=10];\n  label=\"",
          f);
    dot_text(f, g->what, strlen(g->what));
    if (g->cut_nodes || g->cut_edges)
        fprintf(f, " (left out: %" PRIu64 " accounts, %" PRIu64 " transfers)", g->cut_nodes,
                g->cut_edges);
    fputs("\";\n", f);
    for (uint32_t i = 0; i < g->nn; i++) {
        size_t len;
        const char *k = ft_store_account_shown(s, g->nodes[i], &len);
        fprintf(f, "  n%" PRIu32 " [label=\"", g->nodes[i]);
        dot_text(f, k, len);
        fprintf(f, "\"%s];\n", g->seed[i] ? ", style=filled, fillcolor=\"#f4c542\", penwidth=2" : "");
    }
    for (uint32_t e = 0; e < g->ne; e++) {
        uint32_t t = g->edges[e];
        edge_text x;
        edge_fields(s, t, &x);
        fprintf(f, "  n%" PRIu32 " -> n%" PRIu32 " [label=\"%s %s\\n%.10s\", tooltip=\"txn ",
                s->t.src[t], s->t.dst[t], x.amount, x.currency, x.time);
        dot_text(f, x.id, strlen(x.id));
        fputs("\"];\n", f);
    }
    fputs("}\n", f);
}

static void write_csv(FILE *f, const ft_store *s, const ft_subgraph *g, bool nodes,
                      const int64_t *first, const char *const *alerts)
{
    if (g->provenance && g->provenance_csv)
        fprintf(f, "# %s\n", g->provenance);
    if (nodes) {
        fputs("account,seed,first_time\n", f);
        for (uint32_t i = 0; i < g->nn; i++) {
            size_t len;
            const char *k = ft_store_account_shown(s, g->nodes[i], &len);
            char t0[40] = "";
            if (first[i] != INT64_MAX && !ft_time_format(first[i], t0, sizeof t0))
                t0[0] = '\0';
            ft_csv_write_field(f, k, len);
            fprintf(f, ",%s,%s\n", g->seed[i] ? "true" : "false", t0);
        }
        return;
    }
    fputs("txn,from,to,time,amount,currency,channel,memo,label,alerts\n", f);
    for (uint32_t e = 0; e < g->ne; e++) {
        uint32_t t = g->edges[e];
        edge_text x;
        edge_fields(s, t, &x);
        size_t la, lb;
        const char *a = ft_store_account_shown(s, s->t.src[t], &la);
        const char *b = ft_store_account_shown(s, s->t.dst[t], &lb);
        ft_csv_write_field(f, x.id, strlen(x.id));
        fputc(',', f);
        ft_csv_write_field(f, a, la);
        fputc(',', f);
        ft_csv_write_field(f, b, lb);
        fprintf(f, ",%s,%s,", x.time, x.amount);
        ft_csv_write_field(f, x.currency, strlen(x.currency));
        fputc(',', f);
        ft_csv_write_field(f, x.channel ? x.channel : "", x.channel_len);
        fputc(',', f);
        ft_csv_write_field(f, x.memo ? x.memo : "", x.memo_len);
        fputc(',', f);
        ft_csv_write_field(f, x.label ? x.label : "", x.label_len);
        fputc(',', f);
        const char *al = alerts && alerts[e] ? alerts[e] : "";
        ft_csv_write_field(f, al, strlen(al));
        fputc('\n', f);
    }
}

ft_status ft_export_write(FILE *f, const ft_store *s, const ft_subgraph *g, ft_export_format fmt,
                          const char *const *alerts, ft_error *err)
{
    int64_t *first = NULL;
    if (fmt == FT_EXPORT_GEXF || fmt == FT_EXPORT_CSV_NODES) {
        if (!(first = first_seen(s, g)))
            return ft_error_oom(err);
    }
    switch (fmt) {
    case FT_EXPORT_GRAPHML:
        write_graphml(f, s, g, alerts);
        break;
    case FT_EXPORT_GEXF:
        write_gexf(f, s, g, first, alerts);
        break;
    case FT_EXPORT_DOT:
        write_dot(f, s, g);
        break;
    case FT_EXPORT_CSV_NODES:
    case FT_EXPORT_CSV_EDGES:
        write_csv(f, s, g, fmt == FT_EXPORT_CSV_NODES, first, alerts);
        break;
    }
    free(first);
    if (fflush(f) != 0 || ferror(f))
        return ft_error_set(err, FT_EIO, "cannot write the export: %s", strerror(errno));
    return FT_OK;
}

ft_status ft_export_save(const ft_store *s, const ft_subgraph *g, ft_export_format fmt,
                         const char *path, const char *const *alerts, ft_error *err)
{
    bool csv = fmt == FT_EXPORT_CSV_NODES || fmt == FT_EXPORT_CSV_EDGES;
    ft_writer w[2] = {{.fd = -1}, {.fd = -1}};
    ft_status rc = FT_OK;
    for (int part = 0; part < (csv ? 2 : 1) && rc == FT_OK; part++) {
        size_t len = strlen(path) + 16;
        char *name = malloc(len);
        if (!name) {
            rc = ft_error_oom(err);
            break;
        }
        snprintf(name, len, csv ? "%s-%s.csv" : "%s", path, part ? "edges" : "nodes");
        rc = ft_writer_open(&w[part], name, false, err);
        free(name);
        FILE *f = rc == FT_OK ? ft_writer_stream(&w[part]) : NULL;
        if (rc == FT_OK && !f)
            rc = ft_error_oom(err);
        if (rc == FT_OK)
            rc = ft_export_write(f, s, g,
                                 csv ? (part ? FT_EXPORT_CSV_EDGES : FT_EXPORT_CSV_NODES) : fmt,
                                 alerts, err);
    }
    for (int part = 0; part < 2; part++) {
        if (rc == FT_OK && w[part].path)
            rc = ft_writer_close(&w[part], err);
        ft_writer_abort(&w[part]);
    }
    return rc;
}
