/*
 * test_time.c - timestamp parsing and formatting, UTC only.
 * Expected values were computed independently with Python's datetime.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fundtrace/time.h"
#include "fundtrace/tz.h"

static int64_t ok(const char *s)
{
    int64_t v = 0;
    ft_time_error why = FT_TIME_SYNTAX;
    if (!ft_time_parse(s, strlen(s), &v, &why))
        fail_msg("'%s' rejected: %s", s, ft_time_strerror(why));
    return v;
}

static ft_time_error bad(const char *s)
{
    int64_t v = 0;
    ft_time_error why = FT_TIME_OK;
    if (ft_time_parse(s, strlen(s), &v, &why))
        fail_msg("'%s' accepted as %lld", s, (long long)v);
    return why;
}

static void test_iso_forms(void **state)
{
    (void)state;
    assert_int_equal(ok("2024-03-01T12:34:56Z"), 1709296496000LL);
    assert_int_equal(ok("2024-03-01t12:34:56z"), 1709296496000LL);
    assert_int_equal(ok("2024-03-01 12:34:56"), 1709296496000LL);
    assert_int_equal(ok("2024-03-01T12:34:56"), 1709296496000LL);
    assert_int_equal(ok("2024-03-01T12:34:56.789Z"), 1709296496789LL);
    assert_int_equal(ok("2024-03-01T12:34:56.7891234Z"), 1709296496789LL); /* truncated */
    assert_int_equal(ok("2024-03-01T12:34:56,5Z"), 1709296496500LL);
    assert_int_equal(ok("2024-03-01 12:34"), 1709296440000LL);
    assert_int_equal(ok("2024-02-29"), 1709164800000LL);
    assert_int_equal(ok(" 2024-02-29 "), 1709164800000LL);
}

