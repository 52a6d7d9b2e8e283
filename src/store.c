/*
 * store.c - the columnar transaction table.
 *
 * Columns are described once (element size, where the pointer lives, what
 * "none" is) so that growing, enabling, sorting and snapshotting walk one
 * table instead of repeating thirteen fields. Sorting by time is an LSD
 * radix sort of (time - min) on as many 11-bit digits as the span needs;
 * LSD radix sort is stable, so ties keep input order.
 */
#include "fundtrace/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fundtrace/hash.h"
#include "fundtrace/pseudo.h"

static const struct col_desc {
    size_t offset; /* of the pointer inside ft_txns */
    size_t size;
    bool optional;
} cols[FT_COL_COUNT] = {
    [FT_COL_TS] = {offsetof(ft_txns, ts_ms), sizeof(int64_t), false},
    [FT_COL_AMOUNT] = {offsetof(ft_txns, amount), sizeof(int64_t), false},
    [FT_COL_SRC] = {offsetof(ft_txns, src), sizeof(uint32_t), false},
    [FT_COL_DST] = {offsetof(ft_txns, dst), sizeof(uint32_t), false},
    [FT_COL_CUR] = {offsetof(ft_txns, cur), sizeof(uint16_t), false},
    [FT_COL_LINE] = {offsetof(ft_txns, line), sizeof(uint32_t), false},
    [FT_COL_FILE] = {offsetof(ft_txns, file), sizeof(uint16_t), true},
    [FT_COL_CHANNEL] = {offsetof(ft_txns, channel), sizeof(uint16_t), true},
    [FT_COL_LABEL] = {offsetof(ft_txns, label), sizeof(uint32_t), true},
    [FT_COL_MEMO] = {offsetof(ft_txns, memo), sizeof(uint64_t), true},
    [FT_COL_TXID] = {offsetof(ft_txns, txid), sizeof(int64_t), true},
    [FT_COL_AMOUNT_RECV] = {offsetof(ft_txns, amount_recv), sizeof(int64_t), true},
    [FT_COL_CUR_RECV] = {offsetof(ft_txns, cur_recv), sizeof(uint16_t), true},
    [FT_COL_VALUE_MS] = {offsetof(ft_txns, value_ms), sizeof(int64_t), true},
    [FT_COL_E2E] = {offsetof(ft_txns, e2e), sizeof(uint64_t), true},
    [FT_COL_CP_NAME] = {offsetof(ft_txns, cp_name), sizeof(uint64_t), true},
    [FT_COL_SIDE] = {offsetof(ft_txns, side), sizeof(uint8_t), true},
};

static const char *const reject_names[FT_REJ_COUNT] = {
    [FT_REJ_QUOTES] = "malformed_quotes",
    [FT_REJ_UNTERMINATED] = "unterminated_quote",
    [FT_REJ_FIELD_COUNT] = "wrong_field_count",
    [FT_REJ_NUL] = "nul_byte",
    [FT_REJ_TIMESTAMP] = "bad_timestamp",
    [FT_REJ_DATE] = "impossible_timestamp",
    [FT_REJ_AMOUNT] = "bad_amount",
    [FT_REJ_THOUSANDS] = "thousands_separator",
    [FT_REJ_DECIMALS] = "too_many_decimals",
    [FT_REJ_NEGATIVE] = "negative_amount",
    [FT_REJ_OVERFLOW] = "amount_overflow",
    [FT_REJ_CURRENCY] = "unknown_currency",
    [FT_REJ_ACCOUNT] = "empty_account",
    [FT_REJ_DEBIT_CREDIT] = "bad_debit_credit",
    [FT_REJ_RECORD] = "bad_record",
    [FT_REJ_DUPLICATE_ID] = "duplicate_id",
};

const char *ft_reject_name(ft_reject r)
{
    return r < FT_REJ_COUNT ? reject_names[r] : "unknown";
}

size_t ft_col_size(ft_col c)
{
    return cols[c].size;
}

/* The array pointer of column c, read and written with memcpy: the
 * members are typed (int64_t *, uint32_t * ...) and strict aliasing
 * forbids reaching them through a void **. */
static void *col_get(const ft_txns *t, ft_col c)
{
    void *p;
    memcpy(&p, (const char *)t + cols[c].offset, sizeof p);
    return p;
}

static void col_set(ft_txns *t, ft_col c, void *p)
{
    memcpy((char *)t + cols[c].offset, &p, sizeof p);
}

void *ft_store_col(const ft_store *s, ft_col c)
{
    return col_get(&s->t, c);
}

/* Fills rows [from, to) of column c with its "none" value. */
static void fill_none(ft_txns *t, ft_col c, int64_t from, int64_t to)
{
    if (c == FT_COL_TXID || c == FT_COL_VALUE_MS) {
        int64_t *col = col_get(t, c);
        for (int64_t i = from; i < to; i++)
            col[i] = c == FT_COL_TXID ? FT_TXID_DERIVED : FT_TIME_NONE;
        return;
    }
    memset((char *)col_get(t, c) + (size_t)from * cols[c].size, 0,
           (size_t)(to - from) * cols[c].size);
}

static ft_status grow(ft_store *s, int64_t cap, ft_error *err)
{
    ft_txns *t = &s->t;
    for (int c = 0; c < FT_COL_COUNT; c++) {
        void *old = col_get(t, (ft_col)c);
        if (cols[c].optional && !old)
            continue;
        void *p = realloc(old, (size_t)cap * cols[c].size);
        if (!p)
            return ft_error_oom(err);
        col_set(t, (ft_col)c, p);
    }
    t->cap = cap;
    return FT_OK;
}

