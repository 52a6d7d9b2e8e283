/*
 * eval.c - scoring alerts against a ground truth.
 *
 * Transaction ids are interned to dense numbers; instances and alerts are
 * lists of those numbers (sorted, without repeats). Scoring walks each
 * alert's transactions to the instances holding them (an index built once)
 * and counts, per instance, how much of it the alert covers.
 */
#include "fundtrace/eval.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <zlib.h>

#include "fundtrace/alerts_read.h"
#include "fundtrace/csvread.h"
#include "fundtrace/scan.h"

#define NO_PATTERN UINT32_MAX

typedef struct list {
    uint32_t *v;
    size_t n, cap;
} list;

struct ft_eval {
    ft_intern txns;  /* transaction ids */
    ft_intern kinds; /* pattern and kind names, normalised */
    /* instances: pattern and transactions */
    list inst_pat, inst_off, inst_txn;
    /* alerts: id, kind and transactions */
    char **alert_id;
    size_t nalert_id, cap_alert_id;
    list alert_kind, alert_off, alert_txn;
    double *alert_score; /* NAN when the alert has none */
    size_t cap_alert_score;
    char *scratch; /* decoded JSON strings, normalised names */
    size_t scratch_cap;
};

static bool push(list *l, uint32_t x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        uint32_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return true;
}

