#include "nn/conv2d.h"

#include <stdbool.h>
#include <string.h>

#include <cblas.h>

int ul_conv2d_out_h(const struct ul_conv2d *c)
{
	return (c->h + 2 * c->pad - c->k) / c->stride + 1;
}

int ul_conv2d_out_w(const struct ul_conv2d *c)
{
	return (c->w + 2 * c->pad - c->k) / c->stride + 1;
}

/* One image's im2col matrix for one group: rows are output pixels, columns
 * (channel, ky, kx) of that group's input channels. */
static size_t cols(const struct ul_conv2d *c)
{
	return (size_t)(c->c_in / c->groups) * c->k * c->k;
}

size_t ul_conv2d_workspace(const struct ul_conv2d *c)
{
	return (size_t)ul_conv2d_out_h(c) * ul_conv2d_out_w(c) * cols(c);
}

static void im2col(const struct ul_conv2d *c, const float *x, int group, float *patches)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, k = c->k;
	size_t ncols = cols(c);
	for (int oy = 0; oy < oh; oy++) {
		for (int ox = 0; ox < ow; ox++) {
			float *row = patches + ((size_t)oy * ow + ox) * ncols;
			for (int ci = 0; ci < cg; ci++) {
				for (int ky = 0; ky < k; ky++) {
					int iy = oy * c->stride - c->pad + ky;
					for (int kx = 0; kx < k; kx++) {
						int ix = ox * c->stride - c->pad + kx;
						bool inside = iy >= 0 && iy < c->h && ix >= 0 && ix < c->w;
						*row++ = inside ? x[((size_t)iy * c->w + ix) * c->c_in + group * cg + ci] : 0.0f;
					}
				}
			}
		}
	}
}

/* The transpose of im2col: adds each patch value back into dx. */
static void col2im(const struct ul_conv2d *c, const float *patches, int group, float *dx)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, k = c->k;
	size_t ncols = cols(c);
	for (int oy = 0; oy < oh; oy++) {
		for (int ox = 0; ox < ow; ox++) {
			const float *row = patches + ((size_t)oy * ow + ox) * ncols;
			for (int ci = 0; ci < cg; ci++) {
				for (int ky = 0; ky < k; ky++) {
					int iy = oy * c->stride - c->pad + ky;
					for (int kx = 0; kx < k; kx++, row++) {
						int ix = ox * c->stride - c->pad + kx;
						if (iy >= 0 && iy < c->h && ix >= 0 && ix < c->w)
							dx[((size_t)iy * c->w + ix) * c->c_in + group * cg + ci] += *row;
					}
				}
			}
		}
	}
}

void ul_conv2d_forward(const struct ul_conv2d *c, const float *x, const float *weight, const float *bias, float *y,
		       float *workspace)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c);
	int og = c->c_out / c->groups;
	int m = oh * ow, kk = (int)cols(c);
	for (int b = 0; b < c->n; b++) {
		const float *xb = x + (size_t)b * c->h * c->w * c->c_in;
		float *yb = y + (size_t)b * m * c->c_out;
		for (int g = 0; g < c->groups; g++) {
			im2col(c, xb, g, workspace);
			/* y[:, group's outputs] = patches (m x kk) . weight_g^T (kk x og);
			 * ldc strides over every output channel of the pixel */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, og, kk, 1.0f, workspace, kk,
				    weight + (size_t)g * og * kk, kk, 0.0f, yb + g * og, c->c_out);
		}
		if (bias)
			for (int p = 0; p < m; p++)
				for (int o = 0; o < c->c_out; o++)
					yb[(size_t)p * c->c_out + o] += bias[o];
	}
}

void ul_conv2d_backward(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy, float *dx,
			float *dweight, float *dbias, float *workspace)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c);
	int og = c->c_out / c->groups;
	int m = oh * ow, kk = (int)cols(c);
	if (dx)
		memset(dx, 0, sizeof *dx * (size_t)c->n * c->h * c->w * c->c_in);
	for (int b = 0; b < c->n; b++) {
		const float *xb = x + (size_t)b * c->h * c->w * c->c_in;
		const float *dyb = dy + (size_t)b * m * c->c_out;
		for (int g = 0; g < c->groups; g++) {
			/* dweight_g (og x kk) += dy_g^T (og x m) . patches (m x kk) */
			im2col(c, xb, g, workspace);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, og, kk, m, 1.0f, dyb + g * og, c->c_out, workspace, kk,
				    1.0f, dweight + (size_t)g * og * kk, kk);
			if (!dx)
				continue;
			/* dpatches (m x kk) = dy_g (m x og) . weight_g (og x kk), scattered back */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, kk, og, 1.0f, dyb + g * og, c->c_out,
				    weight + (size_t)g * og * kk, kk, 0.0f, workspace, kk);
			col2im(c, workspace, g, dx + (size_t)b * c->h * c->w * c->c_in);
		}
		if (dbias)
			for (int p = 0; p < m; p++)
				for (int o = 0; o < c->c_out; o++)
					dbias[o] += dyb[(size_t)p * c->c_out + o];
	}
}
