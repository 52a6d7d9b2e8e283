/*
 * cmd_scan.c - `fundtrace scan`: run the pattern detectors and print the
 * alerts; with --state, only those earlier runs have not reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/learn.h"
#include "fundtrace/rules.h"
#include "fundtrace/scan.h"
#include "fundtrace/shard.h"
#include "fundtrace/time.h"
#include "fundtrace/writer.h"

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

/* --lookback D: a duration, or 0. */
static bool opt_lookback(const char *cmd, const ft_option *opt, const char *arg)
{
    int64_t *v = opt->value;
    if (strcmp(arg, "0") == 0) {
        *v = 0;
        return true;
    }
    if (ft_duration_parse(arg, strlen(arg), v))
        return true;
    ft_cli_error(cmd, "--lookback: '%s' is not a duration (such as 90d, 12h or 0)", arg);
    return false;
}

/* Finishes the parts ps of a sharded scan over s. */
static ft_status finish_parts(const ft_shard_parts *ps, const ft_store *s, const ft_scan_params *p,
                              ft_alerts *alerts, ft_error *err)
{
    ft_scan_part **parts = calloc((size_t)ps->n + 1, sizeof *parts);
    ft_status rc = parts ? FT_OK : ft_error_oom(err);
    for (int i = 0; i < ps->n && rc == FT_OK; i++)
        rc = ft_scan_part_read(ps->v[i].f, ps->v[i].path, &ps->v[i].line, s, &parts[i], err);
    if (rc == FT_OK)
        rc = ft_scan_finish_parts(s, p, parts, ps->n, alerts, err);
    for (int i = 0; parts && i < ps->n; i++)
        ft_scan_part_free(parts[i]);
    free(parts);
    return rc;
}

/* The scan: one run (ps NULL), a shard's part (--shard) or, in merge, the
 * end of a sharded run over its parts ps, written to w (NULL: stdout). */
