/*
 * test_snapshot.c - round trip of every column, and refusal of every kind
 * of damage: truncation, a flipped bit in any byte, another version.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fundtrace/hash.h"
#include "fundtrace/ingest.h"
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
    /* Bytes after a currency code's end in memory do not reach the file:
     * the same data gives the same file. */
    char path3[512];
    snprintf(path3, sizeof path3, "%s/junk.ftg", dir);
    size_t clen = strlen(s.currencies[0].code);
    memset(s.currencies[0].code + clen + 1, 0xAA, sizeof s.currencies[0].code - clen - 1);
    assert_int_equal(ft_snapshot_write(&s, path3, &err), FT_OK);
    b1 = tu_read(path, &l1);
    b2 = tu_read(path3, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    free(b1);
    free(b2);
    remove(path3);
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

/* A store read from a snapshot is the file's, mapped read-only: it
 * takes no new column, row, currency, and loses no row; it still finds
 * what it has. */
static void test_mapped_store_does_not_change(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/case.ftg", dir);
    ft_store s = {0}, r = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "g.csv", GENERIC, NULL, NULL, &err), FT_OK);
    assert_int_equal(ft_snapshot_write(&s, path, &err), FT_OK);
    assert_int_equal(ft_snapshot_read(&r, path, &err), FT_OK);
    assert_null(r.t.value_ms);
    assert_int_equal(ft_store_enable(&r, FT_COL_VALUE_MS, &err), FT_EUSAGE);
    assert_string_equal(err.msg, "a store read from a snapshot cannot change");
    assert_int_equal(ft_store_enable(&r, FT_COL_MEMO, &err), FT_OK); /* it has it */
    ft_currency usd = {"USD", 2}, eur = {"EUR", 2};
    uint16_t id;
    assert_int_equal(ft_store_currency(&r, &usd, &id, &err), FT_EUSAGE);
    assert_string_equal(err.msg, "a store read from a snapshot cannot change");
    assert_int_equal(r.ncurrencies, 2);
    assert_int_equal(ft_store_currency(&r, &eur, &id, &err), FT_OK);
    assert_string_equal(r.currencies[id].code, "EUR");
    ft_row row = {.ts_ms = r.t.ts_ms[r.t.n - 1]};
    assert_int_equal(ft_store_append(&r, &row, &err), FT_EUSAGE);
    assert_string_equal(err.msg, "a store read from a snapshot cannot grow");
    uint8_t drop[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(ft_store_remove(&r, drop, &err), FT_EUSAGE);
    assert_int_equal(r.t.n, s.t.n);
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

/* --- crafted snapshots -------------------------------------------------- */

/*
 * A snapshot taken apart into its sections, changed, and written again
 * with every checksum recomputed: what refuses the file is then the
 * reader's structural check, not a checksum. The layout is snapshot.h's;
 * the section ids and the counts' slots are those of snapshot.c.
 */
enum {
    SEC_META = 1,
    SEC_CURRENCIES,
    SEC_SOURCES,
    SEC_SOURCE_STRINGS,
    SEC_OPTIONS,
    SEC_ACC_POOL,
    SEC_ACC_OFF,
    SEC_ACC_SLOTS,
    SEC_CHAN_POOL,
    SEC_CHAN_OFF,
    SEC_CHAN_SLOTS,
    SEC_LAB_POOL,
    SEC_LAB_OFF,
    SEC_LAB_SLOTS,
    SEC_STRINGS,
    SEC_SOURCE_NOTES,
    SEC_DUPS,
    SEC_TXID_OFF,
    SEC_TXID_TXN,
    SEC_COL = 100, /* + ft_col */
};
enum { M_N, M_ACCOUNTS, M_CHANNELS, M_LABELS, M_CURRENCIES, M_SOURCES, M_NREASONS = 9 };

#define HEAD  64 /* header bytes; its XXH64 covers the first 56 */
#define ENTRY 48 /* id, elem_size, offset, size, count, xxh, reserved */

typedef struct section {
    uint32_t id, elem;
    uint64_t count;
    unsigned char *data;
} section;

typedef struct snap {
    unsigned char head[HEAD];
    int n;
    section s[64];
} snap;

static uint64_t get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void put64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void snap_parse(snap *p, const unsigned char *f)
{
    memcpy(p->head, f, HEAD);
    uint32_t n;
    memcpy(&n, f + 16, 4);
    p->n = (int)n;
    const unsigned char *table = f + get64(f + 24);
    for (int i = 0; i < p->n; i++) {
        const unsigned char *e = table + (size_t)i * ENTRY;
        section *s = &p->s[i];
        memcpy(&s->id, e, 4);
        memcpy(&s->elem, e + 4, 4);
        s->count = get64(e + 24);
        size_t size = (size_t)get64(e + 16);
        s->data = calloc(size + 1, 1);
        memcpy(s->data, f + get64(e + 8), size);
    }
}

static void snap_copy(snap *to, const snap *from)
{
    *to = *from;
    for (int i = 0; i < from->n; i++) {
        size_t size = (size_t)(from->s[i].count * from->s[i].elem);
        to->s[i].data = calloc(size + 1, 1);
        memcpy(to->s[i].data, from->s[i].data, size);
    }
}

static void snap_free(snap *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->s[i].data);
    p->n = 0;
}

