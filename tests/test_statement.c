/*
 * test_statement.c - what investigators receive: European CSV conventions,
 * encodings, one account's statements (CSV, MT940, camt.053), copies and
 * the two views of a transfer across files. Every total below was worked
 * out by hand from the fixture it names.
 */
#include "testutil.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/csvread.h"
#include "fundtrace/ingest.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/time.h"
#include "fundtrace/tz.h"

#define DATA FT_TEST_DATA "/../../data"
#define STMT FT_TEST_DATA "/stmt"

typedef struct notes {
    int n;
    char text[16][800];
} notes;

static void collect_note(void *ctx, const char *path, const char *message)
{
    notes *n = ctx;
    (void)path;
    if (n->n < 16)
        snprintf(n->text[n->n++], sizeof n->text[0], "%s", message);
}

static bool noted(const notes *n, const char *part)
{
    for (int i = 0; i < n->n; i++)
        if (strstr(n->text[i], part))
            return true;
    return false;
}

/* Loads files with ft_ingest_files (reconciliation included). */
static ft_status load(ft_store *s, const char *const *paths, int n, ft_load_options *o,
                      tu_rejects *rej, notes *nt, ft_error *err)
{
    ft_load_options local = {0};
    if (!o)
        o = &local;
    if (rej) {
        memset(rej, 0, sizeof *rej);
        o->on_reject = tu_collect;
        o->reject_ctx = rej;
    }
    if (nt) {
        memset(nt, 0, sizeof *nt);
        o->on_note = collect_note;
        o->note_ctx = nt;
    }
    return ft_ingest_files(s, paths, n, o, err);
}

/* Loads CSV text as a file, reconciled and finished. */
static ft_status load_text(ft_store *s, const char *name, const char *text, ft_load_options *o,
                           tu_rejects *rej, notes *nt, ft_error *err)
{
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tu_write(path, text, strlen(text));
    const char *paths[] = {path};
    ft_status rc = load(s, paths, 1, o, rej, nt, err);
    tu_rmdir(dir);
    return rc;
}

static int64_t find(const ft_store *s, const char *txid)
{
    char buf[128];
    for (int64_t i = 0; i < s->t.n; i++) {
        ft_store_txid(s, i, buf, sizeof buf);
        if (strcmp(buf, txid) == 0)
            return i;
    }
    fail_msg("no transaction '%s'", txid);
    return -1;
}

/* The account's key; a key holds no NUL byte (it is as long as its text). */
static const char *acct(const ft_store *s, uint32_t id)
{
    size_t len;
    const char *k = ft_store_account(s, id, &len);
    assert_int_equal(len, strlen(k));
    return k;
}

static const char *str(const ft_store *s, uint64_t off)
{
    return ft_pool_get(&s->strings, off, NULL);
}

/* --- conventions in CSV ------------------------------------------------ */

