/*
 * schema.c - which layout a header belongs to, and where each field is.
 *
 * Header names compare case-insensitively after trimming spaces, so
 * "Amount Paid" and " amount paid" are one name. The IBM layout is fixed
 * (eleven columns in order, two of them called Account); the others are
 * found by name in any order.
 */
#include "fundtrace/schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fundtrace/pool.h"

static const char *const field_names[FT_F_COUNT] = {
    [FT_F_TXID] = "txn_id",
    [FT_F_TIMESTAMP] = "timestamp",
    [FT_F_SRC] = "src_account",
    [FT_F_DST] = "dst_account",
    [FT_F_AMOUNT] = "amount",
    [FT_F_CURRENCY] = "currency",
    [FT_F_CHANNEL] = "channel",
    [FT_F_MEMO] = "memo",
    [FT_F_SRC_BANK] = "src_bank",
    [FT_F_DST_BANK] = "dst_bank",
    [FT_F_LABEL] = "label",
    [FT_F_AMOUNT_RECV] = "amount_received",
    [FT_F_CURRENCY_RECV] = "currency_received",
    [FT_F_ALERT_ID] = "alert_id",
    [FT_F_VALUE_DATE] = "value_date",
    [FT_F_DEBIT] = "debit",
    [FT_F_CREDIT] = "credit",
    [FT_F_DC_MARK] = "debit_credit",
    [FT_F_COUNTERPARTY] = "counterparty",
    [FT_F_CP_IBAN] = "counterparty_iban",
    [FT_F_CP_BIC] = "counterparty_bic",
    [FT_F_ACCOUNT] = "account",
    [FT_F_E2E] = "end_to_end_id",
};

const char *ft_field_name(ft_field f)
{
    return f < FT_F_COUNT ? field_names[f] : "?";
}

const char *ft_layout_name(ft_layout l)
{
    switch (l) {
    case FT_LAYOUT_GENERIC:
        return "generic";
    case FT_LAYOUT_IBM:
        return "ibm";
    case FT_LAYOUT_AMLSIM:
        return "amlsim";
    case FT_LAYOUT_PAYSIM:
        return "paysim";
    case FT_LAYOUT_MAPPED:
        return "mapped";
    case FT_LAYOUT_STATEMENT:
        return "statement";
    case FT_LAYOUT_MT940:
        return "mt940";
    case FT_LAYOUT_CAMT:
        return "camt";
    }
    return "?";
}

static bool name_is(const char *s, size_t len, const char *z)
{
    ft_span_trim(&s, &len);
    return strlen(z) == len && strncasecmp(s, z, len) == 0;
}

/* Column whose name is `z`, or -1. */
static int find_col(const char *const *names, const size_t *lens, int ncols, const char *z)
{
    for (int i = 0; i < ncols; i++)
        if (name_is(names[i], lens[i], z))
            return i;
    return -1;
}

static void schema_init(ft_schema *sc, ft_layout l, int ncols)
{
    memset(sc, 0, sizeof *sc);
    for (int f = 0; f < FT_F_COUNT; f++)
        sc->col[f] = -1;
    sc->layout = l;
    sc->ncols = ncols;
    sc->time_kind = FT_TIME_TEXT;
    sc->label_kind = FT_LABEL_TEXT;
}

static bool detect_ibm(ft_schema *sc, const char *const *names, const size_t *lens, int ncols)
{
    static const char *const want[11] = {
        "timestamp",       "from bank",          "account",     "to bank",
        "account",         "amount received",    "receiving currency",
        "amount paid",     "payment currency",   "payment format", "is laundering",
    };
    if (ncols != 11)
        return false;
    for (int i = 0; i < 11; i++) {
        /* pandas writes the second Account as Account.1 */
        if (!name_is(names[i], lens[i], want[i]) && !(i == 4 && name_is(names[i], lens[i], "account.1")))
            return false;
    }
    schema_init(sc, FT_LAYOUT_IBM, ncols);
    sc->col[FT_F_TIMESTAMP] = 0;
    sc->col[FT_F_SRC_BANK] = 1;
    sc->col[FT_F_SRC] = 2;
    sc->col[FT_F_DST_BANK] = 3;
    sc->col[FT_F_DST] = 4;
    sc->col[FT_F_AMOUNT_RECV] = 5;
    sc->col[FT_F_CURRENCY_RECV] = 6;
    sc->col[FT_F_AMOUNT] = 7;
    sc->col[FT_F_CURRENCY] = 8;
    sc->col[FT_F_CHANNEL] = 9;
    sc->col[FT_F_LABEL] = 10;
    /* IBM writes every fiat amount with two decimals, Yen included. */
    sc->min_exponent = 2;
    sc->label_kind = FT_LABEL_FLAG;
    return true;
}

