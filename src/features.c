/*
 * features.c - per-transaction features (features.h): the scan engine's
 * view of each transfer, as numbers.
 *
 * One scan gives most of them: it runs with `candidates` set, so every
 * candidate each detector finds comes back as an alert (no overlap or
 * precedence between them), and its profile hook hands over the profile's
 * flags, everyday amounts and hubs. The candidates become a list of
 * (row, kind, cycle length, score) entries sorted by row, read back when
 * rows are assembled. What the scan does not count, the window counts, the
 * pairs and the gaps, comes from one pass per account over its transfers
 * in time order (out and in lists of the adjacency): a sliding window
 * with a count per counterparty gives the transfers and the distinct
 * counterparties within each window of every transfer of the account, in
 * time linear in its transfers. Each account writes only the columns of
 * its own side of its own transfers, so threads never write the same
 * cell and any number of them gives the same values.
 */
#include "fundtrace/features.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/time.h"
#include "scan_int.h"

#define NBASE   14
#define NPERWIN 8
#define NCYC    (FT_FEATURES_MAX_CYCLE - FT_FEATURES_MIN_CYCLE + 1)
#define DAY_MS  86400000LL

static const char *const base_names[NBASE] = {
    "amount",        "amount_src_median", "amount_dst_median", "src_gap_hours", "dst_gap_hours",
    "src_transfers", "dst_transfers",     "pair_count",        "pair_reverse",  "pair_novel",
    "flag_offbeat",  "flag_unusual",      "flag_link",         "flag_large",
};

/* Per window, in this order. */
enum { W_SRC_OUT, W_SRC_IN, W_DST_OUT, W_DST_IN, W_SRC_FOUT, W_SRC_FIN, W_DST_FOUT, W_DST_FIN };
static const char *const win_names[NPERWIN] = {
    "src_out",     "src_in",     "dst_out",     "dst_in",
    "src_fan_out", "src_fan_in", "dst_fan_out", "dst_fan_in",
};

/* --- options and names ---------------------------------------------------------------- */

void ft_features_defaults(ft_features_opts *o)
{
    memset(o, 0, sizeof *o);
    o->nwindows = 3;
    o->window_ms[0] = DAY_MS;
    o->window_ms[1] = 7 * DAY_MS;
    o->window_ms[2] = 30 * DAY_MS;
    ft_scan_defaults(&o->scan);
    o->scan.min_score = 0;
}

/* "30d", "12h", "90m", "45s": the largest unit that divides it. */
static void window_label(int64_t ms, char buf[24])
{
    static const struct {
        int64_t ms;
        char unit;
    } units[] = {{DAY_MS, 'd'}, {3600000LL, 'h'}, {60000LL, 'm'}, {1000LL, 's'}};
    for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
        if (ms % units[u].ms == 0) {
            snprintf(buf, 24, "%lld%c", (long long)(ms / units[u].ms), units[u].unit);
            return;
        }
    }
    snprintf(buf, 24, "%lldms", (long long)ms);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

ft_status ft_features_set_windows(ft_features_opts *o, const char *list, ft_error *err)
{
    int64_t w[FT_FEATURES_MAX_WINDOWS];
    int n = 0;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        int64_t ms = 0;
        if (n == FT_FEATURES_MAX_WINDOWS)
            return ft_error_set(err, FT_EUSAGE, "windows '%s': at most %d", list,
                                FT_FEATURES_MAX_WINDOWS);
        if (!ft_duration_parse(p, len, &ms) || ms <= 0 || ms % 1000 != 0)
            return ft_error_set(err, FT_EUSAGE,
                                "window '%.*s' is not a duration of whole seconds (such as 1d, "
                                "12h or 90m)",
                                (int)len, p);
        w[n++] = ms;
        if (!p[len])
            break;
        p += len + 1;
    }
    qsort(w, (size_t)n, sizeof *w, cmp_i64);
    for (int i = 1; i < n; i++) {
        if (w[i] == w[i - 1]) {
            char lab[24];
            window_label(w[i], lab);
            return ft_error_set(err, FT_EUSAGE, "windows '%s': %s is given twice", list, lab);
        }
    }
    o->nwindows = n;
    memcpy(o->window_ms, w, (size_t)n * sizeof *w);
    return FT_OK;
}

