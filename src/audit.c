/*
 * audit.c - the audit log: lines chained by SHA-256, appended under a
 * lock; verifying the chain; a reviewer's summary.
 */
#define _GNU_SOURCE /* memrchr */
#include "fundtrace/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fundtrace/hash.h"
#include "fundtrace/json.h"
#include "fundtrace/time.h"

/* The end of every line: ,"sha256":"<64 hex>"} */
#define SUFFIX_HEAD ",\"sha256\":\""
#define SUFFIX_LEN  (sizeof SUFFIX_HEAD - 1 + 64 + 2)
static const char zeros[65] = "0000000000000000000000000000000000000000000000000000000000000000";

/* --- what a command returned ------------------------------------------------------------------ */

static ft_status push_str(char ***v, size_t *n, const char *s, ft_error *err)
{
    char **p = realloc(*v, (*n + 1) * sizeof *p);
    if (!p)
        return ft_error_oom(err);
    *v = p;
    if (!(p[*n] = strdup(s)))
        return ft_error_oom(err);
    (*n)++;
    return FT_OK;
}

ft_status ft_audit_count(ft_audit_result *r, const char *name, int64_t v, ft_error *err)
{
    for (size_t i = 0; i < r->ncounts; i++)
        if (strcmp(r->count_names[i], name) == 0) {
            r->counts[i] += v;
            return FT_OK;
        }
    int64_t *c = realloc(r->counts, (r->ncounts + 1) * sizeof *c);
    if (!c)
        return ft_error_oom(err);
    r->counts = c;
    size_t n = r->ncounts;
    ft_status rc = push_str(&r->count_names, &n, name, err);
    if (rc != FT_OK)
        return rc;
    c[r->ncounts++] = v;
    return FT_OK;
}

ft_status ft_audit_account(ft_audit_result *r, const char *account, ft_error *err)
{
    for (size_t i = 0; i < r->naccounts; i++)
        if (strcmp(r->accounts[i], account) == 0)
            return FT_OK;
    return push_str(&r->accounts, &r->naccounts, account, err);
}

ft_status ft_audit_alert(ft_audit_result *r, const char *id, ft_error *err)
{
    return push_str(&r->alerts, &r->nalerts, id, err);
}

void ft_audit_result_free(ft_audit_result *r)
{
    for (size_t i = 0; i < r->ncounts; i++)
        free(r->count_names[i]);
    for (size_t i = 0; i < r->naccounts; i++)
        free(r->accounts[i]);
    for (size_t i = 0; i < r->nalerts; i++)
        free(r->alerts[i]);
    free(r->count_names);
    free(r->counts);
    free(r->accounts);
    free(r->alerts);
    memset(r, 0, sizeof *r);
}

/* --- appending -------------------------------------------------------------------------------- */

/* The line for e, without its sha256 member and closing brace (the
 * caller adds them), malloc'd; NULL out of memory. */
