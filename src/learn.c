/*
 * learn.c - training a gradient-boosted tree model on labelled transfers
 * (learn.h) with XGBoost's C API.
 *
 * The features are never held as one matrix: XGBoost's quantile matrix
 * is built from batches of rows assembled on the fly (its callback
 * interface), so memory is the features' own columns plus one byte per
 * value for XGBoost's binned copy, and validation scores come from
 * in-place predictions on blocks of rows. Training uses the `hist` method
 * with a fixed seed; its result is the same for any number of threads.
 */
#include "fundtrace/learn.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "fundtrace/hash.h"
#include "fundtrace/time.h"

#define BATCH_ROWS 65536

void ft_learn_defaults(ft_learn_opts *o)
{
    memset(o, 0, sizeof *o);
    ft_features_defaults(&o->features);
    o->validate = 0.3;
    o->max_rounds = 300;
    o->patience = 30;
    o->max_depth = 6;
    o->eta = 0.3;
    o->seed = 1;
    o->negatives = 1;
    o->variants = 1;
    o->group_window_ms = 30 * 86400000LL;
    o->threads = 1;
}

/* --- batches of rows for XGBoost ---------------------------------------------------------- */

typedef struct batches {
    const ft_features *f;
    const uint8_t *label;
    const uint8_t *keep; /* NULL: every row */
    uint32_t lo, hi, at, ncols;
    float *x, *y, *w; /* w: NULL without variants */
    /* The variants, after rows lo .. hi: for each labelled row pos[i] and
     * each group g, that row with g's columns from row donor[i * FT_FG_COUNT
     * + g], weighing `weight`. */
    const uint32_t *pos, *donor;
    const uint8_t *group; /* per column */
    uint32_t npos, vat;
    float weight;
    float *tmp; /* one donor row */
    DMatrixHandle proxy;
    bool failed;
} batches;

static void batches_reset(DataIterHandle h)
{
    batches *b = h;
    b->at = b->lo;
    b->vat = 0;
}

/* Variant v (of npos * FT_FG_COUNT) into row. */
static void variant_row(const batches *b, uint32_t v, float *row)
{
    uint32_t i = v / FT_FG_COUNT, g = v % FT_FG_COUNT;
    ft_features_rows(b->f, b->pos[i], b->pos[i] + 1, row);
    ft_features_rows(b->f, b->donor[v], b->donor[v] + 1, b->tmp);
    for (uint32_t c = 0; c < b->ncols; c++)
        if (b->group[c] == g)
            row[c] = b->tmp[c];
}

static int batches_next(DataIterHandle h)
{
    batches *b = h;
    if (b->failed)
        return 0;
    uint32_t k = 0;
    while (b->at < b->hi && k < BATCH_ROWS) {
        /* a run of kept rows at once */
        uint32_t r = b->at, e = r;
        while (e < b->hi && k + (e - r) < BATCH_ROWS && (!b->keep || b->keep[e]))
            e++;
        if (e > r) {
            ft_features_rows(b->f, r, e, b->x + (size_t)k * b->ncols);
            for (uint32_t q = r; q < e; q++) {
                if (b->w)
                    b->w[k] = 1;
                b->y[k++] = (float)b->label[q];
            }
        } else {
            e = r + 1; /* a row left out */
        }
        b->at = e;
    }
    for (uint32_t nv = b->npos * FT_FG_COUNT; b->at == b->hi && b->vat < nv && k < BATCH_ROWS;
         b->vat++) {
        variant_row(b, b->vat, b->x + (size_t)k * b->ncols);
        b->w[k] = b->weight;
        b->y[k++] = 1;
    }
    if (k == 0)
        return 0;
    char iface[256];
    snprintf(iface, sizeof iface,
             "{\"data\": [%" PRIuPTR ", true], \"shape\": [%u, %u], \"typestr\": \"<f4\", "
             "\"version\": 3}",
             (uintptr_t)b->x, k, b->ncols);
    if (XGProxyDMatrixSetDataDense(b->proxy, iface) != 0 ||
        XGDMatrixSetFloatInfo(b->proxy, "label", b->y, k) != 0 ||
        (b->w && XGDMatrixSetFloatInfo(b->proxy, "weight", b->w, k) != 0)) {
        b->failed = true;
        return 0;
    }
    return 1;
}

