/*
 * mt940.c - SWIFT MT940 customer statements into transfers.
 *
 * A file holds one or more messages, each:
 *
 *   :20: reference   :25: account   :28C: statement number[/page]
 *   :60F: or :60M: opening balance (C/D, YYMMDD, currency, amount)
 *   then per entry :61: (value date YYMMDD, entry date MMDD, C/D/RC/RD,
 *   amount, type, references) and its :86: details
 *   :62F: or :62M: closing balance, then :64:, :65:, a closing :86:, '-'
 *
 * Fields may run over several lines; a field starts with ":NN[A]:" at the
 * start of a line. SWIFT block headers ("{1:...}{4:") and the trailer
 * ("-}") are skipped. The :86: field of German banks is structured:
 * a three-digit transaction code, then ?00 booking text, ?20-?29 and
 * ?60-?63 purpose (SEPA keywords EREF+ for the end-to-end id, SVWZ+ for
 * the text), ?30 BIC, ?31 IBAN, ?32-?33 the counterparty's name. Dutch
 * banks write /EREF/../REMI/../CNTP/iban/bic/name/; both are read.
 *
 * Entries are held until the statement's closing balance: if opening
 * balance + credits - debits is not the closing balance, or the fields
 * come in the wrong order, every entry of that statement is rejected with
 * a message naming it, so a statement loads whole or not at all. Memory
 * grows with one statement, not with the file.
 */
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fundtrace/csvread.h"
#include "fundtrace/store.h"
#include "fundtrace/time.h"
#include "ingest_int.h"

/* An entry while its statement is open: spans are offsets into the arena. */
struct pending {
    ft_stmt_entry e;
    size_t off[8], len[8]; /* own, cp_name, cp_iban, purpose, e2e, ref, channel, raw */
    bool reversal;
};

enum { S_OWN, S_NAME, S_IBAN, S_PURPOSE, S_E2E, S_REF, S_CHANNEL, S_RAW, S_COUNT };

struct stmt {
    bool open;    /* :20: seen, :62: not yet */
    int64_t line; /* of :20: */
    char ref[36], number[24];
    char own[64];
    int stage; /* 0 after :20:, 1 :25:, 2 :28C:, 3 :60:, 4 :62: */
    ft_currency cur;
    bool have_cur;
    __int128 opening, credits, debits;
    char problem[200]; /* the first thing wrong, or "" */
    int64_t problem_line;
    struct pending *p;
    uint32_t n, cap;
    char *arena;
    size_t used, acap;
};

struct reader {
    ft_stmt_sink *k;
    ft_error *err;
    struct stmt st;
    char *field; /* the field being gathered, tag included */
    size_t flen, fcap;
    int64_t fline;
    iconv_t cd;
    bool cd_live;
    char *conv;
    size_t conv_cap;
    int64_t bad_lines, first_bad;
    bool in_block4;
};

static ft_status grow(char **buf, size_t *cap, size_t need, ft_error *err)
{
    return ft_bytes_reserve(buf, cap, need, err);
}

static size_t arena_add(struct reader *R, const char *s, size_t len, bool *oom)
{
    struct stmt *st = &R->st;
    if (grow(&st->arena, &st->acap, st->used + len + 1, R->err) != FT_OK) {
        *oom = true;
        return 0;
    }
    memcpy(st->arena + st->used, s, len);
    st->arena[st->used + len] = '\0';
    st->used += len + 1;
    return st->used - len - 1;
}

