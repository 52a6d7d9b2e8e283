/*
 * test_detect.c - the helpers the detectors share (src/detect_util.c,
 * declared in src/detect_int.h): the chance arithmetic against values
 * worked out by hand or summed exactly here (Poisson and binomial tails,
 * scores from chances and back), amounts in minor units, ratios, windows,
 * binary searches over time, one-off transfers.
 *
 * A worker here needs only a context: the store (for times, amounts and
 * currencies), the units of its currencies and a profile that says how
 * many accounts are active.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

static void near_rel(double got, double want)
{
    if (fabs(got - want) > 1e-9 * (fabs(want) > 1 ? fabs(want) : 1))
        fail_msg("%.12g, want %.12g", got, want);
}

/* P(X >= k), X ~ Poisson(lambda): 1 - e^-l (1 + l + ... + l^(k-1)/(k-1)!). */
static void test_poisson_tail(void **state)
{
    (void)state;
    near_rel(det_poisson_tail_log10(0.5, 0), 0);
    /* k = 3, lambda 0.5: 1 - e^-0.5 (1 + 0.5 + 0.125) */
    near_rel(det_poisson_tail_log10(0.5, 3), log10(1 - exp(-0.5) * 1.625));
    /* k = 1, lambda 1e-3: 1 - e^-0.001 */
    near_rel(det_poisson_tail_log10(1e-3, 1), log10(-expm1(-1e-3)));
    /* far in the tail, lambda 2, k 20: the sum of the terms from 20 */
    double sum = 0, term = exp(-2);
    for (int i = 1; i <= 60; i++) {
        term *= 2.0 / i;
        if (i >= 20)
            sum += term;
    }
    near_rel(det_poisson_tail_log10(2, 20), log10(sum));
    /* at or above the mean: about a half, or 0 */
    near_rel(det_poisson_tail_log10(5, 5), -0.30103);
    near_rel(det_poisson_tail_log10(50, 5), 0);
}

/* P(X >= k), X ~ Binomial(n, p). */
static void test_binomial_tail(void **state)
{
    (void)state;
    /* n 10, p 1/2, k 8: (45 + 10 + 1) / 1024 */
    near_rel(det_binomial_tail_log10(10, 0.5, 8), log10(56.0 / 1024));
    /* all n of n: p^n */
    near_rel(det_binomial_tail_log10(16, 0.42, 16), 16 * log10(0.42));
    /* n 20, p 0.1, k 5: 1 - sum_{i<5} C(20,i) 0.1^i 0.9^(20-i) */
    double below = 0, c = 1;
    for (int i = 0; i < 5; i++) {
        below += c * pow(0.1, i) * pow(0.9, 20 - i);
        c = c * (20 - i) / (i + 1);
    }
    near_rel(det_binomial_tail_log10(20, 0.1, 5), log10(1 - below));
    /* no more than expected: 0; more than n: as good as impossible */
    near_rel(det_binomial_tail_log10(10, 0.5, 5), 0);
    near_rel(det_binomial_tail_log10(10, 1, 10), 0);
    assert_true(det_binomial_tail_log10(10, 0.5, 11) <= -300);
}

typedef struct bench {
    ft_store s;
    ft_scan_params p;
    int64_t unit[4];
    uint8_t hub[16];
    scan_profile pr;
    scan_ctx c;
    scan_worker w;
} bench;

/* Transfers of account A at hours 0, 1, 2, 10, 11, 30 (EUR), and one of
 * B in JPY at hour 12: transaction numbers 0 .. 6 in time order. */
static const char *const BENCH = "timestamp,src_account,dst_account,amount,currency\n"
                      "1970-01-01T00:00:00Z,A,X,10.00,EUR\n"
                      "1970-01-01T01:00:00Z,A,Y,20.00,EUR\n"
                      "1970-01-01T02:00:00Z,A,Z,30.00,EUR\n"
                      "1970-01-01T10:00:00Z,A,X,40.00,EUR\n"
                      "1970-01-01T11:00:00Z,A,Y,50.00,EUR\n"
                      "1970-01-01T12:00:00Z,B,X,700,JPY\n"
                      "1970-01-02T06:00:00Z,A,Z,60.00,EUR\n";

