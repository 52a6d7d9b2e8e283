/*
 * test_study.c - pooled against siloed scans on a hand-built fixture of
 * three countries, every figure checked exactly.
 *
 * tests/data/study.csv (hours after 2024-03-01T00:00Z, EUR, bank columns):
 *   bg  in each of DE, FR and NL, eight weeks of six people paying a shop
 *       and being paid by a neighbour, all inside the country (288 rows);
 *   cy  DE01:CA -> DE02:CB -> DE01:CC -> DE01:CA, 10000, 9500, 9025, two
 *       hours apart: a cycle inside Germany;
 *   tf  ten small donations (60-105), five from DE01 and five from FR01
 *       accounts, to OUT1:TFC within three days, then 87 % of them on to
 *       NL01:TFX: a terrorist-financing collection (min_sources 8).
 * tests/data/study_jur.csv puts OUT1 outside every jurisdiction: no party
 * holds the collector, so Germany sees five donations and France five,
 * each too few; only the pooled data has all ten. study_truth.csv: the
 * cycle and the collection.
 *
 * Traces: from two donors, the cycle's first account and the collector,
 * pooled and federated (each party traces its own accounts and hands
 * money on): the same while every account is in a jurisdiction; with the
 * collector outside, the donors' money stops there.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/periods.h"
#include "fundtrace/study.h"

#define DATA  FT_TEST_DATA "/study.csv"
#define TRUTH FT_TEST_DATA "/study_truth.csv"
#define MAP   FT_TEST_DATA "/study_jur.csv"

static void load(ft_store *s)
{
    ft_load_options o = {0};
    ft_error err;
    if (ft_ingest_files(s, (const char *const[]){DATA}, 1, &o, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
}

static uint16_t jur_of(const ft_store *s, const ft_jurisdictions *j, const char *key)
{
    for (uint32_t a = 0; a < s->accounts.n; a++) {
        size_t len;
        const char *k = ft_store_account(s, a, &len);
        if (len == strlen(key) && memcmp(k, key, len) == 0)
            return j->of[a];
    }
    fail_msg("no account %s", key);
    return 0;
}

static void run(const ft_store *s, const char *map, bool truth, int rounds, ft_study_result *r)
{
    ft_error err;
    ft_jurisdictions j;
    ft_eval *ev = NULL;
    if (ft_jurisdictions_make(s, map, &j, &err) != FT_OK)
        fail_msg("%s", err.msg);
    if (truth) {
        assert_int_equal(ft_eval_new(&ev, &err), FT_OK);
        if (ft_eval_truth_file(ev, TRUTH, NULL, &err) != FT_OK)
            fail_msg("%s", err.msg);
    }
    ft_study_options o;
    ft_scan_defaults(&o.scan);
    ft_eval_defaults(&o.eval);
    o.threads = 2;
    o.match_rounds = rounds;
    if (ft_study_run(s, &j, ev, &o, r, &err) != FT_OK)
        fail_msg("%s", err.msg);
    ft_eval_free(ev);
    ft_jurisdictions_free(&j);
}

static void party(const ft_study_result *r, int i, const char *name, int64_t accounts,
                  int64_t transfers, uint32_t alerts)
{
    assert_string_equal(r->parties[i].name, name);
    assert_int_equal(r->parties[i].accounts, accounts);
    assert_int_equal(r->parties[i].transfers, transfers);
    assert_int_equal(r->parties[i].alerts, alerts);
}

static void cost(const ft_study_result *r, int k, uint32_t alerts, int64_t records,
                 int64_t accounts)
{
    assert_int_equal(r->cost[k].alerts, alerts);
    assert_int_equal(r->cost[k].records_crossing, records);
    assert_int_equal(r->cost[k].accounts_crossing, accounts);
    assert_true(r->cost[k].share_seen_abroad == (double)records / 302.0);
}

/* What an arrangement sends: match queries, records, bytes, rounds. */
static void exchange(const ft_study_result *r, int k, int64_t queries, int64_t records,
                     int64_t bytes, uint32_t rounds)
{
    assert_int_equal(r->cost[k].match_queries, queries);
    assert_int_equal(r->cost[k].records_exchanged, records);
    assert_int_equal(r->cost[k].bytes_exchanged, bytes);
    assert_int_equal(r->cost[k].rounds, rounds);
}

/* name, instances, found pooled/siloed/federated, alerts
 * pooled/siloed/federated, false alerts pooled/siloed/federated, only
 * pooled, only siloed, only federated */
