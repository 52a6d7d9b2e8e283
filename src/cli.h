/*
 * cli.h - what every command shares: the input options, opening CSV files
 * or a snapshot, reporting rejected rows, and the exit code convention.
 * Private to the fundtrace program; the library never prints.
 */
#ifndef FUNDTRACE_CLI_H
#define FUNDTRACE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/ingest.h"
#include "fundtrace/money.h"
#include "fundtrace/output.h"
#include "fundtrace/periods.h"
#include "fundtrace/audit.h"
#include "fundtrace/progress.h"
#include "fundtrace/provenance.h"
#include "fundtrace/schema.h"
#include "fundtrace/store.h"
#include "fundtrace/writer.h"

/* Exit codes (DESIGN.md, as grep): a search exits FT_EXIT_OK when it found
 * something and FT_EXIT_NONE when it found nothing; a check exits
 * FT_EXIT_OK when all holds and FT_EXIT_NONE when something differs; any
 * command exits FT_EXIT_ERROR on a usage or input error. */
enum { FT_EXIT_OK = 0, FT_EXIT_NONE = 1, FT_EXIT_ERROR = 2 };

/* How many rejected rows are shown on stderr before only counting. */
#define FT_SHOW_REJECTS 20

/*
 * Options, in the spirit of git's parse-options: each command declares
 * one array of ft_option, ended by FT_OPT_END(), and ft_cli_parse() parses
 * argv against it, checks values, and prints --help from the same array.
 *
 * Long options match exactly (no abbreviations: `--seed` is never
 * `--seeds`); `--name=value` and `--name value` both work; short options
 * may be bundled (`-qo FILE`). Options and operands may be mixed; after
 * `--` everything is an operand. A scalar option given twice keeps the
 * last value, unless FT_OPT_ONCE says it is an error; a list keeps all.
 */
typedef enum ft_opt_kind {
    FT_OPT_KIND_END,
    FT_OPT_KIND_GROUP,    /* a heading in --help ("Input options"); no option */
    FT_OPT_KIND_FLAG,     /* bool *: set to true */
    FT_OPT_KIND_UINT,     /* uint32_t *: a whole number in [min, max] */
    FT_OPT_KIND_INT,      /* int *: a whole number in [min, max] */
    FT_OPT_KIND_INT64,    /* int64_t *: a whole number in [min, max] */
    FT_OPT_KIND_UINT64,   /* uint64_t *: a whole number in [min, max] */
    FT_OPT_KIND_DOUBLE,   /* double *: a number in the range of dmin, dmax, flags */
    FT_OPT_KIND_STRING,   /* const char **: the argument itself (borrowed from argv) */
    FT_OPT_KIND_ENUM,     /* const char **: the argument, one of `values` */
    FT_OPT_KIND_LIST,     /* ft_cli_list *: every argument, in order */
    FT_OPT_KIND_TIME,     /* int64_t *: a time (ms since the epoch, UTC) */
    FT_OPT_KIND_DURATION, /* int64_t *: a duration (30d, 12h, 90m) in ms */
    FT_OPT_KIND_CALLBACK, /* cb(cmd, opt, arg); no argument when argh is NULL */
    FT_OPT_KIND_HELP,     /* -h, --help: print the help and exit 0 */
} ft_opt_kind;

enum {
    FT_OPT_HIDDEN = 1 << 0,   /* parsed, left out of --help (an old name) */
    FT_OPT_ONCE = 1 << 1,     /* an error when given twice */
    FT_OPT_MIN_OPEN = 1 << 2, /* FT_OPT_KIND_DOUBLE: above dmin, not at it */
    FT_OPT_MAX_OPEN = 1 << 3, /* FT_OPT_KIND_DOUBLE: below dmax, not at it */
};

typedef struct ft_option ft_option;

/* A callback option's handler: false after printing the error (with
 * ft_cli_error(cmd, ...)). `arg` is NULL for an option without argument. */
