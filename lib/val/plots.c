#include "val/plots.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "plot/chart.h"
#include "plot/csv.h"
#include "plot/heatmap.h"
#include "plot/png_write.h"
#include "plot/smooth.h"

/* Text sizes in font units (7 to a capital): matplotlib's points at 100
 * dots per inch, which is the scale of all three figures. */
#define PT(points) ((points) / 7.0f > 1 ? (points) / 7.0f : 1)
#define LW(points) ((points) * 100 / 72.0f)  /* a line width in pixels */

static const char *class_name(const char *const *names, int nnames, int cls, char *buf, size_t size)
{
	if (names && cls >= 0 && cls < nnames && names[cls])
		return names[cls];
	snprintf(buf, size, "%d", cls);
	return buf;
}

static int save(struct ul_canvas *c, const char *dir, const char *file, jv *err)
{
	char path[4096];
	int rc = snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path
			 ? ul_invalid(err, "%s/%s: the path is too long", dir, file)
			 : ul_png_write(c, path, err);
	ul_canvas_free(c);
	return rc;
}

/* --- results.png ------------------------------------------------------------ */

#define MAX_CHARTS 64  /* more columns than a picture can show are no results.csv */

/* The corner of a's area where the legend covers the fewest points (the
 * upper right when tied), as matplotlib's loc="best" would choose. */
static void legend_corner(const struct ul_axes *a, const double *x, const double *y, int n, int w, int h, int *lx,
			  int *ly)
{
	int best = -1;
	for (int k = 0; k < 4; k++) {
		int cx = k & 1 ? a->x0 + 6 : a->x1 - 6 - w, cy = k & 2 ? a->y1 - 6 - h : a->y0 + 6, covered = 0;
		for (int i = 0; i < n; i++) {
			float px = ul_axes_x(a, x[i]), py = ul_axes_y(a, y[i]);
			covered += px >= cx && px < cx + w && py >= cy && py < cy + h;
		}
		if (best < 0 || covered < best)
			best = covered, *lx = cx, *ly = cy;
	}
}

/* Ultralytics' order: the first half of the loss columns, the first half
 * of the metrics, then the second halves, into order (scratch: room for
 * 2 x cols); the count. */
static int result_columns(const struct ul_csv *t, int *order, int *scratch)
{
	int nl = 0, nm = 0, n = 0, *loss = scratch, *metric = scratch + t->cols;
	for (int j = 1; j < t->cols; j++)
		if (strstr(t->names[j], "loss"))
			loss[nl++] = j;
		else if (strstr(t->names[j], "metric"))
			metric[nm++] = j;
	for (int i = 0; i < nl / 2; i++)
		order[n++] = loss[i];
	for (int i = 0; i < nm / 2; i++)
		order[n++] = metric[i];
	for (int i = nl / 2; i < nl; i++)
		order[n++] = loss[i];
	for (int i = nm / 2; i < nm; i++)
		order[n++] = metric[i];
	return n;
}

