/*
 * cmd_learn.c - `fundtrace learn`: train a gradient-boosted tree model on
 * labelled transfers and write it to a model file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/learn.h"
#include "fundtrace/rules.h"
#include "fundtrace/time.h"

int ft_cli_model_open(const char *cmd, const char *path, const char *rules_path,
                      const ft_cli_list *sets, bool other_options, ft_model *m)
{
    ft_error err;
    if (other_options) {
        ft_cli_error(cmd, "--model: the model decides what is flagged; --only and --min-score "
                          "do not apply");
        return -1;
    }
    if (ft_model_read(m, path, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        return -1;
    }
    /* --rules' [params] and --set may restate the model's settings, never
     * change them. */
    ft_features_opts o = m->opts;
    if (rules_path) {
        ft_rules *r = NULL;
        double min_score = o.scan.min_score;
        ft_status rc = ft_rules_load(&r, rules_path, &o.scan, &err);
        ft_rules_free(r);
        o.scan.rules = NULL;
        o.scan.min_score = min_score;
        if (rc != FT_OK) {
            ft_cli_fail(cmd, &err);
            ft_model_free(m);
            return -1;
        }
    }
    for (size_t i = 0; i < sets->n; i++)
        (void)ft_scan_param_assign(&o.scan, sets->v[i], &err); /* scan reported a bad one */
    if (ft_model_check(m, &o, path, &err) != FT_OK) {
        ft_cli_fail(cmd, &err);
        ft_model_free(m);
        return -1;
    }
    return 0;
}

