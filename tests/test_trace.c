/*
 * test_trace.c - the forward trace, policy by policy, on a case worked out
 * by hand, on edge cases, and against a brute-force reference on many
 * random graphs.
 *
 * The hand case (EUR, trace from S since t0):
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
    /* Same second: rows keep their input order. S->A comes before A->B,
     * so A->B carries it; A->C comes before S->A2, so it does not. A USD
     * transfer out of A finds no USD balance: funds of unknown origin. A
     * self-transfer passes through A and comes back. */
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,2024-01-01T01:00:00Z,S,A,10.00,EUR\n"
                      "2,2024-01-01T01:00:00Z,A,B,10.00,EUR\n"
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
    EXPECT(r, &s, "C", 500, 0, 500, 1);
    assert_null(node_of(&s, r, "C2"));
    assert_null(node_of(&s, r, "E"));
    conserved(r);
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

/* --- the brute-force reference ------------------------------------------------------ */

#define MAXA 12

typedef struct ref_lot {
    int64_t amount;
    bool traced;
} ref_lot;

typedef struct ref_ledger {
    int64_t bal, tr;
    ref_lot lots[256];
    int head, n;
} ref_ledger;

static int64_t ref_out(ref_ledger *l, ft_policy p, int64_t amount)
{
    int64_t part = 0;
    if (p == FT_POLICY_HAIRCUT) {
        if (l->bal >= amount && l->bal > 0)
            part = (int64_t)((__int128)l->tr * amount / l->bal), l->bal -= amount;
        else
            part = l->tr, l->bal = 0;
        l->tr -= part;
        return part;
    }
    int64_t left = amount;
    while (left > 0 && l->n) {
        ref_lot *x = p == FT_POLICY_FIFO ? &l->lots[l->head] : &l->lots[l->head + l->n - 1];
        int64_t take = x->amount < left ? x->amount : left;
        part += x->traced ? take : 0;
        x->amount -= take;
        left -= take;
        if (!x->amount) {
            l->n--;
            if (p == FT_POLICY_FIFO)
                l->head++;
        }
    }
    return part;
}

