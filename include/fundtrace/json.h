/*
 * json.h - one strict JSON reader for the files fundtrace writes: JSON
 * (RFC 8259) and JSON Lines.
 *
 * A file is read as a sequence of records: the elements of a top-level
 * array ("[{...},{...}]", what --format json writes), or one value per
 * line (JSON Lines, what --format jsonl writes; blank lines are skipped).
 * Which of the two is decided by the first byte that is not white space
 * ('[': an array). Records are read one at a time into a small tree that
 * lives until the next record, so memory follows the largest record, not
 * the file.
 *
 * Strict: strings take every escape of RFC 8259, \uXXXX surrogate pairs
 * included (a lone surrogate is an error), must be valid UTF-8 and hold no
 * raw control characters, and may be of any length; numbers follow the
 * RFC's grammar and are kept as their text, so an amount such as
 * "12.30" or 12.30 is never rounded through a double; nesting deeper than
 * FT_JSON_MAX_DEPTH, trailing commas, comments, NaN and a second value on
 * one JSON Lines line are errors. Every error is FT_EINPUT and says where:
 * "alerts.jsonl:3:17: a string is not closed".
 */
#ifndef FUNDTRACE_JSON_H
#define FUNDTRACE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"

#define FT_JSON_MAX_DEPTH 256

typedef enum ft_json_type {
    FT_JSON_NULL,
    FT_JSON_FALSE,
    FT_JSON_TRUE,
    FT_JSON_NUMBER, /* s, n: its text as written */
    FT_JSON_STRING, /* s, n: decoded UTF-8, NUL-terminated (and may hold NULs) */
    FT_JSON_ARRAY,  /* items[0 .. n) */
    FT_JSON_OBJECT, /* n members: items[2i] the name (a string), items[2i + 1] the value */
} ft_json_type;

typedef struct ft_jv {
    ft_json_type type;
    uint32_t n;
    const char *s;
    const struct ft_jv *items;
    int64_t line, col; /* where the value starts, from 1 */
} ft_jv;

typedef struct ft_json_reader ft_json_reader;

/* Opens `path` ("-" is standard input) for reading records. */
ft_status ft_json_open(ft_json_reader **r, const char *path, ft_error *err);

/* As ft_json_open, over `len` bytes of memory (borrowed until
 * ft_json_close); `name` names them in errors. */
ft_status ft_json_open_buffer(ft_json_reader **r, const char *name, const char *data, size_t len,
                              ft_error *err);

void ft_json_close(ft_json_reader *r);

/* The next record: FT_OK with *v set, or FT_OK with *v NULL after the
 * last. *v and everything it points to stay valid until the next call or
 * ft_json_close. */
ft_status ft_json_next(ft_json_reader *r, const ft_jv **v, ft_error *err);

/* Provenance (provenance.h) is not a record: the first line of JSON
 * Lines when it is an object with "kind":"provenance", and the
 * "provenance" member of a JSON object that wraps the array of records
 * ({"provenance": {...}, "results": [...]}), are skipped, unless this is
 * called before the first ft_json_next: the record then comes first. */
void ft_json_keep_provenance(ft_json_reader *r);

/* True when the file's records are the elements of a top-level array
 * (known after the first ft_json_next). */
bool ft_json_is_array(const ft_json_reader *r);

/* The name of the file, for callers' own errors about a record. */
const char *ft_json_name(const ft_json_reader *r);

/* The value of member `key` of an object, or NULL (absent, or v is not an
 * object). With repeated names the last one counts, as most readers do. */
const ft_jv *ft_jv_get(const ft_jv *v, const char *key);

/* A record's error, at the value's place: "file:line:col: message". */
ft_status ft_json_error_at(const ft_json_reader *r, const ft_jv *v, ft_error *err, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));

#endif
