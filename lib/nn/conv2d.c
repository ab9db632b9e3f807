#include "nn/conv2d.h"

#include <stdbool.h>
#include <string.h>

#include <cblas.h>

#include "core/parallel.h"
#include "nn/gemm.h"

/* Backward builds the patches of several images for one GEMM, so small
 * maps still make a product big enough to share out; this many floats
 * bound that buffer. */
#define PATCH_FLOATS ((size_t)1 << 22)
/* Forward builds and multiplies patches a block of rows at a time, each
 * thread in its own block, while they are still in cache. */
#define BLOCK_FLOATS ((size_t)1 << 18)
#define MIN_BLOCK_ROWS 64
/* Depthwise backward sums each piece's weight gradient apart, then in
 * order: at most this many pieces, whatever the thread count. */
#define DEPTHWISE_PIECES 16

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

/* Images whose patches share one GEMM in backward. */
static int chunk(const struct ul_conv2d *c)
{
	size_t per_image = pixels_out(c) * cols(c);
	size_t n = per_image ? PATCH_FLOATS / per_image : 1;
	return n < 1 ? 1 : n > (size_t)c->n ? c->n : (int)n;
}

/* Patch rows forward builds before multiplying them. */
static size_t block_rows(const struct ul_conv2d *c)
{
	size_t rows = BLOCK_FLOATS / cols(c);
	return rows < MIN_BLOCK_ROWS ? MIN_BLOCK_ROWS : rows;
}

static int depthwise_pieces(const struct ul_conv2d *c)
{
	return c->n < DEPTHWISE_PIECES ? c->n : DEPTHWISE_PIECES;
}

size_t ul_conv2d_workspace(const struct ul_conv2d *c)
{
	if (pointwise(c))
		return 0;
	/* the weights and their gradient in tap-major order, then the
	 * patches, or the depthwise pieces' weight gradients */
	if (depthwise(c))
		return (2 + (size_t)depthwise_pieces(c)) * weight_floats(c);
	size_t backward = (size_t)chunk(c) * pixels_out(c) * cols(c);
	size_t forward = (size_t)ul_parallel_threads() * block_rows(c) * cols(c);
	return 2 * weight_floats(c) + (backward > forward ? backward : forward);
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

/* The taps kx in [lo, hi) of a kernel row starting at input column ix0
 * fall inside the image. */
static void inside(const struct ul_conv2d *c, int ix0, int *lo, int *hi)
{
	*lo = ix0 < 0 ? -ix0 : 0;
	*hi = c->w - ix0 < c->k ? c->w - ix0 : c->k;
	if (*hi < *lo)
		*hi = *lo;
}

/* Patch rows [r0, r1) of one group, a row per output pixel counted across
 * the images of x, into patches from its start. With one group the taps
 * of a kernel row are adjacent in NHWC, so each kernel row is one copy. */
static void im2col(const struct ul_conv2d *c, const float *x, int group, size_t r0, size_t r1, float *patches)
{
	int ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, k = c->k;
	size_t m = pixels_out(c);
	for (size_t r = r0; r < r1; r++) {
		int oy = (int)(r % m) / ow, ox = (int)(r % m) % ow, ix0 = ox * c->stride - c->pad, lo, hi;
		const float *image = x + r / m * c->h * c->w * c->c_in + group * cg;
		float *row = patches + (r - r0) * cols(c);
		inside(c, ix0, &lo, &hi);
		for (int ky = 0; ky < k; ky++, row += (size_t)k * cg) {
			int iy = oy * c->stride - c->pad + ky;
			if (iy < 0 || iy >= c->h) {
				memset(row, 0, sizeof *row * k * cg);
				continue;
			}
			const float *from = image + ((size_t)iy * c->w + (size_t)(ix0 + lo)) * c->c_in;
			memset(row, 0, sizeof *row * lo * cg);
			if (c->groups == 1)
				memcpy(row + lo * cg, from, sizeof *row * (hi - lo) * cg);
			else
				for (int kx = lo; kx < hi; kx++)
					memcpy(row + kx * cg, from + (size_t)(kx - lo) * c->c_in, sizeof *row * cg);
			memset(row + hi * cg, 0, sizeof *row * (k - hi) * cg);
		}
	}
}

/* The transpose of im2col for input rows [q0, q1) (a row per image row,
 * counted across the images of dx): each input pixel gathers the patch
 * values that came from it, so pieces of rows never write the same
 * memory. The first group's pass clears the rows first. */
static void col2im(const struct ul_conv2d *c, const float *patches, int group, size_t q0, size_t q1, float *dx)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, k = c->k;
	for (size_t q = q0; q < q1; q++) {
		int b = (int)(q / c->h), iy = (int)(q % c->h);
		float *dx_row = dx + q * c->w * c->c_in;
		if (group == 0)
			memset(dx_row, 0, sizeof *dx_row * c->w * c->c_in);
		for (int ky = 0; ky < k; ky++) {
			int t = iy + c->pad - ky, oy = t / c->stride;
			if (t < 0 || t % c->stride || oy >= oh)
				continue;
			const float *patch_row = patches + (((size_t)b * oh + oy) * ow) * cols(c) + (size_t)ky * k * cg;
			for (int ox = 0; ox < ow; ox++) {
				int ix0 = ox * c->stride - c->pad, lo, hi;
				inside(c, ix0, &lo, &hi);
				const float *restrict from = patch_row + ox * cols(c);
				for (int kx = lo; kx < hi; kx++) {
					float *restrict to = dx_row + (size_t)(ix0 + kx) * c->c_in + group * cg;
					for (int ci = 0; ci < cg; ci++)
						to[ci] += from[kx * cg + ci];
				}
			}
		}
	}
}