static void test_decimal_comma_guessed_and_overridden(void **state)
{
    (void)state;
    const char *csv = "txn_id;timestamp;src_account;dst_account;amount;currency\n"
                      "1;2024-03-01;A;B;1.234,56;EUR\n"
                      "2;2024-03-01;A;B;99,50;EUR\n"
                      "3;2024-03-01;A;B;1.000;EUR\n"; /* alone it could be either */
    ft_store s = {0};
    ft_error err;
    notes nt;
    assert_int_equal(load_text(&s, "de.csv", csv, NULL, NULL, &nt, &err), FT_OK);
    assert_int_equal(s.t.n, 3);
    assert_int_equal(s.t.amount[find(&s, "1")], 123456);
    assert_int_equal(s.t.amount[find(&s, "2")], 9950);
    assert_int_equal(s.t.amount[find(&s, "3")], 100000); /* 1000.00 */
    assert_int_equal(s.report.sources[0].decimal_mark, ',');
    assert_int_equal(s.report.sources[0].decimal_from, FT_FROM_DETECTED);
    assert_true(noted(&nt, "decimal comma, as amounts such as '1.234,56' (line 2) show"));
    ft_store_free(&s);
    /* --decimal-point reads the same file the other way: every amount
     * is then refused, and the message names the option. */
    ft_load_options o = {.decimal_mark = '.'};
    tu_rejects rej;
    assert_int_equal(load_text(&s, "de.csv", csv, &o, &rej, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 1); /* "1.000" is one, with a point */
    assert_int_equal(s.t.amount[0], 100);
    assert_int_equal(rej.n, 2);
    assert_string_equal(rej.r[1].message, "amount '99,50' has digit groups that are not of "
                                          "three (a decimal comma? give --decimal-comma)");
    ft_store_free(&s);
}

static void test_groups_symbols_and_negatives(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,2024-03-01,A,B,\"1,234.56\",EUR\n"
                      "2,2024-03-01,A,B,1 234.5,EUR\n"
                      "3,2024-03-01,A,B,1'234.50,CHF\n"
                      "4,2024-03-01,A,B,\xe2\x82\xac 12.30,EUR\n"
                      "5,2024-03-01,A,B,\"1,234.56 USD\",USD\n"
                      "6,2024-03-01,A,B,$5,EUR\n"       /* the column says otherwise */
                      "7,2024-03-01,A,B,(100.00),EUR\n" /* a transfer is not negative */
                      "8,2024-03-01,A,B,100.00-,EUR\n";
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    assert_int_equal(load_text(&s, "x.csv", csv, NULL, &rej, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 5);
    assert_int_equal(s.t.amount[find(&s, "1")], 123456);
    assert_int_equal(s.t.amount[find(&s, "2")], 123450);
    assert_int_equal(s.t.amount[find(&s, "3")], 123450);
    assert_int_equal(s.t.amount[find(&s, "4")], 1230);
    assert_int_equal(s.t.amount[find(&s, "5")], 123456);
    assert_int_equal(rej.n, 3);
    assert_int_equal(rej.r[0].line, 7);
    assert_int_equal(rej.r[0].reason, FT_REJ_CURRENCY);
    assert_string_equal(rej.r[0].message,
                        "currency 'EUR' is not the currency written beside the amount");
    assert_int_equal(rej.r[1].reason, FT_REJ_NEGATIVE);
    assert_string_equal(rej.r[1].message, "amount '(100.00)' is negative");
    assert_int_equal(rej.r[2].reason, FT_REJ_NEGATIVE);
    ft_store_free(&s);
}

/* Every bad field of a row is reported, in column order. */
typedef struct all_faults {
    int n;
    int64_t col[8];
    ft_reject reason[8];
    char msg[8][300];
} all_faults;

static void collect_all(void *ctx, const ft_reject_info *r)
{
    all_faults *a = ctx;
    for (int i = 0; i < r->nfaults && a->n < 8; i++) {
        a->col[a->n] = r->faults[i].column;
        a->reason[a->n] = r->faults[i].reason;
        snprintf(a->msg[a->n], sizeof a->msg[0], "%s", r->faults[i].message);
        a->n++;
    }
}

static void test_every_bad_field_reported(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,31/12/2024,,B,12x,XYZ\n";
    ft_store s = {0};
    ft_error err;
    all_faults a = {0};
    ft_load_options o = {.on_reject = collect_all, .reject_ctx = &a};
    assert_int_equal(ft_ingest_buffer(&s, "x.csv", csv, strlen(csv), &o, &err), FT_OK);
    assert_int_equal(s.report.rows_rejected, 1);
    assert_int_equal(a.n, 4);
    assert_int_equal(a.col[0], 2);
    assert_int_equal(a.reason[0], FT_REJ_TIMESTAMP);
    assert_non_null(strstr(a.msg[0], "give --date-format, e.g. %d/%m/%Y"));
    assert_int_equal(a.col[1], 3);
    assert_int_equal(a.reason[1], FT_REJ_ACCOUNT);
    assert_int_equal(a.col[2], 6);
    assert_int_equal(a.reason[2], FT_REJ_CURRENCY);
    assert_int_equal(a.col[3], 5);
    assert_int_equal(a.reason[3], FT_REJ_AMOUNT);
    assert_string_equal(a.msg[3], "amount '12x' is not a decimal number");
    /* Each reason is counted once for the row. */
    assert_int_equal(s.report.by_reason[FT_REJ_TIMESTAMP], 1);
    assert_int_equal(s.report.by_reason[FT_REJ_AMOUNT], 1);
    ft_store_free(&s);
}

static void test_date_format_and_timezone(void **state)
{
    (void)state;
    const char *csv = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                      "1,15.01.2024 12:00,A,B,1,EUR\n"      /* winter: UTC+1 */
                      "2,01.07.2024 12:00,A,B,1,EUR\n"      /* summer: UTC+2 */
                      "3,31.03.2024 02:30,A,B,1,EUR\n"      /* skipped by summer time */
                      "4,27.10.2024 02:30,A,B,1,EUR\n"      /* twice: the first */
                      "5,2024-07-01T12:00:00Z,A,B,1,EUR\n"; /* has its zone */
    ft_tz *tz;
    ft_error err;
    assert_int_equal(ft_tz_load(&tz, "Europe/Berlin", &err), FT_OK);
    ft_load_options o = {.date_format = NULL, .tz = tz};
    ft_store s = {0};
    tu_rejects rej;
    assert_int_equal(load_text(&s, "tz.csv", csv, &o, &rej, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 4);
    assert_int_equal(s.t.ts_ms[find(&s, "1")], 1705316400000LL); /* 11:00Z */
    assert_int_equal(s.t.ts_ms[find(&s, "2")], 1719828000000LL); /* 10:00Z */
    assert_int_equal(s.t.ts_ms[find(&s, "4")], 1729989000000LL); /* 00:30Z */
    assert_int_equal(s.t.ts_ms[find(&s, "5")], 1719835200000LL);
    assert_int_equal(rej.n, 1);
    assert_int_equal(rej.r[0].reason, FT_REJ_DATE);
    assert_string_equal(rej.r[0].message, "timestamp '31.03.2024 02:30' does not exist in "
                                          "Europe/Berlin (the clocks went forward)");
    ft_store_free(&s);
    /* A --date-format for day-first slashes. */
    const char *fr = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                     "1,31/12/2024 23:59,A,B,1,EUR\n"
                     "2,2024-12-31,A,B,1,EUR\n";
    ft_load_options o2 = {.date_format = "%d/%m/%Y %H:%M"};
    assert_int_equal(load_text(&s, "fr.csv", fr, &o2, &rej, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 1);
    assert_int_equal(s.t.ts_ms[0], 1735689540000LL);
    assert_string_equal(rej.r[0].message,
                        "timestamp '2024-12-31' does not match --date-format '%d/%m/%Y %H:%M'");
    ft_store_free(&s);
    ft_tz_free(tz);
}

static void test_encodings(void **state)
{
    (void)state;
    /* "Müller" in Windows-1252 (0xFC), and a euro sign (0x80). */
    const char *cp = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                     "1,2024-03-01,M\xfcller,B,\x80 5,EUR\n"
                     "2,2024-03-01,A,B,1,EUR\n";
    ft_store s = {0};
    ft_error err;
    notes nt;
    /* Without --encoding: loaded as it is, and said once with a count. */
    assert_int_equal(load_text(&s, "cp.csv", cp, NULL, NULL, &nt, &err), FT_OK);
    assert_int_equal(s.report.sources[0].bad_text_lines, 1);
    assert_int_equal(s.report.sources[0].first_bad_text_line, 2);
    assert_true(noted(&nt, "1 line is not valid UTF-8 (the first is line 2)"));
    assert_true(noted(&nt, "--encoding cp1252"));
    ft_store_free(&s);
    ft_load_options o = {.encoding = "cp1252"};
    assert_int_equal(load_text(&s, "cp.csv", cp, &o, NULL, &nt, &err), FT_OK);
    uint32_t id;
    assert_true(ft_intern_find(&s.accounts, "M\xc3\xbcller", 7, &id));
    assert_int_equal(s.t.amount[find(&s, "1")], 500); /* € 5 */
    assert_int_equal(s.report.sources[0].bad_text_lines, 0);
    assert_string_equal(s.report.sources[0].encoding, "cp1252");
    ft_store_free(&s);
    /* UTF-16LE with a byte-order mark needs no option. */
    const char *text = "timestamp,src_account,dst_account,amount,currency\n"
                       "2024-03-01,J\xc3\xb6rg,B,2.50,EUR\n";
    size_t n = strlen(text);
    char *u16 = malloc(2 * n + 2);
    u16[0] = (char)0xFF;
    u16[1] = (char)0xFE;
    size_t w = 2;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)text[i];
        if (c == 0xc3) { /* ö */
            c = 0xf6;
            i++;
        }
        u16[w++] = (char)c;
        u16[w++] = 0;
    }
    assert_int_equal(ft_ingest_buffer(&s, "u16.csv", u16, w, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 1);
    assert_true(ft_intern_find(&s.accounts, "J\xc3\xb6rg", 5, &id));
    assert_string_equal(s.report.sources[0].encoding, "utf-16le");
    ft_store_free(&s);
    free(u16);
}

/* Every name --encoding documents, on text without a byte-order mark:
 * "Jörg" and a euro sign in the account names, in UTF-16 (little-endian
 * unless named big), Latin-1 and Windows-1252 (ö is 0xF6 in both; the
 * euro sign only in Windows-1252, at 0x80), Latin-9 (the euro at 0xA4),
 * UTF-8. A name iconv does not know is refused. */
static void test_encoding_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int form; /* 0 UTF-16LE, 1 UTF-16BE, 2 Windows-1252, 3 Latin-1, 4 UTF-8, 5 Latin-9 */
    } names[] = {
        {"utf-16", 0}, {"utf16", 0},        {"utf-16le", 0}, {"UTF-16LE", 0}, {"utf-16be", 1},
        {"cp1252", 2}, {"windows-1252", 2}, {"latin1", 3},   {"latin-1", 3},  {"iso-8859-1", 3},
        {"latin9", 5}, {"iso-8859-15", 5},  {"utf-8", 4},    {"utf8", 4},
    };
    const char *head = "timestamp,src_account,dst_account,amount,currency\n";
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        int form = names[k].form;
        bool latin1 = form == 3;
        /* the row: 2024-03-01,Jörg,<euro>,1,EUR (no euro in Latin-1: X) */
        unsigned char text[256];
        size_t n = 0;
        memcpy(text, head, strlen(head));
        n += strlen(head);
        const char *a = "2024-03-01,J";
        memcpy(text + n, a, strlen(a));
        n += strlen(a);
        if (form == 4) {
            memcpy(text + n, "\xc3\xb6rg,\xe2\x82\xac", 8);
            n += 8;
        } else {
            text[n++] = 0xf6;
            memcpy(text + n, "rg,", 3);
            n += 3;
            text[n++] = form == 2 ? 0x80 : latin1 ? 'X' : 0xa4;
        }
        memcpy(text + n, ",1,EUR\n", 7);
        n += 7;
        char data[512];
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            if (form == 0 || form == 1) {
                /* the code points below 0x100 of this text are its bytes */
                data[len++] = form == 0 ? (char)text[i] : 0;
                data[len++] = form == 0 ? 0 : (char)text[i];
                if (text[i] == 0xa4) { /* the euro: U+20AC */
                    data[len - 2] = form == 0 ? (char)0xac : 0x20;
                    data[len - 1] = form == 0 ? 0x20 : (char)0xac;
                }
            } else {
                data[len++] = (char)text[i];
            }
        }
        char *dir = tu_tmpdir();
        char path[512];
        snprintf(path, sizeof path, "%s/e.csv", dir);
        tu_write(path, data, len);
        const char *paths[] = {path};
        ft_load_options o = {.encoding = names[k].name};
        ft_store s = {0};
        ft_error err;
        if (load(&s, paths, 1, &o, NULL, NULL, &err) != FT_OK)
            fail_msg("%s: %s", names[k].name, err.msg);
        uint32_t id;
        assert_int_equal(s.t.n, 1);
        if (!ft_intern_find(&s.accounts, "J\xc3\xb6rg", 5, &id) ||
            !ft_intern_find(&s.accounts, latin1 ? "X" : "\xe2\x82\xac", latin1 ? 1 : 3, &id))
            fail_msg("%s: read as %s, %s", names[k].name, ft_store_account(&s, 0, NULL),
                     ft_store_account(&s, 1, NULL));
        ft_store_free(&s);
        tu_rmdir(dir);
    }
    ft_error err;
    assert_int_equal(ft_csv_encoding_check("utf-16", &err), FT_OK);
    assert_int_equal(ft_csv_encoding_check("klingon", &err), FT_EUSAGE);
    assert_string_equal(err.msg, "--encoding 'klingon' is not an encoding iconv knows (cp1252, "
                                 "latin1, latin9, utf-16, utf-16le, utf-16be, utf-8, ...)");
}

