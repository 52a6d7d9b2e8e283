/*
 * recfile.h - the files of records fundtrace writes and reads back
 * (alerts, traces): JSON (an array), JSON Lines or CSV, told apart by
 * their first byte. Private to the library's readers (alerts_read.c,
 * trace_read.c).
 *
 * JSON is read with json.h, CSV with csvread.h; both stream, except
 * standard input, which is read whole first (its first bytes cannot be
 * looked at twice).
 */
#ifndef FUNDTRACE_RECFILE_H
#define FUNDTRACE_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/csvread.h"
#include "fundtrace/error.h"
#include "fundtrace/json.h"

typedef enum rf_kind { RF_JSON, RF_CSV } rf_kind;

typedef struct rf {
    char *name;
    rf_kind kind;
    int first; /* the first byte that is not white space; -1: none */
    ft_json_reader *json;
    int fd;
    ft_csv_reader *csv;
    const ft_csv_batch *batch;
    uint32_t row;
    char **cols; /* the CSV header's names */
    int ncols;
    char *mem; /* standard input, read whole */
} rf;

/* Opens `path` ("-": standard input), or `len` bytes at `data` when data
 * is not NULL (borrowed; `path` then names them). */
ft_status rf_open(rf *f, const char *path, const char *data, size_t len, ft_error *err);

/* The next CSV row after the header, or *row NULL at the end. A row with
 * broken quotes is an FT_EINPUT error. */
ft_status rf_csv_next(rf *f, const ft_csv_batch **batch, const ft_csv_row **row, ft_error *err);

/* The index of header column `name`, or -1. */
int rf_csv_col(const rf *f, const char *name);

void rf_close(rf *f);

/* A growing list of strings and the bytes they point into, reused from
 * record to record. */
typedef struct rf_strs {
    const char **v;
    uint32_t n, cap;
    char *buf;
    size_t len, cap_buf;
} rf_strs;

/* Splits s[0..len) at spaces into v (empty parts skipped). */
bool rf_strs_split(rf_strs *l, const char *s, size_t len);
bool rf_strs_add(rf_strs *l, const char *s);
void rf_strs_free(rf_strs *l);

#endif
