/*
 * test_faults.c - every allocation of each module's work fails in turn,
 * as SQLite's tests do (fault.h): `test_faults MODULE` runs the module's
 * scenario once to count its fallible calls (K) and learn its output, then
 * K more times, the n-th call failing in run n. Each run must end in one
 * of two ways:
 *   - an error: FT_ENOMEM with "out of memory", or an igraph error with
 *     igraph's reason; never a crash, never a silent partial result;
 *   - success with exactly the output of the run without faults (a
 *     failure the code could work around, such as a cache it went without).
 * And after every run nothing is left alive (no block, no igraph object)
 * and igraph's cleanup stack is empty.
 *
 * FT_FAULTS_STRIDE=S tries every S-th n only (a quick look); the default
 * tries every n. `test_faults all` runs every scenario but those of known
 * bugs in other modules (named, they run).
 */
#include <igraph/igraph.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "fundtrace/alerts_read.h"
#include "fundtrace/audit.h"
#include "fundtrace/cluster.h"
#include "fundtrace/eval.h"
#include "fundtrace/export.h"
#include "fundtrace/features.h"
#include "fundtrace/graph.h"
#include "fundtrace/learn.h"
#include "fundtrace/ingest.h"
#include "fundtrace/output.h"
#include "fundtrace/paths.h"
#include "fundtrace/paths_report.h"
#include "fundtrace/handoff.h"
#include "fundtrace/periods.h"
#include "fundtrace/trace_periods.h"
#include "fundtrace/provenance.h"
#include "fundtrace/pseudo.h"
#include "fundtrace/report.h"
#include "fundtrace/rules.h"
#include "fundtrace/scan.h"
#include "fundtrace/shard.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/stats.h"
#include "fundtrace/synth.h"
#include "fundtrace/trace.h"
#include "fundtrace/trace_batch.h"
#include "fundtrace/trace_read.h"
#include "fundtrace/study.h"
#include "fundtrace/study_report.h"
#include "fundtrace/tune.h"
#include "fundtrace/tz.h"
#include "fundtrace/writer.h"

/* What scenarios share, made before any fault is armed. */
typedef struct fixture {
    char *small_csv, *paths_csv;
    size_t small_len, paths_len;
    ft_store small, paths; /* loaded, sorted, with adjacency */
    ft_store hops;         /* reached by a long route, then a short one (HOPS_CSV) */
    ft_store bank;         /* synth's, with adjacency: features, learn, tune */
    uint8_t *bank_label;   /* its planted rows */
    char bank_truth[128];
    char dir[64];          /* a scratch directory */
    char alerts[128], trace[128], truth[128], tokens[128], rawids[128];
    char small_path[512]; /* tests/data/small.csv */
} fixture;

static fixture fx;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void spill(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        exit(2);
}

static void load(ft_store *s, const char *name, const char *csv, size_t len)
{
    ft_error err;
    ft_load_options o = {0};
    if (ft_ingest_buffer(s, name, csv, len, &o, &err) != FT_OK ||
        ft_store_finish(s, &err) != FT_OK || ft_store_adjacency(s, &err) != FT_OK) {
        fprintf(stderr, "fixture %s: %s\n", name, err.msg);
        exit(2);
    }
}

static uint32_t account(const ft_store *s, const char *key)
{
    uint32_t id;
    if (!ft_intern_find(&s->accounts, key, strlen(key), &id)) {
        fprintf(stderr, "fixture: no account %s\n", key);
        exit(2);
    }
    return id;
}

/* --- the scenarios: each runs a module's work and writes what it found -------------------- */

typedef ft_status (*scenario_fn)(FILE *out, ft_error *err);

static ft_status sc_ingest(FILE *out, ft_error *err)
{
    ft_store s = {0};
    ft_load_options o = {0};
    ft_status rc = ft_ingest_buffer(&s, "small.csv", fx.small_csv, fx.small_len, &o, err);
    if (rc == FT_OK)
        rc = ft_store_finish(&s, err);
    if (rc == FT_OK)
        rc = ft_store_adjacency(&s, err);
    if (rc == FT_OK)
        rc = ft_store_txid_index(&s, err);
    uint32_t t = 0;
    if (rc == FT_OK)
        fprintf(out, "T03 is %d\n", ft_store_find_txid(&s, "T03", 3, &t) ? (int)t : -1);
    if (rc == FT_OK)
        ft_write_load_summary(out, &s, NULL, FT_FORMAT_JSON);
    ft_store_free(&s);
    return rc;
}

/* Bank statements: an MT940 and a camt.053 file read together, the two
 * views of their shared transfers reconciled (dedup.c). */
static ft_status sc_statements(FILE *out, ft_error *err)
{
    const char *paths[] = {FT_TEST_DATA "/../../data/bank_a.sta",
                           FT_TEST_DATA "/../../data/bank_b.xml"};
    ft_store s = {0};
    ft_load_options o = {0};
    ft_status rc = ft_ingest_files(&s, paths, 2, &o, err);
    if (rc == FT_OK)
        ft_write_load_summary(out, &s, NULL, FT_FORMAT_JSON);
    ft_store_free(&s);
    return rc;
}

/* A German bank's export: Windows-1252 through iconv, decimal commas,
 * day-first dates, local times in a zone (tz.c). */
static ft_status sc_conventions(FILE *out, ft_error *err)
{
    ft_tz *tz = NULL;
    ft_status rc = ft_tz_load(&tz, "Europe/Berlin", err);
    ft_store s = {0};
    ft_load_options o = {.encoding = "cp1252", .tz = tz};
    if (rc == FT_OK)
        rc = ft_ingest_file(&s, FT_TEST_DATA "/../../data/bank_de.csv", &o, err);
    if (rc == FT_OK)
        rc = ft_store_finish(&s, err);
    if (rc == FT_OK)
        ft_write_load_summary(out, &s, NULL, FT_FORMAT_JSON);
    ft_store_free(&s);
    ft_tz_free(tz);
    return rc;
}

/* The parallel reader: one file in slices of 512 bytes on two threads. */
static ft_status sc_threaded(FILE *out, ft_error *err)
{
    ft_store s = {0};
    ft_load_options o = {.threads = 2, .slice_bytes = 512};
    ft_status rc = ft_ingest_file(&s, FT_TEST_DATA "/small.csv", &o, err);
    if (rc == FT_OK)
        rc = ft_store_finish(&s, err);
    if (rc == FT_OK)
        ft_write_load_summary(out, &s, NULL, FT_FORMAT_JSON);
    ft_store_free(&s);
    return rc;
}

static ft_status sc_snapshot(FILE *out, ft_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s/s.ftg", fx.dir);
    ft_store s = {0};
    ft_status rc = ft_snapshot_write(&fx.small, path, err);
    if (rc == FT_OK)
        rc = ft_snapshot_read(&s, path, err);
    if (rc == FT_OK)
        ft_write_load_summary(out, &s, NULL, FT_FORMAT_CSV);
    ft_store_free(&s);
    return rc;
}

static ft_status sc_stats(FILE *out, ft_error *err)
{
    ft_stats st = {0};
    ft_status rc = ft_stats_compute(&fx.small, &st, err);
    if (rc == FT_OK)
        rc = ft_stats_check_igraph(&fx.small, &st, err);
    if (rc == FT_OK) {
        ft_write_stats(out, &fx.small, &st, FT_FORMAT_JSON);
        ft_write_stats(out, &fx.small, &st, FT_FORMAT_CSV);
    }
    ft_stats_free(&st);
    return rc;
}

