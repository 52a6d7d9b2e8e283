/*
 * time.c - timestamp parsing and formatting, in UTC only.
 * The civil-date arithmetic is Howard Hinnant's days_from_civil and
 * civil_from_days: exact over the whole proleptic Gregorian calendar.
 */
#include "fundtrace/time.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MS_PER_DAY 86400000LL

int64_t ft_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at s[*i]; false if any is not a digit. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    if (*i + (size_t)n > len)
        return false;
    int v = 0;
    for (int k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    *out = v;
    return true;
}

static bool parse_epoch(const char *s, size_t len, int64_t *ts_ms, ft_time_error *why)
{
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return *why = FT_TIME_SYNTAX, false;
    int64_t secs = 0;
    size_t start = i;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        /* 9999-12-31 is 253402300799 s: 12 digits are plenty. */
        if (i - start >= 12)
            return *why = FT_TIME_RANGE, false;
        secs = secs * 10 + (s[i] - '0');
    }
    if (i == start)
        return *why = FT_TIME_SYNTAX, false;
    int64_t ms = 0;
    if (i < len && s[i] == '.') {
        i++;
        int scale = 100;
        size_t fstart = i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            ms += (s[i] - '0') * scale;
            scale /= 10;
        }
        if (i == fstart)
            return *why = FT_TIME_SYNTAX, false;
    }
    if (i != len)
        return *why = FT_TIME_SYNTAX, false;
    int64_t v = neg ? -(secs * 1000 + ms) : secs * 1000 + ms;
    /* Years 1 to 9999, as for the other forms. */
    if (v < ft_days_from_civil(1, 1, 1) * MS_PER_DAY ||
        v >= (ft_days_from_civil(9999, 12, 31) + 1) * MS_PER_DAY)
        return *why = FT_TIME_RANGE, false;
    *ts_ms = v;
    return true;
}

/* Trims spaces and tabs on both sides. */
static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* hh:mm[:ss[.fff]] at s[*i]. */
static bool clock_part(const char *s, size_t len, size_t *i, int *h, int *mi, int *sec, int *ms)
{
    if (!digits(s, len, i, 2, h) || *i >= len || s[(*i)++] != ':' || !digits(s, len, i, 2, mi))
        return false;
    if (*i < len && s[*i] == ':') {
        (*i)++;
        if (!digits(s, len, i, 2, sec))
            return false;
        if (*i < len && (s[*i] == '.' || s[*i] == ',')) {
            (*i)++;
            size_t fstart = *i;
            int scale = 100;
            for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
                *ms += (s[*i] - '0') * scale;
                scale /= 10;
            }
            if (*i == fstart)
                return false;
        }
    }
    return true;
}

/* Checks the fields and makes the time; offset_min is applied. */
static bool make_time(int y, int mo, int d, int h, int mi, int sec, int ms, int64_t offset_min,
                      int64_t *ts_ms, ft_time_error *why)
{
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        (unsigned)d > days_in_month(y, (unsigned)mo) || h > 23 || mi > 59 || sec > 59)
        return *why = FT_TIME_RANGE, false;
    int64_t days = ft_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ts_ms = days * MS_PER_DAY + ((int64_t)h * 3600 + mi * 60 + sec - offset_min * 60) * 1000 + ms;
    return true;
}

/* DD.MM.YYYY[ HH:MM[:SS]]: day first, as everyone who writes dots does;
 * DD.MM.YY as German bank exports write it (69-99 are 19xx). */
static bool parse_dotted(const char *s, size_t len, int64_t *ts_ms, ft_time_error *why)
{
    size_t i = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    if (!digits(s, len, &i, 2, &d) || s[i++] != '.' || !digits(s, len, &i, 2, &mo) || i >= len ||
        s[i++] != '.')
        return *why = FT_TIME_SYNTAX, false;
    if (i + 2 == len || (i + 2 < len && s[i + 2] == ' ')) {
        if (!digits(s, len, &i, 2, &y))
            return *why = FT_TIME_SYNTAX, false;
        y += y < 69 ? 2000 : 1900;
    } else if (!digits(s, len, &i, 4, &y)) {
        return *why = FT_TIME_SYNTAX, false;
    }
    if (i < len) {
        if (s[i++] != ' ' || !clock_part(s, len, &i, &h, &mi, &sec, &ms))
            return *why = FT_TIME_SYNTAX, false;
    }
    if (i != len)
        return *why = FT_TIME_SYNTAX, false;
    return make_time(y, mo, d, h, mi, sec, ms, 0, ts_ms, why);
}

