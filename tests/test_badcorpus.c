/*
 * test_badcorpus.c - every file in tests/data/bad/ is loaded and its
 * rejects compared with FILE.expect: one "LINE:COLUMN:REASON" line per
 * rejected row, in order, then "read=R loaded=L rejected=J". Nothing may
 * be lost: read = loaded + rejected.
 */
#include "testutil.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAD_DIR FT_TEST_DATA "/bad"

static int check_file(const char *name)
{
    char path[1024], expect[1100];
    snprintf(path, sizeof path, "%s/%s", BAD_DIR, name);
    snprintf(expect, sizeof expect, "%s.expect", path);
    ft_store s = {0};
    ft_error err;
    tu_rejects rej = {0};
    ft_load_options o = {.on_reject = tu_collect, .reject_ctx = &rej};
    const char *paths[] = {path};
    if (ft_ingest_files(&s, paths, 1, &o, &err) != FT_OK) {
        print_error("%s: load failed: %s\n", name, err.msg);
        ft_store_free(&s);
        return 1;
    }
    char *want = tu_read(expect, NULL);
    char got[8192];
    size_t n = 0;
    for (int i = 0; i < rej.n; i++)
        n += (size_t)snprintf(got + n, sizeof got - n, "%" PRId64 ":%" PRId64 ":%s\n",
                              rej.r[i].line, rej.r[i].column, ft_reject_name(rej.r[i].reason));
    snprintf(got + n, sizeof got - n, "read=%" PRId64 " loaded=%" PRId64 " rejected=%" PRId64 "\n",
             s.report.rows_read, s.report.rows_loaded, s.report.rows_rejected);
    int bad = strcmp(want, got) != 0;
    if (bad)
        print_error("%s: rejects differ\n--- expected\n%s--- got\n%s", name, want, got);
    if (s.report.rows_read != s.report.rows_loaded + s.report.rows_rejected) {
        print_error("%s: rows were lost\n", name);
        bad = 1;
    }
    free(want);
    ft_store_free(&s);
    return bad;
}

static void test_corpus(void **state)
{
    (void)state;
    DIR *d = opendir(BAD_DIR);
    assert_non_null(d);
    struct dirent *de;
    int files = 0, failed = 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || (len > 7 && strcmp(de->d_name + len - 7, ".expect") == 0))
            continue;
        files++;
        failed += check_file(de->d_name);
    }
    closedir(d);
    assert_true(files >= 6);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
