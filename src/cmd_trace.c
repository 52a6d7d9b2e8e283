/*
 * cmd_trace.c - `fundtrace trace`: follow money from seed accounts.
 *
 * Seeds are traced by --threads workers, each with its own tracer over
 * the shared, read-only store; their output is kept in seed order.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/money.h"
#include "fundtrace/time.h"
#include "fundtrace/trace.h"

enum {
    OPT_FROM = OPT_FIRST_COMMAND_OPTION,
    OPT_SEEDS,
    OPT_TXN,
    OPT_DIRECTION,
    OPT_POLICY,
    OPT_HOPS,
    OPT_WINDOW,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_MIN_AMOUNT,
    OPT_MAX_DEGREE,
    OPT_BREADTH,
    OPT_THREADS,
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fundtrace trace (--from ACCOUNT[,...] | --seeds FILE | --txn ID) [OPTIONS]\n"
            "                       FILE...|SNAPSHOT\n\n"
            "Follow money from seed accounts (or one payment), in time order, forward\n"
            "(where it went) or backward (where it came from): the accounts reached, when,\n"
            "how much of the money each holds (backward: was the source of), and the\n"
            "trail of transfers that carried it.\n\n"
            "Options:\n"
            "  --from A,B          seed accounts (keys as the data names them); repeatable\n"
            "  --seeds FILE        one seed account per line, each traced on its own\n"
            "  --txn ID            follow one transaction (its original id)\n"
            "  --direction D       out (default): where the money went; in: where it came\n"
            "                      from (the trace then runs back in time from its end)\n"
            "  --policy P          poison, haircut (default), fifo or lifo\n"
            "  --hops K            at most K hops from the seed (default 6)\n"
            "  --window D          follow money for D after the start (30d, 12h, 90m)\n"
            "  --since T, --until T  when traced money enters, and the trace's end (default:\n"
            "                      from the seed's first transfer, to the end of the data)\n"
            "  --min-amount X      transfers below X (in their currency) do not carry it\n"
            "  --max-degree N      accounts with more than N transfers are hubs: they hold\n"
            "                      what they get (default 2000; 0: no limit)\n"
            "  --breadth N         only each account's N largest transfers carry traced\n"
            "                      money on (default 50; 0: no limit)\n"
            "  --threads N         trace seeds on N threads (default 1)\n"
            "  --format FMT        table (default), jsonl, csv, json or dot\n"
            "  -q, --quiet         do not show rejected rows on stderr\n"
            "  -h, --help          show this help\n\n" FT_CLI_INPUT_HELP
            "\nExit status: 0 the money reached an account, 1 no seed's money reached any,\n"
            "2 usage or input error (an unknown seed included).\n");
}

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
        ft_trace_write(f, J->s, sd->label, J->o, r, J->fmt, i == 0);
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

int cmd_trace(int argc, char **argv)
{
    static const struct option longopts[] = {
        FT_CLI_INPUT_OPTIONS,
        {"from", required_argument, NULL, OPT_FROM},
        {"seeds", required_argument, NULL, OPT_SEEDS},
        {"txn", required_argument, NULL, OPT_TXN},
        {"direction", required_argument, NULL, OPT_DIRECTION},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"hops", required_argument, NULL, OPT_HOPS},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"min-amount", required_argument, NULL, OPT_MIN_AMOUNT},
        {"max-degree", required_argument, NULL, OPT_MAX_DEGREE},
        {"breadth", required_argument, NULL, OPT_BREADTH},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ft_cli_input in = {0};
    ft_store s = {0};
    ft_trace_options o;
    ft_trace_defaults(&o);
    ft_format fmt = FT_FORMAT_TABLE;
    seed_list seeds = {0};
    const char *txn = NULL, *min_amount = NULL;
    int64_t *min_by_cur = NULL;
    uint32_t threads = 1, v;
    bool backward = false;
    ft_trace_index *ix = NULL;
    int code = FT_EXIT_ERROR, opt;
    ft_error err;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        int r = ft_cli_input_option(&in, opt, optarg);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        switch (opt) {
        case OPT_FROM:
            for (const char *p = optarg; *p;) {
                size_t len = strcspn(p, ",");
                if (len && !add_seed(&seeds.v, &seeds.n, &seeds.cap, p, len))
                    goto oom;
                p += len + (p[len] == ',');
            }
            break;
        case OPT_SEEDS:
            if (ft_config_lines(optarg, seed_line, &seeds, &err) != FT_OK) {
                fprintf(stderr, "fundtrace: %s\n", err.msg);
                goto done;
            }
            break;
        case OPT_TXN:
            txn = optarg;
            break;
        case OPT_DIRECTION:
            if (strcmp(optarg, "out") != 0 && strcmp(optarg, "in") != 0) {
                ft_cli_error("trace", "--direction '%s': out (where the money went) or in "
                                      "(where it came from)",
                             optarg);
                goto done;
            }
            backward = strcmp(optarg, "in") == 0;
            break;
        case OPT_POLICY:
            if (!ft_policy_parse(optarg, &o.policy)) {
                ft_cli_error("trace", "--policy '%s': poison, haircut, fifo or lifo", optarg);
                goto done;
            }
            break;
        case OPT_HOPS:
            if (!ft_cli_uint("trace", "--hops", optarg, 1000, "a whole number from 1 to 1000",
                             &v))
                goto done;
            if (v < 1) {
                ft_cli_error("trace", "--hops '%s': a whole number from 1 to 1000", optarg);
                goto done;
            }
            o.max_hops = (int)v;
            break;
        case OPT_WINDOW:
            if (!ft_cli_duration("trace", "--window", optarg, &o.window_ms))
                goto done;
            break;
        case OPT_SINCE:
            if (!ft_cli_time("trace", "--since", optarg, &o.since_ms))
                goto done;
            break;
        case OPT_UNTIL:
            if (!ft_cli_time("trace", "--until", optarg, &o.until_ms))
                goto done;
            break;
        case OPT_MIN_AMOUNT:
            min_amount = optarg;
            break;
        case OPT_MAX_DEGREE:
        case OPT_BREADTH:
            if (!ft_cli_uint("trace", opt == OPT_BREADTH ? "--breadth" : "--max-degree", optarg,
                             UINT32_MAX, "a whole number (0: no limit)", &v))
                goto done;
            *(opt == OPT_BREADTH ? &o.breadth : &o.max_degree) = v;
            break;
        case OPT_THREADS:
            if (!ft_cli_uint("trace", "--threads", optarg, 256, "from 1 to 256", &threads))
                goto done;
            if (threads < 1) {
                ft_cli_error("trace", "--threads '%s': from 1 to 256", optarg);
                goto done;
            }
            break;
        case OPT_FORMAT:
            if (!ft_cli_format("trace", optarg, true, &fmt))
                goto done;
            break;
        case 'q':
            in.quiet = true;
            break;
        case 'h':
            usage(stdout);
            code = ft_cli_finish("trace", FT_EXIT_OK);
            goto done;
        default:
            code = ft_cli_bad_option("trace", argv, opt);
            goto done;
        }
    }
    if ((seeds.n == 0) == (txn == NULL)) {
        ft_cli_error("trace", "give seed accounts (--from or --seeds) or one --txn, not both");
        goto done;
    }
    if (optind >= argc) {
        ft_cli_error("trace", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load(&in, argv + optind, argc - optind, &s) != FT_OK)
        goto done;
    if (ft_store_adjacency(&s, &err) != FT_OK ||
        ft_trace_index_new(&ix, &s, backward, &err) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
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
            fprintf(stderr, "fundtrace: %s\n", err.msg);
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
                ft_cli_error("trace", "no account '%s' in the data", sd->label);
                free(sd->label);
                unknown = true;
                continue;
            }
            seeds.v[w++] = *sd;
        }
        seeds.n = w;
    }
    job J = {.s = &s, .ix = ix, .o = &o, .fmt = fmt, .seeds = seeds.v, .n = seeds.n};
    atomic_init(&J.next, 0);
    if (threads > seeds.n)
        threads = seeds.n ? (uint32_t)seeds.n : 1;
    pthread_t tids[256];
    uint32_t started = 0;
    for (; started + 1 < threads; started++)
        if (pthread_create(&tids[started], NULL, worker, &J) != 0)
            break;
    worker(&J);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    if (fmt == FT_FORMAT_JSON)
        fputs("[\n", stdout);
    bool failed = false, found = false;
    for (size_t i = 0; i < seeds.n; i++) {
        seed *sd = &seeds.v[i];
        if (sd->rc != FT_OK) {
            fprintf(stderr, "fundtrace: %s: %s\n", sd->label, sd->err.msg);
            failed = true;
            continue;
        }
        found = found || sd->found;
        if (fmt == FT_FORMAT_JSON && i > 0)
            fputs(",", stdout);
        fwrite(sd->out, 1, sd->outlen, stdout);
    }
    if (fmt == FT_FORMAT_JSON)
        fputs("]\n", stdout);
    /* As grep: 0 found, 1 nothing found, 2 an error (it wins). */
    code = ft_cli_finish("trace", unknown || failed ? FT_EXIT_ERROR : found ? FT_EXIT_OK : 1);
    goto done;
oom:
    fprintf(stderr, "fundtrace: out of memory\n");
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
