/*
 * test_writer.c - the atomic, buffered writer: what is written arrives
 * whole, beside no temporary file and with no descriptor left open; a
 * file written over is replaced only on close; abort keeps the old one;
 * writes larger than the buffer, gzip, a full disk, a directory that does
 * not exist.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fundtrace/writer.h"

/* Open descriptors of this process. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own */
}

/* Files in dir. */
static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_written_whole_and_atomically(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    tu_write(path, "old", 3);
    int fds = open_fds();
    ft_writer w;
    ft_error err;
    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    ft_writer_puts(&w, "hello ");
    char *p = ft_writer_reserve(&w, 6);
    memcpy(p, "world\n", 6);
    ft_writer_commit(&w, 6);
    /* until closed, the old file stands, and a temporary one beside it */
    size_t len;
    char *got = tu_read(path, &len);
    assert_int_equal(len, 3);
    free(got);
    assert_int_equal(files_in(dir), 2);
    errno = EBADF; /* whatever errno held before, a good close is good */
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    got = tu_read(path, &len);
    assert_int_equal(len, 12);
    assert_memory_equal(got, "hello world\n", 12);
    free(got);
    assert_int_equal(files_in(dir), 1);
    assert_int_equal(open_fds(), fds);
    /* the mode is 0666 less the umask, not mkstemp's 0600 */
    mode_t mask = umask(022);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    umask(mask);

    /* abort: the old file stays, the temporary one goes */
    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    ft_writer_puts(&w, "never");
    ft_writer_abort(&w);
    ft_writer_abort(&w); /* twice is fine */
    got = tu_read(path, &len);
    assert_int_equal(len, 12);
    free(got);
    assert_int_equal(files_in(dir), 1);
    assert_int_equal(open_fds(), fds);
    ft_writer z = {0};
    ft_writer_abort(&z); /* a zeroed writer too */
    tu_rmdir(dir);
}

/* Writes larger than the buffer (1 MiB), in pieces and in one, in order;
 * and the same through gzip. */
static void test_large_and_gzip(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    size_t n = 3u << 20;
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + (i * 7 + i / 4096) % 26);
    int fds = open_fds();
    for (int gz = 0; gz < 2; gz++) {
        char path[512];
        snprintf(path, sizeof path, "%s/big%d", dir, gz);
        ft_writer w;
        ft_error err;
        assert_int_equal(ft_writer_open(&w, path, gz, &err), FT_OK);
        ft_writer_put(&w, data, 1000);
        ft_writer_put(&w, data + 1000, (1u << 20) - 1000 + 1); /* one past the buffer */
        ft_writer_put(&w, data + (1u << 20) + 1, n - (1u << 20) - 1);
        assert_int_equal(ft_writer_close(&w, &err), FT_OK);
        size_t len;
        char *got = tu_read(path, &len);
        if (gz) {
            char *plain = malloc(n + 1);
            uLongf out = n + 1;
            z_stream zs = {0};
            assert_int_equal(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
            zs.next_in = (Bytef *)got;
            zs.avail_in = (uInt)len;
            zs.next_out = (Bytef *)plain;
            zs.avail_out = (uInt)out;
            assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
            assert_int_equal(zs.total_out, n);
            assert_memory_equal(plain, data, n);
            inflateEnd(&zs);
            free(plain);
            assert_true(len < n);
        } else {
            assert_int_equal(len, n);
            assert_memory_equal(got, data, n);
        }
        free(got);
    }
    assert_int_equal(open_fds(), fds);
    assert_int_equal(files_in(dir), 2);
    free(data);
    tu_rmdir(dir);
}

/* Failures: no directory to write in; a full disk (/dev/full through
 * standard output), said on close. */
static void test_failures(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/x.txt", dir);
    ft_writer w;
    ft_error err;
    int fds = open_fds();
    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "cannot create a temporary file for"));
    assert_non_null(strstr(err.msg, "x.txt"));
    assert_int_equal(open_fds(), fds);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), full = open("/dev/full", O_WRONLY);
    assert_true(saved >= 0 && full >= 0);
    dup2(full, STDOUT_FILENO);
    close(full);
    assert_int_equal(ft_writer_open(&w, "-", false, &err), FT_OK);
    ft_writer_puts(&w, "lost");
    ft_status rc = ft_writer_close(&w, &err);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(rc, FT_EIO);
    assert_string_equal(err.msg, "cannot write '-': No space left on device");
    assert_int_equal(open_fds(), fds);
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_whole_and_atomically),
        cmocka_unit_test(test_large_and_gzip),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
