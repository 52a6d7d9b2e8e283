/*
 * test_synth.c - the generator's promises: exactly --rows rows that load
 * with no rejects, byte-identical output for a seed, a ground truth that
 * matches the labelled rows exactly, and every planted instance really of
 * its declared shape.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/ingest.h"
#include "fundtrace/pool.h"
#include "fundtrace/synth.h"
#include "fundtrace/time.h"

#define ROWS 60000

/* Runs synth into DIR/NAME and DIR/NAME.truth. */
static void run_synth(const ft_synth_options *o, const char *dir, const char *name,
                      ft_synth_report *rep)
{
    char data[512], truth[512];
    snprintf(data, sizeof data, "%s/%s", dir, name);
    snprintf(truth, sizeof truth, "%s/%s.truth", dir, name);
    ft_writer d, t;
    ft_error err;
    assert_int_equal(ft_writer_open(&d, data, false, &err), FT_OK);
    assert_int_equal(ft_writer_open(&t, truth, false, &err), FT_OK);
    if (ft_synth_write(o, &d, &t, rep, &err) != FT_OK)
        fail_msg("synth: %s", err.msg);
    assert_int_equal(ft_writer_close(&d, &err), FT_OK);
    assert_int_equal(ft_writer_close(&t, &err), FT_OK);
}

static void small_options(ft_synth_options *o, uint64_t seed)
{
    ft_synth_defaults(o);
    o->seed = seed;
    o->rows = ROWS;
    o->days = 120;
    o->planted = 0.05;
}

/* Runs `o` twice with its seed and once with the next: the same bytes, data
 * and truth, then different ones; exactly the rows asked for each time. */
static void check_same_bytes(ft_synth_options *o)
{
    char *dir = tu_tmpdir();
    ft_synth_report r1, r2, r3;
    run_synth(o, dir, "a.csv", &r1);
    run_synth(o, dir, "b.csv", &r2);
    o->seed++;
    run_synth(o, dir, "c.csv", &r3);
    char p[512];
    size_t la, lb, lc, ta, tb;
    snprintf(p, sizeof p, "%s/a.csv", dir);
    char *a = tu_read(p, &la);
    snprintf(p, sizeof p, "%s/b.csv", dir);
    char *b = tu_read(p, &lb);
    snprintf(p, sizeof p, "%s/c.csv", dir);
    char *c = tu_read(p, &lc);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    snprintf(p, sizeof p, "%s/a.csv.truth", dir);
    char *at = tu_read(p, &ta);
    snprintf(p, sizeof p, "%s/b.csv.truth", dir);
    char *bt = tu_read(p, &tb);
    assert_int_equal(ta, tb);
    assert_memory_equal(at, bt, ta);
    assert_int_equal(r1.rows, o->rows);
    assert_int_equal(r3.rows, o->rows);
    free(a);
    free(b);
    free(c);
    free(at);
    free(bt);
    tu_rmdir(dir);
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    ft_synth_options o;
    ft_error err;
    small_options(&o, 7);
    check_same_bytes(&o);
    small_options(&o, 7);
    o.days = 365;
    o.model_column = true;
    assert_int_equal(ft_synth_profile(&o, "wide", &err), FT_OK);
    check_same_bytes(&o);
}

/* One planted instance from the truth file, with its rows found in the
 * loaded store. */
typedef struct truth {
    char id[16];
    ft_pattern pattern;
    char params[160];
    int64_t rows[1024];
    int nrows;
    char accounts[128][40];
    int naccounts;
} truth;

static int64_t row_of(const ft_store *s, int64_t txid)
{
    /* synth numbers rows 1..N in time order, and the store is in time
     * order, so row i has id i + 1; check it rather than trust it. */
    int64_t i = txid - 1;
    assert_true(i >= 0 && i < s->t.n);
    assert_int_equal(s->t.txid[i], txid);
    return i;
}

static int parse_truth(const ft_store *s, char *text, truth *out, int max)
{
    int n = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save); /* the header */
    assert_string_equal(line, "instance_id,pattern,params,txn_ids,accounts");
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        assert_true(n < max);
        truth *t = &out[n++];
        memset(t, 0, sizeof *t);
        char *f[5];
        for (int k = 0; k < 5; k++) {
            f[k] = line;
            char *comma = strchr(line, ',');
            if (k < 4) {
                assert_non_null(comma);
                *comma = '\0';
                line = comma + 1;
            }
        }
        snprintf(t->id, sizeof t->id, "%s", f[0]);
        snprintf(t->params, sizeof t->params, "%s", f[2]);
        assert_true(ft_pattern_parse(f[1], strlen(f[1]), &t->pattern));
        for (char *id = f[3]; *id;) {
            assert_true(t->nrows < 1024);
            t->rows[t->nrows++] = row_of(s, strtoll(id, &id, 10));
            if (*id == ';')
                id++;
        }
        for (char *a = f[4]; *a;) {
            size_t len = strcspn(a, ";");
            assert_true(t->naccounts < 128 && len < 40);
            memcpy(t->accounts[t->naccounts], a, len);
            t->accounts[t->naccounts++][len] = '\0';
            a += len + (a[len] == ';');
        }
    }
    return n;
}

static const char *key(const ft_store *s, uint32_t id)
{
    return ft_store_account(s, id, NULL);
}

static double amt(const ft_store *s, int64_t i)
{
    return (double)s->t.amount[i];
}

/* The ranges a profile promises, as the checks below need them (hours,
 * days and euros as in fundtrace-synth(1)). */
typedef struct bounds {
    int fan_lo, fan_hi;
    double fan_span_h, fan_leg_low;
    int sg_lo, sg_hi;
    double sg_delay_h, sg_keep_lo, sg_keep_hi;
    int gs_lo, gs_hi;
    int cyc_lo, cyc_hi;
    double cyc_gap_h, cyc_keep_lo, cyc_keep_hi, cyc_window_d;
    int stk_lo, stk_hi, stk_width;
    double stk_gap_h, stk_keep_lo, stk_keep_hi;
    int bip_lo, bip_hi;
    int pt_lo, pt_hi;
    double pt_delay_h, pt_keep_lo, pt_amount_lo, pt_amount_hi;
    int st_lo, st_hi;
    double st_window_d, st_low;
    int rp_lo, rp_hi;
    double rp_delay_min, rp_keep_lo;
    int tf_lo, tf_hi, tf_out_hi;
    double tf_share_lo, tf_share_hi, tf_don_lo, tf_don_hi;
} bounds;

static const bounds default_bounds = {
    .fan_lo = 8,
    .fan_hi = 20,
    .fan_span_h = 48,
    .fan_leg_low = 0.85,
    .sg_lo = 4,
    .sg_hi = 10,
    .sg_delay_h = 24,
    .sg_keep_lo = 0.9,
    .sg_keep_hi = 0.99,
    .gs_lo = 5,
    .gs_hi = 12,
    .cyc_lo = 2,
    .cyc_hi = 6,
    .cyc_gap_h = 24,
    .cyc_keep_lo = 0.8,
    .cyc_keep_hi = 1.0,
    .cyc_window_d = 20,
    .stk_lo = 4,
    .stk_hi = 8,
    .stk_width = 1,
    .stk_gap_h = 6,
    .stk_keep_lo = 0.9,
    .stk_keep_hi = 0.99,
    .bip_lo = 3,
    .bip_hi = 6,
    .pt_lo = 3,
    .pt_hi = 6,
    .pt_delay_h = 12,
    .pt_keep_lo = 0.95,
    .pt_amount_lo = 2000,
    .pt_amount_hi = 15000,
    .st_lo = 5,
    .st_hi = 10,
    .st_window_d = 7,
    .st_low = 0.85,
    .rp_lo = 4,
    .rp_hi = 8,
    .rp_delay_min = 30,
    .rp_keep_lo = 0.9,
    .tf_lo = 15,
    .tf_hi = 40,
    .tf_out_hi = 3,
    .tf_share_lo = 0.8,
    .tf_share_hi = 0.95,
    .tf_don_lo = 20,
    .tf_don_hi = 200,
};