/* A quantile matrix of rows [lo, hi); `ref` (NULL: none) gives the bins. */
static ft_status quantile_matrix(batches *b, DMatrixHandle ref, int threads, DMatrixHandle *out,
                                 ft_error *err)
{
    char config[128];
    snprintf(config, sizeof config, "{\"missing\": NaN, \"nthread\": %d, \"max_bin\": 256}",
             threads);
    if (XGProxyDMatrixCreate(&b->proxy) != 0)
        return ft_model_xgb_error(err, "learn");
    int rc = XGQuantileDMatrixCreateFromCallback(b, b->proxy, ref, batches_reset, batches_next,
                                                 config, out);
    XGDMatrixFree(b->proxy);
    b->proxy = NULL;
    if (rc != 0 || b->failed)
        return ft_model_xgb_error(err, "learn");
    return FT_OK;
}

/* --- the threshold ----------------------------------------------------------------------- */

typedef struct scored {
    float p;
    uint8_t y;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    float x = ((const scored *)a)->p, y = ((const scored *)b)->p;
    return (x < y) - (x > y); /* high first */
}

/* The score whose "at or above" has the best F1; its precision, recall
 * and F1 and how many are flagged. Equal scores go together. */
static void best_threshold(scored *v, uint32_t n, int64_t positives, double *thr, double *prec,
                           double *rec, double *f1, int64_t *flagged)
{
    qsort(v, n, sizeof *v, cmp_scored);
    int64_t tp = 0;
    *thr = 1;
    *prec = *rec = *f1 = 0;
    *flagged = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && v[j].p == v[i].p)
            tp += v[j++].y;
        double p = (double)tp / (double)j, r = positives ? (double)tp / (double)positives : 0;
        double f = p + r > 0 ? 2 * p * r / (p + r) : 0;
        if (f > *f1) {
            *f1 = f;
            *prec = p;
            *rec = r;
            *thr = v[i].p;
            *flagged = j;
        }
        i = j;
    }
}

/* --- training ---------------------------------------------------------------------------- */

static ft_status set(BoosterHandle b, const char *name, const char *value, ft_error *err)
{
    if (XGBoosterSetParam(b, name, value) != 0)
        return ft_model_xgb_error(err, "learn");
    return FT_OK;
}

/* The average precision of the scores v[0 .. n) (labels in .y): the
 * precision at each labelled one, high scores first, averaged; the area
 * under the precision-recall curve as scikit-learn computes it. */
static double average_precision(scored *v, uint32_t n, int64_t positives)
{
    qsort(v, n, sizeof *v, cmp_scored);
    int64_t tp = 0;
    double ap = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        int64_t got = 0;
        while (j < n && v[j].p == v[i].p)
            got += v[j++].y;
        tp += got;
        if (got && positives)
            ap += (double)got / (double)positives * (double)tp / (double)j;
        i = j;
    }
    return ap;
}

/* The validation part's average precision after round `it`, ranked by
 * margin: the round's tree's margins (predicted in place from the rows,
 * xv) added to those of the rounds before, so that a round costs one
 * tree's predictions. */
static ft_status validation_ap(BoosterHandle b, const float *xv, uint32_t ncols, int it,
                               const uint8_t *label, uint32_t lo, uint32_t n, int64_t positives,
                               double *margin, scored *v, double *ap, ft_error *err)
{
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    char config[256], iface[256];
    snprintf(config, sizeof config,
             "{\"type\": 1, \"training\": false, \"iteration_begin\": %d, \"iteration_end\": "
             "%d, \"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}",
             it, it + 1);
    snprintf(iface, sizeof iface,
             "{\"data\": [%" PRIuPTR ", true], \"shape\": [%u, %u], \"typestr\": \"<f4\", "
             "\"version\": 3}",
             (uintptr_t)xv, n, ncols);
    if (XGBoosterPredictFromDense(b, iface, config, NULL, &shape, &dim, &res) != 0)
        return ft_model_xgb_error(err, "learn");
    for (uint32_t i = 0; i < n; i++) {
        /* base_score 0.5 is a margin of 0: a round's margin is its tree's */
        margin[i] += res[i];
        v[i] = (scored){(float)margin[i], label[lo + i] != 0};
    }
    *ap = average_precision(v, n, positives);
    return FT_OK;
}

