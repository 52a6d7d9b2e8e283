/*
 * ingest.c - streaming CSV input into the store.
 *
 * The input is read in 1 MiB chunks (inflated by zlib when it starts with
 * the gzip magic) and handed to libcsv one physical line at a time. Feeding
 * by line is what lets us name lines in messages: libcsv knows nothing of
 * positions, but when its row callback fires we know which line we gave
 * it, and a field's first line is its last line minus the line breaks it
 * holds. It also gives us each row's bytes verbatim for the reject file.
 *
 * libcsv runs in strict mode, so a stray quote is an error we can report;
 * we then restart the parser at the next line. A stray opening quote makes
 * a row swallow the lines after it, until a later quote breaks the CSV
 * rules or the input ends with the quote still open. Either way we reject
 * only the line the row began on and read the swallowed lines again, from
 * a replay buffer (not by recursion, so no input can exhaust the stack).
 *
 * A row is validated completely before anything is interned or appended,
 * so a rejected row leaves no trace in the store but the counts.
 */
#include "fundtrace/ingest.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fundtrace/hash.h"
#include "fundtrace/time.h"

#define CHUNK             ((size_t)1 << 20)
#define CSV_OPTIONS       CSV_STRICT
#define LIBCSV_ROW_NOT_BEGUN 0 /* libcsv's pstate between rows */
#define LIBCSV_FIELD_BEGUN   2 /* libcsv's pstate inside a field */
#define MAX_EPOCH_DIGITS  12
#define CUR_CACHE         32

/* --- input: plain or gzip, file, stdin or memory -------------------------- */

struct input {
    const char *path;
    int fd;                         /* -1 when reading memory */
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    unsigned char *raw, *out;       /* read buffer, inflate buffer */
    const unsigned char *rp;        /* current raw bytes (raw or mem) */
    size_t rlen;
    bool raw_eof, gz, z_live, member_done, first;
    z_stream z;
    ft_sha256 sha;
    uint64_t bytes;
};

static ft_status input_fill(struct input *in, ft_error *err)
{
    if (in->fd < 0) {
        size_t n = in->mem_len - in->mem_pos;
        if (n > CHUNK)
            n = CHUNK;
        in->rp = in->mem + in->mem_pos;
        in->rlen = n;
        in->mem_pos += n;
    } else {
        ssize_t n;
        do
            n = read(in->fd, in->raw, CHUNK);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return ft_error_errno(err, FT_EIO, "read", in->path);
        in->rp = in->raw;
        in->rlen = (size_t)n;
    }
    if (in->rlen == 0)
        in->raw_eof = true;
    ft_sha256_update(&in->sha, in->rp, in->rlen);
    in->bytes += in->rlen;
    return FT_OK;
}

static ft_status input_open(struct input *in, const char *path, int fd, const void *mem,
                            size_t mem_len, ft_error *err)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->fd = fd;
    in->mem = mem;
    in->mem_len = mem_len;
    in->first = true;
    ft_status rc = ft_sha256_init(&in->sha, err);
    if (rc != FT_OK)
        return rc;
    if (fd >= 0 && !(in->raw = malloc(CHUNK)))
        return ft_error_oom(err);
    if ((rc = input_fill(in, err)) != FT_OK)
        return rc;
    if (in->rlen >= 2 && in->rp[0] == 0x1f && in->rp[1] == 0x8b) {
        in->gz = true;
        in->first = false; /* the first chunk is already zlib's input */
        if (!(in->out = malloc(CHUNK)))
            return ft_error_oom(err);
        if (inflateInit2(&in->z, 15 + 32) != Z_OK)
            return ft_error_set(err, FT_ENOMEM, "cannot start zlib for '%s'", path);
        in->z_live = true;
        in->z.next_in = (unsigned char *)in->rp;
        in->z.avail_in = (uInt)in->rlen;
    }
    return FT_OK;
}

/* Next decompressed bytes; *len == 0 at the end. */
static ft_status input_next(struct input *in, const unsigned char **p, size_t *len, ft_error *err)
{
    ft_status rc;
    *len = 0;
    if (!in->gz) {
        if (in->first) {
            in->first = false;
        } else if (!in->raw_eof && (rc = input_fill(in, err)) != FT_OK) {
            return rc;
        }
        *p = in->rp;
        *len = in->raw_eof ? 0 : in->rlen;
        return FT_OK;
    }
    for (;;) {
        if (in->z.avail_in == 0 && !in->raw_eof) {
            if (!in->first && (rc = input_fill(in, err)) != FT_OK)
                return rc;
            in->first = false;
            in->z.next_in = (unsigned char *)in->rp;
            in->z.avail_in = (uInt)in->rlen;
        }
        if (in->z.avail_in == 0 && in->raw_eof) {
            if (!in->member_done)
                return ft_error_set(err, FT_EIO, "%s: gzip data ends unexpectedly (truncated file?)",
                                    in->path);
            return FT_OK;
        }
        if (in->member_done) {
            /* Another gzip member follows (as `cat a.gz b.gz` makes). */
            if (inflateReset(&in->z) != Z_OK)
                return ft_error_set(err, FT_EIO, "%s: cannot restart gzip stream", in->path);
            in->member_done = false;
        }
        in->z.next_out = in->out;
        in->z.avail_out = (uInt)CHUNK;
        int zr = inflate(&in->z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END)
            in->member_done = true;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return ft_error_set(err, FT_EIO, "%s: bad gzip data (%s)", in->path,
                                in->z.msg ? in->z.msg : "zlib error");
        size_t produced = CHUNK - in->z.avail_out;
        if (produced) {
            *p = in->out;
            *len = produced;
            return FT_OK;
        }
    }
}