ft_status ft_store_enable(ft_store *s, ft_col c, ft_error *err)
{
    ft_txns *t = &s->t;
    if (col_get(t, c))
        return FT_OK;
    if (s->map)
        return ft_error_set(err, FT_EUSAGE, "a store read from a snapshot cannot change");
    size_t cap = t->cap ? (size_t)t->cap : 1;
    void *p = malloc(cap * cols[c].size);
    if (!p)
        return ft_error_oom(err);
    col_set(t, c, p);
    fill_none(t, c, 0, t->n);
    return FT_OK;
}

ft_status ft_store_append(ft_store *s, const ft_row *row, ft_error *err)
{
    ft_txns *t = &s->t;
    if (t->n == t->cap) {
        if (s->map)
            return ft_error_set(err, FT_EUSAGE, "a store read from a snapshot cannot grow");
        if (t->n >= FT_MAX_TXNS)
            return ft_error_set(err, FT_ELIMIT, "more than %" PRId64 " transactions",
                                FT_MAX_TXNS);
        int64_t cap = t->cap ? t->cap * 2 : 65536;
        if (cap > FT_MAX_TXNS)
            cap = FT_MAX_TXNS;
        ft_status rc = grow(s, cap, err);
        if (rc != FT_OK)
            return rc;
    }
    int64_t i = t->n++;
    t->ts_ms[i] = row->ts_ms;
    t->amount[i] = row->amount;
    t->src[i] = row->src;
    t->dst[i] = row->dst;
    t->cur[i] = row->cur;
    t->line[i] = row->line;
    if (t->file)
        t->file[i] = row->file;
    if (t->channel)
        t->channel[i] = row->channel;
    if (t->label)
        t->label[i] = row->label;
    if (t->memo)
        t->memo[i] = row->memo;
    if (t->txid)
        t->txid[i] = row->txid;
    if (t->amount_recv)
        t->amount_recv[i] = row->amount_recv;
    if (t->cur_recv)
        t->cur_recv[i] = row->cur_recv;
    if (t->value_ms)
        t->value_ms[i] = row->value_ms;
    if (t->e2e)
        t->e2e[i] = row->e2e;
    if (t->cp_name)
        t->cp_name[i] = row->cp_name;
    if (t->side)
        t->side[i] = row->side;
    return FT_OK;
}

ft_status ft_store_remove(ft_store *s, const uint8_t *drop, ft_error *err)
{
    ft_txns *t = &s->t;
    if (s->map)
        return ft_error_set(err, FT_EUSAGE, "a store read from a snapshot cannot change");
    if (!memchr(drop, 1, (size_t)t->n))
        return FT_OK;
    for (int c = 0; c < FT_COL_COUNT; c++) {
        char *col = col_get(t, (ft_col)c);
        if (!col)
            continue;
        size_t sz = cols[c].size;
        int64_t w = 0;
        for (int64_t i = 0; i < t->n; i++) {
            if (drop[i])
                continue;
            if (w != i)
                memcpy(col + (size_t)w * sz, col + (size_t)i * sz, sz);
            w++;
        }
    }
    int64_t kept = 0;
    for (int64_t i = 0; i < t->n; i++)
        kept += !drop[i];
    t->n = kept;
    return FT_OK;
}

ft_status ft_store_add_dup(ft_store *s, int kind, uint16_t kept_file, uint32_t kept_line,
                           uint16_t other_file, uint32_t other_line, ft_error *err)
{
    ft_load_report *r = &s->report;
    if (r->ndups == r->dups_cap) {
        int64_t cap = r->dups_cap ? r->dups_cap * 2 : 64;
        ft_dup_record *p = realloc(r->dups, (size_t)cap * sizeof *p);
        if (!p)
            return ft_error_oom(err);
        r->dups = p;
        r->dups_cap = cap;
    }
    r->dups[r->ndups++] =
        (ft_dup_record){(uint8_t)kind, 0, kept_file, other_file, 0, kept_line, other_line};
    if (kind == FT_DUP_COPY)
        r->duplicates++;
    else
        r->merges++;
    return FT_OK;
}

/* Multiplies every amount in currency `id` by 10^by; checks all before
 * changing any, so a refusal leaves the store as it was. */
static ft_status rescale(ft_store *s, uint16_t id, int by, ft_error *err)
{
    ft_txns *t = &s->t;
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t i = 0; i < t->n; i++) {
            int64_t a = t->amount[i], b = t->amount_recv ? t->amount_recv[i] : 0;
            if (t->cur[i] == id && !ft_money_scale(&a, by))
                goto overflow;
            if (t->cur_recv && t->cur_recv[i] == id && !ft_money_scale(&b, by))
                goto overflow;
            if (pass == 1) {
                if (t->cur[i] == id)
                    t->amount[i] = a;
                if (t->cur_recv && t->cur_recv[i] == id)
                    t->amount_recv[i] = b;
            }
        }
    }
    return FT_OK;
overflow:
    return ft_error_set(err, FT_ELIMIT,
                        "%s amounts no longer fit in 64 bits when counted with %d decimals",
                        s->currencies[id].code, s->currencies[id].exponent + by);
}

