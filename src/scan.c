/*
 * scan.c - running the detectors over a store: parameters, the facts they
 * share (hubs, one-off pairs), threads, alert ids, and the precedence of
 * specific patterns over the general ones they contain.
 */
#include "scan_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/pool.h"

#include "fundtrace/hash.h"
#include "fundtrace/money.h"
#include "fundtrace/rules.h"
#include "fundtrace/shard.h"

/* --- parameters ---------------------------------------------------------------------- */

static const struct param {
    const char *name;
    size_t offset;
    double lo, hi; /* allowed values */
} params[] = {
#define P(n, f, lo, hi) {n, offsetof(ft_scan_params, f), lo, hi}
    P("scan.hub_degree", hub_degree, 0, 4e9),
    P("scan.hub_mean_ratio", hub_mean_ratio, 1, 1e9),
    P("scan.novel_pair_max", novel_pair_max, 1, 1e6),
    P("scan.prior_transfers", prior_transfers, 0.001, 1e9),
    P("scan.rhythm_min", rhythm_min, 2, 1e9),
    P("scan.rhythm_share", rhythm_share, 0, 1),
    P("scan.opener_share", opener_share, 0, 1),
    P("scan.opener_min", opener_min, 1, 1e9),
    P("scan.large_ratio", large_ratio, 1, 1e9),
    P("scan.min_score", min_score, 0, 1),
    P("fan_out.min_receivers", fan_min_degree[0], 2, 1e6),
    P("fan_out.window_hours", fan_window_hours[0], 0.01, 1e5),
    P("fan_out.slow_window_days", fan_slow_days[0], 0.01, 1e5),
    P("fan_out.min_amount", fan_min_amount[0], 0, 1e15),
    P("fan_in.min_sources", fan_min_degree[1], 2, 1e6),
    P("fan_in.window_hours", fan_window_hours[1], 0.01, 1e5),
    P("fan_in.slow_window_days", fan_slow_days[1], 0.01, 1e5),
    P("fan_in.slow_max_payers", fan_slow_max_payers, 1, 1e9),
    P("fan_in.min_amount", fan_min_amount[1], 0, 1e15),
    P("scatter_gather.min_width", sg_min_width, 2, 1e6),
    P("scatter_gather.delay_hours", sg_delay_hours, 0.01, 1e5),
    P("scatter_gather.keep_low", sg_keep_low, 0, 1),
    P("scatter_gather.keep_high", sg_keep_high, 0, 10),
    P("scatter_gather.window_hours", sg_window_hours, 0.01, 1e5),
    P("scatter_gather.min_amount", sg_min_amount, 0, 1e15),
    P("gather_scatter.min_in", gs_min_in, 2, 1e6),
    P("gather_scatter.min_out", gs_min_out, 2, 1e6),
    P("gather_scatter.window_hours", gs_window_hours, 0.01, 1e5),
    P("gather_scatter.keep_low", gs_keep_low, 0, 1),
    P("gather_scatter.keep_high", gs_keep_high, 0, 10),
    P("gather_scatter.min_amount", gs_min_amount, 0, 1e15),
    P("cycle.max_hops", cycle_max_hops, 2, 12),
    P("cycle.window_hours", cycle_window_hours, 0.01, 1e5),
    P("cycle.keep_low", cycle_keep_low, 0, 1),
    P("cycle.keep_high", cycle_keep_high, 0, 10),
    P("cycle.return_ratio", cycle_return_ratio, 0, 1e9),
    P("stack.min_length", stack_min_length, 2, 30),
    P("stack.gap_hours", stack_gap_hours, 0.01, 1e5),
    P("stack.keep_low", stack_keep_low, 0, 1),
    P("stack.min_amount", stack_min_amount, 0, 1e15),
    P("bipartite.min_senders", bip_min_senders, 2, 1e6),
    P("bipartite.min_receivers", bip_min_receivers, 2, 1e6),
    P("bipartite.window_hours", bip_window_hours, 0.01, 1e5),
    P("bipartite.min_amount", bip_min_amount, 0, 1e15),
    P("pass_through.min_rounds", pt_min_rounds, 2, 1e6),
    P("pass_through.delay_hours", pt_delay_hours, 0.01, 1e5),
    P("pass_through.keep_low", pt_keep_low, 0, 1),
    P("pass_through.window_days", pt_window_days, 0.01, 1e4),
    P("pass_through.min_amount", pt_min_amount, 0, 1e15),
    P("rapid_movement.max_minutes", rapid_max_minutes, 0.01, 1e5),
    P("structuring.threshold", st_threshold, 0.01, 1e15),
    P("structuring.low", st_low, 0, 1),
    P("structuring.min_count", st_min_count, 2, 1e6),
    P("structuring.window_days", st_window_days, 0.01, 1e4),
    P("tf_collection.min_sources", tf_min_sources, 2, 1e6),
    P("tf_collection.window_days", tf_window_days, 0.01, 1e4),
    P("tf_collection.max_donation", tf_max_donation, 0, 1e15),
    P("tf_collection.max_outflows", tf_max_outflows, 1, 1e6),
    P("tf_collection.delay_days", tf_delay_days, 0.01, 1e4),
    P("tf_collection.min_share", tf_min_share, 0, 1),
    P("tf_collection.abroad", tf_abroad, 0, 1),
    P("tf_collection.min_burst", tf_min_burst, 0, 1e6),
#undef P
};