static void input_close(struct input *in, char sha_hex[65])
{
    if (sha_hex)
        ft_sha256_final(&in->sha, sha_hex);
    ft_sha256_free(&in->sha);
    if (in->z_live)
        inflateEnd(&in->z);
    free(in->raw);
    free(in->out);
}

/* --- the loader: libcsv callbacks and row conversion ------------------------ */

struct cur_cache {
    char text[32];
    size_t len;
    ft_currency cur; /* as resolved, exponent = the layout's decimals */
    int store_id;    /* -1 until a row in it is loaded */
};

struct loader {
    ft_store *s;
    const ft_load_options *o;
    ft_error *err;
    ft_status rc; /* first fatal error; callbacks stop once set */
    const char *path;
    int src_idx;
    struct csv_parser p;
    bool parser_live;
    char delim;
    int64_t line;     /* line of the bytes being fed */
    int64_t row_line; /* first line of the current row */
    bool in_row;
    /* A malformed-quote error waits for the end of its line so that the
     * reject carries the whole line. */
    bool skipping;
    int64_t skip_line, skip_col;
    /* Fields of the current row, each NUL-terminated in fbuf. */
    char *fbuf;
    size_t fused, fcap;
    size_t *foff, *flen;
    int64_t *fline;
    int nf, nfcap;
    /* Bytes of the current row, for rejects. */
    char *raw;
    size_t rused, rcap;
    /* Lines to read again after a row that swallowed them was rejected. */
    char *replay;
    size_t replay_len, replay_pos;
    char *key;
    size_t keycap;
    bool header_done;
    ft_schema sc;
    ft_currency default_cur;
    bool have_default_cur;
    struct cur_cache cache[CUR_CACHE];
    int ncache;
};

static ft_status reserve(char **buf, size_t *cap, size_t need, ft_error *err)
{
    if (need <= *cap)
        return FT_OK;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *p = realloc(*buf, c);
    if (!p)
        return ft_error_oom(err);
    *buf = p;
    *cap = c;
    return FT_OK;
}

static void fail(struct loader *L, ft_status rc)
{
    if (L->rc == FT_OK)
        L->rc = rc;
}

/* Records a fatal error and leaves the (void) caller. */
#define FAIL(L, rc)                                                                             \
    do {                                                                                        \
        fail((L), (rc));                                                                        \
        return;                                                                                 \
    } while (0)

static void cb_field(void *data, size_t len, void *ctx)
{
    struct loader *L = ctx;
    if (L->rc != FT_OK)
        return;
    if (L->nf == L->nfcap) {
        int cap = L->nfcap ? L->nfcap * 2 : 32;
        size_t *o = realloc(L->foff, (size_t)cap * sizeof *o);
        if (o)
            L->foff = o;
        size_t *l = realloc(L->flen, (size_t)cap * sizeof *l);
        if (l)
            L->flen = l;
        int64_t *ln = realloc(L->fline, (size_t)cap * sizeof *ln);
        if (ln)
            L->fline = ln;
        if (!o || !l || !ln)
            FAIL(L, ft_error_oom(L->err));
        L->nfcap = cap;
    }
    ft_status rc = reserve(&L->fbuf, &L->fcap, L->fused + len + 1, L->err);
    if (rc != FT_OK)
        FAIL(L, rc);
    if (len)
        memcpy(L->fbuf + L->fused, data, len);
    L->fbuf[L->fused + len] = '\0';
    L->foff[L->nf] = L->fused;
    L->flen[L->nf] = len;
    L->fline[L->nf] = L->line;
    L->fused += len + 1;
    L->nf++;
}

static const char *fptr(const struct loader *L, int col)
{
    return L->fbuf + L->foff[col];
}

