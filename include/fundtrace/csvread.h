/*
 * csvread.h - a streaming CSV tokeniser that runs on its own thread.
 *
 * It reads a file, standard input or memory, inflates gzip (recognised by
 * its magic bytes), drops a UTF-8 BOM, guesses the delimiter from the
 * first line when none is given, and splits rows with libcsv in strict
 * mode. Rows come back in input order, in batches, each with its fields,
 * the line it started on, and its bytes exactly as read. Tokenising one
 * batch overlaps with the caller's work on the previous one, which is how
 * a load uses both cores.
 *
 * libcsv knows nothing of positions, so the input is fed to it one
 * physical line at a time: when a row ends we know the line we gave it,
 * and a field's first line is its last line less the line breaks it holds.
 *
 * Malformed CSV becomes special rows rather than errors. A stray quote on
 * a one-line row gives FT_CSV_BAD_QUOTES for that line. A stray opening
 * quote makes a row swallow the lines after it, until a later quote
 * breaks the rules (FT_CSV_BAD_QUOTES) or the input ends with the quote
 * open (FT_CSV_UNTERMINATED); either way only the row's first line is
 * reported and the swallowed lines are read again, from a replay buffer
 * (not by recursion, so no input can exhaust the stack).
 */
#ifndef FUNDTRACE_CSVREAD_H
#define FUNDTRACE_CSVREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"

typedef enum ft_csv_kind {
    FT_CSV_ROW,          /* a row of fields */
    FT_CSV_BAD_QUOTES,   /* a quote where CSV does not allow one; no fields */
    FT_CSV_UNTERMINATED, /* a quote still open at the end of the input; no fields */
} ft_csv_kind;

typedef struct ft_csv_row {
    ft_csv_kind kind;
    int64_t line;         /* line of the row's first byte, 1-based */
    int64_t end_line;     /* line the row ended on */
    int64_t col;          /* bad rows: 1-based field where the quote went wrong */
    uint32_t field0, nf;  /* its fields: [field0, field0 + nf) of the batch */
    uint64_t raw_off, raw_len; /* its bytes in the batch's raw buffer */
    bool nul;                  /* rows: its bytes hold a NUL */
} ft_csv_row;

typedef struct ft_csv_batch {
    ft_csv_row *rows;
    uint32_t nrows, rows_cap;
    char *fbuf; /* field bytes, each field NUL-terminated */
    size_t fused, fcap;
    size_t *foff, *flen; /* per field */
    int64_t *fline;      /* per field: the line it ended on */
    uint32_t nfields, fields_cap;
    char *raw; /* the rows' bytes as read */
    size_t rawused, rawcap;
    void *user; /* the prepare hook's own per-batch data; freed with the batch */
    size_t user_cap;
} ft_csv_batch;

/* Field `col` of row `r` in batch `b`, NUL-terminated, and its length. */
static inline const char *ft_csv_field(const ft_csv_batch *b, const ft_csv_row *r, int col,
                                       size_t *len)
{
    *len = b->flen[r->field0 + (uint32_t)col];
    return b->fbuf + b->foff[r->field0 + (uint32_t)col];
}

/* The first line of field `col` of row `r` (the row's last line for a
 * field it does not have). A row on one line does not need b->fline. */
int64_t ft_csv_field_line(const ft_csv_batch *b, const ft_csv_row *r, int col);

typedef struct ft_csv_reader ft_csv_reader;

/* Called on the reader thread with each batch just before it is handed
 * over, for per-row work that needs no state the consumer changes
 * (parsing values, hashing keys). It may keep results in b->user (grown
 * with realloc; b->user_cap is its size in bytes). Whatever it writes is
 * visible to the consumer once ft_csv_next returns the batch. */
typedef void (*ft_csv_prepare_fn)(void *ctx, ft_csv_batch *b);

/* Starts reading `path` from fd (fd >= 0) or from `len` bytes of memory
 * (fd < 0). `delimiter` 0 means guess; `prepare` may be NULL. The reader
 * owns nothing it is given: the caller closes fd after ft_csv_close. */