static void list_free(list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

ft_status ft_eval_new(ft_eval **ev, ft_error *err)
{
    *ev = calloc(1, sizeof **ev);
    if (!*ev)
        return ft_error_oom(err);
    /* Offsets start with 0, so the lists hold n + 1 of them. */
    if (!push(&(*ev)->inst_off, 0) || !push(&(*ev)->alert_off, 0)) {
        ft_eval_free(*ev);
        *ev = NULL;
        return ft_error_oom(err);
    }
    return FT_OK;
}

void ft_eval_free(ft_eval *ev)
{
    if (!ev)
        return;
    ft_intern_free(&ev->txns);
    ft_intern_free(&ev->kinds);
    list_free(&ev->inst_pat);
    list_free(&ev->inst_off);
    list_free(&ev->inst_txn);
    for (size_t i = 0; i < ev->nalert_id; i++)
        free(ev->alert_id[i]);
    free(ev->alert_id);
    list_free(&ev->alert_kind);
    list_free(&ev->alert_off);
    list_free(&ev->alert_txn);
    free(ev->alert_score);
    free(ev->scratch);
    free(ev);
}

/* The kind id of a name, lower-cased with '-' as '_'. */
static ft_status kind_id(ft_eval *ev, const char *s, size_t len, uint32_t *id, ft_error *err)
{
    ft_status rc = ft_bytes_reserve(&ev->scratch, &ev->scratch_cap, len + 1, err);
    if (rc != FT_OK)
        return rc;
    ft_span_trim(&s, &len);
    for (size_t i = 0; i < len; i++) {
        char c = (char)tolower((unsigned char)s[i]);
        ev->scratch[i] = c == '-' || c == ' ' ? '_' : c;
    }
    return ft_intern_put(&ev->kinds, ev->scratch, len, id, NULL, err);
}

/* Adds a transaction to the instance being read. */
static ft_status txn_id(ft_eval *ev, const char *s, size_t len, ft_error *err)
{
    uint32_t id;
    ft_span_trim(&s, &len);
    ft_status rc = ft_intern_put(&ev->txns, s, len, &id, NULL, err);
    if (rc == FT_OK && !push(&ev->inst_txn, id))
        rc = ft_error_oom(err);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sorts the last list segment and drops repeats; returns its new end. */
static size_t close_segment(list *l, size_t from)
{
    if (l->n - from > 1)
        qsort(l->v + from, l->n - from, sizeof *l->v, cmp_u32);
    size_t w = from;
    for (size_t i = from; i < l->n; i++)
        if (i == from || l->v[i] != l->v[w - 1])
            l->v[w++] = l->v[i];
    l->n = w;
    return w;
}

static ft_status end_instance(ft_eval *ev, uint32_t pattern, ft_error *err)
{
    size_t from = ev->inst_off.v[ev->inst_off.n - 1];
    size_t end = close_segment(&ev->inst_txn, from);
    if (end == from)
        return FT_OK; /* an instance with no transactions is not one */
    if (!push(&ev->inst_pat, pattern) || !push(&ev->inst_off, (uint32_t)end))
        return ft_error_oom(err);
    return FT_OK;
}

/* --- truth: our CSV and AMLSim's, through the CSV reader ------------------------------- */

typedef struct csvfile {
    int fd;
    ft_csv_reader *r;
} csvfile;

static ft_status csv_open(csvfile *c, const char *path, ft_error *err)
{
    c->r = NULL;
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c->fd < 0)
        return ft_error_errno(err, FT_EIO, "open", path);
    ft_status rc = ft_csv_open(&c->r, path, c->fd, NULL, 0, ',', NULL, NULL, err);
    if (rc != FT_OK) {
        ft_csv_close(c->r, NULL, NULL, NULL);
        close(c->fd);
    }
    return rc;
}

static ft_status csv_close(csvfile *c, ft_status rc, ft_error *err)
{
    ft_error cerr;
    ft_status crc = ft_csv_close(c->r, NULL, NULL, &cerr);
    close(c->fd);
    if (rc == FT_OK && crc != FT_OK) {
        if (err)
            *err = cerr;
        rc = crc;
    }
    return rc;
}

static int column(const ft_csv_batch *b, const ft_csv_row *r, const char *name)
{
    for (uint32_t i = 0; i < r->nf; i++) {
        size_t len;
        const char *f = ft_csv_field(b, r, (int)i, &len);
        ft_span_trim(&f, &len);
        if (strlen(name) == len && strncasecmp(f, name, len) == 0)
            return (int)i;
    }
    return -1;
}

ft_status ft_eval_truth_csv(ft_eval *ev, const char *path, ft_error *err)
{
    csvfile c;
    ft_status rc = csv_open(&c, path, err);
    if (rc != FT_OK)
        return rc;
    int cpat = -1, cids = -1;
    bool header = true;
    const ft_csv_batch *b;
    while (rc == FT_OK && (b = ft_csv_next(c.r)) != NULL) {
        for (uint32_t i = 0; i < b->nrows && rc == FT_OK; i++) {
            const ft_csv_row *r = &b->rows[i];
            if (r->kind != FT_CSV_ROW) {
                rc = ft_error_at(err, FT_EINPUT, path, r->line, r->col, "malformed quotes");
                break;
            }
            if (header) {
                header = false;
                cpat = column(b, r, "pattern");
                cids = column(b, r, "txn_ids");
                if (cpat < 0 || cids < 0)
                    rc = ft_error_at(err, FT_EINPUT, path, r->line, 0,
                                     "expected the columns pattern and txn_ids");
                continue;
            }
            if ((int)r->nf <= (cpat > cids ? cpat : cids)) {
                rc = ft_error_at(err, FT_EINPUT, path, r->line, 0, "too few fields");
                break;
            }
            size_t plen, ilen;
            const char *pat = ft_csv_field(b, r, cpat, &plen);
            const char *ids = ft_csv_field(b, r, cids, &ilen);
            uint32_t k;
            if ((rc = kind_id(ev, pat, plen, &k, err)) != FT_OK)
                break;
            for (size_t at = 0; at < ilen && rc == FT_OK;) {
                size_t n = strcspn(ids + at, ";");
                if (n > ilen - at)
                    n = ilen - at;
                if (n)
                    rc = txn_id(ev, ids + at, n, err);
                at += n + 1;
            }
            if (rc == FT_OK)
                rc = end_instance(ev, k, err);
        }
    }
    return csv_close(&c, rc, err);
}

ft_status ft_eval_truth_amlsim(ft_eval *ev, const char *path, ft_error *err)
{
    csvfile c;
    ft_status rc = csv_open(&c, path, err);
    if (rc != FT_OK)
        return rc;
    int calert = -1, ctype = -1, ctxn = -1;
    bool header = true;
    /* Rows of one alert need not be together: gather (alert, type, txn)
     * and group them at the end. */
    ft_intern alerts = {0};
    list row_alert = {0}, row_txn = {0}, alert_type = {0};
    const ft_csv_batch *b;
    while (rc == FT_OK && (b = ft_csv_next(c.r)) != NULL) {
        for (uint32_t i = 0; i < b->nrows && rc == FT_OK; i++) {
            const ft_csv_row *r = &b->rows[i];
            if (r->kind != FT_CSV_ROW) {
                rc = ft_error_at(err, FT_EINPUT, path, r->line, r->col, "malformed quotes");
                break;
            }
            if (header) {
                header = false;
                calert = column(b, r, "alert_id");
                ctype = column(b, r, "alert_type");
                ctxn = column(b, r, "tran_id");
                if (calert < 0 || ctype < 0 || ctxn < 0)
                    rc = ft_error_at(err, FT_EINPUT, path, r->line, 0,
                                     "expected AMLSim's alert_id, alert_type and tran_id columns");
                continue;
            }
            int need = calert > ctype ? calert : ctype;
            if ((int)r->nf <= (need > ctxn ? need : ctxn)) {
                rc = ft_error_at(err, FT_EINPUT, path, r->line, 0, "too few fields");
                break;
            }
            size_t alen, tlen, xlen;
            const char *a = ft_csv_field(b, r, calert, &alen);
            const char *t = ft_csv_field(b, r, ctype, &tlen);
            const char *x = ft_csv_field(b, r, ctxn, &xlen);
            uint32_t aid, kid, tid;
            bool added;
            if ((rc = ft_intern_put(&alerts, a, alen, &aid, &added, err)) != FT_OK ||
                (rc = kind_id(ev, t, tlen, &kid, err)) != FT_OK)
                break;
            if (added && !push(&alert_type, kid)) {
                rc = ft_error_oom(err);
                break;
            }
            ft_span_trim(&x, &xlen);
            if ((rc = ft_intern_put(&ev->txns, x, xlen, &tid, NULL, err)) != FT_OK)
                break;
            if (!push(&row_alert, aid) || !push(&row_txn, tid))
                rc = ft_error_oom(err);
        }
    }
    rc = csv_close(&c, rc, err);
    for (uint32_t a = 0; rc == FT_OK && a < alerts.n; a++) {
        for (size_t k = 0; k < row_alert.n && rc == FT_OK; k++)
            if (row_alert.v[k] == a && !push(&ev->inst_txn, row_txn.v[k]))
                rc = ft_error_oom(err);
        if (rc == FT_OK)
            rc = end_instance(ev, alert_type.v[a], err);
    }
    ft_intern_free(&alerts);
    list_free(&row_alert);
    list_free(&row_txn);
    list_free(&alert_type);
    return rc;
}

/* --- truth: IBM patterns, resolved against the data file --------------------------------- */

static size_t chomp(char *line, size_t len)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    return len;
}

