/*
 * test_paths.c - paths and flows on cases worked out by hand, on graphs
 * with an explosive number of paths, and against brute force on many
 * small random graphs.
 *
 * The hand case (EUR):
 *   t1  S -> A  10.00  01:00
 *   t2  S -> B   5.00  02:00
 *   t3  B -> C   5.00  03:00
 *   t4  C -> T   4.00  04:00
 *   t5  A -> T   6.00  05:00
 *   t6  X -> T   9.00  00:30   X got its money from S only later (t7)
 *   t7  S -> X   9.00  06:00
 *   t8  A -> T   5.00  00:45   before A had S's money
 * Earliest arrival: S B C T (arrives 04:00, 3 hops). Fewest hops: S A T
 * (2 hops, arrives 05:00). Static shortest: 2 hops (S A T or S X T).
 * Maximum flow, static: S->A 10 (A->T 6 + 5), S->B->C->T 4, S->X->T 9:
 * 23.00. Forward in time: A passes on only t5 (6), B-C-T 4, X nothing:
 * 10.00.
 */
#include "testutil.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/paths.h"
#include "fundtrace/time.h"

static const char *HAND = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                          "1,2024-01-01T01:00:00Z,S,A,10.00,EUR\n"
                          "2,2024-01-01T02:00:00Z,S,B,5.00,EUR\n"
                          "3,2024-01-01T03:00:00Z,B,C,5.00,EUR\n"
                          "4,2024-01-01T04:00:00Z,C,T,4.00,EUR\n"
                          "5,2024-01-01T05:00:00Z,A,T,6.00,EUR\n"
                          "6,2024-01-01T00:30:00Z,X,T,9.00,EUR\n"
                          "7,2024-01-01T06:00:00Z,S,X,9.00,EUR\n"
                          "8,2024-01-01T00:45:00Z,A,T,5.00,EUR\n";

