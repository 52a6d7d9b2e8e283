/*
 * test_pseudo.c - keyed account tokens: one id, one key, one token; the
 * key file's checks; a store shown through tokens; match.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fundtrace/pseudo.h"

static const char K1[] = "0123456789abcdef0123456789abcdef";
static const char K2[] = "0123456789abcdef0123456789abcdeF";

static void key(ft_pseudo_key *k, const char *bytes)
{
    ft_error err;
    assert_int_equal(ft_pseudo_key_set(k, bytes, strlen(bytes), &err), FT_OK);
}

static void test_token_known_answer(void **state)
{
    (void)state;
    ft_pseudo_key k;
    key(&k, K1);
    char t[FT_PSEUDO_LEN + 1];
    /* python3: hmac.new(K1, b"alice", sha256).hexdigest()[:32] */
    ft_pseudo_token(&k, "alice", 5, t);
    assert_string_equal(t, "ps-433deb45467e4e53dbaba594c88bc3a2");
    assert_true(ft_pseudo_token_at(t, strlen(t)));
}

static void test_same_key_same_token(void **state)
{
    (void)state;
    ft_pseudo_key a, b, c;
    key(&a, K1);
    key(&b, K1);
    key(&c, K2);
    char ta[FT_PSEUDO_LEN + 1], tb[FT_PSEUDO_LEN + 1], tc[FT_PSEUDO_LEN + 1], td[FT_PSEUDO_LEN + 1];
    ft_pseudo_token(&a, "DE89370400440532013000", 22, ta);
    ft_pseudo_token(&b, "DE89370400440532013000", 22, tb);
    ft_pseudo_token(&c, "DE89370400440532013000", 22, tc);
    ft_pseudo_token(&a, "DE89370400440532013001", 22, td);
    assert_string_equal(ta, tb);
    assert_string_not_equal(ta, tc); /* another key: another token */
    assert_string_not_equal(ta, td); /* another id */
    assert_string_equal(a.fingerprint, b.fingerprint);
    assert_string_not_equal(a.fingerprint, c.fingerprint);
    assert_int_equal(strlen(a.fingerprint), 16);
}

static void test_token_at(void **state)
{
    (void)state;
    const char *t = "ps-433deb45467e4e53dbaba594c88bc3a2";
    assert_true(ft_pseudo_token_at(t, 35));
    char buf[64];
    snprintf(buf, sizeof buf, "%s\"", t);
    assert_true(ft_pseudo_token_at(buf, strlen(buf)));
    snprintf(buf, sizeof buf, "%sa", t); /* longer word: not a token */
    assert_false(ft_pseudo_token_at(buf, strlen(buf)));
    assert_false(ft_pseudo_token_at("ps-433deb45467e4e53dbaba594c88bc3aX", 35));
    assert_false(ft_pseudo_token_at(t, 34));
}

static void test_key_file(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    ft_pseudo_key k;
    ft_error err;
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(ft_pseudo_key_read(&k, path, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "cannot read the key file"));
    assert_non_null(strstr(err.msg, "No such file"));

    snprintf(path, sizeof path, "%s/short", dir);
    tu_write(path, "0123456789abcdef0123456789abcde\n", 32); /* 31 bytes and a newline */
    assert_int_equal(ft_pseudo_key_read(&k, path, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "is 31 bytes; a key needs at least 32"));

    snprintf(path, sizeof path, "%s/ok", dir);
    tu_write(path, "0123456789abcdef0123456789abcdef\r\n", 34);
    assert_int_equal(ft_pseudo_key_read(&k, path, &err), FT_OK);
    assert_int_equal(k.len, 32); /* the line break is not part of it */
    char t[FT_PSEUDO_LEN + 1];
    ft_pseudo_token(&k, "alice", 5, t);
    assert_string_equal(t, "ps-433deb45467e4e53dbaba594c88bc3a2");

    /* A random key is its bytes, a newline at its end too: not text. */
    unsigned char bin[32];
    for (int i = 0; i < 32; i++)
        bin[i] = (unsigned char)(i * 37 + 1);
    bin[31] = '\n';
    snprintf(path, sizeof path, "%s/binary", dir);
    tu_write(path, (const char *)bin, 32);
    assert_int_equal(ft_pseudo_key_read(&k, path, &err), FT_OK);
    assert_int_equal(k.len, 32);
    assert_memory_equal(k.bytes, bin, 32);

    /* A directory reads as an error, as an unreadable file does. */
    assert_int_equal(ft_pseudo_key_read(&k, dir, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "cannot read the key file"));
    if (geteuid() != 0) { /* root reads anything */
        chmod(path, 0);
        assert_int_equal(ft_pseudo_key_read(&k, path, &err), FT_EUSAGE);
        assert_non_null(strstr(err.msg, "Permission denied"));
    }
    tu_rmdir(dir);
}