/* First line of field `col`: the line it ended on, less its line breaks. */
static int64_t field_line(const struct loader *L, int col)
{
    if (col < 0 || col >= L->nf)
        return L->line;
    int64_t breaks = 0;
    const char *f = fptr(L, col), *end = f + L->flen[col];
    while ((f = memchr(f, '\n', (size_t)(end - f))) != NULL) {
        breaks++;
        f++;
    }
    return L->fline[col] - breaks;
}

/* Records a rejected row. `col` is 0-based, or -1 for the row as a whole. */
static void reject_at(struct loader *L, ft_reject why, int64_t line, int64_t col, const char *raw,
                      size_t raw_len, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void reject_at(struct loader *L, ft_reject why, int64_t line, int64_t col, const char *raw,
                      size_t raw_len, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ft_load_report *r = &L->s->report;
    r->rows_rejected++;
    r->by_reason[why]++;
    r->sources[L->src_idx].rows_rejected++;
    if (L->o->on_reject) {
        ft_reject_info info = {L->path, line, col + 1, why, msg, raw, raw_len};
        L->o->on_reject(L->o->reject_ctx, &info);
    }
    if (L->o->strict)
        fail(L, ft_error_at(L->err, FT_EINPUT, L->path, line, col + 1, "%s", msg));
}

/* A field's text for a message: at most 60 bytes, control bytes as '?'. */
static const char *show(const struct loader *L, int col, char out[80])
{
    const char *f = fptr(L, col);
    size_t len = L->flen[col], n = len > 60 ? 60 : len;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)f[i] < 0x20 || f[i] == 0x7f ? '?' : f[i];
    if (len > n) {
        memcpy(out + n, "...", 4);
    } else {
        out[n] = '\0';
    }
    return out;
}

#define REJECT(L, why, col, ...)                                                                \
    reject_at((L), (why), field_line((L), (col)), (col), (L)->raw, (L)->rused, __VA_ARGS__)

static void trim_span(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* The field of schema field f, trimmed; NULL/0 when the layout lacks it. */
static const char *get(const struct loader *L, ft_field f, size_t *len)
{
    int c = L->sc.col[f];
    if (c < 0) {
        *len = 0;
        return NULL;
    }
    const char *s = fptr(L, c);
    *len = L->flen[c];
    trim_span(&s, len);
    return s;
}

static ft_status resolve_default_currency(struct loader *L)
{
    const ft_load_options *o = L->o;
    const char *code = o->default_currency;
    if (!code && (L->sc.layout == FT_LAYOUT_AMLSIM || L->sc.layout == FT_LAYOUT_PAYSIM))
        code = "USD";
    if (!code)
        return ft_error_set(L->err, FT_EUSAGE,
                            "%s: there is no currency column: name one with --map "
                            "currency=COLUMN, or give every row one with --currency CODE",
                            L->path);
    if (!ft_currency_resolve(o->currencies, code, strlen(code), &L->default_cur))
        return ft_error_set(L->err, FT_EUSAGE,
                            "--currency '%s' is not a known currency (add it with --currencies "
                            "FILE)",
                            code);
    L->have_default_cur = true;
    return FT_OK;
}

static void process_header(struct loader *L)
{
    const char **names = malloc((size_t)(L->nf ? L->nf : 1) * sizeof *names);
    if (!names)
        FAIL(L, ft_error_oom(L->err));
    for (int i = 0; i < L->nf; i++)
        names[i] = fptr(L, i);
    ft_status rc = ft_schema_detect(&L->sc, names, L->flen, L->nf, L->o->map, L->path, L->err);
    free(names);
    if (rc != FT_OK)
        FAIL(L, rc);
    if (L->sc.col[FT_F_CURRENCY] < 0 && (rc = resolve_default_currency(L)) != FT_OK)
        FAIL(L, rc);
    ft_store *s = L->s;
    static const struct {
        ft_field f;
        ft_col c;
    } optional[] = {
        {FT_F_CHANNEL, FT_COL_CHANNEL}, {FT_F_LABEL, FT_COL_LABEL},
        {FT_F_MEMO, FT_COL_MEMO},       {FT_F_TXID, FT_COL_TXID},
        {FT_F_AMOUNT_RECV, FT_COL_AMOUNT_RECV}, {FT_F_CURRENCY_RECV, FT_COL_CUR_RECV},
    };
    for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++) {
        if (L->sc.col[optional[k].f] >= 0 && (rc = ft_store_enable(s, optional[k].c, L->err)))
            FAIL(L, rc);
    }
    if (L->sc.col[FT_F_AMOUNT_RECV] >= 0 && L->sc.col[FT_F_CURRENCY_RECV] < 0)
        FAIL(L, ft_error_set(L->err, FT_EUSAGE,
                                    "%s: amount_received needs currency_received too", L->path));
    if (L->src_idx > 0 && (rc = ft_store_enable(s, FT_COL_FILE, L->err)) != FT_OK)
        FAIL(L, rc);
    ft_source *src = &s->report.sources[L->src_idx];
    free(src->layout);
    src->layout = strdup(ft_layout_name(L->sc.layout));
    if (!src->layout)
        FAIL(L, ft_error_oom(L->err));
    L->header_done = true;
}

