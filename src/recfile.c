/*
 * recfile.c - opening a file of records and reading its CSV rows by
 * column (see recfile.h).
 */
#include "recfile.h"

#include "slurp.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first byte that is not white space (nor a UTF-8 byte order mark)
 * of up to `len` bytes, or -1. */
static int first_byte(const unsigned char *p, size_t len)
{
    size_t i = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
    for (; i < len; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return p[i];
    return -1;
}

ft_status rf_open(rf *f, const char *path, const char *data, size_t len, ft_error *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (!(f->name = strdup(path)))
        return ft_error_oom(err);
    ft_status rc;
    int c;
    if (!data && strcmp(path, "-") == 0) {
        if ((rc = ft_slurp(stdin, "standard input", &f->mem, &len, err)) != FT_OK)
            return rc;
        data = f->mem;
    }
    if (data) {
        c = first_byte((const unsigned char *)data, len);
    } else {
        /* look at the start, then read from the beginning */
        f->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0)
            return ft_error_errno(err, FT_EIO, "open", path);
        unsigned char head[4096];
        ssize_t got = pread(f->fd, head, sizeof head, 0);
        if (got < 0)
            return ft_error_errno(err, FT_EIO, "read", path);
        c = first_byte(head, (size_t)got);
    }
    if (c == '#') {
        /* CSV with '#' lines before the header (--provenance): read whole,
         * the comment lines left out */
        if (!data) {
            FILE *in = fdopen(f->fd, "rb");
            if (!in)
                return ft_error_errno(err, FT_EIO, "read", path);
            f->fd = -1;
            rc = ft_slurp(in, path, &f->mem, &len, err);
            fclose(in);
            if (rc != FT_OK)
                return rc;
            data = f->mem;
        }
        size_t at = 0;
        while (at < len && data[at] == '#') {
            const char *nl = memchr(data + at, '\n', len - at);
            at = nl ? (size_t)(nl - data) + 1 : len;
        }
        data += at;
        len -= at;
        c = first_byte((const unsigned char *)data, len);
    }
    f->first = c;
    if (c == '[' || c == '{' || c < 0) {
        f->kind = RF_JSON;
        if (data)
            return ft_json_open_buffer(&f->json, path, data, len, err);
        close(f->fd);
        f->fd = -1;
        return ft_json_open(&f->json, path, err);
    }
    f->kind = RF_CSV;
    if ((rc = ft_csv_open(&f->csv, path, f->fd, data, len, ',', NULL, NULL, err)) != FT_OK)
        return rc;
    /* the header */
    const ft_csv_batch *b;
    const ft_csv_row *r = NULL;
    while (!r && (b = ft_csv_next(f->csv)) != NULL)
        if (b->nrows)
            r = &b->rows[0], f->batch = b, f->row = 1;
    if (!r) {
        rc = ft_csv_close(f->csv, NULL, NULL, err);
        f->csv = NULL;
        return rc != FT_OK ? rc : ft_error_at(err, FT_EINPUT, path, 1, 0, "an empty file");
    }
    if (r->kind != FT_CSV_ROW)
        return ft_error_at(err, FT_EINPUT, path, r->line, r->col, "malformed quotes");
    if (!(f->cols = calloc(r->nf + 1, sizeof *f->cols)))
        return ft_error_oom(err);
    for (uint32_t i = 0; i < r->nf; i++) {
        size_t n;
        const char *s = ft_csv_field(b, r, (int)i, &n);
        if (!(f->cols[i] = strndup(s, n)))
            return ft_error_oom(err);
        f->ncols++;
    }
    return FT_OK;
}

ft_status rf_csv_next(rf *f, const ft_csv_batch **batch, const ft_csv_row **row, ft_error *err)
{
    *row = NULL;
    while (f->batch && f->row >= f->batch->nrows) {
        f->batch = ft_csv_next(f->csv);
        f->row = 0;
    }
    if (!f->batch) {
        ft_csv_reader *r = f->csv;
        f->csv = NULL;
        return ft_csv_close(r, NULL, NULL, err);
    }
    const ft_csv_row *r = &f->batch->rows[f->row++];
    if (r->kind != FT_CSV_ROW)
        return ft_error_at(err, FT_EINPUT, f->name, r->line, r->col, "malformed quotes");
    *batch = f->batch;
    *row = r;
    return FT_OK;
}

int rf_csv_col(const rf *f, const char *name)
{
    for (int i = 0; i < f->ncols; i++)
        if (strcmp(f->cols[i], name) == 0)
            return i;
    return -1;
}

void rf_close(rf *f)
{
    ft_json_close(f->json);
    if (f->csv)
        ft_csv_close(f->csv, NULL, NULL, NULL);
    if (f->fd >= 0)
        close(f->fd);
    for (int i = 0; i < f->ncols; i++)
        free(f->cols[i]);
    free(f->cols);
    free(f->mem);
    free(f->name);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

static bool strs_room(rf_strs *l)
{
    if (l->n < l->cap)
        return true;
    uint32_t cap = l->cap ? l->cap * 2 : 16;
    const char **v = realloc(l->v, cap * sizeof *v);
    if (!v)
        return false;
    l->v = v;
    l->cap = cap;
    return true;
}

bool rf_strs_add(rf_strs *l, const char *s)
{
    if (!strs_room(l))
        return false;
    l->v[l->n++] = s;
    return true;
}

bool rf_strs_split(rf_strs *l, const char *s, size_t len)
{
    l->n = 0;
    if (l->cap_buf < len + 1) {
        char *b = realloc(l->buf, len + 1);
        if (!b)
            return false;
        l->buf = b;
        l->cap_buf = len + 1;
    }
    memcpy(l->buf, s, len);
    l->buf[len] = '\0';
    for (size_t i = 0; i < len;) {
        if (l->buf[i] == ' ') {
            l->buf[i++] = '\0';
            continue;
        }
        if (!rf_strs_add(l, l->buf + i))
            return false;
        i += strcspn(l->buf + i, " ");
    }
    return true;
}

void rf_strs_free(rf_strs *l)
{
    free(l->v);
    free(l->buf);
    memset(l, 0, sizeof *l);
}
