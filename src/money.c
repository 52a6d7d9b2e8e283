/*
 * money.c - decimal text to minor units and back, and the currency tables.
 *
 * Parsing runs in two passes over a few bytes: first the syntax (so that
 * "9999999999999999999x" is reported as not a number rather than as an
 * overflow), then the value, with an overflow check at every digit.
 */
#include "fundtrace/money.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fundtrace/pool.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* True for 1,234 / 1 234 / 1'234 / 1_234 (optionally with a fraction):
 * digit groups of three after a lead of one to three digits, one separator
 * character throughout. */
static bool looks_grouped(const char *s, size_t len)
{
    size_t i = 0, lead = 0;
    while (i < len && is_digit(s[i])) {
        i++;
        lead++;
    }
    if (lead == 0 || lead > 3 || i == len)
        return false;
    char sep = s[i];
    if (sep != ',' && sep != ' ' && sep != '\'' && sep != '_')
        return false;
    int groups = 0;
    while (i < len && s[i] == sep) {
        i++;
        for (int k = 0; k < 3; k++, i++)
            if (i >= len || !is_digit(s[i]))
                return false;
        groups++;
    }
    if (i < len && s[i] != '.')
        return false;
    if (i < len) {
        for (i++; i < len; i++)
            if (!is_digit(s[i]))
                return false;
    }
    return groups > 0;
}

bool ft_money_parse(const char *s, size_t len, int exponent, int64_t *minor, ft_money_error *why)
{
    ft_money_error e = FT_MONEY_OK;
    ft_money_error scratch;
    if (!why)
        why = &scratch;
    ft_span_trim(&s, &len);
    if (len == 0) {
        *why = FT_MONEY_EMPTY;
        return false;
    }
    /* The common form first: up to 15 digits, then '.' and exactly
     * `exponent` digits (no overflow possible, nothing to pad). */
    if (len <= 18 && exponent > 0 && exponent <= 2 && len > (size_t)exponent + 1 &&
        s[len - 1 - (size_t)exponent] == '.') {
        size_t dot = len - 1 - (size_t)exponent;
        uint64_t v = 0;
        bool ok = true;
        for (size_t k = 0; k < len; k++) {
            unsigned d = (unsigned)(unsigned char)s[k] - '0';
            if (k == dot)
                continue;
            ok &= d <= 9;
            v = v * 10 + d;
        }
        if (ok) {
            *minor = (int64_t)v;
            *why = FT_MONEY_OK;
            return true;
        }
    }
    bool neg = false;
    size_t i = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    /* Syntax: digits [ '.' digits ], at least one digit in all. */
    size_t int_start = i;
    while (i < len && is_digit(s[i]))
        i++;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        frac_end = i;
    }
    if (i != len || (int_end == int_start && frac_end == frac_start)) {
        e = looks_grouped(s + int_start, len - int_start) ? FT_MONEY_THOUSANDS : FT_MONEY_SYNTAX;
        *why = e;
        return false;
    }
    /* Value. */
    uint64_t v = 0;
    const uint64_t max = (uint64_t)INT64_MAX;
    for (size_t k = int_start; k < int_end; k++) {
        uint64_t d = (uint64_t)(s[k] - '0');
        if (v > (max - d) / 10) {
            *why = FT_MONEY_OVERFLOW;
            return false;
        }
        v = v * 10 + d;
    }
    int used = 0;
    for (size_t k = frac_start; k < frac_end; k++) {
        uint64_t d = (uint64_t)(s[k] - '0');
        if (used >= exponent) {
            if (d != 0) {
                *why = FT_MONEY_DECIMALS;
                return false;
            }
            continue;
        }
        if (v > (max - d) / 10) {
            *why = FT_MONEY_OVERFLOW;
            return false;
        }
        v = v * 10 + d;
        used++;
    }
    for (; used < exponent; used++) {
        if (v > max / 10) {
            *why = FT_MONEY_OVERFLOW;
            return false;
        }
        v *= 10;
    }
    if (neg && v != 0) {
        *why = FT_MONEY_NEGATIVE;
        return false;
    }
    *minor = (int64_t)v;
    *why = FT_MONEY_OK;
    return true;
}

