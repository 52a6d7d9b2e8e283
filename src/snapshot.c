/*
 * snapshot.c - writing and mapping the binary snapshot (format in the header).
 *
 * The reader trusts nothing: besides the checksums, which catch damage, it
 * checks that every section lies inside the file, has the element size and
 * count the store expects, and that every id and pool offset in the arrays
 * points inside its table, so that a crafted file with valid checksums
 * cannot make a later command read out of bounds. These passes are linear
 * and cheap next to the checksum.
 */
#include "fundtrace/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fundtrace/hash.h"
#include "fundtrace/writer.h"

static const unsigned char MAGIC[8] = {0x89, 'F', 'T', 'G', '\r', '\n', 0x1a, '\n'};
#define BOM        0x01020304u
#define ALIGN      64
#define HEADER_LEN 64
#define ENTRY_LEN  48
#define MAX_SECTIONS 64

enum {
    SEC_META = 1,
    SEC_CURRENCIES,
    SEC_SOURCES,
    SEC_SOURCE_STRINGS,
    SEC_OPTIONS,
    SEC_ACC_POOL,
    SEC_ACC_OFF,
    SEC_ACC_SLOTS,
    SEC_CHAN_POOL,
    SEC_CHAN_OFF,
    SEC_CHAN_SLOTS,
    SEC_LAB_POOL,
    SEC_LAB_OFF,
    SEC_LAB_SLOTS,
    SEC_STRINGS,
    SEC_SOURCE_NOTES,   /* version 2 */
    SEC_DUPS,           /* version 2 */
    SEC_TXID_OFF,       /* the transaction-id index (optional: older files lack it) */
    SEC_TXID_TXN,
    SEC_COL_BASE = 100, /* + ft_col */
};

enum {
    META_N,
    META_ACCOUNTS,
    META_CHANNELS,
    META_LABELS,
    META_CURRENCIES,
    META_SOURCES,
    META_ROWS_READ,
    META_ROWS_LOADED,
    META_ROWS_REJECTED,
    META_NREASONS,
    META_ROUNDED,
    META_REASONS, /* FT_REJ_COUNT values follow */
    META_LEN = META_REASONS + FT_REJ_COUNT
};

struct header {
    unsigned char magic[8];
    uint32_t version, bom, nsections, flags;
    uint64_t table_off, file_size, table_xxh, reserved, header_xxh;
};
_Static_assert(sizeof(struct header) == HEADER_LEN, "header is 64 bytes");

struct entry {
    uint32_t id, elem_size;
    uint64_t offset, size, count, xxh, reserved;
};
_Static_assert(sizeof(struct entry) == ENTRY_LEN, "entry is 48 bytes");

struct disk_currency {
    char code[16];
    int32_t exponent, pad;
};

struct disk_source {
    int64_t bytes, mtime, rows_read, rows_loaded, rows_rejected;
    uint64_t path_off, layout_off;
    char sha256[64];
};

/* What version 2 adds per input file. */
struct disk_source_notes {
    char encoding[24];
    char decimal_mark;
    uint8_t decimal_from;
    uint8_t pad[6];
    int64_t bad_text_lines, first_bad_text_line, duplicates, merged, statements;
};
_Static_assert(sizeof(struct disk_source_notes) == 72, "source notes are 72 bytes");
_Static_assert(sizeof(ft_dup_record) == 16, "a duplicate record is 16 bytes");

/* --- writing ------------------------------------------------------------- */

struct section {
    uint32_t id, elem_size;
    uint64_t count;
    const void *data;
};

/* Appends zeros up to the next multiple of ALIGN. */
static void pad_to(ft_writer *w, uint64_t *pos)
{
    static const char zeros[ALIGN];
    uint64_t rem = *pos % ALIGN;
    if (rem) {
        ft_writer_put(w, zeros, (size_t)(ALIGN - rem));
        *pos += ALIGN - rem;
    }
}

/* Progress of a snapshot write: bytes out of the file's size. */
typedef struct write_progress {
    ft_advance_fn fn;
    void *ctx;
    uint64_t done, total;
} write_progress;

static void seen(void *ctx, const char *data, size_t len)
{
    (void)data;
    write_progress *p = ctx;
    p->done += len;
    p->fn(p->ctx, p->done, p->total);
}

static void add(struct section *secs, int *n, uint32_t id, uint32_t elem, uint64_t count,
                const void *data)
{
    secs[*n] = (struct section){id, elem, count, data};
    (*n)++;
}

