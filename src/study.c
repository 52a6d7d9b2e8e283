/*
 * study.c - pooled and siloed scans of one data set, scored and costed
 * (study.h).
 */
#include "fundtrace/study.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fundtrace/handoff.h"
#include "fundtrace/json.h"
#include "fundtrace/money.h"
#include "fundtrace/periods.h"
#include "fundtrace/pool.h"
#include "fundtrace/pseudo.h"
#include "fundtrace/time.h"
#include "fundtrace/writer.h"
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

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Siloed, the payee's party holds a transfer its payer's does not. */
static bool siloed_crossing(const uint16_t *of, uint32_t a, uint32_t b)
{
    return of[a] != of[b] && of[b] != FT_JUR_NONE;
}

/* The costs that need no scan. crossed[a]: bit 0 has a transfer, bit 1
 * crosses when siloed. */
static void costs(const ft_store *s, const ft_jurisdictions *j, uint8_t *crossed,
                  ft_study_result *r)
{
    const uint16_t *of = j->of;
    uint32_t na = s->accounts.n;
    memset(crossed, 0, (size_t)na + 1);
    ft_study_cost *pc = &r->cost[FT_STUDY_POOLED], *sc = &r->cost[FT_STUDY_SILOED];
    for (int64_t i = 0; i < s->t.n; i++) {
        uint32_t a = s->t.src[i], b = s->t.dst[i];
        uint16_t ja = of[a], jb = of[b];
        crossed[a] |= 1;
        crossed[b] |= 1;
        if (ja == jb)
            continue;
        r->cross_border++;
        if (siloed_crossing(of, a, b)) {
            sc->records_crossing++; /* the payee's party holds it */
            crossed[a] |= 2;
        }
        if (ja != FT_JUR_NONE)
            crossed[b] |= 2; /* the payer's party holds it */
    }
    r->transfers = s->t.n;
    for (uint32_t a = 0; a < na; a++) {
        r->accounts += crossed[a] & 1;
        sc->accounts_crossing += (crossed[a] >> 1) & 1;
        r->outside_accounts += of[a] == FT_JUR_NONE;
    }
    pc->records_crossing = s->t.n;
    pc->accounts_crossing = r->accounts;
    pc->records_exchanged = s->t.n;
    pc->rounds = sc->rounds = 1;
}

/* s with every account shown as a token of the right length (what a
 * pseudonymised exchange writes; the bytes do not depend on the key).
 * *buf: the tokens, for the caller to free. */
static ft_status token_view(const ft_store *s, ft_store *tv, char **buf, ft_error *err)
{
    size_t na = s->accounts.n, w = FT_PSEUDO_LEN + 1;
    *tv = *s;
    if (!(*buf = malloc(na * w + 1)))
        return ft_error_oom(err);
    for (size_t a = 0; a < na; a++) {
        memcpy(*buf + a * w, "ps-", 3);
        memset(*buf + a * w + 3, '0', FT_PSEUDO_LEN - 3);
        (*buf)[a * w + FT_PSEUDO_LEN] = '\0';
    }
    tv->pseudo = *buf;
    return FT_OK;
}

/* The sizes of the JSON lines study.h counts, without writing them all.
 * A record's is an empty record's plus its strings' lengths without
 * quotes; a string of characters that stand for themselves in JSON is as
 * long as it is, any other is measured by writing it. */
typedef struct sizer {
    FILE *f;
    int64_t n;       /* bytes written to f */
    int64_t string0; /* {"s":""} */
    int64_t record0; /* a record of empty strings */
    int64_t query;   /* a match query: a token */
} sizer;

static void put_record(FILE *f, const char *txn, size_t ntxn, const char *time, const char *from,
                       size_t nfrom, const char *to, size_t nto, const char *amount,
                       const char *currency)
{
    ft_json j;
    ft_json_init(&j, f, false);
    ft_json_object(&j, NULL);
    ft_json_cstr(&j, "kind", "record");
    ft_json_string(&j, "txn", txn, ntxn);
    ft_json_cstr(&j, "time", time);
    ft_json_string(&j, "from", from, nfrom);
    ft_json_string(&j, "to", to, nto);
    ft_json_cstr(&j, "amount", amount);
    ft_json_cstr(&j, "currency", currency);
    ft_json_end(&j, '}');
    ft_json_finish(&j);
}

