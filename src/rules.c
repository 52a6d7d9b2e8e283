/*
 * rules.c - the rules file (format in rules.h) and the alerts it makes:
 * watchlist, text_match, high_risk_jurisdiction and risk.
 *
 * libinih reads the file: it is small, widely used, packaged by Debian,
 * and calls back with each name and value, so every error can be given
 * with its line (ini_parse returns the line of the first refused one).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "fundtrace/rules.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/time.h"
#include "fundtrace/trace.h"
#include "scan_int.h"

typedef struct regex {
    pcre2_code *code;
    char *text, *reason;
    int line;
    bool on_memo; /* else on account keys */
} regex;

typedef struct listed {
    char *key, *reason;
} listed;

typedef struct bank_country {
    char *bank;
    char cc[3];
} bank_country;

struct ft_rules {
    listed *accounts;
    size_t naccounts;
    regex *watch; /* patterns on account keys */
    size_t nwatch;
    regex *text;
    size_t ntext;
    char (*high_risk)[3];
    size_t nhigh_risk;
    bank_country *banks;
    size_t nbanks;
    bool risk;
    double decay, threshold, window_days;
    int max_hops;
    uint32_t match_limit;
};

void ft_rules_free(ft_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->naccounts; i++) {
        free(r->accounts[i].key);
        free(r->accounts[i].reason);
    }
    regex *lists[2] = {r->watch, r->text};
    size_t ns[2] = {r->nwatch, r->ntext};
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < ns[l]; i++) {
            pcre2_code_free(lists[l][i].code);
            free(lists[l][i].text);
            free(lists[l][i].reason);
        }
        free(lists[l]);
    }
    for (size_t i = 0; i < r->nbanks; i++)
        free(r->banks[i].bank);
    free(r->accounts);
    free(r->high_risk);
    free(r->banks);
    free(r);
}

/* --- reading ----------------------------------------------------------------------------- */

typedef struct reader {
    ft_rules *r;
    ft_scan_params *p;
    FILE *f;
    int line;     /* lines handed to libinih so far: the one it is on */
    int why_line; /* the line of the first refused name = value */
    char why[512];
} reader;

/* libinih's line reader: fgets, counting lines for the handler. */
static char *read_line(char *buf, int size, void *stream)
{
    reader *rd = stream;
    char *got = fgets(buf, size, rd->f);
    if (got)
        rd->line++;
    return got;
}

static bool grow(void *pp, size_t n, size_t elem)
{
    /* Room for n + 1 elements, doubling at powers of two. */
    if (n & (n - 1))
        return true;
    void *v;
    memcpy(&v, pp, sizeof v);
    void *q = realloc(v, (n ? 2 * n : 1) * elem);
    if (!q)
        return false;
    memcpy(pp, &q, sizeof q);
    return true;
}

/* GROW(p, n): room for n + 1 elements in the typed array p. */
#define GROW(p, n) grow(&(p), (n), sizeof *(p))

/* Splits "value | reason" at the last " | "; the reason may be empty. */
static void split_reason(const char *value, char **what, char **reason)
{
    const char *bar = NULL;
    for (const char *q = strstr(value, " | "); q; q = strstr(q + 1, " | "))
        bar = q;
    if (!bar) {
        *what = strdup(value);
        *reason = strdup("");
        return;
    }
    *what = strndup(value, (size_t)(bar - value));
    const char *rs = bar + 3;
    while (*rs == ' ')
        rs++;
    *reason = strdup(rs);
}

static int fail(reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *rd, const char *fmt, ...)
{
    if (!rd->why[0]) {
        rd->why_line = rd->line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rd->why, sizeof rd->why, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static int add_regex(reader *rd, regex **list, size_t *n, const char *value, bool on_memo)
{
    char *text, *reason;
    split_reason(value, &text, &reason);
    if (!text || !reason) {
        free(text);
        free(reason);
        return fail(rd, "out of memory");
    }
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        free(text);
        free(reason);
        return fail(rd, "pattern error at offset %zu: %s", (size_t)off, (const char *)msg);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without the JIT it still matches, slower */
    if (!GROW(*list, *n)) {
        pcre2_code_free(re);
        free(text);
        free(reason);
        return fail(rd, "out of memory");
    }
    (*list)[(*n)++] = (regex){re, text, reason, 0, on_memo};
    return 1;
}

static bool number(const char *v, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi))
        return false;
    *out = x;
    return true;
}

