#include "data/classify_augment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"
#include "data/flip.h"
#include "data/pil_resize.h"

#define PI 3.14159265358979323846
#define DEG_TO_RAD (PI / 180.0)  /* CPython's math.radians and math.degrees multiply by these */
#define RAD_TO_DEG (180.0 / PI)

int ul_classify_policy_from_name(const char *name, enum ul_classify_policy *out)
{
	if (!name || !*name)
		*out = UL_POLICY_NONE;
	else if (!strcmp(name, "randaugment"))
		*out = UL_POLICY_RANDAUGMENT;
	else if (!strcmp(name, "autoaugment"))
		*out = UL_POLICY_AUTOAUGMENT;
	else
		return -1;
	return 0;
}

static double uniform(uint64_t *rng, double lo, double hi)
{
	return lo + (hi - lo) * ul_random_unit(rng);
}

/* torch.randint(0, n): 0 .. n - 1. */
static int below(uint64_t *rng, int n)
{
	return (int)(ul_random_unit(rng) * n);
}

/* Python's round(x) to an int: half to even. */
static int round_even(double x)
{
	return (int)lrint(x);
}

/* --- the crop and the erasing ------------------------------------------------ */

struct ul_box ul_random_resized_crop(int w, int h, double area_lo, double area_hi, uint64_t *rng)
{
	const double lo = 3.0 / 4.0, hi = 4.0 / 3.0;
	double area = (double)w * h;
	for (int t = 0; t < 10; t++) {
		double target = area * uniform(rng, area_lo, area_hi), aspect = exp(uniform(rng, log(lo), log(hi)));
		int cw = round_even(sqrt(target * aspect)), ch = round_even(sqrt(target / aspect));
		if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
			int top = below(rng, h - ch + 1);
			return (struct ul_box){ below(rng, w - cw + 1), top, cw, ch };
		}
	}
	double in = (double)w / h;
	int cw = w, ch = h;
	if (in < lo)
		ch = round_even(cw / lo);
	else if (in > hi)
		cw = round_even(ch * hi);
	return (struct ul_box){ (w - cw) / 2, (h - ch) / 2, cw, ch };
}

bool ul_random_erasing(unsigned char *rgb, int w, int h, double p, uint64_t *rng, struct ul_box *box)
{
	*box = (struct ul_box){ 0 };
	if (!(ul_random_unit(rng) < p))
		return false;
	double area = (double)w * h;
	for (int t = 0; t < 10; t++) {
		double target = area * uniform(rng, 0.02, 0.33), aspect = exp(uniform(rng, log(0.3), log(3.3)));
		int eh = round_even(sqrt(target * aspect)), ew = round_even(sqrt(target / aspect));
		if (!(eh < h && ew < w))
			continue;
		int top = below(rng, h - eh + 1);
		*box = (struct ul_box){ below(rng, w - ew + 1), top, ew, eh };
		for (int y = top; y < top + eh; y++)
			memset(rgb + ((size_t)y * w + box->left) * 3, 0, (size_t)ew * 3);
		return true;
	}
	return false;
}

/* --- PIL's operations -------------------------------------------------------- */

/* Image.blend(degenerate, img, factor) into img, as ImagingBlend does it:
 * alpha in float; inside [0, 1] truncated, outside clipped too. */
static void blend(const unsigned char *degenerate, unsigned char *img, size_t n, double factor)
{
	float alpha = (float)factor;
	if (alpha == 1.0f)
		return;
	if (alpha == 0.0f) {
		memcpy(img, degenerate, n);
		return;
	}
	bool inside = alpha >= 0 && alpha <= 1.0;
	for (size_t i = 0; i < n; i++) {
		float v = degenerate[i] + alpha * (float)(img[i] - degenerate[i]);
		img[i] = inside ? (unsigned char)v : v <= 0.0f ? 0 : v >= 255.0f ? 255 : (unsigned char)v;
	}
}