static void problem(struct reader *R, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct reader *R, int64_t line, const char *fmt, ...)
{
    struct stmt *st = &R->st;
    if (st->problem[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->problem, sizeof st->problem, fmt, ap);
    va_end(ap);
    st->problem_line = line;
}

static void describe(const struct stmt *st, char *buf, size_t cap)
{
    snprintf(buf, cap, "statement '%s'%s%s (line %" PRId64 ")", st->ref,
             st->number[0] ? " number " : "", st->number, st->line);
}

/* Ends the open statement: commits its entries, or rejects them all. */
static ft_status close_statement(struct reader *R)
{
    struct stmt *st = &R->st;
    ft_stmt_sink *k = R->k;
    if (!st->open)
        return FT_OK;
    char who[160];
    describe(st, who, sizeof who);
    if (!st->problem[0] && st->stage < 4)
        problem(R, st->line, "ends before its closing balance (:62F:)");
    k->s->report.sources[k->src_idx].statements++;
    for (uint32_t i = 0; i < st->n && k->rc == FT_OK; i++) {
        struct pending *p = &st->p[i];
        ft_span *spans[S_COUNT - 1] = {&p->e.own, &p->e.cp_name, &p->e.cp_iban, &p->e.purpose,
                                       &p->e.e2e, &p->e.ref,     &p->e.channel};
        for (int f = 0; f < S_COUNT - 1; f++)
            *spans[f] = (ft_span){st->arena + p->off[f], p->len[f]};
        if (st->problem[0])
            ft_stmt_reject(k, p->e.line, 0, FT_REJ_RECORD, st->arena + p->off[S_RAW], p->len[S_RAW],
                           "%s: %s", who, st->problem);
        else
            ft_stmt_commit(k, &p->e);
    }
    if (st->n == 0 && st->problem[0])
        ft_stmt_reject(k, st->problem_line, 0, FT_REJ_RECORD, NULL, 0, "%s: %s", who, st->problem);
    st->open = false;
    st->n = 0;
    st->used = 0;
    return k->rc;
}

/* YYMMDD at s into ms; false when not a date. */
static bool yymmdd(const char *s, size_t len, int64_t *ms, int *y_out, int *m_out)
{
    if (len < 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    int yy = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[2] - '0') * 10 + (s[3] - '0'),
        dd = (s[4] - '0') * 10 + (s[5] - '0');
    int y = yy < 80 ? 2000 + yy : 1900 + yy;
    char iso[32];
    snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, mm, dd);
    if (!ft_time_parse(iso, 10, ms, NULL))
        return false;
    if (y_out)
        *y_out = y;
    if (m_out)
        *m_out = mm;
    return true;
}

/* An amount with a decimal comma ("1234,56") in the statement's currency. */
static bool amount(const struct stmt *st, const char *s, size_t len, int64_t *minor)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == ','))
            return false;
    ft_amount_text t;
    return len && ft_amount_read(s, len, ',', &t) == FT_MONEY_OK && !t.neg && !t.cur &&
           ft_amount_minor(&t, st->cur.exponent, minor) == FT_MONEY_OK;
}

/* :60F: / :62F: C240301EUR1234,56 */
static bool balance(struct reader *R, const char *v, size_t len, __int128 *out)
{
    struct stmt *st = &R->st;
    while (len && (v[len - 1] == '\n' || v[len - 1] == '\r' || v[len - 1] == ' '))
        len--;
    if (len < 11 || (v[0] != 'C' && v[0] != 'D'))
        return false;
    int64_t ms;
    if (!yymmdd(v + 1, len - 1, &ms, NULL, NULL))
        return false;
    ft_currency cur;
    if (!ft_currency_resolve(R->k->o->currencies, v + 7, 3, &cur))
        return false;
    if (!st->have_cur) {
        st->cur = cur;
        st->have_cur = true;
    } else if (strcmp(cur.code, st->cur.code) != 0) {
        return false;
    }
    int64_t minor;
    if (!amount(st, v + 10, len - 10, &minor))
        return false;
    *out = v[0] == 'D' ? -(__int128)minor : minor;
    return true;
}