uint32_t ft_features_ncols(const ft_features_opts *o)
{
    return NBASE + NPERWIN * (uint32_t)o->nwindows + 2 * NCYC + 2 + FT_PAT_COUNT;
}

uint32_t ft_features_det_col(const ft_features_opts *o, ft_pattern k)
{
    return ft_features_ncols(o) - FT_PAT_COUNT + (uint32_t)k;
}

ft_feature_group ft_features_group(const ft_features_opts *o, uint32_t c)
{
    static const uint8_t base_group[NBASE] = {
        FT_FG_AMOUNT,   FT_FG_AMOUNT,   FT_FG_AMOUNT,   FT_FG_TIMING,   FT_FG_TIMING,
        FT_FG_ACTIVITY, FT_FG_ACTIVITY, FT_FG_RELATION, FT_FG_RELATION, FT_FG_RELATION,
        FT_FG_TIMING,   FT_FG_RELATION, FT_FG_RELATION, FT_FG_AMOUNT,
    };
    if (c < NBASE)
        return (ft_feature_group)base_group[c];
    c -= NBASE;
    if (c < NPERWIN * (uint32_t)o->nwindows)
        return FT_FG_ACTIVITY;
    c -= NPERWIN * (uint32_t)o->nwindows;
    return c < 2 * NCYC ? FT_FG_CYCLES : FT_FG_PATTERNS;
}

const char *ft_feature_group_name(ft_feature_group g)
{
    static const char *const names[FT_FG_COUNT] = {"amount",   "timing", "relation",
                                                   "activity", "cycles", "patterns"};
    return (unsigned)g < FT_FG_COUNT ? names[g] : "?";
}

void ft_features_name(const ft_features_opts *o, uint32_t c, char buf[48])
{
    if (c < NBASE) {
        snprintf(buf, 48, "%s", base_names[c]);
        return;
    }
    c -= NBASE;
    if (c < NPERWIN * (uint32_t)o->nwindows) {
        char lab[24];
        window_label(o->window_ms[c / NPERWIN], lab);
        snprintf(buf, 48, "%s_%s", win_names[c % NPERWIN], lab);
        return;
    }
    c -= NPERWIN * (uint32_t)o->nwindows;
    if (c < 2 * NCYC) {
        snprintf(buf, 48, "%s_%u", c < NCYC ? "cycle" : "tcycle", c % NCYC + FT_FEATURES_MIN_CYCLE);
        return;
    }
    c -= 2 * NCYC;
    if (c < 2) {
        snprintf(buf, 48, "%s", c == 0 ? "sg_count" : "gs_count");
        return;
    }
    c -= 2;
    snprintf(buf, 48, "det_%s", ft_pattern_name((ft_pattern)(c < FT_PAT_COUNT ? c : 0)));
}

/* --- settings as text ------------------------------------------------------------------ */

typedef struct text {
    char *p;
    size_t n, cap;
    bool oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int len = vsnprintf(t->p ? t->p + t->n : NULL, t->p ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (len < 0) {
            t->oom = true;
            return;
        }
        if (t->p && t->n + (size_t)len < t->cap) {
            t->n += (size_t)len;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap <= t->n + (size_t)len)
            cap *= 2;
        char *q = realloc(t->p, cap);
        if (!q) {
            t->oom = true;
            return;
        }
        t->p = q;
        t->cap = cap;
    }
}

char *ft_features_settings(const ft_features_opts *o)
{
    text t = {0};
    put(&t, "version=%d\nwindows=", FT_FEATURES_VERSION);
    for (int i = 0; i < o->nwindows; i++) {
        char lab[24];
        window_label(o->window_ms[i], lab);
        put(&t, "%s%s", i ? "," : "", lab);
    }
    put(&t, "\n");
    for (int i = 0; ft_scan_param_names[i]; i++) {
        double v = 0;
        ft_scan_param_get(&o->scan, ft_scan_param_names[i], &v);
        put(&t, "%s=%.17g\n", ft_scan_param_names[i], v);
    }
    for (int k = 0; k < FT_PAT_COUNT; k++)
        put(&t, "%s.enabled=%d\n", ft_pattern_name((ft_pattern)k), o->scan.enabled[k] ? 1 : 0);
    if (t.oom) {
        free(t.p);
        return NULL;
    }
    return t.p;
}

