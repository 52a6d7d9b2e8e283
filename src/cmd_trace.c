/*
 * cmd_trace.c - `fundtrace trace`: follow money from seed accounts.
 *
 * Seeds are traced by --threads workers, each with its own tracer over
 * the shared, read-only store; their output is kept in seed order.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/money.h"
#include "fundtrace/shard.h"
#include "fundtrace/time.h"
#include "fundtrace/trace.h"

typedef struct seed {
    char *label;
    uint32_t account;
    int64_t txn; /* -1: trace the account */
    char *out;   /* the formatted trace */
    size_t outlen;
    bool found; /* the money reached an account */
    ft_status rc;
    ft_error err;
} seed;

typedef struct job {
    const ft_store *s;
    const ft_trace_index *ix;
    const ft_trace_options *o;
    ft_format fmt;
    seed *seeds;
    size_t n;
    size_t base; /* the first seed's place in the whole list (--shard) */
    atomic_size_t next;
} job;

static void *worker(void *arg)
{
    job *J = arg;
    ft_tracer *tr = NULL;
    ft_error err;
    ft_status rc = ft_tracer_new(&tr, J->ix, &err);
    for (;;) {
        size_t i = atomic_fetch_add(&J->next, 1);
        if (i >= J->n)
            break;
        seed *sd = &J->seeds[i];
        if (rc != FT_OK) {
            sd->rc = rc;
            sd->err = err;
            continue;
        }
        const ft_trace_result *r;
        sd->rc = ft_trace_run(tr, J->o, sd->account, sd->txn, &r, &sd->err);
        if (sd->rc != FT_OK)
            continue;
        sd->found = r->nnodes > 1;
        FILE *f = open_memstream(&sd->out, &sd->outlen);
        if (!f) {
            sd->rc = ft_error_oom(&sd->err);
            continue;
        }
        ft_trace_write(f, J->s, sd->label, J->o, r, J->fmt, J->base + i == 0);
        fclose(f);
    }
    ft_tracer_free(tr);
    return NULL;
}

static bool add_seed(seed **seeds, size_t *n, size_t *cap, const char *label, size_t len)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        seed *p = realloc(*seeds, c * sizeof *p);
        if (!p)
            return false;
        *seeds = p;
        *cap = c;
    }
    seed *sd = &(*seeds)[*n];
    memset(sd, 0, sizeof *sd);
    sd->txn = -1;
    sd->label = strndup(label, len);
    if (!sd->label)
        return false;
    (*n)++;
    return true;
}

typedef struct seed_list {
    seed *v;
    size_t n, cap;
} seed_list;

static ft_status seed_line(void *ctx, const char *line, ft_error *err)
{
    seed_list *l = ctx;
    return add_seed(&l->v, &l->n, &l->cap, line, strlen(line)) ? FT_OK : ft_error_oom(err);
}

static bool opt_from(const char *cmd, const ft_option *opt, const char *arg)
{
    seed_list *l = opt->value;
    for (const char *p = arg; *p;) {
        size_t len = strcspn(p, ",");
        if (len && !add_seed(&l->v, &l->n, &l->cap, p, len)) {
            ft_cli_error(cmd, "out of memory");
            return false;
        }
        p += len + (p[len] == ',');
    }
    return true;
}

static bool opt_shard(const char *cmd, const ft_option *opt, const char *arg)
{
    if (ft_shard_parse(arg, opt->value))
        return true;
    ft_cli_error(cmd, "--shard '%s': give I/N, 1 <= I <= N", arg);
    return false;
}

static bool opt_seeds(const char *cmd, const ft_option *opt, const char *arg)
{
    ft_error err;
    if (ft_config_lines(arg, seed_line, opt->value, &err) == FT_OK)
        return true;
    ft_cli_fail(cmd, &err);
    return false;
}

