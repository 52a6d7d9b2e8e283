/*
 * scan.h - pattern detectors over a whole store, and their alerts.
 *
 * Every detector is a function of the store's arrays with named
 * parameters (ft_scan_param_set: "fan_in.min_sources=10"), looks at money
 * within a time window, gives each alert a score in [0, 1] and an
 * explanation naming the accounts, transfers, amounts and times.
 *
 * What is normal at hubs is skipped in two ways:
 *   - an account with more than `scan.hub_degree` transfers, and more than
 *     `scan.hub_mean_ratio` times an active account's mean, is a hub: no
 *     detector centres a pattern on it or passes money through it (a
 *     supermarket's fan-in, an employer's payroll, a bank's cash desk);
 *   - the pattern detectors that count counterparties (fan-out, fan-in,
 *     gather-scatter, scatter-gather, bipartite, pass-through, rapid
 *     movement, terrorist-financing collection) count only one-off
 *     counterparties: pairs with no other transfer between them, in that
 *     direction, in the whole data. Recurring relations (salaries, rent,
 *     subscriptions, a regular supplier) are how normal business looks.
 *
 * An account's jurisdiction is the country of its key when the key is an
 * IBAN (two capital letters and two digits first) or starts with a bank
 * code that does ("DE001:123", the bank:account keys of data with bank
 * columns); otherwise it is unknown.
 *
 * Alerts are in the schema that eval reads: id, kind, score, accounts,
 * txns, first_time, last_time, amount, explanation, params. The id is a
 * hash of the kind and the sorted original ids of the transfers the alert
 * covers, so it does not depend on the order of the input rows or on the
 * number of threads.
 */
#ifndef FUNDTRACE_SCAN_H
#define FUNDTRACE_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/output.h"
#include "fundtrace/pattern.h"
#include "fundtrace/store.h"

/* Alert kinds: the patterns (ft_pattern), then what a rules file adds. */
enum {
    FT_KIND_WATCHLIST = FT_PAT_COUNT, /* "watchlist" */
    FT_KIND_TEXT,                     /* "text_match" */
    FT_KIND_JURISDICTION,             /* "high_risk_jurisdiction" */
    FT_KIND_RISK,                     /* "risk" */
    FT_KIND_LEARNED,                  /* "learned": a model's finding no detector covers */
    FT_KIND_COUNT
};

const char *ft_alert_kind_name(int kind);

struct ft_rules;
struct scan_ctx;
struct ft_scan_profile;

/* Detector parameters. Amounts are in major units of the transfer's own
 * currency (10000 means 10,000.00 EUR or 10,000 JPY); times in hours or
 * days as named; shares as fractions. */
typedef struct ft_scan_params {
    bool enabled[FT_PAT_COUNT];
    const struct ft_rules *rules; /* NULL: none (see rules.h) */
    /* The data's profile made beforehand (ft_scan_profile_build or _read;
     * it must be this data's, under these parameters); NULL: the scan
     * makes it. */
    const struct ft_scan_profile *profile;
    /* Called now and then from the calling thread with the accounts done
     * so far and in all; NULL: none. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    double hub_degree;      /* a hub has more transfers than this */
    double hub_mean_ratio;  /* ... and than this many times the mean account's */
    double novel_pair_max;  /* a pair with at most this many transfers is a new relation */
    double prior_transfers; /* weight of the data's rates in an account's own rates */
    double rhythm_min;      /* payments an account needs before it has a rhythm */
    double rhythm_share;    /* share of them on two weekdays that makes a rhythm */
    double opener_share;    /* share of new relations of a payer that opens them routinely */
    double opener_min;      /* payments before an account can be such a routine */
    double large_ratio;     /* a payment this many times its payer's median is large */
    double min_score;       /* alerts scoring less are not reported */
    /* Every candidate each detector found, as it found it: no overlap or
     * precedence between alerts (what features.c counts); false: one alert
     * per finding. */
    bool candidates;
    /* Called on the calling thread once the data's profile is built, before
     * the detectors run (features.c keeps what it needs); NULL: none. */
    void (*profile_hook)(void *ctx, const struct scan_ctx *c);
    void *profile_hook_ctx;

    /* [0] fan-out, [1] fan-in; "fan.X" sets both, "fan_out.X" and
     * "fan_in.X" one (min_degree is also fan_out.min_receivers and
     * fan_in.min_sources). */
    double fan_min_degree[2], fan_window_hours[2], fan_slow_days[2], fan_min_amount[2],
        fan_slow_max_payers;
    double sg_min_width, sg_delay_hours, sg_keep_low, sg_keep_high, sg_window_hours, sg_min_amount;
    double gs_min_in, gs_min_out, gs_window_hours, gs_keep_low, gs_keep_high, gs_min_amount;
    double cycle_max_hops, cycle_window_hours, cycle_keep_low, cycle_keep_high, cycle_return_ratio;
    double stack_min_length, stack_gap_hours, stack_keep_low, stack_min_amount;
    double bip_min_senders, bip_min_receivers, bip_window_hours, bip_min_amount;
    double pt_min_rounds, pt_delay_hours, pt_keep_low, pt_window_days, pt_min_amount;
    double st_threshold, st_low, st_min_count, st_window_days;
    double rapid_max_minutes;
    double tf_min_sources, tf_window_days, tf_max_donation, tf_max_outflows,
        tf_delay_days, tf_min_share, tf_abroad, tf_min_burst;
} ft_scan_params;

