/*
 * cmd_synth.c - `fundtrace synth`: labelled synthetic transactions.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fundtrace/synth.h"
#include "fundtrace/time.h"

enum {
    OPT_ROWS = OPT_FIRST_COMMAND_OPTION,
    OPT_SEED,
    OPT_DAYS,
    OPT_START,
    OPT_ACCOUNTS,
    OPT_PLANTED,
    OPT_PATTERNS,
    OPT_LAYOUT,
    OPT_PROFILE,
    OPT_SET,
    OPT_CONFIG,
    OPT_TRUTH,
    OPT_GZIP,
};

/* "8-20", or "0.85" for one value. */
static const char *range_text(ft_range r, char *buf, size_t cap)
{
    if (r.lo == r.hi)
        snprintf(buf, cap, "%g", r.lo);
    else
        snprintf(buf, cap, "%g-%g", r.lo, r.hi);
    return buf;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: fundtrace synth [OPTIONS] [-o FILE]\n\n"
            "Write labelled synthetic transactions: a bank's background traffic, with benign\n"
            "look-alikes of the patterns in it, and planted instances of every pattern, with\n"
            "their ground truth. The same seed and options give the same bytes on any machine.\n\n"
            "Options:\n"
            "  --rows N            rows to write, exactly (default 1000000)\n"
            "  --seed N            the seed (default 1)\n"
            "  --days N            days of data (default 365)\n"
            "  --start DATE        the first day (default 2024-01-01)\n"
            "  --accounts N        regular accounts (default rows / 25, at least 1000)\n"
            "  --planted SHARE     share of rows in planted instances (default 0.01)\n"
            "  --patterns LIST     comma-separated patterns to plant (default all)\n"
            "  --layout L          generic (default) or ibm\n"
            "  --profile P         the patterns' ranges: default, or wide (as other generators\n"
            "                      and real cases vary them); give it before --set\n"
            "  --set NAME=LO-HI    a parameter's range (or one value); repeatable\n"
            "  --config FILE       NAME = VALUE lines, as --set\n"
            "  -o, --output FILE   the data (default standard output)\n"
            "  --truth FILE        the ground truth (default: beside the data, FILE_truth.csv,\n"
            "                      or for the ibm layout X_Patterns.txt for X_Trans.csv)\n"
            "  --gzip              compress the data with gzip\n"
            "  -q, --quiet         no summary on standard error\n"
            "  -h, --help          show this help\n\n"
            "Patterns: fan_out fan_in scatter_gather gather_scatter cycle stack bipartite\n"
            "pass_through structuring rapid_movement tf_collection\n\n"
            "Benign look-alikes in the background, unlabelled (benign.NAME: share of rows):\n"
            "payback rent_split salary_bills family_abroad merchant supplier savings\n\n"
            "Parameters (--set; hours, days and euros as the names say; see fundtrace-synth(1)):\n"
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

static bool parse_count(const char *cmd, const char *opt, const char *arg, int64_t lo, int64_t hi,
                        int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi) {
        ft_cli_error(cmd, "%s '%s': give a whole number from %" PRId64 " to %" PRId64, opt, arg,
                     lo, hi);
        return false;
    }
    *out = v;
    return true;
}

/* The truth file's default name: X_Patterns.txt beside X_Trans.csv for
 * the IBM layout, FILE_truth.csv beside FILE.csv otherwise. */
static char *truth_name(const char *data, bool ibm)
{
    size_t len = strlen(data);
    char *out = malloc(len + 32);
    if (!out)
        return NULL;
    memcpy(out, data, len + 1);
    for (const char *ext = ".gz"; len > 3 && strcmp(out + len - 3, ext) == 0;)
        out[len -= 3] = '\0';
    if (len > 4 && strcmp(out + len - 4, ".csv") == 0)
        out[len -= 4] = '\0';
    if (ibm) {
        if (len > 6 && strcmp(out + len - 6, "_Trans") == 0)
            out[len -= 6] = '\0';
        strcpy(out + len, "_Patterns.txt");
    } else {
        strcpy(out + len, "_truth.csv");
    }
    return out;
}