/* Resolves a currency text through the per-file cache. */
static struct cur_cache *currency(struct loader *L, const char *s, size_t len,
                                  struct cur_cache *scratch)
{
    for (int i = 0; i < L->ncache; i++)
        if (L->cache[i].len == len && memcmp(L->cache[i].text, s, len) == 0)
            return &L->cache[i];
    struct cur_cache *c = L->ncache < CUR_CACHE && len < sizeof c->text ? &L->cache[L->ncache]
                                                                        : scratch;
    if (!ft_currency_resolve(L->o->currencies, s, len, &c->cur))
        return NULL;
    if (c->cur.exponent < L->sc.min_exponent)
        c->cur.exponent = L->sc.min_exponent;
    c->store_id = -1;
    if (c != scratch) {
        memcpy(c->text, s, len);
        c->len = len;
        L->ncache++;
    }
    return c;
}

/* Parses an amount with its currency; on failure rejects the row. */
static bool amount(struct loader *L, ft_field fa, ft_field fc, int64_t *minor,
                   struct cur_cache **cur, struct cur_cache *scratch)
{
    size_t len, clen;
    const char *a = get(L, fa, &len);
    char buf[80];
    if (L->sc.col[fc] >= 0) {
        const char *c = get(L, fc, &clen);
        *cur = currency(L, c, clen, scratch);
        if (!*cur) {
            REJECT(L, FT_REJ_CURRENCY, L->sc.col[fc],
                   "currency '%s' is not known (define it with --currencies FILE)",
                   show(L, L->sc.col[fc], buf));
            return false;
        }
    } else {
        scratch->cur = L->default_cur;
        if (scratch->cur.exponent < L->sc.min_exponent)
            scratch->cur.exponent = L->sc.min_exponent;
        scratch->store_id = -1;
        *cur = scratch;
    }
    ft_money_error why;
    if (ft_money_parse(a, len, (*cur)->cur.exponent, minor, &why))
        return true;
    static const ft_reject reason[] = {
        [FT_MONEY_EMPTY] = FT_REJ_AMOUNT,      [FT_MONEY_SYNTAX] = FT_REJ_AMOUNT,
        [FT_MONEY_THOUSANDS] = FT_REJ_THOUSANDS, [FT_MONEY_DECIMALS] = FT_REJ_DECIMALS,
        [FT_MONEY_NEGATIVE] = FT_REJ_NEGATIVE, [FT_MONEY_OVERFLOW] = FT_REJ_OVERFLOW,
    };
    int col = L->sc.col[fa];
    if (why == FT_MONEY_DECIMALS)
        REJECT(L, reason[why], col, "%s '%s' has more decimals than %s allows (%d)",
               ft_field_name(fa), show(L, col, buf), (*cur)->cur.code, (*cur)->cur.exponent);
    else
        REJECT(L, reason[why], col, "%s '%s' %s", ft_field_name(fa), show(L, col, buf),
               ft_money_strerror(why));
    return false;
}

/* Registers a validated currency in the store and scales the amount from
 * the layout's decimals to the store's. */
static ft_status commit_amount(struct loader *L, struct cur_cache *c, int64_t *minor,
                               uint16_t *id)
{
    ft_status rc;
    if (c->store_id < 0) {
        if ((rc = ft_store_currency(L->s, &c->cur, id, L->err)) != FT_OK)
            return rc;
        c->store_id = *id;
    }
    *id = (uint16_t)c->store_id;
    int have = L->s->currencies[*id].exponent;
    if (have > c->cur.exponent && !ft_money_scale(minor, have - c->cur.exponent))
        return ft_error_set(L->err, FT_ELIMIT, "%s:%" PRId64 ": amount too large in %s",
                            L->path, L->row_line, c->cur.code);
    return FT_OK;
}

static bool flag_false(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '0') ||
           (len == 5 && strncasecmp(s, "false", 5) == 0) || (len == 2 && strncasecmp(s, "no", 2) == 0);
}

static ft_status intern_label(struct loader *L, uint32_t *label)
{
    size_t len;
    const char *s = get(L, FT_F_LABEL, &len);
    *label = 0;
    if (!s)
        return FT_OK;
    switch (L->sc.label_kind) {
    case FT_LABEL_TEXT:
        if (len == 0)
            return FT_OK;
        break;
    case FT_LABEL_FLAG:
        if (flag_false(s, len))
            return FT_OK;
        break;
    case FT_LABEL_SAR: {
        if (flag_false(s, len))
            return FT_OK;
        size_t alen;
        const char *a = get(L, FT_F_ALERT_ID, &alen);
        if (a && alen && !(alen == 2 && memcmp(a, "-1", 2) == 0)) {
            s = a;
            len = alen;
        } else {
            s = "sar";
            len = 3;
        }
        break;
    }
    }
    uint32_t id;
    ft_status rc = ft_intern_put(&L->s->labels, s, len, &id, NULL, L->err);
    *label = id + 1;
    return rc;
}

