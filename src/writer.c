/*
 * writer.c - buffered, atomic output files, and the lock of files that are
 * read, changed and written back (contracts in writer.h).
 */
#define _GNU_SOURCE /* fopencookie */
#include "fundtrace/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BUF ((size_t)1 << 20)

/* The mode of every file we write: 0644, or 0600 for secrets, less the
 * umask. (The umask can only be read by setting it.) */
static mode_t file_mode(unsigned flags)
{
    mode_t mask = umask(0);
    umask(mask);
    return (flags & FT_WRITER_PRIVATE ? 0600 : 0644) & ~mask;
}

ft_status ft_writer_open_flags(ft_writer *w, const char *path, unsigned flags, ft_error *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->cap = BUF;
    w->buf = malloc(w->cap);
    w->path = strdup(path);
    if (!w->buf || !w->path) {
        ft_writer_abort(w);
        return ft_error_oom(err);
    }
    struct stat st;
    if (strcmp(path, "-") == 0) {
        w->fd = STDOUT_FILENO;
    } else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device or a pipe (/dev/null, a FIFO) is written in place: a
         * temporary file renamed over it would replace the device itself. */
        w->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (w->fd < 0) {
            ft_status rc = ft_error_errno(err, FT_EIO, "open", path);
            ft_writer_abort(w);
            return rc;
        }
    } else {
        size_t len = strlen(path) + 16;
        w->tmp = malloc(len);
        if (!w->tmp) {
            ft_writer_abort(w);
            return ft_error_oom(err);
        }
        snprintf(w->tmp, len, "%s.tmp.XXXXXX", path);
        w->fd = mkstemp(w->tmp);
        if (w->fd < 0) {
            ft_status rc = ft_error_errno(err, FT_EIO, "create a temporary file for", path);
            free(w->tmp);
            w->tmp = NULL;
            ft_writer_abort(w);
            return rc;
        }
        if (fchmod(w->fd, file_mode(flags)) != 0) {
            ft_status rc = ft_error_errno(err, FT_EIO, "set the mode of", w->tmp);
            ft_writer_abort(w);
            return rc;
        }
    }
    if (flags & FT_WRITER_GZIP) {
        int fd = dup(w->fd);
        w->gz = fd < 0 ? NULL : gzdopen(fd, "wb1");
        if (!w->gz) {
            if (fd >= 0)
                close(fd);
            ft_writer_abort(w);
            return ft_error_set(err, FT_EIO, "cannot start gzip output for '%s'", path);
        }
        gzbuffer(w->gz, 1 << 18);
    }
    return FT_OK;
}

ft_status ft_writer_open(ft_writer *w, const char *path, bool gzip, ft_error *err)
{
    return ft_writer_open_flags(w, path, gzip ? FT_WRITER_GZIP : 0, err);
}

void ft_writer_on_seen(ft_writer *w, ft_writer_seen_fn fn, void *ctx)
{
    w->seen = fn;
    w->seen_ctx = ctx;
}

/* Writes p[0, n) to the file (through gzip when compressing). */
static void emit(ft_writer *w, const char *p, size_t n)
{
    if (w->errnum || n == 0)
        return;
    if (w->seen)
        w->seen(w->seen_ctx, p, n);
    if (w->gz) {
        while (n) {
            unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
            if (gzwrite(w->gz, p, chunk) != (int)chunk) {
                w->errnum = errno ? errno : EIO;
                return;
            }
            p += chunk;
            n -= chunk;
        }
        return;
    }
    while (n) {
        ssize_t k = write(w->fd, p, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->errnum = k < 0 ? errno : EIO;
            return;
        }
        p += k;
        n -= (size_t)k;
    }
}

static void flush(ft_writer *w)
{
    emit(w, w->buf, w->used);
    w->used = 0;
}

char *ft_writer_reserve(ft_writer *w, size_t n)
{
    if (w->used + n > w->cap) {
        flush(w);
        if (n > w->cap) {
            char *p = realloc(w->buf, n);
            if (!p) {
                w->errnum = ENOMEM;
                return NULL;
            }
            w->buf = p;
            w->cap = n;
        }
    }
    return w->buf + w->used;
}

void ft_writer_commit(ft_writer *w, size_t n)
{
    w->used += n;
    w->written += n;
}

void ft_writer_put(ft_writer *w, const void *p, size_t n)
{
    if (n == 0)
        return; /* an empty section may have no array at all */
    /* A block as large as the buffer goes straight out: a snapshot's
     * columns are hundreds of megabytes. */
    if (n >= w->cap) {
        flush(w);
        emit(w, p, n);
        w->written += n;
        return;
    }
    char *dst = ft_writer_reserve(w, n);
    if (dst) {
        memcpy(dst, p, n);
        ft_writer_commit(w, n);
    }
}

void ft_writer_puts(ft_writer *w, const char *s)
{
    ft_writer_put(w, s, strlen(s));
}