static char *body(const ft_audit_entry *e, int64_t seq, const char *prev, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    ft_json j;
    ft_json_init(&j, f, false);
    const ft_provenance *p = e->prov;
    char when[40];
    ft_time_format(e->time_ms, when, sizeof when);
    ft_json_object(&j, NULL);
    ft_json_int(&j, "seq", seq);
    ft_json_cstr(&j, "prev", prev);
    ft_json_cstr(&j, "user", e->user ? e->user : "");
    ft_json_cstr(&j, "host", e->host ? e->host : "");
    ft_json_cstr(&j, "time", when);
    ft_json_cstr(&j, "case", e->case_id ? e->case_id : "");
    ft_json_cstr(&j, "purpose", e->purpose ? e->purpose : "");
    ft_json_cstr(&j, "version", p && p->version ? p->version : "");
    ft_json_cstr(&j, "command", p && p->command ? p->command : "");
    ft_json_array(&j, "argv");
    for (int i = 0; p && i < p->argc; i++)
        ft_json_cstr(&j, NULL, p->argv[i]);
    ft_json_end(&j, ']');
    ft_json_array(&j, "parameters");
    for (size_t i = 0; p && i < p->nparams; i++) {
        ft_json_object(&j, NULL);
        ft_json_cstr(&j, "option", p->params[i].name);
        if (p->params[i].value)
            ft_json_cstr(&j, "value", p->params[i].value);
        else
            ft_json_bool(&j, "value", true);
        ft_json_end(&j, '}');
    }
    ft_json_end(&j, ']');
    ft_json_array(&j, "inputs");
    for (size_t i = 0; p && i < p->ninputs; i++) {
        ft_json_object(&j, NULL);
        ft_json_cstr(&j, "path", p->inputs[i].path);
        ft_json_cstr(&j, "sha256", p->inputs[i].sha256);
        ft_json_int(&j, "rows_loaded", p->inputs[i].rows_loaded);
        ft_json_end(&j, '}');
    }
    for (size_t i = 0; p && i < p->nfiles; i++) {
        ft_json_object(&j, NULL);
        ft_json_cstr(&j, "option", p->files[i].option);
        ft_json_cstr(&j, "path", p->files[i].path);
        ft_json_cstr(&j, "sha256", p->files[i].sha256);
        ft_json_end(&j, '}');
    }
    ft_json_end(&j, ']');
    if (p && p->snapshot)
        ft_json_cstr(&j, "snapshot", p->snapshot);
    ft_json_int(&j, "exit", e->exit_code);
    const ft_audit_result *r = e->result;
    ft_json_object(&j, "returned");
    ft_json_object(&j, "counts");
    for (size_t i = 0; r && i < r->ncounts; i++)
        ft_json_int(&j, r->count_names[i], r->counts[i]);
    ft_json_end(&j, '}');
    ft_json_array(&j, "accounts");
    for (size_t i = 0; r && i < r->naccounts; i++)
        ft_json_cstr(&j, NULL, r->accounts[i]);
    ft_json_end(&j, ']');
    ft_json_array(&j, "alerts");
    for (size_t i = 0; r && i < r->nalerts; i++)
        ft_json_cstr(&j, NULL, r->alerts[i]);
    ft_json_end(&j, ']');
    ft_json_end(&j, '}');
    ft_json_end(&j, '}');
    if (fclose(f) != 0 || !text || *len < 2) {
        free(text);
        return NULL;
    }
    return text;
}

static void sha_hex(const char *p, size_t n, char hex[65], ft_status *rc, ft_error *err)
{
    ft_sha256 h;
    if ((*rc = ft_sha256_init(&h, err)) != FT_OK)
        return;
    ft_sha256_update(&h, p, n);
    ft_sha256_final(&h, hex);
}

/* The last line of the open log: its seq and sha256 (seq 0, zeros for an
 * empty log). A log that does not end in a newline is cut. */
