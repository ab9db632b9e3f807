#include "data/multi_scale.h"

#include <math.h>
#include <stdlib.h>

#include "core/random.h"

static int lowest(int imgsz, double ms, int stride)
{
	int lo = (int)(imgsz * (1.0 - ms));
	return lo > stride ? lo : stride;
}

int ul_multi_scale_max(int imgsz, double ms, int stride)
{
	int hi = (int)(imgsz * (1.0 + ms) + stride) - 1;
	return hi / stride * stride;
}

void ul_multi_scale_shape(uint64_t *rng, int imgsz, double ms, int stride, int h, int w, int *new_h, int *new_w)
{
	int lo = lowest(imgsz, ms, stride), hi = (int)(imgsz * (1.0 + ms) + stride);
	int pick = lo + (int)(ul_random_unit(rng) * (hi - lo));
	int sz = (pick < hi ? pick : hi - 1) / stride * stride;
	double sf = (double)sz / (h > w ? h : w);
	*new_h = h, *new_w = w;
	if (sf != 1)
		*new_h = (int)ceil(h * sf / stride) * stride, *new_w = (int)ceil(w * sf / stride) * stride;
}

/* Where each output index reads along one axis: torch's source position
 * (d + 0.5) x in / out - 0.5, never below 0, its floor and the next index
 * (kept inside) and the weight of the next. */
static void taps(int in, int out, int *first, int *second, float *frac)
{
	float scale = (float)in / out;
	for (int d = 0; d < out; d++) {
		float src = (d + 0.5f) * scale - 0.5f;
		src = src < 0 ? 0 : src;
		int i0 = (int)src;
		first[d] = i0, second[d] = i0 + 1 < in ? i0 + 1 : in - 1, frac[d] = src - i0;
	}
}

int ul_resize_bilinear_f32(const float *in, int n, int h, int w, float *out, int new_h, int new_w)
{
	int *ty0 = malloc(sizeof *ty0 * new_h * 2), *tx0 = malloc(sizeof *tx0 * new_w * 2);
	float *fy = malloc(sizeof *fy * new_h), *fx = malloc(sizeof *fx * new_w);
	if (!ty0 || !tx0 || !fy || !fx) {
		free(ty0), free(tx0), free(fy), free(fx);
		return -1;
	}
	int *ty1 = ty0 + new_h, *tx1 = tx0 + new_w;
	taps(h, new_h, ty0, ty1, fy);
	taps(w, new_w, tx0, tx1, fx);
	for (int b = 0; b < n; b++) {
		const float *img = in + (size_t)b * h * w * 3;
		float *dst = out + (size_t)b * new_h * new_w * 3;
		for (int y = 0; y < new_h; y++) {
			const float *r0 = img + (size_t)ty0[y] * w * 3, *r1 = img + (size_t)ty1[y] * w * 3;
			for (int x = 0; x < new_w; x++)
				for (int c = 0; c < 3; c++) {
					float a = r0[tx0[x] * 3 + c] * (1 - fx[x]) + r0[tx1[x] * 3 + c] * fx[x];
					float b2 = r1[tx0[x] * 3 + c] * (1 - fx[x]) + r1[tx1[x] * 3 + c] * fx[x];
					*dst++ = a * (1 - fy[y]) + b2 * fy[y];
				}
		}
	}
	free(ty0), free(tx0), free(fy), free(fx);
	return 0;
}