void ft_scan_defaults(ft_scan_params *p);

/* Sets "name=value" (or name and value apart): a parameter such as
 * "fan.min_degree" or "cycle.max_hops", or "<pattern>.enabled" = 0/1.
 * FT_EUSAGE with a message naming the problem. */
ft_status ft_scan_param_set(ft_scan_params *p, const char *name, const char *value,
                            ft_error *err);

/* "NAME=VALUE" as ft_scan_param_set; FT_EUSAGE when there is no '='. */
ft_status ft_scan_param_assign(ft_scan_params *p, const char *assignment, ft_error *err);

/* Keeps enabled only the detectors named in `kinds`, a comma-separated
 * list ("fan_out,cycle"; empty items are skipped); FT_EUSAGE naming an
 * unknown kind, with p unchanged. */
ft_status ft_scan_only(ft_scan_params *p, const char *kinds, ft_error *err);

/* The counts of an account's history that tell what it is (more than
 * scan.hub_degree transfers make a hub, scan.opener_min payments a routine
 * of new relations and an everyday amount, more than
 * fan_in.slow_max_payers payers a business) are per year of data: data
 * that spans d < 365 days (whole days, rounded up) shows about d/365 of
 * them, so they scale down with it (scan.opener_min to 1 at least). An
 * extract of a few weeks or months cut from a longer history otherwise
 * shows few hubs, businesses and routines, and nearly every first payment
 * in it looks unusual. scan.rhythm_min stays: a weekday rhythm needs that
 * many payments in any span (one day's burst is no rhythm). Writes p so
 * scaled for s to out (p and out may be the same); data of a year or more
 * keeps p. */
void ft_scan_params_for_data(const ft_store *s, const ft_scan_params *p, ft_scan_params *out);

/* The value of parameter `name`; false when there is none. */
bool ft_scan_param_get(const ft_scan_params *p, const char *name, double *v);

/* The parameter names, NULL-terminated, in their documented order. */
extern const char *const ft_scan_param_names[];

/* One alert. Its transactions and accounts are in the alert set's pools. */
typedef struct ft_alert {
    uint64_t id;
    uint16_t kind; /* an ft_pattern or FT_KIND_* */
    float score;
    uint32_t txn0, ntxn; /* store indices, ascending: set->txns[txn0 ..] */
    uint32_t acc0, nacc; /* the accounts it is about, the main one first */
    uint32_t text;       /* explanation, then params: set->text + text */
} ft_alert;

typedef struct ft_alerts {
    ft_alert *v;
    uint32_t n, cap;
    uint32_t *txns;
    uint32_t ntxns, cap_txns;
    uint32_t *accts;
    uint32_t naccts, cap_accts;
    char *text;
    uint32_t ntext, cap_text;
    uint64_t regex_limit_hits; /* subjects that hit the PCRE2 match limit */
    uint64_t model_flagged;    /* transfers a model flagged (ft_model_scan) */
} ft_alerts;

void ft_alerts_free(ft_alerts *a);

/* Runs the enabled detectors over the store (its adjacency must have
 * been built) on `threads` threads; the alerts come back sorted by kind,
 * first time and id, the same for any number of threads. */
ft_status ft_scan_run(const ft_store *s, const ft_scan_params *p, int threads, ft_alerts *out,
                      ft_error *err);

/* A scan cut into shards (shard.h). Each shard runs the detectors on its
 * block of the accounts (the data's profile, hubs and rates are the whole
 * data's, as in one run); the steps that look across all accounts (the
 * bipartite blocks from all senders' candidates, the rules' alerts, the
 * score cut, one alert per finding, the precedence of specific patterns
 * over general ones, the order) run once over all parts. Finishing the N
 * parts of shards 1/N .. N/N gives exactly ft_scan_run's alerts. */
typedef struct ft_scan_part ft_scan_part;
struct ft_shard;