/* Canonical decimal ids (no sign, no leading zero, at most 18 digits) are
 * kept as numbers; anything else goes to the string pool. */
static ft_status txid(struct loader *L, int64_t *out)
{
    size_t len;
    const char *s = get(L, FT_F_TXID, &len);
    *out = FT_TXID_DERIVED;
    if (!s || len == 0)
        return FT_OK;
    bool numeric = len <= 18 && (s[0] != '0' || len == 1);
    int64_t v = 0;
    for (size_t i = 0; numeric && i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            numeric = false;
        else
            v = v * 10 + (s[i] - '0');
    }
    if (numeric) {
        *out = v;
        return FT_OK;
    }
    uint64_t off;
    ft_status rc = ft_pool_add(&L->s->strings, s, len, &off, L->err);
    if (rc == FT_OK && off > (uint64_t)INT64_MAX)
        rc = ft_error_set(L->err, FT_ELIMIT, "string pool larger than 2^63 bytes");
    *out = -(int64_t)off;
    return rc;
}

static ft_status account_key(struct loader *L, ft_field fbank, ft_field facct, uint32_t *id)
{
    size_t blen, alen;
    const char *b = get(L, fbank, &blen);
    const char *a = get(L, facct, &alen);
    if (!b || blen == 0)
        return ft_intern_put(&L->s->accounts, a, alen, id, NULL, L->err);
    ft_status rc = reserve(&L->key, &L->keycap, blen + alen + 1, L->err);
    if (rc != FT_OK)
        return rc;
    memcpy(L->key, b, blen);
    L->key[blen] = ':';
    memcpy(L->key + blen + 1, a, alen);
    return ft_intern_put(&L->s->accounts, L->key, blen + 1 + alen, id, NULL, L->err);
}

static void process_row(struct loader *L)
{
    const ft_schema *sc = &L->sc;
    ft_store *s = L->s;
    ft_load_report *r = &s->report;
    char buf[80];
    r->rows_read++;
    r->sources[L->src_idx].rows_read++;

    if (L->nf != sc->ncols) {
        int col = L->nf < sc->ncols ? L->nf : sc->ncols;
        REJECT(L, FT_REJ_FIELD_COUNT, col, "expected %d fields as in the header, found %d",
               sc->ncols, L->nf);
        return;
    }
    for (int f = 0; f < FT_F_COUNT; f++) {
        int c = sc->col[f];
        if (c >= 0 && memchr(fptr(L, c), '\0', L->flen[c])) {
            REJECT(L, FT_REJ_NUL, c, "%s holds a NUL byte", ft_field_name((ft_field)f));
            return;
        }
    }

    ft_row row = {0};
    size_t len;
    const char *ts = get(L, FT_F_TIMESTAMP, &len);
    int tcol = sc->col[FT_F_TIMESTAMP];
    if (sc->time_kind == FT_TIME_TEXT) {
        ft_time_error why;
        if (!ft_time_parse(ts, len, &row.ts_ms, &why)) {
            REJECT(L, why == FT_TIME_RANGE ? FT_REJ_DATE : FT_REJ_TIMESTAMP, tcol,
                   "timestamp '%s' %s", show(L, tcol, buf), ft_time_strerror(why));
            return;
        }
    } else {
        int64_t step = 0;
        bool ok = len > 0 && len <= 9;
        for (size_t i = 0; ok && i < len; i++) {
            ok = ts[i] >= '0' && ts[i] <= '9';
            step = step * 10 + (ts[i] - '0');
        }
        if (!ok) {
            REJECT(L, FT_REJ_TIMESTAMP, tcol, "step '%s' is not a whole number of hours",
                   show(L, tcol, buf));
            return;
        }
        row.ts_ms = L->o->epoch_ms + step * 3600000;
    }

    size_t slen, dlen;
    get(L, FT_F_SRC, &slen);
    get(L, FT_F_DST, &dlen);
    if (slen == 0 || dlen == 0) {
        ft_field f = slen == 0 ? FT_F_SRC : FT_F_DST;
        REJECT(L, FT_REJ_ACCOUNT, sc->col[f], "%s is empty",
               f == FT_F_SRC ? "source account" : "destination account");
        return;
    }

    struct cur_cache scratch, scratch_recv, *cur, *cur_recv = NULL;
    if (!amount(L, FT_F_AMOUNT, FT_F_CURRENCY, &row.amount, &cur, &scratch))
        return;
    if (sc->col[FT_F_AMOUNT_RECV] >= 0 &&
        !amount(L, FT_F_AMOUNT_RECV, FT_F_CURRENCY_RECV, &row.amount_recv, &cur_recv,
                &scratch_recv))
        return;

    /* The row is valid: from here on only memory and limits can fail. */
    ft_status rc;
    if ((rc = commit_amount(L, cur, &row.amount, &row.cur)) != FT_OK ||
        (cur_recv && (rc = commit_amount(L, cur_recv, &row.amount_recv, &row.cur_recv)) != FT_OK) ||
        (rc = account_key(L, FT_F_SRC_BANK, FT_F_SRC, &row.src)) != FT_OK ||
        (rc = account_key(L, FT_F_DST_BANK, FT_F_DST, &row.dst)) != FT_OK ||
        (rc = intern_label(L, &row.label)) != FT_OK || (rc = txid(L, &row.txid)) != FT_OK)
        FAIL(L, rc);
    const char *ch = get(L, FT_F_CHANNEL, &len);
    if (ch && len) {
        uint32_t id;
        if ((rc = ft_intern_put(&s->channels, ch, len, &id, NULL, L->err)) != FT_OK)
            FAIL(L, rc);
        if (id >= FT_MAX_SMALL_ID - 1)
            FAIL(L, ft_error_set(L->err, FT_ELIMIT, "%s:%" PRId64 ": more than %d channels",
                                        L->path, L->row_line, FT_MAX_SMALL_ID - 1));
        row.channel = (uint16_t)(id + 1);
    }
    const char *memo = get(L, FT_F_MEMO, &len);
    if (memo && len && (rc = ft_pool_add(&s->strings, memo, len, &row.memo, L->err)) != FT_OK)
        FAIL(L, rc);
    if (L->row_line > UINT32_MAX)
        FAIL(L, ft_error_set(L->err, FT_ELIMIT, "%s: more than %u lines", L->path,
                                    UINT32_MAX));
    row.line = (uint32_t)L->row_line;
    row.file = (uint16_t)L->src_idx;
    if ((rc = ft_store_append(s, &row, L->err)) != FT_OK)
        FAIL(L, rc);
    r->rows_loaded++;
    r->sources[L->src_idx].rows_loaded++;
}

