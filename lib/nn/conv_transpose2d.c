#include "nn/conv_transpose2d.h"

#include <string.h>

#include "nn/gemm.h"

int ul_conv_transpose2d_out_h(const struct ul_conv_transpose2d *c)
{
	return (c->h - 1) * c->stride + c->k;
}

int ul_conv_transpose2d_out_w(const struct ul_conv_transpose2d *c)
{
	return (c->w - 1) * c->stride + c->k;
}

/* One image's column matrix: a row per input pixel, columns (out, ky, kx),
 * the weight's own order, so the weight is used as it is stored. */
static size_t cols(const struct ul_conv_transpose2d *c)
{
	return (size_t)c->c_out * c->k * c->k;
}

size_t ul_conv_transpose2d_workspace(const struct ul_conv_transpose2d *c)
{
	return (size_t)c->h * c->w * cols(c);
}

/* Adds each pixel's columns into the output block it covers. The inner loop
 * runs over output channels, contiguous in y; its reads from the row
 * (already in cache) stride by k k. */
static void col2im(const struct ul_conv_transpose2d *c, const float *patches, float *y)
{
	int ow = ul_conv_transpose2d_out_w(c), k = c->k, kk = k * k;
	size_t ncols = cols(c);
	for (int iy = 0; iy < c->h; iy++) {
		for (int ix = 0; ix < c->w; ix++) {
			const float *row = patches + ((size_t)iy * c->w + ix) * ncols;
			for (int ky = 0; ky < k; ky++) {
				for (int kx = 0; kx < k; kx++) {
					float *out = y + ((size_t)(iy * c->stride + ky) * ow + ix * c->stride + kx) * c->c_out;
					const float *col = row + ky * k + kx;
					for (int o = 0; o < c->c_out; o++)
						out[o] += col[(size_t)o * kk];
				}
			}
		}
	}
}

/* The transpose of col2im: gathers, for each input pixel, the output
 * gradient of the block it wrote. */
static void im2col(const struct ul_conv_transpose2d *c, const float *dy, float *patches)
{
	int ow = ul_conv_transpose2d_out_w(c), k = c->k, kk = k * k;
	size_t ncols = cols(c);
	for (int iy = 0; iy < c->h; iy++) {
		for (int ix = 0; ix < c->w; ix++) {
			float *row = patches + ((size_t)iy * c->w + ix) * ncols;
			for (int ky = 0; ky < k; ky++) {
				for (int kx = 0; kx < k; kx++) {
					const float *in = dy + ((size_t)(iy * c->stride + ky) * ow + ix * c->stride + kx) * c->c_out;
					float *col = row + ky * k + kx;
					for (int o = 0; o < c->c_out; o++)
						col[(size_t)o * kk] = in[o];
				}
			}
		}
	}
}

void ul_conv_transpose2d_forward(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
				 const float *bias, float *y, float *workspace)
{
	int m = c->h * c->w, ncols = (int)cols(c);
	size_t opix = (size_t)ul_conv_transpose2d_out_h(c) * ul_conv_transpose2d_out_w(c);
	for (int b = 0; b < c->n; b++) {
		float *yb = y + (size_t)b * opix * c->c_out;
		/* start from the bias: pixels no block reaches (s > k) keep it */
		if (bias)
			for (size_t p = 0; p < opix; p++)
				memcpy(yb + p * c->c_out, bias, sizeof *bias * c->c_out);
		else
			memset(yb, 0, sizeof *yb * opix * c->c_out);
		/* patches (m x ncols) = x_b (m x c_in) . weight (c_in x ncols) */
		ul_gemm(false, false, m, ncols, c->c_in, 1.0f,
			    x + (size_t)b * m * c->c_in, c->c_in, weight, ncols, 0.0f, workspace, ncols);
		col2im(c, workspace, yb);
	}
}

void ul_conv_transpose2d_backward(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
				  const float *dy, float *dx, float *dweight, float *dbias, float *workspace)
{
	int m = c->h * c->w, ncols = (int)cols(c);
	size_t opix = (size_t)ul_conv_transpose2d_out_h(c) * ul_conv_transpose2d_out_w(c);
	for (int b = 0; b < c->n; b++) {
		const float *dyb = dy + (size_t)b * opix * c->c_out;
		im2col(c, dyb, workspace);
		/* dweight (c_in x ncols) += x_b^T (c_in x m) . dpatches (m x ncols) */
		ul_gemm(true, false, c->c_in, ncols, m, 1.0f, x + (size_t)b * m * c->c_in,
			    c->c_in, workspace, ncols, 1.0f, dweight, ncols);
		/* dx_b (m x c_in) = dpatches (m x ncols) . weight^T (ncols x c_in) */
		if (dx)
			ul_gemm(false, true, m, c->c_in, ncols, 1.0f, workspace, ncols, weight,
				    ncols, 0.0f, dx + (size_t)b * m * c->c_in, c->c_in);
		if (dbias)
			for (size_t p = 0; p < opix; p++)
				for (int o = 0; o < c->c_out; o++)
					dbias[o] += dyb[p * c->c_out + o];
	}
}