/* Shard sh's share (NULL: all accounts) on `threads` threads. */
ft_status ft_scan_run_part(const ft_store *s, const ft_scan_params *p, int threads,
                           const struct ft_shard *sh, ft_scan_part **out, ft_error *err);
/* The alerts of all parts, in shard order. It takes the parts' alerts
 * (the parts can only be freed afterwards). */
ft_status ft_scan_finish_parts(const ft_store *s, const ft_scan_params *p,
                               ft_scan_part *const *parts, int nparts, ft_alerts *out,
                               ft_error *err);
void ft_scan_part_free(ft_scan_part *part);

/* A part as text lines, for `fundtrace merge` (after the part's header,
 * shard.h): the data's id (ft_shard_data_id), its alerts and candidates
 * by the store's transaction and account numbers, then "end". FT_EIO when
 * f fails. */
ft_status ft_scan_part_write(FILE *f, const ft_store *s, const ft_scan_part *part, ft_error *err);
/* Reads what ft_scan_part_write wrote, checking every number against s
 * (a part of other data is refused); FT_EINPUT naming path and line
 * (*line: lines read before, updated). */
ft_status ft_scan_part_read(FILE *f, const char *path, int64_t *line, const ft_store *s,
                            ft_scan_part **out, ft_error *err);

/* The data's profile: what the detectors know about the data as a whole
 * (which transfers open a new relation, break a payer's rhythm or are
 * large for it, every account's everyday amounts and mule rounds, the
 * hubs, and the data's rates of all of these). Every scan, and every
 * shard of one, makes it over the whole data unless given one: made once
 * and written to a file, it lets each shard skip that work. A profile
 * names the data it was made from (ft_shard_data_id) and the values of
 * the parameters it reads; a scan given a profile of other data or made
 * with other such values refuses it (FT_EUSAGE, naming what differs).
 *
 * The file: "FTSCPRF" and a format version, the sizes and ids, the
 * parameters' values, the rates, the arrays (one byte per transfer, some
 * 60 per account, 16 per mule round), and a checksum of all of it; a
 * damaged, cut-off or other-version file is refused (FT_ECORRUPT). */
typedef struct ft_scan_profile ft_scan_profile;

/* Makes the profile of s (its adjacency built) under p on `threads`
 * threads; the same for any number of threads. */
ft_status ft_scan_profile_build(const ft_store *s, const ft_scan_params *p, int threads,
                                ft_scan_profile **out, ft_error *err);
/* Writes it to path atomically (writer.h). */
ft_status ft_scan_profile_write(const ft_scan_profile *pr, const char *path, ft_error *err);
/* Reads a profile that ft_scan_profile_write wrote; the scan checks it
 * against its data and parameters. */
ft_status ft_scan_profile_read(const char *path, ft_scan_profile **out, ft_error *err);
void ft_scan_profile_free(ft_scan_profile *pr);

/* Keeps, in order, the alerts with at least one transfer from since_ms to
 * until_ms (both inclusive; INT64_MIN, INT64_MAX: open): a scan's time
 * window (scan --since, --until, --last). The alerts are those the scan
 * of all the data finds, so an alert that also has transfers outside the
 * window is kept whole, with the same id and score. */
void ft_alerts_window(ft_alerts *a, const ft_store *s, int64_t since_ms, int64_t until_ms);

/* The id of an alert as 16 hex digits. */
void ft_alert_id_text(uint64_t id, char buf[17]);

/* Writes the alerts: jsonl (one object each), json (an array), csv (one
 * row per alert, txns and accounts joined by spaces) or table. `keep`
 * selects which to write (NULL: all). */
void ft_alerts_write(FILE *f, const ft_store *s, const ft_alerts *a, const bool *keep,
                     ft_format fmt);

/* The alert ids earlier nightly runs reported (a text file, one id per
 * line). A missing file is an empty state: the first run. */
typedef struct ft_scan_state {
    uint64_t *ids; /* sorted */
    size_t n, cap;
} ft_scan_state;

ft_status ft_scan_state_load(ft_scan_state *st, const char *path, ft_error *err);
bool ft_scan_state_has(const ft_scan_state *st, uint64_t id);
/* Adds the ids of `a` (and st's) to the state at path: under an exclusive
 * lock on the file, it reads what is there now, so that runs at once keep
 * each other's ids, merges, and writes the whole atomically (writer.h). A
 * run that fails before this leaves the previous state as it was. */
ft_status ft_scan_state_save(const ft_scan_state *st, const ft_alerts *a, const char *path,
                             ft_error *err);
void ft_scan_state_free(ft_scan_state *st);

#endif