static ft_status last_line(int fd, const char *path, int64_t *seq, char sha[65], ft_error *err)
{
    *seq = 0;
    memcpy(sha, zeros, 65);
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0)
        return ft_error_errno(err, FT_EIO, "seek in", path);
    if (size == 0)
        return FT_OK;
    char c;
    if (pread(fd, &c, 1, size - 1) != 1)
        return ft_error_errno(err, FT_EIO, "read", path);
    if (c != '\n')
        return ft_error_set(err, FT_ECORRUPT,
                            "audit log '%s' ends in a line cut short: nothing is added to it "
                            "('fundtrace audit verify %s' names the line)",
                            path, path);
    /* the start of the last line: back from the end, a block at a time */
    off_t end = size - 1, start = 0;
    char buf[4096];
    for (off_t at = end; at > 0;) {
        off_t from = at > (off_t)sizeof buf ? at - (off_t)sizeof buf : 0;
        ssize_t n = pread(fd, buf, (size_t)(at - from), from);
        if (n != at - from)
            return ft_error_errno(err, FT_EIO, "read", path);
        char *nl = memrchr(buf, '\n', (size_t)n);
        if (nl) {
            start = from + (nl - buf) + 1;
            break;
        }
        at = from;
    }
    /* what we need is at its two ends */
    char head[64];
    ssize_t n = pread(
        fd, head, sizeof head - 1 < (size_t)(end - start) ? sizeof head - 1 : (size_t)(end - start),
        start);
    char tail[SUFFIX_LEN];
    if (n < 0 || end - start < (off_t)SUFFIX_LEN ||
        pread(fd, tail, SUFFIX_LEN, end - (off_t)SUFFIX_LEN) != (ssize_t)SUFFIX_LEN)
        return ft_error_set(err, FT_ECORRUPT,
                            "audit log '%s': its last line is not an audit line ('fundtrace "
                            "audit verify %s')",
                            path, path);
    head[n] = '\0';
    if (strncmp(head, "{\"seq\":", 7) != 0 ||
        memcmp(tail, SUFFIX_HEAD, sizeof SUFFIX_HEAD - 1) != 0)
        return ft_error_set(err, FT_ECORRUPT,
                            "audit log '%s': its last line is not an audit line ('fundtrace "
                            "audit verify %s')",
                            path, path);
    *seq = strtoll(head + 7, NULL, 10);
    memcpy(sha, tail + sizeof SUFFIX_HEAD - 1, 64);
    sha[64] = '\0';
    return FT_OK;
}

static ft_status open_log(const char *path, int *fd, ft_error *err)
{
    *fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (*fd < 0)
        return ft_error_errno(err, FT_EIO, "open the audit log", path);
    while (flock(*fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ft_status rc = ft_error_errno(err, FT_EIO, "lock the audit log", path);
            close(*fd);
            *fd = -1;
            return rc;
        }
    }
    return FT_OK;
}

ft_status ft_audit_check(const char *path, ft_error *err)
{
    int fd;
    ft_status rc = open_log(path, &fd, err);
    if (rc != FT_OK)
        return rc;
    int64_t seq;
    char sha[65];
    rc = last_line(fd, path, &seq, sha, err);
    close(fd); /* and the lock with it */
    return rc;
}

ft_status ft_audit_append(const char *path, const ft_audit_entry *e, ft_error *err)
{
    int fd;
    ft_status rc = open_log(path, &fd, err);
    if (rc != FT_OK)
        return rc;
    int64_t seq;
    char prev[65], sha[65];
    char *text = NULL, *line = NULL;
    size_t len = 0;
    if ((rc = last_line(fd, path, &seq, prev, err)) != FT_OK)
        goto done;
    if (!(text = body(e, seq + 1, prev, &len))) {
        rc = ft_error_oom(err);
        goto done;
    }
    sha_hex(text, len, sha, &rc, err);
    if (rc != FT_OK)
        goto done;
    /* {...} becomes {...,"sha256":"..."}\n */
    if (!(line = malloc(len - 1 + SUFFIX_LEN + 2))) {
        rc = ft_error_oom(err);
        goto done;
    }
    memcpy(line, text, len - 1);
    size_t n = len - 1;
    n += (size_t)sprintf(line + n, "%s%s\"}\n", SUFFIX_HEAD, sha);
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, line + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = ft_error_errno(err, FT_EIO, "write the audit log", path);
            /* a part written is a line cut short, which verify names */
            goto done;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0)
        rc = ft_error_errno(err, FT_EIO, "sync the audit log", path);
done:
    free(text);
    free(line);
    close(fd);
    return rc;
}

/* --- verifying -------------------------------------------------------------------------------- */

static bool hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

