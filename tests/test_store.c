/*
 * test_store.c - column growth, stable time sort, adjacency, the igraph
 * view (edge id = transaction number).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fundtrace/graph.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_is_stable),
        cmocka_unit_test(test_sort_large_random),
        cmocka_unit_test(test_adjacency_in_time_order),
        cmocka_unit_test(test_graph_edge_ids_are_rows),
        cmocka_unit_test(test_igraph_errors_return),
        cmocka_unit_test(test_currency_exponent_raise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
