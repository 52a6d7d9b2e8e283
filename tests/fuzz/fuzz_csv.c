/*
 * fuzz_csv.c - CSV ingest in every layout. The first byte picks a header
 * (generic, IBM AMLworld, AMLSim, PaySim) put before the rest, so the
 * fuzzer reaches each layout's row checks; a loaded store is then sorted,
 * indexed and summed, and its amounts and times printed back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/ingest.h"
#include "fundtrace/money.h"
#include "fundtrace/stats.h"
#include "fundtrace/time.h"

static const char *const headers[] = {
    "txn_id,timestamp,src_account,dst_account,amount,currency,channel,memo,label\n",
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
    "Amount Paid,Payment Currency,Payment Format,Is Laundering\n",
    "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n",
    "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,"
    "newbalanceDest,isFraud,isFlaggedFraud\n",
    "", /* the data's own header */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *h = headers[data[0] % 5];
    size_t hl = strlen(h);
    char *buf = malloc(hl + size);
    if (!buf)
        return 0;
    memcpy(buf, h, hl);
    memcpy(buf + hl, data + 1, size - 1);
    ft_store s = {0};
    ft_load_options o = {0};
    ft_error err;
    if (ft_ingest_buffer(&s, "fuzz.csv", buf, hl + size - 1, &o, &err) == FT_OK &&
        ft_store_finish(&s, &err) == FT_OK && ft_store_adjacency(&s, &err) == FT_OK) {
        ft_stats st;
        if (ft_stats_compute(&s, &st, &err) == FT_OK)
            ft_stats_free(&st);
        char text[64];
        for (int64_t i = 0; i < s.t.n; i++) {
            ft_money_format(s.t.amount[i], s.currencies[s.t.cur[i]].exponent, text, sizeof text);
            ft_time_format(s.t.ts_ms[i], text, sizeof text);
            ft_store_txid(&s, i, text, sizeof text);
        }
    }
    ft_store_free(&s);
    free(buf);
    return 0;
}
