/*
 * tune.c - detector parameters tuned on labelled data by coordinate search
 * (tune.h): each value of each range is one whole scan, scored by eval
 * against the truth; the best value of a parameter is kept before the next
 * one is searched.
 */
#include "fundtrace/tune.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/alerts_read.h"
#include "fundtrace/writer.h"

/* The ranges, documented in fundtrace-tune(1); each holds the default. */
const ft_tune_range ft_tune_ranges[] = {
#define R(n, k, ...)                                                                               \
    {                                                                                              \
        n, k, sizeof((double[]){__VA_ARGS__}) / sizeof(double),                                    \
        {                                                                                          \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }
    R("fan_out.min_receivers", FT_PAT_FAN_OUT, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20),
    R("fan_out.window_hours", FT_PAT_FAN_OUT, 1, 6, 24, 72, 168, 336, 720),
    R("fan_out.slow_window_days", FT_PAT_FAN_OUT, 30, 90, 180, 365, 1000),
    R("fan_out.min_amount", FT_PAT_FAN_OUT, 0, 100, 500, 1000, 5000),
    R("fan_in.min_sources", FT_PAT_FAN_IN, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20),
    R("fan_in.window_hours", FT_PAT_FAN_IN, 1, 6, 24, 72, 168, 336, 720),
    R("fan_in.slow_window_days", FT_PAT_FAN_IN, 30, 90, 180, 365, 1000),
    R("fan_in.slow_max_payers", FT_PAT_FAN_IN, 10, 30, 100, 300, 1000),
    R("fan_in.min_amount", FT_PAT_FAN_IN, 0, 100, 500, 1000, 5000),
    R("scatter_gather.min_width", FT_PAT_SCATTER_GATHER, 2, 3, 4, 5, 6, 8),
    R("scatter_gather.delay_hours", FT_PAT_SCATTER_GATHER, 6, 24, 72, 168, 336, 720),
    R("scatter_gather.keep_low", FT_PAT_SCATTER_GATHER, 0.3, 0.5, 0.7, 0.8, 0.9),
    R("scatter_gather.keep_high", FT_PAT_SCATTER_GATHER, 1, 1.1, 1.3, 2),
    R("scatter_gather.window_hours", FT_PAT_SCATTER_GATHER, 24, 72, 168, 336, 720),
    R("scatter_gather.min_amount", FT_PAT_SCATTER_GATHER, 0, 500, 1000, 5000),
    R("gather_scatter.min_in", FT_PAT_GATHER_SCATTER, 2, 3, 4, 5, 6, 8),
    R("gather_scatter.min_out", FT_PAT_GATHER_SCATTER, 2, 3, 4, 5, 6, 8),
    R("gather_scatter.window_hours", FT_PAT_GATHER_SCATTER, 24, 72, 168, 336, 720),
    R("gather_scatter.keep_low", FT_PAT_GATHER_SCATTER, 0.3, 0.5, 0.7, 0.8, 0.9),
    R("gather_scatter.keep_high", FT_PAT_GATHER_SCATTER, 1, 1.1, 1.3, 2),
    R("gather_scatter.min_amount", FT_PAT_GATHER_SCATTER, 0, 500, 1000, 5000),
    R("cycle.max_hops", FT_PAT_CYCLE, 3, 4, 5, 6, 8, 10, 12),
    R("cycle.window_hours", FT_PAT_CYCLE, 24, 72, 168, 336, 720, 2160),
    R("cycle.keep_low", FT_PAT_CYCLE, 0.5, 0.7, 0.8, 0.9),
    R("cycle.keep_high", FT_PAT_CYCLE, 1, 1.1, 1.5),
    R("cycle.return_ratio", FT_PAT_CYCLE, 1, 2, 3, 5, 10),
    R("stack.min_length", FT_PAT_STACK, 2, 3, 4, 5, 6),
    R("stack.gap_hours", FT_PAT_STACK, 6, 24, 48, 96, 168),
    R("stack.keep_low", FT_PAT_STACK, 0.5, 0.6, 0.7, 0.8, 0.9),
    R("stack.min_amount", FT_PAT_STACK, 0, 500, 1000, 5000),
    R("bipartite.min_senders", FT_PAT_BIPARTITE, 2, 3, 4, 5),
    R("bipartite.min_receivers", FT_PAT_BIPARTITE, 2, 3, 4, 5),
    R("bipartite.window_hours", FT_PAT_BIPARTITE, 72, 168, 336, 720, 2160),
    R("bipartite.min_amount", FT_PAT_BIPARTITE, 0, 100, 500, 1000, 5000),
    R("pass_through.min_rounds", FT_PAT_PASS_THROUGH, 2, 3, 4, 5, 6),
    R("pass_through.delay_hours", FT_PAT_PASS_THROUGH, 6, 24, 48, 72, 168),
    R("pass_through.keep_low", FT_PAT_PASS_THROUGH, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95),
    R("pass_through.window_days", FT_PAT_PASS_THROUGH, 14, 30, 60, 90, 180),
    R("pass_through.min_amount", FT_PAT_PASS_THROUGH, 0, 500, 1000, 5000),
    R("rapid_movement.max_minutes", FT_PAT_RAPID, 15, 30, 60, 120, 240, 720),
    R("structuring.threshold", FT_PAT_STRUCTURING, 1000, 2000, 3000, 5000, 10000, 15000, 20000,
      50000),
    R("structuring.low", FT_PAT_STRUCTURING, 0.5, 0.6, 0.7, 0.8, 0.9),
    R("structuring.min_count", FT_PAT_STRUCTURING, 2, 3, 4, 5, 6),
    R("structuring.window_days", FT_PAT_STRUCTURING, 3, 7, 14, 30),
    R("tf_collection.min_sources", FT_PAT_TF_COLLECTION, 4, 6, 8, 10, 15),
    R("tf_collection.window_days", FT_PAT_TF_COLLECTION, 14, 30, 60, 90),
    R("tf_collection.max_donation", FT_PAT_TF_COLLECTION, 100, 250, 500, 1000),
    R("tf_collection.max_outflows", FT_PAT_TF_COLLECTION, 1, 2, 3, 5, 10),
    R("tf_collection.delay_days", FT_PAT_TF_COLLECTION, 3, 7, 14, 30),
    R("tf_collection.min_share", FT_PAT_TF_COLLECTION, 0.4, 0.5, 0.6, 0.8),
    R("tf_collection.abroad", FT_PAT_TF_COLLECTION, 0, 1),
    R("tf_collection.min_burst", FT_PAT_TF_COLLECTION, 0, 1, 2, 3, 5),
    R("scan.min_score", -1, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99),
#undef R
    {NULL, 0, 0, {0}},
};

void ft_tune_defaults(ft_tune_opts *o)
{
    memset(o, 0, sizeof *o);
    o->passes = 2;
    o->threads = 1;
    for (int k = 0; k < FT_PAT_COUNT; k++)
        o->kinds[k] = true;
    o->min_score = true;
}

void ft_tune_result_free(ft_tune_result *res)
{
    ft_eval_result_free(&res->start);
    ft_eval_result_free(&res->end);
    memset(res, 0, sizeof *res);
}

/* --- one scan, scored --------------------------------------------------------------------- */

typedef struct search {
    const ft_store *s;
    ft_eval *ev;
    const ft_tune_opts *o;
    ft_eval_options eo;
    int scans, most;
} search;

/* The scan of p, scored into *res (and its alerts per 100,000 transfers). */
static ft_status score(search *x, const ft_scan_params *p, ft_eval_result *res, double *per_100k,
                       ft_error *err)
{
    ft_alerts al = {0};
    ft_status rc = ft_scan_run(x->s, p, x->o->threads, &al, err);
    if (rc != FT_OK)
        return rc;
    ft_eval_clear_alerts(x->ev);
    rc = ft_eval_add_scan(x->ev, x->s, &al, NULL, err);
    uint32_t nalerts = al.n;
    ft_alerts_free(&al);
    if (rc == FT_OK)
        rc = ft_eval_score(x->ev, &x->eo, res, err);
    *per_100k = x->s->t.n ? 1e5 * (double)nalerts / (double)x->s->t.n : 0;
    x->scans++;
    if (x->o->progress)
        x->o->progress(x->o->progress_ctx, (uint64_t)x->scans, (uint64_t)x->most);
    return rc;
}

static const ft_eval_row *row_of(const ft_eval_result *r, const char *name)
{
    for (int i = 0; i < r->nrows; i++)
        if (strcmp(r->rows[i].name, name) == 0)
            return &r->rows[i];
    return NULL;
}

static double pos(double v)
{
    return v < 0 ? 0 : v;
}

void ft_tune_objective(const ft_eval_result *r, double per_100k, int kind, double budget,
                       double out[2], int64_t *n)
{
    const ft_eval_row *all = &r->rows[r->nrows - 1];
    out[1] = pos(all->f1);
    *n = all->instances;
    if (budget > 0) {
        out[0] = per_100k <= budget ? 1 + pos(all->recall) : -per_100k / 1e9;
        return;
    }
    const ft_eval_row *mine = kind >= 0 ? row_of(r, ft_pattern_name((ft_pattern)kind)) : NULL;
    if (mine && mine->instances > 0) {
        out[0] = pos(mine->f1);
        *n = mine->instances;
    } else {
        out[0] = pos(all->f1);
    }
}

static void objective(const search *x, const ft_eval_result *r, double per_100k, int kind,
                      double out[2], int64_t *n)
{
    ft_tune_objective(r, per_100k, kind, x->o->max_alerts_per_100k, out, n);
}

static bool better(const double a[2], const double b[2])
{
    if (a[0] > b[0] + 1e-12)
        return true;
    return fabs(a[0] - b[0]) <= 1e-12 && a[1] > b[1] + 1e-12;
}

/* The standard error of a share `v` (F1 or recall) measured on n
 * instances: sqrt(v (1 - v) / n); 0 without instances. */
double ft_tune_noise(double v, int64_t n)
{
    if (n <= 0 || v <= 0 || v >= 1)
        return 0;
    return sqrt(v * (1 - v) / (double)n);
}

/* How far value i of r is from `was`, in steps of the range (a value
 * between two of the range is half a step from each). */
static double steps(const ft_tune_range *r, int i, double was)
{
    double at = 0;
    bool in = false;
    for (int v = 0; v < r->nvalues; v++) {
        at += r->values[v] < was;
        in = in || r->values[v] == was;
    }
    return fabs((double)i - (in ? at : at - 0.5));
}

int ft_tune_choose(const ft_tune_range *r, double was, const double here[2],
                   const double obj[][2], int64_t n, bool budget)
{
    double best[2] = {here[0], here[1]};
    for (int v = 0; v < r->nvalues; v++)
        if (r->values[v] != was && better(obj[v], best))
            memcpy(best, obj[v], sizeof best);
    double share = budget ? best[0] - 1 : best[0]; /* F1, or recall + 1 */
    double within = best[0] - ft_tune_noise(share, n) - 1e-12;
    if (budget && best[0] < 1)
        within = best[0] - 1e-12; /* nothing within the budget: the fewest alerts */
    else if (budget && within < 1)
        within = 1; /* within the budget, always */
    int pick = -1;
    double near = here[0] >= within ? 0 : INFINITY;
    for (int v = 0; v < r->nvalues; v++) {
        if (r->values[v] == was || obj[v][0] < within)
            continue;
        double d = steps(r, v, was);
        if (d < near - 1e-12 || (fabs(d - near) <= 1e-12 && pick >= 0 && better(obj[v], obj[pick]))) {
            near = d;
            pick = v;
        }
    }
    return pick;
}

/* --- the search --------------------------------------------------------------------------- */

ft_status ft_tune_run(const ft_store *s, ft_eval *truth, const ft_scan_params *start,
                      const ft_tune_opts *o, ft_tune_result *res, ft_error *err)
{
    memset(res, 0, sizeof *res);
    search x = {.s = s, .ev = truth, .o = o};
    ft_eval_defaults(&x.eo);
    ft_scan_params cur = *start;
    cur.progress = NULL;
    int values = 0;
    for (const ft_tune_range *r = ft_tune_ranges; r->name; r++)
        if (r->kind >= 0 ? o->kinds[r->kind] && start->enabled[r->kind] : o->min_score)
            values += r->nvalues;
    x.most = 2 + (o->passes > 0 ? o->passes : 0) * values; /* no pass: the two scans alone */
    ft_eval_result now = {0}, trial[FT_TUNE_MAX_VALUES];
    memset(trial, 0, sizeof trial);
    double now_100k = 0, trial_100k[FT_TUNE_MAX_VALUES] = {0};
    ft_status rc = score(&x, &cur, &now, &now_100k, err);
    if (rc == FT_OK)
        rc = score(&x, &cur, &res->start, &res->start_per_100k, err);
    for (int pass = 0; rc == FT_OK && pass < o->passes; pass++) {
        bool changed = false;
        for (const ft_tune_range *r = ft_tune_ranges; r->name && rc == FT_OK; r++) {
            if (!(r->kind >= 0 ? o->kinds[r->kind] && start->enabled[r->kind] : o->min_score))
                continue;
            /* Every value scored (the one it has is `now`)... */
            double was = 0, obj[FT_TUNE_MAX_VALUES][2] = {{0}}, here[2];
            int64_t n = 0;
            ft_scan_param_get(&cur, r->name, &was);
            objective(&x, &now, now_100k, r->kind, here, &n);
            for (int v = 0; v < r->nvalues && rc == FT_OK; v++) {
                if (r->values[v] == was)
                    continue;
                ft_scan_params p = cur;
                char val[32];
                snprintf(val, sizeof val, "%.17g", r->values[v]);
                if ((rc = ft_scan_param_set(&p, r->name, val, err)) != FT_OK ||
                    (rc = score(&x, &p, &trial[v], &trial_100k[v], err)) != FT_OK)
                    break;
                objective(&x, &trial[v], trial_100k[v], r->kind, obj[v], &n);
            }
            /* ... then the one ft_tune_choose picks. */
            int pick =
                rc == FT_OK ? ft_tune_choose(r, was, here, obj, n, x.o->max_alerts_per_100k > 0) : -1;
            if (pick >= 0) {
                char val[32];
                snprintf(val, sizeof val, "%.17g", r->values[pick]);
                ft_scan_param_set(&cur, r->name, val, NULL);
                ft_eval_result_free(&now);
                now = trial[pick];
                now_100k = trial_100k[pick];
                memset(&trial[pick], 0, sizeof trial[pick]);
                changed = true;
                if (res->nchanges < FT_TUNE_MAX_CHANGES)
                    res->changes[res->nchanges++] =
                        (ft_tune_change){r->name, was, r->values[pick]};
            }
            for (int v = 0; v < r->nvalues; v++)
                ft_eval_result_free(&trial[v]);
        }
        if (!changed)
            break;
    }
    for (int v = 0; v < FT_TUNE_MAX_VALUES; v++)
        ft_eval_result_free(&trial[v]);
    if (rc == FT_OK) {
        res->params = cur;
        res->end = now;
        res->end_per_100k = now_100k;
        res->scans = x.scans;
        memset(&now, 0, sizeof now);
    }
    ft_eval_result_free(&now);
    if (rc != FT_OK)
        ft_tune_result_free(res);
    return rc;
}

/* --- the rules file ----------------------------------------------------------------------- */

static void line(ft_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(ft_writer *w, const char *fmt, ...)
{
    char buf[200]; /* libinih reads lines of at most 199 bytes */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    ft_writer_put(w, buf, (size_t)n);
}

static void figure(char *buf, size_t cap, double v)
{
    if (v < 0)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.3f", v);
}

ft_status ft_tune_write(const ft_tune_result *res, const ft_tune_opts *o, const char *data,
                        const char *truth, const char *path, ft_error *err)
{
    ft_writer w;
    ft_status rc = ft_writer_open(&w, path, false, err);
    if (rc != FT_OK)
        return rc;
    line(&w, "; fundtrace tune %s: detector parameters searched on labelled data", FT_VERSION);
    line(&w, "; data: %.150s", data);
    line(&w, "; truth: %.150s", truth);
    if (o->max_alerts_per_100k > 0)
        line(&w, "; objective: the best recall within %g alerts per 100,000 transfers",
             o->max_alerts_per_100k);
    else
        line(&w, "; objective: the best F1 of each detector's own pattern");
    line(&w, "; coordinate search over the ranges of fundtrace-tune(1), %d scans", res->scans);
    line(&w, "; alerts per 100,000 transfers: %.2f at the start, %.2f now", res->start_per_100k,
         res->end_per_100k);
    line(&w, "; instance level, at the start -> now:");
    line(&w, ";   %-16s %9s %15s %15s %15s", "pattern", "instances", "precision", "recall", "F1");
    for (int i = 0; i < res->end.nrows; i++) {
        const ft_eval_row *e = &res->end.rows[i];
        const ft_eval_row *b = NULL;
        for (int j = 0; j < res->start.nrows; j++)
            if (strcmp(res->start.rows[j].name, e->name) == 0)
                b = &res->start.rows[j];
        char f[6][16];
        figure(f[0], 16, b ? b->precision : -1);
        figure(f[1], 16, e->precision);
        figure(f[2], 16, b ? b->recall : -1);
        figure(f[3], 16, e->recall);
        figure(f[4], 16, b ? b->f1 : -1);
        figure(f[5], 16, e->f1);
        line(&w, ";   %-16s %9" PRId64 " %6s -> %5s %6s -> %5s %6s -> %5s", e->name, e->instances,
             f[0], f[1], f[2], f[3], f[4], f[5]);
    }
    ft_writer_put(&w, "\n", 1);
    line(&w, "[params]");
    for (const ft_tune_range *r = ft_tune_ranges; r->name; r++) {
        if (!(r->kind >= 0 ? o->kinds[r->kind] && res->params.enabled[r->kind] : o->min_score))
            continue;
        double v = 0;
        ft_scan_param_get(&res->params, r->name, &v);
        const ft_tune_change *c = NULL;
        for (int i = 0; i < res->nchanges; i++)
            if (strcmp(res->changes[i].name, r->name) == 0)
                c = c ? c : &res->changes[i];
        if (c && v != c->from)
            line(&w, "%s = %.10g ; was %.10g", r->name, v, c->from);
        else
            line(&w, "%s = %.10g", r->name, v);
    }
    return ft_writer_close(&w, err);
}
