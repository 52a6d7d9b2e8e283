/*
 * handoff.c - a party's accounts, and the handoff records between parties
 * (handoff.h), read with the one JSON reader.
 */
#include "fundtrace/handoff.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/json.h"
#include "fundtrace/money.h"
#include "fundtrace/output.h"
#include "fundtrace/time.h"

/* Whether the bank part of key[0 .. len) is named by the list. */
static bool held(const char *banks, const char *key, size_t len)
{
    const char *colon = memchr(key, ':', len);
    size_t blen = colon ? (size_t)(colon - key) : len;
    for (const char *p = banks; *p;) {
        size_t n = strcspn(p, ",");
        bool prefix = n && p[n - 1] == '*';
        size_t m = prefix ? n - 1 : n;
        if (n && (prefix ? blen >= m : blen == m) && memcmp(key, p, m) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

ft_status ft_local_accounts(const ft_store *s, const char *banks, uint8_t **local, ft_error *err)
{
    *local = NULL;
    if (strspn(banks, ",") == strlen(banks))
        return ft_error_set(err, FT_EUSAGE, "--local-banks: no bank ids");
    uint8_t *v = calloc((size_t)s->accounts.n + 1, 1);
    if (!v)
        return ft_error_oom(err);
    for (uint32_t a = 0; a < s->accounts.n; a++) {
        size_t len;
        const char *key = ft_store_account(s, a, &len);
        v[a] = held(banks, key, len);
    }
    *local = v;
    return FT_OK;
}

void ft_handoff_set_free(ft_handoff_set *hs)
{
    for (size_t i = 0; i < hs->n; i++) {
        free(hs->v[i].label);
        free(hs->v[i].in);
    }
    free(hs->v);
    memset(hs, 0, sizeof *hs);
}

ft_handoff_seed *ft_handoff_find(ft_handoff_set *hs, const char *label)
{
    for (size_t i = 0; i < hs->n; i++)
        if (strcmp(hs->v[i].label, label) == 0)
            return &hs->v[i];
    return NULL;
}

/* A string member, or NULL (and an error) when absent or not a string. */
static const char *str(ft_json_reader *j, const ft_jv *rec, const char *key, bool null_ok,
                       ft_status *rc, ft_error *err)
{
    const ft_jv *v = ft_jv_get(rec, key);
    if (*rc != FT_OK)
        return NULL;
    if (v && null_ok && v->type == FT_JSON_NULL)
        return NULL;
    if (!v || v->type != FT_JSON_STRING) {
        *rc = ft_json_error_at(j, v ? v : rec, err, "a handoff needs \"%s\" as a string", key);
        return NULL;
    }
    return v->s;
}

static int64_t time_or(ft_json_reader *j, const ft_jv *rec, const char *key, int64_t open,
                       ft_status *rc, ft_error *err)
{
    const char *t = str(j, rec, key, true, rc, err);
    if (*rc != FT_OK || !t)
        return open;
    int64_t ms;
    ft_time_error why;
    if (!ft_time_parse(t, strlen(t), &ms, &why))
        *rc = ft_json_error_at(j, ft_jv_get(rec, key), err, "\"%s\" is not a time", key);
    return ms;
}

static ft_status add_crossing(ft_handoff_set *hs, const char *seed, int64_t start, int64_t end,
                              ft_trace_crossing c, ft_error *err)
{
    ft_handoff_seed *sd = ft_handoff_find(hs, seed);
    if (!sd) {
        if (!FT_ARRAY_GROW(hs->v, &hs->cap, hs->n + 1))
            return ft_error_oom(err);
        sd = &hs->v[hs->n];
        memset(sd, 0, sizeof *sd);
        if (!(sd->label = strdup(seed)))
            return ft_error_oom(err);
        sd->start_ms = start;
        sd->end_ms = end;
        hs->n++;
    }
    if (!FT_ARRAY_GROW(sd->in, &sd->cap, sd->nin + 1))
        return ft_error_oom(err);
    sd->in[sd->nin++] = c;
    return FT_OK;
}

/* One record: its crossing added, skipped (another party's), or an error. */
static ft_status record(ft_handoff_set *hs, ft_json_reader *j, const ft_jv *rec, const ft_store *s,
                        const uint8_t *local, const ft_trace_options *o, bool backward,
                        ft_error *err)
{
    ft_status rc = FT_OK;
    if (rec->type != FT_JSON_OBJECT)
        return ft_json_error_at(j, rec, err, "a handoff is an object");
    const char *kind = str(j, rec, "kind", false, &rc, err);
    if (rc == FT_OK && strcmp(kind, "handoff") != 0)
        return ft_json_error_at(j, ft_jv_get(rec, "kind"), err, "not a handoff record");
    const char *seed = str(j, rec, "seed", false, &rc, err);
    const char *policy = str(j, rec, "policy", false, &rc, err);
    const char *dir = str(j, rec, "direction", false, &rc, err);
    const char *id = str(j, rec, "txn", false, &rc, err);
    const char *to = str(j, rec, "to", false, &rc, err);
    const char *cur = str(j, rec, "currency", false, &rc, err);
    const char *traced = str(j, rec, "traced", false, &rc, err);
    int64_t start = time_or(j, rec, "start", INT64_MIN, &rc, err);
    int64_t end = time_or(j, rec, "end", INT64_MAX, &rc, err);
    if (rc != FT_OK)
        return rc;
    const ft_jv *hop = ft_jv_get(rec, "hop"), *lim = ft_jv_get(rec, "hops_limit");
    char *e1 = NULL, *e2 = NULL;
    long h = hop && hop->type == FT_JSON_NUMBER ? strtol(hop->s, &e1, 10) : -1;
    long k = lim && lim->type == FT_JSON_NUMBER ? strtol(lim->s, &e2, 10) : -1;
    if (h < 1 || *e1 || (k >= 0 && *e2) || h > k)
        return ft_json_error_at(j, hop ? hop : rec, err,
                                "a handoff needs \"hop\" and \"hops_limit\" as whole numbers, "
                                "the hop from 1 up to the limit");
    if (strcmp(policy, ft_policy_name(o->policy)) != 0 || k != o->max_hops ||
        strcmp(dir, backward ? "in" : "out") != 0)
        return ft_json_error_at(j, rec, err,
                                "a handoff of a trace with --policy %s --hops %ld --direction %s: "
                                "this one has --policy %s --hops %d --direction %s",
                                policy, k, dir, ft_policy_name(o->policy), o->max_hops,
                                backward ? "in" : "out");
    uint32_t t;
    if (!ft_store_find_txid(s, id, strlen(id), &t)) {
        hs->skipped++; /* a transfer this party does not have: another's */
        return FT_OK;
    }
    uint32_t payee = backward ? s->t.src[t] : s->t.dst[t];
    uint32_t payer = backward ? s->t.dst[t] : s->t.src[t];
    if (!local[payee]) {
        hs->skipped++;
        return FT_OK;
    }
    size_t len;
    const char *shown = ft_store_account_shown(s, payee, &len);
    if (local[payer] || strlen(to) != len || memcmp(to, shown, len) != 0)
        return ft_json_error_at(j, ft_jv_get(rec, "to"), err,
                                "transaction %s is not from another party's account to '%s' "
                                "held here",
                                id, to);
    const ft_currency *c = &s->currencies[s->t.cur[t]];
    int64_t amount;
    ft_money_error why;
    if (strcmp(cur, c->code) != 0 ||
        !ft_money_parse(traced, strlen(traced), c->exponent, &amount, &why) || amount <= 0 ||
        amount > s->t.amount[t])
        return ft_json_error_at(j, ft_jv_get(rec, "traced"), err,
                                "\"traced\" is not an amount in %s of at most transaction %s's",
                                c->code, id);
    hs->records++;
    return add_crossing(hs, seed, start, end, (ft_trace_crossing){t, amount, (int32_t)h}, err);
}

ft_status ft_handoff_read(ft_handoff_set *hs, const ft_store *s, const uint8_t *local,
                          const ft_trace_options *o, bool backward, const char *path, ft_error *err)
{
    ft_json_reader *j;
    ft_status rc = ft_store_txid_index((ft_store *)s, err);
    if (rc == FT_OK)
        rc = ft_json_open(&j, path, err);
    if (rc != FT_OK)
        return rc;
    const ft_jv *v;
    while ((rc = ft_json_next(j, &v, err)) == FT_OK && v)
        if ((rc = record(hs, j, v, s, local, o, backward, err)) != FT_OK)
            break;
    ft_json_close(j);
    return rc;
}

static void time_or_null(ft_json *j, const char *key, int64_t ms, bool open)
{
    char buf[40];
    if (open) {
        ft_json_raw(j, key, "null");
        return;
    }
    ft_time_format(ms, buf, sizeof buf);
    ft_json_cstr(j, key, buf);
}

void ft_handoff_write(FILE *f, const ft_store *s, const char *seed, const ft_trace_options *o,
                      const ft_trace_result *r, const ft_trace_crossing *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t t = c[i].txn;
        char buf[128];
        size_t len;
        ft_json j;
        ft_json_init(&j, f, false);
        ft_json_object(&j, NULL);
        ft_json_cstr(&j, "kind", "handoff");
        ft_json_cstr(&j, "seed", seed);
        ft_json_cstr(&j, "direction", r->backward ? "in" : "out");
        ft_json_cstr(&j, "policy", ft_policy_name(o->policy));
        ft_json_int(&j, "hops_limit", o->max_hops);
        time_or_null(&j, "start", r->start_ms, r->start_ms == INT64_MIN);
        time_or_null(&j, "end", r->end_ms, r->end_ms == INT64_MAX);
        len = ft_store_txid(s, t, buf, sizeof buf);
        ft_json_string(&j, "txn", buf, len);
        time_or_null(&j, "time", s->t.ts_ms[t], false);
        uint32_t payer = r->backward ? s->t.dst[t] : s->t.src[t];
        uint32_t payee = r->backward ? s->t.src[t] : s->t.dst[t];
        const char *k = ft_store_account_shown(s, payer, &len);
        ft_json_string(&j, "from", k, len);
        k = ft_store_account_shown(s, payee, &len);
        ft_json_string(&j, "to", k, len);
        const ft_currency *cu = &s->currencies[s->t.cur[t]];
        ft_money_format(s->t.amount[t], cu->exponent, buf, sizeof buf);
        ft_json_cstr(&j, "amount", buf);
        ft_json_cstr(&j, "currency", cu->code);
        ft_money_format(c[i].amount, cu->exponent, buf, sizeof buf);
        ft_json_cstr(&j, "traced", buf);
        ft_json_int(&j, "hop", c[i].hops);
        ft_json_end(&j, '}');
        ft_json_finish(&j);
    }
}
