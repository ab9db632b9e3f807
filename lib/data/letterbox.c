#include "data/letterbox.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* OpenCV's INTER_RESIZE_COEF_BITS: weights are fractions of 2048. */
#define COEF_ONE 2048

/* One destination pixel's two source pixels along an axis, and their
 * weights (which round separately, so they may sum to 2047 or 2049). */
struct tap {
	int first, second;
	short w0, w1;
};

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* OpenCV's source position: (d + 0.5) * scale - 0.5 in double (ISO C mode,
 * so no fused multiply-add), kept as a float; its floor is the first tap,
 * its fraction the second's weight, each weight rounded from float. Across
 * (x) a position outside the image is clamped to its edge with weights 1, 0;
 * down (y) OpenCV keeps the fraction and only clamps the rows, which its
 * truncating vertical pass can tell apart. */
static void axis_taps(int src, int dst, bool clamp_weights, struct tap *t)
{
	double scale = 1.0 / ((double)dst / src);  /* OpenCV inverts the inverse scale */
	for (int d = 0; d < dst; d++) {
		float f = (float)((d + 0.5) * scale - 0.5);
		int s = (int)floorf(f);
		f -= (float)s;
		if (clamp_weights && s < 0)
			s = 0, f = 0;
		if (clamp_weights && s >= src - 1)
			s = src - 1, f = 0;
		t[d].first = clamp(s, 0, src - 1);
		t[d].second = clamp(s + 1, 0, src - 1);
		t[d].w0 = (short)lrintf((1.0f - f) * COEF_ONE);
		t[d].w1 = (short)lrintf(f * COEF_ONE);
	}
}

/* The horizontal sums of source rows, two kept: rows only move down. */
struct row_sums {
	const unsigned char *src;
	size_t src_stride;
	const struct tap *x;
	int dst_w;
	int y[2];
	int *sum[2];
	int recent;
};

static const int *row_sums(struct row_sums *r, int y)
{
	int k = r->y[0] == y ? 0 : r->y[1] == y ? 1 : -1;
	if (k < 0) {
		k = 1 - r->recent;
		const unsigned char *row = r->src + (size_t)y * r->src_stride;
		int *sum = r->sum[k];
		for (int x = 0; x < r->dst_w; x++) {
			const unsigned char *a = row + (size_t)r->x[x].first * 3, *b = row + (size_t)r->x[x].second * 3;
			for (int c = 0; c < 3; c++)
				*sum++ = a[c] * r->x[x].w0 + b[c] * r->x[x].w1;
		}
		r->y[k] = y;
	}
	r->recent = k;
	return r->sum[k];
}

/* OpenCV's vertical pass, the form its SIMD code takes and uses on every
 * pixel: each sum loses 4 bits, is multiplied by its weight keeping the high
 * 16 bits of the product, and the two are added and rounded off 2 more bits
 * (22 in all, the truncations showing in the last bit). */
static void vertical(const int *s0, const int *s1, int w0, int w1, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = (((s0[i] >> 4) * w0) >> 16) + (((s1[i] >> 4) * w1) >> 16);
		v = (v + 2) >> 2;
		out[i] = (unsigned char)(v > 255 ? 255 : v);
	}
}

/* An exact halving both ways is OpenCV's INTER_AREA: the rounded mean of
 * each 2x2 block. */
static void halve(const unsigned char *src, size_t src_stride, unsigned char *dst, int dst_w, int dst_h, size_t dst_stride)
{
	for (int y = 0; y < dst_h; y++) {
		const unsigned char *a = src + (size_t)2 * y * src_stride, *b = a + src_stride;
		unsigned char *out = dst + (size_t)y * dst_stride;
		for (int x = 0; x < dst_w; x++, a += 6, b += 6)
			for (int c = 0; c < 3; c++)
				*out++ = (unsigned char)((a[c] + a[c + 3] + b[c] + b[c + 3] + 2) >> 2);
	}
}

