/*
 * test_cli.c - the option parser of src/cli.c: values and their checks,
 * repeats, missing values, unknown options, "--", operands, and --help
 * printed from the same table. Errors are read back from stderr.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "testutil.h"

/* What one parse gave: its code, the operands, and stderr. */
typedef struct run {
    int code, nops;
    char *ops[16];
    char err[1024];
} run;

static char *argv_buf[32];

/* Parses the NULL-ended words (the command name first). */
static void parse(const ft_cli_command *c, run *r, const char *const *words)
{
    int argc = 0;
    while (words[argc]) {
        argv_buf[argc] = (char *)words[argc];
        argc++;
    }
    argv_buf[argc] = NULL;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), STDERR_FILENO);
    r->code = ft_cli_parse(c, argc, argv_buf, &r->nops);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(r->err, 1, sizeof r->err - 1, tmp);
    r->err[n] = '\0';
    fclose(tmp);
    for (int i = 0; i < r->nops && i < 16; i++)
        r->ops[i] = argv_buf[1 + i];
}

/* The options of a made-up command "t". */
typedef struct vals {
    int hops;
    uint32_t top;
    uint64_t seed;
    double share, res;
    bool quiet, all;
    const char *out, *policy, *seeds, *once;
    ft_cli_list set;
    int64_t since, window;
} vals;

static const char *const policies[] = {"poison", "haircut", "fifo", NULL};

static vals v;

static const ft_option options[] = {
    FT_OPT_INT(0, "hops", &v.hops, "K", 1, 10, "at most K hops (default 6)"),
    FT_OPT_UINT(0, "top", &v.top, "N", 0, UINT32_MAX, "the N first (0: all)"),
    FT_OPT_UINT64(0, "seed", &v.seed, "N", 0, UINT64_MAX, "the random seed"),
    FT_OPT_DOUBLE(0, "share", &v.share, "S", 0, 1, FT_OPT_MIN_OPEN, "a share"),
    FT_OPT_DOUBLE(0, "res", &v.res, "R", 0, 100, FT_OPT_MIN_OPEN | FT_OPT_MAX_OPEN, "a resolution"),
    FT_OPT_ENUM(0, "policy", &v.policy, "P", policies, "poison, haircut or fifo"),
    FT_OPT_STRING(0, "seeds", &v.seeds, "FILE", "one seed per line"),
    FT_OPT_LIST(0, "set", &v.set, "NAME=VALUE", "a parameter; repeatable"),
    {FT_OPT_(FT_OPT_KIND_STRING, 0, "rules", &v.once, "FILE", "a rules file"),
     .flags = FT_OPT_ONCE},
    {FT_OPT_(FT_OPT_KIND_INT, 0, "max-hops", &v.hops, "K", "old name"), .min = 1, .max = 10,
     .flags = FT_OPT_HIDDEN},
    FT_OPT_TIME(0, "since", &v.since, "T", "from T on"),
    FT_OPT_DURATION(0, "window", &v.window, "D", "for D"),
    FT_OPT_STRING('o', "output", &v.out, "FILE", "write here"),
    FT_OPT_FLAG(0, "all", &v.all, "every one, with a help text that\ngoes on a second line"),
    FT_OPT_FLAG('q', "quiet", &v.quiet, "say less"),
    FT_OPT_HELP(),
    FT_OPT_GROUP("More options"),
    FT_OPT_STRING(0, "a-rather-long-option-name", &v.out, "VALUE", "help on a line of its own"),
    FT_OPT_END(),
};

static const ft_cli_command cmd = {
    .name = "t",
    .usage = "fundtrace t [OPTIONS] FILE...\nfundtrace t --help",
    .description = "A command for tests.\n",
    .options = options,
    .epilog = "Exit status: 0 done.\n",
};

static int reset(void **state)
{
    (void)state;
    ft_cli_list_free(&v.set);
    memset(&v, 0, sizeof v);
    v.hops = 6;
    return 0;
}

#define PARSE(r, ...) parse(&cmd, (r), (const char *const[]){"t", __VA_ARGS__, NULL})

