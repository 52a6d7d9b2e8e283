/*
 * main.c - the fundtrace program: one command table, git-style.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int cmd_help(int argc, char **argv);

static const struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"load", cmd_load, "read CSV files, report counts and rejects, write a snapshot"},
    {"stats", cmd_stats, "sizes, time span, totals per currency, degrees and components"},
    {"trace", cmd_trace, "follow money from seed accounts, forward or back in time"},
    {"paths", cmd_paths, "time-respecting paths and maximum flows between accounts"},
    {"scan", cmd_scan, "flag patterns of laundering and terrorist financing"},
    {"clusters", cmd_clusters, "components, communities and k-cores, ranked, with their volumes"},
    {"export", cmd_export, "a neighbourhood, trace, alert or cluster as GraphML, GEXF, DOT, CSV"},
    {"synth", cmd_synth, "write labelled synthetic transactions with planted patterns"},
    {"eval", cmd_eval, "precision, recall and F1 of alerts against a ground truth"},
    {"merge", cmd_merge, "join the parts of a run sharded with --shard I/N"},
    {"help", cmd_help, "show the help of a command"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: fundtrace [--version] [--help] COMMAND [ARGS]\n\n"
               "Follow money through transaction data and flag suspicious patterns.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'fundtrace COMMAND --help' for a command's options; 'man fundtrace' for "
               "more.\n");
}

static const struct cmd *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return ft_cli_finish("help", FT_EXIT_OK);
    }
    const struct cmd *c = find(argv[1]);
    if (!c || c->fn == cmd_help) {
        ft_cli_error("help", "no command '%s'", argv[1]);
        return FT_EXIT_ERROR;
    }
    char *args[] = {(char *)c->name, "--help", NULL};
    return c->fn(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FT_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return ft_cli_finish("help", FT_EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("fundtrace %s\n", FT_VERSION);
        return ft_cli_finish("version", FT_EXIT_OK);
    }
    const struct cmd *c = find(argv[1]);
    if (!c) {
        fprintf(stderr, "fundtrace: '%s' is not a command; see 'fundtrace --help'\n", argv[1]);
        return FT_EXIT_ERROR;
    }
    return c->fn(argc - 1, argv + 1);
}
