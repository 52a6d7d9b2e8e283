/*
 * writer.h - buffered output files, written atomically; and the lock that
 * read-modify-write files share.
 *
 * Every file fundtrace writes goes through this one writer: snapshots,
 * rejects files, the scan state, synth output, exports (-o). A writer to a
 * path writes a temporary file beside it ("PATH.tmp.XXXXXX") and, on
 * ft_writer_close, flushes it to disk (fsync), renames it over PATH and
 * flushes the directory, so that the rename itself survives a crash.
 * ft_writer_abort (or a crash, or a kill) leaves the previous file
 * untouched and no file that looks whole. "-" writes to standard output.
 * With FT_WRITER_GZIP the bytes are deflated (level 1: speed over size) as
 * they go.
 *
 * Mode: 0644 less the umask, for every file; 0600 with FT_WRITER_PRIVATE,
 * for a file that holds secrets (a key). A file replaced keeps no mode of
 * the old one: the same output always gets the same mode.
 */
#ifndef FUNDTRACE_WRITER_H
#define FUNDTRACE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"

enum {
    FT_WRITER_GZIP = 1 << 0,    /* deflate what is written */
    FT_WRITER_PRIVATE = 1 << 1, /* mode 0600: the file holds secrets */
};

/* Sees every byte written, in order, as it leaves the buffer (before
 * compression): for progress displays. */
typedef void (*ft_writer_seen_fn)(void *ctx, const char *data, size_t len);

typedef struct ft_writer {
    int fd;
    void *gz; /* zlib gzFile when compressing */
    char *buf;
    size_t used, cap;
    char *path, *tmp; /* tmp NULL for standard output */
    int errnum;       /* first write error */
    uint64_t written; /* bytes handed to the writer so far */
    FILE *stream;     /* ft_writer_stream's, or NULL */
    ft_writer_seen_fn seen;
    void *seen_ctx;
} ft_writer;

/* Opens a writer to path ("-": standard output); flags are FT_WRITER_*.
 * On failure w is left closed (ft_writer_abort is still safe). */
ft_status ft_writer_open_flags(ft_writer *w, const char *path, unsigned flags, ft_error *err);

/* ft_writer_open_flags with FT_WRITER_GZIP when gzip. */
ft_status ft_writer_open(ft_writer *w, const char *path, bool gzip, ft_error *err);

/* Room for at least n more bytes, to fill and then ft_writer_commit;
 * NULL out of memory (the error is reported by ft_writer_close). */
char *ft_writer_reserve(ft_writer *w, size_t n);
void ft_writer_commit(ft_writer *w, size_t n);

/* Appends n bytes; a large block bypasses the buffer. */
void ft_writer_put(ft_writer *w, const void *p, size_t n);
void ft_writer_puts(ft_writer *w, const char *s);

/* A stdio stream that writes into w, for writers that take a FILE *
 * (owned by w: ft_writer_close flushes and closes it). Do not mix it with
 * ft_writer_put on one writer. NULL out of memory. */
FILE *ft_writer_stream(ft_writer *w);

/* A stdio stream that only counts: every byte written to it adds one to
 * *count (after fflush or fclose). NULL out of memory. */
FILE *ft_count_stream(int64_t *count);

/* Calls fn with every byte as it leaves the buffer. */
void ft_writer_on_seen(ft_writer *w, ft_writer_seen_fn fn, void *ctx);

/* Flushes, syncs and renames into place; reports any write error since
 * open (a full disk) and then removes the temporary file. w is closed in
 * either case. */
ft_status ft_writer_close(ft_writer *w, ft_error *err);

/* Discards the file. Safe on a zeroed or closed writer. */
void ft_writer_abort(ft_writer *w);

/*
 * Files that are read, changed and written back (the scan state; later
 * the audit log and merge outputs) are updated under an exclusive lock
 * (flock) held for the whole read-merge-write, so that two runs at once
 * each see the other's result: the second waits, then reads what the
 * first wrote, merges its own into it and writes the whole.
 *
 * The lock is taken on the file itself; as the writer replaces the file
 * by a rename, a waiter that wakes on the replaced file sees that the
 * path now names another file, and locks that one instead. A missing
 * file is created empty to be locked (an empty file is what every reader
 * of these files takes for "nothing yet").
 */
typedef struct ft_file_lock {
    int fd; /* -1 when not held */
} ft_file_lock;

/* Waits for the exclusive lock on path. l->fd then reads the current
 * content (from offset 0). */
ft_status ft_file_lock_acquire(ft_file_lock *l, const char *path, ft_error *err);
/* Releases it; safe on a zeroed or released lock with fd -1 or 0 never
 * acquired (use {.fd = -1}). */
void ft_file_lock_release(ft_file_lock *l);

/* Read-modify-write in one call: under the lock, fn reads the current
 * content from `current` (an empty stream for a new file) and writes the
 * new whole file to w, which the helper then renames into place, before
 * it releases the lock. fn's error aborts the update and is returned. */
typedef ft_status (*ft_update_fn)(void *ctx, FILE *current, ft_writer *w, ft_error *err);
ft_status ft_file_update(const char *path, unsigned flags, ft_update_fn fn, void *ctx,
                         ft_error *err);

#endif
