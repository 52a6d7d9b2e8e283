/*
 * export_svg.c - drawing a subgraph as SVG with Graphviz (contracts in
 * export.h).
 *
 * Graphviz's dot needs minutes and gigabytes for a few thousand nodes, so
 * a drawing has its own, much smaller bounds than an export: the part
 * nearest the seeds is drawn and the rest is counted. The layout program
 * runs as a child with the DOT text on its standard input and the SVG on
 * its standard output, under a time limit; the SVG goes through the one
 * atomic writer, so a drawing that fails or is cut off leaves no file.
 */
#define _GNU_SOURCE /* pipe2 */
#include "fundtrace/export.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fundtrace/writer.h"

ft_status ft_export_shrink(const ft_store *s, const ft_subgraph *g, uint32_t max_nodes,
                           uint32_t max_edges, ft_subgraph *d, ft_error *err)
{
    memset(d, 0, sizeof *d);
    uint32_t nn = g->nn, ne = g->ne;
    /* Each node's transfers in g, either direction (CSR). */
    uint32_t *off = calloc((size_t)nn + 2, sizeof *off);
    uint32_t *adj = malloc((2 * (size_t)ne + 1) * sizeof *adj);
    uint32_t *order = malloc(((size_t)nn + 1) * sizeof *order);
    uint8_t *in = calloc((size_t)nn + 1, 1);
    ft_status rc = FT_OK;
    if (!off || !adj || !order || !in) {
        rc = ft_error_oom(err);
        goto done;
    }
    for (uint32_t e = 0; e < ne; e++) {
        uint32_t t = g->edges[e];
        off[ft_subgraph_node(g, s->t.src[t]) + 2]++;
        off[ft_subgraph_node(g, s->t.dst[t]) + 2]++;
    }
    for (uint32_t i = 0; i < nn; i++)
        off[i + 2] += off[i + 1];
    for (uint32_t e = 0; e < ne; e++) {
        uint32_t t = g->edges[e];
        adj[off[ft_subgraph_node(g, s->t.src[t]) + 1]++] = e;
        adj[off[ft_subgraph_node(g, s->t.dst[t]) + 1]++] = e;
    }
    /* Breadth first from the seeds (from each unreached node in turn
     * when there are none, or they do not reach everything): the nodes
     * nearest the seeds come first. */
    uint32_t n = 0, head = 0, limit = max_nodes && max_nodes < nn ? max_nodes : nn;
    for (uint32_t i = 0; i < nn && n < limit; i++)
        if (g->seed[i] && !in[i]) {
            in[i] = 1;
            order[n++] = i;
        }
    for (uint32_t next = 0; n < limit;) {
        if (head == n) {
            while (next < nn && in[next])
                next++;
            if (next == nn)
                break;
            in[next] = 1;
            order[n++] = next;
        }
        uint32_t v = order[head++];
        for (uint32_t k = off[v]; k < off[v + 1] && n < limit; k++) {
            uint32_t t = g->edges[adj[k]];
            uint32_t a = ft_subgraph_node(g, s->t.src[t]), b = ft_subgraph_node(g, s->t.dst[t]);
            uint32_t w = a == v ? b : a;
            if (!in[w]) {
                in[w] = 1;
                order[n++] = w;
            }
        }
    }
    d->nodes = malloc(((size_t)n + 1) * sizeof *d->nodes);
    d->seed = malloc((size_t)n + 1);
    d->edges = malloc(((size_t)ne + 1) * sizeof *d->edges);
    if (!d->nodes || !d->seed || !d->edges) {
        rc = ft_error_oom(err);
        goto done;
    }
    d->cap_nodes = n + 1;
    d->cap_edges = ne + 1;
    for (uint32_t i = 0, k = 0; i < nn; i++) /* ascending, as g's */
        if (in[i]) {
            d->nodes[k] = g->nodes[i];
            d->seed[k++] = g->seed[i];
        }
    d->nn = n;
    for (uint32_t e = 0; e < ne; e++) { /* in time order: the earliest are kept */
        uint32_t t = g->edges[e];
        if (!in[ft_subgraph_node(g, s->t.src[t])] || !in[ft_subgraph_node(g, s->t.dst[t])])
            continue;
        if (max_edges && d->ne >= max_edges)
            d->cut_edges++;
        else
            d->edges[d->ne++] = t;
    }
    d->cut_nodes = nn - n;
    d->cut_edges = ne - d->ne;
    memcpy(d->what, g->what, sizeof d->what);
done:
    free(off);
    free(adj);
    free(order);
    free(in);
    if (rc != FT_OK)
        ft_subgraph_free(d);
    return rc;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Feeds `dot` to the child's stdin (*in, closed and set to -1 when all is
 * sent) and copies its stdout (out) to w, until it closes stdout or the
 * deadline passes. */