typedef bool (*ft_opt_cb)(const char *cmd, const ft_option *opt, const char *arg);

struct ft_option {
    ft_opt_kind kind;
    char short_name;           /* 0: none */
    const char *long_name;     /* without "--"; NULL: none */
    void *value;               /* where the value goes (see the kinds) */
    const char *argh;          /* the argument's name in --help ("N", "FILE") */
    const char *help;          /* lines separated by '\n'; a group's heading */
    uint64_t min, max;         /* whole numbers */
    double dmin, dmax;         /* FT_OPT_KIND_DOUBLE */
    const char *const *values; /* FT_OPT_KIND_ENUM: the names, NULL-ended */
    ft_opt_cb cb;
    int flags;
};

/* The entries, for option tables. */
/* One line per entry kind reads better than clang-format 14 braces. */
/* clang-format off */
#define FT_OPT_(k, s, l, v, a, h) \
    .kind = (k), .short_name = (s), .long_name = (l), .value = (v), .argh = (a), .help = (h)
#define FT_OPT_END() {.kind = FT_OPT_KIND_END}
#define FT_OPT_GROUP(h) {.kind = FT_OPT_KIND_GROUP, .help = (h)}
#define FT_OPT_FLAG(s, l, v, h) {FT_OPT_(FT_OPT_KIND_FLAG, s, l, v, NULL, h)}
#define FT_OPT_UINT(s, l, v, a, lo, hi, h) \
    {FT_OPT_(FT_OPT_KIND_UINT, s, l, v, a, h), .min = (lo), .max = (hi)}
#define FT_OPT_INT(s, l, v, a, lo, hi, h) \
    {FT_OPT_(FT_OPT_KIND_INT, s, l, v, a, h), .min = (lo), .max = (hi)}
#define FT_OPT_INT64(s, l, v, a, lo, hi, h) \
    {FT_OPT_(FT_OPT_KIND_INT64, s, l, v, a, h), .min = (lo), .max = (hi)}
#define FT_OPT_UINT64(s, l, v, a, lo, hi, h) \
    {FT_OPT_(FT_OPT_KIND_UINT64, s, l, v, a, h), .min = (lo), .max = (hi)}
#define FT_OPT_DOUBLE(s, l, v, a, lo, hi, fl, h) \
    {FT_OPT_(FT_OPT_KIND_DOUBLE, s, l, v, a, h), .dmin = (lo), .dmax = (hi), .flags = (fl)}
#define FT_OPT_STRING(s, l, v, a, h) {FT_OPT_(FT_OPT_KIND_STRING, s, l, v, a, h)}
#define FT_OPT_ENUM(s, l, v, a, vals, h) \
    {FT_OPT_(FT_OPT_KIND_ENUM, s, l, v, a, h), .values = (vals)}
#define FT_OPT_LIST(s, l, v, a, h) {FT_OPT_(FT_OPT_KIND_LIST, s, l, v, a, h)}
#define FT_OPT_TIME(s, l, v, a, h) {FT_OPT_(FT_OPT_KIND_TIME, s, l, v, a, h)}
#define FT_OPT_DURATION(s, l, v, a, h) {FT_OPT_(FT_OPT_KIND_DURATION, s, l, v, a, h)}
#define FT_OPT_CALLBACK(s, l, v, a, f, h) {FT_OPT_(FT_OPT_KIND_CALLBACK, s, l, v, a, h), .cb = (f)}
#define FT_OPT_HELP() {FT_OPT_(FT_OPT_KIND_HELP, 'h', "help", NULL, NULL, "show this help")}
/* clang-format on */

/* A repeatable option's arguments, borrowed from argv. */
typedef struct ft_cli_list {
    const char **v;
    size_t n, cap;
} ft_cli_list;

void ft_cli_list_free(ft_cli_list *l);