static void load(ft_store *s, const char *csv)
{
    ft_error err;
    if (tu_load(s, "p.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
}

static uint32_t acct(const ft_store *s, const char *key)
{
    uint32_t id;
    if (!ft_intern_find(&s->accounts, key, strlen(key), &id))
        fail_msg("no account %s", key);
    return id;
}

/* The path as "S>B>C>T" from its transfers' ends. */
static void path_text(const ft_store *s, const ft_path *p, char *out, size_t cap)
{
    size_t used = 0, len;
    out[0] = '\0';
    for (uint32_t i = 0; i < p->n; i++) {
        const char *k = ft_store_account(s, s->t.src[p->txn[i]], &len);
        used += (size_t)snprintf(out + used, cap - used, "%.*s>", (int)len, k);
    }
    if (p->n) {
        const char *k = ft_store_account(s, s->t.dst[p->txn[p->n - 1]], &len);
        snprintf(out + used, cap - used, "%.*s", (int)len, k);
    }
}

static int64_t flow_on(const ft_store *s, const ft_flow *f, const char *id)
{
    char buf[64];
    for (uint32_t i = 0; i < f->nedges; i++) {
        ft_store_txid(s, f->edges[i].txn, buf, sizeof buf);
        if (strcmp(buf, id) == 0)
            return f->edges[i].flow;
    }
    return 0;
}

static void test_hand_case(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s, HAND);
    uint32_t src = acct(&s, "S"), dst = acct(&s, "T");
    ft_account_set from = {&src, 1}, to = {&dst, 1};
    ft_paths_options o;
    ft_paths_defaults(&o);
    ft_path p = {0};
    ft_error err;
    char text[128];

    assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>B>C>T");
    assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>A>T");
    /* Earliest within 2 hops: S A T is the only one. */
    o.max_hops = 2;
    assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>A>T");
    o.max_hops = 1;
    assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
    assert_int_equal(p.n, 0);
    o.max_hops = 0;
    assert_int_equal(ft_path_static(&s, &o, from, to, &p, &err), FT_OK);
    assert_int_equal(p.n, 2);

    ft_flow f;
    assert_int_equal(ft_maxflow(&s, &o, from, to, 0, false, &f, &err), FT_OK);
    assert_int_equal(f.value, 2300);
    assert_int_equal(flow_on(&s, &f, "1"), 1000);
    ft_flow_free(&f);
    assert_int_equal(ft_maxflow(&s, &o, from, to, 0, true, &f, &err), FT_OK);
    assert_int_equal(f.value, 1000);
    assert_int_equal(flow_on(&s, &f, "1"), 600);
    assert_int_equal(flow_on(&s, &f, "5"), 600);
    assert_int_equal(flow_on(&s, &f, "8"), 0);
    assert_int_equal(flow_on(&s, &f, "4"), 400);
    assert_int_equal(flow_on(&s, &f, "6"), 0);
    ft_flow_free(&f);

    /* A window from 02:00 leaves only S B C T. */
    ft_time_parse("2024-01-01T02:00:00Z", 20, &o.since_ms, NULL);
    assert_int_equal(ft_maxflow(&s, &o, from, to, 0, true, &f, &err), FT_OK);
    assert_int_equal(f.value, 400);
    ft_flow_free(&f);
    assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>B>C>T");

    /* A hub is not passed through: A and B have 3 transfers each at most... */
    ft_paths_defaults(&o);
    o.max_degree = 2; /* A has 3 transfers: a hub; B, C have 2 */
    assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>B>C>T");

    /* An account in both sets is refused. */
    ft_account_set both = {&src, 1};
    assert_int_equal(ft_path_fewest(&s, &o, from, both, &p, &err), FT_EUSAGE);
    ft_path_free(&p);
    ft_store_free(&s);
}

static bool count_path(void *ctx, const uint32_t *txn, uint32_t n)
{
    (void)txn;
    (void)n;
    ++*(uint64_t *)ctx;
    return true;
}

/* An arrival with fewer hops is not dominated by an earlier one with
 * more: X is reached at 02:00 in two hops (S C X) and at 04:00 in one (S
 * X); only the second leaves room for X -> T within two hops. */
static void test_fewer_hops_arrive_later(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s, "txn_id,timestamp,src_account,dst_account,amount,currency\n"
             "1,2024-01-01T01:00:00Z,S,C,1.00,EUR\n"
             "2,2024-01-01T02:00:00Z,C,X,1.00,EUR\n"
             "3,2024-01-01T04:00:00Z,S,X,1.00,EUR\n"
             "4,2024-01-01T05:00:00Z,X,T,1.00,EUR\n");
    uint32_t src = acct(&s, "S"), dst = acct(&s, "T");
    ft_account_set from = {&src, 1}, to = {&dst, 1};
    ft_paths_options o;
    ft_paths_defaults(&o);
    ft_path p = {0};
    ft_error err;
    char text[128];
    assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>X>T");
    o.max_hops = 2;
    assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>X>T");
    /* Of the two ways arriving at 05:00, the earliest without a limit is
     * the one with fewer hops. */
    o.max_hops = 0;
    assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>X>T");
    ft_path_free(&p);
    ft_store_free(&s);
}

/* Money that arrives at a time may leave at that time, whatever the
 * rows' order: A pays T in the same second S pays A, listed first. */
static void test_same_time_chain(void **state)
{
    (void)state;
    ft_store s = {0};
    load(&s, "txn_id,timestamp,src_account,dst_account,amount,currency\n"
             "2,2024-01-01T01:00:00Z,A,T,1.00,EUR\n"
             "1,2024-01-01T01:00:00Z,S,A,1.00,EUR\n");
    uint32_t src = acct(&s, "S"), dst = acct(&s, "T");
    ft_account_set from = {&src, 1}, to = {&dst, 1};
    ft_paths_options o;
    ft_paths_defaults(&o);
    ft_path p = {0};
    ft_error err;
    char text[128];
    assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
    path_text(&s, &p, text, sizeof text);
    assert_string_equal(text, "S>A>T");
    assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
    assert_int_equal(p.n, 2);
    o.max_hops = 2;
    uint64_t n = 0, found;
    bool more;
    assert_int_equal(ft_paths_all(&s, &o, from, to, 0, count_path, &n, &found, &more, &err), FT_OK);
    assert_int_equal(found, 1);
    ft_flow f;
    assert_int_equal(ft_maxflow(&s, &o, from, to, 0, true, &f, &err), FT_OK);
    assert_int_equal(f.value, 100);
    ft_flow_free(&f);
    ft_path_free(&p);
    ft_store_free(&s);
}

