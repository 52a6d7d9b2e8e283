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
 * rejected row leaves no trace in the store but the counts. The checker
 * stops at a row's first fault; the loader looks at a bad row again, on
 * its own thread and without the checker's caches, to report every fault.
 *
 * Conventions are settled per file before its first data row is judged:
 * the decimal mark (the option, else what the amounts of the first batch
 * show, else the layout's hint, else '.'), the date forms, the zone. The
 * generic path costs what it did: an amount the strict parser reads is
 * taken as it is, and only one it refuses is read again as bank exports
 * write amounts.
 *
 * One account's statements (CSV, MT940, camt) become transfers through
 * one sink (ingest_int.h): the sign or side says the direction, the
 * counterparty is keyed by its IBAN, else its name.
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
#include "fundtrace/hash.h"
#include "fundtrace/time.h"
#include "fundtrace/tz.h"
#include "ingest_int.h"

#define CUR_CACHE 32
#define PF_DIST   16 /* rows ahead that account lookups are prefetched */

enum { CHK_SKIP, CHK_HEADER, CHK_GOOD, CHK_BAD };

/* The verdict on one row, worked out on the reader thread. */
struct checked {
    uint8_t kind;   /* CHK_* */
    uint8_t reason; /* ft_reject, when bad */
    uint8_t field;  /* ft_field at fault, when bad */
    uint8_t detail; /* the ft_money_error or ft_time_error behind `reason` */
    uint8_t rounded; /* amounts rounded to their currency's decimals (0 to 2) */
    uint8_t side;    /* statements: FT_SIDE_DEBIT or FT_SIDE_CREDIT */
    int64_t ts_ms, amount, amount_recv; /* amounts with cur's exponent */
    int64_t value_ms;                   /* statements; FT_TIME_NONE: none */
    ft_currency cur, cur_recv;          /* exponent: the layout's decimals */
    uint64_t hash[2];                   /* of the source and destination keys */
    /* Good rows of a generic layout: what the loader needs, so that it
     * reads one record and the batch's key bytes rather than the fields
     * (which the reader thread wrote, on another core). */
    uint32_t koff[2], klen[2]; /* the keys in the batch's key bytes; NO_KEY: none */
    uint32_t choff, chlen;     /* the channel there too (chlen 0: none) */
    uint32_t memooff, memolen; /* and the memo (memolen 0: none) */
    int64_t txid;              /* the id, when `numeric` */
    uint8_t numeric;           /* the txid column holds a canonical number, or nothing (DERIVED) */
    uint8_t label;             /* the label may name one (else none) */
};

#define NO_KEY UINT32_MAX

/* The key bytes of a batch follow its verdicts in b->user. */
static inline char *batch_keys(const ft_csv_batch *b)
{
    return (char *)b->user + (size_t)b->nrows * sizeof(struct checked);
}

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
    bool have_default_cur;
    char mark;         /* the file's decimal mark, settled before its first row */
    uint8_t mark_from; /* FT_FROM_* */
    int64_t mark_line; /* the row that showed it, when detected */
    char mark_text[40];
    struct cur_entry {
        char text[32];
        size_t len;
        ft_currency cur;
    } cache[CUR_CACHE]; /* currency texts seen in this file */
    int ncache;
    char *key; /* scratch for "bank:account" */
    size_t keycap;
    char *keys; /* the batch being checked: its key bytes, keys_used of them */
    size_t keys_used;
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
    const char *keys;         /* the batch's key bytes */
    ft_intern_cache accounts; /* in front of the store's accounts */
    struct chan_entry {
        char text[16];
        uint32_t len;
        uint16_t id;
    } chans[8]; /* channels seen, with their ids */
    int nchans;
    ft_stmt_sink k; /* statements, rejects, currencies */
};

/* Field f of `row` under schema sc, trimmed; NULL/0 when the layout lacks
 * it. */
static inline __attribute__((always_inline)) const char *
get_in(const ft_schema *sc, const ft_csv_batch *b, const ft_csv_row *row, ft_field f, size_t *len)
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
    if (!code && C->sc.statement)
        return FT_OK; /* amounts may say it ("€ 12,50"); rows that do not are rejected */
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
    C->have_default_cur = true;
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
    rc = ft_schema_detect_ex(&C->sc, names, b->flen + row->field0, nf, C->o->map,
                             C->o->statement_of != NULL, C->path, &C->header_err);
    free(names);
    if (rc == FT_OK && C->sc.col[FT_F_CURRENCY] < 0)
        rc = resolve_default_currency(C, &C->header_err);
    if (rc == FT_OK && C->sc.col[FT_F_AMOUNT_RECV] >= 0 && C->sc.col[FT_F_CURRENCY_RECV] < 0)
        rc = ft_error_set(&C->header_err, FT_EUSAGE,
                          "%s: amount_received needs currency_received too", C->path);
    if (rc == FT_OK && C->sc.statement && C->sc.col[FT_F_ACCOUNT] < 0 && !C->o->statement_of)
        rc = ft_error_set(&C->header_err, FT_EUSAGE,
                          "%s: this is one account's statement (layout '%s'): say whose with "
                          "--statement-of ACCOUNT",
                          C->path, ft_layout_name(C->sc.layout));
    C->header_rc = rc;
}

/* Settles the file's decimal mark from the amounts of the first batch. */
static void settle_mark(struct checker *C, const ft_csv_batch *b, uint32_t first)
{
    if (C->o->decimal_mark) {
        C->mark = C->o->decimal_mark;
        C->mark_from = FT_FROM_OPTION;
        return;
    }
    static const ft_field fields[] = {FT_F_AMOUNT, FT_F_DEBIT, FT_F_CREDIT, FT_F_AMOUNT_RECV};
    int votes[2] = {0, 0}; /* '.', ',' */
    int64_t line[2] = {0, 0};
    char text[2][40];
    for (uint32_t i = first; i < b->nrows && i < first + 4096; i++) {
        const ft_csv_row *row = &b->rows[i];
        if (row->kind != FT_CSV_ROW || (int)row->nf != C->sc.ncols)
            continue;
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            int c = C->sc.col[fields[f]];
            if (c < 0)
                continue;
            size_t len;
            const char *a = ft_csv_field(b, row, c, &len);
            char m = ft_amount_guess_mark(a, len);
            if (!m)
                continue;
            int k = m == ',';
            if (votes[k]++ == 0) {
                line[k] = row->line;
                snprintf(text[k], sizeof text[k], "%.*s", (int)(len < 30 ? len : 30), a);
            }
        }
    }
    if (votes[0] == 0 && votes[1] == 0) {
        C->mark = C->sc.decimal_hint ? C->sc.decimal_hint : '.';
        C->mark_from = C->sc.decimal_hint ? FT_FROM_LAYOUT : FT_FROM_DEFAULT;
        return;
    }
    int k = votes[1] > votes[0];
    C->mark = k ? ',' : '.';
    C->mark_from = FT_FROM_DETECTED;
    C->mark_line = line[k];
    memcpy(C->mark_text, text[k], sizeof C->mark_text);
}

/* memcmp(a, b, len) == 0 for the few bytes of a currency, inline. */
static inline bool same_text(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Resolves a currency text, through the file's cache when use_cache (the
 * reader thread only); false when unknown. The exponent is raised to the
 * layout's minimum (IBM: 2). */
static bool currency(struct checker *C, const char *s, size_t len, ft_currency *out, bool use_cache,
                     bool symbol)
{
    for (int i = 0; use_cache && i < C->ncache; i++) {
        if (C->cache[i].len == len && same_text(C->cache[i].text, s, len)) {
            *out = C->cache[i].cur;
            return true;
        }
    }
    if (!(symbol ? ft_currency_symbol(C->o->currencies, s, len, out)
                 : ft_currency_resolve(C->o->currencies, s, len, out)))
        return false;
    if (out->exponent < C->sc.min_exponent)
        out->exponent = C->sc.min_exponent;
    if (use_cache && C->ncache < CUR_CACHE && len < sizeof C->cache[0].text) {
        struct cur_entry *e = &C->cache[C->ncache++];
        memcpy(e->text, s, len);
        e->len = len;
        e->cur = *out;
    }
    return true;
}

