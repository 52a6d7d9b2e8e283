/*
 * test_trace.c - the trace, policy by policy, on a case worked out by
 * hand, on edge cases, and against a reference that applies the
 * definitions literally (a sweep over every transfer in the order of
 * store.h, every account's balance from the first transfer, poison as
 * time-respecting reachability) on many random graphs, forward and
 * backward; and with the rows shuffled, the same output.
 *
 * The hand case (EUR, trace from S; A's 60.00 from t1 is in its balance
 * although the trace starts at t2):
 *   t1  Z -> A 60.00    clean money already in A
 *   t2  S -> A 40.00    the traced money (A: 100.00, 40.00 of it traced)
 *   t3  A -> B 50.00
 *   t4  A -> C 30.00
 *   t5  B -> D 50.00
 *   t6  C -> S 10.00    back to the seed
 *
 * haircut  t3 carries 40*50/100 = 20; t4 20*30/50 = 12 (A keeps 8);
 *          t5 20*50/50 = 20; t6 12*10/30 = 4 (C keeps 8).
 *          held: A 8, C 8, D 20, S 4 = 40.
 * fifo     A holds [60 clean, 40 traced]: t3 spends 50 clean (B gets
 *          nothing traced, so B and D are never reached); t4 spends 10
 *          clean + 20 traced; C holds [20 traced, 10 clean] and t6 spends
 *          10 traced. held: A 20, C 10, S 10 = 40.
 * lifo     t3 spends the newest 40 traced + 10 clean; t4 only clean (C
 *          never reached); B holds [40 traced, 10 clean] and t5 spends
 *          10 clean + 40 traced. held: D 40.
 * poison   every transfer out of a reached account is traced in full:
 *          A got 40 and sent 80; B 50 and 50; C 30 and 10; D 50; S 10.
 */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/time.h"
#include "fundtrace/trace.h"

static const char *HAND = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                          "1,2024-01-01T01:00:00Z,Z,A,60.00,EUR\n"
                          "2,2024-01-01T02:00:00Z,S,A,40.00,EUR\n"
                          "3,2024-01-01T03:00:00Z,A,B,50.00,EUR\n"
                          "4,2024-01-01T04:00:00Z,A,C,30.00,EUR\n"
                          "5,2024-01-01T05:00:00Z,B,D,50.00,EUR\n"
                          "6,2024-01-01T06:00:00Z,C,S,10.00,EUR\n";

static void load(ft_store *s, const char *csv)
{
    ft_error err;
    if (tu_load(s, "t.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
}

/* A tracer over a new index of s; tracer_close frees both. Tests run one
 * tracer at a time. */
static ft_trace_index *current_ix;

static ft_tracer *tracer_open(const ft_store *s, bool backward)
{
    ft_error err;
    ft_tracer *tr = NULL;
    if (ft_trace_index_new(&current_ix, s, backward, &err) != FT_OK ||
        ft_tracer_new(&tr, current_ix, &err) != FT_OK)
        fail_msg("%s", err.msg);
    return tr;
}

static void tracer_close(ft_tracer *tr)
{
    ft_tracer_free(tr);
    ft_trace_index_free(current_ix);
    current_ix = NULL;
}

static uint32_t acct(const ft_store *s, const char *key)
{
    uint32_t id;
    if (!ft_intern_find(&s->accounts, key, strlen(key), &id))
        fail_msg("no account %s", key);
    return id;
}

static const ft_trace_node *node_of(const ft_store *s, const ft_trace_result *r, const char *key)
{
    uint32_t a = acct(s, key);
    for (uint32_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i].account == a)
            return &r->nodes[i];
    return NULL;
}

/* The node's amounts in its only currency, or zeros. */
static ft_trace_amount amounts(const ft_trace_result *r, const ft_trace_node *n)
{
    ft_trace_amount z = {0};
    if (!n || n->namounts == 0)
        return z;
    assert_int_equal(n->namounts, 1);
    return r->amounts[n->amount0];
}

static const ft_trace_result *run(ft_tracer *tr, const ft_store *s, ft_policy p, const char *seed)
{
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.policy = p;
    ft_time_parse("2024-01-01T00:00:00Z", 20, &o.since_ms, NULL);
    const ft_trace_result *r;
    ft_error err;
    if (ft_trace_run(tr, &o, acct(s, seed), -1, &r, &err) != FT_OK)
        fail_msg("%s", err.msg);
    return r;
}

/* Held amounts plus cut amounts equal what the seed put in. */
static void conserved(const ft_trace_result *r)
{
    int64_t in = 0, out = 0;
    const ft_trace_node *seed = &r->nodes[0];
    for (uint32_t k = 0; k < seed->namounts; k++)
        in += r->amounts[seed->amount0 + k].sent + r->amounts[seed->amount0 + k].cut;
    for (uint32_t i = 0; i < r->namounts; i++)
        out += r->amounts[i].held + r->amounts[i].cut;
    assert_int_equal(in, out);
}

#define EXPECT(r, s, key, want_rec, want_sent, want_held, want_hops)                         \
    do {                                                                                        \
        const ft_trace_node *n_ = node_of(s, r, key);                                           \
        if (!n_)                                                                                \
            fail_msg("%s not reached", key);                                                    \
        ft_trace_amount a_ = amounts(r, n_);                                                    \
        if (a_.received != (want_rec) || a_.sent != (want_sent) ||                              \
            a_.held != (want_held) || n_->hops != (want_hops))                                  \
            fail_msg("%s: received %lld sent %lld held %lld hops %d", key,                      \
                     (long long)a_.received, (long long)a_.sent, (long long)a_.held, n_->hops); \
    } while (0)

static void test_hand_case_per_policy(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s, HAND);
    ft_tracer *tr = tracer_open(&s, false);

    const ft_trace_result *r = run(tr, &s, FT_POLICY_HAIRCUT, "S");
    assert_int_equal(r->nnodes, 5);
    EXPECT(r, &s, "S", 400, 4000, 400, 0);
    EXPECT(r, &s, "A", 4000, 3200, 800, 1);
    EXPECT(r, &s, "B", 2000, 2000, 0, 2);
    EXPECT(r, &s, "C", 1200, 400, 800, 2);
    EXPECT(r, &s, "D", 2000, 0, 2000, 3);
    assert_true(node_of(&s, r, "D")->terminal);
    assert_false(node_of(&s, r, "A")->terminal);
    assert_null(node_of(&s, r, "Z"));
    conserved(r);
    /* The trail: t2 40, t3 20, t4 12, t5 20, t6 4 (rows 1..5 in time order). */
    assert_int_equal(r->nedges, 5);
    const int64_t trail[] = {4000, 2000, 1200, 2000, 400};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(r->edges[i].txn, i + 1);
        assert_int_equal(r->edges[i].traced, trail[i]);
    }
    /* D's traced money came in by t5 (txn id 5). */
    const ft_trace_node *d = node_of(&s, r, "D");
    assert_int_equal(d->ntxns, 1);
    assert_int_equal(s.t.txid[r->in_txn[d->txn0]], 5);

    /* The trace starts at S's first transfer (t2) by default, and A's
     * balance still counts the 60.00 it had before: the same answer. */
    ft_trace_options o;
    ft_trace_defaults(&o);
    ft_error err;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    EXPECT(r, &s, "B", 2000, 2000, 0, 2);
    EXPECT(r, &s, "D", 2000, 0, 2000, 3);
    EXPECT(r, &s, "A", 4000, 3200, 800, 1);

    r = run(tr, &s, FT_POLICY_FIFO, "S");
    assert_int_equal(r->nnodes, 3);
    EXPECT(r, &s, "A", 4000, 2000, 2000, 1);
    EXPECT(r, &s, "C", 2000, 1000, 1000, 2);
    EXPECT(r, &s, "S", 1000, 4000, 1000, 0);
    assert_null(node_of(&s, r, "B"));
    assert_null(node_of(&s, r, "D"));
    conserved(r);

    r = run(tr, &s, FT_POLICY_LIFO, "S");
    assert_int_equal(r->nnodes, 4);
    EXPECT(r, &s, "A", 4000, 4000, 0, 1);
    EXPECT(r, &s, "B", 4000, 4000, 0, 2);
    EXPECT(r, &s, "D", 4000, 0, 4000, 3);
    assert_null(node_of(&s, r, "C"));
    conserved(r);

    r = run(tr, &s, FT_POLICY_POISON, "S");
    assert_int_equal(r->nnodes, 5);
    EXPECT(r, &s, "A", 4000, 8000, 0, 1);
    EXPECT(r, &s, "B", 5000, 5000, 0, 2);
    EXPECT(r, &s, "C", 3000, 1000, 2000, 2);
    EXPECT(r, &s, "D", 5000, 0, 5000, 3);

    tracer_close(tr);
    ft_store_free(&s);
}