ft_status ft_eval_truth_ibm(ft_eval *ev, const char *patterns, const char *data, ft_error *err)
{
    FILE *pf = fopen(patterns, "r"), *df = NULL;
    if (!pf)
        return ft_error_errno(err, FT_EIO, "open", patterns);
    ft_status rc = FT_OK;
    ft_intern rowtext = {0}; /* distinct pattern rows */
    list blk_kind = {0}, blk_off = {0}, blk_row = {0}, row_line = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long lineno = 0, open_line = 0;
    bool inside = false;
    if (!push(&blk_off, 0)) {
        rc = ft_error_oom(err);
        goto done;
    }
    while (rc == FT_OK && (got = getline(&line, &cap, pf)) > 0) {
        lineno++;
        size_t len = chomp(line, (size_t)got);
        if (strncmp(line, "BEGIN LAUNDERING ATTEMPT - ", 27) == 0) {
            if (inside) {
                rc = ft_error_at(err, FT_EINPUT, patterns, lineno, 0,
                                 "BEGIN inside the attempt that began on line %ld", open_line);
                break;
            }
            const char *name = line + 27;
            size_t nlen = strcspn(name, ":");
            uint32_t k;
            if ((rc = kind_id(ev, name, nlen, &k, err)) != FT_OK || !push(&blk_kind, k))
                rc = rc != FT_OK ? rc : ft_error_oom(err);
            inside = true;
            open_line = lineno;
        } else if (strncmp(line, "END LAUNDERING ATTEMPT", 22) == 0) {
            if (!inside) {
                rc = ft_error_at(err, FT_EINPUT, patterns, lineno, 0, "END without BEGIN");
                break;
            }
            inside = false;
            if (!push(&blk_off, (uint32_t)blk_row.n))
                rc = ft_error_oom(err);
        } else if (len > 0) {
            if (!inside) {
                rc = ft_error_at(err, FT_EINPUT, patterns, lineno, 0,
                                 "a row outside BEGIN and END lines");
                break;
            }
            uint32_t id;
            bool added;
            if ((rc = ft_intern_put(&rowtext, line, len, &id, &added, err)) != FT_OK)
                break;
            if (!push(&blk_row, id) || (added && !push(&row_line, 0)))
                rc = ft_error_oom(err);
        }
    }
    if (rc == FT_OK && inside)
        rc = ft_error_at(err, FT_EINPUT, patterns, open_line, 0, "the attempt is never ENDed");
    if (rc != FT_OK)
        goto done;
    /* Find each pattern row's line in the data file. */
    if (!(df = fopen(data, "r"))) {
        rc = ft_error_errno(err, FT_EIO, "open", data);
        goto done;
    }
    lineno = 0;
    uint32_t resolved = 0;
    while ((got = getline(&line, &cap, df)) > 0 && resolved < rowtext.n) {
        lineno++;
        size_t len = chomp(line, (size_t)got);
        uint32_t id;
        if (ft_intern_find(&rowtext, line, len, &id) && row_line.v[id] == 0) {
            row_line.v[id] = (uint32_t)lineno;
            resolved++;
        }
    }
    if (ferror(df)) {
        rc = ft_error_errno(err, FT_EIO, "read", data);
        goto done;
    }
    const char *slash = strrchr(data, '/');
    const char *base = slash ? slash + 1 : data;
    char id[1024];
    for (size_t blk = 0; blk + 1 < blk_off.n && rc == FT_OK; blk++) {
        for (uint32_t k = blk_off.v[blk]; k < blk_off.v[blk + 1] && rc == FT_OK; k++) {
            uint32_t row = blk_row.v[k];
            if (row_line.v[row] == 0) {
                rc = ft_error_set(err, FT_EINPUT, "%s: a row of an attempt is not in '%s': %s",
                                  patterns, data, ft_intern_str(&rowtext, row, NULL));
                break;
            }
            int n = snprintf(id, sizeof id, "%s:%" PRIu32, base, row_line.v[row]);
            rc = txn_id(ev, id, (size_t)n, err);
        }
        if (rc == FT_OK)
            rc = end_instance(ev, blk_kind.v[blk], err);
    }
done:
    free(line);
    fclose(pf);
    if (df)
        fclose(df);
    ft_intern_free(&rowtext);
    list_free(&blk_kind);
    list_free(&blk_off);
    list_free(&blk_row);
    list_free(&row_line);
    return rc;
}

