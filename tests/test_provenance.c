/*
 * test_provenance.c - the provenance record: built from a store, written
 * in every format, read back from each, and data checked against it; the
 * readers of alerts and traces skip it.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/alerts_read.h"
#include "fundtrace/json.h"
#include "fundtrace/provenance.h"

static const char CSV[] = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                          "1,2024-01-01T00:00:00Z,alice,bob,10.00,EUR\n"
                          "2,2024-01-02T00:00:00Z,bob,carol,7.50,EUR\n";

typedef struct fixture {
    char *dir;
    char data[512], other[512];
    ft_store s;
    ft_provenance p;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    snprintf(f->data, sizeof f->data, "%s/d.csv", f->dir);
    snprintf(f->other, sizeof f->other, "%s/e.csv", f->dir);
    tu_write(f->data, CSV, strlen(CSV));
    tu_write(f->other, CSV, strlen(CSV) - 2); /* one byte less, and no newline */
    ft_error err;
    ft_load_options o = {0};
    const char *paths[] = {f->data};
    assert_int_equal(ft_ingest_files(&f->s, paths, 1, &o, &err), FT_OK);
    assert_int_equal(ft_store_finish(&f->s, &err), FT_OK);
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    char *argv[] = {"/usr/bin/fundtrace", "scan", "--min-score", "0.5", "it's.csv", NULL};
    assert_int_equal(ft_prov_init(&f->p, "scan", 5, argv, &err), FT_OK);
    assert_int_equal(ft_prov_param_add(&f->p, "min-score", "0.5", &err), FT_OK);
    assert_int_equal(ft_prov_param_add(&f->p, "quiet", NULL, &err), FT_OK);
    assert_int_equal(ft_prov_set_inputs(&f->p, &f->s, NULL, &err), FT_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ft_prov_free(&f->p);
    ft_store_free(&f->s);
    tu_rmdir(f->dir);
    free(f);
    unsetenv("SOURCE_DATE_EPOCH");
    return 0;
}

static void test_record(void **state)
{
    fixture *f = *state;
    assert_true(f->p.time_fixed);
    assert_int_equal(f->p.time_ms, 1700000000000LL);
    assert_int_equal(f->p.ninputs, 1);
    assert_int_equal(f->p.inputs[0].rows_read, 2);
    assert_int_equal(f->p.inputs[0].rows_loaded, 2);
    char hex[65];
    uint64_t bytes;
    ft_error err;
    assert_int_equal(ft_sha256_file(f->data, hex, &bytes, &err), FT_OK);
    assert_string_equal(f->p.inputs[0].sha256, hex); /* computed while loading */
    assert_int_equal(bytes, strlen(CSV));
    char *json = ft_prov_json(&f->p);
    assert_non_null(json);
    assert_memory_equal(json, FT_PROV_MARK, strlen(FT_PROV_MARK));
    assert_non_null(strstr(json, "\"time\":\"2023-11-14T22:13:20Z\""));
    assert_non_null(strstr(json, "\"time_from\":\"SOURCE_DATE_EPOCH\""));
    /* argv[0] is the program's name, and the command line is one a shell reads back */
    assert_non_null(
        strstr(json, "\"command_line\":\"fundtrace scan --min-score 0.5 'it'\\\\''s.csv'\""));
    assert_non_null(strstr(json, "{\"option\":\"quiet\",\"value\":true}"));
    assert_non_null(strstr(json, "\"rows_read\":2,\"rows_loaded\":2,\"rows_rejected\":0"));
    assert_null(strchr(json, '\n'));
    free(json);
}

/* Written in each format, read back the same. */
static void test_formats_read_back(void **state)
{
    fixture *f = *state;
    const ft_format fmts[] = {FT_FORMAT_JSON, FT_FORMAT_JSONL, FT_FORMAT_CSV, FT_FORMAT_DOT};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/out.%zu", f->dir, i);
        FILE *o = fopen(path, "w");
        assert_non_null(o);
        assert_true(ft_prov_begin(o, &f->p, fmts[i], true));
        fputs(fmts[i] == FT_FORMAT_JSON ? "[\n{\"id\":\"a\"}\n]\n" : "x\n", o);
        ft_prov_end(o, fmts[i]);
        fclose(o);
        ft_provenance q;
        ft_error err;
        assert_int_equal(ft_prov_read(&q, path, &err), FT_OK);
        assert_string_equal(q.command, "scan");
        assert_string_equal(q.version, FT_VERSION);
        assert_int_equal(q.argc, 5);
        assert_string_equal(q.argv[4], "it's.csv");
        assert_int_equal(q.time_ms, 1700000000000LL);
        assert_int_equal(q.ninputs, 1);
        assert_string_equal(q.inputs[0].sha256, f->p.inputs[0].sha256);
        assert_int_equal(q.inputs[0].rows_loaded, 2);
        ft_prov_free(&q);
    }
    /* As GraphML text (quotes escaped) */
    char path[600];
    snprintf(path, sizeof path, "%s/g.graphml", f->dir);
    char *json = ft_prov_json(&f->p);
    FILE *o = fopen(path, "w");
    fputs("<graphml><graph><data key=\"provenance\">", o);
    for (const char *c = json; *c; c++)
        fputs(*c == '"' ? "&quot;" : *c == '&' ? "&amp;" : (char[]){*c, 0}, o);
    fputs("</data></graph></graphml>\n", o);
    fclose(o);
    free(json);
    ft_provenance q;
    ft_error err;
    assert_int_equal(ft_prov_read(&q, path, &err), FT_OK);
    assert_string_equal(q.argv[4], "it's.csv");
    assert_string_equal(q.inputs[0].sha256, f->p.inputs[0].sha256);
    ft_prov_free(&q);
    /* none */
    tu_write(path, "[]\n", 3);
    assert_int_equal(ft_prov_read(&q, path, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "carries no provenance record"));
}