bool ft_money_parse_float_text(const char *s, size_t len, int exponent, int64_t *minor,
                               bool *rounded, ft_money_error *why)
{
    ft_money_error scratch;
    if (!why)
        why = &scratch;
    bool ignored = false;
    if (!rounded)
        rounded = &ignored; /* the caller does not ask */
    *rounded = false;
    ft_span_trim(&s, &len);
    if (len == 0)
        return *why = FT_MONEY_EMPTY, false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    /* The significant digits and where the decimal point falls among them:
     * value = 0.d1 d2 d3 ... x 10^point. Leading zeros are skipped. */
    char digits[64];
    int nd = 0, point = 0;
    bool any = false, seen_point = false, overflow_digits = false;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.' && !seen_point) {
            seen_point = true;
            continue;
        }
        if (!is_digit(c))
            break;
        any = true;
        if (nd == 0 && c == '0') {
            if (seen_point)
                point--;
            continue;
        }
        if (nd < (int)sizeof digits)
            digits[nd++] = c;
        else if (c != '0')
            overflow_digits = true; /* beyond 64 significant digits: only rounds */
        if (!seen_point)
            point++;
    }
    if (!any)
        return *why = FT_MONEY_SYNTAX, false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t estart = i;
        int e = 0;
        for (; i < len && is_digit(s[i]); i++)
            if (e < 10000)
                e = e * 10 + (s[i] - '0');
        if (i == estart)
            return *why = FT_MONEY_SYNTAX, false;
        point += eneg ? -e : e;
    }
    if (i != len)
        return *why = FT_MONEY_SYNTAX, false;
    if (nd == 0) { /* zero, whatever its sign and exponent */
        *minor = 0;
        *why = FT_MONEY_OK;
        return true;
    }
    /* Minor units are the first point + exponent digits; the rest round.
     * More than 19 of them is at least 10^19, past INT64_MAX. */
    int keep = point + exponent;
    if (keep > 19)
        return *why = FT_MONEY_OVERFLOW, false;
    uint64_t v = 0;
    const uint64_t max = (uint64_t)INT64_MAX;
    for (int k = 0; k < keep; k++) {
        uint64_t d = k < nd ? (uint64_t)(digits[k] - '0') : 0;
        if (v > (max - d) / 10)
            return *why = FT_MONEY_OVERFLOW, false;
        v = v * 10 + d;
    }
    int first = keep < 0 ? 0 : keep; /* first dropped digit */
    bool dropped = overflow_digits;
    for (int k = first; k < nd; k++)
        dropped |= digits[k] != '0';
    if (dropped) {
        *rounded = true;
        /* Half to even, on the exact digits. A keep below zero drops
         * digits that lie below the first one, so the value is under half. */
        int d = keep >= 0 && keep < nd ? digits[keep] - '0' : 0;
        bool rest = overflow_digits;
        for (int k = keep + 1; k < nd && keep >= 0; k++)
            rest |= digits[k] != '0';
        bool up = keep >= 0 && (d > 5 || (d == 5 && (rest || (v & 1))));
        if (up) {
            if (v == max)
                return *why = FT_MONEY_OVERFLOW, false;
            v++;
        }
    }
    if (neg && v != 0)
        return *why = FT_MONEY_NEGATIVE, false;
    *minor = (int64_t)v;
    *why = FT_MONEY_OK;
    return true;
}

/* --- amounts as bank exports write them ------------------------------------ */

/* Length of a space-like sequence at s (ASCII space, U+00A0, U+2009,
 * U+202F), 0 if none. */
static size_t space_at(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len >= 1 && (u[0] == ' ' || u[0] == '\t'))
        return 1;
    if (len >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
        return 2;
    if (len >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x89 || u[2] == 0xAF))
        return 3;
    return 0;
}

/* Length of a space-like sequence that ends s[0..len), 0 if none. */
static size_t space_before(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len >= 1 && (u[len - 1] == ' ' || u[len - 1] == '\t'))
        return 1;
    if (len >= 2 && u[len - 2] == 0xC2 && u[len - 1] == 0xA0)
        return 2;
    if (len >= 3 && u[len - 3] == 0xE2 && u[len - 2] == 0x80 &&
        (u[len - 1] == 0x89 || u[len - 1] == 0xAF))
        return 3;
    return 0;
}

/* U+2212 MINUS SIGN at s. */
static bool minus_at(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    return len >= 3 && u[0] == 0xE2 && u[1] == 0x88 && u[2] == 0x92;
}

/* Length of a digit-group separator at s other than the decimal mark:
 * the other mark, an apostrophe (also U+2019) or a space-like one. */
