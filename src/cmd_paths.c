/*
 * cmd_paths.c - `fundtrace paths`: how money could have gone from some
 * accounts to others: the earliest-arrival and fewest-hops time-respecting
 * paths, all of them (streamed), the static shortest path, and the maximum
 * flow, static and forward in time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/paths.h"

enum {
    OPT_FROM = OPT_FIRST_COMMAND_OPTION,
    OPT_TO,
    OPT_ALL,
    OPT_MAX_HOPS,
    OPT_LIMIT,
    OPT_STATIC,
    OPT_MAXFLOW,
    OPT_FLOW_CURRENCY,
    OPT_WINDOW,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_MAX_DEGREE,
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fundtrace paths --from A[,B...] --to C[,D...] [OPTIONS] FILE...|SNAPSHOT\n\n"
            "How money could have gone from the --from accounts to the --to accounts.\n"
            "Paths respect time: no transfer is earlier than the one before it (money may\n"
            "leave at the second it arrives), and a path ends at the first --to account it\n"
            "reaches and visits no account twice. By default: the earliest-arrival path\n"
            "and the fewest-hops path.\n\n"
            "Options:\n"
            "  --from A,B          source accounts; repeatable\n"
            "  --to C,D            target accounts; repeatable\n"
            "  --all               every path of at most --max-hops transfers, printed as\n"
            "                      found (depth first)\n"
            "  --max-hops K        at most K transfers per path (default: none; 6 with --all)\n"
            "  --limit N           with --all, stop after N paths (default 1000; 0: none)\n"
            "  --static            also the static shortest path (order in time ignored)\n"
            "  --maxflow           the maximum amount that could have moved: static (order in\n"
            "                      time ignored) and forward in time, with the transfers carrying it\n"
            "  --flow-currency CUR the currency of --maxflow (default: the most used one)\n"
            "  --since T, --until T, --window D  only transfers in this time span (paths\n"
            "                      and flows alike)\n"
            "  --max-degree N      do not pass through accounts with more than N transfers\n"
            "                      (default 2000; 0: no limit)\n"
            "  --format FMT        table (default), jsonl, json or csv\n"
            "  -q, --quiet         do not show rejected rows on stderr\n"
            "  -h, --help          show this help\n\n" FT_CLI_INPUT_HELP
            "\nExit status: 0 a path (or a flow) was found, 1 none, 2 usage or input error.\n");
}

typedef struct out_ctx {
    const ft_store *s;
    ft_format fmt;
    uint64_t written;
} out_ctx;

/* Before each object of a JSON array, a comma after the first. */
static void separate(out_ctx *c)
{
    if (c->fmt == FT_FORMAT_JSON && c->written)
        fputc(',', stdout);
    else if (c->fmt == FT_FORMAT_TABLE && c->written)
        fputc('\n', stdout);
    c->written++;
}

static bool emit(void *ctx, const uint32_t *txn, uint32_t n)
{
    out_ctx *c = ctx;
    separate(c);
    ft_path p = {(uint32_t *)txn, n, n};
    ft_path_write(stdout, c->s, "all", c->written, &p, c->fmt);
    return !ferror(stdout);
}

static uint16_t most_used_currency(const ft_store *s)
{
    int64_t *count = calloc((size_t)s->ncurrencies + 1, sizeof *count);
    uint16_t best = 0;
    if (!count)
        return 0;
    for (int64_t i = 0; i < s->t.n; i++)
        count[s->t.cur[i]]++;
    for (int c = 1; c < s->ncurrencies; c++)
        if (count[c] > count[best])
            best = (uint16_t)c;
    free(count);
    return best;
}

