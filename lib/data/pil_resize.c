#include "data/pil_resize.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* PIL's PRECISION_BITS for 8-bit images: 32 - 8 - 2, room for a byte times
 * weights that may sum a little over 1. */
#define PRECISION_BITS 22

/* One axis: for each output pixel, its first source pixel, how many it
 * reads, and their weights in fixed point (ksize slots each). */
struct taps {
	int *first, *count, *weight;
	int ksize;
};

static void taps_free(struct taps *t)
{
	free(t->first), free(t->count), free(t->weight);
}

/* Pillow's precompute_coeffs with the bilinear filter, then
 * normalize_coeffs_8bpc: the same double expressions in the same order. */
static int taps_make(int in, int out, struct taps *t)
{
	double scale = (double)in / out, filterscale = scale < 1.0 ? 1.0 : scale;
	double support = 1.0 * filterscale, ss = 1.0 / filterscale;
	t->ksize = (int)ceil(support) * 2 + 1;
	t->first = malloc(sizeof *t->first * out);
	t->count = malloc(sizeof *t->count * out);
	t->weight = malloc(sizeof *t->weight * out * t->ksize);
	double *k = malloc(sizeof *k * t->ksize);
	if (!t->first || !t->count || !t->weight || !k) {
		free(k);
		taps_free(t);
		return -1;
	}
	for (int xx = 0; xx < out; xx++) {
		double center = (xx + 0.5) * scale, ww = 0.0;
		int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
		xmin = xmin < 0 ? 0 : xmin;
		xmax = (xmax > in ? in : xmax) - xmin;
		for (int x = 0; x < xmax; x++) {
			double d = fabs((x + xmin - center + 0.5) * ss);
			k[x] = d < 1.0 ? 1.0 - d : 0.0;
			ww += k[x];
		}
		int *w = t->weight + (size_t)xx * t->ksize;
		for (int x = 0; x < xmax; x++)
			w[x] = (int)(0.5 + (ww != 0.0 ? k[x] / ww : k[x]) * (1 << PRECISION_BITS));
		t->first[xx] = xmin, t->count[xx] = xmax;
	}
	free(k);
	return 0;
}

/* Rounded off the fixed point and clipped to a byte (PIL's clip8). */
static unsigned char clip8(int v)
{
	v >>= PRECISION_BITS;
	return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Rows first .. first + rows - 1 of src resampled across into dst. */
static void across(const unsigned char *src, size_t stride, int first, int rows, const struct taps *t, int dst_w,
		   unsigned char *dst)
{
	for (int y = 0; y < rows; y++) {
		const unsigned char *row = src + (size_t)(first + y) * stride;
		unsigned char *out = dst + (size_t)y * dst_w * 3;
		for (int x = 0; x < dst_w; x++) {
			const int *w = t->weight + (size_t)x * t->ksize;
			const unsigned char *p = row + (size_t)t->first[x] * 3;
			int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
			for (int i = 0; i < t->count[x]; i++, p += 3)
				s0 += p[0] * w[i], s1 += p[1] * w[i], s2 += p[2] * w[i];
			out[0] = clip8(s0), out[1] = clip8(s1), out[2] = clip8(s2);
			out += 3;
		}
	}
}

/* src (rows stride bytes apart) resampled down into dst_h rows of dst_w,
 * a source row at a time into sum (dst_w x 3 of them), which vectorises;
 * integer sums do not care about the order. */
static void down(const unsigned char *src, size_t stride, const struct taps *t, int dst_w, int dst_h,
		 unsigned char *dst, int *sum)
{
	size_t n = (size_t)dst_w * 3;
	for (int y = 0; y < dst_h; y++) {
		const int *w = t->weight + (size_t)y * t->ksize;
		const unsigned char *top = src + (size_t)t->first[y] * stride;
		for (size_t i = 0; i < n; i++)
			sum[i] = 1 << (PRECISION_BITS - 1);
		for (int k = 0; k < t->count[y]; k++) {
			const unsigned char *row = top + (size_t)k * stride;
			for (size_t i = 0; i < n; i++)
				sum[i] += row[i] * w[k];
		}
		for (size_t i = 0; i < n; i++)
			dst[n * y + i] = clip8(sum[i]);
	}
}

int ul_pil_resize(const unsigned char *src, int src_w, int src_h, size_t src_stride, unsigned char *dst, int dst_w,
		  int dst_h)
{
	/* an axis whose size stays is not resampled (its weights would be 1
	 * and 0: a copy), as PIL skips that pass */
	struct taps x = { 0 }, y = { 0 };
	bool across_too = dst_w != src_w, down_too = dst_h != src_h;
	if ((across_too && taps_make(src_w, dst_w, &x)) || (down_too && taps_make(src_h, dst_h, &y))) {
		taps_free(&x);
		return -1;
	}
	/* only the rows the vertical pass reads are resampled across */
	int first = down_too ? y.first[0] : 0;
	int rows = down_too ? y.first[dst_h - 1] + y.count[dst_h - 1] - first : src_h;
	const unsigned char *mid = src + (size_t)first * src_stride;
	size_t mid_stride = src_stride;
	unsigned char *temp = NULL;
	int rc = 0;
	if (across_too && !down_too) {
		across(src, src_stride, 0, src_h, &x, dst_w, dst);
	} else if (across_too) {
		if (!(temp = malloc((size_t)dst_w * 3 * rows))) {
			rc = -1;
		} else {
			across(src, src_stride, first, rows, &x, dst_w, temp);
			mid = temp, mid_stride = (size_t)dst_w * 3;
		}
	}
	int *sum = !rc && down_too ? malloc(sizeof *sum * dst_w * 3) : NULL;
	if (!rc && down_too && !sum) {
		rc = -1;
	} else if (!rc && down_too) {
		for (int k = 0; k < dst_h; k++)
			y.first[k] -= first;
		down(mid, mid_stride, &y, dst_w, dst_h, dst, sum);
	} else if (!rc && !across_too) {
		for (int r = 0; r < src_h; r++)
			memcpy(dst + (size_t)r * dst_w * 3, src + (size_t)r * src_stride, (size_t)dst_w * 3);
	}
	free(temp), free(sum);
	taps_free(&x), taps_free(&y);
	return rc;
}
