/*
 * cmd_scan.c - `fundtrace scan`: run the pattern detectors and print the
 * alerts; with --state, only those earlier runs have not reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fundtrace/rules.h"
#include "fundtrace/scan.h"

enum {
    OPT_SET = OPT_FIRST_COMMAND_OPTION,
    OPT_STATE,
    OPT_ALL,
    OPT_THREADS,
    OPT_ONLY,
    OPT_RULES,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: fundtrace scan [OPTIONS] FILE...|SNAPSHOT\n\n"
               "Run the pattern detectors over the data and print an alert for each pattern\n"
               "found, with the accounts, transfers, amounts and times that make it up.\n\n"
               "Options:\n"
               "  --rules FILE        a rules file: parameters, watchlists, text patterns,\n"
               "                      high-risk jurisdictions, risk propagation (see\n"
               "                      fundtrace-scan(1)); refused whole, with its line, if\n"
               "                      anything in it is wrong\n"
               "  --set NAME=VALUE    a detector parameter (see below; after --rules, it\n"
               "                      wins); repeatable\n"
               "  --only KIND,...     run only these detectors\n"
               "  --state FILE        print only alerts no earlier run with this state file\n"
               "                      reported, then add them to it (atomically, after the\n"
               "                      scan succeeded)\n"
               "  --all               with --state, print every alert (and still update it)\n"
               "  --threads N         run on N threads (default 1); the same alerts for any N\n"
               "  --format FMT        table (default), jsonl, json or csv\n"
               "  -q, --quiet         do not show rejected rows on stderr\n"
               "  -h, --help          show this help\n\n" FT_CLI_INPUT_HELP
               "\nParameters (amounts in major units of each transfer's own currency):\n");
    ft_scan_params p;
    ft_scan_defaults(&p);
    for (int i = 0; ft_scan_param_names[i]; i++) {
        double v = 0;
        ft_scan_param_get(&p, ft_scan_param_names[i], &v);
        fprintf(f, "  %-30s %g\n", ft_scan_param_names[i], v);
    }
    fprintf(f, "  <kind>.enabled      0 or 1\n"
               "\nKinds: fan_out, fan_in, scatter_gather, gather_scatter, cycle, stack,\n"
               "bipartite, pass_through, structuring, rapid_movement, tf_collection.\n"
               "\nExit status: 0 nothing flagged (nothing new, with --state), 1 alerts printed,\n"
               "2 usage or input error.\n");
}

/* Progress on a terminal: the share of accounts scanned, five times a
 * second at most. */
