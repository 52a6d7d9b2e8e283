/*
 * scan_out.c - alerts as JSON Lines (the schema eval reads), a JSON array,
 * CSV or a table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fundtrace/money.h"
#include "fundtrace/pool.h"
#include "fundtrace/scan.h"
#include "fundtrace/time.h"
#include "fundtrace/writer.h"

void ft_alert_id_text(uint64_t id, char buf[17])
{
    snprintf(buf, 17, "%016" PRIx64, id);
}

static void when(int64_t ms, char buf[40])
{
    if (!ft_time_format(ms, buf, 40))
        strcpy(buf, "?");
}

/* The alert's amount per currency: the sum of its transfers in each. */
static void json_amounts(ft_json *j, const ft_store *s, const ft_alerts *a, const ft_alert *al)
{
    ft_json_object(j, "amount");
    for (int c = 0; c < s->ncurrencies; c++) {
        __int128 sum = 0;
        bool any = false;
        for (uint32_t k = 0; k < al->ntxn; k++) {
            uint32_t t = a->txns[al->txn0 + k];
            if (s->t.cur[t] == c) {
                sum += s->t.amount[t];
                any = true;
            }
        }
        if (!any)
            continue;
        char buf[64];
        ft_money_format(sum, s->currencies[c].exponent, buf, sizeof buf);
        ft_json_cstr(j, s->currencies[c].code, buf);
    }
    ft_json_end(j, '}');
}

static void json_alert(FILE *f, const ft_store *s, const ft_alerts *a, const ft_alert *al)
{
    ft_json j;
    char buf[128];
    size_t len;
    ft_json_init(&j, f, false);
    ft_json_object(&j, NULL);
    ft_alert_id_text(al->id, buf);
    ft_json_cstr(&j, "id", buf);
    ft_json_cstr(&j, "kind", ft_alert_kind_name(al->kind));
    snprintf(buf, sizeof buf, "%.3f", al->score);
    ft_json_raw(&j, "score", buf);
    ft_json_array(&j, "accounts");
    for (uint32_t k = 0; k < al->nacc; k++) {
        const char *key = ft_store_account(s, a->accts[al->acc0 + k], &len);
        ft_json_string(&j, NULL, key, len);
    }
    ft_json_end(&j, ']');
    ft_json_array(&j, "txns");
    for (uint32_t k = 0; k < al->ntxn; k++) {
        len = ft_store_txid(s, a->txns[al->txn0 + k], buf, sizeof buf);
        ft_json_string(&j, NULL, buf, len);
    }
    ft_json_end(&j, ']');
    when(s->t.ts_ms[a->txns[al->txn0]], buf);
    ft_json_cstr(&j, "first_time", buf);
    when(s->t.ts_ms[a->txns[al->txn0 + al->ntxn - 1]], buf);
    ft_json_cstr(&j, "last_time", buf);
    json_amounts(&j, s, a, al);
    const char *expl = a->text + al->text;
    ft_json_cstr(&j, "explanation", expl);
    ft_json_cstr(&j, "params", expl + strlen(expl) + 1);
    ft_json_end(&j, '}');
    fputc('\n', f);
}

void ft_alerts_write(FILE *f, const ft_store *s, const ft_alerts *a, const bool *keep,
                     ft_format fmt)
{
    bool first = true;
    if (fmt == FT_FORMAT_JSON)
        fputs("[\n", f);
    if (fmt == FT_FORMAT_CSV)
        fputs("id,kind,score,first_time,last_time,accounts,txns,explanation\n", f);
    for (uint32_t i = 0; i < a->n; i++) {
        if (keep && !keep[i])
            continue;
        const ft_alert *al = &a->v[i];
        char id[17], t0[40], t1[40];
        ft_alert_id_text(al->id, id);
        when(s->t.ts_ms[a->txns[al->txn0]], t0);
        when(s->t.ts_ms[a->txns[al->txn0 + al->ntxn - 1]], t1);
        switch (fmt) {
        case FT_FORMAT_JSON:
            if (!first)
                fputc(',', f);
            /* fall through */
        case FT_FORMAT_JSONL:
            json_alert(f, s, a, al);
            break;
        case FT_FORMAT_CSV: {
            fprintf(f, "%s,%s,%.3f,%s,%s,", id, ft_alert_kind_name(al->kind), al->score, t0, t1);
            /* accounts and txns joined by spaces, in one field each */
            char buf[128];
            size_t len;
            fputc('"', f);
            for (uint32_t k = 0; k < al->nacc; k++) {
                const char *key = ft_store_account(s, a->accts[al->acc0 + k], &len);
                if (k == 0 && ft_csv_needs_guard(key, len))
                    fputc('\'', f); /* the cell begins with the first account */
                for (size_t q = 0; q < len; q++) {
                    if (key[q] == '"')
                        fputc('"', f);
                    fputc(key[q], f);
                }
                if (k + 1 < al->nacc)
                    fputc(' ', f);
            }
            fputs("\",\"", f);
            for (uint32_t k = 0; k < al->ntxn; k++) {
                len = ft_store_txid(s, a->txns[al->txn0 + k], buf, sizeof buf);
                if (k == 0 && ft_csv_needs_guard(buf, len))
                    fputc('\'', f);
                for (size_t q = 0; q < len; q++) {
                    if (buf[q] == '"')
                        fputc('"', f);
                    fputc(buf[q], f);
                }
                if (k + 1 < al->ntxn)
                    fputc(' ', f);
            }
            fputs("\",", f);
            const char *expl = a->text + al->text;
            ft_csv_write_field(f, expl, strlen(expl));
            fputc('\n', f);
            break;
        }
        default:
            fprintf(f, "%s  %-15s %.2f  %s .. %s  %u transfers\n  %s\n\n", id,
                    ft_alert_kind_name(al->kind), al->score, t0, t1, al->ntxn, a->text + al->text);
            break;
        }
        first = false;
    }
    if (fmt == FT_FORMAT_JSON)
        fputs("]\n", f);
}