bool ft_features_settings_diff(const char *a, const char *b, char *buf, size_t cap)
{
    while (*a || *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0) {
            size_t ka = strcspn(a, "="), kb = strcspn(b, "=");
            if (ka < la && kb < lb && ka == kb && memcmp(a, b, ka) == 0)
                snprintf(buf, cap, "%.*s: %.*s against %.*s", (int)ka, a, (int)(la - ka - 1),
                         a + ka + 1, (int)(lb - kb - 1), b + kb + 1);
            else
                snprintf(buf, cap, "'%.*s' against '%.*s'", (int)la, a, (int)lb, b);
            return true;
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    return false;
}

ft_status ft_features_settings_parse(ft_features_opts *o, const char *txt, ft_error *err)
{
    ft_features_defaults(o);
    int line = 0;
    for (const char *p = txt; *p;) {
        size_t len = strcspn(p, "\n");
        line++;
        char buf[256];
        if (len >= sizeof buf)
            return ft_error_set(err, FT_EINPUT, "feature settings line %d is too long", line);
        memcpy(buf, p, len);
        buf[len] = '\0';
        p += len + (p[len] == '\n');
        char *eq = strchr(buf, '=');
        if (!eq)
            return ft_error_set(err, FT_EINPUT, "feature settings line %d: no '='", line);
        *eq = '\0';
        const char *name = buf, *value = eq + 1;
        ft_status rc = FT_OK;
        if (strcmp(name, "version") == 0) {
            if (atoi(value) != FT_FEATURES_VERSION || strspn(value, "0123456789") != strlen(value))
                return ft_error_set(err, FT_EINPUT,
                                    "the features are version %s; this fundtrace computes "
                                    "version %d",
                                    value, FT_FEATURES_VERSION);
        } else if (strcmp(name, "windows") == 0) {
            rc = ft_features_set_windows(o, value, err);
        } else {
            rc = ft_scan_param_set(&o->scan, name, value, err);
        }
        if (rc != FT_OK) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg); /* not err->msg into itself */
            return ft_error_set(err, FT_EINPUT, "feature settings line %d: %s", line, why);
        }
    }
    /* Complete and canonical: what it says is what these settings write. */
    char *again = ft_features_settings(o);
    if (!again)
        return ft_error_oom(err);
    char diff[256];
    bool differ = ft_features_settings_diff(again, txt, diff, sizeof diff);
    free(again);
    if (differ)
        return ft_error_set(err, FT_EINPUT,
                            "feature settings are not as this fundtrace writes "
                            "them (%s)",
                            diff);
    return FT_OK;
}

/* --- computing ------------------------------------------------------------------------- */

/* One detector candidate covering one row. */
typedef struct det_entry {
    uint32_t row;
    uint32_t cand; /* the candidate's number */
    uint8_t kind;
    uint8_t cycle;    /* a cycle's length, FT_FEATURES_MIN_CYCLE .. MAX; 0 otherwise */
    uint8_t temporal; /* a cycle that runs forward in time */
    uint8_t pad;
    float score;
} det_entry;

struct ft_features {
    const ft_store *s;
    ft_features_opts o;
    uint32_t n, ncols;
    int64_t *unit;            /* per currency */
    uint8_t *tflag;           /* per row: the profile's TF_* */
    double *med_out, *med_in; /* per account: everyday amounts, major units */
    uint8_t *hub;             /* per account */
    uint32_t *win;            /* [row][window * NPERWIN + k]: a row's counts together */
    uint32_t *pair_count, *pair_reverse;
    float *gap_src, *gap_dst; /* hours; NAN: none */
    det_entry *det;           /* sorted by row */
    size_t ndet;
    uint32_t ncand;
    bool oom;
};

