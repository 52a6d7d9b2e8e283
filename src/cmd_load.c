/*
 * cmd_load.c - `fundtrace load`: read CSV files, report, write a snapshot.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fundtrace/snapshot.h"

enum { OPT_OUTPUT = OPT_FIRST_COMMAND_OPTION, OPT_QUIET, OPT_HELP };

static void usage(FILE *f)
{
    fprintf(f, "usage: fundtrace load [OPTIONS] FILE... [-o SNAPSHOT]\n\n"
               "Read transaction CSV files (plain or gzip; '-' is standard input), report rows\n"
               "read, loaded and rejected by reason, and optionally write a snapshot that\n"
               "every other command reads in a fraction of the time.\n\n"
               "Options:\n"
               "  -o, --output FILE    write a snapshot to FILE (atomically)\n"
               "  --format FMT         table (default), json, jsonl or csv\n"
               "  -q, --quiet          do not show rejected rows on stderr\n"
               "  -h, --help           show this help\n\n" FT_CLI_INPUT_HELP
               "\nExit status: 0 loaded, 2 usage or input error.\n");
}

int cmd_load(int argc, char **argv)
{
    static const struct option longopts[] = {
        FT_CLI_INPUT_OPTIONS,
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ft_cli_input in = {0};
    ft_store s = {0};
    ft_format fmt = FT_FORMAT_TABLE;
    const char *output = NULL;
    int code = FT_EXIT_ERROR, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
        int r = ft_cli_input_option(&in, opt, optarg);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        switch (opt) {
        case 'o':
            output = optarg;
            break;
        case OPT_FORMAT:
            if (!ft_cli_format("load", optarg, false, &fmt))
                goto done;
            break;
        case 'q':
            in.quiet = true;
            break;
        case 'h':
            usage(stdout);
            code = ft_cli_finish("load", FT_EXIT_OK);
            goto done;
        default:
            code = ft_cli_bad_option("load", argv, opt);
            goto done;
        }
    }
    if (optind >= argc) {
        ft_cli_error("load", "no input files (give CSV files, or '-' for standard input)");
        goto done;
    }
    if (ft_cli_load(&in, argv + optind, argc - optind, &s) != FT_OK)
        goto done;
    if (output) {
        ft_error err;
        if (ft_snapshot_write(&s, output, &err) != FT_OK) {
            fprintf(stderr, "fundtrace: %s\n", err.msg);
            goto done;
        }
    }
    ft_write_load_summary(stdout, &s, output, fmt);
    code = ft_cli_finish("load", FT_EXIT_OK);
done:
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