static bool country(const char *v, char out[3])
{
    if (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')
        return false;
    memcpy(out, v, 3);
    return true;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    reader *rd = user;
    ft_rules *r = rd->r;
    if (strcmp(section, "params") == 0) {
        ft_error e;
        if (ft_scan_param_set(rd->p, name, value, &e) != FT_OK)
            return fail(rd, "%s", e.msg);
        return 1;
    }
    if (strcmp(section, "watchlist") == 0) {
        if (strcmp(name, "pattern") == 0)
            return add_regex(rd, &r->watch, &r->nwatch, value, false);
        if (strcmp(name, "account") != 0)
            return fail(rd, "[watchlist] takes 'account = KEY | reason' or 'pattern = REGEX | "
                            "reason', not '%s'",
                        name);
        if (!GROW(r->accounts, r->naccounts))
            return fail(rd, "out of memory");
        listed *l = &r->accounts[r->naccounts];
        split_reason(value, &l->key, &l->reason);
        if (!l->key || !l->reason || !l->key[0]) {
            free(l->key);
            free(l->reason);
            return fail(rd, "a watchlist account needs a key");
        }
        r->naccounts++;
        return 1;
    }
    if (strcmp(section, "text") == 0) {
        if (strcmp(name, "memo") != 0 && strcmp(name, "account") != 0)
            return fail(rd, "[text] takes 'memo = REGEX | reason' or 'account = REGEX | reason', "
                            "not '%s'",
                        name);
        return add_regex(rd, &r->text, &r->ntext, value, strcmp(name, "memo") == 0);
    }
    if (strcmp(section, "jurisdictions") == 0) {
        if (strcmp(name, "high_risk") == 0) {
            char *copy = strdup(value), *save = NULL;
            if (!copy)
                return fail(rd, "out of memory");
            for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
                char cc[3];
                if (!country(tok, cc)) {
                    fail(rd, "'%s' is not a two-letter country code", tok);
                    free(copy);
                    return 0;
                }
                if (!GROW(r->high_risk, r->nhigh_risk)) {
                    free(copy);
                    return fail(rd, "out of memory");
                }
                memcpy(r->high_risk[r->nhigh_risk++], cc, 3);
            }
            free(copy);
            return 1;
        }
        if (strcmp(name, "bank") == 0) {
            char *bank, *cc;
            split_reason(value, &bank, &cc);
            char c[3];
            bool ok = bank && cc && bank[0] && country(cc, c);
            if (ok && GROW(r->banks, r->nbanks)) {
                r->banks[r->nbanks].bank = bank;
                memcpy(r->banks[r->nbanks++].cc, c, 3);
                free(cc);
                return 1;
            }
            free(bank);
            free(cc);
            return fail(rd, "bank = CODE | COUNTRY (two capital letters)");
        }
        return fail(rd, "[jurisdictions] takes high_risk and bank, not '%s'", name);
    }
    if (strcmp(section, "risk") == 0) {
        double v;
        r->risk = true;
        if (strcmp(name, "decay") == 0 && number(value, 0, 1, &v))
            r->decay = v;
        else if (strcmp(name, "threshold") == 0 && number(value, 0, 1, &v))
            r->threshold = v;
        else if (strcmp(name, "max_hops") == 0 && number(value, 1, 20, &v) && v == floor(v))
            r->max_hops = (int)v;
        else if (strcmp(name, "window_days") == 0 && number(value, 0.001, 1e4, &v))
            r->window_days = v;
        else
            return fail(rd, "[risk] takes decay and threshold (0 to 1), max_hops (1 to 20) and "
                            "window_days; '%s = %s' is not one of them",
                        name, value);
        return 1;
    }
    if (strcmp(section, "limits") == 0) {
        double v;
        if (strcmp(name, "match_limit") == 0 && number(value, 1, 1e9, &v)) {
            r->match_limit = (uint32_t)v;
            return 1;
        }
        return fail(rd, "[limits] takes match_limit (1 to 1e9)");
    }
    return fail(rd, "no section [%s] (params, watchlist, text, jurisdictions, risk, limits)",
                section[0] ? section : "");
}

