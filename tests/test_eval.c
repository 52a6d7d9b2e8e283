/*
 * test_eval.c - precision, recall, F1 and rankings on hand-built alerts
 * and truth.
 *
 * Truth: I1 cycle {t1 t2 t3 t4}, I2 cycle {t5 t6}, I3 fan_in {t7..t12},
 * I4 structuring {t13 t14 t15}. An alert matches an instance when it
 * covers half of it and the instance is a quarter of the alert; it is
 * good when it matches one or half of it is planted. Alerts (score):
 *   a1 cycle {t1 t2 t3} (0.9)        3/4 of I1: finds I1, good
 *   a2 cycle {t5 t99} (0.2)          1/2 of I2: finds I2, good
 *   a3 cycle {t7 t8 t9 t10} (-)      matches fan_in's I3, wrong kind: good, finds nothing
 *   a4 fan_in {t7 t8} (0.5)          2/6 of I3: no match; all planted: good
 *   a5 fan_in {t9 t10 t11 t12} (0.8) 4/6 of I3: finds I3, good
 *   a6 structuring {t13} (0.7)       1/3 of I4: no match; planted: good
 *   a7 tf_collection {t50} (0.95)    nothing: not good
 *   a8 structuring {t13 t14 t15 x1..x10} (0.6)
 *                                    all of I4, but I4 is 3/13 of it: not good
 *   a9 cycle {t1 t2 t4} (0.1)        finds I1 again: good (two alerts, one instance)
 * cycle: found 2 of 2, 4 good of 4: P 1, R 1; txns 6 truth, 10 alerted, 5 both;
 *   ranked a1 a2 a9 a3: AP 1/2 + 1/2 = 1.
 * fan_in: 1 of 1, 2 good of 2; txns 6, 6, 6; AP 1.
 * structuring: 0 of 1, 1 good of 2: P 0.5, R 0, F1 0; txns 3, 13, 3; AP 0, p@100 0.5.
 * tf_collection: no instances: R undefined; 0 good of 1: P 0; AP undefined.
 * overall: 3 of 4 found, 7 good of 9: P 7/9, R 3/4, F1 42/55; txns 15, 26, 14;
 *   ranked a7 a1 a5 a6 a8 a4 a2 a9 a3: AP = 1/2 * 1/4 (a1) + 2/3 * 1/4 (a5)
 *   + 5/7 * 1/4 (a2) = 79/168; p@100 = 7/9, p@3 = 2/3.
 */
#include "testutil.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "fundtrace/eval.h"

static const char *TRUTH = "instance_id,pattern,params,txn_ids,accounts\n"
                           "I1,cycle,hops=4,t1;t2;t3;t4,a;b\n"
                           "I2,cycle,,t5;t6,\n"
                           "I3,fan_in,,t7;t8;t9;t10;t11;t12,\n"
                           "I4,structuring,\"threshold=10000,00\",t13;t14;t15,\n";

static const char *ALERTS =
    "{\"id\":\"a1\",\"kind\":\"cycle\",\"score\":0.9,\"txns\":[\"t1\",\"t2\",\"t3\"]}\n"
    "{\"id\":\"a2\",\"kind\":\"cycle\",\"score\":2e-1,\"txns\":[\"t5\",\"t99\"],\"params\":"
    "{\"max_hops\":6,\"keep\":[0.8,1.0],\"nested\":{\"x\":[true,false,null]}}}\n"
    "\n"
    "{\"kind\":\"cycle\",\"id\":\"a3\",\"txns\":[\"t7\",\"t8\",\"t9\",\"t10\"],"
    "\"explanation\":\"money \\\"moved\\\" \\u00e9\\ud83d\\ude00\",\"score\":null}\n"
    "{\"id\":\"a4\",\"kind\":\"FAN-IN\",\"score\":0.5,\"txns\":[\"t7\",\"t8\",\"t8\"]}\n"
    "{\"id\":\"a5\",\"kind\":\"fan_in\",\"score\":0.8,\"txns\":[\"t9\",\"t10\",\"t11\",\"t12\"]}\n"
    "  {\"id\":\"a6\",\"kind\":\"structuring\",\"score\":0.7,\"txns\":[\"t13\"]}  \n"
    "{\"id\":\"a7\",\"kind\":\"tf_collection\",\"score\":0.95,\"txns\":[\"t50\"]}\n"
    "{\"id\":\"a8\",\"kind\":\"structuring\",\"score\":0.6,\"txns\":[\"t13\",\"t14\",\"t15\","
    "\"x1\",\"x2\",\"x3\",\"x4\",\"x5\",\"x6\",\"x7\",\"x8\",\"x9\",\"x10\"]}\n"
    "{\"id\":\"a9\",\"kind\":\"cycle\",\"score\":0.1,\"txns\":[\"t1\",\"t2\",\"t4\"]}\n";

