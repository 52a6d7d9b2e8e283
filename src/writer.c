/*
 * writer.c - buffered, atomic output files.
 */
#include "fundtrace/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BUF ((size_t)1 << 20)

ft_status ft_writer_open(ft_writer *w, const char *path, bool gzip, ft_error *err)
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
        mode_t mask = umask(0);
        umask(mask);
        fchmod(w->fd, 0666 & ~mask);
    }
    if (gzip) {
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

static void flush(ft_writer *w)
{
    if (w->errnum || w->used == 0) {
        w->used = 0;
        return;
    }
    if (w->gz) {
        if (gzwrite(w->gz, w->buf, (unsigned)w->used) != (int)w->used)
            w->errnum = errno ? errno : EIO;
    } else {
        const char *p = w->buf;
        size_t left = w->used;
        while (left) {
            ssize_t n = write(w->fd, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                w->errnum = n < 0 ? errno : EIO;
                break;
            }
            p += n;
            left -= (size_t)n;
        }
    }
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
}

void ft_writer_put(ft_writer *w, const void *p, size_t n)
{
    char *dst = ft_writer_reserve(w, n);
    if (dst) {
        memcpy(dst, p, n);
        w->used += n;
    }
}

void ft_writer_puts(ft_writer *w, const char *s)
{
    ft_writer_put(w, s, strlen(s));
}

ft_status ft_writer_close(ft_writer *w, ft_error *err)
{
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
        ft_status rc = ft_error_errno(err, FT_EIO, "write", w->path);
        ft_writer_abort(w);
        return rc;
    }
    if (w->tmp && rename(w->tmp, w->path) != 0) {
        ft_status rc = ft_error_errno(err, FT_EIO, "rename the output into", w->path);
        ft_writer_abort(w);
        return rc;
    }
    if (w->tmp) {
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
