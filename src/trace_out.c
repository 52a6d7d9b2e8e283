/*
 * trace_out.c - a trace as a table, JSON Lines, CSV, JSON or Graphviz DOT.
 *
 * Every amount is printed from integer minor units with its currency's
 * decimals, so the figures of a trace add up exactly.
 */
#include "fundtrace/trace.h"

#include <inttypes.h>
#include <string.h>

#include "fundtrace/handoff.h"
#include "fundtrace/money.h"
#include "fundtrace/pseudo.h"
#include "fundtrace/time.h"

static const char *cut_names[FT_CUT_COUNT] = {"hop_limit", "hub", "breadth", "min_amount"};

static void amount_text(const ft_store *s, uint16_t cur, int64_t v, char buf[64])
{
    ft_money_format(v, s->currencies[cur].exponent, buf, 64);
}

static void time_text(int64_t ms, char buf[40])
{
    if (ms == INT64_MIN || ms == INT64_MAX)
        strcpy(buf, ms == INT64_MIN ? "start" : "end");
    else if (!ft_time_format(ms, buf, 40))
        strcpy(buf, "?");
}

/* field: 0 received (the seed: sent), 1 held, 2 sent, 3 cut */
static int64_t pick(const ft_trace_amount *a, int field, bool seed)
{
    switch (field) {
    case 0:
        return seed ? a->sent + a->cut : a->received;
    case 1:
        return a->held;
    case 2:
        return a->sent;
    default:
        return a->cut;
    }
}

static void json_amounts(ft_json *j, const char *key, const ft_store *s, const ft_trace_result *r,
                         const ft_trace_node *n, int field, bool seed)
{
    char buf[64];
    ft_json_object(j, key);
    for (uint32_t k = 0; k < n->namounts; k++) {
        const ft_trace_amount *a = &r->amounts[n->amount0 + k];
        int64_t v = pick(a, field, seed);
        if (v == 0 && field != 0)
            continue;
        amount_text(s, a->cur, v, buf);
        ft_json_cstr(j, s->currencies[a->cur].code, buf);
    }
    ft_json_end(j, '}');
}

static void json_node_as(ft_json *j, const ft_store *s, const char *seed, const ft_trace_result *r,
                         uint32_t i, bool is_seed);

static void json_node(ft_json *j, const ft_store *s, const char *seed, const ft_trace_result *r,
                      uint32_t i)
{
    json_node_as(j, s, seed, r, i, i == 0);
}

/* Node i; is_seed: it is the seed (the first node, where a trace has one). */
static void json_node_as(ft_json *j, const ft_store *s, const char *seed, const ft_trace_result *r,
                         uint32_t i, bool is_seed)
{
    const ft_trace_node *n = &r->nodes[i];
    char buf[128];
    size_t len;
    const char *key = ft_store_account_shown(s, n->account, &len);
    ft_json_object(j, NULL);
    ft_json_cstr(j, "seed", seed);
    ft_json_string(j, "account", key, len);
    ft_json_int(j, "hops", n->hops);
    time_text(n->first_ms, buf);
    ft_json_cstr(j, "first_time", buf);
    json_amounts(j, "amounts", s, r, n, 0, is_seed);
    json_amounts(j, "held", s, r, n, 1, is_seed);
    json_amounts(j, "sent", s, r, n, 2, is_seed);
    json_amounts(j, "cut", s, r, n, 3, is_seed);
    ft_json_bool(j, "terminal", n->terminal);
    ft_json_bool(j, "hub", n->hub);
    ft_json_array(j, "txns");
    for (uint32_t k = 0; k < n->ntxns; k++) {
        size_t l = ft_store_txid(s, r->in_txn[n->txn0 + k], buf, sizeof buf);
        ft_json_string(j, NULL, buf, l);
    }
    ft_json_end(j, ']');
    ft_json_end(j, '}');
}

static void json_trace(FILE *f, const ft_store *s, const char *seed, const ft_trace_options *o,
                       const ft_trace_result *r, bool pretty)
{
    ft_json j;
    char buf[128];
    ft_json_init(&j, f, pretty);
    ft_json_object(&j, NULL);
    ft_json_cstr(&j, "seed", seed);
    ft_json_cstr(&j, "direction", r->backward ? "in" : "out");
    ft_json_cstr(&j, "policy", ft_policy_name(o->policy));
    time_text(r->start_ms, buf);
    ft_json_cstr(&j, "start", buf);
    time_text(r->end_ms, buf);
    ft_json_cstr(&j, "end", buf);
    ft_json_int(&j, "max_hops", o->max_hops);
    ft_json_int(&j, "max_degree", o->max_degree);
    ft_json_int(&j, "breadth", o->breadth);
    ft_json_array(&j, "accounts");
    for (uint32_t i = 0; i < r->nnodes; i++)
        json_node(&j, s, seed, r, i);
    ft_json_end(&j, ']');
    ft_json_array(&j, "trail");
    for (uint32_t e = 0; e < r->nedges; e++) {
        uint32_t t = r->edges[e].txn;
        size_t len;
        ft_json_object(&j, NULL);
        len = ft_store_txid(s, t, buf, sizeof buf);
        ft_json_string(&j, "txn", buf, len);
        const char *k = ft_store_account_shown(s, s->t.src[t], &len);
        ft_json_string(&j, "from", k, len);
        k = ft_store_account_shown(s, s->t.dst[t], &len);
        ft_json_string(&j, "to", k, len);
        time_text(s->t.ts_ms[t], buf);
        ft_json_cstr(&j, "time", buf);
        ft_json_cstr(&j, "currency", s->currencies[s->t.cur[t]].code);
        amount_text(s, s->t.cur[t], s->t.amount[t], buf);
        ft_json_cstr(&j, "amount", buf);
        amount_text(s, s->t.cur[t], r->edges[e].traced, buf);
        ft_json_cstr(&j, "traced", buf);
        ft_json_end(&j, '}');
    }
    ft_json_end(&j, ']');
    ft_json_object(&j, "cut");
    for (int c = 0; c < FT_CUT_COUNT; c++)
        ft_json_int(&j, cut_names[c], r->cut_count[c]);
    ft_json_end(&j, '}');
    ft_json_end(&j, '}');
    if (pretty)
        ft_json_finish(&j);
}

