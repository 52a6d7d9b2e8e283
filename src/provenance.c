/*
 * provenance.c - the provenance record of an output: building it,
 * writing it per format, reading it back and checking data against it.
 */
#define _GNU_SOURCE /* memmem */
#include "fundtrace/provenance.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "fundtrace/hash.h"
#include "fundtrace/json.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/time.h"

int64_t ft_prov_now_ms(bool *fixed)
{
    const char *e = getenv("SOURCE_DATE_EPOCH");
    if (e && *e) {
        char *end;
        errno = 0;
        long long v = strtoll(e, &end, 10);
        if (!*end && errno == 0 && v >= 0 && v < 253402300800LL) {
            *fixed = true;
            return (int64_t)v * 1000;
        }
    }
    *fixed = false;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

ft_status ft_prov_init(ft_provenance *p, const char *command, int argc, char *const *argv,
                       ft_error *err)
{
    memset(p, 0, sizeof *p);
    p->time_ms = ft_prov_now_ms(&p->time_fixed);
    if (!(p->version = strdup(FT_VERSION)) || !(p->command = strdup(command)) ||
        !(p->argv = calloc((size_t)argc + 1, sizeof *p->argv)))
        goto oom;
    for (int i = 0; i < argc; i++) {
        if (!(p->argv[i] = strdup(i == 0 ? "fundtrace" : argv[i])))
            goto oom;
        p->argc = i + 1;
    }
    return FT_OK;
oom:
    ft_prov_free(p);
    return ft_error_oom(err);
}

ft_status ft_prov_param_add(ft_provenance *p, const char *name, const char *value, ft_error *err)
{
    if (p->nparams == p->cap_params) {
        size_t c = p->cap_params ? p->cap_params * 2 : 16;
        ft_prov_param *v = realloc(p->params, c * sizeof *v);
        if (!v)
            return ft_error_oom(err);
        p->params = v;
        p->cap_params = c;
    }
    ft_prov_param *x = &p->params[p->nparams];
    x->name = strdup(name);
    x->value = value ? strdup(value) : NULL;
    if (!x->name || (value && !x->value)) {
        free(x->name);
        free(x->value);
        return ft_error_oom(err);
    }
    p->nparams++;
    return FT_OK;
}

static void inputs_free(ft_provenance *p)
{
    for (size_t i = 0; i < p->ninputs; i++)
        free(p->inputs[i].path);
    free(p->inputs);
    free(p->snapshot);
    p->inputs = NULL;
    p->ninputs = 0;
    p->snapshot = NULL;
}

ft_status ft_prov_set_inputs(ft_provenance *p, const ft_store *s, const char *snapshot,
                             ft_error *err)
{
    inputs_free(p);
    size_t n = s->report.nsources > 0 ? (size_t)s->report.nsources : 0;
    if (!(p->inputs = calloc(n + 1, sizeof *p->inputs)) ||
        (snapshot && !(p->snapshot = strdup(snapshot))))
        goto oom;
    for (size_t i = 0; i < n; i++) {
        const ft_source *src = &s->report.sources[i];
        ft_prov_input *in = &p->inputs[i];
        if (!(in->path = strdup(src->path ? src->path : "")))
            goto oom;
        p->ninputs = i + 1;
        memcpy(in->sha256, src->sha256, sizeof in->sha256);
        in->sha256[64] = '\0';
        in->bytes = src->bytes;
        in->rows_read = src->rows_read;
        in->rows_loaded = src->rows_loaded;
        in->rows_rejected = src->rows_rejected;
    }
    if (!p->ninputs && n == 0)
        p->ninputs = 0;
    return FT_OK;
oom:
    inputs_free(p);
    return ft_error_oom(err);
}

ft_status ft_prov_add_file(ft_provenance *p, const char *option, const char *path, ft_error *err)
{
    ft_prov_file *v = realloc(p->files, (p->nfiles + 1) * sizeof *v);
    if (!v)
        return ft_error_oom(err);
    p->files = v;
    ft_prov_file *x = &v[p->nfiles];
    memset(x, 0, sizeof *x);
    if (!(x->option = strdup(option)) || !(x->path = strdup(path))) {
        free(x->option);
        free(x->path);
        return ft_error_oom(err);
    }
    p->nfiles++;
    ft_error ignored;
    if (strcmp(path, "-") == 0 || ft_sha256_file(path, x->sha256, NULL, &ignored) != FT_OK)
        x->sha256[0] = '\0';
    return FT_OK;
}

void ft_prov_free(ft_provenance *p)
{
    for (size_t i = 0; i < p->nfiles; i++) {
        free(p->files[i].option);
        free(p->files[i].path);
    }
    free(p->files);
    free(p->version);
    free(p->command);
    for (int i = 0; i < p->argc; i++)
        free(p->argv[i]);
    free(p->argv);
    for (size_t i = 0; i < p->nparams; i++) {
        free(p->params[i].name);
        free(p->params[i].value);
    }
    free(p->params);
    inputs_free(p);
    memset(p, 0, sizeof *p);
}

/* --- writing --------------------------------------------------------------------------------- */

/* An argument as a POSIX shell reads it back. */
static void shell_word(FILE *f, const char *s)
{
    bool plain = *s != '\0';
    for (const char *c = s; *c && plain; c++)
        plain = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=,@%+-",
                       *c) != NULL;
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (const char *c = s; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", f);
        else
            fputc(*c, f);
    }
    fputc('\'', f);
}

