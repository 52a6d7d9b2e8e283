/*
 * paths_report.c - the searches of `fundtrace paths`, run and written in
 * order (contract in paths_report.h).
 */
#include "fundtrace/paths_report.h"

#include <stdlib.h>
#include <string.h>

ft_status ft_paths_currency(const ft_store *s, const char *code, uint16_t *cur, ft_error *err)
{
    if (code) {
        for (int c = 0; c < s->ncurrencies; c++) {
            if (strcmp(s->currencies[c].code, code) == 0) {
                *cur = (uint16_t)c;
                return FT_OK;
            }
        }
        return ft_error_set(err, FT_EUSAGE, "--flow-currency '%s': no transfer in the data uses it",
                            code);
    }
    int64_t *count = calloc((size_t)s->ncurrencies + 1, sizeof *count);
    if (!count)
        return ft_error_oom(err);
    for (int64_t i = 0; i < s->t.n; i++)
        count[s->t.cur[i]]++;
    uint16_t best = 0;
    for (int c = 1; c < s->ncurrencies; c++)
        if (count[c] > count[best])
            best = (uint16_t)c;
    free(count);
    *cur = best;
    return FT_OK;
}

typedef struct out {
    FILE *f;
    const ft_store *s;
    ft_format fmt;
    uint64_t written;
} out;

/* Before each item: a comma in a JSON array, a blank line in a table. */
static void separate(out *c)
{
    if (c->fmt == FT_FORMAT_JSON && c->written)
        fputc(',', c->f);
    else if (c->fmt == FT_FORMAT_TABLE && c->written)
        fputc('\n', c->f);
    c->written++;
}

static bool emit(void *ctx, const uint32_t *txn, uint32_t n)
{
    out *c = ctx;
    separate(c);
    ft_path p = {(uint32_t *)txn, n, n};
    ft_path_write(c->f, c->s, "all", c->written, &p, c->fmt);
    return !ferror(c->f);
}

ft_status ft_paths_report(const ft_store *s, const ft_paths_options *o, ft_account_set from,
                          ft_account_set to, const ft_paths_request *rq, FILE *f, ft_format fmt,
                          ft_paths_answer *ans, ft_error *err)
{
    memset(ans, 0, sizeof *ans);
    uint16_t cur = 0;
    ft_status rc = rq->maxflow ? ft_paths_currency(s, rq->currency, &cur, err) : FT_OK;
    if (rc != FT_OK)
        return rc;
    out c = {f, s, fmt, 0};
    ft_path path = {0};
    if (fmt == FT_FORMAT_JSON)
        fputs("[\n", f);
    else if (fmt == FT_FORMAT_CSV)
        ft_paths_csv_header(f);
    if (rq->all) {
        rc = ft_paths_all(s, o, from, to, rq->limit, emit, &c, &ans->paths, &ans->more, err);
        if (rc != FT_OK)
            goto done;
        ans->found = ans->paths > 0;
        if (fmt == FT_FORMAT_TABLE)
            fprintf(f, "%s%llu path%s%s\n", ans->paths ? "\n" : "", (unsigned long long)ans->paths,
                    ans->paths == 1 ? "" : "s",
                    ans->more ? " (the --limit stopped the search; there may be more)" : "");
    }
    static const char *const kinds[] = {"earliest", "fewest", "static"};
    for (int k = rq->all ? 2 : 0; k < (rq->static_path ? 3 : 2); k++) {
        rc = k == 0   ? ft_path_earliest(s, o, from, to, &path, err)
             : k == 1 ? ft_path_fewest(s, o, from, to, &path, err)
                      : ft_path_static(s, o, from, to, &path, err);
        if (rc != FT_OK)
            goto done;
        ans->found = ans->found || path.n > 0;
        separate(&c);
        ft_path_write(f, s, kinds[k], 0, &path, fmt);
    }
    for (int temporal = 0; rq->maxflow && temporal < 2; temporal++) {
        ft_flow fl;
        if ((rc = ft_maxflow(s, o, from, to, cur, temporal, &fl, err)) != FT_OK)
            goto done;
        ans->found = ans->found || fl.value > 0;
        separate(&c);
        ft_flow_write(f, s, temporal ? "maxflow_temporal" : "maxflow_static", cur, &fl, fmt);
        ft_flow_free(&fl);
    }
    if (fmt == FT_FORMAT_JSON)
        fputs("]\n", f);
done:
    ft_path_free(&path);
    return rc;
}
