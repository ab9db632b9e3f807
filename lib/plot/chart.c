#include "plot/chart.h"

#include <math.h>
#include <stdio.h>

const struct ul_rgb ul_series_color[UL_SERIES_COLORS] = {
	{ 0x1f, 0x77, 0xb4 }, { 0xff, 0x7f, 0x0e }, { 0x2c, 0xa0, 0x2c }, { 0xd6, 0x27, 0x28 }, { 0x94, 0x67, 0xbd },
	{ 0x8c, 0x56, 0x4b }, { 0xe3, 0x77, 0xc2 }, { 0x7f, 0x7f, 0x7f }, { 0xbc, 0xbd, 0x22 }, { 0x17, 0xbe, 0xcf },
};

#define TICK 5      /* a tick's length outside the frame, pixels */
#define TICK_PAD 4  /* between a tick and its number */
#define LABEL_PAD 7 /* between the numbers and the axis label */

float ul_axes_x(const struct ul_axes *a, double x)
{
	return (float)(a->x0 + (x - a->xmin) / (a->xmax - a->xmin) * (a->x1 - a->x0));
}

float ul_axes_y(const struct ul_axes *a, double y)
{
	return (float)(a->y1 - (y - a->ymin) / (a->ymax - a->ymin) * (a->y1 - a->y0));
}

void ul_axes_range(const double *v, int n, double *lo, double *hi)
{
	double a = INFINITY, b = -INFINITY;
	for (int i = 0; i < n; i++)
		if (isfinite(v[i]))
			a = fmin(a, v[i]), b = fmax(b, v[i]);
	if (a > b)
		a = 0, b = 1;
	double pad = a < b ? (b - a) * 0.05 : 0.5;
	*lo = a - pad, *hi = b + pad;
}

void ul_ticks(double lo, double hi, int bins, struct ul_ticks *t)
{
	static const double mantissa[] = { 1, 2, 2.5, 5, 10 };
	t->n = 0;
	if (!(hi > lo) || !isfinite(hi - lo))
		return;
	bins = bins < 1 ? 1 : bins > 9 ? 9 : bins;
	double raw = (hi - lo) / bins, power = pow(10, floor(log10(raw))), step = power;
	for (int k = 0; k < 5 && (step = mantissa[k] * power) < raw * (1 - 1e-9); k++)
		;
	int decimals = 0;
	for (; decimals < 9; decimals++) {
		double scaled = step * pow(10, decimals);
		if (fabs(scaled - round(scaled)) < 1e-6 * scaled)
			break;
	}
	for (double i = ceil(lo / step - 1e-9); i <= floor(hi / step + 1e-9) && t->n < UL_MAX_TICKS; i++) {
		double v = i * step;
		t->v[t->n] = v;
		snprintf(t->text[t->n++], sizeof t->text[0], "%.*f", decimals, v == 0 ? 0.0 : v);
	}
}

int ul_tick_bins(int len, float size, int vertical)
{
	return (int)(len / ((vertical ? 2 : 3) * 10 * size));
}

static int valid(const struct ul_axes *a)
{
	return a->xmax > a->xmin && a->ymax > a->ymin && isfinite(a->xmax - a->xmin) && isfinite(a->ymax - a->ymin);
}

float ul_axes_ytick_width(const struct ul_axes *a)
{
	struct ul_ticks t;
	ul_ticks(a->ymin, a->ymax, ul_tick_bins(a->y1 - a->y0, a->font, 1), &t);
	float widest = 0;
	for (int i = 0; i < t.n; i++)
		widest = fmaxf(widest, ul_text_width(t.text[i], a->font));
	return widest;
}

void ul_axes_draw(const struct ul_axes *a)
{
	struct ul_canvas *c = a->c;
	ul_canvas_frame(c, a->x0, a->y0, a->x1, a->y1, UL_BLACK);
	if (!valid(a))
		return;
	struct ul_ticks t;
	struct ul_font f = { a->font, UL_BLACK, UL_CENTER | UL_TOP, false };
	ul_ticks(a->xmin, a->xmax, ul_tick_bins(a->x1 - a->x0, a->font, 0), &t);
	for (int i = 0; i < t.n; i++) {
		int x = (int)floorf(ul_axes_x(a, t.v[i]));
		x = x >= a->x1 ? a->x1 - 1 : x;
		ul_canvas_rect(c, x, a->y1 + 1, x + 1, a->y1 + 1 + TICK, UL_BLACK);
		ul_text(c, x + 0.5f, a->y1 + 1 + TICK + TICK_PAD, t.text[i], f);
	}
	f.align = UL_RIGHT | UL_MIDDLE;
	ul_ticks(a->ymin, a->ymax, ul_tick_bins(a->y1 - a->y0, a->font, 1), &t);
	for (int i = 0; i < t.n; i++) {
		int y = (int)floorf(ul_axes_y(a, t.v[i]));
		y = y >= a->y1 ? a->y1 - 1 : y;
		ul_canvas_rect(c, a->x0 - 1 - TICK, y, a->x0 - 1, y + 1, UL_BLACK);
		ul_text(c, a->x0 - 1 - TICK - TICK_PAD, y + 0.5f, t.text[i], f);
	}
}

