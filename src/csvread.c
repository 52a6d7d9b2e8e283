/*
 * csvread.c - the tokenising thread: input, gzip, libcsv, batches.
 *
 * One reader thread fills batches; the consumer takes them in order. Three
 * batches circulate (one being filled, one queued, one being consumed), so
 * memory stays bounded whatever the input size. A batch is handed over only
 * between rows, so a row never straddles two batches.
 */
#include "fundtrace/csvread.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fundtrace/hash.h"
#include "fundtrace/pool.h"

#define CHUNK                ((size_t)1 << 20)
#define BATCH_ROWS           16384
#define BATCH_BYTES          ((size_t)4 << 20)
#define LIBCSV_ROW_NOT_BEGUN 0 /* libcsv's pstate between rows */
#define LIBCSV_FIELD_BEGUN   2 /* libcsv's pstate inside a field */

/* --- input: plain or gzip, file, stdin or memory ---------------------------- */

struct input {
    const char *path;
    int fd; /* -1 when reading memory */
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    unsigned char *raw, *out;  /* read buffer, inflate buffer */
    const unsigned char *rp;   /* current raw bytes (raw or mem) */
    size_t rlen;
    bool raw_eof, gz, z_live, member_done, first, nohash;
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
    if (!in->nohash)
        ft_sha256_update(&in->sha, in->rp, in->rlen);
    in->bytes += in->rlen;
    return FT_OK;
}

/* `cont`: a slice of an input whose start is elsewhere: neither gzip
 * nor hashed here. */
