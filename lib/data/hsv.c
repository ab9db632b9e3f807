#include "data/hsv.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/random.h"

/* OpenCV's hsv_shift: the division tables are fractions of 4096. */
#define HSV_SHIFT 12
#define HSV_HALF (1 << (HSV_SHIFT - 1))

/* OpenCV's hrange for 8-bit images: hue in [0, 180). */
#define HUE_RANGE 180

/* Pixels per block of OpenCV's vector HSV2RGB (AVX2: 4 x 8 floats). */
#define HSV2RGB_BLOCK 32

/* Pixels converted at a time, a number of blocks: in a buffer of their own,
 * so that the conversion never works in place. */
#define HSV_CHUNK 256

/* OpenCV's tables, rounded as cvRound does (to nearest, ties to even):
 * s = diff * 255 / v and h = h' * 180 / (6 diff) become products. Then
 * RandomHSV's tables of each channel's new value (the identity when only
 * converting), in ints so that the vectoriser can gather from them. */
struct hsv_tables {
	int sdiv[256], hdiv[256];
	int hue[256], sat[256], val[256];
};

static void hsv_tables(struct hsv_tables *t)
{
	t->sdiv[0] = t->hdiv[0] = 0;
	for (int i = 1; i < 256; i++) {
		t->sdiv[i] = (int)nearbyint((255 << HSV_SHIFT) / (double)i);
		t->hdiv[i] = (int)nearbyint((HUE_RANGE << HSV_SHIFT) / (6.0 * i));
	}
	for (int i = 0; i < 256; i++)
		t->hue[i] = t->sat[i] = t->val[i] = i;
}

static int max3(int a, int b, int c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }
static int min3(int a, int b, int c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }

static void rgb_to_hsv(const struct hsv_tables *restrict t, const unsigned char *rgb, unsigned char *hsv, size_t n)
{
	for (size_t i = 0; i < 3 * n; i += 3) {
		int r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
		int v = max3(r, g, b), diff = v - min3(r, g, b);
		int s = (diff * t->sdiv[v] + HSV_HALF) >> HSV_SHIFT;
		/* red wins a tie for the maximum, then green, as OpenCV's masks */
		int h = v == r ? g - b : v == g ? b - r + 2 * diff : r - g + 4 * diff;
		h = (h * t->hdiv[diff] + HSV_HALF) >> HSV_SHIFT;  /* arithmetic shift (gcc): rounds a negative h too */
		h += h < 0 ? HUE_RANGE : 0;
		hsv[i] = (unsigned char)t->hue[h], hsv[i + 1] = (unsigned char)t->sat[s], hsv[i + 2] = (unsigned char)t->val[v];
	}
}

void ul_rgb_to_hsv(const unsigned char *rgb, unsigned char *hsv, size_t n)
{
	struct hsv_tables t;
	hsv_tables(&t);
	rgb_to_hsv(&t, rgb, hsv, n);
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

/* One of a sector's values as a sum of the four, each weighted 1 or 0:
 * exact (one weight is 1 and every value finite), and without the
 * selects that gcc merges into a branch the vectoriser gives up on. The
 * value is t0 in sectors a and b, t2 in c, t3 in d, t1 in the rest. */
static inline float sector_pick(int k, int a, int b, int c, int d, float t0, float t1, float t2, float t3)
{
	return t0 * (float)((k == a) | (k == b)) + t2 * (float)(k == c) + t3 * (float)(k == d) +
	       t1 * (float)((k != a) & (k != b) & (k != c) & (k != d));
}

static unsigned char clamp_truncated(float v)
{
	int i = (int)v;
	return (unsigned char)(i < 0 ? 0 : i > 255 ? 255 : i);
}

/* OpenCV's vector code over n pixels, a number of its blocks: sector trunc(h / 30) less its
 * multiples of 6 (found through a product with 1/6), the sector's values
 * picked as SECTOR_RGB's rows say, every value truncated to a byte. */
static void hsv_to_rgb_blocks(const unsigned char *restrict in, unsigned char *restrict out, int n, const float hscale)
{
	for (int i = 0; i < n; i++) {
		float h = in[3 * i] * hscale, s = in[3 * i + 1] * (1.0f / 255.0f), v = in[3 * i + 2] * (1.0f / 255.0f);
		float pre = truncf(h), f = h - pre;
		float t0 = v, t1 = v * (1.0f - s), t2 = v * fmaf(-s, f, 1.0f), t3 = v * fmaf(-s, 1.0f - f, 1.0f);
		int k = (int)(pre - truncf(pre * (1.0f / 6.0f)) * 6.0f);
		out[3 * i] = clamp_truncated(sector_pick(k, 0, 5, 1, 4, t0, t1, t2, t3) * 255.0f);
		out[3 * i + 1] = clamp_truncated(sector_pick(k, 1, 2, 3, 0, t0, t1, t2, t3) * 255.0f);
		out[3 * i + 2] = clamp_truncated(sector_pick(k, 3, 4, 5, 2, t0, t1, t2, t3) * 255.0f);
	}
}

/* h rows of w pixels back to RGB, each row's blocks through the vector
 * code, its rest through the scalar one. From HSV, or from RGB through t
 * (the whole of RandomHSV while a block is in the cache). In place when
 * in == out. */
static void hsv_rows(const unsigned char *in, unsigned char *out, int w, int h, const struct hsv_tables *from_rgb)
{
	const float hscale = 6.0f / HUE_RANGE;
	unsigned char chunk[3 * HSV_CHUNK];
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x += HSV_CHUNK) {
			size_t at = 3 * ((size_t)y * w + x);
			int n = w - x < HSV_CHUNK ? w - x : HSV_CHUNK, blocks = n - n % HSV2RGB_BLOCK;
			if (from_rgb)
				rgb_to_hsv(from_rgb, in + at, chunk, (size_t)n);
			else
				memcpy(chunk, in + at, 3 * (size_t)n);
			hsv_to_rgb_blocks(chunk, out + at, blocks, hscale);
			for (int i = blocks; i < n; i++)
				hsv_to_rgb_tail(chunk + 3 * i, out + at + 3 * i, hscale);
		}
}

void ul_hsv_to_rgb(const unsigned char *hsv, unsigned char *rgb, int w, int h)
{
	hsv_rows(hsv, rgb, w, h, NULL);
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
	struct hsv_tables t;
	hsv_tables(&t);
	for (int x = 0; x < 256; x++) {
		double hx = fmod(x + r[0] * HUE_RANGE, HUE_RANGE);
		t.hue[x] = to_byte(hx < 0 ? hx + HUE_RANGE : hx);
		t.sat[x] = to_byte(fmin(fmax(x * (r[1] + 1), 0), 255));
		t.val[x] = to_byte(fmin(fmax(x * (r[2] + 1), 0), 255));
	}
	hsv_rows(img->rgb, img->rgb, img->w, img->h, &t);
}

void ul_random_hsv(struct ul_image *img, double hgain, double sgain, double vgain, uint64_t *rng)
{
	if (!hgain && !sgain && !vgain)
		return;
	double r[3];
	ul_hsv_gains(rng, hgain, sgain, vgain, r);
	ul_hsv_apply(img, r);
}