static void top_features(BoosterHandle b, const ft_features_opts *fo, ft_learn_report *rep)
{
    bst_ulong nf = 0, dim = 0;
    const char **names = NULL;
    const bst_ulong *shape = NULL;
    const float *scores = NULL;
    rep->ntop = 0;
    if (XGBoosterFeatureScore(b, "{\"importance_type\": \"total_gain\"}", &nf, &names, &dim, &shape,
                              &scores) != 0)
        return;
    double total = 0;
    for (bst_ulong i = 0; i < nf; i++)
        total += scores[i];
    bool used[4096] = {false};
    for (int k = 0; k < FT_LEARN_TOP && total > 0; k++) {
        bst_ulong best = nf;
        for (bst_ulong i = 0; i < nf && i < 4096; i++)
            if (!used[i] && (best == nf || scores[i] > scores[best]))
                best = i;
        if (best == nf)
            break;
        used[best] = true;
        unsigned col = 0;
        if (sscanf(names[best], "f%u", &col) != 1 || col >= ft_features_ncols(fo))
            continue;
        ft_features_name(fo, col, rep->top_name[rep->ntop]);
        rep->top_gain[rep->ntop++] = scores[best] / total;
    }
}

/* The variants' rows (batches): every labelled training row, and for
 * each group a donor, an unlabelled training row it keeps, the first at
 * or after a place chosen by a hash of the seed, the labelled transfer's
 * id and the group. */