/* German IBAN from a bank code (BLZ, 8 digits) and an account number. */
static bool blz_iban(const char *blz, size_t blen, const char *acct, size_t alen, char out[23])
{
    if (blen != 8 || alen == 0 || alen > 10)
        return false;
    char bban[19];
    memcpy(bban, blz, 8);
    memset(bban + 8, '0', 10 - alen);
    memcpy(bban + 18 - alen, acct, alen);
    for (int i = 0; i < 18; i++)
        if (bban[i] < '0' || bban[i] > '9')
            return false;
    /* ISO 7064 mod 97-10 over BBAN + "DE00" as digits (D = 13, E = 14). */
    unsigned rem = 0;
    const char *tail = "131400";
    for (int i = 0; i < 18; i++)
        rem = (rem * 10 + (unsigned)(bban[i] - '0')) % 97;
    for (int i = 0; tail[i]; i++)
        rem = (rem * 10 + (unsigned)(tail[i] - '0')) % 97;
    unsigned check = 98 - rem;
    snprintf(out, 23, "DE%02u%.18s", check, bban);
    return true;
}

/* :25: "BLZ/ACCOUNT", an IBAN, perhaps with the currency after it. */
static void own_account(struct reader *R, const char *v, size_t len)
{
    struct stmt *st = &R->st;
    while (len && (v[len - 1] == '\n' || v[len - 1] == '\r' || v[len - 1] == ' '))
        len--;
    const char *slash = memchr(v, '/', len);
    char iban[23];
    if (slash && blz_iban(v, (size_t)(slash - v), slash + 1, len - (size_t)(slash - v) - 1, iban)) {
        snprintf(st->own, sizeof st->own, "%s", iban);
        return;
    }
    /* An IBAN with its currency appended: "DE89...3000EUR". */
    if (len > 18 && len <= 37) {
        bool letters = true;
        for (size_t i = len - 3; i < len; i++)
            letters &= v[i] >= 'A' && v[i] <= 'Z';
        bool digit_before = v[len - 4] >= '0' && v[len - 4] <= '9';
        if (letters && digit_before &&
            ft_currency_iso_exponent((char[4]){v[len - 3], v[len - 2], v[len - 1], 0}) >= 0)
            len -= 3;
    }
    snprintf(st->own, sizeof st->own, "%.*s", (int)(len < 63 ? len : 63), v);
}

/* The text of one ?NN subfield group of a German :86:, appended to buf. */
static void append(char *buf, size_t cap, size_t *n, const char *s, size_t len)
{
    if (*n + len + 1 > cap)
        len = cap - *n - 1;
    memcpy(buf + *n, s, len);
    *n += len;
    buf[*n] = '\0';
}

/* A SEPA keyword's value inside the purpose ("EREF+abc SVWZ+text"): up to
 * the next four capitals and a '+'. */
static bool sepa_value(const char *p, size_t n, const char *key, const char **v, size_t *vlen)
{
    for (size_t i = 0; i + 5 <= n; i++) {
        if (memcmp(p + i, key, 5) != 0)
            continue;
        size_t s = i + 5, e = s;
        while (e < n && !(e + 5 <= n && p[e + 4] == '+' && p[e] >= 'A' && p[e] <= 'Z' &&
                          p[e + 1] >= 'A' && p[e + 1] <= 'Z' && p[e + 2] >= 'A' &&
                          p[e + 2] <= 'Z' && p[e + 3] >= 'A' && p[e + 3] <= 'Z'))
            e++;
        while (e > s && p[e - 1] == ' ')
            e--;
        *v = p + s;
        *vlen = e - s;
        return true;
    }
    return false;
}