static void row(const ft_study_result *r, int i, const char *name, const int64_t v[13])
{
    const ft_study_row *w = &r->rows[i];
    assert_string_equal(w->name, name);
    int64_t got[13] = {w->instances,       w->found[0],        w->found[1],    w->found[2],
                       w->alerts[0],       w->alerts[1],       w->alerts[2],   w->false_alerts[0],
                       w->false_alerts[1], w->false_alerts[2], w->only_pooled, w->only_siloed,
                       w->only_federated};
    for (int k = 0; k < 13; k++)
        if (got[k] != v[k])
            fail_msg("%s: figure %d is %lld, want %lld", name, k, (long long)got[k],
                     (long long)v[k]);
}

static void test_jurisdictions(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s);
    ft_error err;
    ft_jurisdictions j;
    /* the keys' countries: OUT1 is "OU" */
    assert_int_equal(ft_jurisdictions_make(&s, NULL, &j, &err), FT_OK);
    assert_int_equal(j.n, 4);
    assert_string_equal(j.names[0], "DE");
    assert_string_equal(j.names[2], "NL");
    assert_string_equal(j.names[3], "OU");
    assert_int_equal(jur_of(&s, &j, "OUT1:TFC"), 3);
    ft_jurisdictions_free(&j);
    /* the map: OUT1 outside */
    assert_int_equal(ft_jurisdictions_make(&s, MAP, &j, &err), FT_OK);
    assert_int_equal(j.n, 3);
    assert_int_equal(jur_of(&s, &j, "OUT1:TFC"), FT_JUR_NONE);
    assert_int_equal(jur_of(&s, &j, "FR01:D1"), 1);
    ft_jurisdictions_free(&j);
    /* an exact bank id before a prefix, the longest prefix first */
    char *dir = tu_tmpdir(), path[256];
    snprintf(path, sizeof path, "%s/map.csv", dir);
    FILE *f = fopen(path, "w");
    fputs("# banks\nDE*, XA\n DE0* ,XB\nDE02,XC\n\nFR01,-\n", f);
    fclose(f);
    assert_int_equal(ft_jurisdictions_make(&s, path, &j, &err), FT_OK);
    assert_int_equal(j.n, 5); /* FR (FR02) NL OU XB XC */
    assert_string_equal(j.names[0], "FR");
    assert_string_equal(j.names[jur_of(&s, &j, "DE01:CA")], "XB");
    assert_string_equal(j.names[jur_of(&s, &j, "DE02:CB")], "XC");
    assert_int_equal(jur_of(&s, &j, "FR01:D1"), FT_JUR_NONE);
    ft_jurisdictions_free(&j);
    /* bad lines: file, line and column */
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"DE01,DE\nFR01\n", "map.csv:2:5: want bank_or_prefix,jurisdiction"},
        {",DE\n", "map.csv:1:1: no bank or prefix"},
        {"DE01,\n", "map.csv:1:6: a jurisdiction is 1 to 15"},
        {"DE01,D E\n", "map.csv:1:7: a jurisdiction is letters"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        f = fopen(path, "w");
        fputs(bad[i].text, f);
        fclose(f);
        assert_int_equal(ft_jurisdictions_make(&s, path, &j, &err), FT_EINPUT);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("%s: want %s", err.msg, bad[i].msg);
    }
    assert_int_equal(ft_jurisdictions_make(&s, "/nonexistent/map", &j, &err), FT_EIO);
    tu_rmdir(dir);
    ft_store_free(&s);
}

/* Rows of a store as a store of their own: the same transfers and ids. */
static void test_store_rows(void **state)
{
    (void)state;
    ft_store s = {0}, sub = {0};
    load(&s);
    ft_error err;
    uint32_t rows[] = {0, 5, 288, 301};
    assert_int_equal(ft_store_rows(&sub, &s, rows, 4, &err), FT_OK);
    assert_int_equal(sub.t.n, 4);
    assert_int_equal(sub.accounts.n, s.accounts.n);
    for (int i = 0; i < 4; i++) {
        char a[64], b[64];
        ft_store_txid(&s, rows[i], a, sizeof a);
        ft_store_txid(&sub, i, b, sizeof b);
        assert_string_equal(a, b);
        assert_int_equal(sub.t.amount[i], s.t.amount[rows[i]]);
        assert_int_equal(sub.t.src[i], s.t.src[rows[i]]);
        assert_int_equal(sub.t.ts_ms[i], s.t.ts_ms[rows[i]]);
    }
    ft_store_free(&sub);
    uint32_t past[] = {302};
    assert_int_equal(ft_store_rows(&sub, &s, past, 1, &err), FT_EUSAGE);
    ft_store_free(&s);
}