struct by_name {
    ft_field field;
    const char *name;
    bool required;
};

static bool detect_named(ft_schema *sc, ft_layout l, const struct by_name *want, int nwant,
                         const char *const *names, const size_t *lens, int ncols)
{
    ft_schema tmp;
    schema_init(&tmp, l, ncols);
    for (int k = 0; k < nwant; k++) {
        int c = find_col(names, lens, ncols, want[k].name);
        if (c < 0 && want[k].required)
            return false;
        tmp.col[want[k].field] = c;
    }
    *sc = tmp;
    return true;
}

static bool detect_amlsim(ft_schema *sc, const char *const *names, const size_t *lens, int ncols)
{
    static const struct by_name want[] = {
        {FT_F_TXID, "tran_id", true},       {FT_F_SRC, "orig_acct", true},
        {FT_F_DST, "bene_acct", true},      {FT_F_CHANNEL, "tx_type", true},
        {FT_F_AMOUNT, "base_amt", true},    {FT_F_TIMESTAMP, "tran_timestamp", true},
        {FT_F_LABEL, "is_sar", true},       {FT_F_ALERT_ID, "alert_id", true},
    };
    if (!detect_named(sc, FT_LAYOUT_AMLSIM, want, 8, names, lens, ncols))
        return false;
    sc->label_kind = FT_LABEL_SAR;
    sc->float_amounts = true;
    return true;
}

static bool detect_paysim(ft_schema *sc, const char *const *names, const size_t *lens, int ncols)
{
    static const struct by_name want[] = {
        {FT_F_TIMESTAMP, "step", true}, {FT_F_CHANNEL, "type", true},
        {FT_F_AMOUNT, "amount", true},  {FT_F_SRC, "nameOrig", true},
        {FT_F_DST, "nameDest", true},   {FT_F_LABEL, "isFraud", false},
    };
    if (!detect_named(sc, FT_LAYOUT_PAYSIM, want, 6, names, lens, ncols))
        return false;
    sc->time_kind = FT_TIME_STEP_HOURS;
    sc->label_kind = FT_LABEL_FLAG;
    sc->float_amounts = true;
    return true;
}

/* Our own field names, in any order; returns false with *dup set when a
 * field's column appears twice. */
static bool take_generic_names(ft_schema *sc, const char *const *names, const size_t *lens,
                               int ncols, int *dup)
{
    for (int i = 0; i < ncols; i++) {
        for (int f = 0; f < FT_F_COUNT; f++) {
            if (f == FT_F_ALERT_ID || (f > FT_F_ALERT_ID && !sc->statement) ||
                !name_is(names[i], lens[i], field_names[f]))
                continue;
            if (sc->col[f] >= 0) {
                *dup = i;
                return false;
            }
            sc->col[f] = i;
        }
    }
    return true;
}

/* Bank export column names for the fields of a statement; 'd' German,
 * 'f' French (both write decimal commas, French day-first dates). */