/* Layers of `width` accounts, every account paying every account of the
 * next layer, in time order: width^(layers - 1) paths from layer 0 to
 * the last. With --limit the search stops promptly; with a target that no
 * path reaches in time it explores nothing. */
static void test_explosive(void **state)
{
    (void)state;
    enum { LAYERS = 16, WIDTH = 6 };
    size_t cap = 1 << 20, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    int64_t t = 1704067200, id = 0;
    for (int l = 0; l + 1 < LAYERS; l++)
        for (int a = 0; a < WIDTH; a++)
            for (int b = 0; b < WIDTH; b++)
                len += (size_t)snprintf(csv + len, cap - len, "%lld,%lld,L%dA%d,L%dA%d,1.00,EUR\n",
                                        (long long)++id, (long long)(t += 60), l, a, l + 1, b);
    /* Z paid L0A0 before everything, and the last layer pays Y at the
     * very start (too early for any path). */
    len += (size_t)snprintf(csv + len, cap - len, "%lld,%lld,Z,L0A0,1.00,EUR\n", (long long)++id,
                            (long long)1704067100);
    len += (size_t)snprintf(csv + len, cap - len, "%lld,%lld,L%dA0,Y,1.00,EUR\n", (long long)++id,
                            (long long)1704067000, LAYERS - 1);
    ft_store s = {0};
    load(&s, csv);
    free(csv);
    uint32_t src[WIDTH], dst[WIDTH];
    char key[32];
    for (int a = 0; a < WIDTH; a++) {
        snprintf(key, sizeof key, "L0A%d", a);
        src[a] = acct(&s, key);
        snprintf(key, sizeof key, "L%dA%d", LAYERS - 1, a);
        dst[a] = acct(&s, key);
    }
    ft_paths_options o;
    ft_paths_defaults(&o);
    o.max_hops = LAYERS - 1;
    uint64_t n = 0, found;
    bool more;
    ft_error err;
    ft_account_set from = {src, WIDTH}, to = {dst, WIDTH};
    assert_int_equal(ft_paths_all(&s, &o, from, to, 10000, count_path, &n, &found, &more, &err),
                     FT_OK);
    assert_int_equal(n, 10000);
    assert_int_equal(found, 10000);
    assert_true(more);
    /* 6^14 paths to Y exist only if Y were paid later: none does. */
    uint32_t y = acct(&s, "Y");
    ft_account_set toy = {&y, 1};
    n = 0;
    assert_int_equal(ft_paths_all(&s, &o, from, toy, 0, count_path, &n, &found, &more, &err),
                     FT_OK);
    assert_int_equal(found, 0);
    assert_false(more);
    /* One hop too few: no path from layer 0 to the last layer. */
    o.max_hops = LAYERS - 2;
    assert_int_equal(ft_paths_all(&s, &o, from, to, 0, count_path, &n, &found, &more, &err),
                     FT_OK);
    assert_int_equal(found, 0);
    /* Within two layers: exactly 6 x 6 x 6 paths from L0 to L2. */
    o.max_hops = 2;
    for (int a = 0; a < WIDTH; a++) {
        snprintf(key, sizeof key, "L2A%d", a);
        dst[a] = acct(&s, key);
    }
    assert_int_equal(ft_paths_all(&s, &o, from, to, 0, count_path, &n, &found, &more, &err),
                     FT_OK);
    assert_int_equal(found, WIDTH * WIDTH * WIDTH);
    ft_store_free(&s);
}

/* --- brute force ----------------------------------------------------------------------- */

#define MAXA 10
#define MAXP 20000

typedef struct bf {
    const ft_store *s;
    uint8_t role[MAXA]; /* 1 source, 2 target */
    bool hub[MAXA];
    int K;
    uint32_t path[64];
    bool on[MAXA];
    /* Paths found, each as its transfers joined into a string. */
    char (*found)[96];
    int nfound;
    int64_t best_ms;   /* the earliest arrival */
    int best_ms_hops;  /* of the paths arriving then, the fewest hops */
    int fewest;        /* fewest hops */
    int64_t fewest_ms; /* of the paths with that many, the earliest arrival */
} bf;