/* Details of the last entry from its :86: field. */
static void details(struct reader *R, const char *v, size_t len)
{
    struct stmt *st = &R->st;
    if (st->n == 0)
        return;
    struct pending *p = &st->p[st->n - 1];
    /* Line breaks inside the field are not part of the text. */
    char *text = malloc(len + 1);
    if (!text) {
        R->k->rc = FT_ENOMEM;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (v[i] != '\n' && v[i] != '\r')
            text[n++] = v[i];
    text[n] = '\0';
    char purpose[1024] = "", name[256] = "", iban[64] = "", channel[64] = "";
    size_t np = 0, nn = 0, ni = 0, nc = 0;
    bool oom = false;
    if (n > 4 && text[0] >= '0' && text[0] <= '9' && text[3] == '?') {
        /* German: "166?00SEPA-UEBERWEISUNG?20EREF+...?32Name" */
        const char *q = text + 3, *end = text + n;
        while (q < end) {
            if (*q != '?' || end - q < 3) {
                q++;
                continue;
            }
            int code = (q[1] - '0') * 10 + (q[2] - '0');
            const char *s = q + 3, *e = s;
            while (e < end && !(*e == '?' && end - e >= 3 && e[1] >= '0' && e[1] <= '9' &&
                                e[2] >= '0' && e[2] <= '9'))
                e++;
            size_t l = (size_t)(e - s);
            if ((code >= 20 && code <= 29) || (code >= 60 && code <= 63))
                append(purpose, sizeof purpose, &np, s, l);
            else if (code == 32 || code == 33)
                append(name, sizeof name, &nn, s, l);
            else if (code == 31)
                append(iban, sizeof iban, &ni, s, l);
            else if (code == 0)
                append(channel, sizeof channel, &nc, s, l);
            q = e;
        }
        const char *kv;
        size_t kv_len;
        if (sepa_value(purpose, np, "EREF+", &kv, &kv_len)) {
            p->off[S_E2E] = arena_add(R, kv, kv_len, &oom);
            p->len[S_E2E] = kv_len;
        }
        if (sepa_value(purpose, np, "SVWZ+", &kv, &kv_len)) {
            memmove(purpose, kv, kv_len);
            np = kv_len;
            purpose[np] = '\0';
        }
    } else if (n > 1 && text[0] == '/') {
        /* Dutch: /EREF/x/REMI/text/CNTP/iban/bic/name/city/ */
        const char *q = text, *end = text + n;
        while (q < end && *q == '/') {
            const char *k = q + 1, *ke = memchr(k, '/', (size_t)(end - k));
            if (!ke)
                break;
            const char *s = ke + 1, *e = memchr(s, '/', (size_t)(end - s));
            if (!e)
                e = end;
            size_t kl = (size_t)(ke - k);
            if (kl == 4 && memcmp(k, "EREF", 4) == 0) {
                p->off[S_E2E] = arena_add(R, s, (size_t)(e - s), &oom);
                p->len[S_E2E] = (size_t)(e - s);
            } else if (kl == 4 && memcmp(k, "REMI", 4) == 0) {
                append(purpose, sizeof purpose, &np, s, (size_t)(e - s));
            } else if (kl == 4 && memcmp(k, "CNTP", 4) == 0) {
                append(iban, sizeof iban, &ni, s, (size_t)(e - s));
                const char *b = e < end ? e + 1 : end; /* bic */
                const char *be = b < end ? memchr(b, '/', (size_t)(end - b)) : NULL;
                if (be) {
                    const char *nm = be + 1, *nme = memchr(nm, '/', (size_t)(end - nm));
                    if (!nme)
                        nme = end;
                    append(name, sizeof name, &nn, nm, (size_t)(nme - nm));
                    e = nme;
                    /* skip the city too */
                    const char *c2 =
                        nme < end ? memchr(nme + 1, '/', (size_t)(end - nme - 1)) : NULL;
                    if (c2)
                        e = c2;
                }
            } else if (kl == 4 && memcmp(k, "NAME", 4) == 0) {
                append(name, sizeof name, &nn, s, (size_t)(e - s));
            } else if (kl == 4 && memcmp(k, "IBAN", 4) == 0) {
                append(iban, sizeof iban, &ni, s, (size_t)(e - s));
            }
            q = e;
        }
    } else {
        append(purpose, sizeof purpose, &np, text, n);
    }
    free(text);
    struct {
        int slot;
        const char *s;
        size_t len;
    } set[] = {
        {S_PURPOSE, purpose, np}, {S_NAME, name, nn}, {S_IBAN, iban, ni}, {S_CHANNEL, channel, nc}};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        if (!set[i].len)
            continue;
        p->off[set[i].slot] = arena_add(R, set[i].s, set[i].len, &oom);
        p->len[set[i].slot] = set[i].len;
    }
    if (oom)
        R->k->rc = FT_ENOMEM;
}

