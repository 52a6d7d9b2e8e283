/*
 * fuzz_files.c - the readers of whole files: the snapshot (first byte 0)
 * and the scan rules file (first byte 1). The bytes go to an in-memory
 * file read by path; a snapshot that opens is then walked.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fundtrace/rules.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ft_error err;
    if (data[0] % 2 == 0) {
        ft_store s = {0};
        if (ft_snapshot_read(&s, path, &err) == FT_OK && ft_store_adjacency(&s, &err) == FT_OK) {
            ft_stats st;
            if (ft_stats_compute(&s, &st, &err) == FT_OK)
                ft_stats_free(&st);
            char text[256];
            for (int64_t i = 0; i < s.t.n; i++)
                ft_store_txid(&s, i, text, sizeof text);
            for (uint32_t a = 0; a < s.accounts.n; a++) {
                size_t len;
                ft_store_account(&s, a, &len);
            }
        }
        ft_store_free(&s);
    } else {
        ft_scan_params p;
        ft_scan_defaults(&p);
        ft_rules *r = NULL;
        if (ft_rules_load(&r, path, &p, &err) == FT_OK)
            ft_rules_free(r);
    }
    close(fd);
    return 0;
}
