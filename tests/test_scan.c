/*
 * test_scan.c - every detector on a fixture where the exact alert set is
 * known, with near misses that must not fire; hubs; alert ids under row
 * shuffling and thread counts; the state of nightly runs.
 *
 * The fixture (hours after 2024-03-01T00:00Z, EUR), one group of accounts
 * per case:
 *   FO   FOA pays FO1..FO8 1000.00-1070.00 within 7 hours: fan_out.
 *        FOB pays eight accounts 15 hours apart (no 72-hour window holds
 *        eight); FOC pays eight within 7 hours but amounts from 500 to
 *        3300 (no similar eight): neither fires.
 *   FI   FI1..FI8 pay FIA 2000.00-2070.00 within 7 hours: fan_in.
 *   CY   CYA -> CYB -> CYC -> CYA, 10000, 9500, 9000, two hours apart:
 *        cycle. CX: the same accounts' money would return only if a
 *        later hop were larger (9000 then 10000): no. CR: the second hop
 *        keeps half: no.
 *   ST   STA -> STB -> ... -> STF, five hops an hour apart, 95 % each:
 *        stack. SN: four hops, the second 20 hours later: no chain of
 *        four.
 *   SG   SGS pays SGM1..4 5000.00, each pays SGT 4800.00 five hours
 *        later: scatter_gather. SH: the intermediaries pass on 40 %: no.
 *   GS   GS1..5 pay GSH 2000.00, GSH pays GSO1..5 1900.00 (95 %):
 *        gather_scatter (its pass-through pairs give way to it). GT:
 *        passes on half: no.
 *   BP   BPS1..3 each pay BPR1..3 about 1000.00 within a day: bipartite.
 *        BQ: the third sender pays two of the three: no.
 *   PT   PTM receives and passes on 98-99 % three times, two days apart,
 *        1.5 to 3 hours later: pass_through. PU: twice only: no.
 *   RM   RMM passes on 99 % ten minutes later, four times: rapid_movement.
 *   SU   SUA gets five payments of 8800-9900 within three days:
 *        structuring. SV: five over twenty days; SW: five of 10000.00
 *        (not under the threshold): no.
 *   TF   TFD1..15 pay TFC 60-130 within five days; a day later TFC pays
 *        TFX 87 % of it: tf_collection. TG passes on 30 %: no.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fundtrace/scan.h"

typedef struct fixture {
    char *csv;
    size_t len, cap;
    int n;
} fixture;

static void row(fixture *f, double hours, const char *src, const char *dst, const char *amount)
{
    if (f->len + 256 > f->cap) {
        f->cap = f->cap ? f->cap * 2 : 65536;
        f->csv = realloc(f->csv, f->cap);
    }
    if (f->len == 0)
        f->len += (size_t)snprintf(f->csv, f->cap,
                                   "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    long long t = 1709251200LL + (long long)(hours * 3600);
    f->len += (size_t)snprintf(f->csv + f->len, f->cap - f->len, "%s%d,%lld,%s,%s,%s,EUR\n",
                               src, ++f->n, t, src, dst, amount);
}

static void build(fixture *f)
{
    char a[32], b[32], amt[32];
    for (int i = 0; i < 8; i++) { /* fan_out */
        snprintf(b, sizeof b, "FO%d", i + 1);
        snprintf(amt, sizeof amt, "%d.00", 1000 + 10 * i);
        row(f, i, "FOA", b, amt);
        snprintf(b, sizeof b, "FOB%d", i + 1);
        row(f, 15.0 * i, "FOB", b, amt);
        static const char *spread[] = {"500.00",  "900.00",  "1300.00", "1700.00",
                                       "2100.00", "2500.00", "2900.00", "3300.00"};
        snprintf(b, sizeof b, "FOC%d", i + 1);
        row(f, i, "FOC", b, spread[i]);
    }
    for (int i = 0; i < 8; i++) { /* fan_in */
        snprintf(a, sizeof a, "FI%d", i + 1);
        snprintf(amt, sizeof amt, "%d.00", 2000 + 10 * i);
        row(f, 100 + i, a, "FIA", amt);
    }
    /* cycles */
    row(f, 200, "CYA", "CYB", "10000.00");
    row(f, 202, "CYB", "CYC", "9500.00");
    row(f, 204, "CYC", "CYA", "9000.00");
    row(f, 209, "CXC", "CXA", "9000.00");
    row(f, 210, "CXA", "CXB", "10000.00");
    row(f, 212, "CXB", "CXC", "9500.00");
    row(f, 200, "CRA", "CRB", "10000.00");
    row(f, 201, "CRB", "CRC", "5000.00");
    row(f, 202, "CRC", "CRA", "4800.00");
    /* stacks */
    row(f, 300, "STA", "STB", "20000.00");
    row(f, 301, "STB", "STC", "19000.00");
    row(f, 302, "STC", "STD", "18050.00");
    row(f, 303, "STD", "STE", "17147.50");
    row(f, 304, "STE", "STF", "16290.12");
    row(f, 300, "SNA", "SNB", "20000.00");
    row(f, 320, "SNB", "SNC", "19000.00");
    row(f, 321, "SNC", "SND", "18050.00");
    row(f, 322, "SND", "SNE", "17147.50");
    for (int i = 0; i < 4; i++) { /* scatter-gather */
        snprintf(b, sizeof b, "SGM%d", i + 1);
        row(f, 400 + i, "SGS", b, "5000.00");
        row(f, 405 + i, b, "SGT", "4800.00");
        snprintf(b, sizeof b, "SHM%d", i + 1);
        row(f, 400 + i, "SHS", b, "5000.00");
        row(f, 405 + i, b, "SHT", "2000.00");
    }
    for (int i = 0; i < 5; i++) { /* gather-scatter */
        snprintf(a, sizeof a, "GS%d", i + 1);
        row(f, 500 + i, a, "GSH", "2000.00");
        snprintf(b, sizeof b, "GSO%d", i + 1);
        row(f, 510 + i, "GSH", b, "1900.00");
        snprintf(a, sizeof a, "GT%d", i + 1);
        row(f, 500 + i, a, "GTH", "2000.00");
        snprintf(b, sizeof b, "GTO%d", i + 1);
        row(f, 510 + i, "GTH", b, "1000.00");
    }
    for (int s = 0; s < 3; s++) { /* bipartite */
        for (int r = 0; r < 3; r++) {
            snprintf(a, sizeof a, "BPS%d", s + 1);
            snprintf(b, sizeof b, "BPR%d", r + 1);
            snprintf(amt, sizeof amt, "%d.00", 1000 + 20 * (3 * s + r));
            row(f, 600 + 2 * (3 * s + r), a, b, amt);
            if (s == 2 && r == 2)
                continue;
            snprintf(a, sizeof a, "BQS%d", s + 1);
            snprintf(b, sizeof b, "BQR%d", r + 1);
            row(f, 600 + 2 * (3 * s + r), a, b, amt);
        }
    }
    /* pass-through: three rounds; PU two */
    row(f, 700, "PTI1", "PTM", "3000.00");
    row(f, 702, "PTM", "PTO1", "2950.00");
    row(f, 748, "PTI2", "PTM", "4000.00");
    row(f, 751, "PTM", "PTO2", "3900.00");
    row(f, 796, "PTI3", "PTM", "5000.00");
    row(f, 797.5, "PTM", "PTO3", "4990.00");
    row(f, 700, "PUI1", "PUM", "3000.00");
    row(f, 702, "PUM", "PUO1", "2950.00");
    row(f, 748, "PUI2", "PUM", "4000.00");
    row(f, 751, "PUM", "PUO2", "3900.00");
    for (int i = 0; i < 4; i++) { /* rapid movement */
        snprintf(a, sizeof a, "RMI%d", i + 1);
        snprintf(b, sizeof b, "RMO%d", i + 1);
        row(f, 800 + 12 * i, a, "RMM", "2000.00");
        row(f, 800 + 12 * i + 1.0 / 6, "RMM", b, "1980.00");
    }
    static const char *under[] = {"9500.00", "9200.00", "9900.00", "8800.00", "9400.00"};
    for (int i = 0; i < 5; i++) { /* structuring */
        row(f, 900 + 14 * i, "SUD", "SUA", under[i]);
        row(f, 900 + 96 * i, "SVD", "SVA", "9500.00");
        row(f, 900 + 14 * i, "SWD", "SWA", "10000.00");
    }
    int sum = 0;
    for (int i = 0; i < 15; i++) { /* terrorist-financing collection */
        snprintf(a, sizeof a, "TFD%d", i + 1);
        snprintf(amt, sizeof amt, "%d.00", 60 + 5 * i);
        sum += 60 + 5 * i;
        row(f, 1000 + 8 * i, a, "TFC", amt);
        snprintf(a, sizeof a, "TGD%d", i + 1);
        row(f, 1000 + 8 * i, a, "TGC", amt);
    }
    snprintf(amt, sizeof amt, "%d.00", sum * 87 / 100);
    row(f, 1000 + 8 * 14 + 24, "TFC", "TFX", amt);
    snprintf(amt, sizeof amt, "%d.00", sum * 30 / 100);
    row(f, 1000 + 8 * 14 + 24, "TGC", "TGX", amt);
}