static void test_verify(void **state)
{
    fixture *f = *state;
    ft_verify r;
    ft_error err;
    const char *same[] = {f->data};
    assert_int_equal(ft_prov_verify(&f->p, same, 1, &r, &err), FT_OK);
    assert_int_equal(r.bad, 0);
    assert_int_equal(r.n, 1);
    ft_verify_free(&r);
    const char *other[] = {f->other};
    assert_int_equal(ft_prov_verify(&f->p, other, 1, &r, &err), FT_OK);
    assert_int_equal(r.bad, 2); /* e.csv is not an input; d.csv is missing */
    assert_false(r.v[0].ok);
    assert_non_null(strstr(r.v[0].text, "e.csv: SHA-256"));
    assert_non_null(strstr(r.v[1].text, "d.csv"));
    ft_verify_free(&r);
    /* the same name, changed */
    tu_write(f->other, "changed\n", 8);
    char renamed[600];
    snprintf(renamed, sizeof renamed, "%s/sub", f->dir);
    tu_write(f->data, "changed\n", 8);
    assert_int_equal(ft_prov_verify(&f->p, same, 1, &r, &err), FT_OK);
    assert_int_equal(r.bad, 2);
    assert_non_null(strstr(r.v[0].text, "differs: the output was made from"));
    ft_verify_free(&r);
    tu_write(f->data, CSV, strlen(CSV));
    const char *missing[] = {renamed};
    assert_int_equal(ft_prov_verify(&f->p, missing, 1, &r, &err), FT_EIO);
}

/* The readers of alerts skip the record in JSON Lines, JSON and CSV. */
static void test_readers_skip(void **state)
{
    fixture *f = *state;
    char *json = ft_prov_json(&f->p);
    char buf[4096];
    const char *alert = "{\"id\":\"00000000000000aa\",\"kind\":\"cycle\",\"score\":0.9,"
                        "\"accounts\":[\"bob\"],\"txns\":[\"T02\"]}";
    const char *texts[3];
    char jsonl[4096], wrapped[4096], csv[4096];
    snprintf(jsonl, sizeof jsonl, "%s\n%s\n", json, alert);
    snprintf(wrapped, sizeof wrapped, "{\"provenance\": %s,\n\"results\": [\n%s\n]}\n", json,
             alert);
    snprintf(csv, sizeof csv,
             "# a comment\n# %s\nid,kind,score,accounts,txns\n00000000000000aa,"
             "cycle,0.9,bob,T02\n",
             json);
    texts[0] = jsonl;
    texts[1] = wrapped;
    texts[2] = csv;
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "%s/a.%d", f->dir, i);
        tu_write(buf, texts[i], strlen(texts[i]));
        ft_alerts_reader *r;
        ft_error err;
        assert_int_equal(ft_alerts_open(&r, buf, &err), FT_OK);
        const ft_alert_in *a;
        assert_int_equal(ft_alerts_next(r, &a, &err), FT_OK);
        assert_non_null(a);
        assert_string_equal(a->id, "00000000000000aa");
        assert_int_equal(ft_alerts_next(r, &a, &err), FT_OK);
        assert_null(a);
        ft_alerts_close(r);
    }
    /* the JSON reader hands it out when asked */
    ft_json_reader *j;
    const ft_jv *v;
    ft_error err;
    assert_int_equal(ft_json_open_buffer(&j, "w", wrapped, strlen(wrapped), &err), FT_OK);
    ft_json_keep_provenance(j);
    assert_int_equal(ft_json_next(j, &v, &err), FT_OK);
    assert_string_equal(ft_jv_get(v, "kind")->s, "provenance");
    assert_int_equal(ft_json_next(j, &v, &err), FT_OK);
    assert_string_equal(ft_jv_get(v, "id")->s, "00000000000000aa");
    assert_int_equal(ft_json_next(j, &v, &err), FT_OK);
    assert_null(v);
    ft_json_close(j);
    /* an empty wrapped result, and a wrapper not closed */
    const char *empty = "{\"provenance\": {\"kind\":\"provenance\"},\n\"results\": []}\n";
    assert_int_equal(ft_json_open_buffer(&j, "e", empty, strlen(empty), &err), FT_OK);
    assert_int_equal(ft_json_next(j, &v, &err), FT_OK);
    assert_null(v);
    ft_json_close(j);
    const char *open = "{\"provenance\": {\"kind\":\"provenance\"},\n\"results\": [1]\n";
    assert_int_equal(ft_json_open_buffer(&j, "o", open, strlen(open), &err), FT_OK);
    assert_int_equal(ft_json_next(j, &v, &err), FT_OK);
    assert_int_equal(ft_json_next(j, &v, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "'}' after the results"));
    ft_json_close(j);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_formats_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readers_skip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
