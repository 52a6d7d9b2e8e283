/*
 * test_study_report.c - the study's HTML page and the SVG charts it draws
 * (chart.h, study_report.h), on hand-built results: nice axes; bars and
 * points exactly where the geometry says; names with <&"> escaped; the
 * page well-formed (libxml2 reads it as XML), self-contained, with every
 * figure in a cell marked with its JSON path; the provenance record as
 * JSON; nothing divided by zero when everything is zero or empty.
 */
#include "testutil.h"

#include <libxml/parser.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/chart.h"
#include "fundtrace/study_report.h"

static int count(const char *out, const char *what)
{
    int n = 0;
    for (const char *p = out; (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* What fn writes, NUL-terminated, checked to be well-formed XML. */
#define CAPTURE(out, call)                                                                         \
    do {                                                                                           \
        size_t len_ = 0;                                                                           \
        FILE *f = open_memstream(&(out), &len_);                                                   \
        assert_non_null(f);                                                                        \
        call;                                                                                      \
        assert_int_equal(fclose(f), 0);                                                            \
        xmlDocPtr doc_ = xmlReadMemory((out), (int)len_, "t.xml", NULL, XML_PARSE_NONET);          \
        if (!doc_)                                                                                 \
            fail_msg("not well-formed:\n%s", (out));                                               \
        xmlFreeDoc(doc_);                                                                          \
        /* no NaN, no infinity (nan in Provenance is a word) */                                    \
        assert_int_equal(count((out), "nan"), count((out), "rovenance"));                          \
        assert_null(strstr((out), "inf\""));                                                       \
    } while (0)

static void has(const char *out, const char *want)
{
    if (!strstr(out, want)) {
        fprintf(stderr, "in:\n%s\n", out);
        fail_msg("missing: %s", want);
    }
}

static void test_axis(void **state)
{
    (void)state;
    ft_chart_axis a;
    ft_chart_axis_make(4, false, &a);
    assert_true(a.max == 4 && a.step == 1 && a.ticks == 4 && a.decimals == 0);
    ft_chart_axis_make(7, true, &a);
    assert_true(a.max == 8 && a.step == 2 && a.ticks == 4);
    ft_chart_axis_make(302, true, &a);
    assert_true(a.max == 400 && a.step == 100 && a.ticks == 4);
    ft_chart_axis_make(1e7, true, &a);
    assert_true(a.max == 1e7 && a.step == 2e6 && a.ticks == 5);
    ft_chart_axis_make(1, true, &a); /* counts: no step below 1 */
    assert_true(a.max == 1 && a.step == 1 && a.ticks == 1 && a.decimals == 0);
    ft_chart_axis_make(0.003311, false, &a);
    assert_int_equal(a.ticks, 4);
    assert_int_equal(a.decimals, 3);
    assert_true(fabs(a.max - 0.004) < 1e-12 && fabs(a.step - 0.001) < 1e-15);
    /* nothing, or nothing usable: 0 .. 1 */
    ft_chart_axis_make(0, true, &a);
    assert_true(a.max == 1 && a.step == 1 && a.ticks == 1);
    ft_chart_axis_make(0, false, &a);
    assert_true(a.max == 1 && a.ticks == 5);
    ft_chart_axis_make(NAN, false, &a);
    assert_true(a.max == 1);
    ft_chart_axis_make(-3, true, &a);
    assert_true(a.max == 1);
    /* never more than six intervals, the top at or above the value */
    for (double v = 0.7; v < 5e6; v *= 1.37) {
        ft_chart_axis_make(v, false, &a);
        assert_true(a.ticks >= 1 && a.ticks <= 6);
        assert_true(a.max >= v);
        assert_true(a.max - a.step < v + 1e-9 * v);
    }
}

static void test_bars(void **state)
{
    (void)state;
    const char *groups[] = {"a", "b"}, *series[] = {"s<1>", "s2"};
    const char *colours[] = {"#111111", "#222222"};
    const double values[] = {2, 4, 0, 1};
    ft_chart_bars c = {.title = "t&t",
                       .y_label = "n",
                       .ngroups = 2,
                       .nseries = 2,
                       .groups = groups,
                       .series = series,
                       .colours = colours,
                       .values = values};
    ft_chart_axis a;
    ft_chart_bars_axis(&c, &a);
    assert_true(a.max == 4);
    /* "4", the widest tick label: 24 + ceil(6.5) + 8 */
    assert_int_equal(ft_chart_bars_left(&c), 39);
    char *out = NULL;
    CAPTURE(out, ft_chart_bars_svg(f, &c));
    /* a group is 24 + 2 * 20 wide; bars start 12 into it, 20 apart; the
     * plot from y 40 (4) to 280 (0) */
    has(out, "<rect x=\"51.00\" y=\"160.00\" width=\"18\" height=\"120.00\" fill=\"#111111\">"
             "<title>a, s&lt;1&gt;: 2</title></rect>");
    has(out, "<rect x=\"71.00\" y=\"40.00\" width=\"18\" height=\"240.00\" fill=\"#222222\">");
    has(out, "<rect x=\"115.00\" y=\"280.00\" width=\"18\" height=\"0.00\" fill=\"#111111\">");
    has(out, "<rect x=\"135.00\" y=\"220.00\" width=\"18\" height=\"60.00\" fill=\"#222222\">");
    /* ticks 0 .. 4, labels level and centred under their groups */
    for (int i = 0; i <= 4; i++) {
        char want[64];
        snprintf(want, sizeof want, "text-anchor=\"end\">%d</text>", i);
        has(out, want);
    }
    assert_int_equal(count(out, "text-anchor=\"end\">"), 5);
    has(out, "<text x=\"71.00\" y=\"296.00\" text-anchor=\"middle\">a</text>");
    has(out, "<text x=\"135.00\" y=\"296.00\" text-anchor=\"middle\">b</text>");
    has(out, "aria-label=\"t&amp;t\"");
    has(out, ">s&lt;1&gt;</text>"); /* the legend */
    free(out);

    /* long names turn, cut at 24 characters with the whole in a tooltip;
     * the plot moves right so that the first stays in the picture */
    const char *longs[] = {"a very long pattern name <&\"> indeed", "b"};
    c.groups = longs;
    int left = ft_chart_bars_left(&c);
    /* 25 characters at 6.5 px turned 40 degrees, beyond half a group */
    assert_int_equal(left, (int)ceil(25 * 6.5 * cos(40 * M_PI / 180) + 4 - 32));
    CAPTURE(out, ft_chart_bars_svg(f, &c));
    has(out, "rotate(-40 ");
    has(out, ">a very long pattern name\xE2\x80\xA6<title>a very long pattern name &lt;&amp;"
             "&quot;&gt; indeed</title></text>");
    assert_null(strstr(out, "<&"));
    free(out);

    /* all zeros: an axis 0 .. 1, every bar at the bottom */
    const double zeros[] = {0, NAN, -5, INFINITY};
    c.groups = groups;
    c.values = zeros;
    CAPTURE(out, ft_chart_bars_svg(f, &c));
    assert_int_equal(count(out, "height=\"0.00\""), 4);
    has(out, "<title>b, s2: not a finite number, drawn as 0</title>"); /* says what it was */
    has(out, "<title>b, s&lt;1&gt;: -5, drawn as 0</title>");
    free(out);

    /* counts: whole-number ticks (0 .. 1), not 0.2 apart */
    const double small[] = {0, 1, 1, 0};
    c.values = small;
    c.integer = true;
    CAPTURE(out, ft_chart_bars_svg(f, &c));
    assert_int_equal(count(out, "text-anchor=\"end\">"), 2);
    has(out, "height=\"240.00\" fill=\"#222222\"><title>a, s2: 1</title>");
    free(out);

    /* nothing to draw */
    c.ngroups = 0;
    CAPTURE(out, ft_chart_bars_svg(f, &c));
    has(out, "Nothing to draw.");
    free(out);
}

static void test_points(void **state)
{
    (void)state;
    ft_chart_point p[] = {
        {.label = "one", .x = 1, .y = 3, .colour = "#123456"},
        {.label = "two<", .x = 0.5, .y = 0},
        {.label = "three", .x = 0.5, .y = 0}, /* on two: its label a line lower */
    };
    ft_chart_points c = {.title = "p",
                         .x_label = "share",
                         .y_label = "found",
                         .x_share = true,
                         .y_integer = true,
                         .p = p,
                         .n = 3};
    char *out = NULL;
    CAPTURE(out, ft_chart_points_svg(f, &c));
    /* y axis 0 .. 3 (steps of 1): left 39; x 0 .. 1 over 480 px */
    has(out, "<circle cx=\"519.00\" cy=\"40.00\" r=\"5\" stroke=\"#fff\" fill=\"#123456\">"
             "<title>one: 1, 3</title>");
    has(out, "<circle cx=\"279.00\" cy=\"280.00\"");
    /* one's label would leave the picture: it ends left of its point */
    has(out, "<text x=\"511.00\" y=\"34.00\" text-anchor=\"end\">one</text>");
    has(out, "<text x=\"287.00\" y=\"274.00\">two&lt;</text>");
    has(out, "<text x=\"287.00\" y=\"287.00\">three</text>");
    has(out, ">0%</text>");
    has(out, ">60%</text>");
    has(out, ">100%</text>");
    /* the line in order of x, then y */
    has(out, "points=\"279.00,280.00 279.00,280.00 519.00,40.00\"");
    free(out);

    /* no points; or every one at 0 */
    c.n = 0;
    CAPTURE(out, ft_chart_points_svg(f, &c));
    assert_null(strstr(out, "<circle"));
    free(out);
    ft_chart_point z[] = {{.label = "z", .x = NAN, .y = -1}};
    c.p = z;
    c.n = 1;
    CAPTURE(out, ft_chart_points_svg(f, &c));
    has(out, "<circle cx=\"39.00\" cy=\"280.00\"");
    free(out);
}

/* A study of three parties, hand-built; names with <&">. */
typedef struct fixture {
    ft_store s;
    ft_study_result r;
    ft_study_party parties[2];
    ft_study_row rows[2];
    ft_study_trace_row traces[1];
} fixture;

static void build(fixture *x)
{
    memset(x, 0, sizeof *x);
    ft_error err;
    static const char csv[] = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                              "1,2024-01-01T00:00:00Z,a<b>&c,bob,10.05,EUR\n";
    assert_int_equal(tu_load(&x->s, "t.csv", csv, NULL, NULL, &err), FT_OK);
    ft_study_result *r = &x->r;
    r->transfers = 400;
    r->accounts = 50;
    r->outside_accounts = 1;
    r->cross_border = 12;
    x->parties[0] = (ft_study_party){.name = "D<E", .accounts = 20, .transfers = 200, .alerts = 2};
    x->parties[1] = (ft_study_party){.name = "FR", .accounts = 29, .transfers = 210, .alerts = 1};
    r->parties = x->parties;
    r->nparties = 2;
    r->cost[FT_STUDY_POOLED] = (ft_study_cost){.alerts = 3,
                                               .records_crossing = 400,
                                               .accounts_crossing = 50,
                                               .share_seen_abroad = 1,
                                               .records_exchanged = 400,
                                               .bytes_exchanged = 40000,
                                               .rounds = 1,
                                               .cpu_seconds = 0.25};
    r->cost[FT_STUDY_SILOED] = (ft_study_cost){.alerts = 2,
                                               .records_crossing = 10,
                                               .accounts_crossing = 8,
                                               .share_seen_abroad = 0.025,
                                               .rounds = 1};
    r->cost[FT_STUDY_FEDERATED] = (ft_study_cost){.alerts = 3,
                                                  .records_crossing = 30,
                                                  .accounts_crossing = 15,
                                                  .share_seen_abroad = 0.075,
                                                  .match_queries = 6,
                                                  .records_exchanged = 20,
                                                  .bytes_exchanged = 2345,
                                                  .rounds = 2};
    r->labelled = true;
    x->rows[0] = (ft_study_row){.name = "tf_<&\">",
                                .instances = 4,
                                .found = {4, 1, 3},
                                .alerts = {4, 1, 3},
                                .false_alerts = {0, 0, 1},
                                .only_pooled = 3,
                                .only_federated = 2};
    x->rows[1] = (ft_study_row){.name = "overall",
                                .instances = 4,
                                .found = {4, 1, 3},
                                .alerts = {5, 2, 4},
                                .false_alerts = {1, 1, 1},
                                .only_pooled = 3,
                                .only_federated = 2};
    r->rows = x->rows;
    r->nrows = 2;
    x->traces[0] = (ft_study_trace_row){.seed = 0,
                                        .traced = true,
                                        .reached = {3, 1, 3},
                                        .held = {1005, 0, 1005},
                                        .rounds = 2,
                                        .handoffs = 1,
                                        .handoff_accounts = 2,
                                        .handoff_bytes = 77};
    r->traces = x->traces;
    r->ntraces = 1;
    r->trace_cpu_seconds[FT_STUDY_FEDERATED] = 1.5;
}

static char *page(const ft_store *s, const ft_study_result *r, const ft_study_html_options *o)
{
    char *out = NULL;
    ft_error err;
    CAPTURE(out, assert_int_equal(ft_study_html(f, s, r, o, &err), FT_OK));
    /* self-contained: nothing loaded, the only URLs namespace names */
    assert_null(strstr(out, " src="));
    assert_null(strstr(out, "<link"));
    assert_null(strstr(out, "@import"));
    assert_null(strstr(out, "url("));
    assert_int_equal(count(out, "http"), count(out, "http://www.w3.org/1999/xhtml\"") +
                                             count(out, "http://www.w3.org/2000/svg\""));
    return out;
}

static void test_page(void **state)
{
    (void)state;
    fixture x;
    build(&x);
    ft_study_html_options o = {.title = "Study <1> & \"2\""};
    char *out = page(&x.s, &x.r, &o);
    has(out, "<title>Study &lt;1&gt; &amp; &quot;2&quot;</title>");
    /* every figure in a cell marked with its JSON path */
    has(out, "<td class=\"n\" data-k=\"transfers\">400</td>");
    has(out, "<td class=\"n\" data-k=\"cross_border\">12</td>");
    has(out, "<td data-k=\"jurisdictions[0].name\">D&lt;E</td>");
    has(out, "<td class=\"n\" data-k=\"jurisdictions[1].transfers\">210</td>");
    has(out, "<td class=\"n\" data-k=\"arrangements.siloed.share_seen_abroad\">0.025000</td>");
    has(out, "<td class=\"n\" data-k=\"arrangements.federated.match_queries\">6</td>");
    has(out, "<td class=\"n\" data-k=\"arrangements.federated.bytes_exchanged\">2345</td>");
    has(out, "<td class=\"n\" data-k=\"arrangements.federated.rounds\">2</td>");
    has(out, "<td data-k=\"patterns[0].pattern\">tf_&lt;&amp;&quot;&gt;</td>");
    has(out, "<td class=\"n\" data-k=\"patterns[0].federated.false_alerts\">1</td>");
    has(out, "<td class=\"n\" data-k=\"patterns[0].only_federated\">2</td>");
    has(out, "<td class=\"n\" data-k=\"overall.pooled.alerts\">5</td>");
    has(out, "<td data-k=\"traces[0].seed\">a&lt;b&gt;&amp;c</td>");
    has(out, "<td class=\"n\" data-k=\"traces[0].federated.held_minor\">1005</td>");
    has(out, "<td class=\"n\" data-k=\"traces[0].handoff_bytes\">77</td>");
    assert_int_equal(count(out, "data-k=\"traces[0]."), 2 + 2 * FT_STUDY_NARR + 4);
    assert_int_equal(count(out, "data-k=\"arrangements."), 8 * FT_STUDY_NARR);
    /* no CPU seconds unless asked */
    assert_null(strstr(out, "cpu_seconds"));
    assert_null(strstr(out, "CPU"));
    /* chart 1: a group of 4 bars (instances, then pooled, siloed,
     * federated) per pattern, not overall; the axis 0 .. 4: a found
     * instance is 60 px */
    has(out, "fill=\"#9e9e9e\"><title>tf_&lt;&amp;&quot;&gt;: 4 instances in the truth</title>");
    has(out, "height=\"60.00\" fill=\"#ff7f0e\"><title>tf_&lt;&amp;&quot;&gt;, siloed: 1 of 4 "
             "found, 1 alert, 0 false</title>");
    has(out, "height=\"180.00\" fill=\"#2ca02c\"><title>tf_&lt;&amp;&quot;&gt;, federated: 3 of 4 "
             "found, 3 alerts, 1 false</title>");
    assert_null(strstr(out, "<title>overall, "));
    /* chart 2: the axis 0 .. 400 (step 100): 400 records are 240 px, 20 are 12 */
    has(out, "height=\"240.00\" fill=\"#6a3d9a\"><title>pooled: 400 records crossing a border "
             "(of 400 transfers), 50 accounts</title>");
    has(out, "height=\"12.00\" fill=\"#b15928\"><title>federated: 20 records exchanged, 6 match "
             "queries, 2345 bytes</title>");
    has(out, "height=\"0.00\" fill=\"#b15928\"><title>siloed: 0 records exchanged");
    /* chart 3: found (0 .. 4) against the share seen abroad */
    has(out, "<title>federated: 0.075000 of all transfers seen abroad (30 of 400); 3 of 4 "
             "instances found</title>");
    has(out, ">instances found</text>");
    has(out, ">siloed, 2.5%</text>");
    has(out, ">pooled, 100%</text>");
    /* chart 4: accounts reached per seed, the axis 0 .. 3: 1 account is 80 px */
    has(out, "height=\"240.00\" fill=\"#1f77b4\"><title>a&lt;b&gt;&amp;c, pooled: 3 accounts "
             "reached</title>");
    has(out, "height=\"80.00\" fill=\"#ff7f0e\"><title>a&lt;b&gt;&amp;c, siloed: 1 account "
             "reached</title>");
    assert_int_equal(count(out, "<svg "), 4);
    has(out, "<p class=\"note\">Not recorded.</p>");
    free(out);

    /* CPU seconds when asked */
    o.cpu = true;
    out = page(&x.s, &x.r, &o);
    has(out, "<td class=\"n\" data-k=\"arrangements.pooled.cpu_seconds\">0.250</td>");
    has(out, "<td class=\"n\" data-k=\"arrangements.federated.trace_cpu_seconds\">1.500</td>");
    free(out);
    /* a seed outside every jurisdiction: only its pooled trace is drawn */
    x.traces[0].traced = false;
    out = page(&x.s, &x.r, &o);
    has(out, "height=\"0.00\" fill=\"#2ca02c\"><title>a&lt;b&gt;&amp;c, federated: not traced "
             "(outside every jurisdiction)</title>");
    free(out);
    ft_store_free(&x.s);
}

static void test_empty(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_study_result r = {0};
    /* no data at all: no parties, not labelled, no traces, all zeros */
    char *out = page(&s, &r, NULL);
    has(out, "No account is of a jurisdiction.");
    has(out, "Not scored: no truth was given");
    assert_null(strstr(out, "Traces</h2>"));
    assert_int_equal(count(out, "<svg "), 2);
    has(out, ">alerts</text>"); /* exposure: alerts, as nothing is scored */
    has(out, "<td class=\"n\" data-k=\"arrangements.pooled.share_seen_abroad\">0.000000</td>");
    free(out);
    /* labelled, but without a row; then only the overall row, all zeros */
    r.labelled = true;
    out = page(&s, &r, NULL);
    has(out, "Nothing to draw.");
    free(out);
    ft_study_row row = {.name = "overall"};
    r.rows = &row;
    r.nrows = 1;
    out = page(&s, &r, NULL);
    has(out, "<td class=\"n\" data-k=\"overall.instances\">0</td>");
    has(out, "Nothing to draw."); /* overall alone: no pattern to draw */
    free(out);
    /* a pattern with no instance and nothing found: bars of 0 */
    ft_study_row rows[2] = {{.name = "p"}, {.name = "overall"}};
    r.rows = rows;
    r.nrows = 2;
    out = page(&s, &r, NULL);
    assert_int_equal(count(out, "height=\"0.00\""), 1 + FT_STUDY_NARR + 2 * FT_STUDY_NARR);
    free(out);
}

static void test_provenance(void **state)
{
    (void)state;
    fixture x;
    build(&x);
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    ft_provenance p;
    ft_error err;
    char *argv[] = {"fundtrace", "study", "--html", "a<b>&c.html", "d.csv", NULL};
    assert_int_equal(ft_prov_init(&p, "study", 5, argv, &err), FT_OK);
    unsetenv("SOURCE_DATE_EPOCH");
    ft_study_html_options o = {.prov = &p};
    char *out = page(&x.s, &x.r, &o);
    has(out, "<th>run at</th><td>2023-11-14T22:13:20Z (SOURCE_DATE_EPOCH)</td>");
    has(out, "<pre>fundtrace study --html &apos;a&lt;b&gt;&amp;c.html&apos; d.csv</pre>");
    /* the record: the same JSON, its <, > and & escaped for the script */
    char *json = ft_prov_json(&p);
    assert_non_null(json);
    has(json, "\"a<b>&c.html\"");
    const char *at = strstr(out, "<script type=\"application/json\" id=\"provenance\">");
    assert_non_null(at);
    at = strchr(at, '>') + 1;
    const char *end = strstr(at, "</script>");
    assert_non_null(end);
    char *back = strndup(at, (size_t)(end - at));
    has(back, "\"a\\u003cb\\u003e\\u0026c.html\"");
    /* undo the three escapes: the record itself */
    char *w = back;
    for (const char *q = back; *q;) {
        if (strncmp(q, "\\u003c", 6) == 0 || strncmp(q, "\\u003e", 6) == 0 ||
            strncmp(q, "\\u0026", 6) == 0) {
            *w++ = q[5] == 'c' ? '<' : q[5] == 'e' ? '>' : '&';
            q += 6;
        } else {
            *w++ = *q++;
        }
    }
    *w = '\0';
    assert_string_equal(back, json);
    free(back);
    free(json);
    free(out);
    ft_prov_free(&p);
    ft_store_free(&x.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_axis),   cmocka_unit_test(test_bars),
        cmocka_unit_test(test_points), cmocka_unit_test(test_page),
        cmocka_unit_test(test_empty),  cmocka_unit_test(test_provenance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