int ul_plot_results(const char *csv_path, const char *png_path, jv *err)
{
	struct ul_csv t;
	if (ul_csv_read(csv_path, &t, err))
		return -1;
	int *order = malloc(sizeof *order * 3 * t.cols);
	double *x = malloc(sizeof *x * t.rows * 3), *y = x + t.rows, *smooth = y + t.rows;
	struct ul_canvas c = { 0 };
	int n = order ? result_columns(&t, order, order + t.cols) : 0, rc = -1;
	if (!order || !x || (n && n <= MAX_CHARTS && ul_canvas_init(&c, (n + 2) * 100, 600, UL_WHITE))) {
		ul_invalid(err, "%s: out of memory", png_path);
		goto done;
	}
	if (!n) {
		ul_invalid(err, "%s: no loss or metric columns to plot", csv_path);
		goto done;
	}
	if (n > MAX_CHARTS) {
		ul_invalid(err, "%s: %d loss and metric columns, too many to plot", csv_path, n);
		goto done;
	}
	/* the series' legend name, as Ultralytics': the file's name less its extension */
	const char *slash = strrchr(csv_path, '/'), *base = slash ? slash + 1 : csv_path, *dot = strrchr(base, '.');
	char stem[64];
	snprintf(stem, sizeof stem, "%.*s", (int)(dot && dot > base ? dot - base : (long)strlen(base)), base);
	int per_row = (n + 1) / 2, cell_w = c.w / per_row, cell_h = c.h / 2;
	for (int i = 0; i < t.rows; i++)
		x[i] = t.v[(size_t)i * t.cols];
	for (int k = 0; k < n; k++) {
		for (int i = 0; i < t.rows; i++)
			y[i] = t.v[(size_t)i * t.cols + order[k]];
		if (ul_smooth_gaussian(y, t.rows, 3, smooth)) {
			ul_invalid(err, "%s: out of memory", png_path);
			goto done;
		}
		struct ul_axes a = { &c, 0, 0, 0, 0, 0, 0, 0, 0, PT(10) };
		int cx = k % per_row * cell_w, cy = k / per_row * cell_h;
		a.y0 = cy + 34, a.y1 = cy + cell_h - 30;
		ul_axes_range(x, t.rows, &a.xmin, &a.xmax);
		ul_axes_range(y, t.rows, &a.ymin, &a.ymax);
		a.x0 = cx + 16 + (int)ul_axes_ytick_width(&a), a.x1 = cx + cell_w - 10;
		ul_axes_draw(&a);
		ul_axes_titles(&a, t.names[order[k]], NULL, NULL, PT(12));
		struct ul_stroke line = { ul_series_color[0], LW(2), 0, 0 }, dots = { ul_series_color[1], LW(2), 0.1f, LW(3.3f) };
		ul_axes_line(&a, x, y, t.rows, line);
		ul_axes_markers(&a, x, y, t.rows, LW(2), line.color);
		ul_axes_line(&a, x, smooth, t.rows, dots);
		if (k == 1) {
			struct ul_legend_item items[2] = { { stem, line, LW(2) }, { "smooth", dots, 0 } };
			int w, h, lx = 0, ly = 0;
			ul_legend_size(items, 2, PT(10), &w, &h);
			legend_corner(&a, x, y, t.rows, w, h, &lx, &ly);
			ul_legend(&c, lx, ly, items, 2, PT(10));
		}
	}
	rc = ul_png_write(&c, png_path, err);
done:
	ul_canvas_free(&c);
	free(order), free(x);
	ul_csv_free(&t);
	return rc;
}

/* --- the curves -------------------------------------------------------------- */

#define FEW_CLASSES 21  /* fewer: a colour and a legend line per class */
#define N UL_CURVE_POINTS

struct curve {
	const char *file, *title, *xlabel, *ylabel;
	double (*y)[N];  /* per class */
	bool pr;         /* the mean as it is, labelled with mAP50; else smoothed, with its best */
};