static ft_status input_open(struct input *in, const char *path, int fd, const void *mem,
                            size_t mem_len, bool cont, ft_error *err)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->fd = fd;
    in->mem = mem;
    in->mem_len = mem_len;
    in->first = true;
    in->nohash = cont;
    ft_status rc = ft_sha256_init(&in->sha, err);
    if (rc != FT_OK)
        return rc;
    if (fd >= 0 && !(in->raw = malloc(CHUNK)))
        return ft_error_oom(err);
    if ((rc = input_fill(in, err)) != FT_OK)
        return rc;
    if (!cont && in->rlen >= 2 && in->rp[0] == 0x1f && in->rp[1] == 0x8b) {
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
        if (in->first)
            in->first = false;
        else if (!in->raw_eof && (rc = input_fill(in, err)) != FT_OK)
            return rc;
        *p = in->rp;
        *len = in->raw_eof ? 0 : in->rlen;
        return FT_OK;
    }
    for (;;) {
        if (in->z.avail_in == 0 && !in->raw_eof) {
            if ((rc = input_fill(in, err)) != FT_OK)
                return rc;
            in->z.next_in = (unsigned char *)in->rp;
            in->z.avail_in = (uInt)in->rlen;
        }
        if (in->z.avail_in == 0 && in->raw_eof) {
            if (!in->member_done)
                return ft_error_set(err, FT_EIO,
                                    "%s: gzip data ends unexpectedly (truncated file?)", in->path);
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

static void input_close(struct input *in)
{
    ft_sha256_free(&in->sha);
    if (in->z_live)
        inflateEnd(&in->z);
    free(in->raw);
    free(in->out);
}

/* --- batches ----------------------------------------------------------------- */

static void batch_reset(ft_csv_batch *b)
{
    b->nrows = 0;
    b->fused = 0;
    b->nfields = 0;
    b->rawused = 0;
}

static void batch_free(ft_csv_batch *b)
{
    free(b->rows);
    free(b->fbuf);
    free(b->foff);
    free(b->flen);
    free(b->fline);
    free(b->raw);
    free(b->user);
    memset(b, 0, sizeof *b);
}

int64_t ft_csv_field_line(const ft_csv_batch *b, const ft_csv_row *r, int col)
{
    if (col < 0 || (uint32_t)col >= r->nf || r->end_line == r->line)
        return r->end_line;
    size_t len;
    const char *f = ft_csv_field(b, r, col, &len), *end = f + len;
    int64_t breaks = 0;
    while ((f = memchr(f, '\n', (size_t)(end - f))) != NULL) {
        breaks++;
        f++;
    }
    return b->fline[r->field0 + (uint32_t)col] - breaks;
}

/* --- the reader ---------------------------------------------------------------- */

struct slice {
    /* The reader thread's own state. */
    struct input in;
    const char *path;
    char delim;
    struct csv_parser p;
    bool parser_live;
    int64_t line;     /* line of the bytes being fed */
    int64_t row_line; /* first line of the current row */
    bool in_row;
    /* A malformed quote on a one-line row waits for the end of its line,
     * so that the bad row carries the whole line. */
    bool skipping;
    int64_t skip_line, skip_col;
    size_t row_raw, row_fused; /* where the current row starts in the batch */
    uint32_t row_field;
    char *replay; /* lines to read again */
    size_t replay_len, replay_pos;
    ft_csv_batch *b; /* being filled */
    ft_csv_prepare_fn prepare;
    void *prepare_ctx;
    ft_status rc;
    ft_error err;
    /* Transcoding and the UTF-8 check, on the bytes as they come in. */
    const char *encoding; /* as asked for, NULL for UTF-8 */
    iconv_t cd;
    bool cd_live;
    char *tbuf; /* transcoded bytes */
    size_t tcap;
    unsigned char carry[8]; /* a character cut at the end of a chunk */
    size_t ncarry;
    uint32_t utf8_state;
    bool line_bad;
    ft_csv_text text;
    /* A slice of a larger input (the parallel reader's): where its bytes
     * are in the slice, so that a row left open at its end can be read
     * again by the next slice from its first byte. */
    bool cont;           /* not the input's start: no gzip, BOM or delimiter guess */
    bool more;           /* the input goes on after the slice */
    uint64_t check_from; /* the UTF-8 check starts at this offset */
    uint64_t fresh_off;  /* offset of the fresh bytes being fed */
    uint64_t replay_off; /* offset of replay[0] */
    uint64_t piece_off;  /* offset of the piece being fed */
    uint64_t row_off;    /* offset of the current row's first byte */
    bool open_row;       /* the slice ended inside a row (row_off, row_line) */
    void *(*fork)(void *ctx, bool force); /* the parallel reader's; may be NULL */
    void *forked;
    /* Shared with the consumer, under mu. */
    pthread_t thread;
    bool thread_live;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pool *pool; /* NULL: three batches circulate; else as many as the slice needs */
    ft_csv_batch **all, **full, **spare;
    int nall, full_head, nfull, nspare;
    bool done;
    atomic_bool stop;
    ft_csv_batch *held; /* the batch the consumer has */
};

/* Spare batches of a parallel reader's slices: a slice that closes leaves
 * its batches here for the next, so their buffers are reused. */
struct pool {
    pthread_mutex_t mu;
    ft_csv_batch **v;
    int n, cap;
};

/* A new batch for r, from its pool when it has one; NULL when out of
 * memory. Grows r's lists to hold it. */
static ft_csv_batch *new_batch(struct slice *r)
{
    ft_csv_batch *b = NULL;
    if (r->pool) {
        pthread_mutex_lock(&r->pool->mu);
        if (r->pool->n)
            b = r->pool->v[--r->pool->n];
        pthread_mutex_unlock(&r->pool->mu);
    }
    if (!b && !(b = calloc(1, sizeof *b)))
        return NULL;
    ft_csv_batch ***lists[3] = {&r->all, &r->full, &r->spare};
    for (int i = 0; i < 3; i++) {
        ft_csv_batch **v = realloc(*lists[i], (size_t)(r->nall + 1) * sizeof *v);
        if (!v) {
            batch_free(b);
            free(b);
            return NULL;
        }
        *lists[i] = v;
    }
    r->all[r->nall++] = b;
    batch_reset(b);
    return b;
}

static void fail(struct slice *r, ft_status rc)
{
    if (r->rc == FT_OK)
        r->rc = rc;
}

/* Hands the batch being filled to the consumer and takes a spare one. */
static void push(struct slice *r)
{
    if (r->prepare)
        r->prepare(r->prepare_ctx, r->b);
    if (r->fork && !r->forked)
        r->forked = r->fork(r->prepare_ctx, false);
    pthread_mutex_lock(&r->mu);
    r->full[(r->full_head + r->nfull) % r->nall] = r->b;
    r->nfull++;
    pthread_cond_broadcast(&r->cv);
    while (r->nspare == 0 && !r->pool && !atomic_load(&r->stop))
        pthread_cond_wait(&r->cv, &r->mu);
    r->b = r->nspare ? r->spare[--r->nspare] : NULL;
    bool grow = !r->b && r->pool && !atomic_load(&r->stop);
    pthread_mutex_unlock(&r->mu);
    if (grow) {
        /* The consumer only reads the lists under mu, and while it holds
         * no batch of the ring being resized it cannot index it. */
        pthread_mutex_lock(&r->mu);
        r->b = new_batch(r);
        /* The ring of full batches is re-laid for the new size. */
        if (r->b && r->nfull) {
            ft_csv_batch **tmp = r->spare;
            for (int i = 0; i < r->nfull; i++)
                tmp[i] = r->full[(r->full_head + i) % (r->nall - 1)];
            memcpy(r->full, tmp, (size_t)r->nfull * sizeof *tmp);
            r->full_head = 0;
        }
        pthread_mutex_unlock(&r->mu);
        if (!r->b)
            fail(r, ft_error_oom(&r->err));
    }
    if (r->b)
        batch_reset(r->b);
}

static ft_csv_row *new_row(struct slice *r)
{
    ft_csv_batch *b = r->b;
    if (b->nrows == b->rows_cap) {
        uint32_t cap = b->rows_cap ? b->rows_cap * 2 : 1024;
        ft_csv_row *p = realloc(b->rows, cap * sizeof *p);
        if (!p) {
            fail(r, ft_error_oom(&r->err));
            return NULL;
        }
        b->rows = p;
        b->rows_cap = cap;
    }
    return &b->rows[b->nrows++];
}

/* Makes room for `more` fields of `len` bytes in all; false after
 * recording the failure. */
static bool grow_fields(struct slice *r, uint32_t more, size_t len)
{
    ft_csv_batch *b = r->b;
    if (b->nfields + more > b->fields_cap) {
        uint32_t cap = b->fields_cap ? b->fields_cap * 2 : 16384;
        while (cap < b->nfields + more)
            cap *= 2;
        size_t *o = realloc(b->foff, cap * sizeof *o);
        if (o)
            b->foff = o;
        size_t *l = realloc(b->flen, cap * sizeof *l);
        if (l)
            b->flen = l;
        int64_t *ln = realloc(b->fline, cap * sizeof *ln);
        if (ln)
            b->fline = ln;
        if (!o || !l || !ln) {
            fail(r, ft_error_oom(&r->err));
            return false;
        }
        b->fields_cap = cap;
    }
    ft_status rc = ft_bytes_reserve(&b->fbuf, &b->fcap, b->fused + len + 1, &r->err);
    if (rc != FT_OK) {
        fail(r, rc);
        return false;
    }
    return true;
}

/* libcsv's field callback: the hottest function of a load, hence the
 * inline fast path. */
static void cb_field(void *data, size_t len, void *ctx)
{
    struct slice *r = ctx;
    ft_csv_batch *b = r->b;
    if (__builtin_expect(b->nfields == b->fields_cap || b->fused + len + 1 > b->fcap, 0) &&
        !grow_fields(r, 1, len))
        return;
    if (r->rc != FT_OK)
        return;
    char *dst = b->fbuf + b->fused;
    memcpy(dst, data, len);
    dst[len] = '\0';
    uint32_t n = b->nfields++;
    b->foff[n] = b->fused;
    b->flen[n] = len;
    b->fline[n] = r->line;
    b->fused += len + 1;
}

static void cb_row(int c, void *ctx)
{
    (void)c;
    struct slice *r = ctx;
    ft_csv_batch *b = r->b;
    if (r->rc != FT_OK)
        return;
    ft_csv_row *row = new_row(r);
    if (!row)
        return;
    *row = (ft_csv_row){FT_CSV_ROW,
                        r->row_line,
                        r->line,
                        0,
                        r->row_field,
                        b->nfields - r->row_field,
                        r->row_raw,
                        b->rawused - r->row_raw,
                        memchr(b->raw + r->row_raw, '\0', b->rawused - r->row_raw) != NULL};
    /* Another row could start in the same piece (a bare CR line end). */
    r->row_field = b->nfields;
    r->row_fused = b->fused;
    r->row_raw = b->rawused;
}

static void bad_row(struct slice *r, ft_csv_kind kind, int64_t line, int64_t col, size_t raw_len)
{
    ft_csv_row *row = new_row(r);
    if (row)
        *row = (ft_csv_row){kind, line, r->line, col, r->b->nfields, 0, r->row_raw, raw_len, false};
}

static ft_status parser_start(struct slice *r)
{
    if (r->parser_live)
        csv_free(&r->p);
    if (csv_init(&r->p, CSV_STRICT) != 0)
        return ft_error_oom(&r->err);
    csv_set_delim(&r->p, (unsigned char)r->delim);
    /* libcsv grows its field buffer by a fixed block; 64 KiB keeps a long
     * field from costing a realloc per 128 bytes. */
    csv_set_blk_size(&r->p, (size_t)1 << 16);
    r->parser_live = true;
    return FT_OK;
}

/* Drops the fields of the row in progress. */
static void drop_row_fields(struct slice *r)
{
    r->b->nfields = r->row_field;
    r->b->fused = r->row_fused;
}

/* Makes `n` bytes at `s` the next to feed, ahead of any replay pending. */
static void schedule_replay(struct slice *r, const char *s, size_t n)
{
    size_t pending = r->replay_len - r->replay_pos;
    char *buf = malloc(n + pending + 1);
    if (!buf)
        {
        fail(r, ft_error_oom(&r->err));
        return;
    }
    memcpy(buf, s, n);
    if (pending)
        memcpy(buf + n, r->replay + r->replay_pos, pending);
    /* The bytes are the rest of the current row, which the pending ones
     * follow in the input. */
    r->replay_off = r->row_off + (uint64_t)(s - (r->b->raw + r->row_raw));
    free(r->replay);
    r->replay = buf;
    r->replay_len = n + pending;
    r->replay_pos = 0;
}

/* A row spanning several lines went wrong: most likely its first line
 * opened a quote by mistake and swallowed the lines after it. Report the
 * first line only and read the others again. */
static void reject_first_line(struct slice *r, ft_csv_kind kind, int64_t col)
{
    ft_csv_batch *b = r->b;
    const char *raw = b->raw + r->row_raw;
    size_t len = b->rawused - r->row_raw;
    const char *nl = memchr(raw, '\n', len);
    size_t first = nl ? (size_t)(nl - raw) + 1 : len;
    schedule_replay(r, raw + first, len - first);
    drop_row_fields(r);
    b->rawused = r->row_raw + first;
    bad_row(r, kind, r->row_line, col, first);
    r->line = r->row_line + 1;
    r->in_row = false;
    r->skipping = false;
    ft_status rc = parser_start(r);
    if (rc != FT_OK)
        fail(r, rc);
}

/* Feeds one physical line (or the part of it this chunk holds). */
/* A line without quotes that libcsv, strict, would read as one row (or
 * none): split at the delimiter, spaces and tabs trimmed around each
 * field as libcsv trims unquoted fields. The line ends in LF, CRLF
 * included; a bare CR inside it (a row end of its own) goes to libcsv.
 * Most lines of most files are such lines, and this is several times
 * faster than libcsv's state machine, byte by byte. */
static bool plain_line(const unsigned char *s, size_t n)
{
    if (n < 2 || memchr(s, '"', n))
        return false;
    const unsigned char *cr = memchr(s, '\r', n);
    return !cr || cr == s + n - 2;
}

static bool trimmed(unsigned char c, char delim)
{
    return (c == ' ' || c == '\t') && c != (unsigned char)delim;
}

static void split_plain(struct slice *r, const unsigned char *s, size_t n)
{
    size_t end = n - 1 - (s[n - 2] == '\r');
    size_t i = 0;
    while (i < end && trimmed(s[i], r->delim))
        i++;
    if (i == end)
        return; /* a blank line: libcsv makes no row of it */
    unsigned char d = (unsigned char)r->delim;
    for (;;) {
        const unsigned char *e = memchr(s + i, d, end - i);
        size_t fe = e ? (size_t)(e - s) : end, fs = i;
        while (fs < fe && trimmed(s[fs], r->delim))
            fs++;
        size_t le = fe;
        while (le > fs && trimmed(s[le - 1], r->delim))
            le--;
        cb_field((void *)(s + fs), le - fs, r);
        if (!e)
            break;
        i = fe + 1;
    }
    cb_row('\n', r);
}

static void feed_piece(struct slice *r, const unsigned char *s, size_t n, bool ends_line)
{
    ft_csv_batch *b = r->b;
    if (!r->in_row && !r->skipping) {
        r->row_line = r->line;
        r->row_raw = b->rawused;
        r->row_field = b->nfields;
        r->row_fused = b->fused;
        r->row_off = r->piece_off;
    }
    ft_status rc = ft_bytes_reserve(&b->raw, &b->rawcap, b->rawused + n, &r->err);
    if (rc != FT_OK)
        {
        fail(r, rc);
        return;
    }
    memcpy(b->raw + b->rawused, s, n);
    b->rawused += n;
    if (!r->in_row && !r->skipping && ends_line && plain_line(s, n)) {
        split_plain(r, s, n);
        if (r->rc != FT_OK)
            return;
    } else if (!r->skipping) {
        size_t done = csv_parse(&r->p, s, n, cb_field, cb_row, r);
        if (r->rc != FT_OK)
            return;
        if (done < n) {
            if (csv_error(&r->p) != CSV_EPARSE)
                {
        fail(r, ft_error_set(&r->err, FT_ENOMEM, "%s:%" PRId64 ": %s", r->path,
                                            r->line, csv_strerror(csv_error(&r->p))));
        return;
    }
            int64_t col = (int64_t)(b->nfields - r->row_field) + 1;
            if (r->row_line < r->line)
                {
                reject_first_line(r, FT_CSV_BAD_QUOTES, col);
                return;
            }
            drop_row_fields(r);
            r->skipping = true;
            r->skip_line = r->line;
            r->skip_col = col;
            if ((rc = parser_start(r)) != FT_OK)
                {
        fail(r, rc);
        return;
    }
        }
    }
    if (r->skipping && ends_line) {
        bad_row(r, FT_CSV_BAD_QUOTES, r->skip_line, r->skip_col, b->rawused - r->row_raw);
        r->skipping = false;
        r->in_row = false;
    } else {
        r->in_row = r->p.pstate != LIBCSV_ROW_NOT_BEGUN || r->skipping;
    }
    if (ends_line)
        r->line++;
    if (!r->in_row && (b->nrows >= BATCH_ROWS || b->rawused >= BATCH_BYTES))
        push(r);
}

/* The fast path: whole plain lines (as plain_line and split_plain
 * read them) straight from the input, with one scan of each line that
 * finds its end, its delimiters, and any quote or stray CR (which send
 * the line to feed_piece). The line is copied once into the raw bytes
 * and once into the field bytes, whose delimiters become the fields'
 * NULs. Returns the offset of the first byte it did not take. */
#define FAST_FIELDS 256

static size_t scan_line(const unsigned char *s, size_t left, unsigned char d, uint32_t *dp,
                        uint32_t *nd, bool *special, bool *nul)
{
    uint32_t n = 0;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i vd = _mm_set1_epi8((char)d), vn = _mm_set1_epi8('\n'), vq = _mm_set1_epi8('"'),
                  vr = _mm_set1_epi8('\r'), vz = _mm_setzero_si128();
    uint32_t mz = 0;
    for (; i + 16 <= left; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        uint32_t mn = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vn));
        uint32_t md = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vd));
        uint32_t mq =
            (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vr)));
        uint32_t before = mn ? (mn & (0u - mn)) - 1 : 0xFFFFu;
        md &= before;
        mq &= before;
        mz |= (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vz)) & before;
        if (__builtin_expect(mq != 0, 0)) {
            /* A CR is allowed right before the line's LF only. */
            for (uint32_t m = mq; m; m &= m - 1) {
                size_t at = i + (size_t)__builtin_ctz(m);
                if (s[at] == '"' || at + 1 >= left || s[at + 1] != '\n') {
                    *special = true;
                    return 0;
                }
            }
        }
        if (__builtin_expect(n + 16 > FAST_FIELDS - 1, 0)) { /* (no popcnt in baseline x86-64) */
            *special = true;
            return 0;
        }
        for (; md; md &= md - 1)
            dp[n++] = (uint32_t)(i + (size_t)__builtin_ctz(md));
        if (mn) {
            *nd = n;
            *nul = mz != 0;
            return i + (size_t)__builtin_ctz(mn) + 1;
        }
    }
    *nul = mz != 0;
