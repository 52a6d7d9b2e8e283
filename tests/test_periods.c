/*
 * test_periods.c - periods of time (periods.h): where days, ISO weeks and
 * months start and what they are called; the data split into one
 * snapshot per period whose rows, read back in order, are the whole
 * data's; the manifest read, refused with its line when wrong, and the
 * periods a time window needs.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/periods.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/time.h"

static int64_t at(const char *iso)
{
    int64_t ms;
    ft_time_error why;
    assert_true(ft_time_parse(iso, strlen(iso), &ms, &why));
    return ms;
}

static void check(ft_period_unit u, const char *when, const char *start, const char *next,
                  const char *name)
{
    int64_t s = ft_period_start(u, at(when));
    char buf[40];
    ft_time_format(s, buf, sizeof buf);
    assert_string_equal(buf, start);
    ft_time_format(ft_period_next(u, s), buf, sizeof buf);
    assert_string_equal(buf, next);
    char nm[FT_PERIOD_NAME];
    ft_period_name(u, s, nm);
    assert_string_equal(nm, name);
}

static void test_units(void **state)
{
    (void)state;
    check(FT_PERIOD_DAY, "2024-02-29T23:59:59.999Z", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z",
          "2024-02-29");
    check(FT_PERIOD_DAY, "1969-12-31T12:00:00Z", "1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z",
          "1969-12-31");
    check(FT_PERIOD_MONTH, "2024-12-31T23:00:00Z", "2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z",
          "2024-12");
    check(FT_PERIOD_MONTH, "2024-02-10T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z",
          "2024-02");
    check(FT_PERIOD_MONTH, "1969-07-20T20:17:00Z", "1969-07-01T00:00:00Z", "1969-08-01T00:00:00Z",
          "1969-07");
    /* ISO weeks: from Monday; 2024-12-30 is in 2025-W01, 2021-01-03 in
     * 2020-W53, 1970-01-01 (a Thursday) in 1970-W01. */
    check(FT_PERIOD_WEEK, "2025-01-01T10:00:00Z", "2024-12-30T00:00:00Z", "2025-01-06T00:00:00Z",
          "2025-W01");
    check(FT_PERIOD_WEEK, "2021-01-03T23:00:00Z", "2020-12-28T00:00:00Z", "2021-01-04T00:00:00Z",
          "2020-W53");
    check(FT_PERIOD_WEEK, "1970-01-01T00:00:00Z", "1969-12-29T00:00:00Z", "1970-01-05T00:00:00Z",
          "1970-W01");
    check(FT_PERIOD_WEEK, "2024-03-04T00:00:00Z", "2024-03-04T00:00:00Z", "2024-03-11T00:00:00Z",
          "2024-W10");
    ft_period_unit u;
    assert_true(ft_period_unit_parse("week", &u));
    assert_int_equal(u, FT_PERIOD_WEEK);
    assert_false(ft_period_unit_parse("year", &u));
}

