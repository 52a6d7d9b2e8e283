/*
 * cmd_verify.c - `fundtrace verify`: is the data at hand the data an
 * output was made from?
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/provenance.h"

int cmd_verify(int argc, char **argv)
{
    bool quiet = false;
    const ft_option options[] = {
        FT_OPT_FLAG('q', "quiet", &quiet, "print only what differs"),
        FT_OPT_HELP(),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "verify",
        .usage = "fundtrace verify [OPTIONS] OUTPUT [DATA...]",
        .description =
            "Check that DATA (CSV files, or a snapshot) is the data OUTPUT was made from:\n"
            "OUTPUT's provenance record (in any format fundtrace writes) names its inputs\n"
            "with their SHA-256, and each file given must have one of them, and each of\n"
            "them must be given. Without DATA, the files the record names are checked\n"
            "where they are (the snapshot, or the CSV files).\n",
        .options = options,
        .epilog = "Exit status (as cmp): 0 the data is the output's, 1 a file differs (named),\n"
                  "2 usage or input error (an output without a record, an unreadable file).\n",
    };
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        return code;
    if (nargs < 1) {
        ft_cli_error("verify", "give the output to check, then its data");
        return FT_EXIT_ERROR;
    }
    ft_provenance p;
    ft_verify r = {0};
    ft_error err;
    const char **data = NULL;
    code = FT_EXIT_ERROR;
    if (ft_prov_read(&p, argv[1], &err) != FT_OK) {
        ft_cli_fail("verify", &err);
        return code;
    }
    int ndata = nargs - 1;
    if (ndata == 0) { /* the files the record names */
        ndata = p.snapshot ? 1 : (int)p.ninputs;
        data = calloc((size_t)ndata + 1, sizeof *data);
        if (!data) {
            ft_cli_error("verify", "out of memory");
            goto done;
        }
        for (int i = 0; i < ndata; i++)
            data[i] = p.snapshot ? p.snapshot : p.inputs[i].path;
    }
    ft_status rc = ft_prov_verify(&p, data ? data : (const char *const *)argv + 2, ndata, &r, &err);
    if (rc != FT_OK) {
        ft_cli_fail("verify", &err);
        goto done;
    }
    for (size_t i = 0; i < r.n; i++)
        if (!r.v[i].ok || !quiet)
            printf("%s %s\n", r.v[i].ok ? "ok  " : "DIFF", r.v[i].text);
    if (r.bad)
        printf("%s: %zu of %zu check%s failed: not the data this output was made from\n", argv[1],
               r.bad, r.n, r.n == 1 ? "" : "s");
    else if (!quiet)
        printf("%s: made from this data (fundtrace %s, %s)\n", argv[1], p.version, p.command);
    code = ft_cli_finish("verify", r.bad ? FT_EXIT_NONE : FT_EXIT_OK);
done:
    free(data);
    ft_verify_free(&r);
    ft_prov_free(&p);
    return code;
}