/* Output rows [r0, r1) of a depthwise conv (a row per output image row,
 * counted across the images), with weights tap-major (tap, channel):
 * every loop runs over channels, contiguous in NHWC and in the weights. */
static void depthwise_forward(const struct ul_conv2d *c, const float *x, const float *taps, float *y, size_t r0,
			      size_t r1)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), ch = c->c_in, k = c->k;
	for (size_t r = r0; r < r1; r++) {
		int oy = (int)(r % oh);
		const float *xb = x + r / oh * c->h * c->w * ch;
		for (int ox = 0; ox < ow; ox++) {
			float *restrict out = y + (r * ow + ox) * ch;
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

/* Images [b0, b1): dx for them (cleared first; NULL to skip) and their
 * share of the weight gradient, added to dtaps. */
static void depthwise_backward(const struct ul_conv2d *c, const float *x, const float *taps, const float *dy, float *dx,
			       float *dtaps, int b0, int b1)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), ch = c->c_in, k = c->k;
	for (int b = b0; b < b1; b++) {
		const float *xb = x + (size_t)b * c->h * c->w * ch;
		float *dxb = dx ? dx + (size_t)b * c->h * c->w * ch : NULL;
		if (dxb)
			memset(dxb, 0, sizeof *dxb * c->h * c->w * ch);
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

/* One pass of a conv over pieces of rows on the thread pool: what every
 * piece function reads. */
struct pass {
	const struct ul_conv2d *c;
	const float *x, *taps, *dy;
	float *y, *patches, *dx, *dtaps;
	int group, pieces;
	size_t rows;
};

/* Forward, piece i: its rows of the output, a block of patches at a time
 * in the piece's own part of the patch buffer. */
static void forward_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_conv2d *c = p->c;
	size_t begin, end, block = block_rows(c), kk = cols(c);
	int og = c->c_out / c->groups;
	/* whole blocks, cut where they would be on any number of threads (a
	 * product cut elsewhere rounds differently) */
	ul_parallel_piece((p->rows + block - 1) / block, p->pieces, i, &begin, &end);
	begin *= block, end = end * block < p->rows ? end * block : p->rows;
	float *patches = p->patches + (size_t)i * block * kk;
	for (size_t r0 = begin; r0 < end; r0 += block) {
		size_t r1 = end - r0 < block ? end : r0 + block;
		im2col(c, p->x, p->group, r0, r1, patches);
		/* outputs = patches (rows x kk) . taps_g^T; ldc strides over
		 * every output channel of a pixel */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), og, (int)kk, 1.0f, patches, (int)kk,
			    p->taps + (size_t)p->group * og * kk, (int)kk, 0.0f, p->y + r0 * c->c_out + p->group * og,
			    c->c_out);
	}
}

static void im2col_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	size_t begin, end;
	ul_parallel_piece(p->rows, p->pieces, i, &begin, &end);
	im2col(p->c, p->x, p->group, begin, end, p->patches + begin * cols(p->c));
}

static void col2im_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	size_t begin, end;
	ul_parallel_piece(p->rows, p->pieces, i, &begin, &end);
	col2im(p->c, p->patches, p->group, begin, end, p->dx);
}

static void depthwise_forward_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	size_t begin, end;
	ul_parallel_piece(p->rows, p->pieces, i, &begin, &end);
	depthwise_forward(p->c, p->x, p->taps, p->y, begin, end);
}

/* Piece i's images, its weight gradient in its own slot of dtaps. */
static void depthwise_backward_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	size_t begin, end, wf = weight_floats(p->c);
	ul_parallel_piece(p->rows, p->pieces, i, &begin, &end);
	float *dtaps = p->dtaps + (size_t)i * wf;
	memset(dtaps, 0, sizeof *dtaps * wf);
	depthwise_backward(p->c, p->x, p->taps, p->dy, p->dx, dtaps, (int)begin, (int)end);
}

/* Pieces for `rows` rows of light work. */
static int row_pieces(size_t rows)
{
	return ul_parallel_pieces(rows, 16);
}

