/*
 * error.h - status codes and the error record every fallible call fills.
 *
 * A function that can fail returns ft_status (FT_OK is 0) and takes
 * `ft_error *err` last. The record is a code plus a fixed buffer, so that
 * reporting works even when memory is exhausted. `err` may be NULL when the
 * caller does not want the message.
 */
#ifndef FUNDTRACE_ERROR_H
#define FUNDTRACE_ERROR_H

#include <stdint.h>

typedef enum ft_status {
    FT_OK = 0,
    FT_ENOMEM,   /* out of memory */
    FT_EIO,      /* a read or write failed */
    FT_EINPUT,   /* the input data is malformed */
    FT_EUSAGE,   /* the caller asked for something that cannot be done */
    FT_ECORRUPT, /* a snapshot is damaged, truncated or of another version */
    FT_ELIMIT,   /* a documented limit was exceeded */
    FT_EIGRAPH,  /* igraph reported an error */
} ft_status;

#define FT_ERROR_MSG_MAX 1024

typedef struct ft_error {
    ft_status code;
    char msg[FT_ERROR_MSG_MAX];
} ft_error;

/* Records `code` and the formatted message in `err` and returns `code`. */
ft_status ft_error_set(ft_error *err, ft_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As ft_error_set, prefixed with "path:line:col: " (col omitted when 0, line
 * omitted when 0), the form editors and grep users know. */
ft_status ft_error_at(ft_error *err, ft_status code, const char *path, int64_t line, int64_t col,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Records "out of memory"; never allocates. */
ft_status ft_error_oom(ft_error *err);

/* Records a failed system call on `path`, with strerror(errno). */
ft_status ft_error_errno(ft_error *err, ft_status code, const char *what, const char *path);

/* Resets `err` to FT_OK and an empty message. */
void ft_error_clear(ft_error *err);

#endif
