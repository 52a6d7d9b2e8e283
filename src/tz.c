/*
 * tz.c - TZif files (RFC 8536) and their POSIX TZ footer.
 *
 * Only the version 2+ block (64-bit times) is used; a version 1 file has
 * only 32-bit times and is read from its first block. Local to UTC: a
 * wall time L is instant L - o for the offset o in force then; the
 * offsets in force a day either side are the only candidates, since zones
 * do not change twice within two days.
 */
#include "fundtrace/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/time.h"

#define MAX_TZ_FILE (1 << 20)

/* One POSIX rule date: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d. */
struct rule_date {
    char kind; /* 'J', 'N', 'M' */
    int a, b, c;
    int32_t secs; /* local time of day of the change */
};

struct ft_tz {
    char name[64];
    int64_t *at; /* transition instants, ascending */
    uint8_t *type;
    int32_t *offs; /* per type */
    uint8_t *isdst;
    uint32_t nat, ntypes;
    int32_t before; /* offset before the first transition */
    bool has_rule, rule_dst;
    int32_t std_off, dst_off; /* seconds east */
    struct rule_date start, end;
};

static int64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

/* [+-]hh[:mm[:ss]]; returns the characters used, 0 on error. */
static int posix_time(const char *s, int32_t *out)
{
    int i = 0, sign = 1, part[3] = {0, 0, 0};
    if (s[i] == '+' || s[i] == '-')
        sign = s[i++] == '-' ? -1 : 1;
    for (int k = 0; k < 3; k++) {
        if (k && s[i] != ':')
            break;
        i += k > 0;
        int n = 0;
        while (s[i] >= '0' && s[i] <= '9' && n < 3)
            part[k] = part[k] * 10 + (s[i++] - '0'), n++;
        if (!n)
            return 0;
    }
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return i;
}

static int posix_name(const char *s)
{
    int i = 0;
    if (s[0] == '<') {
        while (s[i] && s[i] != '>')
            i++;
        return s[i] == '>' ? i + 1 : 0;
    }
    while ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
        i++;
    return i >= 3 ? i : 0;
}

static int posix_date(const char *s, struct rule_date *d)
{
    int i = 0;
    d->secs = 7200;
    if (s[0] == 'M') {
        d->kind = 'M';
        i = 1;
        int *f[3] = {&d->a, &d->b, &d->c};
        for (int k = 0; k < 3; k++) {
            int n = 0;
            *f[k] = 0;
            while (s[i] >= '0' && s[i] <= '9')
                *f[k] = *f[k] * 10 + (s[i++] - '0'), n++;
            if (!n || (k < 2 && s[i++] != '.'))
                return 0;
        }
        if (d->a < 1 || d->a > 12 || d->b < 1 || d->b > 5 || d->c > 6)
            return 0;
    } else {
        d->kind = s[0] == 'J' ? 'J' : 'N';
        i = s[0] == 'J';
        int n = 0;
        d->a = 0;
        while (s[i] >= '0' && s[i] <= '9')
            d->a = d->a * 10 + (s[i++] - '0'), n++;
        if (!n || d->a > 365)
            return 0;
    }
    if (s[i] == '/') {
        int n = posix_time(s + i + 1, &d->secs);
        if (!n)
            return 0;
        i += 1 + n;
    }
    return i;
}

/* "CET-1CEST,M3.5.0,M10.5.0/3"; false when not understood. */
static bool parse_rule(ft_tz *tz, const char *s)
{
    int n = posix_name(s);
    int32_t t;
    if (!n)
        return false;
    s += n;
    if (!(n = posix_time(s, &t)))
        return false;
    s += n;
    tz->std_off = -t;
    tz->has_rule = true;
    if (!*s)
        return true;
    if (!(n = posix_name(s)))
        return false;
    s += n;
    tz->dst_off = tz->std_off + 3600;
    if (*s && *s != ',') {
        if (!(n = posix_time(s, &t)))
            return false;
        s += n;
        tz->dst_off = -t;
    }
    if (*s++ != ',' || !(n = posix_date(s, &tz->start)))
        return false;
    s += n;
    if (*s++ != ',' || !(n = posix_date(s, &tz->end)))
        return false;
    tz->rule_dst = true;
    return s[n] == '\0';
}

