/*
 * cmd_merge.c - `fundtrace merge`: join the parts of a sharded run.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/shard.h"
#include "fundtrace/writer.h"

int cmd_merge(int argc, char **argv)
{
    const char *output = NULL;
    const ft_option options[] = {
        FT_OPT_STRING('o', "output", &output, "FILE",
                      "write the joined output to FILE (atomically) instead of\n"
                      "standard output"),
        FT_OPT_HELP(),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "merge",
        .usage = "fundtrace merge [-o FILE] PART...",
        .description =
            "Join the parts that a command run with --shard I/N printed (trace, scan,\n"
            "features) into what one run of it prints, byte for byte. The parts may be\n"
            "given in any order; they must be all N parts of one run, each once. A scan's\n"
            "parts carry its command line: merge reads the same data again (run it where\n"
            "the shards' paths lead to it) and runs the scan's last step, which looks\n"
            "across all parts, and its --state.\n",
        .options = options,
        .epilog = "Exit status: as the joined command's: 0 something found, 1 nothing found,\n"
                  "2 a part failed, or a usage or input error.\n",
    };
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        return code;
    if (nargs == 0) {
        ft_cli_error("merge", "no parts (give the files that the --shard runs printed)");
        return FT_EXIT_ERROR;
    }
    ft_error err;
    int status = FT_EXIT_ERROR;
    FILE *f = stdout;
    ft_writer w = {.fd = -1};
    ft_shard_parts ps = {0};
    ft_status rc = ft_shard_parts_open(&ps, (const char *const *)argv + 1, nargs, &err);
    if (rc == FT_OK && output && (rc = ft_writer_open(&w, output, false, &err)) == FT_OK &&
        !(f = ft_writer_stream(&w)))
        rc = ft_error_oom(&err);
    if (rc == FT_OK && ps.v[0].nargs && strcmp(ps.v[0].command, "scan") != 0)
        rc = ft_error_set(&err, FT_EINPUT,
                          "%s: parts of '%s' that carry a command line: this merge can finish "
                          "only a scan's",
                          ps.v[0].path, ps.v[0].command);
    if (rc == FT_OK && ps.v[0].nargs) {
        /* A scan's parts: merge runs the scan's last step over them (and
         * commits the output itself, before the scan's --state learns). */
        status = cmd_scan_merge(&ps, output ? &w : NULL);
        ft_writer_abort(&w);
        ft_shard_parts_close(&ps);
        return status;
    }
    if (rc == FT_OK)
        rc = ft_shard_parts_copy(&ps, f, &err);
    status = ps.status;
    ft_shard_parts_close(&ps);
    if (rc == FT_OK && output)
        rc = ft_writer_close(&w, &err);
    ft_writer_abort(&w);
    if (rc != FT_OK) {
        ft_cli_fail("merge", &err);
        return FT_EXIT_ERROR;
    }
    return ft_cli_finish("merge", status);
}