ft_status ft_eval_truth_labels(ft_eval *ev, const ft_store *s, ft_error *err)
{
    const ft_txns *t = &s->t;
    if (!t->label)
        return ft_error_set(err, FT_EUSAGE, "the data has no label column");
    /* Rows grouped by label with a counting sort: offsets, then rows. */
    uint32_t nl = s->labels.n;
    uint64_t *off = calloc((size_t)nl + 2, sizeof *off);
    uint32_t *rows = NULL;
    ft_status rc = FT_OK;
    if (!off)
        return ft_error_oom(err);
    for (int64_t i = 0; i < t->n; i++)
        if (t->label[i])
            off[t->label[i]]++; /* label l (1-based) counted at off[l] */
    for (uint32_t l = 1; l <= nl + 1; l++)
        off[l] += off[l - 1]; /* off[l] = rows with label <= l */
    rows = malloc((size_t)(off[nl] ? off[nl] : 1) * sizeof *rows);
    if (!rows) {
        free(off);
        return ft_error_oom(err);
    }
    for (int64_t i = t->n - 1; i >= 0; i--) /* backwards, so each label keeps row order */
        if (t->label[i])
            rows[--off[t->label[i]]] = (uint32_t)i;
    /* Now label l's rows are rows[off[l] .. off[l + 1]). */
    char id[128];
    for (uint32_t l = 1; l <= nl && rc == FT_OK; l++) {
        for (uint64_t k = off[l]; k < off[l + 1] && rc == FT_OK; k++) {
            size_t n = ft_store_txid(s, rows[k], id, sizeof id);
            rc = txn_id(ev, id, n, err);
        }
        if (rc == FT_OK)
            rc = end_instance(ev, NO_PATTERN, err);
    }
    free(off);
    free(rows);
    return rc;
}

/* --- truth: any of the above, recognised by its first line -------------------------------- */

ft_status ft_eval_truth_file(ft_eval *ev, const char *path, const char *data, ft_error *err)
{
    /* gzread passes plain files through, so one reader sees both. */
    gzFile z = gzopen(path, "rb");
    if (!z)
        return ft_error_errno(err, FT_EIO, "open", path);
    char line[512] = "";
    bool got = false;
    while (gzgets(z, line, sizeof line) && !(got = strspn(line, " \t\r\n") != strlen(line)))
        ;
    int zerr = 0;
    const char *why = gzerror(z, &zerr);
    gzclose(z);
    if (zerr != Z_OK && zerr != Z_STREAM_END)
        return ft_error_set(err, FT_EIO, "read '%s': %s", path, why);
    if (!got)
        return ft_error_set(err, FT_EINPUT, "%s: the truth file is empty", path);
    if (strncmp(line, "BEGIN LAUNDERING ATTEMPT", 24) == 0) {
        if (!data)
            return ft_error_set(err, FT_EUSAGE,
                                "'%s' is an IBM patterns file: give its data file too (--data)",
                                path);
        return ft_eval_truth_ibm(ev, path, data, err);
    }
    if (strstr(line, "alert_id") && strstr(line, "tran_id"))
        return ft_eval_truth_amlsim(ev, path, err);
    if (strstr(line, "pattern") && strstr(line, "txn_ids"))
        return ft_eval_truth_csv(ev, path, err);
    return ft_error_at(err, FT_EINPUT, path, 1, 1,
                       "not a truth file: expected synth's header (pattern, txn_ids), AMLSim's "
                       "(alert_id, alert_type, tran_id) or an IBM patterns file");
}

/* --- alerts, through the one alerts reader ------------------------------------------------ */

static ft_status add_alert(ft_eval *ev, const char *name, const ft_alert_in *a, ft_error *err)
{
    /* A score is a ratio, not money: strtod is right here. */
    double score = NAN;
    if (a->score && *a->score) {
        char *end = NULL;
        score = strtod(a->score, &end);
        if (*end || !isfinite(score))
            return ft_error_at(err, FT_EINPUT, name, a->line, 0,
                               "the alert's score '%s' is not a number", a->score);
    }
    size_t from = ev->alert_txn.n;
    uint32_t kind;
    ft_status rc = kind_id(ev, a->kind, strlen(a->kind), &kind, err);
    for (uint32_t i = 0; rc == FT_OK && i < a->ntxns; i++) {
        uint32_t t;
        rc = ft_intern_put(&ev->txns, a->txns[i], strlen(a->txns[i]), &t, NULL, err);
        if (rc == FT_OK && !push(&ev->alert_txn, t))
            rc = ft_error_oom(err);
    }
    if (rc == FT_OK && ev->nalert_id == ev->cap_alert_id) {
        size_t cap = ev->cap_alert_id ? ev->cap_alert_id * 2 : 256;
        char **p = realloc(ev->alert_id, cap * sizeof *p);
        if (!p)
            rc = ft_error_oom(err);
        else
            ev->alert_id = p, ev->cap_alert_id = cap;
    }
    if (rc == FT_OK && ev->nalert_id == ev->cap_alert_score) {
        size_t cap = ev->cap_alert_score ? ev->cap_alert_score * 2 : 256;
        double *p = realloc(ev->alert_score, cap * sizeof *p);
        if (!p)
            rc = ft_error_oom(err);
        else
            ev->alert_score = p, ev->cap_alert_score = cap;
    }
    char *id = NULL;
    if (rc == FT_OK && !(id = strdup(a->id)))
        rc = ft_error_oom(err);
    if (rc == FT_OK) {
        size_t end = close_segment(&ev->alert_txn, from);
        if (!push(&ev->alert_kind, kind) || !push(&ev->alert_off, (uint32_t)end))
            rc = ft_error_oom(err);
    }
    if (rc != FT_OK) {
        ev->alert_txn.n = from;
        free(id);
        return rc;
    }
    ev->alert_score[ev->nalert_id] = score;
    ev->alert_id[ev->nalert_id++] = id;
    return FT_OK;
}

