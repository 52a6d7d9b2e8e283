/*
 * test_writer.c - the one atomic writer: the file appears whole or not at
 * all, with one mode; its stdio stream; large blocks; gzip; and the lock
 * of read-modify-write files; no descriptor left open, abort, writes one
 * past the buffer, a full disk and a missing directory.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "fundtrace/writer.h"

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Files in dir other than . and .. */
static int entries(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void test_whole_or_nothing(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), *path = join(dir, "out.txt");
    ft_writer w = {.fd = -1};
    ft_error err;
    tu_write(path, "old\n", 4);
    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    ft_writer_puts(&w, "new\n");
    /* Not there until closed: the old file is whole meanwhile. */
    char *got = tu_read(path, NULL);
    assert_string_equal(got, "old\n");
    free(got);
    assert_int_equal(entries(dir), 2);
    ft_writer_abort(&w);
    got = tu_read(path, NULL);
    assert_string_equal(got, "old\n");
    free(got);
    assert_int_equal(entries(dir), 1); /* no temporary file left */

    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    ft_writer_puts(&w, "new\n");
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    got = tu_read(path, NULL);
    assert_string_equal(got, "new\n");
    free(got);
    assert_int_equal(entries(dir), 1);
    free(path);
    tu_rmdir(dir);
}

static void test_one_mode(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), *path = join(dir, "m"), *secret = join(dir, "s");
    ft_writer w = {.fd = -1};
    ft_error err;
    mode_t old = umask(022);
    /* An existing file's mode is not kept: the same output, the same mode. */
    tu_write(path, "x", 1);
    chmod(path, 0600);
    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    ft_writer_puts(&w, "a");
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(ft_writer_open_flags(&w, secret, FT_WRITER_PRIVATE, &err), FT_OK);
    ft_writer_puts(&w, "key");
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    assert_int_equal(stat(secret, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* The umask still narrows it. */
    umask(077);
    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    umask(old);
    free(path);
    free(secret);
    tu_rmdir(dir);
}

static void test_stream_and_large_blocks(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), *path = join(dir, "big");
    ft_writer w = {.fd = -1};
    ft_error err;
    size_t big = (size_t)3 << 20;
    char *block = malloc(big);
    assert_non_null(block);
    for (size_t i = 0; i < big; i++)
        block[i] = (char)('a' + i % 26);
    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    ft_writer_puts(&w, "head\n");
    ft_writer_put(&w, NULL, 0); /* an empty array: nothing, and no memcpy from NULL */
    ft_writer_put(&w, block, big);
    ft_writer_puts(&w, "tail\n");
    assert_int_equal(w.written, big + 10);
    assert_true(w.cap < big); /* the block did not grow the buffer */
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    size_t len;
    char *got = tu_read(path, &len);
    assert_int_equal(len, big + 10);
    assert_memory_equal(got, "head\n", 5);
    assert_memory_equal(got + 5, block, big);
    assert_memory_equal(got + 5 + big, "tail\n", 5);
    free(got);

    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    FILE *f = ft_writer_stream(&w);
    assert_non_null(f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%d\n", i);
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    got = tu_read(path, &len);
    assert_memory_equal(got, "0\n1\n2\n", 6);
    assert_memory_equal(got + len - 6, "99999\n", 6);
    free(got);
    free(block);
    free(path);
    tu_rmdir(dir);
}

static void test_gzip(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), *path = join(dir, "z.gz");
    ft_writer w = {.fd = -1};
    ft_error err;
    assert_int_equal(ft_writer_open(&w, path, true, &err), FT_OK);
    fputs("compressed\n", ft_writer_stream(&w));
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    gzFile z = gzopen(path, "rb");
    char buf[64] = {0};
    assert_non_null(z);
    assert_int_equal(gzread(z, buf, sizeof buf - 1), 11);
    gzclose(z);
    assert_string_equal(buf, "compressed\n");
    free(path);
    tu_rmdir(dir);
}

