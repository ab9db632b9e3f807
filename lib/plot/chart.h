/* Charts in the manner of matplotlib's defaults, which Ultralytics' plots
 * use: a framed plotting area, ticks outside it at round steps with their
 * numbers, series as lines and markers clipped to the area, titles, axis
 * labels and a legend box. */
#ifndef UL_PLOT_CHART_H
#define UL_PLOT_CHART_H

#include "plot/canvas.h"
#include "plot/font.h"

/* matplotlib's first colours ("tab10"), its series colours in order. */
#define UL_SERIES_COLORS 10
extern const struct ul_rgb ul_series_color[UL_SERIES_COLORS];

#define UL_BLACK ((struct ul_rgb){ 0, 0, 0 })
#define UL_WHITE ((struct ul_rgb){ 255, 255, 255 })
#define UL_GREY ((struct ul_rgb){ 128, 128, 128 })
#define UL_BLUE ((struct ul_rgb){ 0, 0, 255 })

struct ul_axes {
	struct ul_canvas *c;
	int x0, y0, x1, y1;             /* the plotting area, [x0, x1) x [y0, y1) */
	double xmin, xmax, ymin, ymax;  /* the data at its edges */
	float font;                     /* the ticks' text size */
};

/* The ticks matplotlib would put on an axis from lo to hi: the smallest
 * step of 1, 2, 2.5 or 5 times a power of ten that cuts it into at most
 * `bins` (taken into 1 .. 9), each with its number in the decimals the
 * step needs. */
#define UL_MAX_TICKS 11
struct ul_ticks {
	int n;
	double v[UL_MAX_TICKS];
	char text[UL_MAX_TICKS][32];
};
void ul_ticks(double lo, double hi, int bins, struct ul_ticks *t);

/* The bins matplotlib allows an axis len pixels long whose numbers have
 * the font size size: one per 3 em across, per 2 em up. */
int ul_tick_bins(int len, float size, int vertical);

/* Pixel positions of data values. */
float ul_axes_x(const struct ul_axes *a, double x);
float ul_axes_y(const struct ul_axes *a, double y);

/* The range matplotlib gives n values: from the smallest to the largest
 * finite one, widened by 5% each way (0.5 either side of a single value;
 * 0 to 1 when there is none). */
void ul_axes_range(const double *v, int n, double *lo, double *hi);

/* The frame and the ticks with their numbers, below and to the left. */
void ul_axes_draw(const struct ul_axes *a);

/* The widest y tick number, in pixels (for laying out what lies left). */
float ul_axes_ytick_width(const struct ul_axes *a);

/* A title centred above, an x label below the tick numbers and a y label,
 * vertical, left of them; NULL for none. */
void ul_axes_titles(const struct ul_axes *a, const char *title, const char *xlabel, const char *ylabel, float size);

/* n points as a line (a point not finite breaks it) or as discs of radius r. */
void ul_axes_line(const struct ul_axes *a, const double *x, const double *y, int n, struct ul_stroke s);
void ul_axes_markers(const struct ul_axes *a, const double *x, const double *y, int n, float r, struct ul_rgb color);

struct ul_legend_item {
	const char *label;
	struct ul_stroke stroke;
	float marker;  /* a disc's radius on the sample line, 0 for none */
};

/* The legend box's size, and the box drawn with its top left at (x, y). */
void ul_legend_size(const struct ul_legend_item *items, int n, float size, int *w, int *h);
void ul_legend(struct ul_canvas *c, int x, int y, const struct ul_legend_item *items, int n, float size);

#endif