static void test_ties_currencies_self_transfers(void **state)
{
    (void)state;
    /* Same second: money that arrives may leave, whatever the rows' order.
     * A->B is listed before S->A and still carries it; so does C->C2,
     * listed before S->C. A USD transfer out of B finds no USD balance:
     * funds of unknown origin. A self-transfer passes through B and comes
     * back. */
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "2,2024-01-01T01:00:00Z,A,B,10.00,EUR\n"
                      "1,2024-01-01T01:00:00Z,S,A,10.00,EUR\n"
                      "3,2024-01-01T02:00:00Z,C,C2,5.00,EUR\n"
                      "4,2024-01-01T02:00:00Z,S,C,5.00,EUR\n"
                      "5,2024-01-01T03:00:00Z,B,B,4.00,EUR\n"
                      "6,2024-01-01T04:00:00Z,B,E,7.00,USD\n";
    ft_store s = {0};
    load(&s, csv);
    ft_tracer *tr = tracer_open(&s, false);
    const ft_trace_result *r = run(tr, &s, FT_POLICY_HAIRCUT, "S");
    EXPECT(r, &s, "A", 1000, 1000, 0, 1);
    EXPECT(r, &s, "B", 1400, 400, 1000, 2); /* 10 in from A, 4 out and back in */
    EXPECT(r, &s, "C", 500, 500, 0, 1);
    EXPECT(r, &s, "C2", 500, 0, 500, 2);
    assert_null(node_of(&s, r, "E"));
    conserved(r);
    tracer_close(tr);
    ft_store_free(&s);
}

/* An account first reached in three hops and later in one is at one hop,
 * and passes on what came by the shorter route; what came at the limit
 * stays there. With --hops 3:
 *   t1 01:00 S -> A 10   t2 02:00 A -> B 10   t3 03:00 B -> X 10 (3 hops)
 *   t4 04:00 S -> X  5 (1 hop)                t5 05:00 X -> Y 15
 * X holds 10 (3 hops) + 5 (1 hop); t5 spends all 15: haircut, fifo and
 * lifo alike carry the 5 of one hop to Y (2 hops), and X keeps the 10
 * that came at the limit. Poison: X passes on all of t5. */
static void test_hops_by_the_shortest_route(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,2024-01-01T01:00:00Z,S,A,10.00,EUR\n"
                      "2,2024-01-01T02:00:00Z,A,B,10.00,EUR\n"
                      "3,2024-01-01T03:00:00Z,B,X,10.00,EUR\n"
                      "4,2024-01-01T04:00:00Z,S,X,5.00,EUR\n"
                      "5,2024-01-01T05:00:00Z,X,Y,15.00,EUR\n";
    ft_store s = {0};
    load(&s, csv);
    ft_tracer *tr = tracer_open(&s, false);
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.max_hops = 3;
    ft_error err;
    const ft_trace_result *r;
    for (int p = 0; p < 4; p++) {
        o.policy = (ft_policy)p;
        assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
        assert_int_equal(r->nnodes, 5);
        if (o.policy == FT_POLICY_POISON) {
            EXPECT(r, &s, "X", 1500, 1500, 0, 1);
            EXPECT(r, &s, "Y", 1500, 0, 1500, 2);
            continue;
        }
        EXPECT(r, &s, "B", 1000, 1000, 0, 2);
        EXPECT(r, &s, "X", 1500, 500, 1000, 1);
        EXPECT(r, &s, "Y", 500, 0, 500, 2);
        assert_int_equal(r->cut_count[FT_CUT_HOPS], 1); /* t3 */
        conserved(r);
    }
    /* Two hops: B holds what it got; X still passes on its 5. */
    o.max_hops = 2;
    o.policy = FT_POLICY_HAIRCUT;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    EXPECT(r, &s, "B", 1000, 0, 1000, 2);
    EXPECT(r, &s, "X", 500, 500, 0, 1);
    EXPECT(r, &s, "Y", 500, 0, 500, 2);
    conserved(r);
    tracer_close(tr);
    ft_store_free(&s);
}

/* The breadth limit chooses for money of k hops from the first arrival of
 * money of at most k hops. Breadth 2: X is reached at 03:00 by 3 hops (S,
 * A, B); its 2 largest payments from then on are t4 and t5. At 05:00
 * money of 1 hop arrives (t6), for which the 2 largest from then on are
 * t7 and t8. So t7 and t8 carry the money of 1 hop and cut that of 3
 * (haircut), and t9 carries nothing. Money that arrived with more hops
 * before the short route changes nothing for the short route's money,
 * which is what bounds the rounds of parties (handoff.h). */
static void test_breadth_by_hops(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "0,2024-01-01T00:30:00Z,Z,X,100.00,EUR\n"
                      "1,2024-01-01T01:00:00Z,S,A,10.00,EUR\n"
                      "2,2024-01-01T02:00:00Z,A,B,10.00,EUR\n"
                      "3,2024-01-01T03:00:00Z,B,X,10.00,EUR\n"
                      "4,2024-01-01T04:00:00Z,X,P,20.00,EUR\n"
                      "5,2024-01-01T04:30:00Z,X,P2,19.00,EUR\n"
                      "6,2024-01-01T05:00:00Z,S,X,5.00,EUR\n"
                      "7,2024-01-01T06:00:00Z,X,Q,3.00,EUR\n"
                      "8,2024-01-01T07:00:00Z,X,R,2.00,EUR\n"
                      "9,2024-01-01T08:00:00Z,X,T,1.00,EUR\n";
    ft_store s = {0};
    load(&s, csv);
    ft_tracer *tr = tracer_open(&s, false);
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.max_hops = 4;
    o.breadth = 2;
    ft_error err;
    const ft_trace_result *r;
    /* haircut (X's traced balance of 1 and of 3 hops, and its balance):
     * t4 10.00 x 20/110 = 1.81 of 3 hops, to P (4 hops: held); t5 8.19 x
     * 19/90 = 1.72 to P2; t7 of 5.00, 6.47 x 3/76: 0.19 of 1 hop to Q,
     * 0.45 - 0.19 = 0.26 of 3 hops cut; t8 of 4.81, 6.21 x 2/73: 0.13 to
     * R, 0.30 - 0.13 = 0.17 cut; t9 of 4.68, 6.04 x 1/71: 0.06 and 0.09,
     * both cut. */
    o.policy = FT_POLICY_HAIRCUT;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    EXPECT(r, &s, "P", 181, 0, 181, 4);
    EXPECT(r, &s, "P2", 172, 0, 172, 4);
    EXPECT(r, &s, "Q", 19, 0, 19, 2);
    EXPECT(r, &s, "R", 13, 0, 13, 2);
    assert_null(node_of(&s, r, "T"));
    EXPECT(r, &s, "X", 1500, 385, 1500 - 385 - 58, 1);
    assert_int_equal(amounts(r, node_of(&s, r, "X")).cut, 58);
    assert_int_equal(r->cut_count[FT_CUT_BREADTH], 3); /* of the first choice: t7, t8, t9 */
    conserved(r);
    /* lifo: t4 spends the newest 10.00 (3 hops) and 10.00 clean; t7 and
     * t8 the newest of t6's 5.00 of 1 hop. */
    o.policy = FT_POLICY_LIFO;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    EXPECT(r, &s, "P", 1000, 0, 1000, 4);
    EXPECT(r, &s, "Q", 300, 0, 300, 2);
    EXPECT(r, &s, "R", 200, 0, 200, 2);
    assert_null(node_of(&s, r, "T"));
    conserved(r);
    /* poison: X passes on at 3 hops by t4 and t5, at 1 hop by t7 and t8;
     * t9 never. */
    o.policy = FT_POLICY_POISON;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    EXPECT(r, &s, "P2", 1900, 0, 1900, 4);
    EXPECT(r, &s, "Q", 300, 0, 300, 2);
    EXPECT(r, &s, "R", 200, 0, 200, 2);
    assert_null(node_of(&s, r, "T"));
    assert_int_equal(amounts(r, node_of(&s, r, "X")).cut, 100);
    /* Without the long route (from 04:45): the same for the short one. */
    ft_time_parse("2024-01-01T04:45:00Z", 20, &o.since_ms, NULL);
    o.policy = FT_POLICY_LIFO;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    EXPECT(r, &s, "Q", 300, 0, 300, 2);
    EXPECT(r, &s, "R", 200, 0, 200, 2);
    assert_null(node_of(&s, r, "T"));
    tracer_close(tr);
    ft_store_free(&s);
}