ft_status ft_rules_load(ft_rules **out, const char *path, ft_scan_params *p, ft_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return ft_error_set(err, FT_EIO, "%s: %s", path, strerror(errno));
    /* libinih reads at most 199 bytes a line: refuse longer ones here. */
    int c, col = 0, line = 1;
    while ((c = getc(f)) != EOF) {
        if (c == '\n') {
            line++;
            col = 0;
        } else if (++col > 199) {
            fclose(f);
            return ft_error_set(err, FT_EINPUT, "%s:%d: line longer than 199 bytes", path, line);
        }
    }
    rewind(f);
    ft_rules *r = calloc(1, sizeof *r);
    if (!r) {
        fclose(f);
        return ft_error_oom(err);
    }
    r->decay = 0.5;
    r->threshold = 0.2;
    r->max_hops = 4;
    r->window_days = 30;
    r->match_limit = 100000;
    reader rd = {r, p, f, 0, 0, ""};
    int bad = ini_parse_stream(read_line, &rd, handler, &rd);
    fclose(f);
    if (bad != 0) {
        ft_rules_free(r);
        if (bad < 0)
            return ft_error_set(err, FT_EIO, "%s: cannot read it", path);
        /* The first error: ours, or a line libinih could not read. */
        if (rd.why[0] && rd.why_line == bad)
            return ft_error_set(err, FT_EINPUT, "%s:%d: %s", path, bad, rd.why);
        return ft_error_set(err, FT_EINPUT, "%s:%d: not a 'name = value' line or a [section]",
                            path, bad);
    }
    p->rules = r;
    *out = r;
    return FT_OK;
}

/* --- the checks -------------------------------------------------------------------------- */

typedef struct matcher {
    pcre2_match_data *md;
    pcre2_match_context *mc;
    uint64_t hits; /* subjects that hit the match limit */
} matcher;

static bool matches(matcher *m, const regex *re, const char *s, size_t len)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, m->md, m->mc);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        m->hits++;
    return rc >= 0;
}

/* The jurisdiction of account a: its bank code's in the rules' table,
 * else the country of its key. */
static void jurisdiction(const ft_rules *r, const ft_store *s, uint32_t a, char cc[3])
{
    size_t len;
    const char *k = ft_store_account(s, a, &len);
    const char *colon = memchr(k, ':', len);
    if (colon) {
        size_t bl = (size_t)(colon - k);
        for (size_t i = 0; i < r->nbanks; i++)
            if (strlen(r->banks[i].bank) == bl && memcmp(r->banks[i].bank, k, bl) == 0) {
                memcpy(cc, r->banks[i].cc, 3);
                return;
            }
    }
    scan_country(s, a, cc);
}

static bool high_risk(const ft_rules *r, const char cc[3])
{
    for (size_t i = 0; i < r->nhigh_risk && cc[0]; i++)
        if (strcmp(r->high_risk[i], cc) == 0)
            return true;
    return false;
}

/* An account's transfers, in and out, at most `cap` of them (the latest),
 * into w->a; returns how many there are in all. */
static size_t transfers_of(scan_worker *w, const ft_store *s, uint32_t a, size_t cap, size_t *n)
{
    const ft_adjacency *adj = &s->adj;
    size_t all = (size_t)(adj->out_off[a + 1] - adj->out_off[a]) +
                 (adj->in_off[a + 1] - adj->in_off[a]);
    *n = 0;
    if (!SCAN_RESERVE(w, w->a, &w->cap_a, all + 1))
        return all;
    for (uint32_t i = adj->out_off[a]; i < adj->out_off[a + 1]; i++)
        w->a[(*n)++] = adj->out_txn[i];
    for (uint32_t i = adj->in_off[a]; i < adj->in_off[a + 1]; i++)
        w->a[(*n)++] = adj->in_txn[i];
    if (*n > cap) {
        /* keep the latest: the largest transaction numbers */
        for (size_t i = 0; i < cap; i++) {
            size_t best = i;
            for (size_t j = i + 1; j < *n; j++)
                if (w->a[j] > w->a[best])
                    best = j;
            uint32_t x = w->a[i];
            w->a[i] = w->a[best];
            w->a[best] = x;
        }
        *n = cap;
    }
    return all;
}

