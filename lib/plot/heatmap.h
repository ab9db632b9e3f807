/* A matrix drawn as square cells coloured on matplotlib's "Blues" scale
 * (ColorBrewer's nine blues, white to navy, blended between), with each
 * cell's value written in it, and the colour bar that reads the scale. */
#ifndef UL_PLOT_HEATMAP_H
#define UL_PLOT_HEATMAP_H

#include "plot/canvas.h"

/* The colour at t in [0, 1] (clamped). */
struct ul_rgb ul_blues(double t);

struct ul_heatmap {
	const double *v;    /* rows x cols, row-major; a NaN cell is left white */
	int rows, cols;
	double vmax;        /* the scale runs from 0 to it */
	int x, y;           /* the top left corner, pixels */
	float cell;         /* a cell's side: cells end on whole pixels, some one wider */
};

void ul_heatmap_cells(struct ul_canvas *c, const struct ul_heatmap *m);

/* Each cell's value in printf's format fmt (of a double), centred, white
 * on cells above light and black on the others. */
void ul_heatmap_values(struct ul_canvas *c, const struct ul_heatmap *m, const char *fmt, double light, float size);

/* The scale from 0 at the bottom of [x0, x1) x [y0, y1) to vmax at its
 * top, framed, with ticks and their numbers on its right. */
void ul_colorbar(struct ul_canvas *c, int x0, int y0, int x1, int y1, double vmax, float size);

#endif
