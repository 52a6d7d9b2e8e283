/*
 * main.c - the fundtrace program: one command table, git-style.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
    {"report", cmd_report, "a self-contained HTML case file: a trace, alerts or a cluster"},
    {"verify", cmd_verify, "check that data is what an output was made from (SHA-256)"},
    {"audit", cmd_audit, "verify the tamper-evident audit log; searches per case and account"},
    {"match", cmd_match, "the pseudonymised accounts two parties' outputs share"},
    {"features", cmd_features, "per-transaction graph features, as CSV or a matrix"},
    {"learn", cmd_learn, "train a gradient-boosted model on labelled transfers"},
    {"tune", cmd_tune, "search the detectors' parameters on labelled data"},
    {"study", cmd_study, "pooled against siloed scans: what each finds, what each exposes"},
    {"help", cmd_help, "show a command's manual page (or its --help)"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: fundtrace [--version] [--help] COMMAND [ARGS]\n\n"
               "Follow money through transaction data and flag suspicious patterns.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nRun 'fundtrace COMMAND --help' for a command's options, 'fundtrace help COMMAND'\n"
            "for its manual page (man fundtrace-COMMAND once installed).\n");
}

static const struct cmd *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Whether path is a file we can read. */
static bool readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The man page of `page` (fundtrace or fundtrace-CMD): beside the program
 * in an install tree (bin/../share/man), where this build installs it,
 * or in the source tree this program was built from; the source first
 * for a program still in its build tree. */
static bool find_page(const char *page, char *out, size_t cap)
{
    char exe[4096], dir[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(dir, sizeof dir, "%s", exe);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    bool in_build = strcmp(exe, FT_BUILD_DIR "/fundtrace") == 0;
    const char *source = FT_SOURCE_DIR "/man/%s.1", *installed = FT_MANDIR "/man1/%s.1";
    const char *order[] = {in_build ? source : "%s/../share/man/man1/%s.1",
                           in_build ? "%s/../share/man/man1/%s.1" : installed,
                           in_build ? installed : source};
    for (int i = 0; i < 3; i++) {
        if (strncmp(order[i], "%s/", 3) == 0)
            snprintf(out, cap, order[i], dir, page);
        else
            snprintf(out, cap, order[i], page);
        if (readable(out))
            return true;
    }
    return false;
}

/* `fundtrace help CMD`: on a terminal, the command's man page (man -l);
 * otherwise, or without man or the page, its --help. */
static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return ft_cli_finish("help", FT_EXIT_OK);
    }
    const struct cmd *c = find(argv[1]);
    bool self = strcmp(argv[1], "fundtrace") == 0;
    if ((!c || c->fn == cmd_help) && !self) {
        ft_cli_error("help", "no command '%s'", argv[1]);
        return FT_EXIT_ERROR;
    }
    char page[64], path[4096];
    snprintf(page, sizeof page, self ? "fundtrace" : "fundtrace-%s", argv[1]);
    if (isatty(STDOUT_FILENO) && find_page(page, path, sizeof path)) {
        fflush(stdout);
        execlp("man", "man", "-l", path, (char *)NULL);
        /* no man: the --help below */
    }
    if (self) {
        usage(stdout);
        return ft_cli_finish("help", FT_EXIT_OK);
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
    int code = ft_cli_audit_start(c->name, &argc, argv);
    if (code >= 0)
        return code;
    ft_cli_run_start(c->name, argc, argv);
    return ft_cli_run_end(c->fn(argc - 1, argv + 1));
}
