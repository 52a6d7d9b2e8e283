/*
 * ingest.c - CSV rows into the store, on two threads.
 *
 * csvread tokenises on a reader thread and, through its prepare hook, this
 * file's checker runs there too: for each row it recognises the layout
 * (header row), checks the field count and NUL bytes, parses the time and
 * the amounts exactly, resolves currencies and hashes the account keys.
 * None of that touches the store. The loader, on the caller's thread, then
 * commits each good row (interning accounts, labels and channels,
 * registering currencies, appending) or reports a bad one with its reason,
 * location and bytes. The two halves cost about the same, so a load keeps
 * both cores busy.
 *
 * A row is judged completely before anything is interned or appended, so a
 * rejected row leaves no trace in the store but the counts.
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
#define PF_DIST   12 /* rows ahead that account lookups are prefetched */

enum { CHK_SKIP, CHK_HEADER, CHK_GOOD, CHK_BAD };

/* The verdict on one row, worked out on the reader thread. */
struct checked {
    uint8_t kind;   /* CHK_* */
    uint8_t reason; /* ft_reject, when bad */
    uint8_t field;  /* ft_field at fault, when bad */
    uint8_t detail; /* the ft_money_error or ft_time_error behind `reason` */
    uint8_t rounded; /* amounts rounded to their currency's decimals (0 to 2) */
    int64_t ts_ms, amount, amount_recv; /* amounts with cur's exponent */
    ft_currency cur, cur_recv;          /* exponent: the layout's decimals */
    uint64_t hash[2];                   /* of the source and destination keys */
};

/* The reader thread's half. It writes the schema while checking the header
 * row, before the batch holding that row is handed over; the loader reads
 * it only after receiving that batch. */
struct checker {
    const ft_load_options *o;
    const char *path;
    bool header_seen;
    ft_status header_rc;
    ft_error header_err;
    ft_schema sc;
    ft_currency default_cur;
    struct cur_entry {
        char text[32];
        size_t len;
        ft_currency cur;
    } cache[CUR_CACHE]; /* currency texts seen in this file */
    int ncache;
    char *key; /* scratch for "bank:account" */
    size_t keycap;
};

/* The caller's thread's half. */
struct loader {
    ft_store *s;
    const ft_load_options *o;
    const struct checker *C;
    ft_error *err;
    ft_status rc; /* first fatal error */
    const char *path;
    int src_idx;
    const ft_csv_batch *b; /* the row being committed */
    const ft_csv_row *row;
    const struct checked *chk;
    bool header_done;
    char *key;
    size_t keycap;
    struct { /* currency code to store id, for this file */
        ft_currency cur;
        uint16_t id;
    } ids[CUR_CACHE];
    int nids;
};

/* Field f of `row` under schema sc, trimmed; NULL/0 when the layout lacks
 * it. */
static const char *get_in(const ft_schema *sc, const ft_csv_batch *b, const ft_csv_row *row,
                          ft_field f, size_t *len)
{
    int c = sc->col[f];
    if (c < 0) {
        *len = 0;
        return NULL;
    }
    const char *s = ft_csv_field(b, row, c, len);
    ft_span_trim(&s, len);
    return s;
}

/* The account key of a row: "bank:account", or the account when there is
 * no bank; built in *buf when it needs building. */
static ft_status key_of(const ft_schema *sc, const ft_csv_batch *b, const ft_csv_row *row, int k,
                        char **buf, size_t *cap, const char **key, size_t *len, ft_error *err)
{
    static const ft_field fields[2][2] = {{FT_F_SRC_BANK, FT_F_SRC}, {FT_F_DST_BANK, FT_F_DST}};
    size_t blen, alen;
    const char *bank = get_in(sc, b, row, fields[k][0], &blen);
    const char *a = get_in(sc, b, row, fields[k][1], &alen);
    if (!bank || blen == 0) {
        *key = a;
        *len = alen;
        return FT_OK;
    }
    ft_status rc = ft_bytes_reserve(buf, cap, blen + alen + 1, err);
    if (rc != FT_OK)
        return rc;
    memcpy(*buf, bank, blen);
    (*buf)[blen] = ':';
    memcpy(*buf + blen + 1, a, alen);
    *key = *buf;
    *len = blen + 1 + alen;
    return FT_OK;
}

/* --- the checker, on the reader thread ------------------------------------------ */