ft_status ft_store_currency(ft_store *s, const ft_currency *c, uint16_t *id, ft_error *err)
{
    for (int i = 0; i < s->ncurrencies; i++) {
        ft_currency *have = &s->currencies[i];
        if (strcmp(have->code, c->code) != 0)
            continue;
        if (c->exponent > have->exponent) {
            ft_status rc = rescale(s, (uint16_t)i, c->exponent - have->exponent, err);
            if (rc != FT_OK)
                return rc;
            have->exponent = c->exponent;
        }
        *id = (uint16_t)i;
        return FT_OK;
    }
    if (s->map)
        return ft_error_set(err, FT_EUSAGE, "a store read from a snapshot cannot change");
    if (s->ncurrencies >= FT_MAX_SMALL_ID)
        return ft_error_set(err, FT_ELIMIT, "more than %d currencies", FT_MAX_SMALL_ID);
    if (s->ncurrencies == s->cur_cap) {
        int cap = s->cur_cap ? s->cur_cap * 2 : 16;
        ft_currency *p = realloc(s->currencies, (size_t)cap * sizeof *p);
        if (!p)
            return ft_error_oom(err);
        s->currencies = p;
        s->cur_cap = cap;
    }
    s->currencies[s->ncurrencies] = *c;
    *id = (uint16_t)s->ncurrencies++;
    return FT_OK;
}

/* --- sorting by time --------------------------------------------------- */

/* Rows from which work that splits in two (the adjacency's two ends, the
 * ids' hashes) runs on two threads. */
#define THREAD_ROWS (1 << 16)

/* Rows ahead whose place in a scattered fill is fetched: each row's is a
 * random one in an array far larger than the caches. */
#define FILL_AHEAD 16

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)

/* Stable LSD radix sort of idx[] by key[]; both are permuted together.
 * `bits` is how many low bits of the keys vary. */