/* What a command tells the parser and its --help. */
typedef struct ft_cli_command {
    const char *name;        /* "trace" */
    const char *usage;       /* after "usage: fundtrace NAME "; lines separated by '\n' */
    const char *description; /* a paragraph, ending in '\n' */
    const ft_option *options;
    const char *epilog;         /* after the options, or NULL */
    void (*epilog_fn)(FILE *f); /* printed after the epilog, or NULL */
} ft_cli_command;

/* ft_cli_parse's answer when the command should go on. */
#define FT_CLI_CONTINUE (-1)

/* Parses argv[1 .. argc) against c->options, storing each value. The
 * operands (arguments that are not options, in their order) are moved to
 * argv[1 .. 1 + *noperands). Returns FT_CLI_CONTINUE, or the exit code
 * the command should return at once: FT_EXIT_OK after --help (printed to
 * stdout), FT_EXIT_ERROR after a usage error (printed to stderr as
 * "fundtrace NAME: ..."). */
int ft_cli_parse(const ft_cli_command *c, int argc, char **argv, int *noperands);

/* Writes c's help: usage, description, the options by group, the epilog. */
void ft_cli_help(FILE *f, const ft_cli_command *c);

/*
 * Progress of the steps that can take seconds, on stderr. Shown on a
 * terminal (redrawn in place, five times a second at most) unless -q or
 * $CI; --progress forces it anywhere, and where stderr is not a terminal
 * (nohup, a log file) it writes a line every few seconds instead. With a
 * total the display is a percentage, without one a count. -q never hides
 * a command's final summary line: only progress and per-row messages.
 */
typedef struct ft_cli_progress {
    const char *cmd;
    char what[160];
    bool on, tty, shown;
    int64_t start_ms, last_ms;
} ft_cli_progress;

/* --csv-raw: CSV cells as they are, without the quote that keeps a
 * spreadsheet from running a cell as a formula (output.h). */
bool ft_cli_opt_csv_raw(const char *cmd, const ft_option *opt, const char *arg);
#define FT_OPT_CSV_RAW()                                                                           \
    FT_OPT_CALLBACK(0, "csv-raw", NULL, NULL, ft_cli_opt_csv_raw,                                  \
                    "CSV cells as they are: no quote before a cell that\n"                         \
                    "begins with = + - @ (for programs, not spreadsheets)")

/* The --progress option, into a bool. */
#define FT_OPT_PROGRESS(v)                                                                         \
    FT_OPT_FLAG(0, "progress", (v), "show progress even when standard error is not a\nterminal")

