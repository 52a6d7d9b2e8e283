/*
 * test_trace_periods.c - a trace streamed through periods
 * (trace_periods.h) gives exactly the trace over one store of the whole
 * data: the same accounts in the same order, hops, times, amounts, trail
 * and cuts, for every policy and both directions, with the breadth limit
 * choosing across periods and hubs by the whole data's degrees; balances
 * and traced holdings carry over period boundaries.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/periods.h"
#include "fundtrace/time.h"
#include "fundtrace/trace.h"
#include "fundtrace/trace_periods.h"

static int64_t at(const char *iso)
{
    int64_t ms;
    ft_time_error why;
    assert_true(ft_time_parse(iso, strlen(iso), &ms, &why));
    return ms;
}

static uint32_t account(const ft_store *s, const char *key)
{
    uint32_t a;
    assert_true(ft_intern_find(&s->accounts, key, strlen(key), &a));
    return a;
}

/* The two results name the same accounts, amounts and transfers (by id:
 * the stores number them differently). */
static void same(const ft_store *sa, const ft_trace_result *a, const ft_store *sb,
                 const ft_trace_result *b)
{
    assert_int_equal(a->nnodes, b->nnodes);
    assert_int_equal(a->start_ms, b->start_ms);
    assert_int_equal(a->end_ms, b->end_ms);
    for (uint32_t i = 0; i < a->nnodes; i++) {
        const ft_trace_node *x = &a->nodes[i], *y = &b->nodes[i];
        assert_int_equal(x->account, y->account);
        assert_int_equal(x->hops, y->hops);
        assert_int_equal(x->first_ms, y->first_ms);
        assert_int_equal(x->terminal, y->terminal);
        assert_int_equal(x->hub, y->hub);
        assert_int_equal(x->namounts, y->namounts);
        assert_int_equal(x->ntxns, y->ntxns);
        for (uint32_t k = 0; k < x->namounts; k++) {
            const ft_trace_amount *p = &a->amounts[x->amount0 + k],
                                  *q = &b->amounts[y->amount0 + k];
            assert_int_equal(p->cur, q->cur);
            assert_int_equal(p->received, q->received);
            assert_int_equal(p->sent, q->sent);
            assert_int_equal(p->cut, q->cut);
            assert_int_equal(p->held, q->held);
        }
        for (uint32_t k = 0; k < x->ntxns; k++) {
            char u[64], v[64];
            ft_store_txid(sa, a->in_txn[x->txn0 + k], u, sizeof u);
            ft_store_txid(sb, b->in_txn[y->txn0 + k], v, sizeof v);
            assert_string_equal(u, v);
        }
    }
    assert_int_equal(a->nedges, b->nedges);
    for (uint32_t e = 0; e < a->nedges; e++) {
        char u[64], v[64];
        ft_store_txid(sa, a->edges[e].txn, u, sizeof u);
        ft_store_txid(sb, b->edges[e].txn, v, sizeof v);
        assert_string_equal(u, v);
        assert_int_equal(a->edges[e].traced, b->edges[e].traced);
    }
    for (int c = 0; c < FT_CUT_COUNT; c++)
        assert_int_equal(a->cut_count[c], b->cut_count[c]);
    assert_int_equal(a->hubs, b->hubs);
}

