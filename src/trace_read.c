/*
 * trace_read.c - trace files read back (see trace_read.h).
 *
 * JSON Lines records are accounts; a JSON record is a whole trace whose
 * accounts are handed out one by one; CSV rows of the same seed and
 * account, one per currency, are gathered into one account.
 */
#include "fundtrace/trace_read.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/json.h"
#include "recfile.h"

enum { C_SEED, C_ACCOUNT, C_HOPS, C_FIRST, C_CUR, C_IN, C_HELD, C_SENT, C_CUT, C_TERM, C_HUB, NC };

static const char *const csv_cols[NC] = {"seed",     "account",   "hops", "first_time",
                                         "currency", "traced_in", "held", "sent",
                                         "cut",      "terminal",  "hub"};

struct ft_trace_file {
    rf f;
    ft_trace_node_in n;
    ft_trace_amount_in *amounts;
    uint32_t cap_amounts;
    rf_strs txns;
    /* JSON: the trace being handed out */
    const ft_jv *trace;
    uint32_t next_account;
    /* CSV */
    int col[NC];
    char *row;      /* the current account's fields, NUL-terminated */
    size_t cap_row; /* (kept across the currency rows it gathers) */
    size_t used;
    const ft_csv_batch *pending_b;
    const ft_csv_row *pending;
};

static ft_status open_common(ft_trace_file **out, const char *path, const char *data, size_t len,
                             ft_error *err)
{
    ft_trace_file *t = calloc(1, sizeof *t);
    if (!t)
        return ft_error_oom(err);
    ft_status rc = rf_open(&t->f, path, data, len, err);
    if (rc == FT_OK && t->f.kind == RF_CSV) {
        for (int i = 0; i < NC; i++) {
            t->col[i] = rf_csv_col(&t->f, csv_cols[i]);
            if (t->col[i] < 0 && rc == FT_OK)
                rc = ft_error_at(err, FT_EINPUT, path, 1, 0,
                                 "not a trace file (JSON Lines, JSON, or CSV with the "
                                 "columns trace writes: no '%s')",
                                 csv_cols[i]);
        }
    }
    if (rc != FT_OK) {
        ft_trace_file_close(t);
        t = NULL;
    }
    *out = t;
    return rc;
}

ft_status ft_trace_file_open(ft_trace_file **t, const char *path, ft_error *err)
{
    return open_common(t, path, NULL, 0, err);
}

ft_status ft_trace_file_open_buffer(ft_trace_file **t, const char *name, const char *data,
                                    size_t len, ft_error *err)
{
    return open_common(t, name, data ? data : "", len, err);
}

ft_trace_file_format ft_trace_file_format_of(const ft_trace_file *t)
{
    return t->f.kind == RF_CSV ? FT_TRACE_FILE_CSV
           : t->f.first == '[' ? FT_TRACE_FILE_JSON
                               : FT_TRACE_FILE_JSONL;
}

void ft_trace_file_close(ft_trace_file *t)
{
    if (!t)
        return;
    rf_close(&t->f);
    rf_strs_free(&t->txns);
    free(t->amounts);
    free(t->row);
    free(t);
}

static bool amount_room(ft_trace_file *t, uint32_t n)
{
    if (n <= t->cap_amounts)
        return true;
    uint32_t cap = t->cap_amounts ? t->cap_amounts * 2 : 8;
    while (cap < n)
        cap *= 2;
    ft_trace_amount_in *a = realloc(t->amounts, cap * sizeof *a);
    if (!a)
        return false;
    t->amounts = a;
    t->cap_amounts = cap;
    return true;
}

/* hops: a whole number as written */
static bool whole(const char *s, int64_t *v)
{
    *v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || *v > 100000000)
            return false;
        *v = *v * 10 + (*s - '0');
    }
    return true;
}

/* The amounts of one field ("amounts", "held", ...) of a JSON account. */
static bool json_amounts(ft_trace_file *t, const ft_jv *o, const char *key, int field)
{
    const ft_jv *m = ft_jv_get(o, key);
    if (!m)
        return field != 0;
    if (m->type != FT_JSON_OBJECT)
        return false;
    for (uint32_t i = 0; i < m->n; i++) {
        const char *cur = m->items[2 * i].s;
        const ft_jv *v = &m->items[2 * i + 1];
        if (v->type != FT_JSON_STRING && v->type != FT_JSON_NUMBER)
            return false;
        uint32_t k = 0;
        while (k < t->n.namounts && strcmp(t->amounts[k].currency, cur) != 0)
            k++;
        if (k == t->n.namounts) {
            if (!amount_room(t, k + 1))
                return false;
            memset(&t->amounts[k], 0, sizeof t->amounts[k]);
            t->amounts[k].currency = cur;
            t->n.namounts++;
        }
        const char **slot[4] = {&t->amounts[k].received, &t->amounts[k].held, &t->amounts[k].sent,
                                &t->amounts[k].cut};
        *slot[field] = v->s;
    }
    return true;
}

