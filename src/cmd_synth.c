/*
 * cmd_synth.c - `fundtrace synth`: labelled synthetic transactions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fundtrace/synth_out.h"
#include "fundtrace/time.h"

/* "8-20", or "0.85" for one value. */
static const char *range_text(ft_range r, char *buf, size_t cap)
{
    if (r.lo == r.hi)
        snprintf(buf, cap, "%g", r.lo);
    else
        snprintf(buf, cap, "%g-%g", r.lo, r.hi);
    return buf;
}

static void help_tail(FILE *f)
{
    fprintf(f,
            "\nPatterns: fan_out fan_in scatter_gather gather_scatter cycle stack bipartite\n"
            "pass_through structuring rapid_movement tf_collection\n\n"
            "Countries (--countries N --cross-border SHARE): a counterparty is in the\n"
            "payer's country but with probability SHARE; planted chains cross a border\n"
            "per hop and fans, hubs and mules per account with that probability,\n"
            "collections draw donors from two countries at least (tf.donors_abroad)\n"
            "and send abroad, structuring stays at home (fundtrace-synth(1), COUNTRIES).\n\n"
            "Benign look-alikes in the background, unlabelled (benign.NAME: share of rows):\n"
            "payback rent_split salary_bills family_abroad merchant supplier savings\n\n"
            "Parameters (--set; hours, days and euros as the names say; see\n"
            "fundtrace-synth(1)):\n"
            "  %-28s  %-13s  %s\n",
            "name", "default", "wide");
    ft_synth_options d, w;
    ft_error err;
    ft_synth_defaults(&d);
    ft_synth_defaults(&w);
    ft_synth_profile(&w, "wide", &err);
    for (int i = 0; ft_synth_param_names[i]; i++) {
        ft_range rd, rw;
        char bd[48], bw[48];
        ft_synth_get(&d, ft_synth_param_names[i], &rd);
        ft_synth_get(&w, ft_synth_param_names[i], &rw);
        fprintf(f, "  %-28s  %-13s  %s\n", ft_synth_param_names[i], range_text(rd, bd, sizeof bd),
                range_text(rw, bw, sizeof bw));
    }
    fprintf(f, "\nExit status: 0 written, 2 usage or output error.\n");
}

static bool opt_patterns(const char *cmd, const ft_option *opt, const char *arg)
{
    ft_synth_options *o = opt->value;
    if (strcmp(arg, "all") == 0) {
        o->patterns = (1u << FT_PAT_COUNT) - 1;
        return true;
    }
    o->patterns = 0;
    for (const char *p = arg; *p;) {
        size_t len = strcspn(p, ",");
        ft_pattern pat;
        if (!ft_pattern_parse(p, len, &pat)) {
            ft_cli_error(cmd, "--patterns: unknown pattern '%.*s'", (int)len, p);
            return false;
        }
        o->patterns |= 1u << pat;
        p += len + (p[len] == ',');
    }
    return true;
}

/* What --profile, --set and --config share: a profile replaces every
 * range, so after a --set it would undo it. */
typedef struct ranges {
    ft_synth_options *o;
    bool set;
} ranges;

static bool opt_profile(const char *cmd, const ft_option *opt, const char *arg)
{
    ranges *rg = opt->value;
    ft_error err;
    if (rg->set) {
        ft_cli_error(cmd, "--profile goes before --set and --config");
        return false;
    }
    if (ft_synth_profile(rg->o, arg, &err) == FT_OK)
        return true;
    ft_cli_error(cmd, "%s", err.msg);
    return false;
}

static bool opt_set(const char *cmd, const ft_option *opt, const char *arg)
{
    ranges *rg = opt->value;
    ft_error err;
    rg->set = true;
    if (ft_synth_set(rg->o, arg, &err) == FT_OK)
        return true;
    ft_cli_error(cmd, "--set %s", err.msg);
    return false;
}

static bool opt_config(const char *cmd, const ft_option *opt, const char *arg)
{
    ranges *rg = opt->value;
    ft_error err;
    rg->set = true;
    if (ft_synth_config(rg->o, arg, &err) == FT_OK)
        return true;
    ft_cli_fail(cmd, &err);
    return false;
}

/* Rows written so far: the lines leaving the data writer. */
typedef struct rows_seen {
    ft_cli_progress *prog;
    uint64_t rows, total;
} rows_seen;

