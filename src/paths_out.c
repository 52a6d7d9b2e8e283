/*
 * paths_out.c - paths and flows as a table, JSON (Lines) or CSV.
 *
 * One JSON object per path or flow: kind, the transfers in order (id,
 * from, to, time, currency, amount, and for a flow the amount it carries).
 * CSV: one row per transfer, the same columns for paths and flows.
 */
#include "fundtrace/paths.h"

#include <inttypes.h>
#include <string.h>

#include "fundtrace/money.h"
#include "fundtrace/time.h"

static void money_text(const ft_store *s, uint16_t cur, int64_t v, char buf[64])
{
    ft_money_format(v, s->currencies[cur].exponent, buf, 64);
}

static void when(int64_t ms, char buf[40])
{
    if (!ft_time_format(ms, buf, 40))
        strcpy(buf, "?");
}

/* One transfer as a JSON object; flow < 0: none. */
static void json_txn(ft_json *j, const ft_store *s, uint32_t t, int64_t flow)
{
    char buf[128];
    size_t len;
    ft_json_object(j, NULL);
    len = ft_store_txid(s, t, buf, sizeof buf);
    ft_json_string(j, "txn", buf, len);
    const char *k = ft_store_account(s, s->t.src[t], &len);
    ft_json_string(j, "from", k, len);
    k = ft_store_account(s, s->t.dst[t], &len);
    ft_json_string(j, "to", k, len);
    when(s->t.ts_ms[t], buf);
    ft_json_cstr(j, "time", buf);
    ft_json_cstr(j, "currency", s->currencies[s->t.cur[t]].code);
    money_text(s, s->t.cur[t], s->t.amount[t], buf);
    ft_json_cstr(j, "amount", buf);
    if (flow >= 0) {
        money_text(s, s->t.cur[t], flow, buf);
        ft_json_cstr(j, "flow", buf);
    }
    ft_json_end(j, '}');
}

static void csv_txn(FILE *f, const ft_store *s, const char *kind, uint64_t index, uint32_t step,
                    uint32_t t, int64_t flow)
{
    char buf[128];
    size_t len;
    fprintf(f, "%s,%" PRIu64 ",%" PRIu32 ",", kind, index, step);
    len = ft_store_txid(s, t, buf, sizeof buf);
    ft_csv_write_field(f, buf, len);
    fputc(',', f);
    const char *k = ft_store_account(s, s->t.src[t], &len);
    ft_csv_write_field(f, k, len);
    fputc(',', f);
    k = ft_store_account(s, s->t.dst[t], &len);
    ft_csv_write_field(f, k, len);
    when(s->t.ts_ms[t], buf);
    fprintf(f, ",%s,", buf);
    const char *code = s->currencies[s->t.cur[t]].code;
    ft_csv_write_field(f, code, strlen(code));
    fputc(',', f);
    money_text(s, s->t.cur[t], s->t.amount[t], buf);
    fputs(buf, f);
    fputc(',', f);
    if (flow >= 0) {
        money_text(s, s->t.cur[t], flow, buf);
        fputs(buf, f);
    }
    fputc('\n', f);
}

static void table_txn(FILE *f, const ft_store *s, uint32_t t, int64_t flow)
{
    char tm[40], amt[64], fl[64], id[128];
    size_t la, lb;
    const char *a = ft_store_account(s, s->t.src[t], &la);
    const char *b = ft_store_account(s, s->t.dst[t], &lb);
    when(s->t.ts_ms[t], tm);
    money_text(s, s->t.cur[t], s->t.amount[t], amt);
    ft_store_txid(s, t, id, sizeof id);
    fprintf(f, "  %s  %.*s -> %.*s  %s %s", tm, (int)la, a, (int)lb, b, amt,
            s->currencies[s->t.cur[t]].code);
    if (flow >= 0) {
        money_text(s, s->t.cur[t], flow, fl);
        fprintf(f, ", carries %s", fl);
    }
    fprintf(f, "  (txn %s)\n", id);
}

void ft_paths_csv_header(FILE *f)
{
    fputs("kind,path,step,txn,from,to,time,currency,amount,flow\n", f);
}

static const char *kind_text(const char *kind)
{
    if (strcmp(kind, "earliest") == 0)
        return "earliest arrival";
    if (strcmp(kind, "fewest") == 0)
        return "fewest hops";
    if (strcmp(kind, "static") == 0)
        return "static shortest (order in time ignored)";
    return "path";
}

