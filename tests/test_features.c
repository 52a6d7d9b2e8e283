/*
 * test_features.c - every feature column on a hand-built fixture, with the
 * values worked out by hand below; the same values for any number of
 * threads and any order of the input rows; the settings text; the writers.
 *
 * The fixture (EUR, 2024; row numbers are the store's, by time):
 *
 *   row id   time         payer payee  amount
 *    0  T01  01-01 00:00  A     B      1000   a temporal cycle A-B-C-A,
 *    1  T02  01-02 00:00  B     C       950   a day a hop
 *    2  T03  01-03 00:00  C     A       900
 *    3  T04  01-04 00:00  A     D       100   A pays D twice,
 *    4  T05  01-04 06:00  A     D       100   D pays back once
 *    5  T06  01-10 00:00  D     A        50
 *    6  T07  01-20 00:00  S     M1      500   a scatter-gather S -> M1..M3
 *    7  T08  01-20 01:00  S     M2      510   -> G, and a gather-scatter
 *    8  T09  01-20 02:00  S     M3      520   M1..M3 -> G -> X, Y, Z
 *    9  T10  01-21 00:00  M1    G       490
 *   10  T11  01-21 01:00  M2    G       500
 *   11  T12  01-21 02:00  M3    G       505
 *   12  T13  01-22 00:00  G     X       480
 *   13  T14  01-22 01:00  G     Y       490
 *   14  T15  01-22 02:00  G     Z       495
 *   15  T17  02-09 00:00  F     H       310   a structural cycle E-F-H-E:
 *   16  T16  02-10 00:00  E     F       300   around the loop the times
 *   17  T18  02-11 00:00  H     E       305   are 10, 9, 11 (they fall twice)
 *
 * Every pair but A -> D has one transfer, so those are new relations
 * (pair_novel); nobody makes ten payments, so nobody opens new relations
 * as a routine and every new relation is a link and unusual; nobody has a
 * weekly rhythm (14 payments), so nothing is off-beat; nobody has ten
 * payments for a median, so nothing is large.
 *
 * T04 (A -> D, 100, 01-04 00:00), by hand:
 *   amount 100. A's everyday amount out: A pays established relations
 *   (not new) twice, fewer than five, so the median of all it pays, of
 *   {1000, 100, 100}: 100; amount_src_median 1. D's everyday amount in:
 *   the median of {100, 100}: 100; amount_dst_median 1.
 *   src_gap_hours: A's latest transfer before 01-04 00:00 is T03 at 01-03
 *   00:00: 24. dst_gap_hours: D has none before: missing.
 *   src_transfers: A pays 3 (T01, T04, T05), receives 2 (T03, T06): 5.
 *   dst_transfers: D receives 2, pays 1: 3.
 *   pair_count (A -> D) 2, pair_reverse (D -> A) 1, pair_novel 0, flags 0.
 *   Window 1d, [01-03 00:00, 01-05 00:00]: A pays T04, T05 (src_out 2) to
 *   D (src_fan_out 1), receives T03 at the window's edge (src_in 1) from C
 *   (src_fan_in 1); D pays nothing then (dst_out 0, dst_fan_out 0),
 *   receives T04, T05 (dst_in 2) from A (dst_fan_in 1).
 *   Window 7d, [12-28, 01-11]: A pays T01, T04, T05 (3) to B and D (2),
 *   receives T03, T06 (2) from C and D (2); D pays T06 (1) to A (1),
 *   receives 2 from A (1). Window 30d: the same.
 *   No cycle, scatter-gather or gather-scatter; no detector covers it.
 *
 * T05 (A -> D, 01-04 06:00): src_gap_hours 6 (T04), dst_gap_hours 6 (T04).
 * T01: pair_novel 1, flag_link 1, flag_unusual 1, pair_count 1,
 *   pair_reverse 0; no transfer before: both gaps missing; B's everyday
 *   amount in is its only one, 1000: amount_dst_median 1; cycle_3 1,
 *   tcycle_3 1 (forward in time); det_cycle the cycle candidate's score.
 * T03 (C -> A): src_gap_hours 24 (T02), dst_gap_hours 48 (T01).
 * T16, T17, T18: cycle_3 1, tcycle_3 0.
 * T07 .. T12: sg_count 1 (one scatter-gather, S to G); T10 .. T15:
 *   gs_count 1 (one gather-scatter at G); the others 0.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/features.h"

static const char *fixture_rows[] = {
    "T01,2024-01-01T00:00:00Z,A,B,1000.00,EUR", "T02,2024-01-02T00:00:00Z,B,C,950.00,EUR",
    "T03,2024-01-03T00:00:00Z,C,A,900.00,EUR",  "T04,2024-01-04T00:00:00Z,A,D,100.00,EUR",
    "T05,2024-01-04T06:00:00Z,A,D,100.00,EUR",  "T06,2024-01-10T00:00:00Z,D,A,50.00,EUR",
    "T07,2024-01-20T00:00:00Z,S,M1,500.00,EUR", "T08,2024-01-20T01:00:00Z,S,M2,510.00,EUR",
    "T09,2024-01-20T02:00:00Z,S,M3,520.00,EUR", "T10,2024-01-21T00:00:00Z,M1,G,490.00,EUR",
    "T11,2024-01-21T01:00:00Z,M2,G,500.00,EUR", "T12,2024-01-21T02:00:00Z,M3,G,505.00,EUR",
    "T13,2024-01-22T00:00:00Z,G,X,480.00,EUR",  "T14,2024-01-22T01:00:00Z,G,Y,490.00,EUR",
    "T15,2024-01-22T02:00:00Z,G,Z,495.00,EUR",  "T16,2024-02-10T00:00:00Z,E,F,300.00,EUR",
    "T17,2024-02-09T00:00:00Z,F,H,310.00,EUR",  "T18,2024-02-11T00:00:00Z,H,E,305.00,EUR",
};
#define NROWS ((int)(sizeof fixture_rows / sizeof *fixture_rows))

/* The fixture's CSV, its rows in the order `perm` gives (NULL: as listed). */
static char *fixture_csv(const int *perm)
{
    size_t cap = 64 + NROWS * 64;
    char *csv = malloc(cap);
    assert_non_null(csv);
    size_t n =
        (size_t)snprintf(csv, cap, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    for (int i = 0; i < NROWS; i++)
        n += (size_t)snprintf(csv + n, cap - n, "%s\n", fixture_rows[perm ? perm[i] : i]);
    return csv;
}

typedef struct loaded {
    ft_store s;
    ft_features_opts o;
    ft_features *f;
    uint32_t ncols;
    float *rows;
} loaded;

static void load(loaded *l, const int *perm, int threads)
{
    memset(l, 0, sizeof *l);
    ft_error err;
    char *csv = fixture_csv(perm);
    assert_int_equal(tu_load(&l->s, "fx.csv", csv, NULL, NULL, &err), FT_OK);
    free(csv);
    assert_int_equal(ft_store_adjacency(&l->s, &err), FT_OK);
    ft_features_defaults(&l->o);
    assert_int_equal(ft_features_compute(&l->s, &l->o, threads, &l->f, &err), FT_OK);
    l->ncols = ft_features_ncols(&l->o);
    l->rows = malloc((size_t)NROWS * l->ncols * sizeof *l->rows);
    assert_non_null(l->rows);
    ft_features_rows(l->f, 0, NROWS, l->rows);
}

static void unload(loaded *l)
{
    free(l->rows);
    ft_features_free(l->f);
    ft_store_free(&l->s);
}

/* The row of transaction `id`. */
static uint32_t row_of(const loaded *l, const char *id)
{
    for (uint32_t r = 0; r < NROWS; r++) {
        char buf[32];
        ft_store_txid(&l->s, r, buf, sizeof buf);
        if (strcmp(buf, id) == 0)
            return r;
    }
    fail_msg("no transaction %s", id);
    return 0;
}

/* The value of column `name` of transaction `id`. */
static float value(const loaded *l, const char *id, const char *name)
{
    for (uint32_t c = 0; c < l->ncols; c++) {
        char n[48];
        ft_features_name(&l->o, c, n);
        if (strcmp(n, name) == 0)
            return l->rows[(size_t)row_of(l, id) * l->ncols + c];
    }
    fail_msg("no column %s", name);
    return 0;
}

#define EQ(id, name, v)   assert_true(value(&l, id, name) == (float)(v))
#define MISSING(id, name) assert_true(isnan(value(&l, id, name)))

static void test_columns(void **state)
{
    (void)state;
    ft_features_opts o;
    ft_features_defaults(&o);
    assert_int_equal(ft_features_ncols(&o), 14 + 3 * 8 + 18 + 2 + 11);
    char n[48];
    ft_features_name(&o, 0, n);
    assert_string_equal(n, "amount");
    ft_features_name(&o, 14, n);
    assert_string_equal(n, "src_out_1d");
    ft_features_name(&o, 14 + 23, n);
    assert_string_equal(n, "dst_fan_in_30d");
    ft_features_name(&o, 38, n);
    assert_string_equal(n, "cycle_2");
    ft_features_name(&o, 38 + 17, n);
    assert_string_equal(n, "tcycle_10");
    ft_features_name(&o, 56, n);
    assert_string_equal(n, "sg_count");
    ft_features_name(&o, ft_features_det_col(&o, FT_PAT_TF_COLLECTION), n);
    assert_string_equal(n, "det_tf_collection");
    ft_error err;
    assert_int_equal(ft_features_set_windows(&o, "12h,90m,2d", &err), FT_OK);
    ft_features_name(&o, 14, n);
    assert_string_equal(n, "src_out_90m");
    ft_features_name(&o, 14 + 8, n);
    assert_string_equal(n, "src_out_12h");
    ft_features_name(&o, 14 + 16, n);
    assert_string_equal(n, "src_out_2d");
    assert_int_equal(ft_features_set_windows(&o, "1d,24h", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "1d is given twice"));
    assert_int_equal(ft_features_set_windows(&o, "1d,soon", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "'soon'"));
}

static void test_by_hand(void **state)
{
    (void)state;
    loaded l;
    load(&l, NULL, 1);
    /* T04 */
    EQ("T04", "amount", 100);
    EQ("T04", "amount_src_median", 1);
    EQ("T04", "amount_dst_median", 1);
    EQ("T04", "src_gap_hours", 24);
    MISSING("T04", "dst_gap_hours");
    EQ("T04", "src_transfers", 5);
    EQ("T04", "dst_transfers", 3);
    EQ("T04", "pair_count", 2);
    EQ("T04", "pair_reverse", 1);
    EQ("T04", "pair_novel", 0);
    EQ("T04", "flag_offbeat", 0);
    EQ("T04", "flag_unusual", 0);
    EQ("T04", "flag_link", 0);
    EQ("T04", "flag_large", 0);
    static const struct {
        const char *w;
        float
            v[8]; /* src_out src_in dst_out dst_in src_fan_out src_fan_in dst_fan_out dst_fan_in */
    } win[] = {{"1d", {2, 1, 0, 2, 1, 1, 0, 1}},
               {"7d", {3, 2, 1, 2, 2, 2, 1, 1}},
               {"30d", {3, 2, 1, 2, 2, 2, 1, 1}}};
    static const char *const kinds[] = {"src_out",     "src_in",     "dst_out",     "dst_in",
                                        "src_fan_out", "src_fan_in", "dst_fan_out", "dst_fan_in"};
    for (size_t w = 0; w < 3; w++) {
        for (int k = 0; k < 8; k++) {
            char name[48];
            snprintf(name, sizeof name, "%s_%s", kinds[k], win[w].w);
            if (value(&l, "T04", name) != win[w].v[k])
                fail_msg("T04 %s: %g, not %g", name, (double)value(&l, "T04", name),
                         (double)win[w].v[k]);
        }
    }
    for (int len = 2; len <= 10; len++) {
        char name[48];
        snprintf(name, sizeof name, "cycle_%d", len);
        EQ("T04", name, 0);
        snprintf(name, sizeof name, "tcycle_%d", len);
        EQ("T04", name, 0);
    }
    EQ("T04", "sg_count", 0);
    EQ("T04", "gs_count", 0);
    for (int k = 0; k < FT_PAT_COUNT; k++) {
        char name[48];
        snprintf(name, sizeof name, "det_%s", ft_pattern_name((ft_pattern)k));
        EQ("T04", name, 0);
    }
    /* T05, T03: gaps */
    EQ("T05", "src_gap_hours", 6);
    EQ("T05", "dst_gap_hours", 6);
    EQ("T03", "src_gap_hours", 24);
    EQ("T03", "dst_gap_hours", 48);
    /* T01: a new relation on a temporal cycle */
    EQ("T01", "pair_novel", 1);
    EQ("T01", "flag_link", 1);
    EQ("T01", "flag_unusual", 1);
    EQ("T01", "pair_count", 1);
    EQ("T01", "pair_reverse", 0);
    MISSING("T01", "src_gap_hours");
    MISSING("T01", "dst_gap_hours");
    EQ("T01", "amount_dst_median", 1);
    for (int t = 1; t <= 3; t++) {
        char id[8];
        snprintf(id, sizeof id, "T0%d", t);
        EQ(id, "cycle_3", 1);
        EQ(id, "tcycle_3", 1);
        EQ(id, "cycle_4", 0);
        assert_true(value(&l, id, "det_cycle") > 0);
    }
    /* T16, T17, T18: the structural cycle */
    for (int t = 16; t <= 18; t++) {
        char id[8];
        snprintf(id, sizeof id, "T%d", t);
        EQ(id, "cycle_3", 1);
        EQ(id, "tcycle_3", 0);
        assert_true(value(&l, id, "det_cycle") > 0);
    }
    /* the scatter-gather and the gather-scatter */
    for (int t = 1; t <= 18; t++) {
        char id[8];
        snprintf(id, sizeof id, "T%02d", t);
        EQ(id, "sg_count", t >= 7 && t <= 12 ? 1 : 0);
        EQ(id, "gs_count", t >= 10 && t <= 15 ? 1 : 0);
    }
    unload(&l);
}

/* Each det_ column is the best score of that detector's candidates
 * covering the row, as the scan finds them with every candidate kept. */
static void test_detector_scores(void **state)
{
    (void)state;
    loaded l;
    load(&l, NULL, 1);
    ft_scan_params p = l.o.scan;
    p.candidates = true;
    ft_alerts al;
    ft_error err;
    assert_int_equal(ft_scan_run(&l.s, &p, 1, &al, &err), FT_OK);
    float best[NROWS][FT_PAT_COUNT];
    memset(best, 0, sizeof best);
    for (uint32_t i = 0; i < al.n; i++)
        for (uint32_t k = 0; k < al.v[i].ntxn; k++) {
            uint32_t t = al.txns[al.v[i].txn0 + k];
            if (al.v[i].score > best[t][al.v[i].kind])
                best[t][al.v[i].kind] = al.v[i].score;
        }
    for (uint32_t r = 0; r < NROWS; r++)
        for (int k = 0; k < FT_PAT_COUNT; k++)
            assert_true(l.rows[(size_t)r * l.ncols + ft_features_det_col(&l.o, (ft_pattern)k)] ==
                        best[r][k]);
    assert_true(best[row_of(&l, "T07")][FT_PAT_SCATTER_GATHER] > 0);
    assert_true(best[row_of(&l, "T13")][FT_PAT_GATHER_SCATTER] > 0);
    ft_alerts_free(&al);
    unload(&l);
}

/* The same values for 1 or 3 threads and for the rows in another order
 * (rows are compared by id: the store's order of equal times may differ). */
static void test_threads_and_order(void **state)
{
    (void)state;
    loaded a, b;
    load(&a, NULL, 1);
    int perm[NROWS];
    for (int i = 0; i < NROWS; i++)
        perm[i] = NROWS - 1 - i;
    load(&b, perm, 3);
    for (int i = 0; i < NROWS; i++) {
        char id[8];
        snprintf(id, sizeof id, "T%02d", i + 1);
        const float *x = a.rows + (size_t)row_of(&a, id) * a.ncols;
        const float *y = b.rows + (size_t)row_of(&b, id) * b.ncols;
        for (uint32_t c = 0; c < a.ncols; c++)
            assert_true((isnan(x[c]) && isnan(y[c])) || x[c] == y[c]);
    }
    unload(&a);
    unload(&b);
}

static void test_settings(void **state)
{
    (void)state;
    ft_features_opts o, back;
    ft_error err;
    ft_features_defaults(&o);
    assert_int_equal(ft_features_set_windows(&o, "2d,6h", &err), FT_OK);
    assert_int_equal(ft_scan_param_set(&o.scan, "cycle.max_hops", "6", &err), FT_OK);
    o.scan.enabled[FT_PAT_STACK] = false;
    char *t = ft_features_settings(&o);
    assert_non_null(t);
    assert_true(strncmp(t, "version=1\nwindows=6h,2d\n", 24) == 0);
    assert_non_null(strstr(t, "\ncycle.max_hops=6\n"));
    assert_non_null(strstr(t, "\nscan.min_score=0\n"));
    assert_non_null(strstr(t, "\nstack.enabled=0\n"));
    assert_int_equal(ft_features_settings_parse(&back, t, &err), FT_OK);
    char *again = ft_features_settings(&back);
    assert_string_equal(t, again);
    char diff[200];
    ft_features_opts d;
    ft_features_defaults(&d);
    char *dt = ft_features_settings(&d);
    assert_true(ft_features_settings_diff(t, dt, diff, sizeof diff));
    assert_string_equal(diff, "windows: 6h,2d against 1d,7d,30d");
    assert_false(ft_features_settings_diff(t, again, diff, sizeof diff));
    /* another version, a missing line */
    char *bad = strdup(t);
    bad[8] = '9';
    assert_int_equal(ft_features_settings_parse(&back, bad, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "version 9"));
    assert_int_equal(ft_features_settings_parse(&back, "version=1\nwindows=1d\n", &err), FT_EINPUT);
    free(bad);
    free(t);
    free(again);
    free(dt);
}

static void test_writers(void **state)
{
    (void)state;
    loaded l;
    load(&l, NULL, 1);
    char *dir = tu_tmpdir();
    char csv[600], mat[600], csv2[600];
    snprintf(csv, sizeof csv, "%s/f.csv", dir);
    snprintf(csv2, sizeof csv2, "%s/f2.csv", dir);
    snprintf(mat, sizeof mat, "%s/f.mat", dir);
    uint8_t label[NROWS] = {0};
    label[row_of(&l, "T01")] = 1;
    ft_error err;
    assert_int_equal(ft_features_write_csv(l.f, label, csv, 1, &err), FT_OK);
    assert_int_equal(ft_features_write_csv(l.f, label, csv2, 3, &err), FT_OK);
    assert_int_equal(ft_features_write_matrix(l.f, label, mat, 2, &err), FT_OK);
    size_t n1, n2, nm;
    char *a = tu_read(csv, &n1), *b = tu_read(csv2, &n2), *m = tu_read(mat, &nm);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    assert_true(strncmp(a, "txn_id,label,amount,amount_src_median,", 38) == 0);
    /* T04's line: integers as integers, a missing value empty */
    const char *t04 = strstr(a, "\nT04,0,100,1,1,24,,5,3,2,1,0,0,0,0,0,2,1,0,2,1,1,0,1,");
    assert_non_null(t04);
    assert_non_null(strstr(a, "\nT01,1,1000,"));
    /* the matrix: a header, then rows of label and columns */
    assert_true(strncmp(m, "fundtrace-features 1\nrows 18\ncols 70\nlabel first\n", 49) == 0);
    const char *off = strstr(m, "\noffset ");
    assert_non_null(off);
    size_t at = (size_t)strtoul(off + 8, NULL, 10);
    assert_int_equal(at % 4096, 0);
    assert_int_equal(nm, at + (size_t)NROWS * (l.ncols + 1) * 4);
    float x[2];
    memcpy(x, m + at + (size_t)row_of(&l, "T04") * (l.ncols + 1) * 4, sizeof x);
    assert_true(x[0] == 0 && x[1] == 100);
    free(a);
    free(b);
    free(m);
    tu_rmdir(dir);
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),         cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_detector_scores), cmocka_unit_test(test_threads_and_order),
        cmocka_unit_test(test_settings),        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
