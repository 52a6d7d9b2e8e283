/*
 * model.h - a gradient-boosted tree model over the features (features.h),
 * trained by learn (learn.h) with XGBoost, and its file.
 *
 * The file is text lines, then the booster as XGBoost saves it (UBJSON),
 * then a last line with the SHA-256 of every byte before it:
 *
 *   fundtrace-model 2                  (1: before variants; refused)
 *   fundtrace 0.1.0                    the version that wrote it
 *   threshold 0.61                     flag a transfer scoring this or more
 *   group_window 30d                   flagged transfers this close are one alert
 *   seed 1 / rounds 143 / ...          how it was trained
 *   train_rows N, train_positives P, negatives S, train_kept N, variants W,
 *   validate_rows N, validate_positives P, validate_flagged N,
 *   validate_from TIME, validate_precision, validate_recall, validate_f1
 *   source SHA256 ROWS NAME            per input file of the training data
 *   column NAME                        per feature, in order
 *   setting NAME=VALUE                 the feature settings (features.h)
 *   booster LENGTH, then LENGTH bytes
 *   sha256 HEX
 *
 * A file whose checksum does not match (a flipped bit), whose layout is
 * wrong, or whose columns are not those this fundtrace computes for its
 * settings is refused with FT_ECORRUPT or FT_EINPUT and a message naming
 * it.
 */
#ifndef FUNDTRACE_MODEL_H
#define FUNDTRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/features.h"

#define FT_MODEL_MAX_SOURCES 64

typedef struct ft_model_source {
    char sha256[65];
    int64_t rows;
    char name[256]; /* the file's base name */
} ft_model_source;

typedef struct ft_model {
    char version[32];      /* the fundtrace that wrote it */
    ft_features_opts opts; /* the feature settings */
    char *settings;        /* the same, as ft_features_settings writes them */
    uint32_t ncols;
    double threshold; /* a transfer scoring this or more is flagged */
    int64_t group_window_ms;
    uint64_t seed;
    int rounds, max_depth;
    double eta;
    int64_t train_rows, train_positives, validate_rows, validate_positives;
    int64_t validate_flagged; /* validation transfers at or above the threshold */
    double negatives;   /* the share of unlabelled training transfers it was trained on */
    double variants;    /* the weight of the labelled transfers' variants (learn.h) */
    int64_t train_kept; /* the training transfers it was trained on */
    int64_t validate_from_ms;
    double precision, recall, f1; /* on the validation part, per transaction */
    ft_model_source sources[FT_MODEL_MAX_SOURCES];
    int nsources;
    char checksum[65]; /* the file's SHA-256 line, once written or read */
    void *booster;     /* an XGBoost BoosterHandle */
    int threads;       /* XGBoost's threads for predictions */
} ft_model;

/* Writes m atomically (writer.h) and sets its checksum. */
ft_status ft_model_write(ft_model *m, const char *path, ft_error *err);

/* Reads and checks a model file (see above) into m, zeroed first. */
ft_status ft_model_read(ft_model *m, const char *path, ft_error *err);

/* FT_EUSAGE, naming the first setting that differs, when features computed
 * with `o` are not those the model was trained on. */
ft_status ft_model_check(const ft_model *m, const ft_features_opts *o, const char *path,
                         ft_error *err);

/* Scores n rows (ncols floats each, NAN for missing) into p: the chance,
 * from 0 to 1, that each is a transfer like the labelled ones. */
ft_status ft_model_predict(const ft_model *m, const float *rows, uint32_t n, float *p,
                           ft_error *err);

/* Each feature's contribution to each row's score, in log-odds (SHAP
 * values, as XGBoost computes them): n rows of ncols + 1 floats, the last
 * the bias. */
ft_status ft_model_contribs(const ft_model *m, const float *rows, uint32_t n, float *c,
                            ft_error *err);

/* Whether the model flags a share of a data set's `rows` transfers
 * (`flagged` of them) like the share of transfers labelled in the data it
 * was trained on (training and validation parts together): false, with a
 * sentence into why, when the share is more than FT_MODEL_FIT_FACTOR
 * times that, or less than 1/FT_MODEL_FIT_FACTOR of it where that share
 * would have flagged at least ten. A model that flags far more or far
 * less than its own data held cases probably does not fit this data
 * (another generator, bank, or period): it learnt what marked that data's
 * cases, and that mark is not there, or is everywhere. */
#define FT_MODEL_FIT_FACTOR 10
bool ft_model_fits(const ft_model *m, uint64_t flagged, uint64_t rows, char *why, size_t cap);

void ft_model_free(ft_model *m);

/* XGBoost's last error as an ft_error. */
ft_status ft_model_xgb_error(ft_error *err, const char *what);

#endif