static void take_profile(void *ctx, const scan_ctx *c)
{
    ft_features *f = ctx;
    uint32_t na = c->s->accounts.n;
    f->tflag = malloc((size_t)f->n + 1);
    f->med_out = malloc(((size_t)na + 1) * sizeof *f->med_out);
    f->med_in = malloc(((size_t)na + 1) * sizeof *f->med_in);
    f->hub = malloc((size_t)na + 1);
    if (!f->tflag || !f->med_out || !f->med_in || !f->hub) {
        f->oom = true;
        return;
    }
    memcpy(f->tflag, c->pr->tflag, f->n);
    memcpy(f->med_out, c->pr->med_out, (size_t)na * sizeof *f->med_out);
    memcpy(f->med_in, c->pr->med_in, (size_t)na * sizeof *f->med_in);
    memcpy(f->hub, c->hub, na);
}

/* Does the cycle of these transfers (simple, any order) run forward in
 * time from one of them? Around the loop, times may fall at most once. */
static bool time_respecting(const ft_store *s, const uint32_t *t, uint32_t n)
{
    uint32_t order[64];
    if (n > 64)
        return false;
    uint8_t used[64] = {0};
    order[0] = 0;
    used[0] = 1;
    for (uint32_t k = 1; k < n; k++) {
        uint32_t prev = t[order[k - 1]], next = n;
        for (uint32_t j = 0; j < n && next == n; j++)
            if (!used[j] && s->t.src[t[j]] == s->t.dst[prev])
                next = j;
        if (next == n)
            return false;
        order[k] = next;
        used[next] = 1;
    }
    uint32_t falls = 0;
    for (uint32_t k = 0; k < n; k++)
        falls += s->t.ts_ms[t[order[(k + 1) % n]]] < s->t.ts_ms[t[order[k]]];
    return falls <= 1;
}

static int cmp_det(const void *a, const void *b)
{
    const det_entry *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->cycle != y->cycle)
        return x->cycle < y->cycle ? -1 : 1;
    if (x->temporal != y->temporal)
        return x->temporal < y->temporal ? -1 : 1;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return (x->cand > y->cand) - (x->cand < y->cand);
}

static ft_status take_candidates(ft_features *f, const ft_alerts *al, ft_error *err)
{
    size_t n = 0;
    for (uint32_t i = 0; i < al->n; i++)
        if (al->v[i].kind < FT_PAT_COUNT)
            n += al->v[i].ntxn;
    f->det = malloc((n + 1) * sizeof *f->det);
    if (!f->det)
        return ft_error_oom(err);
    for (uint32_t i = 0; i < al->n; i++) {
        const ft_alert *a = &al->v[i];
        if (a->kind >= FT_PAT_COUNT)
            continue;
        const uint32_t *t = al->txns + a->txn0;
        uint8_t len = 0, temporal = 0;
        if (a->kind == FT_PAT_CYCLE && a->ntxn >= FT_FEATURES_MIN_CYCLE &&
            a->ntxn <= FT_FEATURES_MAX_CYCLE) {
            len = (uint8_t)a->ntxn;
            temporal = time_respecting(f->s, t, a->ntxn);
        }
        for (uint32_t k = 0; k < a->ntxn; k++)
            f->det[f->ndet++] = (det_entry){t[k], i, (uint8_t)a->kind, len, temporal, 0, a->score};
    }
    f->ncand = al->n;
    if (f->ndet > 1)
        qsort(f->det, f->ndet, sizeof *f->det, cmp_det);
    return FT_OK;
}

/* The per-account pass. Each thread gathers an account's transfers out
 * and in from the columns once (they are scattered over the store), and
 * every count is then taken from its own small arrays. */
typedef struct mine {
    int64_t ts;
    uint32_t peer, txn;
} mine;

/* A transfer of the account, out and in merged in time (store) order; a
 * transfer to itself is there twice. */
typedef struct query {
    int64_t ts;
    uint32_t txn;
    uint8_t out; /* the account pays it */
} query;

typedef struct pass_scratch {
    uint32_t *count; /* a count per account, all zero between accounts */
    mine *o, *i;
    query *q;
    size_t cap;
    bool oom;
} pass_scratch;

typedef struct pass_ctx {
    ft_features *f;
    pass_scratch *t; /* per thread */
} pass_ctx;

/* Slides a window [t - w, t + w] over `list` (the account's transfers out
 * or in, in time order) for every transfer of the account (q), counting
 * transfers and distinct counterparties; writes the four columns of this
 * list for each query. */