static int scan_main(int argc, char **argv, const ft_shard_parts *ps, ft_writer *w)
{
    struct ft_cli_input in = {0};
    ft_scan_params p;
    ft_scan_defaults(&p);
    const char *state_path = NULL, *rules_path = NULL, *format = "table", *model_path = NULL;
    const char *profile_path = NULL, *profile_out = NULL, *misfit = "detectors";
    static const char *const misfits[] = {"detectors", "model", "refuse", NULL};
    bool all = false;
    uint32_t threads = 1;
    double min_score = -1;
    int64_t since_ms = INT64_MIN, until_ms = INT64_MAX, last_ms = 0, lookback_ms = -1;
    ft_cli_list sets = {0}, only = {0};
    ft_shard shard = {0};
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
        FT_OPT_STRING(0, "model", &model_path, "MODEL",
                      "flag what a model from fundtrace learn scores at or\n"
                      "above its threshold, instead of the detectors (see\n"
                      "fundtrace-learn(1))"),
        FT_OPT_ENUM(0, "misfit", &misfit, "WHAT", misfits,
                    "when the model flags over ten times more or less than\n"
                    "its training data held cases, it does not fit this\n"
                    "data: print the detectors' alerts instead (detectors,\n"
                    "the default), the model's all the same (model), or\n"
                    "none and fail (refuse); a warning says which"),
        FT_OPT_TIME(0, "since", &since_ms, "T",
                    "print only alerts with a transfer at T or later (the\n"
                    "scan still weighs each account's whole history, unless\n"
                    "--lookback)"),
        FT_OPT_TIME(0, "until", &until_ms, "T",
                    "print only alerts with a transfer at T or earlier"),
        FT_OPT_DURATION(0, "last", &last_ms, "D",
                        "print only alerts with a transfer in the last D of the\n"
                        "data (35d, 12h, 90m): from its last transfer's time\n"
                        "less D on; nightly runs, with --state"),
        FT_OPT_CALLBACK(0, "lookback", &lookback_ms, "D", opt_lookback,
                        "scan only the window's transfers and those in the D\n"
                        "before it (90d, 12h; 0: the window alone): the alerts\n"
                        "of a scan of just those rows; given periods, map only\n"
                        "those the range needs. It misses what needs more\n"
                        "history than D (a pattern begun earlier, an account's\n"
                        "usual rhythm, amounts and counterparties) and scores\n"
                        "against the range's data (see fundtrace-scan(1)).\n"
                        "Default: each account's whole history"),
        FT_OPT_STRING(0, "state", &state_path, "FILE",
                      "print only alerts no earlier run with this state file\n"
                      "reported, then add them to it (after the scan\n"
                      "succeeded; under a lock, merged with what runs at\n"
                      "once added)"),
        FT_OPT_FLAG(0, "all", &all, "with --state, print every alert (and still update it)"),
        FT_OPT_UINT(0, "threads", &threads, "N", 1, 64,
                    "run on N threads (default 1); the same alerts for any N"),
        FT_OPT_CALLBACK(0, "shard", &shard, "I/N", ft_cli_opt_shard,
                        "scan the I-th of N blocks of the accounts and print\n"
                        "what they found behind a header line; 'fundtrace\n"
                        "merge' of all N parts then prints what one scan\n"
                        "prints (and updates --state); exit 0 unless an error"),
        FT_OPT_STRING(0, "profile-out", &profile_out, "FILE",
                      "make the data's profile (what the detectors know about\n"
                      "the whole data), write it to FILE and stop: the shards\n"
                      "of a scan then share it (--profile) instead of each\n"
                      "making it again"),
        FT_OPT_STRING(0, "profile", &profile_path, "FILE",
                      "use the profile --profile-out wrote (refused if made\n"
                      "from other data or with other parameters); the same\n"
                      "alerts as without it"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats,
                    "table (default), jsonl, json or csv"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_PSEUDONYMISE(&in),
        FT_OPT_PROVENANCE(),
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
    ft_scan_part *part = NULL;
    ft_model model = {0};
    ft_scan_profile *profile = NULL;
    char *kinds = NULL;
    /* The command line as given, for a part's header (the parser reorders
     * argv). */
    char **given = calloc((size_t)argc + 1, sizeof *given);
    if (!given) {
        ft_cli_error("scan", "out of memory");
        return FT_EXIT_ERROR;
    }
    memcpy(given, argv, (size_t)argc * sizeof *argv);
    FILE *out = w ? ft_writer_stream(w) : stdout;
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
    if (last_ms && since_ms != INT64_MIN) {
        ft_cli_error("scan", "give --last or --since, not both");
        goto done;
    }
    if (since_ms > until_ms) {
        ft_cli_error("scan", "--since is after --until: the window is empty");
        goto done;
    }
    if (lookback_ms >= 0 && !last_ms && since_ms == INT64_MIN && until_ms == INT64_MAX) {
        ft_cli_error("scan", "--lookback needs a time window: give --last, --since or --until");
        goto done;
    }
    if (profile_out && (profile_path || shard.count || model_path || ps)) {
        ft_cli_error("scan", "--profile-out makes the profile and stops: give it without "
                             "--profile, --shard and --model");
        goto done;
    }
    if (model_path && shard.count) {
        ft_cli_error("scan", "--model scores every transfer in one run: drop --shard");
        goto done;
    }
    if (!model_path && strcmp(misfit, "detectors") != 0) {
        ft_cli_error("scan", "--misfit says what to do with a model that does not fit: give "
                             "--model");
        goto done;
    }
    if (model_path && profile_path) {
        ft_cli_error("scan", "--model scans without the detectors' profile: drop --profile");
        goto done;
    }
    /* The profile is read before the data, so a bad file fails fast; the
     * last step of a sharded scan (merge) needs none. */
    if (profile_path && !ps) {
        if (ft_scan_profile_read(profile_path, &profile, &err) != FT_OK) {
            ft_cli_fail("scan", &err);
            goto done;
        }
        p.profile = profile;
    }
    if (model_path && ft_cli_model_open("scan", model_path, rules_path, &sets,
                                        only.n > 0 || min_score >= 0, &model) != 0)
        goto done;
    /* The state is read before the long work, so a bad one fails fast
     * (--profile-out leaves it alone). */
    if (state_path && !profile_out && ft_scan_state_load(&state, state_path, &err) != FT_OK) {
        ft_cli_fail("scan", &err);
        goto done;
    }
    if (lookback_ms >= 0) { /* the data: the window and the lookback before it */
        in.range = true;
        in.since_ms = since_ms;
        in.until_ms = until_ms;
        in.range_last = last_ms;
        in.range_back = lookback_ms;
    }
    if (ft_cli_load("scan", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (in.prog.on) {
        p.progress = ft_cli_progress_advance;
        p.progress_ctx = &in.prog;
    }
    ft_cli_progress_step(&in.prog, ps            ? "joining the parts"
                                   : profile_out ? "making the data's profile"
                                                 : "scanning the accounts");
    ft_status rc = ft_store_adjacency(&s, &err);
    if (rc == FT_OK && profile_out) {
        ft_scan_profile *made = NULL;
        rc = ft_scan_profile_build(&s, &p, (int)threads, &made, &err);
        if (rc == FT_OK)
            rc = ft_scan_profile_write(made, profile_out, &err);
        ft_scan_profile_free(made);
        ft_cli_progress_done(&in.prog);
        if (rc != FT_OK) {
            ft_cli_fail("scan", &err);
            goto done;
        }
        if (!in.quiet)
            fprintf(stderr, "fundtrace scan: the data's profile written to %s\n", profile_out);
        code = ft_cli_finish("scan", FT_EXIT_OK);
        goto done;
    }
    char why[400];
    bool fits = true;
    ft_misfit on_misfit = misfit[0] == 'd' ? FT_MISFIT_DETECTORS
                          : misfit[0] == 'm' ? FT_MISFIT_MODEL
                                             : FT_MISFIT_REFUSE;
    if (rc == FT_OK && model_path)
        rc = ft_model_scan_checked(&s, &model, rules, (int)threads, on_misfit, &alerts, &fits, why,
                                   sizeof why, &err);
    else if (rc == FT_OK && shard.count)
        rc = ft_scan_run_part(&s, &p, (int)threads, &shard, &part, &err);
    else if (rc == FT_OK && ps)
        rc = finish_parts(ps, &s, &p, &alerts, &err);
    else if (rc == FT_OK)
        rc = ft_scan_run(&s, &p, (int)threads, &alerts, &err);
    ft_cli_progress_done(&in.prog);
    if (rc != FT_OK) {
        ft_cli_fail("scan", &err);
        goto done;
    }
    if (shard.count) {
        /* A part: what its accounts gave; the rest (and --state) is
         * merge's. */
        ft_shard_header_args(stdout, "scan", &shard, argc, given, FT_EXIT_OK);
        if (ft_scan_part_write(stdout, &s, part, &err) != FT_OK) {
            ft_cli_fail("scan", &err);
            goto done;
        }
        code = ft_cli_finish("scan", FT_EXIT_OK);
        goto done;
    }
    /* The window: the alerts of the whole scan that touch it. */
    if (in.range) /* the window's start, from the whole data's last transfer */
        since_ms = in.since_ms;
    else if (last_ms && s.t.n)
        since_ms = s.t.ts_ms[s.t.n - 1] - last_ms;
    if (since_ms != INT64_MIN || until_ms != INT64_MAX)
        ft_alerts_window(&alerts, &s, since_ms, until_ms);
    keep = calloc((size_t)alerts.n + 1, sizeof *keep);
    if (!keep) {
        ft_cli_error("scan", "out of memory");
        goto done;
    }
    uint32_t shown = 0;
    for (uint32_t i = 0; i < alerts.n; i++) {
        keep[i] = all || !state_path || !ft_scan_state_has(&state, alerts.v[i].id);
        shown += keep[i];
        char id[17];
        ft_alert_id_text(alerts.v[i].id, id);
        if (keep[i])
            ft_cli_audit_alert(id);
    }
    if (!ft_cli_prov_begin("scan", out, fmt))
        goto done;
    ft_alerts_write(out, &s, &alerts, keep, fmt);
    ft_cli_prov_end(out, fmt);
    if (fflush(out) != 0 || ferror(out)) {
        ft_cli_error("scan", "cannot write the alerts; the state is left as it was");
        goto done;
    }
    if (w && ft_writer_close(w, &err) != FT_OK) {
        ft_cli_fail("scan", &err);
        goto done;
    }
    /* Only now, with the alerts out, does the state learn them. */
    if (state_path && ft_scan_state_save(&state, &alerts, state_path, &err) != FT_OK) {
        ft_cli_fail("scan", &err);
        goto done;
    }
    ft_cli_audit_count("alerts", shown);
    fprintf(stderr, "fundtrace scan: %u alert%s%s\n", shown, shown == 1 ? "" : "s",
            state_path && !all ? " not reported before" : "");
    if (!fits)
        fprintf(stderr, "fundtrace scan: warning: %s: %s\n", why,
                on_misfit == FT_MISFIT_MODEL ? "these are its alerts all the same (--misfit model)"
                                             : "these are the detectors' alerts, a default "
                                               "scan's (--misfit model prints the model's)");
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
    ft_scan_part_free(part);
    free(given);
    free(kinds);
    free(keep);
    ft_alerts_free(&alerts);
    ft_scan_state_free(&state);
    ft_rules_free(rules);
    ft_model_free(&model);
    ft_scan_profile_free(profile);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}

int cmd_scan(int argc, char **argv)
{
    return scan_main(argc, argv, NULL, NULL);
}

int cmd_scan_merge(const ft_shard_parts *ps, ft_writer *w)
{
    /* The parts' command line: "scan" and its arguments without --shard. */
    int argc = ps->v[0].nargs + 1;
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    if (!argv) {
        ft_cli_error("merge", "out of memory");
        return FT_EXIT_ERROR;
    }
    argv[0] = "scan";
    for (int i = 1; i < argc; i++)
        argv[i] = ps->v[0].args[i - 1];
    /* The record of the run is the one run's: "fundtrace scan ..." */
    char **whole = calloc((size_t)argc + 2, sizeof *whole);
    if (!whole) {
        free(argv);
        ft_cli_error("merge", "out of memory");
        return FT_EXIT_ERROR;
    }
    whole[0] = "fundtrace";
    memcpy(whole + 1, argv, (size_t)argc * sizeof *argv);
    ft_cli_run_restart("scan", argc + 1, whole);
    int code = scan_main(argc, argv, ps, w);
    free(whole);
    free(argv);
    return code;
}
