/*
 * audit.h - the tamper-evident audit log: one JSON line per command run
 * with the log on (who, when, for which case and purpose, what was asked
 * of which data, and what came back), each line chained to the one
 * before by SHA-256.
 *
 * A line is one JSON object:
 *   {"seq":N,"prev":"<sha256 of line N-1, 64 zeros for line 1>",
 *    "user":...,"host":...,"time":...,"case":...,"purpose":...,
 *    "command":...,"argv":[...],"parameters":[...],"inputs":[...],
 *    "exit":E,"returned":{"counts":{...},"accounts":[...],"alerts":[...]},
 *    "sha256":"<SHA-256 of this line without its sha256 member>"}
 * so that editing a line breaks its own hash, removing or moving one
 * breaks the next line's "prev" and "seq", and a line cut short does not
 * parse. What the chain cannot show by itself: the last lines removed
 * whole, or the last line rewritten with its hash recomputed; keep the
 * head hash that `audit verify` prints somewhere else to catch those.
 *
 * Lines are appended under an exclusive flock on the log, one write(2)
 * each, then fsync'd: commands run at once each add their line whole, in
 * the chain.
 */
#ifndef FUNDTRACE_AUDIT_H
#define FUNDTRACE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fundtrace/error.h"
#include "fundtrace/output.h"
#include "fundtrace/provenance.h"

/* What a command returned, for its audit line. */
typedef struct ft_audit_result {
    char **count_names;
    int64_t *counts;
    size_t ncounts;
    char **accounts; /* accounts searched (seeds, --from, --around ...) */
    size_t naccounts;
    char **alerts; /* alert ids returned */
    size_t nalerts;
} ft_audit_result;

ft_status ft_audit_count(ft_audit_result *r, const char *name, int64_t v, ft_error *err);
ft_status ft_audit_account(ft_audit_result *r, const char *account, ft_error *err);
ft_status ft_audit_alert(ft_audit_result *r, const char *id, ft_error *err);
void ft_audit_result_free(ft_audit_result *r);

typedef struct ft_audit_entry {
    const char *user, *host, *case_id, *purpose;
    const ft_provenance *prov; /* command, argv, parameters, inputs */
    int64_t time_ms;           /* the clock's (never SOURCE_DATE_EPOCH's) */
    int exit_code;
    const ft_audit_result *result;
} ft_audit_entry;

/* Checks that the log at path can take a line: it can be opened for
 * appending (created, mode 0600, when missing) and does not end in a cut
 * line. */
ft_status ft_audit_check(const char *path, ft_error *err);

/* Appends e's line under the log's lock, chained to the last line. A log
 * that ends in a cut line is refused (FT_ECORRUPT): `audit verify` names
 * it. */
ft_status ft_audit_append(const char *path, const ft_audit_entry *e, ft_error *err);

/* The chain's verdict. */
typedef struct ft_audit_verdict {
    int64_t lines;    /* lines read */
    int64_t bad_line; /* the first bad line (from 1), 0: none */
    char why[512];    /* what is wrong with it */
    char head[65];    /* the last good line's sha256 */
} ft_audit_verdict;

/* Reads the whole log and checks every line: it parses, its sha256 is its
 * own, its seq is its number and its prev is the line before's sha256;
 * the file ends in a newline. FT_OK with v->bad_line 0 when all holds. */
ft_status ft_audit_verify(const char *path, ft_audit_verdict *v, ft_error *err);

/* Per case (commands, users, purposes, first and last time) and per
 * account searched (how often, in which cases), in `fmt` (table, jsonl,
 * json, csv). Reads lines that parse; the chain is verify's business. */
ft_status ft_audit_summary(const char *path, FILE *out, ft_format fmt, ft_error *err);

#endif