ft_status ft_audit_verify(const char *path, ft_audit_verdict *v, ft_error *err)
{
    memset(v, 0, sizeof *v);
    memcpy(v->head, zeros, 65);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ft_error_errno(err, FT_EIO, "open the audit log", path);
    char *line = NULL, *copy = NULL;
    size_t cap = 0, ccap = 0;
    ssize_t n;
    ft_status rc = FT_OK;
    char prev[65];
    memcpy(prev, zeros, 65);
    while (rc == FT_OK && (n = getline(&line, &cap, f)) > 0) {
        int64_t no = ++v->lines;
        bool cut = line[n - 1] != '\n';
        size_t len = (size_t)n - !cut;
#define BAD(...)                                                                                   \
    do {                                                                                           \
        v->bad_line = no;                                                                          \
        snprintf(v->why, sizeof v->why, __VA_ARGS__);                                              \
        goto out;                                                                                  \
    } while (0)
        if (cut)
            BAD("cut short (no newline at its end): the log was truncated, or a write did not "
                "finish");
        if (len < SUFFIX_LEN + 8 ||
            memcmp(line + len - SUFFIX_LEN, SUFFIX_HEAD, sizeof SUFFIX_HEAD - 1) != 0 ||
            !hex64(line + len - SUFFIX_LEN + sizeof SUFFIX_HEAD - 1) ||
            memcmp(line + len - 2, "\"}", 2) != 0)
            BAD("not an audit line (no sha256 at its end): edited, or not written by fundtrace");
        /* the line without its sha256 member */
        size_t blen = len - SUFFIX_LEN + 1;
        if (blen + 1 > ccap) {
            char *c = realloc(copy, blen + 1);
            if (!c) {
                rc = ft_error_oom(err);
                break;
            }
            copy = c;
            ccap = blen + 1;
        }
        memcpy(copy, line, blen - 1);
        copy[blen - 1] = '}';
        copy[blen] = '\0';
        char sha[65], own[65];
        sha_hex(copy, blen, sha, &rc, err);
        if (rc != FT_OK)
            break;
        memcpy(own, line + len - SUFFIX_LEN + sizeof SUFFIX_HEAD - 1, 64);
        own[64] = '\0';
        if (strcmp(sha, own) != 0)
            BAD("its content does not match its sha256: the line was edited");
        ft_json_reader *j = NULL;
        const ft_jv *o = NULL;
        ft_error jerr = {0};
        bool parsed = ft_json_open_buffer(&j, path, copy, blen, &jerr) == FT_OK &&
                      ft_json_next(j, &o, &jerr) == FT_OK && o && o->type == FT_JSON_OBJECT;
        const ft_jv *seq = parsed ? ft_jv_get(o, "seq") : NULL;
        const ft_jv *pv = parsed ? ft_jv_get(o, "prev") : NULL;
        int64_t s = seq && seq->type == FT_JSON_NUMBER ? strtoll(seq->s, NULL, 10) : -1;
        bool prev_ok = pv && pv->type == FT_JSON_STRING && strcmp(pv->s, prev) == 0;
        ft_json_close(j);
        if (!parsed && jerr.code == FT_ENOMEM) {
            rc = ft_error_oom(err);
            break;
        }
        if (!parsed)
            BAD("not JSON: %.400s", jerr.msg);
        if (s != no)
            BAD("its seq is %" PRId64 ", not %" PRId64 ": a line before it was removed or the "
                "lines were reordered",
                s, no);
        if (!prev_ok)
            BAD("its prev is not line %" PRId64 "'s sha256: a line before it was removed, "
                "replaced or reordered",
                no - 1);
        memcpy(prev, own, 65);
        memcpy(v->head, own, 65);
#undef BAD
    }
    if (rc == FT_OK && ferror(f))
        rc = ft_error_errno(err, FT_EIO, "read", path);
out:
    free(line);
    free(copy);
    fclose(f);
    return rc;
}

/* --- the reviewer's summary ------------------------------------------------------------------- */

typedef struct use {
    char *key;     /* the case, or the account */
    char *case_id; /* for accounts: the case */
    char *user, *purpose, *command;
    int64_t time_ms;
} use;

static int cmp_use(const void *a, const void *b)
{
    const use *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return (x->time_ms > y->time_ms) - (x->time_ms < y->time_ms);
}

static void use_free(use *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].case_id);
        free(v[i].user);
        free(v[i].purpose);
        free(v[i].command);
    }
    free(v);
}