/* Every fault of a row, when the loader asks for them all. */
#define MAX_FAULTS 16
struct faults {
    int n;
    struct {
        uint8_t reason, field, detail;
    } f[MAX_FAULTS];
};

/* Records a fault: the first goes into k; with `all`, every one is kept
 * (one per field). */
static bool bad(struct checked *k, struct faults *all, ft_reject reason, ft_field field, int detail)
{
    if (k->kind != CHK_BAD) {
        k->kind = CHK_BAD;
        k->reason = (uint8_t)reason;
        k->field = (uint8_t)field;
        k->detail = (uint8_t)detail;
    }
    if (all && all->n < MAX_FAULTS) {
        for (int i = 0; i < all->n; i++)
            if (all->f[i].field == field)
                return false;
        all->f[all->n].reason = (uint8_t)reason;
        all->f[all->n].field = (uint8_t)field;
        all->f[all->n].detail = (uint8_t)detail;
        all->n++;
    }
    return false;
}

/* Details of FT_REJ_CURRENCY faults beyond "unknown". */
enum { CUR_UNKNOWN = 0, CUR_SYMBOL, CUR_MISMATCH, CUR_NONE };

static const ft_reject money_reason[] = {
    [FT_MONEY_OK] = FT_REJ_AMOUNT,         [FT_MONEY_EMPTY] = FT_REJ_AMOUNT,
    [FT_MONEY_SYNTAX] = FT_REJ_AMOUNT,     [FT_MONEY_THOUSANDS] = FT_REJ_THOUSANDS,
    [FT_MONEY_DECIMALS] = FT_REJ_DECIMALS, [FT_MONEY_NEGATIVE] = FT_REJ_NEGATIVE,
    [FT_MONEY_OVERFLOW] = FT_REJ_OVERFLOW, [FT_MONEY_CURRENCY] = FT_REJ_CURRENCY,
};

/* Parses amount text into signed minor units and its currency: the
 * currency column's (`col_cur`, may be NULL), a symbol or code beside the
 * number (which must agree with the column), or the default. */
static bool amount_value(struct checker *C, bool use_cache, const char *a, size_t len,
                         const ft_currency *col_cur, ft_field fa, ft_field fc, int64_t *minor,
                         ft_currency *cur, struct checked *k, struct faults *all)
{
    ft_money_error why;
    if (C->mark == '.' && col_cur && ft_money_parse(a, len, col_cur->exponent, minor, &why)) {
        *cur = *col_cur;
        return true;
    }
    ft_amount_text t;
    why = ft_amount_read(a, len, C->mark, &t);
    if (why != FT_MONEY_OK)
        return bad(k, all, money_reason[why], fa, why);
    if (t.cur) {
        ft_currency c2;
        if (!currency(C, t.cur, t.cur_len, &c2, use_cache, true))
            return bad(k, all, FT_REJ_CURRENCY, fa, CUR_SYMBOL);
        if (col_cur && strcmp(col_cur->code, c2.code) != 0)
            return bad(k, all, FT_REJ_CURRENCY, fc, CUR_MISMATCH);
        *cur = col_cur ? *col_cur : c2;
    } else if (col_cur) {
        *cur = *col_cur;
    } else if (C->have_default_cur) {
        *cur = C->default_cur;
    } else {
        return bad(k, all, FT_REJ_CURRENCY, fa, CUR_NONE);
    }
    why = ft_amount_minor(&t, cur->exponent, minor);
    if (why != FT_MONEY_OK)
        return bad(k, all, money_reason[why], fa, why);
    return true;
}

/* Parses one amount leg of a two-sided row with its currency. */
static bool check_amount(struct checker *C, const ft_csv_batch *b, const ft_csv_row *row,
                         ft_field fa, ft_field fc, int64_t *minor, ft_currency *cur,
                         struct checked *k, struct faults *all)
{
    size_t len, clen;
    ft_currency col_cur;
    bool have_col = C->sc.col[fc] >= 0;
    bool col_ok = true;
    if (have_col) {
        const char *c = get_in(&C->sc, b, row, fc, &clen);
        if (!currency(C, c, clen, &col_cur, !all, false))
            col_ok = bad(k, all, FT_REJ_CURRENCY, fc, CUR_UNKNOWN);
    }
    const char *a = get_in(&C->sc, b, row, fa, &len);
    if (C->sc.float_amounts) {
        if (!col_ok)
            return false;
        *cur = have_col ? col_cur : C->default_cur;
        ft_money_error why;
        bool rounded = false;
        if (!ft_money_parse_float_text(a, len, cur->exponent, minor, &rounded, &why))
            return bad(k, all, money_reason[why], fa, why);
        k->rounded += rounded;
        return true;
    }
    if (!col_ok) {
        /* Still look at the number, for the other faults. */
        ft_amount_text t;
        ft_money_error why = ft_amount_read(a, len, C->mark, &t);
        if (why != FT_MONEY_OK)
            bad(k, all, money_reason[why], fa, why);
        return false;
    }
    if (!amount_value(C, !all, a, len, have_col ? &col_cur : NULL, fa, fc, minor, cur, k, all))
        return false;
    if (*minor < 0)
        return bad(k, all, FT_REJ_NEGATIVE, fa, FT_MONEY_NEGATIVE);
    return true;
}

/* A timestamp in the file's forms and zone. */
static bool parse_time(const struct checker *C, const char *s, size_t len, int64_t *ms,
                       ft_time_error *why)
{
    bool zoned = false, ok;
    if (C->o->date_format) {
        ok = ft_time_parse_format(s, len, C->o->date_format, ms, &zoned, why);
    } else {
        ok = ft_time_parse_zoned(s, len, ms, &zoned, why);
        ft_time_error w2;
        if (!ok && *why == FT_TIME_SYNTAX && C->sc.date_hint &&
            ft_time_parse_format(s, len, C->sc.date_hint, ms, &zoned, &w2))
            ok = true;
    }
    if (ok && !zoned && C->o->tz && !ft_tz_to_utc(C->o->tz, *ms, ms)) {
        *why = FT_TIME_SKIPPED;
        ok = false;
    }
    return ok;
}

static bool check_time(struct checker *C, const ft_csv_batch *b, const ft_csv_row *row, ft_field f,
                       int64_t *ms, struct checked *k, struct faults *all)
{
    size_t len;
    const char *ts = get_in(&C->sc, b, row, f, &len);
    if (C->sc.time_kind == FT_TIME_STEP_HOURS) {
        int64_t step = 0;
        bool ok = len > 0 && len <= 9;
        for (size_t i = 0; ok && i < len; i++) {
            ok = ts[i] >= '0' && ts[i] <= '9';
            step = step * 10 + (ts[i] - '0');
        }
        if (!ok)
            return bad(k, all, FT_REJ_TIMESTAMP, f, FT_TIME_SYNTAX);
        *ms = C->o->epoch_ms + step * 3600000;
        return true;
    }
    ft_time_error why;
    if (!parse_time(C, ts, len, ms, &why))
        return bad(k, all,
                   why == FT_TIME_RANGE || why == FT_TIME_SKIPPED ? FT_REJ_DATE : FT_REJ_TIMESTAMP,
                   f, why);
    return true;
}

/* D/C marks beside an unsigned amount: 1 debit, 2 credit, 0 unknown. */
static int dc_mark(const char *s, size_t len)
{
    static const char *const debit[] = {"d", "dr", "s", "debit", "soll", "-", "db", "deb"};
    static const char *const credit[] = {"c", "cr", "h", "credit", "haben", "+", "crd"};
    for (size_t i = 0; i < sizeof debit / sizeof debit[0]; i++)
        if (strlen(debit[i]) == len && strncasecmp(s, debit[i], len) == 0)
            return FT_SIDE_DEBIT;
    for (size_t i = 0; i < sizeof credit / sizeof credit[0]; i++)
        if (strlen(credit[i]) == len && strncasecmp(s, credit[i], len) == 0)
            return FT_SIDE_CREDIT;
    return 0;
}

