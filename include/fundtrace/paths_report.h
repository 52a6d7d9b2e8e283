/*
 * paths_report.h - what `fundtrace paths` answers, in one call: the
 * searches asked for, run in order and written as they finish.
 *
 * By default the earliest-arrival and the fewest-hops paths; with `all`,
 * every path of at most o->max_hops transfers (streamed, at most `limit`)
 * instead of those two; with `static_path`, the static shortest path too;
 * with `maxflow`, the static and the temporal maximum flow in one
 * currency. Output (paths.h's writers): a JSON array, JSON Lines, CSV
 * rows under one header, or a table with a blank line between items.
 */
#ifndef FUNDTRACE_PATHS_REPORT_H
#define FUNDTRACE_PATHS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/output.h"
#include "fundtrace/paths.h"

typedef struct ft_paths_request {
    bool all, static_path, maxflow;
    uint64_t limit;       /* all: stop after this many paths (0: none) */
    const char *currency; /* maxflow: a currency code; NULL: the most used one */
} ft_paths_request;

typedef struct ft_paths_answer {
    bool found;     /* a path, or a flow above zero */
    uint64_t paths; /* all: paths written */
    bool more;      /* all: the limit stopped the search */
} ft_paths_answer;

/* The currency of a flow: `code`, or the one most transfers use when code
 * is NULL. FT_EUSAGE when no transfer uses `code`. */
ft_status ft_paths_currency(const ft_store *s, const char *code, uint16_t *cur, ft_error *err);

/* Runs the request from `from` to `to` and writes each answer to f as it
 * comes. Needs the store's adjacency. */
ft_status ft_paths_report(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                          ft_account_set to, const ft_paths_request *rq, FILE *f, ft_format fmt,
                          ft_paths_answer *ans, ft_error *err);

#endif