/* --- the state of nightly runs ----------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool state_add(ft_scan_state *st, uint64_t id)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 1024;
        uint64_t *v = realloc(st->ids, cap * sizeof *v);
        if (!v)
            return false;
        st->ids = v;
        st->cap = cap;
    }
    st->ids[st->n++] = id;
    return true;
}

static ft_status state_line(void *ctx, const char *line, ft_error *err)
{
    ft_scan_state *st = ctx;
    char *end = NULL;
    if (strlen(line) != 16)
        return ft_error_set(err, FT_EINPUT, "not an alert id (16 hex digits)");
    errno = 0;
    unsigned long long v = strtoull(line, &end, 16);
    if (errno || *end)
        return ft_error_set(err, FT_EINPUT, "not an alert id (16 hex digits)");
    return state_add(st, (uint64_t)v) ? FT_OK : ft_error_oom(err);
}

static void state_sort(ft_scan_state *st)
{
    if (st->n > 1)
        qsort(st->ids, st->n, sizeof *st->ids, cmp_u64);
    size_t w = 0;
    for (size_t i = 0; i < st->n; i++)
        if (w == 0 || st->ids[w - 1] != st->ids[i])
            st->ids[w++] = st->ids[i];
    st->n = w;
}

ft_status ft_scan_state_load(ft_scan_state *st, const char *path, ft_error *err)
{
    memset(st, 0, sizeof *st);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return FT_OK; /* the first run */
    ft_status rc = ft_config_lines(path, state_line, st, err);
    if (rc != FT_OK) {
        ft_scan_state_free(st);
        return rc;
    }
    state_sort(st);
    return FT_OK;
}

bool ft_scan_state_has(const ft_scan_state *st, uint64_t id)
{
    size_t lo = 0, hi = st->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < st->n && st->ids[lo] == id;
}

typedef struct state_merge {
    const ft_scan_state *st;
    const ft_alerts *a;
    const char *path;
} state_merge;

/* Under the state's lock: what is on disk now (another run may have
 * added to it since we read it), ours, and the new alerts. */
static ft_status state_merge_write(void *ctx, FILE *cur, ft_writer *w, ft_error *err)
{
    const state_merge *m = ctx;
    ft_scan_state all = {0};
    ft_status rc = ft_config_lines_stream(cur, m->path, state_line, &all, err);
    for (size_t i = 0; rc == FT_OK && i < m->st->n; i++)
        if (!state_add(&all, m->st->ids[i]))
            rc = ft_error_oom(err);
    for (uint32_t i = 0; rc == FT_OK && i < m->a->n; i++)
        if (!state_add(&all, m->a->v[i].id))
            rc = ft_error_oom(err);
    if (rc == FT_OK) {
        state_sort(&all);
        ft_writer_puts(w, "# fundtrace scan state: the ids of alerts already reported\n");
        for (size_t i = 0; i < all.n; i++) {
            char buf[18];
            ft_alert_id_text(all.ids[i], buf);
            buf[16] = '\n';
            ft_writer_put(w, buf, 17);
        }
    }
    ft_scan_state_free(&all);
    return rc;
}

ft_status ft_scan_state_save(const ft_scan_state *st, const ft_alerts *a, const char *path,
                             ft_error *err)
{
    state_merge m = {st, a, path};
    return ft_file_update(path, 0, state_merge_write, &m, err);
}

void ft_scan_state_free(ft_scan_state *st)
{
    free(st->ids);
    memset(st, 0, sizeof *st);
}