/* "40.00 EUR, 5.00 USD" for one field of a node. */
static void amounts_text(const ft_store *s, const ft_trace_result *r, const ft_trace_node *n,
                         int field, bool seed, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t k = 0; k < n->namounts && used + 40 < cap; k++) {
        const ft_trace_amount *a = &r->amounts[n->amount0 + k];
        int64_t v = pick(a, field, seed);
        if (v == 0)
            continue;
        char buf[64];
        amount_text(s, a->cur, v, buf);
        used += (size_t)snprintf(out + used, cap - used, "%s%s %s", used ? ", " : "", buf,
                                 s->currencies[a->cur].code);
    }
    if (!used)
        snprintf(out, cap, "-");
}

static void table_trace(FILE *f, const ft_store *s, const char *seed, const ft_trace_options *o,
                        const ft_trace_result *r)
{
    char a[40], b[40], in[160], held[160];
    time_text(r->start_ms, a);
    time_text(r->end_ms, b);
    fprintf(f, "trace %s %s: %s, %s, up to %d hops, %s to %s\n",
            r->backward ? "back from" : "from", seed,
            r->backward ? "where the money came from" : "where the money went",
            ft_policy_name(o->policy), o->max_hops, a, b);
    fprintf(f, "%" PRIu32 " account%s reached, %" PRIu32 " transfer%s carried traced money\n\n",
            r->nnodes, r->nnodes == 1 ? "" : "s", r->nedges, r->nedges == 1 ? "" : "s");
    fprintf(f, "  %4s  %-28s %-20s  %-24s %-24s %s\n", "hops", "account",
            r->backward ? "last sent" : "first arrival", r->backward ? "traced back" : "traced in",
            r->backward ? "source of" : "held now", "");
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const ft_trace_node *n = &r->nodes[i];
        size_t len;
        const char *k = ft_store_account_shown(s, n->account, &len);
        time_text(n->first_ms, a);
        amounts_text(s, r, n, 0, i == 0, in, sizeof in);
        amounts_text(s, r, n, 1, i == 0, held, sizeof held);
        fprintf(f, "  %4d  %-28.*s %-20s  %-24s %-24s %s%s%s\n", n->hops, (int)len, k, a, in,
                held, i == 0 ? (r->backward ? "seed (traced in)" : "seed (traced out)") : "", n->terminal ? "terminal" : "",
                n->hub ? (n->terminal ? ", hub" : "hub") : "");
    }
    int64_t cuts = 0;
    for (int c = 0; c < FT_CUT_COUNT; c++)
        cuts += r->cut_count[c];
    if (cuts) {
        fprintf(f, "\ncut short:");
        for (int c = 0; c < FT_CUT_COUNT; c++)
            if (r->cut_count[c])
                fprintf(f, " %s %" PRId64, cut_names[c], r->cut_count[c]);
        fputc('\n', f);
    }
    if (r->nedges) {
        fprintf(f, "\ntrail\n");
        for (uint32_t e = 0; e < r->nedges; e++) {
            uint32_t t = r->edges[e].txn;
            char id[128], amt[64], tr[64];
            size_t l1, l2;
            const char *from = ft_store_account_shown(s, s->t.src[t], &l1);
            const char *to = ft_store_account_shown(s, s->t.dst[t], &l2);
            time_text(s->t.ts_ms[t], a);
            ft_store_txid(s, t, id, sizeof id);
            amount_text(s, s->t.cur[t], s->t.amount[t], amt);
            amount_text(s, s->t.cur[t], r->edges[e].traced, tr);
            fprintf(f, "  %s  %.*s -> %.*s  %s %s, traced %s  (txn %s)\n", a, (int)l1, from,
                    (int)l2, to, amt, s->currencies[s->t.cur[t]].code, tr, id);
        }
    }
}

