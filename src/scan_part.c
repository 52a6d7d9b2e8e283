/*
 * scan_part.c - a scan shard's part as text (scan.h), for `fundtrace
 * merge`: what the shard's detectors found, by transaction and account
 * number in the data both runs map, so that the merge finishes it exactly
 * as one run would.
 *
 *   data ID
 *   alert KIND SCORE TXNS ACCOUNTS EXPLANATION PARAMS
 *   bip RECEIVERS SENDER NRECV FIRST_MS LAST_MS TXNS
 *   end ALERTS BIPS
 *
 * Fields are separated by tabs; SCORE is the float's bits in hex (exact);
 * TXNS and ACCOUNTS are numbers separated by spaces; texts are escaped
 * (ft_shard_escape).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/shard.h"
#include "scan_int.h"

static void write_list(FILE *f, const uint32_t *v, size_t n)
{
    fputc('\t', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, i ? " %" PRIu32 : "%" PRIu32, v[i]);
}

ft_status ft_scan_part_write(FILE *f, const ft_store *s, const ft_scan_part *part, ft_error *err)
{
    const ft_alerts *a = &part->found;
    fprintf(f, "data\t%016" PRIx64 "\n", ft_shard_data_id(s));
    for (uint32_t i = 0; i < a->n; i++) {
        const ft_alert *al = &a->v[i];
        uint32_t bits;
        memcpy(&bits, &al->score, sizeof bits);
        fprintf(f, "alert\t%u\t%08" PRIx32, (unsigned)al->kind, bits);
        write_list(f, a->txns + al->txn0, al->ntxn);
        write_list(f, a->accts + al->acc0, al->nacc);
        const char *expl = a->text + al->text;
        size_t elen = strlen(expl);
        fputc('\t', f);
        ft_shard_escape(f, expl, elen);
        fputc('\t', f);
        ft_shard_escape(f, expl + elen + 1, strlen(expl + elen + 1));
        fputc('\n', f);
    }
    for (size_t i = 0; i < part->nbip; i++) {
        const bip_rec *r = &part->bip[i];
        fprintf(f, "bip\t%016" PRIx64 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRId64 "\t%" PRId64,
                r->receivers, r->sender, r->nrecv, r->first_ms, r->last_ms);
        write_list(f, part->bip_txns + r->txn0, r->ntxn);
        fputc('\n', f);
    }
    fprintf(f, "end\t%" PRIu32 "\t%zu\n", a->n, part->nbip);
    if (fflush(f) != 0 || ferror(f))
        return ft_error_errno(err, FT_EIO, "write", "the part");
    return FT_OK;
}

/* --- reading ------------------------------------------------------------------------- */

typedef struct reader {
    const char *path;
    int64_t *line;
    const ft_store *s;
    ft_error *err;
    uint32_t *list; /* the last list read */
    uint32_t nlist, cap_list;
} reader;

static ft_status bad(reader *r, const char *what)
{
    return ft_error_set(r->err, FT_EINPUT,
                        "%s:%" PRId64 ": %s (not a scan part as --shard writes it)", r->path,
                        *r->line, what);
}

/* Splits line at tabs into at most max fields; their number. */
static int split(char *line, char **field, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        field[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

static bool parse_u64(const char *s, int base, uint64_t max, uint64_t *v)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    unsigned long long x = strtoull(s, &end, base);
    if (*end || errno || x > max)
        return false;
    *v = x;
    return true;
}

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    if (!*s || *s == ' ')
        return false;
    long long x = strtoll(s, &end, 10);
    if (*end || errno)
        return false;
    *v = x;
    return true;
}

