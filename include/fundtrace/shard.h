/*
 * shard.h - one run cut into shards, and the shards joined again.
 *
 * `--shard I/N` makes a command do the I-th of N equal parts of its work
 * (trace: the I-th block of its seed list) over the same read-only data,
 * and print its part of the output behind one header line:
 *
 *   fundtrace-shard 1 COMMAND I/N run=RUN status=S
 *
 * RUN is a hash of the command line without the --shard option, so that
 * parts of different runs are never joined; S is the exit status the
 * part would give on its own (0 found, 1 nothing, 2 an error).
 *
 * Two kinds of part. A trace's (and a features run's: blocks of rows)
 * part is exactly the
 * bytes one run would print for that part, so the join writes them in
 * shard order: the merged output is one run's, byte for byte, and the
 * merged status is 2 if a part failed, else 0 if a part found something,
 * else 1.
 *
 * A scan's part is what the command found before its last step, which
 * looks across all parts (scan drops general alerts that specific ones
 * cover, groups bipartite blocks). Its header line ends in " args=K" and
 * K lines "arg X" follow, the command line without --shard (X escaped as
 * ft_shard_escape writes it), so that `fundtrace merge` can run that last
 * step with the same options over the same data; then the part's own
 * records. A part whose data differs from the merge's (ft_shard_data_id)
 * is refused.
 */
#ifndef FUNDTRACE_SHARD_H
#define FUNDTRACE_SHARD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"

typedef struct ft_shard {
    uint32_t index, count; /* 0-based index of count; count 0: not sharded */
} ft_shard;

/* Parses "I/N" (1 <= I <= N <= 65535) into a 0-based shard. */
bool ft_shard_parse(const char *s, ft_shard *out);

/* The part of n items that shard sh does: [*lo, *hi). */
void ft_shard_range(const ft_shard *sh, uint64_t n, uint64_t *lo, uint64_t *hi);

/* The run's hash: argv[1 .. argc) without "--shard X" / "--shard=X". */
uint64_t ft_shard_run_id(int argc, char *const *argv);

/* Writes the header line of a part. */
void ft_shard_header(FILE *f, const char *command, const ft_shard *sh, uint64_t run, int status);

/* The same line into buf (cap bytes, NUL-terminated); its length. */
size_t ft_shard_header_text(char *buf, size_t cap, const char *command, const ft_shard *sh,
                            uint64_t run, int status);

/* Writes the header of a part that merge finishes by running the
 * command's last step (scan): the header line with args=K, then the
 * command line argv[1 .. argc) without --shard. */
void ft_shard_header_args(FILE *f, const char *command, const ft_shard *sh, int argc,
                          char *const *argv, int status);

/* Writes s[0 .. len) with '%', '\t', '\n', '\r', other bytes below 0x20
 * and 0x7f as %XX, so that it fits in one field of a line. */
void ft_shard_escape(FILE *f, const char *s, size_t len);
/* Undoes ft_shard_escape in place; false when a %XX is malformed. */
bool ft_shard_unescape(char *s, size_t *len);

/* The parts of one run, checked and in shard order. */
typedef struct ft_shard_part {
    const char *path;
    FILE *f; /* positioned after the header (and its args) */
    char command[32];
    uint32_t index, count;
    uint64_t run;
    int status;
    int nargs;    /* args=K */
    char **args;  /* the command line without --shard (nargs), malloc'd */
    int64_t line; /* lines read so far, for messages */
} ft_shard_part;

typedef struct ft_shard_parts {
    ft_shard_part *v; /* v[i] is part i + 1 */
    int n;
    int status; /* the merged status of the parts' own statuses */
} ft_shard_parts;

/* Opens the parts in `paths` (in any order): they must be all N parts of
 * one run, each once (else FT_EINPUT naming the file). */
ft_status ft_shard_parts_open(ft_shard_parts *ps, const char *const *paths, int npaths,
                              ft_error *err);
void ft_shard_parts_close(ft_shard_parts *ps);

/* Copies the parts' bytes after their headers to f, in shard order. */
ft_status ft_shard_parts_copy(const ft_shard_parts *ps, FILE *f, ft_error *err);

/* Joins the parts in `paths` (in any order) into f, by copying. They
 * must be all N parts of one run, each once. *status gets the merged exit
 * status. */
ft_status ft_shard_merge(FILE *f, const char *const *paths, int npaths, int *status, ft_error *err);

struct ft_store;
/* A hash of the data a part was run on: the transactions' times,
 * accounts, amounts and currencies, and the number of accounts. */
uint64_t ft_shard_data_id(const struct ft_store *s);

#endif