static void csv_trace(FILE *f, const ft_store *s, const char *seed, const ft_trace_result *r,
                      bool first)
{
    if (first)
        fputs("seed,account,hops,first_time,currency,traced_in,held,sent,cut,terminal,hub\n", f);
    char t[40], v[4][64];
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const ft_trace_node *n = &r->nodes[i];
        size_t len;
        const char *k = ft_store_account_shown(s, n->account, &len);
        time_text(n->first_ms, t);
        for (uint32_t m = 0; m < n->namounts; m++) {
            const ft_trace_amount *a = &r->amounts[n->amount0 + m];
            for (int fld = 0; fld < 4; fld++)
                amount_text(s, a->cur, pick(a, fld, i == 0), v[fld]);
            ft_csv_write_field(f, seed, strlen(seed));
            fputc(',', f);
            ft_csv_write_field(f, k, len);
            fprintf(f, ",%d,%s,%s,%s,%s,%s,%s,%s,%s\n", n->hops, t, s->currencies[a->cur].code,
                    v[0], v[1], v[2], v[3], n->terminal ? "true" : "false",
                    n->hub ? "true" : "false");
        }
    }
}

/* A DOT identifier: quoted, with quotes and backslashes escaped. */
static void dot_id(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\')
            fputc('\\', f);
        fputc(s[i] == '\n' ? ' ' : s[i], f);
    }
    fputc('"', f);
}

static void dot_trace(FILE *f, const ft_store *s, const char *seed, const ft_trace_result *r)
{
    fprintf(f, "digraph trace {\n  label=");
    char title[300];
    int n = snprintf(title, sizeof title, "trace from %s", seed);
    dot_id(f, title, (size_t)(n < 0 ? 0 : n));
    fprintf(f, ";\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const ft_trace_node *nd = &r->nodes[i];
        size_t len;
        const char *k = ft_store_account_shown(s, nd->account, &len);
        fputs("  ", f);
        dot_id(f, k, len);
        if (i == 0)
            fputs(" [style=filled, fillcolor=\"#f4a582\"]", f);
        else if (nd->terminal)
            fputs(" [style=filled, fillcolor=\"#92c5de\"]", f);
        else if (nd->hub)
            fputs(" [shape=doubleoctagon]", f);
        fputs(";\n", f);
    }
    for (uint32_t e = 0; e < r->nedges; e++) {
        uint32_t t = r->edges[e].txn;
        size_t l1, l2;
        const char *from = ft_store_account_shown(s, s->t.src[t], &l1);
        const char *to = ft_store_account_shown(s, s->t.dst[t], &l2);
        char when[40], amt[64], label[200];
        time_text(s->t.ts_ms[t], when);
        amount_text(s, s->t.cur[t], r->edges[e].traced, amt);
        int n2 = snprintf(label, sizeof label, "%s %s\\n%.10s", amt,
                          s->currencies[s->t.cur[t]].code, when);
        fputs("  ", f);
        dot_id(f, from, l1);
        fputs(" -> ", f);
        dot_id(f, to, l2);
        fputs(" [label=\"", f);
        fwrite(label, 1, (size_t)(n2 < 0 ? 0 : n2), f);
        fputs("\"];\n", f);
    }
    fputs("}\n", f);
}

void ft_trace_write(FILE *f, const ft_store *s, const char *seed, const ft_trace_options *o,
                    const ft_trace_result *r, ft_format fmt, bool first)
{
    char shown[FT_PSEUDO_LEN + 1];
    if (s->pseudo && r->nnodes > 0) { /* a seed account is shown as its token */
        size_t len;
        const char *key = ft_store_account(s, r->nodes[0].account, &len);
        if (strlen(seed) == len && memcmp(seed, key, len) == 0) {
            memcpy(shown, ft_store_account_shown(s, r->nodes[0].account, &len), FT_PSEUDO_LEN);
            shown[FT_PSEUDO_LEN] = '\0';
            seed = shown;
        }
    }
    switch (fmt) {
    case FT_FORMAT_JSONL: {
        ft_json j;
        for (uint32_t i = 0; i < r->nnodes; i++) {
            ft_json_init(&j, f, false);
            json_node(&j, s, seed, r, i);
            ft_json_finish(&j);
        }
        break;
    }
    case FT_FORMAT_JSON:
        json_trace(f, s, seed, o, r, true);
        break;
    case FT_FORMAT_CSV:
        csv_trace(f, s, seed, r, first);
        break;
    case FT_FORMAT_DOT:
        dot_trace(f, s, seed, r);
        break;
    case FT_FORMAT_TABLE:
        if (!first)
            fputc('\n', f);
        table_trace(f, s, seed, o, r);
        break;
    }
}

bool ft_trace_write_held(FILE *f, const ft_store *s, const char *seed, const ft_trace_result *r,
                         const uint8_t *local, bool seed_here)
{
    bool found = false;
    for (uint32_t i = 0; i < r->nnodes; i++) {
        if (!local[r->nodes[i].account])
            continue;
        bool is_seed = seed_here && i == 0;
        found |= !is_seed;
        ft_json j;
        ft_json_init(&j, f, false);
        json_node_as(&j, s, seed, r, i, is_seed);
        ft_json_finish(&j);
    }
    return found;
}