static const char *str_of(const ft_jv *o, const char *key)
{
    const ft_jv *v = ft_jv_get(o, key);
    return v && v->type == FT_JSON_STRING ? v->s : "";
}

static ft_status add_use(use **v, size_t *n, size_t *cap, const char *key, const ft_jv *o,
                         int64_t t, ft_error *err)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        use *p = realloc(*v, c * sizeof *p);
        if (!p)
            return ft_error_oom(err);
        *v = p;
        *cap = c;
    }
    use *u = &(*v)[*n];
    memset(u, 0, sizeof *u);
    u->key = strdup(key);
    u->case_id = strdup(str_of(o, "case"));
    u->user = strdup(str_of(o, "user"));
    u->purpose = strdup(str_of(o, "purpose"));
    u->command = strdup(str_of(o, "command"));
    u->time_ms = t;
    (*n)++;
    if (!u->key || !u->case_id || !u->user || !u->purpose || !u->command)
        return ft_error_oom(err);
    return FT_OK;
}

static const char *field(const use *u, int which)
{
    return which == 0 ? u->user : which == 1 ? u->purpose : which == 2 ? u->case_id : u->command;
}

/* The distinct values of field `which` (0 user, 1 purpose, 2 case, 3
 * command) among v[0..n), joined by ", ", malloc'd; NULL out of memory. */
static char *distinct(const use *v, size_t n, int which)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(field(&v[i], which)) + 2;
    char *out = malloc(cap), *w = out;
    if (!out)
        return NULL;
    *w = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *s = field(&v[i], which);
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(s, field(&v[k], which)) == 0;
        if (!seen)
            w += sprintf(w, "%s%s", w == out ? "" : ", ", s);
    }
    return out;
}

static ft_status write_groups(FILE *out, ft_format fmt, const char *what, const use *v, size_t n,
                              ft_json *j, ft_error *err)
{
    bool acc = strcmp(what, "account") == 0;
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && strcmp(v[k].key, v[i].key) == 0)
            k++;
        char t0[40], t1[40];
        ft_time_format(v[i].time_ms, t0, sizeof t0);
        ft_time_format(v[k - 1].time_ms, t1, sizeof t1);
        char *users = distinct(v + i, k - i, 0);
        char *which = distinct(v + i, k - i, acc ? 2 : 1);
        char *cmds = distinct(v + i, k - i, 3);
        if (!users || !which || !cmds) {
            free(users);
            free(which);
            free(cmds);
            return ft_error_oom(err);
        }
        if (fmt == FT_FORMAT_TABLE) {
            fprintf(out,
                    "  %s: %zu command%s, %s to %s\n    users: %s\n    %s: %s\n"
                    "    commands: %s\n",
                    v[i].key, k - i, k - i == 1 ? "" : "s", t0, t1, users,
                    acc ? "cases" : "purposes", which, cmds);
        } else if (fmt == FT_FORMAT_CSV) {
            fprintf(out, "%s,", what);
            ft_csv_write_field(out, v[i].key, strlen(v[i].key));
            fprintf(out, ",%zu,%s,%s,", k - i, t0, t1);
            ft_csv_write_field(out, users, strlen(users));
            fputc(',', out);
            ft_csv_write_field(out, which, strlen(which));
            fputc('\n', out);
        } else {
            if (fmt == FT_FORMAT_JSONL)
                ft_json_init(j, out, false);
            ft_json_object(j, NULL);
            ft_json_cstr(j, "kind", what);
            ft_json_cstr(j, what, v[i].key);
            ft_json_int(j, "commands", (int64_t)(k - i));
            ft_json_cstr(j, "first_time", t0);
            ft_json_cstr(j, "last_time", t1);
            ft_json_cstr(j, "users", users);
            ft_json_cstr(j, acc ? "cases" : "purposes", which);
            ft_json_cstr(j, "commands_run", cmds);
            ft_json_end(j, '}');
            if (fmt == FT_FORMAT_JSONL)
                ft_json_finish(j);
        }
        free(users);
        free(which);
        free(cmds);
        i = k;
    }
    return FT_OK;
}