static void test_values_and_operands(void **state)
{
    (void)state;
    run r;
    PARSE(&r, "a.csv", "--hops", "3", "--top=0", "-qo", "out.txt", "b.csv", "--seed",
          "18446744073709551615", "--share", "1", "--res", "0.5", "--policy", "fifo", "--all",
          "--since", "2024-03-01", "--window", "2d");
    assert_int_equal(r.code, FT_CLI_CONTINUE);
    assert_string_equal(r.err, "");
    assert_int_equal(r.nops, 2);
    assert_string_equal(r.ops[0], "a.csv");
    assert_string_equal(r.ops[1], "b.csv");
    assert_int_equal(v.hops, 3);
    assert_int_equal(v.top, 0);
    assert_true(v.seed == UINT64_MAX);
    assert_true(v.share == 1.0 && v.res == 0.5);
    assert_string_equal(v.policy, "fifo");
    assert_ptr_equal(v.policy, policies[2]);
    assert_true(v.quiet && v.all);
    assert_string_equal(v.out, "out.txt");
    assert_true(v.since == 1709251200000LL);
    assert_true(v.window == 2 * 86400000LL);
    /* The operands first, then every option with its value, in order: the
     * whole command line stays (a shard's run id and replayed line). */
    static const char *const after[] = {
        "t",       "a.csv", "b.csv",   "--hops",     "3",
        "--top=0", "-qo",   "out.txt", "--seed",     "18446744073709551615",
        "--share", "1",     "--res",   "0.5",        "--policy",
        "fifo",    "--all", "--since", "2024-03-01", "--window",
        "2d"};
    for (size_t i = 0; i < sizeof after / sizeof *after; i++)
        assert_string_equal(argv_buf[i], after[i]);
}

static void test_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *opt, *arg, *err;
    } cases[] = {
        {"--hops", "0", "fundtrace t: --hops: '0' is out of range (from 1 to 10)\n"},
        {"--hops", "11", "fundtrace t: --hops: '11' is out of range (from 1 to 10)\n"},
        {"--hops", "-1", "fundtrace t: --hops: '-1' is out of range (from 1 to 10)\n"},
        {"--hops", "x", "fundtrace t: --hops: 'x' is not a whole number\n"},
        {"--hops", "3x", "fundtrace t: --hops: '3x' is not a whole number\n"},
        {"--hops", "+3", "fundtrace t: --hops: '+3' is not a whole number\n"},
        {"--hops", "", "fundtrace t: --hops: '' is not a whole number\n"},
        {"--top", "4294967296",
         "fundtrace t: --top: '4294967296' is out of range (from 0 to 4294967295)\n"},
        {"--seed", "18446744073709551616",
         "fundtrace t: --seed: '18446744073709551616' is not a whole number\n"},
        {"--share", "0", "fundtrace t: --share: '0' is out of range (above 0 and at most 1)\n"},
        {"--share", "1.01",
         "fundtrace t: --share: '1.01' is out of range (above 0 and at most 1)\n"},
        {"--share", "half", "fundtrace t: --share: 'half' is not a number\n"},
        {"--share", "nan", "fundtrace t: --share: 'nan' is not a number\n"},
        {"--res", "100", "fundtrace t: --res: '100' is out of range (above 0 and below 100)\n"},
        {"--since", "2024-02-30",
         "fundtrace t: --since: '2024-02-30' is not a possible date and time\n"},
        {"--window", "3 days",
         "fundtrace t: --window: '3 days' is not a duration (such as 30d, 12h or 90m)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        run r;
        reset(NULL);
        PARSE(&r, cases[i].opt, cases[i].arg, "x.csv");
        assert_int_equal(r.code, FT_EXIT_ERROR);
        assert_string_equal(r.err, cases[i].err);
    }
    /* the value is left as it was */
    assert_int_equal(v.hops, 6);
}

static void test_enums(void **state)
{
    (void)state;
    run r;
    PARSE(&r, "--policy", "lifo");
    assert_int_equal(r.code, FT_EXIT_ERROR);
    assert_string_equal(r.err,
                        "fundtrace t: --policy: 'lifo' is not one of poison, haircut, fifo\n");
    PARSE(&r, "--policy", "Haircut");
    assert_int_equal(r.code, FT_EXIT_ERROR);
    PARSE(&r, "--policy=poison");
    assert_int_equal(r.code, FT_CLI_CONTINUE);
    assert_ptr_equal(v.policy, policies[0]);
}

static void test_repeats(void **state)
{
    (void)state;
    run r;
    PARSE(&r, "--set", "a=1", "--hops", "2", "--set=b=2", "--hops", "4", "--set", "a=3");
    assert_int_equal(r.code, FT_CLI_CONTINUE);
    assert_int_equal(v.set.n, 3);
    assert_string_equal(v.set.v[0], "a=1");
    assert_string_equal(v.set.v[1], "b=2");
    assert_string_equal(v.set.v[2], "a=3");
    assert_int_equal(v.hops, 4); /* the last one wins */
    PARSE(&r, "--rules", "a.ini", "--rules", "b.ini");
    assert_int_equal(r.code, FT_EXIT_ERROR);
    assert_string_equal(r.err, "fundtrace t: --rules: give it once\n");
    /* the old name of an option is the option */
    PARSE(&r, "--max-hops", "9");
    assert_int_equal(r.code, FT_CLI_CONTINUE);
    assert_int_equal(v.hops, 9);
}