static int curve_png(const struct ul_val_metrics *m, const char *const *names, int nnames, const struct curve *p,
		     const char *dir, jv *err)
{
	int nc = m->nclasses, few = nc < FEW_CLASSES, ni = 0;
	double grid[N], mean[N], smooth[N];
	for (int g = 0; g < N; g++) {
		grid[g] = (double)g / (N - 1), mean[g] = 0;
		for (int k = 0; k < nc; k++)
			mean[g] += p->y[k][g] / nc;
	}
	struct ul_legend_item items[FEW_CLASSES + 1];
	char labels[FEW_CLASSES + 1][96], number[16];
	struct ul_stroke thin = { UL_GREY, LW(1), 0, 0 }, thick = { UL_BLUE, LW(3), 0, 0 };
	for (int k = 0; few && k < nc; k++) {
		const char *name = class_name(names, nnames, m->classes[k], number, sizeof number);
		if (p->pr)
			snprintf(labels[ni], sizeof labels[ni], "%.24s %.3f", name, m->ap[k][0]);
		else
			snprintf(labels[ni], sizeof labels[ni], "%.24s", name);
		thin.color = ul_series_color[k % UL_SERIES_COLORS];
		items[ni] = (struct ul_legend_item){ labels[ni], thin, 0 }, ni++;
	}
	const double *shown = mean;
	if (p->pr) {
		snprintf(labels[ni], sizeof labels[ni], "all classes %.3f mAP@0.5", m->map50);
	} else {
		ul_smooth_box(mean, N, 0.1, smooth);
		int best = 0;
		for (int g = 1; g < N; g++)
			best = smooth[g] > smooth[best] ? g : best;
		snprintf(labels[ni], sizeof labels[ni], "all classes %.2f at %.3f", smooth[best], grid[best]);
		shown = smooth;
	}
	items[ni] = (struct ul_legend_item){ labels[ni], thick, 0 }, ni++;

	struct ul_canvas c;
	if (ul_canvas_init(&c, 900, 600, UL_WHITE))
		return ul_invalid(err, "%s/%s: out of memory", dir, p->file);
	int lw, lh;
	ul_legend_size(items, ni, PT(10), &lw, &lh);
	struct ul_axes a = { &c, 0, 40, c.w - 12 - lw - 24, c.h - 56, 0, 1, 0, 1, PT(10) };
	a.x0 = 12 + (int)(ul_text_height(PT(10)) + ul_axes_ytick_width(&a)) + 24;
	for (int k = 0; k < nc; k++) {
		thin.color = few ? ul_series_color[k % UL_SERIES_COLORS] : UL_GREY;
		ul_axes_line(&a, grid, p->y[k], N, thin);
	}
	ul_axes_line(&a, grid, shown, N, thick);
	ul_axes_draw(&a);
	ul_axes_titles(&a, p->title, NULL, NULL, PT(12));
	ul_axes_titles(&a, NULL, p->xlabel, p->ylabel, PT(10));
	ul_legend(&c, a.x1 + 24, a.y0, items, ni, PT(10));
	return save(&c, dir, p->file, err);
}

int ul_plot_curves(const struct ul_val_metrics *m, const char *const *names, int nnames, const char *dir, jv *err)
{
	const struct ul_val_curves *k = &m->curves;
	if (m->nclasses && (!k->pr || !k->p || !k->r || !k->f1))
		return ul_invalid(err, "%s: the metrics hold no curves to plot (ul_val_metrics_curves makes them)", dir);
	const struct curve curves[4] = {
		{ "BoxPR_curve.png", "Precision-Recall Curve", "Recall", "Precision", k->pr, true },
		{ "BoxF1_curve.png", "F1-Confidence Curve", "Confidence", "F1", k->f1, false },
		{ "BoxP_curve.png", "Precision-Confidence Curve", "Confidence", "Precision", k->p, false },
		{ "BoxR_curve.png", "Recall-Confidence Curve", "Confidence", "Recall", k->r, false },
	};
	for (int i = 0; i < 4; i++)
		if (curve_png(m, names, nnames, &curves[i], dir, err))
			return -1;
	return 0;
}

/* --- the confusion matrix ------------------------------------------------------ */

#define CELL_TEXT 30   /* fewer rows: each cell's value written in it */
#define TICK_TEXT 99   /* fewer: the class names along the axes */

/* The rows and columns kept of the (nc + 1)-square matrix m into v (n x n):
 * every step-th class, then background; shares under 0.005 as NaN, as
 * Ultralytics leaves them blank. The largest value kept. */
static double kept_cells(const double *m, int nc, int step, int n, double *v)
{
	double vmax = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			int si = i < n - 1 ? i * step : nc, sj = j < n - 1 ? j * step : nc;
			double x = m[(size_t)si * (nc + 1) + sj];
			v[(size_t)i * n + j] = x < 0.005 ? NAN : x;
			vmax = x >= 0.005 && x > vmax ? x : vmax;
		}
	return vmax;
}