/* Details of FT_REJ_DEBIT_CREDIT faults. */
enum { DC_BOTH = 0, DC_MARK, DC_NEGATIVE_MARKED, DC_NONE };

/* A statement row's signed amount: one amount column (with a D/C mark or
 * its sign), or debit and credit columns. */
static void check_statement_amount(struct checker *C, const ft_csv_batch *b, const ft_csv_row *row,
                                   struct checked *k, struct faults *all)
{
    const ft_schema *sc = &C->sc;
    size_t clen, len;
    ft_currency col_cur;
    bool have_col = sc->col[FT_F_CURRENCY] >= 0;
    if (have_col) {
        const char *c = get_in(sc, b, row, FT_F_CURRENCY, &clen);
        if (!currency(C, c, clen, &col_cur, !all, false)) {
            bad(k, all, FT_REJ_CURRENCY, FT_F_CURRENCY, CUR_UNKNOWN);
            return;
        }
    }
    int64_t v = 0;
    if (sc->col[FT_F_AMOUNT] >= 0) {
        const char *a = get_in(sc, b, row, FT_F_AMOUNT, &len);
        if (!amount_value(C, !all, a, len, have_col ? &col_cur : NULL, FT_F_AMOUNT, FT_F_CURRENCY,
                          &v, &k->cur, k, all))
            return;
        if (sc->col[FT_F_DC_MARK] >= 0) {
            const char *m = get_in(sc, b, row, FT_F_DC_MARK, &len);
            int side = dc_mark(m, len);
            if (!side) {
                bad(k, all, FT_REJ_DEBIT_CREDIT, FT_F_DC_MARK, DC_MARK);
                return;
            }
            if (v < 0) {
                bad(k, all, FT_REJ_DEBIT_CREDIT, FT_F_AMOUNT, DC_NEGATIVE_MARKED);
                return;
            }
            if (side == FT_SIDE_DEBIT)
                v = -v;
        }
    } else {
        int64_t d = 0, c = 0;
        bool have_d = false, have_c = false;
        static const ft_field f[2] = {FT_F_DEBIT, FT_F_CREDIT};
        for (int i = 0; i < 2; i++) {
            const char *a = get_in(sc, b, row, f[i], &len);
            if (!a || len == 0)
                continue;
            int64_t x;
            ft_currency cur;
            if (!amount_value(C, !all, a, len, have_col ? &col_cur : NULL, f[i], FT_F_CURRENCY, &x,
                              &cur, k, all))
                continue;
            if (x == 0)
                continue;
            k->cur = cur;
            *(i ? &c : &d) = x < 0 ? -x : x;
            *(i ? &have_c : &have_d) = true;
        }
        if (k->kind == CHK_BAD)
            return;
        if (have_d && have_c) {
            bad(k, all, FT_REJ_DEBIT_CREDIT, FT_F_CREDIT, DC_BOTH);
            return;
        }
        if (!have_d && !have_c) {
            /* Zero, or nothing: a credit of zero when there is a currency. */
            if (!have_col && !C->have_default_cur) {
                bad(k, all, FT_REJ_DEBIT_CREDIT, FT_F_DEBIT, DC_NONE);
                return;
            }
            k->cur = have_col ? col_cur : C->default_cur;
        }
        v = have_d ? -d : c;
    }
    k->side = v < 0 ? FT_SIDE_DEBIT : FT_SIDE_CREDIT;
    k->amount = v < 0 ? -v : v;
}

static bool flag_false(const char *s, size_t len);

/* Copies span s[0..len) to the batch's key bytes; its offset. */
static uint32_t put_key(struct checker *C, const char *s, size_t len)
{
    uint32_t off = (uint32_t)C->keys_used;
    char *d = C->keys + C->keys_used;
    /* Most are short: two overlapping words rather than a call. */
    if (len >= 8 && len <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + len - 8, &b, 8);
    } else if (len >= 4 && len < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + len - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + len - 4, &b, 4);
    } else if (len) {
        memcpy(d, s, len);
    }
    C->keys_used += len;
    return off;
}

/* The loader's record of a good row of a generic layout: its keys
 * (hashed) and channel in the batch's key bytes, its id when numeric, and
 * whether the memo and label need looking at. */
static void prepare_commit(struct checker *C, const ft_csv_batch *b, const ft_csv_row *row,
                           struct checked *k)
{
    static const ft_field fields[2][2] = {{FT_F_SRC_BANK, FT_F_SRC}, {FT_F_DST_BANK, FT_F_DST}};
    const ft_schema *sc = &C->sc;
    size_t len, blen;
    for (int side = 0; side < 2; side++) {
        const char *bank = get_in(sc, b, row, fields[side][0], &blen);
        const char *a = get_in(sc, b, row, fields[side][1], &len);
        uint32_t off = (uint32_t)C->keys_used;
        if (bank && blen) {
            put_key(C, bank, blen);
            C->keys[C->keys_used++] = ':';
        }
        put_key(C, a, len);
        k->koff[side] = off;
        k->klen[side] = (uint32_t)(C->keys_used - off);
    }
    const char *ch = get_in(sc, b, row, FT_F_CHANNEL, &len);
    k->chlen = ch ? (uint32_t)len : 0;
    k->choff = ch ? put_key(C, ch, len) : 0;
    const char *id = get_in(sc, b, row, FT_F_TXID, &len);
    k->numeric = true;
    k->txid = FT_TXID_DERIVED;
    if (id && len) {
        bool numeric = len <= 18 && (id[0] != '0' || len == 1);
        int64_t v = 0;
        for (size_t i = 0; numeric && i < len; i++) {
            if (id[i] < '0' || id[i] > '9')
                numeric = false;
            else
                v = v * 10 + (id[i] - '0');
        }
        k->numeric = numeric;
        k->txid = v;
    }
    const char *memo = get_in(sc, b, row, FT_F_MEMO, &len);
    k->memolen = memo ? (uint32_t)len : 0;
    k->memooff = memo ? put_key(C, memo, len) : 0;
    const char *lab = get_in(sc, b, row, FT_F_LABEL, &len);
    k->label = lab && (sc->label_kind == FT_LABEL_TEXT ? len != 0 : !flag_false(lab, len));
    /* Hashed last: reading a key right after put_key's overlapping
     * stores would wait for them to reach the cache. */
    k->hash[0] = ft_intern_hash(C->keys + k->koff[0], k->klen[0]);
    k->hash[1] = ft_intern_hash(C->keys + k->koff[1], k->klen[1]);
}

/* Judges one row. Without `all` it stops at the first fault (the reader
 * thread's fast path); with it, it notes every fault and touches no
 * cache. */