static void load(ft_store *s, const char *csv)
{
    ft_error err;
    if (tu_load(s, "scan.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
}

/* "kind:id1,id2,..." with the ids sorted, for every alert, sorted. */
static char *alert_set(const ft_store *s, const ft_alerts *a)
{
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    char **lines = calloc(a->n + 1, sizeof *lines);
    for (uint32_t i = 0; i < a->n; i++) {
        const ft_alert *al = &a->v[i];
        char *l = calloc(1, 4096);
        size_t n = (size_t)snprintf(l, 4096, "%s:", ft_alert_kind_name(al->kind));
        for (uint32_t k = 0; k < al->ntxn; k++) {
            char id[64];
            ft_store_txid(s, a->txns[al->txn0 + k], id, sizeof id);
            n += (size_t)snprintf(l + n, 4096 - n, "%s%s", k ? "," : "", id);
        }
        lines[i] = l;
    }
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t j = i + 1; j < a->n; j++)
            if (strcmp(lines[j], lines[i]) < 0) {
                char *x = lines[i];
                lines[i] = lines[j];
                lines[j] = x;
            }
    for (uint32_t i = 0; i < a->n; i++) {
        len += (size_t)snprintf(out + len, cap - len, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return out;
}

static void run(const ft_store *s, const ft_scan_params *p, int threads, ft_alerts *a)
{
    ft_error err;
    if (ft_scan_run(s, p, threads, a, &err) != FT_OK)
        fail_msg("%s", err.msg);
}

/* The transaction ids of the fixture are the payer's name and the row
 * number; the expected sets name them by row. */
static void test_every_detector(void **state)
{
    (void)state;
    fixture f = {0};
    build(&f);
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a;
    run(&s, &p, 1, &a);
    char *got = alert_set(&s, &a);
    /* What each case must give, by kind and by the payers of its rows. */
    static const struct {
        const char *kind;
        int ntxn;
        const char *payer; /* every transaction's id starts with one of these */
    } want[] = {
        {"bipartite", 9, "BPS"},       {"cycle", 3, "CY"},        {"fan_in", 8, "FI"},
        {"fan_out", 8, "FOA"},         {"gather_scatter", 10, "GS"}, {"pass_through", 6, "PT"},
        {"rapid_movement", 8, "RM"},   {"scatter_gather", 8, "SG"}, {"stack", 5, "ST"},
        {"structuring", 5, "SUD"},     {"tf_collection", 16, "TF"},
    };
    if (a.n != sizeof want / sizeof *want)
        fail_msg("%u alerts, want %zu:\n%s", a.n, sizeof want / sizeof *want, got);
    for (uint32_t i = 0; i < a.n; i++) {
        const ft_alert *al = &a.v[i];
        size_t k = 0;
        while (k < sizeof want / sizeof *want && strcmp(want[k].kind, ft_alert_kind_name(al->kind)))
            k++;
        if (k == sizeof want / sizeof *want)
            fail_msg("unexpected %s alert:\n%s", ft_alert_kind_name(al->kind), got);
        if ((int)al->ntxn != want[k].ntxn)
            fail_msg("%s: %u transactions, want %d:\n%s", want[k].kind, al->ntxn, want[k].ntxn,
                     got);
        for (uint32_t q = 0; q < al->ntxn; q++) {
            char id[64];
            ft_store_txid(&s, a.txns[al->txn0 + q], id, sizeof id);
            if (strncmp(id, want[k].payer, strlen(want[k].payer)) != 0)
                fail_msg("%s covers %s:\n%s", want[k].kind, id, got);
        }
        assert_true(al->score >= 0 && al->score <= 1);
        const char *expl = a.text + al->text;
        assert_true(strlen(expl) > 20);
    }
    /* Every kind once: the eleven are distinct. */
    for (uint32_t i = 1; i < a.n; i++)
        assert_int_not_equal(a.v[i].kind, a.v[i - 1].kind);
    free(got);
    ft_alerts_free(&a);

    /* Each detector alone finds its own case only. */
    for (int k = 0; k < FT_PAT_COUNT; k++) {
        ft_scan_params one = p;
        for (int j = 0; j < FT_PAT_COUNT; j++)
            one.enabled[j] = j == k;
        run(&s, &one, 2, &a);
        uint32_t mine = 0;
        for (uint32_t i = 0; i < a.n; i++)
            mine += a.v[i].kind == k;
        assert_int_equal(mine, a.n);
        /* Without the specific patterns, the general ones below them show:
         * gather-scatter's hub passes money through five times. */
        if (k == FT_PAT_PASS_THROUGH)
            assert_int_equal(a.n, 2);
        else
            assert_int_equal(a.n, 1);
        ft_alerts_free(&a);
    }
    ft_store_free(&s);
    free(f.csv);
}

static void test_hubs_are_skipped(void **state)
{
    (void)state;
    fixture f = {0};
    char a[32];
    for (int i = 0; i < 10; i++) {
        snprintf(a, sizeof a, "P%d", i);
        row(&f, i, a, "SHOP", "1000.00");
    }
    for (int i = 0; i < 6; i++)
        row(&f, 50 + i, "SHOP", "SUPPLIER", "3000.00");
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts al;
    run(&s, &p, 1, &al);
    assert_int_equal(al.n, 1);
    assert_int_equal(al.v[0].kind, FT_PAT_FAN_IN);
    ft_alerts_free(&al);
    ft_error err;
    assert_int_equal(ft_scan_param_set(&p, "scan.hub_degree", "15", &err), FT_OK);
    run(&s, &p, 1, &al);
    assert_int_equal(al.n, 0); /* SHOP has 16 transfers: a hub */
    ft_alerts_free(&al);
    assert_int_equal(ft_scan_param_set(&p, "fan.min_degree", "x", &err), FT_EUSAGE);
    assert_int_equal(ft_scan_param_set(&p, "fan.nothing", "1", &err), FT_EUSAGE);
    assert_int_equal(ft_scan_param_set(&p, "cycle.max_hops", "40", &err), FT_EUSAGE);
    assert_int_equal(ft_scan_param_set(&p, "cycle.enabled", "0", &err), FT_OK);
    assert_false(p.enabled[FT_PAT_CYCLE]);
    ft_store_free(&s);
    free(f.csv);
}

/* Ids and output do not depend on row order or threads. */
static void test_ids_are_stable(void **state)
{
    (void)state;
    fixture f = {0};
    build(&f);
    /* The same rows, last first (the store sorts them by time again;
     * rows at the same time now come in the other order). */
    char *rev = malloc(f.len + 1);
    const char *body = strchr(f.csv, '\n') + 1;
    size_t hlen = (size_t)(body - f.csv), w = hlen;
    memcpy(rev, f.csv, hlen);
    const char *end = f.csv + f.len;
    while (end > body) {
        const char *start = end - 1;
        while (start > body && start[-1] != '\n')
            start--;
        memcpy(rev + w, start, (size_t)(end - start));
        w += (size_t)(end - start);
        end = start;
    }
    rev[w] = '\0';
    ft_store s1 = {0}, s2 = {0};
    load(&s1, f.csv);
    load(&s2, rev);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a1, a2, a3;
    run(&s1, &p, 1, &a1);
    run(&s2, &p, 3, &a2);
    run(&s1, &p, 4, &a3);
    assert_int_equal(a1.n, 11);
    assert_int_equal(a1.n, a2.n);
    assert_int_equal(a1.n, a3.n);
    for (uint32_t i = 0; i < a1.n; i++) {
        assert_true(a1.v[i].id == a2.v[i].id);
        assert_true(a1.v[i].id == a3.v[i].id);
    }
    char *t1 = NULL, *t3 = NULL;
    size_t l1, l3;
    FILE *m1 = open_memstream(&t1, &l1), *m3 = open_memstream(&t3, &l3);
    ft_alerts_write(m1, &s1, &a1, NULL, FT_FORMAT_JSONL);
    ft_alerts_write(m3, &s1, &a3, NULL, FT_FORMAT_JSONL);
    fclose(m1);
    fclose(m3);
    assert_int_equal(l1, l3);
    assert_memory_equal(t1, t3, l1);
    free(t1);
    free(t3);
    ft_alerts_free(&a1);
    ft_alerts_free(&a2);
    ft_alerts_free(&a3);
    ft_store_free(&s1);
    ft_store_free(&s2);
    free(rev);
    free(f.csv);
}

static void test_state_across_runs(void **state)
{
    (void)state;
    fixture f = {0};
    build(&f);
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a;
    run(&s, &p, 1, &a);
    char path[] = "/tmp/ft_state_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* the first night: no state yet */
    ft_scan_state st;
    ft_error err;
    assert_int_equal(ft_scan_state_load(&st, path, &err), FT_OK);
    assert_int_equal(st.n, 0);
    for (uint32_t i = 0; i < a.n; i++)
        assert_false(ft_scan_state_has(&st, a.v[i].id));
    assert_int_equal(ft_scan_state_save(&st, &a, path, &err), FT_OK);
    ft_scan_state_free(&st);
    /* The second night: everything known. */
    assert_int_equal(ft_scan_state_load(&st, path, &err), FT_OK);
    assert_int_equal(st.n, a.n);
    for (uint32_t i = 0; i < a.n; i++)
        assert_true(ft_scan_state_has(&st, a.v[i].id));
    assert_false(ft_scan_state_has(&st, a.v[0].id ^ 1));
    ft_scan_state_free(&st);
    /* A damaged state is refused with its line. */
    FILE *fp = fopen(path, "a");
    fputs("not-an-id\n", fp);
    fclose(fp);
    assert_int_equal(ft_scan_state_load(&st, path, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, ":13:"));
    unlink(path);
    ft_alerts_free(&a);
    ft_store_free(&s);
    free(f.csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_detector),
        cmocka_unit_test(test_hubs_are_skipped),
        cmocka_unit_test(test_ids_are_stable),
        cmocka_unit_test(test_state_across_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
