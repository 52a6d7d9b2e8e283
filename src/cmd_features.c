/*
 * cmd_features.c - `fundtrace features`: one row of numbers per
 * transaction, as CSV or a float32 matrix. Also the feature options and
 * the labels that learn and scan --model share with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/eval.h"
#include "fundtrace/features.h"
#include "fundtrace/rules.h"

int ft_cli_features_opts(const char *cmd, const char *windows, const char *rules_path,
                         const ft_cli_list *sets, ft_features_opts *o)
{
    ft_error err;
    ft_features_defaults(o);
    if (windows && ft_features_set_windows(o, windows, &err) != FT_OK) {
        ft_cli_error(cmd, "--windows: %s", err.msg);
        return -1;
    }
    /* The rules file's [params] first, then --set: the command line wins. */
    if (rules_path) {
        ft_rules *r = NULL;
        double min_score = o->scan.min_score;
        ft_status rc = ft_rules_load(&r, rules_path, &o->scan, &err);
        ft_rules_free(r);
        o->scan.rules = NULL;
        if (rc != FT_OK) {
            ft_cli_fail(cmd, &err);
            return -1;
        }
        /* a rules file's reporting score is the scan's, not the features' */
        o->scan.min_score = min_score;
    }
    for (size_t i = 0; sets && i < sets->n; i++)
        if (ft_scan_param_assign(&o->scan, sets->v[i], &err) != FT_OK) {
            ft_cli_error(cmd, "--set %s", err.msg);
            return -1;
        }
    return 0;
}

int ft_cli_labels(const char *cmd, const ft_store *s, const char *truth, const char *data,
                  uint8_t **label)
{
    ft_error err;
    ft_eval *ev = NULL;
    *label = calloc((size_t)s->t.n + 1, 1);
    if (!*label) {
        ft_cli_error(cmd, "out of memory");
        return -1;
    }
    if (!truth) {
        for (int64_t i = 0; s->t.label && i < s->t.n; i++)
            (*label)[i] = s->t.label[i] != 0;
        return 0;
    }
    uint64_t matched = 0;
    if (ft_eval_new(&ev, &err) != FT_OK || ft_eval_truth_file(ev, truth, data, &err) != FT_OK ||
        ft_eval_truth_mark(ev, s, *label, &matched, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        ft_eval_free(ev);
        free(*label);
        *label = NULL;
        return -1;
    }
    ft_eval_free(ev);
    if (matched == 0) {
        ft_cli_error(cmd,
                     "%s: none of its transactions is in the data (are they the ids the "
                     "data names its rows by?)",
                     truth);
        free(*label);
        *label = NULL;
        return -1;
    }
    return 0;
}

/* The run's id for --shard: its command line without the output, which
 * each part names apart (-o FILE, -oFILE, --output FILE, --output=FILE). */
static uint64_t run_id(int argc, char **argv)
{
    char **v = malloc((size_t)(argc + 1) * sizeof *v);
    if (!v)
        return ft_shard_run_id(argc, argv);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i > 0 && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)) {
            i++;
            continue;
        }
        if (i > 0 && ((a[0] == '-' && a[1] == 'o') || strncmp(a, "--output=", 9) == 0))
            continue;
        v[n++] = argv[i];
    }
    v[n] = NULL;
    uint64_t id = ft_shard_run_id(n, v);
    free(v);
    return id;
}

int cmd_features(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    const char *out = "-", *format = "csv", *windows = NULL, *rules_path = NULL, *truth = NULL,
               *data = NULL;
    uint32_t threads = 1;
    ft_shard shard = {0};
    ft_cli_list sets = {0};
    static const char *const formats[] = {"csv", "matrix", NULL};
    const ft_option options[] = {
        FT_OPT_STRING('o', "output", &out, "FILE", "write here (default standard output)"),
        FT_OPT_ENUM(0, "format", &format, "FMT", formats,
                    "csv (default), or matrix: a header and float32 rows\n"
                    "in the snapshot's order (fundtrace-features(1))"),
        FT_OPT_STRING(0, "windows", &windows, "LIST",
                      "the windows of the degree and fan columns (default\n"
                      "1d,7d,30d; at most 8)"),
        FT_OPT_STRING(0, "rules", &rules_path, "FILE",
                      "the detector parameters of a rules file's [params]"),
        FT_OPT_LIST(0, "set", &sets, "NAME=VALUE",
                    "a detector parameter, as scan takes it (default\n"
                    "scan.min_score=0: every candidate); repeatable"),
        FT_OPT_STRING(0, "truth", &truth, "FILE",
                      "label the rows from a truth file eval reads (default:\n"
                      "the data's label column, when it has one)"),
        FT_OPT_STRING(0, "data", &data, "FILE", "the IBM data file of a patterns truth file"),
        FT_OPT_UINT(0, "threads", &threads, "N", 1, 64,
                    "run on N threads (default 1); the same bytes for any N"),
        FT_OPT_CALLBACK(0, "shard", &shard, "I/N", ft_cli_opt_shard,
                        "write the I-th of N blocks of the rows behind a header\n"
                        "line; 'fundtrace merge' of all N parts writes what one\n"
                        "run writes (each part computes the whole data's\n"
                        "context: the scan and the accounts' histories)"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "features",
        .usage = "fundtrace features [OPTIONS] [-o FILE] FILE...|SNAPSHOT",
        .description =
            "Write one row of numbers per transaction: its amount against its accounts'\n"
            "everyday amounts, the time since each account's last transfer, its pair's\n"
            "history, the scan profile's flags, both accounts' transfers and\n"
            "counterparties within each window, the cycles it lies on, its\n"
            "scatter-gather and gather-scatter memberships, and the score of every\n"
            "detector that covers it. fundtrace-features(1) defines every column.\n",
        .options = options,
        .epilog = "Exit status: 0 written, 2 usage or input error.\n",
    };
    ft_store s = {0};
    ft_features_opts fo;
    ft_features *f = NULL;
    uint8_t *label = NULL;
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    if (ft_cli_features_opts("features", windows, rules_path, &sets, &fo) != 0)
        goto done;
    if (nargs == 0) {
        ft_cli_error("features", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_load("features", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if ((truth || s.t.label) && ft_cli_labels("features", &s, truth, data, &label) != 0)
        goto done;
    ft_cli_progress_step(&in.prog, "computing the features");
    ft_status rc = ft_store_adjacency(&s, &err);
    if (rc == FT_OK)
        rc = ft_features_compute(&s, &fo, (int)threads, &f, &err);
    if (rc == FT_OK) {
        ft_cli_progress_step(&in.prog, "writing %lld rows", (long long)s.t.n);
        rc = ft_features_write_part(f, label, out, strcmp(format, "csv") == 0, &shard,
                                    run_id(argc, argv), (int)threads, &err);
    }
    ft_cli_progress_done(&in.prog);
    if (rc != FT_OK) {
        ft_cli_fail("features", &err);
        goto done;
    }
    uint64_t lo = 0, hi = (uint64_t)s.t.n;
    if (shard.count)
        ft_shard_range(&shard, hi, &lo, &hi);
    if (!in.quiet && strcmp(out, "-") != 0)
        fprintf(stderr, "fundtrace features: %llu rows of %u columns written to %s\n",
                (unsigned long long)(hi - lo), ft_features_ncols(&fo), out);
    code = ft_cli_finish("features", FT_EXIT_OK);
done:
    ft_cli_list_free(&sets);
    ft_features_free(f);
    free(label);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
