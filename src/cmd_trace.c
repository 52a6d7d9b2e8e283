/*
 * cmd_trace.c - `fundtrace trace`: follow money from seed accounts (a
 * batch of them on --threads workers: ft_trace_batch_run).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fundtrace/handoff.h"
#include "fundtrace/money.h"
#include "fundtrace/periods.h"
#include "fundtrace/pseudo.h"
#include "fundtrace/snapshot.h"
#include "fundtrace/shard.h"
#include "fundtrace/time.h"
#include "fundtrace/trace.h"
#include "fundtrace/trace_batch.h"
#include "fundtrace/trace_periods.h"

static bool add_seed(ft_trace_seed **seeds, size_t *n, size_t *cap, const char *label, size_t len)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        ft_trace_seed *p = realloc(*seeds, c * sizeof *p);
        if (!p)
            return false;
        *seeds = p;
        *cap = c;
    }
    ft_trace_seed *sd = &(*seeds)[*n];
    memset(sd, 0, sizeof *sd);
    sd->txn = -1;
    sd->label = strndup(label, len);
    if (!sd->label)
        return false;
    (*n)++;
    return true;
}

typedef struct seed_list {
    ft_trace_seed *v;
    size_t n, cap;
} seed_list;

static ft_status seed_line(void *ctx, const char *line, ft_error *err)
{
    seed_list *l = ctx;
    return add_seed(&l->v, &l->n, &l->cap, line, strlen(line)) ? FT_OK : ft_error_oom(err);
}

/* Keeps the seeds that name accounts (their ids set); the others are
 * reported (when `report`) and dropped. Whether some were unknown. */
static bool resolve_seeds(const ft_intern *accounts, seed_list *l, bool report)
{
    size_t w = 0;
    bool unknown = false;
    for (size_t i = 0; i < l->n; i++) {
        ft_trace_seed *sd = &l->v[i];
        if (!ft_intern_find(accounts, sd->label, strlen(sd->label), &sd->account)) {
            if (report)
                ft_cli_error("trace", "no account '%s' in the data", sd->label);
            free((char *)sd->label);
            unknown = true;
            continue;
        }
        l->v[w++] = *sd;
    }
    l->n = w;
    return unknown;
}

static bool opt_from(const char *cmd, const ft_option *opt, const char *arg)
{
    seed_list *l = opt->value;
    for (const char *p = arg; *p;) {
        size_t len = strcspn(p, ",");
        if (len && !add_seed(&l->v, &l->n, &l->cap, p, len)) {
            ft_cli_error(cmd, "out of memory");
            return false;
        }
        p += len + (p[len] == ',');
    }
    return true;
}

static void seed_failed(void *ctx, const ft_trace_seed *seed, const ft_error *err)
{
    (void)ctx;
    (void)seed; /* the message names it */
    ft_cli_error("trace", "%s", err->msg);
}

static bool opt_seeds(const char *cmd, const ft_option *opt, const char *arg)
{
    ft_error err;
    if (ft_config_lines(arg, seed_line, opt->value, &err) == FT_OK)
        return true;
    ft_cli_fail(cmd, &err);
    return false;
}

/* The trace over a directory of periods (or its manifest): streamed
 * through them, one period mapped at a time (trace_periods.h), with what
 * one snapshot of the whole data prints. Returns the exit status. */