/* A list of numbers below `limit` into r->list; FT_OK or an error. */
static ft_status parse_list(reader *r, char *s, uint64_t limit, const char *what)
{
    r->nlist = 0;
    while (*s) {
        char *end;
        errno = 0;
        if (*s < '0' || *s > '9')
            return bad(r, what);
        unsigned long long x = strtoull(s, &end, 10);
        if (errno || x >= limit || (*end && *end != ' ') || (*end == ' ' && !end[1]))
            return bad(r, what);
        if (!FT_ARRAY_GROW(r->list, &r->cap_list, (uint64_t)r->nlist + 1))
            return ft_error_oom(r->err);
        r->list[r->nlist++] = (uint32_t)x;
        s = *end ? end + 1 : end;
    }
    return FT_OK;
}

static ft_status read_alert(reader *r, char **fld, ft_alerts *a)
{
    uint64_t kind, bits;
    if (!parse_u64(fld[1], 10, FT_KIND_COUNT - 1, &kind))
        return bad(r, "an alert's kind is not one");
    if (!parse_u64(fld[2], 16, UINT32_MAX, &bits) || strlen(fld[2]) != 8)
        return bad(r, "an alert's score is not 8 hex digits");
    uint32_t b32 = (uint32_t)bits;
    float score;
    memcpy(&score, &b32, sizeof score);
    if (!(score >= 0.0f && score <= 1.0f))
        return bad(r, "an alert's score is not from 0 to 1");
    ft_status rc = parse_list(r, fld[3], (uint64_t)r->s->t.n, "an alert's transactions");
    if (rc != FT_OK)
        return rc;
    if (r->nlist == 0)
        return bad(r, "an alert has no transactions");
    for (uint32_t i = 1; i < r->nlist; i++)
        if (r->list[i] <= r->list[i - 1])
            return bad(r, "an alert's transactions are not ascending");
    uint32_t ntxn = r->nlist;
    if (!FT_ARRAY_GROW(a->txns, &a->cap_txns, (uint64_t)a->ntxns + ntxn))
        return ft_error_oom(r->err);
    memcpy(a->txns + a->ntxns, r->list, (size_t)ntxn * sizeof *r->list);
    if ((rc = parse_list(r, fld[4], r->s->accounts.n, "an alert's accounts")) != FT_OK)
        return rc;
    uint32_t nacc = r->nlist;
    size_t elen = strlen(fld[5]), plen = strlen(fld[6]);
    if (!ft_shard_unescape(fld[5], &elen) || !ft_shard_unescape(fld[6], &plen) ||
        strlen(fld[5]) != elen || strlen(fld[6]) != plen)
        return bad(r, "an alert's text is not escaped as it should be");
    if (!FT_ARRAY_GROW(a->v, &a->cap, (uint64_t)a->n + 1) ||
        !FT_ARRAY_GROW(a->accts, &a->cap_accts, (uint64_t)a->naccts + nacc) ||
        !FT_ARRAY_GROW(a->text, &a->cap_text, (uint64_t)a->ntext + elen + plen + 2))
        return ft_error_oom(r->err);
    ft_alert *al = &a->v[a->n++];
    memset(al, 0, sizeof *al);
    al->kind = (uint16_t)kind;
    al->score = score;
    al->txn0 = a->ntxns;
    al->ntxn = ntxn;
    a->ntxns += ntxn;
    al->acc0 = a->naccts;
    al->nacc = nacc;
    if (nacc)
        memcpy(a->accts + a->naccts, r->list, (size_t)nacc * sizeof *r->list);
    a->naccts += nacc;
    al->text = a->ntext;
    memcpy(a->text + a->ntext, fld[5], elen + 1);
    memcpy(a->text + a->ntext + elen + 1, fld[6], plen + 1);
    a->ntext += (uint32_t)(elen + plen + 2);
    return FT_OK;
}