static size_t group_sep_at(const char *s, size_t len, char mark)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len >= 1 && ((s[0] == ',' || s[0] == '.') && s[0] != mark))
        return 1;
    if (len >= 1 && s[0] == '\'')
        return 1;
    if (len >= 3 && u[0] == 0xE2 && u[1] == 0x80 && u[2] == 0x99)
        return 3;
    return space_at(s, len);
}

static bool currency_byte(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? true : c == '$' || c >= 0x80;
}

/* A currency run of ASCII letters alone is at least two of them ("kr",
 * "EUR"): "12x" is a typing error, not twelve of something. */
static bool currency_ok(const char *s, size_t n)
{
    if (n >= 2)
        return true;
    return n == 1 && (s[0] == '$' || (unsigned char)s[0] >= 0x80);
}

/* Length of a currency run at s: letters, '$' and non-ASCII bytes, up to
 * a space-like character or a minus sign. */
static size_t currency_run(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && currency_byte((unsigned char)s[n]) && !space_at(s + n, len - n) &&
           !minus_at(s + n, len - n))
        n++;
    return currency_ok(s, n) ? n : 0;
}

ft_money_error ft_amount_read(const char *s, size_t len, char mark, ft_amount_text *a)
{
    memset(a, 0, sizeof *a);
    size_t i = 0, end = len;
    bool paren_open = false, paren_close = false, sign = false;
    /* The wrappers before the number, in any order. */
    for (;;) {
        size_t n;
        if (i >= end)
            break;
        if ((n = space_at(s + i, end - i))) {
            i += n;
        } else if (s[i] == '(' && !paren_open) {
            paren_open = true;
            i++;
        } else if ((s[i] == '-' || s[i] == '+' || minus_at(s + i, end - i)) && !sign) {
            sign = true;
            a->neg = s[i] != '+';
            i += s[i] == '-' || s[i] == '+' ? 1 : 3;
        } else if (!a->cur && (n = currency_run(s + i, end - i)) > 0) {
            a->cur = s + i;
            a->cur_len = n;
            i += n;
        } else {
            break;
        }
    }
    /* ... and after it. */
    for (;;) {
        size_t n;
        if (end <= i)
            break;
        if ((n = space_before(s + i, end - i))) {
            end -= n;
        } else if (s[end - 1] == ')' && paren_open && !paren_close) {
            paren_close = true;
            end--;
        } else if ((s[end - 1] == '-' || s[end - 1] == '+') && !sign) {
            sign = true;
            a->neg = s[end - 1] == '-';
            end--;
        } else if (!a->cur && currency_byte((unsigned char)s[end - 1])) {
            size_t k = end;
            while (k > i && currency_byte((unsigned char)s[k - 1]) && !space_before(s + i, k - i))
                k--;
            if (!currency_ok(s + k, end - k))
                break;
            a->cur = s + k;
            a->cur_len = end - k;
            end = k;
        } else {
            break;
        }
    }
    if (paren_open != paren_close || (paren_open && sign))
        return FT_MONEY_SYNTAX;
    if (paren_open)
        a->neg = true;
    if (i >= end)
        return a->cur || sign ? FT_MONEY_SYNTAX : FT_MONEY_EMPTY;
    /* The number: digits grouped in threes, then the mark and decimals. */
    int group = 0, ngroups = 0, lead = 0, digits = 0;
    size_t sep_len = 0;
    const char *sep = NULL;
    bool grouping_bad = false, in_frac = false;
    while (i < end) {
        char c = s[i];
        size_t n;
        if (c >= '0' && c <= '9') {
            digits++;
            if (in_frac) {
                if (a->nfrac < 19)
                    a->frac[a->nfrac++] = c;
                else if (c != '0')
                    a->too_many = true;
            } else {
                group++;
                if (a->nint > 0 || c != '0') {
                    if (a->nint < 19)
                        a->ints[a->nint++] = c;
                    else
                        a->too_many = true;
                }
            }
            i++;
        } else if (c == mark && !in_frac) {
            in_frac = true;
            i++;
        } else if (!in_frac && (n = group_sep_at(s + i, end - i, mark)) > 0) {
            if (sep && (n != sep_len || memcmp(sep, s + i, n) != 0))
                return FT_MONEY_THOUSANDS;
            if (!sep)
                lead = group;
            else if (group != 3)
                grouping_bad = true;
            sep = s + i;
            sep_len = n;
            ngroups++;
            group = 0;
            i += n;
        } else {
            return FT_MONEY_SYNTAX;
        }
    }
    if (digits == 0)
        return FT_MONEY_SYNTAX;
    if (sep && (lead < 1 || lead > 3 || group != 3 || grouping_bad))
        return FT_MONEY_THOUSANDS;
    while (a->nfrac > 0 && a->frac[a->nfrac - 1] == '0')
        a->nfrac--;
    return FT_MONEY_OK;
}

