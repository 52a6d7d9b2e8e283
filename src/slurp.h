/*
 * slurp.h - a whole file or stream read into memory, for the small files
 * fundtrace reads at once (keys, token lists, scan profiles, records on
 * standard input). Private to the library.
 */
#ifndef FUNDTRACE_SLURP_H
#define FUNDTRACE_SLURP_H

#include <stddef.h>
#include <stdio.h>

#include "fundtrace/error.h"

/* Reads `in` to its end into *out (malloc'd, with a NUL after the *len
 * bytes read); `name` names it in errors. FT_ENOMEM, or FT_EIO on a read
 * error; *out is NULL then. */
ft_status ft_slurp(FILE *in, const char *name, char **out, size_t *len, ft_error *err);

/* The same for the file at `path` ("-": standard input); opening it fails
 * with `open_status` (FT_EIO or FT_EUSAGE, as the caller reports a missing
 * file). */
ft_status ft_slurp_path(const char *path, ft_status open_status, char **out, size_t *len,
                        ft_error *err);

#endif