static void slide(ft_features *f, uint32_t *cnt, const mine *list, uint32_t nl, const query *q,
                  uint32_t nq, int wi, bool over_out)
{
    int64_t w = f->o.window_ms[wi];
    size_t stride = (size_t)NPERWIN * (size_t)f->o.nwindows;
    uint32_t *col = f->win + (size_t)wi * NPERWIN;
    /* the columns this pass fills, for a query out of the account (it is
     * the payer) and into it */
    int c_src = over_out ? W_SRC_OUT : W_SRC_IN, f_src = over_out ? W_SRC_FOUT : W_SRC_FIN;
    int c_dst = over_out ? W_DST_OUT : W_DST_IN, f_dst = over_out ? W_DST_FOUT : W_DST_FIN;
    uint32_t lo = 0, hi = 0, distinct = 0;
    for (uint32_t k = 0; k < nq; k++) {
        int64_t t = q[k].ts;
        while (hi < nl && list[hi].ts - t <= w)
            distinct += cnt[list[hi++].peer]++ == 0;
        while (lo < hi && t - list[lo].ts > w)
            distinct -= --cnt[list[lo++].peer] == 0;
        uint32_t *row = col + (size_t)q[k].txn * stride;
        row[q[k].out ? c_src : c_dst] = hi - lo;
        row[q[k].out ? f_src : f_dst] = distinct;
    }
    while (lo < hi)
        --cnt[list[lo++].peer];
}

static bool scratch_reserve(pass_scratch *x, size_t n)
{
    if (n <= x->cap)
        return true;
    size_t cap = x->cap ? x->cap : 256;
    while (cap < n)
        cap *= 2;
    mine *o = realloc(x->o, cap * sizeof *o);
    if (o)
        x->o = o;
    mine *i = realloc(x->i, cap * sizeof *i);
    if (i)
        x->i = i;
    query *q = realloc(x->q, 2 * cap * sizeof *q);
    if (q)
        x->q = q;
    if (!o || !i || !q) {
        x->oom = true;
        return false;
    }
    x->cap = cap;
    return true;
}

static void account_pass(void *ctx, int tid, uint32_t lo, uint32_t hi)
{
    pass_ctx *pc = ctx;
    ft_features *f = pc->f;
    pass_scratch *x = &pc->t[tid];
    const ft_store *s = f->s;
    const ft_adjacency *adj = &s->adj;
    uint32_t *cnt = x->count;
    for (uint32_t a = lo; a < hi && !x->oom; a++) {
        const uint32_t *out = adj->out_txn + adj->out_off[a], *in = adj->in_txn + adj->in_off[a];
        uint32_t no = adj->out_off[a + 1] - adj->out_off[a],
                 ni = adj->in_off[a + 1] - adj->in_off[a];
        if (!scratch_reserve(x, no > ni ? no : ni))
            return;
        mine *o = x->o, *i = x->i;
        query *q = x->q;
        for (uint32_t k = 0; k < no; k++)
            o[k] = (mine){s->t.ts_ms[out[k]], s->t.dst[out[k]], out[k]};
        for (uint32_t k = 0; k < ni; k++)
            i[k] = (mine){s->t.ts_ms[in[k]], s->t.src[in[k]], in[k]};
        /* the queries in store order; a transfer to itself out first */
        uint32_t nq = 0, io = 0, ii = 0;
        while (io < no || ii < ni) {
            bool take_out = ii >= ni || (io < no && o[io].txn <= i[ii].txn);
            const mine *m = take_out ? &o[io++] : &i[ii++];
            q[nq++] = (query){m->ts, m->txn, take_out};
        }
        for (int wi = 0; wi < f->o.nwindows; wi++) {
            slide(f, cnt, o, no, q, nq, wi, true);
            slide(f, cnt, i, ni, q, nq, wi, false);
        }
        /* pairs: a's transfers to each payee, and that payee's to a */
        for (uint32_t k = 0; k < no; k++)
            cnt[o[k].peer]++;
        for (uint32_t k = 0; k < no; k++)
            f->pair_count[o[k].txn] = cnt[o[k].peer];
        for (uint32_t k = 0; k < no; k++)
            cnt[o[k].peer] = 0;
        for (uint32_t k = 0; k < ni; k++)
            cnt[i[k].peer]++;
        for (uint32_t k = 0; k < no; k++)
            f->pair_reverse[o[k].txn] = cnt[o[k].peer];
        for (uint32_t k = 0; k < ni; k++)
            cnt[i[k].peer] = 0;
        /* gaps: from the account's latest transfer at an earlier time */
        int64_t prev = INT64_MIN, cur = INT64_MIN;
        float gap = NAN;
        for (uint32_t k = 0; k < nq; k++) {
            if (q[k].ts != cur) {
                prev = cur;
                cur = q[k].ts;
                gap = prev == INT64_MIN ? NAN : (float)((double)(cur - prev) / 3600000.0);
            }
            if (q[k].out)
                f->gap_src[q[k].txn] = gap;
            else
                f->gap_dst[q[k].txn] = gap;
        }
    }
}