static const bounds wide_bounds = {
    .fan_lo = 4,
    .fan_hi = 20,
    .fan_span_h = 5760,
    .fan_leg_low = 0.1,
    .sg_lo = 3,
    .sg_hi = 15,
    .sg_delay_h = 168,
    .sg_keep_lo = 0.7,
    .sg_keep_hi = 1.0,
    .gs_lo = 3,
    .gs_hi = 15,
    .cyc_lo = 3,
    .cyc_hi = 10,
    .cyc_gap_h = 120,
    .cyc_keep_lo = 0.7,
    .cyc_keep_hi = 1.3,
    .cyc_window_d = 20,
    .stk_lo = 3,
    .stk_hi = 10,
    .stk_width = 4,
    .stk_gap_h = 120,
    .stk_keep_lo = 0.8,
    .stk_keep_hi = 1.0,
    .bip_lo = 2,
    .bip_hi = 8,
    .pt_lo = 1,
    .pt_hi = 3,
    .pt_delay_h = 72,
    .pt_keep_lo = 0.85,
    .pt_amount_lo = 3000,
    .pt_amount_hi = 50000,
    .st_lo = 3,
    .st_hi = 10,
    .st_window_d = 14,
    .st_low = 0.7,
    .rp_lo = 2,
    .rp_hi = 8,
    .rp_delay_min = 120,
    .rp_keep_lo = 0.8,
    .tf_lo = 8,
    .tf_hi = 60,
    .tf_out_hi = 5,
    .tf_share_lo = 0.6,
    .tf_share_hi = 1.0,
    .tf_don_lo = 10,
    .tf_don_hi = 500,
};

/* What the wide checks saw at least once, over all instances. */
typedef struct seen {
    int unordered_cycles, ordered_cycles, wide_layers, unlike_fans;
} seen;

/* A cycle: its n transfers join its n accounts into one ring. Ordered
 * cycles go round in time order, each hop within the gap; unordered ones
 * fall within the window. Along the ring each amount keeps a ratio of the
 * one before (all but where the ring was cut open). */
static void check_cycle(const ft_store *s, const truth *t, const bounds *b, seen *sn)
{
    const ft_txns *x = &s->t;
    const int64_t *r = t->rows;
    int n = t->nrows;
    const int64_t M = 60000, H = 60 * M;
    assert_true(n >= b->cyc_lo && n <= b->cyc_hi);
    assert_int_equal(t->naccounts, n);
    int next[64];
    for (int i = 0; i < n; i++) {
        next[i] = -1;
        for (int j = 0; j < n; j++)
            if (x->src[r[j]] == x->dst[r[i]]) {
                assert_int_equal(next[i], -1); /* one way out of each account */
                next[i] = j;
            }
        assert_int_not_equal(next[i], -1);
    }
    int at = 0, ok = 0;
    for (int k = 0; k < n; k++) {
        double ratio = (double)x->amount[r[next[at]]] / (double)x->amount[r[at]];
        ok += ratio >= b->cyc_keep_lo - 0.001 && ratio <= b->cyc_keep_hi + 0.001;
        at = next[at];
        assert_true(k + 1 == n || at != 0); /* one ring through all of them */
    }
    assert_int_equal(at, 0);
    assert_true(ok >= n - 1);
    if (strstr(t->params, "ordered=0")) {
        sn->unordered_cycles++;
        assert_true(x->ts_ms[r[n - 1]] - x->ts_ms[r[0]] <= (int64_t)(b->cyc_window_d * 24 * H));
        return;
    }
    assert_non_null(strstr(t->params, "ordered=1"));
    sn->ordered_cycles++;
    for (int i = 1; i < n; i++) {
        assert_true(x->ts_ms[r[i]] > x->ts_ms[r[i - 1]]); /* strictly later */
        assert_true(x->ts_ms[r[i]] - x->ts_ms[r[i - 1]] <= (int64_t)(b->cyc_gap_h * H) + M);
        assert_int_equal(x->src[r[i]], x->dst[r[i - 1]]);
    }
}

/* A stack: one first payer, one last payee, and between them accounts
 * that each pay on, after all they received and within the gap, a share
 * of it; as many layers as stack.length, as wide as stack.width. */
static void check_stack(const ft_store *s, const truth *t, const bounds *b, seen *sn)
{
    const ft_txns *x = &s->t;
    const int64_t *r = t->rows;
    int n = t->nrows, na = 0;
    const int64_t M = 60000, H = 60 * M;
    uint32_t acct[128];
    int64_t in[128] = {0}, out[128] = {0}, last_in[128] = {0}, first_out[128], depth[128] = {0};
    int outdeg[128] = {0}, indeg[128] = {0};
    for (int i = 0; i < n; i++) {
        int a = -1, c = -1;
        for (int k = 0; k < na; k++) {
            a = acct[k] == x->src[r[i]] ? k : a;
            c = acct[k] == x->dst[r[i]] ? k : c;
        }
        if (a < 0) {
            assert_true(na < 128);
            a = na;
            acct[na] = x->src[r[i]];
            first_out[na++] = INT64_MAX;
        }
        if (c < 0) {
            assert_true(na < 128);
            c = na;
            acct[na] = x->dst[r[i]];
            first_out[na++] = INT64_MAX;
        }
        /* Rows come in time order, and money only moves on after it came:
         * time order is an order of the layers. */
        depth[c] = depth[a] + 1 > depth[c] ? depth[a] + 1 : depth[c];
        out[a] += x->amount[r[i]];
        in[c] += x->amount[r[i]];
        outdeg[a]++;
        indeg[c]++;
        first_out[a] = x->ts_ms[r[i]] < first_out[a] ? x->ts_ms[r[i]] : first_out[a];
        last_in[c] = x->ts_ms[r[i]];
    }
    assert_int_equal(na, t->naccounts);
    int sources = 0, sinks = 0, deepest = 0;
    for (int k = 0; k < na; k++) {
        sources += indeg[k] == 0;
        sinks += outdeg[k] == 0;
        deepest = depth[k] > deepest ? (int)depth[k] : deepest;
        assert_true(outdeg[k] <= b->stk_width && indeg[k] <= b->stk_width);
        if (outdeg[k] >= 2)
            sn->wide_layers++;
        if (indeg[k] == 0 || outdeg[k] == 0)
            continue;
        assert_true(first_out[k] > last_in[k]);
        assert_true(first_out[k] - last_in[k] <= (int64_t)(b->stk_gap_h * H) + M);
        assert_true(out[k] <= in[k] * b->stk_keep_hi + 1);
        assert_true(out[k] >= in[k] * b->stk_keep_lo - outdeg[k]);
    }
    assert_int_equal(sources, 1);
    assert_int_equal(sinks, 1);
    assert_true(deepest >= b->stk_lo && deepest <= b->stk_hi);
}