static void watchlist_alert(scan_worker *w, const ft_store *s, uint32_t a, const char *reason)
{
    size_t n, all = transfers_of(w, s, a, 10000, &n);
    if (!n)
        return;
    char name[64];
    scan_account(s, a, name);
    scan_emit(w, FT_KIND_WATCHLIST, 1.0, w->a, (uint32_t)n, &a, 1, "",
              "%s is on the watchlist (%s): %zu transfers in the data%s", name,
              reason[0] ? reason : "no reason given", all,
              all > n ? ", the latest 10000 listed" : "");
}

/* Risk from the watchlisted accounts, forward in time along the money
 * (a haircut trace from each): an account reached h hops away gets
 * decay^h times the share of the listed account's money it received;
 * shares from several listed accounts add up, to at most 1. */
static ft_status risk(scan_worker *w, const ft_rules *r, const ft_store *s,
                      const uint8_t *listed_acc, const char *const *reasons, ft_error *err)
{
    uint32_t na = s->accounts.n;
    double *score = calloc((size_t)na + 1, sizeof *score), *best = NULL;
    uint32_t *from = NULL; /* the listed account contributing most */
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    ft_status rc = FT_OK;
    if (!score || !(best = calloc((size_t)na + 1, sizeof *best)) ||
        !(from = malloc(((size_t)na + 1) * sizeof *from))) {
        rc = ft_error_oom(err);
        goto done;
    }
    if ((rc = ft_trace_index_new(&ix, s, false, err)) != FT_OK ||
        (rc = ft_tracer_new(&tr, ix, err)) != FT_OK)
        goto done;
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.max_hops = r->max_hops;
    o.window_ms = (int64_t)(r->window_days * 86400000.0);
    o.max_degree = (uint32_t)w->c->p->hub_degree;
    for (uint32_t a = 0; a < na; a++) {
        if (!listed_acc[a])
            continue;
        const ft_trace_result *res;
        if ((rc = ft_trace_run(tr, &o, a, -1, &res, err)) != FT_OK)
            goto done;
        /* What the listed account paid out, all currencies (each share is
         * within one currency, so summing shares is sound). */
        const ft_trace_node *seed = &res->nodes[0];
        for (uint32_t i = 1; i < res->nnodes; i++) {
            const ft_trace_node *n = &res->nodes[i];
            double share = 0;
            for (uint32_t k = 0; k < n->namounts; k++) {
                const ft_trace_amount *am = &res->amounts[n->amount0 + k];
                int64_t paid = 0;
                for (uint32_t q = 0; q < seed->namounts; q++)
                    if (res->amounts[seed->amount0 + q].cur == am->cur)
                        paid = res->amounts[seed->amount0 + q].sent +
                               res->amounts[seed->amount0 + q].cut;
                if (paid > 0)
                    share += (double)am->received / (double)paid;
            }
            double add = pow(r->decay, n->hops) * fmin(1.0, share);
            score[n->account] += add;
            if (add > best[n->account]) {
                best[n->account] = add;
                from[n->account] = a;
            }
        }
    }
    /* The alerts, each with the path of risk from its main source. */
    for (uint32_t v = 0; v < na && rc == FT_OK; v++) {
        if (listed_acc[v] || score[v] < r->threshold || score[v] <= 0)
            continue;
        const ft_trace_result *res;
        if ((rc = ft_trace_run(tr, &o, from[v], -1, &res, err)) != FT_OK)
            break;
        uint32_t path[24], np = 0, at = v;
        char text[700];
        size_t used = 0;
        while (at != from[v] && np < 24) {
            const ft_trace_node *n = NULL;
            for (uint32_t i = 0; i < res->nnodes && !n; i++)
                if (res->nodes[i].account == at)
                    n = &res->nodes[i];
            if (!n || n->ntxns == 0)
                break;
            uint32_t t = res->in_txn[n->txn0];
            path[np++] = t;
            at = s->t.src[t];
        }
        for (uint32_t k = np; k-- > 0 && used < sizeof text - 140;) {
            char acc[64], amt[48], t0[40];
            scan_account(s, s->t.src[path[k]], acc);
            scan_money(s, s->t.cur[path[k]], s->t.amount[path[k]], amt);
            if (!ft_time_format(s->t.ts_ms[path[k]], t0, sizeof t0))
                strcpy(t0, "?");
            used += (size_t)snprintf(text + used, sizeof text - used, "%s -(%s, %s)-> ", acc, amt,
                                     t0);
        }
        char name[64], src[64], params[160];
        scan_account(s, v, name);
        scan_account(s, from[v], src);
        snprintf(params, sizeof params, "decay=%g;threshold=%g;max_hops=%d;window_days=%g",
                 r->decay, r->threshold, r->max_hops, r->window_days);
        uint32_t accts[2] = {v, from[v]};
        double sc = fmin(1.0, score[v]);
        scan_emit(w, FT_KIND_RISK, sc, path, np, accts, 2, params,
                  "%s carries risk %.2f from watchlisted accounts, most from %s (%s): %s%s", name,
                  sc, src, reasons[from[v]] ? reasons[from[v]] : "", text, name);
        if (w->rc != FT_OK) {
            *err = w->err;
            rc = w->rc;
        }
    }
done:
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    free(score);
    free(best);
    free(from);
    return rc;
}

