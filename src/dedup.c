/*
 * dedup.c - what several files hold together: copies kept once, and the
 * payer's and payee's views of one transfer merged into one.
 *
 * Runs on the rows in load order, before the time sort. Each row gets a
 * 64-bit key: its id (scoped by the statement's account for statement
 * rows: a bank reference is unique within one account's statements only)
 * when it has one, else all its fields. A stable radix sort brings equal
 * keys together in load order, and every candidate pair is compared field
 * by field, so a hash collision can only cost a comparison.
 *
 * Copies: the first row with an id is kept; a later one with the same
 * fields is a copy, with other fields a conflict (rejected, both places
 * named). Rows without ids are copies only across files, as a multiset:
 * the k-th of a file is a copy of the k-th of the first earlier file that
 * has k of them, so two genuine equal payments in one export stay two.
 *
 * Merges: a debit in the payer's statement and a credit in the payee's
 * with the same accounts, currency and amount are one transfer when their
 * end-to-end ids are equal, or (one lacking it) their booking times are
 * within the window; each credit takes the earliest debit still free.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/hash.h"
#include "fundtrace/time.h"
#include "ingest_int.h"

#define DAY_MS 86400000LL

struct keyed {
    uint64_t key;
    uint32_t row;
};

/* Stable LSD radix sort by key, 16 bits a pass. */
static bool sort_keys(struct keyed *a, uint32_t n)
{
    struct keyed *b = malloc((size_t)(n ? n : 1) * sizeof *b);
    uint32_t *count = malloc(65536 * sizeof *count);
    if (!b || !count) {
        free(b);
        free(count);
        return false;
    }
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (uint32_t i = 0; i < n; i++)
            count[(a[i].key >> shift) & 0xffff]++;
        uint32_t sum = 0;
        for (uint32_t d = 0; d < 65536; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++)
            b[count[(a[i].key >> shift) & 0xffff]++] = a[i];
        struct keyed *t = a;
        a = b;
        b = t;
    }
    /* Four passes: the result is back in the caller's array. */
    free(b);
    free(count);
    return true;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdULL;
}

static const char *str(const ft_store *s, uint64_t off, size_t *len)
{
    return ft_pool_get(&s->strings, off, len);
}

static uint64_t str_hash(const ft_store *s, uint64_t off)
{
    if (!off)
        return 0;
    size_t len;
    const char *p = str(s, off, &len);
    return ft_intern_hash(p, len);
}

static bool same_str(const ft_store *s, const uint64_t *col, uint32_t a, uint32_t b)
{
    if (!col || col[a] == col[b])
        return true;
    if (!col[a] || !col[b])
        return false;
    size_t la, lb;
    const char *x = str(s, col[a], &la), *y = str(s, col[b], &lb);
    return la == lb && memcmp(x, y, la) == 0;
}

static bool has_id(const ft_txns *t, uint32_t i)
{
    return t->txid && t->txid[i] != FT_TXID_DERIVED;
}

/* The account a statement row belongs to; UINT32_MAX for other rows. */
static uint32_t scope(const ft_txns *t, uint32_t i)
{
    uint8_t side = t->side ? t->side[i] : FT_SIDE_NONE;
    return side == FT_SIDE_DEBIT ? t->src[i] : side == FT_SIDE_CREDIT ? t->dst[i] : UINT32_MAX;
}

static bool same_id(const ft_store *s, uint32_t a, uint32_t b)
{
    const ft_txns *t = &s->t;
    if (scope(t, a) != scope(t, b))
        return false;
    int64_t x = t->txid[a], y = t->txid[b];
    if (x >= 0 || y >= 0)
        return x == y;
    size_t la, lb;
    const char *p = str(s, (uint64_t)-x, &la), *q = str(s, (uint64_t)-y, &lb);
    return la == lb && memcmp(p, q, la) == 0;
}

static uint16_t file_of(const ft_txns *t, uint32_t i);

/* The first field in which rows a and b differ, or NULL. What the
 * transfer is (time, accounts, amounts, side) always counts; how a file
 * describes it (channel, memo, label, end-to-end id, value date) only
 * between files of one layout: the same bank's statement as MT940 and as
 * camt names its booking codes differently. */
