/*
 * test_ingest.c - CSV ingest end to end on small inputs whose every value,
 * line and column is worked out by hand.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fundtrace/csvread.h"
#include "fundtrace/ingest.h"
#include "fundtrace/time.h"

static const char *txid(const ft_store *s, int64_t i)
{
    static char buf[128];
    ft_store_txid(s, i, buf, sizeof buf);
    return buf;
}

static const char *key_of(const ft_store *s, uint32_t id)
{
    return ft_store_account(s, id, NULL);
}

static const char *memo(const ft_store *s, int64_t i)
{
    return ft_pool_get(&s->strings, s->t.memo[i], NULL);
}

static void assert_counts(const ft_store *s, int64_t read, int64_t loaded, int64_t rejected)
{
    assert_int_equal(s->report.rows_read, read);
    assert_int_equal(s->report.rows_loaded, loaded);
    assert_int_equal(s->report.rows_rejected, rejected);
    assert_int_equal(s->report.rows_read, s->report.rows_loaded + s->report.rows_rejected);
    assert_int_equal(s->t.n, loaded);
}

static void test_generic_values_and_time_order(void **state)
{
    (void)state;
    const char *csv =
        "txn_id,timestamp,src_account,dst_account,amount,currency,channel,memo,label\n"
        "T1,2024-03-01T10:00:00Z,A,B,100.50,EUR,wire,rent,\n"
        "17,2024-03-01T09:00:00Z,B,C,50,eur,card,\"a, b\",fanout-1\n"
        ",2024-03-01T10:00:00Z,C,A,1500,JPY,,\"say \"\"hi\"\"\",\n"
        "007,2024-03-01T10:00:00+01:00,A,A,0.01,USD,wire,\"two\nlines\",fanout-1\n";
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    assert_int_equal(tu_load(&s, "g.csv", csv, NULL, &rej, &err), FT_OK);
    assert_counts(&s, 4, 4, 0);
    assert_int_equal(rej.n, 0);
    /* Sorted by time: 09:00Z (row 4 is 10:00+01:00), 09:00Z (row 2), then
     * the two 10:00Z rows in input order. Ties keep input order: row 2
     * came before row 5 in the input. */
    char buf[80];
    assert_string_equal(txid(&s, 0), "17");
    assert_string_equal(txid(&s, 1), "007"); /* a leading zero keeps it text */
    assert_string_equal(txid(&s, 2), "T1");
    assert_string_equal(txid(&s, 3), "g.csv:4"); /* no id: file and line */
    assert_int_equal(s.t.ts_ms[0], s.t.ts_ms[1]);
    assert_string_equal(tu_amount(&s, 0, buf), "50.00 EUR");
    assert_string_equal(tu_amount(&s, 1, buf), "0.01 USD");
    assert_string_equal(tu_amount(&s, 2, buf), "100.50 EUR");
    assert_string_equal(tu_amount(&s, 3, buf), "1500 JPY");
    assert_string_equal(key_of(&s, s.t.src[0]), "B");
    assert_string_equal(key_of(&s, s.t.dst[0]), "C");
    assert_int_equal(s.t.src[1], s.t.dst[1]); /* a self-transfer */
    assert_string_equal(memo(&s, 0), "a, b");
    assert_string_equal(memo(&s, 1), "two\nlines");
    assert_string_equal(memo(&s, 2), "rent");
    assert_string_equal(memo(&s, 3), "say \"hi\"");
    assert_int_equal(s.t.line[1], 5);
    assert_int_equal(s.t.line[3], 4);
    assert_int_equal(s.channels.n, 2);
    assert_int_equal(s.t.channel[3], 0); /* empty: none */
    assert_int_equal(s.labels.n, 1);
    assert_int_equal(s.t.label[0], s.t.label[1]);
    assert_int_equal(s.t.label[2], 0);
    assert_int_equal(s.accounts.n, 3);
    assert_null(s.t.file); /* one file: no file column */
    assert_null(s.t.amount_recv);
    assert_string_equal(s.report.sources[0].layout, "generic");
    ft_store_free(&s);
}

static void test_bom_crlf_and_delimiters(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_error err;
    const char *csv = "\xEF\xBB\xBFtimestamp;src_account;dst_account;amount;currency\r\n"
                      "2024-01-02 03:04:05;X;Y;1.10;GBP\r\n"
                      "\r\n"
                      "2024-01-02 03:04:06;Y;X;2.20;GBP\r\n";
    assert_int_equal(tu_load(&s, "semi.csv", csv, NULL, NULL, &err), FT_OK);
    assert_counts(&s, 2, 2, 0);
    assert_int_equal(s.t.amount[0], 110);
    assert_int_equal(s.t.line[1], 4); /* the blank line still counts */
    assert_string_equal(txid(&s, 1), "semi.csv:4");
    ft_store_free(&s);

    const char *tsv = "timestamp\tsrc_account\tdst_account\tamount\tcurrency\n"
                      "2024-01-02T00:00:00Z\tA B\tC\t3\tEUR\n";
    assert_int_equal(tu_load(&s, "t.tsv", tsv, NULL, NULL, &err), FT_OK);
    assert_counts(&s, 1, 1, 0);
    assert_string_equal(key_of(&s, 0), "A B");
    ft_store_free(&s);

    /* An explicit delimiter wins over the guess. */
    ft_load_options o = {.delimiter = '|'};
    const char *piped = "timestamp|src_account|dst_account|amount|currency\n"
                        "2024-01-02T00:00:00Z|A,1|B;2|3|EUR\n";
    assert_int_equal(tu_load(&s, "p.csv", piped, &o, NULL, &err), FT_OK);
    assert_string_equal(key_of(&s, 0), "A,1");
    ft_store_free(&s);
}

