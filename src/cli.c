/*
 * cli.c - input options, loading, reject reporting and output checks shared
 * by every command.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fundtrace/csvread.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/time.h"
#include "fundtrace/tz.h"

void ft_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fundtrace %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool ft_cli_uint(const char *cmd, const char *name, const char *arg, uint32_t max,
                 const char *what, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || v > max || arg[0] == '-') {
        ft_cli_error(cmd, "%s '%s': %s", name, arg, what);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

bool ft_cli_time(const char *cmd, const char *name, const char *arg, int64_t *ms)
{
    ft_time_error why;
    if (ft_time_parse(arg, strlen(arg), ms, &why))
        return true;
    ft_cli_error(cmd, "%s '%s' %s", name, arg, ft_time_strerror(why));
    return false;
}

bool ft_cli_duration(const char *cmd, const char *name, const char *arg, int64_t *ms)
{
    if (ft_duration_parse(arg, strlen(arg), ms))
        return true;
    ft_cli_error(cmd, "%s '%s': a duration such as 30d, 12h or 90m", name, arg);
    return false;
}

int ft_cli_finish(const char *cmd, int code)
{
    bool bad = fflush(stdout) != 0 || ferror(stdout);
    if (fclose(stdout) != 0)
        bad = true;
    if (bad) {
        ft_cli_error(cmd, "cannot write the output: %s", strerror(errno));
        return FT_EXIT_ERROR;
    }
    return code;
}

int ft_cli_bad_option(const char *cmd, char **argv, int opt)
{
    const char *arg = argv[optind - 1];
    if (opt == ':')
        ft_cli_error(cmd, "option '%s' needs a value", arg);
    else
        ft_cli_error(cmd, "unknown option '%s'", arg);
    fprintf(stderr, "see 'fundtrace %s --help'\n", cmd);
    return FT_EXIT_ERROR;
}

bool ft_cli_format(const char *cmd, const char *arg, bool allow_dot, ft_format *fmt)
{
    if (ft_format_parse(arg, fmt) && (allow_dot || *fmt != FT_FORMAT_DOT))
        return true;
    ft_cli_error(cmd, "unknown --format '%s' (table, json, jsonl, csv%s)", arg,
                 allow_dot ? " or dot" : "");
    return false;
}

int ft_cli_input_option(struct ft_cli_input *in, int opt, const char *arg)
{
    ft_error err;
    switch (opt) {
    case OPT_MAP:
        if (ft_map_add(&in->map, arg, &err) != FT_OK)
            goto fail;
        in->opts.map = &in->map;
        return 1;
    case OPT_MAP_FILE:
        if (ft_map_load(&in->map, arg, &err) != FT_OK)
            goto fail;
        in->opts.map = &in->map;
        return 1;
    case OPT_DELIMITER:
        if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0 || strcmp(arg, "\t") == 0) {
            in->opts.delimiter = '\t';
        } else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r') {
            in->opts.delimiter = arg[0];
        } else {
            ft_error_set(&err, FT_EUSAGE, "--delimiter '%s': give one character or 'tab'", arg);
            goto fail;
        }
        return 1;
    case OPT_CURRENCIES:
        if (ft_currency_defs_load(&in->defs, arg, &err) != FT_OK)
            goto fail;
        in->opts.currencies = &in->defs;
        return 1;
    case OPT_CURRENCY:
        in->opts.default_currency = arg;
        return 1;
    case OPT_EPOCH: {
        ft_time_error why;
        if (!ft_time_parse(arg, strlen(arg), &in->opts.epoch_ms, &why)) {
            ft_error_set(&err, FT_EUSAGE, "--epoch '%s' %s", arg, ft_time_strerror(why));
            goto fail;
        }
        return 1;
    }
    case OPT_RATES:
        in->rates_path = arg;
        return 1;
    case OPT_STRICT:
        in->opts.strict = true;
        return 1;
    case OPT_REJECTS:
        in->rejects_path = arg;
        return 1;
    case OPT_DECIMAL_COMMA:
    case OPT_DECIMAL_POINT:
        in->opts.decimal_mark = opt == OPT_DECIMAL_COMMA ? ',' : '.';
        return 1;
    case OPT_DATE_FORMAT:
        if (!ft_time_format_check(arg)) {
            ft_error_set(&err, FT_EUSAGE,
                         "--date-format '%s': use %%Y %%y %%m %%d %%H %%M %%S %%f %%b %%p %%z, "
                         "e.g. %%d/%%m/%%Y",
                         arg);
            goto fail;
        }
        in->opts.date_format = arg;
        return 1;
    case OPT_TIMEZONE:
        ft_tz_free(in->tz);
        in->tz = NULL;
        if (ft_tz_load(&in->tz, arg, &err) != FT_OK)
            goto fail;
        in->opts.tz = in->tz;
        return 1;
    case OPT_ENCODING:
        if (ft_csv_encoding_check(arg, &err) != FT_OK)
            goto fail;
        in->opts.encoding = arg;
        return 1;
    case OPT_STATEMENT_OF:
        in->opts.statement_of = arg;
        return 1;
    case OPT_NO_DEDUP:
        in->opts.no_dedup = true;
        return 1;
    case OPT_MERGE_WINDOW:
        if (!ft_duration_parse(arg, strlen(arg), &in->opts.merge_window_ms) ||
            in->opts.merge_window_ms <= 0) {
            ft_error_set(&err, FT_EUSAGE, "--merge-window '%s': a duration such as 3d or 36h",
                         arg);
            goto fail;
        }
        return 1;
    default:
        return 0;
    }
fail:
    fprintf(stderr, "fundtrace: %s\n", err.msg);
    return -1;
}

static void on_reject(void *ctx, const ft_reject_info *r)
{
    struct ft_cli_input *in = ctx;
    int n = r->nfaults ? r->nfaults : 1;
    const ft_fault one = {r->line, r->column, r->reason, r->message};
    const ft_fault *f = r->nfaults ? r->faults : &one;
    /* In strict mode the load stops here and the error says it once. */
    for (int i = 0; i < n && !in->quiet && !in->opts.strict && in->shown < FT_SHOW_REJECTS; i++) {
        if (in->progress_shown)
            fputs("\r\033[K", stderr);
        if (f[i].column > 0)
            fprintf(stderr, "%s:%" PRId64 ":%" PRId64 ": %s\n", r->path, f[i].line, f[i].column,
                    f[i].message);
        else
            fprintf(stderr, "%s:%" PRId64 ": %s\n", r->path, f[i].line, f[i].message);
    }
    in->shown++;
    if (in->rejects) {
        /* One line per row: its faults' columns, reasons and messages,
         * each list joined with ';'. */
        FILE *fp = in->rejects;
        ft_csv_write_field(fp, r->path, strlen(r->path));
        fprintf(fp, ",%" PRId64 ",", r->line);
        for (int i = 0; i < n; i++)
            fprintf(fp, "%s%" PRId64, i ? ";" : "", f[i].column);
        fputc(',', fp);
        for (int i = 0; i < n; i++)
            fprintf(fp, "%s%s", i ? ";" : "", ft_reject_name(f[i].reason));
        fputc(',', fp);
        char *msg = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&msg, &len);
        for (int i = 0; m && i < n; i++)
            fprintf(m, "%s%s", i ? "; " : "", f[i].message);
        if (m && fclose(m) == 0)
            ft_csv_write_field(fp, msg, len);
        free(msg);
        fputc(',', fp);
        /* The row exactly as read; its own line end stays inside the
         * quotes and a line end is added after. */
        fputc('"', fp);
        for (size_t i = 0; i < r->raw_len; i++) {
            if (r->raw[i] == '"')
                fputc('"', fp);
            fputc(r->raw[i], fp);
        }
        fputs("\"\n", fp);
    }
}