static ft_status sc_graph(FILE *out, ft_error *err)
{
    igraph_t g;
    ft_status rc = ft_graph_build(&g, &fx.small, err);
    if (rc != FT_OK)
        return rc;
    int64_t count = 0, largest = 0;
    rc = ft_graph_weak_components(&g, &count, &largest, err);
    igraph_destroy(&g);
    if (rc == FT_OK)
        fprintf(out, "%lld %lld\n", (long long)count, (long long)largest);
    return rc;
}

static ft_status sc_trace(FILE *out, ft_error *err)
{
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    ft_trace_options o;
    ft_trace_defaults(&o);
    ft_status rc = FT_OK;
    for (int backward = 0; backward < 2 && rc == FT_OK; backward++) {
        rc = ft_trace_index_new(&ix, &fx.small, backward, err);
        if (rc == FT_OK)
            rc = ft_tracer_new(&tr, ix, err);
        const char *seeds[] = {"alice", "bob", "dave"};
        for (int i = 0; i < 3 && rc == FT_OK; i++) {
            const ft_trace_result *r;
            rc = ft_trace_run(tr, &o, account(&fx.small, seeds[i]), -1, &r, err);
            if (rc == FT_OK)
                ft_trace_write(out, &fx.small, seeds[i], &o, r, FT_FORMAT_JSONL, i == 0);
        }
        ft_tracer_free(tr);
        ft_trace_index_free(ix);
        tr = NULL;
        ix = NULL;
    }
    return rc;
}

/* A batch of three seeds (one thread: the calls come in one order), with
 * --min-amount: a seed whose trace runs out of memory is left out and the
 * batch says so. */
static ft_status sc_trace_batch(FILE *out, ft_error *err)
{
    ft_trace_index *ix = NULL;
    ft_trace_options o;
    ft_trace_defaults(&o);
    int64_t *min = NULL;
    ft_status rc = ft_trace_min_amounts(&fx.small, "0.5", &min, err);
    o.min_amount = min;
    if (rc == FT_OK)
        rc = ft_trace_index_new(&ix, &fx.small, false, err);
    ft_trace_seed seeds[] = {{"alice", account(&fx.small, "alice"), -1},
                             {"bob", account(&fx.small, "bob"), -1},
                             {"dave", account(&fx.small, "dave"), -1}};
    ft_trace_batch b = {.s = &fx.small, .ix = ix, .o = &o, .fmt = FT_FORMAT_JSON, .threads = 1};
    ft_trace_batch_report rep;
    if (rc == FT_OK)
        rc = ft_trace_batch_run(&b, seeds, 3, out, &rep, err);
    if (rc == FT_OK)
        fprintf(out, "\n%zu %zu %d\n", rep.traced, rep.failed, rep.found);
    ft_trace_index_free(ix);
    free(min);
    return rc;
}

/* The small data split into days, and the manifest read back. */
static ft_status sc_periods(FILE *out, ft_error *err)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s/periods", fx.dir);
    ft_manifest m = {0}, r = {0};
    ft_status rc = ft_periods_split(&fx.small, FT_PERIOD_DAY, dir, &m, err);
    if (rc == FT_OK)
        rc = ft_manifest_read(&r, dir, err);
    for (size_t i = 0; rc == FT_OK && i < r.n; i++)
        fprintf(out, "%s %s %lld\n", r.v[i].name, r.v[i].file, (long long)r.v[i].rows);
    ft_store j = {0};
    if (rc == FT_OK)
        rc = ft_periods_load(&j, &r, 0, r.n, err);
    if (rc == FT_OK) {
        char id[64];
        ft_store_txid(&j, j.t.n - 1, id, sizeof id);
        fprintf(out, "%lld %s %u\n", (long long)j.t.n, id, j.accounts.n);
    }
    ft_store_free(&j);
    ft_manifest_free(&m);
    ft_manifest_free(&r);
    return rc;
}

/* The whole data's figures, written by the split, read with two periods. */
static ft_status sc_periods_whole(FILE *out, ft_error *err)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s/periods-whole", fx.dir);
    ft_manifest m = {0};
    ft_store two = {0};
    ft_period_whole w = {0};
    ft_status rc = ft_periods_split(&fx.small, FT_PERIOD_DAY, dir, &m, err);
    if (rc == FT_OK && m.n < 2)
        exit(2);
    if (rc == FT_OK)
        rc = ft_periods_load(&two, &m, m.n - 2, m.n, err);
    if (rc == FT_OK)
        rc = ft_period_whole_read(&w, &m, &two, err);
    if (rc == FT_OK) {
        fprintf(out, "%d %lld %u %u\n", w.present, (long long)w.ntxn, w.naccounts, w.ncurrencies);
        for (uint32_t a = 0; a < w.naccounts; a++)
            fprintf(out, "%u %u\n", w.deg_out[a], w.deg_in[a]);
    }
    ft_period_whole_free(&w);
    ft_store_free(&two);
    ft_manifest_free(&m);
    return rc;
}

/* A time range of the small data (scan --lookback): from its days, only
 * those the range overlaps mapped, and from the store of all of it. */
static ft_status sc_periods_range(FILE *out, ft_error *err)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s/periods-range", fx.dir);
    ft_manifest m = {0};
    ft_store r = {0}, w = {0};
    int64_t last = 0;
    size_t a = 0, b = 0;
    ft_status rc = ft_periods_split(&fx.small, FT_PERIOD_DAY, dir, &m, err);
    if (rc == FT_OK)
        rc = ft_manifest_last_time(&m, &last, err);
    int64_t from = ft_time_back(last, 86400000LL);
    if (rc == FT_OK)
        rc = ft_periods_load_range(&r, &m, from, last, &a, &b, err);
    if (rc == FT_OK)
        rc = ft_store_range(&w, &fx.small, from, last, err);
    if (rc == FT_OK) {
        fprintf(out, "%zu %zu %lld %lld\n", a, b, (long long)r.t.n, (long long)w.t.n);
        for (int64_t i = 0; i < r.t.n && i < w.t.n; i++) {
            char x[64], y[64];
            ft_store_txid(&r, i, x, sizeof x);
            ft_store_txid(&w, i, y, sizeof y);
            fprintf(out, "%s %s\n", x, y);
        }
    }
    ft_store_free(&r);
    ft_store_free(&w);
    ft_manifest_free(&m);
    return rc;
}

/* Traces streamed through the small data's days (trace_periods.h), both
 * ways, the breadth limit choosing across days. */
static ft_status sc_trace_periods(FILE *out, ft_error *err)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s/tperiods", fx.dir);
    ft_manifest m = {0};
    ft_status rc = ft_periods_split(&fx.small, FT_PERIOD_DAY, dir, &m, err);
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.breadth = 1;
    ft_trace_seed seeds[] = {{"alice", account(&fx.small, "alice"), -1},
                             {"bob", account(&fx.small, "bob"), -1},
                             {"t", 0, 2}};
    for (int backward = 0; backward < 2 && rc == FT_OK; backward++) {
        ft_trace_periods_out po;
        rc = ft_trace_periods_run(&m, &o, backward, seeds, 3, &po, err);
        for (size_t i = 0; rc == FT_OK && i < po.n; i++)
            ft_trace_write(out, &po.s, seeds[i].label, &o, po.res[i], FT_FORMAT_JSONL, i == 0);
        if (rc == FT_OK)
            ft_trace_periods_free(&po);
    }
    ft_manifest_free(&m);
    return rc;
}

/* X is reached by 3 hops, then by 1, and pays more than the breadth limit
 * allows after each (test_trace.c, test_breadth_by_hops), a day apart. */