static void test_rejects_name_line_and_column(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency,memo\n" /* 1 */
                      "1,2024-03-01T10:00:00Z,A,B,1.00,EUR,\"first\n"                   /* 2 */
                      "second\n"                                                        /* 3 */
                      "third\"\n"                                                       /* 4 */
                      "2,2024-03-01T10:00:00Z,A,B,12,5,EUR,x\n"                         /* 5 */
                      "3,2024-03-01T10:00:00Z,A,B,\"1,23.50\",EUR,x\n"                  /* 6 */
                      "4,2024-02-30T10:00:00Z,A,B,1.00,EUR,x\n"                         /* 7 */
                      "5,tomorrow,A,B,1.00,EUR,x\n"                                     /* 8 */
                      "6,2024-03-01T10:00:00Z,A,B,-3.00,EUR,x\n"                        /* 9 */
                      "7,2024-03-01T10:00:00Z,A,B,3.001,EUR,x\n"                        /* 10 */
                      "8,2024-03-01T10:00:00Z,A,B,99999999999999999999,EUR,x\n"         /* 11 */
                      "9,2024-03-01T10:00:00Z,A,B,3,XXY,x\n"                            /* 12 */
                      "10,2024-03-01T10:00:00Z,,B,3,EUR,x\n"                            /* 13 */
                      "11,2024-03-01T10:00:00Z,A,B,abc,EUR,x\n"                         /* 14 */
                      "12,2024-03-01T10:00:00Z,A,B,1.00,EUR\n"                          /* 15 */
                      "13,2024-03-01T10:00:00Z,A,B,1.00,EUR,\"multi\n"                  /* 16 */
                      "line\",extra\n"                                                  /* 17 */
                      "14,2024-03-01T10:00:00Z,A,\"B\"x,1.00,EUR,x\n"                   /* 18 */
                      "15,2024-03-01T10:00:00Z,A,B,2.00,EUR,\"memo\n"                   /* 19 */
                      "on two lines\",\n"                                               /* 20 */
                      "16,2024-03-01T10:00:00Z,A,B,7.00,EUR,last\n";                    /* 21 */
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    assert_int_equal(tu_load(&s, "bad.csv", csv, NULL, &rej, &err), FT_OK);
    static const struct {
        int64_t line, col;
        ft_reject reason;
        const char *msg;
    } want[] = {
        {5, 8, FT_REJ_FIELD_COUNT, "expected 7 fields as in the header, found 8"},
        {6, 5, FT_REJ_THOUSANDS,
         "amount '1,23.50' has digit groups that are not of three (a decimal comma? give "
         "--decimal-comma)"},
        {7, 2, FT_REJ_DATE, "timestamp '2024-02-30T10:00:00Z' is not a possible date and time"},
        {8, 2, FT_REJ_TIMESTAMP,
         "timestamp 'tomorrow' is not a timestamp (forms read: " FT_TIME_FORMS
         "; for others give --date-format, e.g. %d %b %Y)"},
        {9, 5, FT_REJ_NEGATIVE, "amount '-3.00' is negative"},
        {10, 5, FT_REJ_DECIMALS, "amount '3.001' has more decimals than EUR allows (2)"},
        {11, 5, FT_REJ_OVERFLOW, "amount '99999999999999999999' is too large"},
        {12, 6, FT_REJ_CURRENCY, "currency 'XXY' is not known (define it with --currencies FILE)"},
        {13, 3, FT_REJ_ACCOUNT, "source account is empty"},
        {14, 5, FT_REJ_AMOUNT, "amount 'abc' is not a decimal number"},
        {15, 7, FT_REJ_FIELD_COUNT, "expected 7 fields as in the header, found 6"},
        /* The 8th field starts on line 17, after the two-line memo. */
        {17, 8, FT_REJ_FIELD_COUNT, "expected 7 fields as in the header, found 8"},
        {18, 4, FT_REJ_QUOTES, NULL},
        /* Row 19-20: the memo spans two lines; the empty 8th field is on 20. */
        {20, 8, FT_REJ_FIELD_COUNT, "expected 7 fields as in the header, found 8"},
    };
    int nwant = (int)(sizeof want / sizeof want[0]);
    assert_int_equal(rej.n, nwant);
    for (int i = 0; i < nwant; i++) {
        if (rej.r[i].line != want[i].line || rej.r[i].column != want[i].col ||
            rej.r[i].reason != want[i].reason)
            fail_msg("reject %d: got %lld:%lld %s (%s), want %lld:%lld %s", i,
                     (long long)rej.r[i].line, (long long)rej.r[i].column,
                     ft_reject_name(rej.r[i].reason), rej.r[i].message,
                     (long long)want[i].line, (long long)want[i].col,
                     ft_reject_name(want[i].reason));
        if (want[i].msg)
            assert_string_equal(rej.r[i].message, want[i].msg);
    }
    /* Raw bytes are the rows exactly as in the file, line breaks and all. */
    const char *raw16 = "13,2024-03-01T10:00:00Z,A,B,1.00,EUR,\"multi\nline\",extra\n";
    assert_int_equal(rej.r[11].raw_len, strlen(raw16));
    assert_memory_equal(rej.r[11].raw, raw16, strlen(raw16));
    const char *raw18 = "14,2024-03-01T10:00:00Z,A,\"B\"x,1.00,EUR,x\n";
    assert_int_equal(rej.r[12].raw_len, strlen(raw18));
    assert_memory_equal(rej.r[12].raw, raw18, strlen(raw18));
    /* Rows 1 and 16 loaded: 1.00 + 7.00. */
    assert_counts(&s, 16, 2, 14);
    assert_int_equal(s.t.amount[0] + s.t.amount[1], 800);
    assert_string_equal(memo(&s, 0), "first\nsecond\nthird");
    assert_int_equal(s.report.by_reason[FT_REJ_FIELD_COUNT], 4);
    assert_int_equal(s.report.by_reason[FT_REJ_QUOTES], 1);
    /* Nothing from a rejected row reaches the store: only A and B. */
    assert_int_equal(s.accounts.n, 2);
    assert_int_equal(s.ncurrencies, 1);
    ft_store_free(&s);
}