static const struct synonym {
    ft_field field;
    char lang;
    const char *name;
} synonyms[] = {
    {FT_F_TIMESTAMP, 0, "booking_date"},
    {FT_F_TIMESTAMP, 0, "booking date"},
    {FT_F_TIMESTAMP, 0, "entry date"},
    {FT_F_TIMESTAMP, 0, "transaction date"},
    {FT_F_TIMESTAMP, 0, "timestamp"},
    {FT_F_TIMESTAMP, 0, "date"},
    {FT_F_TIMESTAMP, 'd', "buchungstag"},
    {FT_F_TIMESTAMP, 'd', "buchungsdatum"},
    {FT_F_TIMESTAMP, 'd', "datum"},
    {FT_F_TIMESTAMP, 'f', "date op\xc3\xa9ration"},
    {FT_F_TIMESTAMP, 'f', "date operation"},
    {FT_F_TIMESTAMP, 'f', "date d'op\xc3\xa9ration"},
    {FT_F_TIMESTAMP, 'f', "date de comptabilisation"},
    {FT_F_VALUE_DATE, 0, "value_date"},
    {FT_F_VALUE_DATE, 0, "value date"},
    {FT_F_VALUE_DATE, 'd', "valutadatum"},
    {FT_F_VALUE_DATE, 'd', "valuta"},
    {FT_F_VALUE_DATE, 'd', "wertstellung"},
    {FT_F_VALUE_DATE, 'f', "date valeur"},
    {FT_F_VALUE_DATE, 'f', "date de valeur"},
    {FT_F_AMOUNT, 0, "amount"},
    {FT_F_AMOUNT, 'd', "betrag"},
    {FT_F_AMOUNT, 'd', "umsatz"},
    {FT_F_AMOUNT, 'd', "betrag (eur)"},
    {FT_F_AMOUNT, 'f', "montant"},
    {FT_F_AMOUNT, 'f', "montant (eur)"},
    {FT_F_CURRENCY, 0, "currency"},
    {FT_F_CURRENCY, 'd', "w\xc3\xa4hrung"},
    {FT_F_CURRENCY, 'd', "waehrung"},
    {FT_F_CURRENCY, 'f', "devise"},
    {FT_F_DEBIT, 0, "debit"},
    {FT_F_DEBIT, 0, "money out"},
    {FT_F_DEBIT, 0, "paid out"},
    {FT_F_DEBIT, 'd', "soll"},
    {FT_F_DEBIT, 'd', "belastung"},
    {FT_F_DEBIT, 'f',
     "d\xc3\xa9"
     "bit"},
    {FT_F_CREDIT, 0, "credit"},
    {FT_F_CREDIT, 0, "money in"},
    {FT_F_CREDIT, 0, "paid in"},
    {FT_F_CREDIT, 'd', "haben"},
    {FT_F_CREDIT, 'd', "gutschrift"},
    {FT_F_CREDIT, 'f',
     "cr\xc3\xa9"
     "dit"},
    {FT_F_DC_MARK, 0, "debit_credit"},
    {FT_F_DC_MARK, 0, "debit/credit"},
    {FT_F_DC_MARK, 0, "d/c"},
    {FT_F_DC_MARK, 0, "dr/cr"},
    {FT_F_DC_MARK, 'd', "soll/haben"},
    {FT_F_DC_MARK, 'd', "s/h"},
    {FT_F_DC_MARK, 'f', "sens"},
    {FT_F_COUNTERPARTY, 0, "counterparty"},
    {FT_F_COUNTERPARTY, 0, "counterparty name"},
    {FT_F_COUNTERPARTY, 0, "payee"},
    {FT_F_COUNTERPARTY, 0, "payer/payee"},
    {FT_F_COUNTERPARTY, 0, "name"},
    {FT_F_COUNTERPARTY, 'd', "beguenstigter/zahlungspflichtiger"},
    {FT_F_COUNTERPARTY, 'd', "beg\xc3\xbcnstigter/zahlungspflichtiger"},
    {FT_F_COUNTERPARTY, 'd', "name zahlungsbeteiligter"},
    {FT_F_COUNTERPARTY, 'd', "auftraggeber/empf\xc3\xa4nger"},
    {FT_F_COUNTERPARTY, 'd', "empf\xc3\xa4nger"},
    {FT_F_COUNTERPARTY, 'd', "zahlungsempf\xc3\xa4nger"},
    {FT_F_COUNTERPARTY, 'f',
     "b\xc3\xa9n\xc3\xa9"
     "ficiaire"},
    {FT_F_COUNTERPARTY, 'f', "tiers"},
    {FT_F_COUNTERPARTY, 'f', "contrepartie"},
    {FT_F_CP_IBAN, 0, "counterparty_iban"},
    {FT_F_CP_IBAN, 0, "counterparty iban"},
    {FT_F_CP_IBAN, 0, "iban"},
    {FT_F_CP_IBAN, 'd', "kontonummer/iban"},
    {FT_F_CP_IBAN, 'd', "iban zahlungsbeteiligter"},
    {FT_F_CP_IBAN, 'f', "iban du tiers"},
    {FT_F_CP_IBAN, 'f', "iban contrepartie"},
    {FT_F_CP_BIC, 0, "counterparty_bic"},
    {FT_F_CP_BIC, 0, "counterparty bic"},
    {FT_F_CP_BIC, 0, "bic"},
    {FT_F_CP_BIC, 'd', "bic (swift-code)"},
    {FT_F_CP_BIC, 'd', "bic zahlungsbeteiligter"},
    {FT_F_CP_BIC, 'f', "bic du tiers"},
    {FT_F_MEMO, 0, "memo"},
    {FT_F_MEMO, 0, "purpose"},
    {FT_F_MEMO, 0, "description"},
    {FT_F_MEMO, 0, "remittance information"},
    {FT_F_MEMO, 0, "details"},
    {FT_F_MEMO, 'd', "verwendungszweck"},
    {FT_F_MEMO, 'f', "libell\xc3\xa9"},
    {FT_F_MEMO, 'f', "libelle"},
    {FT_F_MEMO, 'f', "motif"},
    {FT_F_CHANNEL, 0, "channel"},
    {FT_F_CHANNEL, 0, "transaction type"},
    {FT_F_CHANNEL, 0, "booking text"},
    {FT_F_CHANNEL, 0, "type"},
    {FT_F_CHANNEL, 'd', "buchungstext"},
    {FT_F_CHANNEL, 'f', "type d'op\xc3\xa9ration"},
    {FT_F_ACCOUNT, 0, "account"},
    {FT_F_ACCOUNT, 0, "own account"},
    {FT_F_ACCOUNT, 0, "account iban"},
    {FT_F_ACCOUNT, 'd', "auftragskonto"},
    {FT_F_ACCOUNT, 'd', "iban auftragskonto"},
    {FT_F_ACCOUNT, 'f', "compte"},
    {FT_F_E2E, 0, "end_to_end_id"},
    {FT_F_E2E, 0, "end-to-end id"},
    {FT_F_E2E, 0, "end to end id"},
    {FT_F_E2E, 0, "endtoendid"},
    {FT_F_E2E, 0, "end-to-end reference"},
    {FT_F_E2E, 'd', "kundenreferenz (end-to-end)"},
    {FT_F_E2E, 'd', "end-to-end-referenz"},
    {FT_F_TXID, 0, "txn_id"},
    {FT_F_TXID, 0, "transaction id"},
    {FT_F_TXID, 0, "bank reference"},
    {FT_F_TXID, 'd', "bankreferenz"},
    {FT_F_LABEL, 0, "label"},
};