static void cb_row(int c, void *ctx)
{
    (void)c;
    struct loader *L = ctx;
    if (L->rc == FT_OK) {
        if (L->header_done)
            process_row(L);
        else
            process_header(L);
    }
    L->nf = 0;
    L->fused = 0;
}

/* --- feeding lines to libcsv ---------------------------------------------- */

static ft_status parser_start(struct loader *L)
{
    if (L->parser_live)
        csv_free(&L->p);
    if (csv_init(&L->p, CSV_OPTIONS) != 0)
        return ft_error_oom(L->err);
    csv_set_delim(&L->p, (unsigned char)L->delim);
    /* libcsv grows its field buffer by a fixed block; a block of 64 KiB
     * keeps a long field from costing a realloc per 128 bytes. */
    csv_set_blk_size(&L->p, (size_t)1 << 16);
    L->parser_live = true;
    L->nf = 0;
    L->fused = 0;
    return FT_OK;
}

static void quote_error(struct loader *L, int64_t line, int64_t col)
{
    if (!L->header_done) {
        fail(L, ft_error_at(L->err, FT_EINPUT, L->path, line, col,
                            "the header has a malformed quote"));
        return;
    }
    L->s->report.rows_read++;
    L->s->report.sources[L->src_idx].rows_read++;
    reject_at(L, FT_REJ_QUOTES, line, col - 1, L->raw, L->rused,
              "field %" PRId64 " has a quote that CSV does not allow there (a quote inside an "
              "unquoted field, or text after a closing quote)",
              col);
}

/* Makes raw[from..) the next bytes to feed, ahead of any replay pending. */
static void schedule_replay(struct loader *L, size_t from)
{
    size_t rest = L->rused - from, pending = L->replay_len - L->replay_pos;
    char *buf = malloc(rest + pending + 1);
    if (!buf)
        FAIL(L, ft_error_oom(L->err));
    memcpy(buf, L->raw + from, rest);
    if (pending)
        memcpy(buf + rest, L->replay + L->replay_pos, pending);
    free(L->replay);
    L->replay = buf;
    L->replay_len = rest + pending;
    L->replay_pos = 0;
}

/* A row spanning several lines went wrong: most likely its first line
 * opened a quote by mistake and swallowed the lines after it. Reject the
 * first line only and read the others again as rows of their own. */