static const char HOPS_CSV[] = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                               "0,2024-01-01T00:30:00Z,Z,X,100.00,EUR\n"
                               "1,2024-01-02T01:00:00Z,S,A,10.00,EUR\n"
                               "2,2024-01-03T02:00:00Z,A,B,10.00,EUR\n"
                               "3,2024-01-04T03:00:00Z,B,X,10.00,EUR\n"
                               "4,2024-01-05T04:00:00Z,X,P,20.00,EUR\n"
                               "5,2024-01-06T04:30:00Z,X,P2,19.00,EUR\n"
                               "6,2024-01-07T05:00:00Z,S,X,5.00,EUR\n"
                               "7,2024-01-08T06:00:00Z,X,Q,3.00,EUR\n"
                               "8,2024-01-09T07:00:00Z,X,R,2.00,EUR\n"
                               "9,2024-01-10T08:00:00Z,X,T,1.00,EUR\n";

/* The breadth limit choosing again for money of fewer hops (trace.h), in
 * one snapshot and streamed through days, every policy. */
static ft_status sc_trace_breadth(FILE *out, ft_error *err)
{
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    ft_trace_options o;
    ft_trace_defaults(&o);
    o.max_hops = 4;
    o.breadth = 2;
    ft_status rc = ft_trace_index_new(&ix, &fx.hops, false, err);
    if (rc == FT_OK)
        rc = ft_tracer_new(&tr, ix, err);
    for (int p = 0; p < 4 && rc == FT_OK; p++) {
        const ft_trace_result *r;
        o.policy = (ft_policy)p;
        rc = ft_trace_run(tr, &o, account(&fx.hops, "S"), -1, &r, err);
        if (rc == FT_OK)
            ft_trace_write(out, &fx.hops, "S", &o, r, FT_FORMAT_JSONL, p == 0);
    }
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/hperiods", fx.dir);
    ft_manifest m = {0};
    if (rc == FT_OK)
        rc = ft_periods_split(&fx.hops, FT_PERIOD_DAY, dir, &m, err);
    ft_trace_seed seeds[] = {{"S", account(&fx.hops, "S"), -1}};
    for (int p = 0; p < 4 && rc == FT_OK; p++) {
        ft_trace_periods_out po;
        o.policy = (ft_policy)p;
        rc = ft_trace_periods_run(&m, &o, false, seeds, 1, &po, err);
        if (rc == FT_OK) {
            ft_trace_write(out, &po.s, "S", &o, po.res[0], FT_FORMAT_JSONL, false);
            ft_trace_periods_free(&po);
        }
    }
    ft_manifest_free(&m);
    return rc;
}

/* Two parties in the small data: those of the accounts a* and b* trace
 * from alice and hand the money that leaves to the others, who continue
 * it (handoff.h). */
static ft_status sc_handoff(FILE *out, ft_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s/party.ho", fx.dir);
    uint8_t *mine = NULL, *theirs = NULL;
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    ft_handoff_set hs = {0};
    ft_trace_options o;
    ft_trace_defaults(&o);
    const ft_trace_result *r;
    size_t nc;
    ft_status rc = ft_local_accounts(&fx.small, "a*,b*", &mine, err);
    if (rc == FT_OK && !(theirs = malloc(fx.small.accounts.n + 1)))
        rc = ft_error_oom(err);
    for (uint32_t a = 0; rc == FT_OK && a < fx.small.accounts.n; a++)
        theirs[a] = !mine[a];
    if (rc == FT_OK)
        rc = ft_trace_index_new(&ix, &fx.small, false, err);
    if (rc == FT_OK)
        rc = ft_tracer_new(&tr, ix, err);
    if (rc == FT_OK) {
        ft_tracer_set_border(tr, mine, NULL, 0);
        rc = ft_trace_run(tr, &o, account(&fx.small, "alice"), -1, &r, err);
    }
    FILE *f = rc == FT_OK ? fopen(path, "w") : NULL;
    if (f) {
        const ft_trace_crossing *c = ft_tracer_crossings(tr, &nc);
        ft_handoff_write(f, &fx.small, "alice", &o, r, c, nc);
        fclose(f);
        ft_trace_write_held(out, &fx.small, "alice", r, mine, true);
    }
    if (rc == FT_OK)
        rc = ft_handoff_read(&hs, &fx.small, theirs, &o, false, path, err);
    if (rc == FT_OK && hs.n == 1) {
        o.since_ms = hs.v[0].start_ms;
        o.until_ms = hs.v[0].end_ms;
        ft_tracer_set_border(tr, theirs, hs.v[0].in, hs.v[0].nin);
        rc = ft_trace_run(tr, &o, UINT32_MAX, -1, &r, err);
        if (rc == FT_OK)
            ft_trace_write_held(out, &fx.small, "alice", r, theirs, false);
    }
    ft_handoff_set_free(&hs);
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    free(mine);
    free(theirs);
    return rc;
}

static ft_status sc_paths(FILE *out, ft_error *err)
{
    const ft_store *s = &fx.paths;
    uint32_t a = account(s, "S"), b = account(s, "T");
    ft_account_set from = {&a, 1}, to = {&b, 1};
    ft_paths_options o;
    ft_paths_defaults(&o);
    ft_path p = {0};
    ft_status rc = ft_path_earliest(s, &o, from, to, &p, err);
    if (rc == FT_OK) {
        ft_path_write(out, s, "earliest", 0, &p, FT_FORMAT_JSONL);
        rc = ft_path_fewest(s, &o, from, to, &p, err);
    }
    if (rc == FT_OK) {
        ft_path_write(out, s, "fewest", 0, &p, FT_FORMAT_JSONL);
        rc = ft_path_static(s, &o, from, to, &p, err);
    }
    if (rc == FT_OK)
        ft_path_write(out, s, "static", 0, &p, FT_FORMAT_JSONL);
    for (int temporal = 0; temporal < 2 && rc == FT_OK; temporal++) {
        ft_flow fl;
        rc = ft_maxflow(s, &o, from, to, 0, temporal, &fl, err);
        if (rc == FT_OK)
            ft_flow_write(out, s, temporal ? "temporal" : "static", 0, &fl, FT_FORMAT_JSONL);
        ft_flow_free(&fl);
    }
    if (rc == FT_OK) {
        o.max_hops = 3;
        rc = ft_path_earliest(s, &o, from, to, &p, err);
        if (rc == FT_OK)
            ft_path_write(out, s, "earliest3", 0, &p, FT_FORMAT_JSONL);
    }
    ft_path_free(&p);
    return rc;
}

static ft_status sc_paths_report(FILE *out, ft_error *err)
{
    const ft_store *s = &fx.paths;
    uint32_t a = account(s, "S"), b = account(s, "T");
    ft_account_set from = {&a, 1}, to = {&b, 1};
    ft_paths_options o;
    ft_paths_defaults(&o);
    o.max_hops = 6;
    ft_paths_request rq = {.all = true, .static_path = true, .maxflow = true, .limit = 10};
    ft_paths_answer ans;
    ft_status rc = ft_paths_report(s, &o, from, to, &rq, out, FT_FORMAT_JSON, &ans, err);
    if (rc == FT_OK)
        fprintf(out, "%d %llu %d\n", ans.found, (unsigned long long)ans.paths, ans.more);
    return rc;
}

static bool emit_path(void *ctx, const uint32_t *txn, uint32_t n)
{
    FILE *out = ctx;
    for (uint32_t i = 0; i < n; i++)
        fprintf(out, "%u%c", txn[i], i + 1 < n ? ' ' : '\n');
    return true;
}

