/*
 * features_out.c - the features as CSV or as a float32 matrix
 * (features.h), written atomically through writer.c.
 *
 * Rows are assembled and formatted in blocks on the scan's threads, and
 * the blocks written in store order, so any number of threads gives the
 * same bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/features.h"
#include "fundtrace/output.h"
#include "fundtrace/writer.h"
#include "scan_int.h"

#define BLOCK_ROWS         8192
#define FT_FEATURES_ID_MAX 4096 /* a longer id is cut (ft_store_txid) */

/* A value as CSV text: integers exactly, others with 7 significant
 * digits, nothing for a missing one. Returns the length. */
static size_t format_value(float v, char *p)
{
    if (isnan(v))
        return 0;
    if (v == floorf(v) && fabsf(v) < 1e9f) {
        long long x = (long long)v;
        char tmp[24];
        size_t n = 0;
        bool neg = x < 0;
        unsigned long long u = neg ? (unsigned long long)-x : (unsigned long long)x;
        do {
            tmp[n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        size_t len = 0;
        if (neg)
            p[len++] = '-';
        while (n)
            p[len++] = tmp[--n];
        return len;
    }
    return (size_t)snprintf(p, 32, "%.7g", (double)v);
}

typedef struct job {
    const ft_features *f;
    const uint8_t *label;
    bool csv;
    uint32_t ncols, first; /* the round's first row */
    uint32_t end;          /* one past the last row written */
    uint32_t nblocks;
    float **rows; /* per block: BLOCK_ROWS * ncols floats */
    char **text;  /* per block: its bytes */
    size_t *len, *cap;
    bool oom;
} job;

/* The most bytes a CSV row takes: its id (each quote doubled, in quotes,
 * with a guard), a label, and per column a value (at most 14 bytes:
 * "-1.234567e+38") and its comma; and the newline. */
static size_t csv_row_max(size_t idlen, uint32_t ncols)
{
    return 2 * idlen + 3 + 2 + 16 * (size_t)ncols + 1;
}

static bool grow(job *j, uint32_t b, size_t cap)
{
    char *q = realloc(j->text[b], cap);
    if (!q) {
        j->oom = true;
        return false;
    }
    j->text[b] = q;
    j->cap[b] = cap;
    return true;
}

static void format_block(void *ctx, int tid, uint32_t lo, uint32_t hi)
{
    (void)tid;
    job *j = ctx;
    const ft_features *f = j->f;
    const ft_store *s = ft_features_store(f);
    uint32_t n = j->end;
    for (uint32_t b = lo; b < hi; b++) {
        uint32_t r0 = j->first + b * BLOCK_ROWS;
        uint32_t r1 = r0 + BLOCK_ROWS < n ? r0 + BLOCK_ROWS : n;
        j->len[b] = 0;
        if (r0 >= r1)
            continue;
        float *rows = j->rows[b];
        ft_features_rows(f, r0, r1, rows);
        /* CSV: room for ids of 32 bytes to start with (each row below
         * makes sure of its own) */
        size_t need = j->csv ? (size_t)(r1 - r0) * csv_row_max(32, j->ncols)
                             : (size_t)(r1 - r0) * (j->ncols + 1) * 4;
        if (need > j->cap[b] && !grow(j, b, need))
            return;
        char *p = j->text[b];
        for (uint32_t r = r0; r < r1; r++) {
            const float *x = rows + (size_t)(r - r0) * j->ncols;
            if (!j->csv) {
                float lab = j->label ? (float)j->label[r] : 0;
                if (j->label) {
                    memcpy(p, &lab, 4);
                    p += 4;
                }
                memcpy(p, x, (size_t)j->ncols * 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
                for (char *q = p - (j->label ? 4 : 0); q < p + (size_t)j->ncols * 4; q += 4) {
                    char t0 = q[0], t1 = q[1];
                    q[0] = q[3], q[1] = q[2], q[2] = t1, q[3] = t0;
                }
#endif
                p += (size_t)j->ncols * 4;
                continue;
            }
            char id[FT_FEATURES_ID_MAX];
            size_t idlen = ft_store_txid(s, r, id, sizeof id);
            size_t used = (size_t)(p - j->text[b]), row = csv_row_max(idlen, j->ncols);
            if (used + row > j->cap[b]) {
                if (!grow(j, b, 2 * j->cap[b] > used + row ? 2 * j->cap[b] : used + row))
                    return;
                p = j->text[b] + used;
            }
            bool guard = ft_csv_needs_guard(id, idlen); /* a quote keeps a formula text */
            if (strcspn(id, ",\"\r\n") < idlen) {
                *p++ = '"';
                if (guard)
                    *p++ = '\'';
                for (size_t k = 0; k < idlen; k++) {
                    if (id[k] == '"')
                        *p++ = '"';
                    *p++ = id[k];
                }
                *p++ = '"';
            } else {
                if (guard)
                    *p++ = '\'';
                memcpy(p, id, idlen);
                p += idlen;
            }
            if (j->label) {
                *p++ = ',';
                *p++ = j->label[r] ? '1' : '0';
            }
            for (uint32_t c = 0; c < j->ncols; c++) {
                *p++ = ',';
                p += format_value(x[c], p);
            }
            *p++ = '\n';
        }
        j->len[b] = (size_t)(p - j->text[b]);
    }
}

/* Rows [lo, hi) in store order. */
static ft_status write_rows(const ft_features *f, const uint8_t *label, ft_writer *w, bool csv,
                            uint32_t lo, uint32_t hi, int threads, ft_error *err)
{
    uint32_t n = hi;
    if (threads < 1)
        threads = 1;
    job j = {.f = f, .label = label, .csv = csv, .end = hi};
    j.ncols = ft_features_ncols(ft_features_options(f));
    j.nblocks = (uint32_t)threads * 4;
    j.rows = calloc(j.nblocks, sizeof *j.rows);
    j.text = calloc(j.nblocks, sizeof *j.text);
    j.len = calloc(j.nblocks, sizeof *j.len);
    j.cap = calloc(j.nblocks, sizeof *j.cap);
    ft_status rc = FT_OK;
    if (!j.rows || !j.text || !j.len || !j.cap) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t b = 0; b < j.nblocks; b++) {
        if (!(j.rows[b] = malloc((size_t)BLOCK_ROWS * j.ncols * sizeof **j.rows))) {
            rc = ft_error_oom(err);
            goto done;
        }
    }
    for (j.first = lo; j.first < n; j.first += j.nblocks * BLOCK_ROWS) {
        scan_parallel(threads, j.nblocks, format_block, &j);
        if (j.oom) {
            rc = ft_error_oom(err);
            goto done;
        }
        for (uint32_t b = 0; b < j.nblocks; b++)
            ft_writer_put(w, j.text[b], j.len[b]);
        if (j.first > UINT32_MAX - j.nblocks * BLOCK_ROWS)
            break;
    }
done:
    for (uint32_t b = 0; b < j.nblocks && j.rows; b++) {
        free(j.rows[b]);
        if (j.text)
            free(j.text[b]);
    }
    free(j.rows);
    free(j.text);
    free(j.len);
    free(j.cap);
    return rc;
}

/* The CSV's column line. */
static void csv_head(const ft_features *f, const uint8_t *label, ft_writer *w)
{
    const ft_features_opts *o = ft_features_options(f);
    ft_writer_puts(w, label ? "txn_id,label" : "txn_id");
    for (uint32_t c = 0; c < ft_features_ncols(o); c++) {
        char name[48];
        ft_features_name(o, c, name);
        ft_writer_put(w, ",", 1);
        ft_writer_puts(w, name);
    }
    ft_writer_put(w, "\n", 1);
}

/* The matrix's header, NUL-padded to `*offset` bytes (a multiple of
 * 4096); NULL when out of memory. */
static char *matrix_head(const ft_features *f, const uint8_t *label, size_t *offset)
{
    const ft_features_opts *o = ft_features_options(f);
    const ft_store *s = ft_features_store(f);
    uint32_t nc = ft_features_ncols(o);
    /* The header, then NUL bytes up to a multiple of 4096. */
    size_t cap = 4096 + 48 * (size_t)nc;
    char *head = calloc(cap + 4096, 1);
    if (!head)
        return NULL;
    int len = snprintf(head, cap,
                       "fundtrace-features %d\nrows %lld\ncols %u\nlabel %s\n"
                       "format float32 little-endian, row after row in the snapshot's order\n"
                       "columns ",
                       FT_FEATURES_VERSION, (long long)s->t.n, nc + (label ? 1 : 0),
                       label ? "first" : "none");
    size_t used = (size_t)len;
    if (label)
        used += (size_t)snprintf(head + used, cap - used, "label,");
    for (uint32_t c = 0; c < nc; c++) {
        char name[48];
        ft_features_name(o, c, name);
        used += (size_t)snprintf(head + used, cap - used, "%s%s", name, c + 1 < nc ? "," : "\n");
    }
    *offset = (used + 16 + 4095) / 4096 * 4096;
    snprintf(head + used, cap + 4096 - used, "offset %zu\n", *offset);
    return head;
}

ft_status ft_features_write_part(const ft_features *f, const uint8_t *label, const char *path,
                                 bool csv, const ft_shard *sh, uint64_t run, int threads,
                                 ft_error *err)
{
    uint64_t lo = 0, hi = (uint64_t)ft_features_store(f)->t.n;
    if (sh && sh->count)
        ft_shard_range(sh, hi, &lo, &hi);
    ft_writer w;
    ft_status rc = ft_writer_open(&w, path, false, err);
    if (rc != FT_OK)
        return rc;
    if (sh && sh->count) {
        char line[160];
        ft_writer_put(&w, line, ft_shard_header_text(line, sizeof line, "features", sh, run, 0));
    }
    if (!sh || sh->index == 0) {
        if (csv) {
            csv_head(f, label, &w);
        } else {
            size_t offset;
            char *head = matrix_head(f, label, &offset);
            if (!head) {
                ft_writer_abort(&w);
                return ft_error_oom(err);
            }
            ft_writer_put(&w, head, offset);
            free(head);
        }
    }
    rc = write_rows(f, label, &w, csv, (uint32_t)lo, (uint32_t)hi, threads, err);
    if (rc != FT_OK) {
        ft_writer_abort(&w);
        return rc;
    }
    return ft_writer_close(&w, err);
}

ft_status ft_features_write_csv(const ft_features *f, const uint8_t *label, const char *path,
                                int threads, ft_error *err)
{
    return ft_features_write_part(f, label, path, true, NULL, 0, threads, err);
}

ft_status ft_features_write_matrix(const ft_features *f, const uint8_t *label, const char *path,
                                   int threads, ft_error *err)
{
    return ft_features_write_part(f, label, path, false, NULL, 0, threads, err);
}