int cmd_trace(int argc, char **argv)
{
    static const char *const directions[] = {"out", "in", NULL};
    static const char *const policies[] = {"poison", "haircut", "fifo", "lifo", NULL};
    struct ft_cli_input in = {0};
    ft_trace_options o;
    ft_trace_defaults(&o);
    seed_list seeds = {0};
    const char *txn = NULL, *min_amount = NULL, *format = "table", *direction = "out";
    const char *policy = ft_policy_name(o.policy);
    uint32_t threads = 1;
    ft_shard shard = {0};
    const ft_option options[] = {
        FT_OPT_CALLBACK(0, "from", &seeds, "A,B", opt_from,
                        "seed accounts (keys as the data names them); repeatable"),
        FT_OPT_CALLBACK(0, "seeds", &seeds, "FILE", opt_seeds,
                        "one seed account per line, each traced on its own"),
        FT_OPT_STRING(0, "txn", &txn, "ID", "follow one transaction (its original id)"),
        FT_OPT_ENUM(0, "direction", &direction, "D", directions,
                    "out (default): where the money went; in: where it came\n"
                    "from (the trace then runs back in time from its end)"),
        FT_OPT_ENUM(0, "policy", &policy, "P", policies, "poison, haircut (default), fifo or lifo"),
        FT_OPT_INT(0, "hops", &o.max_hops, "K", 1, 1000,
                   "at most K hops from the seed (default 6)"),
        FT_OPT_DURATION(0, "window", &o.window_ms, "D",
                        "follow money for D after the start (30d, 12h, 90m)"),
        FT_OPT_TIME(0, "since", &o.since_ms, "T",
                    "when traced money enters (default: the seed's first\n"
                    "transfer; balances count from the first in the data)"),
        FT_OPT_TIME(0, "until", &o.until_ms, "T", "the trace's end (default: the end of the data)"),
        FT_OPT_STRING(0, "min-amount", &min_amount, "X",
                      "transfers below X (in their currency) do not carry it"),
        FT_OPT_UINT(0, "max-degree", &o.max_degree, "N", 0, UINT32_MAX,
                    "accounts with more than N transfers are hubs: they hold\n"
                    "what they get (default 2000; 0: no limit)"),
        FT_OPT_UINT(0, "breadth", &o.breadth, "N", 0, UINT32_MAX,
                    "only each account's N largest transfers carry traced\n"
                    "money on (default 50; 0: no limit)"),
        FT_OPT_UINT(0, "threads", &threads, "N", 1, 256, "trace seeds on N threads (default 1)"),
        FT_OPT_CALLBACK(0, "shard", &shard, "I/N", opt_shard,
                        "trace the I-th of N blocks of the seeds and print that\n"
                        "part of the output behind a header line, for\n"
                        "'fundtrace merge' (exit 0 unless an error)"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats_dot,
                    "table (default), jsonl, csv, json or dot"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "trace",
        .usage = "fundtrace trace (--from ACCOUNT[,...] | --seeds FILE | --txn ID) [OPTIONS]\n"
                 "                FILE...|SNAPSHOT",
        .description =
            "Follow money from seed accounts (or one payment), in time order, forward\n"
            "(where it went) or backward (where it came from): the accounts reached, when,\n"
            "how much of the money each holds (backward: was the source of), and the\n"
            "trail of transfers that carried it.\n",
        .options = options,
        .epilog = "Exit status: 0 the money reached an account, 1 no seed's money reached any,\n"
                  "2 usage or input error (an unknown seed included).\n",
    };
    ft_store s = {0};
    ft_format fmt;
    int64_t *min_by_cur = NULL;
    bool backward;
    ft_trace_index *ix = NULL;
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    ft_policy_parse(policy, &o.policy);
    backward = strcmp(direction, "in") == 0;
    if ((seeds.n == 0) == (txn == NULL)) {
        ft_cli_error("trace", "give seed accounts (--from or --seeds) or one --txn, not both");
        goto done;
    }
    if (nargs == 0) {
        ft_cli_error("trace", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load("trace", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (ft_store_adjacency(&s, &err) != FT_OK ||
        ft_trace_index_new(&ix, &s, backward, &err) != FT_OK) {
        ft_cli_fail("trace", &err);
        goto done;
    }
    if (min_amount) {
        /* The same amount in every currency, in each one's minor units,
         * rounded up: X = digits / 10^scale. */
        const char *dot = strchr(min_amount, '.');
        int scale = dot ? (int)strlen(dot + 1) : 0;
        int64_t digits;
        ft_money_error why = FT_MONEY_SYNTAX;
        if (scale > FT_MONEY_MAX_EXPONENT ||
            !ft_money_parse(min_amount, strlen(min_amount), scale, &digits, &why)) {
            ft_cli_error("trace", "--min-amount '%s' %s", min_amount, ft_money_strerror(why));
            goto done;
        }
        min_by_cur = calloc((size_t)s.ncurrencies + 1, sizeof *min_by_cur);
        if (!min_by_cur)
            goto oom;
        for (int c = 0; c < s.ncurrencies; c++) {
            __int128 v = digits;
            int e = s.currencies[c].exponent - scale;
            for (; e > 0; e--)
                v *= 10;
            __int128 div = 1;
            for (; e < 0; e++)
                div *= 10;
            v = (v + div - 1) / div;
            min_by_cur[c] = v > INT64_MAX ? INT64_MAX : (int64_t)v;
        }
        o.min_amount = min_by_cur;
    }
    bool unknown = false;
    if (txn) {
        if (!add_seed(&seeds.v, &seeds.n, &seeds.cap, txn, strlen(txn)))
            goto oom;
        uint32_t t;
        if (ft_store_txid_index(&s, &err) != FT_OK) {
            ft_cli_fail("trace", &err);
            goto done;
        }
        if (!ft_store_find_txid(&s, txn, strlen(txn), &t)) {
            ft_cli_error("trace", "no transaction has the id '%s'", txn);
            goto done;
        }
        seeds.v[0].txn = t;
    } else {
        /* Unknown seeds are reported and skipped; the exit status says so. */
        size_t w = 0;
        for (size_t i = 0; i < seeds.n; i++) {
            seed *sd = &seeds.v[i];
            if (!ft_intern_find(&s.accounts, sd->label, strlen(sd->label), &sd->account)) {
                if (shard.index == 0) /* one part reports them */
                    ft_cli_error("trace", "no account '%s' in the data", sd->label);
                free(sd->label);
                unknown = true;
                continue;
            }
            seeds.v[w++] = *sd;
        }
        seeds.n = w;
    }
    uint64_t lo, hi;
    ft_shard_range(&shard, seeds.n, &lo, &hi);
    job J = {
        .s = &s, .ix = ix, .o = &o, .fmt = fmt, .seeds = seeds.v + lo, .n = hi - lo, .base = lo};
    atomic_init(&J.next, 0);
    if (threads > J.n)
        threads = J.n ? (uint32_t)J.n : 1;
    pthread_t tids[256];
    uint32_t started = 0;
    for (; started + 1 < threads; started++)
        if (pthread_create(&tids[started], NULL, worker, &J) != 0)
            break;
    worker(&J);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    bool failed = false, found = false;
    for (size_t i = lo; i < hi; i++) {
        seed *sd = &seeds.v[i];
        if (sd->rc != FT_OK) {
            ft_cli_error("trace", "%s: %s", sd->label, sd->err.msg);
            failed = true;
        }
        found = found || sd->found;
    }
    /* As grep: 0 found, 1 nothing found, 2 an error (it wins). */
    int searched = found ? FT_EXIT_OK : FT_EXIT_NONE;
    code = unknown || failed ? FT_EXIT_ERROR : searched;
    if (shard.count)
        ft_shard_header(stdout, "trace", &shard, ft_shard_run_id(argc, argv), code);
    /* A part prints what one run prints for its seeds: the array's
     * brackets belong to the first and the last part. */
    if (fmt == FT_FORMAT_JSON && shard.index == 0)
        fputs("[\n", stdout);
    for (size_t i = lo; i < hi; i++) {
        seed *sd = &seeds.v[i];
        if (sd->rc != FT_OK)
            continue;
        if (fmt == FT_FORMAT_JSON && i > 0)
            fputs(",", stdout);
        fwrite(sd->out, 1, sd->outlen, stdout);
    }
    if (fmt == FT_FORMAT_JSON && (shard.count == 0 || shard.index + 1 == shard.count))
        fputs("]\n", stdout);
    if (shard.count && code != FT_EXIT_ERROR)
        code = FT_EXIT_OK; /* the part's status is in its header, for merge */
    code = ft_cli_finish("trace", code);
    goto done;
oom:
    ft_cli_error("trace", "out of memory");
done:
    for (size_t i = 0; i < seeds.n; i++) {
        free(seeds.v[i].label);
        free(seeds.v[i].out);
    }
    free(seeds.v);
    free(min_by_cur);
    ft_trace_index_free(ix);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