static const char *differs(const ft_store *s, uint32_t a, uint32_t b)
{
    const ft_txns *t = &s->t;
    if (t->ts_ms[a] != t->ts_ms[b])
        return "time";
    if (t->src[a] != t->src[b])
        return "source account";
    if (t->dst[a] != t->dst[b])
        return "destination account";
    if (t->cur[a] != t->cur[b] || t->amount[a] != t->amount[b])
        return "amount";
    if (t->amount_recv &&
        (t->amount_recv[a] != t->amount_recv[b] || t->cur_recv[a] != t->cur_recv[b]))
        return "received amount";
    if (t->side && t->side[a] != t->side[b])
        return "debit or credit";
    const ft_load_report *r = &s->report;
    const char *la = r->sources[file_of(t, a)].layout, *lb = r->sources[file_of(t, b)].layout;
    if (la && lb && strcmp(la, lb) != 0)
        return NULL;
    if (t->channel && t->channel[a] != t->channel[b])
        return "channel";
    if (t->label && t->label[a] != t->label[b])
        return "label";
    if (!same_str(s, t->memo, a, b))
        return "memo";
    if (!same_str(s, t->e2e, a, b))
        return "end-to-end id";
    if (t->value_ms && t->value_ms[a] != t->value_ms[b])
        return "value date";
    return NULL;
}

static uint64_t row_key(const ft_store *s, uint32_t i)
{
    const ft_txns *t = &s->t;
    if (has_id(t, i)) {
        int64_t id = t->txid[i];
        uint64_t h = id >= 0 ? mix(1, (uint64_t)id) : mix(2, str_hash(s, (uint64_t)-id));
        return mix(h, scope(t, i));
    }
    uint64_t h = mix(3, (uint64_t)t->ts_ms[i]);
    h = mix(h, (uint64_t)t->src[i] << 32 | t->dst[i]);
    h = mix(h, (uint64_t)t->amount[i]);
    h = mix(h, t->cur[i]);
    if (t->memo)
        h = mix(h, str_hash(s, t->memo[i]));
    if (t->side)
        h = mix(h, t->side[i]);
    return h;
}

static uint16_t file_of(const ft_txns *t, uint32_t i)
{
    return t->file ? t->file[i] : 0;
}

struct ctx {
    ft_store *s;
    const ft_load_options *o;
    uint8_t *drop;
    ft_error *err;
};

/* Drops row `other` as folded into `kept`. */
static ft_status fold(struct ctx *c, int kind, uint32_t kept, uint32_t other)
{
    ft_txns *t = &c->s->t;
    c->drop[other] = 1;
    ft_source *src = &c->s->report.sources[file_of(t, other)];
    if (kind == FT_DUP_COPY)
        src->duplicates++;
    else
        src->merged++;
    return ft_store_add_dup(c->s, kind, file_of(t, kept), t->line[kept], file_of(t, other),
                            t->line[other], c->err);
}

/* A row whose id was loaded before with other fields. */
static ft_status conflict(struct ctx *c, uint32_t kept, uint32_t row, const char *field)
{
    ft_store *s = c->s;
    ft_txns *t = &s->t;
    ft_load_report *r = &s->report;
    c->drop[row] = 1;
    uint16_t f = file_of(t, row);
    r->rows_loaded--;
    r->rows_rejected++;
    r->by_reason[FT_REJ_DUPLICATE_ID]++;
    r->sources[f].rows_loaded--;
    r->sources[f].rows_rejected++;
    char id[128], msg[512];
    ft_store_txid(s, row, id, sizeof id);
    snprintf(msg, sizeof msg,
             "transaction id '%s' was loaded before, from %s:%" PRIu32 ", with another %s", id,
             r->sources[file_of(t, kept)].path, t->line[kept], field);
    if (c->o && c->o->on_reject) {
        ft_fault fault = {t->line[row], 0, FT_REJ_DUPLICATE_ID, msg};
        ft_reject_info info = {
            r->sources[f].path, t->line[row], 0, FT_REJ_DUPLICATE_ID, msg, "", 0, &fault, 1};
        c->o->on_reject(c->o->reject_ctx, &info);
    }
    if (c->o && c->o->strict)
        return ft_error_at(c->err, FT_EINPUT, r->sources[f].path, t->line[row], 0, "%s", msg);
    return FT_OK;
}

/* One run of rows with equal keys, in load order (so a file's rows are
 * together). Rows equal to the first one not yet looked at form a group;
 * a hash collision only makes a second pass. Linear for one group. */
