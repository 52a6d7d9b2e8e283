/*
 * shard.c - parts of one run and their join (shard.h).
 *
 * A part is its header line and then the output bytes of that part, so
 * the join checks the headers and copies the bytes; nothing is parsed
 * or formatted again, and nothing can differ from one run's output.
 */
#include "fundtrace/shard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/hash.h"
#include "fundtrace/store.h"

bool ft_shard_parse(const char *s, ft_shard *out)
{
    char *end;
    errno = 0;
    unsigned long i = strtoul(s, &end, 10);
    if (end == s || *end != '/' || s[0] == '-' || errno)
        return false;
    const char *t = end + 1;
    unsigned long n = strtoul(t, &end, 10);
    if (end == t || *end || t[0] == '-' || errno || i < 1 || n < 1 || i > n || n > 65535)
        return false;
    out->index = (uint32_t)(i - 1);
    out->count = (uint32_t)n;
    return true;
}

void ft_shard_range(const ft_shard *sh, uint64_t n, uint64_t *lo, uint64_t *hi)
{
    if (!sh || sh->count == 0) {
        *lo = 0;
        *hi = n;
        return;
    }
    *lo = n * sh->index / sh->count;
    *hi = n * (sh->index + 1) / sh->count;
}

/* Whether argv[*i] is the --shard option; if so *i moves to its last word. */
static bool shard_option(int argc, char *const *argv, int *i)
{
    if (strcmp(argv[*i], "--shard") == 0) {
        *i += *i + 1 < argc;
        return true;
    }
    return strncmp(argv[*i], "--shard=", 8) == 0;
}

uint64_t ft_shard_run_id(int argc, char *const *argv)
{
    uint64_t h = 0;
    for (int i = 1; i < argc; i++)
        if (!shard_option(argc, argv, &i))
            h = ft_xxh64(argv[i], strlen(argv[i]) + 1, h);
    return h;
}

