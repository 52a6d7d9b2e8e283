/*
 * test_json.c - the one JSON reader (json.h), and the alerts and trace
 * readers built on it: every format the writers produce is read back
 * exactly (alerts from a scan of data/sample.csv in jsonl, json and csv;
 * a trace in jsonl, json and csv), and malformed input is refused with
 * its line and column.
 */
#include <stdlib.h>
#include <string.h>

#include "fundtrace/alerts_read.h"
#include "fundtrace/ingest.h"
#include "fundtrace/json.h"
#include "fundtrace/money.h"
#include "fundtrace/scan.h"
#include "fundtrace/time.h"
#include "fundtrace/trace.h"
#include "fundtrace/trace_read.h"
#include "testutil.h"

/* Reads every record of `text`; returns the status, *n the records read. */
static ft_status records(const char *text, int *n, ft_error *err)
{
    ft_json_reader *r;
    ft_status rc = ft_json_open_buffer(&r, "t.json", text, strlen(text), err);
    if (rc != FT_OK)
        return rc;
    const ft_jv *v;
    *n = 0;
    while ((rc = ft_json_next(r, &v, err)) == FT_OK && v)
        (*n)++;
    ft_json_close(r);
    return rc;
}

static void test_values(void **state)
{
    (void)state;
    const char *text =
        "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\","
        "\"n\":-12.30e+05,\"amount\":12.30,\"big\":123456789012345678901234567890,"
        "\"l\":[true,false,null,[],{}],\"s\":\"last\"}\n";
    ft_json_reader *r;
    ft_error err;
    assert_int_equal(ft_json_open_buffer(&r, "v.jsonl", text, strlen(text), &err), FT_OK);
    const ft_jv *v;
    assert_int_equal(ft_json_next(r, &v, &err), FT_OK);
    assert_non_null(v);
    assert_int_equal(v->type, FT_JSON_OBJECT);
    assert_int_equal(v->n, 6);
    const ft_jv *s = &v->items[1];
    static const char want[] = "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
    assert_int_equal(s->type, FT_JSON_STRING);
    assert_int_equal(s->n, sizeof want - 1);
    assert_memory_equal(s->s, want, sizeof want - 1);
    assert_string_equal(ft_jv_get(v, "s")->s, "last"); /* the last of a repeated name */
    assert_string_equal(ft_jv_get(v, "n")->s, "-12.30e+05");
    assert_string_equal(ft_jv_get(v, "amount")->s, "12.30"); /* as written, not 12.3 */
    assert_string_equal(ft_jv_get(v, "big")->s, "123456789012345678901234567890");
    const ft_jv *l = ft_jv_get(v, "l");
    assert_int_equal(l->type, FT_JSON_ARRAY);
    assert_int_equal(l->n, 5);
    assert_int_equal(l->items[0].type, FT_JSON_TRUE);
    assert_int_equal(l->items[1].type, FT_JSON_FALSE);
    assert_int_equal(l->items[2].type, FT_JSON_NULL);
    assert_int_equal(l->items[3].n, 0);
    assert_int_equal(l->items[4].type, FT_JSON_OBJECT);
    assert_int_equal(l->line, 1);
    assert_null(ft_jv_get(v, "missing"));
    assert_null(ft_jv_get(l, "s"));
    assert_int_equal(ft_json_next(r, &v, &err), FT_OK);
    assert_null(v);
    assert_false(ft_json_is_array(r));
    ft_json_close(r);
}