static void test_offsets_convert_to_utc(void **state)
{
    (void)state;
    /* 12:34:56+01:00 is 11:34:56Z. */
    assert_int_equal(ok("2024-03-01T12:34:56+01:00"), 1709292896000LL);
    assert_int_equal(ok("2024-03-01T12:34:56+0100"), 1709292896000LL);
    assert_int_equal(ok("2024-03-01T12:34:56+01"), 1709292896000LL);
    /* India, -05:30 the other way: 12:34:56-05:30 is 18:04:56Z. */
    assert_int_equal(ok("2024-03-01T12:34:56-05:30"), 1709316296000LL);
    assert_int_equal(bad("2024-03-01T12:34:56+25:00"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-03-01T12:34:56+01:xx"), FT_TIME_SYNTAX);
}

static void test_ibm_form(void **state)
{
    (void)state;
    assert_int_equal(ok("2022/09/01 00:20"), 1661991600000LL);
    assert_int_equal(ok("2022/09/01 00:20:00"), 1661991600000LL);
}

static void test_epoch_seconds(void **state)
{
    (void)state;
    assert_int_equal(ok("1709296496"), 1709296496000LL);
    assert_int_equal(ok("1709296496.25"), 1709296496250LL);
    assert_int_equal(ok("0"), 0);
    assert_int_equal(ok("-1"), -1000);
    assert_int_equal(bad("1709296496x"), FT_TIME_SYNTAX);
    assert_int_equal(bad("12."), FT_TIME_SYNTAX);
    assert_int_equal(bad("9999999999999"), FT_TIME_RANGE);
    /* Years 1 to 9999, as for dates (found by fuzzing: 644665240726 s is
     * the year 22398, which printed back would not parse). */
    assert_int_equal(ok("253402300799.999"), 253402300799999LL);
    assert_int_equal(bad("253402300800"), FT_TIME_RANGE);
    assert_int_equal(bad("644665240726"), FT_TIME_RANGE);
    assert_int_equal(ok("-62135596800"), -62135596800000LL);
    assert_int_equal(bad("-62135596801"), FT_TIME_RANGE);
}

static void test_calendar_edges(void **state)
{
    (void)state;
    assert_int_equal(ok("2000-02-29T23:59:59Z"), 951868799000LL); /* 2000 is a leap year */
    assert_int_equal(ok("1969-12-31T23:59:59Z"), -1000);
    assert_int_equal(ok("0001-01-01T00:00:00Z"), -62135596800000LL);
    assert_int_equal(ok("9999-12-31T23:59:59Z"), 253402300799000LL);
    assert_int_equal(bad("1900-02-29"), FT_TIME_RANGE); /* 1900 is not */
    assert_int_equal(bad("2023-02-29"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-02-30 10:00"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-04-31"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-13-01"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-00-10"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-01-00"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-01-01T25:00:00Z"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-01-01T24:00:00Z"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-01-01T10:60:00Z"), FT_TIME_RANGE);
    assert_int_equal(bad("2024-01-01T10:00:60Z"), FT_TIME_RANGE);
    assert_int_equal(bad("0000-01-01"), FT_TIME_RANGE);
}

static void test_garbage(void **state)
{
    (void)state;
    assert_int_equal(bad(""), FT_TIME_EMPTY);
    assert_int_equal(bad("  "), FT_TIME_EMPTY);
    assert_int_equal(bad("yesterday"), FT_TIME_SYNTAX);
    assert_int_equal(bad("2024-3-1"), FT_TIME_SYNTAX);
    assert_int_equal(bad("2024-03-01T"), FT_TIME_SYNTAX);
    assert_int_equal(bad("2024-03-01T1:00"), FT_TIME_SYNTAX);
    assert_int_equal(bad("2024-03-01 10:00 UTC"), FT_TIME_SYNTAX);
    assert_int_equal(bad("01/03/2024 10:00"), FT_TIME_SYNTAX);
    assert_int_equal(bad("2024/03-01"), FT_TIME_SYNTAX);
    assert_int_equal(bad("2022/09/01 00:20Z"), FT_TIME_SYNTAX); /* no zone in the IBM form */
}

static void test_format_round_trip(void **state)
{
    (void)state;
    char buf[40];
    assert_int_equal(ft_time_format(1709296496000LL, buf, sizeof buf), 20);
    assert_string_equal(buf, "2024-03-01T12:34:56Z");
    ft_time_format(1709296496789LL, buf, sizeof buf);
    assert_string_equal(buf, "2024-03-01T12:34:56.789Z");
    ft_time_format(-1000, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
    ft_time_format(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    ft_time_format(951868799000LL, buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29T23:59:59Z");
    /* Room for the text and its NUL, or nothing. */
    assert_int_equal(ft_time_format(1709296496000LL, buf, 21), 20);
    assert_int_equal(ft_time_format(1709296496000LL, buf, 20), 0);
    assert_int_equal(ft_time_format(1709296496789LL, buf, 24), 0);
    assert_string_equal(buf, "2024-03-01T12:34:56.789"); /* as snprintf: what fits */
    assert_int_equal(ft_time_format(1709296496789LL, buf, 11), 0);
    assert_string_equal(buf, "2024-03-01");
    /* Years 0 to 9999 are written by hand: as printf writes them, at every
     * digit (midnight, the first and last millisecond, random times). */
    uint64_t x = 0x2545F4914F6CDD1DULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t lo = -62167219200000LL, hi = 253402300800000LL; /* year 0 to 10000 */
        int64_t ms = i == 0 ? lo : i == 1 ? hi - 1 : lo + (int64_t)(x % (uint64_t)(hi - lo));
        if (i % 3 == 2)
            ms -= ms % 1000;
        char want[40];
        int64_t days = ms / 86400000, rem = ms % 86400000;
        if (rem < 0)
            rem += 86400000, days--;
        time_t t = (time_t)(days * 86400 + rem / 1000);
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        int n = rem % 1000 ? snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                      tm.tm_min, tm.tm_sec, (int)(rem % 1000))
                           : snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                      tm.tm_min, tm.tm_sec);
        assert_int_equal(ft_time_format(ms, buf, sizeof buf), n);
        assert_string_equal(buf, want);
    }
    /* Past year 9999 (a crafted snapshot): printf's form. */
    assert_int_equal(ft_time_format(253402300800000LL, buf, sizeof buf), 21);
    assert_string_equal(buf, "10000-01-01T00:00:00Z");
    /* Every day of four years parses back to itself. */
    for (int64_t day = 19000; day < 19000 + 4 * 366; day++) {
        int64_t ms = day * 86400000LL + 45296000; /* 12:34:56 */
        ft_time_format(ms, buf, sizeof buf);
        assert_int_equal(ok(buf), ms);
    }
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(ft_duration_parse("90m", 3, &ms));
    assert_int_equal(ms, 5400000);
    assert_true(ft_duration_parse("1d12h", 5, &ms));
    assert_int_equal(ms, 129600000);
    assert_true(ft_duration_parse("2w", 2, &ms));
    assert_int_equal(ms, 1209600000);
    assert_true(ft_duration_parse("45s", 3, &ms));
    assert_int_equal(ms, 45000);
    assert_false(ft_duration_parse("", 0, &ms));
    assert_false(ft_duration_parse("30", 2, &ms));
    assert_false(ft_duration_parse("d", 1, &ms));
    assert_false(ft_duration_parse("3y", 2, &ms));
    assert_false(ft_duration_parse("-3d", 3, &ms));
}

static void test_dotted_day_first(void **state)
{
    (void)state;
    assert_int_equal(ok("01.03.2024"), 1709251200000LL);
    assert_int_equal(ok("01.03.2024 12:34"), 1709296440000LL);
    assert_int_equal(ok("01.03.24"), 1709251200000LL);
    assert_int_equal(ok("31.12.69"), -86400000LL); /* 1969 */
    assert_int_equal(bad("30.02.2024"), FT_TIME_RANGE);
    assert_int_equal(bad("1.3.2024"), FT_TIME_SYNTAX);
}

static int64_t fmt_ok(const char *s, const char *fmt, bool want_zoned)
{
    int64_t v = 0;
    bool zoned = !want_zoned;
    ft_time_error why = FT_TIME_OK;
    if (!ft_time_parse_format(s, strlen(s), fmt, &v, &zoned, &why))
        fail_msg("'%s' with '%s' rejected: %s", s, fmt, ft_time_strerror(why));
    assert_int_equal(zoned, want_zoned);
    return v;
}

static void test_date_format(void **state)
{
    (void)state;
    assert_int_equal(fmt_ok("31/12/2024", "%d/%m/%Y", false), 1735603200000LL);
    assert_int_equal(fmt_ok("12/31/2024", "%m/%d/%Y", false), 1735603200000LL);
    assert_int_equal(fmt_ok("01.03.2024 12:34", "%d.%m.%Y %H:%M", false), 1709296440000LL);
    assert_int_equal(fmt_ok("1 Mar 2024", "%d %b %Y", false), 1709251200000LL);
    assert_int_equal(fmt_ok("1. M\xc3\xa4rz 2024", "%d. %B %Y", false), 1709251200000LL);
    assert_int_equal(fmt_ok("13 f\xc3\xa9vr. 2024", "%d %b %Y", false), 1707782400000LL);
    assert_int_equal(fmt_ok("03/01/24 01:05:09 PM", "%m/%d/%y %I:%M:%S %p", false),
                     1709298309000LL);
    assert_int_equal(fmt_ok("2024-03-01 12:34:56.5+0100", "%Y-%m-%d %H:%M:%S.%f%z", true),
                     1709292896500LL);
    /* fields the format lacks are 1970-01-01 00:00:00 */
    assert_int_equal(fmt_ok("12:34", "%H:%M", false), 45240000LL);
    assert_int_equal(fmt_ok("15", "%d", false), 14 * 86400000LL);
    assert_int_equal(fmt_ok("03", "%m", false), 59 * 86400000LL);
    assert_int_equal(fmt_ok("2024", "%Y", false), 1704067200000LL);
    assert_int_equal(fmt_ok("07 2024", "%m %Y", false), 1719792000000LL);
    int64_t v;
    bool z;
    ft_time_error why;
    assert_false(ft_time_parse_format("31/02/2024", 10, "%d/%m/%Y", &v, &z, &why));
    assert_int_equal(why, FT_TIME_RANGE);
    assert_false(ft_time_parse_format("2024-12-31", 10, "%d/%m/%Y", &v, &z, &why));
    assert_int_equal(why, FT_TIME_SYNTAX);
    assert_true(ft_time_format_check("%d.%m.%Y %H:%M"));
    assert_false(ft_time_format_check("%d.%q"));
    assert_false(ft_time_format_check("no conversion"));
}

/* Expected instants from Python's zoneinfo on the same tz database. */
static int64_t local(const ft_tz *tz, const char *s)
{
    int64_t l = ok(s), u = 0;
    if (!ft_tz_to_utc(tz, l, &u))
        fail_msg("'%s' does not exist in %s", s, ft_tz_name(tz));
    return u;
}

static void test_zones(void **state)
{
    (void)state;
    ft_tz *tz;
    ft_error err;
    assert_int_equal(ft_tz_load(&tz, "Europe/Berlin", &err), FT_OK);
    assert_int_equal(local(tz, "2024-01-15 12:00"), 1705316400000LL); /* +01 */
    assert_int_equal(local(tz, "2024-07-01 12:00"), 1719828000000LL); /* +02 */
    assert_int_equal(local(tz, "2024-10-27 02:30"), 1729989000000LL); /* twice: first */
    assert_int_equal(local(tz, "2024-10-27 03:30"), 1729996200000LL);
    assert_int_equal(local(tz, "2050-07-01 12:00"), 2540282400000LL); /* by the rule */
    assert_int_equal(local(tz, "1950-07-01 12:00"), -615474000000LL); /* no summer time */
    int64_t u;
    assert_false(ft_tz_to_utc(tz, ok("2024-03-31 02:30"), &u));
    assert_int_equal(ft_tz_offset(tz, 1719828000), 7200);
    ft_tz_free(tz);
    assert_int_equal(ft_tz_load(&tz, "America/New_York", &err), FT_OK);
    assert_int_equal(local(tz, "2024-11-03 01:30"), 1730611800000LL);
    assert_int_equal(local(tz, "2060-08-01 00:00"), 2858558400000LL);
    assert_false(ft_tz_to_utc(tz, ok("2024-03-10 02:30"), &u));
    ft_tz_free(tz);
    assert_int_equal(ft_tz_load(&tz, "Australia/Sydney", &err), FT_OK); /* south */
    assert_int_equal(local(tz, "2024-01-01 00:00"), 1704027600000LL);
    assert_int_equal(local(tz, "2070-01-01 00:00"), 3155720400000LL);
    ft_tz_free(tz);
    assert_int_equal(ft_tz_load(&tz, "UTC", &err), FT_OK);
    assert_int_equal(local(tz, "2024-07-01 12:00"), 1719835200000LL);
    ft_tz_free(tz);
    assert_int_equal(ft_tz_load(&tz, "Mars/Olympus", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "no such zone"));
    assert_int_equal(ft_tz_load(&tz, "../etc/passwd", &err), FT_EUSAGE);
}

/* A TZif (version 2) file of no transitions, one type of offset `utoff`,
 * and the POSIX rule `footer` after them, as DIR/NAME. */
static void write_zone(const char *dir, const char *name, int32_t utoff, const char *footer)
{
    unsigned char f[512];
    size_t n = 0;
    for (int block = 0; block < 2; block++) {
        memcpy(f + n, "TZif2", 5);
        memset(f + n + 5, 0, 15);
        n += 20;
        const uint32_t counts[6] = {0, 0, 0, 0, 1, 4}; /* isut isstd leap time type char */
        for (int k = 0; k < 6; k++, n += 4)
            for (int b = 0; b < 4; b++)
                f[n + (size_t)b] = (unsigned char)(counts[k] >> (24 - 8 * b));
        for (int b = 0; b < 4; b++)
            f[n++] = (unsigned char)((uint32_t)utoff >> (24 - 8 * b));
        f[n++] = 0; /* not summer time */
        f[n++] = 0; /* its name at 0 */
        memcpy(f + n, "ZZZ", 4);
        n += 4;
    }
    n += (size_t)snprintf((char *)f + n, sizeof f - n, "\n%s\n", footer);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tu_write(path, f, n);
}

/* The POSIX rule of a zone's footer, on zones with no transitions of
 * their own (from $TZDIR): an offset with minutes; a name in angle
 * brackets; summer time by the rule, north and south; a rule without a
 * name, or empty, is not one (the zone's one offset holds). */
static void test_zone_rules(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    write_zone(dir, "India", 0, "IST-5:30");
    write_zone(dir, "Nepal", 0, "<+0545>-5:45");
    write_zone(dir, "Central", 0, "CET-1CEST,M3.5.0,M10.5.0/3");
    write_zone(dir, "South", 0, "ACST-9:30ACDT,M10.1.0,M4.1.0/3");
    write_zone(dir, "Nameless", 1800, "-1");
    write_zone(dir, "Empty", 1800, "");
    setenv("TZDIR", dir, 1);
    static const struct {
        const char *zone;
        int64_t utc_s;
        int32_t want;
    } cases[] = {
        {"India", 1719835200, 19800},   {"India", 1705320000, 19800},
        {"Nepal", 1719835200, 20700},   {"Central", 1705320000, 3600},
        {"Central", 1719835200, 7200},  {"Central", 2540282400, 7200},
        {"South", 1705320000, 37800},   {"South", 1719835200, 34200},
        {"Nameless", 1719835200, 1800}, {"Empty", 1719835200, 1800},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ft_tz *tz;
        ft_error err;
        if (ft_tz_load(&tz, cases[k].zone, &err) != FT_OK)
            fail_msg("%s: %s", cases[k].zone, err.msg);
        if (ft_tz_offset(tz, cases[k].utc_s) != cases[k].want)
            fail_msg("%s at %lld: %d, want %d", cases[k].zone, (long long)cases[k].utc_s,
                     ft_tz_offset(tz, cases[k].utc_s), cases[k].want);
        ft_tz_free(tz);
    }
    unsetenv("TZDIR");
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_forms),
        cmocka_unit_test(test_zone_rules),
        cmocka_unit_test(test_offsets_convert_to_utc),
        cmocka_unit_test(test_ibm_form),
        cmocka_unit_test(test_epoch_seconds),
        cmocka_unit_test(test_calendar_edges),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_dotted_day_first),
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