int cmd_synth(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rows", required_argument, NULL, OPT_ROWS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"days", required_argument, NULL, OPT_DAYS},
        {"start", required_argument, NULL, OPT_START},
        {"accounts", required_argument, NULL, OPT_ACCOUNTS},
        {"planted", required_argument, NULL, OPT_PLANTED},
        {"patterns", required_argument, NULL, OPT_PATTERNS},
        {"layout", required_argument, NULL, OPT_LAYOUT},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"set", required_argument, NULL, OPT_SET},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"output", required_argument, NULL, 'o'},
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"gzip", no_argument, NULL, OPT_GZIP},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ft_synth_options o;
    ft_synth_defaults(&o);
    const char *output = "-", *truth = NULL;
    char *truth_default = NULL;
    bool gzip = false, quiet = false, ranges_set = false;
    int code = FT_EXIT_ERROR, opt;
    int64_t v;
    ft_error err;
    ft_writer data = {.fd = -1}, tw = {.fd = -1};
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_ROWS:
            if (!parse_count("synth", "--rows", optarg, 1, 100000000000LL, &o.rows))
                goto done;
            break;
        case OPT_SEED: {
            char *end = NULL;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end) {
                ft_cli_error("synth", "--seed '%s': give a whole number", optarg);
                goto done;
            }
            o.seed = s;
            break;
        }
        case OPT_DAYS:
            if (!parse_count("synth", "--days", optarg, 1, 36500, &v))
                goto done;
            o.days = (int)v;
            break;
        case OPT_START: {
            ft_time_error why;
            int64_t ms;
            if (!ft_time_parse(optarg, strlen(optarg), &ms, &why)) {
                ft_cli_error("synth", "--start '%s' %s", optarg, ft_time_strerror(why));
                goto done;
            }
            o.start_ms = ms - ((ms % 86400000 + 86400000) % 86400000);
            break;
        }
        case OPT_ACCOUNTS:
            if (!parse_count("synth", "--accounts", optarg, 1000, 4000000000LL, &o.accounts))
                goto done;
            break;
        case OPT_PLANTED: {
            char *end = NULL;
            double d = strtod(optarg, &end);
            if (end == optarg || *end || !(d >= 0 && d <= 0.5)) {
                ft_cli_error("synth", "--planted '%s': give a share from 0 to 0.5", optarg);
                goto done;
            }
            o.planted = d;
            break;
        }
        case OPT_PATTERNS: {
            if (strcmp(optarg, "all") == 0) {
                o.patterns = (1u << FT_PAT_COUNT) - 1;
                break;
            }
            o.patterns = 0;
            for (const char *p = optarg; *p;) {
                size_t len = strcspn(p, ",");
                ft_pattern pat;
                if (!ft_pattern_parse(p, len, &pat)) {
                    ft_cli_error("synth", "--patterns: unknown pattern '%.*s'", (int)len, p);
                    goto done;
                }
                o.patterns |= 1u << pat;
                p += len + (p[len] == ',');
            }
            break;
        }
        case OPT_LAYOUT:
            if (strcmp(optarg, "generic") == 0) {
                o.layout = FT_SYNTH_GENERIC;
            } else if (strcmp(optarg, "ibm") == 0) {
                o.layout = FT_SYNTH_IBM;
            } else {
                ft_cli_error("synth", "--layout '%s': generic or ibm", optarg);
                goto done;
            }
            break;
        case OPT_PROFILE:
            /* A profile replaces every range: after --set it would undo it. */
            if (ranges_set) {
                ft_cli_error("synth", "--profile goes before --set and --config");
                goto done;
            }
            if (ft_synth_profile(&o, optarg, &err) != FT_OK) {
                ft_cli_error("synth", "%s", err.msg);
                goto done;
            }
            break;
        case OPT_SET:
            ranges_set = true;
            if (ft_synth_set(&o, optarg, &err) != FT_OK) {
                ft_cli_error("synth", "--set %s", err.msg);
                goto done;
            }
            break;
        case OPT_CONFIG:
            ranges_set = true;
            if (ft_synth_config(&o, optarg, &err) != FT_OK) {
                ft_cli_error("synth", "%s", err.msg);
                goto done;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_TRUTH:
            truth = optarg;
            break;
        case OPT_GZIP:
            gzip = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            code = ft_cli_finish("synth", FT_EXIT_OK);
            goto done;
        default:
            code = ft_cli_bad_option("synth", argv, opt);
            goto done;
        }
    }
    if (optind < argc) {
        ft_cli_error("synth", "unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (!truth) {
        if (strcmp(output, "-") == 0) {
            ft_cli_error("synth", "writing the data to standard output: name the truth file "
                                  "with --truth FILE");
            goto done;
        }
        truth = truth_default = truth_name(output, o.layout == FT_SYNTH_IBM);
        if (!truth)
            goto done;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ft_synth_report rep;
    if (ft_writer_open(&data, output, gzip, &err) != FT_OK ||
        ft_writer_open(&tw, truth, false, &err) != FT_OK ||
        ft_synth_write(&o, &data, &tw, &rep, &err) != FT_OK ||
        ft_writer_close(&data, &err) != FT_OK || ft_writer_close(&tw, &err) != FT_OK) {
        fprintf(stderr, "fundtrace: %s\n", err.msg);
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (!quiet) {
        int64_t n = 0;
        for (int k = 0; k < FT_PAT_COUNT; k++)
            n += rep.instances[k];
        fprintf(stderr,
                "wrote %" PRId64 " rows (%" PRId64 " background, %" PRId64
                " planted in %" PRId64 " instances) in %.2f s (%.0f rows/s); the bank has %" PRId64
                " accounts\n",
                rep.rows, rep.background_rows, rep.planted_rows, n, secs,
                secs > 0 ? (double)rep.rows / secs : 0.0, rep.accounts);
        for (int k = 0; k < FT_PAT_COUNT; k++)
            if (rep.instances[k])
                fprintf(stderr, "  %-16s %" PRId64 " instance%s\n",
                        ft_pattern_name((ft_pattern)k), rep.instances[k],
                        rep.instances[k] == 1 ? "" : "s");
        if (strcmp(output, "-") != 0)
            fprintf(stderr, "data in %s, ground truth in %s\n", output, truth);
    }
    code = strcmp(output, "-") == 0 ? ft_cli_finish("synth", FT_EXIT_OK) : FT_EXIT_OK;
done:
    ft_writer_abort(&data);
    ft_writer_abort(&tw);
    free(truth_default);
    return code;
}
