/*
 * graph.c - building the igraph graph and living with igraph's errors.
 * The error handler is the library's only mutable global; igraph itself
 * keeps global state too, which is why all igraph calls stay on one thread.
 */
#include "fundtrace/graph.h"

#include <stdio.h>
#include <string.h>

static char igraph_reason[512];
static int handler_installed;

static void on_igraph_error(const char *reason, const char *file, int line,
                            igraph_error_t igraph_errno)
{
    snprintf(igraph_reason, sizeof igraph_reason, "%s (%s, igraph %s:%d)", reason,
             igraph_strerror(igraph_errno), file, line);
    IGRAPH_FINALLY_FREE();
}

static void on_igraph_warning(const char *reason, const char *file, int line)
{
    (void)reason;
    (void)file;
    (void)line;
}

void ft_graph_setup(void)
{
    if (handler_installed)
        return;
    igraph_set_error_handler(on_igraph_error);
    igraph_set_warning_handler(on_igraph_warning);
    handler_installed = 1;
}

ft_status ft_error_from_igraph(ft_error *err)
{
    return ft_error_set(err, FT_EIGRAPH, "igraph: %s",
                        igraph_reason[0] ? igraph_reason : "unknown error");
}

ft_status ft_graph_build(igraph_t *g, const ft_store *s, ft_error *err)
{
    ft_graph_setup();
    const ft_txns *t = &s->t;
    igraph_vector_int_t edges = IGRAPH_VECTOR_NULL;
    ft_status rc = FT_OK;
    if (igraph_vector_int_init(&edges, 2 * (igraph_integer_t)t->n) != IGRAPH_SUCCESS)
        return ft_error_from_igraph(err);
    igraph_integer_t *e = VECTOR(edges);
    for (int64_t i = 0; i < t->n; i++) {
        e[2 * i] = t->src[i];
        e[2 * i + 1] = t->dst[i];
    }
    if (igraph_create(g, &edges, (igraph_integer_t)s->accounts.n, IGRAPH_DIRECTED) !=
        IGRAPH_SUCCESS)
        rc = ft_error_from_igraph(err);
    igraph_vector_int_destroy(&edges);
    return rc;
}

ft_status ft_graph_weak_components(const igraph_t *g, int64_t *count, int64_t *largest,
                                   ft_error *err)
{
    ft_graph_setup();
    igraph_vector_int_t csize = IGRAPH_VECTOR_NULL;
    igraph_integer_t no = 0;
    ft_status rc = FT_OK;
    if (igraph_vector_int_init(&csize, 0) != IGRAPH_SUCCESS)
        return ft_error_from_igraph(err);
    if (igraph_connected_components(g, NULL, &csize, &no, IGRAPH_WEAK) != IGRAPH_SUCCESS) {
        rc = ft_error_from_igraph(err);
        goto done;
    }
    *count = no;
    *largest = no ? igraph_vector_int_max(&csize) : 0;
done:
    igraph_vector_int_destroy(&csize);
    return rc;
}
