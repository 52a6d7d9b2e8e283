/*
 * ingest.c - CSV rows into the store.
 *
 * csvread tokenises on its own thread; here, on the caller's thread, each
 * row is checked against its layout, converted (exact money, UTC time,
 * interned accounts) and appended, or rejected with a reason, its location
 * and its bytes. A row is validated completely before anything is
 * interned or appended, so a rejected row leaves no trace in the store but
 * the counts.
 */
#include "fundtrace/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fundtrace/csvread.h"
#include "fundtrace/time.h"

#define CUR_CACHE 32
#define PF_DIST   12
#define PF_RING   16 /* a power of two above PF_DIST */

struct cur_cache {
    char text[32];
    size_t len;
    ft_currency cur; /* as resolved, exponent = the layout's decimals */
    int store_id;    /* -1 until a row in it is loaded */
};

struct loader {
    ft_store *s;
    const ft_load_options *o;
    ft_error *err;
    ft_status rc; /* first fatal error */
    const char *path;
    int src_idx;
    const ft_csv_batch *b; /* the row being converted */
    const ft_csv_row *row;
    char *key; /* scratch for "bank:account" */
    size_t keycap;
    char *pfkey; /* the same, for prefetching */
    size_t pfkeycap;
    struct prefetch {
        const ft_csv_row *row; /* the row the hashes are for */
        uint64_t hash[2];      /* of its source and destination keys */
    } pf[PF_RING];
    bool header_done;
    ft_schema sc;
    ft_currency default_cur;
    struct cur_cache cache[CUR_CACHE];
    int ncache;
};

static ft_status reserve(char **buf, size_t *cap, size_t need, ft_error *err)
{
    if (need <= *cap)
        return FT_OK;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *p = realloc(*buf, c);
    if (!p)
        return ft_error_oom(err);
    *buf = p;
    *cap = c;
    return FT_OK;
}

static void fail(struct loader *L, ft_status rc)
{
    if (L->rc == FT_OK)
        L->rc = rc;
}

/* Records a fatal error and leaves the (void) caller. */
#define FAIL(L, rc)                                                                             \
    do {                                                                                        \
        fail((L), (rc));                                                                        \
        return;                                                                                 \
    } while (0)

static const char *fptr(const struct loader *L, int col)
{
    size_t len;
    return ft_csv_field(L->b, L->row, col, &len);
}

static size_t flen(const struct loader *L, int col)
{
    return L->b->flen[L->row->field0 + (uint32_t)col];
}

static int64_t field_line(const struct loader *L, int col)
{
    return ft_csv_field_line(L->b, L->row, col);
}

/* Records a rejected row. `col` is 0-based, or -1 for the row as a whole. */
static void reject_at(struct loader *L, ft_reject why, int64_t line, int64_t col, const char *raw,
                      size_t raw_len, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void reject_at(struct loader *L, ft_reject why, int64_t line, int64_t col, const char *raw,
                      size_t raw_len, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ft_load_report *r = &L->s->report;
    r->rows_rejected++;
    r->by_reason[why]++;
    r->sources[L->src_idx].rows_rejected++;
    if (L->o->on_reject) {
        ft_reject_info info = {L->path, line, col + 1, why, msg, raw, raw_len};
        L->o->on_reject(L->o->reject_ctx, &info);
    }
    if (L->o->strict)
        fail(L, ft_error_at(L->err, FT_EINPUT, L->path, line, col + 1, "%s", msg));
}

/* A field's text for a message: at most 60 bytes, control bytes as '?'. */
static const char *show(const struct loader *L, int col, char out[80])
{
    const char *f = fptr(L, col);
    size_t len = flen(L, col), n = len > 60 ? 60 : len;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)f[i] < 0x20 || f[i] == 0x7f ? '?' : f[i];
    if (len > n) {
        memcpy(out + n, "...", 4);
    } else {
        out[n] = '\0';
    }
    return out;
}