static void test_write_error_is_reported(void **state)
{
    (void)state;
    ft_writer w = {.fd = -1};
    ft_error err;
    /* A missing directory: no temporary file can be made. */
    assert_int_equal(ft_writer_open(&w, "/nonexistent-dir/x", false, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x"));
    ft_writer_abort(&w);
}

/* --- the lock ---------------------------------------------------------------------------- */

typedef struct appender {
    const char *line;
    int delay_ms;
} appender;

/* Copies the current content and adds one line, slowly. */
static ft_status append_line(void *ctx, FILE *cur, ft_writer *w, ft_error *err)
{
    (void)err;
    const appender *a = ctx;
    char buf[256];
    while (fgets(buf, sizeof buf, cur))
        ft_writer_puts(w, buf);
    usleep((useconds_t)a->delay_ms * 1000);
    ft_writer_puts(w, a->line);
    return FT_OK;
}

static ft_status refuse(void *ctx, FILE *cur, ft_writer *w, ft_error *err)
{
    (void)ctx;
    (void)cur;
    ft_writer_puts(w, "never\n");
    return ft_error_set(err, FT_EINPUT, "refused");
}

static void test_update_keeps_every_writer(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), *path = join(dir, "state");
    ft_error err;
    /* Many processes at once, each adding its line with a pause inside the
     * read-modify-write: without the lock most lines are lost. */
    enum { N = 8 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char line[32];
            snprintf(line, sizeof line, "line %d\n", i);
            appender a = {line, 20};
            _exit(ft_file_update(path, 0, append_line, &a, &err) == FT_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < N; i++) {
        int st;
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    char *got = tu_read(path, NULL);
    for (int i = 0; i < N; i++) {
        char line[32];
        snprintf(line, sizeof line, "line %d\n", i);
        assert_non_null(strstr(got, line));
    }
    free(got);
    assert_int_equal(entries(dir), 1);

    /* A refusing update changes nothing and leaves no temporary file. */
    assert_int_equal(ft_file_update(path, 0, refuse, NULL, &err), FT_EINPUT);
    got = tu_read(path, NULL);
    assert_null(strstr(got, "never"));
    free(got);
    assert_int_equal(entries(dir), 1);
    free(path);
    tu_rmdir(dir);
}

static void test_lock_follows_the_renamed_file(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), *path = join(dir, "f");
    ft_error err;
    ft_file_lock l = {.fd = -1};
    assert_int_equal(ft_file_lock_acquire(&l, path, &err), FT_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Waits on the old file, which the parent replaces. (The lock
         * inherited with the descriptor is the parent's: drop it.) */
        close(l.fd);
        appender a = {"child\n", 0};
        _exit(ft_file_update(path, 0, append_line, &a, &err) == FT_OK ? 0 : 1);
    }
    usleep(100000);
    ft_writer w = {.fd = -1};
    assert_int_equal(ft_writer_open(&w, path, false, &err), FT_OK);
    ft_writer_puts(&w, "parent\n");
    assert_int_equal(ft_writer_close(&w, &err), FT_OK);
    ft_file_lock_release(&l);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *got = tu_read(path, NULL);
    assert_string_equal(got, "parent\nchild\n");
    free(got);
    free(path);
    tu_rmdir(dir);
}

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
    ft_writer w = {.fd = -1};
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
        ft_writer w = {.fd = -1};
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
    ft_writer w = {.fd = -1};
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
        cmocka_unit_test(test_whole_or_nothing),
        cmocka_unit_test(test_one_mode),
        cmocka_unit_test(test_stream_and_large_blocks),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_write_error_is_reported),
        cmocka_unit_test(test_update_keeps_every_writer),
        cmocka_unit_test(test_lock_follows_the_renamed_file),
        cmocka_unit_test(test_written_whole_and_atomically),
        cmocka_unit_test(test_large_and_gzip),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
