/*
 * cmd_clusters.c - `fundtrace clusters`: who belongs together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/cluster.h"

static const char *const methods[] = {"leiden", "louvain", "weak", "strong", "kcore", NULL};

int cmd_clusters(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    ft_cluster_options o;
    ft_cluster_defaults(&o);
    const char *format = "table", *method = ft_cluster_method_name(o.method), *alerts_path = NULL;
    uint32_t min_size = 2, top = 20;
    ft_cli_accounts around = {0};
    const ft_option options[] = {
        FT_OPT_ENUM(0, "method", &method, "M", methods,
                    "leiden (default), louvain, weak, strong or kcore"),
        FT_OPT_DOUBLE(0, "resolution", &o.resolution, "R", 0, 1e6,
                      FT_OPT_MIN_OPEN | FT_OPT_MAX_OPEN,
                      "leiden, louvain: larger gives smaller communities (1)"),
        FT_OPT_UINT64(0, "seed", &o.seed, "N", 0, UINT32_MAX,
                      "leiden, louvain: the random seed (1); same seed, same\nclusters"),
        FT_OPT_INT(0, "k", &o.k, "K", 0, 1000000,
                   "kcore: the k (default: the largest with a core)"),
        FT_OPT_CALLBACK(0, "around", &around, "A,B", ft_cli_opt_accounts,
                        "only the clusters holding these accounts"),
        FT_OPT_UINT(0, "min-size", &min_size, "N", 0, UINT32_MAX,
                    "only clusters of at least N accounts (default 2)"),
        FT_OPT_UINT(0, "top", &top, "N", 0, UINT32_MAX,
                    "the N first clusters (default 20; 0: all)"),
        FT_OPT_STRING(0, "alerts", &alerts_path, "FILE",
                      "list the alerts (scan --format jsonl, json or csv)\ntouching each"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats,
                    "table (default), jsonl, json or csv"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "clusters",
        .usage = "fundtrace clusters [OPTIONS] FILE...|SNAPSHOT",
        .description = "Group the accounts: connected components, communities or k-cores, each\n"
                       "cluster ranked by the volume that stays inside it, with its members, its\n"
                       "volumes inside, in and out, and its time span.\n",
        .options = options,
        .epilog = "Communities and k-cores use the undirected graph of the accounts with parallel\n"
                  "transfers collapsed into one edge weighted by their volume (amounts divided\n"
                  "by their currency's median transfer). Exit status: 0 done, 2 error.\n",
    };
    ft_store s = {0};
    ft_format fmt;
    ft_error err;
    ft_clustering c = {0};
    ft_cluster_report rep = {0};
    ft_cluster_alerts ca = {0};
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    ft_cluster_method_parse(method, &o.method);
    if (nargs == 0) {
        ft_cli_error("clusters", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load("clusters", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (!ft_cli_accounts_resolve("clusters", &s, &around))
        goto done;
    o.progress = ft_cli_progress_advance;
    o.progress_ctx = &in.prog;
    ft_cli_progress_step(&in.prog, "%s clusters", method);
    ft_status rc = ft_store_adjacency(&s, &err);
    if (rc == FT_OK)
        rc = ft_cluster_run(&s, &o, &c, &err);
    ft_cli_progress_step(&in.prog, "ranking the clusters");
    if (rc == FT_OK)
        rc = ft_cluster_report_build(&s, &c, min_size, around.ids, around.n, top, &rep, &err);
    if (rc == FT_OK && alerts_path)
        rc = ft_cluster_alerts_read(&s, &rep, &c, alerts_path, &ca, &err);
    ft_cli_progress_done(&in.prog);
    if (rc != FT_OK) {
        ft_cli_fail("clusters", &err);
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