static void test_store_shown(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "t.csv",
                             "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                             "1,2024-01-01T00:00:00Z,alice,bob,10.00,EUR\n",
                             NULL, NULL, &err),
                     FT_OK);
    ft_pseudo_key k;
    key(&k, K1);
    uint32_t a;
    assert_true(ft_intern_find(&s.accounts, "alice", 5, &a));
    size_t len;
    assert_memory_equal(ft_store_account_shown(&s, a, &len), "alice", 5);
    assert_int_equal(ft_store_pseudonymise(&s, &k, &err), FT_OK);
    const char *shown = ft_store_account_shown(&s, a, &len);
    assert_int_equal(len, FT_PSEUDO_LEN);
    assert_memory_equal(shown, "ps-433deb45467e4e53dbaba594c88bc3a2", FT_PSEUDO_LEN);
    /* lookups still take the raw key */
    assert_memory_equal(ft_store_account(&s, a, &len), "alice", 5);
    ft_store_free(&s);
}

static void test_match(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    ft_pseudo_key k;
    key(&k, K1);
    char ta[FT_PSEUDO_LEN + 1], tb[FT_PSEUDO_LEN + 1], tc[FT_PSEUDO_LEN + 1], td[FT_PSEUDO_LEN + 1];
    ft_pseudo_token(&k, "a", 1, ta);
    ft_pseudo_token(&k, "b", 1, tb);
    ft_pseudo_token(&k, "c", 1, tc);
    ft_pseudo_token(&k, "d", 1, td);
    char pa[512], pb[512], pr[512], text[1024];
    snprintf(pa, sizeof pa, "%s/a.jsonl", dir);
    snprintf(pb, sizeof pb, "%s/b.csv", dir);
    snprintf(pr, sizeof pr, "%s/raw.txt", dir);
    int n = snprintf(text, sizeof text,
                     "{\"accounts\":[\"%s\",\"%s\"]}\n{\"accounts\":[\"%s\"]}\n"
                     "{\"note\":\"%sx is not a token\"}\n",
                     ta, tb, tb, tc);
    tu_write(pa, text, (size_t)n);
    n = snprintf(text, sizeof text, "seed,account\n%s,%s\n%s,%s\n", tb, tc, tb, td);
    tu_write(pb, text, (size_t)n);
    tu_write(pr, "# ours\nd\n  a  \n\nz\n", 18);
    ft_match m;
    ft_error err;
    const char *ab[2] = {pa, pb};
    assert_int_equal(ft_match_files(ab, NULL, &m, &err), FT_OK);
    assert_int_equal(m.n, 1); /* only b: c's in A is inside a longer word */
    assert_string_equal(m.v[0].token, tb);
    assert_int_equal(m.v[0].count[0], 2);
    assert_int_equal(m.v[0].count[1], 2);
    assert_int_equal(m.distinct[0], 2);
    assert_int_equal(m.distinct[1], 3);
    ft_match_free(&m);

    /* raw ids against tokens: hashed with the key */
    const char *rb[2] = {pr, pb};
    assert_int_equal(ft_match_files(rb, &k, &m, &err), FT_OK);
    assert_true(m.raw[0]);
    assert_false(m.raw[1]);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.v[0].token, td);
    ft_match_free(&m);
    const char *ra[2] = {pr, pa};
    assert_int_equal(ft_match_files(ra, &k, &m, &err), FT_OK);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.v[0].token, ta);
    ft_match_free(&m);

    /* under another key nothing matches */
    ft_pseudo_key k2;
    key(&k2, K2);
    assert_int_equal(ft_match_files(rb, &k2, &m, &err), FT_OK);
    assert_int_equal(m.n, 0);
    ft_match_free(&m);

    /* raw ids without a key: refused, naming the file */
    assert_int_equal(ft_match_files(rb, NULL, &m, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "raw.txt' holds no pseudonymised account ids"));
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_known_answer), cmocka_unit_test(test_same_key_same_token),
        cmocka_unit_test(test_token_at),           cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_store_shown),        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