/* Text that is not in the encoding asked for: with --encoding given, the
 * note names it, counts the lines and the first, and says the bytes are
 * kept as U+FFFD (lines 3 and 4 hold a byte 0xFF, not UTF-8). */
static void test_bad_text_in_the_encoding_given(void **state)
{
    (void)state;
    const char *csv = "timestamp,src_account,dst_account,amount,currency,memo\n"
                      "2024-03-01,A,B,1,EUR,ok\n"
                      "2024-03-02,A,B,2,EUR,\xff\n"
                      "2024-03-03,A,B,3,EUR,x\xff\n";
    ft_load_options o = {.encoding = "utf-8"};
    ft_store s = {0};
    ft_error err;
    notes nt;
    assert_int_equal(load_text(&s, "bad.csv", csv, &o, NULL, &nt, &err), FT_OK);
    assert_int_equal(s.t.n, 3);
    assert_true(noted(&nt, "2 lines have bytes that are not utf-8 (the first is line 3); they are "
                           "kept as U+FFFD"));
    ft_store_free(&s);
}

static void test_empty_load_is_an_error(void **state)
{
    (void)state;
    const char *csv = "timestamp,src_account,dst_account,amount,currency\n"
                      "never,A,B,1,EUR\n";
    ft_store s = {0};
    ft_error err;
    assert_int_equal(load_text(&s, "bad.csv", csv, NULL, NULL, NULL, &err), FT_EINPUT);
    assert_string_equal(err.msg, "no row was loaded (1 read, 1 rejected)");
    ft_store_free(&s);
}

/* --- one account's statements ------------------------------------------ */

static void test_german_export_cp1252(void **state)
{
    (void)state;
    const char *paths[] = {DATA "/bank_de.csv"};
    ft_store s = {0};
    ft_error err;
    ft_load_options o = {.encoding = "cp1252"};
    assert_int_equal(load(&s, paths, 1, &o, NULL, NULL, &err), FT_OK);
    assert_int_equal(s.report.rows_loaded, 5);
    assert_string_equal(s.report.sources[0].layout, "statement");
    assert_int_equal(s.t.n, 5);
    /* Sorted by booking date; the account is the Auftragskonto. */
    const char *own = "DE16200411330123456789";
    /* 01.03.24: +1.250,00 from Jörg Weiß (by IBAN). */
    assert_string_equal(acct(&s, s.t.src[0]), "DE75512108001245126199");
    assert_string_equal(acct(&s, s.t.dst[0]), own);
    assert_int_equal(s.t.amount[0], 125000);
    assert_int_equal(s.t.ts_ms[0], 1709251200000LL);
    assert_string_equal(str(&s, s.t.cp_name[0]), "J\xc3\xb6rg Wei\xc3\x9f");
    assert_string_equal(str(&s, s.t.memo[0]), "Miete M\xc3\xa4rz Whg 3");
    assert_int_equal(s.t.side[0], FT_SIDE_CREDIT);
    /* 05.03.24: -12.500,00 to Müller GmbH. */
    assert_string_equal(acct(&s, s.t.src[2]), own);
    assert_string_equal(acct(&s, s.t.dst[2]), "DE89370400440532013000");
    assert_int_equal(s.t.amount[2], 1250000);
    assert_int_equal(s.t.side[2], FT_SIDE_DEBIT);
    /* 06.03.24: cash, no counterparty. */
    assert_string_equal(acct(&s, s.t.dst[3]), "unknown:DE16200411330123456789");
    /* 07.03.24: from Café Krümel, no IBAN: keyed by the name. */
    assert_string_equal(acct(&s, s.t.src[4]), "CAF\xc3\x89 KR\xc3\x9cMEL");
    assert_int_equal(s.t.amount[4], 9950);
    ft_store_free(&s);
}

