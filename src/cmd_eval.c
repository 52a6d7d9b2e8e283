/*
 * cmd_eval.c - `fundtrace eval`: precision, recall and F1 of alerts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/eval.h"

enum {
    OPT_ALERTS = OPT_FIRST_COMMAND_OPTION,
    OPT_TRUTH,
    OPT_DATA,
    OPT_LABELS,
    OPT_SHARE,
    OPT_PURITY,
    OPT_PLANTED,
    OPT_TOP
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fundtrace eval --alerts FILE --truth FILE [--data FILE] [OPTIONS]\n"
            "       fundtrace eval --alerts FILE --labels [OPTIONS] FILE...|SNAPSHOT\n\n"
            "Score alerts (JSON Lines, as scan writes them) against a ground truth, per\n"
            "pattern and overall: instances found and true alerts (precision, recall, F1),\n"
            "transactions covered (precision, recall, F1), and the alerts that matched\n"
            "nothing.\n\n"
            "Options:\n"
            "  --alerts FILE      the alerts, one JSON object per line ('-': standard input)\n"
            "  --truth FILE       synth's ground truth CSV, AMLSim's alert_transactions.csv,\n"
            "                     or an IBM AMLworld *_Patterns.txt (recognised by content)\n"
            "  --data FILE        the IBM data file the patterns come from (needed for them)\n"
            "  --labels           use the label column of the input files as the truth:\n"
            "                     each label is one instance, of any pattern\n"
            "  --share S          share of an instance's transactions an alert must cover\n"
            "                     to match it (default 0.5)\n"
            "  --purity S         share of the alert's transactions the instance must make\n"
            "                     up for a match (default 0.25)\n"
            "  --planted S        an alert is good anyway when this share of its\n"
            "                     transactions is planted (default 0.5)\n"
            "  --top K            precision at the K highest-scored alerts (default 100)\n"
            "  --format FMT       table (default), json or jsonl\n"
            "  -h, --help         show this help\n\n" FT_CLI_INPUT_HELP
            "\nExit status: 0 scored, 2 usage or input error.\n");
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        FT_CLI_INPUT_OPTIONS,
        {"alerts", required_argument, NULL, OPT_ALERTS},
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"data", required_argument, NULL, OPT_DATA},
        {"labels", no_argument, NULL, OPT_LABELS},
        {"share", required_argument, NULL, OPT_SHARE},
        {"purity", required_argument, NULL, OPT_PURITY},
        {"planted", required_argument, NULL, OPT_PLANTED},
        {"top", required_argument, NULL, OPT_TOP},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ft_cli_input in = {0};
    ft_store s = {0};
    ft_eval *ev = NULL;
    ft_eval_result res = {0};
    ft_format fmt = FT_FORMAT_TABLE;
    const char *alerts = NULL, *truth = NULL, *data = NULL;
    bool labels = false;
    ft_eval_options eo;
    ft_eval_defaults(&eo);
    int code = FT_EXIT_ERROR, opt;
    ft_error err;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        int r = ft_cli_input_option(&in, opt, optarg);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        switch (opt) {
        case OPT_ALERTS:
            alerts = optarg;
            break;
        case OPT_TRUTH:
            truth = optarg;
            break;
        case OPT_DATA:
            data = optarg;
            break;
        case OPT_LABELS:
            labels = true;
            break;
        case OPT_SHARE:
        case OPT_PURITY:
        case OPT_PLANTED: {
            char *end = NULL;
            errno = 0;
            double v = strtod(optarg, &end);
            const char *name = opt == OPT_SHARE ? "--share" : opt == OPT_PURITY ? "--purity" : "--planted";
            if (errno || end == optarg || *end || !(v > 0 && v <= 1)) {
                ft_cli_error("eval", "%s '%s': give a share above 0 and at most 1", name, optarg);
                goto done;
            }
            *(opt == OPT_SHARE ? &eo.share : opt == OPT_PURITY ? &eo.purity : &eo.planted) = v;
            break;
        }
        case OPT_TOP: {
            char *end = NULL;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1) {
                ft_cli_error("eval", "--top '%s': give a whole number of alerts, 1 or more", optarg);
                goto done;
            }
            eo.top_k = v;
            break;
        }
        case OPT_FORMAT:
            if (!ft_cli_format("eval", optarg, false, &fmt))
                goto done;
            break;
        case 'q':
            in.quiet = true;
            break;
        case 'h':
            usage(stdout);
            code = ft_cli_finish("eval", FT_EXIT_OK);
            goto done;
        default:
            code = ft_cli_bad_option("eval", argv, opt);
            goto done;
        }
    }
    if (!alerts || (!truth && !labels)) {
        ft_cli_error("eval", "give --alerts FILE and a truth: --truth FILE or --labels");
        goto done;
    }
    if (labels && optind >= argc) {
        ft_cli_error("eval", "--labels needs the data: give CSV files or a snapshot");
        goto done;
    }
    if (!labels && optind < argc) {
        ft_cli_error("eval", "unexpected argument '%s' (the data goes with --labels)",
                     argv[optind]);
        goto done;
    }
    if (ft_eval_new(&ev, &err) != FT_OK)
        goto fail;
    if (truth && ft_eval_truth_file(ev, truth, data, &err) != FT_OK)
        goto fail;
    if (labels) {
        if (ft_cli_load(&in, argv + optind, argc - optind, &s) != FT_OK)
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
    fprintf(stderr, "fundtrace: %s\n", err.msg);
done:
    ft_eval_result_free(&res);
    ft_eval_free(ev);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