/* A bad field that spans lines is reported at the line where it starts,
 * also when a field before it spans lines too. */
static void test_bad_field_on_several_lines_names_its_first(void **state)
{
    (void)state;
    const char *csv = "txn_id,memo,timestamp,src_account,dst_account,amount,currency\n" /* 1 */
                      "1,x,2024-03-01T10:00:00Z,A,B,\"12\n"                             /* 2 */
                      ".5\",EUR\n"                                                      /* 3 */
                      "2,\"two\n"                                                       /* 4 */
                      "lines\",2024-03-01T10:00:00Z,A,B,\"1\n"                          /* 5 */
                      "\n"                                                              /* 6 */
                      "2\",EUR\n"                                                       /* 7 */
                      "3,\"a\n"                                                         /* 8 */
                      "b\",then,A,B,1.00,EUR\n"                                         /* 9 */
                      "4,y,2024-03-01T11:00:00Z,A,B,4.00,EUR\n";                        /* 10 */
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    assert_int_equal(tu_load(&s, "lines.csv", csv, NULL, &rej, &err), FT_OK);
    assert_int_equal(rej.n, 3);
    assert_int_equal(rej.r[0].line, 2);
    assert_int_equal(rej.r[0].column, 6);
    assert_string_equal(rej.r[0].message, "amount '12?.5' is not a decimal number");
    assert_int_equal(rej.r[1].line, 5); /* after the memo's two lines, over three */
    assert_int_equal(rej.r[1].column, 6);
    assert_int_equal(rej.r[1].reason, FT_REJ_AMOUNT);
    assert_int_equal(rej.r[2].line, 9); /* a one-line field after a two-line one */
    assert_int_equal(rej.r[2].column, 3);
    assert_int_equal(rej.r[2].reason, FT_REJ_TIMESTAMP);
    assert_counts(&s, 4, 1, 3);
    assert_int_equal(s.t.line[0], 10);
    ft_store_free(&s);

    /* --strict says the same place. */
    ft_load_options o = {.strict = true};
    assert_int_equal(tu_load(&s, "lines.csv", csv, &o, NULL, &err), FT_EINPUT);
    assert_string_equal(err.msg, "lines.csv:2:6: amount '12?.5' is not a decimal number");
    ft_store_free(&s);
}

/* ft_utf8_valid at the edges of every row of Unicode's table of
 * well-formed byte sequences (Table 3-7) and one byte past each edge;
 * bytes that never start a sequence; alone, amid ASCII (read eight bytes
 * at a time), and cut between two calls at every byte. */
static void test_utf8_edges(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"\x7f", true},
        {"\x80", false},
        {"\xc0\x80", false},
        {"\xc1\xbf", false},
        {"\xc2\x80", true},
        {"\xdf\xbf", true},
        {"\xc2\x7f", false},
        {"\xdf\xc0", false},
        {"\xe0\xa0\x80", true},
        {"\xe0\xbf\xbf", true},
        {"\xe0\x9f\xbf", false},
        {"\xe0\xc0\x80", false},
        {"\xe0\xa0\x7f", false},
        {"\xe0\xa0\xc0", false},
        {"\xe1\x80\x80", true},
        {"\xec\xbf\xbf", true},
        {"\xe1\x7f\x80", false},
        {"\xec\xc0\x80", false},
        {"\xed\x80\x80", true},
        {"\xed\x9f\xbf", true},
        {"\xed\x7f\x80", false},
        {"\xed\xa0\x80", false},
        {"\xee\x80\x80", true},
        {"\xef\xbf\xbf", true},
        {"\xee\x7f\x80", false},
        {"\xef\xc0\x80", false},
        {"\xf0\x90\x80\x80", true},
        {"\xf0\xbf\xbf\xbf", true},
        {"\xf0\x8f\xbf\xbf", false},
        {"\xf0\xc0\x80\x80", false},
        {"\xf0\x90\x80\x7f", false},
        {"\xf0\x90\x7f\x80", false},
        {"\xf1\x80\x80\x80", true},
        {"\xf3\xbf\xbf\xbf", true},
        {"\xf1\x7f\x80\x80", false},
        {"\xf3\xc0\x80\x80", false},
        {"\xf3\xbf\xbf\xc0", false},
        {"\xf4\x80\x80\x80", true},
        {"\xf4\x8f\xbf\xbf", true},
        {"\xf4\x7f\x80\x80", false},
        {"\xf4\x90\x80\x80", false},
        {"\xf5\x80\x80\x80", false},
        {"\xf8\x88\x80\x80\x80", false},
        {"\xfe", false},
        {"\xff", false},
        {"\xc2\x41", false}, /* the A after a lead byte is not swallowed */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const unsigned char *c = (const unsigned char *)cases[k].s;
        size_t n = strlen(cases[k].s);
        uint32_t st = 0;
        if (ft_utf8_valid(c, n, &st) != cases[k].ok || (cases[k].ok && st != 0))
            fail_msg("case %zu alone", k);
        unsigned char buf[64];
        memcpy(buf, "0123456789", 10);
        memcpy(buf + 10, c, n);
        memcpy(buf + 10 + n, "abcdefghijklmnopq", 17);
        st = 0;
        if (ft_utf8_valid(buf, n + 27, &st) != cases[k].ok || st != 0)
            fail_msg("case %zu amid ASCII", k);
        /* cut after every byte: the state carries the sequence over */
        for (size_t cut = 1; cut < n; cut++) {
            st = 0;
            bool a = ft_utf8_valid(c, cut, &st);
            bool b = ft_utf8_valid(c + cut, n - cut, &st);
            if ((a && b) != cases[k].ok || (cases[k].ok && st != 0))
                fail_msg("case %zu cut after %zu", k, cut);
        }
    }
    /* A sequence the input ends in is not wrong yet: the state says so. */
    uint32_t st = 0;
    assert_true(ft_utf8_valid((const unsigned char *)"ab\xf0\x90", 4, &st));
    assert_int_not_equal(st, 0);
    assert_false(ft_utf8_valid((const unsigned char *)"c", 1, &st));
    assert_int_equal(st, 0);
}