static ft_status resolve_default_currency(struct checker *C, ft_error *err)
{
    const char *code = C->o->default_currency;
    if (!code && (C->sc.layout == FT_LAYOUT_AMLSIM || C->sc.layout == FT_LAYOUT_PAYSIM))
        code = "USD";
    if (!code)
        return ft_error_set(err, FT_EUSAGE,
                            "%s: there is no currency column: name one with --map "
                            "currency=COLUMN, or give every row one with --currency CODE",
                            C->path);
    if (!ft_currency_resolve(C->o->currencies, code, strlen(code), &C->default_cur))
        return ft_error_set(err, FT_EUSAGE,
                            "--currency '%s' is not a known currency (add it with --currencies "
                            "FILE)",
                            code);
    if (C->default_cur.exponent < C->sc.min_exponent)
        C->default_cur.exponent = C->sc.min_exponent;
    return FT_OK;
}

static void check_header(struct checker *C, const ft_csv_batch *b, const ft_csv_row *row)
{
    int nf = (int)row->nf;
    const char **names = malloc((size_t)(nf ? nf : 1) * sizeof *names);
    ft_status rc;
    if (!names) {
        C->header_rc = ft_error_oom(&C->header_err);
        return;
    }
    for (int i = 0; i < nf; i++) {
        size_t len;
        names[i] = ft_csv_field(b, row, i, &len);
    }
    rc = ft_schema_detect(&C->sc, names, b->flen + row->field0, nf, C->o->map, C->path,
                          &C->header_err);
    free(names);
    if (rc == FT_OK && C->sc.col[FT_F_CURRENCY] < 0)
        rc = resolve_default_currency(C, &C->header_err);
    if (rc == FT_OK && C->sc.col[FT_F_AMOUNT_RECV] >= 0 && C->sc.col[FT_F_CURRENCY_RECV] < 0)
        rc = ft_error_set(&C->header_err, FT_EUSAGE,
                          "%s: amount_received needs currency_received too", C->path);
    C->header_rc = rc;
}

/* Resolves a currency text, through the file's cache; false when unknown.
 * The exponent is raised to the layout's minimum (IBM: 2). */
static bool currency(struct checker *C, const char *s, size_t len, ft_currency *out)
{
    for (int i = 0; i < C->ncache; i++) {
        if (C->cache[i].len == len && memcmp(C->cache[i].text, s, len) == 0) {
            *out = C->cache[i].cur;
            return true;
        }
    }
    if (!ft_currency_resolve(C->o->currencies, s, len, out))
        return false;
    if (out->exponent < C->sc.min_exponent)
        out->exponent = C->sc.min_exponent;
    if (C->ncache < CUR_CACHE && len < sizeof C->cache[0].text) {
        struct cur_entry *e = &C->cache[C->ncache++];
        memcpy(e->text, s, len);
        e->len = len;
        e->cur = *out;
    }
    return true;
}

static bool bad(struct checked *k, ft_reject reason, ft_field field, int detail)
{
    k->kind = CHK_BAD;
    k->reason = (uint8_t)reason;
    k->field = (uint8_t)field;
    k->detail = (uint8_t)detail;
    return false;
}

/* Parses one amount leg with its currency. */
static bool check_amount(struct checker *C, const ft_csv_batch *b, const ft_csv_row *row,
                         ft_field fa, ft_field fc, int64_t *minor, ft_currency *cur,
                         struct checked *k)
{
    static const ft_reject reason[] = {
        [FT_MONEY_EMPTY] = FT_REJ_AMOUNT,        [FT_MONEY_SYNTAX] = FT_REJ_AMOUNT,
        [FT_MONEY_THOUSANDS] = FT_REJ_THOUSANDS, [FT_MONEY_DECIMALS] = FT_REJ_DECIMALS,
        [FT_MONEY_NEGATIVE] = FT_REJ_NEGATIVE,   [FT_MONEY_OVERFLOW] = FT_REJ_OVERFLOW,
    };
    size_t len, clen;
    if (C->sc.col[fc] >= 0) {
        const char *c = get_in(&C->sc, b, row, fc, &clen);
        if (!currency(C, c, clen, cur))
            return bad(k, FT_REJ_CURRENCY, fc, 0);
    } else {
        *cur = C->default_cur;
    }
    const char *a = get_in(&C->sc, b, row, fa, &len);
    ft_money_error why;
    bool rounded = false;
    bool ok = C->sc.float_amounts
                  ? ft_money_parse_float_text(a, len, cur->exponent, minor, &rounded, &why)
                  : ft_money_parse(a, len, cur->exponent, minor, &why);
    if (!ok)
        return bad(k, reason[why], fa, why);
    k->rounded += rounded;
    return true;
}

