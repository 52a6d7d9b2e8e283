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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

static uint32_t account_of(const ft_store *s, const char *key)
{
    uint32_t id;
    if (!ft_intern_find(&s->accounts, key, strlen(key), &id))
        fail_msg("no account %s", key);
    return id;
}

static bool has_node(const ft_store *s, const ft_subgraph *g, const char *key)
{
    uint32_t a = account_of(s, key);
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
    uint32_t c = account_of(&s, "C");

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
    assert_int_equal(ft_store_txid_index(&s, &err), FT_OK);
    uint32_t t[2];
    assert_true(ft_store_find_txid(&s, "c2", 2, &t[0]));
    assert_true(ft_store_find_txid(&s, "h5", 2, &t[1]));
    uint32_t dummy;
    assert_false(ft_store_find_txid(&s, "nope", 4, &dummy));
    assert_int_equal(ft_export_transfers(&s, t, 2, NULL, 0, &l, &g, &err), FT_OK);
    assert_int_equal(g.ne, 2);
    assert_int_equal(g.nn, 4); /* B, C, H, X4 */
    ft_subgraph_free(&g);
    uint32_t accts[3] = {account_of(&s, "A"), account_of(&s, "B"), account_of(&s, "C")};
    assert_int_equal(ft_export_accounts(&s, accts, 3, accts, 1, &l, &g, &err), FT_OK);
    assert_int_equal(g.nn, 3);
    assert_int_equal(g.ne, 2);
    ft_subgraph_free(&g);
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
    uint32_t a = account_of(&s, "A\\B");
    assert_int_equal(ft_export_neighbourhood(&s, &a, 1, 1, &l, &g, &err), FT_OK);
    char *out = NULL;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    assert_int_equal(ft_export_write(f, &s, &g, FT_EXPORT_DOT, NULL, &err), FT_OK);
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

/* Every builder needs the store's adjacency, and says so when it was not
 * built: the neighbourhood, the transfers and the accounts. */
static void test_needs_adjacency(void **state)
{
    (void)state;
    char *csv = fixture();
    ft_store s = {0};
    ft_error err;
    if (tu_load(&s, "e.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    free(csv);
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g;
    uint32_t a = 0, t = 0;
    for (int k = 0; k < 3; k++) {
        ft_status rc = k == 0   ? ft_export_neighbourhood(&s, &a, 1, 1, &l, &g, &err)
                       : k == 1 ? ft_export_transfers(&s, &t, 1, &a, 1, &l, &g, &err)
                                : ft_export_accounts(&s, &a, 1, &a, 1, &l, &g, &err);
        assert_int_equal(rc, FT_EUSAGE);
        assert_string_equal(err.msg, "export: build the store's adjacency first");
    }
    ft_store_free(&s);
}

static void load_fixture(ft_store *s)
{
    char *csv = fixture();
    ft_error err;
    if (tu_load(s, "e.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
    free(csv);
}

static char *in_dir(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* An alerts file and a trace file name transfers by their ids; ids not in
 * the data are skipped; each transfer gets the alerts covering it. */
static void test_from_files(void **state)
{
    (void)state;
    ft_store s = {0};
    load_fixture(&s);
    ft_error err;
    ft_export_limits l;
    ft_export_defaults(&l);
    char *dir = tu_tmpdir(), *alerts = in_dir(dir, "a.jsonl"), *trace = in_dir(dir, "t.jsonl");
    const char a[] = "{\"id\":\"aaaa\",\"kind\":\"stack\",\"accounts\":[\"B\",\"C\"],"
                     "\"txns\":[\"c2\",\"c3\",\"gone\"]}\n"
                     "{\"id\":\"bbbb\",\"kind\":\"fan_out\",\"accounts\":[\"H\"],"
                     "\"txns\":[\"h1\",\"c3\"]}\n";
    tu_write(alerts, a, sizeof a - 1);
    ft_export_alerts *ea;
    ft_subgraph g;
    assert_int_equal(ft_store_txid_index(&s, &err), FT_OK);
    assert_int_equal(ft_export_alerts_read(&ea, &s, alerts, &err), FT_OK);
    assert_int_equal(ft_export_alert(&s, ea, "aaaa", &l, &g, &err), FT_OK);
    assert_int_equal(g.ne, 2);
    assert_int_equal(g.nn, 3); /* B C D */
    assert_string_equal(g.what, "alert aaaa");
    for (uint32_t i = 0; i < g.nn; i++)
        assert_int_equal(g.seed[i], g.nodes[i] == account_of(&s, "B"));
    char **cover;
    assert_int_equal(ft_export_edge_alerts(&g, ea, &cover, &err), FT_OK);
    assert_string_equal(cover[0], "aaaa");      /* c2 */
    assert_string_equal(cover[1], "aaaa bbbb"); /* c3 */
    ft_export_edge_alerts_free(cover, g.ne);
    ft_subgraph_free(&g);
    assert_int_equal(ft_export_alert(&s, ea, "cccc", &l, &g, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "no alert 'cccc' in"));
    ft_export_alerts_free(ea);

    /* A trace of A, two hops: the seed and the transfers that carried it. */
    const char t[] =
        "{\"seed\":\"A\",\"account\":\"A\",\"hops\":0,\"amounts\":{},\"txns\":[]}\n"
        "{\"seed\":\"A\",\"account\":\"B\",\"hops\":1,\"amounts\":{},\"txns\":[\"c1\"]}\n"
        "{\"seed\":\"A\",\"account\":\"C\",\"hops\":2,\"amounts\":{},\"txns\":[\"c2\"]}\n";
    tu_write(trace, t, sizeof t - 1);
    ft_status rc = ft_export_trace_file(&s, trace, &l, &g, &err);
    if (rc != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(g.ne, 2);
    assert_int_equal(g.nn, 3);
    ft_subgraph_free(&g);
    free(alerts);
    free(trace);
    tu_rmdir(dir);
    ft_store_free(&s);
}

/* A trace run here, and the cluster of an account. */
static void test_from_runs(void **state)
{
    (void)state;
    ft_store s = {0};
    load_fixture(&s);
    ft_error err;
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g;
    uint32_t a = account_of(&s, "A");
    assert_int_equal(ft_export_trace_from(&s, &a, 1, 2, "A", &l, &g, &err), FT_OK);
    assert_int_equal(g.ne, 2); /* c1, c2 */
    assert_true(has_node(&s, &g, "C") && !has_node(&s, &g, "D"));
    assert_string_equal(g.what, "the trail of a 2-hop haircut trace from A");
    ft_subgraph_free(&g);

    ft_cluster_options co;
    ft_cluster_defaults(&co);
    co.method = FT_CLUSTER_WEAK;
    assert_int_equal(ft_export_cluster_of(&s, &co, a, "A", &l, &g, &err), FT_OK);
    assert_int_equal(g.nn, 18); /* everyone is connected */
    assert_int_equal(g.ne, 17);
    assert_string_equal(g.what, "the weak cluster of A (18 accounts)");
    ft_subgraph_free(&g);
    ft_store_free(&s);
}

/* A drawing keeps the accounts nearest the seeds and counts the rest. */
static void test_shrink(void **state)
{
    (void)state;
    ft_store s = {0};
    load_fixture(&s);
    ft_error err;
    ft_export_limits l;
    ft_export_defaults(&l);
    l.max_degree = 0;
    ft_subgraph g, d;
    uint32_t a = account_of(&s, "A");
    assert_int_equal(ft_export_neighbourhood(&s, &a, 1, 10, &l, &g, &err), FT_OK);
    assert_int_equal(g.nn, 18);
    assert_int_equal(ft_export_shrink(&s, &g, 4, 0, &d, &err), FT_OK);
    assert_int_equal(d.nn, 4); /* A, then B, C, D along the chain */
    assert_true(has_node(&s, &d, "A") && has_node(&s, &d, "B") && has_node(&s, &d, "C") &&
                has_node(&s, &d, "D"));
    assert_int_equal(d.ne, 3);
    assert_int_equal(d.cut_nodes, 14);
    assert_int_equal(d.cut_edges, 14);
    ft_subgraph_free(&d);
    assert_int_equal(ft_export_shrink(&s, &g, 100, 2, &d, &err), FT_OK);
    assert_int_equal(d.nn, 18);
    assert_int_equal(d.ne, 2);
    assert_int_equal(d.edges[0], g.edges[0]); /* the earliest */
    ft_subgraph_free(&d);
    ft_subgraph_free(&g);
    ft_store_free(&s);
}

/* -o: one file, or the CSV pair, through the atomic writer. */
static void test_save(void **state)
{
    (void)state;
    ft_store s = {0};
    load_fixture(&s);
    ft_error err;
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g;
    uint32_t a = account_of(&s, "A");
    assert_int_equal(ft_export_neighbourhood(&s, &a, 1, 1, &l, &g, &err), FT_OK);
    char *dir = tu_tmpdir(), *gml = in_dir(dir, "x.graphml"), *pre = in_dir(dir, "p");
    assert_int_equal(ft_export_save(&s, &g, FT_EXPORT_GRAPHML, gml, NULL, &err), FT_OK);
    char *text = tu_read(gml, NULL);
    assert_non_null(strstr(text, "<graphml"));
    free(text);
    assert_int_equal(ft_export_save(&s, &g, FT_EXPORT_CSV_EDGES, pre, NULL, &err), FT_OK);
    char *nodes = in_dir(dir, "p-nodes.csv"), *edges = in_dir(dir, "p-edges.csv");
    text = tu_read(nodes, NULL);
    assert_string_equal(text, "account,seed,first_time\nA,true,2024-06-01T00:00:00Z\n"
                              "B,false,2024-06-01T00:00:00Z\n");
    free(text);
    text = tu_read(edges, NULL);
    assert_non_null(strstr(text, "\nc1,A,B,"));
    free(text);
    /* A directory that is not there: an error naming it, no file. */
    char *bad = in_dir(dir, "no/such/x.gexf");
    assert_int_equal(ft_export_save(&s, &g, FT_EXPORT_GEXF, bad, NULL, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "no/such/x.gexf"));
    free(bad);
    free(nodes);
    free(edges);
    free(gml);
    free(pre);
    tu_rmdir(dir);
    ft_subgraph_free(&g);
    ft_store_free(&s);
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A layout program that does not finish is stopped at the time limit,
 * and leaves no file; one that cannot run says so. */
static void test_draw_time_limit(void **state)
{
    (void)state;
    ft_store s = {0};
    load_fixture(&s);
    ft_error err;
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g;
    uint32_t a = account_of(&s, "A");
    assert_int_equal(ft_export_neighbourhood(&s, &a, 1, 2, &l, &g, &err), FT_OK);
    char *dir = tu_tmpdir(), *slow = in_dir(dir, "slowdot"), *svg = in_dir(dir, "x.svg");
    const char script[] = "#!/bin/sh\ncat >/dev/null\nexec sleep 30\n";
    tu_write(slow, script, sizeof script - 1);
    chmod(slow, 0755);
    double t0 = seconds();
    assert_int_equal(ft_export_draw(&s, &g, slow, 1, svg, NULL, NULL, &err), FT_ELIMIT);
    assert_true(seconds() - t0 < 5);
    assert_non_null(strstr(err.msg, "did not finish the drawing within 1 s"));
    assert_int_equal(access(svg, F_OK), -1);
    char *missing = in_dir(dir, "no-such-program");
    assert_int_equal(ft_export_draw(&s, &g, missing, 5, svg, NULL, NULL, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "cannot run"));
    assert_int_equal(access(svg, F_OK), -1);
    if (system("command -v dot >/dev/null 2>&1") == 0) {
        assert_int_equal(ft_export_draw(&s, &g, "dot", 60, svg, NULL, NULL, &err), FT_OK);
        char *out = tu_read(svg, NULL);
        assert_non_null(strstr(out, "<svg"));
        free(out);
    }
    free(missing);
    free(slow);
    free(svg);
    tu_rmdir(dir);
    ft_subgraph_free(&g);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builders),        cmocka_unit_test(test_xml_escaping),
        cmocka_unit_test(test_from_files),      cmocka_unit_test(test_from_runs),
        cmocka_unit_test(test_shrink),          cmocka_unit_test(test_save),
        cmocka_unit_test(test_draw_time_limit), cmocka_unit_test(test_dot_escaping),
        cmocka_unit_test(test_needs_adjacency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