static void test_split(void **state)
{
    (void)state;
    ft_store s = {0};
    tu_synth_store(&s, 20000, 11);
    ft_error err;
    assert_int_equal(ft_store_txid_index(&s, &err), FT_OK);
    char *dir = tu_tmpdir();
    char path[600];
    ft_period_unit units[] = {FT_PERIOD_MONTH, FT_PERIOD_WEEK};
    size_t want_n[] = {12, 53};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, ft_period_unit_name(units[k]));
        ft_manifest m;
        assert_int_equal(ft_periods_split(&s, units[k], path, &m, &err), FT_OK);
        assert_int_equal(m.n, want_n[k]);
        ft_manifest r;
        assert_int_equal(ft_manifest_read(&r, path, &err), FT_OK);
        assert_true(ft_manifest_is(path));
        assert_int_equal(r.n, m.n);
        assert_int_equal(r.unit, units[k]);
        /* The periods' rows, in order, are the whole data's. */
        int64_t row = 0;
        for (size_t i = 0; i < r.n; i++) {
            assert_string_equal(r.v[i].name, m.v[i].name);
            assert_int_equal(r.v[i].from_ms, m.v[i].from_ms);
            assert_int_equal(r.v[i].rows, m.v[i].rows);
            char file[700];
            snprintf(file, sizeof file, "%s/%s", r.dir, r.v[i].file);
            ft_store p = {0};
            assert_int_equal(ft_snapshot_read(&p, file, &err), FT_OK);
            assert_int_equal(p.t.n, r.v[i].rows);
            assert_int_equal(p.accounts.n, s.accounts.n);
            for (int64_t j = 0; j < p.t.n; j++, row++) {
                assert_true(p.t.ts_ms[j] >= r.v[i].from_ms && p.t.ts_ms[j] < r.v[i].until_ms);
                assert_int_equal(p.t.ts_ms[j], s.t.ts_ms[row]);
                assert_int_equal(p.t.amount[j], s.t.amount[row]);
                assert_int_equal(p.t.src[j], s.t.src[row]);
                assert_int_equal(p.t.dst[j], s.t.dst[row]);
                assert_int_equal(p.t.cur[j], s.t.cur[row]);
                char a[128], b[128];
                ft_store_txid(&p, j, a, sizeof a);
                ft_store_txid(&s, row, b, sizeof b);
                assert_string_equal(a, b);
                size_t la, lb;
                const char *ma = ft_pool_get(&p.strings, p.t.memo ? p.t.memo[j] : 0, &la);
                const char *mb = ft_pool_get(&s.strings, s.t.memo ? s.t.memo[row] : 0, &lb);
                assert_int_equal(la, lb);
                assert_memory_equal(ma, mb, la);
            }
            /* Its own string pool: the period's memos, not the year's. */
            assert_true(p.strings.len < s.strings.len / 4);
            uint32_t t;
            ft_store_txid(&s, row - 1, path + 500, 64);
            assert_true(ft_store_find_txid(&p, path + 500, strlen(path + 500), &t));
            assert_int_equal(t, p.t.n - 1);
            ft_store_free(&p);
        }
        assert_int_equal(row, s.t.n);
        /* All periods, and the periods 3 to 5, read as one store: the
         * whole data's rows from the first to the last. */
        size_t from[] = {0, 3}, to[] = {r.n, 6};
        for (int q = 0; q < 2; q++) {
            ft_store j = {0};
            assert_int_equal(ft_periods_load(&j, &r, from[q], to[q], &err), FT_OK);
            int64_t lo = 0, hi = 0;
            for (size_t i = 0; i < to[q]; i++)
                *(i < from[q] ? &lo : &hi) += r.v[i].rows;
            hi += lo;
            assert_int_equal(j.t.n, hi - lo);
            assert_int_equal(j.accounts.n, s.accounts.n);
            for (int64_t x = lo; x < hi; x++) {
                int64_t y = x - lo;
                assert_int_equal(j.t.ts_ms[y], s.t.ts_ms[x]);
                assert_int_equal(j.t.amount[y], s.t.amount[x]);
                assert_int_equal(j.t.src[y], s.t.src[x]);
                assert_int_equal(j.t.dst[y], s.t.dst[x]);
                assert_int_equal(j.t.line[y], s.t.line[x]);
                char a[128], b[128];
                ft_store_txid(&j, y, a, sizeof a);
                ft_store_txid(&s, x, b, sizeof b);
                assert_string_equal(a, b);
                size_t la, lb;
                const char *ma = ft_pool_get(&j.strings, j.t.memo ? j.t.memo[y] : 0, &la);
                const char *mb = ft_pool_get(&s.strings, s.t.memo ? s.t.memo[x] : 0, &lb);
                assert_int_equal(la, lb);
                assert_memory_equal(ma, mb, la);
            }
            size_t len;
            const char *key = ft_store_account(&j, 17, &len);
            size_t len2;
            const char *key2 = ft_store_account(&s, 17, &len2);
            assert_int_equal(len, len2);
            assert_memory_equal(key, key2, len);
            assert_int_equal(ft_store_adjacency(&j, &err), FT_OK);
            ft_store_free(&j);
        }
        if (units[k] == FT_PERIOD_MONTH) {
            /* The last 35 days of the year need 2 of its 12 months. */
            size_t a, b;
            ft_manifest_select(&r, at("2024-11-26T00:00:00Z"), INT64_MAX, &a, &b);
            assert_int_equal(a, 10);
            assert_int_equal(b, 12);
            ft_manifest_select(&r, INT64_MIN, at("2024-01-31T23:59:59Z"), &a, &b);
            assert_int_equal(a, 0);
            assert_int_equal(b, 1);
            ft_manifest_select(&r, at("2030-01-01T00:00:00Z"), INT64_MAX, &a, &b);
            assert_int_equal(a, b);
        }
        ft_manifest_free(&m);
        ft_manifest_free(&r);
    }
    tu_rmdir(dir);
    ft_store_free(&s);
}

