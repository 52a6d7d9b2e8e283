/*
 * test_store.c - column growth, stable time sort, adjacency, the igraph
 * view (edge id = transaction number), the order of transfers at one time
 * and the transaction-id index.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/graph.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/store.h"

static void append(ft_store *s, int64_t ts, uint32_t src, uint32_t dst, int64_t amount)
{
    ft_row row = {.ts_ms = ts, .src = src, .dst = dst, .amount = amount,
                  .line = (uint32_t)s->t.n + 2};
    assert_int_equal(ft_store_append(s, &row, NULL), FT_OK);
}

static void add_accounts(ft_store *s, int n)
{
    char key[16];
    for (int i = 0; i < n; i++) {
        int len = snprintf(key, sizeof key, "a%d", i);
        uint32_t id;
        assert_int_equal(ft_intern_put(&s->accounts, key, (size_t)len, &id, NULL, NULL), FT_OK);
    }
}

static void test_sort_is_stable(void **state)
{
    (void)state;
    ft_store s = {0};
    add_accounts(&s, 4);
    ft_currency eur = {"EUR", 2};
    uint16_t cur;
    assert_int_equal(ft_store_currency(&s, &eur, &cur, NULL), FT_OK);
    /* amount = input position, so the order after sorting shows stability. */
    const int64_t ts[] = {50, 10, 50, -5, 10, 1LL << 40, 10};
    for (int i = 0; i < 7; i++)
        append(&s, ts[i], (uint32_t)i % 4, (uint32_t)(i + 1) % 4, i);
    assert_int_equal(ft_store_enable(&s, FT_COL_LABEL, NULL), FT_OK); /* late column: zeros */
    assert_int_equal(ft_store_finish(&s, NULL), FT_OK);
    const int64_t want_amount[] = {3, 1, 4, 6, 0, 2, 5};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(s.t.amount[i], want_amount[i]);
        assert_int_equal(s.t.line[i], want_amount[i] + 2); /* every column moved alike */
        assert_int_equal(s.t.src[i], (uint32_t)want_amount[i] % 4);
        assert_int_equal(s.t.label[i], 0);
    }
    assert_int_equal(s.t.ts_ms[6], 1LL << 40);
    ft_store_free(&s);
}

static void test_sort_large_random(void **state)
{
    (void)state;
    ft_store s = {0};
    add_accounts(&s, 10);
    uint64_t x = 88172645463325252ULL;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        append(&s, (int64_t)(x % 1000), 0, 1, i); /* many ties */
    }
    assert_int_equal(ft_store_finish(&s, NULL), FT_OK);
    for (int i = 1; i < n; i++) {
        assert_true(s.t.ts_ms[i - 1] <= s.t.ts_ms[i]);
        if (s.t.ts_ms[i - 1] == s.t.ts_ms[i])
            assert_true(s.t.amount[i - 1] < s.t.amount[i]);
    }
    ft_store_free(&s);
}

/* Every order of three times comes out sorted, whichever row is the
 * earliest (1, 3, 2 as well as 3, 1, 2), with times close together,
 * spanning one bit more than whole radix digits, before 1970; and a snapshot of each reads back
 * (the reader refuses rows out of time order). */
