/*
 * learn_scan.c - alerts from a model (learn.h, ft_model_scan): score every
 * transfer, flag those at or above the threshold, join flagged transfers
 * that share an account (not a hub) within the group window into one
 * alert, type it by the detectors' candidates that cover it, and explain
 * it by the features that raised its transfers' scores most.
 *
 * The groups are the connected components of a union-find over the
 * flagged transfers: each account's flagged transfers in time order, each
 * joined to the one before it when at most the window apart. The root of
 * a component is its lowest transfer number, so groups and their order do
 * not depend on threads.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/learn.h"
#include "fundtrace/rules.h"
#include "fundtrace/time.h"
#include "scan_int.h"

#define BLOCK_ROWS   16384
#define MAX_ACCOUNTS 200

/* How specific a kind is, after scan.c's precedence (a specific pattern
 * contains general ones): fans and structuring are general (0); what
 * contains one of them is 1 (a stack holds a fan-out, a mule's rounds and
 * a gather-scatter fans in and out, ...); what contains one of those is 2
 * (a scatter-gather holds a mule's round, a cycle a stack). The most
 * specific candidate names a group. */
static int specific(int kind)
{
    switch (kind) {
    case FT_PAT_FAN_OUT:
    case FT_PAT_FAN_IN:
    case FT_PAT_STRUCTURING:
        return 0;
    case FT_PAT_SCATTER_GATHER:
    case FT_PAT_CYCLE:
        return 2;
    default:
        return 1;
    }
}

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void join(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = find(parent, a);
    b = find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

typedef struct touch {
    uint32_t acc;
    int64_t ts;
    uint32_t idx; /* into the flagged list */
} touch;

static int cmp_touch(const void *x, const void *y)
{
    const touch *a = x, *b = y;
    if (a->acc != b->acc)
        return a->acc < b->acc ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

typedef struct member {
    uint32_t root, idx;
} member;

static int cmp_member(const void *x, const void *y)
{
    const member *a = x, *b = y;
    if (a->root != b->root)
        return a->root < b->root ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

typedef struct extra {
    uint32_t grp, row;
} extra;

static int cmp_extra(const void *x, const void *y)
{
    const extra *a = x, *b = y;
    if (a->grp != b->grp)
        return a->grp < b->grp ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

typedef struct acc_count {
    uint32_t acc, n;
    const ft_store *s;
} acc_count;

static int cmp_acc_count(const void *x, const void *y)
{
    const acc_count *a = x, *b = y;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    size_t la, lb;
    const char *ka = ft_store_account(a->s, a->acc, &la), *kb = ft_store_account(b->s, b->acc, &lb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static int cmp_acc_id(const void *x, const void *y)
{
    const acc_count *a = x, *b = y;
    return (a->acc > b->acc) - (a->acc < b->acc);
}

typedef struct contrib {
    double v;
    uint32_t col;
} contrib;

static int cmp_contrib(const void *x, const void *y)
{
    const contrib *a = x, *b = y;
    if (a->v != b->v)
        return a->v > b->v ? -1 : 1;
    return (a->col > b->col) - (a->col < b->col);
}

typedef struct side {
    uint32_t acc;
    uint8_t out; /* the account pays the transfer */
} side;

static int cmp_side(const void *x, const void *y)
{
    const side *a = x, *b = y;
    if (a->acc != b->acc)
        return a->acc < b->acc ? -1 : 1;
    return (a->out > b->out) - (a->out < b->out);
}

/* The kind of a group no detector covers by half, by its shape: one
 * account paying half of its transfers or more and receiving none is a
 * fan-out (receiving half and paying none, a fan-in); transfers that go
 * round accounts each paying and receiving one of them, a cycle; three or
 * more along a chain of accounts each passing on what it got, a stack
 * (a layering chain); else "learned". `sides` holds 2 * n. */
static int shape(const ft_store *s, const uint32_t *txns, uint32_t n, side *sides)
{
    for (uint32_t k = 0; k < n; k++) {
        sides[2 * k] = (side){s->t.src[txns[k]], 1};
        sides[2 * k + 1] = (side){s->t.dst[txns[k]], 0};
    }
    qsort(sides, 2 * (size_t)n, sizeof *sides, cmp_side);
    uint32_t naccts = 0, max_out = 0, max_in = 0, in_of_max_out = 0, out_of_max_in = 0;
    uint32_t heads = 0, tails = 0;
    bool round = true, chain = true;
    for (uint32_t i = 0; i < 2 * n;) {
        uint32_t j = i, in = 0, out = 0;
        for (; j < 2 * n && sides[j].acc == sides[i].acc; j++)
            out += sides[j].out, in += !sides[j].out;
        naccts++;
        round = round && in == 1 && out == 1;
        heads += in == 0 && out == 1;
        tails += in == 1 && out == 0;
        chain = chain && in <= 1 && out <= 1;
        if (out > max_out)
            max_out = out, in_of_max_out = in;
        if (in > max_in)
            max_in = in, out_of_max_in = out;
        i = j;
    }
    if (n >= 2 && 2 * max_out >= n && in_of_max_out == 0)
        return FT_PAT_FAN_OUT;
    if (n >= 2 && 2 * max_in >= n && out_of_max_in == 0)
        return FT_PAT_FAN_IN;
    if (n >= 2 && round && naccts == n)
        return FT_PAT_CYCLE;
    if (n >= 3 && chain && heads == 1 && tails == 1 && naccts == n + 1)
        return FT_PAT_STACK;
    return FT_KIND_LEARNED;
}

static void when(int64_t ms, char buf[40])
{
    if (!ft_time_format(ms, buf, 40))
        strcpy(buf, "?");
}

static void duration(int64_t ms, char buf[32])
{
    if (ms % 86400000LL == 0)
        snprintf(buf, 32, "%lld days", (long long)(ms / 86400000LL));
    else
        snprintf(buf, 32, "%.4g hours", (double)ms / 3600000.0);
}

ft_status ft_model_scan(const ft_store *s, const ft_model *m, const struct ft_rules *rules,
                        int threads, ft_alerts *out, ft_error *err)
{
    memset(out, 0, sizeof *out);
    uint32_t n = (uint32_t)s->t.n, nc = m->ncols;
    ft_features *f = NULL;
    float *rows = NULL, *p = NULL, *score = NULL, *contribs = NULL;
    uint32_t *flagged = NULL, *parent = NULL, *grp_of = NULL, *first_of = NULL, *own = NULL;
    uint16_t *cover = NULL;
    touch *tv = NULL;
    member *mv = NULL;
    extra *xv = NULL;
    size_t nx = 0, capx = 0;
    double *sums = NULL;
    acc_count *ac = NULL;
    scan_worker w = {0};
    ft_status rc = ft_features_compute(s, &m->opts, threads, &f, err);
    if (rc != FT_OK)
        return rc;
    const uint8_t *hub = ft_features_hubs(f);
    rows = malloc((size_t)BLOCK_ROWS * nc * sizeof *rows);
    p = malloc((size_t)BLOCK_ROWS * sizeof *p);
    contribs = malloc((size_t)BLOCK_ROWS * (nc + 1) * sizeof *contribs);
    if (!rows || !p || !contribs) {
        rc = ft_error_oom(err);
        goto done;
    }
    /* Score every row; keep the flagged ones, their scores and which
     * detectors cover them. */
    uint32_t nf = 0, capf = 0;
    for (uint32_t r = 0; r < n; r += BLOCK_ROWS) {
        uint32_t r1 = n - r > BLOCK_ROWS ? r + BLOCK_ROWS : n;
        ft_features_rows(f, r, r1, rows);
        if ((rc = ft_model_predict(m, rows, r1 - r, p, err)) != FT_OK)
            goto done;
        for (uint32_t i = r; i < r1; i++) {
            if (!(p[i - r] >= (float)m->threshold))
                continue;
            if (nf == capf) {
                capf = capf ? capf * 2 : 1024;
                uint32_t *a = realloc(flagged, capf * sizeof *a);
                float *b = a ? realloc(score, capf * sizeof *b) : NULL;
                if (a)
                    flagged = a;
                if (b)
                    score = b;
                uint16_t *c = b ? realloc(cover, capf * sizeof *c) : NULL;
                if (c)
                    cover = c;
                if (!a || !b || !c) {
                    rc = ft_error_oom(err);
                    goto done;
                }
            }
            flagged[nf] = i;
            score[nf] = p[i - r];
            nf++;
        }
    }
    if (nf == 0)
        goto finish;
    /* Groups. A flagged transfer belongs to the most specific candidate
     * covering it, the highest scored of those: transfers of one candidate
     * are one group. Then each account's flagged transfers in
     * time order (hubs aside): two next to each other, at most the window
     * apart, are joined when one of them has no such candidate. */
    parent = malloc((size_t)nf * sizeof *parent);
    tv = malloc((size_t)nf * 2 * sizeof *tv);
    mv = malloc((size_t)nf * sizeof *mv);
    grp_of = malloc((size_t)nf * sizeof *grp_of);
    uint32_t ncand = ft_features_ncandidates(f);
    first_of = malloc(((size_t)ncand + 1) * sizeof *first_of);
    own = malloc((size_t)nf * sizeof *own);
    if (!parent || !tv || !mv || !grp_of || !first_of || !own) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t c = 0; c < ncand; c++)
        first_of[c] = UINT32_MAX;
    ft_feature_cand cands[64];
    for (uint32_t k = 0; k < nf; k++) {
        parent[k] = k;
        uint32_t nc_row = ft_features_covering(f, flagged[k], cands, 64);
        uint16_t mask = 0;
        own[k] = UINT32_MAX;
        float best_score = 0;
        int best_rank = -1;
        for (uint32_t q = 0; q < nc_row && q < 64; q++) {
            mask |= (uint16_t)(1u << cands[q].kind);
            int rank = specific(cands[q].kind);
            if (own[k] == UINT32_MAX || rank > best_rank ||
                (rank == best_rank && (cands[q].score > best_score ||
                                       (cands[q].score == best_score && cands[q].id < own[k])))) {
                own[k] = cands[q].id;
                best_score = cands[q].score;
                best_rank = rank;
            }
        }
        cover[k] = mask;
        if (own[k] != UINT32_MAX) {
            if (first_of[own[k]] == UINT32_MAX)
                first_of[own[k]] = k;
            else
                join(parent, first_of[own[k]], k);
        }
    }
    size_t nt = 0;
    for (uint32_t k = 0; k < nf; k++) {
        uint32_t t = flagged[k];
        if (!hub[s->t.src[t]])
            tv[nt++] = (touch){s->t.src[t], s->t.ts_ms[t], k};
        if (!hub[s->t.dst[t]] && s->t.dst[t] != s->t.src[t])
            tv[nt++] = (touch){s->t.dst[t], s->t.ts_ms[t], k};
    }
    qsort(tv, nt, sizeof *tv, cmp_touch);
    for (size_t k = 1; k < nt; k++)
        if (tv[k].acc == tv[k - 1].acc && tv[k].ts - tv[k - 1].ts <= m->group_window_ms &&
            (own[tv[k].idx] == UINT32_MAX || own[tv[k - 1].idx] == UINT32_MAX))
            join(parent, tv[k - 1].idx, tv[k].idx);
    for (uint32_t k = 0; k < nf; k++)
        mv[k] = (member){find(parent, k), k};
    qsort(mv, nf, sizeof *mv, cmp_member);
    /* groups in order: group g is mv[gstart[g] ..] */
    uint32_t ngroups = 0;
    for (uint32_t k = 0; k < nf; k++) {
        if (k == 0 || mv[k].root != mv[k - 1].root)
            ngroups++;
        grp_of[mv[k].idx] = ngroups - 1;
    }
    /* Each group also takes the rest of the candidates its flagged
     * transfers belong to: a model that flags a few transfers of a fan
     * the detector found whole alerts on the fan, not on those few. Only
     * candidates a default scan would report (its scan.min_score) count:
     * a weak one is no finding to extend an alert with. The (group, row)
     * pairs, sorted and without repeats. */
    {
        ft_scan_params dflt;
        ft_scan_defaults(&dflt);
        uint32_t *cand_grp = malloc(((size_t)ncand + 1) * sizeof *cand_grp);
        if (!cand_grp) {
            rc = ft_error_oom(err);
            goto done;
        }
        for (uint32_t c = 0; c < ncand; c++)
            cand_grp[c] = first_of[c] == UINT32_MAX ? UINT32_MAX : grp_of[first_of[c]];
        for (uint32_t r = 0; r < n; r++) {
            uint32_t ncov = ft_features_covering(f, r, cands, 64);
            for (uint32_t q = 0; q < ncov && q < 64; q++) {
                uint32_t g = cand_grp[cands[q].id];
                if (g == UINT32_MAX || cands[q].score < (float)dflt.min_score)
                    continue;
                if (nx == capx) {
                    capx = capx ? capx * 2 : 1024;
                    extra *e = realloc(xv, capx * sizeof *e);
                    if (!e) {
                        free(cand_grp);
                        rc = ft_error_oom(err);
                        goto done;
                    }
                    xv = e;
                }
                xv[nx++] = (extra){g, r};
            }
        }
        free(cand_grp);
        if (nx)
            qsort(xv, nx, sizeof *xv, cmp_extra);
        size_t kept = 0;
        for (size_t i = 0; i < nx; i++)
            if (!kept || xv[kept - 1].grp != xv[i].grp || xv[kept - 1].row != xv[i].row)
                xv[kept++] = xv[i];
        nx = kept;
    }
    /* Each group's summed contributions, from every flagged row's. */
    sums = calloc((size_t)ngroups * (nc + 1), sizeof *sums);
    if (!sums) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t k = 0; k < nf;) {
        uint32_t got = 0;
        for (; k + got < nf && got < BLOCK_ROWS; got++)
            ft_features_rows(f, flagged[k + got], flagged[k + got] + 1, rows + (size_t)got * nc);
        if ((rc = ft_model_contribs(m, rows, got, contribs, err)) != FT_OK)
            goto done;
        for (uint32_t q = 0; q < got; q++) {
            double *g = sums + (size_t)grp_of[k + q] * (nc + 1);
            const float *c = contribs + (size_t)q * (nc + 1);
            for (uint32_t col = 0; col <= nc; col++)
                g[col] += c[col];
        }
        k += got;
    }
    /* One alert per group. */
    size_t most_rows = (size_t)nf + nx; /* a bound on an alert's transfers */
    ac = malloc((most_rows * 2 + 1) * sizeof *ac);
    uint32_t *txns = malloc((most_rows + 1) * sizeof *txns);
    uint32_t *accts = malloc(((size_t)MAX_ACCOUNTS + 1) * sizeof *accts);
    contrib *top = malloc(((size_t)nc + 1) * sizeof *top);
    side *sides = malloc((most_rows * 2 + 1) * sizeof *sides);
    if (!ac || !txns || !accts || !top || !sides) {
        free(sides);
        free(txns);
        free(accts);
        free(top);
        rc = ft_error_oom(err);
        goto done;
    }
    char gw[32], params[200];
    duration(m->group_window_ms, gw);
    snprintf(params, sizeof params, "model=%.16s;threshold=%.4g;group_window_hours=%.6g",
             m->checksum, m->threshold, (double)m->group_window_ms / 3600000.0);
    scan_ctx emit_ctx = {.s = s}; /* scan_emit orders an alert's transfers by the store */
    w.c = &emit_ctx;
    size_t xat = 0;
    for (uint32_t k = 0, g = 0; k < nf; g++) {
        uint32_t e = k;
        while (e < nf && mv[e].root == mv[k].root)
            e++;
        uint32_t cnt = e - k, covered[FT_PAT_COUNT] = {0};
        float best = 0;
        for (uint32_t q = k; q < e; q++) {
            uint32_t idx = mv[q].idx;
            txns[q - k] = flagged[idx];
            best = score[idx] > best ? score[idx] : best;
            for (int kind = 0; kind < FT_PAT_COUNT; kind++)
                covered[kind] += cover[idx] >> kind & 1;
        }
        /* and the rest of their candidates, in store order with them */
        while (xat < nx && xv[xat].grp < g)
            xat++;
        uint32_t all = cnt;
        for (; xat < nx && xv[xat].grp == g; xat++)
            txns[all++] = xv[xat].row;
        qsort(txns, all, sizeof *txns, cmp_u32);
        uint32_t kept = 0;
        for (uint32_t q = 0; q < all; q++)
            if (!kept || txns[kept - 1] != txns[q])
                txns[kept++] = txns[q];
        all = kept;
        if (all < 2) {
            /* one transfer is no pattern: a finding needs two or more */
            k = e;
            continue;
        }
        size_t na = 0;
        for (uint32_t q = 0; q < all; q++) {
            uint32_t t = txns[q];
            ac[na++] = (acc_count){s->t.src[t], 1, s};
            if (s->t.dst[t] != s->t.src[t])
                ac[na++] = (acc_count){s->t.dst[t], 1, s};
        }
        /* the accounts by how many of the alert's transfers they take part in */
        qsort(ac, na, sizeof *ac, cmp_acc_id);
        size_t nd = 0;
        for (size_t i = 0; i < na; i++) {
            if (nd && ac[nd - 1].acc == ac[i].acc)
                ac[nd - 1].n++;
            else
                ac[nd++] = ac[i];
        }
        qsort(ac, nd, sizeof *ac, cmp_acc_count);
        uint32_t nacc = nd < MAX_ACCOUNTS ? (uint32_t)nd : MAX_ACCOUNTS;
        for (uint32_t i = 0; i < nacc; i++)
            accts[i] = ac[i].acc;
        /* the kind: the detector covering most, if half or more */
        int kind = FT_KIND_LEARNED;
        uint32_t most = 0;
        for (int q = 0; q < FT_PAT_COUNT; q++) {
            if (covered[q] > most || (covered[q] == most && most && specific(q) > specific(kind))) {
                most = covered[q];
                kind = q;
            }
        }
        if (2 * most < cnt)
            kind = shape(s, txns, all, sides);
        /* the features that raised the score most */
        const double *gs = sums + (size_t)g * (nc + 1);
        for (uint32_t col = 0; col < nc; col++)
            top[col] = (contrib){gs[col], col};
        qsort(top, nc, sizeof *top, cmp_contrib);
        char why[400] = "";
        size_t used = 0;
        for (int q = 0; q < 3 && top[q].v > 0 && used < sizeof why - 80; q++) {
            char name[48];
            ft_features_name(&m->opts, top[q].col, name);
            used += (size_t)snprintf(why + used, sizeof why - used, "%s%s (+%.2f)", q ? ", " : "",
                                     name, top[q].v);
        }
        char main_acc[64], t0[40], t1[40], cov[200] = "", rest[120] = "";
        scan_account(s, accts[0], main_acc);
        when(s->t.ts_ms[txns[0]], t0);
        when(s->t.ts_ms[txns[all - 1]], t1);
        if (all > cnt)
            snprintf(rest, sizeof rest,
                     "; with the rest of the detector candidates they belong to, %u transfers "
                     "in all",
                     all);
        if (kind < FT_PAT_COUNT && 2 * most >= cnt)
            snprintf(cov, sizeof cov, "; %s candidates of the scan cover %u of them",
                     ft_pattern_name((ft_pattern)kind), most);
        else if (kind < FT_PAT_COUNT)
            snprintf(cov, sizeof cov,
                     "; shaped as a %s, which no detector's candidates cover by "
                     "half",
                     ft_pattern_name((ft_pattern)kind));
        scan_emit(&w, kind, best, txns, all, accts, nacc, params,
                  "the model scored %u transfer%s around %s at or above its threshold %.3g "
                  "(highest %.3f)%s, from %s to %s, joined through %zu account%s within %s of "
                  "each other%s; what raised the scores most: %s",
                  cnt, cnt == 1 ? "" : "s", main_acc, m->threshold, (double)best, rest, t0, t1, nd,
                  nd == 1 ? "" : "s", gw, cov, used ? why : "nothing in particular");
        if (w.rc != FT_OK) {
            *err = w.err;
            rc = w.rc;
            break;
        }
        k = e;
    }
    free(txns);
    free(accts);
    free(top);
    free(sides);
finish:;
    /* a rules file's watchlists, texts, jurisdictions and risk, as scan's */
    uint64_t hits = 0;
    if (rc == FT_OK && rules)
        rc = ft_rules_scan(rules, s, &m->opts.scan, &w.out, &hits, err);
    if (rc == FT_OK)
        rc = scan_finish(s, &w.out, out, err);
    out->regex_limit_hits = hits;
    out->model_flagged = nf;
done:
    ft_alerts_free(&w.out);
    ft_features_free(f);
    free(xv);
    free(rows);
    free(p);
    free(score);
    free(contribs);
    free(flagged);
    free(cover);
    free(parent);
    free(grp_of);
    free(first_of);
    free(own);
    free(tv);
    free(mv);
    free(sums);
    free(ac);
    return rc;
}

ft_status ft_model_scan_checked(const ft_store *s, const ft_model *m, const struct ft_rules *rules,
                                int threads, ft_misfit misfit, ft_alerts *out, bool *fits,
                                char *why, size_t cap, ft_error *err)
{
    ft_status rc = ft_model_scan(s, m, rules, threads, out, err);
    if (rc != FT_OK)
        return rc;
    *fits = ft_model_fits(m, out->model_flagged, s->t.n, why, cap);
    if (*fits || misfit == FT_MISFIT_MODEL)
        return FT_OK;
    uint64_t flagged = out->model_flagged;
    ft_alerts_free(out);
    if (misfit == FT_MISFIT_REFUSE)
        return ft_error_set(err, FT_EINPUT, "%s", why);
    ft_scan_params p = m->opts.scan, dflt;
    ft_scan_defaults(&dflt);
    p.min_score = dflt.min_score;
    p.rules = rules;
    rc = ft_scan_run(s, &p, threads, out, err);
    out->model_flagged = flagged;
    return rc;
}
