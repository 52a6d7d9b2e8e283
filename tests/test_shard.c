/*
 * test_shard.c - shards (shard.h): parsing I/N, the blocks, the escaping
 * of a part's texts, the parts of a run checked and ordered, and a scan
 * cut into shards, its parts written, read back and finished into exactly
 * one scan's alerts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fundtrace/scan.h"
#include "fundtrace/shard.h"
#include "testutil.h"

static void test_parse_and_range(void **state)
{
    (void)state;
    ft_shard sh;
    assert_true(ft_shard_parse("2/5", &sh));
    assert_int_equal(sh.index, 1);
    assert_int_equal(sh.count, 5);
    const char *bad[] = {"0/3", "4/3",  "1/0", "-1/2", "1/-2",   "1/",
                         "/2",  "1/2x", "1",   "",     "1/65536"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(ft_shard_parse(bad[i], &sh));
    /* The blocks of 10 items in 3: [0,3) [3,6) [6,10), and no shard: all. */
    uint64_t lo, hi, want[][2] = {{0, 3}, {3, 6}, {6, 10}};
    for (uint32_t i = 0; i < 3; i++) {
        ft_shard s3 = {i, 3};
        ft_shard_range(&s3, 10, &lo, &hi);
        assert_int_equal(lo, want[i][0]);
        assert_int_equal(hi, want[i][1]);
    }
    ft_shard_range(NULL, 10, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 10);
}

static void test_escape(void **state)
{
    (void)state;
    const char in[] = "a%b\tc\nd\re\x01\x7f \xc3\xa9z";
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ft_shard_escape(f, in, sizeof in - 1);
    fclose(f);
    assert_string_equal(out, "a%25b%09c%0Ad%0De%01%7F \xc3\xa9z");
    assert_true(ft_shard_unescape(out, &len));
    assert_int_equal(len, sizeof in - 1);
    assert_memory_equal(out, in, len);
    free(out);
    char bad1[] = "x%4", bad2[] = "x%G0";
    size_t l1 = 3, l2 = 4;
    assert_false(ft_shard_unescape(bad1, &l1));
    assert_false(ft_shard_unescape(bad2, &l2));
}

static char *alerts_text(const ft_store *s, const ft_alerts *a, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    ft_alerts_write(f, s, a, NULL, FT_FORMAT_JSONL);
    fclose(f);
    return text;
}

/* The parts of n shards, through their text, finished. */
static void scan_in_shards(const ft_store *s, const ft_scan_params *p, uint32_t n, int threads,
                           ft_alerts *out)
{
    ft_scan_part **parts = calloc(n, sizeof *parts);
    ft_error err;
    for (uint32_t i = 0; i < n; i++) {
        ft_shard sh = {i, n};
        ft_scan_part *part;
        assert_int_equal(ft_scan_run_part(s, p, threads, &sh, &part, &err), FT_OK);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_int_equal(ft_scan_part_write(f, s, part, &err), FT_OK);
        fclose(f);
        ft_scan_part_free(part);
        f = fmemopen(text, len, "r");
        int64_t line = 0;
        assert_int_equal(ft_scan_part_read(f, "part", &line, s, &parts[i], &err), FT_OK);
        fclose(f);
        free(text);
    }
    assert_int_equal(ft_scan_finish_parts(s, p, parts, (int)n, out, &err), FT_OK);
    for (uint32_t i = 0; i < n; i++)
        ft_scan_part_free(parts[i]);
    free(parts);
}

/* Shards 1/n .. n/n for n = 1 .. maxn (on 1 or 2 threads), finished:
 * exactly one run's alerts (their text). */
static void shards_equal(const ft_store *s, const ft_scan_params *p, uint32_t maxn,
                         const ft_alerts *one, const char *onetext, size_t onelen)
{
    for (uint32_t n = 1; n <= maxn; n++) {
        ft_alerts got = {0};
        scan_in_shards(s, p, n, n % 2 ? 1 : 2, &got);
        size_t len;
        char *text = alerts_text(s, &got, &len);
        assert_int_equal(got.n, one->n);
        assert_int_equal(len, onelen);
        assert_memory_equal(text, onetext, len);
        free(text);
        ft_alerts_free(&got);
    }
}

static void test_scan_shards_equal_one_run(void **state)
{
    (void)state;
    ft_store s = {0};
    tu_synth_store(&s, 20000, 11);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts one = {0};
    ft_error err;
    assert_int_equal(ft_scan_run(&s, &p, 1, &one, &err), FT_OK);
    size_t onelen;
    char *onetext = alerts_text(&s, &one, &onelen);
    /* The data has findings of many kinds, bipartite blocks among them. */
    bool kinds[FT_KIND_COUNT] = {false};
    int nkinds = 0;
    for (uint32_t i = 0; i < one.n; i++)
        if (!kinds[one.v[i].kind]) {
            kinds[one.v[i].kind] = true;
            nkinds++;
        }
    assert_true(one.n >= 20);
    assert_true(nkinds >= 6);
    assert_true(kinds[FT_PAT_BIPARTITE]);
    shards_equal(&s, &p, 6, &one, onetext, onelen);
    free(onetext);
    ft_alerts_free(&one);
    ft_store_free(&s);
}