#endif
    for (; i < left; i++) {
        unsigned char c = s[i];
        if (c == '\n') {
            *nd = n;
            return i + 1;
        }
        *nul |= c == '\0';
        if (c == d) {
            if (n == FAST_FIELDS - 1) {
                *special = true;
                return 0;
            }
            dp[n++] = (uint32_t)i;
        } else if (c == '"' || (c == '\r' && (i + 1 >= left || s[i + 1] != '\n'))) {
            *special = true;
            return 0;
        }
    }
    return 0; /* no line end */
}

static size_t fast_lines(struct slice *r, const unsigned char *p, size_t pos, size_t len)
{
    uint32_t dp[FAST_FIELDS];
    const unsigned char d = (unsigned char)r->delim;
    while (pos < len) {
        const unsigned char *s = p + pos;
        uint32_t nd = 0;
        bool special = false, nul = false;
        size_t n = scan_line(s, len - pos, d, dp, &nd, &special, &nul);
        if (n < 2 || special || (size_t)(uint32_t)n != n)
            return pos;
        size_t end = n - 1 - (s[n - 2] == '\r');
        if (end == 0 || trimmed(s[0], r->delim)) {
            /* A blank line (libcsv makes no row of it) is feed_piece's. */
            size_t i = 0;
            while (i < end && trimmed(s[i], r->delim))
                i++;
            if (i == end)
                return pos;
        }
        ft_csv_batch *b = r->b;
        if (__builtin_expect(b->nfields + nd + 1 > b->fields_cap || b->fused + n + 1 > b->fcap,
                             0) &&
            !grow_fields(r, nd + 1, n + 1))
            return len;
        if (ft_bytes_reserve(&b->raw, &b->rawcap, b->rawused + n, &r->err) != FT_OK) {
            fail(r, FT_ENOMEM);
            return len;
        }
        r->row_line = r->line;
        r->row_raw = b->rawused;
        r->row_field = b->nfields;
        r->row_fused = b->fused;
        r->row_off = r->fresh_off + pos;
        memcpy(b->raw + b->rawused, s, n);
        b->rawused += n;
        char *f = b->fbuf + b->fused;
        memcpy(f, s, end);
        dp[nd] = (uint32_t)end;
        uint32_t nf = b->nfields;
        size_t fs = 0;
        for (uint32_t k = 0; k <= nd; k++) {
            size_t fe = dp[k], a = fs, e = fe;
            if (__builtin_expect(a < e && (trimmed((unsigned char)f[a], r->delim) ||
                                           trimmed((unsigned char)f[e - 1], r->delim)),
                                 0)) {
                while (a < e && trimmed((unsigned char)f[a], r->delim))
                    a++;
                while (e > a && trimmed((unsigned char)f[e - 1], r->delim))
                    e--;
            }
            f[e] = '\0';
            b->foff[nf + k] = b->fused + a;
            b->flen[nf + k] = e - a; /* no fline: the row is on one line */
            fs = fe + 1;
        }
        b->nfields = nf + nd + 1;
        b->fused += end + 1;
        ft_csv_row *row = new_row(r);
        if (!row)
            return len;
        *row = (ft_csv_row){FT_CSV_ROW, r->line, r->line, 0, nf, nd + 1, r->row_raw, n, nul};
        r->row_field = b->nfields;
        r->row_fused = b->fused;
        r->row_raw = b->rawused;
        r->line++;
        pos += n;
        if (b->nrows >= BATCH_ROWS || b->rawused >= BATCH_BYTES) {
            push(r);
            if (!r->b)
                return len;
        }
    }
    return pos;
}

