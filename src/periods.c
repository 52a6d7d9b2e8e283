/*
 * periods.c - data cut into periods of time, and the manifest naming them
 * (periods.h).
 *
 * A period's snapshot is written from a view of the whole store: the
 * same accounts, currencies and sources, the columns pointing at the
 * period's rows (the store is sorted by time, so a period is one run of
 * rows), and a string pool of only the period's memos and ids.
 */
#include "fundtrace/periods.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fundtrace/hash.h"
#include "fundtrace/pseudo.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/time.h"
#include "fundtrace/writer.h"

#define DAY_MS 86400000LL

bool ft_period_unit_parse(const char *name, ft_period_unit *u)
{
    static const char *const names[] = {"day", "week", "month"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *u = (ft_period_unit)i;
            return true;
        }
    return false;
}

const char *ft_period_unit_name(ft_period_unit u)
{
    return u == FT_PERIOD_DAY ? "day" : u == FT_PERIOD_WEEK ? "week" : "month";
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days since 1970-01-01 to year, month, day (Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int64_t ft_period_start(ft_period_unit u, int64_t ms)
{
    int64_t day = floor_div(ms, DAY_MS);
    if (u == FT_PERIOD_DAY)
        return day * DAY_MS;
    if (u == FT_PERIOD_WEEK) /* 1970-01-01 was a Thursday: Monday is day - 3 (mod 7) */
        return (day - (((day + 3) % 7) + 7) % 7) * DAY_MS;
    int64_t y;
    unsigned m, d;
    civil(day, &y, &m, &d);
    return ft_days_from_civil(y, m, 1) * DAY_MS;
}

int64_t ft_period_next(ft_period_unit u, int64_t start)
{
    if (u == FT_PERIOD_DAY)
        return start + DAY_MS;
    if (u == FT_PERIOD_WEEK)
        return start + 7 * DAY_MS;
    int64_t y;
    unsigned m, d;
    civil(floor_div(start, DAY_MS), &y, &m, &d);
    return ft_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * DAY_MS;
}

void ft_period_name(ft_period_unit u, int64_t start, char buf[FT_PERIOD_NAME])
{
    int64_t day = floor_div(start, DAY_MS), y;
    unsigned m, d;
    if (u == FT_PERIOD_WEEK) {
        /* ISO 8601: the week's Thursday gives its year; weeks count from
         * the one holding that year's first Thursday. */
        int64_t thu = day + 3;
        civil(thu, &y, &m, &d);
        int64_t doy = thu - ft_days_from_civil(y, 1, 1);
        snprintf(buf, FT_PERIOD_NAME, "%04" PRId64 "-W%02d", y, (int)(doy / 7 + 1));
        return;
    }
    civil(day, &y, &m, &d);
    if (u == FT_PERIOD_DAY)
        snprintf(buf, FT_PERIOD_NAME, "%04" PRId64 "-%02u-%02u", y, m, d);
    else
        snprintf(buf, FT_PERIOD_NAME, "%04" PRId64 "-%02u", y, m);
}

/* --- the split ---------------------------------------------------------------------------- */

/* A string column's offsets [lo, hi) copied into pool p: the new array. */
static ft_status copy_strings(const ft_store *s, const uint64_t *col, int64_t lo, int64_t hi,
                              ft_pool *p, uint64_t **out, ft_error *err)
{
    *out = NULL;
    if (!col)
        return FT_OK;
    uint64_t *v = malloc((size_t)(hi - lo + 1) * sizeof *v);
    if (!v)
        return ft_error_oom(err);
    for (int64_t i = lo; i < hi; i++) {
        v[i - lo] = 0;
        if (!col[i])
            continue;
        size_t len;
        const char *str = ft_pool_get(&s->strings, col[i], &len);
        ft_status rc = ft_pool_add(p, str, len, &v[i - lo], err);
        if (rc != FT_OK) {
            free(v);
            return rc;
        }
    }
    *out = v;
    return FT_OK;
}

#define SHIFT(f) (v->t.f = s->t.f ? s->t.f + lo : NULL)

/* The rows [lo, hi) of s as a store of their own (arrays borrowed from s
 * but the string columns, which own[] and pool hold). */
static ft_status period_view(const ft_store *s, int64_t lo, int64_t hi, ft_store *v,
                             uint64_t *own[3], int64_t **txid, ft_pool *pool, ft_error *err)
{
    *v = *s;
    memset(&v->adj, 0, sizeof v->adj);
    memset(&v->txids, 0, sizeof v->txids);
    memset(pool, 0, sizeof *pool);
    v->t.n = v->t.cap = hi - lo;
    /* The period's own counts; what the load rejected is the load's. */
    ft_load_report *r = &v->report;
    r->rows_read = r->rows_loaded = hi - lo;
    r->rows_rejected = r->amounts_rounded = r->duplicates = r->merges = r->ndups = 0;
    memset(r->by_reason, 0, sizeof r->by_reason);
    r->dups = NULL;
    SHIFT(ts_ms);
    SHIFT(amount);
    SHIFT(src);
    SHIFT(dst);
    SHIFT(cur);
    SHIFT(line);
    SHIFT(file);
    SHIFT(channel);
    SHIFT(label);
    SHIFT(amount_recv);
    SHIFT(cur_recv);
    SHIFT(value_ms);
    SHIFT(side);
    ft_status rc = copy_strings(s, s->t.memo, lo, hi, pool, &own[0], err);
    if (rc == FT_OK)
        rc = copy_strings(s, s->t.e2e, lo, hi, pool, &own[1], err);
    if (rc == FT_OK)
        rc = copy_strings(s, s->t.cp_name, lo, hi, pool, &own[2], err);
    *txid = NULL;
    if (rc == FT_OK && s->t.txid) {
        /* ids: >= 0 numeric; < 0 -(offset into the strings) */
        if (!(*txid = malloc((size_t)(hi - lo + 1) * sizeof **txid)))
            rc = ft_error_oom(err);
        for (int64_t i = lo; i < hi && rc == FT_OK; i++) {
            int64_t x = s->t.txid[i];
            if (x < 0 && x != FT_TXID_DERIVED) {
                size_t len;
                const char *str = ft_pool_get(&s->strings, (uint64_t)-x, &len);
                uint64_t off;
                rc = ft_pool_add(pool, str, len, &off, err);
                x = -(int64_t)off;
            }
            (*txid)[i - lo] = x;
        }
    }
    v->t.memo = own[0];
    v->t.e2e = own[1];
    v->t.cp_name = own[2];
    v->t.txid = *txid;
    v->strings = *pool;
    v->map = NULL;
    return rc;
}

static ft_status make_dir(const char *dir, ft_error *err)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return FT_OK;
        return ft_error_set(err, FT_EIO, "%s: is not a directory", dir);
    }
    return ft_error_errno(err, FT_EIO, "make the directory", dir);
}