static void bench_csv(bench *b, uint32_t active, const char *csv)
{
    memset(b, 0, sizeof *b);
    ft_error err;
    if (tu_load(&b->s, "d.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(&b->s, &err), FT_OK);
    ft_scan_defaults(&b->p);
    b->unit[0] = 100; /* EUR */
    b->unit[1] = 1;   /* JPY */
    b->pr.active = active;
    b->c = (scan_ctx){&b->s, &b->p, b->hub, b->unit, &b->pr, 0};
    b->w.c = &b->c;
}

static void bench_open(bench *b, uint32_t active)
{
    bench_csv(b, active, BENCH);
}

static void bench_close(bench *b)
{
    ft_store_free(&b->s);
}

/* log10 P(X >= k), X ~ Poisson(lambda), k a whole number, summed term by
 * term in long double: the reference. */
static double tail_ref(double lambda, int k)
{
    long double term = expl(-(long double)lambda), below = 0;
    for (int i = 0; i < k; i++) {
        below += term;
        term *= (long double)lambda / (i + 1);
    }
    long double tail = 1 - below;
    if (tail < 1e-15L) { /* 1 - below has no digits left: sum the tail itself */
        tail = 0;
        long double t = expl(-(long double)lambda + k * logl((long double)lambda) - lgammal(k + 1));
        for (int i = k; i < k + 400; i++) {
            tail += t;
            t *= (long double)lambda / (i + 1);
        }
    }
    return (double)log10l(tail);
}

static void near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.12g, want %.12g", what, got, want);
}

/* Below the mean the chance is about a half (or 1, well below it); above
 * it, the exact tail, for small and large k (past the table of log
 * factorials), and for a rate of zero. */
static void test_poisson_tail_edges(void **state)
{
    (void)state;
    assert_true(det_poisson_tail_log10(3, 0) == 0);
    assert_true(det_poisson_tail_log10(3, -2) == 0);
    /* k <= lambda: within three standard deviations "about a half" */
    near(det_poisson_tail_log10(4, 4), -0.30103, 1e-12, "4, 4");
    near(det_poisson_tail_log10(10, 5), -0.30103, 1e-12, "10, 5"); /* 10 < 5 + 3 sqrt 10 */
    assert_true(det_poisson_tail_log10(10, 0.5) == 0);              /* 10 >= 0.5 + 9.49 */
    assert_true(det_poisson_tail_log10(100, 70) == 0);              /* 100 >= 70 + 30 */
    near(det_poisson_tail_log10(100, 71), -0.30103, 1e-12, "100, 71");
    static const struct {
        double lambda;
        int k;
    } tails[] = {{0.5, 1}, {0.5, 3}, {2, 3},     {2, 5},     {3.9, 4},   {0.01, 2},
                 {7, 30},  {1, 12}, {50, 80},    {0.2, 40},  {900, 1100}, {1000, 1030},
                 {3, 1023}, {3, 1024}, {900, 1024}, {3, 1500}};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "lambda %g, k %d", tails[i].lambda, tails[i].k);
        near(det_poisson_tail_log10(tails[i].lambda, tails[i].k),
             tail_ref(tails[i].lambda, tails[i].k), 1e-6, what);
    }
    /* a fractional k counts from the next whole number */
    near(det_poisson_tail_log10(2, 2.5), tail_ref(2, 3), 1e-6, "2, 2.5");
    /* a rate of zero is taken as 1e-300: P(X >= 2) = 1e-600 / 2 */
    near(det_poisson_tail_log10(0, 2), -600 - log10(2), 1e-6, "0, 2");
}

