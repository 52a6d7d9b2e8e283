/*
 * test_snapshot.c - round trip of every column, and refusal of every kind
 * of damage: truncation, a flipped bit in any byte, another version.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/hash.h"
#include "fundtrace/output.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/stats.h"

static const char *GENERIC =
    "txn_id,timestamp,src_account,dst_account,amount,currency,channel,memo,label\n"
    "T1,2024-03-01T10:00:00Z,A,B,100.50,EUR,wire,rent,\n"
    "17,2024-03-01T09:00:00Z,B,C,50,EUR,card,\"a, b\",fanout-1\n"
    ",2024-03-01T10:00:00Z,C,A,1500,JPY,,,\n"
    "bad,2024-03-01T10:00:00Z,C,A,1.5,JPY,,,\n";

static const char *IBM =
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
    "2022/09/01 00:05,0134266,814167590,0036925,810E343A0,132713.46,Yuan,18264.20,Euro,ACH,1\n"
    "2022/09/01 00:06,10,8000EBD30,012,80011F990,682100.98,Yen,682100.98,Yen,Wire,1\n";

static void load_both(ft_store *s)
{
    ft_error err;
    assert_int_equal(ft_ingest_buffer(s, "g.csv", GENERIC, strlen(GENERIC), NULL, &err), FT_OK);
    assert_int_equal(ft_ingest_buffer(s, "ibm.csv", IBM, strlen(IBM), NULL, &err), FT_OK);
    assert_int_equal(ft_store_finish(s, &err), FT_OK);
}

/* Stats in JSON: a compact fingerprint of everything a command sees. */
static char *stats_json(const ft_store *s)
{
    ft_stats st;
    assert_int_equal(ft_stats_compute(s, &st, NULL), FT_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ft_write_stats(f, s, &st, FT_FORMAT_JSONL);
    fclose(f);
    ft_stats_free(&st);
    return buf;
}

static void assert_same_store(const ft_store *a, const ft_store *b)
{
    assert_int_equal(a->t.n, b->t.n);
    for (int c = 0; c < FT_COL_COUNT; c++) {
        const void *ca = ft_store_col(a, (ft_col)c), *cb = ft_store_col(b, (ft_col)c);
        assert_true((ca == NULL) == (cb == NULL));
        if (ca)
            assert_memory_equal(ca, cb, (size_t)a->t.n * ft_col_size((ft_col)c));
    }
    assert_int_equal(a->accounts.n, b->accounts.n);
    for (uint32_t i = 0; i < a->accounts.n; i++)
        assert_string_equal(ft_store_account(a, i, NULL), ft_store_account(b, i, NULL));
    assert_int_equal(a->ncurrencies, b->ncurrencies);
    for (int i = 0; i < a->ncurrencies; i++) {
        assert_string_equal(a->currencies[i].code, b->currencies[i].code);
        assert_int_equal(a->currencies[i].exponent, b->currencies[i].exponent);
    }
    char ia[128], ib[128];
    for (int64_t i = 0; i < a->t.n; i++) {
        ft_store_txid(a, i, ia, sizeof ia);
        ft_store_txid(b, i, ib, sizeof ib);
        assert_string_equal(ia, ib);
    }
    assert_int_equal(a->report.rows_read, b->report.rows_read);
    assert_int_equal(a->report.rows_rejected, b->report.rows_rejected);
    assert_memory_equal(a->report.by_reason, b->report.by_reason, sizeof a->report.by_reason);
    assert_int_equal(a->report.nsources, b->report.nsources);
    for (int i = 0; i < a->report.nsources; i++) {
        assert_string_equal(a->report.sources[i].path, b->report.sources[i].path);
        assert_string_equal(a->report.sources[i].layout, b->report.sources[i].layout);
        assert_string_equal(a->report.sources[i].sha256, b->report.sources[i].sha256);
        assert_int_equal(a->report.sources[i].bytes, b->report.sources[i].bytes);
    }
    char *ja = stats_json(a), *jb = stats_json(b);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
}

static void test_round_trip(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/case.ftg", dir);
    ft_store s = {0}, r = {0};
    ft_error err;
    load_both(&s);
    assert_int_equal(s.t.n, 5);
    assert_non_null(s.t.memo);
    assert_non_null(s.t.amount_recv);
    assert_non_null(s.t.file);
    assert_int_equal(ft_snapshot_write(&s, path, &err), FT_OK);
    assert_true(ft_snapshot_is(path));
    assert_int_equal(ft_snapshot_read(&r, path, &err), FT_OK);
    assert_non_null(r.map);
    assert_same_store(&s, &r);
    /* Lookups work on the mapped tables. */
    uint32_t id;
    assert_true(ft_intern_find(&r.accounts, "10:8000EBD30", 12, &id));
    assert_string_equal(ft_store_account(&r, id, NULL), "10:8000EBD30");
    int64_t row17 = -1;
    char idbuf[64];
    for (int64_t i = 0; i < r.t.n; i++)
        if (ft_store_txid(&r, i, idbuf, sizeof idbuf) && strcmp(idbuf, "17") == 0)
            row17 = i;
    assert_true(row17 >= 0);
    assert_string_equal(ft_pool_get(&r.strings, r.t.memo[row17], NULL), "a, b");
    /* The id index comes mapped from the file, built for nothing. */
    uint32_t t17;
    assert_int_not_equal(r.txids.nbuckets, 0);
    assert_true(ft_store_find_txid(&r, "17", 2, &t17));
    assert_int_equal(t17, row17);
    assert_false(ft_store_find_txid(&r, "171", 3, &t17));
    /* A snapshot of a snapshot is the same file. */
    char path2[512];
    snprintf(path2, sizeof path2, "%s/again.ftg", dir);
    assert_int_equal(ft_snapshot_write(&r, path2, &err), FT_OK);
    size_t l1, l2;
    char *b1 = tu_read(path, &l1), *b2 = tu_read(path2, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    free(b1);
    free(b2);
    /* No temporary file is left behind. */
    DIR *d = opendir(dir);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            files++;
    closedir(d);
    assert_int_equal(files, 2);
    ft_store_free(&r);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_empty_store_round_trip(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/empty.ftg", dir);
    ft_store s = {0}, r = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "h.csv", "timestamp,src_account,dst_account,amount,currency\n",
                             NULL, NULL, &err),
                     FT_OK);
    assert_int_equal(ft_snapshot_write(&s, path, &err), FT_OK);
    if (ft_snapshot_read(&r, path, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(r.t.n, 0);
    assert_int_equal(r.accounts.n, 0);
    ft_store_free(&r);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static ft_status read_bytes(const char *path, const char *data, size_t len, ft_error *err)
{
    tu_write(path, data, len);
    ft_store r = {0};
    ft_status rc = ft_snapshot_read(&r, path, err);
    ft_store_free(&r);
    return rc;
}

/* Writes the two-file store to DIR/case.ftg and returns the file's bytes;
 * `bad` is set to DIR/bad.ftg for damaged copies. */
static char *written_case(const char *dir, char bad[512], size_t *len)
{
    char path[512];
    snprintf(path, 512, "%s/case.ftg", dir);
    snprintf(bad, 512, "%s/bad.ftg", dir);
    ft_store s = {0};
    ft_error err;
    load_both(&s);
    assert_int_equal(ft_snapshot_write(&s, path, &err), FT_OK);
    ft_store_free(&s);
    return tu_read(path, len);
}

static void test_every_flipped_byte_is_refused(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char bad[512];
    ft_error err;
    size_t len;
    char *orig = written_case(dir, bad, &len);
    char *copy = malloc(len);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    /* One flipped bit in every byte of the file, at a varying position. */
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, orig, len);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        copy[i] ^= (char)(1u << (x % 8));
        ft_status rc = read_bytes(bad, copy, len, &err);
        if (rc != FT_ECORRUPT)
            fail_msg("a flip at byte %zu of %zu was not refused (status %d)", i, len, rc);
    }
    /* Every truncation, and one byte appended. */
    for (size_t cut = 0; cut < len; cut += 7)
        assert_int_equal(read_bytes(bad, orig, cut, &err), FT_ECORRUPT);
    assert_int_equal(read_bytes(bad, orig, len - 1, &err), FT_ECORRUPT);
    assert_non_null(strstr(err.msg, "damaged snapshot"));
    memcpy(copy, orig, len);
    char *longer = malloc(len + 1);
    memcpy(longer, orig, len);
    longer[len] = 0;
    assert_int_equal(read_bytes(bad, longer, len + 1, &err), FT_ECORRUPT);
    assert_non_null(strstr(err.msg, "truncated or appended to"));
    free(longer);
    assert_int_equal(read_bytes(bad, orig, len, &err), FT_OK); /* the original still reads */
    free(copy);
    free(orig);
    tu_rmdir(dir);
}

static void test_other_version_and_not_a_snapshot(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char bad[512];
    ft_error err;
    size_t len;
    char *data = written_case(dir, bad, &len);
    /* Version 3 with a correct header checksum: refused for its version. */
    uint32_t v = 3;
    memcpy(data + 8, &v, 4);
    uint64_t h = ft_xxh64(data, 56, 0);
    memcpy(data + 56, &h, 8);
    assert_int_equal(read_bytes(bad, data, len, &err), FT_ECORRUPT);
    assert_non_null(strstr(err.msg, "snapshot format version 3, this fundtrace reads version 2"));
    const char *csv = "timestamp,src_account\n";
    assert_int_equal(read_bytes(bad, csv, strlen(csv), &err), FT_ECORRUPT);
    assert_non_null(strstr(err.msg, "shorter than a snapshot header"));
    memset(data, 'x', 64);
    assert_int_equal(read_bytes(bad, data, len, &err), FT_ECORRUPT);
    assert_non_null(strstr(err.msg, "not a fundtrace snapshot"));
    assert_false(ft_snapshot_is(bad));
    free(data);
    /* A snapshot cannot be written where no directory exists. */
    ft_store e = {0};
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.ftg", dir);
    assert_int_equal(ft_snapshot_write(&e, bad, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "x.ftg"));
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_store_round_trip),
        cmocka_unit_test(test_every_flipped_byte_is_refused),
        cmocka_unit_test(test_other_version_and_not_a_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