static void test_every_order_of_three(void **state)
{
    (void)state;
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                   {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    static const int64_t base[] = {1, 1709251200000, -7000};
    /* spans of 2, 3000 and 2^22 ms: keys of 2, 12 and 23 bits, the last
     * two one bit more than one and two radix digits hold */
    static const int64_t step[] = {1, 1500, 1 << 21};
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/three.ftg", dir);
    ft_error err;
    for (int b = 0; b < 3; b++)
        for (int p = 0; p < 6; p++) {
            ft_store s = {0}, r = {0};
            add_accounts(&s, 3);
            ft_currency eur = {"EUR", 2};
            uint16_t cur;
            assert_int_equal(ft_store_currency(&s, &eur, &cur, NULL), FT_OK);
            /* the amount is the rank in time */
            for (int k = 0; k < 3; k++)
                append(&s, base[b] + perm[p][k] * step[b], (uint32_t)k, (uint32_t)(k + 1) % 3,
                       perm[p][k]);
            assert_int_equal(ft_store_finish(&s, NULL), FT_OK);
            for (int i = 0; i < 3; i++) {
                assert_int_equal(s.t.amount[i], i);
                assert_int_equal(s.t.ts_ms[i], base[b] + i * step[b]);
            }
            if (ft_snapshot_write(&s, path, &err) != FT_OK || ft_snapshot_read(&r, path, &err))
                fail_msg("order %d%d%d: %s", perm[p][0], perm[p][1], perm[p][2], err.msg);
            assert_int_equal(r.t.n, 3);
            assert_memory_equal(r.t.ts_ms, s.t.ts_ms, 3 * sizeof *s.t.ts_ms);
            ft_store_free(&r);
            ft_store_free(&s);
        }
    tu_rmdir(dir);
}

static void test_adjacency_in_time_order(void **state)
{
    (void)state;
    ft_store s = {0};
    add_accounts(&s, 4);
    /* a0->a1 @1, a1->a2 @2, a0->a2 @3, a2->a0 @4, a0->a1 @5, a3 self @6 */
    append(&s, 1, 0, 1, 0);
    append(&s, 2, 1, 2, 0);
    append(&s, 3, 0, 2, 0);
    append(&s, 4, 2, 0, 0);
    append(&s, 5, 0, 1, 0);
    append(&s, 6, 3, 3, 0);
    assert_int_equal(ft_store_finish(&s, NULL), FT_OK);
    assert_int_equal(ft_store_adjacency(&s, NULL), FT_OK);
    const ft_adjacency *a = &s.adj;
    const uint32_t out_off[] = {0, 3, 4, 5, 6}, out_txn[] = {0, 2, 4, 1, 3, 5};
    const uint32_t in_off[] = {0, 1, 3, 5, 6}, in_txn[] = {3, 0, 4, 1, 2, 5};
    assert_memory_equal(a->out_off, out_off, sizeof out_off);
    assert_memory_equal(a->out_txn, out_txn, sizeof out_txn);
    assert_memory_equal(a->in_off, in_off, sizeof in_off);
    assert_memory_equal(a->in_txn, in_txn, sizeof in_txn);
    ft_store_free(&s);
}

/* From 65,536 rows the adjacency's two ends and the ids' hashes are built
 * on two threads: 100,000 rows with many transfers at one time give every
 * account's lists in time then tie order, holding exactly its transfers,
 * and an id index that finds every row. */
static void test_large_adjacency_and_ids(void **state)
{
    (void)state;
    ft_store s = {0};
    add_accounts(&s, 300);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        append(&s, (int64_t)(x % 5000), (uint32_t)(x >> 20) % 300, (uint32_t)(x >> 40) % 300,
               (int64_t)(x >> 50) % 7);
    }
    ft_error err;
    assert_int_equal(ft_store_finish(&s, &err), FT_OK);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    for (int side = 0; side < 2; side++) {
        const uint32_t *off = side ? s.adj.in_off : s.adj.out_off;
        const uint32_t *txn = side ? s.adj.in_txn : s.adj.out_txn;
        const uint32_t *end = side ? s.t.dst : s.t.src;
        uint32_t *count = calloc(300, sizeof *count);
        assert_non_null(count);
        for (int i = 0; i < n; i++)
            count[end[i]]++;
        assert_int_equal(off[300], n);
        for (uint32_t a = 0; a < 300; a++) {
            assert_int_equal(off[a + 1] - off[a], count[a]);
            for (uint32_t i = off[a]; i < off[a + 1]; i++) {
                assert_int_equal(end[txn[i]], a);
                if (i > off[a] && ft_store_txn_cmp(&s, txn[i - 1], txn[i]) >= 0)
                    fail_msg("side %d account %u: out of order at %u", side, a, i);
            }
        }
        free(count);
    }
    assert_int_equal(ft_store_txid_index(&s, &err), FT_OK);
    const ft_txid_map *m = &s.txids;
    assert_int_equal(m->off[m->nbuckets], n);
    for (uint32_t b = 0; b < m->nbuckets; b++)
        for (uint32_t k = m->off[b]; k < m->off[b + 1]; k++)
            assert_true(k == m->off[b] || m->txn[k - 1] < m->txn[k]);
    for (int i = 0; i < n; i++) {
        char id[64];
        size_t len = ft_store_txid(&s, (uint32_t)i, id, sizeof id);
        uint32_t t;
        assert_true(ft_store_find_txid(&s, id, len, &t));
        assert_int_equal(t, i);
    }
    ft_store_free(&s);
}

