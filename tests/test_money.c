/*
 * test_money.c - decimal text to minor units, formatting, currencies.
 * Every expected value is worked out by hand in the comment beside it.
 */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/money.h"

static int64_t parse_ok(const char *s, int exp)
{
    int64_t v = -1;
    ft_money_error why = FT_MONEY_SYNTAX;
    if (!ft_money_parse(s, strlen(s), exp, &v, &why))
        fail_msg("'%s' (exp %d) rejected: %s", s, exp, ft_money_strerror(why));
    assert_int_equal(why, FT_MONEY_OK);
    return v;
}

static ft_money_error parse_bad(const char *s, int exp)
{
    int64_t v = 12345;
    ft_money_error why = FT_MONEY_OK;
    if (ft_money_parse(s, strlen(s), exp, &v, &why))
        fail_msg("'%s' (exp %d) accepted as %lld", s, exp, (long long)v);
    assert_int_equal(v, 12345); /* untouched on failure */
    return why;
}

static void test_parse_is_exact(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0.29", 2), 29); /* 0.29 * 100 is 28.999... in double */
    assert_int_equal(parse_ok("1.1", 2), 110);
    assert_int_equal(parse_ok("12", 2), 1200);
    assert_int_equal(parse_ok("12.", 2), 1200);
    assert_int_equal(parse_ok(".5", 2), 50);
    assert_int_equal(parse_ok("0", 2), 0);
    assert_int_equal(parse_ok("+7.05", 2), 705);
    assert_int_equal(parse_ok("  3.10 ", 2), 310);
    assert_int_equal(parse_ok("682100.98", 2), 68210098);
    assert_int_equal(parse_ok("1500", 0), 1500);   /* JPY */
    assert_int_equal(parse_ok("1.234", 3), 1234);  /* BHD */
    assert_int_equal(parse_ok("0.00000001", 8), 1); /* one satoshi */
    assert_int_equal(parse_ok("21000000", 8), 2100000000000000LL);
}

static void test_trailing_zeros_beyond_exponent(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("12.340", 2), 1234);
    assert_int_equal(parse_ok("5.000000", 0), 5);
    assert_int_equal(parse_bad("12.341", 2), FT_MONEY_DECIMALS);
    assert_int_equal(parse_bad("1.5", 0), FT_MONEY_DECIMALS);
    assert_int_equal(parse_bad("0.0000000001", 8), FT_MONEY_DECIMALS);
}

static void test_negative(void **state)
{
    (void)state;
    assert_int_equal(parse_bad("-1", 2), FT_MONEY_NEGATIVE);
    assert_int_equal(parse_bad("-0.01", 2), FT_MONEY_NEGATIVE);
    assert_int_equal(parse_ok("-0", 2), 0);
    assert_int_equal(parse_ok("-0.00", 2), 0);
}

