#include "data/hsv.h"

#include <math.h>
#include <stdbool.h>

#include "core/random.h"

/* OpenCV's hsv_shift: the division tables are fractions of 4096. */
#define HSV_SHIFT 12
#define HSV_HALF (1 << (HSV_SHIFT - 1))

/* OpenCV's hrange for 8-bit images: hue in [0, 180). */
#define HUE_RANGE 180

/* Pixels per block of OpenCV's vector HSV2RGB (AVX2: 4 x 8 floats). */
#define HSV2RGB_BLOCK 32

/* OpenCV's tables, rounded as cvRound does (to nearest, ties to even):
 * s = diff * 255 / v and h = h' * 180 / (6 diff) become products. */
struct hsv_tables {
	int sdiv[256], hdiv[256];
};

static void hsv_tables(struct hsv_tables *t)
{
	t->sdiv[0] = t->hdiv[0] = 0;
	for (int i = 1; i < 256; i++) {
		t->sdiv[i] = (int)nearbyint((255 << HSV_SHIFT) / (double)i);
		t->hdiv[i] = (int)nearbyint((HUE_RANGE << HSV_SHIFT) / (6.0 * i));
	}
}

static int max3(int a, int b, int c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }
static int min3(int a, int b, int c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }

void ul_rgb_to_hsv(const unsigned char *rgb, unsigned char *hsv, size_t n)
{
	struct hsv_tables t;
	hsv_tables(&t);
	for (size_t i = 0; i < 3 * n; i += 3) {
		int r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
		int v = max3(r, g, b), diff = v - min3(r, g, b);
		int s = (diff * t.sdiv[v] + HSV_HALF) >> HSV_SHIFT;
		/* red wins a tie for the maximum, then green, as OpenCV's masks */
		int h = v == r ? g - b : v == g ? b - r + 2 * diff : r - g + 4 * diff;
		h = (h * t.hdiv[diff] + HSV_HALF) >> HSV_SHIFT;  /* arithmetic shift (gcc): rounds a negative h too */
		h += h < 0 ? HUE_RANGE : 0;
		hsv[i] = (unsigned char)h, hsv[i + 1] = (unsigned char)s, hsv[i + 2] = (unsigned char)v;
	}
}

/* The corner values of a hue sector: v, v (1 - s), v (1 - s f) and
 * v (1 - s (1 - f)). OpenCV's build (gcc, FMA on in its AVX2 code) fuses
 * 1 - s f into one rounding in both its paths, 1 - s (1 - f) in the vector
 * one only: what every one of the 2^24 inputs, tried against it, says. The
 * unfused product stays unfused because -std=c11 keeps gcc from fusing. */
static void sector_values(float v, float s, float f, bool fuse_last, float tab[4])
{
	tab[0] = v;
	tab[1] = v * (1.0f - s);
	tab[2] = v * fmaf(-s, f, 1.0f);
	tab[3] = v * (fuse_last ? fmaf(-s, 1.0f - f, 1.0f) : 1.0f - s * (1.0f - f));
}

/* Which value each of R, G, B takes in each of the six sectors. */
static const unsigned char SECTOR_RGB[6][3] = { { 0, 3, 1 }, { 2, 0, 1 }, { 1, 0, 3 }, { 1, 2, 0 }, { 3, 1, 0 }, { 0, 1, 2 } };

