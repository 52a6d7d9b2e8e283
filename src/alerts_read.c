/*
 * alerts_read.c - alerts files read back, in every format scan writes
 * (see alerts_read.h).
 */
#include "fundtrace/alerts_read.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/json.h"
#include "recfile.h"

struct ft_alerts_reader {
    rf f;
    ft_alert_in a;
    rf_strs accounts, txns, cur, amount;
    int col[8];   /* CSV: id kind score first_time last_time accounts txns explanation */
    char *csvbuf; /* CSV: the scalar fields, NUL-terminated */
    size_t cap_csvbuf;
};

static const char *const csv_cols[8] = {"id",        "kind",     "score", "first_time",
                                        "last_time", "accounts", "txns",  "explanation"};

static ft_status start(ft_alerts_reader *r, ft_error *err)
{
    if (r->f.kind != RF_CSV)
        return FT_OK;
    for (int i = 0; i < 8; i++)
        r->col[i] = rf_csv_col(&r->f, csv_cols[i]);
    if (r->col[0] < 0 || r->col[1] < 0 || r->col[6] < 0)
        return ft_error_at(err, FT_EINPUT, r->f.name, 1, 0,
                           "not an alerts file (JSON Lines, a JSON array, or CSV with the "
                           "columns id, kind and txns, as scan writes them)");
    return FT_OK;
}