static void test_graph_edge_ids_are_rows(void **state)
{
    (void)state;
    ft_store s = {0};
    add_accounts(&s, 5);
    append(&s, 1, 0, 1, 0);
    append(&s, 2, 1, 2, 0);
    append(&s, 3, 0, 1, 0); /* a parallel edge */
    append(&s, 4, 3, 4, 0);
    assert_int_equal(ft_store_finish(&s, NULL), FT_OK);
    igraph_t g;
    ft_error err;
    assert_int_equal(ft_graph_build(&g, &s, &err), FT_OK);
    assert_int_equal(igraph_vcount(&g), 5);
    assert_int_equal(igraph_ecount(&g), 4);
    for (igraph_integer_t e = 0; e < 4; e++) {
        assert_int_equal(IGRAPH_FROM(&g, e), s.t.src[e]);
        assert_int_equal(IGRAPH_TO(&g, e), s.t.dst[e]);
    }
    int64_t count, largest;
    assert_int_equal(ft_graph_weak_components(&g, &count, &largest, &err), FT_OK);
    assert_int_equal(count, 2);
    assert_int_equal(largest, 3);
    igraph_destroy(&g);
    assert_int_equal(IGRAPH_FINALLY_STACK_SIZE(), 0);
    ft_store_free(&s);
}

static void test_igraph_errors_return(void **state)
{
    (void)state;
    ft_graph_setup();
    igraph_t g;
    igraph_vector_int_t edges;
    igraph_vector_int_init(&edges, 3); /* an odd number of ends */
    ft_error err;
    assert_int_not_equal(igraph_create(&g, &edges, 2, IGRAPH_DIRECTED), IGRAPH_SUCCESS);
    assert_int_equal(ft_error_from_igraph(&err), FT_EIGRAPH);
    assert_non_null(strstr(err.msg, "igraph:"));
    assert_int_equal(IGRAPH_FINALLY_STACK_SIZE(), 0);
    igraph_vector_int_destroy(&edges);
}

static void test_currency_exponent_raise(void **state)
{
    (void)state;
    ft_store s = {0};
    add_accounts(&s, 2);
    ft_currency jpy0 = {"JPY", 0}, jpy2 = {"JPY", 2}, usd = {"USD", 2};
    uint16_t j, u;
    assert_int_equal(ft_store_currency(&s, &jpy0, &j, NULL), FT_OK);
    assert_int_equal(ft_store_currency(&s, &usd, &u, NULL), FT_OK);
    ft_row r = {.ts_ms = 1, .src = 0, .dst = 1, .amount = 1500, .cur = j};
    assert_int_equal(ft_store_append(&s, &r, NULL), FT_OK);
    r.amount = 700;
    r.cur = u;
    assert_int_equal(ft_store_append(&s, &r, NULL), FT_OK);
    uint16_t again;
    assert_int_equal(ft_store_currency(&s, &jpy2, &again, NULL), FT_OK);
    assert_int_equal(again, j);
    assert_int_equal(s.currencies[j].exponent, 2);
    assert_int_equal(s.t.amount[0], 150000); /* 1500 yen in hundredths */
    assert_int_equal(s.t.amount[1], 700);    /* USD untouched */
    /* A lower exponent later changes nothing. */
    assert_int_equal(ft_store_currency(&s, &jpy0, &again, NULL), FT_OK);
    assert_int_equal(s.currencies[j].exponent, 2);
    /* Rescaling that would overflow is refused. */
    r.amount = INT64_MAX / 10;
    r.cur = u;
    assert_int_equal(ft_store_append(&s, &r, NULL), FT_OK);
    ft_currency usd4 = {"USD", 4};
    ft_error err;
    assert_int_equal(ft_store_currency(&s, &usd4, &again, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "USD amounts no longer fit"));
    ft_store_free(&s);
}