static void ref_in(ref_ledger *l, ft_policy p, int64_t amount, int64_t traced)
{
    if (p == FT_POLICY_HAIRCUT) {
        l->bal += amount;
        l->tr += traced;
        return;
    }
    if (traced)
        l->lots[l->head + l->n++] = (ref_lot){traced, true};
    if (amount - traced)
        l->lots[l->head + l->n++] = (ref_lot){amount - traced, false};
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_matches_brute_force(void **state)
{
    (void)state;
    uint64_t x = 0x2545F4914F6CDD1DULL;
#define RND() xorshift(&x)
    static ref_ledger led[MAXA][2];
    for (int round = 0; round < 400; round++) {
        int na = 3 + (int)(RND() % (MAXA - 3)), nt = 5 + (int)(RND() % 40);
        char csv[8192];
        int len = snprintf(csv, sizeof csv, "txn_id,timestamp,src_account,dst_account,amount,"
                                            "currency\n");
        int64_t t = 1704067200;
        for (int i = 0; i < nt; i++) {
            t += (int64_t)(RND() % 3); /* many ties */
            int src = (int)(RND() % na), dst = (int)(RND() % na);
            int units = 1 + (int)(RND() % 90), cents = (int)(RND() % 100);
            const char *cur = RND() % 5 ? "EUR" : "USD";
            len += snprintf(csv + len, sizeof csv - (size_t)len, "%d,%lld,a%d,a%d,%d.%02d,%s\n",
                            i + 1, (long long)t, src, dst, units, cents, cur);
        }
        ft_store s = {0};
        load(&s, csv);
        ft_tracer *tr;
        ft_error err;
        tr = tracer_open(&s, false);
        for (int p = 0; p < 4; p++) {
            uint32_t seed = (uint32_t)(RND() % s.accounts.n);
            ft_trace_options o;
            ft_trace_defaults(&o);
            o.policy = (ft_policy)p;
            o.max_degree = 0;
            o.breadth = 0;
            o.max_hops = 1000;
            o.since_ms = s.t.ts_ms[0];
            const ft_trace_result *r;
            assert_int_equal(ft_trace_run(tr, &o, seed, -1, &r, &err), FT_OK);
            /* The reference: one sweep over every transfer, every account's
             * ledger kept. */
            memset(led, 0, sizeof led);
            int hops[MAXA];
            int64_t rec[MAXA][2] = {{0}}, sent[MAXA][2] = {{0}};
            bool poisoned[MAXA] = {false};
            for (int a = 0; a < MAXA; a++)
                hops[a] = -1;
            hops[seed] = 0;
            for (int64_t i = 0; i < s.t.n; i++) {
                uint32_t a = s.t.src[i], b = s.t.dst[i];
                int c = s.t.cur[i];
                int64_t amt = s.t.amount[i], part;
                if (a == seed)
                    part = amt;
                else if (p == FT_POLICY_POISON)
                    part = poisoned[a] ? amt : 0;
                else
                    part = ref_out(&led[a][c], (ft_policy)p, amt);
                if (part > 0) {
                    sent[a][c] += part;
                    rec[b][c] += part;
                    poisoned[b] = true;
                    if (hops[b] < 0)
                        hops[b] = hops[a] + 1;
                }
                if (b != seed && p != FT_POLICY_POISON)
                    ref_in(&led[b][c], (ft_policy)p, amt, part);
            }
            int reached = 0;
            for (uint32_t a = 0; a < s.accounts.n; a++)
                reached += hops[a] >= 0;
            assert_int_equal(r->nnodes, reached);
            for (uint32_t i = 0; i < r->nnodes; i++) {
                const ft_trace_node *n = &r->nodes[i];
                uint32_t a = n->account;
                assert_int_equal(n->hops, hops[a]);
                int64_t got_rec[2] = {0}, got_sent[2] = {0};
                for (uint32_t k = 0; k < n->namounts; k++) {
                    const ft_trace_amount *am = &r->amounts[n->amount0 + k];
                    got_rec[am->cur] += am->received;
                    got_sent[am->cur] += am->sent;
                    if (p != FT_POLICY_POISON && a != seed) {
                        int64_t want_held = p == FT_POLICY_HAIRCUT ? led[a][am->cur].tr : 0;
                        if (p != FT_POLICY_HAIRCUT)
                            for (int j = 0; j < led[a][am->cur].n; j++)
                                if (led[a][am->cur].lots[led[a][am->cur].head + j].traced)
                                    want_held +=
                                        led[a][am->cur].lots[led[a][am->cur].head + j].amount;
                        assert_int_equal(am->held, want_held);
                    }
                }
                for (int c = 0; c < 2; c++) {
                    if (got_rec[c] != rec[a][c] || got_sent[c] != sent[a][c])
                        fail_msg("round %d policy %s account %u cur %d: received %lld/%lld "
                                 "sent %lld/%lld",
                                 round, ft_policy_name((ft_policy)p), a, c,
                                 (long long)got_rec[c], (long long)rec[a][c],
                                 (long long)got_sent[c], (long long)sent[a][c]);
                }
            }
            if (p != FT_POLICY_POISON)
                conserved(r);
        }
        tracer_close(tr);
        ft_store_free(&s);
    }
#undef RND
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
            /* The same trail: the edges of one are the other's, mirrored. */
            for (uint32_t e = 0; e < rb->nedges; e++) {
                const ft_trace_edge *eb = &rb->edges[e], *ef = &rf->edges[rb->nedges - 1 - e];
                assert_int_equal(eb->txn, s.t.n - 1 - ef->txn);
                assert_int_equal(eb->traced, ef->traced);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_case_per_policy),
        cmocka_unit_test(test_ties_currencies_self_transfers),
        cmocka_unit_test(test_limits_and_seed_transaction),
        cmocka_unit_test(test_matches_brute_force),
        cmocka_unit_test(test_backward_hand_case),
        cmocka_unit_test(test_backward_is_reversed_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
