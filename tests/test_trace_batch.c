/*
 * test_trace_batch.c - a batch of traces on a pool of threads
 * (trace_batch.h): the same bytes as the seeds traced one by one, for any
 * number of threads and in every format; blocks of the seeds with their
 * base join into the whole; a seed that fails is reported in seed order
 * and left out; --min-amount in each currency's minor units.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/trace_batch.h"

enum { NSEEDS = 41, BAD = 7 };

typedef struct fixture {
    ft_store s;
    ft_trace_index *ix;
    ft_trace_options o;
    ft_trace_seed seeds[NSEEDS];
    char labels[NSEEDS][80];
} fixture;

static int setup(void **state)
{
    fixture *F = calloc(1, sizeof *F);
    tu_synth_store(&F->s, 20000, 7);
    ft_error err;
    assert_int_equal(ft_trace_index_new(&F->ix, &F->s, false, &err), FT_OK);
    ft_trace_defaults(&F->o);
    F->o.max_hops = 4;
    /* The payers of the first transfers, one of them an account number
     * the data does not have (its trace fails). */
    uint32_t n = 0;
    for (int64_t t = 0; n < NSEEDS; t++) {
        uint32_t a = F->s.t.src[t];
        bool seen = false;
        for (uint32_t k = 0; k < n; k++)
            seen |= F->seeds[k].account == a;
        if (seen)
            continue;
        size_t len;
        const char *key = ft_store_account(&F->s, a, &len);
        snprintf(F->labels[n], sizeof F->labels[n], "%.*s", (int)len, key);
        F->seeds[n] = (ft_trace_seed){F->labels[n], a, -1};
        n++;
    }
    F->seeds[BAD].account = F->s.accounts.n + 5;
    snprintf(F->labels[BAD], sizeof F->labels[BAD], "nowhere");
    *state = F;
    return 0;
}

static int teardown(void **state)
{
    fixture *F = *state;
    ft_trace_index_free(F->ix);
    ft_store_free(&F->s);
    free(F);
    return 0;
}

/* The seeds [lo, hi) traced one by one, written as a batch would. */
static char *one_by_one(fixture *F, ft_format fmt, size_t lo, size_t hi, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    ft_tracer *tr;
    ft_error err;
    assert_int_equal(ft_tracer_new(&tr, F->ix, &err), FT_OK);
    for (size_t i = lo; i < hi; i++) {
        const ft_trace_result *r;
        if (ft_trace_run(tr, &F->o, F->seeds[i].account, -1, &r, &err) != FT_OK) {
            assert_int_equal(i, BAD);
            continue;
        }
        if (fmt == FT_FORMAT_JSON && i > 0)
            fputc(',', f);
        ft_trace_write(f, &F->s, F->seeds[i].label, &F->o, r, fmt, i == 0);
    }
    ft_tracer_free(tr);
    fclose(f);
    return text;
}

typedef struct failures {
    int n;
    char first[1200];
} failures;

static void on_error(void *ctx, const ft_trace_seed *seed, const ft_error *err)
{
    failures *fl = ctx;
    if (fl->n++ == 0)
        snprintf(fl->first, sizeof fl->first, "%s|%s", seed->label, err->msg);
}

static char *batch(fixture *F, ft_format fmt, int threads, size_t lo, size_t hi, size_t *len,
                   ft_trace_batch_report *rep, failures *fl, ft_status *rc)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    ft_trace_batch b = {&F->s, F->ix, &F->o, fmt, threads, lo, on_error, fl};
    ft_error err;
    *rc = ft_trace_batch_run(&b, F->seeds + lo, hi - lo, f, rep, &err);
    if (*rc != FT_OK)
        assert_string_equal(err.msg, "nowhere: trace: no account number 1135");
    fclose(f);
    return text;
}

static void test_threads_and_formats(void **state)
{
    fixture *F = *state;
    assert_int_equal(F->s.accounts.n, 1130);
    ft_format fmts[] = {FT_FORMAT_TABLE, FT_FORMAT_JSONL, FT_FORMAT_CSV, FT_FORMAT_JSON};
    for (size_t k = 0; k < 4; k++) {
        size_t reflen;
        char *ref = one_by_one(F, fmts[k], 0, NSEEDS, &reflen);
        assert_true(reflen > 1000);
        for (int threads = 1; threads <= 8; threads *= 2) {
            size_t len;
            ft_trace_batch_report rep;
            failures fl = {0};
            ft_status rc;
            char *got = batch(F, fmts[k], threads, 0, NSEEDS, &len, &rep, &fl, &rc);
            assert_int_equal(rc, FT_EUSAGE);
            assert_int_equal(rep.traced, NSEEDS - 1);
            assert_int_equal(rep.failed, 1);
            assert_true(rep.found);
            assert_int_equal(fl.n, 1);
            assert_string_equal(fl.first, "nowhere|nowhere: trace: no account number 1135");
            assert_int_equal(len, reflen);
            assert_memory_equal(got, ref, len);
            free(got);
        }
        free(ref);
    }
}