size_t ft_shard_header_text(char *buf, size_t cap, const char *command, const ft_shard *sh,
                            uint64_t run, int status)
{
    int n = snprintf(buf, cap,
                     "fundtrace-shard 1 %s %" PRIu32 "/%" PRIu32 " run=%016" PRIx64 " status=%d\n",
                     command, sh->index + 1, sh->count, run, status);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

void ft_shard_header(FILE *f, const char *command, const ft_shard *sh, uint64_t run, int status)
{
    char line[200];
    fputs(ft_shard_header_text(line, sizeof line, command, sh, run, status) ? line : "", f);
}

void ft_shard_header_args(FILE *f, const char *command, const ft_shard *sh, int argc,
                          char *const *argv, int status)
{
    int k = 0;
    for (int i = 1; i < argc; i++)
        k += !shard_option(argc, argv, &i);
    fprintf(f,
            "fundtrace-shard 1 %s %" PRIu32 "/%" PRIu32 " run=%016" PRIx64 " status=%d args=%d\n",
            command, sh->index + 1, sh->count, ft_shard_run_id(argc, argv), status, k);
    for (int i = 1; i < argc; i++) {
        if (shard_option(argc, argv, &i))
            continue;
        fputs("arg ", f);
        ft_shard_escape(f, argv[i], strlen(argv[i]));
        fputc('\n', f);
    }
}

void ft_shard_escape(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' || c < 0x20 || c == 0x7f)
            fprintf(f, "%%%02X", c);
        else
            fputc(c, f);
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool ft_shard_unescape(char *s, size_t *len)
{
    size_t w = 0;
    for (size_t i = 0; i < *len; i++) {
        if (s[i] != '%') {
            s[w++] = s[i];
            continue;
        }
        int hi = i + 2 < *len ? hexval(s[i + 1]) : -1, lo = hi >= 0 ? hexval(s[i + 2]) : -1;
        if (lo < 0)
            return false;
        s[w++] = (char)(hi << 4 | lo);
        i += 2;
    }
    *len = w;
    s[w] = '\0';
    return true;
}

/* Reads part p's header line (and its args). */
static ft_status read_header(ft_shard_part *p, ft_error *err)
{
    char line[256];
    if (!fgets(line, sizeof line, p->f))
        return ft_error_set(err, FT_EINPUT, "%s: is empty: not a shard's output", p->path);
    p->line = 1;
    int n = 0, m = 0;
    if (sscanf(line, "fundtrace-shard 1 %31s %" SCNu32 "/%" SCNu32 " run=%" SCNx64 " status=%d%n",
               p->command, &p->index, &p->count, &p->run, &p->status, &n) != 5 ||
        (line[n] != '\n' && (sscanf(line + n, " args=%d%n", &p->nargs, &m) != 1 ||
                             line[n + m] != '\n' || p->nargs < 0 || p->nargs > 100000)) ||
        p->index < 1 || p->index > p->count)
        return ft_error_set(err, FT_EINPUT,
                            "%s:1: not a shard's output (it starts with no 'fundtrace-shard' "
                            "line: run the command with --shard I/N)",
                            p->path);
    p->index--;
    if (p->nargs && !(p->args = calloc((size_t)p->nargs, sizeof *p->args)))
        return ft_error_oom(err);
    for (int i = 0; i < p->nargs; i++) {
        char *buf = NULL;
        size_t cap = 0;
        errno = 0;
        ssize_t len = getline(&buf, &cap, p->f);
        p->line++;
        if (len < 0) {
            free(buf);
            if (errno == ENOMEM)
                return ft_error_oom(err);
            return ft_error_set(err, FT_EINPUT, "%s:%" PRId64 ": the part ends in its arguments",
                                p->path, p->line);
        }
        p->args[i] = buf;
        size_t l = (size_t)len;
        if (l && buf[l - 1] == '\n')
            buf[--l] = '\0';
        bool ok = l >= 4 && memcmp(buf, "arg ", 4) == 0;
        if (ok) {
            memmove(buf, buf + 4, l - 3); /* and the NUL */
            l -= 4;
            ok = ft_shard_unescape(buf, &l) && strlen(buf) == l;
        }
        if (!ok)
            return ft_error_set(err, FT_EINPUT, "%s:%" PRId64 ": not an 'arg' line", p->path,
                                p->line);
    }
    return FT_OK;
}

static void part_free(ft_shard_part *p)
{
    if (p->f)
        fclose(p->f);
    for (int k = 0; p->args && k < p->nargs; k++)
        free(p->args[k]);
    free(p->args);
}

void ft_shard_parts_close(ft_shard_parts *ps)
{
    for (int i = 0; ps->v && i < ps->n; i++)
        part_free(&ps->v[i]);
    free(ps->v);
    memset(ps, 0, sizeof *ps);
}

ft_status ft_shard_parts_open(ft_shard_parts *ps, const char *const *paths, int npaths,
                              ft_error *err)
{
    memset(ps, 0, sizeof *ps);
    ft_status rc = FT_OK;
    /* parts owns the files until they are all checked; then they move to
     * ps->v in shard order. */
    ft_shard_part *parts = calloc((size_t)(npaths ? npaths : 1), sizeof *parts);
    ft_shard_part **order = calloc((size_t)(npaths ? npaths : 1), sizeof *order);
    if (!parts || !order) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (int i = 0; i < npaths && rc == FT_OK; i++) {
        parts[i].path = paths[i];
        if (!(parts[i].f = fopen(paths[i], "rb")))
            rc = ft_error_errno(err, FT_EIO, "open", paths[i]);
        else
            rc = read_header(&parts[i], err);
    }
    for (int i = 0; i < npaths && rc == FT_OK; i++) {
        const ft_shard_part *p = &parts[i], *q = &parts[0];
        bool same_args = p->nargs == q->nargs;
        for (int k = 0; same_args && k < p->nargs; k++)
            same_args = strcmp(p->args[k], q->args[k]) == 0;
        if (strcmp(p->command, q->command) != 0 || p->run != q->run || p->count != q->count ||
            !same_args)
            rc = ft_error_set(err, FT_EINPUT,
                              "%s: is a part of another run than %s (%s %" PRIu32
                              " parts, run %016" PRIx64 ")",
                              p->path, q->path, q->command, q->count, q->run);
        else if ((int)p->count != npaths)
            rc = ft_error_set(err, FT_EINPUT,
                              "the run has %" PRIu32 " parts and %d were given: give each once",
                              p->count, npaths);
        else if (order[p->index])
            rc = ft_error_set(err, FT_EINPUT, "%s and %s: both are part %" PRIu32 " of %" PRIu32,
                              order[p->index]->path, p->path, p->index + 1, p->count);
        else
            order[p->index] = &parts[i];
    }
    if (rc == FT_OK) {
        bool found = false, failed = false;
        for (int i = 0; i < npaths; i++) {
            found |= order[i]->status == 0;
            failed |= order[i]->status != 0 && order[i]->status != 1;
        }
        ps->status = failed ? 2 : found ? 0 : 1;
        ps->v = calloc((size_t)(npaths ? npaths : 1), sizeof *ps->v);
        if (!ps->v) {
            rc = ft_error_oom(err);
            goto done;
        }
        for (int i = 0; i < npaths; i++)
            ps->v[i] = *order[i];
        ps->n = npaths;
        free(parts);
        parts = NULL;
    }
done:
    for (int i = 0; parts && i < npaths; i++)
        part_free(&parts[i]);
    free(parts);
    free(order);
    return rc;
}

ft_status ft_shard_parts_copy(const ft_shard_parts *ps, FILE *f, ft_error *err)
{
    char buf[1 << 16];
    for (int i = 0; i < ps->n; i++) {
        const ft_shard_part *p = &ps->v[i];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p->f)) > 0)
            if (fwrite(buf, 1, n, f) != n)
                return ft_error_errno(err, FT_EIO, "write", "the output");
        if (ferror(p->f))
            return ft_error_errno(err, FT_EIO, "read", p->path);
    }
    return FT_OK;
}

ft_status ft_shard_merge(FILE *f, const char *const *paths, int npaths, int *status, ft_error *err)
{
    ft_shard_parts ps;
    ft_status rc = ft_shard_parts_open(&ps, paths, npaths, err);
    if (rc != FT_OK)
        return rc;
    rc = ft_shard_parts_copy(&ps, f, err);
    *status = ps.status;
    ft_shard_parts_close(&ps);
    return rc;
}

uint64_t ft_shard_data_id(const ft_store *s)
{
    size_t n = (size_t)s->t.n;
    uint64_t h = ft_xxh64(&s->t.n, sizeof s->t.n, 0x5ca1e);
    h = ft_xxh64(&s->accounts.n, sizeof s->accounts.n, h);
    if (n) {
        h = ft_xxh64(s->t.ts_ms, n * sizeof *s->t.ts_ms, h);
        h = ft_xxh64(s->t.amount, n * sizeof *s->t.amount, h);
        h = ft_xxh64(s->t.src, n * sizeof *s->t.src, h);
        h = ft_xxh64(s->t.dst, n * sizeof *s->t.dst, h);
        h = ft_xxh64(s->t.cur, n * sizeof *s->t.cur, h);
    }
    return h;
}