static int matrix_png(const struct ul_confusion *m, const char *const *names, bool normalize, const char *dir, jv *err)
{
	const char *file = normalize ? "confusion_matrix_normalized.png" : "confusion_matrix.png";
	int nc = m->nc, step = nc >= 100 ? (nc / 60 > 2 ? nc / 60 : 2) : 1, n = (nc + step - 1) / step + 1;
	double *full = malloc(sizeof *full * (nc + 1) * (nc + 1)), *v = malloc(sizeof *v * n * n);
	struct ul_canvas c = { 0 };
	if (!full || !v || ul_canvas_init(&c, 1200, 900, UL_WHITE)) {
		free(full), free(v);
		return ul_invalid(err, "%s/%s: out of memory", dir, file);
	}
	if (normalize)
		ul_confusion_normalised(m, full);
	for (size_t i = 0; !normalize && i < (size_t)(nc + 1) * (nc + 1); i++)
		full[i] = (double)m->counts[i];
	double vmax = kept_cells(full, nc, step, n, v);
	free(full);

	/* Ultralytics' sizes, but titles no smaller than 10 points: at 100 dots
	 * an inch its 6 would not read */
	float tick = PT(fmaxf(6, 15 - 0.1f * n)), label = PT(fmaxf(10, 12 - 0.1f * n)), widest = 0;
	char numbers[TICK_TEXT][16];
	const char *ticks[TICK_TEXT];
	for (int i = 0; n < TICK_TEXT && i < n; i++) {
		ticks[i] = i == n - 1 ? "background" : class_name(names, nc, i * step, numbers[i], sizeof numbers[i]);
		widest = fmaxf(widest, ul_text_width(ticks[i], tick));
	}
	/* the matrix square, left and below it the names and axis labels,
	 * right of it the colour bar (4.6% of its side, 5% away) and numbers */
	int margin = 24 + (int)(ul_text_height(label) + widest) + 24, top = 24 + (int)ul_text_height(label) + 20;
	int right = 30 + (int)ul_text_width("0.00", PT(10));
	int room_w = (int)((c.w - margin - right) / 1.096f), room_h = c.h - top - margin;
	int side = room_w < room_h ? room_w : room_h;
	side = side < n ? n : side;
	float cell = (float)side / n;
	struct ul_heatmap h = { v, n, n, vmax, margin + (room_w - side) / 2, top + (room_h - side) / 2, cell };
	ul_heatmap_cells(&c, &h);
	if (n < CELL_TEXT) {
		const char *fmt = normalize ? "%.2f" : "%.0f";
		char text[32];
		snprintf(text, sizeof text, fmt, vmax);
		float fit = 0.85f * cell / ul_text_width(normalize ? "0.00" : text, 1), size = fminf(PT(10), fit);
		if (size >= 1)
			ul_heatmap_values(&c, &h, fmt, 0.45 * (normalize ? 1 : vmax), size);
	}
	struct ul_font f = { tick, UL_BLACK, UL_RIGHT | UL_MIDDLE, false };
	for (int i = 0; i < n; i++) {
		float mid = (i + 0.5f) * cell;
		ul_canvas_rect(&c, h.x - 5, h.y + (int)mid, h.x, h.y + (int)mid + 1, UL_BLACK);
		ul_canvas_rect(&c, h.x + (int)mid, h.y + side, h.x + (int)mid + 1, h.y + side + 5, UL_BLACK);
		if (n >= TICK_TEXT)
			continue;
		f.vertical = false;
		ul_text(&c, h.x - 9, h.y + mid, ticks[i], f);
		f.vertical = true;
		ul_text(&c, h.x + mid, h.y + side + 9, ticks[i], f);
	}
	int bar = h.x + side + (int)(0.05f * side);
	ul_colorbar(&c, bar, h.y, bar + (int)ceilf(0.046f * side), h.y + side, vmax, PT(10));
	struct ul_font t = { label, UL_BLACK, UL_CENTER | UL_BOTTOM, false };
	ul_text(&c, h.x + side / 2.0f, h.y - 20, normalize ? "Confusion Matrix Normalized" : "Confusion Matrix", t);
	t.align = UL_CENTER | UL_TOP;
	ul_text(&c, h.x + side / 2.0f, h.y + side + 9 + widest + 12, "True", t);
	t.align = UL_CENTER | UL_BOTTOM, t.vertical = true;
	ul_text(&c, h.x - 9 - widest - 12, h.y + side / 2.0f, "Predicted", t);
	free(v);
	return save(&c, dir, file, err);
}

int ul_plot_confusion(const struct ul_confusion *c, const char *const *names, const char *dir, jv *err)
{
	return matrix_png(c, names, false, dir, err) || matrix_png(c, names, true, dir, err) ? -1 : 0;
}