static int trace_periods(const char *path, struct ft_cli_input *in, seed_list *seeds,
                         const char *txn, const char *min_amount, ft_trace_options *o,
                         bool backward, ft_format fmt, const ft_shard *shard, int argc, char **argv)
{
    ft_error err;
    ft_manifest m = {0};
    ft_store first = {0};
    ft_trace_periods_out po = {0};
    int64_t *min_by_cur = NULL;
    char *file = NULL;
    bool unknown = false;
    int code = FT_EXIT_ERROR;
    ft_status rc = ft_manifest_read(&m, path, &err);
    if (rc == FT_OK && m.n == 0)
        rc = ft_error_set(&err, FT_EINPUT, "%s: names no periods", path);
    if (rc == FT_OK && !(file = malloc(strlen(m.dir) + strlen(m.v[0].file) + 2)))
        rc = ft_error_oom(&err);
    if (rc == FT_OK) { /* the accounts and currencies: every period has them all */
        sprintf(file, "%s/%s", m.dir, m.v[0].file);
        rc = ft_snapshot_read(&first, file, &err);
    }
    if (rc == FT_OK && !in->quiet)
        fprintf(stderr, "fundtrace trace: streaming through %zu period%s (%s to %s)\n", m.n,
                m.n == 1 ? "" : "s", m.v[0].name, m.v[m.n - 1].name);
    if (rc == FT_OK && min_amount &&
        (rc = ft_trace_min_amounts(&first, min_amount, &min_by_cur, &err)) == FT_OK)
        o->min_amount = min_by_cur;
    if (rc == FT_OK && txn) {
        bool found;
        int64_t row;
        if (!add_seed(&seeds->v, &seeds->n, &seeds->cap, txn, strlen(txn)))
            rc = ft_error_oom(&err);
        else if ((rc = ft_trace_periods_find_txn(&m, txn, &row, &found, &err)) == FT_OK) {
            if (!found) {
                ft_cli_error("trace", "no transaction has the id '%s'", txn);
                goto done;
            }
            seeds->v[0].txn = row;
        }
    } else if (rc == FT_OK) {
        unknown = resolve_seeds(&first.accounts, seeds, shard->index == 0);
    }
    ft_store_free(&first);
    if (rc != FT_OK) {
        ft_cli_fail("trace", &err);
        goto done;
    }
    uint64_t lo, hi;
    ft_shard_range(shard, seeds->n, &lo, &hi);
    if ((rc = ft_trace_periods_run(&m, o, backward, seeds->v + lo, hi - lo, &po, &err)) != FT_OK) {
        ft_cli_fail("trace", &err);
        goto done;
    }
    if (in->pseudonymise) {
        ft_pseudo_key key;
        if ((rc = ft_pseudo_key_read(&key, in->pseudonymise, &err)) != FT_OK ||
            (rc = ft_store_pseudonymise(&po.s, &key, &err)) != FT_OK) {
            ft_cli_fail("trace", &err);
            goto done;
        }
    }
    char *buf = NULL;
    size_t buflen = 0;
    FILE *out = shard->count ? open_memstream(&buf, &buflen) : stdout;
    if (!out) {
        ft_cli_error("trace", "out of memory");
        goto done;
    }
    bool no_prov = shard->index == 0 && !ft_cli_prov_begin("trace", out, fmt);
    if (fmt == FT_FORMAT_JSON && shard->index == 0)
        fputs("[\n", out);
    bool found = false;
    for (size_t i = 0; i < po.n; i++) {
        const ft_trace_seed *sd = &seeds->v[lo + i];
        found |= po.res[i]->nnodes > 1;
        if (fmt == FT_FORMAT_JSON && lo + i > 0)
            fputc(',', out);
        ft_trace_write(out, &po.s, sd->label, o, po.res[i], fmt, lo + i == 0);
    }
    if (fmt == FT_FORMAT_JSON && (shard->count == 0 || shard->index + 1 == shard->count))
        fputs("]\n", out);
    if (shard->count == 0 || shard->index + 1 == shard->count)
        ft_cli_prov_end(out, fmt);
    for (size_t i = lo; i < hi; i++)
        if (seeds->v[i].txn < 0)
            ft_cli_audit_account(seeds->v[i].label);
    ft_cli_audit_count("seeds_traced", (int64_t)po.n);
    ft_cli_audit_count("seeds_failed", 0);
    code = no_prov || unknown ? FT_EXIT_ERROR : found ? FT_EXIT_OK : FT_EXIT_NONE;
    if (shard->count) {
        bool ok = fclose(out) == 0;
        ft_shard_header(stdout, "trace", shard, ft_shard_run_id(argc, argv), code);
        if (ok)
            fwrite(buf, 1, buflen, stdout);
        free(buf);
        if (!ok) {
            ft_cli_error("trace", "out of memory");
            code = FT_EXIT_ERROR;
            goto done;
        }
        if (code != FT_EXIT_ERROR)
            code = FT_EXIT_OK;
    }
    code = ft_cli_finish("trace", code);
done:
    ft_trace_periods_free(&po);
    free(min_by_cur);
    free(file);
    ft_manifest_free(&m);
    return code;
}

