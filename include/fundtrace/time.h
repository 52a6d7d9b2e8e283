/*
 * time.h - timestamps as int64 milliseconds since 1970-01-01T00:00:00Z.
 *
 * Always UTC: an offset in the text is applied, local time is never used.
 */
#ifndef FUNDTRACE_TIME_H
#define FUNDTRACE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ft_time_error {
    FT_TIME_OK = 0,
    FT_TIME_EMPTY,   /* nothing but spaces */
    FT_TIME_SYNTAX,  /* not one of the accepted forms */
    FT_TIME_RANGE,   /* the form is right but the date or time cannot exist */
    FT_TIME_SKIPPED, /* a local time the zone skipped (summer time began) */
} ft_time_error;

/* Parses one of:
 *   2024-03-01T12:34:56Z, with 'T' or a space, seconds and a fraction
 *     optional, and 'Z', '+01:00', '+0100' or '+01' (or none: UTC);
 *   2024-03-01 (midnight UTC);
 *   2024/03/01 12:34[:56] (the IBM AMLworld form);
 *   01.03.2024[ 12:34[:56]] or 01.03.24 (day first, as every dotted date
 *     is; a two-digit year 69-99 is 19xx);
 *   1709296496[.123] (seconds since the epoch).
 * A fraction finer than a millisecond is truncated. Years 1 to 9999.
 * Feb 30, hour 24 or 25, minute 60 and second 60 are FT_TIME_RANGE. */
bool ft_time_parse(const char *s, size_t len, int64_t *ts_ms, ft_time_error *why);

/* As ft_time_parse; *zoned tells whether the text fixed its own zone
 * ('Z', an offset, epoch seconds). Without one the time was read as UTC,
 * and a caller with a time zone converts it (ft_tz_to_utc). */
bool ft_time_parse_zoned(const char *s, size_t len, int64_t *ts_ms, bool *zoned,
                         ft_time_error *why);

/* The forms ft_time_parse reads, for messages. */
#define FT_TIME_FORMS                                                                              \
    "2024-03-01T12:34:56Z (an offset or none), 2024-03-01, 2024/03/01 12:34, 01.03.2024, "         \
    "epoch seconds"

/* Parses s with a strftime-like format (--date-format): %Y (4 digits), %y
 * (2 digits, 69-99 are 19xx), %m, %d, %e, %H, %I with %p, %M, %S, %f (a
 * fraction of a second), %b or %B (a month name or abbreviation in
 * English, German or French), %z ('Z' or an offset: *zoned is set), %%;
 * a space matches one or more spaces and any other character itself.
 * Fields the format lacks are 1970-01-01 00:00:00. */
bool ft_time_parse_format(const char *s, size_t len, const char *fmt, int64_t *ts_ms, bool *zoned,
                          ft_time_error *why);

/* True when fmt has at least one conversion and only ones
 * ft_time_parse_format knows. */
bool ft_time_format_check(const char *fmt);

const char *ft_time_strerror(ft_time_error e);

/* Writes ts_ms as ISO 8601 UTC ("2024-03-01T12:34:56Z", with ".123" when
 * there are milliseconds). Returns the length; `buf` needs 32 bytes. */
size_t ft_time_format(int64_t ts_ms, char *buf, size_t cap);

/* Parses a duration: a whole number and a unit, s, m, h, d or w ("90m",
 * "30d"); several may follow each other ("1d12h"). */
bool ft_duration_parse(const char *s, size_t len, int64_t *ms);

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian). */
int64_t ft_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