/* Feeds bytes line by line; bytes scheduled for replay go first. */
static void feed(struct slice *r, const unsigned char *p, size_t len)
{
    size_t pos = 0;
    for (;;) {
        while (r->rc == FT_OK && r->b && r->replay_pos < r->replay_len) {
            const unsigned char *s = (const unsigned char *)r->replay + r->replay_pos;
            size_t left = r->replay_len - r->replay_pos;
            const unsigned char *nl = memchr(s, '\n', left);
            size_t n = nl ? (size_t)(nl - s) + 1 : left;
            r->piece_off = r->replay_off + r->replay_pos;
            r->replay_pos += n;
            feed_piece(r, s, n, nl != NULL);
        }
        if (pos >= len || r->rc != FT_OK || !r->b)
            return;
        if (!r->in_row && !r->skipping) {
            pos = fast_lines(r, p, pos, len);
            if (pos >= len || r->rc != FT_OK || !r->b)
                return;
        }
        const unsigned char *nl = memchr(p + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - p) + 1 : len;
        r->piece_off = r->fresh_off + pos;
        feed_piece(r, p + pos, end - pos, nl != NULL);
        pos = end;
    }
}

/* At the end of input: finish the last row, or recover from a quoted field
 * that never closed. */
static void finish(struct slice *r)
{
    while (r->rc == FT_OK && r->b) {
        if (r->skipping) {
            bad_row(r, FT_CSV_BAD_QUOTES, r->skip_line, r->skip_col, r->b->rawused - r->row_raw);
            r->skipping = false;
            continue;
        }
        if (!(r->p.pstate == LIBCSV_FIELD_BEGUN && r->p.quoted)) {
            csv_fini(&r->p, cb_field, cb_row, r);
            return;
        }
        reject_first_line(r, FT_CSV_UNTERMINATED, (int64_t)(r->b->nfields - r->row_field) + 1);
        feed(r, NULL, 0);
    }
}

bool ft_utf8_valid(const unsigned char *s, size_t len, uint32_t *state)
{
    uint32_t st = *state;
    bool ok = true;
    size_t i = 0;
    while (i < len) {
        if (st == 0) {
            /* ASCII 32, then eight bytes at a time: most text is. */
            while (i + 32 <= len) {
                uint64_t w[4];
                memcpy(w, s + i, 32);
                if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL)
                    break;
                i += 32;
            }
            while (i + 8 <= len) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ULL)
                    break;
                i += 8;
            }
            if (i >= len)
                break;
            unsigned char c = s[i++];
            if (c < 0x80)
                continue;
            /* need | lowest second byte << 8 | highest << 16 */
            if (c >= 0xC2 && c <= 0xDF)
                st = 1 | 0x80u << 8 | 0xBFu << 16;
            else if (c == 0xE0)
                st = 2 | 0xA0u << 8 | 0xBFu << 16;
            else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
                st = 2 | 0x80u << 8 | 0xBFu << 16;
            else if (c == 0xED)
                st = 2 | 0x80u << 8 | 0x9Fu << 16;
            else if (c == 0xF0)
                st = 3 | 0x90u << 8 | 0xBFu << 16;
            else if (c >= 0xF1 && c <= 0xF3)
                st = 3 | 0x80u << 8 | 0xBFu << 16;
            else if (c == 0xF4)
                st = 3 | 0x80u << 8 | 0x8Fu << 16;
            else
                ok = false;
        } else {
            unsigned char c = s[i];
            if (c < ((st >> 8) & 0xff) || c > ((st >> 16) & 0xff)) {
                ok = false; /* c is looked at again as a first byte */
                st = 0;
                continue;
            }
            i++;
            uint32_t need = (st & 0xff) - 1;
            st = need ? need | 0x80u << 8 | 0xBFu << 16 : 0;
        }
    }
    *state = st;
    return ok;
}

