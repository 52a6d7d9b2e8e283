/*
 * test_rules.c - the rules file: a good one and the alerts it makes
 * (watchlist, text, jurisdictions, risk with its path), bad ones refused
 * with file:line: reason, and a hostile pattern bounded by the match limit.
 *
 * The data (EUR; keys are IBAN-like, so their first two letters are their
 * country):
 *   1  00:00  DE00WATCH  -> DE00MULE1  5000.00   watchlisted payer
 *   2  00:30  DE00CLEAN  -> DE00MULE1  5000.00   clean money: MULE1 holds
 *                                                10000, half of it risky
 *   3  01:00  DE00MULE1  -> DE00MULE2  4000.00   carries 2000 of it
 *   4  02:00  DE00MULE2  -> DE00END    3000.00   carries 1500
 *   5  03:00  DE00A      -> IR00SHELL   700.00   "for the rifles"
 *   6  04:00  DE00B      -> DE00C        50.00   a memo of 40 'a's and '!'
 *   7  05:00  SY00X      -> DE00D       900.00
 *   8  06:00  DE00SHADY1 -> DE00E       100.00   watchlisted by pattern
 * Risk (decay 0.5, threshold 0.05): MULE1 0.5 x 5000/5000 = 0.5; MULE2
 * 0.25 x 2000/5000 = 0.1; END 0.125 x 1500/5000 = 0.0375 (under); E 0.5;
 * C 0.5 (B is on the watchlist too, after an account not in the data).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fundtrace/rules.h"

static const char *DATA =
    "txn_id,timestamp,src_account,dst_account,amount,currency,memo\n"
    "1,2024-05-01T00:00:00Z,DE00WATCH,DE00MULE1,5000.00,EUR,invoice 1\n"
    "2,2024-05-01T00:30:00Z,DE00CLEAN,DE00MULE1,5000.00,EUR,\n"
    "3,2024-05-01T01:00:00Z,DE00MULE1,DE00MULE2,4000.00,EUR,\n"
    "4,2024-05-01T02:00:00Z,DE00MULE2,DE00END,3000.00,EUR,\n"
    "5,2024-05-01T03:00:00Z,DE00A,IR00SHELL,700.00,EUR,for the rifles\n"
    "6,2024-05-01T04:00:00Z,DE00B,DE00C,50.00,EUR,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n"
    "7,2024-05-01T05:00:00Z,SY00X,DE00D,900.00,EUR,\n"
    "8,2024-05-01T06:00:00Z,DE00SHADY1,DE00E,100.00,EUR,\n";

static const char *RULES = "# rules for the test\n"
                           "[params]\n"
                           "fan.min_degree = 10\n"
                           "[watchlist]\n"
                           "account = DE00WATCH | sanctions list\n"
                           "pattern = ^DE00SHADY | shadow accounts\n"
                           "account = DE00NOBODY | not in the data\n"
                           "account = DE00B | second list\n"
                           "[text]\n"
                           "memo = (?i)\\brifles?\\b | weapons vocabulary\n"
                           "memo = ^(a+)+$ | a pattern that backtracks without end\n"
                           "[jurisdictions]\n"
                           "high_risk = IR, SY\n"
                           "[risk]\n"
                           "decay = 0.5\n"
                           "threshold = 0.05\n"
                           "max_hops = 3\n"
                           "window_days = 30\n"
                           "[limits]\n"
                           "match_limit = 1000\n";

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/ft_rules_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* The alert of `kind` about account `key` (its first account), or NULL. */
static const ft_alert *find(const ft_store *s, const ft_alerts *a, int kind, const char *key)
{
    for (uint32_t i = 0; i < a->n; i++) {
        size_t len;
        const char *k = ft_store_account(s, a->accts[a->v[i].acc0], &len);
        if (a->v[i].kind == kind && len == strlen(key) && memcmp(k, key, len) == 0)
            return &a->v[i];
    }
    return NULL;
}

