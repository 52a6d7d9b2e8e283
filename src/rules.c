/*
 * rules.c - the rules file (format in rules.h): its parameters, lists,
 * patterns and settings, and how its patterns match (rules_int.h). The
 * alerts the rules make are a detector family, detect_rules.c.
 *
 * libinih reads the file: it is small, widely used, packaged by Debian,
 * and calls back with each name and value, so every error can be given
 * with its line (ini_parse returns the line of the first refused one).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "fundtrace/rules.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

void ft_rules_free(ft_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->naccounts; i++) {
        free(r->accounts[i].key);
        free(r->accounts[i].reason);
    }
    rules_regex *lists[2] = {r->watch, r->text};
    size_t ns[2] = {r->nwatch, r->ntext};
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < ns[l]; i++) {
            pcre2_code_free(lists[l][i].code);
            free(lists[l][i].text);
            free(lists[l][i].reason);
        }
        free(lists[l]);
    }
    for (size_t i = 0; i < r->nbanks; i++)
        free(r->banks[i].bank);
    free(r->accounts);
    free(r->high_risk);
    free(r->banks);
    free(r);
}

/* --- reading ----------------------------------------------------------------------------- */

typedef struct reader {
    ft_rules *r;
    ft_scan_params *p;
    FILE *f;
    int line;     /* lines handed to libinih so far: the one it is on */
    int why_line; /* the line of the first refused name = value */
    char why[512];
    bool oom; /* an allocation failed: that, not the file, is the error */
} reader;

/* libinih's line reader: fgets, counting lines for the handler. */
static char *read_line(char *buf, int size, void *stream)
{
    reader *rd = stream;
    char *got = fgets(buf, size, rd->f);
    if (got)
        rd->line++;
    return got;
}

static bool grow(void *pp, size_t n, size_t elem)
{
    /* Room for n + 1 elements, doubling at powers of two. */
    if (n & (n - 1))
        return true;
    void *v;
    memcpy(&v, pp, sizeof v);
    void *q = realloc(v, (n ? 2 * n : 1) * elem);
    if (!q)
        return false;
    memcpy(pp, &q, sizeof q);
    return true;
}

/* GROW(p, n): room for n + 1 elements in the typed array p. */
#define GROW(p, n) grow(&(p), (n), sizeof *(p))

/* Splits "value | reason" at the last " | "; the reason may be empty. */
static void split_reason(const char *value, char **what, char **reason)
{
    const char *bar = NULL;
    for (const char *q = strstr(value, " | "); q; q = strstr(q + 1, " | "))
        bar = q;
    if (!bar) {
        *what = strdup(value);
        *reason = strdup("");
        return;
    }
    *what = strndup(value, (size_t)(bar - value));
    const char *rs = bar + 3;
    while (*rs == ' ')
        rs++;
    *reason = strdup(rs);
}

static int fail(reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *rd, const char *fmt, ...)
{
    if (!rd->why[0]) {
        rd->why_line = rd->line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rd->why, sizeof rd->why, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static int out_of_memory(reader *rd)
{
    rd->oom = true;
    return 0;
}

static int add_regex(reader *rd, rules_regex **list, size_t *n, const char *value, bool on_memo)
{
    char *text, *reason;
    split_reason(value, &text, &reason);
    if (!text || !reason) {
        free(text);
        free(reason);
        return out_of_memory(rd);
    }
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        free(text);
        free(reason);
        return fail(rd, "pattern error at offset %zu: %s", (size_t)off, (const char *)msg);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* without the JIT it still matches, slower */
    if (!GROW(*list, *n)) {
        pcre2_code_free(re);
        free(text);
        free(reason);
        return out_of_memory(rd);
    }
    (*list)[(*n)++] = (rules_regex){re, text, reason, 0, on_memo};
    return 1;
}

static bool number(const char *v, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi))
        return false;
    *out = x;
    return true;
}

