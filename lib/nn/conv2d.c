#include "nn/conv2d.h"

#include <stdbool.h>
#include <string.h>

#include <cblas.h>

/* Patches of several images go through one GEMM, so small maps still make
 * a GEMM big enough to thread well; this many floats bound that buffer. */
#define PATCH_FLOATS ((size_t)1 << 22)

int ul_conv2d_out_h(const struct ul_conv2d *c)
{
	return (c->h + 2 * c->pad - c->k) / c->stride + 1;
}

int ul_conv2d_out_w(const struct ul_conv2d *c)
{
	return (c->w + 2 * c->pad - c->k) / c->stride + 1;
}

/* A 1x1 conv over NHWC is one GEMM on the input as it lies. */
static bool pointwise(const struct ul_conv2d *c)
{
	return c->k == 1 && c->stride == 1 && c->pad == 0 && c->groups == 1;
}

/* One filter per channel: a direct loop beats c_in GEMMs of one row. */
static bool depthwise(const struct ul_conv2d *c)
{
	return c->groups > 1 && c->groups == c->c_in && c->c_out == c->c_in;
}

static size_t pixels_out(const struct ul_conv2d *c)
{
	return (size_t)ul_conv2d_out_h(c) * ul_conv2d_out_w(c);
}

/* Columns of one group's patch matrix: (ky, kx, channel), so each tap
 * copies a run of channels that NHWC keeps together. */
static size_t cols(const struct ul_conv2d *c)
{
	return (size_t)c->k * c->k * (c->c_in / c->groups);
}

static size_t weight_floats(const struct ul_conv2d *c)
{
	return (size_t)c->c_out * cols(c);
}

/* Images whose patches share one GEMM. */
static int chunk(const struct ul_conv2d *c)
{
	size_t per_image = pixels_out(c) * cols(c);
	size_t n = per_image ? PATCH_FLOATS / per_image : 1;
	return n < 1 ? 1 : n > (size_t)c->n ? c->n : (int)n;
}

size_t ul_conv2d_workspace(const struct ul_conv2d *c)
{
	if (pointwise(c))
		return 0;
	/* the weights and their gradient in tap-major order, then the patches */
	return 2 * weight_floats(c) + (depthwise(c) ? 0 : (size_t)chunk(c) * pixels_out(c) * cols(c));
}

/* Where weight (o, ci, tap) of OIHW goes in the order the kernels read:
 * (out, ky, kx, in/groups), the patch columns' order, or for depthwise
 * (ky, kx, channel). */
static size_t tap_major(const struct ul_conv2d *c, int o, int ci, int tap)
{
	int cg = c->c_in / c->groups, kk = c->k * c->k;
	return depthwise(c) ? (size_t)tap * c->c_out + o : ((size_t)o * kk + tap) * cg + ci;
}

static void to_tap_major(const struct ul_conv2d *c, const float *w, float *t)
{
	int cg = c->c_in / c->groups, kk = c->k * c->k;
	for (int o = 0; o < c->c_out; o++)
		for (int ci = 0; ci < cg; ci++)
			for (int tap = 0; tap < kk; tap++)
				t[tap_major(c, o, ci, tap)] = w[((size_t)o * cg + ci) * kk + tap];
}

static void add_from_tap_major(const struct ul_conv2d *c, const float *t, float *w)
{
	int cg = c->c_in / c->groups, kk = c->k * c->k;
	for (int o = 0; o < c->c_out; o++)
		for (int ci = 0; ci < cg; ci++)
			for (int tap = 0; tap < kk; tap++)
				w[((size_t)o * cg + ci) * kk + tap] += t[tap_major(c, o, ci, tap)];
}

static void im2col(const struct ul_conv2d *c, const float *x, int group, float *patches)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, k = c->k;
	for (int oy = 0; oy < oh; oy++) {
		for (int ox = 0; ox < ow; ox++) {
			float *row = patches + ((size_t)oy * ow + ox) * cols(c);
			for (int ky = 0; ky < k; ky++) {
				int iy = oy * c->stride - c->pad + ky;
				for (int kx = 0; kx < k; kx++, row += cg) {
					int ix = ox * c->stride - c->pad + kx;
					if (iy >= 0 && iy < c->h && ix >= 0 && ix < c->w)
						memcpy(row, x + ((size_t)iy * c->w + ix) * c->c_in + group * cg, sizeof *row * cg);
					else
						memset(row, 0, sizeof *row * cg);
				}
			}
		}
	}
}

