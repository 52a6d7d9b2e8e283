/*
 * test_cluster.c - clusters on a fixture with known answers, the figures
 * of each, the alerts that touch them, and components and k-cores against
 * independent computations on random graphs.
 *
 * The fixture:
 *   P1..P4   every pair pays each other (both ways): a clique
 *   Q1..Q4   the same
 *   P1 -> Q1 one small payment joining the two
 *   R1 -> R2 a pair on its own
 *   S1 -> S2 -> S3 -> S1, S3 -> S4   a cycle with a tail
 * weak: {P, Q}, {R}, {S}; strong (two or more): {P}, {Q}, {S1, S2, S3};
 * k-core with k = 3: the eight of P and Q (joined by P1 - Q1);
 * communities: P and Q apart.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fundtrace/cluster.h"

static char *fixture(void)
{
    size_t cap = 1 << 16, len = 0;
    char *csv = malloc(cap);
    int n = 0;
    len += (size_t)snprintf(csv, cap, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
#define ROW(a, b, amt)                                                                     \
    do {                                                                                   \
        n++;                                                                               \
        len += (size_t)snprintf(csv + len, cap - len, "%d,%lld,%s,%s,%s,EUR\n", n,         \
                                1717200000LL + 60LL * n, a, b, amt);                       \
    } while (0)
    const char *groups[2][4] = {{"P1", "P2", "P3", "P4"}, {"Q1", "Q2", "Q3", "Q4"}};
    for (int g = 0; g < 2; g++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                if (i != j)
                    ROW(groups[g][i], groups[g][j], "1000.00");
    ROW("P1", "Q1", "10.00");
    ROW("R1", "R2", "500.00");
    ROW("S1", "S2", "300.00");
    ROW("S2", "S3", "290.00");
    ROW("S3", "S1", "280.00");
    ROW("S3", "S4", "5.00");
#undef ROW
    return csv;
}

static void load(ft_store *s, const char *csv)
{
    ft_error err;
    if (tu_load(s, "c.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
}

static uint32_t account_id(const ft_store *s, const char *key)
{
    uint32_t id;
    if (!ft_intern_find(&s->accounts, key, strlen(key), &id))
        fail_msg("no account %s", key);
    return id;
}

static uint32_t cl(const ft_store *s, const ft_clustering *c, const char *key)
{
    return c->cluster[account_id(s, key)];
}

static void run(const ft_store *s, ft_cluster_method m, int k, ft_clustering *c)
{
    ft_cluster_options o;
    ft_cluster_defaults(&o);
    o.method = m;
    o.k = k;
    ft_error err;
    if (ft_cluster_run(s, &o, c, &err) != FT_OK)
        fail_msg("%s", err.msg);
}

static void test_fixture_memberships(void **state)
{
    (void)state;
    char *csv = fixture();
    ft_store s = {0};
    load(&s, csv);
    ft_clustering c;

    run(&s, FT_CLUSTER_WEAK, 0, &c);
    assert_int_equal(c.n, 3);
    assert_int_equal(cl(&s, &c, "P1"), cl(&s, &c, "Q4"));
    assert_int_equal(cl(&s, &c, "R1"), cl(&s, &c, "R2"));
    assert_int_equal(cl(&s, &c, "S1"), cl(&s, &c, "S4"));
    assert_int_not_equal(cl(&s, &c, "P1"), cl(&s, &c, "R1"));
    assert_int_not_equal(cl(&s, &c, "S1"), cl(&s, &c, "R1"));
    ft_clustering_free(&c);

    run(&s, FT_CLUSTER_STRONG, 0, &c);
    assert_int_equal(c.n, 2 + 1 + 3); /* P, Q, S1-3, and R1, R2, S4 alone */
    assert_int_equal(cl(&s, &c, "P1"), cl(&s, &c, "P4"));
    assert_int_not_equal(cl(&s, &c, "P1"), cl(&s, &c, "Q1"));
    assert_int_equal(cl(&s, &c, "S1"), cl(&s, &c, "S3"));
    assert_int_not_equal(cl(&s, &c, "S1"), cl(&s, &c, "S4"));
    assert_int_not_equal(cl(&s, &c, "R1"), cl(&s, &c, "R2"));
    ft_clustering_free(&c);

    run(&s, FT_CLUSTER_KCORE, 0, &c);
    assert_int_equal(c.k, 3);
    assert_int_equal(c.n, 1);
    assert_int_equal(cl(&s, &c, "P1"), cl(&s, &c, "Q3"));
    assert_int_equal(cl(&s, &c, "R1"), UINT32_MAX);
    assert_int_equal(cl(&s, &c, "S1"), UINT32_MAX);
    ft_clustering_free(&c);
    run(&s, FT_CLUSTER_KCORE, 2, &c); /* the cycle S1-S3 is a 2-core too */
    assert_int_equal(c.n, 2);
    assert_int_equal(cl(&s, &c, "S1"), cl(&s, &c, "S2"));
    assert_int_equal(cl(&s, &c, "S4"), UINT32_MAX);
    ft_clustering_free(&c);

    for (int m = FT_CLUSTER_LEIDEN; m <= FT_CLUSTER_LOUVAIN; m++) {
        run(&s, (ft_cluster_method)m, 0, &c);
        for (int i = 2; i <= 4; i++) {
            char p[4], q[4];
            snprintf(p, sizeof p, "P%d", i);
            snprintf(q, sizeof q, "Q%d", i);
            assert_int_equal(cl(&s, &c, "P1"), cl(&s, &c, p));
            assert_int_equal(cl(&s, &c, "Q1"), cl(&s, &c, q));
        }
        assert_int_not_equal(cl(&s, &c, "P1"), cl(&s, &c, "Q1"));
        assert_int_equal(cl(&s, &c, "R1"), cl(&s, &c, "R2"));
        ft_clustering_free(&c);
    }
    ft_store_free(&s);
    free(csv);
}