static void reject_first_line(struct loader *L, ft_reject why, int64_t col)
{
    if (!L->header_done) {
        fail(L, ft_error_at(L->err, FT_EINPUT, L->path, L->row_line, col,
                            "the header has a malformed quote"));
        return;
    }
    const char *nl = memchr(L->raw, '\n', L->rused);
    size_t first = nl ? (size_t)(nl - L->raw) + 1 : L->rused;
    L->s->report.rows_read++;
    L->s->report.sources[L->src_idx].rows_read++;
    if (why == FT_REJ_UNTERMINATED)
        reject_at(L, why, L->row_line, col - 1, L->raw, first,
                  "field %" PRId64 " opens a quote that is never closed", col);
    else
        reject_at(L, why, L->row_line, col - 1, L->raw, first,
                  "field %" PRId64 " opens a quote that does not close properly (the lines "
                  "after it are read again)",
                  col);
    schedule_replay(L, first);
    L->line = L->row_line + 1;
    L->in_row = false;
    L->skipping = false;
    L->rused = 0;
    ft_status rc = parser_start(L);
    if (rc != FT_OK)
        fail(L, rc);
}

/* Feeds one physical line (or the part of it this chunk holds). */
static void feed_piece(struct loader *L, const unsigned char *s, size_t n, bool ends_line)
{
    if (!L->in_row && !L->skipping) {
        L->row_line = L->line;
        L->rused = 0;
    }
    ft_status rc = reserve(&L->raw, &L->rcap, L->rused + n, L->err);
    if (rc != FT_OK)
        FAIL(L, rc);
    memcpy(L->raw + L->rused, s, n);
    L->rused += n;
    if (!L->skipping) {
        size_t done = csv_parse(&L->p, s, n, cb_field, cb_row, L);
        if (L->rc != FT_OK)
            return;
        if (done < n) {
            if (csv_error(&L->p) != CSV_EPARSE)
                FAIL(L, ft_error_set(L->err, FT_ENOMEM, "%s:%" PRId64 ": %s", L->path, L->line,
                                     csv_strerror(csv_error(&L->p))));
            if (L->row_line < L->line) {
                reject_first_line(L, FT_REJ_QUOTES, L->nf + 1);
                return;
            }
            L->skipping = true;
            L->skip_line = L->line;
            L->skip_col = L->nf + 1;
            if ((rc = parser_start(L)) != FT_OK)
                FAIL(L, rc);
        }
    }
    if (L->skipping && ends_line) {
        quote_error(L, L->skip_line, L->skip_col);
        L->skipping = false;
        L->in_row = false;
    } else {
        L->in_row = L->p.pstate != LIBCSV_ROW_NOT_BEGUN || L->skipping;
    }
    if (ends_line)
        L->line++;
}

/* Feeds bytes line by line; bytes scheduled for replay go first. */
static void feed(struct loader *L, const unsigned char *p, size_t len)
{
    size_t pos = 0;
    for (;;) {
        while (L->rc == FT_OK && L->replay_pos < L->replay_len) {
            const unsigned char *r = (const unsigned char *)L->replay + L->replay_pos;
            size_t left = L->replay_len - L->replay_pos;
            const unsigned char *nl = memchr(r, '\n', left);
            size_t n = nl ? (size_t)(nl - r) + 1 : left;
            L->replay_pos += n;
            feed_piece(L, r, n, nl != NULL);
        }
        if (pos >= len || L->rc != FT_OK)
            return;
        const unsigned char *nl = memchr(p + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - p) + 1 : len;
        feed_piece(L, p + pos, end - pos, nl != NULL);
        pos = end;
    }
}

/* At the end of input: finish the last row, or recover from a quoted field
 * that never closed by rejecting its first line and reading the rest again. */
static void finish(struct loader *L)
{
    while (L->rc == FT_OK) {
        if (L->skipping) {
            quote_error(L, L->skip_line, L->skip_col);
            L->skipping = false;
            continue;
        }
        if (!(L->p.pstate == LIBCSV_FIELD_BEGUN && L->p.quoted)) {
            csv_fini(&L->p, cb_field, cb_row, L);
            return;
        }
        if (!L->header_done) {
            fail(L, ft_error_at(L->err, FT_EINPUT, L->path, L->row_line, L->nf + 1,
                                "the header has a quoted field that is never closed"));
            return;
        }
        reject_first_line(L, FT_REJ_UNTERMINATED, L->nf + 1);
        feed(L, NULL, 0);
    }
}

/* The delimiter of the header line: the most frequent of , ; TAB | outside
 * quotes; comma on a tie or when none occurs. */