/* Notes are not rejected rows: shown even with -q, since what they say
 * (a guessed decimal mark, lines that are not text, copies kept once)
 * changes what was loaded. */
static void on_note(void *ctx, const char *path, const char *message)
{
    struct ft_cli_input *in = ctx;
    if (in->progress_shown)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "fundtrace: %s: %s\n", path, message);
}

/* Progress on a terminal only, at most a few times a second. */
static void on_progress(void *ctx, const char *path, int64_t rows)
{
    struct ft_cli_input *in = ctx;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (ms - in->progress_ms < 250)
        return;
    in->progress_ms = ms;
    in->progress_shown = true;
    fprintf(stderr, "\rreading %s: %" PRId64 " rows\033[K", path, rows);
}

static ft_status open_rejects(struct ft_cli_input *in, ft_error *err)
{
    size_t len = strlen(in->rejects_path) + 16;
    in->rejects_tmp = malloc(len);
    if (!in->rejects_tmp)
        return ft_error_oom(err);
    snprintf(in->rejects_tmp, len, "%s.tmp.XXXXXX", in->rejects_path);
    int fd = mkstemp(in->rejects_tmp);
    if (fd < 0 || !(in->rejects = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        free(in->rejects_tmp);
        in->rejects_tmp = NULL;
        return ft_error_errno(err, FT_EIO, "create", in->rejects_path);
    }
    fputs("file,line,column,reason,message,row\n", in->rejects);
    return FT_OK;
}

static ft_status close_rejects(struct ft_cli_input *in, ft_error *err)
{
    if (!in->rejects)
        return FT_OK;
    bool bad = fflush(in->rejects) != 0 || ferror(in->rejects) || fsync(fileno(in->rejects)) != 0;
    if (fclose(in->rejects) != 0)
        bad = true;
    in->rejects = NULL;
    if (bad || rename(in->rejects_tmp, in->rejects_path) != 0) {
        ft_status rc = ft_error_errno(err, FT_EIO, "write", in->rejects_path);
        unlink(in->rejects_tmp);
        return rc;
    }
    free(in->rejects_tmp);
    in->rejects_tmp = NULL;
    return FT_OK;
}

ft_status ft_cli_load(struct ft_cli_input *in, char *const *paths, int npaths, ft_store *s)
{
    ft_error err;
    ft_status rc = FT_OK;
    int snapshots = 0;
    for (int i = 0; i < npaths; i++)
        snapshots += strcmp(paths[i], "-") != 0 && ft_snapshot_is(paths[i]);
    if (snapshots && npaths > 1) {
        fprintf(stderr, "fundtrace: give one snapshot, or CSV files, not both\n");
        return FT_EUSAGE;
    }
    if (snapshots) {
        rc = ft_snapshot_read(s, paths[0], &err);
        if (rc == FT_OK && s->t.n == 0)
            rc = ft_error_set(&err, FT_EINPUT, "%s: holds no transfers: there is nothing to "
                                               "work on", paths[0]);
        if (rc == FT_OK && in->rates_path)
            rc = ft_store_rates_load(s, in->rates_path, &err);
        if (rc != FT_OK)
            fprintf(stderr, "fundtrace: %s\n", err.msg);
        return rc;
    }
    if (in->rejects_path && (rc = open_rejects(in, &err)) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        return rc;
    }
    in->opts.on_reject = on_reject;
    in->opts.reject_ctx = in;
    in->opts.on_note = on_note;
    in->opts.note_ctx = in;
    if (!in->quiet && isatty(STDERR_FILENO) && !getenv("CI")) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        in->progress_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        in->opts.on_progress = on_progress;
        in->opts.progress_ctx = in;
    }
    rc = ft_ingest_files(s, (const char *const *)paths, npaths, &in->opts, &err);
    if (in->progress_shown)
        fputs("\r\033[K", stderr);
    ft_error cerr;
    ft_status crc = close_rejects(in, &cerr);
    if (rc != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        return rc;
    }
    if (crc != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", cerr.msg);
        return crc;
    }
    if (in->rates_path && (rc = ft_store_rates_load(s, in->rates_path, &err)) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        return rc;
    }
    if (!in->quiet && in->shown > FT_SHOW_REJECTS)
        fprintf(stderr, "fundtrace: %" PRId64 " more rejected rows not shown%s\n",
                in->shown - FT_SHOW_REJECTS,
                in->rejects_path ? "" : " (write them all with --rejects FILE)");
    return FT_OK;
}

