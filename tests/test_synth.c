/*
 * test_synth.c - the generator's promises: exactly --rows rows that load
 * with no rejects, byte-identical output for a seed, a ground truth that
 * matches the labelled rows exactly, and every planted instance really of
 * its declared shape.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/ingest.h"
#include "fundtrace/synth.h"

#define ROWS 60000

/* Runs synth into DIR/NAME and DIR/NAME.truth. */
static void run_synth(const ft_synth_options *o, const char *dir, const char *name,
                      ft_synth_report *rep)
{
    char data[512], truth[512];
    snprintf(data, sizeof data, "%s/%s", dir, name);
    snprintf(truth, sizeof truth, "%s/%s.truth", dir, name);
    ft_writer d, t;
    ft_error err;
    assert_int_equal(ft_writer_open(&d, data, false, &err), FT_OK);
    assert_int_equal(ft_writer_open(&t, truth, false, &err), FT_OK);
    if (ft_synth_write(o, &d, &t, rep, &err) != FT_OK)
        fail_msg("synth: %s", err.msg);
    assert_int_equal(ft_writer_close(&d, &err), FT_OK);
    assert_int_equal(ft_writer_close(&t, &err), FT_OK);
}

static void small_options(ft_synth_options *o, uint64_t seed)
{
    ft_synth_defaults(o);
    o->seed = seed;
    o->rows = ROWS;
    o->days = 120;
    o->planted = 0.05;
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_synth_options o;
    ft_synth_report r1, r2, r3;
    small_options(&o, 7);
    run_synth(&o, dir, "a.csv", &r1);
    run_synth(&o, dir, "b.csv", &r2);
    o.seed = 8;
    run_synth(&o, dir, "c.csv", &r3);
    char p[512];
    size_t la, lb, lc, ta, tb;
    snprintf(p, sizeof p, "%s/a.csv", dir);
    char *a = tu_read(p, &la);
    snprintf(p, sizeof p, "%s/b.csv", dir);
    char *b = tu_read(p, &lb);
    snprintf(p, sizeof p, "%s/c.csv", dir);
    char *c = tu_read(p, &lc);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    snprintf(p, sizeof p, "%s/a.csv.truth", dir);
    char *at = tu_read(p, &ta);
    snprintf(p, sizeof p, "%s/b.csv.truth", dir);
    char *bt = tu_read(p, &tb);
    assert_int_equal(ta, tb);
    assert_memory_equal(at, bt, ta);
    assert_int_equal(r1.rows, ROWS);
    assert_int_equal(r3.rows, ROWS);
    free(a);
    free(b);
    free(c);
    free(at);
    free(bt);
    tu_rmdir(dir);
}

/* One planted instance from the truth file, with its rows found in the
 * loaded store. */
typedef struct truth {
    char id[16];
    ft_pattern pattern;
    int64_t rows[1024];
    int nrows;
    char accounts[64][40];
    int naccounts;
} truth;

static int64_t row_of(const ft_store *s, int64_t txid)
{
    /* synth numbers rows 1..N in time order, and the store is in time
     * order, so row i has id i + 1; check it rather than trust it. */
    int64_t i = txid - 1;
    assert_true(i >= 0 && i < s->t.n);
    assert_int_equal(s->t.txid[i], txid);
    return i;
}