/* Pattern by pattern, the shape a profile promises. */
static void check_shape(const ft_store *s, const truth *t, const bounds *b, seen *sn)
{
    const int64_t *r = t->rows;
    int n = t->nrows;
    const ft_txns *x = &s->t;
    const int64_t H = 3600000, M = 60000;
    for (int i = 0; i < n; i++)
        assert_string_equal(s->currencies[x->cur[r[i]]].code, "EUR");
    switch (t->pattern) {
    case FT_PAT_FAN_OUT:
    case FT_PAT_FAN_IN: {
        bool out = t->pattern == FT_PAT_FAN_OUT;
        assert_true(n >= b->fan_lo && n <= b->fan_hi);
        uint32_t hub = out ? x->src[r[0]] : x->dst[r[0]];
        int64_t lo = INT64_MAX, hi = 0;
        for (int i = 0; i < n; i++) {
            assert_int_equal(out ? x->src[r[i]] : x->dst[r[i]], hub);
            for (int j = 0; j < i; j++) /* distinct counterparties */
                assert_int_not_equal(out ? x->dst[r[i]] : x->src[r[i]],
                                     out ? x->dst[r[j]] : x->src[r[j]]);
            lo = x->amount[r[i]] < lo ? x->amount[r[i]] : lo;
            hi = x->amount[r[i]] > hi ? x->amount[r[i]] : hi;
        }
        assert_true(x->ts_ms[r[n - 1]] - x->ts_ms[r[0]] <= (int64_t)(b->fan_span_h * H));
        assert_true((double)lo >= b->fan_leg_low * (double)hi - 1);
        sn->unlike_fans += hi > 2 * lo;
        break;
    }
    case FT_PAT_CYCLE:
        check_cycle(s, t, b, sn);
        break;
    case FT_PAT_STACK:
        check_stack(s, t, b, sn);
        break;
    case FT_PAT_SCATTER_GATHER: {
        /* Rows in time order; each middle account first receives from the
         * source, later pays the sink. */
        uint32_t src = x->src[r[0]], sink = UINT32_MAX;
        int legs = 0;
        for (int i = 0; i < n; i++) {
            if (x->src[r[i]] == src) {
                legs++;
                bool paid_on = false;
                for (int j = i + 1; j < n; j++) {
                    if (x->src[r[j]] == x->dst[r[i]]) {
                        if (sink == UINT32_MAX)
                            sink = x->dst[r[j]];
                        assert_int_equal(x->dst[r[j]], sink);
                        assert_true(amt(s, r[j]) <= amt(s, r[i]) * b->sg_keep_hi + 1);
                        assert_true(amt(s, r[j]) >= amt(s, r[i]) * b->sg_keep_lo - 1);
                        assert_true(x->ts_ms[r[j]] - x->ts_ms[r[i]] <=
                                    (int64_t)(b->sg_delay_h * H) + M);
                        paid_on = true;
                    }
                }
                assert_true(paid_on);
            }
        }
        assert_int_equal(2 * legs, n);
        assert_true(legs >= b->sg_lo && legs <= b->sg_hi);
        assert_int_equal(t->naccounts, legs + 2);
        break;
    }
    case FT_PAT_GATHER_SCATTER: {
        /* Every inflow to the hub comes before every outflow. */
        uint32_t hub = x->dst[r[0]];
        int64_t last_in = 0, first_out = INT64_MAX;
        int64_t in = 0, outsum = 0;
        int nin = 0;
        for (int i = 0; i < n; i++) {
            if (x->dst[r[i]] == hub) {
                last_in = x->ts_ms[r[i]];
                in += x->amount[r[i]];
                nin++;
            } else {
                assert_int_equal(x->src[r[i]], hub);
                if (x->ts_ms[r[i]] < first_out)
                    first_out = x->ts_ms[r[i]];
                outsum += x->amount[r[i]];
            }
        }
        assert_true(last_in < first_out);
        assert_true(outsum <= in);
        assert_true(nin >= b->gs_lo && nin <= b->gs_hi);
        assert_true(n - nin >= b->gs_lo && n - nin <= b->gs_hi);
        break;
    }
    case FT_PAT_BIPARTITE: {
        /* Every sender pays every receiver exactly once. */
        int senders = 0, receivers = 0;
        uint32_t sv[16], rv[16];
        for (int i = 0; i < n; i++) {
            int a = 0, c = 0;
            while (a < senders && sv[a] != x->src[r[i]])
                a++;
            if (a == senders)
                sv[senders++] = x->src[r[i]];
            while (c < receivers && rv[c] != x->dst[r[i]])
                c++;
            if (c == receivers)
                rv[receivers++] = x->dst[r[i]];
        }
        assert_int_equal(senders * receivers, n);
        assert_true(senders >= b->bip_lo && senders <= b->bip_hi);
        assert_true(receivers >= b->bip_lo && receivers <= b->bip_hi);
        break;
    }
    case FT_PAT_PASS_THROUGH:
    case FT_PAT_RAPID: {
        /* The mule pays out no more than it just received, soon after. */
        bool rapid = t->pattern == FT_PAT_RAPID;
        assert_int_equal(n % 2, 0);
        assert_true(n / 2 >= (rapid ? b->rp_lo : b->pt_lo) &&
                    n / 2 <= (rapid ? b->rp_hi : b->pt_hi));
        uint32_t mule = x->dst[r[0]];
        int64_t in_ts = 0, in_amt = 0;
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                assert_int_equal(x->dst[r[i]], mule);
                in_ts = x->ts_ms[r[i]];
                in_amt = x->amount[r[i]];
                if (!rapid)
                    assert_true(in_amt >= b->pt_amount_lo * 100 - 1 &&
                                in_amt <= b->pt_amount_hi * 100 + 1);
            } else {
                assert_int_equal(x->src[r[i]], mule);
                assert_true(x->ts_ms[r[i]] > in_ts);
                assert_true(x->ts_ms[r[i]] - in_ts <= (rapid ? (int64_t)(b->rp_delay_min + 1) * M
                                                             : (int64_t)(b->pt_delay_h * H) + M));
                assert_true(x->amount[r[i]] <= in_amt);
                assert_true(amt(s, r[i]) >= in_amt * (rapid ? b->rp_keep_lo : b->pt_keep_lo) - 1);
            }
        }
        break;
    }
    case FT_PAT_STRUCTURING:
        assert_true(n >= b->st_lo && n <= b->st_hi);
        for (int i = 0; i < n; i++) {
            assert_true(x->amount[r[i]] < 1000000); /* below 10,000.00 EUR */
            assert_true(x->amount[r[i]] >= (int64_t)(b->st_low * 1000000) - 1);
            assert_int_equal(x->dst[r[i]], x->dst[r[0]]);
            assert_non_null(strstr(key(s, x->src[r[i]]), ":CASH"));
        }
        assert_true(x->ts_ms[r[n - 1]] - x->ts_ms[r[0]] <= (int64_t)(b->st_window_d * 24 * H));
        break;
    case FT_PAT_TF_COLLECTION: {
        uint32_t collector = x->dst[r[0]];
        int donations = 0, outflows = 0;
        int64_t got = 0, sent = 0, last_in = 0;
        for (int i = 0; i < n; i++) {
            if (x->dst[r[i]] == collector) {
                assert_int_equal(outflows, 0); /* all donations first */
                assert_true(x->amount[r[i]] >= b->tf_don_lo * 100 &&
                            x->amount[r[i]] <= b->tf_don_hi * 100);
                for (int j = 0; j < i; j++)
                    assert_int_not_equal(x->src[r[j]], x->src[r[i]]);
                donations++;
                got += x->amount[r[i]];
                last_in = x->ts_ms[r[i]];
            } else {
                assert_int_equal(x->src[r[i]], collector);
                assert_true(x->ts_ms[r[i]] > last_in);
                /* abroad: the destination's bank is outside the EU set */
                const char *k = key(s, x->dst[r[i]]);
                assert_true(strncmp(k, "SA", 2) == 0 || strncmp(k, "RU", 2) == 0 ||
                            strncmp(k, "IN", 2) == 0 || strncmp(k, "CN", 2) == 0 ||
                            strncmp(k, "MX", 2) == 0 || strncmp(k, "BR", 2) == 0);
                outflows++;
                sent += x->amount[r[i]];
            }
        }
        assert_true(donations >= b->tf_lo && donations <= b->tf_hi);
        assert_true(outflows >= 1 && outflows <= b->tf_out_hi);
        assert_true(sent >= got * b->tf_share_lo - 1 && sent <= got * b->tf_share_hi + 1);
        break;
    }
    case FT_PAT_COUNT:
        fail();
    }
}

