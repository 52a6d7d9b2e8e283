/*
 * cmd_stats.c - `fundtrace stats`: sizes, totals, degrees, components.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fundtrace/graph.h"
#include "fundtrace/stats.h"

enum { OPT_IGRAPH = OPT_FIRST_COMMAND_OPTION };

static void usage(FILE *f)
{
    fprintf(f, "usage: fundtrace stats [OPTIONS] FILE...|SNAPSHOT\n\n"
               "Rows read, loaded and rejected; accounts; time span; exact totals per\n"
               "currency; self-transfers; in- and out-degree (max, p50, p99); weakly\n"
               "connected components; the top 10 accounts by volume sent and received.\n\n"
               "Options:\n"
               "  --format FMT         table (default), json, jsonl or csv\n"
               "  --igraph             count components with igraph too, and fail if the\n"
               "                       two counts differ (builds the igraph graph)\n"
               "  -q, --quiet          do not show rejected rows on stderr\n"
               "  -h, --help           show this help\n\n" FT_CLI_INPUT_HELP
               "\nExit status: 0 done, 2 usage or input error.\n");
}

static int check_with_igraph(const ft_store *s, const ft_stats *st)
{
    ft_error err;
    igraph_t g;
    int64_t count = 0, largest = 0;
    if (ft_graph_build(&g, s, &err) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        return -1;
    }
    ft_status rc = ft_graph_weak_components(&g, &count, &largest, &err);
    igraph_destroy(&g);
    if (rc != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        return -1;
    }
    if (count != st->components || largest != st->largest_component) {
        ft_cli_error("stats", "igraph counts %lld components (largest %lld), we count %lld "
                     "(largest %lld)",
                     (long long)count, (long long)largest, (long long)st->components,
                     (long long)st->largest_component);
        return -1;
    }
    return 0;
}

int cmd_stats(int argc, char **argv)
{
    static const struct option longopts[] = {
        FT_CLI_INPUT_OPTIONS,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"igraph", no_argument, NULL, OPT_IGRAPH},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ft_cli_input in = {0};
    ft_store s = {0};
    ft_stats st = {0};
    ft_format fmt = FT_FORMAT_TABLE;
    bool use_igraph = false;
    int code = FT_EXIT_ERROR, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        int r = ft_cli_input_option(&in, opt, optarg);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        switch (opt) {
        case OPT_FORMAT:
            if (!ft_cli_format("stats", optarg, false, &fmt))
                goto done;
            break;
        case OPT_IGRAPH:
            use_igraph = true;
            break;
        case 'q':
            in.quiet = true;
            break;
        case 'h':
            usage(stdout);
            code = ft_cli_finish("stats", FT_EXIT_OK);
            goto done;
        default:
            code = ft_cli_bad_option("stats", argv, opt);
            goto done;
        }
    }
    if (optind >= argc) {
        ft_cli_error("stats", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load(&in, argv + optind, argc - optind, &s) != FT_OK)
        goto done;
    ft_error err;
    if (ft_stats_compute(&s, &st, &err) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        goto done;
    }
    if (use_igraph && check_with_igraph(&s, &st) != 0)
        goto done;
    ft_write_stats(stdout, &s, &st, fmt);
    code = ft_cli_finish("stats", FT_EXIT_OK);
done:
    ft_stats_free(&st);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
