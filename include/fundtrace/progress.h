/*
 * progress.h - how long steps report how far they got, for progress
 * displays. The library never prints: the program decides whether and
 * how to show it (cli.h).
 */
#ifndef FUNDTRACE_PROGRESS_H
#define FUNDTRACE_PROGRESS_H

#include <stdint.h>

/* `done` units of `total` are done (total 0: not known). Called from the
 * thread doing the work, often: the callee rate-limits its display. */
typedef void (*ft_advance_fn)(void *ctx, uint64_t done, uint64_t total);

#endif