/* A statement's columns by the names banks use; false when the header
 * lacks a date, an amount, or (unless `own` says the file is a statement)
 * a counterparty. */
static bool detect_statement(ft_schema *sc, const char *const *names, const size_t *lens, int ncols,
                             bool own)
{
    ft_schema tmp;
    schema_init(&tmp, FT_LAYOUT_STATEMENT, ncols);
    tmp.statement = true;
    bool de = false, fr = false;
    for (int i = 0; i < ncols; i++) {
        for (size_t k = 0; k < sizeof synonyms / sizeof synonyms[0]; k++) {
            if (tmp.col[synonyms[k].field] >= 0 || !name_is(names[i], lens[i], synonyms[k].name))
                continue;
            tmp.col[synonyms[k].field] = i;
            de |= synonyms[k].lang == 'd';
            fr |= synonyms[k].lang == 'f';
            break;
        }
    }
    bool date = tmp.col[FT_F_TIMESTAMP] >= 0 || tmp.col[FT_F_VALUE_DATE] >= 0;
    bool amount =
        tmp.col[FT_F_AMOUNT] >= 0 || tmp.col[FT_F_DEBIT] >= 0 || tmp.col[FT_F_CREDIT] >= 0;
    bool other = tmp.col[FT_F_COUNTERPARTY] >= 0 || tmp.col[FT_F_CP_IBAN] >= 0;
    /* Debit and credit columns, or a bank's own words, say "statement"
     * even without a counterparty column. */
    bool banky = de || fr || tmp.col[FT_F_DEBIT] >= 0 || tmp.col[FT_F_CREDIT] >= 0;
    if (!date || !amount || !(other || own || banky))
        return false;
    if (de || fr)
        tmp.decimal_hint = ',';
    if (fr)
        tmp.date_hint = "%d/%m/%Y";
    *sc = tmp;
    return true;
}

