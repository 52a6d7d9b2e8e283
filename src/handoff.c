/*
 * handoff.c - a party's accounts, and the handoff records between parties
 * (handoff.h), read with the one JSON reader.
 */
#include "fundtrace/handoff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fundtrace/json.h"
#include "fundtrace/money.h"
#include "fundtrace/output.h"
#include "fundtrace/pool.h"
#include "fundtrace/time.h"
#include "fundtrace/writer.h"

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

void ft_handoff_route(const ft_store *s, uint32_t account, char *buf, size_t cap)
{
    size_t len;
    const char *key = ft_store_account(s, account, &len);
    const char *colon = memchr(key, ':', len);
    size_t n = colon ? (size_t)(colon - key) : len < 2 ? len : 2;
    if (n + 1 > cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || (c == '.' && i > 0);
        buf[i] = ok ? c : '_';
    }
    if (n == 0 && cap > 1)
        buf[n++] = '_';
    buf[n] = '\0';
}

/* The routes of the accounts for which `which` holds (local or not), as
 * interned ids; *route_of[a] the route of account a (UINT32_MAX: not
 * one of them). */
static ft_status routes(const ft_store *s, const uint8_t *local, bool held_here, ft_intern *t,
                        uint32_t **route_of, ft_error *err)
{
    memset(t, 0, sizeof *t);
    uint32_t *v = malloc(((size_t)s->accounts.n + 1) * sizeof *v);
    if (!v)
        return ft_error_oom(err);
    ft_status rc = FT_OK;
    for (uint32_t a = 0; a < s->accounts.n && rc == FT_OK; a++) {
        v[a] = UINT32_MAX;
        if ((local[a] != 0) != held_here)
            continue;
        char id[128];
        ft_handoff_route(s, a, id, sizeof id);
        rc = ft_intern_put(t, id, strlen(id), &v[a], NULL, err);
    }
    if (rc != FT_OK) {
        free(v);
        ft_intern_free(t);
        return rc;
    }
    *route_of = v;
    return FT_OK;
}

ft_status ft_handoff_read_dir(ft_handoff_set *hs, const ft_store *s, const uint8_t *local,
                              const ft_trace_options *o, bool backward, const char *dir,
                              ft_error *err)
{
    ft_intern t;
    uint32_t *route_of;
    ft_status rc = routes(s, local, true, &t, &route_of, err);
    if (rc != FT_OK)
        return rc;
    free(route_of);
    char *path = malloc(strlen(dir) + 140);
    if (!path)
        rc = ft_error_oom(err);
    for (uint32_t i = 0; i < t.n && rc == FT_OK; i++) {
        size_t len;
        const char *id = ft_intern_str(&t, i, &len);
        sprintf(path, "%s/%.*s.jsonl", dir, (int)len, id);
        if (access(path, F_OK) == 0)
            rc = ft_handoff_read(hs, s, local, o, backward, path, err);
    }
    free(path);
    ft_intern_free(&t);
    return rc;
}

struct ft_handoff_out {
    ft_intern routes;
    uint32_t *route_of; /* by account */
    char **buf;         /* by route: its records */
    size_t *len;
    FILE **f;
};

void ft_handoff_out_free(ft_handoff_out *h)
{
    if (!h)
        return;
    for (uint32_t i = 0; h->f && i < h->routes.n; i++) {
        if (h->f[i])
            fclose(h->f[i]);
        free(h->buf[i]);
    }
    free(h->f);
    free(h->buf);
    free(h->len);
    free(h->route_of);
    ft_intern_free(&h->routes);
    free(h);
}

ft_status ft_handoff_out_new(ft_handoff_out **hp, const ft_store *s, const uint8_t *local,
                             ft_error *err)
{
    ft_handoff_out *h = calloc(1, sizeof *h);
    *hp = NULL;
    if (!h)
        return ft_error_oom(err);
    ft_status rc = routes(s, local, false, &h->routes, &h->route_of, err);
    uint32_t n = rc == FT_OK ? h->routes.n : 0;
    if (rc == FT_OK &&
        (!(h->buf = calloc(n + 1, sizeof *h->buf)) || !(h->len = calloc(n + 1, sizeof *h->len)) ||
         !(h->f = calloc(n + 1, sizeof *h->f))))
        rc = ft_error_oom(err);
    for (uint32_t i = 0; i < n && rc == FT_OK; i++)
        if (!(h->f[i] = open_memstream(&h->buf[i], &h->len[i])))
            rc = ft_error_oom(err);
    if (rc != FT_OK) {
        ft_handoff_out_free(h);
        return rc;
    }
    *hp = h;
    return FT_OK;
}