ft_money_error ft_amount_minor(const ft_amount_text *a, int exponent, int64_t *minor)
{
    if (a->nfrac > exponent || (a->too_many && a->nint < 19))
        return FT_MONEY_DECIMALS;
    if (a->too_many)
        return FT_MONEY_OVERFLOW;
    uint64_t v = 0;
    const uint64_t max = (uint64_t)INT64_MAX;
    for (int k = 0; k < a->nint + exponent; k++) {
        uint64_t d = k < a->nint              ? (uint64_t)(a->ints[k] - '0')
                     : k - a->nint < a->nfrac ? (uint64_t)(a->frac[k - a->nint] - '0')
                                              : 0;
        if (v > (max - d) / 10)
            return FT_MONEY_OVERFLOW;
        v = v * 10 + d;
    }
    *minor = a->neg ? -(int64_t)v : (int64_t)v;
    return FT_MONEY_OK;
}

char ft_amount_guess_mark(const char *s, size_t len)
{
    int dots = 0, commas = 0;
    size_t last = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.' || s[i] == ',') {
            dots += s[i] == '.';
            commas += s[i] == ',';
            last = i;
        }
    }
    if (dots && commas)
        return s[last];
    if (dots + commas == 0)
        return 0;
    char c = dots ? '.' : ',';
    if (dots + commas > 1) {
        /* Only digit groups of three say the character is no mark:
         * "1.234.567" is, "1.5.0" is nothing. */
        size_t run = 0;
        bool first = true;
        for (size_t i = 0; i <= len; i++) {
            if (i < len && s[i] >= '0' && s[i] <= '9') {
                run++;
            } else if (i == len || s[i] == c) {
                if ((!first && run != 3) || (first && (run == 0 || run > 3)))
                    return 0;
                first = false;
                run = 0;
                if (i < len && i + 1 < len && !(s[i + 1] >= '0' && s[i + 1] <= '9'))
                    return 0;
            } else if (run || !first) {
                break; /* a currency after the number */
            }
        }
        return c == '.' ? ',' : '.';
    }
    size_t after = 0;
    for (size_t i = last + 1; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        after++;
    return after == 3 ? 0 : c;
}

bool ft_currency_symbol(const ft_currency_defs *defs, const char *s, size_t len, ft_currency *out)
{
    static const struct {
        const char *sym, *code;
    } syms[] = {
        {"\xE2\x82\xAC", "EUR"}, {"$", "USD"},
        {"US$", "USD"},          {"\xC2\xA3", "GBP"},
        {"\xC2\xA5", "JPY"},     {"\xE2\x82\xB9", "INR"},
        {"\xE2\x82\xBD", "RUB"}, {"\xE2\x82\xAA", "ILS"},
        {"\xE2\x82\xA9", "KRW"}, {"\xE2\x82\xBA", "TRY"},
        {"z\xC5\x82", "PLN"},    {"K\xC4\x8D", "CZK"},
        {"Fr", "CHF"},           {"SFr", "CHF"},
        {"R$", "BRL"},           {"C$", "CAD"},
        {"CA$", "CAD"},          {"A$", "AUD"},
        {"AU$", "AUD"},          {"HK$", "HKD"},
        {"S$", "SGD"},           {"NZ$", "NZD"},
    };
    ft_span_trim(&s, &len);
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        if (strlen(syms[i].sym) == len && strncasecmp(s, syms[i].sym, len) == 0) {
            memcpy(out->code, syms[i].code, 4);
            out->exponent = ft_currency_iso_exponent(syms[i].code);
            /* A user's definition of the code wins, as for codes. */
            ft_currency_resolve(defs, syms[i].code, 3, out);
            return true;
        }
    }
    return ft_currency_resolve(defs, s, len, out);
}