/* Bytes written by the calls since the last measure. */
static int64_t measured(sizer *z)
{
    int64_t before = z->n;
    fflush(z->f);
    return z->n - before;
}

static void put_string(FILE *f, const char *p, size_t len)
{
    ft_json j;
    ft_json_init(&j, f, false);
    ft_json_object(&j, NULL);
    ft_json_string(&j, "s", p, len);
    ft_json_end(&j, '}');
    ft_json_finish(&j);
}

static bool sizer_open(sizer *z)
{
    memset(z, 0, sizeof *z);
    if (!(z->f = ft_count_stream(&z->n)))
        return false;
    put_string(z->f, "", 0);
    z->string0 = measured(z);
    put_record(z->f, "", 0, "", "", 0, "", 0, "", "");
    z->record0 = measured(z);
    char token[FT_PSEUDO_LEN + 1];
    memset(token, '0', FT_PSEUDO_LEN);
    token[FT_PSEUDO_LEN] = '\0';
    ft_json j;
    ft_json_init(&j, z->f, false);
    ft_json_object(&j, NULL);
    ft_json_cstr(&j, "kind", "match");
    ft_json_cstr(&j, "account", token);
    ft_json_end(&j, '}');
    ft_json_finish(&j);
    z->query = measured(z);
    return true;
}

static void sizer_close(sizer *z)
{
    if (z->f)
        fclose(z->f);
    z->f = NULL;
}

/* The length of p[0 .. len) as a JSON string, less its quotes. */
static int64_t string_bytes(sizer *z, const char *p, size_t len)
{
    bool plain = true;
    for (size_t i = 0; i < len && plain; i++) {
        unsigned char c = (unsigned char)p[i];
        plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    }
    if (plain)
        return (int64_t)len;
    put_string(z->f, p, len);
    return measured(z) - z->string0;
}

/* Transfer t as a record (study.h), its accounts' strings from_bytes and
 * to_bytes long. */
static int64_t record_bytes(sizer *z, const ft_store *s, uint32_t t, int64_t from_bytes,
                            int64_t to_bytes)
{
    char buf[128];
    size_t len = ft_store_txid(s, t, buf, sizeof buf);
    int64_t n = z->record0 + string_bytes(z, buf, len) + from_bytes + to_bytes;
    n += (int64_t)ft_time_format(s->t.ts_ms[t], buf, sizeof buf);
    const ft_currency *cu = &s->currencies[s->t.cur[t]];
    n += (int64_t)ft_money_format(s->t.amount[t], cu->exponent, buf, sizeof buf);
    return n + (int64_t)strlen(cu->code);
}

/* Party p's share (the transfers whose payer or payee is of p) and the
 * rows extra[0 .. nextra) (ascending, none of them in the share) into
 * rows, ascending; their number. */
static size_t party_rows(const ft_store *s, const ft_jurisdictions *j, uint16_t p,
                         const uint32_t *extra, size_t nextra, uint32_t *rows)
{
    size_t n = 0, e = 0;
    for (int64_t i = 0; i < s->t.n; i++) {
        bool got = e < nextra && extra[e] == (uint32_t)i;
        e += got;
        if (got || j->of[s->t.src[i]] == p || j->of[s->t.dst[i]] == p)
            rows[n++] = (uint32_t)i;
    }
    return n;
}

/* A party's scan of the rows rows[0 .. n) of s: its alerts, their
 * transfers numbered as s's (the accounts are numbered alike). */
static ft_status party_scan(const ft_store *s, const uint32_t *rows, size_t n,
                            const ft_study_options *o, ft_alerts *al, ft_error *err)
{
    ft_store sub = {0};
    ft_status rc = ft_store_rows(&sub, s, rows, n, err);
    if (rc == FT_OK)
        rc = ft_store_adjacency(&sub, err);
    if (rc == FT_OK)
        rc = ft_scan_run(&sub, &o->scan, o->threads, al, err);
    if (rc == FT_OK)
        for (uint32_t k = 0; k < al->ntxns; k++)
            al->txns[k] = rows[al->txns[k]];
    ft_store_free(&sub);
    return rc;
}

