/*
 * model.c - the model file (model.h) and predictions through XGBoost's C
 * API (Debian's libxgboost, 1.7).
 *
 * The file is checked whole before anything in it is believed: its last
 * line is the SHA-256 of everything before it, so a flipped bit anywhere
 * is refused rather than read as another model. Then its feature columns
 * are compared with those this fundtrace computes for the settings it
 * names: a model is only ever applied to the features it was trained on.
 */
#include "fundtrace/model.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xgboost/c_api.h>

#include "fundtrace/hash.h"
#include "fundtrace/time.h"
#include "fundtrace/writer.h"

#define MAGIC     "fundtrace-model 2\n"
#define MAGIC_V1  "fundtrace-model 1\n"
#define MAX_BYTES ((size_t)1 << 30)

ft_status ft_model_xgb_error(ft_error *err, const char *what)
{
    const char *why = XGBGetLastError();
    /* XGBoost's messages carry a source location and a stack; the first
     * line says what went wrong. */
    size_t len = why ? strcspn(why, "\n") : 0;
    return ft_error_set(err, FT_EIO, "%s: XGBoost: %.*s", what, (int)(len > 400 ? 400 : len),
                        why ? why : "");
}

bool ft_model_fits(const ft_model *m, uint64_t flagged, uint64_t rows, char *why, size_t cap)
{
    int64_t labelled_rows = m->train_rows + m->validate_rows;
    if (labelled_rows <= 0 || rows == 0)
        return true;
    double own = (double)(m->train_positives + m->validate_positives) / (double)labelled_rows;
    double here = (double)flagged / (double)rows;
    bool over = here > FT_MODEL_FIT_FACTOR * own,
         under = here * FT_MODEL_FIT_FACTOR < own && own * (double)rows >= 10;
    if (!over && !under)
        return true;
    snprintf(why, cap,
             "the model flags %.3g %% of these transfers (%" PRIu64 " of %" PRIu64
             "), against %.3g %% labelled in its training data: more than %d times %s; it "
             "does not fit this data (another generator, bank or period)",
             100 * here, flagged, rows, 100 * own, FT_MODEL_FIT_FACTOR, over ? "more" : "less");
    return false;
}

void ft_model_free(ft_model *m)
{
    if (m->booster)
        XGBoosterFree(m->booster);
    free(m->settings);
    memset(m, 0, sizeof *m);
}

/* --- writing ----------------------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t n, cap;
    bool oom;
} buf;

static void add(buf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void addf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(buf *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) {
        b->oom = true; /* no line we write is this long */
        return;
    }
    add(b, line, (size_t)n);
}

ft_status ft_model_write(ft_model *m, const char *path, ft_error *err)
{
    bst_ulong blen = 0;
    const char *bytes = NULL;
    if (XGBoosterSaveModelToBuffer(m->booster, "{\"format\": \"ubj\"}", &blen, &bytes) != 0)
        return ft_model_xgb_error(err, "save the model");
    buf b = {0};
    char when[40] = "";
    ft_time_format(m->validate_from_ms, when, sizeof when);
    add(&b, MAGIC, strlen(MAGIC));
    addf(&b, "fundtrace %s\n", m->version);
    addf(&b, "threshold %.9g\n", m->threshold);
    addf(&b, "group_window_ms %" PRId64 "\n", m->group_window_ms);
    addf(&b, "seed %" PRIu64 "\nrounds %d\nmax_depth %d\neta %.9g\n", m->seed, m->rounds,
         m->max_depth, m->eta);
    addf(&b,
         "train_rows %" PRId64 "\ntrain_positives %" PRId64 "\nnegatives %.9g\ntrain_kept %" PRId64
         "\nvariants %.9g\n",
         m->train_rows, m->train_positives, m->negatives, m->train_kept, m->variants);
    addf(&b,
         "validate_rows %" PRId64 "\nvalidate_positives %" PRId64 "\nvalidate_flagged %" PRId64
         "\nvalidate_from %s\n",
         m->validate_rows, m->validate_positives, m->validate_flagged, when);
    addf(&b, "validate_precision %.6f\nvalidate_recall %.6f\nvalidate_f1 %.6f\n", m->precision,
         m->recall, m->f1);
    for (int i = 0; i < m->nsources; i++)
        addf(&b, "source %s %" PRId64 " %s\n", m->sources[i].sha256, m->sources[i].rows,
             m->sources[i].name);
    for (uint32_t c = 0; c < m->ncols; c++) {
        char name[48];
        ft_features_name(&m->opts, c, name);
        addf(&b, "column %s\n", name);
    }
    for (const char *p = m->settings; *p;) {
        size_t len = strcspn(p, "\n");
        add(&b, "setting ", 8);
        add(&b, p, len);
        add(&b, "\n", 1);
        p += len + (p[len] == '\n');
    }
    addf(&b, "booster %llu\n", (unsigned long long)blen);
    add(&b, bytes, (size_t)blen);
    add(&b, "\n", 1);
    if (b.oom) {
        free(b.p);
        return ft_error_oom(err);
    }
    ft_sha256 h;
    char hex[65];
    ft_status rc = ft_sha256_init(&h, err);
    if (rc != FT_OK) {
        free(b.p);
        return rc;
    }
    ft_sha256_update(&h, b.p, b.n);
    ft_sha256_final(&h, hex);
    addf(&b, "sha256 %s\n", hex);
    memcpy(m->checksum, hex, sizeof hex);
    ft_writer w;
    if (!b.oom && (rc = ft_writer_open(&w, path, false, err)) == FT_OK) {
        ft_writer_put(&w, b.p, b.n);
        rc = ft_writer_close(&w, err);
    } else if (b.oom) {
        rc = ft_error_oom(err);
    }
    free(b.p);
    return rc;
}

