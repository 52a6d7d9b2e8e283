/*
 * cmd_match.c - `fundtrace match`: the pseudonymised accounts two files share.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fundtrace/pseudo.h"

int cmd_match(int argc, char **argv)
{
    const char *key_path = NULL, *format = "table";
    const ft_option options[] = {
        FT_OPT_STRING(0, "key", &key_path, "KEYFILE",
                      "hash with this key the raw ids of a file that holds\n"
                      "no tokens (a list of account ids, one a line)"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats,
                    "table (default), jsonl, json or csv"),
        FT_OPT_CSV_RAW(),
        FT_OPT_HELP(),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "match",
        .usage = "fundtrace match [--key KEYFILE] [OPTIONS] A B",
        .description =
            "List the pseudonymised account tokens that two files share, with how often\n"
            "each file names them: outputs of export, trace or scan written with\n"
            "--pseudonymise under the same key. With --key, a file of raw account ids (one\n"
            "a line) is hashed with the key first, so one party can check its own list\n"
            "against another's pseudonymised output.\n",
        .options = options,
        .epilog = "Exit status (as grep): 0 the files share an account, 1 they share none,\n"
                  "2 usage or input error.\n",
    };
    ft_pseudo_key key;
    ft_match m = {0};
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        return code;
    code = FT_EXIT_ERROR;
    if (nargs != 2) {
        ft_cli_error("match", "give two files, A and B");
        return code;
    }
    if (strcmp(argv[1], "-") == 0 && strcmp(argv[2], "-") == 0) {
        ft_cli_error("match", "only one of A and B can be standard input");
        return code;
    }
    if (key_path && ft_pseudo_key_read(&key, key_path, &err) != FT_OK) {
        ft_cli_fail("match", &err);
        return code;
    }
    const char *paths[2] = {argv[1], argv[2]};
    ft_status rc = ft_match_files(paths, key_path ? &key : NULL, &m, &err);
    memset(&key, 0, sizeof key);
    if (rc != FT_OK) {
        ft_cli_fail("match", &err);
        return code;
    }
    ft_format fmt;
    ft_format_parse(format, &fmt);
    ft_json j;
    switch (fmt) {
    case FT_FORMAT_JSON:
        ft_json_init(&j, stdout, true);
        ft_json_object(&j, NULL);
        ft_json_int(&j, "distinct_a", (int64_t)m.distinct[0]);
        ft_json_int(&j, "distinct_b", (int64_t)m.distinct[1]);
        ft_json_bool(&j, "raw_a", m.raw[0]);
        ft_json_bool(&j, "raw_b", m.raw[1]);
        ft_json_array(&j, "shared");
        for (size_t i = 0; i < m.n; i++) {
            ft_json_object(&j, NULL);
            ft_json_cstr(&j, "token", m.v[i].token);
            ft_json_int(&j, "count_a", (int64_t)m.v[i].count[0]);
            ft_json_int(&j, "count_b", (int64_t)m.v[i].count[1]);
            ft_json_end(&j, '}');
        }
        ft_json_end(&j, ']');
        ft_json_end(&j, '}');
        ft_json_finish(&j);
        break;
    case FT_FORMAT_JSONL:
        for (size_t i = 0; i < m.n; i++) {
            ft_json_init(&j, stdout, false);
            ft_json_object(&j, NULL);
            ft_json_cstr(&j, "token", m.v[i].token);
            ft_json_int(&j, "count_a", (int64_t)m.v[i].count[0]);
            ft_json_int(&j, "count_b", (int64_t)m.v[i].count[1]);
            ft_json_end(&j, '}');
            ft_json_finish(&j);
        }
        break;
    case FT_FORMAT_CSV:
        fputs("token,count_a,count_b\n", stdout);
        for (size_t i = 0; i < m.n; i++)
            printf("%s,%" PRIu64 ",%" PRIu64 "\n", m.v[i].token, m.v[i].count[0], m.v[i].count[1]);
        break;
    default:
        if (m.n)
            printf("%-*s %10s %10s\n", FT_PSEUDO_LEN, "token", "in A", "in B");
        for (size_t i = 0; i < m.n; i++)
            printf("%s %10" PRIu64 " %10" PRIu64 "\n", m.v[i].token, m.v[i].count[0],
                   m.v[i].count[1]);
        printf("%zu shared account%s; A names %" PRIu64 "%s, B %" PRIu64 "%s\n", m.n,
               m.n == 1 ? "" : "s", m.distinct[0], m.raw[0] ? " (raw ids, hashed)" : "",
               m.distinct[1], m.raw[1] ? " (raw ids, hashed)" : "");
        break;
    }
    code = ft_cli_finish("match", m.n ? FT_EXIT_OK : FT_EXIT_NONE);
    ft_match_free(&m);
    return code;
}