static void test_equal(void **state)
{
    (void)state;
    ft_store s = {0};
    tu_synth_store(&s, 6000, 7);
    ft_error err;
    char *dir = tu_tmpdir();
    ft_manifest m;
    assert_int_equal(ft_periods_split(&s, FT_PERIOD_WEEK, dir, &m, &err), FT_OK);
    ft_manifest_free(&m);
    assert_int_equal(ft_manifest_read(&m, dir, &err), FT_OK);
    assert_int_equal(m.n, 53);
    /* Seeds: accounts of rows 1, 1000 and 4000, the account with the most
     * transfers (a hub in variant 1, as a seed too), and the transaction of
     * row 2500. */
    uint32_t *deg = calloc(s.accounts.n, sizeof *deg), hub = 0;
    for (int64_t t = 0; t < s.t.n; t++) {
        deg[s.t.src[t]]++;
        deg[s.t.dst[t]]++;
    }
    for (uint32_t a = 0; a < s.accounts.n; a++)
        if (deg[a] > deg[hub])
            hub = a;
    assert_true(deg[hub] > 40);
    free(deg);
    ft_trace_seed seeds[5] = {{"a", s.t.src[0], -1},
                              {"b", s.t.dst[1000], -1},
                              {"c", s.t.src[4000], -1},
                              {"h", hub, -1},
                              {"t", 0, 2500}};
    int runs = 0;
    for (int back = 0; back < 2; back++) {
        ft_trace_index *ix;
        assert_int_equal(ft_trace_index_new(&ix, &s, back, &err), FT_OK);
        ft_tracer *tr;
        assert_int_equal(ft_tracer_new(&tr, ix, &err), FT_OK);
        for (int p = 0; p < 4; p++) {
            for (int variant = 0; variant < 3; variant++) {
                ft_trace_options o;
                ft_trace_defaults(&o);
                o.policy = (ft_policy)p;
                if (variant == 1) { /* the breadth limit chooses across weeks */
                    o.breadth = 2;
                    o.max_hops = 3;
                    o.max_degree = 40;
                } else if (variant == 2) { /* balances from before --since */
                    o.since_ms = at("2024-04-03T12:00:00Z");
                    o.window_ms = 45LL * 86400000;
                    o.breadth = 1;
                }
                ft_trace_periods_out po;
                assert_int_equal(ft_trace_periods_run(&m, &o, back, seeds, 5, &po, &err), FT_OK);
                assert_int_equal(po.periods_read, 53);
                for (int k = 0; k < 5; k++) {
                    const ft_trace_result *r;
                    assert_int_equal(ft_trace_run(tr, &o, seeds[k].account, seeds[k].txn, &r, &err),
                                     FT_OK);
                    same(&s, r, &po.s, po.res[k]);
                    runs += r->nnodes > 1;
                }
                ft_trace_periods_free(&po);
            }
        }
        ft_tracer_free(tr);
        ft_trace_index_free(ix);
    }
    assert_true(runs > 60); /* most traces reach accounts */
    ft_manifest_free(&m);
    tu_rmdir(dir);
    ft_store_free(&s);
}

/* Haircut across a month's end: A holds 100 traced of 200 when it pays B
 * 50 on 1 February, so 25 of it is traced; B's 40 from January counts in
 * its balance (90) when it pays 30 on to C in March: 30 x 25 / 90 = 8.33. */
static void test_carry(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,2024-01-10T08:00:00Z,X,A,100.00,EUR\n"
                      "2,2024-01-20T08:00:00Z,Y,A,100.00,EUR\n"
                      "3,2024-01-25T08:00:00Z,Z,B,40.00,EUR\n"
                      "4,2024-02-01T00:00:00Z,A,B,50.00,EUR\n"
                      "5,2024-03-01T00:00:00Z,B,C,30.00,EUR\n";
    ft_store s = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "c.csv", csv, NULL, NULL, &err), FT_OK);
    char *dir = tu_tmpdir();
    ft_manifest m;
    assert_int_equal(ft_periods_split(&s, FT_PERIOD_MONTH, dir, &m, &err), FT_OK);
    assert_int_equal(m.n, 3);
    ft_trace_options o;
    ft_trace_defaults(&o);
    ft_trace_seed seed = {"X", account(&s, "X"), -1};
    ft_trace_periods_out po;
    assert_int_equal(ft_trace_periods_run(&m, &o, false, &seed, 1, &po, &err), FT_OK);
    const ft_trace_result *r = po.res[0];
    assert_int_equal(r->nnodes, 4); /* X, A, B, C */
    assert_int_equal(r->nedges, 3);
    assert_int_equal(r->edges[0].traced, 10000);
    assert_int_equal(r->edges[1].traced, 2500);
    assert_int_equal(r->edges[2].traced, 3000 * 2500 / 9000); /* 8.33 */
    /* The trail's store holds the three transfers, named by their ids. */
    assert_int_equal(po.s.t.n, 3);
    char id[32];
    ft_store_txid(&po.s, r->edges[2].txn, id, sizeof id);
    assert_string_equal(id, "5");
    ft_trace_periods_free(&po);
    /* An unknown transaction row is refused. */
    seed.txn = 99;
    assert_int_equal(ft_trace_periods_run(&m, &o, false, &seed, 1, &po, &err), FT_EUSAGE);
    ft_manifest_free(&m);
    tu_rmdir(dir);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_carry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