/* --- reading ----------------------------------------------------------------------------- */

static ft_status slurp(const char *path, char **out, size_t *len, ft_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ft_error_errno(err, FT_EIO, "open", path);
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || (size_t)st.st_size > MAX_BYTES) {
        fclose(f);
        return ft_error_set(err, FT_ECORRUPT, "%s: not a fundtrace model (too large)", path);
    }
    size_t n = (size_t)st.st_size;
    char *p = malloc(n + 1);
    if (!p) {
        fclose(f);
        return ft_error_oom(err);
    }
    size_t got = fread(p, 1, n, f);
    bool bad = ferror(f) || got != n;
    fclose(f);
    if (bad) {
        free(p);
        return ft_error_errno(err, FT_EIO, "read", path);
    }
    p[n] = '\0';
    *out = p;
    *len = n;
    return FT_OK;
}

/* The value after "key " on the line at *p, which moves to the next line;
 * NULL when the line is another. */
static const char *field(const char **p, const char *end, const char *key, char *val, size_t cap)
{
    size_t klen = strlen(key);
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl || (size_t)(nl - *p) <= klen || memcmp(*p, key, klen) != 0 || (*p)[klen] != ' ')
        return NULL;
    size_t vlen = (size_t)(nl - *p) - klen - 1;
    if (vlen >= cap)
        return NULL;
    memcpy(val, *p + klen + 1, vlen);
    val[vlen] = '\0';
    *p = nl + 1;
    return val;
}

static bool num(const char *s, double *v)
{
    char *end = NULL;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && !errno && isfinite(*v);
}

static bool whole(const char *s, int64_t *v)
{
    char *end = NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    *v = x;
    return *s && !*end && !errno;
}