static ft_status copies_in_run(struct ctx *c, const struct keyed *run, uint32_t n, uint8_t *seen,
                               uint32_t *holder)
{
    ft_store *s = c->s;
    const ft_txns *t = &s->t;
    ft_status rc = FT_OK;
    memset(seen, 0, n);
    for (uint32_t first = 0; first < n && rc == FT_OK; first++) {
        if (seen[first])
            continue;
        uint32_t rep = run[first].row;
        bool id = has_id(t, rep);
        uint32_t nheld = 0, file = UINT32_MAX, k = 0;
        for (uint32_t x = first; x < n && rc == FT_OK; x++) {
            uint32_t r = run[x].row;
            if (seen[x] || has_id(t, r) != id)
                continue;
            if (id ? !same_id(s, rep, r) : differs(s, rep, r) != NULL)
                continue;
            seen[x] = 1;
            if (x == first)
                ; /* the group's first row is kept */
            else if (id) {
                const char *d = differs(s, rep, r);
                rc = d ? conflict(c, rep, r, d) : fold(c, FT_DUP_COPY, rep, r);
                continue;
            }
            if (id)
                continue;
            /* The k-th copy in its file pairs with the k-th kept one. */
            k = file_of(t, r) == file ? k + 1 : 0;
            file = file_of(t, r);
            if (k < nheld)
                rc = fold(c, FT_DUP_COPY, holder[k], r);
            else
                holder[nheld++] = r;
        }
    }
    return rc;
}

