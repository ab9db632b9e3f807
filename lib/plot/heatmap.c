#include "plot/heatmap.h"

#include <math.h>
#include <stdio.h>

#include "plot/chart.h"
#include "plot/font.h"

struct ul_rgb ul_blues(double t)
{
	static const struct ul_rgb stops[9] = {
		{ 0xf7, 0xfb, 0xff }, { 0xde, 0xeb, 0xf7 }, { 0xc6, 0xdb, 0xef }, { 0x9e, 0xca, 0xe1 }, { 0x6b, 0xae, 0xd6 },
		{ 0x42, 0x92, 0xc6 }, { 0x21, 0x71, 0xb5 }, { 0x08, 0x51, 0x9c }, { 0x08, 0x30, 0x6b },
	};
	t = !(t > 0) ? 0 : t > 1 ? 1 : t;
	double at = t * 8;
	int i = at >= 8 ? 7 : (int)at;
	double f = at - i;
	struct ul_rgb a = stops[i], b = stops[i + 1];
	return (struct ul_rgb){ (unsigned char)lround(a.r + (b.r - a.r) * f), (unsigned char)lround(a.g + (b.g - a.g) * f),
				(unsigned char)lround(a.b + (b.b - a.b) * f) };
}

void ul_heatmap_cells(struct ul_canvas *c, const struct ul_heatmap *m)
{
	for (int i = 0; i < m->rows; i++)
		for (int j = 0; j < m->cols; j++) {
			double v = m->v[(size_t)i * m->cols + j];
			struct ul_rgb color = isnan(v) ? UL_WHITE : ul_blues(m->vmax > 0 ? v / m->vmax : 0);
			int x0 = m->x + (int)lroundf(j * m->cell), x1 = m->x + (int)lroundf((j + 1) * m->cell);
			int y0 = m->y + (int)lroundf(i * m->cell), y1 = m->y + (int)lroundf((i + 1) * m->cell);
			ul_canvas_rect(c, x0, y0, x1, y1, color);
		}
}

void ul_heatmap_values(struct ul_canvas *c, const struct ul_heatmap *m, const char *fmt, double light, float size)
{
	char text[32];
	for (int i = 0; i < m->rows; i++)
		for (int j = 0; j < m->cols; j++) {
			double v = m->v[(size_t)i * m->cols + j];
			if (isnan(v))
				continue;
			snprintf(text, sizeof text, fmt, v);
			struct ul_font f = { size, v > light ? UL_WHITE : UL_BLACK, UL_CENTER | UL_MIDDLE, false };
			ul_text(c, m->x + (j + 0.5f) * m->cell, m->y + (i + 0.5f) * m->cell, text, f);
		}
}

void ul_colorbar(struct ul_canvas *c, int x0, int y0, int x1, int y1, double vmax, float size)
{
	for (int y = y0; y < y1; y++)
		ul_canvas_rect(c, x0, y, x1, y + 1, ul_blues((y1 - 1 - y + 0.5) / (y1 - y0)));
	ul_canvas_frame(c, x0, y0, x1, y1, UL_BLACK);
	double top = vmax > 0 ? vmax : 1;  /* an empty matrix still reads 0 to 1 */
	struct ul_ticks t;
	ul_ticks(0, top, ul_tick_bins(y1 - y0, size, 1), &t);
	for (int i = 0; i < t.n; i++) {
		int y = (int)floorf(y1 - (float)(t.v[i] / top) * (y1 - y0));
		y = y >= y1 ? y1 - 1 : y;
		ul_canvas_rect(c, x1 + 1, y, x1 + 6, y + 1, UL_BLACK);
		ul_text(c, x1 + 10, y + 0.5f, t.text[i], (struct ul_font){ size, UL_BLACK, UL_LEFT | UL_MIDDLE, false });
	}
}
