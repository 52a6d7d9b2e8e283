/*
 * test_audit.c - the audit log's lines, chain, verification and summary.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fundtrace/audit.h"

static void entry(const char *path, const char *case_id, const char *account, int64_t t)
{
    ft_provenance p;
    ft_error err;
    char *argv[] = {"fundtrace", "trace", "--from", (char *)account, "d.csv"};
    assert_int_equal(ft_prov_init(&p, "trace", 5, argv, &err), FT_OK);
    ft_audit_result r = {0};
    assert_int_equal(ft_audit_account(&r, account, &err), FT_OK);
    assert_int_equal(ft_audit_account(&r, account, &err), FT_OK); /* once */
    assert_int_equal(ft_audit_count(&r, "seeds_traced", 1, &err), FT_OK);
    assert_int_equal(ft_audit_count(&r, "seeds_traced", 2, &err), FT_OK); /* summed */
    assert_int_equal(ft_audit_alert(&r, "00000000000000aa", &err), FT_OK);
    ft_audit_entry e = {.user = "ana",
                        .host = "h",
                        .case_id = case_id,
                        .purpose = "p \"quoted\"",
                        .prov = &p,
                        .time_ms = t,
                        .exit_code = 0,
                        .result = &r};
    assert_int_equal(ft_audit_append(path, &e, &err), FT_OK);
    ft_audit_result_free(&r);
    ft_prov_free(&p);
}

static void test_chain(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/a.log", dir);
    ft_error err;
    assert_int_equal(ft_audit_check(path, &err), FT_OK); /* created empty */
    entry(path, "C-1", "alice", 1000);
    entry(path, "C-1", "bob", 2000);
    entry(path, "C-2", "alice", 3000);
    size_t len;
    char *text = tu_read(path, &len);
    assert_non_null(strstr(text, "{\"seq\":1,\"prev\":\"0000000000000000000000000000000000000000"
                                 "000000000000000000000000\",\"user\":\"ana\""));
    assert_non_null(strstr(text, "\"counts\":{\"seeds_traced\":3},\"accounts\":[\"alice\"],"
                                 "\"alerts\":[\"00000000000000aa\"]"));
    ft_audit_verdict v;
    assert_int_equal(ft_audit_verify(path, &v, &err), FT_OK);
    assert_int_equal(v.lines, 3);
    assert_int_equal(v.bad_line, 0);
    /* line 2's prev is line 1's sha256 */
    char *l2 = strchr(text, '\n') + 1;
    char *sha1 = strstr(text, ",\"sha256\":\"") + 11;
    assert_memory_equal(strstr(l2, "\"prev\":\"") + 8, sha1, 64);
    /* the head is the last line's sha256 */
    char *l3 = strchr(l2, '\n') + 1;
    assert_memory_equal(v.head, strstr(l3, ",\"sha256\":\"") + 11, 64);

    /* an edit on line 2 */
    char *bad = strdup(text);
    char *at = strstr(strchr(bad, '\n') + 1, "bob");
    memcpy(at, "bib", 3);
    tu_write(path, bad, len);
    assert_int_equal(ft_audit_verify(path, &v, &err), FT_OK);
    assert_int_equal(v.bad_line, 2);
    assert_non_null(strstr(v.why, "edited"));
    /* line 1 removed */
    tu_write(path, l2, len - (size_t)(l2 - text));
    assert_int_equal(ft_audit_verify(path, &v, &err), FT_OK);
    assert_int_equal(v.bad_line, 1);
    assert_non_null(strstr(v.why, "seq is 2, not 1"));
    /* cut short: verify names it, append refuses it */
    tu_write(path, text, len - 5);
    assert_int_equal(ft_audit_verify(path, &v, &err), FT_OK);
    assert_int_equal(v.bad_line, 3);
    assert_non_null(strstr(v.why, "cut short"));
    assert_int_equal(ft_audit_check(path, &err), FT_ECORRUPT);
    ft_audit_entry e = {.case_id = "x"};
    assert_int_equal(ft_audit_append(path, &e, &err), FT_ECORRUPT);

    /* the summary */
    tu_write(path, text, len);
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    assert_int_equal(ft_audit_summary(path, f, FT_FORMAT_CSV, &err), FT_OK);
    fclose(f);
    assert_string_equal(out, "kind,key,commands,first_time,last_time,users,purposes_or_cases\n"
                             "case,C-1,2,1970-01-01T00:00:01Z,1970-01-01T00:00:02Z,ana,"
                             "\"p \"\"quoted\"\"\"\n"
                             "case,C-2,1,1970-01-01T00:00:03Z,1970-01-01T00:00:03Z,ana,"
                             "\"p \"\"quoted\"\"\"\n"
                             "account,alice,2,1970-01-01T00:00:01Z,1970-01-01T00:00:03Z,ana,"
                             "\"C-1, C-2\"\n"
                             "account,bob,1,1970-01-01T00:00:02Z,1970-01-01T00:00:02Z,ana,C-1\n");
    free(out);
    free(bad);
    free(text);
    tu_rmdir(dir);
}

/* Writers in several processes at once keep the chain. */
static void test_concurrent(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/a.log", dir);
    for (int k = 0; k < 4; k++)
        if (fork() == 0) {
            for (int i = 0; i < 25; i++)
                entry(path, k % 2 ? "C-1" : "C-2", "alice", 1000 * i);
            _exit(0);
        }
    for (int k = 0; k < 4; k++) {
        int st;
        wait(&st);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    ft_audit_verdict v;
    ft_error err;
    assert_int_equal(ft_audit_verify(path, &v, &err), FT_OK);
    assert_int_equal(v.lines, 100);
    assert_int_equal(v.bad_line, 0);
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