#define REJECT(L, why, col, ...)                                                                \
    reject_at((L), (why), field_line((L), (col)), (col), (L)->b->raw + (L)->row->raw_off,         \
              (size_t)(L)->row->raw_len, __VA_ARGS__)

static void trim_span(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* The field of schema field f, trimmed; NULL/0 when the layout lacks it. */
/* The field of schema field f in `row`, trimmed; NULL/0 when the layout
 * lacks it. */
static const char *get_in(const struct loader *L, const ft_csv_row *row, ft_field f, size_t *len)
{
    int c = L->sc.col[f];
    if (c < 0) {
        *len = 0;
        return NULL;
    }
    const char *s = ft_csv_field(L->b, row, c, len);
    trim_span(&s, len);
    return s;
}

static const char *get(const struct loader *L, ft_field f, size_t *len)
{
    return get_in(L, L->row, f, len);
}

/* The account key of `row` ("bank:account", or the account when there is
 * no bank), built in *buf when it needs building. */
static ft_status key_of(const struct loader *L, const ft_csv_row *row, ft_field fbank,
                        ft_field facct, char **buf, size_t *cap, const char **key, size_t *len,
                        ft_error *err)
{
    size_t blen, alen;
    const char *b = get_in(L, row, fbank, &blen);
    const char *a = get_in(L, row, facct, &alen);
    if (!b || blen == 0) {
        *key = a;
        *len = alen;
        return FT_OK;
    }
    ft_status rc = reserve(buf, cap, blen + alen + 1, err);
    if (rc != FT_OK)
        return rc;
    memcpy(*buf, b, blen);
    (*buf)[blen] = ':';
    memcpy(*buf + blen + 1, a, alen);
    *key = *buf;
    *len = blen + 1 + alen;
    return FT_OK;
}

/* Prefetching account lookups: the hash table is far larger than the
 * caches once there are a million accounts, and each lookup would wait on
 * three memory loads in a row. Row i + PF_DIST is hashed and its slot
 * fetched; row i + 2 * PF_DIST / 3 its key offset; row i + PF_DIST / 3
 * its key bytes; so row i finds them all in cache. */
static void prefetch_row(struct loader *L, uint32_t i, int stage)
{
    const ft_csv_row *row = &L->b->rows[i];
    struct prefetch *p = &L->pf[i % PF_RING];
    if (stage == 0) {
        p->row = NULL;
        if (row->kind != FT_CSV_ROW || (int)row->nf != L->sc.ncols)
            return;
        static const ft_field fields[2][2] = {{FT_F_SRC_BANK, FT_F_SRC}, {FT_F_DST_BANK, FT_F_DST}};
        for (int k = 0; k < 2; k++) {
            const char *key;
            size_t len;
            if (key_of(L, row, fields[k][0], fields[k][1], &L->pfkey, &L->pfkeycap, &key, &len,
                       NULL) != FT_OK)
                return;
            p->hash[k] = ft_intern_hash(key, len);
        }
        p->row = row;
    }
    if (p->row != row)
        return;
    ft_intern_prefetch(&L->s->accounts, p->hash[0], stage);
    ft_intern_prefetch(&L->s->accounts, p->hash[1], stage);
}

static ft_status resolve_default_currency(struct loader *L)
{
    const ft_load_options *o = L->o;
    const char *code = o->default_currency;
    if (!code && (L->sc.layout == FT_LAYOUT_AMLSIM || L->sc.layout == FT_LAYOUT_PAYSIM))
        code = "USD";
    if (!code)
        return ft_error_set(L->err, FT_EUSAGE,
                            "%s: there is no currency column: name one with --map "
                            "currency=COLUMN, or give every row one with --currency CODE",
                            L->path);
    if (!ft_currency_resolve(o->currencies, code, strlen(code), &L->default_cur))
        return ft_error_set(L->err, FT_EUSAGE,
                            "--currency '%s' is not a known currency (add it with --currencies "
                            "FILE)",
                            code);
    return FT_OK;
}

static void process_header(struct loader *L)
{
    int nf = (int)L->row->nf;
    const char **names = malloc((size_t)(nf ? nf : 1) * sizeof *names);
    if (!names)
        FAIL(L, ft_error_oom(L->err));
    for (int i = 0; i < nf; i++)
        names[i] = fptr(L, i);
    ft_status rc = ft_schema_detect(&L->sc, names, L->b->flen + L->row->field0, nf, L->o->map,
                                    L->path, L->err);
    free(names);
    if (rc != FT_OK)
        FAIL(L, rc);
    if (L->sc.col[FT_F_CURRENCY] < 0 && (rc = resolve_default_currency(L)) != FT_OK)
        FAIL(L, rc);
    ft_store *s = L->s;
    static const struct {
        ft_field f;
        ft_col c;
    } optional[] = {
        {FT_F_CHANNEL, FT_COL_CHANNEL}, {FT_F_LABEL, FT_COL_LABEL},
        {FT_F_MEMO, FT_COL_MEMO},       {FT_F_TXID, FT_COL_TXID},
        {FT_F_AMOUNT_RECV, FT_COL_AMOUNT_RECV}, {FT_F_CURRENCY_RECV, FT_COL_CUR_RECV},
    };
    for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++) {
        if (L->sc.col[optional[k].f] >= 0 && (rc = ft_store_enable(s, optional[k].c, L->err)))
            FAIL(L, rc);
    }
    if (L->sc.col[FT_F_AMOUNT_RECV] >= 0 && L->sc.col[FT_F_CURRENCY_RECV] < 0)
        FAIL(L, ft_error_set(L->err, FT_EUSAGE,
                                    "%s: amount_received needs currency_received too", L->path));
    if (L->src_idx > 0 && (rc = ft_store_enable(s, FT_COL_FILE, L->err)) != FT_OK)
        FAIL(L, rc);
    ft_source *src = &s->report.sources[L->src_idx];
    free(src->layout);
    src->layout = strdup(ft_layout_name(L->sc.layout));
    if (!src->layout)
        FAIL(L, ft_error_oom(L->err));
    L->header_done = true;
}

