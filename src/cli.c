/*
 * cli.c - input options, loading, reject reporting and output checks shared
 * by every command.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <sys/time.h>
#include <unistd.h>

#include "fundtrace/csvread.h"
#include "fundtrace/periods.h"
#include "fundtrace/pseudo.h"
#include "fundtrace/shard.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/time.h"
#include "fundtrace/tz.h"

/* The progress display on stderr now, cleared before any message. */
static ft_cli_progress *showing;

static void clear_progress(void)
{
    if (showing && showing->shown && showing->tty)
        fputs("\r\033[K", stderr);
    if (showing)
        showing->shown = false;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void ft_cli_progress_init(ft_cli_progress *p, const char *cmd, bool force, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->tty = isatty(STDERR_FILENO);
    p->on = force || (!quiet && p->tty && !getenv("CI"));
}

void ft_cli_progress_step(ft_cli_progress *p, const char *fmt, ...)
{
    if (!p->on)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->what, sizeof p->what, fmt, ap);
    va_end(ap);
    p->start_ms = now_ms();
    p->last_ms = 0;
    ft_cli_progress_advance(p, 0, 0);
}

void ft_cli_progress_advance(void *ctx, uint64_t done, uint64_t total)
{
    ft_cli_progress *p = ctx;
    if (!p->on)
        return;
    int64_t ms = now_ms();
    bool last = total && done >= total;
    /* A terminal is redrawn five times a second; a log gets a line every
     * five seconds (and the first and the last). */
    int64_t every = p->tty ? 200 : 5000;
    if (p->last_ms && ms - p->last_ms < every && !(last && !p->tty))
        return;
    p->last_ms = ms;
    if (showing != p)
        clear_progress();
    showing = p;
    char amount[64];
    if (total)
        snprintf(amount, sizeof amount, "%3.0f %%", 100.0 * (double)done / (double)total);
    else if (done)
        snprintf(amount, sizeof amount, "%llu", (unsigned long long)done);
    else
        snprintf(amount, sizeof amount, "...");
    fprintf(stderr, "%sfundtrace %s: %s: %s (%.0f s)%s", p->tty ? "\r" : "", p->cmd, p->what,
            amount, (double)(ms - p->start_ms) / 1000, p->tty ? "\033[K" : "\n");
    fflush(stderr);
    p->shown = true;
}

void ft_cli_progress_done(ft_cli_progress *p)
{
    if (showing == p) {
        clear_progress();
        showing = NULL;
    }
}

