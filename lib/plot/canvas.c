#include "plot/canvas.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int ul_canvas_init(struct ul_canvas *c, int w, int h, struct ul_rgb background)
{
	*c = (struct ul_canvas){ .w = w, .h = h };
	if (w <= 0 || h <= 0)
		return -1;
	c->rgb = malloc((size_t)w * h * 3);
	c->cover = calloc((size_t)w * h, sizeof *c->cover);
	if (!c->rgb || !c->cover) {
		ul_canvas_free(c);
		return -1;
	}
	for (size_t i = 0; i < (size_t)w * h; i++)
		memcpy(c->rgb + 3 * i, &background, 3);
	ul_canvas_unclip(c);
	return 0;
}

void ul_canvas_free(struct ul_canvas *c)
{
	free(c->rgb), free(c->cover);
	*c = (struct ul_canvas){ 0 };
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* floor(v) and ceil(v) taken into [lo, hi], clamped before the cast, so
 * no coordinate however far off overflows an int. */
static int floor_in(float v, int lo, int hi)
{
	return v > lo ? v < hi ? (int)floorf(v) : hi : lo;
}

static int ceil_in(float v, int lo, int hi)
{
	return v > lo ? v < hi ? (int)ceilf(v) : hi : lo;
}

void ul_canvas_clip(struct ul_canvas *c, int x0, int y0, int x1, int y1)
{
	c->cx0 = clampi(x0, 0, c->w), c->cx1 = clampi(x1, c->cx0, c->w);
	c->cy0 = clampi(y0, 0, c->h), c->cy1 = clampi(y1, c->cy0, c->h);
}

void ul_canvas_unclip(struct ul_canvas *c)
{
	ul_canvas_clip(c, 0, 0, c->w, c->h);
}

void ul_canvas_blend(struct ul_canvas *c, int x, int y, struct ul_rgb color, float alpha)
{
	if (x < c->cx0 || x >= c->cx1 || y < c->cy0 || y >= c->cy1 || !(alpha > 0))
		return;
	if (alpha > 1)
		alpha = 1;
	unsigned char *p = c->rgb + 3 * ((size_t)y * c->w + x);
	const unsigned char to[3] = { color.r, color.g, color.b };
	for (int k = 0; k < 3; k++)
		p[k] = (unsigned char)lrintf(p[k] + (to[k] - p[k]) * alpha);
}

void ul_canvas_rect(struct ul_canvas *c, int x0, int y0, int x1, int y1, struct ul_rgb color)
{
	x0 = clampi(x0, c->cx0, c->cx1), x1 = clampi(x1, x0, c->cx1);
	y0 = clampi(y0, c->cy0, c->cy1), y1 = clampi(y1, y0, c->cy1);
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			memcpy(c->rgb + 3 * ((size_t)y * c->w + x), &color, 3);
}

void ul_canvas_frame(struct ul_canvas *c, int x0, int y0, int x1, int y1, struct ul_rgb color)
{
	ul_canvas_rect(c, x0 - 1, y0 - 1, x1 + 1, y0, color);
	ul_canvas_rect(c, x0 - 1, y1, x1 + 1, y1 + 1, color);
	ul_canvas_rect(c, x0 - 1, y0, x0, y1, color);
	ul_canvas_rect(c, x1, y0, x1 + 1, y1, color);
}

/* The share of a pixel whose centre lies d from the middle of a stroke
 * half as wide as hw: 1 well inside, falling to 0 over the last pixel. */
static float share(float d, float hw)
{
	float a = hw + 0.5f - d;
	return a < 0 ? 0 : a > 1 ? 1 : a;
}

/* The segment a-b, hw either side, into the pen's coverage. */
static void cover_segment(struct ul_pen *p, float ax, float ay, float bx, float by)
{
	struct ul_canvas *c = p->c;
	float dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, hw = p->s.width / 2, reach = hw + 1;
	int x0 = floor_in(fminf(ax, bx) - reach, c->cx0, c->cx1), x1 = ceil_in(fmaxf(ax, bx) + reach, c->cx0, c->cx1);
	int y0 = floor_in(fminf(ay, by) - reach, c->cy0, c->cy1), y1 = ceil_in(fmaxf(ay, by) + reach, c->cy0, c->cy1);
	if (x0 >= x1 || y0 >= y1)
		return;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++) {
			float px = x + 0.5f - ax, py = y + 0.5f - ay;
			float t = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
			t = t < 0 ? 0 : t > 1 ? 1 : t;
			float a = share(hypotf(px - t * dx, py - t * dy), hw), *cell = c->cover + (size_t)y * c->w + x;
			if (a > *cell)
				*cell = a;
		}
	if (p->x0 >= p->x1)
		p->x0 = x0, p->y0 = y0, p->x1 = x1, p->y1 = y1;
	p->x0 = x0 < p->x0 ? x0 : p->x0, p->y0 = y0 < p->y0 ? y0 : p->y0;
	p->x1 = x1 > p->x1 ? x1 : p->x1, p->y1 = y1 > p->y1 ? y1 : p->y1;
}