static void test_study_with_map(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s);
    ft_study_result r;
    run(&s, MAP, true, 0, &r);
    assert_int_equal(r.transfers, 302);
    assert_int_equal(r.accounts, 54);
    assert_int_equal(r.outside_accounts, 1);
    /* ten donations to the collector outside, its payment to NL */
    assert_int_equal(r.cross_border, 11);
    assert_int_equal(r.nparties, 3);
    party(&r, 0, "DE", 21, 104, 2); /* the cycle; a fan_in of five donations */
    party(&r, 1, "FR", 18, 101, 1); /* a fan_in of five donations */
    party(&r, 2, "NL", 14, 97, 0);
    cost(&r, FT_STUDY_POOLED, 2, 302, 54);
    /* only the collector's payment to NL is held by a party other than
     * its payer's (no party's): one record, one account (the collector) */
    cost(&r, FT_STUDY_SILOED, 3, 1, 1);
    /* Federated: Germany's and France's fan_in alerts name the collector,
     * outside; each asks the two other parties about it (4 queries) and
     * gets the other's five donations and, from the Netherlands, the
     * collector's payment (12 records), then each finds the collection
     * (one alert id) and asks about its payee in NL (4 queries, nothing
     * new). Crossing: the 10 donations now held abroad as well; the ten
     * donors and the payee in NL besides the collector. */
    cost(&r, FT_STUDY_FEDERATED, 2, 11, 12);
    exchange(&r, FT_STUDY_POOLED, 0, 302, 39448, 1);
    exchange(&r, FT_STUDY_SILOED, 0, 0, 0, 1);
    exchange(&r, FT_STUDY_FEDERATED, 8, 12, 2744, 2);
    assert_true(r.labelled);
    assert_int_equal(r.nrows, 4);
    row(&r, 0, "cycle", (const int64_t[13]){1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0});
    row(&r, 1, "fan_in", (const int64_t[13]){0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0});
    row(&r, 2, "tf_collection", (const int64_t[13]){1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1});
    row(&r, 3, "overall", (const int64_t[13]){2, 2, 1, 2, 2, 3, 2, 0, 0, 0, 1, 0, 1});
    /* the pooled arrangement is the plain scan */
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a = {0};
    ft_error err;
    assert_int_equal(ft_scan_run(&s, &p, 1, &a, &err), FT_OK);
    assert_int_equal(a.n, r.pooled.n);
    for (uint32_t i = 0; i < a.n; i++) {
        assert_int_equal(a.v[i].id, r.pooled.v[i].id);
        assert_int_equal(a.v[i].ntxn, r.pooled.v[i].ntxn);
    }
    ft_alerts_free(&a);
    ft_study_result_free(&r);
    /* One round of questions: the same finds; the question about the
     * collection's payee, which the second round's scans raise, is not
     * asked (the answers' 12 records and the first 4 queries: 2744 - 4 x
     * 65 bytes) */
    run(&s, MAP, true, 1, &r);
    cost(&r, FT_STUDY_FEDERATED, 2, 11, 12);
    exchange(&r, FT_STUDY_FEDERATED, 4, 12, 2484, 2);
    row(&r, 3, "overall", (const int64_t[13]){2, 2, 1, 2, 2, 3, 2, 0, 0, 0, 1, 0, 1});
    ft_study_result_free(&r);
    ft_store_free(&s);
}

/* Without the map the collector's bank is a jurisdiction of its own (OU),
 * which holds all the donations: its share alone is eleven transfers, too
 * few to tell a burst, and it finds nothing either. */
static void test_study_without_map(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s);
    ft_study_result r;
    run(&s, NULL, false, 0, &r);
    assert_false(r.labelled);
    assert_int_equal(r.nrows, 0);
    assert_int_equal(r.outside_accounts, 0);
    assert_int_equal(r.cross_border, 11);
    assert_int_equal(r.nparties, 4);
    party(&r, 0, "DE", 21, 104, 2);
    party(&r, 1, "FR", 18, 101, 1);
    party(&r, 2, "NL", 14, 97, 0);
    party(&r, 3, "OU", 1, 11, 0);
    cost(&r, FT_STUDY_POOLED, 2, 302, 54);
    /* every cross-border transfer is held by its payee's party: the ten
     * donors, the collector and its payee cross */
    cost(&r, FT_STUDY_SILOED, 3, 11, 12);
    /* Germany and France ask the three others about the collector (OU)
     * and get the other's five donations and the collector's payment to
     * NL, each record from both parties that hold it (12 records each);
     * both then find the collection (one alert id; the fan_ins give way
     * to it) and ask about its payee in NL, which brings nothing new.
     * Every record they get was held abroad already. */
    cost(&r, FT_STUDY_FEDERATED, 2, 11, 12);
    exchange(&r, FT_STUDY_FEDERATED, 12, 24, 5228, 2);
    ft_study_result_free(&r);
    ft_store_free(&s);
}