static bool country(const char *v, char out[3])
{
    if (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')
        return false;
    memcpy(out, v, 3);
    return true;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    reader *rd = user;
    ft_rules *r = rd->r;
    if (strcmp(section, "params") == 0) {
        ft_error e;
        if (ft_scan_param_set(rd->p, name, value, &e) != FT_OK)
            return fail(rd, "%s", e.msg);
        return 1;
    }
    if (strcmp(section, "watchlist") == 0) {
        if (strcmp(name, "pattern") == 0)
            return add_regex(rd, &r->watch, &r->nwatch, value, false);
        if (strcmp(name, "account") != 0)
            return fail(rd, "[watchlist] takes 'account = KEY | reason' or 'pattern = REGEX | "
                            "reason', not '%s'",
                        name);
        if (!GROW(r->accounts, r->naccounts))
            return out_of_memory(rd);
        rules_listed *l = &r->accounts[r->naccounts];
        split_reason(value, &l->key, &l->reason);
        if (!l->key || !l->reason || !l->key[0]) {
            bool oom = !l->key || !l->reason;
            free(l->key);
            free(l->reason);
            return oom ? out_of_memory(rd) : fail(rd, "a watchlist account needs a key");
        }
        r->naccounts++;
        return 1;
    }
    if (strcmp(section, "text") == 0) {
        if (strcmp(name, "memo") != 0 && strcmp(name, "account") != 0)
            return fail(rd, "[text] takes 'memo = REGEX | reason' or 'account = REGEX | reason', "
                            "not '%s'",
                        name);
        return add_regex(rd, &r->text, &r->ntext, value, strcmp(name, "memo") == 0);
    }
    if (strcmp(section, "jurisdictions") == 0) {
        if (strcmp(name, "high_risk") == 0) {
            char *copy = strdup(value), *save = NULL;
            if (!copy)
                return out_of_memory(rd);
            for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
                char cc[3];
                if (!country(tok, cc)) {
                    fail(rd, "'%s' is not a two-letter country code", tok);
                    free(copy);
                    return 0;
                }
                if (!GROW(r->high_risk, r->nhigh_risk)) {
                    free(copy);
                    return out_of_memory(rd);
                }
                memcpy(r->high_risk[r->nhigh_risk++], cc, 3);
            }
            free(copy);
            return 1;
        }
        if (strcmp(name, "bank") == 0) {
            char *bank, *cc;
            split_reason(value, &bank, &cc);
            char c[3];
            bool oom = !bank || !cc;
            bool ok = !oom && bank[0] && country(cc, c);
            if (ok && !(oom = !GROW(r->banks, r->nbanks))) {
                r->banks[r->nbanks].bank = bank;
                memcpy(r->banks[r->nbanks++].cc, c, 3);
                free(cc);
                return 1;
            }
            free(bank);
            free(cc);
            return oom ? out_of_memory(rd) : fail(rd, "bank = CODE | COUNTRY (two capital letters)");
        }
        return fail(rd, "[jurisdictions] takes high_risk and bank, not '%s'", name);
    }
    if (strcmp(section, "risk") == 0) {
        double v;
        r->risk = true;
        if (strcmp(name, "decay") == 0 && number(value, 0, 1, &v))
            r->decay = v;
        else if (strcmp(name, "threshold") == 0 && number(value, 0, 1, &v))
            r->threshold = v;
        else if (strcmp(name, "max_hops") == 0 && number(value, 1, 20, &v) && v == floor(v))
            r->max_hops = (int)v;
        else if (strcmp(name, "window_days") == 0 && number(value, 0.001, 1e4, &v))
            r->window_days = v;
        else
            return fail(rd, "[risk] takes decay and threshold (0 to 1), max_hops (1 to 20) and "
                            "window_days; '%s = %s' is not one of them",
                        name, value);
        return 1;
    }
    if (strcmp(section, "limits") == 0) {
        double v;
        if (strcmp(name, "match_limit") == 0 && number(value, 1, 1e9, &v)) {
            r->match_limit = (uint32_t)v;
            return 1;
        }
        return fail(rd, "[limits] takes match_limit (1 to 1e9)");
    }
    return fail(rd, "no section [%s] (params, watchlist, text, jurisdictions, risk, limits)",
                section[0] ? section : "");
}

ft_status ft_rules_load(ft_rules **out, const char *path, ft_scan_params *p, ft_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return ft_error_set(err, FT_EIO, "%s: %s", path, strerror(errno));
    /* libinih reads at most 199 bytes a line: refuse longer ones here. */
    int c, col = 0, line = 1;
    while ((c = getc(f)) != EOF) {
        if (c == '\n') {
            line++;
            col = 0;
        } else if (++col > 199) {
            fclose(f);
            return ft_error_set(err, FT_EINPUT, "%s:%d: line longer than 199 bytes", path, line);
        }
    }
    rewind(f);
    ft_rules *r = calloc(1, sizeof *r);
    if (!r) {
        fclose(f);
        return ft_error_oom(err);
    }
    r->decay = 0.5;
    r->threshold = 0.2;
    r->max_hops = 4;
    r->window_days = 30;
    r->match_limit = 100000;
    reader rd = {r, p, f, 0, 0, "", false};
    int bad = ini_parse_stream(read_line, &rd, handler, &rd);
    fclose(f);
    if (rd.oom) {
        ft_rules_free(r);
        return ft_error_oom(err);
    }
    if (bad != 0) {
        ft_rules_free(r);
        if (bad < 0)
            return ft_error_set(err, FT_EIO, "%s: cannot read it", path);
        /* The first error: ours, or a line libinih could not read. */
        if (rd.why[0] && rd.why_line == bad)
            return ft_error_set(err, FT_EINPUT, "%s:%d: %s", path, bad, rd.why);
        return ft_error_set(err, FT_EINPUT, "%s:%d: not a 'name = value' line or a [section]",
                            path, bad);
    }
    p->rules = r;
    *out = r;
    return FT_OK;
}

/* --- matching ------------------------------------------------------------------------- */

bool rules_matcher_init(rules_matcher *m, const ft_rules *r)
{
    m->hits = 0;
    m->md = pcre2_match_data_create(4, NULL);
    m->mc = pcre2_match_context_create(NULL);
    if (!m->md || !m->mc)
        return false;
    pcre2_set_match_limit(m->mc, r->match_limit);
    pcre2_set_depth_limit(m->mc, r->match_limit);
    pcre2_set_heap_limit(m->mc, 20000); /* KiB */
    return true;
}

void rules_matcher_free(rules_matcher *m)
{
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mc);
    m->md = NULL;
    m->mc = NULL;
}

bool rules_match(rules_matcher *m, const rules_regex *re, const char *s, size_t len)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, m->md, m->mc);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        m->hits++;
    return rc >= 0;
}

const char *rules_bank_country(const ft_rules *r, const char *bank, size_t len)
{
    for (size_t i = 0; i < r->nbanks; i++)
        if (strlen(r->banks[i].bank) == len && memcmp(r->banks[i].bank, bank, len) == 0)
            return r->banks[i].cc;
    return NULL;
}

bool rules_high_risk(const ft_rules *r, const char cc[3])
{
    for (size_t i = 0; i < r->nhigh_risk && cc[0]; i++)
        if (strcmp(r->high_risk[i], cc) == 0)
            return true;
    return false;
}