static const ft_field generic_required[] = {FT_F_TIMESTAMP, FT_F_SRC, FT_F_DST, FT_F_AMOUNT,
                                            FT_F_CURRENCY};

static ft_status unknown_layout(const char *const *names, const size_t *lens, int ncols,
                                const char *path, const char *why, ft_error *err)
{
    char seen[600];
    size_t n = 0;
    seen[0] = '\0';
    for (int i = 0; i < ncols && n + 4 < sizeof seen; i++) {
        int w = snprintf(seen + n, sizeof seen - n, "%s'%.*s'", i ? ", " : "",
                         (int)(lens[i] > 40 ? 40 : lens[i]), names[i]);
        if (w < 0 || (size_t)w >= sizeof seen - n) {
            snprintf(seen + (n > sizeof seen - 5 ? sizeof seen - 5 : n), 5, "...");
            break;
        }
        n += (size_t)w;
    }
    return ft_error_set(
        err, FT_EUSAGE,
        "%s: %s\n"
        "  columns seen: %s\n"
        "  fields needed: timestamp, src_account, dst_account, amount, currency\n"
        "  fields optional: txn_id, channel, memo, src_bank, dst_bank, label, amount_received, "
        "currency_received\n"
        "  known layouts: generic (those names), IBM AMLworld, AMLSim, PaySim, bank statements\n"
        "  (one account's view: Buchungstag, Betrag, Kontonummer/IBAN, ...; or Date "
        "op\xc3\xa9ration, D\xc3\xa9"
        "bit, Cr\xc3\xa9"
        "dit, ...)\n"
        "  name the columns with --map FIELD=COLUMN or --map-file FILE; for one account's "
        "statement add --statement-of ACCOUNT",
        path, why, seen);
}

ft_status ft_schema_detect(ft_schema *sc, const char *const *names, const size_t *lens,
                           int ncols, const ft_map *map, const char *path, ft_error *err)
{
    return ft_schema_detect_ex(sc, names, lens, ncols, map, false, path, err);
}

/* A mapped statement needs a date and an amount; its other fields are
 * optional. */
static ft_status mapped_statement(ft_schema *sc, const char *path, ft_error *err)
{
    sc->statement = true;
    if (sc->col[FT_F_TIMESTAMP] < 0 && sc->col[FT_F_VALUE_DATE] < 0)
        return ft_error_set(err, FT_EUSAGE,
                            "%s: a statement needs a date: add --map booking_date=COLUMN", path);
    if (sc->col[FT_F_AMOUNT] < 0 && sc->col[FT_F_DEBIT] < 0 && sc->col[FT_F_CREDIT] < 0)
        return ft_error_set(err, FT_EUSAGE,
                            "%s: a statement needs amounts: add --map amount=COLUMN, or "
                            "--map debit=COLUMN and --map credit=COLUMN",
                            path);
    return FT_OK;
}