/* The section with `id`. */
static section *sec(snap *p, uint32_t id)
{
    for (int i = 0; i < p->n; i++)
        if (p->s[i].id == id)
            return &p->s[i];
    fail_msg("no section %u", id);
    return NULL;
}

/* Gives section `id` `count` elements, new ones zero. */
static unsigned char *resize(snap *p, uint32_t id, uint64_t count)
{
    section *s = sec(p, id);
    size_t old = (size_t)(s->count * s->elem), size = (size_t)(count * s->elem);
    s->data = realloc(s->data, size + 1);
    if (size > old)
        memset(s->data + old, 0, size - old);
    s->count = count;
    return s->data;
}

static int64_t *meta(snap *p)
{
    return (int64_t *)sec(p, SEC_META)->data;
}

/* Recomputes the table's and the header's checksums of file f. */
static void reseal(unsigned char *f)
{
    uint32_t n;
    memcpy(&n, f + 16, 4);
    put64(f + 40, ft_xxh64(f + get64(f + 24), (size_t)n * ENTRY, 0));
    put64(f + 56, ft_xxh64(f, 56, 0));
}

/* The file: header, sections 64-byte aligned, the table; every checksum
 * right. */
static unsigned char *emit(const snap *p, size_t *len)
{
    size_t cap = HEAD;
    for (int i = 0; i < p->n; i++)
        cap += (size_t)(p->s[i].count * p->s[i].elem) + 64;
    cap += (size_t)p->n * ENTRY + 64;
    unsigned char *f = calloc(cap, 1);
    unsigned char table[64 * ENTRY] = {0};
    size_t pos = HEAD;
    for (int i = 0; i < p->n; i++) {
        const section *s = &p->s[i];
        size_t size = (size_t)(s->count * s->elem);
        unsigned char *e = table + (size_t)i * ENTRY;
        put32(e, s->id);
        put32(e + 4, s->elem);
        put64(e + 8, pos);
        put64(e + 16, size);
        put64(e + 24, s->count);
        put64(e + 32, ft_xxh64(s->data, size, 0));
        memcpy(f + pos, s->data, size);
        pos = (pos + size + 63) / 64 * 64;
    }
    memcpy(f, p->head, HEAD);
    put32(f + 16, (uint32_t)p->n);
    put64(f + 24, pos);
    memcpy(f + pos, table, (size_t)p->n * ENTRY);
    pos += (size_t)p->n * ENTRY;
    put64(f + 32, pos);
    reseal(f);
    *len = pos;
    return f;
}

static char crafted_path[512];

static ft_status read_file_bytes(const unsigned char *f, size_t len, ft_error *err)
{
    return read_bytes(crafted_path, (const char *)f, len, err);
}

static void refused_bytes(const unsigned char *f, size_t len, const char *what, int line)
{
    ft_error err;
    ft_status rc = read_file_bytes(f, len, &err);
    if (rc != FT_ECORRUPT || !strstr(err.msg, what))
        fail_msg("line %d: want '%s', got status %d: %s", line, what, rc,
                 rc == FT_OK ? "(read)" : err.msg);
}

static void check_snap(snap *p, const char *what, int line)
{
    size_t len;
    unsigned char *f = emit(p, &len);
    if (what) {
        refused_bytes(f, len, what, line);
    } else {
        ft_error err;
        if (read_file_bytes(f, len, &err) != FT_OK)
            fail_msg("line %d: refused: %s", line, err.msg);
    }
    free(f);
}

/* REFUSED(p, what): the snapshot p is refused with a message holding
 * `what`; ACCEPTED(p): it reads. Both free p. */
#define REFUSED(p, what) (check_snap(p, what, __LINE__), snap_free(p))
#define ACCEPTED(p)      (check_snap(p, NULL, __LINE__), snap_free(p))

static snap pristine;

/* Every column, the statement ones, duplicates and merges: the generic
 * rows, the IBM rows, and both banks' statements (bank A's twice). Made
 * once; each test takes a copy. */