#define NPARAMS (sizeof params / sizeof params[0])

const char *const ft_scan_param_names[] = {
    "scan.hub_degree",
    "scan.hub_mean_ratio",
    "scan.novel_pair_max",
    "scan.prior_transfers",
    "scan.rhythm_min",
    "scan.rhythm_share",
    "scan.opener_share",
    "scan.opener_min",
    "scan.large_ratio",
    "scan.min_score",
    "fan_out.min_receivers",
    "fan_out.window_hours",
    "fan_out.slow_window_days",
    "fan_out.min_amount",
    "fan_in.min_sources",
    "fan_in.window_hours",
    "fan_in.slow_window_days",
    "fan_in.slow_max_payers",
    "fan_in.min_amount",
    "scatter_gather.min_width",
    "scatter_gather.delay_hours",
    "scatter_gather.keep_low",
    "scatter_gather.keep_high",
    "scatter_gather.window_hours",
    "scatter_gather.min_amount",
    "gather_scatter.min_in",
    "gather_scatter.min_out",
    "gather_scatter.window_hours",
    "gather_scatter.keep_low",
    "gather_scatter.keep_high",
    "gather_scatter.min_amount",
    "cycle.max_hops",
    "cycle.window_hours",
    "cycle.keep_low",
    "cycle.keep_high",
    "cycle.return_ratio",
    "stack.min_length",
    "stack.gap_hours",
    "stack.keep_low",
    "stack.min_amount",
    "bipartite.min_senders",
    "bipartite.min_receivers",
    "bipartite.window_hours",
    "bipartite.min_amount",
    "pass_through.min_rounds",
    "pass_through.delay_hours",
    "pass_through.keep_low",
    "pass_through.window_days",
    "pass_through.min_amount",
    "rapid_movement.max_minutes",
    "structuring.threshold",
    "structuring.low",
    "structuring.min_count",
    "structuring.window_days",
    "tf_collection.min_sources",
    "tf_collection.window_days",
    "tf_collection.max_donation",
    "tf_collection.max_outflows",
    "tf_collection.delay_days",
    "tf_collection.min_share",
    "tf_collection.abroad",
    "tf_collection.min_burst",
    NULL,
};

void ft_scan_defaults(ft_scan_params *p)
{
    memset(p, 0, sizeof *p);
    for (int k = 0; k < FT_PAT_COUNT; k++)
        p->enabled[k] = true;
    p->hub_degree = 500;
    p->hub_mean_ratio = 20;
    p->novel_pair_max = 1;
    p->prior_transfers = 20;
    p->rhythm_min = 14;
    p->rhythm_share = 0.8;
    p->opener_share = 0.5;
    p->opener_min = 10;
    p->large_ratio = 5;
    p->min_score = 0.5;
    for (int d = 0; d < 2; d++) {
        p->fan_min_degree[d] = 3;
        p->fan_window_hours[d] = 24 * 7;
        p->fan_slow_days[d] = 1000;
        p->fan_min_amount[d] = 0;
    }
    p->fan_slow_max_payers = 100;
    p->sg_min_width = 3;
    p->sg_delay_hours = 24 * 14;
    p->sg_keep_low = 0.5;
    p->sg_keep_high = 1.1;
    p->sg_window_hours = 24 * 14;
    p->sg_min_amount = 0;
    p->gs_min_in = 3;
    p->gs_min_out = 3;
    p->gs_window_hours = 24 * 14;
    p->gs_keep_low = 0.5;
    p->gs_keep_high = 1.1;
    p->gs_min_amount = 0;
    p->cycle_max_hops = 10;
    p->cycle_window_hours = 24 * 30;
    p->cycle_return_ratio = 3;
    p->cycle_keep_low = 0.8;
    p->cycle_keep_high = 1.0;
    p->stack_min_length = 3;
    p->stack_gap_hours = 168;
    p->stack_keep_low = 0.7;
    p->stack_min_amount = 0;
    p->bip_min_senders = 3;
    p->bip_min_receivers = 3;
    p->bip_window_hours = 720;
    p->bip_min_amount = 500;
    p->pt_min_rounds = 3;
    p->pt_delay_hours = 72;
    p->pt_keep_low = 0.85;
    p->pt_window_days = 60;
    p->pt_min_amount = 0;
    p->rapid_max_minutes = 120;
    p->st_threshold = 10000;
    p->st_low = 0.7;
    p->st_min_count = 3;
    p->st_window_days = 14;
    p->tf_min_sources = 8;
    p->tf_window_days = 60;
    p->tf_max_donation = 500;
    p->tf_max_outflows = 5;
    p->tf_delay_days = 14;
    p->tf_min_share = 0.6;
    p->tf_abroad = 1;
    p->tf_min_burst = 3;
}