/* Whether party p reports alert v: one of its transfers is paid by or to
 * an account of p's (a party's alerts name transfers by s's numbering). */
static bool reports(const ft_store *s, const uint16_t *of, uint16_t p, const ft_alerts *al,
                    const ft_alert *v)
{
    for (uint32_t k = 0; k < v->ntxn; k++) {
        uint32_t t = al->txns[v->txn0 + k];
        if (of[s->t.src[t]] == p || of[s->t.dst[t]] == p)
            return true;
    }
    return false;
}

/* The parties' alerts al[0 .. np) as one arrangement's: what each party
 * reports (above), an alert an earlier party reported already being the
 * same alert. Added to ev when given; *distinct: the distinct ids. */
static ft_status union_alerts(const ft_store *s, const uint16_t *of, const ft_alerts *al,
                              uint16_t np, ft_eval *ev, uint32_t *distinct, ft_error *err)
{
    size_t total = 0, nids = 0;
    for (uint16_t p = 0; p < np; p++)
        total += al[p].n;
    uint64_t *ids = malloc((total + 1) * sizeof *ids);
    ft_status rc = ids ? FT_OK : ft_error_oom(err);
    for (uint16_t p = 0; p < np && rc == FT_OK; p++) {
        uint8_t *keep = calloc((size_t)al[p].n + 1, 1);
        if (!keep) {
            rc = ft_error_oom(err);
            break;
        }
        size_t before = nids;
        for (uint32_t i = 0; i < al[p].n; i++) {
            if (!reports(s, of, p, &al[p], &al[p].v[i]))
                continue;
            if (before && bsearch(&al[p].v[i].id, ids, before, sizeof *ids, cmp_u64))
                continue;
            keep[i] = 1;
            ids[nids++] = al[p].v[i].id;
        }
        if (nids > 1)
            qsort(ids, nids, sizeof *ids, cmp_u64);
        if (ev)
            rc = ft_eval_add_scan(ev, s, &al[p], keep, err);
        free(keep);
    }
    if (rc == FT_OK) {
        /* one party's alerts may repeat an id within it: count ids */
        size_t w = 0;
        for (size_t i = 0; i < nids; i++)
            if (w == 0 || ids[i] != ids[w - 1])
                ids[w++] = ids[i];
        *distinct = (uint32_t)w;
    }
    free(ids);
    return rc;
}

typedef struct rowlist {
    uint32_t *v;
    uint32_t n, cap;
} rowlist;

static bool rpush(rowlist *l, uint32_t x)
{
    if (!FT_ARRAY_GROW(l->v, &l->cap, (uint64_t)l->n + 1))
        return false;
    l->v[l->n++] = x;
    return true;
}

/* State of the federated rounds. */
typedef struct fed {
    const ft_store *s;
    const ft_jurisdictions *j;
    uint8_t *asked;  /* [np * na]: party p asked about account a */
    uint8_t *got;    /* [np * (nt / 8 + 1)] bits: party p received row t */
    uint8_t *marked; /* [nt]: counted among the records crossing */
    uint8_t *crossed;
    rowlist *extra; /* [np]: rows received */
    uint8_t *dirty; /* [np]: received rows since its last scan */
    sizer z;
    ft_study_cost *c;
} fed;

