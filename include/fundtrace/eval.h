/*
 * eval.h - detection quality: alerts scored against a ground truth.
 *
 * An alert (as scan writes it, read with alerts_read.h: id, kind, txns
 * and more) names the transactions it covers by their original ids. A truth
 * instance has a pattern and its transaction ids. Then:
 *
 *   - an alert matches an instance when it covers at least `share` (0.5)
 *     of the instance's transactions and the instance's transactions are
 *     at least `purity` (0.25) of the alert's: an alert that lists all 200
 *     payments a hub received, 8 of them laundering, matches nothing;
 *   - an instance is found when a matching alert is of its pattern's kind
 *     (any kind, when the truth has no pattern, as a label column);
 *   - an alert is good when it matches some instance, of any pattern, or
 *     when at least `planted` (0.5) of its transactions are in instances;
 *   - instance precision = good alerts / alerts, recall = instances found /
 *     instances, F1 their harmonic mean; per pattern (alerts of that kind,
 *     instances of that pattern) and overall;
 *   - ranked by score (alerts without one last, then in input order):
 *     precision at the top K alerts, and average precision, the area under
 *     the precision-recall curve: the sum over the ranked alerts of the
 *     precision so far times the recall each adds;
 *   - transaction precision and recall compare the set of transactions the
 *     alerts cover with the set the instances hold, per pattern and overall.
 *
 * Pattern and kind names compare after lower-casing and turning '-' into
 * '_', so the IBM files' FAN-OUT is fan_out.
 */
#ifndef FUNDTRACE_EVAL_H
#define FUNDTRACE_EVAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/output.h"
#include "fundtrace/pool.h"
#include "fundtrace/store.h"

typedef struct ft_eval ft_eval;

/* A new, empty evaluation. */
ft_status ft_eval_new(ft_eval **ev, ft_error *err);
void ft_eval_free(ft_eval *ev);

/* Truth sources. Each adds instances; they may be combined. */

/* Our ground-truth CSV: instance_id,pattern,params,txn_ids,accounts with
 * txn_ids separated by ';' (what synth writes). */
ft_status ft_eval_truth_csv(ft_eval *ev, const char *path, ft_error *err);

/* An IBM AMLworld *_Patterns.txt. Its BEGIN/END blocks list data rows, so
 * the data file is read to find each row's line: the transaction's id is
 * then "file:line" with the data file's base name, as fundtrace names the
 * rows of a file without an id column. */
ft_status ft_eval_truth_ibm(ft_eval *ev, const char *patterns, const char *data, ft_error *err);

/* An AMLSim alert_transactions.csv: alert_id, alert_type and tran_id
 * columns (others ignored). */
ft_status ft_eval_truth_amlsim(ft_eval *ev, const char *path, ft_error *err);

/* Any of the three truth files above, plain or gzip, recognised by its
 * first line; `data` is the IBM data file (NULL: none, an error for IBM
 * patterns). */
ft_status ft_eval_truth_file(ft_eval *ev, const char *path, const char *data, ft_error *err);

/* The label column of a loaded store: each distinct label is an instance
 * of unknown pattern. */
ft_status ft_eval_truth_labels(ft_eval *ev, const ft_store *s, ft_error *err);

/* Reads alerts in any format scan writes (alerts_read.h; "-" is standard
 * input). Anything that is not an alert is an FT_EINPUT error naming file,
 * line and column. */
ft_status ft_eval_alerts(ft_eval *ev, const char *path, ft_error *err);

/* As ft_eval_alerts, from `len` bytes of memory. */
ft_status ft_eval_alerts_buffer(ft_eval *ev, const char *name, const char *data, size_t len,
                                ft_error *err);

struct ft_alert_in;

/* Adds one alert held in memory (as ft_alerts_next gives them: id, kind,
 * score text or NULL, transaction ids); `name` names it in errors. */
ft_status ft_eval_add_alert(ft_eval *ev, const char *name, const struct ft_alert_in *a,
                            ft_error *err);

struct ft_alerts;

/* Adds the alerts of a scan of s (scan.h) whose keep[i] is set (keep
 * NULL: all), each named by its id, kind, score and its transfers'
 * original ids, as if read from scan's output. */
ft_status ft_eval_add_scan(ft_eval *ev, const ft_store *s, const struct ft_alerts *al,
                           const uint8_t *keep, ft_error *err);

/* Forgets the alerts read so far, keeping the truth: a search scoring one
 * set of alerts after another against the same truth (tune). */
void ft_eval_clear_alerts(ft_eval *ev);

/* Marks the transactions of s that a truth instance holds: mark[i] = 1
 * for store row i (0 for the others). *matched counts the truth's
 * transaction ids found in s (NULL: not wanted). */
ft_status ft_eval_truth_mark(const ft_eval *ev, const ft_store *s, uint8_t *mark, uint64_t *matched,
                             ft_error *err);

typedef struct ft_eval_options {
    double share;   /* of an instance an alert must cover to match it */
    double purity;  /* of an alert the matched instance must make up */
    double planted; /* of an alert's transactions planted, for it to be good anyway */
    int64_t top_k;  /* precision at the top K alerts by score */
} ft_eval_options;

/* share 0.5, purity 0.25, planted 0.5, top_k 100. */
void ft_eval_defaults(ft_eval_options *o);

typedef struct ft_eval_row {
    char name[48];            /* the pattern, or "overall" */
    int64_t instances, found; /* truth instances, and those found */
    int64_t alerts, true_alerts;              /* alerts, and the good ones */
    double precision, recall, f1;             /* negative when undefined */
    double ap, p_at_k;                        /* negative when undefined (no scores, no alerts) */
    double txn_precision, txn_recall, txn_f1; /* negative when undefined */
    int64_t txn_truth, txn_alerted, txn_both;
} ft_eval_row;

typedef struct ft_eval_result {
    ft_eval_options opt;
    ft_eval_row *rows; /* one per pattern or kind, by name; then "overall" */
    int nrows;
    char **unmatched; /* ids of the alerts that are not good, in input order */
    char **unmatched_kind;
    int64_t nunmatched;
    /* Per truth instance, in the order read: found (0/1), and the row of
     * its pattern (or "labelled"): what study compares instance by
     * instance. */
    int64_t ninstances;
    uint8_t *found;
    int *inst_row;
} ft_eval_result;

/* Scores the alerts read so far against the truth read so far. */
ft_status ft_eval_score(ft_eval *ev, const ft_eval_options *o, ft_eval_result *res, ft_error *err);
void ft_eval_result_free(ft_eval_result *res);

/* The result as a table or JSON. */
void ft_eval_write(FILE *f, const ft_eval_result *res, ft_format fmt);

#endif