static unsigned char clamp_byte(int v) { return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* OpenCV's scalar code: grey when s is 0, the hue through fmod, every
 * value rounded to a byte (ties to even, as cvRound). */
static void hsv_to_rgb_tail(const unsigned char *in, unsigned char *out, const float hscale)
{
	float s = in[1] * (1.0f / 255.0f), v = in[2] * (1.0f / 255.0f), tab[4] = { v, v, v, v };
	int sector = 0;
	if (s != 0) {
		float h = fmodf(in[0] * hscale, 6.0f);
		sector = (int)floorf(h);
		sector_values(v, s, h - (float)sector, false, tab);
	}
	for (int c = 0; c < 3; c++)
		out[c] = clamp_byte((int)lrintf(tab[SECTOR_RGB[sector][c]] * 255.0f));
}

/* OpenCV's vector code over n pixels: sector trunc(h / 30) less its
 * multiples of 6 (found through a product with 1/6), the sector's values
 * picked by selects (SECTOR_RGB's rows written out), every value truncated
 * to a byte. */
static void hsv_to_rgb_blocks(const unsigned char *in, unsigned char *out, size_t n, const float hscale)
{
	for (size_t i = 0; i < n; i++) {
		float h = in[3 * i] * hscale, s = in[3 * i + 1] * (1.0f / 255.0f), v = in[3 * i + 2] * (1.0f / 255.0f);
		float pre = truncf(h), f = h - pre;
		float t0 = v, t1 = v * (1.0f - s), t2 = v * fmaf(-s, f, 1.0f), t3 = v * fmaf(-s, 1.0f - f, 1.0f);
		int k = (int)(pre - truncf(pre * (1.0f / 6.0f)) * 6.0f);
		float r = (k == 0) | (k == 5) ? t0 : k == 1 ? t2 : k == 4 ? t3 : t1;
		float g = (k == 1) | (k == 2) ? t0 : k == 3 ? t2 : k == 0 ? t3 : t1;
		float b = (k == 3) | (k == 4) ? t0 : k == 5 ? t2 : k == 2 ? t3 : t1;
		int ri = (int)(r * 255.0f), gi = (int)(g * 255.0f), bi = (int)(b * 255.0f);
		out[3 * i] = (unsigned char)(ri < 0 ? 0 : ri > 255 ? 255 : ri);
		out[3 * i + 1] = (unsigned char)(gi < 0 ? 0 : gi > 255 ? 255 : gi);
		out[3 * i + 2] = (unsigned char)(bi < 0 ? 0 : bi > 255 ? 255 : bi);
	}
}

void ul_hsv_to_rgb(const unsigned char *hsv, unsigned char *rgb, int w, int h)
{
	const float hscale = 6.0f / HUE_RANGE;
	int blocks = w - w % HSV2RGB_BLOCK;
	for (int y = 0; y < h; y++) {
		size_t row = (size_t)y * w * 3;
		hsv_to_rgb_blocks(hsv + row, rgb + row, (size_t)blocks, hscale);
		for (int x = blocks; x < w; x++)
			hsv_to_rgb_tail(hsv + row + 3 * (size_t)x, rgb + row + 3 * (size_t)x, hscale);
	}
}

void ul_hsv_gains(uint64_t *rng, double hgain, double sgain, double vgain, double r[3])
{
	const double gain[3] = { hgain, sgain, vgain };
	for (int k = 0; k < 3; k++)
		r[k] = (-1 + 2 * ul_random_unit(rng)) * gain[k];
}

/* The value of x truncated to a byte, as numpy's astype(uint8) on [0, 255]. */
static unsigned char to_byte(double x) { return (unsigned char)x; }

void ul_hsv_apply(struct ul_image *img, const double r[3])
{
	unsigned char hue[256], sat[256], val[256];
	for (int x = 0; x < 256; x++) {
		double hx = fmod(x + r[0] * HUE_RANGE, HUE_RANGE);
		hue[x] = to_byte(hx < 0 ? hx + HUE_RANGE : hx);
		sat[x] = to_byte(fmin(fmax(x * (r[1] + 1), 0), 255));
		val[x] = to_byte(fmin(fmax(x * (r[2] + 1), 0), 255));
	}
	size_t n = (size_t)img->w * img->h;
	ul_rgb_to_hsv(img->rgb, img->rgb, n);
	for (size_t i = 0; i < 3 * n; i += 3)
		img->rgb[i] = hue[img->rgb[i]], img->rgb[i + 1] = sat[img->rgb[i + 1]], img->rgb[i + 2] = val[img->rgb[i + 2]];
	ul_hsv_to_rgb(img->rgb, img->rgb, img->w, img->h);
}

void ul_random_hsv(struct ul_image *img, double hgain, double sgain, double vgain, uint64_t *rng)
{
	if (!hgain && !sgain && !vgain)
		return;
	double r[3];
	ul_hsv_gains(rng, hgain, sgain, vgain, r);
	ul_hsv_apply(img, r);
}