static void check_row(struct checker *C, const ft_csv_batch *b, const ft_csv_row *row,
                      struct checked *k)
{
    const ft_schema *sc = &C->sc;
    k->kind = CHK_GOOD;
    k->rounded = 0;
    if ((int)row->nf != sc->ncols) {
        bad(k, FT_REJ_FIELD_COUNT, FT_F_COUNT, 0);
        return;
    }
    size_t len;
    /* One scan of the row's bytes; only a row holding a NUL has its used
     * fields looked at one by one. */
    if (memchr(b->raw + row->raw_off, '\0', (size_t)row->raw_len)) {
        for (int f = 0; f < FT_F_COUNT; f++) {
            int c = sc->col[f];
            if (c < 0)
                continue;
            const char *field = ft_csv_field(b, row, c, &len);
            if (memchr(field, '\0', len)) {
                bad(k, FT_REJ_NUL, (ft_field)f, 0);
                return;
            }
        }
    }
    const char *ts = get_in(sc, b, row, FT_F_TIMESTAMP, &len);
    if (sc->time_kind == FT_TIME_TEXT) {
        ft_time_error why;
        if (!ft_time_parse(ts, len, &k->ts_ms, &why)) {
            bad(k, why == FT_TIME_RANGE ? FT_REJ_DATE : FT_REJ_TIMESTAMP, FT_F_TIMESTAMP, why);
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
            bad(k, FT_REJ_TIMESTAMP, FT_F_TIMESTAMP, FT_TIME_SYNTAX);
            return;
        }
        k->ts_ms = C->o->epoch_ms + step * 3600000;
    }
    for (int side = 0; side < 2; side++) {
        ft_field f = side ? FT_F_DST : FT_F_SRC;
        get_in(sc, b, row, f, &len);
        if (len == 0) {
            bad(k, FT_REJ_ACCOUNT, f, 0);
            return;
        }
    }
    if (!check_amount(C, b, row, FT_F_AMOUNT, FT_F_CURRENCY, &k->amount, &k->cur, k))
        return;
    if (sc->col[FT_F_AMOUNT_RECV] >= 0 &&
        !check_amount(C, b, row, FT_F_AMOUNT_RECV, FT_F_CURRENCY_RECV, &k->amount_recv,
                      &k->cur_recv, k))
        return;
    for (int side = 0; side < 2; side++) {
        const char *key;
        if (key_of(sc, b, row, side, &C->key, &C->keycap, &key, &len, NULL) != FT_OK) {
            k->hash[side] = 0; /* the loader hashes again */
            continue;
        }
        k->hash[side] = ft_intern_hash(key, len);
    }
}

/* The prepare hook: judges every row of a batch. */
static void check_batch(void *ctx, ft_csv_batch *b)
{
    struct checker *C = ctx;
    size_t need = (size_t)b->nrows * sizeof(struct checked);
    if (need > b->user_cap) {
        void *p = realloc(b->user, need);
        if (!p) {
            /* The loader checks the rows itself when there is no verdict. */
            free(b->user);
            b->user = NULL;
            b->user_cap = 0;
            return;
        }
        b->user = p;
        b->user_cap = need;
    }
    struct checked *k = b->user;
    for (uint32_t i = 0; i < b->nrows; i++) {
        const ft_csv_row *row = &b->rows[i];
        k[i].kind = CHK_SKIP;
        if (row->kind != FT_CSV_ROW)
            continue;
        if (!C->header_seen) {
            C->header_seen = true;
            check_header(C, b, row);
            k[i].kind = CHK_HEADER;
        } else if (C->header_rc == FT_OK) {
            check_row(C, b, row, &k[i]);
        }
    }
}

/* --- the loader, on the caller's thread ------------------------------------------- */

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
    size_t len;
    const char *f = ft_csv_field(L->b, L->row, col, &len);
    size_t n = len > 60 ? 60 : len;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)f[i] < 0x20 || f[i] == 0x7f ? '?' : f[i];
    if (len > n)
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
    return out;
}

static const char *get(const struct loader *L, ft_field f, size_t *len)
{
    return get_in(&L->C->sc, L->b, L->row, f, len);
}