static ft_status sc_paths_all(FILE *out, ft_error *err)
{
    const ft_store *s = &fx.paths;
    uint32_t a = account(s, "S"), b = account(s, "T");
    ft_account_set from = {&a, 1}, to = {&b, 1};
    ft_paths_options o;
    ft_paths_defaults(&o);
    o.max_hops = 6;
    uint64_t found;
    bool more;
    ft_status rc = ft_paths_all(s, &o, from, to, 100, emit_path, out, &found, &more, err);
    if (rc == FT_OK)
        fprintf(out, "%llu %d\n", (unsigned long long)found, more);
    return rc;
}

static ft_status sc_cluster(FILE *out, ft_error *err)
{
    ft_status rc = FT_OK;
    for (int m = 0; m < 5 && rc == FT_OK; m++) {
        ft_cluster_options o;
        ft_cluster_defaults(&o);
        o.method = (ft_cluster_method)m;
        ft_clustering c = {0};
        ft_cluster_report rep = {0};
        ft_cluster_alerts ca = {0};
        rc = ft_cluster_run(&fx.small, &o, &c, err);
        if (rc == FT_OK)
            rc = ft_cluster_report_build(&fx.small, &c, 1, NULL, 0, 0, &rep, err);
        if (rc == FT_OK)
            rc = ft_cluster_alerts_read(&fx.small, &rep, &c, fx.alerts, &ca, err);
        if (rc == FT_OK)
            ft_cluster_write(out, &fx.small, &o, &c, &rep, &ca, FT_FORMAT_JSONL);
        ft_cluster_alerts_free(&ca);
        ft_cluster_report_free(&rep);
        ft_clustering_free(&c);
    }
    return rc;
}

static ft_status export_all_formats(FILE *out, const ft_subgraph *g, const char *const *al,
                                    ft_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s/ex", fx.dir);
    ft_status rc = ft_export_save(&fx.small, g, FT_EXPORT_CSV_EDGES, path, al, err);
    /* what it saved is part of the result */
    for (int part = 0; part < 2 && rc == FT_OK; part++) {
        char name[200];
        size_t len;
        snprintf(name, sizeof name, "%s-%s.csv", path, part ? "edges" : "nodes");
        fault_pause(true);
        char *text = slurp(name, &len);
        fwrite(text, 1, len, out);
        free(text);
        unlink(name);
        fault_pause(false);
    }
    fprintf(out, "%s: %u %u %llu %llu\n", g->what, g->nn, g->ne, (unsigned long long)g->cut_nodes,
            (unsigned long long)g->cut_edges);
    for (int f = 0; f <= FT_EXPORT_CSV_EDGES && rc == FT_OK; f++)
        rc = ft_export_write(out, &fx.small, g, (ft_export_format)f, al, err);
    return rc;
}

static ft_status sc_export(FILE *out, ft_error *err)
{
    const ft_store *s = &fx.small;
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g = {0}, d = {0};
    ft_export_alerts *ea = NULL;
    char **cover = NULL;
    uint32_t bob = account(s, "bob");
    ft_cluster_options co;
    ft_cluster_defaults(&co);
    ft_status rc = ft_export_neighbourhood(s, &bob, 1, 2, &l, &g, err);
    if (rc == FT_OK)
        rc = export_all_formats(out, &g, NULL, err);
    if (rc == FT_OK)
        rc = ft_export_shrink(s, &g, 3, 2, &d, err);
    if (rc == FT_OK)
        rc = export_all_formats(out, &d, NULL, err);
    ft_subgraph_free(&g);
    ft_subgraph_free(&d);
    if (rc == FT_OK)
        rc = ft_export_alerts_read(&ea, s, fx.alerts, err);
    if (rc == FT_OK)
        rc = ft_export_alert(s, ea, "00000000000000aa", &l, &g, err);
    if (rc == FT_OK)
        rc = ft_export_edge_alerts(&g, ea, &cover, err);
    if (rc == FT_OK)
        rc = export_all_formats(out, &g, (const char *const *)cover, err);
    ft_export_edge_alerts_free(cover, g.ne);
    ft_subgraph_free(&g);
    if (rc == FT_OK)
        rc = ft_export_trace_file(s, fx.trace, &l, &g, err);
    if (rc == FT_OK)
        rc = export_all_formats(out, &g, NULL, err);
    ft_subgraph_free(&g);
    if (rc == FT_OK)
        rc = ft_export_cluster_of(s, &co, bob, "bob", &l, &g, err);
    if (rc == FT_OK)
        rc = export_all_formats(out, &g, NULL, err);
    ft_subgraph_free(&g);
    ft_export_alerts_free(ea);
    return rc;
}

/* A trace run for export (trace.c under faults: see faults_export_trace in
 * tests/CMakeLists.txt). */
static ft_status sc_export_trace(FILE *out, ft_error *err)
{
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_subgraph g = {0};
    uint32_t bob = account(&fx.small, "bob");
    ft_status rc = ft_export_trace_from(&fx.small, &bob, 1, 3, "bob", &l, &g, err);
    if (rc == FT_OK)
        rc = export_all_formats(out, &g, NULL, err);
    ft_subgraph_free(&g);
    return rc;
}

static ft_status sc_readers(FILE *out, ft_error *err)
{
    ft_alerts_reader *r = NULL;
    ft_status rc = ft_alerts_open(&r, fx.alerts, err);
    const ft_alert_in *a;
    while (rc == FT_OK && (rc = ft_alerts_next(r, &a, err)) == FT_OK && a)
        fprintf(out, "%s %u %u\n", a->id, a->naccounts, a->ntxns);
    ft_alerts_close(r);
    ft_trace_file *t = NULL;
    if (rc == FT_OK)
        rc = ft_trace_file_open(&t, fx.trace, err);
    const ft_trace_node_in *n;
    while (rc == FT_OK && (rc = ft_trace_file_next(t, &n, err)) == FT_OK && n)
        fprintf(out, "%s %lld %u\n", n->account, (long long)n->hops, n->ntxns);
    ft_trace_file_close(t);
    return rc;
}

static ft_status sc_scan(FILE *out, ft_error *err)
{
    ft_scan_params p;
    ft_scan_defaults(&p);
    p.min_score = 0; /* every candidate: a lost one shows */
    ft_alerts a = {0};
    ft_status rc = ft_scan_run(&fx.small, &p, 1, &a, err);
    if (rc == FT_OK)
        ft_alerts_write(out, &fx.small, &a, NULL, FT_FORMAT_JSONL);
    ft_alerts_free(&a);
    return rc;
}

/* A scan in two shards: each part written as --shard writes it, the
 * parts opened as merge opens them, read back and finished. */
