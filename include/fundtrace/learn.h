/*
 * learn.h - a gradient-boosted tree model trained on labelled transfers
 * (XGBoost over the features of features.h), and alerts from it.
 *
 * Training splits by time: the transfers before `validate_from` (the time
 * at the start of the last `validate` share of the rows) train, the later
 * ones validate. Labelled transfers are rare, so each counts
 * negatives / positives times more in training (XGBoost's
 * scale_pos_weight), and the threshold is the score with the best F1 on
 * the validation part, per transfer. Boosting stops once `patience` rounds
 * in a row did not improve the validation part's area under the
 * precision-recall curve, and keeps the rounds up to the best.
 *
 * Alerts (ft_model_scan): every transfer the model scores at or above its
 * threshold is flagged; two flagged transfers are connected when they
 * share an account that is not a hub, at most the model's group window
 * apart; each connected group, with the rest of the transfers of the
 * candidates its flagged ones belong to (those a default scan would
 * report), is an alert. Its kind is that of the detector whose
 * candidates (as features.h finds them) cover most of its flagged
 * transfers, when one covers at least half of them, else "learned"; its
 * score the highest of its transfers; its explanation the features that
 * contributed most to their scores (XGBoost's SHAP values, summed).
 */
#ifndef FUNDTRACE_LEARN_H
#define FUNDTRACE_LEARN_H

#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/features.h"
#include "fundtrace/model.h"
#include "fundtrace/progress.h"
#include "fundtrace/scan.h"
#include "fundtrace/store.h"

typedef struct ft_learn_opts {
    ft_features_opts features;
    double validate;         /* the later share of the rows that validates (0.3) */
    int max_rounds;          /* at most this many boosting rounds (300) */
    int patience;            /* stop after this many without improvement (30) */
    int max_depth;           /* of a tree (6) */
    double eta;              /* the learning rate (0.3) */
    uint64_t seed;           /* XGBoost's seed, and the negatives' sample (1) */
    double negatives;        /* the share of unlabelled training transfers kept (1: all) */
    /* The weight of each labelled training transfer's variants, all
     * together, against the transfer's own (1; 0: none): one variant per
     * feature group (features.h), the transfer with that group's columns
     * taken from an ordinary (unlabelled) training transfer, so that the
     * model does not call a case ordinary because one aspect of it is;
     * launderers vary any one aspect, and another data set's cases may
     * lack the one its training data stressed. */
    double variants;
    int64_t group_window_ms; /* flagged transfers this close are one alert (30 days) */
    int threads;
    /* Called after each boosting round with the rounds done and the most
     * there can be (max_rounds; early stopping ends sooner); NULL: none. */
    ft_advance_fn progress;
    void *progress_ctx;
} ft_learn_opts;

void ft_learn_defaults(ft_learn_opts *o);

#define FT_LEARN_TOP 10

typedef struct ft_learn_report {
    /* the features that gained the model most, best first */
    char top_name[FT_LEARN_TOP][48];
    double top_gain[FT_LEARN_TOP]; /* share of the total gain */
    int ntop;
    int64_t validate_flagged; /* validation transfers at or above the threshold */
} ft_learn_report;

/* Trains on s (adjacency built) with label[i] 0 or 1 per row; fills *m
 * (ft_model_free releases it) with the booster, threshold, figures and
 * the sources of s. FT_EINPUT when a part has no labelled transfer. */
ft_status ft_learn(const ft_store *s, const uint8_t *label, const ft_learn_opts *o, ft_model *m,
                   ft_learn_report *rep, ft_error *err);

struct ft_rules;

/* Scores every transfer of s (adjacency built) with the model and makes
 * the alerts (see above) into *out, with those of `rules` (NULL: none;
 * see rules.h), sorted as ft_scan_run sorts them. */
ft_status ft_model_scan(const ft_store *s, const ft_model *m, const struct ft_rules *rules,
                        int threads, ft_alerts *out, ft_error *err);

/* What scan --model does with a model that does not fit the data
 * (ft_model_fits). */
typedef enum ft_misfit {
    FT_MISFIT_DETECTORS, /* the detectors' alerts instead: a default scan's */
    FT_MISFIT_MODEL,     /* the model's alerts all the same */
    FT_MISFIT_REFUSE,    /* no alerts: FT_EINPUT saying why */
} ft_misfit;

/* ft_model_scan, then the fit check: where the model fits, or `misfit`
 * is FT_MISFIT_MODEL, its alerts; where it does not, the alerts of a
 * default scan (ft_scan_run with the detector settings the model was
 * trained with, `rules`, and the default scan.min_score) or FT_EINPUT.
 * *fits says whether the model fit, `why` (cap bytes) why not. */
ft_status ft_model_scan_checked(const ft_store *s, const ft_model *m, const struct ft_rules *rules,
                                int threads, ft_misfit misfit, ft_alerts *out, bool *fits,
                                char *why, size_t cap, ft_error *err);

#endif
