/*
 * chart.h - small SVG charts that fundtrace draws itself, for its HTML
 * reports: grouped bars, and labelled points. No plotting library: an
 * <svg> element (XML, with its namespace) written to a stream, with axes,
 * "nice" ticks (1, 2 or 5 times a power of ten, at most about six), a
 * legend, text escaped, and every value exact in a <title> tooltip.
 *
 * Values that are negative, NaN or infinite are drawn as 0 (the tooltip
 * says what they were); an axis over nothing but zeros runs from 0 to 1.
 * Coordinates are written with two decimals, never NaN.
 *
 * Geometry, fixed so that a reader (and a test) knows where a value is:
 * the plot area is FT_CHART_PLOT_H pixels high with its top at
 * FT_CHART_TOP; a value v on an axis from 0 to max is at
 * y = FT_CHART_TOP + FT_CHART_PLOT_H * (1 - v / max). The plot's left edge
 * is ft_chart_left(): room for the widest tick label and the axis title
 * (bars: ft_chart_bars_left(), more when turned labels need it).
 *
 * Bars: group g (of ngroups) is FT_CHART_GROUP_PAD + nseries *
 * FT_CHART_BAR_W pixels wide, from x = left + g * that; series s's bar
 * starts FT_CHART_GROUP_PAD / 2 + s * FT_CHART_BAR_W into it and is
 * FT_CHART_BAR_W - 2 wide. Group labels are written level under their
 * group, or turned 40 degrees when the longest would not fit its width
 * (they are then cut at FT_CHART_LABEL_MAX characters with an ellipsis,
 * the whole name in their tooltip).
 *
 * Points: x and y axes from 0 (x from 0 to 1 as percentages when x_share),
 * the plot FT_CHART_PLOT_W wide; each point a circle with its label beside
 * it, moved down a line while it would overlap a label placed before; a
 * dashed line joins the points in order of x. The first
 * FT_CHART_POINTS_MAX points are drawn.
 *
 * Nothing here allocates.
 */
#ifndef FUNDTRACE_CHART_H
#define FUNDTRACE_CHART_H

#include <stdbool.h>
#include <stdio.h>

#define FT_CHART_TOP        40  /* the plot's top (a legend above it) */
#define FT_CHART_PLOT_H     240 /* the plot's height */
#define FT_CHART_PLOT_W     480 /* points: the plot's width */
#define FT_CHART_BAR_W      20  /* bars: a bar and its gap */
#define FT_CHART_GROUP_PAD  24  /* bars: space between groups */
#define FT_CHART_LABEL_MAX  24  /* turned labels are cut after this */
#define FT_CHART_POINTS_MAX 64  /* points drawn */

/* A nice axis from 0 to max in steps of step (ticks 0, step, ... max). */
typedef struct ft_chart_axis {
    double max, step;
    int ticks;    /* intervals: max / step */
    int decimals; /* for the tick labels */
} ft_chart_axis;

/* The axis over 0 .. top (top <= 0 or not finite: 0 .. 1); integer: steps
 * of at least 1 (counts). */
void ft_chart_axis_make(double top, bool integer, ft_chart_axis *a);

/* The y of value v on axis a, as the charts place it. */
double ft_chart_y(const ft_chart_axis *a, double v);

typedef struct ft_chart_bars {
    const char *title;   /* the chart's accessible name */
    const char *y_label; /* the value axis's title */
    bool integer;        /* counts: ticks at whole numbers */
    int ngroups, nseries;
    const char *const *groups;  /* [ngroups] */
    const char *const *series;  /* [nseries]: the legend */
    const char *const *colours; /* [nseries]: "#rrggbb" */
    const double *values;       /* [ngroups * nseries], group by group */
    const char *const *tips;    /* [ngroups * nseries] tooltips, or NULL:
                                   "group, series: value" */
} ft_chart_bars;

/* The plot's left edge with value axis a. */
int ft_chart_left(const ft_chart_axis *a);

/* The bars' axis (over their largest value) and their plot's left edge. */
void ft_chart_bars_axis(const ft_chart_bars *c, ft_chart_axis *a);
int ft_chart_bars_left(const ft_chart_bars *c);

/* Writes the chart: an <svg> element. Nothing but a note in a <text>
 * when there are no groups or no series. */
void ft_chart_bars_svg(FILE *f, const ft_chart_bars *c);

typedef struct ft_chart_point {
    const char *label;
    double x, y;
    const char *colour; /* "#rrggbb" */
    const char *tip;    /* the tooltip, or NULL: "label: x, y" */
} ft_chart_point;

typedef struct ft_chart_points {
    const char *title;
    const char *x_label, *y_label;
    bool x_share; /* x runs from 0 to 1, its ticks as percentages */
    bool y_integer;
    const ft_chart_point *p;
    int n;
} ft_chart_points;

/* The x of value v (x_share: 0 .. 1; else on axis xa) in a points chart
 * whose plot starts at left. */
double ft_chart_x(const ft_chart_axis *xa, int left, double v);

/* Writes the chart: an <svg> element. */
void ft_chart_points_svg(FILE *f, const ft_chart_points *c);

#endif
