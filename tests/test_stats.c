/*
 * test_stats.c - the summary of a small, hand-computed data set.
 *
 *   #  time   from  to  amount
 *   1  09:00  A     B   10.00 EUR
 *   2  09:10  A     C    5.00 EUR
 *   3  09:20  B     C    2.50 EUR
 *   4  09:30  C     A    1.00 USD
 *   5  09:40  D     E     100 JPY
 *   6  09:50  E     E    7.00 EUR   (a self-transfer)
 *
 * Totals: EUR 24.50 in 4, USD 1.00 in 1, JPY 100 in 1.
 * Out-degrees A2 B1 C1 D1 E1: sorted 1 1 1 1 2, p50 = 3rd = 1, p99 = 5th = 2.
 * In-degrees  A1 B1 C2 D0 E2: sorted 0 1 1 2 2, p50 = 1, p99 = 2.
 * Components {A,B,C} {D,E}. EUR has the most transfers, so it ranks, and
 * only accounts with EUR transfers are ranked: out A 15.00 (2 transfers),
 * E 7.00, B 2.50; in B 10.00, C 7.50 (2), E 7.00 (1: its JPY is not counted).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fundtrace/graph.h"
#include "fundtrace/output.h"
#include "fundtrace/stats.h"

static const char *CSV = "txn_id,timestamp,src_account,dst_account,amount,currency,label\n"
                         "1,2024-05-01T09:00:00Z,A,B,10.00,EUR,x\n"
                         "2,2024-05-01T09:10:00Z,A,C,5.00,EUR,\n"
                         "3,2024-05-01T09:20:00Z,B,C,2.50,EUR,x\n"
                         "4,2024-05-01T09:30:00Z,C,A,1.00,USD,y\n"
                         "5,2024-05-01T09:40:00Z,D,E,100,JPY,\n"
                         "6,2024-05-01T09:50:00Z,E,E,7.00,EUR,\n"
                         "7,2024-05-01T09:50:00Z,E,E,7.00,XYZ,\n";

/* Loads `csv` and computes its statistics. */
static void load_stats(ft_store *s, ft_stats *st, const char *csv)
{
    ft_error err;
    assert_int_equal(tu_load(s, "s.csv", csv, NULL, NULL, &err), FT_OK);
    assert_int_equal(ft_stats_compute(s, st, &err), FT_OK);
}

static void test_hand_computed(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_stats st;
    load_stats(&s, &st, CSV);
    assert_int_equal(st.txns, 6);
    assert_int_equal(st.accounts, 5);
    assert_int_equal(st.self_transfers, 1);
    assert_int_equal(st.labelled_rows, 3);
    assert_int_equal(st.labels, 2);
    assert_int_equal(st.ntotals, 3);
    const char *codes[] = {"EUR", "JPY", "USD"};
    const int64_t sums[] = {2450, 100, 100}, counts[] = {4, 1, 1};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(s.currencies[st.totals[i].cur].code, codes[i]);
        assert_true(st.totals[i].sum == sums[i]);
        assert_int_equal(st.totals[i].count, counts[i]);
    }
    assert_int_equal(st.out_degree.max, 2);
    assert_int_equal(st.out_degree.p50, 1);
    assert_int_equal(st.out_degree.p99, 2);
    assert_int_equal(st.in_degree.max, 2);
    assert_int_equal(st.in_degree.p50, 1);
    assert_int_equal(st.in_degree.p99, 2);
    assert_int_equal(st.components, 2);
    assert_int_equal(st.largest_component, 3);
    assert_string_equal(s.currencies[st.rank_cur].code, "EUR");
    const char *out[] = {"A", "E", "B"};
    const int64_t out_amt[] = {1500, 700, 250};
    assert_int_equal(st.ntop_out, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(ft_store_account(&s, st.top_out[i].account, NULL), out[i]);
        assert_true(st.top_out[i].amount == out_amt[i]);
    }
    assert_int_equal(st.top_out[0].count, 2);
    const char *in[] = {"B", "C", "E"};
    const int64_t in_amt[] = {1000, 750, 700};
    assert_int_equal(st.ntop_in, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(ft_store_account(&s, st.top_in[i].account, NULL), in[i]);
        assert_true(st.top_in[i].amount == in_amt[i]);
    }
    assert_int_equal(st.top_in[1].count, 2);
    assert_int_equal(st.top_in[2].count, 1);

    /* igraph agrees on the components. */
    ft_error err;
    igraph_t g;
    int64_t count, largest;
    assert_int_equal(ft_graph_build(&g, &s, &err), FT_OK);
    assert_int_equal(ft_graph_weak_components(&g, &count, &largest, &err), FT_OK);
    igraph_destroy(&g);
    assert_int_equal(count, st.components);
    assert_int_equal(largest, st.largest_component);
    assert_int_equal(IGRAPH_FINALLY_STACK_SIZE(), 0);
    assert_int_equal(ft_stats_check_igraph(&s, &st, &err), FT_OK);
    st.components++; /* a count igraph does not share is refused, with both */
    assert_int_equal(ft_stats_check_igraph(&s, &st, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "igraph counts"));
    ft_stats_free(&st);
    ft_store_free(&s);
}

