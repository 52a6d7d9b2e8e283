/*
 * test_pool.c - string pools, interning, and the XXH64 checksum.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "fundtrace/hash.h"
#include "fundtrace/pool.h"

static void test_xxh64_reference_values(void **state)
{
    (void)state;
    /* Values printed by `xxhsum -H64` (xxhash 0.8). */
    assert_true(ft_xxh64("", 0, 0) == 0xEF46DB3751D8E999ULL);
    assert_true(ft_xxh64("a", 1, 0) == 0xD24EC4F1A98C6E5BULL);
    assert_true(ft_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ULL);
    const char *fox = "The quick brown fox jumps over the lazy dog";
    assert_true(ft_xxh64(fox, strlen(fox), 0) == 0x0B242D361FDA71BCULL);
    /* The inline short form is the same function below 32 bytes. */
    for (size_t len = 0; len < 32; len++)
        assert_true(ft_xxh64_short(fox + 3, len, 77) == ft_xxh64(fox + 3, len, 77));
    assert_true(ft_intern_hash(fox, 31) == ft_xxh64(fox, 31, FT_INTERN_SEED));
}

static void test_sha256(void **state)
{
    (void)state;
    ft_sha256 h;
    char hex[65];
    assert_int_equal(ft_sha256_init(&h, NULL), FT_OK);
    ft_sha256_update(&h, "ab", 2);
    ft_sha256_update(&h, "c", 1);
    ft_sha256_final(&h, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_pool_round_trip(void **state)
{
    (void)state;
    ft_pool p = {0};
    uint64_t a, b, c;
    assert_int_equal(ft_pool_add(&p, "hello", 5, &a, NULL), FT_OK);
    assert_int_equal(ft_pool_add(&p, "", 0, &b, NULL), FT_OK);
    char big[300];
    memset(big, 'x', sizeof big); /* length needs two LEB128 bytes */
    assert_int_equal(ft_pool_add(&p, big, sizeof big, &c, NULL), FT_OK);
    assert_true(a > 0 && b > a && c > b);
    size_t len;
    assert_string_equal(ft_pool_get(&p, a, &len), "hello");
    assert_int_equal(len, 5);
    assert_string_equal(ft_pool_get(&p, b, &len), "");
    assert_int_equal(len, 0);
    assert_memory_equal(ft_pool_get(&p, c, &len), big, sizeof big);
    assert_int_equal(len, 300);
    assert_string_equal(ft_pool_get(&p, 0, &len), ""); /* 0 is "none" */
    ft_pool_free(&p);
    assert_null(p.data);
}

static void test_intern_dense_ids(void **state)
{
    (void)state;
    ft_intern t = {0};
    uint32_t id;
    bool added;
    assert_int_equal(ft_intern_put(&t, "010:8000EBD30", 13, &id, &added, NULL), FT_OK);
    assert_int_equal(id, 0);
    assert_true(added);
    assert_int_equal(ft_intern_put(&t, "10:8000EBD30", 12, &id, &added, NULL), FT_OK);
    assert_int_equal(id, 1); /* leading zeros matter: another bank */
    assert_int_equal(ft_intern_put(&t, "010:8000EBD30", 13, &id, &added, NULL), FT_OK);
    assert_int_equal(id, 0);
    assert_false(added);
    assert_true(ft_intern_find(&t, "10:8000EBD30", 12, &id));
    assert_int_equal(id, 1);
    assert_false(ft_intern_find(&t, "8000EBD30", 9, &id));
    size_t len;
    assert_string_equal(ft_intern_str(&t, 1, &len), "10:8000EBD30");
    ft_intern_free(&t);
}

static void test_intern_many_keys_survive_rehash(void **state)
{
    (void)state;
    ft_intern t = {0};
    char key[32];
    const uint32_t n = 200000;
    for (uint32_t i = 0; i < n; i++) {
        int len = snprintf(key, sizeof key, "ACC%07u", i * 7919u % 1000003u);
        uint32_t id;
        assert_int_equal(ft_intern_put(&t, key, (size_t)len, &id, NULL, NULL), FT_OK);
        assert_int_equal(id, i);
    }
    assert_int_equal(t.n, n);
    assert_true(t.nslots >= 2 * (uint64_t)n);
    for (uint32_t i = 0; i < n; i += 997) {
        int len = snprintf(key, sizeof key, "ACC%07u", i * 7919u % 1000003u);
        uint32_t id = 0;
        assert_true(ft_intern_find(&t, key, (size_t)len, &id));
        assert_int_equal(id, i);
    }
    /* Keys with NUL-free binary bytes and empty keys are fine too. */
    uint32_t id;
    assert_int_equal(ft_intern_put(&t, "", 0, &id, NULL, NULL), FT_OK);
    assert_int_equal(id, n);
    assert_int_equal(ft_intern_put(&t, "\xff\xfe", 2, &id, NULL, NULL), FT_OK);
    assert_int_equal(id, n + 1);
    ft_intern_free(&t);
}

/* The cache in front of a table gives exactly the table's ids: for keys
 * new and seen, short (inline) and long (in the table only), keys the
 * table got without the cache, and keys that differ only past a word. */
static void test_intern_cache_same_ids(void **state)
{
    (void)state;
    ft_intern a = {0}, b = {0};
    ft_intern_cache c = {0};
    char key[64];
    uint32_t ida, idb;
    /* A key the table has before the cache sees it. */
    assert_int_equal(ft_intern_put(&b, "DE001:A0000001", 14, &idb, NULL, NULL), FT_OK);
    assert_int_equal(ft_intern_put(&a, "DE001:A0000001", 14, &ida, NULL, NULL), FT_OK);
    for (uint32_t r = 0; r < 3; r++) {
        for (uint32_t i = 0; i < 5000; i++) {
            uint32_t k = (i * 7919u + r * 13u) % 6000u;
            /* Lengths 1 to 40: inline, at the 23-byte edge, and longer. */
            int len = snprintf(key, sizeof key, "%.*s%u", (int)(k % 37),
                               "DE001:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", k);
            uint64_t h = ft_intern_hash(key, (size_t)len);
            assert_int_equal(ft_intern_put(&a, key, (size_t)len, &ida, NULL, NULL), FT_OK);
            assert_int_equal(ft_intern_cache_put(&c, &b, key, (size_t)len, h, &idb, NULL), FT_OK);
            assert_int_equal(idb, ida);
        }
    }
    assert_int_equal(b.n, a.n);
    /* The cache holds every key it was asked for, not the first one. */
    assert_true(c.n == a.n - 1);
    assert_int_equal(ft_intern_cache_put(&c, &b, "DE001:A0000001", 14,
                                         ft_intern_hash("DE001:A0000001", 14), &idb, NULL),
                     FT_OK);
    assert_int_equal(idb, 0);
    assert_true(c.n == a.n);
    assert_int_equal(b.n, a.n);
    /* Same length and hash half would not be enough: bytes differ late. */
    const char *x = "DE001:A000000000000000001", *y = "DE001:A000000000000000002";
    assert_int_equal(
        ft_intern_cache_put(&c, &b, x, strlen(x), ft_intern_hash(x, strlen(x)), &ida, NULL), FT_OK);
    assert_int_equal(
        ft_intern_cache_put(&c, &b, y, strlen(y), ft_intern_hash(y, strlen(y)), &idb, NULL), FT_OK);
    assert_int_equal(idb, ida + 1);
    assert_int_equal(
        ft_intern_cache_put(&c, &b, x, strlen(x), ft_intern_hash(x, strlen(x)), &idb, NULL), FT_OK);
    assert_int_equal(idb, ida);
    ft_intern_cache_free(&c);
    ft_intern_free(&a);
    ft_intern_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xxh64_reference_values),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_pool_round_trip),
        cmocka_unit_test(test_intern_dense_ids),
        cmocka_unit_test(test_intern_many_keys_survive_rehash),
        cmocka_unit_test(test_intern_cache_same_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