int cmd_learn(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    const char *out = NULL, *truth = NULL, *data = NULL, *windows = NULL, *rules_path = NULL;
    bool labels = false;
    uint32_t threads = 1;
    int64_t group_window = 0;
    ft_learn_opts lo;
    ft_learn_defaults(&lo);
    uint64_t seed = lo.seed;
    uint32_t max_rounds = (uint32_t)lo.max_rounds, patience = (uint32_t)lo.patience,
             depth = (uint32_t)lo.max_depth;
    ft_cli_list sets = {0};
    const ft_option options[] = {
        FT_OPT_STRING('o', "output", &out, "MODEL", "write the model here (required)"),
        FT_OPT_STRING(0, "truth", &truth, "FILE",
                      "the labelled transfers: a truth file eval reads\n"
                      "(synth's, AMLSim's alert_transactions.csv, IBM's\n"
                      "patterns with --data)"),
        FT_OPT_STRING(0, "data", &data, "FILE", "the IBM data file of a patterns truth file"),
        FT_OPT_FLAG(0, "labels", &labels,
                    "the labelled transfers are those of the data's label column"),
        FT_OPT_DOUBLE(0, "validate", &lo.validate, "SHARE", 0, 1, FT_OPT_MIN_OPEN | FT_OPT_MAX_OPEN,
                      "the later share of the transfers, by time, that\n"
                      "validates (default 0.3); the earlier ones train"),
        FT_OPT_DOUBLE(0, "negatives", &lo.negatives, "SHARE", 0, 1, FT_OPT_MIN_OPEN,
                      "train on this share of the unlabelled earlier\n"
                      "transfers (default 1: all; 0.1 trains about ten times\n"
                      "faster on data with few labelled ones)"),
        FT_OPT_DOUBLE(0, "variants", &lo.variants, "W", 0, 100, 0,
                      "each labelled training transfer also trains as six\n"
                      "variants, each with one group of its features (amount,\n"
                      "timing, relation, activity, cycles, patterns) taken\n"
                      "from an ordinary transfer; together they weigh W times\n"
                      "the transfer (default 1; 0: none)"),
        FT_OPT_UINT(0, "rounds", &max_rounds, "N", 1, 100000,
                    "at most N boosting rounds (default 300)"),
        FT_OPT_UINT(0, "patience", &patience, "N", 1, 100000,
                    "stop after N rounds without a better validation\n"
                    "AUC-PR (default 30)"),
        FT_OPT_UINT(0, "depth", &depth, "N", 1, 20, "the depth of a tree (default 6)"),
        FT_OPT_DOUBLE(0, "eta", &lo.eta, "R", 0, 1, FT_OPT_MIN_OPEN,
                      "the learning rate (default 0.3)"),
        FT_OPT_UINT64(0, "seed", &seed, "N", 0, UINT64_MAX,
                      "XGBoost's seed (default 1): the same seed, data and\n"
                      "options give the same model bytes"),
        FT_OPT_DURATION(0, "group-window", &group_window, "DUR",
                        "scan --model joins flagged transfers that share an\n"
                        "account and are at most DUR apart into one alert\n"
                        "(default 30d)"),
        FT_OPT_STRING(0, "windows", &windows, "LIST", "the features' windows (default 1d,7d,30d)"),
        FT_OPT_STRING(0, "rules", &rules_path, "FILE",
                      "the detector parameters of a rules file's [params]"),
        FT_OPT_LIST(0, "set", &sets, "NAME=VALUE",
                    "a detector parameter of the features; repeatable"),
        FT_OPT_UINT(0, "threads", &threads, "N", 1, 64,
                    "run on N threads (default 1); the same model for any N"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress or rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "learn",
        .usage = "fundtrace learn (--truth FILE | --labels) -o MODEL [OPTIONS] FILE...|SNAPSHOT",
        .description = "Train a gradient-boosted tree model (XGBoost) on the features of every\n"
                       "transfer (fundtrace-features(1)) against labelled ones: the earlier\n"
                       "transfers train, the later ones validate; the threshold is the score with\n"
                       "the best F1 on the validation part. Prints the validation figures and the\n"
                       "features that gained the model most; `fundtrace scan --model MODEL` then\n"
                       "flags transfers with it.\n",
        .options = options,
        .epilog = "Exit status: 0 written, 2 usage or input error.\n",
    };
    ft_store s = {0};
    ft_model m = {0};
    ft_learn_report rep;
    uint8_t *label = NULL;
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    if (!out) {
        ft_cli_error("learn", "give the model file to write: -o MODEL");
        goto done;
    }
    if (!truth == !labels) {
        ft_cli_error("learn", "give the labelled transfers: --truth FILE or --labels");
        goto done;
    }
    if (nargs == 0) {
        ft_cli_error("learn", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (ft_cli_features_opts("learn", windows, rules_path, &sets, &lo.features) != 0)
        goto done;
    lo.seed = seed;
    lo.max_rounds = (int)max_rounds;
    lo.patience = (int)patience;
    lo.max_depth = (int)depth;
    lo.threads = (int)threads;
    if (group_window > 0)
        lo.group_window_ms = group_window;
    if (ft_cli_load("learn", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (labels && !s.t.label) {
        ft_cli_error("learn", "--labels: the data has no label column");
        goto done;
    }
    if (ft_cli_labels("learn", &s, truth, data, &label) != 0)
        goto done;
    if (in.prog.on) {
        lo.progress = ft_cli_progress_advance;
        lo.progress_ctx = &in.prog;
    }
    ft_cli_progress_step(&in.prog, "computing the features, then boosting rounds");
    ft_status rc = ft_store_adjacency(&s, &err);
    if (rc == FT_OK)
        rc = ft_learn(&s, label, &lo, &m, &rep, &err);
    ft_cli_progress_done(&in.prog);
    if (rc != FT_OK || ft_model_write(&m, out, &err) != FT_OK) {
        ft_cli_fail("learn", &err);
        goto done;
    }
    char from[40];
    ft_time_format(m.validate_from_ms, from, sizeof from);
    printf("trained on %lld transfers (%lld labelled) before %s; validated on %lld (%lld "
           "labelled) from then on\n",
           (long long)m.train_rows, (long long)m.train_positives, from, (long long)m.validate_rows,
           (long long)m.validate_positives);
    printf("%d boosting rounds; threshold %.4g flags %lld validation transfers\n", m.rounds,
           m.threshold, (long long)rep.validate_flagged);
    printf("validation, per transfer: precision %.3f, recall %.3f, F1 %.3f\n", m.precision,
           m.recall, m.f1);
    printf("top features (share of the total gain):\n");
    for (int i = 0; i < rep.ntop; i++)
        printf("  %-24s %.3f\n", rep.top_name[i], rep.top_gain[i]);
    if (!in.quiet)
        fprintf(stderr, "fundtrace learn: model written to %s\n", out);
    code = ft_cli_finish("learn", FT_EXIT_OK);
done:
    ft_cli_list_free(&sets);
    ft_model_free(&m);
    free(label);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