static void check_row(struct checker *C, const ft_csv_batch *b, const ft_csv_row *row,
                      struct checked *k, struct faults *all)
{
    const ft_schema *sc = &C->sc;
    k->kind = CHK_GOOD;
    k->rounded = 0;
    k->side = FT_SIDE_NONE;
    k->value_ms = FT_TIME_NONE;
    if ((int)row->nf != sc->ncols) {
        bad(k, all, FT_REJ_FIELD_COUNT, FT_F_COUNT, 0);
        return;
    }
    size_t len;
    /* One scan of the row's bytes; only a row holding a NUL has its used
     * fields looked at one by one. */
    if (row->nul) {
        for (int f = 0; f < FT_F_COUNT; f++) {
            int c = sc->col[f];
            if (c < 0)
                continue;
            const char *field = ft_csv_field(b, row, c, &len);
            if (memchr(field, '\0', len)) {
                bad(k, all, FT_REJ_NUL, (ft_field)f, 0);
                return;
            }
        }
    }
    ft_field tf = sc->col[FT_F_TIMESTAMP] >= 0 ? FT_F_TIMESTAMP : FT_F_VALUE_DATE;
    if (!check_time(C, b, row, tf, &k->ts_ms, k, all) && !all)
        return;
    if (sc->statement) {
        if (tf == FT_F_TIMESTAMP && sc->col[FT_F_VALUE_DATE] >= 0) {
            get_in(sc, b, row, FT_F_VALUE_DATE, &len);
            if (len && !check_time(C, b, row, FT_F_VALUE_DATE, &k->value_ms, k, all) && !all)
                return;
        }
        check_statement_amount(C, b, row, k, all);
        if (k->kind == CHK_BAD && !all)
            return;
        if (sc->col[FT_F_ACCOUNT] >= 0 && (get_in(sc, b, row, FT_F_ACCOUNT, &len), len == 0))
            bad(k, all, FT_REJ_ACCOUNT, FT_F_ACCOUNT, 0);
        /* Keys are hashed by the loader: they depend on the side. */
        k->hash[0] = k->hash[1] = 0;
        return;
    }
    for (int side = 0; side < 2; side++) {
        ft_field f = side ? FT_F_DST : FT_F_SRC;
        get_in(sc, b, row, f, &len);
        if (len == 0 && !bad(k, all, FT_REJ_ACCOUNT, f, 0) && !all)
            return;
    }
    if (!check_amount(C, b, row, FT_F_AMOUNT, FT_F_CURRENCY, &k->amount, &k->cur, k, all) && !all)
        return;
    if (sc->col[FT_F_AMOUNT_RECV] >= 0 &&
        !check_amount(C, b, row, FT_F_AMOUNT_RECV, FT_F_CURRENCY_RECV, &k->amount_recv,
                      &k->cur_recv, k, all) &&
        !all)
        return;
    if (all || k->kind == CHK_BAD)
        return;
    if (!C->keys) {
        for (int side = 0; side < 2; side++) {
            const char *key;
            if (key_of(sc, b, row, side, &C->key, &C->keycap, &key, &len, NULL) != FT_OK) {
                k->hash[side] = 0; /* the loader hashes again */
                continue;
            }
            k->hash[side] = ft_intern_hash(key, len);
        }
        return;
    }
    prepare_commit(C, b, row, k);
}

/* The prepare hook: judges every row of a batch. */
static void check_batch(void *ctx, ft_csv_batch *b)
{
    struct checker *C = ctx;
    size_t need = (size_t)b->nrows * sizeof(struct checked);
    /* Room for the key bytes: a row's keys, channel and memo are at most
     * its field bytes and two colons. */
    size_t keys = b->fused + 2 * (size_t)b->nrows + 16;
    bool with_keys = keys < UINT32_MAX;
    if (with_keys)
        need += keys;
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
    C->keys = with_keys && !C->sc.statement && C->header_seen ? batch_keys(b) : NULL;
    C->keys_used = 0;
    for (uint32_t i = 0; i < b->nrows; i++) {
        const ft_csv_row *row = &b->rows[i];
        k[i].kind = CHK_SKIP;
        k[i].klen[0] = k[i].klen[1] = NO_KEY;
        if (row->kind != FT_CSV_ROW)
            continue;
        if (!C->header_seen) {
            C->header_seen = true;
            check_header(C, b, row);
            k[i].kind = CHK_HEADER;
            if (C->header_rc == FT_OK)
                settle_mark(C, b, i + 1);
            if (with_keys && C->header_rc == FT_OK && !C->sc.statement)
                C->keys = batch_keys(b);
        } else if (C->header_rc == FT_OK) {
            check_row(C, b, row, &k[i], NULL);
        }
    }
}

/* A checker for another slice of the file, once this one has settled
 * the header and the decimal mark: from then on a checker's state is
 * only its currency cache, which changes no verdict. */
static void *checker_fork(void *ctx, bool force)
{
    const struct checker *C = ctx;
    if (!C->header_seen && !force)
        return NULL;
    struct checker *F = malloc(sizeof *F);
    if (F) {
        *F = *C;
        F->key = NULL;
        F->keycap = 0;
        F->keys = NULL;
    }
    return F;
}

static void checker_drop(void *ctx)
{
    struct checker *C = ctx;
    free(C->key);
    free(C);
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

/* Counts a rejected row of a sink's file and reports all its faults; the
 * first decides the location. */
static void reject_faults(ft_stmt_sink *k, const ft_fault *f, int n, const char *raw,
                          size_t raw_len)
{
    ft_load_report *r = &k->s->report;
    r->rows_rejected++;
    r->sources[k->src_idx].rows_rejected++;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++)
            seen |= f[j].reason == f[i].reason;
        if (!seen)
            r->by_reason[f[i].reason]++;
    }
    if (k->o->on_reject) {
        /* No raw bytes (a camt entry) is an empty row, never NULL. */
        ft_reject_info info = {k->path,
                               f[0].line,
                               f[0].column,
                               f[0].reason,
                               f[0].message,
                               raw ? raw : "",
                               raw ? raw_len : 0,
                               f,
                               n};
        k->o->on_reject(k->o->reject_ctx, &info);
    }
    if (k->o->strict && k->rc == FT_OK)
        k->rc = ft_error_at(k->err, FT_EINPUT, k->path, f[0].line, f[0].column, "%s", f[0].message);
}

void ft_stmt_reject(ft_stmt_sink *k, int64_t line, int64_t col, ft_reject why, const char *raw,
                    size_t raw_len, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    k->s->report.rows_read++;
    k->s->report.sources[k->src_idx].rows_read++;
    ft_fault f = {line, col, why, msg};
    reject_faults(k, &f, 1, raw, raw_len);
}

void ft_stmt_note(ft_stmt_sink *k, const char *fmt, ...)
{
    if (!k->o->on_note)
        return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    k->o->on_note(k->o->note_ctx, k->path, msg);
}

/* Records a rejected row with one fault. `col` is 0-based, or -1 for the
 * row as a whole. */
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
    ft_fault f = {line, col + 1, why, msg};
    reject_faults(&L->k, &f, 1, raw, raw_len);
    fail(L, L->k.rc);
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
        {FT_F_CHANNEL, FT_COL_CHANNEL},
        {FT_F_LABEL, FT_COL_LABEL},
        {FT_F_MEMO, FT_COL_MEMO},
        {FT_F_TXID, FT_COL_TXID},
        {FT_F_AMOUNT_RECV, FT_COL_AMOUNT_RECV},
        {FT_F_CURRENCY_RECV, FT_COL_CUR_RECV},
        {FT_F_E2E, FT_COL_E2E},
        {FT_F_COUNTERPARTY, FT_COL_CP_NAME},
    };
    for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++) {
        if (C->sc.col[optional[k].f] >= 0 && (rc = ft_store_enable(s, optional[k].c, L->err)))
            FAIL(L, rc);
    }
    if (C->sc.statement && ((rc = ft_store_enable(s, FT_COL_SIDE, L->err)) != FT_OK ||
                            (C->sc.col[FT_F_VALUE_DATE] >= 0 && C->sc.col[FT_F_TIMESTAMP] >= 0 &&
                             (rc = ft_store_enable(s, FT_COL_VALUE_MS, L->err)) != FT_OK)))
        FAIL(L, rc);
    if (L->src_idx > 0 && (rc = ft_store_enable(s, FT_COL_FILE, L->err)) != FT_OK)
        FAIL(L, rc);
    ft_source *src = &s->report.sources[L->src_idx];
    free(src->layout);
    src->layout = strdup(ft_layout_name(C->sc.layout));
    if (!src->layout)
        FAIL(L, ft_error_oom(L->err));
    src->decimal_mark = C->mark;
    src->decimal_from = C->mark_from;
    if (C->mark == ',' && C->mark_from == FT_FROM_DETECTED)
        ft_stmt_note(&L->k,
                     "decimal comma, as amounts such as '%s' (line %" PRId64
                     ") show; --decimal-point reads them the other way",
                     C->mark_text, C->mark_line);
    else if (C->mark == ',' && C->mark_from == FT_FROM_LAYOUT)
        ft_stmt_note(&L->k, "decimal comma, as German and French exports write amounts; "
                            "--decimal-point reads them the other way");
    L->header_done = true;
}