static void add_intern(struct section *secs, int *n, uint32_t base, const ft_intern *t)
{
    add(secs, n, base, 1, t->pool.len, t->pool.data);
    add(secs, n, base + 1, 8, t->n, t->off);
    add(secs, n, base + 2, 8, t->nslots, t->slots);
}

/* Concatenates NUL-terminated strings; returns the offset of s. */
static uint64_t blob_add(char **blob, size_t *len, size_t *cap, const char *s, bool *oom)
{
    size_t l = strlen(s) + 1;
    if (*len + l > *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        while (c < *len + l)
            c *= 2;
        char *p = realloc(*blob, c);
        if (!p) {
            *oom = true;
            return 0;
        }
        *blob = p;
        *cap = c;
    }
    memcpy(*blob + *len, s, l);
    *len += l;
    return *len - l;
}

ft_status ft_snapshot_write(const ft_store *s, const char *path, ft_error *err)
{
    return ft_snapshot_write_progress(s, path, NULL, NULL, err);
}

ft_status ft_snapshot_write_progress(const ft_store *s, const char *path, ft_advance_fn progress,
                                     void *progress_ctx, ft_error *err)
{
    ft_status rc = FT_OK;
    const ft_load_report *r = &s->report;
    int64_t meta[META_LEN] = {0};
    meta[META_N] = s->t.n;
    meta[META_ACCOUNTS] = s->accounts.n;
    meta[META_CHANNELS] = s->channels.n;
    meta[META_LABELS] = s->labels.n;
    meta[META_CURRENCIES] = s->ncurrencies;
    meta[META_SOURCES] = r->nsources;
    meta[META_ROWS_READ] = r->rows_read;
    meta[META_ROWS_LOADED] = r->rows_loaded;
    meta[META_ROWS_REJECTED] = r->rows_rejected;
    meta[META_NREASONS] = FT_REJ_COUNT;
    meta[META_ROUNDED] = r->amounts_rounded;
    memcpy(&meta[META_REASONS], r->by_reason, sizeof r->by_reason);

    /* The id index goes in too, so that looking an id up on a snapshot
     * costs nothing at start-up. */
    ft_txid_map own = {0};
    const ft_txid_map *ids = &s->txids;
    if (!ids->nbuckets) {
        if ((rc = ft_txid_map_build(s, &own, err)) != FT_OK)
            return rc;
        ids = &own;
    }
    struct disk_currency *curs = calloc((size_t)s->ncurrencies + 1, sizeof *curs);
    struct disk_source *srcs = calloc((size_t)r->nsources + 1, sizeof *srcs);
    struct disk_source_notes *notes = calloc((size_t)r->nsources + 1, sizeof *notes);
    char *blob = NULL;
    size_t blen = 0, bcap = 0;
    bool oom = !curs || !srcs || !notes;
    ft_writer w = {.fd = -1};
    for (int i = 0; !oom && i < s->ncurrencies; i++) {
        /* the code and zeros: not the bytes after its end in memory, so
         * that the same data gives the same file */
        memcpy(curs[i].code, s->currencies[i].code,
               strnlen(s->currencies[i].code, sizeof curs[i].code));
        curs[i].exponent = s->currencies[i].exponent;
    }
    for (int i = 0; !oom && i < r->nsources; i++) {
        const ft_source *src = &r->sources[i];
        srcs[i].bytes = (int64_t)src->bytes;
        srcs[i].mtime = src->mtime;
        srcs[i].rows_read = src->rows_read;
        srcs[i].rows_loaded = src->rows_loaded;
        srcs[i].rows_rejected = src->rows_rejected;
        memcpy(srcs[i].sha256, src->sha256, 64);
        srcs[i].path_off = blob_add(&blob, &blen, &bcap, src->path, &oom);
        srcs[i].layout_off = blob_add(&blob, &blen, &bcap, src->layout ? src->layout : "", &oom);
        memcpy(notes[i].encoding, src->encoding, sizeof notes[i].encoding);
        notes[i].decimal_mark = src->decimal_mark;
        notes[i].decimal_from = src->decimal_from;
        notes[i].bad_text_lines = src->bad_text_lines;
        notes[i].first_bad_text_line = src->first_bad_text_line;
        notes[i].duplicates = src->duplicates;
        notes[i].merged = src->merged;
        notes[i].statements = src->statements;
    }
    if (oom) {
        rc = ft_error_oom(err);
        goto done;
    }
    const char *options = r->options ? r->options : "";

    struct section secs[MAX_SECTIONS];
    int n = 0;
    add(secs, &n, SEC_META, 8, META_LEN, meta);
    add(secs, &n, SEC_CURRENCIES, sizeof *curs, (uint64_t)s->ncurrencies, curs);
    add(secs, &n, SEC_SOURCES, sizeof *srcs, (uint64_t)r->nsources, srcs);
    add(secs, &n, SEC_SOURCE_STRINGS, 1, blen, blob);
    add(secs, &n, SEC_OPTIONS, 1, strlen(options), options);
    add_intern(secs, &n, SEC_ACC_POOL, &s->accounts);
    add_intern(secs, &n, SEC_CHAN_POOL, &s->channels);
    add_intern(secs, &n, SEC_LAB_POOL, &s->labels);
    add(secs, &n, SEC_STRINGS, 1, s->strings.len, s->strings.data);
    add(secs, &n, SEC_SOURCE_NOTES, sizeof *notes, (uint64_t)r->nsources, notes);
    add(secs, &n, SEC_DUPS, sizeof(ft_dup_record), (uint64_t)r->ndups, r->dups);
    add(secs, &n, SEC_TXID_OFF, 4, (uint64_t)ids->nbuckets + 1, ids->off);
    add(secs, &n, SEC_TXID_TXN, 4, (uint64_t)s->t.n, ids->txn);
    for (int c = 0; c < FT_COL_COUNT; c++) {
        const void *col = ft_store_col(s, (ft_col)c);
        if (col || c <= FT_COL_LINE) /* the required columns, even when empty */
            add(secs, &n, SEC_COL_BASE + (uint32_t)c, (uint32_t)ft_col_size((ft_col)c),
                (uint64_t)s->t.n, col);
    }

    /* The layout first (every offset and checksum), so that the file is
     * written front to back through the one atomic writer. */
    struct entry table[MAX_SECTIONS];
    struct header h = {0};
    uint64_t pos = HEADER_LEN;
    for (int i = 0; i < n; i++) {
        pos += (ALIGN - pos % ALIGN) % ALIGN;
        uint64_t size = secs[i].count * secs[i].elem_size;
        table[i] = (struct entry){secs[i].id, secs[i].elem_size, pos,
                                  size,       secs[i].count,     ft_xxh64(secs[i].data, size, 0),
                                  0};
        pos += size;
    }
    pos += (ALIGN - pos % ALIGN) % ALIGN;
    memcpy(h.magic, MAGIC, sizeof MAGIC);
    h.version = FT_SNAPSHOT_VERSION;
    h.bom = BOM;
    h.nsections = (uint32_t)n;
    h.table_off = pos;
    h.table_xxh = ft_xxh64(table, (size_t)n * sizeof table[0], 0);
    h.file_size = pos + (uint64_t)n * sizeof table[0];
    h.header_xxh = ft_xxh64(&h, offsetof(struct header, header_xxh), 0);

    write_progress prog = {progress, progress_ctx, 0, h.file_size};
    if ((rc = ft_writer_open(&w, path, false, err)) != FT_OK)
        goto done;
    if (progress)
        ft_writer_on_seen(&w, seen, &prog);
    ft_writer_put(&w, &h, sizeof h);
    pos = sizeof h;
    for (int i = 0; i < n; i++) {
        pad_to(&w, &pos);
        ft_writer_put(&w, secs[i].data, table[i].size);
        pos += table[i].size;
    }
    pad_to(&w, &pos);
    ft_writer_put(&w, table, (size_t)n * sizeof table[0]);
    rc = ft_writer_close(&w, err);
done:
    ft_writer_abort(&w);
    free(curs);
    free(srcs);
    free(notes);
    free(blob);
    ft_txid_map_free(&own);
    return rc;
}

