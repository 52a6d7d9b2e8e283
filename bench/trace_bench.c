/*
 * trace_bench.c - times fundtrace's trace engine seed by seed.
 *
 *   trace_bench SNAPSHOT NSEEDS HOPS POLICY SEEDS_OUT RESULTS_OUT [FIRST]
 *
 * Picks NSEEDS seed accounts with outgoing transfers (deterministically),
 * writes their keys to SEEDS_OUT, traces each with the default limits and
 * the given hops and policy, and prints the median, p99 and mean time per
 * seed. RESULTS_OUT gets a line per seed and account reached: seed, account,
 * hops and the traced money it holds per currency, for comparison with
 * another implementation.
 * Links the library directly so that only the trace is timed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fundtrace/snapshot.h"
#include "fundtrace/store.h"
#include "fundtrace/trace.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 8) {
        fprintf(stderr,
                "usage: trace_bench SNAPSHOT NSEEDS HOPS POLICY SEEDS_OUT RESULTS_OUT [FIRST]\n");
        return 2;
    }
    ft_store s = {0};
    ft_error err;
    double t0 = now();
    ft_trace_index *ix = NULL;
    if (ft_snapshot_read(&s, argv[1], &err) != FT_OK || ft_store_adjacency(&s, &err) != FT_OK ||
        ft_trace_index_new(&ix, &s, false, &err) != FT_OK) {
        fprintf(stderr, "trace_bench: %s\n", err.msg);
        return 1;
    }
    double t_load = now() - t0;
    int n = atoi(argv[2]);
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.max_hops = atoi(argv[3]);
    if (!ft_policy_parse(argv[4], &o.policy)) {
        fprintf(stderr, "trace_bench: unknown policy %s\n", argv[4]);
        return 2;
    }
    /* Seeds: distinct accounts with outgoing transfers, spread over the ids. */
    uint32_t *seeds = malloc((size_t)n * sizeof *seeds);
    unsigned char *taken = calloc(s.accounts.n + 1, 1);
    int found = 0;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int tries = 0; found < n && tries < 100 * n; tries++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t a = (uint32_t)(x % s.accounts.n);
        uint32_t deg = s.adj.out_off[a + 1] - s.adj.out_off[a];
        if (deg > 0 && deg <= o.max_degree && !taken[a]) {
            taken[a] = 1;
            seeds[found++] = a;
        }
    }
    free(taken);
    FILE *sf = fopen(argv[5], "w"), *rf = fopen(argv[6], "w");
    if (!sf || !rf) {
        perror("trace_bench");
        return 1;
    }
    ft_tracer *tr;
    if (ft_tracer_new(&tr, ix, &err) != FT_OK) {
        fprintf(stderr, "trace_bench: %s\n", err.msg);
        return 1;
    }
    double *times = malloc((size_t)found * sizeof *times), total = 0;
    uint64_t reached = 0;
    for (int i = 0; i < found; i++) {
        size_t len;
        const char *key = ft_store_account(&s, seeds[i], &len);
        fprintf(sf, "%.*s\n", (int)len, key);
        const ft_trace_result *r;
        double a = now();
        if (ft_trace_run(tr, &o, seeds[i], -1, &r, &err) != FT_OK) {
            fprintf(stderr, "trace_bench: %s\n", err.msg);
            return 1;
        }
        times[i] = now() - a;
        total += times[i];
        reached += r->nnodes;
        for (uint32_t k = 0; k < r->nnodes; k++) {
            const ft_trace_node *nd = &r->nodes[k];
            size_t alen;
            const char *acct = ft_store_account(&s, nd->account, &alen);
            fprintf(rf, "%.*s %.*s %d", (int)len, key, (int)alen, acct, nd->hops);
            for (uint32_t m = 0; m < nd->namounts; m++) {
                const ft_trace_amount *am = &r->amounts[nd->amount0 + m];
                if (am->held)
                    fprintf(rf, " %s=%" PRId64, s.currencies[am->cur].code, am->held);
            }
            fputc('\n', rf);
        }
    }
    fclose(sf);
    fclose(rf);
    /* The first FIRST seeds alone, to compare with a slower implementation
     * that traces only those. */
    int first = argc == 8 ? atoi(argv[7]) : 0;
    if (first > 0 && first <= found) {
        double *sub = malloc((size_t)first * sizeof *sub);
        memcpy(sub, times, (size_t)first * sizeof *sub);
        qsort(sub, (size_t)first, sizeof *sub, cmp_double);
        printf("first_seeds %d\nfirst_median_ms %.3f\n", first, sub[first / 2] * 1e3);
        free(sub);
    }
    qsort(times, (size_t)found, sizeof *times, cmp_double);
    printf("seeds %d\nload_s %.3f\nmedian_ms %.3f\np99_ms %.3f\nmean_ms %.3f\nmax_ms %.3f\n"
           "reached_mean %.1f\n",
           found, t_load, times[found / 2] * 1e3, times[(int)(found * 0.99)] * 1e3,
           total / found * 1e3, times[found - 1] * 1e3, (double)reached / found);
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    free(times);
    free(seeds);
    ft_store_free(&s);
    return 0;
}
