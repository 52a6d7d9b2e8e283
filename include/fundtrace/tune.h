/*
 * tune.h - detector parameters tuned on labelled data ("above and below
 * the line" testing, as compliance teams do it by hand).
 *
 * A coordinate search: from the starting parameters, each parameter of
 * each chosen detector in turn (in the order of ft_tune_ranges) is set to
 * every value of its documented range, the whole scan is run and scored
 * with eval against the truth, and the value nearest the one it had
 * whose objective is within one standard error of the best is kept (the
 * one-standard-error rule: the value it had when that is within; a gain
 * smaller than the noise of the instances it is measured on does not
 * move a parameter away from what holds on other data); then the next
 * parameter, from there.
 * A pass goes through all of them; the search stops after `passes` passes
 * or a pass that changed nothing. scan.min_score comes last. So the work
 * is bounded (at most passes times the values of the ranges, scans) and
 * deterministic.
 *
 * The objective of a detector's parameter is the F1 of its own pattern
 * (instance level, as eval computes it), or the overall F1 when the truth
 * has no instance of it; ties go to the better overall F1. With an alert
 * budget (`max_alerts_per_100k` > 0) it is the overall recall among
 * settings whose alerts per 100,000 transfers stay within the budget (any
 * such setting beats any setting over it; over it, fewer alerts are
 * better), ties again to the overall F1.
 */
#ifndef FUNDTRACE_TUNE_H
#define FUNDTRACE_TUNE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/eval.h"
#include "fundtrace/progress.h"
#include "fundtrace/scan.h"
#include "fundtrace/store.h"

#define FT_TUNE_MAX_VALUES 12

/* A parameter's range: the values tried, ascending. */
typedef struct ft_tune_range {
    const char *name; /* a scan parameter */
    int kind;         /* its detector (ft_pattern), -1 for scan.min_score */
    int nvalues;
    double values[FT_TUNE_MAX_VALUES];
} ft_tune_range;

/* Every range, in the order searched; ends with a NULL name. */
extern const ft_tune_range ft_tune_ranges[];

typedef struct ft_tune_opts {
    double max_alerts_per_100k; /* > 0: the best recall within it; 0: the best F1 */
    int passes;                 /* at most this many passes (2) */
    int threads;
    bool kinds[FT_PAT_COUNT]; /* the detectors whose parameters are searched */
    bool min_score;           /* search scan.min_score too */
    /* Called after each scan with those done and the most there can be;
     * NULL: none. */
    ft_advance_fn progress;
    void *progress_ctx;
} ft_tune_opts;

/* Every detector, scan.min_score, 2 passes, best F1, 1 thread. */
void ft_tune_defaults(ft_tune_opts *o);

#define FT_TUNE_MAX_CHANGES 256

typedef struct ft_tune_change {
    const char *name;
    double from, to;
} ft_tune_change;

typedef struct ft_tune_result {
    ft_scan_params params;               /* the best found (rules borrowed from the start) */
    ft_eval_result start, end;           /* the figures with the starting and the best parameters */
    double start_per_100k, end_per_100k; /* alerts per 100,000 transfers */
    int scans;
    ft_tune_change changes[FT_TUNE_MAX_CHANGES];
    int nchanges;
} ft_tune_result;

/* Searches from `start` on s (adjacency built) against the truth in
 * `truth` (whose alerts it replaces). */
ft_status ft_tune_run(const ft_store *s, ft_eval *truth, const ft_scan_params *start,
                      const ft_tune_opts *o, ft_tune_result *res, ft_error *err);
void ft_tune_result_free(ft_tune_result *res);

/* The objective of a parameter of detector `kind` (an ft_pattern; -1:
 * scan.min_score) for a scan scored into r with per_100k alerts per
 * 100,000 transfers (see above): out[0] the primary, out[1] the overall
 * F1 (undefined figures count as 0), *n the instances the primary is
 * measured on. budget: max_alerts_per_100k (0: none). */
void ft_tune_objective(const ft_eval_result *r, double per_100k, int kind, double budget,
                       double out[2], int64_t *n);

/* The standard error of a share v (an F1 or a recall) measured on n
 * instances, sqrt(v (1 - v) / n); 0 for v 0 or 1 or no instances. */
double ft_tune_noise(double v, int64_t n);

/* The value of r a step of the search moves to, -1 to stay at `was`:
 * obj[v] is the objective (primary, secondary) of value v (not read where
 * it is `was`), `here` that of `was`, n the instances the primary is
 * measured on; with `budget` the primary is 1 + recall within the alert
 * budget, below 1 over it. Of the values (was among them) whose primary
 * is within one standard error (ft_tune_noise) of the best, the nearest
 * to `was` in steps of the range, the better on a tie of distance; over
 * the budget, only the best. */
int ft_tune_choose(const ft_tune_range *r, double was, const double here[2],
                   const double obj[][2], int64_t n, bool budget);

/* Writes the result as a rules file: comments with the search and the
 * figures at the start and the end, then a [params] section with every
 * parameter searched (changed ones with the value they had), atomically.
 * `data` and `truth` name the inputs in the comments. */
ft_status ft_tune_write(const ft_tune_result *res, const ft_tune_opts *o, const char *data,
                        const char *truth, const char *path, ft_error *err);

#endif
