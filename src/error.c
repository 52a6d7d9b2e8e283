/*
 * error.c - filling ft_error records.
 * Messages follow git's tone: lower-case, the subject quoted, no full stop.
 */
#include "fundtrace/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(ft_error *err, ft_status code, const char *prefix, const char *fmt, va_list ap)
{
    err->code = code;
    int n = snprintf(err->msg, sizeof err->msg, "%s", prefix);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof err->msg)
        vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
}

ft_status ft_error_set(ft_error *err, ft_status code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, "", fmt, ap);
    va_end(ap);
    return code;
}

ft_status ft_error_at(ft_error *err, ft_status code, const char *path, int64_t line, int64_t col,
                      const char *fmt, ...)
{
    if (!err)
        return code;
    char prefix[512];
    if (line > 0 && col > 0)
        snprintf(prefix, sizeof prefix, "%s:%" PRId64 ":%" PRId64 ": ", path, line, col);
    else if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%" PRId64 ": ", path, line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", path);
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, prefix, fmt, ap);
    va_end(ap);
    return code;
}

ft_status ft_error_oom(ft_error *err)
{
    if (err) {
        err->code = FT_ENOMEM;
        memcpy(err->msg, "out of memory", sizeof "out of memory");
    }
    return FT_ENOMEM;
}

ft_status ft_error_errno(ft_error *err, ft_status code, const char *what, const char *path)
{
    int e = errno;
    return ft_error_set(err, code, "cannot %s '%s': %s", what, path, strerror(e));
}

void ft_error_clear(ft_error *err)
{
    if (err) {
        err->code = FT_OK;
        err->msg[0] = '\0';
    }
}