char *ft_prov_command_line(const ft_provenance *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    for (int i = 0; i < p->argc; i++) {
        if (i)
            fputc(' ', f);
        shell_word(f, p->argv[i]);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void write_record(ft_json *j, const char *key, const ft_provenance *p, const char *cmdline)
{
    char when[40];
    ft_time_format(p->time_ms, when, sizeof when);
    ft_json_object(j, key);
    ft_json_cstr(j, "kind", "provenance");
    ft_json_cstr(j, "tool", "fundtrace");
    ft_json_cstr(j, "version", p->version ? p->version : "");
    ft_json_cstr(j, "command", p->command ? p->command : "");
    ft_json_cstr(j, "command_line", cmdline);
    ft_json_array(j, "argv");
    for (int i = 0; i < p->argc; i++)
        ft_json_cstr(j, NULL, p->argv[i]);
    ft_json_end(j, ']');
    ft_json_array(j, "parameters");
    for (size_t i = 0; i < p->nparams; i++) {
        ft_json_object(j, NULL);
        ft_json_cstr(j, "option", p->params[i].name);
        if (p->params[i].value)
            ft_json_cstr(j, "value", p->params[i].value);
        else
            ft_json_bool(j, "value", true);
        ft_json_end(j, '}');
    }
    ft_json_end(j, ']');
    ft_json_cstr(j, "time", when);
    ft_json_cstr(j, "time_from", p->time_fixed ? "SOURCE_DATE_EPOCH" : "clock");
    if (p->snapshot)
        ft_json_cstr(j, "snapshot", p->snapshot);
    else
        ft_json_raw(j, "snapshot", "null");
    ft_json_array(j, "inputs");
    for (size_t i = 0; i < p->ninputs; i++) {
        const ft_prov_input *in = &p->inputs[i];
        ft_json_object(j, NULL);
        ft_json_cstr(j, "path", in->path);
        ft_json_cstr(j, "sha256", in->sha256);
        ft_json_int(j, "bytes", (int64_t)in->bytes);
        ft_json_int(j, "rows_read", in->rows_read);
        ft_json_int(j, "rows_loaded", in->rows_loaded);
        ft_json_int(j, "rows_rejected", in->rows_rejected);
        ft_json_end(j, '}');
    }
    ft_json_end(j, ']');
    ft_json_array(j, "files");
    for (size_t i = 0; i < p->nfiles; i++) {
        ft_json_object(j, NULL);
        ft_json_cstr(j, "option", p->files[i].option);
        ft_json_cstr(j, "path", p->files[i].path);
        ft_json_cstr(j, "sha256", p->files[i].sha256);
        ft_json_end(j, '}');
    }
    ft_json_end(j, ']');
    if (p->key_fingerprint[0])
        ft_json_cstr(j, "pseudonymised_key", p->key_fingerprint);
    if (p->periods_of) {
        ft_json_object(j, "periods");
        ft_json_int(j, "read", (int64_t)p->periods_read);
        ft_json_int(j, "of", (int64_t)p->periods_of);
        ft_json_cstr(j, "first", p->period_first);
        ft_json_cstr(j, "last", p->period_last);
        ft_json_end(j, '}');
    }
    if (p->range) {
        char t[40];
        ft_json_object(j, "time_range");
        if (p->range_from_ms == INT64_MIN) {
            ft_json_raw(j, "from", "null");
        } else {
            ft_time_format(p->range_from_ms, t, sizeof t);
            ft_json_cstr(j, "from", t);
        }
        if (p->range_until_ms == INT64_MAX) {
            ft_json_raw(j, "until", "null");
        } else {
            ft_time_format(p->range_until_ms, t, sizeof t);
            ft_json_cstr(j, "until", t);
        }
        ft_json_int(j, "transfers", p->range_rows);
        ft_json_end(j, '}');
    }
    ft_json_end(j, '}');
}

void ft_prov_write_member(ft_json *j, const char *key, const ft_provenance *p)
{
    char *cl = ft_prov_command_line(p);
    write_record(j, key, p, cl ? cl : "");
    free(cl);
}

char *ft_prov_json(const ft_provenance *p)
{
    char *cl = ft_prov_command_line(p);
    if (!cl)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        free(cl);
        return NULL;
    }
    ft_json j;
    ft_json_init(&j, f, false);
    write_record(&j, NULL, p, cl);
    free(cl);
    if (fclose(f) != 0 || !text) {
        free(text);
        return NULL;
    }
    return text;
}

bool ft_prov_csv_comments(FILE *f, const ft_provenance *p)
{
    char *json = ft_prov_json(p);
    char *cl = ft_prov_command_line(p);
    if (!json || !cl) {
        free(json);
        free(cl);
        return false;
    }
    char when[40];
    ft_time_format(p->time_ms, when, sizeof when);
    fprintf(f, "# fundtrace %s, %s\n# command: %s\n", p->version, when, cl);
    if (p->snapshot)
        fprintf(f, "# snapshot: %s\n", p->snapshot);
    for (size_t i = 0; i < p->ninputs; i++)
        fprintf(f, "# input: %s sha256 %s, %" PRId64 " rows read, %" PRId64 " loaded\n",
                p->inputs[i].path, p->inputs[i].sha256, p->inputs[i].rows_read,
                p->inputs[i].rows_loaded);
    fprintf(f, "# %s\n", json);
    free(json);
    free(cl);
    return true;
}

bool ft_prov_begin(FILE *f, const ft_provenance *p, ft_format fmt, bool csv)
{
    if (fmt == FT_FORMAT_CSV)
        return !csv || ft_prov_csv_comments(f, p);
    if (fmt != FT_FORMAT_JSON && fmt != FT_FORMAT_JSONL && fmt != FT_FORMAT_DOT)
        return true;
    char *json = ft_prov_json(p);
    if (!json)
        return false;
    if (fmt == FT_FORMAT_DOT)
        fprintf(f, "// %s\n", json);
    else if (fmt == FT_FORMAT_JSON)
        fprintf(f, "{\"provenance\": %s,\n\"results\": ", json);
    else
        fprintf(f, "%s\n", json);
    free(json);
    return true;
}

void ft_prov_end(FILE *f, ft_format fmt)
{
    if (fmt == FT_FORMAT_JSON)
        fputs("}\n", f);
}

/* --- reading back ---------------------------------------------------------------------------- */

static char *dup_str(const ft_jv *v)
{
    return v && v->type == FT_JSON_STRING ? strdup(v->s) : strdup("");
}

static int64_t num(const ft_jv *v)
{
    return v && v->type == FT_JSON_NUMBER ? strtoll(v->s, NULL, 10) : 0;
}

static ft_status from_json(ft_provenance *p, const ft_jv *o, ft_error *err)
{
    memset(p, 0, sizeof *p);
    const ft_jv *argv = ft_jv_get(o, "argv"), *inputs = ft_jv_get(o, "inputs");
    const ft_jv *snap = ft_jv_get(o, "snapshot"), *when = ft_jv_get(o, "time");
    if (!(p->version = dup_str(ft_jv_get(o, "version"))) ||
        !(p->command = dup_str(ft_jv_get(o, "command"))))
        goto oom;
    if (when && when->type == FT_JSON_STRING) {
        ft_time_error why;
        ft_time_parse(when->s, strlen(when->s), &p->time_ms, &why);
    }
    if (argv && argv->type == FT_JSON_ARRAY) {
        if (!(p->argv = calloc((size_t)argv->n + 1, sizeof *p->argv)))
            goto oom;
        for (uint32_t i = 0; i < argv->n; i++) {
            if (!(p->argv[i] = dup_str(&argv->items[i])))
                goto oom;
            p->argc = (int)i + 1;
        }
    }
    if (snap && snap->type == FT_JSON_STRING && !(p->snapshot = strdup(snap->s)))
        goto oom;
    if (inputs && inputs->type == FT_JSON_ARRAY) {
        if (!(p->inputs = calloc((size_t)inputs->n + 1, sizeof *p->inputs)))
            goto oom;
        for (uint32_t i = 0; i < inputs->n; i++) {
            const ft_jv *in = &inputs->items[i];
            ft_prov_input *x = &p->inputs[i];
            if (!(x->path = dup_str(ft_jv_get(in, "path"))))
                goto oom;
            p->ninputs = i + 1;
            const ft_jv *sha = ft_jv_get(in, "sha256");
            snprintf(x->sha256, sizeof x->sha256, "%s",
                     sha && sha->type == FT_JSON_STRING ? sha->s : "");
            x->bytes = (uint64_t)num(ft_jv_get(in, "bytes"));
            x->rows_read = num(ft_jv_get(in, "rows_read"));
            x->rows_loaded = num(ft_jv_get(in, "rows_loaded"));
            x->rows_rejected = num(ft_jv_get(in, "rows_rejected"));
        }
    }
    const ft_jv *files = ft_jv_get(o, "files");
    if (files && files->type == FT_JSON_ARRAY) {
        if (!(p->files = calloc((size_t)files->n + 1, sizeof *p->files)))
            goto oom;
        for (uint32_t i = 0; i < files->n; i++) {
            const ft_jv *in = &files->items[i];
            ft_prov_file *x = &p->files[i];
            x->option = dup_str(ft_jv_get(in, "option"));
            x->path = dup_str(ft_jv_get(in, "path"));
            p->nfiles = i + 1;
            if (!x->option || !x->path)
                goto oom;
            const ft_jv *sha = ft_jv_get(in, "sha256");
            snprintf(x->sha256, sizeof x->sha256, "%s",
                     sha && sha->type == FT_JSON_STRING ? sha->s : "");
        }
    }
    const ft_jv *key = ft_jv_get(o, "pseudonymised_key");
    if (key && key->type == FT_JSON_STRING)
        snprintf(p->key_fingerprint, sizeof p->key_fingerprint, "%s", key->s);
    return FT_OK;
oom:
    ft_prov_free(p);
    return ft_error_oom(err);
}

/* XML text back to its characters: the entities the writers use. */
static size_t xml_unescape(char *s, size_t n)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        bool done = false;
        for (size_t e = 0; e < sizeof ents / sizeof ents[0] && s[i] == '&'; e++) {
            size_t l = strlen(ents[e].ent);
            if (i + l <= n && memcmp(s + i, ents[e].ent, l) == 0) {
                s[w++] = ents[e].c;
                i += l;
                done = true;
                break;
            }
        }
        if (!done)
            s[w++] = s[i++];
    }
    return w;
}

