/*
 * camt.c - ISO 20022 bank-to-customer statements (camt.053), reports
 * (camt.052) and notifications (camt.054) into transfers.
 *
 * Streamed with libxml2's xmlTextReader: one node at a time, nothing of
 * the document kept but the path of open elements and the fields of the
 * entry being read, so memory does not grow with the file. Elements are
 * matched by local name, whatever the namespace (001.02 to 001.12 differ
 * in it and in a few wrappers: Sts/Cd, Pty/Nm, TxDtls/Amt, all read).
 *
 * Per statement (Stmt, Rpt or Ntfctn): the account (Acct/Id/IBAN or
 * Othr/Id), the balances (OPBD or PRCD, and CLBD), and the entries
 * (Ntry). An entry becomes one transfer, or with batch details
 * (NtryDtls/TxDtls, each with its own amount) one transfer per detail,
 * whose amounts must add up to the entry's. The counterparty of a credit
 * is the debtor (Dbtr, DbtrAcct), of a debit the creditor. Only booked
 * entries count (Sts BOOK, or none); pending ones are counted in a note.
 *
 * Our checks in place of the schema: a statement names its account
 * before its balances and entries, balances come before entries, an entry
 * has an amount, a credit/debit indicator and a date; opening + credits -
 * debits = closing. A statement that fails one has every entry rejected
 * with a message naming it; XML that is not well-formed (a truncated
 * file) stops the load with the parser's line.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "fundtrace/store.h"
#include "fundtrace/time.h"
#include "ingest_int.h"

#define MAX_DEPTH 64
#define MAX_TEXT  1024

/* The elements we look at, by local name. libxml2 interns names in its
 * dictionary, so an element is matched by comparing pointers. */
enum tag {
    T_OTHER,
    T_Acct,
    T_AcctSvcrRef,
    T_AddtlNtryInf,
    T_Amt,
    T_AmtDtls,
    T_Bal,
    T_BkTxCd,
    T_BookgDt,
    T_Ccy,
    T_Cd,
    T_CdOrPrtry,
    T_CdtDbtInd,
    T_Cdtr,
    T_CdtrAcct,
    T_Dbtr,
    T_DbtrAcct,
    T_Domn,
    T_Dt,
    T_DtTm,
    T_EndToEndId,
    T_Fmly,
    T_IBAN,
    T_Id,
    T_Nm,
    T_Ntfctn,
    T_Ntry,
    T_NtryRef,
    T_Othr,
    T_Prtry,
    T_Refs,
    T_RltdPties,
    T_RmtInf,
    T_Rpt,
    T_Stmt,
    T_Sts,
    T_SubFmlyCd,
    T_Tp,
    T_TxAmt,
    T_TxDtls,
    T_UltmtCdtr,
    T_UltmtDbtr,
    T_Ustrd,
    T_ValDt,
    T_COUNT
};

static const char *const tag_names[T_COUNT] = {
    NULL,       "Acct",      "AcctSvcrRef", "AddtlNtryInf", "Amt",       "AmtDtls",   "Bal",
    "BkTxCd",   "BookgDt",   "Ccy",         "Cd",           "CdOrPrtry", "CdtDbtInd", "Cdtr",
    "CdtrAcct", "Dbtr",      "DbtrAcct",    "Domn",         "Dt",        "DtTm",      "EndToEndId",
    "Fmly",     "IBAN",      "Id",          "Nm",           "Ntfctn",    "Ntry",      "NtryRef",
    "Othr",     "Prtry",     "Refs",        "RltdPties",    "RmtInf",    "Rpt",       "Stmt",
    "Sts",      "SubFmlyCd", "Tp",          "TxAmt",        "TxDtls",    "UltmtCdtr", "UltmtDbtr",
    "Ustrd",    "ValDt",
};

/* The fields of one transaction (an entry, or one of its details). */
struct tx {
    int64_t line;
    int64_t amount;
    bool have_amount;
    char cur[4];
    int dir; /* 1 credit, -1 debit, 0 not given */
    char e2e[64], ref[64], dbtr[141], cdtr[141], dbtr_iban[40], cdtr_iban[40], purpose[512];
};