bool ft_time_parse_zoned(const char *s, size_t len, int64_t *ts_ms, bool *zoned, ft_time_error *why)
{
    ft_time_error scratch;
    if (!why)
        why = &scratch;
    *why = FT_TIME_OK;
    *zoned = false;
    trim(&s, &len);
    if (len == 0)
        return *why = FT_TIME_EMPTY, false;
    if (len >= 8 && s[2] == '.')
        return parse_dotted(s, len, ts_ms, why);
    /* The common forms first: YYYY-MM-DD, and with THH:MM:SS and Z. */
    if ((len == 10 || len == 19 || (len == 20 && (s[19] == 'Z' || s[19] == 'z'))) && s[4] == '-' &&
        s[7] == '-' &&
        (len == 10 ||
         ((s[10] == 'T' || s[10] == 't' || s[10] == ' ') && s[13] == ':' && s[16] == ':'))) {
#define D(k) ((unsigned)(unsigned char)s[k] - '0')
        unsigned y = D(0) * 1000 + D(1) * 100 + D(2) * 10 + D(3), mo = D(5) * 10 + D(6),
                 d = D(8) * 10 + D(9), h = 0, mi = 0, sec = 0;
#define B(k) (D(k) > 9)
        unsigned bad = B(0) | B(1) | B(2) | B(3) | B(5) | B(6) | B(8) | B(9);
        if (len > 10) {
            h = D(11) * 10 + D(12);
            mi = D(14) * 10 + D(15);
            sec = D(17) * 10 + D(18);
            bad |= B(11) | B(12) | B(14) | B(15) | B(17) | B(18);
        }
#undef B
#undef D
        if (!bad) {
            *zoned = len == 20;
            return make_time((int)y, (int)mo, (int)d, (int)h, (int)mi, (int)sec, 0, 0, ts_ms, why);
        }
    }

    /* A date has a '-' or '/' at position 4; anything else numeric is an
     * epoch count. */
    if (len < 5 || (s[4] != '-' && s[4] != '/')) {
        *zoned = true;
        return parse_epoch(s, len, ts_ms, why);
    }

    size_t i = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    char dsep = s[4];
    if (!digits(s, len, &i, 4, &y) || s[i++] != dsep || !digits(s, len, &i, 2, &mo) ||
        i >= len || s[i++] != dsep || !digits(s, len, &i, 2, &d))
        return *why = FT_TIME_SYNTAX, false;
    int64_t offset_min = 0;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return *why = FT_TIME_SYNTAX, false;
        i++;
        if (!clock_part(s, len, &i, &h, &mi, &sec, &ms))
            return *why = FT_TIME_SYNTAX, false;
        if (dsep == '-' && i < len) {
            if (s[i] == 'Z' || s[i] == 'z') {
                i++;
                *zoned = true;
            } else if (s[i] == '+' || s[i] == '-') {
                int sign = s[i] == '-' ? -1 : 1, oh = 0, om = 0;
                i++;
                if (!digits(s, len, &i, 2, &oh))
                    return *why = FT_TIME_SYNTAX, false;
                if (i < len && s[i] == ':')
                    i++;
                if (i < len && !digits(s, len, &i, 2, &om))
                    return *why = FT_TIME_SYNTAX, false;
                if (oh > 23 || om > 59)
                    return *why = FT_TIME_RANGE, false;
                offset_min = sign * (oh * 60 + om);
                *zoned = true;
            }
        }
    }
    if (i != len)
        return *why = FT_TIME_SYNTAX, false;
    return make_time(y, mo, d, h, mi, sec, ms, offset_min, ts_ms, why);
}