static void test_stray_quote_loses_only_its_line(void **state)
{
    (void)state;
    /* Line 3 opens a quote that never closes: it swallows lines 4 and 5
     * until the end of the input. */
    const char *csv = "timestamp,src_account,dst_account,amount,currency,memo\n"
                      "2024-03-01T10:00:00Z,A,B,1.00,EUR,ok\n"
                      "2024-03-01T10:01:00Z,A,B,2.00,EUR,\"oops\n"
                      "2024-03-01T10:02:00Z,A,C,3.00,EUR,fine\n"
                      "2024-03-01T10:03:00Z,C,B,4.00,EUR,also fine\n";
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    assert_int_equal(tu_load(&s, "u.csv", csv, NULL, &rej, &err), FT_OK);
    assert_int_equal(rej.n, 1);
    assert_int_equal(rej.r[0].reason, FT_REJ_UNTERMINATED);
    assert_int_equal(rej.r[0].line, 3);
    assert_int_equal(rej.r[0].column, 6);
    assert_string_equal(rej.r[0].message, "field 6 opens a quote that is never closed");
    const char *raw = "2024-03-01T10:01:00Z,A,B,2.00,EUR,\"oops\n";
    assert_int_equal(rej.r[0].raw_len, strlen(raw));
    assert_memory_equal(rej.r[0].raw, raw, strlen(raw));
    assert_counts(&s, 4, 3, 1);
    assert_int_equal(s.t.amount[0] + s.t.amount[1] + s.t.amount[2], 800);
    assert_int_equal(s.t.line[1], 4);
    assert_int_equal(s.t.line[2], 5);
    ft_store_free(&s);

    /* Here the stray quote is closed by the first quote of line 5, which
     * breaks the CSV rules: still only line 3 is lost. */
    csv = "timestamp,src_account,dst_account,amount,currency,memo\n"
          "2024-03-01T10:00:00Z,A,B,1.00,EUR,ok\n"
          "2024-03-01T10:01:00Z,A,B,2.00,EUR,\"oops\n"
          "2024-03-01T10:02:00Z,A,C,3.00,EUR,fine\n"
          "2024-03-01T10:03:00Z,C,B,4.00,EUR,\"also \"\"fine\"\"\"\n"
          "2024-03-01T10:04:00Z,C,B,5.00,EUR,\"two\n"
          "lines\"\n";
    assert_int_equal(tu_load(&s, "q.csv", csv, NULL, &rej, &err), FT_OK);
    assert_int_equal(rej.n, 1);
    assert_int_equal(rej.r[0].reason, FT_REJ_QUOTES);
    assert_int_equal(rej.r[0].line, 3);
    assert_int_equal(rej.r[0].column, 6);
    assert_int_equal(rej.r[0].raw_len, strlen(raw));
    assert_memory_equal(rej.r[0].raw, raw, strlen(raw));
    assert_counts(&s, 5, 4, 1);
    assert_int_equal(s.t.line[1], 4);
    assert_int_equal(s.t.line[2], 5);
    assert_int_equal(s.t.line[3], 6);
    assert_string_equal(memo(&s, 2), "also \"fine\"");
    assert_string_equal(memo(&s, 3), "two\nlines");
    ft_store_free(&s);
}

static void test_nul_byte_and_last_row_without_newline(void **state)
{
    (void)state;
    const char csv[] = "timestamp,src_account,dst_account,amount,currency\n"
                       "2024-03-01T10:00:00Z,A\0x,B,1.00,EUR\n"
                       "2024-03-01T10:00:00Z,A,B,1.00,EUR";
    ft_store s = {0};
    ft_error err;
    tu_rejects rej = {0};
    ft_load_options o = {.on_reject = tu_collect, .reject_ctx = &rej};
    assert_int_equal(ft_ingest_buffer(&s, "nul.csv", csv, sizeof csv - 1, &o, &err), FT_OK);
    assert_int_equal(rej.n, 1);
    assert_int_equal(rej.r[0].reason, FT_REJ_NUL);
    assert_int_equal(rej.r[0].line, 2);
    assert_int_equal(rej.r[0].column, 2);
    assert_counts(&s, 2, 1, 1);
    assert_int_equal(s.t.line[0], 3);
    ft_store_free(&s);
}

static void test_strict_stops_at_first_bad_row(void **state)
{
    (void)state;
    const char *csv = "timestamp,src_account,dst_account,amount,currency\n"
                      "2024-03-01T10:00:00Z,A,B,1.00,EUR\n"
                      "2024-03-01T10:00:00Z,A,B,1.5.0,EUR\n"
                      "2024-03-01T10:00:00Z,A,B,oops,EUR\n";
    ft_store s = {0};
    ft_error err;
    ft_load_options o = {.strict = true};
    assert_int_equal(tu_load(&s, "strict.csv", csv, &o, NULL, &err), FT_EINPUT);
    assert_string_equal(err.msg, "strict.csv:3:4: amount '1.5.0' is not a decimal number");
    assert_int_equal(s.report.rows_rejected, 1);
    ft_store_free(&s);
}