static ft_status radix_sort(uint64_t *key, uint32_t *idx, int64_t n, int bits, ft_error *err)
{
    uint64_t *key2 = malloc((size_t)n * sizeof *key2);
    uint32_t *idx2 = malloc((size_t)n * sizeof *idx2);
    uint64_t *count = malloc(RADIX_SIZE * sizeof *count);
    if (!key2 || !idx2 || !count) {
        free(key2);
        free(idx2);
        free(count);
        return ft_error_oom(err);
    }
    uint64_t *ka = key, *kb = key2;
    uint32_t *ia = idx, *ib = idx2;
    for (int shift = 0; shift < bits; shift += RADIX_BITS) {
        memset(count, 0, RADIX_SIZE * sizeof *count);
        for (int64_t i = 0; i < n; i++)
            count[(ka[i] >> shift) & (RADIX_SIZE - 1)]++;
        uint64_t sum = 0;
        for (uint32_t d = 0; d < RADIX_SIZE; d++) {
            uint64_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (int64_t i = 0; i < n; i++) {
            uint64_t pos = count[(ka[i] >> shift) & (RADIX_SIZE - 1)]++;
            kb[pos] = ka[i];
            ib[pos] = ia[i];
        }
        uint64_t *kt = ka;
        ka = kb;
        kb = kt;
        uint32_t *it = ia;
        ia = ib;
        ib = it;
    }
    if (ia != idx)
        memcpy(idx, ia, (size_t)n * sizeof *idx);
    free(key2);
    free(idx2);
    free(count);
    return FT_OK;
}

/* Reorders every present column by perm: new row i is old row perm[i]. */
static ft_status apply_permutation(ft_txns *t, const uint32_t *perm, ft_error *err)
{
    int64_t n = t->n;
    for (int c = 0; c < FT_COL_COUNT; c++) {
        const char *src = col_get(t, (ft_col)c);
        if (!src)
            continue;
        size_t sz = cols[c].size;
        void *dst = malloc((size_t)(n ? n : 1) * sz);
        if (!dst)
            return ft_error_oom(err);
        switch (sz) {
        case 8:
            for (int64_t i = 0; i < n; i++)
                ((uint64_t *)dst)[i] = ((const uint64_t *)src)[perm[i]];
            break;
        case 4:
            for (int64_t i = 0; i < n; i++)
                ((uint32_t *)dst)[i] = ((const uint32_t *)src)[perm[i]];
            break;
        case 2:
            for (int64_t i = 0; i < n; i++)
                ((uint16_t *)dst)[i] = ((const uint16_t *)src)[perm[i]];
            break;
        case 1:
            for (int64_t i = 0; i < n; i++)
                ((uint8_t *)dst)[i] = ((const uint8_t *)src)[perm[i]];
            break;
        default:
            for (int64_t i = 0; i < n; i++)
                memcpy((char *)dst + (size_t)i * sz, src + (size_t)perm[i] * sz, sz);
        }
        free((void *)src);
        col_set(t, (ft_col)c, dst);
    }
    t->cap = n;
    return FT_OK;
}

ft_status ft_store_finish(ft_store *s, ft_error *err)
{
    ft_txns *t = &s->t;
    ft_status rc = FT_OK;
    if (s->sorted || s->map)
        return FT_OK;
    int64_t n = t->n;
    bool in_order = true;
    int64_t lo = n ? t->ts_ms[0] : 0, hi = lo;
    for (int64_t i = 1; i < n; i++) {
        int64_t v = t->ts_ms[i];
        if (v < t->ts_ms[i - 1])
            in_order = false;
        if (v < lo)
            lo = v;
        if (v > hi)
            hi = v;
    }
    if (!in_order) {
        uint64_t *key = malloc((size_t)n * sizeof *key);
        uint32_t *perm = malloc((size_t)n * sizeof *perm);
        if (!key || !perm) {
            free(key);
            free(perm);
            return ft_error_oom(err);
        }
        for (int64_t i = 0; i < n; i++) {
            key[i] = (uint64_t)t->ts_ms[i] - (uint64_t)lo;
            perm[i] = (uint32_t)i;
        }
        uint64_t span = (uint64_t)hi - (uint64_t)lo;
        int bits = span ? 64 - __builtin_clzll(span) : 1;
        rc = radix_sort(key, perm, n, bits, err);
        free(key);
        if (rc == FT_OK)
            rc = apply_permutation(t, perm, err);
        free(perm);
        if (rc != FT_OK)
            return rc;
    } else if (t->cap > n && n > 0) {
        rc = grow(s, n, err);
        if (rc != FT_OK)
            return rc;
    }
    s->sorted = true;
    return FT_OK;
}

/* --- adjacency ---------------------------------------------------------- */

/* One end's lists: the transfers of each account at `end` (payer or
 * payee), in time then tie order. Filling in ascending row order keeps
 * each list in time order (the rows are); an account whose list has two
 * transfers at one time is noted, and only those lists are put in tie
 * order after. */
typedef struct adj_side {
    const ft_store *s;
    const uint32_t *end;
    uint32_t nacc;
    uint32_t *off, *txn;
    ft_status rc;
    ft_error err;
} adj_side;

static ft_status order_ties(const ft_store *s, const uint32_t *off, uint32_t *txn,
                            const uint8_t *tied, uint32_t nacc, ft_error *err);

static ft_status build_side(adj_side *j)
{
    int64_t n = j->s->t.n;
    const int64_t *ts = j->s->t.ts_ms;
    uint32_t nacc = j->nacc;
    uint32_t *off = calloc((size_t)nacc + 1, sizeof *off);
    uint32_t *txn = malloc((size_t)(n ? n : 1) * sizeof *txn);
    int64_t *last = malloc(((size_t)nacc + 1) * sizeof *last);
    uint8_t *tied = calloc((size_t)nacc + 1, 1);
    if (!off || !txn || !last || !tied) {
        free(off);
        free(txn);
        free(last);
        free(tied);
        return ft_error_oom(&j->err);
    }
    const uint32_t *end = j->end;
    for (int64_t i = 0; i < n; i++)
        off[end[i] + 1]++;
    for (uint32_t a = 0; a < nacc; a++)
        off[a + 1] += off[a];
    /* `off` is the write cursor, shifted back after; `last` the time of
     * the account's transfer written last (no time is INT64_MIN: a
     * crafted one only costs a sort). */
    for (uint32_t a = 0; a < nacc; a++)
        last[a] = INT64_MIN;
    for (int64_t i = 0; i < n; i++) {
        if (i + FILL_AHEAD < n)
            __builtin_prefetch(&txn[off[end[i + FILL_AHEAD]]], 1);
        uint32_t a = end[i];
        txn[off[a]++] = (uint32_t)i;
        tied[a] |= last[a] == ts[i];
        last[a] = ts[i];
    }
    memmove(off + 1, off, (size_t)nacc * sizeof *off);
    off[0] = 0;
    free(last);
    j->off = off;
    j->txn = txn;
    ft_status rc = order_ties(j->s, off, txn, tied, nacc, &j->err);
    free(tied);
    return rc;
}

static void side_job(void *job)
{
    adj_side *j = job;
    j->rc = build_side(j);
}

ft_status ft_store_adjacency(ft_store *s, ft_error *err)
{
    ft_adjacency *a = &s->adj;
    if (a->out_off)
        return FT_OK;
    adj_side side[2] = {{.s = s, .end = s->t.src, .nacc = s->accounts.n},
                        {.s = s, .end = s->t.dst, .nacc = s->accounts.n}};
    /* The two ends are independent: on two threads once it pays. */
    if (s->t.n >= THREAD_ROWS) {
        ft_run_jobs(side_job, side, sizeof side[0], 2);
    } else {
        side_job(&side[0]);
        side_job(&side[1]);
    }
    for (int i = 0; i < 2; i++)
        if (side[i].rc != FT_OK) {
            if (err)
                *err = side[i].err;
            for (int k = 0; k < 2; k++) {
                free(side[k].off);
                free(side[k].txn);
            }
            return side[i].rc;
        }
    *a = (ft_adjacency){.nacc = s->accounts.n,
                        .out_off = side[0].off,
                        .out_txn = side[0].txn,
                        .in_off = side[1].off,
                        .in_txn = side[1].txn};
    return FT_OK;
}

/* --- lookups ------------------------------------------------------------ */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

typedef struct rates_ctx {
    ft_store *s;
    double *rate; /* by currency id; 0 until given */
    bool have_base;
} rates_ctx;

static ft_status rates_line(void *ctx, const char *line, ft_error *err)
{
    rates_ctx *r = ctx;
    const char *eq = strchr(line, '=');
    if (!eq)
        return ft_error_set(err, FT_EINPUT, "not 'CODE = RATE' or 'base = CODE'");
    char code[8];
    size_t n = (size_t)(eq - line);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    const char *v = eq + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (n == 4 && strncmp(line, "base", 4) == 0) {
        if (strlen(v) != 3)
            return ft_error_set(err, FT_EINPUT, "the base is a three-letter currency code");
        memcpy(r->s->rate_base, v, 4);
        r->have_base = true;
        for (int c = 0; c < r->s->ncurrencies; c++)
            if (strcmp(r->s->currencies[c].code, v) == 0)
                r->rate[c] = 1;
        return FT_OK;
    }
    if (n != 3)
        return ft_error_set(err, FT_EINPUT, "'%.*s' is not a three-letter currency code", (int)n,
                            line);
    memcpy(code, line, 3);
    code[3] = '\0';
    char *end = NULL;
    errno = 0;
    double rate = strtod(v, &end);
    if (errno || end == v || *end || !(rate > 0) || rate > 1e12)
        return ft_error_set(err, FT_EINPUT, "rate '%s' for %s is not a positive number", v, code);
    for (int c = 0; c < r->s->ncurrencies; c++)
        if (strcmp(r->s->currencies[c].code, code) == 0)
            r->rate[c] = rate;
    return FT_OK;
}

ft_status ft_store_rates_load(ft_store *s, const char *path, ft_error *err)
{
    rates_ctx r = {s, calloc((size_t)s->ncurrencies + 1, sizeof(double)), false};
    if (!r.rate)
        return ft_error_oom(err);
    ft_status rc = ft_config_lines(path, rates_line, &r, err);
    if (rc == FT_OK && !r.have_base)
        rc = ft_error_set(err, FT_EINPUT, "%s: no 'base = CODE' line", path);
    for (int c = 0; c < s->ncurrencies && rc == FT_OK; c++)
        if (r.rate[c] == 0)
            rc = ft_error_set(err, FT_EINPUT, "%s: no rate for %s, which the data uses", path,
                              s->currencies[c].code);
    if (rc != FT_OK) {
        free(r.rate);
        s->rate_base[0] = '\0';
        return rc;
    }
    free(s->rates);
    s->rates = r.rate;
    return FT_OK;
}

double ft_store_analysis(const ft_store *s, int64_t i)
{
    double unit = 1;
    for (int e = 0; e < s->currencies[s->t.cur[i]].exponent; e++)
        unit *= 10;
    double major = (double)s->t.amount[i] / unit;
    return s->rates ? major * s->rates[s->t.cur[i]] : major;
}

uint32_t ft_store_first_at(const ft_store *s, int64_t ms, bool after)
{
    int64_t lo = 0, hi = s->t.n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (s->t.ts_ms[mid] < ms || (after && s->t.ts_ms[mid] == ms))
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

size_t ft_store_txid(const ft_store *s, int64_t i, char *buf, size_t cap)
{
    const ft_txns *t = &s->t;
    int n;
    int64_t v = t->txid ? t->txid[i] : FT_TXID_DERIVED;
    if (v >= 0) {
        n = snprintf(buf, cap, "%" PRId64, v);
    } else if (v != FT_TXID_DERIVED) {
        n = snprintf(buf, cap, "%s", ft_pool_get(&s->strings, (uint64_t)-v, NULL));
    } else {
        int f = t->file ? t->file[i] : 0;
        const char *path =
            f < s->report.nsources ? base_name(s->report.sources[f].path) : "?";
        n = snprintf(buf, cap, "%s:%" PRIu32, path, t->line[i]);
    }
    if (n < 0)
        n = 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

/* --- transaction ids ------------------------------------------------------------------- */

/* Transaction i's id as text: numeric ids in digits (into buf, of at
 * least 32 bytes), text ids straight from the pool, derived ids through
 * ft_store_txid. */
static const char *txid_text(const ft_store *s, uint32_t i, char *buf, size_t cap, size_t *len)
{
    int64_t v = s->t.txid ? s->t.txid[i] : FT_TXID_DERIVED;
    if (v >= 0) {
        char tmp[24];
        size_t n = 0;
        do {
            tmp[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        for (size_t k = 0; k < n; k++)
            buf[k] = tmp[n - 1 - k];
        buf[n] = '\0';
        *len = n;
        return buf;
    }
    if (v != FT_TXID_DERIVED)
        return ft_pool_get(&s->strings, (uint64_t)-v, len);
    *len = ft_store_txid(s, i, buf, cap);
    return buf;
}

/* Hashing ids into buckets, rows [lo, hi) of a store. */
typedef struct bucket_job {
    const ft_store *s;
    uint32_t *bucket, lo, hi, mask;
} bucket_job;

static void bucket_rows(void *arg)
{
    const bucket_job *j = arg;
    char buf[256];
    for (uint32_t i = j->lo; i < j->hi; i++) {
        size_t len;
        const char *id = txid_text(j->s, i, buf, sizeof buf, &len);
        j->bucket[i] = (uint32_t)ft_xxh64(id, len, 0) & j->mask;
    }
}


ft_status ft_txid_map_build(const ft_store *s, ft_txid_map *m, ft_error *err)
{
    uint32_t n = (uint32_t)s->t.n, nb = 1;
    while (nb < n / 2 && nb < (1u << 30)) /* about two transactions a bucket */
        nb *= 2;
    uint32_t *off = calloc((size_t)nb + 2, sizeof *off), *txn = malloc(((size_t)n + 1) * 4);
    uint32_t *bucket = malloc(((size_t)n + FILL_AHEAD + 1) * sizeof *bucket);
    if (!off || !txn || !bucket) {
        free(off);
        free(txn);
        free(bucket);
        return ft_error_oom(err);
    }
    bucket_job job[2] = {{s, bucket, 0, n / 2, nb - 1}, {s, bucket, n / 2, n, nb - 1}};
    if (n >= THREAD_ROWS) {
        ft_run_jobs(bucket_rows, job, sizeof job[0], 2);
    } else {
        job[0].hi = n;
        bucket_rows(&job[0]);
    }
    for (uint32_t i = 0; i < FILL_AHEAD; i++)
        bucket[n + i] = 0; /* what the last rows fetch ahead */
    for (uint32_t i = 0; i < n; i++) {
        __builtin_prefetch(&off[bucket[i + FILL_AHEAD] + 2], 1);
        off[bucket[i] + 2]++;
    }
    /* A counting sort by bucket; ascending i keeps each bucket in store order. */
    for (uint32_t b = 0; b < nb; b++)
        off[b + 2] += off[b + 1];
    for (uint32_t i = 0; i < n; i++) {
        __builtin_prefetch(&off[bucket[i + FILL_AHEAD] + 1], 1);
        if (i + FILL_AHEAD / 2 < n)
            __builtin_prefetch(&txn[off[bucket[i + FILL_AHEAD / 2] + 1]], 1);
        txn[off[bucket[i] + 1]++] = i;
    }
    free(bucket);
    m->nbuckets = nb;
    m->off = off;
    m->txn = txn;
    m->borrowed = false;
    return FT_OK;
}

void ft_txid_map_free(ft_txid_map *m)
{
    if (!m->borrowed) {
        free(m->off);
        free(m->txn);
    }
    memset(m, 0, sizeof *m);
}

ft_status ft_store_txid_index(ft_store *s, ft_error *err)
{
    return s->txids.nbuckets ? FT_OK : ft_txid_map_build(s, &s->txids, err);
}

bool ft_store_find_txid(const ft_store *s, const char *id, size_t len, uint32_t *txn)
{
    const ft_txid_map *m = &s->txids;
    if (!m->nbuckets)
        return false;
    uint32_t b = (uint32_t)ft_xxh64(id, len, 0) & (m->nbuckets - 1);
    char buf[256];
    for (uint32_t k = m->off[b]; k < m->off[b + 1]; k++) {
        size_t l;
        const char *have = txid_text(s, m->txn[k], buf, sizeof buf, &l);
        if (l == len && memcmp(have, id, len) == 0) {
            *txn = m->txn[k];
            return true;
        }
    }
    return false;
}

/* --- the order of transfers at one time ----------------------------------------------- */

static int cmp_bytes(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static int cmp_accounts(const ft_store *s, uint32_t x, uint32_t y)
{
    if (x == y)
        return 0;
    size_t lx, ly;
    const char *kx = ft_store_account(s, x, &lx), *ky = ft_store_account(s, y, &ly);
    return cmp_bytes(kx, lx, ky, ly);
}

/* The tie order without time; `backward` compares payees before payers. */
static int tie_cmp(const ft_store *s, uint32_t a, uint32_t b, bool backward)
{
    const ft_txns *t = &s->t;
    if (a == b)
        return 0;
    if (t->amount[a] != t->amount[b])
        return t->amount[a] < t->amount[b] ? -1 : 1;
    int64_t x = t->txid ? t->txid[a] : FT_TXID_DERIVED, y = t->txid ? t->txid[b] : FT_TXID_DERIVED;
    int c;
    if (x >= 0 || y >= 0) {
        if (x >= 0 && y >= 0 && x != y)
            return x < y ? -1 : 1;
        if ((x >= 0) != (y >= 0))
            return x >= 0 ? -1 : 1; /* numeric ids first */
    } else {
        char bx[256], by[256];
        size_t lx, ly;
        const char *ix = txid_text(s, a, bx, sizeof bx, &lx);
        const char *iy = txid_text(s, b, by, sizeof by, &ly);
        if ((c = cmp_bytes(ix, lx, iy, ly)) != 0)
            return c;
    }
    if (t->cur[a] != t->cur[b] &&
        (c = strcmp(s->currencies[t->cur[a]].code, s->currencies[t->cur[b]].code)) != 0)
        return c;
    const uint32_t *first = backward ? t->dst : t->src, *second = backward ? t->src : t->dst;
    if ((c = cmp_accounts(s, first[a], first[b])) != 0 ||
        (c = cmp_accounts(s, second[a], second[b])) != 0)
        return c;
    return a < b ? -1 : 1;
}

int ft_store_txn_cmp(const ft_store *s, uint32_t a, uint32_t b)
{
    if (s->t.ts_ms[a] != s->t.ts_ms[b])
        return s->t.ts_ms[a] < s->t.ts_ms[b] ? -1 : 1;
    return tie_cmp(s, a, b, false);
}

/* What a sort compares by: the tie order (one way or the other), the
 * whole transaction order, or account keys. */
typedef struct sort_by {
    const ft_store *s;
    enum { BY_TIE, BY_TIE_BACKWARD, BY_TXN, BY_KEY } what;
} sort_by;

static int compare(const sort_by *by, uint32_t a, uint32_t b)
{
    switch (by->what) {
    case BY_TIE:
    case BY_TIE_BACKWARD:
        return tie_cmp(by->s, a, b, by->what == BY_TIE_BACKWARD);
    case BY_TXN:
        return ft_store_txn_cmp(by->s, a, b);
    default:
        return cmp_accounts(by->s, a, b);
    }
}

/* Sorts v[0 .. n), with tmp[n] to spare: a merge sort, because qsort
 * takes no context. */
static void merge_sort(const sort_by *by, uint32_t *v, uint32_t *tmp, uint32_t n)
{
    if (n < 16) {
        for (uint32_t i = 1; i < n; i++) {
            uint32_t x = v[i], j = i;
            for (; j > 0 && compare(by, v[j - 1], x) > 0; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
        return;
    }
    uint32_t h = n / 2;
    merge_sort(by, v, tmp, h);
    merge_sort(by, v + h, tmp, n - h);
    if (compare(by, v[h - 1], v[h]) <= 0)
        return;
    memcpy(tmp, v, h * sizeof *v);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        v[k++] = compare(by, v[j], tmp[i]) < 0 ? v[j++] : tmp[i++];
    while (i < h)
        v[k++] = tmp[i++];
}

/* Sorts each run of transfers at one time in the lists of the accounts
 * marked `tied` (txn[off[a] .. off[a + 1]), in time order) by
 * ft_store_txn_cmp. */
static ft_status order_ties(const ft_store *s, const uint32_t *off, uint32_t *txn,
                            const uint8_t *tied, uint32_t nacc, ft_error *err)
{
    const int64_t *ts = s->t.ts_ms;
    uint32_t *tmp = NULL, cap = 0;
    sort_by by = {s, BY_TXN};
    for (uint32_t a = 0; a < nacc; a++) {
        if (!tied[a])
            continue;
        for (uint32_t i = off[a]; i < off[a + 1];) {
            uint32_t j = i + 1;
            while (j < off[a + 1] && ts[txn[j]] == ts[txn[i]])
                j++;
            if (j - i > 1) {
                if (j - i > cap && !FT_ARRAY_GROW(tmp, &cap, j - i)) {
                    free(tmp);
                    return ft_error_oom(err);
                }
                merge_sort(&by, txn + i, tmp, j - i);
            }
            i = j;
        }
    }
    free(tmp);
    return FT_OK;
}

static ft_status sort_ids(const sort_by *by, uint32_t *v, uint32_t n, ft_error *err)
{
    if (n < 16) {
        merge_sort(by, v, NULL, n);
        return FT_OK;
    }
    uint32_t *tmp = malloc((size_t)n * sizeof *tmp);
    if (!tmp)
        return ft_error_oom(err);
    merge_sort(by, v, tmp, n);
    free(tmp);
    return FT_OK;
}

ft_status ft_store_sort_txns(const ft_store *s, uint32_t *txns, uint32_t n, ft_error *err)
{
    sort_by by = {s, BY_TXN};
    return sort_ids(&by, txns, n, err);
}

ft_status ft_store_sort_accounts(const ft_store *s, uint32_t *ids, uint32_t n, ft_error *err)
{
    sort_by by = {s, BY_KEY};
    return sort_ids(&by, ids, n, err);
}

/* Working memory for ordering the groups of transfers that share a time. */
typedef struct grouper {
    const ft_store *s;
    bool backward;
    uint32_t *local;   /* [nacc]: an account's index in the group, UINT32_MAX: none */
    uint32_t *v, *tmp; /* the group's transfers, sorted by the tie order */
    uint32_t *acct, *pend, *first, *list, *heap;
    uint8_t *state; /* per rank: 0 waiting, 1 in the heap, 2 made */
    uint32_t cap;
} grouper;

static void heap_up(uint32_t *h, uint32_t i)
{
    uint32_t x = h[i];
    for (; i > 0 && h[(i - 1) / 2] > x; i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = x;
}

static uint32_t heap_take(uint32_t *h, uint32_t *n)
{
    uint32_t top = h[0], x = h[--*n], i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= x)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = x;
    return top;
}

/* Puts the waiting debits of group account la that may go now onto the
 * heap: with `self`, its transfers to itself (all its other credits are
 * made), else the rest (every credit is made). */
static void release(grouper *g, uint32_t la, bool self, uint32_t *nheap)
{
    const uint32_t *payer = g->backward ? g->s->t.dst : g->s->t.src;
    const uint32_t *payee = g->backward ? g->s->t.src : g->s->t.dst;
    for (uint32_t k = g->first[la]; k < g->first[la + 1]; k++) {
        uint32_t r = g->list[k], t = g->v[r];
        if (g->state[r] || (payer[t] == payee[t]) != self)
            continue;
        g->state[r] = 1;
        g->heap[*nheap] = r;
        heap_up(g->heap, (*nheap)++);
    }
}

/* Orders the m transfers of one timestamp, g->v[0 .. m), into out. */
static void order_group(grouper *g, uint32_t m, uint32_t *out)
{
    const ft_store *s = g->s;
    const uint32_t *payer = g->backward ? s->t.dst : s->t.src;
    const uint32_t *payee = g->backward ? s->t.src : s->t.dst;
    sort_by by = {s, g->backward ? BY_TIE_BACKWARD : BY_TIE};
    merge_sort(&by, g->v, g->tmp, m);
    /* The group's accounts, each with its pending credits and its debits
     * (ranks, in the tie order: a counting sort keeps it). */
    uint32_t na = 0;
    for (uint32_t r = 0; r < m; r++) {
        uint32_t ends[2] = {payer[g->v[r]], payee[g->v[r]]};
        for (int e = 0; e < 2; e++) {
            if (g->local[ends[e]] == UINT32_MAX) {
                g->local[ends[e]] = na;
                g->acct[na] = ends[e];
                g->pend[na] = 0;
                g->first[na + 1] = 0;
                na++;
            }
        }
        g->pend[g->local[payee[g->v[r]]]]++;
        g->first[g->local[payer[g->v[r]]] + 1]++;
        g->state[r] = 0;
    }
    g->first[0] = 0;
    for (uint32_t a = 0; a < na; a++)
        g->first[a + 1] += g->first[a];
    for (uint32_t r = 0; r < m; r++)
        g->list[g->first[g->local[payer[g->v[r]]]]++] = r;
    for (uint32_t a = na; a > 0; a--)
        g->first[a] = g->first[a - 1];
    g->first[0] = 0;
    uint32_t nheap = 0, made = 0, next = 0;
    for (uint32_t a = 0; a < na; a++) {
        if (g->pend[a] == 0)
            release(g, a, false, &nheap);
        else if (g->pend[a] == 1)
            release(g, a, true, &nheap); /* its one credit may be to itself */
    }
    while (made < m) {
        uint32_t r;
        if (nheap) {
            r = heap_take(g->heap, &nheap);
        } else { /* a circle: the first waiting transfer goes */
            while (g->state[next])
                next++;
            r = next;
        }
        g->state[r] = 2;
        out[made++] = g->v[r];
        uint32_t la = g->local[payee[g->v[r]]];
        if (--g->pend[la] == 1)
            release(g, la, true, &nheap);
        else if (g->pend[la] == 0)
            release(g, la, false, &nheap);
    }
    for (uint32_t a = 0; a < na; a++)
        g->local[g->acct[a]] = UINT32_MAX;
}

static void grouper_free(grouper *g)
{
    free(g->local);
    free(g->v);
    free(g->tmp);
    free(g->acct);
    free(g->pend);
    free(g->first);
    free(g->list);
    free(g->heap);
    free(g->state);
    memset(g, 0, sizeof *g);
}

/* Room for groups of m transfers (what the arrays held is not kept). */
static bool grouper_reserve(grouper *g, uint32_t m)
{
    if (m <= g->cap)
        return true;
    if (!g->local) {
        size_t na = (size_t)g->s->accounts.n + 1;
        if (!(g->local = malloc(na * sizeof *g->local)))
            return false;
        memset(g->local, 0xff, na * sizeof *g->local);
    }
    size_t cap = m < 64 ? 64 : m;
    uint32_t **arrays[] = {&g->v, &g->tmp, &g->list, &g->heap};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) {
        free(*arrays[i]);
        *arrays[i] = malloc(cap * sizeof **arrays[i]);
    }
    /* A group has at most two accounts per transfer. */
    uint32_t **per_account[] = {&g->acct, &g->pend, &g->first};
    for (size_t i = 0; i < sizeof per_account / sizeof *per_account; i++) {
        free(*per_account[i]);
        *per_account[i] = malloc((2 * cap + 1) * sizeof **per_account[i]);
    }
    free(g->state);
    g->state = malloc(cap);
    g->cap = 0;
    if (!g->v || !g->tmp || !g->list || !g->heap || !g->acct || !g->pend || !g->first || !g->state)
        return false;
    g->cap = (uint32_t)cap;
    return true;
}

ft_status ft_store_flow_order(const ft_store *s, bool backward, uint32_t *order, ft_error *err)
{
    uint32_t n = (uint32_t)s->t.n;
    const int64_t *ts = s->t.ts_ms;
    grouper g = {.s = s, .backward = backward};
    uint32_t pos = 0;
    while (pos < n) {
        /* The next group in trace order, [lo, hi) in the store. */
        uint32_t lo, hi;
        if (!backward) {
            lo = pos;
            for (hi = lo + 1; hi < n && ts[hi] == ts[lo]; hi++)
                ;
        } else {
            hi = n - pos;
            for (lo = hi - 1; lo > 0 && ts[lo - 1] == ts[hi - 1]; lo--)
                ;
        }
        uint32_t m = hi - lo;
        if (m == 1) {
            order[pos++] = lo;
            continue;
        }
        if (!grouper_reserve(&g, m)) {
            grouper_free(&g);
            return ft_error_oom(err);
        }
        for (uint32_t i = 0; i < m; i++)
            g.v[i] = lo + i;
        order_group(&g, m, order + pos);
        pos += m;
    }
    grouper_free(&g);
    return FT_OK;
}

const char *ft_store_account(const ft_store *s, uint32_t id, size_t *len)
{
    return ft_intern_str(&s->accounts, id, len);
}

const char *ft_store_account_shown(const ft_store *s, uint32_t id, size_t *len)
{
    if (!s->pseudo)
        return ft_intern_str(&s->accounts, id, len);
    *len = FT_PSEUDO_LEN;
    return s->pseudo + (size_t)id * (FT_PSEUDO_LEN + 1);
}

ft_status ft_store_add_source(ft_store *s, const char *path, int *idx, ft_error *err)
{
    ft_load_report *r = &s->report;
    if (r->nsources >= FT_MAX_SMALL_ID)
        return ft_error_set(err, FT_ELIMIT, "more than %d input files", FT_MAX_SMALL_ID);
    if (r->nsources == r->cap) {
        int cap = r->cap ? r->cap * 2 : 4;
        ft_source *p = realloc(r->sources, (size_t)cap * sizeof *p);
        if (!p)
            return ft_error_oom(err);
        r->sources = p;
        r->cap = cap;
    }
    ft_source *src = &r->sources[r->nsources];
    memset(src, 0, sizeof *src);
    src->path = strdup(path);
    if (!src->path)
        return ft_error_oom(err);
    *idx = r->nsources++;
    return FT_OK;
}

void ft_store_free(ft_store *s)
{
    bool borrowed = s->map != NULL;
    for (int c = 0; c < FT_COL_COUNT; c++) {
        if (!borrowed)
            free(col_get(&s->t, (ft_col)c));
    }
    ft_intern_free(&s->accounts);
    ft_intern_free(&s->channels);
    ft_intern_free(&s->labels);
    ft_pool_free(&s->strings);
    free(s->currencies);
    for (int i = 0; i < s->report.nsources; i++) {
        free(s->report.sources[i].path);
        free(s->report.sources[i].layout);
    }
    free(s->report.sources);
    free(s->report.options);
    free(s->report.dups);
    free(s->adj.out_off);
    free(s->adj.in_off);
    free(s->adj.out_txn);
    free(s->adj.in_txn);
    ft_txid_map_free(&s->txids);
    free(s->rates);
    free(s->pseudo);
    if (borrowed)
        munmap(s->map, s->map_len);
    memset(s, 0, sizeof *s);
}
