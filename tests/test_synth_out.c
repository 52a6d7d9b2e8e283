/*
 * test_synth_out.c - the names and the summary of a synth run.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/synth_out.h"

static void check_name(const char *data, ft_synth_layout layout, const char *want)
{
    char *got = ft_synth_truth_name(data, layout);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_truth_names(void **state)
{
    (void)state;
    check_name("study.csv", FT_SYNTH_GENERIC, "study_truth.csv");
    check_name("dir/study.csv.gz", FT_SYNTH_GENERIC, "dir/study_truth.csv");
    check_name("plain", FT_SYNTH_GENERIC, "plain_truth.csv");
    check_name("HI-Synth_Trans.csv", FT_SYNTH_IBM, "HI-Synth_Patterns.txt");
    check_name("other.csv", FT_SYNTH_IBM, "other_Patterns.txt");
    /* the shortest names each ending is taken from */
    check_name("b.gz", FT_SYNTH_GENERIC, "b_truth.csv");
    check_name("c.csv", FT_SYNTH_GENERIC, "c_truth.csv");
    check_name(".csv", FT_SYNTH_GENERIC, ".csv_truth.csv");
    check_name("d_Trans", FT_SYNTH_IBM, "d_Patterns.txt");
}

static void test_summary(void **state)
{
    (void)state;
    ft_synth_report rep = {.rows = 100, .background_rows = 90, .planted_rows = 10, .accounts = 50};
    rep.instances[FT_PAT_CYCLE] = 2;
    char *out = NULL;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    ft_synth_summary(f, &rep, "d.csv", "t.csv", 2.0, true);
    fclose(f);
    /* Brief: one line, nothing that changes from run to run. */
    assert_string_equal(out, "fundtrace synth: wrote 100 rows (90 background, 10 planted in 2 "
                             "instances; 50 accounts) to d.csv, the truth to t.csv\n");
    free(out);
    f = open_memstream(&out, &len);
    ft_synth_summary(f, &rep, "-", "t.csv", 2.0, false);
    fclose(f);
    assert_non_null(strstr(out, "to standard output"));
    assert_non_null(strstr(out, "in 2.00 s (50 rows/s)\n"));
    assert_non_null(strstr(out, "  cycle            2 instances\n"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truth_names),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