static void test_empty_and_header_only(void **state)
{
    (void)state;
    ft_store s = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "e.csv", "", NULL, NULL, &err), FT_EINPUT);
    assert_string_equal(err.msg, "e.csv: is empty: a header line is needed");
    ft_store_free(&s);
    assert_int_equal(tu_load(&s, "h.csv", "timestamp,src_account,dst_account,amount,currency\n",
                             NULL, NULL, &err),
                     FT_OK);
    assert_counts(&s, 0, 0, 0);
    ft_store_free(&s);
    assert_int_equal(tu_load(&s, "x.csv", "a,b\n1,2\n", NULL, NULL, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "x.csv: cannot recognise the layout"));
    ft_store_free(&s);
    /* A mapped layout without currency needs --currency. */
    ft_map m = {0};
    ft_map_add(&m, "timestamp=t", &err);
    ft_map_add(&m, "src_account=f", &err);
    ft_map_add(&m, "dst_account=to", &err);
    ft_map_add(&m, "amount=v", &err);
    ft_load_options o = {.map = &m};
    assert_int_equal(tu_load(&s, "m.csv", "t,f,to,v\n2024-01-01,a,b,1\n", &o, NULL, &err),
                     FT_EUSAGE);
    assert_non_null(strstr(err.msg, "there is no currency column"));
    ft_store_free(&s);
    o.default_currency = "CHF";
    assert_int_equal(tu_load(&s, "m.csv", "t,f,to,v\n2024-01-01,a,b,1\n", &o, NULL, &err),
                     FT_OK);
    char buf[80];
    assert_string_equal(tu_amount(&s, 0, buf), "1.00 CHF");
    ft_store_free(&s);
    ft_map_free(&m);
}

static void test_ibm_layout(void **state)
{
    (void)state;
    const char *csv =
        "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
        "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
        "2022/09/01 00:20,010,8000EBD30,010,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,"
        "Reinvestment,0\n"
        "2022/09/01 00:05,0134266,814167590,0036925,810E343A0,132713.46,Yuan,18264.20,Euro,ACH,1\n"
        "2022/09/01 00:06,10,8000EBD30,012,80011F990,682100.98,Yen,682100.98,Yen,Wire,1\n"
        "2022/09/01 00:07,012,80011F990,010,8000EBD30,0.00021900,Bitcoin,0.00021900,Bitcoin,"
        "Bitcoin,0\n";
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    assert_int_equal(tu_load(&s, "HI-Small_Trans.csv", csv, NULL, &rej, &err), FT_OK);
    assert_int_equal(rej.n, 0);
    assert_counts(&s, 4, 4, 0);
    char buf[80];
    /* Time order: 00:05, 00:06, 00:07, 00:20. */
    assert_string_equal(tu_amount(&s, 0, buf), "18264.20 EUR");
    assert_string_equal(tu_amount(&s, 1, buf), "682100.98 JPY"); /* Yen with two decimals */
    assert_int_equal(s.t.amount[1], 68210098);
    assert_string_equal(tu_amount(&s, 2, buf), "0.00021900 BTC");
    assert_int_equal(s.t.amount[2], 21900);
    assert_string_equal(tu_amount(&s, 3, buf), "3697.34 USD");
    /* The received leg, in its own currency. */
    assert_int_equal(s.t.amount_recv[0], 13271346);
    assert_string_equal(s.currencies[s.t.cur_recv[0]].code, "CNY");
    /* Keys are bank:account; 010 and 10 are different banks. */
    assert_string_equal(key_of(&s, s.t.src[0]), "0134266:814167590");
    assert_string_equal(key_of(&s, s.t.src[1]), "10:8000EBD30");
    assert_string_equal(key_of(&s, s.t.src[3]), "010:8000EBD30");
    assert_int_equal(s.t.src[3], s.t.dst[3]); /* Reinvestment: a self-transfer */
    assert_int_not_equal(s.t.src[1], s.t.src[3]);
    assert_int_equal(s.accounts.n, 5);
    /* Labels: Is Laundering 1 and 0. */
    assert_int_not_equal(s.t.label[0], 0);
    assert_int_not_equal(s.t.label[1], 0);
    assert_int_equal(s.t.label[2], 0);
    assert_int_equal(s.t.label[3], 0);
    assert_string_equal(ft_intern_str(&s.channels, s.t.channel[2] - 1, NULL), "Bitcoin");
    assert_string_equal(txid(&s, 0), "HI-Small_Trans.csv:3");
    int64_t t0;
    assert_true(ft_time_parse("2022-09-01T00:05:00Z", 20, &t0, NULL));
    assert_int_equal(s.t.ts_ms[0], t0);
    assert_string_equal(s.report.sources[0].layout, "ibm");
    ft_store_free(&s);
}

static void test_amlsim_layout(void **state)
{
    (void)state;
    const char *csv = "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n"
                      "1,1001,2001,TRANSFER,150.50,2017-01-01T10:00:00Z,False,-1\n"
                      "2,2001,3001,TRANSFER,2750.00,2017-01-02T11:00:00Z,True,10\n"
                      "3,3001,1001,TRANSFER,2740,2017-01-03T12:00:00Z,True,-1\n";
    ft_store s = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "transactions.csv", csv, NULL, NULL, &err), FT_OK);
    assert_counts(&s, 3, 3, 0);
    char buf[80];
    assert_string_equal(tu_amount(&s, 0, buf), "150.50 USD");
    assert_string_equal(tu_amount(&s, 2, buf), "2740.00 USD");
    assert_int_equal(s.t.label[0], 0);
    assert_string_equal(ft_intern_str(&s.labels, s.t.label[1] - 1, NULL), "10");
    assert_string_equal(ft_intern_str(&s.labels, s.t.label[2] - 1, NULL), "sar");
    assert_string_equal(txid(&s, 1), "2");
    assert_int_equal(s.report.amounts_rounded, 0);
    ft_store_free(&s);

    /* AMLSim writes amounts from binary floats: read them exactly, round
     * the noise to cents, count it. */
    const char *noisy = "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,"
                        "alert_id\n"
                        "1,1001,2001,TRANSFER,163.98000000000002,2017-01-01T10:00:00Z,False,-1\n"
                        "2,2001,3001,TRANSFER,1.0E7,2017-01-02T11:00:00Z,False,-1\n"
                        "3,3001,1001,TRANSFER,-5.0,2017-01-03T12:00:00Z,False,-1\n";
    tu_rejects rej;
    assert_int_equal(tu_load(&s, "noisy.csv", noisy, NULL, &rej, &err), FT_OK);
    assert_counts(&s, 3, 2, 1);
    assert_int_equal(rej.r[0].reason, FT_REJ_NEGATIVE);
    assert_string_equal(tu_amount(&s, 0, buf), "163.98 USD");
    assert_string_equal(tu_amount(&s, 1, buf), "10000000.00 USD");
    assert_int_equal(s.report.amounts_rounded, 1);
    ft_store_free(&s);
    /* --currency changes the currency of layouts without one. */
    ft_load_options o = {.default_currency = "EUR"};
    assert_int_equal(tu_load(&s, "transactions.csv", csv, &o, NULL, &err), FT_OK);
    assert_string_equal(tu_amount(&s, 0, buf), "150.50 EUR");
    ft_store_free(&s);
}

