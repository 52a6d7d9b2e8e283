/*
 * chart.c - grouped bars and labelled points as SVG (chart.h).
 *
 * Text widths are estimated, not measured (a report has no font metrics):
 * CHAR_W pixels per character of the 11 pixel sans-serif the charts use,
 * a little more than its average, so that estimated room is real room.
 */
#include "fundtrace/chart.h"

#include <math.h>
#include <string.h>

#include "fundtrace/export.h"

#define CHAR_W   6.5 /* estimated width of a character, 11 px sans-serif */
#define LINE_H   13  /* a label's line */
#define RIGHT    24  /* space right of the plot */
#define TURN     40  /* degrees group labels turn when they do not fit */
#define SWATCH   12  /* a legend's colour square */
#define LEGEND_Y 14  /* the legend's baseline */

/* Characters (not bytes) of UTF-8 text. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* s as XML text, cut after max characters with an ellipsis (max 0: all). */
static void text_cut(FILE *f, const char *s, size_t max)
{
    size_t len = strlen(s), n = 0, i = 0;
    if (max == 0 || chars(s) <= max) {
        ft_xml_text(f, s, len);
        return;
    }
    for (; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == max)
            break;
    }
    ft_xml_text(f, s, i);
    fputs("\xE2\x80\xA6", f); /* U+2026 */
}

static void text(FILE *f, const char *s)
{
    ft_xml_text(f, s ? s : "", s ? strlen(s) : 0);
}

/* A coordinate: two decimals, never NaN or -0. */
static void num(FILE *f, double v)
{
    if (!isfinite(v) || fabs(v) < 0.005)
        v = 0;
    fprintf(f, "%.2f", v);
}

/* A value as a tooltip says it: exact ("%.15g"), and what is drawn
 * instead of a value that is negative or not a finite number. */
static void tip_value(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        snprintf(buf, cap, "not a finite number, drawn as 0");
    else if (v < 0)
        snprintf(buf, cap, "%.15g, drawn as 0", v);
    else
        snprintf(buf, cap, "%.15g", v);
}

/* A value as drawn: negative, NaN and infinite values as 0. */
static double clean(double v)
{
    return isfinite(v) && v > 0 ? v : 0;
}

void ft_chart_axis_make(double top, bool integer, ft_chart_axis *a)
{
    if (!isfinite(top) || top <= 0)
        top = 1;
    double raw = top / 5;
    int e = (int)floor(log10(raw));
    double mag = pow(10, e), norm = raw / mag;
    double m = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
    if (m == 10) {
        m = 1;
        e++;
        mag = pow(10, e);
    }
    double step = m * mag;
    if (integer && step < 1) {
        step = 1;
        e = 0;
    }
    /* ceil, forgiving the last bit a quotient of decimals can be off */
    double k = ceil(top / step - 1e-9);
    if (k < 1)
        k = 1;
    a->step = step;
    a->ticks = (int)k;
    a->max = k * step;
    a->decimals = e < 0 ? -e : 0;
}

double ft_chart_y(const ft_chart_axis *a, double v)
{
    v = clean(v);
    if (v > a->max)
        v = a->max;
    return FT_CHART_TOP + FT_CHART_PLOT_H * (1 - v / a->max);
}

/* Tick i's label: "%.*f", or a percentage. */
static void tick_label(const ft_chart_axis *a, int i, bool percent, char *buf, size_t cap)
{
    double v = i * a->step;
    if (percent)
        snprintf(buf, cap, "%.*f%%", a->decimals > 2 ? a->decimals - 2 : 0, v * 100);
    else
        snprintf(buf, cap, "%.*f", a->decimals, v);
}

int ft_chart_left(const ft_chart_axis *a)
{
    size_t w = 1;
    char buf[64];
    for (int i = 0; i <= a->ticks; i++) {
        tick_label(a, i, false, buf, sizeof buf);
        if (strlen(buf) > w)
            w = strlen(buf);
    }
    /* the axis title (turned), a gap, the labels, a gap */
    return 24 + (int)ceil((double)w * CHAR_W) + 8;
}

