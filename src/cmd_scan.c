/*
 * cmd_scan.c - `fundtrace scan`: run the pattern detectors and print the
 * alerts; with --state, only those earlier runs have not reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/rules.h"
#include "fundtrace/scan.h"

static void help_tail(FILE *f)
{
    fprintf(f, "\nParameters (amounts in major units of each transfer's own currency):\n");
    ft_scan_params p;
    ft_scan_defaults(&p);
    for (int i = 0; ft_scan_param_names[i]; i++) {
        double v = 0;
        ft_scan_param_get(&p, ft_scan_param_names[i], &v);
        fprintf(f, "  %-30s %g\n", ft_scan_param_names[i], v);
    }
    fprintf(f, "  <kind>.enabled      0 or 1\n"
               "  fan.min_degree      sets fan_out.min_receivers and fan_in.min_sources\n"
               "  fan.window_hours, fan.slow_window_days, fan.min_amount\n"
               "                      set the fan_out.* and fan_in.* of the same name\n"
               "\nKinds: fan_out, fan_in, scatter_gather, gather_scatter, cycle, stack,\n"
               "bipartite, pass_through, structuring, rapid_movement, tf_collection.\n"
               "\nExit status (as grep): 0 alerts printed, 1 nothing flagged (nothing new, with\n"
               "--state), 2 usage or input error.\n");
}

int cmd_scan(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    ft_scan_params p;
    ft_scan_defaults(&p);
    const char *state_path = NULL, *rules_path = NULL, *format = "table";
    bool all = false;
    uint32_t threads = 1;
    double min_score = -1;
    ft_cli_list sets = {0}, only = {0};
    const ft_option options[] = {
        {FT_OPT_(FT_OPT_KIND_STRING, 0, "rules", &rules_path, "FILE",
                 "a rules file: parameters, watchlists, text patterns,\n"
                 "high-risk jurisdictions, risk propagation (see\n"
                 "fundtrace-scan(1)); refused whole, with its line, if\n"
                 "anything in it is wrong"),
         .flags = FT_OPT_ONCE},
        FT_OPT_LIST(0, "set", &sets, "NAME=VALUE",
                    "a detector parameter (see below; after --rules, it\n"
                    "wins); repeatable"),
        FT_OPT_LIST(0, "only", &only, "KIND,...", "run only these detectors"),
        FT_OPT_DOUBLE(0, "min-score", &min_score, "S", 0, 1, 0,
                      "print alerts scoring S or more (default 0.5: at most\n"
                      "one such finding expected by chance in data this\n"
                      "size; 0.91 is one in a hundred); the same as\n"
                      "--set scan.min_score=S"),
        FT_OPT_STRING(0, "state", &state_path, "FILE",
                      "print only alerts no earlier run with this state file\n"
                      "reported, then add them to it (after the scan\n"
                      "succeeded; under a lock, merged with what runs at\n"
                      "once added)"),
        FT_OPT_FLAG(0, "all", &all, "with --state, print every alert (and still update it)"),
        FT_OPT_UINT(0, "threads", &threads, "N", 1, 64,
                    "run on N threads (default 1); the same alerts for any N"),
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
        .name = "scan",
        .usage = "fundtrace scan [OPTIONS] FILE...|SNAPSHOT",
        .description =
            "Run the pattern detectors over the data and print an alert for each pattern\n"
            "found, with the accounts, transfers, amounts and times that make it up, a\n"
            "score relative to this data (how many such findings chance would give in\n"
            "data this size) and a sentence that explains it.\n",
        .options = options,
        .epilog_fn = help_tail,
    };
    ft_store s = {0};
    ft_format fmt;
    ft_error err;
    ft_alerts alerts = {0};
    ft_scan_state state = {0};
    bool *keep = NULL;
    ft_rules *rules = NULL;
    char *kinds = NULL;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    /* The rules file first, then --only, then --set: what the command line
     * says wins over the file. */
    if (rules_path && ft_rules_load(&rules, rules_path, &p, &err) != FT_OK) {
        ft_cli_fail("scan", &err);
        goto done;
    }
    if (only.n) { /* every --only together: the detectors any of them names */
        size_t len = 1;
        for (size_t i = 0; i < only.n; i++)
            len += strlen(only.v[i]) + 1;
        kinds = calloc(len, 1);
        if (!kinds) {
            ft_cli_error("scan", "out of memory");
            goto done;
        }
        for (size_t i = 0; i < only.n; i++)
            strcat(strcat(kinds, only.v[i]), ",");
        if (ft_scan_only(&p, kinds, &err) != FT_OK) {
            ft_cli_error("scan", "--only: %s", err.msg);
            goto done;
        }
    }
    for (size_t i = 0; i < sets.n; i++)
        if (ft_scan_param_assign(&p, sets.v[i], &err) != FT_OK) {
            ft_cli_error("scan", "--set %s", err.msg);
            goto done;
        }
    if (min_score >= 0)
        p.min_score = min_score;
    if (nargs == 0) {
        ft_cli_error("scan", "no input (give CSV files or a snapshot)");
        goto done;
    }
    /* The state is read before the long work, so a bad one fails fast. */
    if (state_path && ft_scan_state_load(&state, state_path, &err) != FT_OK) {
        ft_cli_fail("scan", &err);
        goto done;
    }
    if (ft_cli_load("scan", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (in.prog.on) {
        p.progress = ft_cli_progress_advance;
        p.progress_ctx = &in.prog;
    }
    ft_cli_progress_step(&in.prog, "scanning the accounts");
    ft_status rc = ft_store_adjacency(&s, &err);
    if (rc == FT_OK)
        rc = ft_scan_run(&s, &p, (int)threads, &alerts, &err);
    ft_cli_progress_done(&in.prog);
    if (rc != FT_OK) {
        ft_cli_fail("scan", &err);
        goto done;
    }
    keep = calloc((size_t)alerts.n + 1, sizeof *keep);
    if (!keep) {
        ft_cli_error("scan", "out of memory");
        goto done;
    }
    uint32_t shown = 0;
    for (uint32_t i = 0; i < alerts.n; i++) {
        keep[i] = all || !state_path || !ft_scan_state_has(&state, alerts.v[i].id);
        shown += keep[i];
    }
    ft_alerts_write(stdout, &s, &alerts, keep, fmt);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ft_cli_error("scan", "cannot write the alerts; the state is left as it was");
        goto done;
    }
    /* Only now, with the alerts out, does the state learn them. */
    if (state_path && ft_scan_state_save(&state, &alerts, state_path, &err) != FT_OK) {
        ft_cli_fail("scan", &err);
        goto done;
    }
    fprintf(stderr, "fundtrace scan: %u alert%s%s\n", shown, shown == 1 ? "" : "s",
            state_path && !all ? " not reported before" : "");
    if (alerts.regex_limit_hits)
        fprintf(stderr,
                "fundtrace scan: %llu text%s hit the pattern match limit and counted as no "
                "match\n",
                (unsigned long long)alerts.regex_limit_hits,
                alerts.regex_limit_hits == 1 ? "" : "s");
    code = ft_cli_finish("scan", shown ? FT_EXIT_OK : FT_EXIT_NONE);
done:
    ft_cli_list_free(&sets);
    ft_cli_list_free(&only);
    free(kinds);
    free(keep);
    ft_alerts_free(&alerts);
    ft_scan_state_free(&state);
    ft_rules_free(rules);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
