/*
 * cmd_study.c - `fundtrace study`: what a pooled scan finds against
 * siloed ones, and what each shows to parties abroad (study.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/study.h"
#include "fundtrace/study_report.h"
#include "fundtrace/writer.h"

/* --json-out FILE: the document --format json prints, to a file; false
 * (reported) on failure. */
static bool write_json(const char *path, const ft_store *s, const ft_study_result *r)
{
    ft_error err;
    ft_writer w = {0};
    ft_status rc = ft_writer_open(&w, path, false, &err);
    FILE *f = rc == FT_OK ? ft_writer_stream(&w) : NULL;
    if (rc == FT_OK && !f)
        rc = ft_error_oom(&err);
    if (rc == FT_OK && !ft_cli_prov_begin("study", f, FT_FORMAT_JSON)) {
        ft_writer_abort(&w);
        return false;
    }
    if (rc == FT_OK) {
        ft_study_write(f, s, r, FT_FORMAT_JSON);
        ft_cli_prov_end(f, FT_FORMAT_JSON);
        rc = ft_writer_close(&w, &err);
    }
    if (rc != FT_OK) {
        ft_writer_abort(&w);
        ft_cli_fail("study", &err);
    }
    return rc == FT_OK;
}

/* --html FILE: the report (study_report.h); CPU seconds only when the
 * run's time is not fixed by SOURCE_DATE_EPOCH, so that a reproducible
 * run makes the same bytes. */
static ft_status write_html(const char *path, const ft_store *s, const ft_study_result *r,
                            ft_error *err)
{
    bool fixed;
    ft_prov_now_ms(&fixed);
    ft_study_html_options o = {.prov = ft_cli_prov_off ? NULL : &ft_cli_prov, .cpu = !fixed};
    ft_writer w = {0};
    ft_status rc = ft_writer_open(&w, path, false, err);
    FILE *f = rc == FT_OK ? ft_writer_stream(&w) : NULL;
    if (rc == FT_OK && !f)
        rc = ft_error_oom(err);
    if (rc == FT_OK)
        rc = ft_study_html(f, s, r, &o, err);
    if (rc != FT_OK) {
        ft_writer_abort(&w);
        return rc;
    }
    return ft_writer_close(&w, err);
}