static void test_json_keys_scripts_rely_on(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_stats st;
    load_stats(&s, &st, CSV);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ft_write_stats(f, &s, &st, FT_FORMAT_JSONL);
    fclose(f);
    assert_non_null(strstr(buf, "\"rows_read\":7,\"rows_loaded\":6,\"rows_rejected\":1,"));
    assert_non_null(strstr(buf, "\"unknown_currency\":1"));
    assert_non_null(strstr(buf, "\"accounts\":5,\"transactions\":6,"));
    assert_non_null(strstr(buf, "\"first_time\":\"2024-05-01T09:00:00Z\","
                                "\"last_time\":\"2024-05-01T09:50:00Z\""));
    assert_non_null(strstr(buf, "\"totals\":[{\"currency\":\"EUR\",\"amount\":\"24.50\","
                                "\"minor_units\":2450,\"exponent\":2,\"count\":4},"
                                "{\"currency\":\"JPY\",\"amount\":\"100\",\"minor_units\":100,"
                                "\"exponent\":0,\"count\":1},"));
    assert_non_null(strstr(buf, "\"weak_components\":{\"count\":2,\"largest\":3}"));
    assert_int_equal(buf[len - 1], '\n');
    assert_null(memchr(buf, '\n', len - 1)); /* one line */
    free(buf);
    ft_stats_free(&st);
    ft_store_free(&s);
}

static void test_empty_store(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_stats st;
    load_stats(&s, &st, "timestamp,src_account,dst_account,amount,currency\n");
    assert_int_equal(st.txns, 0);
    assert_int_equal(st.ntotals, 0);
    assert_int_equal(st.rank_cur, -1);
    assert_int_equal(st.components, 0);
    ft_stats_free(&st);
    ft_store_free(&s);
}

static void test_json_escapes_and_replaces_bad_utf8(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ft_json j;
    ft_json_init(&j, f, false);
    ft_json_object(&j, NULL);
    ft_json_string(&j, "k", "a\"b\\c\n\x01\xc3\xa9\xff\xe2\x82", 12);
    ft_json_end(&j, '}');
    ft_json_finish(&j);
    fclose(f);
    assert_string_equal(buf, "{\"k\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd"
                             "\xef\xbf\xbd\"}\n");
    free(buf);
}

/* A rates table: the analysis total in the base currency, and refusals
 * with the file's line. */
static void test_rates(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,2024-01-01T00:00:00Z,A,B,100.00,EUR\n"
                      "2,2024-01-01T00:00:01Z,A,B,50.00,USD\n"
                      "3,2024-01-01T00:00:02Z,A,B,1000,JPY\n";
    ft_store s = {0};
    ft_error err;
    if (tu_load(&s, "r.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    char path[] = "/tmp/ft_rates_XXXXXX";
    int fd = mkstemp(path);
    const char *rates = "# to euros\nbase = EUR\nUSD = 0.9\nJPY = 0.006\nCHF = 1.05\n";
    assert_int_equal(write(fd, rates, strlen(rates)), (ssize_t)strlen(rates));
    close(fd);
    assert_int_equal(ft_store_rates_load(&s, path, &err), FT_OK);
    assert_string_equal(s.rate_base, "EUR");
    assert_float_equal(ft_store_analysis(&s, 1), 45.0, 1e-9);
    assert_float_equal(ft_store_analysis(&s, 2), 6.0, 1e-9);
    ft_stats st;
    assert_int_equal(ft_stats_compute(&s, &st, &err), FT_OK);
    assert_true(st.has_analysis);
    assert_float_equal(st.analysis_total, 151.0, 1e-9);
    ft_stats_free(&st);
    FILE *f = fopen(path, "w");
    fputs("base = EUR\nUSD = 0.9\n", f);
    fclose(f);
    assert_int_equal(ft_store_rates_load(&s, path, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "no rate for JPY"));
    f = fopen(path, "w");
    fputs("base = EUR\nUSD = -1\n", f);
    fclose(f);
    assert_int_equal(ft_store_rates_load(&s, path, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, ":2: rate '-1' for USD"));
    /* codes of four letters, as a rate or as the base; lines without '=';
     * no base */
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"base = EUR\nEURO = 1.2\n", ":2: 'EURO' is not a three-letter currency code"},
        {"base = EUR\nbasis = 1\n", ":2: 'basis' is not a three-letter currency code"},
        {"base = EURO\n", ":1: the base is a three-letter currency code"},
        {"base EUR\n", ":1: not 'CODE = RATE' or 'base = CODE'"},
        {"USD = 0.9\nJPY = 0.006\nEUR = 1\n", ": no 'base = CODE' line"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        f = fopen(path, "w");
        fputs(bad[k].text, f);
        fclose(f);
        assert_int_equal(ft_store_rates_load(&s, path, &err), FT_EINPUT);
        if (strncmp(err.msg, path, strlen(path)) != 0 ||
            strcmp(err.msg + strlen(path), bad[k].msg) != 0)
            fail_msg("rates %zu: %s", k, err.msg);
    }
    unlink(path);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_json_keys_scripts_rely_on),
        cmocka_unit_test(test_empty_store),
        cmocka_unit_test(test_json_escapes_and_replaces_bad_utf8),
        cmocka_unit_test(test_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