static void test_blocks_join(void **state)
{
    fixture *F = *state;
    size_t reflen;
    char *ref = one_by_one(F, FT_FORMAT_CSV, 0, NSEEDS, &reflen);
    /* 3 blocks: [0,10) [10,30) [30,41); only the first has the CSV header. */
    size_t cuts[] = {0, 10, 30, NSEEDS};
    char *all = NULL;
    size_t alllen = 0;
    FILE *f = open_memstream(&all, &alllen);
    for (int i = 0; i < 3; i++) {
        size_t len;
        ft_trace_batch_report rep;
        failures fl = {0};
        ft_status rc;
        char *got = batch(F, FT_FORMAT_CSV, 2, cuts[i], cuts[i + 1], &len, &rep, &fl, &rc);
        assert_int_equal(rc, i == 0 ? FT_EUSAGE : FT_OK);
        assert_int_equal(rep.traced + rep.failed, cuts[i + 1] - cuts[i]);
        fwrite(got, 1, len, f);
        free(got);
    }
    fclose(f);
    assert_int_equal(alllen, reflen);
    assert_memory_equal(all, ref, reflen);
    free(all);
    free(ref);
    /* No seeds: nothing written, nothing found. */
    size_t len;
    ft_trace_batch_report rep;
    failures fl = {0};
    ft_status rc;
    char *got = batch(F, FT_FORMAT_JSONL, 4, 3, 3, &len, &rep, &fl, &rc);
    assert_int_equal(rc, FT_OK);
    assert_int_equal(len, 0);
    assert_false(rep.found);
    free(got);
}

static void test_min_amounts(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "m.csv",
                             "timestamp,src_account,dst_account,amount,currency\n"
                             "2024-01-01T00:00:00Z,a,b,1.00,EUR\n"
                             "2024-01-01T00:00:00Z,a,b,1,JPY\n"
                             "2024-01-01T00:00:00Z,a,b,1.000,BHD\n"
                             "2024-01-01T00:00:00Z,a,b,1.00000000,BTC\n",
                             NULL, NULL, &err),
                     FT_OK);
    int64_t want[][4] = {
        /* EUR, JPY, BHD, BTC (in the store's currency order, checked) */
        {50, 1, 500, 50000000},                               /* 0.5 */
        {1, 1, 1, 100000},                                    /* 0.001 */
        {1200, 12, 12000, 1200000000},                        /* 12 */
        {INT64_MAX, 92233720368547759, INT64_MAX, INT64_MAX}, /* 92233720368547759 */
    };
    const char *text[] = {"0.5", "0.001", "12", "92233720368547759"};
    const char *codes[] = {"EUR", "JPY", "BHD", "BTC"};
    assert_int_equal(s.ncurrencies, 4);
    for (int k = 0; k < 4; k++) {
        int64_t *v;
        assert_int_equal(ft_trace_min_amounts(&s, text[k], &v, &err), FT_OK);
        for (int c = 0; c < 4; c++) {
            int col = -1;
            for (int j = 0; j < 4; j++)
                if (strncmp(s.currencies[c].code, codes[j], 3) == 0)
                    col = j;
            assert_true(col >= 0);
            if (v[c] != want[k][col])
                fail_msg("%s in %s: %lld, not %lld", text[k], codes[col], (long long)v[c],
                         (long long)want[k][col]);
        }
        free(v);
    }
    int64_t *v = NULL;
    assert_int_equal(ft_trace_min_amounts(&s, "1e5", &v, &err), FT_EUSAGE);
    assert_null(v);
    assert_non_null(strstr(err.msg, "--min-amount '1e5'"));
    assert_int_equal(ft_trace_min_amounts(&s, "0.0000000000000000001", &v, &err), FT_EUSAGE);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_threads_and_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocks_join, setup, teardown),
        cmocka_unit_test(test_min_amounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
