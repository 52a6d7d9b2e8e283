/*
 * trace_batch.c - a batch of traces on a pool of threads (trace_batch.h).
 *
 * Workers take the next seed from an atomic counter and format its trace
 * into a buffer of its own; whoever completes the seed the output waits
 * for writes it and every later one already done, under one lock, so the
 * output is in seed order, streamed, and only the traces finished out of
 * order wait in memory.
 */
#include "fundtrace/trace_batch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/money.h"

typedef struct slot {
    char *out; /* the formatted trace */
    size_t len;
    bool done, found;
    ft_status rc;
    ft_error err;
} slot;

typedef struct batch_run {
    const ft_trace_batch *b;
    const ft_trace_seed *seeds;
    size_t n;
    FILE *f;
    slot *slots;
    atomic_size_t next;
    pthread_mutex_t lock;
    size_t written; /* seeds before this one are out */
    ft_trace_batch_report rep;
    ft_status rc; /* the first failure in seed order */
    ft_error err;
} batch_run;

/* Writes the seeds done from R->written on; under R->lock. */
static void flush_ready(batch_run *R)
{
    const ft_trace_batch *b = R->b;
    for (; R->written < R->n && R->slots[R->written].done; R->written++) {
        size_t i = R->written;
        slot *sl = &R->slots[i];
        if (sl->rc != FT_OK) {
            R->rep.failed++;
            if (R->rc == FT_OK) {
                R->rc = sl->rc;
                R->err = sl->err;
            }
            if (b->on_error)
                b->on_error(b->ctx, &R->seeds[i], &sl->err);
            continue;
        }
        if (b->fmt == FT_FORMAT_JSON && b->base + i > 0)
            fputc(',', R->f);
        fwrite(sl->out, 1, sl->len, R->f);
        free(sl->out);
        sl->out = NULL;
        R->rep.traced++;
        R->rep.found |= sl->found;
    }
}

static void *worker(void *arg)
{
    batch_run *R = arg;
    const ft_trace_batch *b = R->b;
    ft_tracer *tr = NULL;
    ft_error err;
    ft_status rc = ft_tracer_new(&tr, b->ix, &err);
    for (;;) {
        size_t i = atomic_fetch_add(&R->next, 1);
        if (i >= R->n)
            break;
        slot *sl = &R->slots[i];
        const ft_trace_seed *sd = &R->seeds[i];
        const ft_trace_result *r;
        if (rc != FT_OK) {
            sl->rc = rc;
            sl->err = err;
        } else if ((sl->rc = ft_trace_run(tr, b->o, sd->account, sd->txn, &r, &sl->err)) == FT_OK) {
            sl->found = r->nnodes > 1;
            FILE *f = open_memstream(&sl->out, &sl->len);
            if (!f) {
                sl->rc = ft_error_oom(&sl->err);
            } else {
                ft_trace_write(f, b->s, sd->label, b->o, r, b->fmt, b->base + i == 0);
                if (fclose(f) != 0) {
                    free(sl->out);
                    sl->out = NULL;
                    sl->rc = ft_error_oom(&sl->err);
                }
            }
        }
        if (sl->rc != FT_OK) { /* the message names the seed */
            ft_error why = sl->err;
            ft_error_set(&sl->err, sl->rc, "%s: %s", sd->label, why.msg);
        }
        pthread_mutex_lock(&R->lock);
        sl->done = true;
        flush_ready(R);
        pthread_mutex_unlock(&R->lock);
    }
    ft_tracer_free(tr);
    return NULL;
}

ft_status ft_trace_batch_run(const ft_trace_batch *b, const ft_trace_seed *seeds, size_t n, FILE *f,
                             ft_trace_batch_report *rep, ft_error *err)
{
    memset(rep, 0, sizeof *rep);
    batch_run R = {.b = b, .seeds = seeds, .n = n, .f = f};
    R.slots = calloc(n ? n : 1, sizeof *R.slots);
    if (!R.slots)
        return ft_error_oom(err);
    atomic_init(&R.next, 0);
    pthread_mutex_init(&R.lock, NULL);
    int threads = b->threads < 1 ? 1 : b->threads > 256 ? 256 : b->threads;
    if ((size_t)threads > n)
        threads = n ? (int)n : 1;
    pthread_t tids[256];
    int started = 0;
    for (; started + 1 < threads; started++)
        if (pthread_create(&tids[started], NULL, worker, &R) != 0)
            break; /* fewer threads; the work is the same */
    worker(&R);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&R.lock);
    for (size_t i = 0; i < n; i++)
        free(R.slots[i].out);
    free(R.slots);
    *rep = R.rep;
    if (R.rc != FT_OK)
        *err = R.err;
    return R.rc;
}

ft_status ft_trace_min_amounts(const ft_store *s, const char *text, int64_t **out, ft_error *err)
{
    *out = NULL;
    /* text = digits / 10^scale */
    const char *dot = strchr(text, '.');
    int scale = dot ? (int)strlen(dot + 1) : 0;
    int64_t digits;
    ft_money_error why = FT_MONEY_SYNTAX;
    if (scale > FT_MONEY_MAX_EXPONENT || !ft_money_parse(text, strlen(text), scale, &digits, &why))
        return ft_error_set(err, FT_EUSAGE, "--min-amount '%s' %s", text, ft_money_strerror(why));
    int64_t *v = calloc((size_t)s->ncurrencies + 1, sizeof *v);
    if (!v)
        return ft_error_oom(err);
    for (int c = 0; c < s->ncurrencies; c++) {
        int e = s->currencies[c].exponent - scale;
        int64_t x = digits;
        if (e >= 0) {
            if (!ft_money_scale(&x, e))
                x = INT64_MAX; /* more than any amount: nothing carries */
        } else {
            int64_t div = 1;
            for (; e < 0; e++)
                div *= 10; /* scale <= 18: no overflow */
            x = x / div + (x % div != 0);
        }
        v[c] = x;
    }
    *out = v;
    return FT_OK;
}