/* score = 1 / (1 + sqrt E), E = chance x active accounts x tries (tries
 * below 1 count as 1); 0 past E = 10^30, 1 below 10^-30. */
static void test_scores(void **state)
{
    (void)state;
    bench b;
    bench_open(&b, 100);
    scan_worker *w = &b.w;
    near(det_expected_log10(w, -4, 1), -2, 1e-12, "E");
    near(det_expected_log10(w, -4, 10), -1, 1e-12, "E, 10 tries");
    near(det_expected_log10(w, -4, 0.5), -2, 1e-12, "E, half a try");
    near(det_score(w, -4, 1), 1 / 1.1, 1e-12, "0.91 at 1 in 100");
    near(det_score(w, -6, 1), 1 / 1.01, 1e-12, "0.99 at 1 in 10,000");
    near(det_score(w, -2, 1), 0.5, 1e-12, "0.5 when one is expected");
    near(det_score(w, -4, 10), 1 / (1 + pow(10, -0.5)), 1e-12, "ten tries");
    near(det_score(w, 0, 1), 1 / 11.0, 1e-12, "E = 100");
    /* the ends: E = 10^30 still scores, just above 0; 10^-30 just below 1 */
    assert_true(det_score(w, 28, 1) > 0 && det_score(w, 28, 1) < 1e-14);
    assert_true(det_score(w, 28.01, 1) == 0);
    assert_true(det_score(w, -32, 1) < 1);
    assert_true(det_score(w, -32.01, 1) == 1);
    /* and back: the chance at which a score is reached */
    static const double scores[] = {0.5, 0.9, 0.99, 0.1, 0.75};
    for (size_t i = 0; i < sizeof scores / sizeof scores[0]; i++) {
        double lp = det_log10p_for_score(w, scores[i], 3);
        near(det_score(w, lp, 3), scores[i], 1e-12, "round trip");
    }
    near(det_log10p_for_score(w, 0.5, 1), -2, 1e-12, "score 0.5");
    assert_true(det_log10p_for_score(w, 0, 1) == INFINITY);
    assert_true(det_log10p_for_score(w, -1, 1) == INFINITY);
    assert_true(det_log10p_for_score(w, 1, 1) == -INFINITY);
    assert_true(det_log10p_for_score(w, 2, 1) == -INFINITY);
    bench_close(&b);
    /* no active account counts as one */
    bench_open(&b, 0);
    near(det_expected_log10(&b.w, -4, 1), -4, 1e-12, "no active account");
    bench_close(&b);
}

/* Amounts: major units in minor ones, rounded up (but not past a float's
 * noise), saturating at int64; hours in ms; ratios with a little slack. */