static ft_status sc_scan_shard(FILE *out, ft_error *err)
{
    ft_scan_params p;
    ft_scan_defaults(&p);
    char path[2][160];
    const char *paths[2] = {path[0], path[1]};
    char *argv[] = {"scan", "small.csv", NULL};
    ft_status rc = FT_OK;
    for (int i = 0; i < 2 && rc == FT_OK; i++) {
        snprintf(path[i], sizeof path[i], "%s/scan-part.%d", fx.dir, i + 1);
        ft_shard sh = {(uint32_t)i, 2};
        ft_scan_part *part = NULL;
        rc = ft_scan_run_part(&fx.small, &p, 1, &sh, &part, err);
        FILE *f = rc == FT_OK ? fopen(path[i], "w") : NULL;
        if (rc == FT_OK && !f)
            exit(2);
        if (f) {
            ft_shard_header_args(f, "scan", &sh, 2, argv, 0);
            rc = ft_scan_part_write(f, &fx.small, part, err);
            fclose(f);
        }
        ft_scan_part_free(part);
    }
    ft_shard_parts ps = {0};
    ft_scan_part *parts[2] = {NULL, NULL};
    ft_alerts a = {0};
    if (rc == FT_OK)
        rc = ft_shard_parts_open(&ps, paths, 2, err);
    for (int i = 0; i < 2 && rc == FT_OK; i++)
        rc = ft_scan_part_read(ps.v[i].f, ps.v[i].path, &ps.v[i].line, &fx.small, &parts[i], err);
    if (rc == FT_OK)
        rc = ft_scan_finish_parts(&fx.small, &p, parts, 2, &a, err);
    if (rc == FT_OK) {
        fprintf(out, "%s %d\n", ps.v[0].args[0], ps.status);
        ft_alerts_write(out, &fx.small, &a, NULL, FT_FORMAT_JSONL);
    }
    ft_alerts_free(&a);
    ft_scan_part_free(parts[0]);
    ft_scan_part_free(parts[1]);
    ft_shard_parts_close(&ps);
    return rc;
}

static ft_status sc_scan_state(FILE *out, ft_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s/state", fx.dir);
    unlink(path);
    ft_scan_state st = {0};
    ft_alerts a = {0};
    ft_alert al = {0};
    al.id = 0x1234;
    a.v = &al;
    a.n = 1;
    ft_status rc = ft_scan_state_load(&st, path, err);
    if (rc == FT_OK)
        rc = ft_scan_state_save(&st, &a, path, err);
    ft_scan_state_free(&st);
    if (rc == FT_OK)
        rc = ft_scan_state_load(&st, path, err);
    if (rc == FT_OK)
        fprintf(out, "%zu %d\n", st.n, ft_scan_state_has(&st, 0x1234));
    ft_scan_state_free(&st);
    return rc;
}

static ft_status sc_eval(FILE *out, ft_error *err)
{
    ft_eval *ev = NULL;
    ft_eval_options o;
    ft_eval_defaults(&o);
    ft_eval_result res = {0};
    ft_status rc = ft_eval_new(&ev, err);
    if (rc == FT_OK)
        rc = ft_eval_truth_file(ev, fx.truth, NULL, err);
    if (rc == FT_OK)
        rc = ft_eval_alerts(ev, fx.alerts, err);
    if (rc == FT_OK)
        rc = ft_eval_score(ev, &o, &res, err);
    if (rc == FT_OK)
        ft_eval_write(out, &res, FT_FORMAT_JSON);
    ft_eval_result_free(&res);
    ft_eval_free(ev);
    return rc;
}

static ft_status sc_writer(FILE *out, ft_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s/w.txt.gz", fx.dir);
    ft_writer w = {.fd = -1};
    ft_status rc = ft_writer_open(&w, path, true, err);
    FILE *f = rc == FT_OK ? ft_writer_stream(&w) : NULL;
    if (f)
        for (int i = 0; i < 1000; i++)
            fprintf(f, "line %d\n", i);
    if (rc == FT_OK)
        rc = ft_writer_close(&w, err);
    ft_writer_abort(&w);
    if (rc == FT_OK)
        fputs("written\n", out);
    return rc;
}

static ft_status synth_run(FILE *out, int countries, ft_error *err)
{
    char data[160], truth[160];
    snprintf(data, sizeof data, "%s/syn.csv", fx.dir);
    snprintf(truth, sizeof truth, "%s/syn_truth.csv", fx.dir);
    ft_synth_options o;
    ft_synth_defaults(&o);
    o.rows = 3000;
    o.days = 30;
    o.accounts = 1000;
    o.planted = 0.1;
    o.countries = countries;
    o.cross_border = 0.3;
    ft_writer dw = {.fd = -1}, tw = {.fd = -1};
    ft_synth_report rep;
    ft_status rc = ft_writer_open(&dw, data, false, err);
    if (rc == FT_OK)
        rc = ft_writer_open(&tw, truth, false, err);
    if (rc == FT_OK)
        rc = ft_synth_write(&o, &dw, &tw, &rep, err);
    if (rc == FT_OK)
        rc = ft_writer_close(&dw, err);
    if (rc == FT_OK)
        rc = ft_writer_close(&tw, err);
    ft_writer_abort(&dw);
    ft_writer_abort(&tw);
    if (rc == FT_OK)
        fprintf(out, "%lld %lld\n", (long long)rep.rows, (long long)rep.planted_rows);
    return rc;
}

static ft_status sc_synth(FILE *out, ft_error *err)
{
    return synth_run(out, 0, err);
}

/* With countries: the same allocations, other paths to them. */
static ft_status sc_synth_countries(FILE *out, ft_error *err)
{
    return synth_run(out, 5, err);
}

static ft_status sc_rules(FILE *out, ft_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sample_rules.ini", FT_TEST_DATA);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_rules *r = NULL;
    ft_status rc = ft_rules_load(&r, path, &p, err);
    ft_alerts a = {0};
    if (rc == FT_OK) /* and the alerts they make (detect_rules.c) */
        rc = ft_scan_run(&fx.small, &p, 1, &a, err);
    if (rc == FT_OK)
        ft_alerts_write(out, &fx.small, &a, NULL, FT_FORMAT_JSONL);
    ft_alerts_free(&a);
    ft_rules_free(r);
    return rc;
}

/* Pseudonymised output: the store's tokens, a scan written through them,
 * and match over two files of tokens and one of raw ids. */
static ft_status sc_pseudo(FILE *out, ft_error *err)
{
    ft_pseudo_key k;
    ft_status rc = ft_pseudo_key_set(&k, "0123456789abcdef0123456789abcdef", 32, err);
    ft_alerts a = {0};
    ft_scan_params p;
    ft_scan_defaults(&p);
    if (rc == FT_OK)
        rc = ft_store_pseudonymise(&fx.small, &k, err);
    if (rc == FT_OK)
        rc = ft_scan_run(&fx.small, &p, 1, &a, err);
    if (rc == FT_OK)
        ft_alerts_write(out, &fx.small, &a, NULL, FT_FORMAT_JSONL);
    ft_alerts_free(&a);
    free(fx.small.pseudo);
    fx.small.pseudo = NULL;
    ft_match m = {0};
    const char *ab[2] = {fx.tokens, fx.rawids};
    if (rc == FT_OK)
        rc = ft_match_files(ab, &k, &m, err);
    for (size_t i = 0; rc == FT_OK && i < m.n; i++)
        fprintf(out, "%s %llu %llu\n", m.v[i].token, (unsigned long long)m.v[i].count[0],
                (unsigned long long)m.v[i].count[1]);
    ft_match_free(&m);
    return rc;
}

/* The provenance record: built from a store, written, read back from a
 * file, and data checked against it. */