static void test_report_and_alerts(void **state)
{
    (void)state;
    char *csv = fixture();
    ft_store s = {0};
    load(&s, csv);
    ft_clustering c;
    run(&s, FT_CLUSTER_STRONG, 0, &c);
    ft_cluster_report rep;
    ft_error err;
    assert_int_equal(ft_cluster_report_build(&s, &c, 2, NULL, 0, 0, &rep, &err), FT_OK);
    assert_int_equal(rep.n, 3);
    assert_int_equal(rep.candidates, 3);
    /* P and Q hold 12,000.00 inside each; P also paid 10.00 out to Q. */
    const ft_cluster_info *p = &rep.v[0], *q = &rep.v[1], *sv = &rep.v[2];
    assert_int_equal(p->size, 4);
    assert_int_equal(q->size, 4);
    uint32_t pid = cl(&s, &c, "P1");
    if (p->id != pid) { /* P and Q tie on inside volume: the smaller id first */
        const ft_cluster_info *x = p;
        p = q;
        q = x;
    }
    assert_int_equal(p->id, pid);
    assert_int_equal(rep.volumes[p->amount0].internal, 1200000);
    assert_int_equal(rep.volumes[p->amount0].out, 1000);
    assert_int_equal(rep.volumes[q->amount0].in, 1000);
    assert_int_equal(p->ninternal, 12);
    assert_true(p->inside_share > 0.99 && p->inside_share < 1.0);
    assert_int_equal(sv->size, 3);
    assert_int_equal(rep.volumes[sv->amount0].internal, 87000);
    assert_int_equal(rep.volumes[sv->amount0].out, 500);
    assert_int_equal(sv->ninternal, 3);
    assert_int_equal(sv->last_ms - sv->first_ms, 2 * 60000);
    /* Members, ascending. */
    for (uint32_t m = 1; m < sv->size; m++)
        assert_true(rep.members[sv->member0 + m] > rep.members[sv->member0 + m - 1]);
    ft_cluster_report_free(&rep);

    /* --around S4 (alone in its strong component): min size 1 shows it. */
    uint32_t s4 = account_id(&s, "S4");
    assert_int_equal(ft_cluster_report_build(&s, &c, 1, &s4, 1, 0, &rep, &err), FT_OK);
    assert_int_equal(rep.n, 1);
    assert_int_equal(rep.v[0].size, 1);
    assert_int_equal(rep.members[rep.v[0].member0], s4);
    ft_cluster_report_free(&rep);

    /* Top 1 of 3; the alerts touching it. */
    assert_int_equal(ft_cluster_report_build(&s, &c, 2, NULL, 0, 3, &rep, &err), FT_OK);
    char path[] = "/tmp/ft_alerts_XXXXXX";
    int fd = mkstemp(path);
    const char *alerts = "{\"id\":\"a1\",\"kind\":\"cycle\",\"accounts\":[\"S2\",\"S3\"],\"txns\":[]}\n"
                         "{\"id\":\"a2\",\"kind\":\"fan_in\",\"accounts\":[\"R1\",\"Q2\"],\"txns\":[]}\n"
                         "\n"
                         "{\"id\":\"a3\",\"kind\":\"x\",\"accounts\":[\"nobody\"],\"txns\":[]}\n";
    assert_int_equal(write(fd, alerts, strlen(alerts)), (ssize_t)strlen(alerts));
    close(fd);
    ft_cluster_alerts ca;
    assert_int_equal(ft_cluster_alerts_read(&s, &rep, &c, path, &ca, &err), FT_OK);
    assert_int_equal(ca.nids, 3);
    for (uint32_t i = 0; i < rep.n; i++) {
        uint32_t n = ca.off[i + 1] - ca.off[i];
        if (rep.v[i].id == cl(&s, &c, "S1")) {
            assert_int_equal(n, 1);
            assert_string_equal(ca.ids[ca.hit[ca.off[i]]], "a1");
        } else if (rep.v[i].id == cl(&s, &c, "Q1")) {
            assert_int_equal(n, 1);
            assert_string_equal(ca.ids[ca.hit[ca.off[i]]], "a2");
        } else {
            assert_int_equal(n, 0);
        }
    }
    ft_cluster_alerts_free(&ca);
    /* A line that is not an alert is refused with its line. */
    fd = open(path, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "oops\n", 5), 5);
    close(fd);
    assert_int_equal(ft_cluster_alerts_read(&s, &rep, &c, path, &ca, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, ":5:"));
    unlink(path);
    ft_cluster_report_free(&rep);
    ft_clustering_free(&c);
    ft_store_free(&s);
    free(csv);
}