ft_status ft_eval_add_alert(ft_eval *ev, const char *name, const ft_alert_in *a, ft_error *err)
{
    return add_alert(ev, name, a, err);
}

ft_status ft_eval_add_scan(ft_eval *ev, const ft_store *s, const ft_alerts *al, const uint8_t *keep,
                           ft_error *err)
{
    ft_status rc = FT_OK;
    char *ids = NULL; /* the alert's transaction ids, one after the other */
    const char **txns = NULL;
    size_t cap_ids = 0, cap_txns = 0;
    for (uint32_t i = 0; i < al->n && rc == FT_OK; i++) {
        const ft_alert *a = &al->v[i];
        if (keep && !keep[i])
            continue;
        if (a->ntxn > cap_txns) {
            const char **q = realloc(txns, (size_t)a->ntxn * 2 * sizeof *q);
            if (!q) {
                rc = ft_error_oom(err);
                break;
            }
            txns = q;
            cap_txns = (size_t)a->ntxn * 2;
        }
        if ((size_t)a->ntxn * 128 > cap_ids) {
            char *q = realloc(ids, (size_t)a->ntxn * 256);
            if (!q) {
                rc = ft_error_oom(err);
                break;
            }
            ids = q;
            cap_ids = (size_t)a->ntxn * 256;
        }
        char *w = ids;
        for (uint32_t k = 0; k < a->ntxn; k++) {
            txns[k] = w;
            w += ft_store_txid(s, al->txns[a->txn0 + k], w, 128) + 1;
        }
        char id[17], sc[32];
        ft_alert_id_text(a->id, id);
        snprintf(sc, sizeof sc, "%.6f", a->score);
        ft_alert_in in = {.id = id,
                          .kind = ft_alert_kind_name(a->kind),
                          .score = sc,
                          .txns = txns,
                          .ntxns = a->ntxn};
        rc = ft_eval_add_alert(ev, "scan", &in, err);
    }
    free(ids);
    free(txns);
    return rc;
}

void ft_eval_clear_alerts(ft_eval *ev)
{
    for (size_t i = 0; i < ev->nalert_id; i++)
        free(ev->alert_id[i]);
    ev->nalert_id = 0;
    ev->alert_kind.n = 0;
    ev->alert_txn.n = 0;
    ev->alert_off.n = 1; /* the leading 0 */
}

ft_status ft_eval_truth_mark(const ft_eval *ev, const ft_store *s, uint8_t *mark, uint64_t *matched,
                             ft_error *err)
{
    /* which interned ids an instance holds */
    uint8_t *held = calloc((size_t)ev->txns.n + 1, 1);
    if (!held)
        return ft_error_oom(err);
    for (size_t k = 0; k < ev->inst_txn.n; k++)
        held[ev->inst_txn.v[k]] = 1;
    uint64_t found = 0;
    char id[128];
    for (int64_t i = 0; i < s->t.n; i++) {
        size_t n = ft_store_txid(s, i, id, sizeof id);
        uint32_t t;
        mark[i] = ft_intern_find(&ev->txns, id, n, &t) && held[t];
        if (mark[i] && held[t] == 1) {
            held[t] = 2; /* counted once, however many rows share the id */
            found++;
        }
    }
    free(held);
    if (matched)
        *matched = found;
    return FT_OK;
}

static ft_status read_alerts(ft_eval *ev, const char *name, ft_alerts_reader *r, ft_error *err)
{
    const ft_alert_in *a;
    ft_status rc;
    while ((rc = ft_alerts_next(r, &a, err)) == FT_OK && a)
        if ((rc = add_alert(ev, name, a, err)) != FT_OK)
            break;
    ft_alerts_close(r);
    return rc;
}

ft_status ft_eval_alerts_buffer(ft_eval *ev, const char *name, const char *data, size_t len,
                                ft_error *err)
{
    ft_alerts_reader *r;
    ft_status rc = ft_alerts_open_buffer(&r, name, data, len, err);
    return rc == FT_OK ? read_alerts(ev, name, r, err) : rc;
}

ft_status ft_eval_alerts(ft_eval *ev, const char *path, ft_error *err)
{
    ft_alerts_reader *r;
    ft_status rc = ft_alerts_open(&r, path, err);
    return rc == FT_OK ? read_alerts(ev, path, r, err) : rc;
}

/* --- scoring --------------------------------------------------------------------------- */

static double ratio(int64_t a, int64_t b)
{
    return b ? (double)a / (double)b : -1;
}