const char *ft_money_strerror(ft_money_error e)
{
    switch (e) {
    case FT_MONEY_OK:
        return "ok";
    case FT_MONEY_EMPTY:
        return "is empty";
    case FT_MONEY_SYNTAX:
        return "is not a decimal number";
    case FT_MONEY_THOUSANDS:
        return "has digit groups that are not of three";
    case FT_MONEY_DECIMALS:
        return "has more decimals than the currency";
    case FT_MONEY_NEGATIVE:
        return "is negative";
    case FT_MONEY_OVERFLOW:
        return "is too large";
    case FT_MONEY_CURRENCY:
        return "has text beside it that is no known currency";
    }
    return "is invalid";
}

size_t ft_money_format(__int128 minor, int exponent, char *buf, size_t cap)
{
    char tmp[64];
    size_t n = 0;
    bool neg = minor < 0;
    unsigned __int128 v = neg ? (unsigned __int128)(-(minor + 1)) + 1 : (unsigned __int128)minor;
    int digits = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
        digits++;
        if (exponent > 0 && digits == exponent)
            tmp[n++] = '.';
    } while (v || digits <= exponent);
    if (neg)
        tmp[n++] = '-';
    if (n + 1 > cap)
        return 0;
    for (size_t k = 0; k < n; k++)
        buf[k] = tmp[n - 1 - k];
    buf[n] = '\0';
    return n;
}

bool ft_money_scale(int64_t *v, int k)
{
    for (; k > 0; k--) {
        if (__builtin_mul_overflow(*v, 10, v))
            return false;
    }
    return true;
}

/* --- the built-in currency table -------------------------------------- */

/* ISO 4217 active codes with their minor-unit exponents, sorted by code,
 * plus BTC (not ISO, but in the IBM data sets) with 8. */
