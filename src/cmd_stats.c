/*
 * cmd_stats.c - `fundtrace stats`: sizes, totals, degrees, components.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fundtrace/stats.h"

int cmd_stats(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    const char *format = "table";
    bool use_igraph = false;
    const ft_option options[] = {
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats,
                    "table (default), json, jsonl or csv"),
        FT_OPT_FLAG(0, "igraph", &use_igraph,
                    "count components with igraph too, and fail if the\n"
                    "two counts differ (builds the igraph graph)"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "stats",
        .usage = "fundtrace stats [OPTIONS] FILE...|SNAPSHOT",
        .description = "Rows read, loaded and rejected; accounts; time span; exact totals per\n"
                       "currency; self-transfers; in- and out-degree (max, p50, p99); weakly\n"
                       "connected components; the top 10 accounts by volume sent and received.\n",
        .options = options,
        .epilog = "Exit status: 0 done, 2 usage or input error.\n",
    };
    ft_store s = {0};
    ft_stats st = {0};
    ft_format fmt;
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    if (nargs == 0) {
        ft_cli_error("stats", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load("stats", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (ft_stats_compute(&s, &st, &err) != FT_OK ||
        (use_igraph && ft_stats_check_igraph(&s, &st, &err) != FT_OK)) {
        ft_cli_fail("stats", &err);
        goto done;
    }
    ft_write_stats(stdout, &s, &st, fmt);
    code = ft_cli_finish("stats", FT_EXIT_OK);
done:
    ft_stats_free(&st);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
