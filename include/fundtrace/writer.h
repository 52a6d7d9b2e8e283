/*
 * writer.h - buffered output files, written atomically.
 *
 * A writer to a path writes a temporary file beside it and renames it into
 * place on ft_writer_close, after flushing it to disk; ft_writer_abort (or
 * a crash) leaves the previous file untouched and no file that looks whole.
 * "-" writes to standard output. With gzip the bytes are deflated (level 1:
 * speed over size) as they go.
 */
#ifndef FUNDTRACE_WRITER_H
#define FUNDTRACE_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "fundtrace/error.h"

typedef struct ft_writer {
    int fd;
    void *gz; /* zlib gzFile when compressing */
    char *buf;
    size_t used, cap;
    char *path, *tmp; /* tmp NULL for standard output */
    int errnum;       /* first write error */
} ft_writer;

ft_status ft_writer_open(ft_writer *w, const char *path, bool gzip, ft_error *err);

/* Room for at least n more bytes, to fill and then ft_writer_commit. */
char *ft_writer_reserve(ft_writer *w, size_t n);
void ft_writer_commit(ft_writer *w, size_t n);

void ft_writer_put(ft_writer *w, const void *p, size_t n);
void ft_writer_puts(ft_writer *w, const char *s);

/* Flushes, syncs and renames into place; reports any write error since
 * open (a full disk) and then removes the temporary file. */
ft_status ft_writer_close(ft_writer *w, ft_error *err);

/* Discards the file. Safe on a zeroed or closed writer. */
void ft_writer_abort(ft_writer *w);

#endif