/* --- the order of transfers at one time ------------------------------------------------- */

static void load_csv(ft_store *s, const char *csv)
{
    ft_error err;
    if (tu_load(s, "o.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
}

/* The ids of the transfers in flow order, joined by spaces. */
static void order_text(const ft_store *s, bool backward, char *out, size_t cap)
{
    uint32_t *order = malloc(((size_t)s->t.n + 1) * sizeof *order);
    ft_error err;
    assert_int_equal(ft_store_flow_order(s, backward, order, &err), FT_OK);
    size_t used = 0;
    out[0] = '\0';
    for (int64_t i = 0; i < s->t.n; i++) {
        char id[64];
        ft_store_txid(s, order[i], id, sizeof id);
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? " " : "", id);
    }
    free(order);
}

static void test_flow_order_at_one_time(void **state)
{
    (void)state;
    /* At 01:00: B pays C before A pays B in the rows, and B's payment is
     * the smaller; credits go first, so A->B (a) comes before B->C (b).
     * C's payments wait for both of its credits (b and the self-transfer
     * s), s waits for b. D->E (e) and D->F (f) share an amount: by id.
     * At 02:00 X and Y pay each other: a circle, broken at the smaller
     * payment (y), then x follows. */
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "b,2024-01-01T01:00:00Z,B,C,5.00,EUR\n"
                      "c,2024-01-01T01:00:00Z,C,G,1.00,EUR\n"
                      "s,2024-01-01T01:00:00Z,C,C,2.00,EUR\n"
                      "a,2024-01-01T01:00:00Z,A,B,10.00,EUR\n"
                      "f,2024-01-01T01:00:00Z,D,F,3.00,EUR\n"
                      "e,2024-01-01T01:00:00Z,D,E,3.00,EUR\n"
                      "x,2024-01-01T02:00:00Z,X,Y,9.00,EUR\n"
                      "y,2024-01-01T02:00:00Z,Y,X,4.00,EUR\n";
    ft_store s = {0};
    load_csv(&s, csv);
    char text[256];
    order_text(&s, false, text, sizeof text);
    assert_string_equal(text, "e f a b s c y x");
    /* Backward, latest first, and an account's payments are its credits:
     * a transfer into an account waits for every transfer out of it at
     * that time. So c (G pays C, reversed) goes first; then C's transfer
     * to itself, which waits for c; b waits for s and c, and the smaller
     * e and f are free before it; a waits for b. */
    order_text(&s, true, text, sizeof text);
    assert_string_equal(text, "y x c s e f b a");
    ft_store_free(&s);
}

/* The same rows in any order give the same flow order, both ways. */
static void test_flow_order_ignores_row_order(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int round = 0; round < 200; round++) {
        enum { ROWS = 40 };
        char rows[ROWS][96];
        int nrows = 5 + (int)(x % 30);
        for (int i = 0; i < nrows; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Three timestamps, four accounts, few amounts: many ties. */
            snprintf(rows[i], sizeof rows[i], "t%d,2024-01-01T0%d:00:00Z,a%d,a%d,%d.00,EUR\n", i,
                     (int)(x % 3), (int)(x >> 8) % 4, (int)(x >> 16) % 4, 1 + (int)(x >> 24) % 3);
        }
        char want[2][1024];
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) /* shuffle */
                for (int i = nrows - 1; i > 0; i--) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    int j = (int)(x % (uint64_t)(i + 1));
                    char tmp[96];
                    memcpy(tmp, rows[i], sizeof tmp);
                    memcpy(rows[i], rows[j], sizeof tmp);
                    memcpy(rows[j], tmp, sizeof tmp);
                }
            char csv[ROWS * 96 + 128] =
                "txn_id,timestamp,src_account,dst_account,amount,currency\n";
            for (int i = 0; i < nrows; i++)
                strcat(csv, rows[i]);
            ft_store s = {0};
            load_csv(&s, csv);
            for (int back = 0; back < 2; back++) {
                char text[1024];
                order_text(&s, back, text, sizeof text);
                if (pass == 0)
                    strcpy(want[back], text);
                else if (strcmp(want[back], text) != 0)
                    fail_msg("round %d, %s: %s, then %s", round, back ? "backward" : "forward",
                             want[back], text);
            }
            ft_store_free(&s);
        }
    }
}