/* A field's name in messages: a statement's time is its booking date. */
static const char *field_name(const ft_schema *sc, ft_field f)
{
    return sc->statement && f == FT_F_TIMESTAMP ? "booking_date" : ft_field_name(f);
}

/* The words for one fault of the current row. */
static void fault_message(struct loader *L, const struct checked *k, ft_reject reason, ft_field f,
                          int detail, char *msg, size_t cap)
{
    const ft_schema *sc = &L->C->sc;
    const ft_load_options *o = L->o;
    int nf = (int)L->row->nf;
    int col = f < FT_F_COUNT ? sc->col[f] : (nf < sc->ncols ? nf : sc->ncols);
    char buf[80];
    const char *text = f < FT_F_COUNT ? show(L, col, buf) : "";
    const char *hint = "";
    switch (reason) {
    case FT_REJ_FIELD_COUNT:
        snprintf(msg, cap, "expected %d fields as in the header, found %d", sc->ncols, nf);
        return;
    case FT_REJ_NUL:
        snprintf(msg, cap, "%s holds a NUL byte", field_name(sc, f));
        return;
    case FT_REJ_TIMESTAMP:
    case FT_REJ_DATE:
        if (sc->time_kind == FT_TIME_STEP_HOURS)
            snprintf(msg, cap, "step '%s' is not a whole number of hours", text);
        else if (detail == FT_TIME_SKIPPED)
            snprintf(msg, cap, "%s '%s' does not exist in %s (the clocks went forward)",
                     field_name(sc, f), text, ft_tz_name(o->tz));
        else if (reason == FT_REJ_TIMESTAMP && o->date_format)
            snprintf(msg, cap, "%s '%s' does not match --date-format '%s'", field_name(sc, f), text,
                     o->date_format);
        else if (reason == FT_REJ_TIMESTAMP)
            snprintf(msg, cap,
                     "%s '%s' is not a timestamp (forms read: " FT_TIME_FORMS
                     "; for others give --date-format, e.g. %s)",
                     field_name(sc, f), text,
                     strchr(text, '/')   ? "%d/%m/%Y"
                     : strchr(text, '.') ? "%d.%m.%y"
                                         : "%d %b %Y");
        else
            snprintf(msg, cap, "%s '%s' %s", field_name(sc, f), text,
                     ft_time_strerror((ft_time_error)detail));
        return;
    case FT_REJ_ACCOUNT:
        snprintf(msg, cap, "%s is empty",
                 f == FT_F_SRC   ? "source account"
                 : f == FT_F_DST ? "destination account"
                                 : "the statement's account");
        return;
    case FT_REJ_CURRENCY:
        if (detail == CUR_SYMBOL)
            snprintf(msg, cap,
                     "%s '%s' is written with a currency that is not known (define it with "
                     "--currencies FILE)",
                     field_name(sc, f), text);
        else if (detail == CUR_MISMATCH)
            snprintf(msg, cap, "currency '%s' is not the currency written beside the amount", text);
        else if (detail == CUR_NONE)
            snprintf(msg, cap,
                     "%s '%s' has no currency: there is no currency column and no --currency "
                     "CODE",
                     field_name(sc, f), text);
        else
            snprintf(msg, cap, "currency '%s' is not known (define it with --currencies FILE)",
                     text);
        return;
    case FT_REJ_DEBIT_CREDIT:
        if (detail == DC_BOTH)
            snprintf(msg, cap, "both debit and credit hold an amount");
        else if (detail == DC_MARK)
            snprintf(msg, cap,
                     "debit/credit mark '%s' is none of D, C, DR, CR, S, H, Debit, Credit, Soll, "
                     "Haben",
                     text);
        else if (detail == DC_NEGATIVE_MARKED)
            snprintf(msg, cap,
                     "amount '%s' is negative although a debit/credit mark gives its "
                     "direction",
                     text);
        else
            snprintf(msg, cap,
                     "neither debit nor credit holds an amount, and there is no "
                     "currency for a zero");
        return;
    case FT_REJ_DECIMALS: {
        const ft_currency *c = f == FT_F_AMOUNT_RECV ? &k->cur_recv : &k->cur;
        snprintf(msg, cap, "%s '%s' has more decimals than %s allows (%d)", field_name(sc, f), text,
                 c->code, c->exponent);
        return;
    }
    case FT_REJ_THOUSANDS:
    case FT_REJ_AMOUNT:
        if (L->C->mark == '.' && strchr(text, ','))
            hint = " (a decimal comma? give --decimal-comma)";
        else if (L->C->mark == ',' && strchr(text, '.') && !strchr(text, ','))
            hint = " (a decimal point? give --decimal-point)";
        break;
    default:
        break;
    }
    snprintf(msg, cap, "%s '%s' %s%s", field_name(sc, f), text,
             ft_money_strerror((ft_money_error)detail), hint);
}

/* Reports a row the checker found bad: looks at it again for every fault. */
static void reject_checked(struct loader *L)
{
    const ft_schema *sc = &L->C->sc;
    struct faults all = {0};
    struct checked k2;
    /* With `all`, check_row changes nothing the reader thread uses. */
    check_row((struct checker *)L->C, L->b, L->row, &k2, &all);
    if (all.n == 0) {
        all.n = 1;
        all.f[0].reason = L->chk->reason;
        all.f[0].field = L->chk->field;
        all.f[0].detail = L->chk->detail;
    }
    char msgs[MAX_FAULTS][512];
    ft_fault f[MAX_FAULTS];
    int nf = (int)L->row->nf;
    for (int i = 0; i < all.n; i++) {
        ft_field fld = (ft_field)all.f[i].field;
        int col = fld < FT_F_COUNT ? sc->col[fld] : (nf < sc->ncols ? nf : sc->ncols);
        fault_message(L, &k2, (ft_reject)all.f[i].reason, fld, all.f[i].detail, msgs[i],
                      sizeof msgs[i]);
        f[i] = (ft_fault){ft_csv_field_line(L->b, L->row, col), col + 1, (ft_reject)all.f[i].reason,
                          msgs[i]};
    }
    reject_faults(&L->k, f, all.n, L->b->raw + L->row->raw_off, (size_t)L->row->raw_len);
    fail(L, L->k.rc);
}

/* strcmp(a, b) == 0 for currency codes, inline: it runs on every row. */
static inline bool same_code(const char *a, const char *b)
{
    for (int i = 0; i <= FT_CURRENCY_CODE_MAX; i++) {
        if (a[i] != b[i])
            return false;
        if (!a[i])
            return true;
    }
    return true;
}

/* The store's id for a currency, registered on first use; scales the
 * amount from the layout's decimals to the store's. */