bool ft_time_parse(const char *s, size_t len, int64_t *ts_ms, ft_time_error *why)
{
    bool zoned;
    return ft_time_parse_zoned(s, len, ts_ms, &zoned, why);
}

/* --- --date-format ----------------------------------------------------------- */

static int month_by_name(const char *s, size_t len, size_t *used)
{
    /* English, German and French abbreviations and names, ASCII and UTF-8. */
    static const char *const names[][12] = {
        {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"},
        {"jan", "feb",
         "m\xc3\xa4"
         "r",
         "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "dez"},
        {"janv",
         "f\xc3\xa9"
         "vr",
         "mars", "avr", "mai", "juin", "juil",
         "ao\xc3\xbb"
         "t",
         "sept", "oct", "nov",
         "d\xc3\xa9"
         "c"},
    };
    size_t n = 0;
    while (n < len && ((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z'))
        n++;
    while (n < len && (unsigned char)s[n] >= 0x80)
        n++;
    while (n < len && ((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z'))
        n++;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        for (int m = 0; m < 12; m++) {
            size_t nl = strlen(names[k][m]);
            if (nl <= n && strncasecmp(s, names[k][m], nl) == 0) {
                size_t u = n;
                if (n < len && s[n] == '.')
                    u++;
                *used = u;
                return m + 1;
            }
        }
    }
    return 0;
}

/* Up to `max` digits (at least one) at s[*i]. */
static bool some_digits(const char *s, size_t len, size_t *i, int max, int *out)
{
    int v = 0, n = 0;
    while (n < max && *i < len && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[(*i)++] - '0');
        n++;
    }
    *out = v;
    return n > 0;
}

bool ft_time_parse_format(const char *s, size_t len, const char *fmt, int64_t *ts_ms, bool *zoned,
                          ft_time_error *why)
{
    ft_time_error scratch;
    if (!why)
        why = &scratch;
    *why = FT_TIME_OK;
    *zoned = false;
    trim(&s, &len);
    if (len == 0)
        return *why = FT_TIME_EMPTY, false;
    int y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0, pm = -1;
    int64_t offset_min = 0;
    size_t i = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f == ' ') {
            if (i >= len || s[i] != ' ')
                return *why = FT_TIME_SYNTAX, false;
            while (i < len && s[i] == ' ')
                i++;
            continue;
        }
        if (*f != '%' || f[1] == '%') {
            f += *f == '%';
            if (i >= len || s[i] != *f)
                return *why = FT_TIME_SYNTAX, false;
            i++;
            continue;
        }
        bool ok = true;
        switch (*++f) {
        case 'Y':
            ok = digits(s, len, &i, 4, &y);
            break;
        case 'y':
            ok = digits(s, len, &i, 2, &y);
            y += y < 69 ? 2000 : 1900; /* POSIX strptime's pivot */
            break;
        case 'm':
            ok = some_digits(s, len, &i, 2, &mo);
            break;
        case 'd':
        case 'e':
            ok = some_digits(s, len, &i, 2, &d);
            break;
        case 'H':
            ok = some_digits(s, len, &i, 2, &h);
            break;
        case 'I':
            ok = some_digits(s, len, &i, 2, &h) && h >= 1 && h <= 12;
            break;
        case 'M':
            ok = digits(s, len, &i, 2, &mi);
            break;
        case 'S':
            ok = digits(s, len, &i, 2, &sec);
            break;
        case 'f': {
            size_t start = i;
            int scale = 100;
            for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                ms += (s[i] - '0') * scale;
                scale /= 10;
            }
            ok = i > start;
            break;
        }
        case 'p':
            ok = i + 2 <= len && (s[i + 1] | 0x20) == 'm' &&
                 ((s[i] | 0x20) == 'a' || (s[i] | 0x20) == 'p');
            if (ok)
                pm = (s[i] | 0x20) == 'p', i += 2;
            break;
        case 'b':
        case 'B': {
            size_t used = 0;
            mo = month_by_name(s + i, len - i, &used);
            ok = mo > 0;
            i += used;
            break;
        }
        case 'z':
            if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
                i++;
            } else {
                int sign = i < len && s[i] == '-' ? -1 : 1, oh = 0, om = 0;
                ok = i < len && (s[i] == '+' || s[i] == '-');
                i += ok;
                ok = ok && digits(s, len, &i, 2, &oh);
                if (ok && i < len && s[i] == ':')
                    i++;
                if (ok && i + 1 < len && s[i] >= '0' && s[i] <= '9')
                    ok = digits(s, len, &i, 2, &om);
                if (ok && (oh > 23 || om > 59))
                    return *why = FT_TIME_RANGE, false;
                offset_min = sign * (oh * 60 + om);
            }
            *zoned = true;
            break;
        default:
            ok = false;
        }
        if (!ok)
            return *why = FT_TIME_SYNTAX, false;
    }
    if (i != len)
        return *why = FT_TIME_SYNTAX, false;
    if (pm >= 0)
        h = h % 12 + (pm ? 12 : 0);
    return make_time(y, mo, d, h, mi, sec, ms, offset_min, ts_ms, why);
}

bool ft_time_format_check(const char *fmt)
{
    bool any = false;
    for (const char *f = fmt; *f; f++) {
        if (*f != '%')
            continue;
        f++;
        if (!*f || !strchr("YymdeHIMSfpbBz%", *f))
            return false;
        any |= *f != '%';
    }
    return any;
}

bool ft_duration_parse(const char *s, size_t len, int64_t *ms)
{
    int64_t total = 0;
    size_t i = 0;
    if (len == 0)
        return false;
    while (i < len) {
        int64_t v = 0;
        size_t start = i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (v > 100000000)
                return false;
            v = v * 10 + (s[i] - '0');
        }
        if (i == start || i == len)
            return false;
        int64_t unit;
        switch (s[i++]) {
        case 's': unit = 1000; break;
        case 'm': unit = 60000; break;
        case 'h': unit = 3600000; break;
        case 'd': unit = 86400000; break;
        case 'w': unit = 7 * 86400000LL; break;
        default: return false;
        }
        total += v * unit;
    }
    *ms = total;
    return true;
}

const char *ft_time_strerror(ft_time_error e)
{
    switch (e) {
    case FT_TIME_OK:
        return "ok";
    case FT_TIME_EMPTY:
        return "is empty";
    case FT_TIME_SYNTAX:
        return "is not a timestamp";
    case FT_TIME_RANGE:
        return "is not a possible date and time";
    case FT_TIME_SKIPPED:
        return "does not exist in the time zone (the clocks went forward)";
    }
    return "is invalid";
}

size_t ft_time_format(int64_t ts_ms, char *buf, size_t cap)
{
    int64_t days = ts_ms / MS_PER_DAY, rem = ts_ms % MS_PER_DAY;
    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int ms = (int)(rem % 1000);
    int64_t secs = rem / 1000;
    if (y >= 0 && y <= 9999) {
        /* By hand: printf's machinery was a tenth of writing handoffs. */
        char tmp[32];
        size_t n = ms ? 24 : 20;
        unsigned v[6] = {(unsigned)y, m, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
                         (unsigned)(secs % 60)};
        static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
        char *p = tmp;
        for (int k = 0; k < 6; k++) {
            if (k == 0) {
                *p++ = (char)('0' + v[0] / 1000);
                *p++ = (char)('0' + v[0] / 100 % 10);
            }
            *p++ = (char)('0' + v[k] / 10 % 10);
            *p++ = (char)('0' + v[k] % 10);
            if (sep[k])
                *p++ = sep[k];
        }
        if (ms) {
            *p++ = '.';
            *p++ = (char)('0' + ms / 100);
            *p++ = (char)('0' + ms / 10 % 10);
            *p++ = (char)('0' + ms % 10);
        }
        *p++ = 'Z';
        /* As snprintf: what fits, NUL-terminated (synth takes the date). */
        if (cap) {
            size_t k = n < cap ? n : cap - 1;
            memcpy(buf, tmp, k);
            buf[k] = '\0';
        }
        return n < cap ? n : 0;
    }
    int n;
    if (ms)
        n = snprintf(buf, cap, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d,
                     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), ms);
    else
        n = snprintf(buf, cap, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
                     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