void ul_conv2d_forward(const struct ul_conv2d *c, const float *x, const float *weight, const float *bias, float *y,
		       float *workspace)
{
	if (pointwise(c)) {
		/* y (n h w x c_out) = x (n h w x c_in) . weight^T */
		ul_gemm(false, true, c->n * (int)pixels_out(c), c->c_out, c->c_in, 1.0f, x, c->c_in, weight, c->c_in, 0.0f,
			y, c->c_out);
	} else {
		struct pass p = { .c = c, .x = x, .taps = workspace, .y = y, .patches = workspace + 2 * weight_floats(c) };
		to_tap_major(c, weight, workspace);
		if (depthwise(c)) {
			p.rows = (size_t)c->n * ul_conv2d_out_h(c);
			p.pieces = row_pieces(p.rows);
			ul_parallel_for(p.pieces, depthwise_forward_piece, &p);
		} else {
			p.rows = (size_t)c->n * pixels_out(c);
			size_t blocks = (p.rows + block_rows(c) - 1) / block_rows(c);
			p.pieces = (size_t)ul_parallel_threads() < blocks ? ul_parallel_threads() : (int)blocks;
			for (p.group = 0; p.group < c->groups; p.group++)
				ul_parallel_for(p.pieces, forward_piece, &p);
		}
	}
	if (bias)
		add_bias(c, bias, y);
}

/* The non-depthwise backward of images [b0, b0 + nb), one group: patches
 * for the weight gradient, then the input gradient through them. */
static void grouped_backward(const struct ul_conv2d *c, const float *x, const float *dy, float *dx, int b0, int nb,
			     int group, float *taps, float *dtaps, float *patches)
{
	int m = (int)pixels_out(c), og = c->c_out / c->groups, kk = (int)cols(c);
	const float *dyb = dy + (size_t)b0 * m * c->c_out + group * og;
	size_t image = (size_t)c->h * c->w * c->c_in;
	struct pass p = { .c = c, .x = x + b0 * image, .patches = patches, .group = group, .rows = (size_t)nb * m };
	p.pieces = row_pieces(p.rows);
	ul_parallel_for(p.pieces, im2col_piece, &p);
	/* dtaps_g (og x kk) += dy_g^T (og x nb m) . patches */
	ul_gemm(true, false, og, kk, nb * m, 1.0f, dyb, c->c_out, patches, kk, 1.0f, dtaps + (size_t)group * og * kk, kk);
	if (!dx)
		return;
	/* dpatches = dy_g (nb m x og) . taps_g, gathered back into dx */
	ul_gemm(false, false, nb * m, kk, og, 1.0f, dyb, c->c_out, taps + (size_t)group * og * kk, kk, 0.0f, patches, kk);
	p.dx = dx + b0 * image, p.rows = (size_t)nb * c->h;
	p.pieces = row_pieces(p.rows);
	ul_parallel_for(p.pieces, col2im_piece, &p);
}

void ul_conv2d_backward(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy, float *dx,
			float *dweight, float *dbias, float *workspace)
{
	size_t wf = weight_floats(c);
	if (dbias)
		sum_rows(dy, (size_t)c->n * pixels_out(c), c->c_out, dbias);
	if (pointwise(c)) {
		int rows = c->n * (int)pixels_out(c);
		/* dweight (c_out x c_in) += dy^T . x; dx = dy . weight */
		ul_gemm(true, false, c->c_out, c->c_in, rows, 1.0f, dy, c->c_out, x, c->c_in, 1.0f, dweight, c->c_in);
		if (dx)
			ul_gemm(false, false, rows, c->c_in, c->c_out, 1.0f, dy, c->c_out, weight, c->c_in, 0.0f, dx, c->c_in);
		return;
	}
	float *taps = workspace, *dtaps = workspace + wf, *scratch = dtaps + wf;
	to_tap_major(c, weight, taps);
	if (depthwise(c)) {
		struct pass p = { .c = c, .x = x, .taps = taps, .dy = dy, .dx = dx, .dtaps = scratch, .rows = (size_t)c->n,
				  .pieces = depthwise_pieces(c) };
		ul_parallel_for(p.pieces, depthwise_backward_piece, &p);
		memset(dtaps, 0, sizeof *dtaps * wf);
		for (int i = 0; i < p.pieces; i++)
			for (size_t j = 0; j < wf; j++)
				dtaps[j] += scratch[(size_t)i * wf + j];
	} else {
		memset(dtaps, 0, sizeof *dtaps * wf);
		int per = chunk(c);
		for (int b0 = 0; b0 < c->n; b0 += per)
			for (int g = 0; g < c->groups; g++)
				grouped_backward(c, x, dy, dx, b0, c->n - b0 < per ? c->n - b0 : per, g, taps, dtaps, scratch);
	}
	add_from_tap_major(c, dtaps, dweight);
}
