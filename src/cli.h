/*
 * cli.h - what every command shares: the input options, opening CSV files
 * or a snapshot, reporting rejected rows, and the exit code convention.
 * Private to the fundtrace program; the library never prints.
 */
#ifndef FUNDTRACE_CLI_H
#define FUNDTRACE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/ingest.h"
#include "fundtrace/money.h"
#include "fundtrace/output.h"
#include "fundtrace/schema.h"
#include "fundtrace/store.h"

/* Exit codes, as grep: 0 ran and nothing flagged, 1 ran and found
 * something, 2 usage or any error. */
enum { FT_EXIT_OK = 0, FT_EXIT_FOUND = 1, FT_EXIT_ERROR = 2 };

/* How many rejected rows are shown on stderr before only counting. */
#define FT_SHOW_REJECTS 20

enum {
    OPT_MAP = 1000,
    OPT_MAP_FILE,
    OPT_DELIMITER,
    OPT_CURRENCIES,
    OPT_CURRENCY,
    OPT_EPOCH,
    OPT_STRICT,
    OPT_REJECTS,
    OPT_FORMAT,
    OPT_RATES,
    OPT_DECIMAL_COMMA, /* conventions and statements (issue 15) */
    OPT_DECIMAL_POINT,
    OPT_DATE_FORMAT,
    OPT_TIMEZONE,
    OPT_ENCODING,
    OPT_STATEMENT_OF,
    OPT_NO_DEDUP,
    OPT_MERGE_WINDOW,
    OPT_FIRST_COMMAND_OPTION /* commands number their own options from here */
};

#define FT_CLI_INPUT_OPTIONS                                                                    \
    {"map", required_argument, NULL, OPT_MAP},                                                  \
        {"map-file", required_argument, NULL, OPT_MAP_FILE},                                    \
        {"delimiter", required_argument, NULL, OPT_DELIMITER},                                  \
        {"currencies", required_argument, NULL, OPT_CURRENCIES},                                \
        {"currency", required_argument, NULL, OPT_CURRENCY},                                    \
        {"epoch", required_argument, NULL, OPT_EPOCH},                                          \
        {"strict", no_argument, NULL, OPT_STRICT},                                              \
        {"rejects", required_argument, NULL, OPT_REJECTS},                                      \
        {"rates", required_argument, NULL, OPT_RATES},                                          \
        {"decimal-comma", no_argument, NULL, OPT_DECIMAL_COMMA},                                \
        {"decimal-point", no_argument, NULL, OPT_DECIMAL_POINT},                                \
        {"date-format", required_argument, NULL, OPT_DATE_FORMAT},                              \
        {"timezone", required_argument, NULL, OPT_TIMEZONE},                                    \
        {"encoding", required_argument, NULL, OPT_ENCODING},                                    \
        {"statement-of", required_argument, NULL, OPT_STATEMENT_OF},                            \
        {"no-dedup", no_argument, NULL, OPT_NO_DEDUP},                                          \
        {"merge-window", required_argument, NULL, OPT_MERGE_WINDOW}