static ft_status json_node(ft_trace_file *t, const ft_jv *o, const char *seed, ft_error *err)
{
    ft_json_reader *j = t->f.json;
    ft_trace_node_in *n = &t->n;
    memset(n, 0, sizeof *n);
    n->line = o->line;
    n->amounts = t->amounts;
    if (o->type != FT_JSON_OBJECT)
        return ft_json_error_at(j, o, err,
                                "not a traced account (an object with \"seed\", "
                                "\"account\" and \"txns\")");
    const ft_jv *v;
    if ((v = ft_jv_get(o, "seed")) && v->type == FT_JSON_STRING)
        n->seed = v->s;
    else if (!v && seed)
        n->seed = seed;
    if ((v = ft_jv_get(o, "account")) && v->type == FT_JSON_STRING)
        n->account = v->s;
    if ((v = ft_jv_get(o, "first_time")) && v->type == FT_JSON_STRING)
        n->first_time = v->s;
    if (!n->seed || !n->account)
        return ft_json_error_at(j, o, err, "a traced account needs \"seed\" and \"account\"");
    if ((v = ft_jv_get(o, "hops")) && (v->type != FT_JSON_NUMBER || !whole(v->s, &n->hops)))
        return ft_json_error_at(j, v, err, "\"hops\" is a whole number");
    if ((v = ft_jv_get(o, "terminal")))
        n->terminal = v->type == FT_JSON_TRUE;
    if ((v = ft_jv_get(o, "hub")))
        n->hub = v->type == FT_JSON_TRUE;
    if (!json_amounts(t, o, "amounts", 0) || !json_amounts(t, o, "held", 1) ||
        !json_amounts(t, o, "sent", 2) || !json_amounts(t, o, "cut", 3))
        return ft_json_error_at(j, o, err,
                                "a traced account's amounts are objects of currency "
                                "and decimal text");
    n->amounts = t->amounts;
    const ft_jv *tx = ft_jv_get(o, "txns");
    t->txns.n = 0;
    if (!tx || tx->type != FT_JSON_ARRAY)
        return ft_json_error_at(j, o, err, "a traced account needs \"txns\", an array");
    for (uint32_t i = 0; i < tx->n; i++) {
        const ft_jv *e = &tx->items[i];
        if (e->type != FT_JSON_STRING && e->type != FT_JSON_NUMBER)
            return ft_json_error_at(j, e, err, "a transaction id is a string");
        if (!rf_strs_add(&t->txns, e->s))
            return ft_error_oom(err);
    }
    n->txns = t->txns.v;
    n->ntxns = t->txns.n;
    n->has_txns = true;
    return FT_OK;
}

static ft_status json_next(ft_trace_file *t, const ft_trace_node_in **out, ft_error *err)
{
    ft_json_reader *j = t->f.json;
    ft_status rc;
    for (;;) {
        if (t->trace) {
            const ft_jv *acc = ft_jv_get(t->trace, "accounts");
            if (t->next_account < acc->n) {
                const ft_jv *seed = ft_jv_get(t->trace, "seed");
                rc = json_node(t, &acc->items[t->next_account++], seed->s, err);
                *out = rc == FT_OK ? &t->n : NULL;
                return rc;
            }
            t->trace = NULL;
        }
        const ft_jv *v;
        if ((rc = ft_json_next(j, &v, err)) != FT_OK || !v)
            return rc;
        if (!ft_json_is_array(j)) {
            rc = json_node(t, v, NULL, err);
            *out = rc == FT_OK ? &t->n : NULL;
            return rc;
        }
        /* a whole trace: seed, options, accounts, trail */
        const ft_jv *seed = ft_jv_get(v, "seed"), *acc = ft_jv_get(v, "accounts");
        if (v->type != FT_JSON_OBJECT || !seed || seed->type != FT_JSON_STRING || !acc ||
            acc->type != FT_JSON_ARRAY)
            return ft_json_error_at(j, v, err,
                                    "not a trace (an object with \"seed\" and "
                                    "\"accounts\")");
        t->trace = v;
        t->next_account = 0;
    }
}

