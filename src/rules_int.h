/*
 * rules_int.h - what a rules file holds (read by rules.c), for the rules
 * detectors (detect_rules.c): the lists, compiled patterns and settings,
 * and how a subject is matched and an account placed. Not part of the
 * library's interface.
 */
#ifndef FUNDTRACE_RULES_INT_H
#define FUNDTRACE_RULES_INT_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fundtrace/rules.h"

typedef struct rules_regex {
    pcre2_code *code;
    char *text, *reason;
    int line;
    bool on_memo; /* else on account keys */
} rules_regex;

typedef struct rules_listed {
    char *key, *reason;
} rules_listed;

typedef struct rules_bank {
    char *bank;
    char cc[3];
} rules_bank;

struct ft_rules {
    rules_listed *accounts;
    size_t naccounts;
    rules_regex *watch; /* patterns on account keys */
    size_t nwatch;
    rules_regex *text;
    size_t ntext;
    char (*high_risk)[3];
    size_t nhigh_risk;
    rules_bank *banks;
    size_t nbanks;
    bool risk;
    double decay, threshold, window_days;
    int max_hops;
    uint32_t match_limit;
};

/* A matcher: match data and limits for one thread. */
typedef struct rules_matcher {
    pcre2_match_data *md;
    pcre2_match_context *mc;
    uint64_t hits; /* subjects that hit the match limit */
} rules_matcher;

/* Sets up m with r's match limit; false when out of memory. */
bool rules_matcher_init(rules_matcher *m, const ft_rules *r);
void rules_matcher_free(rules_matcher *m);
/* Does re match s[0 .. len)? A subject that hits a limit does not, and
 * counts in m->hits. */
bool rules_match(rules_matcher *m, const rules_regex *re, const char *s, size_t len);
/* The country the rules give bank code bank[0 .. len), or NULL. */
const char *rules_bank_country(const ft_rules *r, const char *bank, size_t len);
/* Is cc ("IR") one of the rules' high-risk jurisdictions? */
bool rules_high_risk(const ft_rules *r, const char cc[3]);

#endif