ft_status ft_audit_summary(const char *path, FILE *out, ft_format fmt, ft_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ft_error_errno(err, FT_EIO, "open the audit log", path);
    use *cases = NULL, *accounts = NULL;
    size_t nc = 0, cc = 0, na = 0, ca = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int64_t lines = 0, skipped = 0;
    ft_status rc = FT_OK;
    while (rc == FT_OK && (n = getline(&line, &cap, f)) > 0) {
        lines++;
        ft_json_reader *j = NULL;
        const ft_jv *o = NULL;
        ft_error jerr = {0};
        if (ft_json_open_buffer(&j, path, line, (size_t)n, &jerr) != FT_OK ||
            ft_json_next(j, &o, &jerr) != FT_OK || !o || o->type != FT_JSON_OBJECT) {
            ft_json_close(j);
            if (jerr.code == FT_ENOMEM) {
                rc = ft_error_oom(err);
                break;
            }
            skipped++;
            continue;
        }
        int64_t t = 0;
        const char *when = str_of(o, "time");
        ft_time_error why;
        ft_time_parse(when, strlen(when), &t, &why);
        rc = add_use(&cases, &nc, &cc, str_of(o, "case"), o, t, err);
        const ft_jv *ret = ft_jv_get(o, "returned");
        const ft_jv *acc = ret ? ft_jv_get(ret, "accounts") : NULL;
        for (uint32_t i = 0; rc == FT_OK && acc && acc->type == FT_JSON_ARRAY && i < acc->n; i++)
            if (acc->items[i].type == FT_JSON_STRING)
                rc = add_use(&accounts, &na, &ca, acc->items[i].s, o, t, err);
        ft_json_close(j);
    }
    free(line);
    fclose(f);
    if (rc == FT_OK) {
        qsort(cases, nc, sizeof *cases, cmp_use);
        qsort(accounts, na, sizeof *accounts, cmp_use);
        /* everything into memory first: an error leaves no partial summary */
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m)
            rc = ft_error_oom(err);
        ft_json j;
        if (rc == FT_OK && fmt == FT_FORMAT_TABLE) {
            fprintf(m, "%" PRId64 " command%s logged in %s%s\n\nper case:\n", lines - skipped,
                    lines - skipped == 1 ? "" : "s", path,
                    skipped ? " (some lines unreadable: run 'fundtrace audit verify')" : "");
            rc = write_groups(m, fmt, "case", cases, nc, &j, err);
            fputs("\nper account searched:\n", m);
            if (rc == FT_OK)
                rc = write_groups(m, fmt, "account", accounts, na, &j, err);
        } else if (rc == FT_OK && fmt == FT_FORMAT_JSON) {
            ft_json_init(&j, m, true);
            ft_json_object(&j, NULL);
            ft_json_int(&j, "commands", lines - skipped);
            ft_json_array(&j, "cases");
            rc = write_groups(m, fmt, "case", cases, nc, &j, err);
            ft_json_end(&j, ']');
            ft_json_array(&j, "accounts");
            if (rc == FT_OK)
                rc = write_groups(m, fmt, "account", accounts, na, &j, err);
            ft_json_end(&j, ']');
            ft_json_end(&j, '}');
            ft_json_finish(&j);
        } else if (rc == FT_OK) {
            if (fmt == FT_FORMAT_CSV)
                fputs("kind,key,commands,first_time,last_time,users,purposes_or_cases\n", m);
            rc = write_groups(m, fmt, "case", cases, nc, &j, err);
            if (rc == FT_OK)
                rc = write_groups(m, fmt, "account", accounts, na, &j, err);
        }
        if (m && fclose(m) != 0 && rc == FT_OK)
            rc = ft_error_oom(err);
        if (rc == FT_OK && text)
            fwrite(text, 1, len, out);
        free(text);
    }
    use_free(cases, nc);
    use_free(accounts, na);
    return rc;
}