/* A transfer read, held until its statement's balances are checked. */
struct held {
    ft_stmt_entry e;
    size_t off[7], len[7]; /* cp_name, cp_iban, purpose, e2e, ref, channel, own */
};

struct reader {
    ft_stmt_sink *k;
    ft_error *err;
    xmlTextReaderPtr xr;
    uint8_t path[MAX_DEPTH]; /* enum tag of each open element */
    const xmlChar *names[T_COUNT];
    int depth;
    char text[MAX_TEXT];
    size_t tlen;
    /* The statement. */
    bool in_stmt;
    int64_t stmt_line;
    char stmt_id[64], own[64], own_cur[4];
    bool have_open, have_close, seen_entry;
    char bal_type[8], bal_cur[4];
    int64_t bal_amount;
    int bal_dir;
    __int128 opening, closing, credits, debits;
    int exponent;
    char problem[240];
    struct held *h;
    uint32_t n, cap;
    char *arena;
    size_t used, acap;
    int64_t pending;
    /* The entry. */
    bool in_entry;
    struct tx entry, detail;
    bool in_detail;
    int ndetails;
    int64_t detail_sum;
    bool details_have_amounts;
    char status[8], channel[64];
    int64_t booking_ms, value_ms;
    bool booking_zoned;
    bool entry_bad;
    char entry_problem[200];
    /* Details are committed when the entry closes (its status and dates
     * may come after them): held here meanwhile. */
    struct tx *dets;
    uint32_t ndets, dets_cap;
};

static bool at(const struct reader *R, int up, int tag)
{
    return R->depth - 1 - up >= 0 && R->path[R->depth - 1 - up] == tag;
}

/* True when the open element's path ends with the given tags, last first
 * (T_OTHER: any). */
static bool ends(const struct reader *R, int a, int b, int c)
{
    return at(R, 0, a) && (!b || at(R, 1, b)) && (!c || at(R, 2, c));
}

static bool inside(const struct reader *R, int tag)
{
    for (int i = 0; i < R->depth; i++)
        if (R->path[i] == tag)
            return true;
    return false;
}

static int tag_of(const struct reader *R, const xmlChar *name)
{
    for (int t = 1; t < T_COUNT; t++)
        if (R->names[t] == name)
            return t;
    return T_OTHER;
}