static void svg_open(FILE *f, double w, double h, const char *title)
{
    fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", f);
    num(f, w);
    fputs("\" height=\"", f);
    num(f, h);
    fputs("\" viewBox=\"0 0 ", f);
    num(f, w);
    fputc(' ', f);
    num(f, h);
    fputs("\" role=\"img\" aria-label=\"", f);
    text(f, title);
    fputs("\" font-family=\"sans-serif\" font-size=\"11\">\n<title>", f);
    text(f, title);
    fputs("</title>\n", f);
}

/* The value axis: grid lines, tick labels, its title turned. */
static void y_axis(FILE *f, const ft_chart_axis *a, int left, double right, const char *label)
{
    char buf[64];
    for (int i = 0; i <= a->ticks; i++) {
        double y = ft_chart_y(a, i * a->step);
        fprintf(f, "<line x1=\"%d\" y1=\"", left);
        num(f, y);
        fputs("\" x2=\"", f);
        num(f, right);
        fputs("\" y2=\"", f);
        num(f, y);
        fprintf(f, "\" stroke=\"%s\"/><text x=\"%d\" y=\"", i ? "#e3e3e3" : "#444", left - 6);
        num(f, y + 4);
        tick_label(a, i, false, buf, sizeof buf);
        fprintf(f, "\" text-anchor=\"end\">%s</text>\n", buf);
    }
    double mid = FT_CHART_TOP + FT_CHART_PLOT_H / 2.0;
    fputs("<text x=\"12\" y=\"", f);
    num(f, mid);
    fputs("\" text-anchor=\"middle\" transform=\"rotate(-90 12 ", f);
    num(f, mid);
    fputs(")\">", f);
    text(f, label);
    fputs("</text>\n", f);
}

void ft_chart_bars_axis(const ft_chart_bars *c, ft_chart_axis *a)
{
    double top = 0;
    for (int i = 0; i < c->ngroups * c->nseries; i++)
        if (clean(c->values[i]) > top)
            top = clean(c->values[i]);
    ft_chart_axis_make(top, c->integer, a);
}

/* Where the bars go: the axis, the plot's left edge, a group's width,
 * whether labels turn and how many characters the longest shows. */
typedef struct bars_layout {
    ft_chart_axis a;
    int left, gw;
    bool turn;
    size_t shown;
} bars_layout;

static void bars_layout_make(const ft_chart_bars *c, bars_layout *l)
{
    ft_chart_bars_axis(c, &l->a);
    l->left = ft_chart_left(&l->a);
    l->gw = FT_CHART_GROUP_PAD + c->nseries * FT_CHART_BAR_W;
    size_t longest = 0;
    for (int g = 0; g < c->ngroups; g++)
        if (chars(c->groups[g]) > longest)
            longest = chars(c->groups[g]);
    l->turn = (double)longest * CHAR_W > l->gw - 4;
    l->shown = l->turn && longest > FT_CHART_LABEL_MAX ? FT_CHART_LABEL_MAX + 1 : longest;
    if (l->turn) {
        /* the first group's label, turned, reaches left of its group */
        double reach = (double)l->shown * CHAR_W * cos(TURN * M_PI / 180) + 4 - l->gw / 2.0;
        if (reach > l->left)
            l->left = (int)ceil(reach);
    }
}

int ft_chart_bars_left(const ft_chart_bars *c)
{
    bars_layout l;
    bars_layout_make(c, &l);
    return l.left;
}