static ft_status open_common(ft_alerts_reader **out, const char *path, const char *data, size_t len,
                             ft_error *err)
{
    ft_alerts_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ft_error_oom(err);
    ft_status rc = rf_open(&r->f, path, data, len, err);
    if (rc == FT_OK)
        rc = start(r, err);
    if (rc != FT_OK) {
        ft_alerts_close(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

ft_status ft_alerts_open(ft_alerts_reader **r, const char *path, ft_error *err)
{
    return open_common(r, path, NULL, 0, err);
}

ft_status ft_alerts_open_buffer(ft_alerts_reader **r, const char *name, const char *data,
                                size_t len, ft_error *err)
{
    return open_common(r, name, data ? data : "", len, err);
}

ft_alerts_format ft_alerts_format_of(const ft_alerts_reader *r)
{
    return r->f.kind == RF_CSV ? FT_ALERTS_CSV
           : r->f.first == '[' ? FT_ALERTS_JSON
                               : FT_ALERTS_JSONL;
}

void ft_alerts_close(ft_alerts_reader *r)
{
    if (!r)
        return;
    rf_close(&r->f);
    rf_strs_free(&r->accounts);
    rf_strs_free(&r->txns);
    rf_strs_free(&r->cur);
    rf_strs_free(&r->amount);
    free(r->csvbuf);
    free(r);
}

/* A string member, or NULL when absent or of another type: fields an
 * alert does not need are passed on when they are what scan writes, and
 * left out otherwise (another tool's alerts may carry other things). */
static const char *str_member(const ft_jv *o, const char *key)
{
    const ft_jv *v = ft_jv_get(o, key);
    return v && v->type == FT_JSON_STRING ? v->s : NULL;
}

/* An array of strings (numbers too, as their text). */
typedef enum list_status { LIST_OK, LIST_NOT_STRINGS, LIST_OOM } list_status;

static list_status list_member(const ft_jv *o, const char *key, rf_strs *l)
{
    const ft_jv *v = ft_jv_get(o, key);
    l->n = 0;
    if (!v)
        return LIST_OK;
    if (v->type != FT_JSON_ARRAY)
        return LIST_NOT_STRINGS;
    for (uint32_t i = 0; i < v->n; i++) {
        const ft_jv *e = &v->items[i];
        if (e->type != FT_JSON_STRING && e->type != FT_JSON_NUMBER)
            return LIST_NOT_STRINGS;
        if (!rf_strs_add(l, e->s))
            return LIST_OOM;
    }
    return LIST_OK;
}

static ft_status json_alert(ft_alerts_reader *r, const ft_jv *o, ft_error *err)
{
    ft_json_reader *j = r->f.json;
    ft_alert_in *a = &r->a;
    memset(a, 0, sizeof *a);
    a->line = o->line;
    if (o->type != FT_JSON_OBJECT)
        return ft_json_error_at(j, o, err,
                                "not an alert (an object with \"id\", \"kind\" and "
                                "\"txns\")");
    const ft_jv *score = ft_jv_get(o, "score"), *id = ft_jv_get(o, "id"),
                *kind = ft_jv_get(o, "kind");
    if (!id || !kind || !ft_jv_get(o, "txns"))
        return ft_json_error_at(j, o, err, "an alert needs \"id\", \"kind\" and \"txns\"");
    if (id->type != FT_JSON_STRING || kind->type != FT_JSON_STRING)
        return ft_json_error_at(j, id->type != FT_JSON_STRING ? id : kind, err,
                                "an alert's \"id\" and \"kind\" are strings");
    a->id = id->s;
    a->kind = kind->s;
    a->first_time = str_member(o, "first_time");
    a->last_time = str_member(o, "last_time");
    a->explanation = str_member(o, "explanation");
    a->params = str_member(o, "params");
    a->score = score && score->type == FT_JSON_NUMBER ? score->s : NULL;
    list_status ls = list_member(o, "txns", &r->txns);
    if (ls == LIST_NOT_STRINGS)
        return ft_json_error_at(j, ft_jv_get(o, "txns"), err,
                                "an alert's \"txns\" is an array of strings");
    /* Accounts of another shape are left out, as other fields are. */
    if (ls == LIST_OOM || (ls = list_member(o, "accounts", &r->accounts)) == LIST_OOM)
        return ft_error_oom(err);
    if (ls == LIST_NOT_STRINGS)
        r->accounts.n = 0;
    const ft_jv *amount = ft_jv_get(o, "amount");
    r->cur.n = r->amount.n = 0;
    for (uint32_t i = 0; amount && amount->type == FT_JSON_OBJECT && i < amount->n; i++) {
        const ft_jv *v = &amount->items[2 * i + 1];
        if (v->type != FT_JSON_STRING && v->type != FT_JSON_NUMBER)
            continue;
        if (!rf_strs_add(&r->cur, amount->items[2 * i].s) || !rf_strs_add(&r->amount, v->s))
            return ft_error_oom(err);
    }
    a->txns = r->txns.v;
    a->ntxns = r->txns.n;
    a->accounts = r->accounts.v;
    a->naccounts = r->accounts.n;
    a->amount_currency = r->cur.v;
    a->amount = r->amount.v;
    a->namounts = r->cur.n;
    return FT_OK;
}

static ft_status csv_alert(ft_alerts_reader *r, const ft_csv_batch *b, const ft_csv_row *row,
                           ft_error *err)
{
    ft_alert_in *a = &r->a;
    memset(a, 0, sizeof *a);
    a->line = row->line;
    /* the scalar fields, copied (the batch's bytes are shared with the lists) */
    size_t need = 0, len;
    for (int i = 0; i < 8; i++)
        if (r->col[i] >= 0 && (uint32_t)r->col[i] < row->nf)
            need += b->flen[row->field0 + (uint32_t)r->col[i]] + 1;
    if (need > r->cap_csvbuf) {
        char *p = realloc(r->csvbuf, need);
        if (!p)
            return ft_error_oom(err);
        r->csvbuf = p;
        r->cap_csvbuf = need;
    }
    const char *field[8] = {NULL};
    size_t at = 0;
    for (int i = 0; i < 8; i++) {
        if (r->col[i] < 0)
            continue;
        if ((uint32_t)r->col[i] >= row->nf)
            return ft_error_at(err, FT_EINPUT, r->f.name, row->line, 0,
                               "%u fields, fewer than the header's %d", row->nf, r->f.ncols);
        const char *s = ft_csv_field(b, row, r->col[i], &len);
        if (len && s[0] == '\'') { /* the guard against formulas (output.h) */
            s++;
            len--;
        }
        memcpy(r->csvbuf + at, s, len + 1);
        field[i] = r->csvbuf + at;
        at += len + 1;
    }
    a->id = field[0];
    a->kind = field[1];
    a->score = field[2];
    a->first_time = field[3];
    a->last_time = field[4];
    a->explanation = field[7];
    if (!*a->id || !*a->kind)
        return ft_error_at(err, FT_EINPUT, r->f.name, row->line, 0,
                           "an alert needs an id and a kind");
    r->accounts.n = 0;
    if (field[5] && !rf_strs_split(&r->accounts, field[5], strlen(field[5])))
        return ft_error_oom(err);
    if (!rf_strs_split(&r->txns, field[6], strlen(field[6])))
        return ft_error_oom(err);
    a->accounts = r->accounts.v;
    a->naccounts = r->accounts.n;
    a->txns = r->txns.v;
    a->ntxns = r->txns.n;
    return FT_OK;
}

ft_status ft_alerts_next(ft_alerts_reader *r, const ft_alert_in **a, ft_error *err)
{
    *a = NULL;
    ft_status rc;
    if (r->f.kind == RF_JSON) {
        const ft_jv *v;
        if ((rc = ft_json_next(r->f.json, &v, err)) != FT_OK || !v)
            return rc;
        rc = json_alert(r, v, err);
    } else {
        const ft_csv_batch *b;
        const ft_csv_row *row;
        if ((rc = rf_csv_next(&r->f, &b, &row, err)) != FT_OK || !row)
            return rc;
        rc = csv_alert(r, b, row, err);
    }
    if (rc == FT_OK)
        *a = &r->a;
    return rc;
}
