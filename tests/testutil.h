/*
 * testutil.h - helpers shared by the unit tests: load CSV text into a
 * store while collecting rejects, and temporary directories.
 */
#ifndef FUNDTRACE_TESTUTIL_H
#define FUNDTRACE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "fundtrace/ingest.h"
#include "fundtrace/store.h"

#define MAX_REJECTS 64

typedef struct tu_reject {
    int64_t line, column;
    ft_reject reason;
    char message[512];
    char raw[1024];
    size_t raw_len;
} tu_reject;

typedef struct tu_rejects {
    int n;
    tu_reject r[MAX_REJECTS];
} tu_rejects;

/* An ft_reject_fn that appends to a tu_rejects. */
void tu_collect(void *ctx, const ft_reject_info *info);

/* Loads `csv` (NUL-terminated) as one file named `name`, finishes the
 * store, and returns the status; rejects go to `rej` when not NULL. */
ft_status tu_load(ft_store *s, const char *name, const char *csv, ft_load_options *o,
                  tu_rejects *rej, ft_error *err);

/* A fresh temporary directory; the caller removes it with tu_rmdir. */
char *tu_tmpdir(void);
void tu_rmdir(char *dir);

/* Whole-file helpers; tu_read returns a malloc'd buffer. */
char *tu_read(const char *path, size_t *len);
void tu_write(const char *path, const void *data, size_t len);

/* The amount of transaction i as decimal text, e.g. "12.30 EUR". */
const char *tu_amount(const ft_store *s, int64_t i, char buf[80]);

/* `rows` rows of `fundtrace synth --seed seed` (365 days, planted
 * patterns), loaded, with the adjacency built. */
void tu_synth_store(ft_store *s, int64_t rows, uint64_t seed);

#endif