static void count_rows(void *ctx, const char *data, size_t len)
{
    rows_seen *r = ctx;
    for (const char *p = data, *end = data + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        r->rows++;
    ft_cli_progress_advance(r->prog, r->rows, r->total);
}

int cmd_synth(int argc, char **argv)
{
    ft_synth_options o;
    ft_synth_defaults(&o);
    ranges rg = {&o, false};
    const char *output = "-", *truth = NULL, *layout = "generic";
    int64_t start_ms = INT64_MIN;
    bool gzip = false, quiet = false, progress = false;
    double cross = -1;
    static const char *const layouts[] = {"generic", "ibm", NULL};
    const ft_option options[] = {
        FT_OPT_INT64(0, "rows", &o.rows, "N", 1, 100000000000LL,
                     "rows to write, exactly (default 1000000)"),
        FT_OPT_UINT64(0, "seed", &o.seed, "N", 0, UINT64_MAX, "the random seed (default 1)"),
        FT_OPT_INT(0, "days", &o.days, "N", 1, 36500, "days of data (default 365)"),
        FT_OPT_TIME(0, "start", &start_ms, "DATE", "the first day (default 2024-01-01)"),
        FT_OPT_INT64(0, "accounts", &o.accounts, "N", 1000, 4000000000LL,
                     "regular accounts (default rows / 25, at least 1000)"),
        FT_OPT_DOUBLE(0, "planted", &o.planted, "SHARE", 0, 0.5, 0,
                      "share of rows in planted instances (default 0.01)"),
        FT_OPT_INT(0, "countries", &o.countries, "N", 1, FT_SYNTH_COUNTRIES,
                   "regular accounts in the first N countries of DE FR NL\n"
                   "IT ES BE AT IE PT FI LU GB CH US JP (default: banks of\n"
                   "them all, without regard to country)"),
        FT_OPT_DOUBLE(0, "cross-border", &cross, "SHARE", 0, 1, 0,
                      "with --countries: the chance that a counterparty is\n"
                      "in another country (default 0.1; alone it implies\n"
                      "--countries 15)"),
        FT_OPT_CALLBACK(0, "patterns", &o, "LIST", opt_patterns,
                        "comma-separated patterns to plant (default all)"),
        FT_OPT_ENUM(0, "layout", &layout, "L", layouts, "generic (default) or ibm"),
        FT_OPT_CALLBACK(0, "profile", &rg, "P", opt_profile,
                        "the patterns' ranges: default, or wide (as other\n"
                        "generators and real cases vary them); give it\n"
                        "before --set"),
        FT_OPT_CALLBACK(0, "set", &rg, "NAME=LO-HI", opt_set,
                        "a parameter's range (or one value); repeatable"),
        FT_OPT_CALLBACK(0, "config", &rg, "FILE", opt_config, "NAME = VALUE lines, as --set"),
        FT_OPT_STRING('o', "output", &output, "FILE", "the data (default standard output)"),
        FT_OPT_STRING(0, "truth", &truth, "FILE",
                      "the ground truth (default: beside the data,\n"
                      "FILE_truth.csv, or for the ibm layout X_Patterns.txt\n"
                      "for X_Trans.csv)"),
        FT_OPT_FLAG(0, "gzip", &gzip, "compress the data with gzip"),
        FT_OPT_FLAG('q', "quiet", &quiet, "no progress; only the summary line on standard error"),
        FT_OPT_PROGRESS(&progress),
        FT_OPT_HELP(),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "synth",
        .usage = "fundtrace synth [OPTIONS] [-o FILE]",
        .description =
            "Write labelled synthetic transactions: a bank's background traffic, with benign\n"
            "look-alikes of the patterns in it, and planted instances of every pattern, with\n"
            "their ground truth. The same seed and options give the same bytes on any machine.\n",
        .options = options,
        .epilog_fn = help_tail,
    };
    char *truth_default = NULL;
    ft_error err;
    ft_writer data = {.fd = -1}, tw = {.fd = -1};
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    if (nargs > 0) {
        ft_cli_error("synth", "unexpected argument '%s'", argv[1]);
        goto done;
    }
    o.layout = strcmp(layout, "ibm") == 0 ? FT_SYNTH_IBM : FT_SYNTH_GENERIC;
    if (cross >= 0) {
        o.cross_border = cross;
        o.countries = o.countries ? o.countries : FT_SYNTH_COUNTRIES;
    }
    if (start_ms != INT64_MIN)
        o.start_ms = start_ms - ((start_ms % 86400000 + 86400000) % 86400000);
    if (!truth) {
        if (strcmp(output, "-") == 0) {
            ft_cli_error("synth", "writing the data to standard output: name the truth file "
                                  "with --truth FILE");
            goto done;
        }
        truth = truth_default = ft_synth_truth_name(output, o.layout);
        if (!truth) {
            ft_cli_error("synth", "out of memory");
            goto done;
        }
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ft_synth_report rep;
    ft_cli_progress prog;
    ft_cli_progress_init(&prog, "synth", progress, quiet);
    rows_seen seen = {&prog, 0, (uint64_t)o.rows + 1}; /* and the header */
    ft_status rc = ft_writer_open(&data, output, gzip, &err);
    if (rc == FT_OK && prog.on)
        ft_writer_on_seen(&data, count_rows, &seen);
    ft_cli_progress_step(&prog, "writing %lld rows", (long long)o.rows);
    if (rc == FT_OK)
        rc = ft_writer_open(&tw, truth, false, &err);
    if (rc == FT_OK)
        rc = ft_synth_write(&o, &data, &tw, &rep, &err);
    if (rc == FT_OK)
        rc = ft_writer_close(&data, &err);
    if (rc == FT_OK)
        rc = ft_writer_close(&tw, &err);
    ft_cli_progress_done(&prog);
    if (rc != FT_OK) {
        ft_cli_fail("synth", &err);
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ft_synth_summary(stderr, &rep, output, truth, secs, quiet);
    code = strcmp(output, "-") == 0 ? ft_cli_finish("synth", FT_EXIT_OK) : FT_EXIT_OK;
done:
    ft_writer_abort(&data);
    ft_writer_abort(&tw);
    free(truth_default);
    return code;
}
