/*
 * cmd_tune.c - `fundtrace tune`: search the detectors' parameters on
 * labelled data and write them as a rules file's [params].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/eval.h"
#include "fundtrace/rules.h"
#include "fundtrace/tune.h"

static void help_tail(FILE *f)
{
    fprintf(f, "\nThe ranges searched, in this order (fundtrace-tune(1)):\n");
    for (const ft_tune_range *r = ft_tune_ranges; r->name; r++) {
        fprintf(f, "  %-28s", r->name);
        for (int v = 0; v < r->nvalues; v++)
            fprintf(f, " %g", r->values[v]);
        fputc('\n', f);
    }
}

int cmd_tune(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    const char *out = "-", *truth = NULL, *data = NULL, *rules_path = NULL;
    bool labels = false, keep_min_score = false;
    uint32_t threads = 1, passes = 2;
    ft_tune_opts to;
    ft_tune_defaults(&to);
    ft_cli_list sets = {0}, only = {0};
    const ft_option options[] = {
        FT_OPT_STRING('o', "output", &out, "FILE",
                      "write the rules file here (default standard output)"),
        FT_OPT_STRING(0, "truth", &truth, "FILE", "the labelled cases: a truth file eval reads"),
        FT_OPT_STRING(0, "data", &data, "FILE", "the IBM data file of a patterns truth file"),
        FT_OPT_FLAG(0, "labels", &labels,
                    "the labelled cases are the data's label column (each\n"
                    "label one instance)"),
        FT_OPT_DOUBLE(0, "max-alerts-per-100k", &to.max_alerts_per_100k, "N", 0, 1e5,
                      FT_OPT_MIN_OPEN,
                      "the best recall with at most N alerts per 100,000\n"
                      "transfers (default: the best F1)"),
        FT_OPT_LIST(0, "only", &only, "KIND,...", "search only these detectors' parameters"),
        FT_OPT_FLAG(0, "keep-min-score", &keep_min_score, "do not search scan.min_score"),
        FT_OPT_UINT(0, "passes", &passes, "N", 1, 20,
                    "at most N passes over the parameters (default 2)"),
        FT_OPT_STRING(0, "rules", &rules_path, "FILE", "start from a rules file's [params]"),
        FT_OPT_LIST(0, "set", &sets, "NAME=VALUE", "start from this parameter value; repeatable"),
        FT_OPT_UINT(0, "threads", &threads, "N", 1, 64,
                    "scan on N threads (default 1); the same result for any N"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress or rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "tune",
        .usage = "fundtrace tune (--truth FILE | --labels) [-o RULES] [OPTIONS] FILE...|SNAPSHOT",
        .description =
            "Search each detector's parameters on labelled data for the best F1 of its\n"
            "pattern (or the best recall within an alert budget), one parameter at a\n"
            "time over the ranges of fundtrace-tune(1), a whole scan scored by eval for\n"
            "each value; write the result as a rules file's [params], with the\n"
            "figures reached as comments (fundtrace scan --rules reads it).\n",
        .options = options,
        .epilog = "Exit status: 0 written, 2 usage or input error.\n",
        .epilog_fn = help_tail,
    };
    ft_store s = {0};
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_rules *rules = NULL;
    ft_eval *ev = NULL;
    ft_tune_result res = {0};
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    if (!truth == !labels) {
        ft_cli_error("tune", "give the labelled cases: --truth FILE or --labels");
        goto done;
    }
    if (nargs == 0) {
        ft_cli_error("tune", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (rules_path && ft_rules_load(&rules, rules_path, &p, &err) != FT_OK) {
        ft_cli_fail("tune", &err);
        goto done;
    }
    for (size_t i = 0; i < sets.n; i++)
        if (ft_scan_param_assign(&p, sets.v[i], &err) != FT_OK) {
            ft_cli_error("tune", "--set %s", err.msg);
            goto done;
        }
    if (only.n) {
        /* the kinds any --only names, read as scan reads them */
        for (int k = 0; k < FT_PAT_COUNT; k++)
            to.kinds[k] = false;
        for (size_t i = 0; i < only.n; i++) {
            ft_scan_params one;
            ft_scan_defaults(&one);
            for (int k = 0; k < FT_PAT_COUNT; k++)
                one.enabled[k] = true;
            if (ft_scan_only(&one, only.v[i], &err) != FT_OK) {
                ft_cli_error("tune", "--only: %s", err.msg);
                goto done;
            }
            for (int k = 0; k < FT_PAT_COUNT; k++)
                to.kinds[k] = to.kinds[k] || one.enabled[k];
        }
    }
    to.min_score = !keep_min_score;
    to.passes = (int)passes;
    to.threads = (int)threads;
    if (ft_cli_load("tune", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (ft_eval_new(&ev, &err) != FT_OK ||
        (truth && ft_eval_truth_file(ev, truth, data, &err) != FT_OK) ||
        (labels && ft_eval_truth_labels(ev, &s, &err) != FT_OK) ||
        ft_store_adjacency(&s, &err) != FT_OK) {
        ft_cli_fail("tune", &err);
        goto done;
    }
    if (in.prog.on) {
        to.progress = ft_cli_progress_advance;
        to.progress_ctx = &in.prog;
    }
    ft_cli_progress_step(&in.prog, "scans with other parameters");
    ft_status rc = ft_tune_run(&s, ev, &p, &to, &res, &err);
    ft_cli_progress_done(&in.prog);
    char what[512];
    snprintf(what, sizeof what, "%s", argv[1]);
    for (int i = 2; i <= nargs && strlen(what) < 400; i++)
        snprintf(what + strlen(what), sizeof what - strlen(what), " %s", argv[i]);
    if (rc != FT_OK ||
        ft_tune_write(&res, &to, what, truth ? truth : "the data's labels", out, &err) != FT_OK) {
        ft_cli_fail("tune", &err);
        goto done;
    }
    if (!in.quiet) {
        const ft_eval_row *b = &res.start.rows[res.start.nrows - 1],
                          *e = &res.end.rows[res.end.nrows - 1];
        fprintf(stderr,
                "fundtrace tune: %d scans, %d parameter%s changed; overall F1 %.3f -> %.3f, "
                "recall %.3f -> %.3f, %.2f -> %.2f alerts per 100,000 transfers\n",
                res.scans, res.nchanges, res.nchanges == 1 ? "" : "s", b->f1 < 0 ? 0 : b->f1,
                e->f1 < 0 ? 0 : e->f1, b->recall < 0 ? 0 : b->recall, e->recall < 0 ? 0 : e->recall,
                res.start_per_100k, res.end_per_100k);
    }
    code = ft_cli_finish("tune", FT_EXIT_OK);
done:
    ft_cli_list_free(&sets);
    ft_cli_list_free(&only);
    ft_tune_result_free(&res);
    ft_eval_free(ev);
    ft_rules_free(rules);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
