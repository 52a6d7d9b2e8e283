/*
 * test_export.c - choosing subgraphs (neighbourhoods, transfers, accounts)
 * with their limits, transaction ids, and XML escaping. The formats are
 * parsed back by other tools in check_export.py.
 *
 * The fixture: a chain A -> B -> C -> D -> E an hour apart, and a hub H
 * with transfers to and from twelve accounts X0..X11, paid by C.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/export.h"

static char *fixture(void)
{
    size_t cap = 1 << 14, len = 0;
    char *csv = malloc(cap);
    int n = 0;
    len += (size_t)snprintf(csv, cap, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    const char *chain = "ABCDE";
    for (int i = 0; i < 4; i++)
        len += (size_t)snprintf(csv + len, cap - len, "c%d,%lld,%c,%c,100.00,EUR\n", ++n,
                                1717200000LL + 3600LL * i, chain[i], chain[i + 1]);
    len += (size_t)snprintf(csv + len, cap - len, "h0,1717300000,C,H,5.00,EUR\n");
    for (int i = 0; i < 12; i++)
        len += (size_t)snprintf(csv + len, cap - len, "h%d,%lld,H,X%d,1.00,EUR\n", i + 1,
                                1717300001LL + i, i);
    return csv;
}

static uint32_t acct(const ft_store *s, const char *key)
{
    uint32_t id;
    if (!ft_intern_find(&s->accounts, key, strlen(key), &id))
        fail_msg("no account %s", key);
    return id;
}

static bool has_node(const ft_store *s, const ft_subgraph *g, const char *key)
{
    uint32_t a = acct(s, key);
    for (uint32_t i = 0; i < g->nn; i++)
        if (g->nodes[i] == a)
            return true;
    return false;
}

static void test_builders(void **state)
{
    (void)state;
    char *csv = fixture();
    ft_store s = {0};
    ft_error err;
    if (tu_load(&s, "e.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g;
    uint32_t c = acct(&s, "C");

    /* One hop around C: B, D and the hub H; the transfers among them. */
    assert_int_equal(ft_export_neighbourhood(&s, &c, 1, 1, &l, &g, &err), FT_OK);
    assert_int_equal(g.nn, 4);
    assert_true(has_node(&s, &g, "B") && has_node(&s, &g, "D") && has_node(&s, &g, "H"));
    assert_int_equal(g.ne, 3); /* B->C, C->D, C->H */
    for (uint32_t i = 0; i < g.nn; i++)
        assert_int_equal(g.seed[i], g.nodes[i] == c);
    ft_subgraph_free(&g);

    /* Two hops, with H a hub (max_degree 10): shown, not expanded. */
    l.max_degree = 10;
    assert_int_equal(ft_export_neighbourhood(&s, &c, 1, 2, &l, &g, &err), FT_OK);
    assert_int_equal(g.nn, 6); /* A B C D E H */
    assert_false(has_node(&s, &g, "X0"));
    ft_subgraph_free(&g);
    l.max_degree = 0;
    assert_int_equal(ft_export_neighbourhood(&s, &c, 1, 2, &l, &g, &err), FT_OK);
    assert_int_equal(g.nn, 18);
    assert_int_equal(g.ne, 17);
    ft_subgraph_free(&g);

    /* Limits: at most 8 accounts and 5 transfers; the rest is counted. */
    l.max_nodes = 8;
    l.max_edges = 5;
    assert_int_equal(ft_export_neighbourhood(&s, &c, 1, 2, &l, &g, &err), FT_OK);
    assert_int_equal(g.nn, 8);
    assert_int_equal(g.cut_nodes, 10);
    assert_int_equal(g.ne, 5);
    assert_true(g.cut_edges > 0);
    for (uint32_t e = 1; e < g.ne; e++)
        assert_true(g.edges[e] > g.edges[e - 1]);
    ft_subgraph_free(&g);

    /* Transfers by their ids; accounts and the transfers among them. */
    ft_export_defaults(&l);
    ft_txid_index *ix;
    assert_int_equal(ft_txid_index_new(&ix, &s, &err), FT_OK);
    uint32_t t[2];
    assert_true(ft_txid_index_find(ix, "c2", 2, &t[0]));
    assert_true(ft_txid_index_find(ix, "h5", 2, &t[1]));
    assert_false(ft_txid_index_find(ix, "nope", 4, &t[1]) && false);
    uint32_t dummy;
    assert_false(ft_txid_index_find(ix, "nope", 4, &dummy));
    assert_int_equal(ft_export_transfers(&s, t, 2, NULL, 0, &l, &g, &err), FT_OK);
    assert_int_equal(g.ne, 2);
    assert_int_equal(g.nn, 4); /* B, C, H, X4 */
    ft_subgraph_free(&g);
    uint32_t accts[3] = {acct(&s, "A"), acct(&s, "B"), acct(&s, "C")};
    assert_int_equal(ft_export_accounts(&s, accts, 3, accts, 1, &l, &g, &err), FT_OK);
    assert_int_equal(g.nn, 3);
    assert_int_equal(g.ne, 2);
    ft_subgraph_free(&g);
    ft_txid_index_free(ix);
    ft_store_free(&s);
    free(csv);
}

static void test_xml_escaping(void **state)
{
    (void)state;
    char *out = NULL;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    const char in[] = "a<b>&\"c'\x01 \xff\xc3\xa9\xe2\x98\x95\xed\xa0\x80\n";
    ft_xml_text(f, in, sizeof in - 1);
    fclose(f);
    assert_string_equal(out, "a&lt;b&gt;&amp;&quot;c&apos;\xEF\xBF\xBD \xEF\xBF\xBD\xc3\xa9"
                             "\xe2\x98\x95\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD&#10;");
    free(out);
}

/* DOT labels escape backslashes and quotes in account names and ids, so
 * that Graphviz shows the name as it is: A\B is written "A\\B". */
static void test_dot_escaping(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "t\\1,1717200000,A\\B,\"say \"\"hi\"\"\",2.50,EUR\n";
    ft_store s = {0};
    ft_error err;
    if (tu_load(&s, "d.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g;
    uint32_t a = acct(&s, "A\\B");
    assert_int_equal(ft_export_neighbourhood(&s, &a, 1, 1, &l, &g, &err), FT_OK);
    char *out = NULL;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    ft_export_write(f, &s, &g, FT_EXPORT_DOT, NULL);
    fclose(f);
    assert_string_equal(out,
                        "digraph fundtrace {\n"
                        "  rankdir=LR;\n"
                        "  node [shape=box, fontname=\"Helvetica\"];\n"
                        "  edge [fontname=\"Helvetica\", fontsize=10];\n"
                        "  label=\"the accounts within 1 hop of 1 seed\";\n"
                        "  n0 [label=\"A\\\\B\", style=filled, fillcolor=\"#f4c542\", "
                        "penwidth=2];\n"
                        "  n1 [label=\"say \\\"hi\\\"\"];\n"
                        "  n0 -> n1 [label=\"2.50 EUR\\n2024-06-01\", tooltip=\"txn t\\\\1\"];\n"
                        "}\n");
    free(out);
    ft_subgraph_free(&g);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builders),
        cmocka_unit_test(test_xml_escaping),
        cmocka_unit_test(test_dot_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