static ft_status sc_provenance(FILE *out, ft_error *err)
{
    char *argv[] = {"fundtrace", "scan", "--format", "jsonl", "small.csv"};
    ft_provenance p = {0}, q = {0};
    ft_verify v = {0};
    char path[160];
    snprintf(path, sizeof path, "%s/prov.jsonl", fx.dir);
    ft_status rc = ft_prov_init(&p, "scan", 5, argv, err);
    if (rc == FT_OK)
        rc = ft_prov_param_add(&p, "format", "jsonl", err);
    if (rc == FT_OK)
        rc = ft_prov_add_file(&p, "rules", fx.alerts, err);
    if (rc == FT_OK)
        rc = ft_prov_set_inputs(&p, &fx.small, NULL, err);
    if (rc == FT_OK) {
        fault_pause(true);
        FILE *f = fopen(path, "w");
        fault_pause(false);
        bool ok = ft_prov_begin(f, &p, FT_FORMAT_JSONL, false);
        fault_pause(true);
        fclose(f);
        fault_pause(false);
        if (!ok)
            rc = ft_error_oom(err);
    }
    if (rc == FT_OK)
        rc = ft_prov_read(&q, path, err);
    const char *data[] = {fx.small_path};
    if (rc == FT_OK)
        rc = ft_prov_verify(&q, data, 1, &v, err);
    if (rc == FT_OK) {
        fprintf(out, "%s %zu inputs, %zu files\n", q.command, q.ninputs, q.nfiles);
        for (size_t i = 0; i < v.n; i++)
            fprintf(out, "%d %s\n", v.v[i].ok, v.v[i].text);
    }
    ft_verify_free(&v);
    ft_prov_free(&q);
    ft_prov_free(&p);
    return rc;
}

/* The audit log: a line appended (what the command returned gathered
 * first), the chain verified, the summary written. */
static ft_status sc_audit(FILE *out, ft_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s/audit.log", fx.dir);
    fault_pause(true);
    unlink(path);
    fault_pause(false);
    char *argv[] = {"fundtrace", "trace", "--from", "alice", "small.csv"};
    ft_provenance p = {0};
    ft_audit_result r = {0};
    ft_audit_verdict v;
    ft_status rc = ft_prov_init(&p, "trace", 5, argv, err);
    if (rc == FT_OK)
        rc = ft_prov_set_inputs(&p, &fx.small, NULL, err);
    if (rc == FT_OK)
        rc = ft_audit_account(&r, "alice", err);
    if (rc == FT_OK)
        rc = ft_audit_count(&r, "seeds_traced", 1, err);
    if (rc == FT_OK)
        rc = ft_audit_alert(&r, "00000000000000aa", err);
    ft_audit_entry e = {.user = "u",
                        .host = "h",
                        .case_id = "C",
                        .purpose = "P",
                        .prov = &p,
                        .time_ms = 0,
                        .result = &r};
    for (int i = 0; i < 2 && rc == FT_OK; i++)
        rc = ft_audit_append(path, &e, err);
    if (rc == FT_OK)
        rc = ft_audit_verify(path, &v, err);
    if (rc == FT_OK) {
        fprintf(out, "%lld lines, bad %lld, head %s\n", (long long)v.lines, (long long)v.bad_line,
                v.head);
        rc = ft_audit_summary(path, out, FT_FORMAT_JSONL, err);
    }
    ft_audit_result_free(&r);
    ft_prov_free(&p);
    return rc;
}

/* The HTML report of a trace over the small fixture (the picture left
 * out: Graphviz is another process). */
static ft_status sc_report(FILE *out, ft_error *err)
{
    ft_trace_options o;
    ft_trace_defaults(&o);
    ft_trace_index *ix = NULL;
    ft_tracer *tr = NULL;
    const ft_trace_result *res = NULL;
    ft_subgraph g = {0};
    uint32_t *txns = NULL, seed = account(&fx.small, "alice");
    ft_export_limits l;
    ft_export_defaults(&l);
    ft_status rc = ft_trace_index_new(&ix, &fx.small, false, err);
    if (rc == FT_OK)
        rc = ft_tracer_new(&tr, ix, err);
    if (rc == FT_OK)
        rc = ft_trace_run(tr, &o, seed, -1, &res, err);
    if (rc == FT_OK && !(txns = malloc(((size_t)res->nedges + 1) * sizeof *txns)))
        rc = ft_error_oom(err);
    for (uint32_t e = 0; rc == FT_OK && e < res->nedges; e++)
        txns[e] = res->edges[e].txn;
    if (rc == FT_OK)
        rc = ft_export_transfers(&fx.small, txns, res->nedges, &seed, 1, &l, &g, err);
    ft_report r = {.kind = FT_REPORT_TRACE, .g = &g, .subject = "alice", .trace = res, .topt = &o};
    if (rc == FT_OK)
        rc = ft_report_html(out, &fx.small, &r, err);
    ft_subgraph_free(&g);
    free(txns);
    ft_tracer_free(tr);
    ft_trace_index_free(ix);
    return rc;
}

/* The study's HTML page (study_report.h) of a hand-built result over the
 * small fixture, labelled, with a trace and a provenance record. */
static ft_status sc_study_report(FILE *out, ft_error *err)
{
    char *argv[] = {"fundtrace", "study", "--html", "r.html", "small.csv"};
    ft_provenance p = {0};
    ft_study_party parties[2] = {{.name = "DE", .accounts = 2, .transfers = 3, .alerts = 1},
                                 {.name = "FR", .accounts = 1, .transfers = 2}};
    ft_study_row rows[2] = {
        {.name = "cycle", .instances = 2, .found = {2, 1, 2}, .alerts = {2, 1, 2}},
        {.name = "overall", .instances = 2, .found = {2, 1, 2}, .alerts = {3, 1, 2}}};
    ft_study_trace_row trace = {.seed = account(&fx.small, "alice"),
                                .traced = true,
                                .reached = {3, 1, 3},
                                .held = {100, 5, 100}};
    ft_study_result r = {.transfers = 5,
                         .accounts = 3,
                         .parties = parties,
                         .nparties = 2,
                         .labelled = true,
                         .rows = rows,
                         .nrows = 2,
                         .traces = &trace,
                         .ntraces = 1};
    r.cost[FT_STUDY_POOLED] = (ft_study_cost){.records_crossing = 5, .share_seen_abroad = 1};
    ft_status rc = ft_prov_init(&p, "study", 5, argv, err);
    if (rc == FT_OK)
        rc = ft_prov_set_inputs(&p, &fx.small, NULL, err);
    p.time_ms = 0; /* the same output every run */
    ft_study_html_options o = {.prov = &p};
    if (rc == FT_OK)
        rc = ft_study_html(out, &fx.small, &r, &o, err);
    ft_prov_free(&p);
    return rc;
}

/* Reads a file the scenario wrote into out (the test's own work). */
static void copy_out(FILE *out, const char *path)
{
    fault_pause(true);
    size_t len;
    char *text = slurp(path, &len);
    fwrite(text, 1, len, out);
    free(text);
    fault_pause(false);
}

static ft_status sc_features(FILE *out, ft_error *err)
{
    char csv[160], mat[160];
    snprintf(csv, sizeof csv, "%s/f.csv", fx.dir);
    snprintf(mat, sizeof mat, "%s/f.mat", fx.dir);
    ft_features_opts o;
    ft_features_defaults(&o);
    ft_features *f = NULL;
    ft_status rc = ft_features_compute(&fx.bank, &o, 2, &f, err);
    if (rc == FT_OK)
        rc = ft_features_write_csv(f, fx.bank_label, csv, 2, err);
    if (rc == FT_OK)
        rc = ft_features_write_matrix(f, NULL, mat, 1, err);
    ft_features_free(f);
    if (rc == FT_OK) {
        copy_out(out, csv);
        copy_out(out, mat);
    }
    return rc;
}