void ul_pen_begin(struct ul_pen *p, struct ul_canvas *c, struct ul_stroke s)
{
	*p = (struct ul_pen){ .c = c, .s = s };
	if (s.dash > 0)  /* dashes of some length, so that a walk along them moves on */
		p->s.dash = fmaxf(s.dash, 0.01f), p->s.gap = fmaxf(s.gap, 0);
	ul_pen_lift(p);
}

void ul_pen_lift(struct ul_pen *p)
{
	float reach = p->s.width / 2 + 1;
	if (p->down && p->alone && p->x > p->c->cx0 - reach && p->x < p->c->cx1 + reach && p->y > p->c->cy0 - reach &&
	    p->y < p->c->cy1 + reach)
		cover_segment(p, p->x, p->y, p->x, p->y);
	p->down = false, p->alone = false, p->on = true;
	p->left = p->s.dash > 0 ? p->s.dash : INFINITY;
}

/* Where the line a + t (dx, dy) / len, t in [0, len], lies within reach
 * of the clip (Liang and Barsky's clipping): [t0, t1], or 0 when nowhere. */
static int visible(const struct ul_canvas *c, double reach, double ax, double ay, double dx, double dy, double len,
		   double *t0, double *t1)
{
	const double along[4] = { -dx / len, dx / len, -dy / len, dy / len };
	const double room[4] = { ax - (c->cx0 - reach), c->cx1 + reach - ax, ay - (c->cy0 - reach), c->cy1 + reach - ay };
	*t0 = 0, *t1 = len;
	for (int k = 0; k < 4; k++) {
		if (along[k] == 0) {
			if (room[k] < 0)
				return 0;
		} else if (along[k] < 0) {
			*t0 = fmax(*t0, room[k] / along[k]);
		} else {
			*t1 = fmin(*t1, room[k] / along[k]);
		}
	}
	return *t0 < *t1;
}

/* Moves the dash pattern on by s pixels without drawing. */
static void skip(struct ul_pen *p, double s)
{
	if (!(p->s.dash > 0) || !(s > 0))
		return;
	if (s >= p->left) {
		s = fmod(s - p->left, p->s.dash + p->s.gap);
		p->on = !p->on, p->left = p->on ? p->s.dash : p->s.gap;
		while (s >= p->left)
			s -= p->left, p->on = !p->on, p->left = p->on ? p->s.dash : p->s.gap;
	}
	p->left -= s;
}

void ul_pen_to(struct ul_pen *p, float x, float y)
{
	if (!isfinite(x) || !isfinite(y) || !(p->s.width > 0))
		return;
	if (!p->down) {
		p->x = x, p->y = y, p->down = true, p->alone = true;
		return;
	}
	double ax = p->x, ay = p->y, dx = x - ax, dy = y - ay, len = hypot(dx, dy), t, t1;
	p->x = x, p->y = y, p->alone = false;
	if (!(len > 0) || !visible(p->c, p->s.width / 2 + 1, ax, ay, dx, dy, len, &t, &t1)) {
		skip(p, len);
		return;
	}
	/* dashes: walk the visible part, covering the pieces that are on (in
	 * doubles, and a dash ending within a millionth of a pixel, so that
	 * what is left always moves the walk on) */
	skip(p, t);
	while (t < t1) {
		double end = p->left < t1 - t ? t + p->left : t1;
		if (p->on)
			cover_segment(p, (float)(ax + dx * t / len), (float)(ay + dy * t / len), (float)(ax + dx * end / len),
				      (float)(ay + dy * end / len));
		p->left -= end - t, t = end;
		if (p->left <= 1e-6)
			p->on = !p->on, p->left = p->on ? p->s.dash : p->s.gap;
	}
	skip(p, len - t1);
}

void ul_pen_end(struct ul_pen *p)
{
	ul_pen_lift(p);
	struct ul_canvas *c = p->c;
	for (int y = p->y0; y < p->y1; y++)
		for (int x = p->x0; x < p->x1; x++) {
			float *cell = c->cover + (size_t)y * c->w + x;
			ul_canvas_blend(c, x, y, p->s.color, *cell);
			*cell = 0;
		}
	p->x1 = p->x0;
}

void ul_canvas_line(struct ul_canvas *c, const float *xy, int n, struct ul_stroke s)
{
	struct ul_pen p;
	ul_pen_begin(&p, c, s);
	for (int i = 0; i < n; i++)
		ul_pen_to(&p, xy[2 * i], xy[2 * i + 1]);
	ul_pen_end(&p);
}

void ul_canvas_disc(struct ul_canvas *c, float x, float y, float r, struct ul_rgb color)
{
	int x0 = floor_in(x - r - 1, c->cx0, c->cx1), x1 = ceil_in(x + r + 1, c->cx0, c->cx1);
	int y0 = floor_in(y - r - 1, c->cy0, c->cy1), y1 = ceil_in(y + r + 1, c->cy0, c->cy1);
	for (int j = y0; j < y1; j++)
		for (int i = x0; i < x1; i++)
			ul_canvas_blend(c, i, j, color, share(hypotf(i + 0.5f - x, j + 0.5f - y), r));
}
