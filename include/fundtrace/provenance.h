/*
 * provenance.h - what every output says about how it was made: the
 * fundtrace version, the command line and its parameters, the time of the
 * run, and the input files with their SHA-256 and row counts (from the
 * snapshot, or counted while loading the CSV files).
 *
 * One record, written per format as one compact JSON object whose first
 * member is "kind":"provenance" (so that `fundtrace verify` finds it in
 * any output by that text):
 *   JSON        the top-level object's "provenance" member; the results
 *               follow as "results" ({"provenance":{...},\n"results":[...]})
 *   JSON Lines  the first line
 *   CSV         '#' comment lines before the header (a readable summary,
 *               then the JSON)
 *   GraphML     a graph <data key="provenance">; GEXF: in <meta>'s
 *               <description>; DOT: a // comment line
 *
 * The time is the clock's, or SOURCE_DATE_EPOCH's (seconds since the
 * epoch, as reproducible builds use it) when that is set, so that a test
 * or a reproduction can fix it.
 */
#ifndef FUNDTRACE_PROVENANCE_H
#define FUNDTRACE_PROVENANCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/output.h"
#include "fundtrace/store.h"

#define FT_PROV_MARK "{\"kind\":\"provenance\""

typedef struct ft_prov_input {
    char *path; /* as given ("-": standard input) */
    char sha256[65];
    uint64_t bytes;
    int64_t rows_read, rows_loaded, rows_rejected;
} ft_prov_input;

/* A file an option named (--rules, --alerts, --truth, --seeds ...): not
 * data, but part of what made the output. */
typedef struct ft_prov_file {
    char *option;
    char *path;
    char sha256[65]; /* "" when it could not be read */
} ft_prov_file;

typedef struct ft_prov_param {
    char *name;  /* the long option name, without "--" */
    char *value; /* NULL for a flag */
} ft_prov_param;

typedef struct ft_provenance {
    char *version;
    char *command; /* "trace" */
    char **argv;   /* the command line as given, argv[0] "fundtrace" */
    int argc;
    ft_prov_param *params; /* the options given, in order */
    size_t nparams, cap_params;
    int64_t time_ms;
    bool time_fixed; /* from SOURCE_DATE_EPOCH */
    char *snapshot;  /* the snapshot loaded, or NULL (CSV files) */
    ft_prov_input *inputs;
    size_t ninputs;
    ft_prov_file *files;
    size_t nfiles;
    char key_fingerprint[17]; /* "" unless pseudonymised */
    /* The data was a time range of the inputs (scan --lookback):
     * "time_range" {"from", "until" (null: open), "transfers"}. */
    bool range;
    int64_t range_from_ms, range_until_ms, range_rows;
    /* The inputs were periods (load --split-by), of which these were
     * mapped: "periods" {"read", "of", "first", "last"}; of 0: none. */
    size_t periods_read, periods_of;
    char period_first[48], period_last[48];
} ft_provenance;

/* The time of the run: SOURCE_DATE_EPOCH when set (and valid), else the
 * clock; *fixed says which. */
int64_t ft_prov_now_ms(bool *fixed);

/* Starts a record: version, command, a copy of argv (argv[0] is written
 * as "fundtrace"), the time now. */
ft_status ft_prov_init(ft_provenance *p, const char *command, int argc, char *const *argv,
                       ft_error *err);
/* Adds an option given (value NULL for a flag). */
ft_status ft_prov_param_add(ft_provenance *p, const char *name, const char *value, ft_error *err);
/* The inputs of a loaded store (its files' SHA-256 and rows), and the
 * snapshot it came from (NULL: CSV files). */
ft_status ft_prov_set_inputs(ft_provenance *p, const ft_store *s, const char *snapshot,
                             ft_error *err);
/* Adds a file an option named, with its SHA-256 ("" when unreadable:
 * the command itself will say why). */
ft_status ft_prov_add_file(ft_provenance *p, const char *option, const char *path, ft_error *err);
void ft_prov_free(ft_provenance *p);

/* The command line as a POSIX shell reads it back (arguments quoted where
 * needed), malloc'd; NULL out of memory. */
char *ft_prov_command_line(const ft_provenance *p);

/* The record as one line of compact JSON (no newline), malloc'd; NULL
 * out of memory. */
char *ft_prov_json(const ft_provenance *p);
/* The record as a member (or array element, key NULL) of a JSON being
 * written. */
void ft_prov_write_member(ft_json *j, const char *key, const ft_provenance *p);

/* What an output in `fmt` carries before its results: JSON, the opening
 * of the wrapper object and the record; JSON Lines, the record's line;
 * DOT, a // comment line;
 * CSV (only when `csv` is true: --provenance), the comment lines; a
 * table, nothing. ft_prov_end closes the JSON wrapper. False out of
 * memory (nothing written). */
bool ft_prov_begin(FILE *f, const ft_provenance *p, ft_format fmt, bool csv);
void ft_prov_end(FILE *f, ft_format fmt);
/* CSV comment lines alone (for files a command writes itself). */
bool ft_prov_csv_comments(FILE *f, const ft_provenance *p);

/* --- verify ---------------------------------------------------------------------------------- */

/* Reads the record back from an output of any format: finds FT_PROV_MARK
 * in the first MiB and parses the object there (XML entities undone in
 * GraphML and GEXF). FT_EINPUT when the output carries none. */
ft_status ft_prov_read(ft_provenance *p, const char *output, ft_error *err);

/* One line of verify's report. */
typedef struct ft_verify_line {
    char *text;
    bool ok;
} ft_verify_line;

typedef struct ft_verify {
    ft_verify_line *v;
    size_t n, cap;
    size_t bad; /* lines not ok */
} ft_verify;

/* Checks that `data` (CSV files, or one snapshot) are the inputs the
 * record names: every file's SHA-256 (a snapshot: the SHA-256 its inputs
 * were loaded with) is that of an input named, and every input named is
 * among them. r lists a line per file; r->bad counts the mismatches. An
 * unreadable file is an error. */
ft_status ft_prov_verify(const ft_provenance *p, const char *const *data, int ndata, ft_verify *r,
                         ft_error *err);
void ft_verify_free(ft_verify *r);

/* The SHA-256 of a file's bytes, as 64 hex digits. */
ft_status ft_sha256_file(const char *path, char hex[65], uint64_t *bytes, ft_error *err);

#endif
