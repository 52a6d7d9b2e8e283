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
            if (f == FT_F_ALERT_ID || !name_is(names[i], lens[i], field_names[f]))
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
        "  known layouts: generic (those names), IBM AMLworld, AMLSim, PaySim\n"
        "  name the columns with --map FIELD=COLUMN or --map-file FILE",
        path, why, seen);
}

ft_status ft_schema_detect(ft_schema *sc, const char *const *names, const size_t *lens,
                           int ncols, const ft_map *map, const char *path, ft_error *err)
{
    int dup = -1;
    if (map && map->n > 0) {
        schema_init(sc, FT_LAYOUT_MAPPED, ncols);
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
        for (size_t k = 0; k < sizeof generic_required / sizeof generic_required[0]; k++) {
            ft_field f = generic_required[k];
            if (f != FT_F_CURRENCY && sc->col[f] < 0)
                return ft_error_set(err, FT_EUSAGE,
                                    "%s: field '%s' is not mapped: add --map %s=COLUMN", path,
                                    field_names[f], field_names[f]);
        }
        return FT_OK;
    }
    if (detect_ibm(sc, names, lens, ncols) || detect_amlsim(sc, names, lens, ncols) ||
        detect_paysim(sc, names, lens, ncols))
        return FT_OK;
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
    if (field < 0)
        return ft_error_set(err, FT_EUSAGE,
                            "--map '%s': unknown field '%.*s' (fields: txn_id, timestamp, "
                            "src_account, dst_account, amount, currency, channel, memo, src_bank, "
                            "dst_bank, label, amount_received, currency_received)",
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