/* Seconds from 1970 to local midnight starting the rule's day in year y. */
static int64_t rule_day(const struct rule_date *d, int64_t y)
{
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int64_t jan1 = ft_days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return (jan1 + d->a - 1 + (leap && d->a >= 60)) * 86400;
    if (d->kind == 'N')
        return (jan1 + d->a) * 86400;
    /* Day d->c (0 = Sunday) of week d->b (5 = last) of month d->a. */
    int64_t first = ft_days_from_civil(y, (unsigned)d->a, 1);
    int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
    int64_t day = first + ((d->c - wd + 7) % 7) + 7 * (d->b - 1);
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int mdays = dim[d->a - 1] + (d->a == 2 && leap);
    while (day >= first + mdays)
        day -= 7;
    return day * 86400;
}

static int32_t rule_offset(const ft_tz *tz, int64_t utc_s)
{
    if (!tz->rule_dst)
        return tz->std_off;
    int64_t days = (utc_s + tz->std_off) / 86400 - ((utc_s + tz->std_off) % 86400 < 0);
    /* The year of that day (days_from_civil inverted by a step search). */
    int64_t y = 1970 + days / 366;
    while (ft_days_from_civil(y + 1, 1, 1) <= days)
        y++;
    while (ft_days_from_civil(y, 1, 1) > days)
        y--;
    int64_t start = rule_day(&tz->start, y) + tz->start.secs - tz->std_off;
    int64_t end = rule_day(&tz->end, y) + tz->end.secs - tz->dst_off;
    bool dst = start < end ? utc_s >= start && utc_s < end : !(utc_s >= end && utc_s < start);
    return dst ? tz->dst_off : tz->std_off;
}

int32_t ft_tz_offset(const ft_tz *tz, int64_t utc_s)
{
    if (tz->nat == 0 || utc_s < tz->at[0])
        return tz->nat == 0 && tz->has_rule ? rule_offset(tz, utc_s) : tz->before;
    if (utc_s >= tz->at[tz->nat - 1] && tz->has_rule)
        return rule_offset(tz, utc_s);
    uint32_t lo = 0, hi = tz->nat; /* last transition at or before utc_s */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= utc_s)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offs[tz->type[lo]];
}

bool ft_tz_to_utc(const ft_tz *tz, int64_t local_ms, int64_t *utc_ms)
{
    int64_t local_s = local_ms / 1000 - (local_ms % 1000 < 0);
    int32_t cand[2] = {ft_tz_offset(tz, local_s - 86400), ft_tz_offset(tz, local_s + 86400)};
    bool found = false;
    int64_t best = 0;
    for (int k = 0; k < 2; k++) {
        int64_t t = local_s - cand[k];
        if (ft_tz_offset(tz, t) == cand[k] && (!found || t < best)) {
            best = t;
            found = true;
        }
    }
    if (found)
        *utc_ms = local_ms - (local_s - best) * 1000;
    return found;
}

static ft_status bad_file(const char *path, const char *name, ft_error *err)
{
    return ft_error_set(err, FT_EUSAGE, "--timezone '%s': '%s' is not a tz database file", name,
                        path);
}

/* Reads the data block at p (end at `end`) with times of `tsize` bytes;
 * returns the bytes it used, 0 when it does not fit or (*oom) memory ran
 * out. */
