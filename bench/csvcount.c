/*
 * csvcount.c - the load benchmark's baseline: a bare libcsv parse that only
 * counts rows and fields, reading the file as fundtrace does (1 MiB reads,
 * libcsv in strict mode). Whatever fundtrace does beyond this is the cost
 * of turning fields into exact, indexed transactions.
 *
 *   csvcount FILE
 */
#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static long long fields, rows;

static void on_field(void *s, size_t len, void *data)
{
    (void)s;
    (void)len;
    (void)data;
    fields++;
}

static void on_row(int c, void *data)
{
    (void)c;
    (void)data;
    rows++;
}

int main(int argc, char **argv)
{
    static char buf[1 << 20];
    struct csv_parser p;
    if (argc != 2) {
        fprintf(stderr, "usage: csvcount FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0 || csv_init(&p, CSV_STRICT) != 0) {
        perror(argv[1]);
        return 2;
    }
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        if (csv_parse(&p, buf, (size_t)n, on_field, on_row, NULL) != (size_t)n) {
            fprintf(stderr, "%s: %s\n", argv[1], csv_strerror(csv_error(&p)));
            return 1;
        }
    }
    csv_fini(&p, on_field, on_row, NULL);
    csv_free(&p);
    close(fd);
    printf("%lld rows, %lld fields\n", rows, fields);
    return 0;
}