void ft_scan_params_for_data(const ft_store *s, const ft_scan_params *p, ft_scan_params *out)
{
    *out = *p;
    if (s->t.n == 0)
        return;
    const int64_t day = 86400000;
    int64_t span = s->t.ts_ms[s->t.n - 1] - s->t.ts_ms[0];
    int64_t days = span / day + (span % day != 0);
    if (days >= 365)
        return;
    double f = (double)(days > 0 ? days : 1) / 365.0;
    out->hub_degree *= f;
    out->fan_slow_max_payers *= f;
    out->opener_min = fmax(1, out->opener_min * f);
}

ft_status ft_scan_param_assign(ft_scan_params *p, const char *assignment, ft_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return ft_error_set(err, FT_EUSAGE, "'%s': NAME=VALUE", assignment);
    char name[128];
    if ((size_t)(eq - assignment) >= sizeof name)
        return ft_error_set(err, FT_EUSAGE, "'%.40s...': no such parameter", assignment);
    snprintf(name, sizeof name, "%.*s", (int)(eq - assignment), assignment);
    return ft_scan_param_set(p, name, eq + 1, err);
}

ft_status ft_scan_only(ft_scan_params *p, const char *kinds, ft_error *err)
{
    bool want[FT_PAT_COUNT] = {false};
    for (const char *q = kinds; *q;) {
        size_t len = strcspn(q, ",");
        ft_pattern k;
        if (len && !ft_pattern_parse(q, len, &k))
            return ft_error_set(err, FT_EUSAGE, "no kind '%.*s'", (int)len, q);
        if (len)
            want[k] = true;
        q += len + (q[len] == ',');
    }
    for (int k = 0; k < FT_PAT_COUNT; k++)
        p->enabled[k] = p->enabled[k] && want[k];
    return FT_OK;
}

ft_status ft_scan_param_set(ft_scan_params *p, const char *name, const char *value,
                            ft_error *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !isfinite(v))
        return ft_error_set(err, FT_EUSAGE, "%s: '%s' is not a number", name, value);
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".enabled") == 0) {
        ft_pattern k;
        if (!ft_pattern_parse(name, (size_t)(dot - name), &k))
            return ft_error_set(err, FT_EUSAGE, "%s: no pattern '%.*s'", name,
                                (int)(dot - name), name);
        if (v != 0 && v != 1)
            return ft_error_set(err, FT_EUSAGE, "%s: 0 or 1", name);
        p->enabled[k] = v == 1;
        return FT_OK;
    }
    /* "fan.X" sets fan_out.X and fan_in.X; min_degree is the count of either. */
    static const struct {
        const char *alias, *out, *in;
    } both[] = {
        {"fan.min_degree", "fan_out.min_receivers", "fan_in.min_sources"},
        {"fan.window_hours", "fan_out.window_hours", "fan_in.window_hours"},
        {"fan.slow_window_days", "fan_out.slow_window_days", "fan_in.slow_window_days"},
        {"fan.min_amount", "fan_out.min_amount", "fan_in.min_amount"},
        {"fan_out.min_degree", "fan_out.min_receivers", NULL},
        {"fan_in.min_degree", "fan_in.min_sources", NULL},
    };
    for (size_t i = 0; i < sizeof both / sizeof *both; i++) {
        if (strcmp(name, both[i].alias) != 0)
            continue;
        ft_status rc = ft_scan_param_set(p, both[i].out, value, err);
        if (rc == FT_OK && both[i].in)
            rc = ft_scan_param_set(p, both[i].in, value, err);
        return rc;
    }
    for (size_t i = 0; i < NPARAMS; i++) {
        if (strcmp(params[i].name, name) != 0)
            continue;
        if (v < params[i].lo || v > params[i].hi)
            return ft_error_set(err, FT_EUSAGE, "%s: %s is out of range (%g to %g)", name, value,
                                params[i].lo, params[i].hi);
        *(double *)((char *)p + params[i].offset) = v;
        return FT_OK;
    }
    return ft_error_set(err, FT_EUSAGE, "no parameter '%s' (fundtrace scan --help lists them)",
                        name);
}

bool ft_scan_param_get(const ft_scan_params *p, const char *name, double *v)
{
    for (size_t i = 0; i < NPARAMS; i++) {
        if (strcmp(params[i].name, name) == 0) {
            *v = *(const double *)((const char *)p + params[i].offset);
            return true;
        }
    }
    return false;
}

const char *ft_alert_kind_name(int kind)
{
    static const char *const extra[] = {"watchlist", "text_match", "high_risk_jurisdiction", "risk",
                                        "learned"};
    if (kind >= 0 && kind < FT_PAT_COUNT)
        return ft_pattern_name((ft_pattern)kind);
    if (kind >= FT_PAT_COUNT && kind < FT_KIND_COUNT)
        return extra[kind - FT_PAT_COUNT];
    return "?";
}

/* --- alerts ---------------------------------------------------------------------------- */

void ft_alerts_free(ft_alerts *a)
{
    free(a->v);
    free(a->txns);
    free(a->accts);
    free(a->text);
    memset(a, 0, sizeof *a);
}

bool scan_reserve(scan_worker *w, void *pp, size_t *cap, size_t n, size_t elem)
{
    if (n <= *cap)
        return true;
    size_t c = *cap ? *cap : 64;
    while (c < n)
        c *= 2;
    void *p;
    memcpy(&p, pp, sizeof p);
    void *q = realloc(p, c * elem);
    if (!q) {
        if (w->rc == FT_OK)
            w->rc = ft_error_oom(&w->err);
        return false;
    }
    memcpy(pp, &q, sizeof q);
    *cap = c;
    return true;
}