/* learn, the model file written and read back, and scan --model */
static ft_status sc_learn(FILE *out, ft_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s/m.ftm", fx.dir);
    ft_learn_opts lo;
    ft_learn_defaults(&lo);
    lo.max_rounds = 5;
    ft_model m = {0}, back = {0};
    ft_learn_report rep;
    ft_alerts a = {0};
    ft_status rc = ft_learn(&fx.bank, fx.bank_label, &lo, &m, &rep, err);
    if (rc == FT_OK)
        rc = ft_model_write(&m, path, err);
    if (rc == FT_OK)
        rc = ft_model_read(&back, path, err);
    if (rc == FT_OK)
        rc = ft_model_check(&back, &lo.features, path, err);
    if (rc == FT_OK)
        rc = ft_model_scan(&fx.bank, &back, NULL, 2, &a, err);
    if (rc == FT_OK) {
        copy_out(out, path);
        ft_alerts_write(out, &fx.bank, &a, NULL, FT_FORMAT_JSONL);
    }
    ft_alerts_free(&a);
    ft_model_free(&m);
    ft_model_free(&back);
    return rc;
}

static ft_status sc_tune(FILE *out, ft_error *err)
{
    char path[160];
    snprintf(path, sizeof path, "%s/tuned.ini", fx.dir);
    ft_eval *ev = NULL;
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_tune_opts o;
    ft_tune_defaults(&o);
    o.passes = 1; /* the cycle's parameters and scan.min_score, on the small bank */
    for (int k = 0; k < FT_PAT_COUNT; k++)
        o.kinds[k] = k == FT_PAT_CYCLE;
    ft_tune_result res = {0};
    ft_status rc = ft_eval_new(&ev, err);
    if (rc == FT_OK)
        rc = ft_eval_truth_file(ev, fx.truth, NULL, err);
    if (rc == FT_OK)
        rc = ft_tune_run(&fx.small, ev, &p, &o, &res, err);
    if (rc == FT_OK)
        rc = ft_tune_write(&res, &o, "bank.csv", "truth.csv", path, err);
    if (rc == FT_OK)
        copy_out(out, path);
    ft_tune_result_free(&res);
    ft_eval_free(ev);
    return rc;
}

/* A study of the small bank: jurisdictions from its keys, pooled and
 * siloed scans scored against its truth, pooled and federated traces. */
static ft_status sc_study(FILE *out, ft_error *err)
{
    ft_eval *ev = NULL;
    ft_jurisdictions j = {0};
    ft_study_options o;
    ft_scan_defaults(&o.scan);
    ft_eval_defaults(&o.eval);
    o.threads = 2;
    o.match_rounds = 0;
    ft_study_result res = {0};
    ft_status rc = ft_eval_new(&ev, err);
    if (rc == FT_OK)
        rc = ft_eval_truth_file(ev, fx.truth, NULL, err);
    if (rc == FT_OK)
        rc = ft_jurisdictions_make(&fx.small, NULL, &j, err);
    if (rc == FT_OK)
        rc = ft_study_run(&fx.small, &j, ev, &o, &res, err);
    /* and three traces, pooled and federated */
    ft_trace_options to;
    ft_trace_defaults(&to);
    uint32_t seeds[3] = {0, 1, 2};
    if (rc == FT_OK && !(res.traces = calloc(3, sizeof *res.traces)))
        rc = ft_error_oom(err);
    if (rc == FT_OK) {
        res.ntraces = 3;
        rc = ft_study_trace(&fx.small, &j, &to, false, seeds, 3, res.traces, res.trace_cpu_seconds,
                            err);
    }
    if (rc == FT_OK) {
        /* CPU seconds differ from run to run: not part of what is compared */
        for (int k = 0; k < FT_STUDY_NARR; k++)
            res.cost[k].cpu_seconds = res.trace_cpu_seconds[k] = 0;
        ft_study_write(out, &fx.small, &res, FT_FORMAT_JSON);
    }
    ft_study_result_free(&res);
    ft_jurisdictions_free(&j);
    ft_eval_free(ev);
    return rc;
}

/* The data's profile made, written, read back and given to a scan. */
static ft_status sc_scan_profile(FILE *out, ft_error *err)
{
    ft_scan_params p;
    ft_scan_defaults(&p);
    char path[160];
    snprintf(path, sizeof path, "%s/scan.profile", fx.dir);
    ft_scan_profile *made = NULL, *read = NULL;
    ft_alerts a = {0};
    ft_status rc = ft_scan_profile_build(&fx.small, &p, 2, &made, err);
    if (rc == FT_OK)
        rc = ft_scan_profile_write(made, path, err);
    if (rc == FT_OK)
        rc = ft_scan_profile_read(path, &read, err);
    p.profile = read;
    if (rc == FT_OK)
        rc = ft_scan_run(&fx.small, &p, 1, &a, err);
    if (rc == FT_OK)
        ft_alerts_write(out, &fx.small, &a, NULL, FT_FORMAT_JSONL);
    ft_alerts_free(&a);
    ft_scan_profile_free(made);
    ft_scan_profile_free(read);
    return rc;
}

static const struct scenario {
    const char *name;
    scenario_fn fn;
    bool known_bug; /* left out of "all" (see tests/CMakeLists.txt) */
} scenarios[] = {
    {"ingest", sc_ingest, false},
    {"statements", sc_statements, false},
    {"conventions", sc_conventions, false},
    {"threaded", sc_threaded, false},
    {"snapshot", sc_snapshot, false},
    {"stats", sc_stats, false},
    {"graph", sc_graph, false},
    {"trace", sc_trace, false},
    {"trace_batch", sc_trace_batch, false},
    {"periods", sc_periods, false},
    {"periods_whole", sc_periods_whole, false},
    {"periods_range", sc_periods_range, false},
    {"trace_periods", sc_trace_periods, false},
    {"trace_breadth", sc_trace_breadth, false},
    {"handoff", sc_handoff, false},
    {"paths", sc_paths, false},
    {"paths_all", sc_paths_all, false},
    {"paths_report", sc_paths_report, false},
    {"cluster", sc_cluster, false},
    {"export", sc_export, false},
    {"export_trace", sc_export_trace, false},
    {"readers", sc_readers, false},
    {"scan", sc_scan, false},
    {"scan_state", sc_scan_state, false},
    {"scan_shard", sc_scan_shard, false},
    {"scan_profile", sc_scan_profile, false},
    {"eval", sc_eval, false},
    {"writer", sc_writer, false},
    {"synth", sc_synth, false},
    {"synth_countries", sc_synth_countries, false},
    {"rules", sc_rules, false},
    {"pseudo", sc_pseudo, false},
    {"provenance", sc_provenance, false},
    {"audit", sc_audit, false},
    {"report", sc_report, false},
    {"study_report", sc_study_report, false},
    {"features", sc_features, false},
    {"learn", sc_learn, false},
    {"tune", sc_tune, false},
    {"study", sc_study, false},
};

#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* --- the driver ----------------------------------------------------------------------------- */

/* Runs fn once with the n-th fallible call failing (0: none); the output
 * in *text (the test's own, not counted). */
static ft_status run(scenario_fn fn, uint64_t n, char **text, size_t *len, ft_error *err)
{
    fault_pause(true);
    FILE *out = open_memstream(text, len);
    fault_pause(false);
    if (!out)
        exit(2);
    ft_error_clear(err);
    fault_arm(n);
    ft_status rc = fn(out, err);
    fault_pause(true);
    fclose(out);
    fault_pause(false);
    return rc;
}

static bool clear_error(const ft_error *err)
{
    return (err->code == FT_ENOMEM && strstr(err->msg, "out of memory")) ||
           (err->code == FT_EIGRAPH && strstr(err->msg, "injected fault"));
}

