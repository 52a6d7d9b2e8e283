/*
 * fuzz_camt.c - the camt.052/053/054 reader. The input follows a camt.053
 * document's opening, so every input is read as a statement file; what
 * loads is then reconciled, sorted and printed back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/ingest.h"
#include "fundtrace/money.h"
#include "fundtrace/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n";
    char *buf = malloc(sizeof head + size);
    if (!buf)
        return 0;
    memcpy(buf, head, sizeof head - 1);
    memcpy(buf + sizeof head - 1, data, size);
    ft_store s = {0};
    ft_load_options o = {0};
    ft_error err;
    if (ft_ingest_buffer(&s, "fuzz.xml", buf, sizeof head - 1 + size, &o, &err) == FT_OK &&
        ft_ingest_reconcile(&s, &o, &err) == FT_OK && ft_store_finish(&s, &err) == FT_OK) {
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