static void test_paysim_layout(void **state)
{
    (void)state;
    const char *csv = "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,"
                      "oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud\n"
                      "1,PAYMENT,9839.64,C1231006815,170136.0,160296.36,M1979787155,0.0,0.0,0,0\n"
                      "1,TRANSFER,181.0,C1305486145,181.0,0.0,C553264065,0.0,0.0,1,0\n"
                      "743,CASH_OUT,229133.94,C840083671,15325.0,0.0,C38997010,0.0,214940.76,0,0\n"
                      "x,CASH_OUT,1.0,C1,1.0,0.0,C2,0.0,0.0,0,0\n";
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    ft_load_options o = {0};
    assert_true(ft_time_parse("2024-01-01T00:00:00Z", 20, &o.epoch_ms, NULL));
    assert_int_equal(tu_load(&s, "paysim.csv", csv, &o, &rej, &err), FT_OK);
    assert_counts(&s, 4, 3, 1);
    assert_int_equal(rej.r[0].reason, FT_REJ_TIMESTAMP);
    assert_int_equal(rej.r[0].line, 5);
    assert_int_equal(rej.r[0].column, 1);
    char t[40];
    ft_time_format(s.t.ts_ms[0], t, sizeof t);
    assert_string_equal(t, "2024-01-01T01:00:00Z");
    ft_time_format(s.t.ts_ms[2], t, sizeof t);
    assert_string_equal(t, "2024-01-31T23:00:00Z"); /* 743 hours after */
    char buf[80];
    assert_string_equal(tu_amount(&s, 1, buf), "181.00 USD");
    assert_int_equal(s.t.amount[0] + s.t.amount[1] + s.t.amount[2], 983964 + 18100 + 22913394);
    assert_int_equal(s.t.label[0], 0);
    assert_int_not_equal(s.t.label[1], 0);
    ft_store_free(&s);
}

static void test_exponent_rises_across_files(void **state)
{
    (void)state;
    /* JPY first counted with 0 decimals, then an IBM file needs 2: the
     * earlier amount is rescaled exactly. */
    ft_store s = {0};
    ft_error err;
    const char *generic = "timestamp,src_account,dst_account,amount,currency\n"
                          "2024-01-01T00:00:00Z,A,B,1500,JPY\n";
    const char *ibm =
        "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
        "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
        "2022/09/01 00:06,1,X,2,Y,5.50,Yen,5.50,Yen,Wire,0\n";
    assert_int_equal(ft_ingest_buffer(&s, "a.csv", generic, strlen(generic), NULL, &err), FT_OK);
    assert_int_equal(ft_ingest_buffer(&s, "b.csv", ibm, strlen(ibm), NULL, &err), FT_OK);
    assert_int_equal(ft_store_finish(&s, &err), FT_OK);
    char buf[80];
    assert_string_equal(tu_amount(&s, 0, buf), "5.50 JPY");
    assert_string_equal(tu_amount(&s, 1, buf), "1500.00 JPY");
    assert_int_equal(s.t.amount[1], 150000);
    assert_non_null(s.t.file);
    assert_int_equal(s.t.file[0], 1);
    assert_int_equal(s.t.file[1], 0);
    assert_string_equal(txid(&s, 0), "b.csv:2");
    assert_int_equal(s.report.nsources, 2);
    assert_int_equal(s.report.sources[1].rows_loaded, 1);
    ft_store_free(&s);
}

static void test_banks_in_generic_layout(void **state)
{
    (void)state;
    const char *csv = "timestamp,src_bank,src_account,dst_bank,dst_account,amount,currency\n"
                      "2024-01-01T00:00:00Z,B1,A,B2,A,1,EUR\n"
                      "2024-01-01T00:00:01Z,,A,B1,A,1,EUR\n";
    ft_store s = {0};
    ft_error err;
    assert_int_equal(tu_load(&s, "b.csv", csv, NULL, NULL, &err), FT_OK);
    assert_string_equal(key_of(&s, s.t.src[0]), "B1:A");
    assert_string_equal(key_of(&s, s.t.dst[0]), "B2:A");
    assert_string_equal(key_of(&s, s.t.src[1]), "A"); /* no bank given: the account alone */
    assert_int_equal(s.t.dst[1], s.t.src[0]);
    ft_store_free(&s);
}

/* Compresses `data` as a gzip member. */
static size_t gzip_buf(const char *data, size_t len, unsigned char *out, size_t cap)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static void test_gzip_members_and_truncation(void **state)
{
    (void)state;
    const char *a = "timestamp,src_account,dst_account,amount,currency\n"
                    "2024-01-01T00:00:00Z,A,B,1.25,EUR\n";
    const char *b = "2024-01-01T00:00:01Z,B,C,2.50,EUR\n";
    unsigned char gz[1024];
    size_t n1 = gzip_buf(a, strlen(a), gz, sizeof gz);
    size_t n2 = gzip_buf(b, strlen(b), gz + n1, sizeof gz - n1); /* `cat a.gz b.gz` */
    ft_store s = {0};
    ft_error err;
    assert_int_equal(ft_ingest_buffer(&s, "x.csv.gz", gz, n1 + n2, NULL, &err), FT_OK);
    assert_counts(&s, 2, 2, 0);
    assert_int_equal(s.t.amount[0] + s.t.amount[1], 375);
    assert_int_equal(s.report.sources[0].bytes, n1 + n2);
    ft_store_free(&s);
    assert_int_equal(ft_ingest_buffer(&s, "cut.csv.gz", gz, n1 - 5, NULL, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "cut.csv.gz: gzip data ends unexpectedly"));
    ft_store_free(&s);
}