void ft_cli_progress_init(ft_cli_progress *p, const char *cmd, bool force, bool quiet);
/* Names the step now running ("scanning the accounts") and shows it. */
void ft_cli_progress_step(ft_cli_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An ft_advance_fn (progress.h) whose ctx is an ft_cli_progress. */
void ft_cli_progress_advance(void *ctx, uint64_t done, uint64_t total);
/* Clears the display (the step is over). */
void ft_cli_progress_done(ft_cli_progress *p);

struct ft_cli_input {
    ft_map map;
    struct ft_tz *tz; /* --timezone */
    const char *cmd;  /* notes are "fundtrace CMD: path: message" */
    ft_currency_defs defs;
    ft_load_options opts;
    const char *rejects_path;
    const char *rates_path;
    ft_writer rejects_w;
    FILE *rejects; /* rejects_w's stream while loading */
    int64_t shown;
    bool quiet;
    bool progress; /* --progress */
    ft_cli_progress prog;
    const char *reading; /* the file the progress display names */
    const char *pseudonymise; /* --pseudonymise KEYFILE */
    /* The command's time window, set before ft_cli_load (window true):
     * given a periods' directory, it reads only the periods from since_ms
     * to until_ms (inclusive) and fills `whole` with the whole data's
     * figures (periods.h), which the command then uses where it would
     * count over all the data. `whole.present` is false when every period
     * was read. */
    bool window;
    int64_t since_ms, until_ms;
    ft_period_whole whole;
    /* scan --lookback (set before ft_cli_load, range true): the data is
     * only the transfers from the window's start less range_back to its
     * end (since_ms, until_ms as above; range_last, when not 0, puts the
     * start at the data's last transfer less range_last); given periods,
     * only those the range overlaps are mapped. ft_cli_load leaves the
     * window's start in since_ms (from range_last: the whole data's last
     * transfer), and the range's times kept in range_from, range_to. */
    bool range;
    int64_t range_last, range_back;
    int64_t range_from, range_to;
};

/* The provenance of this run (provenance.h): ft_cli_run_start (main)
 * starts it, ft_cli_parse adds the options given and the files they name,
 * ft_cli_load the inputs. */
extern ft_provenance ft_cli_prov;
extern bool ft_cli_prov_off; /* --no-provenance */
extern bool ft_cli_prov_csv; /* --provenance: CSV comment lines too */
void ft_cli_run_start(const char *cmd, int argc, char **argv);
/* Starts the record again, as if the command line had been argv: merge
 * runs a scan's last step with the scan's command line, and records that. */
void ft_cli_run_restart(const char *cmd, int argc, char **argv);

/*
 * The audit log (audit.h): --audit FILE or $FUNDTRACE_AUDIT, with --case
 * ID and --purpose TEXT, options of every command (taken out of argv here,
 * before the command parses it). Returns -1 to go on, or the exit code
 * (a usage error: the log is on without a case or a purpose; the log
 * cannot take a line). ft_cli_run_end then appends the command's line,
 * with what the command noted it returned.
 */
int ft_cli_audit_start(const char *cmd, int *argc, char **argv);
void ft_cli_audit_count(const char *name, int64_t v);
void ft_cli_audit_account(const char *key);
void ft_cli_audit_alert(const char *id);
/* Appends the audit line (when the log is on; a failure to is reported
 * and makes the code FT_EXIT_ERROR) and frees what the run recorded;
 * returns the code. */
int ft_cli_run_end(int code);
/* Before an output's results: the record as `fmt` carries it (nothing
 * with --no-provenance, CSV only with --provenance); false (reported)
 * out of memory. After them, ft_cli_prov_end closes the JSON wrapper. */
bool ft_cli_prov_begin(const char *cmd, FILE *f, ft_format fmt);
void ft_cli_prov_end(FILE *f, ft_format fmt);
/* The record as one line of JSON for formats that embed it (GraphML,
 * GEXF, DOT), or NULL with --no-provenance or out of memory. */
char *ft_cli_prov_text(void);
#define FT_OPT_PROVENANCE()                                                                        \
    FT_OPT_FLAG(0, "no-provenance", &ft_cli_prov_off,                                              \
                "leave out the provenance record (version, command\n"                              \
                "line, time, inputs' SHA-256) of JSON, JSON Lines,\n"                              \
                "GraphML, GEXF and DOT output"),                                                   \
        FT_OPT_FLAG(0, "provenance", &ft_cli_prov_csv,                                             \
                    "CSV output too: the record as '#' lines before the\n"                         \
                    "header")

/* --pseudonymise KEYFILE (export, trace, scan): ft_cli_load then shows
 * every account as its keyed token (pseudo.h). */
#define FT_OPT_PSEUDONYMISE(in)                                                                    \
    FT_OPT_STRING(0, "pseudonymise", &(in)->pseudonymise, "KEYFILE",                               \
                  "write every account id as a keyed token (HMAC-SHA256\n"                         \
                  "under the key in KEYFILE), for exchange; see\n"                                 \
                  "fundtrace-match(1)")

/* The shared input options of struct ft_cli_input `in`, as one group of
 * an option table. */
bool ft_cli_opt_map(const char *cmd, const ft_option *opt, const char *arg);
bool ft_cli_opt_map_file(const char *cmd, const ft_option *opt, const char *arg);
bool ft_cli_opt_delimiter(const char *cmd, const ft_option *opt, const char *arg);
bool ft_cli_opt_currencies(const char *cmd, const ft_option *opt, const char *arg);
bool ft_cli_opt_decimal(const char *cmd, const ft_option *opt, const char *arg);
bool ft_cli_opt_date_format(const char *cmd, const ft_option *opt, const char *arg);
bool ft_cli_opt_timezone(const char *cmd, const ft_option *opt, const char *arg);
bool ft_cli_opt_encoding(const char *cmd, const ft_option *opt, const char *arg);

#define FT_CLI_INPUT_OPTIONS(in)                                                                   \
    FT_OPT_GROUP("Input options"),                                                                 \
        FT_OPT_CALLBACK(0, "map", (in), "FIELD=COLUMN", ft_cli_opt_map,                            \
                        "take FIELD from COLUMN (a header name or number);\n"                      \
                        "repeatable"),                                                             \
        FT_OPT_CALLBACK(0, "map-file", (in), "FILE", ft_cli_opt_map_file, "FIELD=COLUMN lines"),   \
        FT_OPT_CALLBACK(0, "delimiter", (in), "C", ft_cli_opt_delimiter,                           \
                        "',' ';' '|' or 'tab' (default: guessed from the header)"),                \
        FT_OPT_CALLBACK(0, "currencies", (in), "FILE", ft_cli_opt_currencies,                      \
                        "extra currencies: CODE,EXPONENT[,NAME...] lines"),                        \
        FT_OPT_STRING(0, "currency", &(in)->opts.default_currency, "CODE",                         \
                      "currency of rows whose layout has no currency column\n"                     \
                      "(AMLSim and PaySim default to USD)"),                                       \
        FT_OPT_TIME(0, "epoch", &(in)->opts.epoch_ms, "TIME",                                      \
                    "time of PaySim step 0 (default 1970-01-01T00:00:00Z)"),                       \
        FT_OPT_FLAG(0, "strict", &(in)->opts.strict, "stop at the first bad row (exit 2)"),        \
        FT_OPT_STRING(0, "rejects", &(in)->rejects_path, "FILE",                                   \
                      "write each rejected row, verbatim, with its reason (CSV)"),                 \
        FT_OPT_STRING(0, "rates", &(in)->rates_path, "FILE",                                       \
                      "exchange rates to one base currency ('base = EUR', then\n"                  \
                      "'USD = 0.92' lines), for totals and weights across\n"                       \
                      "currencies"),                                                               \
        FT_OPT_CALLBACK(0, "decimal-comma", (in), NULL, ft_cli_opt_decimal,                        \
                        "amounts are written 1.234,56 (default: guessed per file)"),               \
        FT_OPT_CALLBACK(0, "decimal-point", (in), NULL, ft_cli_opt_decimal,                        \
                        "amounts are written 1,234.56"),                                           \
        FT_OPT_CALLBACK(0, "date-format", (in), "FMT", ft_cli_opt_date_format,                     \
                        "dates as FMT, e.g. %d/%m/%Y or '%d.%m.%Y %H:%M'"),                        \
        FT_OPT_CALLBACK(0, "timezone", (in), "ZONE", ft_cli_opt_timezone,                          \
                        "zone of times without an offset, e.g. Europe/Berlin\n"                    \
                        "(default UTC)"),                                                          \
        FT_OPT_CALLBACK(0, "encoding", (in), "ENC", ft_cli_opt_encoding,                           \
                        "input encoding: cp1252, latin1, utf-16, ... (default UTF-8)"),            \
        FT_OPT_STRING(0, "statement-of", &(in)->opts.statement_of, "ACCOUNT",                      \
                      "every CSV file is ACCOUNT's statement (one account's view)"),               \
        FT_OPT_FLAG(0, "no-dedup", &(in)->opts.no_dedup,                                           \
                    "keep rows loaded twice, and both statements' views of\n"                      \
                    "a transfer"),                                                                 \
        FT_OPT_DURATION(0, "merge-window", &(in)->opts.merge_window_ms, "DUR",                     \
                        "statement views of one transfer at most DUR apart\n"                      \
                        "(default 3d)")

/* The --format values of commands that write tables and data. */
extern const char *const ft_cli_formats[];     /* table json jsonl csv */
extern const char *const ft_cli_formats_dot[]; /* and dot */

/* Loads `paths`: one snapshot, a manifest of periods (its file or its
 * directory: all its periods, as one store), or CSV files ("-" is
 * standard input).
 * Rejected rows are shown on stderr (the first FT_SHOW_REJECTS) and
 * written to the --rejects file. Prints the error ("fundtrace CMD: ...")
 * and returns non-OK on failure. */
ft_status ft_cli_load(const char *cmd, struct ft_cli_input *in, char *const *paths, int npaths,
                      ft_store *s);

void ft_cli_input_free(struct ft_cli_input *in);

/* Prints "fundtrace CMD: message" on stderr. */
void ft_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a library error as "fundtrace CMD: message" (a message that
 * already starts with "CMD: " is not prefixed twice). */
void ft_cli_fail(const char *cmd, const ft_error *err);

/* Flushes stdout and checks it really got out (full disk, closed pipe);
 * returns `code`, or FT_EXIT_ERROR when the output failed. */
int ft_cli_finish(const char *cmd, int code);

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
/* The callback of an account-list option whose value is an
 * ft_cli_accounts. */
bool ft_cli_opt_accounts(const char *cmd, const ft_option *opt, const char *arg);
/* The same for a file of accounts, one a line (the whole line is the key;
 * '#' comments and blank lines skipped): --seeds FILE. */
bool ft_cli_opt_accounts_file(const char *cmd, const ft_option *opt, const char *arg);
/* Looks the keys up in s; false when one is not in the data (each
 * reported). */
bool ft_cli_accounts_resolve(const char *cmd, const ft_store *s, ft_cli_accounts *l);
void ft_cli_accounts_free(ft_cli_accounts *l);

/* The callback of --shard I/N; its value is an ft_shard (shard.h). */
bool ft_cli_opt_shard(const char *cmd, const ft_option *opt, const char *arg);
struct ft_features_opts;

/* The feature options of features, learn and scan --model: --windows,
 * --rules (its [params]) and --set, into *o; 0, or -1 after printing the
 * error. */
int ft_cli_features_opts(const char *cmd, const char *windows, const char *rules_path,
                         const ft_cli_list *sets, struct ft_features_opts *o);

/* One 0/1 label per row of s into a malloc'd *label: from a truth file
 * eval reads (`data`: the IBM data file, or NULL), else from the data's
 * label column. 0, or -1 after printing the error. */
int ft_cli_labels(const char *cmd, const ft_store *s, const char *truth, const char *data,
                  uint8_t **label);

struct ft_model;

/* Reads a model for scan --model: refused when `other_options` (--only,
 * --min-score) were given, or when --rules' [params] or --set change its
 * feature settings. 0, or -1 after printing the error. */
int ft_cli_model_open(const char *cmd, const char *path, const char *rules_path,
                      const ft_cli_list *sets, bool other_options, struct ft_model *m);

int cmd_load(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_paths(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_clusters(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_learn(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_study(int argc, char **argv);

struct ft_shard_parts;
struct ft_writer;
/* merge's end of a sharded scan: the scan's command line from the parts,
 * its data loaded again, the parts finished into what one scan prints,
 * written to w (NULL: standard output) and committed before the --state
 * learns the alerts. Returns the scan's exit status. */
int cmd_scan_merge(const struct ft_shard_parts *ps, struct ft_writer *w);

#endif