ft_status ft_rules_scan(const ft_rules *r, const ft_store *s, const ft_scan_params *p,
                        ft_alerts *out, uint64_t *limit_hits, ft_error *err)
{
    uint32_t na = s->accounts.n;
    scan_ctx ctx = {s, p, NULL, NULL, NULL};
    scan_worker w = {.c = &ctx, .out = *out};
    matcher m = {0};
    uint8_t *listed_acc = calloc((size_t)na + 1, 1);
    const char **reasons = calloc((size_t)na + 1, sizeof *reasons);
    ft_status rc = FT_OK;
    *limit_hits = 0;
    m.md = pcre2_match_data_create(4, NULL);
    m.mc = pcre2_match_context_create(NULL);
    if (!listed_acc || !reasons || !m.md || !m.mc) {
        rc = ft_error_oom(err);
        goto done;
    }
    pcre2_set_match_limit(m.mc, r->match_limit);
    pcre2_set_depth_limit(m.mc, r->match_limit);
    pcre2_set_heap_limit(m.mc, 20000); /* KiB */

    /* Watchlist: exact keys, then patterns on every key. */
    for (size_t i = 0; i < r->naccounts; i++) {
        uint32_t a;
        if (ft_intern_find(&s->accounts, r->accounts[i].key, strlen(r->accounts[i].key), &a) &&
            !listed_acc[a]) {
            listed_acc[a] = 1;
            reasons[a] = r->accounts[i].reason;
        }
    }
    for (uint32_t a = 0; a < na && r->nwatch; a++) {
        size_t len;
        const char *k = ft_store_account(s, a, &len);
        for (size_t i = 0; i < r->nwatch && !listed_acc[a]; i++)
            if (matches(&m, &r->watch[i], k, len)) {
                listed_acc[a] = 1;
                reasons[a] = r->watch[i].reason;
            }
    }
    for (uint32_t a = 0; a < na; a++)
        if (listed_acc[a])
            watchlist_alert(&w, s, a, reasons[a]);

    /* Text: per rule and payer, the transfers whose memo (or either
     * account's key) matches. */
    for (size_t i = 0; i < r->ntext && w.rc == FT_OK; i++) {
        const regex *re = &r->text[i];
        if (re->on_memo && !s->t.memo)
            continue;
        for (uint32_t a = 0; a < na && w.rc == FT_OK; a++) {
            const ft_adjacency *adj = &s->adj;
            size_t n = 0;
            const char *example = NULL;
            size_t exlen = 0;
            for (uint32_t k = adj->out_off[a]; k < adj->out_off[a + 1]; k++) {
                uint32_t t = adj->out_txn[k];
                const char *subj;
                size_t len;
                bool hit;
                if (re->on_memo) {
                    if (!s->t.memo[t])
                        continue;
                    subj = ft_pool_get(&s->strings, s->t.memo[t], &len);
                    hit = matches(&m, re, subj, len);
                } else {
                    subj = ft_store_account(s, a, &len);
                    size_t l2;
                    const char *d = ft_store_account(s, s->t.dst[t], &l2);
                    hit = matches(&m, re, subj, len) || matches(&m, re, d, l2);
                    if (hit && !matches(&m, re, subj, len)) {
                        subj = d;
                        len = l2;
                    }
                }
                if (!hit)
                    continue;
                if (!SCAN_RESERVE(&w, w.b, &w.cap_b, n + 1))
                    break;
                w.b[n++] = t;
                if (!example) {
                    example = subj;
                    exlen = len;
                }
            }
            if (!n)
                continue;
            char name[64];
            scan_account(s, a, name);
            scan_emit(&w, FT_KIND_TEXT, 0.8, w.b, (uint32_t)n, &a, 1, re->text,
                      "%zu transfer%s from %s match /%s/ on %s (%s), for example '%.*s'", n,
                      n == 1 ? "" : "s", name, re->text, re->on_memo ? "the memo" : "an account",
                      re->reason[0] ? re->reason : "no reason given", (int)(exlen > 80 ? 80 : exlen),
                      example);
        }
    }

    /* High-risk jurisdictions: per account outside them, its transfers to
     * and from accounts inside. */
    if (r->nhigh_risk) {
        char *cc = malloc(((size_t)na + 1) * 3);
        if (!cc) {
            rc = ft_error_oom(err);
            goto done;
        }
        for (uint32_t a = 0; a < na; a++)
            jurisdiction(r, s, a, cc + 3 * (size_t)a);
        const ft_adjacency *adj = &s->adj;
        for (uint32_t a = 0; a < na && w.rc == FT_OK; a++) {
            if (high_risk(r, cc + 3 * (size_t)a))
                continue;
            size_t n = 0, nout = 0;
            char seen[64] = "";
            for (int dir = 0; dir < 2; dir++) {
                const uint32_t *list = dir ? adj->in_txn : adj->out_txn;
                uint32_t lo = dir ? adj->in_off[a] : adj->out_off[a];
                uint32_t hi = dir ? adj->in_off[a + 1] : adj->out_off[a + 1];
                for (uint32_t k = lo; k < hi; k++) {
                    uint32_t t = list[k], peer = dir ? s->t.src[t] : s->t.dst[t];
                    const char *pc = cc + 3 * (size_t)peer;
                    if (!high_risk(r, pc))
                        continue;
                    if (!SCAN_RESERVE(&w, w.b, &w.cap_b, n + 1))
                        break;
                    w.b[n++] = t;
                    nout += !dir;
                    if (!strstr(seen, pc) && strlen(seen) + 4 < sizeof seen) {
                        strcat(seen, seen[0] ? ", " : "");
                        strcat(seen, pc);
                    }
                }
            }
            if (!n)
                continue;
            char name[64];
            scan_account(s, a, name);
            scan_emit(&w, FT_KIND_JURISDICTION, nout ? 0.7 : 0.5, w.b, (uint32_t)n, &a, 1, "",
                      "%s paid %zu and received %zu transfers with accounts in high-risk "
                      "jurisdictions (%s)",
                      name, nout, n - nout, seen);
        }
        free(cc);
    }
    if (w.rc == FT_OK && r->risk && r->naccounts + r->nwatch > 0)
        rc = risk(&w, r, s, listed_acc, reasons, err);
    if (rc == FT_OK && w.rc != FT_OK) {
        *err = w.err;
        rc = w.rc;
    }
done:
    *out = w.out;
    *limit_hits = m.hits;
    free(w.a);
    free(w.b);
    free(listed_acc);
    free(reasons);
    pcre2_match_data_free(m.md);
    pcre2_match_context_free(m.mc);
    return rc;
}
