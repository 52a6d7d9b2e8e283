/*
 * synth.h - labelled synthetic transactions with planted patterns.
 *
 * A bank's background traffic (card payments at merchants with very large
 * in-degree, payroll from employers with very large out-degree, bills,
 * business-to-business payments, person-to-person transfers, refunds, cash
 * at the desk, some wires abroad) with a daily and weekly rhythm and
 * log-normal amounts per kind, in several currencies; benign look-alikes
 * in it (paybacks between friends, rent splits, salary then bills, family
 * support abroad, small shops, supplier runs, savings moved out and back:
 * ordinary behaviour with the shape of a pattern, unlabelled); and planted
 * instances of every pattern (pattern.h), each drawn from the parameter
 * ranges of a profile.
 *
 * Deterministic: the generator has its own PRNG (xoshiro256**) and uses
 * only IEEE arithmetic (no libm), so a seed and options give the same
 * bytes on any machine. Streamed: it works one day at a time and writes in
 * time order; memory depends on the rows of a day and the instances in
 * flight, not on the number of rows.
 */
#ifndef FUNDTRACE_SYNTH_H
#define FUNDTRACE_SYNTH_H

#include <stdbool.h>
#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/pattern.h"
#include "fundtrace/writer.h"

typedef enum ft_synth_layout {
    FT_SYNTH_GENERIC, /* our generic layout with bank columns and a label column */
    FT_SYNTH_IBM,     /* the IBM AMLworld layout, truth as *_Patterns.txt */
} ft_synth_layout;

/* A closed range; each instance draws its value uniformly from it. */
typedef struct ft_range {
    double lo, hi;
} ft_range;

/* Every knob of every pattern, and the share of each benign look-alike
 * model of the background. Amounts are in euros (instances use euro
 * accounts so that ratios along a chain are meaningful), times in hours
 * unless the name says otherwise. See ft_synth_param_names; the man page
 * lists every range of every profile. */
typedef struct ft_synth_params {
    ft_range fan_degree, fan_window, fan_amount, fan_leg_low;
    ft_range sg_width, sg_delay, sg_keep, sg_amount;
    ft_range gs_in, gs_out, gs_hold, gs_keep, gs_amount;
    ft_range cycle_hops, cycle_gap, cycle_keep, cycle_amount, cycle_window_days;
    double cycle_ordered; /* the share of cycles whose hops follow in time order */
    ft_range stack_length, stack_gap, stack_keep, stack_amount, stack_width;
    ft_range bip_senders, bip_receivers, bip_window, bip_amount;
    ft_range pt_rounds, pt_delay, pt_gap_days, pt_keep, pt_amount;
    ft_range st_deposits, st_window_days, st_low;
    double st_threshold;
    ft_range rapid_moves, rapid_delay_min, rapid_gap, rapid_keep, rapid_amount;
    ft_range tf_sources, tf_window_days, tf_donation, tf_outflows, tf_delay_days, tf_share;
    double tf_donors_abroad; /* with --countries 2 or more: the share of a collection's donors
                              * in another country than its collector (at least --cross-border) */
    /* Benign look-alikes: the share of all rows that each model writes
     * (about; 0 turns it off). Profiles leave them alone. */
    double bg_payback, bg_rent_split, bg_salary_bills, bg_family_abroad, bg_merchant, bg_supplier,
        bg_savings;
} ft_synth_params;

typedef struct ft_synth_options {
    uint64_t seed;
    int64_t rows;      /* exactly this many rows are written */
    int64_t accounts;  /* regular accounts; 0: rows / 25, at least 1000 */
    int64_t start_ms;  /* first day, midnight UTC */
    int days;          /* span of the data */
    double planted;    /* share of rows in planted instances */
    unsigned patterns; /* bit p plants pattern p */
    ft_synth_layout layout;
    bool model_column; /* generic layout: a last column `model` names what wrote each row */
    /* Countries: 0 (the default) assigns banks as ever, without regard to
     * country; 1 to FT_SYNTH_COUNTRIES puts the regular accounts in the
     * first `countries` of ft_synth_country_codes, and a counterparty is
     * in the payer's country but with probability `cross_border` (default
     * 0.1), in another of them. */
    int countries;
    double cross_border;
    ft_synth_params p;
} ft_synth_options;

/* The countries of the regular accounts, in the order --countries takes
 * them (the euro area first, by size, then GB CH US JP), NULL-terminated.
 * Banks abroad (SA RU IN CN MX BR) are never among them. */
#define FT_SYNTH_COUNTRIES 15
extern const char *const ft_synth_country_codes[FT_SYNTH_COUNTRIES + 1];

typedef struct ft_synth_report {
    int64_t rows, background_rows, planted_rows, accounts;
    int64_t lookalike_rows; /* of the background rows, those of the benign look-alikes */
    int64_t instances[FT_PAT_COUNT];
    /* With --countries: the regular accounts of each country (in the order
     * of ft_synth_country_codes), and the rows whose payer and payee are in
     * different countries (a bank abroad is a country of its own). */
    int countries;
    int64_t country_accounts[FT_SYNTH_COUNTRIES];
    int64_t cross_border_rows;
} ft_synth_report;

/* Fills `o` with the defaults: seed 1, 1,000,000 rows over 365 days from
 * 2024-01-01, 1 % planted, every pattern, generic layout, the "default"
 * profile's ranges and every benign model at its documented share. */
void ft_synth_defaults(ft_synth_options *o);

/* The profiles, NULL-terminated: "default" (tight shapes, as scan's
 * defaults expect them) and "wide" (every pattern drawn from the much wider
 * ranges that other generators and real launderers use). */
extern const char *const ft_synth_profile_names[];

/* Sets every pattern range to the profile `name`'s; the benign shares and
 * every other option stay. FT_EUSAGE for an unknown name. */
ft_status ft_synth_profile(ft_synth_options *o, const char *name, ft_error *err);

/* The range of parameter `name` in `o` (lo == hi for one value); false
 * when there is no such parameter. */
bool ft_synth_get(const ft_synth_options *o, const char *name, ft_range *out);

/* Sets one parameter from "name=value" or "name=lo-hi", for example
 * "cycle.hops=2-8", "structuring.threshold=10000" or "benign.payback=0". */
ft_status ft_synth_set(ft_synth_options *o, const char *assignment, ft_error *err);

/* Reads "name = value" lines ('#' comments) with ft_synth_set; errors name
 * the file and line. */
ft_status ft_synth_config(ft_synth_options *o, const char *path, ft_error *err);

/* The names ft_synth_set knows, NULL-terminated, for help and errors. */
extern const char *const ft_synth_param_names[];

/* Generates the data into `data` and the ground truth into `truth`: a CSV
 * of instance_id,pattern,params,txn_ids,accounts for the generic layout,
 * the BEGIN/END blocks of an IBM *_Patterns.txt for the IBM one. The
 * writers are not closed. */
ft_status ft_synth_write(const ft_synth_options *o, ft_writer *data, ft_writer *truth,
                         ft_synth_report *report, ft_error *err);

#endif