/* --- against independent computations ------------------------------------------------- */

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

#define N 14

/* Are a and b together in c exactly when `same` says so? */
static void same_partition(const ft_clustering *c, bool same[N][N], uint32_t n, int round,
                           const char *what)
{
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = 0; b < n; b++) {
            bool together = c->cluster[a] != UINT32_MAX && c->cluster[a] == c->cluster[b];
            if (together != same[a][b])
                fail_msg("round %d, %s: accounts %u and %u %s", round, what, a, b,
                         together ? "together" : "apart");
        }
}

static void test_matches_independent(void **state)
{
    (void)state;
    uint64_t x = 0xA5A5A5A5DEADBEEFULL;
    for (int round = 0; round < 200; round++) {
        int nt = 1 + (int)(xorshift(&x) % 40);
        char csv[4096];
        int len = snprintf(csv, sizeof csv, "txn_id,timestamp,src_account,dst_account,amount,"
                                            "currency\n");
        /* Every account appears (a self-transfer each), ids follow a0.. order. */
        for (int a = 0; a < N; a++)
            len += snprintf(csv + len, sizeof csv - (size_t)len, "s%d,1717200000,a%02d,a%02d,1.00,"
                                                                 "EUR\n",
                            a, a, a);
        for (int i = 0; i < nt; i++)
            len += snprintf(csv + len, sizeof csv - (size_t)len, "%d,%d,a%02d,a%02d,%d.00,EUR\n",
                            i, 1717200001 + i, (int)(xorshift(&x) % N), (int)(xorshift(&x) % N),
                            1 + (int)(xorshift(&x) % 50));
        ft_store s = {0};
        load(&s, csv);
        uint32_t n = s.accounts.n;
        assert_int_equal(n, N);
        bool adj[N][N] = {{false}}, reach[N][N] = {{false}}, same[N][N];
        for (int64_t i = 0; i < s.t.n; i++)
            if (s.t.src[i] != s.t.dst[i])
                adj[s.t.src[i]][s.t.dst[i]] = true;
        /* Reachability by Floyd-Warshall. */
        for (uint32_t a = 0; a < n; a++) {
            reach[a][a] = true;
            for (uint32_t b = 0; b < n; b++)
                reach[a][b] = reach[a][b] || adj[a][b];
        }
        for (uint32_t k = 0; k < n; k++)
            for (uint32_t a = 0; a < n; a++)
                for (uint32_t b = 0; b < n; b++)
                    reach[a][b] = reach[a][b] || (reach[a][k] && reach[k][b]);
        ft_clustering c;
        /* strong: reachable both ways */
        for (uint32_t a = 0; a < n; a++)
            for (uint32_t b = 0; b < n; b++)
                same[a][b] = reach[a][b] && reach[b][a];
        run(&s, FT_CLUSTER_STRONG, 0, &c);
        same_partition(&c, same, n, round, "strong");
        ft_clustering_free(&c);
        /* weak: reachability in the undirected graph */
        bool und[N][N];
        for (uint32_t a = 0; a < n; a++)
            for (uint32_t b = 0; b < n; b++)
                und[a][b] = a == b || adj[a][b] || adj[b][a];
        for (uint32_t k = 0; k < n; k++)
            for (uint32_t a = 0; a < n; a++)
                for (uint32_t b = 0; b < n; b++)
                    und[a][b] = und[a][b] || (und[a][k] && und[k][b]);
        run(&s, FT_CLUSTER_WEAK, 0, &c);
        same_partition(&c, und, n, round, "weak");
        ft_clustering_free(&c);
        /* k-core by peeling: drop accounts with fewer than k distinct
         * neighbours left, until none; then the pieces of what is left. */
        int k = 1 + (int)(xorshift(&x) % 3);
        bool alive[N];
        for (uint32_t a = 0; a < n; a++)
            alive[a] = true;
        for (bool changed = true; changed;) {
            changed = false;
            for (uint32_t a = 0; a < n; a++) {
                if (!alive[a])
                    continue;
                int deg = 0;
                for (uint32_t b = 0; b < n; b++)
                    deg += b != a && alive[b] && (adj[a][b] || adj[b][a]);
                if (deg < k) {
                    alive[a] = false;
                    changed = true;
                }
            }
        }
        bool core[N][N];
        for (uint32_t a = 0; a < n; a++)
            for (uint32_t b = 0; b < n; b++)
                core[a][b] = alive[a] && alive[b] && (a == b || adj[a][b] || adj[b][a]);
        for (uint32_t q = 0; q < n; q++)
            for (uint32_t a = 0; a < n; a++)
                for (uint32_t b = 0; b < n; b++)
                    core[a][b] = core[a][b] || (core[a][q] && core[q][b]);
        run(&s, FT_CLUSTER_KCORE, k, &c);
        same_partition(&c, core, n, round, "kcore");
        ft_clustering_free(&c);
        ft_store_free(&s);
    }
}