static char sniff_delimiter(const unsigned char *p, size_t len)
{
    static const char cand[] = {',', ';', '\t', '|'};
    size_t count[4] = {0};
    bool quoted = false;
    for (size_t i = 0; i < len && p[i] != '\n'; i++) {
        if (p[i] == '"')
            quoted = !quoted;
        for (int k = 0; !quoted && k < 4; k++)
            count[k] += p[i] == (unsigned char)cand[k];
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (count[k] > count[best])
            best = k;
    return cand[best];
}

static void loader_free(struct loader *L)
{
    if (L->parser_live)
        csv_free(&L->p);
    free(L->fbuf);
    free(L->foff);
    free(L->flen);
    free(L->fline);
    free(L->raw);
    free(L->replay);
    free(L->key);
}

static ft_status ingest(ft_store *s, const char *path, int fd, const void *mem, size_t mem_len,
                        const ft_load_options *o, ft_error *err)
{
    static const ft_load_options defaults = {0};
    if (!o)
        o = &defaults;
    int idx;
    ft_status rc = ft_store_add_source(s, path, &idx, err);
    if (rc != FT_OK)
        return rc;
    struct loader L = {.s = s, .o = o, .err = err, .path = path, .src_idx = idx, .line = 1};
    struct input in;
    rc = input_open(&in, path, fd, mem, mem_len, err);
    const unsigned char *p;
    size_t len;
    bool first = true;
    while (rc == FT_OK && (rc = input_next(&in, &p, &len, err)) == FT_OK && len > 0) {
        if (first) {
            first = false;
            if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
                p += 3;
                len -= 3;
            }
            L.delim = o->delimiter ? o->delimiter : sniff_delimiter(p, len);
            if ((rc = parser_start(&L)) != FT_OK)
                break;
        }
        feed(&L, p, len);
        rc = L.rc;
    }
    if (rc == FT_OK && first) {
        rc = ft_error_set(err, FT_EINPUT, "%s: is empty: a header line is needed", path);
    } else if (rc == FT_OK) {
        finish(&L);
        rc = L.rc;
        if (rc == FT_OK && !L.header_done)
            rc = ft_error_set(err, FT_EINPUT, "%s: has no header line", path);
    }
    ft_source *src = &s->report.sources[idx];
    input_close(&in, rc == FT_OK ? src->sha256 : NULL);
    src->bytes = in.bytes;
    loader_free(&L);
    return rc;
}

ft_status ft_ingest_buffer(ft_store *s, const char *name, const void *data, size_t len,
                           const ft_load_options *o, ft_error *err)
{
    return ingest(s, name, -1, data, len, o, err);
}

ft_status ft_ingest_file(ft_store *s, const char *path, const ft_load_options *o, ft_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ft_error_errno(err, FT_EIO, "open", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!is_stdin)
            close(fd);
        return ft_error_set(err, FT_EIO, "cannot read '%s': is a directory", path);
    }
    if (!is_stdin)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    ft_status rc = ingest(s, path, fd, NULL, 0, o, err);
    if (rc == FT_OK && !is_stdin)
        s->report.sources[s->report.nsources - 1].mtime = (int64_t)st.st_mtime;
    if (!is_stdin)
        close(fd);
    return rc;
}

/* The options that change what is loaded, as text for the provenance
 * record: "delimiter=auto strict=no currency=USD epoch=... map=f=c;..". */
static ft_status describe_options(ft_store *s, const ft_load_options *o, ft_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return ft_error_oom(err);
    if (!o || !o->delimiter)
        fputs("delimiter=auto", f);
    else if (o->delimiter == '\t')
        fputs("delimiter=tab", f);
    else
        fprintf(f, "delimiter=%c", o->delimiter);
    fprintf(f, " strict=%s", o && o->strict ? "yes" : "no");
    if (o && o->default_currency)
        fprintf(f, " currency=%s", o->default_currency);
    char t[40];
    ft_time_format(o ? o->epoch_ms : 0, t, sizeof t);
    fprintf(f, " epoch=%s", t);
    for (int i = 0; o && o->currencies && i < o->currencies->n; i++)
        fprintf(f, "%s%s:%d", i ? "," : " currencies=", o->currencies->items[i].cur.code,
                o->currencies->items[i].cur.exponent);
    for (int i = 0; o && o->map && i < o->map->n; i++)
        fprintf(f, "%s%s=%s", i ? ";" : " map=", ft_field_name(o->map->items[i].field),
                o->map->items[i].column);
    if (fclose(f) != 0) {
        free(buf);
        return ft_error_oom(err);
    }
    free(s->report.options);
    s->report.options = buf;
    return FT_OK;
}

ft_status ft_ingest_files(ft_store *s, const char *const *paths, int npaths,
                          const ft_load_options *o, ft_error *err)
{
    ft_status rc = describe_options(s, o, err);
    if (rc != FT_OK)
        return rc;
    for (int i = 0; i < npaths; i++) {
        ft_status rc = ft_ingest_file(s, paths[i], o, err);
        if (rc != FT_OK)
            return rc;
    }
    return ft_store_finish(s, err);
}