static void crafted_case(snap *p)
{
    snprintf(crafted_path, sizeof crafted_path, "/tmp/ft_crafted_%d.ftg", (int)getpid());
    if (pristine.n) {
        snap_copy(p, &pristine);
        return;
    }
    char *dir = tu_tmpdir();
    char g[512], ibm[512], path[512];
    snprintf(g, sizeof g, "%s/g.csv", dir);
    snprintf(ibm, sizeof ibm, "%s/ibm.csv", dir);
    snprintf(path, sizeof path, "%s/case.ftg", dir);
    tu_write(g, GENERIC, strlen(GENERIC));
    tu_write(ibm, IBM, strlen(IBM));
    const char *paths[] = {g, ibm, FT_TEST_DATA "/../../data/bank_a.sta",
                           FT_TEST_DATA "/../../data/bank_b.xml",
                           FT_TEST_DATA "/../../data/bank_a.sta"};
    ft_store s = {0};
    ft_error err;
    if (ft_ingest_files(&s, paths, 5, NULL, &err) != FT_OK ||
        ft_snapshot_write(&s, path, &err) != FT_OK)
        fail_msg("%s", err.msg);
    for (int c = 0; c < FT_COL_COUNT; c++)
        if (c != FT_COL_VALUE_MS && !ft_store_col(&s, (ft_col)c))
            fail_msg("the case lacks column %d", c);
    assert_true(s.report.ndups > 0);
    ft_store_free(&s);
    size_t len;
    unsigned char *f = (unsigned char *)tu_read(path, &len);
    snap_parse(&pristine, f);
    free(f);
    tu_rmdir(dir);
    snap_copy(p, &pristine);
}

static int free_pristine(void **state)
{
    (void)state;
    snap_free(&pristine);
    return 0;
}

/* The snapshot of CSV text. */
static void snap_of_csv(snap *p, const char *csv)
{
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/csv.ftg", dir);
    ft_store s = {0};
    ft_error err;
    if (tu_load(&s, "c.csv", csv, NULL, NULL, &err) != FT_OK ||
        ft_snapshot_write(&s, path, &err) != FT_OK)
        fail_msg("%s", err.msg);
    ft_store_free(&s);
    size_t len;
    unsigned char *f = (unsigned char *)tu_read(path, &len);
    snap_parse(p, f);
    free(f);
    tu_rmdir(dir);
}

static void crafted_done(snap *p)
{
    snap_free(p);
    unlink(crafted_path);
}