void scan_emit(scan_worker *w, int kind, double score, const uint32_t *txns, uint32_t ntxn,
               const uint32_t *accts, uint32_t nacc, const char *params, const char *fmt, ...)
{
    ft_alerts *o = &w->out;
    if (w->rc != FT_OK || !ntxn)
        return;
    char expl[1024];
    va_list ap;
    va_start(ap, fmt);
    int elen = vsnprintf(expl, sizeof expl, fmt, ap);
    va_end(ap);
    if (elen < 0)
        elen = 0;
    if ((size_t)elen >= sizeof expl)
        elen = sizeof expl - 1;
    size_t plen = strlen(params);
    if (!FT_ARRAY_GROW(o->v, &o->cap, (uint64_t)o->n + 1) ||
        !FT_ARRAY_GROW(o->txns, &o->cap_txns, (uint64_t)o->ntxns + ntxn) ||
        !FT_ARRAY_GROW(o->accts, &o->cap_accts, (uint64_t)o->naccts + nacc) ||
        !FT_ARRAY_GROW(o->text, &o->cap_text, (uint64_t)o->ntext + (uint64_t)elen + plen + 2)) {
        w->rc = ft_error_oom(&w->err);
        return;
    }
    ft_alert *al = &o->v[o->n++];
    memset(al, 0, sizeof *al);
    al->kind = (uint16_t)kind;
    al->score = (float)(score < 0 ? 0 : score > 1 ? 1 : score);
    /* The transactions in time and tie order (not the rows' order),
     * without repeats. */
    uint32_t *t = o->txns + o->ntxns;
    memcpy(t, txns, (size_t)ntxn * sizeof *t);
    if (ntxn > 1 && ft_store_sort_txns(w->c->s, t, ntxn, &w->err) != FT_OK) {
        o->n--;
        w->rc = FT_ENOMEM;
        return;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < ntxn; i++)
        if (n == 0 || t[n - 1] != t[i])
            t[n++] = t[i];
    al->txn0 = o->ntxns;
    al->ntxn = n;
    o->ntxns += n;
    al->acc0 = o->naccts;
    al->nacc = nacc;
    if (nacc)
        memcpy(o->accts + o->naccts, accts, (size_t)nacc * sizeof *accts);
    o->naccts += nacc;
    al->text = o->ntext;
    memcpy(o->text + o->ntext, expl, (size_t)elen);
    o->text[o->ntext + (uint32_t)elen] = '\0';
    memcpy(o->text + o->ntext + elen + 1, params, plen + 1);
    o->ntext += (uint32_t)elen + (uint32_t)plen + 2;
}

void scan_money(const ft_store *s, uint16_t cur, int64_t v, char buf[48])
{
    size_t n = ft_money_format(v, s->currencies[cur].exponent, buf, 32);
    snprintf(buf + n, 48 - n, " %.3s", s->currencies[cur].code);
}

void scan_account(const ft_store *s, uint32_t a, char buf[64])
{
    size_t len;
    const char *k = ft_store_account_shown(s, a, &len);
    snprintf(buf, 64, "%.*s", (int)(len > 63 ? 63 : len), k);
}

void scan_country(const ft_store *s, uint32_t a, char out[3])
{
    size_t len;
    const char *k = ft_store_account(s, a, &len);
    out[0] = '\0';
    if (len < 4 || k[0] < 'A' || k[0] > 'Z' || k[1] < 'A' || k[1] > 'Z')
        return;
    /* An IBAN (two letters, two check digits) or a bank code before ':'. */
    bool iban = k[2] >= '0' && k[2] <= '9' && k[3] >= '0' && k[3] <= '9';
    bool bank = memchr(k, ':', len) != NULL;
    if (!iban && !bank)
        return;
    out[0] = k[0];
    out[1] = k[1];
    out[2] = '\0';
}

/* --- the run --------------------------------------------------------------------------- */

typedef struct scan_job {
    atomic_uint next;   /* the next block of accounts */
    uint32_t naccounts; /* the end of the accounts this run does */
    uint32_t base;      /* their start (a shard's; 0: all) */
} scan_job;

#define BLOCK 256

static void scan_account_all(scan_worker *w, uint32_t a)
{
    const ft_scan_params *p = w->c->p;
    /* Fans are measured against the account's own volume, so a hub's
     * burst of unusual payments counts too; no other pattern is centred
     * on a hub. */
    if (p->enabled[FT_PAT_FAN_OUT])
        detect_fan(w, a, true);
    if (p->enabled[FT_PAT_FAN_IN])
        detect_fan(w, a, false);
    if (w->c->hub[a])
        return;
    if (p->enabled[FT_PAT_SCATTER_GATHER])
        detect_scatter_gather(w, a);
    if (p->enabled[FT_PAT_GATHER_SCATTER])
        detect_gather_scatter(w, a);
    if (p->enabled[FT_PAT_CYCLE])
        detect_cycles(w, a);
    if (p->enabled[FT_PAT_STACK])
        detect_stacks(w, a);
    if (p->enabled[FT_PAT_BIPARTITE])
        detect_bipartite_sender(w, a);
    if (p->enabled[FT_PAT_PASS_THROUGH] || p->enabled[FT_PAT_RAPID])
        detect_pass_through(w, a);
    if (p->enabled[FT_PAT_STRUCTURING])
        detect_structuring(w, a);
    if (p->enabled[FT_PAT_TF_COLLECTION])
        detect_tf_collection(w, a);
}