static int parse_truth(const ft_store *s, char *text, truth *out, int max)
{
    int n = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save); /* the header */
    assert_string_equal(line, "instance_id,pattern,params,txn_ids,accounts");
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        assert_true(n < max);
        truth *t = &out[n++];
        memset(t, 0, sizeof *t);
        char *f[5];
        for (int k = 0; k < 5; k++) {
            f[k] = line;
            char *comma = strchr(line, ',');
            if (k < 4) {
                assert_non_null(comma);
                *comma = '\0';
                line = comma + 1;
            }
        }
        snprintf(t->id, sizeof t->id, "%s", f[0]);
        assert_true(ft_pattern_parse(f[1], strlen(f[1]), &t->pattern));
        for (char *id = f[3]; *id;) {
            assert_true(t->nrows < 1024);
            t->rows[t->nrows++] = row_of(s, strtoll(id, &id, 10));
            if (*id == ';')
                id++;
        }
        for (char *a = f[4]; *a;) {
            size_t len = strcspn(a, ";");
            assert_true(t->naccounts < 64 && len < 40);
            memcpy(t->accounts[t->naccounts], a, len);
            t->accounts[t->naccounts++][len] = '\0';
            a += len + (a[len] == ';');
        }
    }
    return n;
}

static const char *key(const ft_store *s, uint32_t id)
{
    return ft_store_account(s, id, NULL);
}

static double amt(const ft_store *s, int64_t i)
{
    return (double)s->t.amount[i];
}