typedef struct draw_progress {
    ft_advance_fn fn;
    void *ctx;
} draw_progress;

static ft_status exchange(int *in, int out, const char *dot, size_t len, ft_writer *w,
                          int64_t deadline, const char *engine, int timeout_s,
                          const draw_progress *prog, ft_error *err)
{
    size_t sent = 0;
    char buf[65536];
    for (;;) {
        struct pollfd p[2] = {{out, POLLIN, 0}, {*in, POLLOUT, 0}};
        int np = *in >= 0 ? 2 : 1;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return ft_error_set(err, FT_ELIMIT, "%s did not finish the drawing within %d s", engine,
                                timeout_s);
        if (prog->fn)
            prog->fn(prog->ctx, (uint64_t)(timeout_s - (left + 999) / 1000), (uint64_t)timeout_s);
        int r = poll(p, (nfds_t)np, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ft_error_errno(err, FT_EIO, "wait for", engine);
        if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t k = (p[1].revents & POLLOUT) ? write(*in, dot + sent, len - sent) : -1;
            if (k > 0)
                sent += (size_t)k;
            if (k < 0 && errno == EAGAIN)
                continue;
            if (k < 0 || sent == len) {
                close(*in); /* done, or the child stopped reading */
                *in = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t k = read(out, buf, sizeof buf);
            if (k < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (k <= 0)
                break; /* end of the drawing */
            ft_writer_put(w, buf, (size_t)k);
        }
    }
    return FT_OK;
}

ft_status ft_export_draw(const ft_store *s, const ft_subgraph *g, const char *engine, int timeout_s,
                         const char *svg_path, ft_advance_fn progress, void *progress_ctx,
                         ft_error *err)
{
    draw_progress prog = {progress, progress_ctx};
    char *dot = NULL;
    size_t len = 0;
    ft_writer w = {.fd = -1};
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    pid_t pid = -1;
    ft_status rc = FT_OK;
    FILE *mem = open_memstream(&dot, &len);
    if (!mem)
        return ft_error_oom(err);
    rc = ft_export_write(mem, s, g, FT_EXPORT_DOT, NULL, err);
    if (fclose(mem) != 0 && rc == FT_OK)
        rc = ft_error_oom(err);
    if (rc != FT_OK)
        goto done;
    if ((rc = ft_writer_open(&w, svg_path, false, err)) != FT_OK)
        goto done;
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
        rc = ft_error_errno(err, FT_EIO, "start", engine);
        goto done;
    }
    /* A child that dies early must not kill us with SIGPIPE. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    pid = fork();
    if (pid == 0) {
        dup2(to_child[0], STDIN_FILENO);
        dup2(from_child[1], STDOUT_FILENO);
        execlp(engine, engine, "-Tsvg", (char *)NULL);
        _exit(127);
    }
    if (pid < 0) {
        rc = ft_error_errno(err, FT_EIO, "start", engine);
        sigaction(SIGPIPE, &old, NULL);
        goto done;
    }
    close(to_child[0]);
    close(from_child[1]);
    to_child[0] = from_child[1] = -1;
    fcntl(to_child[1], F_SETFL, O_NONBLOCK);
    rc = exchange(&to_child[1], from_child[0], dot, len, &w, now_ms() + (int64_t)timeout_s * 1000,
                  engine, timeout_s, &prog, err);
    if (rc != FT_OK)
        kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGPIPE, &old, NULL);
    if (rc == FT_OK && WIFEXITED(st) && WEXITSTATUS(st) == 127)
        rc = ft_error_set(err, FT_EUSAGE, "cannot run '%s' (is Graphviz installed?)", engine);
    else if (rc == FT_OK && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        rc = ft_error_set(err, FT_EIO, "%s failed (%s %d) drawing %s", engine,
                          WIFEXITED(st) ? "status" : "signal",
                          WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), svg_path);
    if (rc == FT_OK)
        rc = ft_writer_close(&w, err);
done:
    for (int i = 0; i < 2; i++) {
        if (to_child[i] >= 0)
            close(to_child[i]);
        if (from_child[i] >= 0)
            close(from_child[i]);
    }
    ft_writer_abort(&w);
    free(dot);
    return rc;
}