static void test_missing_and_unknown(void **state)
{
    (void)state;
    run r;
    PARSE(&r, "x.csv", "--hops");
    assert_int_equal(r.code, FT_EXIT_ERROR);
    assert_string_equal(r.err, "fundtrace t: option '--hops' needs a value\n"
                               "see 'fundtrace t --help'\n");
    PARSE(&r, "-o");
    assert_string_equal(r.err, "fundtrace t: option '--output' needs a value\n"
                               "see 'fundtrace t --help'\n");
    PARSE(&r, "--frobnicate", "x.csv");
    assert_int_equal(r.code, FT_EXIT_ERROR);
    assert_string_equal(r.err, "fundtrace t: unknown option '--frobnicate'\n"
                               "see 'fundtrace t --help'\n");
    /* no abbreviations: --seed is not --seeds, --hop is nothing */
    PARSE(&r, "--seed", "s.txt");
    assert_int_equal(r.code, FT_EXIT_ERROR);
    assert_string_equal(r.err, "fundtrace t: --seed: 's.txt' is not a whole number\n");
    assert_null(v.seeds);
    PARSE(&r, "--hop", "3");
    assert_string_equal(r.err, "fundtrace t: unknown option '--hop'\n"
                               "see 'fundtrace t --help'\n");
    PARSE(&r, "--all=yes");
    assert_string_equal(r.err, "fundtrace t: option '--all' takes no value\n"
                               "see 'fundtrace t --help'\n");
    PARSE(&r, "-qx");
    assert_string_equal(r.err, "fundtrace t: unknown option '-x'\n"
                               "see 'fundtrace t --help'\n");
}

static void test_double_dash(void **state)
{
    (void)state;
    run r;
    PARSE(&r, "-q", "--", "-o", "--hops", "-");
    assert_int_equal(r.code, FT_CLI_CONTINUE);
    assert_true(v.quiet);
    assert_null(v.out);
    assert_int_equal(v.hops, 6);
    assert_int_equal(r.nops, 3);
    assert_string_equal(r.ops[0], "-o");
    assert_string_equal(r.ops[1], "--hops");
    assert_string_equal(r.ops[2], "-");
}

static void test_help(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ft_cli_help(f, &cmd);
    fclose(f);
    assert_string_equal(buf, "usage: fundtrace t [OPTIONS] FILE...\n"
                             "       fundtrace t --help\n"
                             "\n"
                             "A command for tests.\n"
                             "\n"
                             "Options:\n"
                             "  --hops K             at most K hops (default 6)\n"
                             "  --top N              the N first (0: all)\n"
                             "  --seed N             the random seed\n"
                             "  --share S            a share\n"
                             "  --res R              a resolution\n"
                             "  --policy P           poison, haircut or fifo\n"
                             "  --seeds FILE         one seed per line\n"
                             "  --set NAME=VALUE     a parameter; repeatable\n"
                             "  --rules FILE         a rules file\n"
                             "  --since T            from T on\n"
                             "  --window D           for D\n"
                             "  -o, --output FILE    write here\n"
                             "  --all                every one, with a help text that\n"
                             "                       goes on a second line\n"
                             "  -q, --quiet          say less\n"
                             "  -h, --help           show this help\n"
                             "\n"
                             "More options:\n"
                             "  --a-rather-long-option-name VALUE\n"
                             "                       help on a line of its own\n"
                             "\n"
                             "Exit status: 0 done.\n");
    free(buf);
}

/* Runs the progress calls of `forced`/`quiet` with stderr in a file (not
 * a terminal) and returns what they wrote. */
static void progress_run(bool forced, bool quiet, char *out, size_t cap)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), STDERR_FILENO);
    ft_cli_progress p;
    ft_cli_progress_init(&p, "t", forced, quiet);
    ft_cli_progress_step(&p, "counting %d things", 3);
    ft_cli_progress_advance(&p, 1, 4); /* too soon after the first line */
    ft_cli_progress_advance(&p, 4, 4); /* the last: always written */
    ft_cli_progress_done(&p);
    ft_cli_error("t", "an error");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

static void test_progress(void **state)
{
    (void)state;
    char out[1024];
    /* Not a terminal: nothing unless forced (-q or not). */
    progress_run(false, false, out, sizeof out);
    assert_string_equal(out, "fundtrace t: an error\n");
    /* Forced (--progress under nohup): whole lines, the first and the last. */
    progress_run(true, true, out, sizeof out);
    assert_string_equal(out, "fundtrace t: counting 3 things: ... (0 s)\n"
                             "fundtrace t: counting 3 things: 100 % (0 s)\n"
                             "fundtrace t: an error\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_values_and_operands, reset),
        cmocka_unit_test_setup(test_ranges, reset),
        cmocka_unit_test_setup(test_enums, reset),
        cmocka_unit_test_setup(test_repeats, reset),
        cmocka_unit_test_setup(test_missing_and_unknown, reset),
        cmocka_unit_test_setup(test_double_dash, reset),
        cmocka_unit_test_setup(test_help, reset),
        cmocka_unit_test(test_progress),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    reset(NULL);
    return rc;
}