static void test_crafted_header_and_table(void **state)
{
    (void)state;
    snap orig, p;
    crafted_case(&orig);
    snap_copy(&p, &orig);
    ACCEPTED(&p); /* taken apart and put together again, it still reads */
    /* Sections this reader does not know are skipped, up to 64 in all. */
    snap_copy(&p, &orig);
    while (p.n < 64)
        p.s[p.n++] = (section){200 + (uint32_t)p.n, 1, 3, calloc(4, 1)};
    ACCEPTED(&p);

    size_t len;
    snap_copy(&p, &orig);
    unsigned char *f = emit(&p, &len), *g = malloc(len + 64);
    snap_free(&p);
    uint64_t table = get64(f + 24);
    uint32_t n = (uint32_t)orig.n;
    /* The header's table: more sections than a snapshot has, out of line,
     * before the header's end, past the file's end, longer than the file. */
    const uint64_t bad[5] = {65, table + 4, 56, len + 8, n + 1};
    for (int k = 0; k < 5; k++) {
        memcpy(g, f, len);
        if (k == 0 || k == 4)
            put32(g + 16, (uint32_t)bad[k]);
        else
            put64(g + 24, bad[k]);
        put64(g + 56, ft_xxh64(g, 56, 0));
        refused_bytes(g, len, "section table out of bounds", __LINE__);
    }
    /* A header alone, with an empty table right after it: in bounds, but
     * every section is missing. */
    memcpy(g, f, HEAD);
    put32(g + 16, 0);
    put64(g + 24, HEAD);
    put64(g + 32, HEAD);
    reseal(g);
    refused_bytes(g, HEAD, "a section is missing", __LINE__);
    /* One section fewer in the table: it no longer ends the file. */
    memcpy(g, f, len);
    put32(g + 16, n - 1);
    reseal(g);
    refused_bytes(g, len, "the section table does not end the file", __LINE__);
    /* 64 zeros before the table: a gap after the last section. */
    memcpy(g, f, table);
    memset(g + table, 0, 64);
    memcpy(g + table + 64, f + table, len - table);
    put64(g + 24, table + 64);
    put64(g + 32, len + 64);
    reseal(g);
    refused_bytes(g, len + 64, "a gap before the section table", __LINE__);
    /* Entries: out of place, longer than the room before the table, of
     * element size 0, a count whose size overflows, a count that does not
     * give the size. */
    for (int k = 0; k < 5; k++) {
        memcpy(g, f, len);
        unsigned char *e = g + table + ENTRY * 3;
        if (k == 0)
            put64(e + 8, get64(e + 8) + 64);
        else if (k == 1)
            put64(e + 16, table - get64(e + 8) + 1);
        else if (k == 2)
            put32(e + 4, 0);
        else if (k == 3)
            put64(e + 24, UINT64_C(1) << 63);
        else
            put64(e + 24, get64(e + 24) + 1);
        reseal(g);
        refused_bytes(g, len, "a section lies outside the file", __LINE__);
    }
    /* The last section reaching right up to a table that is not 64-byte
     * aligned: its padding would run into the table. */
    memcpy(g, f, table);
    memset(g + table, 0x11, 8);
    memcpy(g + table + 8, f + table, len - table);
    unsigned char *last = g + table + 8 + (size_t)(n - 1) * ENTRY;
    uint64_t off = get64(last + 8), size = table + 8 - off;
    uint32_t elem;
    memcpy(&elem, last + 4, 4);
    assert_int_equal(size % elem, 0);
    put64(last + 16, size);
    put64(last + 24, size / elem);
    put64(last + 32, ft_xxh64(g + off, size, 0));
    put64(g + 24, table + 8);
    put64(g + 32, len + 8);
    reseal(g);
    refused_bytes(g, len + 8, "a section lies outside the file", __LINE__);
    /* The section table checksum of a table changed in place. */
    memcpy(g, f, len);
    g[table + 8] ^= 1;
    refused_bytes(g, len, "section table checksum mismatch", __LINE__);
    free(f);
    free(g);

    /* Sections: one of the wrong element size (same bytes), one of the
     * wrong count, one missing. */
    snap_copy(&p, &orig);
    section *amt = sec(&p, SEC_COL + FT_COL_AMOUNT);
    amt->elem = 4;
    amt->count *= 2;
    REFUSED(&p, "a section has the wrong size");
    snap_copy(&p, &orig);
    resize(&p, SEC_COL + FT_COL_LINE, sec(&p, SEC_COL + FT_COL_LINE)->count + 1);
    REFUSED(&p, "a section has the wrong size");
    /* Every section a store needs, missing; those older files lack, or a
     * store may lack, missing: it still reads. */
    static const uint32_t needed[] = {SEC_META,
                                      SEC_CURRENCIES,
                                      SEC_SOURCES,
                                      SEC_SOURCE_STRINGS,
                                      SEC_OPTIONS,
                                      SEC_ACC_POOL,
                                      SEC_ACC_OFF,
                                      SEC_ACC_SLOTS,
                                      SEC_CHAN_POOL,
                                      SEC_CHAN_OFF,
                                      SEC_CHAN_SLOTS,
                                      SEC_LAB_POOL,
                                      SEC_LAB_OFF,
                                      SEC_LAB_SLOTS,
                                      SEC_STRINGS,
                                      SEC_COL + FT_COL_TS,
                                      SEC_COL + FT_COL_AMOUNT,
                                      SEC_COL + FT_COL_SRC,
                                      SEC_COL + FT_COL_DST,
                                      SEC_COL + FT_COL_CUR,
                                      SEC_COL + FT_COL_LINE};
    for (size_t k = 0; k < sizeof needed / sizeof needed[0]; k++) {
        snap_copy(&p, &orig);
        sec(&p, needed[k])->id = 99;
        REFUSED(&p, "a section is missing");
    }
    static const uint32_t optional[] = {SEC_SOURCE_NOTES,      SEC_DUPS,
                                        SEC_TXID_OFF,          SEC_COL + FT_COL_FILE,
                                        SEC_COL + FT_COL_MEMO, SEC_COL + FT_COL_TXID,
                                        SEC_COL + FT_COL_SIDE};
    for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++) {
        snap_copy(&p, &orig);
        sec(&p, optional[k])->id = 99;
        if (optional[k] == SEC_TXID_OFF)
            sec(&p, SEC_TXID_TXN)->id = 98;
        ACCEPTED(&p);
    }
    crafted_done(&orig);
}

/* A byte changed in a section is named with the section: its id and
 * what it holds, "unknown" for an id this reader does not know. */