/* CSV: the field of row r in column c, copied to t->row. */
static const char *keep(ft_trace_file *t, const ft_csv_batch *b, const ft_csv_row *r, int c,
                        size_t *at)
{
    size_t len;
    const char *s = ft_csv_field(b, r, t->col[c], &len);
    char *p = t->row + *at;
    memcpy(p, s, len + 1);
    *at += len + 1;
    return p;
}

static ft_status csv_next(ft_trace_file *t, const ft_trace_node_in **out, ft_error *err)
{
    ft_trace_node_in *n = &t->n;
    const ft_csv_batch *b = t->pending_b;
    const ft_csv_row *r = t->pending;
    ft_status rc;
    t->pending = NULL;
    if (!r && ((rc = rf_csv_next(&t->f, &b, &r, err)) != FT_OK || !r))
        return rc;
    memset(n, 0, sizeof *n);
    t->used = 0;
    /* gather the rows of one seed and account; the pointers into t->row
     * are set once it stops moving */
    size_t off[4 + 5 * 64];
    uint32_t namounts = 0;
    size_t first_off[4];
    for (;;) {
        if ((int)r->nf < t->f.ncols)
            return ft_error_at(err, FT_EINPUT, t->f.name, r->line, 0,
                               "%u fields, fewer than the header's %d", r->nf, t->f.ncols);
        size_t need = t->used + r->raw_len + (size_t)NC + 1;
        if (need > t->cap_row) {
            char *p = realloc(t->row, need * 2);
            if (!p)
                return ft_error_oom(err);
            t->row = p;
            t->cap_row = need * 2;
        }
        if (namounts == 0) {
            n->line = r->line;
            int64_t hops;
            size_t len;
            const char *h = ft_csv_field(b, r, t->col[C_HOPS], &len);
            if (!whole(h, &hops))
                return ft_error_at(err, FT_EINPUT, t->f.name, r->line, t->col[C_HOPS] + 1,
                                   "hops '%s' is not a whole number", h);
            n->hops = hops;
            n->terminal = strcmp(ft_csv_field(b, r, t->col[C_TERM], &len), "true") == 0;
            n->hub = strcmp(ft_csv_field(b, r, t->col[C_HUB], &len), "true") == 0;
            first_off[0] = t->used;
            keep(t, b, r, C_SEED, &t->used);
            first_off[1] = t->used;
            keep(t, b, r, C_ACCOUNT, &t->used);
            first_off[2] = t->used;
            keep(t, b, r, C_FIRST, &t->used);
        }
        if (namounts == 64)
            return ft_error_at(err, FT_EINPUT, t->f.name, r->line, 0,
                               "more than 64 currencies for one account");
        for (int c = 0; c < 5; c++) {
            off[5 * namounts + (uint32_t)c] = t->used;
            keep(t, b, r, C_CUR + c, &t->used);
        }
        namounts++;
        /* the next row: the same account? */
        const ft_csv_batch *nb;
        const ft_csv_row *nr;
        if ((rc = rf_csv_next(&t->f, &nb, &nr, err)) != FT_OK)
            return rc;
        if (!nr)
            break;
        size_t l1, l2;
        const char *s1 = ft_csv_field(nb, nr, t->col[C_SEED], &l1);
        const char *a1 = ft_csv_field(nb, nr, t->col[C_ACCOUNT], &l2);
        if (strcmp(s1, t->row + first_off[0]) != 0 || strcmp(a1, t->row + first_off[1]) != 0) {
            t->pending_b = nb;
            t->pending = nr;
            break;
        }
        b = nb;
        r = nr;
    }
    if (!amount_room(t, namounts))
        return ft_error_oom(err);
    n->seed = t->row + first_off[0];
    n->account = t->row + first_off[1];
    n->first_time = t->row + first_off[2];
    for (uint32_t k = 0; k < namounts; k++) {
        ft_trace_amount_in *a = &t->amounts[k];
        a->currency = t->row + off[5 * k];
        a->received = t->row + off[5 * k + 1];
        a->held = t->row + off[5 * k + 2];
        a->sent = t->row + off[5 * k + 3];
        a->cut = t->row + off[5 * k + 4];
    }
    n->amounts = t->amounts;
    n->namounts = namounts;
    *out = n;
    return FT_OK;
}

ft_status ft_trace_file_next(ft_trace_file *t, const ft_trace_node_in **n, ft_error *err)
{
    *n = NULL;
    return t->f.kind == RF_CSV ? csv_next(t, n, err) : json_next(t, n, err);
}