ft_status ft_model_read(ft_model *m, const char *path, ft_error *err)
{
    memset(m, 0, sizeof *m);
    char *data = NULL;
    size_t len = 0;
    ft_status rc = slurp(path, &data, &len, err);
    if (rc != FT_OK)
        return rc;
    const char *p = data, *end = data + len;
    char val[512];
    /* the checksum: the last line, of everything before it */
    const size_t tail = 7 + 64 + 1; /* "sha256 " HEX "\n" */
    if (len >= strlen(MAGIC_V1) && memcmp(data, MAGIC_V1, strlen(MAGIC_V1)) == 0) {
        rc = ft_error_set(err, FT_EINPUT,
                          "%s: a model of an older format (1), without the variants of "
                          "labelled cases; train it again with fundtrace learn",
                          path);
        goto done;
    }
    if (len < strlen(MAGIC) + tail || memcmp(data, MAGIC, strlen(MAGIC)) != 0) {
        rc = ft_error_set(err, FT_ECORRUPT, "%s: not a fundtrace model", path);
        goto done;
    }
    {
        ft_sha256 h;
        char hex[65];
        if ((rc = ft_sha256_init(&h, err)) != FT_OK)
            goto done;
        ft_sha256_update(&h, data, len - tail);
        ft_sha256_final(&h, hex);
        if (memcmp(end - tail, "sha256 ", 7) != 0 || memcmp(end - tail + 7, hex, 64) != 0 ||
            end[-1] != '\n') {
            rc = ft_error_set(err, FT_ECORRUPT,
                              "%s: the model is damaged: its checksum does not match its "
                              "contents (copy it again from where it was written)",
                              path);
            goto done;
        }
        end -= tail;
        memcpy(m->checksum, hex, sizeof hex);
    }
    p += strlen(MAGIC);
#define NEED(key)                                                                                  \
    do {                                                                                           \
        if (!field(&p, end, key, val, sizeof val)) {                                               \
            rc = ft_error_set(err, FT_ECORRUPT,                                                    \
                              "%s: not a fundtrace model (no '%s' where "                          \
                              "expected)",                                                         \
                              path, key);                                                          \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)
    double d;
    int64_t x;
    NEED("fundtrace");
    snprintf(m->version, sizeof m->version, "%.31s", val);
    NEED("threshold");
    if (!num(val, &m->threshold))
        goto bad;
    NEED("group_window_ms");
    if (!whole(val, &m->group_window_ms) || m->group_window_ms <= 0)
        goto bad;
    NEED("seed");
    if (!whole(val, &x))
        goto bad;
    m->seed = (uint64_t)x;
    NEED("rounds");
    if (!whole(val, &x))
        goto bad;
    m->rounds = (int)x;
    NEED("max_depth");
    if (!whole(val, &x))
        goto bad;
    m->max_depth = (int)x;
    NEED("eta");
    if (!num(val, &m->eta))
        goto bad;
    NEED("train_rows");
    if (!whole(val, &m->train_rows))
        goto bad;
    NEED("train_positives");
    if (!whole(val, &m->train_positives))
        goto bad;
    NEED("negatives");
    if (!num(val, &m->negatives))
        goto bad;
    NEED("train_kept");
    if (!whole(val, &m->train_kept))
        goto bad;
    NEED("variants");
    if (!num(val, &m->variants))
        goto bad;
    NEED("validate_rows");
    if (!whole(val, &m->validate_rows))
        goto bad;
    NEED("validate_positives");
    if (!whole(val, &m->validate_positives))
        goto bad;
    NEED("validate_flagged");
    if (!whole(val, &m->validate_flagged))
        goto bad;
    NEED("validate_from");
    {
        ft_time_error why;
        if (!ft_time_parse(val, strlen(val), &m->validate_from_ms, &why))
            goto bad;
    }
    NEED("validate_precision");
    if (!num(val, &m->precision))
        goto bad;
    NEED("validate_recall");
    if (!num(val, &m->recall))
        goto bad;
    NEED("validate_f1");
    if (!num(val, &m->f1))
        goto bad;
    (void)d;
    while (field(&p, end, "source", val, sizeof val)) {
        if (m->nsources == FT_MODEL_MAX_SOURCES)
            goto bad;
        ft_model_source *src = &m->sources[m->nsources++];
        char *sp1 = strchr(val, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp1 || !sp2 || sp1 - val != 64)
            goto bad;
        *sp1 = *sp2 = '\0';
        memcpy(src->sha256, val, 65);
        if (!whole(sp1 + 1, &src->rows))
            goto bad;
        snprintf(src->name, sizeof src->name, "%s", sp2 + 1);
    }
    /* the columns, then the settings that define them */
    char(*names)[48] = NULL;
    uint32_t ncols = 0, capn = 0;
    while (field(&p, end, "column", val, sizeof val)) {
        if (ncols == capn) {
            capn = capn ? capn * 2 : 128;
            void *q = realloc(names, capn * sizeof *names);
            if (!q) {
                free(names);
                rc = ft_error_oom(err);
                goto done;
            }
            names = q;
        }
        size_t len = strlen(val);
        if (len >= sizeof *names) { /* longer than any column's name */
            free(names);
            goto bad;
        }
        memcpy(names[ncols++], val, len + 1);
    }
    buf st = {0};
    while (field(&p, end, "setting", val, sizeof val)) {
        add(&st, val, strlen(val));
        add(&st, "\n", 1);
    }
    if (st.oom || !st.p) {
        free(names);
        free(st.p);
        if (st.oom) {
            rc = ft_error_oom(err);
            goto done;
        }
        goto bad;
    }
    st.p[st.n] = '\0';
    m->settings = st.p;
    if ((rc = ft_features_settings_parse(&m->opts, m->settings, err)) != FT_OK) {
        free(names);
        if (rc != FT_ENOMEM) { /* out of memory stays what it is */
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg); /* not err->msg into itself */
            rc = ft_error_set(err, FT_EINPUT,
                              "%s: the model's features cannot be computed here: %s", path, why);
        }
        goto done;
    }
    m->ncols = ft_features_ncols(&m->opts);
    for (uint32_t c = 0; c < m->ncols || c < ncols; c++) {
        char mine[48] = "";
        if (c < m->ncols)
            ft_features_name(&m->opts, c, mine);
        if (c >= ncols || c >= m->ncols || strcmp(mine, names[c]) != 0) {
            rc = ft_error_set(err, FT_EINPUT,
                              "%s: the model was trained on other features than fundtrace %s "
                              "computes for its settings (column %u: '%s' in the model, '%s' "
                              "here)",
                              path, FT_VERSION, c + 1, c < ncols ? names[c] : "",
                              c < m->ncols ? mine : "");
            free(names);
            goto done;
        }
    }
    free(names);
    NEED("booster");
    int64_t blen;
    if (!whole(val, &blen) || blen <= 0 || blen + 1 != end - p || end[-1] != '\n')
        goto bad;
    if (XGBoosterCreate(NULL, 0, &m->booster) != 0 ||
        XGBoosterLoadModelFromBuffer(m->booster, p, (bst_ulong)blen) != 0) {
        rc = ft_model_xgb_error(err, path);
        goto done;
    }
    bst_ulong nfeat = 0;
    if (XGBoosterGetNumFeature(m->booster, &nfeat) != 0 || nfeat != m->ncols) {
        rc = ft_error_set(err, FT_ECORRUPT, "%s: the booster has %llu features, the model %u", path,
                          (unsigned long long)nfeat, m->ncols);
        goto done;
    }
    m->threads = 1;
    goto done;
bad:
    rc = ft_error_set(err, FT_ECORRUPT, "%s: not a fundtrace model (a line is malformed)", path);
done:
#undef NEED
    free(data);
    if (rc != FT_OK)
        ft_model_free(m);
    return rc;
}