static uint32_t account(const ft_store *s, const char *key)
{
    for (uint32_t a = 0; a < s->accounts.n; a++) {
        size_t len;
        const char *k = ft_store_account(s, a, &len);
        if (len == strlen(key) && memcmp(k, key, len) == 0)
            return a;
    }
    fail_msg("no account %s", key);
    return 0;
}

/* seed, traced, reached pooled/siloed/federated, held
 * pooled/siloed/federated, rounds, handoffs, accounts they name, their
 * bytes */
static void trace_row(const ft_study_trace_row *w, const int64_t v[11])
{
    int64_t got[11] = {w->traced,   w->reached[0],       w->reached[1],   w->reached[2],
                       w->held[0],  w->held[1],          w->held[2],      w->rounds,
                       w->handoffs, w->handoff_accounts, w->handoff_bytes};
    for (int k = 0; k < 11; k++)
        if (got[k] != v[k])
            fail_msg("trace figure %d is %lld, want %lld", k, (long long)got[k], (long long)v[k]);
}

static void test_traces(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s);
    ft_error err;
    ft_trace_options o;
    ft_trace_defaults(&o);
    const char *keys[] = {"DE01:D0", "FR01:D1", "DE01:CA", "OUT1:TFC"};
    uint32_t seeds[4];
    for (int i = 0; i < 4; i++)
        seeds[i] = account(&s, keys[i]);
    ft_study_trace_row w[4];
    ft_jurisdictions j;
    /* Every account of a jurisdiction: the federated traces are the
     * pooled ones. A donor's money goes DE -> OU -> NL in three rounds
     * (the third changes nothing); the cycle stays in DE. */
    assert_int_equal(ft_jurisdictions_make(&s, NULL, &j, &err), FT_OK);
    assert_int_equal(ft_study_trace(&s, &j, &o, false, seeds, 4, w, NULL, &err), FT_OK);
    /* siloed, a donor's party loses the money at the collector abroad */
    trace_row(&w[0], (const int64_t[11]){1, 2, 0, 2, 6000, 0, 6000, 3, 2, 3, 701});
    trace_row(&w[1], (const int64_t[11]){1, 2, 0, 2, 6500, 0, 6500, 3, 2, 3, 701});
    trace_row(&w[2], (const int64_t[11]){1, 2, 2, 2, 97500, 97500, 97500, 1, 0, 0, 0});
    trace_row(&w[3], (const int64_t[11]){1, 1, 0, 1, 71700, 0, 71700, 2, 1, 2, 352});
    /* backward: the collector's money came from the ten donors in DE and FR */
    assert_int_equal(ft_study_trace(&s, &j, &o, true, seeds, 4, w, NULL, &err), FT_OK);
    trace_row(&w[3], (const int64_t[11]){1, 10, 0, 10, 82500, 0, 82500, 2, 10, 11, 3494});
    ft_jurisdictions_free(&j);
    /* The collector outside: money paid to it is not followed federated,
     * and a trace from it cannot be made */
    assert_int_equal(ft_jurisdictions_make(&s, MAP, &j, &err), FT_OK);
    double cpu[FT_STUDY_NARR] = {0, 0, 0};
    assert_int_equal(ft_study_trace(&s, &j, &o, false, seeds, 4, w, cpu, &err), FT_OK);
    trace_row(&w[0], (const int64_t[11]){1, 2, 0, 0, 6000, 0, 0, 1, 0, 0, 0});
    trace_row(&w[1], (const int64_t[11]){1, 2, 0, 0, 6500, 0, 0, 1, 0, 0, 0});
    trace_row(&w[2], (const int64_t[11]){1, 2, 2, 2, 97500, 97500, 97500, 1, 0, 0, 0});
    trace_row(&w[3], (const int64_t[11]){0, 1, 0, 0, 71700, 0, 0, 0, 0, 0, 0});
    for (int k = 0; k < FT_STUDY_NARR; k++)
        assert_true(cpu[k] >= 0);
    ft_jurisdictions_free(&j);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jurisdictions),  cmocka_unit_test(test_store_rows),
        cmocka_unit_test(test_study_with_map), cmocka_unit_test(test_study_without_map),
        cmocka_unit_test(test_traces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