/* convert("L"): ITU-R 601-2 luma in 16-bit fixed point, rounded. */
static unsigned char luma(const unsigned char *p)
{
	return (unsigned char)((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
}

/* ImageEnhance.Contrast's grey: the mean of the luma, rounded. */
static unsigned char mean_luma(const unsigned char *rgb, size_t pixels)
{
	double sum = 0;
	for (size_t i = 0; i < pixels; i++)
		sum += luma(rgb + 3 * i);
	return (unsigned char)(int)(sum / pixels + 0.5);
}

/* ImageFilter.SMOOTH (3x3: 1 around 5, over 13) as ImagingFilter3x3 runs
 * it in float, its border rows and columns copied; images under 3 pixels a
 * side are copied whole. */
static void smooth(const unsigned char *in, int w, int h, unsigned char *out)
{
	size_t row = (size_t)w * 3;
	memcpy(out, in, row * h);
	if (w < 3 || h < 3)
		return;
	float edge = 1.0f / 13.0f, centre = 5.0f / 13.0f;
	float k[9] = { edge, edge, edge, edge, centre, edge, edge, edge, edge };
	for (int y = 1; y < h - 1; y++)
		for (size_t x = 3; x < row - 3; x++) {
			const unsigned char *up = in + row * (y - 1) + x, *mid = up + row, *dn = mid + row;
			float s = 0.5f;
			s += (float)dn[-3] * k[0] + (float)dn[0] * k[1] + (float)dn[3] * k[2];
			s += (float)mid[-3] * k[3] + (float)mid[0] * k[4] + (float)mid[3] * k[5];
			s += (float)up[-3] * k[6] + (float)up[0] * k[7] + (float)up[3] * k[8];
			out[row * y + x] = s <= 0.0f ? 0 : s >= 255.0f ? 255 : (unsigned char)s;
		}
}

static void apply_lut(unsigned char *rgb, size_t pixels, const unsigned char lut[3][256])
{
	for (size_t i = 0; i < pixels * 3; i++)
		rgb[i] = lut[i % 3][rgb[i]];
}

static void histograms(const unsigned char *rgb, size_t pixels, long hist[3][256])
{
	memset(hist, 0, sizeof(long) * 3 * 256);
	for (size_t i = 0; i < pixels * 3; i++)
		hist[i % 3][rgb[i]]++;
}

/* ImageOps.autocontrast, no cutoff: each channel's range stretched to
 * 0 .. 255 (int() of double, clipped). */
static void autocontrast(unsigned char *rgb, size_t pixels)
{
	long hist[3][256];
	unsigned char lut[3][256];
	histograms(rgb, pixels, hist);
	for (int c = 0; c < 3; c++) {
		int lo = 0, hi = 255;
		while (lo < 255 && !hist[c][lo])
			lo++;
		while (hi > 0 && !hist[c][hi])
			hi--;
		double scale = hi > lo ? 255.0 / (hi - lo) : 1, offset = hi > lo ? -lo * scale : 0;
		for (int i = 0; i < 256; i++) {
			int v = (int)(i * scale + offset);
			lut[c][i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
	apply_lut(rgb, pixels, lut);
}

/* ImageOps.equalize: each channel through its cumulative histogram, in
 * steps of (pixels - the last level's) // 255. */
static void equalize(unsigned char *rgb, size_t pixels)
{
	long hist[3][256];
	unsigned char lut[3][256];
	histograms(rgb, pixels, hist);
	for (int c = 0; c < 3; c++) {
		long total = 0, last = 0;
		int levels = 0;
		for (int i = 0; i < 256; i++)
			if (hist[c][i])
				total += hist[c][i], last = hist[c][i], levels++;
		long step = levels > 1 ? (total - last) / 255 : 0, n = step / 2;
		for (int i = 0; i < 256; i++) {
			long v = step ? n / step : i;
			lut[c][i] = (unsigned char)(v > 255 ? 255 : v);  /* point() clips its table */
			n += hist[c][i];
		}
	}
	apply_lut(rgb, pixels, lut);
}

/* Python's round(x, 15), which Image.rotate puts its cosines through: the
 * correctly rounded decimal, read back. */
static double round15(double x)
{
	char text[64];
	snprintf(text, sizeof text, "%.15f", x);
	return strtod(text, NULL);
}

/* Image.transform(AFFINE, m, BILINEAR) of src into dst, fill 0: output
 * pixel centres mapped by m into the source, which must lie inside it; the
 * two rows and columns around interpolated in double and truncated. */
static void affine(const unsigned char *src, int w, int h, const double m[6], unsigned char *dst)
{
	size_t row = (size_t)w * 3;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char *out = dst + row * y + 3 * (size_t)x;
			double xin = m[0] * (x + 0.5) + m[1] * (y + 0.5) + m[2];
			double yin = m[3] * (x + 0.5) + m[4] * (y + 0.5) + m[5];
			if (xin < 0.0 || xin >= w || yin < 0.0 || yin >= h) {
				out[0] = out[1] = out[2] = 0;
				continue;
			}
			xin -= 0.5, yin -= 0.5;
			int sx = xin < 0.0 ? (int)floor(xin) : (int)xin, sy = yin < 0.0 ? (int)floor(yin) : (int)yin;
			double dx = xin - sx, dy = yin - sy;
			int x0 = sx < 0 ? 0 : sx, x1 = sx + 1 < w ? sx + 1 : w - 1;
			/* the row above clamped into the image; below it, only if there is one */
			const unsigned char *a = src + row * (sy < 0 ? 0 : sy), *b = sy + 1 < h ? src + row * (sy + 1) : NULL;
			for (int c = 0; c < 3; c++) {
				double v1 = a[3 * x0 + c] + (a[3 * x1 + c] - a[3 * x0 + c]) * dx, v2 = v1;
				if (b)
					v2 = b[3 * x0 + c] + (b[3 * x1 + c] - b[3 * x0 + c]) * dx;
				out[c] = (unsigned char)(v1 + (v2 - v1) * dy);
			}
		}
}

/* torchvision's _get_inverse_affine_matrix (scale 1), the same double
 * expressions in the same order. */
static void inverse_affine(double cx, double cy, double angle, double tx, double ty, double shear_x, double shear_y,
			   double m[6])
{
	double rot = angle * DEG_TO_RAD, sx = shear_x * DEG_TO_RAD, sy = shear_y * DEG_TO_RAD;
	double a = cos(rot - sy) / cos(sy);
	double b = -cos(rot - sy) * tan(sx) / cos(sy) - sin(rot);
	double c = sin(rot - sy) / cos(sy);
	double d = -sin(rot - sy) * tan(sx) / cos(sy) + cos(rot);
	m[0] = d, m[1] = -b, m[2] = 0.0, m[3] = -c, m[4] = a, m[5] = 0.0;
	m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
	m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
	m[2] += cx;
	m[5] += cy;
}

/* Image.rotate(angle, BILINEAR) about the centre, without expanding. */
static void rotation(double angle, int w, int h, double m[6])
{
	angle = fmod(angle, 360.0);
	angle = -((angle < 0 ? angle + 360.0 : angle) * DEG_TO_RAD);  /* Python's % takes the divisor's sign */
	double cx = w / 2.0, cy = h / 2.0;
	m[0] = round15(cos(angle)), m[1] = round15(sin(angle)), m[2] = 0.0;
	m[3] = round15(-sin(angle)), m[4] = round15(cos(angle)), m[5] = 0.0;
	m[2] = m[0] * -cx + m[1] * -cy + m[2];
	m[5] = m[3] * -cx + m[4] * -cy + m[5];
	m[2] += cx;
	m[5] += cy;
}

void ul_classify_op(unsigned char *rgb, int w, int h, enum ul_classify_op op, double magnitude, unsigned char *scratch)
{
	size_t pixels = (size_t)w * h, n = pixels * 3;
	double m[6];
	unsigned char lut[3][256];
	switch (op) {
	case UL_OP_IDENTITY:
		return;
	case UL_OP_SHEAR_X:
	case UL_OP_SHEAR_Y: {
		double shear = atan(magnitude) * RAD_TO_DEG;
		inverse_affine(0, 0, 0.0, 0, 0, op == UL_OP_SHEAR_X ? shear : 0.0, op == UL_OP_SHEAR_Y ? shear : 0.0, m);
		break;
	}
	case UL_OP_TRANSLATE_X:
	case UL_OP_TRANSLATE_Y: {
		double shift = (int)magnitude;
		inverse_affine(w * 0.5, h * 0.5, 0.0, op == UL_OP_TRANSLATE_X ? shift : 0, op == UL_OP_TRANSLATE_Y ? shift : 0,
			       0.0, 0.0, m);
		break;
	}
	case UL_OP_ROTATE:
		if (fmod(magnitude, 360.0) == 0)
			return;  /* Image.rotate copies */
		rotation(magnitude, w, h, m);
		break;
	case UL_OP_BRIGHTNESS:
		memset(scratch, 0, n);
		blend(scratch, rgb, n, 1.0 + magnitude);
		return;
	case UL_OP_COLOR:
		for (size_t i = 0; i < pixels; i++)
			memset(scratch + 3 * i, luma(rgb + 3 * i), 3);
		blend(scratch, rgb, n, 1.0 + magnitude);
		return;
	case UL_OP_CONTRAST:
		memset(scratch, mean_luma(rgb, pixels), n);
		blend(scratch, rgb, n, 1.0 + magnitude);
		return;
	case UL_OP_SHARPNESS:
		smooth(rgb, w, h, scratch);
		blend(scratch, rgb, n, 1.0 + magnitude);
		return;
	case UL_OP_POSTERIZE:
	case UL_OP_SOLARIZE:
	case UL_OP_INVERT:
		for (int i = 0; i < 256; i++) {
			int v = op == UL_OP_POSTERIZE ? i & ~((1 << (8 - (int)magnitude)) - 1)
				: op == UL_OP_INVERT || i >= magnitude ? 255 - i : i;
			lut[0][i] = lut[1][i] = lut[2][i] = (unsigned char)v;
		}
		apply_lut(rgb, pixels, lut);
		return;
	case UL_OP_AUTOCONTRAST:
		autocontrast(rgb, pixels);
		return;
	case UL_OP_EQUALIZE:
		equalize(rgb, pixels);
		return;
	}
	memcpy(scratch, rgb, n);
	affine(scratch, w, h, m, rgb);
}

/* linspace(0, top, bins)[bin] before torch's float32, from its float32 end. */
static double along(double top, int bin, int bins)
{
	return (float)top * (double)bin / (bins - 1);
}

static double exact_magnitude(enum ul_classify_op op, int bin, int bins, int w, int h, bool *sign)
{
	*sign = true;
	switch (op) {
	case UL_OP_SHEAR_X:
	case UL_OP_SHEAR_Y:
		return along(0.3, bin, bins);
	case UL_OP_TRANSLATE_X:
		return along(150.0 / 331.0 * w, bin, bins);
	case UL_OP_TRANSLATE_Y:
		return along(150.0 / 331.0 * h, bin, bins);
	case UL_OP_ROTATE:
		return along(30.0, bin, bins);
	case UL_OP_BRIGHTNESS:
	case UL_OP_COLOR:
	case UL_OP_CONTRAST:
	case UL_OP_SHARPNESS:
		return along(0.9, bin, bins);
	default:
		break;
	}
	*sign = false;
	if (op == UL_OP_POSTERIZE)  /* 8 - round(bin / ((bins - 1) / 4)) */
		return 8 - lrint(bin / ((bins - 1) / 4.0));
	if (op == UL_OP_SOLARIZE)   /* one division, so whole thresholds stay whole */
		return 255.0 * (bins - 1 - bin) / (bins - 1);
	return 0;
}

double ul_classify_magnitude(enum ul_classify_op op, int bin, int bins, int w, int h, bool *sign)
{
	return (float)exact_magnitude(op, bin, bins, w, h, sign);
}

/* Op at that bin of bins, its sign drawn when it has one; negative when
 * the draw is `negative`. */
static void draw_op(unsigned char *rgb, int w, int h, enum ul_classify_op op, int bin, int bins, uint64_t *rng,
		    unsigned char *scratch)
{
	bool sign;
	double magnitude = ul_classify_magnitude(op, bin, bins, w, h, &sign);
	if (sign && below(rng, 2))
		magnitude = -magnitude;
	ul_classify_op(rgb, w, h, op, magnitude, scratch);
}

void ul_randaugment(unsigned char *rgb, int w, int h, uint64_t *rng, unsigned char *scratch)
{
	for (int k = 0; k < 2; k++)
		draw_op(rgb, w, h, (enum ul_classify_op)below(rng, UL_OP_EQUALIZE + 1), 9, 31, rng, scratch);
}

/* AutoAugmentPolicy.IMAGENET: 25 pairs of (op, chance, bin of 10; -1 none). */
static const struct {
	enum ul_classify_op op;
	float p;
	int bin;
} imagenet[25][2] = {
	{ { UL_OP_POSTERIZE, 0.4f, 8 }, { UL_OP_ROTATE, 0.6f, 9 } },
	{ { UL_OP_SOLARIZE, 0.6f, 5 }, { UL_OP_AUTOCONTRAST, 0.6f, -1 } },
	{ { UL_OP_EQUALIZE, 0.8f, -1 }, { UL_OP_EQUALIZE, 0.6f, -1 } },
	{ { UL_OP_POSTERIZE, 0.6f, 7 }, { UL_OP_POSTERIZE, 0.6f, 6 } },
	{ { UL_OP_EQUALIZE, 0.4f, -1 }, { UL_OP_SOLARIZE, 0.2f, 4 } },
	{ { UL_OP_EQUALIZE, 0.4f, -1 }, { UL_OP_ROTATE, 0.8f, 8 } },
	{ { UL_OP_SOLARIZE, 0.6f, 3 }, { UL_OP_EQUALIZE, 0.6f, -1 } },
	{ { UL_OP_POSTERIZE, 0.8f, 5 }, { UL_OP_EQUALIZE, 1.0f, -1 } },
	{ { UL_OP_ROTATE, 0.2f, 3 }, { UL_OP_SOLARIZE, 0.6f, 8 } },
	{ { UL_OP_EQUALIZE, 0.6f, -1 }, { UL_OP_POSTERIZE, 0.4f, 6 } },
	{ { UL_OP_ROTATE, 0.8f, 8 }, { UL_OP_COLOR, 0.4f, 0 } },
	{ { UL_OP_ROTATE, 0.4f, 9 }, { UL_OP_EQUALIZE, 0.6f, -1 } },
	{ { UL_OP_EQUALIZE, 0.0f, -1 }, { UL_OP_EQUALIZE, 0.8f, -1 } },
	{ { UL_OP_INVERT, 0.6f, -1 }, { UL_OP_EQUALIZE, 1.0f, -1 } },
	{ { UL_OP_COLOR, 0.6f, 4 }, { UL_OP_CONTRAST, 1.0f, 8 } },
	{ { UL_OP_ROTATE, 0.8f, 8 }, { UL_OP_COLOR, 1.0f, 2 } },
	{ { UL_OP_COLOR, 0.8f, 8 }, { UL_OP_SOLARIZE, 0.8f, 7 } },
	{ { UL_OP_SHARPNESS, 0.4f, 7 }, { UL_OP_INVERT, 0.6f, -1 } },
	{ { UL_OP_SHEAR_X, 0.6f, 5 }, { UL_OP_EQUALIZE, 1.0f, -1 } },
	{ { UL_OP_COLOR, 0.4f, 0 }, { UL_OP_EQUALIZE, 0.6f, -1 } },
	{ { UL_OP_EQUALIZE, 0.4f, -1 }, { UL_OP_SOLARIZE, 0.2f, 4 } },
	{ { UL_OP_SOLARIZE, 0.6f, 5 }, { UL_OP_AUTOCONTRAST, 0.6f, -1 } },
	{ { UL_OP_INVERT, 0.6f, -1 }, { UL_OP_EQUALIZE, 1.0f, -1 } },
	{ { UL_OP_COLOR, 0.6f, 4 }, { UL_OP_CONTRAST, 1.0f, 8 } },
	{ { UL_OP_EQUALIZE, 0.8f, -1 }, { UL_OP_EQUALIZE, 0.6f, -1 } },
};

void ul_autoaugment(unsigned char *rgb, int w, int h, uint64_t *rng, unsigned char *scratch)
{
	int k = below(rng, 25);
	for (int i = 0; i < 2; i++) {
		/* torch.rand draws a float32, compared with the chance as one */
		if ((float)ul_random_unit(rng) <= imagenet[k][i].p)
			draw_op(rgb, w, h, imagenet[k][i].op, imagenet[k][i].bin < 0 ? 0 : imagenet[k][i].bin, 10, rng, scratch);
	}
}

/* --- ColorJitter's hue: PIL's 8-bit HSV, as Convert.c rounds it --------------- */

static void rgb_to_hsv(const unsigned char *in, unsigned char *out)
{
	unsigned char r = in[0], g = in[1], b = in[2];
	unsigned char max = r > g ? (r > b ? r : b) : (g > b ? g : b), min = r < g ? (r < b ? r : b) : (g < b ? g : b);
	out[2] = max;
	if (min == max) {
		out[0] = out[1] = 0;
		return;
	}
	float cr = (float)(max - min), s = cr / (float)max, h;
	float rc = (float)(max - r) / cr, gc = (float)(max - g) / cr, bc = (float)(max - b) / cr;
	if (r == max)
		h = bc - gc;
	else if (g == max)
		h = (float)(2.0 + rc - bc);
	else
		h = (float)(4.0 + gc - rc);
	h = (float)fmod(h / 6.0 + 1.0, 1.0);
	int hv = (int)(h * 255.0), sv = (int)(s * 255.0);
	out[0] = (unsigned char)(hv < 0 ? 0 : hv > 255 ? 255 : hv);
	out[1] = (unsigned char)(sv < 0 ? 0 : sv > 255 ? 255 : sv);
}

static unsigned char clip_round(double v)
{
	int r = (int)round(v);
	return (unsigned char)(r < 0 ? 0 : r > 255 ? 255 : r);
}

static void hsv_to_rgb(const unsigned char *in, unsigned char *out)
{
	unsigned char h = in[0], s = in[1], v = in[2];
	if (s == 0) {
		out[0] = out[1] = out[2] = v;
		return;
	}
	int i = (int)floor((float)h * 6.0 / 255.0);
	float f = (float)((float)h * 6.0 / 255.0 - (float)i), fs = (float)((float)s / 255.0);
	unsigned char p = clip_round((float)v * (1.0 - fs)), q = clip_round((float)v * (1.0 - fs * f));
	unsigned char t = clip_round((float)v * (1.0 - fs * (1.0 - f)));
	const unsigned char rgb[6][3] = { { v, t, p }, { q, v, p }, { p, v, t }, { p, q, v }, { t, p, v }, { v, p, q } };
	memcpy(out, rgb[i % 6], 3);
}

void ul_adjust_hue(unsigned char *rgb, size_t pixels, double factor)
{
	/* numpy's uint8 of a float truncates, then wraps */
	unsigned char shift = (unsigned char)(long)(factor * 255), hsv[3];
	for (size_t i = 0; i < pixels; i++) {
		rgb_to_hsv(rgb + 3 * i, hsv);
		hsv[0] = (unsigned char)(hsv[0] + shift);
		hsv_to_rgb(hsv, rgb + 3 * i);
	}
}

void ul_color_jitter(unsigned char *rgb, int w, int h, double brightness, double contrast, double saturation,
		     double hue, uint64_t *rng, unsigned char *scratch)
{
	int order[4] = { 0, 1, 2, 3 };
	for (int i = 3; i > 0; i--) {
		int j = below(rng, i + 1), t = order[i];
		order[i] = order[j], order[j] = t;
	}
	/* factors drawn as get_params does, each only for a jitter asked for */
	double b = brightness > 0 ? uniform(rng, fmax(0, 1 - brightness), 1 + brightness) : 1;
	double c = contrast > 0 ? uniform(rng, fmax(0, 1 - contrast), 1 + contrast) : 1;
	double s = saturation > 0 ? uniform(rng, fmax(0, 1 - saturation), 1 + saturation) : 1;
	double hf = hue > 0 ? uniform(rng, -hue, hue) : 0;
	const enum ul_classify_op ops[3] = { UL_OP_BRIGHTNESS, UL_OP_CONTRAST, UL_OP_COLOR };
	const double factors[3] = { b, c, s }, asked[4] = { brightness, contrast, saturation, hue };
	for (int k = 0; k < 4; k++) {
		if (!(asked[order[k]] > 0))
			continue;
		if (order[k] == 3)
			ul_adjust_hue(rgb, (size_t)w * h, hf);
		else
			ul_classify_op(rgb, w, h, ops[order[k]], factors[order[k]] - 1, scratch);
	}
}

/* --- the transforms ---------------------------------------------------------- */

int ul_classify_train(const struct ul_classify_augment *a, const struct ul_image *img, int imgsz, uint64_t *rng,
		      unsigned char *out)
{
	struct ul_box c = ul_random_resized_crop(img->w, img->h, 1 - a->scale, 1, rng);
	size_t stride = (size_t)img->w * 3;
	unsigned char *scratch = malloc((size_t)imgsz * imgsz * 3);
	if (!scratch || ul_pil_resize(img->rgb + stride * c.top + (size_t)c.left * 3, c.w, c.h, stride, out, imgsz, imgsz)) {
		free(scratch);
		return -1;
	}
	/* the flips move only pixels: a sample without instances allocates nothing */
	struct ul_sample s = { .img = { imgsz, imgsz, out } };
	ul_random_flip(&s, UL_FLIP_HORIZONTAL, a->fliplr, NULL, rng);
	ul_random_flip(&s, UL_FLIP_VERTICAL, a->flipud, NULL, rng);
	if (a->policy == UL_POLICY_RANDAUGMENT)
		ul_randaugment(out, imgsz, imgsz, rng, scratch);
	else if (a->policy == UL_POLICY_AUTOAUGMENT)
		ul_autoaugment(out, imgsz, imgsz, rng, scratch);
	else
		ul_color_jitter(out, imgsz, imgsz, a->hsv_v, a->hsv_v, a->hsv_s, a->hsv_h, rng, scratch);
	struct ul_box erased;
	ul_random_erasing(out, imgsz, imgsz, a->erasing, rng, &erased);
	free(scratch);
	return 0;
}

int ul_classify_val(const struct ul_image *img, int imgsz, unsigned char *out)
{
	int w = img->w, h = img->h;
	bool tall = w <= h;
	int lng = (int)((double)imgsz * (tall ? h : w) / (tall ? w : h));
	int nw = tall ? imgsz : lng, nh = tall ? lng : imgsz;
	unsigned char *resized = malloc((size_t)nw * nh * 3);
	if (!resized || ul_pil_resize(img->rgb, w, h, (size_t)w * 3, resized, nw, nh)) {
		free(resized);
		return -1;
	}
	int top = round_even((nh - imgsz) / 2.0), left = round_even((nw - imgsz) / 2.0);
	for (int y = 0; y < imgsz; y++)
		memcpy(out + (size_t)y * imgsz * 3, resized + ((size_t)(top + y) * nw + left) * 3, (size_t)imgsz * 3);
	free(resized);
	return 0;
}