/* Generates with `o`, loads the data, and checks that the truth lists
 * exactly the labelled rows, each instance of the shape `b` promises. */
static void check_truth(const ft_synth_options *o, const bounds *b, seen *sn)
{
    char *dir = tu_tmpdir();
    ft_synth_report rep;
    run_synth(o, dir, "d.csv", &rep);
    char path[512];
    snprintf(path, sizeof path, "%s/d.csv", dir);
    ft_store s = {0};
    ft_error err;
    const char *paths[] = {path};
    assert_int_equal(ft_ingest_files(&s, paths, 1, NULL, &err), FT_OK);
    assert_int_equal(s.report.rows_read, o->rows);
    assert_int_equal(s.report.rows_rejected, 0);
    assert_true(s.accounts.n <= rep.accounts); /* not every account of the bank pays */
    snprintf(path, sizeof path, "%s/d.csv.truth", dir);
    char *text = tu_read(path, NULL);
    static truth t[1000];
    int n = parse_truth(&s, text, t, 1000);
    int64_t total = 0, by_pattern[FT_PAT_COUNT] = {0};
    memset(sn, 0, sizeof *sn);
    for (int k = 0; k < n; k++) {
        /* Its rows carry its label, and its accounts are those rows'. */
        for (int i = 0; i < t[k].nrows; i++) {
            uint32_t l = s.t.label[t[k].rows[i]];
            assert_int_not_equal(l, 0);
            assert_string_equal(ft_intern_str(&s.labels, l - 1, NULL), t[k].id);
            bool src = false, dst = false;
            for (int a = 0; a < t[k].naccounts; a++) {
                src |= strcmp(t[k].accounts[a], key(&s, s.t.src[t[k].rows[i]])) == 0;
                dst |= strcmp(t[k].accounts[a], key(&s, s.t.dst[t[k].rows[i]])) == 0;
            }
            assert_true(src && dst);
        }
        check_shape(&s, &t[k], b, sn);
        total += t[k].nrows;
        by_pattern[t[k].pattern]++;
    }
    /* Every labelled row is in the truth, and the counts agree. */
    int64_t labelled = 0;
    for (int64_t i = 0; i < s.t.n; i++)
        labelled += s.t.label[i] != 0;
    assert_int_equal(labelled, total);
    assert_int_equal(total, rep.planted_rows);
    for (int k = 0; k < FT_PAT_COUNT; k++) {
        assert_int_equal(by_pattern[k], rep.instances[k]);
        assert_true(by_pattern[k] > 0);
    }
    free(text);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_truth_matches_rows_and_shapes(void **state)
{
    (void)state;
    ft_synth_options o;
    seen sn;
    small_options(&o, 11);
    check_truth(&o, &default_bounds, &sn);
    assert_int_equal(sn.unordered_cycles, 0);
    assert_int_equal(sn.wide_layers, 0);
    /* Across borders the instances keep their shapes. */
    small_options(&o, 11);
    o.countries = 5;
    o.cross_border = 0.5;
    check_truth(&o, &default_bounds, &sn);
}

/* The wide profile: every instance within the wider ranges of the man
 * page, and the new shapes there: unordered cycles, layers of several
 * accounts, fans whose legs are not alike. */
static void test_wide_profile_shapes(void **state)
{
    (void)state;
    ft_synth_options o;
    ft_error err;
    seen sn;
    small_options(&o, 13);
    o.days = 365;
    assert_int_equal(ft_synth_profile(&o, "wide", &err), FT_OK);
    check_truth(&o, &wide_bounds, &sn);
    assert_true(sn.unordered_cycles > 0 && sn.ordered_cycles > 0);
    assert_true(sn.wide_layers > 0);
    assert_true(sn.unlike_fans > 0);
    /* Layered stacks and unordered cycles across eleven countries. */
    small_options(&o, 13);
    o.days = 365;
    o.countries = 11;
    o.cross_border = 0.3;
    assert_int_equal(ft_synth_profile(&o, "wide", &err), FT_OK);
    check_truth(&o, &wide_bounds, &sn);
    assert_true(sn.wide_layers > 0 && sn.unordered_cycles > 0);
}

/* --- benign look-alikes ------------------------------------------------------------- */

enum { LA_PAYBACK, LA_RENT, LA_BILLS, LA_FAMILY, LA_MERCHANT, LA_SUPPLIER, LA_SAVINGS, LA_COUNT };
static const char *const la_names[LA_COUNT] = {
    "payback", "rent_split", "salary_bills", "family_abroad", "merchant", "supplier", "savings",
};
#define LA_SALARY LA_COUNT /* payroll's rows, which bills follow */
#define LA_OTHER  (-1)

#define DAY  86400000LL
#define HOUR 3600000LL

/* A row as the model column names it: which look-alike and which of its
 * actors or episodes. */
typedef struct tagged {
    int model;
    uint32_t ep;
} tagged;

static tagged *read_models(const char *path, int64_t n)
{
    char *text = tu_read(path, NULL);
    tagged *tag = calloc((size_t)n, sizeof *tag);
    assert_non_null(tag);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    assert_non_null(strstr(line, ",label,model"));
    int64_t i = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        assert_true(i < n);
        const char *m = strrchr(line, ',') + 1;
        size_t len = strcspn(m, ":");
        tag[i].model = LA_OTHER;
        tag[i].ep = m[len] == ':' ? (uint32_t)strtoul(m + len + 1, NULL, 10) : UINT32_MAX;
        for (int k = 0; k < LA_COUNT; k++)
            if (strlen(la_names[k]) == len && memcmp(m, la_names[k], len) == 0)
                tag[i].model = k;
        if (len == 6 && memcmp(m, "salary", 6) == 0)
            tag[i].model = LA_SALARY;
        i++;
    }
    assert_int_equal(i, n);
    free(text);
    return tag;
}

static int64_t day_of(int64_t ts)
{
    return ts >= 0 ? ts / DAY : (ts - DAY + 1) / DAY;
}

static int dom_of_day(int64_t day)
{
    char buf[32];
    ft_time_format(day * DAY, buf, sizeof buf);
    return (buf[8] - '0') * 10 + (buf[9] - '0');
}

static int wday(int64_t day)
{
    return (int)(((day + 4) % 7 + 7) % 7); /* 0 Sunday */
}

static const char *memo(const ft_store *s, int64_t i)
{
    if (!s->t.memo || !s->t.memo[i])
        return "";
    return ft_pool_get(&s->strings, s->t.memo[i], NULL);
}

/* The number in an account key "DE001:A000012345", and its letter. */
static int64_t acct_no(const ft_store *s, uint32_t a, char *letter)
{
    const char *k = strchr(key(s, a), ':') + 1;
    if (letter)
        *letter = k[0];
    return strtoll(k + 1, NULL, 10);
}

/* The rows of one model, grouped by actor or episode, in time order. */
typedef struct group {
    uint32_t ep;
    int64_t *rows;
    int n;
} group;