ft_status ft_prov_read(ft_provenance *p, const char *output, ft_error *err)
{
    memset(p, 0, sizeof *p);
    int fd = open(output, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ft_error_errno(err, FT_EIO, "open", output);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return ft_error_oom(err);
    }
    while (n < cap) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            ft_status rc = ft_error_errno(err, FT_EIO, "read", output);
            free(buf);
            close(fd);
            return rc;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = '\0';
    /* The marker with its quotes as JSON writes them, or as XML text
     * escapes them. */
    char *at = memmem(buf, n, FT_PROV_MARK, strlen(FT_PROV_MARK));
    bool xml = false;
    if (!at) {
        static const char esc[] = "{&quot;kind&quot;:&quot;provenance&quot;";
        at = memmem(buf, n, esc, sizeof esc - 1);
        xml = at != NULL;
    }
    if (!at) {
        free(buf);
        return ft_error_set(err, FT_EINPUT,
                            "%s: carries no provenance record (written with --no-provenance, "
                            "or a CSV without --provenance, or not a fundtrace output?)",
                            output);
    }
    size_t len = strcspn(at, "\n");
    char *lt = memchr(at, '<', len);
    if (lt)
        len = (size_t)(lt - at);
    xml = xml || lt != NULL;
    if (xml)
        len = xml_unescape(at, len);
    /* The object ends where its braces balance (a JSON wrapper goes on
     * after it on the same line). */
    int depth = 0;
    bool str = false;
    size_t end = 0;
    for (size_t i = 0; i < len; i++) {
        char c = at[i];
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = false;
        } else if (c == '"') {
            str = true;
        } else if (c == '{') {
            depth++;
        } else if (c == '}' && --depth == 0) {
            end = i + 1;
            break;
        }
    }
    ft_json_reader *r = NULL;
    const ft_jv *v = NULL;
    ft_status rc =
        end ? ft_json_open_buffer(&r, output, at, end, err)
            : ft_error_set(err, FT_EINPUT, "%s: the provenance record is cut short", output);
    if (rc == FT_OK) {
        ft_json_keep_provenance(r);
        rc = ft_json_next(r, &v, err);
    }
    if (rc == FT_OK && (!v || v->type != FT_JSON_OBJECT))
        rc = ft_error_set(err, FT_EINPUT, "%s: the provenance record is not an object", output);
    if (rc == FT_OK)
        rc = from_json(p, v, err);
    ft_json_close(r);
    free(buf);
    return rc;
}