void ft_chart_bars_svg(FILE *f, const ft_chart_bars *c)
{
    if (c->ngroups <= 0 || c->nseries <= 0) {
        svg_open(f, 240, 30, c->title);
        fputs("<text x=\"4\" y=\"18\">Nothing to draw.</text>\n</svg>\n", f);
        return;
    }
    bars_layout l;
    bars_layout_make(c, &l);
    const ft_chart_axis a = l.a;
    int left = l.left, gw = l.gw;
    bool turn = l.turn;
    double right = left + (double)c->ngroups * gw;
    double bottom = turn ? ceil((double)l.shown * CHAR_W * sin(TURN * M_PI / 180)) + 28 : 30;
    /* the legend, one row */
    double legend = left;
    for (int s = 0; s < c->nseries; s++)
        legend += SWATCH + 4 + (double)chars(c->series[s]) * CHAR_W + 14;
    double w = right + RIGHT > legend ? right + RIGHT : legend;
    double h = FT_CHART_TOP + FT_CHART_PLOT_H + bottom;
    svg_open(f, w, h, c->title);
    double x = left;
    for (int s = 0; s < c->nseries; s++) {
        fputs("<rect x=\"", f);
        num(f, x);
        fprintf(f, "\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"", LEGEND_Y - SWATCH + 2, SWATCH,
                SWATCH);
        text(f, c->colours[s]);
        fputs("\"/><text x=\"", f);
        num(f, x + SWATCH + 4);
        fprintf(f, "\" y=\"%d\">", LEGEND_Y);
        text(f, c->series[s]);
        fputs("</text>\n", f);
        x += SWATCH + 4 + (double)chars(c->series[s]) * CHAR_W + 14;
    }
    y_axis(f, &a, left, right, c->y_label);
    for (int g = 0; g < c->ngroups; g++) {
        double g0 = left + (double)g * gw;
        fputs("<g>", f);
        for (int s = 0; s < c->nseries; s++) {
            double v = c->values[g * c->nseries + s];
            double y = ft_chart_y(&a, v);
            fputs("<rect x=\"", f);
            num(f, g0 + FT_CHART_GROUP_PAD / 2.0 + s * FT_CHART_BAR_W);
            fputs("\" y=\"", f);
            num(f, y);
            fprintf(f, "\" width=\"%d\" height=\"", FT_CHART_BAR_W - 2);
            num(f, FT_CHART_TOP + FT_CHART_PLOT_H - y);
            fputs("\" fill=\"", f);
            text(f, c->colours[s]);
            fputs("\"><title>", f);
            if (c->tips && c->tips[g * c->nseries + s])
                text(f, c->tips[g * c->nseries + s]);
            else {
                char buf[64];
                text(f, c->groups[g]);
                fputs(", ", f);
                text(f, c->series[s]);
                tip_value(buf, sizeof buf, v);
                fputs(": ", f);
                text(f, buf);
            }
            fputs("</title></rect>", f);
        }
        double cx = g0 + gw / 2.0, ly = FT_CHART_TOP + FT_CHART_PLOT_H + (turn ? 12 : 16);
        fputs("<text x=\"", f);
        num(f, cx);
        fputs("\" y=\"", f);
        num(f, ly);
        if (turn) {
            fputs("\" text-anchor=\"end\" transform=\"rotate(-40 ", f);
            num(f, cx);
            fputc(' ', f);
            num(f, ly);
            fputs(")\">", f);
        } else {
            fputs("\" text-anchor=\"middle\">", f);
        }
        text_cut(f, c->groups[g], turn ? FT_CHART_LABEL_MAX : 0);
        if (turn && chars(c->groups[g]) > FT_CHART_LABEL_MAX) {
            fputs("<title>", f);
            text(f, c->groups[g]);
            fputs("</title>", f);
        }
        fputs("</text></g>\n", f);
    }
    fputs("</svg>\n", f);
}

double ft_chart_x(const ft_chart_axis *xa, int left, double v)
{
    v = clean(v);
    if (v > xa->max)
        v = xa->max;
    return left + FT_CHART_PLOT_W * (v / xa->max);
}

/* The x axis of a points chart. */
static void x_axis_make(const ft_chart_points *c, ft_chart_axis *a)
{
    if (c->x_share) {
        *a = (ft_chart_axis){.max = 1, .step = 0.2, .ticks = 5, .decimals = 1};
        return;
    }
    double top = 0;
    for (int i = 0; i < c->n; i++)
        if (clean(c->p[i].x) > top)
            top = clean(c->p[i].x);
    ft_chart_axis_make(top, false, a);
}

typedef struct box {
    double x0, y0, x1, y1;
} box;