static int cmp_pair(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

static group *groups_of(const tagged *tag, int64_t n, int model, int *ngroups)
{
    int64_t *pairs = malloc((size_t)(2 * n + 2) * sizeof *pairs), np = 0;
    assert_non_null(pairs);
    for (int64_t i = 0; i < n; i++)
        if (tag[i].model == model) {
            pairs[2 * np] = tag[i].ep;
            pairs[2 * np + 1] = i;
            np++;
        }
    qsort(pairs, (size_t)np, 2 * sizeof *pairs, cmp_pair);
    group *g = calloc((size_t)np + 1, sizeof *g);
    assert_non_null(g);
    int ng = 0;
    for (int64_t k = 0; k < np;) {
        int64_t j = k;
        while (j < np && pairs[2 * j] == pairs[2 * k])
            j++;
        g[ng].ep = (uint32_t)pairs[2 * k];
        g[ng].rows = malloc((size_t)(j - k) * sizeof *g[ng].rows);
        assert_non_null(g[ng].rows);
        for (int64_t q = k; q < j; q++)
            g[ng].rows[g[ng].n++] = pairs[2 * q + 1];
        ng++;
        k = j;
    }
    free(pairs);
    *ngroups = ng;
    return g;
}

static void groups_free(group *g, int n)
{
    for (int k = 0; k < n; k++)
        free(g[k].rows);
    free(g);
}

/* A payback: two rows, A pays B and B pays back 85-100 % of it, in the
 * same currency, 1 hour to 7 days later (sooner only at the end of the
 * data). Three in four are between friends (numbers at most 3 apart). */
static void check_paybacks(const ft_store *s, group *g, int ng, int64_t end)
{
    const ft_txns *x = &s->t;
    int friends = 0;
    for (int k = 0; k < ng; k++) {
        assert_int_equal(g[k].n, 2);
        int64_t i = g[k].rows[0], j = g[k].rows[1];
        assert_int_equal(x->src[j], x->dst[i]);
        assert_int_equal(x->dst[j], x->src[i]);
        assert_int_equal(x->cur[j], x->cur[i]);
        assert_true(x->amount[j] <= x->amount[i]);
        assert_true(x->amount[j] * 100 >= x->amount[i] * 85);
        int64_t dt = x->ts_ms[j] - x->ts_ms[i];
        assert_true(dt >= 0 && dt <= 7 * DAY);
        assert_true(dt >= HOUR || x->ts_ms[i] + 7 * DAY >= end);
        int64_t d = acct_no(s, x->src[i], NULL) - acct_no(s, x->dst[i], NULL);
        friends += d != 0 && d >= -3 && d <= 3;
    }
    assert_true(friends >= ng * 6 / 10 && friends <= ng * 9 / 10);
}

/* A flat: 2-4 flatmates pay the collector equal shares 1-5 days before
 * the 1st; on the 1st to the 3rd the collector pays the landlord exactly
 * the shares plus one more (its own), every month the same people. */
static void check_rent_splits(const ft_store *s, group *g, int ng)
{
    const ft_txns *x = &s->t;
    for (int f = 0; f < ng; f++) {
        uint32_t collector = x->dst[g[f].rows[0]], landlord = UINT32_MAX;
        int64_t share = x->amount[g[f].rows[0]], sum = 0;
        int splits = 0, months = 0, payers = 0;
        uint32_t mates[8];
        for (int q = 0; q < g[f].n; q++) {
            int64_t i = g[f].rows[q];
            assert_string_equal(memo(s, i), "rent");
            if (x->dst[i] == collector) {
                assert_int_equal(x->amount[i], share);
                assert_true(splits < 8);
                mates[splits++] = x->src[i];
                sum += x->amount[i];
                continue;
            }
            assert_int_equal(x->src[i], collector);
            landlord = landlord == UINT32_MAX ? x->dst[i] : landlord;
            assert_int_equal(x->dst[i], landlord);
            assert_true(splits >= 2 && splits <= 4);
            assert_int_equal(x->amount[i], sum + share);
            int64_t day = day_of(x->ts_ms[i]), first = day - (dom_of_day(day) - 1);
            assert_true(dom_of_day(day) <= 3);
            for (int p = q - splits; p < q; p++) {
                int64_t sd = day_of(x->ts_ms[g[f].rows[p]]);
                assert_true(sd >= first - 5 && sd <= first - 1);
            }
            if (months++ == 0)
                payers = splits;
            assert_int_equal(splits, payers);
            for (int a = 0; a < splits; a++) { /* distinct, not the collector */
                assert_int_not_equal(mates[a], collector);
                for (int c = 0; c < a; c++)
                    assert_int_not_equal(mates[a], mates[c]);
            }
            splits = 0;
            sum = 0;
        }
        assert_int_equal(splits, 0); /* no month left unpaid */
        assert_true(months > 0);
    }
}

/* Bills follow the payer's salary within 5 days; its rent is the same
 * every month. */
static void check_bills(const ft_store *s, const tagged *tag, group *g, int ng)
{
    const ft_txns *x = &s->t;
    for (int k = 0; k < ng; k++) {
        int64_t rent = -1;
        for (int q = 0; q < g[k].n; q++) {
            int64_t i = g[k].rows[q], j = i - 1;
            while (j >= 0 && !(tag[j].model == LA_SALARY && x->dst[j] == x->src[i]))
                j--;
            assert_true(j >= 0);
            assert_true(x->ts_ms[i] > x->ts_ms[j] && x->ts_ms[i] - x->ts_ms[j] <= 5 * DAY);
            if (strcmp(memo(s, i), "rent") == 0) {
                rent = rent < 0 ? x->amount[i] : rent;
                assert_int_equal(x->amount[i], rent);
            }
        }
        assert_true(rent > 0);
    }
}

/* Family support: on the sender's own day of the month (1 + k % 28), a
 * round sum abroad, or to a relative at home who forwards 95-100 % of it
 * abroad 1 to 72 hours later. */
static void check_family(const ft_store *s, group *g, int ng)
{
    const ft_txns *x = &s->t;
    int via = 0;
    for (int k = 0; k < ng; k++) {
        uint32_t sender = x->src[g[k].rows[0]];
        for (int q = 0; q < g[k].n; q++) {
            int64_t i = g[k].rows[q];
            assert_int_equal(x->src[i], sender);
            assert_int_equal(dom_of_day(day_of(x->ts_ms[i])), 1 + (int)(g[k].ep % 28));
            assert_int_equal(x->amount[i] % 10, 0);
            char letter;
            acct_no(s, x->dst[i], &letter);
            if (letter == 'F')
                continue;
            assert_true(q + 1 < g[k].n);
            int64_t j = g[k].rows[++q];
            acct_no(s, x->dst[j], &letter);
            assert_int_equal(letter, 'F');
            assert_int_equal(x->src[j], x->dst[i]);
            assert_true(x->amount[j] <= x->amount[i] && x->amount[j] * 100 >= x->amount[i] * 95);
            int64_t dt = x->ts_ms[j] - x->ts_ms[i];
            assert_true(dt >= HOUR && dt <= 72 * HOUR);
            via++;
        }
    }
    assert_true(via > 0);
}

/* A small shop: sales by card, refunds of at most an earlier sale to the
 * same customer within 10 days, and from the second week a weekly payout
 * to one owner on the shop's own working day (1 + k % 5); fewer than 500
 * rows in all, below scan's hub degree. */
static void check_shops(const ft_store *s, group *g, int ng, int64_t first_day)
{
    const ft_txns *x = &s->t;
    int refunds = 0;
    for (int k = 0; k < ng; k++) {
        uint32_t shop = x->dst[g[k].rows[0]], owner = UINT32_MAX;
        for (int q = 0; q < g[k].n; q++) {
            int64_t i = g[k].rows[q];
            if (x->dst[i] == shop)
                continue; /* a sale */
            assert_int_equal(x->src[i], shop);
            if (strcmp(memo(s, i), "refund") == 0) {
                bool sold = false;
                for (int p = 0; p < q; p++) {
                    int64_t j = g[k].rows[p];
                    sold |= x->dst[j] == shop && x->src[j] == x->dst[i] && x->cur[j] == x->cur[i] &&
                            x->amount[j] >= x->amount[i] && x->ts_ms[i] - x->ts_ms[j] <= 10 * DAY;
                }
                assert_true(sold);
                refunds++;
                continue;
            }
            owner = owner == UINT32_MAX ? x->dst[i] : owner;
            assert_int_equal(x->dst[i], owner);
            int64_t day = day_of(x->ts_ms[i]);
            assert_int_equal(wday(day), 1 + (int)(g[k].ep % 5));
            assert_true(day >= first_day + 7);
        }
        assert_true(owner != UINT32_MAX);
        int64_t degree = 0;
        for (int64_t i = 0; i < x->n; i++)
            degree += x->src[i] == shop || x->dst[i] == shop;
        assert_true(degree < 500);
    }
    assert_true(refunds > 0);
}

/* A supplier run: 5-20 distinct suppliers, the same every run, paid
 * within minutes; runs every 14 days on a working day, or monthly on one
 * day of the month (the Monday after when it falls on a weekend). */
static void check_suppliers(const ft_store *s, group *g, int ng)
{
    const ft_txns *x = &s->t;
    for (int k = 0; k < ng; k++) {
        int64_t days[64];
        int nd = 0, n = g[k].n, q = 0;
        uint32_t first[32];
        int nsup = 0;
        while (q < n) {
            int64_t day = day_of(x->ts_ms[g[k].rows[q]]), t0 = x->ts_ms[g[k].rows[q]];
            int run = 0;
            for (; q < n && day_of(x->ts_ms[g[k].rows[q]]) == day; q++, run++) {
                int64_t i = g[k].rows[q];
                assert_int_equal(x->src[i], x->src[g[k].rows[0]]);
                assert_true(x->ts_ms[i] - t0 <= 20 * 120000);
                if (nd == 0) {
                    assert_true(run < 32);
                    first[nsup++] = x->dst[i];
                } else {
                    assert_true(run < nsup);
                    assert_int_equal(x->dst[i], first[run]);
                }
            }
            assert_true(run >= 5 && run <= 20);
            assert_int_equal(run, nsup);
            assert_true(nd < 64);
            days[nd++] = day;
            assert_true(wday(day) >= 1 && wday(day) <= 5);
        }
        for (int a = 0; a < nsup; a++)
            for (int c = 0; c < a; c++)
                assert_int_not_equal(first[a], first[c]);
        bool fortnightly = true, monthly = false;
        for (int d = 1; d < nd; d++)
            fortnightly &= (days[d] - days[0]) % 14 == 0;
        for (int dom = 1; dom <= 28 && !monthly; dom++) {
            bool all = true;
            for (int d = 0; d < nd; d++) {
                int64_t day = days[d];
                all &=
                    dom_of_day(day) == dom ||
                    (wday(day) == 1 && (dom_of_day(day - 1) == dom || dom_of_day(day - 2) == dom));
            }
            monthly = all;
        }
        assert_true(fortnightly || monthly);
    }
}

/* Savings: the owner's own savings account (same bank, its number with an
 * S), a deposit on its day of the month (1 + k % 28), and withdrawals 1 to
 * 30 days after a deposit, never more than the savings hold. */
static void check_savings(const ft_store *s, group *g, int ng)
{
    const ft_txns *x = &s->t;
    int back = 0;
    for (int k = 0; k < ng; k++) {
        uint32_t owner = x->src[g[k].rows[0]], acct = x->dst[g[k].rows[0]];
        char lo, la;
        assert_int_equal(acct_no(s, owner, &lo), acct_no(s, acct, &la));
        assert_int_equal(lo, 'A');
        assert_int_equal(la, 'S');
        assert_memory_equal(key(s, owner), key(s, acct), 6); /* "DE001:" */
        int64_t balance = 0, last = 0;
        for (int q = 0; q < g[k].n; q++) {
            int64_t i = g[k].rows[q], day = day_of(x->ts_ms[i]);
            if (x->src[i] == owner) {
                assert_int_equal(x->dst[i], acct);
                assert_int_equal(dom_of_day(day), 1 + (int)(g[k].ep % 28));
                balance += x->amount[i];
                last = day;
                continue;
            }
            assert_int_equal(x->src[i], acct);
            assert_int_equal(x->dst[i], owner);
            balance -= x->amount[i];
            assert_true(balance >= 0);
            assert_true(day - last >= 1 && day - last <= 30);
            back++;
        }
    }
    assert_true(back > 0);
}

/* Every look-alike in the default background, unlabelled, with the shape
 * fundtrace-synth(1) documents, and as many rows as the report says. */
static void test_lookalikes_have_their_shapes(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_synth_options o;
    ft_synth_report rep;
    small_options(&o, 17);
    o.model_column = true;
    run_synth(&o, dir, "b.csv", &rep);
    char path[512];
    snprintf(path, sizeof path, "%s/b.csv", dir);
    ft_store s = {0};
    ft_error err;
    const char *paths[] = {path};
    assert_int_equal(ft_ingest_files(&s, paths, 1, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, ROWS);
    tagged *tag = read_models(path, ROWS);
    int64_t lookalike = 0;
    for (int64_t i = 0; i < ROWS; i++) {
        assert_int_equal(s.t.txid[i], i + 1);
        if (tag[i].model >= 0 && tag[i].model < LA_COUNT) {
            assert_int_equal(s.t.label[i], 0);
            lookalike++;
        }
    }
    assert_int_equal(lookalike, rep.lookalike_rows);
    int64_t first_day = o.start_ms / DAY, end = (first_day + o.days) * DAY;
    for (int m = 0; m < LA_COUNT; m++) {
        int ng;
        group *g = groups_of(tag, ROWS, m, &ng);
        assert_true(ng > 0);
        switch (m) {
        case LA_PAYBACK:
            check_paybacks(&s, g, ng, end);
            break;
        case LA_RENT:
            check_rent_splits(&s, g, ng);
            break;
        case LA_BILLS:
            check_bills(&s, tag, g, ng);
            break;
        case LA_FAMILY:
            check_family(&s, g, ng);
            break;
        case LA_MERCHANT:
            check_shops(&s, g, ng, first_day);
            break;
        case LA_SUPPLIER:
            check_suppliers(&s, g, ng);
            break;
        case LA_SAVINGS:
            check_savings(&s, g, ng);
            break;
        }
        groups_free(g, ng);
    }
    free(tag);
    ft_store_free(&s);
    tu_rmdir(dir);
}

/* A look-alike at share 0 writes nothing, and the rows stay exact. */
static void test_lookalike_shares(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_synth_options o;
    ft_synth_report rep;
    ft_error err;
    small_options(&o, 19);
    const char *const off[] = {"benign.payback=0",      "benign.rent_split=0",
                               "benign.salary_bills=0", "benign.family_abroad=0",
                               "benign.merchant=0",     "benign.supplier=0",
                               "benign.savings=0"};
    for (size_t k = 0; k < sizeof off / sizeof off[0]; k++)
        assert_int_equal(ft_synth_set(&o, off[k], &err), FT_OK);
    run_synth(&o, dir, "z.csv", &rep);
    assert_int_equal(rep.rows, ROWS);
    assert_int_equal(rep.lookalike_rows, 0);
    assert_int_equal(ft_synth_set(&o, "benign.payback=0.2", &err), FT_OK);
    run_synth(&o, dir, "p.csv", &rep);
    assert_int_equal(rep.rows, ROWS);
    assert_int_equal(rep.lookalike_rows, ROWS / 10 * 2); /* episodes of two rows */
    assert_int_equal(ft_synth_set(&o, "benign.payback=1.5", &err), FT_OK);
    assert_int_equal(ft_synth_write(&o, &(ft_writer){.fd = -1}, &(ft_writer){.fd = -1}, &rep, &err),
                     FT_EUSAGE);
    assert_non_null(strstr(err.msg, "benign.payback=1.5 is out of range"));
    tu_rmdir(dir);
}

/* A profile sets every pattern range and leaves the benign shares; a
 * --set after it changes one range. */
static void test_profiles(void **state)
{
    (void)state;
    ft_synth_options o;
    ft_error err;
    ft_range r;
    ft_synth_defaults(&o);
    assert_int_equal(ft_synth_set(&o, "benign.savings=0.02", &err), FT_OK);
    assert_int_equal(ft_synth_profile(&o, "wide", &err), FT_OK);
    assert_true(ft_synth_get(&o, "pass_through.rounds", &r) && r.lo == 1 && r.hi == 3);
    assert_true(ft_synth_get(&o, "structuring.deposits", &r) && r.lo == 3 && r.hi == 10);
    assert_true(ft_synth_get(&o, "cycle.hops", &r) && r.lo == 3 && r.hi == 10);
    assert_true(ft_synth_get(&o, "stack.width", &r) && r.lo == 1 && r.hi == 4);
    assert_true(ft_synth_get(&o, "benign.savings", &r) && r.lo == 0.02);
    assert_int_equal(ft_synth_set(&o, "cycle.hops=4-5", &err), FT_OK);
    assert_true(ft_synth_get(&o, "cycle.hops", &r) && r.lo == 4 && r.hi == 5);
    assert_true(ft_synth_get(&o, "fan.degree", &r) && r.lo == 4 && r.hi == 20);
    assert_int_equal(ft_synth_profile(&o, "default", &err), FT_OK);
    assert_true(ft_synth_get(&o, "cycle.hops", &r) && r.lo == 2 && r.hi == 6);
    assert_int_equal(ft_synth_profile(&o, "narrow", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown profile 'narrow'"));
    assert_false(ft_synth_get(&o, "cycle.legs", &r));
    /* Every name has a value, and the list ends. */
    int n = 0;
    for (; ft_synth_param_names[n]; n++)
        assert_true(ft_synth_get(&o, ft_synth_param_names[n], &r));
    assert_true(n > 50);
}

static void test_ibm_layout_and_patterns_file(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_synth_options o;
    ft_synth_report rep;
    small_options(&o, 5);
    o.layout = FT_SYNTH_IBM;
    run_synth(&o, dir, "HI-Test_Trans.csv", &rep);
    char path[512];
    snprintf(path, sizeof path, "%s/HI-Test_Trans.csv", dir);
    ft_store s = {0};
    ft_error err;
    const char *paths[] = {path};
    assert_int_equal(ft_ingest_files(&s, paths, 1, NULL, &err), FT_OK);
    assert_string_equal(s.report.sources[0].layout, "ibm");
    assert_int_equal(s.report.rows_read, ROWS);
    assert_int_equal(s.report.rows_rejected, 0);
    int64_t laundering = 0;
    for (int64_t i = 0; i < s.t.n; i++)
        laundering += s.t.label[i] != 0;
    assert_int_equal(laundering, rep.planted_rows);
    /* Each block's rows appear in the data, and the blocks hold them all. */
    size_t dlen;
    char *data = tu_read(path, &dlen);
    snprintf(path, sizeof path, "%s/HI-Test_Trans.csv.truth", dir);
    char *pat = tu_read(path, NULL);
    int64_t blocks = 0, rows = 0;
    bool inside = false;
    char *save = NULL;
    for (char *line = strtok_r(pat, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "BEGIN LAUNDERING ATTEMPT - ", 27) == 0) {
            assert_false(inside);
            inside = true;
            blocks++;
        } else if (strncmp(line, "END LAUNDERING ATTEMPT - ", 25) == 0) {
            assert_true(inside);
            inside = false;
        } else {
            assert_true(inside);
            assert_non_null(strstr(data, line));
            assert_int_equal(line[strlen(line) - 1], '1');
            rows++;
        }
    }
    int64_t instances = 0;
    for (int k = 0; k < FT_PAT_COUNT; k++)
        instances += rep.instances[k];
    assert_int_equal(blocks, instances);
    assert_int_equal(rows, rep.planted_rows);
    free(data);
    free(pat);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_options_are_checked(void **state)
{
    (void)state;
    ft_synth_options o;
    ft_error err;
    ft_synth_defaults(&o);
    assert_int_equal(ft_synth_set(&o, "cycle.hops=3-5", &err), FT_OK);
    assert_true(o.p.cycle_hops.lo == 3 && o.p.cycle_hops.hi == 5);
    assert_int_equal(ft_synth_set(&o, "structuring.threshold = 15000", &err), FT_OK);
    assert_true(o.p.st_threshold == 15000);
    assert_int_equal(ft_synth_set(&o, "cycle.keep=0.9", &err), FT_OK);
    assert_true(o.p.cycle_keep.lo == 0.9 && o.p.cycle_keep.hi == 0.9);
    assert_int_equal(ft_synth_set(&o, "cycle.legs=3", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown parameter 'cycle.legs'"));
    assert_int_equal(ft_synth_set(&o, "cycle.hops=5-3", &err), FT_EUSAGE);
    assert_int_equal(ft_synth_set(&o, "structuring.threshold=1-2", &err), FT_EUSAGE);
    assert_int_equal(ft_synth_set(&o, "cycle.hops", &err), FT_EUSAGE);
    /* Out of range values are refused when generating. */
    assert_int_equal(ft_synth_set(&o, "cycle.hops=1-3", &err), FT_OK);
    ft_writer d = {.fd = -1}, t = {.fd = -1};
    ft_synth_report rep;
    assert_int_equal(ft_synth_write(&o, &d, &t, &rep, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "cycle.hops=1-3 is out of range"));
    ft_synth_defaults(&o);
    o.rows = 50;
    o.days = 30;
    assert_int_equal(ft_synth_write(&o, &d, &t, &rep, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "are too few"));
    /* rows, days and the planted share at the edges of what is allowed */
    static const struct {
        int64_t rows, days;
        double planted;
    } edges[] = {{0, 30, 0.01}, {1000, 0, 0.01}, {1000, 30, -0.01}, {1000, 30, 0.51}};
    for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++) {
        ft_synth_defaults(&o);
        o.rows = edges[k].rows;
        o.days = edges[k].days;
        o.planted = edges[k].planted;
        assert_int_equal(ft_synth_write(&o, &d, &t, &rep, &err), FT_EUSAGE);
        assert_string_equal(err.msg,
                            "need --rows at least 1, --days at least 1, --planted from 0 to 0.5");
    }
}

/* Every instance ends inside the span it was planned into: a scatter-gather's
 * legs wait up to scatter_gather.delay_hours after the spread of the first
 * ones, and its planned duration once missed that wait, so rows near the
 * end were never written. */
static void test_instances_end_inside_the_span(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_synth_options o;
    ft_synth_report rep;
    ft_synth_defaults(&o);
    o.rows = 100000;
    o.days = 20;
    o.planted = 0.3;
    o.patterns = 1u << FT_PAT_SCATTER_GATHER;
    run_synth(&o, dir, "sg.csv", &rep);
    assert_int_equal(rep.rows, 100000);
    tu_rmdir(dir);
}

/* --- countries ------------------------------------------------------------------------ */

/* What crosses a border in a generic file, counted from its text alone: a
 * row's countries are the first two letters of its banks. */
typedef struct borders {
    int64_t rows, cross; /* all rows, and those between two countries */
    int64_t inter;       /* between two different countries of the N (no bank abroad) */
    int64_t ordinary, ordinary_cross; /* unlabelled, no bank abroad, no cash or savings */
    int64_t planted_inter;            /* labelled rows between two of the N */
    int64_t abroad;                   /* rows with a bank abroad */
    int64_t accounts_outside;         /* regular accounts (A...) at a bank outside the N */
} borders;

static int country_index(const char *bank)
{
    for (int c = 0; ft_synth_country_codes[c]; c++)
        if (memcmp(bank, ft_synth_country_codes[c], 2) == 0)
            return c;
    return -1;
}

/* The fields of one CSV line (quotes as synth writes them), in place. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        bool quoted = *p == '"';
        for (p += quoted; *p && (quoted || *p != ','); p++)
            if (quoted && *p == '"')
                quoted = false;
        if (!*p)
            break;
        *p++ = '\0';
    }
    return n;
}

static void count_borders(const char *path, int countries, borders *b)
{
    char *text = tu_read(path, NULL);
    memset(b, 0, sizeof *b);
    char *save = NULL, *line = strtok_r(text, "\n", &save); /* the header */
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[12];
        assert_int_equal(split_csv(line, f, 12), 11);
        int cs = country_index(f[2]), cd = country_index(f[4]);
        bool cross = memcmp(f[2], f[4], 2) != 0, domestic = cs >= 0 && cd >= 0;
        b->rows++;
        b->cross += cross;
        b->inter += domestic && cross;
        b->abroad += !domestic;
        b->planted_inter += domestic && cross && f[10][0];
        /* Cash and savings stay in the account's own bank. */
        bool own = strcmp(f[8], "cash") == 0 || f[3][0] == 'S' || f[5][0] == 'S';
        if (domestic && !f[10][0] && !own) {
            b->ordinary++;
            b->ordinary_cross += cross;
        }
        b->accounts_outside += f[3][0] == 'A' && (cs < 0 || cs >= countries);
        b->accounts_outside += f[5][0] == 'A' && (cd < 0 || cd >= countries);
    }
    free(text);
}

/* The collections of a run whose donors are in fewer than two countries,
 * and the collections, from the data: a collection's donations are its
 * rows with the memo "donation". */
static void tf_donor_countries(const char *path, int *collections, int *single)
{
    char *text = tu_read(path, NULL);
    enum { MAXI = 4096 };
    static uint32_t mask[MAXI];
    memset(mask, 0, sizeof mask);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[12];
        split_csv(line, f, 12);
        if (strcmp(f[9], "donation") != 0 || f[10][0] != 'I')
            continue;
        int inst = atoi(f[10] + 1), c = country_index(f[2]);
        assert_true(inst >= 0 && inst < MAXI && c >= 0);
        mask[inst] |= 1u << c;
    }
    *collections = *single = 0;
    for (int i = 0; i < MAXI; i++) {
        *collections += mask[i] != 0;
        *single += mask[i] != 0 && (mask[i] & (mask[i] - 1)) == 0;
    }
    free(text);
}

static void countries_run(ft_synth_options *o, int countries, double cross, ft_synth_report *rep,
                          borders *b, int *collections, int *single)
{
    char *dir = tu_tmpdir(), path[512];
    o->countries = countries;
    o->cross_border = cross;
    run_synth(o, dir, "c.csv", rep);
    snprintf(path, sizeof path, "%s/c.csv", dir);
    count_borders(path, countries, b);
    tf_donor_countries(path, collections, single);
    tu_rmdir(dir);
    assert_int_equal(b->rows, o->rows);
    assert_int_equal(b->cross, rep->cross_border_rows); /* the summary's figure */
    assert_int_equal(b->accounts_outside, 0);
    assert_int_equal(rep->countries, countries);
    int64_t sum = 0;
    for (int c = 0; c < FT_SYNTH_COUNTRIES; c++) {
        sum += rep->country_accounts[c];
        if (c >= countries)
            assert_int_equal(rep->country_accounts[c], 0);
    }
    assert_int_equal(sum, o->rows / 25); /* the regular accounts */
}

/* --countries and --cross-border, counted from the data: accounts in the
 * first N countries only, in their shares; ordinary transfers across a
 * border in the share asked for (and none at 0 or with one country);
 * collections whose donors are in two countries at least; the same bytes
 * for a seed. Ordinary: unlabelled, not cash, savings or a bank abroad. */
static void test_countries(void **state)
{
    (void)state;
    ft_synth_options o;
    ft_synth_report rep;
    borders b;
    int col, single;
    static const struct {
        double share;
        int64_t cross, inter, ordinary_cross, planted_inter;
    } want[] = {
        {0, 1495, 77, 0, 77},
        {0.05, 4160, 2742, 2546, 196},
        {0.2, 12296, 10878, 10254, 624},
        {0.5, 28917, 27499, 26016, 1483},
        {1, 55790, 54372, 51690, 2682},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        small_options(&o, 5);
        countries_run(&o, 5, want[k].share, &rep, &b, &col, &single);
        assert_int_equal(b.cross, want[k].cross);
        assert_int_equal(b.inter, want[k].inter);
        assert_int_equal(b.ordinary, 51690);
        assert_int_equal(b.ordinary_cross, want[k].ordinary_cross);
        assert_int_equal(b.planted_inter, want[k].planted_inter);
        assert_int_equal(b.abroad, 1418); /* wires and collections abroad, as ever */
        /* The share measured is the one asked for, within 0.01. */
        double share = (double)b.ordinary_cross / (double)b.ordinary;
        assert_true(share >= want[k].share - 0.01 && share <= want[k].share + 0.01);
        /* 9 collections, each with donors in two countries at least */
        assert_int_equal(col, 9);
        assert_int_equal(single, 0);
        /* DE FR NL IT ES by weight: 43 23 15 15 10 of 106 */
        static const int64_t accounts[5] = {970, 520, 341, 340, 229};
        for (int c = 0; c < 5; c++)
            assert_int_equal(rep.country_accounts[c], accounts[c]);
    }
    /* One country: nothing between countries but the banks abroad. */
    small_options(&o, 5);
    countries_run(&o, 1, 0.3, &rep, &b, &col, &single);
    assert_int_equal(b.inter, 0);
    assert_int_equal(b.cross, 1418);
    assert_int_equal(rep.country_accounts[0], 2400);
    assert_int_equal(single, 9);
    /* All fifteen: GB, CH, US and JP pay in their own currencies. */
    small_options(&o, 5);
    countries_run(&o, 15, 0.2, &rep, &b, &col, &single);
    assert_int_equal(b.cross, 12348);
    assert_int_equal(b.ordinary_cross, 10299);
    assert_int_equal(b.planted_inter, 631);
    assert_int_equal(single, 0);
    static const int64_t all15[FT_SYNTH_COUNTRIES] = {727, 390, 256, 256, 171, 104, 71, 54,
                                                      54,  37,  36,  103, 53,  69,  19};
    for (int c = 0; c < FT_SYNTH_COUNTRIES; c++)
        assert_int_equal(rep.country_accounts[c], all15[c]);
    /* No border at all but abroad: collections too stay at home. */
    small_options(&o, 5);
    o.p.tf_donors_abroad = 0;
    countries_run(&o, 5, 0, &rep, &b, &col, &single);
    assert_int_equal(b.cross, 1418);
    assert_int_equal(b.inter, 0);
    assert_int_equal(single, 9);
    /* The same bytes for a seed. */
    small_options(&o, 5);
    o.countries = 5;
    o.cross_border = 0.2;
    check_same_bytes(&o);
}

static void test_countries_checked(void **state)
{
    (void)state;
    ft_synth_options o;
    ft_synth_report rep;
    ft_error err;
    ft_writer d = {.fd = -1}, t = {.fd = -1};
    static const struct {
        int countries;
        double cross;
    } bad[] = {{-1, 0.1}, {16, 0.1}, {5, -0.1}, {5, 1.5}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ft_synth_defaults(&o);
        o.countries = bad[k].countries;
        o.cross_border = bad[k].cross;
        assert_int_equal(ft_synth_write(&o, &d, &t, &rep, &err), FT_EUSAGE);
        assert_string_equal(err.msg, "need --countries from 1 to 15, --cross-border from 0 to 1");
    }
    assert_string_equal(ft_synth_country_codes[0], "DE");
    assert_string_equal(ft_synth_country_codes[14], "JP");
    assert_null(ft_synth_country_codes[15]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_truth_matches_rows_and_shapes),
        cmocka_unit_test(test_wide_profile_shapes),
        cmocka_unit_test(test_lookalikes_have_their_shapes),
        cmocka_unit_test(test_lookalike_shares),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_ibm_layout_and_patterns_file),
        cmocka_unit_test(test_options_are_checked),
        cmocka_unit_test(test_instances_end_inside_the_span),
        cmocka_unit_test(test_countries),
        cmocka_unit_test(test_countries_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