int ul_resize_linear(const unsigned char *src, int src_w, int src_h, size_t src_stride,
		     unsigned char *dst, int dst_w, int dst_h, size_t dst_stride)
{
	if (src_w == dst_w && src_h == dst_h) {
		for (int y = 0; y < dst_h; y++)
			memcpy(dst + (size_t)y * dst_stride, src + (size_t)y * src_stride, (size_t)dst_w * 3);
		return 0;
	}
	if (src_w == 2 * dst_w && src_h == 2 * dst_h) {
		halve(src, src_stride, dst, dst_w, dst_h, dst_stride);
		return 0;
	}
	size_t width = (size_t)dst_w * 3;
	struct tap *tx = malloc(sizeof *tx * ((size_t)dst_w + (size_t)dst_h));
	int *sums = malloc(sizeof *sums * 2 * width);
	if (!tx || !sums) {
		free(tx);
		free(sums);
		return -1;
	}
	struct tap *ty = tx + dst_w;
	axis_taps(src_w, dst_w, true, tx);
	axis_taps(src_h, dst_h, false, ty);
	struct row_sums rows = { .src = src, .src_stride = src_stride, .x = tx, .dst_w = dst_w,
				 .y = { -1, -1 }, .sum = { sums, sums + width } };
	for (int y = 0; y < dst_h; y++) {
		const int *s0 = row_sums(&rows, ty[y].first), *s1 = row_sums(&rows, ty[y].second);
		vertical(s0, s1, ty[y].w0, ty[y].w1, dst + (size_t)y * dst_stride, width);
	}
	free(tx);
	free(sums);
	return 0;
}

void ul_long_side_size(int w, int h, int imgsz, int *new_w, int *new_h)
{
	double r = (double)imgsz / (w > h ? w : h);
	if (r == 1) {
		*new_w = w, *new_h = h;
		return;
	}
	/* the min: the long side times r can come out a hair over imgsz */
	*new_w = (int)fmin(ceil(w * r), imgsz);
	*new_h = (int)fmin(ceil(h * r), imgsz);
}

int ul_image_long_side(const struct ul_image *img, int imgsz, struct ul_image *out)
{
	ul_long_side_size(img->w, img->h, imgsz, &out->w, &out->h);
	out->rgb = malloc((size_t)out->w * out->h * 3);
	if (!out->rgb || ul_resize_linear(img->rgb, img->w, img->h, (size_t)img->w * 3, out->rgb, out->w, out->h,
					  (size_t)out->w * 3)) {
		ul_image_free(out);
		return -1;
	}
	return 0;
}

struct ul_letterbox ul_letterbox_plan(int src_w, int src_h, int dst_w, int dst_h, bool scaleup)
{
	struct ul_letterbox lb = { .src_w = src_w, .src_h = src_h, .dst_w = dst_w, .dst_h = dst_h };
	lb.ratio = fmin((double)dst_h / src_h, (double)dst_w / src_w);
	if (!scaleup)
		lb.ratio = fmin(lb.ratio, 1.0);
	/* nearbyint rounds half to even, as Python's round does */
	lb.new_w = (int)nearbyint(src_w * lb.ratio);
	lb.new_h = (int)nearbyint(src_h * lb.ratio);
	double dw = (dst_w - lb.new_w) / 2.0, dh = (dst_h - lb.new_h) / 2.0;
	lb.left = (int)nearbyint(dw - 0.1);
	lb.right = (int)nearbyint(dw + 0.1);
	lb.top = (int)nearbyint(dh - 0.1);
	lb.bottom = (int)nearbyint(dh + 0.1);
	return lb;
}

int ul_letterbox_u8(const struct ul_image *img, const struct ul_letterbox *lb, unsigned char *out)
{
	size_t stride = (size_t)lb->dst_w * 3;
	memset(out, UL_LETTERBOX_PAD, stride * lb->dst_h);
	return ul_resize_linear(img->rgb, img->w, img->h, (size_t)img->w * 3, out + lb->top * stride + (size_t)lb->left * 3,
				lb->new_w, lb->new_h, stride);
}

int ul_letterbox_f32(const struct ul_image *img, const struct ul_letterbox *lb, float *out)
{
	size_t n = (size_t)lb->dst_w * lb->dst_h * 3;
	unsigned char *frame = malloc(n);
	if (!frame || ul_letterbox_u8(img, lb, frame)) {
		free(frame);
		return -1;
	}
	float scaled[256];
	for (int v = 0; v < 256; v++)
		scaled[v] = (float)v / 255.0f;  /* a division, not a product with 1/255: torch divides */
	for (size_t i = 0; i < n; i++)
		out[i] = scaled[frame[i]];
	free(frame);
	return 0;
}

void ul_letterbox_box(const struct ul_letterbox *lb, const float box[4], float out[4])
{
	double sx = lb->src_w * lb->ratio, sy = lb->src_h * lb->ratio;
	out[0] = (float)(box[0] * sx + lb->left);
	out[1] = (float)(box[1] * sy + lb->top);
	out[2] = (float)(box[2] * sx);
	out[3] = (float)(box[3] * sy);
}