static void test_thousands_and_syntax(void **state)
{
    (void)state;
    assert_int_equal(parse_bad("1,234.56", 2), FT_MONEY_THOUSANDS);
    assert_int_equal(parse_bad("1,234,567", 2), FT_MONEY_THOUSANDS);
    assert_int_equal(parse_bad("1 234", 2), FT_MONEY_THOUSANDS);
    assert_int_equal(parse_bad("1'234.50", 2), FT_MONEY_THOUSANDS);
    assert_int_equal(parse_bad("1_000", 2), FT_MONEY_THOUSANDS);
    /* Not digit groups of three: plainly not a number. */
    assert_int_equal(parse_bad("12,5.0", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("12,5", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("1.234,56", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("1e5", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("NaN", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("inf", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("0x10", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("1.2.3", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad(".", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("+", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("--1", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("$12", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("12 EUR", 2), FT_MONEY_SYNTAX);
    assert_int_equal(parse_bad("", 2), FT_MONEY_EMPTY);
    assert_int_equal(parse_bad("   ", 2), FT_MONEY_EMPTY);
}

static void test_overflow_at_int64_edge(void **state)
{
    (void)state;
    /* INT64_MAX = 9223372036854775807 */
    assert_int_equal(parse_ok("9223372036854775807", 0), INT64_MAX);
    assert_int_equal(parse_ok("92233720368547758.07", 2), INT64_MAX);
    assert_int_equal(parse_bad("9223372036854775808", 0), FT_MONEY_OVERFLOW);
    assert_int_equal(parse_bad("92233720368547758.08", 2), FT_MONEY_OVERFLOW);
    /* 10^17 with two decimals would be 10^19 minor units. */
    assert_int_equal(parse_bad("100000000000000000", 2), FT_MONEY_OVERFLOW);
    assert_int_equal(parse_bad("99999999999999999999999999", 0), FT_MONEY_OVERFLOW);
    /* Syntax is judged before size. */
    assert_int_equal(parse_bad("99999999999999999999999999x", 0), FT_MONEY_SYNTAX);
}

static int64_t float_ok(const char *s, int exp, bool want_rounded)
{
    int64_t v = -1;
    bool rounded = !want_rounded;
    ft_money_error why = FT_MONEY_SYNTAX;
    if (!ft_money_parse_float_text(s, strlen(s), exp, &v, &rounded, &why))
        fail_msg("'%s' (exp %d) rejected: %s", s, exp, ft_money_strerror(why));
    if (rounded != want_rounded)
        fail_msg("'%s' (exp %d): rounded is %d", s, exp, rounded);
    return v;
}

static ft_money_error float_bad(const char *s, int exp)
{
    int64_t v = 0;
    bool rounded;
    ft_money_error why = FT_MONEY_OK;
    if (ft_money_parse_float_text(s, strlen(s), exp, &v, &rounded, &why))
        fail_msg("'%s' (exp %d) accepted as %lld", s, exp, (long long)v);
    return why;
}

static void test_float_text_is_read_exactly(void **state)
{
    (void)state;
    /* The noise of a binary float printed in full. */
    assert_int_equal(float_ok("163.98000000000002", 2, true), 16398);
    assert_int_equal(float_ok("182.98999999999998", 2, true), 18299);
    assert_int_equal(float_ok("465.05", 2, false), 46505);
    assert_int_equal(float_ok("181.0", 2, false), 18100);
    assert_int_equal(float_ok("9839.64", 2, false), 983964);
    /* Java's Float.toString and friends. */
    assert_int_equal(float_ok("1.0E7", 2, false), 1000000000);
    assert_int_equal(float_ok("1.2345678E7", 2, false), 1234567800);
    assert_int_equal(float_ok("2.5e-3", 2, true), 0);   /* 0.0025: half to even */
    assert_int_equal(float_ok("3.5e-3", 2, true), 0);   /* 0.0035 -> 0.00 */
    assert_int_equal(float_ok("0.015", 2, true), 2);    /* 1.5 cents: to the even 2 */
    assert_int_equal(float_ok("0.025", 2, true), 2);    /* 2.5 cents: to the even 2 */
    assert_int_equal(float_ok("0.0251", 2, true), 3);   /* past half */
    assert_int_equal(float_ok("0.0049", 2, true), 0);
    assert_int_equal(float_ok("0.0004", 2, true), 0);
    assert_int_equal(float_ok("0", 2, false), 0);
    assert_int_equal(float_ok("0e99", 2, false), 0);
    assert_int_equal(float_ok("-0.0", 2, false), 0);
    assert_int_equal(float_ok(" 12 ", 0, false), 12);
    assert_int_equal(float_ok("99.995", 2, true), 10000); /* carries into the units */
    assert_int_equal(float_ok("92233720368547758.07", 2, false), INT64_MAX);
    assert_int_equal(float_bad("92233720368547758.075", 2), FT_MONEY_OVERFLOW); /* rounds up */
    assert_int_equal(float_bad("1e20", 0), FT_MONEY_OVERFLOW);
    assert_int_equal(float_bad("-1.5", 2), FT_MONEY_NEGATIVE);
    assert_int_equal(float_bad("1,234.5", 2), FT_MONEY_SYNTAX);
    assert_int_equal(float_bad("1e", 2), FT_MONEY_SYNTAX);
    assert_int_equal(float_bad("e5", 2), FT_MONEY_SYNTAX);
    assert_int_equal(float_bad("NaN", 2), FT_MONEY_SYNTAX);
    assert_int_equal(float_bad("", 2), FT_MONEY_EMPTY);
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(ft_money_format(1234, 2, buf, sizeof buf), 5);
    assert_string_equal(buf, "12.34");
    ft_money_format(5, 2, buf, sizeof buf);
    assert_string_equal(buf, "0.05");
    ft_money_format(0, 2, buf, sizeof buf);
    assert_string_equal(buf, "0.00");
    ft_money_format(0, 0, buf, sizeof buf);
    assert_string_equal(buf, "0");
    ft_money_format(-1230, 2, buf, sizeof buf);
    assert_string_equal(buf, "-12.30");
    ft_money_format(1, 8, buf, sizeof buf);
    assert_string_equal(buf, "0.00000001");
    ft_money_format(INT64_MAX, 0, buf, sizeof buf);
    assert_string_equal(buf, "9223372036854775807");
    /* A total beyond int64: 2 * INT64_MAX. */
    ft_money_format((__int128)INT64_MAX * 2, 2, buf, sizeof buf);
    assert_string_equal(buf, "184467440737095516.14");
    ft_money_format(-(__int128)INT64_MAX * 4, 0, buf, sizeof buf);
    assert_string_equal(buf, "-36893488147419103228");
    assert_int_equal(ft_money_format(123456, 2, buf, 4), 0); /* too small */
}

static void test_scale(void **state)
{
    (void)state;
    int64_t v = 682100;
    assert_true(ft_money_scale(&v, 2));
    assert_int_equal(v, 68210000);
    v = INT64_MAX / 10 + 1;
    assert_false(ft_money_scale(&v, 1));
}

static void test_iso_and_names(void **state)
{
    (void)state;
    ft_currency c;
    assert_true(ft_currency_resolve(NULL, "EUR", 3, &c));
    assert_string_equal(c.code, "EUR");
    assert_int_equal(c.exponent, 2);
    assert_true(ft_currency_resolve(NULL, "jpy", 3, &c));
    assert_string_equal(c.code, "JPY");
    assert_int_equal(c.exponent, 0);
    assert_true(ft_currency_resolve(NULL, "BHD", 3, &c));
    assert_int_equal(c.exponent, 3);
    assert_true(ft_currency_resolve(NULL, "CLF", 3, &c));
    assert_int_equal(c.exponent, 4);
    assert_true(ft_currency_resolve(NULL, "US Dollar", 9, &c));
    assert_string_equal(c.code, "USD");
    assert_true(ft_currency_resolve(NULL, "Bitcoin", 7, &c));
    assert_string_equal(c.code, "BTC");
    assert_int_equal(c.exponent, 8);
    assert_true(ft_currency_resolve(NULL, "Yen", 3, &c));
    assert_string_equal(c.code, "JPY");
    assert_true(ft_currency_resolve(NULL, "UK Pound", 8, &c));
    assert_string_equal(c.code, "GBP");
    assert_false(ft_currency_resolve(NULL, "XYZ", 3, &c));
    assert_false(ft_currency_resolve(NULL, "", 0, &c));
    assert_false(ft_currency_resolve(NULL, "Dollar", 6, &c));
    assert_int_equal(ft_currency_iso_exponent("KWD"), 3);
    assert_int_equal(ft_currency_iso_exponent("ZZZ"), -1);
    /* the table's ends; codes of another length, even with a code inside */
    assert_int_equal(ft_currency_iso_exponent("AED"), 2);
    assert_int_equal(ft_currency_iso_exponent("ZWL"), 2);
    assert_int_equal(ft_currency_iso_exponent("EURO"), -1);
    assert_int_equal(ft_currency_iso_exponent("EU"), -1);
    assert_int_equal(ft_currency_iso_exponent(""), -1);
}

/* Reading an amount looks at s[0 .. len) only: cut inside a multi-byte
 * space, minus sign or apostrophe, the bytes after the cut change
 * nothing (the same text followed by other bytes reads the same). */
static void test_reads_nothing_past_len(void **state)
{
    (void)state;
    /* a thin space, a narrow and a plain no-break space after the number
     * and before it, a minus sign, an apostrophe and a thin space between
     * groups, also after a currency (then no other is looked for after
     * the number) */
    static const char *const texts[] = {
        "5\u2009",
        "5\u202f",
        "5\u00a0",
        "\u2009\x35",
        "\u00a0\x35",
        "\u2212\x35",
        "1\u2019\x30\x30\x30",
        "1\u2009\x30\x30\x30",
        "5 \u202f",
        "$1\u2019\x30\x30\x30",
        "$1\u2009\x30\x30\x30",
        "$1\u00a0\x30\x30\x30",
    };
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        size_t n = strlen(texts[k]);
        for (size_t cut = 1; cut < n; cut++) {
            char other[32];
            memcpy(other, texts[k], cut);
            memset(other + cut, 'x', sizeof other - cut);
            for (int m = 0; m < 2; m++) {
                char mark = m ? ',' : '.';
                ft_amount_text a, b;
                ft_money_error ea = ft_amount_read(texts[k], cut, mark, &a);
                ft_money_error eb = ft_amount_read(other, cut, mark, &b);
                if (ea != eb || a.neg != b.neg || a.nint != b.nint || a.nfrac != b.nfrac ||
                    a.cur_len != b.cur_len || memcmp(a.ints, b.ints, (size_t)a.nint) != 0)
                    fail_msg("text %zu cut at %zu: %d and %d", k, cut, ea, eb);
                if (ft_amount_guess_mark(texts[k], cut) != ft_amount_guess_mark(other, cut))
                    fail_msg("text %zu cut at %zu: the marks differ", k, cut);
            }
        }
    }
}

static void test_user_currencies(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/cur.csv", dir);
    const char *text = "# extra currencies\n"
                       "ETH,18,Ether,Ethereum\n"
                       "\n"
                       "jpy, 2 ,Yen (IBM)\n"
                       "XTS,0\n";
    tu_write(path, text, strlen(text));
    ft_currency_defs defs = {0};
    ft_error err;
    assert_int_equal(ft_currency_defs_load(&defs, path, &err), FT_OK);
    assert_int_equal(defs.n, 3);
    ft_currency c;
    assert_true(ft_currency_resolve(&defs, "Ethereum", 8, &c));
    assert_string_equal(c.code, "ETH");
    assert_int_equal(c.exponent, 18);
    /* A definition overrides the built-in table. */
    assert_true(ft_currency_resolve(&defs, "JPY", 3, &c));
    assert_int_equal(c.exponent, 2);
    assert_true(ft_currency_resolve(&defs, "xts", 3, &c));
    assert_string_equal(c.code, "XTS");
    ft_currency_defs_free(&defs);

    const char *bad = "ETH,19\n";
    tu_write(path, bad, strlen(bad));
    assert_int_equal(ft_currency_defs_load(&defs, path, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, ":1:2: exponent '19'"));
    ft_currency_defs_free(&defs);
    tu_rmdir(dir);
}

/* Amounts as bank exports write them. */
static int64_t read_ok(const char *s, char mark, int exp, const char *cur)
{
    ft_amount_text a;
    ft_money_error e = ft_amount_read(s, strlen(s), mark, &a);
    if (e != FT_MONEY_OK)
        fail_msg("'%s' (mark %c) refused: %s", s, mark, ft_money_strerror(e));
    if (cur)
        assert_true(a.cur && strlen(cur) == a.cur_len && memcmp(a.cur, cur, a.cur_len) == 0);
    else
        assert_null(a.cur);
    int64_t v = 0;
    e = ft_amount_minor(&a, exp, &v);
    if (e != FT_MONEY_OK)
        fail_msg("'%s' does not fit %d decimals: %s", s, exp, ft_money_strerror(e));
    return v;
}

static ft_money_error read_bad(const char *s, char mark)
{
    ft_amount_text a;
    return ft_amount_read(s, strlen(s), mark, &a);
}

static void test_bank_amounts(void **state)
{
    (void)state;
    assert_int_equal(read_ok("1.234,56", ',', 2, NULL), 123456);
    assert_int_equal(read_ok("99,50", ',', 2, NULL), 9950);
    assert_int_equal(read_ok("1.234.567,89 EUR", ',', 2, "EUR"), 123456789);
    assert_int_equal(read_ok("\xe2\x82\xac 1.234,56", ',', 2, "\xe2\x82\xac"), 123456);
    assert_int_equal(read_ok("1,234.56 USD", '.', 2, "USD"), 123456);
    assert_int_equal(read_ok("1 234,5", ',', 2, NULL), 123450);
    assert_int_equal(read_ok("1\xc2\xa0"
                             "234,50\xc2\xa0\xe2\x82\xac",
                             ',', 2, "\xe2\x82\xac"),
                     123450); /* no-break spaces */
    assert_int_equal(read_ok("1'234.50", '.', 2, NULL), 123450);
    assert_int_equal(read_ok("1\xe2\x80\x99"
                             "234.50",
                             '.', 2, NULL),
                     123450); /* U+2019 */
    assert_int_equal(read_ok("(100.00)", '.', 2, NULL), -10000);
    assert_int_equal(read_ok("100.00-", '.', 2, NULL), -10000);
    assert_int_equal(read_ok("-\xe2\x82\xac"
                             "5",
                             '.', 2, "\xe2\x82\xac"),
                     -500);
    assert_int_equal(read_ok("\xe2\x88\x92"
                             "7,5",
                             ',', 2, NULL),
                     -750); /* U+2212 */
    assert_int_equal(read_ok("US$ 3", '.', 2, "US$"), 300);
    assert_int_equal(read_ok("0,29", ',', 2, NULL), 29); /* exact, as for a point */
    assert_int_equal(read_ok("1.000", ',', 0, NULL), 1000);
    /* Groups of three only, one separator throughout. */
    assert_int_equal(read_bad("1,23,456.00", '.'), FT_MONEY_THOUSANDS);
    assert_int_equal(read_bad("99,50", '.'), FT_MONEY_THOUSANDS);
    assert_int_equal(read_bad("1.234 567,00", ','), FT_MONEY_THOUSANDS);
    assert_int_equal(read_bad("1.234,56", '.'), FT_MONEY_SYNTAX);
    assert_int_equal(read_bad("12x", '.'), FT_MONEY_SYNTAX);
    assert_int_equal(read_bad("(5", '.'), FT_MONEY_SYNTAX);
    assert_int_equal(read_bad("-(5)", '.'), FT_MONEY_SYNTAX);
    assert_int_equal(read_bad("EUR", '.'), FT_MONEY_SYNTAX);
    assert_int_equal(read_bad("  ", '.'), FT_MONEY_EMPTY);
    ft_amount_text a;
    int64_t v;
    assert_int_equal(ft_amount_read("12,345", 6, ',', &a), FT_MONEY_OK);
    assert_int_equal(ft_amount_minor(&a, 2, &v), FT_MONEY_DECIMALS);
    assert_int_equal(ft_amount_read("92233720368547758,08", 20, ',', &a), FT_MONEY_OK);
    assert_int_equal(ft_amount_minor(&a, 2, &v), FT_MONEY_OVERFLOW);
    assert_int_equal(ft_amount_read("-92233720368547758,07", 21, ',', &a), FT_MONEY_OK);
    assert_int_equal(ft_amount_minor(&a, 2, &v), FT_MONEY_OK);
    assert_int_equal(v, -INT64_MAX);
}

static void test_guess_mark(void **state)
{
    (void)state;
    assert_int_equal(ft_amount_guess_mark("1.234,56", 8), ',');
    assert_int_equal(ft_amount_guess_mark("1,234.56", 8), '.');
    assert_int_equal(ft_amount_guess_mark("99,50", 5), ',');
    assert_int_equal(ft_amount_guess_mark("99.5", 4), '.');
    assert_int_equal(ft_amount_guess_mark("1.234.567", 9), ',');
    assert_int_equal(ft_amount_guess_mark("1,234,567", 9), '.');
    assert_int_equal(ft_amount_guess_mark("1,234", 5), 0); /* either */
    assert_int_equal(ft_amount_guess_mark("100", 3), 0);
    assert_int_equal(ft_amount_guess_mark("1.5.0", 5), 0); /* nothing */
}

static void test_currency_symbols(void **state)
{
    (void)state;
    ft_currency c;
    assert_true(ft_currency_symbol(NULL, "\xe2\x82\xac", 3, &c));
    assert_string_equal(c.code, "EUR");
    assert_true(ft_currency_symbol(NULL, "$", 1, &c));
    assert_string_equal(c.code, "USD");
    assert_true(ft_currency_symbol(NULL, "\xc2\xa3", 2, &c));
    assert_string_equal(c.code, "GBP");
    assert_true(ft_currency_symbol(NULL, "\xc2\xa5", 2, &c));
    assert_string_equal(c.code, "JPY");
    assert_int_equal(c.exponent, 0);
    assert_true(ft_currency_symbol(NULL, "chf", 3, &c));
    assert_string_equal(c.code, "CHF");
    assert_true(ft_currency_symbol(NULL, "Euro", 4, &c));
    assert_string_equal(c.code, "EUR");
    assert_false(ft_currency_symbol(NULL, "kr", 2, &c)); /* SEK, NOK or DKK? */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_is_exact),
        cmocka_unit_test(test_trailing_zeros_beyond_exponent),
        cmocka_unit_test(test_negative),
        cmocka_unit_test(test_thousands_and_syntax),
        cmocka_unit_test(test_overflow_at_int64_edge),
        cmocka_unit_test(test_float_text_is_read_exactly),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_iso_and_names),
        cmocka_unit_test(test_user_currencies),
        cmocka_unit_test(test_bank_amounts),
        cmocka_unit_test(test_guess_mark),
        cmocka_unit_test(test_reads_nothing_past_len),
        cmocka_unit_test(test_currency_symbols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
