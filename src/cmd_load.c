/*
 * cmd_load.c - `fundtrace load`: read CSV files, report, write a snapshot.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "fundtrace/snapshot.h"

int cmd_load(int argc, char **argv)
{
    struct ft_cli_input in = {0};
    const char *output = NULL, *format = "table";
    const ft_option options[] = {
        FT_OPT_STRING('o', "output", &output, "FILE", "write a snapshot to FILE (atomically)"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats,
                    "table (default), json, jsonl or csv"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_INT(0, "threads", &in.opts.threads, "N", 1, 256,
                   "tokenise a large file on N threads (default: one per\n"
                   "core); the result is the same for any N"),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "load",
        .usage = "fundtrace load [OPTIONS] FILE... [-o SNAPSHOT]",
        .description =
            "Read transaction CSV files (plain or gzip; '-' is standard input), report rows\n"
            "read, loaded and rejected by reason, and optionally write a snapshot that\n"
            "every other command reads in a fraction of the time.\n",
        .options = options,
        .epilog = "Exit status: 0 loaded, 2 usage or input error.\n",
    };
    ft_store s = {0};
    ft_format fmt;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    if (nargs == 0) {
        ft_cli_error("load", "no input files (give CSV files, or '-' for standard input)");
        goto done;
    }
    if (ft_cli_load("load", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (output) {
        ft_error err;
        ft_cli_progress_step(&in.prog, "writing %s", output);
        ft_status rc =
            ft_snapshot_write_progress(&s, output, ft_cli_progress_advance, &in.prog, &err);
        ft_cli_progress_done(&in.prog);
        if (rc != FT_OK) {
            ft_cli_fail("load", &err);
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
