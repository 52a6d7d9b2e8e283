/*
 * test_paths_report.c - the searches of `fundtrace paths` in one call:
 * which are run, how they are written, what the answer says.
 *
 * The fixture (tests/data/paths_hand.csv) has paths S -> ... -> T.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/paths_report.h"

static void load_hand(ft_store *s)
{
    size_t len;
    char *csv = tu_read(FT_TEST_DATA "/paths_hand.csv", &len);
    ft_error err;
    if (tu_load(s, "paths_hand.csv", csv, NULL, NULL, &err) != FT_OK ||
        ft_store_adjacency(s, &err) != FT_OK)
        fail_msg("%s", err.msg);
    free(csv);
}

static uint32_t id_of(const ft_store *s, const char *key)
{
    uint32_t id;
    assert_true(ft_intern_find(&s->accounts, key, strlen(key), &id));
    return id;
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p++)
        n++;
    return n;
}

static void test_report(void **state)
{
    (void)state;
    ft_store s = {0};
    load_hand(&s);
    ft_error err;
    uint32_t a = id_of(&s, "S"), b = id_of(&s, "T");
    ft_account_set from = {&a, 1}, to = {&b, 1};
    ft_paths_options o;
    ft_paths_defaults(&o);
    ft_paths_answer ans;
    char *out = NULL;
    size_t len;

    /* The default: earliest and fewest, as a JSON array. */
    ft_paths_request rq = {0};
    FILE *f = open_memstream(&out, &len);
    assert_int_equal(ft_paths_report(&s, &o, from, to, &rq, f, FT_FORMAT_JSON, &ans, &err), FT_OK);
    fclose(f);
    assert_true(ans.found);
    assert_int_equal(out[0], '[');
    assert_int_equal(count(out, "\"kind\":\"earliest\""), 1);
    assert_int_equal(count(out, "\"kind\":\"fewest\""), 1);
    assert_int_equal(count(out, "\n,{"), 1); /* one comma between the two */
    free(out);

    /* All paths (limit 1) and the flows, as CSV under one header. */
    rq = (ft_paths_request){.all = true, .maxflow = true, .limit = 1};
    o.max_hops = 6;
    f = open_memstream(&out, &len);
    assert_int_equal(ft_paths_report(&s, &o, from, to, &rq, f, FT_FORMAT_CSV, &ans, &err), FT_OK);
    fclose(f);
    assert_int_equal(ans.paths, 1);
    assert_true(ans.more);
    assert_int_equal(count(out, "kind,"), 1);
    assert_true(count(out, "\nall,") > 0);
    assert_int_equal(count(out, "\nearliest,"), 0);
    assert_true(count(out, "\nmaxflow_temporal,") > 0);
    free(out);

    /* The flow's currency: the most used one, or one the data has. */
    uint16_t cur = 99;
    assert_int_equal(ft_paths_currency(&s, NULL, &cur, &err), FT_OK);
    assert_string_equal(s.currencies[cur].code, "EUR");
    assert_int_equal(ft_paths_currency(&s, "JPY", &cur, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "'JPY'"));

    /* Nothing from T to S: found is false. */
    ft_account_set back_from = {&b, 1}, back_to = {&a, 1};
    rq = (ft_paths_request){0};
    f = open_memstream(&out, &len);
    assert_int_equal(
        ft_paths_report(&s, &o, back_from, back_to, &rq, f, FT_FORMAT_JSONL, &ans, &err), FT_OK);
    fclose(f);
    assert_false(ans.found);
    free(out);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
