/*
 * test_report.c - the HTML case file: well-formed (libxml2 parses it as
 * XML), self-contained, with exact numbers in its tables.
 */
#include "testutil.h"

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/report.h"

static const char CSV[] = "txn_id,timestamp,src_account,dst_account,amount,currency,memo\n"
                          "1,2024-01-01T00:00:00Z,a<b>&c,bob,10.05,EUR,x\n"
                          "2,2024-01-02T00:00:00Z,bob,carol,7.50,EUR,y\n"
                          "3,2024-01-03T00:00:00Z,bob,carol,100,JPY,z\n";

static char *report(ft_report_kind kind, ft_store *s, const ft_trace_result *tr,
                    const ft_trace_options *o, const ft_subgraph *g, const ft_report_alert *al,
                    size_t nal)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ft_report r = {.kind = kind,
                   .g = g,
                   .subject = "a<b>&c",
                   .trace = tr,
                   .topt = o,
                   .alerts = al,
                   .nalerts = nal,
                   .svg_note = "no picture & why"};
    ft_error err;
    assert_int_equal(ft_report_html(f, s, &r, &err), FT_OK);
    fclose(f);
    xmlDocPtr doc = xmlReadMemory(out, (int)len, "r.html", NULL, XML_PARSE_NONET);
    assert_non_null(doc); /* well-formed */
    xmlFreeDoc(doc);
    assert_null(strstr(out, "<script"));
    return out;
}

static void test_report(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "t.csv", CSV, NULL, NULL, &err), FT_OK);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    uint32_t a;
    assert_true(ft_intern_find(&s.accounts, "a<b>&c", 6, &a));
    uint32_t txns[] = {0, 1, 2};
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g = {0};
    assert_int_equal(ft_export_transfers(&s, txns, 3, &a, 1, &l, &g, &err), FT_OK);

    /* alerts */
    ft_report_alert al = {"00000000000000aa", "fan_out", "0.9", "bob paid <two> & more"};
    char *out = report(FT_REPORT_ALERTS, &s, NULL, NULL, &g, &al, 1);
    assert_non_null(strstr(out, "1 alert covers 3 transfers among 3 accounts between "
                                "2024-01-01T00:00:00Z and 2024-01-03T00:00:00Z, moving 17.55 "
                                "EUR, 100 JPY. bob paid &lt;two&gt; &amp; more."));
    /* bob: received 10.05 EUR, paid 7.50 EUR and 100 JPY */
    assert_non_null(strstr(out, "<tr><td>bob</td><td>2024-01-01T00:00:00Z</td><td class=\"n\">"
                                "10.05 EUR</td><td class=\"n\">7.50 EUR, 100 JPY</td></tr>"));
    assert_non_null(strstr(out, "<tr class=\"seed\"><td>a&lt;b&gt;&amp;c</td>"));
    assert_non_null(strstr(out, "<p class=\"note\">no picture &amp; why</p>"));
    assert_non_null(strstr(out, "<p class=\"note\">Not recorded.</p>")); /* no provenance */
    free(out);

    /* a trace */
    ft_trace_options o;
    ft_trace_defaults(&o);
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    const ft_trace_result *res;
    assert_int_equal(ft_trace_index_new(&ix, &s, false, &err), FT_OK);
    assert_int_equal(ft_tracer_new(&tr, ix, &err), FT_OK);
    assert_int_equal(ft_trace_run(tr, &o, a, -1, &res, &err), FT_OK);
    out = report(FT_REPORT_TRACE, &s, res, &o, &g, NULL, 0);
    assert_non_null(strstr(out, "It reached 2 other accounts through 2 transfers"));
    /* haircut: bob got 10.05 EUR and passed 7.50 EUR on to carol (JPY is not traced) */
    assert_non_null(
        strstr(out, "The most still held at the end: carol (7.50 EUR), bob (2.55 EUR)."));
    assert_non_null(strstr(out, "<th>traced</th>"));
    free(out);
    ft_tracer_free(tr);
    ft_trace_index_free(ix);

    /* a cluster */
    out = report(FT_REPORT_CLUSTER, &s, NULL, NULL, &g, NULL, 0);
    assert_non_null(strstr(out, "The a&lt;b&gt;&amp;c holds 3 accounts; 3 transfers among them"));
    free(out);
    ft_subgraph_free(&g);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