/* --- reading ------------------------------------------------------------- */

bool ft_snapshot_is(const char *path)
{
    unsigned char m[8];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool is = read(fd, m, sizeof m) == (ssize_t)sizeof m && memcmp(m, MAGIC, sizeof m) == 0;
    close(fd);
    return is;
}

static const char *section_name(uint32_t id)
{
    static const char *const names[] = {
        [SEC_META] = "counts",
        [SEC_CURRENCIES] = "currencies",
        [SEC_SOURCES] = "input files",
        [SEC_SOURCE_STRINGS] = "input file names",
        [SEC_OPTIONS] = "load options",
        [SEC_ACC_POOL] = "account keys",
        [SEC_ACC_OFF] = "account index",
        [SEC_ACC_SLOTS] = "account hash table",
        [SEC_CHAN_POOL] = "channel names",
        [SEC_CHAN_OFF] = "channel index",
        [SEC_CHAN_SLOTS] = "channel hash table",
        [SEC_LAB_POOL] = "label names",
        [SEC_LAB_OFF] = "label index",
        [SEC_LAB_SLOTS] = "label hash table",
        [SEC_STRINGS] = "memos and ids",
        [SEC_SOURCE_NOTES] = "input file notes",
        [SEC_DUPS] = "duplicates and merges",
    };
    static const char *const cols[FT_COL_COUNT] = {
        "time column",
        "amount column",
        "source column",
        "destination column",
        "currency column",
        "line column",
        "file column",
        "channel column",
        "label column",
        "memo column",
        "id column",
        "received amount column",
        "received currency column",
        "value date column",
        "end-to-end id column",
        "counterparty name column",
        "statement side column",
    };
    if (id == SEC_TXID_OFF || id == SEC_TXID_TXN)
        return id == SEC_TXID_OFF ? "id index buckets" : "id index";
    if (id < sizeof names / sizeof names[0] && names[id])
        return names[id];
    if (id >= SEC_COL_BASE && id < SEC_COL_BASE + FT_COL_COUNT)
        return cols[id - SEC_COL_BASE];
    return "unknown";
}