int cmd_paths(int argc, char **argv)
{
    static const struct option longopts[] = {
        FT_CLI_INPUT_OPTIONS,
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"all", no_argument, NULL, OPT_ALL},
        {"max-hops", required_argument, NULL, OPT_MAX_HOPS},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"static", no_argument, NULL, OPT_STATIC},
        {"maxflow", no_argument, NULL, OPT_MAXFLOW},
        {"flow-currency", required_argument, NULL, OPT_FLOW_CURRENCY},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"max-degree", required_argument, NULL, OPT_MAX_DEGREE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ft_cli_input in = {0};
    ft_store s = {0};
    ft_paths_options o;
    ft_paths_defaults(&o);
    ft_format fmt = FT_FORMAT_TABLE;
    ft_cli_accounts from = {0}, to = {0};
    uint32_t v, limit = 1000;
    bool all = false, static_path = false, maxflow = false, hops_given = false;
    const char *currency = NULL;
    int code = FT_EXIT_ERROR, opt;
    ft_error err;
    ft_path path = {0};
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
        case OPT_TO:
            if (!ft_cli_accounts_add("paths", opt == OPT_FROM ? &from : &to, optarg))
                goto done;
            break;
        case OPT_ALL:
            all = true;
            break;
        case OPT_MAX_HOPS:
            if (!ft_cli_uint("paths", "--max-hops", optarg, 64, "a whole number from 1 to 64",
                             &v))
                goto done;
            if (v < 1) {
                ft_cli_error("paths", "--max-hops '%s': a whole number from 1 to 64", optarg);
                goto done;
            }
            o.max_hops = (int)v;
            hops_given = true;
            break;
        case OPT_LIMIT:
            if (!ft_cli_uint("paths", "--limit", optarg, UINT32_MAX, "a whole number (0: none)",
                             &limit))
                goto done;
            break;
        case OPT_STATIC:
            static_path = true;
            break;
        case OPT_MAXFLOW:
            maxflow = true;
            break;
        case OPT_FLOW_CURRENCY:
            currency = optarg;
            break;
        case OPT_WINDOW:
            if (!ft_cli_duration("paths", "--window", optarg, &o.window_ms))
                goto done;
            break;
        case OPT_SINCE:
            if (!ft_cli_time("paths", "--since", optarg, &o.since_ms))
                goto done;
            break;
        case OPT_UNTIL:
            if (!ft_cli_time("paths", "--until", optarg, &o.until_ms))
                goto done;
            break;
        case OPT_MAX_DEGREE:
            if (!ft_cli_uint("paths", "--max-degree", optarg, UINT32_MAX,
                             "a whole number (0: no limit)", &o.max_degree))
                goto done;
            break;
        case OPT_FORMAT:
            if (!ft_cli_format("paths", optarg, false, &fmt))
                goto done;
            break;
        case 'q':
            in.quiet = true;
            break;
        case 'h':
            usage(stdout);
            code = ft_cli_finish("paths", FT_EXIT_OK);
            goto done;
        default:
            code = ft_cli_bad_option("paths", argv, opt);
            goto done;
        }
    }
    if (!from.nkeys || !to.nkeys) {
        ft_cli_error("paths", "give both --from and --to accounts");
        goto done;
    }
    if (o.window_ms > 0 && o.since_ms == INT64_MIN) {
        ft_cli_error("paths", "--window needs --since (where the window starts)");
        goto done;
    }
    if (all && !hops_given)
        o.max_hops = 6;
    if (optind >= argc) {
        ft_cli_error("paths", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load(&in, argv + optind, argc - optind, &s) != FT_OK)
        goto done;
    if (ft_store_adjacency(&s, &err) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        goto done;
    }
    bool known = ft_cli_accounts_resolve("paths", &s, &from);
    known = ft_cli_accounts_resolve("paths", &s, &to) && known;
    if (!known)
        goto done;
    ft_account_set A = {from.ids, from.n}, B = {to.ids, to.n};
    uint16_t cur = 0;
    if (maxflow) {
        if (!currency) {
            cur = most_used_currency(&s);
        } else {
            int c = 0;
            while (c < s.ncurrencies && strcmp(s.currencies[c].code, currency) != 0)
                c++;
            if (c == s.ncurrencies) {
                ft_cli_error("paths", "--flow-currency '%s': no transfer in the data uses it",
                             currency);
                goto done;
            }
            cur = (uint16_t)c;
        }
    }

    out_ctx c = {.s = &s, .fmt = fmt};
    bool any = false;
    if (fmt == FT_FORMAT_JSON)
        fputs("[\n", stdout);
    else if (fmt == FT_FORMAT_CSV)
        ft_paths_csv_header(stdout);
    if (all) {
        uint64_t found;
        bool more;
        if (ft_paths_all(&s, &o, A, B, limit, emit, &c, &found, &more, &err) != FT_OK) {
            fprintf(stderr, "fundtrace: %s\n", err.msg);
            goto done;
        }
        any = found > 0;
        if (fmt == FT_FORMAT_TABLE)
            printf("%s%llu path%s%s\n", found ? "\n" : "", (unsigned long long)found,
                   found == 1 ? "" : "s",
                   more ? " (the --limit stopped the search; there may be more)" : "");
        else if (more)
            fprintf(stderr, "fundtrace paths: stopped at --limit %u; there may be more paths\n",
                    limit);
    }
    static const char *kinds[] = {"earliest", "fewest", "static"};
    for (int k = all ? 2 : 0; k < (static_path ? 3 : 2); k++) {
        ft_status rc = k == 0   ? ft_path_earliest(&s, &o, A, B, &path, &err)
                       : k == 1 ? ft_path_fewest(&s, &o, A, B, &path, &err)
                                : ft_path_static(&s, &o, A, B, &path, &err);
        if (rc != FT_OK) {
            fprintf(stderr, "fundtrace: %s\n", err.msg);
            goto done;
        }
        any = any || path.n > 0;
        separate(&c);
        ft_path_write(stdout, &s, kinds[k], 0, &path, fmt);
    }
    if (maxflow) {
        for (int temporal = 0; temporal < 2; temporal++) {
            ft_flow fl;
            if (ft_maxflow(&s, &o, A, B, cur, temporal, &fl, &err) != FT_OK) {
                fprintf(stderr, "fundtrace: %s\n", err.msg);
                goto done;
            }
            any = any || fl.value > 0;
            separate(&c);
            ft_flow_write(stdout, &s, temporal ? "maxflow_temporal" : "maxflow_static", cur, &fl,
                          fmt);
            ft_flow_free(&fl);
        }
    }
    if (fmt == FT_FORMAT_JSON)
        fputs("]\n", stdout);
    code = ft_cli_finish("paths", any ? FT_EXIT_OK : 1);
done:
    ft_cli_accounts_free(&from);
    ft_cli_accounts_free(&to);
    ft_path_free(&path);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