ft_status ft_csv_open(ft_csv_reader **r, const char *path, int fd, const void *mem, size_t len,
                      char delimiter, ft_csv_prepare_fn prepare, void *prepare_ctx,
                      ft_error *err);

/* As ft_csv_open, transcoding the input from `encoding` ("cp1252",
 * "latin1", "utf-16", or any name iconv knows; NULL: UTF-8) to UTF-8
 * first. Without an encoding a UTF-16 byte-order mark is recognised and
 * the input transcoded all the same. */
ft_status ft_csv_open_encoded(ft_csv_reader **r, const char *path, int fd, const void *mem,
                              size_t len, char delimiter, const char *encoding,
                              ft_csv_prepare_fn prepare, void *prepare_ctx, ft_error *err);

/* Reading a file on several threads. The file is mapped and cut into
 * slices of 8 MiB that end at line ends; each is tokenised and prepared
 * on a thread of its own while the caller consumes the slices in order.
 * A slice starts reading as if a row began there; when the slice before
 * it ends inside a row (a quoted field holding line breaks), that guess
 * was wrong, and the slice is read again from that row's first byte. So
 * the rows, their lines and their bytes are exactly those of one reader,
 * whatever the number of threads.
 *
 * The prepare hook runs on every slice's thread, each with a context of
 * its own: `fork` makes one from the first slice's once that one has
 * prepared its first batch (it may answer NULL while not ready, unless
 * `force`); `drop` frees a fork. */
typedef struct ft_csv_parallel {
    int threads;        /* tokenising threads; 1: as ft_csv_open_encoded */
    size_t slice_bytes; /* 0: 8 MiB (smaller in tests, to cut files anywhere) */
    void *(*fork)(void *ctx, bool force);
    void (*drop)(void *ctx);
} ft_csv_parallel;

/* As ft_csv_open_encoded on file descriptor fd, on par->threads threads
 * when the file is regular, at least two slices long, neither gzip nor UTF-16
 * and read as UTF-8 (else on one). The caller closes fd after
 * ft_csv_close. */
ft_status ft_csv_open_file(ft_csv_reader **r, const char *path, int fd, char delimiter,
                           const char *encoding, ft_csv_prepare_fn prepare, void *prepare_ctx,
                           const ft_csv_parallel *par, ft_error *err);

/* What the reader learnt about the text, valid once ft_csv_next has
 * returned NULL. */
typedef struct ft_csv_text {
    char encoding[24];   /* "utf-8", or what it was transcoded from */
    bool encoding_given; /* by the caller, not recognised from a BOM */
    int64_t bad_lines;   /* lines with bytes that are not UTF-8 (or not
                            in the encoding: kept as U+FFFD) */
    int64_t first_bad;   /* the first of them, 0 when none */
} ft_csv_text;

void ft_csv_text_info(const ft_csv_reader *r, ft_csv_text *out);

/* FT_OK when iconv can transcode from `name` to UTF-8; FT_EUSAGE with a
 * message naming the usual ones otherwise. */
ft_status ft_csv_encoding_check(const char *name, ft_error *err);

/* Counts the bytes of s[0..len) that do not form UTF-8, continuing a
 * sequence cut by the previous call through *state (start at 0). Returns
 * true when all were valid. */
bool ft_utf8_valid(const unsigned char *s, size_t len, uint32_t *state);

/* The next batch, in input order, or NULL at the end of the input or after
 * an error (ft_csv_close reports it). A batch stays valid until the next
 * call. */
const ft_csv_batch *ft_csv_next(ft_csv_reader *r);

/* Asks the reader to stop early (strict mode, a fatal error downstream). */
void ft_csv_stop(ft_csv_reader *r);

/* Waits for the reader thread, frees everything, and returns the reader's
 * error if it had one (FT_EIO for a read or gzip error). On success
 * *bytes and sha256 describe the bytes read (compressed bytes for gzip). */
ft_status ft_csv_close(ft_csv_reader *r, uint64_t *bytes, char sha256[65], ft_error *err);

#endif