ft_status ft_schema_detect_ex(ft_schema *sc, const char *const *names, const size_t *lens,
                              int ncols, const ft_map *map, bool statement, const char *path,
                              ft_error *err)
{
    int dup = -1;
    bool map_statement = statement;
    for (int k = 0; map && k < map->n; k++)
        map_statement |= map->items[k].field > FT_F_ALERT_ID;
    if (map && map->n > 0) {
        schema_init(sc, FT_LAYOUT_MAPPED, ncols);
        sc->statement = map_statement;
        if (!take_generic_names(sc, names, lens, ncols, &dup))
            return ft_error_set(err, FT_EUSAGE, "%s: column %d '%.*s' appears twice in the header",
                                path, dup + 1, (int)lens[dup], names[dup]);
        for (int k = 0; k < map->n; k++) {
            const char *col = map->items[k].column;
            int c = find_col(names, lens, ncols, col);
            if (c < 0) {
                char *end = NULL;
                errno = 0;
                long v = strtol(col, &end, 10);
                if (!errno && end != col && *end == '\0' && v >= 1 && v <= ncols)
                    c = (int)v - 1;
            }
            if (c < 0)
                return ft_error_set(err, FT_EUSAGE,
                                    "%s: --map %s=%s: no column is called '%s', and it is not a "
                                    "column number from 1 to %d",
                                    path, field_names[map->items[k].field], col, col, ncols);
            sc->col[map->items[k].field] = c;
        }
        if (map_statement)
            return mapped_statement(sc, path, err);
        for (size_t k = 0; k < sizeof generic_required / sizeof generic_required[0]; k++) {
            ft_field f = generic_required[k];
            if (f != FT_F_CURRENCY && sc->col[f] < 0)
                return ft_error_set(err, FT_EUSAGE,
                                    "%s: field '%s' is not mapped: add --map %s=COLUMN", path,
                                    field_names[f], field_names[f]);
        }
        return FT_OK;
    }
    if (!statement &&
        (detect_ibm(sc, names, lens, ncols) || detect_amlsim(sc, names, lens, ncols) ||
         detect_paysim(sc, names, lens, ncols)))
        return FT_OK;
    bool two_sided = find_col(names, lens, ncols, "src_account") >= 0 &&
                     find_col(names, lens, ncols, "dst_account") >= 0;
    if (statement && two_sided)
        return ft_error_set(err, FT_EUSAGE,
                            "%s: --statement-of is for one account's statement, but this file "
                            "has src_account and dst_account",
                            path);
    if (!two_sided && detect_statement(sc, names, lens, ncols, statement))
        return FT_OK;
    if (statement)
        return unknown_layout(names, lens, ncols, path,
                              "cannot find a statement's date and amount columns in the header",
                              err);
    schema_init(sc, FT_LAYOUT_GENERIC, ncols);
    if (!take_generic_names(sc, names, lens, ncols, &dup))
        return ft_error_set(err, FT_EUSAGE, "%s: column %d '%.*s' appears twice in the header",
                            path, dup + 1, (int)lens[dup], names[dup]);
    for (size_t k = 0; k < sizeof generic_required / sizeof generic_required[0]; k++) {
        if (sc->col[generic_required[k]] < 0) {
            char why[128];
            snprintf(why, sizeof why, "cannot recognise the layout from the header (no '%s' column)",
                     field_names[generic_required[k]]);
            return unknown_layout(names, lens, ncols, path, why, err);
        }
    }
    return FT_OK;
}

/* --- --map ------------------------------------------------------------------ */

ft_status ft_map_add(ft_map *m, const char *spec, ft_error *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || eq[1] == '\0')
        return ft_error_set(err, FT_EUSAGE, "--map '%s': expected FIELD=COLUMN", spec);
    size_t flen = (size_t)(eq - spec);
    const char *fs = spec;
    ft_span_trim(&fs, &flen);
    int field = -1;
    for (int f = 0; f < FT_F_COUNT; f++) {
        if (f != FT_F_ALERT_ID && strlen(field_names[f]) == flen &&
            strncasecmp(fs, field_names[f], flen) == 0)
            field = f;
    }
    if (flen == 12 && strncasecmp(fs, "booking_date", 12) == 0)
        field = FT_F_TIMESTAMP;
    if (field < 0)
        return ft_error_set(err, FT_EUSAGE,
                            "--map '%s': unknown field '%.*s' (fields: txn_id, timestamp, "
                            "src_account, dst_account, amount, currency, channel, memo, src_bank, "
                            "dst_bank, label, amount_received, currency_received; for statements: "
                            "booking_date, value_date, debit, credit, debit_credit, counterparty, "
                            "counterparty_iban, counterparty_bic, account, end_to_end_id)",
                            spec, (int)flen, fs);
    const char *cs = eq + 1;
    size_t clen = strlen(cs);
    ft_span_trim(&cs, &clen);
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 8;
        ft_map_entry *p = realloc(m->items, (size_t)cap * sizeof *p);
        if (!p)
            return ft_error_oom(err);
        m->items = p;
        m->cap = cap;
    }
    char *col = strndup(cs, clen);
    if (!col)
        return ft_error_oom(err);
    m->items[m->n].field = (ft_field)field;
    m->items[m->n].column = col;
    m->n++;
    return FT_OK;
}

static ft_status map_line(void *ctx, const char *line, ft_error *err)
{
    return ft_map_add(ctx, line, err);
}

ft_status ft_map_load(ft_map *m, const char *path, ft_error *err)
{
    return ft_config_lines(path, map_line, m, err);
}

void ft_map_free(ft_map *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->items[i].column);
    free(m->items);
    memset(m, 0, sizeof *m);
}
