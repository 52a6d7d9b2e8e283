/*
 * study.c - pooled and siloed scans of one data set, scored and costed
 * (study.h).
 */
#include "fundtrace/study.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/periods.h"
#include "scan_int.h"

/* --- jurisdictions --------------------------------------------------------------------- */

typedef struct map_entry {
    char *bank; /* without the '*' */
    size_t len;
    bool prefix;
    char jur[FT_JUR_LEN]; /* "-": outside */
} map_entry;

typedef struct jur_map {
    map_entry *v;
    size_t n, cap;
} jur_map;

static void map_free(jur_map *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].bank);
    free(m->v);
    memset(m, 0, sizeof *m);
}

static bool name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

static ft_status map_read(jur_map *m, const char *path, ft_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ft_error_set(err, FT_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int64_t no = 0;
    ft_status rc = FT_OK;
    while (rc == FT_OK && (got = getline(&line, &cap, f)) >= 0) {
        no++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        size_t b = 0;
        while (b < len && (line[b] == ' ' || line[b] == '\t'))
            b++;
        if (b == len || line[b] == '#')
            continue;
        char *comma = memchr(line + b, ',', len - b);
        if (!comma) {
            rc =
                ft_error_set(err, FT_EINPUT, "%s:%" PRId64 ":%zu: want bank_or_prefix,jurisdiction",
                             path, no, len + 1);
            break;
        }
        size_t e = (size_t)(comma - line), be = e;
        while (be > b && (line[be - 1] == ' ' || line[be - 1] == '\t'))
            be--;
        size_t j0 = e + 1, j1 = len;
        while (j0 < len && (line[j0] == ' ' || line[j0] == '\t'))
            j0++;
        while (j1 > j0 && (line[j1 - 1] == ' ' || line[j1 - 1] == '\t'))
            j1--;
        if (be == b) {
            rc = ft_error_set(err, FT_EINPUT, "%s:%" PRId64 ":%zu: no bank or prefix", path, no,
                              b + 1);
            break;
        }
        if (j1 == j0 || j1 - j0 >= FT_JUR_LEN) {
            rc = ft_error_set(err, FT_EINPUT,
                              "%s:%" PRId64 ":%zu: a jurisdiction is 1 to %d characters", path, no,
                              j0 + 1, FT_JUR_LEN - 1);
            break;
        }
        for (size_t k = j0; k < j1 && rc == FT_OK; k++)
            if (!name_char(line[k]))
                rc = ft_error_set(err, FT_EINPUT,
                                  "%s:%" PRId64 ":%zu: a jurisdiction is letters, digits, '-', "
                                  "'_' and '.'",
                                  path, no, k + 1);
        if (rc != FT_OK)
            break;
        if (m->n == m->cap) {
            size_t nc = m->cap ? 2 * m->cap : 16;
            map_entry *v = realloc(m->v, nc * sizeof *v);
            if (!v) {
                rc = ft_error_oom(err);
                break;
            }
            m->v = v;
            m->cap = nc;
        }
        map_entry *me = &m->v[m->n];
        me->prefix = line[be - 1] == '*';
        me->len = be - b - (me->prefix ? 1 : 0);
        if (!(me->bank = malloc(me->len + 1))) {
            rc = ft_error_oom(err);
            break;
        }
        memcpy(me->bank, line + b, me->len);
        me->bank[me->len] = '\0';
        memcpy(me->jur, line + j0, j1 - j0);
        me->jur[j1 - j0] = '\0';
        m->n++;
    }
    if (rc == FT_OK && ferror(f))
        rc = ft_error_set(err, FT_EIO, "%s: %s", path, strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

/* The map's jurisdiction for a bank id, or NULL. */
static const char *map_find(const jur_map *m, const char *bank, size_t len)
{
    const map_entry *best = NULL;
    for (size_t i = 0; i < m->n; i++) {
        const map_entry *e = &m->v[i];
        if (!e->prefix && e->len == len && memcmp(e->bank, bank, len) == 0)
            return e->jur;
        if (e->prefix && e->len <= len && memcmp(e->bank, bank, e->len) == 0 &&
            (!best || e->len > best->len))
            best = e;
    }
    return best ? best->jur : NULL;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

ft_status ft_jurisdictions_make(const ft_store *s, const char *map_path, ft_jurisdictions *j,
                                ft_error *err)
{
    memset(j, 0, sizeof *j);
    jur_map m = {0};
    ft_status rc = map_path ? map_read(&m, map_path, err) : FT_OK;
    uint32_t na = s->accounts.n;
    /* each account's name first, then the sorted distinct names */
    char(*raw)[FT_JUR_LEN] = rc == FT_OK ? calloc((size_t)na + 1, sizeof *raw) : NULL;
    j->of = rc == FT_OK ? malloc(((size_t)na + 1) * sizeof *j->of) : NULL;
    if (rc == FT_OK && (!raw || !j->of))
        rc = ft_error_oom(err);
    for (uint32_t a = 0; a < na && rc == FT_OK; a++) {
        size_t len;
        const char *k = ft_store_account(s, a, &len);
        const char *colon = memchr(k, ':', len);
        const char *there = m.n ? map_find(&m, k, colon ? (size_t)(colon - k) : len) : NULL;
        if (there) {
            if (strcmp(there, "-") != 0)
                snprintf(raw[a], FT_JUR_LEN, "%s", there);
        } else {
            char cc[3];
            scan_country(s, a, cc);
            memcpy(raw[a], cc, 3);
        }
    }
    if (rc == FT_OK) {
        if (!(j->names = malloc(((size_t)na + 1) * sizeof *j->names)))
            rc = ft_error_oom(err);
    }
    if (rc == FT_OK) {
        size_t n = 0;
        for (uint32_t a = 0; a < na; a++)
            if (raw[a][0])
                memcpy(j->names[n++], raw[a], FT_JUR_LEN);
        if (n > 1)
            qsort(j->names, n, sizeof *j->names, cmp_name);
        size_t w = 0;
        for (size_t i = 0; i < n; i++)
            if (w == 0 || strcmp(j->names[i], j->names[w - 1]) != 0)
                memmove(j->names[w++], j->names[i], FT_JUR_LEN);
        if (w >= FT_JUR_NONE)
            rc = ft_error_set(err, FT_EUSAGE, "more than %d jurisdictions", FT_JUR_NONE - 1);
        j->n = (uint16_t)w;
        j->naccounts = na;
        for (uint32_t a = 0; a < na && rc == FT_OK; a++) {
            j->of[a] = FT_JUR_NONE;
            if (!raw[a][0])
                continue;
            const char(*hit)[FT_JUR_LEN] = bsearch(raw[a], j->names, w, sizeof *j->names, cmp_name);
            j->of[a] = (uint16_t)(hit - j->names);
        }
    }
    free(raw);
    map_free(&m);
    if (rc != FT_OK)
        ft_jurisdictions_free(j);
    return rc;
}

void ft_jurisdictions_free(ft_jurisdictions *j)
{
    free(j->of);
    free(j->names);
    memset(j, 0, sizeof *j);
}

/* --- the study ------------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The costs, which need no scan. */
static void costs(const ft_store *s, const ft_jurisdictions *j, uint8_t *crossed,
                  ft_study_result *r)
{
    const uint16_t *of = j->of;
    uint32_t na = s->accounts.n;
    memset(crossed, 0, (size_t)na + 1);
    uint8_t *active = crossed; /* bit 0: has a transfer; bit 1: crosses when siloed */
    ft_study_cost *pc = &r->cost[FT_STUDY_POOLED], *sc = &r->cost[FT_STUDY_SILOED];
    for (int64_t i = 0; i < s->t.n; i++) {
        uint32_t a = s->t.src[i], b = s->t.dst[i];
        uint16_t ja = of[a], jb = of[b];
        active[a] |= 1;
        active[b] |= 1;
        if (ja == jb)
            continue;
        r->cross_border++;
        if (jb != FT_JUR_NONE) {
            sc->records_crossing++; /* the payee's party holds it */
            active[a] |= 2;
        }
        if (ja != FT_JUR_NONE)
            active[b] |= 2; /* the payer's party holds it */
    }
    r->transfers = s->t.n;
    for (uint32_t a = 0; a < na; a++) {
        r->accounts += active[a] & 1;
        sc->accounts_crossing += (active[a] >> 1) & 1;
        r->outside_accounts += of[a] == FT_JUR_NONE;
    }
    pc->records_crossing = s->t.n;
    pc->accounts_crossing = r->accounts;
    for (int k = 0; k < FT_STUDY_NARR; k++)
        r->cost[k].share_seen_abroad =
            s->t.n ? (double)r->cost[k].records_crossing / (double)s->t.n : 0;
}

/* Adds row `name` to r unless there; its index. */
static int row_of(ft_study_result *r, const char *name)
{
    for (int i = 0; i < r->nrows; i++)
        if (strcmp(r->rows[i].name, name) == 0)
            return i;
    ft_study_row *w = &r->rows[r->nrows];
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    return r->nrows++;
}

static int cmp_row(const void *a, const void *b)
{
    const ft_study_row *x = a, *y = b;
    bool ox = strcmp(x->name, "overall") == 0, oy = strcmp(y->name, "overall") == 0;
    if (ox != oy)
        return ox ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* The two scorings side by side, per pattern and instance. */
static ft_status compare(ft_study_result *r, const ft_eval_result *ep, const ft_eval_result *es,
                         ft_error *err)
{
    const ft_eval_result *e[FT_STUDY_NARR] = {ep, es};
    r->rows = calloc((size_t)ep->nrows + (size_t)es->nrows + 1, sizeof *r->rows);
    if (!r->rows)
        return ft_error_oom(err);
    for (int k = 0; k < FT_STUDY_NARR; k++)
        for (int i = 0; i < e[k]->nrows; i++) {
            const ft_eval_row *er = &e[k]->rows[i];
            ft_study_row *w = &r->rows[row_of(r, er->name)];
            w->instances = er->instances;
            w->found[k] = er->found;
            w->alerts[k] = er->alerts;
            w->false_alerts[k] = er->alerts - er->true_alerts;
        }
    for (int64_t i = 0; i < ep->ninstances; i++) {
        bool p = ep->found[i], q = es->found[i];
        if (p == q)
            continue;
        int rows[2] = {row_of(r, ep->rows[ep->inst_row[i]].name), row_of(r, "overall")};
        for (int x = 0; x < 2; x++) {
            r->rows[rows[x]].only_pooled += p;
            r->rows[rows[x]].only_siloed += q;
        }
    }
    qsort(r->rows, (size_t)r->nrows, sizeof *r->rows, cmp_row);
    r->labelled = true;
    return FT_OK;
}

ft_status ft_study_run(const ft_store *s, const ft_jurisdictions *j, ft_eval *ev,
                       const ft_study_options *o, ft_study_result *r, ft_error *err)
{
    memset(r, 0, sizeof *r);
    uint32_t na = s->accounts.n;
    uint8_t *crossed = malloc((size_t)na + 1);
    uint32_t *rows = malloc(((size_t)s->t.n + 1) * sizeof *rows);
    uint64_t *ids = NULL;
    size_t nids = 0, cap_ids = 0;
    ft_eval_result ep = {0}, es = {0};
    r->parties = calloc((size_t)j->n + 1, sizeof *r->parties);
    ft_status rc = crossed && rows && r->parties ? FT_OK : ft_error_oom(err);
    if (rc == FT_OK) {
        costs(s, j, crossed, r);
        r->nparties = j->n;
        for (uint32_t a = 0; a < na; a++)
            if (j->of[a] != FT_JUR_NONE)
                r->parties[j->of[a]].accounts++;
    }
    /* pooled: the plain scan */
    if (rc == FT_OK)
        rc = ft_scan_run(s, &o->scan, o->threads, &r->pooled, err);
    if (rc == FT_OK) {
        r->cost[FT_STUDY_POOLED].alerts = r->pooled.n;
        if (ev) {
            ft_eval_clear_alerts(ev);
            rc = ft_eval_add_scan(ev, s, &r->pooled, NULL, err);
            if (rc == FT_OK)
                rc = ft_eval_score(ev, &o->eval, &ep, err);
            ft_eval_clear_alerts(ev);
        }
    }
    /* siloed: each party's share alone, the alerts once per id */
    for (uint16_t p = 0; p < j->n && rc == FT_OK; p++) {
        ft_study_party *pt = &r->parties[p];
        snprintf(pt->name, sizeof pt->name, "%s", j->names[p]);
        size_t n = 0;
        for (int64_t i = 0; i < s->t.n; i++)
            if (j->of[s->t.src[i]] == p || j->of[s->t.dst[i]] == p)
                rows[n++] = (uint32_t)i;
        pt->transfers = (int64_t)n;
        ft_store sub = {0};
        ft_alerts al = {0};
        uint8_t *keep = NULL;
        rc = ft_store_rows(&sub, s, rows, n, err);
        if (rc == FT_OK)
            rc = ft_store_adjacency(&sub, err);
        if (rc == FT_OK)
            rc = ft_scan_run(&sub, &o->scan, o->threads, &al, err);
        if (rc == FT_OK && !(keep = calloc((size_t)al.n + 1, 1)))
            rc = ft_error_oom(err);
        if (rc == FT_OK && nids + al.n > cap_ids) {
            size_t nc = (nids + al.n) * 2;
            uint64_t *v = realloc(ids, nc * sizeof *v);
            if (!v)
                rc = ft_error_oom(err);
            else {
                ids = v;
                cap_ids = nc;
            }
        }
        if (rc == FT_OK) {
            pt->alerts = al.n;
            /* an alert another party reported already is the same alert */
            size_t before = nids;
            for (uint32_t i = 0; i < al.n; i++) {
                if (before && bsearch(&al.v[i].id, ids, before, sizeof *ids, cmp_u64))
                    continue;
                keep[i] = 1;
                ids[nids++] = al.v[i].id;
            }
            if (nids > 1)
                qsort(ids, nids, sizeof *ids, cmp_u64);
            if (ev)
                rc = ft_eval_add_scan(ev, &sub, &al, keep, err);
        }
        free(keep);
        ft_alerts_free(&al);
        ft_store_free(&sub);
    }
    if (rc == FT_OK) {
        /* one party's alerts may repeat an id within it: count ids */
        size_t w = 0;
        for (size_t i = 0; i < nids; i++)
            if (w == 0 || ids[i] != ids[w - 1])
                ids[w++] = ids[i];
        r->cost[FT_STUDY_SILOED].alerts = (uint32_t)w;
    }
    if (rc == FT_OK && ev) {
        rc = ft_eval_score(ev, &o->eval, &es, err);
        if (rc == FT_OK)
            rc = compare(r, &ep, &es, err);
    }
    ft_eval_result_free(&ep);
    ft_eval_result_free(&es);
    free(crossed);
    free(rows);
    free(ids);
    if (rc != FT_OK)
        ft_study_result_free(r);
    return rc;
}

void ft_study_result_free(ft_study_result *r)
{
    free(r->parties);
    free(r->rows);
    free(r->traces);
    ft_alerts_free(&r->pooled);
    memset(r, 0, sizeof *r);
}

/* --- output --------------------------------------------------------------------------- */

static const char *const arr_name[FT_STUDY_NARR] = {"pooled", "siloed"};

void ft_study_write(FILE *f, const ft_store *s, const ft_study_result *r, ft_format fmt)
{
    if (fmt == FT_FORMAT_JSON || fmt == FT_FORMAT_JSONL) {
        ft_json j;
        ft_json_init(&j, f, fmt == FT_FORMAT_JSON);
        ft_json_object(&j, NULL);
        ft_json_int(&j, "transfers", r->transfers);
        ft_json_int(&j, "accounts", r->accounts);
        ft_json_int(&j, "outside_accounts", r->outside_accounts);
        ft_json_int(&j, "cross_border", r->cross_border);
        ft_json_array(&j, "jurisdictions");
        for (uint16_t p = 0; p < r->nparties; p++) {
            const ft_study_party *pt = &r->parties[p];
            ft_json_object(&j, NULL);
            ft_json_cstr(&j, "name", pt->name);
            ft_json_int(&j, "accounts", pt->accounts);
            ft_json_int(&j, "transfers", pt->transfers);
            ft_json_int(&j, "alerts", pt->alerts);
            ft_json_end(&j, '}');
        }
        ft_json_end(&j, ']');
        ft_json_object(&j, "arrangements");
        for (int k = 0; k < FT_STUDY_NARR; k++) {
            const ft_study_cost *c = &r->cost[k];
            char share[32];
            snprintf(share, sizeof share, "%.6f", c->share_seen_abroad);
            ft_json_object(&j, arr_name[k]);
            ft_json_int(&j, "alerts", c->alerts);
            ft_json_int(&j, "records_crossing", c->records_crossing);
            ft_json_int(&j, "accounts_crossing", c->accounts_crossing);
            ft_json_raw(&j, "share_seen_abroad", share);
            ft_json_end(&j, '}');
        }
        ft_json_end(&j, '}');
        if (r->labelled) {
            ft_json_array(&j, "patterns");
            for (int i = 0; i < r->nrows; i++) {
                const ft_study_row *w = &r->rows[i];
                if (i == r->nrows - 1) {
                    ft_json_end(&j, ']');
                    ft_json_object(&j, "overall");
                } else {
                    ft_json_object(&j, NULL);
                    ft_json_cstr(&j, "pattern", w->name);
                }
                ft_json_int(&j, "instances", w->instances);
                for (int k = 0; k < FT_STUDY_NARR; k++) {
                    ft_json_object(&j, arr_name[k]);
                    ft_json_int(&j, "found", w->found[k]);
                    ft_json_int(&j, "alerts", w->alerts[k]);
                    ft_json_int(&j, "false_alerts", w->false_alerts[k]);
                    ft_json_end(&j, '}');
                }
                ft_json_int(&j, "only_pooled", w->only_pooled);
                ft_json_int(&j, "only_siloed", w->only_siloed);
                ft_json_end(&j, '}');
            }
        }
        if (r->ntraces) {
            ft_json_array(&j, "traces");
            for (size_t i = 0; i < r->ntraces; i++) {
                const ft_study_trace_row *w = &r->traces[i];
                size_t len;
                const char *k = ft_store_account_shown(s, w->seed, &len);
                ft_json_object(&j, NULL);
                ft_json_string(&j, "seed", k, len);
                ft_json_bool(&j, "federated_traced", w->traced);
                for (int a = 0; a < FT_STUDY_NARR; a++) {
                    ft_json_object(&j, a ? "federated" : "pooled");
                    ft_json_int(&j, "reached", w->reached[a]);
                    ft_json_int(&j, "held_minor", w->held[a]);
                    ft_json_end(&j, '}');
                }
                ft_json_int(&j, "rounds", w->rounds);
                ft_json_int(&j, "handoffs", w->handoffs);
                ft_json_int(&j, "handoff_accounts", w->handoff_accounts);
                ft_json_end(&j, '}');
            }
            ft_json_end(&j, ']');
        }
        ft_json_end(&j, '}');
        ft_json_finish(&j);
        return;
    }
    fprintf(f,
            "%" PRId64 " transfers, %" PRId64 " accounts (%" PRId64 " outside every "
            "jurisdiction), %" PRId64 " cross-border\n\n",
            r->transfers, r->accounts, r->outside_accounts, r->cross_border);
    fprintf(f, "%-16s %9s %10s %7s\n", "jurisdiction", "accounts", "transfers", "alerts");
    for (uint16_t p = 0; p < r->nparties; p++)
        fprintf(f, "%-16s %9" PRId64 " %10" PRId64 " %7u\n", r->parties[p].name,
                r->parties[p].accounts, r->parties[p].transfers, r->parties[p].alerts);
    fprintf(f, "\n%-12s %7s %17s %18s %18s\n", "arrangement", "alerts", "records_crossing",
            "accounts_crossing", "share_seen_abroad");
    for (int k = 0; k < FT_STUDY_NARR; k++)
        fprintf(f, "%-12s %7u %17" PRId64 " %18" PRId64 " %18.6f\n", arr_name[k], r->cost[k].alerts,
                r->cost[k].records_crossing, r->cost[k].accounts_crossing,
                r->cost[k].share_seen_abroad);
    if (r->ntraces) {
        fprintf(f, "\n%-24s %14s %17s %11s %14s %6s %8s %16s\n", "seed", "reached_pooled",
                "reached_federated", "held_pooled", "held_federated", "rounds", "handoffs",
                "handoff_accounts");
        for (size_t i = 0; i < r->ntraces; i++) {
            const ft_study_trace_row *w = &r->traces[i];
            size_t len;
            const char *k = ft_store_account_shown(s, w->seed, &len);
            fprintf(f, "%-24.*s %14u", (int)len, k, w->reached[0]);
            if (w->traced)
                fprintf(f, " %17u %11" PRId64 " %14" PRId64 " %6u %8" PRId64 " %16" PRId64 "\n",
                        w->reached[1], w->held[0], w->held[1], w->rounds, w->handoffs,
                        w->handoff_accounts);
            else
                fprintf(f, " %17s %11" PRId64 " %14s %6s %8s %16s\n", "-", w->held[0], "-", "-",
                        "-", "-");
        }
    }
    if (!r->labelled)
        return;
    fprintf(f, "\n%-16s %9s %12s %12s %13s %13s %12s %12s %11s %11s\n", "pattern", "instances",
            "found_pooled", "found_siloed", "alerts_pooled", "alerts_siloed", "false_pooled",
            "false_siloed", "only_pooled", "only_siloed");
    for (int i = 0; i < r->nrows; i++) {
        const ft_study_row *w = &r->rows[i];
        if (i == r->nrows - 1)
            fputc('\n', f);
        fprintf(f,
                "%-16s %9" PRId64 " %12" PRId64 " %12" PRId64 " %13" PRId64 " %13" PRId64
                " %12" PRId64 " %12" PRId64 " %11" PRId64 " %11" PRId64 "\n",
                w->name, w->instances, w->found[0], w->found[1], w->alerts[0], w->alerts[1],
                w->false_alerts[0], w->false_alerts[1], w->only_pooled, w->only_siloed);
    }
}

/* --- traces: pooled and federated ----------------------------------------------------- */

static int cmp_crossing(const void *a, const void *b)
{
    const ft_trace_crossing *x = a, *y = b;
    if (x->txn != y->txn)
        return x->txn < y->txn ? -1 : 1;
    if (x->hops != y->hops)
        return x->hops < y->hops ? -1 : 1;
    return (x->amount > y->amount) - (x->amount < y->amount);
}

typedef struct xlist {
    ft_trace_crossing *v;
    size_t n, cap;
} xlist;

static bool xpush(xlist *l, const ft_trace_crossing *c)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 16;
        ft_trace_crossing *v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = nc;
    }
    l->v[l->n++] = *c;
    return true;
}

/* Accounts reached besides the seed, and what they hold, of the nodes of
 * r that `local` holds (NULL: all). */
static void tally(const ft_trace_result *r, uint32_t seed, const uint8_t *local, uint32_t *reached,
                  int64_t *held)
{
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const ft_trace_node *nd = &r->nodes[i];
        if (nd->account == seed || (local && !local[nd->account]))
            continue;
        (*reached)++;
        for (uint32_t k = 0; k < nd->namounts; k++)
            *held += r->amounts[nd->amount0 + k].held;
    }
}

ft_status ft_study_trace(const ft_store *s, const ft_jurisdictions *j, const ft_trace_options *o,
                         bool backward, const uint32_t *seeds, size_t n, ft_study_trace_row *rows,
                         ft_error *err)
{
    uint16_t np = j->n;
    uint32_t na = s->accounts.n;
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    uint8_t *local = calloc(((size_t)np + 1) * ((size_t)na + 1), 1);
    uint8_t *named = calloc((size_t)na + 1, 1);
    xlist *in = calloc((size_t)np + 1, sizeof *in), *next = calloc((size_t)np + 1, sizeof *next);
    ft_status rc = local && named && in && next ? FT_OK : ft_error_oom(err);
    if (rc == FT_OK)
        rc = ft_trace_index_new(&ix, s, backward, err);
    if (rc == FT_OK)
        rc = ft_tracer_new(&tr, ix, err);
    for (uint32_t a = 0; a < na && rc == FT_OK; a++)
        if (j->of[a] != FT_JUR_NONE)
            local[(size_t)j->of[a] * na + a] = 1;
    for (size_t i = 0; i < n && rc == FT_OK; i++) {
        ft_study_trace_row *w = &rows[i];
        memset(w, 0, sizeof *w);
        uint32_t seed = w->seed = seeds[i];
        const ft_trace_result *r;
        ft_tracer_set_border(tr, NULL, NULL, 0);
        if ((rc = ft_trace_run(tr, o, seed, -1, &r, err)) != FT_OK)
            break;
        tally(r, seed, NULL, &w->reached[0], &w->held[0]);
        uint16_t home = j->of[seed];
        w->traced = home != FT_JUR_NONE;
        if (!w->traced)
            continue;
        for (uint16_t p = 0; p < np; p++)
            in[p].n = 0;
        int64_t start = INT64_MIN, end = INT64_MAX;
        bool changed = true;
        while (changed && rc == FT_OK) {
            if (++w->rounds > 10000) {
                rc = ft_error_set(err, FT_EUSAGE, "the federated trace did not settle");
                break;
            }
            w->reached[1] = 0;
            w->held[1] = 0;
            for (uint16_t p = 0; p < np; p++)
                next[p].n = 0;
            for (uint16_t p = 0; p < np && rc == FT_OK; p++) {
                if (p != home && in[p].n == 0)
                    continue;
                const uint8_t *mine = local + (size_t)p * na;
                ft_trace_options so = *o;
                if (p != home) { /* the span as the seed's party traced it */
                    so.since_ms = start;
                    so.until_ms = end;
                    so.window_ms = 0;
                }
                ft_tracer_set_border(tr, mine, in[p].v, in[p].n);
                rc = ft_trace_run(tr, &so, p == home ? seed : UINT32_MAX, -1, &r, err);
                if (rc != FT_OK)
                    break;
                if (p == home) {
                    start = r->start_ms;
                    end = r->end_ms;
                }
                tally(r, seed, mine, &w->reached[1], &w->held[1]);
                size_t nc;
                const ft_trace_crossing *c = ft_tracer_crossings(tr, &nc);
                for (size_t k = 0; k < nc && rc == FT_OK; k++) {
                    uint32_t far = backward ? s->t.src[c[k].txn] : s->t.dst[c[k].txn];
                    uint16_t q = j->of[far];
                    if (q != FT_JUR_NONE && q != p && !xpush(&next[q], &c[k]))
                        rc = ft_error_oom(err);
                }
            }
            /* the handoffs of this round against those the round used */
            changed = false;
            w->handoffs = 0;
            for (uint16_t p = 0; p < np && rc == FT_OK; p++) {
                if (next[p].n > 1)
                    qsort(next[p].v, next[p].n, sizeof *next[p].v, cmp_crossing);
                /* field by field: the struct has padding */
                changed |= next[p].n != in[p].n;
                for (size_t k = 0; k < next[p].n && !changed; k++)
                    changed = cmp_crossing(&next[p].v[k], &in[p].v[k]) != 0;
                w->handoffs += (int64_t)next[p].n;
                xlist t = in[p];
                in[p] = next[p];
                next[p] = t;
            }
        }
        /* the accounts the last round's handoffs name */
        memset(named, 0, na);
        for (uint16_t p = 0; p < np; p++)
            for (size_t k = 0; k < in[p].n; k++) {
                uint32_t t = in[p].v[k].txn;
                w->handoff_accounts += !named[s->t.src[t]];
                named[s->t.src[t]] = 1;
                w->handoff_accounts += !named[s->t.dst[t]];
                named[s->t.dst[t]] = 1;
            }
    }
    for (uint16_t p = 0; in && next && p < np; p++) {
        free(in[p].v);
        free(next[p].v);
    }
    free(in);
    free(next);
    free(named);
    free(local);
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    return rc;
}
