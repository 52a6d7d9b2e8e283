/*
 * money.h - exact amounts and the currencies they are counted in.
 *
 * An amount is an int64 count of minor units of one currency: 12.34 EUR is
 * 1234 with exponent 2. Text is parsed digit by digit, never through a
 * binary float, so "0.29" is 29 and not 28.999... Sums of many amounts use
 * __int128 so that they cannot overflow.
 */
#ifndef FUNDTRACE_MONEY_H
#define FUNDTRACE_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"

/* Largest exponent we accept: 10^18 still fits an int64. */
#define FT_MONEY_MAX_EXPONENT 18

typedef enum ft_money_error {
    FT_MONEY_OK = 0,
    FT_MONEY_EMPTY,     /* nothing but spaces */
    FT_MONEY_SYNTAX,    /* not a decimal number: letters, exponent, two points */
    FT_MONEY_THOUSANDS, /* 1,234.56 or 1 234: digit groups */
    FT_MONEY_DECIMALS,  /* more non-zero decimals than the exponent allows */
    FT_MONEY_NEGATIVE,  /* below zero: a transfer moves a positive amount */
    FT_MONEY_OVERFLOW,  /* more minor units than an int64 holds */
    FT_MONEY_CURRENCY,  /* text beside the number that is no currency */
} ft_money_error;

/* Parses decimal text into minor units with `exponent` decimals.
 * Accepts optional surrounding spaces, an optional '+', digits with an
 * optional '.' and fraction ("12", "12.5", "12.", ".5"). Decimals past the
 * exponent are accepted only when they are zeros ("12.340" with exponent 2).
 * "-0" and "-0.00" are zero. Returns true and sets *minor on success;
 * otherwise returns false and sets *why (when not NULL). */
bool ft_money_parse(const char *s, size_t len, int exponent, int64_t *minor, ft_money_error *why);

/* As ft_money_parse, for text a program wrote from a binary float (the
 * AMLSim and PaySim simulators): an exponent is accepted ("1.0E7",
 * "2.5e-3"), and decimals past `exponent` are rounded half to even instead
 * of rejected, still exactly, from the digits (163.98000000000002 is
 * 16398 cents). *rounded is set when digits were dropped (rounded may
 * be NULL). */
bool ft_money_parse_float_text(const char *s, size_t len, int exponent, int64_t *minor,
                               bool *rounded, ft_money_error *why);

/* An amount as people and banks write it, read into its parts
 * (ft_amount_read) before its currency, and so its exponent, is known. */
typedef struct ft_amount_text {
    bool neg;
    char ints[20]; /* integer digits, no leading zeros, at most 19 */
    char frac[20]; /* fraction digits, trailing zeros dropped */
    int nint, nfrac;
    bool too_many;   /* more than 19 integer digits or 19 significant decimals */
    const char *cur; /* a currency symbol or code written beside the number */
    size_t cur_len;  /* (a span of the input), or NULL/0 */
} ft_amount_text;

/* Reads an amount in the conventions of bank exports: `mark` ('.' or
 * ',') separates the decimals; the integer part may be grouped in threes
 * by the other mark, a space, an apostrophe or a no-break or thin space
 * (U+00A0, U+202F, U+2009), one separator throughout; a currency symbol
 * or code may stand before or after ("€ 1.234,56", "1,234.56 USD"); a
 * negative is "-100", "100-", "(100)" or with U+2212. Returns
 * FT_MONEY_OK or why not: FT_MONEY_THOUSANDS for groups that are not of
 * three ("1,23,456", or "1,5" read with a decimal point). */
ft_money_error ft_amount_read(const char *s, size_t len, char mark, ft_amount_text *a);

/* The value of `a` in minor units with `exponent` decimals, signed.
 * FT_MONEY_DECIMALS or FT_MONEY_OVERFLOW when it does not fit. */
ft_money_error ft_amount_minor(const ft_amount_text *a, int exponent, int64_t *minor);

/* Which decimal mark an amount's text shows: '.' or ',' when it can only
 * be read one way ("1.234,56", "99,50", "1,234,567"), 0 when it could be
 * either ("1,234", "100"). Feeds the per-file guess. */
char ft_amount_guess_mark(const char *s, size_t len);

/* A short reason for `e`, e.g. "has more decimals than the currency". */
const char *ft_money_strerror(ft_money_error e);

/* Writes `minor` as decimal text with `exponent` decimals ("-12.30",
 * "5", "0.00000001") into buf; returns the length, or 0 when cap is too
 * small. 48 bytes always suffice. */
size_t ft_money_format(__int128 minor, int exponent, char *buf, size_t cap);

/* Multiplies *v by 10^k; false on int64 overflow. */
bool ft_money_scale(int64_t *v, int k);

/* --- currencies -------------------------------------------------------- */

#define FT_CURRENCY_CODE_MAX 15

typedef struct ft_currency {
    char code[FT_CURRENCY_CODE_MAX + 1]; /* "EUR", "BTC" */
    int exponent;                        /* minor-unit decimals */
} ft_currency;

/* Currencies the user defines with --currencies FILE: each line is
 * CODE,EXPONENT[,NAME...]; '#' starts a comment. They take precedence over
 * the built-in ISO 4217 table and the names the IBM data sets use. */
typedef struct ft_currency_defs {
    int n, cap;
    struct ft_currency_def {
        ft_currency cur;
        char **names;
        int nnames;
    } *items;
} ft_currency_defs;

ft_status ft_currency_defs_load(ft_currency_defs *defs, const char *path, ft_error *err);
void ft_currency_defs_free(ft_currency_defs *defs);

/* Resolves a currency written as a code ("EUR", case-insensitive) or as a
 * name ("US Dollar", "Bitcoin": the IBM AMLworld names), first in `defs`
 * (may be NULL), then in the built-in table. False when unknown. */
bool ft_currency_resolve(const ft_currency_defs *defs, const char *s, size_t len,
                         ft_currency *out);

/* Resolves a currency symbol ("€", "$", "£", "US$", "CHF", ...) or
 * anything ft_currency_resolve knows. "$" is the US dollar. */
bool ft_currency_symbol(const ft_currency_defs *defs, const char *s, size_t len, ft_currency *out);

/* ISO 4217 exponent of `code`, or -1 when not in the built-in table. */
int ft_currency_iso_exponent(const char *code);

#endif