/* Resolves a currency text through the per-file cache. */
static struct cur_cache *currency(struct loader *L, const char *s, size_t len,
                                  struct cur_cache *scratch)
{
    for (int i = 0; i < L->ncache; i++)
        if (L->cache[i].len == len && memcmp(L->cache[i].text, s, len) == 0)
            return &L->cache[i];
    struct cur_cache *c = L->ncache < CUR_CACHE && len < sizeof c->text ? &L->cache[L->ncache]
                                                                        : scratch;
    if (!ft_currency_resolve(L->o->currencies, s, len, &c->cur))
        return NULL;
    if (c->cur.exponent < L->sc.min_exponent)
        c->cur.exponent = L->sc.min_exponent;
    c->store_id = -1;
    if (c != scratch) {
        memcpy(c->text, s, len);
        c->len = len;
        L->ncache++;
    }
    return c;
}

/* Parses an amount with its currency; on failure rejects the row. */
static bool amount(struct loader *L, ft_field fa, ft_field fc, int64_t *minor,
                   struct cur_cache **cur, struct cur_cache *scratch)
{
    size_t len, clen;
    const char *a = get(L, fa, &len);
    char buf[80];
    if (L->sc.col[fc] >= 0) {
        const char *c = get(L, fc, &clen);
        *cur = currency(L, c, clen, scratch);
        if (!*cur) {
            REJECT(L, FT_REJ_CURRENCY, L->sc.col[fc],
                   "currency '%s' is not known (define it with --currencies FILE)",
                   show(L, L->sc.col[fc], buf));
            return false;
        }
    } else {
        scratch->cur = L->default_cur;
        if (scratch->cur.exponent < L->sc.min_exponent)
            scratch->cur.exponent = L->sc.min_exponent;
        scratch->store_id = -1;
        *cur = scratch;
    }
    ft_money_error why;
    if (ft_money_parse(a, len, (*cur)->cur.exponent, minor, &why))
        return true;
    static const ft_reject reason[] = {
        [FT_MONEY_EMPTY] = FT_REJ_AMOUNT,      [FT_MONEY_SYNTAX] = FT_REJ_AMOUNT,
        [FT_MONEY_THOUSANDS] = FT_REJ_THOUSANDS, [FT_MONEY_DECIMALS] = FT_REJ_DECIMALS,
        [FT_MONEY_NEGATIVE] = FT_REJ_NEGATIVE, [FT_MONEY_OVERFLOW] = FT_REJ_OVERFLOW,
    };
    int col = L->sc.col[fa];
    if (why == FT_MONEY_DECIMALS)
        REJECT(L, reason[why], col, "%s '%s' has more decimals than %s allows (%d)",
               ft_field_name(fa), show(L, col, buf), (*cur)->cur.code, (*cur)->cur.exponent);
    else
        REJECT(L, reason[why], col, "%s '%s' %s", ft_field_name(fa), show(L, col, buf),
               ft_money_strerror(why));
    return false;
}