static void *work(void *arg)
{
    scan_worker *w = arg;
    for (;;) {
        uint32_t b = atomic_fetch_add(&w->job->next, 1);
        uint64_t lo = w->job->base + (uint64_t)b * BLOCK;
        if (lo >= w->job->naccounts || w->rc != FT_OK)
            break;
        uint64_t hi = lo + BLOCK < w->job->naccounts ? lo + BLOCK : w->job->naccounts;
        for (uint64_t a = lo; a < hi; a++)
            scan_account_all(w, (uint32_t)a);
        if (w->reports && w->c->p->progress)
            w->c->p->progress(w->c->p->progress_ctx, hi - w->job->base,
                              w->job->naccounts - w->job->base);
    }
    return NULL;
}

typedef struct keyed {
    uint64_t a, b, c; /* sort keys */
    uint32_t i;
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
    const keyed *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    if (p->c != q->c)
        return p->c < q->c ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The id: XXH64 of the kind's name and the sorted original ids of the
 * transactions. */
static uint64_t alert_id(const ft_store *s, const ft_alert *al, const uint32_t *txns, char **ids,
                         char *buf)
{
    char *w = buf;
    for (uint32_t i = 0; i < al->ntxn; i++) {
        ids[i] = w;
        w += ft_store_txid(s, txns[al->txn0 + i], w, 128) + 1;
    }
    if (al->ntxn > 1)
        qsort(ids, al->ntxn, sizeof *ids, cmp_str);
    const char *kind = ft_alert_kind_name(al->kind);
    uint64_t h = ft_xxh64(kind, strlen(kind), 0);
    for (uint32_t i = 0; i < al->ntxn; i++)
        h = ft_xxh64(ids[i], strlen(ids[i]) + 1, h);
    return h;
}

/* One finding, one alert: of two alerts of the same kind, the one half of
 * whose transactions a higher-scored one already covers is dropped (a
 * fast and a slow fan of the same burst, overlapping windows, a
 * gather-scatter found from two windows). */
/* False when out of memory. */
static bool overlaps(const ft_store *s, ft_alerts *all, uint8_t *drop)
{
    keyed *order = malloc(((size_t)all->n + 1) * sizeof *order);
    uint8_t *mark = calloc((size_t)s->t.n / 8 + 1, 1);
    if (!order || !mark) {
        free(order);
        free(mark);
        return false; /* not another set of alerts: an error */
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < all->n; i++) {
        if (drop[i] || all->v[i].kind >= FT_PAT_COUNT)
            continue;
        /* kind, then score high to low (as an integer: order kept), then id */
        uint64_t sc = (uint64_t)((1.0 - (double)all->v[i].score) * 1e9);
        order[n++] = (keyed){all->v[i].kind, sc, all->v[i].id, i};
    }
    if (n > 1)
        qsort(order, n, sizeof *order, cmp_keyed);
    for (uint32_t x = 0; x < n; x++) {
        if (x > 0 && order[x].a != order[x - 1].a)
            memset(mark, 0, (size_t)s->t.n / 8 + 1);
        const ft_alert *al = &all->v[order[x].i];
        uint32_t covered = 0;
        for (uint32_t k = 0; k < al->ntxn; k++) {
            uint32_t t = all->txns[al->txn0 + k];
            covered += mark[t >> 3] >> (t & 7) & 1;
        }
        if (2 * covered >= al->ntxn && covered) {
            drop[order[x].i] = 1;
            continue;
        }
        for (uint32_t k = 0; k < al->ntxn; k++) {
            uint32_t t = all->txns[al->txn0 + k];
            mark[t >> 3] |= (uint8_t)(1u << (t & 7));
        }
    }
    free(order);
    free(mark);
    return true;
}

/* Specific patterns contain general ones: a scatter-gather's source is
 * a fan-out, a gather-scatter's hub a fan-in, a cycle's hops a stack, a
 * collection's donors, a mule's rounds and a bipartite block fans, the
 * accounts along a cycle, a stack or a scatter-gather single rounds of
 * pass-through. A
 * general alert half of whose transactions a specific one covers is
 * dropped. A mule's rounds and a gather-scatter can each look like the
 * other: both are kept. False when out of memory. */
static bool precedence(const ft_store *s, ft_alerts *all, uint8_t *drop)
{
    static const struct {
        ft_pattern specific, general;
    } rules[] = {
        {FT_PAT_SCATTER_GATHER, FT_PAT_FAN_OUT},
        {FT_PAT_SCATTER_GATHER, FT_PAT_FAN_IN},
        {FT_PAT_GATHER_SCATTER, FT_PAT_FAN_OUT},
        {FT_PAT_GATHER_SCATTER, FT_PAT_FAN_IN},
        {FT_PAT_CYCLE, FT_PAT_STACK},
        {FT_PAT_SCATTER_GATHER, FT_PAT_PASS_THROUGH},
        {FT_PAT_SCATTER_GATHER, FT_PAT_STRUCTURING},
        {FT_PAT_GATHER_SCATTER, FT_PAT_STRUCTURING},
        {FT_PAT_FAN_IN, FT_PAT_STRUCTURING},
        {FT_PAT_BIPARTITE, FT_PAT_STRUCTURING},
        {FT_PAT_TF_COLLECTION, FT_PAT_FAN_IN},
        {FT_PAT_BIPARTITE, FT_PAT_FAN_IN},
        {FT_PAT_BIPARTITE, FT_PAT_FAN_OUT},
        {FT_PAT_PASS_THROUGH, FT_PAT_FAN_IN},
        {FT_PAT_PASS_THROUGH, FT_PAT_FAN_OUT},
        {FT_PAT_RAPID, FT_PAT_FAN_IN},
        {FT_PAT_RAPID, FT_PAT_FAN_OUT},
        {FT_PAT_STACK, FT_PAT_FAN_OUT},
        {FT_PAT_CYCLE, FT_PAT_PASS_THROUGH},
        {FT_PAT_CYCLE, FT_PAT_RAPID},
        {FT_PAT_STACK, FT_PAT_PASS_THROUGH},
        {FT_PAT_STACK, FT_PAT_RAPID},
        {FT_PAT_SCATTER_GATHER, FT_PAT_RAPID},
        {FT_PAT_PASS_THROUGH, FT_PAT_STRUCTURING},
        {FT_PAT_RAPID, FT_PAT_STRUCTURING},
    };
    uint8_t *mark = calloc((size_t)s->t.n / 8 + 1, 1);
    if (!mark)
        return false; /* not another set of alerts: an error */
    for (size_t r = 0; r < sizeof rules / sizeof *rules; r++) {
        for (uint32_t i = 0; i < all->n; i++) {
            const ft_alert *al = &all->v[i];
            if (al->kind != rules[r].specific)
                continue;
            for (uint32_t k = 0; k < al->ntxn; k++) {
                uint32_t t = all->txns[al->txn0 + k];
                mark[t >> 3] |= (uint8_t)(1u << (t & 7));
            }
        }
        for (uint32_t i = 0; i < all->n; i++) {
            const ft_alert *al = &all->v[i];
            if (al->kind != rules[r].general || drop[i])
                continue;
            uint32_t covered = 0;
            for (uint32_t k = 0; k < al->ntxn; k++) {
                uint32_t t = all->txns[al->txn0 + k];
                covered += mark[t >> 3] >> (t & 7) & 1;
            }
            if (2 * covered >= al->ntxn)
                drop[i] = 1;
        }
        memset(mark, 0, (size_t)s->t.n / 8 + 1);
    }
    free(mark);
    return true;
}

/* Appends worker output `w` to `all`. */
static bool append(ft_alerts *all, const ft_alerts *w)
{
    if (!FT_ARRAY_GROW(all->v, &all->cap, (uint64_t)all->n + w->n) ||
        !FT_ARRAY_GROW(all->txns, &all->cap_txns, (uint64_t)all->ntxns + w->ntxns) ||
        !FT_ARRAY_GROW(all->accts, &all->cap_accts, (uint64_t)all->naccts + w->naccts) ||
        !FT_ARRAY_GROW(all->text, &all->cap_text, (uint64_t)all->ntext + w->ntext))
        return false;
    for (uint32_t i = 0; i < w->n; i++) {
        ft_alert al = w->v[i];
        al.txn0 += all->ntxns;
        al.acc0 += all->naccts;
        al.text += all->ntext;
        all->v[all->n++] = al;
    }
    if (w->ntxns)
        memcpy(all->txns + all->ntxns, w->txns, (size_t)w->ntxns * sizeof *w->txns);
    if (w->naccts)
        memcpy(all->accts + all->naccts, w->accts, (size_t)w->naccts * sizeof *w->accts);
    if (w->ntext)
        memcpy(all->text + all->ntext, w->text, w->ntext);
    all->ntxns += w->ntxns;
    all->naccts += w->naccts;
    all->ntext += w->ntext;
    return true;
}

/* The final set: ids, precedence, sorted by kind, first time, id. */
static ft_status finish(const ft_store *s, const ft_scan_params *p, ft_alerts *all, ft_alerts *out,
                        ft_error *err)
{
    memset(out, 0, sizeof *out);
    uint8_t *drop = calloc((size_t)all->n + 1, 1);
    keyed *order = malloc(((size_t)all->n + 1) * sizeof *order);
    uint32_t longest = 1;
    for (uint32_t i = 0; i < all->n; i++)
        if (all->v[i].ntxn > longest)
            longest = all->v[i].ntxn;
    char **ids = malloc((size_t)longest * sizeof *ids);
    char *buf = malloc((size_t)longest * 129);
    ft_status rc = FT_OK;
    if (!drop || !order || !ids || !buf) {
        rc = ft_error_oom(err);
        goto done;
    }
    /* Below the reporting score: gone before precedence, so that a weak
     * specific candidate does not hide a strong general alert. Rules'
     * alerts (watchlists, text, jurisdictions, risk) are always kept. */
    for (uint32_t i = 0; i < all->n; i++)
        if (all->v[i].kind < FT_PAT_COUNT && all->v[i].score < p->min_score)
            drop[i] = 1;
    /* ids first: overlaps() breaks ties by id */
    for (uint32_t i = 0; i < all->n; i++)
        all->v[i].id = alert_id(s, &all->v[i], all->txns, ids, buf);
    if (!p->candidates && (!overlaps(s, all, drop) || !precedence(s, all, drop))) {
        rc = ft_error_oom(err);
        goto done;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < all->n; i++) {
        ft_alert *al = &all->v[i];
        if (!drop[i])
            /* kind, first time (as unsigned, order kept), id */
            order[n++] = (keyed){al->kind,
                                 (uint64_t)s->t.ts_ms[all->txns[al->txn0]] ^ (1ULL << 63), al->id,
                                 i};
    }
    if (n > 1)
        qsort(order, n, sizeof *order, cmp_keyed);
    /* Copy in order, dropping repeats of the same id (one pattern found
     * from two centres). */
    for (uint32_t k = 0; k < n; k++) {
        const ft_alert *al = &all->v[order[k].i];
        if (out->n && out->v[out->n - 1].id == al->id && out->v[out->n - 1].kind == al->kind)
            continue;
        const char *expl = all->text + al->text;
        size_t elen = strlen(expl), plen = strlen(expl + elen + 1);
        if (!FT_ARRAY_GROW(out->v, &out->cap, (uint64_t)out->n + 1) ||
            !FT_ARRAY_GROW(out->txns, &out->cap_txns, (uint64_t)out->ntxns + al->ntxn) ||
            !FT_ARRAY_GROW(out->accts, &out->cap_accts, (uint64_t)out->naccts + al->nacc) ||
            !FT_ARRAY_GROW(out->text, &out->cap_text, (uint64_t)out->ntext + elen + plen + 2)) {
            rc = ft_error_oom(err);
            goto done;
        }
        ft_alert c = *al;
        c.txn0 = out->ntxns;
        c.acc0 = out->naccts;
        c.text = out->ntext;
        memcpy(out->txns + out->ntxns, all->txns + al->txn0, (size_t)al->ntxn * sizeof *out->txns);
        if (al->nacc)
            memcpy(out->accts + out->naccts, all->accts + al->acc0,
                   (size_t)al->nacc * sizeof *out->accts);
        memcpy(out->text + out->ntext, expl, elen + plen + 2);
        out->ntxns += al->ntxn;
        out->naccts += al->nacc;
        out->ntext += (uint32_t)(elen + plen + 2);
        out->v[out->n++] = c;
    }
done:
    if (rc != FT_OK)
        ft_alerts_free(out); /* nothing half made */
    free(drop);
    free(order);
    free(ids);
    free(buf);
    return rc;
}

ft_status scan_finish(const ft_store *s, ft_alerts *all, ft_alerts *out, ft_error *err)
{
    ft_scan_params p = {.candidates = true};
    return finish(s, &p, all, out, err);
}

ft_status ft_scan_run_part(const ft_store *s, const ft_scan_params *p, int threads,
                           const ft_shard *sh, ft_scan_part **out, ft_error *err)
{
    *out = NULL;
    if (!s->adj.out_off)
        return ft_error_set(err, FT_EUSAGE, "scan: build the store's adjacency first");
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    uint32_t na = s->accounts.n;
    int64_t *unit = calloc((size_t)s->ncurrencies + 1, sizeof *unit);
    scan_worker *workers = calloc((size_t)threads, sizeof *workers);
    ft_scan_part *part = calloc(1, sizeof *part);
    ft_scan_profile *own = NULL;
    ft_status rc = FT_OK;
    if (!unit || !workers || !part) {
        rc = ft_error_oom(err);
        goto done;
    }
    scan_units(s, unit);
    /* The data's profile, hubs and rates: the one given, made beforehand
     * from this data with these parameters, or made now. */
    const ft_scan_profile *sp = p->profile;
    if (sp)
        rc = scan_profile_check(sp, s, p, err);
    else if ((rc = ft_scan_profile_build(s, p, threads, &own, err)) == FT_OK)
        sp = own;
    if (rc != FT_OK)
        goto done;
    /* the detectors read the history counts scaled to the data's span, as
     * the profile did */
    ft_scan_params scaled;
    ft_scan_params_for_data(s, p, &scaled);
    p = &scaled;
    scan_ctx ctx = {s, p, sp->hub, unit, &sp->pr, 0};
    if (p->enabled[FT_PAT_CYCLE])
        ctx.returns = scan_count_returns(&ctx);
    /* A shard does a block of the accounts; the profile above is the whole
     * data's, as in one run. */
    uint64_t lo, hi;
    ft_shard_range(sh, na, &lo, &hi);
    scan_job job = {.naccounts = (uint32_t)hi, .base = (uint32_t)lo};
    if (p->profile_hook)
        p->profile_hook(p->profile_hook_ctx, &ctx);
    atomic_init(&job.next, 0);
    pthread_t tids[64];
    int started = 0;
    for (int i = 0; i < threads; i++) {
        workers[i].c = &ctx;
        workers[i].job = &job;
    }
    for (; started + 1 < threads; started++)
        if (pthread_create(&tids[started], NULL, work, &workers[started + 1]) != 0)
            break;
    workers[0].reports = true; /* the calling thread reports progress */
    work(&workers[0]);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    for (int i = 0; i < threads && rc == FT_OK; i++) {
        if (workers[i].rc != FT_OK) {
            *err = workers[i].err;
            rc = workers[i].rc;
        }
    }
    /* The workers' alerts, and their bipartite candidates for the step
     * that groups them across all accounts. */
    for (int i = 0; i < threads && rc == FT_OK; i++) {
        scan_worker *w = &workers[i];
        if (!append(&part->found, &w->out) ||
            !FT_ARRAY_GROW(part->bip, &part->cap_bip, (uint64_t)part->nbip + w->nbip) ||
            !FT_ARRAY_GROW(part->bip_txns, &part->cap_bip_txns,
                           (uint64_t)part->nbip_txns + w->nbip_txns)) {
            rc = ft_error_oom(err);
            break;
        }
        for (size_t k = 0; k < w->nbip; k++) {
            bip_rec r = w->bip[k];
            r.txn0 += (uint32_t)part->nbip_txns;
            part->bip[part->nbip++] = r;
        }
        if (w->nbip_txns)
            memcpy(part->bip_txns + part->nbip_txns, w->bip_txns,
                   w->nbip_txns * sizeof *w->bip_txns);
        part->nbip_txns += w->nbip_txns;
    }
done:
    ft_scan_profile_free(own);
    free(unit);
    for (int i = 0; i < threads && workers; i++) {
        ft_alerts_free(&workers[i].out);
        free(workers[i].a);
        free(workers[i].b);
        free(workers[i].x);
        free(workers[i].y);
        free(workers[i].bip);
        free(workers[i].bip_txns);
    }
    free(workers);
    if (rc == FT_OK)
        *out = part;
    else
        ft_scan_part_free(part);
    return rc;
}

void ft_scan_part_free(ft_scan_part *part)
{
    if (!part)
        return;
    ft_alerts_free(&part->found);
    free(part->bip);
    free(part->bip_txns);
    free(part);
}

ft_status ft_scan_finish_parts(const ft_store *s, const ft_scan_params *p,
                               ft_scan_part *const *parts, int nparts, ft_alerts *out,
                               ft_error *err)
{
    memset(out, 0, sizeof *out);
    scan_ctx ctx = {s, p, NULL, NULL, NULL, 0}; /* the grouping uses the store and parameters */
    scan_worker w = {.c = &ctx};
    scan_worker *from = calloc((size_t)(nparts > 0 ? nparts : 1), sizeof *from);
    ft_alerts all = {0};
    ft_status rc = FT_OK;
    if (!from) {
        rc = ft_error_oom(err);
        goto done;
    }
    /* The parts' alerts in shard order (the first part's are taken, not
     * copied), then the bipartite blocks over all their candidates, then
     * the rules' alerts: as one run on one thread has them. */
    for (int i = 0; i < nparts && rc == FT_OK; i++) {
        if (i == 0) {
            all = parts[0]->found;
            memset(&parts[0]->found, 0, sizeof parts[0]->found);
        } else if (!append(&all, &parts[i]->found)) {
            rc = ft_error_oom(err);
        }
        from[i].bip = parts[i]->bip;
        from[i].nbip = parts[i]->nbip;
        from[i].bip_txns = parts[i]->bip_txns;
    }
    if (rc == FT_OK && p->enabled[FT_PAT_BIPARTITE]) {
        detect_bipartite_groups(&w, from, nparts);
        if (w.rc != FT_OK) {
            *err = w.err;
            rc = w.rc;
        } else if (!append(&all, &w.out)) {
            rc = ft_error_oom(err);
        }
    }
    uint64_t hits = 0;
    if (rc == FT_OK && p->rules)
        rc = ft_rules_scan(p->rules, s, p, &all, &hits, err);
    if (rc == FT_OK)
        rc = finish(s, p, &all, out, err);
    out->regex_limit_hits = hits;
done:
    free(from); /* the candidates are the parts' */
    ft_alerts_free(&w.out);
    free(w.a);
    free(w.b);
    free(w.x);
    free(w.y);
    ft_alerts_free(&all);
    return rc;
}

void ft_alerts_window(ft_alerts *a, const ft_store *s, int64_t since_ms, int64_t until_ms)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        const ft_alert *al = &a->v[i];
        bool in = false;
        for (uint32_t k = 0; k < al->ntxn && !in; k++) {
            int64_t ts = s->t.ts_ms[a->txns[al->txn0 + k]];
            in = ts >= since_ms && ts <= until_ms;
        }
        if (in)
            a->v[n++] = *al;
    }
    a->n = n;
}

ft_status ft_scan_run(const ft_store *s, const ft_scan_params *p, int threads, ft_alerts *out,
                      ft_error *err)
{
    memset(out, 0, sizeof *out);
    ft_scan_part *part = NULL;
    ft_status rc = ft_scan_run_part(s, p, threads, NULL, &part, err);
    if (rc == FT_OK)
        rc = ft_scan_finish_parts(s, p, &part, 1, out, err);
    ft_scan_part_free(part);
    return rc;
}