static void test_checksum_names_the_section(void **state)
{
    (void)state;
    snap orig, p;
    crafted_case(&orig);
    static const struct {
        uint32_t id;
        const char *name;
    } secs[] = {
        {SEC_META, "counts"},
        {SEC_DUPS, "duplicates and merges"},
        {SEC_TXID_OFF, "id index buckets"},
        {SEC_TXID_TXN, "id index"},
        {SEC_COL + FT_COL_TS, "time column"},
        {SEC_COL + FT_COL_SIDE, "statement side column"},
        {99, "unknown"},
        {SEC_COL + FT_COL_COUNT, "unknown"},
    };
    for (size_t k = 0; k < sizeof secs / sizeof secs[0]; k++) {
        snap_copy(&p, &orig);
        if (secs[k].id == 99 || secs[k].id == SEC_COL + FT_COL_COUNT) {
            /* a section this reader skips */
            section *x = &p.s[p.n++];
            *x = (section){secs[k].id, 1, 8, calloc(9, 1)};
        }
        size_t len;
        unsigned char *f = emit(&p, &len);
        uint32_t n;
        memcpy(&n, f + 16, 4);
        const unsigned char *table = f + get64(f + 24), *e = NULL;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t id;
            memcpy(&id, table + (size_t)i * ENTRY, 4);
            if (id == secs[k].id)
                e = table + (size_t)i * ENTRY;
        }
        assert_non_null(e);
        f[get64(e + 8)] ^= 0x40;
        char want[96];
        snprintf(want, sizeof want, "checksum mismatch in section %u (%s)", secs[k].id,
                 secs[k].name);
        refused_bytes(f, len, want, __LINE__);
        if (k == 6) {
            /* unchanged, the unknown section is skipped */
            f[get64(e + 8)] ^= 0x40;
            ft_error err;
            assert_int_equal(read_file_bytes(f, len, &err), FT_OK);
        }
        free(f);
        snap_free(&p);
    }
    crafted_done(&orig);
}

static void test_crafted_counts_and_files(void **state)
{
    (void)state;
    snap orig, p;
    crafted_case(&orig);
    int64_t nreasons = meta(&orig)[M_NREASONS];
    assert_int_equal(nreasons, FT_REJ_COUNT);
    /* The counts: too short to hold the reasons' count; no reasons; more
     * reasons than there are (with room for them); fewer than the section
     * holds. */
    snap_copy(&p, &orig);
    resize(&p, SEC_META, M_NREASONS + 2);
    REFUSED(&p, "the counts section has the wrong size");
    snap_copy(&p, &orig);
    resize(&p, SEC_META, M_NREASONS + 2 + 1);
    meta(&p)[M_NREASONS] = 0;
    REFUSED(&p, "the counts section has the wrong size");
    snap_copy(&p, &orig);
    resize(&p, SEC_META, sec(&p, SEC_META)->count + 1);
    meta(&p)[M_NREASONS] = FT_REJ_COUNT + 1;
    REFUSED(&p, "the counts section has the wrong size");
    snap_copy(&p, &orig);
    meta(&p)[M_NREASONS] = FT_REJ_COUNT - 1;
    REFUSED(&p, "the counts section has the wrong size");
    /* ... but fewer reasons in a section that size reads (version 1). */
    snap_copy(&p, &orig);
    resize(&p, SEC_META, sec(&p, SEC_META)->count - 1);
    meta(&p)[M_NREASONS] = FT_REJ_COUNT - 1;
    ACCEPTED(&p);
    /* Table counts below zero or too large. */
    static const struct {
        int slot;
        int64_t v;
    } counts[] = {{M_N, -1},
                  {M_N, FT_MAX_TXNS + 1},
                  {M_ACCOUNTS, -1},
                  {M_CHANNELS, -1},
                  {M_LABELS, -1},
                  {M_SOURCES, -1},
                  {M_SOURCES, FT_MAX_SMALL_ID + 1}};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        snap_copy(&p, &orig);
        meta(&p)[counts[k].slot] = counts[k].v;
        REFUSED(&p, "bad table counts");
    }
    /* 65536 currencies, each a valid record: too many. */
    snap_copy(&p, &orig);
    uint64_t ncur = sec(&p, SEC_CURRENCIES)->count;
    unsigned char *cur = resize(&p, SEC_CURRENCIES, FT_MAX_SMALL_ID + 1);
    for (uint64_t i = ncur; i <= FT_MAX_SMALL_ID; i++)
        memcpy(cur + i * 24, "EUR", 4);
    meta(&p)[M_CURRENCIES] = FT_MAX_SMALL_ID + 1;
    REFUSED(&p, "bad table counts");
    /* Currency records: a code without its NUL, an exponent below 0 or
     * above 18; 18 itself reads. */
    static const int32_t exps[] = {-1, FT_MONEY_MAX_EXPONENT + 1, FT_MONEY_MAX_EXPONENT};
    for (int k = 0; k < 4; k++) {
        snap_copy(&p, &orig);
        cur = sec(&p, SEC_CURRENCIES)->data;
        if (k == 3)
            memset(cur + 24, 'X', 16);
        else
            memcpy(cur + 24 + 16, &exps[k], 4);
        if (k == 2)
            ACCEPTED(&p);
        else
            REFUSED(&p, "a currency record is invalid");
    }
    /* File names: not terminated; a name's offset at the section's end
     * (the last byte, the final NUL, is an empty name); the layout's. */
    snap_copy(&p, &orig);
    section *names = sec(&p, SEC_SOURCE_STRINGS);
    names->data[names->count - 1] = 'x';
    REFUSED(&p, "the file names are not terminated");
    for (int k = 0; k < 4; k++) {
        snap_copy(&p, &orig);
        uint64_t blen = sec(&p, SEC_SOURCE_STRINGS)->count;
        section *srcs = sec(&p, SEC_SOURCES);
        unsigned char *src = srcs->data + 2 * srcs->elem; /* the third file */
        put64(src + 40 + 8 * (k % 2), k < 2 ? blen : blen - 1);
        if (k < 2)
            REFUSED(&p, "a file name lies outside its section");
        else
            ACCEPTED(&p);
    }
    /* A file's notes: an encoding without its NUL. */
    snap_copy(&p, &orig);
    memset(sec(&p, SEC_SOURCE_NOTES)->data + 72, 'u', 24);
    REFUSED(&p, "an input file note is invalid");
    /* Duplicate records: kinds 0 and 3, a file index past the last, in
     * either place; the last file reads. */
    int nsrc = (int)meta(&orig)[M_SOURCES];
    for (int k = 0; k < 6; k++) {
        snap_copy(&p, &orig);
        ft_dup_record *d = (ft_dup_record *)sec(&p, SEC_DUPS)->data;
        if (k < 2)
            d->kind = k == 0 ? 0 : 3;
        else if (k < 4)
            *(k == 2 ? &d->kept_file : &d->other_file) = (uint16_t)nsrc;
        else
            *(k == 4 ? &d->kept_file : &d->other_file) = (uint16_t)(nsrc - 1);
        if (k < 4)
            REFUSED(&p, "a duplicate record names no input file");
        else
            ACCEPTED(&p);
    }
    crafted_done(&orig);
}