/* Registers a validated currency in the store and scales the amount from
 * the layout's decimals to the store's. */
static ft_status commit_amount(struct loader *L, struct cur_cache *c, int64_t *minor,
                               uint16_t *id)
{
    ft_status rc;
    if (c->store_id < 0) {
        if ((rc = ft_store_currency(L->s, &c->cur, id, L->err)) != FT_OK)
            return rc;
        c->store_id = *id;
    }
    *id = (uint16_t)c->store_id;
    int have = L->s->currencies[*id].exponent;
    if (have > c->cur.exponent && !ft_money_scale(minor, have - c->cur.exponent))
        return ft_error_set(L->err, FT_ELIMIT, "%s:%" PRId64 ": amount too large in %s",
                            L->path, L->row->line, c->cur.code);
    return FT_OK;
}

static bool flag_false(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '0') ||
           (len == 5 && strncasecmp(s, "false", 5) == 0) || (len == 2 && strncasecmp(s, "no", 2) == 0);
}

static ft_status intern_label(struct loader *L, uint32_t *label)
{
    size_t len;
    const char *s = get(L, FT_F_LABEL, &len);
    *label = 0;
    if (!s)
        return FT_OK;
    switch (L->sc.label_kind) {
    case FT_LABEL_TEXT:
        if (len == 0)
            return FT_OK;
        break;
    case FT_LABEL_FLAG:
        if (flag_false(s, len))
            return FT_OK;
        break;
    case FT_LABEL_SAR: {
        if (flag_false(s, len))
            return FT_OK;
        size_t alen;
        const char *a = get(L, FT_F_ALERT_ID, &alen);
        if (a && alen && !(alen == 2 && memcmp(a, "-1", 2) == 0)) {
            s = a;
            len = alen;
        } else {
            s = "sar";
            len = 3;
        }
        break;
    }
    }
    uint32_t id;
    ft_status rc = ft_intern_put(&L->s->labels, s, len, &id, NULL, L->err);
    *label = id + 1;
    return rc;
}

/* Canonical decimal ids (no sign, no leading zero, at most 18 digits) are
 * kept as numbers; anything else goes to the string pool. */
static ft_status txid(struct loader *L, int64_t *out)
{
    size_t len;
    const char *s = get(L, FT_F_TXID, &len);
    *out = FT_TXID_DERIVED;
    if (!s || len == 0)
        return FT_OK;
    bool numeric = len <= 18 && (s[0] != '0' || len == 1);
    int64_t v = 0;
    for (size_t i = 0; numeric && i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            numeric = false;
        else
            v = v * 10 + (s[i] - '0');
    }
    if (numeric) {
        *out = v;
        return FT_OK;
    }
    uint64_t off;
    ft_status rc = ft_pool_add(&L->s->strings, s, len, &off, L->err);
    if (rc == FT_OK && off > (uint64_t)INT64_MAX)
        rc = ft_error_set(L->err, FT_ELIMIT, "string pool larger than 2^63 bytes");
    *out = -(int64_t)off;
    return rc;
}