/* Help text for the shared input options. */
#define FT_CLI_INPUT_HELP                                                                       \
    "Input options:\n"                                                                          \
    "  --map FIELD=COLUMN   take FIELD from COLUMN (a header name or number); repeatable\n"     \
    "  --map-file FILE      FIELD=COLUMN lines\n"                                               \
    "  --delimiter C        ',' ';' '|' or 'tab' (default: guessed from the header)\n"          \
    "  --currencies FILE    extra currencies: CODE,EXPONENT[,NAME...] lines\n"                  \
    "  --currency CODE      currency of rows whose layout has no currency column\n"             \
    "                       (AMLSim and PaySim default to USD)\n"                               \
    "  --epoch TIME         time of PaySim step 0 (default 1970-01-01T00:00:00Z)\n"             \
    "  --strict             stop at the first bad row (exit 2)\n"                               \
    "  --rejects FILE       write each rejected row, verbatim, with its reason (CSV)\n"          \
    "  --rates FILE         exchange rates to one base currency ('base = EUR', then\n"        \
    "                       'USD = 0.92' lines), for totals and weights across currencies\n"  \
    "  --decimal-comma      amounts are written 1.234,56 (default: guessed per file)\n"       \
    "  --decimal-point      amounts are written 1,234.56\n"                                    \
    "  --date-format FMT    dates as FMT, e.g. %%d/%%m/%%Y or '%%d.%%m.%%Y %%H:%%M'\n"                \
    "  --timezone ZONE      zone of times without an offset, e.g. Europe/Berlin (default UTC)\n" \
    "  --encoding ENC       input encoding: cp1252, latin1, utf-16, ... (default UTF-8)\n"   \
    "  --statement-of ACCT  every CSV file is ACCT's statement (one account's view)\n"        \
    "  --no-dedup           keep rows loaded twice, and both statements' views of a transfer\n" \
    "  --merge-window DUR   statement views of one transfer at most DUR apart (default 3d)\n"

struct ft_cli_input {
    ft_map map;
    struct ft_tz *tz;
    ft_currency_defs defs;
    ft_load_options opts;
    const char *rejects_path;
    const char *rates_path;
    char *rejects_tmp;
    FILE *rejects;
    int64_t shown;
    bool quiet;
    int64_t progress_ms;
    bool progress_shown;
};

/* Handles one of the shared options; returns 1 when `opt` was one of
 * them, 0 when not, -1 after printing an error. */
int ft_cli_input_option(struct ft_cli_input *in, int opt, const char *arg);

/* Loads `paths`: one snapshot, or CSV files ("-" is standard input).
 * Rejected rows are shown on stderr (the first FT_SHOW_REJECTS) and
 * written to the --rejects file. Prints the error and returns non-OK on
 * failure. */
ft_status ft_cli_load(struct ft_cli_input *in, char *const *paths, int npaths, ft_store *s);

void ft_cli_input_free(struct ft_cli_input *in);

/* Reports an option getopt_long did not accept ('?' or ':', with opterr
 * 0 and a leading ':' in the short options); returns FT_EXIT_ERROR. */
int ft_cli_bad_option(const char *cmd, char **argv, int opt);

/* Parses --format; prints the error and returns false when unknown, or
 * dot for a command that does not draw (allow_dot false). */
bool ft_cli_format(const char *cmd, const char *arg, bool allow_dot, ft_format *fmt);

/* Prints "fundtrace CMD: message" on stderr. */
void ft_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Flushes stdout and checks it really got out (full disk, closed pipe);
 * returns `code`, or FT_EXIT_ERROR when the output failed. */
int ft_cli_finish(const char *cmd, int code);

/* Parses a whole number from 0 to max for option `name`; prints the
 * error (with `what` saying what is expected) and returns false when not. */
bool ft_cli_uint(const char *cmd, const char *name, const char *arg, uint32_t max,
                 const char *what, uint32_t *out);

/* Parses a time (--since, --until) or a duration (--window) for option
 * `name`; prints the error and returns false when it is not one. */
bool ft_cli_time(const char *cmd, const char *name, const char *arg, int64_t *ms);
bool ft_cli_duration(const char *cmd, const char *name, const char *arg, int64_t *ms);

/* An account-list option (--from A,B, repeatable): the keys as given,
 * resolved once the data is loaded into ids, sorted and distinct. */
typedef struct ft_cli_accounts {
    char **keys;
    size_t nkeys, cap;
    uint32_t *ids;
    uint32_t n;
} ft_cli_accounts;

/* Adds the comma-separated keys of arg; false (reported) out of memory. */
bool ft_cli_accounts_add(const char *cmd, ft_cli_accounts *l, const char *arg);
/* Looks the keys up in s; false when one is not in the data (each
 * reported). */
bool ft_cli_accounts_resolve(const char *cmd, const ft_store *s, ft_cli_accounts *l);
void ft_cli_accounts_free(ft_cli_accounts *l);

int cmd_load(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_paths(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_clusters(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
