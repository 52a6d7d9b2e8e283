/*
 * test_schema.c - layouts recognised from the header, and --map.
 */
#include "testutil.h"

#include <string.h>

#include "fundtrace/schema.h"

/* Splits a comma-separated header into names (no quoting here). */
static int split(const char *header, const char **names, size_t *lens, char *buf)
{
    strcpy(buf, header);
    int n = 0;
    char *p = buf;
    for (;;) {
        char *comma = strchr(p, ',');
        names[n] = p;
        lens[n] = comma ? (size_t)(comma - p) : strlen(p);
        n++;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

static ft_status detect(const char *header, const ft_map *map, ft_schema *sc, ft_error *err)
{
    const char *names[64];
    size_t lens[64];
    char buf[1024];
    int n = split(header, names, lens, buf);
    return ft_schema_detect(sc, names, lens, n, map, "in.csv", err);
}

static void test_generic_any_order(void **state)
{
    (void)state;
    ft_schema sc;
    ft_error err;
    assert_int_equal(detect("currency,amount,dst_account,src_account,timestamp,txn_id,memo,extra",
                            NULL, &sc, &err),
                     FT_OK);
    assert_int_equal(sc.layout, FT_LAYOUT_GENERIC);
    assert_int_equal(sc.col[FT_F_CURRENCY], 0);
    assert_int_equal(sc.col[FT_F_AMOUNT], 1);
    assert_int_equal(sc.col[FT_F_DST], 2);
    assert_int_equal(sc.col[FT_F_SRC], 3);
    assert_int_equal(sc.col[FT_F_TIMESTAMP], 4);
    assert_int_equal(sc.col[FT_F_TXID], 5);
    assert_int_equal(sc.col[FT_F_MEMO], 6);
    assert_int_equal(sc.col[FT_F_LABEL], -1);
    assert_int_equal(sc.ncols, 8);
    assert_int_equal(sc.min_exponent, 0);
    /* Case and surrounding spaces do not matter. */
    assert_int_equal(detect(" TXN_ID,Timestamp,Src_Account,DST_ACCOUNT,Amount ,Currency", NULL,
                            &sc, &err),
                     FT_OK);
    assert_int_equal(sc.col[FT_F_AMOUNT], 4);
}

static void test_ibm(void **state)
{
    (void)state;
    ft_schema sc;
    ft_error err;
    const char *h = "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving "
                    "Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering";
    assert_int_equal(detect(h, NULL, &sc, &err), FT_OK);
    assert_int_equal(sc.layout, FT_LAYOUT_IBM);
    assert_int_equal(sc.col[FT_F_SRC], 2);
    assert_int_equal(sc.col[FT_F_DST], 4);
    assert_int_equal(sc.col[FT_F_AMOUNT], 7); /* Amount Paid is the transfer */
    assert_int_equal(sc.col[FT_F_CURRENCY], 8);
    assert_int_equal(sc.col[FT_F_AMOUNT_RECV], 5);
    assert_int_equal(sc.col[FT_F_CHANNEL], 9);
    assert_int_equal(sc.col[FT_F_LABEL], 10);
    assert_int_equal(sc.min_exponent, 2);
    assert_int_equal(sc.label_kind, FT_LABEL_FLAG);
    const char *pandas = "Timestamp,From Bank,Account,To Bank,Account.1,Amount Received,Receiving "
                         "Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering";
    assert_int_equal(detect(pandas, NULL, &sc, &err), FT_OK);
    assert_int_equal(sc.layout, FT_LAYOUT_IBM);
}

static void test_amlsim_and_paysim(void **state)
{
    (void)state;
    ft_schema sc;
    ft_error err;
    assert_int_equal(detect("tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,"
                            "alert_id",
                            NULL, &sc, &err),
                     FT_OK);
    assert_int_equal(sc.layout, FT_LAYOUT_AMLSIM);
    assert_int_equal(sc.col[FT_F_CURRENCY], -1);
    assert_int_equal(sc.col[FT_F_ALERT_ID], 7);
    assert_int_equal(sc.label_kind, FT_LABEL_SAR);
    assert_int_equal(detect("step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,"
                            "oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud",
                            NULL, &sc, &err),
                     FT_OK);
    assert_int_equal(sc.layout, FT_LAYOUT_PAYSIM);
    assert_int_equal(sc.time_kind, FT_TIME_STEP_HOURS);
    assert_int_equal(sc.col[FT_F_SRC], 3);
    assert_int_equal(sc.col[FT_F_DST], 6);
    assert_int_equal(sc.col[FT_F_LABEL], 9);
}

static void test_unknown_header_names_what_is_needed(void **state)
{
    (void)state;
    ft_schema sc;
    ft_error err;
    assert_int_equal(detect("date,from,to,value", NULL, &sc, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "in.csv: cannot recognise the layout"));
    assert_non_null(strstr(err.msg, "columns seen: 'date', 'from', 'to', 'value'"));
    assert_non_null(strstr(err.msg, "fields needed: timestamp, src_account, dst_account, amount"));
    assert_non_null(strstr(err.msg, "--map FIELD=COLUMN"));
    assert_int_equal(detect("txn_id,timestamp,src_account,src_account,amount,currency", NULL, &sc,
                            &err),
                     FT_EUSAGE);
    assert_non_null(strstr(err.msg, "column 4 'src_account' appears twice"));
    /* the same with --map: the second column of the name is named */
    ft_map m = {0};
    assert_int_equal(ft_map_add(&m, "timestamp=Datum", &err), FT_OK);
    assert_int_equal(
        detect("Datum,src_account,dst_account,amount,src_account,currency", &m, &sc, &err),
        FT_EUSAGE);
    assert_string_equal(err.msg, "in.csv: column 5 'src_account' appears twice in the header");
    ft_map_free(&m);
}

static void test_map_by_name_and_number(void **state)
{
    (void)state;
    ft_map m = {0};
    ft_error err;
    ft_schema sc;
    assert_int_equal(ft_map_add(&m, "timestamp=date", &err), FT_OK);
    assert_int_equal(ft_map_add(&m, "src_account = from", &err), FT_OK);
    assert_int_equal(ft_map_add(&m, "dst_account=3", &err), FT_OK);
    assert_int_equal(ft_map_add(&m, "amount=Value", &err), FT_OK);
    assert_int_equal(detect("date,from,to,value", &m, &sc, &err), FT_OK);
    assert_int_equal(sc.layout, FT_LAYOUT_MAPPED);
    assert_int_equal(sc.col[FT_F_TIMESTAMP], 0);
    assert_int_equal(sc.col[FT_F_SRC], 1);
    assert_int_equal(sc.col[FT_F_DST], 2);
    assert_int_equal(sc.col[FT_F_AMOUNT], 3);
    assert_int_equal(sc.col[FT_F_CURRENCY], -1);
    /* A column that is neither a name nor a number in range. */
    assert_int_equal(ft_map_add(&m, "memo=9", &err), FT_OK);
    assert_int_equal(detect("date,from,to,value", &m, &sc, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "--map memo=9: no column is called '9'"));
    ft_map_free(&m);

    assert_int_equal(ft_map_add(&m, "amount", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "expected FIELD=COLUMN"));
    assert_int_equal(ft_map_add(&m, "sender=from", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown field 'sender'"));
    assert_int_equal(ft_map_add(&m, "timestamp=date", &err), FT_OK);
    assert_int_equal(detect("date,from,to,value", &m, &sc, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "field 'src_account' is not mapped"));
    ft_map_free(&m);
}

static void test_map_file(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/map.txt", dir);
    const char *text = "# our bank's export\n"
                       "timestamp=Booking Date\n"
                       "src_account=Payer\n\n"
                       "dst_account=Payee   # the beneficiary\n"
                       "amount=Sum\n"
                       "currency=Ccy\n";
    tu_write(path, text, strlen(text));
    ft_map m = {0};
    ft_error err;
    assert_int_equal(ft_map_load(&m, path, &err), FT_OK);
    assert_int_equal(m.n, 5);
    ft_schema sc;
    assert_int_equal(detect("Ccy,Sum,Payee,Payer,Booking Date", &m, &sc, &err), FT_OK);
    assert_int_equal(sc.col[FT_F_TIMESTAMP], 4);
    assert_int_equal(sc.col[FT_F_CURRENCY], 0);
    ft_map_free(&m);
    tu_write(path, "amount\n", 7);
    assert_int_equal(ft_map_load(&m, path, &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "map.txt:1: --map 'amount': expected FIELD=COLUMN"));
    ft_map_free(&m);
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_any_order),
        cmocka_unit_test(test_ibm),
        cmocka_unit_test(test_amlsim_and_paysim),
        cmocka_unit_test(test_unknown_header_names_what_is_needed),
        cmocka_unit_test(test_map_by_name_and_number),
        cmocka_unit_test(test_map_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