/* Pattern by pattern, the shape the defaults promise. */
static void check_shape(const ft_store *s, const truth *t)
{
    const int64_t *r = t->rows;
    int n = t->nrows;
    const ft_txns *x = &s->t;
    const int64_t H = 3600000;
    for (int i = 0; i < n; i++)
        assert_string_equal(s->currencies[x->cur[r[i]]].code, "EUR");
    switch (t->pattern) {
    case FT_PAT_FAN_OUT:
    case FT_PAT_FAN_IN: {
        bool out = t->pattern == FT_PAT_FAN_OUT;
        assert_true(n >= 8 && n <= 20);
        uint32_t hub = out ? x->src[r[0]] : x->dst[r[0]];
        for (int i = 0; i < n; i++) {
            assert_int_equal(out ? x->src[r[i]] : x->dst[r[i]], hub);
            for (int j = 0; j < i; j++) /* distinct counterparties */
                assert_int_not_equal(out ? x->dst[r[i]] : x->src[r[i]],
                                     out ? x->dst[r[j]] : x->src[r[j]]);
        }
        assert_true(x->ts_ms[r[n - 1]] - x->ts_ms[r[0]] <= 48 * H);
        break;
    }
    case FT_PAT_CYCLE:
    case FT_PAT_STACK: {
        bool cycle = t->pattern == FT_PAT_CYCLE;
        assert_true(cycle ? n >= 2 && n <= 8 : n >= 4 && n <= 8);
        assert_int_equal(t->naccounts, cycle ? n : n + 1);
        for (int i = 1; i < n; i++) {
            assert_true(x->ts_ms[r[i]] > x->ts_ms[r[i - 1]]); /* strictly later */
            assert_int_equal(x->src[r[i]], x->dst[r[i - 1]]);
            double ratio = amt(s, r[i]) / amt(s, r[i - 1]);
            assert_true(ratio >= (cycle ? 0.8 : 0.9) && ratio <= (cycle ? 1.0 : 0.99));
        }
        if (cycle)
            assert_int_equal(x->dst[r[n - 1]], x->src[r[0]]);
        break;
    }
    case FT_PAT_SCATTER_GATHER: {
        /* Rows in time order; each middle account first receives from the
         * source, later pays the sink. */
        uint32_t src = x->src[r[0]], sink = UINT32_MAX;
        int legs = 0;
        for (int i = 0; i < n; i++) {
            if (x->src[r[i]] == src) {
                legs++;
                bool paid_on = false;
                for (int j = i + 1; j < n; j++) {
                    if (x->src[r[j]] == x->dst[r[i]]) {
                        if (sink == UINT32_MAX)
                            sink = x->dst[r[j]];
                        assert_int_equal(x->dst[r[j]], sink);
                        assert_true(amt(s, r[j]) <= amt(s, r[i]) * 0.99 + 1);
                        paid_on = true;
                    }
                }
                assert_true(paid_on);
            }
        }
        assert_int_equal(2 * legs, n);
        assert_int_equal(t->naccounts, legs + 2);
        break;
    }
    case FT_PAT_GATHER_SCATTER: {
        /* Every inflow to the hub comes before every outflow. */
        uint32_t hub = x->dst[r[0]];
        int64_t last_in = 0, first_out = INT64_MAX;
        int64_t in = 0, outsum = 0;
        for (int i = 0; i < n; i++) {
            if (x->dst[r[i]] == hub) {
                last_in = x->ts_ms[r[i]];
                in += x->amount[r[i]];
            } else {
                assert_int_equal(x->src[r[i]], hub);
                if (x->ts_ms[r[i]] < first_out)
                    first_out = x->ts_ms[r[i]];
                outsum += x->amount[r[i]];
            }
        }
        assert_true(last_in < first_out);
        assert_true(outsum <= in);
        break;
    }
    case FT_PAT_BIPARTITE: {
        /* Every sender pays every receiver exactly once. */
        int senders = 0, receivers = 0;
        uint32_t sv[16], rv[16];
        for (int i = 0; i < n; i++) {
            int a = 0, b = 0;
            while (a < senders && sv[a] != x->src[r[i]])
                a++;
            if (a == senders)
                sv[senders++] = x->src[r[i]];
            while (b < receivers && rv[b] != x->dst[r[i]])
                b++;
            if (b == receivers)
                rv[receivers++] = x->dst[r[i]];
        }
        assert_int_equal(senders * receivers, n);
        break;
    }
    case FT_PAT_PASS_THROUGH:
    case FT_PAT_RAPID: {
        /* The mule pays out no more than it just received, soon after. */
        bool rapid = t->pattern == FT_PAT_RAPID;
        assert_int_equal(n % 2, 0);
        uint32_t mule = x->dst[r[0]];
        int64_t in_ts = 0, in_amt = 0;
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                assert_int_equal(x->dst[r[i]], mule);
                in_ts = x->ts_ms[r[i]];
                in_amt = x->amount[r[i]];
            } else {
                assert_int_equal(x->src[r[i]], mule);
                assert_true(x->ts_ms[r[i]] > in_ts);
                assert_true(x->ts_ms[r[i]] - in_ts <= (rapid ? 31 * 60000 : 13 * H));
                assert_true(x->amount[r[i]] <= in_amt);
                assert_true(amt(s, r[i]) >= in_amt * (rapid ? 0.9 : 0.95) - 1);
            }
        }
        break;
    }
    case FT_PAT_STRUCTURING:
        assert_true(n >= 5 && n <= 10);
        for (int i = 0; i < n; i++) {
            assert_true(x->amount[r[i]] < 1000000);  /* below 10,000.00 EUR */
            assert_true(x->amount[r[i]] >= 850000);
            assert_int_equal(x->dst[r[i]], x->dst[r[0]]);
            assert_non_null(strstr(key(s, x->src[r[i]]), ":CASH"));
        }
        assert_true(x->ts_ms[r[n - 1]] - x->ts_ms[r[0]] <= 7 * 24 * H);
        break;
    case FT_PAT_TF_COLLECTION: {
        uint32_t collector = x->dst[r[0]];
        int donations = 0, outflows = 0;
        int64_t got = 0, sent = 0, last_in = 0;
        for (int i = 0; i < n; i++) {
            if (x->dst[r[i]] == collector) {
                assert_int_equal(outflows, 0); /* all donations first */
                assert_true(x->amount[r[i]] >= 2000 && x->amount[r[i]] <= 20000);
                for (int j = 0; j < i; j++)
                    assert_int_not_equal(x->src[r[j]], x->src[r[i]]);
                donations++;
                got += x->amount[r[i]];
                last_in = x->ts_ms[r[i]];
            } else {
                assert_int_equal(x->src[r[i]], collector);
                assert_true(x->ts_ms[r[i]] > last_in);
                /* abroad: the destination's bank is outside the EU set */
                const char *k = key(s, x->dst[r[i]]);
                assert_true(strncmp(k, "SA", 2) == 0 || strncmp(k, "RU", 2) == 0 ||
                            strncmp(k, "IN", 2) == 0 || strncmp(k, "CN", 2) == 0 ||
                            strncmp(k, "MX", 2) == 0 || strncmp(k, "BR", 2) == 0);
                outflows++;
                sent += x->amount[r[i]];
            }
        }
        assert_true(donations >= 15 && donations <= 40);
        assert_true(outflows >= 1 && outflows <= 3);
        assert_true(sent >= got * 8 / 10 - 1 && sent <= got * 95 / 100 + 1);
        break;
    }
    case FT_PAT_COUNT:
        fail();
    }
}