void ft_path_write(FILE *f, const ft_store *s, const char *kind, uint64_t index,
                   const ft_path *p, ft_format fmt)
{
    if (fmt == FT_FORMAT_CSV) {
        for (uint32_t i = 0; i < p->n; i++)
            csv_txn(f, s, kind, index, i + 1, p->txn[i], -1);
        return;
    }
    if (fmt == FT_FORMAT_TABLE) {
        if (!p->n) {
            fprintf(f, "%s: no path\n", kind_text(kind));
            return;
        }
        char a[40], b[40];
        when(s->t.ts_ms[p->txn[0]], a);
        when(s->t.ts_ms[p->txn[p->n - 1]], b);
        if (strcmp(kind, "all") == 0)
            fprintf(f, "path %" PRIu64 ": %" PRIu32 " hop%s, %s to %s\n", index, p->n,
                    p->n == 1 ? "" : "s", a, b);
        else
            fprintf(f, "%s: %" PRIu32 " hop%s, %s to %s\n", kind_text(kind), p->n,
                    p->n == 1 ? "" : "s", a, b);
        for (uint32_t i = 0; i < p->n; i++)
            table_txn(f, s, p->txn[i], -1);
        return;
    }
    ft_json j;
    ft_json_init(&j, f, false);
    ft_json_object(&j, NULL);
    ft_json_cstr(&j, "kind", kind);
    if (strcmp(kind, "all") == 0)
        ft_json_int(&j, "path", (int64_t)index);
    ft_json_bool(&j, "found", p->n > 0);
    if (p->n) {
        char buf[64];
        size_t len;
        ft_json_int(&j, "hops", p->n);
        const char *k = ft_store_account(s, s->t.src[p->txn[0]], &len);
        ft_json_string(&j, "from", k, len);
        k = ft_store_account(s, s->t.dst[p->txn[p->n - 1]], &len);
        ft_json_string(&j, "to", k, len);
        when(s->t.ts_ms[p->txn[0]], buf);
        ft_json_cstr(&j, "first_time", buf);
        when(s->t.ts_ms[p->txn[p->n - 1]], buf);
        ft_json_cstr(&j, "last_time", buf);
        /* The most that could have gone all the way: the smallest transfer,
         * when they share a currency. */
        uint16_t cur = s->t.cur[p->txn[0]];
        int64_t least = s->t.amount[p->txn[0]];
        bool one = true;
        for (uint32_t i = 1; i < p->n; i++) {
            one = one && s->t.cur[p->txn[i]] == cur;
            if (s->t.amount[p->txn[i]] < least)
                least = s->t.amount[p->txn[i]];
        }
        ft_json_object(&j, "bottleneck");
        if (one) {
            money_text(s, cur, least, buf);
            ft_json_cstr(&j, s->currencies[cur].code, buf);
        }
        ft_json_end(&j, '}');
        ft_json_array(&j, "txns");
        for (uint32_t i = 0; i < p->n; i++)
            json_txn(&j, s, p->txn[i], -1);
        ft_json_end(&j, ']');
    }
    ft_json_end(&j, '}');
    fputc('\n', f);
}

void ft_flow_write(FILE *f, const ft_store *s, const char *kind, uint16_t cur,
                   const ft_flow *fl, ft_format fmt)
{
    char buf[64];
    if (fmt == FT_FORMAT_CSV) {
        for (uint32_t i = 0; i < fl->nedges; i++)
            csv_txn(f, s, kind, 1, i + 1, fl->edges[i].txn, fl->edges[i].flow);
        return;
    }
    money_text(s, cur, fl->value, buf);
    bool temporal = strcmp(kind, "maxflow_temporal") == 0;
    /* Both flows use only the transfers of the window; the static one
     * ignores their order in time within it. */
    bool window = fl->since_ms != INT64_MIN || fl->until_ms != INT64_MAX;
    char since[40] = "the start", until[40] = "the end";
    if (fl->since_ms != INT64_MIN)
        when(fl->since_ms, since);
    if (fl->until_ms != INT64_MAX)
        when(fl->until_ms, until);
    if (fmt == FT_FORMAT_TABLE) {
        fprintf(f,
                "maximum flow, %s%s%s%s%s: %s %s through %" PRIu32 " of %" PRIu32 " transfer%s\n",
                temporal ? "forward in time" : "static (order in time ignored)",
                window ? ", transfers from " : "", window ? since : "", window ? " to " : "",
                window ? until : "", buf, s->currencies[cur].code, fl->nedges, fl->transfers,
                fl->transfers == 1 ? "" : "s");
        for (uint32_t i = 0; i < fl->nedges; i++)
            table_txn(f, s, fl->edges[i].txn, fl->edges[i].flow);
        return;
    }
    ft_json j;
    ft_json_init(&j, f, false);
    ft_json_object(&j, NULL);
    ft_json_cstr(&j, "kind", kind);
    ft_json_cstr(&j, "currency", s->currencies[cur].code);
    ft_json_cstr(&j, "value", buf);
    ft_json_int(&j, "transfers_considered", fl->transfers);
    if (fl->since_ms != INT64_MIN)
        ft_json_cstr(&j, "since", since);
    if (fl->until_ms != INT64_MAX)
        ft_json_cstr(&j, "until", until);
    ft_json_array(&j, "txns");
    for (uint32_t i = 0; i < fl->nedges; i++)
        json_txn(&j, s, fl->edges[i].txn, fl->edges[i].flow);
    ft_json_end(&j, ']');
    ft_json_end(&j, '}');
    fputc('\n', f);
}