void ft_cli_input_free(struct ft_cli_input *in)
{
    if (in->rejects) {
        fclose(in->rejects);
        unlink(in->rejects_tmp);
    }
    free(in->rejects_tmp);
    ft_map_free(&in->map);
    ft_tz_free(in->tz);
    ft_currency_defs_free(&in->defs);
    memset(in, 0, sizeof *in);
}

bool ft_cli_accounts_add(const char *cmd, ft_cli_accounts *l, const char *arg)
{
    for (const char *p = arg; *p;) {
        size_t len = strcspn(p, ",");
        if (len) {
            if (l->nkeys == l->cap) {
                size_t c = l->cap ? l->cap * 2 : 8;
                char **v = realloc(l->keys, c * sizeof *v);
                if (!v) {
                    ft_cli_error(cmd, "out of memory");
                    return false;
                }
                l->keys = v;
                l->cap = c;
            }
            if (!(l->keys[l->nkeys] = strndup(p, len))) {
                ft_cli_error(cmd, "out of memory");
                return false;
            }
            l->nkeys++;
        }
        p += len + (p[len] == ',');
    }
    return true;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

bool ft_cli_accounts_resolve(const char *cmd, const ft_store *s, ft_cli_accounts *l)
{
    free(l->ids);
    l->n = 0;
    l->ids = malloc((l->nkeys + 1) * sizeof *l->ids);
    if (!l->ids) {
        ft_cli_error(cmd, "out of memory");
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < l->nkeys; i++) {
        if (!ft_intern_find(&s->accounts, l->keys[i], strlen(l->keys[i]), &l->ids[l->n])) {
            ft_cli_error(cmd, "no account '%s' in the data", l->keys[i]);
            ok = false;
            continue;
        }
        l->n++;
    }
    if (l->n > 1)
        qsort(l->ids, l->n, sizeof *l->ids, cmp_u32);
    uint32_t w = 0;
    for (uint32_t i = 0; i < l->n; i++)
        if (w == 0 || l->ids[w - 1] != l->ids[i])
            l->ids[w++] = l->ids[i];
    l->n = w;
    return ok;
}

void ft_cli_accounts_free(ft_cli_accounts *l)
{
    for (size_t i = 0; i < l->nkeys; i++)
        free(l->keys[i]);
    free(l->keys);
    free(l->ids);
    memset(l, 0, sizeof *l);
}
