/*
 * slurp.c - a whole file or stream read into memory (slurp.h).
 */
#include "slurp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

ft_status ft_slurp(FILE *in, const char *name, char **out, size_t *len, ft_error *err)
{
    *out = NULL;
    *len = 0;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            size_t c = cap ? cap * 2 : 65536 * 2;
            char *b = realloc(buf, c + 1);
            if (!b) {
                free(buf);
                return ft_error_oom(err);
            }
            buf = b;
            cap = c;
        }
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(in)) {
        free(buf);
        return ft_error_errno(err, FT_EIO, "read", name);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return FT_OK;
}

ft_status ft_slurp_path(const char *path, ft_status open_status, char **out, size_t *len,
                        ft_error *err)
{
    *out = NULL;
    *len = 0;
    bool std = strcmp(path, "-") == 0;
    FILE *f = std ? stdin : fopen(path, "rb");
    if (!f)
        return ft_error_errno(err, open_status, "open", path);
    ft_status rc = ft_slurp(f, std ? "standard input" : path, out, len, err);
    if (!std)
        fclose(f);
    return rc;
}