void ft_cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    clear_progress();
    fprintf(stderr, "fundtrace %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void ft_cli_fail(const char *cmd, const ft_error *err)
{
    const char *msg = err->msg;
    size_t n = strlen(cmd);
    if (strncmp(msg, cmd, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    ft_cli_error(cmd, "%s", msg);
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

bool ft_cli_opt_map(const char *cmd, const ft_option *opt, const char *arg)
{
    struct ft_cli_input *in = opt->value;
    ft_error err;
    if (ft_map_add(&in->map, arg, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return false;
    }
    in->opts.map = &in->map;
    return true;
}

bool ft_cli_opt_map_file(const char *cmd, const ft_option *opt, const char *arg)
{
    struct ft_cli_input *in = opt->value;
    ft_error err;
    if (ft_map_load(&in->map, arg, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return false;
    }
    in->opts.map = &in->map;
    return true;
}

bool ft_cli_opt_delimiter(const char *cmd, const ft_option *opt, const char *arg)
{
    struct ft_cli_input *in = opt->value;
    if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0 || strcmp(arg, "\t") == 0) {
        in->opts.delimiter = '\t';
    } else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r') {
        in->opts.delimiter = arg[0];
    } else {
        ft_cli_error(cmd, "--delimiter: '%s' is not one character or 'tab'", arg);
        return false;
    }
    return true;
}

bool ft_cli_opt_currencies(const char *cmd, const ft_option *opt, const char *arg)
{
    struct ft_cli_input *in = opt->value;
    ft_error err;
    if (ft_currency_defs_load(&in->defs, arg, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return false;
    }
    in->opts.currencies = &in->defs;
    return true;
}

bool ft_cli_opt_csv_raw(const char *cmd, const ft_option *opt, const char *arg)
{
    (void)cmd;
    (void)opt;
    (void)arg;
    ft_csv_set_raw(true);
    return true;
}

bool ft_cli_opt_decimal(const char *cmd, const ft_option *opt, const char *arg)
{
    (void)cmd;
    (void)arg;
    struct ft_cli_input *in = opt->value;
    in->opts.decimal_mark = strcmp(opt->long_name, "decimal-comma") == 0 ? ',' : '.';
    return true;
}

bool ft_cli_opt_date_format(const char *cmd, const ft_option *opt, const char *arg)
{
    struct ft_cli_input *in = opt->value;
    if (!ft_time_format_check(arg)) {
        ft_cli_error(cmd,
                     "--date-format: '%s' is not a format: use %%Y %%y %%m %%d %%H %%M %%S %%f %%b "
                     "%%p %%z, e.g. %%d/%%m/%%Y",
                     arg);
        return false;
    }
    in->opts.date_format = arg;
    return true;
}

bool ft_cli_opt_timezone(const char *cmd, const ft_option *opt, const char *arg)
{
    struct ft_cli_input *in = opt->value;
    ft_error err;
    ft_tz_free(in->tz);
    in->tz = NULL;
    in->opts.tz = NULL;
    if (ft_tz_load(&in->tz, arg, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return false;
    }
    in->opts.tz = in->tz;
    return true;
}

bool ft_cli_opt_encoding(const char *cmd, const ft_option *opt, const char *arg)
{
    struct ft_cli_input *in = opt->value;
    ft_error err;
    if (ft_csv_encoding_check(arg, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return false;
    }
    in->opts.encoding = arg;
    return true;
}

const char *const ft_cli_formats[] = {"table", "json", "jsonl", "csv", NULL};
const char *const ft_cli_formats_dot[] = {"table", "json", "jsonl", "csv", "dot", NULL};

void ft_cli_list_free(ft_cli_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

static bool list_add(const char *cmd, ft_cli_list *l, const char *arg)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            ft_cli_error(cmd, "out of memory");
            return false;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = arg;
    return true;
}

static bool takes_value(const ft_option *o)
{
    switch (o->kind) {
    case FT_OPT_KIND_FLAG:
    case FT_OPT_KIND_HELP:
        return false;
    case FT_OPT_KIND_CALLBACK:
        return o->argh != NULL;
    default:
        return true;
    }
}

/* "--hops", or "-o" for an option with only a short name. */
static const char *opt_name(const ft_option *o, char buf[128])
{
    if (o->long_name)
        snprintf(buf, 128, "--%s", o->long_name);
    else
        snprintf(buf, 128, "-%c", o->short_name);
    return buf;
}

/* A whole number: digits only (no sign, no spaces), at most UINT64_MAX. */
static bool whole_number(const char *arg, uint64_t *v)
{
    if (!*arg)
        return false;
    *v = 0;
    for (const char *p = arg; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (*v > (UINT64_MAX - d) / 10)
            return false;
        *v = *v * 10 + d;
    }
    return true;
}

/* The range of a number option, for errors: "from 1 to 1000", "above 0
 * and at most 1". */
static void range_text(const ft_option *o, char *buf, size_t cap)
{
    if (o->kind != FT_OPT_KIND_DOUBLE) {
        snprintf(buf, cap, "from %llu to %llu", (unsigned long long)o->min,
                 (unsigned long long)o->max);
        return;
    }
    bool lo_open = o->flags & FT_OPT_MIN_OPEN, hi_open = o->flags & FT_OPT_MAX_OPEN;
    if (!lo_open && !hi_open)
        snprintf(buf, cap, "from %.15g to %.15g", o->dmin, o->dmax);
    else
        snprintf(buf, cap, "%s %.15g and %s %.15g", lo_open ? "above" : "from", o->dmin,
                 hi_open ? "below" : "at most", o->dmax);
}

/* Stores arg in the option's destination; false after printing why not. */
static bool apply(const char *cmd, const ft_option *o, const char *arg)
{
    char sbuf[128], range[96];
    const char *name = opt_name(o, sbuf);
    uint64_t u;
    switch (o->kind) {
    case FT_OPT_KIND_FLAG:
        *(bool *)o->value = true;
        return true;
    case FT_OPT_KIND_UINT:
    case FT_OPT_KIND_INT:
    case FT_OPT_KIND_INT64:
    case FT_OPT_KIND_UINT64:
        if (!whole_number(arg, &u)) {
            if (arg[0] == '-' && whole_number(arg + 1, &u)) {
                range_text(o, range, sizeof range);
                ft_cli_error(cmd, "%s: '%s' is out of range (%s)", name, arg, range);
            } else {
                ft_cli_error(cmd, "%s: '%s' is not a whole number", name, arg);
            }
            return false;
        }
        if (u < o->min || u > o->max) {
            range_text(o, range, sizeof range);
            ft_cli_error(cmd, "%s: '%s' is out of range (%s)", name, arg, range);
            return false;
        }
        if (o->kind == FT_OPT_KIND_UINT)
            *(uint32_t *)o->value = (uint32_t)u;
        else if (o->kind == FT_OPT_KIND_INT)
            *(int *)o->value = (int)u;
        else if (o->kind == FT_OPT_KIND_INT64)
            *(int64_t *)o->value = (int64_t)u;
        else
            *(uint64_t *)o->value = u;
        return true;
    case FT_OPT_KIND_DOUBLE: {
        char *end = NULL;
        errno = 0;
        double d = strtod(arg, &end);
        if (errno == ERANGE || end == arg || *end || d != d || isspace((unsigned char)arg[0])) {
            ft_cli_error(cmd, "%s: '%s' is not a number", name, arg);
            return false;
        }
        bool lo_ok = o->flags & FT_OPT_MIN_OPEN ? d > o->dmin : d >= o->dmin;
        bool hi_ok = o->flags & FT_OPT_MAX_OPEN ? d < o->dmax : d <= o->dmax;
        if (!lo_ok || !hi_ok) {
            range_text(o, range, sizeof range);
            ft_cli_error(cmd, "%s: '%s' is out of range (%s)", name, arg, range);
            return false;
        }
        *(double *)o->value = d;
        return true;
    }
    case FT_OPT_KIND_STRING:
        *(const char **)o->value = arg;
        return true;
    case FT_OPT_KIND_ENUM: {
        for (int i = 0; o->values[i]; i++) {
            if (strcmp(arg, o->values[i]) == 0) {
                *(const char **)o->value = o->values[i];
                return true;
            }
        }
        char list[256];
        size_t used = 0;
        list[0] = '\0';
        for (int i = 0; o->values[i] && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                     o->values[i]);
        ft_cli_error(cmd, "%s: '%s' is not one of %s", name, arg, list);
        return false;
    }
    case FT_OPT_KIND_LIST:
        return list_add(cmd, o->value, arg);
    case FT_OPT_KIND_TIME: {
        ft_time_error why;
        if (ft_time_parse(arg, strlen(arg), o->value, &why))
            return true;
        ft_cli_error(cmd, "%s: '%s' %s", name, arg, ft_time_strerror(why));
        return false;
    }
    case FT_OPT_KIND_DURATION:
        if (ft_duration_parse(arg, strlen(arg), o->value))
            return true;
        ft_cli_error(cmd, "%s: '%s' is not a duration (such as 30d, 12h or 90m)", name, arg);
        return false;
    case FT_OPT_KIND_CALLBACK:
        return o->cb(cmd, o, arg);
    default:
        return false;
    }
}

static const ft_option *find_long(const ft_option *opts, const char *name, size_t len)
{
    for (const ft_option *o = opts; o->kind != FT_OPT_KIND_END; o++)
        if (o->long_name && strlen(o->long_name) == len && memcmp(o->long_name, name, len) == 0)
            return o;
    return NULL;
}

static const ft_option *find_short(const ft_option *opts, char c)
{
    for (const ft_option *o = opts; o->kind != FT_OPT_KIND_END; o++)
        if (o->short_name && o->short_name == c)
            return o;
    return NULL;
}

static int usage_error(const ft_cli_command *c)
{
    fprintf(stderr, "see 'fundtrace %s --help'\n", c->name);
    return FT_EXIT_ERROR;
}

ft_provenance ft_cli_prov;
bool ft_cli_prov_off, ft_cli_prov_csv;
static bool prov_started;

/* A part of a sharded run records the whole run's command line, so that
 * merge joins the parts into one run's output, byte for byte; and a scan
 * given the data's profile made beforehand (--profile, checked to be this
 * data's under these parameters) records the run that made it. */
static bool shard_arg(char **argv, int i)
{
    return strcmp(argv[i], "--shard") == 0 || strncmp(argv[i], "--shard=", 8) == 0 ||
           strcmp(argv[i], "--profile") == 0 || strncmp(argv[i], "--profile=", 10) == 0;
}

void ft_cli_run_start(const char *cmd, int argc, char **argv)
{
    ft_error err;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    int n = 0;
    for (int i = 0; args && i < argc; i++) {
        if (shard_arg(argv, i)) {
            i += strchr(argv[i], '=') == NULL; /* and its value */
            continue;
        }
        if (strcmp(argv[i], "--") == 0) { /* operands only from here */
            for (; i < argc; i++)
                args[n++] = argv[i];
            break;
        }
        args[n++] = argv[i];
    }
    prov_started = args && ft_prov_init(&ft_cli_prov, cmd, n, args, &err) == FT_OK;
    free(args);
}

void ft_cli_run_restart(const char *cmd, int argc, char **argv)
{
    if (prov_started)
        ft_prov_free(&ft_cli_prov);
    prov_started = false;
    ft_cli_run_start(cmd, argc, argv);
}

static const char *audit_path, *audit_case, *audit_purpose;
static ft_audit_result audit_res;
static bool audit_oom;

/* Takes `--name VALUE` or `--name=VALUE` out of argv at i; false when
 * argv[i] is not that option. */
static bool take_option(const char *cmd, int *argc, char **argv, int i, const char *name,
                        const char **value, bool *bad)
{
    size_t n = strlen(name);
    if (strncmp(argv[i], "--", 2) != 0 || strncmp(argv[i] + 2, name, n) != 0 ||
        (argv[i][2 + n] != '\0' && argv[i][2 + n] != '='))
        return false;
    int drop = 1;
    if (argv[i][2 + n] == '=') {
        *value = argv[i] + 3 + n;
    } else if (i + 1 < *argc) {
        *value = argv[i + 1];
        drop = 2;
    } else {
        ft_cli_error(cmd, "option '--%s' needs a value", name);
        *bad = true;
    }
    memmove(argv + i, argv + i + drop, (size_t)(*argc - i - drop + 1) * sizeof *argv);
    *argc -= drop;
    return true;
}

int ft_cli_audit_start(const char *cmd, int *argc, char **argv)
{
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "audit") == 0)
        return -1;
    bool bad = false, help = false;
    const char *path = getenv("FUNDTRACE_AUDIT");
    if (path && !*path)
        path = NULL;
    for (int i = 2; i < *argc;) {
        if (strcmp(argv[i], "--") == 0)
            break;
        help = help || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
        if (!take_option(cmd, argc, argv, i, "audit", &path, &bad) &&
            !take_option(cmd, argc, argv, i, "case", &audit_case, &bad) &&
            !take_option(cmd, argc, argv, i, "purpose", &audit_purpose, &bad))
            i++;
    }
    if (bad)
        return FT_EXIT_ERROR;
    if (!path || help)
        return -1;
    if (!audit_case || !*audit_case || !audit_purpose || !*audit_purpose) {
        ft_cli_error(cmd,
                     "the audit log (%s) is on: say for which case and why, with "
                     "--case ID and --purpose TEXT",
                     path);
        return FT_EXIT_ERROR;
    }
    ft_error err;
    if (ft_audit_check(path, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return FT_EXIT_ERROR;
    }
    audit_path = path;
    return -1;
}

void ft_cli_audit_count(const char *name, int64_t v)
{
    ft_error err;
    if (audit_path && ft_audit_count(&audit_res, name, v, &err) != FT_OK)
        audit_oom = true;
}

void ft_cli_audit_account(const char *key)
{
    ft_error err;
    if (audit_path && ft_audit_account(&audit_res, key, &err) != FT_OK)
        audit_oom = true;
}

void ft_cli_audit_alert(const char *id)
{
    ft_error err;
    if (audit_path && ft_audit_alert(&audit_res, id, &err) != FT_OK)
        audit_oom = true;
}

static int audit_end(int code)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *user = getenv("USER");
    struct passwd *pw = getpwuid(geteuid());
    if (pw && pw->pw_name)
        user = pw->pw_name; /* who the system says, not what the environment claims */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    ft_audit_entry e = {.user = user ? user : "",
                        .time_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000,
                        .host = host,
                        .case_id = audit_case,
                        .purpose = audit_purpose,
                        .prov = prov_started ? &ft_cli_prov : NULL,
                        .exit_code = code,
                        .result = &audit_res};
    ft_error err;
    const char *cmd = prov_started ? ft_cli_prov.command : "fundtrace";
    if (audit_oom || !prov_started) {
        ft_cli_error(cmd, "out of memory: the audit log (%s) has no line for this command",
                     audit_path);
        code = FT_EXIT_ERROR;
    } else if (ft_audit_append(audit_path, &e, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        ft_cli_error(cmd, "the audit log (%s) has no line for this command", audit_path);
        code = FT_EXIT_ERROR;
    }
    ft_audit_result_free(&audit_res);
    audit_path = NULL;
    return code;
}

int ft_cli_run_end(int code)
{
    if (audit_path)
        code = audit_end(code);
    if (prov_started)
        ft_prov_free(&ft_cli_prov);
    prov_started = false;
    return code;
}

/* Options whose values are account keys: a pseudonymised output's
 * record names them by their tokens. */
static const char *const account_options[] = {"from",       "to",      "around", "trace-from",
                                              "cluster-of", "account", NULL};

static bool account_option(const char *name)
{
    for (int i = 0; account_options[i]; i++)
        if (strcmp(name, account_options[i]) == 0)
            return true;
    return false;
}

/* Options whose argument is a file that shapes the output. */
static const char *const prov_file_options[] = {"rules",    "seeds",      "alerts", "truth",
                                                "trace",    "map-file",   "rates",  "currencies",
                                                "features", "thresholds", NULL};

static void prov_note(const ft_option *o, const char *value)
{
    if (!prov_started || !o->long_name || strcmp(o->long_name, "shard") == 0 ||
        strcmp(o->long_name, "profile") == 0)
        return;
    ft_error err;
    bool file = value && strcmp(o->long_name, "jurisdiction-map") == 0; /* study's */
    for (int i = 0; value && prov_file_options[i]; i++)
        file = file || strcmp(o->long_name, prov_file_options[i]) == 0;
    if (value && audit_path && account_option(o->long_name)) /* the accounts searched */
        for (const char *p = value; *p;) {
            size_t len = strcspn(p, ",");
            char key[512];
            snprintf(key, sizeof key, "%.*s", (int)len, p);
            if (len)
                ft_cli_audit_account(key);
            p += len + (p[len] == ',');
        }
    if (ft_prov_param_add(&ft_cli_prov, o->long_name, value, &err) != FT_OK ||
        (file && ft_prov_add_file(&ft_cli_prov, o->long_name, value, &err) != FT_OK))
        prov_started = false; /* out of memory: the outputs will say so */
}

/* `value` (A,B,...) with each key replaced by its token, malloc'd. */
static char *tokens_of(const ft_pseudo_key *k, const char *value)
{
    size_t n = 1;
    for (const char *p = value; *p; p++)
        n += *p == ',';
    char *out = malloc(n * (FT_PSEUDO_LEN + 1) + 1), *w = out;
    if (!out)
        return NULL;
    for (const char *p = value;;) {
        size_t len = strcspn(p, ",");
        ft_pseudo_token(k, p, len, w);
        w += FT_PSEUDO_LEN;
        if (!p[len])
            break;
        *w++ = ',';
        p += len + 1;
    }
    *w = '\0';
    return out;
}

static bool replace(char **slot, const ft_pseudo_key *k, const char *value)
{
    char *t = tokens_of(k, value);
    if (!t)
        return false;
    free(*slot);
    *slot = t;
    return true;
}

/* The record's account keys (options' values, in argv too) as tokens. */
static bool prov_pseudonymise(const ft_pseudo_key *k)
{
    ft_provenance *p = &ft_cli_prov;
    for (size_t i = 0; i < p->nparams; i++)
        if (p->params[i].value && account_option(p->params[i].name) &&
            !replace(&p->params[i].value, k, p->params[i].value))
            return false;
    for (int i = 2; i < p->argc; i++) {
        const char *a = p->argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0)
            continue;
        const char *eq = strchr(a, '=');
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(eq ? (size_t)(eq - a - 2) : strlen(a + 2)),
                 a + 2);
        if (!account_option(name))
            continue;
        if (!eq) {
            if (i + 1 < p->argc && !replace(&p->argv[i + 1], k, p->argv[i + 1]))
                return false;
            i++;
            continue;
        }
        char *t = tokens_of(k, eq + 1), *whole = NULL;
        size_t n = t ? strlen(name) + strlen(t) + 4 : 0;
        if (!t || !(whole = malloc(n))) {
            free(t);
            return false;
        }
        snprintf(whole, n, "--%s=%s", name, t);
        free(t);
        free(p->argv[i]);
        p->argv[i] = whole;
    }
    return true;
}

bool ft_cli_prov_begin(const char *cmd, FILE *f, ft_format fmt)
{
    if (ft_cli_prov_off || (fmt == FT_FORMAT_CSV && !ft_cli_prov_csv))
        return true;
    if (fmt == FT_FORMAT_TABLE)
        return true;
    if (!prov_started || !ft_prov_begin(f, &ft_cli_prov, fmt, true)) {
        ft_cli_error(cmd, "out of memory");
        return false;
    }
    return true;
}

void ft_cli_prov_end(FILE *f, ft_format fmt)
{
    if (!ft_cli_prov_off)
        ft_prov_end(f, fmt);
}

char *ft_cli_prov_text(void)
{
    return ft_cli_prov_off || !prov_started ? NULL : ft_prov_json(&ft_cli_prov);
}

int ft_cli_parse(const ft_cli_command *c, int argc, char **argv, int *noperands)
{
    const ft_option *opts = c->options;
    size_t nopts = 0;
    while (opts[nopts].kind != FT_OPT_KIND_END)
        nopts++;
    bool *seen = calloc(nopts + 1, sizeof *seen);
    char **rest = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *rest);
    int nops = 0, nrest = 0, code = FT_CLI_CONTINUE;
    bool operands_only = false;
    if (!seen || !rest) {
        free(seen);
        free(rest);
        ft_cli_error(c->name, "out of memory");
        return FT_EXIT_ERROR;
    }
    /* Operands move to the front as they come (the slot written is never
     * one still to be read), the options with their values after them in
     * their order: the command line stays whole, for the run id and the
     * command line that a shard's part carries. */
    for (int i = 1; i < argc && code == FT_CLI_CONTINUE; i++) {
        char *a = argv[i];
        if (operands_only || a[0] != '-' || a[1] == '\0') {
            argv[1 + nops++] = a;
            continue;
        }
        int first = i;
        if (strcmp(a, "--") == 0) {
            operands_only = true;
            continue;
        }
        const ft_option *o;
        const char *value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            if (!(o = find_long(opts, name, len))) {
                ft_cli_error(c->name, "unknown option '--%.*s'", (int)len, name);
                code = usage_error(c);
                break;
            }
            if (takes_value(o)) {
                if (eq)
                    value = eq + 1;
                else if (i + 1 < argc)
                    value = argv[++i];
            } else if (eq) {
                ft_cli_error(c->name, "option '--%s' takes no value", o->long_name);
                code = usage_error(c);
                break;
            }
        } else {
            /* -q, -o FILE, -oFILE, -qo FILE */
            for (int j = 1;; j++) {
                if (!(o = find_short(opts, a[j]))) {
                    ft_cli_error(c->name, "unknown option '-%c'", a[j]);
                    code = usage_error(c);
                    break;
                }
                if (takes_value(o)) {
                    if (a[j + 1])
                        value = a + j + 1;
                    else if (i + 1 < argc)
                        value = argv[++i];
                    break;
                }
                if (!a[j + 1])
                    break;
                /* a flag bundled with more: apply it now, go on */
                if (o->kind == FT_OPT_KIND_HELP)
                    break;
                if (!apply(c->name, o, NULL)) {
                    code = FT_EXIT_ERROR;
                    break;
                }
                prov_note(o, NULL);
            }
            if (code != FT_CLI_CONTINUE)
                break;
        }
        char sbuf[128];
        if (takes_value(o) && !value) {
            ft_cli_error(c->name, "option '%s' needs a value", opt_name(o, sbuf));
            code = usage_error(c);
            break;
        }
        if (o->kind == FT_OPT_KIND_HELP) {
            ft_cli_help(stdout, c);
            code = FT_EXIT_OK;
            if (fflush(stdout) != 0 || ferror(stdout)) {
                ft_cli_error(c->name, "cannot write the help: %s", strerror(errno));
                code = FT_EXIT_ERROR;
            }
            break;
        }
        size_t k = (size_t)(o - opts);
        if ((o->flags & FT_OPT_ONCE) && seen[k]) {
            ft_cli_error(c->name, "%s: give it once", opt_name(o, sbuf));
            code = FT_EXIT_ERROR;
            break;
        }
        seen[k] = true;
        if (!apply(c->name, o, value))
            code = FT_EXIT_ERROR;
        else
            prov_note(o, value);
        for (int t = first; t <= i; t++)
            rest[nrest++] = argv[t];
    }
    for (int t = 0; t < nrest; t++)
        argv[1 + nops + t] = rest[t];
    free(seen);
    free(rest);
    *noperands = nops;
    return code;
}

/* Writes text, its lines after the first indented by `indent`. */
static void lines(FILE *f, const char *text, int indent)
{
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        fprintf(f, "%.*s\n", (int)len, p);
        p += len;
        if (*p == '\n' && *++p)
            fprintf(f, "%*s", indent, "");
    }
}

/* The column of the help texts: "  --map FIELD=COLUMN   take ..." */
#define HELP_COLUMN 23

void ft_cli_help(FILE *f, const ft_cli_command *c)
{
    fputs("usage: ", f);
    lines(f, c->usage, 7);
    fputc('\n', f);
    fputs(c->description, f);
    const ft_option *o = c->options;
    if (o->kind != FT_OPT_KIND_GROUP)
        fputs("\nOptions:\n", f);
    for (; o->kind != FT_OPT_KIND_END; o++) {
        if (o->kind == FT_OPT_KIND_GROUP) {
            fprintf(f, "\n%s:\n", o->help);
            continue;
        }
        if (o->flags & FT_OPT_HIDDEN)
            continue;
        char text[160];
        int n;
        if (o->short_name && o->long_name)
            n = snprintf(text, sizeof text, "  -%c, --%s", o->short_name, o->long_name);
        else if (o->short_name)
            n = snprintf(text, sizeof text, "  -%c", o->short_name);
        else
            n = snprintf(text, sizeof text, "  --%s", o->long_name);
        if (o->argh)
            n += snprintf(text + n, sizeof text - (size_t)n, " %s", o->argh);
        /* at least two spaces before the help, or the help on a line of its own */
        if (n + 2 > HELP_COLUMN)
            fprintf(f, "%s\n%*s", text, HELP_COLUMN, "");
        else
            fprintf(f, "%-*s", HELP_COLUMN, text);
        lines(f, o->help, HELP_COLUMN);
    }
    if (c->epilog) {
        fputc('\n', f);
        fputs(c->epilog, f);
    }
    if (c->epilog_fn)
        c->epilog_fn(f);
}

static void on_reject(void *ctx, const ft_reject_info *r)
{
    struct ft_cli_input *in = ctx;
    int n = r->nfaults ? r->nfaults : 1;
    const ft_fault one = {r->line, r->column, r->reason, r->message};
    const ft_fault *f = r->nfaults ? r->faults : &one;
    /* In strict mode the load stops here and the error says it once. */
    for (int i = 0; i < n && !in->quiet && !in->opts.strict && in->shown < FT_SHOW_REJECTS; i++) {
        clear_progress();
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
        if (ft_csv_needs_guard(r->raw, r->raw_len))
            fputc('\'', fp);
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
    ft_cli_error(in->cmd, "%s: %s", path, message);
}

/* Rows read so far, for the progress display. */
static void on_progress(void *ctx, const char *path, int64_t rows)
{
    struct ft_cli_input *in = ctx;
    if (in->reading != path) {
        in->reading = path;
        ft_cli_progress_step(&in->prog, "reading %s", path);
    }
    ft_cli_progress_advance(&in->prog, (uint64_t)rows, 0);
}

/* The rejects file, through the one atomic writer: a run that fails
 * leaves the previous file (or none). */
static ft_status open_rejects(struct ft_cli_input *in, ft_error *err)
{
    ft_status rc = ft_writer_open(&in->rejects_w, in->rejects_path, false, err);
    if (rc != FT_OK)
        return rc;
    if (!(in->rejects = ft_writer_stream(&in->rejects_w))) {
        ft_writer_abort(&in->rejects_w);
        return ft_error_oom(err);
    }
    fputs("file,line,column,reason,message,row\n", in->rejects);
    return FT_OK;
}

static ft_status close_rejects(struct ft_cli_input *in, ft_error *err)
{
    if (!in->rejects)
        return FT_OK;
    in->rejects = NULL;
    return ft_writer_close(&in->rejects_w, err);
}

/* The periods [first, last) of m were mapped: said in the record of the
 * run. */
static void note_periods(const ft_manifest *m, size_t first, size_t last)
{
    if (!prov_started)
        return;
    ft_cli_prov.periods_read = last - first;
    ft_cli_prov.periods_of = m->n;
    snprintf(ft_cli_prov.period_first, sizeof ft_cli_prov.period_first, "%s", m->v[first].name);
    snprintf(ft_cli_prov.period_last, sizeof ft_cli_prov.period_last, "%s", m->v[last - 1].name);
}

/* scan --lookback over a store of all the data (a snapshot, CSV files):
 * only the transfers of the range in->range_from .. in->range_to, set
 * here from the window. */
static ft_status keep_range(struct ft_cli_input *in, ft_store *s, ft_error *err)
{
    int64_t since = in->since_ms;
    if (in->range_last && s->t.n)
        since = s->t.ts_ms[s->t.n - 1] - in->range_last;
    in->since_ms = since;
    in->range_from = ft_time_back(since, in->range_back);
    in->range_to = in->until_ms;
    ft_store r;
    ft_status rc = ft_store_range(&r, s, in->range_from, in->range_to, err);
    if (rc == FT_OK) {
        ft_store_free(s);
        *s = r;
    }
    return rc;
}

/* The range's ends as text, "the start" and "the end" where open. */
static void range_ends(const struct ft_cli_input *in, char a[40], char b[40])
{
    strcpy(a, "the start");
    strcpy(b, "the end");
    if (in->range_from != INT64_MIN)
        ft_time_format(in->range_from, a, 40);
    if (in->range_to != INT64_MAX)
        ft_time_format(in->range_to, b, 40);
}

/* The range kept: on stderr and in the record of the run. */
static void note_range(const char *cmd, const struct ft_cli_input *in, const ft_store *s)
{
    if (!in->quiet) {
        char a[40], b[40];
        range_ends(in, a, b);
        fprintf(stderr,
                "fundtrace %s: %" PRId64 " transfer%s from %s to %s: the window and the lookback "
                "before it\n",
                cmd, s->t.n, s->t.n == 1 ? "" : "s", a, b);
    }
    if (!prov_started)
        return;
    ft_cli_prov.range = true;
    ft_cli_prov.range_from_ms = in->range_from;
    ft_cli_prov.range_until_ms = in->range_to;
    ft_cli_prov.range_rows = s->t.n;
}

/* The periods of a manifest, as one store: all of them, or with a window
 * (in->window) those it needs, and the whole data's figures beside them
 * (in->whole), which the command uses where it would count over all the
 * data (hubs, the most used currency). Without those figures (a split by
 * an older fundtrace) every period is read. */
static ft_status load_periods(const char *cmd, struct ft_cli_input *in, const char *path,
                              ft_store *s, ft_error *errp)
{
    ft_error err;
    ft_manifest m;
    ft_status rc = ft_manifest_read(&m, path, &err);
    size_t first = 0, last = rc == FT_OK ? m.n : 0;
    if (rc == FT_OK && first == last)
        rc = ft_error_set(&err, FT_EINPUT, "%s: names no periods", path);
    if (rc == FT_OK && in->range) {
        /* scan --lookback: the periods the range overlaps, and of them
         * only the range's transfers */
        int64_t since = in->since_ms, last_ms = 0;
        if (in->range_last && (rc = ft_manifest_last_time(&m, &last_ms, &err)) == FT_OK)
            since = last_ms - in->range_last;
        in->since_ms = since;
        in->range_from = ft_time_back(since, in->range_back);
        in->range_to = in->until_ms;
        if (rc == FT_OK)
            rc = ft_periods_load_range(s, &m, in->range_from, in->range_to, &first, &last, &err);
        if (rc == FT_OK) {
            note_periods(&m, first, last);
            if (!in->quiet) {
                char a[40], b[40];
                range_ends(in, a, b);
                fprintf(stderr,
                        "fundtrace %s: reading %zu period%s (%s to %s) of %zu, those the "
                        "transfers from %s to %s are in\n",
                        cmd, last - first, last - first == 1 ? "" : "s", m.v[first].name,
                        m.v[last - 1].name, m.n, a, b);
            }
        }
        ft_manifest_free(&m);
        if (rc != FT_OK)
            *errp = err;
        return rc;
    }
    if (rc == FT_OK && in->window) {
        char *whole = malloc(strlen(m.dir) + 16);
        if (!whole) {
            rc = ft_error_oom(&err);
        } else {
            sprintf(whole, "%s/whole.bin", m.dir);
            if (access(whole, F_OK) == 0) {
                ft_manifest_select(&m, in->since_ms, in->until_ms, &first, &last);
                if (first == last) { /* no period in the window: one, none of its rows in it */
                    first = first < m.n ? first : m.n - 1;
                    last = first + 1;
                }
            } else if (!in->quiet) {
                fprintf(stderr,
                        "fundtrace %s: %s has no whole.bin (split by an older fundtrace): "
                        "reading every period\n",
                        cmd, m.dir);
            }
            free(whole);
        }
    }
    if (rc == FT_OK && !in->quiet && last - first < m.n)
        fprintf(stderr,
                "fundtrace %s: reading %zu period%s (%s to %s) of %zu, those the time window "
                "needs\n",
                cmd, last - first, last - first == 1 ? "" : "s", m.v[first].name,
                m.v[last - 1].name, m.n);
    else if (rc == FT_OK && !in->quiet)
        fprintf(stderr, "fundtrace %s: reading %zu period%s (%s to %s)\n", cmd, last - first,
                last - first == 1 ? "" : "s", m.v[first].name, m.v[last - 1].name);
    if (rc == FT_OK && last - first == 1) { /* mapped, as a snapshot */
        char *file = malloc(strlen(m.dir) + strlen(m.v[first].file) + 2);
        if (!file)
            rc = ft_error_oom(&err);
        else {
            sprintf(file, "%s/%s", m.dir, m.v[first].file);
            rc = ft_snapshot_read(s, file, &err);
            free(file);
        }
    } else if (rc == FT_OK) {
        rc = ft_periods_load(s, &m, first, last, &err);
    }
    if (rc == FT_OK)
        note_periods(&m, first, last);
    if (rc == FT_OK && last - first < m.n) {
        rc = ft_period_whole_read(&in->whole, &m, s, &err);
        if (rc == FT_OK && !in->whole.present)
            rc = ft_error_set(&err, FT_EINPUT, "%s/whole.bin: went away while reading", m.dir);
    }
    ft_manifest_free(&m);
    if (rc != FT_OK)
        *errp = err;
    return rc;
}

ft_status ft_cli_load(const char *cmd, struct ft_cli_input *in, char *const *paths, int npaths,
                      ft_store *s)
{
    ft_error err;
    ft_status rc = FT_OK;
    int snapshots = 0;
    ft_cli_progress_init(&in->prog, cmd, in->progress, in->quiet);
    /* The periods of `load --split-by` read as one snapshot, and then
     * treated as one: rates, pseudonyms, the record of the run. */
    bool periods = npaths == 1 && strcmp(paths[0], "-") != 0 && ft_manifest_is(paths[0]);
    for (int i = 0; i < npaths && !periods; i++)
        snapshots += strcmp(paths[i], "-") != 0 && ft_snapshot_is(paths[i]);
    if (snapshots && npaths > 1) {
        ft_cli_error(cmd, "give one snapshot, or CSV files, not both");
        return FT_EUSAGE;
    }
    ft_pseudo_key key;
    if (in->pseudonymise && (rc = ft_pseudo_key_read(&key, in->pseudonymise, &err)) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return rc;
    }
    if (snapshots || periods) {
        rc = periods ? load_periods(cmd, in, paths[0], s, &err)
                     : ft_snapshot_read(s, paths[0], &err);
        /* (a range with no transfers is not an error: nothing happened then) */
        if (rc == FT_OK && s->t.n == 0 && !(in->range && periods))
            rc = ft_error_set(&err, FT_EINPUT,
                              "%s: holds no transfers: there is nothing to work on", paths[0]);
        if (rc == FT_OK && in->range && !periods)
            rc = keep_range(in, s, &err);
        if (rc == FT_OK && in->range)
            note_range(cmd, in, s);
        if (rc == FT_OK && in->rates_path)
            rc = ft_store_rates_load(s, in->rates_path, &err);
        if (rc == FT_OK && in->pseudonymise)
            rc = ft_store_pseudonymise(s, &key, &err);
        if (rc == FT_OK && in->pseudonymise && prov_started) {
            memcpy(ft_cli_prov.key_fingerprint, key.fingerprint, sizeof key.fingerprint);
            if (!prov_pseudonymise(&key))
                rc = ft_error_oom(&err);
        }
        if (rc == FT_OK && prov_started)
            rc = ft_prov_set_inputs(&ft_cli_prov, s, paths[0], &err);
        if (in->pseudonymise)
            memset(&key, 0, sizeof key);
        if (rc != FT_OK)
            ft_cli_fail(cmd, &err);
        return rc;
    }
    if (in->rejects_path && (rc = open_rejects(in, &err)) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return rc;
    }
    in->opts.on_reject = on_reject;
    in->opts.reject_ctx = in;
    in->opts.on_note = on_note;
    in->opts.note_ctx = in;
    in->cmd = cmd;
    if (in->prog.on) {
        in->opts.on_progress = on_progress;
        in->opts.progress_ctx = in;
    }
    rc = ft_ingest_files(s, (const char *const *)paths, npaths, &in->opts, &err);
    if (rc == FT_OK && in->range) {
        rc = keep_range(in, s, &err);
        if (rc == FT_OK)
            note_range(cmd, in, s);
    }
    ft_cli_progress_done(&in->prog);
    ft_error cerr;
    ft_status crc = close_rejects(in, &cerr);
    if (rc != FT_OK) {
        ft_cli_fail(cmd, &err);
        return rc;
    }
    if (crc != FT_OK) {
        ft_cli_fail(cmd, &cerr);
        return crc;
    }
    if (in->rates_path && (rc = ft_store_rates_load(s, in->rates_path, &err)) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return rc;
    }
    if (prov_started && (rc = ft_prov_set_inputs(&ft_cli_prov, s, NULL, &err)) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return rc;
    }
    if (in->pseudonymise) {
        rc = ft_store_pseudonymise(s, &key, &err);
        if (rc == FT_OK && prov_started) {
            memcpy(ft_cli_prov.key_fingerprint, key.fingerprint, sizeof key.fingerprint);
            if (!prov_pseudonymise(&key))
                rc = ft_error_oom(&err);
        }
        memset(&key, 0, sizeof key);
        if (rc != FT_OK) {
            ft_cli_fail(cmd, &err);
            return rc;
        }
    }
    if (!in->quiet && in->shown > FT_SHOW_REJECTS)
        ft_cli_error(cmd, "%" PRId64 " more rejected rows not shown%s", in->shown - FT_SHOW_REJECTS,
                     in->rejects_path ? "" : " (write them all with --rejects FILE)");
    return FT_OK;
}

void ft_cli_input_free(struct ft_cli_input *in)
{
    ft_period_whole_free(&in->whole);
    ft_writer_abort(&in->rejects_w);
    ft_map_free(&in->map);
    ft_tz_free(in->tz);
    ft_currency_defs_free(&in->defs);
    memset(in, 0, sizeof *in);
}

bool ft_cli_opt_shard(const char *cmd, const ft_option *opt, const char *arg)
{
    if (ft_shard_parse(arg, opt->value))
        return true;
    ft_cli_error(cmd, "--shard '%s': give I/N, 1 <= I <= N", arg);
    return false;
}

bool ft_cli_opt_accounts(const char *cmd, const ft_option *opt, const char *arg)
{
    return ft_cli_accounts_add(cmd, opt->value, arg);
}

/* Adds the key p[0 .. len); false out of memory. */
static bool add_key(ft_cli_accounts *l, const char *p, size_t len)
{
    if (l->nkeys == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->keys, c * sizeof *v);
        if (!v)
            return false;
        l->keys = v;
        l->cap = c;
    }
    if (!(l->keys[l->nkeys] = strndup(p, len)))
        return false;
    l->nkeys++;
    return true;
}

bool ft_cli_accounts_add(const char *cmd, ft_cli_accounts *l, const char *arg)
{
    for (const char *p = arg; *p;) {
        size_t len = strcspn(p, ",");
        if (len && !add_key(l, p, len)) {
            ft_cli_error(cmd, "out of memory");
            return false;
        }
        p += len + (p[len] == ',');
    }
    return true;
}

static ft_status account_line(void *ctx, const char *line, ft_error *err)
{
    return add_key(ctx, line, strlen(line)) ? FT_OK : ft_error_oom(err);
}

bool ft_cli_opt_accounts_file(const char *cmd, const ft_option *opt, const char *arg)
{
    ft_error err;
    if (ft_config_lines(arg, account_line, opt->value, &err) == FT_OK)
        return true;
    ft_cli_fail(cmd, &err);
    return false;
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