static void test_good_rules(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_error err;
    if (tu_load(&s, "r.csv", DATA, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    char *path = write_temp(RULES);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_rules *r;
    if (ft_rules_load(&r, path, &p, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_true(p.fan_min_degree[0] == 10 && p.fan_min_degree[1] == 10);
    ft_alerts a;
    assert_int_equal(ft_scan_run(&s, &p, 2, &a, &err), FT_OK);
    assert_int_equal(a.n, 11);
    /* the detectors' one: WATCH -> MULE1 -> MULE2 -> END, 3 hops in two
     * hours keeping 80 % and 75 %, a stack (the rules' alerts are the 10) */
    const ft_alert *st = find(&s, &a, FT_PAT_STACK, "DE00WATCH");
    assert_non_null(st);
    assert_int_equal(st->ntxn, 3);
    const ft_alert *al = find(&s, &a, FT_KIND_WATCHLIST, "DE00WATCH");
    assert_non_null(al);
    assert_int_equal(al->ntxn, 1);
    assert_non_null(strstr(a.text + al->text, "sanctions list"));
    assert_non_null(find(&s, &a, FT_KIND_WATCHLIST, "DE00SHADY1"));
    al = find(&s, &a, FT_KIND_WATCHLIST, "DE00B");
    assert_non_null(al);
    assert_non_null(strstr(a.text + al->text, "second list"));
    al = find(&s, &a, FT_KIND_RISK, "DE00C");
    assert_non_null(al);
    assert_float_equal(al->score, 0.5, 1e-6);
    al = find(&s, &a, FT_KIND_TEXT, "DE00A");
    assert_non_null(al);
    assert_non_null(strstr(a.text + al->text, "for the rifles"));
    assert_null(find(&s, &a, FT_KIND_TEXT, "DE00B")); /* the hostile pattern: no match */
    assert_true(a.regex_limit_hits >= 1);
    assert_non_null(find(&s, &a, FT_KIND_JURISDICTION, "DE00A"));
    assert_non_null(find(&s, &a, FT_KIND_JURISDICTION, "DE00D"));
    al = find(&s, &a, FT_KIND_RISK, "DE00MULE1");
    assert_non_null(al);
    assert_float_equal(al->score, 0.5, 1e-6);
    assert_int_equal(al->ntxn, 1);
    al = find(&s, &a, FT_KIND_RISK, "DE00MULE2");
    assert_non_null(al);
    assert_float_equal(al->score, 0.1, 1e-6);
    assert_int_equal(al->ntxn, 2); /* the path: t1, t3 */
    assert_non_null(strstr(a.text + al->text, "DE00WATCH -(5000.00 EUR"));
    assert_null(find(&s, &a, FT_KIND_RISK, "DE00END"));
    al = find(&s, &a, FT_KIND_RISK, "DE00E");
    assert_non_null(al);
    assert_float_equal(al->score, 0.5, 1e-6);
    ft_alerts_free(&a);
    ft_rules_free(r);
    unlink(path);
    free(path);
    ft_store_free(&s);
}

/* Risk through several currencies: WATCH pays X 1000 and Y 3000, in EUR
 * and in USD; each currency's share is of what WATCH paid in it, and the
 * shares add up: X 0.5 x (1000/4000 + 1000/4000) = 0.25, Y 0.5 x 1.5,
 * at most 0.5. */
static void test_risk_in_two_currencies(void **state)
{
    (void)state;
    static const char *data = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                              "1,2024-05-01T00:00:00Z,DE00WATCH,DE00X,1000.00,EUR\n"
                              "2,2024-05-01T01:00:00Z,DE00WATCH,DE00Y,3000.00,EUR\n"
                              "3,2024-05-01T02:00:00Z,DE00WATCH,DE00X,1000.00,USD\n"
                              "4,2024-05-01T03:00:00Z,DE00WATCH,DE00Y,3000.00,USD\n";
    ft_store s = {0};
    ft_error err;
    if (tu_load(&s, "r.csv", data, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    char *path = write_temp("[watchlist]\naccount = DE00WATCH | listed\n"
                            "[risk]\ndecay = 0.5\nthreshold = 0.05\nmax_hops = 3\n"
                            "window_days = 30\n");
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_rules *r;
    if (ft_rules_load(&r, path, &p, &err) != FT_OK)
        fail_msg("%s", err.msg);
    ft_alerts a;
    assert_int_equal(ft_scan_run(&s, &p, 1, &a, &err), FT_OK);
    const ft_alert *al = find(&s, &a, FT_KIND_RISK, "DE00X");
    assert_non_null(al);
    assert_float_equal(al->score, 0.25, 1e-6);
    al = find(&s, &a, FT_KIND_RISK, "DE00Y");
    assert_non_null(al);
    assert_float_equal(al->score, 0.5, 1e-6);
    ft_alerts_free(&a);
    ft_rules_free(r);
    unlink(path);
    free(path);
    ft_store_free(&s);
}

/* [jurisdictions] bank = CODE | COUNTRY: an account at a listed bank is
 * in that bank's country, whatever its key says; at a bank not listed,
 * or with no bank, its key's country ("OTHER:Y": OT; "IR00X": IR). */
static void test_bank_countries(void **state)
{
    (void)state;
    static const char *data =
        "txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,amount,currency\n"
        "1,2024-05-01T00:00:00Z,,IR00X,OTHER,Y,100.00,EUR\n"
        "2,2024-05-01T01:00:00Z,BNK3,IR00Z,OTHER,Y,100.00,EUR\n";
    ft_store s = {0};
    ft_error err;
    if (tu_load(&s, "b.csv", data, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    char *path = write_temp("[jurisdictions]\nhigh_risk = IR\nbank = BNK3 | DE\n");
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_rules *r;
    if (ft_rules_load(&r, path, &p, &err) != FT_OK)
        fail_msg("%s", err.msg);
    ft_alerts a;
    assert_int_equal(ft_scan_run(&s, &p, 1, &a, &err), FT_OK);
    /* Y was paid from Iran once (IR00X, with no bank); IR00Z's bank is
     * German. */
    const ft_alert *al = find(&s, &a, FT_KIND_JURISDICTION, "OTHER:Y");
    assert_non_null(al);
    assert_non_null(strstr(a.text + al->text, "paid 0 and received 1 transfers with accounts in "
                                              "high-risk jurisdictions (IR)"));
    uint32_t n = 0;
    for (uint32_t i = 0; i < a.n; i++)
        n += a.v[i].kind == FT_KIND_JURISDICTION;
    assert_int_equal(n, 1);
    ft_alerts_free(&a);
    ft_rules_free(r);
    unlink(path);
    free(path);
    ft_store_free(&s);
}

static void refused(const char *text, const char *want)
{
    char *path = write_temp(text);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_rules *r = NULL;
    ft_error err;
    assert_int_not_equal(ft_rules_load(&r, path, &p, &err), FT_OK);
    assert_null(r);
    assert_null(p.rules);
    char expect[512];
    snprintf(expect, sizeof expect, "%s:%s", path, want);
    if (strcmp(err.msg, expect) != 0)
        fail_msg("got '%s', want '%s'", err.msg, expect);
    unlink(path);
    free(path);
}

static void test_bad_rules(void **state)
{
    (void)state;
    refused("[params]\nfan.min_degree = x\n", "2: fan.min_degree: 'x' is not a number");
    refused("[params]\n\ncycle.max_hops = 99\n",
            "3: cycle.max_hops: 99 is out of range (2 to 12)");
    refused("[text]\nmemo = (unclosed | r\n",
            "2: pattern error at offset 9: missing closing parenthesis");
    refused("[watchlist]\nname = X\n",
            "2: [watchlist] takes 'account = KEY | reason' or 'pattern = REGEX | reason', not "
            "'name'");
    refused("[nowhere]\na = b\n",
            "2: no section [nowhere] (params, watchlist, text, jurisdictions, risk, limits)");
    refused("[jurisdictions]\nhigh_risk = IR, IRN\n", "2: 'IRN' is not a two-letter country code");
    refused("[risk]\ndecay = 2\n",
            "2: [risk] takes decay and threshold (0 to 1), max_hops (1 to 20) and window_days; "
            "'decay = 2' is not one of them");
    refused("[text]\njust words\n", "2: not a 'name = value' line or a [section]");
    char long_line[400];
    memset(long_line, 'x', sizeof long_line);
    memcpy(long_line, "[text]\nmemo = ", 14);
    long_line[sizeof long_line - 2] = '\n';
    long_line[sizeof long_line - 1] = '\0';
    refused(long_line, "2: line longer than 199 bytes");
    /* Only the first error is given, with its line. */
    refused("[params]\nfan.min_degree = 12\n[bad\nstack.min_length = 1\n",
            "3: not a 'name = value' line or a [section]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_rules),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_risk_in_two_currencies),
        cmocka_unit_test(test_bank_countries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