ft_status ft_features_compute(const ft_store *s, const ft_features_opts *o, int threads,
                              ft_features **out, ft_error *err)
{
    *out = NULL;
    if (!s->adj.out_off)
        return ft_error_set(err, FT_EUSAGE, "features: build the store's adjacency first");
    if (s->t.n > (int64_t)UINT32_MAX - 1)
        return ft_error_set(err, FT_ELIMIT, "features: too many transactions");
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    ft_features *f = calloc(1, sizeof *f);
    if (!f)
        return ft_error_oom(err);
    f->s = s;
    f->o = *o;
    f->n = (uint32_t)s->t.n;
    f->ncols = ft_features_ncols(o);
    uint32_t na = s->accounts.n;
    ft_alerts cand = {0};
    pass_ctx pc = {f, NULL};
    ft_status rc = FT_OK;
    f->unit = malloc(((size_t)s->ncurrencies + 1) * sizeof *f->unit);
    f->win = calloc((size_t)o->nwindows * NPERWIN * f->n + 1, sizeof *f->win);
    f->pair_count = calloc((size_t)f->n + 1, sizeof *f->pair_count);
    f->pair_reverse = calloc((size_t)f->n + 1, sizeof *f->pair_reverse);
    f->gap_src = malloc(((size_t)f->n + 1) * sizeof *f->gap_src);
    f->gap_dst = malloc(((size_t)f->n + 1) * sizeof *f->gap_dst);
    pc.t = calloc((size_t)threads, sizeof *pc.t);
    if (!f->unit || !f->win || !f->pair_count || !f->pair_reverse || !f->gap_src || !f->gap_dst ||
        !pc.t) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (int c = 0; c < s->ncurrencies; c++) {
        f->unit[c] = 1;
        for (int e = 0; e < s->currencies[c].exponent; e++)
            f->unit[c] *= 10;
    }
    /* The scan: every candidate, and the profile on the way. */
    ft_scan_params p = o->scan;
    p.rules = NULL;
    p.candidates = true;
    p.profile_hook = take_profile;
    p.profile_hook_ctx = f;
    if ((rc = ft_scan_run(s, &p, threads, &cand, err)) != FT_OK)
        goto done;
    if (f->oom || !f->tflag) {
        rc = ft_error_oom(err);
        goto done;
    }
    if ((rc = take_candidates(f, &cand, err)) != FT_OK)
        goto done;
    ft_alerts_free(&cand);
    for (int i = 0; i < threads; i++) {
        if (!(pc.t[i].count = calloc((size_t)na + 1, sizeof *pc.t[i].count))) {
            rc = ft_error_oom(err);
            goto done;
        }
    }
    scan_parallel(threads, na, account_pass, &pc);
    for (int i = 0; i < threads; i++)
        if (pc.t[i].oom)
            rc = ft_error_oom(err);
done:
    ft_alerts_free(&cand);
    for (int i = 0; pc.t && i < threads; i++) {
        free(pc.t[i].count);
        free(pc.t[i].o);
        free(pc.t[i].i);
        free(pc.t[i].q);
    }
    free(pc.t);
    if (rc != FT_OK) {
        ft_features_free(f);
        return rc;
    }
    *out = f;
    return FT_OK;
}