static ft_status read_text(const char *dir, const char *text, ft_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/manifest.tsv", dir);
    tu_write(path, text, strlen(text));
    ft_manifest m;
    ft_status rc = ft_manifest_read(&m, dir, err);
    if (rc == FT_OK)
        ft_manifest_free(&m);
    return rc;
}

/* The whole data's figures beside the manifest: every account's transfers
 * out and in and the transfers per currency of all the periods, read with
 * a store of only the last two; refused when of other data or damaged;
 * absent after a split that wrote none. */
static void test_whole_figures(void **state)
{
    (void)state;
    ft_store s = {0}, other = {0};
    tu_synth_store(&s, 20000, 11);
    tu_synth_store(&other, 3000, 12);
    ft_error err;
    char *dir = tu_tmpdir(), path[600], odir[600], file[700];
    snprintf(path, sizeof path, "%s/months", dir);
    snprintf(odir, sizeof odir, "%s/other", dir);
    ft_manifest m, om;
    assert_int_equal(ft_periods_split(&s, FT_PERIOD_MONTH, path, &m, &err), FT_OK);
    assert_int_equal(ft_periods_split(&other, FT_PERIOD_MONTH, odir, &om, &err), FT_OK);
    assert_int_equal(m.n, 12);
    ft_store last2 = {0};
    assert_int_equal(ft_periods_load(&last2, &m, 10, 12, &err), FT_OK);
    assert_int_equal(last2.t.n, m.v[10].rows + m.v[11].rows);
    ft_period_whole w;
    assert_int_equal(ft_period_whole_read(&w, &m, &last2, &err), FT_OK);
    assert_true(w.present);
    assert_int_equal(w.ntxn, 20000);
    assert_int_equal(w.naccounts, s.accounts.n);
    assert_int_equal(w.ncurrencies, s.ncurrencies);
    /* The whole data's counts, not the two periods'. */
    uint32_t *out = calloc(s.accounts.n, sizeof *out), *in = calloc(s.accounts.n, sizeof *in);
    int64_t *cur = calloc((size_t)s.ncurrencies, sizeof *cur), total = 0;
    for (int64_t t = 0; t < s.t.n; t++) {
        out[s.t.src[t]]++;
        in[s.t.dst[t]]++;
        cur[s.t.cur[t]]++;
    }
    uint32_t busiest = 0;
    for (uint32_t a = 0; a < s.accounts.n; a++) {
        assert_int_equal(w.deg_out[a], out[a]);
        assert_int_equal(w.deg_in[a], in[a]);
        total += w.deg_out[a];
        if (out[a] + in[a] > out[busiest] + in[busiest])
            busiest = a;
    }
    assert_int_equal(total, 20000);
    for (int c = 0; c < s.ncurrencies; c++)
        assert_int_equal(w.per_currency[c], cur[c]);
    /* ... which differ from what the two periods alone count. */
    assert_int_equal(ft_store_adjacency(&last2, &err), FT_OK);
    uint32_t near = last2.adj.out_off[busiest + 1] - last2.adj.out_off[busiest] +
                    last2.adj.in_off[busiest + 1] - last2.adj.in_off[busiest];
    assert_true(near * 4 < w.deg_out[busiest] + w.deg_in[busiest]);
    ft_period_whole_free(&w);
    /* Another data's figures in their place: refused. */
    char ofile[700];
    snprintf(file, sizeof file, "%s/whole.bin", path);
    snprintf(ofile, sizeof ofile, "%s/whole.bin", odir);
    size_t len, olen;
    char *mine = tu_read(file, &len), *theirs = tu_read(ofile, &olen);
    tu_write(file, theirs, olen);
    assert_int_equal(ft_period_whole_read(&w, &m, &last2, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "other data"));
    assert_false(w.present);
    /* Damaged, cut off: refused. */
    mine[len / 2] ^= 4;
    tu_write(file, mine, len);
    assert_int_equal(ft_period_whole_read(&w, &m, &last2, &err), FT_ECORRUPT);
    mine[len / 2] ^= 4;
    tu_write(file, mine, len - 3);
    assert_int_equal(ft_period_whole_read(&w, &m, &last2, &err), FT_ECORRUPT);
    /* None: not present, no error. */
    assert_int_equal(remove(file), 0);
    assert_int_equal(ft_period_whole_read(&w, &m, &last2, &err), FT_OK);
    assert_false(w.present);
    free(mine);
    free(theirs);
    free(out);
    free(in);
    free(cur);
    ft_store_free(&last2);
    ft_manifest_free(&m);
    ft_manifest_free(&om);
    ft_store_free(&s);
    ft_store_free(&other);
    tu_rmdir(dir);
}