static ft_status commit_amount(ft_stmt_sink *k, int64_t line, const ft_currency *c, int64_t *minor,
                               uint16_t *id)
{
    int i = 0;
    while (i < k->nids && !same_code(k->ids[i].cur.code, c->code))
        i++;
    if (i < k->nids) {
        *id = k->ids[i].id;
    } else {
        ft_status rc = ft_store_currency(k->s, c, id, k->err);
        if (rc != FT_OK)
            return rc;
        if (k->nids < (int)(sizeof k->ids / sizeof k->ids[0])) {
            k->ids[k->nids].cur = *c;
            k->ids[k->nids++].id = *id;
        }
    }
    int have = k->s->currencies[*id].exponent;
    if (have > c->exponent && !ft_money_scale(minor, have - c->exponent))
        return ft_error_set(k->err, FT_ELIMIT, "%s:%" PRId64 ": amount too large in %s", k->path,
                            line, c->code);
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
static ft_status txid_of(ft_stmt_sink *k, const char *s, size_t len, int64_t *out)
{
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
    ft_status rc = ft_pool_add(&k->s->strings, s, len, &off, k->err);
    if (rc == FT_OK && off > (uint64_t)INT64_MAX)
        rc = ft_error_set(k->err, FT_ELIMIT, "string pool larger than 2^63 bytes");
    *out = -(int64_t)off;
    return rc;
}

/* Interns the source (side 0) or destination (side 1) account. */
static ft_status account_id(struct loader *L, int side, uint32_t *id)
{
    const struct checked *k = L->chk;
    if (k->klen[side] != NO_KEY)
        return ft_intern_cache_put(&L->accounts, &L->s->accounts, L->keys + k->koff[side],
                                   k->klen[side], k->hash[side], id, L->err);
    const char *key;
    size_t len;
    ft_status rc =
        key_of(&L->C->sc, L->b, L->row, side, &L->key, &L->keycap, &key, &len, L->err);
    if (rc != FT_OK)
        return rc;
    uint64_t hash = L->chk->hash[side] ? L->chk->hash[side] : ft_intern_hash(key, len);
    return ft_intern_put_hashed(&L->s->accounts, key, len, hash, id, NULL, L->err);
}

static ft_status intern_channel(ft_stmt_sink *k, int64_t line, const char *ch, size_t len,
                                uint16_t *out)
{
    *out = 0;
    if (!ch || !len)
        return FT_OK;
    uint32_t id;
    ft_status rc = ft_intern_put(&k->s->channels, ch, len, &id, NULL, k->err);
    if (rc != FT_OK)
        return rc;
    if (id >= FT_MAX_SMALL_ID - 1)
        return ft_error_set(k->err, FT_ELIMIT, "%s:%" PRId64 ": more than %d channels", k->path,
                            line, FT_MAX_SMALL_ID - 1);
    *out = (uint16_t)(id + 1);
    return FT_OK;
}

/* A channel through the loader's cache of the few a file has. */
static ft_status cached_channel(struct loader *L, const char *ch, uint32_t len, uint16_t *out)
{
    for (int i = 0; i < L->nchans; i++) {
        if (L->chans[i].len == len && memcmp(L->chans[i].text, ch, len) == 0) {
            *out = L->chans[i].id;
            return FT_OK;
        }
    }
    ft_status rc = intern_channel(&L->k, L->row->line, ch, len, out);
    if (rc == FT_OK && len && len <= sizeof L->chans[0].text &&
        L->nchans < (int)(sizeof L->chans / sizeof L->chans[0])) {
        memcpy(L->chans[L->nchans].text, ch, len);
        L->chans[L->nchans].len = len;
        L->chans[L->nchans++].id = *out;
    }
    return rc;
}

/* --- account keys -------------------------------------------------------------- */

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

size_t ft_norm_account(const char *s, size_t len, char *out)
{
    ft_span_trim(&s, &len);
    /* An IBAN: two letters, two digits, then letters and digits, spaces
     * anywhere (as printed in groups of four). */
    size_t n = 0;
    bool iban = len >= 15;
    for (size_t i = 0; iban && i < len; i++) {
        char c = s[i];
        if (c == ' ')
            continue;
        iban = is_alnum(c) &&
               (n >= 4 || (n < 2 ? (c | 0x20) >= 'a' && (c | 0x20) <= 'z' : c >= '0' && c <= '9'));
        n++;
    }
    if (iban && n >= 15 && n <= 34) {
        size_t w = 0;
        for (size_t i = 0; i < len; i++)
            if (s[i] != ' ')
                out[w++] = (char)((s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i]);
        return w;
    }
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if ((s[i] == ' ' || s[i] == '\t') && w && out[w - 1] == ' ')
            continue;
        out[w++] = s[i] == '\t' ? ' ' : s[i];
    }
    return w;
}

size_t ft_norm_name(const char *s, size_t len, char *out)
{
    ft_span_trim(&s, &len);
    const unsigned char *u = (const unsigned char *)s;
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = u[i];
        bool space = c == ' ' || c == '\t' || (c == 0xC2 && i + 1 < len && u[i + 1] == 0xA0);
        if (space) {
            i += c == 0xC2;
            if (w && out[w - 1] != ' ')
                out[w++] = ' ';
            continue;
        }
        if (c >= 'a' && c <= 'z') {
            out[w++] = (char)(c - 32);
        } else if (c == 0xC3 && i + 1 < len && u[i + 1] >= 0xA0 && u[i + 1] <= 0xBE &&
                   u[i + 1] != 0xB7) {
            /* à..þ (not ÷) to À..Þ */
            out[w++] = (char)c;
            out[w++] = (char)(u[++i] - 0x20);
        } else {
            out[w++] = (char)c;
        }
    }
    while (w && out[w - 1] == ' ')
        w--;
    return w;
}

/* The statement's account and the counterparty's key into k->key[0] and
 * k->key[1]. */
static ft_status entry_keys(ft_stmt_sink *k, const ft_stmt_entry *e, size_t *own_len,
                            size_t *cp_len)
{
    size_t need = e->own.len + e->cp_iban.len + e->cp_name.len + 16;
    for (int i = 0; i < 2; i++) {
        ft_status rc = ft_bytes_reserve(&k->key[i], &k->keycap[i], need, k->err);
        if (rc != FT_OK)
            return rc;
    }
    *own_len = ft_norm_account(e->own.s, e->own.len, k->key[0]);
    *cp_len = 0;
    if (e->cp_iban.len)
        *cp_len = ft_norm_account(e->cp_iban.s, e->cp_iban.len, k->key[1]);
    if (*cp_len == 0 && e->cp_name.len)
        *cp_len = ft_norm_name(e->cp_name.s, e->cp_name.len, k->key[1]);
    if (*cp_len == 0) {
        /* No counterparty (fees, cash): one sink per statement account. */
        memcpy(k->key[1], "unknown:", 8);
        memcpy(k->key[1] + 8, k->key[0], *own_len);
        *cp_len = 8 + *own_len;
    }
    return FT_OK;
}