static ft_status grow_periods(ft_manifest *m, size_t *cap, ft_error *err)
{
    if (m->n < *cap)
        return FT_OK;
    size_t c = *cap ? *cap * 2 : 16;
    ft_period *p = realloc(m->v, c * sizeof *p);
    if (!p)
        return ft_error_oom(err);
    m->v = p;
    *cap = c;
    return FT_OK;
}

ft_status ft_periods_split(const ft_store *s, ft_period_unit u, const char *dir, ft_manifest *out,
                           ft_error *err)
{
    ft_manifest m = {.unit = u};
    size_t cap = 0;
    ft_status rc = make_dir(dir, err);
    char *path = malloc(strlen(dir) + 64);
    if (rc == FT_OK && !path)
        rc = ft_error_oom(err);
    if (rc == FT_OK && !(m.dir = strdup(dir)))
        rc = ft_error_oom(err);
    for (int64_t lo = 0; lo < s->t.n && rc == FT_OK;) {
        int64_t from = ft_period_start(u, s->t.ts_ms[lo]), until = ft_period_next(u, from);
        int64_t hi = lo;
        while (hi < s->t.n && s->t.ts_ms[hi] < until)
            hi++;
        if ((rc = grow_periods(&m, &cap, err)) != FT_OK)
            break;
        ft_period *p = &m.v[m.n];
        memset(p, 0, sizeof *p);
        ft_period_name(u, from, p->name);
        p->from_ms = from;
        p->until_ms = until;
        p->rows = hi - lo;
        if (!(p->file = malloc(strlen(p->name) + 5))) {
            rc = ft_error_oom(err);
            break;
        }
        sprintf(p->file, "%s.ftg", p->name);
        m.n++;
        ft_store v;
        uint64_t *own[3] = {NULL, NULL, NULL};
        int64_t *txid = NULL;
        ft_pool pool;
        rc = period_view(s, lo, hi, &v, own, &txid, &pool, err);
        sprintf(path, "%s/%s", dir, p->file);
        if (rc == FT_OK)
            rc = ft_snapshot_write(&v, path, err);
        for (int k = 0; k < 3; k++)
            free(own[k]);
        free(txid);
        ft_pool_free(&pool);
        lo = hi;
    }
    /* The whole data's figures, then the manifest last: until it is
     * replaced, readers see the old one. */
    if (rc == FT_OK)
        rc = ft_period_whole_write(&m, s, err);
    ft_writer w = {.fd = -1};
    if (rc == FT_OK) {
        sprintf(path, "%s/manifest.tsv", dir);
        rc = ft_writer_open(&w, path, false, err);
    }
    FILE *f = rc == FT_OK ? ft_writer_stream(&w) : NULL;
    if (rc == FT_OK && !f)
        rc = ft_error_oom(err);
    if (rc == FT_OK) {
        fprintf(f, "fundtrace-periods 1 %s\n", ft_period_unit_name(u));
        for (size_t i = 0; i < m.n; i++) {
            char a[40], b[40];
            ft_time_format(m.v[i].from_ms, a, sizeof a);
            ft_time_format(m.v[i].until_ms, b, sizeof b);
            fprintf(f, "%s\t%s\t%s\t%s\t%" PRId64 "\n", m.v[i].name, a, b, m.v[i].file,
                    m.v[i].rows);
        }
        rc = ft_writer_close(&w, err);
    }
    ft_writer_abort(&w);
    free(path);
    if (rc == FT_OK && out)
        *out = m;
    else
        ft_manifest_free(&m);
    return rc;
}