/* Interns the source (k = 0) or destination (k = 1) account of the row. */
static ft_status account_id(struct loader *L, int k, uint32_t *id)
{
    static const ft_field fields[2][2] = {{FT_F_SRC_BANK, FT_F_SRC}, {FT_F_DST_BANK, FT_F_DST}};
    const char *key;
    size_t len;
    ft_status rc =
        key_of(L, L->row, fields[k][0], fields[k][1], &L->key, &L->keycap, &key, &len, L->err);
    if (rc != FT_OK)
        return rc;
    const struct prefetch *p = &L->pf[(uint32_t)(L->row - L->b->rows) % PF_RING];
    uint64_t hash = p->row == L->row ? p->hash[k] : ft_intern_hash(key, len);
    return ft_intern_put_hashed(&L->s->accounts, key, len, hash, id, NULL, L->err);
}

static void process_row(struct loader *L)
{
    const ft_schema *sc = &L->sc;
    ft_store *s = L->s;
    ft_load_report *r = &s->report;
    char buf[80];
    r->rows_read++;
    r->sources[L->src_idx].rows_read++;

    int nf = (int)L->row->nf;
    if (nf != sc->ncols) {
        int col = nf < sc->ncols ? nf : sc->ncols;
        REJECT(L, FT_REJ_FIELD_COUNT, col, "expected %d fields as in the header, found %d",
               sc->ncols, nf);
        return;
    }
    for (int f = 0; f < FT_F_COUNT; f++) {
        int c = sc->col[f];
        if (c >= 0 && memchr(fptr(L, c), '\0', flen(L, c))) {
            REJECT(L, FT_REJ_NUL, c, "%s holds a NUL byte", ft_field_name((ft_field)f));
            return;
        }
    }

    ft_row row = {0};
    size_t len;
    const char *ts = get(L, FT_F_TIMESTAMP, &len);
    int tcol = sc->col[FT_F_TIMESTAMP];
    if (sc->time_kind == FT_TIME_TEXT) {
        ft_time_error why;
        if (!ft_time_parse(ts, len, &row.ts_ms, &why)) {
            REJECT(L, why == FT_TIME_RANGE ? FT_REJ_DATE : FT_REJ_TIMESTAMP, tcol,
                   "timestamp '%s' %s", show(L, tcol, buf), ft_time_strerror(why));
            return;
        }
    } else {
        int64_t step = 0;
        bool ok = len > 0 && len <= 9;
        for (size_t i = 0; ok && i < len; i++) {
            ok = ts[i] >= '0' && ts[i] <= '9';
            step = step * 10 + (ts[i] - '0');
        }
        if (!ok) {
            REJECT(L, FT_REJ_TIMESTAMP, tcol, "step '%s' is not a whole number of hours",
                   show(L, tcol, buf));
            return;
        }
        row.ts_ms = L->o->epoch_ms + step * 3600000;
    }

    size_t slen, dlen;
    get(L, FT_F_SRC, &slen);
    get(L, FT_F_DST, &dlen);
    if (slen == 0 || dlen == 0) {
        ft_field f = slen == 0 ? FT_F_SRC : FT_F_DST;
        REJECT(L, FT_REJ_ACCOUNT, sc->col[f], "%s is empty",
               f == FT_F_SRC ? "source account" : "destination account");
        return;
    }

    struct cur_cache scratch, scratch_recv, *cur, *cur_recv = NULL;
    if (!amount(L, FT_F_AMOUNT, FT_F_CURRENCY, &row.amount, &cur, &scratch))
        return;
    if (sc->col[FT_F_AMOUNT_RECV] >= 0 &&
        !amount(L, FT_F_AMOUNT_RECV, FT_F_CURRENCY_RECV, &row.amount_recv, &cur_recv,
                &scratch_recv))
        return;

    /* The row is valid: from here on only memory and limits can fail. */
    ft_status rc;
    if ((rc = commit_amount(L, cur, &row.amount, &row.cur)) != FT_OK ||
        (cur_recv && (rc = commit_amount(L, cur_recv, &row.amount_recv, &row.cur_recv)) != FT_OK) ||
        (rc = account_id(L, 0, &row.src)) != FT_OK || (rc = account_id(L, 1, &row.dst)) != FT_OK ||
        (rc = intern_label(L, &row.label)) != FT_OK || (rc = txid(L, &row.txid)) != FT_OK)
        FAIL(L, rc);
    const char *ch = get(L, FT_F_CHANNEL, &len);
    if (ch && len) {
        uint32_t id;
        if ((rc = ft_intern_put(&s->channels, ch, len, &id, NULL, L->err)) != FT_OK)
            FAIL(L, rc);
        if (id >= FT_MAX_SMALL_ID - 1)
            FAIL(L, ft_error_set(L->err, FT_ELIMIT, "%s:%" PRId64 ": more than %d channels",
                                        L->path, L->row->line, FT_MAX_SMALL_ID - 1));
        row.channel = (uint16_t)(id + 1);
    }
    const char *memo = get(L, FT_F_MEMO, &len);
    if (memo && len && (rc = ft_pool_add(&s->strings, memo, len, &row.memo, L->err)) != FT_OK)
        FAIL(L, rc);
    if (L->row->line > UINT32_MAX)
        FAIL(L, ft_error_set(L->err, FT_ELIMIT, "%s: more than %u lines", L->path,
                                    UINT32_MAX));
    row.line = (uint32_t)L->row->line;
    row.file = (uint16_t)L->src_idx;
    if ((rc = ft_store_append(s, &row, L->err)) != FT_OK)
        FAIL(L, rc);
    r->rows_loaded++;
    r->sources[L->src_idx].rows_loaded++;
}