void ul_axes_titles(const struct ul_axes *a, const char *title, const char *xlabel, const char *ylabel, float size)
{
	struct ul_font f = { size, UL_BLACK, UL_CENTER | UL_BOTTOM, false };
	float mid_x = (a->x0 + a->x1) / 2.0f, mid_y = (a->y0 + a->y1) / 2.0f;
	if (title)
		ul_text(a->c, mid_x, a->y0 - 1 - 1.2f * ul_text_height(size), title, f);
	f.align = UL_CENTER | UL_TOP;
	if (xlabel)
		ul_text(a->c, mid_x, a->y1 + 1 + TICK + TICK_PAD + ul_text_height(a->font) + LABEL_PAD, xlabel, f);
	f.align = UL_CENTER | UL_BOTTOM, f.vertical = true;
	if (ylabel)
		ul_text(a->c, a->x0 - 1 - TICK - TICK_PAD - ul_axes_ytick_width(a) - LABEL_PAD, mid_y, ylabel, f);
}

void ul_axes_line(const struct ul_axes *a, const double *x, const double *y, int n, struct ul_stroke s)
{
	if (!valid(a))
		return;
	struct ul_canvas *c = a->c;
	int cx0 = c->cx0, cy0 = c->cy0, cx1 = c->cx1, cy1 = c->cy1;
	ul_canvas_clip(c, a->x0, a->y0, a->x1, a->y1);
	struct ul_pen p;
	ul_pen_begin(&p, c, s);
	for (int i = 0; i < n; i++) {
		if (isfinite(x[i]) && isfinite(y[i]))
			ul_pen_to(&p, ul_axes_x(a, x[i]), ul_axes_y(a, y[i]));
		else
			ul_pen_lift(&p);
	}
	ul_pen_end(&p);
	ul_canvas_clip(c, cx0, cy0, cx1, cy1);
}

void ul_axes_markers(const struct ul_axes *a, const double *x, const double *y, int n, float r, struct ul_rgb color)
{
	if (!valid(a))
		return;
	struct ul_canvas *c = a->c;
	int cx0 = c->cx0, cy0 = c->cy0, cx1 = c->cx1, cy1 = c->cy1;
	ul_canvas_clip(c, a->x0, a->y0, a->x1, a->y1);
	for (int i = 0; i < n; i++)
		if (isfinite(x[i]) && isfinite(y[i]))
			ul_canvas_disc(c, ul_axes_x(a, x[i]), ul_axes_y(a, y[i]), r, color);
	ul_canvas_clip(c, cx0, cy0, cx1, cy1);
}

/* The legend's measures in units of the font's em (ten font units). */
#define EM(size) (10 * (size))
#define PITCH 1.5f   /* a row */
#define HANDLE 2.0f  /* the sample line */
#define GAP 0.8f     /* from it to the label */
#define BORDER 0.5f  /* inside the box */

void ul_legend_size(const struct ul_legend_item *items, int n, float size, int *w, int *h)
{
	float widest = 0;
	for (int i = 0; i < n; i++)
		widest = fmaxf(widest, ul_text_width(items[i].label, size));
	*w = (int)ceilf(EM(size) * (2 * BORDER + HANDLE + GAP) + widest);
	*h = (int)ceilf(EM(size) * (2 * BORDER + PITCH * n));
}

void ul_legend(struct ul_canvas *c, int x, int y, const struct ul_legend_item *items, int n, float size)
{
	int w, h;
	ul_legend_size(items, n, size, &w, &h);
	struct ul_rgb edge = { 204, 204, 204 };
	ul_canvas_rect(c, x + 1, y + 1, x + w - 1, y + h - 1, UL_WHITE);
	ul_canvas_frame(c, x + 1, y + 1, x + w - 1, y + h - 1, edge);
	float em = EM(size);
	for (int i = 0; i < n; i++) {
		float mid = y + em * (BORDER + PITCH * (i + 0.5f)), left = x + em * BORDER, right = left + em * HANDLE;
		float xy[4] = { left, mid, right, mid };
		ul_canvas_line(c, xy, 2, items[i].stroke);
		if (items[i].marker > 0)
			ul_canvas_disc(c, (left + right) / 2, mid, items[i].marker, items[i].stroke.color);
		ul_text(c, right + em * GAP, mid, items[i].label, (struct ul_font){ size, UL_BLACK, UL_LEFT | UL_MIDDLE, false });
	}
}
