/*
 * rules.h - the rules file of a scan: detector parameters, watchlists,
 * text patterns, high-risk jurisdictions and risk propagation.
 *
 * An INI file (read with libinih):
 *
 *   [params]
 *   fan.min_degree = 10            ; any scan parameter
 *
 *   [watchlist]
 *   account = DE89370400440532013000 | OFAC SDN match 2024-11-02
 *   pattern = ^FR7630004000031234.*$ | shell company cluster
 *
 *   [text]
 *   memo = (?i)\b(rifle|ammunition)s?\b | weapons vocabulary
 *   account = (?i)^XX | test accounts
 *
 *   [jurisdictions]
 *   high_risk = IR, KP, SY, MM     ; two-letter countries
 *   bank = SA001 | SA              ; a bank code's country
 *
 *   [risk]
 *   decay = 0.5                    ; per hop
 *   threshold = 0.2                ; accounts at or above it are alerts
 *   max_hops = 4
 *   window_days = 30
 *
 *   [limits]
 *   match_limit = 100000           ; PCRE2 match limit per subject
 *
 * A value "X | reason" is split at the last " | ". Patterns are PCRE2,
 * compiled once with the JIT, UTF-8 (invalid UTF-8 in a subject does not
 * match rather than fail), and run with a match limit so that a hostile
 * pattern or memo cannot hang a scan: a subject that hits the limit counts
 * as no match and is counted. Any error refuses the whole file with
 * "file:line: reason" before the scan starts.
 *
 * libinih's rules apply: a line is at most 199 bytes (longer lines are
 * refused), ';' or '#' starts a comment at the start of a line and ';'
 * after whitespace ends a value, and the first '=' or ':' ends a name.
 */
#ifndef FUNDTRACE_RULES_H
#define FUNDTRACE_RULES_H

#include <stdint.h>

#include "fundtrace/error.h"
#include "fundtrace/scan.h"
#include "fundtrace/store.h"

typedef struct ft_rules ft_rules;

/* Reads the rules at path; [params] are set in *p, which also gets a
 * pointer to the rules (p->rules) so that ft_scan_run applies them. */
ft_status ft_rules_load(ft_rules **r, const char *path, ft_scan_params *p, ft_error *err);
void ft_rules_free(ft_rules *r);

/* Runs the rules over the store: watchlist, text, jurisdiction and risk
 * alerts, appended to *out (ids are given by ft_scan_run). `limit_hits`
 * counts subjects that hit the PCRE2 match limit. The store's adjacency
 * must have been built. Single-threaded. */
ft_status ft_rules_scan(const ft_rules *r, const ft_store *s, const ft_scan_params *p,
                        ft_alerts *out, uint64_t *limit_hits, ft_error *err);

#endif