static void process_header(struct loader *L)
{
    const struct checker *C = L->C;
    ft_status rc;
    if (C->header_rc != FT_OK) {
        if (L->err)
            *L->err = C->header_err;
        FAIL(L, C->header_rc);
    }
    ft_store *s = L->s;
    static const struct {
        ft_field f;
        ft_col c;
    } optional[] = {
        {FT_F_CHANNEL, FT_COL_CHANNEL},         {FT_F_LABEL, FT_COL_LABEL},
        {FT_F_MEMO, FT_COL_MEMO},               {FT_F_TXID, FT_COL_TXID},
        {FT_F_AMOUNT_RECV, FT_COL_AMOUNT_RECV}, {FT_F_CURRENCY_RECV, FT_COL_CUR_RECV},
    };
    for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++) {
        if (C->sc.col[optional[k].f] >= 0 && (rc = ft_store_enable(s, optional[k].c, L->err)))
            FAIL(L, rc);
    }
    if (L->src_idx > 0 && (rc = ft_store_enable(s, FT_COL_FILE, L->err)) != FT_OK)
        FAIL(L, rc);
    ft_source *src = &s->report.sources[L->src_idx];
    free(src->layout);
    src->layout = strdup(ft_layout_name(C->sc.layout));
    if (!src->layout)
        FAIL(L, ft_error_oom(L->err));
    L->header_done = true;
}

/* Reports a row the checker found bad, in words. */
static void reject_checked(struct loader *L)
{
    const ft_schema *sc = &L->C->sc;
    const struct checked *k = L->chk;
    ft_reject reason = (ft_reject)k->reason;
    ft_field f = (ft_field)k->field;
    int nf = (int)L->row->nf;
    int col = f < FT_F_COUNT ? sc->col[f] : (nf < sc->ncols ? nf : sc->ncols);
    int64_t line = ft_csv_field_line(L->b, L->row, col);
    const char *raw = L->b->raw + L->row->raw_off;
    size_t raw_len = (size_t)L->row->raw_len;
    char buf[80];
    switch (reason) {
    case FT_REJ_FIELD_COUNT:
        reject_at(L, reason, line, col, raw, raw_len,
                  "expected %d fields as in the header, found %d", sc->ncols, nf);
        break;
    case FT_REJ_NUL:
        reject_at(L, reason, line, col, raw, raw_len, "%s holds a NUL byte", ft_field_name(f));
        break;
    case FT_REJ_TIMESTAMP:
    case FT_REJ_DATE:
        if (sc->time_kind == FT_TIME_STEP_HOURS)
            reject_at(L, reason, line, col, raw, raw_len,
                      "step '%s' is not a whole number of hours", show(L, col, buf));
        else
            reject_at(L, reason, line, col, raw, raw_len, "timestamp '%s' %s", show(L, col, buf),
                      ft_time_strerror((ft_time_error)k->detail));
        break;
    case FT_REJ_ACCOUNT:
        reject_at(L, reason, line, col, raw, raw_len, "%s is empty",
                  f == FT_F_SRC ? "source account" : "destination account");
        break;
    case FT_REJ_CURRENCY:
        reject_at(L, reason, line, col, raw, raw_len,
                  "currency '%s' is not known (define it with --currencies FILE)",
                  show(L, col, buf));
        break;
    case FT_REJ_DECIMALS: {
        const ft_currency *c = f == FT_F_AMOUNT_RECV ? &k->cur_recv : &k->cur;
        reject_at(L, reason, line, col, raw, raw_len, "%s '%s' has more decimals than %s allows (%d)",
                  ft_field_name(f), show(L, col, buf), c->code, c->exponent);
        break;
    }
    default:
        reject_at(L, reason, line, col, raw, raw_len, "%s '%s' %s", ft_field_name(f),
                  show(L, col, buf), ft_money_strerror((ft_money_error)k->detail));
    }
}

/* The store's id for a currency, registered on first use; scales the
 * amount from the layout's decimals to the store's. */
static ft_status commit_amount(struct loader *L, const ft_currency *c, int64_t *minor,
                               uint16_t *id)
{
    int i = 0;
    while (i < L->nids && strcmp(L->ids[i].cur.code, c->code) != 0)
        i++;
    if (i < L->nids) {
        *id = L->ids[i].id;
    } else {
        ft_status rc = ft_store_currency(L->s, c, id, L->err);
        if (rc != FT_OK)
            return rc;
        if (L->nids < CUR_CACHE) {
            L->ids[L->nids].cur = *c;
            L->ids[L->nids++].id = *id;
        }
    }
    int have = L->s->currencies[*id].exponent;
    if (have > c->exponent && !ft_money_scale(minor, have - c->exponent))
        return ft_error_set(L->err, FT_ELIMIT, "%s:%" PRId64 ": amount too large in %s",
                            L->path, L->row->line, c->code);
    return FT_OK;
}