/* The data's profile made once, written, read back and given to every
 * shard: the same alerts as one run; a profile of other data, of other
 * parameters, or damaged is refused. */
static void test_scan_shared_profile(void **state)
{
    (void)state;
    ft_store s = {0}, other = {0};
    tu_synth_store(&s, 20000, 11);
    tu_synth_store(&other, 3000, 12);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts one = {0};
    ft_error err;
    assert_int_equal(ft_scan_run(&s, &p, 1, &one, &err), FT_OK);
    size_t onelen;
    char *onetext = alerts_text(&s, &one, &onelen);
    assert_true(one.n >= 20);
    char *dir = tu_tmpdir(), path[512], bad[512];
    snprintf(path, sizeof path, "%s/profile", dir);
    snprintf(bad, sizeof bad, "%s/damaged", dir);
    ft_scan_profile *made = NULL, *read = NULL;
    assert_int_equal(ft_scan_profile_build(&s, &p, 2, &made, &err), FT_OK);
    assert_int_equal(ft_scan_profile_write(made, path, &err), FT_OK);
    ft_scan_profile_free(made);
    assert_int_equal(ft_scan_profile_read(path, &read, &err), FT_OK);
    ft_scan_params q = p;
    q.profile = read;
    shards_equal(&s, &q, 4, &one, onetext, onelen);
    /* Other data; another value of a parameter the profile reads (one it
     * does not read is fine). */
    ft_scan_part *part = NULL;
    assert_int_equal(ft_store_adjacency(&other, &err), FT_OK);
    assert_int_equal(ft_scan_run_part(&other, &q, 1, NULL, &part, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "other data"));
    q.novel_pair_max = 2;
    assert_int_equal(ft_scan_run_part(&s, &q, 1, NULL, &part, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "scan.novel_pair_max=1 there, 2 here"));
    q.novel_pair_max = p.novel_pair_max;
    q.cycle_max_hops = 4;
    assert_int_equal(ft_scan_run_part(&s, &q, 1, NULL, &part, &err), FT_OK);
    ft_scan_part_free(part);
    ft_scan_profile_free(read);
    /* One byte changed, the file cut short, another file. */
    size_t len;
    char *bytes = tu_read(path, &len);
    bytes[len / 2] ^= 1;
    tu_write(bad, bytes, len);
    assert_int_equal(ft_scan_profile_read(bad, &read, &err), FT_ECORRUPT);
    assert_null(read);
    bytes[len / 2] ^= 1;
    tu_write(bad, bytes, len - 9);
    assert_int_equal(ft_scan_profile_read(bad, &read, &err), FT_ECORRUPT);
    tu_write(bad, "hello", 5);
    assert_int_equal(ft_scan_profile_read(bad, &read, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "not a scan profile"));
    free(bytes);
    tu_rmdir(dir);
    free(onetext);
    ft_alerts_free(&one);
    ft_store_free(&s);
    ft_store_free(&other);
}

/* The text of shard 1 of 2 of s. (Not inlined: GCC then takes the
 * buffer open_memstream returns for the local pointer it was given.) */
__attribute__((noinline)) static char *part_text(const ft_store *s, size_t *len)
{
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_shard sh = {0, 2};
    ft_scan_part *part;
    ft_error err;
    assert_int_equal(ft_scan_run_part(s, &p, 1, &sh, &part, &err), FT_OK);
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    assert_int_equal(ft_scan_part_write(f, s, part, &err), FT_OK);
    fclose(f);
    ft_scan_part_free(part);
    return text;
}

static ft_status read_text(const ft_store *s, const char *text, size_t len, ft_error *err)
{
    FILE *f = fmemopen((void *)text, len, "r");
    int64_t line = 1; /* the header's */
    ft_scan_part *part = NULL;
    ft_status rc = ft_scan_part_read(f, "p.1", &line, s, &part, err);
    fclose(f);
    ft_scan_part_free(part);
    return rc;
}