/* A row the tokeniser found malformed. */
static void bad_row(struct loader *L)
{
    const ft_csv_row *r = L->row;
    if (!L->header_done) {
        fail(L, ft_error_at(L->err, FT_EINPUT, L->path, r->line, r->col,
                            "the header has a malformed quote"));
        return;
    }
    L->s->report.rows_read++;
    L->s->report.sources[L->src_idx].rows_read++;
    const char *raw = L->b->raw + r->raw_off;
    if (r->kind == FT_CSV_UNTERMINATED)
        reject_at(L, FT_REJ_UNTERMINATED, r->line, r->col - 1, raw, r->raw_len,
                  "field %" PRId64 " opens a quote that is never closed", r->col);
    else if (r->end_line > r->line)
        reject_at(L, FT_REJ_QUOTES, r->line, r->col - 1, raw, r->raw_len,
                  "field %" PRId64 " opens a quote that does not close properly (the lines "
                  "after it are read again)",
                  r->col);
    else
        reject_at(L, FT_REJ_QUOTES, r->line, r->col - 1, raw, r->raw_len,
                  "field %" PRId64 " has a quote that CSV does not allow there (a quote inside an "
                  "unquoted field, or text after a closing quote)",
                  r->col);
}

static ft_status ingest(ft_store *s, const char *path, int fd, const void *mem, size_t mem_len,
                        const ft_load_options *o, ft_error *err)
{
    static const ft_load_options defaults = {0};
    if (!o)
        o = &defaults;
    int idx;
    ft_status rc = ft_store_add_source(s, path, &idx, err);
    if (rc != FT_OK)
        return rc;
    struct loader L = {.s = s, .o = o, .err = err, .path = path, .src_idx = idx};
    ft_csv_reader *reader = NULL;
    rc = ft_csv_open(&reader, path, fd, mem, mem_len, o->delimiter, err);
    const ft_csv_batch *b;
    while (rc == FT_OK && (b = ft_csv_next(reader)) != NULL) {
        L.b = b;
        memset(L.pf, 0, sizeof L.pf);
        for (uint32_t i = 0; i < b->nrows && L.rc == FT_OK; i++) {
            if (L.header_done) {
                if (i + PF_DIST < b->nrows)
                    prefetch_row(&L, i + PF_DIST, 0);
                if (i + 2 * PF_DIST / 3 < b->nrows)
                    prefetch_row(&L, i + 2 * PF_DIST / 3, 1);
                if (i + PF_DIST / 3 < b->nrows)
                    prefetch_row(&L, i + PF_DIST / 3, 2);
            }
            L.row = &b->rows[i];
            if (L.row->kind != FT_CSV_ROW)
                bad_row(&L);
            else if (L.header_done)
                process_row(&L);
            else
                process_header(&L);
        }
        rc = L.rc;
        if (o->on_progress)
            o->on_progress(o->progress_ctx, path, s->report.sources[idx].rows_read);
    }
    ft_source *src = &s->report.sources[idx];
    ft_error rerr;
    ft_status crc = ft_csv_close(reader, &src->bytes, src->sha256, &rerr);
    if (rc == FT_OK && crc != FT_OK) {
        rc = crc;
        if (err)
            *err = rerr;
    }
    if (rc == FT_OK && !L.header_done)
        rc = src->bytes == 0
                 ? ft_error_set(err, FT_EINPUT, "%s: is empty: a header line is needed", path)
                 : ft_error_set(err, FT_EINPUT, "%s: has no header line", path);
    if (rc != FT_OK)
        src->sha256[0] = '\0';
    free(L.key);
    free(L.pfkey);
    return rc;
}

