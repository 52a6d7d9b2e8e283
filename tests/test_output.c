/*
 * test_output.c - CSV fields: quoting (RFC 4180) and the quote that keeps
 * a spreadsheet from running a cell as a formula.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