/* Party p receives row t from its holders (none: nobody holds it). */
static ft_status receive(fed *f, uint16_t p, uint32_t t, ft_error *err)
{
    const ft_store *s = f->s;
    const uint16_t *of = f->j->of;
    uint32_t a = s->t.src[t], b = s->t.dst[t];
    size_t row_bytes = (size_t)s->t.n / 8 + 1;
    uint8_t *got = f->got + (size_t)p * row_bytes;
    if (of[a] == p || of[b] == p || (got[t >> 3] >> (t & 7)) & 1)
        return FT_OK; /* held or received already */
    int senders = (of[a] != FT_JUR_NONE) + (of[b] != FT_JUR_NONE && of[b] != of[a]);
    if (!senders)
        return FT_OK;
    f->c->bytes_exchanged += senders * record_bytes(&f->z, s, t, FT_PSEUDO_LEN, FT_PSEUDO_LEN);
    f->c->records_exchanged += senders;
    got[t >> 3] |= (uint8_t)(1u << (t & 7));
    if (!rpush(&f->extra[p], t))
        return ft_error_oom(err);
    f->dirty[p] = 1;
    /* p holds neither end, so it is neither's home party */
    if (!siloed_crossing(of, a, b) && !f->marked[t]) {
        f->marked[t] = 1;
        f->c->records_crossing++;
    }
    f->crossed[a] |= 4;
    f->crossed[b] |= 4;
    return FT_OK;
}

/* Party p's questions about the accounts of other jurisdictions its
 * alerts name, and the answers. */
static ft_status ask(fed *f, uint16_t p, const ft_alerts *al, ft_error *err)
{
    const ft_store *s = f->s;
    uint32_t na = s->accounts.n;
    uint16_t np = f->j->n;
    ft_status rc = FT_OK;
    for (uint32_t i = 0; i < al->n && rc == FT_OK; i++)
        for (uint32_t k = 0; k < al->v[i].nacc && rc == FT_OK; k++) {
            uint32_t a = al->accts[al->v[i].acc0 + k];
            uint8_t *asked = &f->asked[(size_t)p * na + a];
            if (f->j->of[a] == p || *asked)
                continue;
            *asked = 1;
            f->c->bytes_exchanged += (np - 1) * f->z.query;
            f->c->match_queries += np - 1;
            const ft_adjacency *ad = &s->adj;
            for (uint32_t x = ad->out_off[a]; x < ad->out_off[a + 1] && rc == FT_OK; x++)
                rc = receive(f, p, ad->out_txn[x], err);
            for (uint32_t x = ad->in_off[a]; x < ad->in_off[a + 1] && rc == FT_OK; x++)
                rc = receive(f, p, ad->in_txn[x], err);
        }
    return rc;
}

/* The federated rounds from the siloed parties' alerts al[0 .. np),
 * which end as the federated ones; c->records_crossing starts as the
 * siloed arrangement's. */