/* Every simple path on from v, whose transfers are not earlier than
 * `after` (ms; money that arrives at a time may leave at that time). */
static void bf_walk(bf *b, uint32_t v, int64_t after, int d)
{
    const ft_store *s = b->s;
    for (int64_t t = 0; t < s->t.n; t++) {
        if (s->t.src[t] != v || s->t.ts_ms[t] < after)
            continue;
        uint32_t w = s->t.dst[t];
        if (b->on[w])
            continue;
        b->path[d] = (uint32_t)t;
        if (b->role[w] == 2) {
            if (b->nfound < MAXP) {
                int len = 0;
                for (int i = 0; i <= d; i++)
                    len += snprintf(b->found[b->nfound] + len, 96 - (size_t)len, "%u.",
                                    b->path[i]);
                b->nfound++;
            }
            int64_t ms = s->t.ts_ms[t];
            if (ms < b->best_ms || (ms == b->best_ms && d + 1 < b->best_ms_hops)) {
                b->best_ms = ms;
                b->best_ms_hops = d + 1;
            }
            if (b->fewest == 0 || d + 1 < b->fewest || (d + 1 == b->fewest && ms < b->fewest_ms)) {
                b->fewest = d + 1;
                b->fewest_ms = ms;
            }
            continue;
        }
        if (d + 1 >= b->K || (b->hub[w] && b->role[w] != 1))
            continue;
        b->on[w] = true;
        bf_walk(b, w, s->t.ts_ms[t], d + 1);
        b->on[w] = false;
    }
}

static void bf_run(bf *b, int K)
{
    b->K = K;
    b->nfound = 0;
    b->best_ms = INT64_MAX;
    b->best_ms_hops = 0;
    b->fewest = 0;
    b->fewest_ms = INT64_MAX;
    for (uint32_t a = 0; a < b->s->accounts.n; a++) {
        if (b->role[a] != 1)
            continue;
        b->on[a] = true;
        bf_walk(b, a, INT64_MIN, 0);
        b->on[a] = false;
    }
}

typedef struct collect {
    char (*got)[96];
    int n;
} collect;

