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
#include "fundtrace/paths_report.h"

int cmd_paths(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    ft_paths_options o;
    ft_paths_defaults(&o);
    ft_cli_accounts from = {0}, to = {0};
    uint32_t limit = 1000;
    int hops = 0;
    bool all = false, static_path = false, maxflow = false;
    const char *currency = NULL, *format = "table";
    const ft_option options[] = {
        FT_OPT_CALLBACK(0, "from", &from, "A,B", ft_cli_opt_accounts,
                        "source accounts; repeatable"),
        FT_OPT_CALLBACK(0, "to", &to, "C,D", ft_cli_opt_accounts, "target accounts; repeatable"),
        FT_OPT_FLAG(0, "all", &all,
                    "every path of at most --hops transfers, printed as\n"
                    "found (depth first)"),
        FT_OPT_INT(0, "hops", &hops, "K", 1, 64,
                   "at most K transfers per path (default: none; 6 with\n--all; --max-hops is the "
                   "old name)"),
        {FT_OPT_(FT_OPT_KIND_INT, 0, "max-hops", &hops, "K", "the old name of --hops"), .min = 1,
         .max = 64, .flags = FT_OPT_HIDDEN},
        FT_OPT_UINT(0, "limit", &limit, "N", 0, UINT32_MAX,
                    "with --all, stop after N paths (default 1000; 0: none)"),
        FT_OPT_FLAG(0, "static", &static_path,
                    "also the static shortest path (order in time ignored)"),
        FT_OPT_FLAG(0, "maxflow", &maxflow,
                    "the maximum amount that could have moved: static (order\n"
                    "in time ignored) and forward in time, with the transfers\n"
                    "carrying it (both within --since, --until, --window)"),
        FT_OPT_STRING(0, "flow-currency", &currency, "CUR",
                      "the currency of --maxflow (default: the most used one)"),
        FT_OPT_TIME(0, "since", &o.since_ms, "T", "only transfers from T on"),
        FT_OPT_TIME(0, "until", &o.until_ms, "T", "only transfers until T"),
        FT_OPT_DURATION(0, "window", &o.window_ms, "D",
                        "only transfers within D after --since (30d, 12h, 90m)"),
        FT_OPT_UINT(0, "max-degree", &o.max_degree, "N", 0, UINT32_MAX,
                    "do not pass through accounts with more than N transfers\n"
                    "(default 2000; 0: no limit)"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats,
                    "table (default), jsonl, json or csv"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_PROVENANCE(),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "paths",
        .usage = "fundtrace paths --from A[,B...] --to C[,D...] [OPTIONS] FILE...|SNAPSHOT",
        .description =
            "How money could have gone from the --from accounts to the --to accounts.\n"
            "Paths respect time: no transfer is earlier than the one before it (money may\n"
            "leave at the second it arrives), and a path ends at the first --to account it\n"
            "reaches and visits no account twice. By default: the earliest-arrival path\n"
            "and the fewest-hops path.\n",
        .options = options,
        .epilog = "Exit status (as grep): 0 a path (or a flow) was found, 1 none, 2 usage or\n"
                  "input error.\n",
    };
    ft_store s = {0};
    uint32_t *degree = NULL;
    ft_format fmt;
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    if (hops)
        o.max_hops = hops;
    else if (all)
        o.max_hops = 6;
    if (!from.nkeys || !to.nkeys) {
        ft_cli_error("paths", "give both --from and --to accounts");
        goto done;
    }
    if (o.window_ms > 0 && o.since_ms == INT64_MIN) {
        ft_cli_error("paths", "--window needs --since (where the window starts)");
        goto done;
    }
    if (nargs == 0) {
        ft_cli_error("paths", "no input (give CSV files or a snapshot)");
        goto done;
    }
    /* Given periods, only those the window needs are read; hubs and the
     * most used currency are then the whole data's. */
    in.window = true;
    in.since_ms = o.since_ms;
    in.until_ms = o.until_ms;
    if (o.window_ms > 0 && o.since_ms <= INT64_MAX - o.window_ms &&
        o.since_ms + o.window_ms < in.until_ms)
        in.until_ms = o.since_ms + o.window_ms;
    if (ft_cli_load("paths", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (in.whole.present) {
        uint32_t *deg = calloc((size_t)s.accounts.n + 1, sizeof *deg);
        if (!deg) {
            ft_cli_error("paths", "out of memory");
            goto done;
        }
        for (uint32_t a = 0; a < s.accounts.n; a++)
            deg[a] = in.whole.deg_out[a] + in.whole.deg_in[a];
        o.degree = degree = deg;
        if (!currency && maxflow) {
            uint16_t best = 0;
            for (uint16_t c = 1; c < in.whole.ncurrencies; c++)
                if (in.whole.per_currency[c] > in.whole.per_currency[best])
                    best = c;
            currency = s.currencies[best].code;
        }
    }
    if (ft_store_adjacency(&s, &err) != FT_OK) {
        ft_cli_fail("paths", &err);
        goto done;
    }
    bool known = ft_cli_accounts_resolve("paths", &s, &from);
    known = ft_cli_accounts_resolve("paths", &s, &to) && known;
    if (!known)
        goto done;
    ft_account_set A = {from.ids, from.n}, B = {to.ids, to.n};
    ft_paths_request rq = {all, static_path, maxflow, limit, currency};
    ft_paths_answer ans;
    if (!ft_cli_prov_begin("paths", stdout, fmt))
        goto done;
    if (ft_paths_report(&s, &o, A, B, &rq, stdout, fmt, &ans, &err) != FT_OK) {
        ft_cli_fail("paths", &err);
        goto done;
    }
    ft_cli_prov_end(stdout, fmt);
    ft_cli_audit_count("found", ans.found);
    ft_cli_audit_count("paths", (int64_t)ans.paths);
    if (ans.more && fmt != FT_FORMAT_TABLE)
        ft_cli_error("paths", "stopped at --limit %u; there may be more paths", limit);
    code = ft_cli_finish("paths", ans.found ? FT_EXIT_OK : FT_EXIT_NONE);
done:
    free(degree);
    ft_cli_accounts_free(&from);
    ft_cli_accounts_free(&to);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