static bool overlap(const box *a, const box *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* Point i before point k: by x, then y, then index. */
static bool before(const ft_chart_point *p, int i, int k)
{
    double u = clean(p[i].x), v = clean(p[k].x);
    if (u != v)
        return u < v;
    u = clean(p[i].y);
    v = clean(p[k].y);
    return u != v ? u < v : i < k;
}

void ft_chart_points_svg(FILE *f, const ft_chart_points *c)
{
    ft_chart_axis xa, ya;
    x_axis_make(c, &xa);
    double top = 0;
    for (int i = 0; i < c->n; i++)
        if (clean(c->p[i].y) > top)
            top = clean(c->p[i].y);
    ft_chart_axis_make(top, c->y_integer, &ya);
    int left = ft_chart_left(&ya);
    double right = left + FT_CHART_PLOT_W;
    double w = right + RIGHT, h = FT_CHART_TOP + FT_CHART_PLOT_H + 46;
    svg_open(f, w, h, c->title);
    y_axis(f, &ya, left, right, c->y_label);
    char buf[64];
    for (int i = 0; i <= xa.ticks; i++) {
        double x = ft_chart_x(&xa, left, i * xa.step);
        fputs("<line x1=\"", f);
        num(f, x);
        fprintf(f, "\" y1=\"%d\" x2=\"", FT_CHART_TOP);
        num(f, x);
        fprintf(f, "\" y2=\"%d\" stroke=\"%s\"/><text x=\"", FT_CHART_TOP + FT_CHART_PLOT_H,
                i ? "#e3e3e3" : "#444");
        num(f, x);
        tick_label(&xa, i, c->x_share, buf, sizeof buf);
        fprintf(f, "\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                FT_CHART_TOP + FT_CHART_PLOT_H + 16, buf);
    }
    fputs("<text x=\"", f);
    num(f, left + FT_CHART_PLOT_W / 2.0);
    fprintf(f, "\" y=\"%d\" text-anchor=\"middle\">", FT_CHART_TOP + FT_CHART_PLOT_H + 36);
    text(f, c->x_label);
    fputs("</text>\n", f);
    int n = c->n < 0 ? 0 : c->n > FT_CHART_POINTS_MAX ? FT_CHART_POINTS_MAX : c->n;
    int order[FT_CHART_POINTS_MAX];
    box placed[FT_CHART_POINTS_MAX];
    /* the dashed line through the points, in order of x (insertion sort:
     * a few points) */
    if (n > 1) {
        for (int i = 0; i < n; i++) {
            int k = i;
            for (; k > 0 && before(c->p, i, order[k - 1]); k--)
                order[k] = order[k - 1];
            order[k] = i;
        }
        fputs("<polyline fill=\"none\" stroke=\"#999\" stroke-dasharray=\"4 3\" points=\"", f);
        for (int i = 0; i < n; i++) {
            const ft_chart_point *p = &c->p[order[i]];
            if (i)
                fputc(' ', f);
            num(f, ft_chart_x(&xa, left, p->x));
            fputc(',', f);
            num(f, ft_chart_y(&ya, p->y));
        }
        fputs("\"/>\n", f);
    }
    for (int i = 0; i < n; i++) {
        const ft_chart_point *p = &c->p[i];
        double px = ft_chart_x(&xa, left, p->x), py = ft_chart_y(&ya, p->y);
        double tw = (double)chars(p->label ? p->label : "") * CHAR_W;
        bool end = px + 8 + tw > w - 2;
        box b = {end ? px - 8 - tw : px + 8, py - 6 - 10, end ? px - 8 : px + 8 + tw, py - 6 + 3};
        for (bool moved = true; moved;) {
            moved = false;
            for (int k = 0; k < i; k++)
                if (overlap(&b, &placed[k])) {
                    b.y0 += LINE_H;
                    b.y1 += LINE_H;
                    moved = true;
                }
        }
        placed[i] = b;
        fputs("<g><circle cx=\"", f);
        num(f, px);
        fputs("\" cy=\"", f);
        num(f, py);
        fputs("\" r=\"5\" stroke=\"#fff\" fill=\"", f);
        text(f, p->colour ? p->colour : "#444");
        fputs("\"><title>", f);
        if (p->tip)
            text(f, p->tip);
        else {
            text(f, p->label);
            tip_value(buf, sizeof buf, p->x);
            fputs(": ", f);
            text(f, buf);
            tip_value(buf, sizeof buf, p->y);
            fputs(", ", f);
            text(f, buf);
        }
        fputs("</title></circle><text x=\"", f);
        num(f, end ? b.x1 : b.x0);
        fputs("\" y=\"", f);
        num(f, b.y1 - 3);
        fprintf(f, "\"%s>", end ? " text-anchor=\"end\"" : "");
        text(f, p->label);
        fputs("</text></g>\n", f);
    }
    fputs("</svg>\n", f);
}