static void test_limits_and_seed_transaction(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s, HAND);
    ft_tracer *tr = tracer_open(&s, false);
    ft_error err;
    ft_trace_options o;
    ft_trace_defaults(&o);
    ft_time_parse("2024-01-01T00:00:00Z", 20, &o.since_ms, NULL);
    const ft_trace_result *r;

    /* One hop: A holds everything it received. */
    o.max_hops = 1;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    assert_int_equal(r->nnodes, 2);
    EXPECT(r, &s, "A", 4000, 0, 4000, 1);
    assert_int_equal(r->cut_count[FT_CUT_HOPS], 1);
    conserved(r);

    /* A is a hub at max_degree 2 (it has 3 transfers): not followed. */
    o.max_hops = 6;
    o.max_degree = 2;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    assert_true(node_of(&s, r, "A")->hub);
    assert_int_equal(r->nnodes, 2);
    assert_int_equal(r->hubs, 1);
    conserved(r);

    /* Breadth 1: only A's largest outgoing transfer (t3, 50.00) carries;
     * t4's 12.00 is cut. */
    o.max_degree = 0;
    o.breadth = 1;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    assert_null(node_of(&s, r, "C"));
    ft_trace_amount a = amounts(r, node_of(&s, r, "A"));
    assert_int_equal(a.sent, 2000);
    assert_int_equal(a.cut, 1200);
    assert_int_equal(a.held, 800);
    assert_true(r->cut_count[FT_CUT_BREADTH] >= 1);
    conserved(r);

    /* A window ending before t5: D is not reached. */
    o.breadth = 0;
    o.window_ms = 4 * 3600000LL + 1800000; /* until 04:30 */
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    assert_null(node_of(&s, r, "D"));
    EXPECT(r, &s, "B", 2000, 0, 2000, 2);
    conserved(r);

    /* Min amount 45.00: t4 (30.00) and t6 (10.00) do not carry. */
    o.window_ms = 0;
    const int64_t min45[1] = {4500};
    o.min_amount = min45;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    assert_ptr_equal(node_of(&s, r, "S"), &r->nodes[0]);
    a = amounts(r, node_of(&s, r, "S"));
    assert_int_equal(a.cut, 4000); /* the seed's own 40.00 transfer is under 45.00 */
    assert_int_equal(r->nnodes, 1);
    conserved(r);

    /* From a transaction: follow t3 (A -> B 50.00) only. */
    o.min_amount = NULL;
    assert_int_equal(ft_trace_run(tr, &o, 0, 2, &r, &err), FT_OK); /* row 2 is t3 */
    assert_int_equal(r->nodes[0].account, acct(&s, "A"));
    EXPECT(r, &s, "B", 5000, 5000, 0, 1);
    EXPECT(r, &s, "D", 5000, 0, 5000, 2);
    conserved(r);
    tracer_close(tr);
    ft_store_free(&s);
}

/* --- the reference ----------------------------------------------------------------------
 *
 * The definitions applied as literally as possible, on small graphs:
 * every transfer taken once, in the order of store.h, written out again
 * here (quadratic, per timestamp); every account's ledger from the first
 * transfer; traced money as parts with hop counts. Poison is computed
 * apart, as time-respecting reachability within K hops (Bellman-Ford by
 * hops over times). Transaction ids in these tests are numbers, all
 * different, so the tie order is amount, then id.
 */

#define MAXA 16
#define MAXN 64
#define MAXK 8
#define MAXL 512

typedef struct ref_lot {
    int64_t amount;
    int hops; /* 0: untraced */
} ref_lot;

typedef struct ref_ledger {
    int64_t bal, tr[MAXK + 1]; /* haircut: balance; traced money by hops */
    ref_lot lots[MAXL];        /* fifo, lifo: lots[head .. head + n) */
    int head, n;
} ref_ledger;

typedef struct ref {
    bool reached[MAXA];
    int hops[MAXA];
    int64_t first_ms[MAXA];
    int64_t rec[MAXA][2], sent[MAXA][2], held[MAXA][2];
    int64_t carried[MAXN]; /* traced money each transfer carried */
} ref;

/* What a trace is asked. */
typedef struct ask {
    ft_policy p;
    uint32_t seed;
    int64_t txn; /* -1: the account */
    int K;
    int64_t start_ms, end_ms; /* traced money enters at start_ms, nothing after end_ms */
    uint32_t max_degree;
} ask;

static bool tie_before(const ft_store *s, uint32_t a, uint32_t b)
{
    if (s->t.amount[a] != s->t.amount[b])
        return s->t.amount[a] < s->t.amount[b];
    return s->t.txid[a] < s->t.txid[b];
}

/* The order of store.h: by time; at one time, the smallest transfer whose
 * payer has no other credit still to come; failing that, the smallest. */
static void ref_order(const ft_store *s, uint32_t *order)
{
    uint32_t n = (uint32_t)s->t.n, k = 0;
    bool done[MAXN] = {false};
    for (uint32_t g0 = 0, g1; g0 < n; g0 = g1) {
        for (g1 = g0; g1 < n && s->t.ts_ms[g1] == s->t.ts_ms[g0]; g1++)
            ;
        for (uint32_t made = 0; made < g1 - g0; made++) {
            int64_t best = -1, any = -1;
            for (uint32_t t = g0; t < g1; t++) {
                if (done[t])
                    continue;
                if (any < 0 || tie_before(s, t, (uint32_t)any))
                    any = t;
                bool waits = false;
                for (uint32_t u = g0; u < g1 && !waits; u++)
                    waits = !done[u] && u != t && s->t.dst[u] == s->t.src[t];
                if (!waits && (best < 0 || tie_before(s, t, (uint32_t)best)))
                    best = t;
            }
            uint32_t t = (uint32_t)(best >= 0 ? best : any);
            done[t] = true;
            order[k++] = t;
        }
    }
}

