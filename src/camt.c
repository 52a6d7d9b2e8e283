/* placeholder */
#include "ingest_int.h"
ft_status ft_camt_read(ft_stmt_sink *k, int fd, const void *mem, size_t len, ft_error *err)
{
    (void)k; (void)fd; (void)mem; (void)len;
    return ft_error_set(err, FT_EUSAGE, "camt not yet");
}