static ssize_t stream_write(void *cookie, const char *p, size_t n)
{
    ft_writer *w = cookie;
    ft_writer_put(w, p, n);
    if (w->errnum) {
        errno = w->errnum;
        return -1;
    }
    return (ssize_t)n;
}

FILE *ft_writer_stream(ft_writer *w)
{
    if (!w->stream) {
        cookie_io_functions_t io = {.write = stream_write};
        w->stream = fopencookie(w, "w", io);
        if (!w->stream)
            w->errnum = ENOMEM;
    }
    return w->stream;
}

static ssize_t count_write(void *cookie, const char *p, size_t n)
{
    (void)p;
    *(int64_t *)cookie += (int64_t)n;
    return (ssize_t)n;
}

FILE *ft_count_stream(int64_t *count)
{
    cookie_io_functions_t io = {.write = count_write};
    return fopencookie(count, "w", io);
}

/* Closes the stream, keeping its first error. */
static void close_stream(ft_writer *w)
{
    if (!w->stream)
        return;
    if ((fflush(w->stream) != 0 || ferror(w->stream)) && !w->errnum)
        w->errnum = errno ? errno : EIO;
    fclose(w->stream);
    w->stream = NULL;
}

ft_status ft_writer_close(ft_writer *w, ft_error *err)
{
    close_stream(w);
    flush(w);
    if (w->gz) {
        if (gzclose(w->gz) != Z_OK && !w->errnum)
            w->errnum = EIO;
        w->gz = NULL;
    }
    if (w->tmp && !w->errnum && fsync(w->fd) != 0)
        w->errnum = errno;
    if (w->tmp || w->fd > STDERR_FILENO) {
        if (close(w->fd) != 0 && !w->errnum)
            w->errnum = errno;
        w->fd = -1;
    }
    if (w->errnum) {
        errno = w->errnum;
        ft_status rc =
            w->errnum == ENOMEM ? ft_error_oom(err) : ft_error_errno(err, FT_EIO, "write", w->path);
        ft_writer_abort(w);
        return rc;
    }
    if (w->tmp && rename(w->tmp, w->path) != 0) {
        ft_status rc = ft_error_errno(err, FT_EIO, "rename the output into", w->path);
        ft_writer_abort(w);
        return rc;
    }
    if (w->tmp) {
        /* Make the rename itself durable. A directory that cannot be
         * opened or synced (some file systems) does not undo the write. */
        char *dir = strdup(w->path);
        int dfd = dir ? open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
        free(w->tmp);
        w->tmp = NULL;
    }
    ft_writer_abort(w);
    return FT_OK;
}

void ft_writer_abort(ft_writer *w)
{
    if (w->stream) {
        /* Nothing it still holds is wanted: drop it without writing. */
        w->errnum = w->errnum ? w->errnum : ECANCELED;
        fclose(w->stream);
    }
    if (w->gz)
        gzclose(w->gz);
    if (w->tmp) {
        if (w->fd >= 0)
            close(w->fd);
        unlink(w->tmp);
        free(w->tmp);
    } else if (w->fd > STDERR_FILENO) {
        close(w->fd); /* a device or pipe opened in place */
    }
    free(w->buf);
    free(w->path);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

/* --- read-modify-write under a lock ----------------------------------------------------- */

ft_status ft_file_lock_acquire(ft_file_lock *l, const char *path, ft_error *err)
{
    l->fd = -1;
    for (;;) {
        int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return ft_error_errno(err, FT_EIO, "open", path);
        int r;
        while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
            ;
        if (r != 0) {
            ft_status rc = ft_error_errno(err, FT_EIO, "lock", path);
            close(fd);
            return rc;
        }
        /* The holder before us may have renamed a new file over the one
         * we locked: then lock the new one. */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            l->fd = fd;
            return FT_OK;
        }
        close(fd);
    }
}

void ft_file_lock_release(ft_file_lock *l)
{
    if (l->fd >= 0)
        close(l->fd); /* closing the last descriptor releases the flock */
    l->fd = -1;
}

ft_status ft_file_update(const char *path, unsigned flags, ft_update_fn fn, void *ctx,
                         ft_error *err)
{
    ft_file_lock lock = {.fd = -1};
    ft_writer w = {.fd = -1};
    FILE *cur = NULL;
    ft_status rc = ft_file_lock_acquire(&lock, path, err);
    if (rc != FT_OK)
        return rc;
    int fd = dup(lock.fd);
    if (fd < 0 || !(cur = fdopen(fd, "r"))) {
        if (fd >= 0)
            close(fd);
        rc = ft_error_errno(err, FT_EIO, "read", path);
        goto done;
    }
    if ((rc = ft_writer_open_flags(&w, path, flags, err)) != FT_OK)
        goto done;
    if ((rc = fn(ctx, cur, &w, err)) != FT_OK)
        goto done;
    if (ferror(cur)) {
        rc = ft_error_errno(err, FT_EIO, "read", path);
        goto done;
    }
    rc = ft_writer_close(&w, err);
done:
    ft_writer_abort(&w);
    if (cur)
        fclose(cur);
    ft_file_lock_release(&lock);
    return rc;
}