static void test_truth_matches_rows_and_shapes(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_synth_options o;
    ft_synth_report rep;
    small_options(&o, 11);
    run_synth(&o, dir, "d.csv", &rep);
    char path[512];
    snprintf(path, sizeof path, "%s/d.csv", dir);
    ft_store s = {0};
    ft_error err;
    const char *paths[] = {path};
    assert_int_equal(ft_ingest_files(&s, paths, 1, NULL, &err), FT_OK);
    assert_int_equal(s.report.rows_read, ROWS);
    assert_int_equal(s.report.rows_rejected, 0);
    assert_true(s.accounts.n <= rep.accounts); /* not every account of the bank pays */
    snprintf(path, sizeof path, "%s/d.csv.truth", dir);
    char *text = tu_read(path, NULL);
    static truth t[2000];
    int n = parse_truth(&s, text, t, 2000);
    int64_t total = 0, by_pattern[FT_PAT_COUNT] = {0};
    for (int k = 0; k < n; k++) {
        /* Its rows carry its label, and its accounts are those rows'. */
        for (int i = 0; i < t[k].nrows; i++) {
            uint32_t l = s.t.label[t[k].rows[i]];
            assert_int_not_equal(l, 0);
            assert_string_equal(ft_intern_str(&s.labels, l - 1, NULL), t[k].id);
            bool src = false, dst = false;
            for (int a = 0; a < t[k].naccounts; a++) {
                src |= strcmp(t[k].accounts[a], key(&s, s.t.src[t[k].rows[i]])) == 0;
                dst |= strcmp(t[k].accounts[a], key(&s, s.t.dst[t[k].rows[i]])) == 0;
            }
            assert_true(src && dst);
        }
        check_shape(&s, &t[k]);
        total += t[k].nrows;
        by_pattern[t[k].pattern]++;
    }
    /* Every labelled row is in the truth, and the counts agree. */
    int64_t labelled = 0;
    for (int64_t i = 0; i < s.t.n; i++)
        labelled += s.t.label[i] != 0;
    assert_int_equal(labelled, total);
    assert_int_equal(total, rep.planted_rows);
    for (int k = 0; k < FT_PAT_COUNT; k++) {
        assert_int_equal(by_pattern[k], rep.instances[k]);
        assert_true(by_pattern[k] > 0);
    }
    free(text);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_ibm_layout_and_patterns_file(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_synth_options o;
    ft_synth_report rep;
    small_options(&o, 5);
    o.layout = FT_SYNTH_IBM;
    run_synth(&o, dir, "HI-Test_Trans.csv", &rep);
    char path[512];
    snprintf(path, sizeof path, "%s/HI-Test_Trans.csv", dir);
    ft_store s = {0};
    ft_error err;
    const char *paths[] = {path};
    assert_int_equal(ft_ingest_files(&s, paths, 1, NULL, &err), FT_OK);
    assert_string_equal(s.report.sources[0].layout, "ibm");
    assert_int_equal(s.report.rows_read, ROWS);
    assert_int_equal(s.report.rows_rejected, 0);
    int64_t laundering = 0;
    for (int64_t i = 0; i < s.t.n; i++)
        laundering += s.t.label[i] != 0;
    assert_int_equal(laundering, rep.planted_rows);
    /* Each block's rows appear in the data, and the blocks hold them all. */
    size_t dlen;
    char *data = tu_read(path, &dlen);
    snprintf(path, sizeof path, "%s/HI-Test_Trans.csv.truth", dir);
    char *pat = tu_read(path, NULL);
    int64_t blocks = 0, rows = 0;
    bool inside = false;
    char *save = NULL;
    for (char *line = strtok_r(pat, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "BEGIN LAUNDERING ATTEMPT - ", 27) == 0) {
            assert_false(inside);
            inside = true;
            blocks++;
        } else if (strncmp(line, "END LAUNDERING ATTEMPT - ", 25) == 0) {
            assert_true(inside);
            inside = false;
        } else {
            assert_true(inside);
            assert_non_null(strstr(data, line));
            assert_int_equal(line[strlen(line) - 1], '1');
            rows++;
        }
    }
    int64_t instances = 0;
    for (int k = 0; k < FT_PAT_COUNT; k++)
        instances += rep.instances[k];
    assert_int_equal(blocks, instances);
    assert_int_equal(rows, rep.planted_rows);
    free(data);
    free(pat);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_options_are_checked(void **state)
{
    (void)state;
    ft_synth_options o;
    ft_error err;
    ft_synth_defaults(&o);
    assert_int_equal(ft_synth_set(&o, "cycle.hops=3-5", &err), FT_OK);
    assert_true(o.p.cycle_hops.lo == 3 && o.p.cycle_hops.hi == 5);
    assert_int_equal(ft_synth_set(&o, "structuring.threshold = 15000", &err), FT_OK);
    assert_true(o.p.st_threshold == 15000);
    assert_int_equal(ft_synth_set(&o, "cycle.keep=0.9", &err), FT_OK);
    assert_true(o.p.cycle_keep.lo == 0.9 && o.p.cycle_keep.hi == 0.9);
    assert_int_equal(ft_synth_set(&o, "cycle.legs=3", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown parameter 'cycle.legs'"));
    assert_int_equal(ft_synth_set(&o, "cycle.hops=5-3", &err), FT_EUSAGE);
    assert_int_equal(ft_synth_set(&o, "structuring.threshold=1-2", &err), FT_EUSAGE);
    assert_int_equal(ft_synth_set(&o, "cycle.hops", &err), FT_EUSAGE);
    /* Out of range values are refused when generating. */
    assert_int_equal(ft_synth_set(&o, "cycle.hops=1-3", &err), FT_OK);
    ft_writer d = {.fd = -1}, t = {.fd = -1};
    ft_synth_report rep;
    assert_int_equal(ft_synth_write(&o, &d, &t, &rep, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "cycle.hops=1-3 is out of range"));
    ft_synth_defaults(&o);
    o.rows = 50;
    o.days = 30;
    assert_int_equal(ft_synth_write(&o, &d, &t, &rep, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "are too few"));
}

/* Every instance ends inside the span it was planned into: a scatter-gather's
 * legs wait up to scatter_gather.delay_hours after the spread of the first
 * ones, and its planned duration once missed that wait, so rows near the
 * end were never written. */
static void test_instances_end_inside_the_span(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_synth_options o;
    ft_synth_report rep;
    ft_synth_defaults(&o);
    o.rows = 100000;
    o.days = 20;
    o.planted = 0.3;
    o.patterns = 1u << FT_PAT_SCATTER_GATHER;
    run_synth(&o, dir, "sg.csv", &rep);
    assert_int_equal(rep.rows, 100000);
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_truth_matches_rows_and_shapes),
        cmocka_unit_test(test_ibm_layout_and_patterns_file),
        cmocka_unit_test(test_options_are_checked),
        cmocka_unit_test(test_instances_end_inside_the_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