static void test_long_string(void **state)
{
    (void)state;
    /* far past any fixed buffer, and past the reader's 64 KiB chunks */
    size_t n = 1 << 20;
    char *text = malloc(n + 16);
    memcpy(text, "[\"", 2);
    for (size_t i = 0; i < n; i++)
        text[2 + i] = (char)('a' + i % 26);
    memcpy(text + 2 + n, "\"]", 3);
    char *dir = tu_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/long.json", dir);
    tu_write(path, text, n + 4);
    ft_json_reader *r;
    ft_error err;
    assert_int_equal(ft_json_open(&r, path, &err), FT_OK);
    const ft_jv *v;
    assert_int_equal(ft_json_next(r, &v, &err), FT_OK);
    assert_int_equal(v->type, FT_JSON_STRING);
    assert_int_equal(v->n, n);
    assert_memory_equal(v->s, text + 2, n);
    assert_int_equal(ft_json_next(r, &v, &err), FT_OK);
    assert_null(v);
    assert_true(ft_json_is_array(r));
    ft_json_close(r);
    free(text);
    tu_rmdir(dir);
}

static void test_files_of_records(void **state)
{
    (void)state;
    ft_error err;
    int n;
    assert_int_equal(records("", &n, &err), FT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(records(" [ ] \n", &n, &err), FT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(records("\xef\xbb\xbf[1,\n{\"a\":2},\n\"x\"\n]\n", &n, &err), FT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(records("{\"a\":1}\n\n  {\"a\":2}\r\n{}", &n, &err), FT_OK);
    assert_int_equal(n, 3);
}

/* Long strings from a file, read 64 KiB at a time: runs of plain text
 * are taken whole, up to an escape, a UTF-8 sequence or the end of what
 * was read, and an error after them still names its exact column. */
static void test_long_strings_from_a_file(void **state)
{
    (void)state;
    const size_t run = 70000;
    size_t cap = 2 * run + 64, len = 0;
    char *text = malloc(cap), *want = malloc(cap);
    assert_non_null(text);
    assert_non_null(want);
    len += (size_t)snprintf(text, cap, "{\"s\":\"");
    for (size_t i = 0; i < run; i++)
        text[len++] = want[i] = (char)('a' + i % 26);
    memcpy(text + len, "\\n\xc3\xa9z\"}\n{\"s\":\"", 14);
    len += 14;
    memcpy(want + run, "\n\xc3\xa9z", 5);
    for (size_t i = 0; i < run; i++)
        text[len++] = 'x';
    text[len++] = '\t';
    memcpy(text + len, "\"}\n", 3);
    len += 3;
    char *dir = tu_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/long.jsonl", dir);
    tu_write(path, text, len);
    ft_json_reader *r;
    ft_error err;
    assert_int_equal(ft_json_open(&r, path, &err), FT_OK);
    const ft_jv *v;
    assert_int_equal(ft_json_next(r, &v, &err), FT_OK);
    assert_non_null(v);
    assert_string_equal(ft_jv_get(v, "s")->s, want);
    assert_int_equal(ft_json_next(r, &v, &err), FT_EINPUT);
    char msg[600];
    snprintf(msg, sizeof msg, "%s:2:%zu: a control character (0x09) in a string", path, run + 7);
    assert_string_equal(err.msg, msg);
    ft_json_close(r);
    tu_rmdir(dir);
    free(text);
    free(want);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"{\"a\":1,}\n", "t.json:1:8: '}' where a member name should be"},
        {"[1,]", "t.json:1:4: ']' where a value should be"},
        {"[1 2]", "t.json:1:4: '2' where ',' or ']' should be"},
        {"[1] x", "t.json:1:5: 'x' where the end of the text after ']' should be"},
        {"{\"a\":1} {\"b\":2}\n", "t.json:1:9: more after the value (a JSON Lines record is one "
                                  "line)"},
        {"{\"a\":\n1}\n", "t.json:1:6: the line ends where a value should be (a JSON Lines "
                          "record is one line)"},
        {"{\"a\":\"x\n", "t.json:1:6: a string is not closed"},
        {"[\"a\tb\"]", "t.json:1:4: a control character (0x09) in a string"},
        {"[\"\\x\"]", "t.json:1:3: an unknown escape in a string"},
        {"[\"\\u12\"]", "t.json:1:3: \\u needs four hex digits"},
        {"[\"\\ud83d\"]", "t.json:1:3: a lone high surrogate \\uD83D"},
        {"[\"\\ude00\"]", "t.json:1:3: a lone low surrogate \\uDE00"},
        {"[\"\\ud83d\\u0041\"]", "t.json:1:3: a high surrogate \\uD83D without its low half"},
        {"[\"\xc3\x28\"]", "t.json:1:3: a string is not valid UTF-8"},
        {"[\"\xe0\x80\xaf\"]", "t.json:1:3: a string is not valid UTF-8"}, /* overlong */
        {"[\"\xed\xa0\x80\"]", "t.json:1:3: a string is not valid UTF-8"}, /* surrogate */
        {"[01]", "t.json:1:2: a number with a leading zero"},
        {"[1.]", "t.json:1:2: a number without digits after its '.'"},
        {"[-]", "t.json:1:2: a number without digits"},
        {"[1e]", "t.json:1:2: a number without digits in its exponent"},
        {"[NaN]", "t.json:1:2: 'N' where a value should be"},
        {"[tru]", "t.json:1:2: not true, false or null"},
        {"{\"a\":1", "t.json:1:7: the text ends where ',' or '}' should be"},
        {"// c\n{}", "t.json:1:1: '/' where a value should be"},
        {"{\"a\" 1}", "t.json:1:6: '1' where ':' should be"},
        {"\n\n  [\"ok\",\n   x]", "t.json:4:4: 'x' where a value should be"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ft_error err;
        int n;
        ft_status rc = records(cases[i].text, &n, &err);
        if (rc != FT_EINPUT || strcmp(err.msg, cases[i].err) != 0)
            fail_msg("case %zu: got %d '%s', want '%s'", i, rc, rc ? err.msg : "", cases[i].err);
    }
    /* depth is bounded: no stack overflow */
    char deep[2 * FT_JSON_MAX_DEPTH + 8];
    memset(deep, '[', FT_JSON_MAX_DEPTH + 1);
    deep[FT_JSON_MAX_DEPTH + 1] = '\0';
    ft_error err;
    int n;
    assert_int_equal(records(deep, &n, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "nested deeper than 256"));
}

/* --- round trips through the real writers ---------------------------------------------- */

static void load_sample(ft_store *s)
{
    ft_error err;
    ft_load_options o = {0};
    const char *path = FT_TEST_DATA "/../../data/sample.csv";
    if (ft_ingest_files(s, &path, 1, &o, &err) != FT_OK || ft_store_adjacency(s, &err) != FT_OK)
        fail_msg("%s", err.msg);
}

/* Writes with fn into memory. */
#define CAPTURE(buf, len, call)                                                                    \
    do {                                                                                           \
        FILE *f_ = open_memstream(&(buf), &(len));                                                 \
        FILE *f = f_;                                                                              \
        call;                                                                                      \
        fclose(f_);                                                                                \
    } while (0)

static void test_alerts_round_trip(void **state)
{
    (void)state;
    ft_store s = {0};
    load_sample(&s);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts al = {0};
    ft_error err;
    assert_int_equal(ft_scan_run(&s, &p, 1, &al, &err), FT_OK);
    assert_true(al.n >= 6);
    static const ft_format fmts[] = {FT_FORMAT_JSONL, FT_FORMAT_JSON, FT_FORMAT_CSV};
    static const ft_alerts_format want_fmt[] = {FT_ALERTS_JSONL, FT_ALERTS_JSON, FT_ALERTS_CSV};
    for (int k = 0; k < 3; k++) {
        char *buf = NULL;
        size_t len = 0;
        CAPTURE(buf, len, ft_alerts_write(f, &s, &al, NULL, fmts[k]));
        ft_alerts_reader *r;
        assert_int_equal(ft_alerts_open_buffer(&r, "alerts", buf, len, &err), FT_OK);
        assert_int_equal(ft_alerts_format_of(r), want_fmt[k]);
        const ft_alert_in *a;
        uint32_t i = 0;
        while (ft_alerts_next(r, &a, &err) == FT_OK && a) {
            assert_true(i < al.n);
            const ft_alert *x = &al.v[i++];
            char id[17], text[128], t[40];
            ft_alert_id_text(x->id, id);
            assert_string_equal(a->id, id);
            assert_string_equal(a->kind, ft_alert_kind_name(x->kind));
            snprintf(text, sizeof text, "%.3f", x->score);
            assert_string_equal(a->score, text);
            ft_time_format(s.t.ts_ms[al.txns[x->txn0]], t, sizeof t);
            assert_string_equal(a->first_time, t);
            ft_time_format(s.t.ts_ms[al.txns[x->txn0 + x->ntxn - 1]], t, sizeof t);
            assert_string_equal(a->last_time, t);
            assert_int_equal(a->naccounts, x->nacc);
            for (uint32_t q = 0; q < x->nacc; q++) {
                size_t n;
                const char *key = ft_store_account(&s, al.accts[x->acc0 + q], &n);
                assert_int_equal(strlen(a->accounts[q]), n);
                assert_memory_equal(a->accounts[q], key, n);
            }
            assert_int_equal(a->ntxns, x->ntxn);
            for (uint32_t q = 0; q < x->ntxn; q++) {
                ft_store_txid(&s, al.txns[x->txn0 + q], text, sizeof text);
                assert_string_equal(a->txns[q], text);
            }
            const char *expl = al.text + x->text;
            assert_string_equal(a->explanation, expl);
            if (fmts[k] == FT_FORMAT_CSV) {
                assert_null(a->params);
                assert_int_equal(a->namounts, 0);
                continue;
            }
            assert_string_equal(a->params, expl + strlen(expl) + 1);
            /* the amount per currency: the exact sum of its transfers */
            assert_true(a->namounts >= 1);
            for (uint32_t c = 0; c < a->namounts; c++) {
                int cur = 0;
                while (strcmp(s.currencies[cur].code, a->amount_currency[c]) != 0)
                    cur++;
                __int128 sum = 0;
                for (uint32_t q = 0; q < x->ntxn; q++)
                    if (s.t.cur[al.txns[x->txn0 + q]] == cur)
                        sum += s.t.amount[al.txns[x->txn0 + q]];
                ft_money_format(sum, s.currencies[cur].exponent, text, sizeof text);
                assert_string_equal(a->amount[c], text);
            }
        }
        assert_int_equal(i, al.n);
        ft_alerts_close(r);
        free(buf);
    }
    ft_alerts_free(&al);
    ft_store_free(&s);
}

static int64_t pick(const ft_trace_amount *a, int field, bool seed)
{
    return field == 0   ? (seed ? a->sent + a->cut : a->received)
           : field == 1 ? a->held
           : field == 2 ? a->sent
                        : a->cut;
}

/* res written in every trace format reads back the same. */
static void check_trace_round_trip(const ft_store *s, const char *label, const ft_trace_options *o,
                                   const ft_trace_result *res)
{
    ft_error err;
    static const ft_format fmts[] = {FT_FORMAT_JSONL, FT_FORMAT_JSON, FT_FORMAT_CSV};
    static const ft_trace_file_format want_fmt[] = {FT_TRACE_FILE_JSONL, FT_TRACE_FILE_JSON,
                                                    FT_TRACE_FILE_CSV};
    for (int k = 0; k < 3; k++) {
        char *buf = NULL;
        size_t len = 0;
        CAPTURE(buf, len, {
            if (fmts[k] == FT_FORMAT_JSON)
                fputs("[\n", f);
            ft_trace_write(f, s, label, o, res, fmts[k], true);
            if (fmts[k] == FT_FORMAT_JSON)
                fputs("]\n", f);
        });
        ft_trace_file *t;
        assert_int_equal(ft_trace_file_open_buffer(&t, "trace", buf, len, &err), FT_OK);
        assert_int_equal(ft_trace_file_format_of(t), want_fmt[k]);
        const ft_trace_node_in *n;
        uint32_t i = 0;
        while (ft_trace_file_next(t, &n, &err) == FT_OK && n) {
            assert_true(i < res->nnodes);
            const ft_trace_node *x = &res->nodes[i];
            size_t klen;
            const char *key = ft_store_account(s, x->account, &klen);
            char text[128];
            assert_string_equal(n->seed, label);
            assert_int_equal(strlen(n->account), klen);
            assert_memory_equal(n->account, key, klen);
            assert_int_equal(n->hops, x->hops);
            ft_time_format(x->first_ms, text, sizeof text);
            assert_string_equal(n->first_time, text);
            assert_int_equal(n->terminal, x->terminal);
            assert_int_equal(n->hub, x->hub);
            assert_int_equal(n->namounts, x->namounts);
            for (uint32_t m = 0; m < x->namounts; m++) {
                const ft_trace_amount *a = &res->amounts[x->amount0 + m];
                assert_string_equal(n->amounts[m].currency, s->currencies[a->cur].code);
                const char *got[4] = {n->amounts[m].received, n->amounts[m].held,
                                      n->amounts[m].sent, n->amounts[m].cut};
                for (int fld = 0; fld < 4; fld++) {
                    int64_t v = pick(a, fld, i == 0);
                    ft_money_format(v, s->currencies[a->cur].exponent, text, sizeof text);
                    if (got[fld])
                        assert_string_equal(got[fld], text);
                    else
                        assert_true(v == 0 && fmts[k] != FT_FORMAT_CSV && fld > 0);
                }
            }
            assert_int_equal(n->has_txns, fmts[k] != FT_FORMAT_CSV);
            if (n->has_txns) {
                assert_int_equal(n->ntxns, x->ntxns);
                for (uint32_t q = 0; q < x->ntxns; q++) {
                    ft_store_txid(s, res->in_txn[x->txn0 + q], text, sizeof text);
                    assert_string_equal(n->txns[q], text);
                }
            }
            i++;
        }
        assert_int_equal(i, res->nnodes);
        ft_trace_file_close(t);
        free(buf);
    }
}

/* The sample's trace, and one whose accounts hold three currencies. */
static void test_trace_round_trip(void **state)
{
    (void)state;
    ft_store s = {0};
    load_sample(&s);
    ft_error err;
    ft_trace_index *ix;
    ft_tracer *tr;
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.max_hops = 4;
    uint32_t seed;
    const char *label = "DE28657181053065129795";
    assert_true(ft_intern_find(&s.accounts, label, strlen(label), &seed));
    assert_int_equal(ft_trace_index_new(&ix, &s, false, &err), FT_OK);
    assert_int_equal(ft_tracer_new(&tr, ix, &err), FT_OK);
    const ft_trace_result *res;
    assert_int_equal(ft_trace_run(tr, &o, seed, -1, &res, &err), FT_OK);
    assert_true(res->nnodes > 2);
    check_trace_round_trip(&s, label, &o, res);
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    ft_store_free(&s);

    const char *csv = "timestamp,src_account,dst_account,amount,currency\n"
                      "2024-01-01T01:00:00Z,S,A,10.00,EUR\n"
                      "2024-01-01T02:00:00Z,S,A,20.00,USD\n"
                      "2024-01-01T03:00:00Z,S,A,3000,JPY\n"
                      "2024-01-01T04:00:00Z,A,B,5.00,EUR\n"
                      "2024-01-01T05:00:00Z,A,B,7.00,USD\n";
    assert_int_equal(tu_load(&s, "m.csv", csv, NULL, NULL, &err), FT_OK);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    assert_true(ft_intern_find(&s.accounts, "S", 1, &seed));
    assert_int_equal(ft_trace_index_new(&ix, &s, false, &err), FT_OK);
    assert_int_equal(ft_tracer_new(&tr, ix, &err), FT_OK);
    assert_int_equal(ft_trace_run(tr, &o, seed, -1, &res, &err), FT_OK);
    assert_int_equal(res->nnodes, 3);
    assert_int_equal(res->nodes[1].namounts, 3);
    check_trace_round_trip(&s, "S", &o, res);
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    ft_store_free(&s);
}

static void test_bad_alerts_and_traces(void **state)
{
    (void)state;
    static const struct {
        const char *text, *err;
    } alerts[] = {
        {"{\"id\":1,\"kind\":\"cycle\",\"txns\":[]}\n",
         "a:1:7: an alert's \"id\" and \"kind\" are strings"},
        {"{\"id\":\"x\",\"kind\":\"cycle\",\"txns\":[{}]}\n",
         "a:1:33: an alert's \"txns\" is an array of strings"},
        {"[{\"id\":\"x\",\"kind\":\"cycle\"}]",
         "a:1:2: an alert needs \"id\", \"kind\" and \"txns\""},
        {"name,kind\nx,y\n", "a:1: not an alerts file (JSON Lines, a JSON array, or CSV with the "
                             "columns id, kind and txns, as scan writes them)"},
        {"id,kind,txns\nx,cycle\n", "a:2: 2 fields, fewer than the header's 3"},
        /* JSON after a byte-order mark; only a whole mark is one: "[¿" is JSON */
        {"\xef\xbb\xbf{\"id\":1,\"kind\":\"cycle\",\"txns\":[]}\n",
         "a:1:7: an alert's \"id\" and \"kind\" are strings"},
        {"[\xc2\xbf]", "a:1:2: byte 0xc2 where a value should be"},
    };
    for (size_t i = 0; i < sizeof alerts / sizeof *alerts; i++) {
        ft_alerts_reader *r;
        ft_error err;
        const char *t = alerts[i].text;
        ft_status rc = ft_alerts_open_buffer(&r, "a", t, strlen(t), &err);
        if (rc == FT_OK) {
            const ft_alert_in *a;
            while ((rc = ft_alerts_next(r, &a, &err)) == FT_OK && a)
                ;
            ft_alerts_close(r);
        }
        if (rc != FT_EINPUT || strcmp(err.msg, alerts[i].err) != 0)
            fail_msg("alerts case %zu: got %d '%s', want '%s'", i, rc, rc ? err.msg : "",
                     alerts[i].err);
    }
    static const struct {
        const char *text, *err;
    } traces[] = {
        {"{\"seed\":\"a\",\"account\":\"b\",\"hops\":1.5,\"txns\":[]}\n",
         "t:1:34: \"hops\" is a whole number"},
        {"[{\"seed\":\"a\"}]", "t:1:2: not a trace (an object with \"seed\" and \"accounts\")"},
        {"seed,account\n", "t:1: not a trace file (JSON Lines, JSON, or CSV with the columns "
                           "trace writes: no 'hops')"},
    };
    for (size_t i = 0; i < sizeof traces / sizeof *traces; i++) {
        ft_trace_file *t;
        ft_error err;
        const char *x = traces[i].text;
        ft_status rc = ft_trace_file_open_buffer(&t, "t", x, strlen(x), &err);
        if (rc == FT_OK) {
            const ft_trace_node_in *n;
            while ((rc = ft_trace_file_next(t, &n, &err)) == FT_OK && n)
                ;
            ft_trace_file_close(t);
        }
        if (rc != FT_EINPUT || strcmp(err.msg, traces[i].err) != 0)
            fail_msg("trace case %zu: got %d '%s', want '%s'", i, rc, rc ? err.msg : "",
                     traces[i].err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_long_string),
        cmocka_unit_test(test_files_of_records),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_long_strings_from_a_file),
        cmocka_unit_test(test_alerts_round_trip),
        cmocka_unit_test(test_trace_round_trip),
        cmocka_unit_test(test_bad_alerts_and_traces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