/* :61: 2403010301D100,00NTRFNONREF//BANKREF
 *      [supplementary details on the next line] */
/* Makes room for one more entry of the open statement. */
static struct pending *new_pending(struct reader *R)
{
    struct stmt *st = &R->st;
    if (st->n == st->cap) {
        uint32_t cap = st->cap ? st->cap * 2 : 64;
        struct pending *np = realloc(st->p, cap * sizeof *np);
        if (!np) {
            R->k->rc = ft_error_oom(R->err);
            return NULL;
        }
        st->p = np;
        st->cap = cap;
    }
    struct pending *p = &st->p[st->n++];
    memset(p, 0, sizeof *p);
    return p;
}

/* An entry that cannot be read: kept so that it is counted and rejected
 * with its statement (whose problem is set). */
static void unreadable(struct reader *R, const char *v, size_t len)
{
    struct pending *p = new_pending(R);
    if (!p)
        return;
    bool oom = false;
    p->e.line = R->fline;
    p->off[S_RAW] = arena_add(R, v, len, &oom);
    p->len[S_RAW] = len;
    for (int f = 0; f < S_RAW; f++)
        p->off[f] = p->off[S_RAW];
    if (oom)
        R->k->rc = FT_ENOMEM;
}

static void entry(struct reader *R, const char *v, size_t len)
{
    struct stmt *st = &R->st;
    int64_t line = R->fline;
    if (st->stage != 3) {
        problem(R, line, "entry :61: at line %" PRId64 " is outside the balances (%s)", line,
                st->stage < 3 ? "before the opening balance :60F:"
                              : "after the closing balance :62F:");
        unreadable(R, v, len);
        return;
    }
    size_t first = 0;
    while (first < len && v[first] != '\n' && v[first] != '\r')
        first++;
    int64_t value_ms, booking_ms;
    int y, m;
    if (!yymmdd(v, first, &value_ms, &y, &m)) {
        problem(R, line, ":61: at line %" PRId64 " does not start with a value date YYMMDD", line);
        unreadable(R, v, len);
        return;
    }
    size_t i = 6;
    booking_ms = value_ms;
    if (i + 4 <= first && v[i] >= '0' && v[i] <= '9') {
        int bm = (v[i] - '0') * 10 + (v[i + 1] - '0');
        int by = y + (m == 12 && bm == 1) - (m == 1 && bm == 12);
        char iso[32];
        snprintf(iso, sizeof iso, "%04d-%.2s-%.2s", by, v + i, v + i + 2);
        if (!ft_time_parse(iso, 10, &booking_ms, NULL)) {
            problem(R, line, ":61: at line %" PRId64 " has an impossible entry date '%.4s'", line,
                    v + i);
            unreadable(R, v, len);
            return;
        }
        i += 4;
    }
    bool reversal = i < first && v[i] == 'R';
    i += reversal;
    if (i >= first || (v[i] != 'C' && v[i] != 'D')) {
        problem(R, line, ":61: at line %" PRId64 " has no debit/credit mark (C, D, RC, RD)", line);
        unreadable(R, v, len);
        return;
    }
    bool credit = v[i++] == 'C';
    if (i < first && v[i] >= 'A' && v[i] <= 'Z')
        i++; /* funds code */
    size_t a = i;
    while (i < first && ((v[i] >= '0' && v[i] <= '9') || v[i] == ','))
        i++;
    int64_t minor;
    if (!st->have_cur || !amount(st, v + a, i - a, &minor)) {
        problem(R, line, ":61: at line %" PRId64 " has no amount with a decimal comma", line);
        unreadable(R, v, len);
        return;
    }
    /* Type (N/F/S + 3 characters), then references. */
    size_t type = i;
    if (i + 4 <= first)
        i += 4;
    const char *ref = v + i, *bank = NULL;
    size_t ref_len = first - i, bank_len = 0;
    const char *sl = ref_len >= 2 ? strstr(ref, "//") : NULL;
    if (sl && sl < v + first) {
        bank = sl + 2;
        bank_len = (size_t)(v + first - bank);
        ref_len = (size_t)(sl - ref);
    }
    /* A debit of the account is money out; a reversal turns it round. */
    bool debit = !credit;
    if (reversal)
        debit = !debit;
    if (debit)
        st->debits += minor;
    else
        st->credits += minor;
    struct pending *p = new_pending(R);
    if (!p)
        return;
    p->e.line = line;
    p->e.booking_ms = booking_ms;
    p->e.value_ms = value_ms;
    p->e.amount = minor;
    p->e.debit = debit;
    p->e.cur = st->cur;
    p->reversal = reversal;
    bool oom = false;
    /* The bank's reference identifies the entry; else the customer's. */
    const char *id = bank_len ? bank : ref;
    size_t id_len = bank_len ? bank_len : ref_len;
    while (id_len && id[id_len - 1] == ' ')
        id_len--;
    p->off[S_OWN] = arena_add(R, st->own, strlen(st->own), &oom);
    p->len[S_OWN] = strlen(st->own);
    p->off[S_REF] = arena_add(R, id, id_len, &oom);
    p->len[S_REF] = id_len;
    size_t tl = type + 4 <= first ? 4 : 0;
    p->off[S_CHANNEL] = arena_add(R, v + type, tl, &oom);
    p->len[S_CHANNEL] = tl;
    p->off[S_RAW] = arena_add(R, v, len, &oom);
    p->len[S_RAW] = len;
    for (int f = 0; f < S_COUNT; f++)
        if (p->len[f] == 0)
            p->off[f] = p->off[S_RAW]; /* any valid pointer for an empty span */
    if (oom)
        R->k->rc = FT_ENOMEM;
}