static void copy(char *dst, size_t cap, const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++, len--;
    while (len &&
           (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == '\t'))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

static void stmt_problem(struct reader *R, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void stmt_problem(struct reader *R, const char *fmt, ...)
{
    if (R->problem[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(R->problem, sizeof R->problem, fmt, ap);
    va_end(ap);
}

static size_t arena_add(struct reader *R, const char *s, bool *oom)
{
    size_t len = strlen(s);
    if (ft_bytes_reserve(&R->arena, &R->acap, R->used + len + 1, R->err) != FT_OK) {
        *oom = true;
        return 0;
    }
    memcpy(R->arena + R->used, s, len + 1);
    R->used += len + 1;
    return R->used - len - 1;
}

/* The line of the node being read (the parser itself reads ahead). */
static int64_t line(const struct reader *R)
{
    xmlNodePtr node = xmlTextReaderCurrentNode(R->xr);
    long l = node ? xmlGetLineNo(node) : -1;
    return l > 0 ? l : xmlTextReaderGetParserLineNumber(R->xr);
}

/* Holds one transfer of the current entry. */
static void hold(struct reader *R, const struct tx *t, int64_t amount, bool debit)
{
    if (R->n == R->cap) {
        uint32_t cap = R->cap ? R->cap * 2 : 64;
        struct held *p = realloc(R->h, cap * sizeof *p);
        if (!p) {
            R->k->rc = ft_error_oom(R->err);
            return;
        }
        R->h = p;
        R->cap = cap;
    }
    struct held *h = &R->h[R->n++];
    memset(h, 0, sizeof *h);
    h->e.line = t->line;
    h->e.booking_ms = R->booking_ms;
    h->e.value_ms = R->value_ms;
    h->e.zoned = R->booking_zoned;
    h->e.amount = amount;
    h->e.debit = debit;
    ft_currency_resolve(R->k->o->currencies, t->cur[0] ? t->cur : R->entry.cur, 3, &h->e.cur);
    bool oom = false;
    const char *name = debit ? t->cdtr : t->dbtr, *iban = debit ? t->cdtr_iban : t->dbtr_iban;
    /* A detail without its own parties takes the entry's. */
    if (!name[0] && !iban[0] && t != &R->entry) {
        name = debit ? R->entry.cdtr : R->entry.dbtr;
        iban = debit ? R->entry.cdtr_iban : R->entry.dbtr_iban;
    }
    const char *purpose = t->purpose[0] ? t->purpose : R->entry.purpose;
    const char *e2e = t->e2e[0] ? t->e2e : R->entry.e2e;
    const char *ref = t->ref[0] ? t->ref : R->entry.ref;
    const char *v[7] = {name, iban, purpose, e2e, ref, R->channel, R->own};
    for (int i = 0; i < 7; i++) {
        h->off[i] = arena_add(R, v[i], &oom);
        h->len[i] = strlen(v[i]);
    }
    if (oom)
        R->k->rc = FT_ENOMEM;
    if (debit)
        R->debits += amount;
    else
        R->credits += amount;
}

static void end_entry(struct reader *R)
{
    R->in_entry = false;
    if (R->k->rc != FT_OK)
        return;
    struct tx *e = &R->entry;
    const char *why = R->entry_bad      ? R->entry_problem
                      : !e->have_amount ? "has no amount (Amt)"
                      : !e->dir         ? "has no credit/debit indicator (CdtDbtInd)"
                      : R->booking_ms == FT_TIME_NONE && R->value_ms == FT_TIME_NONE
                          ? "has no booking or value date (BookgDt, ValDt)"
                          : NULL;
    if (!why && R->status[0] && strcmp(R->status, "BOOK") != 0) {
        R->pending++; /* pending or informational: not a booking */
        return;
    }
    if (why) {
        ft_stmt_reject(R->k, e->line, 0, FT_REJ_RECORD, NULL, 0,
                       "entry (Ntry) at line %" PRId64 " %s", e->line, why);
        /* Its amount is unknown: the balances cannot be checked. */
        stmt_problem(R,
                     "entry at line %" PRId64 " could not be read, so the balances cannot be "
                     "checked",
                     e->line);
        return;
    }
    if (R->booking_ms == FT_TIME_NONE) {
        R->booking_ms = R->value_ms;
        R->value_ms = FT_TIME_NONE;
    }
    bool split = R->ndets > 1 || (R->ndets == 1 && R->dets[0].have_amount);
    if (split) {
        int64_t sum = 0;
        bool all = true;
        for (uint32_t i = 0; i < R->ndets; i++) {
            all &= R->dets[i].have_amount;
            sum += R->dets[i].have_amount ? R->dets[i].amount : 0;
        }
        if (!all || sum != e->amount) {
            char a[48], b[48];
            ft_money_format(sum, R->exponent, a, sizeof a);
            ft_money_format(e->amount, R->exponent, b, sizeof b);
            ft_stmt_reject(R->k, e->line, 0, FT_REJ_RECORD, NULL, 0,
                           "entry (Ntry) at line %" PRId64 " has %u batch details (TxDtls) "
                           "that %s %s, but the entry's amount is %s",
                           e->line, R->ndets, all ? "add up to" : "do not all give an amount:",
                           all ? a : "their sum is unknown", b);
            stmt_problem(R, "entry at line %" PRId64 " could not be split into its details",
                         e->line);
            return;
        }
        for (uint32_t i = 0; i < R->ndets; i++) {
            int dir = R->dets[i].dir ? R->dets[i].dir : e->dir;
            if (dir != e->dir) {
                ft_stmt_reject(R->k, R->dets[i].line, 0, FT_REJ_RECORD, NULL, 0,
                               "batch detail (TxDtls) at line %" PRId64 " is a %s in a %s entry",
                               R->dets[i].line, dir < 0 ? "debit" : "credit",
                               e->dir < 0 ? "debit" : "credit");
                stmt_problem(R, "entry at line %" PRId64 " mixes debits and credits", e->line);
                continue;
            }
            hold(R, &R->dets[i], R->dets[i].amount, dir < 0);
        }
        return;
    }
    uint32_t held = R->n;
    hold(R, R->ndets == 1 ? &R->dets[0] : e, e->amount, e->dir < 0);
    if (R->ndets == 1 && R->n > held) /* the entry's amount on the detail's parties */
        R->h[R->n - 1].e.line = e->line;
}

static void end_statement(struct reader *R)
{
    ft_stmt_sink *k = R->k;
    R->in_stmt = false;
    k->s->report.sources[k->src_idx].statements++;
    if (!R->problem[0] && R->have_open && R->have_close &&
        R->opening + R->credits - R->debits != R->closing) {
        char o[48], c[48], d[48], want[48], got[48];
        ft_money_format(R->opening, R->exponent, o, sizeof o);
        ft_money_format(R->credits, R->exponent, c, sizeof c);
        ft_money_format(R->debits, R->exponent, d, sizeof d);
        ft_money_format(R->opening + R->credits - R->debits, R->exponent, want, sizeof want);
        ft_money_format(R->closing, R->exponent, got, sizeof got);
        stmt_problem(R,
                     "balances do not add up: opening %s + credits %s - debits %s = %s %s, but "
                     "the closing balance (CLBD) is %s",
                     o, c, d, want, R->own_cur, got);
    }
    for (uint32_t i = 0; i < R->n && k->rc == FT_OK; i++) {
        struct held *h = &R->h[i];
        ft_span *s[7] = {&h->e.cp_name, &h->e.cp_iban, &h->e.purpose, &h->e.e2e,
                         &h->e.ref,     &h->e.channel, &h->e.own};
        for (int f = 0; f < 7; f++)
            *s[f] = (ft_span){R->arena + h->off[f], h->len[f]};
        if (R->problem[0])
            ft_stmt_reject(k, h->e.line, 0, FT_REJ_RECORD, NULL, 0,
                           "statement '%s' (line %" PRId64 "): %s", R->stmt_id, R->stmt_line,
                           R->problem);
        else
            ft_stmt_commit(k, &h->e);
    }
    if (R->n == 0 && R->problem[0])
        ft_stmt_reject(k, R->stmt_line, 0, FT_REJ_RECORD, NULL, 0,
                       "statement '%s' (line %" PRId64 "): %s", R->stmt_id, R->stmt_line,
                       R->problem);
    R->n = 0;
    R->used = 0;
}

static bool is_statement(int tag)
{
    return tag == T_Stmt || tag == T_Rpt || tag == T_Ntfctn;
}

static void start_element(struct reader *R, int name)
{
    if (is_statement(name) && !R->in_stmt) {
        R->in_stmt = true;
        R->stmt_line = line(R);
        R->stmt_id[0] = R->own[0] = R->own_cur[0] = R->problem[0] = '\0';
        R->have_open = R->have_close = R->seen_entry = false;
        R->opening = R->closing = R->credits = R->debits = 0;
        R->exponent = 2;
        return;
    }
    if (!R->in_stmt)
        return;
    if (name == T_Bal && R->depth >= 2 && is_statement(R->path[R->depth - 2])) {
        if (R->seen_entry)
            stmt_problem(R, "a balance (Bal) at line %" PRId64 " comes after the entries", line(R));
        if (!R->own[0])
            stmt_problem(R,
                         "a balance (Bal) at line %" PRId64 " comes before the account "
                         "(Acct)",
                         line(R));
        R->bal_type[0] = R->bal_cur[0] = '\0';
        R->bal_dir = 0;
        R->bal_amount = 0;
    } else if (name == T_Ntry) {
        if (!R->own[0])
            stmt_problem(R,
                         "an entry (Ntry) at line %" PRId64 " comes before the account "
                         "(Acct)",
                         line(R));
        R->seen_entry = true;
        R->in_entry = true;
        memset(&R->entry, 0, sizeof R->entry);
        R->entry.line = line(R);
        R->ndets = 0;
        R->status[0] = R->channel[0] = '\0';
        R->booking_ms = R->value_ms = FT_TIME_NONE;
        R->booking_zoned = false;
        R->entry_bad = false;
    } else if (name == T_TxDtls && R->in_entry) {
        if (R->ndets == R->dets_cap) {
            uint32_t cap = R->dets_cap ? R->dets_cap * 2 : 8;
            struct tx *p = realloc(R->dets, cap * sizeof *p);
            if (!p) {
                R->k->rc = ft_error_oom(R->err);
                return;
            }
            R->dets = p;
            R->dets_cap = cap;
        }
        R->in_detail = true;
        memset(&R->dets[R->ndets], 0, sizeof R->dets[0]);
        R->dets[R->ndets].line = line(R);
        R->ndets++;
    }
}

/* The Ccy attribute of the open element, into cur. */
static void currency_attr(struct reader *R, char cur[4])
{
    xmlChar *c = xmlTextReaderGetAttribute(R->xr, (const xmlChar *)"Ccy");
    if (c) {
        copy(cur, 4, (const char *)c, strlen((const char *)c));
        xmlFree(c);
    }
}

static bool amount(struct reader *R, const char *cur, const char *text, int64_t *out)
{
    ft_currency c;
    if (!ft_currency_resolve(R->k->o->currencies, cur, strlen(cur), &c))
        return false;
    R->exponent = c.exponent;
    ft_money_error why;
    return ft_money_parse(text, strlen(text), c.exponent, out, &why);
}

static bool date(const char *text, int64_t *ms, bool *zoned)
{
    ft_time_error why;
    return ft_time_parse_zoned(text, strlen(text), ms, zoned, &why);
}

/* An element closed, with its text in R->text. */
static void end_element(struct reader *R)
{
    int name = R->path[R->depth - 1];
    char v[MAX_TEXT];
    copy(v, sizeof v, R->text, R->tlen);
    if (!R->in_stmt)
        return;
    if (is_statement(name) && R->depth >= 1) {
        end_statement(R);
        return;
    }
    struct tx *t = R->in_detail && R->ndets ? &R->dets[R->ndets - 1] : &R->entry;
    /* The statement's own fields. */
    if (!R->in_entry) {
        if (name == T_Id && R->depth >= 2 && is_statement(R->path[R->depth - 2]))
            copy(R->stmt_id, sizeof R->stmt_id, v, strlen(v));
        else if ((ends(R, T_IBAN, T_Id, T_Acct) || ends(R, T_Id, T_Othr, T_Id)) &&
                 inside(R, T_Acct) && !R->own[0])
            copy(R->own, sizeof R->own, v, strlen(v));
        else if (ends(R, T_Ccy, T_Acct, T_OTHER))
            copy(R->own_cur, sizeof R->own_cur, v, strlen(v));
        else if (ends(R, T_Cd, T_CdOrPrtry, T_Tp) && inside(R, T_Bal))
            copy(R->bal_type, sizeof R->bal_type, v, strlen(v));
        else if (ends(R, T_CdtDbtInd, T_Bal, T_OTHER))
            R->bal_dir = strcmp(v, "CRDT") == 0 ? 1 : strcmp(v, "DBIT") == 0 ? -1 : 0;
        else if (ends(R, T_Amt, T_Bal, T_OTHER) && !amount(R, R->bal_cur, v, &R->bal_amount))
            stmt_problem(R,
                         "balance amount '%.40s' at line %" PRId64 " is not an amount in "
                         "'%s'",
                         v, line(R), R->bal_cur);
        else if (name == T_Bal && R->bal_dir) {
            __int128 b = R->bal_dir < 0 ? -(__int128)R->bal_amount : R->bal_amount;
            if (strcmp(R->bal_type, "OPBD") == 0 || strcmp(R->bal_type, "PRCD") == 0) {
                R->opening = b;
                R->have_open = true;
            } else if (strcmp(R->bal_type, "CLBD") == 0) {
                R->closing = b;
                R->have_close = true;
            }
        }
        return;
    }
    if (name == T_Ntry) {
        end_entry(R);
        return;
    }
    if (name == T_TxDtls) {
        R->in_detail = false;
        return;
    }
    if (name == T_Amt && (ends(R, T_Amt, T_Ntry, T_OTHER) || ends(R, T_Amt, T_TxDtls, T_OTHER) ||
                          ends(R, T_Amt, T_TxAmt, T_AmtDtls))) {
        if (!t->cur[0])
            copy(t->cur, sizeof t->cur, R->own_cur, strlen(R->own_cur));
        if (!amount(R, t->cur, v, &t->amount)) {
            R->entry_bad = true;
            snprintf(R->entry_problem, sizeof R->entry_problem,
                     "has an amount '%.40s' (line %" PRId64 ") that is not a positive decimal "
                     "in '%s'",
                     v, line(R), t->cur);
        } else {
            t->have_amount = true;
        }
    } else if (ends(R, T_CdtDbtInd, T_OTHER, T_OTHER) && (at(R, 1, T_Ntry) || at(R, 1, T_TxDtls))) {
        t->dir = strcmp(v, "CRDT") == 0 ? 1 : strcmp(v, "DBIT") == 0 ? -1 : 0;
    } else if ((ends(R, T_Sts, T_Ntry, T_OTHER) || ends(R, T_Cd, T_Sts, T_Ntry))) {
        copy(R->status, sizeof R->status, v, strlen(v));
    } else if ((ends(R, T_Dt, T_BookgDt, T_OTHER) || ends(R, T_DtTm, T_BookgDt, T_OTHER))) {
        if (!date(v, &R->booking_ms, &R->booking_zoned)) {
            R->entry_bad = true;
            snprintf(R->entry_problem, sizeof R->entry_problem,
                     "has a booking date '%.40s' that is not a date", v);
        }
    } else if ((ends(R, T_Dt, T_ValDt, T_OTHER) || ends(R, T_DtTm, T_ValDt, T_OTHER))) {
        bool z;
        if (!date(v, &R->value_ms, &z)) {
            R->entry_bad = true;
            snprintf(R->entry_problem, sizeof R->entry_problem,
                     "has a value date '%.40s' that is not a date", v);
        }
    } else if (ends(R, T_EndToEndId, T_Refs, T_OTHER)) {
        copy(t->e2e, sizeof t->e2e, v, strlen(v));
    } else if ((ends(R, T_AcctSvcrRef, T_Ntry, T_OTHER) ||
                ends(R, T_AcctSvcrRef, T_Refs, T_OTHER) ||
                (ends(R, T_NtryRef, T_Ntry, T_OTHER) && !t->ref[0]))) {
        copy(t->ref, sizeof t->ref, v, strlen(v));
    } else if (ends(R, T_Nm, T_OTHER, T_OTHER) && inside(R, T_RltdPties)) {
        bool d = inside(R, T_Dbtr) && !inside(R, T_UltmtDbtr);
        bool c = inside(R, T_Cdtr) && !inside(R, T_UltmtCdtr);
        if (d && !t->dbtr[0])
            copy(t->dbtr, sizeof t->dbtr, v, strlen(v));
        if (c && !t->cdtr[0])
            copy(t->cdtr, sizeof t->cdtr, v, strlen(v));
    } else if ((ends(R, T_IBAN, T_Id, T_OTHER) || ends(R, T_Id, T_Othr, T_Id)) &&
               inside(R, T_RltdPties)) {
        if (inside(R, T_DbtrAcct) && !t->dbtr_iban[0])
            copy(t->dbtr_iban, sizeof t->dbtr_iban, v, strlen(v));
        if (inside(R, T_CdtrAcct) && !t->cdtr_iban[0])
            copy(t->cdtr_iban, sizeof t->cdtr_iban, v, strlen(v));
    } else if (ends(R, T_Ustrd, T_RmtInf, T_OTHER)) {
        /* Several Ustrd lines are one text, a space between them
         * (truncated to the field). */
        size_t n = strlen(t->purpose), vl = strlen(v);
        if (n && n + 1 < sizeof t->purpose)
            t->purpose[n++] = ' ';
        if (vl > sizeof t->purpose - 1 - n)
            vl = sizeof t->purpose - 1 - n;
        memcpy(t->purpose + n, v, vl);
        t->purpose[n + vl] = '\0';
    } else if ((ends(R, T_Cd, T_Prtry, T_BkTxCd) || ends(R, T_SubFmlyCd, T_Fmly, T_Domn)) &&
               !R->channel[0]) {
        copy(R->channel, sizeof R->channel, v, strlen(v));
    } else if (ends(R, T_AddtlNtryInf, T_Ntry, T_OTHER) && !R->entry.purpose[0]) {
        copy(R->entry.purpose, sizeof R->entry.purpose, v, strlen(v));
    }
}

/* libxml2 reports errors through this; the first becomes ours. */
static void on_xml_error(void *ctx, const char *msg, xmlParserSeverities sev,
                         xmlTextReaderLocatorPtr loc)
{
    struct reader *R = ctx;
    if (sev != XML_PARSER_SEVERITY_ERROR && sev != XML_PARSER_SEVERITY_VALIDITY_ERROR)
        return;
    if (R->k->rc != FT_OK)
        return;
    char m[300];
    copy(m, sizeof m, msg, strlen(msg));
    /* Where the parser stopped; the locator gives the node's line. */
    int64_t l = xmlTextReaderGetParserLineNumber(R->xr);
    if (l <= 0)
        l = xmlTextReaderLocatorLineNumber(loc);
    R->k->rc = ft_error_at(R->err, FT_EINPUT, R->k->path, l, 0, "the XML is not well-formed%s: %s",
                           R->in_stmt ? " (a truncated file?)" : "", m);
}

ft_status ft_camt_read(ft_stmt_sink *k, int fd, const void *mem, size_t len, ft_error *err)
{
    struct reader R = {.k = k, .err = err};
    int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA;
    R.xr = fd >= 0 ? xmlReaderForFd(fd, k->path, NULL, opts)
                   : xmlReaderForMemory(mem, (int)len, k->path, NULL, opts);
    if (!R.xr)
        return ft_error_set(err, FT_EINPUT, "%s: cannot start reading it as XML", k->path);
    xmlTextReaderSetErrorHandler(R.xr, on_xml_error, &R);
    for (int t = 1; t < T_COUNT; t++)
        R.names[t] = xmlTextReaderConstString(R.xr, (const xmlChar *)tag_names[t]);
    int r;
    while (k->rc == FT_OK && (r = xmlTextReaderRead(R.xr)) == 1) {
        int type = xmlTextReaderNodeType(R.xr);
        if (type == XML_READER_TYPE_ELEMENT) {
            int name = tag_of(&R, xmlTextReaderConstLocalName(R.xr));
            bool empty = xmlTextReaderIsEmptyElement(R.xr);
            if (R.depth >= MAX_DEPTH) {
                k->rc = ft_error_at(err, FT_EINPUT, k->path, line(&R), 0,
                                    "elements nest deeper than %d", MAX_DEPTH);
                break;
            }
            R.path[R.depth++] = (uint8_t)name;
            R.tlen = 0;
            start_element(&R, name);
            if (name == T_Amt) {
                struct tx *t = R.in_detail && R.ndets ? &R.dets[R.ndets - 1] : &R.entry;
                bool bal = R.depth >= 2 && R.path[R.depth - 2] == T_Bal;
                currency_attr(&R, bal ? R.bal_cur : t->cur);
            }
            if (empty) {
                end_element(&R);
                R.depth--;
            }
        } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
            const char *v = (const char *)xmlTextReaderConstValue(R.xr);
            size_t n = v ? strlen(v) : 0;
            if (R.tlen + n >= MAX_TEXT)
                n = MAX_TEXT - 1 - R.tlen;
            memcpy(R.text + R.tlen, v, n);
            R.tlen += n;
        } else if (type == XML_READER_TYPE_END_ELEMENT && R.depth > 0) {
            end_element(&R);
            R.depth--;
            R.tlen = 0;
        }
    }
    ft_status rc = k->rc;
    if (rc == FT_OK && r < 0)
        rc = ft_error_at(err, FT_EINPUT, k->path, line(&R), 0, "the XML is not well-formed");
    if (rc == FT_OK && R.in_stmt)
        rc = ft_error_at(err, FT_EINPUT, k->path, line(&R), 0,
                         "the XML ends inside statement '%s' (truncated?)", R.stmt_id);
    if (rc == FT_OK && k->s->report.sources[k->src_idx].statements == 0)
        rc = ft_error_set(err, FT_EINPUT,
                          "%s: holds no camt statement, report or notification (Stmt, Rpt, "
                          "Ntfctn)",
                          k->path);
    if (rc == FT_OK && R.pending)
        ft_stmt_note(k, "%" PRId64 " entr%s not booked (Sts other than BOOK) and not loaded",
                     R.pending, R.pending == 1 ? "y is" : "ies are");
    xmlFreeTextReader(R.xr);
    free(R.h);
    free(R.arena);
    free(R.dets);
    return rc;
}
