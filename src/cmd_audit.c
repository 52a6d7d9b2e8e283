/*
 * cmd_audit.c - `fundtrace audit verify|summary FILE`: check the audit
 * log's chain; list the searches per case and per account for a reviewer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/audit.h"

int cmd_audit(int argc, char **argv)
{
    const char *format = "table";
    const ft_option options[] = {
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats,
                    "summary: table (default), jsonl, json or csv"),
        FT_OPT_CSV_RAW(),
        FT_OPT_HELP(),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "audit",
        .usage = "fundtrace audit verify FILE\n"
                 "       fundtrace audit summary [--format FMT] FILE",
        .description =
            "The audit log that commands run with --audit FILE (or $FUNDTRACE_AUDIT),\n"
            "--case ID and --purpose TEXT append to: one line per command, chained by\n"
            "SHA-256.\n"
            "  verify   check every line: its own hash, its number, its link to the line\n"
            "           before; name the first bad line (edited, removed, moved, cut)\n"
            "  summary  the commands per case, and per account searched, for a reviewer\n",
        .options = options,
        .epilog = "Exit status: verify 0 the chain holds, 1 a line is bad (named); summary 0;\n"
                  "2 usage or input error.\n",
    };
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        return code;
    if (nargs != 2 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "summary") != 0)) {
        ft_cli_error("audit", "give 'verify FILE' or 'summary FILE'");
        return FT_EXIT_ERROR;
    }
    ft_error err;
    const char *path = argv[2];
    if (strcmp(argv[1], "summary") == 0) {
        ft_format fmt;
        ft_format_parse(format, &fmt);
        if (ft_audit_summary(path, stdout, fmt, &err) != FT_OK) {
            ft_cli_fail("audit", &err);
            return FT_EXIT_ERROR;
        }
        return ft_cli_finish("audit", FT_EXIT_OK);
    }
    ft_audit_verdict v;
    if (ft_audit_verify(path, &v, &err) != FT_OK) {
        ft_cli_fail("audit", &err);
        return FT_EXIT_ERROR;
    }
    if (v.bad_line) {
        printf("%s:%" PRId64 ": %s\n", path, v.bad_line, v.why);
        printf("%s: the chain breaks at line %" PRId64 " (lines 1-%" PRId64 " hold)\n", path,
               v.bad_line, v.bad_line - 1);
        return ft_cli_finish("audit", FT_EXIT_NONE);
    }
    printf("%s: %" PRId64 " line%s, the chain holds; head %s\n", path, v.lines,
           v.lines == 1 ? "" : "s", v.head);
    return ft_cli_finish("audit", FT_EXIT_OK);
}