void ft_features_free(ft_features *f)
{
    if (!f)
        return;
    free(f->unit);
    free(f->tflag);
    free(f->med_out);
    free(f->med_in);
    free(f->hub);
    free(f->win);
    free(f->pair_count);
    free(f->pair_reverse);
    free(f->gap_src);
    free(f->gap_dst);
    free(f->det);
    free(f);
}

const uint8_t *ft_features_hubs(const ft_features *f)
{
    return f->hub;
}

const ft_features_opts *ft_features_options(const ft_features *f)
{
    return &f->o;
}

const ft_store *ft_features_store(const ft_features *f)
{
    return f->s;
}

/* The first entry of row r or later. */
static size_t det_from(const ft_features *f, uint32_t r)
{
    size_t d = 0, dhi = f->ndet;
    while (d < dhi) {
        size_t mid = d + (dhi - d) / 2;
        if (f->det[mid].row < r)
            d = mid + 1;
        else
            dhi = mid;
    }
    return d;
}

uint32_t ft_features_ncandidates(const ft_features *f)
{
    return f->ncand;
}

uint32_t ft_features_covering(const ft_features *f, uint32_t row, ft_feature_cand *out,
                              uint32_t cap)
{
    uint32_t n = 0;
    for (size_t d = det_from(f, row); d < f->ndet && f->det[d].row == row; d++) {
        if (n < cap)
            out[n] = (ft_feature_cand){f->det[d].cand, f->det[d].kind, f->det[d].score};
        n++;
    }
    return n;
}

/* --- rows -------------------------------------------------------------------------------- */

void ft_features_rows(const ft_features *f, uint32_t lo, uint32_t hi, float *out)
{
    const ft_store *s = f->s;
    const ft_adjacency *adj = &s->adj;
    uint32_t nc = f->ncols, nw = (uint32_t)f->o.nwindows;
    size_t d = det_from(f, lo);
    for (uint32_t i = lo; i < hi; i++, out += nc) {
        uint32_t a = s->t.src[i], b = s->t.dst[i];
        double v = (double)s->t.amount[i] / (double)f->unit[s->t.cur[i]];
        uint8_t fl = f->tflag[i];
        float *x = out;
        *x++ = (float)v;
        *x++ = f->med_out[a] > 0 ? (float)(v / f->med_out[a]) : NAN;
        *x++ = f->med_in[b] > 0 ? (float)(v / f->med_in[b]) : NAN;
        *x++ = f->gap_src[i];
        *x++ = f->gap_dst[i];
        *x++ = (float)(adj->out_off[a + 1] - adj->out_off[a] + adj->in_off[a + 1] - adj->in_off[a]);
        *x++ = (float)(adj->out_off[b + 1] - adj->out_off[b] + adj->in_off[b + 1] - adj->in_off[b]);
        *x++ = (float)f->pair_count[i];
        *x++ = (float)f->pair_reverse[i];
        *x++ = (fl & TF_NOVEL) ? 1.0f : 0.0f;
        *x++ = (fl & TF_OFFBEAT) ? 1.0f : 0.0f;
        *x++ = (fl & TF_UNUSUAL) ? 1.0f : 0.0f;
        *x++ = (fl & TF_LINK) ? 1.0f : 0.0f;
        *x++ = (fl & TF_LARGE) ? 1.0f : 0.0f;
        const uint32_t *w = f->win + (size_t)i * NPERWIN * nw;
        for (uint32_t k = 0; k < NPERWIN * nw; k++)
            *x++ = (float)w[k];
        float *cyc = x, *det = x + 2 * NCYC + 2;
        memset(x, 0, (2 * NCYC + 2 + FT_PAT_COUNT) * sizeof *x);
        for (; d < f->ndet && f->det[d].row == i; d++) {
            const det_entry *e = &f->det[d];
            if (e->cycle) {
                cyc[e->cycle - FT_FEATURES_MIN_CYCLE] += 1;
                if (e->temporal)
                    cyc[NCYC + e->cycle - FT_FEATURES_MIN_CYCLE] += 1;
            }
            if (e->kind == FT_PAT_SCATTER_GATHER)
                cyc[2 * NCYC] += 1;
            if (e->kind == FT_PAT_GATHER_SCATTER)
                cyc[2 * NCYC + 1] += 1;
            if (e->score > det[e->kind])
                det[e->kind] = e->score;
        }
    }
}