static ft_status plan_variants(const ft_store *s, const uint8_t *label, const uint8_t *keep,
                               uint32_t ntrain, int64_t pos_train, const ft_learn_opts *o,
                               const ft_features *f, batches *b, ft_error *err)
{
    uint32_t *pos = malloc((size_t)pos_train * sizeof *pos);
    uint32_t *donor = malloc((size_t)pos_train * FT_FG_COUNT * sizeof *donor);
    uint8_t *group = malloc(b->ncols);
    b->w = malloc((size_t)BATCH_ROWS * sizeof *b->w);
    b->tmp = malloc((size_t)b->ncols * sizeof *b->tmp);
    b->pos = pos;
    b->donor = donor;
    b->group = group;
    if (!pos || !donor || !group || !b->w || !b->tmp)
        return ft_error_oom(err);
    for (uint32_t c = 0; c < b->ncols; c++)
        group[c] = (uint8_t)ft_features_group(ft_features_options(f), c);
    uint32_t np = 0;
    char id[128];
    for (uint32_t r = 0; r < ntrain; r++) {
        if (!label[r])
            continue;
        size_t len = ft_store_txid(s, r, id, sizeof id);
        for (uint32_t g = 0; g < FT_FG_COUNT; g++) {
            uint32_t d = (uint32_t)(ft_xxh64(id, len, o->seed * FT_FG_COUNT + g) % ntrain);
            while (label[d] || (keep && !keep[d]))
                d = d + 1 == ntrain ? 0 : d + 1; /* there is one: neg_kept > 0 */
            donor[(size_t)np * FT_FG_COUNT + g] = d;
        }
        pos[np++] = r;
    }
    b->npos = np;
    b->weight = (float)(o->variants / FT_FG_COUNT); /* together: `variants` times the case */
    return FT_OK;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

ft_status ft_learn(const ft_store *s, const uint8_t *label, const ft_learn_opts *o, ft_model *m,
                   ft_learn_report *rep, ft_error *err)
{
    memset(m, 0, sizeof *m);
    memset(rep, 0, sizeof *rep);
    uint32_t n = (uint32_t)s->t.n;
    if (n < 2 || o->validate <= 0 || o->validate >= 1)
        return ft_error_set(err, FT_EUSAGE, "learn: nothing to split into training and validation");
    /* The split: the time of the first row of the last `validate` share. */
    uint32_t k = (uint32_t)((double)n * (1 - o->validate));
    if (k >= n)
        k = n - 1;
    int64_t from = s->t.ts_ms[k];
    uint32_t ntrain = ft_store_first_at(s, from, false);
    int64_t pos_train = 0, pos_val = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i < ntrain)
            pos_train += label[i] != 0;
        else
            pos_val += label[i] != 0;
    }
    char when[40] = "";
    ft_time_format(from, when, sizeof when);
    if (ntrain == 0)
        return ft_error_set(err, FT_EINPUT,
                            "learn: every transfer is at %s or later: there is no earlier part to "
                            "train on",
                            when);
    if (pos_train == 0 || pos_val == 0)
        return ft_error_set(err, FT_EINPUT,
                            "learn: the %s part (transfers %s %s) holds no labelled transfer; "
                            "learning needs labelled cases before and after the split (--validate "
                            "moves it)",
                            pos_train == 0 ? "training" : "validation",
                            pos_train == 0 ? "before" : "from", when);
    int threads = o->threads < 1 ? 1 : o->threads;
    ft_features *f = NULL;
    DMatrixHandle dtrain = NULL;
    BoosterHandle b = NULL;
    batches tb = {0};
    scored *val = NULL;
    float *p = NULL;
    double *margin = NULL;
    float *xv = NULL;
    uint8_t *keep = NULL;
    ft_status rc = ft_features_compute(s, &o->features, threads, &f, err);
    if (rc != FT_OK)
        return rc;
    uint32_t ncols = ft_features_ncols(&o->features);
    tb = (batches){.f = f, .label = label, .lo = 0, .hi = ntrain, .ncols = ncols};
    tb.x = malloc((size_t)BATCH_ROWS * ncols * sizeof *tb.x);
    tb.y = malloc((size_t)BATCH_ROWS * sizeof *tb.y);
    val = malloc(((size_t)(n - ntrain) + 1) * sizeof *val);
    p = malloc(((size_t)(n - ntrain) + 1) * sizeof *p);
    margin = calloc((size_t)(n - ntrain) + 1, sizeof *margin);
    if (!tb.x || !tb.y || !val || !p || !margin) {
        rc = ft_error_oom(err);
        goto done;
    }
    /* Unlabelled training rows kept: a share of them, chosen by a hash of
     * the seed and the transfer's id (not its row), so the same rows in
     * any order keep the same ones. */
    int64_t neg_kept = 0;
    if (o->negatives < 1) {
        if (!(keep = malloc((size_t)ntrain + 1))) {
            rc = ft_error_oom(err);
            goto done;
        }
        double cut = o->negatives * 18446744073709551615.0;
        char id[128];
        for (uint32_t r = 0; r < ntrain; r++) {
            size_t len = ft_store_txid(s, r, id, sizeof id);
            keep[r] = label[r] || (double)ft_xxh64(id, len, o->seed) < cut;
            neg_kept += keep[r] && !label[r];
        }
        tb.keep = keep;
    } else {
        neg_kept = ntrain - pos_train;
    }
    if (neg_kept == 0) {
        rc = ft_error_set(err, FT_EINPUT,
                          "learn: no unlabelled transfer left to train on "
                          "(--negatives)");
        goto done;
    }
    if (o->variants > 0 &&
        (rc = plan_variants(s, label, keep, ntrain, pos_train, o, f, &tb, err)) != FT_OK)
        goto done;
    if ((rc = quantile_matrix(&tb, NULL, threads, &dtrain, err)) != FT_OK)
        goto done;
    /* the validation rows, for one tree's predictions a round */
    xv = malloc(((size_t)(n - ntrain) * ncols + 1) * sizeof *xv);
    if (!xv) {
        rc = ft_error_oom(err);
        goto done;
    }
    ft_features_rows(f, ntrain, n, xv);
    /* XGBoost holds its own binned copy of the training rows now */
    ft_features_free(f);
    f = NULL;
    tb.f = NULL;
    if (XGBoosterCreate(&dtrain, 1, &b) != 0) {
        rc = ft_model_xgb_error(err, "learn");
        goto done;
    }
    char v[64];
    snprintf(v, sizeof v, "%d", threads);
    if ((rc = set(b, "nthread", v, err)) != FT_OK)
        goto done;
    snprintf(v, sizeof v, "%" PRIu64, o->seed);
    if ((rc = set(b, "seed", v, err)) != FT_OK)
        goto done;
    snprintf(v, sizeof v, "%.17g", (double)neg_kept / (double)pos_train);
    if ((rc = set(b, "scale_pos_weight", v, err)) != FT_OK)
        goto done;
    snprintf(v, sizeof v, "%d", o->max_depth);
    if ((rc = set(b, "max_depth", v, err)) != FT_OK)
        goto done;
    snprintf(v, sizeof v, "%.17g", o->eta);
    if ((rc = set(b, "eta", v, err)) != FT_OK ||
        (rc = set(b, "objective", "binary:logistic", err)) != FT_OK ||
        (rc = set(b, "tree_method", "hist", err)) != FT_OK ||
        (rc = set(b, "subsample", "0.8", err)) != FT_OK ||
        (rc = set(b, "colsample_bytree", "0.8", err)) != FT_OK ||
        (rc = set(b, "max_bin", "256", err)) != FT_OK ||
        (rc = set(b, "base_score", "0.5", err)) != FT_OK ||
        (rc = set(b, "verbosity", "0", err)) != FT_OK)
        goto done;
    int best = -1;
    double best_auc = -1;
    for (int it = 0; it < o->max_rounds && it - best <= o->patience; it++) {
        if (XGBoosterUpdateOneIter(b, it, dtrain) != 0) {
            rc = ft_model_xgb_error(err, "learn");
            goto done;
        }
        double auc = 0;
        if ((rc = validation_ap(b, xv, ncols, it, label, ntrain, n - ntrain, pos_val, margin, val,
                                &auc, err)) != FT_OK)
            goto done;
        if (auc > best_auc + 1e-4) { /* a better ranking, not noise */
            best_auc = auc;
            best = it;
        }
        if (o->progress)
            o->progress(o->progress_ctx, (uint64_t)it + 1, (uint64_t)o->max_rounds);
    }
    /* keep the rounds up to the best */
    BoosterHandle kept = NULL;
    if (XGBoosterSlice(b, 0, best + 1, 1, &kept) != 0) {
        rc = ft_model_xgb_error(err, "learn");
        goto done;
    }
    XGBoosterFree(b);
    b = kept;
    XGDMatrixFree(dtrain);
    dtrain = NULL;
    m->booster = b;
    m->threads = threads;
    m->ncols = ncols;
    /* the validation part's scores, for the threshold */
    if ((rc = ft_model_predict(m, xv, n - ntrain, p, err)) != FT_OK) {
        m->booster = NULL;
        goto done;
    }
    for (uint32_t i = ntrain; i < n; i++)
        val[i - ntrain] = (scored){p[i - ntrain], label[i] != 0};
    m->booster = NULL;
    best_threshold(val, n - ntrain, pos_val, &m->threshold, &m->precision, &m->recall, &m->f1,
                   &rep->validate_flagged);
    top_features(b, &o->features, rep);
    snprintf(m->version, sizeof m->version, "%s", FT_VERSION);
    m->opts = o->features;
    m->opts.scan.rules = NULL;
    m->opts.scan.progress = NULL;
    m->opts.scan.progress_ctx = NULL;
    if (!(m->settings = ft_features_settings(&m->opts))) {
        rc = ft_error_oom(err);
        goto done;
    }
    m->group_window_ms = o->group_window_ms;
    m->seed = o->seed;
    m->rounds = best + 1;
    m->max_depth = o->max_depth;
    m->eta = o->eta;
    m->train_rows = ntrain;
    m->train_positives = pos_train;
    m->train_kept = pos_train + neg_kept;
    m->negatives = o->negatives;
    m->variants = o->variants;
    m->validate_rows = n - ntrain;
    m->validate_positives = pos_val;
    m->validate_flagged = rep->validate_flagged;
    m->validate_from_ms = from;
    for (int i = 0; i < s->report.nsources && m->nsources < FT_MODEL_MAX_SOURCES; i++) {
        const ft_source *src = &s->report.sources[i];
        ft_model_source *ms = &m->sources[m->nsources++];
        snprintf(ms->sha256, sizeof ms->sha256, "%s", src->sha256);
        ms->rows = src->rows_loaded;
        snprintf(ms->name, sizeof ms->name, "%s", base_name(src->path));
        for (char *c = ms->name; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = '_';
    }
    m->booster = b;
    b = NULL;
done:
    if (b)
        XGBoosterFree(b);
    if (dtrain)
        XGDMatrixFree(dtrain);
    free(tb.x);
    free(tb.y);
    free(tb.w);
    free(tb.tmp);
    free((void *)tb.pos);
    free((void *)tb.donor);
    free((void *)tb.group);
    free(val);
    free(p);
    free(margin);
    free(xv);
    free(keep);
    ft_features_free(f);
    if (rc != FT_OK)
        ft_model_free(m);
    return rc;
}