static size_t read_block(ft_tz *tz, const unsigned char *h, const unsigned char *end, int tsize,
                         bool keep, bool *oom)
{
    if (end - h < 44)
        return 0;
    uint32_t isut = (uint32_t)be(h + 20, 4), isstd = (uint32_t)be(h + 24, 4),
             leap = (uint32_t)be(h + 28, 4), timecnt = (uint32_t)be(h + 32, 4),
             typecnt = (uint32_t)be(h + 36, 4), charcnt = (uint32_t)be(h + 40, 4);
    if (timecnt > 100000 || typecnt == 0 || typecnt > 256 || leap > 100000 || charcnt > 100000 ||
        isut > 256 || isstd > 256)
        return 0;
    size_t need = 44 + (size_t)timecnt * (size_t)(tsize + 1) + typecnt * 6 + charcnt +
                  leap * (size_t)(tsize + 4) + isstd + isut;
    if ((size_t)(end - h) < need)
        return 0;
    if (!keep)
        return need;
    const unsigned char *p = h + 44;
    tz->at = malloc(((size_t)timecnt + 1) * sizeof *tz->at);
    tz->type = malloc((size_t)timecnt + 1);
    tz->offs = malloc(typecnt * sizeof *tz->offs);
    tz->isdst = malloc(typecnt);
    if (!tz->at || !tz->type || !tz->offs || !tz->isdst) {
        *oom = true;
        return 0;
    }
    for (uint32_t i = 0; i < timecnt; i++)
        tz->at[i] = be(p + (size_t)i * (size_t)tsize, tsize);
    p += (size_t)timecnt * (size_t)tsize;
    for (uint32_t i = 0; i < timecnt; i++) {
        if (p[i] >= typecnt || (i && tz->at[i] <= tz->at[i - 1]))
            return 0;
        tz->type[i] = p[i];
    }
    p += timecnt;
    for (uint32_t i = 0; i < typecnt; i++) {
        tz->offs[i] = (int32_t)be(p + 6 * i, 4);
        tz->isdst[i] = p[6 * i + 4];
        if (tz->offs[i] < -26 * 3600 || tz->offs[i] > 26 * 3600)
            return 0;
    }
    tz->nat = timecnt;
    tz->ntypes = typecnt;
    /* Before the first transition: the first standard-time type. */
    tz->before = tz->offs[0];
    for (uint32_t i = 0; i < typecnt; i++) {
        if (!tz->isdst[i]) {
            tz->before = tz->offs[i];
            break;
        }
    }
    return need;
}

ft_status ft_tz_load(ft_tz **out, const char *name, ft_error *err)
{
    *out = NULL;
    if (!name[0] || name[0] == '/' || strstr(name, "..") || strlen(name) >= 64)
        return ft_error_set(err, FT_EUSAGE,
                            "--timezone '%s': give a zone name such as Europe/Berlin or UTC", name);
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ft_error_set(err, FT_EUSAGE,
                            "--timezone '%s': no such zone in the tz database ('%s'; is the "
                            "tzdata package installed?)",
                            name, path);
    unsigned char *buf = malloc(MAX_TZ_FILE);
    ft_tz *tz = calloc(1, sizeof *tz);
    size_t len = buf ? fread(buf, 1, MAX_TZ_FILE, f) : 0;
    fclose(f);
    ft_status rc = FT_OK;
    if (!buf || !tz) {
        rc = ft_error_oom(err);
        goto done;
    }
    snprintf(tz->name, sizeof tz->name, "%s", name);
    const unsigned char *end = buf + len;
    if (len < 44 || memcmp(buf, "TZif", 4) != 0) {
        rc = bad_file(path, name, err);
        goto done;
    }
    bool oom = false;
    size_t v1 = read_block(tz, buf, end, 4, buf[4] == 0, &oom);
    if (!v1) {
        rc = oom ? ft_error_oom(err) : bad_file(path, name, err);
        goto done;
    }
    if (buf[4] != 0) {
        const unsigned char *h2 = buf + v1;
        if (end - h2 < 44 || memcmp(h2, "TZif", 4) != 0) {
            rc = bad_file(path, name, err);
            goto done;
        }
        size_t v2 = read_block(tz, h2, end, 8, true, &oom);
        if (!v2) {
            rc = oom ? ft_error_oom(err) : bad_file(path, name, err);
            goto done;
        }
        const unsigned char *foot = h2 + v2;
        if (end - foot > 2 && foot[0] == '\n') {
            const unsigned char *nl = memchr(foot + 1, '\n', (size_t)(end - foot - 1));
            if (nl && nl > foot + 1) {
                char rule[128];
                size_t n = (size_t)(nl - foot - 1);
                if (n < sizeof rule) {
                    memcpy(rule, foot + 1, n);
                    rule[n] = '\0';
                    if (!parse_rule(tz, rule))
                        tz->has_rule = tz->rule_dst = false;
                }
            }
        }
    }
done:
    free(buf);
    if (rc != FT_OK) {
        ft_tz_free(tz);
        return rc;
    }
    *out = tz;
    return FT_OK;
}

const char *ft_tz_name(const ft_tz *tz)
{
    return tz->name;
}

void ft_tz_free(ft_tz *tz)
{
    if (!tz)
        return;
    free(tz->at);
    free(tz->type);
    free(tz->offs);
    free(tz->isdst);
    free(tz);
}
