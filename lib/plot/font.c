#include "plot/font.h"

#include <math.h>
#include <string.h>

#include "plot/glyphs.h"

#define UP 4                          /* the enlargement: Scale2x twice */
#define SW (UL_GLYPH_W * UP)
#define SH (UL_GLYPH_H * UP)
#define SAMPLES 4                     /* per pixel, along each axis */

float ul_text_width(const char *text, float size)
{
	size_t n = strlen(text);
	return n ? (float)(UL_GLYPH_ADVANCE * n - 1) * size : 0;
}

float ul_text_height(float size)
{
	return UL_GLYPH_CAP * size;
}

/* Scale2x: each pixel becomes four, a corner taking its two neighbours'
 * value where they agree with each other and not with the other two. */
static void scale2x(const unsigned char *in, int w, int h, unsigned char *out)
{
#define AT(x, y) ((x) < 0 || (y) < 0 || (x) >= w || (y) >= h ? 0 : in[(y) * w + (x)])
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char p = AT(x, y), a = AT(x, y - 1), b = AT(x + 1, y), l = AT(x - 1, y), d = AT(x, y + 1);
			unsigned char *o = out + 2 * y * 2 * w + 2 * x;
			o[0] = l == a && l != d && a != b ? a : p;
			o[1] = a == b && a != l && b != d ? b : p;
			o[2 * w] = d == l && d != b && l != a ? l : p;
			o[2 * w + 1] = b == d && b != a && d != l ? d : p;
		}
#undef AT
}

static void enlarge(unsigned char ch, unsigned char out[SH][SW])
{
	int g = ch >= UL_GLYPH_FIRST && ch < UL_GLYPH_FIRST + UL_GLYPH_COUNT ? ch - UL_GLYPH_FIRST : '?' - UL_GLYPH_FIRST;
	unsigned char bits[UL_GLYPH_H * UL_GLYPH_W], twice[UL_GLYPH_H * UL_GLYPH_W * 4];
	for (int y = 0; y < UL_GLYPH_H; y++)
		for (int x = 0; x < UL_GLYPH_W; x++)
			bits[y * UL_GLYPH_W + x] = ul_glyphs[g][y] >> (UL_GLYPH_W - 1 - x) & 1;
	scale2x(bits, UL_GLYPH_W, UL_GLYPH_H, twice);
	scale2x(twice, 2 * UL_GLYPH_W, 2 * UL_GLYPH_H, &out[0][0]);
}

void ul_text(struct ul_canvas *c, float x, float y, const char *text, struct ul_font f)
{
	float s = f.size, len = ul_text_width(text, s), high = ul_text_height(s);
	if (!(s > 0 && s < 1000 && fabsf(x) < 1e6f && fabsf(y) < 1e6f && len < 1e6f))
		return;  /* nothing to see, and no pixel coordinate past an int */
	/* the box's top left corner in the text's own frame (u along, v down),
	 * whole pixels so that a whole size stays sharp */
	float u0 = -len * (f.align & 3) / 2, v0 = -high * (f.align >> 2 & 3) / 2;
	float ox = roundf(f.vertical ? x + v0 : x + u0), oy = roundf(f.vertical ? y - u0 : y + v0);
	unsigned char big[SH][SW];
	for (size_t i = 0; text[i]; i++) {
		if (text[i] == ' ')
			continue;
		enlarge((unsigned char)text[i], big);
		float gu = i * UL_GLYPH_ADVANCE * s, gw = UL_GLYPH_W * s, gh = UL_GLYPH_H * s;
		/* the glyph's pixels on the canvas */
		int x0 = (int)floorf(f.vertical ? ox : ox + gu), y0 = (int)floorf(f.vertical ? oy - gu - gw : oy);
		int x1 = (int)ceilf(f.vertical ? ox + gh : ox + gu + gw), y1 = (int)ceilf(f.vertical ? oy - gu : oy + gh);
		for (int py = y0; py < y1; py++)
			for (int px = x0; px < x1; px++) {
				int hits = 0;
				for (int sy = 0; sy < SAMPLES; sy++)
					for (int sx = 0; sx < SAMPLES; sx++) {
						float cx = px + (sx + 0.5f) / SAMPLES - ox, cy = py + (sy + 0.5f) / SAMPLES - oy;
						float u = (f.vertical ? -cy : cx) - gu, v = f.vertical ? cx : cy;
						int bx = (int)floorf(u / s * UP), by = (int)floorf(v / s * UP);
						hits += bx >= 0 && by >= 0 && bx < SW && by < SH && big[by][bx];
					}
				ul_canvas_blend(c, px, py, f.color, (float)hits / (SAMPLES * SAMPLES));
			}
	}
}
