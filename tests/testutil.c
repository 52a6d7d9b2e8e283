/*
 * testutil.c - helpers shared by the unit tests.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/money.h"
#include "fundtrace/synth.h"
#include "fundtrace/writer.h"

void tu_collect(void *ctx, const ft_reject_info *info)
{
    tu_rejects *rej = ctx;
    if (rej->n >= MAX_REJECTS)
        return;
    tu_reject *r = &rej->r[rej->n++];
    r->line = info->line;
    r->column = info->column;
    r->reason = info->reason;
    snprintf(r->message, sizeof r->message, "%s", info->message);
    r->raw_len = info->raw_len < sizeof r->raw ? info->raw_len : sizeof r->raw;
    memcpy(r->raw, info->raw, r->raw_len);
}

ft_status tu_load(ft_store *s, const char *name, const char *csv, ft_load_options *o,
                  tu_rejects *rej, ft_error *err)
{
    ft_load_options local = {0};
    if (!o)
        o = &local;
    if (rej) {
        memset(rej, 0, sizeof *rej);
        o->on_reject = tu_collect;
        o->reject_ctx = rej;
    }
    ft_status rc = ft_ingest_buffer(s, name, csv, strlen(csv), o, err);
    if (rc == FT_OK)
        rc = ft_store_finish(s, err);
    return rc;
}

char *tu_tmpdir(void)
{
    char tmpl[] = "/tmp/fundtrace-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

void tu_rmdir(char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

char *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

void tu_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

const char *tu_amount(const ft_store *s, int64_t i, char buf[80])
{
    const ft_currency *c = &s->currencies[s->t.cur[i]];
    size_t n = ft_money_format(s->t.amount[i], c->exponent, buf, 64);
    snprintf(buf + n, 80 - n, " %s", c->code);
    return buf;
}

void tu_synth_store(ft_store *s, int64_t rows, uint64_t seed)
{
    char *dir = tu_tmpdir();
    char data[512], truth[512];
    snprintf(data, sizeof data, "%s/d.csv", dir);
    snprintf(truth, sizeof truth, "%s/t.csv", dir);
    ft_synth_options o;
    ft_synth_defaults(&o);
    o.rows = rows;
    o.seed = seed;
    ft_writer dw = {.fd = -1}, tw = {.fd = -1};
    ft_synth_report rep;
    ft_error err;
    assert_int_equal(ft_writer_open(&dw, data, false, &err), FT_OK);
    assert_int_equal(ft_writer_open(&tw, truth, false, &err), FT_OK);
    assert_int_equal(ft_synth_write(&o, &dw, &tw, &rep, &err), FT_OK);
    assert_int_equal(ft_writer_close(&dw, &err), FT_OK);
    assert_int_equal(ft_writer_close(&tw, &err), FT_OK);
    size_t len;
    char *csv = tu_read(data, &len);
    assert_int_equal(tu_load(s, "d.csv", csv, NULL, NULL, &err), FT_OK);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
    free(csv);
    tu_rmdir(dir);
}
