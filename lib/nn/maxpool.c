#include "nn/maxpool.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

int ul_maxpool_out_h(const struct ul_maxpool *p)
{
	return (p->h + 2 * p->pad - p->k) / p->stride + 1;
}

int ul_maxpool_out_w(const struct ul_maxpool *p)
{
	return (p->w + 2 * p->pad - p->k) / p->stride + 1;
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

void ul_maxpool_forward(const struct ul_maxpool *p, const float *x, float *y, int32_t *argmax)
{
	int oh = ul_maxpool_out_h(p), ow = ul_maxpool_out_w(p), c = p->c;
	for (int b = 0; b < p->n; b++) {
		const float *xb = x + (size_t)b * p->h * p->w * c;
		for (int oy = 0; oy < oh; oy++) {
			/* the window clipped to the image: padding never wins */
			int y0 = max_int(oy * p->stride - p->pad, 0), y1 = min_int(oy * p->stride - p->pad + p->k, p->h);
			for (int ox = 0; ox < ow; ox++) {
				int x0 = max_int(ox * p->stride - p->pad, 0), x1 = min_int(ox * p->stride - p->pad + p->k, p->w);
				size_t out = (((size_t)b * oh + oy) * ow + ox) * c;
				float *best = y + out;
				int32_t *at = argmax ? argmax + out : NULL;
				/* PyTorch starts from -inf at the window's first pixel,
				 * so a window of -inf still routes somewhere real */
				for (int ch = 0; ch < c; ch++)
					best[ch] = -INFINITY;
				if (at)
					for (int ch = 0; ch < c; ch++)
						at[ch] = y0 * p->w + x0;
				/* channels innermost: NHWC rows are contiguous, and each
				 * channel still sees its window in scan order */
				for (int iy = y0; iy < y1; iy++)
					for (int ix = x0; ix < x1; ix++) {
						const float *v = xb + ((size_t)iy * p->w + ix) * c;
						for (int ch = 0; ch < c; ch++)
							if (v[ch] > best[ch] || isnan(v[ch])) {
								best[ch] = v[ch];
								if (at)
									at[ch] = iy * p->w + ix;
							}
					}
			}
		}
	}
}

void ul_maxpool_backward(const struct ul_maxpool *p, const int32_t *argmax, const float *dy, float *dx)
{
	size_t image = (size_t)p->h * p->w * p->c, outputs = (size_t)ul_maxpool_out_h(p) * ul_maxpool_out_w(p);
	memset(dx, 0, sizeof *dx * p->n * image);
	for (int b = 0; b < p->n; b++) {
		float *dxb = dx + b * image;
		const float *dyb = dy + b * outputs * p->c;
		const int32_t *ab = argmax + b * outputs * p->c;
		/* windows overlap when stride < k, so one pixel can collect
		 * several outputs' gradients */
		for (size_t o = 0; o < outputs; o++)
			for (int ch = 0; ch < p->c; ch++)
				dxb[(size_t)ab[o * p->c + ch] * p->c + ch] += dyb[o * p->c + ch];
	}
}
