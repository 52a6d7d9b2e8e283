/*
 * cmd_eval.c - `fundtrace eval`: precision, recall and F1 of alerts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fundtrace/eval.h"

int cmd_eval(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    const char *alerts = NULL, *truth = NULL, *data = NULL, *format = "table";
    bool labels = false;
    ft_eval_options eo;
    ft_eval_defaults(&eo);
    const ft_option options[] = {
        FT_OPT_STRING(0, "alerts", &alerts, "FILE",
                      "the alerts, as scan writes them: JSON Lines, a JSON\n"
                      "array or CSV ('-': standard input)"),
        FT_OPT_STRING(0, "truth", &truth, "FILE",
                      "synth's ground truth CSV, AMLSim's\n"
                      "alert_transactions.csv, or an IBM AMLworld\n"
                      "*_Patterns.txt, plain or gzip (recognised by content)"),
        FT_OPT_STRING(0, "data", &data, "FILE",
                      "the IBM data file the patterns come from (needed for\nthem)"),
        FT_OPT_FLAG(0, "labels", &labels,
                    "use the label column of the input files as the truth:\n"
                    "each label is one instance, of any pattern"),
        FT_OPT_DOUBLE(0, "share", &eo.share, "S", 0, 1, FT_OPT_MIN_OPEN,
                      "share of an instance's transactions an alert must cover\n"
                      "to match it (default 0.5)"),
        FT_OPT_DOUBLE(0, "purity", &eo.purity, "S", 0, 1, FT_OPT_MIN_OPEN,
                      "share of the alert's transactions the instance must make\n"
                      "up for a match (default 0.25)"),
        FT_OPT_DOUBLE(0, "planted", &eo.planted, "S", 0, 1, FT_OPT_MIN_OPEN,
                      "an alert is good anyway when this share of its\n"
                      "transactions is planted (default 0.5)"),
        FT_OPT_INT64(0, "top", &eo.top_k, "K", 1, INT64_MAX,
                     "precision at the K highest-scored alerts (default 100)"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats, "table (default), json or jsonl"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "eval",
        .usage = "fundtrace eval --alerts FILE --truth FILE [--data FILE] [OPTIONS]\n"
                 "fundtrace eval --alerts FILE --labels [OPTIONS] FILE...|SNAPSHOT",
        .description =
            "Score alerts (as scan writes them) against a ground truth, per pattern and\n"
            "overall: instances found and true alerts (precision, recall, F1),\n"
            "transactions covered (precision, recall, F1), and the alerts that matched\n"
            "nothing.\n",
        .options = options,
        .epilog = "Exit status: 0 scored, 2 usage or input error.\n",
    };
    ft_store s = {0};
    ft_eval *ev = NULL;
    ft_eval_result res = {0};
    ft_format fmt;
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    if (!alerts || (!truth && !labels)) {
        ft_cli_error("eval", "give --alerts FILE and a truth: --truth FILE or --labels");
        goto done;
    }
    if (labels && nargs == 0) {
        ft_cli_error("eval", "--labels needs the data: give CSV files or a snapshot");
        goto done;
    }
    if (!labels && nargs > 0) {
        ft_cli_error("eval", "unexpected argument '%s' (the data goes with --labels)", argv[1]);
        goto done;
    }
    if (ft_eval_new(&ev, &err) != FT_OK)
        goto fail;
    if (truth && ft_eval_truth_file(ev, truth, data, &err) != FT_OK)
        goto fail;
    if (labels) {
        if (ft_cli_load("eval", &in, argv + 1, nargs, &s) != FT_OK)
            goto done;
        if (ft_eval_truth_labels(ev, &s, &err) != FT_OK)
            goto fail;
    }
    if (ft_eval_alerts(ev, alerts, &err) != FT_OK || ft_eval_score(ev, &eo, &res, &err) != FT_OK)
        goto fail;
    ft_eval_write(stdout, &res, fmt);
    code = ft_cli_finish("eval", FT_EXIT_OK);
    goto done;
fail:
    ft_cli_fail("eval", &err);
done:
    ft_eval_result_free(&res);
    ft_eval_free(ev);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