static bool collect_path(void *ctx, const uint32_t *txn, uint32_t n)
{
    collect *c = ctx;
    if (c->n < MAXP) {
        int len = 0;
        for (uint32_t i = 0; i < n; i++)
            len += snprintf(c->got[c->n] + len, 96 - (size_t)len, "%u.", txn[i]);
        c->n++;
    }
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* A path is valid: consecutive, in time order, from a source to a target. */
static void check_path(const bf *b, const ft_path *p)
{
    const ft_store *s = b->s;
    assert_int_equal(b->role[s->t.src[p->txn[0]]], 1);
    assert_int_equal(b->role[s->t.dst[p->txn[p->n - 1]]], 2);
    for (uint32_t i = 1; i < p->n; i++) {
        assert_true(s->t.ts_ms[p->txn[i]] >= s->t.ts_ms[p->txn[i - 1]]);
        assert_int_equal(s->t.src[p->txn[i]], s->t.dst[p->txn[i - 1]]);
        for (uint32_t j = 0; j < i; j++) /* simple */
            assert_int_not_equal(s->t.dst[p->txn[i]], s->t.src[p->txn[j]]);
    }
}

static int64_t arrival(const ft_store *s, const ft_path *p)
{
    return p->n ? s->t.ts_ms[p->txn[p->n - 1]] : INT64_MAX;
}

static void test_matches_brute_force(void **state)
{
    (void)state;
    uint64_t x = 0xD1B54A32D192ED03ULL;
#define RND() xorshift(&x)
    bf b;
    b.found = malloc(sizeof *b.found * MAXP);
    collect c = {malloc(sizeof *c.got * MAXP), 0};
    int with_paths = 0;
    for (int round = 0; round < 300; round++) {
        int na = 3 + (int)(RND() % (MAXA - 3)), nt = 4 + (int)(RND() % 30);
        char csv[4096];
        int len = snprintf(csv, sizeof csv, "txn_id,timestamp,src_account,dst_account,amount,"
                                            "currency\n");
        int64_t t = 1704067200;
        for (int i = 0; i < nt; i++) {
            t += (int64_t)(RND() % 3);
            len += snprintf(csv + len, sizeof csv - (size_t)len, "%d,%lld,a%d,a%d,%d.00,EUR\n",
                            i + 1, (long long)t, (int)(RND() % na), (int)(RND() % na),
                            1 + (int)(RND() % 20));
        }
        ft_store s = {0};
        load(&s, csv);
        memset(&b, 0, offsetof(bf, found));
        b.s = &s;
        uint32_t src[MAXA], dst[MAXA];
        ft_account_set from = {src, 0}, to = {dst, 0};
        ft_paths_options o;
        ft_paths_defaults(&o);
        o.max_degree = RND() % 3 ? 0 : 3 + (uint32_t)(RND() % 4);
        for (uint32_t a = 0; a < s.accounts.n; a++) {
            int r = (int)(RND() % 4);
            b.role[a] = r == 0 ? 1 : r == 1 ? 2 : 0;
            if (b.role[a] == 1)
                src[from.n++] = a;
            else if (b.role[a] == 2)
                dst[to.n++] = a;
            uint32_t deg = s.adj.out_off[a + 1] - s.adj.out_off[a] + s.adj.in_off[a + 1] -
                           s.adj.in_off[a];
            b.hub[a] = o.max_degree && deg > o.max_degree;
        }
        int K = 1 + (int)(RND() % 5);
        ft_error err;
        ft_path p = {0};

        /* All paths up to K hops: the same set. */
        bf_run(&b, K);
        o.max_hops = K;
        uint64_t found;
        bool more;
        c.n = 0;
        assert_int_equal(ft_paths_all(&s, &o, from, to, 0, collect_path, &c, &found, &more, &err),
                         FT_OK);
        assert_int_equal((int)found, b.nfound);
        qsort(b.found, (size_t)b.nfound, sizeof *b.found, cmp_str);
        qsort(c.got, (size_t)c.n, sizeof *c.got, cmp_str);
        for (int i = 0; i < b.nfound; i++)
            if (strcmp(b.found[i], c.got[i]) != 0)
                fail_msg("round %d: path %d is %s, brute force %s", round, i, c.got[i],
                         b.found[i]);
        with_paths += b.nfound > 0;

        /* Earliest and fewest within K hops. */
        assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
        if (b.nfound == 0) {
            assert_int_equal(p.n, 0);
        } else {
            check_path(&b, &p);
            assert_int_equal(arrival(&s, &p), b.best_ms);
            assert_int_equal((int)p.n, b.best_ms_hops);
        }
        assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
        assert_int_equal((int)p.n, b.fewest);
        if (p.n) {
            check_path(&b, &p);
            assert_int_equal(arrival(&s, &p), b.fewest_ms);
        }

        /* No hop limit. */
        bf_run(&b, 64);
        o.max_hops = 0;
        assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
        assert_int_equal(arrival(&s, &p), b.best_ms);
        if (p.n) {
            check_path(&b, &p);
            assert_int_equal((int)p.n, b.best_ms_hops);
        }
        assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
        assert_int_equal((int)p.n, b.fewest);
        if (p.n)
            assert_int_equal(arrival(&s, &p), b.fewest_ms);

        /* Flows: forward in time never more than static; zero exactly
         * when no path exists; a valid flow in time at every account. */
        ft_flow fs, ft;
        assert_int_equal(ft_maxflow(&s, &o, from, to, 0, false, &fs, &err), FT_OK);
        assert_int_equal(ft_maxflow(&s, &o, from, to, 0, true, &ft, &err), FT_OK);
        assert_true(ft.value <= fs.value);
        assert_int_equal(ft.value > 0, b.nfound > 0);
        int64_t into_targets = 0, held[MAXA] = {0};
        for (uint32_t i = 0; i < ft.nedges; i++) {
            uint32_t tx = ft.edges[i].txn, d = s.t.dst[tx];
            assert_true(ft.edges[i].flow <= s.t.amount[tx]);
            if (i)
                assert_true(ft_store_txn_cmp(&s, ft.edges[i - 1].txn, tx) < 0);
            held[d] += ft.edges[i].flow;
            held[s.t.src[tx]] -= ft.edges[i].flow;
            if (b.role[d] == 2)
                into_targets += ft.edges[i].flow;
        }
        /* Every account had the money before paying it: by the end of each
         * time (money that arrives at a time may leave at that time). */
        int64_t have[MAXA] = {0};
        for (uint32_t i = 0; i < ft.nedges;) {
            uint32_t j = i;
            for (; j < ft.nedges && s.t.ts_ms[ft.edges[j].txn] == s.t.ts_ms[ft.edges[i].txn]; j++) {
                have[s.t.dst[ft.edges[j].txn]] += ft.edges[j].flow;
                have[s.t.src[ft.edges[j].txn]] -= ft.edges[j].flow;
            }
            for (uint32_t a = 0; a < s.accounts.n; a++)
                assert_true(b.role[a] == 1 || have[a] >= 0);
            i = j;
        }
        assert_int_equal(into_targets, ft.value);
        for (uint32_t a = 0; a < s.accounts.n; a++)
            if (b.role[a] == 0)
                assert_int_equal(held[a], 0); /* intermediates pass everything on */
        ft_flow_free(&fs);
        ft_flow_free(&ft);
        ft_path_free(&p);
        ft_store_free(&s);
    }
    assert_true(with_paths > 50); /* the test saw paths, not only empty answers */
    free(b.found);
    free(c.got);
#undef RND
}

/* What --all finds: the earliest arrival (of equal times, the fewest
 * hops) and the fewest hops (of equal hops, the earliest arrival). */
typedef struct all_stats {
    const ft_store *s;
    uint64_t n;
    int64_t best_ms;
    uint32_t best_ms_hops, fewest;
    int64_t fewest_ms;
} all_stats;

static bool all_stat(void *ctx, const uint32_t *txn, uint32_t n)
{
    all_stats *a = ctx;
    int64_t ms = a->s->t.ts_ms[txn[n - 1]];
    a->n++;
    if (ms < a->best_ms || (ms == a->best_ms && n < a->best_ms_hops)) {
        a->best_ms = ms;
        a->best_ms_hops = n;
    }
    if (a->fewest == 0 || n < a->fewest || (n == a->fewest && ms < a->fewest_ms)) {
        a->fewest = n;
        a->fewest_ms = ms;
    }
    return true;
}

/* Larger random graphs with few distinct times, where accounts are
 * reached many times at different hop counts: earliest and fewest agree
 * with every path --all lists. */
static void test_many_arrivals_agree_with_all(void **state)
{
    (void)state;
    uint64_t x = 0x5851F42D4C957F2DULL;
#define RND() xorshift(&x)
    size_t cap = 1 << 16;
    char *csv = malloc(cap);
    int checked = 0;
    for (int round = 0; round < 300; round++) {
        int na = 12 + (int)(RND() % 20), nt = 100 + (int)(RND() % 200);
        size_t len = (size_t)snprintf(csv, cap,
                                      "txn_id,timestamp,src_account,dst_account,amount,"
                                      "currency\n");
        for (int i = 0; i < nt; i++)
            len += (size_t)snprintf(csv + len, cap - len,
                                    "%d,2024-01-01T%02d:00:00Z,a%d,a%d,1.00,EUR\n", i + 1,
                                    (int)(RND() % 12), (int)(RND() % na), (int)(RND() % na));
        ft_store s = {0};
        load(&s, csv);
        uint32_t src[4], dst[4];
        ft_account_set from = {src, 0}, to = {dst, 0};
        uint8_t role[64] = {0};
        for (int k = 0; k < 1 + (int)(RND() % 2); k++) {
            uint32_t a = (uint32_t)(RND() % s.accounts.n);
            if (!role[a]) {
                role[a] = 1;
                src[from.n++] = a;
            }
        }
        for (int k = 0; k < 1 + (int)(RND() % 3); k++) {
            uint32_t a = (uint32_t)(RND() % s.accounts.n);
            if (!role[a]) {
                role[a] = 2;
                dst[to.n++] = a;
            }
        }
        ft_paths_options o;
        ft_paths_defaults(&o);
        o.max_degree = 0;
        o.max_hops = 2 + (int)(RND() % 4);
        all_stats st = {&s, 0, INT64_MAX, 0, 0, INT64_MAX};
        uint64_t found;
        bool more;
        ft_error err;
        ft_path p = {0};
        assert_int_equal(ft_paths_all(&s, &o, from, to, 0, all_stat, &st, &found, &more, &err),
                         FT_OK);
        assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
        if (found == 0) {
            assert_int_equal(p.n, 0);
        } else {
            if (s.t.ts_ms[p.txn[p.n - 1]] != st.best_ms || p.n != st.best_ms_hops)
                fail_msg("round %d: earliest %u hops at %lld, --all %u hops at %lld", round, p.n,
                         (long long)s.t.ts_ms[p.txn[p.n - 1]], st.best_ms_hops,
                         (long long)st.best_ms);
            checked++;
        }
        assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
        assert_int_equal(p.n, st.fewest);
        if (p.n)
            assert_int_equal(s.t.ts_ms[p.txn[p.n - 1]], st.fewest_ms);
        ft_path_free(&p);
        ft_store_free(&s);
    }
    assert_true(checked > 100);
    free(csv);
#undef RND
}

/* Everything paths prints, as text: ids in order, flows with amounts. */
typedef struct printed {
    const ft_store *s;
    char text[1 << 16];
    size_t len;
} printed;

static void print_ids(printed *pr, const char *kind, const uint32_t *txn, uint32_t n,
                      const ft_flow *f)
{
    pr->len += (size_t)snprintf(pr->text + pr->len, sizeof pr->text - pr->len, "%s:", kind);
    for (uint32_t i = 0; i < (f ? f->nedges : n); i++) {
        char id[64];
        ft_store_txid(pr->s, f ? f->edges[i].txn : txn[i], id, sizeof id);
        pr->len += (size_t)snprintf(pr->text + pr->len, sizeof pr->text - pr->len, " %s", id);
        if (f)
            pr->len += (size_t)snprintf(pr->text + pr->len, sizeof pr->text - pr->len, "=%lld",
                                        (long long)f->edges[i].flow);
    }
    if (f)
        pr->len += (size_t)snprintf(pr->text + pr->len, sizeof pr->text - pr->len, " value %lld",
                                    (long long)f->value);
    pr->len += (size_t)snprintf(pr->text + pr->len, sizeof pr->text - pr->len, "\n");
}

static bool print_all(void *ctx, const uint32_t *txn, uint32_t n)
{
    print_ids(ctx, "all", txn, n, NULL);
    return ((printed *)ctx)->len < sizeof((printed *)ctx)->text - 4096;
}

/* Every answer of paths for the rows of csv, whose accounts are a0 .. */
static void paths_text(const char *csv, const char *const *from_keys, int nfrom,
                       const char *const *to_keys, int nto, int K, printed *pr)
{
    ft_store s = {0};
    load(&s, csv);
    pr->s = &s;
    pr->len = 0;
    uint32_t src[8], dst[8];
    for (int i = 0; i < nfrom; i++)
        src[i] = acct(&s, from_keys[i]);
    for (int i = 0; i < nto; i++)
        dst[i] = acct(&s, to_keys[i]);
    /* The command gives the sets sorted by id; so do we. */
    for (int i = 1; i < nfrom; i++)
        for (int j = i; j > 0 && src[j - 1] > src[j]; j--) {
            uint32_t t = src[j];
            src[j] = src[j - 1];
            src[j - 1] = t;
        }
    for (int i = 1; i < nto; i++)
        for (int j = i; j > 0 && dst[j - 1] > dst[j]; j--) {
            uint32_t t = dst[j];
            dst[j] = dst[j - 1];
            dst[j - 1] = t;
        }
    ft_account_set from = {src, (uint32_t)nfrom}, to = {dst, (uint32_t)nto};
    ft_paths_options o;
    ft_paths_defaults(&o);
    o.max_degree = 0;
    ft_path p = {0};
    ft_error err;
    for (int limit = 0; limit < 2; limit++) {
        o.max_hops = limit ? K : 0;
        assert_int_equal(ft_path_earliest(&s, &o, from, to, &p, &err), FT_OK);
        print_ids(pr, "earliest", p.txn, p.n, NULL);
        assert_int_equal(ft_path_fewest(&s, &o, from, to, &p, &err), FT_OK);
        print_ids(pr, "fewest", p.txn, p.n, NULL);
    }
    assert_int_equal(ft_path_static(&s, &o, from, to, &p, &err), FT_OK);
    print_ids(pr, "static", p.txn, p.n, NULL);
    for (int temporal = 0; temporal < 2; temporal++) {
        ft_flow f;
        assert_int_equal(ft_maxflow(&s, &o, from, to, 0, temporal, &f, &err), FT_OK);
        print_ids(pr, temporal ? "temporal" : "flow", NULL, 0, &f);
        ft_flow_free(&f);
    }
    uint64_t found;
    bool more;
    assert_int_equal(ft_paths_all(&s, &o, from, to, 200, print_all, pr, &found, &more, &err),
                     FT_OK);
    ft_path_free(&p);
    pr->s = NULL;
    ft_store_free(&s);
}

/* Shuffling the rows changes no answer: not the paths chosen among
 * equals, not the order --all lists them in, not the flows' transfers. */
static void test_row_order_changes_nothing(void **state)
{
    (void)state;
    uint64_t x = 0x2545F4914F6CDD1DULL;
#define RND() xorshift(&x)
    static printed one, two;
    static char rows[400][80];
    char *csv = malloc(400 * 80 + 128);
    int compared = 0;
    for (int round = 0; round < 60; round++) {
        int na = 6 + (int)(RND() % 10), nt = 20 + (int)(RND() % 150);
        for (int i = 0; i < nt; i++)
            snprintf(rows[i], sizeof rows[i], "t%d,2024-01-01T%02d:00:00Z,a%d,a%d,%d.00,EUR\n",
                     i + 1, (int)(RND() % 6), (int)(RND() % na), (int)(RND() % na),
                     1 + (int)(RND() % 4));
        /* Sources and targets among the accounts that appear. */
        const char *keys[] = {"a0", "a1", "a2", "a3", "a4", "a5"};
        int K = 2 + (int)(RND() % 4);
        for (int pass = 0; pass < 2; pass++) {
            if (pass)
                for (int i = nt - 1; i > 0; i--) {
                    int j = (int)(RND() % (uint64_t)(i + 1));
                    char t[80];
                    memcpy(t, rows[i], sizeof t);
                    memcpy(rows[i], rows[j], sizeof t);
                    memcpy(rows[j], t, sizeof t);
                }
            strcpy(csv, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
            for (int i = 0; i < nt; i++)
                strcat(csv, rows[i]);
            ft_store s = {0};
            load(&s, csv);
            bool all_there = true;
            for (int k = 0; k < 6; k++) {
                uint32_t id;
                all_there = all_there && ft_intern_find(&s.accounts, keys[k], 2, &id);
            }
            ft_store_free(&s);
            if (!all_there)
                break;
            paths_text(csv, keys, 2, keys + 3, 3, K, pass ? &two : &one);
        }
        if (one.len && two.len && strcmp(one.text, two.text) != 0)
            fail_msg("round %d:\n%s\nshuffled:\n%s", round, one.text, two.text);
        compared += one.len > 0;
        one.len = two.len = 0;
        one.text[0] = two.text[0] = '\0';
    }
    assert_true(compared > 30);
    free(csv);
#undef RND
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_case),
        cmocka_unit_test(test_fewer_hops_arrive_later),
        cmocka_unit_test(test_same_time_chain),
        cmocka_unit_test(test_explosive),
        cmocka_unit_test(test_matches_brute_force),
        cmocka_unit_test(test_many_arrivals_agree_with_all),
        cmocka_unit_test(test_row_order_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