struct reader {
    const char *path;
    const unsigned char *base;
    const struct entry *table;
    uint32_t nsections;
    ft_error *err;
};

static ft_status corrupt(const struct reader *rd, const char *what)
{
    return ft_error_set(rd->err, FT_ECORRUPT, "%s: damaged snapshot: %s", rd->path, what);
}

/* The section with `id`, checked for element size and count (count 0 in
 * `want_count` accepts any). NULL data for an empty section. */
static ft_status section(const struct reader *rd, uint32_t id, uint32_t elem, bool need,
                         uint64_t want_count, bool check_count, const void **data,
                         uint64_t *count)
{
    *data = NULL;
    if (count)
        *count = 0;
    for (uint32_t i = 0; i < rd->nsections; i++) {
        const struct entry *e = &rd->table[i];
        if (e->id != id)
            continue;
        if (e->elem_size != elem || (check_count && e->count != want_count))
            return corrupt(rd, "a section has the wrong size");
        *data = e->size ? rd->base + e->offset : NULL;
        if (count)
            *count = e->count;
        return FT_OK;
    }
    return need ? corrupt(rd, "a section is missing") : FT_OK;
}

/* True when `off` names a whole string inside the pool. */
static bool pool_ok(const ft_pool *p, uint64_t off)
{
    if (off == 0)
        return true;
    if (off >= p->len)
        return false;
    const unsigned char *r = (const unsigned char *)p->data + off, *end =
        (const unsigned char *)p->data + p->len;
    uint64_t v = 0;
    int shift = 0;
    for (;;) {
        if (r >= end || shift > 63)
            return false;
        unsigned char b = *r++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    return v < (uint64_t)(end - r) && r[v] == '\0';
}

static ft_status read_intern(const struct reader *rd, uint32_t base, uint64_t n, ft_intern *t)
{
    const void *pool, *off, *slots;
    uint64_t plen, nslots;
    ft_status rc;
    if ((rc = section(rd, base, 1, true, 0, false, &pool, &plen)) != FT_OK ||
        (rc = section(rd, base + 1, 8, true, n, true, &off, NULL)) != FT_OK ||
        (rc = section(rd, base + 2, 8, true, 0, false, &slots, &nslots)) != FT_OK)
        return rc;
    if (n > UINT32_MAX - 1 || (nslots & (nslots - 1)) || (n && nslots < 2 * n))
        return corrupt(rd, "a key table has the wrong size");
    t->pool.data = (char *)pool;
    t->pool.len = t->pool.cap = plen;
    t->pool.borrowed = true;
    t->off = (uint64_t *)off;
    t->n = t->cap = (uint32_t)n;
    t->slots = (uint64_t *)slots;
    t->nslots = nslots;
    t->borrowed = true;
    for (uint64_t i = 0; i < n; i++)
        if (!pool_ok(&t->pool, t->off[i]))
            return corrupt(rd, "a key lies outside its pool");
    for (uint64_t j = 0; j < nslots; j++) {
        uint64_t v = t->slots[j];
        if (v && ((uint32_t)v == 0 || (uint32_t)v > n))
            return corrupt(rd, "a hash slot names no key");
    }
    return FT_OK;
}

/* Ids and offsets in the columns stay inside their tables. */
static ft_status check_columns(const struct reader *rd, const ft_store *s)
{
    const ft_txns *t = &s->t;
    for (int64_t i = 0; i < t->n; i++) {
        if (t->src[i] >= s->accounts.n || t->dst[i] >= s->accounts.n ||
            t->cur[i] >= s->ncurrencies || (i && t->ts_ms[i] < t->ts_ms[i - 1]))
            return corrupt(rd, "a transaction refers outside its tables");
    }
    for (int64_t i = 0; t->file && i < t->n; i++)
        if (t->file[i] >= s->report.nsources)
            return corrupt(rd, "a transaction names no input file");
    for (int64_t i = 0; t->channel && i < t->n; i++)
        if (t->channel[i] > s->channels.n)
            return corrupt(rd, "a transaction names no channel");
    for (int64_t i = 0; t->label && i < t->n; i++)
        if (t->label[i] > s->labels.n)
            return corrupt(rd, "a transaction names no label");
    for (int64_t i = 0; t->cur_recv && i < t->n; i++)
        if (t->cur_recv[i] >= s->ncurrencies)
            return corrupt(rd, "a transaction names no currency");
    for (int64_t i = 0; t->memo && i < t->n; i++)
        if (!pool_ok(&s->strings, t->memo[i]))
            return corrupt(rd, "a memo lies outside its pool");
    for (int64_t i = 0; t->txid && i < t->n; i++)
        if (t->txid[i] < 0 && t->txid[i] != FT_TXID_DERIVED &&
            !pool_ok(&s->strings, (uint64_t)-t->txid[i]))
            return corrupt(rd, "a transaction id lies outside its pool");
    for (int64_t i = 0; t->e2e && i < t->n; i++)
        if (!pool_ok(&s->strings, t->e2e[i]))
            return corrupt(rd, "an end-to-end id lies outside its pool");
    for (int64_t i = 0; t->cp_name && i < t->n; i++)
        if (!pool_ok(&s->strings, t->cp_name[i]))
            return corrupt(rd, "a counterparty name lies outside its pool");
    for (int64_t i = 0; t->side && i < t->n; i++)
        if (t->side[i] > FT_SIDE_BOTH)
            return corrupt(rd, "a transaction has an unknown statement side");
    if ((t->amount_recv == NULL) != (t->cur_recv == NULL))
        return corrupt(rd, "the received amounts lack their currencies");
    return FT_OK;
}

/* The id index, when the file has one: buckets in order, every
 * transaction number inside the table. Without it the store builds its
 * own on first use. */
static ft_status read_txids(const struct reader *rd, ft_store *s)
{
    const void *off, *txn;
    uint64_t noff, ntxn;
    ft_status rc;
    if ((rc = section(rd, SEC_TXID_OFF, 4, false, 0, false, &off, &noff)) != FT_OK ||
        (rc = section(rd, SEC_TXID_TXN, 4, false, 0, false, &txn, &ntxn)) != FT_OK)
        return rc;
    if (!off)
        return FT_OK;
    uint64_t nb = noff - 1;
    const uint32_t *o = off, *t = txn;
    if (noff < 2 || (nb & (nb - 1)) || nb > UINT32_MAX || ntxn != (uint64_t)s->t.n || o[0] != 0 ||
        o[nb] != ntxn)
        return corrupt(rd, "the id index has the wrong size");
    for (uint64_t b = 0; b < nb; b++) {
        if (o[b] > o[b + 1])
            return corrupt(rd, "the id index is out of order");
        for (uint32_t k = o[b]; k < o[b + 1]; k++)
            if (t[k] >= ntxn || (k > o[b] && t[k] <= t[k - 1]))
                return corrupt(rd, "the id index is out of order");
    }
    s->txids = (ft_txid_map){(uint32_t)nb, (uint32_t *)off, (uint32_t *)txn, true};
    return FT_OK;
}

static ft_status read_small(const struct reader *rd, ft_store *s, const int64_t *meta)
{
    ft_status rc;
    const void *p, *blob;
    uint64_t blen;
    if ((rc = section(rd, SEC_CURRENCIES, sizeof(struct disk_currency), true,
                      (uint64_t)meta[META_CURRENCIES], true, &p, NULL)) != FT_OK)
        return rc;
    if (meta[META_CURRENCIES] < 0 || meta[META_CURRENCIES] > FT_MAX_SMALL_ID ||
        meta[META_SOURCES] < 0 || meta[META_SOURCES] > FT_MAX_SMALL_ID)
        return corrupt(rd, "bad table counts");
    s->ncurrencies = s->cur_cap = (int)meta[META_CURRENCIES];
    s->currencies = calloc((size_t)s->ncurrencies + 1, sizeof *s->currencies);
    if (!s->currencies)
        return ft_error_oom(rd->err);
    const struct disk_currency *dc = p;
    for (int i = 0; i < s->ncurrencies; i++) {
        if (memchr(dc[i].code, '\0', sizeof dc[i].code) == NULL || dc[i].exponent < 0 ||
            dc[i].exponent > FT_MONEY_MAX_EXPONENT)
            return corrupt(rd, "a currency record is invalid");
        memcpy(s->currencies[i].code, dc[i].code, sizeof dc[i].code);
        s->currencies[i].exponent = dc[i].exponent;
    }
    if ((rc = section(rd, SEC_SOURCE_STRINGS, 1, true, 0, false, &blob, &blen)) != FT_OK ||
        (rc = section(rd, SEC_SOURCES, sizeof(struct disk_source), true,
                      (uint64_t)meta[META_SOURCES], true, &p, NULL)) != FT_OK)
        return rc;
    if (blen && ((const char *)blob)[blen - 1] != '\0')
        return corrupt(rd, "the file names are not terminated");
    ft_load_report *r = &s->report;
    r->sources = calloc((size_t)meta[META_SOURCES] + 1, sizeof *r->sources);
    if (!r->sources)
        return ft_error_oom(rd->err);
    r->cap = (int)meta[META_SOURCES] + 1;
    const struct disk_source *ds = p;
    for (int i = 0; i < meta[META_SOURCES]; i++) {
        if (ds[i].path_off >= blen || ds[i].layout_off >= blen)
            return corrupt(rd, "a file name lies outside its section");
        ft_source *src = &r->sources[i];
        src->path = strdup((const char *)blob + ds[i].path_off);
        src->layout = strdup((const char *)blob + ds[i].layout_off);
        r->nsources = i + 1;
        if (!src->path || !src->layout)
            return ft_error_oom(rd->err);
        src->bytes = (uint64_t)ds[i].bytes;
        src->mtime = ds[i].mtime;
        src->rows_read = ds[i].rows_read;
        src->rows_loaded = ds[i].rows_loaded;
        src->rows_rejected = ds[i].rows_rejected;
        memcpy(src->sha256, ds[i].sha256, 64);
        src->sha256[64] = '\0';
    }
    if ((rc = section(rd, SEC_OPTIONS, 1, true, 0, false, &p, &blen)) != FT_OK)
        return rc;
    r->options = strndup(p ? p : "", (size_t)blen);
    if (!r->options)
        return ft_error_oom(rd->err);
    r->rows_read = meta[META_ROWS_READ];
    r->rows_loaded = meta[META_ROWS_LOADED];
    r->rows_rejected = meta[META_ROWS_REJECTED];
    r->amounts_rounded = meta[META_ROUNDED];
    memcpy(r->by_reason, &meta[META_REASONS], (size_t)meta[META_NREASONS] * sizeof(int64_t));
    /* Version 2: notes per file, and the duplicates and merges. */
    if ((rc = section(rd, SEC_SOURCE_NOTES, sizeof(struct disk_source_notes), false,
                      (uint64_t)meta[META_SOURCES], true, &p, NULL)) != FT_OK)
        return rc;
    const struct disk_source_notes *dn = p;
    for (int i = 0; dn && i < meta[META_SOURCES]; i++) {
        ft_source *src = &r->sources[i];
        if (memchr(dn[i].encoding, '\0', sizeof dn[i].encoding) == NULL)
            return corrupt(rd, "an input file note is invalid");
        memcpy(src->encoding, dn[i].encoding, sizeof src->encoding);
        src->decimal_mark = dn[i].decimal_mark;
        src->decimal_from = dn[i].decimal_from;
        src->bad_text_lines = dn[i].bad_text_lines;
        src->first_bad_text_line = dn[i].first_bad_text_line;
        src->duplicates = dn[i].duplicates;
        src->merged = dn[i].merged;
        src->statements = dn[i].statements;
    }
    uint64_t ndups;
    if ((rc = section(rd, SEC_DUPS, sizeof(ft_dup_record), false, 0, false, &p, &ndups)) != FT_OK)
        return rc;
    if (ndups) {
        const ft_dup_record *d = p;
        r->dups = malloc((size_t)ndups * sizeof *r->dups);
        if (!r->dups)
            return ft_error_oom(rd->err);
        r->dups_cap = r->ndups = (int64_t)ndups;
        for (uint64_t i = 0; i < ndups; i++) {
            if ((d[i].kind != FT_DUP_COPY && d[i].kind != FT_DUP_MERGE) ||
                d[i].kept_file >= meta[META_SOURCES] || d[i].other_file >= meta[META_SOURCES])
                return corrupt(rd, "a duplicate record names no input file");
            r->dups[i] = d[i];
            if (d[i].kind == FT_DUP_COPY)
                r->duplicates++;
            else
                r->merges++;
        }
    }
    return FT_OK;
}

static ft_status map_store(ft_store *s, const struct reader *rd)
{
    ft_status rc;
    const void *p;
    uint64_t plen;
    uint64_t nmeta;
    if ((rc = section(rd, SEC_META, 8, true, 0, false, &p, &nmeta)) != FT_OK)
        return rc;
    const int64_t *meta = p;
    /* Version 1 knew fewer reject reasons; later ones count zero there. */
    if (nmeta <= META_REASONS || meta[META_NREASONS] < 1 || meta[META_NREASONS] > FT_REJ_COUNT ||
        nmeta != (uint64_t)(META_REASONS + meta[META_NREASONS]))
        return corrupt(rd, "the counts section has the wrong size");
    if (meta[META_N] < 0 || meta[META_N] > FT_MAX_TXNS || meta[META_ACCOUNTS] < 0 ||
        meta[META_CHANNELS] < 0 || meta[META_LABELS] < 0)
        return corrupt(rd, "bad table counts");
    if ((rc = read_small(rd, s, meta)) != FT_OK ||
        (rc = read_intern(rd, SEC_ACC_POOL, (uint64_t)meta[META_ACCOUNTS], &s->accounts)) ||
        (rc = read_intern(rd, SEC_CHAN_POOL, (uint64_t)meta[META_CHANNELS], &s->channels)) ||
        (rc = read_intern(rd, SEC_LAB_POOL, (uint64_t)meta[META_LABELS], &s->labels)))
        return rc;
    if ((rc = section(rd, SEC_STRINGS, 1, true, 0, false, &p, &plen)) != FT_OK)
        return rc;
    s->strings.data = (char *)p;
    s->strings.len = s->strings.cap = plen;
    s->strings.borrowed = true;
    s->t.n = s->t.cap = meta[META_N];
    for (int c = 0; c < FT_COL_COUNT; c++) {
        bool required = c <= FT_COL_LINE;
        if ((rc = section(rd, SEC_COL_BASE + (uint32_t)c, (uint32_t)ft_col_size((ft_col)c),
                          required, (uint64_t)s->t.n, true, &p, NULL)) != FT_OK)
            return rc;
        switch ((ft_col)c) {
        case FT_COL_TS: s->t.ts_ms = (int64_t *)p; break;
        case FT_COL_AMOUNT: s->t.amount = (int64_t *)p; break;
        case FT_COL_SRC: s->t.src = (uint32_t *)p; break;
        case FT_COL_DST: s->t.dst = (uint32_t *)p; break;
        case FT_COL_CUR: s->t.cur = (uint16_t *)p; break;
        case FT_COL_LINE: s->t.line = (uint32_t *)p; break;
        case FT_COL_FILE: s->t.file = (uint16_t *)p; break;
        case FT_COL_CHANNEL: s->t.channel = (uint16_t *)p; break;
        case FT_COL_LABEL: s->t.label = (uint32_t *)p; break;
        case FT_COL_MEMO: s->t.memo = (uint64_t *)p; break;
        case FT_COL_TXID: s->t.txid = (int64_t *)p; break;
        case FT_COL_AMOUNT_RECV: s->t.amount_recv = (int64_t *)p; break;
        case FT_COL_CUR_RECV: s->t.cur_recv = (uint16_t *)p; break;
        case FT_COL_VALUE_MS:
            s->t.value_ms = (int64_t *)p;
            break;
        case FT_COL_E2E:
            s->t.e2e = (uint64_t *)p;
            break;
        case FT_COL_CP_NAME:
            s->t.cp_name = (uint64_t *)p;
            break;
        case FT_COL_SIDE:
            s->t.side = (uint8_t *)p;
            break;
        case FT_COL_COUNT: break;
        }
    }
    s->sorted = true;
    if ((rc = check_columns(rd, s)) != FT_OK)
        return rc;
    return read_txids(rd, s);
}

ft_status ft_snapshot_read(ft_store *s, const char *path, ft_error *err)
{
    ft_status rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ft_error_errno(err, FT_EIO, "open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = ft_error_errno(err, FT_EIO, "stat", path);
        close(fd);
        return rc;
    }
    struct reader rd = {.path = path, .err = err};
    if (st.st_size < HEADER_LEN) {
        close(fd);
        return corrupt(&rd, "shorter than a snapshot header (truncated?)");
    }
    size_t len = (size_t)st.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return ft_error_errno(err, FT_EIO, "map", path);
    rd.base = map;
    struct header h;
    memcpy(&h, map, sizeof h);
    if (memcmp(h.magic, MAGIC, sizeof MAGIC) != 0) {
        rc = ft_error_set(err, FT_ECORRUPT, "%s: not a fundtrace snapshot", path);
        goto fail;
    }
    if (h.bom != BOM) {
        rc = ft_error_set(err, FT_ECORRUPT, "%s: snapshot written on a machine of the other byte "
                          "order; load the CSV files here instead", path);
        goto fail;
    }
    if (h.header_xxh != ft_xxh64(&h, offsetof(struct header, header_xxh), 0)) {
        rc = corrupt(&rd, "header checksum mismatch");
        goto fail;
    }
    if (h.version != FT_SNAPSHOT_VERSION && h.version != 1) {
        rc = ft_error_set(err, FT_ECORRUPT,
                          "%s: snapshot format version %" PRIu32 ", this fundtrace reads version "
                          "%d: load the CSV files again",
                          path, h.version, FT_SNAPSHOT_VERSION);
        goto fail;
    }
    if (h.file_size != len) {
        rc = ft_error_set(err, FT_ECORRUPT,
                          "%s: damaged snapshot: %zu bytes, the header says %" PRIu64
                          " (truncated or appended to)",
                          path, len, h.file_size);
        goto fail;
    }
    if (h.nsections > MAX_SECTIONS || h.table_off % 8 || h.table_off < HEADER_LEN ||
        h.table_off > len || (uint64_t)h.nsections * ENTRY_LEN > len - h.table_off) {
        rc = corrupt(&rd, "section table out of bounds");
        goto fail;
    }
    rd.table = (const struct entry *)((const unsigned char *)map + h.table_off);
    rd.nsections = h.nsections;
    if (h.table_xxh != ft_xxh64(rd.table, (size_t)h.nsections * ENTRY_LEN, 0)) {
        rc = corrupt(&rd, "section table checksum mismatch");
        goto fail;
    }
    if (h.table_off + (uint64_t)h.nsections * ENTRY_LEN != len) {
        rc = corrupt(&rd, "the section table does not end the file");
        goto fail;
    }
    /* Sections follow each other in the order written, each 64-byte
     * aligned, from the header to the table; the padding between them must
     * be zeros. So every byte of the file is under a checksum or checked. */
    uint64_t expect = HEADER_LEN;
    for (uint32_t i = 0; i < h.nsections; i++) {
        const struct entry *e = &rd.table[i];
        uint64_t bytes;
        if (e->offset != expect || e->size > h.table_off - e->offset || e->elem_size == 0 ||
            __builtin_mul_overflow(e->count, (uint64_t)e->elem_size, &bytes) || bytes != e->size) {
            rc = corrupt(&rd, "a section lies outside the file");
            goto fail;
        }
        uint64_t end = e->offset + e->size;
        expect = (end + ALIGN - 1) / ALIGN * ALIGN;
        if (expect > h.table_off) {
            rc = corrupt(&rd, "a section lies outside the file");
            goto fail;
        }
        for (uint64_t k = end; k < expect; k++) {
            if (((const unsigned char *)map)[k] != 0) {
                rc = corrupt(&rd, "non-zero padding between sections");
                goto fail;
            }
        }
        if (e->xxh != ft_xxh64((const unsigned char *)map + e->offset, e->size, 0)) {
            char what[96];
            snprintf(what, sizeof what, "checksum mismatch in section %" PRIu32 " (%s)", e->id,
                     section_name(e->id));
            rc = corrupt(&rd, what);
            goto fail;
        }
    }
    if (expect != h.table_off) {
        rc = corrupt(&rd, "a gap before the section table");
        goto fail;
    }
    s->map = map;
    s->map_len = len;
    if ((rc = map_store(s, &rd)) != FT_OK) {
        ft_store_free(s);
        return rc;
    }
    return FT_OK;
fail:
    munmap(map, len);
    return rc;
}