ft_status ft_handoff_out_add(ft_handoff_out *h, const ft_store *s, const char *seed,
                             const ft_trace_options *o, const ft_trace_result *r,
                             const ft_trace_crossing *c, size_t n, ft_error *err)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t t = c[i].txn;
        uint32_t payee = r->backward ? s->t.src[t] : s->t.dst[t];
        uint32_t route = h->route_of[payee];
        if (route == UINT32_MAX)
            return ft_error_set(err, FT_EUSAGE, "a handoff to an account held here");
        ft_handoff_write(h->f[route], s, seed, o, r, c + i, 1);
    }
    return FT_OK;
}

ft_status ft_handoff_out_write(ft_handoff_out *h, const char *dir, ft_error *err)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return ft_error_errno(err, FT_EIO, "make the directory", dir);
    char *path = malloc(strlen(dir) + 140);
    if (!path)
        return ft_error_oom(err);
    ft_status rc = FT_OK;
    for (uint32_t i = 0; i < h->routes.n && rc == FT_OK; i++) {
        if (fclose(h->f[i]) != 0) {
            h->f[i] = NULL;
            rc = ft_error_oom(err);
            break;
        }
        h->f[i] = NULL;
        size_t len;
        const char *id = ft_intern_str(&h->routes, i, &len);
        sprintf(path, "%s/%.*s.jsonl", dir, (int)len, id);
        ft_writer w = {.fd = -1};
        rc = ft_writer_open(&w, path, false, err);
        FILE *f = rc == FT_OK ? ft_writer_stream(&w) : NULL;
        if (rc == FT_OK && !f)
            rc = ft_error_oom(err);
        if (rc == FT_OK && h->len[i])
            fwrite(h->buf[i], 1, h->len[i], f);
        if (rc == FT_OK)
            rc = ft_writer_close(&w, err);
        ft_writer_abort(&w);
    }
    free(path);
    return rc;
}

/* --- a party's run ----------------------------------------------------------------------- */

static int cmp_handoff_seed(const void *a, const void *b)
{
    return strcmp(((const ft_handoff_seed *)a)->label, ((const ft_handoff_seed *)b)->label);
}

ft_status ft_handoff_party_run(const ft_store *s, const ft_trace_index *ix,
                               const ft_trace_options *o, const ft_trace_seed *seeds, size_t nseeds,
                               const uint8_t *local, ft_handoff_set *hs, FILE *out,
                               ft_handoff_out *ho, bool *found, ft_error *err)
{
    *found = false;
    for (size_t i = 0; i < nseeds; i++)
        if (!local[seeds[i].account])
            return ft_error_set(err, FT_EUSAGE, "the seed '%s' is not held here", seeds[i].label);
    if (hs->n > 1)
        qsort(hs->v, hs->n, sizeof *hs->v, cmp_handoff_seed);
    ft_tracer *tr = NULL;
    ft_status rc = ft_tracer_new(&tr, ix, err);
    /* The seeds held here, as the output names them (a token when
     * pseudonymised), then those only handed in. */
    char **labels = rc == FT_OK ? calloc(nseeds + 1, sizeof *labels) : NULL;
    if (rc == FT_OK && !labels)
        rc = ft_error_oom(err);
    for (size_t i = 0; i < nseeds && rc == FT_OK; i++) {
        size_t len;
        const char *shown = ft_store_account_shown(s, seeds[i].account, &len);
        if (!(labels[i] = strndup(shown, len)))
            rc = ft_error_oom(err);
    }
    size_t n = nseeds + hs->n;
    for (size_t i = 0; i < n && rc == FT_OK; i++) {
        bool here = i < nseeds;
        const char *label = here ? labels[i] : hs->v[i - nseeds].label;
        if (!here) {
            bool dup = false;
            for (size_t k = 0; k < nseeds; k++)
                dup |= strcmp(labels[k], label) == 0;
            if (dup)
                continue; /* money back at a seed of this party's */
        }
        ft_handoff_seed *hsd = ft_handoff_find(hs, label);
        ft_trace_options so = *o;
        if (!here) { /* the span as the seed's party traced it */
            so.since_ms = hsd->start_ms;
            so.until_ms = hsd->end_ms;
            so.window_ms = 0;
        }
        ft_tracer_set_border(tr, local, hsd ? hsd->in : NULL, hsd ? hsd->nin : 0);
        const ft_trace_result *r;
        rc = ft_trace_run(tr, &so, here ? seeds[i].account : UINT32_MAX, -1, &r, err);
        if (rc != FT_OK)
            break;
        *found |= ft_trace_write_held(out, s, label, r, local, here);
        size_t nc;
        const ft_trace_crossing *c = ft_tracer_crossings(tr, &nc);
        if (ho)
            rc = ft_handoff_out_add(ho, s, label, &so, r, c, nc, err);
    }
    for (size_t i = 0; labels && i < nseeds; i++)
        free(labels[i]);
    free(labels);
    ft_tracer_free(tr);
    return rc;
}