/* Appends `n` bytes to the account keys' pool; returns their offset. */
static uint64_t pool_append(snap *p, uint32_t pool, const void *bytes, size_t n)
{
    uint64_t at = sec(p, pool)->count;
    memcpy(resize(p, pool, at + n) + at, bytes, n);
    return at;
}

static void test_crafted_key_tables(void **state)
{
    (void)state;
    snap orig, p;
    crafted_case(&orig);
    uint64_t nacc = (uint64_t)meta(&orig)[M_ACCOUNTS];
    uint64_t nslots = sec(&orig, SEC_ACC_SLOTS)->count;
    assert_true(nacc > 2 && nslots >= 2 * nacc);
    /* Hash slots: not a power of two; a power of two below twice the keys. */
    snap_copy(&p, &orig);
    resize(&p, SEC_ACC_SLOTS, nslots + 1);
    REFUSED(&p, "a key table has the wrong size");
    uint64_t small = 1;
    while (2 * small < 2 * nacc)
        small *= 2;
    snap_copy(&p, &orig);
    resize(&p, SEC_ACC_SLOTS, small);
    REFUSED(&p, "a key table has the wrong size");
    /* Exactly twice as many slots as keys read (four accounts, eight
     * slots); four slots do not. */
    snap four;
    snap_of_csv(&four, "timestamp,src_account,dst_account,amount,currency\n"
                       "2024-03-01T10:00:00Z,A,B,1.00,EUR\n"
                       "2024-03-01T10:00:00Z,C,D,1.00,EUR\n");
    assert_int_equal(meta(&four)[M_ACCOUNTS], 4);
    assert_true(sec(&four, SEC_ACC_SLOTS)->count > 8);
    for (int k = 0; k < 2; k++) {
        snap_copy(&p, &four);
        uint64_t *sl = (uint64_t *)sec(&p, SEC_ACC_SLOTS)->data, used = 0;
        for (uint64_t j = 0; j < sec(&p, SEC_ACC_SLOTS)->count; j++)
            if (sl[j])
                sl[used++] = sl[j];
        assert_int_equal(used, 4);
        resize(&p, SEC_ACC_SLOTS, k == 0 ? 8 : 4);
        if (k == 0)
            ACCEPTED(&p);
        else
            REFUSED(&p, "a key table has the wrong size");
    }
    snap_free(&four);
    /* A slot naming no key: id 0 with a hash, id n + 1; id n reads. */
    for (int k = 0; k < 3; k++) {
        snap_copy(&p, &orig);
        uint64_t *sl = (uint64_t *)sec(&p, SEC_ACC_SLOTS)->data;
        uint64_t j = 0;
        while (sl[j] != 0)
            j++;
        sl[j] = (UINT64_C(7) << 32) | (k == 0 ? 0 : k == 1 ? nacc + 1 : nacc);
        if (k < 2)
            REFUSED(&p, "a hash slot names no key");
        else
            ACCEPTED(&p);
    }
    /* A key's offset: at the pool's end; so far past it that a pointer
     * there wraps round to before the pool; at a length that runs off the
     * pool; at a length of more than ten bytes; at a length longer than
     * what follows (the byte after is padding, a zero); at a string without
     * its NUL. A well-formed string appended reads, also with its length
     * in ten bytes, the most a 64-bit length takes. */
    static const struct {
        const char *bytes;
        size_t len;
        bool ok;
    } keys[] = {
        {NULL, 0, false},
        {NULL, 1, false},
        {"\x80\x80", 2, false},
        {"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 12, false},
        {"\x02"
         "ab",
         3, false},
        {"\x02"
         "abc",
         4, false},
        {"\x02"
         "ab",
         4, true},
        {"\x82\x80\x80\x80\x80\x80\x80\x80\x80\x00"
         "ab",
         13, true},
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        snap_copy(&p, &orig);
        uint64_t at = sec(&p, SEC_ACC_POOL)->count;
        if (keys[k].bytes) {
            /* the pool's end stays off a 64-byte boundary */
            if ((at + keys[k].len) % 64 == 0)
                at = pool_append(&p, SEC_ACC_POOL, "", 1) + 1;
            at = pool_append(&p, SEC_ACC_POOL, keys[k].bytes, keys[k].len);
        } else if (keys[k].len) {
            at = UINT64_MAX;
        }
        ((uint64_t *)sec(&p, SEC_ACC_OFF)->data)[1] = at;
        if (keys[k].ok)
            ACCEPTED(&p);
        else
            REFUSED(&p, "a key lies outside its pool");
    }
    crafted_done(&orig);
}

static void test_crafted_columns(void **state)
{
    (void)state;
    snap orig, p;
    crafted_case(&orig);
    int64_t n = meta(&orig)[M_N];
    uint32_t nacc = (uint32_t)meta(&orig)[M_ACCOUNTS];
    uint16_t ncur = (uint16_t)meta(&orig)[M_CURRENCIES];
    uint16_t nsrc = (uint16_t)meta(&orig)[M_SOURCES];
    uint16_t nchan = (uint16_t)meta(&orig)[M_CHANNELS];
    uint32_t nlab = (uint32_t)meta(&orig)[M_LABELS];
    assert_true(n > 3 && nchan > 0 && nlab > 0);
#define COL(p, c, type) ((type *)sec(p, SEC_COL + (c))->data)
    /* An account id equal to the number of accounts, as source or
     * destination; the last account reads. */
    for (int k = 0; k < 4; k++) {
        snap_copy(&p, &orig);
        COL(&p, k % 2 ? FT_COL_DST : FT_COL_SRC, uint32_t)[n - 1] = k < 2 ? nacc : nacc - 1;
        if (k < 2)
            REFUSED(&p, "a transaction refers outside its tables");
        else
            ACCEPTED(&p);
    }
    snap_copy(&p, &orig);
    COL(&p, FT_COL_CUR, uint16_t)[1] = ncur;
    REFUSED(&p, "a transaction refers outside its tables");
    /* Time order: the last row a millisecond before the one before it;
     * at the same time it reads. */
    for (int k = 0; k < 2; k++) {
        snap_copy(&p, &orig);
        int64_t *ts = COL(&p, FT_COL_TS, int64_t);
        ts[n - 1] = ts[n - 2] - (k == 0);
        if (k == 0)
            REFUSED(&p, "a transaction refers outside its tables");
        else
            ACCEPTED(&p);
    }
    snap_copy(&p, &orig);
    COL(&p, FT_COL_FILE, uint16_t)[n - 1] = nsrc;
    REFUSED(&p, "a transaction names no input file");
    /* Channels and labels count from 1 (0 is none): n reads, n + 1 not. */
    for (int k = 0; k < 4; k++) {
        snap_copy(&p, &orig);
        if (k < 2)
            COL(&p, FT_COL_CHANNEL, uint16_t)[0] = (uint16_t)(nchan + 1 - k);
        else
            COL(&p, FT_COL_LABEL, uint32_t)[0] = nlab + 1 - (uint32_t)(k - 2);
        if (k == 0)
            REFUSED(&p, "a transaction names no channel");
        else if (k == 2)
            REFUSED(&p, "a transaction names no label");
        else
            ACCEPTED(&p);
    }
    snap_copy(&p, &orig);
    COL(&p, FT_COL_CUR_RECV, uint16_t)[0] = ncur;
    REFUSED(&p, "a transaction names no currency");
    /* Offsets into the strings: past the pool for a memo, an id (stored
     * negated; "no id" reads), an end-to-end id, a counterparty. */
    uint64_t slen = sec(&orig, SEC_STRINGS)->count;
    snap_copy(&p, &orig);
    COL(&p, FT_COL_MEMO, uint64_t)[0] = slen;
    REFUSED(&p, "a memo lies outside its pool");
    snap_copy(&p, &orig);
    COL(&p, FT_COL_TXID, int64_t)[0] = -(int64_t)slen;
    REFUSED(&p, "a transaction id lies outside its pool");
    snap_copy(&p, &orig);
    COL(&p, FT_COL_TXID, int64_t)[0] = FT_TXID_DERIVED;
    ACCEPTED(&p);
    snap_copy(&p, &orig);
    COL(&p, FT_COL_E2E, uint64_t)[0] = slen;
    REFUSED(&p, "an end-to-end id lies outside its pool");
    snap_copy(&p, &orig);
    COL(&p, FT_COL_CP_NAME, uint64_t)[0] = slen;
    REFUSED(&p, "a counterparty name lies outside its pool");
    /* Statement sides: 3 (both) reads, 4 does not. */
    for (int k = 0; k < 2; k++) {
        snap_copy(&p, &orig);
        COL(&p, FT_COL_SIDE, uint8_t)[0] = (uint8_t)(FT_SIDE_BOTH + k);
        if (k)
            REFUSED(&p, "a transaction has an unknown statement side");
        else
            ACCEPTED(&p);
    }
    /* Received amounts without their currencies. */
    snap_copy(&p, &orig);
    sec(&p, SEC_COL + FT_COL_CUR_RECV)->id = 250;
    REFUSED(&p, "the received amounts lack their currencies");
#undef COL
    crafted_done(&orig);
}

static void test_crafted_id_index(void **state)
{
    (void)state;
    snap orig, p;
    crafted_case(&orig);
    uint32_t n = (uint32_t)meta(&orig)[M_N];
    uint64_t noff = sec(&orig, SEC_TXID_OFF)->count;
    assert_true(noff >= 3);
    /* Sizes: one offset only; 3 buckets; one transaction fewer; not
     * starting at 0; not ending at n. */
    for (int k = 0; k < 5; k++) {
        snap_copy(&p, &orig);
        uint32_t *o = (uint32_t *)sec(&p, SEC_TXID_OFF)->data;
        if (k == 0) {
            resize(&p, SEC_TXID_OFF, 1);
        } else if (k == 1) {
            o = (uint32_t *)resize(&p, SEC_TXID_OFF, 4);
            o[3] = n;
        } else if (k == 2) {
            resize(&p, SEC_TXID_TXN, n - 1);
        } else if (k == 3) {
            o[0] = 1;
        } else {
            o[noff - 1] = n - 1;
        }
        REFUSED(&p, "the id index has the wrong size");
    }
    /* Every transaction in bucket 0, ascending: a useless index, but a
     * well-formed one, so it reads; then out of order three ways. */
    for (int k = 0; k < 4; k++) {
        snap_copy(&p, &orig);
        uint32_t *o = (uint32_t *)sec(&p, SEC_TXID_OFF)->data;
        uint32_t *t = (uint32_t *)sec(&p, SEC_TXID_TXN)->data;
        o[0] = 0;
        for (uint64_t b = 1; b < noff; b++)
            o[b] = n;
        for (uint32_t i = 0; i < n; i++)
            t[i] = i;
        if (k == 0) {
            ACCEPTED(&p);
            continue;
        }
        if (k == 1) {
            o[1] = n - 1; /* bucket 1 starts at n - 1, bucket 2 at n: fine; */
            o[2] = n - 2; /* ... but bucket 2 now starts before bucket 1 */
        } else if (k == 2) {
            t[1] = n;
        } else {
            t[2] = t[1];
        }
        REFUSED(&p, "the id index is out of order");
    }
    crafted_done(&orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_mapped_store_does_not_change),
        cmocka_unit_test(test_empty_store_round_trip),
        cmocka_unit_test(test_every_flipped_byte_is_refused),
        cmocka_unit_test(test_other_version_and_not_a_snapshot),
        cmocka_unit_test(test_crafted_header_and_table),
        cmocka_unit_test(test_checksum_names_the_section),
        cmocka_unit_test(test_crafted_counts_and_files),
        cmocka_unit_test(test_crafted_key_tables),
        cmocka_unit_test(test_crafted_columns),
        cmocka_unit_test(test_crafted_id_index),
    };
    return cmocka_run_group_tests(tests, NULL, free_pristine);
}