static ft_status federate(const ft_store *s, const ft_jurisdictions *j, const ft_study_options *o,
                          ft_alerts *al, uint8_t *crossed, uint32_t *rows, ft_study_cost *c,
                          ft_error *err)
{
    uint16_t np = j->n;
    uint32_t na = s->accounts.n;
    size_t row_bytes = (size_t)s->t.n / 8 + 1;
    fed f = {.s = s, .j = j, .crossed = crossed, .c = c};
    f.asked = calloc((size_t)np * na + 1, 1);
    f.got = calloc((size_t)np * row_bytes + 1, 1);
    f.marked = calloc((size_t)s->t.n + 1, 1);
    f.extra = calloc((size_t)np + 1, sizeof *f.extra);
    f.dirty = calloc((size_t)np + 1, 1);
    ft_status rc = FT_OK;
    if (!f.asked || !f.got || !f.marked || !f.extra || !f.dirty || !sizer_open(&f.z))
        rc = ft_error_oom(err);
    c->rounds = 1; /* the siloed scans */
    for (int round = 0; rc == FT_OK && (o->match_rounds == 0 || round < o->match_rounds); round++) {
        for (uint16_t p = 0; p < np && rc == FT_OK; p++)
            rc = ask(&f, p, &al[p], err);
        bool any = false;
        for (uint16_t p = 0; p < np; p++)
            any |= f.dirty[p];
        if (rc != FT_OK || !any)
            break;
        c->rounds++;
        for (uint16_t p = 0; p < np && rc == FT_OK; p++) {
            if (!f.dirty[p])
                continue;
            f.dirty[p] = 0;
            rowlist *x = &f.extra[p];
            qsort(x->v, x->n, sizeof *x->v, cmp_u32);
            size_t n = party_rows(s, j, p, x->v, x->n, rows);
            ft_alerts_free(&al[p]);
            rc = party_scan(s, rows, n, o, &al[p], err);
        }
    }
    sizer_close(&f.z);
    c->accounts_crossing = 0;
    for (uint32_t a = 0; a < na; a++)
        c->accounts_crossing += (crossed[a] & 6) != 0;
    for (uint16_t p = 0; f.extra && p < np; p++)
        free(f.extra[p].v);
    free(f.extra);
    free(f.dirty);
    free(f.marked);
    free(f.got);
    free(f.asked);
    return rc;
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

/* The arrangements' scorings side by side, per pattern and instance. */
static ft_status compare(ft_study_result *r, const ft_eval_result *e, ft_error *err)
{
    size_t cap = 1;
    for (int k = 0; k < FT_STUDY_NARR; k++)
        cap += (size_t)e[k].nrows;
    r->rows = calloc(cap, sizeof *r->rows);
    if (!r->rows)
        return ft_error_oom(err);
    for (int k = 0; k < FT_STUDY_NARR; k++)
        for (int i = 0; i < e[k].nrows; i++) {
            const ft_eval_row *er = &e[k].rows[i];
            ft_study_row *w = &r->rows[row_of(r, er->name)];
            w->instances = er->instances;
            w->found[k] = er->found;
            w->alerts[k] = er->alerts;
            w->false_alerts[k] = er->alerts - er->true_alerts;
        }
    const ft_eval_result *ep = &e[FT_STUDY_POOLED], *es = &e[FT_STUDY_SILOED],
                         *ef = &e[FT_STUDY_FEDERATED];
    for (int64_t i = 0; i < ep->ninstances; i++) {
        bool p = ep->found[i], q = es->found[i], f = ef->found[i];
        if (p == q && f <= q)
            continue;
        int rows[2] = {row_of(r, ep->rows[ep->inst_row[i]].name), row_of(r, "overall")};
        for (int x = 0; x < 2; x++) {
            r->rows[rows[x]].only_pooled += p && !q;
            r->rows[rows[x]].only_siloed += q && !p;
            r->rows[rows[x]].only_federated += f && !q;
        }
    }
    qsort(r->rows, (size_t)r->nrows, sizeof *r->rows, cmp_row);
    r->labelled = true;
    return FT_OK;
}

/* Bytes of every transfer as a record with the accounts' own ids. */
static ft_status pooled_bytes(const ft_store *s, int64_t *bytes, ft_error *err)
{
    sizer z;
    int64_t *acc = malloc(((size_t)s->accounts.n + 1) * sizeof *acc);
    if (!acc || !sizer_open(&z)) {
        free(acc);
        return ft_error_oom(err);
    }
    for (uint32_t a = 0; a < s->accounts.n; a++) {
        size_t len;
        const char *k = ft_store_account_shown(s, a, &len);
        acc[a] = string_bytes(&z, k, len);
    }
    for (int64_t i = 0; i < s->t.n; i++)
        *bytes += record_bytes(&z, s, (uint32_t)i, acc[s->t.src[i]], acc[s->t.dst[i]]);
    sizer_close(&z);
    free(acc);
    return FT_OK;
}

ft_status ft_study_run(const ft_store *s, const ft_jurisdictions *j, ft_eval *ev,
                       const ft_study_options *o, ft_study_result *r, ft_error *err)
{
    memset(r, 0, sizeof *r);
    uint32_t na = s->accounts.n;
    uint16_t np = j->n;
    uint8_t *crossed = malloc((size_t)na + 1);
    uint32_t *rows = malloc(((size_t)s->t.n + 1) * sizeof *rows);
    ft_alerts *al = calloc((size_t)np + 1, sizeof *al);
    ft_eval_result e[FT_STUDY_NARR];
    memset(e, 0, sizeof e);
    r->parties = calloc((size_t)np + 1, sizeof *r->parties);
    ft_status rc = crossed && rows && al && r->parties ? FT_OK : ft_error_oom(err);
    if (rc == FT_OK) {
        costs(s, j, crossed, r);
        r->nparties = np;
        for (uint32_t a = 0; a < na; a++)
            if (j->of[a] != FT_JUR_NONE)
                r->parties[j->of[a]].accounts++;
        rc = pooled_bytes(s, &r->cost[FT_STUDY_POOLED].bytes_exchanged, err);
    }
    /* pooled: the plain scan */
    double t0 = cpu_now();
    if (rc == FT_OK)
        rc = ft_scan_run(s, &o->scan, o->threads, &r->pooled, err);
    r->cost[FT_STUDY_POOLED].cpu_seconds = cpu_now() - t0;
    if (rc == FT_OK) {
        r->cost[FT_STUDY_POOLED].alerts = r->pooled.n;
        if (ev) {
            ft_eval_clear_alerts(ev);
            rc = ft_eval_add_scan(ev, s, &r->pooled, NULL, err);
            if (rc == FT_OK)
                rc = ft_eval_score(ev, &o->eval, &e[FT_STUDY_POOLED], err);
            ft_eval_clear_alerts(ev);
        }
    }
    /* siloed: each party's share alone */
    t0 = cpu_now();
    for (uint16_t p = 0; p < np && rc == FT_OK; p++) {
        ft_study_party *pt = &r->parties[p];
        snprintf(pt->name, sizeof pt->name, "%s", j->names[p]);
        size_t n = party_rows(s, j, p, NULL, 0, rows);
        pt->transfers = (int64_t)n;
        rc = party_scan(s, rows, n, o, &al[p], err);
        pt->alerts = al[p].n;
    }
    r->cost[FT_STUDY_SILOED].cpu_seconds = cpu_now() - t0;
    for (int k = FT_STUDY_SILOED; k <= FT_STUDY_FEDERATED && rc == FT_OK; k++) {
        if (k == FT_STUDY_FEDERATED) {
            t0 = cpu_now();
            /* what the siloed parties hold already crosses, and more */
            r->cost[k].records_crossing = r->cost[FT_STUDY_SILOED].records_crossing;
            rc = federate(s, j, o, al, crossed, rows, &r->cost[k], err);
            r->cost[k].cpu_seconds = r->cost[FT_STUDY_SILOED].cpu_seconds + cpu_now() - t0;
        }
        if (rc == FT_OK)
            rc = union_alerts(s, j->of, al, np, ev, &r->cost[k].alerts, err);
        if (rc == FT_OK && ev)
            rc = ft_eval_score(ev, &o->eval, &e[k], err);
        if (ev)
            ft_eval_clear_alerts(ev);
    }
    if (rc == FT_OK && ev)
        rc = compare(r, e, err);
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        ft_study_cost *c = &r->cost[k];
        c->share_seen_abroad = s->t.n ? (double)c->records_crossing / (double)s->t.n : 0;
        ft_eval_result_free(&e[k]);
    }
    for (uint16_t p = 0; al && p < np; p++)
        ft_alerts_free(&al[p]);
    free(al);
    free(crossed);
    free(rows);
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

static const char *const arr_name[FT_STUDY_NARR] = {"pooled", "siloed", "federated"};

const char *ft_study_arrangement_name(int k)
{
    return k >= 0 && k < FT_STUDY_NARR ? arr_name[k] : "?";
}

static void json_seconds(ft_json *j, const char *key, double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.3f", v);
    ft_json_raw(j, key, buf);
}

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
            ft_json_int(&j, "match_queries", c->match_queries);
            ft_json_int(&j, "records_exchanged", c->records_exchanged);
            ft_json_int(&j, "bytes_exchanged", c->bytes_exchanged);
            ft_json_int(&j, "rounds", c->rounds);
            json_seconds(&j, "cpu_seconds", c->cpu_seconds);
            if (r->ntraces)
                json_seconds(&j, "trace_cpu_seconds", r->trace_cpu_seconds[k]);
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
                ft_json_int(&j, "only_federated", w->only_federated);
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
                    ft_json_object(&j, arr_name[a]);
                    ft_json_int(&j, "reached", w->reached[a]);
                    ft_json_int(&j, "held_minor", w->held[a]);
                    ft_json_end(&j, '}');
                }
                ft_json_int(&j, "rounds", w->rounds);
                ft_json_int(&j, "handoffs", w->handoffs);
                ft_json_int(&j, "handoff_accounts", w->handoff_accounts);
                ft_json_int(&j, "handoff_bytes", w->handoff_bytes);
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
    fprintf(f, "\n%-12s %7s %17s %18s %18s %13s %17s %15s %6s %11s\n", "arrangement", "alerts",
            "records_crossing", "accounts_crossing", "share_seen_abroad", "match_queries",
            "records_exchanged", "bytes_exchanged", "rounds", "cpu_seconds");
    for (int k = 0; k < FT_STUDY_NARR; k++) {
        const ft_study_cost *c = &r->cost[k];
        fprintf(f,
                "%-12s %7u %17" PRId64 " %18" PRId64 " %18.6f %13" PRId64 " %17" PRId64
                " %15" PRId64 " %6u %11.3f\n",
                arr_name[k], c->alerts, c->records_crossing, c->accounts_crossing,
                c->share_seen_abroad, c->match_queries, c->records_exchanged, c->bytes_exchanged,
                c->rounds, c->cpu_seconds);
    }
    if (r->ntraces) {
        fprintf(f, "\n%-24s %14s %14s %17s %11s %11s %14s %6s %8s %16s %13s\n", "seed",
                "reached_pooled", "reached_siloed", "reached_federated", "held_pooled",
                "held_siloed", "held_federated", "rounds", "handoffs", "handoff_accounts",
                "handoff_bytes");
        for (size_t i = 0; i < r->ntraces; i++) {
            const ft_study_trace_row *w = &r->traces[i];
            size_t len;
            const char *k = ft_store_account_shown(s, w->seed, &len);
            fprintf(f, "%-24.*s %14u", (int)len, k, w->reached[FT_STUDY_POOLED]);
            if (w->traced)
                fprintf(f,
                        " %14u %17u %11" PRId64 " %11" PRId64 " %14" PRId64 " %6u %8" PRId64
                        " %16" PRId64 " %13" PRId64 "\n",
                        w->reached[FT_STUDY_SILOED], w->reached[FT_STUDY_FEDERATED],
                        w->held[FT_STUDY_POOLED], w->held[FT_STUDY_SILOED],
                        w->held[FT_STUDY_FEDERATED], w->rounds, w->handoffs, w->handoff_accounts,
                        w->handoff_bytes);
            else
                fprintf(f, " %14s %17s %11" PRId64 " %11s %14s %6s %8s %16s %13s\n", "-", "-",
                        w->held[FT_STUDY_POOLED], "-", "-", "-", "-", "-", "-");
        }
    }
    if (!r->labelled)
        return;
    fprintf(f, "\n%-16s %9s", "pattern", "instances");
    static const char *const what[] = {"found", "alerts", "false"};
    for (int x = 0; x < 3; x++)
        for (int k = 0; k < FT_STUDY_NARR; k++) {
            char h[32];
            snprintf(h, sizeof h, "%s_%s", what[x], arr_name[k]);
            fprintf(f, " %*s", (int)strlen(h) > 9 ? (int)strlen(h) : 9, h);
        }
    fprintf(f, " %11s %11s %14s\n", "only_pooled", "only_siloed", "only_federated");
    for (int i = 0; i < r->nrows; i++) {
        const ft_study_row *w = &r->rows[i];
        if (i == r->nrows - 1)
            fputc('\n', f);
        fprintf(f, "%-16s %9" PRId64, w->name, w->instances);
        for (int x = 0; x < 3; x++)
            for (int k = 0; k < FT_STUDY_NARR; k++) {
                const int64_t *v = x == 0 ? w->found : x == 1 ? w->alerts : w->false_alerts;
                int width = (int)(strlen(what[x]) + 1 + strlen(arr_name[k]));
                fprintf(f, " %*" PRId64, width > 9 ? width : 9, v[k]);
            }
        fprintf(f, " %11" PRId64 " %11" PRId64 " %14" PRId64 "\n", w->only_pooled, w->only_siloed,
                w->only_federated);
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
    uint32_t n, cap;
} xlist;