static ft_status read_bip(reader *r, char **fld, ft_scan_part *pt)
{
    uint64_t recv, sender, nrecv;
    int64_t first, last;
    if (!parse_u64(fld[1], 16, UINT64_MAX, &recv) ||
        !parse_u64(fld[2], 10, r->s->accounts.n ? r->s->accounts.n - 1 : 0, &sender) ||
        r->s->accounts.n == 0 || !parse_u64(fld[3], 10, UINT32_MAX, &nrecv) ||
        !parse_i64(fld[4], &first) || !parse_i64(fld[5], &last) || last < first)
        return bad(r, "a bipartite candidate's numbers are wrong");
    ft_status rc =
        parse_list(r, fld[6], (uint64_t)r->s->t.n, "a bipartite candidate's transactions");
    if (rc != FT_OK)
        return rc;
    if (r->nlist == 0)
        return bad(r, "a bipartite candidate has no transactions");
    if (!FT_ARRAY_GROW(pt->bip, &pt->cap_bip, (uint64_t)pt->nbip + 1) ||
        !FT_ARRAY_GROW(pt->bip_txns, &pt->cap_bip_txns, (uint64_t)pt->nbip_txns + r->nlist))
        return ft_error_oom(r->err);
    pt->bip[pt->nbip++] = (bip_rec){recv, (uint32_t)sender,        (uint32_t)nrecv, first,
                                    last, (uint32_t)pt->nbip_txns, r->nlist};
    memcpy(pt->bip_txns + pt->nbip_txns, r->list, (size_t)r->nlist * sizeof *r->list);
    pt->nbip_txns += r->nlist;
    return FT_OK;
}

ft_status ft_scan_part_read(FILE *f, const char *path, int64_t *line, const ft_store *s,
                            ft_scan_part **out, ft_error *err)
{
    *out = NULL;
    reader r = {path, line, s, err, NULL, 0, 0};
    ft_scan_part *pt = calloc(1, sizeof *pt);
    char *buf = NULL;
    size_t cap = 0;
    bool ended = false, have_data = false;
    ft_status rc = pt ? FT_OK : ft_error_oom(err);
    while (rc == FT_OK && !ended) {
        errno = 0;
        ssize_t len = getline(&buf, &cap, f);
        if (len < 0) {
            if (errno == ENOMEM)
                rc = ft_error_oom(err);
            else if (ferror(f))
                rc = ft_error_errno(err, FT_EIO, "read", path);
            else
                rc = ft_error_set(err, FT_EINPUT,
                                  "%s:%" PRId64 ": the part ends before its 'end' line (was "
                                  "its shard stopped?)",
                                  path, *line);
            break;
        }
        ++*line;
        if (len == 0 || buf[len - 1] != '\n') {
            rc = bad(&r, "the last line is cut off");
            break;
        }
        buf[--len] = '\0';
        char *fld[8];
        int n = split(buf, fld, 8);
        if (!have_data) {
            uint64_t id;
            if (n != 2 || strcmp(fld[0], "data") != 0 || !parse_u64(fld[1], 16, UINT64_MAX, &id))
                rc = bad(&r, "no 'data' line first");
            else if (id != ft_shard_data_id(s))
                rc = ft_error_set(err, FT_EINPUT,
                                  "%s: is a part of a scan of other data than the merge reads "
                                  "(give merge the same data, from the same directory)",
                                  path);
            have_data = true;
        } else if (n == 7 && strcmp(fld[0], "alert") == 0) {
            rc = read_alert(&r, fld, &pt->found);
        } else if (n == 7 && strcmp(fld[0], "bip") == 0) {
            rc = read_bip(&r, fld, pt);
        } else if (n == 3 && strcmp(fld[0], "end") == 0) {
            uint64_t na, nb;
            if (!parse_u64(fld[1], 10, UINT32_MAX, &na) || !parse_u64(fld[2], 10, SIZE_MAX, &nb) ||
                na != pt->found.n || nb != pt->nbip)
                rc = bad(&r, "the 'end' line does not count the records before it");
            ended = true;
        } else {
            rc = bad(&r, "not a record");
        }
    }
    if (rc == FT_OK && getc(f) != EOF)
        rc = bad(&r, "more after the 'end' line");
    free(buf);
    free(r.list);
    if (rc != FT_OK) {
        ft_scan_part_free(pt);
        return rc;
    }
    *out = pt;
    return FT_OK;
}