/* iconv's name for one of ours, or the name as given. */
static const char *iconv_name(const char *name)
{
    static const struct {
        const char *ours, *theirs;
    } names[] = {
        {"cp1252", "CP1252"},
        {"windows-1252", "CP1252"},
        {"latin1", "ISO-8859-1"},
        {"latin-1", "ISO-8859-1"},
        {"iso-8859-1", "ISO-8859-1"},
        {"latin9", "ISO-8859-15"},
        {"iso-8859-15", "ISO-8859-15"},
        {"utf-16", "UTF-16LE"},
        {"utf16", "UTF-16LE"},
        {"utf-16le", "UTF-16LE"},
        {"utf-16be", "UTF-16BE"},
        {"utf-8", "UTF-8"},
        {"utf8", "UTF-8"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].ours) == 0)
            return names[i].theirs;
    return name;
}

ft_status ft_csv_encoding_check(const char *name, ft_error *err)
{
    iconv_t cd = iconv_open("UTF-8", iconv_name(name));
    if (cd == (iconv_t)-1)
        return ft_error_set(err, FT_EUSAGE,
                            "--encoding '%s' is not an encoding iconv knows (cp1252, latin1, "
                            "latin9, utf-16, utf-16le, utf-16be, utf-8, ...)",
                            name);
    iconv_close(cd);
    return FT_OK;
}

static bool is_utf16(const char *name)
{
    return strncasecmp(iconv_name(name), "UTF-16", 6) == 0;
}

/* Starts transcoding from `from` (iconv's name); false after recording
 * the failure. */
static bool transcode_start(struct slice *r, const char *from, const char *shown)
{
    r->cd = iconv_open("UTF-8", from);
    if (r->cd == (iconv_t)-1) {
        fail(r, ft_csv_encoding_check(shown, &r->err));
        return false;
    }
    r->cd_live = true;
    snprintf(r->text.encoding, sizeof r->text.encoding, "%s", shown);
    return true;
}

/* Transcodes a chunk (the bytes held back from the last one first).
 * Bytes that are not in the encoding become 0xFF, which no UTF-8 holds,
 * so the UTF-8 check counts their lines; at the end of the input
 * (len 0) a held-back piece does too. */
static bool transcode(struct slice *r, const unsigned char **p, size_t *len)
{
    size_t inlen = r->ncarry + *len;
    size_t need = inlen * 4 + 16;
    if (ft_bytes_reserve(&r->tbuf, &r->tcap, need, &r->err) != FT_OK) {
        fail(r, FT_ENOMEM);
        return false;
    }
    char *joined = malloc(inlen ? inlen : 1);
    if (!joined) {
        fail(r, ft_error_oom(&r->err));
        return false;
    }
    memcpy(joined, r->carry, r->ncarry);
    if (*len)
        memcpy(joined + r->ncarry, *p, *len);
    bool at_end = *len == 0;
    r->ncarry = 0;
    char *in = joined, *out = r->tbuf;
    size_t inleft = inlen, outleft = need;
    while (inleft) {
        size_t rc = iconv(r->cd, &in, &inleft, &out, &outleft);
        if (rc != (size_t)-1)
            break;
        if (errno == EINVAL && !at_end && inleft < sizeof r->carry) {
            memcpy(r->carry, in, inleft);
            r->ncarry = inleft;
            break;
        }
        /* EILSEQ, or a cut character at the very end. */
        *out++ = (char)0xFF;
        outleft--;
        in++;
        inleft--;
    }
    free(joined);
    *p = (const unsigned char *)r->tbuf;
    *len = (size_t)(out - r->tbuf);
    return true;
}

/* The UTF-8 check, on fresh bytes only (lines read again after a bad
 * quote are not counted twice). A valid chunk costs one pass; only a
 * chunk with a bad byte is looked at line by line, numbered from r->line,
 * the line its first byte belongs to (no replay is pending between
 * chunks). */
static void check_text(struct slice *r, const unsigned char *p, size_t len, int64_t line)
{
    uint32_t st = r->utf8_state;
    if (!r->line_bad && ft_utf8_valid(p, len, &st)) {
        r->utf8_state = st;
        return;
    }
    while (len) {
        const unsigned char *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t)(nl - p) + 1 : len;
        if (!ft_utf8_valid(p, n, &r->utf8_state))
            r->line_bad = true;
        if (nl) {
            if (r->line_bad || r->utf8_state) {
                if (r->text.bad_lines++ == 0)
                    r->text.first_bad = line;
            }
            line++;
            r->line_bad = false;
            r->utf8_state = 0;
        }
        p += n;
        len -= n;
    }
}

/* The delimiter of the first line: the most frequent of , ; TAB | outside
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

/* On the first chunk: a byte-order mark says UTF-8 or UTF-16; an
 * encoding asked for starts iconv. Moves *p past the mark. */
static bool start_text(struct slice *r, const unsigned char **p, size_t *len)
{
    const unsigned char *u = *p;
    bool le = *len >= 2 && u[0] == 0xFF && u[1] == 0xFE,
         be = *len >= 2 && u[0] == 0xFE && u[1] == 0xFF;
    if ((le || be) && (!r->encoding || is_utf16(r->encoding))) {
        *p += 2;
        *len -= 2;
        return transcode_start(r, le ? "UTF-16LE" : "UTF-16BE", le ? "utf-16le" : "utf-16be");
    }
    if (*len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        *p += 3;
        *len -= 3;
    }
    if (r->encoding && strcasecmp(iconv_name(r->encoding), "UTF-8") != 0)
        return transcode_start(r, iconv_name(r->encoding), r->encoding);
    return true;
}

/* Newlines in p[0 .. n): eight bytes at a time, exactly (no borrow
 * between bytes), summed in byte lanes that cannot overflow in 255
 * words. */
static uint64_t count_lines(const unsigned char *p, size_t n)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL, nl = 0x0A0A0A0A0A0A0A0AULL;
    uint64_t c = 0;
    size_t i = 0;
#ifdef __SSE2__
    /* Sixteen bytes a step, counted in byte lanes (at most 255 steps)
     * summed by psadbw. */
    const __m128i nlv = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i acc = zero;
        for (int k = 0; k < 255 && i + 16 <= n; k++, i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), nlv));
        __m128i sad = _mm_sad_epu8(acc, zero);
        c += (uint64_t)_mm_cvtsi128_si64(sad) +
             (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sad, sad));
    }