typedef struct path_list {
    const char **v;
    size_t n, cap;
} path_list;

static bool opt_path(const char *cmd, const ft_option *opt, const char *arg)
{
    path_list *l = opt->value;
    if (l->n == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 8;
        const char **p = realloc(l->v, c * sizeof *p);
        if (!p) {
            ft_cli_error(cmd, "out of memory");
            return false;
        }
        l->v = p;
        l->cap = c;
    }
    l->v[l->n++] = arg;
    return true;
}

/* --local-banks @FILE: one bank id (or ID*) per line, joined by commas. */
static ft_status bank_line(void *ctx, const char *line, ft_error *err)
{
    char **list = ctx;
    size_t n = *list ? strlen(*list) : 0;
    char *p = realloc(*list, n + strlen(line) + 2);
    if (!p)
        return ft_error_oom(err);
    sprintf(p + n, "%s%s", n ? "," : "", line);
    *list = p;
    return FT_OK;
}

/* A party's traces (handoff.h): its seeds (--from, held here) and the
 * seeds of the traced money other parties handed to it, each traced in
 * its data with the money handed in; prints the accounts it holds and
 * writes the money that leaves for other parties. Returns the exit
 * status. */
static int trace_party(const ft_store *s, const ft_trace_index *ix, const ft_trace_options *o,
                       bool backward, seed_list *seeds, const char *banks, const path_list *in,
                       const char *out_path)
{
    ft_error err;
    uint8_t *local = NULL;
    char *from_file = NULL;
    ft_handoff_set hs = {0};
    ft_handoff_out *ho = NULL;
    bool found = false, failed = true;
    ft_status rc = FT_OK;
    if (banks[0] == '@' && (rc = ft_config_lines(banks + 1, bank_line, &from_file, &err)) == FT_OK)
        banks = from_file ? from_file : "";
    if (rc == FT_OK)
        rc = ft_local_accounts(s, banks, &local, &err);
    for (size_t i = 0; i < in->n && rc == FT_OK; i++) {
        struct stat st;
        if (stat(in->v[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = ft_handoff_read_dir(&hs, s, local, o, backward, in->v[i], &err);
        else
            rc = ft_handoff_read(&hs, s, local, o, backward, in->v[i], &err);
    }
    for (size_t i = 0; i < seeds->n && rc == FT_OK; i++) {
        if (!local[seeds->v[i].account]) {
            ft_cli_error("trace", "the seed '%s' is not held here (--local-banks %s)",
                         seeds->v[i].label, banks);
            goto done;
        }
    }
    if (rc == FT_OK && out_path)
        rc = ft_handoff_out_new(&ho, s, local, &err);
    if (rc == FT_OK && !ft_cli_prov_begin("trace", stdout, FT_FORMAT_JSONL))
        goto done;
    if (rc == FT_OK) {
        rc = ft_handoff_party_run(s, ix, o, seeds->v, seeds->n, local, &hs, stdout, ho, &found,
                                  &err);
        ft_cli_prov_end(stdout, FT_FORMAT_JSONL);
    }
    if (rc == FT_OK && ho)
        rc = ft_handoff_out_write(ho, out_path, &err);
    if (rc == FT_OK)
        failed = false;
    else
        ft_cli_fail("trace", &err);
done:
    ft_handoff_out_free(ho);
    free(from_file);
    ft_handoff_set_free(&hs);
    free(local);
    return failed ? FT_EXIT_ERROR : found ? FT_EXIT_OK : FT_EXIT_NONE;
}

int cmd_trace(int argc, char **argv)
{
    static const char *const directions[] = {"out", "in", NULL};
    static const char *const policies[] = {"poison", "haircut", "fifo", "lifo", NULL};
    struct ft_cli_input in = {0};
    ft_trace_options o;
    ft_trace_defaults(&o);
    seed_list seeds = {0};
    const char *txn = NULL, *min_amount = NULL, *format = "table", *direction = "out";
    const char *policy = ft_policy_name(o.policy);
    uint32_t threads = 1;
    ft_shard shard = {0};
    const char *local_banks = NULL, *handoff_out = NULL;
    path_list handoff_in = {0};
    const ft_option options[] = {
        FT_OPT_CALLBACK(0, "from", &seeds, "A,B", opt_from,
                        "seed accounts (keys as the data names them); repeatable"),
        FT_OPT_CALLBACK(0, "seeds", &seeds, "FILE", opt_seeds,
                        "one seed account per line, each traced on its own"),
        FT_OPT_STRING(0, "txn", &txn, "ID", "follow one transaction (its original id)"),
        FT_OPT_ENUM(0, "direction", &direction, "D", directions,
                    "out (default): where the money went; in: where it came\n"
                    "from (the trace then runs back in time from its end)"),
        FT_OPT_ENUM(0, "policy", &policy, "P", policies, "poison, haircut (default), fifo or lifo"),
        FT_OPT_INT(0, "hops", &o.max_hops, "K", 1, 1000,
                   "at most K hops from the seed (default 6)"),
        FT_OPT_DURATION(0, "window", &o.window_ms, "D",
                        "follow money for D after the start (30d, 12h, 90m)"),
        FT_OPT_TIME(0, "since", &o.since_ms, "T",
                    "when traced money enters (default: the seed's first\n"
                    "transfer; balances count from the first in the data)"),
        FT_OPT_TIME(0, "until", &o.until_ms, "T", "the trace's end (default: the end of the data)"),
        FT_OPT_STRING(0, "min-amount", &min_amount, "X",
                      "transfers below X (in their currency) do not carry it"),
        FT_OPT_UINT(0, "max-degree", &o.max_degree, "N", 0, UINT32_MAX,
                    "accounts with more than N transfers are hubs: they hold\n"
                    "what they get (default 2000; 0: no limit)"),
        FT_OPT_UINT(0, "breadth", &o.breadth, "N", 0, UINT32_MAX,
                    "only each account's N largest transfers carry traced\n"
                    "money on (default 50; 0: no limit)"),
        FT_OPT_UINT(0, "threads", &threads, "N", 1, 256, "trace seeds on N threads (default 1)"),
        FT_OPT_CALLBACK(0, "shard", &shard, "I/N", ft_cli_opt_shard,
                        "trace the I-th of N blocks of the seeds and print that\n"
                        "part of the output behind a header line, for\n"
                        "'fundtrace merge' (exit 0 unless an error)"),
        FT_OPT_STRING(0, "local-banks", &local_banks, "LIST",
                      "trace as one of several parties that cannot pool their\n"
                      "data: it holds the accounts of these banks (ids, 'DE*'\n"
                      "for every id starting DE; @FILE: one a line) and\n"
                      "prints those (jsonl)"),
        FT_OPT_STRING(0, "handoff-out", &handoff_out, "DIR",
                      "write the traced money that leaves for other parties'\n"
                      "accounts, one JSON Lines file per receiving bank,\n"
                      "DIR/BANK.jsonl"),
        FT_OPT_CALLBACK(0, "handoff-in", &handoff_in, "DIR|FILE", opt_path,
                        "continue the traces another party handed over (its\n"
                        "--handoff-out DIR: the files of this party's banks);\n"
                        "repeatable"),
        FT_OPT_ENUM(0, "format", &format, "FMT", ft_cli_formats_dot,
                    "table (default), jsonl, csv, json or dot"),
        FT_OPT_FLAG('q', "quiet", &in.quiet, "no progress, no rejected rows on stderr"),
        FT_OPT_PROGRESS(&in.progress),
        FT_OPT_CSV_RAW(),
        FT_OPT_PSEUDONYMISE(&in),
        FT_OPT_PROVENANCE(),
        FT_OPT_HELP(),
        FT_CLI_INPUT_OPTIONS(&in),
        FT_OPT_END(),
    };
    const ft_cli_command cmd = {
        .name = "trace",
        .usage = "fundtrace trace (--from ACCOUNT[,...] | --seeds FILE | --txn ID) [OPTIONS]\n"
                 "                FILE...|SNAPSHOT|DIR",
        .description =
            "Follow money from seed accounts (or one payment), in time order, forward\n"
            "(where it went) or backward (where it came from): the accounts reached, when,\n"
            "how much of the money each holds (backward: was the source of), and the\n"
            "trail of transfers that carried it. Given the directory of periods that\n"
            "'load --split-by' wrote, it streams through them one at a time, with the\n"
            "result of one snapshot of the whole data.\n",
        .options = options,
        .epilog = "Exit status: 0 the money reached an account, 1 no seed's money reached any,\n"
                  "2 usage or input error (an unknown seed included).\n",
    };
    ft_store s = {0};
    ft_format fmt;
    int64_t *min_by_cur = NULL;
    bool backward;
    ft_trace_index *ix = NULL;
    ft_error err;
    int nargs, code = ft_cli_parse(&cmd, argc, argv, &nargs);
    if (code != FT_CLI_CONTINUE)
        goto done;
    code = FT_EXIT_ERROR;
    ft_format_parse(format, &fmt);
    ft_policy_parse(policy, &o.policy);
    backward = strcmp(direction, "in") == 0;
    if ((handoff_in.n || handoff_out) && !local_banks) {
        ft_cli_error("trace", "--handoff-in and --handoff-out need --local-banks");
        goto done;
    }
    if (local_banks && (txn || fmt != FT_FORMAT_JSONL || shard.count)) {
        ft_cli_error("trace", "--local-banks traces seed accounts and prints JSON Lines: give "
                              "--from or --seeds (or only --handoff-in) and --format jsonl, "
                              "without --txn or --shard");
        goto done;
    }
    if (local_banks && seeds.n == 0 && handoff_in.n > 0 && !txn) {
        /* only continuing other parties' traces */
    } else if ((seeds.n == 0) == (txn == NULL)) {
        ft_cli_error("trace", "give seed accounts (--from or --seeds) or one --txn, not both");
        goto done;
    }
    if (nargs == 0) {
        ft_cli_error("trace", "no input (give CSV files or a snapshot)");
        goto done;
    }
    if (nargs == 1 && strcmp(argv[1], "-") != 0 && ft_manifest_is(argv[1])) {
        if (local_banks) {
            ft_cli_error("trace", "--local-banks reads a snapshot or CSV files, not periods");
            goto done;
        }
        code = trace_periods(argv[1], &in, &seeds, txn, min_amount, &o, backward, fmt, &shard, argc,
                             argv);
        goto done;
    }
    if (ft_cli_load("trace", &in, argv + 1, nargs, &s) != FT_OK)
        goto done;
    if (ft_store_adjacency(&s, &err) != FT_OK ||
        ft_trace_index_new(&ix, &s, backward, &err) != FT_OK) {
        ft_cli_fail("trace", &err);
        goto done;
    }
    if (min_amount) { /* the same amount in every currency */
        if (ft_trace_min_amounts(&s, min_amount, &min_by_cur, &err) != FT_OK) {
            ft_cli_fail("trace", &err);
            goto done;
        }
        o.min_amount = min_by_cur;
    }
    bool unknown = false;
    if (local_banks) {
        unknown = resolve_seeds(&s.accounts, &seeds, true);
        code = trace_party(&s, ix, &o, backward, &seeds, local_banks, &handoff_in, handoff_out);
        if (unknown)
            code = FT_EXIT_ERROR;
        code = ft_cli_finish("trace", code);
        goto done;
    }
    if (txn) {
        if (!add_seed(&seeds.v, &seeds.n, &seeds.cap, txn, strlen(txn)))
            goto oom;
        uint32_t t;
        if (ft_store_txid_index(&s, &err) != FT_OK) {
            ft_cli_fail("trace", &err);
            goto done;
        }
        if (!ft_store_find_txid(&s, txn, strlen(txn), &t)) {
            ft_cli_error("trace", "no transaction has the id '%s'", txn);
            goto done;
        }
        seeds.v[0].txn = t;
    } else {
        /* Unknown seeds are reported (by one part) and skipped; the exit
         * status says so. */
        unknown = resolve_seeds(&s.accounts, &seeds, shard.index == 0);
    }
    uint64_t lo, hi;
    ft_shard_range(&shard, seeds.n, &lo, &hi);
    /* A part prints what one run prints for its seeds, behind its header
     * (written first, so its status is known only from its own traces:
     * the batch goes to a buffer). The array's brackets belong to the
     * first and the last part. */
    char *buf = NULL;
    size_t buflen = 0;
    FILE *out = shard.count ? open_memstream(&buf, &buflen) : stdout;
    if (!out)
        goto oom;
    bool no_prov = shard.index == 0 && !ft_cli_prov_begin("trace", out, fmt);
    if (fmt == FT_FORMAT_JSON && shard.index == 0)
        fputs("[\n", out);
    ft_trace_batch b = {.s = &s,
                        .ix = ix,
                        .o = &o,
                        .fmt = fmt,
                        .threads = (int)threads,
                        .base = lo,
                        .on_error = seed_failed};
    ft_trace_batch_report rep;
    ft_status rc = ft_trace_batch_run(&b, seeds.v + lo, hi - lo, out, &rep, &err);
    if (rc != FT_OK && rep.failed == 0) /* the batch's own failure: no seed named it */
        ft_cli_fail("trace", &err);
    if (fmt == FT_FORMAT_JSON && (shard.count == 0 || shard.index + 1 == shard.count))
        fputs("]\n", out);
    if (shard.count == 0 || shard.index + 1 == shard.count)
        ft_cli_prov_end(out, fmt);
    for (size_t i = lo; i < hi; i++)
        if (seeds.v[i].txn < 0)
            ft_cli_audit_account(seeds.v[i].label);
    ft_cli_audit_count("seeds_traced", rep.traced);
    ft_cli_audit_count("seeds_failed", rep.failed);
    /* As grep: 0 found, 1 nothing found, 2 an error (it wins). */
    int searched = rep.found ? FT_EXIT_OK : FT_EXIT_NONE;
    code = no_prov || unknown || rc != FT_OK ? FT_EXIT_ERROR : searched;
    if (shard.count) {
        bool ok = fclose(out) == 0;
        ft_shard_header(stdout, "trace", &shard, ft_shard_run_id(argc, argv), code);
        if (ok)
            fwrite(buf, 1, buflen, stdout);
        free(buf);
        if (!ok)
            goto oom;
        if (code != FT_EXIT_ERROR)
            code = FT_EXIT_OK; /* the part's status is in its header, for merge */
    }
    code = ft_cli_finish("trace", code);
    goto done;
oom:
    ft_cli_error("trace", "out of memory");
done:
    for (size_t i = 0; i < seeds.n; i++)
        free((char *)seeds.v[i].label);
    free(seeds.v);
    free(handoff_in.v);
    free(min_by_cur);
    ft_trace_index_free(ix);
    ft_store_free(&s);
    ft_cli_input_free(&in);
    return code;
}