/* One whole field, tag and value. */
static void field(struct reader *R, const char *f, size_t len)
{
    struct stmt *st = &R->st;
    const char *colon = len > 1 ? memchr(f + 1, ':', len - 1) : NULL;
    if (!colon)
        return;
    size_t tl = (size_t)(colon - f - 1);
    char tag[8];
    snprintf(tag, sizeof tag, "%.*s", (int)(tl < 7 ? tl : 7), f + 1);
    const char *v = colon + 1;
    size_t vl = len - (size_t)(v - f);
    int64_t line = R->fline;
    if (strcmp(tag, "20") == 0) {
        if (st->open)
            close_statement(R);
        st->open = true;
        st->line = line;
        st->stage = 0;
        st->have_cur = false;
        st->opening = st->credits = st->debits = 0;
        st->problem[0] = '\0';
        st->number[0] = st->own[0] = '\0';
        size_t n = strcspn(v, "\r\n");
        snprintf(st->ref, sizeof st->ref, "%.*s", (int)(n < 35 ? n : 35), v);
        return;
    }
    if (!st->open) {
        /* A field outside a statement: one record rejected. */
        ft_stmt_reject(R->k, line, 0, FT_REJ_RECORD, f, len,
                       "field :%s: comes before any statement's :20:", tag);
        return;
    }
    if (strcmp(tag, "25") == 0) {
        if (st->stage != 0)
            problem(R, line, "field :25: at line %" PRId64 " is out of order", line);
        own_account(R, v, vl);
        st->stage = 1;
    } else if (strcmp(tag, "28C") == 0 || strcmp(tag, "28") == 0) {
        if (st->stage != 1)
            problem(R, line,
                    "field :%s: at line %" PRId64 " is out of order (expected after "
                    ":25:)",
                    tag, line);
        size_t n = strcspn(v, "\r\n");
        snprintf(st->number, sizeof st->number, "%.*s", (int)(n < 23 ? n : 23), v);
        st->stage = 2;
    } else if (strcmp(tag, "60F") == 0 || strcmp(tag, "60M") == 0) {
        if (st->stage != 2)
            problem(R, line,
                    "field :%s: at line %" PRId64 " is out of order (expected after "
                    ":28C:)",
                    tag, line);
        if (!balance(R, v, vl, &st->opening))
            problem(R, line,
                    "opening balance :%s: at line %" PRId64 " is not C/D, YYMMDD, a "
                    "currency and an amount",
                    tag, line);
        st->stage = 3;
    } else if (strcmp(tag, "61") == 0) {
        entry(R, v, vl);
    } else if (strcmp(tag, "86") == 0) {
        if (st->stage == 3)
            details(R, v, vl);
    } else if (strcmp(tag, "62F") == 0 || strcmp(tag, "62M") == 0) {
        __int128 closing = 0;
        if (st->stage != 3) {
            problem(R, line, "closing balance :%s: at line %" PRId64 " is out of order", tag, line);
        } else if (!balance(R, v, vl, &closing)) {
            problem(R, line,
                    "closing balance :%s: at line %" PRId64 " is not C/D, YYMMDD, a "
                    "currency and an amount",
                    tag, line);
        } else if (st->opening + st->credits - st->debits != closing) {
            char o[48], c[48], d[48], want[48], got[48];
            int e = st->cur.exponent;
            ft_money_format(st->opening, e, o, sizeof o);
            ft_money_format(st->credits, e, c, sizeof c);
            ft_money_format(st->debits, e, d, sizeof d);
            ft_money_format(st->opening + st->credits - st->debits, e, want, sizeof want);
            ft_money_format(closing, e, got, sizeof got);
            problem(R, line,
                    "balances do not add up: opening %s + credits %s - debits %s = %s %s, but "
                    "the closing balance (line %" PRId64 ") is %s",
                    o, c, d, want, st->cur.code, line, got);
        }
        st->stage = 4;
    }
    /* :21:, :13D:, :64:, :65:, :90D:, :90C: and the like carry nothing we keep. */
}