static ft_eval_options opt = {0.5, 0.25, 0.5, 100};

static const ft_eval_row *row(const ft_eval_result *r, const char *name)
{
    for (int i = 0; i < r->nrows; i++)
        if (strcmp(r->rows[i].name, name) == 0)
            return &r->rows[i];
    fail_msg("no row '%s'", name);
    return NULL;
}

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-9)
        fail_msg("got %.12f, want %.12f", got, want);
}

static ft_eval *load(const char *truth_csv, const char *alerts, char **dir_out)
{
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/truth.csv", dir);
    tu_write(path, truth_csv, strlen(truth_csv));
    ft_eval *ev;
    ft_error err;
    assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
    if (ft_eval_truth_file(ev, path, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    if (ft_eval_alerts_buffer(ev, "alerts.jsonl", alerts, strlen(alerts), &err) != FT_OK)
        fail_msg("%s", err.msg);
    *dir_out = dir;
    return ev;
}

static void test_hand_computed(void **state)
{
    (void)state;
    char *dir;
    ft_eval *ev = load(TRUTH, ALERTS, &dir);
    ft_eval_result r;
    ft_error err;
    assert_int_equal(ft_eval_score(ev, &opt, &r, &err), FT_OK);
    assert_int_equal(r.nrows, 5); /* cycle fan_in structuring tf_collection overall */
    const ft_eval_row *c = row(&r, "cycle");
    assert_int_equal(c->instances, 2);
    assert_int_equal(c->found, 2);
    assert_int_equal(c->alerts, 4);
    assert_int_equal(c->true_alerts, 4);
    near(c->precision, 1);
    near(c->recall, 1);
    near(c->f1, 1);
    near(c->ap, 1);
    near(c->p_at_k, 1);
    assert_int_equal(c->txn_truth, 6);
    assert_int_equal(c->txn_alerted, 10);
    assert_int_equal(c->txn_both, 5);
    const ft_eval_row *fi = row(&r, "fan_in");
    assert_int_equal(fi->alerts, 2);
    assert_int_equal(fi->true_alerts, 2);
    near(fi->precision, 1);
    near(fi->recall, 1);
    near(fi->ap, 1);
    assert_int_equal(fi->txn_both, 6);
    const ft_eval_row *st = row(&r, "structuring");
    assert_int_equal(st->alerts, 2);
    assert_int_equal(st->true_alerts, 1);
    near(st->precision, 0.5);
    near(st->recall, 0);
    near(st->f1, 0);
    near(st->ap, 0);
    near(st->p_at_k, 0.5);
    assert_int_equal(st->txn_alerted, 13);
    near(st->txn_recall, 1);
    const ft_eval_row *tf = row(&r, "tf_collection");
    assert_int_equal(tf->instances, 0);
    near(tf->precision, 0);
    assert_true(tf->recall < 0 && tf->f1 < 0 && tf->ap < 0); /* undefined */
    assert_true(tf->txn_recall < 0);
    const ft_eval_row *all = &r.rows[r.nrows - 1];
    assert_string_equal(all->name, "overall");
    assert_int_equal(all->instances, 4);
    assert_int_equal(all->found, 3);
    assert_int_equal(all->alerts, 9);
    assert_int_equal(all->true_alerts, 7);
    near(all->precision, 7.0 / 9);
    near(all->recall, 0.75);
    near(all->f1, 42.0 / 55);
    near(all->ap, 79.0 / 168);
    near(all->p_at_k, 7.0 / 9);
    assert_int_equal(all->txn_truth, 15);
    assert_int_equal(all->txn_alerted, 26);
    assert_int_equal(all->txn_both, 14);
    assert_int_equal(r.nunmatched, 2);
    assert_string_equal(r.unmatched[0], "a7");
    assert_string_equal(r.unmatched[1], "a8");
    ft_eval_result_free(&r);

    /* The top 3 by score: a7 (not good), a1, a5. */
    ft_eval_options top3 = opt;
    top3.top_k = 3;
    assert_int_equal(ft_eval_score(ev, &top3, &r, &err), FT_OK);
    near(r.rows[r.nrows - 1].p_at_k, 2.0 / 3);
    ft_eval_result_free(&r);

    /* A looser purity lets a8 match I4: found, and good. */
    ft_eval_options loose = opt;
    loose.purity = 0.2;
    assert_int_equal(ft_eval_score(ev, &loose, &r, &err), FT_OK);
    assert_int_equal(row(&r, "structuring")->found, 1);
    assert_int_equal(row(&r, "structuring")->true_alerts, 2);
    ft_eval_result_free(&r);

    /* A stricter share: a2 covers 1/2 of I2 and a5 4/6 of I3; a1 and a9
     * 3/4 of I1. */
    ft_eval_options strict = opt;
    strict.share = 0.75;
    assert_int_equal(ft_eval_score(ev, &strict, &r, &err), FT_OK);
    c = row(&r, "cycle");
    assert_int_equal(c->found, 1);
    assert_int_equal(c->true_alerts, 4); /* a2 and a3 are planted */
    assert_int_equal(row(&r, "fan_in")->found, 0);
    assert_int_equal(r.rows[r.nrows - 1].found, 1);
    ft_eval_result_free(&r);
    ft_eval_free(ev);
    tu_rmdir(dir);
}

static void test_bad_alert_lines(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *want;
    } cases[] = {
        {"{\"id\":\"x\",\"kind\":\"cycle\"}\n", "alerts.jsonl:1:1: an alert needs"},
        {"{\"id\":\"x\",\"kind\":\"cycle\",\"txns\":[\"a\"]\n", "alerts.jsonl:1:"},
        {"\n{\"id\":\"x\" \"kind\":\"cycle\",\"txns\":[]}\n", "alerts.jsonl:2:"},
        {"[1,2]\n", "alerts.jsonl:1:2: not an alert"},
        {"{\"id\":\"x\",\"kind\":\"cycle\",\"txns\":[\"a\"]} trailing\n",
         "alerts.jsonl:1:40: more after the value"},
        {"{\"id\":\"x\\q\",\"kind\":\"cycle\",\"txns\":[]}\n",
         "alerts.jsonl:1:9: an unknown escape in a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ft_eval *ev;
        ft_error err;
        assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
        ft_status rc = ft_eval_alerts_buffer(ev, "alerts.jsonl", cases[i].line,
                                             strlen(cases[i].line), &err);
        assert_int_equal(rc, FT_EINPUT);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
        ft_eval_free(ev);
    }
    /* A deeply nested params value is refused, not a stack overflow. */
    char deep[4096] = "{\"id\":\"x\",\"kind\":\"cycle\",\"txns\":[],\"params\":";
    size_t n = strlen(deep);
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    ft_eval *ev;
    ft_error err;
    assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
    assert_int_equal(ft_eval_alerts_buffer(ev, "deep", deep, n, &err), FT_EINPUT);
    ft_eval_free(ev);
}

static void test_ibm_patterns_against_data(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char data[512], pat[512];
    snprintf(data, sizeof data, "%s/HI-X_Trans.csv", dir);
    snprintf(pat, sizeof pat, "%s/HI-X_Patterns.txt", dir);
    const char *d = "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving "
                    "Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
                    "2022/09/01 00:20,010,A1,010,A2,10.00,Euro,10.00,Euro,ACH,0\n"       /* 2 */
                    "2022/09/01 00:21,010,A2,011,A3,20.00,Euro,20.00,Euro,ACH,1\n"       /* 3 */
                    "2022/09/01 00:22,011,A3,012,A4,19.00,Euro,19.00,Euro,ACH,1\n"       /* 4 */
                    "2022/09/01 00:23,012,A4,010,A2,18.00,Euro,18.00,Euro,ACH,1\r\n"     /* 5 */
                    "2022/09/01 00:24,013,A5,014,A6,5.00,Euro,5.00,Euro,ACH,1\n";        /* 6 */
    const char *p = "BEGIN LAUNDERING ATTEMPT - CYCLE:  Max 3 hops\n"
                    "2022/09/01 00:21,010,A2,011,A3,20.00,Euro,20.00,Euro,ACH,1\n"
                    "2022/09/01 00:22,011,A3,012,A4,19.00,Euro,19.00,Euro,ACH,1\n"
                    "2022/09/01 00:23,012,A4,010,A2,18.00,Euro,18.00,Euro,ACH,1\n"
                    "END LAUNDERING ATTEMPT - CYCLE\n\n"
                    "BEGIN LAUNDERING ATTEMPT - RANDOM:  Max 2 hops\n"
                    "2022/09/01 00:24,013,A5,014,A6,5.00,Euro,5.00,Euro,ACH,1\n"
                    "END LAUNDERING ATTEMPT - RANDOM\n";
    tu_write(data, d, strlen(d));
    tu_write(pat, p, strlen(p));
    ft_eval *ev;
    ft_error err;
    assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
    if (ft_eval_truth_ibm(ev, pat, data, &err) != FT_OK)
        fail_msg("%s", err.msg);
    const char *alerts = "{\"id\":\"c\",\"kind\":\"cycle\",\"txns\":[\"HI-X_Trans.csv:3\","
                         "\"HI-X_Trans.csv:5\"]}\n";
    assert_int_equal(ft_eval_alerts_buffer(ev, "a", alerts, strlen(alerts), &err), FT_OK);
    ft_eval_result r;
    assert_int_equal(ft_eval_score(ev, &opt, &r, &err), FT_OK);
    const ft_eval_row *c = row(&r, "cycle");
    assert_int_equal(c->instances, 1);
    assert_int_equal(c->found, 1); /* 2 of 3 rows */
    const ft_eval_row *rnd = row(&r, "random");
    assert_int_equal(rnd->instances, 1);
    assert_int_equal(rnd->found, 0);
    ft_eval_result_free(&r);
    ft_eval_free(ev);
    /* A pattern row missing from the data is an error. */
    const char *p2 = "BEGIN LAUNDERING ATTEMPT - STACK\n"
                     "2022/09/01 09:99,999,ZZ,999,YY,1.00,Euro,1.00,Euro,ACH,1\n"
                     "END LAUNDERING ATTEMPT - STACK\n";
    tu_write(pat, p2, strlen(p2));
    assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
    assert_int_equal(ft_eval_truth_ibm(ev, pat, data, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "is not in"));
    ft_eval_free(ev);
    tu_rmdir(dir);
}

static void test_amlsim_and_labels(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/alert_transactions.csv", dir);
    const char *a = "alert_id,alert_type,is_sar,tran_id,orig_acct,bene_acct,tx_type,base_amt,"
                    "tran_timestamp\n"
                    "7,fan_in,True,101,1,9,TRANSFER,10.0,2017-01-01T00:00:00Z\n"
                    "8,cycle,True,201,2,3,TRANSFER,10.0,2017-01-01T00:00:00Z\n"
                    "7,fan_in,True,102,2,9,TRANSFER,10.0,2017-01-01T00:00:00Z\n"
                    "8,cycle,True,202,3,2,TRANSFER,10.0,2017-01-02T00:00:00Z\n";
    tu_write(path, a, strlen(a));
    ft_eval *ev;
    ft_error err;
    assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
    if (ft_eval_truth_amlsim(ev, path, &err) != FT_OK)
        fail_msg("%s", err.msg);
    const char *al = "{\"id\":\"x\",\"kind\":\"fan_in\",\"txns\":[101,102]}\n"
                     "{\"id\":\"y\",\"kind\":\"fan_in\",\"txns\":[201,202]}\n";
    assert_int_equal(ft_eval_alerts_buffer(ev, "a", al, strlen(al), &err), FT_OK);
    ft_eval_result r;
    assert_int_equal(ft_eval_score(ev, &opt, &r, &err), FT_OK);
    assert_int_equal(row(&r, "fan_in")->found, 1);
    assert_int_equal(row(&r, "fan_in")->true_alerts, 2); /* y matches the cycle: good */
    assert_int_equal(row(&r, "cycle")->found, 0);        /* but of the wrong kind */
    ft_eval_result_free(&r);
    ft_eval_free(ev);

    /* The same truth gzipped, recognised by its first line. */
    char gz[512];
    snprintf(gz, sizeof gz, "%s/alert_transactions.csv.gz", dir);
    gzFile z = gzopen(gz, "wb");
    assert_non_null(z);
    assert_int_equal(gzwrite(z, a, (unsigned)strlen(a)), (int)strlen(a));
    assert_int_equal(gzclose(z), Z_OK);
    assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
    if (ft_eval_truth_file(ev, gz, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_eval_alerts_buffer(ev, "a", al, strlen(al), &err), FT_OK);
    assert_int_equal(ft_eval_score(ev, &opt, &r, &err), FT_OK);
    assert_int_equal(row(&r, "fan_in")->found, 1);
    assert_int_equal(row(&r, "cycle")->instances, 1);
    ft_eval_result_free(&r);
    ft_eval_free(ev);
    /* Anything else is refused with its reason. */
    tu_write(gz, "a,b\n1,2\n", 8);
    assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
    assert_int_equal(ft_eval_truth_file(ev, gz, NULL, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "not a truth file"));
    ft_eval_free(ev);

    /* Labels: any kind finds a labelled instance. */
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency,label\n"
                      "1,2024-01-01T00:00:00Z,A,B,1,EUR,L1\n"
                      "2,2024-01-01T00:00:01Z,B,C,1,EUR,L1\n"
                      "3,2024-01-01T00:00:02Z,C,D,1,EUR,\n"
                      "4,2024-01-01T00:00:03Z,D,E,1,EUR,L2\n";
    ft_store s = {0};
    assert_int_equal(tu_load(&s, "l.csv", csv, NULL, NULL, &err), FT_OK);
    assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
    assert_int_equal(ft_eval_truth_labels(ev, &s, &err), FT_OK);
    const char *al2 = "{\"id\":\"z\",\"kind\":\"stack\",\"txns\":[\"1\",\"2\",\"3\"]}\n";
    assert_int_equal(ft_eval_alerts_buffer(ev, "a", al2, strlen(al2), &err), FT_OK);
    assert_int_equal(ft_eval_score(ev, &opt, &r, &err), FT_OK);
    const ft_eval_row *lab = row(&r, "labelled");
    assert_int_equal(lab->instances, 2);
    assert_int_equal(lab->found, 1);
    assert_int_equal(lab->true_alerts, 1);
    assert_int_equal(lab->txn_truth, 3);
    assert_int_equal(lab->txn_both, 2);
    ft_eval_result_free(&r);
    ft_eval_free(ev);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_json_output(void **state)
{
    (void)state;
    char *dir;
    ft_eval *ev = load(TRUTH, ALERTS, &dir);
    ft_eval_result r;
    ft_error err;
    assert_int_equal(ft_eval_score(ev, &opt, &r, &err), FT_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ft_eval_write(f, &r, FT_FORMAT_JSONL);
    fclose(f);
    assert_non_null(strstr(buf, "{\"pattern\":\"cycle\",\"instances\":2,\"found\":2,\"alerts\":4,"
                                "\"true_alerts\":4,\"precision\":1.000000,\"recall\":1.000000,"
                                "\"f1\":1.000000,\"average_precision\":1.000000,"
                                "\"precision_at_k\":1.000000,"));
    assert_non_null(strstr(buf, "\"pattern\":\"tf_collection\",\"instances\":0,\"found\":0,"
                                "\"alerts\":1,\"true_alerts\":0,\"precision\":0.000000,"
                                "\"recall\":null,\"f1\":null,\"average_precision\":null"));
    assert_non_null(strstr(buf, "\"overall\":{\"instances\":4,\"found\":3,\"alerts\":9,"));
    assert_non_null(
        strstr(buf, "\"unmatched_alerts\":[{\"id\":\"a7\",\"kind\":\"tf_collection\"},"));
    free(buf);
    ft_eval_result_free(&r);
    ft_eval_free(ev);
    tu_rmdir(dir);
}

/* The heap in use, as glibc counts it; 0 under AddressSanitizer, whose
 * heap it does not see (the sanitizer suite checks leaks there). */
static size_t heap_in_use(void)
{
#ifdef __SANITIZE_ADDRESS__
    return 0;
#else
    return mallinfo2().uordblks;
#endif
}

/* ft_eval_free and ft_eval_result_free give back everything: after two
 * rounds that warm the allocator, a third leaves the heap in use as it
 * found it (main() runs the program without glibc's per-thread cache of
 * freed blocks, which would blur the count). */
static void test_frees_everything(void **state)
{
    (void)state;
    size_t before = 0;
    for (int round = 0; round < 3; round++) {
        if (round == 2)
            before = heap_in_use();
        char *dir;
        ft_eval *ev = load(TRUTH, ALERTS, &dir);
        ft_eval_result r;
        ft_error err;
        assert_int_equal(ft_eval_score(ev, &opt, &r, &err), FT_OK);
        ft_eval_result_free(&r);
        ft_eval_free(ev);
        tu_rmdir(dir);
    }
    assert_int_equal(heap_in_use(), before);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!getenv("FT_TEST_NO_TCACHE")) {
        setenv("FT_TEST_NO_TCACHE", "1", 1);
        setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
        execv("/proc/self/exe", argv);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frees_everything),  cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_bad_alert_lines),   cmocka_unit_test(test_ibm_patterns_against_data),
        cmocka_unit_test(test_amlsim_and_labels), cmocka_unit_test(test_json_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