/* The table: a cluster of twelve (a chain C0 -> .. -> C11, 1000.00 EUR a
 * link) lists its first ten members and the ten first alerts of the twelve
 * touching it, and counts the rest; C0 also paid C1 1.00 in 35 other
 * currencies: the volume inside shows the currencies that fit in its
 * 400 bytes with room for one more (EUR and 34 others, 352 bytes). */
static void test_table_lists(void **state)
{
    (void)state;
    static const char *cur[36] = {"EUR", "USD", "GBP", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK",
                                  "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "TRY", "ZAR", "MXN",
                                  "BRL", "ARS", "INR", "CNY", "HKD", "SGD", "THB", "MYR", "PHP",
                                  "ILS", "EGP", "MAD", "NGN", "KES", "RUB", "UAH", "SAR", "AED"};
    size_t cap = 1 << 14, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv, cap, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    for (int i = 0; i < 11; i++)
        len += (size_t)snprintf(csv + len, cap - len, "c%d,%d,C%d,C%d,1000.00,EUR\n", i,
                                1717200000 + 60 * i, i, i + 1);
    for (int k = 1; k < 36; k++)
        len += (size_t)snprintf(csv + len, cap - len, "m%d,%d,C0,C1,1.00,%s\n", k,
                                1717300000 + 60 * k, cur[k]);
    len += (size_t)snprintf(csv + len, cap - len, "d1,1717400000,D0,D1,1.00,EUR\n");
    ft_store s = {0};
    load(&s, csv);
    ft_clustering c;
    run(&s, FT_CLUSTER_WEAK, 0, &c);
    ft_cluster_report rep;
    ft_error err;
    assert_int_equal(ft_cluster_report_build(&s, &c, 2, NULL, 0, 0, &rep, &err), FT_OK);
    assert_int_equal(rep.n, 2); /* C, then D */
    char path[] = "/tmp/ft_alerts_XXXXXX";
    int fd = mkstemp(path);
    for (int i = 1; i <= 12; i++)
        dprintf(fd, "{\"id\":\"a%d\",\"kind\":\"cycle\",\"accounts\":[\"C%d\"],\"txns\":[]}\n", i,
                i - 1);
    close(fd);
    ft_cluster_alerts ca;
    assert_int_equal(ft_cluster_alerts_read(&s, &rep, &c, path, &ca, &err), FT_OK);
    ft_cluster_options o;
    ft_cluster_defaults(&o);
    o.method = FT_CLUSTER_WEAK;
    char *out = NULL;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    ft_cluster_write(f, &s, &o, &c, &rep, &ca, FT_FORMAT_TABLE);
    fclose(f);
    char want[1024];
    size_t w = (size_t)snprintf(want, sizeof want, "    inside: 11000.00 EUR");
    for (int k = 1; k < 35; k++)
        w += (size_t)snprintf(want + w, sizeof want - w, ", 1.00 %s", cur[k]);
    snprintf(want + w, sizeof want - w, "\n");
    if (!strstr(out, want))
        fail_msg("no '%s' in:\n%s", want, out);
    assert_non_null(strstr(out, "\n    members: C0 C1 C2 C3 C4 C5 C6 C7 C8 C9 ... and 2 more\n"));
    assert_non_null(strstr(out, "\n    alerts: a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 ... and 2 more\n"));
    free(out);
    ft_cluster_alerts_free(&ca);
    /* Fewer than ten: each cluster its own, all of them. */
    fd = open(path, O_WRONLY | O_TRUNC);
    for (int i = 1; i <= 3; i++)
        dprintf(fd, "{\"id\":\"a%d\",\"kind\":\"cycle\",\"accounts\":[\"C%d\"],\"txns\":[]}\n", i,
                i - 1);
    dprintf(fd, "{\"id\":\"d1\",\"kind\":\"cycle\",\"accounts\":[\"D0\"],\"txns\":[]}\n");
    close(fd);
    assert_int_equal(ft_cluster_alerts_read(&s, &rep, &c, path, &ca, &err), FT_OK);
    f = open_memstream(&out, &n);
    ft_cluster_write(f, &s, &o, &c, &rep, &ca, FT_FORMAT_TABLE);
    fclose(f);
    assert_non_null(strstr(out, "\n    alerts: a1 a2 a3\n"));
    assert_non_null(strstr(out, "\n    alerts: d1\n"));
    free(out);
    unlink(path);
    ft_cluster_alerts_free(&ca);
    ft_cluster_report_free(&rep);
    ft_clustering_free(&c);
    ft_store_free(&s);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_memberships),
        cmocka_unit_test(test_report_and_alerts),
        cmocka_unit_test(test_matches_independent),
        cmocka_unit_test(test_table_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