static bool placeholder(ft_span v)
{
    static const char *const none[] = {"NOTPROVIDED", "NONREF", "NOT PROVIDED", "NONE"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        if (strlen(none[i]) == v.len && strncasecmp(v.s, none[i], v.len) == 0)
            return true;
    return false;
}

static ft_status pool_span(ft_stmt_sink *k, ft_span v, uint64_t *off)
{
    *off = 0;
    ft_span_trim(&v.s, &v.len);
    if (!v.len || placeholder(v))
        return FT_OK;
    return ft_pool_add(&k->s->strings, v.s, v.len, off, k->err);
}

/* Appends an entry; it has been counted as read. */
static ft_status commit_entry(ft_stmt_sink *k, const ft_stmt_entry *e, uint32_t label)
{
    ft_store *s = k->s;
    ft_status rc;
    if (!k->columns_on) {
        static const ft_col cols[] = {FT_COL_SIDE, FT_COL_E2E,  FT_COL_CP_NAME, FT_COL_VALUE_MS,
                                      FT_COL_MEMO, FT_COL_TXID, FT_COL_CHANNEL};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
            if ((rc = ft_store_enable(s, cols[i], k->err)) != FT_OK)
                return rc;
        if (k->src_idx > 0 && (rc = ft_store_enable(s, FT_COL_FILE, k->err)) != FT_OK)
            return rc;
        k->columns_on = true;
    }
    size_t own_len, cp_len;
    if ((rc = entry_keys(k, e, &own_len, &cp_len)) != FT_OK)
        return rc;
    ft_row row = {.ts_ms = e->booking_ms != FT_TIME_NONE ? e->booking_ms : e->value_ms,
                  .value_ms = e->booking_ms != FT_TIME_NONE ? e->value_ms : FT_TIME_NONE,
                  .amount = e->amount,
                  .side = e->debit ? FT_SIDE_DEBIT : FT_SIDE_CREDIT,
                  .label = label};
    uint32_t own, cp;
    ft_span ref = e->ref;
    ft_span_trim(&ref.s, &ref.len);
    if (placeholder(ref))
        ref.len = 0;
    if ((rc = commit_amount(k, e->line, &e->cur, &row.amount, &row.cur)) != FT_OK ||
        (rc = ft_intern_put(&s->accounts, k->key[0], own_len, &own, NULL, k->err)) != FT_OK ||
        (rc = ft_intern_put(&s->accounts, k->key[1], cp_len, &cp, NULL, k->err)) != FT_OK ||
        (rc = txid_of(k, ref.len ? ref.s : NULL, ref.len, &row.txid)) != FT_OK ||
        (rc = intern_channel(k, e->line, e->channel.s, e->channel.len, &row.channel)) != FT_OK ||
        (rc = pool_span(k, e->purpose, &row.memo)) != FT_OK ||
        (rc = pool_span(k, e->e2e, &row.e2e)) != FT_OK ||
        (rc = pool_span(k, e->cp_name, &row.cp_name)) != FT_OK)
        return rc;
    row.src = e->debit ? own : cp;
    row.dst = e->debit ? cp : own;
    if (e->line > UINT32_MAX)
        return ft_error_set(k->err, FT_ELIMIT, "%s: more than %u lines", k->path, UINT32_MAX);
    row.line = (uint32_t)e->line;
    row.file = (uint16_t)k->src_idx;
    if ((rc = ft_store_append(s, &row, k->err)) != FT_OK)
        return rc;
    s->report.rows_loaded++;
    s->report.sources[k->src_idx].rows_loaded++;
    return FT_OK;
}

ft_status ft_stmt_commit(ft_stmt_sink *k, const ft_stmt_entry *e)
{
    if (k->rc != FT_OK)
        return k->rc;
    k->s->report.rows_read++;
    k->s->report.sources[k->src_idx].rows_read++;
    ft_stmt_entry local = *e;
    if (!e->zoned && k->o->tz) {
        int64_t *t[2] = {&local.booking_ms, &local.value_ms};
        for (int i = 0; i < 2; i++) {
            if (*t[i] != FT_TIME_NONE && !ft_tz_to_utc(k->o->tz, *t[i], t[i])) {
                char when[40];
                ft_time_format(*t[i], when, sizeof when);
                when[16] = '\0';
                ft_fault f = {e->line, 0, FT_REJ_DATE, NULL};
                char msg[256];
                snprintf(msg, sizeof msg, "%s date '%s' does not exist in %s",
                         i ? "value" : "booking", when, ft_tz_name(k->o->tz));
                f.message = msg;
                reject_faults(k, &f, 1, NULL, 0);
                return k->rc;
            }
        }
    }
    ft_status rc = commit_entry(k, &local, 0);
    if (rc != FT_OK && k->rc == FT_OK)
        k->rc = rc;
    return k->rc;
}

/* A statement row of a CSV file, through the sink. */
static ft_status commit_statement_row(struct loader *L)
{
    const struct checked *k = L->chk;
    const ft_schema *sc = &L->C->sc;
    ft_stmt_entry e = {.line = L->row->line,
                       .booking_ms = k->ts_ms,
                       .value_ms = k->value_ms,
                       .zoned = true,
                       .amount = k->amount,
                       .debit = k->side == FT_SIDE_DEBIT,
                       .cur = k->cur};
    ft_span *spans[] = {&e.own, &e.cp_name, &e.cp_iban, &e.purpose, &e.e2e, &e.ref, &e.channel};
    static const ft_field fields[] = {FT_F_ACCOUNT, FT_F_COUNTERPARTY, FT_F_CP_IBAN, FT_F_MEMO,
                                      FT_F_E2E,     FT_F_TXID,         FT_F_CHANNEL};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        spans[i]->s = get(L, fields[i], &spans[i]->len);
    if (sc->col[FT_F_ACCOUNT] < 0)
        e.own = (ft_span){L->o->statement_of, strlen(L->o->statement_of)};
    uint32_t label;
    ft_status rc = intern_label(L, &label);
    if (rc == FT_OK)
        rc = commit_entry(&L->k, &e, label);
    return rc;
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
    ft_status rc;
    if (L->C->sc.statement) {
        if ((rc = commit_statement_row(L)) != FT_OK)
            FAIL(L, rc);
        return;
    }
    r->amounts_rounded += k->rounded;
    ft_row row = {.ts_ms = k->ts_ms, .amount = k->amount, .amount_recv = k->amount_recv};
    size_t len;
    /* With the checker's record (`fast`) no field is read but a label or
     * a text id; the keys, channel and memo are in the batch's key bytes. */
    bool fast = k->klen[0] != NO_KEY;
    const char *id = fast && k->numeric ? NULL : get(L, FT_F_TXID, &len);
    if (fast)
        row.txid = k->txid;
    if ((rc = commit_amount(&L->k, L->row->line, &k->cur, &row.amount, &row.cur)) != FT_OK ||
        (L->C->sc.col[FT_F_AMOUNT_RECV] >= 0 &&
         (rc = commit_amount(&L->k, L->row->line, &k->cur_recv, &row.amount_recv, &row.cur_recv)) !=
             FT_OK) ||
        (rc = account_id(L, 0, &row.src)) != FT_OK || (rc = account_id(L, 1, &row.dst)) != FT_OK ||
        ((!fast || k->label) && (rc = intern_label(L, &row.label)) != FT_OK) ||
        ((!fast || !k->numeric) && (rc = txid_of(&L->k, id, id ? len : 0, &row.txid)) != FT_OK))
        FAIL(L, rc);
    if (fast) {
        if ((rc = cached_channel(L, L->keys + k->choff, k->chlen, &row.channel)) != FT_OK ||
            (k->memolen && (rc = ft_pool_add(&s->strings, L->keys + k->memooff, k->memolen,
                                             &row.memo, L->err)) != FT_OK))
            FAIL(L, rc);
    } else {
        const char *ch = get(L, FT_F_CHANNEL, &len);
        if ((rc = intern_channel(&L->k, L->row->line, ch, len, &row.channel)) != FT_OK)
            FAIL(L, rc);
        const char *memo = get(L, FT_F_MEMO, &len);
        if (memo && len && (rc = ft_pool_add(&s->strings, memo, len, &row.memo, L->err)) != FT_OK)
            FAIL(L, rc);
    }
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
    /* The batch was written on the reader's core: its records, rows and
     * key bytes are fetched ahead too. */
    uint32_t far = i + 2 * PF_DIST;
    if (far < n) {
        __builtin_prefetch(&k[far]);
        __builtin_prefetch((const char *)&k[far] + 64);
        __builtin_prefetch(&L->b->rows[far]);
    }
    uint32_t near = i + PF_DIST / 3;
    if (near < n && k[near].klen[0] != NO_KEY) {
        __builtin_prefetch(L->keys + k[near].koff[0]);
        __builtin_prefetch(L->keys + k[near].koff[1] + k[near].klen[1]);
    }
    uint32_t j = i + PF_DIST;
    if (j < n && k[j].klen[0] != NO_KEY) {
        /* Through the cache: one line a key. */
        ft_intern_cache_prefetch(&L->accounts, k[j].hash[0]);
        ft_intern_cache_prefetch(&L->accounts, k[j].hash[1]);
        return;
    }
    for (int stage = 0; stage < 3; stage++) {
        j = i + ahead[stage];
        if (j < n && k[j].kind == CHK_GOOD) {
            ft_intern_prefetch(&L->s->accounts, k[j].hash[0], stage);
            ft_intern_prefetch(&L->s->accounts, k[j].hash[1], stage);
        }
    }
}

/* Notes on the text of a file: its encoding, lines that are not valid. */
static void text_notes(ft_stmt_sink *k, const ft_csv_text *t)
{
    ft_source *src = &k->s->report.sources[k->src_idx];
    snprintf(src->encoding, sizeof src->encoding, "%s", t->encoding);
    src->bad_text_lines = t->bad_lines;
    src->first_bad_text_line = t->first_bad;
    if (!t->encoding_given && strcmp(t->encoding, "utf-8") != 0)
        ft_stmt_note(k, "read as %s (its byte-order mark says so)", t->encoding);
    if (t->bad_lines && !t->encoding_given && strcmp(t->encoding, "utf-8") == 0)
        ft_stmt_note(k,
                     "%" PRId64 " line%s not valid UTF-8 (the first is line %" PRId64
                     "); the bytes are kept as they are: if the file is Windows-1252 or "
                     "Latin-1, load it with --encoding cp1252 or --encoding latin1",
                     t->bad_lines, t->bad_lines == 1 ? " is" : "s are", t->first_bad);
    else if (t->bad_lines)
        ft_stmt_note(k,
                     "%" PRId64 " line%s bytes that are not %s (the first is line %" PRId64
                     "); they are kept as U+FFFD",
                     t->bad_lines, t->bad_lines == 1 ? " has" : "s have", t->encoding,
                     t->first_bad);
}

static ft_status ingest_csv(ft_store *s, const char *path, int fd, const void *mem, size_t mem_len,
                            const ft_load_options *o, int idx, ft_error *err)
{
    ft_status rc = FT_OK;
    struct checker C = {.o = o, .path = path};
    struct loader L = {.s = s, .o = o, .C = &C, .err = err, .path = path, .src_idx = idx};
    L.k = (ft_stmt_sink){.s = s, .o = o, .path = path, .src_idx = idx, .err = err};
    ft_csv_reader *reader = NULL;
    if (fd >= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        ft_csv_parallel par = {.threads = o->threads > 0 ? o->threads
                                          : cores > 0    ? (int)cores
                                                         : 1,
                               .slice_bytes = o->slice_bytes,
                               .fork = checker_fork,
                               .drop = checker_drop};
        rc = ft_csv_open_file(&reader, path, fd, o->delimiter, o->encoding, check_batch, &C, &par,
                              err);
    } else {
        rc = ft_csv_open_encoded(&reader, path, fd, mem, mem_len, o->delimiter, o->encoding,
                                 check_batch, &C, err);
    }
    const ft_csv_batch *b;
    while (rc == FT_OK && (b = ft_csv_next(reader)) != NULL) {
        const struct checked *k = b->user;
        if (!k || b->user_cap < (size_t)b->nrows * sizeof *k) {
            rc = ft_error_oom(err);
            break;
        }
        L.b = b;
        L.keys = batch_keys(b);
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
    if (rc == FT_OK && reader) {
        ft_csv_text t;
        ft_csv_text_info(reader, &t);
        text_notes(&L.k, &t);
    }
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
    free(L.key);
    ft_intern_cache_free(&L.accounts);
    free(C.key);
    for (int i = 0; i < 2; i++)
        free(L.k.key[i]);
    free(L.k.scratch);
    return rc;
}

enum { FMT_CSV, FMT_MT940, FMT_CAMT };

/* MT940 starts with ":20:" (or a "{1:" block header), camt with XML that
 * names a camt.05x namespace early on; everything else is CSV. */
static int sniff(const unsigned char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\r' || p[i] == '\n' || p[i] == '\t'))
        i++;
    if (n - i >= 4 && (memcmp(p + i, ":20:", 4) == 0 || memcmp(p + i, "{1:", 3) == 0))
        return FMT_MT940;
    if (n - i >= 5 && p[i] == '<') {
        for (size_t k = i; k + 7 <= n; k++)
            if (memcmp(p + k, "camt.05", 7) == 0)
                return FMT_CAMT;
    }
    return FMT_CSV;
}

/* SHA-256 and size of a statement file's bytes (read again: statements
 * are read by stdio or libxml2, not through csvread's hashing input). */
static ft_status digest(ft_source *src, int fd, const void *mem, size_t len, ft_error *err)
{
    ft_sha256 h;
    ft_status rc = ft_sha256_init(&h, err);
    if (rc != FT_OK)
        return rc;
    if (fd < 0) {
        ft_sha256_update(&h, mem, len);
        src->bytes = len;
    } else {
        char *buf = malloc(1 << 20);
        if (!buf) {
            ft_sha256_free(&h);
            return ft_error_oom(err);
        }
        off_t off = 0;
        ssize_t n;
        while ((n = pread(fd, buf, 1 << 20, off)) > 0) {
            ft_sha256_update(&h, buf, (size_t)n);
            off += n;
        }
        free(buf);
        if (n < 0) {
            ft_sha256_free(&h);
            return ft_error_errno(err, FT_EIO, "read", src->path);
        }
        src->bytes = (uint64_t)off;
    }
    ft_sha256_final(&h, src->sha256);
    return FT_OK;
}

static ft_status ingest_statement(ft_store *s, const char *path, int fd, const void *mem,
                                  size_t mem_len, const ft_load_options *o, int idx, int fmt,
                                  ft_error *err)
{
    ft_stmt_sink k = {.s = s, .o = o, .path = path, .src_idx = idx, .err = err};
    ft_source *src = &s->report.sources[idx];
    src->layout = strdup(fmt == FMT_MT940 ? "mt940" : "camt");
    if (!src->layout)
        return ft_error_oom(err);
    src->decimal_mark = fmt == FMT_MT940 ? ',' : '.';
    src->decimal_from = FT_FROM_LAYOUT;
    snprintf(src->encoding, sizeof src->encoding, "%s",
             o->encoding && fmt == FMT_MT940 ? o->encoding : "utf-8");
    ft_status rc = digest(src, fd, mem, mem_len, err);
    if (rc == FT_OK && fmt == FMT_MT940) {
        FILE *f =
            fd >= 0 ? fdopen(dup(fd), "rb") : fmemopen((void *)mem, mem_len ? mem_len : 1, "rb");
        if (!f)
            rc = ft_error_errno(err, FT_EIO, "open", path);
        else if (fd < 0 && mem_len == 0)
            rc = ft_error_set(err, FT_EINPUT, "%s: is empty", path);
        if (f) {
            if (rc == FT_OK)
                rc = ft_mt940_read(&k, f, err);
            fclose(f);
        }
    } else if (rc == FT_OK) {
        rc = ft_camt_read(&k, fd, mem, mem_len, err);
    }
    if (rc == FT_OK && k.rc != FT_OK)
        rc = k.rc;
    for (int i = 0; i < 2; i++)
        free(k.key[i]);
    free(k.scratch);
    return rc;
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
    unsigned char head[4096];
    size_t n = 0;
    if (fd < 0) {
        n = mem_len < sizeof head ? mem_len : sizeof head;
        if (n)
            memcpy(head, mem, n);
    } else {
        ssize_t r = pread(fd, head, sizeof head, 0); /* fails on a pipe: CSV */
        n = r > 0 ? (size_t)r : 0;
    }
    int fmt = sniff(head, n);
    rc = fmt == FMT_CSV ? ingest_csv(s, path, fd, mem, mem_len, o, idx, err)
                        : ingest_statement(s, path, fd, mem, mem_len, o, idx, fmt, err);
    if (rc != FT_OK)
        s->report.sources[idx].sha256[0] = '\0';
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
    if (o && o->decimal_mark)
        fprintf(f, " decimal=%s", o->decimal_mark == ',' ? "comma" : "point");
    if (o && o->date_format)
        fprintf(f, " date-format=%s", o->date_format);
    if (o && o->tz)
        fprintf(f, " timezone=%s", ft_tz_name(o->tz));
    if (o && o->encoding)
        fprintf(f, " encoding=%s", o->encoding);
    if (o && o->statement_of)
        fprintf(f, " statement-of=%s", o->statement_of);
    if (o && o->no_dedup)
        fputs(" dedup=no", f);
    else if (o && o->merge_window_ms)
        fprintf(f, " merge-window=%" PRId64 "s", o->merge_window_ms / 1000);
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
    if (s->report.rows_loaded == 0)
        return ft_error_set(err, FT_EINPUT,
                            "no row was loaded (%" PRId64 " read, %" PRId64 " rejected)",
                            s->report.rows_read, s->report.rows_rejected);
    if (!o || !o->no_dedup) {
        rc = ft_ingest_reconcile(s, o, err);
        if (rc != FT_OK)
            return rc;
    }
    return ft_store_finish(s, err);
}
