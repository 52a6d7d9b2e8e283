/*
 * test_error.c - the error record: codes, the file:line:col prefix with
 * its parts left out when zero, long messages cut to the buffer, errno's
 * text, a NULL record.
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "fundtrace/error.h"

static void test_prefixes(void **state)
{
    (void)state;
    ft_error err;
    assert_int_equal(ft_error_at(&err, FT_EINPUT, "a.csv", 12, 7, "bad '%s'", "x"), FT_EINPUT);
    assert_int_equal(err.code, FT_EINPUT);
    assert_string_equal(err.msg, "a.csv:12:7: bad 'x'");
    ft_error_at(&err, FT_EINPUT, "a.csv", 12, 0, "no column");
    assert_string_equal(err.msg, "a.csv:12: no column");
    ft_error_at(&err, FT_EIO, "a.csv", 0, 0, "no line");
    assert_string_equal(err.msg, "a.csv: no line");
    assert_int_equal(err.code, FT_EIO);
    /* a column without a line says neither */
    ft_error_at(&err, FT_EIO, "a.csv", 0, 3, "no line");
    assert_string_equal(err.msg, "a.csv: no line");
    assert_int_equal(ft_error_set(&err, FT_ELIMIT, "%d %s", 42, "past it"), FT_ELIMIT);
    assert_string_equal(err.msg, "42 past it");
    assert_int_equal(err.code, FT_ELIMIT);
}

static void test_long_messages_and_null(void **state)
{
    (void)state;
    ft_error err;
    char lng[3000];
    memset(lng, 'p', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    /* a long message is cut to the buffer, after the prefix */
    ft_error_set(&err, FT_EINPUT, "%s", lng);
    assert_int_equal(strlen(err.msg), FT_ERROR_MSG_MAX - 1);
    /* a prefix that fits leaves the rest of the buffer to the message */
    ft_error_at(&err, FT_EINPUT, "f", 2, 0, "%s", lng);
    assert_int_equal(strlen(err.msg), FT_ERROR_MSG_MAX - 1);
    assert_memory_equal(err.msg, "f:2: ppp", 8);
    /* no record: only the code comes back */
    assert_int_equal(ft_error_set(NULL, FT_EIO, "x"), FT_EIO);
    assert_int_equal(ft_error_at(NULL, FT_EUSAGE, "f", 1, 1, "x"), FT_EUSAGE);
    assert_int_equal(ft_error_oom(NULL), FT_ENOMEM);
    ft_error_clear(NULL);
}

static void test_oom_errno_clear(void **state)
{
    (void)state;
    ft_error err;
    ft_error_set(&err, FT_EIO, "something longer than out of memory");
    assert_int_equal(ft_error_oom(&err), FT_ENOMEM);
    assert_int_equal(err.code, FT_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
    errno = ENOENT;
    assert_int_equal(ft_error_errno(&err, FT_EIO, "open", "x.csv"), FT_EIO);
    assert_string_equal(err.msg, "cannot open 'x.csv': No such file or directory");
    assert_int_equal(err.code, FT_EIO);
    ft_error_clear(&err);
    assert_int_equal(err.code, FT_OK);
    assert_string_equal(err.msg, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_long_messages_and_null),
        cmocka_unit_test(test_oom_errno_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