int cmd_study(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    const char *truth = NULL, *data = NULL, *map = NULL, *format = "table";
    const char *html = NULL, *json_out = NULL;
    ft_cli_list sets = {0};
    ft_study_options o;
    ft_scan_defaults(&o.scan);
    ft_eval_defaults(&o.eval);
    o.match_rounds = 1;
    uint32_t threads = 1;
    ft_cli_accounts from = {0};
    const char *direction = "out", *policy = "haircut";
    static const char *const directions[] = {"out", "in", NULL};
    static const char *const policies[] = {"poison", "haircut", "fifo", "lifo", NULL};
    ft_trace_options to;
    ft_trace_defaults(&to);
    const ft_option options[] = {
        FT_OPT_STRING(0, "truth", &truth, "FILE",
                      "score against this truth, as eval reads it: synth's\n"
                      "ground truth CSV, AMLSim's alert_transactions.csv, or an\n"
                      "IBM AMLworld *_Patterns.txt (with --data)"),
        FT_OPT_STRING(0, "data", &data, "FILE", "the IBM data file the patterns come from"),
        FT_OPT_STRING(0, "jurisdiction-map", &map, "FILE",
                      "bank_or_prefix,jurisdiction lines: a bank id (or a key's\n"
                      "start, ending in '*') and its jurisdiction; '-' is\n"
                      "outside every jurisdiction (default: the key's country)"),
        FT_OPT_LIST(0, "set", &sets, "NAME=VALUE", "a detector parameter, as scan's --set"),
        FT_OPT_INT(0, "match-rounds", &o.match_rounds, "N", 0, 1000,
                   "federated: N rounds of match queries and answers, each\n"
                   "followed by the asking parties' scans (default 1; 0: until\n"
                   "no party has a new question)"),
        FT_OPT_UINT(0, "threads", &threads, "N", 1, 64,
                    "run each scan on N threads (default 1); the same figures"),
        FT_OPT_GROUP("Traces"),
        FT_OPT_CALLBACK(0, "from", &from, "A,B", ft_cli_opt_accounts,
                        "trace from these accounts, pooled, siloed and\n"
                        "federated; repeatable"),
        FT_OPT_CALLBACK(0, "seeds", &from, "FILE", ft_cli_opt_accounts_file,
                        "trace from the accounts in FILE, one a line (as\n"
                        "trace --seeds)"),
        FT_OPT_ENUM(0, "direction", &direction, "D", directions,
                    "out (default: where the money went) or in"),
        FT_OPT_ENUM(0, "policy", &policy, "P", policies, "poison, haircut (default), fifo or lifo"),
        FT_OPT_INT(0, "hops", &to.max_hops, "K", 1, 1000,
                   "follow money at most K hops (default 6)"),
        FT_OPT_GROUP("Output"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats, "table (default), json or jsonl"),
        FT_OPT_STRING(0, "html", &html, "FILE",
                      "also write the study as one self-contained HTML page:\n"
                      "every figure in tables, charts, the provenance"),
        FT_OPT_STRING(0, "json-out", &json_out, "FILE",
                      "also write the JSON document that --format json\n"
                      "prints (provenance and every figure) to FILE"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_PROVENANCE(),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "study",
        .usage = "fundtrace study [--truth FILE] [--jurisdiction-map FILE] [OPTIONS] "
                 "FILE...|SNAPSHOT",
        .description = "Compare a scan of the pooled data with scans of each jurisdiction's share\n"
                       "alone (siloed): alerts, instances found and false alerts per pattern\n"
                       "against a truth, and the records and accounts each arrangement shows to a\n"
                       "party outside the payer's jurisdiction. See fundtrace-study(1).\n",
        .options = options,
        .epilog = "Exit status: 0 done, 2 usage or input error.\n",
    };
    ft_store s = {0};
    ft_eval *ev = NULL;
    ft_jurisdictions j = {0};
    ft_study_result res = {0};
    ft_format fmt;
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    o.threads = (int)threads;
    if (nargs == 0) {
        ft_cli_error("study", "give the data: CSV files or a snapshot");
        goto done;
    }
    if ((html && strcmp(html, "-") == 0) || (json_out && strcmp(json_out, "-") == 0)) {
        ft_cli_error("study", "--%s: give a file (the standard output carries --format's)",
                     html && strcmp(html, "-") == 0 ? "html" : "json-out");
        goto done;
    }
    for (size_t i = 0; i < sets.n; i++)
        if (ft_scan_param_assign(&o.scan, sets.v[i], &err) != FT_OK) {
            ft_cli_error("study", "--set: %s", err.msg);
            goto done;
        }
    if (truth &&
        (ft_eval_new(&ev, &err) != FT_OK || ft_eval_truth_file(ev, truth, data, &err) != FT_OK))
        goto fail;
    if (ft_cli_load("study", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (ft_jurisdictions_make(&s, map, &j, &err) != FT_OK ||
        ft_store_adjacency(&s, &err) != FT_OK || ft_study_run(&s, &j, ev, &o, &res, &err) != FT_OK)
        goto fail;
    if (from.nkeys) {
        if (!ft_cli_accounts_resolve("study", &s, &from))
            goto done;
        ft_policy_parse(policy, &to.policy);
        if (!(res.traces = calloc((size_t)from.n + 1, sizeof *res.traces))) {
            ft_error_oom(&err);
            goto fail;
        }
        res.ntraces = from.n;
        if (ft_study_trace(&s, &j, &to, strcmp(direction, "in") == 0, from.ids, from.n, res.traces,
                           res.trace_cpu_seconds, &err) != FT_OK)
            goto fail;
    }
    if (json_out && !write_json(json_out, &s, &res))
        goto done;
    if (html && write_html(html, &s, &res, &err) != FT_OK)
        goto fail;
    if (!ft_cli_prov_begin("study", stdout, fmt))
        goto done;
    ft_study_write(stdout, &s, &res, fmt);
    ft_cli_prov_end(stdout, fmt);
    code = ft_cli_finish("study", FT_EXIT_OK);
    goto done;
fail:
    ft_cli_fail("study", &err);
done:
    ft_study_result_free(&res);
    ft_jurisdictions_free(&j);
    ft_eval_free(ev);
    ft_store_free(&s);
    ft_cli_list_free(&sets);
    ft_cli_accounts_free(&from);
    ft_cli_input_free(&in);
    return code;
}