static void test_scan_part_refused(void **state)
{
    (void)state;
    ft_store s = {0}, other = {0};
    tu_synth_store(&s, 8000, 3);
    tu_synth_store(&other, 8000, 4);
    size_t len;
    char *text = part_text(&s, &len);
    ft_error err;
    assert_int_equal(read_text(&s, text, len, &err), FT_OK);
    /* Other data. */
    assert_int_equal(read_text(&other, text, len, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "p.1: is a part of a scan of other data"));
    /* Cut off before its end, in its last line, or with no 'end'. */
    assert_int_equal(read_text(&s, text, len - 3, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "cut off"));
    char *end = strstr(text, "\nend\t");
    assert_non_null(end);
    assert_int_equal(read_text(&s, text, (size_t)(end - text) + 1, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "ends before its 'end' line"));
    /* A transaction number beyond the data, with the line. */
    char *copy = malloc(len + 32);
    char *alert = strstr(text, "\nalert\t");
    assert_non_null(alert);
    size_t at = (size_t)(alert - text) + 1;
    int lineno = 2; /* the header is line 1, data line 2 */
    for (size_t i = 0; i < at; i++)
        lineno += text[i] == '\n';
    /* alert KIND SCORE TXNS...: put a huge number first in TXNS */
    char *t = strchr(strchr(strchr(text + at, '\t') + 1, '\t') + 1, '\t') + 1;
    size_t cut = (size_t)(t - text);
    memcpy(copy, text, cut);
    int k = sprintf(copy + cut, "99999999 ");
    memcpy(copy + cut + k, text + cut, len - cut);
    assert_int_equal(read_text(&s, copy, len + (size_t)k, &err), FT_EINPUT);
    char want[64];
    snprintf(want, sizeof want, "p.1:%d: an alert's transactions", lineno);
    assert_non_null(strstr(err.msg, want));
    /* A record of no known kind, and something after the end. */
    memcpy(copy, text, len);
    memcpy(copy + at, "alarm", 5);
    assert_int_equal(read_text(&s, copy, len, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "not a record"));
    memcpy(copy, text, len);
    memcpy(copy + len, "x\n", 2);
    assert_int_equal(read_text(&s, copy, len + 2, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "more after the 'end' line"));
    free(copy);
    free(text);
    ft_store_free(&s);
    ft_store_free(&other);
}

static void write_file(const char *path, const char *text)
{
    tu_write(path, text, strlen(text));
}

static void test_parts_open(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char a[512], b[512], c[512], d[512];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(c, sizeof c, "%s/c", dir);
    snprintf(d, sizeof d, "%s/d", dir);
    /* The header with the command line, escaped, and without --shard. */
    char *argv[] = {"scan", "--shard", "2/2", "--set", "x=1\t2", "--shard=9/9", "my data%.ftg"};
    ft_shard sh = {1, 2};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ft_shard_header_args(f, "scan", &sh, 7, argv, 0);
    fclose(f);
    char want[256];
    snprintf(want, sizeof want,
             "fundtrace-shard 1 scan 2/2 run=%016llx status=0 args=3\narg --set\narg "
             "x=1%%092\narg my data%%25.ftg\nrecords of 2\n",
             (unsigned long long)ft_shard_run_id(7, argv));
    char *text2 = malloc(len + 32);
    sprintf(text2, "%srecords of 2\n", text);
    assert_string_equal(text2, want);
    write_file(b, text2);
    sh.index = 0;
    f = fopen(a, "w");
    ft_shard_header_args(f, "scan", &sh, 7, argv, 1);
    fputs("records of 1\n", f);
    fclose(f);
    ft_shard_parts ps;
    ft_error err;
    const char *ab[] = {b, a};
    assert_int_equal(ft_shard_parts_open(&ps, ab, 2, &err), FT_OK);
    assert_int_equal(ps.n, 2);
    assert_int_equal(ps.status, 0);
    assert_string_equal(ps.v[0].path, a);
    assert_int_equal(ps.v[1].nargs, 3);
    assert_string_equal(ps.v[1].args[1], "x=1\t2");
    assert_string_equal(ps.v[1].args[2], "my data%.ftg");
    assert_int_equal(ps.v[1].line, 4);
    char *rest = NULL;
    len = 0;
    f = open_memstream(&rest, &len);
    assert_int_equal(ft_shard_parts_copy(&ps, f, &err), FT_OK);
    fclose(f);
    assert_string_equal(rest, "records of 1\nrecords of 2\n");
    free(rest);
    ft_shard_parts_close(&ps);
    /* Other arguments: another run, even with the same hash. */
    write_file(c, "fundtrace-shard 1 scan 2/2 run=0 status=0 args=1\narg x\n");
    const char *ac[] = {a, c};
    assert_int_equal(ft_shard_parts_open(&ps, ac, 2, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "part of another run"));
    /* A part twice; one part missing; a bad arg line. */
    const char *aa[] = {a, a};
    assert_int_equal(ft_shard_parts_open(&ps, aa, 2, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "both are part 1 of 2"));
    const char *a1[] = {a};
    assert_int_equal(ft_shard_parts_open(&ps, a1, 1, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "the run has 2 parts and 1 were given"));
    write_file(d, "fundtrace-shard 1 scan 1/1 run=0 status=0 args=2\narg x\nargh y\n");
    const char *d1[] = {d};
    assert_int_equal(ft_shard_parts_open(&ps, d1, 1, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, ":3: not an 'arg' line"));
    write_file(d, "fundtrace-shard 1 scan 1/1 run=0 status=0 args=2\narg x\n");
    assert_int_equal(ft_shard_parts_open(&ps, d1, 1, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "ends in its arguments"));
    free(text);
    free(text2);
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_range),           cmocka_unit_test(test_escape),
        cmocka_unit_test(test_scan_shards_equal_one_run), cmocka_unit_test(test_scan_part_refused),
        cmocka_unit_test(test_scan_shared_profile),       cmocka_unit_test(test_parts_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