ft_status ft_model_check(const ft_model *m, const ft_features_opts *o, const char *path,
                         ft_error *err)
{
    char *mine = ft_features_settings(o);
    if (!mine)
        return ft_error_oom(err);
    char diff[300];
    bool differ = ft_features_settings_diff(m->settings, mine, diff, sizeof diff);
    free(mine);
    if (differ)
        return ft_error_set(err, FT_EUSAGE,
                            "%s was trained on features with other settings (%s); its scores "
                            "mean nothing on these: use the model's settings or train another",
                            path, diff);
    return FT_OK;
}

/* --- predictions ------------------------------------------------------------------------- */

static ft_status predict(const ft_model *m, const float *rows, uint32_t n, float *out,
                         ft_error *err)
{
    if (n == 0)
        return FT_OK;
    char threads[16], iface[256];
    snprintf(threads, sizeof threads, "%d", m->threads > 0 ? m->threads : 1);
    if (XGBoosterSetParam(m->booster, "nthread", threads) != 0)
        return ft_model_xgb_error(err, "predict");
    snprintf(iface, sizeof iface,
             "{\"data\": [%" PRIuPTR ", true], \"shape\": [%u, %u], \"typestr\": \"<f4\", "
             "\"version\": 3}",
             (uintptr_t)rows, n, m->ncols);
    char config[200];
    snprintf(config, sizeof config,
             "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
             "\"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}",
             0);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    if (XGBoosterPredictFromDense(m->booster, iface, config, NULL, &shape, &dim, &res) != 0)
        return ft_model_xgb_error(err, "predict");
    memcpy(out, res, (size_t)n * sizeof *out);
    return FT_OK;
}

ft_status ft_model_predict(const ft_model *m, const float *rows, uint32_t n, float *p,
                           ft_error *err)
{
    return predict(m, rows, n, p, err);
}

ft_status ft_model_contribs(const ft_model *m, const float *rows, uint32_t n, float *c,
                            ft_error *err)
{
    /* In-place prediction has no contributions: through a DMatrix. */
    if (n == 0)
        return FT_OK;
    DMatrixHandle d = NULL;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    if (XGDMatrixCreateFromMat(rows, n, m->ncols, NAN, &d) != 0)
        return ft_model_xgb_error(err, "explain");
    int rc = XGBoosterPredictFromDMatrix(m->booster, d,
                                         "{\"type\": 2, \"training\": false, "
                                         "\"iteration_begin\": 0, \"iteration_end\": 0, "
                                         "\"strict_shape\": false}",
                                         &shape, &dim, &res);
    if (rc == 0)
        memcpy(c, res, (size_t)n * (m->ncols + 1) * sizeof *c);
    XGDMatrixFree(d);
    return rc == 0 ? FT_OK : ft_model_xgb_error(err, "explain");
}
