/* An RGB canvas to draw charts on: opaque rectangles, and antialiased
 * lines and discs whose edges blend by the share of each pixel they cover.
 *
 * Coordinates are floats in pixels, x right and y down; pixel (i, j)
 * covers [i, i + 1) x [j, j + 1), so a line along y = j + 0.5 of width 1
 * fills row j exactly. All drawing stays inside the clip rectangle. */
#ifndef UL_PLOT_CANVAS_H
#define UL_PLOT_CANVAS_H

#include <stdbool.h>

struct ul_rgb {
	unsigned char r, g, b;
};

struct ul_canvas {
	int w, h;
	unsigned char *rgb;     /* h rows of w pixels, 3 bytes each */
	float *cover;           /* a pen's coverage before it is blended; 0 between pens */
	int cx0, cy0, cx1, cy1; /* the clip rectangle, [cx0, cx1) x [cy0, cy1) */
};

/* How a line is drawn: dash > 0 draws dash pixels, skips gap, and again,
 * each piece with round ends (a dotted line when dash is small). */
struct ul_stroke {
	struct ul_rgb color;
	float width;
	float dash, gap;
};

/* A w x h canvas filled with background. 0, or -1 when out of memory. */
int ul_canvas_init(struct ul_canvas *c, int w, int h, struct ul_rgb background);
void ul_canvas_free(struct ul_canvas *c);

/* Limits drawing to [x0, x1) x [y0, y1) (within the canvas); unclip
 * restores the whole canvas. */
void ul_canvas_clip(struct ul_canvas *c, int x0, int y0, int x1, int y1);
void ul_canvas_unclip(struct ul_canvas *c);

/* Mixes color into pixel (x, y) by alpha in [0, 1]. */
void ul_canvas_blend(struct ul_canvas *c, int x, int y, struct ul_rgb color, float alpha);

/* Fills [x0, x1) x [y0, y1). */
void ul_canvas_rect(struct ul_canvas *c, int x0, int y0, int x1, int y1, struct ul_rgb color);

/* A one-pixel frame just outside [x0, x1) x [y0, y1). */
void ul_canvas_frame(struct ul_canvas *c, int x0, int y0, int x1, int y1, struct ul_rgb color);

/* A pen draws one stroke as a polyline, its joints round. Coverage
 * gathers as the larger share per pixel and is blended once at the end,
 * so where pieces overlap a pixel is not darkened twice. */
struct ul_pen {
	struct ul_canvas *c;
	struct ul_stroke s;
	float x, y;          /* where it stands */
	bool down;           /* a point was given since begin or lift */
	bool alone;          /* and only one */
	bool on;             /* in a dash, not a gap */
	double left;         /* of the dash or gap */
	int x0, y0, x1, y1;  /* what it touched; empty when x0 >= x1 */
};

void ul_pen_begin(struct ul_pen *p, struct ul_canvas *c, struct ul_stroke s);
/* The first point after begin or lift only places the pen (a lone point
 * draws a dot); each later one draws a line to it. */
void ul_pen_to(struct ul_pen *p, float x, float y);
void ul_pen_lift(struct ul_pen *p);
void ul_pen_end(struct ul_pen *p);

/* The polyline through n points (xy: x0, y0, x1, y1, ...) with one pen. */
void ul_canvas_line(struct ul_canvas *c, const float *xy, int n, struct ul_stroke s);

/* A disc of radius r centred on (x, y). */
void ul_canvas_disc(struct ul_canvas *c, float x, float y, float r, struct ul_rgb color);

#endif
