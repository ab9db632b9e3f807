#include "nn/linear.h"

#include <stddef.h>

#include "nn/gemm.h"

void ul_linear_forward(const struct ul_linear *l, const float *x, const float *weight, const float *bias, float *y)
{
	ul_gemm(false, true, l->n, l->out, l->in, 1.0f, x, l->in, weight, l->in, 0.0f, y,
		    l->out);
	if (bias)
		for (int r = 0; r < l->n; r++)
			for (int o = 0; o < l->out; o++)
				y[(size_t)r * l->out + o] += bias[o];
}

void ul_linear_backward(const struct ul_linear *l, const float *x, const float *weight, const float *dy, float *dx,
			float *dweight, float *dbias)
{
	/* dweight (out x in) += dy^T (out x n) . x (n x in) */
	ul_gemm(true, false, l->out, l->in, l->n, 1.0f, dy, l->out, x, l->in, 1.0f,
		    dweight, l->in);
	/* dx (n x in) = dy (n x out) . weight (out x in) */
	if (dx)
		ul_gemm(false, false, l->n, l->in, l->out, 1.0f, dy, l->out, weight, l->in,
			    0.0f, dx, l->in);
	if (dbias)
		for (int r = 0; r < l->n; r++)
			for (int o = 0; o < l->out; o++)
				dbias[o] += dy[(size_t)r * l->out + o];
}

void ul_global_avgpool_forward(const struct ul_global_avgpool *p, const float *x, float *y)
{
	size_t pixels = (size_t)p->h * p->w;
	for (int b = 0; b < p->n; b++) {
		const float *xb = x + (size_t)b * pixels * p->c;
		float *yb = y + (size_t)b * p->c;
		for (int ch = 0; ch < p->c; ch++)
			yb[ch] = 0.0f;
		/* pixel by pixel, so the inner loop runs along a contiguous row */
		for (size_t q = 0; q < pixels; q++)
			for (int ch = 0; ch < p->c; ch++)
				yb[ch] += xb[q * p->c + ch];
		for (int ch = 0; ch < p->c; ch++)
			yb[ch] /= (float)pixels;
	}
}

void ul_global_avgpool_backward(const struct ul_global_avgpool *p, const float *dy, float *dx)
{
	size_t pixels = (size_t)p->h * p->w;
	for (int b = 0; b < p->n; b++)
		for (size_t q = 0; q < pixels; q++)
			for (int ch = 0; ch < p->c; ch++)
				dx[((size_t)b * pixels + q) * p->c + ch] = dy[(size_t)b * p->c + ch] / (float)pixels;
}