static bool xpush(xlist *l, const ft_trace_crossing *c)
{
    if (!FT_ARRAY_GROW(l->v, &l->cap, (uint64_t)l->n + 1))
        return false;
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
                         double cpu[FT_STUDY_NARR], ft_error *err)
{
    uint16_t np = j->n;
    ft_store tv;
    char *tokens = NULL;
    int64_t bytes = 0;
    FILE *count = NULL;
    double t0, t_home = 0, t_pooled = 0, t_fed = 0;
    uint32_t na = s->accounts.n;
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    uint8_t *local = calloc(((size_t)np + 1) * ((size_t)na + 1), 1);
    uint8_t *named = calloc((size_t)na + 1, 1);
    xlist *in = calloc((size_t)np + 1, sizeof *in), *next = calloc((size_t)np + 1, sizeof *next);
    ft_status rc = local && named && in && next ? FT_OK : ft_error_oom(err);
    if (rc == FT_OK)
        rc = token_view(s, &tv, &tokens, err);
    if (rc == FT_OK && !(count = ft_count_stream(&bytes)))
        rc = ft_error_oom(err);
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
        t0 = cpu_now();
        rc = ft_trace_run(tr, o, seed, -1, &r, err);
        t_pooled += cpu_now() - t0;
        if (rc != FT_OK)
            break;
        tally(r, seed, NULL, &w->reached[FT_STUDY_POOLED], &w->held[FT_STUDY_POOLED]);
        uint16_t home = j->of[seed];
        w->traced = home != FT_JUR_NONE;
        if (!w->traced)
            continue;
        for (uint16_t p = 0; p < np; p++)
            in[p].n = 0;
        int64_t start = INT64_MIN, end = INT64_MAX;
        bool changed = true;
        size_t lsize;
        const char *label = ft_store_account_shown(&tv, seed, &lsize);
        char lab[FT_PSEUDO_LEN + 1];
        snprintf(lab, sizeof lab, "%.*s", (int)lsize, label);
        t0 = cpu_now();
        while (changed && rc == FT_OK) {
            if (++w->rounds > 10000) {
                rc = ft_error_set(err, FT_EUSAGE, "the federated trace did not settle");
                break;
            }
            w->reached[FT_STUDY_FEDERATED] = 0;
            w->held[FT_STUDY_FEDERATED] = 0;
            fflush(count);
            bytes = 0;
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
                double t1 = cpu_now();
                rc = ft_trace_run(tr, &so, p == home ? seed : UINT32_MAX, -1, &r, err);
                if (rc != FT_OK)
                    break;
                if (p == home) {
                    start = r->start_ms;
                    end = r->end_ms;
                }
                tally(r, seed, mine, &w->reached[FT_STUDY_FEDERATED], &w->held[FT_STUDY_FEDERATED]);
                if (p == home && w->rounds == 1) { /* nothing handed in yet: the siloed trace */
                    t_home += cpu_now() - t1;
                    tally(r, seed, mine, &w->reached[FT_STUDY_SILOED], &w->held[FT_STUDY_SILOED]);
                }
                size_t nc;
                const ft_trace_crossing *c = ft_tracer_crossings(tr, &nc);

                for (size_t k = 0; k < nc && rc == FT_OK; k++) {
                    uint32_t far = backward ? s->t.src[c[k].txn] : s->t.dst[c[k].txn];
                    uint16_t q = j->of[far];
                    if (q == FT_JUR_NONE || q == p)
                        continue;
                    if (!xpush(&next[q], &c[k]))
                        rc = ft_error_oom(err);
                    /* as --handoff-out writes it */
                    ft_handoff_write(count, &tv, lab, &so, r, &c[k], 1);
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
        t_fed += cpu_now() - t0;
        fflush(count);
        w->handoff_bytes = bytes;
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
    if (count)
        fclose(count);
    free(tokens);
    if (cpu) {
        cpu[FT_STUDY_POOLED] += t_pooled;
        cpu[FT_STUDY_SILOED] += t_home;
        cpu[FT_STUDY_FEDERATED] += t_fed;
    }
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    return rc;
}