static void test_manifest_refused(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_error err;
    const char *ok = "fundtrace-periods 1 day\n"
                     "2024-01-01\t2024-01-01T00:00:00Z\t2024-01-02T00:00:00Z\t2024-01-01.ftg\t3\n";
    assert_int_equal(read_text(dir, ok, &err), FT_OK);
    assert_int_equal(read_text(dir, "fundtrace-periods 1 year\n", &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "manifest.tsv:1: not a manifest of periods"));
    assert_int_equal(read_text(dir,
                               "fundtrace-periods 1 day\n"
                               "2024-01-01\t2024-01-01T00:00:00Z\t2024-01-02T00:00:00Z\tx.ftg\n",
                               &err),
                     FT_EINPUT);
    assert_non_null(strstr(err.msg, "manifest.tsv:2: not a period"));
    assert_int_equal(read_text(dir,
                               "fundtrace-periods 1 day\n"
                               "2024-01-02\t2024-01-02T00:00:00Z\t2024-01-03T00:00:00Z\tb.ftg\t1\n"
                               "2024-01-01\t2024-01-01T00:00:00Z\t2024-01-02T00:00:00Z\ta.ftg\t1\n",
                               &err),
                     FT_EINPUT);
    assert_non_null(strstr(err.msg, "manifest.tsv:3: periods out of time order"));
    assert_int_equal(read_text(dir, "", &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "is empty"));
    tu_rmdir(dir);
}

/* The transfers of a time range (scan --lookback): mapped from only the
 * periods the range overlaps, at the edges of months (a transfer at
 * midnight on the 1st is the new month's; the last millisecond of a month
 * the old one's), a month with no transfers between, and a range in no
 * period; the same rows as the range of a store of all the data. */