static const struct iso_entry {
    char code[4];
    signed char exponent;
} iso_table[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
    {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
    {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2},
    {"BSD", 2}, {"BTC", 8}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2},
    {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2},
    {"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2},
    {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2},
    {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HRK", 2},
    {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2},
    {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2},
    {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2},
    {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2},
    {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2},
    {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2},
    {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2},
    {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2},
    {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SLL", 2}, {"SOS", 2},
    {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2},
    {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2},
    {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2},
    {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2},
    {"XAF", 0}, {"XCD", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2},
    {"ZWL", 2},
};

/* Currency names as the IBM AMLworld files write them. */
static const struct name_entry {
    const char *name;
    char code[4];
} name_table[] = {
    {"US Dollar", "USD"},    {"Euro", "EUR"},         {"Yuan", "CNY"},
    {"Yen", "JPY"},          {"UK Pound", "GBP"},     {"Rupee", "INR"},
    {"Ruble", "RUB"},        {"Swiss Franc", "CHF"},  {"Australian Dollar", "AUD"},
    {"Canadian Dollar", "CAD"}, {"Mexican Peso", "MXN"}, {"Brazil Real", "BRL"},
    {"Saudi Riyal", "SAR"},  {"Shekel", "ILS"},       {"Bitcoin", "BTC"},
};

static int cmp_iso(const void *key, const void *elem)
{
    return strncmp(key, ((const struct iso_entry *)elem)->code, 3);
}

int ft_currency_iso_exponent(const char *code)
{
    if (strlen(code) != 3)
        return -1;
    const struct iso_entry *e = bsearch(code, iso_table, sizeof iso_table / sizeof iso_table[0],
                                        sizeof iso_table[0], cmp_iso);
    return e ? e->exponent : -1;
}

static bool span_equals_ci(const char *s, size_t len, const char *z)
{
    return strlen(z) == len && strncasecmp(s, z, len) == 0;
}

bool ft_currency_resolve(const ft_currency_defs *defs, const char *s, size_t len,
                         ft_currency *out)
{
    ft_span_trim(&s, &len);
    if (len == 0 || len > FT_CURRENCY_CODE_MAX)
        goto names;
    if (defs) {
        for (int i = 0; i < defs->n; i++) {
            if (span_equals_ci(s, len, defs->items[i].cur.code)) {
                *out = defs->items[i].cur;
                return true;
            }
        }
    }
    if (len == 3) {
        char code[4] = {(char)toupper((unsigned char)s[0]), (char)toupper((unsigned char)s[1]),
                        (char)toupper((unsigned char)s[2]), '\0'};
        int exp = ft_currency_iso_exponent(code);
        if (exp >= 0) {
            memcpy(out->code, code, 4);
            out->exponent = exp;
            return true;
        }
    }
names:
    if (defs) {
        for (int i = 0; i < defs->n; i++) {
            for (int k = 0; k < defs->items[i].nnames; k++) {
                if (span_equals_ci(s, len, defs->items[i].names[k])) {
                    *out = defs->items[i].cur;
                    return true;
                }
            }
        }
    }
    for (size_t i = 0; i < sizeof name_table / sizeof name_table[0]; i++) {
        if (span_equals_ci(s, len, name_table[i].name)) {
            memcpy(out->code, name_table[i].code, 4);
            out->exponent = ft_currency_iso_exponent(name_table[i].code);
            return true;
        }
    }
    return false;
}

/* --- user currency definitions ---------------------------------------- */

static char *dup_span(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static ft_status add_def(ft_currency_defs *defs, ft_error *err)
{
    if (defs->n == defs->cap) {
        int cap = defs->cap ? defs->cap * 2 : 8;
        void *p = realloc(defs->items, (size_t)cap * sizeof defs->items[0]);
        if (!p)
            return ft_error_oom(err);
        defs->items = p;
        defs->cap = cap;
    }
    memset(&defs->items[defs->n], 0, sizeof defs->items[0]);
    defs->n++;
    return FT_OK;
}

ft_status ft_currency_defs_load(ft_currency_defs *defs, const char *path, ft_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ft_error_errno(err, FT_EUSAGE, "open currency file", path);
    char line[1024];
    int64_t lineno = 0;
    ft_status rc = FT_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strcspn(line, "#\r\n");
        line[len] = '\0';
        /* Split on commas; fields are trimmed. */
        char *fields[16];
        int nf = 0;
        char *p = line;
        while (nf < 16) {
            char *comma = strchr(p, ',');
            if (comma)
                *comma = '\0';
            const char *f0 = p;
            size_t fl = strlen(p);
            ft_span_trim(&f0, &fl);
            ((char *)f0)[fl] = '\0';
            fields[nf++] = (char *)f0;
            if (!comma)
                break;
            p = comma + 1;
        }
        if (nf == 1 && fields[0][0] == '\0')
            continue;
        if (nf < 2 || fields[0][0] == '\0') {
            rc = ft_error_at(err, FT_EUSAGE, path, lineno, 0,
                             "expected CODE,EXPONENT[,NAME...]");
            break;
        }
        if (strlen(fields[0]) > FT_CURRENCY_CODE_MAX) {
            rc = ft_error_at(err, FT_EUSAGE, path, lineno, 1, "currency code '%s' is too long",
                             fields[0]);
            break;
        }
        char *end = NULL;
        errno = 0;
        long exp = strtol(fields[1], &end, 10);
        if (errno || end == fields[1] || *end || exp < 0 || exp > FT_MONEY_MAX_EXPONENT) {
            rc = ft_error_at(err, FT_EUSAGE, path, lineno, 2,
                             "exponent '%s' is not a whole number from 0 to %d", fields[1],
                             FT_MONEY_MAX_EXPONENT);
            break;
        }
        if ((rc = add_def(defs, err)) != FT_OK)
            break;
        struct ft_currency_def *d = &defs->items[defs->n - 1];
        for (size_t k = 0; fields[0][k]; k++)
            d->cur.code[k] = (char)toupper((unsigned char)fields[0][k]);
        d->cur.exponent = (int)exp;
        if (nf > 2) {
            d->names = calloc((size_t)(nf - 2), sizeof *d->names);
            if (!d->names) {
                rc = ft_error_oom(err);
                break;
            }
            for (int k = 2; k < nf; k++) {
                if (fields[k][0] == '\0')
                    continue;
                d->names[d->nnames] = dup_span(fields[k], strlen(fields[k]));
                if (!d->names[d->nnames]) {
                    rc = ft_error_oom(err);
                    break;
                }
                d->nnames++;
            }
            if (rc != FT_OK)
                break;
        }
    }
    if (rc == FT_OK && ferror(f))
        rc = ft_error_errno(err, FT_EIO, "read", path);
    fclose(f);
    return rc;
}

void ft_currency_defs_free(ft_currency_defs *defs)
{
    for (int i = 0; i < defs->n; i++) {
        for (int k = 0; k < defs->items[i].nnames; k++)
            free(defs->items[i].names[k]);
        free(defs->items[i].names);
    }
    free(defs->items);
    memset(defs, 0, sizeof *defs);
}