ft_status ft_ingest_buffer(ft_store *s, const char *name, const void *data, size_t len,
                           const ft_load_options *o, ft_error *err)
{
    return ingest(s, name, -1, data, len, o, err);
}

ft_status ft_ingest_file(ft_store *s, const char *path, const ft_load_options *o, ft_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ft_error_errno(err, FT_EIO, "open", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!is_stdin)
            close(fd);
        return ft_error_set(err, FT_EIO, "cannot read '%s': is a directory", path);
    }
    if (!is_stdin)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    ft_status rc = ingest(s, path, fd, NULL, 0, o, err);
    if (rc == FT_OK && !is_stdin)
        s->report.sources[s->report.nsources - 1].mtime = (int64_t)st.st_mtime;
    if (!is_stdin)
        close(fd);
    return rc;
}

/* The options that change what is loaded, as text for the provenance
 * record: "delimiter=auto strict=no currency=USD epoch=... map=f=c;..". */
static ft_status describe_options(ft_store *s, const ft_load_options *o, ft_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return ft_error_oom(err);
    if (!o || !o->delimiter)
        fputs("delimiter=auto", f);
    else if (o->delimiter == '\t')
        fputs("delimiter=tab", f);
    else
        fprintf(f, "delimiter=%c", o->delimiter);
    fprintf(f, " strict=%s", o && o->strict ? "yes" : "no");
    if (o && o->default_currency)
        fprintf(f, " currency=%s", o->default_currency);
    char t[40];
    ft_time_format(o ? o->epoch_ms : 0, t, sizeof t);
    fprintf(f, " epoch=%s", t);
    for (int i = 0; o && o->currencies && i < o->currencies->n; i++)
        fprintf(f, "%s%s:%d", i ? "," : " currencies=", o->currencies->items[i].cur.code,
                o->currencies->items[i].cur.exponent);
    for (int i = 0; o && o->map && i < o->map->n; i++)
        fprintf(f, "%s%s=%s", i ? ";" : " map=", ft_field_name(o->map->items[i].field),
                o->map->items[i].column);
    if (fclose(f) != 0) {
        free(buf);
        return ft_error_oom(err);
    }
    free(s->report.options);
    s->report.options = buf;
    return FT_OK;
}

ft_status ft_ingest_files(ft_store *s, const char *const *paths, int npaths,
                          const ft_load_options *o, ft_error *err)
{
    ft_status rc = describe_options(s, o, err);
    if (rc != FT_OK)
        return rc;
    for (int i = 0; i < npaths; i++) {
        ft_status rc = ft_ingest_file(s, paths[i], o, err);
        if (rc != FT_OK)
            return rc;
    }
    return ft_store_finish(s, err);
}