static int check(const struct scenario *sc, uint64_t stride)
{
    ft_error err;
    char *ref = NULL, *got = NULL;
    size_t reflen = 0, gotlen = 0;
    size_t live0 = fault_live();
    ft_status rc = run(sc->fn, 0, &ref, &reflen, &err);
    uint64_t k = fault_calls();
    if (rc != FT_OK) {
        printf("%s: fails without a fault: %s\n", sc->name, err.msg);
        return 1;
    }
    if (fault_live() != live0) {
        printf("%s: leaks without a fault (%zu alive)\n", sc->name, fault_live() - live0);
        return 1;
    }
    int bad = 0;
    uint64_t errors = 0, recovered = 0;
    for (uint64_t n = 1; n <= k && bad < 5; n += stride) {
        rc = run(sc->fn, n, &got, &gotlen, &err);
        bool fired = fault_fired();
        const char *why = NULL;
        if (rc == FT_OK && (gotlen != reflen || memcmp(got, ref, reflen) != 0))
            why = "succeeded with another result";
        else if (rc != FT_OK && !fired)
            why = "failed with no fault";
        else if (rc != FT_OK && !clear_error(&err))
            why = "failed without a clear error";
        else if (fault_live() != live0)
            why = "leaked";
        else if (IGRAPH_FINALLY_STACK_SIZE() != 0)
            why = "left igraph's cleanup stack";
        if (why) {
            printf("%s: call %llu of %llu failing: %s (status %d: %s; %zu alive)\n", sc->name,
                   (unsigned long long)n, (unsigned long long)k, why, rc, err.msg,
                   fault_live() - live0);
            bad++;
            IGRAPH_FINALLY_FREE();
        }
        errors += rc != FT_OK;
        recovered += rc == FT_OK && fired;
        free(got);
        got = NULL;
    }
    free(ref);
    printf("%s: %llu fallible calls, each failed in turn%s: %llu errors, %llu worked around, "
           "%s\n",
           sc->name, (unsigned long long)k, stride > 1 ? " (a stride)" : "",
           (unsigned long long)errors, (unsigned long long)recovered, bad ? "FAILED" : "ok");
    return bad ? 1 : 0;
}

/* A small synthetic bank with planted patterns in both halves of its time. */
static void make_bank(void)
{
    char data[160];
    snprintf(data, sizeof data, "%s/bank.csv", fx.dir);
    snprintf(fx.bank_truth, sizeof fx.bank_truth, "%s/bank_truth.csv", fx.dir);
    ft_synth_options o;
    ft_synth_defaults(&o);
    o.seed = 3;
    o.rows = 1200;
    o.days = 30;
    o.accounts = 250;
    o.planted = 0.1;
    ft_writer dw = {.fd = -1}, tw = {.fd = -1};
    ft_synth_report rep;
    ft_error err;
    const char *paths[] = {data};
    uint64_t matched = 0;
    ft_eval *ev = NULL;
    if (ft_writer_open(&dw, data, false, &err) != FT_OK ||
        ft_writer_open(&tw, fx.bank_truth, false, &err) != FT_OK ||
        ft_synth_write(&o, &dw, &tw, &rep, &err) != FT_OK || ft_writer_close(&dw, &err) != FT_OK ||
        ft_writer_close(&tw, &err) != FT_OK ||
        ft_ingest_files(&fx.bank, paths, 1, NULL, &err) != FT_OK ||
        ft_store_adjacency(&fx.bank, &err) != FT_OK || ft_eval_new(&ev, &err) != FT_OK ||
        ft_eval_truth_file(ev, fx.bank_truth, NULL, &err) != FT_OK ||
        !(fx.bank_label = calloc((size_t)fx.bank.t.n, 1)) ||
        ft_eval_truth_mark(ev, &fx.bank, fx.bank_label, &matched, &err) != FT_OK) {
        fprintf(stderr, "fixture bank: %s\n", err.msg);
        exit(2);
    }
    ft_eval_free(ev);
}

static void setup(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/small.csv", FT_TEST_DATA);
    fx.small_csv = slurp(path, &fx.small_len);
    snprintf(fx.small_path, sizeof fx.small_path, "%s", path);
    snprintf(path, sizeof path, "%s/paths_hand.csv", FT_TEST_DATA);
    fx.paths_csv = slurp(path, &fx.paths_len);
    load(&fx.small, "small.csv", fx.small_csv, fx.small_len);
    load(&fx.paths, "paths_hand.csv", fx.paths_csv, fx.paths_len);
    load(&fx.hops, "hops.csv", HOPS_CSV, sizeof HOPS_CSV - 1);
    ft_error err;
    if (ft_store_txid_index(&fx.small, &err) != FT_OK)
        exit(2);
    snprintf(fx.dir, sizeof fx.dir, "/tmp/fundtrace-faults-XXXXXX");
    if (!mkdtemp(fx.dir))
        exit(2);
    snprintf(fx.alerts, sizeof fx.alerts, "%s/alerts.jsonl", fx.dir);
    spill(fx.alerts,
          "{\"id\":\"00000000000000aa\",\"kind\":\"cycle\",\"score\":0.9,"
          "\"accounts\":[\"bob\",\"carol\",\"dave\"],\"txns\":[\"T02\",\"T03\",\"T04\"]}\n"
          "{\"id\":\"00000000000000bb\",\"kind\":\"fan_out\",\"score\":0.5,"
          "\"accounts\":[\"alice\"],\"txns\":[\"T01\",\"T02\"]}\n");
    snprintf(fx.trace, sizeof fx.trace, "%s/trace.jsonl", fx.dir);
    spill(fx.trace, "{\"seed\":\"alice\",\"account\":\"alice\",\"hops\":0,\"amounts\":{},"
                    "\"txns\":[]}\n"
                    "{\"seed\":\"alice\",\"account\":\"bob\",\"hops\":1,\"amounts\":{},"
                    "\"txns\":[\"T01\"]}\n");
    snprintf(fx.truth, sizeof fx.truth, "%s/truth.csv", fx.dir);
    spill(fx.truth, "instance_id,pattern,params,txn_ids,accounts\n"
                    "1,cycle,,T02 T03 T04,bob carol dave\n");
    snprintf(fx.tokens, sizeof fx.tokens, "%s/tokens.csv", fx.dir);
    spill(fx.tokens, "account\nps-433deb45467e4e53dbaba594c88bc3a2\n"
                     "ps-00000000000000000000000000000000\n");
    snprintf(fx.rawids, sizeof fx.rawids, "%s/raw.txt", fx.dir);
    spill(fx.rawids, "alice\nbob\n");
    make_bank();
    ft_graph_setup();
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_faults all|SCENARIO\n");
        return 2;
    }
    const char *s = getenv("FT_FAULTS_STRIDE");
    uint64_t stride = s && atoi(s) > 0 ? (uint64_t)atoi(s) : 1;
    setvbuf(stdout, NULL, _IOLBF, 0); /* every line out before a crash */
    setup();
    int bad = 0, ran = 0;
    for (size_t i = 0; i < NSCENARIOS; i++) {
        bool all = strcmp(argv[1], "all") == 0;
        if (all ? scenarios[i].known_bug : strcmp(argv[1], scenarios[i].name) != 0)
            continue;
        bad += check(&scenarios[i], stride);
        ran++;
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx.dir);
    if (system(cmd) != 0)
        bad++;
    ft_store_free(&fx.small);
    ft_store_free(&fx.paths);
    ft_store_free(&fx.hops);
    ft_store_free(&fx.bank);
    free(fx.bank_label);
    free(fx.small_csv);
    free(fx.paths_csv);
    if (!ran) {
        fprintf(stderr, "test_faults: no scenario '%s'\n", argv[1]);
        return 2;
    }
    return bad ? 1 : 0;
}