static void test_amounts_and_ratios(void **state)
{
    (void)state;
    bench b;
    bench_open(&b, 10);
    scan_worker *w = &b.w;
    assert_int_equal(det_minor(w, 0, 12.34), 1234);
    assert_int_equal(det_minor(w, 0, 12.341), 1235);
    assert_int_equal(det_minor(w, 0, 1.1), 110); /* 1.1 x 100 is 110.00000000000001 */
    assert_int_equal(det_minor(w, 0, 0.57), 57);  /* 0.57 x 100 is 56.99999999999999 */
    assert_int_equal(det_minor(w, 0, 0), 0);
    assert_int_equal(det_minor(w, 1, 700), 700);
    assert_int_equal(det_minor(w, 0, 9.1e16), 9100000000000000000LL);
    assert_true(det_minor(w, 0, 9.2e16) == INT64_MAX);
    assert_true(det_minor(w, 0, 1e300) == INT64_MAX);
    assert_int_equal(det_sadd(5, 7), 12);
    assert_int_equal(det_sadd(-5, 7), 2);
    assert_true(det_sadd(INT64_MAX - 1, 1) == INT64_MAX);
    assert_true(det_sadd(INT64_MAX, 1) == INT64_MAX);
    assert_true(det_sadd(INT64_MIN, -1) == INT64_MIN);
    assert_true(det_sadd(INT64_MIN + 1, -1) == INT64_MIN);
    assert_int_equal(det_hours(1.5), 5400000);
    assert_int_equal(det_hours(336), 336 * 3600000LL);
    assert_int_equal(det_hours(0.01), 36000);
    /* b within [lo, hi] times a, the ends in, a millionth of slack */
    assert_true(det_ratio_in(80, 100, 0.8, 1.1));
    assert_true(det_ratio_in(110, 100, 0.8, 1.1));
    assert_false(det_ratio_in(79, 100, 0.8, 1.1));
    assert_false(det_ratio_in(111, 100, 0.8, 1.1));
    assert_true(det_ratio_in(3, 10, 0.3, 0.3)); /* 0.3 x 10 is 3.0000000000000004 */
    assert_false(det_ratio_in(3, 10, 0.31, 1));
    /* totals in one currency, the others left out, saturating */
    uint32_t all[7] = {0, 1, 2, 3, 4, 5, 6};
    assert_int_equal(det_total(w, all, 7, 0), 21000);
    assert_int_equal(det_total(w, all, 7, 1), 700);
    assert_int_equal(det_total(w, all + 1, 2, 0), 5000);
    char when[40];
    det_when(3600000, when);
    assert_string_equal(when, "1970-01-01T01:00:00Z");
    bench_close(&b);
}

/* The binary searches and the densest window over A's payments out. */
static void test_windows_and_searches(void **state)
{
    (void)state;
    bench b;
    bench_open(&b, 10);
    scan_worker *w = &b.w;
    const ft_adjacency *adj = &b.s.adj;
    uint32_t a;
    assert_true(ft_intern_find(&b.s.accounts, "A", 1, &a));
    const uint32_t *out = adj->out_txn;
    uint32_t lo = adj->out_off[a], hi = adj->out_off[a + 1];
    assert_int_equal(hi - lo, 6); /* transactions 0 1 2 3 4 6 */
    /* the first payment at or after a time */
    static const struct {
        int64_t hour;
        uint32_t want;
    } times[] = {{-1, 0}, {0, 0}, {1, 1}, {3, 3}, {10, 3}, {11, 4}, {12, 5}, {30, 5}, {31, 6}};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        assert_int_equal(det_from_time(w, out, lo, hi, times[i].hour * 3600000) - lo,
                         times[i].want);
    /* windows of 2 hours: from hour 0, the densest starting at 0 .. 2 is
     * 0 .. 2 (three payments, the ends in) */
    uint32_t q[6] = {0, 1, 2, 3, 4, 6};
    size_t start, end;
    end = det_best_window(w, q, 6, 0, 2 * 3600000, &start);
    assert_int_equal(start, 0);
    assert_int_equal(end, 2);
    /* 1 hour: 0 .. 1 first, and no later start in reach does better */
    end = det_best_window(w, q, 6, 0, 3600000, &start);
    assert_int_equal(start, 0);
    assert_int_equal(end, 1);
    /* from hour 2 with 9 hours: 2 .. 11 reaches 10 (8 h) but not 11 (9 h
     * is in: 2 .. 11), then 10 .. 11 is no better */
    end = det_best_window(w, q, 6, 2, 9 * 3600000, &start);
    assert_int_equal(start, 2);
    assert_int_equal(end, 4);
    /* from hour 1 with 1 hour: 1 .. 2; from 2, 2 alone; the first wins */
    end = det_best_window(w, q, 6, 1, 3600000, &start);
    assert_int_equal(start, 1);
    assert_int_equal(end, 2);
    /* from hour 2 with 8 hours: 2 .. 10 (two), then 10 .. 11 (two, not
     * more): the earlier stays */
    end = det_best_window(w, q, 6, 2, 8 * 3600000, &start);
    assert_int_equal(start, 2);
    assert_int_equal(end, 3);
    /* from hour 2 with 1 hour: 2 alone, then 10 .. 11 is out of reach of
     * 2's window: only starts up to its end count */
    end = det_best_window(w, q, 6, 2, 3600000, &start);
    assert_int_equal(start, 2);
    assert_int_equal(end, 2);
    /* the last one alone */
    end = det_best_window(w, q, 6, 5, 3600000, &start);
    assert_int_equal(start, 5);
    assert_int_equal(end, 5);
    bench_close(&b);
    /* Payments at hours 0, 5, 6, 10, 11 and windows of 6 hours: from 0,
     * 0 .. 6 (three, its end in); from 5, 5 .. 11 (four, its end in) wins. */
    bench_csv(&b, 10,
              "timestamp,src_account,dst_account,amount,currency\n"
              "1970-01-01T00:00:00Z,C,X,1,EUR\n"
              "1970-01-01T05:00:00Z,C,X,1,EUR\n"
              "1970-01-01T06:00:00Z,C,X,1,EUR\n"
              "1970-01-01T10:00:00Z,C,X,1,EUR\n"
              "1970-01-01T11:00:00Z,C,X,1,EUR\n");
    uint32_t c[5] = {0, 1, 2, 3, 4};
    end = det_best_window(&b.w, c, 5, 0, 6 * 3600000, &start);
    assert_int_equal(start, 1);
    assert_int_equal(end, 4);
    bench_close(&b);
}

