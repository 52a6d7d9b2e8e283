/*
 * test_output.c - CSV fields: quoting (RFC 4180) and the quote that keeps
 * a spreadsheet from running a cell as a formula; JSON strings: escapes,
 * and well-formed UTF-8 kept while anything else becomes U+FFFD.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/output.h"

static char *field(const char *s)
{
    char *out = NULL;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    ft_csv_write_field(f, s, strlen(s));
    fclose(f);
    return out;
}

static void expect(const char *in, const char *want)
{
    char *got = field(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_fields(void **state)
{
    (void)state;
    expect("plain", "plain");
    expect("a,b", "\"a,b\"");
    expect("say \"hi\"", "\"say \"\"hi\"\"\"");
    expect("", "");
    /* Formulas: a quote in front, inside the quotes when quoted. */
    expect("=1+1", "'=1+1");
    expect("+bob", "'+bob");
    expect("-carol", "'-carol");
    expect("@SUM(A1)", "'@SUM(A1)");
    expect("\t=x", "'\t=x");
    expect("\r=x", "\"'\r=x\"");
    expect("=HYPERLINK(\"u\",\"t\")", "\"'=HYPERLINK(\"\"u\"\",\"\"t\"\")\"");
    expect("'already", "''already"); /* a reader drops one quote: as it was */
    /* Numbers are numbers. */
    expect("-12.50", "-12.50");
    expect("+7", "+7");
    expect("-", "'-");
    expect("-1e5", "'-1e5");
    expect("- 5", "'- 5");
    ft_csv_set_raw(true);
    expect("=1+1", "=1+1");
    expect("'already", "'already");
    ft_csv_set_raw(false);
}

static char *json_string(const char *s, size_t len)
{
    char *out = NULL;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    ft_json j;
    ft_json_init(&j, f, false);
    ft_json_string(&j, NULL, s, len);
    fclose(f);
    return out;
}

#define R "\xEF\xBF\xBD" /* U+FFFD */

/* Each edge of Unicode's table of well-formed UTF-8: the first and last
 * sequence a lead byte allows pass through, one step past either is
 * replaced byte by byte; so are bytes that lead no sequence (F5 .. FF). */
static void test_json_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a\"\\\n\x01", "\"a\\\"\\\\\\n\\u0001\""},
        {"\xC2\x80", "\"\xC2\x80\""},
        {"\xC1\xBF", "\"" R R "\""},
        {"\xE0\xA0\x80", "\"\xE0\xA0\x80\""},
        {"\xE0\x9F\xBF", "\"" R R R "\""},
        {"\xED\x9F\xBF", "\"\xED\x9F\xBF\""},
        {"\xED\xA0\x80", "\"" R R R "\""},
        {"\xF0\x90\x80\x80", "\"\xF0\x90\x80\x80\""},
        {"\xF0\x8F\xBF\xBF", "\"" R R R R "\""},
        {"\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\""},
        {"\xF4\x90\x80\x80", "\"" R R R R "\""},
        {"\xE2\x82", "\"" R R "\""},
        {"\xF5\x80\x80\x80", "\"" R R R R "\""},
        {"\xFF\x80\x80", "\"" R R R "\""},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *got = json_string(cases[c].in, strlen(cases[c].in));
        if (strcmp(got, cases[c].want) != 0)
            fail_msg("case %zu: got %s, want %s", c, got, cases[c].want);
        free(got);
    }
}

/* Integers are written by hand, not by printf: every sign and width,
 * the ends of int64_t included; and an object's members, commas and
 * nesting come out as JSON. */
static void test_json_ints(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    ft_json j;
    ft_json_init(&j, f, false);
    ft_json_object(&j, NULL);
    ft_json_int(&j, "zero", 0);
    ft_json_int(&j, "one", 1);
    ft_json_int(&j, "minus", -7);
    ft_json_int(&j, "ten", 10);
    ft_json_int(&j, "min", INT64_MIN);
    ft_json_int(&j, "max", INT64_MAX);
    ft_json_array(&j, "l");
    ft_json_int(&j, NULL, -1234567890123LL);
    ft_json_bool(&j, NULL, true);
    ft_json_end(&j, ']');
    ft_json_end(&j, '}');
    ft_json_finish(&j);
    fclose(f);
    assert_string_equal(out, "{\"zero\":0,\"one\":1,\"minus\":-7,\"ten\":10,"
                             "\"min\":-9223372036854775808,\"max\":9223372036854775807,"
                             "\"l\":[-1234567890123,true]}\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_json_utf8),
        cmocka_unit_test(test_json_ints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
