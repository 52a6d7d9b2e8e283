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

uint64_t ft_shard_run_id(int argc, char *const *argv)
{
    uint64_t h = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--shard") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--shard=", 8) == 0)
            continue;
        h = ft_xxh64(argv[i], strlen(argv[i]) + 1, h);
    }
    return h;
}

void ft_shard_header(FILE *f, const char *command, const ft_shard *sh, uint64_t run, int status)
{
    fprintf(f, "fundtrace-shard 1 %s %" PRIu32 "/%" PRIu32 " run=%016" PRIx64 " status=%d\n",
            command, sh->index + 1, sh->count, run, status);
}

typedef struct part {
    const char *path;
    FILE *f;
    char command[32];
    uint32_t index, count;
    uint64_t run;
    int status;
} part;

static ft_status read_header(part *p, ft_error *err)
{
    char line[256];
    if (!fgets(line, sizeof line, p->f))
        return ft_error_set(err, FT_EINPUT, "%s: is empty: not a shard's output", p->path);
    int n = 0;
    if (sscanf(line, "fundtrace-shard 1 %31s %" SCNu32 "/%" SCNu32 " run=%" SCNx64 " status=%d%n",
               p->command, &p->index, &p->count, &p->run, &p->status, &n) != 5 ||
        line[n] != '\n' || p->index < 1 || p->index > p->count)
        return ft_error_set(err, FT_EINPUT,
                            "%s:1: not a shard's output (it starts with no 'fundtrace-shard' "
                            "line: run the command with --shard I/N)",
                            p->path);
    p->index--;
    return FT_OK;
}

ft_status ft_shard_merge(FILE *f, const char *const *paths, int npaths, int *status, ft_error *err)
{
    ft_status rc = FT_OK;
    part *parts = calloc((size_t)(npaths ? npaths : 1), sizeof *parts);
    part **order = calloc((size_t)(npaths ? npaths : 1), sizeof *order);
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
        const part *p = &parts[i], *q = &parts[0];
        if (strcmp(p->command, q->command) != 0 || p->run != q->run || p->count != q->count)
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
    bool found = false, failed = false;
    char buf[1 << 16];
    for (int i = 0; i < npaths && rc == FT_OK; i++) {
        part *p = order[i];
        found |= p->status == 0;
        failed |= p->status != 0 && p->status != 1;
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p->f)) > 0)
            if (fwrite(buf, 1, n, f) != n)
                break;
        if (ferror(p->f))
            rc = ft_error_errno(err, FT_EIO, "read", p->path);
    }
    *status = failed ? 2 : found ? 0 : 1;
done:
    for (int i = 0; parts && i < npaths; i++)
        if (parts[i].f)
            fclose(parts[i].f);
    free(parts);
    free(order);
    return rc;
}