/* One-off transfers: only those marked the pair's only one, not to or
 * from a hub, within the amounts (both ends in; no upper end at
 * INFINITY), in time order. */
static void test_one_off(void **state)
{
    (void)state;
    bench b;
    bench_open(&b, 10);
    scan_worker *w = &b.w;
    uint8_t flags[7];
    for (int i = 0; i < 7; i++)
        flags[i] = TF_ONCE | TF_FIRST;
    flags[3] = TF_FIRST; /* A pays X twice: 0 and 3 are not once */
    flags[0] = 0;
    b.pr.tflag = flags;
    uint32_t a, x, y;
    assert_true(ft_intern_find(&b.s.accounts, "A", 1, &a));
    assert_true(ft_intern_find(&b.s.accounts, "X", 1, &x));
    assert_true(ft_intern_find(&b.s.accounts, "Y", 1, &y));
    b.hub[y] = 1;
    /* A's out: 0 X 10 (not once), 1 Y 20 (hub), 2 Z 30, 3 X 40 (not
     * once), 4 Y 50 (hub), 6 Z 60 */
    assert_int_equal(det_one_off(w, a, true, 15, 55), 1);
    assert_int_equal(w->a[0], 2);
    assert_int_equal(det_one_off(w, a, true, 30, 30), 1);
    assert_int_equal(w->a[0], 2);
    assert_int_equal(det_one_off(w, a, true, 30.01, 59.99), 0);
    assert_int_equal(det_one_off(w, a, true, 0, INFINITY), 2);
    assert_int_equal(w->a[0], 2);
    assert_int_equal(w->a[1], 6);
    assert_int_equal(det_one_off(w, a, true, 0, 59.99), 1);
    /* X's in: 0 and 3 from A (not once), 5 from B in JPY */
    assert_int_equal(det_one_off(w, x, false, 700, 700), 1);
    assert_int_equal(w->a[0], 5);
    assert_int_equal(det_one_off(w, x, false, 701, INFINITY), 0);
    b.hub[y] = 0;
    assert_int_equal(det_one_off(w, a, true, 0, INFINITY), 4); /* 1 2 4 6 */
    assert_int_equal(w->a[2], 4);
    free(w->a);
    bench_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson_tail),
        cmocka_unit_test(test_binomial_tail),
        cmocka_unit_test(test_poisson_tail_edges),
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_amounts_and_ratios),
        cmocka_unit_test(test_windows_and_searches),
        cmocka_unit_test(test_one_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