static void test_txid_index(void **state)
{
    (void)state;
    /* Numeric, text and duplicate ids. */
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "17,2024-01-01T03:00:00Z,A,B,1.00,EUR\n"
                      "TX-9,2024-01-01T01:00:00Z,A,B,2.00,EUR\n"
                      "17,2024-01-01T02:00:00Z,B,C,3.00,EUR\n"
                      "007,2024-01-01T04:00:00Z,C,D,4.00,EUR\n";
    ft_store s = {0};
    load_csv(&s, csv);
    ft_error err;
    uint32_t t;
    assert_false(ft_store_find_txid(&s, "TX-9", 4, &t)); /* not built yet */
    assert_int_equal(ft_store_txid_index(&s, &err), FT_OK);
    assert_true(ft_store_find_txid(&s, "TX-9", 4, &t));
    assert_int_equal(t, 0);
    assert_true(ft_store_find_txid(&s, "17", 2, &t));
    assert_int_equal(t, 1); /* the first of the two in time */
    char buf[32];
    size_t len = ft_store_txid(&s, 3, buf, sizeof buf);
    assert_true(ft_store_find_txid(&s, buf, len, &t));
    assert_int_equal(t, 3);
    assert_false(ft_store_find_txid(&s, "TX-", 3, &t));
    assert_false(ft_store_find_txid(&s, "18", 2, &t));
    ft_store_free(&s);

    /* Without an id column, ids are file:line. */
    load_csv(&s, "timestamp,src_account,dst_account,amount,currency\n"
                 "2024-01-01T03:00:00Z,A,B,1.00,EUR\n"
                 "2024-01-01T01:00:00Z,A,B,2.00,EUR\n");
    assert_int_equal(ft_store_txid_index(&s, &err), FT_OK);
    assert_true(ft_store_find_txid(&s, "o.csv:2", 7, &t));
    assert_int_equal(t, 1);
    assert_false(ft_store_find_txid(&s, "o.csv:4", 7, &t));
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_is_stable),
        cmocka_unit_test(test_sort_large_random),
        cmocka_unit_test(test_every_order_of_three),
        cmocka_unit_test(test_adjacency_in_time_order),
        cmocka_unit_test(test_graph_edge_ids_are_rows),
        cmocka_unit_test(test_igraph_errors_return),
        cmocka_unit_test(test_currency_exponent_raise),
        cmocka_unit_test(test_flow_order_at_one_time),
        cmocka_unit_test(test_flow_order_ignores_row_order),
        cmocka_unit_test(test_txid_index),
        cmocka_unit_test(test_large_adjacency_and_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