/* --- verify ---------------------------------------------------------------------------------- */

ft_status ft_sha256_file(const char *path, char hex[65], uint64_t *bytes, ft_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ft_error_errno(err, FT_EIO, "open", path);
    ft_sha256 h;
    ft_status rc = ft_sha256_init(&h, err);
    if (rc != FT_OK) {
        close(fd);
        return rc;
    }
    char buf[1 << 15];
    uint64_t total = 0;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = ft_error_errno(err, FT_EIO, "read", path);
            ft_sha256_free(&h);
            close(fd);
            return rc;
        }
        if (got == 0)
            break;
        ft_sha256_update(&h, buf, (size_t)got);
        total += (uint64_t)got;
    }
    close(fd);
    ft_sha256_final(&h, hex);
    if (bytes)
        *bytes = total;
    return FT_OK;
}

static ft_status say(ft_verify *r, bool ok, ft_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static ft_status say(ft_verify *r, bool ok, ft_error *err, const char *fmt, ...)
{
    if (r->n == r->cap) {
        size_t c = r->cap ? r->cap * 2 : 8;
        ft_verify_line *v = realloc(r->v, c * sizeof *v);
        if (!v)
            return ft_error_oom(err);
        r->v = v;
        r->cap = c;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!text)
        return ft_error_oom(err);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    r->v[r->n].text = text;
    r->v[r->n].ok = ok;
    r->n++;
    r->bad += !ok;
    return FT_OK;
}

void ft_verify_free(ft_verify *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].text);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int find_sha(const ft_provenance *p, const char *sha, const bool *used)
{
    for (size_t i = 0; i < p->ninputs; i++)
        if (!used[i] && strcmp(p->inputs[i].sha256, sha) == 0)
            return (int)i;
    return -1;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The input named like `path` (same file name), to say what it had. */
static int find_name(const ft_provenance *p, const char *path)
{
    for (size_t i = 0; i < p->ninputs; i++)
        if (strcmp(base(p->inputs[i].path), base(path)) == 0)
            return (int)i;
    return -1;
}

ft_status ft_prov_verify(const ft_provenance *p, const char *const *data, int ndata, ft_verify *r,
                         ft_error *err)
{
    memset(r, 0, sizeof *r);
    bool *used = calloc(p->ninputs + 1, sizeof *used);
    if (!used)
        return ft_error_oom(err);
    ft_status rc = FT_OK;
    for (int d = 0; d < ndata && rc == FT_OK; d++) {
        const char *path = data[d];
        if (ft_snapshot_is(path)) {
            ft_store s = {0};
            if ((rc = ft_snapshot_read(&s, path, err)) != FT_OK)
                break;
            for (int i = 0; i < s.report.nsources && rc == FT_OK; i++) {
                const ft_source *src = &s.report.sources[i];
                int k = find_sha(p, src->sha256, used);
                if (k >= 0) {
                    used[k] = true;
                    rc = say(r, true, err, "%s: input %s: SHA-256 %s matches", path, src->path,
                             src->sha256);
                } else {
                    rc = say(r, false, err,
                             "%s: input %s: SHA-256 %s is not that of any input the output "
                             "names",
                             path, src->path, src->sha256);
                }
            }
            ft_store_free(&s);
            continue;
        }
        char hex[65];
        uint64_t bytes;
        if ((rc = ft_sha256_file(path, hex, &bytes, err)) != FT_OK)
            break;
        int k = find_sha(p, hex, used);
        if (k >= 0) {
            used[k] = true;
            rc = say(r, true, err, "%s: SHA-256 %s matches input %s", path, hex, p->inputs[k].path);
            continue;
        }
        int opt = -1;
        for (size_t i = 0; i < p->nfiles && opt < 0; i++)
            if (strcmp(p->files[i].sha256, hex) == 0)
                opt = (int)i;
        if (opt >= 0) {
            rc = say(r, true, err, "%s: SHA-256 %s matches the --%s file %s", path, hex,
                     p->files[opt].option, p->files[opt].path);
            continue;
        }
        int named = find_name(p, path);
        if (named >= 0)
            rc = say(r, false, err,
                     "%s: SHA-256 %s differs: the output was made from %s with SHA-256 %s "
                     "(%" PRIu64 " bytes; this file has %" PRIu64 ")",
                     path, hex, p->inputs[named].path, p->inputs[named].sha256,
                     p->inputs[named].bytes, bytes);
        else
            rc = say(r, false, err, "%s: SHA-256 %s is not that of any input the output names",
                     path, hex);
    }
    for (size_t i = 0; i < p->ninputs && rc == FT_OK; i++)
        if (!used[i])
            rc = say(r, false, err,
                     "%s (SHA-256 %s), an input of the output, is not among the "
                     "data given",
                     p->inputs[i].path, p->inputs[i].sha256);
    free(used);
    if (rc != FT_OK)
        ft_verify_free(r);
    return rc;
}