static double f1(double p, double r)
{
    if (p < 0 || r < 0)
        return -1;
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

/* Transaction-level counts: mark the truth side, then count the alert side. */
static void txn_counts(const ft_eval *ev, const uint8_t *inst_on, const uint8_t *alert_on,
                       uint8_t *mark, ft_eval_row *row)
{
    uint32_t n = ev->txns.n;
    memset(mark, 0, n);
    for (size_t i = 0; i + 1 < ev->inst_off.n; i++)
        if (inst_on[i])
            for (uint32_t k = ev->inst_off.v[i]; k < ev->inst_off.v[i + 1]; k++)
                mark[ev->inst_txn.v[k]] |= 1;
    for (size_t a = 0; a + 1 < ev->alert_off.n; a++)
        if (alert_on[a])
            for (uint32_t k = ev->alert_off.v[a]; k < ev->alert_off.v[a + 1]; k++)
                mark[ev->alert_txn.v[k]] |= 2;
    for (uint32_t t = 0; t < n; t++) {
        row->txn_truth += mark[t] & 1;
        row->txn_alerted += (mark[t] >> 1) & 1;
        row->txn_both += mark[t] == 3;
    }
    row->txn_precision = ratio(row->txn_both, row->txn_alerted);
    row->txn_recall = ratio(row->txn_both, row->txn_truth);
    row->txn_f1 = f1(row->txn_precision, row->txn_recall);
}

void ft_eval_defaults(ft_eval_options *o)
{
    o->share = 0.5;
    o->purity = 0.25;
    o->planted = 0.5;
    o->top_k = 100;
}

typedef struct ranked {
    double score;
    uint32_t a;
} ranked;

/* Highest score first; alerts without a score last; then input order. */
static int cmp_ranked(const void *x, const void *y)
{
    const ranked *p = x, *q = y;
    bool pn = isnan(p->score), qn = isnan(q->score);
    if (pn != qn)
        return pn ? 1 : -1;
    if (!pn && p->score != q->score)
        return p->score > q->score ? -1 : 1;
    return (p->a > q->a) - (p->a < q->a);
}

/* Average precision and precision at the top k of one row: walk its
 * alerts by score; each good alert adds precision-so-far times the
 * recall it adds (the row's instances it finds first). */
static void ranking(const ranked *order, size_t nalert, const uint8_t *alert_on,
                    const uint8_t *inst_mine, const uint8_t *good, const uint32_t *fo,
                    const uint32_t *finds, uint32_t *seen, uint32_t stamp, int64_t k,
                    ft_eval_row *row)
{
    row->ap = row->p_at_k = -1;
    bool scored = false;
    for (size_t x = 0; x < nalert && !scored; x++)
        scored = alert_on[order[x].a] && !isnan(order[x].score);
    if (!scored || row->alerts == 0)
        return;
    int64_t r = 0, ngood = 0, good_k = 0;
    double ap = 0;
    for (size_t x = 0; x < nalert; x++) {
        uint32_t a = order[x].a;
        if (!alert_on[a])
            continue;
        r++;
        ngood += good[a];
        if (r <= k)
            good_k += good[a];
        int64_t fresh = 0;
        for (uint32_t f = fo[a]; f < fo[a + 1]; f++) {
            uint32_t i = finds[f];
            if (inst_mine[i] && seen[i] != stamp) {
                seen[i] = stamp;
                fresh++;
            }
        }
        if (fresh && row->instances)
            ap += (double)ngood / (double)r * (double)fresh / (double)row->instances;
    }
    row->ap = row->instances ? ap : -1;
    row->p_at_k = (double)good_k / (double)(row->alerts < k ? row->alerts : k);
}

ft_status ft_eval_score(ft_eval *ev, const ft_eval_options *o, ft_eval_result *res, ft_error *err)
{
    memset(res, 0, sizeof *res);
    res->opt = *o;
    size_t ninst = ev->inst_pat.n, nalert = ev->alert_kind.n;
    uint32_t ntxn = ev->txns.n, nkind = ev->kinds.n;
    ft_status rc = FT_OK;
    /* Which instances hold each transaction. */
    uint32_t *off = calloc((size_t)ntxn + 2, sizeof *off);
    uint32_t *holders = malloc((ev->inst_txn.n + 1) * sizeof *holders);
    uint32_t *count = calloc(ninst + 1, sizeof *count), *touched = malloc((ninst + 1) * sizeof *touched);
    uint8_t *found = calloc(ninst + 1, 1), *good = calloc(nalert + 1, 1);
    uint8_t *inst_on = malloc(ninst + 1), *inst_mine = malloc(ninst + 1);
    uint8_t *alert_on = malloc(nalert + 1), *mark = malloc(ntxn + 1);
    /* finds[fo[a] .. fo[a + 1]): the instances alert a finds (of its kind) */
    uint32_t *fo = calloc(nalert + 2, sizeof *fo), *seen = calloc(ninst + 1, sizeof *seen);
    list finds = {0};
    ranked *order = malloc((nalert + 1) * sizeof *order);
    uint32_t *names = malloc(((size_t)nkind + 1) * sizeof *names);
    res->rows = calloc((size_t)nkind + 2, sizeof *res->rows);
    res->unmatched = calloc(nalert + 1, sizeof *res->unmatched);
    res->unmatched_kind = calloc(nalert + 1, sizeof *res->unmatched_kind);
    res->ninstances = (int64_t)ninst;
    res->inst_row = calloc(ninst + 1, sizeof *res->inst_row);
    if (!res->inst_row || !off || !holders || !count || !touched || !found || !good || !inst_on ||
        !inst_mine || !alert_on || !mark || !fo || !seen || !order || !names || !res->rows ||
        !res->unmatched || !res->unmatched_kind) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (size_t k = 0; k < ev->inst_txn.n; k++)
        off[ev->inst_txn.v[k] + 1]++;
    for (uint32_t t = 0; t < ntxn; t++)
        off[t + 1] += off[t];
    for (size_t i = 0; i < ninst; i++)
        for (uint32_t k = ev->inst_off.v[i]; k < ev->inst_off.v[i + 1]; k++)
            holders[off[ev->inst_txn.v[k]]++] = (uint32_t)i;
    memmove(off + 1, off, (size_t)ntxn * sizeof *off);
    off[0] = 0;
    /* Each alert against the instances its transactions belong to. An
     * alert matches an instance when it covers `share` of the instance
     * and the instance is `purity` of the alert; it finds the instance
     * when their kinds agree too. */
    for (size_t a = 0; a < nalert; a++) {
        uint32_t kind = ev->alert_kind.v[a], ntouched = 0;
        uint32_t size = ev->alert_off.v[a + 1] - ev->alert_off.v[a], planted = 0;
        for (uint32_t k = ev->alert_off.v[a]; k < ev->alert_off.v[a + 1]; k++) {
            uint32_t t = ev->alert_txn.v[k];
            planted += off[t + 1] > off[t];
            for (uint32_t h = off[t]; h < off[t + 1]; h++) {
                uint32_t i = holders[h];
                if (count[i]++ == 0)
                    touched[ntouched++] = i;
            }
        }
        fo[a] = (uint32_t)finds.n;
        for (uint32_t x = 0; x < ntouched; x++) {
            uint32_t i = touched[x], p = ev->inst_pat.v[i];
            double isize = (double)(ev->inst_off.v[i + 1] - ev->inst_off.v[i]);
            if ((double)count[i] >= o->share * isize - 1e-9 &&
                (double)count[i] >= o->purity * (double)size - 1e-9) {
                good[a] = 1;
                if (p == NO_PATTERN || p == kind) {
                    found[i] = 1;
                    if (!push(&finds, i)) {
                        rc = ft_error_oom(err);
                        goto done;
                    }
                }
            }
            count[i] = 0;
        }
        if ((double)planted >= o->planted * (double)size - 1e-9)
            good[a] = 1;
        if (!good[a]) {
            res->unmatched[res->nunmatched] = ev->alert_id[a];
            res->unmatched_kind[res->nunmatched++] =
                (char *)ft_intern_str(&ev->kinds, kind, NULL);
        }
    }
    fo[nalert] = (uint32_t)finds.n;
    for (size_t a = 0; a < nalert; a++)
        order[a] = (ranked){ev->alert_score[a], (uint32_t)a};
    if (nalert > 1)
        qsort(order, nalert, sizeof *order, cmp_ranked);
    /* A row per name (pattern or kind), sorted by name, then "labelled"
     * for truth without patterns, then overall. */
    for (uint32_t k = 0; k < nkind; k++)
        names[k] = k;
    for (uint32_t x = 1; x < nkind; x++) /* insertion sort by name: few kinds */
        for (uint32_t y = x; y > 0 && strcmp(ft_intern_str(&ev->kinds, names[y - 1], NULL),
                                             ft_intern_str(&ev->kinds, names[y], NULL)) > 0;
             y--) {
            uint32_t tmp = names[y];
            names[y] = names[y - 1];
            names[y - 1] = tmp;
        }
    bool unlabelled = false;
    for (size_t i = 0; i < ninst; i++)
        unlabelled |= ev->inst_pat.v[i] == NO_PATTERN;
    for (uint32_t x = 0; x <= nkind + (unlabelled ? 1u : 0u); x++) {
        bool overall = x == nkind + (unlabelled ? 1u : 0u);
        bool labelled = unlabelled && x == nkind;
        uint32_t k = overall || labelled ? NO_PATTERN : names[x];
        ft_eval_row *row = &res->rows[res->nrows++];
        snprintf(row->name, sizeof row->name, "%s",
                 overall ? "overall" : labelled ? "labelled" : ft_intern_str(&ev->kinds, k, NULL));
        for (size_t i = 0; i < ninst; i++) {
            uint32_t p = ev->inst_pat.v[i];
            inst_mine[i] = overall || (labelled ? p == NO_PATTERN : p == k);
            /* the truth an alert of this kind may match: its pattern, or none */
            inst_on[i] = overall || labelled ? inst_mine[i] : (p == k || p == NO_PATTERN);
            if (inst_mine[i]) {
                row->instances++;
                row->found += found[i];
                if (!overall)
                    res->inst_row[i] = res->nrows - 1;
            }
        }
        for (size_t a = 0; a < nalert; a++) {
            alert_on[a] = overall || labelled || ev->alert_kind.v[a] == k;
            if (alert_on[a]) {
                row->alerts++;
                row->true_alerts += good[a];
            }
        }
        row->precision = ratio(row->true_alerts, row->alerts);
        row->recall = ratio(row->found, row->instances);
        row->f1 = f1(row->precision, row->recall);
        txn_counts(ev, inst_on, alert_on, mark, row);
        ranking(order, nalert, alert_on, inst_mine, good, fo, finds.v, seen, x + 1, o->top_k, row);
    }
done:
    free(off);
    free(holders);
    free(count);
    free(touched);
    if (rc == FT_OK)
        res->found = found;
    else
        free(found);
    free(good);
    free(inst_on);
    free(inst_mine);
    free(alert_on);
    free(mark);
    free(fo);
    free(seen);
    list_free(&finds);
    free(order);
    free(names);
    if (rc != FT_OK)
        ft_eval_result_free(res);
    return rc;
}

void ft_eval_result_free(ft_eval_result *res)
{
    free(res->rows);
    free(res->unmatched);
    free(res->unmatched_kind);
    free(res->found);
    free(res->inst_row);
    memset(res, 0, sizeof *res);
}

/* --- output -------------------------------------------------------------------------- */

static void num(FILE *f, double v, int width)
{
    if (v < 0)
        fprintf(f, " %*s", width, "-");
    else
        fprintf(f, " %*.3f", width, v);
}

static void json_num(ft_json *j, const char *key, double v)
{
    char buf[32];
    if (v < 0) {
        ft_json_raw(j, key, "null");
        return;
    }
    snprintf(buf, sizeof buf, "%.6f", v);
    ft_json_raw(j, key, buf);
}

void ft_eval_write(FILE *f, const ft_eval_result *res, ft_format fmt)
{
    if (fmt == FT_FORMAT_JSON || fmt == FT_FORMAT_JSONL) {
        ft_json j;
        ft_json_init(&j, f, fmt == FT_FORMAT_JSON);
        ft_json_object(&j, NULL);
        json_num(&j, "share", res->opt.share);
        json_num(&j, "purity", res->opt.purity);
        json_num(&j, "planted", res->opt.planted);
        ft_json_int(&j, "top_k", res->opt.top_k);
        ft_json_array(&j, "patterns");
        for (int i = 0; i < res->nrows; i++) {
            const ft_eval_row *r = &res->rows[i];
            if (i == res->nrows - 1) {
                ft_json_end(&j, ']');
                ft_json_object(&j, "overall");
            } else {
                ft_json_object(&j, NULL);
                ft_json_cstr(&j, "pattern", r->name);
            }
            ft_json_int(&j, "instances", r->instances);
            ft_json_int(&j, "found", r->found);
            ft_json_int(&j, "alerts", r->alerts);
            ft_json_int(&j, "true_alerts", r->true_alerts);
            json_num(&j, "precision", r->precision);
            json_num(&j, "recall", r->recall);
            json_num(&j, "f1", r->f1);
            json_num(&j, "average_precision", r->ap);
            json_num(&j, "precision_at_k", r->p_at_k);
            ft_json_int(&j, "txn_truth", r->txn_truth);
            ft_json_int(&j, "txn_alerted", r->txn_alerted);
            ft_json_int(&j, "txn_both", r->txn_both);
            json_num(&j, "txn_precision", r->txn_precision);
            json_num(&j, "txn_recall", r->txn_recall);
            json_num(&j, "txn_f1", r->txn_f1);
            ft_json_end(&j, '}');
        }
        ft_json_array(&j, "unmatched_alerts");
        for (int64_t i = 0; i < res->nunmatched; i++) {
            ft_json_object(&j, NULL);
            ft_json_cstr(&j, "id", res->unmatched[i]);
            ft_json_cstr(&j, "kind", res->unmatched_kind[i]);
            ft_json_end(&j, '}');
        }
        ft_json_end(&j, ']');
        ft_json_end(&j, '}');
        ft_json_finish(&j);
        return;
    }
    fprintf(f,
            "an alert matches an instance when it covers %.0f %% of the instance and the "
            "instance is %.0f %% of the alert;\n"
            "an instance is found by a matching alert of its kind; an alert is good when it "
            "matches one,\nor when %.0f %% of its transactions are planted\n\n",
            res->opt.share * 100, res->opt.purity * 100, res->opt.planted * 100);
    char pk[16];
    snprintf(pk, sizeof pk, "p@%" PRId64, res->opt.top_k);
    fprintf(f, "%-16s %9s %6s %7s %6s %9s %7s %6s %6s %6s %9s %7s %6s\n", "pattern", "instances",
            "found", "alerts", "good", "precision", "recall", "f1", "ap", pk, "txn_prec", "txn_rec",
            "txn_f1");
    for (int i = 0; i < res->nrows; i++) {
        const ft_eval_row *r = &res->rows[i];
        if (i == res->nrows - 1)
            fputc('\n', f);
        fprintf(f, "%-16s %9" PRId64 " %6" PRId64 " %7" PRId64 " %6" PRId64, r->name, r->instances,
                r->found, r->alerts, r->true_alerts);
        num(f, r->precision, 9);
        num(f, r->recall, 7);
        num(f, r->f1, 6);
        num(f, r->ap, 6);
        num(f, r->p_at_k, 6);
        num(f, r->txn_precision, 9);
        num(f, r->txn_recall, 7);
        num(f, r->txn_f1, 6);
        fputc('\n', f);
    }
    fprintf(f, "\n%" PRId64 " alert%s not good%s\n", res->nunmatched,
            res->nunmatched == 1 ? "" : "s", res->nunmatched ? ":" : "");
    for (int64_t i = 0; i < res->nunmatched && i < 20; i++)
        fprintf(f, "  %s (%s)\n", res->unmatched[i], res->unmatched_kind[i]);
    if (res->nunmatched > 20)
        fprintf(f, "  ... and %" PRId64 " more (see --format json)\n", res->nunmatched - 20);
}