static ft_status find_copies(struct ctx *c)
{
    ft_store *s = c->s;
    uint32_t n = (uint32_t)s->t.n;
    /* Ids that only grow cannot repeat: the common case of one export. */
    bool growing = s->t.txid != NULL;
    for (uint32_t i = 0; growing && i < n; i++)
        growing = s->t.txid[i] >= 0 && (i == 0 || s->t.txid[i] > s->t.txid[i - 1]);
    if (growing)
        return FT_OK;
    struct keyed *k = malloc((size_t)(n ? n : 1) * sizeof *k);
    uint8_t *seen = malloc((size_t)(n ? n : 1));
    uint32_t *holder = malloc((size_t)(n ? n : 1) * sizeof *holder);
    if (!k || !seen || !holder) {
        free(k);
        free(seen);
        free(holder);
        return ft_error_oom(c->err);
    }
    for (uint32_t i = 0; i < n; i++)
        k[i] = (struct keyed){row_key(s, i), i};
    ft_status rc = sort_keys(k, n) ? FT_OK : ft_error_oom(c->err);
    for (uint32_t i = 0; i < n && rc == FT_OK;) {
        uint32_t j = i + 1;
        while (j < n && k[j].key == k[i].key)
            j++;
        if (j - i > 1)
            rc = copies_in_run(c, k + i, j - i, seen, holder);
        i = j;
    }
    free(k);
    free(seen);
    free(holder);
    return rc;
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* Views farther apart than this are not one transfer, even with equal
 * end-to-end ids. */
#define E2E_WINDOW_MS (30 * DAY_MS)
/* Candidates looked at per credit: bounds a run of identical transfers. */
#define MAX_SCAN 4096

static const int64_t *merge_ts;

static int by_time(const void *a, const void *b)
{
    int64_t x = merge_ts[*(const uint32_t *)a], y = merge_ts[*(const uint32_t *)b];
    return (x > y) - (x < y);
}

/* One run of statement rows with the same accounts, currency and amount:
 * each credit, in time order, takes the nearest free debit that fits. */
static ft_status merge_run(struct ctx *c, uint32_t *rows, uint32_t n, int64_t window)
{
    ft_store *s = c->s;
    ft_txns *t = &s->t;
    merge_ts = t->ts_ms;
    qsort(rows, n, sizeof *rows, by_time);
    ft_status rc = FT_OK;
    uint32_t lo = 0;
    for (uint32_t x = 0; x < n && rc == FT_OK; x++) {
        uint32_t cr = rows[x];
        if (t->side[cr] != FT_SIDE_CREDIT)
            continue;
        int64_t reach = window > E2E_WINDOW_MS ? window : E2E_WINDOW_MS;
        while (lo < n && t->ts_ms[rows[lo]] < t->ts_ms[cr] - reach)
            lo++;
        uint32_t best = UINT32_MAX, scanned = 0;
        int64_t best_gap = INT64_MAX;
        for (uint32_t y = lo; y < n && scanned < MAX_SCAN; y++) {
            uint32_t db = rows[y];
            if (t->ts_ms[db] > t->ts_ms[cr] + reach)
                break;
            if (t->side[db] != FT_SIDE_DEBIT || c->drop[db])
                continue;
            scanned++;
            bool both_e2e = t->e2e && t->e2e[db] && t->e2e[cr];
            int64_t gap = abs64(t->ts_ms[db] - t->ts_ms[cr]);
            if (both_e2e ? !same_str(s, t->e2e, db, cr) : gap > window)
                continue;
            if (gap < best_gap) {
                best = db;
                best_gap = gap;
            }
        }
        if (best == UINT32_MAX)
            continue;
        t->side[best] = FT_SIDE_BOTH;
        if (t->e2e && !t->e2e[best])
            t->e2e[best] = t->e2e[cr];
        if (t->cp_name && !t->cp_name[best])
            t->cp_name[best] = t->cp_name[cr];
        rc = fold(c, FT_DUP_MERGE, best, cr);
    }
    return rc;
}

static ft_status find_merges(struct ctx *c, int64_t window)
{
    ft_store *s = c->s;
    ft_txns *t = &s->t;
    if (!t->side)
        return FT_OK;
    uint32_t n = (uint32_t)t->n, m = 0;
    struct keyed *k = malloc((size_t)(n ? n : 1) * sizeof *k);
    uint32_t *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (!k || !rows) {
        free(k);
        free(rows);
        return ft_error_oom(c->err);
    }
    bool debits = false, credits = false;
    for (uint32_t i = 0; i < n; i++) {
        if (c->drop[i] || (t->side[i] != FT_SIDE_DEBIT && t->side[i] != FT_SIDE_CREDIT) ||
            t->src[i] == t->dst[i])
            continue;
        debits |= t->side[i] == FT_SIDE_DEBIT;
        credits |= t->side[i] == FT_SIDE_CREDIT;
        uint64_t h = mix(4, (uint64_t)t->src[i] << 32 | t->dst[i]);
        h = mix(mix(h, (uint64_t)t->amount[i]), t->cur[i]);
        k[m++] = (struct keyed){h, i};
    }
    ft_status rc = FT_OK;
    if (debits && credits && !sort_keys(k, m))
        rc = ft_error_oom(c->err);
    for (uint32_t i = 0; debits && credits && i < m && rc == FT_OK;) {
        uint32_t j = i + 1;
        while (j < m && k[j].key == k[i].key)
            j++;
        /* Rows of the run with the run's first accounts and amount (a
         * collision only leaves some unmerged). */
        uint32_t r0 = k[i].row, nr = 0;
        bool d = false, cr = false;
        for (uint32_t x = i; x < j; x++) {
            uint32_t r = k[x].row;
            if (t->src[r] != t->src[r0] || t->dst[r] != t->dst[r0] ||
                t->amount[r] != t->amount[r0] || t->cur[r] != t->cur[r0])
                continue;
            rows[nr++] = r;
            d |= t->side[r] == FT_SIDE_DEBIT;
            cr |= t->side[r] == FT_SIDE_CREDIT;
        }
        if (d && cr)
            rc = merge_run(c, rows, nr, window);
        i = j;
    }
    free(k);
    free(rows);
    return rc;
}

ft_status ft_ingest_reconcile(ft_store *s, const ft_load_options *o, ft_error *err)
{
    if (s->t.n == 0)
        return FT_OK;
    struct ctx c = {s, o, calloc((size_t)s->t.n, 1), err};
    if (!c.drop)
        return ft_error_oom(err);
    int64_t ndups0 = s->report.ndups;
    int64_t window = o && o->merge_window_ms ? o->merge_window_ms : 3 * DAY_MS;
    ft_status rc = find_copies(&c);
    if (rc == FT_OK)
        rc = find_merges(&c, window);
    if (rc == FT_OK)
        rc = ft_store_remove(s, c.drop, err);
    free(c.drop);
    if (rc != FT_OK || !o || !o->on_note)
        return rc;
    /* One note per file that lost rows, naming the first pair. */
    const ft_load_report *r = &s->report;
    for (int f = 0; f < r->nsources; f++) {
        const ft_source *src = &r->sources[f];
        for (int kind = FT_DUP_COPY; kind <= FT_DUP_MERGE; kind++) {
            int64_t count = kind == FT_DUP_COPY ? src->duplicates : src->merged;
            if (!count)
                continue;
            const ft_dup_record *d = NULL;
            for (int64_t i = ndups0; i < r->ndups; i++)
                if (r->dups[i].kind == kind && r->dups[i].other_file == f &&
                    (!d || r->dups[i].other_line < d->other_line))
                    d = &r->dups[i];
            char msg[768];
            if (kind == FT_DUP_COPY)
                snprintf(msg, sizeof msg,
                         "%" PRId64 " %s loaded before, kept once (the "
                         "first: line %" PRIu32 " copies %s:%" PRIu32 ")",
                         count, count == 1 ? "row is a copy of a row" : "rows are copies of rows",
                         d ? d->other_line : 0,
                         d ? r->sources[d->kept_file].path : "?", d ? d->kept_line : 0);
            else
                snprintf(msg, sizeof msg,
                         "%" PRId64 " transfer%s also in the payer's statement, merged into "
                         "one (the first: line %" PRIu32 " with %s:%" PRIu32 ")",
                         count, count == 1 ? " is" : "s are", d ? d->other_line : 0,
                         d ? r->sources[d->kept_file].path : "?", d ? d->kept_line : 0);
            o->on_note(o->note_ctx, src->path, msg);
        }
    }
    return FT_OK;
}