/* The transpose of im2col: adds each patch value back into dx. */
static void col2im(const struct ul_conv2d *c, const float *patches, int group, float *dx)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, k = c->k;
	for (int oy = 0; oy < oh; oy++) {
		for (int ox = 0; ox < ow; ox++) {
			const float *row = patches + ((size_t)oy * ow + ox) * cols(c);
			for (int ky = 0; ky < k; ky++) {
				int iy = oy * c->stride - c->pad + ky;
				for (int kx = 0; kx < k; kx++, row += cg) {
					int ix = ox * c->stride - c->pad + kx;
					if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
						continue;
					float *restrict to = dx + ((size_t)iy * c->w + ix) * c->c_in + group * cg;
					const float *restrict from = row;
					for (int ci = 0; ci < cg; ci++)
						to[ci] += from[ci];
				}
			}
		}
	}
}

/* Depthwise, with weights tap-major (tap, channel): every loop runs over
 * channels, contiguous in NHWC and in the weights. */
static void depthwise_forward(const struct ul_conv2d *c, const float *x, const float *taps, float *y)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), ch = c->c_in, k = c->k;
	for (int b = 0; b < c->n; b++) {
		const float *xb = x + (size_t)b * c->h * c->w * ch;
		for (int oy = 0; oy < oh; oy++) {
			for (int ox = 0; ox < ow; ox++) {
				float *restrict out = y + (((size_t)b * oh + oy) * ow + ox) * ch;
				memset(out, 0, sizeof *out * ch);
				for (int ky = 0; ky < k; ky++) {
					int iy = oy * c->stride - c->pad + ky;
					for (int kx = 0; kx < k; kx++) {
						int ix = ox * c->stride - c->pad + kx;
						if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
							continue;
						const float *restrict in = xb + ((size_t)iy * c->w + ix) * ch;
						const float *restrict w = taps + (size_t)(ky * k + kx) * ch;
						for (int i = 0; i < ch; i++)
							out[i] += in[i] * w[i];
					}
				}
			}
		}
	}
}

static void depthwise_backward(const struct ul_conv2d *c, const float *x, const float *taps, const float *dy, float *dx,
			       float *dtaps)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), ch = c->c_in, k = c->k;
	for (int b = 0; b < c->n; b++) {
		const float *xb = x + (size_t)b * c->h * c->w * ch;
		float *dxb = dx ? dx + (size_t)b * c->h * c->w * ch : NULL;
		for (int oy = 0; oy < oh; oy++) {
			for (int ox = 0; ox < ow; ox++) {
				const float *restrict g = dy + (((size_t)b * oh + oy) * ow + ox) * ch;
				for (int ky = 0; ky < k; ky++) {
					int iy = oy * c->stride - c->pad + ky;
					for (int kx = 0; kx < k; kx++) {
						int ix = ox * c->stride - c->pad + kx;
						if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
							continue;
						size_t at = ((size_t)iy * c->w + ix) * ch, tap = (size_t)(ky * k + kx) * ch;
						const float *restrict in = xb + at, *restrict w = taps + tap;
						float *restrict dw = dtaps + tap;
						for (int i = 0; i < ch; i++)
							dw[i] += g[i] * in[i];
						if (dxb) {
							float *restrict to = dxb + at;
							for (int i = 0; i < ch; i++)
								to[i] += g[i] * w[i];
						}
					}
				}
			}
		}
	}
}

static void add_bias(const struct ul_conv2d *c, const float *restrict bias, float *restrict y)
{
	size_t m = (size_t)c->n * pixels_out(c);
	for (size_t p = 0; p < m; p++)
		for (int o = 0; o < c->c_out; o++)
			y[p * c->c_out + o] += bias[o];
}

/* total[o] += sum over rows of m[row][o]: the bias gradient. */
static void sum_rows(const float *restrict m, size_t rows, int width, float *restrict total)
{
	for (size_t p = 0; p < rows; p++)
		for (int o = 0; o < width; o++)
			total[o] += m[p * width + o];
}

