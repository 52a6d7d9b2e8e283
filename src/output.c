/*
 * output.c - JSON, CSV and table writers, and the load and stats reports.
 *
 * Amounts are always printed from integers with the currency's decimals,
 * so a total is exactly the sum of the rows it counts.
 */
#include "fundtrace/output.h"

#include <inttypes.h>
#include <string.h>

#include "fundtrace/money.h"
#include "fundtrace/time.h"

bool ft_format_parse(const char *name, ft_format *out)
{
    static const struct {
        const char *name;
        ft_format fmt;
    } names[] = {{"table", FT_FORMAT_TABLE},
                 {"json", FT_FORMAT_JSON},
                 {"jsonl", FT_FORMAT_JSONL},
                 {"csv", FT_FORMAT_CSV},
                 {"dot", FT_FORMAT_DOT}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return true;
        }
    }
    return false;
}

/* --- JSON ------------------------------------------------------------------ */

/* A writer's FILE is written by one thread at a time: the JSON writer
 * skips the lock that stdio takes on every call once a process has a
 * second thread (a character at a time, that was a tenth of a
 * federated trace round). */
#ifndef __GLIBC__
#define putc_unlocked putc
#define fwrite_unlocked fwrite
#endif

static inline void put_c(int c, FILE *f)
{
    putc_unlocked(c, f);
}

static inline void put_n(const void *p, size_t n, FILE *f)
{
    fwrite_unlocked(p, 1, n, f);
}

static inline void put_s(const char *s, FILE *f)
{
    put_n(s, strlen(s), f);
}

void ft_json_init(ft_json *j, FILE *f, bool pretty)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty = pretty;
    j->first[0] = true;
}

static void indent(ft_json *j)
{
    if (!j->pretty)
        return;
    put_c('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        put_s("  ", j->f);
}

static void write_escaped(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    put_c('"', f);
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            /* a run of characters that stand for themselves, in one write */
            const unsigned char *q = p + 1;
            while (q < end && *q >= 0x20 && *q < 0x7f && *q != '"' && *q != '\\')
                q++;
            put_n(p, (size_t)(q - p), f);
            p = q;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case '"':
                put_s("\\\"", f);
                break;
            case '\\':
                put_s("\\\\", f);
                break;
            case '\n':
                put_s("\\n", f);
                break;
            case '\r':
                put_s("\\r", f);
                break;
            case '\t':
                put_s("\\t", f);
                break;
            default:
                if (c < 0x20 || c == 0x7f)
                    fprintf(f, "\\u%04x", c);
                else
                    put_c(c, f);
            }
            p++;
            continue;
        }
        /* A well-formed UTF-8 sequence passes through; anything else is
         * replaced byte by byte with U+FFFD. */
        int n = c >= 0xF0 && c <= 0xF4   ? 4
                : c >= 0xE0 && c <= 0xEF ? 3
                : c >= 0xC2 && c <= 0xDF ? 2
                                         : 0;
        bool ok = n > 0 && (size_t)(end - p) >= (size_t)n;
        for (int k = 1; ok && k < n; k++)
            ok = (p[k] & 0xC0) == 0x80;
        if (ok && n == 3)
            ok = !(c == 0xE0 && p[1] < 0xA0) && !(c == 0xED && p[1] >= 0xA0);
        if (ok && n == 4)
            ok = !(c == 0xF0 && p[1] < 0x90) && !(c == 0xF4 && p[1] >= 0x90);
        if (ok) {
            put_n(p, (size_t)n, f);
            p += n;
        } else {
            put_s("\xEF\xBF\xBD", f);
            p++;
        }
    }
    put_c('"', f);
}

static void key(ft_json *j, const char *k)
{
    if (!j->first[j->depth])
        put_c(',', j->f);
    j->first[j->depth] = false;
    if (j->depth > 0)
        indent(j);
    if (k) {
        write_escaped(j->f, k, strlen(k));
        put_s(j->pretty ? ": " : ":", j->f);
    }
}

static void open_(ft_json *j, const char *k, char c)
{
    key(j, k);
    put_c(c, j->f);
    if (j->depth < 63)
        j->depth++;
    j->first[j->depth] = true;
}

void ft_json_object(ft_json *j, const char *k)
{
    open_(j, k, '{');
}

void ft_json_array(ft_json *j, const char *k)
{
    open_(j, k, '[');
}