static void progress(void *ctx, uint64_t done, uint64_t total)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, *last = ctx;
    if (done < total && ms - *last < 200)
        return;
    *last = ms;
    fprintf(stderr, "\rfundtrace scan: %3.0f %% of the accounts", 100.0 * (double)done /
                                                                     (double)(total ? total : 1));
    if (done >= total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

int cmd_scan(int argc, char **argv)
{
    static const struct option longopts[] = {
        FT_CLI_INPUT_OPTIONS,
        {"set", required_argument, NULL, OPT_SET},
        {"rules", required_argument, NULL, OPT_RULES},
        {"only", required_argument, NULL, OPT_ONLY},
        {"state", required_argument, NULL, OPT_STATE},
        {"all", no_argument, NULL, OPT_ALL},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ft_cli_input in = {0};
    ft_store s = {0};
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_format fmt = FT_FORMAT_TABLE;
    const char *state_path = NULL;
    bool all = false;
    uint32_t threads = 1;
    int code = FT_EXIT_ERROR, opt;
    ft_error err;
    ft_alerts alerts = {0};
    ft_scan_state state = {0};
    bool *keep = NULL;
    ft_rules *rules = NULL;
    const char *sets[256];
    size_t nsets = 0;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        int r = ft_cli_input_option(&in, opt, optarg);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        switch (opt) {
        case OPT_SET:
            if (nsets == sizeof sets / sizeof *sets) {
                ft_cli_error("scan", "at most 256 --set options");
                goto done;
            }
            sets[nsets++] = optarg; /* applied after the rules file */
            break;
        case OPT_ONLY: {
            bool want[FT_PAT_COUNT] = {false};
            for (const char *q = optarg; *q;) {
                size_t len = strcspn(q, ",");
                ft_pattern k;
                if (len && !ft_pattern_parse(q, len, &k)) {
                    ft_cli_error("scan", "--only: no kind '%.*s'", (int)len, q);
                    goto done;
                }
                if (len)
                    want[k] = true;
                q += len + (q[len] == ',');
            }
            for (int k = 0; k < FT_PAT_COUNT; k++)
                p.enabled[k] = p.enabled[k] && want[k];
            break;
        }
        case OPT_STATE:
            state_path = optarg;
            break;
        case OPT_RULES:
            if (rules) {
                ft_cli_error("scan", "give one --rules file");
                goto done;
            }
            if (ft_rules_load(&rules, optarg, &p, &err) != FT_OK) {
                fprintf(stderr, "fundtrace: %s\n", err.msg);
                goto done;
            }
            break;
        case OPT_ALL:
            all = true;
            break;
        case OPT_THREADS:
            if (!ft_cli_uint("scan", "--threads", optarg, 64, "from 1 to 64", &threads))
                goto done;
            if (threads < 1) {
                ft_cli_error("scan", "--threads '%s': from 1 to 64", optarg);
                goto done;
            }
            break;
        case OPT_FORMAT:
            if (!ft_cli_format("scan", optarg, false, &fmt))
                goto done;
            break;
        case 'q':
            in.quiet = true;
            break;
        case 'h':
            usage(stdout);
            code = ft_cli_finish("scan", FT_EXIT_OK);
            goto done;
        default:
            code = ft_cli_bad_option("scan", argv, opt);
            goto done;
        }
    }
    for (size_t i = 0; i < nsets; i++) {
        const char *eq = strchr(sets[i], '=');
        if (!eq) {
            ft_cli_error("scan", "--set '%s': NAME=VALUE", sets[i]);
            goto done;
        }
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - sets[i]), sets[i]);
        if (ft_scan_param_set(&p, name, eq + 1, &err) != FT_OK) {
            ft_cli_error("scan", "--set %s", err.msg);
            goto done;
        }
    }
    if (optind >= argc) {
        ft_cli_error("scan", "no input (give CSV files or a snapshot)");
        goto done;
    }
    /* The state is read before the long work, so a bad one fails fast. */
    if (state_path && ft_scan_state_load(&state, state_path, &err) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        goto done;
    }
    if (ft_cli_load(&in, argv + optind, argc - optind, &s) != FT_OK)
        goto done;
    int64_t last_report = 0;
    if (!in.quiet && isatty(STDERR_FILENO)) {
        p.progress = progress;
        p.progress_ctx = &last_report;
    }
    if (ft_store_adjacency(&s, &err) != FT_OK ||
        ft_scan_run(&s, &p, (int)threads, &alerts, &err) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
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
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        goto done;
    }
    if (!in.quiet)
        fprintf(stderr, "fundtrace scan: %u alert%s%s\n", shown, shown == 1 ? "" : "s",
                state_path && !all ? " not reported before" : "");
    if (alerts.regex_limit_hits)
        fprintf(stderr,
                "fundtrace scan: %llu text%s hit the pattern match limit and counted as no "
                "match\n",
                (unsigned long long)alerts.regex_limit_hits,
                alerts.regex_limit_hits == 1 ? "" : "s");
    code = ft_cli_finish("scan", shown ? 1 : FT_EXIT_OK);
done:
    free(keep);
    ft_alerts_free(&alerts);
    ft_scan_state_free(&state);
    ft_rules_free(rules);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