void ul_conv2d_forward(const struct ul_conv2d *c, const float *x, const float *weight, const float *bias, float *y,
		       float *workspace)
{
	int m = (int)pixels_out(c), og = c->c_out / c->groups, kk = (int)cols(c);
	if (pointwise(c)) {
		/* y (n h w x c_out) = x (n h w x c_in) . weight^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->n * m, c->c_out, c->c_in, 1.0f, x, c->c_in, weight,
			    c->c_in, 0.0f, y, c->c_out);
	} else {
		float *taps = workspace, *patches = workspace + 2 * weight_floats(c);
		to_tap_major(c, weight, taps);
		if (depthwise(c)) {
			depthwise_forward(c, x, taps, y);
		} else {
			int per = chunk(c);
			for (int b0 = 0; b0 < c->n; b0 += per) {
				int nb = c->n - b0 < per ? c->n - b0 : per;
				for (int g = 0; g < c->groups; g++) {
					for (int b = 0; b < nb; b++)
						im2col(c, x + (size_t)(b0 + b) * c->h * c->w * c->c_in, g,
						       patches + (size_t)b * m * kk);
					/* the group's outputs = patches (nb m x kk) . taps_g^T; ldc
					 * strides over every output channel of a pixel */
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb * m, og, kk, 1.0f, patches, kk,
						    taps + (size_t)g * og * kk, kk, 0.0f, y + (size_t)b0 * m * c->c_out + g * og,
						    c->c_out);
				}
			}
		}
	}
	if (bias)
		add_bias(c, bias, y);
}

void ul_conv2d_backward(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy, float *dx,
			float *dweight, float *dbias, float *workspace)
{
	int m = (int)pixels_out(c), og = c->c_out / c->groups, kk = (int)cols(c);
	if (dbias)
		sum_rows(dy, (size_t)c->n * m, c->c_out, dbias);
	if (pointwise(c)) {
		/* dweight (c_out x c_in) += dy^T . x; dx = dy . weight */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c->c_out, c->c_in, c->n * m, 1.0f, dy, c->c_out, x, c->c_in,
			    1.0f, dweight, c->c_in);
		if (dx)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->n * m, c->c_in, c->c_out, 1.0f, dy, c->c_out,
				    weight, c->c_in, 0.0f, dx, c->c_in);
		return;
	}
	float *taps = workspace, *dtaps = workspace + weight_floats(c), *patches = dtaps + weight_floats(c);
	to_tap_major(c, weight, taps);
	memset(dtaps, 0, sizeof *dtaps * weight_floats(c));
	if (dx)
		memset(dx, 0, sizeof *dx * (size_t)c->n * c->h * c->w * c->c_in);
	if (depthwise(c)) {
		depthwise_backward(c, x, taps, dy, dx, dtaps);
	} else {
		int per = chunk(c);
		for (int b0 = 0; b0 < c->n; b0 += per) {
			int nb = c->n - b0 < per ? c->n - b0 : per;
			const float *dyb = dy + (size_t)b0 * m * c->c_out;
			for (int g = 0; g < c->groups; g++) {
				for (int b = 0; b < nb; b++)
					im2col(c, x + (size_t)(b0 + b) * c->h * c->w * c->c_in, g, patches + (size_t)b * m * kk);
				/* dtaps_g (og x kk) += dy_g^T (og x nb m) . patches */
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, og, kk, nb * m, 1.0f, dyb + g * og, c->c_out,
					    patches, kk, 1.0f, dtaps + (size_t)g * og * kk, kk);
				if (!dx)
					continue;
				/* dpatches = dy_g (nb m x og) . taps_g, scattered back */
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb * m, kk, og, 1.0f, dyb + g * og, c->c_out,
					    taps + (size_t)g * og * kk, kk, 0.0f, patches, kk);
				for (int b = 0; b < nb; b++)
					col2im(c, patches + (size_t)b * m * kk, g, dx + (size_t)(b0 + b) * c->h * c->w * c->c_in);
			}
		}
	}
	add_from_tap_major(c, dtaps, dweight);
}
