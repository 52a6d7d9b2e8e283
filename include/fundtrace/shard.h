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
 * part would give on its own (0 found, 1 nothing, 2 an error). What
 * follows is exactly the bytes one run would print for that part, so
 * ft_shard_merge joins them by writing them in shard order: the merged
 * output is one run's, byte for byte, and the merged status is 2 if a
 * part failed, else 0 if a part found something, else 1.
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

/* Joins the parts in `paths` (in any order) into f. They must be all N
 * parts of one run, each once. *status gets the merged exit status. */
ft_status ft_shard_merge(FILE *f, const char *const *paths, int npaths, int *status, ft_error *err);

#endif
