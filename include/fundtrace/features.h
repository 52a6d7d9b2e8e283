/*
 * features.h - one row of numbers per transaction, for learning from
 * labelled cases (learn, scan --model) and for users' own tools.
 *
 * The features describe a transfer by what the scan engine knows about it
 * and its two accounts: the data's profile (new relations, broken rhythms,
 * large payments, everyday amounts: scan_profile.c), counts of the
 * accounts' transfers and counterparties within time windows, and every
 * candidate each detector finds (with scan.min_score 0 by default and no
 * precedence between them), from which come the cycles the transfer lies
 * on, its scatter-gather and gather-scatter memberships and each
 * detector's score. Work at hubs is bounded as the scan bounds it; the
 * window counts are linear in an account's transfers.
 *
 * The columns, in order (W for each window, labelled as "1d", "7d", "12h";
 * fundtrace-features(1) defines each exactly):
 *
 *   amount, amount_src_median, amount_dst_median, src_gap_hours,
 *   dst_gap_hours, src_transfers, dst_transfers, pair_count, pair_reverse,
 *   pair_novel, flag_offbeat, flag_unusual, flag_link, flag_large,
 *   then per window src_out_W, src_in_W, dst_out_W, dst_in_W,
 *   src_fan_out_W, src_fan_in_W, dst_fan_out_W, dst_fan_in_W,
 *   then cycle_2 .. cycle_10, tcycle_2 .. tcycle_10, sg_count, gs_count,
 *   then det_<kind> for the eleven kinds of pattern.h, in its order.
 *
 * A missing value (no earlier transfer, no everyday amount) is NAN. The
 * values depend on the data and the settings only: the same for any
 * number of threads and any order of the input rows (except where a hub's
 * bounded search stops, as the scan's own does).
 */
#ifndef FUNDTRACE_FEATURES_H
#define FUNDTRACE_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/pattern.h"
#include "fundtrace/scan.h"
#include "fundtrace/shard.h"
#include "fundtrace/store.h"

/* The definitions above; a model names the version it was trained on, and
 * any change to a column's meaning increments it. */
#define FT_FEATURES_VERSION 1

#define FT_FEATURES_MAX_WINDOWS 8
#define FT_FEATURES_MIN_CYCLE   2
#define FT_FEATURES_MAX_CYCLE   10

typedef struct ft_features_opts {
    int nwindows;
    int64_t window_ms[FT_FEATURES_MAX_WINDOWS]; /* ascending, distinct, each > 0 */
    ft_scan_params scan; /* the profile's and the detectors' parameters (rules: none) */
} ft_features_opts;

/* Windows 1d, 7d and 30d; the scan's defaults with scan.min_score 0 (every
 * candidate counts). */
void ft_features_defaults(ft_features_opts *o);

/* Sets the windows from a list such as "1d,7d,30d" (durations as
 * ft_duration_parse reads them, whole seconds); FT_EUSAGE naming the bad
 * one. They are sorted; repeats are an error. */
ft_status ft_features_set_windows(ft_features_opts *o, const char *list, ft_error *err);

/* The settings that define the columns, as "name=value" lines in a fixed
 * order: the version, the windows, every scan parameter and every kind's
 * enabled flag. Two option sets give the same features exactly when their
 * texts are equal. Returns a malloc'd string, NULL when out of memory. */
char *ft_features_settings(const ft_features_opts *o);

/* Reads settings text back (every line ft_features_settings writes must
 * be there); FT_EINPUT naming the line that is wrong or missing. */
ft_status ft_features_settings_parse(ft_features_opts *o, const char *text, ft_error *err);

/* The first setting in which a and b differ, as "name: A here, B there"
 * into buf; false when they agree. */
bool ft_features_settings_diff(const char *a, const char *b, char *buf, size_t cap);

/* The number of columns and the name of column c (at most 47 bytes). */
uint32_t ft_features_ncols(const ft_features_opts *o);
void ft_features_name(const ft_features_opts *o, uint32_t c, char buf[48]);

/* What a column tells of a transfer, for learning that does not lean on
 * one aspect alone (learn.h's variants):
 *   amount    amount, amount_src_median, amount_dst_median, flag_large
 *   timing    src_gap_hours, dst_gap_hours, flag_offbeat
 *   relation  pair_count, pair_reverse, pair_novel, flag_unusual, flag_link
 *   activity  src_transfers, dst_transfers and every window column
 *   cycles    cycle_*, tcycle_*
 *   patterns  sg_count, gs_count, det_* */
typedef enum ft_feature_group {
    FT_FG_AMOUNT,
    FT_FG_TIMING,
    FT_FG_RELATION,
    FT_FG_ACTIVITY,
    FT_FG_CYCLES,
    FT_FG_PATTERNS,
    FT_FG_COUNT
} ft_feature_group;

ft_feature_group ft_features_group(const ft_features_opts *o, uint32_t c);
const char *ft_feature_group_name(ft_feature_group g);

/* The column of detector k's score (det_<kind>). */
uint32_t ft_features_det_col(const ft_features_opts *o, ft_pattern k);

typedef struct ft_features ft_features;

/* Computes the features of every transaction of s (whose adjacency must
 * be built) on `threads` threads. The store is borrowed and must outlive
 * the result. */
ft_status ft_features_compute(const ft_store *s, const ft_features_opts *o, int threads,
                              ft_features **out, ft_error *err);

/* Rows lo .. hi (store order) into out, row after row, ncols floats each. */
void ft_features_rows(const ft_features *f, uint32_t lo, uint32_t hi, float *out);

/* The detector candidates the features count, numbered 0 .. n - 1 (in
 * the scan's order of alerts), and those covering a row: how many there
 * are, the first `cap` of them into out. */
typedef struct ft_feature_cand {
    uint32_t id;
    uint16_t kind; /* an ft_pattern */
    float score;
} ft_feature_cand;

uint32_t ft_features_ncandidates(const ft_features *f);
uint32_t ft_features_covering(const ft_features *f, uint32_t row, ft_feature_cand *out,
                              uint32_t cap);

/* Per account: a hub, as the scan defines it (borrowed). */
const uint8_t *ft_features_hubs(const ft_features *f);

const ft_features_opts *ft_features_options(const ft_features *f);
const ft_store *ft_features_store(const ft_features *f);

void ft_features_free(ft_features *f);

/* Writers. `label` (NULL: none) gives each row 0 or 1, written as the
 * column "label" after the id. CSV: txn_id[,label], then the columns;
 * integers as integers, other values with 7 significant digits, a missing
 * value empty. Matrix: a text header (fundtrace-features(1)) padded with
 * NUL bytes to 4096 bytes, then rows of little-endian float32 in store
 * order, label first when given. Both are written atomically ("-":
 * standard output), rows formatted on `threads` threads, the same bytes
 * for any number. */
ft_status ft_features_write_csv(const ft_features *f, const uint8_t *label, const char *path,
                                int threads, ft_error *err);
ft_status ft_features_write_matrix(const ft_features *f, const uint8_t *label, const char *path,
                                   int threads, ft_error *err);

/* The writers for part `sh` of a sharded run (shard.h; NULL or count 0:
 * the whole, as above): the part's header line (run id `run`), then
 * exactly the bytes one run writes for the part's block of rows, with
 * the CSV's column line or the matrix's header in the first part only,
 * so that the parts joined in order are one run's output. */
ft_status ft_features_write_part(const ft_features *f, const uint8_t *label, const char *path,
                                 bool csv, const ft_shard *sh, uint64_t run, int threads,
                                 ft_error *err);

#endif