/* --- the manifest --------------------------------------------------------------------------- */

void ft_manifest_free(ft_manifest *m)
{
    for (size_t i = 0; m->v && i < m->n; i++)
        free(m->v[i].file);
    free(m->v);
    free(m->dir);
    memset(m, 0, sizeof *m);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool ft_manifest_is(const char *path)
{
    char buf[512];
    if (is_dir(path)) {
        snprintf(buf, sizeof buf, "%s/manifest.tsv", path);
        path = buf;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char head[19] = {0};
    bool is = fread(head, 1, 18, f) == 18 && memcmp(head, "fundtrace-periods ", 18) == 0;
    fclose(f);
    return is;
}

ft_status ft_manifest_read(ft_manifest *m, const char *path, ft_error *err)
{
    memset(m, 0, sizeof *m);
    char *file = NULL;
    if (is_dir(path)) {
        if (!(file = malloc(strlen(path) + 16)))
            return ft_error_oom(err);
        sprintf(file, "%s/manifest.tsv", path);
        m->dir = strdup(path);
    } else {
        if (!(file = strdup(path)))
            return ft_error_oom(err);
        const char *slash = strrchr(path, '/');
        m->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    }
    if (!m->dir) {
        free(file);
        return ft_error_oom(err);
    }
    ft_status rc = FT_OK;
    FILE *f = fopen(file, "rb");
    if (!f)
        rc = ft_error_errno(err, FT_EIO, "open", file);
    char *line = NULL;
    size_t lcap = 0, cap = 0;
    int64_t lineno = 0;
    ssize_t len;
    while (rc == FT_OK && (errno = 0, len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (lineno == 1) {
            char unit[16];
            int n = 0;
            if (sscanf(line, "fundtrace-periods 1 %15s%n", unit, &n) != 1 || line[n] ||
                !ft_period_unit_parse(unit, &m->unit))
                rc = ft_error_at(err, FT_EINPUT, file, 1, 0,
                                 "not a manifest of periods (it starts with no "
                                 "'fundtrace-periods 1 day|week|month' line)");
            continue;
        }
        char *fld[6];
        int nf = 0;
        for (char *p = line; nf < 6;) {
            fld[nf++] = p;
            if (!(p = strchr(p, '\t')))
                break;
            *p++ = '\0';
        }
        int64_t from, until, rows;
        ft_time_error why;
        char *end;
        errno = 0;
        if (nf != 5 || strlen(fld[0]) >= FT_PERIOD_NAME || !*fld[3] ||
            !ft_time_parse(fld[1], strlen(fld[1]), &from, &why) ||
            !ft_time_parse(fld[2], strlen(fld[2]), &until, &why) || until <= from ||
            (rows = strtoll(fld[4], &end, 10), *end || errno || rows < 0 || !*fld[4])) {
            rc = ft_error_at(err, FT_EINPUT, file, lineno, 0,
                             "not a period (PERIOD, FROM, UNTIL, FILE, ROWS, by tabs)");
            break;
        }
        if (m->n && from < m->v[m->n - 1].until_ms) {
            rc = ft_error_at(err, FT_EINPUT, file, lineno, 0,
                             "periods out of time order or overlapping");
            break;
        }
        if ((rc = grow_periods(m, &cap, err)) != FT_OK)
            break;
        ft_period *p = &m->v[m->n];
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%s", fld[0]);
        p->from_ms = from;
        p->until_ms = until;
        p->rows = rows;
        if (!(p->file = strdup(fld[3]))) {
            rc = ft_error_oom(err);
            break;
        }
        m->n++;
    }
    if (rc == FT_OK && f && ferror(f))
        rc = ft_error_errno(err, FT_EIO, "read", file);
    if (rc == FT_OK && lineno == 0)
        rc = ft_error_set(err, FT_EINPUT, "%s: is empty: not a manifest of periods", file);
    if (f)
        fclose(f);
    free(line);
    free(file);
    if (rc != FT_OK)
        ft_manifest_free(m);
    return rc;
}

void ft_manifest_select(const ft_manifest *m, int64_t since_ms, int64_t until_ms, size_t *first,
                        size_t *last)
{
    size_t a = 0;
    while (a < m->n && m->v[a].until_ms <= since_ms)
        a++;
    size_t b = a;
    while (b < m->n && m->v[b].from_ms <= until_ms)
        b++;
    *first = a;
    *last = b;
}

/* --- the whole data's figures ---------------------------------------------------------- */

static const char whole_magic[8] = {'F', 'T', 'W', 'H', 'O', 'L', 'E', '\0'};
#define WHOLE_VERSION 1u

/* The inputs' SHA-256, as one hash (the same in every period's snapshot). */
static uint64_t sources_id(const ft_store *s)
{
    uint64_t h = ft_xxh64(&s->report.nsources, sizeof s->report.nsources, 0x9e1);
    for (int i = 0; i < s->report.nsources; i++)
        h = ft_xxh64(s->report.sources[i].sha256, 64, h);
    return h;
}

static char *whole_path(const ft_manifest *m)
{
    char *p = malloc(strlen(m->dir) + 16);
    if (p)
        sprintf(p, "%s/whole.bin", m->dir);
    return p;
}

typedef struct wio {
    ft_writer *w;
    const unsigned char *p;
    size_t n, at;
    uint64_t sum;
    bool shortfile;
} wio;

static void wio_bytes(wio *io, void *v, size_t len)
{
    if (io->w) {
        ft_writer_put(io->w, v, len);
    } else if (io->shortfile || len > io->n - io->at) {
        io->shortfile = true;
        memset(v, 0, len);
        return;
    } else {
        memcpy(v, io->p + io->at, len);
        io->at += len;
    }
    io->sum = ft_xxh64(v, len, io->sum);
}

ft_status ft_period_whole_write(const ft_manifest *m, const ft_store *s, ft_error *err)
{
    ft_period_whole w = {.present = true,
                         .ntxn = s->t.n,
                         .naccounts = s->accounts.n,
                         .ncurrencies = (uint16_t)s->ncurrencies};
    w.deg_out = calloc((size_t)w.naccounts + 1, sizeof *w.deg_out);
    w.deg_in = calloc((size_t)w.naccounts + 1, sizeof *w.deg_in);
    w.per_currency = calloc((size_t)w.ncurrencies + 1, sizeof *w.per_currency);
    char *path = whole_path(m);
    ft_status rc = w.deg_out && w.deg_in && w.per_currency && path ? FT_OK : ft_error_oom(err);
    for (int64_t t = 0; rc == FT_OK && t < s->t.n; t++) {
        w.deg_out[s->t.src[t]]++;
        w.deg_in[s->t.dst[t]]++;
        w.per_currency[s->t.cur[t]]++;
    }
    ft_writer wr = {.fd = -1};
    if (rc == FT_OK)
        rc = ft_writer_open(&wr, path, false, err);
    if (rc == FT_OK) {
        wio io = {.w = &wr};
        char magic[8];
        memcpy(magic, whole_magic, 8);
        uint32_t version = WHOLE_VERSION;
        uint64_t id = sources_id(s);
        wio_bytes(&io, magic, 8);
        wio_bytes(&io, &version, sizeof version);
        wio_bytes(&io, &w.naccounts, sizeof w.naccounts);
        wio_bytes(&io, &w.ntxn, sizeof w.ntxn);
        wio_bytes(&io, &w.ncurrencies, sizeof w.ncurrencies);
        wio_bytes(&io, &id, sizeof id);
        if (w.naccounts) {
            wio_bytes(&io, w.deg_out, (size_t)w.naccounts * sizeof *w.deg_out);
            wio_bytes(&io, w.deg_in, (size_t)w.naccounts * sizeof *w.deg_in);
        }
        if (w.ncurrencies)
            wio_bytes(&io, w.per_currency, (size_t)w.ncurrencies * sizeof *w.per_currency);
        uint64_t sum = io.sum;
        ft_writer_put(&wr, &sum, sizeof sum);
        rc = ft_writer_close(&wr, err);
    }
    ft_writer_abort(&wr);
    free(path);
    ft_period_whole_free(&w);
    return rc;
}

void ft_period_whole_free(ft_period_whole *w)
{
    free(w->deg_out);
    free(w->deg_in);
    free(w->per_currency);
    memset(w, 0, sizeof *w);
}

ft_status ft_period_whole_read(ft_period_whole *w, const ft_manifest *m, const ft_store *s,
                               ft_error *err)
{
    memset(w, 0, sizeof *w);
    char *path = whole_path(m);
    if (!path)
        return ft_error_oom(err);
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT) {
        free(path);
        return FT_OK; /* none: not present */
    }
    ft_status rc = f ? FT_OK : ft_error_errno(err, FT_EIO, "open", path);
    unsigned char *buf = NULL;
    size_t len = 0;
    if (rc == FT_OK) {
        struct stat st;
        if (fstat(fileno(f), &st) != 0 || st.st_size < 8)
            rc = ft_error_set(err, FT_ECORRUPT, "%s: is cut off: split the data again", path);
        else if (!(buf = malloc((size_t)st.st_size)))
            rc = ft_error_oom(err);
        else if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
            rc = ft_error_errno(err, FT_EIO, "read", path);
        else
            len = (size_t)st.st_size;
    }
    if (f)
        fclose(f);
    wio io = {.p = buf, .n = len >= 8 ? len - 8 : 0};
    char magic[8];
    uint32_t version = 0;
    uint64_t id = 0, sum = 0;
    if (rc == FT_OK) {
        wio_bytes(&io, magic, 8);
        wio_bytes(&io, &version, sizeof version);
        wio_bytes(&io, &w->naccounts, sizeof w->naccounts);
        wio_bytes(&io, &w->ntxn, sizeof w->ntxn);
        wio_bytes(&io, &w->ncurrencies, sizeof w->ncurrencies);
        wio_bytes(&io, &id, sizeof id);
        if (io.shortfile || memcmp(magic, whole_magic, 8) != 0 || version != WHOLE_VERSION)
            rc = ft_error_set(err, FT_ECORRUPT,
                              "%s: is not the whole data's figures of this fundtrace's "
                              "format: split the data again",
                              path);
    }
    if (rc == FT_OK && ((size_t)w->naccounts * 8 + (size_t)w->ncurrencies * 8 > io.n - io.at))
        io.shortfile = true;
    if (rc == FT_OK && !io.shortfile) {
        w->deg_out = calloc((size_t)w->naccounts + 1, sizeof *w->deg_out);
        w->deg_in = calloc((size_t)w->naccounts + 1, sizeof *w->deg_in);
        w->per_currency = calloc((size_t)w->ncurrencies + 1, sizeof *w->per_currency);
        if (!w->deg_out || !w->deg_in || !w->per_currency)
            rc = ft_error_oom(err);
    }
    if (rc == FT_OK && !io.shortfile) {
        if (w->naccounts) {
            wio_bytes(&io, w->deg_out, (size_t)w->naccounts * sizeof *w->deg_out);
            wio_bytes(&io, w->deg_in, (size_t)w->naccounts * sizeof *w->deg_in);
        }
        if (w->ncurrencies)
            wio_bytes(&io, w->per_currency, (size_t)w->ncurrencies * sizeof *w->per_currency);
        if (len >= 8)
            memcpy(&sum, buf + len - 8, 8);
    }
    if (rc == FT_OK && (io.shortfile || io.at != io.n || sum != io.sum))
        rc = ft_error_set(err, FT_ECORRUPT,
                          "%s: the whole data's figures are damaged or cut off: split the "
                          "data again",
                          path);
    int64_t rows = 0;
    for (size_t i = 0; i < m->n; i++)
        rows += m->v[i].rows;
    if (rc == FT_OK && (id != sources_id(s) || w->naccounts != s->accounts.n ||
                        w->ncurrencies != s->ncurrencies || w->ntxn != rows))
        rc = ft_error_set(err, FT_EINPUT,
                          "%s: is of other data than the periods (other inputs, accounts, "
                          "currencies or transfers): split the data again",
                          path);
    free(buf);
    free(path);
    if (rc == FT_OK)
        w->present = true;
    else
        ft_period_whole_free(w);
    return rc;
}

/* --- periods read as one store ----------------------------------------------------------- */

/* Where column c's array is in t. */
static void *col_ptr(ft_txns *t, ft_col c)
{
    switch (c) {
    case FT_COL_TS:
        return &t->ts_ms;
    case FT_COL_AMOUNT:
        return &t->amount;
    case FT_COL_SRC:
        return &t->src;
    case FT_COL_DST:
        return &t->dst;
    case FT_COL_CUR:
        return &t->cur;
    case FT_COL_LINE:
        return &t->line;
    case FT_COL_FILE:
        return &t->file;
    case FT_COL_CHANNEL:
        return &t->channel;
    case FT_COL_LABEL:
        return &t->label;
    case FT_COL_MEMO:
        return &t->memo;
    case FT_COL_TXID:
        return &t->txid;
    case FT_COL_AMOUNT_RECV:
        return &t->amount_recv;
    case FT_COL_CUR_RECV:
        return &t->cur_recv;
    case FT_COL_VALUE_MS:
        return &t->value_ms;
    case FT_COL_E2E:
        return &t->e2e;
    case FT_COL_CP_NAME:
        return &t->cp_name;
    case FT_COL_SIDE:
        return &t->side;
    case FT_COL_COUNT:
        break;
    }
    return NULL;
}

static void *dup_bytes(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

/* A copy of a (mapped) intern table that the store owns. */
static bool own_intern(ft_intern *dst, const ft_intern *src)
{
    *dst = *src;
    dst->borrowed = false;
    dst->pool.borrowed = false;
    dst->pool.data = src->pool.data ? dup_bytes(src->pool.data, src->pool.len) : NULL;
    dst->pool.cap = src->pool.len;
    dst->off = dup_bytes(src->off, (size_t)src->n * sizeof *src->off);
    dst->cap = src->n;
    dst->slots = dup_bytes(src->slots, (size_t)src->nslots * sizeof *src->slots);
    bool ok = (dst->pool.data || !src->pool.data) && dst->off && dst->slots;
    if (!ok) {
        free(dst->pool.data);
        free(dst->off);
        free(dst->slots);
        memset(dst, 0, sizeof *dst);
    }
    return ok;
}

/* The first period's dictionaries, currencies and sources, owned. */
static ft_status own_frame(ft_store *s, const ft_store *p, ft_error *err)
{
    memset(s, 0, sizeof *s);
    if (!own_intern(&s->accounts, &p->accounts) || !own_intern(&s->channels, &p->channels) ||
        !own_intern(&s->labels, &p->labels))
        return ft_error_oom(err);
    s->ncurrencies = s->cur_cap = p->ncurrencies;
    if (!(s->currencies = dup_bytes(p->currencies, (size_t)p->ncurrencies * sizeof *p->currencies)))
        return ft_error_oom(err);
    const ft_load_report *r = &p->report;
    ft_load_report *w = &s->report;
    w->sources = calloc((size_t)r->nsources + 1, sizeof *w->sources);
    if (!w->sources)
        return ft_error_oom(err);
    for (int i = 0; i < r->nsources; i++) {
        w->sources[i] = r->sources[i];
        w->sources[i].path = w->sources[i].layout = NULL;
        w->nsources = w->cap = i + 1;
        if (!(w->sources[i].path = strdup(r->sources[i].path ? r->sources[i].path : "")) ||
            !(w->sources[i].layout = strdup(r->sources[i].layout ? r->sources[i].layout : "")))
            return ft_error_oom(err);
    }
    if (r->options && !(w->options = strdup(r->options)))
        return ft_error_oom(err);
    return FT_OK;
}

/* The transfers from from_ms to until_ms (inclusive) of the periods
 * [first, last) of m, as one store. */
static ft_status load_span(ft_store *s, const ft_manifest *m, size_t first, size_t last,
                           int64_t from_ms, int64_t until_ms, ft_error *err)
{
    memset(s, 0, sizeof *s);
    if (first >= last || last > m->n)
        return ft_error_set(err, FT_EUSAGE, "no periods to read");
    size_t np = last - first;
    ft_store *ps = calloc(np, sizeof *ps);
    int64_t *lo = calloc(np, sizeof *lo), *cnt = calloc(np, sizeof *cnt);
    char *path = NULL;
    ft_status rc = ps && lo && cnt ? FT_OK : ft_error_oom(err);
    int64_t n = 0;
    uint64_t pool = 1;
    for (size_t i = 0; i < np && rc == FT_OK; i++) {
        const ft_period *pd = &m->v[first + i];
        free(path);
        if (!(path = malloc(strlen(m->dir) + strlen(pd->file) + 2))) {
            rc = ft_error_oom(err);
            break;
        }
        sprintf(path, "%s/%s", m->dir, pd->file);
        if ((rc = ft_snapshot_read(&ps[i], path, err)) != FT_OK)
            break;
        if (ps[i].accounts.n != ps[0].accounts.n || ps[i].ncurrencies != ps[0].ncurrencies ||
            ps[i].t.n != pd->rows)
            rc = ft_error_set(err, FT_EINPUT,
                              "%s: is not the period %s of the manifest's data (other accounts, "
                              "currencies or rows)",
                              path, pd->name);
        /* the period's rows in the range */
        lo[i] = from_ms == INT64_MIN ? 0 : ft_store_first_at(&ps[i], from_ms, false);
        int64_t hi = until_ms == INT64_MAX ? ps[i].t.n : ft_store_first_at(&ps[i], until_ms, true);
        cnt[i] = hi > lo[i] ? hi - lo[i] : 0;
        n += cnt[i];
        pool += ps[i].strings.len;
    }
    if (rc == FT_OK)
        rc = own_frame(s, &ps[0], err);
    /* The columns, end to end; the string columns' offsets moved by where
     * each period's pool lands in the joined one. */
    for (int c = 0; c < FT_COL_COUNT && rc == FT_OK; c++) {
        if (!ft_store_col(&ps[0], (ft_col)c))
            continue;
        size_t sz = ft_col_size((ft_col)c);
        char *col = malloc((size_t)n * sz + 1);
        if (!col) {
            rc = ft_error_oom(err);
            break;
        }
        memcpy(col_ptr(&s->t, (ft_col)c), &col, sizeof col);
        size_t at = 0;
        for (size_t i = 0; i < np; i++) {
            const char *src = ft_store_col(&ps[i], (ft_col)c);
            if (src && cnt[i])
                memcpy(col + at * sz, src + (size_t)lo[i] * sz, (size_t)cnt[i] * sz);
            at += (size_t)cnt[i];
        }
    }
    if (rc == FT_OK && pool > 1) {
        s->strings.data = malloc(pool);
        if (!s->strings.data)
            rc = ft_error_oom(err);
        else {
            s->strings.data[0] = '\0';
            s->strings.len = 1;
            s->strings.cap = pool;
        }
    }
    int64_t row = 0;
    for (size_t i = 0; i < np && rc == FT_OK; i++) {
        uint64_t base = s->strings.len;
        if (ps[i].strings.len) {
            memcpy(s->strings.data + base, ps[i].strings.data, ps[i].strings.len);
            s->strings.len += ps[i].strings.len;
        }
        for (int64_t j = row; j < row + cnt[i]; j++) {
            if (s->t.memo && s->t.memo[j])
                s->t.memo[j] += base;
            if (s->t.e2e && s->t.e2e[j])
                s->t.e2e[j] += base;
            if (s->t.cp_name && s->t.cp_name[j])
                s->t.cp_name[j] += base;
            if (s->t.txid && s->t.txid[j] < 0 && s->t.txid[j] != FT_TXID_DERIVED)
                s->t.txid[j] -= (int64_t)base;
        }
        row += cnt[i];
    }
    if (rc == FT_OK) {
        s->t.n = s->t.cap = n;
        s->report.rows_read = s->report.rows_loaded = n;
        s->sorted = true;
    } else {
        ft_store_free(s);
    }
    for (size_t i = 0; ps && i < np; i++)
        ft_store_free(&ps[i]);
    free(ps);
    free(lo);
    free(cnt);
    free(path);
    return rc;
}

ft_status ft_periods_load(ft_store *s, const ft_manifest *m, size_t first, size_t last,
                          ft_error *err)
{
    return load_span(s, m, first, last, INT64_MIN, INT64_MAX, err);
}

/* --- a time range of the data (scan --lookback) -------------------------------------------- */

int64_t ft_time_back(int64_t start, int64_t back)
{
    if (back <= 0)
        return start;
    return start < INT64_MIN + back ? INT64_MIN : start - back;
}

ft_status ft_manifest_last_time(const ft_manifest *m, int64_t *ms, ft_error *err)
{
    if (m->n == 0)
        return ft_error_set(err, FT_EUSAGE, "no periods to read");
    const ft_period *pd = &m->v[m->n - 1];
    char *path = malloc(strlen(m->dir) + strlen(pd->file) + 2);
    if (!path)
        return ft_error_oom(err);
    sprintf(path, "%s/%s", m->dir, pd->file);
    ft_store p = {0};
    ft_status rc = ft_snapshot_read(&p, path, err);
    if (rc == FT_OK && (p.t.n == 0 || p.t.n != pd->rows))
        rc = ft_error_set(err, FT_EINPUT, "%s: is not the period %s of the manifest's data", path,
                          pd->name);
    if (rc == FT_OK)
        *ms = p.t.ts_ms[p.t.n - 1];
    ft_store_free(&p);
    free(path);
    return rc;
}

ft_status ft_periods_load_range(ft_store *s, const ft_manifest *m, int64_t from_ms,
                                int64_t until_ms, size_t *first, size_t *last, ft_error *err)
{
    memset(s, 0, sizeof *s);
    size_t a = 0, b = 0;
    ft_manifest_select(m, from_ms, until_ms, &a, &b);
    if (a == b && m->n) { /* none overlaps: the nearest, for the accounts */
        a = a < m->n ? a : m->n - 1;
        b = a + 1;
    }
    *first = a;
    *last = b;
    return load_span(s, m, a, b, from_ms, until_ms, err);
}

/* --- chosen rows of the periods (issue 17: a streamed trace's trail) --------------------- */

/* Columns for n rows in s, one for each that p has. */
static ft_status alloc_cols(ft_store *s, const ft_store *p, size_t n, ft_error *err)
{
    for (int c = 0; c < FT_COL_COUNT; c++) {
        if (!ft_store_col(p, (ft_col)c))
            continue;
        void *col = calloc(n + 1, ft_col_size((ft_col)c));
        if (!col)
            return ft_error_oom(err);
        memcpy(col_ptr(&s->t, (ft_col)c), &col, sizeof col);
    }
    return FT_OK;
}

/* Row `at` of s, whose string offsets still point into p's pool: its
 * strings copied into s's own. */
static ft_status own_row_strings(ft_store *s, size_t at, const ft_store *p, ft_error *err)
{
    ft_status rc = FT_OK;
    uint64_t *str[3] = {s->t.memo, s->t.e2e, s->t.cp_name};
    for (int c = 0; c < 3 && rc == FT_OK; c++)
        if (str[c] && str[c][at]) {
            size_t len;
            const char *t = ft_pool_get(&p->strings, str[c][at], &len);
            rc = ft_pool_add(&s->strings, t, len, &str[c][at], err);
        }
    if (rc == FT_OK && s->t.txid && s->t.txid[at] < 0 && s->t.txid[at] != FT_TXID_DERIVED) {
        size_t len;
        const char *t = ft_pool_get(&p->strings, (uint64_t)-s->t.txid[at], &len);
        uint64_t off;
        rc = ft_pool_add(&s->strings, t, len, &off, err);
        s->t.txid[at] = -(int64_t)off;
    }
    return rc;
}

/* Row j of p as row `at` of s (its columns made by alloc_cols), the
 * strings it names copied into s's pool. */
static ft_status copy_row(ft_store *s, size_t at, const ft_store *p, size_t j, ft_error *err)
{
    for (int c = 0; c < FT_COL_COUNT; c++) {
        const char *src = ft_store_col(p, (ft_col)c);
        char *dst = ft_store_col(s, (ft_col)c);
        size_t sz = ft_col_size((ft_col)c);
        if (src && dst)
            memcpy(dst + at * sz, src + j * sz, sz);
    }
    return own_row_strings(s, at, p, err);
}

/* The end of a copy of n of p's rows into s (rc: how it went so far):
 * p's rates and tokens, the counts; s freed on failure. */
static ft_status own_rest(ft_store *s, const ft_store *p, size_t n, ft_status rc, ft_error *err)
{
    if (rc == FT_OK && p->rates) {
        if (!(s->rates = dup_bytes(p->rates, (size_t)p->ncurrencies * sizeof *p->rates)))
            rc = ft_error_oom(err);
        memcpy(s->rate_base, p->rate_base, sizeof s->rate_base);
    }
    if (rc == FT_OK && p->pseudo &&
        !(s->pseudo = dup_bytes(p->pseudo, (size_t)p->accounts.n * (FT_PSEUDO_LEN + 1))))
        rc = ft_error_oom(err);
    if (rc == FT_OK) {
        s->t.n = s->t.cap = (int64_t)n;
        s->report.rows_read = s->report.rows_loaded = (int64_t)n;
        s->sorted = p->sorted;
    } else {
        ft_store_free(s);
    }
    return rc;
}

ft_status ft_store_rows(ft_store *s, const ft_store *p, const uint32_t *rows, size_t n,
                        ft_error *err)
{
    ft_status rc = own_frame(s, p, err);
    if (rc == FT_OK)
        rc = alloc_cols(s, p, n, err);
    for (size_t k = 0; k < n && rc == FT_OK; k++)
        rc = rows[k] < (uint64_t)p->t.n ? copy_row(s, k, p, rows[k], err)
                                        : ft_error_set(err, FT_EUSAGE, "a row past the data's end");
    return own_rest(s, p, n, rc, err);
}

ft_status ft_store_range(ft_store *out, const ft_store *s, int64_t from_ms, int64_t until_ms,
                         ft_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s->sorted)
        return ft_error_set(err, FT_EUSAGE, "a time range of a store not sorted by time");
    int64_t lo = from_ms == INT64_MIN ? 0 : ft_store_first_at(s, from_ms, false);
    int64_t hi = until_ms == INT64_MAX ? s->t.n : ft_store_first_at(s, until_ms, true);
    size_t n = hi > lo ? (size_t)(hi - lo) : 0;
    ft_status rc = own_frame(out, s, err);
    if (rc == FT_OK)
        rc = alloc_cols(out, s, n, err);
    for (int c = 0; c < FT_COL_COUNT && rc == FT_OK; c++) {
        const char *src = ft_store_col(s, (ft_col)c);
        char *dst = ft_store_col(out, (ft_col)c);
        size_t sz = ft_col_size((ft_col)c);
        if (src && dst && n)
            memcpy(dst, src + (size_t)lo * sz, n * sz);
    }
    for (size_t k = 0; k < n && rc == FT_OK; k++)
        rc = own_row_strings(out, k, s, err);
    return own_rest(out, s, n, rc, err);
}

ft_status ft_periods_rows(ft_store *s, const ft_manifest *m, const uint32_t *rows, size_t n,
                          ft_error *err)
{
    memset(s, 0, sizeof *s);
    if (m->n == 0)
        return ft_error_set(err, FT_EUSAGE, "no periods to read");
    ft_store p = {0};
    char *path = NULL;
    ft_status rc = FT_OK;
    size_t k = 0; /* rows[k] is the next to copy */
    int64_t base = 0;
    for (size_t i = 0; i < m->n && rc == FT_OK; base += m->v[i].rows, i++) {
        if (i > 0 && (k == n || rows[k] >= base + m->v[i].rows))
            continue; /* the first period gives the frame, the others only rows */
        free(path);
        if (!(path = malloc(strlen(m->dir) + strlen(m->v[i].file) + 2))) {
            rc = ft_error_oom(err);
            break;
        }
        sprintf(path, "%s/%s", m->dir, m->v[i].file);
        if ((rc = ft_snapshot_read(&p, path, err)) != FT_OK)
            break;
        if (p.t.n != m->v[i].rows)
            rc = ft_error_set(err, FT_EINPUT, "%s: is not the period %s of the manifest's data",
                              path, m->v[i].name);
        if (rc == FT_OK && i == 0 && (rc = own_frame(s, &p, err)) == FT_OK)
            rc = alloc_cols(s, &p, n, err);
        for (; rc == FT_OK && k < n && rows[k] < base + p.t.n; k++)
            rc = copy_row(s, k, &p, rows[k] - (size_t)base, err);
        ft_store_free(&p);
        memset(&p, 0, sizeof p);
    }
    if (rc == FT_OK && k < n)
        rc = ft_error_set(err, FT_EUSAGE, "a row past the periods' end");
    free(path);
    if (rc == FT_OK) {
        s->t.n = s->t.cap = (int64_t)n;
        s->report.rows_read = s->report.rows_loaded = (int64_t)n;
        s->sorted = true;
    } else {
        ft_store_free(s);
    }
    return rc;
}