static int64_t ref_out(ref_ledger *l, ft_policy p, int64_t amount, int64_t part[MAXK + 1])
{
    int64_t sum = 0;
    memset(part, 0, (MAXK + 1) * sizeof *part);
    if (p == FT_POLICY_HAIRCUT) {
        /* The traced share of the money of at most h hops, rounded
         * down, less that of fewer: the part of h hops. */
        bool all = !(l->bal >= amount && l->bal > 0);
        int64_t below = 0;
        for (int h = 1; h <= MAXK; h++) {
            below += l->tr[h];
            int64_t upto = all ? below : (int64_t)((__int128)below * amount / l->bal);
            part[h] = upto - sum;
            sum = upto;
            l->tr[h] -= part[h];
        }
        l->bal = all ? 0 : l->bal - amount;
        return sum;
    }
    int64_t left = amount;
    while (left > 0 && l->n) {
        ref_lot *x = p == FT_POLICY_FIFO ? &l->lots[l->head] : &l->lots[l->head + l->n - 1];
        int64_t take = x->amount < left ? x->amount : left;
        part[x->hops] += take;
        sum += x->hops ? take : 0;
        x->amount -= take;
        left -= take;
        if (!x->amount) {
            l->n--;
            if (p == FT_POLICY_FIFO)
                l->head++;
        }
    }
    part[0] = 0;
    return sum;
}

/* A transfer of `amount` in, with traced[h] of h hops (h < K). */
static void ref_in(ref_ledger *l, ft_policy p, int64_t amount, const int64_t traced[MAXK + 1])
{
    int64_t rest = amount;
    if (p == FT_POLICY_HAIRCUT) {
        l->bal += amount;
        for (int h = 1; h <= MAXK; h++)
            l->tr[h] += traced[h];
        return;
    }
    for (int h = 1; h <= MAXK; h++) {
        if (!traced[h])
            continue;
        rest -= traced[h];
        assert_true(l->head + l->n < MAXL);
        l->lots[l->head + l->n++] = (ref_lot){traced[h], h};
    }
    if (rest) {
        assert_true(l->head + l->n < MAXL);
        l->lots[l->head + l->n++] = (ref_lot){rest, 0};
    }
}

static uint32_t degree_of(const ft_store *s, uint32_t a)
{
    return s->adj.out_off[a + 1] - s->adj.out_off[a] + s->adj.in_off[a + 1] - s->adj.in_off[a];
}

/* Does the seed pay traced money in transfer t? */
static bool seed_pays(const ft_store *s, const ask *q, uint32_t t)
{
    return s->t.src[t] == q->seed &&
           (q->txn >= 0 ? (int64_t)t == q->txn : s->t.ts_ms[t] >= q->start_ms);
}

static void ref_trace(const ft_store *s, const ask *q, ref *r)
{
    static ref_ledger led[MAXA][2];
    memset(r, 0, sizeof *r);
    for (int a = 0; a < MAXA; a++) {
        r->hops[a] = INT32_MAX;
        r->first_ms[a] = INT64_MAX;
    }
    r->reached[q->seed] = true;
    r->hops[q->seed] = 0;
    uint32_t n = (uint32_t)s->t.n;
    bool hub[MAXA];
    for (uint32_t a = 0; a < s->accounts.n; a++)
        hub[a] = q->max_degree && degree_of(s, a) > q->max_degree;
    if (q->p == FT_POLICY_POISON) {
        /* arr[h][a]: the earliest time poison is at a after at most h hops. */
        static int64_t arr[MAXK + 1][MAXA];
        for (int h = 0; h <= q->K; h++)
            for (int a = 0; a < MAXA; a++)
                arr[h][a] = INT64_MAX;
        for (int h = 1; h <= q->K; h++) {
            memcpy(arr[h], arr[h - 1], sizeof arr[h]);
            for (uint32_t t = 0; t < n; t++) {
                uint32_t a = s->t.src[t], b = s->t.dst[t];
                int64_t ms = s->t.ts_ms[t];
                if (ms > q->end_ms || b == q->seed)
                    continue;
                bool carries =
                    a == q->seed ? h == 1 && seed_pays(s, q, t) : !hub[a] && arr[h - 1][a] <= ms;
                if (carries && ms < arr[h][b])
                    arr[h][b] = ms;
            }
        }
        for (uint32_t t = 0; t < n; t++) {
            uint32_t a = s->t.src[t], b = s->t.dst[t];
            int64_t ms = s->t.ts_ms[t];
            bool carries = ms <= q->end_ms && (a == q->seed ? seed_pays(s, q, t) : !hub[a]);
            if (a != q->seed) {
                bool within = false;
                for (int h = 0; h < q->K; h++)
                    within = within || arr[h][a] <= ms;
                carries = carries && within;
            }
            if (!carries)
                continue;
            int c = s->t.cur[t];
            r->carried[t] = s->t.amount[t];
            r->sent[a][c] += s->t.amount[t];
            r->rec[b][c] += s->t.amount[t];
            r->reached[b] = true;
            if (ms < r->first_ms[b])
                r->first_ms[b] = ms;
        }
        for (uint32_t a = 0; a < s->accounts.n; a++) {
            for (int h = q->K; h >= 1; h--)
                if (arr[h][a] < INT64_MAX && a != q->seed)
                    r->hops[a] = h;
            bool passes = a != q->seed && !hub[a] && r->hops[a] < q->K;
            for (int c = 0; c < 2; c++)
                r->held[a][c] = !passes                        ? r->rec[a][c]
                                : r->rec[a][c] > r->sent[a][c] ? r->rec[a][c] - r->sent[a][c]
                                                               : 0;
        }
        return;
    }
    memset(led, 0, sizeof led);
    uint32_t order[MAXN];
    ref_order(s, order);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t t = order[k], a = s->t.src[t], b = s->t.dst[t];
        int c = s->t.cur[t];
        int64_t amt = s->t.amount[t], ms = s->t.ts_ms[t], part[MAXK + 1] = {0}, sum = 0;
        if (ms > q->end_ms)
            break;
        if (a == q->seed) {
            part[0] = sum = seed_pays(s, q, t) ? amt : 0;
        } else {
            sum = ref_out(&led[a][c], q->p, amt, part);
        }
        int64_t traced[MAXK + 1] = {0};
        if (sum > 0) {
            r->sent[a][c] += sum;
            r->carried[t] += sum;
            r->rec[b][c] += sum;
            r->reached[b] = true;
            if (ms < r->first_ms[b])
                r->first_ms[b] = ms;
            for (int h = 0; h < q->K; h++) {
                if (!part[h])
                    continue;
                if (h + 1 < r->hops[b])
                    r->hops[b] = h + 1;
                if (b == q->seed || hub[b] || h + 1 >= q->K)
                    r->held[b][c] += part[h]; /* stays: the seed, a hub, the hop limit */
                else
                    traced[h + 1] = part[h];
            }
        }
        if (b != q->seed)
            ref_in(&led[b][c], q->p, amt, traced);
    }
    for (uint32_t a = 0; a < s->accounts.n; a++)
        for (int c = 0; c < 2 && a != q->seed; c++) {
            const ref_ledger *l = &led[a][c];
            for (int h = 1; h < MAXK; h++)
                r->held[a][c] += q->p == FT_POLICY_HAIRCUT ? l->tr[h] : 0;
            for (int j = 0; q->p != FT_POLICY_HAIRCUT && j < l->n; j++)
                r->held[a][c] += l->lots[l->head + j].hops ? l->lots[l->head + j].amount : 0;
        }
}

/* The trace of `q` agrees with the reference on every account and
 * transfer: reached, hops, first arrival, each amount, the trail. */
