/*
 * test_writer.c - the one atomic writer: the file appears whole or not at
 * all, with one mode; its stdio stream; large blocks; gzip; and the lock
 * of read-modify-write files.
 */
#include "testutil.h"

#include <fcntl.h>
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