static bool flag_false(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '0') ||
           (len == 5 && strncasecmp(s, "false", 5) == 0) ||
           (len == 2 && strncasecmp(s, "no", 2) == 0);
}

static ft_status intern_label(struct loader *L, uint32_t *label)
{
    size_t len;
    const char *s = get(L, FT_F_LABEL, &len);
    *label = 0;
    if (!s)
        return FT_OK;
    switch (L->C->sc.label_kind) {
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

/* Interns the source (side 0) or destination (side 1) account. */
static ft_status account_id(struct loader *L, int side, uint32_t *id)
{
    const char *key;
    size_t len;
    ft_status rc =
        key_of(&L->C->sc, L->b, L->row, side, &L->key, &L->keycap, &key, &len, L->err);
    if (rc != FT_OK)
        return rc;
    uint64_t hash = L->chk->hash[side] ? L->chk->hash[side] : ft_intern_hash(key, len);
    return ft_intern_put_hashed(&L->s->accounts, key, len, hash, id, NULL, L->err);
}

static void commit_row(struct loader *L)
{
    ft_store *s = L->s;
    ft_load_report *r = &s->report;
    const struct checked *k = L->chk;
    r->rows_read++;
    r->sources[L->src_idx].rows_read++;
    if (k->kind == CHK_BAD) {
        reject_checked(L);
        return;
    }
    r->amounts_rounded += k->rounded;
    ft_row row = {.ts_ms = k->ts_ms, .amount = k->amount, .amount_recv = k->amount_recv};
    ft_status rc;
    if ((rc = commit_amount(L, &k->cur, &row.amount, &row.cur)) != FT_OK ||
        (L->C->sc.col[FT_F_AMOUNT_RECV] >= 0 &&
         (rc = commit_amount(L, &k->cur_recv, &row.amount_recv, &row.cur_recv)) != FT_OK) ||
        (rc = account_id(L, 0, &row.src)) != FT_OK || (rc = account_id(L, 1, &row.dst)) != FT_OK ||
        (rc = intern_label(L, &row.label)) != FT_OK || (rc = txid(L, &row.txid)) != FT_OK)
        FAIL(L, rc);
    size_t len;
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
        FAIL(L, ft_error_set(L->err, FT_ELIMIT, "%s: more than %u lines", L->path, UINT32_MAX));
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

/* Prefetching account lookups: the hash table is far larger than the
 * caches once there are a million accounts, and a lookup waits on three
 * memory loads one after the other (slot, key offset, key bytes). Row
 * i + PF_DIST has its slots fetched, row i + 2 * PF_DIST / 3 its key
 * offsets, row i + PF_DIST / 3 its key bytes, so row i finds them in cache. */
static void prefetch(const struct loader *L, const struct checked *k, uint32_t i, uint32_t n)
{
    static const uint32_t ahead[3] = {PF_DIST, 2 * PF_DIST / 3, PF_DIST / 3};
    for (int stage = 0; stage < 3; stage++) {
        uint32_t j = i + ahead[stage];
        if (j < n && k[j].kind == CHK_GOOD) {
            ft_intern_prefetch(&L->s->accounts, k[j].hash[0], stage);
            ft_intern_prefetch(&L->s->accounts, k[j].hash[1], stage);
        }
    }
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
    struct checker C = {.o = o, .path = path};
    struct loader L = {.s = s, .o = o, .C = &C, .err = err, .path = path, .src_idx = idx};
    ft_csv_reader *reader = NULL;
    rc = ft_csv_open(&reader, path, fd, mem, mem_len, o->delimiter, check_batch, &C, err);
    const ft_csv_batch *b;
    while (rc == FT_OK && (b = ft_csv_next(reader)) != NULL) {
        const struct checked *k = b->user;
        if (!k || b->user_cap < (size_t)b->nrows * sizeof *k) {
            rc = ft_error_oom(err);
            break;
        }
        L.b = b;
        for (uint32_t i = 0; i < b->nrows && L.rc == FT_OK; i++) {
            prefetch(&L, k, i, b->nrows);
            L.row = &b->rows[i];
            L.chk = &k[i];
            if (L.row->kind != FT_CSV_ROW)
                bad_row(&L);
            else if (k[i].kind == CHK_HEADER)
                process_header(&L);
            else if (k[i].kind != CHK_SKIP)
                commit_row(&L);
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
    free(C.key);
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
