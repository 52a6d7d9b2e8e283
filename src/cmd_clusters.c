/*
 * cmd_clusters.c - `fundtrace clusters`: who belongs together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/cluster.h"

enum {
    OPT_METHOD = OPT_FIRST_COMMAND_OPTION,
    OPT_RESOLUTION,
    OPT_SEED,
    OPT_K,
    OPT_AROUND,
    OPT_MIN_SIZE,
    OPT_TOP,
    OPT_ALERTS,
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fundtrace clusters [OPTIONS] FILE...|SNAPSHOT\n\n"
            "Group the accounts: connected components, communities or k-cores, each\n"
            "cluster ranked by the volume that stays inside it, with its members, its\n"
            "volumes inside, in and out, and its time span.\n\n"
            "Options:\n"
            "  --method M          leiden (default), louvain, weak, strong or kcore\n"
            "  --resolution R      leiden, louvain: larger gives smaller communities (1)\n"
            "  --seed N            leiden, louvain: the random seed (1); same seed, same\n"
            "                      clusters\n"
            "  --k K               kcore: the k (default: the largest with a core)\n"
            "  --around A,B        only the clusters holding these accounts\n"
            "  --min-size N        only clusters of at least N accounts (default 2)\n"
            "  --top N             the N first clusters (default 20; 0: all)\n"
            "  --alerts FILE       list the alerts (scan --format jsonl) touching each\n"
            "  --format FMT        table (default), jsonl, json or csv\n"
            "  -q, --quiet         do not show rejected rows on stderr\n"
            "  -h, --help          show this help\n\n" FT_CLI_INPUT_HELP
            "\nCommunities and k-cores use the undirected graph of the accounts with parallel\n"
            "transfers collapsed into one edge weighted by their volume (amounts divided\n"
            "by their currency's median transfer). Exit status: 0 done, 2 error.\n");
}

int cmd_clusters(int argc, char **argv)
{
    static const struct option longopts[] = {
        FT_CLI_INPUT_OPTIONS,
        {"method", required_argument, NULL, OPT_METHOD},
        {"resolution", required_argument, NULL, OPT_RESOLUTION},
        {"seed", required_argument, NULL, OPT_SEED},
        {"k", required_argument, NULL, OPT_K},
        {"around", required_argument, NULL, OPT_AROUND},
        {"min-size", required_argument, NULL, OPT_MIN_SIZE},
        {"top", required_argument, NULL, OPT_TOP},
        {"alerts", required_argument, NULL, OPT_ALERTS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ft_cli_input in = {0};
    ft_store s = {0};
    ft_cluster_options o;
    ft_cluster_defaults(&o);
    ft_format fmt = FT_FORMAT_TABLE;
    uint32_t min_size = 2, top = 20, v;
    const char *alerts_path = NULL;
    ft_cli_accounts around = {0};
    int code = FT_EXIT_ERROR, opt;
    ft_error err;
    ft_clustering c = {0};
    ft_cluster_report rep = {0};
    ft_cluster_alerts ca = {0};
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        int r = ft_cli_input_option(&in, opt, optarg);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        switch (opt) {
        case OPT_METHOD:
            if (!ft_cluster_method_parse(optarg, &o.method)) {
                ft_cli_error("clusters", "--method '%s': leiden, louvain, weak, strong or kcore",
                             optarg);
                goto done;
            }
            break;
        case OPT_RESOLUTION: {
            char *end = NULL;
            o.resolution = strtod(optarg, &end);
            if (end == optarg || *end || !(o.resolution > 0 && o.resolution < 1e6)) {
                ft_cli_error("clusters", "--resolution '%s': a number above 0", optarg);
                goto done;
            }
            break;
        }
        case OPT_SEED:
            if (!ft_cli_uint("clusters", "--seed", optarg, UINT32_MAX, "a whole number", &v))
                goto done;
            o.seed = v;
            break;
        case OPT_K:
            if (!ft_cli_uint("clusters", "--k", optarg, 1000000, "a whole number from 1", &v))
                goto done;
            o.k = (int)v;
            break;
        case OPT_AROUND:
            if (!ft_cli_accounts_add("clusters", &around, optarg))
                goto done;
            break;
        case OPT_MIN_SIZE:
            if (!ft_cli_uint("clusters", "--min-size", optarg, UINT32_MAX, "a whole number",
                             &min_size))
                goto done;
            break;
        case OPT_TOP:
            if (!ft_cli_uint("clusters", "--top", optarg, UINT32_MAX, "a whole number (0: all)",
                             &top))
                goto done;
            break;
        case OPT_ALERTS:
            alerts_path = optarg;
            break;
        case OPT_FORMAT:
            if (!ft_cli_format("clusters", optarg, false, &fmt))
                goto done;
            break;
        case 'q':
            in.quiet = true;
            break;
        case 'h':
            usage(stdout);
            code = ft_cli_finish("clusters", FT_EXIT_OK);
            goto done;
        default:
            code = ft_cli_bad_option("clusters", argv, opt);
            goto done;
        }
    }
    if (optind >= argc) {
        ft_cli_error("clusters", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load(&in, argv + optind, argc - optind, &s) != FT_OK)
        goto done;
    if (!ft_cli_accounts_resolve("clusters", &s, &around))
        goto done;
    if (ft_store_adjacency(&s, &err) != FT_OK || ft_cluster_run(&s, &o, &c, &err) != FT_OK ||
        ft_cluster_report_build(&s, &c, min_size, around.ids, around.n, top, &rep,
                                &err) != FT_OK ||
        (alerts_path && ft_cluster_alerts_read(&s, &rep, &c, alerts_path, &ca, &err) != FT_OK)) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        goto done;
    }
    ft_cluster_write(stdout, &s, &o, &c, &rep, alerts_path ? &ca : NULL, fmt);
    code = ft_cli_finish("clusters", FT_EXIT_OK);
done:
    ft_cli_accounts_free(&around);
    ft_cluster_alerts_free(&ca);
    ft_cluster_report_free(&rep);
    ft_clustering_free(&c);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