static void check_against_ref(const ft_store *s, const ask *q, const ft_trace_result *r,
                              const char *what)
{
    ref want;
    ref_trace(s, q, &want);
    uint32_t reached = 0;
    for (uint32_t a = 0; a < s->accounts.n; a++)
        reached += want.reached[a];
    if (r->nnodes != reached)
        fail_msg("%s: %u accounts reached, the reference %u", what, r->nnodes, reached);
    for (uint32_t i = 0; i < r->nnodes; i++) {
        const ft_trace_node *n = &r->nodes[i];
        uint32_t a = n->account;
        if (!want.reached[a] || n->hops != want.hops[a] ||
            (i > 0 && n->first_ms != want.first_ms[a]))
            fail_msg("%s: account %u at %d hops, the reference %d", what, a, n->hops,
                     want.reached[a] ? want.hops[a] : -1);
        int64_t got[4][2] = {{0}};
        for (uint32_t k = 0; k < n->namounts; k++) {
            const ft_trace_amount *am = &r->amounts[n->amount0 + k];
            got[0][am->cur] = am->received;
            got[1][am->cur] = am->sent;
            got[2][am->cur] = am->held;
            got[3][am->cur] = am->cut;
        }
        for (int c = 0; c < 2; c++) {
            int64_t rec = want.rec[a][c];
            if (got[0][c] != rec || got[1][c] != want.sent[a][c] || got[2][c] != want.held[a][c] ||
                got[3][c] != 0)
                fail_msg("%s: account %u cur %d: received %lld/%lld sent %lld/%lld held "
                         "%lld/%lld cut %lld",
                         what, a, c, (long long)got[0][c], (long long)rec, (long long)got[1][c],
                         (long long)want.sent[a][c], (long long)got[2][c],
                         (long long)want.held[a][c], (long long)got[3][c]);
        }
    }
    uint32_t carried = 0;
    for (int64_t t = 0; t < s->t.n; t++)
        carried += want.carried[t] > 0;
    assert_int_equal(r->nedges, carried);
    for (uint32_t e = 0; e < r->nedges; e++) {
        if (r->edges[e].traced != want.carried[r->edges[e].txn])
            fail_msg("%s: transfer %u carried %lld, the reference %lld", what, r->edges[e].txn,
                     (long long)r->edges[e].traced, (long long)want.carried[r->edges[e].txn]);
        if (e)
            assert_true(ft_store_txn_cmp(s, r->edges[e - 1].txn, r->edges[e].txn) < 0);
    }
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random rows: few accounts and times (many ties and same-time chains),
 * few amounts (ties on amount), some USD, self-transfers. Ids t1, t2 ...
 * as numbers 1, 2 ... in a random order. */
static int random_rows(uint64_t *x, char *csv, size_t cap, int *nt_out)
{
    int na = 3 + (int)(xorshift(x) % 10), nt = 5 + (int)(xorshift(x) % 45);
    int len = snprintf(csv, cap, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    int ids[MAXN];
    for (int i = 0; i < nt; i++)
        ids[i] = i + 1;
    for (int i = nt - 1; i > 0; i--) {
        int j = (int)(xorshift(x) % (uint64_t)(i + 1)), t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
    }
    int64_t t = 1704067200;
    int step = 2 + (int)(xorshift(x) % 4); /* 1 in step transfers moves the clock on */
    for (int i = 0; i < nt; i++) {
        t += xorshift(x) % (uint64_t)step == 0;
        int src = (int)(xorshift(x) % (uint64_t)na), dst = (int)(xorshift(x) % (uint64_t)na);
        int64_t cents = xorshift(x) % 2 ? 100 * (1 + (int64_t)(xorshift(x) % 4))
                                        : 1 + (int64_t)(xorshift(x) % 9000);
        const char *cur = xorshift(x) % 5 ? "EUR" : "USD";
        len += snprintf(csv + len, cap - (size_t)len, "%d,%lld,a%d,a%d,%lld.%02lld,%s\n", ids[i],
                        (long long)t, src, dst, (long long)(cents / 100), (long long)(cents % 100),
                        cur);
    }
    *nt_out = nt;
    return len;
}

/* The same rows with time and direction reversed (time C - t), so that
 * a backward trace of the one is a forward trace of the other. */
static void reversed_rows(const ft_store *s, char *rev, size_t cap)
{
    const int64_t C = 1800000000;
    int len = snprintf(rev, cap, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    for (int64_t i = s->t.n - 1; i >= 0; i--) {
        char id[64];
        size_t sl, dl;
        ft_store_txid(s, i, id, sizeof id);
        const char *sk = ft_store_account(s, s->t.src[i], &sl);
        const char *dk = ft_store_account(s, s->t.dst[i], &dl);
        len += snprintf(rev + len, cap - (size_t)len, "%s,%lld,%.*s,%.*s,%lld.%02lld,%s\n", id,
                        (long long)(C - s->t.ts_ms[i] / 1000), (int)dl, dk, (int)sl, sk,
                        (long long)(s->t.amount[i] / 100), (long long)(s->t.amount[i] % 100),
                        s->currencies[s->t.cur[i]].code);
    }
}

/* A random question about store s: each policy, hops, hubs, a start, a
 * window, sometimes a seed transaction. */
static void random_ask(uint64_t *x, const ft_store *s, ft_policy p, ask *q, ft_trace_options *o)
{
    ft_trace_defaults(o);
    o->policy = p;
    o->max_hops = 1 + (int)(xorshift(x) % 5);
    o->breadth = 0;
    o->max_degree = xorshift(x) % 3 ? 0 : 4 + (uint32_t)(xorshift(x) % 8);
    int64_t t0 = s->t.ts_ms[0], t1 = s->t.ts_ms[s->t.n - 1];
    if (xorshift(x) % 3 == 0)
        o->since_ms = t0 + (int64_t)(xorshift(x) % (uint64_t)(t1 - t0 + 1000));
    if (xorshift(x) % 3 == 0)
        o->window_ms = (int64_t)(xorshift(x) % 40) * 1000;
    *q = (ask){.p = p, .K = o->max_hops, .max_degree = o->max_degree, .txn = -1};
    q->txn = xorshift(x) % 4 ? -1 : (int64_t)(xorshift(x) % (uint64_t)s->t.n);
    q->seed = q->txn >= 0 ? s->t.src[q->txn] : (uint32_t)(xorshift(x) % s->accounts.n);
}

/* The start and end the trace reports become the reference's. */
static void ask_span(ask *q, const ft_trace_result *r)
{
    q->start_ms = r->start_ms;
    q->end_ms = r->end_ms == INT64_MAX ? INT64_MAX : r->end_ms;
}

/* Poison is time-respecting reachability even where transfers at one
 * time form a circle. At 05:00 S pays X, X pays Y and Y pays S: each
 * waits for a credit, so the smallest (X -> Y, 1.00) goes first, while X
 * is known only at 3 hops (by t1 .. t3); then S -> X reaches X in one
 * hop, at the same time, so X -> Y passes poison on with 2 hops, and Y
 * (within the limit of 4) on to Z. */
static void test_poison_same_time_circle(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,2024-01-01T01:00:00Z,S,A,1.00,EUR\n"
                      "2,2024-01-01T02:00:00Z,A,B,1.00,EUR\n"
                      "3,2024-01-01T03:00:00Z,B,X,1.00,EUR\n"
                      "4,2024-01-01T05:00:00Z,S,X,2.00,EUR\n"
                      "5,2024-01-01T05:00:00Z,X,Y,1.00,EUR\n"
                      "6,2024-01-01T05:00:00Z,Y,S,3.00,EUR\n"
                      "7,2024-01-01T06:00:00Z,Y,Z,4.00,EUR\n";
    ft_store s = {0};
    load(&s, csv);
    ft_tracer *tr = tracer_open(&s, false);
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.policy = FT_POLICY_POISON;
    o.max_hops = 4;
    const ft_trace_result *r;
    ft_error err;
    assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
    EXPECT(r, &s, "X", 300, 100, 200, 1);
    EXPECT(r, &s, "Y", 100, 700, 0, 2);
    EXPECT(r, &s, "Z", 400, 0, 400, 3);
    /* And every policy as the reference has it. */
    for (int p = 0; p < 4; p++) {
        o.policy = (ft_policy)p;
        assert_int_equal(ft_trace_run(tr, &o, acct(&s, "S"), -1, &r, &err), FT_OK);
        ask a = {.p = o.policy, .seed = acct(&s, "S"), .txn = -1, .K = 4};
        ask_span(&a, r);
        check_against_ref(&s, &a, r, ft_policy_name(o.policy));
    }
    tracer_close(tr);
    ft_store_free(&s);
}

static void test_matches_reference(void **state)
{
    (void)state;
    uint64_t x = 0x2545F4914F6CDD1DULL;
    static char csv[8192], rev[8192];
    int compared = 0;
    for (int round = 0; round < 400; round++) {
        int nt;
        random_rows(&x, csv, sizeof csv, &nt);
        ft_store s = {0}, q = {0};
        load(&s, csv);
        reversed_rows(&s, rev, sizeof rev);
        load(&q, rev);
        ft_tracer *fwd = tracer_open(&s, false);
        ft_trace_index *fwd_ix = current_ix;
        ft_tracer *back = tracer_open(&q, true);
        for (int p = 0; p < 4; p++) {
            ft_trace_options o;
            ask a;
            random_ask(&x, &s, (ft_policy)p, &a, &o);
            const ft_trace_result *r;
            ft_error err;
            char what[64];
            /* Forward, on s. */
            assert_int_equal(ft_trace_run(fwd, &o, a.seed, a.txn, &r, &err), FT_OK);
            ask_span(&a, r);
            snprintf(what, sizeof what, "round %d %s forward", round, ft_policy_name(a.p));
            check_against_ref(&s, &a, r, what);
            /* Backward on q, the reversed rows, is forward on s: the same
             * question in q's terms (q's row i is s's row n - 1 - i, and
             * its times are C - t). */
            ft_trace_options ob = o;
            const int64_t C = 1800000000000LL;
            ob.until_ms = o.since_ms == INT64_MIN ? INT64_MAX : C - o.since_ms;
            ob.since_ms = INT64_MIN;
            size_t klen;
            const char *key = ft_store_account(&s, a.seed, &klen);
            uint32_t qseed = 0;
            int64_t qtxn = a.txn >= 0 ? s.t.n - 1 - a.txn : -1;
            if (qtxn < 0)
                assert_true(ft_intern_find(&q.accounts, key, klen, &qseed));
            const ft_trace_result *rb;
            assert_int_equal(ft_trace_run(back, &ob, qseed, qtxn, &rb, &err), FT_OK);
            assert_int_equal(rb->nnodes, r->nnodes);
            assert_int_equal(rb->nedges, r->nedges);
            for (uint32_t i = 0; i < r->nnodes; i++) {
                size_t lf, lb;
                const char *kf = ft_store_account(&s, r->nodes[i].account, &lf);
                const char *kb = ft_store_account(&q, rb->nodes[i].account, &lb);
                if (lf != lb || memcmp(kf, kb, lf) != 0 || r->nodes[i].hops != rb->nodes[i].hops)
                    fail_msg("round %d %s backward: node %u", round, ft_policy_name(a.p), i);
                assert_int_equal(r->nodes[i].namounts, rb->nodes[i].namounts);
                for (uint32_t k = 0; k < r->nodes[i].namounts; k++) {
                    const ft_trace_amount *af = &r->amounts[r->nodes[i].amount0 + k];
                    const ft_trace_amount *ab = &rb->amounts[rb->nodes[i].amount0 + k];
                    assert_string_equal(s.currencies[af->cur].code, q.currencies[ab->cur].code);
                    assert_int_equal(af->received, ab->received);
                    assert_int_equal(af->sent, ab->sent);
                    assert_int_equal(af->held, ab->held);
                    assert_int_equal(af->cut, ab->cut);
                }
            }
            if (a.p != FT_POLICY_POISON)
                conserved(r);
            compared += r->nnodes > 1;
        }
        ft_tracer_free(fwd);
        ft_trace_index_free(fwd_ix);
        tracer_close(back);
        ft_store_free(&s);
        ft_store_free(&q);
    }
    assert_true(compared > 600); /* most traces reached something */
}

/* Everything a trace prints (JSON: the accounts, amounts, hops, the
 * trail, the cuts), for comparing two stores. */
static char *trace_json(ft_tracer *tr, const ft_store *s, const ft_trace_options *o, uint32_t seed,
                        int64_t txn)
{
    const ft_trace_result *r;
    ft_error err;
    if (ft_trace_run(tr, o, seed, txn, &r, &err) != FT_OK)
        fail_msg("%s", err.msg);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ft_trace_write(f, s, "seed", o, r, FT_FORMAT_JSON, true);
    fclose(f);
    return buf;
}

/* Random questions about s, each policy both ways, asked of s and of q
 * (which holds s's transfers and maybe more): the same answer, printed
 * alike. `what` names q in a failure. */
static void same_traces(uint64_t *x, ft_store *s, ft_store *q, int round, const char *what)
{
    for (int back = 0; back < 2; back++) {
        ft_tracer *ts = tracer_open(s, back);
        ft_trace_index *ts_ix = current_ix;
        ft_tracer *tq = tracer_open(q, back);
        for (int p = 0; p < 4; p++) {
            ft_trace_options o;
            ask a;
            random_ask(x, s, (ft_policy)p, &a, &o);
            o.breadth = (uint32_t)(xorshift(x) % 3);
            size_t kl;
            const char *key = ft_store_account(s, a.seed, &kl);
            uint32_t qseed = 0;
            int64_t qtxn = -1;
            assert_true(ft_intern_find(&q->accounts, key, kl, &qseed));
            if (a.txn >= 0) {
                char id[32];
                size_t il = ft_store_txid(s, a.txn, id, sizeof id);
                uint32_t t;
                assert_int_equal(ft_store_txid_index(q, NULL), FT_OK);
                assert_true(ft_store_find_txid(q, id, il, &t));
                qtxn = t;
            }
            char *js = trace_json(ts, s, &o, a.seed, a.txn);
            char *jq = trace_json(tq, q, &o, qseed, qtxn);
            if (strcmp(js, jq) != 0)
                fail_msg("round %d %s %s:\n%s\n%s:\n%s", round, back ? "backward" : "forward",
                         ft_policy_name(a.p), js, what, jq);
            free(js);
            free(jq);
        }
        ft_tracer_free(ts);
        ft_trace_index_free(ts_ix);
        tracer_close(tq);
    }
}

/* Shuffling the rows changes no trace, forward or backward, with every
 * policy and limit: the same accounts, amounts, hops and trail. */
static void test_row_order_changes_nothing(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    static char csv[8192], shuffled[8192];
    for (int round = 0; round < 150; round++) {
        int nt;
        random_rows(&x, csv, sizeof csv, &nt);
        /* The same lines, header first, in another order. */
        char *lines[MAXN + 1], *save = NULL;
        char copy[8192];
        strcpy(copy, csv);
        int n = 0;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            lines[n++] = l;
        for (int i = n - 1; i > 1; i--) {
            int j = 1 + (int)(xorshift(&x) % (uint64_t)i);
            char *t = lines[i];
            lines[i] = lines[j];
            lines[j] = t;
        }
        size_t len = 0;
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(shuffled + len, sizeof shuffled - len, "%s\n", lines[i]);
        ft_store s = {0}, q = {0};
        load(&s, csv);
        load(&q, shuffled);
        same_traces(&x, &s, &q, round, "shuffled");
        ft_store_free(&s);
        ft_store_free(&q);
    }
}

/* Transfers between other accounts change no trace. With 70,000 of them
 * around a small random store (before it in the file and among its
 * times), the adjacency and the trace index are built on two threads
 * (from 65,536 rows); the traces must be the small store's, every
 * account list in time then tie order. */
static void test_other_accounts_change_nothing(void **state)
{
    (void)state;
    uint64_t x = 0xD1B54A32D192ED03ULL;
    static char csv[8192];
    const int pad = 35000;
    size_t cap = (size_t)(2 * pad) * 64 + sizeof csv;
    char *big = malloc(cap);
    assert_non_null(big);
    for (int round = 0; round < 12; round++) {
        int nt;
        random_rows(&x, csv, sizeof csv, &nt);
        const char *body = strchr(csv, '\n') + 1;
        size_t len = (size_t)snprintf(big, cap, "%.*s", (int)(body - csv), csv);
        for (int half = 0; half < 2; half++) {
            if (half)
                len += (size_t)snprintf(big + len, cap - len, "%s", body);
            for (int i = 0; i < pad; i++) {
                int64_t t = 1704067190 + (int64_t)(xorshift(&x) % 80);
                len += (size_t)snprintf(big + len, cap - len, "%d,%lld,%c%d,%c%d,%d.00,EUR\n",
                                        1000000 + half * pad + i, (long long)t, half ? 'q' : 'p',
                                        (int)(xorshift(&x) % 1000), half ? 'q' : 'p',
                                        (int)(xorshift(&x) % 1000), 1 + (int)(xorshift(&x) % 50));
            }
        }
        ft_store s = {0}, q = {0};
        load(&s, csv);
        load(&q, big);
        assert_int_equal(q.t.n, nt + 2 * pad);
        for (int side = 0; side < 2; side++) {
            const uint32_t *off = side ? q.adj.in_off : q.adj.out_off;
            const uint32_t *txn = side ? q.adj.in_txn : q.adj.out_txn;
            const uint32_t *end = side ? q.t.dst : q.t.src;
            for (uint32_t a = 0; a < q.accounts.n; a++)
                for (uint32_t i = off[a]; i < off[a + 1]; i++) {
                    assert_int_equal(end[txn[i]], a);
                    if (i > off[a] && ft_store_txn_cmp(&q, txn[i - 1], txn[i]) >= 0)
                        fail_msg("round %d: account %u's list out of order at %u", round, a, i);
                }
        }
        same_traces(&x, &s, &q, round, "with other accounts");
        ft_store_free(&s);
        ft_store_free(&q);
    }
    free(big);
}

/* --- backward ------------------------------------------------------------------------- */

static const ft_trace_result *run_back(ft_tracer *tr, const ft_store *s, ft_policy p,
                                       const char *seed, int64_t txn)
{
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.policy = p;
    const ft_trace_result *r;
    ft_error err;
    if (ft_trace_run(tr, &o, txn >= 0 ? 0 : acct(s, seed), txn, &r, &err) != FT_OK)
        fail_msg("%s", err.msg);
    return r;
}

/* The hand case backward from D (worked out in the man page): D got 50.00
 * from B at 05:00, which B had from A (t3); A had received 60.00 from Z
 * and 40.00 from S before, and paid 30.00 to C after (t4). Backward, A's
 * "balance" is what it pays out later: t4 30 untraced, then t3 50 traced.
 *   haircut  t2 (40) takes 50 x 40/80 = 25, t1 (60 > the 40 left) the
 *            other 25: S 25, Z 25.
 *   fifo     t4's 30 first: t2 takes 30 untraced + 10 traced, t1 the
 *            other 40: S 10, Z 40.
 *   lifo     t3's 50 on top: t2 takes 40 traced, t1 10: S 40, Z 10.
 *   poison   every source: S 40, Z 60 (in full).
 * t6 (C -> S at 06:00) is after D's last transfer: outside the trace. */
static void test_backward_hand_case(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s, HAND);
    ft_tracer *tr = tracer_open(&s, true);
    static const struct {
        ft_policy p;
        int64_t from_s, from_z;
    } want[] = {{FT_POLICY_HAIRCUT, 2500, 2500},
                {FT_POLICY_FIFO, 1000, 4000},
                {FT_POLICY_LIFO, 4000, 1000},
                {FT_POLICY_POISON, 4000, 6000}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const ft_trace_result *r = run_back(tr, &s, want[i].p, "D", -1);
        assert_true(r->backward);
        assert_int_equal(r->nnodes, 5);
        EXPECT(r, &s, "B", 5000, 5000, 0, 1);
        const ft_trace_node *a = node_of(&s, r, "A");
        assert_int_equal(a->hops, 2);
        assert_int_equal(amounts(r, a).received, 5000);
        assert_int_equal(amounts(r, node_of(&s, r, "S")).received, want[i].from_s);
        assert_int_equal(amounts(r, node_of(&s, r, "Z")).received, want[i].from_z);
        assert_int_equal(node_of(&s, r, "S")->hops, 3);
        assert_true(node_of(&s, r, "S")->terminal);
        assert_null(node_of(&s, r, "C"));
        if (want[i].p != FT_POLICY_POISON) {
            EXPECT(r, &s, "S", want[i].from_s, 0, want[i].from_s, 3);
            EXPECT(r, &s, "Z", want[i].from_z, 0, want[i].from_z, 3);
            conserved(r);
        }
        /* The trail, in time order: t1, t2, t3, t5. */
        assert_int_equal(r->nedges, 4);
        assert_int_equal(r->edges[0].txn, 0);
        assert_int_equal(r->edges[3].txn, 4);
        assert_int_equal(r->edges[3].traced, 5000);
    }
    /* Where did t4's 30.00 (A -> C) come from? C is the seed; A's t3 (50,
     * untraced) comes before it backward: t2 takes 30 x 40/80 = 15, t1 the
     * other 15. */
    const ft_trace_result *r = run_back(tr, &s, FT_POLICY_HAIRCUT, NULL, 3);
    assert_int_equal(r->nodes[0].account, acct(&s, "C"));
    EXPECT(r, &s, "A", 3000, 3000, 0, 1);
    EXPECT(r, &s, "S", 1500, 0, 1500, 2);
    EXPECT(r, &s, "Z", 1500, 0, 1500, 2);
    assert_null(node_of(&s, r, "B"));
    conserved(r);
    tracer_close(tr);
    ft_store_free(&s);
}

/* The amounts of a node by currency code, for comparing two stores. */
static int64_t amount_in(const ft_store *s, const ft_trace_result *r, const ft_trace_node *n,
                         const char *code, int field)
{
    for (uint32_t k = 0; k < n->namounts; k++) {
        const ft_trace_amount *a = &r->amounts[n->amount0 + k];
        if (strcmp(s->currencies[a->cur].code, code) != 0)
            continue;
        return field == 0 ? a->received : field == 1 ? a->sent : field == 2 ? a->cut : a->held;
    }
    return 0;
}

/* A backward trace is, by definition, the forward trace of the data with
 * time and direction reversed: check that on random graphs, against a
 * store loaded from the reversed rows, for every policy and some limits. */
static void test_backward_is_reversed_forward(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
#define RND() xorshift(&x)
    const int64_t C = 1800000000; /* reversed time: C - t */
    for (int round = 0; round < 150; round++) {
        int na = 3 + (int)(RND() % 9), nt = 5 + (int)(RND() % 40);
        char csv[8192], rev[8192];
        int len = snprintf(csv, sizeof csv, "txn_id,timestamp,src_account,dst_account,amount,"
                                            "currency\n");
        int64_t t = 1704067200;
        for (int i = 0; i < nt; i++) {
            t += (int64_t)(RND() % 3);
            int src = (int)(RND() % na), dst = (int)(RND() % na);
            len += snprintf(csv + len, sizeof csv - (size_t)len, "t%d,%lld,a%d,a%d,%d.%02d,%s\n",
                            i + 1, (long long)t, src, dst, 1 + (int)(RND() % 90),
                            (int)(RND() % 100), RND() % 4 ? "EUR" : "USD");
        }
        ft_store s = {0}, q = {0};
        load(&s, csv);
        /* The reversed rows, latest first, so that ties keep their order. */
        len = snprintf(rev, sizeof rev, "txn_id,timestamp,src_account,dst_account,amount,"
                                        "currency\n");
        for (int64_t i = s.t.n - 1; i >= 0; i--) {
            char id[64];
            size_t sl, dl;
            ft_store_txid(&s, i, id, sizeof id);
            const char *sk = ft_store_account(&s, s.t.src[i], &sl);
            const char *dk = ft_store_account(&s, s.t.dst[i], &dl);
            len += snprintf(rev + len, sizeof rev - (size_t)len, "%s,%lld,%.*s,%.*s,%lld.%02lld,%s\n",
                            id, (long long)(C - s.t.ts_ms[i] / 1000), (int)dl, dk, (int)sl, sk,
                            (long long)(s.t.amount[i] / 100), (long long)(s.t.amount[i] % 100),
                            s.currencies[s.t.cur[i]].code);
        }
        load(&q, rev);
        ft_tracer *back = tracer_open(&s, true);
        ft_trace_index *back_ix = current_ix;
        ft_tracer *fwd = tracer_open(&q, false);
        for (int p = 0; p < 4; p++) {
            ft_trace_options o;
            ft_trace_defaults(&o);
            o.policy = (ft_policy)p;
            o.max_hops = 1 + (int)(RND() % 5);
            o.max_degree = RND() % 2 ? 0 : 4 + (uint32_t)(RND() % 8);
            o.breadth = RND() % 2 ? 0 : 1 + (uint32_t)(RND() % 3);
            o.window_ms = RND() % 2 ? 0 : (int64_t)(RND() % 40) * 1000;
            int64_t txn = RND() % 3 ? -1 : (int64_t)(RND() % (uint64_t)s.t.n);
            uint32_t seed = (uint32_t)(RND() % s.accounts.n);
            size_t klen;
            const char *key = ft_store_account(&s, seed, &klen);
            uint32_t qseed = 0;
            if (txn < 0)
                assert_true(ft_intern_find(&q.accounts, key, klen, &qseed));
            const ft_trace_result *rb, *rf;
            ft_error err;
            assert_int_equal(ft_trace_run(back, &o, seed, txn, &rb, &err), FT_OK);
            assert_int_equal(ft_trace_run(fwd, &o, qseed, txn < 0 ? -1 : s.t.n - 1 - txn, &rf,
                                          &err), FT_OK);
            assert_int_equal(rb->nnodes, rf->nnodes);
            assert_int_equal(rb->nedges, rf->nedges);
            for (int c = 0; c < FT_CUT_COUNT; c++)
                assert_int_equal(rb->cut_count[c], rf->cut_count[c]);
            for (uint32_t i = 0; i < rb->nnodes; i++) {
                const ft_trace_node *nb = &rb->nodes[i], *nf = &rf->nodes[i];
                size_t lb, lf;
                const char *kb = ft_store_account(&s, nb->account, &lb);
                const char *kf = ft_store_account(&q, nf->account, &lf);
                if (lb != lf || memcmp(kb, kf, lb) != 0)
                    fail_msg("round %d: node %u is %.*s backward, %.*s forward", round, i,
                             (int)lb, kb, (int)lf, kf);
                assert_int_equal(nb->hops, nf->hops);
                assert_int_equal(nb->first_ms, C * 1000 - nf->first_ms);
                assert_int_equal(nb->terminal, nf->terminal);
                assert_int_equal(nb->hub, nf->hub);
                assert_int_equal(nb->ntxns, nf->ntxns);
                for (int f = 0; f < 4; f++)
                    for (int c = 0; c < 2; c++) {
                        const char *code = c ? "USD" : "EUR";
                        if (amount_in(&s, rb, nb, code, f) != amount_in(&q, rf, nf, code, f))
                            fail_msg("round %d policy %s %.*s %s field %d: %lld backward, "
                                     "%lld forward",
                                     round, ft_policy_name((ft_policy)p), (int)lb, kb, code, f,
                                     (long long)amount_in(&s, rb, nb, code, f),
                                     (long long)amount_in(&q, rf, nf, code, f));
                    }
            }
            /* The same trail: each transfer (by id) carried as much. */
            for (uint32_t e = 0; e < rb->nedges; e++) {
                char idb[32], idf[32];
                ft_store_txid(&s, rb->edges[e].txn, idb, sizeof idb);
                bool same = false;
                for (uint32_t k = 0; k < rf->nedges && !same; k++) {
                    ft_store_txid(&q, rf->edges[k].txn, idf, sizeof idf);
                    same = strcmp(idb, idf) == 0 && rb->edges[e].traced == rf->edges[k].traced;
                }
                if (!same)
                    fail_msg("round %d: transfer %s is not in the forward trail", round, idb);
            }
            if (p != FT_POLICY_POISON)
                conserved(rb);
        }
        ft_tracer_free(back);
        ft_trace_index_free(back_ix);
        tracer_close(fwd);
        ft_store_free(&s);
        ft_store_free(&q);
    }
#undef RND
}

/* DOT escapes backslashes and quotes in account names (and in the seed
 * named in the title): S\1 is written "S\\1". */
static void test_dot_escaping(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,2024-01-01T01:00:00Z,S\\1,\"a \"\"b\"\"\",5.00,EUR\n";
    ft_store s = {0};
    load(&s, csv);
    ft_tracer *tr = tracer_open(&s, false);
    ft_trace_options o;
    ft_trace_defaults(&o);
    const ft_trace_result *r = run(tr, &s, FT_POLICY_HAIRCUT, "S\\1");
    char *out = NULL;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    ft_trace_write(f, &s, "S\\1", &o, r, FT_FORMAT_DOT, true);
    fclose(f);
    assert_string_equal(out, "digraph trace {\n"
                             "  label=\"trace from S\\\\1\";\n"
                             "  rankdir=LR;\n"
                             "  node [shape=box, fontname=\"Helvetica\"];\n"
                             "  \"S\\\\1\" [style=filled, fillcolor=\"#f4a582\"];\n"
                             "  \"a \\\"b\\\"\" [style=filled, fillcolor=\"#92c5de\"];\n"
                             "  \"S\\\\1\" -> \"a \\\"b\\\"\" [label=\"5.00 EUR\\n2024-01-01\"];\n"
                             "}\n");
    free(out);
    tracer_close(tr);
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_case_per_policy),
        cmocka_unit_test(test_dot_escaping),
        cmocka_unit_test(test_ties_currencies_self_transfers),
        cmocka_unit_test(test_limits_and_seed_transaction),
        cmocka_unit_test(test_hops_by_the_shortest_route),
        cmocka_unit_test(test_breadth_by_hops),
        cmocka_unit_test(test_poison_same_time_circle),
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_other_accounts_change_nothing),
        cmocka_unit_test(test_row_order_changes_nothing),
        cmocka_unit_test(test_backward_hand_case),
        cmocka_unit_test(test_backward_is_reversed_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