static void test_range(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency,memo\n"
                      "t1,2024-01-15T10:00:00Z,A,B,10.00,EUR,one\n"
                      "t2,2024-01-31T23:59:59.999Z,B,C,20.00,EUR,\n"
                      "t3,2024-02-01T00:00:00Z,C,D,30.00,EUR,three\n"
                      "t4,2024-02-29T12:00:00Z,D,A,40.00,EUR,\n"
                      "t5,2024-03-01T00:00:00Z,A,C,50.00,EUR,five\n"
                      "t6,2024-04-10T00:00:00Z,E,A,60.00,EUR,\n"
                      "t7,2024-06-01T00:00:00Z,B,E,70.00,EUR,seven\n";
    ft_store s = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "r.csv", csv, NULL, NULL, &err), FT_OK);
    char *dir = tu_tmpdir();
    ft_manifest m;
    assert_int_equal(ft_periods_split(&s, FT_PERIOD_MONTH, dir, &m, &err), FT_OK);
    assert_int_equal(m.n, 5); /* January to April, June */
    int64_t last = 0;
    assert_int_equal(ft_manifest_last_time(&m, &last, &err), FT_OK);
    assert_int_equal(last, at("2024-06-01T00:00:00Z"));
    struct {
        const char *from, *until; /* NULL: open */
        const char *first, *last; /* the periods mapped */
        const char *ids;          /* the transfers kept */
    } cases[] = {
        {"2024-02-01T00:00:00Z", "2024-02-29T23:59:59.999Z", "2024-02", "2024-02", "t3 t4"},
        {"2024-01-31T23:59:59.999Z", "2024-02-01T00:00:00Z", "2024-01", "2024-02", "t2 t3"},
        {"2024-02-01T00:00:00.001Z", "2024-03-01T00:00:00Z", "2024-02", "2024-03", "t4 t5"},
        {"2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-03", "2024-03", "t5"},
        {"2024-03-01T00:00:00.001Z", "2024-06-01T00:00:00Z", "2024-03", "2024-06", "t6 t7"},
        {"2024-05-01T00:00:00Z", "2024-05-31T23:59:59Z", "2024-06", "2024-06", ""},
        {"2024-07-01T00:00:00Z", NULL, "2024-06", "2024-06", ""},
        {NULL, "2023-12-31T23:59:59Z", "2024-01", "2024-01", ""},
        {NULL, "2024-01-31T23:59:59.998Z", "2024-01", "2024-01", "t1"},
        {NULL, NULL, "2024-01", "2024-06", "t1 t2 t3 t4 t5 t6 t7"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int64_t from = cases[k].from ? at(cases[k].from) : INT64_MIN;
        int64_t until = cases[k].until ? at(cases[k].until) : INT64_MAX;
        ft_store r = {0}, w = {0};
        size_t a, b;
        assert_int_equal(ft_periods_load_range(&r, &m, from, until, &a, &b, &err), FT_OK);
        assert_true(a < b);
        assert_string_equal(m.v[a].name, cases[k].first);
        assert_string_equal(m.v[b - 1].name, cases[k].last);
        assert_int_equal(ft_store_range(&w, &s, from, until, &err), FT_OK);
        char ids[200] = "", wids[200] = "";
        assert_int_equal(r.t.n, w.t.n);
        assert_int_equal(r.accounts.n, s.accounts.n);
        assert_int_equal(w.accounts.n, s.accounts.n);
        for (int64_t i = 0; i < r.t.n; i++) {
            char id[64];
            ft_store_txid(&r, i, id, sizeof id);
            snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? " " : "", id);
            ft_store_txid(&w, i, id, sizeof id);
            snprintf(wids + strlen(wids), sizeof wids - strlen(wids), "%s%s", i ? " " : "", id);
            assert_int_equal(r.t.ts_ms[i], w.t.ts_ms[i]);
            assert_int_equal(r.t.amount[i], w.t.amount[i]);
            assert_int_equal(r.t.src[i], w.t.src[i]);
            size_t la, lb;
            const char *ma = ft_pool_get(&r.strings, r.t.memo[i], &la);
            const char *mb = ft_pool_get(&w.strings, w.t.memo[i], &lb);
            assert_int_equal(la, lb);
            assert_memory_equal(ma, mb, la);
        }
        assert_string_equal(ids, cases[k].ids);
        assert_string_equal(wids, cases[k].ids);
        assert_int_equal(ft_store_adjacency(&r, &err), FT_OK);
        ft_store_free(&r);
        ft_store_free(&w);
    }
    /* A window's start less the lookback, an open start kept open. */
    assert_int_equal(ft_time_back(INT64_MIN, 5), INT64_MIN);
    assert_int_equal(ft_time_back(INT64_MIN + 3, 5), INT64_MIN);
    assert_int_equal(ft_time_back(1000, 0), 1000);
    assert_int_equal(ft_time_back(at("2024-03-31T00:00:00Z"), 35 * 86400000LL),
                     at("2024-02-25T00:00:00Z"));
    ft_manifest_free(&m);
    tu_rmdir(dir);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),         cmocka_unit_test(test_split),
        cmocka_unit_test(test_whole_figures), cmocka_unit_test(test_manifest_refused),
        cmocka_unit_test(test_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
