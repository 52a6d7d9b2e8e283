/*
 * output.h - writers: JSON, JSON Lines, CSV and human tables.
 *
 * JSON strings are escaped per RFC 8259; bytes that are not valid UTF-8
 * are written as U+FFFD so that every line a script reads is valid JSON.
 * CSV fields are quoted when they hold the delimiter, a quote or a line
 * break (RFC 4180).
 */
#ifndef FUNDTRACE_OUTPUT_H
#define FUNDTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/stats.h"
#include "fundtrace/store.h"

typedef enum ft_format {
    FT_FORMAT_TABLE,
    FT_FORMAT_JSON,
    FT_FORMAT_JSONL,
    FT_FORMAT_CSV,
    FT_FORMAT_DOT, /* Graphviz, for the commands that draw a graph */
} ft_format;

/* "table", "json", "jsonl", "csv", "dot"; false when unknown. */
bool ft_format_parse(const char *name, ft_format *out);

/* A minimal streaming JSON writer that places commas and, when pretty,
 * indentation. Keys are NULL inside arrays and at the top. */
typedef struct ft_json {
    FILE *f;
    bool pretty;
    int depth;
    bool first[64];
} ft_json;

void ft_json_init(ft_json *j, FILE *f, bool pretty);
void ft_json_object(ft_json *j, const char *key);
void ft_json_array(ft_json *j, const char *key);
void ft_json_end(ft_json *j, char close); /* '}' or ']' */
void ft_json_string(ft_json *j, const char *key, const char *s, size_t len);
void ft_json_cstr(ft_json *j, const char *key, const char *s);
void ft_json_int(ft_json *j, const char *key, int64_t v);
void ft_json_int128(ft_json *j, const char *key, __int128 v);
void ft_json_bool(ft_json *j, const char *key, bool v);
/* A value written as given: a number or null. */
void ft_json_raw(ft_json *j, const char *key, const char *value);
/* Ends the document with a newline. */
void ft_json_finish(ft_json *j);

/* Writes s as one CSV field (quoted when needed).
 *
 * Formula injection: spreadsheets run a cell that begins with '=', '+',
 * '-' or '@' (or a tab or carriage return before one) as a formula, and
 * memos, ids and account names come from untrusted data. So a text cell
 * that begins with one of those characters is written with a single quote
 * in front ('=HYPERLINK(...)), as OWASP advises, and shows as text; a
 * plain decimal number (-12.50) is a number, not a formula, and is left
 * as it is. A cell that begins with a quote gets one more, so that a
 * reader that drops the first quote (a spreadsheet does, and so does
 * the alerts reader) always gets the text back as it was. Every CSV fundtrace writes goes through
 * here (or checks ft_csv_needs_guard when it writes a field piece by piece). */
void ft_csv_write_field(FILE *f, const char *s, size_t len);
/* Whether a cell beginning as s does needs the quote (false after
 * ft_csv_set_raw(true)). */
bool ft_csv_needs_guard(const char *s, size_t len);
/* --csv-raw: cells as they are, for programs that read the CSV. The
 * program calls it once, before writing; the library's only switch. */
void ft_csv_set_raw(bool raw);

/* Load summary and statistics, in `fmt`. The load summary goes wherever
 * the caller points it (stderr for a human, stdout for a script). */
void ft_write_load_summary(FILE *f, const ft_store *s, const char *snapshot, ft_format fmt);
void ft_write_stats(FILE *f, const ft_store *s, const ft_stats *st, ft_format fmt);

#endif