static void flush_field(struct reader *R)
{
    if (R->flen) {
        R->field[R->flen] = '\0';
        field(R, R->field, R->flen);
    }
    R->flen = 0;
}

/* Transcodes a line from --encoding into R->conv. */
static bool convert(struct reader *R, char **line, size_t *len)
{
    size_t need = *len * 4 + 8;
    if (ft_bytes_reserve(&R->conv, &R->conv_cap, need, R->err) != FT_OK)
        return false;
    char *in = *line, *out = R->conv;
    size_t inleft = *len, outleft = need;
    while (inleft) {
        if (iconv(R->cd, &in, &inleft, &out, &outleft) != (size_t)-1)
            break;
        *out++ = '?';
        outleft--;
        in++;
        inleft--;
    }
    *line = R->conv;
    *len = (size_t)(out - R->conv);
    return true;
}

ft_status ft_mt940_read(ft_stmt_sink *k, FILE *f, ft_error *err)
{
    struct reader R = {.k = k, .err = err};
    ft_status rc = FT_OK;
    const char *enc = k->o->encoding;
    if (enc && strcasecmp(enc, "utf-8") != 0 && strcasecmp(enc, "utf8") != 0) {
        if ((rc = ft_csv_encoding_check(enc, err)) != FT_OK)
            return rc;
        R.cd = iconv_open("UTF-8", strcasecmp(enc, "cp1252") == 0   ? "CP1252"
                                   : strcasecmp(enc, "latin1") == 0 ? "ISO-8859-1"
                                                                    : enc);
        if (R.cd == (iconv_t)-1)
            return ft_csv_encoding_check(enc, err);
        R.cd_live = true;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int64_t lineno = 0;
    while (k->rc == FT_OK && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *l = line;
        size_t n = (size_t)got;
        if (lineno == 1 && n >= 3 && (unsigned char)l[0] == 0xEF && (unsigned char)l[1] == 0xBB &&
            (unsigned char)l[2] == 0xBF)
            l += 3, n -= 3;
        if (memchr(l, '\0', n)) {
            ft_stmt_reject(k, lineno, 0, FT_REJ_NUL, l, n, "line holds a NUL byte");
            continue;
        }
        if (R.cd_live && !convert(&R, &l, &n)) {
            rc = FT_ENOMEM;
            break;
        }
        uint32_t state = 0;
        if (!R.cd_live && (!ft_utf8_valid((const unsigned char *)l, n, &state) || state))
            if (R.bad_lines++ == 0)
                R.first_bad = lineno;
        /* Block headers "{1:...}{2:...}{4:" before the first field. */
        while (n && l[0] == '{') {
            char *close = memchr(l, '}', n);
            char *four = n >= 3 && memcmp(l, "{4:", 3) == 0 ? l : NULL;
            if (four) {
                l += 3;
                n -= 3;
                break;
            }
            if (!close)
                break;
            n -= (size_t)(close + 1 - l);
            l = close + 1;
        }
        size_t t = n;
        while (t && (l[t - 1] == '\n' || l[t - 1] == '\r'))
            t--;
        if ((t == 1 && l[0] == '-') || (t >= 2 && l[0] == '-' && l[1] == '}')) {
            flush_field(&R);
            close_statement(&R);
            continue;
        }
        if (t == 0)
            continue;
        if (l[0] == ':' && t > 2 && memchr(l + 1, ':', t - 1)) {
            flush_field(&R);
            R.fline = lineno;
        } else if (R.flen == 0) {
            ft_stmt_reject(k, lineno, 0, FT_REJ_RECORD, l, n,
                           "line is not an MT940 field (':NN:') nor the continuation of one");
            continue;
        }
        if (ft_bytes_reserve(&R.field, &R.fcap, R.flen + t + 2, err) != FT_OK) {
            rc = FT_ENOMEM;
            break;
        }
        memcpy(R.field + R.flen, l, t);
        R.flen += t;
        R.field[R.flen++] = '\n';
    }
    if (rc == FT_OK && ferror(f))
        rc = ft_error_errno(err, FT_EIO, "read", k->path);
    if (rc == FT_OK && k->rc == FT_OK) {
        flush_field(&R);
        close_statement(&R);
    }
    ft_source *src = &k->s->report.sources[k->src_idx];
    src->bad_text_lines = R.bad_lines;
    src->first_bad_text_line = R.first_bad;
    if (R.bad_lines)
        ft_stmt_note(k,
                     "%" PRId64 " line%s not valid UTF-8 (the first is line %" PRId64
                     "); the bytes are kept as they are: if the file is Windows-1252 or "
                     "Latin-1, load it with --encoding cp1252 or --encoding latin1",
                     R.bad_lines, R.bad_lines == 1 ? " is" : "s are", R.first_bad);
    if (rc == FT_OK && k->rc == FT_OK && src->statements == 0)
        rc = ft_error_set(err, FT_EINPUT, "%s: holds no MT940 statement (no :20: field)", k->path);
    if (rc == FT_OK && k->rc != FT_OK)
        rc = k->rc;
    if (rc == FT_ENOMEM && err && !err->msg[0])
        ft_error_oom(err);
    free(line);
    free(R.field);
    free(R.conv);
    free(R.st.p);
    free(R.st.arena);
    if (R.cd_live)
        iconv_close(R.cd);
    return rc;
}