static void test_french_export_needs_its_account(void **state)
{
    (void)state;
    const char *paths[] = {DATA "/bank_fr.csv"};
    ft_store s = {0};
    ft_error err;
    assert_int_equal(load(&s, paths, 1, NULL, NULL, NULL, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "say whose with --statement-of ACCOUNT"));
    ft_store_free(&s);
    ft_load_options o = {.statement_of = "FR76 3000 6000 0112 3456 7890 189"};
    assert_int_equal(load(&s, paths, 1, &o, NULL, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 3);
    /* 02/03: +2 450,00; 05/03: -84,12; 13/03 (value 14/03): -1 034,56 */
    assert_int_equal(s.t.amount[0], 245000);
    assert_string_equal(acct(&s, s.t.dst[0]), "FR7630006000011234567890189");
    assert_int_equal(s.t.amount[1], 8412);
    assert_int_equal(s.t.amount[2], 103456);
    assert_int_equal(s.t.side[2], FT_SIDE_DEBIT);
    assert_int_equal(s.t.ts_ms[2], 1710288000000LL);
    assert_int_equal(s.t.value_ms[2], 1710374400000LL);
    ft_store_free(&s);
}

static void test_debit_credit_columns_and_marks(void **state)
{
    (void)state;
    const char *csv = "booking_date,amount,debit_credit,counterparty,currency\n"
                      "2024-03-01,10.00,D,Shop,EUR\n"
                      "2024-03-02,5.00,C,Friend,EUR\n"
                      "2024-03-03,5.00,X,Friend,EUR\n"
                      "2024-03-04,-5.00,D,Friend,EUR\n";
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    ft_load_options o = {.statement_of = "ME"};
    assert_int_equal(load_text(&s, "dc.csv", csv, &o, &rej, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 2);
    assert_string_equal(acct(&s, s.t.src[0]), "ME");
    assert_string_equal(acct(&s, s.t.dst[0]), "SHOP");
    assert_string_equal(acct(&s, s.t.src[1]), "FRIEND");
    assert_int_equal(rej.n, 2);
    assert_int_equal(rej.r[0].reason, FT_REJ_DEBIT_CREDIT);
    assert_int_equal(rej.r[1].reason, FT_REJ_DEBIT_CREDIT);
    ft_store_free(&s);
    const char *dc = "Buchungstag;Soll;Haben;Empf\xc3\xa4nger;W\xc3\xa4hrung\n"
                     "01.03.2024;12,50;;Laden;EUR\n"
                     "02.03.2024;;1.000,00;Chef;EUR\n"
                     "03.03.2024;1,00;2,00;Chef;EUR\n";
    assert_int_equal(load_text(&s, "sh.csv", dc, &o, &rej, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 2);
    assert_int_equal(s.t.amount[0], 1250);
    assert_int_equal(s.t.side[0], FT_SIDE_DEBIT);
    assert_int_equal(s.t.amount[1], 100000);
    assert_int_equal(s.t.side[1], FT_SIDE_CREDIT);
    assert_string_equal(rej.r[0].message, "both debit and credit hold an amount");
    ft_store_free(&s);
}

/* --- MT940 ------------------------------------------------------------- */

static void test_mt940_two_statements(void **state)
{
    (void)state;
    const char *paths[] = {DATA "/bank_a.sta"};
    ft_store s = {0};
    ft_error err;
    assert_int_equal(load(&s, paths, 1, NULL, NULL, NULL, &err), FT_OK);
    assert_string_equal(s.report.sources[0].layout, "mt940");
    assert_int_equal(s.report.sources[0].statements, 2);
    assert_int_equal(s.t.n, 5);
    /* 37040044/0532013000 is DE89370400440532013000. */
    const char *own = "DE89370400440532013000";
    int64_t i = find(&s, "A-REF-0001");
    assert_string_equal(acct(&s, s.t.src[i]), own);
    assert_string_equal(acct(&s, s.t.dst[i]), "DE02120300000000202051");
    assert_int_equal(s.t.amount[i], 150000);
    assert_string_equal(str(&s, s.t.e2e[i]), "E2E-A-0001");
    assert_string_equal(str(&s, s.t.memo[i]), "Rechnung 2024-017");
    assert_string_equal(str(&s, s.t.cp_name[i]), "Schmidt & Partner");
    i = find(&s, "A-REF-0002");
    assert_string_equal(acct(&s, s.t.src[i]), "DE75512108001245126199");
    assert_int_equal(s.t.amount[i], 320000);
    i = find(&s, "A-REF-0003");
    assert_int_equal(s.t.e2e[i], 0); /* NOTPROVIDED */
    i = find(&s, "A-REF-0005");
    assert_string_equal(acct(&s, s.t.dst[i]), "unknown:DE89370400440532013000");
    assert_int_equal(s.t.amount[i], 450);
    /* Hand total: 1500 + 3200 + 250 + 89.90 + 4.50 = 5044.40 */
    int64_t sum = 0;
    for (int64_t k = 0; k < s.t.n; k++)
        sum += s.t.amount[k];
    assert_int_equal(sum, 504440);
    ft_store_free(&s);
}

/* MT940's :25: account: an IBAN with its currency appended (the IBAN
 * ending in 0, the currency a code, up to Z) is the IBAN; with letters
 * that are no currency after it, or no digit before them, it is kept
 * whole, and so are texts of 18 characters or fewer, or over 37 (the
 * longest IBAN, 34, and three). A file may start with a UTF-8 byte-order
 * mark. */
static void test_mt940_accounts_and_bom(void **state)
{
    (void)state;
    static const struct {
        const char *field, *own;
    } accts[] = {
        {"DE89370400440532013000EUR", "DE89370400440532013000"},
        {"DE89370400440532013009USD", "DE89370400440532013009"},
        {"DE89370400440532013000XYZ", "DE89370400440532013000XYZ"},
        {"DE8937040044053201300XEUR", "DE8937040044053201300XEUR"},
        {"ZA1234567890123456ZAR", "ZA1234567890123456"},
        {"RU02044525600407028104123456789012EUR", "RU02044525600407028104123456789012"},
        {"RU020445256004070281041234567890123EUR", "RU020445256004070281041234567890123EUR"},
        {"1234567890123456ZAR", "1234567890123456"},
        {"123456789012345ZAR", "123456789012345ZAR"},
        /* 62 characters: all of them */
        {"ACCOUNT-0123456789-0123456789-0123456789-0123456789-0123456789",
         "ACCOUNT-0123456789-0123456789-0123456789-0123456789-0123456789"},
        /* 71 characters: the first 63 */
        {"ACCOUNT-0123456789-0123456789-0123456789-0123456789-0123456789-01234567",
         "ACCOUNT-0123456789-0123456789-0123456789-0123456789-0123456789-"},
    };
    for (int bom = 0; bom < 2; bom++)
        for (size_t k = 0; k < sizeof accts / sizeof accts[0]; k++) {
            char sta[1024];
            snprintf(sta, sizeof sta,
                     "%s:20:STARTUMSE\n:25:%s\n:28C:00001/001\n:60F:C240301EUR100,00\n"
                     ":61:2403010301D10,00NTRFNONREF//R1\n:86:166?00SEPA?32Shop\n"
                     ":62F:C240301EUR90,00\n-\n",
                     bom ? "\xef\xbb\xbf" : "", accts[k].field);
            ft_store s = {0};
            ft_error err;
            tu_rejects rej;
            if (load_text(&s, "a.sta", sta, NULL, &rej, NULL, &err) != FT_OK)
                fail_msg("%s: %s", accts[k].field, err.msg);
            assert_string_equal(s.report.sources[0].layout, "mt940");
            assert_int_equal(rej.n, 0);
            assert_int_equal(s.t.n, 1);
            assert_string_equal(acct(&s, s.t.src[0]), accts[k].own);
            assert_int_equal(s.t.amount[0], 1000);
            ft_store_free(&s);
        }
}

/* An MT940 entry's booking date (MMDD after the value date) may fall in
 * the year before or after it: value 31 December, booked 1 January, and
 * the other way round; otherwise the value date's year. */
static void test_mt940_booking_across_new_year(void **state)
{
    (void)state;
    const char *sta = ":20:STARTUMSE\n:25:DE89370400440532013000\n:28C:00001/001\n"
                      ":60F:C231231EUR100,00\n"
                      ":61:2312310101D10,00NTRFNONREF//R1\n"
                      ":61:2401011231D10,00NTRFNONREF//R2\n"
                      ":61:2406150614D10,00NTRFNONREF//R3\n"
                      ":62F:C240615EUR70,00\n-\n";
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    if (load_text(&s, "y.sta", sta, NULL, &rej, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(rej.n, 0);
    assert_int_equal(s.t.n, 3);
    char when[40];
    static const char *const want[][2] = {{"R1", "2024-01-01T00:00:00Z"},
                                          {"R2", "2023-12-31T00:00:00Z"},
                                          {"R3", "2024-06-14T00:00:00Z"}};
    for (int k = 0; k < 3; k++) {
        assert_true(ft_time_format(s.t.ts_ms[find(&s, want[k][0])], when, sizeof when));
        assert_string_equal(when, want[k][1]);
    }
    ft_store_free(&s);
}

static void test_mt940_broken(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int loaded, rejected;
        int64_t first_line;
        const char *msg;
    } cases[] = {
        {"bad_balance.sta", 3, 2, 5,
         "statement 'STARTUMSE' number 00012/001 (line 1): balances do not add up: opening "
         "10000.00 + credits 3200.00 - debits 1500.00 = 11700.00 EUR, but the closing balance "
         "(line 11) is 11700.01"},
        {"tag_order.sta", 2, 3, 16,
         "statement 'STARTUMSE' number 00013/001 (line 13): entry :61: at line 16 is outside "
         "the balances (before the opening balance :60F:)"},
        {"truncated.sta", 2, 1, 17,
         "statement 'STARTUMSE' number 00013/001 (line 13): ends before its closing balance "
         "(:62F:)"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", STMT, cases[c].file);
        const char *paths[] = {path};
        ft_store s = {0};
        ft_error err;
        tu_rejects rej;
        assert_int_equal(load(&s, paths, 1, NULL, &rej, NULL, &err), FT_OK);
        assert_int_equal(s.report.rows_loaded, cases[c].loaded);
        assert_int_equal(s.report.rows_rejected, cases[c].rejected);
        assert_int_equal(rej.r[0].line, cases[c].first_line);
        assert_string_equal(rej.r[0].message, cases[c].msg);
        ft_store_free(&s);
    }
}

/* A file is MT940 when its first bytes past white space are ":20:" or
 * "{1:", also when nothing follows them: such a file is an MT940
 * statement cut short (refused as one), not CSV. */
static void test_mt940_sniffed_from_four_bytes(void **state)
{
    (void)state;
    static const char *texts[] = {":20:", "\n:20:", "{1:x"};
    for (size_t c = 0; c < sizeof texts / sizeof texts[0]; c++) {
        ft_store s = {0};
        ft_error err;
        assert_int_equal(load_text(&s, "short.sta", texts[c], NULL, NULL, NULL, &err), FT_EINPUT);
        if (c < 2)
            assert_string_equal(err.msg, "no row was loaded (1 read, 1 rejected)");
        else
            assert_non_null(strstr(err.msg, "short.sta: holds no MT940 statement (no :20: field)"));
        ft_store_free(&s);
    }
}

/* --- camt.053 ----------------------------------------------------------- */

static void test_camt_entries_and_batches(void **state)
{
    (void)state;
    const char *paths[] = {DATA "/bank_b.xml"};
    ft_store s = {0};
    ft_error err;
    assert_int_equal(load(&s, paths, 1, NULL, NULL, NULL, &err), FT_OK);
    assert_string_equal(s.report.sources[0].layout, "camt");
    assert_int_equal(s.t.n, 4);
    const char *own = "DE02120300000000202051";
    int64_t i = find(&s, "B-REF-1001");
    assert_string_equal(acct(&s, s.t.src[i]), "DE89370400440532013000");
    assert_string_equal(acct(&s, s.t.dst[i]), own);
    assert_string_equal(str(&s, s.t.e2e[i]), "E2E-A-0001");
    assert_string_equal(str(&s, s.t.cp_name[i]), "M\xc3\xbcller GmbH");
    /* The IBAN printed in groups is the same account. */
    i = find(&s, "B-REF-1002");
    assert_string_equal(acct(&s, s.t.src[i]), "DE89370400440532013000");
    /* The batch of 1000.00 is two transfers, 700.00 and 300.00. */
    i = find(&s, "B-REF-1003-1");
    assert_int_equal(s.t.amount[i], 70000);
    assert_string_equal(acct(&s, s.t.dst[i]), "DE02100500000024290661");
    assert_string_equal(str(&s, s.t.e2e[i]), "B-PAY-7");
    i = find(&s, "B-REF-1003-2");
    assert_int_equal(s.t.amount[i], 30000);
    assert_string_equal(acct(&s, s.t.src[i]), own);
    assert_int_equal(s.t.line[i], 90); /* its TxDtls */
    ft_store_free(&s);
}

/* A camt statement of three entries of 10.00, 20.00 and 30.00 EUR
 * credited; `dates` gives each entry's date elements. */
static char *camt_text(const char *const dates[3])
{
    static const char *const entry =
        "<Ntry><Amt Ccy=\"EUR\">%d.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>%s"
        "<AcctSvcrRef>R%d</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer</Nm></Dbtr>"
        "</RltdPties></TxDtls></NtryDtls></Ntry>\n";
    size_t cap = 8192, n = 0;
    char *x = malloc(cap);
    n += (size_t)snprintf(
        x + n, cap - n,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\n"
        "<Stmt><Id>S1</Id><Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt>"
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>\n"
        "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">60.00</Amt>"
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-08</Dt></Dt></Bal>\n");
    for (int i = 0; i < 3; i++)
        n += (size_t)snprintf(x + n, cap - n, entry, 10 * (i + 1), dates[i], i + 1);
    snprintf(x + n, cap - n, "</Stmt></BkToCstmrStmt></Document>\n");
    return x;
}

/* A camt entry's time: its booking date, else its value date (a date or a
 * date and time); an entry with neither is refused. */
static void test_camt_booking_or_value_date(void **state)
{
    (void)state;
    static const char *const dated[3] = {
        "<BookgDt><Dt>2024-03-02</Dt></BookgDt>",
        "<ValDt><Dt>2024-03-03</Dt></ValDt>",
        "<ValDt><DtTm>2024-03-04T10:30:00+01:00</DtTm></ValDt>",
    };
    char *x = camt_text(dated);
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    if (load_text(&s, "c.xml", x, NULL, &rej, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    free(x);
    assert_int_equal(rej.n, 0);
    assert_int_equal(s.t.n, 3);
    assert_int_equal(s.t.ts_ms[find(&s, "R1")], 1709337600000LL); /* 2024-03-02 */
    assert_int_equal(s.t.ts_ms[find(&s, "R2")], 1709424000000LL); /* 2024-03-03 */
    assert_int_equal(s.t.ts_ms[find(&s, "R3")], 1709544600000LL); /* 2024-03-04T09:30Z */
    ft_store_free(&s);
    static const char *const undated[3] = {
        "<BookgDt><Dt>2024-03-02</Dt></BookgDt>",
        "",
        "<ValDt><Dt>2024-03-04</Dt></ValDt>",
    };
    x = camt_text(undated);
    /* the statement's other entries go with it: its balances cannot be
     * checked */
    assert_int_equal(load_text(&s, "c.xml", x, NULL, &rej, NULL, &err), FT_EINPUT);
    free(x);
    assert_int_equal(rej.n, 3);
    assert_int_equal(rej.r[0].reason, FT_REJ_RECORD);
    assert_int_equal(rej.r[0].line, 7);
    assert_string_equal(rej.r[0].message,
                        "entry (Ntry) at line 7 has no booking or value date (BookgDt, ValDt)");
    assert_string_equal(rej.r[1].message, "statement 'S1' (line 3): entry at line 7 could not "
                                          "be read, so the balances cannot be checked");
    ft_store_free(&s);
    /* A local booking time that the --timezone skips is refused, named to
     * the minute. */
    static const char *const gap[3] = {
        "<BookgDt><Dt>2024-03-02</Dt></BookgDt>",
        "<BookgDt><DtTm>2024-03-31T02:30:00</DtTm></BookgDt>",
        "<BookgDt><Dt>2024-03-04</Dt></BookgDt>",
    };
    ft_tz *tz;
    assert_int_equal(ft_tz_load(&tz, "Europe/Berlin", &err), FT_OK);
    ft_load_options o = {.tz = tz};
    x = camt_text(gap);
    assert_int_equal(load_text(&s, "c.xml", x, &o, &rej, NULL, &err), FT_OK);
    free(x);
    assert_int_equal(rej.n, 1);
    assert_int_equal(rej.r[0].reason, FT_REJ_DATE);
    assert_int_equal(rej.r[0].line, 7);
    assert_string_equal(rej.r[0].message,
                        "booking date '2024-03-31T02:30' does not exist in Europe/Berlin");
    ft_store_free(&s);
    ft_tz_free(tz);
}

/* Statement amounts follow the store's exponent of their currency: after
 * an IBM file that counts yen in hundredths, a statement's 1500 JPY (and
 * the next row, whose currency the file already knows) are scaled. */
static void test_statement_amounts_follow_the_store(void **state)
{
    (void)state;
    const char *ibm =
        "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
        "Amount Paid,Payment Currency,Payment Format,Is Laundering\n"
        "2022/09/01 00:06,1,X,2,Y,5.50,Yen,5.50,Yen,Wire,0\n";
    const char *stmt = "account,booking_date,amount,counterparty,currency\n"
                       "JP1,2022-09-02,1500,Shop,JPY\n"
                       "JP1,2022-09-03,-7,Shop,JPY\n";
    char *dir = tu_tmpdir();
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/ibm.csv", dir);
    snprintf(p2, sizeof p2, "%s/jp.csv", dir);
    tu_write(p1, ibm, strlen(ibm));
    tu_write(p2, stmt, strlen(stmt));
    const char *paths[] = {p1, p2};
    ft_store s = {0};
    ft_error err;
    if (load(&s, paths, 2, NULL, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(s.t.n, 3);
    char buf[80];
    assert_string_equal(tu_amount(&s, 0, buf), "5.50 JPY");
    assert_string_equal(tu_amount(&s, 1, buf), "1500.00 JPY");
    assert_string_equal(tu_amount(&s, 2, buf), "7.00 JPY");
    assert_string_equal(acct(&s, s.t.dst[1]), "JP1");
    assert_string_equal(acct(&s, s.t.src[1]), "SHOP");
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_camt_broken(void **state)
{
    (void)state;
    char path[512];
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    snprintf(path, sizeof path, "%s/truncated.xml", STMT);
    const char *p1[] = {path};
    assert_int_equal(load(&s, p1, 1, NULL, &rej, NULL, &err), FT_EINPUT);
    assert_non_null(strstr(err.msg, "truncated.xml:69: the XML is not well-formed (a truncated "
                                    "file?)"));
    ft_store_free(&s);
    snprintf(path, sizeof path, "%s/bad_balance.xml", STMT);
    assert_int_equal(load(&s, p1, 1, NULL, &rej, NULL, &err), FT_EINPUT); /* nothing kept */
    assert_int_equal(rej.n, 4);
    assert_int_equal(rej.r[0].line, 33);
    assert_string_equal(rej.r[0].message,
                        "statement 'B-STMT-0042' (line 8): balances do not add up: opening "
                        "5000.00 + credits 1750.00 - debits 1000.00 = 5750.00 EUR, but the "
                        "closing balance (CLBD) is 5750.10");
    ft_store_free(&s);
    snprintf(path, sizeof path, "%s/acct_late.xml", STMT);
    assert_int_equal(load(&s, p1, 1, NULL, &rej, NULL, &err), FT_EINPUT);
    assert_non_null(strstr(rej.r[0].message, "a balance (Bal) at line 16 comes before the "
                                             "account (Acct)"));
    ft_store_free(&s);
    snprintf(path, sizeof path, "%s/batch_sum.xml", STMT);
    assert_int_equal(load(&s, p1, 1, NULL, &rej, NULL, &err), FT_EINPUT);
    assert_string_equal(rej.r[0].message,
                        "entry (Ntry) at line 71 has 2 batch details (TxDtls) that add up to "
                        "999.00, but the entry's amount is 1000.00");
    ft_store_free(&s);
}

/* --- across files --------------------------------------------------------- */

static void test_two_banks_merged_once(void **state)
{
    (void)state;
    const char *paths[] = {DATA "/bank_a.sta", DATA "/bank_b.xml"};
    ft_store s = {0};
    ft_error err;
    notes nt;
    assert_int_equal(load(&s, paths, 2, NULL, NULL, &nt, &err), FT_OK);
    /* 5 + 4 entries; A -> B 1500.00 (same end-to-end id) and 250.00 (no
     * id, booked 03-04 and 03-05) are in both: 7 transfers. */
    assert_int_equal(s.report.rows_loaded, 9);
    assert_int_equal(s.report.merges, 2);
    assert_int_equal(s.report.duplicates, 0);
    assert_int_equal(s.t.n, 7);
    assert_int_equal(s.report.sources[1].merged, 2);
    int64_t i = find(&s, "A-REF-0001");
    assert_int_equal(s.t.side[i], FT_SIDE_BOTH);
    i = find(&s, "A-REF-0003");
    assert_int_equal(s.t.side[i], FT_SIDE_BOTH);
    /* Both places are recorded: the payer's row kept, the payee's named. */
    int found = 0;
    for (int64_t k = 0; k < s.report.ndups; k++) {
        const ft_dup_record *d = &s.report.dups[k];
        assert_int_equal(d->kind, FT_DUP_MERGE);
        assert_int_equal(d->kept_file, 0);
        assert_int_equal(d->other_file, 1);
        found += (d->kept_line == 5 && d->other_line == 33) ||
                 (d->kept_line == 17 && d->other_line == 52);
    }
    assert_int_equal(found, 2);
    assert_true(noted(&nt, "2 transfers are also in the payer's statement, merged into one"));
    /* Loading both twice changes nothing but the copies. */
    ft_store_free(&s);
    const char *twice[] = {DATA "/bank_a.sta", DATA "/bank_b.xml", DATA "/bank_b.xml",
                           DATA "/bank_a.sta"};
    assert_int_equal(load(&s, twice, 4, NULL, NULL, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 7);
    assert_int_equal(s.report.duplicates, 9);
    assert_int_equal(s.report.merges, 2);
    ft_store_free(&s);
    /* --no-dedup keeps every view. */
    ft_load_options o = {.no_dedup = true};
    assert_int_equal(load(&s, paths, 2, &o, NULL, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 9);
    ft_store_free(&s);
    /* A window of a day is too short for the 250.00 booked a day apart? No:
     * one day apart is within it; twelve hours is not. */
    ft_load_options w = {.merge_window_ms = 12 * 3600 * 1000LL};
    assert_int_equal(load(&s, paths, 2, &w, NULL, NULL, &err), FT_OK);
    assert_int_equal(s.report.merges, 1); /* only the one with the same end-to-end id */
    ft_store_free(&s);
}

/* Each credit in the payee's statement takes the nearest free debit of
 * the payer's with the same accounts, currency and amount, booked within
 * the merge window (3 days, inclusive), before or after it:
 *   100.00  credit 03-04, debit 03-05: one (the credit comes first)
 *   250.00  debits 03-01 and 03-05, credit 03-04: the 03-05 one
 *   300.00  debit 03-10, credit 03-13, three days on: one
 *   400.00  debit 03-10, credit 03-14, four days on: two
 *   500.00  debits 03-03 and 03-05, credit 03-04: the earlier of the two
 *           as near */
static void test_merge_takes_the_nearest_debit(void **state)
{
    (void)state;
    const char *head = "account,booking_date,amount,counterparty_iban,counterparty,currency\n";
    const char *a = "DE89370400440532013000", *b = "FR7630006000011234567890189";
    char payer[1024], payee[1024];
    int n = snprintf(payer, sizeof payer, "%s", head);
    static const char *debits[][2] = {{"2024-03-05", "100.00"}, {"2024-03-01", "250.00"},
                                      {"2024-03-05", "250.00"}, {"2024-03-10", "300.00"},
                                      {"2024-03-10", "400.00"}, {"2024-03-03", "500.00"},
                                      {"2024-03-05", "500.00"}};
    for (int i = 0; i < 7; i++)
        n += snprintf(payer + n, sizeof payer - (size_t)n, "%s,%s,-%s,%s,B,EUR\n", a, debits[i][0],
                      debits[i][1], b);
    n = snprintf(payee, sizeof payee, "%s", head);
    static const char *credits[][2] = {{"2024-03-04", "100.00"},
                                       {"2024-03-04", "250.00"},
                                       {"2024-03-13", "300.00"},
                                       {"2024-03-14", "400.00"},
                                       {"2024-03-04", "500.00"}};
    for (int i = 0; i < 5; i++)
        n += snprintf(payee + n, sizeof payee - (size_t)n, "%s,%s,%s,%s,A,EUR\n", b, credits[i][0],
                      credits[i][1], a);
    char *dir = tu_tmpdir();
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/payer.csv", dir);
    snprintf(p2, sizeof p2, "%s/payee.csv", dir);
    tu_write(p1, payer, strlen(payer));
    tu_write(p2, payee, strlen(payee));
    const char *paths[] = {p1, p2};
    ft_store s = {0};
    ft_error err;
    if (load(&s, paths, 2, NULL, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(s.report.rows_loaded, 12);
    assert_int_equal(s.report.merges, 4);
    assert_int_equal(s.t.n, 8);
    /* by time: 250 (03-01), 500 (03-03), 100, 250 and 500 (03-05), 300 and
     * 400 (03-10), the 400 credit (03-14); the merged ones keep the
     * payer's date */
    static const struct {
        int64_t amount;
        int side;
    } want[] = {{25000, FT_SIDE_DEBIT}, {50000, FT_SIDE_BOTH},  {10000, FT_SIDE_BOTH},
                {25000, FT_SIDE_BOTH},  {50000, FT_SIDE_DEBIT}, {30000, FT_SIDE_BOTH},
                {40000, FT_SIDE_DEBIT}, {40000, FT_SIDE_CREDIT}};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(s.t.amount[i], want[i].amount);
        assert_int_equal(s.t.side[i], want[i].side);
    }
    /* the merged 250.00 is the payer's line 4 (03-05) and the payee's line 3 */
    int found = 0;
    for (int64_t k = 0; k < s.report.ndups; k++)
        found += s.report.dups[k].kept_line == 4 && s.report.dups[k].other_line == 3;
    assert_int_equal(found, 1);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_sample_twice_is_one_copy(void **state)
{
    (void)state;
    const char *one[] = {DATA "/sample.csv"};
    const char *two[] = {DATA "/sample.csv", DATA "/sample.csv"};
    ft_store a = {0}, b = {0};
    ft_error err;
    assert_int_equal(load(&a, one, 1, NULL, NULL, NULL, &err), FT_OK);
    assert_int_equal(load(&b, two, 2, NULL, NULL, NULL, &err), FT_OK);
    assert_int_equal(b.t.n, a.t.n);
    assert_int_equal(b.report.duplicates, a.t.n);
    assert_int_equal(b.report.sources[1].duplicates, a.t.n);
    assert_int_equal(b.report.sources[0].duplicates, 0);
    for (int64_t i = 0; i < a.t.n; i++)
        assert_int_equal(a.t.amount[i], b.t.amount[i]);
    ft_store_free(&a);
    ft_store_free(&b);
}

static void test_conflicting_ids_and_rows_without_ids(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/a.csv", dir);
    snprintf(p2, sizeof p2, "%s/b.csv", dir);
    const char *a = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                    "T1,2024-03-01,A,B,10.00,EUR\n"
                    "T2,2024-03-01,A,B,20.00,EUR\n";
    const char *b = "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                    "T1,2024-03-01,A,B,10.00,EUR\n"  /* a copy */
                    "T2,2024-03-01,A,B,25.00,EUR\n"; /* the same id, another amount */
    tu_write(p1, a, strlen(a));
    tu_write(p2, b, strlen(b));
    const char *paths[] = {p1, p2};
    ft_store s = {0};
    ft_error err;
    tu_rejects rej;
    assert_int_equal(load(&s, paths, 2, NULL, &rej, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 2);
    assert_int_equal(s.report.duplicates, 1);
    assert_int_equal(s.report.rows_rejected, 1);
    assert_int_equal(s.report.rows_loaded, 3);
    assert_int_equal(s.report.by_reason[FT_REJ_DUPLICATE_ID], 1);
    assert_int_equal(rej.r[0].line, 3);
    char want[700];
    snprintf(want, sizeof want,
             "transaction id 'T2' was loaded before, from %s:3, with another amount", p1);
    assert_string_equal(rej.r[0].message, want);
    ft_store_free(&s);
    /* Without ids: two equal payments in one file are two; the other file
     * holding the same three rows adds nothing, a third equal row adds one. */
    const char *c = "timestamp,src_account,dst_account,amount,currency\n"
                    "2024-03-01,A,B,5.00,EUR\n"
                    "2024-03-01,A,B,5.00,EUR\n"
                    "2024-03-02,A,B,7.00,EUR\n";
    const char *d = "timestamp,src_account,dst_account,amount,currency\n"
                    "2024-03-02,A,B,7.00,EUR\n"
                    "2024-03-01,A,B,5.00,EUR\n"
                    "2024-03-01,A,B,5.00,EUR\n"
                    "2024-03-01,A,B,5.00,EUR\n";
    tu_write(p1, c, strlen(c));
    tu_write(p2, d, strlen(d));
    assert_int_equal(load(&s, paths, 2, NULL, NULL, NULL, &err), FT_OK);
    assert_int_equal(s.t.n, 4);
    assert_int_equal(s.report.duplicates, 3);
    ft_store_free(&s);
    tu_rmdir(dir);
}

static void test_snapshot_keeps_statements_and_copies(void **state)
{
    (void)state;
    const char *paths[] = {DATA "/bank_a.sta", DATA "/bank_b.xml", DATA "/bank_a.sta"};
    ft_store s = {0}, r = {0};
    ft_error err;
    assert_int_equal(load(&s, paths, 3, NULL, NULL, NULL, &err), FT_OK);
    char *dir = tu_tmpdir();
    char snap[512];
    snprintf(snap, sizeof snap, "%s/s.ftg", dir);
    assert_int_equal(ft_snapshot_write(&s, snap, &err), FT_OK);
    assert_int_equal(ft_snapshot_read(&r, snap, &err), FT_OK);
    assert_int_equal(r.t.n, 7);
    assert_int_equal(r.report.duplicates, 5);
    assert_int_equal(r.report.merges, 2);
    assert_int_equal(r.report.ndups, 7);
    assert_memory_equal(r.report.dups, s.report.dups, 7 * sizeof *s.report.dups);
    assert_int_equal(r.report.sources[1].merged, 2);
    assert_int_equal(r.report.sources[2].duplicates, 5);
    assert_string_equal(r.report.sources[0].encoding, "utf-8");
    int64_t i = find(&r, "A-REF-0001");
    assert_string_equal(str(&r, r.t.e2e[i]), "E2E-A-0001");
    assert_int_equal(r.t.side[i], FT_SIDE_BOTH);
    ft_store_free(&r);
    ft_store_free(&s);
    /* A version 1 snapshot (written before statements existed) still reads. */
    assert_int_equal(ft_snapshot_read(&r, FT_TEST_DATA "/snapshot_v1.bin", &err), FT_OK);
    assert_int_equal(r.t.n, 7);
    assert_int_equal(r.report.rows_rejected, 3);
    assert_int_equal(r.report.by_reason[FT_REJ_DECIMALS], 1);
    assert_int_equal(r.report.duplicates, 0);
    assert_null(r.t.side);
    ft_store_free(&r);
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_comma_guessed_and_overridden),
        cmocka_unit_test(test_groups_symbols_and_negatives),
        cmocka_unit_test(test_every_bad_field_reported),
        cmocka_unit_test(test_date_format_and_timezone),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_encoding_names),
        cmocka_unit_test(test_bad_text_in_the_encoding_given),
        cmocka_unit_test(test_empty_load_is_an_error),
        cmocka_unit_test(test_german_export_cp1252),
        cmocka_unit_test(test_french_export_needs_its_account),
        cmocka_unit_test(test_debit_credit_columns_and_marks),
        cmocka_unit_test(test_mt940_two_statements),
        cmocka_unit_test(test_mt940_accounts_and_bom),
        cmocka_unit_test(test_mt940_booking_across_new_year),
        cmocka_unit_test(test_mt940_broken),
        cmocka_unit_test(test_mt940_sniffed_from_four_bytes),
        cmocka_unit_test(test_camt_entries_and_batches),
        cmocka_unit_test(test_camt_booking_or_value_date),
        cmocka_unit_test(test_statement_amounts_follow_the_store),
        cmocka_unit_test(test_camt_broken),
        cmocka_unit_test(test_two_banks_merged_once),
        cmocka_unit_test(test_merge_takes_the_nearest_debit),
        cmocka_unit_test(test_sample_twice_is_one_copy),
        cmocka_unit_test(test_conflicting_ids_and_rows_without_ids),
        cmocka_unit_test(test_snapshot_keeps_statements_and_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