#endif
    while (i + 8 <= n) {
        uint64_t lanes = 0;
        for (int k = 0; k < 255 && i + 8 <= n; k++, i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            w ^= nl;
            lanes += (~(((w & lo7) + lo7) | w | lo7)) >> 7;
        }
        c += (lanes * 0x0101010101010101ULL) >> 56;
    }
    for (; i < n; i++)
        c += p[i] == '\n';
    return c;
}

static void *reader_main(void *arg)
{
    struct slice *r = arg;
    const unsigned char *p = NULL;
    size_t len = 0;
    bool first = true;
    uint64_t consumed = 0;
    ft_status rc;
    while (!atomic_load(&r->stop) && (rc = input_next(&r->in, &p, &len, &r->err)) == FT_OK &&
           (len > 0 || r->ncarry)) {
        const unsigned char *p0 = p;
        uint64_t at = consumed;
        consumed += len;
        if (first && !r->cont && !start_text(r, &p, &len))
            break;
        r->fresh_off = at + (uint64_t)(p - p0);
        if (r->cd_live && !transcode(r, &p, &len))
            break;
        if (first) {
            first = false;
            if (!r->delim)
                r->delim = sniff_delimiter(p, len);
            if ((rc = parser_start(r)) != FT_OK) {
                fail(r, rc);
                break;
            }
        }
        uint64_t skip = r->check_from > r->fresh_off ? r->check_from - r->fresh_off : 0;
        if (skip < len)
            check_text(r, p + skip, len - skip, r->line + (int64_t)count_lines(p, skip));
        feed(r, p, len);
        if (r->rc != FT_OK || !r->b)
            break;
    }
    if (rc != FT_OK)
        fail(r, rc);
    if (r->line_bad || r->utf8_state) /* a last line without a line end */
        if (r->text.bad_lines++ == 0)
            r->text.first_bad = r->line;
    if (r->rc == FT_OK && !first && r->b && !atomic_load(&r->stop)) {
        if (r->more)
            r->open_row = r->in_row || r->skipping;
        else
            finish(r);
    }
    if (r->b && r->b->nrows && r->prepare)
        r->prepare(r->prepare_ctx, r->b);
    void *forked = r->fork && !r->forked ? r->fork(r->prepare_ctx, false) : NULL;
    pthread_mutex_lock(&r->mu);
    if (forked)
        r->forked = forked;
    if (r->b && r->b->nrows) {
        r->full[(r->full_head + r->nfull) % r->nall] = r->b;
        r->nfull++;
        r->b = NULL;
    }
    r->done = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* What a slice reads and how. */
struct slice_conf {
    const char *path;
    int fd; /* or mem, len */
    const void *mem;
    size_t len;
    char delim;
    const char *encoding;
    ft_csv_prepare_fn prepare;
    void *ctx;
    int64_t line0;
    bool cont, more;
    uint64_t check_from;
    struct pool *pool;
    void *(*fork)(void *ctx, bool force);
};

static ft_status slice_open(struct slice **out, const struct slice_conf *c, ft_error *err)
{
    struct slice *r = calloc(1, sizeof *r);
    *out = r;
    if (!r)
        return ft_error_oom(err);
    r->path = c->path;
    r->delim = c->delim;
    r->prepare = c->prepare;
    r->prepare_ctx = c->ctx;
    r->line = c->line0;
    r->encoding = c->encoding;
    r->cont = c->cont;
    r->more = c->more;
    r->check_from = c->check_from;
    r->pool = c->pool;
    r->fork = c->fork;
    snprintf(r->text.encoding, sizeof r->text.encoding, "utf-8");
    r->text.encoding_given = c->encoding != NULL;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    atomic_init(&r->stop, false);
    for (int i = 0; i < (r->pool ? 1 : 3); i++) {
        ft_csv_batch *b = new_batch(r);
        if (!b)
            return ft_error_oom(err);
        if (i)
            r->spare[r->nspare++] = b;
        else
            r->b = b;
    }
    ft_status rc = input_open(&r->in, c->path, c->fd, c->mem, c->len, c->cont, err);
    if (rc != FT_OK)
        return rc;
    if (pthread_create(&r->thread, NULL, reader_main, r) != 0)
        return ft_error_set(err, FT_ENOMEM, "cannot start a reader thread for '%s'", c->path);
    r->thread_live = true;
    return FT_OK;
}

static const ft_csv_batch *slice_next(struct slice *r)
{
    if (!r->thread_live)
        return NULL;
    pthread_mutex_lock(&r->mu);
    if (r->held) {
        r->spare[r->nspare++] = r->held;
        r->held = NULL;
        pthread_cond_broadcast(&r->cv);
    }
    while (r->nfull == 0 && !r->done)
        pthread_cond_wait(&r->cv, &r->mu);
    if (r->nfull) {
        r->held = r->full[r->full_head];
        r->full_head = (r->full_head + 1) % r->nall;
        r->nfull--;
    }
    pthread_mutex_unlock(&r->mu);
    return r->held;
}

static void slice_stop(struct slice *r)
{
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->stop, true);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Stops and waits for the slice's thread; its status after. */
static ft_status slice_join(struct slice *r)
{
    if (r->thread_live) {
        slice_stop(r);
        pthread_join(r->thread, NULL);
        r->thread_live = false;
    }
    return r->rc;
}

/* Frees a joined slice; its batches go to its pool, if it has one. */
static void slice_free(struct slice *r)
{
    if (!r)
        return;
    input_close(&r->in);
    if (r->cd_live)
        iconv_close(r->cd);
    free(r->tbuf);
    if (r->parser_live)
        csv_free(&r->p);
    free(r->replay);
    struct pool *pool = r->pool;
    if (pool) {
        pthread_mutex_lock(&pool->mu);
        ft_csv_batch **v = realloc(pool->v, (size_t)(pool->n + r->nall) * sizeof *v);
        if (v) {
            pool->v = v;
            for (int i = 0; i < r->nall; i++)
                pool->v[pool->n++] = r->all[i];
            r->nall = 0;
        }
        pthread_mutex_unlock(&pool->mu);
    }
    for (int i = 0; i < r->nall; i++) {
        batch_free(r->all[i]);
        free(r->all[i]);
    }
    free(r->all);
    free(r->full);
    free(r->spare);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

/* --- the reader: one slice, or a mapped file in slices on several threads ---------- */

#define SLICE ((uint64_t)8 << 20) /* the default slice */

struct seg {
    uint64_t start, end; /* bytes [start, end) of the file */
    uint64_t check_from; /* from start */
    int64_t line;        /* of the byte at start */
    struct slice *s;
    void *ctx;
};

struct ft_csv_reader {
    struct slice *one; /* a reader of one slice: the whole input */
    /* A mapped file in slices. */
    const char *path;
    const unsigned char *map;
    size_t len;
    struct seg *seg;
    int nseg, cur, threads;
    uint64_t slice; /* bytes */
    char delim;
    struct pool pool;
    ft_csv_prepare_fn prepare;
    void *ctx0, *tmpl;
    ft_csv_parallel par;
    pthread_t hasher;
    bool hasher_live;
    /* Pages both the hasher and the slices are done with are given back
     * (a private file mapping's pages would count as resident). */
    pthread_mutex_t rel_mu;
    uint64_t hashed, parsed, released;
    char sha256[65];
    ft_sha256 sha;
    ft_csv_text text;
    ft_status rc;
    ft_error err;
};

ft_status ft_csv_open(ft_csv_reader **out, const char *path, int fd, const void *mem, size_t len,
                      char delimiter, ft_csv_prepare_fn prepare, void *prepare_ctx, ft_error *err)
{
    return ft_csv_open_encoded(out, path, fd, mem, len, delimiter, NULL, prepare, prepare_ctx, err);
}

ft_status ft_csv_open_encoded(ft_csv_reader **out, const char *path, int fd, const void *mem,
                              size_t len, char delimiter, const char *encoding,
                              ft_csv_prepare_fn prepare, void *prepare_ctx, ft_error *err)
{
    ft_csv_reader *R = calloc(1, sizeof *R);
    *out = R;
    if (!R)
        return ft_error_oom(err);
    struct slice_conf c = {.path = path,
                           .fd = fd,
                           .mem = mem,
                           .len = len,
                           .delim = delimiter,
                           .encoding = encoding,
                           .prepare = prepare,
                           .ctx = prepare_ctx,
                           .line0 = 1};
    return slice_open(&R->one, &c, err);
}

/* Gives back the pages before `at` once the other side (the hasher or
 * the slices) is past them too. */
static void release(ft_csv_reader *R, uint64_t *mine, uint64_t at)
{
    pthread_mutex_lock(&R->rel_mu);
    *mine = at;
    uint64_t lo = R->hashed < R->parsed ? R->hashed : R->parsed;
    lo &= ~(uint64_t)0xFFFFF; /* whole MiB: page-aligned */
    if (lo > R->released) {
        madvise((void *)(R->map + R->released), lo - R->released, MADV_DONTNEED);
        R->released = lo;
    }
    pthread_mutex_unlock(&R->rel_mu);
}

static void *hash_main(void *arg)
{
    ft_csv_reader *R = arg;
    for (uint64_t at = 0; at < R->len;) {
        uint64_t n = R->len - at < R->slice ? R->len - at : R->slice;
        ft_sha256_update(&R->sha, R->map + at, n);
        at += n;
        release(R, &R->hashed, at);
    }
    ft_sha256_final(&R->sha, R->sha256);
    return NULL;
}

struct line_job {
    ft_csv_reader *R;
    int from, to;
    pthread_t t;
};

/* Lines at the start of each slice of [from, to), from 0. */
static void *line_main(void *arg)
{
    struct line_job *j = arg;
    for (int i = j->from; i < j->to; i++) {
        struct seg *g = &j->R->seg[i];
        g->line = (int64_t)count_lines(j->R->map + g->start, g->end - g->start);
    }
    return NULL;
}

/* Cuts the map into slices that end at line ends and numbers their
 * first lines, counting on the reader's threads. */
static ft_status plan(ft_csv_reader *R, ft_error *err)
{
    int cap = (int)(R->len / R->slice) + 1;
    if (!(R->seg = calloc((size_t)cap, sizeof *R->seg)))
        return ft_error_oom(err);
    uint64_t at = 0;
    while (at < R->len && R->nseg < cap) {
        struct seg *g = &R->seg[R->nseg++];
        g->start = at;
        uint64_t want = at + R->slice;
        const unsigned char *nl = want < R->len ? memchr(R->map + want, '\n', R->len - want) : NULL;
        at = nl ? (uint64_t)(nl - R->map) + 1 : R->len;
        if (R->nseg == cap)
            at = R->len;
        g->end = at;
    }
    int nj = R->threads < R->nseg ? R->threads : R->nseg;
    struct line_job jobs[64];
    bool live[64] = {false};
    if (nj > 64)
        nj = 64;
    for (int k = 0; k < nj; k++)
        jobs[k] = (struct line_job){.R = R, .from = R->nseg * k / nj, .to = R->nseg * (k + 1) / nj};
    for (int k = 1; k < nj; k++)
        live[k] = pthread_create(&jobs[k].t, NULL, line_main, &jobs[k]) == 0;
    for (int k = 0; k < nj; k++)
        if (!live[k])
            line_main(&jobs[k]);
    for (int k = 1; k < nj; k++)
        if (live[k])
            pthread_join(jobs[k].t, NULL);
    int64_t line = 1;
    for (int i = 0; i < R->nseg; i++) {
        int64_t n = R->seg[i].line;
        R->seg[i].line = line;
        line += n;
    }
    return FT_OK;
}

/* Starts the slices that may run now: the one being consumed and those
 * after it, one per thread, once the prepare context can be forked. */
static ft_status start_more(ft_csv_reader *R)
{
    for (int k = R->cur; k < R->nseg && k < R->cur + R->threads; k++) {
        struct seg *g = &R->seg[k];
        if (g->s)
            continue;
        if (k > 0 && R->prepare && !R->tmpl)
            return FT_OK;
        g->ctx = k == 0 || !R->prepare ? R->ctx0 : R->par.fork(R->tmpl, true);
        if (!g->ctx && k > 0 && R->prepare)
            return ft_error_oom(&R->err);
        struct slice_conf c = {.path = R->path,
                               .fd = -1,
                               .mem = R->map + g->start,
                               .len = g->end - g->start,
                               .delim = R->delim,
                               .prepare = R->prepare,
                               .ctx = g->ctx,
                               .line0 = g->line,
                               .cont = k > 0,
                               .more = k + 1 < R->nseg,
                               .check_from = g->check_from,
                               .pool = &R->pool,
                               .fork = k == 0 && R->prepare ? R->par.fork : NULL};
        ft_status rc = slice_open(&g->s, &c, &R->err);
        if (rc != FT_OK)
            return rc;
    }
    return FT_OK;
}

static void seg_drop(ft_csv_reader *R, struct seg *g)
{
    if (g->s) {
        slice_join(g->s);
        slice_free(g->s);
        g->s = NULL;
    }
    if (g->ctx && g->ctx != R->ctx0 && R->par.drop)
        R->par.drop(g->ctx);
    g->ctx = NULL;
}

ft_status ft_csv_open_file(ft_csv_reader **out, const char *path, int fd, char delimiter,
                           const char *encoding, ft_csv_prepare_fn prepare, void *prepare_ctx,
                           const ft_csv_parallel *par, ft_error *err)
{
    struct stat st;
    bool utf8 = !encoding || strcasecmp(iconv_name(encoding), "UTF-8") == 0;
    uint64_t slice = par && par->slice_bytes ? par->slice_bytes : SLICE;
    if (!par || par->threads <= 1 || !utf8 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < 2 * slice)
        return ft_csv_open_encoded(out, path, fd, NULL, 0, delimiter, encoding, prepare,
                                   prepare_ctx, err);
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        return ft_csv_open_encoded(out, path, fd, NULL, 0, delimiter, encoding, prepare,
                                   prepare_ctx, err);
    const unsigned char *m = map;
    if ((m[0] == 0x1f && m[1] == 0x8b) || (m[0] == 0xFF && m[1] == 0xFE) ||
        (m[0] == 0xFE && m[1] == 0xFF)) {
        /* gzip and UTF-16 are read as a stream. */
        munmap(map, (size_t)st.st_size);
        return ft_csv_open_encoded(out, path, fd, NULL, 0, delimiter, encoding, prepare,
                                   prepare_ctx, err);
    }
    madvise(map, (size_t)st.st_size, MADV_WILLNEED);
    ft_csv_reader *R = calloc(1, sizeof *R);
    *out = R;
    if (!R) {
        munmap(map, (size_t)st.st_size);
        return ft_error_oom(err);
    }
    R->path = path;
    R->map = m;
    R->len = (size_t)st.st_size;
    R->threads = par->threads;
    R->slice = slice;
    R->par = *par;
    R->prepare = prepare;
    R->ctx0 = prepare_ctx;
    pthread_mutex_init(&R->pool.mu, NULL);
    pthread_mutex_init(&R->rel_mu, NULL);
    snprintf(R->text.encoding, sizeof R->text.encoding, "utf-8");
    R->text.encoding_given = encoding != NULL;
    /* The delimiter as the first slice would guess it: from the first
     * read's bytes past a UTF-8 byte-order mark. */
    R->delim = delimiter;
    if (!R->delim) {
        size_t bom = m[0] == 0xEF && m[1] == 0xBB && m[2] == 0xBF ? 3 : 0;
        size_t n = R->len < CHUNK ? R->len : CHUNK;
        R->delim = sniff_delimiter(m + bom, n - bom);
    }
    ft_status rc = ft_sha256_init(&R->sha, err);
    if (rc != FT_OK)
        return rc;
    if (pthread_create(&R->hasher, NULL, hash_main, R) != 0)
        return ft_error_set(err, FT_ENOMEM, "cannot start a thread for '%s'", path);
    R->hasher_live = true;
    if ((rc = plan(R, err)) != FT_OK)
        return rc;
    if ((rc = start_more(R)) != FT_OK && err)
        *err = R->err;
    return rc;
}

/* The slice being consumed has ended: its text is counted, and when it
 * ended inside a row the next slice starts again at that row. */
static ft_status seg_done(ft_csv_reader *R)
{
    struct seg *g = &R->seg[R->cur];
    ft_status rc = slice_join(g->s);
    if (rc != FT_OK) {
        R->err = g->s->err;
        return rc;
    }
    const ft_csv_text *t = &g->s->text;
    if (t->bad_lines && R->text.bad_lines == 0)
        R->text.first_bad = t->first_bad;
    R->text.bad_lines += t->bad_lines;
    if (R->cur == 0 && R->prepare && !R->tmpl) {
        /* The first slice is done, and with it its context. */
        pthread_mutex_lock(&g->s->mu);
        R->tmpl = g->s->forked;
        pthread_mutex_unlock(&g->s->mu);
        if (!R->tmpl && !(R->tmpl = R->par.fork(R->ctx0, true)))
            return ft_error_oom(&R->err);
    }
    if (g->s->open_row && R->cur + 1 < R->nseg) {
        struct seg *n = &R->seg[R->cur + 1];
        seg_drop(R, n);
        uint64_t at = g->start + g->s->row_off;
        n->check_from += n->start - at;
        n->start = at;
        n->line = g->s->row_line;
    }
    /* The next slice may start earlier than g ended. */
    uint64_t done = R->cur + 1 < R->nseg ? R->seg[R->cur + 1].start : R->len;
    seg_drop(R, g);
    release(R, &R->parsed, done);
    R->cur++;
    return start_more(R);
}

const ft_csv_batch *ft_csv_next(ft_csv_reader *R)
{
    if (R->one)
        return slice_next(R->one);
    while (R->rc == FT_OK && R->cur < R->nseg) {
        struct seg *g = &R->seg[R->cur];
        const ft_csv_batch *b = slice_next(g->s);
        if (R->cur == 0 && R->prepare && !R->tmpl) {
            pthread_mutex_lock(&g->s->mu);
            R->tmpl = g->s->forked;
            pthread_mutex_unlock(&g->s->mu);
            if (R->tmpl && (R->rc = start_more(R)) != FT_OK)
                return NULL;
        }
        if (b)
            return b;
        R->rc = seg_done(R);
    }
    return NULL;
}

void ft_csv_text_info(const ft_csv_reader *R, ft_csv_text *out)
{
    *out = R->one ? R->one->text : R->text;
}

void ft_csv_stop(ft_csv_reader *R)
{
    if (R->one) {
        slice_stop(R->one);
        return;
    }
    for (int k = R->cur; k < R->nseg; k++)
        if (R->seg[k].s)
            slice_stop(R->seg[k].s);
}

ft_status ft_csv_close(ft_csv_reader *R, uint64_t *bytes, char sha256[65], ft_error *err)
{
    if (!R)
        return FT_OK;
    ft_status rc = FT_OK;
    if (R->one) {
        struct slice *r = R->one;
        rc = slice_join(r);
        if (rc != FT_OK && err)
            *err = r->err;
        if (bytes)
            *bytes = r->in.bytes;
        if (sha256) {
            sha256[0] = '\0';
            if (rc == FT_OK)
                ft_sha256_final(&r->in.sha, sha256);
        }
        slice_free(r);
        free(R);
        return rc;
    }
    if (!R->map) {
        free(R);
        return FT_OK;
    }
    rc = R->rc;
    if (rc != FT_OK && err)
        *err = R->err;
    for (int k = 0; k < R->nseg; k++)
        seg_drop(R, &R->seg[k]);
    if (R->tmpl && R->par.drop)
        R->par.drop(R->tmpl);
    if (R->hasher_live)
        pthread_join(R->hasher, NULL);
    else
        ft_sha256_free(&R->sha);
    if (bytes)
        *bytes = R->len;
    if (sha256)
        snprintf(sha256, 65, "%s", rc == FT_OK && R->hasher_live ? R->sha256 : "");
    for (int i = 0; i < R->pool.n; i++) {
        batch_free(R->pool.v[i]);
        free(R->pool.v[i]);
    }
    free(R->pool.v);
    pthread_mutex_destroy(&R->pool.mu);
    pthread_mutex_destroy(&R->rel_mu);
    free(R->seg);
    munmap((void *)R->map, R->len);
    free(R);
    return rc;
}