void ft_json_end(ft_json *j, char close)
{
    bool empty = j->first[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (!empty)
        indent(j);
    put_c(close, j->f);
}

void ft_json_string(ft_json *j, const char *k, const char *s, size_t len)
{
    key(j, k);
    write_escaped(j->f, s, len);
}

void ft_json_cstr(ft_json *j, const char *k, const char *s)
{
    ft_json_string(j, k, s, strlen(s));
}

void ft_json_int(ft_json *j, const char *k, int64_t v)
{
    key(j, k);
    char buf[24], *e = buf + sizeof buf, *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    put_n(p, (size_t)(e - p), j->f);
}

void ft_json_int128(ft_json *j, const char *k, __int128 v)
{
    char buf[48];
    ft_money_format(v, 0, buf, sizeof buf);
    key(j, k);
    put_s(buf, j->f);
}

void ft_json_bool(ft_json *j, const char *k, bool v)
{
    key(j, k);
    put_s(v ? "true" : "false", j->f);
}

void ft_json_raw(ft_json *j, const char *k, const char *value)
{
    key(j, k);
    put_s(value, j->f);
}

void ft_json_finish(ft_json *j)
{
    put_c('\n', j->f);
}

/* --- CSV ------------------------------------------------------------------- */

/* Set once, by the program, before anything is written (--csv-raw). */
static bool csv_raw;

void ft_csv_set_raw(bool raw)
{
    csv_raw = raw;
}

/* A plain decimal number: an optional sign, digits, an optional fraction. */
static bool is_number(const char *s, size_t len)
{
    size_t i = s[0] == '-' || s[0] == '+', digits = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    return digits && i == len;
}

bool ft_csv_needs_guard(const char *s, size_t len)
{
    /* A leading quote is doubled too, so that every reader that drops
     * one (a spreadsheet, alerts_read.c) gets the text back as it was. */
    return !csv_raw && len && memchr("=+-@\t\r'", s[0], 7) && !is_number(s, len);
}

void ft_csv_write_field(FILE *f, const char *s, size_t len)
{
    bool guard = ft_csv_needs_guard(s, len);
    if (!memchr(s, ',', len) && !memchr(s, '"', len) && !memchr(s, '\n', len) &&
        !memchr(s, '\r', len)) {
        if (guard)
            fputc('\'', f);
        fwrite(s, 1, len, f);
        return;
    }
    fputc('"', f);
    if (guard)
        fputc('\'', f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

/* --- reports ---------------------------------------------------------------- */

static void time_str(int64_t ms, char buf[40])
{
    if (!ft_time_format(ms, buf, 40))
        strcpy(buf, "?");
}

static void amount_str(const ft_store *s, uint16_t cur, __int128 v, char buf[64])
{
    ft_money_format(v, s->currencies[cur].exponent, buf, 64);
}

static void json_report(ft_json *j, const ft_store *s)
{
    const ft_load_report *r = &s->report;
    ft_json_int(j, "rows_read", r->rows_read);
    ft_json_int(j, "rows_loaded", r->rows_loaded);
    ft_json_int(j, "rows_rejected", r->rows_rejected);
    ft_json_object(j, "rejects_by_reason");
    for (int k = 0; k < FT_REJ_COUNT; k++)
        ft_json_int(j, ft_reject_name((ft_reject)k), r->by_reason[k]);
    ft_json_end(j, '}');
    ft_json_int(j, "amounts_rounded", r->amounts_rounded);
    ft_json_int(j, "duplicates", r->duplicates);
    ft_json_int(j, "merged", r->merges);
    ft_json_int(j, "accounts", s->accounts.n);
    ft_json_int(j, "transactions", s->t.n);
    char buf[40];
    if (s->t.n) {
        time_str(s->t.ts_ms[0], buf);
        ft_json_cstr(j, "first_time", buf);
        time_str(s->t.ts_ms[s->t.n - 1], buf);
        ft_json_cstr(j, "last_time", buf);
    }
    ft_json_cstr(j, "load_options", r->options ? r->options : "");
    ft_json_array(j, "files");
    for (int i = 0; i < r->nsources; i++) {
        const ft_source *src = &r->sources[i];
        ft_json_object(j, NULL);
        ft_json_cstr(j, "path", src->path);
        ft_json_cstr(j, "layout", src->layout ? src->layout : "");
        ft_json_int(j, "bytes", (int64_t)src->bytes);
        ft_json_cstr(j, "sha256", src->sha256);
        ft_json_int(j, "rows_read", src->rows_read);
        ft_json_int(j, "rows_loaded", src->rows_loaded);
        ft_json_int(j, "rows_rejected", src->rows_rejected);
        ft_json_cstr(j, "encoding", src->encoding[0] ? src->encoding : "utf-8");
        ft_json_cstr(j, "decimal_mark", src->decimal_mark == ',' ? "comma" : "point");
        ft_json_int(j, "bad_text_lines", src->bad_text_lines);
        ft_json_int(j, "duplicates", src->duplicates);
        ft_json_int(j, "merged", src->merged);
        if (src->statements)
            ft_json_int(j, "statements", src->statements);
        ft_json_end(j, '}');
    }
    ft_json_end(j, ']');
}

static void csv_metric(FILE *f, const char *metric, const char *k, const char *value)
{
    fputs(metric, f);
    fputc(',', f);
    ft_csv_write_field(f, k, strlen(k));
    fputc(',', f);
    ft_csv_write_field(f, value, strlen(value));
    fputc('\n', f);
}

static void csv_metric_int(FILE *f, const char *metric, const char *k, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    csv_metric(f, metric, k, buf);
}

static void csv_report(FILE *f, const ft_store *s)
{
    const ft_load_report *r = &s->report;
    fputs("metric,key,value\n", f);
    csv_metric_int(f, "rows_read", "", r->rows_read);
    csv_metric_int(f, "rows_loaded", "", r->rows_loaded);
    csv_metric_int(f, "rows_rejected", "", r->rows_rejected);
    for (int k = 0; k < FT_REJ_COUNT; k++)
        csv_metric_int(f, "rejects_by_reason", ft_reject_name((ft_reject)k), r->by_reason[k]);
    csv_metric_int(f, "amounts_rounded", "", r->amounts_rounded);
    csv_metric_int(f, "duplicates", "", r->duplicates);
    csv_metric_int(f, "merged", "", r->merges);
    csv_metric_int(f, "accounts", "", s->accounts.n);
    csv_metric_int(f, "transactions", "", s->t.n);
    char buf[40];
    if (s->t.n) {
        time_str(s->t.ts_ms[0], buf);
        csv_metric(f, "first_time", "", buf);
        time_str(s->t.ts_ms[s->t.n - 1], buf);
        csv_metric(f, "last_time", "", buf);
    }
}

static void table_rejects(FILE *f, const ft_load_report *r)
{
    for (int k = 0; k < FT_REJ_COUNT; k++)
        if (r->by_reason[k])
            fprintf(f, "  %-22s %" PRId64 "\n", ft_reject_name((ft_reject)k), r->by_reason[k]);
    if (r->amounts_rounded)
        fprintf(f, "  %" PRId64 " amounts written as binary floats were rounded to their "
                   "currency's decimals\n",
                r->amounts_rounded);
    if (r->duplicates)
        fprintf(f, "  %" PRId64 " duplicate%s: rows loaded before, kept once\n", r->duplicates,
                r->duplicates == 1 ? "" : "s");
    if (r->merges)
        fprintf(f,
                "  %" PRId64 " merged: transfers in both the payer's and the payee's "
                "statement, kept once\n",
                r->merges);
}

void ft_write_load_summary(FILE *f, const ft_store *s, const char *snapshot, ft_format fmt)
{
    const ft_load_report *r = &s->report;
    if (fmt == FT_FORMAT_JSON || fmt == FT_FORMAT_JSONL) {
        ft_json j;
        ft_json_init(&j, f, fmt == FT_FORMAT_JSON);
        ft_json_object(&j, NULL);
        json_report(&j, s);
        if (snapshot)
            ft_json_cstr(&j, "snapshot", snapshot);
        ft_json_end(&j, '}');
        ft_json_finish(&j);
        return;
    }
    if (fmt == FT_FORMAT_CSV) {
        csv_report(f, s);
        if (snapshot)
            csv_metric(f, "snapshot", "", snapshot);
        return;
    }
    fprintf(f, "read %" PRId64 " rows from %d file%s: %" PRId64 " loaded, %" PRId64 " rejected\n",
            r->rows_read, r->nsources, r->nsources == 1 ? "" : "s", r->rows_loaded,
            r->rows_rejected);
    table_rejects(f, r);
    fprintf(f, "%" PRIu32 " account%s, %" PRId64 " transaction%s", s->accounts.n,
            s->accounts.n == 1 ? "" : "s", s->t.n, s->t.n == 1 ? "" : "s");
    if (s->t.n) {
        char a[40], b[40];
        time_str(s->t.ts_ms[0], a);
        time_str(s->t.ts_ms[s->t.n - 1], b);
        fprintf(f, " from %s to %s", a, b);
    }
    fputc('\n', f);
    if (snapshot)
        fprintf(f, "snapshot written to %s\n", snapshot);
}

static void json_top(ft_json *j, const char *k, const ft_store *s, const ft_stats *st,
                     const ft_account_volume *top, int n)
{
    char buf[64];
    ft_json_array(j, k);
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *acct = ft_store_account_shown(s, top[i].account, &len);
        ft_json_object(j, NULL);
        ft_json_string(j, "account", acct, len);
        ft_json_cstr(j, "currency", s->currencies[st->rank_cur].code);
        amount_str(s, (uint16_t)st->rank_cur, top[i].amount, buf);
        ft_json_cstr(j, "amount", buf);
        ft_json_int(j, "transfers", top[i].count);
        ft_json_end(j, '}');
    }
    ft_json_end(j, ']');
}

static void json_degree(ft_json *j, const char *k, const ft_degree_summary *d)
{
    ft_json_object(j, k);
    ft_json_int(j, "max", d->max);
    ft_json_int(j, "p50", d->p50);
    ft_json_int(j, "p99", d->p99);
    ft_json_end(j, '}');
}

static void write_stats_json(FILE *f, const ft_store *s, const ft_stats *st, bool pretty)
{
    ft_json j;
    char buf[64];
    ft_json_init(&j, f, pretty);
    ft_json_object(&j, NULL);
    json_report(&j, s);
    ft_json_int(&j, "self_transfers", st->self_transfers);
    ft_json_int(&j, "labelled_rows", st->labelled_rows);
    ft_json_int(&j, "labels", st->labels);
    ft_json_array(&j, "totals");
    for (int i = 0; i < st->ntotals; i++) {
        const ft_currency_total *t = &st->totals[i];
        ft_json_object(&j, NULL);
        ft_json_cstr(&j, "currency", s->currencies[t->cur].code);
        amount_str(s, t->cur, t->sum, buf);
        ft_json_cstr(&j, "amount", buf);
        ft_json_int128(&j, "minor_units", t->sum);
        ft_json_int(&j, "exponent", s->currencies[t->cur].exponent);
        ft_json_int(&j, "count", t->count);
        ft_json_end(&j, '}');
    }
    ft_json_end(&j, ']');
    if (st->has_analysis) {
        ft_json_object(&j, "analysis");
        ft_json_cstr(&j, "base", s->rate_base);
        snprintf(buf, sizeof buf, "%.2f", st->analysis_total);
        ft_json_cstr(&j, "total", buf);
        ft_json_end(&j, '}');
    }
    json_degree(&j, "out_degree", &st->out_degree);
    json_degree(&j, "in_degree", &st->in_degree);
    ft_json_object(&j, "weak_components");
    ft_json_int(&j, "count", st->components);
    ft_json_int(&j, "largest", st->largest_component);
    ft_json_end(&j, '}');
    if (st->rank_cur >= 0) {
        json_top(&j, "top_out", s, st, st->top_out, st->ntop_out);
        json_top(&j, "top_in", s, st, st->top_in, st->ntop_in);
    }
    ft_json_end(&j, '}');
    ft_json_finish(&j);
}

static void write_stats_csv(FILE *f, const ft_store *s, const ft_stats *st)
{
    char buf[64];
    csv_report(f, s);
    csv_metric_int(f, "self_transfers", "", st->self_transfers);
    csv_metric_int(f, "labelled_rows", "", st->labelled_rows);
    for (int i = 0; i < st->ntotals; i++) {
        const ft_currency_total *t = &st->totals[i];
        const char *code = s->currencies[t->cur].code;
        amount_str(s, t->cur, t->sum, buf);
        csv_metric(f, "total_amount", code, buf);
        csv_metric_int(f, "total_count", code, t->count);
    }
    if (st->has_analysis) {
        snprintf(buf, sizeof buf, "%.2f", st->analysis_total);
        csv_metric(f, "analysis_total", s->rate_base, buf);
    }
    const struct {
        const char *name;
        const ft_degree_summary *d;
    } degs[] = {{"out_degree", &st->out_degree}, {"in_degree", &st->in_degree}};
    for (int k = 0; k < 2; k++) {
        csv_metric_int(f, degs[k].name, "max", degs[k].d->max);
        csv_metric_int(f, degs[k].name, "p50", degs[k].d->p50);
        csv_metric_int(f, degs[k].name, "p99", degs[k].d->p99);
    }
    csv_metric_int(f, "weak_components", "count", st->components);
    csv_metric_int(f, "weak_components", "largest", st->largest_component);
    const struct {
        const char *name;
        const ft_account_volume *top;
        int n;
    } tops[] = {{"top_out", st->top_out, st->ntop_out}, {"top_in", st->top_in, st->ntop_in}};
    for (int k = 0; k < 2 && st->rank_cur >= 0; k++) {
        for (int i = 0; i < tops[k].n; i++) {
            size_t len;
            const char *acct = ft_store_account_shown(s, tops[k].top[i].account, &len);
            char metric[32], key[1024];
            snprintf(metric, sizeof metric, "%s_%d", tops[k].name, i + 1);
            snprintf(key, sizeof key, "%.*s", (int)len, acct);
            amount_str(s, (uint16_t)st->rank_cur, tops[k].top[i].amount, buf);
            csv_metric(f, metric, key, buf);
        }
    }
}

static void table_top(FILE *f, const char *title, const ft_store *s, const ft_stats *st,
                      const ft_account_volume *top, int n)
{
    char buf[64];
    fprintf(f, "\ntop %d accounts by %s volume %s\n", n, s->currencies[st->rank_cur].code, title);
    fprintf(f, "  %2s  %-32s %10s %20s\n", "#", "account", "transfers", "amount");
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *acct = ft_store_account_shown(s, top[i].account, &len);
        amount_str(s, (uint16_t)st->rank_cur, top[i].amount, buf);
        fprintf(f, "  %2d  %-32.*s %10" PRId64 " %20s\n", i + 1, (int)len, acct, top[i].count,
                buf);
    }
}

void ft_write_stats(FILE *f, const ft_store *s, const ft_stats *st, ft_format fmt)
{
    if (fmt == FT_FORMAT_JSON || fmt == FT_FORMAT_JSONL) {
        write_stats_json(f, s, st, fmt == FT_FORMAT_JSON);
        return;
    }
    if (fmt == FT_FORMAT_CSV) {
        write_stats_csv(f, s, st);
        return;
    }
    const ft_load_report *r = &s->report;
    char a[40], b[40], buf[64];
    fprintf(f, "%-18s read %" PRId64 ", loaded %" PRId64 ", rejected %" PRId64 "\n", "rows",
            r->rows_read, r->rows_loaded, r->rows_rejected);
    table_rejects(f, r);
    fprintf(f, "%-18s %" PRId64 "\n", "transactions", st->txns);
    fprintf(f, "%-18s %" PRId64 "\n", "accounts", st->accounts);
    if (st->txns) {
        time_str(st->first_ms, a);
        time_str(st->last_ms, b);
        fprintf(f, "%-18s %s to %s\n", "time span", a, b);
    }
    fprintf(f, "%-18s %" PRId64 "\n", "self-transfers", st->self_transfers);
    if (s->t.label)
        fprintf(f, "%-18s %" PRId64 " (%" PRId64 " distinct labels)\n", "labelled rows",
                st->labelled_rows, st->labels);
    fprintf(f, "%-18s %" PRId64 " (largest %" PRId64 " accounts)\n", "weak components",
            st->components, st->largest_component);
    fprintf(f, "%-18s max %" PRId64 ", p50 %" PRId64 ", p99 %" PRId64 "\n", "out-degree",
            st->out_degree.max, st->out_degree.p50, st->out_degree.p99);
    fprintf(f, "%-18s max %" PRId64 ", p50 %" PRId64 ", p99 %" PRId64 "\n", "in-degree",
            st->in_degree.max, st->in_degree.p50, st->in_degree.p99);
    if (st->ntotals) {
        fprintf(f, "\ntotals by currency\n  %-8s %12s %24s\n", "currency", "transfers", "amount");
        for (int i = 0; i < st->ntotals; i++) {
            const ft_currency_total *t = &st->totals[i];
            amount_str(s, t->cur, t->sum, buf);
            fprintf(f, "  %-8s %12" PRId64 " %24s\n", s->currencies[t->cur].code, t->count, buf);
        }
        if (st->has_analysis)
            fprintf(f, "  %-8s %12s %24.2f  (all at the --rates, in %s: derived)\n", "all",
                    "", st->analysis_total, s->rate_base);
    }
    if (st->rank_cur >= 0) {
        table_top(f, "out (sent)", s, st, st->top_out, st->ntop_out);
        table_top(f, "in (received)", s, st, st->top_in, st->ntop_in);
    }
}
