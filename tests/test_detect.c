/*
 * test_detect.c - the chance arithmetic the detectors score with
 * (src/detect_util.c), against values worked out by hand.
 */
#include "testutil.h"

#include <math.h>

#include "detect_int.h"

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-9 * (fabs(want) > 1 ? fabs(want) : 1))
        fail_msg("%.12g, want %.12g", got, want);
}

/* P(X >= k), X ~ Poisson(lambda): 1 - e^-l (1 + l + ... + l^(k-1)/(k-1)!). */
static void test_poisson_tail(void **state)
{
    (void)state;
    near(det_poisson_tail_log10(0.5, 0), 0);
    /* k = 3, lambda 0.5: 1 - e^-0.5 (1 + 0.5 + 0.125) */
    near(det_poisson_tail_log10(0.5, 3), log10(1 - exp(-0.5) * 1.625));
    /* k = 1, lambda 1e-3: 1 - e^-0.001 */
    near(det_poisson_tail_log10(1e-3, 1), log10(-expm1(-1e-3)));
    /* far in the tail, lambda 2, k 20: the sum of the terms from 20 */
    double sum = 0, term = exp(-2);
    for (int i = 1; i <= 60; i++) {
        term *= 2.0 / i;
        if (i >= 20)
            sum += term;
    }
    near(det_poisson_tail_log10(2, 20), log10(sum));
    /* at or above the mean: about a half, or 0 */
    near(det_poisson_tail_log10(5, 5), -0.30103);
    near(det_poisson_tail_log10(50, 5), 0);
}

/* P(X >= k), X ~ Binomial(n, p). */
static void test_binomial_tail(void **state)
{
    (void)state;
    /* n 10, p 1/2, k 8: (45 + 10 + 1) / 1024 */
    near(det_binomial_tail_log10(10, 0.5, 8), log10(56.0 / 1024));
    /* all n of n: p^n */
    near(det_binomial_tail_log10(16, 0.42, 16), 16 * log10(0.42));
    /* n 20, p 0.1, k 5: 1 - sum_{i<5} C(20,i) 0.1^i 0.9^(20-i) */
    double below = 0, c = 1;
    for (int i = 0; i < 5; i++) {
        below += c * pow(0.1, i) * pow(0.9, 20 - i);
        c = c * (20 - i) / (i + 1);
    }
    near(det_binomial_tail_log10(20, 0.1, 5), log10(1 - below));
    /* no more than expected: 0; more than n: as good as impossible */
    near(det_binomial_tail_log10(10, 0.5, 5), 0);
    near(det_binomial_tail_log10(10, 1, 10), 0);
    assert_true(det_binomial_tail_log10(10, 0.5, 11) <= -300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson_tail),
        cmocka_unit_test(test_binomial_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
