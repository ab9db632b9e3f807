#include "nn/maxpool.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/parallel.h"

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

struct pooling {
	const struct ul_maxpool *p;
	const float *x, *dy;
	const int32_t *argmax_in;
	float *y, *dx;
	int32_t *argmax;
	int pieces;
};

/* Images [b0, b1). */
static void forward_images(const struct ul_maxpool *p, const float *x, float *y, int32_t *argmax, int b0, int b1)
{
	int oh = ul_maxpool_out_h(p), ow = ul_maxpool_out_w(p), c = p->c;
	for (int b = b0; b < b1; b++) {
		const float *xb = x + (size_t)b * p->h * p->w * c;
		for (int oy = 0; oy < oh; oy++) {
			/* the window clipped to the image: padding never wins */
			int y0 = max_int(oy * p->stride - p->pad, 0), y1 = min_int(oy * p->stride - p->pad + p->k, p->h);
			for (int ox = 0; ox < ow; ox++) {
				int x0 = max_int(ox * p->stride - p->pad, 0), x1 = min_int(ox * p->stride - p->pad + p->k, p->w);
				size_t out = (((size_t)b * oh + oy) * ow + ox) * c;
				float *restrict best = y + out;
				int32_t *restrict at = argmax ? argmax + out : NULL;
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
						const float *restrict v = xb + ((size_t)iy * p->w + ix) * c;
						int32_t here = iy * p->w + ix;
						/* selects, not branches, so the loops vectorise */
						if (at)
							for (int ch = 0; ch < c; ch++)
								at[ch] = v[ch] > best[ch] || isnan(v[ch]) ? here : at[ch];
						for (int ch = 0; ch < c; ch++)
							best[ch] = v[ch] > best[ch] || isnan(v[ch]) ? v[ch] : best[ch];
					}
			}
		}
	}
}

static void forward_piece(void *ctx, int i)
{
	const struct pooling *k = ctx;
	size_t begin, end;
	ul_parallel_piece((size_t)k->p->n, k->pieces, i, &begin, &end);
	forward_images(k->p, k->x, k->y, k->argmax, (int)begin, (int)end);
}

/* Pieces of whole images: backward's windows overlap within an image. */
static int image_pieces(const struct ul_maxpool *p)
{
	return ul_parallel_pieces((size_t)p->n, 1);
}

void ul_maxpool_forward(const struct ul_maxpool *p, const float *x, float *y, int32_t *argmax)
{
	struct pooling k = { .p = p, .x = x, .y = y, .argmax = argmax, .pieces = image_pieces(p) };
	ul_parallel_for(k.pieces, forward_piece, &k);
}

static void backward_images(const struct ul_maxpool *p, const int32_t *argmax, const float *dy, float *dx, int b0, int b1)
{
	size_t image = (size_t)p->h * p->w * p->c, outputs = (size_t)ul_maxpool_out_h(p) * ul_maxpool_out_w(p);
	memset(dx + b0 * image, 0, sizeof *dx * (size_t)(b1 - b0) * image);
	for (int b = b0; b < b1; b++) {
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

static void backward_piece(void *ctx, int i)
{
	const struct pooling *k = ctx;
	size_t begin, end;
	ul_parallel_piece((size_t)k->p->n, k->pieces, i, &begin, &end);
	backward_images(k->p, k->argmax_in, k->dy, k->dx, (int)begin, (int)end);
}

void ul_maxpool_backward(const struct ul_maxpool *p, const int32_t *argmax, const float *dy, float *dx)
{
	struct pooling k = { .p = p, .argmax_in = argmax, .dy = dy, .dx = dx, .pieces = image_pieces(p) };
	ul_parallel_for(k.pieces, backward_piece, &k);
}