static void test_files_stdin_and_provenance(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/abc.csv", dir);
    const char *csv = "timestamp,src_account,dst_account,amount,currency\n"
                      "2024-01-01T00:00:00Z,A,B,1.25,EUR\n";
    tu_write(path, csv, strlen(csv));
    ft_store s = {0};
    ft_error err;
    const char *paths[] = {path};
    assert_int_equal(ft_ingest_files(&s, paths, 1, NULL, &err), FT_OK);
    assert_int_equal(s.report.sources[0].bytes, strlen(csv));
    assert_int_equal(strlen(s.report.sources[0].sha256), 64);
    assert_true(s.report.sources[0].mtime > 0);
    ft_store_free(&s);
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    assert_int_equal(ft_ingest_files(&s, paths, 1, NULL, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_non_null(strstr(err.msg, "No such file or directory"));
    ft_store_free(&s);
    paths[0] = dir;
    assert_int_equal(ft_ingest_files(&s, paths, 1, NULL, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "is a directory"));
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_long_field_and_many_columns(void **state)
{
    (void)state;
    /* A 3 MB memo crosses several 1 MiB read chunks. */
    size_t memo_len = 3u << 20;
    const char *head = "timestamp,src_account,dst_account,amount,currency,memo\n"
                       "2024-01-01T00:00:00Z,A,B,1.25,EUR,\"";
    const char *tail = "\"\n2024-01-01T00:00:01Z,B,C,2.50,EUR,short\n";
    size_t len = strlen(head) + memo_len + strlen(tail);
    char *csv = malloc(len + 1);
    assert_non_null(csv);
    memcpy(csv, head, strlen(head));
    memset(csv + strlen(head), 'm', memo_len);
    memcpy(csv + strlen(head) + memo_len, tail, strlen(tail) + 1);
    ft_store s = {0};
    ft_error err;
    assert_int_equal(ft_ingest_buffer(&s, "long.csv", csv, len, NULL, &err), FT_OK);
    assert_counts(&s, 2, 2, 0);
    size_t mlen;
    ft_pool_get(&s.strings, s.t.memo[0], &mlen);
    assert_int_equal(mlen, memo_len);
    assert_int_equal(s.t.line[1], 3);
    ft_store_free(&s);
    free(csv);
}

/* Everything a load made, as text: the rows, their places and bytes'
 * verdicts, the rejects, the notes and the provenance. */
struct dump_ctx {
    FILE *f;
};

static void dump_reject(void *ctx, const ft_reject_info *r)
{
    struct dump_ctx *d = ctx;
    fprintf(d->f, "reject %s:%lld:%lld %s [%.*s]", r->path, (long long)r->line,
            (long long)r->column, r->message, (int)r->raw_len, r->raw);
    for (int i = 1; i < r->nfaults; i++)
        fprintf(d->f, " +%lld:%lld %s", (long long)r->faults[i].line,
                (long long)r->faults[i].column, r->faults[i].message);
    fputc('\n', d->f);
}

static void dump_note(void *ctx, const char *path, const char *message)
{
    struct dump_ctx *d = ctx;
    fprintf(d->f, "note %s: %s\n", path, message);
}

static char *load_dump(const char *path, int threads, size_t slice)
{
    char *buf = NULL;
    size_t len = 0;
    struct dump_ctx d = {open_memstream(&buf, &len)};
    assert_non_null(d.f);
    ft_load_options o = {.threads = threads,
                         .slice_bytes = slice,
                         .on_reject = dump_reject,
                         .reject_ctx = &d,
                         .on_note = dump_note,
                         .note_ctx = &d};
    ft_store s = {0};
    ft_error err;
    const char *paths[] = {path};
    ft_status rc = ft_ingest_files(&s, paths, 1, &o, &err);
    fprintf(d.f, "status %d\n", (int)rc);
    assert_int_equal(rc, FT_OK);
    const ft_load_report *r = &s.report;
    fprintf(d.f, "read %lld loaded %lld rejected %lld bytes %llu sha %s text %s %lld %lld\n",
            (long long)r->rows_read, (long long)r->rows_loaded, (long long)r->rows_rejected,
            (unsigned long long)r->sources[0].bytes, r->sources[0].sha256, r->sources[0].encoding,
            (long long)r->sources[0].bad_text_lines, (long long)r->sources[0].first_bad_text_line);
    for (int64_t i = 0; i < s.t.n; i++) {
        char amt[80];
        fprintf(d.f, "%lld %s %s>%s %s line %u memo [%s]\n", (long long)s.t.ts_ms[i],
                tu_amount(&s, i, amt), key_of(&s, s.t.src[i]), key_of(&s, s.t.dst[i]), txid(&s, i),
                s.t.line[i], s.t.memo ? memo(&s, i) : "");
    }
    for (uint32_t a = 0; a < s.accounts.n; a++)
        fprintf(d.f, "account %u %s\n", a, key_of(&s, a));
    fclose(d.f);
    ft_store_free(&s);
    return buf;
}

static void test_threads_read_what_one_reads(void **state)
{
    (void)state;
    /* Quoted line breaks, rows swallowed by a stray quote, blank lines,
     * CRLF, spaces around fields, a bare CR, bytes that are not UTF-8,
     * and a last row without a line end, repeated so that slices of
     * every size below cut the file inside each of them. */
    const char *parts[] = {
        "%d,2024-01-%02dT10:00:00Z,A%d,B%d,1.%02d,EUR,plain\n",
        "%d,2024-01-%02dT10:00:01Z,A%d,C%d,2.%02d,EUR,\"two\nlines, and a \"\"quote\"\"\"\n",
        "%d,2024-01-%02dT10:00:02Z,A%d,D%d,3.%02d,EUR,\"three\n\nlines\"\n",
        "\n   \n",
        "%d,2024-01-%02dT10:00:03Z, A%d , E%d ,4.%02d,EUR,  spaced  \r\n",
        "%d,2024-01-%02dT10:00:04Z,A%d,F%d,5.%02d,EUR,\"opens and never closes\n",
        "%d,2024-01-%02dT10:00:05Z,A%d,G%d,6.%02d,EUR,stray\"quote\n",
        "%d,2024-01-%02dT10:00:06Z,A%d,H%d,7.%02d,EUR,caf\xe9\n",
        "%d,2024-01-%02dT10:00:07Z,A%d,I%d,8.%02d,EUR,bare\rcr\n",
        "%d,2024-01-%02dT10:00:08Z,A%d,J%d,bad,EUR,x\n",
    };
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/mix.csv", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("\xEF\xBB\xBFtxn_id,timestamp,src_account,dst_account,amount,currency,memo\n", f);
    int id = 1;
    for (int rep = 0; rep < 40; rep++)
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++, id++)
            fprintf(f, parts[k], id, 1 + id % 28, id % 7, id % 5, id % 100);
    fputs("999999,2024-02-01T00:00:00Z,Z,Y,1.00,EUR,last", f);
    fclose(f);
    char *one = load_dump(path, 1, 0);
    static const size_t slices[] = {61, 97, 256, 1000, 4096};
    for (int t = 2; t <= 4; t++) {
        for (size_t k = 0; k < sizeof slices / sizeof slices[0]; k++) {
            char *many = load_dump(path, t, slices[k]);
            if (strcmp(one, many) != 0)
                fail_msg("threads %d, slices of %zu bytes: the load differs", t, slices[k]);
            free(many);
        }
    }
    /* The stray quote's swallowed rows, the bad bytes: the file was hard. */
    assert_non_null(strstr(one, "opens a quote that does not close properly"));
    assert_non_null(strstr(one, "not valid UTF-8"));
    free(one);
    tu_rmdir(dir);
}

/* Every slice reads with the delimiter of the file's first line: here
 * ';', though the memos hold more commas than any row holds semicolons,
 * so a slice guessing from its own first row would take ','. And a file
 * of one line, the header without its line end, reads with threads as
 * with one. */
static void test_threads_keep_the_first_lines_delimiter(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/semi.csv", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("txn_id;timestamp;src_account;dst_account;amount;currency;memo\n", f);
    for (int id = 1; id <= 200; id++)
        fprintf(f, "%d;2024-01-%02dT10:00:00Z;A%d;B%d;1.%02d;EUR;a,b,c,d,e,f,g,h,%d\n", id,
                1 + id % 28, id % 7, id % 5, id % 100, id);
    fclose(f);
    char *one = load_dump(path, 1, 0);
    assert_non_null(strstr(one, "read 200 loaded 200 rejected 0"));
    static const size_t slices[] = {97, 1000};
    for (int t = 2; t <= 3; t++)
        for (size_t k = 0; k < sizeof slices / sizeof slices[0]; k++) {
            char *many = load_dump(path, t, slices[k]);
            if (strcmp(one, many) != 0)
                fail_msg("threads %d, slices of %zu bytes: the load differs", t, slices[k]);
            free(many);
        }
    free(one);
    snprintf(path, sizeof path, "%s/header.csv", dir);
    const char *header = "timestamp,src_account,dst_account,amount,currency";
    tu_write(path, header, strlen(header));
    const char *paths[] = {path};
    for (int t = 1; t <= 2; t++) {
        ft_load_options o = {.threads = t, .slice_bytes = 16};
        ft_store s = {0};
        ft_error err;
        assert_int_equal(ft_ingest_files(&s, paths, 1, &o, &err), FT_EINPUT);
        assert_string_equal(err.msg, "no row was loaded (0 read, 0 rejected)");
        ft_store_free(&s);
    }
    /* A first line longer than the first read (1 MiB): the delimiter is
     * guessed from what that read holds of it, with threads as with one
     * (';' six times; the ten commas past the first MiB are not seen). */
    snprintf(path, sizeof path, "%s/long.csv", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("timestamp;src_account;dst_account;amount;currency;memo", f);
    for (int i = 0; i < (1 << 20); i++)
        fputc('x', f);
    fputs(",,,,,,,,,,\n", f);
    for (int id = 1; id <= 50; id++)
        fprintf(f, "2024-01-%02dT10:00:00Z;A%d;B%d;1.%02d;EUR;m\n", 1 + id % 28, id % 7, id % 5,
                id % 100);
    fclose(f);
    one = load_dump(path, 1, 0);
    assert_non_null(strstr(one, "read 50 loaded 50 rejected 0"));
    char *many = load_dump(path, 2, 300);
    assert_string_equal(one, many);
    free(many);
    free(one);
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_values_and_time_order),
        cmocka_unit_test(test_threads_read_what_one_reads),
        cmocka_unit_test(test_threads_keep_the_first_lines_delimiter),
        cmocka_unit_test(test_bom_crlf_and_delimiters),
        cmocka_unit_test(test_rejects_name_line_and_column),
        cmocka_unit_test(test_bad_field_on_several_lines_names_its_first),
        cmocka_unit_test(test_utf8_edges),
        cmocka_unit_test(test_stray_quote_loses_only_its_line),
        cmocka_unit_test(test_nul_byte_and_last_row_without_newline),
        cmocka_unit_test(test_strict_stops_at_first_bad_row),
        cmocka_unit_test(test_empty_and_header_only),
        cmocka_unit_test(test_ibm_layout),
        cmocka_unit_test(test_amlsim_layout),
        cmocka_unit_test(test_paysim_layout),
        cmocka_unit_test(test_exponent_rises_across_files),
        cmocka_unit_test(test_banks_in_generic_layout),
        cmocka_unit_test(test_gzip_members_and_truncation),
        cmocka_unit_test(test_files_stdin_and_provenance),
        cmocka_unit_test(test_long_field_and_many_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
